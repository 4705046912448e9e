//! The command line itself: help, version, usage errors and their exit codes.

use crate::util::{denytrail, run};

#[test]
fn help_documents_exit_codes() {
    let mut c = denytrail();
    c.arg("--help");
    let (out, stdout, _) = run(c);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("Exit status"), "{stdout}");
    assert!(stdout.contains("analyze"), "{stdout}");
}

#[test]
fn usage_error_exits_64() {
    let mut c = denytrail();
    c.arg("--no-such-flag");
    let (out, _, stderr) = run(c);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
}

/// Without `--snapshot`, the fields FINDINGS.md derives from the event are still filled
/// (`action`, `principal_arn` "anonymous" for unauthenticated calls, the caller class, so that
/// anonymous callers fold), and the run says once what it cannot do and what to do next.
#[test]
fn without_a_snapshot_the_record_fields_are_filled_and_the_next_step_is_said() {
    let mut c = crate::util::denytrail();
    c.args(["analyze", "sample-logs", "--format", "jsonl"]);
    let (out, stdout, stderr) = crate::util::run(c);
    assert!(out.status.success(), "{stderr}");
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(rows.len() > 20);
    for r in &rows {
        assert!(r["action"].is_string(), "{r}");
    }
    let anon: Vec<_> = rows
        .iter()
        .filter(|r| r["principal_account"] == "anonymous")
        .collect();
    assert!(!anon.is_empty());
    for r in anon {
        assert_eq!(r["principal_arn"], "anonymous", "{r}");
        assert_eq!(r["caller_class"], "anonymous", "{r}");
    }
    assert_eq!(stderr.matches("no --snapshot given").count(), 1, "{stderr}");
    assert!(stderr.contains("denytrail snapshot --out DIR"), "{stderr}");
}

/// `--snapshot` on an empty folder, or on a folder that holds a snapshot one level down, is
/// an error that says so (exit 1), not a silent `unknown` for every denial.
#[test]
fn an_empty_or_wrong_snapshot_folder_is_an_error() {
    let empty = tempfile::tempdir().unwrap();
    let mut c = crate::util::denytrail();
    c.args(["analyze", "sample-logs", "--format", "jsonl", "--snapshot"])
        .arg(empty.path());
    let (out, stdout, stderr) = crate::util::run(c);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("holds no policy"), "{stderr}");
    let mut c = crate::util::denytrail();
    c.args([
        "analyze",
        "sample-logs",
        "--format",
        "jsonl",
        "--snapshot",
        "sample-logs",
    ]);
    let (out, _, stderr) = crate::util::run(c);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("did you mean --snapshot sample-logs/snapshot?"),
        "{stderr}"
    );
}

/// From summary to action (issue 20): each root-cause row of the terminal table and of the
/// Markdown report names one of its events, ready for `explain`, and that event is one of the
/// findings with that cause.
#[test]
fn summaries_name_an_event_to_explain_per_group() {
    let mut c = crate::util::denytrail();
    c.args(["analyze", "--format", "jsonl"]);
    let (_, jsonl, _) = crate::util::run(c);
    let cause_of: std::collections::HashMap<String, String> = jsonl
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| {
            (
                v["event_id"].as_str().unwrap().to_owned(),
                v["root_cause"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut c = crate::util::denytrail();
    c.args(["analyze"]);
    let (out, table, stderr) = crate::util::run(c);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = table.lines().collect();
    let mut checked = 0;
    for (i, l) in lines.iter().enumerate() {
        let Some(id) = l.trim().strip_prefix("e.g.: denytrail explain ") else {
            continue;
        };
        // The group's row is the nearest line above that is not indented.
        let row = lines[..i]
            .iter()
            .rev()
            .find(|r| !r.starts_with(' '))
            .unwrap();
        let cause = row.split_whitespace().next().unwrap();
        if cause_of.contains_key(id) && cause_of.values().any(|c| c == cause) {
            assert_eq!(cause_of[id], cause, "{row} / {l}");
            checked += 1;
        }
    }
    assert!(checked >= 10, "{table}");
    // The `unknown` row says what is missing instead of a fix.
    let unknown_at = lines
        .iter()
        .position(|l| l.starts_with("unknown "))
        .expect("an unknown row");
    assert!(
        lines[unknown_at + 1].trim_start().starts_with("why: "),
        "{table}"
    );
    let mut c = crate::util::denytrail();
    c.args(["analyze", "--format", "markdown"]);
    let (_, md, _) = crate::util::run(c);
    assert!(md.contains("| sample event |"), "{md}");
    assert_eq!(md.matches("The whole evaluation of an event").count(), 1);
}

/// `analyze -` reads records from standard input (issue 20), and several delivery documents
/// written one after another (what `zcat *.json.gz` gives) are all read: the same findings as
/// the folder they came from.
#[test]
fn analyze_reads_concatenated_documents_from_standard_input() {
    use std::io::{Read, Write};
    let root = crate::util::repo_root().join("sample-logs/AWSLogs");
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(".json.gz") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut all = Vec::new();
    for f in &files {
        let mut gz = flate2::read::GzDecoder::new(std::fs::File::open(f).unwrap());
        gz.read_to_end(&mut all).unwrap();
    }
    let ids = |out: &str| {
        let mut v: Vec<String> = out
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event_id"].to_string())
            .collect();
        v.sort();
        v
    };
    let mut c = crate::util::denytrail();
    c.args(["analyze", "-", "--format", "jsonl"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    child.stdin.take().unwrap().write_all(&all).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut c = crate::util::denytrail();
    c.args(["analyze", "--format", "jsonl"]).arg(&root);
    let (_, folder, _) = crate::util::run(c);
    let piped = ids(&String::from_utf8_lossy(&out.stdout));
    assert!(piped.len() > 30);
    assert_eq!(piped, ids(&folder));
}

/// Suppressions (issue 20): a rule's denials leave the findings and are counted ("suppressed:
/// N by rule R" on stderr and in the report), an expired rule is named and not applied, and
/// a rule file that cannot be used is a usage error (64).
#[test]
fn suppression_rules_hide_known_noise_and_count_it() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.json");
    std::fs::write(
        &rules,
        r#"{"rules": [
          {"id": "stale-keys", "reason": "tracked elsewhere", "cause": "request_error"},
          {"id": "old", "reason": "retired", "bucket": "*", "expires": "2020-01-01"}]}"#,
    )
    .unwrap();
    let run_jsonl = |extra: &[&std::ffi::OsStr]| {
        let mut c = crate::util::denytrail();
        c.args(["analyze", "--format", "jsonl"]).args(extra);
        crate::util::run(c)
    };
    let (_, all, _) = run_jsonl(&[]);
    let all: Vec<serde_json::Value> = all
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let errors = all
        .iter()
        .filter(|f| f["root_cause"] == "request_error")
        .count();
    assert!(errors > 0);
    let (out, kept, stderr) = run_jsonl(&["--suppress".as_ref(), rules.as_os_str()]);
    assert!(out.status.success(), "{stderr}");
    let kept: Vec<serde_json::Value> = kept
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(kept.len(), all.len() - errors);
    assert!(kept.iter().all(|f| f["root_cause"] != "request_error"));
    assert!(
        stderr.contains(&format!(
            "suppressed: {errors} denials by rule `stale-keys`"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("rule `old` expired on 2020-01-01"),
        "{stderr}"
    );
    let mut c = crate::util::denytrail();
    c.args(["analyze", "--format", "markdown", "--suppress"])
        .arg(&rules);
    let (_, md, _) = crate::util::run(c);
    assert!(
        md.contains(&format!(
            "| suppressed by `stale-keys` (tracked elsewhere) | {errors} |"
        )),
        "{md}"
    );
    std::fs::write(&rules, r#"{"rules": [{"id": "all", "reason": "x"}]}"#).unwrap();
    let (out, _, stderr) = run_jsonl(&["--suppress".as_ref(), rules.as_os_str()]);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
}

/// Issue 20: `report`'s advice names the right flag: a findings file whose extension says
/// nothing needs `--input-format` (`--format` is the report's own format).
#[test]
fn report_advice_names_the_input_format_flag() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("findings.txt");
    std::fs::write(&f, "{\"event_id\":\"e\"}\n").unwrap();
    let mut c = crate::util::denytrail();
    c.arg("report").arg(&f);
    let (out, _, stderr) = crate::util::run(c);
    assert!(!out.status.success());
    assert!(stderr.contains("pass --input-format"), "{stderr}");
    let mut c = crate::util::denytrail();
    c.arg("report")
        .arg(&f)
        .args(["--input-format", "jsonl", "--format", "json"]);
    let (out, stdout, stderr) = crate::util::run(c);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("\"total\": 1"), "{stdout}");
}

/// Issue 20: the json report carries the scan's account, as the table prints it.
#[test]
fn the_json_report_carries_the_scan_summary() {
    let mut c = crate::util::denytrail();
    c.args(["analyze", "--format", "json"]);
    let (out, stdout, stderr) = crate::util::run(c);
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let scan = &v["scan"];
    assert!(scan["records"].as_u64().unwrap() > 400, "{scan}");
    assert_eq!(scan["kept"], v["headline"]["total"], "{scan}");
    assert!(
        scan["records_skipped"]["not_403"].as_u64().unwrap() > 0,
        "{scan}"
    );
}
