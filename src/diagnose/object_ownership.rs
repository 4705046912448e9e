//! Object ownership: an object written by another account under `ObjectWriter` (or
//! `BucketOwnerPreferred` without `bucket-owner-full-control`) stays that account's; then the
//! object ACL is the only thing that can grant access to it, and bucket and IAM policies of
//! the bucket owner's account do not (S3 troubleshoot-403-errors; `API_OwnershipControlsRule`).
//! `BucketOwnerEnforced` disables ACLs and makes the bucket owner own every object.

use super::rule::{RuleCx, RuleExtras, RuleHit, RuleOutcome, S3Rule};
use crate::findings::RootCause;
use crate::policy::Known;
use crate::scan::evidence::ObjectKey;
use crate::snapshot::ObjectOwnership;

/// The bucket's Object Ownership setting, as far as the rule needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    BucketOwnerEnforced,
    BucketOwnerPreferred,
    ObjectWriter,
    /// No ownership controls configured: S3's behaviour then is `ObjectWriter`.
    NotConfigured,
}

/// Who owns the object, as far as the snapshot and the logs say.
#[derive(Debug, Clone, PartialEq)]
pub enum ObjectOwner {
    /// The owning account id and where that came from (`objects.json`, a PutObject record).
    Account {
        account: String,
        source: String,
    },
    Unknown,
}

/// Object-level actions an ACL governs (reads and ACL calls on an existing object).
pub fn applies(action: &str) -> bool {
    let a = action.to_ascii_lowercase();
    a.starts_with("s3:getobject") || a.starts_with("s3:putobjectacl") || a == "s3:restoreobject"
}

/// The rule. `acl_grants_caller` is whether an object ACL grants the caller (`None` when the
/// snapshot does not hold object ACLs, which it never does today: the bucket owner's account
/// is granted only by `bucket-owner-full-control`, which the writer did not send when the
/// object stayed foreign-owned).
pub fn check(
    action: &str,
    caller_account: Option<&str>,
    ownership: &Known<Ownership>,
    owner: &ObjectOwner,
    acl_grants_caller: Option<bool>,
) -> RuleOutcome {
    if !applies(action) {
        return RuleOutcome::Clear;
    }
    let ObjectOwner::Account { account, source } = owner else {
        return RuleOutcome::Clear;
    };
    if Some(account.as_str()) == caller_account {
        return RuleOutcome::Clear;
    }
    match ownership {
        Known::Known(Ownership::BucketOwnerEnforced) => RuleOutcome::Clear,
        Known::Unknown(why) => RuleOutcome::Unknown(format!(
            "Object Ownership setting of the bucket (the object belongs to account {account}): {why}"
        )),
        Known::Known(setting) => {
            if acl_grants_caller == Some(true) {
                return RuleOutcome::Clear;
            }
            let setting = match setting {
                Ownership::BucketOwnerPreferred => "BucketOwnerPreferred",
                Ownership::ObjectWriter => "ObjectWriter",
                _ => "no ownership controls (ObjectWriter behaviour)",
            };
            RuleOutcome::Fires(RuleHit::setting(
                RootCause::ObjectOwnership,
                format!(
                    "the object belongs to account {account} ({source}), the bucket's Object Ownership is {setting} so ACLs are in force, and no ACL grants the caller"
                ),
            ))
        }
    }
}

/// The fix: let the bucket owner own every object (so its policies apply), or have the
/// writing account grant access in the object ACL.
pub fn remediation(bucket: Option<&str>) -> String {
    format!(
        "set Object Ownership to BucketOwnerEnforced (aws s3api put-bucket-ownership-controls --bucket {} --ownership-controls 'Rules=[{{ObjectOwnership=BucketOwnerEnforced}}]') so the bucket owner owns every object and policies apply; or have the writing account grant access with an object ACL",
        bucket.unwrap_or("<bucket>")
    )
}

/// The object-ownership rule as registered in [`super::rules::RULES`]: the bucket's Object
/// Ownership setting and the object's owner (the snapshot's `objects.json`, else a write by
/// another account in the logs).
pub struct Rule;

impl S3Rule for Rule {
    fn name(&self) -> &'static str {
        "object_ownership"
    }

    fn check(&self, cx: &RuleCx<'_>, _extras: &mut RuleExtras) -> Option<RuleOutcome> {
        let ownership = match cx.snapshot.bucket(cx.bucket) {
            Known::Known(b) => match &b.ownership {
                Known::Known(Some(ObjectOwnership::BucketOwnerEnforced)) => {
                    Known::Known(Ownership::BucketOwnerEnforced)
                }
                Known::Known(Some(ObjectOwnership::BucketOwnerPreferred)) => {
                    Known::Known(Ownership::BucketOwnerPreferred)
                }
                Known::Known(Some(ObjectOwnership::ObjectWriter)) => {
                    Known::Known(Ownership::ObjectWriter)
                }
                Known::Known(Some(ObjectOwnership::Other(o))) => {
                    Known::Unknown(format!("unrecognized Object Ownership `{o}`"))
                }
                Known::Known(None) => Known::Known(Ownership::NotConfigured),
                Known::Unknown(w) => Known::Unknown(w.clone()),
            },
            Known::Unknown(w) => Known::Unknown(w),
        };
        let version = match cx.request.context.get("s3:versionid") {
            crate::policy::KeyState::Present(v) => v.first().map(String::as_str),
            _ => None,
        };
        let owner = cx
            .key
            .map(|k| object_owner(cx, k, version))
            .unwrap_or(ObjectOwner::Unknown);
        // The bucket owner owns the object: its policies govern it, the ACL is no sole gate.
        if matches!(&owner, ObjectOwner::Account { account, .. } if Some(account.as_str()) == cx.resource_account)
        {
            return Some(RuleOutcome::Clear);
        }
        let caller = cx.request.principal.account.as_deref();
        let acl = cx.key.and_then(|k| {
            cx.snapshot
                .object_acl_grants_account(cx.bucket, k, version, caller, &cx.request.action)
        });
        let outcome = check(&cx.request.action, caller, &ownership, &owner, acl);
        // Say that the captured object ACL was read, and what it lacks.
        Some(match (outcome, acl) {
            (RuleOutcome::Fires(mut hit), Some(false)) => {
                hit.detail = hit.detail.replace(
                    "and no ACL grants the caller",
                    "and the object's ACL (object-acls/ in the snapshot) grants the caller's account nothing that covers the action",
                );
                RuleOutcome::Fires(hit)
            }
            // The ACL is there but cannot say (a grant to a canonical id the snapshot cannot
            // place, a public grant under an unknown IgnorePublicAcls): open, not a cause.
            (RuleOutcome::Fires(_), None)
                if cx.key.is_some_and(|k| {
                    cx.snapshot.object_acl(cx.bucket, k, version).is_some()
                }) =>
            {
                RuleOutcome::Unknown(
                    "whether the object's ACL grants the caller's account (a grant names a canonical id no canonical-id.json holds, or a public grant depends on IgnorePublicAcls)"
                        .to_owned(),
                )
            }
            (o, _) => o,
        })
    }
}

/// Who owns `key`: the owner in `objects.json`, else the `Owner` of the object's captured
/// ACL (`object-acls/`), else the last write by another account than the bucket owner's
/// without `bucket-owner-full-control`.
fn object_owner(cx: &RuleCx<'_>, key: &str, version: Option<&str>) -> ObjectOwner {
    let (s, bucket) = (cx.snapshot, cx.bucket);
    if version.is_none() {
        if let Known::Known(Some(entry)) = s.object(bucket, key) {
            if let Some(id) = entry.owner_id.as_deref() {
                if let Some(acct) = s.account_by_canonical_id(id) {
                    return ObjectOwner::Account {
                        account: acct.to_owned(),
                        source: "owner in objects.json".to_owned(),
                    };
                }
            }
        }
    }
    if let Some(id) = s.object_owner_canonical(bucket, key, version) {
        if let Some(acct) = s.account_by_canonical_id(&id) {
            return ObjectOwner::Account {
                account: acct.to_owned(),
                source: "owner in the object's ACL".to_owned(),
            };
        }
    }
    if let Some(w) = cx.evidence.foreign_writes.get(&ObjectKey::new(bucket, key)) {
        if Some(&*w.writer_account) != cx.resource_account {
            return ObjectOwner::Account {
                account: w.writer_account.to_string(),
                source: format!(
                    "written by {} {} without bucket-owner-full-control",
                    w.event_name,
                    w.event_id.as_deref().unwrap_or("?")
                ),
            };
        }
    }
    ObjectOwner::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn foreign() -> ObjectOwner {
        ObjectOwner::Account {
            account: "333333333333".into(),
            source: "objects.json".into(),
        }
    }

    /// API_OwnershipControlsRule: under ObjectWriter the uploader owns the object.
    #[test]
    fn foreign_object_under_object_writer_fires() {
        let o = check(
            "s3:GetObject",
            Some("222222222222"),
            &Known::Known(Ownership::ObjectWriter),
            &foreign(),
            None,
        );
        assert!(matches!(o, RuleOutcome::Fires(h) if h.root_cause == RootCause::ObjectOwnership));
    }

    /// BucketOwnerEnforced disables ACLs: the bucket owner owns every object.
    #[test]
    fn enforced_is_clear() {
        let o = check(
            "s3:GetObject",
            Some("222222222222"),
            &Known::Known(Ownership::BucketOwnerEnforced),
            &foreign(),
            None,
        );
        assert_eq!(o, RuleOutcome::Clear);
    }

    #[test]
    fn own_object_or_acl_grant_is_clear() {
        let o = check(
            "s3:GetObject",
            Some("333333333333"),
            &Known::Known(Ownership::ObjectWriter),
            &foreign(),
            None,
        );
        assert_eq!(o, RuleOutcome::Clear);
        let o = check(
            "s3:GetObject",
            Some("222222222222"),
            &Known::Known(Ownership::ObjectWriter),
            &foreign(),
            Some(true),
        );
        assert_eq!(o, RuleOutcome::Clear);
    }

    #[test]
    fn unknown_setting_is_unknown() {
        let o = check(
            "s3:GetObject",
            Some("222222222222"),
            &Known::Unknown("absent".into()),
            &foreign(),
            None,
        );
        assert!(matches!(o, RuleOutcome::Unknown(_)));
    }
}
