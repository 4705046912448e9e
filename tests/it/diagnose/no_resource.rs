//! A denied ListBuckets, end to end: `s3:ListAllMyBuckets` names no resource, so no bucket
//! policy and no RCP takes part, and the caller's side decides.
//!
//! S3 API reference, ListBuckets: "To use this operation, you must have the
//! s3:ListAllMyBuckets permission"; service authorization reference, Amazon S3: the
//! `ListAllMyBuckets` row names no resource type (a policy grants it on `"*"`); Organizations
//! User Guide, RCPs: "RCPs are resource-centric controls [...] on the maximum permissions
//! available for resources in your member accounts" (no resource, no RCP).

use super::*;

/// A ListBuckets 403 by alice as CloudTrail logs it (no bucket, no `resources`).
fn list_buckets(o: &mut Org) -> String {
    o.record(json!({"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "userIdentity": user_id(PROD, "alice"),
        "userAgent": "[aws-cli/2.22.0]", "requestParameters": {"Host": "s3.us-east-1.amazonaws.com"}, "recipientAccountId": PROD,
        "additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "AuthenticationMethod": "AuthHeader"},
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256"},
        "errorCode": "AccessDenied", "errorMessage": "Access Denied", "eventType": "AwsApiCall", "managementEvent": true, "eventCategory": "Management"}))
}

/// alice may only read app-data objects: nothing allows ListAllMyBuckets, and with no
/// resource side that is the identity policy's missing Allow, decided.
#[test]
fn list_buckets_without_an_identity_allow_is_missing_allow() {
    let mut o = org_with_app_data(None);
    o.user(PROD, "alice", vec![("p", read_app_data())], None);
    let id = list_buckets(&mut o);
    expect(
        &o.one(&id),
        "missing_allow",
        Some("implicit"),
        Some("identity"),
        Some("arn:aws:iam::222222222222:user/alice"),
        None,
    );
}

/// An SCP denying s3:ListAllMyBuckets decides it, with alice's identity allowing everything.
#[test]
fn list_buckets_denied_by_an_scp() {
    let mut o = org_with_app_data(None);
    o.org_policy("p-nolist", "SERVICE_CONTROL_POLICY", doc(json!([{"Sid": "NoListing", "Effect": "Deny", "Action": "s3:ListAllMyBuckets", "Resource": "*"}])), vec![OU_PROD.into()]);
    o.user(
        PROD,
        "alice",
        vec![("p", doc(json!([allow(json!("s3:*"), json!("*"))])))],
        None,
    );
    let id = list_buckets(&mut o);
    expect(
        &o.one(&id),
        "scp",
        Some("explicit"),
        Some("scp"),
        Some("p-nolist"),
        Some("NoListing"),
    );
}
