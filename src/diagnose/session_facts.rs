//! What the STS record that issued a session's access key decides about that session: the
//! session-policy layer of a federation token issued without a policy, and the session tags
//! behind `aws:PrincipalTag/*`. The diagnoser calls these with the record it found
//! ([`crate::scan::evidence::SessionPolicy`], kept by the scan for every successful
//! `AssumeRole*` / `GetFederationToken`, policy or not).

use crate::policy::{Context, Known, Policy, PolicyRef};
use crate::scan::evidence::SessionPolicy;

/// The session-policy layer of a `GetFederationToken` issued without `policy` or
/// `policyArns`: a policy that allows nothing, so the federated user is denied everything
/// (implicit deny in the session policy).
///
/// IAM User Guide, "Permissions for GetFederationToken"
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_getfederationtoken.html>):
/// "In most cases if you do not pass a policy with the GetFederationToken API call, the
/// resulting temporary security credentials have no permissions. However, a resource-based
/// policy can provide additional permissions for the session." The empty session policy is
/// exactly that: it limits the identity side, and a resource policy naming the federated
/// session still grants (the engine's session-ARN rule, AWS-NOTES.md).
///
/// `None` for every other record (AssumeRole* without a policy: the session has no session
/// policy, which [`super::diagnoser`] already reads as "no session-policy layer").
pub fn federation_without_policy(key: &str, s: &SessionPolicy) -> Option<PolicyRef> {
    if s.issued_by != "GetFederationToken" || s.policy.is_some() || !s.policy_arns.is_empty() {
        return None;
    }
    Policy::parse_ref(
        format!("session-policy:{key}"),
        r#"{"Version": "2012-10-17", "Statement": []}"#,
    )
    .ok()
}

/// Whether a role's trust policy allows `sts:TagSession` to anyone (an Allow statement whose
/// `Action` matches it, or whose `NotAction` does not name it). Without it no session can carry
/// session tags: IAM User Guide, id_session-tags.html, "Permissions required to add session
/// tags": "In addition to the action that matches the API operation, you must have the
/// following permissions-only action in your policy: sts:TagSession", and of the example trust
/// policy's statement allowing it: "This action must be allowed before the user can pass
/// session tags." Incoming transitive tags of a role chain are session tags passed at the
/// next AssumeRole, so they need it too (inferred: the page does not say so in as many
/// words). Conditions are not read: an Allow that might apply counts as allowing.
pub fn trust_allows_tag_session(trust: &Policy) -> bool {
    use crate::policy::parse::Elem;
    trust.statements.iter().any(|s| {
        s.effect == crate::policy::Effect::Allow
            && match &s.action {
                Elem::Is(list) => list.iter().any(|a| a.matches("sts:tagsession")),
                Elem::Not(list) => !list.iter().any(|a| a.matches("sts:tagsession")),
            }
    })
}

/// `aws:PrincipalTag/*` of a role session (or federated user) whose STS record is in the logs.
/// For a federated user the base is the IAM user's tags: "When you use the temporary
/// credentials that are returned by the GetFederationToken operation, the session's principal
/// tags include the user's tags and the passed session tags" (id_session-tags.html).
///
/// IAM User Guide, "Passing session tags in AWS STS"
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html>): "If you pass a
/// session tag with the same key as a tag that is already attached to the role, the value of
/// the session tag overrides the role tag with the same key" ("New session tags override
/// existing assumed role or federated user tags with the same tag key, regardless of case");
/// CloudTrail logs the session tags of AssumeRole as `tags` and of a SAML assertion or web
/// identity token as `principalTags` ("Viewing session tags in CloudTrail"); aws:PrincipalTag
/// (reference_policies_condition-keys.html): "It is included for a principal using an IAM
/// role with attached tags or session tags." So the session's tags are the role's, overridden
/// by the record's session tags. When the role's tags are known and the record holds every
/// session tag ([`SessionPolicy::tags_complete`]), a tag key the session does not have is no
/// key at all (absent); otherwise keys not set stay unknown.
///
/// `role_tags` are the role's IAM tags (already set in `ctx` by the request builder).
pub fn session_tag_keys(
    ctx: &mut Context,
    role_tags: Known<&[(String, String)]>,
    record: &SessionPolicy,
    inferred: &mut Vec<String>,
) {
    for (k, v) in &record.session_tags {
        ctx.set(&format!("aws:PrincipalTag/{k}"), v.clone());
    }
    if record.tags_complete && matches!(role_tags, Known::Known(_)) {
        ctx.mark_absent_prefix("aws:PrincipalTag/");
        // The request builder's caveat (session tags unknown) no longer applies.
        inferred.retain(|n| !n.starts_with("aws:PrincipalTag/*"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::KeyState;

    fn record(issued_by: &str, tags: &[(&str, &str)], complete: bool) -> SessionPolicy {
        SessionPolicy {
            access_key_id: "ASIAX".into(),
            issued_by: issued_by.into(),
            event_time: None,
            event_id: None,
            role_arn: None,
            policy: None,
            policy_arns: vec![],
            origin: crate::input::Origin {
                object: "f".into(),
                record_index: None,
            },
            session_tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            tags_complete: complete,
            transitive_tag_keys: vec![],
            incoming_transitive_tags: vec![],
            called_with: None,
        }
    }

    #[test]
    fn tag_session_in_the_trust_policy() {
        let trust = |actions: &str| {
            Policy::parse_ref(
                "t",
                format!(
                    r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::1:root"}}, {actions}}}]}}"#
                )
                .as_str(),
            )
            .expect("trust policy")
        };
        assert!(!trust_allows_tag_session(&trust(
            r#""Action": "sts:AssumeRole""#
        )));
        assert!(trust_allows_tag_session(&trust(
            r#""Action": ["sts:AssumeRole", "sts:TagSession"]"#
        )));
        assert!(trust_allows_tag_session(&trust(r#""Action": "sts:*""#)));
        assert!(trust_allows_tag_session(&trust(r#""NotAction": "s3:*""#)));
        assert!(!trust_allows_tag_session(&trust(
            r#""NotAction": "sts:TagSession""#
        )));
    }

    #[test]
    fn federation_token_without_policy_allows_nothing() {
        let p = federation_without_policy("ASIAX", &record("GetFederationToken", &[], true));
        assert!(p.is_some_and(|p| p.statements.is_empty()));
        assert!(federation_without_policy("ASIAX", &record("AssumeRole", &[], true)).is_none());
    }

    #[test]
    fn session_tags_override_the_role_and_close_the_set_when_complete() {
        let role: Vec<(String, String)> =
            vec![("team".into(), "ops".into()), ("cost".into(), "1".into())];
        let mut ctx = Context::default();
        for (k, v) in &role {
            ctx.set(&format!("aws:PrincipalTag/{k}"), v.clone());
        }
        let mut inferred = vec!["aws:PrincipalTag/*: the role's IAM tags; ...".to_owned()];
        session_tag_keys(
            &mut ctx,
            Known::Known(&role),
            &record("AssumeRole", &[("team", "data")], true),
            &mut inferred,
        );
        assert_eq!(
            ctx.get("aws:PrincipalTag/team"),
            KeyState::Present(&["data".to_owned()])
        );
        assert_eq!(
            ctx.get("aws:PrincipalTag/cost"),
            KeyState::Present(&["1".to_owned()])
        );
        assert_eq!(ctx.get("aws:PrincipalTag/project"), KeyState::Absent);
        assert!(inferred.is_empty());

        // A session assumed by another session: its incoming transitive tags are not shown.
        let mut ctx = Context::default();
        session_tag_keys(
            &mut ctx,
            Known::Known(&role),
            &record("AssumeRole", &[], false),
            &mut Vec::new(),
        );
        assert_eq!(ctx.get("aws:PrincipalTag/project"), KeyState::Unknown);
    }
}
