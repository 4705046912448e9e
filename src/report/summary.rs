//! The weekly report as data: headline numbers, the top groups of each dimension for the
//! organization's own workloads, the folded noise, denials per day by cause, and the
//! comparison with the previous period. Every number comes from polars queries over the
//! findings frames ([`super::aggregate`]), folded a chunk at a time into mergeable partial
//! aggregates so that memory follows the number of groups, not of findings
//! ([`summarize_batches`]); the renderers (table, markdown, html, json) only format this
//! struct, so they cannot disagree with each other.

use super::aggregate::{
    class_filter, collect_all, out, Aggregates, Dimension, FixTexts, Queries, Slot,
};
use super::batches::FrameBatches;
use super::err::Result;
use super::frame::{col_name as c, FOLDED_CLASSES, LEAD_CLASSES};
use crate::findings::RootCause;
use chrono::{DateTime, Duration, TimeZone, Utc};
use polars::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// What to put in the report.
#[derive(Debug, Clone)]
pub struct SummaryOptions {
    /// Rows per top-N table.
    pub top: usize,
    /// Events listed under each expandable group.
    pub events_per_group: usize,
    /// The report period `[since, until)`; `None` ends are taken from the data.
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Compare with the period of the same length just before.
    pub compare_previous: bool,
    /// What the suppression rules kept out ([`super::suppress`]), shown with the headline.
    pub suppressed: Vec<super::suppress::Suppressed>,
    /// The scan's account (`analyze`), carried by the json report.
    pub scan: Option<serde_json::Value>,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions {
            top: 10,
            events_per_group: 20,
            since: None,
            until: None,
            compare_previous: false,
            suppressed: Vec::new(),
            scan: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Period {
    /// Inclusive start, RFC 3339 (null when the data has no timed event).
    pub from: Option<String>,
    /// Exclusive end.
    pub to: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Headline {
    /// Findings in the period (all caller classes).
    pub total: u64,
    /// Of which own workloads (same account, organization) and unclassified callers.
    pub own: u64,
    /// Of which folded as noise (anonymous, AWS services, external accounts).
    pub folded: u64,
    pub own_distinct_principals: u64,
    pub own_buckets: u64,
    /// Findings whose verdict disagrees with AWS's own error message (snapshot drift).
    pub disagrees_with_aws: u64,
    /// Findings whose cause is `unknown`.
    pub unknown_cause: u64,
    /// Findings without a readable `event_time` (counted in no day, outside any period).
    pub without_time: u64,
}

/// One row of a top-N table, with the events behind it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Group {
    /// The dimension's key values (null shown as "(none)").
    pub keys: Vec<Option<String>>,
    pub count: u64,
    pub distinct_principals: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub sample_ids: Vec<String>,
    /// The most common remediation among the group's findings.
    pub top_fix: Option<String>,
    pub top_fix_count: Option<u64>,
    /// The group's earliest events (at most `events_per_group`), for drill-down.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventRow>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EventRow {
    pub event_id: String,
    pub event_time: Option<String>,
    pub principal_arn: Option<String>,
    pub action: Option<String>,
    pub resource_arn: Option<String>,
    pub source_ip: Option<String>,
    pub root_cause: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Section {
    pub dimension: String,
    pub columns: Vec<String>,
    pub groups: Vec<Group>,
}

/// Noise of one caller class, folded to a line with its top causes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Folded {
    pub caller_class: String,
    pub count: u64,
    pub distinct_principals: u64,
    pub top_causes: Vec<Group>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DayCount {
    pub day: String,
    pub root_cause: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CauseChange {
    pub root_cause: String,
    pub now: u64,
    pub before: u64,
}

/// This period against the one of the same length before it (own workloads).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Comparison {
    pub previous: Period,
    pub now: u64,
    pub before: u64,
    /// `(now - before) / before` in percent; null when there was nothing before.
    pub growth_pct: Option<f64>,
    /// Principals denied now and not in the previous period, with their counts.
    pub new_principals: Vec<(String, u64)>,
    /// Causes seen now and not in the previous period.
    pub new_causes: Vec<String>,
    pub causes: Vec<CauseChange>,
    /// Why the two periods are not alike (the findings read start inside or after the
    /// previous one); `growth_pct` is then null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub period: Period,
    pub headline: Headline,
    /// Counts per caller class (all classes).
    pub by_class: Vec<Group>,
    /// Own workloads: root cause, principal, role, bucket, action, source IP, VPC endpoint,
    /// account, day.
    pub sections: Vec<Section>,
    pub folded: Vec<Folded>,
    /// Own workloads per day and cause (the stacked chart), days ascending.
    pub daily: Vec<DayCount>,
    pub comparison: Option<Comparison>,
    /// Changes that caused denials and drift outside the snapshots (runs that replayed the
    /// trail's change events; absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_travel: Option<super::changes::TimeTravel>,
    /// Findings kept out by suppression rules, per rule (never dropped silently).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<super::suppress::Suppressed>,
    /// What the scan read, kept and skipped (`analyze`; absent from `report`, which reads
    /// saved findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan: Option<serde_json::Value>,
}

/// The report's sections, in order: every dimension but the last two of [`Dimension::ALL`]
/// (day × cause feeds the chart, caller class the headline).
const SECTION_DIMENSIONS: &[Dimension] = Dimension::ALL.split_at(Dimension::ALL.len() - 2).0;

fn ms_to_rfc3339(ms: i64) -> Option<String> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// The first midnight (UTC) strictly after `t`.
fn next_midnight(t: DateTime<Utc>) -> DateTime<Utc> {
    let day = t.date_naive() + Duration::days(1);
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// The midnight (UTC) that starts `t`'s day.
fn midnight_at_or_before(t: DateTime<Utc>) -> DateTime<Utc> {
    t.date_naive().and_time(chrono::NaiveTime::MIN).and_utc()
}

/// `t` when it is a midnight (UTC), else the next one.
fn midnight_at_or_after(t: DateTime<Utc>) -> DateTime<Utc> {
    if midnight_at_or_before(t) == t {
        t
    } else {
        next_midnight(t)
    }
}

/// How [`coverage_note`] ends when one of the periods holds no finding at all.
const NOT_COMPARED: &str = "not compared";

/// What a comparison cannot tell from its numbers: the findings read (`first`, the earliest
/// timed one) start after the previous period begins, so its count covers part of it or none
/// of it (no logs were read for those days, or they held no denial: the findings cannot say
/// which).
fn coverage_note(
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    (pfrom, pto): (DateTime<Utc>, DateTime<Utc>),
    to: Option<DateTime<Utc>>,
) -> Option<String> {
    let (first, last) = span?;
    let day = |t: DateTime<Utc>| t.format("%Y-%m-%d").to_string();
    if last < pto {
        // Both periods after the newest finding: nothing to compare either way.
        return Some(format!(
            "the findings read end on {}, before this period{}: nothing was read for it (no logs, or no denials); {NOT_COMPARED}",
            day(last),
            to.map(|t| format!(" ({} → {})", day(pto), day(t)))
                .unwrap_or_default()
        ));
    }
    if first <= pfrom {
        return None;
    }
    let days = |a: DateTime<Utc>, b: DateTime<Utc>| (b - a).num_days().max(0);
    Some(if first >= pto {
        // Nothing at all before: the comparison would only say "everything is new".
        format!(
            "the findings read start on {}, after the previous period: nothing was read for it (no logs, or no denials); {NOT_COMPARED}",
            day(first)
        )
    } else {
        let covered = days(midnight_at_or_before(first), pto);
        format!(
            "the findings read start on {}: {covered} of the previous period's {} days hold findings (the days before: no logs read, or no denials)",
            day(first),
            days(pfrom, pto)
        )
    })
}

/// The findings with `ts` in `[from, to)`, as a query.
fn window_query(frame: &DataFrame, from: DateTime<Utc>, to: DateTime<Utc>) -> LazyFrame {
    frame.clone().lazy().filter(
        col(c::TS)
            .gt_eq(super::frame::ts_lit(from))
            .and(col(c::TS).lt(super::frame::ts_lit(to))),
    )
}

/// Reads a `groups` frame into rows.
pub fn read_groups(df: &DataFrame, dim: Dimension) -> Result<Vec<Group>> {
    let mut groups = Vec::with_capacity(df.height());
    if df.height() == 0 {
        return Ok(groups);
    }
    let keys: Vec<&StringChunked> = dim
        .keys()
        .iter()
        .map(|k| df.column(k).and_then(|c| c.str()))
        .collect::<PolarsResult<_>>()?;
    let count = df.column(out::COUNT)?.u64()?;
    let distinct = df.column(out::DISTINCT_PRINCIPALS)?.u64()?;
    let first = df.column(out::FIRST_SEEN)?.cast(&DataType::Int64)?;
    let first = first.i64()?;
    let last = df.column(out::LAST_SEEN)?.cast(&DataType::Int64)?;
    let last = last.i64()?;
    let samples = df.column(out::SAMPLE_IDS)?.list()?;
    let fix = df.column(out::TOP_FIX)?.str()?;
    let fix_count = df.column(out::TOP_FIX_COUNT)?.u64()?;
    for i in 0..df.height() {
        let sample_ids = match samples.get_as_series(i) {
            Some(s) => s.str()?.iter().flatten().map(str::to_string).collect(),
            None => Vec::new(),
        };
        groups.push(Group {
            keys: keys.iter().map(|k| k.get(i).map(str::to_string)).collect(),
            count: count.get(i).unwrap_or(0),
            distinct_principals: distinct.get(i).unwrap_or(0),
            first_seen: first.get(i).and_then(ms_to_rfc3339),
            last_seen: last.get(i).and_then(ms_to_rfc3339),
            sample_ids,
            top_fix: fix.get(i).map(str::to_string),
            top_fix_count: fix_count.get(i).filter(|n| *n > 0),
            events: Vec::new(),
        });
    }
    Ok(groups)
}

/// The columns of a drill-down event row, in [`EventRow`]'s order.
const EVENT_COLS: [&str; 8] = [
    c::EVENT_ID,
    c::EVENT_TIME,
    c::PRINCIPAL_ARN,
    c::ACTION,
    c::RESOURCE_ARN,
    c::SOURCE_IP,
    c::ROOT_CAUSE,
    c::REASON,
];

/// The own-workload findings in time order (then event id), sorted once for every
/// dimension's drill-down.
fn lead_in_time_order(current: LazyFrame) -> LazyFrame {
    current.filter(class_filter(&LEAD_CLASSES)).sort_by_exprs(
        [col(c::TS), col(c::EVENT_ID)],
        SortMultipleOptions::default()
            .with_nulls_last(true)
            .with_maintain_order(true),
    )
}

/// The drill-down's `ts` list, beside the [`EVENT_COLS`] ones.
const EV_TS: &str = "ev_ts";

/// The earliest `limit` events of every group of `dim`: one group-by over the time-ordered
/// frame (polars keeps the rows' order within a group), each group cut to `limit`.
fn events_query(in_time_order: &DataFrame, dim: Dimension, limit: usize) -> LazyFrame {
    let aggs: Vec<Expr> = EVENT_COLS
        .iter()
        // Prefixed: a key column (root_cause, principal_arn) is also listed.
        .map(|name| col(*name).head(Some(limit)).alias(format!("ev_{name}")))
        .chain([col(c::TS)
            .cast(DataType::Int64)
            .head(Some(limit))
            .alias(EV_TS)])
        .collect();
    in_time_order
        .clone()
        .lazy()
        .group_by(dim.keys().iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg(aggs)
}

/// A shown group's drill-down so far: its earliest events with their `ts` (ms), in time
/// order, then event id, then the order the findings came in.
type Drill = Vec<(Option<i64>, EventRow)>;

/// Adds the events of one chunk's [`events_query`] result to the groups shown (`shown`: a
/// group's keys → its place in `drills`). Only the groups shown are read out of polars: a
/// dimension such as the source IP has thousands of groups. Each chunk's earliest `limit`
/// per group, merged in chunk order and cut to `limit` again, are the earliest `limit` of
/// the whole: the sort is stable and the chunks come in the findings' order.
fn add_events(
    df: &DataFrame,
    dim: Dimension,
    shown: &HashMap<Vec<Option<&str>>, usize>,
    drills: &mut [Drill],
    limit: usize,
) -> Result<()> {
    let keys: Vec<&StringChunked> = dim
        .keys()
        .iter()
        .map(|k| df.column(k).and_then(|c| c.str()))
        .collect::<PolarsResult<_>>()?;
    let lists: Vec<&ListChunked> = EVENT_COLS
        .iter()
        .map(|name| df.column(&format!("ev_{name}")).and_then(|c| c.list()))
        .collect::<PolarsResult<_>>()?;
    let ts_list = df.column(EV_TS)?.list()?;
    for row in 0..df.height() {
        let key: Vec<Option<&str>> = keys.iter().map(|k| k.get(row)).collect();
        let Some(drill) = shown.get(&key).and_then(|&at| drills.get_mut(at)) else {
            continue;
        };
        let mut cols: Vec<Vec<Option<String>>> = Vec::with_capacity(EVENT_COLS.len());
        for list in &lists {
            let values = match list.get_as_series(row) {
                Some(s) => s.str()?.iter().map(|v| v.map(str::to_string)).collect(),
                None => Vec::new(),
            };
            cols.push(values);
        }
        let ts: Vec<Option<i64>> = match ts_list.get_as_series(row) {
            Some(s) => s.i64()?.iter().collect(),
            None => Vec::new(),
        };
        let at_col = |c: usize, i: usize| cols.get(c).and_then(|v| v.get(i)).cloned().flatten();
        drill.extend((0..ts.len()).map(|i| {
            let event = EventRow {
                event_id: at_col(0, i).unwrap_or_default(),
                event_time: at_col(1, i),
                principal_arn: at_col(2, i),
                action: at_col(3, i),
                resource_arn: at_col(4, i),
                source_ip: at_col(5, i),
                root_cause: at_col(6, i),
                reason: at_col(7, i),
            };
            (ts.get(i).copied().flatten(), event)
        }));
        // Stable: equal times and ids keep the order the findings came in.
        drill.sort_by(|(ta, a), (tb, b)| {
            let by_time = match (ta, tb) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            by_time.then_with(|| a.event_id.cmp(&b.event_id))
        });
        drill.truncate(limit);
    }
    Ok(())
}

fn sum_counts(groups: &[Group]) -> u64 {
    groups.iter().map(|g| g.count).sum()
}

/// The report period `[from, to)`: explicit ends win; otherwise the data's span, except that
/// a comparison without `--since` means "the last week of the data against the week before".
fn period(
    opts: &SummaryOptions,
    data_span: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    match (opts.since, opts.until, data_span) {
        (Some(s), Some(u), _) => (Some(s), Some(u)),
        // Never an end before the start: a --since after the newest finding is a period
        // that holds none (not one that ends before it begins).
        (Some(s), None, span) => (
            Some(s),
            span.map(|(_, b)| (b + Duration::milliseconds(1)).max(s)),
        ),
        (None, u, Some((a, b))) => {
            if opts.compare_previous {
                // Whole UTC days: the week ending at midnight after the newest event.
                let to = u.unwrap_or_else(|| next_midnight(b));
                (Some(to - Duration::days(7)), Some(to))
            } else {
                (Some(a), Some(u.unwrap_or(b + Duration::milliseconds(1))))
            }
        }
        (None, u, None) => (None, u),
    }
}

/// The dimensions the comparison with the previous period needs.
const BEFORE_DIMS: [Dimension; 2] = [Dimension::RootCause, Dimension::Principal];

/// Where the findings of a chunk fall: the report's period, and the previous one when
/// compared.
#[derive(Debug, Clone, Copy)]
struct Windows {
    /// `None`: no timed finding at all, and the report is over every (untimed) finding.
    current: Option<(DateTime<Utc>, DateTime<Utc>)>,
    previous: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Windows {
    fn current(&self, chunk: &DataFrame) -> LazyFrame {
        match self.current {
            Some((a, b)) => window_query(chunk, a, b),
            None => chunk.clone().lazy(),
        }
    }
}

/// Everything the report counts, folded chunk by chunk: partial aggregates (merged exactly,
/// see [`Aggregates::merge`]), the distinct own principals and buckets, and plain sums. Its
/// size follows the number of groups, not of findings.
#[derive(Default)]
struct Totals {
    fixes: FixTexts,
    now: Option<Aggregates>,
    before: Option<Aggregates>,
    own_principals: HashSet<String>,
    own_buckets: HashSet<String>,
    disagrees_with_aws: u64,
    unknown_cause: u64,
    /// The own findings in time order, kept when the report is one chunk: its drill-down then
    /// needs no second pass ([`DrillDown`]).
    in_time_order: Option<DataFrame>,
}

impl Totals {
    /// Folds one chunk in (`keep_order`: it is the only one, and its time-ordered own
    /// findings are kept for the drill-down).
    fn add(&mut self, chunk: DataFrame, w: &Windows, keep_order: bool) -> Result<()> {
        let chunk = &self.fixes.number(chunk)?;
        let current = w.current(chunk);
        let mut queries = Queries::default();
        let now_slots = queries.push_all(Aggregates::partial_queries(
            current.clone(),
            &Dimension::ALL,
        ));
        let before_slots = w.previous.map(|(a, b)| {
            queries.push_all(Aggregates::partial_queries(
                window_query(chunk, a, b),
                &BEFORE_DIMS,
            ))
        });
        let own = current.clone().filter(class_filter(&LEAD_CLASSES));
        let distinct = [c::PRINCIPAL_ARN, c::BUCKET]
            .map(|name| queries.push(own.clone().select([col(name).drop_nulls().unique()])));
        let sums = queries.push(
            current.clone().select([
                col(c::DISAGREES_WITH_AWS)
                    .eq(lit(true))
                    .sum()
                    .cast(DataType::UInt64)
                    .alias("d"),
                col(c::ROOT_CAUSE)
                    .eq(lit(RootCause::Unknown.as_str()))
                    .sum()
                    .cast(DataType::UInt64)
                    .alias("u"),
            ]),
        );
        let in_time_order = keep_order.then(|| queries.push(lead_in_time_order(current)));
        let mut answers = queries.run()?;
        let now = Aggregates::from_partials(&Dimension::ALL, answers.take_all(&now_slots)?)?;
        self.now = Some(match self.now.take() {
            Some(sofar) => sofar.merge(now)?,
            None => now,
        });
        if let Some(slots) = before_slots {
            let before = Aggregates::from_partials(&BEFORE_DIMS, answers.take_all(&slots)?)?;
            self.before = Some(match self.before.take() {
                Some(sofar) => sofar.merge(before)?,
                None => before,
            });
        }
        for (slot, name, set) in [
            (distinct[0], c::PRINCIPAL_ARN, &mut self.own_principals),
            (distinct[1], c::BUCKET, &mut self.own_buckets),
        ] {
            let df = answers.take(slot)?;
            set.extend(df.column(name)?.str()?.iter().flatten().map(str::to_string));
        }
        let sums = answers.take(sums)?;
        let first_u64 =
            |name: &str| -> Result<u64> { Ok(sums.column(name)?.u64()?.get(0).unwrap_or(0)) };
        self.disagrees_with_aws += first_u64("d")?;
        self.unknown_cause += first_u64("u")?;
        if let Some(slot) = in_time_order {
            self.in_time_order = Some(answers.take(slot)?);
        }
        Ok(())
    }
}

/// Builds the report over a findings frame ([`super::frame::findings_frame`]).
pub fn summarize(frame: &DataFrame, opts: &SummaryOptions) -> Result<Summary> {
    summarize_batches(&FrameBatches::of(frame.clone())?, opts)
}

/// Builds the report over findings frames gathered in batches, a chunk at a time: one pass
/// folds every chunk into [`Totals`], the report's tables are read from those, and (when there
/// is more than one chunk) a second pass fills the drill-down of the groups shown. Same result
/// as [`summarize`] over the batches stacked, in memory bounded by the chunk size and the
/// number of groups.
pub fn summarize_batches(batches: &FrameBatches, opts: &SummaryOptions) -> Result<Summary> {
    let (from, to) = period(opts, batches.span());
    // Compared periods are whole UTC days, so like is compared with like (a period that
    // starts at 14:26 would be set against one that ends at 14:26).
    let (from, to) = if opts.compare_previous {
        (
            from.map(midnight_at_or_before),
            to.map(midnight_at_or_after),
        )
    } else {
        (from, to)
    };
    let windows = Windows {
        current: from.zip(to),
        previous: match (opts.compare_previous, from, to) {
            (true, Some(a), Some(b)) => Some((a - (b - a), a)),
            _ => None,
        },
    };
    let mut totals = Totals::default();
    // One chunk (the usual size of a weekly report): its time order is taken with the
    // partials and its drill-down read with the groups, with no second pass.
    let one_chunk = batches.rows() <= batches.chunk_rows();
    let keep_order = opts.events_per_group > 0 && one_chunk;
    for chunk in batches.chunks() {
        totals.add(chunk?, &windows, keep_order)?;
        if !one_chunk {
            // Between chunks, the pages a chunk's queries freed go back to the OS.
            crate::memory::release_freed_memory();
        }
    }
    if totals.now.is_none() {
        totals.add(super::frame::findings_frame(&[])?, &windows, keep_order)?;
    }
    let Some(agg) = totals.now.take() else {
        return Err(PolarsError::NoData("the report's aggregates".into()).into());
    };
    let agg = agg.with_fix_texts(std::mem::take(&mut totals.fixes))?;
    let lead = Some(&LEAD_CLASSES[..]);

    // Every query over the aggregates, run as one batch; each answer read by its slot.
    let mut queries = Queries::default();
    let by_class = queries.push(agg.groups_query(Dimension::CallerClass, None, None));
    let section_slots = queries.push_all(SECTION_DIMENSIONS.iter().map(|&dim| {
        // The root causes are never cut by --top: there are fewer than twenty, and the one
        // left out would be the one nobody looks for.
        let top = (dim != Dimension::RootCause).then_some(opts.top);
        agg.groups_query(dim, lead, top)
    }));
    let drill_slots = totals
        .in_time_order
        .as_ref()
        .map(|sorted| queries.push_all(DrillDown::queries(sorted, opts.events_per_group)));
    let folded_slots: Vec<Slot> = FOLDED_CLASSES
        .iter()
        .map(|&class| queries.push(agg.groups_query(Dimension::RootCause, Some(&[class]), Some(3))))
        .collect();
    let daily_slot = queries.push(agg.groups_query(Dimension::DayCause, lead, None));
    let comparison_slots = totals
        .before
        .as_ref()
        .map(|before| comparison_queries(&agg, before).map(|q| queries.push(q)));
    let mut answers = queries.run()?;

    let by_class = read_groups(&answers.take(by_class)?, Dimension::CallerClass)?;
    let total = sum_counts(&by_class);
    let own = by_class
        .iter()
        .filter(|g| {
            let class = g.keys.first().cloned().flatten();
            LEAD_CLASSES
                .iter()
                .any(|l| Some(l.as_str()) == class.as_deref())
        })
        .map(|g| g.count)
        .sum();

    let mut section_groups = Vec::with_capacity(SECTION_DIMENSIONS.len());
    for (&dim, &slot) in SECTION_DIMENSIONS.iter().zip(&section_slots) {
        section_groups.push(read_groups(&answers.take(slot)?, dim)?);
    }
    if let Some(slots) = drill_slots {
        let mut drill = DrillDown::new(&section_groups, opts.events_per_group);
        drill.add(answers.take_all(&slots)?)?;
        let events = drill.into_events();
        attach_events(&mut section_groups, events);
    } else if opts.events_per_group > 0 {
        drill_down_in_chunks(
            batches,
            &windows,
            opts.events_per_group,
            &mut section_groups,
        )?;
    }
    let mut sections = Vec::new();
    for (&dim, mut groups) in SECTION_DIMENSIONS.iter().zip(section_groups) {
        // A VPC endpoint or source IP table of "(none)" alone says nothing.
        if matches!(dim, Dimension::VpcEndpoint) {
            groups.retain(|g| g.keys.iter().all(Option::is_some));
        }
        sections.push(Section {
            dimension: dim.title().to_string(),
            columns: dim.keys().iter().map(|k| k.to_string()).collect(),
            groups,
        });
    }

    let mut folded = Vec::new();
    for (class, slot) in FOLDED_CLASSES.into_iter().zip(folded_slots) {
        let top_causes = read_groups(&answers.take(slot)?, Dimension::RootCause)?;
        let Some(g) = by_class
            .iter()
            .find(|g| g.keys.first().cloned().flatten().as_deref() == Some(class.as_str()))
        else {
            continue;
        };
        folded.push(Folded {
            caller_class: class.as_str().to_string(),
            count: g.count,
            distinct_principals: g.distinct_principals,
            top_causes,
        });
    }

    let mut daily: Vec<DayCount> = read_groups(&answers.take(daily_slot)?, Dimension::DayCause)?
        .into_iter()
        .filter_map(|g| {
            let mut k = g.keys.into_iter();
            let day = k.next().flatten()?;
            let cause = k.next().flatten().unwrap_or_else(|| "unknown".into());
            Some(DayCount {
                day,
                root_cause: cause,
                count: g.count,
            })
        })
        .collect();
    daily.sort_by(|a, b| (&a.day, &a.root_cause).cmp(&(&b.day, &b.root_cause)));

    let comparison = match (windows.previous, comparison_slots) {
        (Some(period), Some(slots)) => {
            let [a, b, c, d] = slots.map(|s| answers.take(s));
            let mut c = compare(period, [a?, b?, c?, d?])?;
            c.note = coverage_note(batches.span(), period, to);
            if c.note.as_deref().is_some_and(|n| n.ends_with(NOT_COMPARED)) {
                // Nothing read for one of the periods: no growth, and nothing is "new"
                // against a period not read.
                c.growth_pct = None;
                c.new_principals.clear();
                c.new_causes.clear();
            }
            Some(c)
        }
        _ => None,
    };

    Ok(Summary {
        period: Period {
            from: from.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            to: to.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        },
        headline: Headline {
            total,
            own,
            folded: total - own,
            own_distinct_principals: totals.own_principals.len() as u64,
            own_buckets: totals.own_buckets.len() as u64,
            disagrees_with_aws: totals.disagrees_with_aws,
            unknown_cause: totals.unknown_cause,
            without_time: batches.without_time(),
        },
        by_class,
        sections,
        folded,
        daily,
        comparison,
        time_travel: None,
        suppressed: opts.suppressed.clone(),
        scan: opts.scan.clone(),
    })
}

/// The drill-down of the groups shown (`sections`, in [`SECTION_DIMENSIONS`] order): their
/// earliest own-workload events in the period, gathered from one chunk's [`events_query`]
/// results at a time. It holds only the groups shown.
struct DrillDown<'g> {
    /// Per section: a shown group's keys → its place.
    shown: Vec<HashMap<Vec<Option<&'g str>>, usize>>,
    drills: Vec<Vec<Drill>>,
    limit: usize,
}

impl<'g> DrillDown<'g> {
    fn new(sections: &'g [Vec<Group>], limit: usize) -> Self {
        DrillDown {
            shown: sections
                .iter()
                .map(|groups| {
                    groups
                        .iter()
                        .enumerate()
                        .map(|(i, g)| (g.keys.iter().map(Option::as_deref).collect(), i))
                        .collect()
                })
                .collect(),
            drills: sections
                .iter()
                .map(|groups| vec![Drill::new(); groups.len()])
                .collect(),
            limit,
        }
    }

    /// The queries over one chunk's time-ordered own findings ([`lead_in_time_order`]) whose
    /// results [`DrillDown::add`] takes, in the same order.
    fn queries(sorted: &DataFrame, limit: usize) -> impl Iterator<Item = LazyFrame> + '_ {
        SECTION_DIMENSIONS
            .iter()
            .map(move |&dim| events_query(sorted, dim, limit))
    }

    fn add(&mut self, results: impl IntoIterator<Item = DataFrame>) -> Result<()> {
        for (((&dim, df), shown), drills) in SECTION_DIMENSIONS
            .iter()
            .zip(results)
            .zip(&self.shown)
            .zip(self.drills.iter_mut())
        {
            add_events(&df, dim, shown, drills, self.limit)?;
        }
        Ok(())
    }

    /// Each shown group's events, per section.
    fn into_events(self) -> Vec<Vec<Vec<EventRow>>> {
        self.drills
            .into_iter()
            .map(|drills| {
                drills
                    .into_iter()
                    .map(|drill| drill.into_iter().map(|(_, e)| e).collect())
                    .collect()
            })
            .collect()
    }
}

/// Fills the drill-down of the groups shown when the findings came in several chunks: a
/// second pass over them, after the groups are known.
fn drill_down_in_chunks(
    batches: &FrameBatches,
    windows: &Windows,
    limit: usize,
    sections: &mut [Vec<Group>],
) -> Result<()> {
    let mut drill = DrillDown::new(sections, limit);
    for chunk in batches.chunks() {
        let sorted = lead_in_time_order(windows.current(&chunk?)).collect()?;
        drill.add(collect_all(DrillDown::queries(&sorted, limit).collect())?)?;
    }
    attach_events(sections, drill.into_events());
    Ok(())
}

fn attach_events(sections: &mut [Vec<Group>], events: Vec<Vec<Vec<EventRow>>>) {
    for (groups, events) in sections.iter_mut().zip(events) {
        for (g, events) in groups.iter_mut().zip(events) {
            g.events = events;
        }
    }
}

/// Reads a [`Aggregates::counts_query`] result of a one-key dimension: (key, count) rows.
fn read_counts(df: &DataFrame, dim: Dimension) -> Result<Vec<(Option<String>, u64)>> {
    let Some(key) = dim.keys().first().filter(|_| df.height() > 0) else {
        return Ok(Vec::new());
    };
    let keys = df.column(key)?.str()?;
    let counts = df.column(out::COUNT)?.u64()?;
    Ok(keys
        .iter()
        .zip(counts.iter())
        .map(|(k, n)| (k.map(str::to_string), n.unwrap_or(0)))
        .collect())
}

/// The four queries [`compare`] reads: causes now and before, principals now and before.
fn comparison_queries(now: &Aggregates, before: &Aggregates) -> [LazyFrame; 4] {
    let lead = Some(&LEAD_CLASSES[..]);
    [
        now.counts_query(Dimension::RootCause, lead),
        before.counts_query(Dimension::RootCause, lead),
        now.counts_query(Dimension::Principal, lead),
        before.counts_query(Dimension::Principal, lead),
    ]
}

/// This period against the previous one, from the results of [`comparison_queries`].
fn compare(
    (pfrom, pto): (DateTime<Utc>, DateTime<Utc>),
    [causes_now, causes_before, principals_now, principals_before]: [DataFrame; 4],
) -> Result<Comparison> {
    let causes_now = read_counts(&causes_now, Dimension::RootCause)?;
    let causes_before = read_counts(&causes_before, Dimension::RootCause)?;
    let principals_now = read_counts(&principals_now, Dimension::Principal)?;
    let principals_before: BTreeSet<Option<String>> =
        read_counts(&principals_before, Dimension::Principal)?
            .into_iter()
            .map(|(k, _)| k)
            .collect();

    let before_by_cause: BTreeMap<Option<String>, u64> = causes_before.iter().cloned().collect();
    let mut names: BTreeSet<Option<String>> = before_by_cause.keys().cloned().collect();
    names.extend(causes_now.iter().map(|(k, _)| k.clone()));
    let now_by_cause: BTreeMap<Option<String>, u64> = causes_now.iter().cloned().collect();
    let mut causes: Vec<CauseChange> = names
        .into_iter()
        .map(|n| CauseChange {
            now: now_by_cause.get(&n).copied().unwrap_or(0),
            before: before_by_cause.get(&n).copied().unwrap_or(0),
            root_cause: n.unwrap_or_else(|| "unknown".into()),
        })
        .collect();
    causes.sort_by(|a, b| b.now.cmp(&a.now).then(a.root_cause.cmp(&b.root_cause)));
    let now_total: u64 = causes_now.iter().map(|(_, n)| n).sum();
    let before_total: u64 = causes_before.iter().map(|(_, n)| n).sum();
    Ok(Comparison {
        previous: Period {
            from: Some(pfrom.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            to: Some(pto.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        },
        now: now_total,
        before: before_total,
        growth_pct: (before_total > 0)
            .then(|| (now_total as f64 - before_total as f64) * 100.0 / before_total as f64),
        new_principals: principals_now
            .into_iter()
            .filter(|(k, _)| !principals_before.contains(k))
            .filter_map(|(k, n)| k.map(|k| (k, n)))
            .collect(),
        new_causes: causes
            .iter()
            .filter(|c| c.before == 0 && c.now > 0)
            .map(|c| c.root_cause.clone())
            .collect(),
        causes,
        note: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::CallerClass;
    use crate::findings::Finding;
    use crate::report::frame::findings_frame;

    fn f(id: &str, day: u32, who: &str, cause: RootCause, class: CallerClass) -> Finding {
        Finding {
            event_id: id.into(),
            event_time: Some(format!("2026-11-{day:02}T12:00:00Z")),
            principal_arn: Some(format!("arn:aws:iam::111122223333:user/{who}")),
            bucket: Some("logs".into()),
            root_cause: cause,
            caller_class: class,
            ..Default::default()
        }
    }

    #[test]
    fn own_workloads_lead_and_noise_is_folded() {
        let v = vec![
            f("a", 10, "alice", RootCause::Scp, CallerClass::SameAccount),
            f("b", 10, "alice", RootCause::Scp, CallerClass::SameAccount),
            f("c", 11, "bob", RootCause::Kms, CallerClass::Organization),
            f(
                "d",
                11,
                "scanner",
                RootCause::MissingAllow,
                CallerClass::Anonymous,
            ),
            f("e", 12, "x", RootCause::MissingAllow, CallerClass::External),
        ];
        let s = summarize(&findings_frame(&v).unwrap(), &SummaryOptions::default()).unwrap();
        assert_eq!(s.headline.total, 5);
        assert_eq!(s.headline.own, 3);
        assert_eq!(s.headline.folded, 2);
        assert_eq!(s.headline.own_distinct_principals, 2);
        let causes = &s.sections[0];
        assert_eq!(causes.groups.len(), 2, "missing_allow is noise only");
        assert_eq!(causes.groups[0].keys, vec![Some("scp".to_string())]);
        assert_eq!(causes.groups[0].events.len(), 2);
        // Every section drills down: the bucket group holds its three own events, in time
        // order, and none of the noise.
        let bucket = s.sections.iter().find(|x| x.dimension == "bucket").unwrap();
        let ids: Vec<&str> = bucket.groups[0]
            .events
            .iter()
            .map(|e| e.event_id.as_str())
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(s.folded.len(), 2);
        assert_eq!(s.folded[0].caller_class, "anonymous");
        assert_eq!(
            s.daily,
            vec![
                DayCount {
                    day: "2026-11-10".into(),
                    root_cause: "scp".into(),
                    count: 2
                },
                DayCount {
                    day: "2026-11-11".into(),
                    root_cause: "kms".into(),
                    count: 1
                },
            ]
        );
    }

    #[test]
    fn compare_previous_finds_new_principals_causes_and_growth() {
        let mut v = Vec::new();
        // Previous week (Nov 1-7): alice scp x2. This week (Nov 8-14): alice scp x3, bob kms.
        v.push(f(
            "p1",
            2,
            "alice",
            RootCause::Scp,
            CallerClass::SameAccount,
        ));
        v.push(f(
            "p2",
            3,
            "alice",
            RootCause::Scp,
            CallerClass::SameAccount,
        ));
        for (i, d) in [9, 10, 11].into_iter().enumerate() {
            v.push(f(
                &format!("n{i}"),
                d,
                "alice",
                RootCause::Scp,
                CallerClass::SameAccount,
            ));
        }
        v.push(f("n9", 13, "bob", RootCause::Kms, CallerClass::SameAccount));
        let opts = SummaryOptions {
            since: Some(Utc.with_ymd_and_hms(2026, 11, 8, 0, 0, 0).unwrap()),
            until: Some(Utc.with_ymd_and_hms(2026, 11, 15, 0, 0, 0).unwrap()),
            compare_previous: true,
            ..Default::default()
        };
        let s = summarize(&findings_frame(&v).unwrap(), &opts).unwrap();
        assert_eq!(s.headline.total, 4);
        let cmp = s.comparison.unwrap();
        assert_eq!(cmp.previous.from.as_deref(), Some("2026-11-01T00:00:00Z"));
        assert_eq!((cmp.now, cmp.before), (4, 2));
        assert_eq!(cmp.growth_pct, Some(100.0));
        assert_eq!(
            cmp.new_principals,
            vec![("arn:aws:iam::111122223333:user/bob".to_string(), 1)]
        );
        assert_eq!(cmp.new_causes, vec!["kms".to_string()]);
    }
}
