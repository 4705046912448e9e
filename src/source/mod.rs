//! Where log objects come from: a local folder, an S3 log bucket, the CloudTrail API.
//!
//! A [`Source`] only lists [`LogObject`]s (pruned by the date in the key path before anything
//! is opened) and fetches their bytes as stored; it never parses them. The scan accepts any
//! `Source`, so a new one is one module and nothing downstream changes (vector's
//! `SourceConfig`). A `LogObject` is also the unit of sharding: a listing can be split across
//! machines and each part scanned on its own.

#[cfg(feature = "aws")]
pub mod cloudtrail_api;
pub mod keypath;
pub mod local;
#[cfg(feature = "aws")]
pub mod s3;

use crate::scan::{Skip, TimeWindow};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use thiserror::Error;

pub use keypath::{key_account, key_date, key_region};
pub use local::LocalSource;

/// Where a record came from: the object's display name (a path, or `s3://bucket/key`) and the
/// record's 0-based index in it, so that findings and errors point back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Origin {
    #[serde(with = "arc_str")]
    pub object: Arc<str>,
    pub record_index: Option<u64>,
}

/// `Arc<str>` as a plain string (serde's own impl needs its `rc` feature, which would rebuild
/// every crate that uses serde).
mod arc_str {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::sync::Arc;

    pub fn serialize<S: Serializer>(s: &Arc<str>, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
        String::deserialize(d).map(Arc::from)
    }
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

impl LogObject {
    /// The record-less origin of this object (for object-level messages).
    pub fn origin(&self) -> Origin {
        Origin {
            object: self.name.clone(),
            record_index: None,
        }
    }
}

/// One item of a listing: an object to read, or something the listing already decided to
/// skip (a snapshot folder, a path outside the window, an unreadable directory). Errors
/// travel as items, so one bad path never ends a listing (ripgrep's walker does the same).
#[derive(Debug, Clone)]
pub enum Listed {
    Object(LogObject),
    Skipped(Skipped),
}

/// Something a listing skipped, with its kind and what happened.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub name: Arc<str>,
    pub skip: Skip,
    pub detail: String,
}

/// Fetching one object failed: the scan counts it as [`Skip::Unreadable`] (local) or
/// [`Skip::FetchFailed`] (remote) and goes on.
#[derive(Debug, Error)]
#[error("{detail}")]
pub struct FetchError {
    pub skip: Skip,
    pub detail: String,
}

impl FetchError {
    pub fn unreadable(err: &std::io::Error) -> Self {
        FetchError {
            skip: Skip::Unreadable,
            detail: format!("cannot read: {err}"),
        }
    }
}

/// Where log objects come from. Implementations list (pruned by the key-path date) and fetch
/// bytes as stored; the scan does everything else, whatever the source.
///
/// `fetch` fills a caller-owned buffer so that a worker reuses one allocation for every
/// object it reads. A source that downloads with its own concurrency (S3) can instead hand
/// `(LogObject, Result<Vec<u8>, FetchError>)` pairs to [`crate::scan::scan_fetched`].
pub trait Source: Send + Sync {
    /// The objects to read, pruned by `window` on the date in their key path.
    fn list<'a>(&'a self, window: &TimeWindow) -> Box<dyn Iterator<Item = Listed> + Send + 'a>;

    /// The object's bytes as stored (gzip or not), replacing `buf`'s content.
    fn fetch(&self, object: &LogObject, buf: &mut Vec<u8>) -> Result<(), FetchError>;
}
