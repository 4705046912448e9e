//! Where log objects come from: a local folder ([`local`]), an S3 log bucket ([`s3`]), the
//! CloudTrail API ([`cloudtrail_api`]), each behind the [`Source`] trait.
//!
//! A [`Source`] only lists [`LogObject`]s (pruned by the date in the key path before anything
//! is opened) and reads their bytes as stored; it never parses them. The scan accepts any
//! `Source` (`scan::scan_sources`), so a new input is one module here plus the line that
//! chooses it (`cmd/live.rs`), and nothing downstream changes (vector's `SourceConfig`). A
//! `LogObject` is also the unit of sharding: a listing can be split across machines and each
//! part scanned on its own.
//!
//! The files import the shared words from [`object`] and [`contract`], never from this one,
//! so that this file only assembles them.

#[cfg(feature = "aws")]
pub mod channel;
#[cfg(feature = "aws")]
pub mod cloudtrail_api;
pub mod contract;
pub mod keypath;
pub mod local;
pub mod object;
#[cfg(feature = "aws")]
pub mod s3;
pub mod security_lake;
pub mod shard;
pub mod stdin;

pub use contract::{Source, Stream};
pub use keypath::{key_account, key_date, key_region};
pub use local::LocalSource;
pub use object::{FetchError, Fetched, ListError, Listed, Locator, LogObject, Skipped};
