//! A [`Sink`] that keeps memory flat however many denials a scan finds.
//!
//! `analyze` cannot diagnose a denial the moment the scan finds it: the side evidence that
//! explains it (the STS record that issued the session's key, a KMS denial, a deletion) may
//! come later in the logs. So the denials wait for the end of the scan. Held as parsed
//! [`Event`]s they cost about 4.7 KB each (heaptrack, `gen_corpus` records), which grows with
//! the input: 61 MB for the 13,058 denials of a 2 GB trail. [`SpillSink`] keeps the first
//! `budget` denials in memory and writes the rest, one object at a time and serialized as JSON, to an
//! unnamed temporary file (deleted by the OS when the process ends, whatever way it ends).
//! [`Spilled::next_batch`] then hands them back in listing order (object name, then record),
//! a bounded batch at a time, so the diagnosis and the output stream too.
//!
//! If the temporary file cannot be created or written (no space, read-only `TMPDIR`), the
//! denials stay in memory: a notice says so once, and nothing is lost.

use super::kept::{Denial, Sink};
use crate::input::Origin;
use crate::messages;
use crate::record::Event;
use crate::scratch::Scratch;
use rayon::prelude::*;
use std::io;
use std::sync::{Arc, Mutex};

/// Denials kept in memory before the sink starts writing to disk: about 5 MB of parsed events
/// on the `gen_corpus` trees. Held events are many small allocations that fragment the heap,
/// so a larger budget costs more than its size: measured with `analyze --format jsonl`,
/// 4,096 gave a peak RSS of 52 MiB on the 500 MB tree and 68 MiB on the 2 GB one, 1,024 gave
/// 45 and 51 MiB, for 1.4 % more wall time on the 500 MB tree.
pub const DEFAULT_BUDGET: usize = 1024;

/// The budget: `DENYTRAIL_SPILL_AFTER` when set to a number (0 sends every kept event to
/// disk, which tests use to exercise this path), else [`DEFAULT_BUDGET`].
pub fn budget_from_env() -> usize {
    crate::scratch::limit_from_env("DENYTRAIL_SPILL_AFTER", DEFAULT_BUDGET)
}

/// One object's denials, in memory or at a place in the spill file.
#[derive(Debug)]
enum Part {
    Memory(Vec<Denial>),
    Disk {
        object: Arc<str>,
        offset: u64,
        len: usize,
        count: usize,
    },
}

impl Part {
    fn object(&self) -> Option<&str> {
        match self {
            Part::Memory(d) => d.first().map(|d| &*d.origin.object),
            Part::Disk { object, .. } => Some(object),
        }
    }

    fn count(&self) -> usize {
        match self {
            Part::Memory(d) => d.len(),
            Part::Disk { count, .. } => *count,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    parts: Vec<Part>,
    in_memory: usize,
    /// Written once the budget is exceeded; after a failed write everything stays in memory.
    spill: Scratch,
}

/// Keeps up to `budget` denials in memory and spills the rest to a temporary file
/// (`usize::MAX`: a sink that keeps everything in memory).
#[derive(Debug)]
pub struct SpillSink {
    budget: usize,
    state: Mutex<State>,
}

impl SpillSink {
    pub fn new(budget: usize) -> Self {
        SpillSink {
            budget,
            state: Mutex::new(State::default()),
        }
    }

    /// Everything accepted, ready to be read back in listing order.
    pub fn finish(self) -> Spilled {
        let mut state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        // One object's records arrive together and in order: sorting the parts (objects,
        // not records) restores the whole order. Workers finish objects in any order, and the
        // same logs must give the same output.
        state
            .parts
            .sort_by(|a, b| a.object().unwrap_or("").cmp(b.object().unwrap_or("")));
        Spilled {
            parts: state.parts.into_iter(),
            spill: state.spill,
        }
    }
}

/// One object's denials as spilled: a JSON line `[record_index, event]` per denial (the
/// object name is kept once, in the [`Part`]).
fn serialize(denials: &[Denial]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(denials.len() * 2048);
    for d in denials {
        // An Event is plain data: serializing it into a Vec cannot fail.
        if serde_json::to_writer(&mut buf, &(d.origin.record_index, &d.event)).is_ok() {
            buf.push(b'\n');
        }
    }
    buf
}

/// Reads one object's spilled lines back. simd-json decodes each line (a copy of it: it
/// decodes in place) through the same `Deserialize` as serde_json, a little faster (most of
/// the cost is building the event either way); a line it refuses is read by serde_json, whose
/// answer is the reference.
fn deserialize(
    object: &Arc<str>,
    bytes: &[u8],
    (scratch, buffers): &mut (Vec<u8>, simd_json::Buffers),
) -> io::Result<Vec<Denial>> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|line| {
            scratch.clear();
            scratch.extend_from_slice(line);
            let (record_index, event): (Option<u64>, Event) =
                match simd_json::serde::from_slice_with_buffers(scratch, buffers) {
                    Ok(read) => read,
                    Err(_) => serde_json::from_slice(line)?,
                };
            Ok(Denial {
                event,
                origin: Origin {
                    object: object.clone(),
                    record_index,
                },
            })
        })
        .collect()
}

impl Sink for SpillSink {
    fn accept(&self, denials: Vec<Denial>) -> bool {
        let Some(object) = denials.first().map(|d| d.origin.object.clone()) else {
            return true;
        };
        let to_memory = |state: &mut State, denials: Vec<Denial>| {
            state.in_memory += denials.len();
            state.parts.push(Part::Memory(denials));
        };
        {
            let Ok(mut state) = self.state.lock() else {
                return false;
            };
            if state.spill.failed() || state.in_memory + denials.len() <= self.budget {
                to_memory(&mut state, denials);
                return true;
            }
        }
        // Over budget: serialize outside the lock (workers do this in parallel), then append.
        let bytes = serialize(&denials);
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        match state.spill.append(&bytes) {
            Ok(offset) => state.parts.push(Part::Disk {
                object,
                offset,
                len: bytes.len(),
                count: denials.len(),
            }),
            Err(e) => {
                messages::notice(&format!(
                    "denytrail: could not write kept events to a temporary file ({e}); keeping \
                     them in memory instead (set TMPDIR to a folder with free space to bound \
                     memory)"
                ));
                to_memory(&mut state, denials);
            }
        }
        true
    }
}

/// The denials of a finished scan, read back in listing order.
#[derive(Debug)]
pub struct Spilled {
    parts: std::vec::IntoIter<Part>,
    spill: Scratch,
}

impl Spilled {
    /// The next objects' denials, at least one object's and about `max` denials at most (an
    /// object is never split); `None` at the end. Spilled objects are parsed in parallel.
    pub fn next_batch(&mut self, max: usize) -> io::Result<Option<Vec<Denial>>> {
        let mut taken = Vec::new();
        let mut count = 0;
        while count < max.max(1) {
            let Some(part) = self.parts.next() else { break };
            count += part.count();
            taken.push(part);
        }
        if taken.is_empty() {
            return Ok(None);
        }
        // Disk reads one after the other, then the parsing in parallel.
        let mut read = Vec::with_capacity(taken.len());
        for part in taken {
            read.push(match part {
                Part::Memory(d) => Read::Parsed(d),
                Part::Disk {
                    object,
                    offset,
                    len,
                    ..
                } => Read::Bytes(object, self.spill.read_at(offset, len)?),
            });
        }
        let batches: io::Result<Vec<Vec<Denial>>> = read
            .into_par_iter()
            .map_init(
                || (Vec::new(), simd_json::Buffers::default()),
                |bufs, r| match r {
                    Read::Parsed(d) => Ok(d),
                    Read::Bytes(object, bytes) => deserialize(&object, &bytes, bufs),
                },
            )
            .collect();
        Ok(Some(batches?.into_iter().flatten().collect()))
    }
}

/// A part of a batch once read: kept events as they were, or an object's spilled lines.
enum Read {
    Parsed(Vec<Denial>),
    Bytes(Arc<str>, Vec<u8>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denial(object: &str, index: u64) -> Denial {
        let event: Event = serde_json::from_value(serde_json::json!({
            "eventID": format!("{object}-{index}"),
            "eventTime": "2026-11-16T00:00:00Z",
            "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject",
            "errorCode": "AccessDenied",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/u"},
            "requestParameters": {"bucketName": "b", "key": "k", "n": 1.5},
            "resources": [{"ARN": "arn:aws:s3:::b/k", "type": "AWS::S3::Object"}]
        }))
        .expect("a valid event");
        Denial {
            event,
            origin: Origin {
                object: Arc::from(object),
                record_index: Some(index),
            },
        }
    }

    fn drain(mut s: Spilled, max: usize) -> Vec<Vec<Denial>> {
        let mut out = Vec::new();
        while let Some(b) = s.next_batch(max).expect("read back") {
            out.push(b);
        }
        out
    }

    #[test]
    fn gives_back_everything_in_listing_order_across_memory_and_disk() {
        let sink = SpillSink::new(3);
        let objects = ["c", "a", "d", "b"];
        // Accepted out of order, two denials each: "c" fits in memory, the rest spill.
        for o in objects {
            assert!(sink.accept(vec![denial(o, 0), denial(o, 7)]));
        }
        let batches = drain(sink.finish(), 3);
        assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4]);
        let all: Vec<Denial> = batches.into_iter().flatten().collect();
        let mut expected = Vec::new();
        for o in ["a", "b", "c", "d"] {
            expected.extend([denial(o, 0), denial(o, 7)]);
        }
        assert_eq!(all, expected, "same events, same origins, listing order");
    }

    #[test]
    fn a_zero_budget_spills_everything_and_an_empty_sink_ends_at_once() {
        let sink = SpillSink::new(0);
        assert!(sink.accept(vec![denial("x", 1)]));
        assert!(sink.accept(Vec::new()));
        let s = sink.finish();
        assert_eq!(s.parts.len(), 1);
        assert!(
            matches!(s.parts.as_slice(), [Part::Disk { count: 1, .. }]),
            "the one denial went to disk"
        );
        assert_eq!(drain(s, 10), vec![vec![denial("x", 1)]]);
        assert!(drain(SpillSink::new(0).finish(), 10).is_empty());
    }
}
