//! `IgnorePublicAcls` on an object's own ACL (ISSUE 17 §5), beside the bucket-ACL check of
//! [`super::block_public_access`]: "Setting this option to TRUE causes Amazon S3 to ignore all
//! public ACLs on a bucket and any objects that it contains"
//! (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html).
//! Read where the object's ACL was captured and ACLs are enabled (the engine then counted its
//! public grants only with `IgnorePublicAcls` known off): a public grant that covers the
//! action, ignored by the setting, is why an outside caller was refused.

use super::block_public_access::{ignored_public_grant, Asker, BpaLevels};
use super::rule::{RuleCx, RuleOutcome};
use crate::policy::KeyState;
use crate::snapshot::{object_permission_actions, Acl};

/// The object-ACL permission that grants `action` (acl-overview.html's object column).
fn permission_for(action: &str) -> Option<&'static str> {
    ["READ", "READ_ACP", "WRITE_ACP"].into_iter().find(|p| {
        object_permission_actions(p)
            .iter()
            .any(|a| a.eq_ignore_ascii_case(action))
    })
}

/// The check on one object ACL.
pub fn check(levels: &BpaLevels, acl: &Acl, action: &str, asker: Asker) -> RuleOutcome {
    match permission_for(action) {
        Some(perm) => ignored_public_grant(levels, acl, perm, asker, "object's ACL"),
        None => RuleOutcome::Clear,
    }
}

/// The check on the object `cx` names, where its ACL is captured and counts.
pub fn check_request(cx: &RuleCx<'_>, levels: &BpaLevels, asker: Asker) -> RuleOutcome {
    let Some(key) = cx.key else {
        return RuleOutcome::Clear;
    };
    let version = match cx.request.context.get("s3:versionid") {
        KeyState::Present(v) => v.first().map(String::as_str),
        _ => None,
    };
    match cx.snapshot.object_acl(cx.bucket, key, version) {
        Some(acl) => check(levels, acl, &cx.request.action, asker),
        None => RuleOutcome::Clear,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::block_public_access::BpaSettings;
    use crate::findings::RootCause;
    use crate::snapshot::{AclGrant, Grantee, ALL_USERS, AUTH_USERS};

    fn levels(ignore: Option<bool>) -> BpaLevels {
        let s = BpaSettings {
            ignore_public_acls: ignore,
            ..BpaSettings::default()
        };
        BpaLevels {
            bucket: s,
            account: s,
            account_from_org_policy: None,
        }
    }

    fn acl(uri: &str, permission: &str) -> Acl {
        Acl {
            owner_id: Some("owner".into()),
            grants: vec![AclGrant {
                grantee: Grantee::Group(uri.into()),
                permission: permission.into(),
            }],
        }
    }

    /// access-control-block-public-access.html, IgnorePublicAcls: "causes Amazon S3 to ignore
    /// all public ACLs on a bucket and any objects that it contains". An object's
    /// `public-read` (AllUsers READ) is ignored for s3:GetObject, not for what READ does not
    /// grant; AuthenticatedUsers is public to signed callers only; the setting unknown leaves
    /// the question open; the owner's own account is never the public.
    #[test]
    fn ignore_public_acls_neutralizes_an_object_acl_public_grant() {
        let public_read = acl(ALL_USERS, "READ");
        let on = levels(Some(true));
        let fires = |o: RuleOutcome| matches!(o, RuleOutcome::Fires(h) if h.root_cause == RootCause::BlockPublicAccess);
        assert!(fires(check(
            &on,
            &public_read,
            "s3:GetObject",
            Asker::Anonymous
        )));
        assert!(fires(check(
            &on,
            &public_read,
            "s3:GetObjectVersion",
            Asker::CrossAccount
        )));
        assert_eq!(
            check(&on, &public_read, "s3:GetObjectAcl", Asker::Anonymous),
            RuleOutcome::Clear
        );
        assert_eq!(
            check(&on, &public_read, "s3:GetObject", Asker::SameAccount),
            RuleOutcome::Clear
        );
        assert_eq!(
            check(
                &levels(Some(false)),
                &public_read,
                "s3:GetObject",
                Asker::Anonymous
            ),
            RuleOutcome::Clear
        );
        assert!(matches!(
            check(
                &levels(None),
                &public_read,
                "s3:GetObject",
                Asker::Anonymous
            ),
            RuleOutcome::Unknown(_)
        ));
        let authenticated = acl(AUTH_USERS, "FULL_CONTROL");
        assert_eq!(
            check(&on, &authenticated, "s3:GetObject", Asker::Anonymous),
            RuleOutcome::Clear
        );
        assert!(fires(check(
            &on,
            &authenticated,
            "s3:PutObjectAcl",
            Asker::CrossAccount
        )));
    }
}
