//! `Arn*` operators. AWS: "each of the six colon-delimited components of the ARN is checked
//! separately and each can include multi-character match wildcards (*) or single-character
//! match wildcards (?)" — so `ArnEquals` and `ArnLike` behave the same, case-sensitively.

use super::StrValue;
use crate::policy::types::Context;
use crate::policy::variables::Resolved;
use crate::policy::wildcard;

pub fn like(pv: &StrValue, v: &str, ctx: &Context) -> Resolved<bool> {
    if let Some(toks) = &pv.compiled {
        return Resolved::Value(wildcard::arn_matches(toks, v));
    }
    match pv.template.resolve_pattern(ctx) {
        Resolved::Value(toks) => Resolved::Value(wildcard::arn_matches(&toks, v)),
        Resolved::Null { key } => Resolved::Null { key },
        Resolved::Unknown { key } => Resolved::Unknown { key },
    }
}
