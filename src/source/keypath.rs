//! The date in a CloudTrail key path: `AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/`.
//! Any source can prune with it before opening an object (a one-day query over a year of
//! logs opens one day of files). A Security Lake path (`region=R/accountId=A/eventDay=D/`,
//! [`partition`]) answers the same three questions.

use super::security_lake::layout::partition;
use chrono::NaiveDate;

/// The delivery day encoded in a key or path, if it follows CloudTrail's layout: the three
/// components after `CloudTrail/<region>/` (also `CloudTrail-Insight`, `CloudTrail-Digest`).
/// Works on `/`- or `\\`-separated paths; anything else gives `None` (never pruned).
pub fn key_date(path: &str) -> Option<NaiveDate> {
    let Some((parts, at)) = layout(path) else {
        return partition(path).day;
    };
    let rest = parts.get(at + 2..at + 5)?;
    let num = |s: &str, len: usize| (s.len() == len).then(|| s.parse::<u32>().ok()).flatten();
    let y = num(rest[0], 4)?;
    let m = num(rest[1], 2)?;
    let d = num(rest[2], 2)?;
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// The account whose trail filed a key or path: the 12-digit component just before
/// `CloudTrail/` (`AWSLogs/ACCOUNT/CloudTrail/...`, `AWSLogs/o-org/ACCOUNT/CloudTrail/...`).
/// `None` outside that layout (never pruned).
pub fn key_account(path: &str) -> Option<&str> {
    let Some((parts, at)) = layout(path) else {
        return partition(path).account;
    };
    let account = *parts.get(at.checked_sub(1)?)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// The region whose trail filed a key or path: the component just after `CloudTrail/`
/// (`us-east-1`, `eu-west-3`, `us-gov-west-1`). `None` outside that layout (never pruned).
pub fn key_region(path: &str) -> Option<&str> {
    let Some((parts, at)) = layout(path) else {
        return partition(path).region;
    };
    let region = *parts.get(at + 1)?;
    let looks_like_region = region.contains('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    looks_like_region.then_some(region)
}

/// A path's components and the index of its last `CloudTrail*` folder.
fn layout(path: &str) -> Option<(Vec<&str>, usize)> {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let at = parts.iter().rposition(|p| {
        matches!(
            *p,
            "CloudTrail" | "CloudTrail-Insight" | "CloudTrail-Digest"
        )
    })?;
    Some((parts, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_of_account_and_organization_layouts() {
        assert_eq!(
            key_region("t/AWSLogs/111111111111/CloudTrail/eu-central-1/2017/12/11/x.json.gz"),
            Some("eu-central-1")
        );
        assert_eq!(
            key_region("s3://b/AWSLogs/o-abc123/222222222222/CloudTrail/us-gov-west-1/2017/1/x"),
            Some("us-gov-west-1")
        );
        assert_eq!(key_region("AWSLogs/1/CloudTrail/2017/12/11/x"), None);
        assert_eq!(key_region("logs/us-east-1/x.json"), None);
    }

    #[test]
    fn account_of_account_and_organization_layouts() {
        assert_eq!(
            key_account("t/AWSLogs/111111111111/CloudTrail/eu-central-1/2017/12/11/x.json.gz"),
            Some("111111111111")
        );
        assert_eq!(
            key_account("s3://b/AWSLogs/o-abc123/222222222222/CloudTrail/us-east-1/2017/12/11/x"),
            Some("222222222222")
        );
        assert_eq!(
            key_account("AWSLogs/1/CloudTrail/us-east-1/2017/12/11/x"),
            None
        );
        assert_eq!(key_account("CloudTrail/us-east-1/x"), None);
        assert_eq!(key_account("logs/x.json"), None);
    }

    #[test]
    fn reads_account_and_organization_layouts() {
        let d = NaiveDate::from_ymd_opt(2017, 12, 11);
        assert_eq!(
            key_date("t/AWSLogs/111111111111/CloudTrail/eu-central-1/2017/12/11/x.json.gz"),
            d
        );
        assert_eq!(
            key_date("AWSLogs/o-abc123/111111111111/CloudTrail/us-east-1/2017/12/11/x.json.gz"),
            d
        );
        assert_eq!(
            key_date("AWSLogs/111111111111/CloudTrail/us-east-1/2017/12/11"),
            d,
            "a day folder itself"
        );
        assert_eq!(
            key_date("s3://b/AWSLogs/1/CloudTrail-Digest/us-east-1/2017/12/11/d.json.gz"),
            d
        );
    }

    #[test]
    fn security_lake_partitions_answer_too() {
        let k = "lake/aws/S3_DATA/2.0/region=eu-west-1/accountId=111111111111/eventDay=20261119/f.parquet";
        assert_eq!(key_date(k), NaiveDate::from_ymd_opt(2026, 11, 19));
        assert_eq!(key_account(k), Some("111111111111"));
        assert_eq!(key_region(k), Some("eu-west-1"));
    }

    #[test]
    fn anything_else_is_not_dated() {
        assert_eq!(key_date("logs/2017/12/11/x.json"), None);
        assert_eq!(
            key_date("AWSLogs/1/CloudTrail/us-east-1/2017/13/11/x"),
            None
        );
        assert_eq!(key_date("AWSLogs/1/CloudTrail/us-east-1/2017/12"), None);
        assert_eq!(key_date("AWSLogs/1/CloudTrail/us-east-1/17/12/11/x"), None);
    }
}
