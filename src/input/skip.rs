//! Why input was not kept: one [`Skip`] kind for every reason an object or a record was
//! dropped (vector's "intentional or not" drops), and [`SkipCounts`], a count per kind. Every
//! input and the scan name their drops with it, and the exit status reads it (an
//! unintentional skip means input was lost: exit 2).

use serde::Serialize;
use std::fmt;

/// Why an object or a record was not kept. Intentional skips are the tool doing its job
/// (a digest file is not a log); unintentional ones mean input was lost and the run exits 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    // --- intentional
    /// A CloudTrail-Digest file (integrity digest, not events). Unit: object.
    DigestFile,
    /// A CloudTrail Insights event (no API call behind it). Unit: record.
    InsightsEvent,
    /// A record from another service than S3 (and not side evidence). Unit: record.
    NotS3,
    /// An S3 record that is not one of S3's 403 codes. Unit: record.
    Not403,
    /// Outside `--since/--until`: objects by the date in their key path, kept-kind records by
    /// `eventTime`.
    OutsideWindow,
    /// A folder holding `snapshot.json` (a policy snapshot, not logs). Unit: folder.
    SnapshotFolder,
    /// Filed under `AWSLogs/<account>/` of an account `--account` did not ask for. Unit:
    /// object.
    OutsideAccount,
    /// Filed under `CloudTrail/<region>/` of a region `--region` did not ask for. Unit:
    /// object.
    OutsideRegion,
    // --- unintentional: input was lost
    /// The gzip stream ends early or is corrupt; records decoded before that point were kept.
    TruncatedGzip,
    /// JSON that does not parse (the record index says where).
    MalformedJson,
    /// Valid JSON, but not CloudTrail records in any shape denytrail knows.
    NotCloudtrail,
    /// A file with no content.
    EmptyFile,
    /// A path that cannot be read (permissions, broken symlink, directory loop, vanished).
    Unreadable,
    /// A remote object that could not be fetched (after the source's retries).
    FetchFailed,
    /// Over the stated size caps (`scan::MAX_OBJECT_BYTES`, `scan::MAX_RECORD_BYTES`).
    TooLarge,
}

impl Skip {
    pub const ALL: [Skip; 15] = [
        Skip::DigestFile,
        Skip::InsightsEvent,
        Skip::NotS3,
        Skip::Not403,
        Skip::OutsideWindow,
        Skip::SnapshotFolder,
        Skip::OutsideAccount,
        Skip::OutsideRegion,
        Skip::TruncatedGzip,
        Skip::MalformedJson,
        Skip::NotCloudtrail,
        Skip::EmptyFile,
        Skip::Unreadable,
        Skip::FetchFailed,
        Skip::TooLarge,
    ];
    pub const COUNT: usize = Skip::ALL.len();

    /// True for the skips that are the tool doing its job; false when input was lost.
    pub fn is_intentional(self) -> bool {
        matches!(
            self,
            Skip::DigestFile
                | Skip::InsightsEvent
                | Skip::NotS3
                | Skip::Not403
                | Skip::OutsideWindow
                | Skip::SnapshotFolder
                | Skip::OutsideAccount
                | Skip::OutsideRegion
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Skip::DigestFile => "digest_file",
            Skip::InsightsEvent => "insights_event",
            Skip::NotS3 => "not_s3",
            Skip::Not403 => "not_403",
            Skip::OutsideWindow => "outside_window",
            Skip::SnapshotFolder => "snapshot_folder",
            Skip::OutsideAccount => "outside_account",
            Skip::OutsideRegion => "outside_region",
            Skip::TruncatedGzip => "truncated_gzip",
            Skip::MalformedJson => "malformed_json",
            Skip::NotCloudtrail => "not_cloudtrail",
            Skip::EmptyFile => "empty_file",
            Skip::Unreadable => "unreadable",
            Skip::FetchFailed => "fetch_failed",
            Skip::TooLarge => "too_large",
        }
    }

    /// What the user can do about it: the part of the message after the `;`.
    pub fn advice(self) -> &'static str {
        match self {
            Skip::TruncatedGzip => {
                "records before the damage were kept; fetch the object again to read the rest"
            }
            Skip::MalformedJson => "that record was skipped, the rest of the file was read",
            Skip::NotCloudtrail => {
                "skipped; pass CloudTrail logs (S3 delivery files, JSON arrays, JSON Lines or lookup-events output)"
            }
            Skip::EmptyFile => "skipped; nothing to read",
            Skip::Unreadable => "skipped; check the path and its permissions",
            Skip::FetchFailed => "skipped; check access to the bucket and run again",
            Skip::TooLarge => "skipped; split the input into smaller files",
            Skip::DigestFile
            | Skip::InsightsEvent
            | Skip::NotS3
            | Skip::Not403
            | Skip::OutsideWindow
            | Skip::SnapshotFolder
            | Skip::OutsideAccount
            | Skip::OutsideRegion => "skipped on purpose",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Counts per [`Skip`] kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SkipCounts([u64; Skip::COUNT]);

impl SkipCounts {
    pub fn add(&mut self, skip: Skip, n: u64) {
        self.0[skip.index()] += n;
    }
    pub fn get(&self, skip: Skip) -> u64 {
        self.0[skip.index()]
    }
    pub fn merge(&mut self, other: &SkipCounts) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a += b;
        }
    }
    /// Non-zero counts, in [`Skip::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Skip, u64)> + '_ {
        Skip::ALL
            .into_iter()
            .map(|s| (s, self.get(s)))
            .filter(|(_, n)| *n > 0)
    }
    pub fn unintentional(&self) -> u64 {
        self.iter()
            .filter(|(s, _)| !s.is_intentional())
            .map(|(_, n)| n)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intentional_split_matches_the_contract() {
        let intentional: Vec<_> = Skip::ALL
            .into_iter()
            .filter(|s| s.is_intentional())
            .map(Skip::as_str)
            .collect();
        assert_eq!(
            intentional,
            [
                "digest_file",
                "insights_event",
                "not_s3",
                "not_403",
                "outside_window",
                "snapshot_folder",
                "outside_account",
                "outside_region",
            ]
        );
    }
}
