//! Live AWS, against a real local moto server (tests/it/moto.rs): the snapshot collector,
//! and (where moto lacks an API) recorded AWS answers served from a loopback HTTP server.

use crate::moto::{runtime, Moto};
use crate::util::{denytrail, run};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// The account moto puts everything in (its default `MOTO_ACCOUNT_ID`).
pub const MOTO_ACCOUNT: &str = "123456789012";

/// A bucket policy with a named Deny statement, so the test can find it after the round trip.
const BUCKET_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyUnlessFromVpce","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::snap-data/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}]}"#;

const ALICE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadData","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::snap-data/*"}]}"#;

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;

const SCP: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoDeleteBucket","Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}"#;

/// A `denytrail` command that reaches only `moto` (no profile files, no instance metadata).
pub fn denytrail_for(moto: &Moto, subcommand: &str) -> Command {
    let mut c = denytrail();
    c.args([subcommand, "--endpoint-url", &moto.endpoint()]);
    isolate(&mut c);
    c
}

/// Static test credentials, no shared config files, no IMDS: the run can only reach what the
/// test points it at.
pub fn isolate(c: &mut Command) {
    // The client region comes from the environment: `analyze --region` also selects the
    // logs' region folders.
    c.env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent/denytrail-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/denytrail-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
}

/// A moto-accepted request for services the tests have no SDK crate for (EC2, S3 Control):
/// moto routes by the service in the credential scope and does not check signatures.
async fn unsigned(
    moto: &Moto,
    service: &str,
    method: reqwest::Method,
    path: &str,
    body: String,
    headers: &[(&str, &str)],
) -> String {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
    );
    let mut rb = reqwest::Client::new()
        .request(method, format!("{}{path}", moto.endpoint()))
        .header("Authorization", auth)
        .body(body);
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    let resp = rb.send().await.expect("moto answers");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    assert!(status.is_success(), "{service} {path}: {status}: {text}");
    text
}

/// Everything one account can hold that the snapshot reads, created through the SDKs.
async fn populate(moto: &Moto) {
    let conf = moto.sdk_config().await;
    let iam = aws_sdk_iam::Client::new(&conf);
    iam.create_user()
        .user_name("alice")
        .send()
        .await
        .expect("create_user");
    iam.put_user_policy()
        .user_name("alice")
        .policy_name("read-data")
        .policy_document(ALICE_POLICY)
        .send()
        .await
        .expect("put_user_policy");
    let managed = iam
        .create_policy()
        .policy_name("data-reader")
        .policy_document(ALICE_POLICY)
        .send()
        .await
        .expect("create_policy");
    let arn = managed
        .policy()
        .and_then(|p| p.arn())
        .expect("policy arn")
        .to_owned();
    iam.create_role()
        .role_name("reader")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .expect("create_role");
    iam.attach_role_policy()
        .role_name("reader")
        .policy_arn(&arn)
        .send()
        .await
        .expect("attach");
    iam.create_group()
        .group_name("readers")
        .send()
        .await
        .expect("create_group");
    iam.add_user_to_group()
        .group_name("readers")
        .user_name("alice")
        .send()
        .await
        .expect("add");

    let s3 = moto.s3().await;
    for b in ["snap-data", "snap-plain"] {
        s3.create_bucket()
            .bucket(b)
            .send()
            .await
            .expect("create_bucket");
    }
    // Object Lock (moto implements get/put-object-lock-configuration): a compliance default.
    s3.create_bucket()
        .bucket("snap-vault")
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .expect("create_bucket with Object Lock");
    s3.put_object_lock_configuration()
        .bucket("snap-vault")
        .object_lock_configuration(
            aws_sdk_s3::types::ObjectLockConfiguration::builder()
                .object_lock_enabled(aws_sdk_s3::types::ObjectLockEnabled::Enabled)
                .rule(
                    aws_sdk_s3::types::ObjectLockRule::builder()
                        .default_retention(
                            aws_sdk_s3::types::DefaultRetention::builder()
                                .mode(aws_sdk_s3::types::ObjectLockRetentionMode::Compliance)
                                .days(30)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("object lock configuration");
    s3.put_bucket_policy()
        .bucket("snap-data")
        .policy(BUCKET_POLICY)
        .send()
        .await
        .expect("policy");
    s3.put_bucket_ownership_controls()
        .bucket("snap-data")
        .ownership_controls(
            aws_sdk_s3::types::OwnershipControls::builder()
                .rules(
                    aws_sdk_s3::types::OwnershipControlsRule::builder()
                        .object_ownership(aws_sdk_s3::types::ObjectOwnership::BucketOwnerEnforced)
                        .build()
                        .expect("rule"),
                )
                .build()
                .expect("controls"),
        )
        .send()
        .await
        .expect("ownership");
    s3.put_public_access_block()
        .bucket("snap-data")
        .public_access_block_configuration(
            aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .block_public_acls(false)
                .ignore_public_acls(false)
                .build(),
        )
        .send()
        .await
        .expect("pab");

    let kms = aws_sdk_kms::Client::new(&conf);
    let key = kms
        .create_key()
        .description("data key")
        .send()
        .await
        .expect("create_key");
    let key_id = key.key_metadata().map(|m| m.key_id()).expect("key id");
    kms.create_alias()
        .alias_name("alias/data")
        .target_key_id(key_id)
        .send()
        .await
        .expect("alias");

    let org = aws_sdk_organizations::Client::new(&conf);
    org.create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .expect("create_organization");
    let scp = org
        .create_policy()
        .name("no-delete-bucket")
        .description("test")
        .content(SCP)
        .r#type(aws_sdk_organizations::types::PolicyType::ServiceControlPolicy)
        .send()
        .await
        .expect("create_policy");
    let scp_id = scp
        .policy()
        .and_then(|p| p.policy_summary())
        .and_then(|s| s.id())
        .expect("id");
    org.attach_policy()
        .policy_id(scp_id)
        .target_id(MOTO_ACCOUNT)
        .send()
        .await
        .expect("attach");

    // EC2 and S3 Control have no SDK crate in this build: plain Query/REST calls.
    let vpc = unsigned(
        moto,
        "ec2",
        reqwest::Method::POST,
        "/",
        "Action=CreateVpc&Version=2016-11-15&CidrBlock=10.0.0.0%2F16".into(),
        &[("content-type", "application/x-www-form-urlencoded")],
    )
    .await;
    let vpc_id = between(&vpc, "<vpcId>", "</vpcId>")
        .expect("vpc id")
        .to_owned();
    let policy = percent_encoding::utf8_percent_encode(
        r#"{"Statement":[{"Sid":"OnlyOurBuckets","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::snap-*"}]}"#,
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    unsigned(
        moto,
        "ec2",
        reqwest::Method::POST,
        "/",
        format!(
            "Action=CreateVpcEndpoint&Version=2016-11-15&VpcId={vpc_id}&ServiceName=com.amazonaws.us-east-1.s3&VpcEndpointType=Gateway&PolicyDocument={policy}"
        ),
        &[("content-type", "application/x-www-form-urlencoded")],
    )
    .await;
    unsigned(
        moto,
        "s3",
        reqwest::Method::PUT,
        "/v20180820/configuration/publicAccessBlock",
        "<PublicAccessBlockConfiguration xmlns=\"http://awss3control.amazonaws.com/doc/2018-08-20/\"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>".into(),
        &[("x-amz-account-id", MOTO_ACCOUNT)],
    )
    .await;
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> Option<&'a str> {
    let start = s.find(a)? + a.len();
    let len = s.get(start..)?.find(b)?;
    s.get(start..start + len)
}

fn read_json(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// SNAPSHOT.md: the `snapshot` command writes the AWS CLI's documents, one file per call, and
/// a bucket without a policy as `{"Policy": null}`; a call the server cannot answer
/// (GetBucketRequestPayment, not implemented in moto) writes nothing, is named on stderr and
/// makes the exit status 2. The folder then loads with the snapshot loader without a problem.
#[test]
fn snapshot_from_moto_writes_the_snapshot_md_layout_and_loads() {
    let moto = crate::moto_or_skip!();
    runtime().block_on(populate(&moto));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("snap");
    let mut c = denytrail_for(&moto, "snapshot");
    c.arg("--out").arg(&out);
    let (status, stdout, stderr) = run(c);
    assert_eq!(
        status.status.code(),
        Some(2),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stderr.contains("s3:GetBucketRequestPayment (bucket `snap-data`)"),
        "the refused piece is named: {stderr}"
    );
    check_layout(&out);
    check_loads(&out);
}

fn check_layout(out: &Path) {
    let acct = out.join("accounts").join(MOTO_ACCOUNT);
    let taken = read_json(&out.join("snapshot.json"));
    assert!(
        taken["taken_at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{taken}"
    );

    let iam = read_json(&acct.join("iam.json"));
    let users = iam["UserDetailList"].as_array().expect("users");
    let alice = users
        .iter()
        .find(|u| u["UserName"] == "alice")
        .expect("alice");
    assert_eq!(
        alice["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Sid"],
        "ReadData"
    );
    assert_eq!(alice["GroupList"], serde_json::json!(["readers"]));
    let role = iam["RoleDetailList"]
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["RoleName"] == "reader")
        .expect("reader");
    assert_eq!(
        role["AttachedManagedPolicies"][0]["PolicyName"],
        "data-reader"
    );
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Action"],
        "sts:AssumeRole"
    );
    let pol = iam["Policies"]
        .as_array()
        .expect("policies")
        .iter()
        .find(|p| {
            p["Arn"]
                .as_str()
                .is_some_and(|a| a.ends_with("/data-reader"))
        })
        .expect("managed");
    assert_eq!(
        pol["PolicyVersionList"][0]["Document"]["Statement"][0]["Sid"],
        "ReadData"
    );
    assert!(iam["GroupDetailList"]
        .as_array()
        .is_some_and(|g| g.iter().any(|g| g["GroupName"] == "readers")));

    let data = acct.join("s3").join("snap-data");
    let policy = read_json(&data.join("policy.json"));
    let doc: Value =
        serde_json::from_str(policy["Policy"].as_str().expect("policy string")).expect("json");
    assert_eq!(doc["Statement"][0]["Sid"], "DenyUnlessFromVpce");
    assert_eq!(
        read_json(&acct.join("s3/snap-plain/policy.json")),
        serde_json::json!({"Policy": null})
    );
    assert_eq!(
        read_json(&data.join("ownership-controls.json"))["OwnershipControls"]["Rules"][0]
            ["ObjectOwnership"],
        "BucketOwnerEnforced"
    );
    assert_eq!(
        read_json(&data.join("public-access-block.json"))["PublicAccessBlockConfiguration"],
        serde_json::json!({"BlockPublicAcls": false, "IgnorePublicAcls": false, "BlockPublicPolicy": true, "RestrictPublicBuckets": true})
    );
    assert_eq!(
        read_json(&data.join("location.json")),
        serde_json::json!({"LocationConstraint": null})
    );
    assert!(read_json(&data.join("acl.json"))["Grants"]
        .as_array()
        .is_some_and(|g| !g.is_empty()));
    assert!(
        !data.join("request-payment.json").exists(),
        "an unanswered call writes nothing"
    );
    assert_eq!(
        read_json(&acct.join("s3/snap-vault/object-lock.json")),
        serde_json::json!({"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 30}}}})
    );
    assert_eq!(
        read_json(&acct.join("s3/snap-plain/object-lock.json")),
        serde_json::json!({"ObjectLockConfiguration": null}),
        "a bucket without Object Lock is written as not configured"
    );
    assert!(read_json(&acct.join("canonical-id.json"))["ID"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));

    let keys: Vec<_> = std::fs::read_dir(acct.join("kms"))
        .expect("kms dir")
        .collect();
    assert_eq!(keys.len(), 1);
    let key = read_json(&keys[0].as_ref().expect("entry").path());
    assert_eq!(key["KeyMetadata"]["Description"], "data key");
    let kp: Value =
        serde_json::from_str(key["Policy"].as_str().expect("key policy")).expect("json");
    assert!(kp["Statement"].is_array());
    assert_eq!(key["Aliases"][0]["AliasName"], "alias/data");

    let eps = read_json(&acct.join("ec2/vpc-endpoints.json"));
    let ep = &eps["VpcEndpoints"][0];
    assert_eq!(ep["ServiceName"], "com.amazonaws.us-east-1.s3");
    let epdoc: Value =
        serde_json::from_str(ep["PolicyDocument"].as_str().expect("endpoint policy"))
            .expect("json");
    assert_eq!(epdoc["Statement"][0]["Sid"], "OnlyOurBuckets");

    assert_eq!(
        read_json(&acct.join("s3control/public-access-block.json"))
            ["PublicAccessBlockConfiguration"]["BlockPublicAcls"],
        true
    );

    let org = out.join("organization");
    assert_eq!(
        read_json(&org.join("organization.json"))["Organization"]["MasterAccountId"],
        MOTO_ACCOUNT
    );
    assert!(read_json(&org.join("accounts.json"))["Accounts"]
        .as_array()
        .is_some_and(|a| a.iter().any(|a| a["Id"] == MOTO_ACCOUNT)));
    let mut scp_found = false;
    for e in std::fs::read_dir(org.join("policies")).expect("policies") {
        let p = read_json(&e.expect("entry").path());
        if p["Policy"]["PolicySummary"]["Name"] == "no-delete-bucket" {
            let content: Value =
                serde_json::from_str(p["Policy"]["Content"].as_str().expect("content"))
                    .expect("json");
            assert_eq!(content["Statement"][0]["Sid"], "NoDeleteBucket");
            let id = p["Policy"]["PolicySummary"]["Id"].as_str().expect("id");
            let targets = read_json(&org.join("targets").join(format!("{id}.json")));
            assert!(targets["Targets"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t["TargetId"] == MOTO_ACCOUNT)));
            scp_found = true;
        }
    }
    assert!(scp_found, "the SCP was written");
    let parents = read_json(&org.join("parents").join(format!("{MOTO_ACCOUNT}.json")));
    assert_eq!(parents["Parents"][0]["Type"], "ROOT");
}

/// A snapshot is never written over an earlier one: a stale file would pass for a piece this
/// run could not read.
#[test]
fn snapshot_refuses_a_folder_that_is_not_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("old.json"), "{}").expect("write");
    let mut c = denytrail();
    isolate(&mut c);
    c.args(["snapshot", "--endpoint-url", "http://127.0.0.1:9", "--out"])
        .arg(dir.path());
    let (out, _, stderr) = run(c);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is not empty"), "{stderr}");
}

/// The collected folder is what the snapshot loader reads: it loads without a single problem
/// and answers the lookups the diagnosis makes (the bucket policy's Deny statement, the
/// principal's inline policy, the SCP, the key by alias, the endpoint policy), so
/// `analyze --snapshot` can use a collected snapshot like a hand-made one.
fn check_loads(out: &Path) {
    use denytrail::policy::Known;
    use denytrail::snapshot::Snapshot;
    let (snap, problems) = Snapshot::load(out).expect("loads");
    assert!(problems.is_empty(), "{problems:?}");
    assert!(snap.taken_at.is_some());
    let acct = snap.accounts.get(MOTO_ACCOUNT).expect("account");
    let Known::Known(iam) = &acct.iam else {
        panic!("iam unknown: {:?}", acct.iam)
    };
    assert!(iam
        .user("alice")
        .is_some_and(|u| u.inline.len() == 1 && u.groups == ["readers"]));
    assert!(iam
        .role("reader")
        .is_some_and(|r| r.attached.len() == 1 && r.trust.is_some()));
    assert_eq!(acct.buckets.len(), 3);
    assert!(
        matches!(snap.bucket("snap-vault"), Known::Known(b) if matches!(&b.object_lock, Known::Known(Some(c)) if c.default_retention.as_ref().is_some_and(|d| d.days == 30))),
        "object-lock.json loads with its default retention"
    );
    let Known::Known(bucket) = snap.bucket("snap-data") else {
        panic!("bucket unknown")
    };
    let Known::Known(Some(policy)) = &bucket.policy else {
        panic!("{:?}", bucket.policy)
    };
    assert_eq!(policy.statements.len(), 1);
    assert_eq!(policy.statements[0].sid, "DenyUnlessFromVpce");
    assert_eq!(policy.statements[0].effect, denytrail::policy::Effect::Deny);
    assert!(
        matches!(snap.bucket("snap-plain"), Known::Known(b) if matches!(b.policy, Known::Known(None)))
    );
    assert!(
        matches!(bucket.request_payment, Known::Unknown(_)),
        "not captured stays unknown"
    );
    assert!(matches!(snap.kms_key("alias/data"), Known::Known(_)));
    let Known::Known(eps) = &acct.vpc_endpoints else {
        panic!("endpoints unknown")
    };
    assert_eq!(eps.len(), 1);
    assert!(matches!(eps[0].policy, Known::Known(_)));
    let org = snap.organization.as_ref().expect("organization");
    assert!(org.policies.values().any(|p| p.name == "no-delete-bucket"));
}

/// GetBucketRequestPayment as S3 answers it (S3 API reference, GetBucketRequestPayment,
/// "Sample Response"): moto does not implement the call, so this part of the collector is
/// checked against the recorded answer, served in front of moto by a loopback server.
const REQUEST_PAYMENT_ANSWER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<RequestPaymentConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Payer>Requester</Payer>
</RequestPaymentConfiguration>"#;

/// Requester Pays (S3 user guide, "Using Requester Pays buckets"): the collector writes
/// get-bucket-request-payment's answer as `{"Payer": "Requester"}`, and with every call
/// answered the snapshot is complete (exit 0) and the loader knows the bucket is Requester Pays.
#[test]
fn snapshot_writes_request_payment_from_the_recorded_s3_answer() {
    use crate::loopback::{Loopback, Response};
    use denytrail::policy::Known;
    use denytrail::snapshot::{Payer, Snapshot};
    let moto = crate::moto_or_skip!();
    runtime().block_on(async {
        let s3 = moto.s3().await;
        s3.create_bucket()
            .bucket("rp-bucket")
            .send()
            .await
            .expect("create_bucket");
    });
    let proxy = Loopback::start(
        std::sync::Arc::new(|r: &crate::loopback::Request| {
            r.target.contains("requestPayment").then(|| Response {
                status: 200,
                content_type: "application/xml",
                body: REQUEST_PAYMENT_ANSWER.to_owned(),
            })
        }),
        Some(moto.port()),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("snap");
    let mut c = denytrail();
    isolate(&mut c);
    c.args([
        "snapshot",
        "--region",
        "us-east-1",
        "--endpoint-url",
        &proxy.endpoint(),
        "--out",
    ])
    .arg(&out);
    let (status, stdout, stderr) = run(c);
    assert_eq!(
        status.status.code(),
        Some(0),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    let rp = out
        .join("accounts")
        .join(MOTO_ACCOUNT)
        .join("s3/rp-bucket/request-payment.json");
    assert_eq!(read_json(&rp), serde_json::json!({"Payer": "Requester"}));
    assert!(
        proxy
            .requests()
            .iter()
            .any(|r| r.method == "GET" && r.target.contains("requestPayment")),
        "the call went through the loopback server"
    );
    let (snap, problems) = Snapshot::load(&out).expect("loads");
    assert!(problems.is_empty(), "{problems:?}");
    let Known::Known(b) = snap.bucket("rp-bucket") else {
        panic!("bucket unknown")
    };
    assert!(
        matches!(b.request_payment, Known::Known(Payer::Requester)),
        "{:?}",
        b.request_payment
    );
}

/// A GetObject request as the Rust SDK sends it (`GET /bucket/key?x-id=GetObject`).
fn is_get_object(r: &crate::loopback::Request) -> bool {
    r.method == "GET" && r.target.contains("x-id=GetObject")
}

/// The sample's log tree (`sample-logs/AWSLogs/...`): relative key, bytes.
pub fn sample_tree() -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("read_dir")
            .flatten()
            .collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                let rel = p.strip_prefix(root).expect("under root");
                let key = rel.to_string_lossy().replace('\\', "/");
                out.push((key, std::fs::read(&p).expect("read")));
            }
        }
    }
    let root = crate::util::repo_root().join("sample-logs");
    let mut out = Vec::new();
    walk(&root.join("AWSLogs"), &root, &mut out);
    assert!(
        !out.is_empty(),
        "sample-logs/AWSLogs holds the sample trail"
    );
    out
}

pub async fn upload(moto: &Moto, bucket: &str, objects: &[(String, Vec<u8>)]) {
    let s3 = moto.s3().await;
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("create_bucket");
    for (key, body) in objects {
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(body.clone().into())
            .send()
            .await
            .expect("put_object");
    }
}

/// Findings as sorted JSON lines without `source_object` (the one field that names where the
/// event was read).
pub fn findings_without_source(stdout: &str) -> Vec<String> {
    let mut v: Vec<String> = stdout
        .lines()
        .map(|l| {
            let mut f: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            if let Some(o) = f.as_object_mut() {
                o.remove("source_object");
            }
            f.to_string()
        })
        .collect();
    v.sort();
    v
}

pub fn analyze_jsonl(mut c: Command, input: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    c.arg(input)
        .args(["--snapshot", "sample-logs/snapshot", "--format", "jsonl"])
        .args(extra);
    let (out, stdout, stderr) = run(c);
    (out.status.code(), stdout, stderr)
}

/// The S3 log bucket is one more place the same logs come from: `analyze s3://...` gives the
/// findings the same tree on disk gives, apart from `source_object` (`s3://bucket/key`).
/// Throttling (503 SlowDown) is retried by the SDK; an object that cannot be fetched (403) is
/// named, counted as `fetch_failed` (exit 2), and the run goes on with the rest.
#[test]
fn analyze_s3_bucket_gives_the_findings_of_the_same_tree_on_disk() {
    use crate::loopback::{Loopback, Response};
    let moto = crate::moto_or_skip!();
    let tree = sample_tree();
    runtime().block_on(upload(&moto, "trail-logs", &tree));

    let mut local = denytrail();
    local.arg("analyze");
    let (code, disk, stderr) = analyze_jsonl(local, "sample-logs/AWSLogs", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let want = findings_without_source(&disk);
    assert!(!want.is_empty(), "the sample has denials");

    let (code, s3, stderr) =
        analyze_jsonl(denytrail_for(&moto, "analyze"), "s3://trail-logs/", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(findings_without_source(&s3), want);
    assert!(
        s3.contains("\"source_object\":\"s3://trail-logs/AWSLogs/"),
        "{s3}"
    );

    // First GET of every object: 503 SlowDown (retried); the second account's file: 403.
    let (first_key, _) = &tree[0];
    let (denied_key, _) = tree
        .iter()
        .find(|(k, _)| k.contains("diagnose01"))
        .expect("the sample's diagnosis file");
    let denied = format!("/trail-logs/{denied_key}");
    let throttled = std::sync::Mutex::new(std::collections::HashSet::new());
    let proxy = Loopback::start(
        std::sync::Arc::new(move |r: &crate::loopback::Request| {
            if !is_get_object(r) {
                return None;
            }
            let path = r.target.split('?').next().unwrap_or_default().to_owned();
            if path == denied {
                return Some(Response {
                    status: 403,
                    content_type: "application/xml",
                    body:
                        "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
                            .into(),
                });
            }
            let first = throttled
                .lock()
                .map(|mut t| t.insert(r.target.clone()))
                .unwrap_or(false);
            first.then(|| Response {
                status: 503,
                content_type: "application/xml",
                body: "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>".into(),
            })
        }),
        Some(moto.port()),
    );
    let mut c = denytrail();
    isolate(&mut c);
    c.args(["analyze", "--endpoint-url", &proxy.endpoint()]);
    let (code, partial, stderr) = analyze_jsonl(c, "s3://trail-logs/", &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("s3://trail-logs/{denied_key}")),
        "{stderr}"
    );
    assert!(stderr.contains("AccessDenied"), "{stderr}");
    let gets = proxy
        .requests()
        .iter()
        .filter(|r| is_get_object(r) && r.target.starts_with(&format!("/trail-logs/{first_key}?")))
        .count();
    assert_eq!(gets, 2, "one 503, one retry");
    let partial = findings_without_source(&partial);
    assert!(
        !partial.is_empty() && partial.len() < want.len(),
        "the readable object's findings are there"
    );
    assert!(partial.iter().all(|f| want.contains(f)));
}

/// `--since/--until` become prefixes: over a bucket holding 40 days of logs of several accounts
/// and regions, a one-day query lists the accounts, their regions and the two day folders that
/// may hold the day's events (the day and the next, for late deliveries), and downloads only
/// those files.
/// `--cache DIR` then serves a second run without a single download, with the same findings.
#[test]
fn analyze_s3_lists_only_the_days_asked_for_and_caches_downloads() {
    use crate::loopback::Loopback;
    let moto = crate::moto_or_skip!();
    // The sample's files of one day, copied to each of 40 days (Oct 14 .. Nov 22).
    let sample: Vec<_> = sample_tree()
        .into_iter()
        .filter(|(k, _)| k.contains("/CloudTrail/") && k.contains("/2026/11/20/"))
        .collect();
    let mut tree = Vec::new();
    let start = chrono::NaiveDate::from_ymd_opt(2026, 10, 14).expect("date");
    for n in 0..40 {
        let day = (start + chrono::Duration::days(n))
            .format("%Y/%m/%d")
            .to_string();
        for (key, body) in &sample {
            tree.push((key.replace("2026/11/20", &day), body.clone()));
        }
    }
    // What a one-day query must list: the bucket root and AWSLogs/ once, each account's
    // CloudTrail/ once, and two day folders per account and region.
    let accounts: std::collections::BTreeSet<&str> = sample
        .iter()
        .filter_map(|(k, _)| k.split('/').nth(1))
        .collect();
    let account_regions: std::collections::BTreeSet<(&str, &str)> = sample
        .iter()
        .filter_map(|(k, _)| Some((k.split('/').nth(1)?, k.split('/').nth(3)?)))
        .collect();
    let want_lists = 2 + accounts.len() + 2 * account_regions.len();
    runtime().block_on(upload(&moto, "year-of-logs", &tree));
    let proxy = Loopback::start(
        std::sync::Arc::new(|_: &crate::loopback::Request| None),
        Some(moto.port()),
    );
    let cache = tempfile::tempdir().expect("tempdir");
    let analyze = |extra: &[&str]| {
        let mut c = denytrail();
        isolate(&mut c);
        c.args(["analyze", "--endpoint-url", &proxy.endpoint()]);
        c.args(["--since", "2026-11-20", "--until", "2026-11-20", "--cache"])
            .arg(cache.path());
        analyze_jsonl(c, "s3://year-of-logs/", extra)
    };
    let (code, first, stderr) = analyze(&[]);
    assert_eq!(code, Some(0), "{stderr}");
    let reqs = proxy.requests();
    let lists: Vec<&str> = reqs
        .iter()
        .filter(|r| r.target.contains("list-type=2"))
        .map(|r| r.target.as_str())
        .collect();
    let gets = reqs.iter().filter(|r| is_get_object(r)).count();
    assert_eq!(lists.len(), want_lists, "{lists:#?}");
    assert!(
        lists.iter().all(|l| !l.contains("2026%2F10")),
        "no October prefix listed: {lists:#?}"
    );
    assert_eq!(
        gets,
        2 * sample.len(),
        "the 20th and the 21st (delivery margin) of every account and region, nothing else"
    );
    assert!(!first.is_empty());

    let before = proxy.requests().len();
    let (code, second, stderr) = analyze(&[]);
    assert_eq!(code, Some(0), "{stderr}");
    let after: Vec<_> = proxy.requests().into_iter().skip(before).collect();
    assert_eq!(
        after.iter().filter(|r| is_get_object(r)).count(),
        0,
        "all from the cache"
    );
    assert_eq!(
        findings_without_source(&second),
        findings_without_source(&first)
    );
    let cached = cache.path().join("year-of-logs").join(&sample[0].0);
    assert!(cached.is_file(), "{}", cached.display());
}

/// One S3 management event denied with 403, as CloudTrail records it (`CloudTrailEvent`).
fn management_denial(event_id: &str, event_name: &str, minutes_ago: i64) -> String {
    let t = (chrono::Utc::now() - chrono::Duration::minutes(minutes_ago))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    serde_json::json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEALICE", "arn": "arn:aws:iam::111122223333:user/alice", "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLEALICE", "userName": "alice"},
        "eventTime": t,
        "eventSource": "s3.amazonaws.com",
        "eventName": event_name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15",
        "errorCode": "AccessDenied",
        "errorMessage": "Access Denied",
        "requestParameters": {"bucketName": "dt-data", "Host": "dt-data.s3.us-east-1.amazonaws.com"},
        "responseElements": null,
        "requestID": format!("REQ{event_id}"),
        "eventID": event_id,
        "readOnly": true,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": "111122223333",
        "eventCategory": "Management"
    })
    .to_string()
}

/// A LookupEvents page as the API answers it (AWS JSON 1.1; CloudTrail API reference,
/// LookupEvents, "Response Syntax"): each event's record is the `CloudTrailEvent` string.
fn lookup_page(events: &[(&str, &str, i64)], next: Option<&str>) -> String {
    let events: Vec<Value> = events
        .iter()
        .map(|(id, name, ago)| {
            serde_json::json!({
                "EventId": id,
                "EventName": name,
                "ReadOnly": "true",
                "AccessKeyId": "AKIAEXAMPLEALICE",
                "EventTime": (chrono::Utc::now() - chrono::Duration::minutes(*ago)).timestamp(),
                "EventSource": "s3.amazonaws.com",
                "Username": "alice",
                "Resources": [{"ResourceType": "AWS::S3::Bucket", "ResourceName": "dt-data"}],
                "CloudTrailEvent": management_denial(id, name, *ago),
            })
        })
        .collect();
    let mut page = serde_json::json!({ "Events": events });
    if let Some(n) = next {
        page["NextToken"] = Value::String(n.to_owned());
    }
    page.to_string()
}

/// CloudTrail LookupEvents (CloudTrail API reference): two pages joined by NextToken, asked
/// for no faster than the documented 2 requests per second, filtered to S3's events; each
/// management 403 becomes a finding whose `source_object` names the API page. moto has no
/// LookupEvents, so the pages are recorded answers served by a loopback server.
#[test]
fn analyze_cloudtrail_api_reads_every_page_at_the_documented_rate() {
    use crate::loopback::{Loopback, Response};
    let page1 = lookup_page(
        &[(
            "11111111-aaaa-4000-8000-000000000001",
            "GetBucketPolicy",
            90,
        )],
        Some("page-2-token"),
    );
    let page2 = lookup_page(
        &[("11111111-aaaa-4000-8000-000000000002", "PutBucketAcl", 30)],
        None,
    );
    let server = Loopback::start(
        std::sync::Arc::new(move |r: &crate::loopback::Request| {
            let target = r.header("x-amz-target").unwrap_or_default();
            if !target.ends_with("LookupEvents") {
                return None;
            }
            let body = String::from_utf8_lossy(&r.body);
            let page = if body.contains("page-2-token") {
                &page2
            } else {
                &page1
            };
            Some(Response {
                status: 200,
                content_type: "application/x-amz-json-1.1",
                body: page.clone(),
            })
        }),
        None,
    );
    let mut c = denytrail();
    isolate(&mut c);
    c.args([
        "analyze",
        "--cloudtrail-api",
        "--since",
        "1d",
        "--format",
        "jsonl",
    ])
    .args([
        "--endpoint-url",
        &server.endpoint(),
        "--region",
        "us-east-1",
    ]);
    let (out, stdout, stderr) = run(c);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    let findings: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let ids: Vec<&str> = findings
        .iter()
        .filter_map(|f| f["event_id"].as_str())
        .collect();
    assert_eq!(ids.len(), 2, "{stdout}");
    assert!(
        ids.contains(&"11111111-aaaa-4000-8000-000000000001")
            && ids.contains(&"11111111-aaaa-4000-8000-000000000002")
    );
    assert!(findings.iter().all(|f| f["source_object"]
        .as_str()
        .is_some_and(|s| s.starts_with("cloudtrail-api://us-east-1/"))));

    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "one request per page");
    let first = String::from_utf8_lossy(&reqs[0].body).into_owned();
    assert!(
        first.contains("\"AttributeKey\":\"EventSource\"") && first.contains("s3.amazonaws.com"),
        "{first}"
    );
    assert!(String::from_utf8_lossy(&reqs[1].body).contains("page-2-token"));
    // Arrival times at the server: the first request also pays for the connection (and, on a
    // loaded machine, for the scheduler), the second reuses it, so the gap seen here can be
    // shorter than the client's 500 ms pacing. Unpaced, it would be a few milliseconds.
    let gap = reqs[1].at.duration_since(reqs[0].at);
    assert!(
        gap >= std::time::Duration::from_millis(300),
        "2 requests/s at most: {gap:?}"
    );
}

/// Across accounts by assuming a role in each (`--assume-role NAME` →
/// `arn:aws:iam::<account>:role/NAME`): every account's pieces are read with that account's
/// credentials and land in its own folder. moto keeps accounts apart by the assumed role's
/// account, so a bucket made in the second account shows up only there.
#[test]
fn snapshot_assumes_the_role_in_each_account() {
    let moto = crate::moto_or_skip!();
    const OTHER: &str = "111111111111";
    runtime().block_on(async {
        moto.s3()
            .await
            .create_bucket()
            .bucket("home-bucket")
            .send()
            .await
            .expect("create");
        let conf = moto.sdk_config().await;
        let creds = aws_sdk_sts::Client::new(&conf)
            .assume_role()
            .role_arn(format!("arn:aws:iam::{OTHER}:role/Auditor"))
            .role_session_name("test")
            .send()
            .await
            .expect("assume_role")
            .credentials
            .expect("credentials");
        let other = aws_sdk_s3::config::Builder::from(&conf)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                creds.access_key_id(),
                creds.secret_access_key(),
                Some(creds.session_token().to_owned()),
                None,
                "assumed",
            ))
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(other)
            .create_bucket()
            .bucket("other-bucket")
            .send()
            .await
            .expect("create in the other account");
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("snap");
    let mut c = denytrail_for(&moto, "snapshot");
    c.arg("--out").arg(&out);
    c.args([
        "--accounts",
        &format!("{MOTO_ACCOUNT},{OTHER}"),
        "--assume-role",
        "Auditor",
    ]);
    let (status, stdout, stderr) = run(c);
    // Only moto's missing GetBucketRequestPayment is skipped.
    assert_eq!(
        status.status.code(),
        Some(2),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(stdout.contains("for 2 account(s)"), "{stdout}");
    let home = out.join("accounts").join(MOTO_ACCOUNT);
    let other = out.join("accounts").join(OTHER);
    assert!(home.join("s3/home-bucket/policy.json").is_file());
    assert!(!home.join("s3/other-bucket").exists());
    assert!(other.join("s3/other-bucket/policy.json").is_file());
    assert!(!other.join("s3/home-bucket").exists());
    assert!(other.join("iam.json").is_file());
}

/// Organizations S3 policies (orgs_manage_policies_s3_syntax.html): moto 5.2.5 refuses the
/// `S3_POLICY` type (ListPolicies and CreatePolicy answer InvalidInputException), so the S3
/// policy calls are answered by a loopback server in front of moto with responses shaped as
/// the Organizations API reference documents them (ListPolicies `Policies[]` of
/// PolicySummary, DescribePolicy `Policy.{PolicySummary, Content}`, ListTargetsForPolicy
/// `Targets[]`). The collector writes them like SCPs, and the loader derives the account's
/// Block Public Access from the policy's `@@assign`.
#[test]
fn snapshot_lists_organization_s3_policies_like_scps() {
    use crate::loopback::{Loopback, Response};
    use denytrail::policy::Known;
    use denytrail::snapshot::{OrgS3Bpa, Snapshot};
    let moto = crate::moto_or_skip!();
    runtime().block_on(async {
        let conf = moto.sdk_config().await;
        aws_sdk_organizations::Client::new(&conf)
            .create_organization()
            .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
            .send()
            .await
            .expect("create_organization");
    });
    const ID: &str = "p-s3bpa1234";
    let summary = serde_json::json!({"Id": ID, "Arn": format!("arn:aws:organizations::{MOTO_ACCOUNT}:policy/o-example/s3_policy/{ID}"),
        "Name": "s3-bpa", "Description": "org-wide Block Public Access", "Type": "S3_POLICY", "AwsManaged": false});
    let content = r#"{"s3_attributes":{"public_access_block_configuration":{"@@assign":"all"}}}"#;
    let proxy = Loopback::start(
        std::sync::Arc::new(move |r: &crate::loopback::Request| {
            let target = r.header("x-amz-target")?;
            let body = String::from_utf8_lossy(&r.body);
            let json = |v: Value| {
                Some(Response {
                    status: 200,
                    content_type: "application/x-amz-json-1.1",
                    body: v.to_string(),
                })
            };
            match target.rsplit('.').next()? {
                "ListPolicies" if body.contains("S3_POLICY") => {
                    json(serde_json::json!({"Policies": [summary.clone()]}))
                }
                "DescribePolicy" if body.contains(ID) => json(
                    serde_json::json!({"Policy": {"PolicySummary": summary.clone(), "Content": content}}),
                ),
                "ListTargetsForPolicy" if body.contains(ID) => {
                    json(serde_json::json!({"Targets": [
                    {"TargetId": MOTO_ACCOUNT, "Arn": format!("arn:aws:organizations::{MOTO_ACCOUNT}:account/o-example/{MOTO_ACCOUNT}"), "Name": "moto", "Type": "ACCOUNT"}]}))
                }
                _ => None,
            }
        }),
        Some(moto.port()),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("snap");
    let mut c = denytrail();
    isolate(&mut c);
    c.args([
        "snapshot",
        "--region",
        "us-east-1",
        "--endpoint-url",
        &proxy.endpoint(),
        "--out",
    ])
    .arg(&out);
    let (status, stdout, stderr) = run(c);
    assert!(
        !stderr.contains("S3_POLICY"),
        "the S3 policies were listed: {stderr}"
    );
    let written = read_json(&out.join(format!("organization/policies/{ID}.json")));
    assert_eq!(written["Policy"]["PolicySummary"]["Type"], "S3_POLICY");
    let targets = read_json(&out.join(format!("organization/targets/{ID}.json")));
    assert_eq!(targets["Targets"][0]["TargetId"], MOTO_ACCOUNT);
    let (snap, _) = Snapshot::load(&out).expect("loads");
    let org = snap.organization.as_ref().expect("organization");
    assert_eq!(
        org.s3_bpa(MOTO_ACCOUNT),
        Known::Known(Some(OrgS3Bpa {
            all: true,
            policy_id: ID.to_owned()
        })),
        "stdout: {stdout}\nstderr: {stderr}\nstatus: {:?}",
        status.status
    );
}

#[path = "object_acls_moto.rs"]
mod object_acls_moto;
