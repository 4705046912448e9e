//! The `reason` sentence and `caller_class`: one short sentence a person understands, naming
//! the principal, the action and the resource, then what failed.

use super::decide::Cause;
use crate::findings::{CallerClass, DenyType, PolicyType, RootCause};
use crate::policy::{Principal, PrincipalKind};

/// How the principal is named in a sentence: its ARN, `anonymous`, the service, or the
/// account when CloudTrail hides the caller's ARN.
pub fn principal_name(p: &Principal) -> String {
    match p.kind {
        PrincipalKind::Anonymous => "anonymous".to_owned(),
        PrincipalKind::Service => p
            .service
            .clone()
            .unwrap_or_else(|| "an AWS service".to_owned()),
        _ => p
            .arn
            .clone()
            .or_else(|| {
                p.account
                    .as_ref()
                    .map(|a| format!("a principal of account {a}"))
            })
            .unwrap_or_else(|| "an unidentified caller".to_owned()),
    }
}

/// The principal as a policy's `Principal` should name it: the ARN as it appears in the
/// event, `anonymous`, or the account root when the event hides the caller's ARN.
pub fn principal_for_policy(p: &Principal) -> String {
    match p.kind {
        PrincipalKind::Anonymous => "anonymous".to_owned(),
        _ => p
            .arn
            .clone()
            .or_else(|| p.account.as_ref().map(|a| format!("arn:aws:iam::{a}:root")))
            .unwrap_or_else(|| "<caller ARN>".to_owned()),
    }
}

fn type_name(t: Option<PolicyType>) -> &'static str {
    match t {
        Some(PolicyType::Identity) => "identity-based policy",
        Some(PolicyType::Resource) => "bucket policy",
        Some(PolicyType::Scp) => "service control policy",
        Some(PolicyType::Rcp) => "resource control policy",
        Some(PolicyType::VpcEndpoint) => "VPC endpoint policy",
        Some(PolicyType::AccessPoint) => "access point policy",
        Some(PolicyType::PermissionsBoundary) => "permissions boundary",
        Some(PolicyType::SessionPolicy) => "session policy",
        Some(PolicyType::KmsKey) => "KMS key policy",
        None => "policy",
    }
}

/// What failed, for a policy-layer cause.
pub fn cause_detail(
    c: &Cause,
    same_account: Option<bool>,
    bucket: Option<&str>,
    via_ap: bool,
) -> String {
    let id = c.policy_id.as_deref().unwrap_or("(unnamed)");
    match (c.root_cause, c.deny_type) {
        (_, Some(DenyType::Explicit)) => format!(
            "statement {} of the {} {id} explicitly denies it",
            c.statement_sid.as_deref().unwrap_or("(unnamed)"),
            type_name(c.policy_type)
        ),
        (RootCause::MissingAllow, _) if c.policy_type == Some(PolicyType::Resource) && via_ap => format!(
            "the bucket policy of {} neither allows it nor delegates access control to the access point (both the access point and the bucket must permit a request through an access point)",
            bucket.unwrap_or("the bucket")
        ),
        (RootCause::MissingAllow, _) => match c.policy_type {
            Some(PolicyType::Resource) => format!(
                "the bucket policy of {} grants nothing to this caller, and callers from outside the bucket's account need a bucket-policy grant",
                bucket.unwrap_or("the bucket")
            ),
            _ if same_account == Some(false) => format!(
                "the identity-based policies of {id} do not allow it (a cross-account request needs the caller's side and the bucket policy to allow)"
            ),
            _ => format!("no identity-based policy of {id} and no bucket policy statement allows it"),
        },
        (RootCause::AccessPoint, _) if c.fix == super::cause::Fix::AccessPointNetwork => {
            format!("the access point {id} refuses it: {}", c.detail)
        }
        (RootCause::AccessPoint, _) => {
            format!(
                "the policy of the access point {id} does not allow it (a caller from outside the access point's account needs a grant in the access point policy as well as its own)"
            )
        }
        (RootCause::Scp | RootCause::Rcp, _) => format!(
            "no {} attached at {id} allows it (every level from the root to the account needs an Allow)",
            type_name(c.policy_type)
        ),
        _ => format!("the {} {id} does not allow it", type_name(c.policy_type)),
    }
}

/// The sentence: "<principal> may not <action> on <resource>: <detail>."
pub fn reason(principal: &str, action: &str, resource: &str, detail: &str) -> String {
    format!("{principal} may not {action} on {resource}: {detail}")
}

/// Who the caller is relative to the bucket.
pub fn caller_class(
    p: &Principal,
    resource_account: Option<&str>,
    same_org: impl Fn(&str, &str) -> Option<bool>,
) -> CallerClass {
    match p.kind {
        PrincipalKind::Anonymous => return CallerClass::Anonymous,
        PrincipalKind::Service => return CallerClass::AwsService,
        _ => {}
    }
    match (p.account.as_deref(), resource_account) {
        (Some(a), Some(b)) if a == b => CallerClass::SameAccount,
        (Some(a), Some(b)) => match same_org(a, b) {
            Some(true) => CallerClass::Organization,
            Some(false) => CallerClass::External,
            None => CallerClass::Unknown,
        },
        _ => CallerClass::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(account: &str) -> Principal {
        Principal {
            kind: PrincipalKind::User,
            arn: Some(format!("arn:aws:iam::{account}:user/u")),
            account: Some(account.to_owned()),
            role_arn: None,
            service: None,
        }
    }

    #[test]
    fn caller_classes() {
        let org = |a: &str, b: &str| Some(a.starts_with('1') && b.starts_with('1'));
        assert_eq!(
            caller_class(&user("111"), Some("111"), org),
            CallerClass::SameAccount
        );
        assert_eq!(
            caller_class(&user("112"), Some("111"), org),
            CallerClass::Organization
        );
        assert_eq!(
            caller_class(&user("222"), Some("111"), org),
            CallerClass::External
        );
        assert_eq!(caller_class(&user("222"), None, org), CallerClass::Unknown);
        let anon = Principal {
            kind: PrincipalKind::Anonymous,
            arn: None,
            account: None,
            role_arn: None,
            service: None,
        };
        assert_eq!(
            caller_class(&anon, Some("111"), org),
            CallerClass::Anonymous
        );
    }

    #[test]
    fn hidden_caller_is_named_by_account() {
        let mut p = user("333");
        p.kind = PrincipalKind::Account;
        p.arn = None;
        assert_eq!(principal_name(&p), "a principal of account 333");
        assert_eq!(principal_for_policy(&p), "arn:aws:iam::333:root");
    }
}
