//! The diagnosis of one denied event: request → engine → primary cause → S3 rules → finding.
//!
//! A function transform (vector's `FunctionTransform`): [`Diagnoser::diagnose`] takes one
//! event and returns one finding, from any thread, in any order. It reads the snapshot, the
//! side evidence the scan kept, and the engine's verdict cache; it never does I/O.
//! [`Diagnoser::analyze`] keeps every intermediate result, which is what `explain` prints, so
//! the trace and the finding cannot drift apart.

use super::aws_message::{self, AwsVerdict};
use super::block_public_access::{self as bpa, Asker, BpaSettings};
use super::decide::{self, Cause, LayerView, PolicyVerdict};
use super::kms::{self, DefaultEncryption, KeySide, KmsCall};
use super::object_not_found::{self, KeyPresence};
use super::object_ownership::{self, ObjectOwner, Ownership};
use super::remediation::{self, FixInput};
use super::request;
use super::requester_pays;
use super::rule::{RuleHit, RuleOutcome};

/// Evaluations kept by the verdict cache. An evaluation carries its whole trace (every policy
/// and statement looked at, for `explain`): about 6 KB each on the benchmark snapshot, so this
/// is about 13 MB when full. The cache keys only on the context keys the policies read
/// (`aws:CurrentTime` or the object key do not split it needlessly), so a run over millions of
/// similar denials still evaluates each distinct situation about once. Measured on the 2 GB
/// benchmark tree, 131,072 entries cost 85 MB of peak memory and were no faster than 1,024.
const VERDICT_CACHE_CAPACITY: usize = 2048;
use super::text;
use super::{finding_from_record, request_error};
use crate::findings::{AlsoFailing, DenyType, Finding, PolicyType, RootCause};
use crate::input::Origin;
use crate::policy::{
    self, AuthzInput, Decision, Evaluation, Known, Layer, PolicyRef, PrincipalKind, Request,
};
use crate::record::Event;
use crate::scan::evidence::{Evidence, ObjectKey};
use crate::scan::Wanted;
use crate::snapshot::{ObjectOwnership, Payer, Snapshot};
use std::collections::HashMap;
use std::sync::Arc;

/// A request and the engine's answer on it.
pub type Evaluated = (Request, Arc<Evaluation>);

/// Session policies as the engine takes them.
type SessionPolicies = Known<Option<Vec<PolicyRef>>>;

/// Seconds between an S3 event and a KMS denial that belongs to it.
const KMS_WINDOW_SECS: i64 = 300;

/// Everything one diagnosis reads; shared by all threads.
pub struct Diagnoser<'a> {
    snapshot: Option<&'a Snapshot>,
    evidence: &'a Evidence,
    /// Session policies by access key id, compiled once from the STS evidence.
    sessions: HashMap<String, Known<Option<Vec<PolicyRef>>>>,
    /// KMS denials by the `aws:s3:arn` their encryption context names (object or bucket).
    kms_denials: HashMap<&'a str, Vec<&'a kms::KmsDenial>>,
    cache: crate::policy::VerdictCache,
}

/// One S3 rule's result, named.
#[derive(Debug, Clone)]
pub struct RuleResult {
    pub rule: &'static str,
    pub outcome: RuleOutcome,
}

/// The whole analysis of one request (what `explain` prints).
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

impl<'a> Diagnoser<'a> {
    pub fn new(snapshot: Option<&'a Snapshot>, evidence: &'a Evidence) -> Diagnoser<'a> {
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
        let mut f = finding_from_record(event, origin);
        f.snapshot_taken_at = self
            .snapshot
            .and_then(|s| s.taken_at)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let aws = aws_message::parse(event.error_code.as_deref(), event.error_message.as_deref());

        if let Some(code) = event
            .error_code
            .as_deref()
            .filter(|c| request_error::is_request_error(Some(c)))
        {
            f.root_cause = RootCause::RequestError;
            f.reason = Some(format!(
                "{} failed with {code}: {}",
                f.event_name.as_deref().unwrap_or("the request"),
                request_error::meaning(code)
            ));
            f.remediation = Some(request_error::remediation(
                code,
                f.bucket.as_deref(),
                f.key.as_deref(),
            ));
            // The action and principal still help grouping; the verdict does not need them.
            if let Ok(reqs) = request::requests(event, self.snapshot) {
                if let Some(r) = reqs.first() {
                    f.action = Some(r.request.action.clone());
                    f.resource_arn = Some(r.request.resource.clone());
                }
            }
            return (f, Vec::new());
        }
        let Some(snapshot) = self.snapshot else {
            f.root_cause = RootCause::Unknown;
            f.reason = Some(with_aws(
                "insufficient_snapshot: no policy snapshot was given (--snapshot DIR)".to_owned(),
                aws.as_ref(),
            ));
            return (f, Vec::new());
        };
        let requests = match request::requests(event, Some(snapshot)) {
            Ok(r) if !r.is_empty() => r,
            Ok(_) => {
                f.reason = Some(with_aws(
                    "insufficient_snapshot: the record names no S3 request this tool can rebuild"
                        .to_owned(),
                    aws.as_ref(),
                ));
                return (f, Vec::new());
            }
            Err(e) => {
                f.reason = Some(with_aws(
                    format!(
                        "insufficient_snapshot: the request cannot be rebuilt from the record: {e}"
                    ),
                    aws.as_ref(),
                ));
                return (f, Vec::new());
            }
        };
        let analyses: Vec<Analysis> = requests
            .into_iter()
            .map(|r| self.analyze(event, r.request, r.inferred, r.gaps))
            .collect();
        // CopyObject has two requests: the first that fails decides.
        let pick = analyses
            .iter()
            .position(|a| primary_of(a).is_some())
            .unwrap_or(0);
        if let Some(a) = analyses.get(pick) {
            self.fill(&mut f, event, a, aws.as_ref(), snapshot);
        }
        (f, analyses)
    }

    fn authorize(&self, req: &Request, input: &AuthzInput) -> Arc<Evaluation> {
        self.cache.authorize(req, input)
    }

    /// The session policy of the caller's session: from the STS record that issued its key,
    /// else what the snapshot says (unknown for sessions).
    fn session_for(
        &self,
        event: &Event,
        req: &Request,
    ) -> (Option<SessionPolicies>, Option<String>) {
        if !matches!(
            req.principal.kind,
            PrincipalKind::AssumedRole | PrincipalKind::FederatedUser
        ) {
            return (None, None);
        }
        let key = event
            .user_identity
            .as_ref()
            .and_then(|i| i.access_key_id.as_deref());
        match key.and_then(|k| self.sessions.get(k).map(|s| (k, s))) {
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

    /// Every layer and rule for one request.
    pub fn analyze(
        &self,
        event: &Event,
        req: Request,
        inferred: Vec<String>,
        gaps: Vec<String>,
    ) -> Analysis {
        let snapshot = self.snapshot;
        let (session, session_source) = self.session_for(event, &req);
        let input = match (snapshot, session) {
            (Some(s), Some(sess)) => s.authz_input_with_session(&req, sess),
            (Some(s), None) => s.authz_input(&req),
            (None, _) => unknown_input(),
        };
        let evaluation = self.authorize(&req, &input);
        let blockers = blocker_views(&evaluation, &req);
        let verdict = decide::decide(&blockers, evaluation.allowed, &evaluation.unknowns);

        let mut a = Analysis {
            request: req,
            evaluation,
            verdict,
            rules: Vec::new(),
            kms: None,
            list_bucket: None,
            session_source,
            principal_for_policy: String::new(),
            inferred,
            gaps,
        };
        a.principal_for_policy = text::principal_for_policy(&a.request.principal);
        if let Some(s) = snapshot {
            self.s3_rules(event, &input, &mut a, s);
        }
        a
    }

    /// Block Public Access, object ownership, Requester Pays, KMS, missing key, in the
    /// contract's order.
    fn s3_rules(&self, event: &Event, input: &AuthzInput, a: &mut Analysis, s: &Snapshot) {
        let req = &a.request;
        let Some((bucket_name, key)) = crate::snapshot::s3_bucket_and_key(&req.resource) else {
            return;
        };
        let bucket_name = bucket_name.to_owned();
        let key = key.map(str::to_owned);
        let bucket = s.bucket(&bucket_name);
        let resource_account = req
            .resource_account
            .clone()
            .or_else(|| known(s.bucket_owner(&bucket_name)).map(str::to_owned));
        let caller_account = req.principal.account.clone();
        let same_account = match (&caller_account, &resource_account) {
            (Some(c), Some(r)) => Some(c == r),
            _ => None,
        };
        let anonymous = req.principal.kind == PrincipalKind::Anonymous;
        let asker = match req.principal.kind {
            PrincipalKind::Anonymous => Asker::Anonymous,
            PrincipalKind::Service => Asker::AwsService,
            _ => match same_account {
                Some(true) => Asker::SameAccount,
                Some(false) => Asker::CrossAccount,
                None => Asker::Unknown,
            },
        };

        // Block Public Access.
        let settings = match s.effective_public_access_block(&bucket_name) {
            Known::Known(Some(p)) => BpaSettings {
                block_public_acls: Some(p.block_public_acls),
                ignore_public_acls: Some(p.ignore_public_acls),
                block_public_policy: Some(p.block_public_policy),
                restrict_public_buckets: Some(p.restrict_public_buckets),
            },
            Known::Known(None) => BpaSettings {
                block_public_acls: Some(false),
                ignore_public_acls: Some(false),
                block_public_policy: Some(false),
                restrict_public_buckets: Some(false),
            },
            Known::Unknown(_) => BpaSettings::default(),
        };
        let policy_doc = match &input.resource {
            Known::Known(Some(p)) => Some(p.document.clone()),
            _ => None,
        };
        let mut bpa_outcome = bpa::check_policy(settings, policy_doc.as_ref(), asker);
        if bpa_outcome == RuleOutcome::Clear {
            if let Known::Known(b) = &bucket {
                if let Known::Known(acl) = &b.acl {
                    let acl_json = acl_to_json(acl);
                    bpa_outcome = bpa::check_acl(settings, Some(&acl_json), &req.action, asker);
                }
            }
        }
        a.rules.push(RuleResult {
            rule: "block_public_access",
            outcome: bpa_outcome,
        });

        // Object ownership.
        let ownership = match &bucket {
            Known::Known(b) => match &b.ownership {
                Known::Known(Some(ObjectOwnership::BucketOwnerEnforced)) => {
                    Known::Known(Ownership::BucketOwnerEnforced)
                }
                Known::Known(Some(ObjectOwnership::BucketOwnerPreferred)) => {
                    Known::Known(Ownership::BucketOwnerPreferred)
                }
                Known::Known(Some(ObjectOwnership::ObjectWriter)) => {
                    Known::Known(Ownership::ObjectWriter)
                }
                Known::Known(Some(ObjectOwnership::Other(o))) => {
                    Known::Unknown(format!("unrecognized Object Ownership `{o}`"))
                }
                Known::Known(None) => Known::Known(Ownership::NotConfigured),
                Known::Unknown(w) => Known::Unknown(w.clone()),
            },
            Known::Unknown(w) => Known::Unknown(w.clone()),
        };
        let owner = key
            .as_deref()
            .map(|k| self.object_owner(s, &bucket_name, k, resource_account.as_deref()))
            .unwrap_or(ObjectOwner::Unknown);
        a.rules.push(RuleResult {
            rule: "object_ownership",
            outcome: object_ownership::check(
                &req.action,
                caller_account.as_deref(),
                &ownership,
                &owner,
                None,
            ),
        });

        // Requester Pays.
        let rp = match &bucket {
            Known::Known(b) => match &b.request_payment {
                Known::Known(p) => Known::Known(*p == Payer::Requester),
                Known::Unknown(w) => Known::Unknown(w.clone()),
            },
            Known::Unknown(w) => Known::Unknown(w.clone()),
        };
        a.rules.push(RuleResult {
            rule: "requester_pays",
            outcome: requester_pays::check(
                &rp,
                same_account,
                anonymous,
                requester_pays::header_sent(event),
            ),
        });

        // KMS and the missing key need more engine calls; they only matter when no policy
        // layer fails (they would only add to `also` otherwise).
        let policy_fails = a.verdict.primary.is_some();

        // KMS.
        let default = match &bucket {
            Known::Known(b) => match &b.encryption {
                Known::Known(Some(e)) => Some(DefaultEncryption {
                    algorithm: e.algorithm.clone(),
                    kms_key_id: e.kms_key_id.clone(),
                    bucket_key_enabled: e.bucket_key_enabled,
                }),
                _ => None,
            },
            _ => None,
        };
        let kms_outcome = match kms::kms_call(
            event,
            &req.action,
            &bucket_name,
            key.as_deref(),
            default.as_ref(),
        ) {
            None => RuleOutcome::Clear,
            Some(_) if policy_fails => return,
            Some(call) => {
                let (outcome, eval) =
                    self.kms_rule(event, req, input, &call, &bucket_name, key.as_deref(), s);
                a.kms = Some((call, eval));
                outcome
            }
        };
        a.rules.push(RuleResult {
            rule: "kms",
            outcome: kms_outcome,
        });

        // Missing key.
        if object_not_found::applies(&req.action) && !policy_fails {
            let presence = match key.as_deref() {
                Some(k) => self.key_presence(s, &bucket_name, k),
                None => KeyPresence::Unknown("no key in the record".to_owned()),
            };
            let (list, eval) = if presence == KeyPresence::Present {
                (Known::Known(true), None)
            } else {
                let mut lreq = req.clone();
                lreq.action = "s3:ListBucket".to_owned();
                lreq.resource = format!("arn:aws:s3:::{bucket_name}");
                let linput = s.authz_input_with_session(&lreq, input.session.clone());
                let e = self.authorize(&lreq, &linput);
                let k = match e.allowed {
                    Some(b) => Known::Known(b),
                    None => Known::Unknown(e.unknowns.join("; ")),
                };
                (k, Some(e))
            };
            a.list_bucket = eval;
            a.rules.push(RuleResult {
                rule: "object_not_found",
                outcome: object_not_found::check(&req.action, &presence, &list),
            });
        }
    }

    fn object_owner(
        &self,
        s: &Snapshot,
        bucket: &str,
        key: &str,
        bucket_owner: Option<&str>,
    ) -> ObjectOwner {
        if let Known::Known(Some(entry)) = s.object(bucket, key) {
            if let Some(id) = entry.owner_id.as_deref() {
                if let Some(acct) = s.account_by_canonical_id(id) {
                    return ObjectOwner::Account {
                        account: acct.to_owned(),
                        source: "owner in objects.json".to_owned(),
                    };
                }
            }
        }
        if let Some(w) = self
            .evidence
            .foreign_writes
            .get(&ObjectKey::new(bucket, key))
        {
            if Some(&*w.writer_account) != bucket_owner {
                return ObjectOwner::Account {
                    account: w.writer_account.to_string(),
                    source: format!(
                        "written by {} {} without bucket-owner-full-control",
                        w.event_name,
                        w.event_id.as_deref().unwrap_or("?")
                    ),
                };
            }
        }
        ObjectOwner::Unknown
    }

    fn key_presence(&self, s: &Snapshot, bucket: &str, key: &str) -> KeyPresence {
        let k = ObjectKey::new(bucket, key);
        if let Some(d) = self.evidence.deletions.get(&k) {
            return KeyPresence::Absent(format!(
                "deleted by DeleteObject {} at {}",
                d.event_id.as_deref().unwrap_or("?"),
                d.event_time.as_deref().unwrap_or("?")
            ));
        }
        if self.evidence.foreign_writes.contains_key(&k) {
            return KeyPresence::Present;
        }
        match s.object(bucket, key) {
            Known::Known(Some(_)) => KeyPresence::Present,
            Known::Known(None) => {
                KeyPresence::Absent("not in the bucket's complete objects.json listing".to_owned())
            }
            Known::Unknown(why) => KeyPresence::Unknown(why),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn kms_rule(
        &self,
        event: &Event,
        req: &Request,
        input: &AuthzInput,
        call: &KmsCall,
        bucket: &str,
        key: Option<&str>,
        s: &Snapshot,
    ) -> (RuleOutcome, Option<Evaluated>) {
        let object_arn = match key {
            Some(k) => format!("arn:aws:s3:::{bucket}/{k}"),
            None => format!("arn:aws:s3:::{bucket}"),
        };
        let bucket_arn = format!("arn:aws:s3:::{bucket}");
        let principal_arn = event.user_identity.as_ref().and_then(|i| i.arn.as_deref());
        let denial = [&object_arn, &bucket_arn]
            .into_iter()
            .filter_map(|arn| self.kms_denials.get(arn.as_str()))
            .flatten()
            .find(|kd| {
                kms::correlates(
                    kd,
                    principal_arn,
                    &object_arn,
                    &bucket_arn,
                    event.event_time.as_deref(),
                    KMS_WINDOW_SECS,
                )
            })
            .copied();
        let kms_key = match s.kms_key(&call.key) {
            Known::Known(k) => k,
            Known::Unknown(why) => {
                if call.key == "alias/aws/s3" {
                    // The AWS managed key's policy allows every principal of its own account
                    // through S3, and nobody else: other accounts cannot use AWS managed keys.
                    let cross = match (&req.principal.account, &req.resource_account) {
                        (Some(c), Some(r)) => Some(c != r),
                        _ => None,
                    };
                    let outcome = match cross {
                        Some(false) => RuleOutcome::Clear,
                        Some(true) => RuleOutcome::Fires(RuleHit {
                            root_cause: RootCause::Kms,
                            deny_type: Some(DenyType::Implicit),
                            policy_type: Some(PolicyType::KmsKey),
                            policy_id: Some(format!(
                                "arn:aws:kms:{}:{}:alias/aws/s3",
                                event.aws_region.as_deref().unwrap_or("<region>"),
                                req.resource_account.as_deref().unwrap_or("<account>")
                            )),
                            statement_sid: None,
                            detail: format!(
                                "the object is encrypted with the AWS managed key aws/s3 of the bucket's account, which other accounts cannot use ({})",
                                call.action
                            ),
                            fix_hint: None,
                        }),
                        None => RuleOutcome::Unknown(
                            "whether the caller is in the account of the AWS managed key aws/s3".to_owned(),
                        ),
                    };
                    return (outcome, None);
                }
                let outcome = match &denial {
                    Some(d) => RuleOutcome::Fires(RuleHit {
                        root_cause: RootCause::Kms,
                        deny_type: Some(DenyType::Implicit),
                        policy_type: Some(PolicyType::KmsKey),
                        policy_id: d.key_arn.clone().or_else(|| Some(call.key.clone())),
                        statement_sid: None,
                        detail: format!(
                            "KMS refused {} for this object (record {})",
                            d.event_name, d.event_id
                        ),
                        fix_hint: None,
                    }),
                    None => RuleOutcome::Unknown(format!("KMS key {}: {why}", call.key)),
                };
                return (outcome, None);
            }
        };
        let mut kreq = req.clone();
        kreq.action = call.action.to_owned();
        kreq.resource = kms_key.arn.clone();
        kreq.resource_account = Some(kms_key.account.clone());
        kreq.context
            .set("kms:EncryptionContext:aws:s3:arn", call.context_arn.clone());
        if let Some(region) = event.aws_region.as_deref() {
            kreq.context
                .set("kms:ViaService", format!("s3.{region}.amazonaws.com"));
        }
        if let Some(acct) = &req.principal.account {
            kreq.context.set("kms:CallerAccount", acct.clone());
        }
        // S3 calls KMS with the caller's credentials (forward access sessions): the call comes
        // via an AWS service, not through the caller's network path, so the caller's endpoint
        // is absent and the source IP KMS sees is not in the record.
        kreq.context.set("aws:ViaAWSService", "true");
        kreq.context.mark_absent("aws:SourceVpce");
        kreq.context.forget("aws:sourceip");
        let mut kinput = s.authz_input_with_session(&kreq, input.session.clone());
        // S3 calls KMS itself: the caller's VPC endpoint is not on that path.
        kinput.vpc_endpoint = Known::Known(None);
        let e = self.authorize(&kreq, &kinput);
        let layer = |l: Layer| {
            e.layer(l)
                .map(|t| t.decision)
                .unwrap_or(Decision::NotApplicable)
        };
        let key_policy = layer(Layer::Resource);
        let deny_statement = e
            .layer(Layer::Resource)
            .and_then(|t| t.matched_deny.first())
            .map(|s| s.statement.clone());
        let delegates = e
            .layer(Layer::Resource)
            .and_then(|t| t.grant_form)
            .is_some_and(|f| f == policy::Form::Account);
        let mut caller_side = Decision::Allow;
        let mut caller_deny = None;
        let mut unknown = Vec::new();
        for l in [
            Layer::Rcp,
            Layer::Scp,
            Layer::Identity,
            Layer::PermissionsBoundary,
            Layer::SessionPolicy,
        ] {
            let Some(t) = e.layer(l) else { continue };
            match t.decision {
                Decision::ExplicitDeny => {
                    caller_side = Decision::ExplicitDeny;
                    if caller_deny.is_none() {
                        caller_deny = t.matched_deny.first().map(|s| {
                            (
                                decide::policy_type(l),
                                s.policy_id.clone(),
                                Some(s.statement.clone()),
                            )
                        });
                    }
                }
                Decision::ImplicitDeny if caller_side != Decision::ExplicitDeny => {
                    caller_side = Decision::ImplicitDeny
                }
                Decision::Unknown => {
                    if caller_side == Decision::Allow {
                        caller_side = Decision::Unknown;
                    }
                    unknown.push(
                        t.missing
                            .clone()
                            .unwrap_or_else(|| decide::policy_type(l).as_str().to_owned()),
                    );
                }
                _ => {}
            }
        }
        if key_policy == Decision::Unknown {
            unknown.push(
                e.layer(Layer::Resource)
                    .and_then(|t| t.missing.clone())
                    .unwrap_or_else(|| format!("key policy of {}", kms_key.arn)),
            );
        }
        let side = KeySide {
            key_arn: kms_key.arn.clone(),
            key_policy,
            deny_statement,
            delegates_to_iam: delegates,
            caller_side,
            caller_deny,
            cross_account: req.principal.account.as_deref() != Some(kms_key.account.as_str()),
            unknown: (!unknown.is_empty()).then(|| unknown.join("; ")),
        };
        (kms::check(call, &side, denial), Some((kreq, e)))
    }

    /// Fills the verdict fields of the finding from one analysis.
    fn fill(
        &self,
        f: &mut Finding,
        event: &Event,
        a: &Analysis,
        aws: Option<&AwsVerdict>,
        s: &Snapshot,
    ) {
        let req = &a.request;
        f.action = Some(req.action.clone());
        if req.principal.kind == PrincipalKind::Anonymous {
            f.principal_arn = Some("anonymous".to_owned());
        } else if let Some(arn) = &req.principal.arn {
            f.principal_arn = Some(arn.clone());
        }
        if let Some(acct) = &req.principal.account {
            f.principal_account = Some(acct.clone());
        }
        let bucket = f.bucket.clone();
        let resource_account = bucket
            .as_deref()
            .and_then(|b| known(s.bucket_owner(b)).map(str::to_owned))
            .or_else(|| req.resource_account.clone())
            .or_else(|| event.recipient_account_id.clone());
        f.resource_account = resource_account.clone();
        f.resource_arn = Some(req.resource.clone());
        // An account missing from a captured member list is outside the organization.
        let members_known = s
            .organization
            .as_ref()
            .is_some_and(|o| matches!(o.accounts, Known::Known(_)));
        f.caller_class = text::caller_class(&req.principal, resource_account.as_deref(), |x, y| {
            match (s.org_id(x), s.org_id(y)) {
                (Known::Known(Some(a)), Known::Known(Some(b))) => Some(a == b),
                (Known::Known(None), _) | (_, Known::Known(None)) => Some(false),
                (Known::Known(Some(_)), Known::Unknown(_))
                | (Known::Unknown(_), Known::Known(Some(_)))
                    if members_known =>
                {
                    Some(false)
                }
                _ => None,
            }
        });

        let principal = text::principal_name(&req.principal);
        let same_account = a.evaluation.same_account;
        let hits: Vec<(&'static str, &RuleHit)> = a
            .rules
            .iter()
            .filter_map(|r| match &r.outcome {
                RuleOutcome::Fires(h) => Some((r.rule, h)),
                _ => None,
            })
            .collect();
        let rule_unknowns: Vec<String> = a
            .rules
            .iter()
            .filter_map(|r| match &r.outcome {
                RuleOutcome::Unknown(w) => Some(format!("{}: {w}", r.rule)),
                _ => None,
            })
            .collect();

        let mut also: Vec<AlsoFailing> = Vec::new();
        let mut failing_types: Vec<PolicyType> = Vec::new();
        let primary = primary_of(a);
        match primary {
            Some(Primary::Policy(c)) => {
                self.set_cause(f, c);
                f.reason = Some(text::reason(
                    &principal,
                    &req.action,
                    &req.resource,
                    &text::cause_detail(c, same_account, bucket.as_deref()),
                ));
                f.remediation = remediation::remediation(&self.fix_input(
                    a,
                    c.root_cause,
                    c.policy_type,
                    c.deny_type,
                    c.policy_id.as_deref(),
                    c.statement_sid.as_deref(),
                    None,
                    f,
                ));
                also.extend(a.verdict.also.iter().map(Cause::also));
                also.extend(hits.iter().map(|(_, h)| hit_also(h)));
            }
            Some(Primary::Rule(h, demoted)) => {
                f.root_cause = h.root_cause;
                f.deny_type = h.deny_type;
                f.policy_type = h.policy_type;
                f.policy_id = h.policy_id.clone();
                f.statement_sid = h
                    .statement_sid
                    .clone()
                    .filter(|_| h.deny_type == Some(DenyType::Explicit));
                f.reason = Some(text::reason(
                    &principal,
                    &req.action,
                    &req.resource,
                    &h.detail,
                ));
                let (kms_key, kms_action) = a
                    .kms
                    .as_ref()
                    .map(|(c, _)| (h.policy_id.as_deref(), Some(c.action)))
                    .unwrap_or((None, None));
                let mut fi = self.fix_input(
                    a,
                    h.root_cause,
                    h.policy_type,
                    h.deny_type,
                    h.policy_id.as_deref(),
                    h.statement_sid.as_deref(),
                    h.fix_hint,
                    f,
                );
                fi.kms_key_arn = kms_key;
                fi.kms_action = kms_action;
                f.remediation = remediation::remediation(&fi);
                if let Some(c) = demoted {
                    also.push(c.also());
                }
                also.extend(a.verdict.also.iter().map(Cause::also));
                also.extend(
                    hits.iter()
                        .filter(|(_, o)| !std::ptr::eq(*o, h))
                        .map(|(_, o)| hit_also(o)),
                );
            }
            None => {
                f.root_cause = RootCause::Unknown;
                // The policy layers' gaps first; the S3 rules' only when the layers are known
                // (they usually repeat the same missing bucket).
                let mut missing: Vec<String> = a.verdict.unknown.clone();
                if missing.is_empty() {
                    missing.extend(rule_unknowns);
                }
                missing.extend(a.gaps.iter().cloned());
                let why = if missing.is_empty() {
                    format!(
                        "every policy layer in the snapshot allows it and no S3 setting explains the denial (snapshot drift since the event, or a condition key the record cannot give{})",
                        a.session_source.as_ref().map(|_| String::new()).unwrap_or_default()
                    )
                } else {
                    format!("insufficient_snapshot: {}", missing.join("; "))
                };
                f.reason = Some(with_aws(
                    text::reason(&principal, &req.action, &req.resource, &why),
                    aws,
                ));
            }
        }
        // A layer that denies explicitly usually lacks the Allow too: name it once.
        let explicit_types: Vec<Option<PolicyType>> = std::iter::once(&*f)
            .filter(|x| x.deny_type == Some(DenyType::Explicit))
            .map(|x| x.policy_type)
            .chain(
                also.iter()
                    .filter(|x| x.deny_type == Some(DenyType::Explicit))
                    .map(|x| x.policy_type),
            )
            .collect();
        also.retain(|x| {
            !(x.deny_type == Some(DenyType::Implicit)
                && x.policy_type.is_some()
                && explicit_types.contains(&x.policy_type))
        });
        also.dedup();
        if let Some(t) = f.policy_type {
            failing_types.push(t);
        }
        failing_types.extend(also.iter().filter_map(|x| x.policy_type));
        if f.root_cause == RootCause::Kms || also.iter().any(|x| x.root_cause == RootCause::Kms) {
            failing_types.push(PolicyType::KmsKey);
        }
        f.also = also;
        f.disagrees_with_aws = match (aws, f.root_cause) {
            (None, _) => None,
            // The engine could not decide: consistent when AWS names a layer the snapshot could
            // not evaluate; a disagreement when every layer the snapshot holds allows.
            (Some(v), RootCause::Unknown) => {
                let undecided: Vec<PolicyType> = a
                    .evaluation
                    .layers
                    .iter()
                    .filter(|t| t.decision == Decision::Unknown)
                    .map(|t| decide::policy_type(t.layer))
                    .collect();
                Some(!v.policy_types.iter().any(|t| undecided.contains(t)))
            }
            // S3 names a denial of s3:ListBucket for a missing key (AWS-NOTES row 17).
            (Some(v), RootCause::ObjectNotFound)
                if v.action
                    .as_deref()
                    .is_some_and(|x| x.eq_ignore_ascii_case("s3:ListBucket")) =>
            {
                Some(false)
            }
            (Some(v), _) => aws_message::disagrees(Some(v), &failing_types),
        };
    }

    fn set_cause(&self, f: &mut Finding, c: &Cause) {
        f.root_cause = c.root_cause;
        f.deny_type = c.deny_type;
        f.policy_type = c.policy_type;
        f.policy_id = c.policy_id.clone();
        f.statement_sid = c
            .statement_sid
            .clone()
            .filter(|_| c.deny_type == Some(DenyType::Explicit));
    }

    #[allow(clippy::too_many_arguments)]
    fn fix_input<'b>(
        &self,
        a: &'b Analysis,
        root_cause: RootCause,
        policy_type: Option<PolicyType>,
        deny_type: Option<DenyType>,
        policy_id: Option<&'b str>,
        sid: Option<&'b str>,
        hint: Option<&'static str>,
        f: &'b Finding,
    ) -> FixInput<'b> {
        FixInput {
            root_cause: Some(root_cause),
            policy_type,
            explicit: deny_type == Some(DenyType::Explicit),
            policy_id,
            statement_sid: sid,
            principal: &a.principal_for_policy,
            identity_arn: a.request.principal.role_arn.as_deref().or(a
                .request
                .principal
                .arn
                .as_deref()),
            action: &a.request.action,
            resource_arn: &a.request.resource,
            bucket: f.bucket.as_deref(),
            key: f.key.as_deref(),
            kms_key_arn: None,
            kms_action: None,
            detail: hint,
        }
    }
}

/// The primary cause of an analysis.
enum Primary<'x> {
    Policy(&'x Cause),
    /// An S3 rule; the policy cause it replaces (Block Public Access over the missing bucket
    /// grant that a public ACL would otherwise have given), if any.
    Rule(&'x RuleHit, Option<&'x Cause>),
}

fn primary_of(a: &Analysis) -> Option<Primary<'_>> {
    let first_hit = a.rules.iter().find_map(|r| match &r.outcome {
        RuleOutcome::Fires(h) => Some(h),
        _ => None,
    });
    match &a.verdict.primary {
        Some(c) => {
            // The engine does not evaluate ACLs: when the only failing layer is the missing
            // bucket grant and a public ACL grant was ignored by IgnorePublicAcls, BPA is why.
            let acl_bpa = a.rules.iter().find_map(|r| match &r.outcome {
                RuleOutcome::Fires(h)
                    if h.root_cause == RootCause::BlockPublicAccess
                        && h.fix_hint == Some("acl") =>
                {
                    Some(h)
                }
                _ => None,
            });
            if let Some(h) = acl_bpa {
                if c.root_cause == RootCause::MissingAllow
                    && c.policy_type == Some(PolicyType::Resource)
                    && a.verdict.also.is_empty()
                {
                    return Some(Primary::Rule(h, Some(c)));
                }
            }
            Some(Primary::Policy(c))
        }
        None => {
            // Only when no policy layer definitely fails: a definite S3 rule explains it, even
            // when some layer is unknown (the rule denies whatever that layer says).
            first_hit
                .filter(|h| h.fix_hint != Some("acl") || a.verdict.all_allow)
                .map(|h| Primary::Rule(h, None))
        }
    }
}

fn hit_also(h: &RuleHit) -> AlsoFailing {
    AlsoFailing {
        root_cause: h.root_cause,
        deny_type: h.deny_type,
        policy_type: h.policy_type,
        policy_id: h.policy_id.clone(),
    }
}

fn with_aws(reason: String, aws: Option<&AwsVerdict>) -> String {
    match aws {
        Some(v) => format!("{reason}; AWS's message says: {}", v.describe()),
        None => reason,
    }
}

/// The engine's blockers as the decision needs them, with the contract's policy ids.
fn blocker_views(e: &Evaluation, req: &Request) -> Vec<LayerView> {
    e.blockers
        .iter()
        .map(|b| {
            let (policy_id, statement) = if b.deny == Decision::ExplicitDeny {
                (
                    b.statements
                        .first()
                        .map(|s| s.policy_id.clone())
                        .or_else(|| b.policy_id.clone()),
                    b.statements.first().map(|s| s.statement.clone()),
                )
            } else {
                let id =
                    match b.layer {
                        Layer::Identity => req
                            .principal
                            .role_arn
                            .clone()
                            .or_else(|| req.principal.arn.clone())
                            .or_else(|| b.policy_id.clone()),
                        Layer::Resource => crate::snapshot::s3_bucket_and_key(&req.resource)
                            .map(|(bk, _)| format!("bucket-policy:{bk}"))
                            .or_else(|| b.policy_id.clone()),
                        Layer::Scp | Layer::Rcp => {
                            let level = b.level.clone();
                            let pols = e
                                .layer(b.layer)
                                .and_then(|t| {
                                    t.levels
                                        .iter()
                                        .find(|lv| Some(&lv.target_id) == level.as_ref())
                                })
                                .map(|lv| {
                                    lv.policies
                                        .iter()
                                        .map(|p| p.policy_id.clone())
                                        .collect::<Vec<_>>()
                                })
                                .unwrap_or_default();
                            if pols.len() == 1 {
                                pols.into_iter().next()
                            } else {
                                level
                            }
                        }
                        Layer::VpcEndpoint => b.policy_id.clone().or_else(|| {
                            match req.context.get("aws:SourceVpce") {
                                crate::policy::KeyState::Present(v) => v.first().cloned(),
                                _ => None,
                            }
                        }),
                        _ => b.policy_id.clone(),
                    };
                (id, None)
            };
            LayerView {
                layer: b.layer,
                decision: b.deny,
                policy_id,
                statement,
                unknown: None,
            }
        })
        .collect()
}

fn unknown_input() -> AuthzInput {
    let u = || "no policy snapshot".to_owned();
    AuthzInput {
        identity: Known::Unknown(u()),
        boundary: Known::Unknown(u()),
        session: Known::Unknown(u()),
        resource: Known::Unknown(u()),
        scp: Known::Unknown(u()),
        rcp: Known::Unknown(u()),
        vpc_endpoint: Known::Unknown(u()),
    }
}

/// Compiles one recovered session policy (inline document and managed ARNs).
fn compile_session(
    snapshot: Option<&Snapshot>,
    key: &str,
    s: &crate::scan::evidence::SessionPolicy,
) -> Known<Option<Vec<PolicyRef>>> {
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
        match snapshot.map(|snap| snap.managed_policy(&account, arn)) {
            Some(Known::Known(p)) => out.push(p),
            Some(Known::Unknown(w)) => {
                return Known::Unknown(format!("managed session policy {arn}: {w}"))
            }
            None => return Known::Unknown(format!("managed session policy {arn}: no snapshot")),
        }
    }
    Known::Known((!out.is_empty()).then_some(out))
}

fn known<T>(k: Known<T>) -> Option<T> {
    match k {
        Known::Known(v) => Some(v),
        Known::Unknown(_) => None,
    }
}

/// The snapshot's ACL as the `get-bucket-acl` JSON the BPA check reads.
fn acl_to_json(acl: &crate::snapshot::Acl) -> serde_json::Value {
    use crate::snapshot::Grantee;
    let grants: Vec<serde_json::Value> = acl
        .grants
        .iter()
        .map(|g| {
            let grantee = match &g.grantee {
                Grantee::Group(uri) => serde_json::json!({"Type": "Group", "URI": uri}),
                Grantee::CanonicalUser(id) => {
                    serde_json::json!({"Type": "CanonicalUser", "ID": id})
                }
                Grantee::Email(e) => {
                    serde_json::json!({"Type": "AmazonCustomerByEmail", "EmailAddress": e})
                }
                Grantee::Other(t) => serde_json::json!({"Type": t}),
            };
            serde_json::json!({"Grantee": grantee, "Permission": g.permission})
        })
        .collect();
    serde_json::json!({"Grants": grants})
}
