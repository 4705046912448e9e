//! Denials per day, stacked by root cause, as an SVG drawn by plotters (its SVG backend
//! only: no fonts to load, text is left to the browser). Inlined in the HTML report, so the
//! file needs no network to view.

use super::super::err::{ReportError, Result};
use super::super::summary::DayCount;
use crate::findings::RootCause;
use plotters::prelude::*;
use std::collections::BTreeMap;

/// One colour per root cause, in `RootCause::ALL` order; the HTML legend uses the same.
pub const PALETTE: [(u8, u8, u8); 17] = [
    (214, 39, 40),   // explicit_deny
    (31, 119, 180),  // missing_allow
    (255, 127, 14),  // scp
    (148, 103, 189), // rcp
    (44, 160, 44),   // vpc_endpoint
    (174, 199, 232), // access_point
    (140, 86, 75),   // permissions_boundary
    (227, 119, 194), // session_policy
    (188, 189, 34),  // kms
    (23, 190, 207),  // object_ownership
    (255, 187, 120), // block_public_access
    (152, 223, 138), // requester_pays
    (219, 219, 141), // blocked_encryption_type
    (158, 218, 229), // object_lock
    (197, 176, 213), // object_not_found
    (196, 156, 148), // request_error
    (127, 127, 127), // unknown
];

/// The colour of a cause word (grey for anything unexpected).
pub fn colour_of(cause: &str) -> (u8, u8, u8) {
    RootCause::ALL
        .iter()
        .position(|c| c.as_str() == cause)
        .and_then(|i| PALETTE.get(i).copied())
        .unwrap_or((127, 127, 127))
}

/// The causes present in `daily`, in the chart's stacking order (bottom first).
pub fn legend_causes(daily: &[DayCount]) -> Vec<&'static str> {
    RootCause::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| daily.iter().any(|d| d.root_cause == *c))
        .collect()
}

fn err<E: std::fmt::Debug>(e: E) -> ReportError {
    ReportError::Chart(format!("{e:?}"))
}

/// Draws the stacked bar chart; an empty string when there is no day to draw. The legend is
/// left to the page ([`legend_causes`]), outside the plot, where it hides no bar.
///
/// plotters asserts on some ranges (it panicked here with `max_light_lines(0)`); a chart is
/// not worth a lost report, so a panic inside it becomes an error the caller can show.
pub fn daily_by_cause(daily: &[DayCount], width: u32, height: u32) -> Result<String> {
    std::panic::catch_unwind(|| draw(daily, width, height))
        .unwrap_or_else(|_| Err(ReportError::Chart("plotters panicked".into())))
}

fn draw(daily: &[DayCount], width: u32, height: u32) -> Result<String> {
    let mut days: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    for d in daily {
        *days
            .entry(d.day.as_str())
            .or_default()
            .entry(d.root_cause.as_str())
            .or_default() += d.count;
    }
    if days.is_empty() {
        return Ok(String::new());
    }
    let labels: Vec<&str> = days.keys().copied().collect();
    let max = days
        .values()
        .map(|c| c.values().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    // Causes present, in the fixed order so colours and stacking are stable across reports.
    let causes: Vec<&str> = RootCause::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| days.values().any(|m| m.contains_key(c)))
        .collect();
    let n = labels.len() as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(34)
            .y_label_area_size(52)
            // `into_segmented` adds a segment for the range's end: `0..n-1` gives n bars.
            .build_cartesian_2d(
                (0..n.saturating_sub(1).max(1)).into_segmented(),
                0u64..(max + max / 10 + 1),
            )
            .map_err(err)?;
        let label_of = |v: &SegmentValue<u32>| -> String {
            match v {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => labels
                    .get(*i as usize)
                    .map(|d| d.get(5..).unwrap_or(d).to_string())
                    .unwrap_or_default(),
                SegmentValue::Last => String::new(),
            }
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .x_labels(labels.len().min(31))
            .x_label_formatter(&label_of)
            .y_desc("denials")
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        let mut base: Vec<u64> = vec![0; labels.len()];
        for cause in &causes {
            let (r, g, b) = colour_of(cause);
            let colour = RGBColor(r, g, b);
            let mut bars = Vec::new();
            for (i, day) in labels.iter().enumerate() {
                let v = days
                    .get(day)
                    .and_then(|m| m.get(cause))
                    .copied()
                    .unwrap_or(0);
                if v == 0 {
                    continue;
                }
                let Some(b0) = base.get_mut(i) else { continue };
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i as u32), *b0),
                        (SegmentValue::Exact(i as u32 + 1), *b0 + v),
                    ],
                    colour.filled(),
                );
                bar.set_margin(0, 0, 6, 6);
                bars.push(bar);
                *b0 += v;
            }
            chart.draw_series(bars).map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new root cause needs its own colour: without one it would draw grey, like noise.
    #[test]
    fn every_cause_has_a_colour() {
        assert_eq!(PALETTE.len(), RootCause::ALL.len());
    }

    #[test]
    fn draws_one_bar_per_day_and_cause() {
        let daily = vec![
            DayCount {
                day: "2026-11-10".into(),
                root_cause: "scp".into(),
                count: 3,
            },
            DayCount {
                day: "2026-11-10".into(),
                root_cause: "kms".into(),
                count: 1,
            },
            DayCount {
                day: "2026-11-11".into(),
                root_cause: "scp".into(),
                count: 2,
            },
        ];
        let svg = daily_by_cause(&daily, 800, 300).unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        // Labels are the days without the year.
        assert!(svg.contains("\n11-10\n</text>"), "{svg}");
        assert!(svg.contains("\n11-11\n</text>"), "{svg}");
        // Three bars: scp twice (orange), kms once (olive).
        assert_eq!(svg.matches(r##"fill="#FF7F0E""##).count(), 2, "{svg}");
        assert_eq!(svg.matches(r##"fill="#BCBD22""##).count(), 1, "{svg}");
        assert_eq!(daily_by_cause(&[], 800, 300).unwrap(), "");
    }

    #[test]
    fn one_day_many_days_and_big_counts_draw() {
        let one = vec![DayCount {
            day: "2026-11-10".into(),
            root_cause: "scp".into(),
            count: 1,
        }];
        assert!(daily_by_cause(&one, 800, 300).unwrap().contains("11-10"));
        let many: Vec<DayCount> = (0..90)
            .map(|i| DayCount {
                day: format!("2026-{:02}-{:02}", 1 + i / 28, 1 + i % 28),
                root_cause: "missing_allow".into(),
                count: 1_000_000 + i,
            })
            .collect();
        let svg = daily_by_cause(&many, 800, 300).unwrap();
        assert_eq!(svg.matches(r##"fill="#1F77B4""##).count(), 90);
    }
}
