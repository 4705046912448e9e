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
            messages::notice(NO_SNAPSHOT);
            return Ok((None, 0));
        };
        load(&dir).map(|(s, n)| (Some(s), n))
    }
}

/// Said once when no snapshot is given: what the run cannot do, and the next step.
const NO_SNAPSHOT: &str = "denytrail: no --snapshot given: every denial will be `unknown` (insufficient_snapshot) except the non-permission errors; capture the policies with `denytrail snapshot --out DIR` (or by hand, SNAPSHOT.md layout) and pass --snapshot DIR";

pub fn load(dir: &Path) -> anyhow::Result<(Snapshot, usize)> {
    let (snapshot, problems) = Snapshot::load(dir).with_context(|| {
        format!(
            "--snapshot {}: pass a folder in the SNAPSHOT.md layout",
            dir.display()
        )
    })?;
    if !dir.join("accounts").is_dir() && !dir.join("organization").is_dir() {
        // An empty or wrong folder would make every finding a silent `unknown`.
        let hint = ["snapshot", "snap"]
            .iter()
            .map(|d| dir.join(d))
            .find(|d| d.join("accounts").is_dir() || d.join("organization").is_dir())
            .map(|d| format!(" (did you mean --snapshot {}?)", d.display()))
            .unwrap_or_default();
        anyhow::bail!(
            "--snapshot {}: no `accounts/` or `organization/` folder inside, so it holds no policy{hint}; pass the folder `denytrail snapshot --out DIR` wrote (SNAPSHOT.md layout)",
            dir.display()
        );
    }
    for p in &problems {
        messages::notice(&p.to_string());
    }
    for gap in snapshot.organization.iter().flat_map(|o| o.capture_gaps()) {
        messages::notice(&format!("denytrail: {}: {gap}", dir.display()));
    }
    Ok((snapshot, problems.len()))
}
