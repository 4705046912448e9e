//! The scan's own account of its input, printed above the report's table by
//! `analyze --format table`: what was read, and what was skipped and why (the kept events by
//! account, bucket, principal and action are the report's job). Fits 100 columns.

use super::stats::ScanStats;
use crate::input::Skip;
use std::fmt::Write;

/// The width the summary fits in.
pub const WIDTH: usize = 100;

/// Renders the input summary; every line is at most [`WIDTH`] characters.
pub fn render(stats: &ScanStats) -> String {
    let mut s = String::new();
    let mb = |b: u64| b as f64 / 1e6;
    let _ = writeln!(
        s,
        "Read {} objects ({:.1} MB stored, {:.1} MB of JSON), {} records; kept {} S3 403 events.",
        stats.objects,
        mb(stats.bytes_in),
        mb(stats.bytes_out),
        stats.records,
        stats.kept
    );
    let skipped: Vec<(Skip, u64, &str)> = stats
        .objects_skipped
        .iter()
        .map(|(k, n)| (k, n, "objects"))
        .chain(stats.records_skipped.iter().map(|(k, n)| (k, n, "records")))
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(s, "Skipped:");
        for (kind, n, unit) in skipped {
            let note = if kind.is_intentional() {
                ""
            } else {
                "  input lost, see stderr"
            };
            let row = format!("  {:<18} {:>12} {:<8}{}", kind.as_str(), n, unit, note);
            let _ = writeln!(s, "{}", row.trim_end());
        }
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_100_columns_and_names_every_kind() {
        let mut stats = ScanStats {
            objects: 12,
            records: u64::MAX / 2,
            kept: 30,
            ..Default::default()
        };
        stats.objects_skipped.add(Skip::TruncatedGzip, 2);
        stats.records_skipped.add(Skip::NotS3, u64::MAX / 4);
        let out = render(&stats);
        for line in out.lines() {
            assert!(
                line.chars().count() <= WIDTH,
                "{} chars: {line}",
                line.chars().count()
            );
        }
        assert!(out.contains("Read 12 objects"), "{out}");
        let row = out
            .lines()
            .find(|l| l.contains("truncated_gzip"))
            .unwrap_or("");
        assert_eq!(
            row.split_whitespace().collect::<Vec<_>>(),
            [
                "truncated_gzip",
                "2",
                "objects",
                "input",
                "lost,",
                "see",
                "stderr"
            ],
            "{out}"
        );
        assert!(
            out.lines().any(|l| l.trim_start().starts_with("not_s3")),
            "{out}"
        );
    }
}
