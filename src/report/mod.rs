//! Reports: findings folded into what people read. Built only with the `reports` feature,
//! because polars lives here and nowhere else.
//!
//! - [`frame`]: findings → one polars row each, with the derived columns reports group on;
//! - [`aggregate`]: mergeable group-bys (root cause, principal, role, bucket, action, source
//!   IP, VPC endpoint, account, day) with counts, distinct principals, first/last seen,
//!   sample ids and the most common fix;
//! - [`summary`]: the weekly report as data (own workloads first, noise folded, comparison
//!   with the previous period);
//! - [`render`]: table, markdown, html, json; [`export`]: jsonl, csv, parquet rows and
//!   reading them back;
//! - [`filter`]: the forensics filters shared by `analyze` and `report`; [`timeline`]: the
//!   filtered events in time order.

pub mod aggregate;
pub mod batches;
pub mod changes;
pub mod err;
pub mod export;
pub mod filter;
pub mod format;
pub mod frame;
pub mod noise;
pub mod render;
pub mod summary;
pub mod suppress;
pub mod timeline;

pub use aggregate::{Aggregates, Dimension};
pub use batches::FrameBatches;
pub use err::{ReportError, Result};
pub use filter::{Filter, FilterSpec};
pub use format::Format;
pub use summary::{Summary, SummaryOptions};

use crate::findings::Finding;
use polars::prelude::DataFrame;
use std::io::Write;

/// How to write a report.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    pub format: Format,
    pub summary: SummaryOptions,
    /// ANSI colour in the table (the caller checks for a terminal and `NO_COLOR`).
    pub colour: bool,
}

/// Findings gathered batch by batch for an aggregated report (table, markdown, html, json)
/// or a `--timeline`, held as polars columns (a few hundred bytes a finding) rather than as
/// [`Finding`]s (several KB each, mostly small strings). Past the first chunk the frames wait
/// in a temporary file ([`FrameBatches`]) and the report reads them back a chunk at a time,
/// folding each into mergeable aggregates: the memory of `analyze --format html` over a long
/// trail follows the number of groups, not of findings. (`--timeline` sorts every row, so it
/// stacks them all. Row formats are not gathered at all: see [`export::RowWriter`].)
#[derive(Debug)]
pub struct Collected {
    timeline: bool,
    batches: FrameBatches,
    changes: changes::ChangeTally,
    replayed: Option<Vec<changes::ChangeInfo>>,
}

impl Collected {
    /// For an aggregated report (`timeline`: the `--timeline` listing instead, whose rows
    /// all stay in memory: it sorts them all at once, so a trip through the file would only
    /// add I/O).
    pub fn new(timeline: bool) -> Self {
        let chunk_rows = if timeline {
            usize::MAX
        } else {
            batches::chunk_rows_from_env()
        };
        Collected::with_chunk_rows(timeline, chunk_rows)
    }

    /// As [`Collected::new`], read back `chunk_rows` rows at a time.
    pub fn with_chunk_rows(timeline: bool, chunk_rows: usize) -> Self {
        Collected {
            timeline,
            batches: FrameBatches::new(chunk_rows),
            changes: changes::ChangeTally::default(),
            replayed: None,
        }
    }

    /// Appends one batch of findings.
    pub fn add(&mut self, batch: &[Finding]) -> Result<()> {
        self.changes.add(batch);
        self.batches.push(frame::findings_frame(batch)?)
    }

    /// The change events the run replayed: the report then has its "changes that caused
    /// denials" section.
    pub fn set_replayed(&mut self, changes: Vec<changes::ChangeInfo>) {
        self.replayed = Some(changes);
    }

    /// Writes the report over everything added.
    pub fn write(mut self, opts: &WriteOptions, out: &mut dyn Write) -> Result<()> {
        if self.timeline {
            let frame = match self.batches.into_frame()? {
                Some(f) => f,
                None => frame::findings_frame(&[])?,
            };
            return write_timeline_frame(&frame, opts, out);
        }
        if self.batches.is_empty() {
            // No finding: the report still has its sections, empty.
            self.batches.push(frame::findings_frame(&[])?)?;
        }
        let tt = self.changes.section(self.replayed.as_deref());
        write_summary(&self.batches, opts, out, tt)
    }
}

/// Builds the report over `findings` and writes it in the chosen format. Row formats
/// (jsonl, csv, parquet) write the findings themselves; the others the aggregated report.
pub fn write_report(findings: &[Finding], opts: &WriteOptions, out: &mut dyn Write) -> Result<()> {
    if export::write_rows(opts.format, findings, out)? {
        return Ok(());
    }
    // The findings are in memory already: one frame, one chunk.
    let batches = FrameBatches::of(frame::findings_frame(findings)?)?;
    write_summary(&batches, opts, out, None)
}

/// The aggregated report (table, markdown, json, html) over analysis frames.
fn write_summary(
    batches: &FrameBatches,
    opts: &WriteOptions,
    out: &mut dyn Write,
    time_travel: Option<changes::TimeTravel>,
) -> Result<()> {
    let mut summary = summary::summarize_batches(batches, &opts.summary)?;
    summary.time_travel = time_travel;
    match opts.format {
        Format::Table => out.write_all(render::table::render(&summary, opts.colour).as_bytes())?,
        Format::Markdown => out.write_all(render::markdown::render(&summary).as_bytes())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &summary)?;
            out.write_all(b"\n")?;
        }
        Format::Html => out
            .write_all(render::html::render(&summary, opts.summary.events_per_group)?.as_bytes())?,
        Format::Jsonl | Format::Csv | Format::Parquet => {}
    }
    Ok(())
}

/// Writes the `--timeline` of `findings` within the summary's period: text for `table`,
/// one JSON object per event for `jsonl`, a JSON array for `json`.
pub fn write_timeline(
    findings: &[Finding],
    opts: &WriteOptions,
    out: &mut dyn Write,
) -> Result<()> {
    write_timeline_frame(&frame::findings_frame(findings)?, opts, out)
}

/// Whether `--timeline` is written in `format` (table, json, jsonl): checked with the other
/// flags, before anything is read or opened.
pub fn timeline_format(format: Format) -> bool {
    matches!(format, Format::Table | Format::Json | Format::Jsonl)
}

fn write_timeline_frame(frame: &DataFrame, opts: &WriteOptions, out: &mut dyn Write) -> Result<()> {
    let entries = timeline::timeline(frame, opts.summary.since, opts.summary.until)?;
    match opts.format {
        Format::Jsonl => {
            for e in &entries {
                serde_json::to_writer(&mut *out, e)?;
                out.write_all(b"\n")?;
            }
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &entries)?;
            out.write_all(b"\n")?;
        }
        Format::Table => out.write_all(timeline::render_text(&entries).as_bytes())?,
        other => return Err(ReportError::TimelineFormat(other)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{CallerClass, RootCause};
    use polars::prelude::{ParquetReader, SerReader};

    fn findings() -> Vec<Finding> {
        let causes = [
            RootCause::Scp,
            RootCause::MissingAllow,
            RootCause::ExplicitDeny,
        ];
        let classes = [CallerClass::SameAccount, CallerClass::External];
        (0..57)
            .map(|i| Finding {
                event_id: format!("e{i:03}"),
                // Some without a time; some at the same time (the drill-down breaks ties).
                event_time: (i % 11 != 5)
                    .then(|| format!("2026-11-{:02}T{:02}:00:00Z", 16 + i % 7, i % 24 / 3)),
                principal_arn: Some(format!("arn:aws:iam::111122223333:user/u{}", i % 5)),
                bucket: Some(format!("b{}", i % 3)),
                action: Some("s3:GetObject".into()),
                source_ip: Some(format!("10.0.0.{}", i % 9)),
                root_cause: causes[i % 3],
                caller_class: classes[i % 2],
                reason: Some(format!("reason {i}")),
                remediation: Some(format!("fix {}", i % 4)),
                ..Default::default()
            })
            .collect()
    }

    /// `analyze` gathers findings batch by batch ([`Collected::add`]) and the report reads
    /// them back in chunks, folding each into mergeable aggregates ([`FrameBatches`]):
    /// whatever the cuts and the chunk size (1 row: every batch its own chunk, through the
    /// temporary file), the output must be byte for byte the report over all of them at once,
    /// for every way the period is set (taken from the data, compared with the week before,
    /// explicit ends).
    #[test]
    fn batches_and_chunks_give_the_same_output_as_one_frame() {
        let all = findings();
        let at = |d: u32, h: u32| {
            chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, d, h, 0, 0).single()
        };
        let periods = [
            SummaryOptions::default(),
            SummaryOptions {
                compare_previous: true,
                ..Default::default()
            },
            SummaryOptions {
                compare_previous: true,
                since: at(19, 6),
                ..Default::default()
            },
            SummaryOptions {
                since: at(17, 0),
                until: at(21, 12),
                compare_previous: true,
                top: 3,
                events_per_group: 4,
                ..Default::default()
            },
            SummaryOptions {
                until: at(20, 0),
                ..Default::default()
            },
        ];
        let cases = [
            (Format::Table, false),
            (Format::Markdown, false),
            (Format::Html, false),
            (Format::Json, false),
            (Format::Csv, false),
            (Format::Json, true),
            (Format::Table, true),
        ];
        for (format, timeline) in cases {
            for summary in &periods {
                let opts = WriteOptions {
                    format,
                    summary: summary.clone(),
                    colour: false,
                };
                let write = |batches: &[&[Finding]], chunk_rows: usize| {
                    let mut out = Vec::new();
                    let rows = export::RowWriter::new(format, &mut out).filter(|_| !timeline);
                    if let Some(mut rows) = rows {
                        for b in batches {
                            rows.write(b).expect("a batch of rows");
                        }
                        rows.finish().expect("the end of the rows");
                    } else {
                        let mut c = Collected::with_chunk_rows(timeline, chunk_rows);
                        for b in batches {
                            c.add(b).expect("a batch becomes columns");
                        }
                        c.write(&opts, &mut out).expect("the report is written");
                    }
                    String::from_utf8(out).expect("text formats")
                };
                let whole = write(&[&all], usize::MAX);
                assert!(whole.contains("user/u"), "{whole}");
                let cuts: [&[Finding]; 4] = [&all[..10], &all[10..11], &all[11..40], &all[40..]];
                for chunk_rows in [1, 12, usize::MAX] {
                    let cut = write(&cuts, chunk_rows);
                    assert_eq!(
                        cut, whole,
                        "{format:?}, timeline {timeline}, chunks of {chunk_rows}, {summary:?}"
                    );
                }
            }
        }
    }

    /// Parquet written a batch at a time (a row group each) reads back as the findings, in
    /// order; with no batch at all it is still a Parquet file, of no rows.
    #[test]
    fn parquet_in_batches_reads_back_whole() {
        let all = findings();
        let read = |batches: &[&[Finding]]| {
            let mut bytes = Vec::new();
            let mut rows = export::RowWriter::new(Format::Parquet, &mut bytes).expect("rows");
            for b in batches {
                rows.write(b).expect("a batch");
            }
            rows.finish().expect("the footer");
            ParquetReader::new(std::io::Cursor::new(bytes))
                .finish()
                .expect("a parquet file")
        };
        let batches: Vec<&[Finding]> = all.chunks(13).collect();
        let whole = frame::parquet_frame(&all).expect("a frame");
        assert!(read(&batches).equals_missing(&whole));
        let none = read(&[]);
        assert_eq!(none.height(), 0);
        assert_eq!(none.schema(), whole.schema());
    }
}
