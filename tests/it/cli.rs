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
