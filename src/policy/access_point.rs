//! The access point layer of a request made through an S3 access point or a Multi-Region
//! Access Point (MRAP).
//!
//! AWS's rules, from the S3 User Guide:
//! - "For an application or user to be able to access objects through an access point, both
//!   the access point and the underlying bucket must permit the request."
//!   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html)
//! - The access point policy is a resource-based policy of the access point: it names the
//!   access point's form of the resource, "`arn:aws:s3:us-west-2:123456789012:accesspoint/
//!   my-access-point/object/Jane/*`" (same page, example 1), and so do identity policies that
//!   grant access through it ("IAM policies ... specify the access point ARN"). Within one
//!   account the caller's identity policy or the access point policy grants (AWS's
//!   same-account union); across accounts both must.
//! - "Permissions granted in an access point policy are only effective if the underlying
//!   bucket also allows the same access": the bucket policy is the engine's resource layer,
//!   matched against the bucket ARN, where a delegation statement (`s3:DataAccessPointAccount`
//!   or `s3:DataAccessPointArn`) grants every request through the owner's access points.
//! - "An access point that's only accessible from a specified VPC has a network origin of
//!   VPC, and Amazon S3 rejects any request made to the access point that doesn't originate
//!   from that VPC" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-vpc.html):
//!   the network origin check, decided by the snapshot side and handed in as
//!   [`AccessPointInput::network`]. The same page: "Requests from the VPC through the access
//!   point to S3 succeed only when the VPC endpoint policy grants access to both the access
//!   point and the underlying bucket" (the engine evaluates the endpoint policy on both forms).
//!
//! Multi-Region Access Points follow the same rules: "For a cross-account request to succeed,
//! the following policies must permit the operation: The Multi-Region Access Point policy; The
//! underlying AWS Identity and Access Management (IAM) policy; The underlying bucket policy
//! (where the request is routed to)" and "For same account requests, only the underlying IAM
//! policy, which grants the appropriate access, is required."
//! (https://docs.aws.amazon.com/AmazonS3/latest/userguide/MultiRegionAccessPointPermissions.html)

use super::evaluate::Env;
use super::layer::{flat, grants, known_single, unknown, Eval};
use super::tri::Tri;
use super::types::{AccessPointInput, Decision, Known, Layer, Request};

/// The request as the access point sees it: its resource in the access point's ARN form and
/// the access point's account as the resource account.
pub fn request_at(req: &Request, ap: &AccessPointInput) -> Request {
    Request {
        principal: req.principal.clone(),
        action: req.action.clone(),
        resource: ap.resource.clone(),
        resource_account: ap.account.clone().or_else(|| req.resource_account.clone()),
        context: req.context.clone(),
    }
}

/// The caller's side, already decided by the engine.
pub(super) struct Caller<'a> {
    pub account: Option<&'a str>,
    /// Anonymous or service caller: no IAM policies.
    pub no_iam: bool,
    /// Identity ∩ boundary ∩ session, matched against the access point form.
    pub identity_path: Tri,
    /// Boundary ∩ session alone (a grant to the role ARN is limited by them).
    pub boundary_and_session: Tri,
}

/// The access point layer's result.
pub(super) struct ApEval {
    pub arn: String,
    pub eval: Eval,
    /// Caller and access point in the same account.
    pub same: Tri,
    /// The access point level grants the request (same account: identity or access point
    /// policy; across accounts: both).
    pub permit: Tri,
    /// Whether the access point's own policy is not what is missing: `No` when the caller is
    /// in another account and the policy grants it nothing.
    pub own_allow: Tri,
    /// The network origin check.
    pub network: Tri,
    /// Why the network check is unknown.
    pub network_unknown: Option<String>,
}

/// Evaluates the access point policy and its network origin for one request.
pub(super) fn evaluate(ap: &AccessPointInput, env: &Env<'_>, caller: Caller<'_>) -> ApEval {
    let mut eval = match known_single(&ap.policy) {
        Err(why) => unknown(Layer::AccessPoint, why),
        Ok(p) => flat(Layer::AccessPoint, p, env),
    };
    if matches!(ap.policy, Known::Known(None)) {
        eval.trace.note = Some("the access point has no policy".into());
    }
    let g = grants(&eval);
    let any = g.alone.or(g.wildcard).or(g.role).or(g.account);
    let bs = caller.boundary_and_session;
    let via_ap = g
        .alone
        .or(g.wildcard.and(bs.or(Tri::Unknown)))
        .or(g.role.and(bs))
        .or(g.account.and(caller.identity_path));
    let same = match (caller.account, ap.account.as_deref()) {
        _ if caller.no_iam => Tri::No,
        (Some(a), Some(b)) => Tri::from_bool(a == b),
        _ => Tri::Unknown,
    };
    let same_permit = caller.identity_path.or(via_ap);
    let cross_permit = any.and(if caller.no_iam {
        Tri::Yes
    } else {
        caller.identity_path
    });
    let permit = match same {
        Tri::Yes => same_permit,
        Tri::No => cross_permit,
        Tri::Unknown if same_permit == cross_permit => same_permit,
        Tri::Unknown => Tri::Unknown,
    };
    let own_allow = match same {
        Tri::Yes => Tri::Yes,
        _ => any,
    };
    let (network, network_unknown) = match &ap.network {
        Known::Known(None) => (Tri::Yes, None),
        Known::Known(Some(why)) => {
            eval.trace.note = Some(why.clone());
            (Tri::No, None)
        }
        Known::Unknown(why) => (Tri::Unknown, Some(why.clone())),
    };
    if network == Tri::No || (own_allow == Tri::No && eval.trace.decision != Decision::ExplicitDeny)
    {
        eval.trace.decision = Decision::ImplicitDeny;
    }
    ApEval {
        arn: ap.arn.clone(),
        eval,
        same,
        permit,
        own_allow,
        network,
        network_unknown,
    }
}
