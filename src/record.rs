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
    pub tls_details: Option<TlsDetails>,
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
    /// `sessionContext`: present (`Some`) whenever the record has one that is not null.
    pub session_context: Option<SessionContext>,
}

/// `userIdentity.sessionContext`, as far as the diagnosis reads it: the role that issued the
/// session, its MFA flag and start time, the source identity; the rest is not kept. Typed
/// rather than a `serde_json::Value` because its three nested ordered maps were a quarter of
/// an event's decoding (measured: 6.0 µs a benchmark record, 4.4 µs without it). Each field
/// is read only when it is a JSON string, as `Value::as_str` read it; anything but an object
/// reads as an empty context. Serialized in CloudTrail's own nested shape, so it reads back.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SessionContext {
    pub session_issuer: SessionIssuer,
    pub attributes: SessionAttributes,
    pub source_identity: Option<String>,
}

/// `sessionContext.sessionIssuer`: the role (or user) whose credentials made the session.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SessionIssuer {
    pub arn: Option<String>,
}

/// `sessionContext.attributes`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SessionAttributes {
    pub mfa_authenticated: Option<String>,
    pub creation_date: Option<String>,
}

/// `tlsDetails`, as far as the diagnosis reads it (the TLS version, when a string).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TlsDetails {
    pub tls_version: Option<String>,
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
///
/// They visit the parser's tokens directly rather than building a `serde_json::Value` first:
/// every kept or spilled event goes through them, and the `Value` detour (an ordered map per
/// `userIdentity`, then a second deserialization out of it) was a third of an event's
/// decoding. A key given twice keeps its last value, as the `Value` map did.
pub mod lenient {
    use super::{
        Resource, SessionAttributes, SessionContext, SessionIssuer, TlsDetails, UserIdentity,
    };
    use serde::de::value::SeqAccessDeserializer;
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde::Deserialize;
    use serde_json::Value;
    use std::fmt;
    use std::marker::PhantomData;

    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Strings::LENIENT.deserialize(d)
    }

    pub fn identity<'de, D: Deserializer<'de>>(d: D) -> Result<Option<UserIdentity>, D::Error> {
        d.deserialize_any(IdentityVisitor)
    }

    pub fn resources<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Resource>, D::Error> {
        d.deserialize_any(ResourcesVisitor)
    }

    /// Drains a JSON array or object the caller has no use for.
    fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }

    /// A string as it is; with `numbers_too`, a number or a boolean as its JSON text;
    /// anything else `None`. A visitor, and the seed that reads a value with it.
    #[derive(Clone, Copy)]
    struct Strings {
        numbers_too: bool,
    }

    impl Strings {
        /// [`string`]: numbers and booleans as text.
        const LENIENT: Strings = Strings { numbers_too: true };
        /// Only a JSON string, as `Value::as_str` reads one.
        const STRICT: Strings = Strings { numbers_too: false };
    }

    impl<'de> DeserializeSeed<'de> for Strings {
        type Value = Option<String>;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Strings {
        type Value = Option<String>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }

        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(self.numbers_too.then(|| v.to_string()))
        }

        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(self.numbers_too.then(|| v.to_string()))
        }

        fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
            if !self.numbers_too {
                return Ok(None);
            }
            // serde_json's own rendering of the number, as `Value::Number(n).to_string()`.
            Ok(serde_json::Number::from_f64(v).map(|n| n.to_string()))
        }

        fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
            Ok(self.numbers_too.then(|| v.to_string()))
        }

        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            drain_seq(seq).map(|()| None)
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            drain_map(map).map(|()| None)
        }
    }

    /// A map key as its place in a list of known keys (`None`: a key to skip), read without
    /// allocating.
    struct KeySeed(&'static [&'static str]);

    impl<'de> DeserializeSeed<'de> for KeySeed {
        type Value = Option<usize>;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
    }

    impl<'de> Visitor<'de> for KeySeed {
        type Value = Option<usize>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a field name")
        }

        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(self.0.iter().position(|k| *k == v))
        }
    }

    /// Visits every scalar (and, given `seq too`, an array) as the empty default: the value is
    /// read and dropped. For visitors that want only an object.
    macro_rules! default_unless_map {
        () => {
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Default::default())
            }

            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Default::default())
            }

            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Default::default())
            }

            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Default::default())
            }

            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Default::default())
            }

            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Default::default())
            }

            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Default::default())
            }

            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
        };
        (seq too) => {
            default_unless_map!();

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                drain_seq(seq).map(|()| Default::default())
            }
        };
    }

    /// `userIdentity`: an object, field by field, or `None` for anything else.
    struct IdentityVisitor;

    impl<'de> Visitor<'de> for IdentityVisitor {
        type Value = Option<UserIdentity>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a userIdentity object")
        }

        default_unless_map!(seq too);

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            const KEYS: &[&str] = &[
                "type",
                "principalId",
                "arn",
                "accountId",
                "accessKeyId",
                "userName",
                "invokedBy",
                "sessionContext",
            ];
            let mut u = UserIdentity::default();
            while let Some(key) = map.next_key_seed(KeySeed(KEYS))? {
                let field = match key {
                    Some(0) => &mut u.kind,
                    Some(1) => &mut u.principal_id,
                    Some(2) => &mut u.arn,
                    Some(3) => &mut u.account_id,
                    Some(4) => &mut u.access_key_id,
                    Some(5) => &mut u.user_name,
                    Some(6) => &mut u.invoked_by,
                    Some(_) => {
                        u.session_context = map.next_value::<Option<SessionContext>>()?;
                        continue;
                    }
                    None => {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                };
                *field = map.next_value_seed(Strings::LENIENT)?;
            }
            Ok(Some(u))
        }
    }

    /// `resources[]`: an array of objects; entries that are not objects are left out, and
    /// anything but an array is no resources.
    struct ResourcesVisitor;

    impl<'de> Visitor<'de> for ResourcesVisitor {
        type Value = Vec<Resource>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an array of resources")
        }

        default_unless_map!();

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(r) = seq.next_element_seed(ResourceSeed)? {
                out.extend(r);
            }
            Ok(out)
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            drain_map(map).map(|()| Vec::new())
        }
    }

    /// One entry of `resources[]`.
    struct ResourceSeed;

    impl<'de> DeserializeSeed<'de> for ResourceSeed {
        type Value = Option<Resource>;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for ResourceSeed {
        type Value = Option<Resource>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a resource object")
        }

        default_unless_map!();

        /// An entry written as an array reads positionally (ARN, accountId, type), as the
        /// derived `Deserialize` reads it; one that does not fit is left out.
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            let v = Value::deserialize(SeqAccessDeserializer::new(seq))?;
            Ok(serde_json::from_value(v).ok())
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            FieldsVisitor::<Resource>(PhantomData)
                .visit_map(map)
                .map(Some)
        }
    }

    /// An object whose fields are each a string or nothing, read key by key: a key given
    /// twice keeps its last value, an unknown key is skipped, and anything but an object is
    /// the empty default ([`FieldsVisitor`]).
    trait StringFields: Default {
        /// The keys, in the order [`field`](Self::field) numbers them.
        const KEYS: &'static [&'static str];
        /// How a value is read: [`Strings::LENIENT`] or [`Strings::STRICT`].
        const READ: Strings;
        fn field(&mut self, key: usize) -> &mut Option<String>;
    }

    impl StringFields for Resource {
        const KEYS: &'static [&'static str] = &["ARN", "accountId", "type"];
        const READ: Strings = Strings::LENIENT;
        fn field(&mut self, key: usize) -> &mut Option<String> {
            match key {
                0 => &mut self.arn,
                1 => &mut self.account_id,
                _ => &mut self.kind,
            }
        }
    }

    impl StringFields for SessionIssuer {
        const KEYS: &'static [&'static str] = &["arn"];
        const READ: Strings = Strings::STRICT;
        fn field(&mut self, _: usize) -> &mut Option<String> {
            &mut self.arn
        }
    }

    impl StringFields for SessionAttributes {
        const KEYS: &'static [&'static str] = &["mfaAuthenticated", "creationDate"];
        const READ: Strings = Strings::STRICT;
        fn field(&mut self, key: usize) -> &mut Option<String> {
            match key {
                0 => &mut self.mfa_authenticated,
                _ => &mut self.creation_date,
            }
        }
    }

    impl StringFields for TlsDetails {
        const KEYS: &'static [&'static str] = &["tlsVersion"];
        const READ: Strings = Strings::STRICT;
        fn field(&mut self, _: usize) -> &mut Option<String> {
            &mut self.tls_version
        }
    }

    struct FieldsVisitor<T>(PhantomData<T>);

    impl<'de, T: StringFields> Visitor<'de> for FieldsVisitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object")
        }

        default_unless_map!(seq too);

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = T::default();
            while let Some(key) = map.next_key_seed(KeySeed(T::KEYS))? {
                match key {
                    Some(i) => *out.field(i) = map.next_value_seed(T::READ)?,
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(out)
        }
    }

    /// The typed objects' own `Deserialize`, for `Option<TlsDetails>` in the derived `Event`
    /// and the nested objects of a `sessionContext`.
    fn fields<'de, T: StringFields, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        d.deserialize_any(FieldsVisitor(PhantomData))
    }

    impl<'de> Deserialize<'de> for SessionIssuer {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            fields(d)
        }
    }

    impl<'de> Deserialize<'de> for SessionAttributes {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            fields(d)
        }
    }

    impl<'de> Deserialize<'de> for TlsDetails {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            fields(d)
        }
    }

    impl<'de> Deserialize<'de> for SessionContext {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(SessionContextVisitor)
        }
    }

    /// `sessionContext`: its two nested objects whole (the last one given wins) and
    /// `sourceIdentity`.
    struct SessionContextVisitor;

    impl<'de> Visitor<'de> for SessionContextVisitor {
        type Value = SessionContext;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a sessionContext object")
        }

        default_unless_map!(seq too);

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            const KEYS: &[&str] = &["sessionIssuer", "attributes", "sourceIdentity"];
            let mut out = SessionContext::default();
            while let Some(key) = map.next_key_seed(KeySeed(KEYS))? {
                match key {
                    Some(0) => out.session_issuer = map.next_value()?,
                    Some(1) => out.attributes = map.next_value()?,
                    Some(_) => out.source_identity = map.next_value_seed(Strings::STRICT)?,
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decoding these visitors replaced: through a `serde_json::Value` first. It is the
    /// oracle: the visitors must read every input the same.
    mod via_value {
        use super::super::{Resource, UserIdentity};
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
            Ok(match Value::deserialize(d)? {
                Value::Array(items) => items
                    .into_iter()
                    .filter_map(|i| serde_json::from_value(i).ok())
                    .collect(),
                _ => Vec::new(),
            })
        }
    }

    type SessionReads = (
        bool,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );

    /// What the diagnosis read of a `sessionContext` kept as a `serde_json::Value`.
    fn session_reads_of_value(v: Option<&serde_json::Value>) -> SessionReads {
        let s = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_owned);
        let attrs = v.and_then(|v| v.get("attributes"));
        (
            v.is_some(),
            s(v.and_then(|v| v.get("sessionIssuer"))
                .and_then(|i| i.get("arn"))),
            s(attrs.and_then(|a| a.get("mfaAuthenticated"))),
            s(attrs.and_then(|a| a.get("creationDate"))),
            s(v.and_then(|v| v.get("sourceIdentity"))),
        )
    }

    fn session_reads(c: Option<&SessionContext>) -> SessionReads {
        (
            c.is_some(),
            c.and_then(|c| c.session_issuer.arn.clone()),
            c.and_then(|c| c.attributes.mfa_authenticated.clone()),
            c.and_then(|c| c.attributes.creation_date.clone()),
            c.and_then(|c| c.source_identity.clone()),
        )
    }

    /// The typed `sessionContext` and `tlsDetails` answer what the diagnosis asked of them
    /// when they were `serde_json::Value`s, on every shape: through serde_json, through
    /// simd-json (the scan's decoder) and after a trip through the spill's serialization.
    #[test]
    fn typed_session_context_reads_as_the_value_did() {
        let contexts = [
            "null",
            r#""text""#,
            "[1]",
            "7",
            "{}",
            r#"{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::1:role/r"},
                "attributes":{"creationDate":"2026-11-02T08:14:51Z","mfaAuthenticated":"false"},
                "sourceIdentity":"alice","webIdFederationData":{}}"#,
            r#"{"sessionIssuer":"not an object","attributes":[1],"sourceIdentity":5}"#,
            r#"{"sessionIssuer":{"arn":7},"attributes":{"mfaAuthenticated":true,"creationDate":null}}"#,
            r#"{"sessionIssuer":{"arn":"first"},"sessionIssuer":{"userName":"u"},
                "attributes":{"mfaAuthenticated":"true","mfaAuthenticated":"false"},
                "sourceIdentity":"a","sourceIdentity":null}"#,
            r#"{"attributes":{"mfaAuthenticated":"true"},"attributes":{}}"#,
            r#"{"tlsVersion":"TLSv1.2","cipherSuite":"x"}"#,
            r#"{"tlsVersion":"TLSv1.3","tlsVersion":1}"#,
        ];
        for c in contexts {
            let doc = format!(
                r#"{{"userIdentity":{{"type":"AssumedRole","sessionContext":{c}}},"tlsDetails":{c}}}"#
            );
            let old: serde_json::Value = serde_json::from_str(&doc).expect("JSON");
            let old_ctx = old["userIdentity"]
                .get("sessionContext")
                .filter(|v| !v.is_null());
            let old_tls = old.get("tlsDetails").filter(|v| !v.is_null());
            let expected = (
                session_reads_of_value(old_ctx),
                old_tls.is_some(),
                old_tls
                    .and_then(|t| t.get("tlsVersion"))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
            );
            let mut simd_bytes = doc.clone().into_bytes();
            let from_simd: Event =
                simd_json::serde::from_slice(&mut simd_bytes).expect("simd-json");
            let from_json: Event = serde_json::from_str(&doc).expect("serde_json");
            let round_trip: Event =
                serde_json::from_slice(&serde_json::to_vec(&from_json).expect("serializes"))
                    .expect("reads back");
            for e in [&from_json, &from_simd, &round_trip] {
                let ctx = e
                    .user_identity
                    .as_ref()
                    .and_then(|u| u.session_context.as_ref());
                let got = (
                    session_reads(ctx),
                    e.tls_details.is_some(),
                    e.tls_details.as_ref().and_then(|t| t.tls_version.clone()),
                );
                assert_eq!(got, expected, "{doc}");
            }
        }
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct New {
        #[serde(deserialize_with = "lenient::string")]
        s: Option<String>,
        #[serde(deserialize_with = "lenient::identity")]
        u: Option<UserIdentity>,
        #[serde(deserialize_with = "lenient::resources")]
        r: Vec<Resource>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Old {
        #[serde(deserialize_with = "via_value::string")]
        s: Option<String>,
        #[serde(deserialize_with = "via_value::identity")]
        u: Option<UserIdentity>,
        #[serde(deserialize_with = "via_value::resources")]
        r: Vec<Resource>,
    }

    #[test]
    fn lenient_fields_read_every_shape_as_the_value_detour_did() {
        let values = [
            r#""text""#,
            r#""esc\"aped \u00e9""#,
            "0",
            "18446744073709551615",
            "-42",
            "1.50",
            "1e400",
            "-0.0",
            "123456789012345678901234567890",
            "true",
            "null",
            "[]",
            r#"[1, "a", {"b": 2}]"#,
            "{}",
            r#"{"type":"AssumedRole","arn":7,"arn":"arn:aws:iam::1:role/r","principalId":null,
               "sessionContext":{"attributes":{"mfaAuthenticated":"false"}},"other":[1]}"#,
            r#"{"sessionContext":{"x":1},"sessionContext":null,"accessKeyId":true}"#,
            r#"{"userName":{"nested":"object"},"invokedBy":["list"],"t\u0079pe":"IAMUser"}"#,
            r#"[{"ARN":"arn:aws:s3:::b","accountId":123,"type":"AWS::S3::Bucket","x":{}},
               "not an object", 5, null, ["arn:aws:s3:::p", "1", "AWS::S3::Object"],
               ["too", "many", "fields", "here"], {"ARN":null,"ARN":"last wins"}]"#,
        ];
        for s in values {
            for u in values {
                for r in values {
                    let doc = format!(r#"{{"s":{s},"u":{u},"r":{r}}}"#);
                    let old = serde_json::from_str::<Old>(&doc).map(|o| (o.s, o.u, o.r));
                    let new = serde_json::from_str::<New>(&doc).map(|n| (n.s, n.u, n.r));
                    match (old, new) {
                        (Ok(old), Ok(new)) => assert_eq!(new, old, "{doc}"),
                        // Both fail only where the JSON does (1e400 is out of range).
                        (Err(_), Err(_)) => assert!(doc.contains("1e400"), "{doc}"),
                        (old, new) => panic!("{doc}: {old:?} against {new:?}"),
                    }
                    // Out of a Value too (tests build events with `json!`).
                    let Ok(v) = serde_json::from_str::<serde_json::Value>(&doc) else {
                        continue;
                    };
                    let old: Old = serde_json::from_value(v.clone()).expect("the oracle");
                    let new: New = serde_json::from_value(v).expect("the visitors");
                    assert_eq!((new.s, new.u, new.r), (old.s, old.u, old.r), "{doc}");
                }
            }
        }
    }
}
