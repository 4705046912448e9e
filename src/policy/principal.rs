//! The `Principal` / `NotPrincipal` element and how a request's caller matches it
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html,
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
//!
//! Which *form* matched matters, because AWS's same-account rules differ by it (see
//! [`Form`]): a grant to a role session ARN or an IAM user ARN stands on its own, a grant to
//! the role ARN is limited by the role's boundary and session policy, and a grant to the
//! account only delegates to the account's own IAM policies.

use super::tri::Tri;
use super::types::{Principal, PrincipalKind};
use serde::Serialize;

/// One entry of a `Principal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// `"*"` or `{"AWS": "*"}`: everyone, including anonymous callers.
    Any,
    /// `{"AWS": "123456789012"}` or `arn:aws:iam::123456789012:root`: the account.
    Account(String),
    /// `{"AWS": "<arn>"}` for a user, role, assumed-role session or federated user.
    Arn(String),
    /// Anything else under `AWS` (a unique id left by a deleted principal, a malformed ARN):
    /// matches nobody, as in AWS.
    Other(String),
    /// `{"Service": "s3.amazonaws.com"}`.
    Service(String),
    /// `{"Federated": ...}`: identity providers; only trust policies use it.
    Federated(String),
    /// `{"CanonicalUser": ...}`: an S3 canonical user id (e.g. a CloudFront OAI).
    CanonicalUser(String),
}

impl Entry {
    /// Classifies an `AWS` value.
    pub fn aws(v: &str) -> Entry {
        let v = v.trim();
        if v == "*" {
            return Entry::Any;
        }
        if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
            return Entry::Account(v.to_owned());
        }
        let parts: Vec<&str> = v.splitn(6, ':').collect();
        if let [arn, _partition, service, _region, account, resource] = parts.as_slice() {
            if *arn == "arn" && *service == "iam" && *resource == "root" {
                return Entry::Account((*account).to_owned());
            }
            if *arn == "arn" && (*service == "iam" || *service == "sts") {
                return Entry::Arn(v.to_owned());
            }
        }
        Entry::Other(v.to_owned())
    }
}

/// How a principal entry matched the caller. Ordered from weakest to strongest for AWS's
/// same-account rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// The account (id or root ARN): delegates to the account's IAM policies.
    Account,
    /// The role ARN for a role session, or the IAM user who federated for a federated user:
    /// limited by the boundary and the session policy.
    Role,
    /// `*`: everyone. AWS documents the same-account rule only for named principals, so
    /// whether a `*` grant is limited by a boundary or session policy is left open: the engine
    /// answers `Unknown` exactly when that question decides (see `authorize`).
    Wildcard,
    /// A service principal.
    Service,
    /// The caller's own ARN: IAM user, role session, federated-user session, root.
    Exact,
}

impl Form {
    /// Whether AWS lets a same-account resource-policy grant in this form stand on its own
    /// (not limited by an implicit deny in identity policy, boundary or session policy).
    pub fn stands_alone(self) -> bool {
        matches!(self, Form::Service | Form::Exact)
    }
}

/// The identities AWS checks for a caller (account, then role, then session).
struct Identities<'a> {
    account: Option<&'a str>,
    /// User, session, federated-user or root ARN.
    own: Option<&'a str>,
    /// Role ARN (sessions) or federating user (federated users).
    parent: Option<&'a str>,
}

fn identities(p: &Principal) -> Identities<'_> {
    Identities {
        account: p.account.as_deref(),
        own: p.arn.as_deref(),
        parent: match p.kind {
            PrincipalKind::AssumedRole | PrincipalKind::FederatedUser => p.role_arn.as_deref(),
            _ => None,
        },
    }
}

fn account_of_arn(arn: &str) -> Option<&str> {
    arn.split(':').nth(4)
}

/// Matches one entry against the caller: the form it matched by, or `No`/`Unknown`.
pub fn match_entry(e: &Entry, p: &Principal) -> (Tri, Option<Form>) {
    let ids = identities(p);
    let anonymous = p.kind == PrincipalKind::Anonymous;
    match e {
        Entry::Any => (Tri::Yes, Some(Form::Wildcard)),
        Entry::Account(a) => {
            if anonymous || p.kind == PrincipalKind::Service {
                return (Tri::No, None);
            }
            match ids.account {
                Some(acct) if acct == a => (Tri::Yes, Some(Form::Account)),
                Some(_) => (Tri::No, None),
                None => (Tri::Unknown, Some(Form::Account)),
            }
        }
        Entry::Arn(arn) => {
            if anonymous || p.kind == PrincipalKind::Service {
                return (Tri::No, None);
            }
            if ids.own == Some(arn.as_str()) {
                return (Tri::Yes, Some(Form::Exact));
            }
            if ids.parent == Some(arn.as_str()) {
                return (Tri::Yes, Some(Form::Role));
            }
            // A caller whose ARN CloudTrail hid: any principal of its account could be it.
            if ids.own.is_none() && ids.account.is_some() && ids.account == account_of_arn(arn) {
                return (Tri::Unknown, Some(Form::Exact));
            }
            (Tri::No, None)
        }
        Entry::Service(s) => match (&p.kind, &p.service) {
            (PrincipalKind::Service, Some(name)) if name.eq_ignore_ascii_case(s) => {
                (Tri::Yes, Some(Form::Service))
            }
            _ => (Tri::No, None),
        },
        Entry::Other(_) | Entry::Federated(_) | Entry::CanonicalUser(_) => (Tri::No, None),
    }
}

/// `Principal`: the caller matches when any entry does; the strongest matching form is
/// reported.
pub fn match_principal(entries: &[Entry], p: &Principal) -> (Tri, Option<Form>) {
    let mut best: (Tri, Option<Form>) = (Tri::No, None);
    for e in entries {
        let (t, f) = match_entry(e, p);
        match (t, best.0) {
            (Tri::Yes, Tri::Yes) if f > best.1 => best.1 = f,
            (Tri::Yes, Tri::Yes) => {}
            (Tri::Yes, _) => best = (Tri::Yes, f),
            (Tri::Unknown, Tri::No) => best = (Tri::Unknown, f),
            _ => {}
        }
    }
    best
}

/// `NotPrincipal`: does the statement apply to the caller?
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html)
///
/// The statement is meant for "all principals *except* the principal specified in the
/// NotPrincipal element". What counts as "specified" follows the page:
/// - an IAM user, root or federated-user caller is specified by its own ARN (root also by
///   its account: `arn:aws:iam::A:root` *is* the root user's ARN);
/// - for a role session AWS "might validate the account first, then the role, and then the
///   assumed-role user. The assumed-role user is identified by the role session name", and
///   its example lists the session ARN *and* the role ARN: the session escapes a Deny when
///   both are listed; with its own ARN but not the role's, or with the role and the account
///   but not the session, the page allows both outcomes ("might"), so the answer is
///   `Unknown`; a role alone does not name a session ("Principals must always name a specific
///   session");
/// - with `Allow`, the statement "allows all principals *except* the one named": any listed
///   identity of the caller's chain (session, role, account) keeps the grant from it; a
///   caller whose own ARN is listed is definitely excluded, one whose chain is listed only
///   partly (its account or role) is `Unknown`.
///
/// The account listing that the page recommends ("you must also specify the account ARN of
/// the not-denied principal. Otherwise, the policy *might* deny access to the entire
/// account") is not required: for S3, a Deny whose `NotPrincipal` names the caller's ARN does
/// not apply to it.
pub fn match_not_principal(entries: &[Entry], p: &Principal, deny: bool) -> Tri {
    let listed = |e: &dyn Fn(&Entry) -> bool| entries.iter().any(e);
    if listed(&|e| *e == Entry::Any) {
        return Tri::No;
    }
    match p.kind {
        PrincipalKind::Anonymous => Tri::Yes,
        PrincipalKind::Service => Tri::from_bool(!listed(
            &|e| matches!((e, &p.service), (Entry::Service(s), Some(n)) if s.eq_ignore_ascii_case(n)),
        )),
        _ => {
            let ids = identities(p);
            let account_listed = ids
                .account
                .is_some_and(|a| listed(&|e| matches!(e, Entry::Account(x) if x == a)));
            let is = |arn: Option<&str>| {
                arn.is_some_and(|arn| listed(&|e| matches!(e, Entry::Arn(x) if x == arn)))
            };
            let (own, parent) = (is(ids.own), is(ids.parent));
            match p.kind {
                PrincipalKind::Root => Tri::from_bool(!(own || account_listed)),
                // CloudTrail hid the caller's ARN: named or not, we cannot tell, unless
                // nothing of its account is listed.
                PrincipalKind::Account => {
                    let any_in_account = ids.account.is_some_and(|a| {
                        account_listed
                            || listed(
                                &|e| matches!(e, Entry::Arn(x) if account_of_arn(x) == Some(a)),
                            )
                    });
                    if any_in_account {
                        Tri::Unknown
                    } else {
                        Tri::Yes
                    }
                }
                PrincipalKind::AssumedRole | PrincipalKind::FederatedUser if deny => {
                    match (own, parent) {
                        (true, true) => Tri::No,
                        (true, false) => Tri::Unknown,
                        (false, true) if account_listed => Tri::Unknown,
                        _ => Tri::Yes,
                    }
                }
                _ if deny => Tri::from_bool(!own),
                // Allow: excluded when named, unknown when only part of its chain is.
                _ if own => Tri::No,
                _ if parent || account_listed => Tri::Unknown,
                _ => Tri::Yes,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Principal {
        Principal {
            kind: PrincipalKind::AssumedRole,
            arn: Some("arn:aws:sts::111122223333:assumed-role/app/s1".into()),
            account: Some("111122223333".into()),
            role_arn: Some("arn:aws:iam::111122223333:role/app".into()),
            service: None,
        }
    }

    #[test]
    fn role_arn_matches_its_sessions_as_role_form() {
        let e = Entry::aws("arn:aws:iam::111122223333:role/app");
        assert_eq!(match_entry(&e, &session()), (Tri::Yes, Some(Form::Role)));
        let e = Entry::aws("arn:aws:sts::111122223333:assumed-role/app/s1");
        assert_eq!(match_entry(&e, &session()), (Tri::Yes, Some(Form::Exact)));
    }

    #[test]
    fn account_id_and_root_arn_are_the_account_form() {
        for v in ["111122223333", "arn:aws:iam::111122223333:root"] {
            assert_eq!(
                match_entry(&Entry::aws(v), &session()),
                (Tri::Yes, Some(Form::Account))
            );
        }
        assert_eq!(
            match_entry(&Entry::aws("444455556666"), &session()).0,
            Tri::No
        );
    }

    #[test]
    fn strongest_form_is_reported() {
        let es = [
            Entry::aws("111122223333"),
            Entry::aws("arn:aws:sts::111122223333:assumed-role/app/s1"),
        ];
        assert_eq!(
            match_principal(&es, &session()),
            (Tri::Yes, Some(Form::Exact))
        );
    }

    #[test]
    fn hidden_caller_arn_is_unknown_within_its_account() {
        let mut p = session();
        p.kind = PrincipalKind::Account;
        p.arn = None;
        p.role_arn = None;
        let e = Entry::aws("arn:aws:iam::111122223333:user/bob");
        assert_eq!(match_entry(&e, &p).0, Tri::Unknown);
        let e = Entry::aws("arn:aws:iam::999999999999:user/bob");
        assert_eq!(match_entry(&e, &p).0, Tri::No);
    }

    #[test]
    fn not_principal_deny_needs_the_session_and_its_role_listed() {
        let acct = Entry::aws("111122223333");
        let role = Entry::aws("arn:aws:iam::111122223333:role/app");
        let sess = Entry::aws("arn:aws:sts::111122223333:assumed-role/app/s1");
        let np = |es: &[Entry]| match_not_principal(es, &session(), true);
        assert_eq!(np(&[role.clone(), sess.clone()]), Tri::No);
        assert_eq!(np(&[acct.clone(), role.clone(), sess.clone()]), Tri::No);
        assert_eq!(np(&[acct.clone(), sess]), Tri::Unknown);
        assert_eq!(np(&[acct.clone(), role.clone()]), Tri::Unknown);
        assert_eq!(np(&[role]), Tri::Yes);
        assert_eq!(np(&[acct]), Tri::Yes);
    }

    #[test]
    fn not_principal_allow_excludes_a_named_caller() {
        let sess = Entry::aws("arn:aws:sts::111122223333:assumed-role/app/s1");
        let other = Entry::aws("arn:aws:iam::111122223333:user/bob");
        assert_eq!(match_not_principal(&[sess], &session(), false), Tri::No);
        assert_eq!(match_not_principal(&[other], &session(), false), Tri::Yes);
        let acct = Entry::aws("111122223333");
        assert_eq!(
            match_not_principal(&[acct], &session(), false),
            Tri::Unknown
        );
    }
}
