//! denytrail: why did S3 say AccessDenied?
//!
//! The pipeline is `source -> scan -> diagnose -> report`, each a module with one job:
//! - [`source`] lists and fetches log objects (local files, an S3 log bucket, LookupEvents);
//! - [`scan`] turns an object's bytes into the records worth keeping (S3 403s and the side
//!   records the diagnosis needs), fast: byte pre-filter first, full parse only on candidates;
//! - [`snapshot`] loads the AWS CLI folder of policies (`SNAPSHOT.md`) into an indexed, immutable
//!   view; missing means unknown, never empty;
//! - [`policy`] is the IAM engine (no I/O, no CloudTrail);
//! - [`diagnose`] joins a denied event with the snapshot and names its root cause ([`findings`]);
//! - [`report`] folds findings into aggregates and writes them (table, markdown, html, json,
//!   jsonl, csv, parquet).
//!
//! Beside them: [`input`] is the vocabulary every input shares (where a record came from, why
//! input was skipped), [`scratch`] the temporary files the scan and the reports spill to,
//! [`record`] the borrowed CloudTrail record, [`memory`] hands freed pages back between phases.
//!
//! [`messages`] is the only writer to stderr and the only counter of problems, so nothing is
//! lost silently and the exit status can say whether input was skipped.

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(all(feature = "aws", feature = "reports"))]
pub mod cli;
#[cfg(all(feature = "aws", feature = "reports"))]
pub mod cmd;
#[cfg(feature = "aws")]
pub mod collect;
pub mod diagnose;
pub mod findings;
pub mod inert;
pub mod input;
pub mod memory;
pub mod messages;
pub mod policy;
pub mod record;
#[cfg(feature = "reports")]
pub mod report;
pub mod scan;
pub mod scratch;
pub mod snapshot;
pub mod source;
#[cfg(test)]
mod test_corpus;
