//! The session tags a role session inherits in a role chain, from the STS records of the
//! sessions that assumed it.
//!
//! IAM User Guide, "Chaining roles with session tags"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_role-chaining>):
//! "When you pass session tags while assuming a role, you can set the keys as transitive. This
//! ensures that those session tags pass to subsequent sessions in a role chain. You cannot set
//! role tags as transitive." In its example the second session's "resulting principal tags
//! are `Heart` = `1`, `Star` = `1`, and `Sun` = `2`. `Heart` and `Star` will continue to be
//! transitive. The `Sun` tag that was attached to `Role2` is not marked as transitive because
//! it is not a session tag. This tag will not be inherited by future sessions"; of the third:
//! "If you try to pass the `Heart` = `3` session tag, the operation will fail. The inherited
//! `Star` = `1` session tag overrides the role's `Star` = `3` tag."
//!
//! So a session's tags are its role's IAM tags, overridden by its session tags and its
//! incoming transitive tags (which no new session tag can override, and keys compare without
//! case: "New session tags override existing assumed role or federated user tags with the same
//! tag key, regardless of case"); it passes on its incoming transitive tags and the session
//! tags it marked transitive (`transitiveTagKeys`), nothing else. A session whose tags were not
//! transitive, or that had none, passes nothing on: STS API reference, AssumeRole,
//! `TransitiveTagKeys`: "If you choose not to specify a transitive tag key, then no tags are
//! passed from this session to any subsequent sessions."
//!
//! CloudTrail lists the inherited tags in the chained AssumeRole record itself as
//! `requestParameters.incomingTransitiveTags` (IAM User Guide, cloudtrail-integration.html,
//! "Example AWS STS role chaining API event in CloudTrail log file": "The request inherits the
//! `Department` tag as transitive because John set it as transitive when he assumed
//! `JohnRole1`"). Where a record does not list them, the calling session's record (the one
//! whose `responseElements.credentials.accessKeyId` signed this call) gives them, recursively;
//! when a link is missing from the logs they stay unknown.

use crate::scan::evidence::SessionPolicy;
use std::borrow::Cow;
use std::collections::HashMap;

/// Links followed at most: AWS sets no depth, but a chain of records that loops (impossible in
/// real logs) must not loop here.
const MAX_LINKS: usize = 32;

/// The records by the access key they issued (as `Evidence::session_policies`).
pub type Records<S> = HashMap<String, SessionPolicy, S>;

/// The transitive tags the session `rec` issued inherited from the session that called
/// AssumeRole; `None` when a record up the chain is not in the logs.
pub fn incoming<S: std::hash::BuildHasher>(
    rec: &SessionPolicy,
    records: &Records<S>,
) -> Option<Vec<(String, String)>> {
    incoming_at(rec, records, 0)
}

fn incoming_at<S: std::hash::BuildHasher>(
    rec: &SessionPolicy,
    records: &Records<S>,
    depth: usize,
) -> Option<Vec<(String, String)>> {
    // Not chained (a user, a federated identity), or the record lists what it inherited.
    if rec.tags_complete {
        return Some(rec.incoming_transitive_tags.clone());
    }
    if depth >= MAX_LINKS {
        return None;
    }
    let caller = records.get(rec.called_with.as_deref()?)?;
    outgoing(caller, records, depth + 1)
}

/// What a session passes on to the sessions it assumes: its incoming transitive tags, then its
/// own session tags whose keys it marked transitive.
fn outgoing<S: std::hash::BuildHasher>(
    rec: &SessionPolicy,
    records: &Records<S>,
    depth: usize,
) -> Option<Vec<(String, String)>> {
    let mut out = incoming_at(rec, records, depth)?;
    for (k, v) in &rec.session_tags {
        let transitive = rec
            .transitive_tag_keys
            .iter()
            .any(|t| t.eq_ignore_ascii_case(k));
        // An inherited key cannot be passed again (the call would have failed).
        if transitive && !out.iter().any(|(o, _)| o.eq_ignore_ascii_case(k)) {
            out.push((k.clone(), v.clone()));
        }
    }
    Some(out)
}

/// The record with every session tag of its session: its own session tags, then the inherited
/// transitive tags (which win: "If you pass a session tag with the same key as an inherited
/// tag, the operation fails", STS API reference, AssumeRole), with `tags_complete` set. The
/// record unchanged when it is already complete or a link of its chain is missing.
pub fn completed<'r, S: std::hash::BuildHasher>(
    rec: &'r SessionPolicy,
    records: &Records<S>,
) -> Cow<'r, SessionPolicy> {
    if rec.tags_complete && rec.incoming_transitive_tags.is_empty() {
        return Cow::Borrowed(rec);
    }
    match incoming(rec, records) {
        Some(inherited) => {
            let mut full = rec.clone();
            full.session_tags
                .retain(|(k, _)| !inherited.iter().any(|(i, _)| i.eq_ignore_ascii_case(k)));
            full.session_tags.extend(inherited);
            full.tags_complete = true;
            Cow::Owned(full)
        }
        None => Cow::Borrowed(rec),
    }
}

/// What `explain` says of a chained session's tags: where the inherited ones came from, or
/// which link is missing. `None` for a session that is not chained.
pub fn note<S: std::hash::BuildHasher>(
    rec: &SessionPolicy,
    records: &Records<S>,
) -> Option<String> {
    if rec.tags_complete && rec.incoming_transitive_tags.is_empty() {
        return None;
    }
    if rec.tags_complete {
        return Some(format!(
            "aws:PrincipalTag/*: with the transitive tags the {} record {} lists as inherited (incomingTransitiveTags)",
            rec.issued_by,
            rec.event_id.as_deref().unwrap_or("?")
        ));
    }
    // Up the chain: the records found, then the first key whose record is missing.
    let mut found = Vec::new();
    let mut cur = rec;
    while !cur.tags_complete && found.len() < MAX_LINKS {
        let Some(key) = cur.called_with.as_deref() else {
            return Some("aws:PrincipalTag/*: tags inherited in a role chain unknown: the record does not say which session called AssumeRole".to_owned());
        };
        match records.get(key) {
            Some(up) => {
                found.push(format!(
                    "{} record {}",
                    up.issued_by,
                    up.event_id.as_deref().unwrap_or("?")
                ));
                cur = up;
            }
            None => {
                return Some(format!(
                    "aws:PrincipalTag/*: tags inherited in a role chain unknown: the record that issued access key {key} (the caller of AssumeRole) is not in the logs"
                ))
            }
        }
    }
    Some(format!(
        "aws:PrincipalTag/*: with the transitive tags inherited in a role chain, from {}",
        found.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(
        key: &str,
        called_with: Option<&str>,
        tags: &[(&str, &str)],
        transitive: &[&str],
    ) -> SessionPolicy {
        SessionPolicy {
            access_key_id: key.into(),
            issued_by: if called_with.is_some() {
                "AssumeRole".into()
            } else {
                "AssumeRoleWithSAML".into()
            },
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
            tags_complete: called_with.is_none(),
            transitive_tag_keys: transitive.iter().map(|k| (*k).to_owned()).collect(),
            incoming_transitive_tags: vec![],
            called_with: called_with.map(str::to_owned),
        }
    }

    fn records(list: Vec<SessionPolicy>) -> Records<std::collections::hash_map::RandomState> {
        list.into_iter()
            .map(|r| (r.access_key_id.clone(), r))
            .collect()
    }

    fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
        v.sort();
        v
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        sorted(
            p.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    /// id_session-tags.html's three-role example: Session1 passes Star=1 and Heart=1, both
    /// transitive; Session2 (assumed with Session1's key) passes nothing and inherits both;
    /// Session3 (assumed with Session2's key) inherits them again ("`Heart` and `Star` will
    /// continue to be transitive"). A non-transitive session tag of Session1 does not pass.
    #[test]
    fn transitive_tags_pass_down_the_chain_and_nothing_else() {
        let all = records(vec![
            rec(
                "K1",
                None,
                &[("Star", "1"), ("Heart", "1"), ("Moon", "0")],
                &["Star", "heart"],
            ),
            rec("K2", Some("K1"), &[], &[]),
            rec("K3", Some("K2"), &[("Email", "j@x")], &[]),
        ]);
        let s2 = completed(&all["K2"], &all);
        assert!(s2.tags_complete);
        assert_eq!(
            sorted(s2.session_tags.clone()),
            pairs(&[("Heart", "1"), ("Star", "1")])
        );
        let s3 = completed(&all["K3"], &all);
        assert!(s3.tags_complete);
        assert_eq!(
            sorted(s3.session_tags.clone()),
            pairs(&[("Email", "j@x"), ("Heart", "1"), ("Star", "1")]),
            "Moon was not transitive; Email is Session3's own"
        );
    }

    /// A missing link keeps the set open; a record listing `incomingTransitiveTags` needs no
    /// link.
    #[test]
    fn a_missing_caller_keeps_the_tags_unknown() {
        let all = records(vec![rec("K3", Some("K2"), &[("Email", "j@x")], &[])]);
        let s3 = completed(&all["K3"], &all);
        assert!(!s3.tags_complete);
        assert!(incoming(&all["K3"], &all).is_none());
        let why = note(&all["K3"], &all).unwrap_or_default();
        assert!(
            why.contains("access key K2") && why.contains("not in the logs"),
            "{why}"
        );

        let mut listed = rec("K4", Some("K2"), &[], &[]);
        listed.incoming_transitive_tags = vec![("Department".into(), "Engineering".into())];
        listed.tags_complete = true;
        let done = completed(&listed, &all);
        assert!(done.tags_complete);
        assert_eq!(done.session_tags, pairs(&[("Department", "Engineering")]));
    }

    /// The inherited value is the one the session has, whatever the case of the key ("regardless
    /// of case"); a session tag of the same key in the record cannot stand.
    #[test]
    fn inherited_tags_win_regardless_of_case() {
        let all = records(vec![
            rec("K1", None, &[("Project", "a")], &["PROJECT"]),
            rec("K2", Some("K1"), &[("project", "b"), ("Team", "t")], &[]),
        ]);
        let s2 = completed(&all["K2"], &all);
        assert_eq!(
            sorted(s2.session_tags.clone()),
            pairs(&[("Project", "a"), ("Team", "t")])
        );
    }
}
