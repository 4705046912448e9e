//! Object Lock: a version under retention or a legal hold cannot be deleted (or its retention
//! shortened) even when every policy allows; S3 answers 403 AccessDenied.
//!
//! What S3 does (S3 User Guide and API reference):
//! - Only a delete *of a version* is refused. "A simple DELETE request is a request that
//!   doesn't specify a version ID. Because the object is in a versioning-enabled bucket, the
//!   object is not deleted. But the delete marker makes Amazon S3 behave as if the object is
//!   deleted." (https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeleteMarker.html):
//!   DeleteObject without `versionId` only adds a delete marker, which Object Lock never refuses.
//! - Compliance mode: "When an object is locked in compliance mode, its retention mode can't be
//!   changed, and its retention period can't be shortened. Compliance mode helps ensure that an
//!   object version can't be overwritten or deleted for the duration of the retention period."
//!   (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_s3.ObjectLockMode.html,
//!   COMPLIANCE; the User Guide's object-lock.html says the same of retention modes).
//! - Governance mode: a caller may delete or shorten only with the bypass header and the
//!   permission: "Specifies whether you want to delete this object even if it has a
//!   Governance-type Object Lock in place. To use this header, you must have the
//!   s3:BypassGovernanceRetention permission."
//!   (https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/s3/aws.sdk.kotlin.services.s3.model/-delete-objects-request/bypass-governance-retention.html,
//!   the `x-amz-bypass-governance-retention` header of the S3 API). With the header, the rule asks the engine for
//!   `s3:BypassGovernanceRetention` with the caller's policies.
//! - Default retention applies when the version is written: "The default Object Lock retention
//!   mode and period that you want to apply to new objects placed in the specified bucket"
//!   (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_AwsS3BucketObjectLockConfigurationRuleDetails.html,
//!   `DefaultRetention`, the same field as get-object-lock-configuration's `Rule`). So a version written at `LastModified`
//!   under a default of N days is retained until `LastModified` + N days.
//!
//! When the record logs the version's own lock (`additionalEventData.objectRetentionInfo`,
//! [`OwnLock`]), that decides: "Like setting a retention period, a legal hold prevents an
//! object version from being overwritten or deleted. However, a legal hold doesn't have an
//! associated retention period and remains in effect until it's removed."
//! (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-legal-hold.html); an own
//! retention replaces the bucket default. Otherwise the version's own retention and
//! legal hold are not in the snapshot. The rule decides from the
//! bucket's default retention and the key's `LastModified` in `objects.json` (the listed
//! version: a key with older versions may differ, and a PUT may set its own retention); when
//! that does not decide, it says `unknown` and names the calls that would
//! (`aws s3api get-object-retention`, `aws s3api get-object-legal-hold`).

use super::cause::Fix;
use super::rule::{RuleCx, RuleExtras, RuleHit, RuleOutcome, S3Rule};
use crate::findings::RootCause;
use crate::policy::Known;
use crate::snapshot::{ObjectLockConfig, RetentionMode};
use chrono::{DateTime, Duration, FixedOffset};
use serde_json::Value;

/// What the rule reads of one call.
#[derive(Debug, Clone, Default)]
pub struct LockCall<'a> {
    pub api: &'a str,
    pub bucket: &'a str,
    pub key: Option<&'a str>,
    pub version_id: Option<&'a str>,
    /// `x-amz-bypass-governance-retention: true` was sent.
    pub bypass_header: bool,
    /// The engine's verdict on s3:BypassGovernanceRetention (asked only with the header).
    pub bypass_allowed: Option<bool>,
    pub event_time: Option<DateTime<FixedOffset>>,
    /// PutObjectRetention: the requested mode and date (`None` when the record lacks them).
    pub new_retention: Option<(Option<RetentionMode>, Option<DateTime<FixedOffset>>)>,
    /// The version's own lock, when the record logs it.
    pub own: OwnLock,
}

/// The calls Object Lock can refuse.
pub fn applies(api: &str, version_id: Option<&str>) -> bool {
    match api {
        "DeleteObject" => version_id.is_some(),
        "DeleteObjects" | "PutObjectRetention" => true,
        _ => false,
    }
}

fn what_decides(c: &LockCall<'_>) -> String {
    let key = c.key.unwrap_or("<key>");
    let v = c
        .version_id
        .map(|v| format!(" --version-id {v}"))
        .unwrap_or_default();
    format!(
        "the version's own Object Lock retention and legal hold (aws s3api get-object-retention --bucket {b} --key {key}{v}; aws s3api get-object-legal-hold --bucket {b} --key {key}{v})",
        b = c.bucket
    )
}

/// The version's own Object Lock state as S3 logged it in the record
/// (`additionalEventData.objectRetentionInfo`: `legalHoldInfo.isUnderLegalHold`,
/// `retentionInfo.retainUntilMode`/`retainUntilDate`, the fields of the S3 CloudTrail event
/// schema, e.g. https://docs.aws.amazon.com/cdk/api/v2/dotnet/api/Amazon.CDK.Mixins.Preview.AWS.S3.Events.BucketEvents.AWSAPICallViaCloudTrail.IAdditionalEventData.html).
/// When present it decides, and the bucket's default does not matter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OwnLock {
    pub legal_hold: Option<bool>,
    pub retention: Option<(RetentionMode, DateTime<FixedOffset>)>,
}

/// One retention in force: its mode, its end, and where it comes from (for the reason).
struct InForce {
    mode: RetentionMode,
    until: DateTime<FixedOffset>,
    source: String,
}

/// The rule. `written` is when the version was written (`objects.json` `LastModified`).
pub fn check(
    c: &LockCall<'_>,
    lock: &Known<Option<ObjectLockConfig>>,
    written: Option<DateTime<FixedOffset>>,
) -> RuleOutcome {
    if !applies(c.api, c.version_id) {
        return RuleOutcome::Clear;
    }
    // "a legal hold prevents an object version from being overwritten or deleted"
    // (batch-ops-legal-hold.html); it does not stop a retention change.
    if c.own.legal_hold == Some(true) && c.api == "DeleteObject" {
        let mut hit = RuleHit::setting(
            RootCause::ObjectLock,
            "the version is under an Object Lock legal hold (objectRetentionInfo in the record), so S3 refuses to delete it".to_owned(),
        );
        hit.fix = Fix::LegalHold;
        return RuleOutcome::Fires(hit);
    }
    let Some(at) = c.event_time else {
        return RuleOutcome::Unknown(format!("the event time: {}", what_decides(c)));
    };
    let retention = match c.own.retention {
        Some((mode, until)) => InForce {
            mode,
            until,
            source: "its own retention (objectRetentionInfo in the record)".to_owned(),
        },
        None => {
            let cfg = match lock {
                Known::Known(None) => return RuleOutcome::Clear,
                Known::Known(Some(cfg)) => cfg,
                Known::Unknown(why) => {
                    return RuleOutcome::Unknown(format!(
                        "the bucket's Object Lock configuration (object-lock.json: whether Object Lock protects the version): {why}"
                    ))
                }
            };
            if c.api == "DeleteObjects" {
                return RuleOutcome::Unknown(format!(
                    "Object Lock is on, and DeleteObjects does not log its keys: {}",
                    what_decides(c)
                ));
            }
            let (Some(d), Some(written)) = (&cfg.default_retention, written) else {
                return RuleOutcome::Unknown(format!("Object Lock is on: {}", what_decides(c)));
            };
            let until = written + Duration::days(i64::from(d.days));
            if at >= until {
                // The default retention has run out; a longer own retention or a legal hold
                // may not have.
                return RuleOutcome::Unknown(format!(
                    "the bucket's default retention ({}) of the version written {} ran out at {}: {}",
                    d.as_written,
                    written.to_rfc3339(),
                    until.to_rfc3339(),
                    what_decides(c)
                ));
            }
            InForce {
                mode: d.mode,
                until,
                source: format!(
                    "the bucket's default retention of {} (version written {})",
                    d.as_written,
                    written.to_rfc3339()
                ),
            }
        }
    };
    if at >= retention.until {
        // The version's own retention has run out: nothing the record shows refuses it.
        return RuleOutcome::Clear;
    }
    if c.api == "PutObjectRetention" {
        let Some((mode, date)) = c.new_retention else {
            return RuleOutcome::Unknown(format!(
                "the retention PutObjectRetention asked for is not in the record: {}",
                what_decides(c)
            ));
        };
        let shortens = date.is_none_or(|nd| nd < retention.until);
        let mode_change = mode.is_some_and(|m| m != retention.mode) || mode.is_none();
        let refused = match retention.mode {
            RetentionMode::Compliance => shortens || mode_change,
            RetentionMode::Governance => shortens,
        };
        if !refused {
            return RuleOutcome::Clear;
        }
    }
    let mode = match retention.mode {
        RetentionMode::Compliance => "COMPLIANCE",
        RetentionMode::Governance => "GOVERNANCE",
    };
    let what = if c.api == "PutObjectRetention" {
        "shorten or remove its retention"
    } else {
        "delete the version"
    };
    let base = format!(
        "the version is under {mode} retention until {} ({}), so S3 refuses to {what}",
        retention.until.to_rfc3339(),
        retention.source
    );
    match retention.mode {
        RetentionMode::Compliance => {
            let mut hit = RuleHit::setting(
                RootCause::ObjectLock,
                format!("{base} (compliance mode: nobody can bypass it)"),
            );
            hit.fix = Fix::LockCompliance;
            RuleOutcome::Fires(hit)
        }
        RetentionMode::Governance => match (c.bypass_header, c.bypass_allowed) {
            (true, Some(true)) => RuleOutcome::Unknown(format!(
                "governance retention was bypassed (header sent, s3:BypassGovernanceRetention allowed); a legal hold may remain: {}",
                what_decides(c)
            )),
            (true, None) => RuleOutcome::Unknown(
                "whether the caller may use s3:BypassGovernanceRetention (the policies' verdict is unknown)"
                    .to_owned(),
            ),
            (bypass, _) => {
                let why = if bypass {
                    "the caller sent x-amz-bypass-governance-retention but lacks s3:BypassGovernanceRetention"
                } else {
                    "the request did not send x-amz-bypass-governance-retention: true"
                };
                let mut hit = RuleHit::setting(RootCause::ObjectLock, format!("{base}; {why}"));
                hit.fix = Fix::LockGovernance;
                RuleOutcome::Fires(hit)
            }
        },
    }
}

/// `additionalEventData.objectRetentionInfo`, keys compared case-blind.
fn own_lock(aed: Option<&Value>) -> OwnLock {
    fn get<'v>(v: &'v Value, k: &str) -> Option<&'v Value> {
        v.as_object()?
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v)
    }
    let Some(info) = aed.and_then(|a| get(a, "objectRetentionInfo")) else {
        return OwnLock::default();
    };
    let legal_hold = get(info, "legalHoldInfo")
        .and_then(|l| get(l, "isUnderLegalHold"))
        .and_then(|v| match v {
            Value::Bool(b) => Some(*b),
            Value::String(s) => s.parse::<bool>().ok(),
            _ => None,
        });
    let retention = get(info, "retentionInfo").and_then(|r| {
        let mode = match get(r, "retainUntilMode").and_then(Value::as_str) {
            Some(m) if m.eq_ignore_ascii_case("COMPLIANCE") => RetentionMode::Compliance,
            Some(m) if m.eq_ignore_ascii_case("GOVERNANCE") => RetentionMode::Governance,
            _ => return None,
        };
        let date = get(r, "retainUntilDate")
            .and_then(Value::as_str)
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())?;
        Some((mode, date))
    });
    OwnLock {
        legal_hold,
        retention,
    }
}

/// The fix for each kind of lock.
pub fn remediation(fix: Fix, bucket: Option<&str>, key: Option<&str>, who: &str) -> String {
    let b = bucket.unwrap_or("<bucket>");
    let k = key.unwrap_or("<key>");
    match fix {
        Fix::LegalHold => format!(
            "the version is under a legal hold: if deleting it is intended, a caller allowed s3:PutObjectLegalHold must first remove the hold (aws s3api put-object-legal-hold --bucket {b} --key {k} --version-id <id> --legal-hold Status=OFF); retention, if any, still applies"
        ),
        Fix::LockGovernance => format!(
            "the version is under governance retention: if deleting it is intended, send x-amz-bypass-governance-retention: true (aws s3api delete-object --bucket {b} --key {k} --version-id <id> --bypass-governance-retention) as a caller allowed s3:BypassGovernanceRetention; grant {who}: {}",
            serde_json::json!({"Effect": "Allow", "Action": "s3:BypassGovernanceRetention", "Resource": format!("arn:aws:s3:::{b}/*")})
        ),
        _ => format!(
            "the version is under compliance retention, which nobody (the root user included) can shorten or bypass: wait until the retention date (aws s3api get-object-retention --bucket {b} --key {k}); delete only the current object (a delete marker) if the aim is to hide it"
        ),
    }
}

/// PutObjectRetention's requested retention (`requestParameters.Retention`, as S3 logs the
/// body: `{"Mode": "GOVERNANCE", "RetainUntilDate": "..."}`).
fn new_retention(
    params: Option<&Value>,
) -> Option<(Option<RetentionMode>, Option<DateTime<FixedOffset>>)> {
    let r = params?
        .as_object()?
        .iter()
        .find_map(|(k, v)| k.eq_ignore_ascii_case("Retention").then_some(v))?;
    let field = |name: &str| {
        r.as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
    };
    let mode = match field("Mode") {
        Some(m) if m.eq_ignore_ascii_case("GOVERNANCE") => Some(RetentionMode::Governance),
        Some(m) if m.eq_ignore_ascii_case("COMPLIANCE") => Some(RetentionMode::Compliance),
        _ => None,
    };
    let date = field("RetainUntilDate").and_then(|d| DateTime::parse_from_rfc3339(d).ok());
    Some((mode, date))
}

fn time(s: Option<&str>) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s?).ok()
}

/// The Object Lock rule as registered in [`super::rules::RULES`]: the bucket's
/// `object-lock.json`, the key's `LastModified`, and (with the bypass header) the engine's
/// verdict on s3:BypassGovernanceRetention.
pub struct Rule;

impl S3Rule for Rule {
    fn name(&self) -> &'static str {
        "object_lock"
    }

    fn check(&self, cx: &RuleCx<'_>, _extras: &mut RuleExtras) -> Option<RuleOutcome> {
        let api = cx.call.api?;
        let version_id = cx.call.headers.version_id;
        // Not asked (and not listed in the trace) for a call Object Lock cannot refuse.
        if !applies(api, version_id) {
            return None;
        }
        let (lock, written) = match cx.snapshot.bucket(cx.bucket) {
            Known::Known(b) => {
                let written = match (&b.objects, cx.key) {
                    (Known::Known(l), Some(k)) => l
                        .objects
                        .get(k)
                        .and_then(|o| time(o.last_modified.as_deref())),
                    _ => None,
                };
                (b.object_lock.clone(), written)
            }
            Known::Unknown(w) => (Known::Unknown(w), None),
        };
        let bypass_header = cx.call.headers.bypass_governance;
        let bypass_allowed = if bypass_header && !cx.policy_fails {
            let mut req = cx.request.clone();
            req.action = "s3:BypassGovernanceRetention".to_owned();
            let input = cx
                .snapshot
                .authz_input_with_session(&req, cx.input.session.clone());
            (cx.engine)(&req, &input).allowed
        } else if bypass_header {
            Some(false)
        } else {
            None
        };
        let c = LockCall {
            api,
            bucket: cx.bucket,
            key: cx.key,
            version_id,
            bypass_header,
            bypass_allowed,
            event_time: time(cx.call.time),
            new_retention: new_retention(cx.call.logged.request_parameters),
            own: own_lock(cx.call.logged.additional_event_data),
        };
        Some(check(&c, &lock, written))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::DefaultRetention;

    fn t(s: &str) -> Option<DateTime<FixedOffset>> {
        DateTime::parse_from_rfc3339(s).ok()
    }

    fn lock(mode: RetentionMode, days: u32) -> Known<Option<ObjectLockConfig>> {
        Known::Known(Some(ObjectLockConfig {
            default_retention: Some(DefaultRetention {
                mode,
                days,
                as_written: format!("{days} days"),
            }),
        }))
    }

    fn del(version: Option<&'static str>) -> LockCall<'static> {
        LockCall {
            api: "DeleteObject",
            bucket: "vault",
            key: Some("ledger/2026.csv"),
            version_id: version,
            event_time: t("2026-03-10T00:00:00Z"),
            ..LockCall::default()
        }
    }

    /// "its retention period can't be shortened [...] an object version can't be overwritten
    /// or deleted for the duration of the retention period": a version written 2026-03-01
    /// under a 30-day COMPLIANCE default is still locked on 2026-03-10.
    #[test]
    fn compliance_default_retention_refuses_a_version_delete() {
        let o = check(
            &del(Some("v1")),
            &lock(RetentionMode::Compliance, 30),
            t("2026-03-01T00:00:00Z"),
        );
        assert!(
            matches!(&o, RuleOutcome::Fires(h) if h.root_cause == RootCause::ObjectLock && h.fix == Fix::LockCompliance),
            "{o:?}"
        );
    }

    /// "A simple DELETE request is a request that doesn't specify a version ID [...] the object
    /// is not deleted": a delete marker is never refused by Object Lock.
    #[test]
    fn delete_without_version_only_adds_a_marker() {
        let o = check(
            &del(None),
            &lock(RetentionMode::Compliance, 30),
            t("2026-03-01T00:00:00Z"),
        );
        assert_eq!(o, RuleOutcome::Clear);
    }

    /// Governance: "To use this header, you must have the s3:BypassGovernanceRetention
    /// permission": without the header it fires; with the header and the permission the
    /// retention is bypassed (a legal hold could remain: unknown).
    #[test]
    fn governance_needs_header_and_permission() {
        let l = lock(RetentionMode::Governance, 30);
        let w = t("2026-03-01T00:00:00Z");
        let o = check(&del(Some("v1")), &l, w);
        assert!(matches!(&o, RuleOutcome::Fires(h) if h.fix == Fix::LockGovernance));
        let mut c = del(Some("v1"));
        c.bypass_header = true;
        c.bypass_allowed = Some(false);
        assert!(matches!(check(&c, &l, w), RuleOutcome::Fires(_)));
        c.bypass_allowed = Some(true);
        assert!(matches!(check(&c, &l, w), RuleOutcome::Unknown(_)));
    }

    /// "apply to new objects placed in the specified bucket": the default retention runs from
    /// the version's write; once it ran out, only the version's own settings could refuse.
    #[test]
    fn expired_default_or_unknown_write_time_is_unknown_naming_the_calls() {
        let l = lock(RetentionMode::Compliance, 1);
        match check(&del(Some("v1")), &l, t("2026-03-01T00:00:00Z")) {
            RuleOutcome::Unknown(why) => {
                assert!(
                    why.contains("get-object-retention") && why.contains("get-object-legal-hold")
                )
            }
            o => panic!("{o:?}"),
        }
        assert!(matches!(
            check(&del(Some("v1")), &l, None),
            RuleOutcome::Unknown(_)
        ));
    }

    #[test]
    fn no_object_lock_is_clear_missing_file_unknown() {
        assert_eq!(
            check(&del(Some("v1")), &Known::Known(None), None),
            RuleOutcome::Clear
        );
        assert!(matches!(
            check(&del(Some("v1")), &Known::Unknown("absent".into()), None),
            RuleOutcome::Unknown(_)
        ));
    }

    /// The record's own objectRetentionInfo decides: a legal hold refuses the version delete
    /// whatever the bucket default says; an own GOVERNANCE retention until 2026-12-01 refuses
    /// it without the bypass header even on a bucket with no default retention.
    #[test]
    fn the_records_own_retention_and_legal_hold_decide() {
        let no_default = Known::Known(Some(ObjectLockConfig {
            default_retention: None,
        }));
        let mut c = del(Some("v1"));
        c.own = own_lock(Some(&serde_json::json!({"objectRetentionInfo": {
            "legalHoldInfo": {"isUnderLegalHold": true, "lastModifiedTime": 1}}})));
        let o = check(&c, &no_default, None);
        assert!(
            matches!(&o, RuleOutcome::Fires(h) if h.fix == Fix::LegalHold),
            "{o:?}"
        );
        c.own = own_lock(Some(&serde_json::json!({"objectRetentionInfo": {
            "retentionInfo": {"retainUntilMode": "GOVERNANCE", "retainUntilDate": "2026-12-01T00:00:00Z"}}})));
        let o = check(&c, &no_default, None);
        assert!(
            matches!(&o, RuleOutcome::Fires(h) if h.fix == Fix::LockGovernance),
            "{o:?}"
        );
        c.event_time = t("2026-12-02T00:00:00Z");
        assert_eq!(check(&c, &no_default, None), RuleOutcome::Clear);
    }

    /// Compliance: the retention "can't be shortened"; extending it is allowed.
    #[test]
    fn put_retention_shortening_is_refused_extending_is_not() {
        let l = lock(RetentionMode::Compliance, 30);
        let w = t("2026-03-01T00:00:00Z");
        let mut c = del(None);
        c.api = "PutObjectRetention";
        c.new_retention = Some((Some(RetentionMode::Compliance), t("2026-03-15T00:00:00Z")));
        assert!(matches!(check(&c, &l, w), RuleOutcome::Fires(_)));
        c.new_retention = Some((Some(RetentionMode::Compliance), t("2026-06-01T00:00:00Z")));
        assert_eq!(check(&c, &l, w), RuleOutcome::Clear);
    }
}
