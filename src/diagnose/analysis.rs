//! The whole analysis of one request: what the diagnoser computed, what the finding is filled
//! from and what `explain` and `simulate` print, so that none of them can drift apart.

use super::decide::PolicyVerdict;
use super::rule::{Cause, Evaluated, KmsCall, RuleOutcome};
use super::rules::RuleResult;
use crate::policy::{Evaluation, Request};
use std::sync::Arc;

/// The whole analysis of one request.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub request: Request,
    pub evaluation: Arc<Evaluation>,
    pub verdict: PolicyVerdict,
    pub rules: Vec<RuleResult>,
    /// The KMS call S3 would make, and the engine's answer on it.
    pub kms: Option<(KmsCall, Option<Evaluated>)>,
    /// The engine's answer on s3:ListBucket (missing-key rule), when asked.
    pub list_bucket: Option<Arc<Evaluation>>,
    /// Where the session policy came from, when the caller is a session.
    pub session_source: Option<String>,
    /// The principal as a policy statement should name it (remediation).
    pub principal_for_policy: String,
    /// Context keys the request builder set or marked absent by inference (`key: why`).
    pub inferred: Vec<String>,
    /// What the record lacks that the verdict may depend on.
    pub gaps: Vec<String>,
}

impl Analysis {
    /// The S3 rules that explain the denial, in the registry's order.
    pub fn hits(&self) -> impl Iterator<Item = (&'static str, &Cause)> {
        self.rules.iter().filter_map(|r| match &r.outcome {
            RuleOutcome::Fires(h) => Some((r.rule, h)),
            _ => None,
        })
    }
}
