//! What every remediation text reads ([`FixInput`]) and the pieces they share: the resource a
//! grant names, and the statements to add or narrow. The texts themselves live with their
//! cause: the policy layers' in [`super::remediation`], each S3 rule's in its own module
//! (`block_public_access::remediation`, ...), the access point's in
//! [`super::access_point_fix`]; all of them import this file and nothing imports them back.
//!
//! Least privilege, concrete: the JSON statement to add names the exact action, the resource
//! ARN (`bucket/*` where objects are meant, the bucket ARN for bucket actions), and the
//! principal as it appears in the event; a statement to narrow or remove is named by policy
//! and Sid. Never `s3:*` on `*`.

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
pub fn partition_of(arn: &str) -> &str {
    match arn.split(':').nth(1) {
        Some(p) if arn.starts_with("arn:") && p.starts_with("aws") => p,
        _ => "aws",
    }
}

/// An identity-policy statement allowing `action` on `resource`.
pub fn stmt_identity(action: &str, resource: &str) -> String {
    json!({"Effect": "Allow", "Action": action, "Resource": resource}).to_string()
}

/// A resource-policy statement allowing `principal` (`*` for `anonymous`) `action` on
/// `resource`.
pub fn stmt_resource(principal: &str, action: &str, resource: &str) -> String {
    let p = if principal == "anonymous" {
        json!("*")
    } else {
        json!({"AWS": principal})
    };
    json!({"Effect": "Allow", "Principal": p, "Action": action, "Resource": resource}).to_string()
}

/// The fix of an explicit deny: narrow or remove the statement `f` names in `what`.
pub fn narrow(what: &str, f: &FixInput) -> String {
    let pid = f.policy_id.unwrap_or("the policy");
    let sid = f.statement_sid.unwrap_or("the matching Deny statement");
    format!(
        "narrow or remove statement {sid} of {what} {pid} so that it no longer matches {} on {} by {} (or add the condition the caller should meet)",
        f.action, f.resource_arn, f.principal
    )
}
