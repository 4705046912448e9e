//! `denytrail report`: reports from saved findings. The numbers asserted here are computed
//! from the fixture by hand (see `fixture`), not copied from a run.

use crate::util::{denytrail, run};
use denytrail::findings::{CallerClass, Finding, RootCause};
use std::path::{Path, PathBuf};

/// 40 findings over Nov 10-13 2026: i % 4 picks the day, i % 3 == 0 is an SCP denial (else
/// missing_allow), i % 5 == 0 is an anonymous caller (else same account), principals
/// `user/u{i % 6}`, buckets `b{i % 2}`.
fn fixture() -> Vec<Finding> {
    (0..40)
        .map(|i| {
            let anonymous = i % 5 == 0;
            let cause = if i % 3 == 0 {
                RootCause::Scp
            } else {
                RootCause::MissingAllow
            };
            Finding {
                event_id: format!("ev-{i:03}"),
                event_time: Some(format!("2026-11-{:02}T08:{:02}:00Z", 10 + i % 4, i)),
                event_name: Some("GetObject".into()),
                action: Some("s3:GetObject".into()),
                principal_arn: Some(if anonymous {
                    "anonymous".into()
                } else {
                    format!("arn:aws:iam::111122223333:user/u{}", i % 6)
                }),
                principal_account: Some("111122223333".into()),
                resource_account: Some("111122223333".into()),
                bucket: Some(format!("b{}", i % 2)),
                key: Some("k".into()),
                resource_arn: Some(format!("arn:aws:s3:::b{}/k", i % 2)),
                source_ip: Some(format!("10.0.{}.1", i % 3)),
                root_cause: cause,
                remediation: Some(format!("fix {}", cause.as_str())),
                caller_class: if anonymous {
                    CallerClass::Anonymous
                } else {
                    CallerClass::SameAccount
                },
                ..Default::default()
            }
        })
        .collect()
}

fn write_jsonl(dir: &Path, findings: &[Finding]) -> PathBuf {
    let path = dir.join("findings.jsonl");
    let mut text = String::new();
    for f in findings {
        text.push_str(&serde_json::to_string(f).unwrap());
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn report_json(args: &[&str]) -> serde_json::Value {
    let mut c = denytrail();
    c.arg("report").args(args).args(["--format", "json"]);
    let (out, stdout, stderr) = run(c);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

fn expected_own_by_cause(findings: &[Finding]) -> (u64, u64) {
    let own = findings
        .iter()
        .filter(|f| f.caller_class == CallerClass::SameAccount);
    let scp = own
        .clone()
        .filter(|f| f.root_cause == RootCause::Scp)
        .count() as u64;
    (own.count() as u64 - scp, scp)
}

#[test]
fn json_report_counts_own_workloads_and_folds_anonymous() {
    let dir = tempfile::tempdir().unwrap();
    let all = fixture();
    let input = write_jsonl(dir.path(), &all);
    let v = report_json(&[input.to_str().unwrap()]);
    let h = &v["headline"];
    assert_eq!(h["total"], 40);
    assert_eq!(h["folded"], 8); // i % 5 == 0
    assert_eq!(h["own"], 32);
    let causes = &v["sections"][0]["groups"];
    let (missing, scp) = expected_own_by_cause(&all);
    assert_eq!(causes[0]["keys"][0], "missing_allow");
    assert_eq!(causes[0]["count"], missing);
    assert_eq!(causes[0]["top_fix"], "fix missing_allow");
    assert_eq!(causes[1]["keys"][0], "scp");
    assert_eq!(causes[1]["count"], scp);
    assert_eq!(v["folded"][0]["caller_class"], "anonymous");
    assert_eq!(v["folded"][0]["count"], 8);
    // Four days, each a stacked bar of own denials.
    let days: std::collections::BTreeSet<_> = v["daily"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["day"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(days.len(), 4);
    let daily_total: u64 = v["daily"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["count"].as_u64().unwrap())
        .sum();
    assert_eq!(daily_total, 32);
}

#[test]
fn jsonl_to_parquet_to_report_gives_the_same_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_jsonl(dir.path(), &fixture());
    let parquet = dir.path().join("f.parquet");
    let csv = dir.path().join("f.csv");
    for out in [&parquet, &csv] {
        let mut c = denytrail();
        c.arg("report").arg(&input).arg("-o").arg(out);
        let (o, _, stderr) = run(c);
        assert_eq!(o.status.code(), Some(0), "{stderr}");
    }
    let from_jsonl = report_json(&[input.to_str().unwrap()]);
    let from_parquet = report_json(&[parquet.to_str().unwrap()]);
    let from_csv = report_json(&[csv.to_str().unwrap()]);
    assert_eq!(from_jsonl, from_parquet);
    assert_eq!(from_jsonl, from_csv);
    // And the parquet file holds the rows themselves, back to identical jsonl.
    let mut c = denytrail();
    c.arg("report").arg(&parquet).args(["--format", "jsonl"]);
    let (_, stdout, _) = run(c);
    assert_eq!(stdout, std::fs::read_to_string(&input).unwrap());
}

#[test]
fn filters_select_by_cause_principal_and_cidr() {
    let dir = tempfile::tempdir().unwrap();
    let all = fixture();
    let input = write_jsonl(dir.path(), &all);
    let input = input.to_str().unwrap();
    let v = report_json(&[input, "--cause", "scp"]);
    let scp = all
        .iter()
        .filter(|f| f.root_cause == RootCause::Scp)
        .count();
    assert_eq!(v["headline"]["total"], scp as u64);
    let v = report_json(&[input, "--principal", "arn:aws:iam::*:user/u1"]);
    let u1 = all
        .iter()
        .filter(|f| f.principal_arn.as_deref() == Some("arn:aws:iam::111122223333:user/u1"))
        .count();
    assert_eq!(v["headline"]["total"], u1 as u64);
    let v = report_json(&[input, "--source-ip", "10.0.2.0/24", "--bucket", "b0"]);
    let n = all
        .iter()
        .filter(|f| f.source_ip.as_deref() == Some("10.0.2.1") && f.bucket.as_deref() == Some("b0"))
        .count();
    assert_eq!(v["headline"]["total"], n as u64);
}

#[test]
fn bad_input_line_is_named_counted_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_jsonl(dir.path(), &fixture());
    let mut text = std::fs::read_to_string(&input).unwrap();
    text.push_str("{\"truncated\n");
    std::fs::write(&input, text).unwrap();
    let mut c = denytrail();
    c.arg("report").arg(&input).args(["--format", "json"]);
    let (out, stdout, stderr) = run(c);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("findings.jsonl row 41"), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["headline"]["total"], 40);
}

#[test]
fn table_fits_100_columns_and_has_no_colour_when_piped() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_jsonl(dir.path(), &fixture());
    let mut c = denytrail();
    c.arg("report").arg(&input);
    let (out, stdout, _) = run(c);
    assert_eq!(out.status.code(), Some(0));
    assert!(!stdout.contains('\x1b'));
    for line in stdout.lines() {
        assert!(line.chars().count() <= 100, "{line}");
    }
    assert!(
        stdout.contains("40 denials: 32 from own workloads, 8 folded"),
        "{stdout}"
    );
    assert!(stdout.contains("missing_allow"), "{stdout}");
}

/// Finds Debian's chromium (or Google's) on PATH.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn headless(browser: &Path, profile: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

#[test]
fn html_report_is_self_contained_and_renders_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let all = fixture();
    let input = write_jsonl(dir.path(), &all);
    let html = dir.path().join("week.html");
    let mut c = denytrail();
    c.arg("report").arg(&input).arg("-o").arg(&html);
    let (out, _, stderr) = run(c);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let text = std::fs::read_to_string(&html).unwrap();
    // Nothing to fetch at view time: no script, stylesheet, image or font reference.
    for needle in ["<script", " src=", "<link", "url(", "@import", "href="] {
        assert!(!text.contains(needle), "the report references `{needle}`");
    }
    // One expandable group per cause, principal, bucket, ... row; the cause rows first.
    let (missing, scp) = expected_own_by_cause(&all);
    assert!(text.contains(&format!(r#"<span class="c">{missing}</span>"#)));
    assert!(text.contains(&format!(r#"<span class="c">{scp}</span>"#)));
    assert!(text.contains("<svg"), "the chart is inline SVG");

    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no chromium on PATH (apt-get install chromium); the HTML was checked as text only");
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", html.display());
    // The DOM as the browser parsed it: the groups and the chart survived parsing.
    let dom = headless(&browser, profile.path())
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("S3 access denied"), "{dom}");
    assert!(dom.matches("<details>").count() >= 2 + 6 + 2, "{dom}");
    assert!(dom.contains("<rect"), "the chart's bars are in the DOM");
    // And a screenshot: a page was painted (a blank page compresses to a few KB).
    let png = dir.path().join("week.png");
    let shot = headless(&browser, profile.path())
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,2000")
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
    assert!(
        bytes.len() > 30_000,
        "screenshot is {} bytes: blank?",
        bytes.len()
    );
}

#[test]
fn since_until_bound_the_period_and_timeline_marks_first_denials() {
    let dir = tempfile::tempdir().unwrap();
    let all = fixture();
    let input = write_jsonl(dir.path(), &all);
    let input = input.to_str().unwrap();
    // Nov 11 and 12 only: i % 4 == 1 or 2.
    let v = report_json(&[input, "--since", "2026-11-11", "--until", "2026-11-12"]);
    let n = (0..40).filter(|i| i % 4 == 1 || i % 4 == 2).count();
    assert_eq!(v["headline"]["total"], n as u64);
    assert_eq!(v["period"]["from"], "2026-11-11T00:00:00Z");

    let mut c = denytrail();
    c.arg("report")
        .arg(input)
        .args(["--timeline", "--format", "jsonl", "--principal", "*:user/*"]);
    let (out, stdout, stderr) = run(c);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let expected: Vec<&Finding> = all
        .iter()
        .filter(|f| f.caller_class == CallerClass::SameAccount)
        .collect();
    assert_eq!(rows.len(), expected.len());
    let times: Vec<&str> = rows
        .iter()
        .map(|r| r["event_time"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "time order");
    // One first denial per (principal, object) pair, each the earliest of its pair.
    let objects: std::collections::BTreeSet<_> = expected
        .iter()
        .map(|f| (f.principal_arn.clone(), f.resource_arn.clone()))
        .collect();
    assert!(objects.len() > 1);
    let firsts: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| r["first_for_pair"] == true)
        .collect();
    assert_eq!(firsts.len(), objects.len());
    for f in firsts {
        let earliest = rows
            .iter()
            .find(|r| {
                r["resource_arn"] == f["resource_arn"] && r["principal_arn"] == f["principal_arn"]
            })
            .unwrap();
        assert_eq!(earliest["event_id"], f["event_id"]);
    }
}

#[test]
fn account_filter_prunes_other_accounts_log_folders_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    // Two copies of the sample trail under two accounts' folders.
    let src = crate::util::repo_root().join("sample-logs/AWSLogs");
    let mut copied = 0;
    for entry in walk(&src) {
        let rel = entry.strip_prefix(&src).unwrap();
        let dst = dir.path().join("AWSLogs").join(rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &dst).unwrap();
        copied += 1;
    }
    assert!(copied >= 2, "sample-logs has a trail per account");
    let all_json = {
        let mut c = denytrail();
        c.arg("analyze").arg(dir.path()).args(["--format", "json"]);
        let (out, stdout, stderr) = run(c);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap()
    };
    let mut c = denytrail();
    c.arg("analyze")
        .arg(dir.path())
        .args(["--account", "333333333333", "--format", "json"]);
    let (out, stdout, stderr) = run(c);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let one: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    // The scan summary counts the folder it did not open.
    let mut c = denytrail();
    c.arg("analyze")
        .arg(dir.path())
        .args(["--account", "333333333333"]);
    let (_, table, _) = run(c);
    let skipped = table
        .lines()
        .find(|l| l.trim_start().starts_with("outside_account"))
        .unwrap_or_else(|| panic!("{table}"));
    let other_accounts = walk(&src)
        .iter()
        .filter(|p| !p.strip_prefix(&src).unwrap().starts_with("333333333333"))
        .count();
    assert!(
        skipped.contains(&format!("{other_accounts} objects")),
        "{skipped}"
    );
    let total = |v: &serde_json::Value| v["headline"]["total"].as_u64().unwrap();
    assert!(total(&one) > 0 && total(&one) < total(&all_json));
    // Every selected event involves the account.
    for g in one["sections"][7]["groups"].as_array().unwrap() {
        let keys = g["keys"].as_array().unwrap();
        assert!(keys.iter().any(|k| k == "333333333333"), "{g}");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn region_flag_prunes_other_regions_log_folders_on_local_paths_too() {
    // `--region` already limits an s3:// listing to that region's folders; on local paths it
    // must read exactly the same files: those under `CloudTrail/eu-west-1/`.
    let root = crate::util::repo_root().join("sample-logs/AWSLogs");
    let accounts: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let eu: Vec<PathBuf> = accounts
        .iter()
        .map(|a| a.join("CloudTrail/eu-west-1"))
        .filter(|p| p.is_dir())
        .collect();
    assert!(eu.len() >= 2, "sample-logs has eu-west-1 trails");
    let jsonl_ids = |c: &mut std::process::Command| {
        c.args(["--format", "jsonl"]);
        let (out, stdout, stderr) = run(std::mem::replace(c, denytrail()));
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let mut ids: Vec<String> = stdout
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event_id"].to_string())
            .collect();
        ids.sort();
        ids
    };
    let mut only_eu = denytrail();
    only_eu.arg("analyze").args(&eu);
    let expected = jsonl_ids(&mut only_eu);
    let mut pruned = denytrail();
    pruned
        .arg("analyze")
        .arg(&root)
        .args(["--region", "eu-west-1"]);
    let got = jsonl_ids(&mut pruned);
    let mut all = denytrail();
    all.arg("analyze").arg(&root);
    let everything = jsonl_ids(&mut all);
    assert!(!expected.is_empty() && expected.len() < everything.len());
    assert_eq!(got, expected);

    // The scan summary counts the files it did not open.
    let mut c = denytrail();
    c.arg("analyze").arg(&root).args(["--region", "eu-west-1"]);
    let (_, table, _) = run(c);
    // Digest files under `CloudTrail-Digest/us-east-1/` are pruned with the rest.
    let other_files = walk(&root)
        .iter()
        .filter(|p| p.components().any(|c| c.as_os_str() == "us-east-1"))
        .count();
    let line = table
        .lines()
        .find(|l| l.trim_start().starts_with("outside_region"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(line.contains(&format!("{other_files} objects")), "{line}");
}
