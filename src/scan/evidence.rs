//! Side evidence the diagnosis needs, kept from the same logs as the 403s.
//!
//! Some root causes cannot be seen in the denied record or the policy snapshot alone
//! (AWS-NOTES.md): the session policy of an assumed-role session lives in the `AssumeRole`
//! record that issued its key; the owner of an object written by another account lives in
//! that `PutObject`; a missing key shows up as a `DeleteObject`; a KMS denial behind an S3
//! 403 is its own record. The scan keeps these alongside the denials, with hard caps: memory
//! stays bounded whatever the input, and anything beyond a cap is counted in
//! [`Evidence::overflow`] and reported, never dropped silently.
//!
//! `Evidence` is mergeable ([`Evidence::merge`]) like `ScanStats`: workers and shards each
//! build one and they combine. For a key seen several times the latest record (by
//! `eventTime`, then `eventID`) wins, so merge order does not change the result.

use crate::input::Origin;
use serde::{Deserialize, Serialize};
// foldhash: std's SipHash showed up at 3% of the scan's CPU on these maps (keys are bucket and
// object names); foldhash is seeded per process, so crafted keys cannot force collisions.
use foldhash::HashMap;

/// Caps on each kind of evidence kept in memory. Entries are kept small (one allocation per
/// string, no whole records): measured on the `gen_corpus` trees, about 250 bytes per deletion
/// or foreign write and 500 per KMS denial or session policy, so the defaults bound evidence
/// to roughly 130 MB in the worst case. `analyze` writes evidence to disk and loads only what
/// its kept events name ([`super::EvidenceLog`]), so there the caps are all but never reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvidenceCaps {
    pub kms_denials: usize,
    pub session_policies: usize,
    pub foreign_writes: usize,
    pub deletions: usize,
    /// Change events ([`super::change`]): few in a trail (people change policies, programs
    /// read objects), all kept for the timeline, a few hundred bytes each.
    pub changes: usize,
}

impl Default for EvidenceCaps {
    fn default() -> Self {
        EvidenceCaps {
            kms_denials: 10_000,
            session_policies: 50_000,
            foreign_writes: 200_000,
            deletions: 200_000,
            changes: 200_000,
        }
    }
}

/// An S3 object's name as one string, `bucket/key`. Bucket names cannot contain `/`, so the
/// split is unambiguous, and one allocation replaces a `(String, String)` pair: the evidence
/// maps hold up to hundreds of thousands of these.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey(Box<str>);

impl ObjectKey {
    pub fn new(bucket: &str, key: &str) -> Self {
        let mut s = String::with_capacity(bucket.len() + 1 + key.len());
        s.push_str(bucket);
        s.push('/');
        s.push_str(key);
        ObjectKey(s.into_boxed_str())
    }

    /// From `bucket/key` as [`ObjectKey::as_str`] gives it.
    pub fn from_joined(joined: String) -> Self {
        ObjectKey(joined.into_boxed_str())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn bucket(&self) -> &str {
        self.0.split_once('/').map_or(&self.0, |(b, _)| b)
    }

    pub fn key(&self) -> &str {
        self.0.split_once('/').map_or("", |(_, k)| k)
    }
}

/// Looked up by `bucket/key` without building one (the evidence log filters on its keys).
impl std::borrow::Borrow<str> for ObjectKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// A KMS `AccessDenied` whose encryption context names an S3 object or bucket
/// (`requestParameters.encryptionContext."aws:s3:arn"`): S3 calls KMS on the caller's behalf,
/// so this record is the KMS half of an S3 403 (cause `kms`). With S3 Bucket Keys the ARN is
/// the bucket's, not the object's. Only the join keys and what a finding cites are kept, not
/// the whole record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsDenial {
    /// The `aws:s3:arn` value (`arn:aws:s3:::bucket/key` or `arn:aws:s3:::bucket`).
    pub s3_arn: String,
    pub event_id: String,
    pub event_time: Option<String>,
    /// `Decrypt`, `GenerateDataKey`.
    pub event_name: String,
    /// `userIdentity.arn` of the caller S3 acted for.
    pub principal_arn: Option<String>,
    /// The key's ARN from `resources[]`.
    pub key_arn: Option<String>,
    pub error_message: Option<String>,
    pub origin: Origin,
}

/// What the successful `AssumeRole*` / `GetFederationToken` record that issued a session's
/// access key says of the session: its session policies (cause `session_policy`; none passed
/// is kept too, so that "no session policy" is known apart from "record not in the logs") and
/// its session tags (`aws:PrincipalTag/*`). Join a denied event's
/// `userIdentity.accessKeyId` with [`Evidence::session_policies`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPolicy {
    /// `responseElements.credentials.accessKeyId` of the issuing call.
    pub access_key_id: String,
    /// `AssumeRole`, `AssumeRoleWithSAML`, `AssumeRoleWithWebIdentity`, `GetFederationToken`.
    pub issued_by: String,
    pub event_time: Option<String>,
    pub event_id: Option<String>,
    /// `requestParameters.roleArn` (absent for GetFederationToken).
    pub role_arn: Option<String>,
    /// The inline session policy as the JSON text CloudTrail recorded
    /// (`requestParameters.policy`), when present.
    pub policy: Option<String>,
    /// `requestParameters.policyArns[].arn`: managed session policies.
    pub policy_arns: Vec<String>,
    pub origin: Origin,
    /// Session tags passed in the request (`requestParameters.tags`, `[{key, value}]`).
    #[serde(default)]
    pub session_tags: Vec<(String, String)>,
    /// Whether `session_tags` are all the session's tags: false when the tags may also come
    /// from elsewhere (the transitive tags of the session that assumed this one, in role
    /// chaining), and for records kept before this field existed. CloudTrail logs the tags of a
    /// SAML assertion or web identity token as `requestParameters.principalTags`.
    #[serde(default)]
    pub tags_complete: bool,
    /// `requestParameters.transitiveTagKeys`: which of `session_tags` pass on to the sessions
    /// this one assumes (role chaining).
    #[serde(default)]
    pub transitive_tag_keys: Vec<String>,
    /// `requestParameters.incomingTransitiveTags`: the transitive tags this session inherited
    /// from the session that called AssumeRole, when the record lists them (then
    /// `tags_complete` is true and `session_tags` plus these are every session tag).
    #[serde(default)]
    pub incoming_transitive_tags: Vec<(String, String)>,
    /// `userIdentity.accessKeyId` of the record, when the caller was itself a role session
    /// (role chaining): the key to the calling session's own record, whose transitive tags
    /// this session inherited.
    #[serde(default)]
    pub called_with: Option<String>,
}

/// A successful object write by an account other than the bucket owner (the bucket's
/// `resources[]` account, else `recipientAccountId`), without the `bucket-owner-full-control`
/// canned ACL: the object belongs to the writer (cause `object_ownership`, when the bucket's
/// ACLs are enabled). Filed under its [`ObjectKey`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignWrite {
    /// `userIdentity.accountId` of the writer: the object's owner.
    pub writer_account: Box<str>,
    /// `PutObject`, `CopyObject` or `CompleteMultipartUpload`.
    pub event_name: Box<str>,
    pub event_time: Option<Box<str>>,
    pub event_id: Option<Box<str>>,
}

/// A successful `DeleteObject` (cause `object_not_found`: a later GetObject of that key by a
/// caller without `s3:ListBucket` is answered 403). Filed under its [`ObjectKey`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    pub event_time: Option<Box<str>>,
    pub event_id: Option<Box<str>>,
}

/// How many items of each kind did not fit under [`EvidenceCaps`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overflow {
    pub kms_denials: u64,
    pub session_policies: u64,
    pub foreign_writes: u64,
    pub deletions: u64,
    pub changes: u64,
}

impl Overflow {
    pub fn add(&mut self, o: &Overflow) {
        self.changes += o.changes;
        self.kms_denials += o.kms_denials;
        self.session_policies += o.session_policies;
        self.foreign_writes += o.foreign_writes;
        self.deletions += o.deletions;
    }

    pub fn total(&self) -> u64 {
        self.kms_denials
            + self.session_policies
            + self.foreign_writes
            + self.deletions
            + self.changes
    }
}

/// Everything kept beside the denials. Keys are exact strings from the records.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub caps: EvidenceCaps,
    pub kms_denials: Vec<KmsDenial>,
    /// By access key id.
    pub session_policies: HashMap<String, SessionPolicy>,
    /// By object: the latest foreign write.
    pub foreign_writes: HashMap<ObjectKey, ForeignWrite>,
    /// By object: the latest deletion.
    pub deletions: HashMap<ObjectKey, Deletion>,
    /// Successful change events, in no order (the timeline sorts and dedupes them).
    pub changes: Vec<super::change::Change>,
    pub overflow: Overflow,
}

/// Evidence of which only the latest record per key is kept.
trait Dated {
    fn event_time(&self) -> Option<&str>;
    fn event_id(&self) -> Option<&str>;

    /// Later by `eventTime`, ties broken by `eventID` (deterministic merges; the same id at
    /// the same time is the same record delivered twice).
    fn is_later_than(&self, other: &Self) -> bool {
        (self.event_time(), self.event_id()) > (other.event_time(), other.event_id())
    }
}

macro_rules! dated {
    ($($t:ty),*) => {$(
        impl Dated for $t {
            fn event_time(&self) -> Option<&str> {
                self.event_time.as_deref()
            }
            fn event_id(&self) -> Option<&str> {
                self.event_id.as_deref()
            }
        }
    )*};
}
dated!(SessionPolicy, ForeignWrite, Deletion);

impl Evidence {
    pub fn with_caps(caps: EvidenceCaps) -> Self {
        Evidence {
            caps,
            ..Evidence::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.kms_denials.is_empty()
            && self.session_policies.is_empty()
            && self.foreign_writes.is_empty()
            && self.deletions.is_empty()
            && self.changes.is_empty()
            && self.overflow.total() == 0
    }

    pub fn add_kms_denial(&mut self, d: KmsDenial) {
        if self.kms_denials.len() < self.caps.kms_denials {
            self.kms_denials.push(d);
        } else {
            self.overflow.kms_denials += 1;
        }
    }

    pub fn add_change(&mut self, c: super::change::Change) {
        if self.changes.len() < self.caps.changes {
            self.changes.push(c);
        } else {
            self.overflow.changes += 1;
        }
    }

    pub fn add_session_policy(&mut self, p: SessionPolicy) {
        let cap = self.caps.session_policies;
        insert_latest(
            &mut self.session_policies,
            p.access_key_id.clone(),
            p,
            cap,
            &mut self.overflow.session_policies,
        );
    }

    pub fn add_foreign_write(&mut self, object: ObjectKey, w: ForeignWrite) {
        let cap = self.caps.foreign_writes;
        insert_latest(
            &mut self.foreign_writes,
            object,
            w,
            cap,
            &mut self.overflow.foreign_writes,
        );
    }

    pub fn add_deletion(&mut self, object: ObjectKey, d: Deletion) {
        let cap = self.caps.deletions;
        insert_latest(
            &mut self.deletions,
            object,
            d,
            cap,
            &mut self.overflow.deletions,
        );
    }

    /// Adds `other` into `self`, applying `self`'s caps; overflow counts add up.
    ///
    /// The smaller map is folded into the larger, so that merging two large sets (shards,
    /// or per-worker maps as the scan once kept) never re-hashes the larger one (measured
    /// then: a tenth of the scan's CPU on the 500 MB tree, most of it in deletions).
    pub fn merge(&mut self, other: Evidence) {
        let Evidence {
            caps: _,
            mut kms_denials,
            session_policies,
            foreign_writes,
            deletions,
            mut changes,
            overflow,
        } = other;
        self.overflow.add(&overflow);
        let room = self.caps.changes.saturating_sub(self.changes.len());
        if changes.len() > room {
            self.overflow.changes += (changes.len() - room) as u64;
            changes.truncate(room);
        }
        self.changes.append(&mut changes);
        let room = self.caps.kms_denials.saturating_sub(self.kms_denials.len());
        if kms_denials.len() > room {
            self.overflow.kms_denials += (kms_denials.len() - room) as u64;
            kms_denials.truncate(room);
        }
        self.kms_denials.append(&mut kms_denials);
        merge_latest(
            &mut self.session_policies,
            session_policies,
            self.caps.session_policies,
            &mut self.overflow.session_policies,
        );
        merge_latest(
            &mut self.foreign_writes,
            foreign_writes,
            self.caps.foreign_writes,
            &mut self.overflow.foreign_writes,
        );
        merge_latest(
            &mut self.deletions,
            deletions,
            self.caps.deletions,
            &mut self.overflow.deletions,
        );
    }
}

/// Folds `from` into `into` (the latest value per key wins, new keys up to `cap`), walking
/// whichever of the two is smaller.
fn merge_latest<K: std::hash::Hash + Eq, V: Dated>(
    into: &mut HashMap<K, V>,
    mut from: HashMap<K, V>,
    cap: usize,
    overflow: &mut u64,
) {
    if from.len() > into.len() && from.len() <= cap {
        std::mem::swap(into, &mut from);
    }
    into.reserve(from.len().min(cap.saturating_sub(into.len())));
    for (k, v) in from {
        insert_latest(into, k, v, cap, overflow);
    }
}

fn insert_latest<K: std::hash::Hash + Eq, V: Dated>(
    map: &mut HashMap<K, V>,
    key: K,
    value: V,
    cap: usize,
    overflow: &mut u64,
) {
    let len = map.len();
    match map.entry(key) {
        std::collections::hash_map::Entry::Occupied(mut e) => {
            if value.is_later_than(e.get()) {
                e.insert(value);
            }
        }
        std::collections::hash_map::Entry::Vacant(e) => {
            if len < cap {
                e.insert(value);
            } else {
                *overflow += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn del(time: &str, idx: u64) -> Deletion {
        Deletion {
            event_time: Some(time.into()),
            event_id: Some(format!("id-{idx}").into()),
        }
    }

    #[test]
    fn merge_keeps_the_latest_in_any_order_and_counts_overflow() {
        let caps = EvidenceCaps {
            deletions: 2,
            ..Default::default()
        };
        let mut a = Evidence::with_caps(caps);
        a.add_deletion(ObjectKey::new("b", "k1"), del("2026-11-16T00:00:00Z", 1));
        let mut b = Evidence::with_caps(caps);
        b.add_deletion(ObjectKey::new("b", "k1"), del("2026-11-17T00:00:00Z", 2));
        b.add_deletion(ObjectKey::new("b", "k2"), del("2026-11-16T00:00:00Z", 3));
        b.add_deletion(ObjectKey::new("b", "k3"), del("2026-11-16T00:00:00Z", 4));
        assert_eq!(b.overflow.deletions, 1, "third key over a cap of 2");

        let mut ab = a.clone();
        ab.merge(b.clone());
        let mut ba = b;
        ba.merge(a);
        for m in [&ab, &ba] {
            let k1 = &m.deletions[&ObjectKey::new("b", "k1")];
            assert_eq!(k1.event_time.as_deref(), Some("2026-11-17T00:00:00Z"));
            assert_eq!(m.deletions.len(), 2);
            assert_eq!(m.overflow.deletions, 1);
        }
    }

    #[test]
    fn object_key_splits_at_the_first_slash() {
        let k = ObjectKey::new("b", "a/b//c");
        assert_eq!((k.bucket(), k.key()), ("b", "a/b//c"));
        let top = ObjectKey::new("b", "");
        assert_eq!((top.bucket(), top.key()), ("b", ""));
    }
}
