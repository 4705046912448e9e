//! Known noise as the filter sees it: the [`Noise`] a [`super::filter::Filter`] asks after its
//! own tests, and what it reports of it ([`Suppressed`]). The rules themselves
//! ([`super::suppress`]) are written with filters; this small module is what lets the filter
//! hold them without the two files importing each other.

use crate::findings::Finding;
use serde::Serialize;

/// How many findings one rule kept out (for the report and stderr).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppressed {
    pub rule: String,
    pub reason: String,
    pub count: u64,
}

/// Rules that keep known noise out of the findings, counting what they keep out (shared by
/// the diagnosis threads, hence `Send + Sync`).
pub trait Noise: Send + Sync + std::fmt::Debug {
    /// Whether a rule keeps `f` out; the rule that does counts it.
    fn suppresses(&self, f: &Finding) -> bool;
    /// What each rule kept out so far.
    fn counts(&self) -> Vec<Suppressed>;
    /// No rule at all.
    fn is_empty(&self) -> bool;
}
