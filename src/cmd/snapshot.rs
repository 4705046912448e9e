//! `denytrail snapshot`: collect the policies in force from live AWS into a snapshot folder
//! (`SNAPSHOT.md` layout) that `analyze --snapshot` reads.

use super::aws_args::AwsArgs;
use super::Outcome;
use crate::collect::{self, Event, Options};
use crate::messages;
use anyhow::Context;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;

/// Collect IAM, S3 bucket settings, KMS key policies, VPC endpoint policies and the
/// organization's SCPs/RCPs from AWS into a snapshot folder. A call AWS refuses writes nothing
/// for its piece (it stays unknown) and is named on stderr; the exit status is then 2.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder to write; must not exist or be empty.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Accounts to collect, comma-separated (default: the caller's account; with
    /// --assume-role, every active account of the organization).
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    pub accounts: Vec<String>,
    /// Role to assume in each account (arn:aws:iam::<account>:role/NAME).
    #[arg(long, value_name = "NAME")]
    pub assume_role: Option<String>,
    /// Buckets and keys read at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub concurrency: usize,
    /// Also read the ACLs of the objects the denials name (get-object-acl), from findings
    /// (`analyze --format json|jsonl`) or CloudTrail logs: files or folders, repeatable.
    #[arg(long, value_name = "FINDINGS_OR_LOGS")]
    pub object_acls: Vec<PathBuf>,
    /// At most this many object ACLs are read (the rest is reported, not read).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub object_acls_max: usize,
}

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut object_acls = collect::object_acl_targets(&args.object_acls)
        .map_err(|e| anyhow::anyhow!("--object-acls: {e}"))?;
    if object_acls.len() > args.object_acls_max {
        messages::problem(&format!(
            "--object-acls: the denials name {} objects; only the first {} (by bucket and key) are read (--object-acls-max)",
            object_acls.len(),
            args.object_acls_max
        ));
        object_acls.truncate(args.object_acls_max);
    }
    let opts = Options {
        out: args.out.clone(),
        accounts: args.accounts.clone(),
        assume_role: args.assume_role.clone(),
        concurrency: args.concurrency,
        object_acls,
    };
    let progress = Progress::new();
    let summary = rt.block_on(async {
        let conf = crate::aws::sdk_config(&args.aws.target()).await;
        collect::collect(&conf, &opts, move |e| progress.on(e)).await
    })?;
    println!(
        "snapshot: {} files for {} account(s) written to {}; {} piece(s) skipped",
        summary.files_written,
        summary.accounts.len(),
        args.out.display(),
        summary.skipped.len()
    );
    Ok(if summary.skipped.is_empty() {
        Outcome::Complete
    } else {
        Outcome::InputSkipped
    })
}

/// One bar per account, drawn only on a terminal; messages go through the bars so lines
/// don't tear.
struct Progress {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Progress {
    fn new() -> Progress {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Progress {
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn with_bar(&self, scope: &str, f: impl FnOnce(&ProgressBar)) {
        let Ok(mut bars) = self.bars.lock() else {
            return;
        };
        let bar = bars.entry(scope.to_owned()).or_insert_with(|| {
            let b = self.multi.add(ProgressBar::new(0));
            b.set_style(
                ProgressStyle::with_template("{prefix:>22} [{bar:30}] {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b.set_prefix(scope.to_owned());
            b
        });
        f(bar);
    }

    fn on(&self, e: Event) {
        match e {
            Event::AccountStarted { scope } => self.with_bar(&scope, |_| {}),
            Event::PiecesFound { scope, count } => self.with_bar(&scope, |b| b.inc_length(count)),
            Event::PieceDone { scope } => self.with_bar(&scope, |b| b.inc(1)),
            Event::AccountDone { scope } => {
                self.with_bar(&scope, |b| b.finish_with_message("done"))
            }
            Event::Skipped(s) => self.multi.suspend(|| messages::problem(&s.to_string())),
            Event::Note { scope, text } => self
                .multi
                .suspend(|| messages::problem(&format!("{scope}: {text}"))),
        }
    }
}
