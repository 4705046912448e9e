//! Snapshot loading and lookups over folders built in temp dirs, including one made from the
//! real policy material in `../shared/corpus/real/policy-snapshots/` (copied into the
//! repository's test data is not needed: the test builds the folder from it at run time).

use super::*;
use crate::policy::{Context, KeyState, Principal, PrincipalKind, Request};
use serde_json::{json, Value};
use std::fs;
use std::path::Path;

fn put(root: &Path, rel: &str, v: &Value) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

fn put_raw(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn load(root: &Path) -> (Snapshot, Vec<SnapshotProblem>) {
    Snapshot::load(root).expect("snapshot root readable")
}

fn allow(action: &str, resource: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})
}

fn user(arn: &str) -> Principal {
    Principal {
        kind: PrincipalKind::User,
        arn: Some(arn.to_owned()),
        account: Arn::parse(arn).map(|a| a.account.to_owned()),
        role_arn: None,
        service: None,
    }
}

fn session(role_arn: &str, session: &str) -> Principal {
    let a = Arn::parse(role_arn).unwrap();
    let name = a.resource.rsplit('/').next().unwrap();
    Principal {
        kind: PrincipalKind::AssumedRole,
        arn: Some(format!(
            "arn:aws:sts::{}:assumed-role/{name}/{session}",
            a.account
        )),
        account: Some(a.account.to_owned()),
        role_arn: Some(role_arn.to_owned()),
        service: None,
    }
}

fn request(principal: Principal, action: &str, resource: &str) -> Request {
    Request {
        principal,
        action: action.to_owned(),
        resource: resource.to_owned(),
        resource_account: None,
        context: Context::default(),
    }
}

fn ids(k: &Known<Vec<crate::policy::PolicyRef>>) -> Vec<String> {
    match k {
        Known::Known(v) => v.iter().map(|p| p.id.clone()).collect(),
        Known::Unknown(why) => panic!("unknown: {why}"),
    }
}

const A: &str = "111122223333";
const B: &str = "444455556666";
const MGMT: &str = "999988887777";

/// A small two-account organization: root r-root → OU ou-root-apps → account A; B directly
/// under the root; the management account MGMT. SCPs: FullAWSAccess everywhere, a deny on
/// the OU. RCPs: RCPFullAWSAccess on the root only.
fn org_snapshot(root: &Path) {
    put(
        root,
        "snapshot.json",
        &json!({"taken_at": "2026-11-20T10:00:00Z"}),
    );
    put(
        root,
        "organization/organization.json",
        &json!({"Organization": {
        "Id": "o-abc123", "Arn": "arn:aws:organizations::999988887777:organization/o-abc123",
        "FeatureSet": "ALL", "MasterAccountId": MGMT}}),
    );
    put(
        root,
        "organization/accounts.json",
        &json!({"Accounts": [
        {"Id": A, "Name": "apps"}, {"Id": B, "Name": "data"}, {"Id": MGMT, "Name": "mgmt"}]}),
    );
    let describe = |id: &str, kind: &str, doc: &Value| {
        json!({"Policy": {
        "PolicySummary": {"Id": id, "Name": id, "Type": kind, "AwsManaged": false},
        "Content": doc.to_string()}})
    };
    put(
        root,
        "organization/policies/p-FullAWSAccess.json",
        &describe(
            "p-FullAWSAccess",
            "SERVICE_CONTROL_POLICY",
            &allow("*", "*"),
        ),
    );
    put(
        root,
        "organization/policies/p-denys3.json",
        &describe(
            "p-denys3",
            "SERVICE_CONTROL_POLICY",
            &json!({"Version": "2012-10-17", "Statement": [{"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}),
        ),
    );
    put(
        root,
        "organization/policies/p-RCPFullAWSAccess.json",
        &describe(
            "p-RCPFullAWSAccess",
            "RESOURCE_CONTROL_POLICY",
            &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}),
        ),
    );
    put(
        root,
        "organization/policies/p-tags.json",
        &json!({"Policy": {
        "PolicySummary": {"Id": "p-tags", "Type": "TAG_POLICY"}, "Content": "{\"tags\":{}}"}}),
    );
    let targets = |ids: &[&str]| json!({"Targets": ids.iter().map(|t| json!({"TargetId": t, "Type": "X"})).collect::<Vec<_>>()});
    put(
        root,
        "organization/targets/p-FullAWSAccess.json",
        &targets(&["r-root", "ou-root-apps", A, B, MGMT]),
    );
    put(
        root,
        "organization/targets/p-denys3.json",
        &targets(&["ou-root-apps"]),
    );
    put(
        root,
        "organization/targets/p-RCPFullAWSAccess.json",
        &targets(&["r-root", "ou-root-apps", A, B, MGMT]),
    );
    put(
        root,
        "organization/targets/p-tags.json",
        &targets(&["r-root"]),
    );
    put(
        root,
        &format!("organization/parents/{A}.json"),
        &json!({"Parents": [{"Id": "ou-root-apps", "Type": "ORGANIZATIONAL_UNIT"}]}),
    );
    put(
        root,
        "organization/parents/ou-root-apps.json",
        &json!({"Parents": [{"Id": "r-root", "Type": "ROOT"}]}),
    );
    put(
        root,
        &format!("organization/parents/{B}.json"),
        &json!({"Parents": [{"Id": "r-root", "Type": "ROOT"}]}),
    );
    put(
        root,
        &format!("organization/parents/{MGMT}.json"),
        &json!({"Parents": [{"Id": "r-root", "Type": "ROOT"}]}),
    );
}

/// Account A's IAM: alice (inline URL-encoded, attached, group `devs`, boundary, tags), the
/// role `app` (+ a service-linked role), customer managed policies with several versions.
fn iam_a(root: &Path) {
    let inline_doc = allow("s3:ListBucket", "arn:aws:s3:::data");
    let encoded = percent_encoding::utf8_percent_encode(
        &inline_doc.to_string(),
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    let managed = |name: &str, doc: Value| {
        json!({
        "PolicyName": name, "Arn": format!("arn:aws:iam::{A}:policy/{name}"), "DefaultVersionId": "v2",
        "PolicyVersionList": [
            {"VersionId": "v1", "IsDefaultVersion": false, "Document": allow("*", "*")},
            {"VersionId": "v2", "IsDefaultVersion": true, "Document": doc, "CreateDate": "2023-03-09T10:41:34Z"}]})
    };
    // Page 1 and page 2, as a hand-merged array of pages.
    let page1 = json!({
        "UserDetailList": [{
            "UserName": "alice", "UserId": "AIDAALICE", "Path": "/team/", "Arn": format!("arn:aws:iam::{A}:user/team/alice"),
            "CreateDate": "2023-03-09 10:41:45+00:00",
            "UserPolicyList": [{"PolicyName": "list-data", "PolicyDocument": encoded}],
            "GroupList": ["devs"],
            "AttachedManagedPolicies": [{"PolicyName": "read", "PolicyArn": format!("arn:aws:iam::{A}:policy/read")}],
            "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": format!("arn:aws:iam::{A}:policy/boundary")},
            "Tags": [{"Key": "team", "Value": "blue"}]}],
        "GroupDetailList": [{
            "GroupName": "devs", "GroupId": "AGPADEVS", "Arn": format!("arn:aws:iam::{A}:group/devs"),
            "GroupPolicyList": [{"PolicyName": "put", "PolicyDocument": allow("s3:PutObject", "*").to_string()}],
            "AttachedManagedPolicies": [{"PolicyName": "ReadOnly", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]}],
        "Policies": [managed("read", allow("s3:GetObject", "*")), managed("boundary", allow("s3:*", "*"))],
        "IsTruncated": true, "Marker": "x"});
    let page2 = json!({
        "RoleDetailList": [
            {"RoleName": "app", "RoleId": "AROAAPP", "Path": "/", "Arn": format!("arn:aws:iam::{A}:role/app"),
             "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
             "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": allow("s3:GetObject", "arn:aws:s3:::data/*")}],
             "AttachedManagedPolicies": [], "Tags": [{"Key": "env", "Value": "prod"}],
             "RoleLastUsed": {"LastUsedDate": "2026-11-01T00:00:00Z"}},
            {"RoleName": "AWSServiceRoleForSupport", "RoleId": "AROASLR", "Path": "/aws-service-role/support.amazonaws.com/",
             "Arn": format!("arn:aws:iam::{A}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport"),
             "RolePolicyList": [], "AttachedManagedPolicies": []}],
        "Policies": [{"PolicyName": "ReadOnlyAccess", "Arn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "DefaultVersionId": "v9",
                      "PolicyVersionList": [{"VersionId": "v9", "IsDefaultVersion": true, "Document": allow("s3:Get*", "*")}]}]});
    put(
        root,
        &format!("accounts/{A}/iam.json"),
        &json!([page1, page2]),
    );
}

fn bucket_b(root: &Path) {
    let dir = format!("accounts/{B}/s3/data");
    put(
        root,
        &format!("{dir}/location.json"),
        &json!({"LocationConstraint": "eu-west-1"}),
    );
    put(
        root,
        &format!("{dir}/policy.json"),
        &json!({"Policy": json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "CrossRead", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{A}:role/app")}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]}).to_string()}),
    );
    put(
        root,
        &format!("{dir}/ownership-controls.json"),
        &json!({"OwnershipControls": {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}}),
    );
    put(
        root,
        &format!("{dir}/public-access-block.json"),
        &json!({"PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "IgnorePublicAcls": false, "BlockPublicPolicy": false, "RestrictPublicBuckets": false}}),
    );
    put(
        root,
        &format!("{dir}/encryption.json"),
        &json!({"ServerSideEncryptionConfiguration": {"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/data"}, "BucketKeyEnabled": true}]}}),
    );
    put(
        root,
        &format!("{dir}/request-payment.json"),
        &json!({"Payer": "Requester"}),
    );
    put(
        root,
        &format!("{dir}/acl.json"),
        &json!({"Owner": {"ID": "canon-b"}, "Grants": [
        {"Grantee": {"Type": "CanonicalUser", "ID": "canon-b"}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"}]}),
    );
    put(
        root,
        &format!("{dir}/objects.json"),
        &json!({"Contents": [
        {"Key": "report.csv", "Size": 10, "Owner": {"ID": "canon-a"}}, {"Key": "b.txt", "Size": 1, "Owner": {"ID": "canon-b"}}]}),
    );
    put(
        root,
        &format!("accounts/{B}/canonical-id.json"),
        &json!({"ID": "canon-b"}),
    );
    put(
        root,
        &format!("accounts/{A}/canonical-id.json"),
        &json!({"ID": "canon-a"}),
    );
    put(
        root,
        &format!("accounts/{B}/s3control/public-access-block.json"),
        &json!({"PublicAccessBlockConfiguration": {"RestrictPublicBuckets": true}}),
    );
    put(
        root,
        &format!("accounts/{B}/kms/1234abcd.json"),
        &json!({
        "KeyMetadata": {"KeyId": "1234abcd", "Arn": format!("arn:aws:kms:eu-west-1:{B}:key/1234abcd"), "AWSAccountId": B, "KeyManager": "CUSTOMER", "KeyState": "Enabled"},
        "Policy": allow("kms:*", "*").to_string(), "Aliases": ["alias/data"]}),
    );
    put(
        root,
        &format!("accounts/{A}/ec2/vpc-endpoints.json"),
        &json!({"VpcEndpoints": [
        {"VpcEndpointId": "vpce-111", "VpcId": "vpc-aaa", "OwnerId": A, "ServiceName": "com.amazonaws.eu-west-1.s3", "VpcEndpointType": "Gateway",
         "PolicyDocument": allow("s3:GetObject", "*").to_string()}]}),
    );
}

fn full(root: &Path) -> (Snapshot, Vec<SnapshotProblem>) {
    org_snapshot(root);
    iam_a(root);
    bucket_b(root);
    load(root)
}

#[test]
fn loads_every_file_of_the_layout_without_problems() {
    let dir = tempfile::tempdir().unwrap();
    let (snap, problems) = full(dir.path());
    assert!(problems.is_empty(), "{problems:?}");
    let s = snap.stats();
    assert_eq!((s.accounts, s.users, s.groups, s.roles), (2, 1, 1, 2));
    assert_eq!((s.managed_policies, s.inline_policies), (3, 3));
    assert_eq!(
        (s.buckets, s.bucket_policies, s.kms_keys, s.vpc_endpoints),
        (1, 1, 1, 1)
    );
    assert_eq!((s.scps, s.rcps), (2, 1));
    assert_eq!(
        snap.taken_at.map(|t| t.to_rfc3339()),
        Some("2026-11-20T10:00:00+00:00".to_owned())
    );
    let b = match snap.bucket("data") {
        Known::Known(b) => b,
        Known::Unknown(w) => panic!("{w}"),
    };
    assert_eq!(
        b.account, B,
        "a bucket belongs to the account folder that holds it"
    );
    assert_eq!(b.region, Known::Known("eu-west-1".to_owned()));
    assert_eq!(
        b.ownership,
        Known::Known(Some(ObjectOwnership::ObjectWriter))
    );
    assert_eq!(b.request_payment, Known::Known(Payer::Requester));
    assert_eq!(
        b.encryption,
        Known::Known(Some(BucketEncryption {
            algorithm: "aws:kms".into(),
            kms_key_id: Some("alias/data".into()),
            bucket_key_enabled: true,
            blocked_types: vec![],
        }))
    );
    match &b.acl {
        Known::Known(acl) => {
            assert_eq!(acl.owner_id.as_deref(), Some("canon-b"));
            assert!(acl.grants.iter().any(|g| g.grantee
                == Grantee::Group("http://acs.amazonaws.com/groups/global/AllUsers".into())
                && g.permission == "READ"));
        }
        Known::Unknown(w) => panic!("{w}"),
    }
}

#[test]
fn user_identity_policies_are_inline_attached_and_each_groups_with_the_default_version() {
    let dir = tempfile::tempdir().unwrap();
    let (snap, _) = full(dir.path());
    let alice = user(&format!("arn:aws:iam::{A}:user/team/alice"));
    let got = ids(&snap.identity_policies(&alice));
    assert_eq!(
        got,
        vec![
            format!("arn:aws:iam::{A}:user/team/alice#list-data"),
            format!("arn:aws:iam::{A}:policy/read"),
            format!("arn:aws:iam::{A}:group/devs#put"),
            "arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned(),
        ]
    );
    // The URL-encoded inline document decoded to the same JSON; the managed policy's default
    // version (v2, not v1's allow-all) was chosen.
    let Known::Known(pols) = snap.identity_policies(&alice) else {
        panic!()
    };
    assert_eq!(pols[0].document["Statement"][0]["Action"], "s3:ListBucket");
    assert_eq!(pols[1].document["Statement"][0]["Action"], "s3:GetObject");
    let Known::Known(Some(b)) = snap.permissions_boundary(&alice) else {
        panic!("boundary")
    };
    assert_eq!(b.id, format!("arn:aws:iam::{A}:policy/boundary"));
    assert_eq!(
        snap.principal_tags(&alice),
        Known::Known(&[("team".to_owned(), "blue".to_owned())][..])
    );
}

#[test]
fn role_session_gets_its_roles_policies_and_no_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let (snap, _) = full(dir.path());
    let s = session(&format!("arn:aws:iam::{A}:role/app"), "i-0abc");
    assert_eq!(
        ids(&snap.identity_policies(&s)),
        vec![format!("arn:aws:iam::{A}:role/app#inline")]
    );
    assert_eq!(
        snap.permissions_boundary(&s).clone().map_none(),
        Known::Known(true)
    );
    // Without role_arn, the session ARN alone finds the role by name.
    let mut bare = s.clone();
    bare.role_arn = None;
    assert_eq!(
        ids(&snap.identity_policies(&bare)),
        vec![format!("arn:aws:iam::{A}:role/app#inline")]
    );
}

/// Test helper: `Known(None)` → `Known(true)`.
trait MapNone {
    fn map_none(self) -> Known<bool>;
}
impl<T> MapNone for Known<Option<T>> {
    fn map_none(self) -> Known<bool> {
        match self {
            Known::Known(o) => Known::Known(o.is_none()),
            Known::Unknown(w) => Known::Unknown(w),
        }
    }
}

#[test]
fn scp_path_lists_every_level_root_to_account_with_the_scps_attached_there() {
    let dir = tempfile::tempdir().unwrap();
    let (snap, _) = full(dir.path());
    let alice = user(&format!("arn:aws:iam::{A}:user/team/alice"));
    let Known::Known(Some(levels)) = snap.scp_path(&alice) else {
        panic!("{:?}", snap.scp_path(&alice))
    };
    let shape: Vec<(String, Vec<String>)> = levels
        .iter()
        .map(|l| {
            (
                l.target_id.clone(),
                l.policies.iter().map(|p| p.id.clone()).collect(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        vec![
            ("r-root".to_owned(), vec!["p-FullAWSAccess".to_owned()]),
            (
                "ou-root-apps".to_owned(),
                vec!["p-FullAWSAccess".to_owned(), "p-denys3".to_owned()]
            ),
            (A.to_owned(), vec!["p-FullAWSAccess".to_owned()]),
        ]
    );
    // RCPs of the bucket's account B: root and B, the RCP only (not the SCPs, not the tag policy).
    let req = request(
        session(&format!("arn:aws:iam::{A}:role/app"), "s"),
        "s3:GetObject",
        "arn:aws:s3:::data/report.csv",
    );
    let input = snap.authz_input(&req);
    let Known::Known(Some(rcp)) = &input.rcp else {
        panic!("{:?}", input.rcp)
    };
    assert_eq!(
        rcp.iter().map(|l| l.target_id.as_str()).collect::<Vec<_>>(),
        vec!["r-root", B]
    );
    assert!(rcp
        .iter()
        .all(|l| l.policies.iter().all(|p| p.id == "p-RCPFullAWSAccess")));
}

/// AWS Organizations: SCPs do not affect the management account nor service-linked roles;
/// RCPs do not affect resources in the management account.
#[test]
fn management_account_and_service_linked_roles_are_exempt_from_scps() {
    let dir = tempfile::tempdir().unwrap();
    let (snap, _) = full(dir.path());
    let mgmt_user = user(&format!("arn:aws:iam::{MGMT}:user/admin"));
    assert_eq!(snap.scp_path(&mgmt_user).map_none(), Known::Known(true));
    let slr = session(
        &format!(
            "arn:aws:iam::{A}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport"
        ),
        "s",
    );
    assert_eq!(snap.scp_path(&slr).map_none(), Known::Known(true));
    let alice = user(&format!("arn:aws:iam::{A}:user/team/alice"));
    assert_eq!(
        snap.rcp_path(Some(MGMT), &alice, "arn:aws:s3:::x")
            .map_none(),
        Known::Known(true)
    );
}

#[test]
fn no_organization_is_known_only_when_the_snapshot_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let alice = user(&format!("arn:aws:iam::{A}:user/team/alice"));
    iam_a(dir.path());
    let (snap, _) = load(dir.path());
    assert!(matches!(snap.scp_path(&alice), Known::Unknown(w) if w.contains("organization/")));
    put(
        dir.path(),
        "organization/organization.json",
        &json!({"Organization": null}),
    );
    let (snap, problems) = load(dir.path());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(snap.scp_path(&alice).map_none(), Known::Known(true));
    assert_eq!(snap.org_id(A), Known::Known(None));
}

/// ISSUE 20: a missing `targets/` or `policies/` file leaves what the rest decides. A policy
/// whose targets are unknown may be attached anywhere on the path: what it would deny is only
/// possible (the verdict is `unknown` naming the file), what it does not touch stays decided;
/// a policy attached per `targets/` without its file may deny or allow anything there, but a
/// known Deny elsewhere on the path still decides. Said on stderr by `capture_gaps`.
#[test]
fn scps_are_partly_unknown_when_a_policys_targets_or_file_or_a_parent_are_missing() {
    use crate::policy::{authorize, Decision, Layer};
    let dir = tempfile::tempdir().unwrap();
    org_snapshot(dir.path());
    fs::remove_file(dir.path().join("organization/targets/p-denys3.json")).unwrap();
    let (snap, _) = load(dir.path());
    let alice = user(&format!("arn:aws:iam::{A}:user/alice"));
    let Known::Known(Some(levels)) = snap.scp_path(&alice) else {
        panic!("{:?}", snap.scp_path(&alice))
    };
    assert!(levels
        .iter()
        .all(|l| l.maybe.len() == 1 && l.unknown.is_empty()));
    let scp_decision = |snap: &Snapshot, action: &str| {
        let mut r = request(alice.clone(), action, "arn:aws:s3:::data");
        r.resource_account = Some(B.to_owned());
        let mut input = snap.authz_input(&r);
        input.scp = snap.scp_path(&alice);
        let e = authorize(&r, &input);
        let l = e.layer(Layer::Scp).unwrap().clone();
        (l.decision, l.missing)
    };
    // p-denys3 denies s3:DeleteBucket: maybe attached, so maybe denied.
    let (d, why) = scp_decision(&snap, "s3:DeleteBucket");
    assert_eq!(d, Decision::Unknown);
    assert!(why.unwrap().contains("p-denys3 may be attached"));
    // It does not touch s3:GetObject: FullAWSAccess allows it at every level, decided.
    assert_eq!(scp_decision(&snap, "s3:GetObject").0, Decision::Allow);
    assert!(snap
        .organization
        .as_ref()
        .unwrap()
        .capture_gaps()
        .iter()
        .any(|g| g.contains("organization/targets/p-denys3.json is missing")));

    // The FullAWSAccess file missing: every level may allow or deny, except that the known
    // Deny of p-denys3 (attached to A's OU) still denies.
    let dir = tempfile::tempdir().unwrap();
    org_snapshot(dir.path());
    fs::remove_file(
        dir.path()
            .join("organization/policies/p-FullAWSAccess.json"),
    )
    .unwrap();
    let (snap, _) = load(dir.path());
    assert_eq!(
        scp_decision(&snap, "s3:DeleteBucket").0,
        Decision::ExplicitDeny
    );
    let (d, why) = scp_decision(&snap, "s3:GetObject");
    assert_eq!(d, Decision::Unknown);
    assert!(why
        .unwrap()
        .contains("organization/policies/p-FullAWSAccess.json not captured"));

    let dir = tempfile::tempdir().unwrap();
    org_snapshot(dir.path());
    fs::remove_file(dir.path().join("organization/parents/ou-root-apps.json")).unwrap();
    let (snap, _) = load(dir.path());
    assert!(
        matches!(snap.scp_path(&alice), Known::Unknown(w) if w.contains("parents/ou-root-apps.json"))
    );
    // B's path does not go through the missing parent.
    let bob = user(&format!("arn:aws:iam::{B}:user/bob"));
    assert!(matches!(snap.scp_path(&bob), Known::Known(Some(_))));
}

#[test]
fn missing_files_are_unknown_never_empty() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join(format!("accounts/{B}/s3/data"))).unwrap();
    let (snap, problems) = load(dir.path());
    assert!(problems.is_empty(), "{problems:?}");
    let alice = user(&format!("arn:aws:iam::{A}:user/alice"));
    assert!(matches!(snap.identity_policies(&alice), Known::Unknown(_)));
    assert!(matches!(
        snap.permissions_boundary(&alice),
        Known::Unknown(_)
    ));
    let Known::Known(b) = snap.bucket("data") else {
        panic!()
    };
    assert!(matches!(&b.policy, Known::Unknown(w) if w.contains("policy.json not captured")));
    assert!(matches!(b.ownership, Known::Unknown(_)));
    assert!(matches!(b.encryption, Known::Unknown(_)));
    assert!(matches!(
        snap.effective_public_access_block("data"),
        Known::Unknown(_)
    ));
    assert!(
        matches!(snap.resource_policy("arn:aws:s3:::other/k"), Known::Unknown(w) if w.contains("`other`"))
    );
    assert!(matches!(snap.object("data", "k"), Known::Unknown(_)));
    assert!(matches!(snap.org_id(A), Known::Unknown(_)));
    assert_eq!(snap.taken_at, None);
}

#[test]
fn a_null_policy_means_no_policy_and_a_bare_document_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    put(
        dir.path(),
        &format!("accounts/{B}/s3/none/policy.json"),
        &json!({"Policy": null}),
    );
    put(
        dir.path(),
        &format!("accounts/{B}/s3/bare/policy.json"),
        &allow("s3:GetObject", "arn:aws:s3:::bare/*"),
    );
    put(
        dir.path(),
        &format!("accounts/{B}/s3/none/ownership-controls.json"),
        &json!({"OwnershipControls": null}),
    );
    let (snap, problems) = load(dir.path());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        snap.resource_policy("arn:aws:s3:::none").map_none(),
        Known::Known(true)
    );
    let Known::Known(Some(p)) = snap.resource_policy("arn:aws:s3:::bare/x") else {
        panic!()
    };
    assert_eq!(p.id, "bucket-policy:bare");
    let Known::Known(b) = snap.bucket("none") else {
        panic!()
    };
    assert_eq!(b.ownership, Known::Known(None));
}

#[test]
fn a_malformed_file_is_a_problem_naming_its_path_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    org_snapshot(dir.path());
    bucket_b(dir.path());
    put_raw(
        dir.path(),
        &format!("accounts/{A}/iam.json"),
        "{\"UserDetailList\": [",
    );
    put(
        dir.path(),
        &format!("accounts/{B}/s3/data/request-payment.json"),
        &json!({"Payer": 3}),
    );
    put(
        dir.path(),
        &format!("accounts/{B}/s3/bad/policy.json"),
        &json!({"Policy": "{not json"}),
    );
    let (snap, problems) = load(dir.path());
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 3, "{text:#?}");
    assert!(
        text.iter()
            .any(|t| t.contains(&format!("accounts/{A}/iam.json")) && t.contains("not valid JSON")),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|t| t.contains("request-payment.json")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("s3/bad/policy.json") && t.contains("bucket-policy:bad")),
        "{text:#?}"
    );
    assert!(text.iter().all(|t| t.starts_with("denytrail: ")));
    // The rest loaded, and what the broken files describe is unknown.
    assert!(
        matches!(snap.identity_policies(&user(&format!("arn:aws:iam::{A}:user/alice"))), Known::Unknown(w) if w.contains("not valid JSON"))
    );
    assert!(matches!(
        snap.resource_policy("arn:aws:s3:::bad"),
        Known::Unknown(_)
    ));
    assert!(matches!(
        snap.resource_policy("arn:aws:s3:::data/x"),
        Known::Known(Some(_))
    ));
    let Known::Known(b) = snap.bucket("data") else {
        panic!()
    };
    assert!(matches!(b.request_payment, Known::Unknown(_)));
    assert!(matches!(b.ownership, Known::Known(Some(_))));
}

#[test]
fn a_broken_inline_policy_makes_its_owner_unknown_not_poorer() {
    let dir = tempfile::tempdir().unwrap();
    put(
        dir.path(),
        &format!("accounts/{A}/iam.json"),
        &json!({"UserDetailList": [{
        "UserName": "u", "UserId": "AIDAU", "Arn": format!("arn:aws:iam::{A}:user/u"),
        "UserPolicyList": [{"PolicyName": "ok", "PolicyDocument": allow("s3:*", "*")}, {"PolicyName": "bad", "PolicyDocument": "%7Bbroken"}]}]}),
    );
    let (snap, problems) = load(dir.path());
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].to_string().contains("user/u#bad"),
        "{}",
        problems[0]
    );
    assert!(
        matches!(snap.identity_policies(&user(&format!("arn:aws:iam::{A}:user/u"))), Known::Unknown(w) if w.contains("#bad"))
    );
}

#[test]
fn lookups_for_the_diagnosis() {
    let dir = tempfile::tempdir().unwrap();
    let (snap, _) = full(dir.path());
    // Owner's copy of a cross-account event: principalId → ARN.
    let r = snap.principal_by_unique_id("AROAAPP:i-0abc");
    assert_eq!(
        r,
        Known::Known(ResolvedPrincipal {
            account: A.into(),
            arn: format!("arn:aws:iam::{A}:role/app"),
            kind: PrincipalKind::AssumedRole,
            session_name: Some("i-0abc".into())
        })
    );
    assert!(matches!(
        snap.principal_by_unique_id("AIDAALICE"),
        Known::Known(ResolvedPrincipal {
            kind: PrincipalKind::User,
            ..
        })
    ));
    assert!(matches!(
        snap.principal_by_unique_id("AIDANOBODY"),
        Known::Unknown(_)
    ));
    // KMS by alias, alias ARN, key ARN and id.
    for id in [
        "alias/data",
        &format!("arn:aws:kms:eu-west-1:{B}:alias/data"),
        &format!("arn:aws:kms:eu-west-1:{B}:key/1234abcd"),
        "1234abcd",
    ] {
        assert!(
            matches!(snap.kms_key(id), Known::Known(k) if k.key_id == "1234abcd"),
            "{id}"
        );
    }
    assert!(matches!(snap.kms_key("alias/other"), Known::Unknown(w) if w.contains("alias")));
    // BPA: bucket BlockPublicAcls + account RestrictPublicBuckets.
    assert_eq!(
        snap.effective_public_access_block("data"),
        Known::Known(Some(PublicAccessBlock {
            block_public_acls: true,
            restrict_public_buckets: true,
            ..Default::default()
        }))
    );
    assert_eq!(snap.bucket_owner("data"), Known::Known(B));
    assert_eq!(snap.org_id(A), Known::Known(Some("o-abc123".into())));
    assert_eq!(snap.canonical_id(B), Known::Known("canon-b"));
    assert_eq!(snap.account_by_canonical_id("canon-a"), Some(A));
    // Object owners; a complete listing says a missing key did not exist.
    assert!(
        matches!(snap.object("data", "report.csv"), Known::Known(Some(e)) if e.owner_id.as_deref() == Some("canon-a"))
    );
    assert!(matches!(snap.object("data", "missing"), Known::Known(None)));
}

#[test]
fn authz_input_gathers_every_layer() {
    let dir = tempfile::tempdir().unwrap();
    let (snap, _) = full(dir.path());
    let mut req = request(
        session(&format!("arn:aws:iam::{A}:role/app"), "s"),
        "s3:GetObject",
        "arn:aws:s3:::data/report.csv",
    );
    req.context.set("aws:SourceVpce", "vpce-111");
    let input = snap.authz_input(&req);
    assert_eq!(
        ids(&input.identity),
        vec![format!("arn:aws:iam::{A}:role/app#inline")]
    );
    assert!(matches!(&input.resource, Known::Known(Some(p)) if p.id == "bucket-policy:data"));
    assert!(matches!(&input.vpc_endpoint, Known::Known(Some(p)) if p.id == "vpce-111"));
    assert!(matches!(&input.scp, Known::Known(Some(l)) if l.len() == 3));
    assert!(
        matches!(&input.session, Known::Unknown(_)),
        "session policies come from STS events"
    );
    let with = snap.authz_input_with_session(&req, Known::Known(None));
    assert!(matches!(with.session, Known::Known(None)));
    // No endpoint: the key is absent, the layer does not apply; not said: unknown.
    req.context.mark_absent("aws:SourceVpce");
    assert!(matches!(
        snap.authz_input(&req).vpc_endpoint,
        Known::Known(None)
    ));
    req.context = Context::default();
    assert!(matches!(
        req.context.get("aws:sourcevpce"),
        KeyState::Unknown
    ));
    assert!(matches!(
        snap.authz_input(&req).vpc_endpoint,
        Known::Unknown(_)
    ));
    // A user is no session: no session policy.
    let u = request(
        user(&format!("arn:aws:iam::{A}:user/team/alice")),
        "s3:GetObject",
        "arn:aws:s3:::data/k",
    );
    assert!(matches!(snap.authz_input(&u).session, Known::Known(None)));
}

/// The real policy material of the corpus, arranged as a snapshot: cloudsplaining's GAAD
/// (boto3 dates, plain documents) as an account's iam.json, the awsdocs bucket policies (the
/// ones with a Principal) as bucket policy.json files in both CLI forms, the awsdocs key
/// policies as kms files, the data-perimeter SCP/RCP templates as describe-policy output and
/// its VPC endpoint templates as a describe-vpc-endpoints answer.
#[test]
fn loads_the_real_corpus_material_without_error() {
    let corpus = &crate::test_corpus::real().join("policy-snapshots");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let read = |p: &Path| -> Value { serde_json::from_slice(&fs::read(p).unwrap()).unwrap() };
    let gaad = read(&corpus.join("cloudsplaining/example.json"));
    let acct = "200611803367";
    put(root, &format!("accounts/{acct}/iam.json"), &gaad);

    let mut bucket_policies = 0;
    let mut files: Vec<_> = fs::read_dir(corpus.join("awsdocs-examples/amazon-s3-userguide"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for (i, path) in files.iter().enumerate() {
        let doc = read(path);
        let stmts = match &doc["Statement"] {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        if !stmts
            .iter()
            .any(|s| s.get("Principal").is_some() || s.get("NotPrincipal").is_some())
        {
            continue;
        }
        let wrapped = if i % 2 == 0 {
            json!({"Policy": doc.to_string()})
        } else {
            doc
        };
        put(
            root,
            &format!("accounts/{acct}/s3/example-{i}/policy.json"),
            &wrapped,
        );
        bucket_policies += 1;
    }
    let mut keys = 0;
    for e in fs::read_dir(corpus.join("awsdocs-examples/aws-kms-developer-guide")).unwrap() {
        let path = e.unwrap().path();
        let key_id = format!("key-{keys}");
        put(
            root,
            &format!("accounts/{acct}/kms/{key_id}.json"),
            &json!({
            "KeyMetadata": {"KeyId": key_id, "Arn": format!("arn:aws:kms:us-east-1:{acct}:key/{key_id}"), "AWSAccountId": acct, "KeyManager": "CUSTOMER"},
            "Policy": read(&path).to_string()}),
        );
        keys += 1;
    }
    let mut org_policies = (0, 0);
    for (sub, kind) in [
        ("service_control_policies", "SERVICE_CONTROL_POLICY"),
        ("resource_control_policies", "RESOURCE_CONTROL_POLICY"),
    ] {
        let mut stack = vec![corpus.join("data-perimeter-policy-examples").join(sub)];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let path = e.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let n = org_policies.0 + org_policies.1;
                let id = format!("p-{n:08}");
                put(
                    root,
                    &format!("organization/policies/{id}.json"),
                    &json!({"Policy": {
                    "PolicySummary": {"Id": id, "Name": path.file_stem().unwrap().to_str().unwrap(), "Type": kind},
                    "Content": fs::read_to_string(&path).unwrap()}}),
                );
                put(
                    root,
                    &format!("organization/targets/{id}.json"),
                    &json!({"Targets": [{"TargetId": "r-root", "Type": "ROOT"}]}),
                );
                if kind == "SERVICE_CONTROL_POLICY" {
                    org_policies.0 += 1
                } else {
                    org_policies.1 += 1
                }
            }
        }
    }
    let mut endpoints = Vec::new();
    for e in
        fs::read_dir(corpus.join("data-perimeter-policy-examples/vpc_endpoint_policies")).unwrap()
    {
        let path = e.unwrap().path();
        endpoints.push(
            json!({"VpcEndpointId": format!("vpce-{:04}", endpoints.len()), "VpcId": "vpc-1",
            "PolicyDocument": fs::read_to_string(&path).unwrap()}),
        );
    }
    let n_endpoints = endpoints.len();
    put(
        root,
        &format!("accounts/{acct}/ec2/vpc-endpoints.json"),
        &json!({"VpcEndpoints": endpoints}),
    );

    let (snap, problems) = load(root);
    assert!(
        problems.is_empty(),
        "{:#?}",
        problems.iter().map(|p| p.to_string()).collect::<Vec<_>>()
    );
    let s = snap.stats();
    let count = |k: &str| gaad[k].as_array().map_or(0, |a| a.len());
    assert_eq!(s.users, count("UserDetailList"));
    assert_eq!(s.groups, count("GroupDetailList"));
    assert_eq!(s.roles, count("RoleDetailList"));
    assert_eq!(s.managed_policies, count("Policies"));
    assert!(s.users > 0 && s.roles > 0 && s.managed_policies > 0);
    assert_eq!(
        (s.buckets, s.bucket_policies),
        (bucket_policies, bucket_policies)
    );
    assert!(bucket_policies > 10);
    assert_eq!(s.kms_keys, keys);
    assert_eq!((s.scps, s.rcps), org_policies);
    assert_eq!(s.vpc_endpoints, n_endpoints);
    // Every user's and role's identity policies resolve (every attached policy is listed).
    // The example file also lists a few entities of another account (012345678901): those
    // belong to an account the snapshot does not hold, so they stay unknown.
    let Known::Known(iam) = &snap.accounts[acct].iam else {
        panic!()
    };
    let mut resolved = 0;
    for (arn, p) in iam
        .users
        .iter()
        .map(|u| (&u.arn, user(&u.arn)))
        .chain(iam.roles.iter().map(|r| (&r.arn, session(&r.arn, "s"))))
    {
        let got = snap.identity_policies(&p);
        if arn.contains(&format!(":{acct}:")) {
            assert!(matches!(got, Known::Known(_)), "{arn}: {got:?}");
            resolved += 1;
        } else {
            assert!(
                matches!(got, Known::Unknown(ref w) if w.contains("not in the snapshot")),
                "{arn}: {got:?}"
            );
        }
    }
    assert!(resolved > 100, "{resolved}");
    // Service-linked roles of the real file are recognised by their path.
    assert!(iam.roles.iter().any(|r| r.is_service_linked()));
}

/// One snapshot is shared by every scan thread.
#[test]
fn snapshot_is_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<Snapshot>();
}

/// ISSUE 17 section 5: a bucket policy's `{"CanonicalUser": id}` principal is the account
/// whose `canonical-id.json` holds the id
/// (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html):
/// "Canonical user ID: An alpha-numeric identifier ... that is an obfuscated form of the AWS
/// account ID. You can use this ID to identify an AWS account when granting cross-account
/// access to buckets and objects using Amazon Simple Storage Service (Amazon S3)." A grant to it is a grant to the account (the account's own
/// IAM policies must still allow, as for an account principal); an id no account of the
/// snapshot holds still matches nobody.
#[test]
fn canonical_user_principals_are_the_account_holding_the_id() {
    use crate::policy::{authorize, AuthzInput, Decision, Form, Policy};
    let dir = tempfile::tempdir().unwrap();
    put(
        dir.path(),
        &format!("accounts/{A}/canonical-id.json"),
        &json!({"ID": "canon-a"}),
    );
    put(
        dir.path(),
        &format!("accounts/{B}/s3/shared/policy.json"),
        &json!({"Policy": json!({"Statement": [
            {"Sid": "ToA", "Effect": "Allow", "Principal": {"CanonicalUser": "canon-a"},
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"},
            {"Sid": "ToStranger", "Effect": "Allow", "Principal": {"CanonicalUser": "canon-zzz"},
             "Action": "s3:PutObject", "Resource": "arn:aws:s3:::shared/*"}]}).to_string()}),
    );
    let (snap, problems) = load(dir.path());
    assert!(problems.is_empty(), "{problems:?}");
    let policy = snap.resource_policy("arn:aws:s3:::shared/k");
    let caller = user(&format!("arn:aws:iam::{A}:user/alice"));
    let input = |action: &str| AuthzInput {
        identity: Known::Known(vec![Policy::parse_ref(
            "id",
            &allow(action, "*").to_string(),
        )
        .unwrap()]),
        boundary: Known::Known(None),
        session: Known::Known(None),
        resource: policy.clone(),
        scp: Known::Known(None),
        rcp: Known::Known(None),
        vpc_endpoint: Known::Known(None),
        access_point: None,
    };
    let mut r = request(caller, "s3:GetObject", "arn:aws:s3:::shared/k");
    r.resource_account = Some(B.to_owned());
    let e = authorize(&r, &input("s3:GetObject"));
    assert_eq!(e.decision, Decision::Allow, "{e:#?}");
    assert_eq!(
        e.layer(crate::policy::Layer::Resource)
            .and_then(|l| l.grant_form),
        Some(Form::Account)
    );
    r.action = "s3:PutObject".into();
    let e = authorize(&r, &input("s3:PutObject"));
    assert_eq!(e.decision, Decision::ImplicitDeny, "{e:#?}");
}

/// STS AssumeRole: the role's trust policy is its resource-based policy
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html: "A role
/// trust policy is a required resource-based policy that is attached to a role in IAM"), and
/// it must allow even within one account
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html:
/// "Role trust policies and KMS key policies are exceptions to this logic, because they must
/// explicitly allow access for principals"). A trust policy naming the user stands on its own;
/// one naming the account delegates to the caller's identity policies.
#[test]
fn assume_role_is_decided_by_the_roles_trust_policy() {
    use crate::policy::{authorize, Decision};
    let dir = tempfile::tempdir().unwrap();
    let role = |name: &str, principal: Value| {
        json!({"RoleName": name, "RoleId": format!("AROA{name}"), "Path": "/",
               "Arn": format!("arn:aws:iam::{A}:role/{name}"),
               "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                   {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]},
               "RolePolicyList": [], "AttachedManagedPolicies": []})
    };
    let user = |name: &str, policies: Value| {
        json!({"UserName": name, "UserId": format!("AIDA{name}"), "Path": "/",
               "Arn": format!("arn:aws:iam::{A}:user/{name}"),
               "UserPolicyList": policies, "GroupList": [], "AttachedManagedPolicies": []})
    };
    let may_assume = json!([{"PolicyName": "assume",
        "PolicyDocument": allow("sts:AssumeRole", "*").to_string()}]);
    put(
        dir.path(),
        &format!("accounts/{A}/iam.json"),
        &json!({
            "UserDetailList": [user("alice", json!([])), user("bob", may_assume.clone()), user("carol", json!([]))],
            "RoleDetailList": [
                role("deploy", json!({"AWS": format!("arn:aws:iam::{A}:user/alice")})),
                role("shared", json!({"AWS": format!("arn:aws:iam::{A}:root")}))],
            "GroupDetailList": [], "Policies": []}),
    );
    let (snap, problems) = load(dir.path());
    assert!(problems.is_empty(), "{problems:?}");
    let decide = |who: &str, role: &str| {
        let mut r = request(
            super::tests::user(&format!("arn:aws:iam::{A}:user/{who}")),
            "sts:AssumeRole",
            &format!("arn:aws:iam::{A}:role/{role}"),
        );
        r.resource_account = snap.resource_account(&r);
        r.context.mark_absent("aws:SourceVpce");
        let mut input = snap.authz_input(&r);
        input.scp = Known::Known(None);
        input.rcp = Known::Known(None);
        let e = authorize(&r, &input);
        assert!(e.decision != Decision::Unknown, "{:?}", e.unknowns);
        e.decision
    };
    // Named by the trust policy: no identity policy needed.
    assert_eq!(decide("alice", "deploy"), Decision::Allow);
    // Allowed by its identity policy, but the trust policy does not name it.
    assert_eq!(decide("bob", "deploy"), Decision::ImplicitDeny);
    // The trust policy names the account: the identity policy decides.
    assert_eq!(decide("bob", "shared"), Decision::Allow);
    assert_eq!(decide("carol", "shared"), Decision::ImplicitDeny);
}

/// ISSUE 17 section 5: the bucket ACL grants beside the bucket policy
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html, "Mapping of ACL
/// permissions and access policy permissions": READ on a bucket is "s3:ListBucket,
/// s3:ListBucketVersions, and s3:ListBucketMultipartUploads"; an ACL grant names an account,
/// whose own IAM policies must still allow). `BucketOwnerEnforced` disables ACLs
/// (about-object-ownership.html: "ACLs are disabled and no longer affect access permissions"),
/// and `IgnorePublicAcls` makes S3 ignore public grants (access-control-block-public-access.html).
#[test]
fn bucket_acl_grants_are_a_grant_source() {
    use crate::policy::{authorize, AuthzInput, Decision, Form, Policy};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    put(
        root,
        &format!("accounts/{A}/canonical-id.json"),
        &json!({"ID": "canon-a"}),
    );
    put(
        root,
        &format!("accounts/{B}/canonical-id.json"),
        &json!({"ID": "canon-b"}),
    );
    put(
        root,
        &format!("accounts/{B}/s3control/public-access-block.json"),
        &json!({"PublicAccessBlockConfiguration": {"IgnorePublicAcls": false}}),
    );
    let bucket = |name: &str, grants: Value, ownership: Option<&str>| {
        let d = format!("accounts/{B}/s3/{name}");
        put(root, &format!("{d}/policy.json"), &json!({"Policy": null}));
        put(
            root,
            &format!("{d}/public-access-block.json"),
            &json!({"PublicAccessBlockConfiguration": null}),
        );
        put(
            root,
            &format!("{d}/acl.json"),
            &json!({"Owner": {"ID": "canon-b"}, "Grants": grants}),
        );
        if let Some(o) = ownership {
            put(
                root,
                &format!("{d}/ownership-controls.json"),
                &json!({"OwnershipControls": {"Rules": [{"ObjectOwnership": o}]}}),
            );
        }
    };
    let owner = json!({"Grantee": {"Type": "CanonicalUser", "ID": "canon-b"}, "Permission": "FULL_CONTROL"});
    let to_a = json!({"Grantee": {"Type": "CanonicalUser", "ID": "canon-a"}, "Permission": "READ"});
    let public = json!({"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"});
    bucket("acl-read", json!([owner, to_a]), None);
    bucket("acl-off", json!([owner, to_a]), Some("BucketOwnerEnforced"));
    bucket("owner-only", json!([owner]), None);
    bucket("public-read", json!([owner, public]), Some("ObjectWriter"));
    let (snap, problems) = load(root);
    assert!(problems.is_empty(), "{problems:?}");

    let decide = |caller: crate::policy::Principal, action: &str, bucket: &str| {
        let mut r = request(caller, action, &format!("arn:aws:s3:::{bucket}"));
        r.resource_account = Some(B.to_owned());
        let input = AuthzInput {
            identity: Known::Known(vec![Policy::parse_ref(
                "id",
                &allow("s3:*", "*").to_string(),
            )
            .unwrap()]),
            boundary: Known::Known(None),
            session: Known::Known(None),
            resource: snap.resource_policy(&r.resource),
            scp: Known::Known(None),
            rcp: Known::Known(None),
            vpc_endpoint: Known::Known(None),
            access_point: None,
        };
        authorize(&r, &input)
    };
    let alice = || user(&format!("arn:aws:iam::{A}:user/alice"));
    // READ to account A: A's user, allowed by its own policy, may list; the grant is an
    // account grant.
    let e = decide(alice(), "s3:ListBucket", "acl-read");
    assert_eq!(e.decision, Decision::Allow, "{e:#?}");
    assert_eq!(
        e.layer(crate::policy::Layer::Resource)
            .and_then(|l| l.grant_form),
        Some(Form::Account)
    );
    assert_eq!(
        decide(alice(), "s3:ListBucketVersions", "acl-read").decision,
        Decision::Allow
    );
    // READ does not grant writes or reads of objects.
    assert_eq!(
        decide(alice(), "s3:PutObject", "acl-read").decision,
        Decision::ImplicitDeny
    );
    // ACLs disabled: the same grant counts for nothing.
    assert_eq!(
        decide(alice(), "s3:ListBucket", "acl-off").decision,
        Decision::ImplicitDeny
    );
    // The owner's own grant adds nothing: no resource-side grant is made of it.
    assert!(matches!(
        snap.resource_policy("arn:aws:s3:::owner-only"),
        Known::Known(None)
    ));
    // A public READ grant, IgnorePublicAcls known off at both levels: anyone may list.
    let grants = snap.resource_policy("arn:aws:s3:::public-read");
    let Known::Known(Some(p)) = &grants else {
        panic!("{grants:?}")
    };
    assert!(p
        .statements
        .iter()
        .any(|s| s.sid == "BucketACL READ to AllUsers"));
}

/// A run without `--snapshot` gets [`Snapshot::absent`]: every lookup answers unknown and every
/// policy layer is unknown, while an empty but given folder is still a snapshot (its answers
/// are the folder's: here, nothing captured).
#[test]
fn the_absent_snapshot_answers_unknown_to_everything() {
    let s = Snapshot::absent();
    assert!(!s.is_given());
    assert!(std::ptr::eq(s, Snapshot::absent()), "one shared instance");
    assert!(matches!(s.bucket_owner("b"), Known::Unknown(_)));
    assert_eq!(s.known_bucket_owner("b"), None);
    assert!(matches!(
        s.principal_by_unique_id("AIDAEXAMPLE"),
        Known::Unknown(_)
    ));
    assert!(matches!(s.vpc_endpoint("vpce-1"), Known::Unknown(_)));
    assert!(matches!(
        s.org_standing("111122223333"),
        OrgStanding::Unknown(_)
    ));
    let alice = user("arn:aws:iam::111122223333:user/alice");
    assert!(matches!(s.identity_policies(&alice), Known::Unknown(_)));
    let req = Request {
        principal: alice,
        action: "s3:GetObject".to_owned(),
        resource: "arn:aws:s3:::b/k".to_owned(),
        resource_account: Some("111122223333".to_owned()),
        context: Context::default(),
    };
    let input = s.authz_input(&req);
    fn reason<T>(k: &Known<T>) -> Option<&str> {
        match k {
            Known::Unknown(why) => Some(why),
            Known::Known(_) => None,
        }
    }
    let reasons = [
        reason(&input.identity),
        reason(&input.boundary),
        reason(&input.session),
        reason(&input.resource),
        reason(&input.scp),
        reason(&input.rcp),
        reason(&input.vpc_endpoint),
    ];
    assert_eq!(reasons, [Some("no policy snapshot"); 7]);
    assert!(input.access_point.is_none());

    let dir = tempfile::tempdir().unwrap();
    let (given, problems) = load(dir.path());
    assert!(problems.is_empty(), "{problems:?}");
    assert!(given.is_given());
    // Root's implicit access is the engine's: a given snapshot's root has no identity policy.
    let root = Principal {
        kind: PrincipalKind::Root,
        arn: Some("arn:aws:iam::111122223333:root".to_owned()),
        account: Some("111122223333".to_owned()),
        role_arn: None,
        service: None,
    };
    assert_eq!(
        given
            .authz_input(&Request {
                principal: root,
                ..req
            })
            .identity,
        Known::Known(Vec::new())
    );
}
