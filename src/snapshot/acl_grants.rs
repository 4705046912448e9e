//! The bucket ACL as a grant source beside the bucket policy (ISSUE 17 §5).
//!
//! S3 authorizes a bucket-level request when the bucket policy *or* the bucket ACL grants it
//! (both are resource-based: "Bucket policies and access control lists (ACLs) are
//! resource-based ... you can use them to grant permissions to other AWS accounts",
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html). The engine knows
//! policy statements only, so each ACL grant becomes one Allow statement with the actions of
//! AWS's table "Mapping of ACL permissions and access policy permissions" (same page):
//! - `READ` on a bucket: `s3:ListBucket`, `s3:ListBucketVersions`,
//!   `s3:ListBucketMultipartUploads`;
//! - `WRITE` on a bucket: `s3:PutObject` ("Allows grantee to create new objects in the bucket.
//!   For the bucket and object owners of existing objects, also allows deletions and
//!   overwrites of those objects": deleting and overwriting are the object owner's, which
//!   the bucket ACL alone does not tell, so [`super::object_acl_grants`] decides them per
//!   object: deletes granted to a `WRITE` grantee that owns it, the PutObject grant withdrawn
//!   from one that does not own an existing object);
//! - `READ_ACP`: `s3:GetBucketAcl`; `WRITE_ACP`: `s3:PutBucketAcl`;
//! - `FULL_CONTROL`: all of the above.
//!
//! Grantees: a canonical user becomes the account whose `canonical-id.json` holds the id (an
//! account grant: it delegates to the account's IAM policies, as a bucket-policy grant to the
//! account does; ACL grants name accounts, never IAM users); `AllUsers` becomes `*`;
//! `AuthenticatedUsers` becomes `*` for any caller that is not anonymous. Grants to the bucket
//! owner's own account add nothing (the owner's principals are judged by their identity
//! policies either way) and are left out, as are `LogDelivery` (a service's delivery, never a
//! caller of these requests) and e-mail grantees (S3 stores them as canonical users).
//!
//! ACLs count only where they are enabled: Object Ownership `BucketOwnerEnforced` "disables
//! all ACLs" (about-object-ownership.html). Public grants (`AllUsers`, `AuthenticatedUsers`)
//! count only when Block Public Access's `IgnorePublicAcls` is known to be off at both levels:
//! when it is on, S3 ignores them and the Block Public Access rule names that; when the
//! setting is unknown, leaving them out lets that rule say `unknown`.

use super::model::{Acl, AclGrant, Bucket, Grantee, ObjectOwnership, PublicAccessBlock};
use crate::policy::{Known, Policy, PolicyRef};
use serde_json::{json, Value};
use std::sync::Arc;

pub const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
pub const AUTH_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// The actions an ACL permission grants on a bucket (acl-overview.html's table).
pub fn bucket_permission_actions(permission: &str) -> &'static [&'static str] {
    match permission {
        "READ" => &[
            "s3:ListBucket",
            "s3:ListBucketVersions",
            "s3:ListBucketMultipartUploads",
        ],
        "WRITE" => &["s3:PutObject"],
        "READ_ACP" => &["s3:GetBucketAcl"],
        "WRITE_ACP" => &["s3:PutBucketAcl"],
        "FULL_CONTROL" => &[
            "s3:ListBucket",
            "s3:ListBucketVersions",
            "s3:ListBucketMultipartUploads",
            "s3:PutObject",
            "s3:GetBucketAcl",
            "s3:PutBucketAcl",
        ],
        _ => &[],
    }
}

/// The Allow statements the bucket's ACL adds, as policy JSON (empty when it adds none).
/// `owner_canonical`: the bucket owner's canonical id, when known; `account_of`: the account
/// of a canonical id; `public_counts`: `IgnorePublicAcls` is known to be off.
pub fn statements(
    bucket: &str,
    acl: &Acl,
    owner_canonical: Option<&str>,
    account_of: &dyn Fn(&str) -> Option<String>,
    public_counts: bool,
) -> Vec<Value> {
    let mut out = Vec::new();
    for grant in &acl.grants {
        let actions = bucket_permission_actions(&grant.permission);
        if actions.is_empty() {
            continue;
        }
        if let Some(id) = canonical_id(grant) {
            if Some(id) == owner_canonical || Some(id) == acl.owner_id.as_deref() {
                continue;
            }
        }
        let Some((principal, condition, who)) = grantee_principal(grant, account_of, public_counts)
        else {
            continue;
        };
        let resources: Vec<String> = actions
            .iter()
            .map(|a| {
                if *a == "s3:PutObject" {
                    format!("arn:*:s3:::{bucket}/*")
                } else {
                    format!("arn:*:s3:::{bucket}")
                }
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut st = json!({
            "Sid": format!("BucketACL {} to {who}", grant.permission),
            "Effect": "Allow",
            "Principal": principal,
            "Action": actions,
            "Resource": resources,
        });
        if let (Some(c), Some(o)) = (condition, st.as_object_mut()) {
            o.insert("Condition".to_owned(), c);
        }
        out.push(st);
    }
    out
}

/// The canonical user id a grant names, if it names one.
pub(super) fn canonical_id(grant: &AclGrant) -> Option<&str> {
    match &grant.grantee {
        Grantee::CanonicalUser(id) => Some(id),
        _ => None,
    }
}

/// The policy principal (and condition) a grant's grantee stands for, with a description for
/// the statement's Sid: a canonical user becomes its account (or stays a `CanonicalUser`
/// principal when no `canonical-id.json` holds it), `AllUsers` is `*` and
/// `AuthenticatedUsers` is `*` for non-anonymous callers, both only when public grants count.
/// `None`: the grantee grants no caller of these requests (`LogDelivery`, e-mail, others).
pub(super) fn grantee_principal(
    grant: &AclGrant,
    account_of: &dyn Fn(&str) -> Option<String>,
    public_counts: bool,
) -> Option<(Value, Option<Value>, String)> {
    Some(match &grant.grantee {
        Grantee::CanonicalUser(id) => match account_of(id) {
            Some(account) => (
                json!({"AWS": format!("arn:aws:iam::{account}:root")}),
                None,
                format!("account {account}"),
            ),
            None => (
                json!({"CanonicalUser": id}),
                None,
                format!("canonical user {id}"),
            ),
        },
        Grantee::Group(uri) if uri == ALL_USERS && public_counts => {
            (json!("*"), None, "AllUsers".to_owned())
        }
        Grantee::Group(uri) if uri == AUTH_USERS && public_counts => (
            json!("*"),
            Some(json!({"StringNotEquals": {"aws:PrincipalType": "Anonymous"}})),
            "AuthenticatedUsers".to_owned(),
        ),
        _ => return None,
    })
}

/// The bucket's resource-side grants: its policy with the ACL's statements appended (the
/// policy's own statements keep their places, so `#N` indices are unchanged). `None` when
/// the ACL adds nothing: the bucket policy alone then decides, as before.
pub fn resource_grants(
    b: &Bucket,
    owner_canonical: Option<&str>,
    account_of: &dyn Fn(&str) -> Option<String>,
    effective_bpa: &Known<Option<PublicAccessBlock>>,
) -> Option<Known<Option<PolicyRef>>> {
    let Known::Known(acl) = &b.acl else {
        return None;
    };
    if matches!(
        b.ownership,
        Known::Known(Some(ObjectOwnership::BucketOwnerEnforced))
    ) {
        return None;
    }
    let public_counts =
        matches!(effective_bpa, Known::Known(p) if !p.is_some_and(|p| p.ignore_public_acls));
    let extra = statements(&b.name, acl, owner_canonical, account_of, public_counts);
    if extra.is_empty() {
        return None;
    }
    let policy = match &b.policy {
        Known::Unknown(why) => return Some(Known::Unknown(why.clone())),
        Known::Known(p) => p,
    };
    // The document is the bucket policy (which parsed) plus statements made here; should it
    // fail anyway, the bucket policy alone stands.
    append(policy.as_ref(), &b.name, extra, account_of).map(|p| Known::Known(Some(p)))
}

/// `policy` (or an empty bucket policy of `bucket`) with `extra` appended to its statements,
/// canonical users resolved; `None` if the result does not parse. The bucket ACL's grants
/// (here) and an object ACL's (`object_acl_grants.rs`) join the bucket policy this way.
pub(super) fn append(
    policy: Option<&PolicyRef>,
    bucket: &str,
    extra: Vec<Value>,
    account_of: &dyn Fn(&str) -> Option<String>,
) -> Option<PolicyRef> {
    let mut doc = match policy {
        Some(p) => p.document.clone(),
        None => json!({"Version": "2012-10-17", "Statement": []}),
    };
    let obj = doc.as_object_mut()?;
    let mut list = match obj.remove("Statement") {
        Some(Value::Array(a)) => a,
        Some(one) => vec![one],
        None => Vec::new(),
    };
    list.extend(extra);
    obj.insert("Statement".to_owned(), Value::Array(list));
    let id = policy.map_or_else(|| format!("bucket-policy:{bucket}"), |p| p.id.clone());
    let merged = Policy::parse(id, &doc).ok()?;
    let merged = merged
        .with_canonical_users_resolved(account_of)
        .unwrap_or(merged);
    Some(Arc::new(merged))
}
