//! `denytrail report`: a report from saved findings (jsonl, csv, parquet) without reading the
//! logs again; plus the filter and output flags that `analyze` shares.

use super::pipe::PipeWatch;
use super::Outcome;
use crate::input::window::{parse_time, End};
use crate::input::TimeWindow;
use crate::report::export::{read_findings, FileFormat, Loaded};
use crate::report::{self, Filter, FilterSpec, Format, SummaryOptions, WriteOptions};
use anyhow::Context;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Which findings a report is about. Repeat a flag for alternatives; different flags must
/// all match.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// Only events whose caller or bucket owner is this account. On a log tree, folders
    /// `AWSLogs/<other account>/` are not read at all: an event about ACCOUNT that was
    /// delivered only to another account's trail is not seen.
    #[arg(long, value_name = "ACCOUNT", value_delimiter = ',')]
    pub account: Vec<String>,
    /// Only callers whose ARN matches this glob, e.g.
    /// `arn:aws:sts::*:assumed-role/Deployer/*` (`*` also spans `/` and `:`).
    #[arg(long, value_name = "ARN_GLOB")]
    pub principal: Vec<String>,
    /// Only this bucket (a glob: `prod-*`).
    #[arg(long, value_name = "BUCKET_GLOB")]
    pub bucket: Vec<String>,
    /// Only this IAM action (a case-insensitive glob: `s3:Get*`).
    #[arg(long, value_name = "ACTION_GLOB")]
    pub action: Vec<String>,
    /// Only this root cause (`scp`, `missing_allow`, ... as in FINDINGS.md).
    #[arg(long, value_name = "CAUSE", value_delimiter = ',')]
    pub cause: Vec<String>,
    /// Only calls from this address or CIDR block (`10.0.0.0/8`, `2001:db8::/32`).
    #[arg(long, value_name = "CIDR")]
    pub source_ip: Vec<String>,
    /// Only calls through this VPC endpoint (`vpce-...`).
    #[arg(long, value_name = "VPCE_ID")]
    pub vpc_endpoint: Vec<String>,
}

impl FilterArgs {
    pub fn filter(&self) -> anyhow::Result<Filter> {
        Ok(Filter::new(&FilterSpec {
            accounts: self.account.clone(),
            principals: self.principal.clone(),
            buckets: self.bucket.clone(),
            actions: self.action.clone(),
            causes: self.cause.clone(),
            source_ips: self.source_ip.clone(),
            vpc_endpoints: self.vpc_endpoint.clone(),
        })?)
    }
}

/// How a report is written.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Output format [default: from the --output extension, else table].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Rows per table in the report.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Compare with the period of the same length just before (new principals, new causes,
    /// growth). Without --since, the period is the last 7 days of the data.
    #[arg(long)]
    pub compare_previous: bool,
    /// Instead of the report, list the selected events in time order with their causes;
    /// `*` marks the first denial of each principal on each resource (table, json, jsonl).
    #[arg(long)]
    pub timeline: bool,
}

impl OutputArgs {
    /// The format asked for, else implied by the output file, else the table.
    pub fn resolved_format(&self) -> anyhow::Result<Format> {
        if let Some(f) = self.format {
            return Ok(f);
        }
        match &self.output {
            None => Ok(Format::Table),
            Some(path) => Format::from_path(path).with_context(|| {
                format!(
                    "{}: cannot tell the format from the extension; pass --format",
                    path.display()
                )
            }),
        }
    }

    /// [`OutputArgs::resolved_format`], refused when it is binary and would go to a
    /// terminal: what `analyze` checks before a long scan.
    pub fn checked_format(&self) -> anyhow::Result<Format> {
        let format = self.resolved_format()?;
        if format.is_binary() && self.output.is_none() && std::io::stdout().is_terminal() {
            anyhow::bail!(
                "parquet is binary and standard output is a terminal; pass --output FILE"
            );
        }
        Ok(format)
    }

    fn write_to(
        &self,
        findings: &[crate::findings::Finding],
        opts: &WriteOptions,
        out: &mut dyn Write,
    ) -> report::Result<()> {
        if self.timeline {
            report::write_timeline(findings, opts, out)
        } else {
            report::write_report(findings, opts, out)
        }
    }

    /// Writes the report over `findings` where the user asked.
    pub fn write(
        &self,
        findings: &[crate::findings::Finding],
        summary: SummaryOptions,
    ) -> anyhow::Result<()> {
        self.emit(summary, |opts, w| self.write_to(findings, opts, w))
    }

    /// Writes the report over findings gathered batch by batch (`analyze`).
    pub fn write_collected(
        &self,
        collected: report::Collected,
        summary: SummaryOptions,
    ) -> anyhow::Result<()> {
        self.emit(summary, |opts, w| collected.write(opts, w))
    }

    /// Opens where the report goes (`--output` or standard output) and runs `body` on it.
    fn emit(
        &self,
        summary: SummaryOptions,
        body: impl FnOnce(&WriteOptions, &mut dyn Write) -> report::Result<()>,
    ) -> anyhow::Result<()> {
        let format = self.checked_format()?;
        let stdout = std::io::stdout();
        let to_terminal = self.output.is_none() && stdout.is_terminal();
        let opts = WriteOptions {
            format,
            summary: SummaryOptions {
                top: self.top,
                compare_previous: self.compare_previous,
                ..summary
            },
            colour: to_terminal && std::env::var_os("NO_COLOR").is_none(),
        };
        match &self.output {
            Some(path) => {
                let mut w = self.create_output()?;
                body(&opts, &mut w)
                    .and_then(|()| w.flush().map_err(report::ReportError::from))
                    .with_context(|| format!("{}", path.display()))
            }
            None => {
                let mut w = PipeWatch::new(std::io::BufWriter::new(stdout.lock()));
                let r =
                    body(&opts, &mut w).and_then(|()| w.flush().map_err(report::ReportError::from));
                match r {
                    // `denytrail report ... | head` is not an error, whichever writer (json,
                    // polars' parquet, ...) met the closed pipe.
                    Err(_) if w.closed() => Ok(()),
                    r => r.map_err(anyhow::Error::from),
                }
            }
        }
    }

    /// The `--output` file, created (or emptied) and buffered.
    pub fn create_output(&self) -> anyhow::Result<std::io::BufWriter<std::fs::File>> {
        let path = self.output.as_ref().context("no --output file was given")?;
        let file = std::fs::File::create(path)
            .with_context(|| format!("{}: cannot create the output file", path.display()))?;
        Ok(std::io::BufWriter::new(file))
    }
}

/// The window a scan must read for a report over `asked`: with `--compare-previous` and a
/// `--since`, the period of the same length before it too (until now when `--until` is open).
pub fn scan_window(asked: &TimeWindow, compare_previous: bool) -> anyhow::Result<TimeWindow> {
    match (compare_previous, asked.since) {
        (true, Some(since)) => {
            let until = asked.until.unwrap_or_else(chrono::Utc::now);
            let len = until - since;
            Ok(TimeWindow::new(Some(since - len), asked.until)?)
        }
        _ => Ok(*asked),
    }
}

/// A report from saved findings, without reading the logs again.
///
/// Reads what `analyze --format jsonl|csv|parquet` wrote (several files are one set), applies
/// the filters and writes the report: e.g. `denytrail report week.parquet --format html -o
/// week.html`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Saved findings: .jsonl, .csv or .parquet files.
    #[arg(required = true, value_name = "FINDINGS")]
    pub inputs: Vec<PathBuf>,
    /// Format of the inputs [default: from each file's extension].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormat>,
    /// The report period starts here: RFC 3339, a date (2026-11-16) or an age (7d, 12h).
    #[arg(long, value_name = "TIME", help_heading = "Filters")]
    pub since: Option<String>,
    /// The report period ends here (a date includes that whole day).
    #[arg(long, value_name = "TIME", help_heading = "Filters")]
    pub until: Option<String>,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum InputFormat {
    Jsonl,
    Csv,
    Parquet,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let filter = args.filters.filter()?;
    let format = args.input_format.map(|f| match f {
        InputFormat::Jsonl => FileFormat::Jsonl,
        InputFormat::Csv => FileFormat::Csv,
        InputFormat::Parquet => FileFormat::Parquet,
    });
    let mut loaded = Loaded::default();
    for path in &args.inputs {
        read_findings(path, format, &mut loaded)?;
    }
    for p in &loaded.problems {
        eprintln!("denytrail: {p}");
    }
    let findings: Vec<_> = loaded
        .findings
        .into_iter()
        .filter(|f| filter.matches(f))
        .collect();
    let now = chrono::Utc::now();
    let since = args
        .since
        .as_deref()
        .map(|s| parse_time(s, End::Since, now))
        .transpose()
        .context("--since")?;
    let until = args
        .until
        .as_deref()
        .map(|s| parse_time(s, End::Until, now))
        .transpose()
        .context("--until")?;
    // Checks since <= until with the scan's own rule.
    let window = TimeWindow::new(since, until)?;
    let summary = SummaryOptions {
        since: window.since,
        until: window.until,
        ..SummaryOptions::default()
    };
    args.output.write(&findings, summary)?;
    Ok(if loaded.problems.is_empty() {
        Outcome::Complete
    } else {
        Outcome::InputSkipped
    })
}
