//! `denytrail analyze`: sources -> scan -> diagnose -> report.

use super::Outcome;
use std::path::PathBuf;

/// Scan CloudTrail logs for S3 403 events and name the root cause of each.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or folders (walked recursively) of CloudTrail logs; default: sample-logs/.
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub filters: super::report::FilterArgs,
    #[command(flatten)]
    pub output: super::report::OutputArgs,
}

pub fn run(_args: Args) -> anyhow::Result<Outcome> {
    anyhow::bail!("analyze is not built yet")
}
