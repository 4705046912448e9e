//! A Security Lake Parquet object → the CloudTrail document the scan reads: `{"Records":[...]}`
//! with one record per row, in row order, so that a record's index is its row.
//!
//! Parquet is read with polars (already in the tree for the reports); each row goes through
//! polars' JSON writer into a `serde_json::Value` and is mapped back by [`super::ocsf`]. Rows
//! of another product become `{}` (an intentional `not_s3` skip, as a non-S3 record is);
//! a CloudTrail row that cannot be rebuilt becomes `null` and is named, with its row, by the
//! scan ([`Converted::unusable`]).

use super::ocsf::{to_cloudtrail, Row};
use polars::prelude::{JsonFormat, JsonWriter, ParquetReader, SerReader, SerWriter};
use std::io::Cursor;

/// Parquet's magic number, at both ends of every file.
pub const MAGIC: &[u8; 4] = b"PAR1";

/// Whether `bytes` are a Parquet file (magic at the start and the end).
pub fn is_parquet(bytes: &[u8]) -> bool {
    bytes.len() >= 12 && bytes.starts_with(MAGIC) && bytes.ends_with(MAGIC)
}

/// A converted object.
#[derive(Debug, Default)]
pub struct Converted {
    /// `{"Records":[...]}`, one element per row.
    pub doc: Vec<u8>,
    /// Rows (0-based) that could not be rebuilt, and why.
    pub unusable: Vec<(u64, String)>,
}

/// Reads a whole Parquet object and rebuilds its CloudTrail records. `Err` when the file
/// cannot be read at all (damaged, or a shape polars does not read).
pub fn to_records(bytes: &[u8]) -> Result<Converted, String> {
    let mut df = ParquetReader::new(Cursor::new(bytes))
        .finish()
        .map_err(|e| format!("cannot read the Parquet file: {e}"))?;
    let mut lines = Vec::new();
    JsonWriter::new(&mut lines)
        .with_json_format(JsonFormat::JsonLines)
        .finish(&mut df)
        .map_err(|e| format!("cannot read the Parquet rows: {e}"))?;
    drop(df);
    let mut out = Converted {
        doc: Vec::with_capacity(lines.len() + 16),
        unusable: Vec::new(),
    };
    out.doc.extend_from_slice(b"{\"Records\":[");
    let rows = lines.split(|b| *b == b'\n').filter(|l| !l.is_empty());
    for (i, line) in rows.enumerate() {
        if i > 0 {
            out.doc.push(b',');
        }
        let row = match serde_json::from_slice(line) {
            Ok(v) => to_cloudtrail(&v),
            Err(e) => Row::Unusable(format!("cannot read the row: {e}")),
        };
        match row {
            Row::Record(r) => serde_json::to_writer(&mut out.doc, &r)
                .map_err(|e| format!("cannot write row {i}: {e}"))?,
            Row::Other => out.doc.extend_from_slice(b"{}"),
            Row::Unusable(why) => {
                out.doc.extend_from_slice(b"null");
                out.unusable.push((i as u64, why));
            }
        }
    }
    out.doc.extend_from_slice(b"]}");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{DataType, JsonReader, ParquetWriter, TimeUnit, TimeZone};

    /// A lake row through a real Parquet file, with `time` stored as a Parquet timestamp
    /// rather than epoch milliseconds (writers differ), and `unmapped` as a list of key/value
    /// entries, which is how polars reads a Parquet MAP.
    #[test]
    fn a_parquet_row_reads_back_whatever_the_time_type() {
        let row = serde_json::json!({"class_uid": 6003,
            "metadata": {"version": "1.1.0", "uid": "e-1", "product": {"name": "CloudTrail", "version": "1.09"}},
            "time": 1763541612000i64,
            "api": {"operation": "GetObject", "service": {"name": "s3.amazonaws.com"},
                "response": {"error": "AccessDenied"}, "request": {"data": "{\"bucketName\":\"b\"}"}},
            "unmapped": [{"key": "additionalEventData", "value": "{\"SignatureVersion\":\"SigV4\"}"}]})
        .to_string();
        let df = JsonReader::new(Cursor::new(row.as_bytes().to_vec()))
            .with_json_format(JsonFormat::JsonLines)
            .finish()
            .expect("frame");
        for dtype in [
            None,
            Some(DataType::Datetime(TimeUnit::Milliseconds, None)),
            Some(DataType::Datetime(
                TimeUnit::Microseconds,
                Some(TimeZone::UTC),
            )),
        ] {
            let mut df = df.clone();
            if let Some(dt) = &dtype {
                let ms = DataType::Datetime(TimeUnit::Milliseconds, None);
                let time = df.column("time").expect("time").cast(&ms).expect("cast");
                let time = time.cast(dt).expect("cast");
                df.with_column(time).expect("replaced");
            }
            let mut bytes = Vec::new();
            ParquetWriter::new(&mut bytes)
                .finish(&mut df)
                .expect("parquet");
            assert!(is_parquet(&bytes));
            let out = to_records(&bytes).expect("read");
            let doc: serde_json::Value = serde_json::from_slice(&out.doc).expect("json");
            let r = &doc["Records"][0];
            assert_eq!(r["eventTime"], "2025-11-19T08:40:12Z", "{dtype:?}: {r}");
            assert_eq!(r["requestParameters"]["bucketName"], "b");
            assert_eq!(r["additionalEventData"]["SignatureVersion"], "SigV4");
            assert!(out.unusable.is_empty());
        }
        assert!(to_records(b"PAR1 not really PAR1").is_err());
    }
}
