//! The object ACL as a grant source, at the engine: acl-overview.html's table, permission by
//! permission and action by action, each verdict checked against the naive oracle of the
//! engine tests (`policy/tests/oracle.rs`), which reads the statements made of the ACL as
//! plain policy JSON.

use super::*;
use crate::policy::tests::oracle;
use crate::policy::{
    authorize, AuthzInput, Context, Decision, Policy, Principal, PrincipalKind, Request,
};
use serde_json::{json, Value};
use std::path::Path;

const OWNER: &str = "444455556666";
const PARTNER: &str = "111122223333";
const WRITER: &str = "777788889999";

fn put(root: &Path, rel: &str, v: &Value) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

fn canon(account: &str) -> String {
    format!("canon-{account}")
}

fn grant(id: &str, permission: &str) -> Value {
    json!({"Grantee": {"Type": "CanonicalUser", "ID": id}, "Permission": permission})
}

fn group(uri: &str, permission: &str) -> Value {
    json!({"Grantee": {"Type": "Group", "URI": uri}, "Permission": permission})
}

/// Bucket `b` of OWNER with `ownership`, Block Public Access off or `IgnorePublicAcls` on,
/// the bucket ACL `bucket_grants` and object ACLs by (key, version).
fn snapshot(
    ownership: &str,
    ignore_public_acls: bool,
    bucket_grants: Vec<Value>,
    objects: Vec<(&str, Option<&str>, &str, Vec<Value>)>,
) -> (tempfile::TempDir, Snapshot) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for a in [OWNER, PARTNER, WRITER] {
        put(
            root,
            &format!("accounts/{a}/canonical-id.json"),
            &json!({"ID": canon(a)}),
        );
    }
    put(
        root,
        &format!("accounts/{OWNER}/s3control/public-access-block.json"),
        &json!({"PublicAccessBlockConfiguration": {"IgnorePublicAcls": ignore_public_acls}}),
    );
    let d = format!("accounts/{OWNER}/s3/b");
    put(root, &format!("{d}/policy.json"), &json!({"Policy": null}));
    put(
        root,
        &format!("{d}/public-access-block.json"),
        &json!({"PublicAccessBlockConfiguration": null}),
    );
    put(
        root,
        &format!("{d}/ownership-controls.json"),
        &json!({"OwnershipControls": {"Rules": [{"ObjectOwnership": ownership}]}}),
    );
    put(
        root,
        &format!("{d}/acl.json"),
        &json!({"Owner": {"ID": canon(OWNER)}, "Grants": bucket_grants}),
    );
    for (key, version, owner, grants) in objects {
        put(
            root,
            &format!("{d}/object-acls/{}", object_acls::file_name(key, version)),
            &json!({"Owner": {"ID": canon(owner)}, "Grants": grants}),
        );
    }
    let (snap, problems) = Snapshot::load(root).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    (dir, snap)
}

fn caller(account: Option<&str>) -> Principal {
    match account {
        Some(a) => Principal {
            kind: PrincipalKind::User,
            arn: Some(format!("arn:aws:iam::{a}:user/u")),
            account: Some(a.to_owned()),
            role_arn: None,
            service: None,
        },
        None => Principal {
            kind: PrincipalKind::Anonymous,
            arn: None,
            account: None,
            role_arn: None,
            service: None,
        },
    }
}

/// The engine's verdict (the caller's own side allows everything), checked against the oracle.
fn decide(
    snap: &Snapshot,
    who: Option<&str>,
    action: &str,
    key: &str,
    version: Option<&str>,
) -> Decision {
    let mut context = Context::default();
    context.set(
        "aws:principaltype",
        if who.is_some() { "User" } else { "Anonymous" },
    );
    match version {
        Some(v) => context.set("s3:versionid", v),
        None => context.mark_absent("s3:versionid"),
    }
    let r = Request {
        principal: caller(who),
        action: action.to_owned(),
        resource: format!("arn:aws:s3:::b/{key}"),
        resource_account: Some(OWNER.to_owned()),
        context,
    };
    let identity = match who {
        Some(_) => vec![Policy::parse_ref(
            "id",
            &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}).to_string(),
        )
        .unwrap()],
        None => vec![],
    };
    let input = AuthzInput {
        identity: Known::Known(identity),
        boundary: Known::Known(None),
        session: Known::Known(None),
        resource: snap.resource_policy_for(&r),
        scp: Known::Known(None),
        rcp: Known::Known(None),
        vpc_endpoint: Known::Known(None),
        access_point: None,
    };
    let e = authorize(&r, &input);
    // The statements made of the ACLs are plain policy JSON: the oracle always has an opinion.
    let o = oracle::decide(&r, &input);
    assert_eq!(o, Some(e.decision), "oracle on {action} {key}: {e:#?}");
    e.decision
}

const OBJECT_ACTIONS: [&str; 9] = [
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectTorrent",
    "s3:GetObjectAcl",
    "s3:GetObjectVersionAcl",
    "s3:PutObjectAcl",
    "s3:PutObjectVersionAcl",
    "s3:DeleteObject",
    "s3:GetObjectTagging",
];

/// acl-overview.html, "Mapping of ACL permissions and access policy permissions", "When the
/// ACL permission is granted on an object": READ = "s3:GetObject, s3:GetObjectVersion, and
/// s3:GetObjectTorrent"; WRITE = "Not applicable"; READ_ACP = "s3:GetObjectAcl and
/// s3:GetObjectVersionAcl"; WRITE_ACP = "s3:PutObjectAcl and s3:PutObjectVersionAcl";
/// FULL_CONTROL = "Equivalent to granting READ, READ_ACP, and WRITE_ACP ACL permissions".
/// Anything else (tagging, deletes) no object ACL grants.
#[test]
fn object_acl_permissions_map_to_actions_as_the_table_says() {
    let expected: [(&str, &[&str]); 5] = [
        (
            "READ",
            &["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTorrent"],
        ),
        ("WRITE", &[]),
        ("READ_ACP", &["s3:GetObjectAcl", "s3:GetObjectVersionAcl"]),
        ("WRITE_ACP", &["s3:PutObjectAcl", "s3:PutObjectVersionAcl"]),
        (
            "FULL_CONTROL",
            &[
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:GetObjectTorrent",
                "s3:GetObjectAcl",
                "s3:GetObjectVersionAcl",
                "s3:PutObjectAcl",
                "s3:PutObjectVersionAcl",
            ],
        ),
    ];
    for (permission, granted) in expected {
        let (_d, snap) = snapshot(
            "ObjectWriter",
            false,
            vec![grant(&canon(OWNER), "FULL_CONTROL")],
            vec![(
                "k",
                None,
                OWNER,
                vec![
                    grant(&canon(OWNER), "FULL_CONTROL"),
                    grant(&canon(PARTNER), permission),
                ],
            )],
        );
        for action in OBJECT_ACTIONS {
            let want = if granted.contains(&action) {
                Decision::Allow
            } else {
                Decision::ImplicitDeny
            };
            assert_eq!(
                decide(&snap, Some(PARTNER), action, "k", None),
                want,
                "{permission} / {action}"
            );
        }
        // The grant is to the partner's account: another account gets nothing from it.
        assert_eq!(
            decide(&snap, Some(WRITER), "s3:GetObject", "k", None),
            Decision::ImplicitDeny
        );
    }
}

/// about-object-ownership.html: Bucket owner enforced — "ACLs are disabled and no longer
/// affect access permissions"; an unknown setting may be that one, so no ACL counts either.
#[test]
fn object_acl_counts_only_where_acls_are_enabled() {
    let grants = vec![grant(&canon(PARTNER), "READ")];
    for (ownership, want) in [
        ("ObjectWriter", Decision::Allow),
        ("BucketOwnerPreferred", Decision::Allow),
        ("BucketOwnerEnforced", Decision::ImplicitDeny),
    ] {
        let (_d, snap) = snapshot(
            ownership,
            false,
            vec![],
            vec![("k", None, OWNER, grants.clone())],
        );
        assert_eq!(
            decide(&snap, Some(PARTNER), "s3:GetObject", "k", None),
            want,
            "{ownership}"
        );
    }
}

/// access-control-block-public-access.html, IgnorePublicAcls: "Setting this option to TRUE
/// causes Amazon S3 to ignore all public ACLs on a bucket and any objects that it contains."
/// AllUsers READ on the object lets an anonymous caller read only while it is off;
/// AuthenticatedUsers never grants the anonymous caller.
#[test]
fn public_object_acl_grants_follow_ignore_public_acls() {
    let all = group(ALL_USERS, "READ");
    let auth = group(AUTH_USERS, "READ");
    for (ignore, want) in [(false, Decision::Allow), (true, Decision::ImplicitDeny)] {
        let (_d, snap) = snapshot(
            "ObjectWriter",
            ignore,
            vec![],
            vec![
                ("public", None, OWNER, vec![all.clone()]),
                ("authenticated", None, OWNER, vec![auth.clone()]),
            ],
        );
        assert_eq!(
            decide(&snap, None, "s3:GetObject", "public", None),
            want,
            "IgnorePublicAcls {ignore}"
        );
        assert_eq!(
            decide(&snap, None, "s3:GetObject", "authenticated", None),
            Decision::ImplicitDeny
        );
        assert_eq!(
            decide(&snap, Some(WRITER), "s3:GetObject", "authenticated", None),
            want
        );
    }
}

/// Each object version has its own ACL ("Permissions are set at the version level",
/// S3 User Guide on versioned objects): a request naming a version reads that version's file,
/// one without a version the current one's; an uncaptured version grants nothing.
#[test]
fn the_requested_versions_acl_is_the_one_that_counts() {
    let (_d, snap) = snapshot(
        "ObjectWriter",
        false,
        vec![],
        vec![
            ("k", Some("v1"), OWNER, vec![grant(&canon(PARTNER), "READ")]),
            ("k", None, OWNER, vec![]),
        ],
    );
    let get = |v| decide(&snap, Some(PARTNER), "s3:GetObjectVersion", "k", v);
    assert_eq!(get(Some("v1")), Decision::Allow);
    assert_eq!(get(Some("v2")), Decision::ImplicitDeny);
    assert_eq!(
        decide(&snap, Some(PARTNER), "s3:GetObject", "k", None),
        Decision::ImplicitDeny
    );
}

/// acl-overview.html, "ACL permissions", WRITE on a bucket: "Allows grantee to create new
/// objects in the bucket. For the bucket and object owners of existing objects, also allows
/// deletions and overwrites of those objects." The object's owner is the object ACL's
/// `Owner` (or `objects.json`'s): WRITER, holding WRITE, may delete and overwrite its own
/// object, not another's, and create new ones.
#[test]
fn bucket_write_deletes_only_what_the_grantee_owns() {
    let (_d, snap) = snapshot(
        "ObjectWriter",
        false,
        vec![
            grant(&canon(OWNER), "FULL_CONTROL"),
            grant(&canon(WRITER), "WRITE"),
        ],
        vec![
            (
                "own",
                None,
                WRITER,
                vec![grant(&canon(WRITER), "FULL_CONTROL")],
            ),
            (
                "theirs",
                None,
                OWNER,
                vec![grant(&canon(OWNER), "FULL_CONTROL")],
            ),
        ],
    );
    for action in ["s3:DeleteObject", "s3:DeleteObjectVersion"] {
        assert_eq!(
            decide(&snap, Some(WRITER), action, "own", None),
            Decision::Allow,
            "{action}"
        );
        assert_eq!(
            decide(&snap, Some(WRITER), action, "theirs", None),
            Decision::ImplicitDeny,
            "{action}"
        );
    }
    // Creating is granted to any grantee; overwriting an existing object only to its owner.
    assert_eq!(
        decide(&snap, Some(WRITER), "s3:PutObject", "new", None),
        Decision::Allow
    );
    assert_eq!(
        decide(&snap, Some(WRITER), "s3:PutObject", "own", None),
        Decision::Allow
    );
    assert_eq!(
        decide(&snap, Some(WRITER), "s3:PutObject", "theirs", None),
        Decision::ImplicitDeny
    );
    // WRITE is no read: "Not applicable" on objects, ListBucket is READ's.
    assert_eq!(
        decide(&snap, Some(WRITER), "s3:GetObject", "theirs", None),
        Decision::ImplicitDeny
    );
    // The owner's object ACL FULL_CONTROL, on a foreign-owned object, is a cross-account
    // grant to the owner's account (its own policies must still allow).
    assert_eq!(
        decide(&snap, Some(WRITER), "s3:GetObjectAcl", "own", None),
        Decision::Allow
    );
}
