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
pub mod err;
pub mod export;
pub mod filter;
pub mod format;
pub mod frame;
pub mod render;
pub mod summary;
pub mod timeline;

pub use aggregate::{Aggregates, Dimension};
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

/// Findings gathered batch by batch for one report, held as polars columns (a few hundred
/// bytes a finding) rather than as [`Finding`]s (several KB each, mostly small strings): what
/// keeps `analyze --format html` over a large trail within memory. Each batch becomes the
/// frame the output needs (the analysis frame, or the export columns for csv and parquet) and
/// is appended; the rows stay in the order they were added.
#[derive(Debug, Clone)]
pub struct Collected {
    /// The rows go out as they are (csv, parquet): the export columns, not the analysis frame.
    export: bool,
    timeline: bool,
    frame: Option<DataFrame>,
}

impl Collected {
    /// For a report in `format` (`timeline`: the `--timeline` listing instead). JSON Lines
    /// rows are written from the findings themselves ([`export::write_jsonl`]), not gathered.
    pub fn new(format: Format, timeline: bool) -> Self {
        Collected {
            export: !timeline && matches!(format, Format::Csv | Format::Parquet),
            timeline,
            frame: None,
        }
    }

    fn frame_of(&self, batch: &[Finding]) -> Result<DataFrame> {
        if self.export {
            frame::export_frame(batch)
        } else {
            frame::findings_frame(batch)
        }
    }

    /// Appends one batch of findings.
    pub fn add(&mut self, batch: &[Finding]) -> Result<()> {
        let df = self.frame_of(batch)?;
        match &mut self.frame {
            Some(f) => {
                f.vstack_mut(&df)?;
            }
            None => self.frame = Some(df),
        }
        Ok(())
    }

    /// Writes the report over everything added.
    pub fn write(self, opts: &WriteOptions, out: &mut dyn Write) -> Result<()> {
        // Left in one chunk per batch: rechunking would hold the whole frame twice at once.
        let mut frame = match self.frame {
            Some(f) => f,
            None => self.frame_of(&[])?,
        };
        if self.timeline {
            return write_timeline_frame(&frame, opts, out);
        }
        match opts.format {
            Format::Csv => export::write_csv_frame(&mut frame, out),
            Format::Parquet => export::write_parquet_frame(&mut frame, out),
            _ => write_summary(&frame, opts, out),
        }
    }
}

/// Builds the report over `findings` and writes it in the chosen format. Row formats
/// (jsonl, csv, parquet) write the findings themselves; the others the aggregated report.
pub fn write_report(findings: &[Finding], opts: &WriteOptions, out: &mut dyn Write) -> Result<()> {
    if opts.format == Format::Jsonl {
        return export::write_jsonl(findings, out);
    }
    let mut c = Collected::new(opts.format, false);
    c.add(findings)?;
    c.write(opts, out)
}

/// The aggregated report (table, markdown, json, html) over an analysis frame.
fn write_summary(frame: &DataFrame, opts: &WriteOptions, out: &mut dyn Write) -> Result<()> {
    let summary = summary::summarize(frame, &opts.summary)?;
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
    let mut c = Collected::new(opts.format, true);
    c.add(findings)?;
    c.write(opts, out)
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
                event_time: Some(format!("2026-11-{:02}T{:02}:00:00Z", 16 + i % 7, i % 24)),
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

    /// `analyze` gathers findings batch by batch ([`Collected::add`]); whatever the cuts, the
    /// output must be byte for byte the report over all of them at once.
    #[test]
    fn batches_give_the_same_output_as_one_frame() {
        let all = findings();
        for (format, timeline) in [
            (Format::Table, false),
            (Format::Markdown, false),
            (Format::Html, false),
            (Format::Json, false),
            (Format::Csv, false),
            (Format::Json, true),
            (Format::Table, true),
        ] {
            let opts = WriteOptions {
                format,
                summary: SummaryOptions::default(),
                colour: false,
            };
            let write = |batches: &[&[Finding]]| {
                let mut c = Collected::new(format, timeline);
                for b in batches {
                    c.add(b).expect("a batch becomes columns");
                }
                let mut out = Vec::new();
                c.write(&opts, &mut out).expect("the report is written");
                String::from_utf8(out).expect("text formats")
            };
            let whole = write(&[&all]);
            assert!(whole.contains("e00") || whole.contains("u1"), "{whole}");
            let cut = write(&[&all[..10], &all[10..11], &all[11..40], &all[40..]]);
            assert_eq!(cut, whole, "{format:?}, timeline {timeline}");
        }
    }
}
