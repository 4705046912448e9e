//! Criterion benchmarks of the scan's hot path, on data generated here (nothing big is
//! committed): the byte pre-filter, the parse of one candidate, gzip inflation (flate2 streaming vs
//! libdeflate whole-buffer, the measurement behind the choice in the README), and one whole object.
//!
//! Run with `cargo bench --profile perf --bench scan` (never `--release` on 2 cores).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use denytrail::input::Origin;
use denytrail::scan::classify::{classify, Prefilter};
use denytrail::scan::decode::InflateBuf;
use denytrail::scan::{scan_object, ScanConfig, WorkBufs};
use denytrail::source::{Locator, LogObject};
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use std::hint::black_box;
use std::io::{Read, Write};
use std::sync::Arc;

/// A small deterministic generator (no dependency needed for bench data).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[(self.next() % 16) as usize]))
            .collect()
    }
}

/// One record shaped like CloudTrail's (and like gen_corpus.py's): ~1.5 KB minified.
fn record(r: &mut Lcg, denied: bool) -> String {
    let roll = r.next() % 100;
    let (source, name) = match roll {
        0..=44 => (
            "s3.amazonaws.com",
            ["GetObject", "HeadObject", "ListObjects", "PutObject"][(r.next() % 4) as usize],
        ),
        45..=64 => ("sts.amazonaws.com", "AssumeRole"),
        65..=84 => ("ec2.amazonaws.com", "DescribeInstances"),
        _ => ("kms.amazonaws.com", "Decrypt"),
    };
    let (source, name) = if denied {
        ("s3.amazonaws.com", "GetObject")
    } else {
        (source, name)
    };
    let error = if denied {
        r#","errorCode":"AccessDenied","errorMessage":"Access Denied""#
    } else {
        ""
    };
    format!(
        r#"{{"eventVersion":"1.09","userIdentity":{{"type":"AssumedRole","principalId":"AROA{p}:i-0{s}","arn":"arn:aws:sts::111122223333:assumed-role/app-reader/i-0{s}","accountId":"111122223333","accessKeyId":"ASIA{k}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROA{p}","arn":"arn:aws:iam::111122223333:role/app-reader","accountId":"111122223333","userName":"app-reader"}},"attributes":{{"creationDate":"2026-11-02T08:14:51Z","mfaAuthenticated":"false"}}}}}},"eventTime":"2026-11-16T00:0{m}:1{m}Z","eventSource":"{source}","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"52.{a}.{b}.{c}","userAgent":"[aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.amzn.2023 prompt/off command/s3.cp]","requestParameters":{{"bucketName":"prod-data-3333","Host":"prod-data-3333.s3.us-east-1.amazonaws.com","key":"data/logs/2026/part-{n}.parquet"}},"responseElements":null,"requestID":"{rq}","eventID":"{id}","readOnly":true,"resources":[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::prod-data-3333/data/logs/2026/part-{n}.parquet"}},{{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::prod-data-3333","accountId":"111122223333"}}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"s3.us-east-1.amazonaws.com"}},"additionalEventData":{{"SignatureVersion":"SigV4","x-amz-id-2":"{x}","bytesTransferredOut":{n}}}{error}}}"#,
        p = r.hex(17),
        s = r.hex(16),
        k = r.hex(16),
        m = r.next() % 10,
        a = r.next() % 256,
        b = r.next() % 256,
        c = r.next() % 256,
        n = r.next() % 100_000,
        rq = r.hex(16),
        id = r.hex(32),
        x = r.hex(60),
    )
}

/// A delivery document of `n` records, 1 % denied.
fn delivery(n: usize, seed: u64) -> Vec<u8> {
    let mut r = Lcg(seed);
    let recs: Vec<String> = (0..n).map(|i| record(&mut r, i % 100 == 7)).collect();
    format!(r#"{{"Records":[{}]}}"#, recs.join(",")).into_bytes()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(data).unwrap_or_default();
    e.finish().unwrap_or_default()
}

fn prefilter(c: &mut Criterion) {
    let mut r = Lcg(1);
    let recs: Vec<String> = (0..2000).map(|_| record(&mut r, false)).collect();
    let bytes: usize = recs.iter().map(String::len).sum();
    let p = Prefilter::get();
    let mut g = c.benchmark_group("prefilter");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("is_candidate per record", |b| {
        b.iter(|| {
            recs.iter()
                .filter(|r| p.is_candidate(black_box(r.as_bytes())))
                .count()
        })
    });
    g.bench_function("is_s3_source per record", |b| {
        b.iter(|| {
            recs.iter()
                .filter(|r| p.is_s3_source(black_box(r.as_bytes())))
                .count()
        })
    });
    g.finish();
}

fn parse_candidate(c: &mut Criterion) {
    let rec = record(&mut Lcg(2), true);
    let origin = Origin {
        object: Arc::from("bench"),
        record_index: Some(0),
    };
    let mut g = c.benchmark_group("parse candidate");
    g.throughput(Throughput::Bytes(rec.len() as u64));
    let mut scratch = Vec::new();
    let mut buffers = simd_json::Buffers::default();
    g.bench_function("simd-json tape + classify", |b| {
        b.iter(|| {
            scratch.clear();
            scratch.extend_from_slice(rec.as_bytes());
            let tape = simd_json::to_tape_with_buffers(&mut scratch, &mut buffers);
            tape.map(|t| {
                matches!(
                    classify(t.as_value(), &origin),
                    denytrail::scan::classify::Class::Denial
                )
            })
        })
    });
    g.bench_function("serde_json into Event (kept records only)", |b| {
        b.iter(|| {
            serde_json::from_slice::<denytrail::record::Event>(black_box(rec.as_bytes())).is_ok()
        })
    });
    g.finish();
}

fn inflate(c: &mut Criterion) {
    let doc = delivery(3000, 3);
    let z = gzip(&doc);
    let mut g = c.benchmark_group("inflate");
    g.throughput(Throughput::Bytes(doc.len() as u64));
    g.bench_function("flate2 streaming, 64 KiB reads", |b| {
        let mut chunk = vec![0u8; 64 * 1024];
        b.iter(|| {
            let mut d = MultiGzDecoder::new(z.as_slice());
            let mut total = 0usize;
            while let Ok(n) = d.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                total += n;
            }
            total
        })
    });
    let mut buf = InflateBuf::default();
    g.bench_function("InflateBuf: libdeflate whole buffer, reused", |b| {
        b.iter(|| {
            buf.inflate(&z, usize::MAX >> 1);
            buf.doc().len()
        })
    });
    g.bench_function("flate2 read_to_end, fresh Vec", |b| {
        b.iter(|| {
            let mut v = Vec::new();
            let _ = MultiGzDecoder::new(z.as_slice()).read_to_end(&mut v);
            v.len()
        })
    });
    g.finish();
}

fn whole_object(c: &mut Criterion) {
    let doc = delivery(3000, 4);
    let z = gzip(&doc);
    let object = LogObject {
        name: Arc::from("bench.json.gz"),
        size: Some(z.len() as u64),
        locator: Locator::Inline(Arc::from(z.as_slice())),
    };
    let cfg = ScanConfig::default();
    let mut bufs = WorkBufs::default();
    let mut g = c.benchmark_group("scan object");
    g.throughput(Throughput::Bytes(doc.len() as u64));
    g.bench_function("gzip delivery file, 1% denied", |b| {
        b.iter(|| scan_object(&object, &z, &cfg, &mut bufs).denials.len())
    });
    g.bench_function("plain delivery file, 1% denied", |b| {
        b.iter(|| scan_object(&object, &doc, &cfg, &mut bufs).denials.len())
    });
    g.finish();
}

criterion_group!(benches, prefilter, parse_candidate, inflate, whole_object);
criterion_main!(benches);
