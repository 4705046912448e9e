//! `--timeline`: the filtered events in time order with their causes, each first denial of a
//! principal on a resource marked, so an incident responder sees when something started
//! failing and what kept failing after.

use super::err::Result;
use super::frame::col_name as c;
use crate::inert;
use chrono::{DateTime, Utc};
use polars::prelude::*;
use serde::Serialize;
use std::collections::HashSet;
use std::fmt::Write;

/// One line of the timeline.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Entry {
    pub event_time: Option<String>,
    /// The first denial of this principal on this resource in the timeline.
    pub first_for_pair: bool,
    pub root_cause: String,
    pub principal_arn: Option<String>,
    pub action: Option<String>,
    pub resource_arn: Option<String>,
    pub source_ip: Option<String>,
    pub event_id: String,
    pub reason: Option<String>,
}

/// The events of `frame` in `[since, until)` (either end open) in time order, ties by
/// event id; events without a readable time come last (they cannot be placed, and are not
/// dropped).
pub fn timeline(
    frame: &DataFrame,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Result<Vec<Entry>> {
    let ms = super::frame::ts_lit;
    let mut pred = lit(true);
    if let Some(s) = since {
        pred = pred.and(col(c::TS).is_null().or(col(c::TS).gt_eq(ms(s))));
    }
    if let Some(u) = until {
        pred = pred.and(col(c::TS).is_null().or(col(c::TS).lt(ms(u))));
    }
    let df = frame
        .clone()
        .lazy()
        .filter(pred)
        .sort_by_exprs(
            [col(c::TS), col(c::EVENT_ID)],
            SortMultipleOptions::default().with_nulls_last(true),
        )
        .collect()?;
    let s = |name: &str| df.column(name).and_then(|c| c.str().cloned());
    let (time, cause, principal, action, resource, ip, id, reason) = (
        s(c::EVENT_TIME)?,
        s(c::ROOT_CAUSE)?,
        s(c::PRINCIPAL_ARN)?,
        s(c::ACTION)?,
        s(c::RESOURCE_ARN)?,
        s(c::SOURCE_IP)?,
        s(c::EVENT_ID)?,
        s(c::REASON)?,
    );
    let get = |ca: &StringChunked, i: usize| ca.get(i).map(str::to_string);
    let mut seen: HashSet<(Option<String>, Option<String>)> = HashSet::new();
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let pair = (get(&principal, i), get(&resource, i));
        let first_for_pair = seen.insert(pair.clone());
        out.push(Entry {
            event_time: get(&time, i),
            first_for_pair,
            root_cause: get(&cause, i).unwrap_or_else(|| "unknown".into()),
            principal_arn: pair.0,
            action: get(&action, i),
            resource_arn: pair.1,
            source_ip: get(&ip, i),
            event_id: get(&id, i).unwrap_or_default(),
            reason: get(&reason, i),
        });
    }
    Ok(out)
}

/// Plain text: one line per event (full ARNs: forensics must not cut them), `*` marking a
/// first denial, the reason indented below.
pub fn render_text(entries: &[Entry]) -> String {
    let mut out = String::new();
    let firsts = entries.iter().filter(|e| e.first_for_pair).count();
    let _ = writeln!(
        out,
        "{} events, {} principal/resource pairs; * marks the first denial of a pair",
        entries.len(),
        firsts
    );
    // Every value may come from the request (a key, an ARN, a saved file's text): printed
    // through `inert::terminal`, so no control sequence reaches the terminal.
    let t = |v: Option<&str>, none: &'static str| inert::terminal(v.unwrap_or(none)).into_owned();
    for e in entries {
        let _ = writeln!(
            out,
            "{} {} {:<20} {:<16} {} -> {}  from {}  [{}]",
            t(e.event_time.as_deref(), "(no time)           "),
            if e.first_for_pair { '*' } else { ' ' },
            t(Some(&e.root_cause), ""),
            t(e.action.as_deref(), "-"),
            t(e.principal_arn.as_deref(), "-"),
            t(e.resource_arn.as_deref(), "-"),
            t(e.source_ip.as_deref(), "-"),
            t(Some(&e.event_id), "")
        );
        if let Some(r) = &e.reason {
            let _ = writeln!(out, "      {}", inert::terminal(r));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Finding, RootCause};
    use crate::report::frame::findings_frame;

    fn f(id: &str, time: Option<&str>, who: &str, what: &str) -> Finding {
        Finding {
            event_id: id.into(),
            event_time: time.map(str::to_string),
            principal_arn: Some(who.into()),
            resource_arn: Some(what.into()),
            root_cause: RootCause::Scp,
            ..Default::default()
        }
    }

    #[test]
    fn orders_by_time_and_marks_first_denial_of_each_pair() {
        let v = vec![
            f("c", Some("2026-11-10T12:00:00Z"), "alice", "b/1"),
            f("a", Some("2026-11-10T09:00:00Z"), "alice", "b/1"),
            f("z", None, "carol", "b/1"),
            f("b", Some("2026-11-10T09:00:00Z"), "bob", "b/1"),
            f("d", Some("2026-11-11T00:00:00Z"), "alice", "b/2"),
        ];
        let t = timeline(&findings_frame(&v).unwrap(), None, None).unwrap();
        let order: Vec<(&str, bool)> = t
            .iter()
            .map(|e| (e.event_id.as_str(), e.first_for_pair))
            .collect();
        assert_eq!(
            order,
            [
                ("a", true),
                ("b", true),
                ("c", false),
                ("d", true),
                ("z", true)
            ]
        );
        let text = render_text(&t);
        assert!(
            text.starts_with("5 events, 4 principal/resource pairs"),
            "{text}"
        );
    }

    #[test]
    fn window_keeps_untimed_events() {
        let v = vec![
            f("a", Some("2026-11-09T09:00:00Z"), "alice", "b/1"),
            f("b", Some("2026-11-10T09:00:00Z"), "alice", "b/1"),
            f("z", None, "carol", "b/1"),
        ];
        let since = DateTime::parse_from_rfc3339("2026-11-10T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let t = timeline(&findings_frame(&v).unwrap(), Some(since), None).unwrap();
        let ids: Vec<&str> = t.iter().map(|e| e.event_id.as_str()).collect();
        // "b" is the first denial of alice on b/1 *within the timeline*.
        assert_eq!(ids, ["b", "z"]);
        assert!(t[0].first_for_pair);
    }
}
