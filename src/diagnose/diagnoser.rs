//! The diagnosis of one denied event: request → engine → primary cause → S3 rules → finding.
//!
//! A function transform (vector's `FunctionTransform`): [`Diagnoser::diagnose`] takes one
//! event and returns one finding, from any thread, in any order. It reads the snapshot, the
//! side evidence the scan kept, and the engine's verdict cache; it never does I/O.
//! [`Diagnoser::analyze`] keeps every intermediate result, which is what `explain` and
//! `simulate` print, so the trace and the finding cannot drift apart. This file only
//! orchestrates: the request is built by [`super::request`], the policy cause chosen by
//! [`super::decide`], each S3 rule lives in its own module ([`super::rules::RULES`]), and the
//! finding is filled by [`super::finding`].

use super::aws_message;
use super::decide::{self, blocker_views};
use super::finding::{self, primary_of};
use super::kms;
use super::request::{self, S3Call};
use super::request_error;
use super::rule::{RuleCx, RuleExtras};
use super::rules;
use super::session_facts;
use super::text;
use crate::findings::Finding;
use crate::input::Origin;
use crate::policy::{self, AuthzInput, Evaluation, Known, PolicyRef, PrincipalKind, Request};
use crate::record::Event;
use crate::scan::evidence::Evidence;
use crate::scan::Wanted;
use crate::snapshot::Snapshot;
use std::collections::HashMap;
use std::sync::Arc;

pub use super::analysis::Analysis;
pub use super::rule::Evaluated;
pub use super::rules::RuleResult;

/// Evaluations kept by the verdict cache. An evaluation carries its whole trace (every policy
/// and statement looked at, for `explain`): about 6 KB each on the benchmark snapshot, so this
/// is about 13 MB when full. The cache keys only on the context keys the policies read
/// (`aws:CurrentTime` or the object key do not split it needlessly), so a run over millions of
/// similar denials still evaluates each distinct situation about once. Measured on the 2 GB
/// benchmark tree, 131,072 entries cost 85 MB of peak memory and were no faster than 1,024.
const VERDICT_CACHE_CAPACITY: usize = 2048;

/// Session policies as the engine takes them.
pub type SessionPolicies = Known<Option<Vec<PolicyRef>>>;

/// Everything one diagnosis reads; shared by all threads.
pub struct Diagnoser<'a> {
    /// The policy snapshot, or [`Snapshot::absent`] when none was given.
    snapshot: &'a Snapshot,
    evidence: &'a Evidence,
    /// Session policies by access key id, compiled once from the STS evidence.
    sessions: HashMap<String, SessionPolicies>,
    /// KMS denials by the `aws:s3:arn` their encryption context names (object or bucket).
    kms_denials: HashMap<&'a str, Vec<&'a kms::KmsDenial>>,
    cache: crate::policy::VerdictCache,
}

impl<'a> Diagnoser<'a> {
    pub fn new(snapshot: &'a Snapshot, evidence: &'a Evidence) -> Diagnoser<'a> {
        let mut sessions = HashMap::new();
        for (key, s) in &evidence.session_policies {
            sessions.insert(key.clone(), compile_session(snapshot, key, s));
        }
        let mut kms_denials: HashMap<&str, Vec<&kms::KmsDenial>> = HashMap::new();
        for d in &evidence.kms_denials {
            kms_denials.entry(d.s3_arn.as_str()).or_default().push(d);
        }
        Diagnoser {
            snapshot,
            evidence,
            sessions,
            kms_denials,
            cache: crate::policy::VerdictCache::new(VERDICT_CACHE_CAPACITY),
        }
    }

    /// The session policies of the session holding `access_key`, given rather than recovered
    /// from an STS record (`simulate --session-policy`).
    pub fn with_session(mut self, access_key: &str, policies: SessionPolicies) -> Self {
        self.sessions.insert(access_key.to_owned(), policies);
        self
    }

    /// Notes in `wanted` the side evidence a diagnosis of `event` may look up (the objects its
    /// requests name, their S3 ARNs, the caller's access key), so that a scan that wrote its
    /// evidence to disk loads only that ([`crate::scan::EvidenceLog::load`]).
    pub fn note_wanted(event: &Event, wanted: &mut Wanted) {
        for (bucket, key) in request::named_objects(event) {
            wanted.add_object(&bucket, key.as_deref());
        }
        if let Some(k) = event
            .user_identity
            .as_ref()
            .and_then(|i| i.access_key_id.as_deref())
        {
            wanted.add_access_key(k);
        }
    }

    /// One event in, one finding out.
    pub fn diagnose(&self, event: &Event, origin: &Origin) -> Finding {
        self.diagnose_with(event, origin).0
    }

    /// The finding and the analyses behind it (empty when the record alone decided).
    pub fn diagnose_with(&self, event: &Event, origin: &Origin) -> (Finding, Vec<Analysis>) {
        let call = S3Call::from_event(event);
        let mut f = finding::from_record(event, origin, &call);
        f.snapshot_taken_at = self
            .snapshot
            .taken_at
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let aws = aws_message::parse(event.error_code.as_deref(), event.error_message.as_deref());

        if let Some(code) = event
            .error_code
            .as_deref()
            .filter(|c| request_error::is_request_error(Some(c)))
        {
            let reqs = request::requests_of(event, &call, self.snapshot).unwrap_or_default();
            let first = reqs
                .first()
                .map(|r| (r.request.action.as_str(), r.request.resource.as_str()));
            finding::request_error(&mut f, code, first);
            return (f, Vec::new());
        }
        let snapshot = self.snapshot;
        if !snapshot.is_given() {
            // Nothing to judge against: every layer would be unknown, so the analysis is
            // skipped (the hot path of a run without --snapshot). The record alone still tells
            // the action, the caller and the resource.
            if let Some(r) = request::bare_request(event, &call) {
                finding::fill_request(&mut f, &r, snapshot);
            }
            let why = "insufficient_snapshot: no policy snapshot was given (--snapshot DIR)";
            finding::undecided(&mut f, why.to_owned(), aws.as_ref());
            return (f, Vec::new());
        }
        let requests = match request::requests_of(event, &call, snapshot) {
            Ok(r) if !r.is_empty() => r,
            Ok(_) => {
                let why =
                    "insufficient_snapshot: the record names no S3 request this tool can rebuild";
                finding::undecided(&mut f, why.to_owned(), aws.as_ref());
                return (f, Vec::new());
            }
            Err(e) => {
                let why = format!(
                    "insufficient_snapshot: the request cannot be rebuilt from the record: {e}"
                );
                finding::undecided(&mut f, why, aws.as_ref());
                return (f, Vec::new());
            }
        };
        let analyses: Vec<Analysis> = requests
            .into_iter()
            .map(|mut r| {
                self.session_tags(event, &mut r.request, &mut r.inferred);
                self.analyze(&call, r.request, r.inferred, r.gaps)
            })
            .collect();
        // CopyObject has two requests: the first that fails decides.
        let pick = analyses
            .iter()
            .position(|a| primary_of(a).is_some())
            .unwrap_or(0);
        if let Some(a) = analyses.get(pick) {
            finding::fill(&mut f, a, aws.as_ref(), snapshot);
        }
        (f, analyses)
    }

    fn authorize(&self, req: &Request, input: &AuthzInput) -> Arc<Evaluation> {
        self.cache.authorize(req, input)
    }

    /// The session policy of the caller's session: from the STS record that issued its key
    /// (or given to [`Diagnoser::with_session`]), else what the snapshot says (unknown for
    /// sessions).
    fn session_for(
        &self,
        call: &S3Call<'_>,
        req: &Request,
    ) -> (Option<SessionPolicies>, Option<String>) {
        if !matches!(
            req.principal.kind,
            PrincipalKind::AssumedRole | PrincipalKind::FederatedUser
        ) {
            return (None, None);
        }
        match call
            .access_key_id
            .and_then(|k| self.sessions.get(k).map(|s| (k, s)))
        {
            Some((k, s)) => {
                let src = self.evidence.session_policies.get(k).map(|e| {
                    format!(
                        "{} record {}",
                        e.issued_by,
                        e.event_id.as_deref().unwrap_or("?")
                    )
                });
                (Some(s.clone()), src)
            }
            None => (None, None),
        }
    }

    /// `aws:PrincipalTag/*` of a role session from the STS record that issued its key
    /// ([`session_facts::session_tag_keys`]).
    fn session_tags(&self, event: &Event, req: &mut Request, inferred: &mut Vec<String>) {
        if !matches!(
            req.principal.kind,
            PrincipalKind::AssumedRole | PrincipalKind::FederatedUser
        ) {
            return;
        }
        let record = event
            .user_identity
            .as_ref()
            .and_then(|i| i.access_key_id.as_deref())
            .and_then(|k| self.evidence.session_policies.get(k));
        if let Some(rec) = record {
            let role_tags = self.snapshot.principal_tags(&req.principal);
            // With the transitive tags of a role chain (super::session_chain).
            let records = &self.evidence.session_policies;
            let full = super::session_chain::completed(rec, records);
            session_facts::session_tag_keys(&mut req.context, role_tags, &full, inferred);
            inferred.extend(super::session_chain::note(rec, records));
        }
    }

    /// Every layer and rule for one request of `call`.
    pub fn analyze(
        &self,
        call: &S3Call<'_>,
        req: Request,
        inferred: Vec<String>,
        gaps: Vec<String>,
    ) -> Analysis {
        let snapshot = self.snapshot;
        let (session, session_source) = self.session_for(call, &req);
        let input = match session {
            Some(sess) => snapshot.authz_input_with_session(&req, sess),
            None => snapshot.authz_input(&req),
        };
        let evaluation = self.authorize(&req, &input);
        let blockers = blocker_views(&evaluation, &req);
        let verdict = decide::decide(&blockers, evaluation.allowed, &evaluation.unknowns);
        let mut extras = RuleExtras::default();
        let rules = self.s3_rules(call, &req, &input, verdict.primary.is_some(), &mut extras);
        Analysis {
            principal_for_policy: text::principal_for_policy(&req.principal),
            request: req,
            evaluation,
            verdict,
            rules,
            kms: extras.kms,
            list_bucket: extras.list_bucket,
            session_source,
            inferred,
            gaps,
        }
    }

    /// The registered S3 rules on one request of an S3 resource, in the contract's order.
    fn s3_rules(
        &self,
        call: &S3Call<'_>,
        req: &Request,
        input: &AuthzInput,
        policy_fails: bool,
        extras: &mut RuleExtras,
    ) -> Vec<RuleResult> {
        let s = self.snapshot;
        let Some((bucket, key)) = crate::snapshot::s3_bucket_and_key(&req.resource) else {
            return Vec::new();
        };
        let resource_account = req
            .resource_account
            .as_deref()
            .or(match s.bucket_owner(bucket) {
                Known::Known(o) => Some(o),
                Known::Unknown(_) => None,
            });
        let same_account = match (req.principal.account.as_deref(), resource_account) {
            (Some(c), Some(r)) => Some(c == r),
            _ => None,
        };
        let engine = |r: &Request, i: &AuthzInput| self.authorize(r, i);
        let cx = RuleCx {
            call,
            request: req,
            input,
            snapshot: s,
            evidence: self.evidence,
            kms_denials: &self.kms_denials,
            bucket,
            key,
            resource_account,
            same_account,
            policy_fails,
            engine: &engine,
        };
        rules::run(&cx, extras)
    }
}

/// Compiles one recovered session policy (inline document and managed ARNs).
fn compile_session(
    snapshot: &Snapshot,
    key: &str,
    s: &crate::scan::evidence::SessionPolicy,
) -> Known<Option<Vec<PolicyRef>>> {
    if let Some(none) = super::session_facts::federation_without_policy(key, s) {
        return Known::Known(Some(vec![none]));
    }
    let mut out = Vec::new();
    if let Some(doc) = &s.policy {
        match policy::Policy::parse_ref(format!("session-policy:{key}"), doc) {
            Ok(p) => out.push(p),
            Err(e) => {
                return Known::Unknown(format!(
                    "session policy of access key {key} does not parse: {e}"
                ))
            }
        }
    }
    for arn in &s.policy_arns {
        let account = crate::snapshot::Arn::parse(arn)
            .map(|a| a.account.to_owned())
            .unwrap_or_default();
        match snapshot.managed_policy(&account, arn) {
            Known::Known(p) => out.push(p),
            Known::Unknown(w) => {
                return Known::Unknown(format!("managed session policy {arn}: {w}"))
            }
        }
    }
    Known::Known((!out.is_empty()).then_some(out))
}

#[cfg(test)]
#[path = "diagnoser_tests.rs"]
mod tests;
