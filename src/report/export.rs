//! Findings to and from files other tools read: JSON Lines (the FINDINGS.md contract as
//! `analyze --format jsonl` prints it), CSV and Parquet (one row per finding, the same
//! columns; `also` is a JSON string column there because CSV has no lists and a string keeps
//! the Parquet schema the same for Athena, DuckDB, Spark and pandas).
//!
//! Reading is forgiving per row: a line or row that is not a finding is reported with its
//! file and line/row number and skipped; the rest loads. The caller prints and counts them.

use super::err::{ReportError, Result};
use super::format::Format;
use super::frame::{col_name as c, export_frame, parquet_frame, EXPORT_COLUMNS};
use crate::findings::Finding;
use crate::inert;
use polars::io::parquet::write::BatchedWriter as ParquetBatches;
use polars::prelude::*;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// A saved findings file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Jsonl,
    Csv,
    Parquet,
}

impl FileFormat {
    /// From the file name: `.jsonl`/`.ndjson`/`.json`, `.csv`, `.parquet`/`.pq`.
    pub fn from_path(path: &Path) -> Option<FileFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "jsonl" | "ndjson" | "json" => Some(FileFormat::Jsonl),
            "csv" => Some(FileFormat::Csv),
            "parquet" | "pq" => Some(FileFormat::Parquet),
            _ => None,
        }
    }
}

/// One row that could not be read; the run goes on without it.
#[derive(Debug, Clone, PartialEq)]
pub struct RowProblem {
    pub path: PathBuf,
    /// 1-based line (jsonl) or row (csv, parquet) number.
    pub row: usize,
    pub what: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} row {}: {}; the row is skipped",
            self.path.display(),
            self.row,
            self.what
        )
    }
}

/// Findings read from one or more files, plus what could not be read.
#[derive(Debug, Default)]
pub struct Loaded {
    pub findings: Vec<Finding>,
    pub problems: Vec<RowProblem>,
}

/// Reads a saved findings file (format from `format`, else the extension).
pub fn read_findings(path: &Path, format: Option<FileFormat>, into: &mut Loaded) -> Result<()> {
    let format = format
        .or_else(|| FileFormat::from_path(path))
        .ok_or_else(|| ReportError::UnknownInputFormat {
            path: path.to_path_buf(),
        })?;
    let io = |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    };
    match format {
        FileFormat::Jsonl => {
            let file = File::open(path).map_err(io)?;
            for (i, line) in BufReader::new(file).lines().enumerate() {
                let line = line.map_err(io)?;
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Finding>(&line) {
                    Ok(f) if f.event_id.is_empty() => into.problems.push(RowProblem {
                        path: path.to_path_buf(),
                        row: i + 1,
                        what: "not a finding (no event_id)".into(),
                    }),
                    Ok(f) => into.findings.push(f),
                    Err(e) => into.problems.push(RowProblem {
                        path: path.to_path_buf(),
                        row: i + 1,
                        what: format!("not a finding ({e})"),
                    }),
                }
            }
            Ok(())
        }
        FileFormat::Parquet => {
            let file = File::open(path).map_err(io)?;
            let df = ParquetReader::new(file).finish()?;
            frame_to_findings(path, &df, into, false)
        }
        FileFormat::Csv => {
            let df = CsvReadOptions::default()
                .with_has_header(true)
                // Every column as text: ids and account numbers must not become numbers.
                .with_infer_schema_length(Some(0))
                .try_into_reader_with_file_path(Some(path.to_path_buf()))?
                .finish()?;
            frame_to_findings(path, &df, into, true)
        }
    }
}

/// The export frame with every text cell a spreadsheet would run as a formula neutralized
/// ([`inert::csv_cell`], OWASP's leading `'`): keys, user agents and ARNs are chosen by the
/// caller. [`read_findings`] undoes it ([`inert::csv_cell_read`]), so CSV still round-trips.
fn csv_safe(mut df: DataFrame) -> Result<DataFrame> {
    let names: Vec<PlSmallStr> = df
        .columns()
        .iter()
        .filter(|c| c.dtype() == &DataType::String)
        .map(|c| c.name().clone())
        .collect();
    for name in names {
        let column = df.column(&name)?.str()?;
        if !column
            .iter()
            .flatten()
            .any(|v| matches!(inert::csv_cell(v), std::borrow::Cow::Owned(_)))
        {
            continue;
        }
        let safe: StringChunked = column
            .iter()
            .map(|v| v.map(|v| inert::csv_cell(v).into_owned()))
            .collect();
        df.with_column(safe.with_name(name).into_column())?;
    }
    Ok(df)
}

/// Turns an exported frame back into findings (the inverse of [`export_frame`]); `csv`: the
/// cells were neutralized by [`csv_safe`].
fn frame_to_findings(path: &Path, df: &DataFrame, into: &mut Loaded, csv: bool) -> Result<()> {
    let mut cols = Vec::with_capacity(EXPORT_COLUMNS.len());
    let mut missing = Vec::new();
    for name in EXPORT_COLUMNS {
        let column = match df.column(name) {
            // A timestamp (this version's Parquet) reads back as the RFC 3339 text of the
            // contract.
            Ok(col) if matches!(col.dtype(), DataType::Datetime(..)) => rfc3339_column(col)?,
            Ok(col) => col.cast(&DataType::String)?,
            // Only the event id is needed to read a row; a column an older version (or
            // another tool) did not write reads as null, said once per file.
            Err(_) if name != c::EVENT_ID => {
                missing.push(name);
                Column::full_null((*name).into(), df.height(), &DataType::String)
            }
            Err(_) => {
                return Err(ReportError::MissingColumn {
                    path: path.to_path_buf(),
                    column: name.to_string(),
                })
            }
        };
        cols.push(column);
    }
    if !missing.is_empty() {
        crate::messages::notice(&format!(
            "denytrail: {}: no column {}: read as empty (a file from another version or tool)",
            path.display(),
            missing.join(", ")
        ));
    }
    let strs: Vec<&StringChunked> = cols.iter().map(|c| c.str()).collect::<PolarsResult<_>>()?;
    let at = |name: &str, row: usize| -> Option<String> {
        let i = EXPORT_COLUMNS.iter().position(|n| *n == name)?;
        let v = strs.get(i)?.get(row)?;
        Some(if csv {
            inert::csv_cell_read(v).into_owned()
        } else {
            v.to_string()
        })
    };
    for row in 0..df.height() {
        match row_to_finding(&at, row) {
            Ok(f) => into.findings.push(f),
            Err(what) => into.problems.push(RowProblem {
                path: path.to_path_buf(),
                row: row + 1,
                what,
            }),
        }
    }
    Ok(())
}

/// A timestamp column as RFC 3339 UTC text (`2026-11-20T10:00:00Z`; milliseconds only when
/// there are some).
fn rfc3339_column(col: &Column) -> Result<Column> {
    let ms = col.cast(&DataType::Int64)?;
    let text: StringChunked = ms
        .i64()?
        .iter()
        .map(|v| {
            v.and_then(chrono::DateTime::from_timestamp_millis)
                .map(|t| {
                    if t.timestamp_subsec_millis() == 0 {
                        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
                    } else {
                        t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
                    }
                })
        })
        .collect();
    Ok(text.with_name(col.name().clone()).into_column())
}

fn word<T: serde::de::DeserializeOwned>(
    column: &str,
    v: Option<String>,
) -> std::result::Result<Option<T>, String> {
    match v {
        None => Ok(None),
        Some(s) => serde_json::from_value(serde_json::Value::String(s.clone()))
            .map(Some)
            .map_err(|_| format!("`{s}` is not a valid {column}")),
    }
}

fn row_to_finding(
    at: &dyn Fn(&str, usize) -> Option<String>,
    row: usize,
) -> std::result::Result<Finding, String> {
    let also = match at(c::ALSO, row) {
        None => Vec::new(),
        Some(s) => {
            serde_json::from_str(&s).map_err(|e| format!("`also` is not a JSON list ({e})"))?
        }
    };
    let disagrees = match at(c::DISAGREES_WITH_AWS, row).as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(s) => return Err(format!("`{s}` is not a valid disagrees_with_aws")),
    };
    let record_index = match at(c::RECORD_INDEX, row) {
        None => None,
        Some(s) => Some(
            s.parse::<u64>()
                .map_err(|_| format!("`{s}` is not a valid record_index"))?,
        ),
    };
    Ok(Finding {
        event_id: at(c::EVENT_ID, row).ok_or("event_id is empty")?,
        event_time: at(c::EVENT_TIME, row),
        event_name: at(c::EVENT_NAME, row),
        action: at(c::ACTION, row),
        principal_arn: at(c::PRINCIPAL_ARN, row),
        principal_account: at(c::PRINCIPAL_ACCOUNT, row),
        resource_account: at(c::RESOURCE_ACCOUNT, row),
        bucket: at(c::BUCKET, row),
        key: at(c::KEY, row),
        resource_arn: at(c::RESOURCE_ARN, row),
        source_ip: at(c::SOURCE_IP, row),
        vpc_endpoint_id: at(c::VPC_ENDPOINT_ID, row),
        user_agent: at(c::USER_AGENT, row),
        error_code: at(c::ERROR_CODE, row),
        error_message: at(c::ERROR_MESSAGE, row),
        root_cause: word(c::ROOT_CAUSE, at(c::ROOT_CAUSE, row))?.unwrap_or_default(),
        deny_type: word(c::DENY_TYPE, at(c::DENY_TYPE, row))?,
        policy_type: word(c::POLICY_TYPE, at(c::POLICY_TYPE, row))?,
        policy_id: at(c::POLICY_ID, row),
        statement_sid: at(c::STATEMENT_SID, row),
        reason: at(c::REASON, row),
        remediation: at(c::REMEDIATION, row),
        also,
        disagrees_with_aws: disagrees,
        started_by: at(c::STARTED_BY, row),
        aws_authorization_id: at(c::AWS_AUTHORIZATION_ID, row),
        snapshot_taken_at: at(c::SNAPSHOT_TAKEN_AT, row),
        source_object: at(c::SOURCE_OBJECT, row),
        record_index,
        caller_class: word(c::CALLER_CLASS, at(c::CALLER_CLASS, row))?.unwrap_or_default(),
    })
}

/// The findings as JSON Lines (one object per finding per line, in the contract's field
/// order), serialized in parallel chunks (in order).
pub fn jsonl_lines(findings: &[Finding]) -> Vec<u8> {
    use rayon::prelude::*;
    findings
        .par_chunks(256)
        .map(|chunk| {
            let mut lines = Vec::with_capacity(chunk.len() * 1024);
            for f in chunk {
                // A Finding is plain data: serializing it cannot fail.
                if serde_json::to_writer(&mut lines, f).is_ok() {
                    lines.push(b'\n');
                }
            }
            lines
        })
        .collect::<Vec<_>>()
        .concat()
}

/// Findings written as rows while they are made: JSON Lines, CSV (one header) or Parquet (a
/// row group per batch, the footer at the end). Nothing is gathered, so `analyze` writing rows
/// holds one batch of findings whatever the length of the trail.
pub struct RowWriter<W: Write> {
    out: Rows<W>,
}

enum Rows<W: Write> {
    Jsonl(W),
    Csv {
        out: W,
        header: bool,
    },
    /// The writer is made with the first batch's schema (`out` until then).
    Parquet {
        out: Option<W>,
        writer: Option<Box<ParquetBatches<W>>>,
    },
}

impl<W: Write> RowWriter<W> {
    /// A writer of `format`'s rows to `out`; `None` when `format` is an aggregated report.
    pub fn new(format: Format, out: W) -> Option<Self> {
        let out = match format {
            Format::Jsonl => Rows::Jsonl(out),
            Format::Csv => Rows::Csv { out, header: true },
            Format::Parquet => Rows::Parquet {
                out: Some(out),
                writer: None,
            },
            Format::Table | Format::Markdown | Format::Html | Format::Json => return None,
        };
        Some(RowWriter { out })
    }

    /// Writes one batch. Text rows are flushed, so that a reader sees them as they come.
    pub fn write(&mut self, batch: &[Finding]) -> Result<()> {
        match &mut self.out {
            Rows::Jsonl(out) => {
                out.write_all(&jsonl_lines(batch))?;
                out.flush()?;
            }
            Rows::Csv { out, header } => {
                let mut bytes = Vec::new();
                // On the calling thread: the diagnosis keeps rayon's threads busy, and
                // polars' pool starting up beside it cost 17 MiB of peak memory.
                CsvWriter::new(&mut bytes)
                    .include_header(*header)
                    .n_threads(1)
                    .finish(&mut csv_safe(export_frame(batch)?)?)?;
                *header = false;
                out.write_all(&bytes)?;
                out.flush()?;
            }
            Rows::Parquet { out, writer } => {
                if batch.is_empty() {
                    return Ok(());
                }
                let frame = parquet_frame(batch)?;
                parquet_writer(out, writer, &frame)?.write_batch(&frame)?;
            }
        }
        Ok(())
    }

    /// Ends the file: the header of a CSV without rows, the footer of a Parquet file (whose
    /// bytes the caller flushes).
    pub fn finish(mut self) -> Result<()> {
        match &mut self.out {
            Rows::Jsonl(out) => out.flush()?,
            Rows::Csv { header: true, .. } => self.write(&[])?,
            Rows::Csv { .. } => {}
            Rows::Parquet { out, writer } => {
                let empty = parquet_frame(&[])?;
                parquet_writer(out, writer, &empty)?.finish()?;
            }
        }
        Ok(())
    }
}

/// The Parquet writer, made on first use with `frame`'s schema (every export frame has the
/// same columns and types).
fn parquet_writer<'a, W: Write>(
    out: &mut Option<W>,
    writer: &'a mut Option<Box<ParquetBatches<W>>>,
    frame: &DataFrame,
) -> Result<&'a mut ParquetBatches<W>> {
    if let Some(w) = writer {
        return Ok(w);
    }
    let out = out
        .take()
        .ok_or_else(|| PolarsError::NoData("the Parquet output".into()))?;
    Ok(writer.insert(Box::new(
        ParquetWriter::new(out)
            .set_parallel(false)
            .batched(frame.schema())?,
    )))
}

/// Writes `findings` as the rows of a row format (jsonl, csv, parquet); `Ok(false)` when
/// `format` is an aggregated report and nothing was written.
pub fn write_rows(format: Format, findings: &[Finding], out: &mut dyn Write) -> Result<bool> {
    let Some(mut rows) = RowWriter::new(format, out) else {
        return Ok(false);
    };
    rows.write(findings)?;
    rows.finish()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{AlsoFailing, CallerClass, DenyType, PolicyType, RootCause};

    fn sample() -> Vec<Finding> {
        vec![
            Finding {
                event_id: "e1".into(),
                event_time: Some("2026-11-20T10:00:00Z".into()),
                principal_account: Some("011122223333".into()),
                root_cause: RootCause::ExplicitDeny,
                deny_type: Some(DenyType::Explicit),
                policy_type: Some(PolicyType::Resource),
                reason: Some("a, \"quoted\"\nreason".into()),
                also: vec![AlsoFailing {
                    root_cause: RootCause::Scp,
                    deny_type: Some(DenyType::Implicit),
                    policy_type: Some(PolicyType::Scp),
                    policy_id: Some("p-1".into()),
                }],
                disagrees_with_aws: Some(false),
                started_by: Some("change-1".into()),
                aws_authorization_id: Some("a1b2c3d4e5f6".into()),
                record_index: Some(7),
                caller_class: CallerClass::Organization,
                ..Default::default()
            },
            Finding {
                event_id: "e2".into(),
                ..Default::default()
            },
        ]
    }

    fn round_trip(format: FileFormat, ext: &str) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("f.{ext}"));
        let mut file = File::create(&path).unwrap();
        let rows = match format {
            FileFormat::Jsonl => Format::Jsonl,
            FileFormat::Csv => Format::Csv,
            FileFormat::Parquet => Format::Parquet,
        };
        assert!(write_rows(rows, &sample(), &mut file).unwrap());
        drop(file);
        let mut loaded = Loaded::default();
        read_findings(&path, None, &mut loaded).unwrap();
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        assert_eq!(loaded.findings, sample(), "{format:?}");
    }

    #[test]
    fn jsonl_round_trip_is_lossless() {
        round_trip(FileFormat::Jsonl, "jsonl");
    }

    #[test]
    fn csv_round_trip_is_lossless_and_keeps_leading_zero_accounts() {
        round_trip(FileFormat::Csv, "csv");
    }

    #[test]
    fn parquet_round_trip_is_lossless() {
        round_trip(FileFormat::Parquet, "parquet");
    }

    /// Issue 20: Parquet's `event_time` is a timestamp column (UTC), for Athena and Spark;
    /// it still reads back as the contract's RFC 3339 text (the round trip above).
    #[test]
    fn parquet_event_time_is_a_timestamp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.parquet");
        let mut file = File::create(&path).unwrap();
        assert!(write_rows(Format::Parquet, &sample(), &mut file).unwrap());
        drop(file);
        let df = ParquetReader::new(File::open(&path).unwrap())
            .finish()
            .unwrap();
        assert!(
            matches!(
                df.column(c::EVENT_TIME).unwrap().dtype(),
                DataType::Datetime(TimeUnit::Milliseconds, Some(_))
            ),
            "{:?}",
            df.column(c::EVENT_TIME).unwrap().dtype()
        );
    }

    /// Issue 20: a findings file without some columns (an older version wrote no
    /// `started_by`; another tool may leave out what it cannot fill) is read, the missing
    /// columns empty; only `event_id` is required.
    #[test]
    fn files_lacking_columns_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.csv");
        std::fs::write(
            &path,
            "event_id,event_time,root_cause\ne-1,2026-11-20T10:00:00Z,scp\n",
        )
        .unwrap();
        let mut loaded = Loaded::default();
        read_findings(&path, None, &mut loaded).unwrap();
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        assert_eq!(loaded.findings.len(), 1);
        assert_eq!(
            loaded.findings[0].root_cause,
            crate::findings::RootCause::Scp
        );
        assert_eq!(loaded.findings[0].started_by, None);
        let path = dir.path().join("no-id.csv");
        std::fs::write(&path, "event_time\n2026-11-20T10:00:00Z\n").unwrap();
        assert!(read_findings(&path, None, &mut Loaded::default()).is_err());
    }

    #[test]
    fn bad_jsonl_line_is_reported_with_its_number_and_the_rest_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.jsonl");
        let mut text = String::from_utf8(jsonl_lines(&sample())).unwrap();
        text.insert_str(0, "{not json\n");
        std::fs::write(&path, text).unwrap();
        let mut loaded = Loaded::default();
        read_findings(&path, None, &mut loaded).unwrap();
        assert_eq!(loaded.findings.len(), 2);
        assert_eq!(loaded.problems.len(), 1);
        assert_eq!(loaded.problems[0].row, 1);
    }
}
