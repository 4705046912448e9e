//! What the S3 rules outside the IAM policy layers share (Block Public Access, object
//! ownership, Requester Pays, KMS, missing object): their answer ([`RuleOutcome`]: explains
//! the denial, is clear, or cannot tell because the snapshot lacks something), what each reads
//! ([`RuleCx`]), and the trait each implements ([`S3Rule`]; the list is [`super::rules`]).

pub use super::cause::{Cause, Fix};
use super::request::S3Call;
use crate::policy::{AuthzInput, Evaluation, Request};
use crate::scan::evidence::{Evidence, KmsDenial};
use crate::snapshot::Snapshot;
use std::collections::HashMap;
use std::sync::Arc;

/// One S3 rule's answer for one request.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleOutcome {
    /// The rule explains the denial.
    Fires(Cause),
    /// The rule does not apply or is satisfied.
    Clear,
    /// The rule could explain it, but the snapshot lacks what decides (the string says what).
    Unknown(String),
}

/// What a firing rule reports: the one [`Cause`] type (kept under this name for the rules).
pub type RuleHit = Cause;

/// A request and the engine's answer on it (a rule's own engine call: KMS, s3:ListBucket).
pub type Evaluated = (Request, Arc<Evaluation>);

/// The KMS call S3 makes for a request, and its encryption context (built by
/// [`super::kms::kms_call`]; here so that the trace can carry it without an import loop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsCall {
    /// `kms:Decrypt` or `kms:GenerateDataKey`.
    pub action: &'static str,
    /// The key as configured or requested (id, ARN or alias): resolve through the snapshot.
    pub key: String,
    /// The `aws:s3:arn` encryption context value: the bucket ARN with S3 Bucket Keys,
    /// the object ARN otherwise.
    pub context_arn: String,
    pub bucket_key: bool,
    /// Where the key came from: `request header` or `bucket default encryption`.
    pub source: &'static str,
}

/// What one S3 rule reads: the typed call, the request the engine judged and its inputs, the
/// snapshot and the side evidence, and the facts every rule shares (computed once).
pub struct RuleCx<'x> {
    pub call: &'x S3Call<'x>,
    pub request: &'x Request,
    /// The policies the engine judged `request` with (the rules re-ask the engine with them).
    pub input: &'x AuthzInput,
    pub snapshot: &'x Snapshot,
    pub evidence: &'x Evidence,
    /// KMS denials of the logs by the `aws:s3:arn` their encryption context names.
    pub kms_denials: &'x HashMap<&'x str, Vec<&'x KmsDenial>>,
    /// The bucket and key of `request.resource`.
    pub bucket: &'x str,
    pub key: Option<&'x str>,
    /// The bucket owner's account (the request's, else the snapshot's).
    pub resource_account: Option<&'x str>,
    /// Whether the caller is in the bucket owner's account (`None` when unknown).
    pub same_account: Option<bool>,
    /// Some policy layer definitely fails: the rules that need more engine calls skip.
    pub policy_fails: bool,
    /// The engine (through the verdict cache).
    pub engine: &'x (dyn Fn(&Request, &AuthzInput) -> Arc<Evaluation> + Sync),
}

/// What a rule hands to the trace besides its outcome (the engine calls it made).
#[derive(Debug, Clone, Default)]
pub struct RuleExtras {
    /// The KMS call S3 would make, and the engine's answer on it.
    pub kms: Option<(KmsCall, Option<Evaluated>)>,
    /// The engine's answer on s3:ListBucket (missing-key rule), when asked.
    pub list_bucket: Option<Arc<Evaluation>>,
}

/// One S3 rule outside the IAM policy layers. Each lives in its own module, reads what it
/// needs from [`RuleCx`] (its adapter from the snapshot is its own), and is registered once in
/// [`super::rules::RULES`], whose order is FINDINGS.md's primary order among the S3 rules.
pub trait S3Rule: Sync {
    /// The rule's name in the trace (`block_public_access`, ...).
    fn name(&self) -> &'static str;
    /// The rule's answer, or `None` when it was not asked (not listed in the trace).
    fn check(&self, cx: &RuleCx<'_>, extras: &mut RuleExtras) -> Option<RuleOutcome>;
}
