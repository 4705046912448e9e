//! Unit tests of the orchestrator: what it asks, in which order, and what it skips.

use super::*;
use crate::findings::{PolicyType, RootCause};
use crate::policy::Decision;
use serde_json::{json, Value};

const PROD: &str = "222222222222";

fn sample() -> Snapshot {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs/snapshot");
    Snapshot::load(&dir).expect("the sample snapshot loads").0
}

fn event(name: &str, identity: Value, params: Value, error: &str) -> Event {
    serde_json::from_value(json!({"eventVersion": "1.10", "eventID": "t-1",
        "eventTime": "2026-11-20T09:00:00Z", "eventSource": "s3.amazonaws.com",
        "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.9",
        "errorCode": error, "errorMessage": "Access Denied", "userIdentity": identity,
        "recipientAccountId": PROD, "requestParameters": params}))
    .expect("an event")
}

fn bob() -> Value {
    json!({"type": "IAMUser", "principalId": "AIDABOB", "accountId": PROD,
        "arn": format!("arn:aws:iam::{PROD}:user/bob"), "accessKeyId": "AKIABOB", "userName": "bob"})
}

fn app_server_session(key: &str) -> Value {
    json!({"type": "AssumedRole", "principalId": "AROAAPP:s1", "accountId": PROD,
        "arn": format!("arn:aws:sts::{PROD}:assumed-role/app-server/s1"), "accessKeyId": key,
        "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAAPP",
        "arn": format!("arn:aws:iam::{PROD}:role/app-server"), "accountId": PROD, "userName": "app-server"},
        "attributes": {"creationDate": "2026-11-20T08:00:00Z", "mfaAuthenticated": "false"}}})
}

fn origin() -> Origin {
    Origin {
        object: Arc::from("test"),
        record_index: None,
    }
}

/// FINDINGS.md: "A non-permission error code (`request_error`) is decided from the record
/// alone": no snapshot, no analysis.
#[test]
fn request_error_needs_no_snapshot_and_no_analysis() {
    let ev = Evidence::default();
    let e = event(
        "GetObject",
        bob(),
        json!({"bucketName": "b", "key": "k"}),
        "SignatureDoesNotMatch",
    );
    let (f, analyses) = Diagnoser::new(Snapshot::absent(), &ev).diagnose_with(&e, &origin());
    assert_eq!(f.root_cause, RootCause::RequestError);
    assert!(analyses.is_empty());
    assert_eq!(f.action.as_deref(), Some("s3:GetObject"));
}

/// Without a snapshot the reason text is the one users know.
#[test]
fn no_snapshot_is_unknown_with_the_same_reason() {
    let ev = Evidence::default();
    let e = event(
        "GetObject",
        bob(),
        json!({"bucketName": "b", "key": "k"}),
        "AccessDenied",
    );
    let f = Diagnoser::new(Snapshot::absent(), &ev).diagnose(&e, &origin());
    assert_eq!(f.root_cause, RootCause::Unknown);
    assert_eq!(
        f.reason.as_deref(),
        Some("insufficient_snapshot: no policy snapshot was given (--snapshot DIR)")
    );
}

/// A failing policy layer decides; the rules that need more engine calls (kms,
/// object_not_found) are not asked then, the others are, in the registry's order.
#[test]
fn policy_cause_first_and_costly_rules_skipped() {
    let snap = sample();
    let ev = Evidence::default();
    let e = event(
        "GetObject",
        bob(),
        json!({"bucketName": "dt-app-data", "key": "reports/q3.csv"}),
        "AccessDenied",
    );
    let (f, analyses) = Diagnoser::new(&snap, &ev).diagnose_with(&e, &origin());
    assert_eq!(f.root_cause, RootCause::MissingAllow);
    let names: Vec<&str> = analyses[0].rules.iter().map(|r| r.rule).collect();
    assert_eq!(
        names,
        [
            "block_public_access",
            "object_ownership",
            "requester_pays",
            "kms"
        ]
    );
    assert!(analyses[0].list_bucket.is_none());
}

/// A session policy given to the diagnoser is the one the engine judges the session by:
/// an empty set allows nothing (IAM user guide, session policies: "the resulting session's
/// permissions are the intersection of the identity-based policy and the session
/// policies").
#[test]
fn a_given_session_policy_reaches_the_engine() {
    let snap = sample();
    let ev = Evidence::default();
    let e = event(
        "GetObject",
        app_server_session("ASIAGIVEN"),
        json!({"bucketName": "dt-app-data", "key": "app/x"}),
        "AccessDenied",
    );
    let diag = Diagnoser::new(&snap, &ev).with_session("ASIAGIVEN", Known::Known(Some(Vec::new())));
    let (_, analyses) = diag.diagnose_with(&e, &origin());
    let session = analyses[0]
        .evaluation
        .layer(policy::Layer::SessionPolicy)
        .map(|t| t.decision);
    assert_eq!(session, Some(Decision::ImplicitDeny));
    // Without it, the session policy is unknown (not in the snapshot).
    let (f, analyses) = Diagnoser::new(&snap, &ev).diagnose_with(&e, &origin());
    let session = analyses[0]
        .evaluation
        .layer(policy::Layer::SessionPolicy)
        .map(|t| t.decision);
    assert_eq!(session, Some(Decision::Unknown));
    assert_ne!(f.policy_type, Some(PolicyType::SessionPolicy));
}

/// CopyObject makes two requests; the first that fails decides the finding.
#[test]
fn copy_object_has_two_analyses() {
    let snap = sample();
    let ev = Evidence::default();
    let e = event(
        "CopyObject",
        bob(),
        json!({"bucketName": "dt-app-data", "key": "copy/x",
            "x-amz-copy-source": "dt-kms-bucket/report.csv"}),
        "AccessDenied",
    );
    let (f, analyses) = Diagnoser::new(&snap, &ev).diagnose_with(&e, &origin());
    assert_eq!(analyses.len(), 2);
    assert_eq!(analyses[1].request.action, "s3:GetObject");
    assert_ne!(f.root_cause, RootCause::Unknown);
}
