//! The streaming scan: log objects from any [`Source`] → the S3 403 events ([`Denial`]s,
//! pushed to a [`Sink`] object by object), the side evidence the diagnosis needs
//! ([`Evidence`]) and a full account of the input ([`ScanStats`]).
//!
//! Speed comes from doing little per byte: objects are spread over cores with rayon, each
//! worker reuses its buffers ([`object::WorkBufs`]), gzip is inflated whole into a buffer
//! that only grows, record boundaries in CloudTrail's own files come from one memmem pass
//! ([`split`]), and only records that pass a byte pre-filter ([`classify::Prefilter`]) are
//! parsed (simd-json) — about one in ten. See the README's "Performance" section for numbers.
//!
//! Nothing is lost silently: every problem becomes an [`object::Issue`], printed once through
//! [`crate::messages`] with its object (and record index) and counted by [`Skip`] kind.

pub mod classify;
pub mod decode;
pub mod evidence;
pub mod evidence_log;
mod libdeflate;
pub mod object;
pub(crate) mod scratch;
pub mod spill;
pub mod split;
pub mod stats;
pub mod table;
#[cfg(test)]
mod test_records;
pub mod window;

pub use evidence::{Evidence, EvidenceCaps};
use evidence_log::EvidenceStore;
pub use evidence_log::{EvidenceLog, Wanted};
pub use object::{scan_object, Issue, ObjectScan, WorkBufs};
pub use stats::{ScanStats, Skip, SkipCounts};
pub use window::TimeWindow;

use crate::messages::{self, Progress};
use crate::record::Event;
use crate::source::{FetchError, Listed, LogObject, Origin, Source};
use rayon::prelude::*;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Cap on one object once decompressed. CloudTrail delivers files of a few MB at most; a
/// bigger object is refused with [`Skip::TooLarge`] rather than growing a worker's memory
/// without bound.
pub const MAX_OBJECT_BYTES: usize = 512 << 20;
/// Cap on one record. CloudTrail's own records are a few KB (requestParameters can add a
/// few hundred KB); anything beyond this is not a record we can trust.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// One kept record: an S3 403 event and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Denial {
    pub event: Event,
    pub origin: Origin,
}

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
    /// Sources that list and fetch themselves (then call [`scan_fetched`]) should ask before
    /// fetching and count the refusal.
    pub fn refuses(&self, name: &str) -> Option<Skip> {
        let wanted = |asked: &[String], got: Option<&str>| {
            asked.is_empty() || got.is_none_or(|g| asked.iter().any(|x| x == g))
        };
        if !wanted(&self.accounts, crate::source::key_account(name)) {
            Some(Skip::OutsideAccount)
        } else if !wanted(&self.regions, crate::source::key_region(name)) {
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

/// Where kept records go, one object's worth at a time (in record order), from any thread.
/// `analyze` turns them into findings and prints them; tests collect them.
pub trait Sink: Sync {
    /// Returns `false` to stop the scan (e.g. the reader of stdout went away).
    fn accept(&self, denials: Vec<Denial>) -> bool;
}

/// The result of a whole scan (the denials went to the sink).
#[derive(Debug, Default)]
pub struct ScanOutput {
    pub stats: ScanStats,
    /// The side evidence, unless it went to `evidence_log`.
    pub evidence: Evidence,
    /// With [`ScanConfig::evidence_to_disk`]: the evidence, to load for the kept events.
    pub evidence_log: Option<EvidenceLog>,
    /// The sink asked to stop before every object was read.
    pub stopped: bool,
}

impl ScanOutput {
    /// The side evidence for kept events that name `wanted`: loaded from the evidence log when
    /// the scan wrote one (its overflow is reported then), else what the scan kept in memory.
    pub fn take_evidence(&mut self, wanted: &Wanted) -> std::io::Result<Evidence> {
        let Some(log) = self.evidence_log.take() else {
            return Ok(std::mem::take(&mut self.evidence));
        };
        let evidence = log.load(wanted)?;
        report_overflow(&evidence);
        Ok(evidence)
    }
}

thread_local! {
    static BUFS: RefCell<WorkBufs> = RefCell::new(WorkBufs::default());
}

/// The reduce step of the parallel fold: each worker counts into its own stats.
fn merged(mut a: ScanStats, b: ScanStats) -> ScanStats {
    a.merge(&b);
    a
}

/// Shared state of one scan.
struct Run<'a> {
    cfg: &'a ScanConfig,
    sink: &'a dyn Sink,
    progress: &'a Progress,
    stop: AtomicBool,
    /// One evidence store for the whole scan, each object's few entries folded in as it
    /// finishes. Per-worker maps merged at the end held two large tables at once (and a
    /// third while one grew): 20 MB of the peak on a 2 GB trail.
    evidence: Mutex<EvidenceStore>,
}

impl<'a> Run<'a> {
    fn new(cfg: &'a ScanConfig, sink: &'a dyn Sink, progress: &'a Progress) -> Self {
        Run {
            cfg,
            sink,
            progress,
            stop: AtomicBool::new(false),
            evidence: Mutex::new(EvidenceStore::new(cfg.evidence_caps, cfg.evidence_to_disk)),
        }
    }
}

impl Run<'_> {
    /// Scans one object's bytes (or records its fetch failure), counting into `stats`.
    fn object(
        &self,
        stats: &mut ScanStats,
        object: &LogObject,
        bytes: Result<&[u8], &FetchError>,
        bufs: &mut WorkBufs,
    ) {
        if self.stop.load(Ordering::Relaxed) {
            return;
        }
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) => {
                stats.objects_skipped.add(e.skip, 1);
                messages::issue(&Issue {
                    origin: object.origin(),
                    skip: e.skip,
                    detail: e.detail.clone(),
                });
                self.progress.object_done(0);
                return;
            }
        };
        let out = scan_object(object, bytes, self.cfg, bufs);
        for issue in &out.issues {
            messages::issue(issue);
        }
        stats.merge(&out.stats);
        if let Ok(mut e) = self.evidence.lock() {
            e.add(out.evidence);
        }
        self.progress.object_done(bytes.len() as u64);
        if !out.denials.is_empty() && !self.sink.accept(out.denials) {
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    fn listed(&self, stats: &mut ScanStats, item: &Listed) -> Option<LogObject> {
        match item {
            Listed::Object(o) => {
                if let Some(skip) = self.cfg.refuses(&o.name) {
                    stats.objects_skipped.add(skip, 1);
                    return None;
                }
                Some(o.clone())
            }
            Listed::Skipped(s) => {
                count_skipped(stats, s);
                None
            }
        }
    }

    fn finish(self, stats: ScanStats) -> ScanOutput {
        let store = self
            .evidence
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        let (evidence, evidence_log) = match store {
            EvidenceStore::Memory(e) => {
                report_overflow(&e);
                (e, None)
            }
            // Reported once loaded (`take_evidence`): only what the kept events need counts.
            EvidenceStore::Log(log) => (Evidence::with_caps(self.cfg.evidence_caps), Some(log)),
        };
        ScanOutput {
            stats,
            evidence,
            evidence_log,
            stopped: self.stop.into_inner(),
        }
    }
}

/// Says (once, on stderr) how much evidence did not fit under its caps.
fn report_overflow(e: &Evidence) {
    let o = e.overflow;
    for (n, what, cap) in [
        (o.kms_denials, "KMS denials", e.caps.kms_denials),
        (
            o.session_policies,
            "session policies",
            e.caps.session_policies,
        ),
        (
            o.foreign_writes,
            "cross-account object writes",
            e.caps.foreign_writes,
        ),
        (o.deletions, "object deletions", e.caps.deletions),
    ] {
        if n > 0 {
            messages::notice(&format!(
                "denytrail: side evidence: {n} {what} beyond the cap of {cap} were not kept; \
                 diagnoses that need them may say unknown (scan fewer days at once)"
            ));
        }
    }
}

/// Scans everything a source lists: listing first (so progress knows the total), then the
/// objects in parallel, each fetched into its worker's reused buffer.
pub fn scan_source(
    source: &dyn Source,
    cfg: &ScanConfig,
    sink: &dyn Sink,
    progress: &Progress,
) -> ScanOutput {
    let run = Run::new(cfg, sink, progress);
    let mut head = ScanStats::default();
    let listed: Vec<Listed> = source.list(&cfg.window).collect();
    let objects: Vec<LogObject> = listed
        .iter()
        .filter_map(|l| run.listed(&mut head, l))
        .collect();
    progress.set_total(
        objects.len() as u64,
        objects.iter().filter_map(|o| o.size).sum(),
    );
    let scanned = objects
        .par_iter()
        .with_max_len(1)
        .fold(ScanStats::default, |mut stats, object| {
            BUFS.with(|b| {
                let mut b = b.borrow_mut();
                let mut raw = std::mem::take(&mut b.raw);
                let fetched = source.fetch(object, &mut raw);
                run.object(
                    &mut stats,
                    object,
                    fetched.as_ref().map(|()| raw.as_slice()),
                    &mut b,
                );
                b.raw = raw;
                b.trim();
            });
            stats
        })
        .reduce(ScanStats::default, merged);
    run.finish(merged(head, scanned))
}

/// Scans objects already fetched by their source (e.g. concurrent S3 downloads feeding a
/// bounded channel): each item is consumed by whichever worker is free (`par_bridge`), so
/// memory is bounded by what the producer holds in flight.
pub fn scan_fetched<I>(
    items: I,
    cfg: &ScanConfig,
    sink: &dyn Sink,
    progress: &Progress,
) -> ScanOutput
where
    I: Iterator<Item = (LogObject, Result<Vec<u8>, FetchError>)> + Send,
{
    let run = Run::new(cfg, sink, progress);
    let stats = items
        .par_bridge()
        .fold(ScanStats::default, |mut stats, (object, bytes)| {
            BUFS.with(|b| {
                let mut b = b.borrow_mut();
                run.object(&mut stats, &object, bytes.as_deref(), &mut b);
                b.trim();
            });
            stats
        })
        .reduce(ScanStats::default, merged);
    run.finish(stats)
}

/// Counts what a listing skipped (for callers that list themselves before [`scan_fetched`]):
/// prints the unintentional ones and returns their stats.
pub fn account_listing(items: &[Listed]) -> ScanStats {
    let mut stats = ScanStats::default();
    for item in items {
        if let Listed::Skipped(s) = item {
            count_skipped(&mut stats, s);
        }
    }
    stats
}

/// Counts an object the listing skipped, and names it on stderr unless it was skipped on
/// purpose (a digest file, a snapshot folder, another account's folder).
fn count_skipped(stats: &mut ScanStats, s: &crate::source::Skipped) {
    stats.objects_skipped.add(s.skip, 1);
    if !s.skip.is_intentional() {
        messages::issue(&Issue {
            origin: Origin {
                object: s.name.clone(),
                record_index: None,
            },
            skip: s.skip,
            detail: s.detail.clone(),
        });
    }
}
