//! Statement- and policy-level evaluation with a trace: does each statement apply to the
//! request (`Yes`/`No`/`Unknown`), and if not, why (fixed codes, as iam-simulate's
//! `statementExplain`). Knows nothing of layers; `authorize` combines the results.
//!
//! A statement applies when its action, resource, principal and every condition match
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html).
//! Evaluation short-circuits on the first definite mismatch, which is the reason reported.

use super::condition::{self, CondFailure};
use super::parse::{Effect, Elem, Policy, Statement};
use super::principal::{self, Form};
use super::tri::Tri;
use super::types::{Context, Request, StatementRef};
use super::variables::Resolved;
use super::wildcard;
use serde::Serialize;

/// Why a statement does not (or may not) apply. Fixed codes for machines (`code`), fields for
/// people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Mismatch {
    ActionNotMatched,
    ResourceNotMatched,
    /// A variable in `Resource` reads a key the engine does not know.
    ResourceVariableUnknown {
        variable: String,
    },
    PrincipalNotMatched,
    /// The caller's identity is not known well enough (ARN hidden by CloudTrail, or AWS's
    /// `NotPrincipal` text allows two readings).
    PrincipalUnknown,
    /// A condition evaluated to false; `request` is `None` when the key was absent.
    ConditionFailed {
        op: String,
        key: String,
        policy_values: Vec<String>,
        request: Option<Vec<String>>,
    },
    /// The key is known only not to match `excluded` (absent, or another value), and the
    /// policy's values all lie inside that exclusion: the condition is false either way.
    ConditionFailedNotMatching {
        op: String,
        key: String,
        policy_values: Vec<String>,
        excluded: Vec<String>,
    },
    /// The request's value of the key is unknown.
    KeyUnknown {
        op: String,
        key: String,
    },
    /// The key is known only not to match `excluded`, which does not decide the condition
    /// (`covered`: see [`CondFailure::ExcludedUndecided`]).
    KeyNotMatchingUndecided {
        op: String,
        key: String,
        excluded: Vec<String>,
        covered: bool,
    },
    /// A policy variable in the condition values reads an unknown key.
    VariableUnknown {
        op: String,
        key: String,
        variable: String,
    },
}

impl From<CondFailure> for Mismatch {
    fn from(c: CondFailure) -> Mismatch {
        match c {
            CondFailure::Failed {
                op,
                key,
                policy_values,
                request,
            } => Mismatch::ConditionFailed {
                op,
                key,
                policy_values,
                request,
            },
            CondFailure::FailedExcluded {
                op,
                key,
                policy_values,
                excluded,
            } => Mismatch::ConditionFailedNotMatching {
                op,
                key,
                policy_values,
                excluded,
            },
            CondFailure::KeyUnknown { op, key } => Mismatch::KeyUnknown { op, key },
            CondFailure::ExcludedUndecided {
                op,
                key,
                excluded,
                covered,
            } => Mismatch::KeyNotMatchingUndecided {
                op,
                key,
                excluded,
                covered,
            },
            CondFailure::VariableUnknown { op, key, variable } => {
                Mismatch::VariableUnknown { op, key, variable }
            }
        }
    }
}

impl Mismatch {
    /// What input is missing, for a `Unknown` verdict's reason; `None` for definite mismatches.
    pub fn missing(&self) -> Option<String> {
        match self {
            Mismatch::ResourceVariableUnknown { variable } => {
                Some(format!("context key `{variable}`"))
            }
            Mismatch::PrincipalUnknown => Some("the caller's exact identity".to_owned()),
            Mismatch::KeyUnknown { key, .. } => Some(format!("context key `{key}`")),
            Mismatch::KeyNotMatchingUndecided { key, excluded, .. } => Some(format!(
                "context key `{key}` (known only not to match {excluded:?})"
            )),
            Mismatch::VariableUnknown { variable, .. } => Some(format!("context key `{variable}`")),
            _ => None,
        }
    }
}

/// One statement's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementTrace {
    pub statement: StatementRef,
    pub effect: Effect,
    /// `Yes`: the statement applies to the request.
    pub applies: Tri,
    /// Empty when it applies; else the deciding mismatch, or every unknown when `Unknown`.
    pub why: Vec<Mismatch>,
    /// For statements with a `Principal`: the strongest form that matched the caller.
    pub principal_form: Option<Form>,
}

/// One policy's statements, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyTrace {
    pub policy_id: String,
    pub statements: Vec<StatementTrace>,
}

/// What every statement evaluation needs from the request, computed once.
pub struct Env<'a> {
    pub req: &'a Request,
    pub action_lc: String,
    /// Whether the caller has a permissions boundary (AWS: `NotPrincipal` with `Deny` always
    /// denies a principal that has one).
    pub has_boundary: Tri,
    /// Statements must name a principal to apply (resource-based policies: "You must use the
    /// `Principal` element in resource-based policies"); a statement without one applies to
    /// nobody, Allow or Deny.
    pub principal_required: bool,
}

impl<'a> Env<'a> {
    pub fn new(req: &'a Request, has_boundary: Tri) -> Env<'a> {
        Env {
            req,
            action_lc: req.action.to_ascii_lowercase(),
            has_boundary,
            principal_required: false,
        }
    }

    /// The same request, for a layer whose statements must name a principal.
    pub fn requiring_principal(&self) -> Env<'a> {
        Env {
            req: self.req,
            action_lc: self.action_lc.clone(),
            has_boundary: self.has_boundary,
            principal_required: true,
        }
    }
    fn ctx(&self) -> &Context {
        &self.req.context
    }
}

fn resource_matches(e: &Elem<condition::StrValue>, env: &Env) -> (Tri, Option<Mismatch>) {
    let (vals, negated) = match e {
        Elem::Is(v) => (v, false),
        Elem::Not(v) => (v, true),
    };
    let mut acc = Tri::No;
    let mut unknown = None;
    for v in vals {
        let t = match v.compiled() {
            Some(toks) => Tri::from_bool(wildcard::arn_matches(toks, &env.req.resource)),
            None => match v.template.resolve_pattern(env.ctx()) {
                Resolved::Value(toks) => {
                    Tri::from_bool(wildcard::arn_matches(&toks, &env.req.resource))
                }
                Resolved::Null { .. } => Tri::No,
                Resolved::Unknown { key } => {
                    unknown.get_or_insert(key);
                    Tri::Unknown
                }
            },
        };
        acc = acc.or(t);
        if acc == Tri::Yes {
            break;
        }
    }
    let r = if negated { acc.not() } else { acc };
    match r {
        Tri::Yes => (Tri::Yes, None),
        Tri::No => (Tri::No, Some(Mismatch::ResourceNotMatched)),
        Tri::Unknown => (
            Tri::Unknown,
            Some(Mismatch::ResourceVariableUnknown {
                variable: unknown.unwrap_or_default(),
            }),
        ),
    }
}

/// Evaluates one statement against the request.
pub fn statement(st: &Statement, env: &Env) -> StatementTrace {
    let mut trace = StatementTrace {
        statement: st.sref.clone(),
        effect: st.effect,
        applies: Tri::Yes,
        why: Vec::new(),
        principal_form: None,
    };
    let no = |mut t: StatementTrace, m: Mismatch| {
        t.applies = Tri::No;
        t.why.clear();
        t.why.push(m);
        t
    };
    let action_ok = match &st.action {
        Elem::Is(v) => v.iter().any(|a| a.matches(&env.action_lc)),
        Elem::Not(v) => !v.iter().any(|a| a.matches(&env.action_lc)),
    };
    if !action_ok {
        return no(trace, Mismatch::ActionNotMatched);
    }
    if let Some(r) = &st.resource {
        match resource_matches(r, env) {
            (Tri::No, Some(m)) => return no(trace, m),
            (Tri::Unknown, Some(m)) => {
                trace.applies = Tri::Unknown;
                trace.why.push(m);
            }
            _ => {}
        }
    }
    if st.principal.is_none() && env.principal_required {
        return no(trace, Mismatch::PrincipalNotMatched);
    }
    if let Some(p) = &st.principal {
        let (t, form) = match p {
            Elem::Is(entries) => principal::match_principal(entries, &env.req.principal),
            Elem::Not(entries) => {
                let t = principal::match_not_principal(
                    entries,
                    &env.req.principal,
                    st.effect == Effect::Deny,
                );
                // AWS: "The NotPrincipal element with a Deny effect will always deny any IAM
                // principal that has a permissions boundary policy attached, regardless of
                // the values specified" (access_policies_boundaries).
                let t = if st.effect == Effect::Deny {
                    t.or(env.has_boundary)
                } else {
                    t
                };
                (t, Some(Form::Exact))
            }
        };
        trace.principal_form = form;
        match t {
            Tri::No => return no(trace, Mismatch::PrincipalNotMatched),
            Tri::Unknown => {
                trace.applies = Tri::Unknown;
                trace.why.push(Mismatch::PrincipalUnknown);
            }
            Tri::Yes => {}
        }
    }
    for c in &st.conditions {
        match condition::evaluate(c, env.ctx()) {
            (Tri::Yes, _) => {}
            (Tri::No, f) => {
                let m = f.map(Mismatch::from).unwrap_or(Mismatch::ConditionFailed {
                    op: c.op.name.clone(),
                    key: c.key.clone(),
                    policy_values: c.raw.clone(),
                    request: None,
                });
                return no(trace, m);
            }
            (Tri::Unknown, f) => {
                trace.applies = Tri::Unknown;
                if let Some(f) = f {
                    trace.why.push(f.into());
                }
            }
        }
    }
    trace
}

/// Evaluates every statement of a policy.
pub fn policy(p: &Policy, env: &Env) -> PolicyTrace {
    PolicyTrace {
        policy_id: p.id.clone(),
        statements: p.statements.iter().map(|s| statement(s, env)).collect(),
    }
}

/// The union of some policies' statements: is there an applicable Deny, an applicable Allow?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub deny: Tri,
    pub allow: Tri,
}

impl Verdict {
    pub fn of<'a>(traces: impl IntoIterator<Item = &'a PolicyTrace>) -> Verdict {
        let mut v = Verdict {
            deny: Tri::No,
            allow: Tri::No,
        };
        for t in traces {
            for s in &t.statements {
                match s.effect {
                    Effect::Deny => v.deny = v.deny.or(s.applies),
                    Effect::Allow => v.allow = v.allow.or(s.applies),
                }
            }
        }
        v
    }
}
