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
    c.args([
        subcommand,
        "--endpoint-url",
        &moto.endpoint(),
        "--region",
        "us-east-1",
    ]);
    isolate(&mut c);
    c
}

/// Static test credentials, no shared config files, no IMDS: the run can only reach what the
/// test points it at.
pub fn isolate(c: &mut Command) {
    c.env("AWS_ACCESS_KEY_ID", "testing")
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
    assert_eq!(acct.buckets.len(), 2);
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
