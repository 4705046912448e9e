//! What `explain` prints for one event: the reconstructed request, every layer's result with
//! its statements (the engine's own trace renderer), the S3 rules, the verdict and the fix.
//! Built from the same [`Analysis`] the finding came from, so the two cannot disagree.

use super::analysis::Analysis;
use super::aws_message::{self, AwsVerdict};
use super::rule::RuleOutcome;
use crate::findings::Finding;
use crate::policy::{self, Evaluation, Request};
use crate::record::Event;
use serde::Serialize;
use std::fmt::Write;

/// The JSON form of an explanation.
#[derive(Debug, Serialize)]
pub struct Explanation<'a> {
    pub event_id: &'a str,
    pub event_name: Option<&'a str>,
    pub event_time: Option<&'a str>,
    pub error_code: Option<&'a str>,
    pub error_message: Option<&'a str>,
    /// One entry per request the event makes (two for CopyObject).
    pub requests: Vec<RequestTrace<'a>>,
    pub finding: &'a Finding,
}

#[derive(Debug, Serialize)]
pub struct RequestTrace<'a> {
    pub request: &'a Request,
    pub evaluation: &'a Evaluation,
    /// Context keys a policy needed that neither the record nor the snapshot gives.
    pub unknowns: &'a [String],
    /// What the record or snapshot lacked for those keys (the text's "why those keys are
    /// unknown"); left out when there is nothing to say.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_key_notes: Vec<String>,
    pub session_policy_source: Option<&'a str>,
    pub s3_rules: Vec<RuleTrace<'a>>,
    pub kms: Option<KmsTrace<'a>>,
    pub list_bucket: Option<&'a Evaluation>,
}

#[derive(Debug, Serialize)]
pub struct RuleTrace<'a> {
    pub rule: &'static str,
    pub result: &'static str,
    pub detail: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct KmsTrace<'a> {
    pub action: &'static str,
    pub key: &'a str,
    pub encryption_context_aws_s3_arn: &'a str,
    pub bucket_key: bool,
    pub key_from: &'static str,
    pub evaluation: Option<&'a Evaluation>,
}

fn rule_traces(a: &Analysis) -> Vec<RuleTrace<'_>> {
    a.rules
        .iter()
        .map(|r| {
            let (result, detail) = match &r.outcome {
                RuleOutcome::Fires(h) => ("explains the denial", Some(h.detail.as_str())),
                RuleOutcome::Clear => ("clear", None),
                RuleOutcome::Unknown(w) => ("unknown", Some(w.as_str())),
            };
            RuleTrace {
                rule: r.rule,
                result,
                detail,
            }
        })
        .collect()
}

/// Builds the JSON form.
pub fn explanation<'a>(
    event: &'a Event,
    analyses: &'a [Analysis],
    finding: &'a Finding,
) -> Explanation<'a> {
    Explanation {
        event_id: event.id(),
        event_name: event.event_name.as_deref(),
        event_time: event.event_time.as_deref(),
        error_code: event.error_code.as_deref(),
        error_message: event.error_message.as_deref(),
        requests: analyses.iter().map(request_trace).collect(),
        finding,
    }
}

/// The JSON form of one request's analysis (`explain` prints one per request, `simulate` its
/// one).
pub fn request_trace(a: &Analysis) -> RequestTrace<'_> {
    RequestTrace {
        request: &a.request,
        evaluation: &a.evaluation,
        unknowns: &a.evaluation.unknowns,
        unknown_key_notes: unknown_key_notes(a),
        session_policy_source: a.session_source.as_deref(),
        s3_rules: rule_traces(a),
        kms: a.kms.as_ref().map(|(c, e)| KmsTrace {
            action: c.action,
            key: &c.key,
            encryption_context_aws_s3_arn: &c.context_arn,
            bucket_key: c.bucket_key,
            key_from: c.source,
            evaluation: e.as_ref().map(|(_, e)| e.as_ref()),
        }),
        list_bucket: a.list_bucket.as_deref(),
    }
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}\n")).collect()
}

/// The text form: what an incident responder pastes into a ticket.
pub fn render_text(event: &Event, analyses: &[Analysis], f: &Finding) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "event {} — {} at {} ({})",
        event.id(),
        event.event_name.as_deref().unwrap_or("?"),
        event.event_time.as_deref().unwrap_or("?"),
        f.source_object.as_deref().unwrap_or("stdin")
    );
    let _ = writeln!(
        out,
        "error: {} — {}",
        event.error_code.as_deref().unwrap_or("-"),
        event.error_message.as_deref().unwrap_or("-")
    );
    if let Some(t) = &f.snapshot_taken_at {
        let _ = writeln!(out, "snapshot taken at: {t}");
    }
    out.push_str(&render_requests(analyses));
    let aws = aws_message::parse(event.error_code.as_deref(), event.error_message.as_deref());
    out.push_str(&render_verdict(f, aws.as_ref()));
    out
}

/// Each request's trace: the engine's own renderer, the session policy's source, the S3
/// rules, the KMS call (shared by `explain` and `simulate`).
pub fn render_requests(analyses: &[Analysis]) -> String {
    let mut out = String::new();
    for (i, a) in analyses.iter().enumerate() {
        let _ = writeln!(out, "\n== request {} of {}", i + 1, analyses.len());
        out.push_str(&indent(
            &policy::render_text(&a.request, &a.evaluation),
            "  ",
        ));
        if let Some(src) = &a.session_source {
            let _ = writeln!(out, "  session policy recovered from {src}");
        }
        let notes = unknown_key_notes(a);
        if !notes.is_empty() {
            out.push_str("  why those keys are unknown:\n");
            for n in notes {
                let _ = writeln!(out, "    {n}");
            }
        }
        out.push_str("  S3 rules outside the policy layers:\n");
        for r in rule_traces(a) {
            let _ = writeln!(
                out,
                "    {:<20} {}{}",
                r.rule,
                r.result,
                r.detail.map(|d| format!(": {d}")).unwrap_or_default()
            );
        }
        if let Some((c, e)) = &a.kms {
            let _ = writeln!(
                out,
                "  KMS call S3 makes: {} on {} (encryption context aws:s3:arn = {}{}; key from {})",
                c.action,
                c.key,
                c.context_arn,
                if c.bucket_key { ", S3 Bucket Key" } else { "" },
                c.source
            );
            if let Some((r, e)) = e {
                out.push_str(&indent(&policy::render_text(r, e), "    "));
            }
        }
    }
    out
}

/// What the request builder noted of the keys the engine reports unknown (which record or
/// snapshot piece is missing, e.g. "aws:SourceVpcArn unknown: endpoint `vpce-1` ..."): the
/// engine only knows that no value was given.
fn unknown_key_notes(a: &Analysis) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (key, _) in policy::explain::unknown_keys(&a.request, &a.evaluation) {
        for n in a.gaps.iter().chain(&a.inferred) {
            if note_is_about(n, &key) && !out.contains(n) {
                out.push(n.clone());
            }
        }
    }
    out
}

/// Whether a note (`KEY[, KEY] unknown: why`, `aws:PrincipalTag/*: ...`) speaks of `key`
/// (lowercase).
fn note_is_about(note: &str, key: &str) -> bool {
    let head = note.split(": ").next().unwrap_or("");
    head.split([',', ' ']).any(|t| {
        let t = t.to_ascii_lowercase();
        match t.strip_suffix('*') {
            Some(prefix) if !prefix.is_empty() => key.starts_with(prefix),
            _ => !t.is_empty() && t == key,
        }
    })
}

/// The verdict: the finding's cause fields, what else fails, AWS's message, the fix.
pub fn render_verdict(f: &Finding, aws: Option<&AwsVerdict>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n== verdict");
    let _ = writeln!(out, "root_cause:   {}", f.root_cause);
    if let Some(d) = f.deny_type {
        let _ = writeln!(
            out,
            "deny_type:    {}",
            serde_json::to_value(d)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        );
    }
    if let Some(t) = f.policy_type {
        let _ = writeln!(out, "policy_type:  {}", t.as_str());
    }
    if let Some(p) = &f.policy_id {
        let _ = writeln!(out, "policy_id:    {p}");
    }
    if let Some(s) = &f.statement_sid {
        let _ = writeln!(out, "statement:    {s}");
    }
    if let Some(r) = &f.reason {
        let _ = writeln!(out, "reason:       {r}");
    }
    for a in &f.also {
        let _ = writeln!(
            out,
            "also failing: {}{}{}",
            a.root_cause,
            a.policy_type
                .map(|t| format!(" ({})", t.as_str()))
                .unwrap_or_default(),
            a.policy_id
                .as_deref()
                .map(|p| format!(" {p}"))
                .unwrap_or_default()
        );
    }
    match (aws, f.disagrees_with_aws) {
        (Some(v), Some(true)) => {
            let _ = writeln!(
                out,
                "AWS's message: {} — DISAGREES with the snapshot (drift?)",
                v.describe()
            );
        }
        (Some(v), _) => {
            let _ = writeln!(out, "AWS's message: {} — consistent", v.describe());
        }
        (None, _) => {}
    }
    if let Some(id) = &f.aws_authorization_id {
        let _ = writeln!(
            out,
            "AWS authorization id: {id} (aws iam-toolbox get-request-authorization-details --authorization-id {id})"
        );
    }
    if let Some(r) = &f.remediation {
        let _ = writeln!(out, "fix:          {r}");
    }
    out
}

#[cfg(test)]
mod note_tests {
    use super::note_is_about;

    #[test]
    fn notes_are_matched_to_the_keys_they_name() {
        let n = "aws:SourceVpc, aws:SourceVpcArn unknown: no snapshot to find the VPC of vpce-1";
        assert!(note_is_about(n, "aws:sourcevpcarn"));
        assert!(note_is_about(n, "aws:sourcevpc"));
        assert!(!note_is_about(n, "aws:sourcevpce"));
        let t = "aws:PrincipalTag/*: tags inherited in a role chain unknown: ...";
        assert!(note_is_about(t, "aws:principaltag/team"));
        assert!(!note_is_about(t, "aws:resourcetag/team"));
    }
}
