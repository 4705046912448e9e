//! A problem with some input, as every input and the scan report it: printed once by
//! `messages` (with where it happened and what to do) and counted by its [`Skip`] kind.

use super::origin::Origin;
use super::skip::Skip;

/// A problem worth a line on stderr: where, what kind, what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub origin: Origin,
    pub skip: Skip,
    pub detail: String,
}
