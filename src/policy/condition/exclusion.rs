//! Conditions on a key the engine knows only by exclusion ([`KeyState::NotMatching`]): the key
//! is absent, or each of its values matches none of some patterns (a caller outside the
//! organization has no `aws:PrincipalOrgID`, or another organization's).
//!
//! The request is then one of many possible worlds: "absent", or "present with values outside
//! the excluded set". A condition is decided only when it gives the same answer in every such
//! world, by AWS's operator rules
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
//! "If the key that you specify in a policy condition is not present in the request context,
//! the values do not match and the condition is false" — except negated operators and
//! `...IfExists` ("If the policy key is present in the context of the request, process the key
//! as specified in the policy. If the key is not present, evaluate the condition element as
//! true"), and the set operators
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html:
//! `ForAllValues` "returns true if ... the context key resolves to an empty data set";
//! `ForAnyValue` "If the key is missing, the condition returns false").
//!
//! A present value can be decided only when *no* string outside the excluded set could match a
//! policy value: every policy value must be **covered** (every string it matches also matches
//! an exclusion pattern). Coverage is checked conservatively, pattern by pattern, so a value
//! that might reach outside the exclusion (a wider wildcard, another literal, a variable whose
//! value is unknown) leaves the condition unknown. With every policy value covered:
//!
//! | operator | absent | present, no value matches | result |
//! |---|---|---|---|
//! | positive (`StringEquals`, `StringLike`, `ArnLike`, ...) | false | false | **false** |
//! | negated (`StringNotEquals`, ...), with or without `IfExists` | true | true | **true** |
//! | positive `...IfExists` | true | false | unknown |
//! | `Null` | true/false | false/true | unknown |
//! | `ForAnyValue:` positive | false | false | **false** |
//! | `ForAnyValue:` negated | false | true | unknown |
//! | `ForAllValues:` positive | true | false | unknown |
//! | `ForAllValues:` negated | true | true | **true** |

use super::{Condition, Family, SetOp, StrValue};
use crate::policy::types::Context;
use crate::policy::variables::Resolved;
use crate::policy::wildcard::{self, Tok};

/// Why a condition on an excluded key stays unknown (for the trace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undecided {
    /// Some policy value could match a value outside the excluded set.
    NotCovered,
    /// Every policy value is covered, but the operator's answer still differs between "absent"
    /// and "present" (`IfExists`, `Null`, `ForAllValues:` positive, `ForAnyValue:` negated),
    /// or the operator family compares something other than strings.
    AbsentOrPresent,
}

/// Evaluates `c` when the key is absent or holds only values matching none of `excluded`.
pub fn evaluate(c: &Condition, excluded: &[String], ctx: &Context) -> Result<bool, Undecided> {
    if c.op.family == Family::Null {
        return Err(Undecided::AbsentOrPresent);
    }
    let super::Values::Str(vals) = &c.values else {
        return Err(Undecided::AbsentOrPresent);
    };
    let excluded: Vec<Vec<Tok>> = excluded.iter().map(|e| wildcard::compile(e)).collect();
    let covered = vals
        .iter()
        .all(|pv| value_covered(c.op.family, pv, &excluded, ctx));
    if !covered {
        return Err(Undecided::NotCovered);
    }
    // No request value can match: decide by the operator's answer when absent and when present
    // with only non-matching values.
    let (absent, present) = match (c.op.set, c.op.negated) {
        (None, false) => (c.op.if_exists, false),
        (None, true) => (true, true),
        (Some(SetOp::ForAnyValue), false) => (false, false),
        (Some(SetOp::ForAnyValue), true) => (false, true),
        (Some(SetOp::ForAllValues), false) => (true, false),
        (Some(SetOp::ForAllValues), true) => (true, true),
    };
    if absent == present {
        Ok(absent)
    } else {
        Err(Undecided::AbsentOrPresent)
    }
}

/// Is every string the policy value matches (under `family`) inside the excluded set?
fn value_covered(family: Family, pv: &StrValue, excluded: &[Vec<Tok>], ctx: &Context) -> bool {
    let ignore_case = family == Family::StringEqualsIgnoreCase;
    // The value as the operator reads it: exact operators take `*`/`?` literally.
    let toks: Vec<Tok> = match family {
        Family::StringEquals | Family::StringEqualsIgnoreCase => {
            let s = if pv.template.is_plain() {
                pv.template.raw.clone()
            } else {
                match pv.template.resolve_string(ctx) {
                    Resolved::Value(s) => s,
                    // "a null value matches nothing": nothing outside the exclusion either.
                    Resolved::Null { .. } => return true,
                    Resolved::Unknown { .. } => return false,
                }
            };
            let mut out = Vec::with_capacity(s.len());
            wildcard::literal(&s, &mut out);
            out
        }
        _ => match pv.compiled() {
            Some(t) => t.to_vec(),
            None => match pv.template.resolve_pattern(ctx) {
                Resolved::Value(t) => t,
                Resolved::Null { .. } => return true,
                Resolved::Unknown { .. } => return false,
            },
        },
    };
    // ArnLike with an `arn:` pattern matches a subset of what the same pattern matches as a
    // plain wildcard (segments only add constraints), so plain inclusion is enough.
    excluded.iter().any(|e| included(&toks, e, ignore_case))
}

/// Sound (not complete) test that every string matched by pattern `p` is matched by pattern
/// `e`: `e` must match `p` read as a string of symbols, where `e`'s `*` absorbs any run of
/// `p`'s symbols (wildcards included), `e`'s `?` absorbs one `p` character or `?`, and `e`'s
/// literals match only the same literal of `p`. Under `ignore_case` (the policy value matches
/// every letter case), a literal letter of `p` must be absorbed by a wildcard of `e`; non-ASCII
/// text there is never counted as covered.
pub fn included(p: &[Tok], e: &[Tok], ignore_case: bool) -> bool {
    if ignore_case && p.iter().any(|t| matches!(t, Tok::Lit(b) if !b.is_ascii())) {
        return false;
    }
    // Dynamic programming over (position in e, position in p): small inputs, no recursion.
    let (n, m) = (e.len(), p.len());
    let mut reach = vec![vec![false; m + 1]; n + 1];
    reach[0][0] = true;
    for i in 0..=n {
        for j in 0..=m {
            if !reach[i][j] {
                continue;
            }
            match e.get(i) {
                Some(Tok::Star) => {
                    // Absorb nothing, or one more symbol of p.
                    reach[i + 1][j] = true;
                    if j < m {
                        reach[i][j + 1] = true;
                    }
                }
                Some(Tok::One) => {
                    // One character of p: a `?`, or one ASCII literal (a non-ASCII character
                    // spans several bytes; not counted, to stay sound).
                    match p.get(j) {
                        Some(Tok::One) => reach[i + 1][j + 1] = true,
                        Some(Tok::Lit(b)) if b.is_ascii() => reach[i + 1][j + 1] = true,
                        _ => {}
                    }
                }
                Some(Tok::Lit(c)) => {
                    if let Some(Tok::Lit(d)) = p.get(j) {
                        let letter = ignore_case && d.is_ascii_alphabetic();
                        if c == d && !letter {
                            reach[i + 1][j + 1] = true;
                        }
                    }
                }
                None => {}
            }
        }
    }
    reach[n][m]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc(p: &str, e: &str) -> bool {
        included(&wildcard::compile(p), &wildcard::compile(e), false)
    }

    #[test]
    fn inclusion_is_sound_on_wildcards() {
        assert!(inc("o-ours", "o-ours"));
        assert!(inc("o-ours/r-x/*", "o-ours/*"));
        assert!(inc("o-ours/r-?/*", "o-ours/*"));
        assert!(inc("o-ours/*", "o-ours/*"));
        assert!(!inc("o-ours*", "o-ours/*"), "o-oursX is outside");
        assert!(!inc("o-*", "o-ours/*"));
        assert!(!inc("*", "o-ours"));
        assert!(!inc("o-ours", "o-ours/*"));
        assert!(!inc("o-other", "o-ours"));
        assert!(inc("ab", "a?"));
        assert!(!inc("a*", "a?"));
        assert!(inc("a?", "a*"));
    }

    #[test]
    fn ignore_case_needs_wildcards_over_letters() {
        let lit = |s: &str| {
            let mut v = Vec::new();
            wildcard::literal(s, &mut v);
            v
        };
        assert!(!included(
            &lit("o-ours"),
            &wildcard::compile("o-ours"),
            true
        ));
        assert!(included(&lit("o-ours"), &wildcard::compile("*"), true));
        assert!(included(&lit("12-34"), &wildcard::compile("12-34"), true));
    }
}
