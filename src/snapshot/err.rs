//! Errors of the snapshot loader. A problem with one file never stops the load: it becomes a
//! [`SnapshotProblem`] naming the file, the part it describes counts as unknown, and the rest
//! of the snapshot loads. Only an unreadable snapshot root is fatal ([`SnapshotError::Root`]).

use std::fmt;
use std::path::PathBuf;

/// What went wrong with one snapshot file (or the root folder).
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The snapshot folder itself cannot be read: nothing can be loaded.
    #[error("snapshot folder `{path}` cannot be read: {source}")]
    Root {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the file: {0}")]
    Read(#[source] std::io::Error),
    #[error("not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// Valid JSON but not the shape the AWS CLI prints for this file.
    #[error("unexpected content: {0}")]
    Shape(String),
    /// A policy document inside the file cannot be decoded or compiled.
    #[error("policy `{id}`: {reason}")]
    Policy { id: String, reason: String },
}

/// One problem found while loading, with the file it concerns. The part of the snapshot that
/// file describes is unknown (never empty) for every lookup.
#[derive(Debug)]
pub struct SnapshotProblem {
    pub path: PathBuf,
    pub error: SnapshotError,
}

impl fmt::Display for SnapshotProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "denytrail: {}: {}; fix or re-capture this file (the rest of the snapshot was loaded, \
             and what this file describes counts as unknown)",
            self.path.display(),
            self.error
        )
    }
}
