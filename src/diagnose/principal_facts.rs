//! Condition keys whose presence AWS's documentation ties to facts the record or the snapshot
//! already holds: the organization keys, the MFA keys, the service-to-service source keys and
//! the access-point keys. Each is set, marked absent, marked "not ours"
//! ([`Context::set_not_matching`]), or left unknown only when the missing piece could change
//! the answer. Every rule quotes its page: the IAM User Guide's "AWS global condition context
//! keys" (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>,
//! each key's **Availability** paragraph) unless said otherwise.
//!
//! The request builder ([`super::request`]) calls these with plain inputs; they hold no state.

use crate::policy::{Context, Known, Principal, PrincipalKind};
use crate::record::Event;
use crate::snapshot::{Entity, OrgStanding, Snapshot};
use chrono::DateTime;

/// `aws:PrincipalOrgID`/`aws:PrincipalOrgPaths` (or the `Resource` pair: `id_key`,
/// `paths_key`) of an account that stands as `standing` towards the snapshot's organization.
///
/// "This key is included in the request context only if the principal is a member of an
/// organization" (aws:PrincipalOrgID, aws:PrincipalOrgPaths); `aws:ResourceOrgID`: "This key
/// is included in the request context only if the account that owns the resource is a member
/// of an organization." An account outside the organization has no such key or another
/// organization's: known not to be ours, and its paths start with another organization id.
pub fn org_keys(
    standing: OrgStanding<'_>,
    id_key: &str,
    paths_key: &str,
    ctx: &mut Context,
    notes: &mut impl NoteSink,
) {
    match standing {
        OrgStanding::Member { org_id, path } => {
            ctx.set(id_key, org_id);
            match path {
                Known::Known(p) => ctx.set_many(paths_key, vec![p.to_owned()]),
                Known::Unknown(why) => notes.note_gap(format!("{paths_key} unknown: {why}")),
            }
        }
        OrgStanding::NoOrganization => {
            ctx.mark_absent(id_key);
            ctx.mark_absent(paths_key);
        }
        OrgStanding::Outside { org_id } => {
            ctx.set_not_matching(id_key, vec![org_id.to_owned()]);
            ctx.set_not_matching(paths_key, vec![format!("{org_id}/*")]);
        }
        OrgStanding::Unknown(why) => notes.note_gap(format!("{id_key} unknown: {why}")),
    }
}

/// `aws:MultiFactorAuthPresent`, `aws:MultiFactorAuthAge`, `aws:TokenIssueTime`.
///
/// - aws:MultiFactorAuthPresent: "This key is included in the request context only when the
///   principal uses temporary credentials to make the request. The key is not present in AWS
///   CLI, AWS API, or AWS SDK requests that are made using long-term credentials." A
///   long-term access key is an `AKIA…` id (IAM User Guide, id_credentials_access-keys:
///   access key IDs beginning with `AKIA` are long-term, `ASIA` temporary).
/// - aws:MultiFactorAuthAge: "This key is included in the request context only if the
///   principal making the call was authenticated using MFA. If MFA was not used, this key is
///   not present."
/// - aws:TokenIssueTime: "They key is not present in AWS CLI, AWS API, or AWS SDK requests
///   that are made using access keys."
///
/// The record's `sessionContext.attributes` say whether the temporary credentials were
/// MFA-authenticated (`mfaAuthenticated`) and when they were issued (`creationDate`).
pub fn mfa_keys(event: &Event, kind: PrincipalKind, ctx: &mut Context, notes: &mut impl NoteSink) {
    let id = event.user_identity.as_ref();
    let attrs = id
        .and_then(|i| i.session_context.as_ref())
        .map(|s| &s.attributes);
    let long_term = id
        .and_then(|i| i.access_key_id.as_deref())
        .is_some_and(|k| k.starts_with("AKIA"));
    match attrs.and_then(|a| a.mfa_authenticated.as_deref()) {
        Some(v) if v.eq_ignore_ascii_case("true") => {
            ctx.set("aws:MultiFactorAuthPresent", "true");
            mfa_age(
                event.event_time.as_deref(),
                attrs.and_then(|a| a.creation_date.as_deref()),
                ctx,
                notes,
            );
        }
        Some(v) => {
            ctx.set("aws:MultiFactorAuthPresent", v.to_ascii_lowercase());
            ctx.mark_absent("aws:MultiFactorAuthAge");
        }
        None if long_term || matches!(kind, PrincipalKind::Anonymous | PrincipalKind::Service) => {
            for k in [
                "aws:MultiFactorAuthPresent",
                "aws:MultiFactorAuthAge",
                "aws:TokenIssueTime",
            ] {
                ctx.mark_absent(k);
            }
        }
        None => {}
    }
}

/// `aws:MultiFactorAuthAge` of an MFA-authenticated session: "the number of seconds since the
/// requesting principal was authorized using MFA". The record gives the time the session's
/// credentials were issued (`creationDate`), not the time of the MFA check; STS checks the
/// MFA code when it issues them (GetSessionToken, AssumeRole with `SerialNumber` and
/// `TokenCode`; a console sign-in), so the age is taken as `eventTime - creationDate`
/// (inferred, to about a second; AWS-NOTES.md calls it approximate).
fn mfa_age(
    event_time: Option<&str>,
    created: Option<&str>,
    ctx: &mut Context,
    notes: &mut impl NoteSink,
) {
    let parse = |t: Option<&str>| t.and_then(|t| DateTime::parse_from_rfc3339(t).ok());
    match (parse(event_time), parse(created)) {
        (Some(now), Some(then)) => {
            let age = (now - then).num_seconds().max(0);
            ctx.set("aws:MultiFactorAuthAge", age.to_string());
            notes.note_inferred(
                "aws:MultiFactorAuthAge: seconds from the session's creationDate (when STS checked the MFA code) to eventTime".to_owned(),
            );
        }
        _ => notes.note_gap(
            "aws:MultiFactorAuthAge unknown: the record has no readable creationDate or eventTime"
                .to_owned(),
        ),
    }
}

/// `aws:PrincipalTag/*` from the principal's IAM tags (`iam.json`).
///
/// aws:PrincipalTag: "This key is included in the request context if the principal is using an
/// IAM user with attached tags. It is included for a principal using an IAM role with attached
/// tags or session tags." An IAM user's tags are all in `iam.json`
/// (get-account-authorization-details lists each user's `Tags`): a tag key the user does not
/// have is absent. The root user, anonymous callers and service principals have none. A role
/// session may also carry session tags, which only the STS record shows
/// ([`super::session_facts::session_tag_keys`] completes the set when it is in the logs),
/// unless the role's trust policy allows no `sts:TagSession` (see
/// [`super::session_facts::trust_allows_tag_session`]): then the role's tags are all there is.
/// Otherwise the role's tags are set (a session tag of the same key would override them) and
/// any other key stays unknown.
pub fn principal_tag_keys(
    p: &Principal,
    snap: &Snapshot,
    ctx: &mut Context,
    notes: &mut impl NoteSink,
) {
    let kind = p.kind;
    match (kind, snap.principal_tags(p)) {
        (PrincipalKind::User | PrincipalKind::AssumedRole, Known::Known(tags)) => {
            for (k, v) in tags {
                ctx.set(&format!("aws:PrincipalTag/{k}"), v.clone());
            }
            if kind == PrincipalKind::User {
                ctx.mark_absent_prefix("aws:PrincipalTag/");
                return;
            }
            let trust = match snap.entity(p) {
                Known::Known(Some(Entity::Role(r))) => r.trust.as_ref(),
                _ => None,
            };
            if trust.is_some_and(|t| !super::session_facts::trust_allows_tag_session(t)) {
                ctx.mark_absent_prefix("aws:PrincipalTag/");
                notes.note_inferred(
                    "aws:PrincipalTag/*: the role's IAM tags only, because its trust policy allows no sts:TagSession (no session tags, no incoming transitive tags)"
                        .to_owned(),
                );
            } else if !tags.is_empty() {
                notes.note_inferred(
                    "aws:PrincipalTag/*: the role's IAM tags; session tags passed at AssumeRole (not in the snapshot) would override them"
                        .to_owned(),
                );
            }
        }
        // A federated user's principal tags are "the user's tags and the passed session tags"
        // (id_session-tags.html, GetFederationToken): the IAM user's, until the record adds its
        // session tags.
        (PrincipalKind::FederatedUser, Known::Known(tags)) => {
            for (k, v) in tags {
                ctx.set(&format!("aws:PrincipalTag/{k}"), v.clone());
            }
        }
        (PrincipalKind::User | PrincipalKind::AssumedRole, Known::Unknown(why)) => {
            notes.note_gap(format!("aws:PrincipalTag/* unknown: {why}"))
        }
        (PrincipalKind::Root | PrincipalKind::Anonymous | PrincipalKind::Service, _) => {
            ctx.mark_absent_prefix("aws:PrincipalTag/")
        }
        _ => {}
    }
}

/// `aws:SourceArn`, `aws:SourceAccount`, `aws:SourceOrgID`, `aws:SourceOrgPaths`.
///
/// aws:SourceArn / aws:SourceAccount: "This key is included in the request context only if
/// accessing a resource triggers an AWS service to call another service on behalf of the
/// resource owner." The page's overview: "the aws:SourceAccount condition key is only
/// available when the call to your resource is made directly by an AWS service principal."
/// A caller that is no service principal (`userIdentity.type` other than `AWSService`) and
/// that no service relayed (no `invokedBy`) made the call directly: the keys are absent. A
/// service principal's call may carry them: they stay unknown.
pub fn source_keys(event: &Event, kind: PrincipalKind, ctx: &mut Context) {
    let relayed = event
        .user_identity
        .as_ref()
        .and_then(|i| i.invoked_by.as_deref())
        .is_some_and(|s| !s.is_empty());
    if kind == PrincipalKind::Service || relayed {
        return;
    }
    for k in [
        "aws:SourceArn",
        "aws:SourceAccount",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
    ] {
        ctx.mark_absent(k);
    }
}

/// `s3:DataAccessPointArn`, `s3:DataAccessPointAccount`, `s3:AccessPointNetworkOrigin`.
///
/// Amazon S3 User Guide, "Configuring IAM policies for using access points"
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html>):
/// "Restrictions that you include in an access point policy apply only to requests made
/// through that access point. [...] All existing operations against the bucket not made
/// through your access point will continue to work as before." The access-point keys describe
/// the access point a request went through; a request to the bucket's own endpoint has none.
/// CloudTrail names an access point in `resources[]` as `AWS::S3::AccessPoint` (ARN
/// `arn:aws:s3:region:account-id:accesspoint/name`, S3 User Guide "Using access points"), and
/// S3 logs the endpoint as `requestParameters.Host`
/// (`<name>-<account>.s3-accesspoint.<region>.amazonaws.com`). A record with neither went to
/// the bucket: the keys are absent (inferred from the record's shape). Through an access
/// point its ARN and account are set; the network origin needs the access point's
/// configuration and stays unknown.
pub fn access_point_keys(event: &Event, ctx: &mut Context) {
    let ap = event
        .resources
        .iter()
        .find(|r| r.kind.as_deref() == Some("AWS::S3::AccessPoint"))
        .and_then(|r| r.arn.as_deref());
    if let Some(arn) = ap {
        ctx.set("s3:DataAccessPointArn", arn);
        if let Some(a) = crate::snapshot::Arn::parse(arn).filter(|a| !a.account.is_empty()) {
            ctx.set("s3:DataAccessPointAccount", a.account);
        }
        return;
    }
    let host = event
        .request_parameters
        .as_ref()
        .and_then(|p| p.get("Host"))
        .and_then(serde_json::Value::as_str);
    let via_access_point_host = host.is_some_and(|h| {
        let h = h.to_ascii_lowercase();
        h.contains("s3-accesspoint")
            || h.contains("s3-object-lambda")
            || h.contains("accesspoint.s3-global")
    });
    // Without a Host the bucket entry of resources[] is the only sign of the endpoint used.
    let names_bucket = event
        .resources
        .iter()
        .any(|r| r.kind.as_deref() == Some("AWS::S3::Bucket"));
    if !via_access_point_host && (host.is_some() || names_bucket) {
        for k in [
            "s3:DataAccessPointArn",
            "s3:DataAccessPointAccount",
            "s3:AccessPointNetworkOrigin",
        ] {
            ctx.mark_absent(k);
        }
    }
}

/// Where the key builders ([`org_keys`], [`principal_tag_keys`], `request::principal_context`)
/// report what they could not set, and what they set by inference. Here, below the request
/// builder that implements it for its notes, so that this file imports nothing of `request`.
pub trait NoteSink {
    fn note_gap(&mut self, what: String);
    /// A key set by inference; by default reported like a gap.
    fn note_inferred(&mut self, what: String) {
        self.note_gap(what);
    }
}

impl NoteSink for Vec<String> {
    fn note_gap(&mut self, what: String) {
        if !self.contains(&what) {
            self.push(what);
        }
    }
}

#[cfg(test)]
#[path = "principal_facts_tests.rs"]
mod tests;
