//! The IAM policy engine: parse policy documents once, evaluate requests offline exactly as
//! AWS documents it, and answer with the statements that decided (cedar-style: the "why" is
//! data, and `Unknown` is a real outcome).
//!
//! This module knows nothing of CloudTrail, files or the snapshot folder: `snapshot` gathers
//! the policies that apply to a request into an [`AuthzInput`], `diagnose` builds the
//! [`Request`] from a record, and [`authorize`] decides. That keeps the engine testable from
//! scenario fragments alone and shareable across threads (`&` everything, no interior state
//! but caches).
//!
//! Parts, one job each: [`parse`] (documents → [`Policy`]), [`wildcard`] (`*`/`?`, ARNs),
//! [`variables`] (`${...}`), [`principal`], [`condition`] (one file per operator family),
//! [`evaluate`] (statements, with a trace), [`authorize`] (layers → [`Evaluation`]),
//! [`cache`] (a verdict cache for hot snapshots), [`explain`] (the trace as text or JSON).
//!
//! The API others use:
//! - `Policy::parse(id, doc)` / `Policy::parse_ref` (doc: `&serde_json::Value`, `&str` plain or
//!   URL-encoded) → `Result<Policy, PolicyError>`; compile once at snapshot load;
//! - `authorize(&Request, &AuthzInput) -> Evaluation`: `decision`, `allowed`, `same_account`,
//!   `layers` (each [`LayerTrace`]: own decision, `missing`, policies/levels with every
//!   statement's [`StatementTrace`] and [`Mismatch`] codes, `matched_deny`/`matched_allow`,
//!   `grant_form`), `blockers` (every layer that stops the request, explicit first, then in
//!   evaluation order; [`Evaluation::primary_blocker`] picks FINDINGS.md's primary one by
//!   [`Layer::primary_rank`], the order the diagnosis uses too), `unknowns` (what is missing);
//! - `VerdictCache::new(capacity).authorize(&req, &input) -> Arc<Evaluation>`, shared by threads;
//! - `render_text(&req, &eval)` and `serde_json::to_string(&Trace::new(&req, &eval))`.

pub mod access_point;
pub mod authorize;
pub mod cache;
pub mod condition;
pub mod err;
pub mod evaluate;
pub mod explain;
mod layer;
pub mod parse;
pub mod principal;
pub mod tri;
pub mod types;
pub mod variables;
pub mod wildcard;

#[cfg(test)]
pub(crate) mod tests;

pub use authorize::{authorize, Blocker, Evaluation, LayerTrace, LevelTrace};
pub use cache::{CacheStats, VerdictCache};
pub use err::{PolicyError, StatementProblem};
pub use evaluate::{Mismatch, PolicyTrace, StatementTrace};
pub use explain::{render_text, Trace};
pub use parse::{Effect, Policy, PolicyDoc, Statement};
pub use principal::Form;
pub use tri::Tri;
pub use types::*;

/// A compiled policy document, shared across threads.
pub type PolicyRef = std::sync::Arc<Policy>;
