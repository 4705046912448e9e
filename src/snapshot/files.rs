//! Reading one snapshot file: absent (unknown), readable JSON, or a problem naming the path.

use super::err::{SnapshotError, SnapshotProblem};
use crate::policy::Known;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Collects the problems of one load; each names its file.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<SnapshotProblem>);

impl Problems {
    pub fn push(&mut self, path: &Path, error: SnapshotError) {
        self.0.push(SnapshotProblem {
            path: path.to_path_buf(),
            error,
        });
    }
    pub fn shape(&mut self, path: &Path, what: impl Into<String>) {
        self.push(path, SnapshotError::Shape(what.into()));
    }
    pub fn policy(&mut self, path: &Path, id: &str, reason: String) {
        self.push(
            path,
            SnapshotError::Policy {
                id: id.to_owned(),
                reason,
            },
        );
    }
}

/// What reading one optional file gave.
pub enum Read {
    /// No such file: what it would describe is unknown.
    Absent,
    /// Present but unreadable or not JSON: reported, and unknown too.
    Broken(String),
    /// The JSON documents of the file: usually one; several when pages were saved as a JSON
    /// array of page objects or as concatenated objects (pages merged by hand).
    Json(Vec<Value>),
}

/// Reads `path` as one JSON document or a stream of them.
pub fn read(path: &Path, problems: &mut Problems) -> Read {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Read::Absent,
        Err(e) => {
            let what = format!("{} cannot be read", path.display());
            problems.push(path, SnapshotError::Read(e));
            return Read::Broken(what);
        }
    };
    let mut docs = Vec::new();
    for item in serde_json::Deserializer::from_slice(&bytes).into_iter::<Value>() {
        match item {
            Ok(v) => docs.push(v),
            Err(e) => {
                let what = format!("{} is not valid JSON", path.display());
                problems.push(path, SnapshotError::Json(e));
                return Read::Broken(what);
            }
        }
    }
    if docs.is_empty() {
        let what = format!("{} is empty", path.display());
        problems.shape(path, "the file is empty");
        return Read::Broken(what);
    }
    Read::Json(docs)
}

/// A single JSON object file (not paged). `Err` holds the unknown-reason for lookups.
pub fn read_object(path: &Path, problems: &mut Problems) -> Result<Value, String> {
    match read(path, problems) {
        Read::Absent => Err(absent(path)),
        Read::Broken(why) => Err(why),
        Read::Json(mut docs) => {
            if docs.len() == 1 && docs[0].is_object() {
                Ok(docs.remove(0))
            } else {
                problems.shape(path, "expected one JSON object");
                Err(format!("{} is not one JSON object", path.display()))
            }
        }
    }
}

/// Page objects of a paged CLI output: one object, an array of page objects, or a stream.
pub fn pages(docs: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::new();
    for d in docs {
        match d {
            Value::Array(items) => out.extend(items),
            other => out.push(other),
        }
    }
    out
}

/// The unknown-reason of a file that was not captured.
pub fn absent(path: &Path) -> String {
    format!("{} not captured", path.display())
}

/// A string field of a JSON object.
pub fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Sub-folders (or files with `ext`) of `dir`, sorted by name; unreadable dirs are problems.
pub fn entries(dir: &Path, want_dirs: bool, problems: &mut Problems) -> Vec<(String, PathBuf)> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            problems.push(dir, SnapshotError::Read(e));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for entry in rd {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                problems.push(dir, SnapshotError::Read(e));
                continue;
            }
        };
        let path = entry.path();
        let is_dir = path.is_dir();
        if is_dir != want_dirs {
            continue;
        }
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            problems.shape(&path, "file name is not UTF-8");
            continue;
        };
        let name = if want_dirs {
            name.to_owned()
        } else if let Some(stem) = name.strip_suffix(".json") {
            stem.to_owned()
        } else {
            continue;
        };
        out.push((name, path));
    }
    out.sort();
    out
}

/// Reads a one-object file and hands it to `f`; absent or broken files give `Unknown`.
pub(super) fn with_object<T>(
    path: &Path,
    problems: &mut Problems,
    f: impl FnOnce(&Value, &mut Problems) -> Result<T, String>,
) -> Known<T> {
    match read_object(path, problems) {
        Err(why) => Known::Unknown(why),
        Ok(v) => match f(&v, problems) {
            Ok(t) => Known::Known(t),
            Err(what) => {
                problems.shape(path, what.clone());
                Known::Unknown(format!("{}: {what}", path.display()))
            }
        },
    }
}

/// The CLI wrapper key: `Ok(None)` when it is `null` (not configured), `Err` when missing.
pub(super) fn wrapped<'a>(v: &'a Value, key: &str) -> Result<Option<&'a Value>, String> {
    match v.get(key) {
        None => Err(format!(
            "expected the CLI's `{key}` key (null when not configured)"
        )),
        Some(Value::Null) => Ok(None),
        Some(inner) => Ok(Some(inner)),
    }
}
