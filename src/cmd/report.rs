//! `denytrail report`: a report from saved findings (jsonl, csv, parquet) without reading the
//! logs again; plus the filter and output flags that `analyze` shares.

use super::output_file::OutputFile;
use super::pipe::PipeWatch;
use super::Outcome;
use crate::findings::Finding;
use crate::input::window::{parse_time, End};
use crate::input::TimeWindow;
use crate::report::export::{read_findings, FileFormat, Loaded};
use crate::report::suppress::Suppressions;
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
    /// Leave out callers whose ARN matches this glob (as `--principal '!GLOB'`; every value
    /// of --principal, --bucket, --action, --cause and --vpc-endpoint may start with `!`).
    #[arg(long, value_name = "ARN_GLOB")]
    pub exclude_principal: Vec<String>,
    /// Leave out this bucket (a glob; as `--bucket '!GLOB'`).
    #[arg(long, value_name = "BUCKET_GLOB")]
    pub exclude_bucket: Vec<String>,
    /// Only findings whose verdict disagrees with AWS's own message (`disagrees_with_aws`:
    /// AWS's errorMessage names a layer the engine did not find failing): the ones to check
    /// first.
    #[arg(long)]
    pub disagrees: bool,
    /// Suppression rules for known noise (a JSON file: {"rules": [{"id", "reason", and any
    /// of "principal", "bucket", "action", "cause", "source_ip", "account", "vpc_endpoint",
    /// "expires"}]}): what they select is left out of the findings and counted in the report.
    /// Default: ./denytrail-suppressions.json when there is one.
    #[arg(long, value_name = "FILE")]
    pub suppress: Option<PathBuf>,
}

impl FilterArgs {
    /// The compiled filter; a value that is not one (a cause, a CIDR, a glob) is a usage
    /// error.
    pub fn filter(&self) -> anyhow::Result<Filter> {
        let filter = Filter::new(&FilterSpec {
            accounts: self.account.clone(),
            principals: self.principal.clone(),
            buckets: self.bucket.clone(),
            actions: self.action.clone(),
            causes: self.cause.clone(),
            source_ips: self.source_ip.clone(),
            vpc_endpoints: self.vpc_endpoint.clone(),
            exclude_principals: self.exclude_principal.clone(),
            exclude_buckets: self.exclude_bucket.clone(),
            disagrees: self.disagrees,
        })
        .map_err(super::usage)?;
        let rules = Suppressions::load(self.suppress.as_deref(), chrono::Utc::now().date_naive())
            .map_err(super::usage)?;
        for (id, date) in &rules.expired {
            crate::messages::notice(&format!(
                "denytrail: suppression rule `{id}` expired on {date}: not applied (renew or remove it)"
            ));
        }
        Ok(filter.with_suppressions(rules))
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
            Some(path) => Format::from_path(path).ok_or_else(|| {
                super::usage(format!(
                    "{}: cannot tell the format from the extension; pass --format",
                    path.display()
                ))
            }),
        }
    }

    /// [`OutputArgs::resolved_format`], checked against the other flags before anything is
    /// read or opened (so a refused combination costs no scan and touches no file): a
    /// binary format to a terminal, a `--timeline` in a format it is not written in.
    pub fn checked_format(&self) -> anyhow::Result<Format> {
        let format = self.resolved_format()?;
        if format.is_binary() && self.output.is_none() && std::io::stdout().is_terminal() {
            return Err(super::usage(
                "parquet is binary and standard output is a terminal; pass --output FILE",
            ));
        }
        if self.timeline && !report::timeline_format(format) {
            return Err(super::usage(report::ReportError::TimelineFormat(format)));
        }
        Ok(format)
    }

    /// The line that ends a run writing `--output`: what was written, how many findings,
    /// and what the findings came from (`from`: the scan's summary, the files read).
    pub fn announce(&self, format: Format, findings: u64, from: &str) {
        let Some(path) = &self.output else {
            return;
        };
        let what = if self.timeline {
            "timeline"
        } else if format.is_rows() {
            "rows"
        } else {
            "report"
        };
        let name = clap::ValueEnum::to_possible_value(&format)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default();
        crate::messages::notice(&format!(
            "denytrail: wrote {} ({name} {what}, {}); {from}",
            path.display(),
            plural(findings, "finding")
        ));
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
                // Beside the old file until it is whole (see `OutputFile`).
                let mut w = self.create_output()?;
                body(&opts, &mut w).with_context(|| format!("{}", path.display()))?;
                w.commit()
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

    /// The `--output` file, staged beside the old one: [`OutputFile::commit`] replaces it,
    /// anything else leaves it as it was.
    pub fn create_output(&self) -> anyhow::Result<OutputFile> {
        let path = self.output.as_ref().context("no --output file was given")?;
        OutputFile::create(path)
    }
}

/// `1 finding`, `2 findings`.
pub fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Reads `--since`/`--until` as typed; a value that is not a time, or a `--since` after the
/// `--until`, is a usage error.
pub fn parse_window(since: Option<&str>, until: Option<&str>) -> anyhow::Result<TimeWindow> {
    let now = chrono::Utc::now();
    let read = |flag: &str, v: Option<&str>, end: End| {
        v.map(|s| parse_time(s, end, now))
            .transpose()
            .map_err(|e| super::usage(format!("{flag}: {e}")))
    };
    let since = read("--since", since, End::Since)?;
    let until = read("--until", until, End::Until)?;
    TimeWindow::new(since, until).map_err(super::usage)
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
    // Every flag is checked before a file is read or written.
    let window = parse_window(args.since.as_deref(), args.until.as_deref())?;
    let out_format = args.output.checked_format()?;
    let mut loaded = Loaded::default();
    for path in &args.inputs {
        read_findings(path, format, &mut loaded)?;
    }
    for p in &loaded.problems {
        eprintln!("denytrail: {p}");
    }
    let read = loaded.findings.len();
    let (unique, duplicates) = dedup_by_event_id(loaded.findings);
    if duplicates > 0 {
        crate::messages::notice(&format!(
            "denytrail: {} dropped: the same event_id read twice (overlapping files); each event counts once",
            plural(duplicates, "duplicate row")
        ));
    }
    if let Some(since) = window.since {
        let newest = unique
            .iter()
            .filter_map(|f| f.event_time.as_deref())
            .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .max();
        if let Some(newest) = newest.filter(|n| *n < since) {
            crate::messages::notice(&format!(
                "denytrail: --since {} is after the newest finding read ({}): the report's period holds none of them",
                since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                newest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
        }
    }
    let findings: Vec<_> = unique.into_iter().filter(|f| filter.matches(f)).collect();
    for hint in filter.hints() {
        crate::messages::notice(&format!("denytrail: {hint}"));
    }
    say_suppressed(&filter);
    let summary = SummaryOptions {
        since: window.since,
        until: window.until,
        suppressed: filter.suppressed(),
        ..SummaryOptions::default()
    };
    args.output.write(&findings, summary)?;
    args.output.announce(
        out_format,
        findings.len() as u64,
        &format!(
            "read {} from {}{}",
            plural(read as u64, "row"),
            plural(args.inputs.len() as u64, "file"),
            if duplicates > 0 {
                format!(", {} dropped", plural(duplicates, "duplicate"))
            } else {
                String::new()
            }
        ),
    );
    Ok(if loaded.problems.is_empty() {
        Outcome::Complete
    } else {
        Outcome::InputSkipped
    })
}

/// One line on stderr per suppression rule: how many findings it kept out (whatever the
/// format: row formats carry no summary).
pub fn say_suppressed(filter: &Filter) {
    for s in filter.suppressed() {
        crate::messages::notice(&format!(
            "denytrail: suppressed: {} by rule `{}` ({})",
            plural(s.count, "denial"),
            s.rule,
            s.reason
        ));
    }
}

/// The findings with each `event_id` once (the first row read wins), and how many rows were
/// dropped: two saved files that overlap (two runs over the same days, an organization trail
/// and an account trail both analysed) must not count an event twice. CloudTrail: "eventID:
/// GUID generated by CloudTrail to uniquely identify each event"
/// (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>).
pub fn dedup_by_event_id(findings: Vec<Finding>) -> (Vec<Finding>, u64) {
    let mut seen = std::collections::HashSet::with_capacity(findings.len());
    let before = findings.len();
    let kept: Vec<Finding> = findings
        .into_iter()
        .filter(|f| {
            f.event_id.is_empty()
                || seen.insert(delivery_key([
                    Some(f.event_id.as_str()),
                    f.event_time.as_deref(),
                    f.event_name.as_deref(),
                    f.bucket.as_deref(),
                    f.key.as_deref(),
                    f.source_ip.as_deref(),
                ]))
        })
        .collect();
    let dropped = (before - kept.len()) as u64;
    (kept, dropped)
}

/// What makes two rows the same delivered event: its `eventID` with the fields a second
/// delivery repeats (time, name, bucket, key, source IP). The id alone is not enough:
/// hand-written and vendor records reuse ids (the real corpus has one id on six different
/// denials), and each of those is an event of its own.
pub(crate) fn delivery_key(parts: [Option<&str>; 6]) -> String {
    let mut k = String::new();
    for p in parts {
        k.push_str(p.unwrap_or(""));
        k.push('\u{1f}');
    }
    k
}
