//! The `Condition` element: operators, their compiled values, and evaluation against the
//! request context
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html,
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html,
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
//!
//! AWS's rules, as implemented here:
//! - operators AND together, keys under one operator AND together, values of one key OR
//!   together; a negated operator (`StringNotEquals`, `NotIpAddress`, ...) NORs its values;
//! - a key absent from the request: the condition is false, except that a negated operator is
//!   true, `...IfExists` is true, and `Null` tests exactly that;
//! - `ForAllValues:` is true when every request value matches (true when the key is absent or
//!   has no values); `ForAnyValue:` when at least one does (false when absent). The set
//!   operator's missing-key rule wins over `IfExists` (re:Post "ForAnyValue:StringEqualsIfExists
//!   behaving unexpectedly", an accepted answer confirmed by a live test);
//! - key names are case-insensitive; values are case-sensitive unless the operator says
//!   `IgnoreCase` (and `Bool`, whose values are `true`/`false` in any case);
//! - a key the engine does not know makes the condition `Unknown`;
//! - a key known only *not* to match some patterns (absent, or another value) is decided
//!   where every possible world agrees (see [`exclusion`]).

mod arn;
mod binary;
mod boolean;
mod date;
pub mod exclusion;
mod ip;
mod numeric;
mod string;

use super::tri::Tri;
use super::types::{Context, KeyState};
use super::variables::{Resolved, Template};
use super::wildcard::{self, Tok};
use serde::Serialize;

/// The operator family (the part of the name after any set prefix and before `IfExists`),
/// with negation folded out: `StringNotLike` is `StringLike` negated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    /// `ArnEquals` and `ArnLike` behave the same: segment-wise, wildcards allowed.
    ArnLike,
    Null,
}

/// `ForAllValues:` / `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SetOp {
    ForAllValues,
    ForAnyValue,
}

/// A parsed condition operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// As written in the policy (for traces).
    pub name: String,
    pub family: Family,
    pub negated: bool,
    pub if_exists: bool,
    pub set: Option<SetOp>,
}

const FAMILIES: &[(&str, Family, bool)] = &[
    ("StringEquals", Family::StringEquals, false),
    ("StringNotEquals", Family::StringEquals, true),
    (
        "StringEqualsIgnoreCase",
        Family::StringEqualsIgnoreCase,
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        Family::StringEqualsIgnoreCase,
        true,
    ),
    ("StringLike", Family::StringLike, false),
    ("StringNotLike", Family::StringLike, true),
    ("NumericEquals", Family::NumericEquals, false),
    ("NumericNotEquals", Family::NumericEquals, true),
    ("NumericLessThan", Family::NumericLessThan, false),
    (
        "NumericLessThanEquals",
        Family::NumericLessThanEquals,
        false,
    ),
    ("NumericGreaterThan", Family::NumericGreaterThan, false),
    (
        "NumericGreaterThanEquals",
        Family::NumericGreaterThanEquals,
        false,
    ),
    ("DateEquals", Family::DateEquals, false),
    ("DateNotEquals", Family::DateEquals, true),
    ("DateLessThan", Family::DateLessThan, false),
    ("DateLessThanEquals", Family::DateLessThanEquals, false),
    ("DateGreaterThan", Family::DateGreaterThan, false),
    (
        "DateGreaterThanEquals",
        Family::DateGreaterThanEquals,
        false,
    ),
    ("Bool", Family::Bool, false),
    ("BinaryEquals", Family::BinaryEquals, false),
    ("IpAddress", Family::IpAddress, false),
    ("NotIpAddress", Family::IpAddress, true),
    ("ArnEquals", Family::ArnLike, false),
    ("ArnLike", Family::ArnLike, false),
    ("ArnNotEquals", Family::ArnLike, true),
    ("ArnNotLike", Family::ArnLike, true),
    ("Null", Family::Null, false),
];

impl Operator {
    /// Parses an operator name; `None` when AWS has no such operator. Names are matched
    /// case-insensitively.
    pub fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(r) = strip_prefix_ci(name, "ForAllValues:") {
            (Some(SetOp::ForAllValues), r)
        } else if let Some(r) = strip_prefix_ci(name, "ForAnyValue:") {
            (Some(SetOp::ForAnyValue), r)
        } else {
            (None, name)
        };
        let (base, if_exists) = match rest.len().checked_sub("IfExists".len()) {
            Some(n) if rest.is_char_boundary(n) && rest[n..].eq_ignore_ascii_case("IfExists") => {
                (&rest[..n], true)
            }
            _ => (rest, false),
        };
        let &(_, family, negated) = FAMILIES
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(base))?;
        if family == Family::Null && (if_exists || set.is_some()) {
            return None;
        }
        Some(Operator {
            name: name.to_owned(),
            family,
            negated,
            if_exists,
            set,
        })
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// A string or ARN value from the policy, with its variables parsed and, when it has none, its
/// wildcard pattern compiled once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrValue {
    pub template: Template,
    compiled: Option<Vec<Tok>>,
}

impl StrValue {
    pub fn new(raw: &str) -> StrValue {
        let template = Template::parse(raw);
        let compiled = template.is_plain().then(|| wildcard::compile(raw));
        StrValue { template, compiled }
    }

    /// The wildcard pattern, when the value has no variables.
    pub fn compiled(&self) -> Option<&[Tok]> {
        self.compiled.as_deref()
    }
}

/// The compiled values of one condition, by family.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Str(Vec<StrValue>),
    Num(Vec<Option<f64>>),
    /// Epoch milliseconds.
    Date(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
    Binary(Vec<String>),
    Ip(Vec<Option<ipnet::IpNet>>),
}

/// One `operator: {key: values}` pair of a statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub op: Operator,
    /// The key as written.
    pub key: String,
    /// Lower-cased key, for lookups.
    pub key_lc: String,
    /// The values as written (for traces).
    pub raw: Vec<String>,
    pub values: Values,
}

impl Condition {
    pub fn new(op: Operator, key: &str, raw: Vec<String>) -> Condition {
        let values = match op.family {
            Family::StringEquals
            | Family::StringEqualsIgnoreCase
            | Family::StringLike
            | Family::ArnLike => Values::Str(raw.iter().map(|r| StrValue::new(r)).collect()),
            Family::NumericEquals
            | Family::NumericLessThan
            | Family::NumericLessThanEquals
            | Family::NumericGreaterThan
            | Family::NumericGreaterThanEquals => {
                Values::Num(raw.iter().map(|r| numeric::parse(r)).collect())
            }
            Family::DateEquals
            | Family::DateLessThan
            | Family::DateLessThanEquals
            | Family::DateGreaterThan
            | Family::DateGreaterThanEquals => {
                Values::Date(raw.iter().map(|r| date::parse(r)).collect())
            }
            Family::Bool | Family::Null => {
                Values::Bool(raw.iter().map(|r| boolean::parse(r)).collect())
            }
            Family::BinaryEquals => Values::Binary(raw.clone()),
            Family::IpAddress => Values::Ip(raw.iter().map(|r| ip::parse_net(r)).collect()),
        };
        Condition {
            key_lc: key.to_ascii_lowercase(),
            key: key.to_owned(),
            op,
            raw,
            values,
        }
    }

    /// Every variable key this condition reads (for cache keys and "what is missing").
    pub fn variable_keys(&self) -> Vec<&str> {
        match &self.values {
            Values::Str(v) => v.iter().flat_map(|s| s.template.variables()).collect(),
            _ => Vec::new(),
        }
    }
}

/// Why a condition did not evaluate to true.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum CondFailure {
    /// The condition evaluated to false. `request` is `None` when the key was absent.
    Failed {
        op: String,
        key: String,
        policy_values: Vec<String>,
        request: Option<Vec<String>>,
    },
    /// The key is known only not to match `excluded` (absent, or another value), and every
    /// policy value lies inside that exclusion: false whichever world holds.
    FailedExcluded {
        op: String,
        key: String,
        policy_values: Vec<String>,
        excluded: Vec<String>,
    },
    /// The request's value of `key` is unknown to the engine.
    KeyUnknown { op: String, key: String },
    /// The key is known only not to match `excluded`, which does not decide this condition:
    /// `covered` says whether every policy value lies inside the exclusion (then the answer
    /// differs between "absent" and "present with another value"); when not, some policy
    /// value could match a value outside it.
    ExcludedUndecided {
        op: String,
        key: String,
        excluded: Vec<String>,
        covered: bool,
    },
    /// A policy variable in the values reads a key unknown to the engine.
    VariableUnknown {
        op: String,
        key: String,
        variable: String,
    },
}

/// Evaluates one condition. `Ok(())`-like `Tri::Yes` has no failure; otherwise the failure
/// says why.
pub fn evaluate(c: &Condition, ctx: &Context) -> (Tri, Option<CondFailure>) {
    let state = ctx.get(&c.key_lc);
    let failed = |request: Option<&[String]>| CondFailure::Failed {
        op: c.op.name.clone(),
        key: c.key.clone(),
        policy_values: c.raw.clone(),
        request: request.map(<[String]>::to_vec),
    };
    let request = match state {
        KeyState::NotMatching(excluded) => {
            return match exclusion::evaluate(c, excluded, ctx) {
                Ok(true) => (Tri::Yes, None),
                Ok(false) => (
                    Tri::No,
                    Some(CondFailure::FailedExcluded {
                        op: c.op.name.clone(),
                        key: c.key.clone(),
                        policy_values: c.raw.clone(),
                        excluded: excluded.to_vec(),
                    }),
                ),
                Err(why) => (
                    Tri::Unknown,
                    Some(CondFailure::ExcludedUndecided {
                        op: c.op.name.clone(),
                        key: c.key.clone(),
                        excluded: excluded.to_vec(),
                        covered: why == exclusion::Undecided::AbsentOrPresent,
                    }),
                ),
            };
        }
        KeyState::Unknown => {
            return (
                Tri::Unknown,
                Some(CondFailure::KeyUnknown {
                    op: c.op.name.clone(),
                    key: c.key.clone(),
                }),
            )
        }
        KeyState::Absent => None,
        KeyState::Present([]) => None,
        KeyState::Present(v) => Some(v),
    };
    let Some(request) = request else {
        let ok = missing_key_result(c);
        return if ok {
            (Tri::Yes, None)
        } else {
            (Tri::No, Some(failed(None)))
        };
    };
    if c.op.family == Family::Null {
        // The key is present: `Null: false` holds, `Null: true` does not.
        let ok = match &c.values {
            Values::Bool(v) => v.contains(&Some(false)),
            _ => false,
        };
        return if ok {
            (Tri::Yes, None)
        } else {
            (Tri::No, Some(failed(Some(request))))
        };
    }
    let mut unknown_var: Option<String> = None;
    let mut per_value = |v: &str| -> Tri {
        let (t, var) = match_any(c, v, ctx);
        if let Some(var) = var {
            unknown_var.get_or_insert(var);
        }
        if c.op.negated {
            t.not()
        } else {
            t
        }
    };
    let result = match c.op.set {
        Some(SetOp::ForAllValues) => Tri::all(request.iter().map(|v| per_value(v))),
        Some(SetOp::ForAnyValue) => Tri::any(request.iter().map(|v| per_value(v))),
        // Without a set operator, a positive operator holds when any request value matches;
        // a negated one when none does (NOR).
        None if c.op.negated => Tri::all(request.iter().map(|v| per_value(v))),
        None => Tri::any(request.iter().map(|v| per_value(v))),
    };
    match result {
        Tri::Yes => (Tri::Yes, None),
        Tri::No => (Tri::No, Some(failed(Some(request)))),
        Tri::Unknown => (
            Tri::Unknown,
            Some(CondFailure::VariableUnknown {
                op: c.op.name.clone(),
                key: c.key.clone(),
                variable: unknown_var.unwrap_or_default(),
            }),
        ),
    }
}

/// AWS's missing-key rules (the request has no value for the key).
fn missing_key_result(c: &Condition) -> bool {
    if c.op.family == Family::Null {
        return match &c.values {
            Values::Bool(v) => v.contains(&Some(true)),
            _ => false,
        };
    }
    match c.op.set {
        Some(SetOp::ForAllValues) => true,
        Some(SetOp::ForAnyValue) => false,
        None => c.op.if_exists || c.op.negated,
    }
}

/// Does one request value match any policy value (positive sense)? Returns the unknown
/// variable's key when the answer hinges on one.
fn match_any(c: &Condition, v: &str, ctx: &Context) -> (Tri, Option<String>) {
    match &c.values {
        Values::Str(vals) => {
            let mut acc = Tri::No;
            let mut unknown = None;
            for pv in vals {
                let t = match c.op.family {
                    Family::StringEquals => string::equals(pv, v, ctx, false),
                    Family::StringEqualsIgnoreCase => string::equals(pv, v, ctx, true),
                    Family::StringLike => string::like(pv, v, ctx),
                    _ => arn::like(pv, v, ctx),
                };
                let t = match t {
                    Resolved::Value(b) => Tri::from_bool(b),
                    Resolved::Null { .. } => Tri::No,
                    Resolved::Unknown { key } => {
                        unknown.get_or_insert(key);
                        Tri::Unknown
                    }
                };
                acc = acc.or(t);
                if acc == Tri::Yes {
                    return (Tri::Yes, None);
                }
            }
            (acc, unknown)
        }
        Values::Num(vals) => (Tri::from_bool(numeric::matches(c.op.family, vals, v)), None),
        Values::Date(vals) => (Tri::from_bool(date::matches(c.op.family, vals, v)), None),
        Values::Bool(vals) => (Tri::from_bool(boolean::matches(vals, v)), None),
        Values::Binary(vals) => (Tri::from_bool(binary::matches(vals, v)), None),
        Values::Ip(vals) => (Tri::from_bool(ip::matches(vals, v)), None),
    }
}

#[cfg(test)]
mod tests;
