//! The scan end to end through the binary: the real corpus against an independent count,
//! every shape, every kind of bad input (message, count, exit status), broken pipes.

use crate::util::{denytrail, repo_root, run};
use flate2::write::GzEncoder;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `../shared/corpus/real` beside the clone (worktrees sit one level deeper, under `wt/`).
fn corpus() -> PathBuf {
    let root = repo_root();
    let candidates = [
        root.join("../shared/corpus/real"),
        root.join("../../shared/corpus/real"),
    ];
    for c in &candidates {
        if c.is_dir() {
            return c.clone();
        }
    }
    panic!(
        "the real CloudTrail corpus is missing: expected it at {} (it is checked out beside \
         every clone of denytrail)",
        candidates[0].display()
    );
}

/// One minified CloudTrail record, `eventVersion` first as CloudTrail writes it.
fn rec(id: &str, source: &str, name: &str, code: Option<&str>) -> String {
    let code = code.map_or(String::new(), |c| {
        format!(r#","errorCode":"{c}","errorMessage":"Access Denied""#)
    });
    format!(
        r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"}},"eventTime":"2026-11-16T10:00:00Z","eventSource":"{source}","eventName":"{name}","awsRegion":"us-east-1","requestParameters":{{"bucketName":"b1","key":"k"}},"eventID":"{id}","recipientAccountId":"111122223333"{code}}}"#
    )
}

fn denied(id: &str) -> String {
    rec(id, "s3.amazonaws.com", "GetObject", Some("AccessDenied"))
}

fn delivery(records: &[String]) -> String {
    format!(r#"{{"Records":[{}]}}"#, records.join(","))
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Runs `analyze --format jsonl` on paths; returns (exit code, event ids, stderr).
fn jsonl(paths: &[&Path], extra: &[&str]) -> (Option<i32>, Vec<String>, String) {
    let mut c = denytrail();
    c.args(["analyze", "--format", "jsonl"])
        .args(extra)
        .args(paths);
    let (out, stdout, stderr) = run(c);
    let mut ids: Vec<String> = stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("each line is JSON");
            v["event_id"].as_str().unwrap_or("").to_owned()
        })
        .collect();
    ids.sort();
    (out.status.code(), ids, stderr)
}

/// Runs `analyze` (table) on paths; returns (exit code, stdout, stderr).
fn table(paths: &[&Path], extra: &[&str]) -> (Option<i32>, String, String) {
    let mut c = denytrail();
    c.arg("analyze").args(extra).args(paths);
    let (out, stdout, stderr) = run(c);
    (out.status.code(), stdout, stderr)
}

/// The count line of a skip kind in the table, e.g. `truncated_gzip 1 objects`.
fn skip_row(table: &str, kind: &str) -> Option<String> {
    table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(kind))
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

#[test]
fn real_corpus_matches_the_independent_count() {
    let corpus = corpus();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            !n.contains("_licenses") && !n.contains("policy-snapshots")
        })
        .collect();
    dirs.sort();
    let counter = corpus.join("../../tools/count_s3_403.py");
    let want = Command::new("python3")
        .arg(&counter)
        .args(&dirs)
        .output()
        .unwrap_or_else(|e| panic!("python3 {} must run: {e}", counter.display()));
    assert!(
        want.status.success(),
        "{}",
        String::from_utf8_lossy(&want.stderr)
    );
    let want: Vec<String> = String::from_utf8(want.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    let (code, got, stderr) = jsonl(&refs, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!want.is_empty());
    assert_eq!(got, want, "kept event ids differ from count_s3_403.py");
}

#[test]
fn every_shape_is_read_from_content_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "a.bin",
        gz(delivery(&[
            denied("gz-delivery"),
            rec("x", "ec2.amazonaws.com", "Run", None),
        ])
        .as_bytes()),
    );
    let pretty = serde_json::to_string_pretty(&serde_json::json!({
        "Records": [serde_json::from_str::<serde_json::Value>(&denied("pretty")).unwrap()]
    }))
    .unwrap();
    write(d, "b.txt", &pretty);
    write(
        d,
        "c.json",
        format!(
            "[{} ,\n {}]",
            denied("array"),
            rec("y", "s3.amazonaws.com", "GetObject", None)
        ),
    );
    write(
        d,
        "d.log",
        format!("{}\n{}\n", denied("lines-1"), denied("lines-2")),
    );
    let lookup =
        serde_json::json!({"Events": [{"EventId": "lookup", "CloudTrailEvent": denied("lookup")}]});
    write(d, "e.json", gz(lookup.to_string().as_bytes()));
    write(d, "f.json", denied("single"));
    let mut multi = gz(format!(r#"{{"Records":[{},"#, denied("multi-1")).as_bytes());
    multi.extend(gz(format!(r#"{}]}}"#, denied("multi-2")).as_bytes()));
    write(d, "g.json.gz", multi);
    let (code, ids, stderr) = jsonl(&[d], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        ids,
        [
            "array",
            "gz-delivery",
            "lines-1",
            "lines-2",
            "lookup",
            "multi-1",
            "multi-2",
            "pretty",
            "single"
        ]
    );
}

#[test]
fn every_403_code_is_kept_and_other_errors_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let codes = [
        "AccessDenied",
        "VpceAccessDenied",
        "AllAccessDisabled",
        "AccountProblem",
        "InvalidObjectState",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "RequestTimeTooSkewed",
    ];
    let mut recs: Vec<String> = codes
        .iter()
        .map(|c| rec(c, "s3.amazonaws.com", "GetObject", Some(c)))
        .collect();
    recs.push(rec(
        "nosuchkey",
        "s3.amazonaws.com",
        "GetObject",
        Some("NoSuchKey"),
    ));
    recs.push(rec(
        "kms",
        "kms.amazonaws.com",
        "Decrypt",
        Some("AccessDenied"),
    ));
    write(dir.path(), "t.json", delivery(&recs));
    let (code, ids, _) = jsonl(&[dir.path()], &[]);
    assert_eq!(code, Some(0));
    let mut want: Vec<String> = codes.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(ids, want);
}

#[test]
fn truncated_gzip_keeps_records_before_the_cut_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    // Enough records that the cut lands well after the first ones.
    let mut recs = vec![denied("before-cut")];
    for i in 0..400 {
        recs.push(rec(
            &format!("filler-{i}-{}", "z".repeat(i % 7)),
            "ec2.amazonaws.com",
            "Describe",
            None,
        ));
    }
    recs.push(denied("after-cut"));
    let z = gz(delivery(&recs).as_bytes());
    let p = write(dir.path(), "cut.json.gz", &z[..z.len() * 2 / 3]);
    let (code, ids, stderr) = jsonl(&[&p], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(ids, ["before-cut"]);
    let line = stderr
        .lines()
        .find(|l| l.contains("cut.json.gz"))
        .unwrap_or_default();
    assert!(
        line.starts_with(&format!(
            "denytrail: {}: gzip stream ends early",
            p.display()
        )) && line.contains("; "),
        "{stderr}"
    );
    let (code, out, _) = table(&[&p], &[]);
    assert_eq!(code, Some(2));
    assert_eq!(
        skip_row(&out, "truncated_gzip").as_deref(),
        Some("truncated_gzip 1 objects"),
        "{out}"
    );
    let (code, ids, _) = jsonl(&[&p], &["--allow-skipped"]);
    assert_eq!((code, ids.len()), (Some(0), 1));
}

#[test]
fn malformed_record_is_named_by_index_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let broken = denied("broken").replace(r#""eventTime":"#, r#""eventTime"::"#);
    let p = write(
        dir.path(),
        "m.log",
        format!("{}\n{broken}\n{}\n", denied("ok-0"), denied("ok-2")),
    );
    let (code, ids, stderr) = jsonl(&[&p], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(ids, ["ok-0", "ok-2"]);
    assert!(
        stderr.contains(&format!(
            "denytrail: {} record 1: malformed JSON",
            p.display()
        )),
        "{stderr}"
    );
    let (_, out, _) = table(&[&p], &[]);
    assert_eq!(
        skip_row(&out, "malformed_json").as_deref(),
        Some("malformed_json 1 records"),
        "{out}"
    );

    // In a delivery file the fast path hands the object to the general path, which names
    // the record.
    let p2 = write(
        dir.path(),
        "m2.json",
        delivery(&[denied("d-0"), broken.clone()]),
    );
    let (code, ids, stderr) = jsonl(&[&p2], &[]);
    assert_eq!((code, ids), (Some(2), vec!["d-0".to_string()]), "{stderr}");
    assert!(
        stderr.contains("m2.json record 1: malformed JSON"),
        "{stderr}"
    );
}

#[test]
fn empty_non_cloudtrail_and_unreadable_inputs_are_reported_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "empty.json", "");
    write(d, "other.json", r#"{"name":"not a trail","items":[1,2,3]}"#);
    write(d, "array.json", r#"[{"id":1},{"id":2}]"#);
    write(d, "good.json", delivery(&[denied("good")]));
    let missing = d.join("no-such-file.json");
    let (code, ids, stderr) = jsonl(&[d, &missing], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(ids, ["good"]);
    for want in [
        format!("denytrail: {}/empty.json: empty file;", d.display()),
        format!(
            "denytrail: {}/other.json: a JSON object that is not CloudTrail",
            d.display()
        ),
        format!(
            "denytrail: {}/array.json: JSON without CloudTrail records",
            d.display()
        ),
        format!("denytrail: {}: cannot read:", missing.display()),
    ] {
        assert!(stderr.contains(&want), "missing `{want}` in:\n{stderr}");
    }
    let (_, out, _) = table(&[d, &missing], &[]);
    assert_eq!(
        skip_row(&out, "empty_file").as_deref(),
        Some("empty_file 1 objects"),
        "{out}"
    );
    assert_eq!(
        skip_row(&out, "not_cloudtrail").as_deref(),
        Some("not_cloudtrail 2 objects"),
        "{out}"
    );
    assert_eq!(
        skip_row(&out, "unreadable").as_deref(),
        Some("unreadable 1 objects"),
        "{out}"
    );
}

#[cfg(unix)]
#[test]
fn directory_loops_and_broken_links_are_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "logs/a.json", delivery(&[denied("a")]));
    std::os::unix::fs::symlink(d.join("logs"), d.join("logs/loop")).unwrap();
    std::os::unix::fs::symlink(d.join("nowhere"), d.join("logs/dangling")).unwrap();
    let (code, ids, stderr) = jsonl(&[&d.join("logs")], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(ids, ["a"]);
    assert!(stderr.contains("logs/loop: folder loop"), "{stderr}");
    assert!(
        stderr.contains("logs/dangling: broken symbolic link"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("folder loop").count(), 1, "{stderr}");
}

#[test]
fn digests_insights_and_snapshots_are_skipped_on_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/16/digest.json.gz",
        gz(br#"{"awsAccountId":"111122223333","digestStartTime":"2026-11-16T00:00:00Z","logFiles":[]}"#),
    );
    let insight = r#"{"eventVersion":"1.07","eventTime":"2026-11-16T00:00:00Z","eventType":"AwsCloudTrailInsight","insightDetails":{}}"#;
    write(d, "insights.json", delivery(&[insight.to_string()]));
    write(
        d,
        "snap/snapshot.json",
        r#"{"taken_at":"2026-11-16T00:00:00Z"}"#,
    );
    write(
        d,
        "snap/accounts/1/iam.json",
        delivery(&[denied("inside-snapshot")]),
    );
    write(d, "logs.json", delivery(&[denied("kept")]));
    let (code, ids, stderr) = jsonl(&[d], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(ids, ["kept"]);
    // Intentional skips print nothing (the one line is the no-snapshot notice).
    let other: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.contains("no --snapshot given"))
        .collect();
    assert!(
        other.is_empty(),
        "intentional skips print nothing: {stderr}"
    );
    let (_, out, _) = table(&[d], &[]);
    assert_eq!(
        skip_row(&out, "digest_file").as_deref(),
        Some("digest_file 1 objects"),
        "{out}"
    );
    assert_eq!(
        skip_row(&out, "insights_event").as_deref(),
        Some("insights_event 1 records"),
        "{out}"
    );
    assert_eq!(
        skip_row(&out, "snapshot_folder").as_deref(),
        Some("snapshot_folder 1 objects"),
        "{out}"
    );
}

#[test]
fn since_and_until_prune_by_key_path_then_event_time() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let day = |dd: &str| format!("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/{dd}/f.json");
    let at = |id: &str, t: &str| denied(id).replace("2026-11-16T10:00:00Z", t);
    write(
        d,
        &day("10"),
        delivery(&[at("old", "2026-11-10T10:00:00Z")]),
    );
    write(
        d,
        &day("16"),
        delivery(&[
            at("early", "2026-11-16T01:00:00Z"),
            at("in", "2026-11-16T12:00:00Z"),
        ]),
    );
    let (code, ids, stderr) = jsonl(
        &[d],
        &["--since", "2026-11-16T06:00:00Z", "--until", "2026-11-16"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(ids, ["in"]);
    let (_, out, _) = table(&[d], &["--since", "2026-11-16T06:00:00Z"]);
    assert_eq!(
        skip_row(&out, "outside_window").as_deref(),
        Some("outside_window 1 objects"),
        "{out}"
    );
    let mut c = denytrail();
    c.args(["analyze", "--since", "yesterday-ish"]).arg(d);
    let (out, _, stderr) = run(c);
    // A usage error (issue 20): 64, as the help documents.
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(stderr.contains("--since"), "{stderr}");
}

#[test]
fn default_path_is_sample_logs_and_its_absence_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = denytrail();
    c.current_dir(dir.path()).arg("analyze");
    let (out, _, stderr) = run(c);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("no PATH given") && stderr.contains("sample-logs/"),
        "{stderr}"
    );
}

/// `denytrail analyze | head`: the rows are written as they are made, in every row format,
/// and a reader that goes away early is not an error (exit 0, nothing on stderr about it).
#[test]
fn a_closed_pipe_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let recs: Vec<String> = (0..3000).map(|i| denied(&format!("id-{i}"))).collect();
    for f in 0..4 {
        write(dir.path(), &format!("f{f}.json"), delivery(&recs));
    }
    let saved = tempfile::tempdir().unwrap();
    let findings = saved.path().join("findings.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_denytrail"))
        .args(["analyze", "--format", "jsonl", "-o"])
        .arg(&findings)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let (logs, saved) = (dir.path().as_os_str(), findings.as_os_str());
    let runs: [&[&std::ffi::OsStr]; 7] = [
        &[
            "analyze".as_ref(),
            "--format".as_ref(),
            "jsonl".as_ref(),
            logs,
        ],
        &[
            "analyze".as_ref(),
            "--format".as_ref(),
            "csv".as_ref(),
            logs,
        ],
        &[
            "analyze".as_ref(),
            "--format".as_ref(),
            "parquet".as_ref(),
            logs,
        ],
        // Rows sorted in time (the report path), then the report files of saved findings:
        // each writer wraps the closed pipe in an error of its own.
        &[
            "analyze".as_ref(),
            "--timeline".as_ref(),
            "--format".as_ref(),
            "jsonl".as_ref(),
            logs,
        ],
        &[
            "report".as_ref(),
            saved,
            "--format".as_ref(),
            "parquet".as_ref(),
        ],
        &[
            "report".as_ref(),
            saved,
            "--format".as_ref(),
            "csv".as_ref(),
        ],
        &[
            "report".as_ref(),
            saved,
            "--timeline".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
        ],
    ];
    for args in runs {
        let mut child = Command::new(env!("CARGO_BIN_EXE_denytrail"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 64];
        child
            .stdout
            .as_mut()
            .unwrap()
            .read_exact(&mut first)
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("pipe"),
            "{args:?}: {stderr}"
        );
    }
}

/// Kept events beyond `DENYTRAIL_SPILL_AFTER` wait in a temporary file until the scan ends
/// (scan/spill.rs), and a report's rows beyond `DENYTRAIL_REPORT_CHUNK` wait in another
/// (report/batches.rs): sending everything through those files must not change a byte of any
/// output, order included, on the sample logs and on the real records nobody here wrote (their
/// odd shapes must survive the trip through the files).
#[test]
fn spilled_events_give_the_same_output_as_events_kept_in_memory() {
    let corpus = corpus();
    for (format, input) in [
        ("jsonl", None),
        ("json", None),
        ("csv", None),
        ("html", None),
        ("jsonl", Some(&corpus)),
        ("json", Some(&corpus)),
    ] {
        let out = |budget: &str, chunk: &str| {
            let mut c = denytrail();
            c.args(["analyze", "--allow-skipped", "--format", format])
                .args(input)
                .env("DENYTRAIL_SPILL_AFTER", budget)
                .env("DENYTRAIL_REPORT_CHUNK", chunk);
            let (o, stdout, stderr) = run(c);
            assert_eq!(o.status.code(), Some(0), "{format} {budget}: {stderr}");
            stdout
        };
        let in_memory = out("1000000", "1000000");
        assert!(in_memory.lines().count() > 10, "{format}: {in_memory}");
        assert_eq!(out("0", "1"), in_memory, "{format}: everything spilled");
        assert_eq!(
            out("5", "1000000"),
            in_memory,
            "{format}: some in memory, some spilled"
        );
    }
}

/// When the temporary files cannot be created (a `TMPDIR` that does not exist), kept events and
/// side evidence stay in memory: a notice says so, and the output is the same as ever.
#[test]
fn an_unwritable_tmpdir_keeps_everything_in_memory_and_says_so() {
    let out = |tmpdir: Option<&str>| {
        let mut c = denytrail();
        c.args(["analyze", "--format", "jsonl"])
            .env("DENYTRAIL_SPILL_AFTER", "0");
        if let Some(t) = tmpdir {
            c.env("TMPDIR", t);
        }
        let (o, stdout, stderr) = run(c);
        assert_eq!(o.status.code(), Some(0), "{stderr}");
        (stdout, stderr)
    };
    let (normal, quiet) = out(None);
    assert!(!quiet.contains("temporary file"), "{quiet}");
    let (fallback, notice) = out(Some("/nonexistent/denytrail-tmp"));
    assert_eq!(fallback, normal);
    assert!(
        notice.contains("could not write kept events to a temporary file")
            && notice.contains("could not write side evidence to a temporary file"),
        "{notice}"
    );
}

/// Issue 20: a byte that is not UTF-8 in one field (CloudTrail can carry them in object keys
/// and user agents) no longer drops the whole denial: the record is read with the byte
/// replaced by U+FFFD, said once on stderr, and the run is complete (exit 0).
#[test]
fn a_record_with_bytes_that_are_not_utf8_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut rec = denied("bad-utf8").into_bytes();
    let at = rec
        .windows(4)
        .position(|w| w == b"\"k\"}")
        .expect("the key in the record");
    // The key "k" becomes "k\xff".
    rec.insert(at + 2, 0xff);
    let mut doc = b"{\"Records\":[".to_vec();
    doc.extend_from_slice(&rec);
    doc.extend_from_slice(b"]}");
    std::fs::write(dir.path().join("log.json"), &doc).unwrap();
    let (code, ids, stderr) = jsonl(&[dir.path()], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(ids, ["bad-utf8"]);
    assert!(stderr.contains("not UTF-8 replaced by U+FFFD"), "{stderr}");
}
