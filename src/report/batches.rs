//! Frames gathered batch by batch for one report and read back in chunks of a bounded size:
//! what keeps a report over a long trail within a fixed amount of memory.
//!
//! The first rows (up to one chunk) stay in memory; later batches wait in an unnamed
//! temporary file as uncompressed Parquet (types and nulls come back exactly). A report then
//! reads the batches in order, a chunk of about [`FrameBatches::chunk_rows`] rows at a time,
//! and folds each chunk into mergeable aggregates ([`super::summary`]): memory holds at most
//! two chunks and the aggregates, whatever the number of findings. The
//! data's time span is tracked as batches arrive, because a report's period can depend on it
//! before the first chunk is folded.

use super::err::Result;
use super::frame::col_name as c;
use crate::messages;
use crate::scratch::Scratch;
use chrono::{DateTime, TimeZone, Utc};
use polars::prelude::*;
use std::io::Cursor;

/// Rows per chunk (and rows kept in memory) unless `DENYTRAIL_REPORT_CHUNK` says otherwise.
/// On the 500 MB benchmark tree (3,337 findings) the whole report is one chunk, as fast as
/// it was before chunks; on the 2 and 4 GB trees 4,096 gave 4 to 10 MiB less peak RSS than
/// 8,192 for 3 to 10 % more time (every chunk is another round of queries and merges).
pub const DEFAULT_CHUNK_ROWS: usize = 4096;

/// The chunk size from `DENYTRAIL_REPORT_CHUNK` (tests and experiments), else the default.
pub fn chunk_rows_from_env() -> usize {
    crate::scratch::limit_from_env("DENYTRAIL_REPORT_CHUNK", DEFAULT_CHUNK_ROWS).max(1)
}

#[derive(Debug)]
enum Part {
    Memory(DataFrame),
    /// Parquet bytes in the scratch file.
    Disk {
        at: u64,
        len: usize,
    },
}

/// Frames of one schema, in the order they were pushed.
#[derive(Debug)]
pub struct FrameBatches {
    parts: Vec<Part>,
    chunk_rows: usize,
    rows: usize,
    in_memory: usize,
    scratch: Scratch,
    /// Earliest and latest `ts` (ms) of every frame pushed.
    span: Option<(i64, i64)>,
    without_time: u64,
}

impl FrameBatches {
    /// Batches read back `chunk_rows` rows at a time (at least 1).
    pub fn new(chunk_rows: usize) -> Self {
        FrameBatches {
            parts: Vec::new(),
            chunk_rows: chunk_rows.max(1),
            rows: 0,
            in_memory: 0,
            scratch: Scratch::default(),
            span: None,
            without_time: 0,
        }
    }

    /// One frame as the only batch (a report over findings already in memory).
    pub fn of(frame: DataFrame) -> Result<Self> {
        let mut b = FrameBatches::new(usize::MAX);
        b.push(frame)?;
        Ok(b)
    }

    pub fn chunk_rows(&self) -> usize {
        self.chunk_rows
    }

    /// Rows pushed in all.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Appends a frame: in memory while the first chunk's worth of rows lasts, then to the
    /// temporary file (or, if that cannot be written, in memory after a notice).
    pub fn push(&mut self, mut frame: DataFrame) -> Result<()> {
        self.track_time(&frame)?;
        let rows = frame.height();
        self.rows += rows;
        if self.in_memory.saturating_add(rows) <= self.chunk_rows || self.scratch.failed() {
            self.in_memory = self.in_memory.saturating_add(rows);
            self.parts.push(Part::Memory(frame));
            return Ok(());
        }
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes)
            .with_compression(ParquetCompression::Uncompressed)
            .finish(&mut frame)?;
        match self.scratch.append(&bytes) {
            Ok(at) => self.parts.push(Part::Disk {
                at,
                len: bytes.len(),
            }),
            Err(e) => {
                messages::notice(&format!(
                    "denytrail: cannot write the report's rows to a temporary file ({e}); keeping them in memory (set TMPDIR to a writable folder with space)"
                ));
                self.parts.push(Part::Memory(frame));
            }
        }
        Ok(())
    }

    fn track_time(&mut self, frame: &DataFrame) -> Result<()> {
        let ts = frame.column(c::TS)?;
        self.without_time += ts.null_count() as u64;
        let ms = ts.cast(&DataType::Int64)?;
        let ms = ms.i64()?;
        if let (Some(lo), Some(hi)) = (ms.min(), ms.max()) {
            self.span = Some(match self.span {
                Some((a, b)) => (a.min(lo), b.max(hi)),
                None => (lo, hi),
            });
        }
        Ok(())
    }

    /// Earliest and latest event time of everything pushed; `None` when no row has one.
    pub fn span(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let (a, b) = self.span?;
        Utc.timestamp_millis_opt(a)
            .single()
            .zip(Utc.timestamp_millis_opt(b).single())
    }

    /// Rows without a readable event time.
    pub fn without_time(&self) -> u64 {
        self.without_time
    }

    fn load(&self, part: &Part) -> Result<DataFrame> {
        match part {
            Part::Memory(df) => Ok(df.clone()),
            Part::Disk { at, len } => {
                let bytes = self
                    .scratch
                    .read_at(*at, *len)
                    .map_err(super::err::ReportError::Scratch)?;
                Ok(ParquetReader::new(Cursor::new(bytes)).finish()?)
            }
        }
    }

    /// The batches in order, as consecutive chunks: whole batches stacked until a chunk
    /// holds at least [`FrameBatches::chunk_rows`] rows (the last may hold fewer). Nothing
    /// pushed: no chunk.
    pub fn chunks(&self) -> Chunks<'_> {
        Chunks {
            batches: self,
            next: 0,
            rows: self.chunk_rows,
        }
    }

    /// Every batch stacked into one frame (what a report that must sort all rows needs).
    pub fn into_frame(self) -> Result<Option<DataFrame>> {
        let mut all = Chunks {
            batches: &self,
            next: 0,
            rows: usize::MAX,
        };
        all.next().transpose()
    }
}

/// See [`FrameBatches::chunks`].
pub struct Chunks<'a> {
    batches: &'a FrameBatches,
    next: usize,
    /// Rows at which a chunk is full.
    rows: usize,
}

impl Chunks<'_> {
    fn stack(&mut self) -> Result<Option<DataFrame>> {
        let mut chunk: Option<DataFrame> = None;
        while let Some(part) = self.batches.parts.get(self.next) {
            self.next += 1;
            let df = self.batches.load(part)?;
            let c = match &mut chunk {
                Some(c) => {
                    c.vstack_mut(&df)?;
                    c
                }
                None => chunk.insert(df),
            };
            if c.height() >= self.rows {
                break;
            }
        }
        Ok(chunk)
    }
}

impl Iterator for Chunks<'_> {
    type Item = Result<DataFrame>;

    fn next(&mut self) -> Option<Self::Item> {
        self.stack().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Finding;
    use crate::report::frame::findings_frame;

    fn batch(ids: std::ops::Range<usize>) -> DataFrame {
        let findings: Vec<Finding> = ids
            .map(|i| Finding {
                event_id: format!("e{i:03}"),
                event_time: (i % 4 != 0).then(|| format!("2026-11-{:02}T10:00:00Z", 10 + i % 9)),
                principal_arn: (i % 3 != 0).then(|| format!("arn:aws:iam::1:user/u{i}")),
                disagrees_with_aws: (i % 5 != 0).then_some(i % 2 == 0),
                ..Default::default()
            })
            .collect();
        findings_frame(&findings).expect("a frame")
    }

    /// Batches past the first chunk go through Parquet in the temporary file and come back
    /// as the same rows, types and nulls, in order, cut into chunks of whole batches.
    #[test]
    fn batches_come_back_in_order_and_in_chunks() {
        let mut b = FrameBatches::new(5);
        for r in [0..3, 3..4, 4..10, 10..12, 12..13] {
            b.push(batch(r)).expect("push");
        }
        assert!(matches!(b.parts[0], Part::Memory(_)));
        assert!(
            matches!(b.parts[2], Part::Disk { .. }),
            "past 5 rows: on disk"
        );
        let mut heights = Vec::new();
        let mut back: Option<DataFrame> = None;
        for c in b.chunks() {
            let c = c.expect("a chunk reads back");
            heights.push(c.height());
            match &mut back {
                Some(a) => {
                    a.vstack_mut(&c).expect("same schema");
                }
                None => back = Some(c),
            }
        }
        // 3+1 < 5, +6 = 10 ≥ 5: one chunk; then 2+1 = 3, the rest.
        assert_eq!(heights, [10, 3]);
        let whole = batch(0..13);
        assert!(back.expect("rows").equals_missing(&whole));
        // 13 rows, of which i % 4 == 0 (0, 4, 8, 12) have no time.
        assert_eq!(b.without_time(), 4);
        let (lo, hi) = b.span().expect("timed rows");
        // Days 10 + i % 9 of the timed rows: i = 9 the earliest, i = 7 the latest.
        assert_eq!(lo.to_rfc3339(), "2026-11-10T10:00:00+00:00");
        assert_eq!(hi.to_rfc3339(), "2026-11-17T10:00:00+00:00");
        assert!(b
            .into_frame()
            .expect("read")
            .expect("rows")
            .equals_missing(&whole));
    }

    #[test]
    fn nothing_pushed_gives_no_chunk() {
        let b = FrameBatches::new(5);
        assert!(b.chunks().next().is_none() && b.span().is_none());
    }
}
