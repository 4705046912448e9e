//! Builders for scenario tests: principals, requests and an [`AuthzInput`] with every layer
//! known and empty unless a test sets it.

use crate::policy::{
    AuthzInput, Context, Known, OrgLevel, Policy, PolicyRef, Principal, PrincipalKind, Request,
};

pub const A: &str = "111122223333";
pub const B: &str = "444455556666";
pub const OBJECT: &str = "arn:aws:s3:::amzn-s3-demo-bucket/reports/q1.csv";

pub fn pol(id: &str, json: &str) -> PolicyRef {
    Policy::parse_ref(id, json).unwrap_or_else(|e| panic!("test policy parses: {e}"))
}

pub fn user(account: &str, name: &str) -> Principal {
    Principal {
        kind: PrincipalKind::User,
        arn: Some(format!("arn:aws:iam::{account}:user/{name}")),
        account: Some(account.into()),
        role_arn: None,
        service: None,
    }
}

pub fn session(account: &str, role: &str, name: &str) -> Principal {
    Principal {
        kind: PrincipalKind::AssumedRole,
        arn: Some(format!("arn:aws:sts::{account}:assumed-role/{role}/{name}")),
        account: Some(account.into()),
        role_arn: Some(format!("arn:aws:iam::{account}:role/{role}")),
        service: None,
    }
}

pub fn federated(account: &str, name: &str, via_user: &str) -> Principal {
    Principal {
        kind: PrincipalKind::FederatedUser,
        arn: Some(format!("arn:aws:sts::{account}:federated-user/{name}")),
        account: Some(account.into()),
        role_arn: Some(format!("arn:aws:iam::{account}:user/{via_user}")),
        service: None,
    }
}

pub fn root(account: &str) -> Principal {
    Principal {
        kind: PrincipalKind::Root,
        arn: Some(format!("arn:aws:iam::{account}:root")),
        account: Some(account.into()),
        role_arn: None,
        service: None,
    }
}

pub fn anonymous() -> Principal {
    Principal {
        kind: PrincipalKind::Anonymous,
        arn: None,
        account: None,
        role_arn: None,
        service: None,
    }
}

/// A request on the demo object, owned by account `A`, with the usual keys set.
pub fn req(principal: Principal, action: &str, resource: &str) -> Request {
    let mut context = Context::default();
    if let Some(arn) = principal.role_arn.clone().or(principal.arn.clone()) {
        context.set("aws:PrincipalArn", arn);
    }
    if let Some(a) = &principal.account {
        context.set("aws:PrincipalAccount", a.clone());
    }
    context.set("aws:SecureTransport", "true");
    context.set("aws:SourceIp", "203.0.113.10");
    context.mark_absent("aws:SourceVpce");
    context.mark_absent("aws:SourceVpc");
    Request {
        principal,
        action: action.into(),
        resource: resource.into(),
        resource_account: Some(A.into()),
        context,
    }
}

/// Every layer known: no policies, no boundary, no session policy, no bucket policy, no
/// organization, no endpoint.
pub fn input() -> AuthzInput {
    AuthzInput {
        identity: Known::Known(Vec::new()),
        boundary: Known::Known(None),
        session: Known::Known(None),
        resource: Known::Known(None),
        scp: Known::Known(None),
        rcp: Known::Known(None),
        vpc_endpoint: Known::Known(None),
        access_point: None,
    }
}

pub fn level(target: &str, policies: Vec<PolicyRef>) -> OrgLevel {
    OrgLevel::known(target, policies)
}

pub fn allow_all(id: &str) -> PolicyRef {
    pol(
        id,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
}

pub fn allow_rcp(id: &str) -> PolicyRef {
    pol(
        id,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#,
    )
}

/// An identity policy allowing `action` on `resource`.
pub fn allow(id: &str, action: &str, resource: &str) -> PolicyRef {
    pol(
        id,
        &format!(
            r#"{{"Statement":[{{"Sid":"Allow","Effect":"Allow","Action":"{action}","Resource":"{resource}"}}]}}"#
        ),
    )
}

/// A bucket policy allowing `principal` (a JSON value) `action` on `resource`.
pub fn bucket_allow(principal: &str, action: &str, resource: &str) -> PolicyRef {
    pol(
        "bucket-policy:amzn-s3-demo-bucket",
        &format!(
            r#"{{"Statement":[{{"Sid":"Grant","Effect":"Allow","Principal":{principal},"Action":"{action}","Resource":"{resource}"}}]}}"#
        ),
    )
}
