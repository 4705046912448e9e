//! The two Parquet files of a shard (`analyze --shard I/N --out ...`), written as the scan
//! goes and read back by the merge (`--from-shards`), so that Athena, Spark or DuckDB can
//! also query a run's shard output:
//! - `kept/shard-IIIII-of-NNNNN.parquet`: one row per kept S3 403 event: the log object and the
//!   record's index in it, typed columns for queries (event id and time, source, name, error,
//!   region, accounts, caller, bucket, key, source IP, VPC endpoint), and `event_json`, the
//!   event as the spill file writes it (`scan::spill`). Kept events carry CloudTrail's
//!   free-form JSON (`requestParameters`, the session context) that has no fixed columns, so
//!   the merge reads `event_json` back, not the typed columns: that is what keeps its output
//!   equal to a single run's byte for byte.
//! - `evidence/shard-IIIII-of-NNNNN.parquet`: one row per item of the side evidence: `kind`
//!   (a word), `key` (its join key as text), `value` (the evidence log's JSON of the item,
//!   `scan::evidence_log`), plus `event_id` and `event_time` when the item has them. The
//!   merge rebuilds the log's lines from `kind`, `key` and `value`.
//!
//! Each kind has its own folder because Athena "reads all files in an Amazon S3 location you
//! specify in the CREATE TABLE statement, and cannot ignore any files included in the prefix"
//! (<https://docs.aws.amazon.com/athena/latest/ug/tables-location-format.html>): a table's
//! files must be alone under its prefix.
//!
//! Memory stays bounded: rows are written as row groups of at most [`BATCH_ROWS`] rows or
//! about [`BATCH_BYTES`] of JSON text, and read back one row group at a time. Compression is
//! Parquet's ZSTD (polars' default), which Athena reads ("Athena supports reading and writing
//! ZSTD compressed ORC, Parquet, and text file data",
//! <https://docs.aws.amazon.com/athena/latest/ug/compression-support-zstd-levels.html>).

use crate::input::Origin;
use crate::record::Event;
use crate::scan::{Denial, Sink};
use anyhow::{bail, Context};
use polars::io::parquet::write::BatchedWriter;
use polars::prelude::{
    Column, DataFrame, Int64Chunked, IntoColumn, NewChunkedArray, ParallelStrategy, ParquetReader,
    ParquetWriter, PolarsResult, SerReader, TimeUnit, TimeZone,
};
use std::fs::File;
use std::io::{self, BufWriter};
use std::sync::{Arc, Mutex};

/// A row group ends at this many rows...
pub const BATCH_ROWS: usize = 8192;
/// ... or once its JSON text reaches this many bytes (a kept event is ~1.5 KB of JSON, so
/// ~2,700 events). Measured with heaptrack on one shard of 10,000 objects (9,270 kept events):
/// peak heap 28 MB, against 32 MB when the shard held its whole `kept.jsonl` in memory (which
/// grew with the kept events); 16 MiB batches peaked higher (RSS +15 MB).
pub const BATCH_BYTES: usize = 4 << 20;

/// `event_time` as a timestamp (milliseconds, UTC); `None` when it is not RFC 3339.
fn millis(time: Option<&str>) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(time?)
        .ok()
        .map(|t| t.timestamp_millis())
}

fn timestamps(name: &str, values: impl Iterator<Item = Option<i64>>) -> Column {
    Int64Chunked::from_iter_options(name.into(), values)
        .into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
        .into_column()
}

fn text<'a>(name: &str, values: impl Iterator<Item = Option<&'a str>>) -> Column {
    Column::new(name.into(), values.collect::<Vec<_>>())
}

/// A Parquet file written one row group at a time, on the calling thread.
struct Out(BatchedWriter<BufWriter<File>>);

impl Out {
    fn new(file: File, empty: &DataFrame) -> PolarsResult<Out> {
        ParquetWriter::new(BufWriter::new(file))
            .set_parallel(false)
            .batched(empty.schema())
            .map(Out)
    }
}

// ---------------------------------------------------------------------------------------
// kept

/// The typed text columns of `kept`, in order, after `object`, `record_index`, `event_time`.
type Field = fn(&Event) -> Option<&str>;
const KEPT_TEXT: [(&str, Field); 13] = [
    ("event_id", |e| e.event_id.as_deref()),
    ("event_source", |e| e.event_source.as_deref()),
    ("event_name", |e| e.event_name.as_deref()),
    ("error_code", |e| e.error_code.as_deref()),
    ("error_message", |e| e.error_message.as_deref()),
    ("aws_region", |e| e.aws_region.as_deref()),
    ("recipient_account_id", |e| {
        e.recipient_account_id.as_deref()
    }),
    ("principal_account_id", |e| {
        e.user_identity.as_ref()?.account_id.as_deref()
    }),
    ("principal_arn", |e| {
        e.user_identity.as_ref()?.arn.as_deref()
    }),
    ("bucket", |e| e.request_param("bucketName")),
    ("object_key", |e| e.request_param("key")),
    ("source_ip", |e| e.source_ip_address.as_deref()),
    ("vpc_endpoint_id", |e| e.vpc_endpoint_id.as_deref()),
];

/// One kept event as a row.
struct KeptRow {
    object: Arc<str>,
    record_index: Option<i64>,
    time: Option<i64>,
    text: Vec<Option<String>>,
    json: String,
}

impl KeptRow {
    fn of(d: &Denial) -> Result<KeptRow, String> {
        let record_index = d
            .origin
            .record_index
            .map(i64::try_from)
            .transpose()
            .map_err(|_| format!("{}: a record index beyond 2^63", d.origin.object))?;
        // Plain data: serializing an Event cannot fail; if it did, the shard stops, saying so.
        let json = serde_json::to_string(&d.event).map_err(|e| e.to_string())?;
        Ok(KeptRow {
            object: d.origin.object.clone(),
            record_index,
            time: millis(d.event.event_time.as_deref()),
            text: KEPT_TEXT
                .iter()
                .map(|(_, f)| f(&d.event).map(str::to_owned))
                .collect(),
            json,
        })
    }
}

fn kept_frame(rows: &[KeptRow]) -> PolarsResult<DataFrame> {
    let mut columns = vec![
        text("object", rows.iter().map(|r| Some(&*r.object))),
        Int64Chunked::from_iter_options("record_index".into(), rows.iter().map(|r| r.record_index))
            .into_column(),
        timestamps("event_time", rows.iter().map(|r| r.time)),
    ];
    for (i, (name, _)) in KEPT_TEXT.iter().enumerate() {
        columns.push(text(name, rows.iter().map(|r| r.text[i].as_deref())));
    }
    columns.push(text(
        "event_json",
        rows.iter().map(|r| Some(r.json.as_str())),
    ));
    DataFrame::new_infer_height(columns)
}

#[derive(Default)]
struct KeptState {
    rows: Vec<KeptRow>,
    bytes: usize,
    out: Option<Out>,
    written: u64,
    error: Option<String>,
}

impl KeptState {
    fn flush(&mut self) -> Result<(), String> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let out = self.out.as_mut().ok_or("the file is already finished")?;
        let frame = kept_frame(&self.rows).map_err(|e| e.to_string())?;
        out.0.write_batch(&frame).map_err(|e| e.to_string())?;
        self.written += self.rows.len() as u64;
        self.rows.clear();
        self.bytes = 0;
        Ok(())
    }
}

/// The scan's sink in a shard: writes the kept events to `kept.parquet` as they come. A
/// write that fails stops the scan; [`KeptWriter::finish`] then says why.
pub struct KeptWriter {
    state: Mutex<KeptState>,
}

impl KeptWriter {
    pub fn new(file: File) -> anyhow::Result<KeptWriter> {
        let out = Out::new(file, &kept_frame(&[])?)?;
        Ok(KeptWriter {
            state: Mutex::new(KeptState {
                out: Some(out),
                ..KeptState::default()
            }),
        })
    }

    /// Writes the last row group and the footer; returns the number of events written.
    pub fn finish(self) -> anyhow::Result<u64> {
        let mut state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = state.error.take() {
            bail!(e);
        }
        state.flush().map_err(anyhow::Error::msg)?;
        let out = state.out.take().context("the file is already finished")?;
        out.0.finish()?;
        Ok(state.written)
    }
}

impl Sink for KeptWriter {
    fn accept(&self, denials: Vec<Denial>) -> bool {
        // Serialized outside the lock: workers do this in parallel.
        let rows: Result<Vec<KeptRow>, String> = denials.iter().map(KeptRow::of).collect();
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        if state.error.is_some() {
            return false;
        }
        let rows = match rows {
            Ok(rows) => rows,
            Err(e) => {
                state.error = Some(e);
                return false;
            }
        };
        state.bytes += rows.iter().map(|r| r.json.len()).sum::<usize>();
        state.rows.extend(rows);
        if state.rows.len() >= BATCH_ROWS || state.bytes >= BATCH_BYTES {
            if let Err(e) = state.flush() {
                state.error = Some(e);
                return false;
            }
        }
        true
    }
}

/// Reads `columns` of a Parquet file one row group at a time; `each` returns `false` to stop.
fn row_groups(
    file: &mut File,
    columns: &[&str],
    mut each: impl FnMut(DataFrame) -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    let meta = ParquetReader::new(&mut *file).get_metadata()?.clone();
    let mut offset = 0;
    for group in &meta.row_groups {
        let n = group.num_rows();
        let mut reader = ParquetReader::new(&mut *file);
        reader.set_metadata(meta.clone());
        let frame = reader
            .with_columns(Some(columns.iter().map(|c| c.to_string()).collect()))
            .read_parallel(ParallelStrategy::None)
            .with_slice(Some((offset, n)))
            .finish()?;
        offset += n;
        if !each(frame)? {
            break;
        }
    }
    Ok(())
}

/// What [`read_kept`] handed on.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct KeptRead {
    pub events: u64,
    /// The sink asked to stop.
    pub stopped: bool,
}

/// Reads a `kept.parquet` back into `sink`, one object's events per call as the scan gives
/// them (consecutive rows of the same object), each event from its `event_json`.
pub fn read_kept(mut file: File, sink: &dyn Sink) -> anyhow::Result<KeptRead> {
    let mut read = KeptRead::default();
    let mut pending: Vec<Denial> = Vec::new();
    let mut row = 0u64;
    row_groups(
        &mut file,
        &["object", "record_index", "event_json"],
        |frame| {
            let objects = frame.column("object")?.str()?;
            let indexes = frame.column("record_index")?.i64()?;
            let events = frame.column("event_json")?.str()?;
            for ((object, index), json) in objects.iter().zip(indexes.iter()).zip(events.iter()) {
                row += 1;
                let (Some(object), Some(json)) = (object, json) else {
                    bail!("row {row}: no object or no event_json");
                };
                let record_index = index
                    .map(u64::try_from)
                    .transpose()
                    .map_err(|_| anyhow::anyhow!("row {row}: a negative record_index"))?;
                let event: Event = serde_json::from_str(json)
                    .with_context(|| format!("row {row}: event_json is not an event"))?;
                let same = pending.first().is_some_and(|d| &*d.origin.object == object);
                if !same && !pending.is_empty() && !sink.accept(std::mem::take(&mut pending)) {
                    read.stopped = true;
                    return Ok(false);
                }
                let object = match pending.first() {
                    Some(d) => d.origin.object.clone(),
                    None => Arc::from(object),
                };
                pending.push(Denial {
                    event,
                    origin: Origin {
                        object,
                        record_index,
                    },
                });
                read.events += 1;
            }
            Ok(true)
        },
    )?;
    if !read.stopped && !pending.is_empty() && !sink.accept(pending) {
        read.stopped = true;
    }
    Ok(read)
}

// ---------------------------------------------------------------------------------------
// evidence

/// The evidence log's kind letters (`scan::evidence_log`) and their words in the file. A
/// letter not listed here (a kind added to the log) travels as itself, so the merge still
/// rebuilds its lines.
const KINDS: [(u8, &str); 5] = [
    (b'K', "kms_denial"),
    (b'S', "session_policy"),
    (b'W', "foreign_write"),
    (b'D', "deletion"),
    (b'C', "change"),
];

fn kind_word(letter: u8) -> Option<String> {
    match KINDS.iter().find(|(l, _)| *l == letter) {
        Some((_, w)) => Some((*w).to_owned()),
        None if letter.is_ascii_graphic() => Some(char::from(letter).to_string()),
        None => None,
    }
}

fn kind_letter(word: &str) -> Option<u8> {
    match KINDS.iter().find(|(_, w)| *w == word) {
        Some((l, _)) => Some(*l),
        None => match word.as_bytes() {
            [l] if l.is_ascii_graphic() => Some(*l),
            _ => None,
        },
    }
}

/// The fields every kind of evidence may carry, for the typed columns.
#[derive(serde::Deserialize)]
struct Stamp {
    #[serde(default)]
    event_id: Option<String>,
    #[serde(default)]
    event_time: Option<String>,
}

struct EvidenceRow {
    kind: String,
    key: String,
    value: String,
    event_id: Option<String>,
    time: Option<i64>,
}

impl EvidenceRow {
    /// One line of the evidence log: `kind TAB key TAB value`, key and value as JSON.
    fn of(line: &[u8]) -> Result<EvidenceRow, String> {
        let mut fields = line.splitn(3, |&b| b == b'\t');
        let (Some(&[letter]), Some(key), Some(value)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err("not an evidence line".into());
        };
        let kind = kind_word(letter).ok_or("an evidence kind that is not a letter")?;
        let key: String = serde_json::from_slice(key).map_err(|e| format!("its key: {e}"))?;
        let value = std::str::from_utf8(value)
            .map_err(|e| format!("its value: {e}"))?
            .to_owned();
        let stamp: Option<Stamp> = serde_json::from_str(&value).ok();
        let (event_id, event_time) = stamp.map_or((None, None), |s| (s.event_id, s.event_time));
        Ok(EvidenceRow {
            kind,
            key,
            time: millis(event_time.as_deref()),
            event_id,
            value,
        })
    }
}

fn evidence_frame(rows: &[EvidenceRow]) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        text("kind", rows.iter().map(|r| Some(r.kind.as_str()))),
        text("key", rows.iter().map(|r| Some(r.key.as_str()))),
        text("event_id", rows.iter().map(|r| r.event_id.as_deref())),
        timestamps("event_time", rows.iter().map(|r| r.time)),
        text("value", rows.iter().map(|r| Some(r.value.as_str()))),
    ])
}

/// Takes the evidence log's lines (`EvidenceLog::write_lines` writes into it) and writes them
/// as rows of `evidence.parquet`.
pub struct EvidenceWriter {
    /// Bytes after the last complete line.
    pending: Vec<u8>,
    rows: Vec<EvidenceRow>,
    bytes: usize,
    out: Out,
    written: u64,
}

impl EvidenceWriter {
    pub fn new(file: File) -> anyhow::Result<EvidenceWriter> {
        Ok(EvidenceWriter {
            pending: Vec::new(),
            rows: Vec::new(),
            bytes: 0,
            out: Out::new(file, &evidence_frame(&[])?)?,
            written: 0,
        })
    }

    fn line(&mut self, line: &[u8]) -> io::Result<()> {
        if line.is_empty() {
            return Ok(());
        }
        let row = EvidenceRow::of(line)
            .map_err(|e| io::Error::other(format!("evidence line {}: {e}", self.written + 1)))?;
        self.bytes += row.value.len();
        self.rows.push(row);
        if self.rows.len() >= BATCH_ROWS || self.bytes >= BATCH_BYTES {
            self.flush_rows()?;
        }
        Ok(())
    }

    fn flush_rows(&mut self) -> io::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let frame = evidence_frame(&self.rows).map_err(io::Error::other)?;
        self.out.0.write_batch(&frame).map_err(io::Error::other)?;
        self.written += self.rows.len() as u64;
        self.rows.clear();
        self.bytes = 0;
        Ok(())
    }

    /// Writes what is left and the footer; returns the number of items written.
    pub fn finish(mut self) -> anyhow::Result<u64> {
        let last = std::mem::take(&mut self.pending);
        self.line(&last)?;
        self.flush_rows()?;
        self.out.0.finish()?;
        Ok(self.written)
    }
}

impl io::Write for EvidenceWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if let Some(end) = memchr::memrchr(b'\n', &self.pending) {
            let rest = self.pending.split_off(end + 1);
            let lines = std::mem::replace(&mut self.pending, rest);
            for line in lines.split(|&b| b == b'\n') {
                self.line(line)?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads an `evidence.parquet` back as the evidence log's lines, a row group at a time
/// (`each` gets whole lines); returns the number of items.
pub fn read_evidence(
    mut file: File,
    mut each: impl FnMut(&[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<u64> {
    let mut row = 0u64;
    let mut lines = Vec::new();
    row_groups(&mut file, &["kind", "key", "value"], |frame| {
        let kinds = frame.column("kind")?.str()?;
        let keys = frame.column("key")?.str()?;
        let values = frame.column("value")?.str()?;
        lines.clear();
        for ((kind, key), value) in kinds.iter().zip(keys.iter()).zip(values.iter()) {
            row += 1;
            let (Some(kind), Some(key), Some(value)) = (kind, key, value) else {
                bail!("row {row}: no kind, key or value");
            };
            let letter = kind_letter(kind).with_context(|| format!("row {row}: kind {kind:?}"))?;
            lines.push(letter);
            lines.push(b'\t');
            serde_json::to_writer(&mut lines, key)?;
            lines.push(b'\t');
            lines.extend_from_slice(value.as_bytes());
            lines.push(b'\n');
        }
        each(&lines)?;
        Ok(true)
    })?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::evidence::{Deletion, Evidence, EvidenceCaps, ObjectKey, SessionPolicy};
    use crate::scan::evidence_log::EvidenceStore;
    use std::io::{Seek, Write};

    fn denial(object: &str, index: Option<u64>, json: serde_json::Value) -> Denial {
        Denial {
            event: serde_json::from_value(json).expect("an event"),
            origin: Origin {
                object: object.into(),
                record_index: index,
            },
        }
    }

    /// A sink that keeps every call.
    #[derive(Default)]
    struct Calls(Mutex<Vec<Vec<Denial>>>);

    impl Sink for Calls {
        fn accept(&self, denials: Vec<Denial>) -> bool {
            self.0.lock().expect("lock").push(denials);
            true
        }
    }

    /// Events go through kept.parquet and come back equal, their JSON byte for byte, grouped
    /// by object as the scan handed them, across row groups; the typed columns hold what
    /// Athena would query.
    #[test]
    fn kept_events_read_back_equal_and_typed_columns_are_filled() {
        let event = |id: &str| {
            serde_json::json!({"eventVersion": "1.09", "eventID": id,
                "eventTime": "2026-11-19T08:40:12Z", "eventSource": "s3.amazonaws.com",
                "eventName": "GetObject", "errorCode": "AccessDenied", "awsRegion": "eu-west-1",
                "recipientAccountId": "111122223333",
                "userIdentity": {"type": "AssumedRole", "accountId": "444455556666",
                    "arn": "arn:aws:sts::444455556666:assumed-role/app/s",
                    "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::444455556666:role/app"}}},
                "requestParameters": {"bucketName": "b", "key": "a\tkey\n\"ü\"", "x-amz-acl": ["private"]},
                "additionalEventData": {"SignatureVersion": "SigV4"}})
        };
        let mut sent = Vec::new();
        // More events than a row group holds: groups and objects straddle the boundary.
        for i in 0..(BATCH_ROWS + 10) {
            let object = format!("s3://logs/o{:05}", i / 3);
            let index = if i % 7 == 0 { None } else { Some(i as u64) };
            sent.push(denial(&object, index, event(&format!("e{i}"))));
        }
        let mut file = tempfile::tempfile().expect("temp");
        let writer = KeptWriter::new(file.try_clone().expect("clone")).expect("writer");
        for chunk in sent.chunks(3) {
            assert!(writer.accept(chunk.to_vec()));
        }
        assert_eq!(writer.finish().expect("written"), sent.len() as u64);
        file.rewind().expect("rewind");

        let calls = Calls::default();
        let read = read_kept(file.try_clone().expect("clone"), &calls).expect("read");
        assert_eq!(read.events, sent.len() as u64);
        assert!(!read.stopped);
        let calls = calls.0.into_inner().expect("lock");
        assert_eq!(calls.len(), sent.len().div_ceil(3), "one call per object");
        let got: Vec<Denial> = calls.into_iter().flatten().collect();
        assert_eq!(got.len(), sent.len());
        for (g, s) in got.iter().zip(&sent) {
            assert_eq!(g.origin, s.origin);
            assert_eq!(g.event, s.event);
            assert_eq!(
                serde_json::to_string(&g.event).expect("json"),
                serde_json::to_string(&s.event).expect("json")
            );
        }

        file.rewind().expect("rewind");
        let frame = ParquetReader::new(file).finish().expect("a Parquet file");
        assert!(frame.height() == sent.len());
        let first = |c: &str| frame.column(c).expect(c).get(0).expect("row").to_string();
        assert_eq!(first("object"), "\"s3://logs/o00000\"");
        assert_eq!(first("bucket"), "\"b\"");
        assert_eq!(first("principal_account_id"), "\"444455556666\"");
        assert_eq!(first("error_code"), "\"AccessDenied\"");
        let time = frame.column("event_time").expect("event_time");
        assert_eq!(
            time.dtype(),
            &polars::prelude::DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
        );
        assert_eq!(
            time.cast(&polars::prelude::DataType::Int64)
                .expect("cast")
                .i64()
                .expect("i64")
                .get(0),
            Some(1_795_077_612_000)
        );
    }

    /// The evidence log's lines of every kind go through evidence.parquet and come back as
    /// the same lines; every kind the log writes has its word (a new letter would travel as
    /// itself, but should get a word here).
    #[test]
    fn evidence_lines_read_back_the_same() {
        let mut store = EvidenceStore::new(EvidenceCaps::default(), true);
        let mut e = Evidence::default();
        e.add_deletion(
            ObjectKey::new("b", "odd\tkey\n\"ü"),
            Deletion {
                event_time: Some("2026-11-16T00:00:00Z".into()),
                event_id: Some("del-1".into()),
            },
        );
        e.add_session_policy(SessionPolicy {
            access_key_id: "ASIAX".into(),
            issued_by: "AssumeRole".into(),
            event_time: None,
            event_id: Some("sts-1".into()),
            role_arn: None,
            policy: Some("{\"Version\":\"2012-10-17\"}".into()),
            policy_arns: vec![],
            origin: Origin {
                object: "f".into(),
                record_index: Some(1),
            },
            session_tags: vec![("team".into(), "data".into())],
            tags_complete: true,
            transitive_tag_keys: vec!["team".into()],
            incoming_transitive_tags: vec![("project".into(), "x".into())],
            called_with: Some("ASIAPARENT".into()),
        });
        store.add(e);
        let EvidenceStore::Log(log) = store else {
            panic!("asked for a log")
        };
        let mut file = tempfile::tempfile().expect("temp");
        let mut writer = EvidenceWriter::new(file.try_clone().expect("clone")).expect("writer");
        let mut lines = Vec::new();
        {
            // What write_lines gives, fed in pieces that split lines anywhere.
            log.write_lines(&mut lines).expect("lines");
            for piece in lines.chunks(7) {
                writer.write_all(piece).expect("written");
            }
        }
        assert_eq!(writer.finish().expect("finished"), 2);
        for line in lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            assert!(
                KINDS.iter().any(|(l, _)| *l == line[0]),
                "kind {} has a word",
                line[0] as char
            );
        }
        file.rewind().expect("rewind");
        let mut back = Vec::new();
        let n = read_evidence(file.try_clone().expect("clone"), |l| {
            back.extend_from_slice(l);
            Ok(())
        })
        .expect("read");
        assert_eq!(n, 2);
        assert_eq!(
            String::from_utf8_lossy(&back),
            String::from_utf8_lossy(&lines)
        );

        file.rewind().expect("rewind");
        let frame = ParquetReader::new(file).finish().expect("a Parquet file");
        let kinds: Vec<_> = frame
            .column("kind")
            .expect("kind")
            .str()
            .expect("str")
            .iter()
            .flatten()
            .map(str::to_owned)
            .collect();
        assert!(kinds.contains(&"deletion".to_owned()), "{kinds:?}");
        assert!(kinds.contains(&"session_policy".to_owned()), "{kinds:?}");
        let keys = frame.column("key").expect("key");
        assert!(keys
            .str()
            .expect("str")
            .iter()
            .any(|k| k == Some("b/odd\tkey\n\"ü")));
    }

    #[test]
    fn kind_words_round_trip_and_unknown_letters_travel_as_themselves() {
        for (l, w) in KINDS {
            assert_eq!(kind_word(l).as_deref(), Some(w));
            assert_eq!(kind_letter(w), Some(l));
        }
        assert_eq!(kind_word(b'Z').as_deref(), Some("Z"));
        assert_eq!(kind_letter("Z"), Some(b'Z'));
        assert_eq!(kind_letter("nonsense"), None);
        assert_eq!(kind_word(b'\t'), None);
    }
}
