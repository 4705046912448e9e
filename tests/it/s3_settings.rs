//! End to end on the bundled sample (issue 19, account 666666666666): the S3 settings that
//! refuse a request after the policies allow it, the organization S3 policy that sets Block
//! Public Access, and a directory bucket's CreateSession. Each finding is checked through
//! `analyze --format jsonl`, as a user would read it.

use crate::util::{denytrail, repo_root, run};
use serde_json::Value;

/// The sample's findings on account 666666666666, by event name.
fn findings() -> Vec<Value> {
    let mut c = denytrail();
    c.arg("analyze")
        .arg(repo_root().join("sample-logs"))
        .arg("--snapshot")
        .arg(repo_root().join("sample-logs/snapshot"))
        .args(["--format", "jsonl"]);
    let (out, stdout, stderr) = run(c);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|f| f["resource_account"] == "666666666666")
        .collect()
}

fn by_event<'a>(all: &'a [Value], name: &str) -> &'a Value {
    all.iter()
        .find(|f| f["event_name"] == name)
        .unwrap_or_else(|| panic!("no {name} finding in {all:#?}"))
}

/// "Organization-level policies override account-level configurations"
/// (configuring-block-public-access-account.html): the account's own setting is all off, the
/// S3 policy p-dts3bpa01 assigns `all`, so RestrictPublicBuckets blocks the public grant, and
/// the finding names the policy.
#[test]
fn block_public_access_from_an_organization_s3_policy() {
    let all = findings();
    let f = by_event(&all, "GetObject");
    assert_eq!(f["root_cause"], "block_public_access", "{f:#}");
    assert_eq!(f["policy_id"], "p-dts3bpa01", "the deciding policy");
    let reason = f["reason"].as_str().unwrap();
    assert!(
        reason.contains("organization S3 policy p-dts3bpa01")
            && reason.contains("RestrictPublicBuckets"),
        "{reason}"
    );
}

/// "When SSE-C is blocked for a bucket, any PutObject [...] requests that specify SSE-C
/// encryption will be rejected with an HTTP 403 AccessDenied error"
/// (blocking-unblocking-s3-c-encryption-gpb.html).
#[test]
fn an_sse_c_write_to_a_blocking_bucket() {
    let all = findings();
    let f = by_event(&all, "PutObject");
    assert_eq!(f["root_cause"], "blocked_encryption_type", "{f:#}");
    assert!(f["policy_type"].is_null());
    assert!(f["remediation"]
        .as_str()
        .unwrap()
        .contains("put-bucket-encryption --bucket dt-sse-c-uploads"));
}

/// Compliance mode: "an object version can't be overwritten or deleted for the duration of
/// the retention period"; the version written 2026-11-02 under the bucket's 90-day default
/// retention is still locked on 2026-11-20.
#[test]
fn an_object_lock_version_delete() {
    let all = findings();
    let f = by_event(&all, "DeleteObject");
    assert_eq!(f["root_cause"], "object_lock", "{f:#}");
    assert_eq!(f["action"], "s3:DeleteObjectVersion");
    let reason = f["reason"].as_str().unwrap();
    assert!(
        reason.contains("COMPLIANCE") && reason.contains("2027-01-31"),
        "{reason}"
    );
}

/// Directory buckets: "This policy uses the s3express:SessionMode condition key" (example
/// bucket policies for directory buckets): the bucket policy denies ReadWrite sessions, so
/// the ReadWrite CreateSession is an explicit deny of that statement, on the s3express ARN.
#[test]
fn a_directory_bucket_create_session() {
    let all = findings();
    let f = by_event(&all, "CreateSession");
    assert_eq!(f["root_cause"], "explicit_deny", "{f:#}");
    assert_eq!(f["policy_type"], "resource");
    assert_eq!(f["statement_sid"], "DenyReadWriteSessions");
    assert_eq!(f["action"], "s3express:CreateSession");
    assert_eq!(
        f["resource_arn"],
        "arn:aws:s3express:us-east-1:666666666666:bucket/dt-fast-cache--use1-az4--x-s3"
    );
}
