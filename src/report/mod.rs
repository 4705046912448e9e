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
use std::io::Write;

/// How to write a report.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    pub format: Format,
    pub summary: SummaryOptions,
    /// ANSI colour in the table (the caller checks for a terminal and `NO_COLOR`).
    pub colour: bool,
}

/// Builds the report over `findings` and writes it in the chosen format. Row formats
/// (jsonl, csv, parquet) write the findings themselves; the others the aggregated report.
pub fn write_report(findings: &[Finding], opts: &WriteOptions, out: &mut dyn Write) -> Result<()> {
    match opts.format {
        Format::Jsonl => return export::write_jsonl(findings, out),
        Format::Csv => return export::write_csv(findings, out),
        Format::Parquet => return export::write_parquet(findings, out),
        Format::Table | Format::Markdown | Format::Html | Format::Json => {}
    }
    let frame = frame::findings_frame(findings)?;
    let summary = summary::summarize(&frame, &opts.summary)?;
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
    let frame = frame::findings_frame(findings)?;
    let entries = timeline::timeline(&frame, opts.summary.since, opts.summary.until)?;
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
