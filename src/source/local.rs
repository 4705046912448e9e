//! Local files and folders: walked recursively, symlinks followed, loops detected.
//!
//! A folder that holds `snapshot.json` is a policy snapshot (SNAPSHOT.md), not logs: it is
//! skipped whole and counted as intentional. Problems (unreadable folders, broken links,
//! loops) become [`Listed::Skipped`] items and the walk goes on.

use super::contract::Source;
use super::keypath::key_date;
use super::object::{FetchError, ListError, Listed, Locator, LogObject, Skipped};
use crate::input::{Skip, TimeWindow};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file that marks a folder as a policy snapshot.
pub const SNAPSHOT_MARKER: &str = "snapshot.json";

/// Files and folders given on the command line.
#[derive(Debug, Clone)]
pub struct LocalSource {
    roots: Vec<PathBuf>,
}

impl LocalSource {
    pub fn new(roots: Vec<PathBuf>) -> Self {
        LocalSource { roots }
    }

    /// Everything under the roots, depth first, entries of a folder in name order (so runs
    /// are reproducible).
    pub fn walk(&self, window: &TimeWindow) -> Vec<Listed> {
        let mut out = Vec::new();
        for root in &self.roots {
            let mut ancestors = Vec::new();
            walk_path(root, window, &mut ancestors, &mut out);
        }
        out
    }
}

fn name_of(path: &Path) -> Arc<str> {
    Arc::from(path.to_string_lossy().as_ref())
}

fn skipped(out: &mut Vec<Listed>, path: &Path, skip: Skip, detail: String) {
    out.push(Listed::Skipped(Skipped {
        name: name_of(path),
        skip,
        detail,
    }));
}

fn walk_path(
    path: &Path,
    window: &TimeWindow,
    ancestors: &mut Vec<PathBuf>,
    out: &mut Vec<Listed>,
) {
    // `metadata` follows symlinks: a broken link is an error here.
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            let what = if fs::symlink_metadata(path).is_ok() {
                format!("broken symbolic link: {e}")
            } else {
                format!("cannot read: {e}")
            };
            return skipped(out, path, Skip::Unreadable, what);
        }
    };
    if meta.is_file() {
        let name = name_of(path);
        if let Some(day) = key_date(&name) {
            if !window.may_hold_day(day) {
                return skipped(out, path, Skip::OutsideWindow, format!("filed under {day}"));
            }
        }
        out.push(Listed::Object(LogObject {
            name,
            size: Some(meta.len()),
            locator: Locator::Path(path.to_path_buf()),
        }));
        return;
    }
    if !meta.is_dir() {
        return skipped(
            out,
            path,
            Skip::Unreadable,
            "not a regular file or folder".into(),
        );
    }
    let canonical = match fs::canonicalize(path) {
        Ok(c) => c,
        Err(e) => return skipped(out, path, Skip::Unreadable, format!("cannot resolve: {e}")),
    };
    if ancestors.contains(&canonical) {
        return skipped(
            out,
            path,
            Skip::Unreadable,
            format!(
                "folder loop: a symbolic link leads back to {}",
                canonical.display()
            ),
        );
    }
    if path.join(SNAPSHOT_MARKER).is_file() {
        return skipped(
            out,
            path,
            Skip::SnapshotFolder,
            "a policy snapshot, not logs".into(),
        );
    }
    let entries = match fs::read_dir(path) {
        Ok(rd) => rd,
        Err(e) => return skipped(out, path, Skip::Unreadable, format!("cannot list: {e}")),
    };
    let mut children = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => children.push(e.path()),
            Err(e) => skipped(out, path, Skip::Unreadable, format!("cannot list: {e}")),
        }
    }
    children.sort();
    ancestors.push(canonical);
    for child in children {
        walk_path(&child, window, ancestors, out);
    }
    ancestors.pop();
}

impl Source for LocalSource {
    fn list(&self, window: &TimeWindow) -> Result<Vec<Listed>, ListError> {
        Ok(self.walk(window))
    }

    fn fetch(&self, object: &LogObject, buf: &mut Vec<u8>) -> Result<(), FetchError> {
        buf.clear();
        match &object.locator {
            Locator::Path(p) => {
                let mut f = fs::File::open(p).map_err(|e| FetchError::unreadable(&e))?;
                f.read_to_end(buf).map_err(|e| FetchError::unreadable(&e))?;
                Ok(())
            }
            Locator::Inline(bytes) => {
                buf.extend_from_slice(bytes);
                Ok(())
            }
            Locator::S3 { .. } => Err(FetchError {
                skip: Skip::FetchFailed,
                detail: "an s3:// object given to the local source".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(items: &[Listed]) -> Vec<String> {
        items
            .iter()
            .map(|i| match i {
                Listed::Object(o) => format!("obj {}", o.name),
                Listed::Skipped(s) => format!("{} {}", s.skip, s.name),
            })
            .collect()
    }

    #[test]
    fn walks_skips_snapshots_and_detects_loops() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("logs/sub")).unwrap();
        fs::write(root.join("logs/a.json"), "{}").unwrap();
        fs::write(root.join("logs/sub/b.json"), "{}").unwrap();
        fs::create_dir_all(root.join("logs/snap")).unwrap();
        fs::write(root.join("logs/snap/snapshot.json"), "{}").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("logs"), root.join("logs/sub/loop")).unwrap();
        let src = LocalSource::new(vec![root.join("logs"), root.join("missing")]);
        let got = names(&src.walk(&TimeWindow::default()));
        let r = root.display();
        let mut want = vec![
            format!("obj {r}/logs/a.json"),
            format!("snapshot_folder {r}/logs/snap"),
            format!("obj {r}/logs/sub/b.json"),
        ];
        #[cfg(unix)]
        want.push(format!("unreadable {r}/logs/sub/loop"));
        want.push(format!("unreadable {r}/missing"));
        assert_eq!(got, want);
    }

    #[test]
    fn prunes_by_key_path_date() {
        let dir = tempfile::tempdir().unwrap();
        let day = |d: &str| {
            dir.path()
                .join(format!("AWSLogs/1/CloudTrail/us-east-1/2026/11/{d}"))
        };
        for d in ["10", "16"] {
            fs::create_dir_all(day(d)).unwrap();
            fs::write(day(d).join("f.json.gz"), "").unwrap();
        }
        let since = chrono::DateTime::parse_from_rfc3339("2026-11-15T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let w = TimeWindow::new(Some(since), None).unwrap();
        let got = names(&LocalSource::new(vec![dir.path().to_path_buf()]).walk(&w));
        assert!(
            got[0].starts_with("outside_window ") && got[0].contains("/10/"),
            "{got:?}"
        );
        assert!(
            got[1].starts_with("obj ") && got[1].contains("/16/"),
            "{got:?}"
        );
    }
}
