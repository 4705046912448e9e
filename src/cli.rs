//! What the user typed: the clap definition of every subcommand. Each subcommand's own
//! arguments live beside its code in `cmd/<name>.rs`; this file only lists them (and dispatches
//! to them), so the help text is written once, next to what it documents.

use crate::cmd;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

const AFTER_HELP: &str = "\
Exit status:
  0   every input was read (denials found or not)
  1   the command could not run (bad snapshot folder, unreachable bucket, ...)
  2   the run finished, but some input was skipped (truncated gzip, malformed JSON,
      unreadable path, ...): each is named on stderr and counted in the summary;
      pass --allow-skipped to exit 0 anyway
  64  the command line is wrong

Examples:
  denytrail analyze                                  # the bundled sample-logs/
  denytrail analyze ~/trail --snapshot ~/snap --since 7d
  denytrail analyze s3://my-trail-bucket/AWSLogs/ --since 2026-11-01 --format jsonl
  denytrail analyze ~/trail --snapshot ~/snap --since 14d --format parquet -o week.parquet
  denytrail report week.parquet --compare-previous -o week.html
  denytrail explain 3b1f...-event-id ~/trail --snapshot ~/snap
  denytrail simulate --snapshot ~/snap --principal arn:aws:iam::111122223333:user/alice \\
      --action s3:GetObject --resource arn:aws:s3:::bucket/key";

/// Why did S3 say AccessDenied? denytrail reads CloudTrail logs (local folders, gzip or not,
/// or an S3 log bucket), keeps the S3 403 events, and names the root cause of each from a
/// snapshot of the policies in force: missing allow, explicit deny (which statement), SCP, RCP,
/// VPC endpoint, permissions boundary, session policy, KMS, object ownership, Block Public
/// Access, Requester Pays, blocked encryption type (SSE-C), Object Lock.
#[derive(Debug, Parser)]
#[command(name = "denytrail", version, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan CloudTrail logs for S3 403s and diagnose each one.
    Analyze(cmd::analyze::Args),
    /// Explain one denied event: the rebuilt request, every policy layer with its statements,
    /// the S3 rules, the verdict and the fix (text, or --format json).
    Explain(cmd::explain::Args),
    /// Report from saved findings (jsonl, csv, parquet) without reading the logs again.
    Report(cmd::report::Args),
    /// Decide one request offline against a snapshot and print the full policy trace.
    Simulate(cmd::simulate::Args),
    /// Collect the policies in force from AWS into a snapshot folder (SNAPSHOT.md layout).
    Snapshot(cmd::snapshot::Args),
}

/// Parses the command line. `Err` carries the exit status when there is nothing to run:
/// 0 for `--help`/`--version`, 64 for a usage error (clap has printed the message).
pub fn parse() -> Result<Cli, ExitCode> {
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) => {
            let code = if e.use_stderr() { cmd::EXIT_USAGE } else { 0 };
            let _ = e.print();
            Err(ExitCode::from(code))
        }
    }
}

/// Runs the subcommand the user chose.
pub fn run(cli: Cli) -> anyhow::Result<cmd::Outcome> {
    match cli.command {
        Command::Analyze(args) => cmd::analyze::run(args),
        Command::Report(args) => cmd::report::run(args),
        Command::Simulate(args) => cmd::simulate::run(args),
        Command::Explain(args) => cmd::explain::run(args),
        Command::Snapshot(args) => cmd::snapshot::run(args),
    }
}
