//! The missing key: S3 answers GetObject/HeadObject on a key that does not exist with 403
//! instead of 404 when the caller lacks `s3:ListBucket` on the bucket (S3 `GetObject` API,
//! Permissions: "If you don't have the s3:ListBucket permission, Amazon S3 returns an HTTP
//! status code 403"; aws/aws-cli#2041). Only read when every policy layer allows the read.

use super::fix_input::{partition_of, stmt_identity, FixInput};
use super::rule::{RuleCx, RuleExtras, RuleHit, RuleOutcome, S3Rule};
use crate::findings::RootCause;
use crate::policy::Known;
use crate::scan::evidence::ObjectKey;

/// Whether the key exists, as far as the snapshot and the logs say.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyPresence {
    Present,
    /// Not in a complete listing (`objects.json`), or deleted per the logs.
    Absent(String),
    Unknown(String),
}

/// Whether the action is a read this rule covers (GetObject / HeadObject map to s3:GetObject;
/// versioned reads too).
pub fn applies(action: &str) -> bool {
    action.eq_ignore_ascii_case("s3:GetObject")
        || action.eq_ignore_ascii_case("s3:GetObjectVersion")
}

/// The rule. `list_allowed` is the engine's verdict on `s3:ListBucket` for the same caller on
/// the bucket (`Known(true)` allowed).
pub fn check(action: &str, key: &KeyPresence, list_allowed: &Known<bool>) -> RuleOutcome {
    if !applies(action) {
        return RuleOutcome::Clear;
    }
    match (key, list_allowed) {
        (KeyPresence::Present, _) => RuleOutcome::Clear,
        // With ListBucket S3 would have said 404, not 403.
        (_, Known::Known(true)) => RuleOutcome::Clear,
        (KeyPresence::Absent(why), Known::Known(false)) => RuleOutcome::Fires(RuleHit::setting(
            RootCause::ObjectNotFound,
            format!("the key does not exist ({why}) and the caller may not s3:ListBucket, so S3 answers 403 instead of 404"),
        )),
        (KeyPresence::Unknown(why), Known::Known(false)) => {
            RuleOutcome::Unknown(format!("whether the key exists: {why}"))
        }
        (_, Known::Unknown(why)) => RuleOutcome::Unknown(format!("s3:ListBucket verdict: {why}")),
    }
}

/// The fix: the key name; and s3:ListBucket, so that S3 answers 404 for a missing key.
pub fn remediation(f: &FixInput<'_>) -> String {
    format!(
        "the key does not exist: check the key name; to get 404 instead of 403 for missing keys, allow s3:ListBucket: {}",
        stmt_identity("s3:ListBucket", &format!("arn:{}:s3:::{}", partition_of(f.resource_arn), f.bucket.unwrap_or("<bucket>")))
    )
}

/// The missing-key rule as registered in [`super::rules::RULES`]: asked only for reads when
/// no policy layer fails; asks the engine for s3:ListBucket unless the key is known present.
pub struct Rule;

impl S3Rule for Rule {
    fn name(&self) -> &'static str {
        "object_not_found"
    }

    fn check(&self, cx: &RuleCx<'_>, extras: &mut RuleExtras) -> Option<RuleOutcome> {
        if !applies(&cx.request.action) || cx.policy_fails {
            return None;
        }
        let presence = match cx.key {
            Some(k) => key_presence(cx, k),
            None => KeyPresence::Unknown("no key in the record".to_owned()),
        };
        let (list, eval) = if presence == KeyPresence::Present {
            (Known::Known(true), None)
        } else {
            let mut lreq = cx.request.clone();
            lreq.action = "s3:ListBucket".to_owned();
            lreq.resource = cx.call.s3_arn(cx.bucket, None);
            let linput = cx
                .snapshot
                .authz_input_with_session(&lreq, cx.input.session.clone());
            let e = (cx.engine)(&lreq, &linput);
            let k = match e.allowed {
                Some(b) => Known::Known(b),
                None => Known::Unknown(e.unknowns.join("; ")),
            };
            (k, Some(e))
        };
        extras.list_bucket = eval;
        Some(check(&cx.request.action, &presence, &list))
    }
}

/// Whether `key` exists: deleted per the logs, written per the logs, else the snapshot's
/// complete `objects.json` listing.
fn key_presence(cx: &RuleCx<'_>, key: &str) -> KeyPresence {
    let k = ObjectKey::new(cx.bucket, key);
    if let Some(d) = cx.evidence.deletions.get(&k) {
        return KeyPresence::Absent(format!(
            "deleted by DeleteObject {} at {}",
            d.event_id.as_deref().unwrap_or("?"),
            d.event_time.as_deref().unwrap_or("?")
        ));
    }
    if cx.evidence.foreign_writes.contains_key(&k) {
        return KeyPresence::Present;
    }
    match cx.snapshot.object(cx.bucket, key) {
        Known::Known(Some(_)) => KeyPresence::Present,
        Known::Known(None) => {
            KeyPresence::Absent("not in the bucket's complete objects.json listing".to_owned())
        }
        Known::Unknown(why) => KeyPresence::Unknown(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GetObject API: missing key + no s3:ListBucket → 403.
    #[test]
    fn missing_key_without_list_fires() {
        let o = check(
            "s3:GetObject",
            &KeyPresence::Absent("not in objects.json".into()),
            &Known::Known(false),
        );
        assert!(matches!(o, RuleOutcome::Fires(h) if h.root_cause == RootCause::ObjectNotFound));
    }

    /// With s3:ListBucket the answer would have been 404: not this cause.
    #[test]
    fn list_allowed_is_clear() {
        let o = check(
            "s3:GetObject",
            &KeyPresence::Absent("x".into()),
            &Known::Known(true),
        );
        assert_eq!(o, RuleOutcome::Clear);
    }

    #[test]
    fn existing_key_or_other_action_is_clear() {
        assert_eq!(
            check("s3:GetObject", &KeyPresence::Present, &Known::Known(false)),
            RuleOutcome::Clear
        );
        assert_eq!(
            check(
                "s3:PutObject",
                &KeyPresence::Absent("x".into()),
                &Known::Known(false)
            ),
            RuleOutcome::Clear
        );
    }

    #[test]
    fn unknown_presence_is_unknown() {
        let o = check(
            "s3:GetObject",
            &KeyPresence::Unknown("no objects.json".into()),
            &Known::Known(false),
        );
        assert!(matches!(o, RuleOutcome::Unknown(_)));
    }
}
