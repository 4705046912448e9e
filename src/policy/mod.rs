//! The IAM policy engine: parse policy documents once, evaluate requests offline exactly as
//! AWS documents it, and answer with the statements that decided (cedar-style: the "why" is
//! data, and `Unknown` is a real outcome).
//!
//! This module knows nothing of CloudTrail, files or the snapshot folder: `snapshot` gathers
//! the policies that apply to a request into an [`AuthzInput`], `diagnose` builds the
//! [`Request`] from a record, and [`authorize`] decides. That keeps the engine testable from
//! scenario fragments alone and shareable across threads (`&` everything, no interior state
//! but caches).

pub mod types;

pub use types::*;

/// A compiled policy document, shared across threads. Placeholder: the engine's own compiled
/// form replaces the raw JSON here.
pub type PolicyRef = std::sync::Arc<Policy>;

/// A policy document with its id (ARN, `bucket-policy:<bucket>`, SCP id, endpoint id, key ARN).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub id: String,
    pub document: serde_json::Value,
}
