//! What a scan keeps and how far it may grow: the window, the account and region filters, the
//! evidence caps and the size caps on one object and one record.

use super::evidence::EvidenceCaps;
use crate::input::{Skip, TimeWindow};
use crate::source::{key_account, key_region};

/// Cap on one object once decompressed. CloudTrail delivers files of a few MB at most; a
/// bigger object is refused with [`Skip::TooLarge`] rather than growing a worker's memory
/// without bound.
pub const MAX_OBJECT_BYTES: usize = 512 << 20;
/// Cap on one record. CloudTrail's own records are a few KB (requestParameters can add a
/// few hundred KB); anything beyond this is not a record we can trust.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// What a scan keeps and how far it may grow.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    pub window: TimeWindow,
    /// `--account`: objects filed under another account's `AWSLogs/<account>/` folder are
    /// skipped before they are opened (empty: every account).
    pub accounts: Vec<String>,
    /// `--region`: objects filed under another region's `CloudTrail/<region>/` folder are
    /// skipped before they are opened (empty: every region).
    pub regions: Vec<String>,
    pub evidence_caps: EvidenceCaps,
    /// Write side evidence to a temporary file for [`EvidenceLog::load`] instead of keeping
    /// it in memory ([`ScanOutput::evidence_log`]): what keeps `analyze` flat.
    pub evidence_to_disk: bool,
    pub max_object_bytes: usize,
    pub max_record_bytes: usize,
}

impl ScanConfig {
    /// Why `name` is not wanted: filed under an account `--account` or a region `--region`
    /// did not ask for (`None`: read it; a name outside CloudTrail's layout is always read).
    /// The scan asks this of every listed object before it is fetched
    /// (`scan::scan_sources`) and counts the refusal.
    pub fn refuses(&self, name: &str) -> Option<Skip> {
        let wanted = |asked: &[String], got: Option<&str>| {
            asked.is_empty() || got.is_none_or(|g| asked.iter().any(|x| x == g))
        };
        if !wanted(&self.accounts, key_account(name)) {
            Some(Skip::OutsideAccount)
        } else if !wanted(&self.regions, key_region(name)) {
            Some(Skip::OutsideRegion)
        } else {
            None
        }
    }
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            window: TimeWindow::default(),
            accounts: Vec::new(),
            regions: Vec::new(),
            evidence_caps: EvidenceCaps::default(),
            evidence_to_disk: false,
            max_object_bytes: MAX_OBJECT_BYTES,
            max_record_bytes: MAX_RECORD_BYTES,
        }
    }
}
