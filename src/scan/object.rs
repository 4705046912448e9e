//! One object's bytes → its denials, side evidence, stats and problems. Pure (no I/O, no
//! printing): the driver in `scan/mod.rs` prints the problems and merges the rest, and tests,
//! benches and the fuzz target call [`scan_object`] directly.

use super::classify::{classify, Class, Prefilter};
use super::config::ScanConfig;
use super::decode::{is_gzip, InflateBuf, Inflated};
use super::evidence::Evidence;
use super::kept::Denial;
use super::split::{is_delivery, split_delivery, split_general, Fallback, Item, Problem, Shape};
use super::stats::ScanStats;
use crate::input::{Issue, Origin, Skip};
use crate::record::Event;
use crate::source::LogObject;
use simd_json::tape::Tape;

/// What scanning one object produced.
#[derive(Debug, Default)]
pub struct ObjectScan {
    /// Kept records in record order.
    pub denials: Vec<Denial>,
    pub evidence: Evidence,
    pub stats: ScanStats,
    /// Unintentional problems, in the order met.
    pub issues: Vec<Issue>,
    /// What the document turned out to be (`None` when it could not be read at all).
    pub shape: Option<Shape>,
}

/// Buffers a worker reuses for every object: nothing on the per-record path allocates once
/// they have grown to the largest object and record seen.
#[derive(Default)]
pub struct WorkBufs {
    /// Bytes as stored (filled by `Source::fetch`).
    pub raw: Vec<u8>,
    inflate: InflateBuf,
    /// A candidate record copied for simd-json, which unescapes strings in place.
    scratch: Vec<u8>,
    simd: simd_json::Buffers,
    tape: Option<Tape<'static>>,
}

impl WorkBufs {
    /// Gives memory back after an unusually large object.
    pub fn trim(&mut self) {
        const KEEP: usize = 16 << 20;
        self.inflate.trim(KEEP);
        if self.raw.capacity() > 4 * KEEP {
            self.raw = Vec::new();
        }
        if self.scratch.capacity() > KEEP {
            self.scratch = Vec::new();
        }
    }
}

/// Per-object state while records are visited.
struct Visit<'c> {
    cfg: &'c ScanConfig,
    name: &'c LogObject,
    out: ObjectScan,
    /// Records carrying a CloudTrail key (a file without one is not CloudTrail).
    record_like: u64,
    /// The fast path is running: a candidate that does not parse means "use the general path".
    fast: bool,
}

impl Visit<'_> {
    fn origin(&self, index: Option<u64>) -> Origin {
        Origin {
            object: self.name.name.clone(),
            record_index: index,
        }
    }

    fn issue(&mut self, index: Option<u64>, skip: Skip, detail: String) {
        let origin = self.origin(index);
        self.out.issues.push(Issue {
            origin,
            skip,
            detail,
        });
    }

    fn record_problem(&mut self, index: u64, skip: Skip, detail: String) {
        self.out.stats.records_skipped.add(skip, 1);
        self.issue(Some(index), skip, detail);
    }

    fn item(&mut self, item: Item<'_>, bufs: &mut Parse<'_>) -> Result<(), Fallback> {
        match item {
            Item::Record(index, bytes) => self.record(index, bytes, bufs),
            Item::Problem(index, problem) => {
                let index = index.unwrap_or(0);
                self.out.stats.records += 1;
                match problem {
                    Problem::Malformed(m) => self.record_problem(
                        index,
                        Skip::MalformedJson,
                        format!("malformed JSON: {m}"),
                    ),
                    Problem::UnexpectedEnd => self.record_problem(
                        index,
                        Skip::MalformedJson,
                        "the file ends inside this record (cut short?)".into(),
                    ),
                    Problem::NotRecord(m) => self.record_problem(index, Skip::NotCloudtrail, m),
                }
                Ok(())
            }
        }
    }

    fn record(&mut self, index: u64, bytes: &[u8], bufs: &mut Parse<'_>) -> Result<(), Fallback> {
        let pre = Prefilter::get();
        let stats = &mut self.out.stats;
        stats.records += 1;
        if !self.fast && pre.looks_like_record(bytes) {
            self.record_like += 1;
        }
        if bytes.len() > self.cfg.max_record_bytes {
            self.record_problem(
                index,
                Skip::TooLarge,
                format!(
                    "record of {} bytes is over the {} byte cap",
                    bytes.len(),
                    self.cfg.max_record_bytes
                ),
            );
            return Ok(());
        }
        if !pre.is_candidate(bytes) {
            if let Some(skip) = pre.passed_over(bytes) {
                stats.records_skipped.add(skip, 1);
                return Ok(());
            }
        }
        let origin = self.origin(Some(index));
        // A record with bytes that are not UTF-8 (CloudTrail can carry them in keys and user
        // agents) is kept with each such byte replaced by U+FFFD, and said once per record.
        let mut repaired: Option<Vec<u8>> = None;
        let (class, decoded) = match bufs.classify(bytes, &origin) {
            Ok(c) => c,
            Err(e) if self.fast => {
                let _ = e;
                return Err(Fallback);
            }
            Err(e) => {
                let lossy = std::str::from_utf8(bytes)
                    .is_err()
                    .then(|| String::from_utf8_lossy(bytes).into_owned().into_bytes());
                match lossy.map(|l| (bufs.classify(&l, &origin), l)) {
                    Some((Ok(c), l)) => {
                        crate::messages::notice(&format!(
                            "denytrail: {} record {index}: bytes that are not UTF-8 replaced by U+FFFD; the record was read",
                            self.name.name
                        ));
                        repaired = Some(l);
                        c
                    }
                    _ => {
                        self.record_problem(
                            index,
                            Skip::MalformedJson,
                            format!("malformed JSON: {e}"),
                        );
                        return Ok(());
                    }
                }
            }
        };
        let bytes: &[u8] = repaired.as_deref().unwrap_or(bytes);
        let stats = &mut self.out.stats;
        match class {
            Class::Denial => match decoded
                .map_or_else(|| serde_json::from_slice::<Event>(bytes), Ok)
            {
                Ok(event) => {
                    if self
                        .cfg
                        .window
                        .contains_event_time(event.event_time.as_deref())
                    {
                        stats.kept += 1;
                        self.out.denials.push(Denial { event, origin });
                    } else {
                        stats.records_skipped.add(Skip::OutsideWindow, 1);
                    }
                }
                Err(e) => {
                    self.record_problem(index, Skip::MalformedJson, format!("malformed JSON: {e}"))
                }
            },
            Class::KmsDenial(d) => {
                stats.records_skipped.add(Skip::NotS3, 1);
                self.out.evidence.add_kms_denial(d);
            }
            Class::SessionPolicy(p) => {
                stats.records_skipped.add(Skip::NotS3, 1);
                self.out.evidence.add_session_policy(p);
            }
            Class::ForeignWrite(k, w) => {
                stats.records_skipped.add(Skip::Not403, 1);
                self.out.evidence.add_foreign_write(k, w);
            }
            Class::Deletion(k, d) => {
                stats.records_skipped.add(Skip::Not403, 1);
                self.out.evidence.add_deletion(k, d);
            }
            Class::Change => {
                let s3 = pre.is_s3_source(bytes);
                stats
                    .records_skipped
                    .add(if s3 { Skip::Not403 } else { Skip::NotS3 }, 1);
                let change = serde_json::from_slice::<serde_json::Value>(bytes)
                    .ok()
                    .and_then(|v| super::change::decode(&v, &origin));
                if let Some(c) = change {
                    self.out.evidence.add_change(c);
                }
            }
            Class::InsightsEvent => stats.records_skipped.add(Skip::InsightsEvent, 1),
            Class::OtherS3 => stats.records_skipped.add(Skip::Not403, 1),
            Class::Other => stats.records_skipped.add(Skip::NotS3, 1),
            Class::NotRecord => self.record_problem(
                index,
                Skip::NotCloudtrail,
                "an element that is not a JSON object".into(),
            ),
        }
        Ok(())
    }
}

/// The parsing half of [`WorkBufs`], borrowed apart from the document being walked.
struct Parse<'b> {
    scratch: &'b mut Vec<u8>,
    simd: &'b mut simd_json::Buffers,
    tape: &'b mut Option<Tape<'static>>,
}

impl Parse<'_> {
    /// Parses a candidate into the reused tape and classifies it. A denial is decoded into its
    /// [`Event`] from the same tape (`None` when that fails: the caller then decodes the bytes
    /// with serde_json, whose answer, or error message, is the reference).
    fn classify(
        &mut self,
        bytes: &[u8],
        origin: &Origin,
    ) -> Result<(Class, Option<Event>), simd_json::Error> {
        self.scratch.clear();
        self.scratch.extend_from_slice(bytes);
        let mut tape = self.tape.take().unwrap_or_else(Tape::null).reset();
        let r = simd_json::fill_tape(self.scratch, self.simd, &mut tape)
            .map(|()| classify(tape.as_value(), origin));
        let r = match r {
            Ok(Class::Denial) => {
                let (event, used) = event_from_tape(tape);
                tape = used;
                Ok((Class::Denial, event))
            }
            other => other.map(|class| (class, None)),
        };
        *self.tape = Some(tape.reset());
        r
    }
}

/// Decodes an [`Event`] from a filled tape through its serde `Deserialize` (the same lenient
/// field rules as serde_json's), instead of tokenizing the record's text a second time: 1.5 %
/// of `analyze`'s wall time on the benchmark tree (building the event itself still costs what
/// it costs). The tape comes back for reuse.
fn event_from_tape(tape: Tape<'_>) -> (Option<Event>, Tape<'_>) {
    use serde::Deserialize;
    let mut de = simd_json::Deserializer::from_tape(tape);
    let event = Event::deserialize(&mut de).ok();
    (event, de.into_tape())
}

/// Scans one object of CloudTrail JSON (gzip or not) given its bytes as stored. A Security
/// Lake Parquet file goes through [`super::scan_stored`], which turns it into such a document
/// first.
pub fn scan_object(
    object: &LogObject,
    stored: &[u8],
    cfg: &ScanConfig,
    bufs: &mut WorkBufs,
) -> ObjectScan {
    let WorkBufs {
        raw: _,
        inflate,
        scratch,
        simd,
        tape,
    } = bufs;
    let mut parse = Parse {
        scratch,
        simd,
        tape,
    };
    let mut v = Visit {
        cfg,
        name: object,
        out: ObjectScan::default(),
        record_like: 0,
        fast: false,
    };
    v.out.stats.objects = 1;
    v.out.stats.bytes_in = stored.len() as u64;
    let mut damage = None;
    let doc: &[u8] = if is_gzip(stored) {
        match inflate.inflate(stored, cfg.max_object_bytes) {
            Inflated::Complete => {}
            Inflated::Damaged(d) => damage = Some(d),
            Inflated::TooLarge => {
                return object_skip(
                    v,
                    Skip::TooLarge,
                    format!("over {} bytes once decompressed", cfg.max_object_bytes),
                )
            }
        }
        inflate.doc()
    } else if stored.len() > cfg.max_object_bytes {
        return object_skip(
            v,
            Skip::TooLarge,
            format!(
                "{} bytes is over the {} byte cap",
                stored.len(),
                cfg.max_object_bytes
            ),
        );
    } else {
        stored
    };
    v.out.stats.bytes_out = doc.len() as u64;
    let truncated = damage.is_some();

    let mut shape = None;
    if is_delivery(doc) {
        v.fast = true;
        let r = split_delivery(doc, truncated, &mut |item| v.item(item, &mut parse));
        if r.is_ok() {
            shape = Some(Shape::Delivery);
        } else {
            // Start the object over on the general path: nothing of the fast attempt stays.
            v.out = ObjectScan::default();
            v.out.stats.objects = 1;
            v.out.stats.bytes_in = stored.len() as u64;
            v.out.stats.bytes_out = doc.len() as u64;
        }
        v.fast = false;
    }
    let shape = match shape {
        Some(s) => s,
        None => split_general(doc, truncated, &mut |item| v.item(item, &mut parse)),
    };
    v.out.shape = Some(shape);
    let not_records = matches!(
        shape,
        Shape::Array | Shape::JsonLines | Shape::Records | Shape::LookupEvents
    ) && v.out.stats.records > 0
        && v.record_like == 0;
    if let Some(d) = damage {
        v.out.stats.objects_skipped.add(Skip::TruncatedGzip, 1);
        let kept = v.out.stats.records;
        v.issue(
            None,
            Skip::TruncatedGzip,
            format!(
                "{d} after {} bytes ({kept} records read before it)",
                doc.len()
            ),
        );
        if doc.iter().all(u8::is_ascii_whitespace) {
            return v.out;
        }
    }
    match shape {
        Shape::Empty if !truncated => object_skip(v, Skip::EmptyFile, "empty file".into()),
        Shape::Digest => {
            v.out.stats.objects_skipped.add(Skip::DigestFile, 1);
            v.out
        }
        Shape::NotCloudTrail => object_skip(v, Skip::NotCloudtrail, not_cloudtrail_detail(doc)),
        _ if not_records => {
            // Records of some other JSON: count the file, not each element.
            v.out.stats.records = 0;
            v.out.stats.records_skipped = Default::default();
            v.out.issues.retain(|i| i.origin.record_index.is_none());
            object_skip(
                v,
                Skip::NotCloudtrail,
                "JSON without CloudTrail records (no eventVersion, eventSource or eventTime)"
                    .into(),
            )
        }
        _ => v.out,
    }
}

fn not_cloudtrail_detail(doc: &[u8]) -> String {
    match doc.iter().find(|c| !c.is_ascii_whitespace()) {
        Some(b'{') => {
            "a JSON object that is not CloudTrail (no Records, Events or event fields)".into()
        }
        _ => "not JSON".into(),
    }
}

fn object_skip(mut v: Visit<'_>, skip: Skip, detail: String) -> ObjectScan {
    v.out.stats.objects_skipped.add(skip, 1);
    if !skip.is_intentional() {
        v.issue(None, skip, detail);
    }
    v.out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tape decoding must give the `Event` serde_json gives, or step aside (`None`) for
    /// serde_json to decide. Checked on every record of `sample-logs/` and of the real corpus
    /// (when `../shared` is beside the repository), whatever its service or outcome, and on
    /// records written to probe the edges: numbers where strings belong, integers past u64,
    /// duplicate keys, nulls, escapes.
    #[test]
    fn tape_decoding_gives_the_event_serde_json_gives() {
        let mut records = crate::scan::test_records::every_record();
        records.extend(
            [
                r#"{"eventID":"a","eventTime":"2026-11-16T00:00:00Z","recipientAccountId":123456789012,
                   "errorCode":"AccessDenied","userIdentity":{"type":"IAMUser","arn":5,"arn":"x"},
                   "requestParameters":{"k":1.5,"k":-0.0,"n":-3,"big":18446744073709551615,
                   "e":"\u00e9\"","nested":{"a":[1,null,true]}},"resources":[{"ARN":"r"},"s",null],
                   "tlsDetails":null,"additionalEventData":{"bytesTransferredIn":0.0}}"#,
                r#"{"eventID":"b","eventVersion":1.08,"userIdentity":"text","resources":{"x":1},
                   "sessionContext":{},"responseElements":[1,2]}"#,
                r#"{"eventID":"c","vpcEndpointId":123456789012345678901234567890}"#,
                r#"{"eventID":"d","eventID":"duplicate"}"#,
                r#"{"eventID":"e","resources":[["arn:aws:s3:::b","1","AWS::S3::Bucket"]]}"#,
                r#"{"eventID":"f","userIdentity":{"sessionContext":{"a":1},"sessionContext":null}}"#,
            ]
            .map(|r| r.as_bytes().to_vec()),
        );
        let (mut scratch, mut simd) = (Vec::new(), simd_json::Buffers::default());
        let mut tape = Some(Tape::null());
        let (mut decoded, mut stepped_aside) = (0, 0);
        for bytes in &records {
            scratch.clear();
            scratch.extend_from_slice(bytes);
            let mut t = tape.take().expect("the tape is back").reset();
            if simd_json::fill_tape(&mut scratch, &mut simd, &mut t).is_err() {
                // Not JSON (the licence texts beside the corpus).
                tape = Some(t.reset());
                continue;
            }
            let (event, t) = event_from_tape(t);
            tape = Some(t.reset());
            let reference = serde_json::from_slice::<Event>(bytes);
            match (event, reference) {
                (Some(e), Ok(r)) => {
                    assert_eq!(e, r, "{}", String::from_utf8_lossy(bytes));
                    decoded += 1;
                }
                (None, _) => stepped_aside += 1,
                (Some(e), Err(r)) => panic!("serde_json refuses what the tape read: {r}: {e:?}"),
            }
        }
        assert!(decoded > 1000, "{decoded} records decoded from the tape");
        assert!(stepped_aside <= 3, "{stepped_aside} left to serde_json");
    }
}
