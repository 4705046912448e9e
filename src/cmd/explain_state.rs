//! `explain`'s account of the state a verdict used: which snapshot, which change events were
//! applied (with their event ids), which pieces stayed unknown going back, and for
//! `started_by` the before and after of each piece that change set.

use crate::record::Event;
use crate::scan::change::{Change, State};
use crate::snapshot::timeline::{EpochKey, Timeline};
use serde_json::{json, Value};

fn change_json(c: &Change) -> Value {
    json!({
        "event_id": c.event_id,
        "event_time": c.event_time,
        "event_name": c.event_name,
        "actor": c.actor,
        "region": c.region,
    })
}

/// The state as JSON (also what the text rendering reads).
pub fn state(tl: &Timeline, key: EpochKey, started: Option<usize>, _event: &Event) -> Value {
    let epoch = tl.epoch(key);
    let changes = tl.changes();
    let taken = epoch
        .base_taken_at
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let applied: Vec<Value> = epoch
        .applied
        .iter()
        .map(|&i| change_json(&changes[i]))
        .collect();
    let hidden: Vec<Value> = epoch
        .hidden
        .iter()
        .map(|(p, i)| json!({"piece": p.describe(), "hidden_by": change_json(&changes[*i])}))
        .collect();
    let started_by = started.map(|i| {
        let c = &changes[i];
        let edits: Vec<Value> = c
            .edits
            .iter()
            .map(|e| {
                // The piece's state before: the latest earlier change to it in the logs, else
                // what the snapshot the state started from held.
                let before = (0..i).rev().find_map(|k| {
                    changes[k]
                        .edits
                        .iter()
                        .find(|x| x.piece == e.piece)
                        .map(|x| (k, &x.state))
                });
                let before = match before {
                    Some((k, s)) => json!({"state": describe(s), "set_by": changes[k].event_id}),
                    None => json!({"state": format!("as in the snapshot {} (taken {})",
                        epoch.base_root.display(), taken.as_deref().unwrap_or("?"))}),
                };
                json!({"piece": e.piece.describe(), "before": before, "after": describe(&e.state)})
            })
            .collect();
        let mut v = change_json(c);
        if let Some(o) = v.as_object_mut() {
            o.insert("edits".into(), Value::Array(edits));
        }
        v
    });
    json!({
        "snapshot": epoch.base_root.display().to_string(),
        "snapshot_taken_at": taken,
        "going_back": key.base.is_none(),
        "changes_applied": applied,
        "unknown_going_back": hidden,
        "started_by": started_by,
    })
}

fn describe(s: &State) -> String {
    s.describe()
}

/// The state in a few lines, after the trace.
pub fn render_text(v: &Value) -> String {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("?").to_owned();
    let mut out = String::from("\nState used (policies as they were at the event's time):\n");
    out.push_str(&format!(
        "  snapshot: {} (taken {}){}\n",
        s(v, "snapshot"),
        s(v, "snapshot_taken_at"),
        if v["going_back"] == true {
            ", going back: the event precedes every snapshot"
        } else {
            ""
        }
    ));
    let list = |k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let applied = list("changes_applied");
    if applied.is_empty() {
        out.push_str("  changes applied: none\n");
    }
    for c in &applied {
        out.push_str(&format!(
            "  applied: {} {} by {} (event {})\n",
            s(c, "event_time"),
            s(c, "event_name"),
            s(c, "actor"),
            s(c, "event_id")
        ));
    }
    for h in list("unknown_going_back") {
        let by = &h["hidden_by"];
        out.push_str(&format!(
            "  unknown: {} (hidden by {} at {}, event {})\n",
            s(&h, "piece"),
            s(by, "event_name"),
            s(by, "event_time"),
            s(by, "event_id")
        ));
    }
    match v.get("started_by").filter(|x| !x.is_null()) {
        None => out.push_str("  started_by: none\n"),
        Some(c) => {
            out.push_str(&format!(
                "  started_by: {} {} by {} (event {})\n",
                s(c, "event_time"),
                s(c, "event_name"),
                s(c, "actor"),
                s(c, "event_id")
            ));
            for e in c
                .get("edits")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.push_str(&format!(
                    "    {}\n      before: {}\n      after:  {}\n",
                    s(e, "piece"),
                    s(&e["before"], "state"),
                    s(e, "after")
                ));
            }
        }
    }
    out
}
