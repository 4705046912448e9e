//! The report as Markdown (for a ticket, a wiki page or a pull request).

use super::super::summary::{Section, Summary};
use super::table::{fix_line, folded_causes, key_text};
use crate::inert;
use std::fmt::Write;

/// Plain text in a table cell: what Markdown would render (HTML, links, emphasis) or act on
/// (`|`, a line break) escaped ([`inert::markdown`]).
fn cell(s: &str) -> String {
    inert::markdown(s).into_owned()
}

/// A value shown literally in a code span ([`inert::markdown_code`]).
fn code(s: &str) -> String {
    inert::markdown_code(s)
}

fn section(out: &mut String, s: &Section, explain_hint: bool) {
    if s.groups.is_empty() {
        return;
    }
    let _ = writeln!(out, "### By {}\n", s.dimension);
    let _ = writeln!(
        out,
        "| {} | denials | principals | first seen | last seen | most common fix | sample event |",
        s.dimension
    );
    let _ = writeln!(out, "| --- | ---: | ---: | --- | --- | --- | --- |");
    for g in &s.groups {
        // An `unknown` row has no fix: its first event's reason says what is missing.
        let fix = match g.top_fix.as_deref() {
            Some(f) => cell(fix_line(f)),
            None if g.keys.first().and_then(|k| k.as_deref()) == Some("unknown") => g
                .events
                .first()
                .and_then(|e| e.reason.as_deref())
                .map(|r| format!("why: {}", cell(super::table::unknown_why(r))))
                .unwrap_or_default(),
            None => String::new(),
        };
        let sample = g.sample_ids.first().map(|id| code(id)).unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            code(&key_text(g)),
            g.count,
            g.distinct_principals,
            g.first_seen.as_deref().unwrap_or("-"),
            g.last_seen.as_deref().unwrap_or("-"),
            fix,
            sample
        );
    }
    out.push('\n');
    if let Some(id) = s
        .groups
        .iter()
        .find_map(|g| g.sample_ids.first())
        .filter(|_| explain_hint)
    {
        let _ = writeln!(
            out,
            "The whole evaluation of an event: `denytrail explain {}` with the same logs and `--snapshot`.\n",
            code(id).trim_matches('`')
        );
    }
}

/// "Changes that caused denials", first in the report (after the period).
fn time_travel(out: &mut String, s: &Summary) {
    let Some(tt) = &s.time_travel else {
        return;
    };
    let _ = writeln!(out, "## Changes that caused denials\n");
    if tt.changes_that_caused_denials.is_empty() {
        let _ = writeln!(
            out,
            "None of the {} change events replayed started a denial.\n",
            tt.changes_replayed
        );
    } else {
        let _ = writeln!(
            out,
            "| change | when | who | what it changed | denials | principals | first | last |"
        );
        let _ = writeln!(out, "| --- | --- | --- | --- | ---: | ---: | --- | --- |");
        for r in &tt.changes_that_caused_denials {
            let _ = writeln!(
                out,
                "| {} {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(&r.change.event_name),
                code(&r.change.event_id),
                cell(&r.change.event_time),
                code(r.change.actor.as_deref().unwrap_or("?")),
                cell(&r.change.changed.join(", ")),
                r.denials,
                r.principals,
                r.first_denial.as_deref().unwrap_or("-"),
                r.last_denial.as_deref().unwrap_or("-")
            );
        }
        out.push('\n');
    }
    if tt.drift_outside_snapshots > 0 {
        let _ = writeln!(
            out,
            "{} denials lie outside every snapshot and no change event explains them (snapshot drift).\n",
            tt.drift_outside_snapshots
        );
    }
}

pub fn render(s: &Summary) -> String {
    let mut out = String::new();
    let h = &s.headline;
    let _ = writeln!(out, "# S3 access denied\n");
    let _ = writeln!(
        out,
        "Period: {} → {}\n",
        s.period.from.as_deref().unwrap_or("-"),
        s.period.to.as_deref().unwrap_or("-")
    );
    time_travel(&mut out, s);
    let _ = writeln!(out, "| | |\n| --- | ---: |");
    let _ = writeln!(out, "| denials | {} |", h.total);
    let _ = writeln!(out, "| from own workloads | {} |", h.own);
    let _ = writeln!(out, "| folded as noise | {} |", h.folded);
    let _ = writeln!(
        out,
        "| own principals denied | {} |",
        h.own_distinct_principals
    );
    let _ = writeln!(out, "| own buckets | {} |", h.own_buckets);
    let _ = writeln!(
        out,
        "| disagree with AWS's message | {} |",
        h.disagrees_with_aws
    );
    let _ = writeln!(out, "| unknown cause | {} |", h.unknown_cause);
    if h.without_time > 0 {
        let _ = writeln!(out, "| without event time | {} |", h.without_time);
    }
    for x in &s.suppressed {
        let _ = writeln!(
            out,
            "| suppressed by {} ({}) | {} |",
            code(&x.rule),
            cell(&x.reason),
            x.count
        );
    }
    out.push('\n');
    if let Some(c) = &s.comparison {
        let _ = writeln!(
            out,
            "## Compared with {} → {}\n",
            c.previous.from.as_deref().unwrap_or("-"),
            c.previous.to.as_deref().unwrap_or("-")
        );
        let growth = match (c.growth_pct, &c.note) {
            (Some(p), _) => format!("{p:+.0}%"),
            (None, Some(_)) => "not compared".into(),
            (None, None) => "no denials before".into(),
        };
        let _ = writeln!(
            out,
            "Own workloads: {} now, {} before ({growth}).\n",
            c.now, c.before
        );
        if let Some(note) = &c.note {
            let _ = writeln!(out, "Note: {}.\n", cell(note));
        }
        if !c.new_causes.is_empty() {
            let _ = writeln!(out, "New causes: {}.\n", c.new_causes.join(", "));
        }
        if !c.new_principals.is_empty() {
            let _ = writeln!(out, "| new principal | denials |\n| --- | ---: |");
            for (p, n) in &c.new_principals {
                let _ = writeln!(out, "| {} | {n} |", code(p));
            }
            out.push('\n');
        }
        let _ = writeln!(out, "| cause | now | before |\n| --- | ---: | ---: |");
        for c in &c.causes {
            let _ = writeln!(out, "| {} | {} | {} |", c.root_cause, c.now, c.before);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Own workloads\n");
    for (i, sec) in s.sections.iter().enumerate() {
        // The explain hint once, under the first table.
        section(&mut out, sec, i == 0);
    }
    if !s.folded.is_empty() {
        let _ = writeln!(out, "## Folded as noise\n");
        let _ = writeln!(out, "| caller class | denials | principals | top causes |");
        let _ = writeln!(out, "| --- | ---: | ---: | --- |");
        for f in &s.folded {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                f.caller_class,
                f.count,
                f.distinct_principals,
                folded_causes(f)
            );
        }
    }
    out
}
