//! The caller of a record (`userIdentity` → [`Principal`]), the caller typed on the command
//! line (`simulate --principal`), and the condition keys that follow from the caller.

use super::read::{set_opt, Notes, RequestError};
pub use crate::diagnose::principal_facts::NoteSink;
use crate::policy::{Context, Known, Principal, PrincipalKind};
use crate::record::Event;
use crate::snapshot::{Arn, Entity, Snapshot};

/// The caller, from `userIdentity`.
pub(super) fn principal(
    event: &Event,
    snapshot: &Snapshot,
    notes: &mut Notes,
) -> Result<Principal, RequestError> {
    let id = event
        .user_identity
        .as_ref()
        .ok_or(RequestError::NoIdentity)?;
    let issuer = id
        .session_context
        .as_ref()
        .and_then(|s| s.session_issuer.arn.clone());
    let base = Principal {
        kind: PrincipalKind::Anonymous,
        arn: id.arn.clone(),
        account: id.account_id.clone(),
        role_arn: None,
        service: None,
    };
    let kind = id.kind.as_deref().unwrap_or("");
    Ok(match kind {
        "IAMUser" => Principal {
            kind: PrincipalKind::User,
            ..base
        },
        "AssumedRole" => Principal {
            kind: PrincipalKind::AssumedRole,
            role_arn: issuer.or_else(|| id.arn.as_deref().and_then(role_of_session)),
            ..base
        },
        "FederatedUser" => {
            if issuer.is_none() {
                notes.gap(
                    "the IAM user who called GetFederationToken is not in the record".to_owned(),
                );
            }
            Principal {
                kind: PrincipalKind::FederatedUser,
                role_arn: issuer,
                ..base
            }
        }
        "Root" => Principal {
            kind: PrincipalKind::Root,
            ..base
        },
        "AWSService" => Principal {
            kind: PrincipalKind::Service,
            arn: None,
            account: None,
            service: id.invoked_by.clone(),
            ..base
        },
        "AWSAccount" => {
            let pid = id.principal_id.as_deref().unwrap_or("");
            let acct = id.account_id.as_deref().unwrap_or("");
            if acct == "anonymous" || pid.is_empty() {
                return Ok(Principal {
                    kind: PrincipalKind::Anonymous,
                    arn: None,
                    account: None,
                    ..base
                });
            }
            match snapshot.principal_by_unique_id(pid) {
                Known::Known(r) => {
                    let arn_of_session = r.session_name.as_ref().map(|s| session_arn(&r.arn, s));
                    match r.kind {
                        PrincipalKind::AssumedRole => Principal {
                            kind: PrincipalKind::AssumedRole,
                            arn: arn_of_session,
                            account: Some(r.account),
                            role_arn: Some(r.arn),
                            service: None,
                        },
                        _ => Principal {
                            kind: r.kind,
                            arn: Some(r.arn),
                            account: Some(r.account),
                            role_arn: None,
                            service: None,
                        },
                    }
                }
                Known::Unknown(why) => {
                    notes.gap(format!(
                        "the caller from account {acct} is shown only as principalId `{pid}` (cross-account record) and could not be resolved: {why}"
                    ));
                    Principal {
                        kind: PrincipalKind::Account,
                        arn: None,
                        account: id.account_id.clone(),
                        ..base
                    }
                }
            }
        }
        other => return Err(RequestError::UnsupportedIdentity(other.to_owned())),
    })
}

/// `arn:aws:sts::A:assumed-role/NAME/SESSION` → `arn:aws:iam::A:role/NAME` (path unknown).
pub(super) fn role_of_session(session: &str) -> Option<String> {
    let a = Arn::parse(session)?;
    let name = a
        .resource
        .strip_prefix("assumed-role/")?
        .split('/')
        .next()?;
    Some(format!(
        "arn:{}:iam::{}:role/{name}",
        a.partition, a.account
    ))
}

/// The session ARN of a role (`role/path/NAME` → `assumed-role/NAME/SESSION`; sessions drop
/// the path).
pub(super) fn session_arn(role_arn: &str, session: &str) -> String {
    match Arn::parse(role_arn) {
        Some(a) => {
            let name = a.resource.rsplit('/').next().unwrap_or(a.resource);
            format!(
                "arn:{}:sts::{}:assumed-role/{name}/{session}",
                a.partition, a.account
            )
        }
        None => role_arn.to_owned(),
    }
}

/// The principal of an ARN typed by a user (`simulate --principal`): a user, a role (then a
/// session of it named `simulate`), an assumed-role session, a federated user, the root, an
/// account id, `anonymous`, or a service principal name. With a snapshot, a session's role
/// ARN gets its path from `iam.json`.
pub fn principal_from_arn(text: &str, snapshot: &Snapshot) -> Result<Principal, RequestError> {
    let bad = || RequestError::BadPrincipal(text.to_owned());
    let t = text.trim();
    if t == "*" || t.eq_ignore_ascii_case("anonymous") {
        return Ok(Principal {
            kind: PrincipalKind::Anonymous,
            arn: None,
            account: None,
            role_arn: None,
            service: None,
        });
    }
    if t.len() == 12 && t.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Principal {
            kind: PrincipalKind::Account,
            arn: None,
            account: Some(t.to_owned()),
            role_arn: None,
            service: None,
        });
    }
    if !t.starts_with("arn:") && t.ends_with(".amazonaws.com") {
        return Ok(Principal {
            kind: PrincipalKind::Service,
            arn: None,
            account: None,
            role_arn: None,
            service: Some(t.to_owned()),
        });
    }
    let a = Arn::parse(t).ok_or_else(bad)?;
    if a.account.is_empty() {
        return Err(bad());
    }
    let account = a.account.to_owned();
    let p = |kind, arn: String, role_arn| Principal {
        kind,
        arn: Some(arn),
        account: Some(account.clone()),
        role_arn,
        service: None,
    };
    match (a.service, a.resource) {
        ("iam", "root") => Ok(p(PrincipalKind::Root, t.to_owned(), None)),
        ("iam", r) if r.starts_with("user/") => Ok(p(PrincipalKind::User, t.to_owned(), None)),
        ("iam", r) if r.starts_with("role/") => Ok(p(
            PrincipalKind::AssumedRole,
            session_arn(t, "simulate"),
            Some(t.to_owned()),
        )),
        ("sts", r) if r.starts_with("assumed-role/") && r.split('/').count() >= 3 => {
            let guess = role_of_session(t).ok_or_else(bad)?;
            let mut out = p(PrincipalKind::AssumedRole, t.to_owned(), Some(guess));
            if let Known::Known(Some(Entity::Role(role))) = snapshot.entity(&out) {
                out.role_arn = Some(role.arn.clone());
            }
            Ok(out)
        }
        ("sts", r) if r.starts_with("federated-user/") => {
            Ok(p(PrincipalKind::FederatedUser, t.to_owned(), None))
        }
        _ => Err(bad()),
    }
}

/// The principal keys: `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`,
/// `aws:userid`, `aws:username`, `aws:PrincipalOrgID`, `aws:PrincipalTag/*`,
/// `aws:MultiFactorAuthPresent`, `aws:TokenIssueTime`, `aws:SourceIdentity`. Values per the
/// IAM policy variables reference ("principal key values").
pub(super) fn principal_keys(
    event: &Event,
    p: &Principal,
    snapshot: &Snapshot,
    ctx: &mut Context,
    notes: &mut Notes,
) {
    let id = event.user_identity.as_ref();
    let pid = id
        .and_then(|i| i.principal_id.as_deref())
        .filter(|s| !s.is_empty());
    principal_context(p, snapshot, ctx, notes);
    // The record's own principalId is the exact aws:userid for every IAM caller shape.
    match p.kind {
        PrincipalKind::User
        | PrincipalKind::AssumedRole
        | PrincipalKind::FederatedUser
        | PrincipalKind::Root => set_opt(ctx, "aws:userid", pid),
        _ => {}
    }
    if p.kind == PrincipalKind::User {
        set_opt(ctx, "aws:username", id.and_then(|i| i.user_name.as_deref()));
    }
    let session = id.and_then(|i| i.session_context.as_ref());
    let attrs = session.map(|s| &s.attributes);
    crate::diagnose::principal_facts::mfa_keys(event, p.kind, ctx, notes);
    set_opt(
        ctx,
        "aws:TokenIssueTime",
        attrs.and_then(|a| a.creation_date.as_deref()),
    );
    match session.and_then(|s| s.source_identity.as_deref()) {
        Some(v) => ctx.set("aws:SourceIdentity", v),
        None if session.is_some()
            || matches!(
                p.kind,
                PrincipalKind::Anonymous
                    | PrincipalKind::Service
                    | PrincipalKind::User
                    | PrincipalKind::Root
            ) =>
        {
            ctx.mark_absent("aws:SourceIdentity")
        }
        None => {}
    }
}

/// The principal keys that follow from the principal alone (and the snapshot): shared with
/// `simulate`, which has no record.
pub fn principal_context(
    p: &Principal,
    snapshot: &Snapshot,
    ctx: &mut Context,
    notes_out: &mut impl NoteSink,
) {
    let absent_all = |ctx: &mut Context| {
        for k in [
            "aws:PrincipalArn",
            "aws:PrincipalAccount",
            "aws:PrincipalOrgID",
            "aws:PrincipalOrgPaths",
            "aws:username",
        ] {
            ctx.mark_absent(k);
        }
        // No IAM tags and no session tags: reference_policies_condition-keys.html.
        ctx.mark_absent_prefix("aws:PrincipalTag/");
    };
    match p.kind {
        PrincipalKind::Anonymous => {
            absent_all(ctx);
            ctx.set("aws:PrincipalType", "Anonymous");
            ctx.set("aws:userid", "anonymous");
            ctx.set("aws:PrincipalIsAWSService", "false");
            return;
        }
        PrincipalKind::Service => {
            absent_all(ctx);
            ctx.mark_absent("aws:userid");
            ctx.set("aws:PrincipalIsAWSService", "true");
            set_opt(ctx, "aws:PrincipalServiceName", p.service.as_deref());
            return;
        }
        _ => ctx.set("aws:PrincipalIsAWSService", "false"),
    }
    ctx.mark_absent("aws:PrincipalServiceName");
    set_opt(ctx, "aws:PrincipalAccount", p.account.as_deref());
    match p.kind {
        PrincipalKind::User => {
            ctx.set("aws:PrincipalType", "User");
            set_opt(ctx, "aws:PrincipalArn", p.arn.as_deref());
            if let Some(name) = p.arn.as_deref().and_then(|a| a.rsplit('/').next()) {
                ctx.set("aws:username", name);
            }
        }
        PrincipalKind::AssumedRole => {
            ctx.set("aws:PrincipalType", "AssumedRole");
            // aws:PrincipalArn of a role session is the role's ARN (global keys reference).
            set_opt(ctx, "aws:PrincipalArn", p.role_arn.as_deref());
            ctx.mark_absent("aws:username");
        }
        PrincipalKind::FederatedUser => {
            ctx.set("aws:PrincipalType", "FederatedUser");
            set_opt(ctx, "aws:PrincipalArn", p.arn.as_deref());
            ctx.mark_absent("aws:username");
        }
        PrincipalKind::Root => {
            ctx.set("aws:PrincipalType", "Account");
            set_opt(ctx, "aws:PrincipalArn", p.arn.as_deref());
            set_opt(ctx, "aws:userid", p.account.as_deref());
            ctx.mark_absent("aws:username");
        }
        // Hidden cross-account caller: its type, ARN and ids are unknown.
        PrincipalKind::Account | PrincipalKind::Anonymous | PrincipalKind::Service => {}
    }
    if let Some(a) = p.account.as_deref() {
        crate::diagnose::principal_facts::org_keys(
            snapshot.org_standing(a),
            "aws:PrincipalOrgID",
            "aws:PrincipalOrgPaths",
            ctx,
            notes_out,
        );
    }
    crate::diagnose::principal_facts::principal_tag_keys(p, snapshot, ctx, notes_out);
}

impl NoteSink for Notes {
    fn note_gap(&mut self, what: String) {
        self.gap(what);
    }
    fn note_inferred(&mut self, what: String) {
        if !self.inferred.contains(&what) {
            self.inferred.push(what);
        }
    }
}
