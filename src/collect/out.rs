//! Writing the snapshot folder: one pretty JSON file per call at the path `SNAPSHOT.md` gives
//! it. Names that come from AWS (bucket names, key ids) become path components only when they
//! cannot escape the folder.

use super::err::CollectError;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

/// The snapshot folder being written.
#[derive(Debug, Clone)]
pub struct Out {
    root: PathBuf,
}

impl Out {
    /// Opens `root` for writing. It must not exist or be empty: a file left from an earlier
    /// run would pass for a piece this run could not read (stale instead of unknown).
    pub fn create(root: &Path) -> Result<Out, CollectError> {
        match fs::read_dir(root) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    return Err(CollectError::OutNotEmpty(root.to_owned()));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::create_dir_all(root).map_err(|e| CollectError::Write {
                    path: root.to_owned(),
                    source: e,
                })?;
            }
            Err(e) => {
                return Err(CollectError::Write {
                    path: root.to_owned(),
                    source: e,
                })
            }
        }
        Ok(Out {
            root: root.to_owned(),
        })
    }

    /// Writes `value` at `parts` joined under the root. Fails (fatally) only on a disk error.
    pub fn write(&self, parts: &[&str], value: &Value) -> Result<PathBuf, CollectError> {
        let mut path = self.root.clone();
        for p in parts {
            path.push(p);
        }
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| CollectError::Write {
                path: dir.to_owned(),
                source: e,
            })?;
        }
        let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
        text.push('\n');
        fs::write(&path, text).map_err(|e| CollectError::Write {
            path: path.clone(),
            source: e,
        })?;
        Ok(path)
    }
}

/// Whether a name from AWS is safe as one path component (no separator, not `.`/`..`, not
/// empty). S3 bucket names, KMS key ids, account, OU and policy ids always are; anything else
/// is reported instead of written.
pub fn safe_component(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && name.len() <= 255
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_escape_the_folder_are_refused() {
        assert!(safe_component("my-bucket.logs"));
        assert!(safe_component("1234abcd-12ab-34cd-56ef-1234567890ab"));
        for bad in ["", ".", "..", "a/b", "..\\x", "a\0"] {
            assert!(!safe_component(bad), "{bad:?}");
        }
    }

    #[test]
    fn an_earlier_snapshot_folder_is_not_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("old.json"), "{}").expect("write");
        assert!(matches!(
            Out::create(dir.path()),
            Err(CollectError::OutNotEmpty(_))
        ));
        let fresh = dir.path().join("new");
        let out = Out::create(&fresh).expect("fresh folder");
        let p = out
            .write(&["accounts", "1", "iam.json"], &serde_json::json!({}))
            .expect("write");
        assert!(p.is_file());
    }
}
