//! `NotPrincipal`, resource-policy statements without `Principal`, and actions written with
//! whitespace: issue 17 section 7, each by AWS's page, checked against the naive oracle.
//!
//! Pages (https://docs.aws.amazon.com/IAM/latest/UserGuide/…):
//! - NOTPRINCIPAL = reference_policies_elements_notprincipal.html
//! - PRINCIPAL = reference_policies_elements_principal.html
//! - ACTION = reference_policies_elements_action.html

use super::fixtures::*;
use super::oracle;
use crate::policy::{authorize, AuthzInput, Decision, Evaluation, Known, Request};

fn check(r: &Request, input: &AuthzInput, expected: Decision) -> Evaluation {
    let e = authorize(r, input);
    assert_eq!(e.decision, expected, "engine decision; evaluation: {e:#?}");
    match oracle::decide(r, input) {
        Some(o) => assert_eq!(o, e.decision, "oracle disagrees with the engine"),
        None => assert_eq!(expected, Decision::Unknown, "the oracle must judge this"),
    }
    e
}

fn bucket(statements: &str) -> AuthzInput {
    let mut i = input();
    i.identity = Known::Known(vec![allow_all("arn:aws:iam::111122223333:policy/admin")]);
    i.resource = Known::Known(Some(pol(
        "bucket-policy:amzn-s3-demo-bucket",
        &format!(r#"{{"Statement":[{statements}]}}"#),
    )));
    i
}

/// NOTPRINCIPAL: "The NotPrincipal element uses "Effect":"Deny" to deny access to all
/// principals except the principal specified in the NotPrincipal element." A Deny whose
/// `NotPrincipal` names the calling user does not apply to that user (it did: explicit deny).
#[test]
fn not_principal_deny_spares_the_named_user() {
    let i = bucket(
        r#"{"Sid":"OnlyAlice","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:*","Resource":"*"}"#,
    );
    check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &i,
        Decision::Allow,
    );
    let e = check(
        &req(user(A, "bob"), "s3:GetObject", OBJECT),
        &i,
        Decision::ExplicitDeny,
    );
    assert_eq!(e.matched_deny[0].statement, "OnlyAlice");
}

/// NOTPRINCIPAL: "If an assumed-role user (someone who is using a role) is being evaluated,
/// AWS might validate the account first, then the role, and then the assumed-role user. The
/// assumed-role user is identified by the role session name" — its example lists the session
/// ARN and the role ARN. Both listed: spared. The role alone names no session ("Principals
/// must always name a specific session"): denied. The session without its role: the page
/// says the Deny "might" apply to the role, so unknown.
#[test]
fn not_principal_deny_spares_a_session_listed_with_its_role() {
    let sess = "arn:aws:sts::111122223333:assumed-role/app/s1";
    let role = "arn:aws:iam::111122223333:role/app";
    let stmt = |names: &str| {
        format!(
            r#"{{"Sid":"OnlyApp","Effect":"Deny","NotPrincipal":{{"AWS":{names}}},"Action":"s3:*","Resource":"*"}}"#
        )
    };
    let r = req(session(A, "app", "s1"), "s3:GetObject", OBJECT);
    check(
        &r,
        &bucket(&stmt(&format!(r#"["{sess}","{role}"]"#))),
        Decision::Allow,
    );
    check(
        &r,
        &bucket(&stmt(&format!(r#"["{role}"]"#))),
        Decision::ExplicitDeny,
    );
    check(
        &r,
        &bucket(&stmt(&format!(r#"["{sess}"]"#))),
        Decision::Unknown,
    );
    // Another session of the same role is not spared.
    check(
        &req(session(A, "app", "s2"), "s3:GetObject", OBJECT),
        &bucket(&stmt(&format!(r#"["{sess}","{role}"]"#))),
        Decision::ExplicitDeny,
    );
}

/// NOTPRINCIPAL (account ARNs): the root user's ARN is `arn:aws:iam::<account>:root`, the
/// same text that names the account; a Deny with the account in `NotPrincipal` spares the
/// root user, and does not spare the account's IAM users by itself ("you must also specify
/// the account ARN of the not-denied principal": the account goes *with* the principal).
#[test]
fn not_principal_with_the_account_spares_root_not_its_users() {
    let i = bucket(
        r#"{"Sid":"OnlyRoot","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*","Resource":"*"}"#,
    );
    check(&req(root(A), "s3:GetObject", OBJECT), &i, Decision::Allow);
    check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &i,
        Decision::ExplicitDeny,
    );
}

/// NOTPRINCIPAL: with Allow, "Doing so allows all principals except the one named in the
/// NotPrincipal element." An Allow whose `NotPrincipal` names the very caller grants it
/// nothing (it granted: allow).
#[test]
fn not_principal_allow_does_not_grant_the_named_caller() {
    let mut i = input();
    i.resource = Known::Known(Some(pol(
        "bucket-policy:amzn-s3-demo-bucket",
        r#"{"Statement":[{"Sid":"AllButAlice","Effect":"Allow","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::111122223333:root"]},"Action":"s3:GetObject","Resource":"*"}]}"#,
    )));
    check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &i,
        Decision::ImplicitDeny,
    );
    // Someone of another account, whose own account allows the read, is granted.
    let mut other = i.clone();
    other.identity = Known::Known(vec![allow_all("arn:aws:iam::444455556666:policy/admin")]);
    check(
        &req(user(B, "carol"), "s3:GetObject", OBJECT),
        &other,
        Decision::Allow,
    );
}

/// PRINCIPAL: "You must use the Principal element in resource-based policies." A bucket
/// policy statement without `Principal` (or `NotPrincipal`) names nobody: its Deny stops
/// nobody (it gave explicit deny) and its Allow grants nobody.
#[test]
fn resource_policy_statement_without_principal_applies_to_nobody() {
    let i = bucket(r#"{"Sid":"NoPrincipal","Effect":"Deny","Action":"s3:*","Resource":"*"}"#);
    check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &i,
        Decision::Allow,
    );
    let mut grant = input();
    grant.resource = Known::Known(Some(pol(
        "bucket-policy:amzn-s3-demo-bucket",
        r#"{"Statement":[{"Sid":"NoPrincipal","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
    )));
    check(
        &req(user(A, "alice"), "s3:GetObject", OBJECT),
        &grant,
        Decision::ImplicitDeny,
    );
}

/// ACTION: an action is the service prefix and the action name ("s3:GetObject"); AWS
/// compares it as written, so `"s3:GetObject "` or `" s3:GetObject"` (whitespace around)
/// names no action and grants nothing (they matched: allow).
#[test]
fn actions_with_surrounding_whitespace_match_nothing() {
    for written in ["s3:GetObject ", " s3:GetObject", "s3:Get* "] {
        let mut i = input();
        i.identity = Known::Known(vec![allow("p", written, "*")]);
        check(
            &req(user(A, "alice"), "s3:GetObject", OBJECT),
            &i,
            Decision::ImplicitDeny,
        );
    }
}

/// An action without a resource. ListBuckets
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html): "Returns a list of
/// all buckets owned by the authenticated sender of the request. To use this operation, you
/// must have the s3:ListAllMyBuckets permission." — it names no bucket, so policies grant it
/// on `"*"` and no bucket policy is involved. RCPs
/// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_authorization_policies.html):
/// "RCPs are resource-centric controls. RCPs create a permissions guardrail, or set limits, on
/// the maximum permissions available for resources in your member accounts" — no resource,
/// no RCP. The resource account is not needed either. Unknown bucket policy, RCPs and
/// resource account no longer make the verdict unknown.
#[test]
fn an_action_without_a_resource_is_decided_by_the_callers_side() {
    let mut i = input();
    i.identity = Known::Known(vec![allow(
        "arn:aws:iam::111122223333:policy/list",
        "s3:ListAllMyBuckets",
        "*",
    )]);
    i.resource = Known::Unknown("no bucket".into());
    i.rcp = Known::Unknown("RCPs: the resource's account is unknown".into());
    let mut r = req(user(A, "alice"), "s3:ListAllMyBuckets", "*");
    r.resource_account = None;
    let e = check(&r, &i, Decision::Allow);
    assert_eq!(e.same_account, None);
    // The SCPs still apply to the caller.
    i.scp = Known::Known(Some(vec![level(
        "r-root",
        vec![pol(
            "p-deny-list",
            r#"{"Statement":[{"Sid":"NoList","Effect":"Deny","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#,
        )],
    )]));
    check(&r, &i, Decision::ExplicitDeny);
    // Without an identity Allow, nothing else can grant it.
    i.scp = Known::Known(None);
    i.identity = Known::Known(Vec::new());
    let e = check(&r, &i, Decision::ImplicitDeny);
    assert_eq!(
        e.primary_blocker().map(|b| b.layer),
        Some(crate::policy::Layer::Identity)
    );
}

/// KMS alias operations on the alias
/// (https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html): "kms:CreateAlias
/// for the alias. Provide this permission in an IAM policy that is attached to the principal
/// who is allowed to create the alias." An alias has no key policy, so the rule that a key
/// policy must allow even within one account does not apply to it: the identity policy
/// alone decides (it gave implicit deny by the resource layer).
#[test]
fn kms_alias_operations_on_the_alias_need_only_the_identity_policy() {
    let alias = "arn:aws:kms:us-east-1:111122223333:alias/app";
    let mut i = input();
    i.identity = Known::Known(vec![allow(
        "arn:aws:iam::111122223333:policy/alias-admin",
        "kms:CreateAlias",
        alias,
    )]);
    check(
        &req(user(A, "alice"), "kms:CreateAlias", alias),
        &i,
        Decision::Allow,
    );
    // The key itself still needs its key policy.
    let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd";
    i.identity = Known::Known(vec![allow("id", "kms:CreateAlias", key)]);
    let e = authorize(&req(user(A, "alice"), "kms:CreateAlias", key), &i);
    assert_eq!(e.decision, Decision::ImplicitDeny);
}

/// A role ARN given as the caller (`simulate --principal arn:aws:iam::A:role/app`) stands for
/// a session of that role (named `simulate`): requests are made by sessions, never by a role
/// itself. EVAL (reference_policies_evaluation-logic_policy-eval-denyallow.html): "Resource-
/// based policies that grant permissions to an IAM role ARN are limited by an implicit deny in
/// a permissions boundary or session policy", while a grant to the assumed-role session ARN
/// is not. So a bucket grant to the role is stopped by a boundary that lacks the action, a
/// grant to the session is not, and a grant to another session of the role does not name it.
#[test]
fn a_role_arn_as_caller_is_a_session_of_that_role() {
    use crate::diagnose::request::principal_from_arn;
    let caller = principal_from_arn(
        "arn:aws:iam::111122223333:role/app",
        crate::snapshot::Snapshot::absent(),
    )
    .expect("a role ARN is a principal");
    assert_eq!(caller.kind, crate::policy::PrincipalKind::AssumedRole);
    let grant = |who: &str| {
        let mut i = input();
        i.boundary = Known::Known(Some(allow(
            "arn:aws:iam::111122223333:policy/boundary",
            "ec2:*",
            "*",
        )));
        i.resource = Known::Known(Some(bucket_allow(
            &format!(r#"{{"AWS":"{who}"}}"#),
            "s3:GetObject",
            "arn:aws:s3:::amzn-s3-demo-bucket/*",
        )));
        i
    };
    let r = req(caller.clone(), "s3:GetObject", OBJECT);
    let e = check(
        &r,
        &grant("arn:aws:iam::111122223333:role/app"),
        Decision::ImplicitDeny,
    );
    assert_eq!(
        e.primary_blocker().map(|b| b.layer),
        Some(crate::policy::Layer::PermissionsBoundary)
    );
    check(
        &r,
        &grant("arn:aws:sts::111122223333:assumed-role/app/simulate"),
        Decision::Allow,
    );
    check(
        &r,
        &grant("arn:aws:sts::111122223333:assumed-role/app/other"),
        Decision::ImplicitDeny,
    );
}
