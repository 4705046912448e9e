//! `denytrail analyze`: sources -> scan -> diagnose -> output. Wiring only: each stage lives
//! in its module. Each concern's flags are a `#[command(flatten)]` group so features add
//! theirs without touching the others.

use super::Outcome;
use crate::diagnose;
use crate::findings::Finding;
use crate::messages::{self, Progress};
use crate::report::{Filter, Format, SummaryOptions};
use crate::scan::table;
use crate::scan::window::{parse_time, End};
use crate::scan::{self, Denial, ScanConfig, ScanStats, Sink, TimeWindow};
use crate::source::LocalSource;
use anyhow::{bail, Context};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Scan CloudTrail logs for S3 403 events and name the root cause of each.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub filters: super::report::FilterArgs,
    #[command(flatten)]
    pub output: super::report::OutputArgs,
}

/// What to read.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Input")]
pub struct InputArgs {
    /// Files or folders (walked recursively) of CloudTrail logs, gzip or plain, in any shape
    /// CloudTrail data comes in; default: sample-logs/ in the current folder.
    pub paths: Vec<PathBuf>,
    /// Keep events at or after this time: RFC 3339, a date (2026-11-16) or an age (7d, 12h).
    /// Files are pruned by the date in their key path before they are opened.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Keep events at or before this time (a date includes that whole day).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Exit 0 even when some input was skipped (it is still reported on stderr).
    #[arg(long)]
    pub allow_skipped: bool,
}

/// The folder read when no PATH is given.
const DEFAULT_PATH: &str = "sample-logs";

/// The one diagnosis call per kept event.
fn finding(d: &Denial) -> Finding {
    diagnose::finding_from_record(&d.event, &d.origin)
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let asked = window(&args.input)?;
    let filter = args.filters.filter()?;
    let cfg = ScanConfig {
        // --compare-previous needs the period before --since too.
        window: super::report::scan_window(&asked, args.output.compare_previous)?,
        accounts: filter.accounts().to_vec(),
        ..ScanConfig::default()
    };
    let source = LocalSource::new(roots(&args.input)?);
    let format = args.output.resolved_format()?;
    let progress = Progress::new();
    let streaming = format == Format::Jsonl
        && args.output.output.is_none()
        && !args.output.timeline
        && !args.output.compare_previous;
    let (stats, piped_away) = if streaming {
        // Findings stream out as objects complete: memory stays flat whatever the input.
        let sink = JsonlSink::new(filter);
        let out = scan::scan_source(&source, &cfg, &sink, &progress);
        progress.finish();
        (out.stats, sink.finish())
    } else {
        // Reports fold over every finding.
        let sink = CollectSink::new(filter);
        let out = scan::scan_source(&source, &cfg, &sink, &progress);
        progress.finish();
        let findings = sink.0.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut gone = false;
        if format == Format::Table && args.output.output.is_none() {
            gone = write_ignoring_closed_pipe(table::render(&out.stats).as_bytes())?;
        }
        if !gone {
            let summary = SummaryOptions {
                since: asked.since,
                until: asked.until,
                ..SummaryOptions::default()
            };
            args.output.write(&findings, summary)?;
        }
        (out.stats, gone)
    };
    if piped_away {
        // `denytrail analyze | head`: the reader has what it wanted.
        return Ok(Outcome::Complete);
    }
    Ok(outcome(&stats, args.input.allow_skipped))
}

fn window(a: &InputArgs) -> anyhow::Result<TimeWindow> {
    let now = chrono::Utc::now();
    let since = a
        .since
        .as_deref()
        .map(|s| parse_time(s, End::Since, now))
        .transpose();
    let until = a
        .until
        .as_deref()
        .map(|s| parse_time(s, End::Until, now))
        .transpose();
    Ok(TimeWindow::new(
        since.context("--since")?,
        until.context("--until")?,
    )?)
}

fn roots(a: &InputArgs) -> anyhow::Result<Vec<PathBuf>> {
    if !a.paths.is_empty() {
        return Ok(a.paths.clone());
    }
    let default = PathBuf::from(DEFAULT_PATH);
    if !default.is_dir() {
        bail!(
            "no PATH given and there is no {DEFAULT_PATH}/ folder here; pass the files or \
             folders of CloudTrail logs to read, e.g. `denytrail analyze ~/trail-logs`"
        );
    }
    Ok(vec![default])
}

/// Exit status 2 when input was lost, unless the user said that is fine. A one-line account
/// goes to stderr either way, after the per-problem lines.
fn outcome(stats: &ScanStats, allow_skipped: bool) -> Outcome {
    let lost: Vec<String> = stats
        .objects_skipped
        .iter()
        .map(|(k, n)| (k, n, "objects"))
        .chain(stats.records_skipped.iter().map(|(k, n)| (k, n, "records")))
        .filter(|(k, _, _)| !k.is_intentional())
        .map(|(k, n, unit)| format!("{k} {n} {unit}"))
        .collect();
    if lost.is_empty() {
        return Outcome::Complete;
    }
    let status = if allow_skipped {
        "--allow-skipped given, exit status 0"
    } else {
        "exit status 2; pass --allow-skipped to exit 0 anyway"
    };
    messages::notice(&format!(
        "denytrail: some input was skipped ({}); {status}",
        lost.join(", ")
    ));
    if allow_skipped {
        Outcome::Complete
    } else {
        Outcome::InputSkipped
    }
}

/// Writes to stdout; `Ok(true)` when the reader has gone away (not an error).
fn write_ignoring_closed_pipe(bytes: &[u8]) -> anyhow::Result<bool> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(false),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(true),
        Err(e) => Err(e).context("writing to stdout"),
    }
}

/// Prints one finding per line as objects complete.
struct JsonlSink {
    filter: Filter,
    out: Mutex<BufWriter<io::Stdout>>,
    closed: AtomicBool,
}

impl JsonlSink {
    fn new(filter: Filter) -> Self {
        JsonlSink {
            filter,
            out: Mutex::new(BufWriter::with_capacity(1 << 16, io::stdout())),
            closed: AtomicBool::new(false),
        }
    }

    /// Flushes; true when the reader went away.
    fn finish(self) -> bool {
        let closed = self.closed.load(Ordering::Relaxed);
        let mut out = self.out.into_inner().unwrap_or_else(|e| e.into_inner());
        closed || out.flush().is_err()
    }
}

impl Sink for JsonlSink {
    fn accept(&self, denials: Vec<Denial>) -> bool {
        let mut lines = Vec::with_capacity(denials.len() * 1024);
        for d in &denials {
            let f = finding(d);
            // A Finding is plain data: serializing it cannot fail.
            if self.filter.matches(&f) && serde_json::to_writer(&mut lines, &f).is_ok() {
                lines.push(b'\n');
            }
        }
        let Ok(mut out) = self.out.lock() else {
            return false;
        };
        if out.write_all(&lines).is_err() {
            self.closed.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }
}

/// Keeps the findings a report folds over.
struct CollectSink(Mutex<Vec<Finding>>, Filter);

impl CollectSink {
    fn new(filter: Filter) -> Self {
        CollectSink(Mutex::new(Vec::new()), filter)
    }
}

impl Sink for CollectSink {
    fn accept(&self, denials: Vec<Denial>) -> bool {
        let mut local: Vec<Finding> = denials
            .iter()
            .map(finding)
            .filter(|f| self.1.matches(f))
            .collect();
        if let Ok(mut all) = self.0.lock() {
            all.append(&mut local);
        }
        true
    }
}
