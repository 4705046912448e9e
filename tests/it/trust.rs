//! Output a user can trust (issue 20): an existing output file is never destroyed, hostile
//! text in a request stays inert in every format, usage errors exit 64 and say their cause
//! once, an event read twice counts once, and the report's period and comparison say what
//! they cover.

use crate::util::{denytrail, repo_root, run};
use denytrail::findings::{CallerClass, Finding, RootCause};
use std::path::{Path, PathBuf};

fn write_jsonl(path: &Path, findings: &[Finding]) -> PathBuf {
    let mut text = String::new();
    for f in findings {
        text.push_str(&serde_json::to_string(f).unwrap());
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

fn sample() -> String {
    repo_root().join("sample-logs").display().to_string()
}

fn snapshot() -> String {
    repo_root()
        .join("sample-logs/snapshot")
        .display()
        .to_string()
}

// ---------------------------------------------------------------- never destroy the data

/// A refused flag combination is refused before anything is opened: the existing file is
/// untouched and the status is 64 (usage).
#[test]
fn a_refused_combination_leaves_the_output_file_intact() {
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("existing.html");
    std::fs::write(&existing, "last week's report").unwrap();
    let mut c = denytrail();
    c.args(["analyze", &sample(), "--snapshot", &snapshot()])
        .args(["--timeline", "--format", "html", "-o"])
        .arg(&existing);
    let (out, _, stderr) = run(c);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&existing).unwrap(),
        "last week's report"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no leftover"
    );
}

/// A run killed while it writes (here by a file-size limit: the kernel sends SIGXFSZ when a
/// write passes it, as a full disk stops a write) leaves the old file as it was, and no
/// temporary file beside it.
#[cfg(unix)]
#[test]
fn a_run_killed_while_writing_leaves_the_old_file_intact() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    for (format, name) in [("html", "week.html"), ("jsonl", "week.jsonl")] {
        let existing = dir.path().join(name);
        std::fs::write(&existing, "last week's report").unwrap();
        let mut c = denytrail();
        c.args(["analyze", &sample(), "--snapshot", &snapshot()])
            .args(["--format", format, "-o"])
            .arg(&existing);
        // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            c.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: 4096,
                    rlim_max: 4096,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let (out, _, stderr) = run(c);
        assert!(
            !out.status.success(),
            "{format}: the limit stops the run: {stderr}"
        );
        assert_eq!(
            std::fs::read_to_string(&existing).unwrap(),
            "last week's report",
            "{format}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "{format}: {left:?}");
    }
}

/// `-o FILE` ends with one line on stderr: the file, the number of findings, the scan.
#[test]
fn output_file_ends_with_one_line_saying_what_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.jsonl");
    let mut c = denytrail();
    c.args(["analyze", &sample(), "--snapshot", &snapshot(), "-o"])
        .arg(&path);
    let (out, _, stderr) = run(c);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let rows = std::fs::read_to_string(&path).unwrap().lines().count();
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!("denytrail: wrote {}", path.display()))
            && last.contains(&format!("{rows} findings"))
            && last.contains("objects")
            && last.contains("records"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------- hostile input stays inert

/// Findings whose caller-chosen fields carry terminal escapes, Markdown/HTML and spreadsheet
/// formulas.
fn hostile() -> Vec<Finding> {
    let keys = [
        "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",
        "\x1b]0;owned\x07title",
        "ok\rFAKE LINE",
        "\u{9b}2J",
        "<img src=x onerror=alert(1)>",
        "[click](https://evil.example)",
        "=HYPERLINK(\"https://evil.example\",\"x\")",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1)",
    ];
    keys.iter()
        .enumerate()
        .map(|(i, k)| Finding {
            event_id: format!("{k}-{i}"),
            event_time: Some(format!("2026-11-10T08:{i:02}:00Z")),
            action: Some(format!("s3:GetObject{k}")),
            principal_arn: Some(format!("arn:aws:iam::111122223333:user/{k}")),
            principal_account: Some("111122223333".into()),
            resource_account: Some("111122223333".into()),
            bucket: Some(format!("b{k}")),
            key: Some(k.to_string()),
            resource_arn: Some(format!("arn:aws:s3:::b/{k}")),
            source_ip: Some(k.to_string()),
            user_agent: Some(k.to_string()),
            root_cause: RootCause::MissingAllow,
            reason: Some(format!("denied on {k}")),
            remediation: Some(format!("grant {k}")),
            caller_class: CallerClass::SameAccount,
            ..Default::default()
        })
        .collect()
}

fn report(input: &Path, args: &[&str]) -> String {
    let mut c = denytrail();
    c.arg("report").arg(input).args(args);
    let (out, stdout, stderr) = run(c);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    stdout
}

fn no_terminal_control(text: &str, what: &str) {
    for (i, c) in text.chars().enumerate() {
        let bad = (c.is_control() && c != '\n') || matches!(c, '\u{202A}'..='\u{202E}');
        assert!(!bad, "{what}: {c:?} at {i}: {text}");
    }
}

#[test]
fn hostile_text_is_inert_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_jsonl(&dir.path().join("h.jsonl"), &hostile());

    // Terminal: the table and the timeline (colour off: piped).
    no_terminal_control(&report(&input, &["--format", "table"]), "table");
    no_terminal_control(&report(&input, &["--timeline"]), "timeline");

    // Markdown: no raw HTML, no link, every row one table row.
    let md = report(&input, &["--format", "markdown"]);
    no_terminal_control(&md, "markdown");
    // Outside code spans (shown literally), with the backslash-escaped characters taken out.
    let outside_code: String = md.split('`').step_by(2).collect();
    let unescaped: String = {
        let mut out = String::new();
        let mut chars = outside_code.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                chars.next();
                out.push('_');
            } else {
                out.push(c);
            }
        }
        out
    };
    for raw in ["<img", "](https", "[click]"] {
        assert!(!unescaped.contains(raw), "markdown renders {raw}: {md}");
    }
    // HTML: every value escaped.
    let html = report(&input, &["--format", "html"]);
    assert!(!html.contains("<img") && !html.contains("\x1b"), "{html}");

    // CSV: no cell a spreadsheet runs as a formula, and it reads back as written.
    let csv_path = dir.path().join("h.csv");
    let mut c = denytrail();
    c.arg("report").arg(&input).arg("-o").arg(&csv_path);
    let (out, _, stderr) = run(c);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    for cell in csv_cells(&csv) {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "formula cell {cell:?}"
        );
    }
    let back = report(&csv_path, &["--format", "jsonl"]);
    let back: Vec<Finding> = back
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(back, hostile(), "CSV round trip");
    // JSON escapes the C0 control characters itself (C1 stays as JSON text: not a terminal
    // format).
    for format in ["json", "jsonl"] {
        let text = report(&input, &["--format", format]);
        assert!(!text.chars().any(|c| c < ' ' && c != '\n'), "{format}");
    }
}

/// The cells of a CSV text (RFC 4180 quoting), in order.
fn csv_cells(text: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cell.is_empty() => quoted = true,
            (',' | '\n', false) => cells.push(std::mem::take(&mut cell)),
            (c, _) => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

// ---------------------------------------------------------------- usage errors

#[test]
fn usage_errors_exit_64_and_say_their_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_jsonl(&dir.path().join("f.jsonl"), &hostile()[..1]);
    let input = input.display().to_string();
    let cases: [&[&str]; 6] = [
        &["analyze", "--since", "yesterday"],
        &["analyze", "--cause", "bogus"],
        &["analyze", "--since", "2026-11-10", "--until", "2026-11-01"],
        &["analyze", "--timeline", "--format", "markdown"],
        &["report", &input, "--principal", "[x"],
        &["report", &input, "--until", "tomorrow"],
    ];
    for args in cases {
        let mut c = denytrail();
        c.args(args);
        let (out, _, stderr) = run(c);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {stderr}");
        let line = stderr.lines().next().unwrap_or_default();
        // No part of the message said twice (thiserror's `{source}` and the chain).
        let parts: Vec<&str> = line.split(": ").collect();
        for (i, p) in parts.iter().enumerate() {
            assert!(
                !parts[i + 1..].contains(p),
                "{args:?} repeats {p:?}: {line}"
            );
        }
    }
}

#[test]
fn cause_is_case_insensitive_negation_works_and_a_partial_glob_gets_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_jsonl(&dir.path().join("f.jsonl"), &hostile());
    let count = |args: &[&str]| {
        let mut c = denytrail();
        c.arg("report")
            .arg(&input)
            .args(args)
            .args(["--format", "jsonl"]);
        let (out, stdout, stderr) = run(c);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        (stdout.lines().count(), stderr)
    };
    assert_eq!(count(&["--cause", "Missing_Allow"]).0, 10);
    assert_eq!(count(&["--cause", "!missing_allow"]).0, 0);
    assert_eq!(count(&["--principal", "!*user/<img*"]).0, 9);
    assert_eq!(count(&["--exclude-principal", "*user/<img*"]).0, 9);
    let (n, stderr) = count(&["--principal", "user/@SUM(1)"]);
    assert_eq!(n, 0);
    assert!(
        stderr.contains("must match the whole ARN") && stderr.contains("`*user/@SUM(1)*`"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------- the same event twice

#[test]
fn an_event_read_twice_counts_once() {
    // analyze: the same folder given twice (as two trails delivering the same events).
    let once = {
        let mut c = denytrail();
        c.args(["analyze", &sample(), "--format", "jsonl"]);
        run(c).1.lines().count()
    };
    let mut c = denytrail();
    c.args(["analyze", &sample(), &sample(), "--format", "jsonl"]);
    let (out, stdout, stderr) = run(c);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), once);
    assert!(
        stderr.contains(&format!("{once} duplicate events dropped")),
        "{stderr}"
    );

    // report: two saved files that overlap.
    let dir = tempfile::tempdir().unwrap();
    let all = hostile();
    let a = write_jsonl(&dir.path().join("a.jsonl"), &all[..7]);
    let b = write_jsonl(&dir.path().join("b.jsonl"), &all[3..]);
    let mut c = denytrail();
    c.arg("report").arg(&a).arg(&b).args(["--format", "json"]);
    let (out, stdout, stderr) = run(c);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["headline"]["total"], 10);
    assert!(stderr.contains("4 duplicate rows dropped"), "{stderr}");
}

// ---------------------------------------------------------------- the report's periods

fn by_cause(n: usize) -> Vec<Finding> {
    let causes = RootCause::ALL;
    (0..n)
        .map(|i| Finding {
            event_id: format!("e{i}"),
            event_time: Some(format!("2026-11-{:02}T10:00:00Z", 10 + i % 7)),
            principal_arn: Some(format!("arn:aws:iam::111122223333:user/u{}", i % 3)),
            bucket: Some("b".into()),
            root_cause: causes[i % causes.len()],
            caller_class: CallerClass::SameAccount,
            ..Default::default()
        })
        .collect()
}

#[test]
fn the_root_cause_section_is_never_cut_by_top() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_jsonl(&dir.path().join("f.jsonl"), &by_cause(60));
    let v: serde_json::Value =
        serde_json::from_str(&report(&input, &["--format", "json", "--top", "2"])).unwrap();
    let sections = v["sections"].as_array().unwrap();
    let causes = &sections[0];
    assert_eq!(causes["dimension"], "root cause");
    assert_eq!(
        causes["groups"].as_array().unwrap().len(),
        RootCause::ALL.len()
    );
    assert_eq!(
        sections[1]["groups"].as_array().unwrap().len(),
        2,
        "others cut"
    );
}

#[test]
fn a_period_never_ends_before_it_starts_and_says_what_it_covers() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_jsonl(&dir.path().join("f.jsonl"), &by_cause(30));
    // --since after every finding (an old file, --since 7d).
    let mut c = denytrail();
    c.arg("report")
        .arg(&input)
        .args(["--since", "7d", "--compare-previous", "--format", "json"]);
    let (out, stdout, stderr) = run(c);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("after the newest finding"), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let (from, to) = (v["period"]["from"].as_str(), v["period"]["to"].as_str());
    assert!(from <= to, "{from:?} → {to:?}");
    let now = chrono::Utc::now().to_rfc3339();
    let previous_to = v["comparison"]["previous"]["to"].as_str().unwrap_or("");
    assert!(previous_to <= now.as_str(), "previous period in the future");
    assert!(v["comparison"]["growth_pct"].is_null());
    assert!(v["comparison"]["note"].as_str().is_some(), "{v}");

    // A previous period the findings only partly cover (they start on Nov 10) is said so;
    // the periods are whole days.
    let v: serde_json::Value = serde_json::from_str(&report(
        &input,
        &[
            "--since",
            "2026-11-13T14:26:00Z",
            "--compare-previous",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(v["period"]["from"], "2026-11-13T00:00:00Z");
    assert_eq!(v["comparison"]["previous"]["from"], "2026-11-09T00:00:00Z");
    let note = v["comparison"]["note"].as_str().unwrap_or("");
    assert!(note.contains("start on 2026-11-10"), "{v}");
}

/// `explain` prints a record's key and user agent, which whoever sent the request chose: an
/// escape sequence (ESC, a carriage return) in them reaches the terminal escaped, never live.
#[test]
fn explain_text_keeps_hostile_record_text_inert() {
    let dir = tempfile::tempdir().unwrap();
    let record = serde_json::json!({"Records": [{
        "eventVersion": "1.09", "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
        "eventTime": "2026-11-20T09:00:00Z", "awsRegion": "us-east-1", "eventID": "hostile-1",
        "sourceIPAddress": "198.51.100.7", "userAgent": "curl\u{1b}]0;owned\u{7}",
        "userIdentity": {"type": "AWSAccount", "principalId": "", "accountId": "anonymous"},
        "requestParameters": {"bucketName": "dt-public-site", "key": "a\u{1b}[2J\rb.txt"},
        "errorCode": "AccessDenied", "errorMessage": "Access Denied",
        "recipientAccountId": "222222222222"
    }]});
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("t.json"), record.to_string()).unwrap();
    let mut c = denytrail();
    c.arg("explain")
        .arg("hostile-1")
        .arg(&logs)
        .arg("--snapshot")
        .arg(repo_root().join("sample-logs/snapshot"));
    let (out, stdout, stderr) = run(c);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("dt-public-site"), "{stdout}");
    no_terminal_control(&stdout, "explain");
}
