//! `--snapshot DIR`, shared by the commands that diagnose (`analyze`, `explain`): a flattened
//! argument group, so each command gets the same flag, help and loading behaviour.

use crate::messages;
use crate::snapshot::Snapshot;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// The snapshot folder used with the bundled `sample-logs/` when no PATH is given.
pub const SAMPLE_SNAPSHOT: &str = "sample-logs/snapshot";

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Policy snapshot")]
pub struct SnapshotArgs {
    /// Folder of the policies in force (SNAPSHOT.md layout: one AWS CLI output per file).
    /// Without it every finding is `unknown` (insufficient_snapshot), except the non-permission
    /// error codes. Default with no PATH: sample-logs/snapshot/.
    #[arg(long, value_name = "DIR")]
    pub snapshot: Option<PathBuf>,
}

impl SnapshotArgs {
    /// The folder to load: the flag, else the sample's when the command reads the bundled
    /// sample (`use_sample`).
    pub fn dir(&self, use_sample: bool) -> Option<PathBuf> {
        self.snapshot.clone().or_else(|| {
            let p = PathBuf::from(SAMPLE_SNAPSHOT);
            (use_sample && p.join("snapshot.json").is_file()).then_some(p)
        })
    }

    /// Loads the snapshot; each malformed file is reported (named) and the rest loads, and
    /// their number is returned (input lost: exit status 2 unless --allow-skipped). `Err` only
    /// when the folder itself cannot be read.
    pub fn load(&self, use_sample: bool) -> anyhow::Result<(Option<Snapshot>, usize)> {
        let Some(dir) = self.dir(use_sample) else {
            return Ok((None, 0));
        };
        load(&dir).map(|(s, n)| (Some(s), n))
    }
}

pub fn load(dir: &Path) -> anyhow::Result<(Snapshot, usize)> {
    let (snapshot, problems) = Snapshot::load(dir).with_context(|| {
        format!(
            "--snapshot {}: pass a folder in the SNAPSHOT.md layout",
            dir.display()
        )
    })?;
    for p in &problems {
        messages::notice(&p.to_string());
    }
    Ok((snapshot, problems.len()))
}
