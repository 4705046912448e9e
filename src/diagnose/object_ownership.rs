//! Object ownership: an object written by another account under `ObjectWriter` (or
//! `BucketOwnerPreferred` without `bucket-owner-full-control`) stays that account's; then the
//! object ACL is the only thing that can grant access to it, and bucket and IAM policies of
//! the bucket owner's account do not (S3 troubleshoot-403-errors; `API_OwnershipControlsRule`).
//! `BucketOwnerEnforced` disables ACLs and makes the bucket owner own every object.

use super::rule::{RuleHit, RuleOutcome};
use crate::findings::RootCause;
use crate::policy::Known;

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
