//! One policy layer's evaluation: its trace ([`LayerTrace`], what `explain` shows) and its
//! tri-state verdict ([`Eval`]), for a layer of unioned policies ([`flat`]), an organization
//! layer whose every level must allow ([`org`]), a layer the snapshot cannot give
//! ([`unknown`]), and the forms of a resource policy's grants ([`grants`]). `authorize.rs`
//! combines the layers in AWS's order; `access_point.rs` builds its layer from the same
//! pieces. Neither is imported here.

use super::evaluate::{self, Env, PolicyTrace, Verdict};
use super::principal::Form;
use super::tri::Tri;
use super::types::{Decision, Known, Layer, OrgLevel, StatementRef};
use super::PolicyRef;
use serde::Serialize;

/// One organization level (root, OU, account) of an SCP or RCP layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LevelTrace {
    pub target_id: String,
    pub decision: Decision,
    pub policies: Vec<PolicyTrace>,
}

/// One layer's own result and the statements behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerTrace {
    pub layer: Layer,
    pub decision: Decision,
    /// Why the layer is `Unknown` when the snapshot lacks it (from [`Known::Unknown`]).
    pub missing: Option<String>,
    /// The layer's policies (for SCP/RCP: empty, see `levels`).
    pub policies: Vec<PolicyTrace>,
    /// SCP/RCP levels, root first.
    pub levels: Vec<LevelTrace>,
    pub matched_deny: Vec<StatementRef>,
    pub matched_allow: Vec<StatementRef>,
    /// Resource layer: the strongest principal form among applicable Allow statements.
    pub grant_form: Option<Form>,
    /// Anything a reader should know about how the layer was treated.
    pub note: Option<String>,
}

/// Per-layer intermediate: Deny/Allow applicability as tri-states.
pub(super) struct Eval {
    pub(super) trace: LayerTrace,
    pub(super) v: Verdict,
}

pub(super) fn empty(layer: Layer, decision: Decision) -> LayerTrace {
    LayerTrace {
        layer,
        decision,
        missing: None,
        policies: Vec::new(),
        levels: Vec::new(),
        matched_deny: Vec::new(),
        matched_allow: Vec::new(),
        grant_form: None,
        note: None,
    }
}

pub(super) fn decide(v: Verdict) -> Decision {
    match (v.deny, v.allow) {
        (Tri::Yes, _) => Decision::ExplicitDeny,
        (Tri::No, Tri::Yes) => Decision::Allow,
        (Tri::No, Tri::No) => Decision::ImplicitDeny,
        _ => Decision::Unknown,
    }
}

fn matched(policies: &[PolicyTrace], deny: bool) -> Vec<StatementRef> {
    policies
        .iter()
        .flat_map(|p| &p.statements)
        .filter(|s| s.applies == Tri::Yes && (s.effect == super::parse::Effect::Deny) == deny)
        .map(|s| s.statement.clone())
        .collect()
}

pub(super) const NA: Verdict = Verdict {
    deny: Tri::No,
    allow: Tri::Yes,
};
pub(super) const UNKNOWN: Verdict = Verdict {
    deny: Tri::Unknown,
    allow: Tri::Unknown,
};

/// A layer made of policies whose statements are unioned.
pub(super) fn flat(layer: Layer, policies: Option<&[PolicyRef]>, env: &Env) -> Eval {
    let Some(policies) = policies else {
        return Eval {
            trace: empty(layer, Decision::NotApplicable),
            v: NA,
        };
    };
    let traces: Vec<PolicyTrace> = policies.iter().map(|p| evaluate::policy(p, env)).collect();
    let v = Verdict::of(&traces);
    let mut trace = empty(layer, decide(v));
    trace.matched_deny = matched(&traces, true);
    trace.matched_allow = matched(&traces, false);
    trace.policies = traces;
    Eval { trace, v }
}

pub(super) fn unknown(layer: Layer, why: &str) -> Eval {
    let mut trace = empty(layer, Decision::Unknown);
    trace.missing = Some(why.to_owned());
    Eval { trace, v: UNKNOWN }
}

/// SCP/RCP: an explicit Deny at any level denies; every level needs an Allow.
pub(super) fn org(layer: Layer, levels: &Known<Option<Vec<OrgLevel>>>, env: &Env) -> Eval {
    let levels = match levels {
        Known::Unknown(why) => return unknown(layer, why),
        Known::Known(None) => {
            return Eval {
                trace: empty(layer, Decision::NotApplicable),
                v: NA,
            }
        }
        Known::Known(Some(l)) => l,
    };
    let mut v = Verdict {
        deny: Tri::No,
        allow: Tri::Yes,
    };
    let mut out = Vec::with_capacity(levels.len());
    let mut trace = empty(layer, Decision::Unknown);
    for level in levels {
        let traces: Vec<PolicyTrace> = level
            .policies
            .iter()
            .map(|p| evaluate::policy(p, env))
            .collect();
        let mut lv = Verdict::of(&traces);
        // A policy that may be attached here decides nothing for sure: what it would deny or
        // allow is only possible. A policy here whose content is unknown may do either.
        let maybe: Vec<PolicyTrace> = level
            .maybe
            .iter()
            .map(|p| evaluate::policy(p, env))
            .collect();
        let mv = Verdict::of(&maybe);
        let possible = |t: Tri| if t == Tri::No { Tri::No } else { Tri::Unknown };
        lv.deny = lv.deny.or(possible(mv.deny));
        lv.allow = lv.allow.or(possible(mv.allow));
        let mut missing: Vec<String> = level.unknown.clone();
        if !level.unknown.is_empty() {
            lv.deny = lv.deny.or(Tri::Unknown);
            lv.allow = lv.allow.or(Tri::Unknown);
        }
        if mv.deny != Tri::No || mv.allow != Tri::No {
            missing.extend(level.maybe.iter().map(|p| {
                format!(
                    "{} may be attached on this path (its organization/targets/ file was not captured)",
                    p.id
                )
            }));
        }
        for why in missing {
            // Said once however many levels it concerns.
            trace.missing = Some(match trace.missing.take() {
                Some(m) if m.split("; ").any(|w| w == why) => m,
                Some(m) => format!("{m}; {why}"),
                None => why,
            });
        }
        v.deny = v.deny.or(lv.deny);
        v.allow = v.allow.and(lv.allow);
        trace.matched_deny.extend(matched(&traces, true));
        trace.matched_allow.extend(matched(&traces, false));
        out.push(LevelTrace {
            target_id: level.target_id.clone(),
            decision: decide(lv),
            policies: traces.into_iter().chain(maybe).collect(),
        });
    }
    trace.decision = decide(v);
    trace.levels = out;
    Eval { trace, v }
}

pub(super) fn known_single(k: &Known<Option<PolicyRef>>) -> Result<Option<&[PolicyRef]>, &str> {
    match k {
        Known::Unknown(why) => Err(why),
        Known::Known(None) => Ok(None),
        Known::Known(Some(p)) => Ok(Some(std::slice::from_ref(p))),
    }
}

pub(super) fn layer_from(layer: Layer, k: Result<Option<&[PolicyRef]>, &str>, env: &Env) -> Eval {
    match k {
        Err(why) => unknown(layer, why),
        Ok(p) => flat(layer, p, env),
    }
}

/// The resource policy's Allow statements by the form of their principal match.
pub(super) struct Grants {
    pub(super) alone: Tri,
    /// `Principal: "*"`.
    pub(super) wildcard: Tri,
    pub(super) role: Tri,
    pub(super) account: Tri,
}

pub(super) fn grants(e: &Eval) -> Grants {
    let mut g = Grants {
        alone: Tri::No,
        wildcard: Tri::No,
        role: Tri::No,
        account: Tri::No,
    };
    if e.trace.missing.is_some() {
        return Grants {
            alone: Tri::Unknown,
            wildcard: Tri::Unknown,
            role: Tri::Unknown,
            account: Tri::Unknown,
        };
    }
    for s in e.trace.policies.iter().flat_map(|p| &p.statements) {
        if s.effect != super::parse::Effect::Allow || s.applies == Tri::No {
            continue;
        }
        // A resource policy statement without a principal cannot grant (AWS requires one);
        // treat it as naming nobody.
        match s.principal_form {
            Some(f) if f.stands_alone() => g.alone = g.alone.or(s.applies),
            Some(Form::Wildcard) => g.wildcard = g.wildcard.or(s.applies),
            Some(Form::Role) => g.role = g.role.or(s.applies),
            Some(Form::Account) => g.account = g.account.or(s.applies),
            _ => {}
        }
    }
    g
}
