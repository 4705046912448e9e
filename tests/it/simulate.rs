//! `denytrail simulate` over a small snapshot built in the test: the decision and the deciding
//! statement in text and JSON, exit status 0 whatever the decision, 2 when a snapshot file is
//! broken, 64 for a wrong principal.

use crate::util::{denytrail, run};
use serde_json::{json, Value};
use std::path::Path;

/// Actions without a resource (issue 17, section 6).
mod no_resource;

const A: &str = "111122223333";
const B: &str = "444455556666";

fn put(root: &Path, rel: &str, v: &Value) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

/// Account A: alice may GetObject anywhere; role `app` has a boundary that allows only
/// s3:ListBucket. Bucket `data` (account A) denies requests without TLS. Bucket `shared`
/// (account B) grants account A's alice GetObject. No organization.
fn snapshot(root: &Path) {
    put(
        root,
        "snapshot.json",
        &json!({"taken_at": "2026-11-20T10:00:00Z"}),
    );
    put(
        root,
        "organization/organization.json",
        &json!({"Organization": null}),
    );
    let allow = |action: &str| json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]});
    put(
        root,
        &format!("accounts/{A}/iam.json"),
        &json!({
            "UserDetailList": [{"UserName": "alice", "UserId": "AIDAALICE", "Arn": format!("arn:aws:iam::{A}:user/alice"),
                "UserPolicyList": [{"PolicyName": "read", "PolicyDocument": allow("s3:GetObject")}], "GroupList": [], "AttachedManagedPolicies": []}],
            "RoleDetailList": [{"RoleName": "app", "RoleId": "AROAAPP", "Path": "/", "Arn": format!("arn:aws:iam::{A}:role/app"),
                "RolePolicyList": [{"PolicyName": "read", "PolicyDocument": allow("s3:*")}], "AttachedManagedPolicies": [],
                "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": format!("arn:aws:iam::{A}:policy/list-only")}}],
            "Policies": [{"PolicyName": "list-only", "Arn": format!("arn:aws:iam::{A}:policy/list-only"), "DefaultVersionId": "v1",
                "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": allow("s3:ListBucket")}]}]
        }),
    );
    put(
        root,
        &format!("accounts/{A}/s3/data/policy.json"),
        &json!({"Policy": json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}).to_string()}),
    );
    put(
        root,
        &format!("accounts/{B}/s3/shared/policy.json"),
        &json!({"Policy": null}),
    );
}

fn simulate(
    root: &Path,
    principal: &str,
    action: &str,
    resource: &str,
    extra: &[&str],
) -> (Option<i32>, String, String) {
    let mut c = denytrail();
    c.arg("simulate")
        .arg("--snapshot")
        .arg(root)
        .args([
            "--principal",
            principal,
            "--action",
            action,
            "--resource",
            resource,
        ])
        .args(extra);
    let (out, stdout, stderr) = run(c);
    (out.status.code(), stdout, stderr)
}

fn json_of(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// Explicit deny in a resource-based policy wins over an identity Allow (IAM evaluation logic);
/// the trace names the bucket policy and the statement's Sid. Exit 0 although denied.
#[test]
fn simulate_explicit_deny_in_bucket_policy_names_the_statement() {
    let dir = tempfile::tempdir().unwrap();
    snapshot(dir.path());
    let alice = format!("arn:aws:iam::{A}:user/alice");
    let (code, stdout, stderr) = simulate(
        dir.path(),
        &alice,
        "s3:GetObject",
        "arn:aws:s3:::data/report.csv",
        &["--context", "aws:SecureTransport=false", "--format", "json"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let v = json_of(&stdout);
    assert_eq!(v["evaluation"]["decision"], "explicit_deny", "{stdout}");
    assert!(
        stdout.contains("bucket-policy:data") && stdout.contains("DenyInsecureTransport"),
        "{stdout}"
    );
    assert_eq!(v["snapshot"]["taken_at"], "2026-11-20T10:00:00+00:00");
    assert_eq!(v["request"]["principal"]["arn"], alice);

    let (code, text, _) = simulate(
        dir.path(),
        &alice,
        "s3:GetObject",
        "arn:aws:s3:::data/report.csv",
        &["--context", "aws:SecureTransport=false"],
    );
    assert_eq!(code, Some(0));
    assert!(text.contains("decision:  explicit deny"), "{text}");
    assert!(text.contains("DenyInsecureTransport"), "{text}");
}

/// Same-account identity Allow with no Deny matching: allowed.
#[test]
fn simulate_same_account_identity_allow() {
    let dir = tempfile::tempdir().unwrap();
    snapshot(dir.path());
    let (code, stdout, stderr) = simulate(
        dir.path(),
        &format!("arn:aws:iam::{A}:user/alice"),
        "s3:GetObject",
        "arn:aws:s3:::data/report.csv",
        &["--context", "aws:SecureTransport=true", "--format", "json"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        json_of(&stdout)["evaluation"]["decision"],
        "allow",
        "{stdout}"
    );
}

/// A key the bucket policy's Deny depends on, not given: the verdict depends on it and says so,
/// never guessed.
#[test]
fn simulate_unknown_key_gives_unknown_not_a_guess() {
    let dir = tempfile::tempdir().unwrap();
    snapshot(dir.path());
    let (code, stdout, _) = simulate(
        dir.path(),
        &format!("arn:aws:iam::{A}:user/alice"),
        "s3:GetObject",
        "arn:aws:s3:::data/k",
        &["--format", "json"],
    );
    assert_eq!(code, Some(0));
    assert_eq!(
        json_of(&stdout)["evaluation"]["decision"],
        "unknown",
        "{stdout}"
    );
}

/// A permissions boundary limits the role's own identity policy: implicit deny from the
/// boundary (IAM evaluation logic, permissions boundaries).
#[test]
fn simulate_role_limited_by_its_permissions_boundary() {
    let dir = tempfile::tempdir().unwrap();
    snapshot(dir.path());
    let (code, stdout, stderr) = simulate(
        dir.path(),
        &format!("arn:aws:iam::{A}:role/app"),
        "s3:GetObject",
        "arn:aws:s3:::data/k",
        &["--context", "aws:SecureTransport=true", "--format", "json"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let v = json_of(&stdout);
    assert_eq!(v["evaluation"]["decision"], "implicit_deny", "{stdout}");
    assert!(
        v["evaluation"]["blockers"]
            .to_string()
            .contains("permissions_boundary"),
        "{stdout}"
    );
    assert_eq!(
        v["request"]["principal"]["role_arn"],
        format!("arn:aws:iam::{A}:role/app")
    );
}

/// Cross-account: the bucket (account B) has no policy, so the identity Allow alone is not
/// enough (IAM cross-account evaluation).
#[test]
fn simulate_cross_account_needs_the_resource_side() {
    let dir = tempfile::tempdir().unwrap();
    snapshot(dir.path());
    let (code, stdout, _) = simulate(
        dir.path(),
        &format!("arn:aws:iam::{A}:user/alice"),
        "s3:GetObject",
        "arn:aws:s3:::shared/k",
        &["--context", "aws:SecureTransport=true", "--format", "json"],
    );
    assert_eq!(code, Some(0));
    let v = json_of(&stdout);
    assert_eq!(v["request"]["resource_account"], B);
    assert_eq!(v["evaluation"]["same_account"], false);
    assert_eq!(v["evaluation"]["decision"], "implicit_deny", "{stdout}");
}

#[test]
fn simulate_broken_snapshot_file_exits_2_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    snapshot(dir.path());
    std::fs::write(
        dir.path()
            .join(format!("accounts/{B}/s3/shared/policy.json")),
        "{nope",
    )
    .unwrap();
    let (code, stdout, stderr) = simulate(
        dir.path(),
        &format!("arn:aws:iam::{A}:user/alice"),
        "s3:GetObject",
        "arn:aws:s3:::data/k",
        &[],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("shared/policy.json"), "{stderr}");
    assert!(
        stdout.contains("decision:"),
        "the simulation still ran: {stdout}"
    );
}

#[test]
fn simulate_wrong_principal_is_a_usage_error_and_missing_snapshot_is_fatal() {
    let dir = tempfile::tempdir().unwrap();
    snapshot(dir.path());
    let (code, _, stderr) = simulate(
        dir.path(),
        "alice",
        "s3:GetObject",
        "arn:aws:s3:::data/k",
        &[],
    );
    assert_eq!(code, Some(64), "{stderr}");
    let (code, _, stderr) = simulate(
        &dir.path().join("nope"),
        &format!("arn:aws:iam::{A}:user/alice"),
        "s3:GetObject",
        "arn:aws:s3:::data/k",
        &[],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.starts_with("denytrail: "), "{stderr}");
}

/// A session policy limits a role session to what it allows too (IAM evaluation logic,
/// session policies): role and boundary allow s3:ListBucket, the session policy only
/// s3:GetBucketLocation.
#[test]
fn simulate_session_policy_limits_the_role_session() {
    let dir = tempfile::tempdir().unwrap();
    snapshot(dir.path());
    let session_policy = dir.path().join("session.json");
    std::fs::write(&session_policy, json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": "*"}]}).to_string()).unwrap();
    // The role's boundary allows s3:ListBucket: without a session policy, allowed.
    let (code, stdout, stderr) = simulate(
        dir.path(),
        &format!("arn:aws:sts::{A}:assumed-role/app/s1"),
        "s3:ListBucket",
        "arn:aws:s3:::data",
        &["--context", "aws:SecureTransport=true", "--format", "json"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        json_of(&stdout)["evaluation"]["decision"],
        "allow",
        "{stdout}"
    );
    let (code, stdout, stderr) = simulate(
        dir.path(),
        &format!("arn:aws:sts::{A}:assumed-role/app/s1"),
        "s3:ListBucket",
        "arn:aws:s3:::data",
        &[
            "--context",
            "aws:SecureTransport=true",
            "--format",
            "json",
            "--session-policy",
            session_policy.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let v = json_of(&stdout);
    assert_eq!(v["evaluation"]["decision"], "implicit_deny", "{stdout}");
    assert!(
        v["evaluation"]["blockers"]
            .to_string()
            .contains("session_policy"),
        "{stdout}"
    );
    // A user is no session: the flag is refused.
    let (code, _, stderr) = simulate(
        dir.path(),
        &format!("arn:aws:iam::{A}:user/alice"),
        "s3:ListBucket",
        "arn:aws:s3:::data",
        &["--session-policy", session_policy.to_str().unwrap()],
    );
    assert_eq!(code, Some(1), "{stderr}");
}

/// Account B's bucket `rp`: Requester Pays, a bucket policy that grants account A's alice
/// GetObject, and a complete listing holding `f.txt`.
fn requester_pays_bucket(root: &Path) {
    put(
        root,
        &format!("accounts/{B}/s3/rp/policy.json"),
        &json!({"Policy": json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AliceReads", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{A}:user/alice")},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::rp/*"}]}).to_string()}),
    );
    put(
        root,
        &format!("accounts/{B}/s3/rp/request-payment.json"),
        &json!({"Payer": "Requester"}),
    );
    put(
        root,
        &format!("accounts/{B}/s3/rp/objects.json"),
        &json!({"Contents": [{"Key": "f.txt"}], "IsTruncated": false}),
    );
}

/// simulate runs the S3 rules `analyze` runs, not only the policy layers. S3 user guide,
/// Downloading objects from Requester Pays buckets
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ObjectsinRequesterPaysBuckets.html):
/// "If x-amz-request-payer is not in the request, Amazon S3 returns a 403 error". Every
/// policy layer allows alice here; the rule refuses until the header is given with --context.
#[test]
fn simulate_runs_the_s3_rules_requester_pays() {
    let dir = tempfile::tempdir().unwrap();
    snapshot(dir.path());
    requester_pays_bucket(dir.path());
    let alice = format!("arn:aws:iam::{A}:user/alice");
    let (code, stdout, stderr) = simulate(
        dir.path(),
        &alice,
        "s3:GetObject",
        "arn:aws:s3:::rp/f.txt",
        &["--format", "json"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let v = json_of(&stdout);
    assert_eq!(v["evaluation"]["decision"], "allow", "{stdout}");
    assert_eq!(v["verdict"]["decision"], "deny", "{stdout}");
    assert_eq!(v["verdict"]["root_cause"], "requester_pays", "{stdout}");
    let rules = v["s3_rules"].as_array().expect("s3_rules");
    assert!(
        rules
            .iter()
            .any(|r| r["rule"] == "requester_pays" && r["result"] == "explains the denial"),
        "{stdout}"
    );

    // With the header the same request goes through.
    let (code, stdout, _) = simulate(
        dir.path(),
        &alice,
        "s3:GetObject",
        "arn:aws:s3:::rp/f.txt",
        &[
            "--context",
            "s3:x-amz-request-payer=requester",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(0));
    let v = json_of(&stdout);
    assert_eq!(v["verdict"]["decision"], "allow", "{stdout}");

    // The text form prints explain's trace: the S3 rules and the verdict.
    let (_, text, _) = simulate(
        dir.path(),
        &alice,
        "s3:GetObject",
        "arn:aws:s3:::rp/f.txt",
        &[],
    );
    assert!(
        text.contains("S3 rules outside the policy layers:")
            && text.contains("root_cause:   requester_pays")
            && text.contains("x-amz-request-payer"),
        "{text}"
    );
}

/// On the sample snapshot (the brief's examples): alice's GetObject on dt-kms-bucket passes
/// every policy layer but the key policy does not let her use the bucket's KMS key (S3 calls
/// kms:Decrypt as the caller; kms.rs cites the KMS developer guide); etl-7 of account
/// 333333333333 reads the Requester Pays bucket without the header.
#[test]
fn simulate_on_the_sample_names_kms_and_requester_pays() {
    let ct = [
        "--context",
        "aws:CurrentTime=2026-01-01T00:00:00Z",
        "--context",
        "aws:EpochTime=1767225600",
        "--format",
        "json",
    ];
    for (principal, resource, cause) in [
        (
            "arn:aws:iam::222222222222:user/alice",
            "arn:aws:s3:::dt-kms-bucket/report.csv",
            "kms",
        ),
        (
            "arn:aws:sts::333333333333:assumed-role/analytics/etl-7",
            "arn:aws:s3:::dt-requester-pays/a.txt",
            "requester_pays",
        ),
    ] {
        let (code, stdout, stderr) = simulate(
            Path::new("sample-logs/snapshot"),
            principal,
            "s3:GetObject",
            resource,
            &ct,
        );
        assert_eq!(code, Some(0), "{stderr}");
        let v = json_of(&stdout);
        assert_eq!(v["evaluation"]["decision"], "allow", "{stdout}");
        assert_eq!(v["verdict"]["root_cause"], cause, "{stdout}");
    }
}

/// simulate builds its request with the helpers a logged request's goes through
/// (`diagnose/request/simulated.rs`): the resource owner's organization keys as analyze sets
/// them (`keys::resource_account_keys`: aws:ResourceOrgPaths from the snapshot's `parents/`),
/// and without an endpoint the endpoint-only keys absent, as `network_keys` marks them for a
/// record without `vpcEndpointId` (re:Post, iam-restrict-access-policy: "The aws:SourceIp
/// condition key is always included in the request, except for requests that uses an Amazon
/// VPC endpoint", and the endpoint's keys only then). Both were left unknown before.
#[test]
fn simulate_sets_the_keys_analyze_sets() {
    let ct = [
        "--context",
        "aws:CurrentTime=2026-01-01T00:00:00Z",
        "--format",
        "json",
    ];
    let (code, stdout, stderr) = simulate(
        Path::new("sample-logs/snapshot"),
        "arn:aws:iam::222222222222:user/bob",
        "s3:DeleteObject",
        "arn:aws:s3:::dt-app-data/x",
        &ct,
    );
    assert_eq!(code, Some(0), "{stderr}");
    let v = json_of(&stdout);
    let ctx = &v["request"]["context"];
    assert_eq!(
        ctx["values"]["aws:resourceorgpaths"][0], "o-dt1example/r-dt01/ou-dt01-prod0001/",
        "{stdout}"
    );
    let absent: Vec<&str> = ctx["absent"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for k in ["aws:vpceorgid", "aws:vpceorgpaths", "aws:sourcevpcarn"] {
        assert!(absent.contains(&k), "{k}: {stdout}");
    }
}
