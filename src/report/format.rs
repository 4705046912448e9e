//! Output formats and how a file name implies one.

use std::path::Path;

/// What a report is written as. `jsonl`, `csv` and `parquet` carry one row per finding
/// (FINDINGS.md columns) for other tools; the rest render the aggregated report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Terminal tables, 100 columns wide, coloured only on a terminal.
    Table,
    Markdown,
    /// One self-contained HTML file (no network needed to view it).
    Html,
    /// The aggregated report as one JSON document.
    Json,
    /// One finding per line (the FINDINGS.md contract).
    Jsonl,
    /// One finding per row; `also` as a JSON string.
    Csv,
    /// One finding per row; `also` as a JSON string.
    Parquet,
}

impl Format {
    /// From an output file's extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "txt" => Format::Table,
            "md" | "markdown" => Format::Markdown,
            "html" | "htm" => Format::Html,
            "json" => Format::Json,
            "jsonl" | "ndjson" => Format::Jsonl,
            "csv" => Format::Csv,
            "parquet" | "pq" => Format::Parquet,
            _ => return None,
        })
    }

    /// Binary formats are not written to a terminal.
    pub fn is_binary(self) -> bool {
        matches!(self, Format::Parquet)
    }

    /// Whether the format is per-finding rows rather than the aggregated report.
    pub fn is_rows(self) -> bool {
        matches!(self, Format::Jsonl | Format::Csv | Format::Parquet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_implies_format() {
        assert_eq!(Format::from_path(Path::new("w.HTML")), Some(Format::Html));
        assert_eq!(
            Format::from_path(Path::new("f.parquet")),
            Some(Format::Parquet)
        );
        assert_eq!(
            Format::from_path(Path::new("f.ndjson")),
            Some(Format::Jsonl)
        );
        assert_eq!(Format::from_path(Path::new("f")), None);
        assert_eq!(Format::from_path(Path::new("f.xlsx")), None);
    }
}
