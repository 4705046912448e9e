//! Role chaining and transitive session tags, end to end: the chained session's
//! `aws:PrincipalTag/*` follow from the STS records of the sessions up its chain.
//!
//! IAM User Guide, id_session-tags.html, "Chaining roles with session tags": "When you pass
//! session tags while assuming a role, you can set the keys as transitive. This ensures that
//! those session tags pass to subsequent sessions in a role chain. You cannot set role tags as
//! transitive." STS API reference, AssumeRole, `TransitiveTagKeys`: "If you choose not to
//! specify a transitive tag key, then no tags are passed from this session to any subsequent
//! sessions."

use super::*;

/// `explain`'s text for event `id`.
fn explain(o: &Org, id: &str) -> String {
    let (snap, logs) = o.write();
    let mut c = denytrail();
    c.args(["explain", id, "--snapshot"]).arg(&snap).arg(&logs);
    let (out, stdout, stderr) = run(c);
    assert!(out.status.success(), "explain failed: {stderr}");
    stdout
}

/// A role in PROD whose trust policy lets sessions carry tags (`sts:TagSession`): without it
/// the role's own tags are all a session can have, and the chain would not matter.
fn taggable_role(o: &mut Org, name: &str, inline: Vec<(&str, Value)>) {
    o.role(PROD, name, inline, None);
    let roles = &mut o.account_iam(PROD).1;
    if let Some(r) = roles.last_mut() {
        r["AssumeRolePolicyDocument"] = doc(json!([{"Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{PROD}:root")}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]));
    }
}

/// alice assumes `hop1` passing `tags` with `transitive` keys (key ASIAHOP1); that session
/// assumes `reader` passing nothing (key ASIAREAD). Returns the id of a GetObject denied to
/// the reader session. `with_first` false leaves the first record out of the logs.
fn chain(o: &mut Org, tags: Value, transitive: Value, with_first: bool) -> String {
    taggable_role(o, "hop1", vec![]);
    taggable_role(o, "reader", vec![("p", abac_team_data())]);
    if with_first {
        assume_role_record(
            o,
            "hop1",
            "ASIAHOP1",
            json!({"tags": tags, "transitiveTagKeys": transitive}),
        );
    }
    o.record(json!({"eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
        "userIdentity": session_id(PROD, "hop1", "s1", "ASIAHOP1"), "recipientAccountId": PROD,
        "requestParameters": {"roleArn": format!("arn:aws:iam::{PROD}:role/reader"), "roleSessionName": "s2"},
        "responseElements": {"credentials": {"accessKeyId": "ASIAREAD"}}, "eventType": "AwsApiCall"}));
    o.s3(
        &session_id(PROD, "reader", "s2", "ASIAREAD"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    )
}

/// A bucket policy denying the data team: decided only when the session's `team` tag is.
fn deny_data_team() -> Option<Value> {
    Some(doc(
        json!([{"Sid": "NoDataTeam", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::app-data/*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "data"}}}]),
    ))
}

/// id_session-tags.html: "The `Heart` and `Star` tags are inherited from the transitive session
/// tags in the first session." team=data, passed as transitive when hop1 was assumed, is a tag
/// of the reader session too: the bucket policy's Deny on it applies.
#[test]
fn transitive_tag_of_the_calling_session_is_inherited() {
    let mut o = org_with_app_data(deny_data_team());
    let id = chain(
        &mut o,
        json!([{"key": "team", "value": "data"}]),
        json!(["team"]),
        true,
    );
    let f = o.one(&id);
    expect(
        &f,
        "explicit_deny",
        Some("explicit"),
        Some("resource"),
        Some("bucket-policy:app-data"),
        Some("NoDataTeam"),
    );
    let text = explain(&o, &id);
    assert!(text.contains("aws:principaltag/team = data"), "{text}");
}

/// id_session-tags.html: "The `Sun` tag that was attached to `Role2` is not marked as
/// transitive because it is not a session tag. This tag will not be inherited by future
/// sessions"; a session tag not named in `transitiveTagKeys` is not passed either. The reader
/// session has no `team` tag: the Deny does not apply, nor does the ABAC Allow.
#[test]
fn non_transitive_tag_stays_with_its_session() {
    let mut o = org_with_app_data(deny_data_team());
    let id = chain(
        &mut o,
        json!([{"key": "team", "value": "data"}, {"key": "cost", "value": "1"}]),
        json!(["cost"]),
        true,
    );
    let f = o.one(&id);
    expect(
        &f,
        "missing_allow",
        Some("implicit"),
        Some("identity"),
        Some("arn:aws:iam::222222222222:role/reader"),
        None,
    );
}

/// Without the record that issued the calling session's key, its transitive tags are not
/// known: the Deny on `team` may or may not apply, and the answer stays unknown.
#[test]
fn missing_link_keeps_the_inherited_tags_unknown() {
    let mut o = org_with_app_data(deny_data_team());
    let id = chain(
        &mut o,
        json!([{"key": "team", "value": "data"}]),
        json!(["team"]),
        false,
    );
    let f = o.one(&id);
    expect(&f, "unknown", None, None, None, None);
    let text = explain(&o, &id);
    assert!(
        text.contains("aws:principaltag/team: unknown")
            && text.contains("the record that issued access key ASIAHOP1 (the caller of AssumeRole) is not in the logs"),
        "{text}"
    );
}

/// cloudtrail-integration.html, "Example AWS STS role chaining API event in CloudTrail log
/// file": the chained AssumeRole record lists what it inherited, `"incomingTransitiveTags":
/// {"Department": "Engineering"}` ("The request inherits the `Department` tag as transitive").
/// That list is enough without the first record.
#[test]
fn incoming_transitive_tags_listed_in_the_record_need_no_link() {
    let mut o = org_with_app_data(deny_data_team());
    taggable_role(&mut o, "reader", vec![("p", abac_team_data())]);
    o.record(json!({"eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
        "userIdentity": session_id(PROD, "hop1", "s1", "ASIAHOP1"), "recipientAccountId": PROD,
        "requestParameters": {"roleArn": format!("arn:aws:iam::{PROD}:role/reader"), "roleSessionName": "s2",
            "incomingTransitiveTags": {"team": "data"}},
        "responseElements": {"credentials": {"accessKeyId": "ASIAREAD"}}, "eventType": "AwsApiCall"}));
    let id = o.s3(
        &session_id(PROD, "reader", "s2", "ASIAREAD"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "explicit_deny",
        Some("explicit"),
        Some("resource"),
        Some("bucket-policy:app-data"),
        Some("NoDataTeam"),
    );
}
