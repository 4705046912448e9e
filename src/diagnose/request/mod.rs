//! The engine's [`Request`]s for one CloudTrail S3 record: who (from `userIdentity`), which
//! IAM action(s) (from `eventName`, through [`super::actions`]), on which ARN, and every
//! condition key the record can rebuild (AWS-NOTES.md, "What CloudTrail gives the engine").
//!
//! The request context uses the three states of [`Context`] on purpose:
//! - **set** what the record states (`sourceIPAddress` → `aws:SourceIp`, ...);
//! - **absent** what AWS would not have had either (no `vpcEndpointId` → no `aws:SourceVpce`;
//!   not a list call → no `s3:prefix`; a user's long-term key → no `aws:MultiFactorAuthPresent`);
//! - **unknown** (left unset) what AWS had but the record cannot give (`aws:Referer`,
//!   `s3:ExistingObjectTag/*`, `aws:SourceArn`, a principal tag the snapshot lacks, ...).
//!
//! A few keys are set or marked absent by inference rather than by a documented rule (plain
//! HTTP recorded as a missing `CipherSuite`, a header that CloudTrail did not log taken as not
//! sent, `invokedBy` as `aws:ViaAWSService`): each is listed in [`BuiltRequest::inferred`], so a
//! verdict that hinges on one can say so.

pub mod access_point;
pub mod express;
mod keys;
mod principal;
mod read;
pub mod simulated;
pub mod vpc_arn;

use keys::{network_keys, resource_keys, s3_request_keys, service_keys, time_keys, transport_keys};
use principal::{principal, principal_keys};
pub use principal::{principal_context, principal_from_arn, NoteSink};
pub use read::RequestError;
use read::{header, param, set_opt, Located, Notes};

use super::actions::{s3_action, S3Action, Target};
use crate::policy::{Context, Request};
use crate::record::Event;
use crate::snapshot::Snapshot;
use percent_encoding::percent_decode_str;
use std::borrow::Cow;

/// Which part of the API call a request is: most calls need one action; CopyObject and
/// UploadPartCopy also read the source; an ACL or tagging header needs its own action too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Main,
    /// `s3:GetObject` on the copy source.
    CopySource,
    /// An action the headers add (`s3:PutObjectAcl` for `x-amz-acl`, `s3:PutObjectTagging`).
    Additional,
}

/// One request to authorize, with what the record could not say.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltRequest {
    pub request: Request,
    pub part: Part,
    /// Keys set or marked absent by inference, each as `key: why`.
    pub inferred: Vec<String>,
    /// What the record lacks that the verdict may depend on (hidden caller ARN, DeleteObjects'
    /// keys, an endpoint the snapshot does not know, ...).
    pub gaps: Vec<String>,
}

/// Builds the request(s) of one S3 record. `snapshot` resolves hidden cross-account callers,
/// the bucket's owner, `aws:SourceVpc`, `aws:PrincipalOrgID` and `aws:PrincipalTag/*`;
/// without one ([`Snapshot::absent`]) those stay unknown.
pub fn requests(event: &Event, snapshot: &Snapshot) -> Result<Vec<BuiltRequest>, RequestError> {
    requests_of(event, &S3Call::from_event(event), snapshot)
}

/// The main request of an S3 record without its condition keys: what a finding says of the
/// call (action, caller, resource) when there is no snapshot to judge it against, at a
/// fraction of [`requests_of`]'s cost (no context is built). `None` when the record names no
/// request this tool can rebuild.
pub fn bare_request(event: &Event, call: &S3Call<'_>) -> Option<Request> {
    if event.event_source.as_deref() != Some("s3.amazonaws.com") {
        return requests_of(event, call, Snapshot::absent())
            .ok()?
            .into_iter()
            .next()
            .map(|r| r.request);
    }
    let mut notes = Notes::default();
    let head = head(event, call, Snapshot::absent(), &mut notes).ok()?;
    Some(Request {
        principal: head.principal,
        action: head.action.to_owned(),
        resource: head.target.arn,
        resource_account: head.target.account,
        context: Context::default(),
    })
}

/// What every request of an S3 record starts from: the operation, its IAM action, the caller
/// and the resource (through an access point when the record went through one).
struct Head<'s> {
    name: &'s str,
    action: &'static str,
    principal: crate::policy::Principal,
    via_ap: Option<access_point::Found<'s>>,
    target: Located,
}

/// [`Head`] of an `s3.amazonaws.com` record; the condition keys are left to the caller.
fn head<'s>(
    event: &'s Event,
    call: &S3Call<'_>,
    snapshot: &'s Snapshot,
    notes: &mut Notes,
) -> Result<Head<'s>, RequestError> {
    let name = event
        .event_name
        .as_deref()
        .ok_or(RequestError::NoEventName)?;
    let mapping = s3_action(name).ok_or_else(|| RequestError::Unmapped(name.to_owned()))?;
    let principal = principal(event, snapshot, notes)?;
    let via_ap = access_point::find(event, snapshot);
    let ap_bucket = via_ap
        .as_ref()
        .and_then(|f| f.bucket(snapshot, event.aws_region.as_deref()));
    let target = locate(event, mapping, call.partition, snapshot, ap_bucket)?;
    let action = match (call.headers.version_id, mapping.versioned) {
        (Some(_), Some(v)) => v,
        _ => mapping.action,
    };
    Ok(Head {
        name,
        action,
        principal,
        via_ap,
        target,
    })
}

/// [`requests`] for a record whose [`S3Call`] is already built: the headers that add an
/// action or a source come from the call.
pub fn requests_of(
    event: &Event,
    call: &S3Call<'_>,
    snapshot: &Snapshot,
) -> Result<Vec<BuiltRequest>, RequestError> {
    match event.event_source.as_deref() {
        Some("s3.amazonaws.com") => {}
        Some(express::S3EXPRESS_SOURCE) => return express::requests(event, call, snapshot),
        other => return Err(RequestError::NotS3(other.unwrap_or("").to_owned())),
    }
    let mut notes = Notes::default();
    let Head {
        name,
        action,
        principal,
        via_ap,
        target,
    } = head(event, call, snapshot, &mut notes)?;
    let partition = call.partition;
    if name == "DeleteObjects" {
        notes.gap("DeleteObjects does not log the deleted keys: the object ARN is `bucket/*`, and a policy scoped to some keys cannot be judged".to_owned());
    }

    let mut base = Context::default();
    network_keys(event, snapshot, &mut base, &mut notes);
    transport_keys(event, &principal, &mut base, &mut notes);
    time_keys(event, &mut base, &mut notes);
    principal_keys(event, &principal, snapshot, &mut base, &mut notes);
    service_keys(event, &principal, &mut base, &mut notes);
    crate::diagnose::principal_facts::source_keys(event, principal.kind, &mut base);
    match &via_ap {
        Some(found) => found.keys(&mut base, &mut notes),
        None => crate::diagnose::principal_facts::access_point_keys(event, &mut base),
    }
    set_opt(&mut base, "aws:UserAgent", event.user_agent.as_deref());
    set_opt(
        &mut base,
        "aws:RequestedRegion",
        event.aws_region.as_deref(),
    );

    let version = call.headers.version_id;
    let mut main_ctx = base.clone();
    resource_keys(&target, snapshot, &mut main_ctx, &mut notes);
    s3_request_keys(event, name, version, &mut main_ctx, &mut notes);

    let mut out = vec![];
    let make = |action: &str,
                resource: &str,
                account: Option<String>,
                context: Context,
                part: Part,
                notes: &Notes| BuiltRequest {
        request: Request {
            principal: principal.clone(),
            action: action.to_owned(),
            resource: resource.to_owned(),
            resource_account: account,
            context,
        },
        part,
        inferred: notes.inferred.clone(),
        gaps: notes.gaps.clone(),
    };

    // CopyObject / UploadPartCopy: s3:GetObject on the source too.
    if matches!(name, "CopyObject" | "UploadPartCopy") {
        match call.headers.copy_source.and_then(copy_source) {
            Some((sb, sk, sv)) => {
                let arn = format!("arn:{partition}:s3:::{sb}/{sk}");
                let account = snapshot.known_bucket_owner(&sb).map(str::to_owned);
                let mut ctx = base.clone();
                let src = Located {
                    bucket: Some(sb),
                    arn: arn.clone(),
                    account: account.clone(),
                };
                resource_keys(&src, snapshot, &mut ctx, &mut notes);
                s3_request_keys(event, "GetObject", sv.as_deref(), &mut ctx, &mut notes);
                let action = if sv.is_some() { "s3:GetObjectVersion" } else { "s3:GetObject" };
                out.push(make(action, &arn, account, ctx, Part::CopySource, &notes));
            }
            None => notes.gap(format!(
                "{name} without a readable x-amz-copy-source: the s3:GetObject on the source cannot be checked"
            )),
        }
    }

    out.insert(
        0,
        make(
            action,
            &target.arn,
            target.account.clone(),
            main_ctx.clone(),
            Part::Main,
            &notes,
        ),
    );

    // Headers that need their own action (using-with-s3-policy-actions: PutObject with an ACL
    // needs s3:PutObjectAcl, with tagging s3:PutObjectTagging; CreateBucket with an ACL needs
    // s3:PutBucketAcl).
    let writes_object = matches!(
        name,
        "PutObject" | "PostObject" | "CopyObject" | "CreateMultipartUpload"
    );
    let sends_acl = call.headers.acl.is_some() || call.headers.grant;
    if writes_object && sends_acl {
        out.push(make(
            "s3:PutObjectAcl",
            &target.arn,
            target.account.clone(),
            main_ctx.clone(),
            Part::Additional,
            &notes,
        ));
    }
    if writes_object && call.headers.tagging {
        out.push(make(
            "s3:PutObjectTagging",
            &target.arn,
            target.account.clone(),
            main_ctx.clone(),
            Part::Additional,
            &notes,
        ));
    }
    if name == "CreateBucket" && sends_acl {
        out.push(make(
            "s3:PutBucketAcl",
            &target.arn,
            target.account.clone(),
            main_ctx.clone(),
            Part::Additional,
            &notes,
        ));
    }
    // Actions the operation always adds, and those its headers add (actions.rs).
    for extra in super::actions::extra_actions(name, version.is_some()) {
        out.push(make(
            extra,
            &target.arn,
            target.account.clone(),
            main_ctx.clone(),
            Part::Additional,
            &notes,
        ));
    }
    for (h, extra) in super::actions::header_actions(name) {
        let on = header(event, h).is_some_and(|v| !v.eq_ignore_ascii_case("false"));
        if on && !out.iter().any(|b| b.request.action == *extra) {
            out.push(make(
                extra,
                &target.arn,
                target.account.clone(),
                main_ctx.clone(),
                Part::Additional,
                &notes,
            ));
        }
    }
    if call.headers.bypass_governance {
        out.push(make(
            "s3:BypassGovernanceRetention",
            &target.arn,
            target.account.clone(),
            main_ctx,
            Part::Additional,
            &notes,
        ));
    }
    // Every part carries every note (a gap found while building the source applies to the
    // call as a whole).
    for b in &mut out {
        b.inferred = notes.inferred.clone();
        b.gaps = notes.gaps.clone();
    }
    Ok(out)
}

/// The S3 call one record describes, typed: everything the diagnosis reads of the call after
/// the request builder (the rules, the finding, the KMS join), so that nothing downstream reads
/// the CloudTrail [`Event`] and each header is read by one rule ([`header`]: `requestParameters`
/// then `additionalEventData`, names compared case-blind, empty values ignored). `simulate`
/// builds the same type from its command line ([`S3Call::default`] plus the flags).
///
/// Borrowed from the record: building it allocates only when the bucket or key comes from
/// `resources[]` instead of `requestParameters`.
#[derive(Debug, Clone, PartialEq)]
pub struct S3Call<'a> {
    /// The S3 API (`eventName`).
    pub api: Option<&'a str>,
    pub bucket: Option<Cow<'a, str>>,
    pub key: Option<Cow<'a, str>>,
    /// The ARN partition of the call's region (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: &'static str,
    pub region: Option<&'a str>,
    /// When the call was made (`eventTime`, RFC 3339).
    pub time: Option<&'a str>,
    /// The caller's ARN as the record gives it (`userIdentity.arn`).
    pub caller_arn: Option<&'a str>,
    /// The caller's access key (`userIdentity.accessKeyId`): finds its session policy.
    pub access_key_id: Option<&'a str>,
    pub headers: Headers<'a>,
    /// The logged request as it is (`requestParameters`, `additionalEventData`): the Block
    /// Public Access write checks read the ACL or policy a write carries from it.
    pub logged: Logged<'a>,
}

/// The record's request and its extra data, borrowed (`None` for a simulated call).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Logged<'a> {
    pub request_parameters: Option<&'a serde_json::Value>,
    pub additional_event_data: Option<&'a serde_json::Value>,
}

impl<'a> Logged<'a> {
    /// A request header as S3 logs it: a `requestParameters` entry (header names are
    /// case-insensitive, and some tools log them in other cases), else an
    /// `additionalEventData` entry; empty values ignored. The one header reader of the
    /// diagnosis ([`read::header`] reads a record through it).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        let find = |v: Option<&'a serde_json::Value>| {
            v.and_then(serde_json::Value::as_object)?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.as_str())
                .filter(|s| !s.is_empty())
        };
        find(self.request_parameters).or_else(|| find(self.additional_event_data))
    }
}

/// The request headers and parameters S3 logs that a rule or a condition key reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers<'a> {
    /// `x-amz-request-payer`.
    pub request_payer: Option<&'a str>,
    /// `x-amz-acl`.
    pub acl: Option<&'a str>,
    /// Any `x-amz-grant-*` header.
    pub grant: bool,
    /// `x-amz-tagging`.
    pub tagging: bool,
    /// `x-amz-server-side-encryption`.
    pub sse: Option<&'a str>,
    /// `x-amz-server-side-encryption-aws-kms-key-id`.
    pub sse_kms_key_id: Option<&'a str>,
    /// `x-amz-server-side-encryption-bucket-key-enabled`.
    pub sse_bucket_key_enabled: Option<&'a str>,
    /// `x-amz-server-side-encryption-customer-algorithm` (SSE-C).
    pub sse_customer_algorithm: Option<&'a str>,
    /// `x-amz-copy-source`, raw (URL-encoded).
    pub copy_source: Option<&'a str>,
    /// The `versionId` parameter.
    pub version_id: Option<&'a str>,
    /// `x-amz-bypass-governance-retention: true`.
    pub bypass_governance: bool,
}

/// The grant headers (`x-amz-grant-*`) of an ACL set on write.
const GRANT_HEADERS: [&str; 5] = [
    "x-amz-grant-read",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
    "x-amz-grant-write",
];

/// A call that says nothing yet, in the `aws` partition.
impl Default for S3Call<'_> {
    fn default() -> Self {
        S3Call {
            api: None,
            bucket: None,
            key: None,
            partition: "aws",
            region: None,
            time: None,
            caller_arn: None,
            access_key_id: None,
            headers: Headers::default(),
            logged: Logged::default(),
        }
    }
}

impl<'a> S3Call<'a> {
    /// The call a record describes (whatever its error code: a request error is still a call).
    pub fn from_event(event: &'a Event) -> S3Call<'a> {
        let bucket = bucket_of(event);
        let key = bucket.as_deref().and_then(|b| key_of(event, b));
        let ident = event.user_identity.as_ref();
        S3Call {
            api: event.event_name.as_deref(),
            bucket,
            key,
            partition: partition_of(event.aws_region.as_deref()),
            region: event.aws_region.as_deref(),
            time: event.event_time.as_deref(),
            caller_arn: ident.and_then(|i| i.arn.as_deref()),
            access_key_id: ident.and_then(|i| i.access_key_id.as_deref()),
            logged: Logged {
                request_parameters: event.request_parameters.as_ref(),
                additional_event_data: event.additional_event_data.as_ref(),
            },
            headers: Headers {
                request_payer: header(event, "x-amz-request-payer"),
                acl: header(event, "x-amz-acl"),
                grant: grant_header(event),
                tagging: header(event, "x-amz-tagging").is_some(),
                sse: header(event, "x-amz-server-side-encryption"),
                sse_kms_key_id: header(event, "x-amz-server-side-encryption-aws-kms-key-id"),
                sse_bucket_key_enabled: header(
                    event,
                    "x-amz-server-side-encryption-bucket-key-enabled",
                ),
                sse_customer_algorithm: header(
                    event,
                    "x-amz-server-side-encryption-customer-algorithm",
                ),
                copy_source: header(event, "x-amz-copy-source"),
                version_id: param(event, "versionId"),
                bypass_governance: header(event, "x-amz-bypass-governance-retention")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            },
        }
    }

    /// The S3 ARN of a bucket, or of an object in it, in this call's partition.
    pub fn s3_arn(&self, bucket: &str, key: Option<&str>) -> String {
        match key {
            Some(k) => format!("arn:{}:s3:::{bucket}/{k}", self.partition),
            None => format!("arn:{}:s3:::{bucket}", self.partition),
        }
    }

    /// Whether the caller sent `x-amz-request-payer: requester`.
    pub fn pays_as_requester(&self) -> bool {
        self.headers
            .request_payer
            .is_some_and(|v| v.eq_ignore_ascii_case("requester"))
    }
}

/// Whether the record carries an ACL grant header; header names are case-insensitive like
/// every other header ([`header`]).
fn grant_header(event: &Event) -> bool {
    GRANT_HEADERS.iter().any(|h| header(event, h).is_some())
}

/// The ARN partition of a region (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition(region: Option<&str>) -> String {
    partition_of(region).to_owned()
}

/// [`partition`] without the allocation.
pub fn partition_of(region: Option<&str>) -> &'static str {
    match region {
        Some(r) if r.starts_with("cn-") => "aws-cn",
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
        _ => "aws",
    }
}

/// `x-amz-copy-source`: `[/]bucket/key[?versionId=v]`, URL-encoded.
fn copy_source(raw: &str) -> Option<(String, String, Option<String>)> {
    let decoded = percent_decode_str(raw).decode_utf8().ok()?;
    let s = decoded.trim_start_matches('/');
    let (path, version) = match s.split_once("?versionId=") {
        Some((p, v)) => (p, Some(v.to_owned())),
        None => (s, None),
    };
    let (bucket, key) = path.split_once('/')?;
    if bucket.is_empty() || key.is_empty() {
        return None;
    }
    Some((bucket.to_owned(), key.to_owned(), version))
}

/// The bucket a record names: `requestParameters.bucketName`, else the `AWS::S3::Bucket`
/// entry of `resources[]`.
pub fn bucket_of(event: &Event) -> Option<Cow<'_, str>> {
    // Through an access point `bucketName` may be its ARN or alias, not the bucket.
    let named = param(event, "bucketName").filter(|b| access_point::from_bucket_name(b).is_none());
    named.map(Cow::Borrowed).or_else(|| {
        event
            .resources
            .iter()
            .find(|r| r.kind.as_deref() == Some("AWS::S3::Bucket"))
            .and_then(|r| r.arn.as_deref())
            .and_then(|a| a.rsplit(":::").next())
            .map(|b| Cow::Owned(b.to_owned()))
    })
}

/// The object key a record names: `requestParameters.key`, else an `AWS::S3::Object` entry
/// of `resources[]` in `bucket`.
pub fn key_of<'e>(event: &'e Event, bucket: &str) -> Option<Cow<'e, str>> {
    param(event, "key").map(Cow::Borrowed).or_else(|| {
        event
            .resources
            .iter()
            .filter(|r| r.kind.as_deref() == Some("AWS::S3::Object"))
            .find_map(|r| {
                let arn = r.arn.as_deref()?;
                arn.split_once(&format!(":::{bucket}/"))
                    // An object named through its access point: `<ap arn>/object/<key>`.
                    .or_else(|| arn.split_once(":accesspoint/")?.1.split_once("/object/"))
                    .map(|(_, k)| Cow::Owned(k.to_owned()))
            })
    })
}

/// Every object (or bucket, key `None`) whose side evidence a diagnosis of this record may
/// look up: the target, and the copy source of CopyObject / UploadPartCopy. `analyze` loads
/// only the evidence these name (see `scan::evidence_log`), so this must cover every place
/// [`requests`] takes a bucket or key from.
pub fn named_objects(event: &Event) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    if let Some(bucket) = bucket_of(event) {
        let key = key_of(event, &bucket).map(Cow::into_owned);
        out.push((bucket.into_owned(), key));
    }
    if let Some((b, k, _)) = header(event, "x-amz-copy-source").and_then(copy_source) {
        out.push((b, Some(k)));
    }
    out
}

fn locate(
    event: &Event,
    m: S3Action,
    partition: &str,
    snapshot: &Snapshot,
    ap_bucket: Option<String>,
) -> Result<Located, RequestError> {
    if m.target == Target::Any {
        return Ok(Located {
            bucket: None,
            arn: "*".to_owned(),
            account: event.recipient_account_id.clone(),
        });
    }
    let bucket_res = event
        .resources
        .iter()
        .find(|r| r.kind.as_deref() == Some("AWS::S3::Bucket"));
    let bucket = bucket_of(event)
        .or(ap_bucket.map(Cow::Owned))
        .ok_or(RequestError::NoBucket)?;
    // The owner: the snapshot's bucket folder first (the requester's copy of a denied
    // cross-account call redacts the owner), then resources[].accountId.
    let account = snapshot
        .known_bucket_owner(&bucket)
        .map(str::to_owned)
        .or_else(|| bucket_res.and_then(|r| r.account_id.clone()));
    let arn = match m.target {
        Target::Bucket | Target::Any => format!("arn:{partition}:s3:::{bucket}"),
        Target::Object => format!(
            "arn:{partition}:s3:::{bucket}/{}",
            key_of(event, &bucket).as_deref().unwrap_or("*")
        ),
    };
    Ok(Located {
        bucket: Some(bucket.into_owned()),
        arn,
        account,
    })
}

#[cfg(test)]
mod tests;
