//! Sharded runs against the local S3 server (moto): N shard processes each scan their part of
//! the bucket's listing (`--shard I/N`, `--shard env` as AWS Batch and Kubernetes set it) and
//! write what they kept to a folder or an S3 prefix; `--from-shards` merges them. The merge's
//! output must equal a single run's over the same bucket byte for byte, and a missing shard
//! must be named (exit 2). A shard's files are Parquet, one folder per kind (Athena's table
//! locations), with the documented columns.

use crate::aws::{isolate, sample_tree, upload};
use crate::moto::{runtime, Moto};
use crate::util::{denytrail, run};
use polars::prelude::{DataType, ParquetReader, SerReader, TimeUnit, TimeZone};
use std::path::Path;
use std::process::{Command, Stdio};

const N: u32 = 4;

fn analyze(moto: &Moto) -> Command {
    let mut c = denytrail();
    isolate(&mut c);
    c.args(["analyze", "--endpoint-url", &moto.endpoint()]);
    c
}

/// The N shard processes, run at once (as an array job would); shard 0 reads its index from
/// AWS Batch's variables, shard 1 from a Kubernetes Indexed Job's, the others from `I/N`.
fn run_shards(moto: &Moto, out: &str, skip: Option<u32>) {
    let mut children = Vec::new();
    for i in (0..N).filter(|i| Some(*i) != skip) {
        let mut c = analyze(moto);
        c.args(["s3://org-trail/", "--out", out]);
        match i {
            0 => {
                c.args(["--shard", "env"])
                    .env("AWS_BATCH_JOB_ARRAY_INDEX", "0")
                    .env("AWS_BATCH_JOB_ARRAY_SIZE", N.to_string());
            }
            1 => {
                c.args(["--shard", "env", "--shards", &N.to_string()])
                    .env("JOB_COMPLETION_INDEX", "1");
            }
            _ => {
                c.args(["--shard", &format!("{i}/{N}")]);
            }
        }
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        children.push((i, c.spawn().expect("a shard process starts")));
    }
    for (i, child) in children {
        let out = child.wait_with_output().expect("the shard process ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "shard {i}: {stderr}");
        assert!(out.stdout.is_empty(), "a shard writes no findings");
        assert!(stderr.contains(&format!("shard {i}/{N}:")), "{stderr}");
    }
}

fn merged(moto: &Moto, from: &str, format: &str) -> (Option<i32>, String, String) {
    let mut c = analyze(moto);
    c.args(["--from-shards", from, "--snapshot", "sample-logs/snapshot"])
        .args(["--format", format]);
    let (out, stdout, stderr) = run(c);
    (out.status.code(), stdout, stderr)
}

/// 4 shards to a folder and to an S3 prefix, merged: the findings (JSON Lines) and the report
/// (table, scan counts included) equal the single run's byte for byte. Then one shard is
/// missing: it is named, the rest is merged, exit 2.
#[test]
fn four_shards_merged_equal_the_single_run_and_a_missing_one_is_named() {
    let moto = crate::moto_or_skip!();
    runtime().block_on(upload(&moto, "org-trail", &sample_tree()));
    runtime().block_on(upload(&moto, "shard-out", &[]));
    let single = |format: &str| {
        let mut c = analyze(&moto);
        c.args(["s3://org-trail/", "--snapshot", "sample-logs/snapshot"])
            .args(["--format", format]);
        let (out, stdout, stderr) = run(c);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        stdout
    };
    let (jsonl, table) = (single("jsonl"), single("table"));
    assert!(jsonl.lines().count() > 5, "the sample has denials: {jsonl}");

    let dir = tempfile::tempdir().expect("tempdir");
    let dir_out = dir.path().to_string_lossy().into_owned();
    for out in [dir_out.as_str(), "s3://shard-out/run-1/"] {
        run_shards(&moto, out, None);
        if out == dir_out {
            shard_files_are_parquet_tables(dir.path());
        }
        for (format, want) in [("jsonl", &jsonl), ("table", &table)] {
            let (code, got, stderr) = merged(&moto, out, format);
            assert_eq!(code, Some(0), "{out}: {stderr}");
            assert_eq!(&got, want, "{out}, --format {format}: byte for byte");
        }
    }

    // Local paths shard the same way; their listing also holds skips (a digest file, the
    // snapshot folder), each counted by one shard only: the table's counts match.
    let local = tempfile::tempdir().expect("tempdir");
    let local_out = local.path().to_string_lossy().into_owned();
    let local_single = {
        let mut c = denytrail();
        c.args([
            "analyze",
            "sample-logs",
            "--snapshot",
            "sample-logs/snapshot",
        ])
        .args(["--format", "table"]);
        let (out, stdout, stderr) = run(c);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        stdout
    };
    for i in 0..N {
        let mut c = denytrail();
        c.args(["analyze", "sample-logs", "--out", &local_out])
            .args(["--shard", &format!("{i}/{N}")]);
        let (out, _, stderr) = run(c);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
    }
    let (code, got, stderr) = merged(&moto, &local_out, "table");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(got, local_single);

    // Shard 2 never ran.
    let partial = tempfile::tempdir().expect("tempdir");
    let partial_out = partial.path().to_string_lossy().into_owned();
    run_shards(&moto, &partial_out, Some(2));
    let (code, got, stderr) = merged(&moto, &partial_out, "jsonl");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("1 of 4 shards missing") && stderr.contains("shard-00002-of-00004"),
        "{stderr}"
    );
    assert!(got.lines().count() < jsonl.lines().count());
    assert!(got.lines().all(|l| jsonl.lines().any(|w| w == l)));

    // A shard from another listing (another window) is named and not merged.
    let mut c = analyze(&moto);
    c.args([
        "s3://org-trail/",
        "--since",
        "2026-11-19",
        "--out",
        &partial_out,
    ])
    .args(["--shard", &format!("2/{N}")]);
    let (out, _, stderr) = run(c);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let (code, _, stderr) = merged(&moto, &partial_out, "jsonl");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("came from a different listing"), "{stderr}");
    assert!(!stderr.contains("shards missing"), "named once: {stderr}");
}

/// What the shards wrote under `out`: per kind one folder of Parquet files (a table's
/// location for Athena, which reads every file under it), every shard's rows there with the
/// documented columns; each kept row's `event_json` is the event its typed columns describe.
fn shard_files_are_parquet_tables(out: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(out)
        .expect("the output folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want: Vec<String> = (0..N).map(|i| format!("shard-{i:05}-of-{N:05}")).collect();
    want.extend(["evidence".to_owned(), "kept".to_owned()]);
    want.sort();
    assert_eq!(names, want, "no other file or folder under --out");
    let (mut kept_rows, mut evidence_rows) = (0, 0);
    for i in 0..N {
        let shard = format!("shard-{i:05}-of-{N:05}");
        let files: Vec<_> = std::fs::read_dir(out.join(&shard))
            .expect("the shard's folder")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(files, ["manifest.json"], "{shard}");
        let manifest: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.join(&shard).join("manifest.json")).expect("manifest"),
        )
        .expect("JSON");
        let read = |kind: &str| {
            let path = out.join(kind).join(format!("{shard}.parquet"));
            let file = std::fs::File::open(&path).expect("the shard's Parquet file");
            ParquetReader::new(file).finish().expect("a Parquet file")
        };
        let kept = read("kept");
        let columns: Vec<&str> = kept.get_column_names().iter().map(|c| c.as_str()).collect();
        assert_eq!(
            columns,
            [
                "object",
                "record_index",
                "event_time",
                "event_id",
                "event_source",
                "event_name",
                "error_code",
                "error_message",
                "aws_region",
                "recipient_account_id",
                "principal_account_id",
                "principal_arn",
                "bucket",
                "object_key",
                "source_ip",
                "vpc_endpoint_id",
                "event_json"
            ]
        );
        assert_eq!(
            kept.column("event_time").expect("event_time").dtype(),
            &DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
        );
        assert_eq!(manifest["kept_events"].as_u64(), Some(kept.height() as u64));
        let ids = kept
            .column("event_id")
            .expect("event_id")
            .str()
            .expect("text")
            .clone();
        let json = kept
            .column("event_json")
            .expect("json")
            .str()
            .expect("text")
            .clone();
        let objects = kept
            .column("object")
            .expect("object")
            .str()
            .expect("text")
            .clone();
        let sources = kept
            .column("event_source")
            .expect("source")
            .str()
            .expect("text")
            .clone();
        let rows = ids
            .iter()
            .zip(json.iter())
            .zip(objects.iter())
            .zip(sources.iter());
        for (((id, json), object), source) in rows {
            let event: serde_json::Value =
                serde_json::from_str(json.expect("event_json")).expect("JSON");
            assert_eq!(event["eventID"].as_str(), id);
            assert_eq!(event["eventSource"].as_str(), source);
            assert!(source.is_some_and(|s| s.starts_with("s3")), "{source:?}");
            assert!(object.expect("object").starts_with("s3://org-trail/"));
        }
        kept_rows += kept.height();
        let evidence = read("evidence");
        let columns: Vec<&str> = evidence
            .get_column_names()
            .iter()
            .map(|c| c.as_str())
            .collect();
        assert_eq!(columns, ["kind", "key", "event_id", "event_time", "value"]);
        assert_eq!(
            manifest["evidence_items"].as_u64(),
            Some(evidence.height() as u64)
        );
        evidence_rows += evidence.height();
    }
    assert!(kept_rows > 5, "the sample's denials are in the kept files");
    assert!(evidence_rows > 0, "the sample has side evidence");
}

/// Shards of the first, JSON Lines form (format 1, never released) are refused, saying to run
/// them again; so is a kept file that is not the one the manifest counted.
#[test]
fn shards_of_another_format_or_with_a_foreign_file_are_refused() {
    let out = tempfile::tempdir().expect("tempdir");
    let out_s = out.path().to_string_lossy().into_owned();
    for i in 0..2 {
        let mut c = denytrail();
        c.args(["analyze", "sample-logs", "--out", &out_s])
            .args(["--shard", &format!("{i}/2")]);
        let (o, _, stderr) = run(c);
        assert_eq!(o.status.code(), Some(0), "{stderr}");
    }
    let merge = || {
        let mut c = denytrail();
        c.args(["analyze", "--from-shards", &out_s]).args([
            "--snapshot",
            "sample-logs/snapshot",
            "--format",
            "jsonl",
        ]);
        run(c)
    };
    let (o, merged, stderr) = merge();
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(!merged.is_empty());

    // Shard 1's kept events replaced by shard 0's: the counts disagree.
    let kept = out.path().join("kept");
    let (k0, k1) = (
        kept.join("shard-00000-of-00002.parquet"),
        kept.join("shard-00001-of-00002.parquet"),
    );
    let original = std::fs::read(&k1).expect("kept file");
    std::fs::copy(&k0, &k1).expect("copied");
    let (o, _, stderr) = merge();
    assert_ne!(o.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("its manifest says"), "{stderr}");
    std::fs::write(&k1, original).expect("restored");

    let manifest = out.path().join("shard-00000-of-00002/manifest.json");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    std::fs::write(
        &manifest,
        text.replace(
            "\"denytrail_shard_format\": 2",
            "\"denytrail_shard_format\": 1",
        ),
    )
    .expect("written");
    let (o, _, stderr) = merge();
    assert_ne!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("shard format 1") && stderr.contains("run the shards again"),
        "{stderr}"
    );
}

#[test]
fn shard_flags_that_do_not_go_together_are_usage_errors() {
    for args in [
        &["analyze", "sample-logs", "--shard", "0/4"][..],
        &[
            "analyze",
            "sample-logs",
            "--shard",
            "4/4",
            "--out",
            "/tmp/x",
        ],
        &["analyze", "sample-logs", "--from-shards", "/tmp/x"],
        &[
            "analyze",
            "--from-shards",
            "/tmp/x",
            "--shard",
            "0/2",
            "--out",
            "/tmp/y",
        ],
        &["analyze", "sample-logs", "--out", "/tmp/x"],
        &[
            "analyze",
            "sample-logs",
            "--shard",
            "0/2",
            "--out",
            "/tmp/x",
            "--output",
            "f.jsonl",
        ],
        &[
            "analyze",
            "sample-logs",
            "--shard",
            "0/2",
            "--out",
            "sample-logs/runs",
        ],
    ] {
        let mut c = denytrail();
        c.args(args);
        let (out, _, stderr) = run(c);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {stderr}");
    }
}

/// The shipped recipes, run as written: the AWS Batch shard job definition's command (its
/// `Ref::` parameters filled in, the array index and size as AWS Batch sets them) for shards 0
/// and 1, the Kubernetes Indexed Job's args (JOB_COMPLETION_INDEX as Kubernetes sets it) for
/// shards 2 and 3, all with the test's bucket and output prefix in place of the examples';
/// then the Kubernetes merge Job's args with the sample snapshot in place of the one its init
/// container collects. The merged findings equal the single run's.
#[test]
fn the_deploy_recipes_commands_shard_and_merge_like_a_single_run() {
    let moto = crate::moto_or_skip!();
    runtime().block_on(upload(&moto, "org-trail", &sample_tree()));
    runtime().block_on(upload(&moto, "runs", &[]));
    let root = crate::util::repo_root().join("deploy");
    let read = |p: &str| std::fs::read_to_string(root.join(p)).expect("recipe file");
    let (logs, out) = ("s3://org-trail/AWSLogs/", "s3://runs/2026-11/");
    let ours = |arg: &str| {
        arg.replace("s3://my-trail-bucket/AWSLogs/", logs)
            .replace("s3://my-denytrail-runs/2026-11/", out)
            .replace("/snapshot/current", "sample-logs/snapshot")
    };
    // A command as the recipe gives it, run with the binary under test against moto.
    let command = |argv: &[String]| {
        assert_eq!(
            argv.first().map(String::as_str),
            Some("denytrail"),
            "{argv:?}"
        );
        let mut c = analyze(&moto);
        // `analyze` and --endpoint-url come from `analyze(&moto)`: the recipe's own
        // subcommand is checked and dropped.
        assert_eq!(argv.get(1).map(String::as_str), Some("analyze"), "{argv:?}");
        c.args(&argv[2..]);
        c
    };

    // AWS Batch: the shard job definition's command with its parameters.
    let batch: serde_json::Value =
        serde_json::from_str(&read("aws-batch/shard-job-definition.json")).expect("JSON");
    let params = &batch["parameters"];
    let batch_argv: Vec<String> = batch["containerProperties"]["command"]
        .as_array()
        .expect("command")
        .iter()
        .map(|a| {
            let a = a.as_str().expect("string");
            match a.strip_prefix("Ref::") {
                Some(p) => ours(params[p].as_str().expect("a parameter's default")),
                None => a.to_owned(),
            }
        })
        .collect();
    // Kubernetes: the Indexed Job's args and completions.
    let yaml_args = |text: &str, nth: usize| -> Vec<String> {
        let line = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("args:"))
            .nth(nth)
            .expect("an args: line");
        let v: Vec<String> = serde_json::from_str(line.trim()).expect("args as a flow list");
        std::iter::once("denytrail".to_owned())
            .chain(v.iter().map(|a| ours(a)))
            .collect()
    };
    let k8s = read("kubernetes/shards-job.yaml");
    let completions: u32 = k8s
        .lines()
        .find_map(|l| l.trim().strip_prefix("completions:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("completions");
    assert_eq!(completions, N);
    let k8s_argv = yaml_args(&k8s, 0);
    let shards_flag = k8s_argv
        .iter()
        .position(|a| a == "--shards")
        .and_then(|i| k8s_argv.get(i + 1))
        .expect("--shards");
    assert_eq!(
        shards_flag,
        &completions.to_string(),
        "--shards = completions"
    );

    let mut children = Vec::new();
    for i in 0..N {
        let mut c = if i < 2 {
            let mut c = command(&batch_argv);
            c.env("AWS_BATCH_JOB_ARRAY_INDEX", i.to_string())
                .env("AWS_BATCH_JOB_ARRAY_SIZE", N.to_string());
            c
        } else {
            let mut c = command(&k8s_argv);
            c.env("JOB_COMPLETION_INDEX", i.to_string());
            c
        };
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        children.push(c.spawn().expect("a shard starts"));
    }
    for child in children {
        let o = child.wait_with_output().expect("a shard ends");
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let merge_argv = yaml_args(&read("kubernetes/merge-job.yaml"), 1);
    let (o, merged, stderr) = run(command(&merge_argv));
    assert_eq!(o.status.code(), Some(0), "{stderr}");

    let mut c = analyze(&moto);
    c.args([logs, "--since", "2026-11-01", "--until", "2026-11-30"])
        .args(["--snapshot", "sample-logs/snapshot", "--format", "jsonl"]);
    let (o, single, stderr) = run(c);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(!single.is_empty());
    assert_eq!(merged, single, "byte for byte");
}
