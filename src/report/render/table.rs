//! The terminal report: fixed-width tables that fit 100 columns, colour only when asked
//! (the caller decides: a terminal, no `NO_COLOR`). Long ARNs are cut on the left, because
//! their end (the role, the session, the key) is what tells them apart.

use super::super::summary::{Folded, Group, Section, Summary};
use crate::inert;
use std::fmt::Write;

/// The widest line this renderer writes when the output is not a terminal (a pipe, a file):
/// the same bytes whatever terminal the run was started from.
pub const WIDTH: usize = 100;

const COUNT_W: usize = 8;
const PRINC_W: usize = 6;

struct Style {
    colour: bool,
    /// The line width: the terminal's (80 to 240 columns), else [`WIDTH`].
    width: usize,
    /// The period spans more than one calendar year: times show the year.
    year: bool,
}

impl Style {
    fn time_w(&self) -> usize {
        if self.year {
            16
        } else {
            13
        }
    }

    /// What the key column gets of the line: the rest after the numbers and times.
    fn key_w(&self) -> usize {
        self.width
            .saturating_sub(COUNT_W + PRINC_W + 2 * self.time_w() + 5)
            .max(30)
    }

    fn time(&self, t: &Option<String>) -> String {
        match (self.year, t) {
            (true, Some(t)) => match (t.get(0..10), t.get(11..16)) {
                (Some(day), Some(hm)) => format!("{day} {hm}"),
                _ => t.clone(),
            },
            _ => short_time(t),
        }
    }
}

/// The width of the terminal stdout is, when it is one.
fn terminal_width() -> Option<usize> {
    let term = console::Term::stdout();
    if !term.is_term() {
        return None;
    }
    term.size_checked()
        .map(|(_, cols)| usize::from(cols).clamp(80, 240))
}

/// `3337` → `3,337`: counts read at a glance.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `text` in lines of at most `width` characters, broken at spaces (a word longer than the
/// width stands on its own line).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let fits = line.chars().count() + 1 + word.chars().count() <= width;
        if !line.is_empty() && !fits {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The part of an `unknown` finding's reason that says what is missing: after the
/// `principal may not action on resource: ` lead, whatever it is.
pub fn unknown_why(reason: &str) -> &str {
    reason
        .split_once(": ")
        .map(|(_, why)| why)
        .unwrap_or(reason)
}

/// `1 principal`, `2 principals`.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

impl Style {
    fn bold(&self, s: &str) -> String {
        if self.colour {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn dim(&self, s: &str) -> String {
        if self.colour {
            format!("\x1b[2m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// Cuts `s` to `w` characters, keeping its end (`…` marks the cut).
pub fn cut_left(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        return s.to_string();
    }
    let keep: String = s.chars().skip(n - (w - 1)).collect();
    format!("…{keep}")
}

/// Cuts `s` to `w` characters, keeping its start.
pub fn cut_right(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        return s.to_string();
    }
    let keep: String = s.chars().take(w - 1).collect();
    format!("{keep}…")
}

/// `2026-11-20T10:00:00Z` → `11-20 10:00`.
pub fn short_time(t: &Option<String>) -> String {
    match t {
        Some(t) => match (t.get(5..10), t.get(11..16)) {
            (Some(day), Some(hm)) => format!("{day} {hm}"),
            _ => t.clone(),
        },
        None => "-".into(),
    }
}

/// A folded caller class's top causes as one cell: `scp 4, missing_allow 2`.
pub fn folded_causes(f: &Folded) -> String {
    f.top_causes
        .iter()
        .map(|g| format!("{} {}", key_text(g), g.count))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A group's key as one cell: multi-column keys joined by ` → `.
pub fn key_text(g: &Group) -> String {
    g.keys
        .iter()
        .map(|k| k.as_deref().unwrap_or("(none)"))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// The first line of a remediation (they may hold a JSON statement below).
pub fn fix_line(fix: &str) -> &str {
    fix.lines().next().unwrap_or("")
}

fn section(out: &mut String, st: &Style, s: &Section, with_fix: bool) {
    if s.groups.is_empty() {
        return;
    }
    let (key_w, time_w) = (st.key_w(), st.time_w());
    let head = format!(
        "{:<key_w$} {:>COUNT_W$} {:>PRINC_W$} {:>time_w$} {:>time_w$}",
        s.dimension.to_uppercase(),
        "DENIALS",
        "WHO",
        "FIRST",
        "LAST"
    );
    let _ = writeln!(out, "{}", st.bold(&head));
    for g in &s.groups {
        let _ = writeln!(
            out,
            "{:<key_w$} {:>COUNT_W$} {:>PRINC_W$} {:>time_w$} {:>time_w$}",
            cut_left(&super::short_key(&inert::terminal(&key_text(g))), key_w),
            count(g.count),
            count(g.distinct_principals),
            st.time(&g.first_seen),
            st.time(&g.last_seen)
        );
        if with_fix {
            if let Some(fix) = &g.top_fix {
                let line = format!("  fix: {}", inert::terminal(fix_line(fix)));
                let _ = writeln!(out, "{}", st.dim(&cut_right(&line, st.width)));
            }
            // An `unknown` row has no fix: its reason says what is missing (what to capture).
            if g.top_fix.is_none() && g.keys.first().and_then(|k| k.as_deref()) == Some("unknown") {
                if let Some(why) = g.events.first().and_then(|e| e.reason.as_deref()) {
                    let line = format!("  why: {}", inert::terminal(unknown_why(why)));
                    let _ = writeln!(out, "{}", st.dim(&cut_right(&line, st.width)));
                }
            }
            // One event of the group, ready for `explain` (the whole evaluation).
            if let Some(id) = g.sample_ids.first() {
                let line = format!("  e.g.: denytrail explain {}", inert::terminal(id));
                let _ = writeln!(out, "{}", st.dim(&cut_right(&line, st.width)));
            }
        }
    }
    out.push('\n');
}

/// Renders the report for a terminal.
pub fn render(s: &Summary, colour: bool) -> String {
    let year_of = |t: &Option<String>| t.as_deref().and_then(|t| t.get(0..4)).map(str::to_owned);
    let st = Style {
        colour,
        width: terminal_width().unwrap_or(WIDTH),
        year: year_of(&s.period.from) != year_of(&s.period.to),
    };
    let mut out = String::new();
    let period = match (&s.period.from, &s.period.to) {
        (Some(a), Some(b)) => format!("{a} → {b}"),
        _ => "no timed events".into(),
    };
    let _ = writeln!(out, "{}", st.bold(&format!("S3 access denied: {period}")));
    let h = &s.headline;
    let _ = writeln!(
        out,
        "{}: {} from own workloads, {} folded as noise",
        counted(h.total, "denial", "denials"),
        count(h.own),
        count(h.folded)
    );
    let _ = writeln!(
        out,
        "own workloads: {}, {} · {} with AWS · {}",
        counted(h.own_distinct_principals, "principal", "principals"),
        counted(h.own_buckets, "bucket", "buckets"),
        counted(h.disagrees_with_aws, "disagrees", "disagree"),
        counted(h.unknown_cause, "unknown cause", "unknown causes")
    );
    if h.without_time > 0 {
        let _ = writeln!(
            out,
            "{} findings have no readable event time",
            h.without_time
        );
    }
    for x in &s.suppressed {
        let line = format!(
            "suppressed: {} by rule {} ({})",
            counted(x.count, "denial", "denials"),
            x.rule,
            x.reason
        );
        let _ = writeln!(out, "{}", cut_right(&inert::terminal(&line), st.width));
    }
    out.push('\n');
    if let Some(tt) = &s.time_travel {
        let _ = writeln!(out, "{}", st.bold("Changes that caused denials"));
        let lines = tt.lines();
        if lines.is_empty() {
            let _ = writeln!(
                out,
                "  none of the {} change events replayed",
                tt.changes_replayed
            );
        }
        for l in lines {
            // One change can be a long line (its actor, event id and what it changed):
            // wrapped at the width, never cut, since every part of it is needed.
            for (i, part) in wrap(&crate::inert::terminal_lines(&l), st.width - 4)
                .iter()
                .enumerate()
            {
                let indent = if i == 0 { "  " } else { "    " };
                let _ = writeln!(out, "{indent}{part}");
            }
        }
        if tt.drift_outside_snapshots > 0 {
            let _ = writeln!(
                out,
                "  {} denials outside every snapshot, unexplained by any change (drift)",
                tt.drift_outside_snapshots
            );
        }
        out.push('\n');
    }
    if let Some(c) = &s.comparison {
        let growth = match (c.growth_pct, &c.note) {
            (Some(p), _) => format!("{p:+.0}%"),
            (None, Some(_)) => "not compared".into(),
            (None, None) => "no denials before".into(),
        };
        let _ = writeln!(
            out,
            "{}",
            st.bold(&format!(
                "COMPARED WITH {} → {}",
                c.previous.from.as_deref().unwrap_or("?"),
                c.previous.to.as_deref().unwrap_or("?")
            ))
        );
        let _ = writeln!(
            out,
            "own workloads: {} now, {} before ({growth})",
            c.now, c.before
        );
        if let Some(note) = &c.note {
            let _ = writeln!(out, "{}", st.dim(&format!("note: {note}")));
        }
        if !c.new_causes.is_empty() {
            let _ = writeln!(
                out,
                "new causes: {}",
                inert::terminal(&c.new_causes.join(", "))
            );
        }
        for (p, n) in c.new_principals.iter().take(10) {
            let _ = writeln!(
                out,
                "new principal: {:<80} {n:>8}",
                cut_left(&inert::terminal(p), 80)
            );
        }
        if c.new_principals.len() > 10 {
            let _ = writeln!(
                out,
                "... and {} more new principals",
                c.new_principals.len() - 10
            );
        }
        out.push('\n');
    }
    for sec in &s.sections {
        // The day table is the chart's data; the terminal shows it compactly below.
        if sec.dimension == "day" {
            continue;
        }
        let with_fix = sec.dimension == "root cause";
        section(&mut out, &st, sec, with_fix);
    }
    if !s.folded.is_empty() {
        let _ = writeln!(out, "{}", st.bold("FOLDED (NOISE)"));
        for f in &s.folded {
            let line = format!(
                "{:<14} {:>16}, {:>16}: {}",
                f.caller_class,
                counted(f.count, "denial", "denials"),
                counted(f.distinct_principals, "principal", "principals"),
                folded_causes(f)
            );
            let _ = writeln!(out, "{}", cut_right(&inert::terminal(&line), st.width));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_keep_the_informative_end() {
        assert_eq!(cut_left("abcdef", 4), "…def");
        assert_eq!(cut_right("abcdef", 4), "abc…");
        assert_eq!(cut_left("abc", 4), "abc");
    }

    /// Dates show the year only when the period spans more than one (issue 20), and the key
    /// column takes what the line width leaves.
    #[test]
    fn times_show_the_year_when_the_period_spans_years() {
        let t = Some("2025-12-31T23:59:00Z".to_owned());
        let mut st = Style {
            colour: false,
            width: WIDTH,
            year: false,
        };
        assert_eq!(st.time(&t), "12-31 23:59");
        assert_eq!(st.key_w(), 55);
        st.year = true;
        assert_eq!(st.time(&t), "2025-12-31 23:59");
        assert_eq!(st.key_w(), 49);
        st.width = 160;
        assert_eq!(st.key_w(), 109);
    }

    #[test]
    fn long_lines_wrap_at_spaces_without_losing_a_word() {
        let text = "2026-11-19T10:00:00Z PutBucketPolicy by arn:aws:iam::222222222222:user/admin (event 5a1d0c3e)";
        let lines = wrap(text, 40);
        assert!(
            lines
                .iter()
                .all(|l| l.chars().count() <= 40 || !l.contains(' ')),
            "{lines:?}"
        );
        assert_eq!(lines.join(" "), text);
        assert_eq!(wrap("short", 40), ["short"]);
    }

    #[test]
    fn counts_have_thousands_separators_and_the_right_noun() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(3337), "3,337");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(counted(1, "principal", "principals"), "1 principal");
        assert_eq!(counted(1000, "denial", "denials"), "1,000 denials");
    }
}
