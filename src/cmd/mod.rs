//! One function per subcommand. `anyhow` lives here only, for fatal setup errors; a problem
//! with one input never becomes an `Err` of the run: it is reported through `messages` and
//! counted, and the run goes on.

pub mod analyze;
pub mod aws_args;
pub mod explain;
pub mod live;
mod pipe;
pub mod report;
pub mod simulate;
pub mod snapshot;
pub mod snapshot_arg;

use crate::cli::{Cli, Command};
use std::process::ExitCode;

/// The command could not run at all.
pub const EXIT_FATAL: u8 = 1;
/// The run finished but some input was skipped (and the user did not pass --allow-skipped).
pub const EXIT_SKIPPED: u8 = 2;
/// The command line is wrong.
pub const EXIT_USAGE: u8 = 64;

/// How a run that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Complete,
    InputSkipped,
}

impl Outcome {
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Complete => ExitCode::SUCCESS,
            Outcome::InputSkipped => ExitCode::from(EXIT_SKIPPED),
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Report(args) => report::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Snapshot(args) => snapshot::run(args),
    }
}
