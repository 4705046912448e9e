//! Diagnosis in the policies as they were at each event's time ([`Timeline`]), and the change
//! that started a denial (`started_by`, FINDINGS.md).
//!
//! [`Timed`] keeps one [`Diagnoser`] per epoch (built on first use, with its own verdict
//! cache), so a denial is diagnosed exactly as before, only against the derived snapshot of
//! its time. `started_by` follows FINDINGS.md: "the change event in the logs … that introduced
//! the deciding Deny, removed the deciding Allow or changed the deciding setting, when the
//! state just before that change would have allowed the request". The candidates are the
//! changes at or before the event that touch its evaluation path (the bucket, the caller's
//! account IAM, the resource or caller account's settings, the organization, KMS keys, the
//! endpoint), latest first; the first whose state just before would have allowed the request
//! is named.

use super::analysis::Analysis;
use super::diagnoser::Diagnoser;
use super::finding::primary_of;
use super::rule::RuleOutcome;
use crate::findings::{Finding, RootCause};
use crate::input::Origin;
use crate::record::Event;
use crate::scan::change::{Change, Piece};
use crate::scan::evidence::Evidence;
use crate::snapshot::timeline::{parse_time, EpochKey, Timeline};
use crate::snapshot::Snapshot;
use std::sync::OnceLock;

/// Candidate changes tried for `started_by`, latest first.
const STARTED_BY_CANDIDATES: usize = 6;

/// States (each a copy of a snapshot) built before `started_by` stops building new ones: the
/// states the denials are judged in are always built; the states "just before a change"
/// only while this many exist, so that a trail with thousands of changes cannot hold
/// thousands of snapshot copies. Past it, `started_by` stays null where its state is not
/// built yet, and a notice says so once.
const STARTED_BY_EPOCH_BUDGET: usize = 256;

/// A diagnoser per epoch of a timeline, or one without a snapshot.
pub struct Timed<'t> {
    timeline: Option<&'t Timeline>,
    evidence: &'t Evidence,
    diags: Vec<OnceLock<Diagnoser<'t>>>,
    none: OnceLock<Diagnoser<'t>>,
    /// The epoch budget ran out once (said once).
    over_budget: std::sync::atomic::AtomicBool,
}

impl<'t> Timed<'t> {
    pub fn new(timeline: Option<&'t Timeline>, evidence: &'t Evidence) -> Timed<'t> {
        let n = timeline.map_or(0, Timeline::slots);
        Timed {
            timeline,
            evidence,
            diags: (0..n).map(|_| OnceLock::new()).collect(),
            none: OnceLock::new(),
            over_budget: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn timeline(&self) -> Option<&'t Timeline> {
        self.timeline
    }

    /// The diagnoser of one epoch.
    pub fn diagnoser(&self, key: EpochKey) -> &Diagnoser<'t> {
        let evidence = self.evidence;
        match self.timeline {
            Some(tl) => self.diags[tl.slot(key)]
                .get_or_init(|| Diagnoser::new(&tl.epoch(key).snapshot, evidence)),
            None => self
                .none
                .get_or_init(|| Diagnoser::new(Snapshot::absent(), evidence)),
        }
    }

    /// The epoch an event is judged in.
    pub fn key_of(&self, event: &Event) -> EpochKey {
        let t = event.event_time.as_deref().and_then(parse_time);
        match self.timeline {
            Some(tl) => tl.key_at(t),
            None => EpochKey {
                base: Some(0),
                changes: 0,
            },
        }
    }

    pub fn diagnose(&self, event: &Event, origin: &Origin) -> Finding {
        self.diagnose_with(event, origin).0
    }

    /// The finding (with `started_by`), the analyses and the epoch used.
    pub fn diagnose_with(
        &self,
        event: &Event,
        origin: &Origin,
    ) -> (Finding, Vec<Analysis>, EpochKey, Option<usize>) {
        let key = self.key_of(event);
        let (mut f, analyses) = self.diagnoser(key).diagnose_with(event, origin);
        let Some(tl) = self.timeline.filter(|tl| tl.replays()) else {
            return (f, analyses, key, None);
        };
        if allows(&f, &analyses) {
            note_drift(&mut f, tl, key);
        }
        let started = self.started_by(event, origin, &f, key);
        f.started_by = started.map(|i| tl.changes()[i].event_id.clone());
        (f, analyses, key, started)
    }

    /// The change (index) that started this denial, if any.
    fn started_by(
        &self,
        event: &Event,
        origin: &Origin,
        f: &Finding,
        key: EpochKey,
    ) -> Option<usize> {
        let tl = self.timeline?;
        if matches!(f.root_cause, RootCause::Unknown | RootCause::RequestError) {
            return None;
        }
        let candidates = (0..key.changes)
            .rev()
            .filter(|&i| on_path(&tl.changes()[i], f))
            .take(STARTED_BY_CANDIDATES);
        for i in candidates {
            let before = tl.key_before(i);
            if !tl.has_epoch(before) && tl.epochs_built() >= STARTED_BY_EPOCH_BUDGET {
                if !self
                    .over_budget
                    .swap(true, std::sync::atomic::Ordering::Relaxed)
                {
                    crate::messages::notice(&format!(
                        "denytrail: started_by: over {STARTED_BY_EPOCH_BUDGET} policy states rebuilt; the change behind later denials is named only where its state was built already (scan fewer days at once)"
                    ));
                }
                return None;
            }
            let (fb, ab) = self.diagnoser(before).diagnose_with(event, origin);
            if allows(&fb, &ab) {
                return Some(i);
            }
        }
        None
    }
}

/// Every layer allows and no S3 rule fires or is unknown: AWS would have allowed it.
pub fn allows(f: &Finding, analyses: &[Analysis]) -> bool {
    f.root_cause == RootCause::Unknown
        && !analyses.is_empty()
        && analyses.iter().all(|a| {
            primary_of(a).is_none()
                && a.verdict.unknown.is_empty()
                && a.gaps.is_empty()
                && !a
                    .rules
                    .iter()
                    .any(|r| matches!(r.outcome, RuleOutcome::Unknown(_)))
        })
}

/// Says, in the reason of a denial every layer allows, whether the event lies outside every
/// snapshot (the usual source of drift) and that no change in the logs explains it.
fn note_drift(f: &mut Finding, tl: &Timeline, key: EpochKey) {
    let snaps = tl.snapshots();
    let outside = match key.base {
        None => true,
        Some(b) => b + 1 == snaps.len(),
    };
    let when = |i: usize| {
        snaps
            .get(i)
            .and_then(|s| s.taken_at)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_else(|| "?".into())
    };
    let note = if outside {
        let side = if key.base.is_none() {
            format!("before the earliest snapshot ({})", when(0))
        } else {
            format!("after the latest snapshot ({})", when(snaps.len() - 1))
        };
        format!(
            "; the event is outside every snapshot ({side}) and no change event in the logs explains the difference (snapshot drift)"
        )
    } else {
        "; no change event in the logs between the snapshots explains it".to_owned()
    };
    if let Some(r) = f.reason.as_mut() {
        r.push_str(&note);
    }
}

/// Does change `c` touch something the finding's evaluation reads?
fn on_path(c: &Change, f: &Finding) -> bool {
    let bucket = f.bucket.as_deref();
    let caller = f.principal_account.as_deref();
    let owner = f.resource_account.as_deref();
    c.edits.iter().any(|e| match &e.piece {
        Piece::BucketPolicy { bucket: b }
        | Piece::BucketPublicAccessBlock { bucket: b }
        | Piece::BucketEncryption { bucket: b }
        | Piece::BucketOwnership { bucket: b }
        | Piece::RequestPayment { bucket: b }
        | Piece::BucketAcl { bucket: b } => Some(b.as_str()) == bucket,
        Piece::AccountPublicAccessBlock { account } => {
            Some(account.as_str()) == owner || Some(account.as_str()) == caller
        }
        Piece::Identity { account, .. }
        | Piece::InlinePolicy { account, .. }
        | Piece::Attachment { account, .. }
        | Piece::Boundary { account, .. }
        | Piece::Membership { account, .. }
        | Piece::Tag { account, .. }
        | Piece::AccountIam { account } => Some(account.as_str()) == caller,
        Piece::ManagedPolicy { arn } => {
            arn.starts_with("arn:aws:iam::aws:")
                || caller.is_some_and(|a| arn.starts_with(&format!("arn:aws:iam::{a}:")))
        }
        Piece::PolicyVersion { .. } => false,
        Piece::KeyPolicy { .. }
        | Piece::OrgPolicy { .. }
        | Piece::OrgAttachment { .. }
        | Piece::OrgParent { .. } => true,
        Piece::EndpointPolicy { endpoint } => f.vpc_endpoint_id.as_deref() == Some(endpoint),
        // A request through that access point: the finding's resource is in its ARN form, or
        // the access point is the deciding policy.
        Piece::AccessPointPolicy { account, name, .. } => {
            let ap = format!(":{account}:accesspoint/{name}");
            let through = |x: Option<&str>| {
                x.is_some_and(|x| x.ends_with(&ap) || x.contains(&format!("{ap}/")))
            };
            through(f.resource_arn.as_deref()) || through(f.policy_id.as_deref())
        }
    })
}
