//! `simulate` on an action without a resource: `s3:ListAllMyBuckets` (ListBuckets).
//!
//! Service authorization reference, Amazon S3, "Actions defined by Amazon S3": the
//! `ListAllMyBuckets` row names no resource type, so a policy grants it only with
//! `"Resource": "*"`; reference_policies_evaluation-logic.html: resource-based policies are
//! attached to a resource, and a request on none has no resource policy (nor resource control
//! policy) to evaluate. The identity side alone decides: issue 17, section 6 ("`denytrail
//! simulate` must decide such requests too").

use super::*;

/// alice's identity policy allows only s3:GetObject: ListAllMyBuckets is an implicit deny of
/// the identity layer, decided (no resource account left unknown).
#[test]
fn simulate_list_all_my_buckets_is_decided_by_the_identity_side() {
    let dir = tempfile::tempdir().unwrap();
    snapshot(dir.path());
    let (code, stdout, stderr) = simulate(
        dir.path(),
        &format!("arn:aws:iam::{A}:user/alice"),
        "s3:ListAllMyBuckets",
        "*",
        &["--format", "json"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let v = json_of(&stdout);
    assert_eq!(v["evaluation"]["decision"], "implicit_deny", "{stdout}");
}

/// Role `app` allows s3:* but its boundary only s3:ListBucket: the boundary decides
/// ListAllMyBuckets too, still without any resource policy.
#[test]
fn simulate_list_all_my_buckets_is_limited_by_the_boundary() {
    let dir = tempfile::tempdir().unwrap();
    snapshot(dir.path());
    let (code, stdout, stderr) = simulate(
        dir.path(),
        &format!("arn:aws:iam::{A}:role/app"),
        "s3:ListAllMyBuckets",
        "*",
        &["--format", "json"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let v = json_of(&stdout);
    assert_eq!(v["evaluation"]["decision"], "implicit_deny", "{stdout}");
    assert!(stdout.contains("boundary"), "{stdout}");
}
