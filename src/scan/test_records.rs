//! Test data: every record of `sample-logs/` and of the real corpus, one by one.

use super::decode::is_gzip;
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// Every record of `sample-logs/` and of the real corpus, whatever its service or outcome,
/// each re-serialized alone.
pub fn every_record() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut records = Vec::new();
    files(&root.join("sample-logs"), &mut records);
    let sample = records.len();
    assert!(sample > 400, "sample-logs has its records: {sample}");
    files(&crate::test_corpus::real(), &mut records);
    records
}

/// Every record of a file in any of the shapes the corpus holds, re-serialized alone.
fn records_of(text: &str) -> Vec<Vec<u8>> {
    let one = |v: &Value| serde_json::to_vec(v).expect("a Value serializes");
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(o)) => match (o.get("Records"), o.get("Events")) {
            (Some(Value::Array(rs)), _) => rs.iter().map(one).collect(),
            (_, Some(Value::Array(es))) => es
                .iter()
                .filter_map(|e| e.get("CloudTrailEvent")?.as_str())
                .map(|s| s.as_bytes().to_vec())
                .collect(),
            _ => vec![one(&Value::Object(o))],
        },
        Ok(Value::Array(rs)) => rs.iter().map(one).collect(),
        Ok(other) => vec![one(&other)],
        Err(_) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.as_bytes().to_vec())
            .collect(),
    }
}

fn files(dir: &Path, out: &mut Vec<Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            files(&path, out);
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let mut text = String::new();
        let read = if is_gzip(&bytes) {
            flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_string(&mut text)
        } else {
            (&bytes[..]).read_to_string(&mut text)
        };
        if read.is_ok() && path.extension().is_none_or(|x| x != "md") {
            out.extend(records_of(&text));
        }
    }
}
