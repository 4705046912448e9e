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

use super::actions::{s3_action, S3Action, Target};
use crate::policy::{Context, Known, Principal, PrincipalKind, Request};
use crate::record::Event;
use crate::snapshot::{Arn, Entity, Snapshot};
use percent_encoding::percent_decode_str;
use serde_json::Value;
use std::net::IpAddr;

/// Why no request could be built from a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("not an S3 event (eventSource `{0}`)")]
    NotS3(String),
    #[error("the record has no eventName")]
    NoEventName,
    #[error("S3 API `{0}` is not in denytrail's eventName to IAM action table, so the action is unknown")]
    Unmapped(String),
    #[error("the record has no userIdentity")]
    NoIdentity,
    #[error("userIdentity type `{0}` is not a caller shape denytrail knows for S3")]
    UnsupportedIdentity(String),
    #[error("the record names no bucket (requestParameters.bucketName, resources[])")]
    NoBucket,
    #[error("`{0}` is not a principal ARN (user, role, assumed-role session, federated user, root), an account id, `anonymous` or a service name")]
    BadPrincipal(String),
}

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
/// without it those stay unknown.
pub fn requests(
    event: &Event,
    snapshot: Option<&Snapshot>,
) -> Result<Vec<BuiltRequest>, RequestError> {
    match event.event_source.as_deref() {
        Some("s3.amazonaws.com") => {}
        other => return Err(RequestError::NotS3(other.unwrap_or("").to_owned())),
    }
    let name = event
        .event_name
        .as_deref()
        .ok_or(RequestError::NoEventName)?;
    let mapping = s3_action(name).ok_or_else(|| RequestError::Unmapped(name.to_owned()))?;
    let mut notes = Notes::default();
    let principal = principal(event, snapshot, &mut notes)?;
    let partition = partition(event.aws_region.as_deref());
    let target = locate(event, mapping, &partition, snapshot)?;
    if name == "DeleteObjects" {
        notes.gap("DeleteObjects does not log the deleted keys: the object ARN is `bucket/*`, and a policy scoped to some keys cannot be judged".to_owned());
    }

    let mut base = Context::default();
    network_keys(event, snapshot, &mut base, &mut notes);
    transport_keys(event, &principal, &mut base, &mut notes);
    time_keys(event, &mut base, &mut notes);
    principal_keys(event, &principal, snapshot, &mut base, &mut notes);
    service_keys(event, &principal, &mut base, &mut notes);
    set_opt(&mut base, "aws:UserAgent", event.user_agent.as_deref());
    set_opt(
        &mut base,
        "aws:RequestedRegion",
        event.aws_region.as_deref(),
    );

    let version = param(event, "versionId");
    let action = match (version, mapping.versioned) {
        (Some(_), Some(v)) => v,
        _ => mapping.action,
    };
    let mut main_ctx = base.clone();
    resource_keys(&target, snapshot, &mut main_ctx);
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
        match header(event, "x-amz-copy-source").and_then(copy_source) {
            Some((sb, sk, sv)) => {
                let arn = format!("arn:{partition}:s3:::{sb}/{sk}");
                let account = snapshot.and_then(|s| match s.bucket_owner(&sb) {
                    Known::Known(a) => Some(a.to_owned()),
                    Known::Unknown(_) => None,
                });
                let mut ctx = base.clone();
                let src = Located {
                    bucket: Some(sb),
                    arn: arn.clone(),
                    account: account.clone(),
                };
                resource_keys(&src, snapshot, &mut ctx);
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
    let sends_acl = header(event, "x-amz-acl").is_some() || grant_header(event);
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
    if writes_object && header(event, "x-amz-tagging").is_some() {
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
    if header(event, "x-amz-bypass-governance-retention")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
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

#[derive(Debug, Default)]
struct Notes {
    inferred: Vec<String>,
    gaps: Vec<String>,
}

impl Notes {
    fn infer(&mut self, what: impl Into<String>) {
        self.inferred.push(what.into());
    }
    fn gap(&mut self, what: String) {
        if !self.gaps.contains(&what) {
            self.gaps.push(what);
        }
    }
}

/// A string request parameter, ignoring empty strings and the `[""]` arrays CloudTrail writes
/// for sub-resources.
fn param<'a>(event: &'a Event, key: &str) -> Option<&'a str> {
    let v = event.request_parameters.as_ref()?.get(key)?;
    match v {
        Value::String(s) if !s.is_empty() => Some(s.as_str()),
        _ => None,
    }
}

/// A request header as S3 logs it: a `requestParameters` entry (header names are
/// case-insensitive, and some tools log them in other cases), else an `additionalEventData`
/// entry; empty values ignored.
fn header<'a>(event: &'a Event, name: &str) -> Option<&'a str> {
    let find = |v: Option<&'a Value>| {
        v.and_then(Value::as_object)?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
            .filter(|s| !s.is_empty())
    };
    find(event.request_parameters.as_ref()).or_else(|| find(event.additional_event_data.as_ref()))
}

fn set_opt(ctx: &mut Context, key: &str, value: Option<&str>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        ctx.set(key, v);
    }
}

fn grant_header(event: &Event) -> bool {
    [
        "x-amz-grant-read",
        "x-amz-grant-read-acp",
        "x-amz-grant-write-acp",
        "x-amz-grant-full-control",
        "x-amz-grant-write",
    ]
    .iter()
    .any(|h| param(event, h).is_some())
}

/// The ARN partition of a region (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition(region: Option<&str>) -> String {
    match region {
        Some(r) if r.starts_with("cn-") => "aws-cn".to_owned(),
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov".to_owned(),
        _ => "aws".to_owned(),
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

/// Where the request points: the bucket, the ARN of the action's resource, and the account
/// that owns it.
struct Located {
    bucket: Option<String>,
    arn: String,
    account: Option<String>,
}

/// The bucket a record names: `requestParameters.bucketName`, else the `AWS::S3::Bucket`
/// entry of `resources[]`.
pub fn bucket_of(event: &Event) -> Option<String> {
    param(event, "bucketName").map(str::to_owned).or_else(|| {
        event
            .resources
            .iter()
            .find(|r| r.kind.as_deref() == Some("AWS::S3::Bucket"))
            .and_then(|r| r.arn.as_deref())
            .and_then(|a| a.rsplit(":::").next())
            .map(str::to_owned)
    })
}

/// The object key a record names: `requestParameters.key`, else an `AWS::S3::Object` entry
/// of `resources[]` in `bucket`.
pub fn key_of(event: &Event, bucket: &str) -> Option<String> {
    param(event, "key").map(str::to_owned).or_else(|| {
        event
            .resources
            .iter()
            .filter(|r| r.kind.as_deref() == Some("AWS::S3::Object"))
            .find_map(|r| {
                r.arn
                    .as_deref()?
                    .split_once(&format!(":::{bucket}/"))
                    .map(|(_, k)| k.to_owned())
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
        let key = key_of(event, &bucket);
        out.push((bucket, key));
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
    snapshot: Option<&Snapshot>,
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
    let bucket = bucket_of(event).ok_or(RequestError::NoBucket)?;
    // The owner: the snapshot's bucket folder first (the requester's copy of a denied
    // cross-account call redacts the owner), then resources[].accountId.
    let account = snapshot
        .and_then(|s| match s.bucket_owner(&bucket) {
            Known::Known(a) => Some(a.to_owned()),
            Known::Unknown(_) => None,
        })
        .or_else(|| bucket_res.and_then(|r| r.account_id.clone()));
    let arn = match m.target {
        Target::Bucket | Target::Any => format!("arn:{partition}:s3:::{bucket}"),
        Target::Object => format!(
            "arn:{partition}:s3:::{bucket}/{}",
            key_of(event, &bucket).as_deref().unwrap_or("*")
        ),
    };
    Ok(Located {
        bucket: Some(bucket),
        arn,
        account,
    })
}

/// The caller, from `userIdentity`.
fn principal(
    event: &Event,
    snapshot: Option<&Snapshot>,
    notes: &mut Notes,
) -> Result<Principal, RequestError> {
    let id = event
        .user_identity
        .as_ref()
        .ok_or(RequestError::NoIdentity)?;
    let issuer = id
        .session_context
        .as_ref()
        .and_then(|s| s.session_issuer.arn.clone());
    let base = Principal {
        kind: PrincipalKind::Anonymous,
        arn: id.arn.clone(),
        account: id.account_id.clone(),
        role_arn: None,
        service: None,
    };
    let kind = id.kind.as_deref().unwrap_or("");
    Ok(match kind {
        "IAMUser" => Principal {
            kind: PrincipalKind::User,
            ..base
        },
        "AssumedRole" => Principal {
            kind: PrincipalKind::AssumedRole,
            role_arn: issuer.or_else(|| id.arn.as_deref().and_then(role_of_session)),
            ..base
        },
        "FederatedUser" => {
            if issuer.is_none() {
                notes.gap(
                    "the IAM user who called GetFederationToken is not in the record".to_owned(),
                );
            }
            Principal {
                kind: PrincipalKind::FederatedUser,
                role_arn: issuer,
                ..base
            }
        }
        "Root" => Principal {
            kind: PrincipalKind::Root,
            ..base
        },
        "AWSService" => Principal {
            kind: PrincipalKind::Service,
            arn: None,
            account: None,
            service: id.invoked_by.clone(),
            ..base
        },
        "AWSAccount" => {
            let pid = id.principal_id.as_deref().unwrap_or("");
            let acct = id.account_id.as_deref().unwrap_or("");
            if acct == "anonymous" || pid.is_empty() {
                return Ok(Principal {
                    kind: PrincipalKind::Anonymous,
                    arn: None,
                    account: None,
                    ..base
                });
            }
            match snapshot.map(|s| s.principal_by_unique_id(pid)) {
                Some(Known::Known(r)) => {
                    let arn_of_session = r.session_name.as_ref().map(|s| session_arn(&r.arn, s));
                    match r.kind {
                        PrincipalKind::AssumedRole => Principal {
                            kind: PrincipalKind::AssumedRole,
                            arn: arn_of_session,
                            account: Some(r.account),
                            role_arn: Some(r.arn),
                            service: None,
                        },
                        _ => Principal {
                            kind: r.kind,
                            arn: Some(r.arn),
                            account: Some(r.account),
                            role_arn: None,
                            service: None,
                        },
                    }
                }
                other => {
                    let why = match other {
                        Some(Known::Unknown(w)) => w,
                        _ => "no snapshot".to_owned(),
                    };
                    notes.gap(format!(
                        "the caller from account {acct} is shown only as principalId `{pid}` (cross-account record) and could not be resolved: {why}"
                    ));
                    Principal {
                        kind: PrincipalKind::Account,
                        arn: None,
                        account: id.account_id.clone(),
                        ..base
                    }
                }
            }
        }
        other => return Err(RequestError::UnsupportedIdentity(other.to_owned())),
    })
}

/// `arn:aws:sts::A:assumed-role/NAME/SESSION` → `arn:aws:iam::A:role/NAME` (path unknown).
fn role_of_session(session: &str) -> Option<String> {
    let a = Arn::parse(session)?;
    let name = a
        .resource
        .strip_prefix("assumed-role/")?
        .split('/')
        .next()?;
    Some(format!(
        "arn:{}:iam::{}:role/{name}",
        a.partition, a.account
    ))
}

/// The session ARN of a role (`role/path/NAME` → `assumed-role/NAME/SESSION`; sessions drop
/// the path).
fn session_arn(role_arn: &str, session: &str) -> String {
    match Arn::parse(role_arn) {
        Some(a) => {
            let name = a.resource.rsplit('/').next().unwrap_or(a.resource);
            format!(
                "arn:{}:sts::{}:assumed-role/{name}/{session}",
                a.partition, a.account
            )
        }
        None => role_arn.to_owned(),
    }
}

/// The principal of an ARN typed by a user (`simulate --principal`): a user, a role (then a
/// session of it named `simulate`), an assumed-role session, a federated user, the root, an
/// account id, `anonymous`, or a service principal name. With a snapshot, a session's role
/// ARN gets its path from `iam.json`.
pub fn principal_from_arn(
    text: &str,
    snapshot: Option<&Snapshot>,
) -> Result<Principal, RequestError> {
    let bad = || RequestError::BadPrincipal(text.to_owned());
    let t = text.trim();
    if t == "*" || t.eq_ignore_ascii_case("anonymous") {
        return Ok(Principal {
            kind: PrincipalKind::Anonymous,
            arn: None,
            account: None,
            role_arn: None,
            service: None,
        });
    }
    if t.len() == 12 && t.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Principal {
            kind: PrincipalKind::Account,
            arn: None,
            account: Some(t.to_owned()),
            role_arn: None,
            service: None,
        });
    }
    if !t.starts_with("arn:") && t.ends_with(".amazonaws.com") {
        return Ok(Principal {
            kind: PrincipalKind::Service,
            arn: None,
            account: None,
            role_arn: None,
            service: Some(t.to_owned()),
        });
    }
    let a = Arn::parse(t).ok_or_else(bad)?;
    if a.account.is_empty() {
        return Err(bad());
    }
    let account = a.account.to_owned();
    let p = |kind, arn: String, role_arn| Principal {
        kind,
        arn: Some(arn),
        account: Some(account.clone()),
        role_arn,
        service: None,
    };
    match (a.service, a.resource) {
        ("iam", "root") => Ok(p(PrincipalKind::Root, t.to_owned(), None)),
        ("iam", r) if r.starts_with("user/") => Ok(p(PrincipalKind::User, t.to_owned(), None)),
        ("iam", r) if r.starts_with("role/") => Ok(p(
            PrincipalKind::AssumedRole,
            session_arn(t, "simulate"),
            Some(t.to_owned()),
        )),
        ("sts", r) if r.starts_with("assumed-role/") && r.split('/').count() >= 3 => {
            let guess = role_of_session(t).ok_or_else(bad)?;
            let mut out = p(PrincipalKind::AssumedRole, t.to_owned(), Some(guess));
            if let Some(Known::Known(Some(Entity::Role(role)))) = snapshot.map(|s| s.entity(&out)) {
                out.role_arn = Some(role.arn.clone());
            }
            Ok(out)
        }
        ("sts", r) if r.starts_with("federated-user/") => {
            Ok(p(PrincipalKind::FederatedUser, t.to_owned(), None))
        }
        _ => Err(bad()),
    }
}

/// `aws:SourceIp`, `aws:VpcSourceIp`, `aws:SourceVpce`, `aws:VpceAccount`, `aws:SourceVpc`.
fn network_keys(event: &Event, snapshot: Option<&Snapshot>, ctx: &mut Context, notes: &mut Notes) {
    let ip = event
        .source_ip_address
        .as_deref()
        .filter(|s| s.parse::<IpAddr>().is_ok());
    match event.vpc_endpoint_id.as_deref().filter(|s| !s.is_empty()) {
        Some(vpce) => {
            // Through an endpoint AWS sets aws:VpcSourceIp instead of aws:SourceIp
            // (global condition keys reference).
            ctx.set("aws:SourceVpce", vpce);
            ctx.mark_absent("aws:SourceIp");
            set_opt(ctx, "aws:VpcSourceIp", ip);
            set_opt(
                ctx,
                "aws:VpceAccount",
                event.vpc_endpoint_account_id.as_deref(),
            );
            match snapshot.map(|s| s.vpc_endpoint(vpce)) {
                Some(Known::Known(e)) => set_opt(ctx, "aws:SourceVpc", e.vpc_id.as_deref()),
                Some(Known::Unknown(why)) => notes.gap(format!("aws:SourceVpc unknown: {why}")),
                None => notes.gap(format!(
                    "aws:SourceVpc unknown: no snapshot to find the VPC of {vpce}"
                )),
            }
        }
        None => {
            for k in [
                "aws:SourceVpce",
                "aws:VpceAccount",
                "aws:SourceVpc",
                "aws:VpcSourceIp",
            ] {
                ctx.mark_absent(k);
            }
            match ip {
                Some(ip) => ctx.set("aws:SourceIp", ip),
                None => notes.gap(format!(
                    "aws:SourceIp unknown: sourceIPAddress is `{}`, not an IP address",
                    event.source_ip_address.as_deref().unwrap_or("")
                )),
            }
        }
    }
}

/// `aws:SecureTransport`, `s3:TlsVersion`, `s3:signatureversion`, `s3:authType`.
fn transport_keys(event: &Event, principal: &Principal, ctx: &mut Context, notes: &mut Notes) {
    let tls_version = event
        .tls_details
        .as_ref()
        .and_then(|t| t.tls_version.as_deref());
    let cipher = event.additional("CipherSuite").filter(|c| !c.is_empty());
    let s3_wrote_extra = event.additional("SignatureVersion").is_some()
        || event.additional("AuthenticationMethod").is_some();
    if cipher.is_some() || tls_version.is_some() {
        ctx.set("aws:SecureTransport", "true");
        if let Some(v) = tls_version.and_then(|v| v.strip_prefix("TLSv")) {
            ctx.set("s3:TlsVersion", v);
        }
    } else if s3_wrote_extra {
        ctx.set("aws:SecureTransport", "false");
        ctx.mark_absent("s3:TlsVersion");
        notes.infer("aws:SecureTransport: false because S3 logged the request's signature details but no CipherSuite and no tlsDetails (no AWS page states how plain HTTP is recorded)");
    }
    match event.additional("SignatureVersion") {
        Some("SigV4") => ctx.set("s3:signatureversion", "AWS4-HMAC-SHA256"),
        Some("SigV2") => ctx.set("s3:signatureversion", "AWS"),
        Some(other) => notes.gap(format!(
            "s3:signatureversion unknown: SignatureVersion `{other}`"
        )),
        None if principal.kind == PrincipalKind::Anonymous => {
            ctx.mark_absent("s3:signatureversion")
        }
        None => {}
    }
    match event.additional("AuthenticationMethod") {
        Some("AuthHeader") => ctx.set("s3:authType", "REST-HEADER"),
        Some("QueryString") => ctx.set("s3:authType", "REST-QUERY-STRING"),
        Some("POST") => ctx.set("s3:authType", "POST"),
        Some(other) => notes.gap(format!(
            "s3:authType unknown: AuthenticationMethod `{other}`"
        )),
        None if principal.kind == PrincipalKind::Anonymous => ctx.mark_absent("s3:authType"),
        None => {}
    }
}

/// `aws:CurrentTime`, `aws:EpochTime` from `eventTime` (the event's completion, to about a
/// second).
fn time_keys(event: &Event, ctx: &mut Context, notes: &mut Notes) {
    match event
        .event_time
        .as_deref()
        .map(chrono::DateTime::parse_from_rfc3339)
    {
        Some(Ok(t)) => {
            let utc = t.with_timezone(&chrono::Utc);
            ctx.set(
                "aws:CurrentTime",
                utc.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            );
            ctx.set("aws:EpochTime", utc.timestamp().to_string());
        }
        Some(Err(_)) => notes.gap(format!(
            "aws:CurrentTime unknown: eventTime `{}` is not RFC 3339",
            event.event_time.as_deref().unwrap_or("")
        )),
        None => notes.gap("aws:CurrentTime unknown: no eventTime".to_owned()),
    }
}

/// The principal keys: `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`,
/// `aws:userid`, `aws:username`, `aws:PrincipalOrgID`, `aws:PrincipalTag/*`,
/// `aws:MultiFactorAuthPresent`, `aws:TokenIssueTime`, `aws:SourceIdentity`. Values per the
/// IAM policy variables reference ("principal key values").
fn principal_keys(
    event: &Event,
    p: &Principal,
    snapshot: Option<&Snapshot>,
    ctx: &mut Context,
    notes: &mut Notes,
) {
    let id = event.user_identity.as_ref();
    let pid = id
        .and_then(|i| i.principal_id.as_deref())
        .filter(|s| !s.is_empty());
    principal_context(p, snapshot, ctx, notes);
    // The record's own principalId is the exact aws:userid for every IAM caller shape.
    match p.kind {
        PrincipalKind::User
        | PrincipalKind::AssumedRole
        | PrincipalKind::FederatedUser
        | PrincipalKind::Root => set_opt(ctx, "aws:userid", pid),
        _ => {}
    }
    if p.kind == PrincipalKind::User {
        set_opt(ctx, "aws:username", id.and_then(|i| i.user_name.as_deref()));
    }
    let session = id.and_then(|i| i.session_context.as_ref());
    let attrs = session.map(|s| &s.attributes);
    match attrs.and_then(|a| a.mfa_authenticated.as_deref()) {
        Some(v) => ctx.set("aws:MultiFactorAuthPresent", v.to_ascii_lowercase()),
        // Long-term access keys (AKIA…) carry no MFA information: the key is absent.
        None if id
            .and_then(|i| i.access_key_id.as_deref())
            .is_some_and(|k| k.starts_with("AKIA")) =>
        {
            ctx.mark_absent("aws:MultiFactorAuthPresent")
        }
        None if matches!(p.kind, PrincipalKind::Anonymous | PrincipalKind::Service) => {
            ctx.mark_absent("aws:MultiFactorAuthPresent")
        }
        None => {}
    }
    set_opt(
        ctx,
        "aws:TokenIssueTime",
        attrs.and_then(|a| a.creation_date.as_deref()),
    );
    match session.and_then(|s| s.source_identity.as_deref()) {
        Some(v) => ctx.set("aws:SourceIdentity", v),
        None if session.is_some()
            || matches!(
                p.kind,
                PrincipalKind::Anonymous
                    | PrincipalKind::Service
                    | PrincipalKind::User
                    | PrincipalKind::Root
            ) =>
        {
            ctx.mark_absent("aws:SourceIdentity")
        }
        None => {}
    }
}

/// The principal keys that follow from the principal alone (and the snapshot): shared with
/// `simulate`, which has no record.
pub fn principal_context(
    p: &Principal,
    snapshot: Option<&Snapshot>,
    ctx: &mut Context,
    notes_out: &mut impl NoteSink,
) {
    let absent_all = |ctx: &mut Context| {
        for k in [
            "aws:PrincipalArn",
            "aws:PrincipalAccount",
            "aws:PrincipalOrgID",
            "aws:username",
        ] {
            ctx.mark_absent(k);
        }
    };
    match p.kind {
        PrincipalKind::Anonymous => {
            absent_all(ctx);
            ctx.set("aws:PrincipalType", "Anonymous");
            ctx.set("aws:userid", "anonymous");
            ctx.set("aws:PrincipalIsAWSService", "false");
            return;
        }
        PrincipalKind::Service => {
            absent_all(ctx);
            ctx.mark_absent("aws:userid");
            ctx.set("aws:PrincipalIsAWSService", "true");
            set_opt(ctx, "aws:PrincipalServiceName", p.service.as_deref());
            return;
        }
        _ => ctx.set("aws:PrincipalIsAWSService", "false"),
    }
    ctx.mark_absent("aws:PrincipalServiceName");
    set_opt(ctx, "aws:PrincipalAccount", p.account.as_deref());
    match p.kind {
        PrincipalKind::User => {
            ctx.set("aws:PrincipalType", "User");
            set_opt(ctx, "aws:PrincipalArn", p.arn.as_deref());
            if let Some(name) = p.arn.as_deref().and_then(|a| a.rsplit('/').next()) {
                ctx.set("aws:username", name);
            }
        }
        PrincipalKind::AssumedRole => {
            ctx.set("aws:PrincipalType", "AssumedRole");
            // aws:PrincipalArn of a role session is the role's ARN (global keys reference).
            set_opt(ctx, "aws:PrincipalArn", p.role_arn.as_deref());
            ctx.mark_absent("aws:username");
        }
        PrincipalKind::FederatedUser => {
            ctx.set("aws:PrincipalType", "FederatedUser");
            set_opt(ctx, "aws:PrincipalArn", p.arn.as_deref());
            ctx.mark_absent("aws:username");
        }
        PrincipalKind::Root => {
            ctx.set("aws:PrincipalType", "Account");
            set_opt(ctx, "aws:PrincipalArn", p.arn.as_deref());
            set_opt(ctx, "aws:userid", p.account.as_deref());
            ctx.mark_absent("aws:username");
        }
        // Hidden cross-account caller: its type, ARN and ids are unknown.
        PrincipalKind::Account | PrincipalKind::Anonymous | PrincipalKind::Service => {}
    }
    let Some(snap) = snapshot else {
        notes_out
            .note_gap("aws:PrincipalOrgID and aws:PrincipalTag/* unknown: no snapshot".to_owned());
        return;
    };
    match p.account.as_deref().map(|a| snap.org_id(a)) {
        Some(Known::Known(Some(org))) => ctx.set("aws:PrincipalOrgID", org),
        Some(Known::Known(None)) => ctx.mark_absent("aws:PrincipalOrgID"),
        Some(Known::Unknown(why)) => {
            notes_out.note_gap(format!("aws:PrincipalOrgID unknown: {why}"))
        }
        None => {}
    }
    if matches!(p.kind, PrincipalKind::User | PrincipalKind::AssumedRole) {
        match snap.principal_tags(p) {
            Known::Known(tags) => {
                for (k, v) in tags {
                    ctx.set(&format!("aws:PrincipalTag/{k}"), v.clone());
                }
                // Session tags passed at AssumeRole override the role's tags of the same key
                // and are not in the snapshot.
                if p.kind == PrincipalKind::AssumedRole && !tags.is_empty() {
                    notes_out.note_inferred(
                        "aws:PrincipalTag/*: the role's IAM tags; session tags passed at AssumeRole (not in the snapshot) would override them"
                            .to_owned(),
                    );
                }
            }
            Known::Unknown(why) => notes_out.note_gap(format!("aws:PrincipalTag/* unknown: {why}")),
        }
    }
}

/// Where [`principal_context`] reports what it could not set, and what it set by inference.
pub trait NoteSink {
    fn note_gap(&mut self, what: String);
    /// A key set by inference; by default reported like a gap.
    fn note_inferred(&mut self, what: String) {
        self.note_gap(what);
    }
}

impl NoteSink for Notes {
    fn note_gap(&mut self, what: String) {
        self.gap(what);
    }
    fn note_inferred(&mut self, what: String) {
        if !self.inferred.contains(&what) {
            self.inferred.push(what);
        }
    }
}

impl NoteSink for Vec<String> {
    fn note_gap(&mut self, what: String) {
        if !self.contains(&what) {
            self.push(what);
        }
    }
}

/// `aws:ViaAWSService`, `aws:CalledVia` (from `invokedBy`, inferred).
fn service_keys(event: &Event, p: &Principal, ctx: &mut Context, notes: &mut Notes) {
    if p.kind == PrincipalKind::Service {
        return;
    }
    match event
        .user_identity
        .as_ref()
        .and_then(|i| i.invoked_by.as_deref())
    {
        Some(svc) if svc.ends_with(".amazonaws.com") => {
            ctx.set("aws:ViaAWSService", "true");
            ctx.set_many("aws:CalledVia", vec![svc.to_owned()]);
            ctx.set("aws:CalledViaFirst", svc);
            ctx.set("aws:CalledViaLast", svc);
            notes.infer(format!(
                "aws:ViaAWSService/aws:CalledVia: `{svc}` from userIdentity.invokedBy"
            ));
        }
        // An internal value ("AWS Internal"): a service acted, which one is not said.
        Some(other) => notes.gap(format!("aws:CalledVia unknown: invokedBy is `{other}`")),
        None => {
            ctx.set("aws:ViaAWSService", "false");
            for k in ["aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast"] {
                ctx.mark_absent(k);
            }
        }
    }
}

/// `s3:ResourceAccount`, `aws:ResourceAccount`, `aws:ResourceOrgID`.
fn resource_keys(target: &Located, snapshot: Option<&Snapshot>, ctx: &mut Context) {
    if target.bucket.is_none() {
        return;
    }
    if let Some(acct) = target.account.as_deref() {
        ctx.set("s3:ResourceAccount", acct);
        ctx.set("aws:ResourceAccount", acct);
        match snapshot.map(|s| s.org_id(acct)) {
            Some(Known::Known(Some(org))) => ctx.set("aws:ResourceOrgID", org),
            Some(Known::Known(None)) => ctx.mark_absent("aws:ResourceOrgID"),
            _ => {}
        }
    }
}

/// The S3 keys of the call itself: list parameters, version, and the headers CloudTrail logs.
fn s3_request_keys(
    event: &Event,
    name: &str,
    version: Option<&str>,
    ctx: &mut Context,
    notes: &mut Notes,
) {
    let is_list = matches!(name, "ListObjects" | "ListObjectsV2" | "ListObjectVersions");
    for (key, p) in [
        ("s3:prefix", "prefix"),
        ("s3:delimiter", "delimiter"),
        ("s3:max-keys", "max-keys"),
    ] {
        // `prefix` may be logged as "" (the SDK sent an empty prefix): that is a value.
        let v = event
            .request_parameters
            .as_ref()
            .and_then(|r| r.get(p))
            .and_then(Value::as_str);
        match (is_list, v) {
            (true, Some(v)) => ctx.set(key, v),
            _ => ctx.mark_absent(key),
        }
    }
    match version {
        Some(v) => ctx.set("s3:versionid", v),
        None => ctx.mark_absent("s3:versionid"),
    }
    // Headers: S3 puts the ones it received in requestParameters; a header the call can carry
    // but that is not logged is taken as not sent (inferred), one the call cannot carry is
    // absent.
    let header = |ctx: &mut Context,
                  notes: &mut Notes,
                  key: &str,
                  param_name: &str,
                  applies: bool| {
        match (applies, header(event, param_name)) {
            (true, Some(v)) => ctx.set(key, v),
            (true, None) => {
                ctx.mark_absent(key);
                notes.infer(format!("{key}: absent because requestParameters has no `{param_name}` (CloudTrail logs the header when sent)"));
            }
            (false, _) => ctx.mark_absent(key),
        }
    };
    let acl_call = matches!(
        name,
        "PutObject"
            | "PostObject"
            | "CopyObject"
            | "CreateMultipartUpload"
            | "PutObjectAcl"
            | "PutBucketAcl"
            | "CreateBucket"
    );
    header(ctx, notes, "s3:x-amz-acl", "x-amz-acl", acl_call);
    let sse_call = matches!(
        name,
        "PutObject" | "PostObject" | "CopyObject" | "CreateMultipartUpload"
    );
    header(
        ctx,
        notes,
        "s3:x-amz-server-side-encryption",
        "x-amz-server-side-encryption",
        sse_call,
    );
    header(
        ctx,
        notes,
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "x-amz-server-side-encryption-aws-kms-key-id",
        sse_call,
    );
    let copy = matches!(name, "CopyObject" | "UploadPartCopy");
    header(
        ctx,
        notes,
        "s3:x-amz-copy-source",
        "x-amz-copy-source",
        copy,
    );
    header(
        ctx,
        notes,
        "s3:x-amz-metadata-directive",
        "x-amz-metadata-directive",
        name == "CopyObject",
    );
    header(
        ctx,
        notes,
        "s3:x-amz-request-payer",
        "x-amz-request-payer",
        true,
    );
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
