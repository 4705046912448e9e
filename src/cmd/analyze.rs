//! `denytrail analyze`: sources -> scan -> diagnose -> output. Wiring only: each stage lives
//! in its module. Each concern's flags are a `#[command(flatten)]` group so features add
//! theirs without touching the others.

use super::pipe::PipeWatch;
use super::Outcome;
use crate::diagnose::diagnoser::Diagnoser;
use crate::findings::Finding;
use crate::input::window::{parse_time, End};
use crate::input::TimeWindow;
use crate::messages::{self, Progress};
use crate::report::export::RowWriter;
use crate::report::{Collected, Filter, Format, SummaryOptions};
use crate::scan::spill::{self, SpillSink, Spilled};
use crate::scan::table;
use crate::scan::{Denial, ScanConfig, ScanStats, Sink, Wanted};
use anyhow::{bail, Context};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Mutex;

/// Scan CloudTrail logs for S3 403 events and name the root cause of each.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub snapshot: super::snapshot_arg::SnapshotArgs,
    #[command(flatten)]
    pub filters: super::report::FilterArgs,
    #[command(flatten)]
    pub output: super::report::OutputArgs,
    #[command(flatten)]
    pub live: super::live::LiveArgs,
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

/// Where the scan's kept events go: to the spill (memory, then a temporary file), with a note
/// of the side evidence each will look up, so that only that evidence is loaded.
struct KeptSink {
    spill: SpillSink,
    wanted: Mutex<Wanted>,
}

impl Sink for KeptSink {
    fn accept(&self, denials: Vec<Denial>) -> bool {
        let mut wanted = Wanted::default();
        for d in &denials {
            Diagnoser::note_wanted(&d.event, &mut wanted);
        }
        if let Ok(mut w) = self.wanted.lock() {
            w.merge(wanted);
        }
        self.spill.accept(denials)
    }
}

/// What the second pass leaves to do.
enum Diagnosed {
    /// The rows are out (JSON Lines); `true`: the reader of standard output went away.
    Written(bool),
    /// The report over these findings, written once the scan's and the diagnosis' memory
    /// (evidence, verdict cache, snapshot) is gone.
    Report(Collected),
}

/// The second pass: the kept events come back in listing order, a batch at a time, and are
/// diagnosed. Row formats (jsonl, csv, parquet) go out as they are made, to --output or
/// standard output ([`RowWriter`]); the aggregated reports gather each batch as columns
/// ([`Collected`]).
fn diagnose_kept(
    output: &super::report::OutputArgs,
    format: Format,
    diag: &Diagnoser<'_>,
    (mut first, kept): (Option<Vec<Denial>>, &mut Spilled),
    filter: &Filter,
) -> anyhow::Result<Diagnosed> {
    let mut next_batch = || {
        let denials = match first.take() {
            Some(d) => Some(d),
            None => kept.next_batch(DIAGNOSE_BATCH).context(READ_BACK)?,
        };
        Ok::<_, anyhow::Error>(denials.map(|denials| diagnose_all(diag, denials, filter)))
    };
    if output.timeline || !format.is_rows() {
        let mut collected = Collected::new(output.timeline);
        while let Some(batch) = next_batch()? {
            collected.add(&batch)?;
        }
        return Ok(Diagnosed::Report(collected));
    }
    let mut sink = PipeWatch::new(match &output.output {
        Some(_) => Box::new(output.create_output()?) as Box<dyn Write>,
        None => Box::new(io::BufWriter::new(io::stdout())),
    });
    let written = {
        let mut rows =
            RowWriter::new(format, &mut sink).context("a row format has a row writer")?;
        (|| {
            while let Some(batch) = next_batch()? {
                rows.write(&batch)?;
            }
            rows.finish()?;
            Ok::<_, anyhow::Error>(())
        })()
    };
    match written.and_then(|()| Ok(sink.flush()?)) {
        Ok(()) => Ok(Diagnosed::Written(false)),
        // `denytrail analyze | head`: the reader has what it wanted.
        Err(_) if sink.closed() => Ok(Diagnosed::Written(true)),
        Err(e) => Err(match &output.output {
            Some(path) => e.context(format!("{}: cannot write", path.display())),
            None => e.context("writing to standard output"),
        }),
    }
}

/// Writes the report (with the scan's table first on a terminal). `Ok(true)`: the reader of
/// standard output went away.
fn write_report(
    output: &super::report::OutputArgs,
    format: Format,
    collected: Collected,
    stats: &ScanStats,
    summary: SummaryOptions,
) -> anyhow::Result<bool> {
    crate::memory::release_freed_memory();
    if format == Format::Table
        && output.output.is_none()
        && write_ignoring_closed_pipe(table::render(stats).as_bytes())?
    {
        return Ok(true);
    }
    output.write_collected(collected, summary)?;
    Ok(false)
}

const READ_BACK: &str = "reading back the kept events from the temporary file";

/// Kept events diagnosed (and, for JSON Lines, written) at a time: enough to keep both cores
/// busy, small enough that memory does not grow with the input.
const DIAGNOSE_BATCH: usize = 2048;

/// Diagnoses every kept event: a function transform (one event in, one finding out) run in
/// parallel, after the scan, because the side evidence (the STS record that issued a session's
/// key, a KMS denial, a foreign write) may come later in the logs than the denial it explains.
/// Findings keep the scan's order. Each event is dropped where it was diagnosed: freeing a
/// batch's events (their JSON maps) one after the other took as long as diagnosing them.
fn diagnose_all(diag: &Diagnoser<'_>, denials: Vec<Denial>, filter: &Filter) -> Vec<Finding> {
    use rayon::prelude::*;
    denials
        .into_par_iter()
        .map(|d| diag.diagnose(&d.event, &d.origin))
        .filter(|f| filter.matches(f))
        .collect()
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let asked = window(&args.input)?;
    let filter = args.filters.filter()?;
    let cfg = ScanConfig {
        // --compare-previous needs the period before --since too.
        window: super::report::scan_window(&asked, args.output.compare_previous)?,
        accounts: filter.accounts().to_vec(),
        regions: args.live.aws.region.iter().cloned().collect(),
        evidence_to_disk: true,
        ..ScanConfig::default()
    };
    let roots = if args.live.cloudtrail_api && args.input.paths.is_empty() {
        Vec::new()
    } else {
        roots(&args.input)?
    };
    // A format that cannot be told from --output (or parquet to a terminal) fails now, not
    // after a long scan.
    let format = args.output.checked_format()?;
    let (snapshot, snapshot_problems) = args
        .snapshot
        .load(args.input.paths.is_empty() && !args.live.cloudtrail_api)?;
    let progress = Progress::new();
    let sink = KeptSink {
        spill: SpillSink::new(spill::budget_from_env()),
        wanted: Mutex::new(Wanted::default()),
    };
    let mut out = super::live::scan_inputs(&roots, &args.live, &cfg, &sink, &progress)?;
    progress.finish();
    let wanted = sink.wanted.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut kept = sink.spill.finish();
    // Loading the evidence runs on one core: the first batch of kept events is read back
    // (and parsed, when spilled) on the other meanwhile.
    let (evidence, first) = rayon::join(
        || out.take_evidence(&wanted),
        || kept.next_batch(DIAGNOSE_BATCH),
    );
    let evidence = evidence.context("reading back the side evidence from the temporary file")?;
    let first = first.context(READ_BACK)?;
    drop(wanted);
    let diagnosed = diagnose_kept(
        &args.output,
        format,
        &Diagnoser::new(snapshot.as_ref(), &evidence),
        (first, &mut kept),
        &filter,
    )?;
    drop((kept, evidence, snapshot));
    let summary = SummaryOptions {
        since: asked.since,
        until: asked.until,
        ..SummaryOptions::default()
    };
    let piped_away = match diagnosed {
        Diagnosed::Written(piped_away) => piped_away,
        Diagnosed::Report(collected) => {
            write_report(&args.output, format, collected, &out.stats, summary)?
        }
    };
    if piped_away {
        // `denytrail analyze | head`: the reader has what it wanted.
        return Ok(Outcome::Complete);
    }
    let o = outcome(&out.stats, args.input.allow_skipped);
    if snapshot_problems > 0 && !args.input.allow_skipped {
        messages::notice(&format!(
            "denytrail: {snapshot_problems} snapshot file(s) could not be read (named above); what they describe counted as unknown; exit status 2; pass --allow-skipped to exit 0 anyway"
        ));
        return Ok(Outcome::InputSkipped);
    }
    Ok(o)
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
