//! The smallest change that makes the request succeed, and the one-sentence reason.
//!
//! Least privilege, concrete: the JSON statement to add names the exact action, the resource
//! ARN (`bucket/*` where objects are meant, the bucket ARN for bucket actions), and the
//! principal as it appears in the event; a statement to narrow or remove is named by policy
//! and Sid; a setting is named with the CLI call that changes it. Never `s3:*` on `*`.

use super::cause::Fix;
use crate::findings::{PolicyType, RootCause};
use serde_json::json;

/// Everything the texts need about one finding.
#[derive(Debug, Clone, Default)]
pub struct FixInput<'a> {
    pub root_cause: Option<RootCause>,
    pub policy_type: Option<PolicyType>,
    pub explicit: bool,
    pub policy_id: Option<&'a str>,
    pub statement_sid: Option<&'a str>,
    /// The principal as the event names it (user ARN, role-session ARN, `anonymous`, or the
    /// account root for a cross-account caller whose ARN CloudTrail hides).
    pub principal: &'a str,
    /// The IAM identity whose policies grant (the user, or the role of a session).
    pub identity_arn: Option<&'a str>,
    pub action: &'a str,
    pub resource_arn: &'a str,
    pub bucket: Option<&'a str>,
    pub key: Option<&'a str>,
    pub kms_key_arn: Option<&'a str>,
    pub kms_action: Option<&'a str>,
    /// What the fix needs beyond the fields (which Block Public Access grant was blocked).
    pub fix: Fix,
    /// The access point ARN the request went through, if any.
    pub access_point: Option<&'a str>,
}

/// The resource a grant should name: `bucket/*` for object actions, the bucket otherwise, in
/// the partition of the request's resource ARN (`aws-cn`, `aws-us-gov`, else `aws`).
pub fn grant_resource(resource_arn: &str, bucket: Option<&str>, key: Option<&str>) -> String {
    // A directory bucket's CreateSession names the bucket's own s3express ARN.
    if crate::snapshot::s3express_bucket(resource_arn).is_some() {
        return resource_arn.to_owned();
    }
    let partition = partition_of(resource_arn);
    match (bucket, key) {
        (Some(b), Some(_)) => format!("arn:{partition}:s3:::{b}/*"),
        (Some(b), None) => format!("arn:{partition}:s3:::{b}"),
        _ => resource_arn.to_owned(),
    }
}

/// The partition an ARN names (`arn:PARTITION:...`), `aws` when it names none.
fn partition_of(arn: &str) -> &str {
    match arn.split(':').nth(1) {
        Some(p) if arn.starts_with("arn:") && p.starts_with("aws") => p,
        _ => "aws",
    }
}

fn stmt_identity(action: &str, resource: &str) -> String {
    json!({"Effect": "Allow", "Action": action, "Resource": resource}).to_string()
}

fn stmt_resource(principal: &str, action: &str, resource: &str) -> String {
    let p = if principal == "anonymous" {
        json!("*")
    } else {
        json!({"AWS": principal})
    };
    json!({"Effect": "Allow", "Principal": p, "Action": action, "Resource": resource}).to_string()
}

fn narrow(what: &str, f: &FixInput) -> String {
    let pid = f.policy_id.unwrap_or("the policy");
    let sid = f.statement_sid.unwrap_or("the matching Deny statement");
    format!(
        "narrow or remove statement {sid} of {what} {pid} so that it no longer matches {} on {} by {} (or add the condition the caller should meet)",
        f.action, f.resource_arn, f.principal
    )
}

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
        RootCause::Kms => {
            let key = f.kms_key_arn.unwrap_or("the bucket's KMS key");
            let ka = f.kms_action.unwrap_or("kms:Decrypt");
            if f.explicit {
                narrow("KMS key policy", f)
            } else {
                format!(
                    "add to the key policy of {key}: {} (and, when the key policy delegates to the account, to {who}'s identity policy: {})",
                    json!({"Effect": "Allow", "Principal": {"AWS": f.principal}, "Action": ka, "Resource": "*",
                        "Condition": {"StringEquals": {"kms:ViaService": "s3.amazonaws.com"}}}).to_string().replace("\"s3.amazonaws.com\"", "\"s3.<region>.amazonaws.com\""),
                    stmt_identity(ka, key)
                )
            }
        }
        RootCause::ObjectOwnership => format!(
            "set Object Ownership to BucketOwnerEnforced (aws s3api put-bucket-ownership-controls --bucket {} --ownership-controls 'Rules=[{{ObjectOwnership=BucketOwnerEnforced}}]') so the bucket owner owns every object and policies apply; or have the writing account grant access with an object ACL",
            f.bucket.unwrap_or("<bucket>")
        ),
        RootCause::BlockPublicAccess if f.policy_id.is_some() => {
            let p = f.policy_id.unwrap_or_default();
            format!(
                "the account-level setting is enforced by organization S3 policy {p} (\"Organization-level policies override account-level configurations\"): if the access is intended, change the policy's public_access_block_configuration @@assign or detach it from the account's path (aws organizations update-policy --policy-id {p} ..., from the management account); the account's own put-public-access-block cannot change it"
            )
        }
        RootCause::BlockPublicAccess => match f.fix {
            Fix::BlockedAclWrite => format!(
                "BlockPublicAcls rejects writes that carry a public ACL: send the request without the public canned ACL or grant (with Object Ownership BucketOwnerEnforced, no ACL at all) and grant read access in the bucket policy instead: {}",
                stmt_resource(f.principal, f.action, &res)
            ),
            Fix::BlockedPolicyWrite => format!(
                "BlockPublicPolicy rejects a public bucket policy for {}: give every Allow statement a fixed principal or a fixed condition (aws:PrincipalOrgID, aws:SourceVpce, aws:SourceAccount, ...); if the bucket must be public, turn BlockPublicPolicy off at the level that sets it",
                f.bucket.unwrap_or("<bucket>")
            ),
            Fix::PublicAcl => format!(
                "IgnorePublicAcls ignores the public ACL grant: grant the access in the bucket policy instead: {}",
                stmt_resource(f.principal, f.action, &res)
            ),
            _ if f.principal == "anonymous" => format!(
                "RestrictPublicBuckets blocks the public grant for anonymous callers; if public access to {} is intended, turn RestrictPublicBuckets off for the bucket (aws s3api put-public-access-block --bucket {} ...) and the account; otherwise the block works as intended",
                f.resource_arn,
                f.bucket.unwrap_or("<bucket>")
            ),
            _ => format!(
                "RestrictPublicBuckets blocks every cross-account grant inside a public bucket policy: make the policy non-public (drop or pin down the statements with Principal \"*\") so that this grant applies: {}; or turn RestrictPublicBuckets off for the bucket and the account",
                stmt_resource(f.principal, f.action, &res)
            ),
        },
        RootCause::RequesterPays => {
            if f.principal == "anonymous" {
                "Requester Pays buckets refuse anonymous requests: sign the request with AWS credentials and send x-amz-request-payer: requester (--request-payer requester)".to_owned()
            } else {
                format!(
                    "send x-amz-request-payer: requester (aws s3api ... --request-payer requester; SDKs: RequestPayer='requester') when calling {} on {}",
                    f.action, f.resource_arn
                )
            }
        }
        RootCause::ObjectNotFound => format!(
            "the key does not exist: check the key name; to get 404 instead of 403 for missing keys, allow s3:ListBucket: {}",
            stmt_identity("s3:ListBucket", &format!("arn:{}:s3:::{}", partition_of(f.resource_arn), f.bucket.unwrap_or("<bucket>")))
        ),
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
