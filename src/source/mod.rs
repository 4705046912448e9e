//! Where log objects come from: a local folder, an S3 log bucket, the CloudTrail API.
//!
//! A [`Source`] only lists [`LogObject`]s (pruned by the date in the key path before anything
//! is opened) and fetches their bytes as stored; it never parses them. The scan accepts any
//! `Source`, so a new one is one module and nothing downstream changes (vector's
//! `SourceConfig`). A `LogObject` is also the unit of sharding: a listing can be split across
//! machines and each part scanned on its own.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Where a record came from: the object's display name (a path, or `s3://bucket/key`) and the
/// record's 0-based index in it, so that findings and errors point back.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub object: Arc<str>,
    pub record_index: Option<u64>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.record_index {
            Some(i) => write!(f, "{} record {}", self.object, i),
            None => f.write_str(&self.object),
        }
    }
}

/// How to reach an object's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    Path(PathBuf),
    S3 {
        bucket: String,
        key: String,
    },
    /// Records already in memory (the CloudTrail API source, stdin).
    Inline(Arc<[u8]>),
}

/// One log object (a file or an S3 key).
#[derive(Debug, Clone)]
pub struct LogObject {
    /// Display name: the path, or `s3://bucket/key`.
    pub name: Arc<str>,
    /// Size as stored, when the listing says.
    pub size: Option<u64>,
    pub locator: Locator,
}
