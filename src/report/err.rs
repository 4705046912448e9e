//! Errors of the report module. A bad line in a saved findings file is not an error of the
//! whole read: it is reported and counted by the reader (see [`crate::report::input`]); these
//! are the failures that stop one report.

use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ReportError {
    #[error("polars: {0}")]
    Polars(#[from] polars::prelude::PolarsError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing the report: {0}")]
    Write(#[from] std::io::Error),
    #[error("{path}: column `{column}` is missing; is this a file written by `denytrail analyze --format parquet|csv`?")]
    MissingColumn { path: PathBuf, column: String },
    #[error(
        "{path}: cannot tell the format of these findings from the extension; pass --input-format (jsonl, csv or parquet); --format is the report's"
    )]
    UnknownInputFormat { path: PathBuf },
    #[error("drawing the chart: {0}")]
    Chart(String),
    #[error("--timeline is written as table, json or jsonl, not {0:?}")]
    TimelineFormat(super::Format),
    #[error("reading back the report's rows from the temporary file: {0}")]
    Scratch(#[source] std::io::Error),
    #[error("encoding JSON: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T> = std::result::Result<T, ReportError>;
