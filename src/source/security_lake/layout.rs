//! Where Security Lake files its Parquet objects, read from a key or a path:
//! `[aws|ext]/SOURCE/VERSION/region=REGION/accountId=ACCOUNT/eventDay=YYYYMMDD/FILE.parquet`,
//! for example `aws/CLOUD_TRAIL_MGMT/1.0/region=us-west-1/accountId=750329923068/
//! eventDay=20230525/48c42a18526e1c4409654c5587e35780.gz.parquet` (a key as Security Lake's
//! own CloudTrail events name it in `resources[]`). AWS: "Security Lake creates a different
//! Amazon S3 bucket for each Region in which you enable the service. Each source gets a
//! separate prefix in your S3 bucket"
//! (<https://docs.aws.amazon.com/security-lake/latest/userguide/source-management.html>);
//! custom sources get the same partitions under `ext/NAME/`: "Provides a unique prefix for
//! the source in your Amazon S3 bucket"
//! (<https://docs.aws.amazon.com/security-lake/latest/userguide/custom-sources.html>).
//!
//! [`partition`] reads the three partitions, so that the same `--since/--until/--account/
//! --region` pruning that CloudTrail's `AWSLogs/...` layout gets ([`crate::source::keypath`])
//! applies to a lake before any object is opened.

use chrono::NaiveDate;

/// The Security Lake sources that carry CloudTrail: management events and S3 data events.
/// (Lambda data events, `LAMBDA_EXECUTION`, never hold an S3 call.)
/// "CloudTrail management events, S3 data events, and Lambda data events are three separate
/// sources in Security Lake" (<https://docs.aws.amazon.com/security-lake/latest/userguide/cloudtrail-event-logs.html>).
pub const CLOUDTRAIL_SOURCES: [&str; 2] = ["CLOUD_TRAIL_MGMT", "S3_DATA"];

/// The bucket name Security Lake gives each region's lake: `aws-security-data-lake-REGION-ID`.
pub const BUCKET_PREFIX: &str = "aws-security-data-lake-";

/// The partitions in a key or path, each `None` when that component is absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Partition<'a> {
    pub region: Option<&'a str>,
    pub account: Option<&'a str>,
    pub day: Option<NaiveDate>,
}

impl Partition<'_> {
    pub fn is_empty(&self) -> bool {
        self.region.is_none() && self.account.is_none() && self.day.is_none()
    }
}

/// Reads `region=`, `accountId=` and `eventDay=` components (`/`- or `\`-separated; the
/// partition names are matched case-insensitively, as Glue and Athena lower-case them).
pub fn partition(path: &str) -> Partition<'_> {
    let mut p = Partition::default();
    for comp in path.split(['/', '\\']) {
        let Some((k, v)) = comp.split_once('=') else {
            continue;
        };
        if k.eq_ignore_ascii_case("region") && !v.is_empty() {
            p.region = Some(v);
        } else if k.eq_ignore_ascii_case("accountId") && !v.is_empty() {
            p.account = Some(v);
        } else if k.eq_ignore_ascii_case("eventDay") {
            p.day = event_day(v);
        }
    }
    p
}

/// `YYYYMMDD` as a date.
pub fn event_day(v: &str) -> Option<NaiveDate> {
    if v.len() != 8 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(v, "%Y%m%d").ok()
}

/// Whether an `s3://` bucket and prefix look like a Security Lake: the lake's own bucket name,
/// a source folder (`aws/CLOUD_TRAIL_MGMT/`, `ext/NAME/`), or a partition in the prefix.
pub fn is_lake(bucket: &str, prefix: &str) -> bool {
    if bucket.starts_with(BUCKET_PREFIX) {
        return true;
    }
    let comps: Vec<&str> = prefix.split('/').collect();
    comps.windows(2).any(|w| {
        (w[0] == "aws" && CLOUDTRAIL_SOURCES.contains(&w[1])) || (w[0] == "ext" && !w[1].is_empty())
    }) || !partition(prefix).is_empty()
}

/// Whether a key is a data file of the lake (Security Lake writes `.parquet` objects; its
/// table metadata beside them is not events).
pub fn is_data_file(key: &str) -> bool {
    key.ends_with(".parquet")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_partitions() {
        let p = partition(
            "aws/CLOUD_TRAIL_MGMT/2.0/region=us-east-1/accountId=111122223333/eventDay=20261119/a.gz.parquet",
        );
        assert_eq!(p.region, Some("us-east-1"));
        assert_eq!(p.account, Some("111122223333"));
        assert_eq!(p.day, NaiveDate::from_ymd_opt(2026, 11, 19));
        // Glue lower-cases partition names.
        let p = partition("ext/x/region=eu-west-1/accountid=external/eventday=20261301/f");
        assert_eq!(p.account, Some("external"));
        assert_eq!(p.day, None, "month 13 is not a date");
        assert!(partition("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/19/f").is_empty());
    }

    #[test]
    fn tells_a_lake_from_a_trail_bucket() {
        assert!(is_lake("aws-security-data-lake-us-east-1-abc", ""));
        assert!(is_lake("copy", "lake/aws/S3_DATA/2.0/"));
        assert!(is_lake("copy", "aws/CLOUD_TRAIL_MGMT/"));
        assert!(is_lake("copy", "x/region=us-east-1/"));
        assert!(!is_lake("trail", "AWSLogs/111122223333/"));
        assert!(!is_lake("trail", ""));
    }
}
