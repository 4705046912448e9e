//! Amazon Security Lake as input: CloudTrail as OCSF rows in Parquet, one bucket per region,
//! one prefix per source (`aws/CLOUD_TRAIL_MGMT/`, `aws/S3_DATA/`), partitioned by region,
//! account and day ([`layout`]).
//!
//! Nothing downstream knows about it: a Parquet object (told by its magic number, whatever
//! its name or where it came from) is turned into the CloudTrail document it was made from
//! ([`parquet`], [`ocsf`]) before the scan splits it into records, so filtering, side evidence
//! and the diagnosis are the JSON reader's own. Local files and folders go through the local
//! source unchanged (the partitions prune like `AWSLogs/` folders do, see
//! [`crate::source::keypath`]); a lake in S3 is listed by [`s3`], which walks the partitions.

pub mod layout;
pub mod ocsf;
#[cfg(feature = "reports")]
pub mod parquet;
#[cfg(feature = "aws")]
pub mod s3;
