//! Reading the record: the error a record without a request gives, the notes the builder
//! keeps, and the one way a parameter or header is read (every other file of `request` reads
//! the record through these).

use crate::policy::Context;
use crate::record::Event;
use serde_json::Value;

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

#[derive(Debug, Default)]
pub(super) struct Notes {
    pub(super) inferred: Vec<String>,
    pub(super) gaps: Vec<String>,
}

impl Notes {
    pub(super) fn infer(&mut self, what: impl Into<String>) {
        self.inferred.push(what.into());
    }
    pub(super) fn gap(&mut self, what: String) {
        if !self.gaps.contains(&what) {
            self.gaps.push(what);
        }
    }
}

/// A string request parameter, ignoring empty strings and the `[""]` arrays CloudTrail writes
/// for sub-resources.
pub(super) fn param<'a>(event: &'a Event, key: &str) -> Option<&'a str> {
    let v = event.request_parameters.as_ref()?.get(key)?;
    match v {
        Value::String(s) if !s.is_empty() => Some(s.as_str()),
        _ => None,
    }
}

/// A request header as S3 logs it: a `requestParameters` entry (header names are
/// case-insensitive, and some tools log them in other cases), else an `additionalEventData`
/// entry; empty values ignored.
pub(super) fn header<'a>(event: &'a Event, name: &str) -> Option<&'a str> {
    super::Logged {
        request_parameters: event.request_parameters.as_ref(),
        additional_event_data: event.additional_event_data.as_ref(),
    }
    .header(name)
}

pub(super) fn set_opt(ctx: &mut Context, key: &str, value: Option<&str>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        ctx.set(key, v);
    }
}

/// Where the request points: the bucket, the ARN of the action's resource, and the account
/// that owns it.
pub(super) struct Located {
    pub(super) bucket: Option<String>,
    pub(super) arn: String,
    pub(super) account: Option<String>,
}
