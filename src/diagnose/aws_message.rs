//! AWS's own verdict, parsed from the enhanced access-denied `errorMessage`.
//!
//! Since 2024 S3 writes the deciding policy type into the message for same-account and
//! same-organization requests (`... because no identity-based policy allows the s3:GetObject
//! action`, `... with an explicit deny in a service control policy`). The diagnosis uses it as
//! a cross-check only: the engine's answer stands, and a message that names no layer the
//! engine found failing marks the finding `disagrees_with_aws` (snapshot drift is the usual
//! reason). AWS names only one type even when several deny, so the check is "names any failing
//! layer", never "names the primary one".
//!
//! Tolerated drift (AWS-NOTES.md, "Drift and variants"): a leading sentence before `User:`
//! (EC2-style "You are not authorized to perform this operation."), the resource ARN in double
//! quotes or not, `on this resource` without an ARN (KMS through S3), `sessions policy` (sic),
//! the VPC endpoint denial transitively through an SCP, older SCP messages that say "explicit"
//! for an implicit denial (the deny type is therefore never compared), `VpceAccessDenied`
//! network events, and messages with no reason clause at all (no verdict).

use crate::findings::{DenyType, PolicyType};

/// The verdict an enhanced access-denied message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsVerdict {
    /// The policy types the message names (one, or two for the VPC endpoint denial
    /// "transitively through a service control policy").
    pub policy_types: Vec<PolicyType>,
    /// What the message says; older SCP messages say explicit for implicit denials, so this is
    /// reported, never compared.
    pub deny_type: Option<DenyType>,
    /// The action the message names (`s3:GetObject`, or `kms:Decrypt` when S3's call to KMS
    /// failed), when it names one.
    pub action: Option<String>,
}

impl AwsVerdict {
    /// Whether the denial the message describes happened at KMS (S3 relays KMS's message).
    pub fn is_kms(&self) -> bool {
        self.action
            .as_deref()
            .is_some_and(|a| a.to_ascii_lowercase().starts_with("kms:"))
    }

    /// The phrase for `reason`: "an explicit deny in a service control policy".
    pub fn describe(&self) -> String {
        let names: Vec<&str> = self.policy_types.iter().map(|t| type_phrase(*t)).collect();
        let names = names.join(" (through a service control policy) / ");
        match self.deny_type {
            Some(DenyType::Explicit) => format!("an explicit deny in a {names}"),
            Some(DenyType::Implicit) => format!("no {names} allowing it"),
            None => format!("a denial by a {names}"),
        }
    }
}

/// The policy-type phrases of AWS's templates, longest first so that "resource control
/// policy" is not read as a "resource-based policy" and "sessions policy" matches before
/// "session policy".
const TYPE_PHRASES: [(&str, PolicyType); 9] = [
    ("identity-based policy", PolicyType::Identity),
    ("resource-based policy", PolicyType::Resource),
    ("permissions boundary", PolicyType::PermissionsBoundary),
    ("sessions policy", PolicyType::SessionPolicy),
    ("session policy", PolicyType::SessionPolicy),
    ("service control policy", PolicyType::Scp),
    ("resource control policy", PolicyType::Rcp),
    ("vpc endpoint policy", PolicyType::VpcEndpoint),
    ("vpce policy", PolicyType::VpcEndpoint),
];

fn type_phrase(t: PolicyType) -> &'static str {
    match t {
        PolicyType::Identity => "identity-based policy",
        PolicyType::Resource => "resource-based policy",
        PolicyType::PermissionsBoundary => "permissions boundary",
        PolicyType::SessionPolicy => "session policy",
        PolicyType::Scp => "service control policy",
        PolicyType::Rcp => "resource control policy",
        PolicyType::VpcEndpoint => "VPC endpoint policy",
        PolicyType::KmsKey => "KMS key policy",
    }
}

/// The first policy type named at the start of `s` (already lower-cased).
fn type_at(s: &str) -> Option<PolicyType> {
    TYPE_PHRASES
        .iter()
        .find(|(p, _)| s.starts_with(p))
        .map(|(_, t)| *t)
}

/// The action named after `perform:` (`s3:GetObject`), if any.
fn action_of(msg: &str) -> Option<String> {
    let lower = msg.to_ascii_lowercase();
    let at = lower.find("perform:")? + "perform:".len();
    let rest = msg.get(at..)?.trim_start();
    let action: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != ',')
        .collect();
    // Only an `service:Action` shape counts; "perform: this operation" does not.
    (action.contains(':') && !action.ends_with(':')).then_some(action)
}

/// Parses AWS's verdict from a record's `errorCode` and `errorMessage`. `None` when the
/// message carries no verdict (plain `Access Denied`, no reason clause, a role trust policy).
pub fn parse(error_code: Option<&str>, message: Option<&str>) -> Option<AwsVerdict> {
    let msg = message?;
    let lower = msg.to_ascii_lowercase();
    let action = action_of(msg);

    if error_code == Some("VpceAccessDenied")
        || lower.contains("denied due to a vpc endpoint policy")
    {
        return Some(AwsVerdict {
            policy_types: vec![PolicyType::VpcEndpoint],
            deny_type: None,
            action,
        });
    }

    const EXPLICIT: &str = "with an explicit deny in ";
    if let Some(i) = lower.find(EXPLICIT) {
        let rest = &lower[i + EXPLICIT.len()..];
        let rest = strip_article(rest);
        let first = type_at(rest)?;
        let mut types = vec![first];
        if first == PolicyType::VpcEndpoint
            && rest.contains("transitively through a service control policy")
        {
            types.push(PolicyType::Scp);
        }
        return Some(AwsVerdict {
            policy_types: types,
            deny_type: Some(DenyType::Explicit),
            action,
        });
    }

    const IMPLICIT: &str = "because no ";
    if let Some(i) = lower.find(IMPLICIT) {
        let rest = &lower[i + IMPLICIT.len()..];
        let t = type_at(rest)?;
        return Some(AwsVerdict {
            policy_types: vec![t],
            deny_type: Some(DenyType::Implicit),
            action,
        });
    }
    None
}

fn strip_article(s: &str) -> &str {
    for a in ["an ", "a ", "the "] {
        if let Some(r) = s.strip_prefix(a) {
            return r;
        }
    }
    s
}

/// The cross-check of FINDINGS.md: `None` when AWS gave no verdict, `Some(false)` when the
/// message names any of the `failing` policy types (AWS names only one), `Some(true)`
/// otherwise. A message relayed from KMS (`kms:*` action) names KMS's own layers, so it is
/// consistent exactly when KMS failed.
pub fn disagrees(verdict: Option<&AwsVerdict>, failing: &[PolicyType]) -> Option<bool> {
    let v = verdict?;
    if v.is_kms() {
        return Some(!failing.contains(&PolicyType::KmsKey));
    }
    Some(!v.policy_types.iter().any(|t| failing.contains(t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::b/k\"";

    fn p(msg: &str) -> Option<AwsVerdict> {
        parse(Some("AccessDenied"), Some(msg))
    }

    /// Every template of the IAM troubleshooting page, implicit and explicit.
    #[test]
    fn every_documented_template_is_read() {
        let cases = [
            (
                "because no identity-based policy allows the s3:GetObject action",
                PolicyType::Identity,
                DenyType::Implicit,
            ),
            (
                "with an explicit deny in an identity-based policy",
                PolicyType::Identity,
                DenyType::Explicit,
            ),
            (
                "because no resource-based policy allows the s3:GetObject action",
                PolicyType::Resource,
                DenyType::Implicit,
            ),
            (
                "with an explicit deny in a resource-based policy",
                PolicyType::Resource,
                DenyType::Explicit,
            ),
            (
                "because no permissions boundary allows the s3:GetObject action",
                PolicyType::PermissionsBoundary,
                DenyType::Implicit,
            ),
            (
                "with an explicit deny in a permissions boundary",
                PolicyType::PermissionsBoundary,
                DenyType::Explicit,
            ),
            (
                "because no session policy allows the s3:GetObject action",
                PolicyType::SessionPolicy,
                DenyType::Implicit,
            ),
            (
                "with an explicit deny in a sessions policy",
                PolicyType::SessionPolicy,
                DenyType::Explicit,
            ),
            (
                "because no service control policy allows the s3:GetObject action",
                PolicyType::Scp,
                DenyType::Implicit,
            ),
            (
                "with an explicit deny in a service control policy",
                PolicyType::Scp,
                DenyType::Explicit,
            ),
            (
                "with an explicit deny in a resource control policy",
                PolicyType::Rcp,
                DenyType::Explicit,
            ),
            (
                "because no VPC endpoint policy allows the s3:GetObject action",
                PolicyType::VpcEndpoint,
                DenyType::Implicit,
            ),
            (
                "with an explicit deny in a VPC endpoint policy",
                PolicyType::VpcEndpoint,
                DenyType::Explicit,
            ),
        ];
        for (suffix, t, d) in cases {
            let v = p(&format!("{USER} {suffix}")).unwrap_or_else(|| panic!("{suffix}"));
            assert_eq!(v.policy_types, vec![t], "{suffix}");
            assert_eq!(v.deny_type, Some(d), "{suffix}");
            assert_eq!(v.action.as_deref(), Some("s3:GetObject"));
        }
    }

    #[test]
    fn vpc_endpoint_through_scp_names_both() {
        let v = p(&format!("{USER} with an explicit deny in a VPC endpoint policy transitively through a service control policy")).unwrap();
        assert_eq!(
            v.policy_types,
            vec![PolicyType::VpcEndpoint, PolicyType::Scp]
        );
    }

    #[test]
    fn no_verdict_in_plain_or_clauseless_messages() {
        assert_eq!(p("Access Denied"), None);
        assert_eq!(p("User: arn:aws:iam::1:user/c is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::1:role/r"), None);
        assert_eq!(parse(None, None), None);
        // Role trust policy: not a layer of S3 authorization.
        assert_eq!(p("User: x is not authorized to perform: sts:AssumeRole because no role trust policy allows the sts:AssumeRole action"), None);
    }

    #[test]
    fn tolerates_prefix_and_unquoted_resource_and_kms_relay() {
        let v = p("You are not authorized to perform this operation. User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::b/k because no identity-based policy allows the s3:PutObject action").unwrap();
        assert_eq!(v.action.as_deref(), Some("s3:PutObject"));
        let k = p("User: arn:aws:iam::1:user/u is not authorized to perform: kms:GenerateDataKey on this resource because no identity-based policy allows the kms:GenerateDataKey action").unwrap();
        assert!(k.is_kms());
        assert_eq!(disagrees(Some(&k), &[PolicyType::KmsKey]), Some(false));
        assert_eq!(disagrees(Some(&k), &[PolicyType::Identity]), Some(true));
    }

    #[test]
    fn vpce_network_event_is_a_vpc_endpoint_verdict() {
        let v = parse(
            Some("VpceAccessDenied"),
            Some("The request was denied due to a VPC endpoint policy"),
        )
        .unwrap();
        assert_eq!(v.policy_types, vec![PolicyType::VpcEndpoint]);
    }

    /// AWS names one type even when several deny: naming any failing layer is consistent.
    #[test]
    fn consistent_when_any_failing_layer_is_named() {
        let v = p(&format!(
            "{USER} with an explicit deny in a service control policy"
        ))
        .unwrap();
        assert_eq!(
            disagrees(Some(&v), &[PolicyType::Identity, PolicyType::Scp]),
            Some(false)
        );
        assert_eq!(disagrees(Some(&v), &[PolicyType::Identity]), Some(true));
        assert_eq!(disagrees(None, &[PolicyType::Identity]), None);
    }

    #[test]
    fn resource_control_policy_is_not_resource_based() {
        let v = p(&format!(
            "{USER} with an explicit deny in a resource control policy"
        ))
        .unwrap();
        assert_eq!(v.policy_types, vec![PolicyType::Rcp]);
    }
}
