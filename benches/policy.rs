//! Policy engine throughput on a hot snapshot: one role session in an organization (3 SCP
//! levels, 2 RCP levels), 8 identity policies, a boundary, a bucket policy with the usual
//! perimeter conditions. `cargo bench --profile perf --no-default-features --bench policy`.
//! Criterion's "thrpt" line is requests per second on one core.
//!
//! Time is measured as the benchmark thread's own CPU time (`CLOCK_THREAD_CPUTIME_ID`),
//! not wall time: the build machine is shared (load averages of 10-17 on 2 cores were seen),
//! and wall time there measures the neighbours. On an idle machine the two agree.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use denytrail::policy::{
    AuthzInput, Context, Known, OrgLevel, Policy, PolicyRef, Principal, PrincipalKind, Request,
    VerdictCache,
};
use std::hint::black_box;

const A: &str = "111122223333";

fn pol(id: &str, json: &str) -> PolicyRef {
    match Policy::parse_ref(id, json) {
        Ok(p) => p,
        Err(e) => panic!("bench policy: {e}"),
    }
}

fn identity_policy(n: usize) -> PolicyRef {
    pol(
        &format!("arn:aws:iam::{A}:policy/app-{n}"),
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[
  {{"Sid":"Ec2{n}","Effect":"Allow","Action":["ec2:Describe*","ec2:Get*"],"Resource":"*"}},
  {{"Sid":"Logs{n}","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:*:{A}:log-group:/app/{n}:*"}},
  {{"Sid":"Read{n}","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::data-{n}/*"}},
  {{"Sid":"List{n}","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::data-{n}","Condition":{{"StringLike":{{"s3:prefix":["team/${{aws:PrincipalTag/team}}/*"]}}}}}},
  {{"Sid":"Kms{n}","Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"arn:aws:kms:us-east-1:{A}:key/*","Condition":{{"StringEquals":{{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}}}},
  {{"Sid":"NoDelete{n}","Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}}
]}}"#
        ),
    )
}

fn input() -> AuthzInput {
    let bucket = pol(
        "bucket-policy:data-3",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[
  {{"Sid":"DenyInsecure","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::data-3","arn:aws:s3:::data-3/*"],"Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}},
  {{"Sid":"DenyOutsideOrg","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::data-3/*","Condition":{{"StringNotEqualsIfExists":{{"aws:PrincipalOrgID":"o-abc123"}},"BoolIfExists":{{"aws:PrincipalIsAWSService":"false"}}}}}},
  {{"Sid":"DenyUnencryptedPut","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::data-3/*","Condition":{{"Null":{{"s3:x-amz-server-side-encryption":"true"}}}}}},
  {{"Sid":"Reader","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:role/reader"}},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::data-3","arn:aws:s3:::data-3/*"]}},
  {{"Sid":"Office","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::data-3/public/*","Condition":{{"IpAddress":{{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}}}}},
  {{"Sid":"Vpce","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::data-3/*","Condition":{{"StringEquals":{{"aws:SourceVpce":["vpce-1","vpce-2"]}}}}}}
]}}"#
        ),
    );
    let full = pol(
        "p-FullAWSAccess",
        r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    );
    let scp_deny = pol(
        "p-guardrails",
        r#"{"Statement":[
  {"Sid":"Regions","Effect":"Deny","NotAction":["iam:*","sts:*","s3:*","cloudfront:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}},
  {"Sid":"NoLeave","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"},
  {"Sid":"Protect","Effect":"Deny","Action":["iam:*"],"Resource":"arn:aws:iam::*:role/admin","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/break-glass"}}}
]}"#,
    );
    let rcp_full = pol(
        "p-RCPFullAWSAccess",
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#,
    );
    let rcp_tls = pol(
        "p-rcp-tls",
        r#"{"Statement":[{"Sid":"EnforceTLS","Effect":"Deny","Principal":"*","Action":["s3:*","kms:*"],"Resource":"*","Condition":{"BoolIfExists":{"aws:SecureTransport":"false"}}}]}"#,
    );
    let lvl = |t: &str, p: Vec<PolicyRef>| OrgLevel::known(t, p);
    AuthzInput {
        identity: Known::Known((0..8).map(identity_policy).collect()),
        boundary: Known::Known(Some(pol(
            "arn:aws:iam::111122223333:policy/boundary",
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:*","kms:*","logs:*","ec2:Describe*"],"Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}"#,
        ))),
        session: Known::Known(None),
        resource: Known::Known(Some(bucket)),
        scp: Known::Known(Some(vec![
            lvl("r-root", vec![full.clone()]),
            lvl("ou-root-prod", vec![full.clone(), scp_deny]),
            lvl(A, vec![full]),
        ])),
        rcp: Known::Known(Some(vec![
            lvl("r-root", vec![rcp_full.clone(), rcp_tls]),
            lvl(A, vec![rcp_full]),
        ])),
        vpc_endpoint: Known::Known(None),
        access_point: None,
    }
}

fn request(key: usize) -> Request {
    let mut c = Context::default();
    c.set("aws:PrincipalArn", format!("arn:aws:iam::{A}:role/reader"));
    c.set("aws:PrincipalAccount", A);
    c.set("aws:PrincipalOrgID", "o-abc123");
    c.set("aws:PrincipalTag/team", "blue");
    c.set("aws:SecureTransport", "true");
    c.set("aws:SourceIp", "198.51.100.7");
    c.set("aws:RequestedRegion", "us-east-1");
    c.set("aws:CurrentTime", "2026-11-23T18:00:00Z");
    c.mark_absent("aws:SourceVpce");
    c.mark_absent("aws:PrincipalIsAWSService");
    c.mark_absent("s3:x-amz-server-side-encryption");
    Request {
        principal: Principal {
            kind: PrincipalKind::AssumedRole,
            arn: Some(format!("arn:aws:sts::{A}:assumed-role/reader/i-0abc")),
            account: Some(A.into()),
            role_arn: Some(format!("arn:aws:iam::{A}:role/reader")),
            service: None,
        },
        action: "s3:GetObject".into(),
        resource: format!("arn:aws:s3:::data-3/reports/{key}.csv"),
        resource_account: Some(A.into()),
        context: c,
    }
}

/// CPU time of the current thread, in nanoseconds (Linux).
struct ThreadCpu;

#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

extern "C" {
    fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
}

/// `CLOCK_THREAD_CPUTIME_ID` on Linux.
const CLOCK_THREAD_CPUTIME_ID: i32 = 3;

fn thread_cpu_ns() -> u64 {
    let mut t = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec; the call only writes into it.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    (t.tv_sec as u64) * 1_000_000_000 + t.tv_nsec as u64
}

impl Measurement for ThreadCpu {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, i: u64) -> u64 {
        thread_cpu_ns().saturating_sub(i)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WallTime.formatter()
    }
}

fn bench(c: &mut Criterion<ThreadCpu>) {
    let input = input();
    let mut g = c.benchmark_group("authorize");
    g.throughput(Throughput::Elements(1));
    let r = request(0);
    // The scenario must be the interesting one: allowed after every layer was consulted.
    assert_eq!(
        denytrail::policy::authorize(&r, &input).decision,
        denytrail::policy::Decision::Allow
    );
    g.bench_function("uncached", |b| {
        b.iter(|| black_box(denytrail::policy::authorize(black_box(&r), &input)))
    });
    let cache = VerdictCache::new(100_000);
    g.bench_function("cached_hot", |b| {
        b.iter(|| black_box(cache.authorize(black_box(&r), &input)))
    });
    let reqs: Vec<Request> = (0..1000).map(request).collect();
    let cache = VerdictCache::new(100_000);
    g.bench_with_input(
        BenchmarkId::new("cached_1000_objects", 1000),
        &reqs,
        |b, reqs| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % reqs.len();
                black_box(cache.authorize(&reqs[i], &input))
            })
        },
    );
    g.finish();

    let mut g = c.benchmark_group("parse");
    let doc = input.resource.clone();
    let Known::Known(Some(bucket)) = doc else {
        return;
    };
    let text = bucket.document.to_string();
    g.throughput(Throughput::Elements(1));
    g.bench_function("bucket_policy", |b| {
        b.iter(|| black_box(Policy::parse("b", black_box(text.as_str()))))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = bench
}
criterion_main!(benches);
