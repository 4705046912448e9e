//! One CloudTrail record, owned and typed: the unit that flows from `scan` to `diagnose`.
//!
//! Only records the scan keeps are decoded into an [`Event`] (about 1 % of a real trail), so
//! owning the strings here costs nothing on the hot path, and it lets an `Event` outlive the
//! decompression buffer it came from. Fields that CloudTrail writes as free-form JSON
//! (`requestParameters`, `additionalEventData`, ...) stay as `serde_json::Value`: their shape
//! depends on the API called and we only ever look up a few keys in them.
//!
//! Decoding is lenient on purpose: vendor fixtures and old event versions put numbers where
//! strings belong, omit `eventVersion`, or write an empty `errorCode`. A field of an unexpected
//! type becomes `None` rather than failing the record (see [`lenient`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A CloudTrail record, as much of it as denytrail reads.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Event {
    #[serde(deserialize_with = "lenient::string")]
    pub event_version: Option<String>,
    #[serde(rename = "eventID", deserialize_with = "lenient::string")]
    pub event_id: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub event_time: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub event_source: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub event_name: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub event_type: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub event_category: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub aws_region: Option<String>,
    #[serde(rename = "sourceIPAddress", deserialize_with = "lenient::string")]
    pub source_ip_address: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub user_agent: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub error_code: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub error_message: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub recipient_account_id: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub vpc_endpoint_id: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub vpc_endpoint_account_id: Option<String>,
    #[serde(rename = "sharedEventID", deserialize_with = "lenient::string")]
    pub shared_event_id: Option<String>,
    #[serde(rename = "requestID", deserialize_with = "lenient::string")]
    pub request_id: Option<String>,
    #[serde(deserialize_with = "lenient::identity")]
    pub user_identity: Option<UserIdentity>,
    pub request_parameters: Option<Value>,
    pub response_elements: Option<Value>,
    pub additional_event_data: Option<Value>,
    pub tls_details: Option<Value>,
    #[serde(deserialize_with = "lenient::resources")]
    pub resources: Vec<Resource>,
}

/// `userIdentity`: who made the call. Shapes differ a lot by `type` (IAMUser, AssumedRole,
/// FederatedUser, Root, AWSAccount for cross-account and anonymous callers, AWSService, ...).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct UserIdentity {
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub principal_id: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub arn: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub account_id: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub access_key_id: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub user_name: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub invoked_by: Option<String>,
    /// `sessionContext` (sessionIssuer, attributes, webIdFederationData, sourceIdentity).
    pub session_context: Option<Value>,
}

/// One entry of `resources[]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct Resource {
    #[serde(rename = "ARN", deserialize_with = "lenient::string")]
    pub arn: Option<String>,
    #[serde(rename = "accountId", deserialize_with = "lenient::string")]
    pub account_id: Option<String>,
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    pub kind: Option<String>,
}

impl Event {
    /// A string field of `requestParameters`, if present and a string.
    pub fn request_param(&self, key: &str) -> Option<&str> {
        self.request_parameters.as_ref()?.get(key)?.as_str()
    }

    /// A string field of `additionalEventData`, if present and a string.
    pub fn additional(&self, key: &str) -> Option<&str> {
        self.additional_event_data.as_ref()?.get(key)?.as_str()
    }

    /// `eventID`, or the empty string for the (vendor-written) records that lack one.
    pub fn id(&self) -> &str {
        self.event_id.as_deref().unwrap_or("")
    }
}

/// Deserializers that turn a field of the wrong JSON type into `None`/empty instead of failing
/// the whole record: numbers are written as strings, anything else is dropped.
pub mod lenient {
    use super::{Resource, UserIdentity};
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
    }

    pub fn identity<'de, D: Deserializer<'de>>(d: D) -> Result<Option<UserIdentity>, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(if v.is_object() {
            serde_json::from_value(v).ok()
        } else {
            None
        })
    }

    pub fn resources<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Resource>, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(match v {
            Value::Array(items) => items
                .into_iter()
                .filter_map(|i| serde_json::from_value(i).ok())
                .collect(),
            _ => Vec::new(),
        })
    }
}
