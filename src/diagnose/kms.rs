//! SSE-KMS: S3 allowed the request, but the caller may not use the KMS key.
//!
//! S3 calls KMS as the caller: `kms:GenerateDataKey` to write an SSE-KMS object,
//! `kms:Decrypt` to read one. The key policy must allow it even within one account (a key
//! policy that names the account root only delegates to IAM, which must then allow too);
//! across accounts both the key policy and the caller's IAM side must allow (KMS developer
//! guide, key-policy-default and key-policy-modifying-external-accounts).
//!
//! With S3 Bucket Keys enabled, KMS sees the *bucket* ARN as encryption context
//! (`aws:s3:arn`), not the object's: a key-policy condition pinned to object ARNs
//! (`arn:aws:s3:::bucket/*`) then fails. That is modelled by choosing the context value here.
//!
//! KMS AccessDenied records in the same logs whose `encryptionContext.aws:s3:arn` names the
//! object or bucket are AWS's own word that KMS refused: they confirm the cause even when the
//! snapshot's key policy would allow (drift).

use super::decide;
use super::fix_input::{narrow, stmt_identity, FixInput};
use super::request::S3Call;
pub use super::rule::KmsCall;
use super::rule::{Evaluated, Fix, RuleCx, RuleExtras, RuleHit, RuleOutcome, S3Rule};
use crate::findings::{DenyType, PolicyType, RootCause};
use crate::policy::{Decision, Form, Known, Layer};

/// Actions that write object data (S3 asks KMS for a data key).
fn is_write(action: &str) -> bool {
    let a = action.to_ascii_lowercase();
    a == "s3:putobject"
}

/// Actions that read object data (S3 asks KMS to decrypt the data key).
fn is_read(action: &str) -> bool {
    let a = action.to_ascii_lowercase();
    a == "s3:getobject" || a == "s3:getobjectversion"
}

/// The bucket's default encryption as the rule needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultEncryption {
    /// `AES256`, `aws:kms`, `aws:kms:dsse`.
    pub algorithm: String,
    pub kms_key_id: Option<String>,
    pub bucket_key_enabled: bool,
}

/// The KMS call for an object request, or `None` when no KMS call is involved (bucket action,
/// SSE-S3, no default encryption). Reads assume the object carries the bucket's default
/// encryption (S3 does not log an object's encryption on a denied read); the reason says so.
pub fn kms_call(
    call: &S3Call<'_>,
    action: &str,
    bucket: &str,
    key: Option<&str>,
    default: Option<&DefaultEncryption>,
) -> Option<KmsCall> {
    let key_name = key?;
    let write = is_write(action);
    if !write && !is_read(action) {
        return None;
    }
    let object_arn = call.s3_arn(bucket, Some(key_name));
    let bucket_arn = call.s3_arn(bucket, None);
    if write {
        let sse = call.headers.sse;
        if let Some(sse) = sse {
            if sse.eq_ignore_ascii_case("AES256") {
                return None;
            }
        }
        let header_key = call.headers.sse_kms_key_id;
        let header_bucket_key = call
            .headers
            .sse_bucket_key_enabled
            .map(|v| v.eq_ignore_ascii_case("true"));
        let default_kms = default.filter(|d| d.algorithm.starts_with("aws:kms"));
        let (key_id, source) = match (header_key, default_kms) {
            (Some(k), _) => (k.to_owned(), "request header"),
            (None, Some(d)) => (
                d.kms_key_id
                    .clone()
                    .unwrap_or_else(|| "alias/aws/s3".to_owned()),
                "bucket default encryption",
            ),
            (None, None) => {
                if sse.is_some_and(|s| s.starts_with("aws:kms")) {
                    ("alias/aws/s3".to_owned(), "request header")
                } else {
                    return None;
                }
            }
        };
        let bucket_key = header_bucket_key
            .or(default_kms.map(|d| d.bucket_key_enabled))
            .unwrap_or(false);
        return Some(KmsCall {
            action: "kms:GenerateDataKey",
            key: key_id,
            context_arn: if bucket_key { bucket_arn } else { object_arn },
            bucket_key,
            source,
        });
    }
    let d = default.filter(|d| d.algorithm.starts_with("aws:kms"))?;
    Some(KmsCall {
        action: "kms:Decrypt",
        key: d
            .kms_key_id
            .clone()
            .unwrap_or_else(|| "alias/aws/s3".to_owned()),
        context_arn: if d.bucket_key_enabled {
            bucket_arn
        } else {
            object_arn
        },
        bucket_key: d.bucket_key_enabled,
        source: "bucket default encryption",
    })
}

/// A KMS AccessDenied record of the same logs, reduced by the scan to the join keys.
pub use crate::scan::evidence::KmsDenial;

/// Whether a KMS denial belongs to this S3 request: same caller, the context names the object
/// or its bucket, within `window_secs` of the S3 event.
pub fn correlates(
    d: &KmsDenial,
    principal_arn: Option<&str>,
    object_arn: &str,
    bucket_arn: &str,
    event_time: Option<&str>,
    window_secs: i64,
) -> bool {
    if d.s3_arn != object_arn && d.s3_arn != bucket_arn {
        return false;
    }
    if let (Some(a), Some(b)) = (d.principal_arn.as_deref(), principal_arn) {
        if a != b {
            return false;
        }
    }
    match (
        d.event_time.as_deref().and_then(parse_time),
        event_time.and_then(parse_time),
    ) {
        (Some(a), Some(b)) => (a - b).abs() <= window_secs,
        _ => true,
    }
}

fn parse_time(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp())
}

/// The key-side verdict: the key policy's own result, whether its Allow only delegates to the
/// account (a grant to the account root, which needs IAM too), and the caller's IAM result for
/// the KMS action.
#[derive(Debug, Clone, PartialEq)]
pub struct KeySide {
    pub key_arn: String,
    pub key_policy: Decision,
    /// Sid/#N of the key policy's matching Deny (explicit) statement.
    pub deny_statement: Option<String>,
    /// The key policy's Allow named only the account (root), delegating to IAM.
    pub delegates_to_iam: bool,
    /// The caller's IAM side (identity + boundary + session + SCP) for the KMS action.
    pub caller_side: Decision,
    pub caller_deny: Option<(PolicyType, String, Option<String>)>,
    pub cross_account: bool,
    /// Why a piece is unknown, when one is.
    pub unknown: Option<String>,
}

/// Decides whether the key refuses the call.
pub fn check(call: &KmsCall, side: &KeySide, denial: Option<&KmsDenial>) -> RuleOutcome {
    let ctx = if call.bucket_key {
        format!(
            " (S3 Bucket Key: KMS sees the bucket ARN {} as encryption context)",
            call.context_arn
        )
    } else {
        String::new()
    };
    let hit = |deny_type: DenyType, sid: Option<String>, why: String| {
        RuleOutcome::Fires(RuleHit {
            root_cause: RootCause::Kms,
            deny_type: Some(deny_type),
            policy_type: Some(PolicyType::KmsKey),
            policy_id: Some(side.key_arn.clone()),
            statement_sid: sid,
            detail: why,
            layer: None,
            fix: Fix::Standard,
        })
    };
    if side.key_policy == Decision::ExplicitDeny {
        return hit(
            DenyType::Explicit,
            side.deny_statement.clone(),
            format!(
                "the key policy of {} explicitly denies {}{ctx}",
                side.key_arn, call.action
            ),
        );
    }
    if side.caller_side == Decision::ExplicitDeny {
        let what = side
            .caller_deny
            .as_ref()
            .map(|(t, id, _)| format!("{} {id}", t.as_str()))
            .unwrap_or_else(|| "a policy on the caller's side".to_owned());
        return hit(
            DenyType::Explicit,
            side.caller_deny.as_ref().and_then(|(_, _, s)| s.clone()),
            format!(
                "{what} explicitly denies {} on {}",
                call.action, side.key_arn
            ),
        );
    }
    let key_allows = side.key_policy == Decision::Allow;
    let needs_iam = side.cross_account || side.delegates_to_iam;
    let iam_allows = side.caller_side == Decision::Allow;
    if side.key_policy == Decision::ImplicitDeny {
        return hit(
            DenyType::Implicit,
            None,
            format!(
                "the key policy of {} does not allow {} for the caller{ctx}",
                side.key_arn, call.action
            ),
        );
    }
    if key_allows && needs_iam && side.caller_side == Decision::ImplicitDeny {
        return hit(
            DenyType::Implicit,
            None,
            format!(
                "the caller's IAM policies do not allow {} on {} ({})",
                call.action,
                side.key_arn,
                if side.cross_account {
                    "a key in another account needs both sides"
                } else {
                    "the key policy delegates to IAM"
                }
            ),
        );
    }
    if key_allows && (!needs_iam || iam_allows) {
        // The snapshot says KMS would allow; a logged KMS denial says otherwise (drift).
        if let Some(d) = denial {
            return hit(
                DenyType::Implicit,
                None,
                format!(
                    "KMS refused {} (record {}{}) although the snapshot's key policy allows it: the key policy or grants changed",
                    d.event_name,
                    d.event_id,
                    d.error_message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
                ),
            );
        }
        return RuleOutcome::Clear;
    }
    // Something unknown decides.
    if let Some(d) = denial {
        return hit(
            DenyType::Implicit,
            None,
            format!(
                "KMS refused {} for this object (record {})",
                d.event_name, d.event_id
            ),
        );
    }
    RuleOutcome::Unknown(
        side.unknown
            .clone()
            .unwrap_or_else(|| format!("whether {} may use key {}", call.action, side.key_arn)),
    )
}

/// The fix: narrow the key policy's Deny, or grant the KMS action S3 makes on the caller's
/// behalf in the key policy (and, when it delegates to the account, to `who`, the identity
/// whose policies grant).
pub fn remediation(f: &FixInput<'_>, who: &str) -> String {
    let key = f.kms_key_arn.unwrap_or("the bucket's KMS key");
    let ka = f.kms_action.unwrap_or("kms:Decrypt");
    if f.explicit {
        narrow("KMS key policy", f)
    } else {
        format!(
            "add to the key policy of {key}: {} (and, when the key policy delegates to the account, to {who}'s identity policy: {})",
            serde_json::json!({"Effect": "Allow", "Principal": {"AWS": f.principal}, "Action": ka, "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": "s3.amazonaws.com"}}}).to_string().replace("\"s3.amazonaws.com\"", "\"s3.<region>.amazonaws.com\""),
            stmt_identity(ka, key)
        )
    }
}

/// Seconds between an S3 event and a KMS denial that belongs to it.
const KMS_WINDOW_SECS: i64 = 300;

/// The KMS rule as registered in [`super::rules::RULES`].
pub struct Rule;

impl S3Rule for Rule {
    fn name(&self) -> &'static str {
        "kms"
    }

    /// KMS needs more engine calls; it only matters when no policy layer fails (it would only
    /// add to `also` otherwise), so it is not asked then.
    fn check(&self, cx: &RuleCx<'_>, extras: &mut RuleExtras) -> Option<RuleOutcome> {
        let default = match cx.snapshot.bucket(cx.bucket) {
            Known::Known(b) => match &b.encryption {
                Known::Known(Some(e)) => Some(DefaultEncryption {
                    algorithm: e.algorithm.clone(),
                    kms_key_id: e.kms_key_id.clone(),
                    bucket_key_enabled: e.bucket_key_enabled,
                }),
                _ => None,
            },
            _ => None,
        };
        match kms_call(
            cx.call,
            &cx.request.action,
            cx.bucket,
            cx.key,
            default.as_ref(),
        ) {
            None => Some(RuleOutcome::Clear),
            Some(_) if cx.policy_fails => None,
            Some(call) => {
                let (outcome, eval) = key_rule(cx, &call);
                extras.kms = Some((call, eval));
                Some(outcome)
            }
        }
    }
}

/// The key's answer on the KMS call S3 makes: the snapshot's key policy and the caller's IAM
/// side through the engine, a logged KMS denial as AWS's own word, the AWS managed key's
/// fixed policy when the snapshot lacks the key.
fn key_rule(cx: &RuleCx<'_>, call: &KmsCall) -> (RuleOutcome, Option<Evaluated>) {
    let (req, input, s) = (cx.request, cx.input, cx.snapshot);
    let object_arn = cx.call.s3_arn(cx.bucket, cx.key);
    let bucket_arn = cx.call.s3_arn(cx.bucket, None);
    let principal_arn = cx.call.caller_arn;
    let denial = [&object_arn, &bucket_arn]
        .into_iter()
        .filter_map(|arn| cx.kms_denials.get(arn.as_str()))
        .flatten()
        .find(|kd| {
            correlates(
                kd,
                principal_arn,
                &object_arn,
                &bucket_arn,
                cx.call.time,
                KMS_WINDOW_SECS,
            )
        })
        .copied();
    let kms_key = match s.kms_key(&call.key) {
        Known::Known(k) => k,
        Known::Unknown(why) => {
            if call.key == "alias/aws/s3" {
                // The AWS managed key's policy allows every principal of its own account
                // through S3, and nobody else: other accounts cannot use AWS managed keys.
                let cross = match (&req.principal.account, &req.resource_account) {
                    (Some(c), Some(r)) => Some(c != r),
                    _ => None,
                };
                let outcome = match cross {
                    Some(false) => RuleOutcome::Clear,
                    Some(true) => RuleOutcome::Fires(RuleHit {
                        root_cause: RootCause::Kms,
                        deny_type: Some(DenyType::Implicit),
                        policy_type: Some(PolicyType::KmsKey),
                        policy_id: Some(format!(
                            "arn:{}:kms:{}:{}:alias/aws/s3",
                            cx.call.partition,
                            cx.call.region.unwrap_or("<region>"),
                            req.resource_account.as_deref().unwrap_or("<account>")
                        )),
                        statement_sid: None,
                        detail: format!(
                            "the object is encrypted with the AWS managed key aws/s3 of the bucket's account, which other accounts cannot use ({})",
                            call.action
                        ),
                        layer: None,
                        fix: Fix::Standard,
                    }),
                    None => RuleOutcome::Unknown(
                        "whether the caller is in the account of the AWS managed key aws/s3".to_owned(),
                    ),
                };
                return (outcome, None);
            }
            let outcome = match &denial {
                Some(d) => RuleOutcome::Fires(RuleHit {
                    root_cause: RootCause::Kms,
                    deny_type: Some(DenyType::Implicit),
                    policy_type: Some(PolicyType::KmsKey),
                    policy_id: d.key_arn.clone().or_else(|| Some(call.key.clone())),
                    statement_sid: None,
                    detail: format!(
                        "KMS refused {} for this object (record {})",
                        d.event_name, d.event_id
                    ),
                    layer: None,
                    fix: Fix::Standard,
                }),
                None => RuleOutcome::Unknown(format!("KMS key {}: {why}", call.key)),
            };
            return (outcome, None);
        }
    };
    let mut kreq = req.clone();
    kreq.action = call.action.to_owned();
    kreq.resource = kms_key.arn.clone();
    kreq.resource_account = Some(kms_key.account.clone());
    kreq.context
        .set("kms:EncryptionContext:aws:s3:arn", call.context_arn.clone());
    if let Some(region) = cx.call.region {
        kreq.context
            .set("kms:ViaService", format!("s3.{region}.amazonaws.com"));
    }
    if let Some(acct) = &req.principal.account {
        kreq.context.set("kms:CallerAccount", acct.clone());
    }
    // S3 calls KMS with the caller's credentials (forward access sessions): the call comes
    // via an AWS service, not through the caller's network path, so the caller's endpoint
    // is absent and the source IP KMS sees is not in the record.
    kreq.context.set("aws:ViaAWSService", "true");
    kreq.context.mark_absent("aws:SourceVpce");
    kreq.context.forget("aws:sourceip");
    let mut kinput = s.authz_input_with_session(&kreq, input.session.clone());
    // S3 calls KMS itself: the caller's VPC endpoint is not on that path.
    kinput.vpc_endpoint = Known::Known(None);
    let e = (cx.engine)(&kreq, &kinput);
    let layer = |l: Layer| {
        e.layer(l)
            .map(|t| t.decision)
            .unwrap_or(Decision::NotApplicable)
    };
    let key_policy = layer(Layer::Resource);
    let deny_statement = e
        .layer(Layer::Resource)
        .and_then(|t| t.matched_deny.first())
        .map(|s| s.statement.clone());
    let delegates = e
        .layer(Layer::Resource)
        .and_then(|t| t.grant_form)
        .is_some_and(|f| f == Form::Account);
    let mut caller_side = Decision::Allow;
    let mut caller_deny = None;
    let mut unknown = Vec::new();
    for l in [
        Layer::Rcp,
        Layer::Scp,
        Layer::Identity,
        Layer::PermissionsBoundary,
        Layer::SessionPolicy,
    ] {
        let Some(t) = e.layer(l) else { continue };
        match t.decision {
            Decision::ExplicitDeny => {
                caller_side = Decision::ExplicitDeny;
                if caller_deny.is_none() {
                    caller_deny = t.matched_deny.first().map(|s| {
                        (
                            decide::policy_type(l),
                            s.policy_id.clone(),
                            Some(s.statement.clone()),
                        )
                    });
                }
            }
            Decision::ImplicitDeny if caller_side != Decision::ExplicitDeny => {
                caller_side = Decision::ImplicitDeny
            }
            Decision::Unknown => {
                if caller_side == Decision::Allow {
                    caller_side = Decision::Unknown;
                }
                unknown.push(
                    t.missing
                        .clone()
                        .unwrap_or_else(|| decide::policy_type(l).as_str().to_owned()),
                );
            }
            _ => {}
        }
    }
    if key_policy == Decision::Unknown {
        unknown.push(
            e.layer(Layer::Resource)
                .and_then(|t| t.missing.clone())
                .unwrap_or_else(|| format!("key policy of {}", kms_key.arn)),
        );
    }
    let side = KeySide {
        key_arn: kms_key.arn.clone(),
        key_policy,
        deny_statement,
        delegates_to_iam: delegates,
        caller_side,
        caller_deny,
        cross_account: req.principal.account.as_deref() != Some(kms_key.account.as_str()),
        unknown: (!unknown.is_empty()).then(|| unknown.join("; ")),
    };
    (check(call, &side, denial), Some((kreq, e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Event;
    use serde_json::json;

    fn ev(v: serde_json::Value) -> Event {
        serde_json::from_value(v).unwrap()
    }

    fn kms_default(bucket_key: bool) -> DefaultEncryption {
        DefaultEncryption {
            algorithm: "aws:kms".into(),
            kms_key_id: Some("arn:aws:kms:us-east-1:1:key/k".into()),
            bucket_key_enabled: bucket_key,
        }
    }

    /// S3 Bucket Keys: the encryption context is the bucket ARN, not the object's.
    #[test]
    fn bucket_key_makes_the_context_the_bucket_arn() {
        let e = Event::default();
        let c = kms_call(
            &S3Call::from_event(&e),
            "s3:GetObject",
            "b",
            Some("k/o"),
            Some(&kms_default(true)),
        )
        .unwrap();
        assert_eq!(c.action, "kms:Decrypt");
        assert_eq!(c.context_arn, "arn:aws:s3:::b");
        let c = kms_call(
            &S3Call::from_event(&e),
            "s3:GetObject",
            "b",
            Some("k/o"),
            Some(&kms_default(false)),
        )
        .unwrap();
        assert_eq!(c.context_arn, "arn:aws:s3:::b/k/o");
    }

    /// PutObject asks KMS for a data key; an explicit AES256 header means no KMS call.
    #[test]
    fn writes_need_generate_data_key_unless_sse_s3() {
        let e = Event::default();
        let c = kms_call(
            &S3Call::from_event(&e),
            "s3:PutObject",
            "b",
            Some("o"),
            Some(&kms_default(false)),
        )
        .unwrap();
        assert_eq!(c.action, "kms:GenerateDataKey");
        let e = ev(json!({"requestParameters": {"x-amz-server-side-encryption": "AES256"}}));
        assert!(kms_call(
            &S3Call::from_event(&e),
            "s3:PutObject",
            "b",
            Some("o"),
            Some(&kms_default(false))
        )
        .is_none());
        let e = ev(
            json!({"requestParameters": {"x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:2:key/x"}}),
        );
        let c = kms_call(
            &S3Call::from_event(&e),
            "s3:PutObject",
            "b",
            Some("o"),
            None,
        )
        .unwrap();
        assert_eq!(c.key, "arn:aws:kms:us-east-1:2:key/x");
        assert!(kms_call(
            &S3Call::default(),
            "s3:ListBucket",
            "b",
            None,
            Some(&kms_default(false))
        )
        .is_none());
    }

    fn side(key: Decision, caller: Decision, delegates: bool, cross: bool) -> KeySide {
        KeySide {
            key_arn: "arn:aws:kms:us-east-1:1:key/k".into(),
            key_policy: key,
            deny_statement: None,
            delegates_to_iam: delegates,
            caller_side: caller,
            caller_deny: None,
            cross_account: cross,
            unknown: None,
        }
    }

    fn call() -> KmsCall {
        KmsCall {
            action: "kms:Decrypt",
            key: "k".into(),
            context_arn: "arn:aws:s3:::b".into(),
            bucket_key: true,
            source: "bucket default encryption",
        }
    }

    /// Key policies must allow even in the same account.
    #[test]
    fn key_policy_must_allow_even_same_account() {
        let o = check(
            &call(),
            &side(Decision::ImplicitDeny, Decision::Allow, false, false),
            None,
        );
        assert!(
            matches!(o, RuleOutcome::Fires(ref h) if h.policy_type == Some(PolicyType::KmsKey) && h.detail.contains("Bucket Key")),
            "{o:?}"
        );
    }

    /// A key policy granting the account root delegates to IAM: IAM must allow too.
    #[test]
    fn root_delegation_needs_iam() {
        let o = check(
            &call(),
            &side(Decision::Allow, Decision::ImplicitDeny, true, false),
            None,
        );
        assert!(matches!(o, RuleOutcome::Fires(_)));
        assert_eq!(
            check(
                &call(),
                &side(Decision::Allow, Decision::ImplicitDeny, false, false),
                None
            ),
            RuleOutcome::Clear
        );
        // Cross-account: both sides.
        assert!(matches!(
            check(
                &call(),
                &side(Decision::Allow, Decision::ImplicitDeny, false, true),
                None
            ),
            RuleOutcome::Fires(_)
        ));
    }

    #[test]
    fn logged_kms_denial_correlates_on_context_and_caller() {
        let d = KmsDenial {
            s3_arn: "arn:aws:s3:::b".into(),
            event_id: "k1".into(),
            event_time: Some("2026-11-20T09:00:02Z".into()),
            event_name: "Decrypt".into(),
            principal_arn: Some("arn:aws:iam::1:user/a".into()),
            key_arn: None,
            error_message: None,
            origin: crate::input::Origin {
                object: "f".into(),
                record_index: Some(0),
            },
        };
        assert!(correlates(
            &d,
            Some("arn:aws:iam::1:user/a"),
            "arn:aws:s3:::b/o",
            "arn:aws:s3:::b",
            Some("2026-11-20T09:00:00Z"),
            300
        ));
        assert!(!correlates(
            &d,
            Some("arn:aws:iam::1:user/other"),
            "arn:aws:s3:::b/o",
            "arn:aws:s3:::b",
            None,
            300
        ));
        assert!(!correlates(
            &d,
            None,
            "arn:aws:s3:::c/o",
            "arn:aws:s3:::c",
            None,
            300
        ));
        // Drift: the snapshot allows, the logs say KMS refused.
        let o = check(
            &call(),
            &side(Decision::Allow, Decision::Allow, false, false),
            Some(&d),
        );
        assert!(matches!(o, RuleOutcome::Fires(_)));
    }
}
