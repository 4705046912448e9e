//! Each rule of [`super`] on hand-written records; the end-to-end scenarios that show the
//! verdicts these keys decide are in tests/it/diagnose.rs.

use super::*;
use crate::policy::{KeyState, Known};
use serde_json::{json, Value};

fn event(v: Value) -> Event {
    serde_json::from_value(v).expect("a CloudTrail record")
}

fn state(ctx: &Context, key: &str) -> String {
    match ctx.get(key) {
        KeyState::Present(v) => format!("present {}", v.join(",")),
        KeyState::Absent => "absent".to_owned(),
        KeyState::NotMatching(p) => format!("not {}", p.join(",")),
        KeyState::Unknown => "unknown".to_owned(),
    }
}

fn session(mfa: Option<&str>, key: &str) -> Value {
    let mut attrs = json!({"creationDate": "2026-11-20T09:00:00Z"});
    if let Some(m) = mfa {
        attrs["mfaAuthenticated"] = json!(m);
    }
    json!({"eventTime": "2026-11-20T10:00:05Z", "userIdentity": {"type": "AssumedRole", "accessKeyId": key,
        "sessionContext": {"attributes": attrs}}})
}

#[test]
fn org_keys_per_standing() {
    let mut notes: Vec<String> = Vec::new();
    let mut ctx = Context::default();
    org_keys(
        OrgStanding::Member {
            org_id: "o-a1b2c3d4e5",
            path: Known::Known("o-a1b2c3d4e5/r-ab12/ou-ab12-1/"),
        },
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        &mut ctx,
        &mut notes,
    );
    assert_eq!(state(&ctx, "aws:PrincipalOrgID"), "present o-a1b2c3d4e5");
    assert_eq!(
        state(&ctx, "aws:PrincipalOrgPaths"),
        "present o-a1b2c3d4e5/r-ab12/ou-ab12-1/"
    );

    let mut ctx = Context::default();
    org_keys(
        OrgStanding::Outside {
            org_id: "o-a1b2c3d4e5",
        },
        "aws:ResourceOrgID",
        "aws:ResourceOrgPaths",
        &mut ctx,
        &mut notes,
    );
    assert_eq!(state(&ctx, "aws:ResourceOrgID"), "not o-a1b2c3d4e5");
    assert_eq!(state(&ctx, "aws:ResourceOrgPaths"), "not o-a1b2c3d4e5/*");

    let mut ctx = Context::default();
    org_keys(
        OrgStanding::NoOrganization,
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        &mut ctx,
        &mut notes,
    );
    assert_eq!(state(&ctx, "aws:PrincipalOrgID"), "absent");
    assert_eq!(state(&ctx, "aws:PrincipalOrgPaths"), "absent");
    assert!(notes.is_empty(), "{notes:?}");

    let mut ctx = Context::default();
    org_keys(
        OrgStanding::Unknown("organization/ not captured".to_owned()),
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        &mut ctx,
        &mut notes,
    );
    assert_eq!(state(&ctx, "aws:PrincipalOrgID"), "unknown");
    assert_eq!(notes.len(), 1);
}

/// aws:MultiFactorAuthAge: "If MFA was not used, this key is not present."
/// aws:MultiFactorAuthPresent: "The key is not present in AWS CLI, AWS API, or AWS SDK
/// requests that are made using long-term credentials."
#[test]
fn mfa_keys_from_the_session_attributes_and_the_key_kind() {
    let mut notes: Vec<String> = Vec::new();

    let mut ctx = Context::default();
    mfa_keys(
        &event(session(Some("true"), "ASIAX")),
        PrincipalKind::AssumedRole,
        &mut ctx,
        &mut notes,
    );
    assert_eq!(state(&ctx, "aws:MultiFactorAuthPresent"), "present true");
    assert_eq!(state(&ctx, "aws:MultiFactorAuthAge"), "present 3605");

    let mut ctx = Context::default();
    mfa_keys(
        &event(session(Some("false"), "ASIAX")),
        PrincipalKind::AssumedRole,
        &mut ctx,
        &mut notes,
    );
    assert_eq!(state(&ctx, "aws:MultiFactorAuthPresent"), "present false");
    assert_eq!(state(&ctx, "aws:MultiFactorAuthAge"), "absent");

    let mut ctx = Context::default();
    let user = json!({"userIdentity": {"type": "IAMUser", "accessKeyId": "AKIAEXAMPLE"}});
    mfa_keys(&event(user), PrincipalKind::User, &mut ctx, &mut notes);
    for k in [
        "aws:MultiFactorAuthPresent",
        "aws:MultiFactorAuthAge",
        "aws:TokenIssueTime",
    ] {
        assert_eq!(state(&ctx, k), "absent", "{k}");
    }

    // A temporary key whose record lacks the attributes: nothing is known.
    let mut ctx = Context::default();
    mfa_keys(
        &event(session(None, "ASIAX")),
        PrincipalKind::AssumedRole,
        &mut ctx,
        &mut notes,
    );
    assert_eq!(state(&ctx, "aws:MultiFactorAuthPresent"), "unknown");
    assert_eq!(state(&ctx, "aws:MultiFactorAuthAge"), "unknown");
}

/// aws:SourceArn / aws:SourceAccount: "only available when the call to your resource is made
/// directly by an AWS service principal".
#[test]
fn source_keys_absent_on_a_direct_call_unknown_for_a_service() {
    let direct = event(json!({"userIdentity": {"type": "IAMUser"}}));
    let mut ctx = Context::default();
    source_keys(&direct, PrincipalKind::User, &mut ctx);
    assert_eq!(state(&ctx, "aws:SourceArn"), "absent");
    assert_eq!(state(&ctx, "aws:SourceAccount"), "absent");

    let service = event(
        json!({"userIdentity": {"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"}}),
    );
    let mut ctx = Context::default();
    source_keys(&service, PrincipalKind::Service, &mut ctx);
    assert_eq!(state(&ctx, "aws:SourceArn"), "unknown");

    let relayed = event(
        json!({"userIdentity": {"type": "AssumedRole", "invokedBy": "athena.amazonaws.com"}}),
    );
    let mut ctx = Context::default();
    source_keys(&relayed, PrincipalKind::AssumedRole, &mut ctx);
    assert_eq!(state(&ctx, "aws:SourceAccount"), "unknown");
}

#[test]
fn access_point_keys_from_resources_and_host() {
    let direct = event(
        json!({"requestParameters": {"bucketName": "b", "Host": "b.s3.us-east-1.amazonaws.com"},
        "resources": [{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::b"}]}),
    );
    let mut ctx = Context::default();
    access_point_keys(&direct, &mut ctx);
    for k in [
        "s3:DataAccessPointArn",
        "s3:DataAccessPointAccount",
        "s3:AccessPointNetworkOrigin",
    ] {
        assert_eq!(state(&ctx, k), "absent", "{k}");
    }

    let via = event(
        json!({"requestParameters": {"bucketName": "b", "Host": "ap1-123456789012.s3-accesspoint.us-east-1.amazonaws.com"},
        "resources": [{"type": "AWS::S3::AccessPoint", "ARN": "arn:aws:s3:us-east-1:123456789012:accesspoint/ap1"},
                      {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::b"}]}),
    );
    let mut ctx = Context::default();
    access_point_keys(&via, &mut ctx);
    assert_eq!(
        state(&ctx, "s3:DataAccessPointArn"),
        "present arn:aws:s3:us-east-1:123456789012:accesspoint/ap1"
    );
    assert_eq!(
        state(&ctx, "s3:DataAccessPointAccount"),
        "present 123456789012"
    );
    assert_eq!(state(&ctx, "s3:AccessPointNetworkOrigin"), "unknown");

    // An access-point host without the resource entry: which one is not said.
    let host_only = event(
        json!({"requestParameters": {"Host": "ap1-123456789012.s3-accesspoint.us-east-1.amazonaws.com"}}),
    );
    let mut ctx = Context::default();
    access_point_keys(&host_only, &mut ctx);
    assert_eq!(state(&ctx, "s3:DataAccessPointArn"), "unknown");
}
