//! `String*` operators: exact (case-sensitive or `IgnoreCase`) and `StringLike` with `*`/`?`.
//! Policy variables are supported in values.

use super::StrValue;
use crate::policy::types::Context;
use crate::policy::variables::Resolved;
use crate::policy::wildcard;

pub fn equals(pv: &StrValue, v: &str, ctx: &Context, ignore_case: bool) -> Resolved<bool> {
    let cmp = |p: &str| {
        if ignore_case {
            p.to_lowercase() == v.to_lowercase()
        } else {
            p == v
        }
    };
    if pv.template.is_plain() {
        return Resolved::Value(cmp(&pv.template.raw));
    }
    match pv.template.resolve_string(ctx) {
        Resolved::Value(s) => Resolved::Value(cmp(&s)),
        Resolved::Null { key } => Resolved::Null { key },
        Resolved::Unknown { key } => Resolved::Unknown { key },
    }
}

pub fn like(pv: &StrValue, v: &str, ctx: &Context) -> Resolved<bool> {
    if let Some(toks) = &pv.compiled {
        return Resolved::Value(wildcard::matches(toks, v.as_bytes(), false));
    }
    match pv.template.resolve_pattern(ctx) {
        Resolved::Value(toks) => Resolved::Value(wildcard::matches(&toks, v.as_bytes(), false)),
        Resolved::Null { key } => Resolved::Null { key },
        Resolved::Unknown { key } => Resolved::Unknown { key },
    }
}
