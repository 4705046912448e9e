//! The only writer to stderr: problems are printed once, with where they happened, and
//! counted (by the scan's stats), so that the summary and the exit status can say that input
//! was skipped. The progress bar lives here too, so that messages are printed through it and
//! lines never tear.

use crate::input::Issue;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The bar messages must go through while it is on screen.
fn active_bar() -> &'static Mutex<Option<ProgressBar>> {
    static BAR: OnceLock<Mutex<Option<ProgressBar>>> = OnceLock::new();
    BAR.get_or_init(|| Mutex::new(None))
}

/// Prints one line on stderr (through the progress bar when one is drawn).
pub fn notice(line: &str) {
    let bar = active_bar().lock().ok().and_then(|b| b.clone());
    match bar {
        Some(bar) if !bar.is_hidden() => bar.println(line),
        _ => {
            // stderr gone: nothing else can be done with the message.
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
    }
}

/// `denytrail: <object>[ record N]: <what>; <what to do>`
pub fn format_issue(issue: &Issue) -> String {
    format!(
        "denytrail: {}: {}; {}",
        issue.origin,
        issue.detail,
        issue.skip.advice()
    )
}

/// Prints one problem with some input.
pub fn issue(issue: &Issue) {
    notice(&format_issue(issue));
}

/// Prints a fatal error (the run could not start or finish) with its chain of causes; a
/// cause whose text the message already holds (an error that prints its source, as
/// thiserror's `{0}` with `#[from]` does) is not repeated.
pub fn fatal(err: &anyhow::Error) {
    let mut msg = format!("denytrail: {err}");
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if msg.contains(&text) {
            continue;
        }
        msg.push_str(": ");
        msg.push_str(&text);
    }
    notice(&msg);
}

/// Progress of a scan: objects and bytes read. Drawn on stderr only when stderr is a
/// terminal, and only once the run has lasted a second (short runs stay quiet). Updated
/// once per object from any thread.
pub struct Progress {
    bar: ProgressBar,
    tty: bool,
    shown: AtomicBool,
    started: Instant,
    bytes: AtomicU64,
}

/// How long a run goes before a bar appears.
const SHOW_AFTER: Duration = Duration::from_secs(1);

impl Progress {
    /// A bar that draws when stderr is a terminal.
    pub fn new() -> Progress {
        Progress::with_tty(std::io::stderr().is_terminal())
    }

    /// A bar that never draws (tests, benches, library users).
    pub fn hidden() -> Progress {
        Progress::with_tty(false)
    }

    fn with_tty(tty: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{wide_bar}] {pos}/{len} objects, {msg}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        if tty {
            if let Ok(mut b) = active_bar().lock() {
                *b = Some(bar.clone());
            }
        }
        Progress {
            bar,
            tty,
            shown: AtomicBool::new(false),
            started: Instant::now(),
            bytes: AtomicU64::new(0),
        }
    }

    /// The number of objects (and their stored bytes, when known) about to be read.
    pub fn set_total(&self, objects: u64, _bytes: u64) {
        self.bar.set_length(objects);
    }

    /// One object done, `bytes` as stored.
    pub fn object_done(&self, bytes: u64) {
        self.bar.inc(1);
        let total = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.bar
            .set_message(format!("{} MB read", total / 1_000_000));
        if self.tty
            && !self.shown.load(Ordering::Relaxed)
            && self.started.elapsed() >= SHOW_AFTER
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// Removes the bar (before the summary is printed).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
        if let Ok(mut b) = active_bar().lock() {
            *b = None;
        }
    }
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}

/// Prints one problem that did not stop the run (`denytrail: <where>: <what>; <what to do>`).
/// The caller counts it; this only writes.
pub fn problem(text: &str) {
    eprintln!("denytrail: {text}");
}
