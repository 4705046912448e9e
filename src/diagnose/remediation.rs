//! The smallest change that makes the request succeed, and the one-sentence reason: the
//! policy layers' texts here, each S3 rule's in its own module, the pieces they share (the
//! input, the statements to add or narrow) in [`super::fix_input`].
//!
//! Least privilege, concrete: the JSON statement to add names the exact action, the resource
//! ARN (`bucket/*` where objects are meant, the bucket ARN for bucket actions), and the
//! principal as it appears in the event; a statement to narrow or remove is named by policy
//! and Sid; a setting is named with the CLI call that changes it. Never `s3:*` on `*`.

pub use super::fix_input::{grant_resource, FixInput};
use super::fix_input::{narrow, stmt_identity, stmt_resource};
use crate::findings::{PolicyType, RootCause};

/// The remediation text for a finding.
pub fn remediation(f: &FixInput) -> Option<String> {
    let res = grant_resource(f.resource_arn, f.bucket, f.key);
    let only = if f.key.is_some() {
        format!(
            " (to allow only this object: \"Resource\": \"{}\")",
            f.resource_arn
        )
    } else {
        String::new()
    };
    let who = f.identity_arn.unwrap_or(f.principal);
    let text = match f.root_cause? {
        RootCause::ExplicitDeny => match f.policy_type {
            Some(PolicyType::Resource) => narrow("bucket policy", f),
            _ => narrow("identity policy", f),
        },
        RootCause::MissingAllow => match f.policy_type {
            Some(PolicyType::Resource) if f.access_point.is_some() => {
                super::access_point_fix::delegation(f, &res)
            }
            _ if f.access_point.is_some() => format!(
                "attach to {who} an identity policy with: {} (a request through an access point is matched against the access point's ARN)",
                stmt_identity(f.action, &super::access_point_fix::ap_resource(f))
            ),
            Some(PolicyType::Resource) => format!(
                "add to the bucket policy of {}: {}{only}",
                f.bucket.unwrap_or("the bucket"),
                stmt_resource(f.principal, f.action, &res)
            ),
            _ => format!(
                "attach to {who} an identity policy with: {}{only}",
                stmt_identity(f.action, &res)
            ),
        },
        RootCause::Scp | RootCause::Rcp | RootCause::VpcEndpoint
        | RootCause::PermissionsBoundary | RootCause::SessionPolicy => {
            let what = match f.root_cause? {
                RootCause::Scp => "service control policy",
                RootCause::Rcp => "resource control policy",
                RootCause::VpcEndpoint => "VPC endpoint policy",
                RootCause::PermissionsBoundary => "permissions boundary",
                _ => "session policy",
            };
            if f.explicit {
                narrow(what, f)
            } else {
                match f.root_cause? {
                    RootCause::VpcEndpoint => format!(
                        "add to the policy of endpoint {}: {}",
                        f.policy_id.unwrap_or("the VPC endpoint"),
                        stmt_resource(f.principal, f.action, &res)
                    ),
                    RootCause::SessionPolicy => format!(
                        "pass a session policy that also allows the action when assuming the role (or none): {}",
                        stmt_identity(f.action, &res)
                    ),
                    RootCause::Scp | RootCause::Rcp => format!(
                        "add an Allow for {} at {} (every level from the root to the account needs one): {}",
                        f.action,
                        f.policy_id.unwrap_or("the organization level that lacks it"),
                        stmt_identity(f.action, &res)
                    ),
                    _ => format!(
                        "add to the permissions boundary {}: {}",
                        f.policy_id.unwrap_or("of the caller"),
                        stmt_identity(f.action, &res)
                    ),
                }
            }
        }
        RootCause::AccessPoint => super::access_point_fix::access_point(f),
        RootCause::Kms => super::kms::remediation(f, who),
        RootCause::ObjectOwnership => super::object_ownership::remediation(f.bucket),
        RootCause::BlockPublicAccess => super::block_public_access::remediation(f, &res),
        RootCause::RequesterPays => super::requester_pays::remediation(f),
        RootCause::ObjectNotFound => super::object_not_found::remediation(f),
        RootCause::BlockedEncryptionType => super::blocked_encryption::remediation(f.bucket),
        RootCause::ObjectLock => super::object_lock::remediation(f.fix, f.bucket, f.key, who),
        RootCause::RequestError | RootCause::Unknown => return None,
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> FixInput<'static> {
        FixInput {
            principal: "arn:aws:iam::111122223333:user/bob",
            identity_arn: Some("arn:aws:iam::111122223333:user/bob"),
            action: "s3:GetObject",
            resource_arn: "arn:aws:s3:::b/reports/q3.csv",
            bucket: Some("b"),
            key: Some("reports/q3.csv"),
            ..FixInput::default()
        }
    }

    /// Least privilege: the exact action on `bucket/*`, never `s3:*` on `*`.
    #[test]
    fn missing_identity_allow_names_exact_action_and_objects() {
        let mut f = base();
        f.root_cause = Some(RootCause::MissingAllow);
        f.policy_type = Some(PolicyType::Identity);
        let r = remediation(&f).unwrap();
        assert!(r.contains("\"Action\":\"s3:GetObject\""), "{r}");
        assert!(r.contains("\"Resource\":\"arn:aws:s3:::b/*\""), "{r}");
        assert!(!r.contains("s3:*"), "{r}");
    }

    #[test]
    fn missing_bucket_allow_names_the_principal_as_in_the_event() {
        let mut f = base();
        f.root_cause = Some(RootCause::MissingAllow);
        f.policy_type = Some(PolicyType::Resource);
        let r = remediation(&f).unwrap();
        assert!(
            r.contains("\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:user/bob\"}"),
            "{r}"
        );
    }

    #[test]
    fn explicit_deny_names_policy_and_sid() {
        let mut f = base();
        f.root_cause = Some(RootCause::ExplicitDeny);
        f.policy_type = Some(PolicyType::Resource);
        f.explicit = true;
        f.policy_id = Some("bucket-policy:b");
        f.statement_sid = Some("DenyDelete");
        let r = remediation(&f).unwrap();
        assert!(
            r.contains("DenyDelete") && r.contains("bucket-policy:b"),
            "{r}"
        );
    }

    #[test]
    fn requester_pays_says_the_flag() {
        let mut f = base();
        f.root_cause = Some(RootCause::RequesterPays);
        assert!(remediation(&f)
            .unwrap()
            .contains("--request-payer requester"));
    }

    #[test]
    fn bucket_actions_name_the_bucket_arn() {
        assert_eq!(
            grant_resource("arn:aws:s3:::b", Some("b"), None),
            "arn:aws:s3:::b"
        );
    }

    /// A grant in a China or GovCloud account names its partition (AWS General Reference,
    /// ARNs for Amazon Web Services in China: "In the Beijing and Ningxia Regions, the Amazon
    /// Resource Name (ARN) syntax includes a cn"); it used to say `arn:aws:`.
    #[test]
    fn grants_name_the_partition_of_the_resource() {
        assert_eq!(
            grant_resource("arn:aws-cn:s3:::b/k", Some("b"), Some("k")),
            "arn:aws-cn:s3:::b/*"
        );
        assert_eq!(
            grant_resource("arn:aws-us-gov:s3:::b", Some("b"), None),
            "arn:aws-us-gov:s3:::b"
        );
        assert_eq!(
            grant_resource("arn:aws:s3:::b/k", Some("b"), Some("k")),
            "arn:aws:s3:::b/*"
        );
    }
}
