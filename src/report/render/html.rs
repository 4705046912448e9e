//! The weekly report as one self-contained HTML file: inline CSS, the chart as inline SVG,
//! no script and no external reference, so it opens offline and can be mailed as is. Every
//! group is a `<details>` element that expands to its fix and its earliest events.

use super::super::err::Result;
use super::super::summary::{Group, Section, Summary};
use super::chart::{colour_of, daily_by_cause, legend_causes};
use super::short_key;
use super::table::{folded_causes, key_text, short_time};
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters from a request (ESC, BEL, CR) shown as text, not passed on.
            c if c.is_control() && c != '\n' && c != '\t' => {
                out.push_str(&crate::inert::terminal(c.encode_utf8(&mut [0; 4])))
            }
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root{--fg:#1d2330;--muted:#5d6678;--line:#e3e6ec;--bg:#f6f7f9;--accent:#2b59c3}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);margin:0;background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:24px;margin:0 0 2px}
h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
.period{color:var(--muted);margin-bottom:18px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.card .n{font-size:26px;font-weight:650}
.card .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card.lead{border-left:4px solid var(--accent)}
.panel{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px}
.chart svg{width:100%;height:auto}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:18px}
@media (max-width:900px){.cols{grid-template-columns:1fr}}
details{background:#fff;border:1px solid var(--line);border-radius:6px;margin:4px 0}
summary{cursor:pointer;padding:6px 10px;display:grid;grid-template-columns:minmax(0,1fr) 64px 44px 190px;gap:10px;align-items:center}
summary .k{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;direction:rtl;text-align:left}
summary .c{text-align:right;font-weight:600}
summary .p,summary .t{color:var(--muted);font-size:12px;text-align:right;white-space:nowrap}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12.5px;margin:2px 0 6px 52px}
.hdr{display:grid;grid-template-columns:minmax(0,1fr) 64px 44px 190px;gap:10px;padding:0 10px 2px 26px;color:var(--muted);font-size:11px;text-transform:uppercase}
.hdr span:not(:first-child){text-align:right}
.body{padding:4px 12px 12px;border-top:1px solid var(--line)}
.fix{background:#f2f7f2;border-left:3px solid #3c9a4a;padding:6px 10px;white-space:pre-wrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;margin:6px 0}
table{border-collapse:collapse;width:100%;font-size:12.5px}
th,td{text-align:left;padding:3px 6px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:11px;text-transform:uppercase}
td.num,th.num{text-align:right}
td code{font-size:12px;word-break:break-all}
td:first-child{white-space:nowrap}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:middle}
.up{color:#b3261e;font-weight:600}.down{color:#1b7f3b;font-weight:600}
.new{background:#fff4d6;border-radius:4px;padding:1px 6px;margin:2px;display:inline-block;font-family:ui-monospace,monospace;font-size:12px}
.muted{color:var(--muted)}
footer{color:var(--muted);font-size:12px;margin-top:30px}
"#;

fn card(out: &mut String, n: u64, label: &str, lead: bool) {
    let _ = write!(
        out,
        r#"<div class="card{}"><div class="n">{n}</div><div class="l">{}</div></div>"#,
        if lead { " lead" } else { "" },
        esc(label)
    );
}

fn group_details(out: &mut String, g: &Group, swatch: bool, events_cap: usize) {
    let key = key_text(g);
    let sw = if swatch {
        let (r, gg, b) = colour_of(&key);
        format!(r#"<span class="sw" style="background:rgb({r},{gg},{b})"></span>"#)
    } else {
        String::new()
    };
    let _ = write!(
        out,
        r#"<details><summary><span class="k" title="{k}"><bdi>{sw}{short}</bdi></span><span class="c">{}</span><span class="p">{}</span><span class="t">{} – {}</span></summary><div class="body">"#,
        g.count,
        g.distinct_principals,
        esc(&short_time(&g.first_seen)),
        esc(&short_time(&g.last_seen)),
        k = esc(&key),
        short = esc(&short_key(&key)),
    );
    match &g.top_fix {
        Some(fix) => {
            let share = g
                .top_fix_count
                .map(|n| format!(" ({n} of {} denials)", g.count))
                .unwrap_or_default();
            let _ = write!(
                out,
                r#"<div class="muted">Most common fix{}:</div><div class="fix">{}</div>"#,
                esc(&share),
                esc(fix)
            );
        }
        None => {
            let _ = write!(
                out,
                r#"<div class="muted">No fix known for this group.</div>"#
            );
        }
    }
    if !g.events.is_empty() {
        out.push_str("<table><tr><th>time</th><th>principal</th><th>action</th><th>resource</th><th>source</th><th>cause</th><th>reason</th><th>event id</th></tr>");
        for e in &g.events {
            let _ = write!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                esc(e.event_time.as_deref().unwrap_or("-")),
                esc(e.principal_arn.as_deref().unwrap_or("-")),
                esc(e.action.as_deref().unwrap_or("-")),
                esc(e.resource_arn.as_deref().unwrap_or("-")),
                esc(e.source_ip.as_deref().unwrap_or("-")),
                esc(e.root_cause.as_deref().unwrap_or("-")),
                esc(e.reason.as_deref().unwrap_or("")),
                esc(&e.event_id),
            );
        }
        out.push_str("</table>");
        if g.count as usize > g.events.len() {
            let _ = write!(
                out,
                r#"<div class="muted">The earliest {} of {} events; <code>denytrail report FINDINGS --timeline</code> with this group's filter lists them all.</div>"#,
                g.events.len().min(events_cap),
                g.count
            );
        }
    } else if !g.sample_ids.is_empty() {
        let _ = write!(
            out,
            r#"<div class="muted">Sample event ids: <code>{}</code></div>"#,
            esc(&g.sample_ids.join(" "))
        );
    }
    out.push_str("</div></details>");
}

fn section_block(out: &mut String, s: &Section, title: &str, events_cap: usize) {
    let _ = write!(out, "<div><h2>{}</h2>", esc(title));
    if s.groups.is_empty() {
        out.push_str(r#"<p class="muted">None in this period.</p></div>"#);
        return;
    }
    out.push_str(r#"<div class="hdr"><span>"#);
    out.push_str(&esc(&s.dimension));
    out.push_str("</span><span>denials</span><span>who</span><span>first – last</span></div>");
    let swatch = s.dimension == "root cause";
    for g in &s.groups {
        group_details(out, g, swatch, events_cap);
    }
    out.push_str("</div>");
}

/// Renders the whole page.
pub fn render(s: &Summary, events_cap: usize) -> Result<String> {
    let mut out = String::with_capacity(64 * 1024);
    let period = match (&s.period.from, &s.period.to) {
        (Some(a), Some(b)) => format!("{a} → {b}"),
        _ => "no timed events".into(),
    };
    let _ = write!(
        out,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>S3 access denied: {}</title><style>{CSS}</style></head><body><main>"#,
        esc(&period)
    );
    let _ = write!(
        out,
        r#"<h1>S3 access denied</h1><div class="period">{}</div><div class="cards">"#,
        esc(&period)
    );
    let h = &s.headline;
    card(&mut out, h.own, "own workloads denied", true);
    card(&mut out, h.own_distinct_principals, "own principals", false);
    card(&mut out, h.own_buckets, "own buckets", false);
    card(&mut out, h.folded, "folded as noise", false);
    card(&mut out, h.total, "all denials", false);
    card(&mut out, h.disagrees_with_aws, "disagree with AWS", false);
    card(&mut out, h.unknown_cause, "unknown cause", false);
    out.push_str("</div>");
    if h.without_time > 0 {
        let _ = write!(
            out,
            r#"<p class="muted">{} findings have no readable event time and are outside every day and period.</p>"#,
            h.without_time
        );
    }
    for x in &s.suppressed {
        let _ = write!(
            out,
            r#"<p class="muted">Suppressed: {} by rule {} ({}).</p>"#,
            x.count,
            esc(&x.rule),
            esc(&x.reason)
        );
    }
    if let Some(tt) = &s.time_travel {
        out.push_str(r#"<h2>Changes that caused denials</h2><div class="panel">"#);
        if tt.changes_that_caused_denials.is_empty() {
            let _ = write!(
                out,
                r#"<p class="muted">None of the {} change events replayed started a denial.</p>"#,
                tt.changes_replayed
            );
        } else {
            out.push_str("<table><tr><th>change</th><th>when</th><th>who</th><th>what it changed</th><th>denials</th><th>principals</th><th>first</th><th>last</th></tr>");
            for r in &tt.changes_that_caused_denials {
                let _ = write!(
                    out,
                    "<tr><td>{} <code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&r.change.event_name),
                    esc(&r.change.event_id),
                    esc(&r.change.event_time),
                    esc(r.change.actor.as_deref().unwrap_or("?")),
                    esc(&r.change.changed.join(", ")),
                    r.denials,
                    r.principals,
                    esc(r.first_denial.as_deref().unwrap_or("-")),
                    esc(r.last_denial.as_deref().unwrap_or("-"))
                );
            }
            out.push_str("</table>");
        }
        if tt.drift_outside_snapshots > 0 {
            let _ = write!(
                out,
                r#"<p class="muted">{} denials lie outside every snapshot and no change event explains them (snapshot drift).</p>"#,
                tt.drift_outside_snapshots
            );
        }
        out.push_str("</div>");
    }

    if let Some(c) = &s.comparison {
        let _ = write!(
            out,
            r#"<h2>Compared with {} → {}</h2><div class="panel">"#,
            esc(c.previous.from.as_deref().unwrap_or("-")),
            esc(c.previous.to.as_deref().unwrap_or("-"))
        );
        let growth = match c.growth_pct {
            Some(p) if p > 0.0 => format!(r#"<span class="up">{p:+.0}%</span>"#),
            Some(p) => format!(r#"<span class="down">{p:+.0}%</span>"#),
            None if c.note.is_some() => "not compared".into(),
            None => "no denials in the previous period".into(),
        };
        let _ = write!(
            out,
            "<p>Own workloads: <b>{}</b> denials now, {} before: {growth}.</p>",
            c.now, c.before
        );
        if let Some(note) = &c.note {
            let _ = write!(out, r#"<p class="muted">Note: {}.</p>"#, esc(note));
        }
        if !c.new_causes.is_empty() {
            out.push_str("<p>New causes: ");
            for cause in &c.new_causes {
                let _ = write!(out, r#"<span class="new">{}</span>"#, esc(cause));
            }
            out.push_str("</p>");
        }
        if !c.new_principals.is_empty() {
            let _ = write!(out, "<p>{} new principals denied: ", c.new_principals.len());
            for (p, n) in c.new_principals.iter().take(25) {
                let _ = write!(out, r#"<span class="new">{} ({n})</span>"#, esc(p));
            }
            out.push_str("</p>");
        }
        out.push_str(r#"<table><tr><th>cause</th><th class="num">now</th><th class="num">before</th><th class="num">change</th></tr>"#);
        for cc in &c.causes {
            let change = cc.now as i64 - cc.before as i64;
            let _ = write!(
                out,
                r#"<tr><td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{change:+}</td></tr>"#,
                esc(&cc.root_cause),
                cc.now,
                cc.before
            );
        }
        out.push_str("</table></div>");
    }

    out.push_str("<h2>Own workloads: denials per day by root cause</h2>");
    let svg = match daily_by_cause(&s.daily, 1120, 340) {
        Ok(svg) => svg,
        Err(e) => {
            let _ = write!(
                out,
                r#"<p class="muted">The chart could not be drawn ({}); the tables below hold the same numbers.</p>"#,
                esc(&e.to_string())
            );
            String::new()
        }
    };
    if s.daily.is_empty() {
        out.push_str(r#"<p class="muted">No timed denials from own workloads.</p>"#);
    } else if !svg.is_empty() {
        out.push_str(r#"<div class="panel chart"><div class="legend">"#);
        for cause in legend_causes(&s.daily) {
            let (r, g, b) = colour_of(cause);
            let _ = write!(
                out,
                r#"<span><span class="sw" style="background:rgb({r},{g},{b})"></span>{cause}</span>"#
            );
        }
        let _ = write!(out, "</div>{svg}</div>");
    }

    let find = |dim: &str| s.sections.iter().find(|x| x.dimension == dim);
    if let Some(sec) = find("root cause") {
        section_block(&mut out, sec, "Top root causes (own workloads)", events_cap);
    }
    if let Some(sec) = find("principal") {
        section_block(&mut out, sec, "Top principals", events_cap);
    }
    out.push_str(r#"<div class="cols">"#);
    for (dim, title) in [
        ("bucket", "Top buckets"),
        ("role (sessions folded)", "Roles behind sessions"),
        ("action", "Actions"),
        ("source IP", "Source IPs"),
        ("VPC endpoint", "VPC endpoints"),
        (
            "caller account → bucket account",
            "Accounts (caller → bucket owner)",
        ),
    ] {
        if let Some(sec) = find(dim) {
            section_block(&mut out, sec, title, events_cap);
        }
    }
    out.push_str("</div>");

    out.push_str("<h2>Folded as noise</h2>");
    if s.folded.is_empty() {
        out.push_str(r#"<p class="muted">No denials of anonymous callers, AWS services or outside accounts.</p>"#);
    } else {
        out.push_str(r#"<table><tr><th>caller class</th><th class="num">denials</th><th class="num">principals</th><th>top causes</th></tr>"#);
        for f in &s.folded {
            let _ = write!(
                out,
                r#"<tr><td>{}</td><td class="num">{}</td><td class="num">{}</td><td>{}</td></tr>"#,
                esc(&f.caller_class),
                f.count,
                f.distinct_principals,
                esc(&folded_causes(f))
            );
        }
        out.push_str("</table>");
    }
    out.push_str(r#"<footer>Generated by denytrail. Own workloads are callers of the bucket's own account or of its organization (and callers the snapshot could not classify); anonymous callers, AWS services and outside accounts are folded as noise. Each finding's full verdict: <code>denytrail explain EVENT_ID</code>.</footer></main></body></html>"#);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
