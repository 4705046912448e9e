//! `denytrail explain`: one denied event, fully traced — the rebuilt request (principal,
//! action, resource, context keys and which were absent or unknown), every policy layer with
//! the statements that matched and the conditions that failed, the S3 rules, the verdict and
//! the fix. Text for a ticket, or JSON.

use super::snapshot_arg::SnapshotArgs;
use super::Outcome;
use crate::diagnose::diagnoser::Diagnoser;
use crate::diagnose::timed::Timed;
use crate::diagnose::trace;
use crate::input::Origin;
use crate::messages::Progress;
use crate::record::Event;
use crate::scan::{self, Denial, Evidence, ScanConfig, ScanStats, Sink, Wanted};
use crate::source::LocalSource;
use anyhow::{bail, Context};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Explain one denied event.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  denytrail explain 3b1f0c2e-...-event-id                   # in the bundled sample-logs/
  denytrail explain 3b1f0c2e-... ~/trail --snapshot ~/snap
  jq '.Records[3]' file.json | denytrail explain - ~/trail --snapshot ~/snap --format json")]
pub struct Args {
    /// The CloudTrail eventID to explain, or `-` to read one event (a record, or a
    /// `{\"Records\": [one]}` document) from stdin.
    #[arg(value_name = "EVENT_ID")]
    pub event: String,
    /// Logs to search for the event, and for the side records the diagnosis joins (the STS
    /// record that issued a session's key, KMS denials, cross-account writes); default:
    /// sample-logs/ when the event is looked up by id.
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
    /// text: readable trace; json: the same as one JSON document.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
    /// Exit 0 even when some input was skipped or a snapshot file could not be read (it is
    /// still reported on stderr), as `analyze --allow-skipped`.
    #[arg(long)]
    pub allow_skipped: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

/// Reads one event from stdin.
fn event_from_stdin() -> anyhow::Result<Event> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("stdin: cannot read the event")?;
    let v: serde_json::Value =
        serde_json::from_str(&text).context("stdin: not JSON; pipe one CloudTrail record")?;
    let record = match v.get("Records").and_then(|r| r.as_array()) {
        Some(list) if list.len() == 1 => list[0].clone(),
        Some(list) => bail!(
            "stdin: {} records; pipe exactly one (e.g. jq '.Records[N]')",
            list.len()
        ),
        None => v,
    };
    serde_json::from_value(record).context("stdin: not a CloudTrail record")
}

/// Keeps the kept events with one `eventID`.
struct FindSink {
    id: String,
    found: Mutex<Vec<Denial>>,
}

impl Sink for FindSink {
    fn accept(&self, denials: Vec<Denial>) -> bool {
        let mine = denials.into_iter().filter(|d| d.event.id() == self.id);
        if let Ok(mut found) = self.found.lock() {
            found.extend(mine);
        }
        true
    }
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let from_stdin = args.event == "-";
    let use_sample = args.paths.is_empty();
    let roots = if use_sample && !from_stdin {
        vec![PathBuf::from("sample-logs")]
    } else {
        args.paths.clone()
    };
    let (snapshots, snapshot_problems) = args.snapshot.load_all(use_sample)?;

    // The scan keeps only the asked-for event and writes the side evidence to disk, loading
    // back what that one event names: memory stays flat however large the folder.
    let sink = FindSink {
        id: args.event.clone(),
        found: Mutex::new(Vec::new()),
    };
    let scanned = if roots.is_empty() {
        None
    } else {
        let source = LocalSource::new(roots.clone());
        let cfg = ScanConfig {
            evidence_to_disk: true,
            ..ScanConfig::default()
        };
        Some(scan::scan_source(
            &source,
            &cfg,
            &sink,
            &Progress::hidden(),
        )?)
    };
    let (event, origin) = if from_stdin {
        let e = event_from_stdin()?;
        (
            e,
            Origin {
                object: Arc::from("stdin"),
                record_index: None,
            },
        )
    } else {
        let found = sink.found.into_inner().unwrap_or_else(|e| e.into_inner());
        // The same id twice (a file given twice, a copied log): the first in listing order.
        let Some(d) = found
            .into_iter()
            .min_by(|a, b| a.origin.object.cmp(&b.origin.object))
        else {
            bail!(
                "event `{}` is not among the S3 403 events of {}; check the id, or pipe the record: ... | denytrail explain - [PATH...]",
                args.event,
                roots.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            );
        };
        (d.event, d.origin)
    };
    let (mut evidence, stats) = match scanned {
        Some(mut out) => {
            let mut wanted = Wanted::default();
            Diagnoser::note_wanted(&event, &mut wanted);
            let evidence = out
                .take_evidence(&wanted)
                .context("reading back the side evidence from the temporary file")?;
            (evidence, out.stats)
        }
        None => (Evidence::default(), ScanStats::default()),
    };

    let timeline = super::snapshot_arg::timeline(snapshots, std::mem::take(&mut evidence.changes));
    let diag = Timed::new(timeline.as_ref(), &evidence);
    let (finding, analyses, key, started) = diag.diagnose_with(&event, &origin);
    let state = timeline
        .as_ref()
        .filter(|tl| tl.replays())
        .map(|tl| super::explain_state::state(tl, key, started, &event));
    let text = match args.format {
        // Keys, user agents and ARNs come from whoever sent the request: no control character
        // reaches the terminal (JSON escapes them itself).
        ExplainFormat::Text => {
            let mut s = trace::render_text(&event, &analyses, &finding);
            if let Some(st) = &state {
                s.push_str(&super::explain_state::render_text(st));
            }
            crate::inert::terminal_lines(&s).into_owned()
        }
        ExplainFormat::Json => {
            let mut v = serde_json::to_value(trace::explanation(&event, &analyses, &finding))
                .context("serializing the explanation")?;
            if let (Some(st), Some(obj)) = (&state, v.as_object_mut()) {
                obj.insert("state".into(), st.clone());
            }
            let mut s = serde_json::to_string_pretty(&v).context("serializing the explanation")?;
            s.push('\n');
            s
        }
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(e).context("writing to stdout"),
    }
    // Lost input may have held the side records this verdict joins: the exit status says so,
    // as analyze's does.
    Ok(super::analyze::exit_outcome(
        &stats,
        snapshot_problems,
        args.allow_skipped,
    ))
}
