//! A Parquet object in the scan (a Security Lake file, told by its magic number): rebuilt as
//! the CloudTrail document it was made from ([`crate::source::security_lake::parquet`]), then
//! scanned as any `{"Records":[...]}` file, so a record's index is its row. Rows that could
//! not be rebuilt are counted and named as `not_cloudtrail`, with their row.

use super::config::ScanConfig;
use super::object::{scan_object, ObjectScan, WorkBufs};
use crate::input::{Issue, Skip, SkipCounts};
use crate::source::security_lake::parquet::{is_parquet, to_records};
use crate::source::LogObject;

/// Whether [`scan_parquet`] is the way to read `stored`.
pub fn wants(stored: &[u8]) -> bool {
    is_parquet(stored)
}

/// Scans one Parquet object given its bytes as stored.
pub fn scan_parquet(
    object: &LogObject,
    stored: &[u8],
    cfg: &ScanConfig,
    bufs: &mut WorkBufs,
) -> ObjectScan {
    // On a thread of its own: polars runs on its own rayon pool, and a scan worker that
    // waited for it would steal other objects' work meanwhile, re-entering this worker's
    // buffers (which the caller holds). A plain thread waits without stealing.
    let converted = std::thread::scope(|s| s.spawn(|| to_records(stored)).join())
        .unwrap_or_else(|_| Err("the Parquet reader failed on this file".into()));
    let converted = match converted {
        Ok(c) => c,
        Err(detail) => {
            let mut out = ObjectScan::default();
            out.stats.objects = 1;
            out.stats.bytes_in = stored.len() as u64;
            out.stats.objects_skipped.add(Skip::NotCloudtrail, 1);
            out.issues.push(Issue {
                origin: object.origin(),
                skip: Skip::NotCloudtrail,
                detail,
            });
            return out;
        }
    };
    let mut out = scan_object(object, &converted.doc, cfg, bufs);
    out.stats.bytes_in = stored.len() as u64;
    if converted.unusable.is_empty() {
        return out;
    }
    // Each unusable row went through the scan as `null` (counted `not_s3`): recount it as
    // what it is, and name it.
    let n = converted.unusable.len() as u64;
    let mut counts = SkipCounts::default();
    for (skip, k) in out.stats.records_skipped.iter() {
        counts.add(
            skip,
            if skip == Skip::NotS3 {
                k.saturating_sub(n)
            } else {
                k
            },
        );
    }
    counts.add(Skip::NotCloudtrail, n);
    out.stats.records_skipped = counts;
    for (row, why) in converted.unusable {
        let mut origin = object.origin();
        origin.record_index = Some(row);
        out.issues.push(Issue {
            origin,
            skip: Skip::NotCloudtrail,
            detail: format!("OCSF row {row} cannot be read as a CloudTrail event: {why}"),
        });
    }
    out
}
