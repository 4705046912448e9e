//! Fills a [`Finding`]: the record's fields first ([`from_record`]), then the verdict from the
//! analysis that decides ([`fill`]): one path for a policy layer's cause and an S3 rule's.

use super::analysis::Analysis;
use super::aws_message::{self, AwsVerdict};
use super::decide::{self, Cause};
use super::remediation::{self, FixInput};
use super::request::S3Call;
use super::request_error;
use super::rule::{Fix, RuleOutcome};
use super::text;
use crate::findings::{AlsoFailing, DenyType, Finding, PolicyType, RootCause};
use crate::input::Origin;
use crate::policy::{Decision, Known, PrincipalKind};
use crate::record::Event;
use crate::snapshot::Snapshot;
use std::borrow::Cow;

/// The fields of a finding that come from the record alone; the verdict fields are left for
/// the diagnosis (`root_cause` is `unknown` until then, `request_error` for non-permission
/// codes). Bucket and key are the call's, read as the verdict reads them.
pub fn from_record(event: &Event, origin: &Origin, call: &S3Call<'_>) -> Finding {
    let bucket = call.bucket.as_deref().map(str::to_owned);
    let key = call.key.as_deref().map(str::to_owned);
    let resource_arn = bucket.as_deref().map(|b| call.s3_arn(b, key.as_deref()));
    let ident = event.user_identity.as_ref();
    let root_cause = if request_error::is_request_error(event.error_code.as_deref()) {
        RootCause::RequestError
    } else {
        RootCause::Unknown
    };
    Finding {
        event_id: event.id().to_owned(),
        event_time: event.event_time.clone(),
        event_name: event.event_name.clone(),
        action: None,
        principal_arn: ident.and_then(|i| i.arn.clone()),
        principal_account: ident.and_then(|i| i.account_id.clone()),
        resource_account: event.recipient_account_id.clone(),
        bucket,
        key,
        resource_arn,
        source_ip: event.source_ip_address.clone(),
        vpc_endpoint_id: event.vpc_endpoint_id.clone(),
        user_agent: event.user_agent.clone(),
        error_code: event.error_code.clone(),
        error_message: event.error_message.clone(),
        root_cause,
        aws_authorization_id: super::aws_message::authorization_id(event.error_message.as_deref()),
        source_object: Some(origin.object.to_string()),
        record_index: origin.record_index,
        ..Finding::default()
    }
}

/// A non-permission error code: decided from the record alone. `first` is the first request
/// the call makes, when it could be rebuilt (its action and resource still help grouping).
pub fn request_error(f: &mut Finding, code: &str, first: Option<(&str, &str)>) {
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
    if let Some((action, resource)) = first {
        f.action = Some(action.to_owned());
        f.resource_arn = Some(resource.to_owned());
    }
}

/// `unknown` before any analysis (no snapshot, no request to rebuild): `why` is the reason.
pub fn undecided(f: &mut Finding, why: String, aws: Option<&AwsVerdict>) {
    f.root_cause = RootCause::Unknown;
    f.reason = Some(with_aws(why, aws));
}

/// The primary cause of an analysis.
pub struct Primary<'x> {
    pub cause: &'x Cause,
    /// The policy cause an S3 rule replaces (Block Public Access over the missing bucket grant
    /// that a public ACL would otherwise have given), if any.
    pub replaces: Option<&'x Cause>,
}

/// FINDINGS.md "Which cause is primary": a failing policy layer first (the decide order);
/// only when none definitely fails, the first S3 rule that fires (the registry's order).
pub fn primary_of(a: &Analysis) -> Option<Primary<'_>> {
    match &a.verdict.primary {
        Some(c) => {
            // The engine does not evaluate ACLs: when the only failing layer is the missing
            // bucket grant and a public ACL grant was ignored by IgnorePublicAcls, BPA is why.
            let acl_bpa = a
                .hits()
                .map(|(_, h)| h)
                .find(|h| h.root_cause == RootCause::BlockPublicAccess && h.fix == Fix::PublicAcl);
            if let Some(h) = acl_bpa {
                if c.root_cause == RootCause::MissingAllow
                    && c.policy_type == Some(PolicyType::Resource)
                    && a.verdict.also.is_empty()
                {
                    return Some(Primary {
                        cause: h,
                        replaces: Some(c),
                    });
                }
            }
            Some(Primary {
                cause: c,
                replaces: None,
            })
        }
        // Only when no policy layer definitely fails: a definite S3 rule explains it, even
        // when some layer is unknown (the rule denies whatever that layer says).
        None => a
            .hits()
            .map(|(_, h)| h)
            .next()
            .filter(|h| h.fix != Fix::PublicAcl || a.verdict.all_allow)
            .map(|h| Primary {
                cause: h,
                replaces: None,
            }),
    }
}

/// Every failing cause besides the primary, in order: the policy cause an S3 rule replaced,
/// the other failing layers, the S3 rules that fire.
fn also_of(p: &Primary<'_>, a: &Analysis) -> Vec<AlsoFailing> {
    p.replaces
        .map(Cause::also)
        .into_iter()
        .chain(a.verdict.also.iter().map(Cause::also))
        .chain(
            a.hits()
                .filter(|(_, o)| !std::ptr::eq(*o, p.cause))
                .map(|(_, o)| o.also()),
        )
        .collect()
}

/// The fields that follow from the rebuilt request (FINDINGS.md derives `action` and the
/// caller from the event alone): filled with or without a snapshot ([`Snapshot::absent`]).
/// The snapshot, when it knows them, adds the bucket owner and the organization for
/// `caller_class`.
pub fn fill_request(f: &mut Finding, req: &crate::policy::Request, s: &Snapshot) {
    f.action = Some(req.action.clone());
    if f.bucket.is_none() {
        // A request through an access point named only by its alias: the bucket is the
        // snapshot's, as the request was rebuilt with it.
        if let Some((b, k)) = crate::snapshot::s3_bucket_and_key(&req.resource) {
            f.bucket = Some(b.to_owned());
            f.key = f.key.take().or(k.map(str::to_owned));
        }
    }
    if req.principal.kind == PrincipalKind::Anonymous {
        f.principal_arn = Some("anonymous".to_owned());
    } else if let Some(arn) = &req.principal.arn {
        f.principal_arn = Some(arn.clone());
    }
    if let Some(acct) = &req.principal.account {
        f.principal_account = Some(acct.clone());
    }
    let resource_account = f
        .bucket
        .as_deref()
        .and_then(|b| s.known_bucket_owner(b).map(str::to_owned))
        .or_else(|| req.resource_account.clone())
        .or_else(|| f.resource_account.clone());
    f.resource_account = resource_account.clone();
    f.resource_arn = Some(req.resource.clone());
    // An account missing from a captured member list is outside the organization.
    let members_known = s
        .organization
        .as_ref()
        .is_some_and(|o| matches!(o.accounts, Known::Known(_)));
    f.caller_class = text::caller_class(&req.principal, resource_account.as_deref(), |x, y| {
        // Without organization/ (no snapshot, or not captured) neither id is known.
        s.organization.as_ref()?;
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
}

/// Fills the verdict fields of the finding from the analysis that decides.
pub fn fill(f: &mut Finding, a: &Analysis, aws: Option<&AwsVerdict>, s: &Snapshot) {
    let req = &a.request;
    fill_request(f, req, s);
    let principal = text::principal_name(&req.principal);
    let mut also: Vec<AlsoFailing> = Vec::new();
    match primary_of(a) {
        Some(p) => {
            let c = p.cause;
            f.root_cause = c.root_cause;
            f.deny_type = c.deny_type;
            f.policy_type = c.policy_type;
            f.policy_id = c.policy_id.clone();
            f.statement_sid = c
                .statement_sid
                .clone()
                .filter(|_| c.deny_type == Some(DenyType::Explicit));
            // A policy layer's sentence depends on the account relation and the bucket.
            let detail: Cow<'_, str> = match c.layer {
                Some(_) => Cow::Owned(text::cause_detail(
                    c,
                    a.evaluation.same_account,
                    f.bucket.as_deref(),
                    a.evaluation
                        .layer(crate::policy::Layer::AccessPoint)
                        .is_some(),
                )),
                None => Cow::Borrowed(&c.detail),
            };
            f.reason = Some(text::reason(
                &principal,
                &req.action,
                &req.resource,
                &detail,
            ));
            let mut fi = fix_input(a, c, f);
            if c.layer.is_none() {
                if let Some((call, _)) = &a.kms {
                    fi.kms_key_arn = c.policy_id.as_deref();
                    fi.kms_action = Some(call.action);
                }
            }
            f.remediation = remediation::remediation(&fi);
            also = also_of(&p, a);
        }
        None => {
            f.root_cause = RootCause::Unknown;
            // The policy layers' gaps first; the S3 rules' only when the layers are known
            // (they usually repeat the same missing bucket).
            let mut missing: Vec<String> = a.verdict.unknown.clone();
            if missing.is_empty() {
                missing.extend(a.rules.iter().filter_map(|r| match &r.outcome {
                    RuleOutcome::Unknown(w) => Some(format!("{}: {w}", r.rule)),
                    _ => None,
                }));
            }
            missing.extend(a.gaps.iter().cloned());
            let why = if missing.is_empty() {
                "every policy layer in the snapshot allows it and no S3 setting explains the denial (snapshot drift since the event, or a condition key the record cannot give)".to_owned()
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
    let mut failing_types: Vec<PolicyType> = Vec::new();
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
        (Some(v), _) => {
            let mut failing: Vec<(PolicyType, Option<&str>)> = f
                .policy_type
                .map(|t| (t, f.policy_id.as_deref()))
                .into_iter()
                .chain(
                    f.also
                        .iter()
                        .filter_map(|x| x.policy_type.map(|t| (t, x.policy_id.as_deref()))),
                )
                .collect();
            // Types counted without a policy of their own (KMS through the rule).
            for t in &failing_types {
                if !failing.iter().any(|(x, _)| x == t) {
                    failing.push((*t, None));
                }
            }
            aws_message::disagrees_with_policies(Some(v), &failing)
        }
    };
}

/// The access point ARN a request went through (the engine's access point layer).
fn access_point_of(a: &Analysis) -> Option<&str> {
    a.evaluation.layer(crate::policy::Layer::AccessPoint)?;
    match a.request.context.get("s3:DataAccessPointArn") {
        crate::policy::KeyState::Present(v) => v.first().map(String::as_str),
        _ => None,
    }
}

fn fix_input<'b>(a: &'b Analysis, c: &'b Cause, f: &'b Finding) -> FixInput<'b> {
    FixInput {
        root_cause: Some(c.root_cause),
        policy_type: c.policy_type,
        explicit: c.deny_type == Some(DenyType::Explicit),
        policy_id: c.policy_id.as_deref(),
        statement_sid: c.statement_sid.as_deref(),
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
        fix: c.fix,
        access_point: access_point_of(a),
    }
}

/// AWS's own verdict from the error message, appended to a reason that names no cause.
pub fn with_aws(reason: String, aws: Option<&AwsVerdict>) -> String {
    match aws {
        Some(v) => format!("{reason}; AWS's message says: {}", v.describe()),
        None => reason,
    }
}
