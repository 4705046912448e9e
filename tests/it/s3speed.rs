//! `analyze s3://` under network latency, against moto behind a delay proxy
//! (tests/it/delay.rs): the same findings as without delay, connections reused, and (ignored
//! by default: a measurement, not a check) objects per second against delay and object size
//! for the README.

use crate::aws::{analyze_jsonl, isolate, sample_tree, upload};
use crate::delay::DelayProxy;
use crate::moto::{runtime, Moto};
use crate::util::denytrail;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// `analyze s3://` through a proxy that adds `delay` to every request.
fn analyze_through(
    moto: &Moto,
    delay: Duration,
    url: &str,
    extra: &[&str],
) -> (Option<i32>, String, String, DelayProxy, Duration) {
    let proxy = DelayProxy::start(moto.port(), delay);
    let mut c = denytrail();
    isolate(&mut c);
    c.args(["analyze", "--endpoint-url", &proxy.endpoint()]);
    let t = Instant::now();
    let (code, stdout, stderr) = analyze_jsonl(c, url, extra);
    (code, stdout, stderr, proxy, t.elapsed())
}

/// With 50 ms added to every request (what a GET of a small object from S3 costs), the run
/// gives the very same output as without delay: the concurrent listing, the adaptive
/// downloads and their completion order change nothing downstream (findings come in listing
/// order). And connections are reused: far fewer connections than requests.
#[test]
fn analyze_s3_under_50ms_of_latency_gives_the_same_findings() {
    let moto = crate::moto_or_skip!();
    let tree = sample_tree();
    runtime().block_on(upload(&moto, "slow-trail", &tree));
    let (code, fast, stderr, _, _) =
        analyze_through(&moto, Duration::ZERO, "s3://slow-trail/", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!fast.is_empty());
    let (code, slow, stderr, proxy, _) =
        analyze_through(&moto, Duration::from_millis(50), "s3://slow-trail/", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(slow, fast, "byte for byte");
    let (requests, connections) = (proxy.requests(), proxy.connections());
    assert!(
        requests >= tree.len() as u64,
        "every object was fetched through the proxy: {requests}"
    );
    assert!(
        connections * 2 <= requests,
        "connections are reused: {connections} connections for {requests} requests"
    );
    // A cap of one download at a time still gives the same output.
    let (code, capped, stderr, _, _) = analyze_through(
        &moto,
        Duration::from_millis(5),
        "s3://slow-trail/",
        &["--max-in-flight", "1", "--max-in-flight-mb", "1"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(capped, fast);

    // S3 asks to slow down (503 SlowDown on the first GET of every object): every request is
    // retried, the output is the same, and the run says it was throttled.
    let throttled = std::sync::Mutex::new(std::collections::HashSet::new());
    let proxy = crate::loopback::Loopback::start(
        std::sync::Arc::new(move |r: &crate::loopback::Request| {
            let first = r.method == "GET"
                && r.target.contains("x-id=GetObject")
                && throttled
                    .lock()
                    .map(|mut t| t.insert(r.target.clone()))
                    .unwrap_or(false);
            first.then(|| crate::loopback::Response {
                status: 503,
                content_type: "application/xml",
                body: "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>".into(),
            })
        }),
        Some(moto.port()),
    );
    let mut c = denytrail();
    isolate(&mut c);
    c.args(["analyze", "--endpoint-url", &proxy.endpoint()]);
    let (code, slowed, stderr) = analyze_jsonl(c, "s3://slow-trail/", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(slowed, fast);
    assert!(
        stderr.contains(&format!(
            "S3 answered 503 (SlowDown) {} time(s)",
            tree.iter()
                .filter(|(k, _)| k.contains("/CloudTrail/"))
                .count()
        )),
        "{stderr}"
    );
}

/// Downloads adapt: behind 50 ms per request, 400 objects start with 8 in flight (the
/// starting limit) and end with more, because objects per second grew with each step; with
/// `--max-in-flight 8` the run never has more than 8 requests out at once.
#[test]
fn analyze_s3_keeps_more_in_flight_while_it_pays_and_obeys_the_cap() {
    let moto = crate::moto_or_skip!();
    let sample = sample_tree()
        .into_iter()
        .find(|(k, _)| k.contains("/CloudTrail/"))
        .expect("a sample log file");
    let objects: Vec<(String, Vec<u8>)> = (0..400)
        .map(|i| {
            (
                format!(
                    "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/111122223333_CloudTrail_us-east-1_20261120T0000Z_{i:04}.json.gz"
                ),
                sample.1.clone(),
            )
        })
        .collect();
    runtime().block_on(upload(&moto, "many-small", &objects));
    let (code, _, stderr, proxy, _) =
        analyze_through(&moto, Duration::from_millis(50), "s3://many-small/", &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        proxy.peak() > 8,
        "the limit grew past its start of 8: peak {} requests at once",
        proxy.peak()
    );
    let (code, _, stderr, proxy, _) = analyze_through(
        &moto,
        Duration::from_millis(50),
        "s3://many-small/",
        &["--max-in-flight", "8"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(proxy.peak() <= 8, "capped: peak {}", proxy.peak());
}

/// A gzip CloudTrail file holding the records of `sample` repeated until it is at least
/// `bytes` long uncompressed.
fn grown(sample: &[u8], bytes: usize) -> Vec<u8> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(sample)
        .read_to_string(&mut text)
        .expect("gzip");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let records = doc["Records"].as_array().cloned().unwrap_or_default();
    let mut out = Vec::new();
    while serde_json::to_vec(&out).map(|v| v.len()).unwrap_or(0) < bytes && !records.is_empty() {
        out.extend(records.iter().cloned());
    }
    let body = serde_json::to_vec(&serde_json::json!({ "Records": out })).expect("json");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&body).expect("gzip");
    gz.finish().expect("gzip")
}

/// The README's table: objects per second of `analyze s3://` (debug build, moto on the same
/// machine) against the delay per request and the object size, with the default flags and
/// with `--max-in-flight 8` (what the run used before). Run it with
/// `cargo test --test it s3_objects_per_second -- --ignored --nocapture`; optional
/// `DENYTRAIL_BENCH_OBJECTS` (small objects, default 1000; a quarter as many large ones) and
/// `DENYTRAIL_BENCH_SIZES` (`small`, `large` or both, the default).
#[test]
#[ignore = "a measurement for the README, about two minutes"]
fn s3_objects_per_second_against_delay_and_size() {
    let moto = crate::moto_or_skip!();
    let n: usize = std::env::var("DENYTRAIL_BENCH_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let which = std::env::var("DENYTRAIL_BENCH_SIZES").unwrap_or_default();
    let sample = sample_tree()
        .into_iter()
        .find(|(k, _)| k.contains("/CloudTrail/") && k.ends_with(".json.gz"))
        .expect("a sample log file");
    let sizes: Vec<(&str, Vec<u8>, usize)> = [
        ("small", sample.1.clone(), n),
        ("large", grown(&sample.1, 1 << 20), n.div_ceil(4)),
    ]
    .into_iter()
    .filter(|(label, _, _)| which.is_empty() || which.contains(label))
    .collect();
    let rt = runtime();
    for (label, body, n) in &sizes {
        let objects: Vec<(String, Vec<u8>)> = (0..*n)
            .map(|i| {
                (
                    format!(
                        "AWSLogs/{:012}/CloudTrail/us-east-1/2026/11/20/{:012}_CloudTrail_us-east-1_20261120T0000Z_{i:06}.json.gz",
                        100_000_000_000u64 + (i % 20) as u64,
                        100_000_000_000u64 + (i % 20) as u64
                    ),
                    body.clone(),
                )
            })
            .collect();
        rt.block_on(upload(&moto, &format!("bench-{label}"), &objects));
    }
    println!(
        "| object size (gzip) | delay per request | flags | seconds | objects/s | vs no delay |"
    );
    println!("|---|---|---|---|---|---|");
    for (label, body, n) in &sizes {
        let url = format!("s3://bench-{label}/");
        for flags in [&[][..], &["--max-in-flight", "8"][..]] {
            let mut base = None;
            for delay_ms in [0u64, 20, 50, 100] {
                let (code, _, stderr, _, took) =
                    analyze_through(&moto, Duration::from_millis(delay_ms), &url, flags);
                assert_eq!(code, Some(0), "{stderr}");
                let secs = took.as_secs_f64();
                let base_secs = *base.get_or_insert(secs);
                println!(
                    "| {label} ({} KB) | {delay_ms} ms | {} | {secs:.2} | {:.0} | {:.2}x |",
                    body.len() / 1024,
                    if flags.is_empty() {
                        "default".to_owned()
                    } else {
                        flags.join(" ")
                    },
                    *n as f64 / secs,
                    secs / base_secs
                );
            }
        }
    }
}

/// The README's sharding numbers: a single `analyze s3://` against N shard processes run at
/// once plus the merge, over the same bucket behind 50 ms of delay per request (debug build,
/// moto and every process on this machine's 2 cores). Run it with
/// `cargo test --test it sharded_speedup -- --ignored --nocapture`; optional
/// `DENYTRAIL_BENCH_OBJECTS` (default 1000).
#[test]
#[ignore = "a measurement for the README, about a minute"]
fn sharded_speedup_against_a_single_run() {
    let moto = crate::moto_or_skip!();
    let n: usize = std::env::var("DENYTRAIL_BENCH_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let tree = sample_tree();
    // Distinct objects (the sample's files under more accounts and times), all with denials.
    let objects: Vec<(String, Vec<u8>)> = (0..n)
        .map(|i| {
            let (key, body) = &tree[i % tree.len()];
            (format!("{key}.{i:06}.json.gz"), body.clone())
        })
        .collect();
    runtime().block_on(upload(&moto, "shard-bench", &objects));
    runtime().block_on(upload(&moto, "shard-bench-out", &[]));
    let proxy = DelayProxy::start(moto.port(), Duration::from_millis(50));
    let base = || {
        let mut c = denytrail();
        isolate(&mut c);
        c.args(["analyze", "--endpoint-url", &proxy.endpoint()]);
        c
    };
    let t = Instant::now();
    let mut c = base();
    c.args([
        "s3://shard-bench/",
        "--snapshot",
        "sample-logs/snapshot",
        "--format",
        "jsonl",
    ]);
    let (o, single, _) = crate::util::run(c);
    assert!(o.status.code().is_some_and(|c| c == 0 || c == 2));
    let single_secs = t.elapsed().as_secs_f64();
    println!("| run | seconds | vs single |");
    println!("|---|---|---|");
    println!("| single run, {n} objects | {single_secs:.2} | 1.00x |");
    for shards in [2u32, 4] {
        let out = format!("s3://shard-bench-out/run-{shards}/");
        let t = Instant::now();
        let children: Vec<_> = (0..shards)
            .map(|i| {
                let mut c = base();
                c.args(["s3://shard-bench/", "--out", &out, "--allow-skipped"])
                    .args(["--shard", &format!("{i}/{shards}")])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null());
                c.spawn().expect("a shard starts")
            })
            .collect();
        for mut child in children {
            child.wait().expect("a shard ends");
        }
        let map_secs = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut c = base();
        c.args([
            "--from-shards",
            &out,
            "--snapshot",
            "sample-logs/snapshot",
            "--format",
            "jsonl",
        ]);
        let (_, merged, _) = crate::util::run(c);
        let reduce_secs = t.elapsed().as_secs_f64();
        assert_eq!(merged, single);
        println!(
            "| {shards} shards at once on this machine + merge | {map_secs:.2} + {reduce_secs:.2} | {:.2}x |",
            (map_secs + reduce_secs) / single_secs
        );
        // One machine per shard, as AWS Batch or Kubernetes would run them: each shard alone
        // (one after the other here), the run's map time being the slowest one's.
        let out = format!("s3://shard-bench-out/alone-{shards}/");
        let mut slowest = 0f64;
        for i in 0..shards {
            let t = Instant::now();
            let mut c = base();
            c.args(["s3://shard-bench/", "--out", &out, "--allow-skipped"])
                .args(["--shard", &format!("{i}/{shards}")]);
            let (o, _, stderr) = crate::util::run(c);
            assert_eq!(o.status.code(), Some(0), "{stderr}");
            slowest = slowest.max(t.elapsed().as_secs_f64());
        }
        println!(
            "| {shards} shards, one machine each (slowest shard alone) + merge | {slowest:.2} + {reduce_secs:.2} | {:.2}x |",
            (slowest + reduce_secs) / single_secs
        );
    }
}
