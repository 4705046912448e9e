//! The report's "changes that caused denials" section: each change event named as a
//! finding's `started_by`, with who made it, when, what it changed, how many denials and
//! principals followed and the first and last of them; and how many denials every layer
//! allows while the event lies outside every snapshot (drift nothing in the logs explains).
//!
//! Tallied from the findings as they are collected ([`ChangeTally::add`], mergeable like the
//! other aggregates), then joined with the change events the timeline replayed.

use crate::findings::Finding;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What a finding's reason says when the event lies outside every snapshot and no change
/// explains why AWS denied it (`diagnose::timed`).
pub const DRIFT_MARK: &str = "outside every snapshot";

/// A change event as the report names it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChangeInfo {
    pub event_id: String,
    pub event_time: String,
    pub event_name: String,
    pub actor: Option<String>,
    /// What it set ("bucket policy of `b`", ...).
    pub changed: Vec<String>,
}

#[derive(Debug, Clone, Default)]
struct Tally {
    count: u64,
    principals: BTreeSet<String>,
    first: Option<String>,
    last: Option<String>,
}

/// Per `started_by`, the denials that followed; and the drift count.
#[derive(Debug, Clone, Default)]
pub struct ChangeTally {
    per: BTreeMap<String, Tally>,
    drift: u64,
}

impl ChangeTally {
    pub fn add(&mut self, batch: &[Finding]) {
        for f in batch {
            if f.reason.as_deref().is_some_and(|r| r.contains(DRIFT_MARK)) {
                self.drift += 1;
            }
            let Some(id) = &f.started_by else {
                continue;
            };
            let t = self.per.entry(id.clone()).or_default();
            t.count += 1;
            if let Some(p) = &f.principal_arn {
                t.principals.insert(p.clone());
            }
            if let Some(time) = &f.event_time {
                if t.first.as_ref().is_none_or(|x| time < x) {
                    t.first = Some(time.clone());
                }
                if t.last.as_ref().is_none_or(|x| time > x) {
                    t.last = Some(time.clone());
                }
            }
        }
    }

    /// The section, joined with the replayed changes (`None`: no replay in this run).
    pub fn section(self, changes: Option<&[ChangeInfo]>) -> Option<TimeTravel> {
        let changes = changes?;
        let mut rows: Vec<ChangeRow> = self
            .per
            .into_iter()
            .map(|(id, t)| {
                let info = changes.iter().find(|c| c.event_id == id).cloned();
                ChangeRow {
                    change: info.unwrap_or(ChangeInfo {
                        event_id: id,
                        event_time: String::new(),
                        event_name: String::new(),
                        actor: None,
                        changed: Vec::new(),
                    }),
                    denials: t.count,
                    principals: t.principals.len() as u64,
                    first_denial: t.first,
                    last_denial: t.last,
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            b.denials
                .cmp(&a.denials)
                .then_with(|| a.change.event_time.cmp(&b.change.event_time))
        });
        Some(TimeTravel {
            changes_replayed: changes.len() as u64,
            changes_that_caused_denials: rows,
            drift_outside_snapshots: self.drift,
        })
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChangeRow {
    #[serde(flatten)]
    pub change: ChangeInfo,
    pub denials: u64,
    pub principals: u64,
    pub first_denial: Option<String>,
    pub last_denial: Option<String>,
}

/// The summary's time-travel part (present when the run replayed changes or had several
/// snapshots).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TimeTravel {
    pub changes_replayed: u64,
    pub changes_that_caused_denials: Vec<ChangeRow>,
    /// Denials every layer allows while the event lies outside every snapshot.
    pub drift_outside_snapshots: u64,
}

fn plural(n: impl Into<u64>, one: &'static str, many: &'static str) -> &'static str {
    if n.into() == 1 {
        one
    } else {
        many
    }
}

impl TimeTravel {
    /// Lines shared by the text renderers: one per change.
    pub fn lines(&self) -> Vec<String> {
        self.changes_that_caused_denials
            .iter()
            .map(|r| {
                format!(
                    "{} {} by {} (event {}): {}; {} {} of {} {} followed, {} → {}",
                    r.change.event_time,
                    r.change.event_name,
                    r.change.actor.as_deref().unwrap_or("?"),
                    r.change.event_id,
                    if r.change.changed.is_empty() {
                        "?".to_owned()
                    } else {
                        r.change.changed.join(", ")
                    },
                    r.denials,
                    plural(r.denials, "denial", "denials"),
                    r.principals,
                    plural(r.principals, "principal", "principals"),
                    r.first_denial.as_deref().unwrap_or("-"),
                    r.last_denial.as_deref().unwrap_or("-")
                )
            })
            .collect()
    }
}
