//! `--snapshot DIR`, shared by the commands that diagnose (`analyze`, `explain`): a flattened
//! argument group, so each command gets the same flag, help and loading behaviour.
//!
//! The flag may be given several times (one snapshot before the window, one after, as a
//! weekly `denytrail snapshot` cron job leaves them): each denial is then judged in the
//! policies as they were at its time ([`crate::snapshot::timeline`]). Several snapshots need
//! each its `snapshot.json` `taken_at`; a snapshot without it can only be used alone.

use crate::messages;
use crate::scan::change::Change;
use crate::snapshot::timeline::Timeline;
use crate::snapshot::Snapshot;
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};

/// The snapshot folder used with the bundled `sample-logs/` when no PATH is given.
pub const SAMPLE_SNAPSHOT: &str = "sample-logs/snapshot";
/// The sample's older snapshot (taken before its window), used beside [`SAMPLE_SNAPSHOT`].
pub const SAMPLE_SNAPSHOT_BEFORE: &str = "sample-logs/snapshot-before";

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Policy snapshot")]
pub struct SnapshotArgs {
    /// Folder of the policies in force (SNAPSHOT.md layout: one AWS CLI output per file).
    /// Repeat it to give snapshots taken at different times: each denial is judged in the
    /// policies as they were at its time, replaying the change events of the logs from the
    /// latest snapshot before it. Without it every finding is `unknown`
    /// (insufficient_snapshot), except the non-permission error codes. Default with no PATH:
    /// sample-logs/snapshot-before/ and sample-logs/snapshot/.
    #[arg(long, value_name = "DIR")]
    pub snapshot: Vec<PathBuf>,
}

impl SnapshotArgs {
    /// The folders to load: the flags, else the sample's when the command reads the bundled
    /// sample (`use_sample`).
    pub fn dirs(&self, use_sample: bool) -> Vec<PathBuf> {
        if !self.snapshot.is_empty() || !use_sample {
            return self.snapshot.clone();
        }
        [SAMPLE_SNAPSHOT_BEFORE, SAMPLE_SNAPSHOT]
            .into_iter()
            .map(PathBuf::from)
            .filter(|p| p.join("snapshot.json").is_file())
            .collect()
    }

    /// Loads the snapshots; each malformed file is reported (named) and the rest loads, and
    /// their number is returned (input lost: exit status 2 unless --allow-skipped). `Err` when
    /// a folder itself cannot be read, or when one of several has no `taken_at`.
    pub fn load_all(&self, use_sample: bool) -> anyhow::Result<(Vec<Snapshot>, usize)> {
        let mut out = Vec::new();
        let mut problems = 0;
        let dirs = self.dirs(use_sample);
        if dirs.is_empty() {
            messages::notice(NO_SNAPSHOT);
        }
        for dir in &dirs {
            let (s, n) = load(dir)?;
            if dirs.len() > 1 && s.taken_at.is_none() {
                bail!(
                    "--snapshot {}: its snapshot.json has no readable `taken_at`, so it cannot be \
                     placed among the other snapshots; pass it alone, or add `taken_at`",
                    dir.display()
                );
            }
            problems += n;
            out.push(s);
        }
        Ok((out, problems))
    }

    /// Loads the snapshots, then the latest one alone (the commands that take one state).
    pub fn load(&self, use_sample: bool) -> anyhow::Result<(Option<Snapshot>, usize)> {
        let (mut all, n) = self.load_all(use_sample)?;
        all.sort_by_key(|s| s.taken_at);
        Ok((all.pop(), n))
    }
}

/// The timeline of the loaded snapshots and the scan's change events (`None` without a
/// snapshot). Said once on stderr when a snapshot without `taken_at` cannot replay changes.
pub fn timeline(snapshots: Vec<Snapshot>, changes: Vec<Change>) -> Option<Timeline> {
    if snapshots.is_empty() {
        return None;
    }
    if snapshots.len() == 1 && snapshots[0].taken_at.is_none() && !changes.is_empty() {
        messages::notice(&format!(
            "denytrail: the snapshot has no `taken_at`: the {} change event(s) in the logs are not replayed (every event is judged in the snapshot as it is)",
            changes.len()
        ));
    }
    let tl = Timeline::new(snapshots, changes);
    if tl.undated > 0 {
        messages::notice(&format!(
            "denytrail: {} change event(s) without a readable eventTime were not replayed",
            tl.undated
        ));
    }
    Some(tl)
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
