//! "Known not to be X" ([`KeyState::NotMatching`](crate::policy::KeyState::NotMatching)):
//! conditions on a key that is absent or holds only values outside some patterns, decided by
//! AWS's operator rules wherever every possible world agrees, table-driven and checked
//! against the naive oracle (which tries the worlds one by one).
//!
//! The rules quoted (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
//! "If the key that you specify in a policy condition is not present in the request context,
//! the values do not match and the condition is false. If the policy condition requires that
//! the key is not matched, such as StringNotLike or ArnNotLike, and the right key is not
//! present, the condition is true."; `...IfExists`: "If the policy key is present in the
//! context of the request, process the key as specified in the policy. If the key is not
//! present, evaluate the condition element as true."
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
//! `ForAnyValue` — "If the key is missing, the condition returns false"; `ForAllValues` —
//! "returns true if every context key value in the request matches at least one value in the
//! policy ... It also returns true if there are no context keys in the request".

use super::fixtures::*;
use super::oracle;
use crate::policy::{authorize, Decision, Known, Request};

const ORG: &str = "o-ours123456";

/// A caller outside the organization: `aws:PrincipalOrgID` is absent or another org's, and
/// `aws:PrincipalOrgPaths` is absent or outside ours.
fn outsider() -> Request {
    let mut r = req(user(B, "eve"), "s3:GetObject", OBJECT);
    r.context
        .set_not_matching("aws:PrincipalOrgID", vec![ORG.to_owned()]);
    r.context
        .set_not_matching("aws:PrincipalOrgPaths", vec![format!("{ORG}/*")]);
    r.context.mark_absent("aws:PrincipalTag/none");
    r
}

/// The bucket policy grants the object to everyone under one condition; the caller's own
/// account allows it. Allow = the condition holds, implicit deny = it does not.
fn decide(op: &str, key: &str, values: &[&str]) -> (Decision, Option<Decision>) {
    let vals = serde_json::to_string(values).unwrap_or_default();
    let mut i = input();
    i.identity = Known::Known(vec![allow(
        "arn:aws:iam::444455556666:policy/read",
        "s3:GetObject",
        "*",
    )]);
    i.resource = Known::Known(Some(pol(
        "bucket-policy:amzn-s3-demo-bucket",
        &format!(
            r#"{{"Statement":[{{"Sid":"Org","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*","Condition":{{"{op}":{{"{key}":{vals}}}}}}}]}}"#
        ),
    )));
    let r = outsider();
    (authorize(&r, &i).decision, oracle::decide(&r, &i))
}

const ALLOW: Decision = Decision::Allow;
const DENY: Decision = Decision::ImplicitDeny;
const UNKNOWN: Decision = Decision::Unknown;

#[test]
fn operators_over_a_key_known_not_to_be_ours() {
    let org = "aws:PrincipalOrgID";
    let paths = "aws:PrincipalOrgPaths";
    let ours = [ORG];
    let sub = format!("{ORG}/r-ab12/*");
    let sub = [sub.as_str()];
    #[rustfmt::skip]
    let table: &[(&str, &str, &[&str], Decision)] = &[
        // Every policy value lies inside the exclusion.
        ("StringEquals", org, &ours, DENY),
        ("StringNotEquals", org, &ours, ALLOW),
        ("StringNotEqualsIfExists", org, &ours, ALLOW),
        ("StringEqualsIfExists", org, &ours, UNKNOWN),
        ("StringLike", org, &ours, DENY),
        ("StringNotLike", org, &ours, ALLOW),
        ("ArnLike", org, &ours, DENY),
        ("Null", org, &["true"], UNKNOWN),
        ("Null", org, &["false"], UNKNOWN),
        ("ForAnyValue:StringEquals", org, &ours, DENY),
        ("ForAnyValue:StringNotEquals", org, &ours, UNKNOWN),
        ("ForAllValues:StringEquals", org, &ours, UNKNOWN),
        ("ForAllValues:StringNotEquals", org, &ours, ALLOW),
        ("ForAnyValue:StringLike", paths, &sub, DENY),
        ("ForAnyValue:StringLike", paths, &[&format!("{ORG}/*")], DENY),
        ("ForAllValues:StringLike", paths, &sub, UNKNOWN),
        ("ForAllValues:StringNotLike", paths, &sub, ALLOW),
        ("StringNotLikeIfExists", paths, &sub, ALLOW),
        // A policy value that could match a value outside the exclusion stays unknown.
        ("StringEquals", org, &[ORG, "o-partner0001"], UNKNOWN),
        ("StringNotEquals", org, &[ORG, "o-partner0001"], UNKNOWN),
        ("StringLike", org, &["o-*"], UNKNOWN),
        ("StringLike", org, &["o-ours*"], UNKNOWN),
        ("ForAnyValue:StringLike", paths, &[&format!("{ORG}*")], UNKNOWN),
        ("StringEqualsIgnoreCase", org, &ours, UNKNOWN),
        // Variables: a null variable matches nothing (covered); an unknown one is not.
        ("StringEquals", org, &["${aws:PrincipalTag/none}"], DENY),
        ("StringEquals", org, &["${aws:Referer}"], UNKNOWN),
        // Families that do not compare strings decide nothing.
        ("NumericEquals", org, &["1"], UNKNOWN),
    ];
    let mut wrong = Vec::new();
    for (op, key, vals, expected) in table {
        let (engine, oracle) = decide(op, key, vals);
        // The oracle does not substitute policy variables: no opinion on those rows.
        let oracle_ok = match oracle {
            _ if vals.iter().any(|v| v.contains("${")) => true,
            Some(o) => o == engine,
            None => engine == Decision::Unknown,
        };
        if engine != *expected || !oracle_ok {
            wrong.push(format!(
                "{op} {key} {vals:?}: engine {engine:?}, oracle {oracle:?}, expected {expected:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The identity-perimeter RCP (AWS's data-perimeter example): deny unless
/// `aws:PrincipalOrgID` is ours, for principals that are not AWS services. A caller outside
/// the organization is explicitly denied by it, and the trace says why.
#[test]
fn identity_perimeter_rcp_denies_a_caller_outside_the_organization() {
    let mut i = input();
    i.identity = Known::Known(vec![allow(
        "arn:aws:iam::444455556666:policy/read",
        "s3:GetObject",
        "*",
    )]);
    i.resource = Known::Known(Some(bucket_allow(
        r#"{"AWS":"arn:aws:iam::444455556666:user/eve"}"#,
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/*",
    )));
    let perimeter = pol(
        "p-perimeter",
        &format!(
            r#"{{"Statement":[{{"Sid":"EnforceOrgIdentities","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{{"StringNotEqualsIfExists":{{"aws:PrincipalOrgID":"{ORG}"}},"BoolIfExists":{{"aws:PrincipalIsAWSService":"false"}}}}}}]}}"#
        ),
    );
    i.rcp = Known::Known(Some(vec![
        level("r-root", vec![allow_rcp("RCPFullAWSAccess"), perimeter]),
        level(A, vec![allow_rcp("RCPFullAWSAccess")]),
    ]));
    let mut r = outsider();
    r.context.set("aws:PrincipalIsAWSService", "false");
    let e = authorize(&r, &i);
    assert_eq!(e.decision, Decision::ExplicitDeny, "{e:#?}");
    assert_eq!(oracle::decide(&r, &i), Some(Decision::ExplicitDeny));
    let b = e.primary_blocker().expect("a blocker");
    assert_eq!(b.layer, crate::policy::Layer::Rcp);
    let text = crate::policy::render_text(&r, &e);
    assert!(
        text.contains("aws:principalorgid: not `o-ours123456` (absent, or another value)"),
        "{text}"
    );
    // A member of the organization passes the same perimeter.
    r.context.set("aws:PrincipalOrgID", ORG);
    assert_eq!(authorize(&r, &i).decision, Decision::Allow);
}

/// The explain trace says, for a condition the exclusion does not decide, that the value is
/// known only not to be X and why that is not enough.
#[test]
fn trace_says_why_an_exclusion_did_not_decide() {
    let mut i = input();
    i.resource = Known::Known(Some(pol(
        "bucket-policy:amzn-s3-demo-bucket",
        r#"{"Statement":[{"Sid":"Partner","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringLike":{"aws:PrincipalOrgID":"o-*"}}}]}"#,
    )));
    let r = outsider();
    let e = authorize(&r, &i);
    let text = crate::policy::render_text(&r, &e);
    assert!(
        text.contains("known only not to be `o-ours123456`, and a value the policy names could match another value"),
        "{text}"
    );
}
