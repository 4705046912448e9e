//! Findings as a polars [`DataFrame`]: one row per finding, the FINDINGS.md columns in their
//! order, then the columns every report groups on but no single finding states (the event time
//! as a UTC timestamp, its day, the role behind an assumed-role session). Every report is a
//! query over this frame, so the derivations live here once.

use super::err::Result;
use crate::findings::{CallerClass, Finding};
use chrono::{DateTime, Utc};
use polars::prelude::*;

/// Column names, so that queries do not spell them twice.
pub mod col_name {
    pub const EVENT_ID: &str = "event_id";
    pub const EVENT_TIME: &str = "event_time";
    pub const EVENT_NAME: &str = "event_name";
    pub const ACTION: &str = "action";
    pub const PRINCIPAL_ARN: &str = "principal_arn";
    pub const PRINCIPAL_ACCOUNT: &str = "principal_account";
    pub const RESOURCE_ACCOUNT: &str = "resource_account";
    pub const BUCKET: &str = "bucket";
    pub const KEY: &str = "key";
    pub const RESOURCE_ARN: &str = "resource_arn";
    pub const SOURCE_IP: &str = "source_ip";
    pub const VPC_ENDPOINT_ID: &str = "vpc_endpoint_id";
    pub const USER_AGENT: &str = "user_agent";
    pub const ERROR_CODE: &str = "error_code";
    pub const ERROR_MESSAGE: &str = "error_message";
    pub const ROOT_CAUSE: &str = "root_cause";
    pub const DENY_TYPE: &str = "deny_type";
    pub const POLICY_TYPE: &str = "policy_type";
    pub const POLICY_ID: &str = "policy_id";
    pub const STATEMENT_SID: &str = "statement_sid";
    pub const REASON: &str = "reason";
    pub const REMEDIATION: &str = "remediation";
    pub const ALSO: &str = "also";
    pub const DISAGREES_WITH_AWS: &str = "disagrees_with_aws";
    pub const STARTED_BY: &str = "started_by";
    pub const AWS_AUTHORIZATION_ID: &str = "aws_authorization_id";
    pub const SNAPSHOT_TAKEN_AT: &str = "snapshot_taken_at";
    pub const SOURCE_OBJECT: &str = "source_object";
    pub const RECORD_INDEX: &str = "record_index";
    pub const CALLER_CLASS: &str = "caller_class";
    // Derived (not in exported files).
    /// `event_time` as milliseconds since the epoch, UTC (`Datetime(ms)`); null when absent or
    /// not RFC 3339.
    pub const TS: &str = "ts";
    /// `YYYY-MM-DD` of `ts` in UTC.
    pub const DAY: &str = "day";
    /// The IAM role behind an assumed-role session ARN, null for other principals.
    pub const ROLE_ARN: &str = "role_arn";
    /// The role for sessions, else the principal itself: "who" with sessions folded.
    pub const ROLE_OR_PRINCIPAL: &str = "role_or_principal";
}

use col_name as c;

/// The columns of an exported findings file (parquet, csv), in FINDINGS.md order followed by
/// the extras of [`Finding`]. `also` is a JSON string there (one list per row).
pub const EXPORT_COLUMNS: [&str; 30] = [
    c::EVENT_ID,
    c::EVENT_TIME,
    c::EVENT_NAME,
    c::ACTION,
    c::PRINCIPAL_ARN,
    c::PRINCIPAL_ACCOUNT,
    c::RESOURCE_ACCOUNT,
    c::BUCKET,
    c::KEY,
    c::RESOURCE_ARN,
    c::SOURCE_IP,
    c::VPC_ENDPOINT_ID,
    c::USER_AGENT,
    c::ERROR_CODE,
    c::ERROR_MESSAGE,
    c::ROOT_CAUSE,
    c::DENY_TYPE,
    c::POLICY_TYPE,
    c::POLICY_ID,
    c::STATEMENT_SID,
    c::REASON,
    c::REMEDIATION,
    c::ALSO,
    c::DISAGREES_WITH_AWS,
    c::STARTED_BY,
    c::AWS_AUTHORIZATION_ID,
    c::SNAPSHOT_TAKEN_AT,
    c::SOURCE_OBJECT,
    c::RECORD_INDEX,
    c::CALLER_CLASS,
];

/// Parses an RFC 3339 time (CloudTrail writes `2026-11-20T10:00:00Z`) into UTC.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The role behind an assumed-role session:
/// `arn:aws:sts::111122223333:assumed-role/Deployer/ci-42` → `arn:aws:iam::111122223333:role/Deployer`.
/// The session ARN does not carry the role's path, so a role created under a path
/// (`role/service/Deployer`) comes out without it; the name and account identify it.
pub fn role_of_session(principal_arn: &str) -> Option<String> {
    let rest = principal_arn.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let partition = parts.next()?;
    let service = parts.next()?;
    let _region = parts.next()?;
    let account = parts.next()?;
    let resource = parts.next()?;
    if service != "sts" {
        return None;
    }
    let after = resource.strip_prefix("assumed-role/")?;
    let (role, _session) = after.split_once('/')?;
    if role.is_empty() {
        return None;
    }
    Some(format!("arn:{partition}:iam::{account}:role/{role}"))
}

/// One column of `findings`, by its [`col_name`] (the [`Finding`] fields; `also` as JSON
/// text).
fn column(findings: &[Finding], name: &str) -> Result<Column> {
    let text = |get: for<'a> fn(&'a Finding) -> Option<&'a str>| {
        Column::new(name.into(), findings.iter().map(get).collect::<Vec<_>>())
    };
    Ok(match name {
        c::EVENT_ID => text(|f| Some(f.event_id.as_str())),
        c::EVENT_TIME => text(|f| f.event_time.as_deref()),
        c::EVENT_NAME => text(|f| f.event_name.as_deref()),
        c::ACTION => text(|f| f.action.as_deref()),
        c::PRINCIPAL_ARN => text(|f| f.principal_arn.as_deref()),
        c::PRINCIPAL_ACCOUNT => text(|f| f.principal_account.as_deref()),
        c::RESOURCE_ACCOUNT => text(|f| f.resource_account.as_deref()),
        c::BUCKET => text(|f| f.bucket.as_deref()),
        c::KEY => text(|f| f.key.as_deref()),
        c::RESOURCE_ARN => text(|f| f.resource_arn.as_deref()),
        c::SOURCE_IP => text(|f| f.source_ip.as_deref()),
        c::VPC_ENDPOINT_ID => text(|f| f.vpc_endpoint_id.as_deref()),
        c::USER_AGENT => text(|f| f.user_agent.as_deref()),
        c::ERROR_CODE => text(|f| f.error_code.as_deref()),
        c::ERROR_MESSAGE => text(|f| f.error_message.as_deref()),
        c::ROOT_CAUSE => text(|f| Some(f.root_cause.as_str())),
        c::DENY_TYPE => text(|f| {
            f.deny_type.map(|d| match d {
                crate::findings::DenyType::Explicit => "explicit",
                crate::findings::DenyType::Implicit => "implicit",
            })
        }),
        c::POLICY_TYPE => text(|f| f.policy_type.map(|p| p.as_str())),
        c::POLICY_ID => text(|f| f.policy_id.as_deref()),
        c::STATEMENT_SID => text(|f| f.statement_sid.as_deref()),
        c::REASON => text(|f| f.reason.as_deref()),
        c::REMEDIATION => text(|f| f.remediation.as_deref()),
        c::ALSO => {
            let also: Vec<Option<String>> = findings
                .iter()
                .map(|f| serde_json::to_string(&f.also).map(Some))
                .collect::<std::result::Result<_, _>>()?;
            Column::new(name.into(), also)
        }
        c::DISAGREES_WITH_AWS => Column::new(
            name.into(),
            findings
                .iter()
                .map(|f| f.disagrees_with_aws)
                .collect::<Vec<_>>(),
        ),
        c::STARTED_BY => text(|f| f.started_by.as_deref()),
        c::AWS_AUTHORIZATION_ID => text(|f| f.aws_authorization_id.as_deref()),
        c::SNAPSHOT_TAKEN_AT => text(|f| f.snapshot_taken_at.as_deref()),
        c::SOURCE_OBJECT => text(|f| f.source_object.as_deref()),
        c::RECORD_INDEX => Column::new(
            name.into(),
            findings.iter().map(|f| f.record_index).collect::<Vec<_>>(),
        ),
        c::CALLER_CLASS => text(|f| Some(f.caller_class.as_str())),
        other => return Err(PolarsError::ColumnNotFound(other.to_string().into()).into()),
    })
}

fn frame_of(findings: &[Finding], names: &[&str]) -> Result<DataFrame> {
    let columns = names
        .iter()
        .map(|n| column(findings, n))
        .collect::<Result<Vec<_>>>()?;
    Ok(DataFrame::new_infer_height(columns)?)
}

/// The columns of an exported file: exactly the [`Finding`] fields, `also` as JSON text.
pub fn export_frame(findings: &[Finding]) -> Result<DataFrame> {
    frame_of(findings, &EXPORT_COLUMNS)
}

/// The export frame for Parquet: `event_time` as a timestamp (`Datetime(ms, UTC)`), so that
/// Athena, Spark and DuckDB compare and partition it as time without a cast; the other
/// columns as in [`export_frame`].
pub fn parquet_frame(findings: &[Finding]) -> Result<DataFrame> {
    let mut df = export_frame(findings)?;
    let ts = Int64Chunked::from_iter_options(
        c::EVENT_TIME.into(),
        findings.iter().map(|f| {
            f.event_time
                .as_deref()
                .and_then(parse_time)
                .map(|t| t.timestamp_millis())
        }),
    )
    .into_datetime(TimeUnit::Milliseconds, Some(polars::prelude::TimeZone::UTC))
    .into_column();
    df.with_column(ts)?;
    Ok(df)
}

/// The [`Finding`] fields that reports (summary, groups, drill-down, timeline) read: the
/// analysis frame carries only these, since building the other dozen columns (the `also`
/// lists as JSON above all) was a sixth of the weekly report's time.
pub const REPORT_COLUMNS: [&str; 15] = [
    c::EVENT_ID,
    c::EVENT_TIME,
    c::ACTION,
    c::PRINCIPAL_ARN,
    c::PRINCIPAL_ACCOUNT,
    c::RESOURCE_ACCOUNT,
    c::BUCKET,
    c::RESOURCE_ARN,
    c::SOURCE_IP,
    c::VPC_ENDPOINT_ID,
    c::ROOT_CAUSE,
    c::REASON,
    c::REMEDIATION,
    c::DISAGREES_WITH_AWS,
    c::CALLER_CLASS,
];

/// The analysis frame: the [`REPORT_COLUMNS`] plus the derived columns (`ts`, `day`,
/// `role_arn`, `role_or_principal`).
pub fn findings_frame(findings: &[Finding]) -> Result<DataFrame> {
    let mut df = frame_of(findings, &REPORT_COLUMNS)?;
    let times: Vec<Option<DateTime<Utc>>> = findings
        .iter()
        .map(|f| f.event_time.as_deref().and_then(parse_time))
        .collect();
    let ts = Int64Chunked::from_iter_options(
        c::TS.into(),
        times.iter().map(|t| t.map(|t| t.timestamp_millis())),
    )
    .into_datetime(TimeUnit::Milliseconds, None)
    .into_column();
    let day: Vec<Option<String>> = times
        .iter()
        .map(|t| t.map(|t| t.format("%Y-%m-%d").to_string()))
        .collect();
    let roles: Vec<Option<String>> = findings
        .iter()
        .map(|f| f.principal_arn.as_deref().and_then(role_of_session))
        .collect();
    let role_or_principal: Vec<Option<String>> = findings
        .iter()
        .zip(&roles)
        .map(|(f, r)| r.clone().or_else(|| f.principal_arn.clone()))
        .collect();
    df.with_column(ts)?;
    df.with_column(Column::new(c::DAY.into(), day))?;
    df.with_column(Column::new(c::ROLE_ARN.into(), roles))?;
    df.with_column(Column::new(c::ROLE_OR_PRINCIPAL.into(), role_or_principal))?;
    Ok(df)
}

/// The caller classes a weekly report leads with: the organization's own workloads, plus
/// the unclassified (no snapshot to tell), which are shown rather than hidden as noise.
pub const LEAD_CLASSES: [CallerClass; 3] = [
    CallerClass::SameAccount,
    CallerClass::Organization,
    CallerClass::Unknown,
];

/// The classes folded as noise: scanners, service crawlers and outside accounts.
pub const FOLDED_CLASSES: [CallerClass; 3] = [
    CallerClass::Anonymous,
    CallerClass::AwsService,
    CallerClass::External,
];

/// A time as a literal of the `ts` column's type (milliseconds, no zone), to compare with it.
pub(super) fn ts_lit(t: chrono::DateTime<chrono::Utc>) -> Expr {
    lit(t.timestamp_millis()).cast(DataType::Datetime(TimeUnit::Milliseconds, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_is_derived_from_an_assumed_role_session_only() {
        assert_eq!(
            role_of_session("arn:aws:sts::111122223333:assumed-role/Deployer/ci-42").as_deref(),
            Some("arn:aws:iam::111122223333:role/Deployer")
        );
        assert_eq!(
            role_of_session("arn:aws-cn:sts::111122223333:assumed-role/R/s@x.com").as_deref(),
            Some("arn:aws-cn:iam::111122223333:role/R")
        );
        assert_eq!(
            role_of_session("arn:aws:iam::111122223333:user/alice"),
            None
        );
        assert_eq!(role_of_session("anonymous"), None);
        assert_eq!(role_of_session("arn:aws:sts::1:federated-user/bob"), None);
        assert_eq!(
            role_of_session("arn:aws:sts::1:assumed-role/NoSession"),
            None
        );
    }

    #[test]
    fn frame_has_one_row_per_finding_and_derived_columns() {
        let f = Finding {
            event_id: "e1".into(),
            event_time: Some("2026-11-20T23:59:59+01:00".into()),
            principal_arn: Some("arn:aws:sts::1:assumed-role/R/s".into()),
            ..Default::default()
        };
        let g = Finding {
            event_id: "e2".into(),
            event_time: Some("not a time".into()),
            ..Default::default()
        };
        let df = findings_frame(&[f, g]).unwrap();
        assert_eq!(df.height(), 2);
        let day = df.column(c::DAY).unwrap().str().unwrap();
        // 23:59:59+01:00 is 22:59:59 UTC: the day is the UTC day.
        assert_eq!(day.get(0), Some("2026-11-20"));
        assert_eq!(day.get(1), None);
        let role = df.column(c::ROLE_OR_PRINCIPAL).unwrap().str().unwrap();
        assert_eq!(role.get(0), Some("arn:aws:iam::1:role/R"));
        assert_eq!(role.get(1), None);
    }
}
