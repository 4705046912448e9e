//! One function per subcommand (`cli` lists them and dispatches; nothing here imports `cli`). `anyhow` lives here only, for fatal setup errors; a problem
//! with one input never becomes an `Err` of the run: it is reported through `messages` and
//! counted, and the run goes on.

pub mod analyze;
pub mod aws_args;
pub mod explain;
mod explain_state;
pub mod live;
mod output_file;
mod pipe;
pub mod report;
pub mod shard;
mod shard_parquet;
mod shard_store;
pub mod simulate;
pub mod snapshot;
pub mod snapshot_arg;

use std::process::ExitCode;

/// The command could not run at all.
pub const EXIT_FATAL: u8 = 1;
/// The run finished but some input was skipped (and the user did not pass --allow-skipped).
pub const EXIT_SKIPPED: u8 = 2;
/// The command line is wrong.
pub const EXIT_USAGE: u8 = 64;

/// The command line asked for something that cannot be done (a time that is not one, a
/// cause that does not exist, a flag combination that is refused): exit status 64, as for
/// clap's own usage errors. Found anywhere in an error's chain by [`exit_status`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// A usage error with this message (the message is the whole story: no cause is chained).
pub fn usage(message: impl std::fmt::Display) -> anyhow::Error {
    anyhow::Error::new(UsageError(message.to_string()))
}

/// The exit status of a run that failed: 64 for a usage error, else 1.
pub fn exit_status(err: &anyhow::Error) -> u8 {
    if err.chain().any(|e| e.is::<UsageError>()) {
        EXIT_USAGE
    } else {
        EXIT_FATAL
    }
}

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
