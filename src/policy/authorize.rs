//! The request-level decision, layer by layer, in AWS's documented order
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html,
//! ..._policy-eval-basics.html for one account, ...-cross-account.html across accounts):
//!
//! 1. an explicit `Deny` in any applicable policy (RCP, SCP, VPC endpoint, resource,
//!    identity, boundary, session) denies;
//! 2. RCPs of the resource account: every level from the root to the account must allow;
//! 3. SCPs of the caller's account: every level must allow;
//! 4. the VPC endpoint policy, when the request came through one, must allow; through an S3
//!    access point (or Multi-Region Access Point) the access point layer comes next
//!    ([`super::access_point`]): its policy, combined with the caller's side as a resource
//!    policy is, and its network origin; the caller's policies are then matched against the
//!    access point's form of the resource, the bucket policy against the bucket ARN, and both
//!    the access point and the bucket must permit the request;
//! 5. same account: identity-based (∩ boundary ∩ session) **or** resource-based allows, with
//!    AWS's special cases on the form of the resource policy's grant (see
//!    [`principal::Form`](super::principal::Form)): a grant to the IAM user ARN or to the role
//!    session ARN stands alone; a grant to the role ARN (or to the IAM user that federated) is
//!    limited by the boundary and session policy; a grant to the account only delegates;
//!    KMS key policies and role trust policies must allow even within one account;
//! 6. cross-account: the caller's side (identity ∩ boundary ∩ session) **and** the resource
//!    policy must both allow. Anonymous callers and services: only the resource policy can.
//!
//! Every layer's own result is kept; the overall decision is `Unknown` only when an unknown
//! input could change it (three-valued logic throughout).

use super::evaluate::{Env, Verdict};
use super::layer::{decide, empty, flat, grants, known_single, layer_from, org, unknown, Eval, NA};
pub use super::layer::{LayerTrace, LevelTrace};
use super::tri::Tri;
use super::types::{AuthzInput, Decision, Known, Layer, PrincipalKind, Request, StatementRef};
use serde::Serialize;

/// A layer that stops the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocker {
    pub layer: Layer,
    /// `ExplicitDeny` or `ImplicitDeny`.
    pub deny: Decision,
    /// The matching Deny statements (explicit) — empty for implicit denies.
    pub statements: Vec<StatementRef>,
    /// For implicit denies in one-policy layers: that policy; for SCP/RCP: the failing level.
    pub policy_id: Option<String>,
    pub level: Option<String>,
    /// Access point layer: the network origin refused the request (why), rather than its
    /// policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
}

/// The engine's whole answer for one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// `Allow`, `ExplicitDeny`, `ImplicitDeny`, or `Unknown` when an unknown input could change
    /// it (including "denied for sure, but explicit or implicit depends on an unknown").
    pub decision: Decision,
    /// `Some(false)` when the request is denied whatever the unknowns are.
    pub allowed: Option<bool>,
    /// Caller and resource in the same account; `None` when either account is unknown.
    pub same_account: Option<bool>,
    /// All seven layers in evaluation order (RCP, SCP, VPC endpoint, resource, identity,
    /// boundary, session), and the access point layer after the VPC endpoint for a request
    /// through an access point.
    pub layers: Vec<LayerTrace>,
    pub matched_deny: Vec<StatementRef>,
    pub matched_allow: Vec<StatementRef>,
    /// The layers that stop the request (every one, in evaluation order).
    pub blockers: Vec<Blocker>,
    /// What is missing, when the decision is `Unknown`.
    pub unknowns: Vec<String>,
}

impl Evaluation {
    pub fn layer(&self, l: Layer) -> Option<&LayerTrace> {
        self.layers.iter().find(|t| t.layer == l)
    }

    /// The blocker FINDINGS.md makes primary: the first explicit deny, else the first
    /// implicit one, in [`Layer::primary_rank`]'s order (the diagnosis's order too).
    pub fn primary_blocker(&self) -> Option<&Blocker> {
        self.blockers
            .iter()
            .min_by_key(|b| b.layer.primary_rank(b.deny))
    }
}

/// Decides one request. Pure: no I/O, no shared state.
pub fn authorize(req: &Request, input: &AuthzInput) -> Evaluation {
    let p = &req.principal;
    let no_iam = matches!(p.kind, PrincipalKind::Anonymous | PrincipalKind::Service);
    let has_boundary = match (&input.boundary, no_iam) {
        (_, true) => Tri::No,
        (Known::Known(b), _) => Tri::from_bool(b.is_some()),
        (Known::Unknown(_), _) => Tri::Unknown,
    };
    let env = Env::new(req, has_boundary);
    // Through an access point, identity-based policies (and the caller's boundary and session
    // policy) and the access point policy are matched against the access point's form of the
    // resource; the bucket policy, the endpoint policy and the organization policies keep the
    // bucket's ARN (see [`super::access_point`]).
    let ap_req = input
        .access_point
        .as_ref()
        .map(|ap| super::access_point::request_at(req, ap));
    let id_env = match &ap_req {
        Some(r) => Env::new(r, has_boundary),
        None => Env::new(req, has_boundary),
    };

    // An action that works on no resource (`s3:ListAllMyBuckets`: the authorization
    // reference lists no resource type, and policies name it with `"Resource": "*"`) has no
    // resource-based policy and no resource account; RCPs "apply to resources" only, so they
    // do not apply either, and the decision is the caller's own (identity, boundary, session,
    // SCP).
    let resourceless = is_resourceless(req);
    let not_applicable = |layer: Layer| {
        let mut e = Eval {
            trace: empty(layer, Decision::NotApplicable),
            v: NA,
        };
        e.trace.note = Some("the action has no resource (`*`)".into());
        e
    };
    let rcp = if resourceless {
        not_applicable(Layer::Rcp)
    } else {
        org(Layer::Rcp, &input.rcp, &env)
    };
    let scp = org(Layer::Scp, &input.scp, &env);
    let mut vpce = layer_from(Layer::VpcEndpoint, known_single(&input.vpc_endpoint), &env);
    if ap_req.is_some() && vpce.trace.missing.is_none() {
        // Through an access point the endpoint policy must allow both the access point and
        // the bucket (access-points-vpc.html).
        let at_ap = layer_from(
            Layer::VpcEndpoint,
            known_single(&input.vpc_endpoint),
            &id_env,
        );
        vpce.v = Verdict {
            deny: vpce.v.deny.or(at_ap.v.deny),
            allow: vpce.v.allow.and(at_ap.v.allow),
        };
        vpce.trace.decision = if vpce.trace.decision == Decision::NotApplicable {
            Decision::NotApplicable
        } else {
            decide(vpce.v)
        };
        for s in at_ap.trace.matched_deny {
            if !vpce.trace.matched_deny.contains(&s) {
                vpce.trace.matched_deny.push(s);
            }
        }
        for s in at_ap.trace.matched_allow {
            if !vpce.trace.matched_allow.contains(&s) {
                vpce.trace.matched_allow.push(s);
            }
        }
        if vpce.trace.decision != Decision::NotApplicable {
            vpce.trace.note = Some(
                "through an access point the endpoint policy must allow both the access point and the bucket"
                    .into(),
            );
        }
    }
    // "You must use the Principal element in resource-based policies"
    // (reference_policies_elements_principal.html): a statement without one names nobody.
    let mut resource = if resourceless {
        not_applicable(Layer::Resource)
    } else {
        layer_from(
            Layer::Resource,
            known_single(&input.resource),
            &env.requiring_principal(),
        )
    };
    let (identity, boundary, session) = if no_iam {
        let note = |l: Layer| {
            let mut e = Eval {
                trace: empty(l, Decision::NotApplicable),
                v: NA,
            };
            e.trace.note = Some("anonymous and service callers have no IAM policies".into());
            e
        };
        let mut id = note(Layer::Identity);
        id.v.allow = Tri::No;
        (
            id,
            note(Layer::PermissionsBoundary),
            note(Layer::SessionPolicy),
        )
    } else {
        let mut identity = match &input.identity {
            Known::Unknown(why) => unknown(Layer::Identity, why),
            Known::Known(v) => flat(Layer::Identity, Some(v), &id_env),
        };
        if p.kind == PrincipalKind::Root {
            // "all requests are implicitly denied with the exception of the AWS account root
            // user, which has full access" (denyallow page).
            identity.v.allow = Tri::Yes;
            identity.trace.decision = decide(identity.v);
            identity.trace.note =
                Some("the account root user has full access in its own account".into());
        }
        let boundary = layer_from(
            Layer::PermissionsBoundary,
            known_single(&input.boundary),
            &id_env,
        );
        let session = match &input.session {
            Known::Unknown(why) => unknown(Layer::SessionPolicy, why),
            Known::Known(s) => flat(Layer::SessionPolicy, s.as_deref(), &id_env),
        };
        (identity, boundary, session)
    };

    let g = grants(&resource);
    resource.trace.grant_form = resource
        .trace
        .policies
        .iter()
        .flat_map(|t| &t.statements)
        .filter(|s| s.effect == super::parse::Effect::Allow && s.applies == Tri::Yes)
        .filter_map(|s| s.principal_form)
        .max();

    let id_allow = identity.v.allow;
    let b_ok = boundary.v.allow;
    let s_ok = session.v.allow;
    let identity_path = id_allow.and(b_ok).and(s_ok);
    let res_any = g.alone.or(g.wildcard).or(g.role).or(g.account);
    // A same-account `*` grant: allowed when boundary and session policy allow; when they do
    // not, AWS's documentation does not say, so the answer is unknown.
    let bs = b_ok.and(s_ok);
    let wildcard_grant = g.wildcard.and(bs.or(Tri::Unknown));

    let same = match (&p.account, &req.resource_account) {
        _ if no_iam => Tri::No,
        // No resource: only the caller's side can allow, as within one account without a
        // resource policy.
        _ if resourceless => Tri::Yes,
        (Some(a), Some(b)) => Tri::from_bool(a == b),
        _ => Tri::Unknown,
    };
    // KMS keys and role trust policies: "the key policy must allow even within one account"
    // (AWS-NOTES; KMS developer guide "key policies"); a grant to the account only enables
    // IAM policies.
    let resource_required = resource_policy_required(req);
    let via_resource = g
        .alone
        .or(wildcard_grant)
        .or(g.role.and(bs))
        .or(g.account.and(identity_path));
    let same_permit = if resource_required {
        via_resource
    } else {
        identity_path.or(via_resource)
    };
    let cross_permit = res_any.and(if no_iam { Tri::Yes } else { identity_path });
    let permit = match same {
        Tri::Yes => same_permit,
        Tri::No => cross_permit,
        Tri::Unknown if same_permit == cross_permit => same_permit,
        Tri::Unknown => Tri::Unknown,
    };

    // The access point: its own policy (combined with the caller's side as a resource policy
    // is) and its network origin must both let the request through.
    let ap = input.access_point.as_ref().map(|apin| {
        let ap_env = id_env.requiring_principal();
        super::access_point::evaluate(
            apin,
            &ap_env,
            super::access_point::Caller {
                account: p.account.as_deref(),
                no_iam,
                identity_path,
                boundary_and_session: bs,
            },
        )
    });
    let ap_ok = ap.as_ref().map_or(Tri::Yes, |a| a.permit.and(a.network));

    let mut layers: Vec<&Eval> = vec![&rcp, &scp, &vpce];
    if let Some(a) = &ap {
        layers.push(&a.eval);
    }
    layers.extend([&resource, &identity, &boundary, &session]);
    let ok = rcp
        .v
        .allow
        .and(scp.v.allow)
        .and(vpce.v.allow)
        .and(ap_ok)
        .and(permit);
    // A layer the snapshot lacks entirely (a session policy whose STS record is not in the
    // logs, a bucket policy not captured) decides nothing once the other layers deny for
    // sure: it could only add a Deny to a request already denied. Whether such a Deny exists
    // is no reason to leave the verdict open; the definite layer is the cause. A Deny
    // statement that is *known* and may apply (an unknown condition key) still keeps the
    // explicit/implicit question open.
    let explicit_known = Tri::any(
        layers
            .iter()
            .filter(|l| l.trace.missing.is_none())
            .map(|l| l.v.deny),
    );
    let explicit = if ok == Tri::No && explicit_known == Tri::No {
        Tri::No
    } else {
        Tri::any(layers.iter().map(|l| l.v.deny))
    };

    let (decision, allowed) = match (explicit, ok) {
        (Tri::Yes, _) => (Decision::ExplicitDeny, Some(false)),
        (Tri::No, Tri::Yes) => (Decision::Allow, Some(true)),
        (Tri::No, Tri::No) => (Decision::ImplicitDeny, Some(false)),
        (_, Tri::No) => (Decision::Unknown, Some(false)),
        _ => (Decision::Unknown, None),
    };

    // Blockers, in evaluation order.
    let mut blockers = Vec::new();
    for l in layers.iter() {
        if l.v.deny == Tri::Yes {
            blockers.push(Blocker {
                layer: l.trace.layer,
                deny: Decision::ExplicitDeny,
                statements: l.trace.matched_deny.clone(),
                policy_id: l.trace.matched_deny.first().map(|s| s.policy_id.clone()),
                level: None,
                network: None,
            });
        }
    }
    for l in [&rcp, &scp] {
        if l.v.allow == Tri::No {
            let level =
                l.trace.levels.iter().find(|lv| {
                    matches!(lv.decision, Decision::ImplicitDeny | Decision::ExplicitDeny)
                });
            blockers.push(Blocker {
                layer: l.trace.layer,
                deny: Decision::ImplicitDeny,
                statements: Vec::new(),
                policy_id: None,
                level: level.map(|lv| lv.target_id.clone()),
                network: None,
            });
        }
    }
    let implicit = |l: &Eval| Blocker {
        layer: l.trace.layer,
        deny: Decision::ImplicitDeny,
        statements: Vec::new(),
        policy_id: (l.trace.policies.len() == 1).then(|| l.trace.policies[0].policy_id.clone()),
        level: None,
        network: None,
    };
    if vpce.v.allow == Tri::No {
        blockers.push(implicit(&vpce));
    }
    if let Some(a) = &ap {
        if a.network == Tri::No || a.own_allow == Tri::No {
            blockers.push(Blocker {
                layer: Layer::AccessPoint,
                deny: Decision::ImplicitDeny,
                statements: Vec::new(),
                policy_id: Some(a.arn.clone()),
                level: None,
                network: (a.network == Tri::No)
                    .then(|| a.eval.trace.note.clone())
                    .flatten(),
            });
        }
        if a.permit == Tri::No && a.same == Tri::Yes {
            // Same account as the access point and nothing grants it there: what is missing
            // is on the caller's side, as for a bucket of its own account.
            if id_allow == Tri::No {
                blockers.push(implicit(&identity));
            } else if b_ok == Tri::No {
                blockers.push(implicit(&boundary));
            } else if s_ok == Tri::No {
                blockers.push(implicit(&session));
            }
        }
    }
    if permit == Tri::No {
        if same == Tri::Yes && resource_required && res_any == Tri::No {
            blockers.push(implicit(&resource));
        } else if same == Tri::Yes {
            // Same account: nothing grants it. Name the first IAM-side layer that fails; when
            // the identity policies themselves lack the Allow, that is "missing_allow".
            // A bucket-policy grant to the role ARN (or the federating user) stands unless the
            // boundary or session policy lacks the action: then that layer, not the identity
            // policy, is what is missing.
            if id_allow == Tri::No && g.role != Tri::Yes {
                blockers.push(implicit(&identity));
            } else if b_ok == Tri::No {
                blockers.push(implicit(&boundary));
            } else if s_ok == Tri::No {
                blockers.push(implicit(&session));
            }
        } else {
            if res_any == Tri::No {
                blockers.push(implicit(&resource));
            }
            if !no_iam {
                for (l, t) in [(&identity, id_allow), (&boundary, b_ok), (&session, s_ok)] {
                    if t == Tri::No {
                        blockers.push(implicit(l));
                    }
                }
            }
        }
    }
    blockers.sort_by_key(|b| (b.deny != Decision::ExplicitDeny, b.layer));
    blockers.dedup_by(|a, b| a.layer == b.layer && a.deny == b.deny);

    let mut unknowns = Vec::new();
    if decision == Decision::Unknown {
        if same != Tri::No && g.wildcard != Tri::No && bs != Tri::Yes {
            unknowns.push(
                "whether a same-account `\"Principal\": \"*\"` grant is limited by the permissions boundary or session policy (AWS documents the rule only for named principals)"
                    .to_owned(),
            );
        }
        if same == Tri::Unknown {
            unknowns.push("whether caller and resource are in the same account".to_owned());
        }
        if let Some(why) = ap.as_ref().and_then(|a| a.network_unknown.as_ref()) {
            unknowns.push(format!("{}: {why}", layer_name(Layer::AccessPoint)));
        }
        for l in layers.iter() {
            if let Some(m) = &l.trace.missing {
                unknowns.push(format!("{}: {m}", layer_name(l.trace.layer)));
            }
            let stmts = l
                .trace
                .policies
                .iter()
                .chain(l.trace.levels.iter().flat_map(|lv| &lv.policies))
                .flat_map(|p| &p.statements);
            for s in stmts.filter(|s| s.applies == Tri::Unknown) {
                for m in s.why.iter().filter_map(|m| m.missing()) {
                    let line = format!(
                        "{} in {} statement `{}`",
                        m, s.statement.policy_id, s.statement.statement
                    );
                    if !unknowns.contains(&line) {
                        unknowns.push(line);
                    }
                }
            }
        }
    }

    drop(layers);
    let mut layers: Vec<LayerTrace> = vec![rcp.trace, scp.trace, vpce.trace];
    if let Some(a) = ap {
        layers.push(a.eval.trace);
    }
    layers.extend(
        [resource, identity, boundary, session]
            .into_iter()
            .map(|e| e.trace),
    );
    let matched_deny = layers
        .iter()
        .flat_map(|l| l.matched_deny.iter().cloned())
        .collect();
    let matched_allow = layers
        .iter()
        .flat_map(|l| l.matched_allow.iter().cloned())
        .collect();
    Evaluation {
        decision,
        allowed,
        same_account: match same {
            _ if resourceless => None,
            Tri::Yes => Some(true),
            Tri::No if !no_iam => Some(false),
            _ => None,
        },
        layers,
        matched_deny,
        matched_allow,
        blockers,
        unknowns,
    }
}

/// True when the request names no resource (`*`): actions such as `s3:ListAllMyBuckets`.
pub fn is_resourceless(req: &Request) -> bool {
    req.resource == "*"
}

/// KMS key policies and IAM role trust policies must allow even within one account.
fn resource_policy_required(req: &Request) -> bool {
    let mut parts = req.resource.splitn(6, ':');
    let (arn, service) = (parts.next(), parts.nth(1));
    if arn != Some("arn") {
        return false;
    }
    let action = req.action.to_ascii_lowercase();
    // An alias has no key policy (KMS "Controlling access to aliases": the permission on
    // the alias is given "in an IAM policy"); only requests on keys need the key policy.
    let alias = req
        .resource
        .splitn(6, ':')
        .nth(5)
        .is_some_and(|r| r.starts_with("alias/"));
    (service == Some("kms") && !alias)
        || (service == Some("iam")
            && action.starts_with("sts:assumerole")
            && req
                .resource
                .splitn(6, ':')
                .nth(5)
                .is_some_and(|r| r.starts_with("role/")))
}

/// Human name of a layer, as AWS's messages say it.
pub fn layer_name(l: Layer) -> &'static str {
    match l {
        Layer::Rcp => "resource control policy",
        Layer::Scp => "service control policy",
        Layer::VpcEndpoint => "VPC endpoint policy",
        Layer::AccessPoint => "access point policy",
        Layer::Resource => "resource-based policy",
        Layer::Identity => "identity-based policy",
        Layer::PermissionsBoundary => "permissions boundary",
        Layer::SessionPolicy => "session policy",
    }
}
