//! The record reader on arbitrary bytes. Properties:
//! 1. it never panics, whatever the bytes (gzip or not, any JSON or none);
//! 2. every record it keeps is one a slow, obviously-correct reader also finds: whole-document
//!    serde_json parsing (as a stream of values, and line by line), no pre-filter, no
//!    boundary tricks. So the fast path may not invent, split or mangle a record.
//!
//! The first byte picks the encoding: odd = gzip the rest first (so the fuzzer reaches the
//! fast path on valid gzip), even = the rest as stored.
#![no_main]

use denytrail::record::Event;
use denytrail::scan::classify::S3_403_CODES;
use denytrail::scan::{scan_object, ScanConfig, WorkBufs};
use denytrail::source::{LogObject, Locator};
use flate2::read::MultiGzDecoder;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::io::{Read, Write};
use std::sync::Arc;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = e.write_all(data);
    e.finish().unwrap_or_default()
}

/// Records in one JSON value, in every shape the reader accepts.
fn records_of(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => out.extend(items),
        Value::Object(ref m) => {
            if let Some(Value::Array(recs)) = m.get("Records") {
                out.extend(recs.iter().cloned());
            }
            if let Some(Value::Array(events)) = m.get("Events") {
                for e in events {
                    if let Some(Ok(r)) = e
                        .get("CloudTrailEvent")
                        .and_then(Value::as_str)
                        .map(serde_json::from_str::<Value>)
                    {
                        out.push(r);
                    }
                }
            }
            out.push(v);
        }
        _ => {}
    }
}

/// The slow reader: every S3 403 record it can find, decoded the same lenient way.
fn slow(doc: &[u8]) -> Vec<Event> {
    let mut recs = Vec::new();
    for v in serde_json::Deserializer::from_slice(doc).into_iter::<Value>() {
        match v {
            Ok(v) => records_of(v, &mut recs),
            Err(_) => break,
        }
    }
    for line in doc.split(|&c| c == b'\n') {
        if let Ok(v) = serde_json::from_slice::<Value>(line) {
            records_of(v, &mut recs);
        }
    }
    recs.into_iter()
        .filter(|r| {
            r.get("eventSource").and_then(Value::as_str) == Some("s3.amazonaws.com")
                && r.get("errorCode")
                    .and_then(Value::as_str)
                    .is_some_and(|c| S3_403_CODES.contains(&c))
        })
        .filter_map(|r| serde_json::from_value::<Event>(r).ok())
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let stored = if mode & 1 == 1 { gzip(rest) } else { rest.to_vec() };
    let object = LogObject {
        name: Arc::from("fuzz"),
        size: None,
        locator: Locator::Inline(Arc::from(&stored[..])),
    };
    let cfg = ScanConfig {
        max_object_bytes: 1 << 22,
        ..ScanConfig::default()
    };
    let mut bufs = WorkBufs::default();
    let out = scan_object(&object, &stored, &cfg, &mut bufs);

    // Stats must account for every kept record.
    assert_eq!(out.stats.kept as usize, out.denials.len());

    // The slow reader needs the whole document: only compare when it inflates cleanly.
    let mut doc = Vec::new();
    if stored.starts_with(&[0x1f, 0x8b]) {
        if MultiGzDecoder::new(&stored[..]).read_to_end(&mut doc).is_err() {
            return;
        }
    } else {
        doc = stored.clone();
    }
    if doc.len() > cfg.max_object_bytes {
        return;
    }
    let slow = slow(&doc);
    for d in &out.denials {
        assert!(
            slow.contains(&d.event),
            "kept a record the slow reader does not find: {:?} at {}",
            d.event,
            d.origin
        );
    }
});
