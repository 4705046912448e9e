//! What a source hands to the scan: [`LogObject`]s (where their bytes are: [`Locator`]), the
//! items of a listing ([`Listed`], [`Skipped`]) and what a failed read says ([`FetchError`]).

use crate::input::{Origin, Skip};
use std::path::PathBuf;
use std::sync::Arc;
use thiserror::Error;

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

/// One object as a streaming source hands it over: the object and its bytes as stored, or why
/// they could not be read.
pub type Fetched = (LogObject, Result<Vec<u8>, FetchError>);

/// A source cannot be read at all (a bucket that cannot be listed): the run stops before
/// anything is scanned (exit 1). Problems with single objects are never this: they travel
/// as [`Listed::Skipped`] items or [`FetchError`]s and the run goes on.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct ListError(pub String);
