//! A layer the snapshot lacks decides nothing when the others already decide (issue 17
//! section 4), in every layer order. EVAL
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html):
//! "If the enforcement code finds even one explicit deny that applies, the enforcement code
//! returns a final decision of Deny"; for RCPs and SCPs "If the enforcement code does not find
//! any applicable Allow statements in the RCPs [SCPs], then the enforcement code returns a
//! final decision of Deny". An unknown layer can then only turn an implicit deny into an
//! explicit one, never into an Allow: the definite layer is the cause.
//!
//! Checked against the oracle where it applies: the oracle has no opinion on unknown layers,
//! so each case is also run with every unknown layer replaced by the most permissive known
//! one (allows everything, denies nothing, grants everyone); that world must be denied the
//! same way, which is what "the unknown layer cannot change the verdict" means.

use super::fixtures::*;
use super::oracle;
use crate::policy::{authorize, AuthzInput, Decision, Known, Layer, PolicyRef};

fn unknown<T>() -> Known<T> {
    Known::Unknown("not in the snapshot".into())
}

fn deny_get(id: &str, principal: bool) -> PolicyRef {
    let p = if principal { r#""Principal":"*","# } else { "" };
    pol(
        id,
        &format!(
            r#"{{"Statement":[{{"Sid":"NoGet","Effect":"Deny",{p}"Action":"s3:GetObject","Resource":"*"}}]}}"#
        ),
    )
}

fn grant_all(id: &str) -> PolicyRef {
    allow_rcp(id)
}

/// Every layer unknown except those a case sets.
fn all_unknown() -> AuthzInput {
    AuthzInput {
        identity: unknown(),
        boundary: unknown(),
        session: unknown(),
        resource: unknown(),
        scp: unknown(),
        rcp: unknown(),
        vpc_endpoint: unknown(),
        access_point: None,
    }
}

/// The unknown layers replaced by the most permissive known value.
fn permissive(i: &AuthzInput) -> AuthzInput {
    let mut w = i.clone();
    if matches!(w.identity, Known::Unknown(_)) {
        w.identity = Known::Known(vec![allow_all("perm-identity")]);
    }
    if matches!(w.boundary, Known::Unknown(_)) {
        w.boundary = Known::Known(None);
    }
    if matches!(w.session, Known::Unknown(_)) {
        w.session = Known::Known(None);
    }
    if matches!(w.resource, Known::Unknown(_)) {
        w.resource = Known::Known(Some(grant_all("perm-resource")));
    }
    if matches!(w.scp, Known::Unknown(_)) {
        w.scp = Known::Known(None);
    }
    if matches!(w.rcp, Known::Unknown(_)) {
        w.rcp = Known::Known(None);
    }
    if matches!(w.vpc_endpoint, Known::Unknown(_)) {
        w.vpc_endpoint = Known::Known(None);
    }
    w
}

fn run(name: &str, i: &AuthzInput, expected: Decision, layer: Layer) {
    let r = req(session(A, "app", "s1"), "s3:GetObject", OBJECT);
    let e = authorize(&r, i);
    assert_eq!(e.decision, expected, "{name}: {e:#?}");
    assert_eq!(
        e.primary_blocker().map(|b| b.layer),
        Some(layer),
        "{name}: blocker"
    );
    let w = permissive(i);
    assert_eq!(
        oracle::decide(&r, &w),
        Some(expected),
        "{name}: the oracle's most permissive world"
    );
    assert_eq!(
        authorize(&r, &w).decision,
        expected,
        "{name}: engine, same world"
    );
}

/// Sets one layer of a case.
type SetLayer = Box<dyn Fn(&mut AuthzInput)>;

#[test]
fn an_explicit_deny_decides_whatever_the_unknown_layers() {
    let cases: Vec<(&str, Layer, SetLayer)> = vec![
        (
            "rcp",
            Layer::Rcp,
            Box::new(|i| i.rcp = Known::Known(Some(vec![level("r", vec![deny_get("rcp", true)])]))),
        ),
        (
            "scp",
            Layer::Scp,
            Box::new(|i| {
                i.scp = Known::Known(Some(vec![level("r", vec![deny_get("scp", false)])]))
            }),
        ),
        (
            "vpce",
            Layer::VpcEndpoint,
            Box::new(|i| i.vpc_endpoint = Known::Known(Some(deny_get("vpce", true)))),
        ),
        (
            "resource",
            Layer::Resource,
            Box::new(|i| i.resource = Known::Known(Some(deny_get("bucket", true)))),
        ),
        (
            "identity",
            Layer::Identity,
            Box::new(|i| i.identity = Known::Known(vec![deny_get("id", false)])),
        ),
        (
            "boundary",
            Layer::PermissionsBoundary,
            Box::new(|i| i.boundary = Known::Known(Some(deny_get("pb", false)))),
        ),
        (
            "session",
            Layer::SessionPolicy,
            Box::new(|i| i.session = Known::Known(Some(vec![deny_get("sp", false)]))),
        ),
    ];
    for (name, layer, set) in cases {
        let mut i = all_unknown();
        set(&mut i);
        run(name, &i, Decision::ExplicitDeny, layer);
    }
}

/// EVAL: a layer that must allow regardless (SCP, RCP, endpoint policy) and does not is an
/// implicit deny; the unknown layers could only add an explicit Deny to a request denied
/// anyway (they were: "unknown").
#[test]
fn an_implicit_deny_in_a_layer_that_must_allow_decides_whatever_the_unknown_layers() {
    let no_allow = |id: &str| {
        pol(
            id,
            r#"{"Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#,
        )
    };
    let mut i = all_unknown();
    i.scp = Known::Known(Some(vec![level("r", vec![no_allow("scp")])]));
    run("scp", &i, Decision::ImplicitDeny, Layer::Scp);
    let mut i = all_unknown();
    i.rcp = Known::Known(Some(vec![level(
        "r",
        vec![pol(
            "rcp",
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ec2:*","Resource":"*"}]}"#,
        )],
    )]));
    run("rcp", &i, Decision::ImplicitDeny, Layer::Rcp);
    let mut i = all_unknown();
    i.vpc_endpoint = Known::Known(Some(pol(
        "vpce",
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ec2:*","Resource":"*"}]}"#,
    )));
    run("vpce", &i, Decision::ImplicitDeny, Layer::VpcEndpoint);
}

/// Same account, BASICS (reference_policies_evaluation-logic_policy-eval-basics.html): the
/// identity side and the resource side form a union. With no bucket policy and identity
/// policies that lack the Allow, the session policy (unknown: its STS record is not in the
/// logs) cannot grant anything (access_policies.html: "Session policies limit permissions for
/// a created session, but do not grant permissions"):
/// implicit deny by the identity policy. With the bucket policy unknown instead, it could
/// grant the session on its own: the verdict stays unknown.
#[test]
fn same_account_union_with_an_unknown_session_or_resource_layer() {
    let mut i = input();
    i.identity = Known::Known(vec![allow("id", "s3:PutObject", "*")]);
    i.session = unknown();
    run("session", &i, Decision::ImplicitDeny, Layer::Identity);
    let mut i = input();
    i.identity = Known::Known(vec![allow("id", "s3:PutObject", "*")]);
    i.resource = unknown();
    let r = req(session(A, "app", "s1"), "s3:GetObject", OBJECT);
    assert_eq!(authorize(&r, &i).decision, Decision::Unknown);
    // A known Deny whose condition is unknown still keeps explicit vs implicit open.
    let mut i = input();
    i.resource = Known::Known(Some(pol(
        "bucket",
        r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:Referer":"x"}}}]}"#,
    )));
    let e = authorize(&r, &i);
    assert_eq!((e.decision, e.allowed), (Decision::Unknown, Some(false)));
}
