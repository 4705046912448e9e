//! Snapshot loading and per-event request building, on a generated account of realistic
//! size: 2,000 roles, 500 users in 20 groups, 1,000 customer managed policies, 200 buckets
//! with policies, an organization with SCPs on three levels.
//!
//! `snapshot_load`: the whole folder parsed and every document compiled (once per run).
//! `request_and_authz_input`: one denied CloudTrail record → requests (principal, action,
//! context) → the policies that apply (`Snapshot::authz_input`), the per-event work of
//! `analyze` before the engine.

use criterion::{criterion_group, criterion_main, Criterion};
use denytrail::diagnose::request::requests;
use denytrail::record::Event;
use denytrail::snapshot::Snapshot;
use serde_json::{json, Value};
use std::hint::black_box;
use std::path::Path;

const A: &str = "111122223333";

fn put(root: &Path, rel: &str, v: &Value) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
    std::fs::write(p, serde_json::to_vec(v).expect("json")).expect("write");
}

fn doc(i: usize) -> Value {
    let stmts: Vec<Value> = (0..5)
        .map(|j| {
            json!({"Sid": format!("S{j}"), "Effect": "Allow", "Action": [format!("s3:Get{j}*"), "s3:List*"],
                   "Resource": [format!("arn:aws:s3:::bucket-{i}-{j}/*")],
                   "Condition": {"StringEquals": {"aws:PrincipalTag/team": format!("t{j}")}}})
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": stmts})
}

fn generate(root: &Path) {
    let policies: Vec<Value> = (0..1000)
        .map(|i| json!({"PolicyName": format!("p{i}"), "Arn": format!("arn:aws:iam::{A}:policy/p{i}"), "DefaultVersionId": "v1",
            "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": doc(i)}]}))
        .collect();
    let attached = |i: usize| {
        json!([{"PolicyName": "a", "PolicyArn": format!("arn:aws:iam::{A}:policy/p{}", i % 1000)},
               {"PolicyName": "b", "PolicyArn": format!("arn:aws:iam::{A}:policy/p{}", (i * 7) % 1000)}])
    };
    let users: Vec<Value> = (0..500)
        .map(|i| json!({"UserName": format!("u{i}"), "UserId": format!("AIDA{i:012}"), "Arn": format!("arn:aws:iam::{A}:user/u{i}"),
            "UserPolicyList": [{"PolicyName": "inline", "PolicyDocument": doc(i)}], "GroupList": [format!("g{}", i % 20)],
            "AttachedManagedPolicies": attached(i), "Tags": [{"Key": "team", "Value": "t1"}]}))
        .collect();
    let groups: Vec<Value> = (0..20)
        .map(|i| json!({"GroupName": format!("g{i}"), "GroupId": format!("AGPA{i}"), "Arn": format!("arn:aws:iam::{A}:group/g{i}"),
            "GroupPolicyList": [{"PolicyName": "gi", "PolicyDocument": doc(i)}], "AttachedManagedPolicies": attached(i)}))
        .collect();
    let roles: Vec<Value> = (0..2000)
        .map(|i| json!({"RoleName": format!("r{i}"), "RoleId": format!("AROA{i:012}"), "Path": "/", "Arn": format!("arn:aws:iam::{A}:role/r{i}"),
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [{"PolicyName": "ri", "PolicyDocument": doc(i)}], "AttachedManagedPolicies": attached(i),
            "Tags": [{"Key": "team", "Value": "t2"}]}))
        .collect();
    put(
        root,
        &format!("accounts/{A}/iam.json"),
        &json!({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies}),
    );
    for b in 0..200 {
        put(
            root,
            &format!("accounts/{A}/s3/bucket-{b}/policy.json"),
            &json!({"Policy": doc(b).to_string()}),
        );
        put(
            root,
            &format!("accounts/{A}/s3/bucket-{b}/ownership-controls.json"),
            &json!({"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}),
        );
    }
    put(
        root,
        "organization/organization.json",
        &json!({"Organization": {"Id": "o-1", "MasterAccountId": "999999999999", "FeatureSet": "ALL"}}),
    );
    put(
        root,
        "organization/accounts.json",
        &json!({"Accounts": [{"Id": A}]}),
    );
    put(
        root,
        &format!("organization/parents/{A}.json"),
        &json!({"Parents": [{"Id": "ou-1", "Type": "ORGANIZATIONAL_UNIT"}]}),
    );
    put(
        root,
        "organization/parents/ou-1.json",
        &json!({"Parents": [{"Id": "r-1", "Type": "ROOT"}]}),
    );
    let full = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    put(
        root,
        "organization/policies/p-full.json",
        &json!({"Policy": {"PolicySummary": {"Id": "p-full", "Type": "SERVICE_CONTROL_POLICY"}, "Content": full.to_string()}}),
    );
    put(
        root,
        "organization/targets/p-full.json",
        &json!({"Targets": [{"TargetId": "r-1"}, {"TargetId": "ou-1"}, {"TargetId": A}]}),
    );
}

fn event() -> Event {
    serde_json::from_value(json!({
        "eventVersion": "1.09", "eventTime": "2026-11-20T10:00:05Z", "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
        "awsRegion": "eu-west-1", "sourceIPAddress": "203.0.113.7", "userAgent": "aws-cli/2.15",
        "userIdentity": {"type": "AssumedRole", "principalId": "AROA000000000042:i-0abc", "arn": format!("arn:aws:sts::{A}:assumed-role/r42/i-0abc"),
            "accountId": A, "accessKeyId": "ASIAEXAMPLE", "sessionContext": {"sessionIssuer": {"type": "Role", "arn": format!("arn:aws:iam::{A}:role/r42")},
            "attributes": {"mfaAuthenticated": "false", "creationDate": "2026-11-20T09:00:00Z"}}},
        "requestParameters": {"bucketName": "bucket-7", "key": "reports/2026/11/20.csv"},
        "additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "AuthenticationMethod": "AuthHeader"},
        "tlsDetails": {"tlsVersion": "TLSv1.3"}, "errorCode": "AccessDenied", "recipientAccountId": A
    }))
    .expect("an event")
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    generate(dir.path());
    let mut g = c.benchmark_group("snapshot");
    g.sample_size(10);
    g.bench_function("snapshot_load", |b| {
        b.iter(|| black_box(Snapshot::load(dir.path()).expect("loads")))
    });
    g.finish();
    let (snap, problems) = Snapshot::load(dir.path()).expect("loads");
    assert!(problems.is_empty(), "{problems:?}");
    let ev = event();
    c.bench_function("request_and_authz_input", |b| {
        b.iter(|| {
            let reqs = requests(black_box(&ev), &snap).expect("a request");
            for r in &reqs {
                black_box(snap.authz_input(&r.request));
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
