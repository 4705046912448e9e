//! Side evidence written to disk during the scan and loaded back only where a kept event
//! needs it: what keeps `analyze`'s memory flat however large the trail.
//!
//! A trail holds far more deletions and cross-account writes than denials (95,000 deletions
//! against 13,000 denials in a 2 GB `gen_corpus` tree), and any of them may explain a denial
//! found later in the listing, so the scan cannot tell which to keep. Held in memory they grew
//! with the input until [`EvidenceCaps`](super::EvidenceCaps) stopped them (and then a late
//! denial could lose its evidence). Instead each object's evidence is appended to an unnamed
//! temporary file as JSON lines ([`EvidenceLog`]); when the scan ends, the kept events say
//! which objects, S3 ARNs and access keys they name ([`Wanted`]), and [`EvidenceLog::load`]
//! reads the file once, keeping only those: a hash join whose memory is the size of its
//! answer. The file is deleted by the OS when the process ends.
//!
//! If the file cannot be written, evidence is kept in memory as before (a notice says so).

use super::evidence::{Evidence, EvidenceCaps, ObjectKey, Overflow};
use crate::messages;
use crate::scratch::Scratch;
use foldhash::HashSet;
use serde::Serialize;
use std::io::{self, BufRead};

/// The kind of an item, first byte of its line.
const KMS: u8 = b'K';
const SESSION: u8 = b'S';
const WRITE: u8 = b'W';
const DELETE: u8 = b'D';
/// Change events: every one is loaded (any may change the state a denial is judged in).
const CHANGE: u8 = b'C';

/// What the kept events may look up: the join keys of [`Evidence`] (objects for deletions and
/// foreign writes, S3 ARNs for KMS denials, access keys for session policies), each kept as a
/// 64-bit hash, about 40 bytes a kept event whatever its names. A collision only loads an item
/// nobody asks for (the diagnosis looks evidence up by the exact key), never loses one.
#[derive(Debug, Default, Clone)]
pub struct Wanted {
    hashes: HashSet<u64>,
}

/// Which join key a hash is of (the same text can be an object in one and an ARN in another).
#[derive(Hash)]
enum Join {
    Object,
    S3Arn,
    AccessKey,
}

fn join_hash(join: Join, key: &str) -> u64 {
    use std::hash::BuildHasher;
    // Fixed, so that the sets of several workers (or machines) agree.
    foldhash::fast::FixedState::with_seed(0x64656e7974726169).hash_one((join, key))
}

impl Wanted {
    /// Adds one object (or a bucket, `key` `None`) a kept event names.
    pub fn add_object(&mut self, bucket: &str, key: Option<&str>) {
        let arn = format!("arn:aws:s3:::{bucket}");
        self.hashes.insert(join_hash(Join::S3Arn, &arn));
        if let Some(key) = key {
            let object = ObjectKey::new(bucket, key);
            self.hashes.insert(join_hash(Join::Object, object.as_str()));
            let arn = format!("{arn}/{key}");
            self.hashes.insert(join_hash(Join::S3Arn, &arn));
        }
    }

    /// Adds the access key a kept event was signed with.
    pub fn add_access_key(&mut self, key: &str) {
        self.hashes.insert(join_hash(Join::AccessKey, key));
    }

    pub fn merge(&mut self, other: Wanted) {
        self.hashes.extend(other.hashes);
    }

    /// Whether an item of `kind` filed under `key` is wanted.
    fn wants(&self, kind: u8, key: &str) -> bool {
        if kind == CHANGE {
            return true;
        }
        let join = match kind {
            KMS => Join::S3Arn,
            SESSION => Join::AccessKey,
            _ => Join::Object,
        };
        self.hashes.contains(&join_hash(join, key))
    }
}

/// Where the scan puts evidence: maps in memory (the default), or a log on disk for
/// [`EvidenceLog::load`].
#[derive(Debug)]
pub enum EvidenceStore {
    Memory(Evidence),
    Log(EvidenceLog),
}

impl EvidenceStore {
    pub fn new(caps: EvidenceCaps, to_disk: bool) -> Self {
        if to_disk {
            EvidenceStore::Log(EvidenceLog {
                caps,
                log: Scratch::default(),
                overflow: Overflow::default(),
                memory: Evidence::with_caps(caps),
            })
        } else {
            EvidenceStore::Memory(Evidence::with_caps(caps))
        }
    }

    /// Adds one object's evidence.
    pub fn add(&mut self, e: Evidence) {
        if e.is_empty() {
            return;
        }
        match self {
            EvidenceStore::Memory(m) => m.merge(e),
            EvidenceStore::Log(log) => log.add(e),
        }
    }
}

/// Evidence on disk, one JSON line per item.
#[derive(Debug)]
pub struct EvidenceLog {
    caps: EvidenceCaps,
    log: Scratch,
    /// Overflow counted by the objects' own scans (their per-object caps).
    overflow: Overflow,
    /// What came after a failed write to `log`.
    memory: Evidence,
}

impl EvidenceLog {
    fn add(&mut self, e: Evidence) {
        if !self.log.failed() {
            match self.append(&e) {
                Ok(()) => return,
                Err(err) => {
                    messages::notice(&format!(
                        "denytrail: could not write side evidence to a temporary file ({err}); \
                         keeping the rest in memory (set TMPDIR to a folder with free space to \
                         bound memory)"
                    ));
                }
            }
        }
        self.memory.merge(e);
    }

    fn append(&mut self, e: &Evidence) -> io::Result<()> {
        let mut buf = Vec::with_capacity(256);
        append_lines(&mut buf, e);
        self.log.append(&buf)?;
        self.overflow.add(&e.overflow);
        Ok(())
    }

    /// The evidence the kept events name, under the caps (the latest item per key wins, as
    /// in memory). One sequential read of the log; only wanted items are parsed past their key.
    pub fn load(self, wanted: &Wanted) -> io::Result<Evidence> {
        let EvidenceLog {
            caps,
            log,
            overflow,
            memory,
        } = self;
        let mut out = Evidence::with_caps(caps);
        out.overflow = overflow;
        // Where the session records nobody asked for are: a chained session's record may need
        // its caller's ([`callers_to_load`]).
        let mut other_sessions = Vec::new();
        if let Some(mut reader) = log.reader()? {
            // One buffer for every line: most lines are read only as far as their key.
            let mut line = Vec::new();
            let mut n = 0;
            let mut at = 0u64;
            loop {
                let read = reader.read_until(b'\n', &mut line)?;
                if read == 0 {
                    break;
                }
                n += 1;
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                if let Some(key) = read_line(&line, wanted, &mut out)
                    .map_err(|e| io::Error::other(format!("line {n}: {e}")))?
                {
                    other_sessions.push((key, at, line.len()));
                }
                at += read as u64;
                line.clear();
            }
        }
        // What stayed in memory after a failed write: the same filter (and the records of the
        // sessions that assumed the wanted ones).
        let mut memory = memory;
        memory.kms_denials.retain(|d| wanted.wants(KMS, &d.s3_arn));
        let callers = memory_callers(&memory, &out, wanted);
        memory
            .session_policies
            .retain(|k, _| wanted.wants(SESSION, k) || callers.contains(k));
        memory
            .foreign_writes
            .retain(|k, _| wanted.wants(WRITE, k.as_str()));
        memory
            .deletions
            .retain(|k, _| wanted.wants(DELETE, k.as_str()));
        out.merge(memory);
        load_callers(&log, &other_sessions, &mut out)?;
        Ok(out)
    }
}

/// The access keys of the sessions that assumed a loaded session whose incoming transitive tags
/// its own record does not list, and whose records are not loaded yet: those records complete
/// its session tags (`crate::diagnose::session_chain`).
fn callers_to_load(e: &Evidence) -> Vec<String> {
    let mut keys: Vec<String> = e
        .session_policies
        .values()
        .filter(|p| !p.tags_complete)
        .filter_map(|p| p.called_with.clone())
        .filter(|k| !e.session_policies.contains_key(k))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Loads, link by link, the records of the sessions up the role chains of the loaded ones
/// ([`callers_to_load`]) from the session lines the first read passed over (`others`: join
/// hash of the key, offset, length). Each round adds at least one record or stops.
fn load_callers(log: &Scratch, others: &[(u64, u64, usize)], out: &mut Evidence) -> io::Result<()> {
    let mut need = callers_to_load(out);
    if need.is_empty() || others.is_empty() {
        return Ok(());
    }
    let mut at: foldhash::HashMap<u64, Vec<(u64, usize)>> = foldhash::HashMap::default();
    for &(h, offset, len) in others {
        at.entry(h).or_default().push((offset, len));
    }
    while !need.is_empty() {
        let mut added = false;
        for key in need {
            for &(offset, len) in at
                .get(&join_hash(Join::AccessKey, &key))
                .into_iter()
                .flatten()
            {
                let line = log.read_at(offset, len)?;
                let mut one = Wanted::default();
                one.add_access_key(&key);
                let before = out.session_policies.len();
                read_line(&line, &one, out).map_err(io::Error::other)?;
                added |= out.session_policies.len() > before;
            }
        }
        if !added {
            break;
        }
        need = callers_to_load(out);
    }
    Ok(())
}

/// The keys of `memory`'s session records up the role chains of the wanted sessions (in
/// `memory` or already in `out`).
fn memory_callers(memory: &Evidence, out: &Evidence, wanted: &Wanted) -> foldhash::HashSet<String> {
    let mut found = foldhash::HashSet::default();
    let mut next: Vec<&str> = memory
        .session_policies
        .iter()
        .filter(|(k, _)| wanted.wants(SESSION, k))
        .map(|(_, p)| p)
        .chain(out.session_policies.values())
        .filter_map(|p| p.called_with.as_deref())
        .collect();
    while let Some(k) = next.pop() {
        if let Some(p) = memory.session_policies.get(k) {
            if found.insert(k.to_owned()) {
                next.extend(p.called_with.as_deref());
            }
        }
    }
    found
}

/// A sharded run's map and reduce (`analyze --shard`, `--from-shards`): a shard hands its
/// evidence on as the log's own lines, and the merge makes one log of every shard's lines, so
/// [`EvidenceLog::load`] joins them with the kept events exactly as in a single run.
impl EvidenceLog {
    /// Writes every item as the log's lines (`kind TAB key TAB value`) to `w`; returns the
    /// overflow the objects' own scans counted, which travels beside the lines.
    pub fn write_lines(self, w: &mut dyn io::Write) -> io::Result<Overflow> {
        let EvidenceLog {
            log,
            overflow,
            memory,
            ..
        } = self;
        if let Some(mut reader) = log.into_reader()? {
            io::copy(&mut reader, w)?;
        }
        let mut buf = Vec::new();
        append_lines(&mut buf, &memory);
        w.write_all(&buf)?;
        let mut overflow = overflow;
        overflow.add(&memory.overflow);
        Ok(overflow)
    }

    /// A log of lines [`EvidenceLog::write_lines`] wrote (several shards' in turn: `add`
    /// once per shard), under `caps`.
    pub fn from_lines(caps: EvidenceCaps) -> EvidenceLog {
        EvidenceLog {
            caps,
            log: Scratch::default(),
            overflow: Overflow::default(),
            memory: Evidence::with_caps(caps),
        }
    }

    /// Appends one shard's lines (checked to be evidence lines) and its overflow.
    pub fn add_lines(&mut self, lines: &[u8], overflow: &Overflow) -> io::Result<()> {
        for (n, l) in lines.split(|&b| b == b'\n').enumerate() {
            // The line's shape only: its kind is checked where it is read (`load`), so a kind
            // added to the log travels through shards unchanged.
            if !l.is_empty() && !matches!(l, [_, b'\t', ..]) {
                return Err(io::Error::other(format!(
                    "line {}: not an evidence line",
                    n + 1
                )));
            }
        }
        self.log.append(lines)?;
        if !lines.is_empty() && lines.last() != Some(&b'\n') {
            self.log.append(b"\n")?;
        }
        self.overflow.add(overflow);
        Ok(())
    }
}

/// Every item of `e` as lines.
fn append_lines(buf: &mut Vec<u8>, e: &Evidence) {
    for d in &e.kms_denials {
        line(buf, KMS, &d.s3_arn, d);
    }
    for p in e.session_policies.values() {
        line(buf, SESSION, &p.access_key_id, p);
    }
    for (k, w) in &e.foreign_writes {
        line(buf, WRITE, k.as_str(), w);
    }
    for (k, d) in &e.deletions {
        line(buf, DELETE, k.as_str(), d);
    }
    for c in &e.changes {
        line(buf, CHANGE, &c.event_id, c);
    }
}

/// Writes one item: `kind TAB key TAB value`, key and value as JSON (JSON text never holds a
/// raw tab or newline, so the line splits without parsing).
fn line<V: Serialize>(buf: &mut Vec<u8>, kind: u8, key: &str, value: &V) {
    let start = buf.len();
    buf.push(kind);
    buf.push(b'\t');
    // Plain data: serializing into a Vec cannot fail; if it did, the line is taken back.
    let ok = serde_json::to_writer(&mut *buf, key).is_ok() && {
        buf.push(b'\t');
        serde_json::to_writer(&mut *buf, value).is_ok()
    };
    if ok {
        buf.push(b'\n');
    } else {
        buf.truncate(start);
    }
}

/// Adds the item of one line to `out` if it is wanted. A session line that is not wanted gives
/// its key's join hash back (for [`load_callers`]).
fn read_line(line: &[u8], wanted: &Wanted, out: &mut Evidence) -> Result<Option<u64>, String> {
    if line.is_empty() {
        return Ok(None);
    }
    let mut fields = line.splitn(3, |&b| b == b'\t');
    let (Some(&[kind]), Some(key), Some(value)) = (fields.next(), fields.next(), fields.next())
    else {
        return Err("not an evidence line".into());
    };
    let key: std::borrow::Cow<'_, str> = match serde_json::from_slice::<&str>(key) {
        Ok(k) => k.into(),
        // Escapes in the key (a quote, a control character): decode into a String.
        Err(_) => serde_json::from_slice::<String>(key)
            .map_err(|e| e.to_string())?
            .into(),
    };
    if !wanted.wants(kind, &key) {
        return Ok((kind == SESSION).then(|| join_hash(Join::AccessKey, &key)));
    }
    let err = |e: serde_json::Error| e.to_string();
    match kind {
        KMS => out.add_kms_denial(serde_json::from_slice(value).map_err(err)?),
        SESSION => out.add_session_policy(serde_json::from_slice(value).map_err(err)?),
        WRITE => out.add_foreign_write(
            ObjectKey::from_joined(key.into_owned()),
            serde_json::from_slice(value).map_err(err)?,
        ),
        DELETE => out.add_deletion(
            ObjectKey::from_joined(key.into_owned()),
            serde_json::from_slice(value).map_err(err)?,
        ),
        CHANGE => out.add_change(serde_json::from_slice(value).map_err(err)?),
        k => return Err(format!("unknown evidence kind {k}")),
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Origin;
    use crate::scan::evidence::{Deletion, ForeignWrite, KmsDenial, SessionPolicy};

    fn origin() -> Origin {
        Origin {
            object: "f".into(),
            record_index: Some(3),
        }
    }

    fn del(time: &str) -> Deletion {
        Deletion {
            event_time: Some(time.into()),
            event_id: Some(format!("id-{time}").into()),
        }
    }

    /// One object's evidence as the scan gives it.
    fn object(keys: &[(&str, &str)], time: &str) -> Evidence {
        let mut e = Evidence::default();
        for (b, k) in keys {
            e.add_deletion(ObjectKey::new(b, k), del(time));
        }
        e
    }

    #[test]
    fn loads_only_what_the_kept_events_name_latest_first() {
        let mut store = EvidenceStore::new(EvidenceCaps::default(), true);
        // Keys S3 allows and a line format must survive: tabs, newlines, quotes, unicode.
        let odd = "a\tb\nc\"d\\e/ü";
        store.add(object(
            &[("b", "k1"), ("b", odd), ("b", "other")],
            "2026-11-16T00:00:00Z",
        ));
        store.add(object(&[("b", "k1")], "2026-11-17T00:00:00Z"));
        let mut e = Evidence::default();
        e.add_kms_denial(KmsDenial {
            s3_arn: "arn:aws:s3:::b/k1".into(),
            event_id: "kms-1".into(),
            event_time: None,
            event_name: "Decrypt".into(),
            principal_arn: None,
            key_arn: None,
            error_message: None,
            origin: origin(),
        });
        e.add_kms_denial(KmsDenial {
            s3_arn: "arn:aws:s3:::elsewhere".into(),
            ..e.kms_denials[0].clone()
        });
        e.add_session_policy(SessionPolicy {
            access_key_id: "ASIAWANTED".into(),
            issued_by: "AssumeRole".into(),
            event_time: None,
            event_id: None,
            role_arn: None,
            policy: Some("{\"Version\":\"2012-10-17\"}".into()),
            policy_arns: vec![],
            origin: origin(),
            session_tags: vec![("team".into(), "data".into())],
            tags_complete: true,
            transitive_tag_keys: vec![],
            incoming_transitive_tags: vec![],
            called_with: None,
        });
        e.add_foreign_write(
            ObjectKey::new("b", odd),
            ForeignWrite {
                writer_account: "222".into(),
                event_name: "PutObject".into(),
                event_time: None,
                event_id: None,
            },
        );
        store.add(e.clone());
        let EvidenceStore::Log(log) = store else {
            panic!("asked for a log")
        };

        let mut wanted = Wanted::default();
        wanted.add_object("b", Some("k1"));
        wanted.add_object("b", Some(odd));
        wanted.add_access_key("ASIAWANTED");
        let got = log.load(&wanted).expect("the log reads back");

        assert_eq!(got.deletions.len(), 2, "{:?}", got.deletions);
        let k1 = &got.deletions[&ObjectKey::new("b", "k1")];
        assert_eq!(k1.event_time.as_deref(), Some("2026-11-17T00:00:00Z"));
        assert!(got.deletions.contains_key(&ObjectKey::new("b", odd)));
        assert_eq!(got.kms_denials, vec![e.kms_denials[0].clone()]);
        assert_eq!(
            got.session_policies["ASIAWANTED"],
            e.session_policies["ASIAWANTED"]
        );
        assert_eq!(
            got.foreign_writes[&ObjectKey::new("b", odd)],
            e.foreign_writes[&ObjectKey::new("b", odd)]
        );
    }

    #[test]
    fn a_log_never_written_loads_empty_and_keeps_the_overflow_count() {
        let mut store = EvidenceStore::new(EvidenceCaps::default(), true);
        let mut e = Evidence::default();
        e.overflow.deletions = 4;
        store.add(e);
        let EvidenceStore::Log(log) = store else {
            panic!("asked for a log")
        };
        let got = log.load(&Wanted::default()).expect("nothing to read");
        assert!(got.deletions.is_empty());
        assert_eq!(got.overflow.deletions, 4);
    }

    /// A sharded run: two shards' evidence, written as lines and merged into one log, loads
    /// the same as one scan that saw both (the latest deletion of a key wins across shards).
    #[test]
    fn shards_lines_merged_load_like_one_scan() {
        let shard = |objects: &[Evidence]| {
            let mut store = EvidenceStore::new(EvidenceCaps::default(), true);
            for o in objects {
                store.add(o.clone());
            }
            let EvidenceStore::Log(log) = store else {
                panic!("asked for a log")
            };
            log
        };
        let a = object(&[("b", "k1"), ("b", "a\tb")], "2026-11-16T00:00:00Z");
        let b = object(&[("b", "k1"), ("b", "other")], "2026-11-17T00:00:00Z");
        let mut wanted = Wanted::default();
        wanted.add_object("b", Some("k1"));
        wanted.add_object("b", Some("a\tb"));
        let single = shard(&[a.clone(), b.clone()])
            .load(&wanted)
            .expect("one scan");
        let mut merged = EvidenceLog::from_lines(EvidenceCaps::default());
        for log in [shard(&[b]), shard(&[a])] {
            let mut lines = Vec::new();
            let overflow = log.write_lines(&mut lines).expect("lines");
            merged.add_lines(&lines, &overflow).expect("evidence lines");
        }
        let merged = merged.load(&wanted).expect("merged");
        assert_eq!(merged.deletions, single.deletions);
        assert_eq!(
            merged.deletions[&ObjectKey::new("b", "k1")]
                .event_time
                .as_deref(),
            Some("2026-11-17T00:00:00Z")
        );
        assert!(EvidenceLog::from_lines(EvidenceCaps::default())
            .add_lines(b"not a line", &Overflow::default())
            .is_err());
    }

    /// A session up a role chain is loaded with the one the kept events name, link by link
    /// (`called_with` → the record that issued that key), and only those: a session's
    /// inherited transitive tags come from there (crate::diagnose::session_chain).
    #[test]
    fn loads_the_records_up_a_role_chain() {
        let rec = |key: &str, called_with: Option<&str>| SessionPolicy {
            access_key_id: key.into(),
            issued_by: "AssumeRole".into(),
            event_time: None,
            event_id: None,
            role_arn: None,
            policy: None,
            policy_arns: vec![],
            origin: origin(),
            session_tags: vec![],
            tags_complete: called_with.is_none(),
            transitive_tag_keys: vec![],
            incoming_transitive_tags: vec![],
            called_with: called_with.map(str::to_owned),
        };
        let mut store = EvidenceStore::new(EvidenceCaps::default(), true);
        // The chain K1 → K2 → K3 written in an order where each caller comes after.
        for r in [
            rec("K3", Some("K2")),
            rec("OTHER", None),
            rec("K2", Some("K1")),
            rec("K1", None),
        ] {
            let mut e = Evidence::default();
            e.add_session_policy(r);
            store.add(e);
        }
        let EvidenceStore::Log(log) = store else {
            panic!("asked for a log")
        };
        let mut wanted = Wanted::default();
        wanted.add_access_key("K3");
        let got = log.load(&wanted).expect("the log reads back");
        let mut keys: Vec<&str> = got.session_policies.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["K1", "K2", "K3"]);
    }
}
