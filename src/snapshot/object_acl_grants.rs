//! The object ACL as a grant source for object actions (ISSUE 17 §5), as the bucket ACL is for
//! bucket actions ([`super::acl_grants`]).
//!
//! "Amazon S3 access control lists (ACLs) enable you to manage access to buckets and objects.
//! Each bucket and object has an ACL attached to it as a subresource. ... When a request is
//! received against a resource, Amazon S3 checks the corresponding ACL to verify that the
//! requester has the necessary access permissions."
//! (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html). Its table
//! "Mapping of ACL permissions and access policy permissions", column "when the ACL permission
//! is granted on an object":
//! - `READ`: `s3:GetObject`, `s3:GetObjectVersion`, `s3:GetObjectTorrent`;
//! - `WRITE`: "Not applicable";
//! - `READ_ACP`: `s3:GetObjectAcl`, `s3:GetObjectVersionAcl`;
//! - `WRITE_ACP`: `s3:PutObjectAcl`, `s3:PutObjectVersionAcl`;
//! - `FULL_CONTROL`: "Allows grantee the READ, READ_ACP, and WRITE_ACP permissions on the
//!   object".
//!
//! The bucket ACL's `WRITE` reaches objects too: "Allows grantee to create new objects in the
//! bucket. For the bucket and object owners of existing objects, also allows deletions and
//! overwrites of those objects" (same page, "ACL permissions"). Creating is `s3:PutObject`
//! on `bucket/*` ([`super::acl_grants`]); deleting (`s3:DeleteObject`,
//! `s3:DeleteObjectVersion`) is granted here, per object, to a `WRITE` grantee that owns the
//! object (the owner from the object ACL's `Owner`, else `objects.json`), and a PutObject on
//! an object known to exist is granted by `WRITE` only to its owner (an overwrite). The bucket owner's
//! own grants add nothing (its principals are judged by their identity policies either way).
//!
//! Each grant becomes one Allow statement, appended to the bucket's resource-side grants for
//! this request only, with the object's ARN as resource and a Sid naming the ACL, the
//! permission and the grantee (`ObjectACL READ to account 2222...`), which is what `explain`
//! shows when it decides. As for the bucket ACL: nothing counts under Object Ownership
//! `BucketOwnerEnforced` ("ACLs are disabled and no longer affect access permissions",
//! about-object-ownership.html), public grants count only when `IgnorePublicAcls` is known off,
//! and an object whose ACL was not captured keeps the bucket's grants alone (as before).

use super::acl_grants::{append, canonical_id, grantee_principal};
use super::model::{Acl, AclGrant, Bucket, Grantee, ObjectOwnership};
use super::{s3_bucket_and_key, Snapshot};
use super::{ALL_USERS, AUTH_USERS};
use crate::policy::{KeyState, Known, PolicyRef, Request};
use serde_json::{json, Value};

/// The actions an ACL permission grants on an object (acl-overview.html's table).
pub fn object_permission_actions(permission: &str) -> &'static [&'static str] {
    const READ: [&str; 3] = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTorrent"];
    match permission {
        "READ" => &READ,
        "READ_ACP" => &["s3:GetObjectAcl", "s3:GetObjectVersionAcl"],
        "WRITE_ACP" => &["s3:PutObjectAcl", "s3:PutObjectVersionAcl"],
        "FULL_CONTROL" => &[
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:GetObjectTorrent",
            "s3:GetObjectAcl",
            "s3:GetObjectVersionAcl",
            "s3:PutObjectAcl",
            "s3:PutObjectVersionAcl",
        ],
        _ => &[],
    }
}

/// What a bucket-ACL `WRITE` (or `FULL_CONTROL`) adds on an object its grantee owns.
const OWNER_WRITE: [&str; 2] = ["s3:DeleteObject", "s3:DeleteObjectVersion"];

fn grants_action(actions: &[&str], action: &str) -> bool {
    actions.iter().any(|a| a.eq_ignore_ascii_case(action))
}

/// The object a request names: bucket, key and the version id (`s3:versionid`), if any.
fn object_of(req: &Request) -> Option<(&str, &str, Option<&str>)> {
    let (bucket, key) = s3_bucket_and_key(&req.resource)?;
    let key = key.filter(|k| !k.is_empty())?;
    let version = match req.context.get("s3:versionid") {
        KeyState::Present(v) => v.first().map(String::as_str),
        _ => None,
    };
    Some((bucket, key, version))
}

impl Snapshot {
    /// The captured ACL of an object (version), where ACLs are in force on its bucket:
    /// `None` when it was not captured or Object Ownership is `BucketOwnerEnforced` (or
    /// unknown: then no ACL is known to count).
    pub fn object_acl(&self, bucket: &str, key: &str, version: Option<&str>) -> Option<&Acl> {
        let Known::Known(b) = self.bucket(bucket) else {
            return None;
        };
        if b.object_acls.is_empty() || !acls_enabled(b) {
            return None;
        }
        b.object_acls
            .get(&(key.to_owned(), version.map(str::to_owned)))
    }

    /// The object's owner as a canonical id: the captured ACL's `Owner`, else `objects.json`.
    pub fn object_owner_canonical(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> Option<String> {
        let Known::Known(b) = self.bucket(bucket) else {
            return None;
        };
        if !b.object_acls.is_empty() {
            if let Some(id) = b
                .object_acls
                .get(&(key.to_owned(), version.map(str::to_owned)))
                .and_then(|a| a.owner_id.clone())
            {
                return Some(id);
            }
        }
        if version.is_some() {
            return None;
        }
        match self.object(bucket, key) {
            Known::Known(Some(e)) => e.owner_id.clone(),
            _ => None,
        }
    }

    /// Whether the object's captured ACL grants `account` (or everyone, where public grants
    /// count) a permission that covers `action`. `None` when that is open: no ACL of the object
    /// is known to count (not captured, ACLs disabled or the setting unknown), or a grant that
    /// covers the action names a canonical id the snapshot cannot tell from the caller's
    /// account (no `canonical-id.json` for it), or a public grant covers it while
    /// `IgnorePublicAcls` is unknown.
    pub fn object_acl_grants_account(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
        account: Option<&str>,
        action: &str,
    ) -> Option<bool> {
        let acl = self.object_acl(bucket, key, version)?;
        let caller_canonical =
            account
                .and_then(|a| self.accounts.get(a))
                .and_then(|a| match &a.canonical_id {
                    Known::Known(c) => Some(c.as_str()),
                    Known::Unknown(_) => None,
                });
        let bpa = self.effective_public_access_block(bucket);
        let mut open = false;
        for g in &acl.grants {
            if !grants_action(object_permission_actions(&g.permission), action) {
                continue;
            }
            let public = match &g.grantee {
                Grantee::CanonicalUser(id) => {
                    if Some(id.as_str()) == caller_canonical {
                        return Some(true);
                    }
                    // Someone else's id, unless neither side is known.
                    if caller_canonical.is_none()
                        && self
                            .account_by_canonical_id(id)
                            .is_none_or(|a| Some(a) == account)
                    {
                        open = true;
                    }
                    continue;
                }
                Grantee::Group(u) => u == ALL_USERS || (u == AUTH_USERS && account.is_some()),
                _ => false,
            };
            if public {
                match &bpa {
                    Known::Known(p) if !p.is_some_and(|p| p.ignore_public_acls) => {
                        return Some(true)
                    }
                    Known::Known(_) => {}
                    Known::Unknown(_) => open = true,
                }
            }
        }
        (!open).then_some(false)
    }

    /// `IgnorePublicAcls` is known to be off at both levels.
    fn public_acls_count(&self, bucket: &str) -> bool {
        matches!(self.effective_public_access_block(bucket),
            Known::Known(p) if !p.is_some_and(|p| p.ignore_public_acls))
    }

    /// The resource-side grants of `req`: the bucket policy and bucket ACL
    /// ([`Snapshot::resource_policy`]) plus, for an object whose ACL was captured, the object
    /// ACL's grants, and the deletes a bucket-ACL `WRITE` gives the object's owner; for a
    /// PutObject on an existing object, without the `WRITE` grants of non-owners.
    pub fn resource_policy_for(&self, req: &Request) -> Known<Option<PolicyRef>> {
        let base = self.resource_policy(&req.resource);
        if req.action.eq_ignore_ascii_case("s3:PutObject") {
            return self.overwrite_grants(req).unwrap_or(base);
        }
        // Cheap tests first: this runs for every request the diagnosis makes.
        let object_action = grants_action(object_permission_actions("FULL_CONTROL"), &req.action);
        let delete = grants_action(&OWNER_WRITE, &req.action);
        if !object_action && !delete {
            return base;
        }
        let Some((bucket, key, version)) = object_of(req) else {
            return base;
        };
        let Known::Known(b) = self.bucket(bucket) else {
            return base;
        };
        let may_add = (object_action && !b.object_acls.is_empty())
            || (delete
                && matches!(&b.acl, Known::Known(a) if a.grants.iter().any(|g| {
                    matches!(g.permission.as_str(), "WRITE" | "FULL_CONTROL")
                        && canonical_id(g).is_some_and(|id| Some(id) != a.owner_id.as_deref())
                })));
        if !may_add || !acls_enabled(b) {
            return base;
        }
        let extra = self.object_statements(b, key, version, req);
        if extra.is_empty() {
            return base;
        }
        let Known::Known(policy) = &base else {
            return base;
        };
        match append(policy.as_ref(), bucket, extra, &|id| {
            self.account_by_canonical_id(id).map(str::to_owned)
        }) {
            Some(p) => Known::Known(Some(p)),
            None => base,
        }
    }

    /// A PutObject on an object that exists, owned by someone: the bucket ACL's `WRITE` lets
    /// its grantee "create new objects in the bucket. For the bucket and object owners of
    /// existing objects, also allows deletions and overwrites of those objects"
    /// (acl-overview.html, "ACL permissions"), so a `WRITE` (or `FULL_CONTROL`) grantee that
    /// does not own the existing object gets no overwrite from it: the resource-side grants are
    /// the bucket policy with the ACL's statements made without those grantees. `None` (the
    /// bucket's grants stand) when the object is not known to exist with a known owner, or no
    /// such grant is in the ACL.
    fn overwrite_grants(&self, req: &Request) -> Option<Known<Option<PolicyRef>>> {
        let (bucket, key, _) = object_of(req)?;
        let Known::Known(b) = self.bucket(bucket) else {
            return None;
        };
        let Known::Known(acl) = &b.acl else {
            return None;
        };
        let writes = |g: &AclGrant| matches!(g.permission.as_str(), "WRITE" | "FULL_CONTROL");
        let bucket_owner = self
            .accounts
            .get(&b.account)
            .and_then(|a| match &a.canonical_id {
                Known::Known(c) => Some(c.as_str()),
                Known::Unknown(_) => None,
            });
        let is_owner_grant = |g: &AclGrant| {
            canonical_id(g)
                .is_some_and(|id| Some(id) == bucket_owner || Some(id) == acl.owner_id.as_deref())
        };
        // Only an ACL that lets someone besides the bucket owner write has anything to lose.
        if !acl.grants.iter().any(|g| writes(g) && !is_owner_grant(g)) || !acls_enabled(b) {
            return None;
        }
        let owner = self.object_owner_canonical(bucket, key, None)?;
        let kept = Acl {
            owner_id: acl.owner_id.clone(),
            grants: acl
                .grants
                .iter()
                .filter(|g| !writes(g) || is_owner_grant(g) || canonical_id(g) == Some(&owner))
                .cloned()
                .collect(),
        };
        let Known::Known(policy) = &b.policy else {
            return Some(b.policy.clone());
        };
        let account_of = |id: &str| self.account_by_canonical_id(id).map(str::to_owned);
        let extra = super::acl_grants::statements(
            bucket,
            &kept,
            bucket_owner,
            &account_of,
            self.public_acls_count(bucket),
        );
        if extra.is_empty() {
            return Some(Known::Known(policy.clone()));
        }
        append(policy.as_ref(), bucket, extra, &account_of).map(|p| Known::Known(Some(p)))
    }

    /// The statements the object's ACL (and the bucket ACL's `WRITE` for the object's owner)
    /// add for `req`'s action; only grants that cover the action are made, so a request the
    /// ACLs say nothing about keeps the bucket's policy unchanged.
    fn object_statements(
        &self,
        b: &Bucket,
        key: &str,
        version: Option<&str>,
        req: &Request,
    ) -> Vec<Value> {
        let bucket_owner = self
            .accounts
            .get(&b.account)
            .and_then(|a| match &a.canonical_id {
                Known::Known(c) => Some(c.clone()),
                Known::Unknown(_) => None,
            });
        let account_of = |id: &str| self.account_by_canonical_id(id).map(str::to_owned);
        let public = self.public_acls_count(&b.name);
        let resource = if req.resource.contains('$') {
            // A key holding `${` would read as a policy variable; the statement serves this
            // request only, so the bucket's objects are as precise.
            format!("arn:*:s3:::{}/*", b.name)
        } else {
            req.resource.clone()
        };
        let mut out = Vec::new();
        let mut push = |g: &AclGrant, actions: &[&str], source: &str| {
            if !grants_action(actions, &req.action) {
                return;
            }
            if canonical_id(g).is_some() && canonical_id(g) == bucket_owner.as_deref() {
                return;
            }
            let Some((principal, condition, who)) = grantee_principal(g, &account_of, public)
            else {
                return;
            };
            let mut st = json!({
                "Sid": format!("{source} {} to {who}", g.permission),
                "Effect": "Allow",
                "Principal": principal,
                "Action": actions,
                "Resource": resource,
            });
            if let (Some(c), Some(o)) = (condition, st.as_object_mut()) {
                o.insert("Condition".to_owned(), c);
            }
            out.push(st);
        };
        if let Some(acl) = b
            .object_acls
            .get(&(key.to_owned(), version.map(str::to_owned)))
        {
            for g in &acl.grants {
                push(g, object_permission_actions(&g.permission), "ObjectACL");
            }
        }
        let owner = self.object_owner_canonical(&b.name, key, version);
        if let (Known::Known(bacl), Some(owner)) = (&b.acl, owner) {
            for g in &bacl.grants {
                if matches!(g.permission.as_str(), "WRITE" | "FULL_CONTROL")
                    && canonical_id(g) == Some(owner.as_str())
                {
                    push(g, &OWNER_WRITE, "BucketACL (object owner)");
                }
            }
        }
        out
    }
}

/// ACLs count unless Object Ownership is (or may be) `BucketOwnerEnforced`.
fn acls_enabled(b: &Bucket) -> bool {
    matches!(
        &b.ownership,
        Known::Known(o) if !matches!(o, Some(ObjectOwnership::BucketOwnerEnforced))
    )
}
