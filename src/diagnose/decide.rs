//! The primary cause among the policy layers, in FINDINGS.md's order, and the rest as `also`.
//!
//! Input is a per-layer view of the engine's answer ([`LayerView`]), so that this rule, the
//! one the contract pins down word by word, is testable on its own:
//! - an explicit Deny anywhere wins; among several, the first of rcp, scp, vpc_endpoint,
//!   resource, identity, permissions_boundary, session_policy;
//! - else the first implicit deny in the order rcp, scp, vpc_endpoint, missing_allow
//!   (same account: neither identity nor resource allows; cross-account: the caller's side,
//!   then the bucket policy), permissions_boundary, session_policy;
//! - every other failing layer goes to `also`.
//!
//! A layer whose result the snapshot cannot give (`Unknown`) never becomes a cause. A definite
//! failure elsewhere is still reported (AWS denies whatever the unknown layer says), but when
//! nothing definite fails and a layer is unknown, the answer is `unknown` with the missing
//! input as the reason.

use crate::findings::{AlsoFailing, DenyType, PolicyType, RootCause};
use crate::policy::{Decision, Layer};

/// One layer of the engine's answer, as the diagnosis needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerView {
    pub layer: Layer,
    pub decision: Decision,
    /// The deciding policy: the Deny's policy for an explicit deny; for an implicit deny the
    /// policy (or org level) that lacks the Allow, when there is one.
    pub policy_id: Option<String>,
    /// `Sid` or `#N` of the deciding Deny statement (explicit denies only).
    pub statement: Option<String>,
    /// What the snapshot or record lacks, when `decision` is `Unknown`.
    pub unknown: Option<String>,
}

/// The request's relation to the bucket, which decides how identity and resource combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parties {
    /// Caller and bucket in one account: identity and bucket policy grants are a union.
    SameAccount,
    /// Caller in another account: both sides must allow.
    CrossAccount,
    /// Unauthenticated caller: only the bucket policy (or an ACL) can grant.
    Anonymous,
    /// The bucket owner is unknown (redacted and not in the snapshot).
    Unknown,
}

/// The policy-layer verdict: the primary failing layer (if any) and the others.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyVerdict {
    pub primary: Option<Cause>,
    pub also: Vec<Cause>,
    /// Set when no definite failure was found but some layer is unknown: what is missing.
    pub unknown: Vec<String>,
    /// Every layer definitely allows (or does not apply): the S3 rules come into question.
    pub all_allow: bool,
}

/// One failing layer, in the contract's words.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    pub root_cause: RootCause,
    pub deny_type: Option<DenyType>,
    pub policy_type: Option<PolicyType>,
    pub policy_id: Option<String>,
    pub statement_sid: Option<String>,
    /// The engine layer this came from (for `explain` and the reason text).
    pub layer: Option<Layer>,
}

impl Cause {
    pub fn also(&self) -> AlsoFailing {
        AlsoFailing {
            root_cause: self.root_cause,
            deny_type: self.deny_type,
            policy_type: self.policy_type,
            policy_id: self.policy_id.clone(),
        }
    }
}

/// Explicit-deny order of FINDINGS.md.
const EXPLICIT_ORDER: [Layer; 7] = [
    Layer::Rcp,
    Layer::Scp,
    Layer::VpcEndpoint,
    Layer::Resource,
    Layer::Identity,
    Layer::PermissionsBoundary,
    Layer::SessionPolicy,
];

pub fn policy_type(layer: Layer) -> PolicyType {
    match layer {
        Layer::Rcp => PolicyType::Rcp,
        Layer::Scp => PolicyType::Scp,
        Layer::VpcEndpoint => PolicyType::VpcEndpoint,
        Layer::Resource => PolicyType::Resource,
        Layer::Identity => PolicyType::Identity,
        Layer::PermissionsBoundary => PolicyType::PermissionsBoundary,
        Layer::SessionPolicy => PolicyType::SessionPolicy,
    }
}

fn cause_word(layer: Layer) -> RootCause {
    match layer {
        Layer::Rcp => RootCause::Rcp,
        Layer::Scp => RootCause::Scp,
        Layer::VpcEndpoint => RootCause::VpcEndpoint,
        Layer::Resource | Layer::Identity => RootCause::ExplicitDeny,
        Layer::PermissionsBoundary => RootCause::PermissionsBoundary,
        Layer::SessionPolicy => RootCause::SessionPolicy,
    }
}

fn explicit(v: &LayerView) -> Cause {
    Cause {
        root_cause: cause_word(v.layer),
        deny_type: Some(DenyType::Explicit),
        policy_type: Some(policy_type(v.layer)),
        policy_id: v.policy_id.clone(),
        statement_sid: v.statement.clone(),
        layer: Some(v.layer),
    }
}

fn implicit(v: &LayerView, root_cause: RootCause) -> Cause {
    Cause {
        root_cause,
        deny_type: Some(DenyType::Implicit),
        policy_type: Some(policy_type(v.layer)),
        policy_id: v.policy_id.clone(),
        statement_sid: None,
        layer: Some(v.layer),
    }
}

/// Decides the primary policy cause. `engine_allows` is the engine's overall decision
/// (`Some(true)` allow, `Some(false)` deny, `None` unknown): it encodes AWS's same-account
/// special cases (a bucket policy naming the user or session ARN is not limited by the
/// boundary), which the per-layer view alone cannot.
pub fn decide(
    layers: &[LayerView],
    parties: Parties,
    engine_allows: Option<bool>,
) -> PolicyVerdict {
    let get = |l: Layer| layers.iter().find(|v| v.layer == l);
    let dec = |l: Layer| {
        get(l)
            .map(|v| v.decision)
            .unwrap_or(Decision::NotApplicable)
    };

    let mut failing: Vec<Cause> = Vec::new();
    // 1. Explicit denies, in order.
    for l in EXPLICIT_ORDER {
        if let Some(v) = get(l) {
            if v.decision == Decision::ExplicitDeny {
                failing.push(explicit(v));
            }
        }
    }
    let explicit_count = failing.len();

    // 2. Implicit denies, in order; identity/resource combine per the parties.
    let mut implicit_failing: Vec<Cause> = Vec::new();
    for l in [Layer::Rcp, Layer::Scp, Layer::VpcEndpoint] {
        if let Some(v) = get(l) {
            if v.decision == Decision::ImplicitDeny {
                implicit_failing.push(implicit(v, cause_word(l)));
            }
        }
    }
    let id = dec(Layer::Identity);
    let res = dec(Layer::Resource);
    let lacks = |d: Decision| d == Decision::ImplicitDeny;
    match parties {
        Parties::SameAccount => {
            // Union: missing only when neither side allows (and neither is unknown).
            if lacks(id) && (lacks(res) || res == Decision::NotApplicable) {
                if let Some(v) = get(Layer::Identity) {
                    implicit_failing.push(implicit(v, RootCause::MissingAllow));
                }
            }
        }
        Parties::CrossAccount | Parties::Unknown => {
            if lacks(id) {
                if let Some(v) = get(Layer::Identity) {
                    implicit_failing.push(implicit(v, RootCause::MissingAllow));
                }
            }
            if lacks(res) || (res == Decision::NotApplicable && parties == Parties::CrossAccount) {
                if let Some(v) = get(Layer::Resource) {
                    implicit_failing.push(implicit(v, RootCause::MissingAllow));
                }
            }
        }
        Parties::Anonymous => {
            if lacks(res) || res == Decision::NotApplicable {
                if let Some(v) = get(Layer::Resource) {
                    implicit_failing.push(implicit(v, RootCause::MissingAllow));
                }
            }
        }
    }
    for l in [Layer::PermissionsBoundary, Layer::SessionPolicy] {
        if let Some(v) = get(l) {
            if v.decision == Decision::ImplicitDeny {
                implicit_failing.push(implicit(v, cause_word(l)));
            }
        }
    }
    // The engine's overall answer wins over the per-layer view for implicit denies: when it
    // allows, an implicit deny in the boundary was overridden by a session-ARN grant, etc.
    if engine_allows == Some(true) && explicit_count == 0 {
        implicit_failing.clear();
    }
    failing.extend(implicit_failing);

    let unknown: Vec<String> = layers
        .iter()
        .filter(|v| v.decision == Decision::Unknown)
        .map(|v| {
            v.unknown
                .clone()
                .unwrap_or_else(|| format!("{} layer", policy_type(v.layer).as_str()))
        })
        .collect();
    let all_allow = failing.is_empty() && unknown.is_empty() && engine_allows != Some(false);
    let mut it = failing.into_iter();
    let primary = it.next();
    PolicyVerdict {
        primary,
        also: it.collect(),
        unknown,
        all_allow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(layer: Layer, decision: Decision, id: &str, sid: Option<&str>) -> LayerView {
        LayerView {
            layer,
            decision,
            policy_id: Some(id.to_owned()),
            statement: sid.map(str::to_owned),
            unknown: None,
        }
    }

    /// IAM evaluation logic: an explicit deny in any policy wins; FINDINGS.md names the SCP
    /// before the identity policy when both deny explicitly.
    #[test]
    fn explicit_deny_order_scp_before_identity() {
        let layers = [
            lv(
                Layer::Identity,
                Decision::ExplicitDeny,
                "arn:aws:iam::1:policy/p",
                Some("DenyAll"),
            ),
            lv(Layer::Scp, Decision::ExplicitDeny, "p-123", Some("NoS3")),
            lv(Layer::Resource, Decision::Allow, "bucket-policy:b", None),
        ];
        let v = decide(&layers, Parties::SameAccount, Some(false));
        let p = v.primary.unwrap();
        assert_eq!(p.root_cause, RootCause::Scp);
        assert_eq!(p.statement_sid.as_deref(), Some("NoS3"));
        assert_eq!(v.also.len(), 1);
        assert_eq!(v.also[0].root_cause, RootCause::ExplicitDeny);
        assert_eq!(v.also[0].policy_type, Some(PolicyType::Identity));
    }

    /// An explicit deny beats an implicit deny earlier in the order.
    #[test]
    fn explicit_boundary_deny_beats_implicit_scp() {
        let layers = [
            lv(Layer::Scp, Decision::ImplicitDeny, "ou-1", None),
            lv(
                Layer::PermissionsBoundary,
                Decision::ExplicitDeny,
                "arn:b",
                Some("D"),
            ),
            lv(Layer::Identity, Decision::Allow, "arn:i", None),
        ];
        let v = decide(&layers, Parties::SameAccount, Some(false));
        assert_eq!(
            v.primary.unwrap().root_cause,
            RootCause::PermissionsBoundary
        );
        assert_eq!(v.also[0].root_cause, RootCause::Scp);
    }

    /// Same account: identity and bucket policy grants are a union.
    #[test]
    fn same_account_union_resource_grant_suffices() {
        let layers = [
            lv(Layer::Identity, Decision::ImplicitDeny, "arn:u", None),
            lv(Layer::Resource, Decision::Allow, "bucket-policy:b", None),
        ];
        let v = decide(&layers, Parties::SameAccount, Some(true));
        assert!(v.primary.is_none());
        assert!(v.all_allow);
    }

    /// Cross-account: both sides must allow; the caller's side comes first.
    #[test]
    fn cross_account_both_sides_must_allow() {
        let layers = [
            lv(Layer::Identity, Decision::Allow, "arn:u", None),
            lv(
                Layer::Resource,
                Decision::ImplicitDeny,
                "bucket-policy:b",
                None,
            ),
        ];
        let v = decide(&layers, Parties::CrossAccount, Some(false));
        let p = v.primary.unwrap();
        assert_eq!(p.root_cause, RootCause::MissingAllow);
        assert_eq!(p.policy_type, Some(PolicyType::Resource));
    }

    #[test]
    fn unknown_layer_is_never_a_cause() {
        let mut u = lv(Layer::SessionPolicy, Decision::Unknown, "", None);
        u.unknown = Some("session policy of access key ASIA1".into());
        let layers = [lv(Layer::Identity, Decision::Allow, "arn:u", None), u];
        let v = decide(&layers, Parties::SameAccount, None);
        assert!(v.primary.is_none());
        assert!(!v.all_allow);
        assert_eq!(
            v.unknown,
            vec!["session policy of access key ASIA1".to_owned()]
        );
    }
}
