//! Sharded runs against the local S3 server (moto): N shard processes each scan their part of
//! the bucket's listing (`--shard I/N`, `--shard env` as AWS Batch and Kubernetes set it) and
//! write what they kept to a folder or an S3 prefix; `--from-shards` merges them. The merge's
//! output must equal a single run's over the same bucket byte for byte, and a missing shard
//! must be named (exit 2).

use crate::aws::{isolate, sample_tree, upload};
use crate::moto::{runtime, Moto};
use crate::util::{denytrail, run};
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
        for (format, want) in [("jsonl", &jsonl), ("table", &table)] {
            let (code, got, stderr) = merged(&moto, out, format);
            assert_eq!(code, Some(0), "{out}: {stderr}");
            assert_eq!(&got, want, "{out}, --format {format}: byte for byte");
        }
    }

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
    ] {
        let mut c = denytrail();
        c.args(args);
        let (out, _, stderr) = run(c);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {stderr}");
    }
}
