//! End-to-end diagnosis: a small organization is built in each test (a snapshot folder in the
//! SNAPSHOT.md layout plus a CloudTrail file), `denytrail analyze --format jsonl --snapshot`
//! runs on it, and the finding is checked field by field. Each test is named for the AWS rule
//! it relies on.
//!
//! The organization: management account 111111111111 (root r-t001), member 222222222222 in
//! OU ou-t001-prod (the bucket owner) and member 333333333333 in OU ou-t001-data; FullAWSAccess
//! and RCPFullAWSAccess at every level, as AWS attaches them. 444444444444 is outside.

use crate::util::{denytrail, run};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Actions without a resource, end to end (issue 17, sections 6 and 7).
mod no_resource;
/// Role chaining and transitive session tags (issue 17).
mod session_chain;
/// aws:SourceVpcArn through a VPC endpoint (issue 17).
mod source_vpc_arn;

const MGMT: &str = "111111111111";
const PROD: &str = "222222222222";
const DATA: &str = "333333333333";
const EXT: &str = "444444444444";
const ROOT: &str = "r-t001";
const OU_PROD: &str = "ou-t001-prod";
const OU_DATA: &str = "ou-t001-data";

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow(actions: Value, resources: Value) -> Value {
    json!({"Effect": "Allow", "Action": actions, "Resource": resources})
}

fn canonical(account: &str) -> String {
    format!("{:0<64}", format!("c{account}"))
}

/// Users, roles and managed policies of one account (the three GAAD lists).
type AccountIam = (Vec<Value>, Vec<Value>, Vec<Value>);

/// A test organization: snapshot pieces kept in memory, written out on [`Org::analyze`].
struct Org {
    dir: tempfile::TempDir,
    iam: BTreeMap<&'static str, AccountIam>,
    files: Vec<(PathBuf, Value)>,
    org_policies: Vec<(String, &'static str, Value, Vec<String>)>,
    records: Vec<Value>,
    seq: u32,
}

impl Org {
    fn new() -> Org {
        let mut o = Org {
            dir: tempfile::tempdir().expect("temp dir"),
            iam: BTreeMap::new(),
            files: Vec::new(),
            org_policies: Vec::new(),
            records: Vec::new(),
            seq: 0,
        };
        let every = vec![ROOT, OU_PROD, OU_DATA, MGMT, PROD, DATA]
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        o.org_policy(
            "p-FullAWSAccess",
            "SERVICE_CONTROL_POLICY",
            doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])),
            every.clone(),
        );
        o.org_policy(
            "p-RCPFullAWSAccess",
            "RESOURCE_CONTROL_POLICY",
            doc(json!([{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}])),
            every,
        );
        for a in [MGMT, PROD, DATA] {
            o.iam.insert(a, (Vec::new(), Vec::new(), Vec::new()));
            o.file(
                format!("accounts/{a}/canonical-id.json"),
                json!({"ID": canonical(a)}),
            );
            o.file(format!("accounts/{a}/s3control/public-access-block.json"), json!({"PublicAccessBlockConfiguration": {"BlockPublicAcls": false, "IgnorePublicAcls": false, "BlockPublicPolicy": false, "RestrictPublicBuckets": false}}));
            o.file(
                format!("accounts/{a}/ec2/vpc-endpoints.json"),
                json!({"VpcEndpoints": []}),
            );
        }
        o
    }

    fn file(&mut self, rel: String, v: Value) {
        self.files.retain(|(p, _)| p != Path::new(&rel));
        self.files.push((PathBuf::from(rel), v));
    }

    fn account_iam(&mut self, account: &str) -> &mut AccountIam {
        let key: &'static str = [MGMT, PROD, DATA]
            .into_iter()
            .find(|a| *a == account)
            .expect("org account");
        self.iam.entry(key).or_default()
    }

    /// An IAM user with inline policies and an optional boundary (a managed policy).
    fn user(
        &mut self,
        account: &str,
        name: &str,
        inline: Vec<(&str, Value)>,
        boundary: Option<Value>,
    ) {
        let arn = format!("arn:aws:iam::{account}:user/{name}");
        let mut u = json!({"UserName": name, "UserId": format!("AIDA{}", name.to_uppercase()), "Arn": arn, "Path": "/",
            "GroupList": [], "AttachedManagedPolicies": [], "Tags": [],
            "UserPolicyList": inline.iter().map(|(n, d)| json!({"PolicyName": n, "PolicyDocument": d})).collect::<Vec<_>>()});
        if let Some(b) = boundary {
            let barn = self.managed(account, &format!("{name}-boundary"), b);
            u["PermissionsBoundary"] =
                json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": barn});
        }
        self.account_iam(account).0.push(u);
    }

    fn role(
        &mut self,
        account: &str,
        name: &str,
        inline: Vec<(&str, Value)>,
        boundary: Option<Value>,
    ) {
        let arn = format!("arn:aws:iam::{account}:role/{name}");
        let mut r = json!({"RoleName": name, "RoleId": format!("AROA{}", name.to_uppercase().replace('-', "")), "Arn": arn, "Path": "/",
            "AssumeRolePolicyDocument": doc(json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "sts:AssumeRole"}])),
            "AttachedManagedPolicies": [], "Tags": [], "InstanceProfileList": [],
            "RolePolicyList": inline.iter().map(|(n, d)| json!({"PolicyName": n, "PolicyDocument": d})).collect::<Vec<_>>()});
        if let Some(b) = boundary {
            let barn = self.managed(account, &format!("{name}-boundary"), b);
            r["PermissionsBoundary"] =
                json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": barn});
        }
        self.account_iam(account).1.push(r);
    }

    fn managed(&mut self, account: &str, name: &str, d: Value) -> String {
        let arn = format!("arn:aws:iam::{account}:policy/{name}");
        self.account_iam(account).2.push(json!({"PolicyName": name, "PolicyId": format!("ANPA{}", name.to_uppercase()), "Arn": arn,
            "Path": "/", "DefaultVersionId": "v1", "AttachmentCount": 1, "IsAttachable": true,
            "PolicyVersionList": [{"Document": d, "VersionId": "v1", "IsDefaultVersion": true}]}));
        arn
    }

    /// A bucket with every settings file; `settings` overrides files by name.
    fn bucket(
        &mut self,
        account: &str,
        name: &str,
        policy: Option<Value>,
        settings: Vec<(&str, Value)>,
    ) {
        let base = format!("accounts/{account}/s3/{name}");
        let mut files: BTreeMap<&str, Value> = BTreeMap::new();
        files.insert("location.json", json!({"LocationConstraint": null}));
        files.insert(
            "policy.json",
            match policy {
                Some(p) => json!({"Policy": p.to_string()}),
                None => json!({"Policy": null}),
            },
        );
        files.insert(
            "ownership-controls.json",
            json!({"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}),
        );
        files.insert("public-access-block.json", json!({"PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true}}));
        files.insert("encryption.json", json!({"ServerSideEncryptionConfiguration": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}));
        files.insert("request-payment.json", json!({"Payer": "BucketOwner"}));
        files.insert("acl.json", json!({"Owner": {"ID": canonical(account)}, "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": canonical(account)}, "Permission": "FULL_CONTROL"}]}));
        for (k, v) in settings {
            files.insert(k, v);
        }
        for (k, v) in files {
            self.file(format!("{base}/{k}"), v);
        }
    }

    fn org_policy(&mut self, id: &str, kind: &'static str, d: Value, targets: Vec<String>) {
        self.org_policies.retain(|(i, ..)| i != id);
        self.org_policies.push((id.to_owned(), kind, d, targets));
    }

    fn endpoint(&mut self, account: &str, id: &str, policy: Value) {
        self.file(format!("accounts/{account}/ec2/vpc-endpoints.json"), json!({"VpcEndpoints": [{"VpcEndpointId": id, "VpcEndpointType": "Gateway",
            "VpcId": "vpc-1", "ServiceName": "com.amazonaws.us-east-1.s3", "OwnerId": account, "PolicyDocument": policy.to_string()}]}));
    }

    fn kms_key(&mut self, account: &str, key_id: &str, policy: Value) -> String {
        let arn = format!("arn:aws:kms:us-east-1:{account}:key/{key_id}");
        self.file(
            format!("accounts/{account}/kms/{key_id}.json"),
            json!({"KeyMetadata": {"KeyId": key_id, "Arn": arn, "AWSAccountId": account,
            "KeyManager": "CUSTOMER", "KeyState": "Enabled"}, "Policy": policy.to_string()}),
        );
        arn
    }

    fn record(&mut self, mut r: Value) -> String {
        self.seq += 1;
        let id = format!("00000000-0000-4000-8000-{:012}", self.seq);
        r["eventID"] = json!(id);
        r["eventVersion"] = json!("1.10");
        r["eventTime"] = json!(format!("2026-11-20T10:{:02}:00Z", self.seq % 60));
        r["awsRegion"] = json!("us-east-1");
        if r.get("sourceIPAddress").is_none() {
            r["sourceIPAddress"] = json!("203.0.113.7");
        }
        self.records.push(r);
        id
    }

    /// An S3 data event. `code` None for a success.
    #[allow(clippy::too_many_arguments)]
    fn s3(
        &mut self,
        who: &Value,
        recipient: &str,
        name: &str,
        bucket: &str,
        key: Option<&str>,
        code: Option<&str>,
        message: Option<&str>,
        extra: Value,
    ) -> String {
        let mut rp =
            json!({"bucketName": bucket, "Host": format!("{bucket}.s3.us-east-1.amazonaws.com")});
        if let Some(k) = key {
            rp["key"] = json!(k);
        }
        if let Value::Object(m) = &extra {
            if let Some(Value::Object(p)) = m.get("requestParameters") {
                for (k, v) in p {
                    rp[k] = v.clone();
                }
            }
        }
        let mut r = json!({"eventSource": "s3.amazonaws.com", "eventName": name, "userIdentity": who,
            "userAgent": "[aws-cli/2.22.0]", "requestParameters": rp, "recipientAccountId": recipient,
            "additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "AuthenticationMethod": "AuthHeader"},
            "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256"},
            "resources": [{"type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}],
            "eventType": "AwsApiCall", "managementEvent": false, "eventCategory": "Data"});
        if let Some(c) = code {
            r["errorCode"] = json!(c);
            r["errorMessage"] = json!(message.unwrap_or("Access Denied"));
        }
        if let Value::Object(m) = extra {
            for (k, v) in m {
                if k != "requestParameters" {
                    r[k] = v;
                }
            }
        }
        self.record(r)
    }

    fn write(&self) -> (PathBuf, PathBuf) {
        let snap = self.dir.path().join("snapshot");
        let logs = self.dir.path().join("logs");
        let put = |p: PathBuf, v: &Value| {
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, serde_json::to_vec_pretty(v).expect("json")).expect("write");
        };
        put(
            snap.join("snapshot.json"),
            &json!({"taken_at": "2026-11-21T00:00:00Z"}),
        );
        for (rel, v) in &self.files {
            put(snap.join(rel), v);
        }
        for (a, (users, roles, policies)) in &self.iam {
            put(
                snap.join(format!("accounts/{a}/iam.json")),
                &json!({"UserDetailList": users, "GroupDetailList": [], "RoleDetailList": roles, "Policies": policies}),
            );
        }
        let org = snap.join("organization");
        put(
            org.join("organization.json"),
            &json!({"Organization": {"Id": "o-test1", "MasterAccountId": MGMT, "FeatureSet": "ALL"}}),
        );
        let accounts: Vec<Value> = [MGMT, PROD, DATA]
            .iter()
            .map(|a| json!({"Id": a, "Name": a, "Status": "ACTIVE"}))
            .collect();
        put(org.join("accounts.json"), &json!({ "Accounts": accounts }));
        for (child, parent, kind) in [
            (MGMT, ROOT, "ROOT"),
            (PROD, OU_PROD, "ORGANIZATIONAL_UNIT"),
            (DATA, OU_DATA, "ORGANIZATIONAL_UNIT"),
            (OU_PROD, ROOT, "ROOT"),
            (OU_DATA, ROOT, "ROOT"),
        ] {
            put(
                org.join(format!("parents/{child}.json")),
                &json!({"Parents": [{"Id": parent, "Type": kind}]}),
            );
        }
        for (id, kind, d, targets) in &self.org_policies {
            put(
                org.join(format!("policies/{id}.json")),
                &json!({"Policy": {"PolicySummary": {"Id": id, "Name": id, "Type": kind, "AwsManaged": false}, "Content": d.to_string()}}),
            );
            let t: Vec<Value> = targets
                .iter()
                .map(|t| {
                    let ty = if t.starts_with("r-") {
                        "ROOT"
                    } else if t.starts_with("ou-") {
                        "ORGANIZATIONAL_UNIT"
                    } else {
                        "ACCOUNT"
                    };
                    json!({"TargetId": t, "Type": ty, "Name": t})
                })
                .collect();
            put(
                org.join(format!("targets/{id}.json")),
                &json!({"Targets": t}),
            );
        }
        put(logs.join("trail.json"), &json!({"Records": self.records}));
        (snap, logs)
    }

    /// Runs `analyze --format jsonl` and returns the findings by event id.
    fn analyze(&self) -> BTreeMap<String, Value> {
        let (snap, logs) = self.write();
        let mut c = denytrail();
        c.args(["analyze", "--format", "jsonl", "--snapshot"])
            .arg(&snap)
            .arg(&logs);
        let (out, stdout, stderr) = run(c);
        assert!(out.status.success(), "analyze failed: {stderr}");
        assert!(
            !stderr.contains("denytrail: ") || !stderr.contains("snapshot"),
            "snapshot problems: {stderr}"
        );
        stdout
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("a JSON finding per line"))
            .map(|f| (f["event_id"].as_str().unwrap_or_default().to_owned(), f))
            .collect()
    }

    fn one(&self, id: &str) -> Value {
        let all = self.analyze();
        all.get(id)
            .cloned()
            .unwrap_or_else(|| panic!("no finding for {id}: {all:?}"))
    }
}

fn user_id(account: &str, name: &str) -> Value {
    json!({"type": "IAMUser", "principalId": format!("AIDA{}", name.to_uppercase()), "arn": format!("arn:aws:iam::{account}:user/{name}"),
        "accountId": account, "accessKeyId": format!("AKIA{}", name.to_uppercase()), "userName": name})
}

fn session_id(account: &str, role: &str, session: &str, key: &str) -> Value {
    let rid = format!("AROA{}", role.to_uppercase().replace('-', ""));
    json!({"type": "AssumedRole", "principalId": format!("{rid}:{session}"), "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"),
        "accountId": account, "accessKeyId": key, "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": rid,
        "arn": format!("arn:aws:iam::{account}:role/{role}"), "accountId": account, "userName": role},
        "attributes": {"creationDate": "2026-11-20T09:00:00Z", "mfaAuthenticated": "false"}}})
}

fn anonymous() -> Value {
    json!({"type": "AWSAccount", "principalId": "", "accountId": "anonymous"})
}

/// Asserts the contract fields of a finding.
#[track_caller]
fn expect(
    f: &Value,
    root_cause: &str,
    deny_type: Option<&str>,
    policy_type: Option<&str>,
    policy_id: Option<&str>,
    sid: Option<&str>,
) {
    let s = |v: Option<&str>| v.map(Value::from).unwrap_or(Value::Null);
    assert_eq!(f["root_cause"], root_cause, "{f:#}");
    assert_eq!(f["deny_type"], s(deny_type), "{f:#}");
    assert_eq!(f["policy_type"], s(policy_type), "{f:#}");
    assert_eq!(f["policy_id"], s(policy_id), "{f:#}");
    assert_eq!(f["statement_sid"], s(sid), "{f:#}");
}

fn read_app_data() -> Value {
    doc(json!([allow(
        json!(["s3:GetObject", "s3:PutObject"]),
        json!("arn:aws:s3:::app-data/*")
    )]))
}

/// Baseline used by many tests: bucket app-data in PROD without a policy.
fn org_with_app_data(policy: Option<Value>) -> Org {
    let mut o = Org::new();
    o.bucket(PROD, "app-data", policy, vec![]);
    o
}

// ----------------------------------------------------------------- IAM layers

/// IAM policy evaluation logic: an explicit Deny in an identity-based policy overrides any
/// Allow; the finding names the statement's Sid.
#[test]
fn identity_explicit_deny_overrides_allow() {
    let mut o = org_with_app_data(None);
    o.user(
        PROD,
        "alice",
        vec![(
            "p",
            doc(
                json!([allow(json!("s3:*"), json!("arn:aws:s3:::app-data/*")),
        {"Sid": "NoDeletes", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]),
            ),
        )],
        None,
    );
    let id = o.s3(
        &user_id(PROD, "alice"),
        PROD,
        "DeleteObject",
        "app-data",
        Some("a.txt"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "explicit_deny",
        Some("explicit"),
        Some("identity"),
        Some("arn:aws:iam::222222222222:user/alice#p"),
        Some("NoDeletes"),
    );
    assert!(
        f["remediation"]
            .as_str()
            .unwrap_or("")
            .contains("NoDeletes"),
        "{f:#}"
    );
}

/// Same account: no identity-based policy and no bucket-policy statement allows → implicit
/// deny, reported as missing_allow on the identity side; the fix is a least-privilege grant.
#[test]
fn same_account_nothing_allows_is_missing_identity_allow() {
    let mut o = org_with_app_data(None);
    o.user(PROD, "bob", vec![], None);
    let id = o.s3(&user_id(PROD, "bob"), PROD, "GetObject", "app-data", Some("r/q3.csv"), Some("AccessDenied"),
        Some("User: arn:aws:iam::222222222222:user/bob is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::app-data/r/q3.csv\" because no identity-based policy allows the s3:GetObject action"), json!({}));
    let f = o.one(&id);
    expect(
        &f,
        "missing_allow",
        Some("implicit"),
        Some("identity"),
        Some("arn:aws:iam::222222222222:user/bob"),
        None,
    );
    assert_eq!(f["disagrees_with_aws"], false);
    assert_eq!(f["caller_class"], "same_account");
    let fix = f["remediation"].as_str().unwrap_or("");
    assert!(
        fix.contains("\"Action\":\"s3:GetObject\"")
            && fix.contains("arn:aws:s3:::app-data/*")
            && !fix.contains("s3:*"),
        "{fix}"
    );
}

/// Same account: identity and resource-based grants form a union; a bucket policy naming the
/// IAM user ARN allows on its own. The request is allowed by every layer → unknown, never a
/// made-up cause.
#[test]
fn same_account_bucket_policy_grant_to_user_allows_so_cause_is_unknown() {
    let mut o = org_with_app_data(Some(doc(
        json!([{"Sid": "Bob", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:user/bob"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::app-data/*"}]),
    )));
    o.user(PROD, "bob", vec![], None);
    o.file(
        format!("accounts/{PROD}/s3/app-data/objects.json"),
        json!({"Contents": [{"Key": "x", "Size": 1, "Owner": {"ID": canonical(PROD)}}]}),
    );
    let id = o.s3(
        &user_id(PROD, "bob"),
        PROD,
        "GetObject",
        "app-data",
        Some("x"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(&f, "unknown", None, None, None, None);
    assert!(
        f["reason"]
            .as_str()
            .unwrap_or("")
            .contains("every policy layer"),
        "{f:#}"
    );
}

/// Evaluation order: a Deny in the bucket policy and one in the identity policy both match;
/// FINDINGS.md names the resource-based one first, the identity one goes to `also`.
#[test]
fn explicit_deny_in_bucket_policy_is_named_before_identity_deny() {
    let mut o = org_with_app_data(Some(doc(
        json!([{"Sid": "DenyDelete", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::app-data/*"}]),
    )));
    o.user(PROD, "alice", vec![("p", doc(json!([{"Sid": "NoDeletes", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}])))], None);
    let id = o.s3(
        &user_id(PROD, "alice"),
        PROD,
        "DeleteObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "explicit_deny",
        Some("explicit"),
        Some("resource"),
        Some("bucket-policy:app-data"),
        Some("DenyDelete"),
    );
    let also = f["also"].as_array().cloned().unwrap_or_default();
    assert!(
        also.iter()
            .any(|a| a["policy_type"] == "identity" && a["deny_type"] == "explicit"),
        "{f:#}"
    );
}

/// An explicit Deny in an SCP ends evaluation; it is named before the bucket policy's Deny.
#[test]
fn scp_explicit_deny_is_named_before_bucket_policy_deny() {
    let mut o = org_with_app_data(Some(doc(
        json!([{"Sid": "DenyDelete", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "*"}]),
    )));
    o.org_policy("p-nodelete", "SERVICE_CONTROL_POLICY", doc(json!([{"Sid": "DenyS3Delete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}])), vec![OU_PROD.into()]);
    o.user(
        PROD,
        "alice",
        vec![(
            "p",
            doc(json!([allow(json!("s3:DeleteObject"), json!("*"))])),
        )],
        None,
    );
    let id = o.s3(&user_id(PROD, "alice"), PROD, "DeleteObject", "app-data", Some("a"), Some("AccessDenied"),
        Some("User: arn:aws:iam::222222222222:user/alice is not authorized to perform: s3:DeleteObject on resource: \"arn:aws:s3:::app-data/a\" with an explicit deny in a resource-based policy"), json!({}));
    let f = o.one(&id);
    expect(
        &f,
        "scp",
        Some("explicit"),
        Some("scp"),
        Some("p-nodelete"),
        Some("DenyS3Delete"),
    );
    // AWS names only one type: the bucket policy also denies, so the message is consistent.
    assert_eq!(f["disagrees_with_aws"], false, "{f:#}");
}

/// SCPs: every level from the root to the account must allow. An allow-list SCP at the OU
/// that lacks s3 actions (FullAWSAccess detached there) is an implicit SCP deny.
#[test]
fn scp_without_allow_at_one_level_is_implicit_scp_deny() {
    let mut o = org_with_app_data(None);
    let every_but_ou = vec![
        ROOT.to_owned(),
        OU_DATA.to_owned(),
        MGMT.to_owned(),
        PROD.to_owned(),
        DATA.to_owned(),
    ];
    o.org_policy(
        "p-FullAWSAccess",
        "SERVICE_CONTROL_POLICY",
        doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])),
        every_but_ou,
    );
    o.org_policy(
        "p-ec2only",
        "SERVICE_CONTROL_POLICY",
        doc(json!([{"Sid": "Ec2", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"}])),
        vec![OU_PROD.into()],
    );
    o.user(PROD, "alice", vec![("p", read_app_data())], None);
    let id = o.s3(
        &user_id(PROD, "alice"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    expect(
        &o.one(&id),
        "scp",
        Some("implicit"),
        Some("scp"),
        Some("p-ec2only"),
        None,
    );
}

/// The management account is not affected by SCPs: a root-level SCP Deny does not explain a
/// denial of a management-account caller (the request is otherwise allowed → unknown).
#[test]
fn management_account_is_exempt_from_scps() {
    let mut o = Org::new();
    o.bucket(MGMT, "mgmt-data", None, vec![]);
    o.org_policy(
        "p-denys3",
        "SERVICE_CONTROL_POLICY",
        doc(json!([{"Sid": "NoS3", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}])),
        vec![ROOT.into()],
    );
    o.user(
        MGMT,
        "admin",
        vec![(
            "p",
            doc(json!([allow(
                json!("s3:GetObject"),
                json!("arn:aws:s3:::mgmt-data/*")
            )])),
        )],
        None,
    );
    let id = o.s3(
        &user_id(MGMT, "admin"),
        MGMT,
        "GetObject",
        "mgmt-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    expect(&o.one(&id), "unknown", None, None, None, None);
}

/// RCPs apply to the resources of the accounts they are attached to: an explicit Deny in an
/// RCP on the bucket account's OU denies an outside caller.
#[test]
fn rcp_explicit_deny_on_the_bucket_account() {
    let mut o = Org::new();
    o.bucket(DATA, "scratch", Some(doc(json!([{"Effect": "Allow", "Principal": {"AWS": EXT}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::scratch/*"}]))), vec![]);
    o.org_policy("p-perimeter", "RESOURCE_CONTROL_POLICY", doc(json!([{"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalAccount": [MGMT, PROD, DATA]}}}])), vec![OU_DATA.into()]);
    let who = json!({"type": "AWSAccount", "principalId": "AIDAEXTERNAL", "accountId": EXT});
    let id = o.s3(
        &who,
        DATA,
        "GetObject",
        "scratch",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "rcp",
        Some("explicit"),
        Some("rcp"),
        Some("p-perimeter"),
        Some("OrgOnly"),
    );
    assert_eq!(f["caller_class"], "external");
}

/// Cross-account: the bucket policy must grant the caller; the caller's own IAM allow is not
/// enough.
#[test]
fn cross_account_needs_a_bucket_policy_grant() {
    let mut o = org_with_app_data(None);
    o.role(
        DATA,
        "etl",
        vec![("p", doc(json!([allow(json!("s3:GetObject"), json!("*"))])))],
        None,
    );
    let id = o.s3(&session_id(DATA, "etl", "s1", "ASIAETL1"), DATA, "GetObject", "app-data", Some("a"), Some("AccessDenied"),
        Some("User: arn:aws:sts::333333333333:assumed-role/etl/s1 is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::app-data/a\" because no resource-based policy allows the s3:GetObject action"), json!({}));
    let f = o.one(&id);
    expect(
        &f,
        "missing_allow",
        Some("implicit"),
        Some("resource"),
        Some("bucket-policy:app-data"),
        None,
    );
    assert_eq!(f["resource_account"], PROD);
    assert_eq!(f["caller_class"], "organization");
    assert_eq!(f["disagrees_with_aws"], false);
}

/// Cross-account: the caller's identity-based policies must allow too, even when the bucket
/// policy grants the role.
#[test]
fn cross_account_needs_the_callers_identity_allow() {
    let mut o = org_with_app_data(Some(doc(
        json!([{"Sid": "Etl", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::333333333333:role/etl"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::app-data/*"}]),
    )));
    o.role(DATA, "etl", vec![], None);
    let id = o.s3(
        &session_id(DATA, "etl", "s1", "ASIAETL1"),
        DATA,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    expect(
        &o.one(&id),
        "missing_allow",
        Some("implicit"),
        Some("identity"),
        Some("arn:aws:iam::333333333333:role/etl"),
        None,
    );
}

/// An anonymous caller can only be allowed by a public grant in the bucket policy.
#[test]
fn anonymous_without_public_grant_is_missing_bucket_allow() {
    let mut o = org_with_app_data(None);
    let id = o.s3(
        &anonymous(),
        PROD,
        "GetObject",
        "app-data",
        Some("index.html"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "missing_allow",
        Some("implicit"),
        Some("resource"),
        Some("bucket-policy:app-data"),
        None,
    );
    assert_eq!(f["caller_class"], "anonymous");
    assert_eq!(f["principal_arn"], "anonymous");
}

/// VPC endpoint policies must allow requests that come through the endpoint.
#[test]
fn vpc_endpoint_policy_must_allow() {
    let mut o = org_with_app_data(None);
    o.bucket(PROD, "logs", None, vec![]);
    o.endpoint(PROD, "vpce-1a2b", doc(json!([{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::app-data", "arn:aws:s3:::app-data/*"]}])));
    o.user(
        PROD,
        "alice",
        vec![("p", doc(json!([allow(json!("s3:GetObject"), json!("*"))])))],
        None,
    );
    let id = o.s3(&user_id(PROD, "alice"), PROD, "GetObject", "logs", Some("a"), Some("AccessDenied"), None,
        json!({"vpcEndpointId": "vpce-1a2b", "vpcEndpointAccountId": PROD, "sourceIPAddress": "10.0.0.5"}));
    expect(
        &o.one(&id),
        "vpc_endpoint",
        Some("implicit"),
        Some("vpc_endpoint"),
        Some("vpce-1a2b"),
        None,
    );
}

/// A permissions boundary limits what identity-based policies grant.
#[test]
fn permissions_boundary_limits_identity_allow() {
    let mut o = org_with_app_data(None);
    o.role(
        PROD,
        "ci",
        vec![("p", read_app_data())],
        Some(doc(json!([allow(json!("s3:GetObject"), json!("*"))]))),
    );
    let id = o.s3(
        &session_id(PROD, "ci", "b1", "ASIACI1"),
        PROD,
        "PutObject",
        "app-data",
        Some("a.zip"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    expect(
        &o.one(&id),
        "permissions_boundary",
        Some("implicit"),
        Some("permissions_boundary"),
        Some("arn:aws:iam::222222222222:policy/ci-boundary"),
        None,
    );
}

/// Same account: a bucket policy naming the IAM user ARN is not limited by the boundary
/// (access_policies_boundaries). Allowed by every layer → unknown.
#[test]
fn bucket_policy_naming_the_user_is_not_limited_by_the_boundary() {
    let mut o = org_with_app_data(Some(doc(
        json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:user/dev"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::app-data/*"}]),
    )));
    o.user(
        PROD,
        "dev",
        vec![],
        Some(doc(json!([allow(json!("s3:GetObject"), json!("*"))]))),
    );
    let id = o.s3(
        &user_id(PROD, "dev"),
        PROD,
        "PutObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    expect(&o.one(&id), "unknown", None, None, None, None);
}

/// Same account: a bucket policy naming the role ARN (not the session) is limited by the
/// role's permissions boundary.
#[test]
fn bucket_policy_naming_the_role_is_limited_by_the_boundary() {
    let mut o = org_with_app_data(Some(doc(
        json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:role/ci"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::app-data/*"}]),
    )));
    o.role(
        PROD,
        "ci",
        vec![],
        Some(doc(json!([allow(json!("s3:GetObject"), json!("*"))]))),
    );
    let id = o.s3(
        &session_id(PROD, "ci", "b1", "ASIACI1"),
        PROD,
        "PutObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    expect(
        &o.one(&id),
        "permissions_boundary",
        Some("implicit"),
        Some("permissions_boundary"),
        Some("arn:aws:iam::222222222222:policy/ci-boundary"),
        None,
    );
}

/// Session policies passed at AssumeRole limit the session; the policy is recovered from the
/// AssumeRole record that issued the session's access key.
#[test]
fn session_policy_recovered_from_the_assume_role_record() {
    let mut o = org_with_app_data(None);
    o.role(PROD, "reader", vec![("p", read_app_data())], None);
    o.record(json!({"eventSource": "sts.amazonaws.com", "eventName": "AssumeRole", "userIdentity": user_id(PROD, "alice"), "recipientAccountId": PROD,
        "requestParameters": {"roleArn": "arn:aws:iam::222222222222:role/reader", "roleSessionName": "s1",
            "policy": doc(json!([allow(json!("s3:ListBucket"), json!("arn:aws:s3:::app-data"))])).to_string()},
        "responseElements": {"credentials": {"accessKeyId": "ASIAREADER1"}}, "eventType": "AwsApiCall"}));
    let id = o.s3(&session_id(PROD, "reader", "s1", "ASIAREADER1"), PROD, "GetObject", "app-data", Some("a"), Some("AccessDenied"),
        Some("User: arn:aws:sts::222222222222:assumed-role/reader/s1 is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::app-data/a\" because no session policy allows the s3:GetObject action"), json!({}));
    let f = o.one(&id);
    expect(
        &f,
        "session_policy",
        Some("implicit"),
        Some("session_policy"),
        Some("session-policy:ASIAREADER1"),
        None,
    );
    assert_eq!(f["disagrees_with_aws"], false);
}

/// Without the STS record the session policy is unknown: when every other layer allows, the
/// answer is unknown with the missing piece named, and AWS's own verdict quoted; never a guess.
#[test]
fn session_without_its_sts_record_is_insufficient_snapshot() {
    let mut o = org_with_app_data(None);
    o.role(PROD, "reader", vec![("p", read_app_data())], None);
    let id = o.s3(&session_id(PROD, "reader", "s1", "ASIAREADER1"), PROD, "GetObject", "app-data", Some("a"), Some("AccessDenied"),
        Some("User: arn:aws:sts::222222222222:assumed-role/reader/s1 is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::app-data/a\" because no session policy allows the s3:GetObject action"), json!({}));
    let f = o.one(&id);
    expect(&f, "unknown", None, None, None, None);
    let reason = f["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains("insufficient_snapshot") && reason.contains("session"),
        "{reason}"
    );
    assert!(reason.contains("AWS's message says"), "{reason}");
    assert_eq!(
        f["disagrees_with_aws"], false,
        "AWS names the layer the snapshot lacks"
    );
}

// ----------------------------------------------------------------- S3 rules

fn kms_bucket(o: &mut Org, bucket_key: bool, key_policy: Value) -> String {
    let arn = o.kms_key(PROD, "k-1", key_policy);
    o.bucket(PROD, "secure", None, vec![("encryption.json", json!({"ServerSideEncryptionConfiguration": {"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": arn}, "BucketKeyEnabled": bucket_key}]}}))]);
    o.user(
        PROD,
        "alice",
        vec![(
            "p",
            doc(json!([allow(
                json!(["s3:GetObject", "s3:PutObject"]),
                json!("arn:aws:s3:::secure/*")
            )])),
        )],
        None,
    );
    arn
}

/// KMS key policies must allow even within one account: S3 allowed the read, the key policy
/// does not give kms:Decrypt to the caller.
#[test]
fn kms_key_policy_must_allow_even_in_the_same_account() {
    let mut o = Org::new();
    let arn = kms_bucket(
        &mut o,
        false,
        doc(
            json!([{"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:role/admin"}, "Action": "kms:*", "Resource": "*"}]),
        ),
    );
    let id = o.s3(
        &user_id(PROD, "alice"),
        PROD,
        "GetObject",
        "secure",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "kms",
        Some("implicit"),
        Some("kms_key"),
        Some(&arn),
        None,
    );
    assert!(
        f["remediation"]
            .as_str()
            .unwrap_or("")
            .contains("kms:Decrypt"),
        "{f:#}"
    );
}

/// With S3 Bucket Keys, KMS sees the bucket ARN as encryption context: a key-policy condition
/// pinned to object ARNs fails. Without Bucket Keys the same key policy allows.
#[test]
fn s3_bucket_key_makes_the_encryption_context_the_bucket_arn() {
    let pinned = doc(
        json!([{"Sid": "AliceObjects", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:user/alice"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
        "Condition": {"StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::secure/*"}}}]),
    );
    let mut o = Org::new();
    let arn = kms_bucket(&mut o, true, pinned.clone());
    let id = o.s3(
        &user_id(PROD, "alice"),
        PROD,
        "GetObject",
        "secure",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "kms",
        Some("implicit"),
        Some("kms_key"),
        Some(&arn),
        None,
    );
    assert!(
        f["reason"].as_str().unwrap_or("").contains("Bucket Key"),
        "{f:#}"
    );

    let mut o = Org::new();
    kms_bucket(&mut o, false, pinned);
    let id = o.s3(
        &user_id(PROD, "alice"),
        PROD,
        "GetObject",
        "secure",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    expect(&o.one(&id), "unknown", None, None, None, None);
}

/// A key policy that delegates to the account (grants the root) needs the caller's IAM
/// policies to allow the KMS action too.
#[test]
fn kms_key_policy_delegating_to_the_account_needs_iam() {
    let mut o = Org::new();
    let arn = kms_bucket(
        &mut o,
        false,
        doc(
            json!([{"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "kms:*", "Resource": "*"}]),
        ),
    );
    let id = o.s3(
        &user_id(PROD, "alice"),
        PROD,
        "PutObject",
        "secure",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "kms",
        Some("implicit"),
        Some("kms_key"),
        Some(&arn),
        None,
    );
    assert!(
        f["reason"]
            .as_str()
            .unwrap_or("")
            .contains("kms:GenerateDataKey"),
        "{f:#}"
    );
}

/// ObjectWriter: an object written by another account without bucket-owner-full-control stays
/// that account's, and only an ACL could grant the bucket owner's users access.
#[test]
fn object_writer_keeps_foreign_objects_foreign() {
    let mut o = Org::new();
    o.bucket(PROD, "uploads", Some(doc(json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::333333333333:role/partner"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::uploads/*"}]))),
        vec![("ownership-controls.json", json!({"OwnershipControls": {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}}))]);
    o.role(
        DATA,
        "partner",
        vec![("p", doc(json!([allow(json!("s3:PutObject"), json!("*"))])))],
        None,
    );
    o.user(
        PROD,
        "alice",
        vec![(
            "p",
            doc(json!([allow(
                json!("s3:GetObject"),
                json!("arn:aws:s3:::uploads/*")
            )])),
        )],
        None,
    );
    // The bucket owner's copy of the write names the caller by account only.
    o.s3(&json!({"type": "AWSAccount", "principalId": "AROAPARTNER:w1", "accountId": DATA}), PROD, "PutObject", "uploads", Some("feed.csv"), None, None,
        json!({"resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::uploads/feed.csv"}, {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::uploads", "accountId": PROD}]}));
    let id = o.s3(
        &user_id(PROD, "alice"),
        PROD,
        "GetObject",
        "uploads",
        Some("feed.csv"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    expect(&o.one(&id), "object_ownership", None, None, None, None);
}

/// BucketOwnerEnforced disables ACLs: the bucket owner owns every object, so a foreign
/// object owner in the listing does not explain a denial.
#[test]
fn bucket_owner_enforced_means_no_ownership_cause() {
    let mut o = Org::new();
    o.bucket(
        PROD,
        "uploads",
        None,
        vec![(
            "objects.json",
            json!({"Contents": [{"Key": "feed.csv", "Size": 1, "Owner": {"ID": canonical(DATA)}}]}),
        )],
    );
    o.user(
        PROD,
        "alice",
        vec![(
            "p",
            doc(json!([allow(
                json!("s3:GetObject"),
                json!("arn:aws:s3:::uploads/*")
            )])),
        )],
        None,
    );
    let id = o.s3(
        &user_id(PROD, "alice"),
        PROD,
        "GetObject",
        "uploads",
        Some("feed.csv"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    expect(&o.one(&id), "unknown", None, None, None, None);
}

/// RestrictPublicBuckets: a bucket whose policy is public serves only AWS services and the
/// owner account's users; the public grant to an anonymous caller is blocked.
#[test]
fn restrict_public_buckets_blocks_the_public_grant() {
    let mut o = Org::new();
    o.bucket(PROD, "site", Some(doc(json!([{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"}]))), vec![]);
    let id = o.s3(
        &anonymous(),
        PROD,
        "GetObject",
        "site",
        Some("index.html"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    expect(&o.one(&id), "block_public_access", None, None, None, None);
}

/// RestrictPublicBuckets also blocks cross-account grants inside a public policy ("including
/// non-public delegation to specific accounts").
#[test]
fn restrict_public_buckets_blocks_cross_account_grant_in_a_public_policy() {
    let mut o = Org::new();
    o.bucket(PROD, "site", Some(doc(json!([
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"},
        {"Sid": "PartnerWrite", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::333333333333:role/etl"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::site/*"}]))), vec![]);
    o.role(
        DATA,
        "etl",
        vec![("p", doc(json!([allow(json!("s3:PutObject"), json!("*"))])))],
        None,
    );
    let id = o.s3(
        &session_id(DATA, "etl", "s1", "ASIAETL1"),
        DATA,
        "PutObject",
        "site",
        Some("up.txt"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    expect(&o.one(&id), "block_public_access", None, None, None, None);
}

/// An org-wide grant (`"Principal": "*"` + `StringEquals aws:PrincipalOrgID`) is not public
/// (S3 User Guide, "The meaning of public": "An AWS principal, user, role, or service principal
/// (e.g. aws:PrincipalOrgID)"), so RestrictPublicBuckets ("only applies to buckets that have
/// public policies") is never why an organization member is denied.
#[test]
fn org_wide_grant_under_restrict_public_buckets_is_not_block_public_access() {
    let mut o = Org::new();
    o.bucket(
        PROD,
        "shared",
        Some(doc(
            json!([{"Sid": "OrgRead", "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-test1"}}}]),
        )),
        vec![],
    );
    o.user(
        DATA,
        "reader",
        vec![("p", doc(json!([allow(json!("s3:GetObject"), json!("*"))])))],
        None,
    );
    let id = o.s3(
        &user_id(DATA, "reader"),
        DATA,
        "GetObject",
        "shared",
        Some("r.csv"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    assert_ne!(f["root_cause"], "block_public_access", "{f:#}");
}

/// BlockPublicAcls: "PUT Object calls fail if the request includes a public ACL"
/// (API_PublicAccessBlockConfiguration.html); the finding names the setting and its level.
#[test]
fn block_public_acls_rejects_put_object_with_a_public_acl() {
    let mut o = org_with_app_data(None);
    o.user(
        PROD,
        "web",
        vec![(
            "p",
            doc(json!([allow(
                json!(["s3:PutObject", "s3:PutObjectAcl"]),
                json!("*")
            )])),
        )],
        None,
    );
    let id = o.s3(
        &user_id(PROD, "web"),
        PROD,
        "PutObject",
        "app-data",
        Some("i.html"),
        Some("AccessDenied"),
        None,
        json!({"requestParameters": {"x-amz-acl": "public-read"}}),
    );
    let f = o.one(&id);
    expect(&f, "block_public_access", None, None, None, None);
    let reason = f["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("BlockPublicAcls (bucket level)"),
        "{reason}"
    );
    // The same write with a private ACL is not blocked by BPA.
    let id = o.s3(
        &user_id(PROD, "web"),
        PROD,
        "PutObject",
        "app-data",
        Some("j.html"),
        Some("AccessDenied"),
        None,
        json!({"requestParameters": {"x-amz-acl": "bucket-owner-full-control"}}),
    );
    assert_ne!(o.one(&id)["root_cause"], "block_public_access");
}

/// BlockPublicPolicy: "causes Amazon S3 to reject calls to PUT Bucket policy if the specified
/// bucket policy allows public access"; `requestParameters.bucketPolicy` is the policy.
#[test]
fn block_public_policy_rejects_a_public_put_bucket_policy() {
    let mut o = org_with_app_data(None);
    o.user(
        PROD,
        "admin",
        vec![(
            "p",
            doc(json!([allow(json!("s3:PutBucketPolicy"), json!("*"))])),
        )],
        None,
    );
    let public = doc(
        json!([{"Sid": "Public Access", "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::app-data/*"}]),
    );
    let id = o.s3(
        &user_id(PROD, "admin"),
        PROD,
        "PutBucketPolicy",
        "app-data",
        None,
        Some("AccessDenied"),
        None,
        json!({"requestParameters": {"bucketPolicy": public, "policy": [""]}}),
    );
    let f = o.one(&id);
    expect(&f, "block_public_access", None, None, None, None);
    let reason = f["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("BlockPublicPolicy (bucket level)"),
        "{reason}"
    );
}

/// AWS's message naming the deciding policy: "... with an explicit deny in a service control
/// policy: arn:aws:organizations::..." and carrying an authorization id ("call the
/// GetRequestAuthorizationDetails API with the following authorization id: ...",
/// IAM troubleshoot_access-denied-authorization-id.html). A different SCP than the one the
/// engine found is a disagreement; the id is kept in `aws_authorization_id`.
#[test]
fn enhanced_message_naming_another_scp_disagrees_and_keeps_the_authorization_id() {
    let mut o = org_with_app_data(None);
    o.org_policy("p-nodelete", "SERVICE_CONTROL_POLICY", doc(json!([{"Sid": "DenyS3Delete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}])), vec![OU_PROD.into()]);
    o.user(
        PROD,
        "alice",
        vec![(
            "p",
            doc(json!([allow(json!("s3:DeleteObject"), json!("*"))])),
        )],
        None,
    );
    let msg = |p: &str| {
        format!("User: arn:aws:iam::222222222222:user/alice is not authorized to perform: s3:DeleteObject on resource: \"arn:aws:s3:::app-data/a\" with an explicit deny in a service control policy: arn:aws:organizations::111111111111:policy/o-t001example/service_control_policy/{p}. Go to https://us-east-1.console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/a1b2c3d4e5 for complete details, or call the GetRequestAuthorizationDetails API with the following authorization id: a1b2c3d4e5")
    };
    let same = o.s3(
        &user_id(PROD, "alice"),
        PROD,
        "DeleteObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        Some(&msg("p-nodelete")),
        json!({}),
    );
    let other = o.s3(
        &user_id(PROD, "alice"),
        PROD,
        "DeleteObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        Some(&msg("p-somethingelse")),
        json!({}),
    );
    let plain = o.s3(
        &user_id(PROD, "alice"),
        PROD,
        "DeleteObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let all = o.analyze();
    let f = &all[&same];
    expect(
        f,
        "scp",
        Some("explicit"),
        Some("scp"),
        Some("p-nodelete"),
        Some("DenyS3Delete"),
    );
    assert_eq!(f["disagrees_with_aws"], false, "{f:#}");
    assert_eq!(f["aws_authorization_id"], "a1b2c3d4e5");
    assert_eq!(all[&other]["disagrees_with_aws"], true);
    assert_eq!(all[&plain]["aws_authorization_id"], Value::Null);
    // `explain` shows it, with the call that reads the details.
    let (snap, logs) = o.write();
    let mut c = denytrail();
    c.args(["explain", &same, "--snapshot"])
        .arg(&snap)
        .arg(&logs);
    let (out, stdout, stderr) = run(c);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("AWS authorization id: a1b2c3d4e5"),
        "{stdout}"
    );
    assert!(stdout.contains("arn:aws:organizations::111111111111:policy/o-t001example/service_control_policy/p-nodelete"), "{stdout}");
}

/// Requester Pays: a request from another account without x-amz-request-payer gets 403; with
/// the header it passes (and the denial is then unexplained).
#[test]
fn requester_pays_needs_the_header_from_other_accounts() {
    let mut o = Org::new();
    o.bucket(PROD, "datasets", Some(doc(json!([{"Effect": "Allow", "Principal": {"AWS": DATA}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::datasets/*"}]))),
        vec![("request-payment.json", json!({"Payer": "Requester"}))]);
    o.role(
        DATA,
        "etl",
        vec![("p", doc(json!([allow(json!("s3:GetObject"), json!("*"))])))],
        None,
    );
    let without = o.s3(
        &session_id(DATA, "etl", "s1", "ASIAETL1"),
        DATA,
        "GetObject",
        "datasets",
        Some("zip.csv"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let with = o.s3(
        &session_id(DATA, "etl", "s1", "ASIAETL1"),
        DATA,
        "GetObject",
        "datasets",
        Some("zip.csv"),
        Some("AccessDenied"),
        None,
        json!({"requestParameters": {"x-amz-request-payer": "requester"}}),
    );
    let all = o.analyze();
    let f = &all[&without];
    expect(f, "requester_pays", None, None, None, None);
    assert!(f["remediation"]
        .as_str()
        .unwrap_or("")
        .contains("--request-payer requester"));
    assert_ne!(
        all[&with]["root_cause"], "requester_pays",
        "{:#}",
        all[&with]
    );
}

/// GetObject on a missing key answers 403 instead of 404 when the caller lacks
/// s3:ListBucket; the key is known missing from a DeleteObject in the same logs.
#[test]
fn missing_key_without_list_bucket_is_403_not_404() {
    let mut o = org_with_app_data(None);
    o.user(
        PROD,
        "carol",
        vec![(
            "p",
            doc(json!([allow(
                json!("s3:GetObject"),
                json!("arn:aws:s3:::app-data/*")
            )])),
        )],
        None,
    );
    o.user(
        PROD,
        "admin",
        vec![(
            "p",
            doc(json!([allow(
                json!("s3:DeleteObject"),
                json!("arn:aws:s3:::app-data/*")
            )])),
        )],
        None,
    );
    o.s3(
        &user_id(PROD, "admin"),
        PROD,
        "DeleteObject",
        "app-data",
        Some("old.log"),
        None,
        None,
        json!({}),
    );
    let id = o.s3(
        &user_id(PROD, "carol"),
        PROD,
        "GetObject",
        "app-data",
        Some("old.log"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    expect(&o.one(&id), "object_not_found", None, None, None, None);
}

/// With s3:ListBucket the missing key would have been a 404: not this cause.
#[test]
fn missing_key_with_list_bucket_is_not_object_not_found() {
    let mut o = org_with_app_data(None);
    o.user(
        PROD,
        "carol",
        vec![(
            "p",
            doc(json!([
                allow(json!("s3:GetObject"), json!("arn:aws:s3:::app-data/*")),
                allow(json!("s3:ListBucket"), json!("arn:aws:s3:::app-data"))
            ])),
        )],
        None,
    );
    o.file(
        format!("accounts/{PROD}/s3/app-data/objects.json"),
        json!({"Contents": [{"Key": "present.log", "Size": 1, "Owner": {"ID": canonical(PROD)}}]}),
    );
    let id = o.s3(
        &user_id(PROD, "carol"),
        PROD,
        "GetObject",
        "app-data",
        Some("old.log"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    expect(&o.one(&id), "unknown", None, None, None, None);
}

/// Non-permission 403 codes are decided from the record alone (S3 ErrorResponses).
#[test]
fn non_permission_error_codes_are_request_errors() {
    let mut o = Org::new();
    let a = o.s3(
        &user_id(PROD, "bob"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("SignatureDoesNotMatch"),
        Some("The request signature we calculated does not match"),
        json!({}),
    );
    let b = o.s3(
        &user_id(PROD, "bob"),
        PROD,
        "GetObject",
        "app-data",
        Some("b"),
        Some("InvalidObjectState"),
        Some("The operation is not valid for the object's storage class"),
        json!({}),
    );
    let all = o.analyze();
    for id in [&a, &b] {
        expect(&all[id], "request_error", None, None, None, None);
    }
    assert!(all[&a]["reason"]
        .as_str()
        .unwrap_or("")
        .contains("SignatureDoesNotMatch"));
    assert!(all[&b]["remediation"]
        .as_str()
        .unwrap_or("")
        .contains("restore-object"));
}

/// AWS's enhanced message is a cross-check: naming a layer the engine did not find failing
/// marks the finding as disagreeing (snapshot drift), while the engine's answer stands.
#[test]
fn enhanced_message_naming_another_layer_disagrees() {
    let mut o = org_with_app_data(None);
    o.user(PROD, "bob", vec![], None);
    let id = o.s3(&user_id(PROD, "bob"), PROD, "PutObject", "app-data", Some("n.txt"), Some("AccessDenied"),
        Some("User: arn:aws:iam::222222222222:user/bob is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::app-data/n.txt\" with an explicit deny in a resource-based policy"), json!({}));
    let f = o.one(&id);
    expect(
        &f,
        "missing_allow",
        Some("implicit"),
        Some("identity"),
        Some("arn:aws:iam::222222222222:user/bob"),
        None,
    );
    assert_eq!(f["disagrees_with_aws"], true);
}

/// The bundled sample: every root cause, diagnosed as tests/fixtures/diagnose-expected.json
/// says (written with the sample by tests/fixtures/make_diagnose_samples.py).
#[test]
fn bundled_sample_diagnoses_every_root_cause() {
    let mut c = denytrail();
    c.args(["analyze", "--format", "jsonl"]);
    let (out, stdout, stderr) = run(c);
    assert!(out.status.success(), "{stderr}");
    let got: BTreeMap<String, Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|f| (f["event_id"].as_str().unwrap_or_default().to_owned(), f))
        .collect();
    let expected: Value = serde_json::from_slice(
        &std::fs::read(crate::util::repo_root().join("tests/fixtures/diagnose-expected.json"))
            .expect("expected file"),
    )
    .expect("json");
    let expected = expected["findings"].as_array().cloned().unwrap_or_default();
    assert!(expected.len() >= 20);
    let mut causes = std::collections::BTreeSet::new();
    for e in &expected {
        let id = e["event_id"].as_str().unwrap_or_default();
        let f = got.get(id).unwrap_or_else(|| panic!("no finding for {id}"));
        for k in [
            "root_cause",
            "deny_type",
            "policy_type",
            "policy_id",
            "statement_sid",
            "disagrees_with_aws",
        ] {
            assert_eq!(f[k], e[k], "{k} of {id}: {f:#}");
        }
        assert!(f["reason"].as_str().is_some_and(|r| !r.is_empty()), "{f:#}");
        causes.insert(f["root_cause"].as_str().unwrap_or_default().to_owned());
    }
    for c in [
        "explicit_deny",
        "missing_allow",
        "scp",
        "rcp",
        "vpc_endpoint",
        "permissions_boundary",
        "session_policy",
        "kms",
        "object_ownership",
        "block_public_access",
        "requester_pays",
        "object_not_found",
        "request_error",
        "unknown",
    ] {
        assert!(causes.contains(c), "the sample lacks {c}");
    }
}

// ----------------------------------------------------------------- explain

fn sample_id(cause: &str) -> String {
    let expected: Value = serde_json::from_slice(
        &std::fs::read(crate::util::repo_root().join("tests/fixtures/diagnose-expected.json"))
            .expect("expected file"),
    )
    .expect("json");
    expected["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["root_cause"] == cause))
        .and_then(|f| f["event_id"].as_str())
        .expect("a sample event with that cause")
        .to_owned()
}

/// explain prints the rebuilt request, every layer with its statements, the S3 rules, the
/// verdict and the fix; the S3 Bucket Key context shows in the KMS part.
#[test]
fn explain_traces_request_layers_rules_verdict_and_fix() {
    let mut c = denytrail();
    c.args(["explain", &sample_id("kms")]);
    let (out, stdout, stderr) = run(c);
    assert!(out.status.success(), "{stderr}");
    for needle in [
        "principal: arn:aws:iam::222222222222:user/alice",
        "action:    s3:GetObject",
        "aws:sourcevpce: absent",
        "identity-based policy: allow",
        "Allow `KmsBucket`: applies",
        "kms                  explains the denial",
        "aws:s3:arn = arn:aws:s3:::dt-kms-bucket, S3 Bucket Key",
        "kms:Decrypt",
        "root_cause:   kms",
        "fix:",
    ] {
        assert!(stdout.contains(needle), "missing `{needle}` in:\n{stdout}");
    }
}

/// The same trace as JSON, with the finding inside; the explicit deny's statement is named.
#[test]
fn explain_json_carries_the_finding_and_the_evaluation() {
    let id = sample_id("scp");
    let mut c = denytrail();
    c.args(["explain", &id, "--format", "json"]);
    let (out, stdout, stderr) = run(c);
    assert!(out.status.success(), "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(v["event_id"], id.as_str());
    assert_eq!(v["finding"]["root_cause"], "scp");
    assert_eq!(v["finding"]["statement_sid"], "DenyS3Deletes");
    let req = &v["requests"][0];
    assert_eq!(req["request"]["action"], "s3:DeleteObject");
    assert!(
        req["evaluation"]["layers"]
            .as_array()
            .is_some_and(|l| l.len() == 7),
        "{req:#}"
    );
}

/// An event piped on stdin is explained against the snapshot; a missing id is an error that
/// says what to do.
#[test]
fn explain_reads_an_event_from_stdin_and_reports_unknown_ids() {
    use std::io::Write;
    use std::process::Stdio;
    let record = json!({"eventVersion": "1.10", "eventID": "stdin-1", "eventTime": "2026-11-20T09:00:00Z", "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.9", "errorCode": "AccessDenied", "errorMessage": "Access Denied",
        "userIdentity": user_id(PROD, "bob"), "recipientAccountId": PROD, "requestParameters": {"bucketName": "dt-app-data", "key": "reports/q3.csv"}});
    let mut c = denytrail();
    c.args(["explain", "-", "--snapshot", "sample-logs/snapshot"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(record.to_string().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("root_cause:   missing_allow"), "{stdout}");

    let mut c = denytrail();
    c.args(["explain", "no-such-event"]);
    let (out, _, stderr) = run(c);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no-such-event") && stderr.contains("explain -"),
        "{stderr}"
    );
}

/// explain follows analyze's exit-status rules (README, Exit status: "2 | the run finished but
/// some input was skipped ... `--allow-skipped` turns this into 0"): a log file it could not
/// read may have held the side records the verdict joins, and a snapshot file that could not
/// be read counted as unknown. It used to exit 0 either way.
#[test]
fn explain_exits_2_after_lost_input_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let record = json!({"Records": [{"eventVersion": "1.10", "eventID": "lost-1", "eventTime": "2026-11-20T09:00:00Z", "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.9", "errorCode": "AccessDenied", "errorMessage": "Access Denied",
        "userIdentity": user_id(PROD, "bob"), "recipientAccountId": PROD, "requestParameters": {"bucketName": "dt-app-data", "key": "reports/q3.csv"}}]});
    std::fs::write(logs.join("one.json"), record.to_string()).unwrap();
    let explain = |extra: &[&str]| {
        let mut c = denytrail();
        c.arg("explain")
            .arg("lost-1")
            .arg(&logs)
            .args(["--snapshot", "sample-logs/snapshot"])
            .args(extra);
        run(c)
    };
    let (out, stdout, stderr) = explain(&[]);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("root_cause:"), "{stdout}");

    // A file that is not CloudTrail is skipped: exit 2, and the trace is still printed.
    std::fs::write(logs.join("notes.json"), r#"{"hello": 1}"#).unwrap();
    let (out, stdout, stderr) = explain(&[]);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stdout.contains("root_cause:"), "{stdout}");
    assert!(stderr.contains("--allow-skipped"), "{stderr}");
    let (out, _, stderr) = explain(&["--allow-skipped"]);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    std::fs::remove_file(logs.join("notes.json")).unwrap();

    // A snapshot file that cannot be read: exit 2 as well.
    let snap = dir.path().join("snap");
    copy_dir(
        &crate::util::repo_root().join("sample-logs/snapshot"),
        &snap,
    );
    std::fs::write(snap.join("snapshot.json"), "{not json").unwrap();
    let mut c = denytrail();
    c.arg("explain")
        .arg("lost-1")
        .arg(&logs)
        .arg("--snapshot")
        .arg(&snap);
    let (out, _, stderr) = run(c);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

// ----------------------------------------------------------------- condition keys the record and the organization decide

/// A role session whose record states MFA (`mfaAuthenticated`, `creationDate`).
fn mfa_session(account: &str, role: &str, key: &str, mfa: &str) -> Value {
    let mut s = session_id(account, role, "s1", key);
    s["sessionContext"]["attributes"]["mfaAuthenticated"] = json!(mfa);
    s
}

/// An identity policy allowing the app-data objects, with one Deny statement `sid` on
/// `condition`.
fn allow_but_deny_if(sid: &str, condition: Value) -> Value {
    doc(
        json!([allow(json!("s3:GetObject"), json!("arn:aws:s3:::app-data/*")),
        {"Sid": sid, "Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": condition}]),
    )
}

/// reference_policies_condition-keys.html, aws:ResourceOrgPaths: the path is the organization
/// id, the root and each OU down to the account's parent (for aws:PrincipalOrgPaths the page's
/// example `o-a1b2c3d4e5/r-f6g7h8i9j0example/ou-ghi0-awsccccc/ou-jkl0-awsddddd/` "returns
/// `true` for principals in accounts that are attached directly to the `ou-jkl0-awsddddd`
/// OU"). A policy that allows only resources under the caller's own OU does not allow the
/// bucket of an account in another OU: the identity side is missing its Allow, decided.
#[test]
fn resource_org_paths_follow_the_organization_tree() {
    let mut o = org_with_app_data(Some(doc(
        json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::333333333333:user/dana"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::app-data/*"}]),
    )));
    o.user(
        DATA,
        "dana",
        vec![(
            "p",
            doc(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                "Condition": {"ForAnyValue:StringLike": {"aws:ResourceOrgPaths": ["o-test1/r-t001/ou-t001-data/*"]}}}])),
        )],
        None,
    );
    let id = o.s3(
        &user_id(DATA, "dana"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "missing_allow",
        Some("implicit"),
        Some("identity"),
        Some("arn:aws:iam::333333333333:user/dana"),
        None,
    );
}

/// reference_policies_condition-keys.html, aws:PrincipalOrgPaths: "This key is included in the
/// request context only if the principal is a member of an organization"; the caller's path
/// comes from organization/parents/. A bucket policy denying one OU names the statement.
#[test]
fn principal_org_paths_decide_a_bucket_policy_deny_on_an_ou() {
    let mut o = org_with_app_data(Some(doc(json!([
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::333333333333:user/dana"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::app-data/*"},
        {"Sid": "NoDataOu", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::app-data/*",
            "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-test1/r-t001/ou-t001-data/*"]}}}
    ]))));
    o.user(
        DATA,
        "dana",
        vec![("p", doc(json!([allow(json!("s3:GetObject"), json!("*"))])))],
        None,
    );
    let id = o.s3(
        &user_id(DATA, "dana"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "explicit_deny",
        Some("explicit"),
        Some("resource"),
        Some("bucket-policy:app-data"),
        Some("NoDataOu"),
    );
}

/// reference_policies_condition-keys.html, aws:MultiFactorAuthAge: "Use this key to compare the
/// number of seconds since the requesting principal was authorized using MFA". The session was
/// issued with MFA at 09:00 and used after 10:00: AWS's example `NumericGreaterThanIfExists
/// aws:MultiFactorAuthAge 3600` denies it.
#[test]
fn mfa_age_over_an_hour_meets_numeric_greater_than_if_exists() {
    let mut o = org_with_app_data(None);
    o.role(
        PROD,
        "reader",
        vec![(
            "p",
            allow_but_deny_if(
                "MfaTooOld",
                json!({"NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": "3600"}}),
            ),
        )],
        None,
    );
    let id = o.s3(
        &mfa_session(PROD, "reader", "ASIAMFA1", "true"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "explicit_deny",
        Some("explicit"),
        Some("identity"),
        Some("arn:aws:iam::222222222222:role/reader#p"),
        Some("MfaTooOld"),
    );
}

/// reference_policies_condition-keys.html, aws:MultiFactorAuthAge: "This key is included in the
/// request context only if the principal making the call was authenticated using MFA. If MFA
/// was not used, this key is not present." A session without MFA meets `Null
/// aws:MultiFactorAuthAge true`.
#[test]
fn session_without_mfa_has_no_mfa_age() {
    let mut o = org_with_app_data(None);
    o.role(
        PROD,
        "reader",
        vec![(
            "p",
            allow_but_deny_if(
                "NeedMfa",
                json!({"Null": {"aws:MultiFactorAuthAge": "true"}}),
            ),
        )],
        None,
    );
    let id = o.s3(
        &mfa_session(PROD, "reader", "ASIAMFA2", "false"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "explicit_deny",
        Some("explicit"),
        Some("identity"),
        Some("arn:aws:iam::222222222222:role/reader#p"),
        Some("NeedMfa"),
    );
}

/// reference_policies_condition-keys.html, aws:MultiFactorAuthPresent: "The key is not present
/// in AWS CLI, AWS API, or AWS SDK requests that are made using long-term credentials", and
/// the recommended `"Effect": "Deny"` with `BoolIfExists aws:MultiFactorAuthPresent false`
/// "also denies requests that are made using long-term credentials".
#[test]
fn long_term_key_meets_bool_if_exists_mfa_false() {
    let mut o = org_with_app_data(None);
    o.user(
        PROD,
        "alice",
        vec![(
            "p",
            allow_but_deny_if(
                "NeedMfa",
                json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
            ),
        )],
        None,
    );
    let id = o.s3(
        &user_id(PROD, "alice"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "explicit_deny",
        Some("explicit"),
        Some("identity"),
        Some("arn:aws:iam::222222222222:user/alice#p"),
        Some("NeedMfa"),
    );
}

/// reference_policies_condition-keys.html: "the aws:SourceAccount condition key is only
/// available when the call to your resource is made directly by an AWS service principal";
/// aws:SourceArn "is included in the request context only if accessing a resource triggers an
/// AWS service to call another service on behalf of the resource owner". A user's own call has
/// neither: `Null aws:SourceArn true` holds.
#[test]
fn direct_call_has_no_source_arn() {
    let mut o = org_with_app_data(Some(doc(json!([
        {"Sid": "ServicesOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::app-data/*",
            "Condition": {"Null": {"aws:SourceArn": "true"}}}
    ]))));
    o.user(PROD, "alice", vec![("p", read_app_data())], None);
    let id = o.s3(
        &user_id(PROD, "alice"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "explicit_deny",
        Some("explicit"),
        Some("resource"),
        Some("bucket-policy:app-data"),
        Some("ServicesOnly"),
    );
}

/// S3 User Guide, access-points-policies.html: "Restrictions that you include in an access
/// point policy apply only to requests made through that access point. [...] All existing
/// operations against the bucket not made through your access point will continue to work as
/// before." A request to the bucket's own endpoint carries no s3:DataAccessPointArn: a bucket
/// policy that denies requests without one (`Null s3:DataAccessPointArn true`) denies it.
#[test]
fn request_to_the_bucket_endpoint_has_no_access_point_keys() {
    let mut o = org_with_app_data(Some(doc(json!([
        {"Sid": "OnlyViaAccessPoints", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::app-data/*",
            "Condition": {"Null": {"s3:DataAccessPointArn": "true"}}}
    ]))));
    o.user(PROD, "alice", vec![("p", read_app_data())], None);
    let id = o.s3(
        &user_id(PROD, "alice"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "explicit_deny",
        Some("explicit"),
        Some("resource"),
        Some("bucket-policy:app-data"),
        Some("OnlyViaAccessPoints"),
    );
}

/// An STS record issuing `key` for `role` in PROD; `extra` adds request parameters.
fn assume_role_record(o: &mut Org, role: &str, key: &str, extra: Value) {
    let mut rp = json!({"roleArn": format!("arn:aws:iam::222222222222:role/{role}"), "roleSessionName": "s1"});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            rp[k] = v;
        }
    }
    o.record(json!({"eventSource": "sts.amazonaws.com", "eventName": "AssumeRole", "userIdentity": user_id(PROD, "alice"), "recipientAccountId": PROD,
        "requestParameters": rp, "responseElements": {"credentials": {"accessKeyId": key}}, "eventType": "AwsApiCall"}));
}

/// An identity policy allowing the app-data objects only to principals tagged team=data
/// (ABAC).
fn abac_team_data() -> Value {
    doc(
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::app-data/*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "data"}}}]),
    )
}

/// reference_policies_condition-keys.html, aws:PrincipalTag: "This key is included in the
/// request context if the principal is using an IAM user with attached tags." iam.json holds
/// every tag of the user: a user without the tag `team` has no aws:PrincipalTag/team, and an
/// ABAC grant on it does not apply: missing Allow, decided.
#[test]
fn user_without_the_tag_has_no_principal_tag_key() {
    let mut o = org_with_app_data(None);
    o.user(PROD, "alice", vec![("p", abac_team_data())], None);
    let id = o.s3(
        &user_id(PROD, "alice"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "missing_allow",
        Some("implicit"),
        Some("identity"),
        Some("arn:aws:iam::222222222222:user/alice"),
        None,
    );
}

/// id_session-tags.html: "If you pass a session tag with the same key as a tag that is already
/// attached to the role, the value of the session tag overrides the role tag with the same
/// key"; aws:PrincipalTag "is included for a principal using an IAM role with attached tags or
/// session tags". The AssumeRole record shows every session tag (`requestParameters.tags`): a
/// session tagged project=x, of a role without tags, has no aws:PrincipalTag/team.
#[test]
fn session_tags_from_the_assume_role_record_complete_the_principal_tags() {
    let mut o = org_with_app_data(None);
    o.role(PROD, "reader", vec![("p", abac_team_data())], None);
    assume_role_record(
        &mut o,
        "reader",
        "ASIATAGS1",
        json!({"tags": [{"key": "project", "value": "x"}], "transitiveTagKeys": ["project"]}),
    );
    let id = o.s3(
        &session_id(PROD, "reader", "s1", "ASIATAGS1"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "missing_allow",
        Some("implicit"),
        Some("identity"),
        Some("arn:aws:iam::222222222222:role/reader"),
        None,
    );
}

/// The session tag wins over nothing: with team=data passed at AssumeRole the ABAC grant
/// applies, and the denial comes from elsewhere (here the session policy the same record
/// passed).
#[test]
fn session_tag_passed_at_assume_role_meets_the_abac_grant() {
    let mut o = org_with_app_data(None);
    o.role(PROD, "reader", vec![("p", abac_team_data())], None);
    assume_role_record(
        &mut o,
        "reader",
        "ASIATAGS2",
        json!({"tags": [{"key": "team", "value": "data"}],
            "policy": doc(json!([allow(json!("s3:ListBucket"), json!("arn:aws:s3:::app-data"))])).to_string()}),
    );
    let id = o.s3(
        &session_id(PROD, "reader", "s1", "ASIATAGS2"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "session_policy",
        Some("implicit"),
        Some("session_policy"),
        Some("session-policy:ASIATAGS2"),
        None,
    );
}

/// id_credentials_temp_control-access_getfederationtoken.html: "In most cases if you do not
/// pass a policy with the GetFederationToken API call, the resulting temporary security
/// credentials have no permissions." The federated user of a token issued without a policy
/// is denied by the session policy, whatever the IAM user may do.
#[test]
fn federation_token_without_policy_has_no_permissions() {
    let mut o = org_with_app_data(None);
    o.user(PROD, "alice", vec![("p", read_app_data())], None);
    o.record(json!({"eventSource": "sts.amazonaws.com", "eventName": "GetFederationToken", "userIdentity": user_id(PROD, "alice"), "recipientAccountId": PROD,
        "requestParameters": {"name": "bob"}, "responseElements": {"credentials": {"accessKeyId": "ASIAFED1"}}, "eventType": "AwsApiCall"}));
    let who = json!({"type": "FederatedUser", "principalId": "222222222222:bob", "arn": "arn:aws:sts::222222222222:federated-user/bob",
        "accountId": PROD, "accessKeyId": "ASIAFED1", "sessionContext": {"sessionIssuer": {"type": "IAMUser", "principalId": "AIDAALICE",
        "arn": "arn:aws:iam::222222222222:user/alice", "accountId": PROD, "userName": "alice"},
        "attributes": {"creationDate": "2026-11-20T09:00:00Z", "mfaAuthenticated": "false"}}});
    let id = o.s3(
        &who,
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "session_policy",
        Some("implicit"),
        Some("session_policy"),
        Some("session-policy:ASIAFED1"),
        None,
    );
}

/// An AssumeRole record without `policy` or `policyArns`: the session has no session policy,
/// known (IAM User Guide, access_policies.html#policies_session: session policies are those
/// "that you pass as a parameter when you programmatically create a temporary session"). With
/// every policy allowing, what is left open is no longer the session layer (the same request
/// without the record: `session_without_its_sts_record_is_insufficient_snapshot`) but the
/// next rule, whether the key exists.
#[test]
fn assume_role_without_a_policy_leaves_no_session_layer() {
    let mut o = org_with_app_data(None);
    o.role(PROD, "reader", vec![("p", read_app_data())], None);
    assume_role_record(&mut o, "reader", "ASIANOPOL", json!({}));
    let id = o.s3(
        &session_id(PROD, "reader", "s1", "ASIANOPOL"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    let reason = f["reason"].as_str().unwrap_or("");
    assert!(
        !reason.contains("session"),
        "the session's record is in the logs: {f:#}"
    );
    assert!(reason.contains("object_not_found"), "{reason}");
}

/// IAM Identity Center roles live under the path `/aws-reserved/sso.amazonaws.com/` (IAM User
/// Guide, "Service-linked roles for IAM Identity Center": roles `AWSReservedSSO_<permission
/// set>_<id>`); the session ARN drops the path (`assumed-role/NAME/SESSION`, as for every role
/// session). Web identity sessions carry `webIdFederationData` beside the same sessionIssuer.
/// Both resolve to the role in iam.json, whose policies decide.
#[test]
fn identity_center_and_web_identity_sessions_resolve_to_their_role() {
    let mut o = org_with_app_data(None);
    let name = "AWSReservedSSO_Admin_0123456789abcdef";
    let role_arn = format!("arn:aws:iam::{PROD}:role/aws-reserved/sso.amazonaws.com/{name}");
    o.account_iam(PROD).1.push(json!({"RoleName": name, "RoleId": "AROASSOADMIN", "Arn": role_arn,
        "Path": "/aws-reserved/sso.amazonaws.com/",
        "AssumeRolePolicyDocument": doc(json!([{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::222222222222:saml-provider/AWSSSO_x_DO_NOT_DELETE"}, "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"]}])),
        "AttachedManagedPolicies": [], "Tags": [], "InstanceProfileList": [],
        "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": doc(json!([allow(json!("s3:ListBucket"), json!("arn:aws:s3:::app-data"))]))}]}));
    let sso = json!({"type": "AssumedRole", "principalId": "AROASSOADMIN:jane@example.com",
        "arn": format!("arn:aws:sts::{PROD}:assumed-role/{name}/jane@example.com"), "accountId": PROD, "accessKeyId": "ASIASSO1",
        "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROASSOADMIN", "arn": role_arn, "accountId": PROD, "userName": name},
            "attributes": {"creationDate": "2026-11-20T09:00:00Z", "mfaAuthenticated": "false"}}});
    let mut web = sso.clone();
    web["accessKeyId"] = json!("ASIAWEB1");
    web["sessionContext"]["webIdFederationData"] = json!({"federatedProvider": "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com", "attributes": {}});
    let ids: Vec<String> = [sso, web]
        .iter()
        .map(|who| {
            o.s3(
                who,
                PROD,
                "GetObject",
                "app-data",
                Some("a"),
                Some("AccessDenied"),
                None,
                json!({}),
            )
        })
        .collect();
    let all = o.analyze();
    for id in ids {
        let f = &all[&id];
        expect(
            f,
            "missing_allow",
            Some("implicit"),
            Some("identity"),
            Some(&role_arn),
            None,
        );
    }
}

/// id_session-tags.html, "Viewing session tags in CloudTrail": an AssumeRoleWithSAML record
/// carries the assertion's session tags as `requestParameters.principalTags`. A SAML session
/// tagged team=ops does not meet an ABAC grant on team=data: missing Allow, decided.
#[test]
fn saml_session_tags_come_from_principal_tags() {
    let mut o = org_with_app_data(None);
    o.role(PROD, "reader", vec![("p", abac_team_data())], None);
    o.record(json!({"eventSource": "sts.amazonaws.com", "eventName": "AssumeRoleWithSAML",
        "userIdentity": {"type": "SAMLUser", "principalId": "x", "userName": "jane"}, "recipientAccountId": PROD,
        "requestParameters": {"roleArn": "arn:aws:iam::222222222222:role/reader", "roleSessionName": "jane",
            "principalArn": "arn:aws:iam::222222222222:saml-provider/idp", "principalTags": {"team": "ops"}},
        "responseElements": {"credentials": {"accessKeyId": "ASIASAML1"}}, "eventType": "AwsApiCall"}));
    let id = o.s3(
        &session_id(PROD, "reader", "jane", "ASIASAML1"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "missing_allow",
        Some("implicit"),
        Some("identity"),
        Some("arn:aws:iam::222222222222:role/reader"),
        None,
    );
}

/// id_session-tags.html, "Permissions required to add session tags": `sts:TagSession` "must be
/// allowed before the user can pass session tags". A role whose trust policy allows only
/// sts:AssumeRole has sessions without session tags, so even without the STS record a tag the
/// role does not have is absent, and the ABAC grant is decided.
#[test]
fn role_whose_trust_policy_allows_no_tag_session_has_only_its_own_tags() {
    let mut o = org_with_app_data(None);
    o.role(PROD, "reader", vec![("p", abac_team_data())], None);
    let id = o.s3(
        &session_id(PROD, "reader", "s1", "ASIANOREC"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "missing_allow",
        Some("implicit"),
        Some("identity"),
        Some("arn:aws:iam::222222222222:role/reader"),
        None,
    );
}

/// id_session-tags.html, GetFederationToken: "the session's principal tags include the user's
/// tags and the passed session tags". A federated user whose token passed team=ops (and a
/// policy allowing all of S3) does not meet an ABAC grant of the IAM user on team=data.
#[test]
fn federated_user_tags_are_the_users_and_the_tokens() {
    let mut o = org_with_app_data(None);
    o.user(PROD, "alice", vec![("p", abac_team_data())], None);
    o.record(json!({"eventSource": "sts.amazonaws.com", "eventName": "GetFederationToken", "userIdentity": user_id(PROD, "alice"), "recipientAccountId": PROD,
        "requestParameters": {"name": "bob", "tags": [{"key": "team", "value": "ops"}],
            "policy": doc(json!([allow(json!("s3:*"), json!("*"))])).to_string()},
        "responseElements": {"credentials": {"accessKeyId": "ASIAFED2"}}, "eventType": "AwsApiCall"}));
    let who = json!({"type": "FederatedUser", "principalId": "222222222222:bob", "arn": "arn:aws:sts::222222222222:federated-user/bob",
        "accountId": PROD, "accessKeyId": "ASIAFED2", "sessionContext": {"sessionIssuer": {"type": "IAMUser", "principalId": "AIDAALICE",
        "arn": "arn:aws:iam::222222222222:user/alice", "accountId": PROD, "userName": "alice"},
        "attributes": {"creationDate": "2026-11-20T09:00:00Z", "mfaAuthenticated": "false"}}});
    let id = o.s3(
        &who,
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let f = o.one(&id);
    expect(
        &f,
        "missing_allow",
        Some("implicit"),
        Some("identity"),
        Some("arn:aws:iam::222222222222:user/alice"),
        None,
    );
}

// ----------------------------------------------------------------- identity perimeter (not X)

/// The identity-perimeter RCP of AWS's data-perimeter guidance, as written there:
/// `StringNotEqualsIfExists aws:PrincipalOrgID <our org>`. reference_policies_condition-keys.html,
/// aws:PrincipalOrgID: "This key is included in the request context only if the principal is a
/// member of an organization." A caller whose account is not in accounts.json has no org id or
/// another organization's: either way the negated operator is true, so the RCP denies, decided
/// (it was `unknown` while the outsider's org id counted as unknown).
#[test]
fn identity_perimeter_rcp_denies_a_caller_outside_the_organization() {
    let mut o = Org::new();
    o.bucket(DATA, "scratch", Some(doc(json!([{"Effect": "Allow", "Principal": {"AWS": EXT}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::scratch/*"}]))), vec![]);
    o.org_policy("p-idperim", "RESOURCE_CONTROL_POLICY", doc(json!([{"Sid": "EnforceOrgIdentities", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-test1"}}}])), vec![ROOT.into()]);
    let who = json!({"type": "AWSAccount", "principalId": "AIDAEXTERNAL", "accountId": EXT});
    let id = o.s3(
        &who,
        DATA,
        "GetObject",
        "scratch",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    expect(
        &o.one(&id),
        "rcp",
        Some("explicit"),
        Some("rcp"),
        Some("p-idperim"),
        Some("EnforceOrgIdentities"),
    );
}

/// The same perimeter as a bucket-policy Deny: a member of the organization has
/// `aws:PrincipalOrgID = o-test1` (organization.json), so the Deny does not apply and the
/// denial is the member's missing identity Allow, decided; an outsider meets the Deny.
#[test]
fn identity_perimeter_bucket_policy_spares_members_and_denies_outsiders() {
    let perimeter = json!([
        {"Effect": "Allow", "Principal": {"AWS": [EXT, DATA]}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::app-data/*"},
        {"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::app-data", "arn:aws:s3:::app-data/*"],
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-test1"}}}
    ]);
    let mut o = org_with_app_data(Some(doc(perimeter)));
    o.user(
        DATA,
        "dana",
        vec![("p", doc(json!([allow(json!("s3:ListBucket"), json!("*"))])))],
        None,
    );
    let member = o.s3(
        &user_id(DATA, "dana"),
        PROD,
        "GetObject",
        "app-data",
        Some("a"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let outsider = o.s3(
        &json!({"type": "AWSAccount", "principalId": "AIDAEXTERNAL", "accountId": EXT}),
        PROD,
        "GetObject",
        "app-data",
        Some("b"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    let all = o.analyze();
    expect(
        &all[&member],
        "missing_allow",
        Some("implicit"),
        Some("identity"),
        Some("arn:aws:iam::333333333333:user/dana"),
        None,
    );
    expect(
        &all[&outsider],
        "explicit_deny",
        Some("explicit"),
        Some("resource"),
        Some("bucket-policy:app-data"),
        Some("OrgOnly"),
    );
}

#[path = "object_acls.rs"]
mod object_acls;
