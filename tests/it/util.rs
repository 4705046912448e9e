//! Helpers shared by the integration tests.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The repository root (where `sample-logs/` lives).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A `denytrail` command for the binary under test, run from the repository root.
pub fn denytrail() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_denytrail"));
    c.current_dir(repo_root());
    c
}

/// Runs a command and returns its output; stdout/stderr as lossy strings for assertions.
pub fn run(mut c: Command) -> (Output, String, String) {
    let out = c.output().expect("the denytrail binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}
