//! The primary cause among the policy layers, in FINDINGS.md's order, and the rest as `also`.
//!
//! Input is the engine's blockers (the layers that stop the request, after AWS's same-account
//! union and its special cases) as [`LayerView`]s, so that this rule, the one the contract
//! pins down word by word, is testable on its own:
//! - an explicit Deny anywhere wins; among several, the first of rcp, scp, vpc_endpoint,
//!   access_point, resource, identity, permissions_boundary, session_policy;
//! - else the first implicit deny in the order rcp, scp, vpc_endpoint, access_point,
//!   missing_allow
//!   (same account: neither identity nor resource allows; cross-account: the caller's side,
//!   then the bucket policy), permissions_boundary, session_policy;
//! - every other failing layer goes to `also`.
//!
//! The order itself is the engine's vocabulary ([`Layer::primary_rank`] in `src/policy`), so
//! that [`Evaluation::primary_blocker`] and this decision cannot disagree.
//!
//! A layer whose result the snapshot cannot give (`Unknown`) never becomes a cause. A definite
//! failure elsewhere is still reported (AWS denies whatever the unknown layer says), but when
//! nothing definite fails and a layer is unknown, the answer is `unknown` with the missing
//! input as the reason.

pub use super::cause::Cause;
use super::cause::Fix;
use crate::findings::{DenyType, PolicyType, RootCause};
use crate::policy::{Decision, Evaluation, Layer, Request};

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
    /// Access point layer: why its network origin refused the request.
    pub network: Option<String>,
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

pub fn policy_type(layer: Layer) -> PolicyType {
    match layer {
        Layer::Rcp => PolicyType::Rcp,
        Layer::Scp => PolicyType::Scp,
        Layer::VpcEndpoint => PolicyType::VpcEndpoint,
        Layer::AccessPoint => PolicyType::AccessPoint,
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
        Layer::AccessPoint => RootCause::AccessPoint,
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
        detail: String::new(),
        fix: Fix::Standard,
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
        detail: String::new(),
        fix: Fix::Standard,
    }
}

/// Decides the primary policy cause from the engine's blockers (the layers that stop the
/// request, each `ExplicitDeny` or `ImplicitDeny`; the engine has already applied AWS's
/// same-account union and its special cases, so only failing layers arrive here).
/// `allowed` is the engine's overall answer (`Some(true)` allowed whatever the unknowns,
/// `Some(false)` denied whatever the unknowns, `None` unknown); `unknowns` says what is
/// missing when it is unknown.
pub fn decide(blockers: &[LayerView], allowed: Option<bool>, unknowns: &[String]) -> PolicyVerdict {
    let mut sorted: Vec<&LayerView> = blockers
        .iter()
        .filter(|b| matches!(b.decision, Decision::ExplicitDeny | Decision::ImplicitDeny))
        .collect();
    // FINDINGS.md's order, as the engine states it (`Layer::primary_rank`).
    sorted.sort_by_key(|b| b.layer.primary_rank(b.decision));
    let failing: Vec<Cause> = sorted
        .into_iter()
        .map(|b| {
            if b.decision == Decision::ExplicitDeny {
                explicit(b)
            } else {
                let word = match b.layer {
                    Layer::Identity | Layer::Resource => RootCause::MissingAllow,
                    l => cause_word(l),
                };
                let mut c = implicit(b, word);
                if let Some(why) = &b.network {
                    c.fix = Fix::AccessPointNetwork;
                    c.detail = why.clone();
                }
                c
            }
        })
        .collect();
    let unknown = if failing.is_empty() && allowed != Some(true) {
        if unknowns.is_empty() {
            vec!["the engine could not decide one of the policy layers".to_owned()]
        } else {
            unknowns.to_vec()
        }
    } else {
        Vec::new()
    };
    let all_allow = failing.is_empty() && allowed == Some(true);
    let mut it = failing.into_iter();
    let primary = it.next();
    PolicyVerdict {
        primary,
        also: it.collect(),
        unknown,
        all_allow,
    }
}

/// The engine's blockers as the decision needs them, with the contract's policy ids.
pub fn blocker_views(e: &Evaluation, req: &Request) -> Vec<LayerView> {
    e.blockers
        .iter()
        .map(|b| {
            let (policy_id, statement) = if b.deny == Decision::ExplicitDeny {
                (
                    b.statements
                        .first()
                        .map(|s| s.policy_id.clone())
                        .or_else(|| b.policy_id.clone()),
                    b.statements.first().map(|s| s.statement.clone()),
                )
            } else {
                let id =
                    match b.layer {
                        Layer::Identity => req
                            .principal
                            .role_arn
                            .clone()
                            .or_else(|| req.principal.arn.clone())
                            .or_else(|| b.policy_id.clone()),
                        Layer::Resource => crate::snapshot::s3_bucket_and_key(&req.resource)
                            .map(|(bk, _)| format!("bucket-policy:{bk}"))
                            .or_else(|| b.policy_id.clone()),
                        Layer::Scp | Layer::Rcp => {
                            let level = b.level.clone();
                            let pols = e
                                .layer(b.layer)
                                .and_then(|t| {
                                    t.levels
                                        .iter()
                                        .find(|lv| Some(&lv.target_id) == level.as_ref())
                                })
                                .map(|lv| {
                                    lv.policies
                                        .iter()
                                        .map(|p| p.policy_id.clone())
                                        .collect::<Vec<_>>()
                                })
                                .unwrap_or_default();
                            if pols.len() == 1 {
                                pols.into_iter().next()
                            } else {
                                level
                            }
                        }
                        Layer::VpcEndpoint => b.policy_id.clone().or_else(|| {
                            match req.context.get("aws:SourceVpce") {
                                crate::policy::KeyState::Present(v) => v.first().cloned(),
                                _ => None,
                            }
                        }),
                        _ => b.policy_id.clone(),
                    };
                (id, None)
            };
            LayerView {
                layer: b.layer,
                decision: b.deny,
                policy_id,
                statement,
                unknown: None,
                network: b.network.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Blocker;

    /// Cross-account, neither side allows: FINDINGS.md's implicit order puts "the caller's
    /// side, then the bucket policy", and the engine's own `primary_blocker` (which the policy
    /// tests read) agrees with the diagnosis, though the engine lists the blockers by layer
    /// (resource before identity). The copy of the order it used to keep named the bucket
    /// policy.
    #[test]
    fn engine_primary_blocker_and_decide_share_the_order() {
        let blocker = |layer| Blocker {
            layer,
            deny: Decision::ImplicitDeny,
            statements: Vec::new(),
            policy_id: None,
            level: None,
            network: None,
        };
        let e = Evaluation {
            decision: Decision::ImplicitDeny,
            allowed: Some(false),
            same_account: Some(false),
            layers: Vec::new(),
            matched_deny: Vec::new(),
            matched_allow: Vec::new(),
            blockers: vec![blocker(Layer::Resource), blocker(Layer::Identity)],
            unknowns: Vec::new(),
        };
        assert_eq!(e.primary_blocker().map(|b| b.layer), Some(Layer::Identity));
        let views: Vec<LayerView> = e
            .blockers
            .iter()
            .map(|b| lv(b.layer, b.deny, "p", None))
            .collect();
        let v = decide(&views, Some(false), &[]);
        assert_eq!(v.primary.and_then(|c| c.layer), Some(Layer::Identity));
        // An explicit deny anywhere still comes first, in the explicit order.
        let mut e = e;
        e.blockers.push(Blocker {
            deny: Decision::ExplicitDeny,
            ..blocker(Layer::SessionPolicy)
        });
        assert_eq!(
            e.primary_blocker().map(|b| b.layer),
            Some(Layer::SessionPolicy)
        );
    }

    fn lv(layer: Layer, decision: Decision, id: &str, sid: Option<&str>) -> LayerView {
        LayerView {
            layer,
            decision,
            policy_id: Some(id.to_owned()),
            statement: sid.map(str::to_owned),
            unknown: None,
            network: None,
        }
    }

    /// IAM evaluation logic: an explicit deny in any policy wins; FINDINGS.md names the SCP
    /// before the identity policy when both deny explicitly.
    #[test]
    fn explicit_deny_order_scp_before_identity() {
        let b = [
            lv(
                Layer::Identity,
                Decision::ExplicitDeny,
                "arn:aws:iam::1:policy/p",
                Some("DenyAll"),
            ),
            lv(Layer::Scp, Decision::ExplicitDeny, "p-123", Some("NoS3")),
        ];
        let v = decide(&b, Some(false), &[]);
        let p = v.primary.unwrap();
        assert_eq!(p.root_cause, RootCause::Scp);
        assert_eq!(p.statement_sid.as_deref(), Some("NoS3"));
        assert_eq!(v.also.len(), 1);
        assert_eq!(v.also[0].root_cause, RootCause::ExplicitDeny);
        assert_eq!(v.also[0].policy_type, Some(PolicyType::Identity));
    }

    /// The bucket policy's explicit deny comes before the identity policy's.
    #[test]
    fn explicit_resource_before_identity() {
        let b = [
            lv(Layer::Identity, Decision::ExplicitDeny, "i", Some("A")),
            lv(
                Layer::Resource,
                Decision::ExplicitDeny,
                "bucket-policy:b",
                Some("B"),
            ),
        ];
        let p = decide(&b, Some(false), &[]).primary.unwrap();
        assert_eq!(
            (p.root_cause, p.policy_type),
            (RootCause::ExplicitDeny, Some(PolicyType::Resource))
        );
    }

    /// An explicit deny beats an implicit deny earlier in the order.
    #[test]
    fn explicit_boundary_deny_beats_implicit_scp() {
        let b = [
            lv(Layer::Scp, Decision::ImplicitDeny, "ou-1", None),
            lv(
                Layer::PermissionsBoundary,
                Decision::ExplicitDeny,
                "arn:b",
                Some("D"),
            ),
        ];
        let v = decide(&b, Some(false), &[]);
        assert_eq!(
            v.primary.unwrap().root_cause,
            RootCause::PermissionsBoundary
        );
        assert_eq!(v.also[0].root_cause, RootCause::Scp);
        assert_eq!(v.also[0].deny_type, Some(DenyType::Implicit));
    }

    /// Implicit order: an SCP without an Allow comes before the missing identity allow.
    #[test]
    fn implicit_scp_before_missing_allow() {
        let b = [
            lv(Layer::Identity, Decision::ImplicitDeny, "arn:u", None),
            lv(Layer::Scp, Decision::ImplicitDeny, "p-allow", None),
        ];
        let v = decide(&b, Some(false), &[]);
        assert_eq!(v.primary.unwrap().root_cause, RootCause::Scp);
        assert_eq!(v.also[0].root_cause, RootCause::MissingAllow);
    }

    /// Cross-account: both sides must allow; the caller's side is named first, the bucket
    /// policy goes to `also`.
    #[test]
    fn cross_account_caller_side_first() {
        let b = [
            lv(
                Layer::Resource,
                Decision::ImplicitDeny,
                "bucket-policy:b",
                None,
            ),
            lv(Layer::Identity, Decision::ImplicitDeny, "arn:u", None),
        ];
        let v = decide(&b, Some(false), &[]);
        let p = v.primary.unwrap();
        assert_eq!(
            (p.root_cause, p.policy_type),
            (RootCause::MissingAllow, Some(PolicyType::Identity))
        );
        assert_eq!(v.also[0].policy_type, Some(PolicyType::Resource));
    }

    #[test]
    fn allowed_request_has_no_policy_cause() {
        let v = decide(&[], Some(true), &[]);
        assert!(v.primary.is_none() && v.all_allow && v.unknown.is_empty());
    }

    #[test]
    fn unknown_layer_is_never_a_cause() {
        let v = decide(
            &[],
            None,
            &["session policy of access key ASIA1".to_owned()],
        );
        assert!(v.primary.is_none());
        assert!(!v.all_allow);
        assert_eq!(
            v.unknown,
            vec!["session policy of access key ASIA1".to_owned()]
        );
    }
}
