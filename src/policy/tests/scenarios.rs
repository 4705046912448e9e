//! One scenario per documented AWS rule. Each test's name states the rule and its doc comment
//! cites the page; each asserts the decision AND the deciding layer/statement, and every
//! scenario is also run through the naive [`oracle`](super::oracle), which must agree.
//!
//! Pages (https://docs.aws.amazon.com/IAM/latest/UserGuide/…):
//! - EVAL = reference_policies_evaluation-logic_policy-eval-denyallow.html
//! - BASICS = reference_policies_evaluation-logic_policy-eval-basics.html
//! - CROSS = reference_policies_evaluation-logic-cross-account.html
//! - BOUNDARY = access_policies_boundaries.html
//! - NOTPRINCIPAL = reference_policies_elements_notprincipal.html
//! - VARIABLES = reference_policies_variables.html
//! - OPERATORS = reference_policies_elements_condition_operators.html

use super::fixtures::*;
use super::oracle;
use crate::policy::{authorize, AuthzInput, Decision, Evaluation, Form, Known, Layer, Request};

/// Runs the engine and the oracle; they must agree whenever the oracle has an opinion.
fn check(r: &Request, input: &AuthzInput, expected: Decision) -> Evaluation {
    let e = authorize(r, input);
    assert_eq!(e.decision, expected, "engine decision; evaluation: {e:#?}");
    match oracle::decide(r, input) {
        Some(o) => assert_eq!(o, e.decision, "oracle disagrees with the engine"),
        // The oracle has no opinion only where the answer hinges on an unknown.
        None => assert_eq!(
            expected,
            Decision::Unknown,
            "the oracle must judge every definite scenario"
        ),
    }
    e
}

fn blocker(e: &Evaluation) -> (Layer, Decision) {
    let b = e
        .primary_blocker()
        .expect("a denied request names a blocker");
    (b.layer, b.deny)
}

fn deny_sids(e: &Evaluation) -> Vec<String> {
    e.matched_deny.iter().map(|s| s.statement.clone()).collect()
}

/// EVAL: "An explicit deny in any of these policies overrides the allow" — a Deny in the
/// caller's identity policy beats the bucket policy's Allow.
#[test]
fn explicit_deny_in_identity_policy_overrides_bucket_policy_allow() {
    let mut i = input();
    i.identity = Known::Known(vec![pol(
        "arn:aws:iam::111122223333:policy/deny-s3",
        r#"{"Statement":[{"Sid":"NoReports","Effect":"Deny","Action":"s3:Get*","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/reports/*"}]}"#,
    )]);
    i.resource = Known::Known(Some(bucket_allow(
        r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#,
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/*",
    )));
    let e = check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &i,
        Decision::ExplicitDeny,
    );
    assert_eq!(blocker(&e), (Layer::Identity, Decision::ExplicitDeny));
    assert_eq!(deny_sids(&e), ["NoReports"]);
    assert_eq!(
        e.layer(Layer::Resource).map(|l| l.decision),
        Some(Decision::Allow)
    );
}

/// BASICS: "If either the identity-based policy or the resource-based policy within the same
/// account allows the request and the other doesn't, the request is still allowed."
#[test]
fn same_account_identity_policy_alone_allows() {
    let mut i = input();
    i.identity = Known::Known(vec![allow(
        "arn:aws:iam::111122223333:policy/read",
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/*",
    )]);
    let e = check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &i,
        Decision::Allow,
    );
    assert_eq!(e.matched_allow[0].statement, "Allow");
    assert_eq!(
        e.layer(Layer::Resource).map(|l| l.decision),
        Some(Decision::NotApplicable)
    );
}

/// BASICS (same rule, other side): a bucket policy naming the IAM user grants on its own.
#[test]
fn same_account_bucket_policy_naming_user_arn_allows_without_identity_policy() {
    let mut i = input();
    i.resource = Known::Known(Some(bucket_allow(
        r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#,
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/*",
    )));
    let e = check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &i,
        Decision::Allow,
    );
    assert_eq!(
        e.layer(Layer::Resource).and_then(|l| l.grant_form),
        Some(Form::Exact)
    );
    assert_eq!(
        e.layer(Layer::Identity).map(|l| l.decision),
        Some(Decision::ImplicitDeny)
    );
}

/// EVAL: "Resource-based policies that grant permissions to an IAM user ARN ... are not
/// limited by an implicit deny in an identity-based policy or permissions boundary."
#[test]
fn same_account_bucket_grant_to_user_arn_is_not_limited_by_boundary() {
    let mut i = input();
    i.boundary = Known::Known(Some(allow(
        "arn:aws:iam::111122223333:policy/boundary",
        "ec2:*",
        "*",
    )));
    i.resource = Known::Known(Some(bucket_allow(
        r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#,
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/*",
    )));
    let e = check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &i,
        Decision::Allow,
    );
    assert_eq!(
        e.layer(Layer::PermissionsBoundary).map(|l| l.decision),
        Some(Decision::ImplicitDeny)
    );
}

/// EVAL / BOUNDARY, verified live by benkehoe/permissions-boundary-test: a grant to the role
/// *session* ARN stands alone ("grant permissions directly to the assumed-role session").
#[test]
fn same_account_bucket_grant_to_role_session_arn_is_not_limited_by_boundary() {
    let mut i = input();
    i.boundary = Known::Known(Some(allow(
        "arn:aws:iam::111122223333:policy/boundary",
        "ec2:*",
        "*",
    )));
    i.resource = Known::Known(Some(bucket_allow(
        r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/app/s1"}"#,
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/*",
    )));
    let e = check(
        &req(session(A, "app", "s1"), "s3:GetObject", OBJECT),
        &i,
        Decision::Allow,
    );
    assert_eq!(
        e.layer(Layer::Resource).and_then(|l| l.grant_form),
        Some(Form::Exact)
    );
}

/// EVAL: "Resource-based policies that grant permissions to an IAM role ARN are limited by an
/// implicit deny in a permissions boundary or session policy" (benkehoe's row "RA → Deny").
#[test]
fn same_account_bucket_grant_to_role_arn_is_limited_by_boundary() {
    let mut i = input();
    i.boundary = Known::Known(Some(allow(
        "arn:aws:iam::111122223333:policy/boundary",
        "ec2:*",
        "*",
    )));
    i.resource = Known::Known(Some(bucket_allow(
        r#"{"AWS":"arn:aws:iam::111122223333:role/app"}"#,
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/*",
    )));
    let e = check(
        &req(session(A, "app", "s1"), "s3:GetObject", OBJECT),
        &i,
        Decision::ImplicitDeny,
    );
    assert_eq!(
        e.layer(Layer::Resource).and_then(|l| l.grant_form),
        Some(Form::Role)
    );
    // The bucket policy does grant (the role ARN), so nothing is "missing" there: the
    // boundary is what stops it, and adding the action to it is the fix (FINDINGS.md:
    // missing_allow is "neither identity-based nor bucket policy allows").
    assert_eq!(
        blocker(&e),
        (Layer::PermissionsBoundary, Decision::ImplicitDeny)
    );
}

/// benkehoe's row "BA-RA → Allow": the boundary allows, the bucket grants the role ARN.
#[test]
fn same_account_bucket_grant_to_role_arn_allows_when_boundary_allows() {
    let mut i = input();
    i.boundary = Known::Known(Some(allow(
        "arn:aws:iam::111122223333:policy/boundary",
        "s3:*",
        "*",
    )));
    i.resource = Known::Known(Some(bucket_allow(
        r#"{"AWS":"arn:aws:iam::111122223333:role/app"}"#,
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/*",
    )));
    check(
        &req(session(A, "app", "s1"), "s3:GetObject", OBJECT),
        &i,
        Decision::Allow,
    );
}

/// BOUNDARY: "An entity's permissions boundary allows it to perform only the actions that are
/// allowed by both its identity-based policies and its permissions boundaries" (rows "PA →
/// Deny", "BA → Deny").
#[test]
fn identity_allow_outside_permissions_boundary_is_denied_by_the_boundary() {
    let mut i = input();
    i.identity = Known::Known(vec![allow(
        "arn:aws:iam::111122223333:policy/read",
        "s3:GetObject",
        "*",
    )]);
    i.boundary = Known::Known(Some(allow(
        "arn:aws:iam::111122223333:policy/boundary",
        "ec2:*",
        "*",
    )));
    let e = check(
        &req(session(A, "app", "s1"), "s3:GetObject", OBJECT),
        &i,
        Decision::ImplicitDeny,
    );
    assert_eq!(
        blocker(&e),
        (Layer::PermissionsBoundary, Decision::ImplicitDeny)
    );
    assert_eq!(
        e.layer(Layer::Identity).map(|l| l.decision),
        Some(Decision::Allow)
    );

    let mut i = input();
    i.boundary = Known::Known(Some(allow(
        "arn:aws:iam::111122223333:policy/boundary",
        "s3:*",
        "*",
    )));
    let e = check(
        &req(session(A, "app", "s1"), "s3:GetObject", OBJECT),
        &i,
        Decision::ImplicitDeny,
    );
    assert_eq!(
        blocker(&e),
        (Layer::Identity, Decision::ImplicitDeny),
        "a boundary grants nothing by itself"
    );
}

/// EVAL: session policies limit the role's identity-based permissions ("the resulting
/// session's permissions are the intersection of the role's identity-based policies and the
/// session policies").
#[test]
fn session_policy_limits_the_role_identity_policy() {
    let mut i = input();
    i.identity = Known::Known(vec![allow_all("arn:aws:iam::111122223333:policy/admin")]);
    i.session = Known::Known(Some(vec![allow("session-policy", "s3:ListBucket", "*")]));
    let e = check(
        &req(session(A, "app", "s1"), "s3:GetObject", OBJECT),
        &i,
        Decision::ImplicitDeny,
    );
    assert_eq!(blocker(&e), (Layer::SessionPolicy, Decision::ImplicitDeny));
}

/// EVAL: an explicit Deny in a session policy denies ("with an explicit deny in a sessions
/// policy").
#[test]
fn explicit_deny_in_session_policy_denies() {
    let mut i = input();
    i.identity = Known::Known(vec![allow_all("arn:aws:iam::111122223333:policy/admin")]);
    i.session = Known::Known(Some(vec![pol(
        "session-policy",
        r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}"#,
    )]));
    let e = check(
        &req(session(A, "app", "s1"), "s3:GetObject", OBJECT),
        &i,
        Decision::ExplicitDeny,
    );
    assert_eq!(blocker(&e), (Layer::SessionPolicy, Decision::ExplicitDeny));
    assert_eq!(
        deny_sids(&e),
        ["#1"],
        "statements without Sid are named by 0-based index"
    );
}

/// EVAL, federated users: a grant to the federated-user session ARN is not limited by the
/// session policy; a grant to the IAM user who federated is.
#[test]
fn federated_user_session_arn_grant_stands_alone_but_federating_user_grant_is_limited() {
    let fed = federated(A, "bob", "broker");
    let mut i = input();
    i.session = Known::Known(Some(vec![allow("session-policy", "ec2:*", "*")]));
    i.resource = Known::Known(Some(bucket_allow(
        r#"{"AWS":"arn:aws:sts::111122223333:federated-user/bob"}"#,
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/*",
    )));
    check(
        &req(fed.clone(), "s3:GetObject", OBJECT),
        &i,
        Decision::Allow,
    );

    i.resource = Known::Known(Some(bucket_allow(
        r#"{"AWS":"arn:aws:iam::111122223333:user/broker"}"#,
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/*",
    )));
    let e = check(
        &req(fed, "s3:GetObject", OBJECT),
        &i,
        Decision::ImplicitDeny,
    );
    assert_eq!(
        e.layer(Layer::Resource).and_then(|l| l.grant_form),
        Some(Form::Role)
    );
}

/// CROSS: "the identity-based policy of the requester and the resource-based policy must both
/// allow" — a bucket grant alone is not enough for a caller from another account.
#[test]
fn cross_account_needs_the_callers_identity_policy_too() {
    let mut i = input();
    i.resource = Known::Known(Some(bucket_allow(
        r#"{"AWS":"arn:aws:iam::444455556666:user/carol"}"#,
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/*",
    )));
    let e = check(
        &req(user(B, "carol"), "s3:GetObject", OBJECT),
        &i,
        Decision::ImplicitDeny,
    );
    assert_eq!(e.same_account, Some(false));
    assert_eq!(blocker(&e), (Layer::Identity, Decision::ImplicitDeny));
}

/// CROSS, other side: the caller's identity policy alone cannot reach into another account.
#[test]
fn cross_account_needs_the_bucket_policy_to_allow() {
    let mut i = input();
    i.identity = Known::Known(vec![allow(
        "arn:aws:iam::444455556666:policy/read",
        "s3:GetObject",
        "*",
    )]);
    let e = check(
        &req(user(B, "carol"), "s3:GetObject", OBJECT),
        &i,
        Decision::ImplicitDeny,
    );
    assert_eq!(blocker(&e), (Layer::Resource, Decision::ImplicitDeny));
}

/// CROSS + Principal docs: a grant to the other account (id or root ARN) delegates to that
/// account's IAM policies; with them it allows.
#[test]
fn cross_account_grant_to_account_delegates_to_its_identity_policies() {
    for p in [
        r#"{"AWS":"444455556666"}"#,
        r#"{"AWS":"arn:aws:iam::444455556666:root"}"#,
    ] {
        let mut i = input();
        i.resource = Known::Known(Some(bucket_allow(
            p,
            "s3:GetObject",
            "arn:aws:s3:::amzn-s3-demo-bucket/*",
        )));
        i.identity = Known::Known(vec![allow(
            "arn:aws:iam::444455556666:policy/read",
            "s3:GetObject",
            "*",
        )]);
        let e = check(
            &req(user(B, "carol"), "s3:GetObject", OBJECT),
            &i,
            Decision::Allow,
        );
        assert_eq!(
            e.layer(Layer::Resource).and_then(|l| l.grant_form),
            Some(Form::Account)
        );
    }
}

/// EVAL, SCPs: "If the enforcement code does not find any applicable Allow statements in the
/// SCPs, ... Deny", and every level from the root to the account must allow.
#[test]
fn scp_every_level_from_root_to_account_must_allow() {
    let mut i = input();
    i.identity = Known::Known(vec![allow_all("arn:aws:iam::111122223333:policy/admin")]);
    i.scp = Known::Known(Some(vec![
        level("r-root", vec![allow_all("p-FullAWSAccess")]),
        level("ou-abcd-11111111", vec![allow("p-ec2only", "ec2:*", "*")]),
        level(A, vec![allow_all("p-FullAWSAccess")]),
    ]));
    let e = check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &i,
        Decision::ImplicitDeny,
    );
    let b = e.primary_blocker().expect("blocked");
    assert_eq!(
        (b.layer, b.deny, b.level.as_deref()),
        (Layer::Scp, Decision::ImplicitDeny, Some("ou-abcd-11111111"))
    );
}

/// EVAL: an explicit Deny in an SCP denies, even with every other layer allowing.
#[test]
fn explicit_deny_in_scp_denies() {
    let mut i = input();
    i.identity = Known::Known(vec![allow_all("arn:aws:iam::111122223333:policy/admin")]);
    i.scp = Known::Known(Some(vec![level(
        "r-root",
        vec![
            allow_all("p-FullAWSAccess"),
            pol(
                "p-deny-s3",
                r#"{"Statement":[{"Sid":"DenyS3","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
            ),
        ],
    )]));
    let e = check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &i,
        Decision::ExplicitDeny,
    );
    assert_eq!(blocker(&e), (Layer::Scp, Decision::ExplicitDeny));
    assert_eq!(e.matched_deny[0].policy_id, "p-deny-s3");
}

/// SCP docs: the management account is not affected by SCPs (the snapshot gives
/// `Known(None)`), nor is the root user's full access in its own account limited otherwise.
#[test]
fn root_user_has_full_access_in_its_account_without_policies() {
    let e = check(
        &req(root(A), "s3:GetObject", OBJECT),
        &input(),
        Decision::Allow,
    );
    assert_eq!(
        e.layer(Layer::Identity).map(|l| l.decision),
        Some(Decision::Allow)
    );
}

/// EVAL, RCPs: an explicit Deny in an RCP of the resource account denies, same account too.
#[test]
fn explicit_deny_in_rcp_denies_same_account_access() {
    let mut i = input();
    i.identity = Known::Known(vec![allow_all("arn:aws:iam::111122223333:policy/admin")]);
    i.rcp = Known::Known(Some(vec![level(
        "r-root",
        vec![
            allow_rcp("p-RCPFullAWSAccess"),
            pol(
                "p-rcp-tls",
                r#"{"Statement":[{"Sid":"EnforceTLS","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"BoolIfExists":{"aws:SecureTransport":"false"}}}]}"#,
            ),
        ],
    )]));
    let mut r = req(user(A, "alice"), "s3:GetObject", OBJECT);
    r.context.set("aws:SecureTransport", "false");
    let e = check(&r, &i, Decision::ExplicitDeny);
    assert_eq!(blocker(&e), (Layer::Rcp, Decision::ExplicitDeny));
    assert_eq!(deny_sids(&e), ["EnforceTLS"]);
    r.context.set("aws:SecureTransport", "true");
    check(&r, &i, Decision::Allow);
}

/// EVAL, VPC endpoint policies: a request through an endpoint needs its policy to allow.
#[test]
fn vpc_endpoint_policy_must_allow_requests_through_the_endpoint() {
    let mut i = input();
    i.identity = Known::Known(vec![allow_all("arn:aws:iam::111122223333:policy/admin")]);
    i.vpc_endpoint = Known::Known(Some(pol(
        "vpce-0abc",
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other-bucket/*"}]}"#,
    )));
    let e = check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &i,
        Decision::ImplicitDeny,
    );
    assert_eq!(blocker(&e), (Layer::VpcEndpoint, Decision::ImplicitDeny));
    assert_eq!(
        e.primary_blocker().and_then(|b| b.policy_id.as_deref()),
        Some("vpce-0abc")
    );
}

/// EVAL: anonymous requests can be allowed only by a resource-based policy naming `*`.
#[test]
fn anonymous_caller_is_allowed_only_by_a_public_bucket_policy() {
    let e = check(
        &req(anonymous(), "s3:GetObject", OBJECT),
        &input(),
        Decision::ImplicitDeny,
    );
    assert_eq!(blocker(&e), (Layer::Resource, Decision::ImplicitDeny));
    let mut i = input();
    i.resource = Known::Known(Some(bucket_allow(
        r#""*""#,
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/*",
    )));
    let e = check(
        &req(anonymous(), "s3:GetObject", OBJECT),
        &i,
        Decision::Allow,
    );
    assert_eq!(
        e.layer(Layer::Resource).and_then(|l| l.grant_form),
        Some(Form::Wildcard)
    );
    // A grant to an account does not reach anonymous callers.
    i.resource = Known::Known(Some(bucket_allow(
        r#"{"AWS":"111122223333"}"#,
        "s3:GetObject",
        "*",
    )));
    check(
        &req(anonymous(), "s3:GetObject", OBJECT),
        &i,
        Decision::ImplicitDeny,
    );
}

/// BOUNDARY / NOTPRINCIPAL: "The NotPrincipal element with a Deny effect will always deny any
/// IAM principal that has a permissions boundary policy attached, regardless of the values
/// specified in the NotPrincipal element."
#[test]
fn not_principal_deny_always_denies_a_principal_with_a_boundary() {
    let bucket = pol(
        "bucket-policy:amzn-s3-demo-bucket",
        r#"{"Statement":[{"Sid":"OnlyApp","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:role/app","arn:aws:sts::111122223333:assumed-role/app/s1"]},"Action":"s3:*","Resource":"*"}]}"#,
    );
    let mut i = input();
    i.identity = Known::Known(vec![allow_all("arn:aws:iam::111122223333:policy/admin")]);
    i.resource = Known::Known(Some(bucket));
    // Listed in NotPrincipal and no boundary: the Deny does not apply.
    check(
        &req(session(A, "app", "s1"), "s3:GetObject", OBJECT),
        &i,
        Decision::Allow,
    );
    // Same caller with a boundary that allows everything: denied anyway.
    i.boundary = Known::Known(Some(allow_all("arn:aws:iam::111122223333:policy/boundary")));
    let e = check(
        &req(session(A, "app", "s1"), "s3:GetObject", OBJECT),
        &i,
        Decision::ExplicitDeny,
    );
    assert_eq!(deny_sids(&e), ["OnlyApp"]);
}

/// OPERATORS: `Bool` on `aws:SecureTransport` — the classic "deny non-TLS" bucket policy.
#[test]
fn bucket_policy_denies_requests_without_tls() {
    let mut i = input();
    i.identity = Known::Known(vec![allow_all("arn:aws:iam::111122223333:policy/admin")]);
    i.resource = Known::Known(Some(pol(
        "bucket-policy:amzn-s3-demo-bucket",
        r#"{"Statement":[{"Sid":"DenyInsecure","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
    )));
    let mut r = req(user(A, "alice"), "s3:GetObject", OBJECT);
    check(&r, &i, Decision::Allow);
    r.context.set("aws:SecureTransport", "false");
    let e = check(&r, &i, Decision::ExplicitDeny);
    assert_eq!(blocker(&e), (Layer::Resource, Decision::ExplicitDeny));
    assert_eq!(
        e.primary_blocker().and_then(|b| b.policy_id.as_deref()),
        Some("bucket-policy:amzn-s3-demo-bucket")
    );
}

/// OPERATORS: a negated operator on a missing key is true — "deny unless from my endpoint"
/// denies a request that came through no endpoint at all.
#[test]
fn string_not_equals_on_absent_source_vpce_denies() {
    let mut i = input();
    i.identity = Known::Known(vec![allow_all("arn:aws:iam::111122223333:policy/admin")]);
    i.resource = Known::Known(Some(pol(
        "bucket-policy:amzn-s3-demo-bucket",
        r#"{"Statement":[{"Sid":"OnlyVpce","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}]}"#,
    )));
    let e = check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &i,
        Decision::ExplicitDeny,
    );
    assert_eq!(deny_sids(&e), ["OnlyVpce"]);
}

/// Cedar's partial evaluation: a Deny whose condition reads a key the record cannot give
/// makes the verdict unknown (it could be allowed or explicitly denied), and says what is
/// missing.
#[test]
fn unknown_key_in_a_deny_makes_an_otherwise_allowed_request_unknown() {
    let mut i = input();
    i.identity = Known::Known(vec![allow_all("arn:aws:iam::111122223333:policy/admin")]);
    i.resource = Known::Known(Some(pol(
        "bucket-policy:amzn-s3-demo-bucket",
        r#"{"Statement":[{"Sid":"Referer","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotLike":{"aws:Referer":"https://example.com/*"}}}]}"#,
    )));
    let e = check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &i,
        Decision::Unknown,
    );
    assert_eq!(e.allowed, None);
    assert!(
        e.unknowns
            .iter()
            .any(|u| u.contains("aws:referer") || u.contains("aws:Referer")),
        "{:?}",
        e.unknowns
    );
}

/// Unknown only when it could change the answer: with nothing allowing the request it is
/// denied for sure, even though an unknown Deny leaves explicit-vs-implicit open.
#[test]
fn unknown_key_in_a_deny_of_an_unallowed_request_is_still_denied() {
    let mut i = input();
    i.resource = Known::Known(Some(pol(
        "bucket-policy:amzn-s3-demo-bucket",
        r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotLike":{"aws:Referer":"x"}}}]}"#,
    )));
    let e = authorize(&req(user(A, "alice"), "s3:GetObject", OBJECT), &i);
    assert_eq!((e.decision, e.allowed), (Decision::Unknown, Some(false)));
    // And an unknown condition next to a definite mismatch does not matter at all.
    i.resource = Known::Known(Some(pol(
        "bucket-policy:amzn-s3-demo-bucket",
        r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*","Condition":{"StringNotLike":{"aws:Referer":"x"}}}]}"#,
    )));
    i.identity = Known::Known(vec![allow_all("arn:aws:iam::111122223333:policy/admin")]);
    check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &i,
        Decision::Allow,
    );
}

/// A layer the snapshot lacks makes the verdict unknown only when it matters: a bucket grant
/// to the user's own ARN allows whatever the unknown identity policies say (same account).
#[test]
fn unknown_identity_policies_do_not_matter_when_the_bucket_grants_the_user() {
    let mut i = input();
    i.identity = Known::Unknown("iam.json of account 111122223333 is missing".into());
    let r = req(user(A, "alice"), "s3:GetObject", OBJECT);
    let e = authorize(&r, &i);
    assert_eq!(e.decision, Decision::Unknown);
    assert!(
        e.unknowns.iter().any(|u| u.contains("iam.json")),
        "{:?}",
        e.unknowns
    );
    i.resource = Known::Known(Some(bucket_allow(
        r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#,
        "s3:GetObject",
        "*",
    )));
    // Allowed regardless — unless the unknown identity policies hold a Deny, so unknown.
    let e = authorize(&r, &i);
    assert_eq!((e.decision, e.allowed), (Decision::Unknown, None));
}

/// VARIABLES: `${aws:username}` in `Resource` gives each user their own prefix.
#[test]
fn policy_variable_in_resource_scopes_each_user_to_their_prefix() {
    let mut i = input();
    i.identity = Known::Known(vec![allow(
        "p",
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*",
    )]);
    let mut r = req(
        user(A, "alice"),
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/home/alice/a.txt",
    );
    r.context.set("aws:username", "alice");
    let e = authorize(&r, &i);
    assert_eq!(e.decision, Decision::Allow);
    r.resource = "arn:aws:s3:::amzn-s3-demo-bucket/home/bob/a.txt".into();
    assert_eq!(authorize(&r, &i).decision, Decision::ImplicitDeny);
    // A role session has no aws:username: the variable is null and matches nothing.
    r.context.mark_absent("aws:username");
    r.resource = "arn:aws:s3:::amzn-s3-demo-bucket/home/alice/a.txt".into();
    assert_eq!(authorize(&r, &i).decision, Decision::ImplicitDeny);
}

/// Grammar: `NotAction` and `NotResource` match everything except what they list.
#[test]
fn not_action_and_not_resource_match_everything_else() {
    let mut i = input();
    i.identity = Known::Known(vec![pol(
        "p",
        r#"{"Statement":[{"Effect":"Allow","NotAction":"s3:DeleteObject","NotResource":"arn:aws:s3:::secret/*"}]}"#,
    )]);
    check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &i,
        Decision::Allow,
    );
    check(
        &req(user(A, "alice"), "s3:DeleteObject", OBJECT),
        &i,
        Decision::ImplicitDeny,
    );
    check(
        &req(user(A, "alice"), "s3:GetObject", "arn:aws:s3:::secret/x"),
        &i,
        Decision::ImplicitDeny,
    );
}

/// Actions are case-insensitive (grammar: "action names are not case sensitive").
#[test]
fn actions_match_case_insensitively() {
    let mut i = input();
    i.identity = Known::Known(vec![allow("p", "S3:getobj*", "*")]);
    check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &i,
        Decision::Allow,
    );
}

/// The mismatch codes say why each statement did not apply.
#[test]
fn non_matching_statements_carry_fixed_reason_codes() {
    use crate::policy::Mismatch;
    let mut i = input();
    i.identity = Known::Known(vec![pol(
        "p",
        r#"{"Statement":[
            {"Sid":"Act","Effect":"Allow","Action":"s3:PutObject","Resource":"*"},
            {"Sid":"Res","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"},
            {"Sid":"Cond","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}
        ]}"#,
    )]);
    let e = check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &i,
        Decision::ImplicitDeny,
    );
    let traces = &e.layer(Layer::Identity).expect("identity layer").policies[0].statements;
    assert_eq!(traces[0].why, [Mismatch::ActionNotMatched]);
    assert_eq!(traces[1].why, [Mismatch::ResourceNotMatched]);
    assert_eq!(
        traces[2].why,
        [Mismatch::ConditionFailed {
            op: "IpAddress".into(),
            key: "aws:SourceIp".into(),
            policy_values: vec!["10.0.0.0/8".into()],
            request: Some(vec!["203.0.113.10".into()]),
        }]
    );
}

/// KMS key policies (AWS-NOTES; KMS developer guide, "Key policies"): "the key policy must
/// allow even within one account" — an identity policy alone does not reach the key, a key
/// policy naming the account only enables IAM policies, one naming the role grants directly.
#[test]
fn kms_key_policy_must_allow_even_in_the_same_account() {
    let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let mut i = input();
    i.identity = Known::Known(vec![allow("p", "kms:Decrypt", "*")]);
    i.resource = Known::Known(Some(pol(
        key,
        r#"{"Statement":[{"Sid":"Admins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/admin"},"Action":"kms:*","Resource":"*"}]}"#,
    )));
    let e = authorize(&req(session(A, "app", "s1"), "kms:Decrypt", key), &i);
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(blocker(&e), (Layer::Resource, Decision::ImplicitDeny));
    // The key policy enables IAM policies by naming the account.
    i.resource = Known::Known(Some(pol(
        key,
        r#"{"Statement":[{"Sid":"EnableIAM","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#,
    )));
    assert_eq!(
        authorize(&req(session(A, "app", "s1"), "kms:Decrypt", key), &i).decision,
        Decision::Allow
    );
    // ... which still needs the IAM policy.
    i.identity = Known::Known(vec![]);
    let e = authorize(&req(session(A, "app", "s1"), "kms:Decrypt", key), &i);
    assert_eq!(
        (e.decision, blocker(&e)),
        (
            Decision::ImplicitDeny,
            (Layer::Identity, Decision::ImplicitDeny)
        )
    );
    // A key policy naming the role grants without any IAM policy.
    i.resource = Known::Known(Some(pol(
        key,
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"kms:Decrypt","Resource":"*"}]}"#,
    )));
    assert_eq!(
        authorize(&req(session(A, "app", "s1"), "kms:Decrypt", key), &i).decision,
        Decision::Allow
    );
}

/// EVAL documents the same-account rule for grants to a user, a role session and a role ARN,
/// not for `"Principal": "*"`. With no boundary or session policy a public grant allows; when
/// one of them lacks the Allow, the engine says unknown instead of guessing.
#[test]
fn same_account_wildcard_grant_with_a_denying_boundary_is_unknown_not_guessed() {
    let mut i = input();
    i.resource = Known::Known(Some(bucket_allow(
        r#""*""#,
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/*",
    )));
    check(
        &req(session(A, "app", "s1"), "s3:GetObject", OBJECT),
        &i,
        Decision::Allow,
    );
    i.boundary = Known::Known(Some(allow(
        "arn:aws:iam::111122223333:policy/boundary",
        "ec2:*",
        "*",
    )));
    let e = authorize(&req(session(A, "app", "s1"), "s3:GetObject", OBJECT), &i);
    assert_eq!((e.decision, e.allowed), (Decision::Unknown, None));
    assert!(
        e.unknowns
            .iter()
            .any(|u| u.contains("\"Principal\": \"*\"")),
        "{:?}",
        e.unknowns
    );
    // Cross-account the question does not arise: the caller's side must allow anyway.
    let e = authorize(&req(session(B, "app", "s1"), "s3:GetObject", OBJECT), &i);
    assert_eq!(e.decision, Decision::ImplicitDeny);
}
