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
//! Nothing is lost silently: every problem becomes an [`Issue`], printed once through
//! [`crate::messages`] with its object (and record index) and counted by [`Skip`](crate::input::Skip) kind.

pub mod change;
pub mod classify;
pub mod config;
pub mod decode;
pub mod evidence;
pub mod evidence_log;
pub mod kept;
#[cfg(feature = "reports")]
pub mod lake;
mod libdeflate;
pub mod object;
pub mod spill;
pub mod split;
pub mod stats;
pub mod table;
#[cfg(test)]
mod test_records;

pub use config::{ScanConfig, MAX_OBJECT_BYTES, MAX_RECORD_BYTES};
pub use evidence::{Evidence, EvidenceCaps};
use evidence_log::EvidenceStore;
pub use evidence_log::{EvidenceLog, Wanted};
pub use kept::{Denial, Sink};
pub use object::{scan_object, ObjectScan, WorkBufs};
pub use stats::ScanStats;

use crate::input::{Issue, Origin};
use crate::messages::{self, Progress};
use crate::source::{FetchError, Fetched, ListError, Listed, LogObject, Skipped, Source, Stream};
use rayon::prelude::*;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Scans one object given its bytes as stored: a Security Lake Parquet file through [`lake`]
/// (which rebuilds its rows as CloudTrail records), anything else as CloudTrail JSON
/// ([`scan_object`]). The choice is made here so that `object` and `lake` do not import each
/// other.
pub fn scan_stored(
    object: &LogObject,
    stored: &[u8],
    cfg: &ScanConfig,
    bufs: &mut WorkBufs,
) -> ObjectScan {
    #[cfg(feature = "reports")]
    if lake::wants(stored) {
        return lake::scan_parquet(object, stored, cfg, bufs);
    }
    scan_object(object, stored, cfg, bufs)
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
        let out = scan_stored(object, bytes, self.cfg, bufs);
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
        (o.changes, "change events", e.caps.changes),
    ] {
        if n > 0 {
            messages::notice(&format!(
                "denytrail: side evidence: {n} {what} beyond the cap of {cap} were not kept; \
                 diagnoses that need them may say unknown (scan fewer days at once)"
            ));
        }
    }
}

/// Scans everything the sources list, in their order.
///
/// Every source lists first, so that progress knows the total and a source that cannot be
/// read at all stops the run ([`ListError`]) before anything is scanned. Then, when no source
/// reads ahead ([`Source::prefetches`]), the objects are fetched in parallel, each into its
/// worker's reused buffer; otherwise every source hands its objects over as a stream (the
/// pulled ones read in turn on the feeding thread) and each object is taken by whichever
/// worker is free (`par_bridge`), so memory is bounded by what the sources hold in flight.
pub fn scan_sources(
    sources: &[&dyn Source],
    cfg: &ScanConfig,
    sink: &dyn Sink,
    progress: &Progress,
) -> Result<ScanOutput, ListError> {
    let mut listings = Vec::with_capacity(sources.len());
    for source in sources {
        listings.push(source.list(&cfg.window)?);
    }
    let run = Run::new(cfg, sink, progress);
    let mut head = ScanStats::default();
    let wanted: Vec<Vec<LogObject>> = listings
        .iter()
        .map(|listed| {
            listed
                .iter()
                .filter_map(|l| run.listed(&mut head, l))
                .collect()
        })
        .collect();
    progress.set_total(
        wanted.iter().map(|w| w.len() as u64).sum(),
        wanted.iter().flatten().filter_map(|o| o.size).sum(),
    );
    let scanned = if sources.iter().any(|s| s.prefetches()) {
        // Every stream starts now, so downloads overlap with reading the pulled objects.
        let streams: Vec<Stream<'_>> = sources
            .iter()
            .zip(wanted)
            .map(|(s, objects)| s.stream(objects, &cfg.window, cfg.max_object_bytes))
            .collect();
        run.streamed(streams.into_iter().flatten())
    } else {
        let objects: Vec<(&dyn Source, LogObject)> = sources
            .iter()
            .zip(wanted)
            .flat_map(|(s, objects)| objects.into_iter().map(move |o| (*s, o)))
            .collect();
        run.pulled(&objects)
    };
    Ok(run.finish(merged(head, scanned)))
}

/// [`scan_sources`] of one source.
pub fn scan_source(
    source: &dyn Source,
    cfg: &ScanConfig,
    sink: &dyn Sink,
    progress: &Progress,
) -> Result<ScanOutput, ListError> {
    scan_sources(&[source], cfg, sink, progress)
}

impl Run<'_> {
    /// The objects of sources that do not read ahead, fetched in parallel, each into its
    /// worker's reused buffer.
    fn pulled(&self, objects: &[(&dyn Source, LogObject)]) -> ScanStats {
        objects
            .par_iter()
            .with_max_len(1)
            .fold(ScanStats::default, |mut stats, (source, object)| {
                BUFS.with(|b| {
                    let mut b = b.borrow_mut();
                    let mut raw = std::mem::take(&mut b.raw);
                    let fetched = source.fetch(object, &mut raw);
                    self.object(
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
            .reduce(ScanStats::default, merged)
    }

    /// Objects already fetched by their source, each consumed by whichever worker is free.
    fn streamed<I>(&self, items: I) -> ScanStats
    where
        I: Iterator<Item = Fetched> + Send,
    {
        items
            .par_bridge()
            .fold(ScanStats::default, |mut stats, (object, bytes)| {
                BUFS.with(|b| {
                    let mut b = b.borrow_mut();
                    self.object(&mut stats, &object, bytes.as_deref(), &mut b);
                    b.trim();
                });
                stats
            })
            .reduce(ScanStats::default, merged)
    }
}

/// Counts an object the listing skipped, and names it on stderr unless it was skipped on
/// purpose (a digest file, a snapshot folder, another account's folder).
fn count_skipped(stats: &mut ScanStats, s: &Skipped) {
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
