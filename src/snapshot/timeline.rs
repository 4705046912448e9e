//! The policies as they were at an event's time: several snapshots plus the change events
//! of the trail ([`crate::scan::change`]), replayed.
//!
//! For an event at time `t`: start from the latest snapshot taken at or before `t` and apply,
//! in (`eventTime`, `eventID`) order, the changes in (snapshot, `t`]. Where no snapshot
//! precedes `t`, start from the earliest one and go back: a piece changed in (`t`, snapshot]
//! is known at `t` only if an earlier change in the logs set it; otherwise it is unknown and
//! the reason names the change that hides it (a record never carries the previous value).
//!
//! Changes are few and denials many, so denials are grouped by *epoch*: which snapshot they
//! start from and how many changes precede them ([`EpochKey`]). Each epoch's state is one
//! derived [`Snapshot`] (a clone with the changes applied), built on first use and shared by
//! every denial of the epoch; the diagnosis runs on it unchanged. Each epoch records what it
//! was built from ([`Epoch::applied`], [`Epoch::hidden`]) for `explain`.

use super::{doc, model::*, Snapshot};
use crate::policy::Known;
use crate::scan::change::{Change, Edit, Entity, Piece, State};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Which state an event is judged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EpochKey {
    /// The snapshot the state starts from (index in time order); `None`: back from the
    /// earliest snapshot (the event precedes every snapshot).
    pub base: Option<usize>,
    /// Changes (in time order) at or before the state's time.
    pub changes: usize,
}

/// One derived state.
#[derive(Debug)]
pub struct Epoch {
    pub key: EpochKey,
    pub snapshot: Snapshot,
    /// The snapshot it starts from (its folder and `taken_at`).
    pub base_root: std::path::PathBuf,
    pub base_taken_at: Option<DateTime<Utc>>,
    /// Indices (into [`Timeline::changes`]) of the changes applied, in order.
    pub applied: Vec<usize>,
    /// Pieces left unknown going back, each with the change that hides it.
    pub hidden: Vec<(Piece, usize)>,
}

/// The snapshots and the sorted changes; the epochs built on demand.
pub struct Timeline {
    snapshots: Vec<Snapshot>,
    /// `taken_at` of each snapshot (all known when there is more than one).
    times: Vec<DateTime<Utc>>,
    changes: Vec<Change>,
    change_times: Vec<DateTime<Utc>>,
    /// Changes whose time does not parse (never applied, said once).
    pub undated: usize,
    epochs: Vec<OnceLock<Epoch>>,
    /// No replay: one snapshot without `taken_at` (judged as it is, as before).
    static_only: bool,
    /// Epochs built so far (each a copy of a snapshot).
    built: AtomicUsize,
}

/// An RFC 3339 `eventTime`.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl Timeline {
    /// `snapshots` in any order (each with `taken_at` when there are several: the caller
    /// refuses otherwise); `changes` as the scan kept them: deduplicated by `eventID` here and
    /// sorted by (`eventTime`, `eventID`).
    pub fn new(mut snapshots: Vec<Snapshot>, mut changes: Vec<Change>) -> Timeline {
        let static_only = snapshots.len() == 1 && snapshots[0].taken_at.is_none();
        snapshots.sort_by_key(|s| s.taken_at);
        let times: Vec<DateTime<Utc>> = snapshots.iter().filter_map(|s| s.taken_at).collect();
        let before = changes.len();
        changes.retain(|c| parse_time(&c.event_time).is_some());
        let undated = before - changes.len();
        changes.sort_by(|a, b| {
            (parse_time(&a.event_time), &a.event_id).cmp(&(parse_time(&b.event_time), &b.event_id))
        });
        changes.dedup_by(|a, b| a.event_id == b.event_id);
        let change_times: Vec<DateTime<Utc>> = changes
            .iter()
            .filter_map(|c| parse_time(&c.event_time))
            .collect();
        let slots = (snapshots.len() + 1) * (changes.len() + 1);
        Timeline {
            snapshots,
            times,
            changes,
            change_times,
            undated,
            epochs: (0..slots).map(|_| OnceLock::new()).collect(),
            static_only,
            built: AtomicUsize::new(0),
        }
    }

    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    pub fn snapshots(&self) -> &[Snapshot] {
        &self.snapshots
    }

    /// Does replay apply at all (changes to replay or several snapshots to choose from)?
    pub fn replays(&self) -> bool {
        !self.static_only && (!self.changes.is_empty() || self.snapshots.len() > 1)
    }

    /// Changes at or before `t`.
    fn count_until(&self, t: DateTime<Utc>) -> usize {
        self.change_times.partition_point(|c| *c <= t)
    }

    /// The state an event at `t` is judged in. An event without a time is judged in the
    /// latest snapshot as it is.
    pub fn key_at(&self, t: Option<DateTime<Utc>>) -> EpochKey {
        let last = self.snapshots.len().saturating_sub(1);
        let Some(t) = t.filter(|_| !self.static_only && !self.times.is_empty()) else {
            return EpochKey {
                base: Some(last),
                changes: self.start(last),
            };
        };
        let after = self.times.partition_point(|s| *s <= t);
        EpochKey {
            base: after.checked_sub(1),
            changes: self.count_until(t),
        }
    }

    /// The state just before change `i` took effect.
    pub fn key_before(&self, i: usize) -> EpochKey {
        let t = self.change_times[i];
        let after = self.times.partition_point(|s| *s < t);
        EpochKey {
            base: after.checked_sub(1),
            changes: i,
        }
    }

    /// Changes already in snapshot `j` (at or before its `taken_at`).
    fn start(&self, j: usize) -> usize {
        match self.times.get(j) {
            Some(t) if !self.static_only => self.count_until(*t),
            _ => 0,
        }
    }

    /// How many epochs there can be ([`Timeline::slot`] is below it).
    pub fn slots(&self) -> usize {
        self.epochs.len()
    }

    /// The place of `key` among every possible epoch.
    pub fn slot(&self, key: EpochKey) -> usize {
        let n = self.changes.len();
        let base = key.base.map_or(0, |b| (b + 1).min(self.snapshots.len()));
        base * (n + 1) + key.changes.min(n)
    }

    /// The derived state of `key`, built on first use and kept for the timeline's life.
    pub fn epoch(&self, key: EpochKey) -> &Epoch {
        let key = EpochKey {
            base: key
                .base
                .map(|b| b.min(self.snapshots.len().saturating_sub(1))),
            changes: key.changes.min(self.changes.len()),
        };
        self.epochs[self.slot(key)].get_or_init(|| {
            self.built.fetch_add(1, Ordering::Relaxed);
            self.build(key)
        })
    }

    /// Whether the state of `key` is built already.
    pub fn has_epoch(&self, key: EpochKey) -> bool {
        let key = EpochKey {
            base: key
                .base
                .map(|b| b.min(self.snapshots.len().saturating_sub(1))),
            changes: key.changes.min(self.changes.len()),
        };
        self.epochs[self.slot(key)].get().is_some()
    }

    /// How many states are built (each holds a copy of a snapshot).
    pub fn epochs_built(&self) -> usize {
        self.built.load(Ordering::Relaxed)
    }

    fn build(&self, key: EpochKey) -> Epoch {
        match key.base {
            Some(j) => self.forward(j, key),
            None => self.backward(key),
        }
    }

    fn forward(&self, j: usize, key: EpochKey) -> Epoch {
        let base = &self.snapshots[j];
        let mut snap = base.clone();
        let from = self.start(j).min(key.changes);
        let applied: Vec<usize> = (from..key.changes).collect();
        for &i in &applied {
            for e in &self.changes[i].edits {
                self.apply(&mut snap, i, e, None);
            }
        }
        reindex(&mut snap);
        Epoch {
            key,
            snapshot: snap,
            base_root: base.root.clone(),
            base_taken_at: base.taken_at,
            applied,
            hidden: Vec::new(),
        }
    }

    /// Back from the earliest snapshot to a time before it (`key.changes` changes precede).
    fn backward(&self, key: EpochKey) -> Epoch {
        let base = &self.snapshots[0];
        let mut snap = base.clone();
        let end = self.start(0);
        // Each piece changed between the event and the snapshot: its first such change.
        let mut hiding: BTreeMap<&Piece, usize> = BTreeMap::new();
        for i in key.changes..end {
            for e in &self.changes[i].edits {
                hiding.entry(&e.piece).or_insert(i);
            }
        }
        let mut applied = BTreeSet::new();
        let mut hidden = Vec::new();
        for (piece, &hider) in &hiding {
            let earlier = (0..key.changes).rev().find_map(|i| {
                self.changes[i]
                    .edits
                    .iter()
                    .find(|e| &e.piece == *piece)
                    .map(|e| (i, e))
            });
            match earlier {
                Some((i, e)) => {
                    self.apply(&mut snap, i, e, None);
                    applied.insert(i);
                }
                None => {
                    let c = &self.changes[hider];
                    let why = format!(
                        "the {} at the event's time is not known: {} changed it after the event \
                         and before the earliest snapshot, and the logs hold no earlier state",
                        piece.describe(),
                        c.cite()
                    );
                    let unknown = Edit {
                        piece: (*piece).clone(),
                        state: State::Unknown(why),
                    };
                    self.apply(&mut snap, hider, &unknown, Some(()));
                    hidden.push(((*piece).clone(), hider));
                }
            }
        }
        reindex(&mut snap);
        Epoch {
            key,
            snapshot: snap,
            base_root: base.root.clone(),
            base_taken_at: base.taken_at,
            applied: applied.into_iter().collect(),
            hidden,
        }
    }

    /// Applies one edit of change `i`. `raw_reason`: the edit's Unknown reason is already a
    /// whole sentence (going back); else the change is cited after it.
    fn apply(&self, snap: &mut Snapshot, i: usize, e: &Edit, raw_reason: Option<()>) {
        let c = &self.changes[i];
        let unknown = |w: &str| -> String {
            if raw_reason.is_some() {
                w.to_owned()
            } else {
                format!("{w} ({})", c.cite())
            }
        };
        // The state as a Known document/value, for the pieces that hold one.
        let version_doc = |arn: &str, v: &str| -> Option<String> {
            (0..=i).rev().find_map(|k| {
                self.changes[k]
                    .edits
                    .iter()
                    .find_map(|x| match (&x.piece, &x.state) {
                        (Piece::PolicyVersion { arn: a, version }, State::Json(d))
                            if a == arn && version == v =>
                        {
                            Some(d.clone())
                        }
                        _ => None,
                    })
            })
        };
        apply_edit(snap, e, &unknown, &version_doc);
    }
}

/// Rebuilds the snapshot's indexes after edits (new or deleted identities, org moves).
fn reindex(snap: &mut Snapshot) {
    for acct in snap.accounts.values_mut() {
        if let Known::Known(iam) = &mut acct.iam {
            iam.user_by_name = iam
                .users
                .iter()
                .enumerate()
                .map(|(i, u)| (u.name.clone(), i))
                .collect();
            iam.group_by_name = iam
                .groups
                .iter()
                .enumerate()
                .map(|(i, g)| (g.name.clone(), i))
                .collect();
            iam.role_by_name = iam
                .roles
                .iter()
                .enumerate()
                .map(|(i, r)| (r.name.clone(), i))
                .collect();
        }
    }
    snap.bucket_owner.clear();
    snap.unique_ids.clear();
    snap.endpoint_account.clear();
    snap.kms_index.clear();
    snap.org_paths = super::OrgPaths::build(snap.organization.as_ref());
    snap.index();
}

fn compile(id: &str, text: &str) -> Known<crate::policy::PolicyRef> {
    match doc::decode_str(text).and_then(|v| doc::compile(id, v)) {
        Ok(p) => Known::Known(p),
        Err(e) => Known::Unknown(format!("`{id}` as the change set it does not parse: {e}")),
    }
}

fn json(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

fn flag(v: &Value, k: &str) -> bool {
    match v.get(k) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// `Rule` (one object or a list, as XML turned into JSON) or `Rules[0]`.
fn first_rule(c: &Value) -> Option<&Value> {
    let r = c.get("Rule").or_else(|| c.get("Rules"))?;
    match r {
        Value::Array(a) => a.first(),
        other => Some(other),
    }
}

fn pab(text: &str) -> Option<PublicAccessBlock> {
    let c = json(text)?;
    Some(PublicAccessBlock {
        block_public_acls: flag(&c, "BlockPublicAcls"),
        ignore_public_acls: flag(&c, "IgnorePublicAcls"),
        block_public_policy: flag(&c, "BlockPublicPolicy"),
        restrict_public_buckets: flag(&c, "RestrictPublicBuckets"),
    })
}

fn encryption(text: &str) -> Option<BucketEncryption> {
    let c = json(text)?;
    let rule = first_rule(&c)?;
    let d = rule.get("ApplyServerSideEncryptionByDefault")?;
    Some(BucketEncryption {
        algorithm: d.get("SSEAlgorithm")?.as_str()?.to_owned(),
        kms_key_id: d
            .get("KMSMasterKeyID")
            .and_then(Value::as_str)
            .map(str::to_owned),
        bucket_key_enabled: flag(rule, "BucketKeyEnabled"),
        // As the snapshot reads it (`s3.rs`): one rule, a string or a list; NONE blocks nothing.
        blocked_types: rule
            .get("BlockedEncryptionTypes")
            .and_then(|b| b.get("EncryptionType"))
            .map(|t| match t {
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>(),
                Value::String(s) => vec![s.as_str()],
                _ => Vec::new(),
            })
            .unwrap_or_default()
            .into_iter()
            .filter(|t| !t.eq_ignore_ascii_case("NONE"))
            .map(str::to_owned)
            .collect(),
    })
}

fn ownership(text: &str) -> Option<ObjectOwnership> {
    let c = json(text)?;
    Some(match first_rule(&c)?.get("ObjectOwnership")?.as_str()? {
        "BucketOwnerEnforced" => ObjectOwnership::BucketOwnerEnforced,
        "BucketOwnerPreferred" => ObjectOwnership::BucketOwnerPreferred,
        "ObjectWriter" => ObjectOwnership::ObjectWriter,
        o => ObjectOwnership::Other(o.to_owned()),
    })
}

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTH_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// `AccessControlPolicy` as PutBucketAcl records it (`Grant` one object or a list).
fn acl_from_record(text: &str) -> Option<Acl> {
    let c = json(text)?;
    let owner_id = c
        .get("Owner")
        .and_then(|o| o.get("ID"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let grants = match c.get("AccessControlList").and_then(|l| l.get("Grant")) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().map(grant).collect::<Option<Vec<_>>>()?,
        Some(g) => vec![grant(g)?],
    };
    Some(Acl { owner_id, grants })
}

fn grant(g: &Value) -> Option<AclGrant> {
    let permission = g.get("Permission")?.as_str()?.to_owned();
    let ge = g.get("Grantee")?;
    let s = |k: &str| ge.get(k).and_then(Value::as_str).map(str::to_owned);
    let kind = s("xsi:type").or_else(|| s("Type"));
    let grantee = match kind.as_deref() {
        Some("CanonicalUser") => Grantee::CanonicalUser(s("ID")?),
        Some("Group") => Grantee::Group(s("URI")?),
        Some("AmazonCustomerByEmail") => Grantee::Email(s("EmailAddress")?),
        other => Grantee::Other(other.unwrap_or("").to_owned()),
    };
    Some(AclGrant {
        grantee,
        permission,
    })
}

/// A canned ACL (`x-amz-acl`) on a bucket whose owner is known, per the S3 User Guide's
/// canned ACL table (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl>):
/// "private: Owner gets FULL_CONTROL. No one else has access rights (default)";
/// "public-read: Owner gets FULL_CONTROL. The AllUsers group gets READ access";
/// "public-read-write: … The AllUsers group gets READ and WRITE access";
/// "authenticated-read: … The AuthenticatedUsers group gets READ access".
fn canned(owner: Option<String>, name: &str) -> Option<Acl> {
    let owner_id = owner?;
    let mut grants = vec![AclGrant {
        grantee: Grantee::CanonicalUser(owner_id.clone()),
        permission: "FULL_CONTROL".into(),
    }];
    let group = |uri: &str, p: &str| AclGrant {
        grantee: Grantee::Group(uri.into()),
        permission: p.into(),
    };
    match name {
        "private" => {}
        "public-read" => grants.push(group(ALL_USERS, "READ")),
        "public-read-write" => {
            grants.push(group(ALL_USERS, "READ"));
            grants.push(group(ALL_USERS, "WRITE"));
        }
        "authenticated-read" => grants.push(group(AUTH_USERS, "READ")),
        _ => return None,
    }
    Some(Acl {
        owner_id: Some(owner_id),
        grants,
    })
}

fn bucket_mut<'s>(snap: &'s mut Snapshot, bucket: &str) -> Option<&'s mut Bucket> {
    let owner = snap.bucket_owner.get(bucket)?.clone();
    snap.accounts.get_mut(&owner)?.buckets.get_mut(bucket)
}

fn iam_mut<'s>(snap: &'s mut Snapshot, account: &str) -> Option<&'s mut Iam> {
    match &mut snap.accounts.get_mut(account)?.iam {
        Known::Known(iam) => Some(iam),
        Known::Unknown(_) => None,
    }
}

/// An identity's editable parts.
struct IdentityMut<'s> {
    arn: &'s str,
    inline: &'s mut Vec<crate::policy::PolicyRef>,
    attached: &'s mut Vec<String>,
    boundary: Option<&'s mut Option<String>>,
    tags: Option<&'s mut Vec<(String, String)>>,
    broken: &'s mut Option<String>,
}

fn identity_mut<'s>(iam: &'s mut Iam, entity: Entity, name: &str) -> Option<IdentityMut<'s>> {
    match entity {
        Entity::User => iam
            .users
            .iter_mut()
            .find(|u| u.name == name)
            .map(|u| IdentityMut {
                arn: &u.arn,
                inline: &mut u.inline,
                attached: &mut u.attached,
                boundary: Some(&mut u.boundary),
                tags: Some(&mut u.tags),
                broken: &mut u.broken,
            }),
        Entity::Role => iam
            .roles
            .iter_mut()
            .find(|r| r.name == name)
            .map(|r| IdentityMut {
                arn: &r.arn,
                inline: &mut r.inline,
                attached: &mut r.attached,
                boundary: Some(&mut r.boundary),
                tags: Some(&mut r.tags),
                broken: &mut r.broken,
            }),
        Entity::Group => iam
            .groups
            .iter_mut()
            .find(|g| g.name == name)
            .map(|g| IdentityMut {
                arn: &g.arn,
                inline: &mut g.inline,
                attached: &mut g.attached,
                boundary: None,
                tags: None,
                broken: &mut g.broken,
            }),
    }
}

/// Sets one piece of `snap`. Pieces of things the snapshot does not hold (another account's
/// bucket) are left alone: the snapshot knows nothing of them either way.
fn apply_edit(
    snap: &mut Snapshot,
    e: &Edit,
    unknown: &dyn Fn(&str) -> String,
    version_doc: &dyn Fn(&str, &str) -> Option<String>,
) {
    let st = &e.state;
    let why = |w: &str| unknown(w);
    match &e.piece {
        Piece::BucketPolicy { bucket } => {
            let id = format!("bucket-policy:{bucket}");
            if let Some(b) = bucket_mut(snap, bucket) {
                b.policy = match st {
                    State::Absent => Known::Known(None),
                    State::Json(t) => match compile(&id, t) {
                        Known::Known(p) => Known::Known(Some(p)),
                        Known::Unknown(w) => Known::Unknown(why(&w)),
                    },
                    State::Unknown(w) => Known::Unknown(why(w)),
                    _ => Known::Unknown(why("unreadable bucket policy change")),
                };
            }
        }
        Piece::BucketPublicAccessBlock { bucket } => {
            if let Some(b) = bucket_mut(snap, bucket) {
                b.public_access_block = setting(st, pab, &why);
            }
        }
        Piece::AccountPublicAccessBlock { account } => {
            if let Some(a) = snap.accounts.get_mut(account) {
                a.public_access_block = setting(st, pab, &why);
            }
        }
        Piece::BucketEncryption { bucket } => {
            if let Some(b) = bucket_mut(snap, bucket) {
                b.encryption = setting(st, encryption, &why);
            }
        }
        Piece::BucketOwnership { bucket } => {
            if let Some(b) = bucket_mut(snap, bucket) {
                b.ownership = setting(st, ownership, &why);
            }
        }
        Piece::RequestPayment { bucket } => {
            if let Some(b) = bucket_mut(snap, bucket) {
                b.request_payment = match st {
                    State::Text(p) if p == "Requester" => Known::Known(Payer::Requester),
                    State::Text(p) if p == "BucketOwner" => Known::Known(Payer::BucketOwner),
                    State::Unknown(w) => Known::Unknown(why(w)),
                    _ => Known::Unknown(why("unreadable Requester Pays change")),
                };
            }
        }
        Piece::BucketAcl { bucket } => {
            if let Some(b) = bucket_mut(snap, bucket) {
                let owner = match &b.acl {
                    Known::Known(a) => a.owner_id.clone(),
                    Known::Unknown(_) => None,
                };
                let acl = match st {
                    State::Json(t) => acl_from_record(t),
                    State::Text(c) => canned(owner, c),
                    _ => None,
                };
                b.acl = match (acl, st) {
                    (Some(a), _) => Known::Known(a),
                    (None, State::Unknown(w)) => Known::Unknown(why(w)),
                    (None, _) => Known::Unknown(why("an ACL change this version cannot replay")),
                };
            }
        }
        Piece::AccountIam { account } => {
            if let (Some(a), State::Unknown(w)) = (snap.accounts.get_mut(account), st) {
                a.iam = Known::Unknown(why(w));
            }
        }
        Piece::Identity {
            account,
            entity,
            name,
        } => {
            let Some(iam) = iam_mut(snap, account) else {
                return;
            };
            identity_exists(iam, account, *entity, name, st, &why);
        }
        Piece::InlinePolicy {
            account,
            entity,
            name,
            policy,
        } => {
            let Some(id) = iam_mut(snap, account).and_then(|iam| identity_mut(iam, *entity, name))
            else {
                return;
            };
            let pid = format!("{}#{policy}", id.arn);
            id.inline.retain(|p| p.id != pid);
            match st {
                State::Absent => {}
                State::Json(t) => match compile(&pid, t) {
                    Known::Known(p) => id.inline.push(p),
                    Known::Unknown(w) => *id.broken = Some(why(&w)),
                },
                State::Unknown(w) => *id.broken = Some(why(w)),
                _ => *id.broken = Some(why("unreadable inline policy change")),
            }
        }
        Piece::Attachment {
            account,
            entity,
            name,
            arn,
        } => {
            let Some(id) = iam_mut(snap, account).and_then(|iam| identity_mut(iam, *entity, name))
            else {
                return;
            };
            id.attached.retain(|a| a != arn);
            match st {
                State::Present(_) => id.attached.push(arn.clone()),
                State::Absent => {}
                State::Unknown(w) => *id.broken = Some(why(w)),
                _ => *id.broken = Some(why("unreadable attachment change")),
            }
        }
        Piece::Boundary {
            account,
            entity,
            name,
        } => {
            let Some(id) = iam_mut(snap, account).and_then(|iam| identity_mut(iam, *entity, name))
            else {
                return;
            };
            match (st, id.boundary) {
                (State::Text(arn), Some(b)) => *b = Some(arn.clone()),
                (State::Absent, Some(b)) => *b = None,
                (State::Unknown(w), _) => *id.broken = Some(why(w)),
                _ => {}
            }
        }
        Piece::Membership {
            account,
            user,
            group,
        } => {
            let Some(iam) = iam_mut(snap, account) else {
                return;
            };
            if let Some(u) = iam.users.iter_mut().find(|u| &u.name == user) {
                u.groups.retain(|g| g != group);
                match st {
                    State::Present(_) => u.groups.push(group.clone()),
                    State::Absent => {}
                    State::Unknown(w) => u.broken = Some(why(w)),
                    _ => {}
                }
            }
        }
        Piece::Tag {
            account,
            entity,
            name,
            key,
        } => {
            let Some(id) = iam_mut(snap, account).and_then(|iam| identity_mut(iam, *entity, name))
            else {
                return;
            };
            if let Some(tags) = id.tags {
                tags.retain(|(k, _)| k != key);
                match st {
                    State::Text(v) => tags.push((key.clone(), v.clone())),
                    State::Absent => {}
                    State::Unknown(w) => *id.broken = Some(why(w)),
                    _ => {}
                }
            }
        }
        Piece::ManagedPolicy { arn } => {
            let doc = match st {
                State::Json(t) => match compile(arn, t) {
                    Known::Unknown(w) => Known::Unknown(why(&w)),
                    p => p,
                },
                State::Version(v) => match version_doc(arn, v) {
                    Some(t) => compile(arn, &t),
                    None => Known::Unknown(why(&format!(
                        "{arn} was set to version {v}, whose document is not in the logs"
                    ))),
                },
                State::Unknown(w) => Known::Unknown(why(w)),
                _ => Known::Unknown(why("unreadable managed policy change")),
            };
            let account = super::Arn::parse(arn)
                .map(|a| a.account.to_owned())
                .unwrap_or_default();
            let accounts: Vec<String> = if account == "aws" {
                snap.accounts.keys().cloned().collect()
            } else {
                vec![account]
            };
            for a in accounts {
                let Some(iam) = iam_mut(snap, &a) else {
                    continue;
                };
                if let Some(p) = iam.policies.get_mut(arn) {
                    p.default_version = doc.clone();
                } else if !arn.starts_with("arn:aws:iam::aws:") {
                    let name = arn.rsplit('/').next().unwrap_or(arn).to_owned();
                    iam.policies.insert(
                        arn.clone(),
                        ManagedPolicy {
                            arn: arn.clone(),
                            name,
                            default_version: doc.clone(),
                        },
                    );
                }
            }
        }
        Piece::PolicyVersion { .. } => {}
        Piece::KeyPolicy { key } => {
            let Some((acct, id)) = snap.kms_index.get(key.as_str()).cloned() else {
                return;
            };
            if let Some(k) = snap
                .accounts
                .get_mut(&acct)
                .and_then(|a| a.kms_keys.get_mut(&id))
            {
                k.policy = match st {
                    State::Json(t) => match compile(&k.arn, t) {
                        Known::Unknown(w) => Known::Unknown(why(&w)),
                        p => p,
                    },
                    State::Unknown(w) => Known::Unknown(why(w)),
                    _ => Known::Unknown(why("unreadable key policy change")),
                };
            }
        }
        Piece::OrgPolicy { id } => {
            let Some(org) = snap.organization.as_mut() else {
                return;
            };
            match st {
                State::Absent => org.remove_policy(id),
                State::Json(t) => {
                    if let Some(p) = org.policies.get_mut(id) {
                        p.policy = match compile(id, t) {
                            Known::Unknown(w) => Known::Unknown(why(&w)),
                            p => p,
                        };
                    }
                }
                State::Present(facts) => {
                    let facts = json(facts).unwrap_or(Value::Null);
                    let s = |k: &str| facts.get(k).and_then(Value::as_str).unwrap_or("");
                    let kind = match s("type") {
                        "SERVICE_CONTROL_POLICY" => super::OrgPolicyKind::Scp,
                        "RESOURCE_CONTROL_POLICY" => super::OrgPolicyKind::Rcp,
                        o => super::OrgPolicyKind::Other(o.to_owned()),
                    };
                    org.policies.insert(
                        id.clone(),
                        super::OrgPolicy {
                            id: id.clone(),
                            name: s("name").to_owned(),
                            // A declarative policy's content (S3_POLICY) is read as data.
                            content: matches!(kind, super::OrgPolicyKind::Other(_))
                                .then(|| json(s("content")))
                                .flatten(),
                            kind,
                            policy: compile(id, s("content")),
                        },
                    );
                }
                State::Unknown(w) => {
                    if let Some(p) = org.policies.get_mut(id) {
                        p.policy = Known::Unknown(why(w));
                    }
                }
                _ => {}
            }
        }
        Piece::OrgAttachment { policy, target } => {
            let Some(org) = snap.organization.as_mut() else {
                return;
            };
            match st {
                State::Present(_) => org.set_attached(policy, target, Some(true)),
                State::Absent => org.set_attached(policy, target, Some(false)),
                State::Unknown(w) => {
                    org.set_attached(policy, target, None);
                    if let Some(p) = org.policies.get_mut(policy) {
                        p.policy = Known::Unknown(why(w));
                    }
                }
                _ => {}
            }
        }
        Piece::OrgParent { account } => {
            let Some(org) = snap.organization.as_mut() else {
                return;
            };
            match st {
                State::Text(p) => org.set_parent(account, Known::Known(p.clone())),
                State::Unknown(w) => org.set_parent(account, Known::Unknown(why(w))),
                _ => {}
            }
        }
        Piece::AccessPointPolicy {
            account,
            region,
            name,
        } => {
            let Some(a) = snap.accounts.get_mut(account) else {
                return;
            };
            if let Some(ap) = a.access_points.list.iter_mut().find(|ap| {
                !ap.multi_region
                    && &ap.name == name
                    && ap.region.as_deref() == Some(region.as_str())
            }) {
                let id = ap.arn.clone();
                ap.policy = match st {
                    State::Absent => Known::Known(None),
                    State::Json(t) => match compile(&id, t) {
                        Known::Known(p) => Known::Known(Some(p)),
                        Known::Unknown(w) => Known::Unknown(why(&w)),
                    },
                    State::Unknown(w) => Known::Unknown(why(w)),
                    _ => Known::Unknown(why("unreadable access point policy change")),
                };
            }
        }
        Piece::EndpointPolicy { endpoint } => {
            let Some(acct) = snap.endpoint_account.get(endpoint).cloned() else {
                return;
            };
            let Some(Known::Known(eps)) =
                snap.accounts.get_mut(&acct).map(|a| &mut a.vpc_endpoints)
            else {
                return;
            };
            if let Some(ep) = eps.iter_mut().find(|x| &x.id == endpoint) {
                ep.policy = match st {
                    State::Json(t) => match compile(endpoint, t) {
                        Known::Unknown(w) => Known::Unknown(why(&w)),
                        p => p,
                    },
                    State::Unknown(w) => Known::Unknown(why(w)),
                    _ => Known::Unknown(why("unreadable endpoint policy change")),
                };
            }
        }
    }
}

/// A bucket or account setting: absent, the record's configuration, or unknown.
fn setting<T>(
    st: &State,
    read: fn(&str) -> Option<T>,
    why: &dyn Fn(&str) -> String,
) -> Known<Option<T>> {
    match st {
        State::Absent => Known::Known(None),
        State::Json(t) => match read(t) {
            Some(v) => Known::Known(Some(v)),
            None => Known::Unknown(why("a configuration the change record does not spell out")),
        },
        State::Unknown(w) => Known::Unknown(why(w)),
        _ => Known::Unknown(why("unreadable change")),
    }
}

/// A user or role created (an empty one when the snapshot lacks it) or deleted.
fn identity_exists(
    iam: &mut Iam,
    account: &str,
    entity: Entity,
    name: &str,
    st: &State,
    why: &dyn Fn(&str) -> String,
) {
    match (entity, st) {
        (Entity::User, State::Absent) => iam.users.retain(|u| u.name != name),
        (Entity::Role, State::Absent) => iam.roles.retain(|r| r.name != name),
        (_, State::Present(facts)) => {
            let facts = json(facts).unwrap_or(Value::Null);
            let s = |k: &str| facts.get(k).and_then(Value::as_str).map(str::to_owned);
            let path = s("path").unwrap_or_else(|| "/".into());
            let kind = if entity == Entity::Role {
                "role"
            } else {
                "user"
            };
            let arn =
                s("arn").unwrap_or_else(|| format!("arn:aws:iam::{account}:{kind}{path}{name}"));
            let id = s("id").unwrap_or_default();
            match entity {
                Entity::User if !iam.users.iter().any(|u| u.name == name) => {
                    iam.users.push(IamUser {
                        name: name.to_owned(),
                        id,
                        arn,
                        path,
                        groups: Vec::new(),
                        inline: Vec::new(),
                        attached: Vec::new(),
                        boundary: None,
                        tags: Vec::new(),
                        broken: None,
                    })
                }
                Entity::Role if !iam.roles.iter().any(|r| r.name == name) => {
                    iam.roles.push(IamRole {
                        name: name.to_owned(),
                        id,
                        arn,
                        path,
                        inline: Vec::new(),
                        attached: Vec::new(),
                        boundary: None,
                        tags: Vec::new(),
                        trust: None,
                        broken: None,
                    })
                }
                _ => {}
            }
        }
        (_, State::Unknown(w)) => {
            if let Some(id) = identity_mut(iam, entity, name) {
                *id.broken = Some(why(w));
            }
        }
        _ => {}
    }
    // Indexes are rebuilt once the epoch is built (`reindex`); lookups by name during the
    // replay go through the lists.
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Origin;
    use std::path::Path;

    fn change(id: &str, time: &str, name: &str, edits: Vec<Edit>) -> Change {
        Change {
            event_id: id.into(),
            event_time: time.into(),
            event_source: "test".into(),
            event_name: name.into(),
            actor: Some("arn:aws:iam::222222222222:user/admin".into()),
            account: Some("222222222222".into()),
            region: Some("us-east-1".into()),
            edits,
            origin: Origin {
                object: std::sync::Arc::from("t"),
                record_index: None,
            },
        }
    }

    fn sample() -> Snapshot {
        Snapshot::load(Path::new("sample-logs/snapshot"))
            .expect("the sample snapshot")
            .0
    }

    const CI: &str = "arn:aws:iam::222222222222:policy/ci-s3-write";
    const V2: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"V2","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

    fn changes() -> Vec<Change> {
        vec![
            change(
                "pab",
                "2026-11-22T10:00:00Z",
                "PutBucketPublicAccessBlock",
                vec![Edit {
                    piece: Piece::BucketPublicAccessBlock {
                        bucket: "dt-public-site".into(),
                    },
                    state: State::Json(r#"{"BlockPublicAcls":false,"IgnorePublicAcls":"false","BlockPublicPolicy":false,"RestrictPublicBuckets":false}"#.into()),
                }],
            ),
            change(
                "v2",
                "2026-11-22T11:00:00Z",
                "CreatePolicyVersion",
                vec![Edit {
                    piece: Piece::PolicyVersion {
                        arn: CI.into(),
                        version: "v2".into(),
                    },
                    state: State::Json(V2.into()),
                }],
            ),
            change(
                "default",
                "2026-11-22T11:00:30Z",
                "SetDefaultPolicyVersion",
                vec![Edit {
                    piece: Piece::ManagedPolicy { arn: CI.into() },
                    state: State::Version("v2".into()),
                }],
            ),
        ]
    }

    /// Forward from the snapshot: settings and the default version as the changes set them
    /// (SetDefaultPolicyVersion finds its document in the CreatePolicyVersion before it).
    #[test]
    fn forward_applies_settings_and_default_versions() {
        let tl = Timeline::new(vec![sample()], changes());
        let t = parse_time("2026-11-22T12:00:00Z");
        let e = tl.epoch(tl.key_at(t));
        assert_eq!(e.applied, vec![0, 1, 2]);
        let b = e.snapshot.bucket("dt-public-site");
        let Known::Known(b) = b else { panic!("bucket") };
        assert_eq!(
            b.public_access_block,
            Known::Known(Some(PublicAccessBlock::default()))
        );
        match e.snapshot.managed_policy("222222222222", CI) {
            Known::Known(p) => assert!(format!("{p:?}").contains("V2")),
            Known::Unknown(w) => panic!("{w}"),
        }
        // Between the two: the version exists but is not the default yet.
        let mid = tl.epoch(tl.key_at(parse_time("2026-11-22T11:00:10Z")));
        match mid.snapshot.managed_policy("222222222222", CI) {
            Known::Known(p) => assert!(!format!("{p:?}").contains("V2")),
            Known::Unknown(w) => panic!("{w}"),
        }
    }

    /// Back from a later snapshot: a piece changed after the event and never before it in the
    /// logs is unknown, and the reason names the change.
    #[test]
    fn going_back_hides_what_later_changes_set() {
        let mut later = sample();
        later.taken_at = parse_time("2026-11-23T00:00:00Z");
        let tl = Timeline::new(vec![later], changes());
        let e = tl.epoch(tl.key_at(parse_time("2026-11-22T09:00:00Z")));
        let Known::Known(b) = e.snapshot.bucket("dt-public-site") else {
            panic!("bucket")
        };
        match &b.public_access_block {
            Known::Unknown(w) => assert!(w.contains("event pab"), "{w}"),
            k => panic!("{k:?}"),
        }
        assert_eq!(e.hidden.len(), 3, "{:?}", e.hidden);
    }
}
