//! The condition keys a record gives beyond the caller: network path, transport, time,
//! service, resource owner, and the S3 call's own parameters and headers.

use super::principal::NoteSink;
use super::read::{header, set_opt, Located, Notes};
use crate::policy::{Context, Known, Principal, PrincipalKind};
use crate::record::Event;
use crate::snapshot::Snapshot;
use serde_json::Value;
use std::net::IpAddr;

/// `aws:SourceIp`, `aws:VpcSourceIp`, `aws:SourceVpce`, `aws:VpceAccount`, `aws:VpceOrgID`,
/// `aws:VpceOrgPaths`, `aws:SourceVpc`, `aws:SourceVpcArn` ([`super::vpc_arn`]).
pub(super) fn network_keys(
    event: &Event,
    snapshot: &Snapshot,
    ctx: &mut Context,
    notes: &mut Notes,
) {
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
            let owner = event.vpc_endpoint_account_id.as_deref();
            set_opt(ctx, "aws:VpceAccount", owner);
            let partition = super::partition_of(event.aws_region.as_deref());
            let region = event.aws_region.as_deref();
            endpoint_keys(vpce, owner, (partition, region), snapshot, ctx, notes);
        }
        None => {
            for k in ENDPOINT_ONLY {
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
pub(super) fn transport_keys(
    event: &Event,
    principal: &Principal,
    ctx: &mut Context,
    notes: &mut Notes,
) {
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
pub(super) fn time_keys(event: &Event, ctx: &mut Context, notes: &mut Notes) {
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

/// `aws:ViaAWSService`, `aws:CalledVia` (from `invokedBy`, inferred).
pub(super) fn service_keys(event: &Event, p: &Principal, ctx: &mut Context, notes: &mut Notes) {
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

/// Keys that exist only for a request through a VPC endpoint (global condition keys
/// reference): absent on a request that came another way.
pub(super) const ENDPOINT_ONLY: [&str; 7] = [
    "aws:SourceVpce",
    "aws:VpceAccount",
    "aws:VpceOrgID",
    "aws:VpceOrgPaths",
    "aws:SourceVpc",
    "aws:SourceVpcArn",
    "aws:VpcSourceIp",
];

/// What the snapshot says of the endpoint `vpce` a request came through: `aws:SourceVpc` (its
/// VPC), and `aws:VpceOrgID` / `aws:VpceOrgPaths`, the organization of the account that owns
/// it (`owner` when the request names it, else the snapshot's), as for aws:PrincipalOrgID of
/// a principal (absent when that account is in no organization). A record's request and a
/// simulated one alike.
pub(super) fn endpoint_keys(
    vpce: &str,
    owner: Option<&str>,
    (partition, region): (&str, Option<&str>),
    snapshot: &Snapshot,
    ctx: &mut Context,
    notes: &mut impl NoteSink,
) {
    match snapshot.vpc_endpoint(vpce) {
        Known::Known(e) => {
            set_opt(ctx, "aws:SourceVpc", e.vpc_id.as_deref());
            // Why aws:SourceVpcArn is unknown is a note for `explain` (shown when a policy
            // reads the key), not one more missing piece in every reason.
            let vpc_owner = snapshot.vpc_endpoint_owner(vpce);
            match super::vpc_arn::source_vpc_arn(e, vpc_owner, partition, region) {
                Ok(arn) => ctx.set("aws:SourceVpcArn", arn),
                Err(why) => notes.note_inferred(format!("aws:SourceVpcArn unknown: {why}")),
            }
        }
        Known::Unknown(why) => {
            notes.note_gap(format!("aws:SourceVpc unknown: {why}"));
            notes.note_inferred(format!("aws:SourceVpcArn unknown: {why}"));
        }
    }
    if let Some(owner) = owner.or_else(|| snapshot.vpc_endpoint_owner(vpce)) {
        crate::diagnose::principal_facts::org_keys(
            snapshot.org_standing(owner),
            "aws:VpceOrgID",
            "aws:VpceOrgPaths",
            ctx,
            notes,
        );
    }
}

/// `s3:ResourceAccount`, `aws:ResourceAccount`, `aws:ResourceOrgID`, `aws:ResourceOrgPaths`
/// of an S3 target whose owner is known.
pub(super) fn resource_keys(
    target: &Located,
    snapshot: &Snapshot,
    ctx: &mut Context,
    notes: &mut impl NoteSink,
) {
    if target.bucket.is_none() {
        return;
    }
    if let Some(acct) = target.account.as_deref() {
        resource_account_keys(acct, true, snapshot, ctx, notes);
    }
}

/// The keys of the account that owns the resource: `aws:ResourceAccount`,
/// `aws:ResourceOrgID`, `aws:ResourceOrgPaths`, and `s3:ResourceAccount` for an S3 resource.
pub(super) fn resource_account_keys(
    account: &str,
    s3: bool,
    snapshot: &Snapshot,
    ctx: &mut Context,
    notes: &mut impl NoteSink,
) {
    if s3 {
        ctx.set("s3:ResourceAccount", account);
    }
    ctx.set("aws:ResourceAccount", account);
    crate::diagnose::principal_facts::org_keys(
        snapshot.org_standing(account),
        "aws:ResourceOrgID",
        "aws:ResourceOrgPaths",
        ctx,
        notes,
    );
}

/// The S3 keys of the call itself: list parameters, version, and the headers CloudTrail logs.
pub(super) fn s3_request_keys(
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
    // The calls that may carry an ACL header: the same list Block Public Access checks.
    let acl_call = crate::diagnose::actions::writes_acl(name);
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
