//! Which records matter, decided as cheaply as possible.
//!
//! [`Prefilter`] looks at a record's raw bytes for the few strings every record worth a full
//! parse must contain (`"errorCode"` for the 403s and KMS denials; the S3 write/delete event
//! names and session-policy keys for the side evidence; the Insights event type). About one
//! record in ten passes; only those are parsed, with simd-json into a reused tape
//! (`scan::object`). A successful S3 write whose bytes name a single account is passed over too:
//! it cannot be a foreign write. The needles are written with their quotes and no surrounding
//! whitespace, so they match minified and pretty-printed JSON alike. Limitation (stated, not
//! hidden): a key spelled with `\u` escapes of plain letters would not match; no CloudTrail
//! producer writes keys that way.

use super::evidence::{Deletion, ForeignWrite, KmsDenial, ObjectKey, SessionPolicy};
use crate::input::Origin;
use aho_corasick::packed;
use aho_corasick::AhoCorasick;
use memchr::memmem;
use simd_json::prelude::*;
use simd_json::tape::Value as TapeValue;
use std::sync::OnceLock;

/// S3's 403 error codes: the records the scan keeps.
pub const S3_403_CODES: [&str; 8] = [
    "AccessDenied",
    "VpceAccessDenied",
    "AllAccessDisabled",
    "AccountProblem",
    "InvalidObjectState",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "RequestTimeTooSkewed",
];

const NEEDLES: [&str; 12] = [
    "\"errorCode\"",
    "\"PutObject\"",
    "\"CopyObject\"",
    "\"CompleteMultipartUpload\"",
    "\"DeleteObject\"",
    "\"policy\"",
    "\"policyArns\"",
    "\"AwsCloudTrailInsight\"",
    // The STS calls that issue sessions, policy or not: a session issued without a session
    // policy is known to have none (and its session tags are known), which a missing record
    // cannot say. Whole names with both quotes: `"AssumeRole` alone would also find every
    // `"AssumedRole"` caller.
    "\"AssumeRole\"",
    "\"AssumeRoleWithSAML\"",
    "\"AssumeRoleWithWebIdentity\"",
    "\"GetFederationToken\"",
];

/// The multi-needle search behind [`Prefilter::is_candidate`]. Every needle starts with `"`,
/// the commonest byte in JSON, so the automaton's usual prefilter (skip to a possible first
/// byte) stops at almost every byte: measured on the 500 MB benchmark tree, that made this
/// one check a third of the scan's CPU. The packed SIMD searcher (Teddy) looks at several
/// bytes at once instead; where the CPU has no SIMD it is not built and the automaton is used.
enum Needles {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Needles {
    fn new() -> Self {
        let packed = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(NEEDLES)
            .build();
        match packed {
            Some(s) => Needles::Packed(s),
            // Built from constant, valid patterns: cannot fail.
            None => {
                Needles::Automaton(AhoCorasick::new(NEEDLES).unwrap_or_else(|_| unreachable!()))
            }
        }
    }

    /// Which needles the haystack holds: it stops at the first needle that is not an S3
    /// write name, and reads a record with none to its end either way.
    #[inline]
    fn hit(&self, haystack: &[u8]) -> Hit {
        let mut writes = false;
        let mut sts = false;
        let mut decides = |pattern: usize| {
            writes |= WRITE_NEEDLES.contains(&pattern);
            sts |= STS_NEEDLES.contains(&pattern);
            !WRITE_NEEDLES.contains(&pattern) && !STS_NEEDLES.contains(&pattern)
        };
        let other = match self {
            Needles::Packed(s) => s
                .find_iter(haystack)
                .any(|m| decides(m.pattern().as_usize())),
            Needles::Automaton(a) => a
                .find_iter(haystack)
                .any(|m| decides(m.pattern().as_usize())),
        };
        match (other, sts, writes) {
            (true, _, _) => Hit::Other,
            (false, true, _) => Hit::Sts,
            (false, false, true) => Hit::WritesOnly,
            (false, false, false) => Hit::None,
        }
    }
}

/// Where the S3 write names sit in [`NEEDLES`].
const WRITE_NEEDLES: std::ops::Range<usize> = 1..4;

/// Where the STS session-issuing names sit in [`NEEDLES`].
const STS_NEEDLES: std::ops::Range<usize> = 8..12;

/// What [`Needles::hit`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hit {
    None,
    /// S3 write names and nothing else: side evidence only if the write is foreign.
    WritesOnly,
    /// An STS session-issuing name (and maybe write names): side evidence unless an AWS
    /// service called it.
    Sts,
    Other,
}

/// The byte pre-filter, built once and shared by every thread.
pub struct Prefilter {
    needles: Needles,
    event_source: memmem::Finder<'static>,
    event_name: memmem::Finder<'static>,
    record_keys: AhoCorasick,
    account_keys: [memmem::Finder<'static>; 2],
    aws_service: memmem::Finder<'static>,
}

impl Prefilter {
    pub fn get() -> &'static Prefilter {
        static P: OnceLock<Prefilter> = OnceLock::new();
        P.get_or_init(|| Prefilter {
            needles: Needles::new(),
            event_source: memmem::Finder::new(b"\"eventSource\""),
            event_name: memmem::Finder::new(b"\"eventName\""),
            // Built from constant, valid patterns: cannot fail.
            record_keys: AhoCorasick::new(["\"eventVersion\"", "\"eventSource\"", "\"eventTime\""])
                .unwrap_or_else(|_| unreachable!()),
            account_keys: [
                memmem::Finder::new(b"\"accountId\""),
                memmem::Finder::new(b"\"recipientAccountId\""),
            ],
            aws_service: memmem::Finder::new(b"\"AWSService\""),
        })
    }

    /// Could this record be kept or be side evidence? False means certainly not.
    ///
    /// A successful S3 write is side evidence only when it is foreign: the writer's account
    /// (`userIdentity.accountId`) is not the bucket owner's (the bucket's `accountId` in
    /// `resources[]`, else `recipientAccountId`). Where every account the record names is one
    /// and the same, it cannot be, and it is not parsed: same-account writes are most of a
    /// data-event trail's candidates (39 % on the benchmark tree).
    #[inline]
    pub fn is_candidate(&self, record: &[u8]) -> bool {
        match self.needles.hit(record) {
            Hit::None => false,
            Hit::Other => true,
            Hit::WritesOnly => !self.names_one_account(record),
            // A session an AWS service assumed for itself is not kept ([`classify`]).
            Hit::Sts => self.aws_service.find(record).is_none(),
        }
    }

    /// Every `accountId` and `recipientAccountId` in the record is the same plain string (or
    /// there is none). Any value it cannot read so (null, a number, an escape) answers `false`,
    /// which only costs a parse.
    fn names_one_account(&self, record: &[u8]) -> bool {
        let mut seen: Option<&[u8]> = None;
        for key in &self.account_keys {
            for at in key.find_iter(record) {
                let Some(value) = string_value(&record[at + key.needle().len()..]) else {
                    return false;
                };
                match seen {
                    Some(s) if s != value => return false,
                    _ => seen = Some(value),
                }
            }
        }
        true
    }

    /// Does the record carry a CloudTrail key at all? (A file none of whose records does is
    /// not CloudTrail.)
    pub fn looks_like_record(&self, record: &[u8]) -> bool {
        self.record_keys.is_match(record)
    }

    /// `"eventSource"` followed (whitespace and colon aside) by `"s3.amazonaws.com"` (or
    /// `"s3express.amazonaws.com"`, directory buckets): tells a dropped S3 record from a
    /// dropped record of another service without parsing it.
    pub fn is_s3_source(&self, record: &[u8]) -> bool {
        matches!(
            self.event_source(record).map(|(_, s)| s),
            Some(b"s3.amazonaws.com" | b"s3express.amazonaws.com")
        )
    }

    /// Where `"eventSource"` is and its value.
    fn event_source<'r>(&self, record: &'r [u8]) -> Option<(usize, &'r [u8])> {
        let at = self.event_source.find(record)?;
        string_value(&record[at + self.event_source.needle().len()..]).map(|v| (at, v))
    }

    /// For a record the needles passed over: `Some(skip)`, how it is counted (another S3 call,
    /// another service), or `None` when it is a change event
    /// ([`super::change::CHANGE_EVENTS`]) by its `eventSource` and `eventName`, read from the
    /// bytes: then it is parsed. One search for `eventSource` (which the count needed anyway);
    /// CloudTrail writes `eventName` right after it, where it is read without a second search
    /// (measured: the search cost 1.8 % of the 500 MB benchmark's instructions); only a record
    /// written in another key order is searched, and only for the sources that have change
    /// events.
    pub fn passed_over(&self, record: &[u8]) -> Option<crate::input::Skip> {
        use crate::input::Skip;
        let Some((at, source)) = self.event_source(record) else {
            return Some(Skip::NotS3);
        };
        let skip = if source == b"s3.amazonaws.com" || source == b"s3express.amazonaws.com" {
            Skip::Not403
        } else {
            Skip::NotS3
        };
        let Some(changes) = super::change::change_names(source) else {
            return Some(skip);
        };
        let name = match next_event_name(record, source) {
            Some(name) => Some(name),
            None => self.event_name_anywhere(record, at),
        };
        match name {
            Some(n) if changes.iter().any(|c| c.as_bytes() == n) => None,
            _ => Some(skip),
        }
    }

    /// `eventName`'s value searched for in the whole record: after `eventSource` (at `at`)
    /// first, then before it.
    fn event_name_anywhere<'r>(&self, record: &'r [u8], at: usize) -> Option<&'r [u8]> {
        let len = self.event_name.needle().len();
        let after = &record[at..];
        match self.event_name.find(after) {
            Some(n) => string_value(&after[n + len..]),
            None => self
                .event_name
                .find(&record[..at])
                .and_then(|n| string_value(&record[n + len..])),
        }
    }

    /// [`Prefilter::passed_over`] as a question: would the scan parse this record as a change?
    pub fn is_change(&self, record: &[u8]) -> bool {
        self.passed_over(record).is_none()
    }
}

/// `eventName`'s value when it is the very next key after the `eventSource` value `source` (a
/// slice of `record`), as CloudTrail writes it: then no search is needed. `None` when the next
/// key is another one (the caller then searches).
fn next_event_name<'r>(record: &'r [u8], source: &[u8]) -> Option<&'r [u8]> {
    const KEY: &[u8] = b"\"eventName\"";
    // `source` lies inside `record`: its end, past the closing quote, is where the next key starts.
    let end = (source.as_ptr() as usize)
        .checked_sub(record.as_ptr() as usize)?
        .checked_add(source.len() + 1)?;
    let rest = record.get(end..)?.trim_ascii_start().strip_prefix(b",")?;
    let rest = rest.trim_ascii_start().strip_prefix(KEY)?;
    string_value(rest)
}

/// The string after a key (`: "value"`, whitespace allowed), if it is one without escapes.
fn string_value(after_key: &[u8]) -> Option<&[u8]> {
    let rest = after_key.trim_ascii_start().strip_prefix(b":")?;
    let rest = rest.trim_ascii_start().strip_prefix(b"\"")?;
    let end = memchr::memchr2(b'"', b'\\', rest)?;
    (rest[end] == b'"').then(|| &rest[..end])
}

/// What a parsed candidate is.
#[derive(Debug)]
pub enum Class {
    /// An S3 403: decode the whole record into an `Event`.
    Denial,
    /// A KMS AccessDenied naming an S3 ARN in its encryption context.
    KmsDenial(KmsDenial),
    SessionPolicy(SessionPolicy),
    ForeignWrite(ObjectKey, ForeignWrite),
    Deletion(ObjectKey, Deletion),
    /// A successful change event ([`super::change`]): decoded from the record's text.
    Change,
    InsightsEvent,
    /// An S3 record that is none of the above.
    OtherS3,
    /// Another service's record.
    Other,
    /// Valid JSON, but not an object.
    NotRecord,
}

fn str_at<'v>(v: TapeValue<'v, 'v>, path: &[&str]) -> Option<&'v str> {
    let mut cur = v;
    for k in path {
        cur = cur.get(*k)?;
    }
    cur.into_string()
}

fn owned(v: TapeValue<'_, '_>, path: &[&str]) -> Option<String> {
    str_at(v, path).map(str::to_owned)
}

/// No error: the field is absent, null or empty (vendor fixtures write `""`).
fn succeeded(v: TapeValue<'_, '_>) -> bool {
    match v.get("errorCode") {
        None => true,
        Some(e) => e.is_null() || e.as_str().is_some_and(str::is_empty),
    }
}

/// Classifies a parsed record. `origin` is attached to evidence.
pub fn classify(v: TapeValue<'_, '_>, origin: &Origin) -> Class {
    if !v.is_object() {
        return Class::NotRecord;
    }
    if str_at(v, &["eventType"]) == Some("AwsCloudTrailInsight") {
        return Class::InsightsEvent;
    }
    let source = str_at(v, &["eventSource"]).unwrap_or("");
    let code = str_at(v, &["errorCode"]);
    let name = str_at(v, &["eventName"]).unwrap_or("");
    if super::change::is_change(source.as_bytes(), name.as_bytes()) && succeeded(v) {
        return Class::Change;
    }
    match source {
        "s3.amazonaws.com" => {
            if code.is_some_and(|c| S3_403_CODES.contains(&c)) {
                return Class::Denial;
            }
            if !succeeded(v) {
                return Class::OtherS3;
            }
            match name {
                "PutObject" | "CopyObject" | "CompleteMultipartUpload" => foreign_write(v, name)
                    .map_or(Class::OtherS3, |(k, w)| Class::ForeignWrite(k, w)),
                "DeleteObject" => {
                    deletion(v).map_or(Class::OtherS3, |(k, d)| Class::Deletion(k, d))
                }
                _ => Class::OtherS3,
            }
        }
        // Directory buckets (S3 Express One Zone): their 403s are kept like S3's (CreateSession
        // is where they are authorized); their other records are S3 records with no evidence.
        "s3express.amazonaws.com" => {
            if code.is_some_and(|c| S3_403_CODES.contains(&c)) {
                Class::Denial
            } else {
                Class::OtherS3
            }
        }
        "kms.amazonaws.com" if code == Some("AccessDenied") => {
            kms_denial(v, origin).map_or(Class::Other, Class::KmsDenial)
        }
        // Sessions an AWS service issues for itself (an instance profile, a Lambda role) are
        // many and carry no session policy a customer wrote: not kept, to keep the scan's cost
        // (their sessions' session-policy layer stays unknown, as before).
        "sts.amazonaws.com"
            if succeeded(v)
                && (name.starts_with("AssumeRole") || name == "GetFederationToken")
                && str_at(v, &["userIdentity", "type"]) != Some("AWSService") =>
        {
            session_policy(v, name, origin).map_or(Class::Other, Class::SessionPolicy)
        }
        _ => Class::Other,
    }
}

fn session_policy(v: TapeValue<'_, '_>, name: &str, origin: &Origin) -> Option<SessionPolicy> {
    let params = v.get("requestParameters")?;
    let policy = owned(params, &["policy"]);
    let policy_arns: Vec<String> = params
        .get("policyArns")
        .and_then(|a| a.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    p.get("arn")
                        .and_then(|x| x.into_string())
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    // Session tags: `tags: [{key, value}]` (AssumeRole, GetFederationToken); the tags of a
    // SAML assertion or web identity token as `principalTags: {key: value}` (IAM User Guide,
    // id_session-tags.html, "Viewing session tags in CloudTrail"). A session that assumes a
    // role passes on its transitive tags, which this record does not show: then the list may
    // be incomplete.
    let mut session_tags: Vec<(String, String)> = params
        .get("tags")
        .and_then(|a| a.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    let k = t.get("key").and_then(|x| x.into_string())?;
                    let v = t.get("value").and_then(|x| x.into_string()).unwrap_or("");
                    Some((k.to_owned(), v.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(map) = params.get("principalTags").and_then(|m| m.as_object()) {
        for (k, val) in map.iter() {
            let val = val.into_string().unwrap_or("");
            session_tags.push((k.to_owned(), val.to_owned()));
        }
    }
    // Role chaining: a session calling AssumeRole inherits the caller's transitive tags. The
    // record lists them as `incomingTransitiveTags` (IAM User Guide, cloudtrail-integration.html,
    // "Example AWS STS role chaining API event in CloudTrail log file"); where it does not, the
    // calling session's own record (joined by `userIdentity.accessKeyId`) may tell
    // (`crate::diagnose::session_chain`).
    let chained = str_at(v, &["userIdentity", "type"]) == Some("AssumedRole");
    let transitive_tag_keys: Vec<String> = params
        .get("transitiveTagKeys")
        .and_then(|a| a.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|k| k.into_string().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let incoming_transitive_tags: Option<Vec<(String, String)>> = params
        .get("incomingTransitiveTags")
        .and_then(|m| m.as_object())
        .map(|map| {
            map.iter()
                .map(|(k, val)| (k.to_owned(), val.into_string().unwrap_or("").to_owned()))
                .collect()
        });
    let called_with = if chained {
        owned(v, &["userIdentity", "accessKeyId"])
    } else {
        None
    };
    let tags_complete = !chained || incoming_transitive_tags.is_some();
    Some(SessionPolicy {
        access_key_id: owned(v, &["responseElements", "credentials", "accessKeyId"])?,
        issued_by: name.to_owned(),
        event_time: owned(v, &["eventTime"]),
        event_id: owned(v, &["eventID"]),
        role_arn: owned(params, &["roleArn"]),
        policy,
        policy_arns,
        origin: origin.clone(),
        session_tags,
        tags_complete,
        transitive_tag_keys,
        incoming_transitive_tags: incoming_transitive_tags.unwrap_or_default(),
        called_with,
    })
}

/// The canned ACL that hands the bucket owner control of a new object.
const OWNER_FULL_CONTROL: &str = "bucket-owner-full-control";

fn kms_denial(v: TapeValue<'_, '_>, origin: &Origin) -> Option<KmsDenial> {
    let key_arn = v
        .get("resources")
        .and_then(|r| r.as_array())
        .and_then(|rs| {
            rs.iter()
                .filter_map(|r| r.get("ARN").and_then(|a| a.into_string()))
                .find(|a| a.starts_with("arn:aws:kms:"))
                .map(str::to_owned)
        });
    Some(KmsDenial {
        s3_arn: owned(v, &["requestParameters", "encryptionContext", "aws:s3:arn"])?,
        event_id: owned(v, &["eventID"]).unwrap_or_default(),
        event_time: owned(v, &["eventTime"]),
        event_name: owned(v, &["eventName"]).unwrap_or_default(),
        principal_arn: owned(v, &["userIdentity", "arn"]),
        key_arn,
        error_message: owned(v, &["errorMessage"]),
        origin: origin.clone(),
    })
}

fn boxed(v: TapeValue<'_, '_>, path: &[&str]) -> Option<Box<str>> {
    str_at(v, path).map(Box::from)
}

/// The object a write or delete names (`requestParameters.bucketName` and `key`).
fn object_key(params: TapeValue<'_, '_>) -> Option<ObjectKey> {
    Some(ObjectKey::new(
        str_at(params, &["bucketName"])?,
        str_at(params, &["key"])?,
    ))
}

fn foreign_write(v: TapeValue<'_, '_>, name: &str) -> Option<(ObjectKey, ForeignWrite)> {
    let params = v.get("requestParameters")?;
    let acl = params.get("x-amz-acl");
    let full_control = acl.is_some_and(|a| {
        a.as_str() == Some(OWNER_FULL_CONTROL)
            || a.as_array()
                .is_some_and(|xs| xs.iter().any(|x| x.as_str() == Some(OWNER_FULL_CONTROL)))
    });
    if full_control {
        return None;
    }
    let writer = str_at(v, &["userIdentity", "accountId"])?;
    let from_resources = v
        .get("resources")
        .and_then(|r| r.as_array())
        .and_then(|rs| {
            rs.iter()
                .find(|r| r.get("type").and_then(|t| t.into_string()) == Some("AWS::S3::Bucket"))
                .and_then(|r| r.get("accountId").and_then(|a| a.into_string()))
        });
    let recipient = str_at(v, &["recipientAccountId"]).filter(|r| *r != writer);
    let owner = from_resources.or(recipient)?;
    if owner == writer {
        return None;
    }
    let object = object_key(params)?;
    let write = ForeignWrite {
        writer_account: writer.into(),
        event_name: name.into(),
        event_time: boxed(v, &["eventTime"]),
        event_id: boxed(v, &["eventID"]),
    };
    Some((object, write))
}

fn deletion(v: TapeValue<'_, '_>) -> Option<(ObjectKey, Deletion)> {
    let object = object_key(v.get("requestParameters")?)?;
    let deletion = Deletion {
        event_time: boxed(v, &["eventTime"]),
        event_id: boxed(v, &["eventID"]),
    };
    Some((object, deletion))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn class_of(json: &str) -> Class {
        let mut bytes = json.as_bytes().to_vec();
        let tape = simd_json::to_tape(&mut bytes).unwrap();
        let origin = Origin {
            object: Arc::from("t"),
            record_index: Some(0),
        };
        classify(tape.as_value(), &origin)
    }

    #[test]
    fn prefilter_matches_minified_and_pretty() {
        let p = Prefilter::get();
        assert!(p.is_candidate(br#"{"errorCode":"AccessDenied"}"#));
        assert!(p.is_candidate(b"{\n  \"errorCode\" : \"AccessDenied\"}"));
        assert!(!p.is_candidate(br#"{"eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#));
        assert!(p.is_s3_source(b"{\"eventSource\" :\n \"s3.amazonaws.com\"}"));
        assert!(p.is_s3_source(br#"{"eventSource":"s3express.amazonaws.com"}"#));
        assert!(!p.is_s3_source(
            br#"{"eventSource":"kms.amazonaws.com","invokedBy":"s3.amazonaws.com"}"#
        ));
    }

    fn put(writer: &str, bucket_owner: &str, recipient: &str) -> String {
        format!(
            r#"{{"userIdentity":{{"type":"AssumedRole","accountId":"{writer}","sessionContext":
              {{"sessionIssuer":{{"accountId":"{writer}"}}}}}},"eventSource":"s3.amazonaws.com",
              "eventName":"PutObject","requestParameters":{{"bucketName":"b","key":"k"}},
              "resources":[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b/k"}},
              {{"accountId":"{bucket_owner}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b"}}],
              "recipientAccountId":"{recipient}"}}"#
        )
    }

    /// A successful write is parsed only when it could be foreign: the accounts it names
    /// differ, or one cannot be read from the bytes.
    #[test]
    fn same_account_writes_are_not_parsed() {
        let p = Prefilter::get();
        let same = put("111", "111", "111");
        assert!(!p.is_candidate(same.as_bytes()));
        assert!(
            matches!(class_of(&same), Class::OtherS3),
            "what the parse would say"
        );
        let pretty = same.replace(r#""accountId":"#, "\"accountId\" :\n ");
        assert!(
            !p.is_candidate(pretty.as_bytes()),
            "whitespace around the colon"
        );
        for foreign in [put("222", "111", "111"), put("222", "111", "222")] {
            assert!(p.is_candidate(foreign.as_bytes()), "{foreign}");
            assert!(
                matches!(class_of(&foreign), Class::ForeignWrite(..)),
                "{foreign}"
            );
        }
        // Another account anywhere, a value it cannot read plainly, or another needle.
        for parse in [
            put("111", "111", "333"),
            same.replacen(r#""accountId":"111""#, r#""accountId":null"#, 1),
            same.replacen(
                r#""accountId":"111""#,
                r#""accountId":"\u0031\u0031\u0031""#,
                1,
            ),
            same.replace("PutObject", "DeleteObject"),
            same.replace(
                r#""recipientAccountId""#,
                r#""errorCode":"NoSuchKey","recipientAccountId""#,
            ),
        ] {
            assert!(p.is_candidate(parse.as_bytes()), "{parse}");
        }
    }

    /// The pre-filter's promise, on every record of `sample-logs/` and the real corpus: a record
    /// it passes over is one the parse would drop too. And the write rule does pass over some.
    #[test]
    fn the_prefilter_passes_over_nothing_the_scan_keeps() {
        let p = Prefilter::get();
        let (mut kept, mut same_account_writes) = (0, 0);
        for bytes in crate::scan::test_records::every_record() {
            let mut parsed = bytes.clone();
            let Ok(tape) = simd_json::to_tape(&mut parsed) else {
                continue;
            };
            let origin = Origin {
                object: Arc::from("t"),
                record_index: Some(0),
            };
            let class = classify(tape.as_value(), &origin);
            if matches!(class, Class::Other | Class::OtherS3 | Class::NotRecord) {
                same_account_writes += usize::from(
                    p.needles.hit(&bytes) == Hit::WritesOnly && !p.is_candidate(&bytes),
                );
                continue;
            }
            kept += 1;
            assert!(
                p.is_candidate(&bytes) || p.is_change(&bytes),
                "{class:?}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        assert!(kept > 40, "{kept} records kept or side evidence");
        assert!(
            same_account_writes > 10,
            "{same_account_writes} same-account writes passed over"
        );
    }

    /// A change event is found whether `eventName` follows `eventSource` (CloudTrail's order,
    /// read without a search), comes before it, or comes later after other keys; a data event
    /// in any of those orders is passed over.
    #[test]
    fn change_events_are_found_in_any_key_order() {
        let p = Prefilter::get();
        let orders = [
            r#"{"eventSource":"s3.amazonaws.com","eventName":"NAME","awsRegion":"r"}"#,
            "{\n  \"eventSource\" : \"s3.amazonaws.com\" ,\n  \"eventName\" : \"NAME\"\n}",
            r#"{"eventName":"NAME","awsRegion":"r","eventSource":"s3.amazonaws.com"}"#,
            r#"{"eventSource":"s3.amazonaws.com","awsRegion":"r","eventName":"NAME"}"#,
        ];
        for order in orders {
            let change = order.replace("NAME", "PutBucketPolicy");
            assert!(p.is_change(change.as_bytes()), "{change}");
            let data = order.replace("NAME", "GetObject");
            assert_eq!(
                p.passed_over(data.as_bytes()),
                Some(crate::input::Skip::Not403),
                "{data}"
            );
        }
        let iam = r#"{"eventSource":"iam.amazonaws.com","eventName":"PutBucketPolicy"}"#;
        assert!(
            !p.is_change(iam.as_bytes()),
            "S3's name under another source"
        );
    }

    #[test]
    fn keeps_every_s3_403_code_and_nothing_else() {
        for code in S3_403_CODES {
            let r = format!(r#"{{"eventSource":"s3.amazonaws.com","errorCode":"{code}"}}"#);
            assert!(matches!(class_of(&r), Class::Denial), "{code}");
        }
        assert!(matches!(
            class_of(r#"{"eventSource":"s3.amazonaws.com","errorCode":"NoSuchKey"}"#),
            Class::OtherS3
        ));
        assert!(matches!(
            class_of(r#"{"eventSource":"ec2.amazonaws.com","errorCode":"AccessDenied"}"#),
            Class::Other
        ));
        // Directory buckets: a CreateSession 403 is kept (s3-express-log-files.html logs it
        // with eventSource s3express.amazonaws.com).
        assert!(matches!(
            class_of(
                r#"{"eventSource":"s3express.amazonaws.com","eventName":"CreateSession","errorCode":"AccessDenied"}"#
            ),
            Class::Denial
        ));
        assert!(matches!(class_of("[1]"), Class::NotRecord));
    }

    #[test]
    fn side_evidence() {
        let kms = r#"{"eventSource":"kms.amazonaws.com","errorCode":"AccessDenied",
            "requestParameters":{"encryptionContext":{"aws:s3:arn":"arn:aws:s3:::b/k"}}}"#;
        assert!(matches!(class_of(kms), Class::KmsDenial(d) if d.s3_arn == "arn:aws:s3:::b/k"));

        let sts = r#"{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
            "requestParameters":{"roleArn":"arn:aws:iam::1:role/r","policy":"{\"Version\":\"2012-10-17\"}",
              "policyArns":[{"arn":"arn:aws:iam::1:policy/p"}]},
            "responseElements":{"credentials":{"accessKeyId":"ASIAX"}}}"#;
        match class_of(sts) {
            Class::SessionPolicy(p) => {
                assert_eq!(p.access_key_id, "ASIAX");
                assert_eq!(p.policy.as_deref(), Some("{\"Version\":\"2012-10-17\"}"));
                assert_eq!(p.policy_arns, ["arn:aws:iam::1:policy/p"]);
            }
            c => panic!("{c:?}"),
        }
        let plain_sts = r#"{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
            "requestParameters":{"roleArn":"r"},"responseElements":{"credentials":{"accessKeyId":"A"}}}"#;
        match class_of(plain_sts) {
            Class::SessionPolicy(p) => {
                assert_eq!(p.access_key_id, "A");
                assert!(p.policy.is_none() && p.policy_arns.is_empty());
                assert!(p.session_tags.is_empty() && p.tags_complete);
            }
            c => panic!("{c:?}"),
        }
        let saml = r#"{"eventSource":"sts.amazonaws.com","eventName":"AssumeRoleWithSAML",
            "requestParameters":{"roleArn":"r","principalTags":{"team":"data"}},
            "responseElements":{"credentials":{"accessKeyId":"B"}}}"#;
        match class_of(saml) {
            Class::SessionPolicy(p) => {
                assert_eq!(p.session_tags, [("team".to_owned(), "data".to_owned())]);
                assert!(p.tags_complete);
            }
            c => panic!("{c:?}"),
        }
        let chained = r#"{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
            "userIdentity":{"type":"AssumedRole","accessKeyId":"P"},
            "requestParameters":{"roleArn":"r","tags":[{"key":"team","value":"data"}],
              "transitiveTagKeys":["team"]},
            "responseElements":{"credentials":{"accessKeyId":"C"}}}"#;
        match class_of(chained) {
            Class::SessionPolicy(p) => {
                assert_eq!(p.session_tags, [("team".to_owned(), "data".to_owned())]);
                assert_eq!(p.transitive_tag_keys, ["team"]);
                assert_eq!(p.called_with.as_deref(), Some("P"));
                assert!(
                    !p.tags_complete,
                    "the calling session's transitive tags pass on"
                );
            }
            c => panic!("{c:?}"),
        }
        // cloudtrail-integration.html's role-chaining example: the inherited tags are listed.
        let listed = r#"{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
            "userIdentity":{"type":"AssumedRole","accessKeyId":"P"},
            "requestParameters":{"roleArn":"r","incomingTransitiveTags":{"Department":"Engineering"}},
            "responseElements":{"credentials":{"accessKeyId":"D"}}}"#;
        match class_of(listed) {
            Class::SessionPolicy(p) => {
                assert_eq!(
                    p.incoming_transitive_tags,
                    [("Department".to_owned(), "Engineering".to_owned())]
                );
                assert!(p.tags_complete);
            }
            c => panic!("{c:?}"),
        }

        let put = |acl: &str, owner: &str| {
            format!(
                r#"{{"eventSource":"s3.amazonaws.com","eventName":"PutObject","recipientAccountId":"{owner}",
                "userIdentity":{{"accountId":"222"}},"requestParameters":{{"bucketName":"b","key":"k"{acl}}},
                "resources":[{{"type":"AWS::S3::Bucket","accountId":"{owner}"}}]}}"#
            )
        };
        match class_of(&put("", "111")) {
            Class::ForeignWrite(k, w) => {
                assert_eq!((k.bucket(), k.key()), ("b", "k"));
                assert_eq!(&*w.writer_account, "222");
            }
            c => panic!("{c:?}"),
        }
        let bfc = r#","x-amz-acl":"bucket-owner-full-control""#;
        assert!(matches!(class_of(&put(bfc, "111")), Class::OtherS3));
        assert!(
            matches!(class_of(&put("", "222")), Class::OtherS3),
            "same account"
        );

        let del = r#"{"eventSource":"s3.amazonaws.com","eventName":"DeleteObject",
            "requestParameters":{"bucketName":"b","key":"k"}}"#;
        assert!(matches!(class_of(del), Class::Deletion(k, _) if k.key() == "k"));
        let failed = r#"{"eventSource":"s3.amazonaws.com","eventName":"DeleteObject","errorCode":"NoSuchBucket",
            "requestParameters":{"bucketName":"b","key":"k"}}"#;
        assert!(matches!(class_of(failed), Class::OtherS3));
        assert!(matches!(
            class_of(r#"{"eventType":"AwsCloudTrailInsight"}"#),
            Class::InsightsEvent
        ));
    }
}
