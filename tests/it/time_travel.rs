//! Time travel end to end: two snapshots (2026-11-10 and 2026-11-20) of one organization and a
//! trail with S3 403s and the change events between them; `denytrail analyze` with both
//! `--snapshot` folders must judge every denial in the policies as they were at its time and
//! name the change that started it (`started_by`, FINDINGS.md).
//!
//! The AWS facts relied on: "If a field is truncated, omitted is present with a value of true"
//! (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>);
//! a failed call (`errorCode`) changes nothing; IAM events may be "logged as occurring in other
//! Regions" (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-concepts.html>),
//! so changes are matched on eventSource, not region.

use crate::util::{denytrail, run};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

const MGMT: &str = "111111111111";
const PROD: &str = "222222222222";
const DATA: &str = "333333333333";

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow_all() -> Value {
    doc(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]))
}

fn put(p: &Path, v: &Value) {
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, serde_json::to_vec_pretty(v).expect("json")).expect("write");
}

/// What differs between the two snapshots.
struct State {
    taken_at: &'static str,
    bob_attached: bool,
    scp_denies_put: bool,
}

fn user(account: &str, name: &str, inline: Option<Value>, attached: &[&str]) -> Value {
    json!({"UserName": name, "UserId": format!("AIDA{}", name.to_uppercase()),
        "Arn": format!("arn:aws:iam::{account}:user/{name}"), "Path": "/", "GroupList": [],
        "AttachedManagedPolicies": attached.iter().map(|a| json!({"PolicyArn": a, "PolicyName": "x"})).collect::<Vec<_>>(),
        "Tags": [],
        "UserPolicyList": inline.map(|d| vec![json!({"PolicyName": "base", "PolicyDocument": d})]).unwrap_or_default()})
}

fn snapshot(dir: &Path, s: &State) {
    put(&dir.join("snapshot.json"), &json!({"taken_at": s.taken_at}));
    let read_all = format!("arn:aws:iam::{PROD}:policy/ReadAll");
    let bob_attached: Vec<&str> = if s.bob_attached {
        vec![read_all.as_str()]
    } else {
        vec![]
    };
    let prod_iam = json!({
        "UserDetailList": [
            user(PROD, "alice", Some(allow_all()), &[]),
            user(PROD, "bob", None, &bob_attached),
        ],
        "GroupDetailList": [],
        "RoleDetailList": [{"RoleName": "etl", "RoleId": "AROAETL", "Arn": format!("arn:aws:iam::{PROD}:role/etl"),
            "Path": "/", "AssumeRolePolicyDocument": doc(json!([])), "AttachedManagedPolicies": [], "Tags": [],
            "InstanceProfileList": [], "RolePolicyList": [{"PolicyName": "base", "PolicyDocument": allow_all()}]}],
        "Policies": [{"PolicyName": "ReadAll", "PolicyId": "ANPAREADALL", "Arn": read_all, "Path": "/",
            "DefaultVersionId": "v1", "AttachmentCount": 1, "IsAttachable": true,
            "PolicyVersionList": [{"Document": doc(json!([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"], "Resource": "*"}])),
                "VersionId": "v1", "IsDefaultVersion": true}]}]});
    let data_iam = json!({"UserDetailList": [user(DATA, "carol", Some(allow_all()), &[])],
        "GroupDetailList": [], "RoleDetailList": [], "Policies": []});
    put(&dir.join(format!("accounts/{PROD}/iam.json")), &prod_iam);
    put(&dir.join(format!("accounts/{DATA}/iam.json")), &data_iam);
    put(
        &dir.join(format!("accounts/{MGMT}/iam.json")),
        &json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}),
    );
    for (account, bucket) in [(PROD, "b-policy"), (PROD, "b-iam"), (DATA, "b-data")] {
        let base = dir.join(format!("accounts/{account}/s3/{bucket}"));
        let canonical = format!("{:0<64}", format!("c{account}"));
        let files: BTreeMap<&str, Value> = [
            ("location.json", json!({"LocationConstraint": null})),
            ("policy.json", json!({"Policy": null})),
            ("ownership-controls.json", json!({"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}})),
            ("public-access-block.json", json!({"PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true}})),
            ("encryption.json", json!({"ServerSideEncryptionConfiguration": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}})),
            ("request-payment.json", json!({"Payer": "BucketOwner"})),
            ("acl.json", json!({"Owner": {"ID": canonical}, "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": canonical}, "Permission": "FULL_CONTROL"}]})),
        ]
        .into_iter()
        .collect();
        for (k, v) in files {
            put(&base.join(k), &v);
        }
    }
    for a in [MGMT, PROD, DATA] {
        put(
            &dir.join(format!("accounts/{a}/canonical-id.json")),
            &json!({"ID": format!("{:0<64}", format!("c{a}"))}),
        );
        put(
            &dir.join(format!("accounts/{a}/s3control/public-access-block.json")),
            &json!({"PublicAccessBlockConfiguration": null}),
        );
        put(
            &dir.join(format!("accounts/{a}/ec2/vpc-endpoints.json")),
            &json!({"VpcEndpoints": []}),
        );
    }
    let org = dir.join("organization");
    put(
        &org.join("organization.json"),
        &json!({"Organization": {"Id": "o-tt", "MasterAccountId": MGMT, "FeatureSet": "ALL"}}),
    );
    let accounts: Vec<Value> = [MGMT, PROD, DATA]
        .iter()
        .map(|a| json!({"Id": a, "Name": a, "Status": "ACTIVE"}))
        .collect();
    put(&org.join("accounts.json"), &json!({ "Accounts": accounts }));
    for (child, parent, kind) in [
        (MGMT, "r-tt", "ROOT"),
        (PROD, "ou-tt-prod", "ORGANIZATIONAL_UNIT"),
        (DATA, "r-tt", "ROOT"),
        ("ou-tt-prod", "r-tt", "ROOT"),
    ] {
        put(
            &org.join(format!("parents/{child}.json")),
            &json!({"Parents": [{"Id": parent, "Type": kind}]}),
        );
    }
    let full = doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]));
    let guard = if s.scp_denies_put {
        guard_scp()
    } else {
        full.clone()
    };
    for (id, content, targets) in [
        (
            "p-FullAWSAccess",
            full,
            vec!["r-tt", "ou-tt-prod", MGMT, PROD, DATA],
        ),
        ("p-guard", guard, vec!["ou-tt-prod"]),
    ] {
        put(
            &org.join(format!("policies/{id}.json")),
            &json!({"Policy": {"PolicySummary": {"Id": id, "Name": id, "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": false}, "Content": content.to_string()}}),
        );
        let t: Vec<Value> = targets.iter().map(|t| json!({"TargetId": t, "Name": t, "Type": if t.starts_with("r-") {"ROOT"} else if t.starts_with("ou-") {"ORGANIZATIONAL_UNIT"} else {"ACCOUNT"}})).collect();
        put(
            &org.join(format!("targets/{id}.json")),
            &json!({"Targets": t}),
        );
    }
}

fn guard_scp() -> Value {
    doc(json!([
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "NoWrites", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}
    ]))
}

struct Trail {
    records: Vec<Value>,
    seq: u32,
}

impl Trail {
    fn push(&mut self, time: &str, mut r: Value) -> String {
        self.seq += 1;
        let id = format!("tt-{:04}", self.seq);
        r["eventID"] = json!(id);
        r["eventVersion"] = json!("1.10");
        r["eventTime"] = json!(time);
        if r.get("awsRegion").is_none() {
            r["awsRegion"] = json!("us-east-1");
        }
        r["sourceIPAddress"] = json!("203.0.113.7");
        self.records.push(r);
        id
    }

    fn who(account: &str, user: &str) -> Value {
        json!({"type": "IAMUser", "principalId": format!("AIDA{}", user.to_uppercase()),
            "arn": format!("arn:aws:iam::{account}:user/{user}"), "accountId": account,
            "accessKeyId": "AKIAEXAMPLE", "userName": user})
    }

    fn denial(
        &mut self,
        time: &str,
        account: &str,
        user: &str,
        name: &str,
        bucket: &str,
    ) -> String {
        self.push(time, json!({"eventSource": "s3.amazonaws.com", "eventName": name,
            "userIdentity": Self::who(account, user), "userAgent": "[aws-cli/2.22.0]",
            "requestParameters": {"bucketName": bucket, "key": "k.txt", "Host": format!("{bucket}.s3.us-east-1.amazonaws.com")},
            "recipientAccountId": account, "errorCode": "AccessDenied", "errorMessage": "Access Denied",
            "additionalEventData": {"SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader"},
            "tlsDetails": {"tlsVersion": "TLSv1.3"},
            "resources": [{"type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}],
            "eventType": "AwsApiCall", "managementEvent": false, "eventCategory": "Data"}))
    }

    fn change(
        &mut self,
        time: &str,
        source: &str,
        name: &str,
        account: &str,
        params: Value,
        extra: Value,
    ) -> String {
        let mut r = json!({"eventSource": source, "eventName": name,
            "userIdentity": Self::who(account, "admin"), "requestParameters": params,
            "responseElements": null, "recipientAccountId": account, "readOnly": false,
            "eventType": "AwsApiCall", "managementEvent": true});
        if let Value::Object(m) = extra {
            for (k, v) in m {
                r[k] = v;
            }
        }
        self.push(time, r)
    }
}

#[test]
fn every_denial_is_judged_in_the_policies_of_its_time_and_named_for_its_change() {
    let dir = tempfile::tempdir().expect("temp dir");
    let before = dir.path().join("snap-1110");
    let after = dir.path().join("snap-1120");
    snapshot(
        &before,
        &State {
            taken_at: "2026-11-10T00:00:00Z",
            bob_attached: true,
            scp_denies_put: false,
        },
    );
    snapshot(
        &after,
        &State {
            taken_at: "2026-11-20T00:00:00Z",
            bob_attached: false,
            scp_denies_put: true,
        },
    );
    let mut t = Trail {
        records: Vec::new(),
        seq: 0,
    };
    let s3 = "s3.amazonaws.com";
    let iam = "iam.amazonaws.com";
    let no_alice = doc(
        json!([{"Sid": "NoAlice", "Effect": "Deny", "Principal": {"AWS": format!("arn:aws:iam::{PROD}:user/alice")}, "Action": "s3:*", "Resource": ["arn:aws:s3:::b-policy", "arn:aws:s3:::b-policy/*"]}]),
    );

    // Before the earliest snapshot: the bucket policy was deleted on 11-09 (a record never
    // carries the previous value), so at 10:00 that day it is unknown, naming the change.
    let d_hidden = t.denial(
        "2026-11-09T10:00:00Z",
        PROD,
        "alice",
        "GetObject",
        "b-policy",
    );
    let hider = t.change(
        "2026-11-09T12:00:00Z",
        s3,
        "DeleteBucketPolicy",
        PROD,
        json!({"bucketName": "b-policy", "policy": [""]}),
        json!({}),
    );
    // A Deny for alice put on 11-12 (2018-style array marker), removed on 11-15 (the fix).
    let put_deny = t.change(
        "2026-11-12T10:00:00Z",
        s3,
        "PutBucketPolicy",
        PROD,
        json!({"bucketName": "b-policy", "bucketPolicy": no_alice, "policy": [""]}),
        json!({}),
    );
    let d_deny = t.denial(
        "2026-11-13T08:00:00Z",
        PROD,
        "alice",
        "GetObject",
        "b-policy",
    );
    t.change(
        "2026-11-15T10:00:00Z",
        s3,
        "DeleteBucketPolicy",
        PROD,
        json!({"bucketName": "b-policy", "policy": ""}),
        json!({}),
    );
    // After the fix alice is allowed again: a 403 there is drift (nothing explains it).
    let d_drift = t.denial(
        "2026-11-21T08:00:00Z",
        PROD,
        "alice",
        "GetObject",
        "b-policy",
    );

    // Bob loses ReadAll on 11-12; a failed re-attach changes nothing.
    let detach = t.change(
        "2026-11-12T11:00:00Z",
        iam,
        "DetachUserPolicy",
        PROD,
        json!({"userName": "bob", "policyArn": format!("arn:aws:iam::{PROD}:policy/ReadAll")}),
        json!({}),
    );
    t.change(
        "2026-11-12T11:30:00Z",
        iam,
        "AttachUserPolicy",
        PROD,
        json!({"userName": "bob", "policyArn": format!("arn:aws:iam::{PROD}:policy/ReadAll")}),
        json!({"errorCode": "AccessDenied", "errorMessage": "not allowed"}),
    );
    let d_bob = t.denial("2026-11-12T12:00:00Z", PROD, "bob", "GetObject", "b-iam");

    // A same-minute pair on role-free ground: an inline Deny on alice recorded in another
    // Region, removed 40 seconds later.
    let put_inline = t.change("2026-11-16T10:00:10Z", iam, "PutUserPolicy", PROD, json!({"userName": "alice", "policyName": "freeze", "policyDocument": doc(json!([{"Sid": "Freeze", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}])).to_string()}), json!({"awsRegion": "eu-west-1"}));
    let d_frozen = t.denial("2026-11-16T10:00:30Z", PROD, "alice", "GetObject", "b-iam");
    t.change(
        "2026-11-16T10:00:50Z",
        iam,
        "DeleteUserPolicy",
        PROD,
        json!({"userName": "alice", "policyName": "freeze"}),
        json!({}),
    );

    // The SCP on the prod OU gains a Deny on writes on 11-17.
    let update = t.change(
        "2026-11-17T09:00:00Z",
        "organizations.amazonaws.com",
        "UpdatePolicy",
        MGMT,
        json!({"policyId": "p-guard", "content": guard_scp().to_string(), "name": "guard"}),
        json!({}),
    );
    let d_scp = t.denial("2026-11-17T12:00:00Z", PROD, "alice", "PutObject", "b-iam");

    // An omitted (too large) inline policy for carol: her account's IAM is unknown from then.
    t.change(
        "2026-11-14T10:00:00Z",
        iam,
        "PutUserPolicy",
        DATA,
        json!({"reason": "requestParameters too large", "omitted": true, "originalSize": 149893}),
        json!({}),
    );
    let d_omitted = t.denial("2026-11-14T12:00:00Z", DATA, "carol", "GetObject", "b-data");

    let logs = dir.path().join("logs/trail.json");
    put(&logs, &json!({"Records": t.records}));
    let mut c = denytrail();
    c.args(["analyze", "--format", "jsonl", "--snapshot"])
        .arg(&before)
        .arg("--snapshot")
        .arg(&after)
        .arg(&logs);
    let (out, stdout, stderr) = run(c);
    if let Ok(keep) = std::env::var("TT_KEEP") {
        let _ = std::fs::remove_dir_all(&keep);
        let _ = std::process::Command::new("cp")
            .arg("-r")
            .arg(dir.path())
            .arg(&keep)
            .status();
    }
    assert!(out.status.success(), "{stderr}");
    let findings: BTreeMap<String, Value> = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a finding"))
        .map(|f| (f["event_id"].as_str().unwrap_or("").to_owned(), f))
        .collect();
    // Nothing but the 403s is reported (no change event, no success).
    let mut expected = vec![
        &d_hidden, &d_deny, &d_drift, &d_bob, &d_frozen, &d_scp, &d_omitted,
    ];
    expected.sort();
    assert_eq!(findings.keys().collect::<Vec<_>>(), expected, "{stdout}");

    let f = &findings[&d_hidden];
    assert_eq!(f["root_cause"], "unknown", "{f:#}");
    let reason = f["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains(&hider) && reason.contains("bucket policy of `b-policy`"),
        "{reason}"
    );
    assert_eq!(f["started_by"], Value::Null);

    let f = &findings[&d_deny];
    assert_eq!(
        (f["root_cause"].as_str(), f["statement_sid"].as_str()),
        (Some("explicit_deny"), Some("NoAlice")),
        "{f:#}"
    );
    assert_eq!(f["started_by"], json!(put_deny));
    assert_eq!(f["snapshot_taken_at"], "2026-11-10T00:00:00Z");

    let f = &findings[&d_drift];
    assert_eq!(f["root_cause"], "unknown", "{f:#}");
    assert!(
        f["reason"]
            .as_str()
            .unwrap_or("")
            .contains("outside every snapshot"),
        "{f:#}"
    );
    assert_eq!(f["started_by"], Value::Null);

    let f = &findings[&d_bob];
    assert_eq!(f["root_cause"], "missing_allow", "{f:#}");
    assert_eq!(f["started_by"], json!(detach), "{f:#}");

    let f = &findings[&d_frozen];
    assert_eq!(
        (f["root_cause"].as_str(), f["statement_sid"].as_str()),
        (Some("explicit_deny"), Some("Freeze")),
        "{f:#}"
    );
    assert_eq!(f["started_by"], json!(put_inline));

    let f = &findings[&d_scp];
    assert_eq!(
        (f["root_cause"].as_str(), f["statement_sid"].as_str()),
        (Some("scp"), Some("NoWrites")),
        "{f:#}"
    );
    assert_eq!(f["started_by"], json!(update));

    let f = &findings[&d_omitted];
    assert_eq!(f["root_cause"], "unknown", "{f:#}");
    assert!(
        f["reason"].as_str().unwrap_or("").contains("omitted"),
        "{f:#}"
    );

    // explain: the state used and, for started_by, the before and after of the piece.
    let mut c = denytrail();
    c.args(["explain", &d_deny, "--snapshot"])
        .arg(&before)
        .arg("--snapshot")
        .arg(&after)
        .arg(&logs);
    let (out, stdout, stderr) = run(c);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("State used"), "{stdout}");
    assert!(
        stdout.contains("applied: 2026-11-12T10:00:00Z PutBucketPolicy"),
        "{stdout}"
    );
    assert!(
        stdout.contains("started_by: 2026-11-12T10:00:00Z PutBucketPolicy"),
        "{stdout}"
    );
    assert!(
        stdout.contains("before: absent") && stdout.contains("NoAlice"),
        "{stdout}"
    );

    // The report: each change that started denials, with who, when, what and how many; the
    // drift outside every snapshot counted.
    let mut c = denytrail();
    c.args(["analyze", "--format", "json", "--snapshot"])
        .arg(&before)
        .arg("--snapshot")
        .arg(&after)
        .arg(&logs);
    let (out, stdout, stderr) = run(c);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("a report");
    let tt = &report["time_travel"];
    assert_eq!(tt["drift_outside_snapshots"], 1, "{tt:#}");
    let rows = tt["changes_that_caused_denials"].as_array().expect("rows");
    let ids: Vec<&str> = rows.iter().filter_map(|r| r["event_id"].as_str()).collect();
    for id in [&put_deny, &detach, &put_inline, &update] {
        assert!(ids.contains(&id.as_str()), "{id} in {tt:#}");
    }
    let deny_row = rows
        .iter()
        .find(|r| r["event_id"] == json!(put_deny))
        .expect("row");
    assert_eq!(deny_row["denials"], 1);
    assert_eq!(deny_row["event_name"], "PutBucketPolicy");
    assert_eq!(deny_row["changed"], json!(["bucket policy of `b-policy`"]));
}

/// The bundled sample (`cargo run -- analyze`) reads both of its snapshots: dave's denial of
/// 2026-11-18 is judged in the older one (the `FreezeDuringAudit` statement, deleted as the fix
/// at noon that day), and the three denials after the `PutBucketPolicy` of 2026-11-19 name it.
#[test]
fn the_default_run_shows_a_denial_before_a_fix_and_a_run_started_by_a_change() {
    let mut c = denytrail();
    c.args(["analyze", "--format", "jsonl"]);
    let (out, stdout, stderr) = run(c);
    assert!(out.status.success(), "{stderr}");
    let dave: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|f| f["principal_arn"] == "arn:aws:iam::222222222222:user/dave")
        .collect();
    assert_eq!(dave.len(), 4, "{stdout}");
    let fix = &dave[0];
    assert_eq!(fix["statement_sid"], "FreezeDuringAudit", "{fix:#}");
    assert_eq!(fix["snapshot_taken_at"], "2026-11-17T00:00:00Z");
    assert_eq!(fix["started_by"], Value::Null);
    for f in &dave[1..] {
        assert_eq!(
            (f["root_cause"].as_str(), f["statement_sid"].as_str()),
            (Some("explicit_deny"), Some("FinalReportsOnly")),
            "{f:#}"
        );
        assert_eq!(f["started_by"], "5a1d0c3e-0003-4d7e-9a51-7e2d00000003");
    }
}
