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
//!
//! Newer messages also name the deciding policy and an authorization id for IAM's access
//! troubleshooter (IAM User Guide, "Troubleshoot access denied error messages with
//! authorization ID", https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied-authorization-id.html):
//! "User: arn:aws:iam::123456789012:user/janedoe is not authorized to perform:
//! iam:CreateInstanceProfile on resource: arn:aws:iam::123456789012:instance-profile/my-instance-profile
//! with an explicit deny in an identity-based policy: arn:aws:iam::123456789012:policy/ExampleDenyPolicy.
//! Go to https://us-east-1.console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/EXAMPLE1a2b3c4d5e6f7g8h9i0j
//! for complete details, or call the GetRequestAuthorizationDetails API with the following
//! authorization id: EXAMPLE1a2b3c4d5e6f7g8h9i0j". The policy ARN (after the policy type and a
//! colon) is kept in [`AwsVerdict::policy_arn`], and the cross-check then also compares
//! policies ([`disagrees_with_policies`]); the authorization id is read by
//! [`authorization_id`], from the sentence or, failing that, from the console link ("AWS does
//! not guarantee an authorization ID for each denied request": absent is normal).

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
    /// The ARN of the deciding policy, when the message names it ("... in a service control
    /// policy: arn:aws:organizations::111122223333:policy/o-.../service_control_policy/p-...").
    pub policy_arn: Option<String>,
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
        let what = match self.deny_type {
            Some(DenyType::Explicit) => format!("an explicit deny in a {names}"),
            Some(DenyType::Implicit) => format!("no {names} allowing it"),
            None => format!("a denial by a {names}"),
        };
        match &self.policy_arn {
            Some(arn) => format!("{what} ({arn})"),
            None => what,
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
        PolicyType::AccessPoint => "access point policy",
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
            policy_arn: None,
        });
    }

    const EXPLICIT: &str = "with an explicit deny in ";
    if let Some(i) = lower.find(EXPLICIT) {
        let start = i + EXPLICIT.len();
        let rest = strip_article(&lower[start..]);
        let at = lower.len() - rest.len();
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
            policy_arn: policy_arn_after(msg, at),
        });
    }

    const IMPLICIT: &str = "because no ";
    if let Some(i) = lower.find(IMPLICIT) {
        let at = i + IMPLICIT.len();
        let t = type_at(&lower[at..])?;
        return Some(AwsVerdict {
            policy_types: vec![t],
            deny_type: Some(DenyType::Implicit),
            action,
            policy_arn: policy_arn_after(msg, at),
        });
    }
    None
}

/// The policy ARN that follows the policy type starting at byte `at` of `msg`: the first
/// `arn:` token after a colon that closes the type phrase, before the next sentence. Trailing
/// sentence punctuation and quotes are dropped.
fn policy_arn_after(msg: &str, at: usize) -> Option<String> {
    let rest = msg.get(at..)?;
    let lower = rest.to_ascii_lowercase();
    // The type phrase ends at the first ':' that is followed by whitespace (the ARN's own
    // colons are not), and only within the clause (no sentence break or "because" before it).
    let colon = lower.find(": ")?;
    let clause_end = [". ", " go to ", " because ", " for complete details"]
        .iter()
        .filter_map(|m| lower.find(m))
        .min()
        .unwrap_or(lower.len());
    if colon > clause_end {
        return None;
    }
    let token: String = rest[colon + 1..]
        .trim_start()
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != ',')
        .collect();
    let token = token.trim_end_matches(['.', ';', ')']);
    token.starts_with("arn:").then(|| token.to_owned())
}

/// The authorization id of IAM's access troubleshooter that a message carries: after
/// "authorization id:" (any case), else the last path segment of the console link
/// `#/authorization-details/<id>`. The API's pattern is `[0-9a-z]+`; AWS's own example is
/// mixed case, so any ASCII letters and digits are taken.
pub fn authorization_id(message: Option<&str>) -> Option<String> {
    let msg = message?;
    let lower = msg.to_ascii_lowercase();
    let take = |from: usize| -> Option<String> {
        let id: String = msg
            .get(from..)?
            .trim_start()
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        (!id.is_empty()).then_some(id)
    };
    for marker in ["authorization id:", "authorization-id:", "authorizationid:"] {
        if let Some(i) = lower.find(marker) {
            if let Some(id) = take(i + marker.len()) {
                return Some(id);
            }
        }
    }
    const LINK: &str = "#/authorization-details/";
    lower.find(LINK).and_then(|i| take(i + LINK.len()))
}

/// Whether the policy AWS names (an ARN) is the policy a finding names (`policy_id`: an ARN,
/// `bucket-policy:<bucket>`, an SCP/RCP id `p-...`, an endpoint id, an inline policy
/// `<owner-arn>#<name>`).
pub fn same_policy(aws_arn: &str, policy_id: &str) -> bool {
    if aws_arn.eq_ignore_ascii_case(policy_id) {
        return true;
    }
    let last = |s: &str| -> String {
        s.rsplit(['/', ':'])
            .next()
            .unwrap_or(s)
            .to_ascii_lowercase()
    };
    if let Some(bucket) = policy_id.strip_prefix("bucket-policy:") {
        return aws_arn
            .rsplit(":::")
            .next()
            .is_some_and(|b| b.eq_ignore_ascii_case(bucket));
    }
    if let Some((owner, name)) = policy_id.split_once('#') {
        return aws_arn.eq_ignore_ascii_case(owner) || last(aws_arn) == name.to_ascii_lowercase();
    }
    last(aws_arn) == last(policy_id)
}

/// The cross-check with policies: as [`disagrees`] on the types; when AWS also names the
/// policy, a failing layer of that type counts only if it is that policy (or its id is not
/// known, which cannot be compared). `failing` holds each failing layer's type and policy id.
pub fn disagrees_with_policies(
    verdict: Option<&AwsVerdict>,
    failing: &[(PolicyType, Option<&str>)],
) -> Option<bool> {
    let v = verdict?;
    let types: Vec<PolicyType> = failing.iter().map(|(t, _)| *t).collect();
    let by_type = disagrees(Some(v), &types);
    let Some(arn) = v.policy_arn.as_deref() else {
        return by_type;
    };
    // Compared only for a single named type (the VPC endpoint denial "transitively through a
    // service control policy" names two) that the engine found failing.
    let [named] = v.policy_types.as_slice() else {
        return by_type;
    };
    if by_type != Some(false) || v.is_kms() {
        return by_type;
    }
    let matches = failing
        .iter()
        .filter(|(t, _)| t == named)
        .any(|(_, id)| id.is_none_or(|id| same_policy(arn, id)));
    Some(!matches)
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
    // An access point policy is a resource-based policy (access-points-policies.html: "Amazon
    // S3 access points support AWS Identity and Access Management (IAM) resource policies"):
    // AWS's template names it as one.
    let named = |t: &PolicyType| {
        failing.contains(t)
            || (*t == PolicyType::Resource && failing.contains(&PolicyType::AccessPoint))
    };
    Some(!v.policy_types.iter().any(named))
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::b/k\"";

    fn p(msg: &str) -> Option<AwsVerdict> {
        parse(Some("AccessDenied"), Some(msg))
    }

    /// An access point policy is a resource-based policy: AWS's "no resource-based policy
    /// allows" agrees with an `access_point` finding.
    #[test]
    fn resource_based_message_agrees_with_access_point() {
        let v = p(&format!(
            "{USER} because no resource-based policy allows the s3:GetObject action"
        ));
        assert_eq!(
            disagrees(v.as_ref(), &[PolicyType::AccessPoint]),
            Some(false)
        );
        assert_eq!(disagrees(v.as_ref(), &[PolicyType::Identity]), Some(true));
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

    /// IAM User Guide, "Troubleshoot access denied error messages with authorization ID"
    /// (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied-authorization-id.html):
    /// "The following example shows an access denied error message that includes a policy ARN,
    /// a link to the AWS Management Console, and an authorization ID".
    const DOC_EXAMPLE: &str = "User: arn:aws:iam::123456789012:user/janedoe is not authorized to perform: iam:CreateInstanceProfile on resource: arn:aws:iam::123456789012:instance-profile/my-instance-profile with an explicit deny in an identity-based policy: arn:aws:iam::123456789012:policy/ExampleDenyPolicy. Go to https://us-east-1.console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/EXAMPLE1a2b3c4d5e6f7g8h9i0j for complete details, or call the GetRequestAuthorizationDetails API with the following authorization id: EXAMPLE1a2b3c4d5e6f7g8h9i0j";

    #[test]
    fn scenario_policy_arn_and_authorization_id_of_the_documented_example() {
        let v = p(DOC_EXAMPLE).unwrap();
        assert_eq!(v.policy_types, vec![PolicyType::Identity]);
        assert_eq!(v.deny_type, Some(DenyType::Explicit));
        assert_eq!(
            v.policy_arn.as_deref(),
            Some("arn:aws:iam::123456789012:policy/ExampleDenyPolicy")
        );
        assert_eq!(
            authorization_id(Some(DOC_EXAMPLE)).as_deref(),
            Some("EXAMPLE1a2b3c4d5e6f7g8h9i0j")
        );
        // Only the console link: the id is its last segment.
        let link = "... Go to https://us-east-1.console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/abc123def for complete details";
        assert_eq!(authorization_id(Some(link)).as_deref(), Some("abc123def"));
        // "AWS does not guarantee an authorization ID for each denied request."
        assert_eq!(authorization_id(Some(USER)), None);
        assert_eq!(authorization_id(Some("Access Denied")), None);
        assert_eq!(authorization_id(None), None);
    }

    /// The issue's SCP shape: "... with an explicit deny in a service control policy:
    /// arn:aws:organizations::...", with and without a trailing sentence; S3's quoted resource.
    #[test]
    fn scenario_scp_arn_is_read_and_compared_with_the_policy_id() {
        let arn = "arn:aws:organizations::111122223333:policy/o-a1b2c3d4e5/service_control_policy/p-deny1234";
        for tail in [
            "",
            ".",
            ". Go to https://x#/authorization-details/id1 for complete details",
        ] {
            let v = p(&format!(
                "{USER} with an explicit deny in a service control policy: {arn}{tail}"
            ))
            .unwrap();
            assert_eq!(v.policy_types, vec![PolicyType::Scp]);
            assert_eq!(v.policy_arn.as_deref(), Some(arn), "{tail:?}");
        }
        let v = p(&format!(
            "{USER} with an explicit deny in a service control policy: {arn}"
        ))
        .unwrap();
        // Same policy (the snapshot's SCP id is the ARN's last segment): consistent.
        assert_eq!(
            disagrees_with_policies(Some(&v), &[(PolicyType::Scp, Some("p-deny1234"))]),
            Some(false)
        );
        // Another SCP denies in the engine's view: AWS disagrees.
        assert_eq!(
            disagrees_with_policies(Some(&v), &[(PolicyType::Scp, Some("p-other"))]),
            Some(true)
        );
        // One of several failing SCPs is the named one: consistent.
        assert_eq!(
            disagrees_with_policies(
                Some(&v),
                &[
                    (PolicyType::Identity, None),
                    (PolicyType::Scp, Some("p-other")),
                    (PolicyType::Scp, Some("p-deny1234"))
                ]
            ),
            Some(false)
        );
        // The SCP layer fails but its policy is not known (implicit, level id): not comparable.
        assert_eq!(
            disagrees_with_policies(Some(&v), &[(PolicyType::Scp, None)]),
            Some(false)
        );
        // Type mismatch stays a disagreement.
        assert_eq!(
            disagrees_with_policies(
                Some(&v),
                &[(PolicyType::Identity, Some("arn:aws:iam::1:user/u"))]
            ),
            Some(true)
        );
        // A message without an ARN compares types only.
        let plain = p(&format!(
            "{USER} with an explicit deny in a service control policy"
        ))
        .unwrap();
        assert_eq!(plain.policy_arn, None);
        assert_eq!(
            disagrees_with_policies(Some(&plain), &[(PolicyType::Scp, Some("p-other"))]),
            Some(false)
        );
    }

    #[test]
    fn same_policy_across_id_forms() {
        assert!(same_policy(
            "arn:aws:iam::1:policy/Deny",
            "arn:aws:iam::1:policy/Deny"
        ));
        assert!(same_policy("arn:aws:s3:::data", "bucket-policy:data"));
        assert!(!same_policy("arn:aws:s3:::other", "bucket-policy:data"));
        assert!(same_policy(
            "arn:aws:iam::1:role/R",
            "arn:aws:iam::1:role/R#inline"
        ));
        assert!(same_policy(
            "arn:aws:organizations::1:policy/o-x/resource_control_policy/p-rcp1",
            "p-rcp1"
        ));
        assert!(!same_policy(
            "arn:aws:iam::1:policy/A",
            "arn:aws:iam::1:policy/B"
        ));
    }

    /// An implicit message names no policy; no ARN is invented from the action's colon.
    #[test]
    fn implicit_message_has_no_policy_arn() {
        let v = p(&format!(
            "{USER} because no identity-based policy allows the s3:GetObject action"
        ))
        .unwrap();
        assert_eq!(v.policy_arn, None);
    }
}
