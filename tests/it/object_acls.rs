//! Object ACLs as a grant source (ISSUE 17 §5), end to end: the snapshot's optional
//! `object-acls/` files (README "Object ACLs"), `analyze` and `explain`. A child of
//! `diagnose` so that it builds its organizations with the same [`Org`] harness.

use super::*;
use denytrail::snapshot::object_acls::file_name;

fn grant(account: &str, permission: &str) -> Value {
    json!({"Grantee": {"Type": "CanonicalUser", "ID": canonical(account)}, "Permission": permission})
}

fn acl(owner: &str, grants: Vec<Value>) -> Value {
    json!({"Owner": {"ID": canonical(owner)}, "Grants": grants})
}

const OBJECT_WRITER: &str = "ObjectWriter";

/// A bucket in PROD with ACLs enabled (or not), and a DATA user `bob` allowed `s3:*` by his
/// own policy, limited by a boundary allowing only `boundary_allows`.
fn partner_org(ownership: &str, boundary_allows: &str) -> Org {
    let mut o = Org::new();
    o.bucket(
        PROD,
        "shared",
        None,
        vec![
            (
                "ownership-controls.json",
                json!({"OwnershipControls": {"Rules": [{"ObjectOwnership": ownership}]}}),
            ),
            (
                "public-access-block.json",
                json!({"PublicAccessBlockConfiguration": null}),
            ),
        ],
    );
    o.user(
        DATA,
        "bob",
        vec![("p", doc(json!([allow(json!("s3:*"), json!("*"))])))],
        Some(doc(json!([allow(json!(boundary_allows), json!("*"))]))),
    );
    o
}

fn object_acl(o: &mut Org, key: &str, version: Option<&str>, v: Value) {
    o.file(
        format!(
            "accounts/{PROD}/s3/shared/object-acls/{}",
            file_name(key, version)
        ),
        v,
    );
}

fn bob_calls(o: &mut Org, event: &str, key: &str, extra: Value) -> String {
    o.s3(
        &user_id(DATA, "bob"),
        PROD,
        event,
        "shared",
        Some(key),
        Some("AccessDenied"),
        None,
        extra,
    )
}

/// acl-overview.html, "Mapping of ACL permissions and access policy permissions": `READ`
/// granted on an object is "s3:GetObject, s3:GetObjectVersion" (and s3:GetObjectTorrent). A
/// cross-account caller needs both sides; the object ACL is the resource side, so a caller
/// it grants but whose own boundary does not allow the read is stopped by the boundary
/// ("Permissions boundaries ... limit the maximum permissions that identity-based policies
/// can grant", access_policies_boundaries.html), not by a missing grant. The key holds a `/`,
/// a space and upper-case letters: its file name is the encoded key.
#[test]
fn object_acl_read_grant_makes_the_boundary_the_cause() {
    let key = "Team/Q1 plan.csv";
    let mut o = partner_org(OBJECT_WRITER, "s3:ListBucket");
    let id = bob_calls(&mut o, "GetObject", key, json!({}));
    // Without the object's ACL, nothing on the resource side grants DATA anything.
    expect(
        &o.one(&id),
        "missing_allow",
        Some("implicit"),
        Some("resource"),
        Some("bucket-policy:shared"),
        None,
    );
    object_acl(
        &mut o,
        key,
        None,
        acl(PROD, vec![grant(PROD, "FULL_CONTROL"), grant(DATA, "READ")]),
    );
    expect(
        &o.one(&id),
        "permissions_boundary",
        Some("implicit"),
        Some("permissions_boundary"),
        Some("arn:aws:iam::333333333333:policy/bob-boundary"),
        None,
    );
    // `explain` names the object ACL grant that satisfied the resource side.
    let (snap, logs) = o.write();
    let mut c = denytrail();
    c.args(["explain", &id, "--snapshot"]).arg(&snap).arg(&logs);
    let (out, stdout, stderr) = run(c);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("ObjectACL READ to account 333333333333"),
        "{stdout}"
    );
}

/// READ is not READ_ACP: "READ_ACP ... s3:GetObjectAcl, s3:GetObjectVersionAcl" (same table).
/// A READ grant leaves GetObjectAcl without a resource-side grant.
#[test]
fn object_acl_read_does_not_grant_reading_the_acl() {
    let mut o = partner_org(OBJECT_WRITER, "s3:*");
    object_acl(
        &mut o,
        "k",
        None,
        acl(PROD, vec![grant(PROD, "FULL_CONTROL"), grant(DATA, "READ")]),
    );
    let id = bob_calls(&mut o, "GetObjectAcl", "k", json!({}));
    expect(
        &o.one(&id),
        "missing_allow",
        Some("implicit"),
        Some("resource"),
        Some("bucket-policy:shared"),
        None,
    );
}

/// about-object-ownership.html: with Bucket owner enforced "ACLs are disabled and no longer
/// affect access permissions": the same READ grant counts for nothing.
#[test]
fn object_acl_is_ignored_under_bucket_owner_enforced() {
    let mut o = partner_org("BucketOwnerEnforced", "s3:ListBucket");
    object_acl(
        &mut o,
        "k",
        None,
        acl(PROD, vec![grant(PROD, "FULL_CONTROL"), grant(DATA, "READ")]),
    );
    let id = bob_calls(&mut o, "GetObject", "k", json!({}));
    expect(
        &o.one(&id),
        "missing_allow",
        Some("implicit"),
        Some("resource"),
        Some("bucket-policy:shared"),
        None,
    );
}

/// "Permissions are set at the version level ... to get the permissions of a specific object
/// version, you must specify its version ID" (S3 User Guide, "Working with objects in a
/// versioning-enabled bucket"): a request for a version is judged by that version's ACL
/// (`<key>~<version>.json`), not the current version's.
#[test]
fn object_acl_of_the_requested_version_decides() {
    let mut o = partner_org(OBJECT_WRITER, "s3:ListBucket");
    object_acl(
        &mut o,
        "k",
        Some("v1"),
        acl(PROD, vec![grant(DATA, "READ")]),
    );
    object_acl(&mut o, "k", None, acl(PROD, vec![]));
    let v1 = bob_calls(
        &mut o,
        "GetObject",
        "k",
        json!({"requestParameters": {"versionId": "v1"}}),
    );
    let current = bob_calls(&mut o, "GetObject", "k", json!({}));
    let all = o.analyze();
    assert_eq!(all[&v1]["root_cause"], "permissions_boundary", "{all:#?}");
    assert_eq!(all[&current]["root_cause"], "missing_allow", "{all:#?}");
}

/// acl-overview.html, "ACL permissions", WRITE on a bucket: "Allows grantee to create new
/// objects in the bucket. For the bucket and object owners of existing objects, also allows
/// deletions and overwrites of those objects." DATA holds WRITE on the bucket ACL: deleting
/// or overwriting its own object (the object ACL's Owner), or creating a new one, is granted,
/// so its boundary is what stops it; deleting or overwriting the bucket owner's object is not
/// granted by WRITE at all.
#[test]
fn bucket_acl_write_lets_the_object_owner_delete() {
    let mut o = partner_org(OBJECT_WRITER, "s3:ListBucket");
    o.file(
        format!("accounts/{PROD}/s3/shared/acl.json"),
        acl(
            PROD,
            vec![grant(PROD, "FULL_CONTROL"), grant(DATA, "WRITE")],
        ),
    );
    object_acl(
        &mut o,
        "mine",
        None,
        acl(DATA, vec![grant(DATA, "FULL_CONTROL")]),
    );
    object_acl(
        &mut o,
        "theirs",
        None,
        acl(PROD, vec![grant(PROD, "FULL_CONTROL")]),
    );
    let mine = bob_calls(&mut o, "DeleteObject", "mine", json!({}));
    let theirs = bob_calls(&mut o, "DeleteObject", "theirs", json!({}));
    let put = bob_calls(&mut o, "PutObject", "new", json!({}));
    let overwrite_mine = bob_calls(&mut o, "PutObject", "mine", json!({}));
    let overwrite_theirs = bob_calls(&mut o, "PutObject", "theirs", json!({}));
    let all = o.analyze();
    assert_eq!(all[&mine]["root_cause"], "permissions_boundary", "{all:#?}");
    assert_eq!(all[&theirs]["root_cause"], "missing_allow", "{all:#?}");
    assert_eq!(all[&theirs]["policy_type"], "resource", "{all:#?}");
    // Creating is WRITE's first grant, for any grantee; overwriting is the object owner's.
    assert_eq!(all[&put]["root_cause"], "permissions_boundary", "{all:#?}");
    assert_eq!(
        all[&overwrite_mine]["root_cause"], "permissions_boundary",
        "{all:#?}"
    );
    assert_eq!(
        all[&overwrite_theirs]["root_cause"], "missing_allow",
        "{all:#?}"
    );
}

/// API_OwnershipControlsRule: under ObjectWriter "The uploading account will own the object";
/// the bucket owner's users then reach it only through the object ACL (troubleshoot-403).
/// The captured ACL names the owner (DATA) and decides the rule both ways: no grant to PROD →
/// `object_ownership`; `bucket-owner-read` ("Object owner gets FULL_CONTROL. Bucket owner gets
/// READ access", acl-overview.html "Canned ACL") → not the cause.
#[test]
fn object_ownership_is_decided_by_the_captured_acl() {
    let mut o = Org::new();
    o.bucket(
        PROD,
        "uploads",
        None,
        vec![(
            "ownership-controls.json",
            json!({"OwnershipControls": {"Rules": [{"ObjectOwnership": OBJECT_WRITER}]}}),
        )],
    );
    o.user(
        PROD,
        "alice",
        vec![("p", doc(json!([allow(json!("s3:GetObject"), json!("*"))])))],
        None,
    );
    let dir = format!("accounts/{PROD}/s3/uploads/object-acls");
    o.file(
        format!("{dir}/{}", file_name("private.csv", None)),
        acl(DATA, vec![grant(DATA, "FULL_CONTROL")]),
    );
    o.file(
        format!("{dir}/{}", file_name("shared.csv", None)),
        acl(DATA, vec![grant(DATA, "FULL_CONTROL"), grant(PROD, "READ")]),
    );
    let call = |o: &mut Org, key: &str| {
        o.s3(
            &user_id(PROD, "alice"),
            PROD,
            "GetObject",
            "uploads",
            Some(key),
            Some("AccessDenied"),
            None,
            json!({}),
        )
    };
    let private = call(&mut o, "private.csv");
    let shared = call(&mut o, "shared.csv");
    let unseen = call(&mut o, "unseen.csv");
    let all = o.analyze();
    assert_eq!(all[&private]["root_cause"], "object_ownership", "{all:#?}");
    assert!(
        all[&private]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("owner in the object's ACL"),
        "{all:#?}"
    );
    assert_ne!(all[&shared]["root_cause"], "object_ownership", "{all:#?}");
    // No ACL, no listing, no write in the logs: the owner is unknown, as before.
    assert_ne!(all[&unseen]["root_cause"], "object_ownership", "{all:#?}");
}

/// access-control-block-public-access.html, IgnorePublicAcls: "Setting this option to TRUE
/// causes Amazon S3 to ignore all public ACLs on a bucket and any objects that it contains."
/// An object made `public-read` (AllUsers READ in its ACL) refuses an anonymous read while the
/// bucket's setting is on: `block_public_access`, the setting named; with it off, the same
/// read is granted by the ACL, so nothing denies it.
#[test]
fn ignore_public_acls_explains_a_refused_public_object() {
    let all_users = json!({"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"});
    let mut o = partner_org(OBJECT_WRITER, "s3:*");
    object_acl(
        &mut o,
        "public.png",
        None,
        acl(PROD, vec![grant(PROD, "FULL_CONTROL"), all_users]),
    );
    let id = o.s3(
        &anonymous(),
        PROD,
        "GetObject",
        "shared",
        Some("public.png"),
        Some("AccessDenied"),
        None,
        json!({}),
    );
    o.file(
        format!("accounts/{PROD}/s3/shared/public-access-block.json"),
        json!({"PublicAccessBlockConfiguration": {"BlockPublicAcls": false, "IgnorePublicAcls": true, "BlockPublicPolicy": false, "RestrictPublicBuckets": false}}),
    );
    let f = o.one(&id);
    assert_eq!(f["root_cause"], "block_public_access", "{f:#}");
    assert!(
        f["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("IgnorePublicAcls"),
        "{f:#}"
    );
    o.file(
        format!("accounts/{PROD}/s3/shared/public-access-block.json"),
        json!({"PublicAccessBlockConfiguration": null}),
    );
    assert_ne!(o.one(&id)["root_cause"], "block_public_access");
}

/// `unknown` only when the missing piece could change the verdict: the object's ACL grants
/// READ to a canonical id, and the snapshot has no `canonical-id.json` for the caller's
/// account, so that id may be the caller's. The rule cannot say `object_ownership`.
#[test]
fn object_ownership_stays_open_when_the_acl_names_an_id_we_cannot_place() {
    let mut o = Org::new();
    o.bucket(
        PROD,
        "uploads",
        None,
        vec![(
            "ownership-controls.json",
            json!({"OwnershipControls": {"Rules": [{"ObjectOwnership": OBJECT_WRITER}]}}),
        )],
    );
    o.user(
        PROD,
        "alice",
        vec![("p", doc(json!([allow(json!("s3:GetObject"), json!("*"))])))],
        None,
    );
    o.files
        .retain(|(p, _)| p != Path::new(&format!("accounts/{PROD}/canonical-id.json")));
    o.file(
        format!(
            "accounts/{PROD}/s3/uploads/object-acls/{}",
            file_name("feed.csv", None)
        ),
        json!({"Owner": {"ID": canonical(DATA)}, "Grants": [grant(DATA, "FULL_CONTROL"),
            {"Grantee": {"Type": "CanonicalUser", "ID": "f".repeat(64)}, "Permission": "READ"}]}),
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
    let f = o.one(&id);
    assert_eq!(f["root_cause"], "unknown", "{f:#}");
    assert!(
        f["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("whether the object's ACL grants the caller's account"),
        "{f:#}"
    );
}
