//! Amazon Security Lake as input: the sample trail written as Security Lake would write it
//! (OCSF rows in Parquet, `aws/SOURCE/VERSION/region=/accountId=/eventDay=` partitions), in
//! both OCSF generations, read from a folder and from S3 (moto), gives the findings the
//! CloudTrail JSON gives.
//!
//! The rows are made from the JSON records with the mapping OCSF publishes for CloudTrail
//! (`ocsf/examples`, `mappings/markdown/AWS/v1.1.0/CloudTrail/API Activity/README.md` and
//! `.../v1.0.0-rc.2/...`): `actor.user.uid` = `userIdentity.arn` and `uid_alt` =
//! `principalId` in 1.1.0, `uid` = `principalId` and `uuid` = `arn` in rc.2; `api.request.data`
//! = `requestParameters` in 1.1.0 only; "Any fields not present in an explicit mapping will be
//! mapped to the unmapped object" (both pages). AWS: management events are "API Activity,
//! Authentication, Account Change" with `metadata.version` 1.0.0-rc.2 in source version 1
//! (<https://docs.aws.amazon.com/security-lake/latest/userguide/open-cybersecurity-schema-framework.html>).
//! The generator is written from those tables, not from denytrail's reader.

use crate::moto::runtime;
use crate::util::{denytrail, repo_root, run};
use polars::prelude::{JsonFormat, JsonReader, ParquetWriter, SerReader};
use serde_json::{json, Map, Value};
use std::io::{Cursor, Read};
use std::path::Path;
use std::process::Command;

#[derive(Clone, Copy, PartialEq)]
enum Ocsf {
    Rc2,
    V1_1,
}

/// The userIdentity fields the tables map; every other leaf goes to `unmapped` by its path.
const MAPPED_IDENTITY: [&str; 10] = [
    "type",
    "principalId",
    "arn",
    "accountId",
    "accessKeyId",
    "userName",
    "invokedBy",
    "sessionContext.sessionIssuer.arn",
    "sessionContext.attributes.mfaAuthenticated",
    "sessionContext.attributes.creationDate",
];

/// Top-level CloudTrail fields the tables map (per version); the rest go to `unmapped`.
fn mapped_top(v: Ocsf) -> Vec<&'static str> {
    let mut m = vec![
        "eventVersion",
        "userIdentity",
        "eventTime",
        "eventSource",
        "eventName",
        "awsRegion",
        "sourceIPAddress",
        "userAgent",
        "errorCode",
        "errorMessage",
        "requestID",
        "eventID",
        "apiVersion",
        "vpcEndpointId",
        "resources",
        "eventCategory",
    ];
    if v == Ocsf::V1_1 {
        m.extend(["requestParameters", "responseElements", "eventType"]);
    }
    m
}

fn ms(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t)
        .unwrap_or_else(|e| panic!("{t}: {e}"))
        .timestamp_millis()
}

/// A JSON value as `unmapped` (a map of strings) holds it.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Leaves of `v` under `prefix` (dotted paths).
fn leaves(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                leaves(&format!("{prefix}.{k}"), x, out);
            }
        }
        Value::Null => {}
        other => out.push((prefix.to_owned(), other.clone())),
    }
}

/// One CloudTrail record as the OCSF row Security Lake writes for it.
fn ocsf_row(r: &Value, v: Ocsf) -> Value {
    let s = |k: &str| r.get(k).filter(|x| !x.is_null()).cloned();
    let ui = r.get("userIdentity").cloned().unwrap_or(Value::Null);
    let at = |path: &str| -> Option<Value> {
        let mut x = &ui;
        for k in path.split('.') {
            x = x.get(k)?;
        }
        (!x.is_null()).then(|| x.clone())
    };
    let mut row = Map::new();
    let put = |m: &mut Map<String, Value>, k: &str, x: Option<Value>| {
        if let Some(x) = x {
            m.insert(k.into(), x);
        }
    };
    // Security Lake splits management events over three classes ("API Activity,
    // Authentication, Account Change"); the actor and api fields are the same in all three.
    let source = r["eventSource"].as_str().unwrap_or_default();
    let name = r["eventName"].as_str().unwrap_or_default();
    let class = if source == "sts.amazonaws.com" && name.starts_with("AssumeRole") {
        3002
    } else if source == "iam.amazonaws.com" {
        3001
    } else if v == Ocsf::V1_1 {
        6003
    } else {
        3005
    };
    put(&mut row, "class_uid", Some(json!(class)));
    let mut product = Map::new();
    product.insert("name".into(), json!("CloudTrail"));
    product.insert("vendor_name".into(), json!("AWS"));
    put(&mut product, "version", s("eventVersion"));
    if let Some(c) = s("eventCategory") {
        product.insert("feature".into(), json!({ "name": c }));
    }
    let mut meta = Map::new();
    meta.insert("product".into(), Value::Object(product));
    put(&mut meta, "uid", s("eventID"));
    meta.insert(
        "version".into(),
        json!(if v == Ocsf::V1_1 {
            "1.1.0"
        } else {
            "1.0.0-rc.2"
        }),
    );
    if v == Ocsf::V1_1 {
        put(&mut meta, "event_code", s("eventType"));
    }
    row.insert("metadata".into(), Value::Object(meta));
    let time = r["eventTime"].as_str().expect("eventTime");
    row.insert("time".into(), json!(ms(time)));
    // actor
    let mut user = Map::new();
    put(&mut user, "type", at("type"));
    put(&mut user, "credential_uid", at("accessKeyId"));
    put(&mut user, "name", at("userName"));
    match v {
        Ocsf::V1_1 => {
            put(&mut user, "uid", at("arn"));
            put(&mut user, "uid_alt", at("principalId"));
            if let Some(a) = at("accountId") {
                user.insert("account".into(), json!({"uid": a}));
            }
        }
        Ocsf::Rc2 => {
            put(&mut user, "uuid", at("arn"));
            put(&mut user, "uid", at("principalId"));
            put(&mut user, "account_uid", at("accountId"));
        }
    }
    let mut actor = Map::new();
    if !user.is_empty() {
        actor.insert("user".into(), Value::Object(user));
    }
    put(&mut actor, "invoked_by", at("invokedBy"));
    let mut session = Map::new();
    put(
        &mut session,
        "issuer",
        at("sessionContext.sessionIssuer.arn"),
    );
    if let Some(m) = at("sessionContext.attributes.mfaAuthenticated") {
        let key = if v == Ocsf::V1_1 { "is_mfa" } else { "mfa" };
        session.insert(key.into(), json!(m == "true"));
    }
    if let Some(c) = at("sessionContext.attributes.creationDate") {
        let c = c.as_str().expect("creationDate");
        match v {
            Ocsf::V1_1 => session.insert("created_time_dt".into(), json!(c)),
            Ocsf::Rc2 => session.insert("created_time".into(), json!(ms(c))),
        };
    }
    if !session.is_empty() {
        actor.insert("session".into(), Value::Object(session));
    }
    if !actor.is_empty() {
        row.insert("actor".into(), Value::Object(actor));
    }
    // api
    let mut api = Map::new();
    put(&mut api, "operation", s("eventName"));
    put(&mut api, "version", s("apiVersion"));
    if let Some(src) = s("eventSource") {
        api.insert("service".into(), json!({ "name": src }));
    }
    let mut request = Map::new();
    put(&mut request, "uid", s("requestID"));
    let mut response = Map::new();
    put(&mut response, "error", s("errorCode"));
    put(&mut response, "message", s("errorMessage"));
    if v == Ocsf::V1_1 {
        put(
            &mut request,
            "data",
            s("requestParameters").map(|x| json!(x.to_string())),
        );
        put(
            &mut response,
            "data",
            s("responseElements").map(|x| json!(x.to_string())),
        );
    }
    if !request.is_empty() {
        api.insert("request".into(), Value::Object(request));
    }
    if !response.is_empty() {
        api.insert("response".into(), Value::Object(response));
    }
    row.insert("api".into(), Value::Object(api));
    let mut cloud = Map::new();
    cloud.insert("provider".into(), json!("AWS"));
    put(&mut cloud, "region", s("awsRegion"));
    row.insert("cloud".into(), Value::Object(cloud));
    if let Some(ua) = s("userAgent") {
        row.insert("http_request".into(), json!({ "user_agent": ua }));
    }
    let mut src = Map::new();
    if let Some(ip) = s("sourceIPAddress") {
        let is_ip = ip
            .as_str()
            .is_some_and(|i| i.parse::<std::net::IpAddr>().is_ok());
        src.insert((if is_ip { "ip" } else { "domain" }).into(), ip);
    }
    put(&mut src, "uid", s("vpcEndpointId"));
    if !src.is_empty() {
        row.insert("src_endpoint".into(), Value::Object(src));
    }
    if let Some(Value::Array(rs)) = s("resources") {
        let list: Vec<Value> = rs
            .iter()
            .map(|x| {
                let mut m = Map::new();
                put(&mut m, "uid", x.get("ARN").cloned());
                put(&mut m, "type", x.get("type").cloned());
                if let Some(a) = x.get("accountId").cloned() {
                    match v {
                        Ocsf::V1_1 => m.insert("owner".into(), json!({"account": {"uid": a}})),
                        Ocsf::Rc2 => m.insert("account_uid".into(), a),
                    };
                }
                Value::Object(m)
            })
            .collect();
        row.insert("resources".into(), Value::Array(list));
    }
    // unmapped: every other top-level field, and the identity's unmapped leaves.
    let mut unmapped: Vec<(String, String)> = Vec::new();
    if let Some(obj) = r.as_object() {
        for (k, x) in obj {
            if !mapped_top(v).contains(&k.as_str()) && !x.is_null() {
                unmapped.push((k.clone(), text(x)));
            }
        }
    }
    let mut id_leaves = Vec::new();
    leaves("userIdentity", &ui, &mut id_leaves);
    for (path, x) in id_leaves {
        let short = path.trim_start_matches("userIdentity.");
        if !MAPPED_IDENTITY.contains(&short) {
            unmapped.push((path, text(&x)));
        }
    }
    if !unmapped.is_empty() {
        // 1.1.0 as a Parquet MAP reads back (a list of key/value entries); rc.2 as a struct.
        row.insert(
            "unmapped".into(),
            match v {
                Ocsf::V1_1 => Value::Array(
                    unmapped
                        .into_iter()
                        .map(|(k, x)| json!({"key": k, "value": x}))
                        .collect(),
                ),
                Ocsf::Rc2 => {
                    Value::Object(unmapped.into_iter().map(|(k, x)| (k, json!(x))).collect())
                }
            },
        );
    }
    Value::Object(row)
}

/// Rows → a Parquet file, through polars' JSON reader (schema inferred from every row).
fn parquet(rows: &[Value]) -> Vec<u8> {
    let mut lines = Vec::new();
    for r in rows {
        lines.extend_from_slice(r.to_string().as_bytes());
        lines.push(b'\n');
    }
    let mut df = JsonReader::new(Cursor::new(lines))
        .with_json_format(JsonFormat::JsonLines)
        .infer_schema_len(None)
        .finish()
        .expect("rows read as a frame");
    let mut out = Vec::new();
    ParquetWriter::new(&mut out)
        .finish(&mut df)
        .expect("parquet written");
    out
}

/// The sample trail's records, file by file: (account, region, day, records).
fn sample_files() -> Vec<(String, String, String, Vec<Value>)> {
    let mut out = Vec::new();
    let root = repo_root().join("sample-logs/AWSLogs");
    let mut stack = vec![root];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    for p in files {
        let s = p.to_string_lossy().replace('\\', "/");
        if s.contains("CloudTrail-Digest") {
            continue;
        }
        let parts: Vec<&str> = s.split('/').collect();
        let at = parts
            .iter()
            .rposition(|c| *c == "CloudTrail")
            .expect("layout");
        let (account, region) = (parts[at - 1], parts[at + 1]);
        let day = format!("{}{}{}", parts[at + 2], parts[at + 3], parts[at + 4]);
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&p).expect("open"))
            .read_to_end(&mut text)
            .expect("gunzip");
        let doc: Value = serde_json::from_slice(&text).expect("json");
        let records = doc["Records"].as_array().cloned().unwrap_or_default();
        out.push((account.into(), region.into(), day, records));
    }
    out
}

/// The sample trail as a lake: (key, Parquet bytes). Data events go to `S3_DATA`, the rest to
/// `CLOUD_TRAIL_MGMT`, one file per source file and source, as Security Lake splits them.
fn lake_tree(v: Ocsf) -> Vec<(String, Vec<u8>)> {
    let version = if v == Ocsf::V1_1 { "2.0" } else { "1.0" };
    let mut out = Vec::new();
    for (i, (account, region, day, records)) in sample_files().into_iter().enumerate() {
        for source in ["CLOUD_TRAIL_MGMT", "S3_DATA"] {
            let rows: Vec<Value> = records
                .iter()
                .filter(|r| (r["eventCategory"] == "Data") == (source == "S3_DATA"))
                .map(|r| ocsf_row(r, v))
                .collect();
            if rows.is_empty() {
                continue;
            }
            let key = format!(
                "aws/{source}/{version}/region={region}/accountId={account}/eventDay={day}/part-{i:03}.gz.parquet"
            );
            out.push((key, parquet(&rows)));
        }
    }
    assert!(out.len() > 10, "the sample trail has files");
    out
}

fn write_tree(dir: &Path, tree: &[(String, Vec<u8>)]) {
    for (key, bytes) in tree {
        let p = dir.join(key);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
    }
}

/// Findings as sorted JSON lines without the two fields that say where the event was read
/// (`source_object`, `record_index`: a lake splits a trail file into two sources).
fn findings(stdout: &str) -> Vec<String> {
    let mut v: Vec<String> = stdout
        .lines()
        .map(|l| {
            let mut f: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            if let Some(o) = f.as_object_mut() {
                o.remove("source_object");
                o.remove("record_index");
            }
            f.to_string()
        })
        .collect();
    v.sort();
    v
}

fn analyze(mut c: Command, input: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    c.arg(input)
        .args(["--snapshot", "sample-logs/snapshot", "--format", "jsonl"])
        .args(extra);
    let (out, stdout, stderr) = run(c);
    (out.status.code(), stdout, stderr)
}

fn json_findings(extra: &[&str]) -> Vec<String> {
    let mut c = denytrail();
    c.arg("analyze");
    let (code, out, err) = analyze(c, "sample-logs/AWSLogs", extra);
    assert_eq!(code, Some(0), "{err}");
    findings(&out)
}

fn lake_findings(dir: &Path, extra: &[&str]) -> (Vec<String>, String) {
    let mut c = denytrail();
    c.arg("analyze");
    let (code, out, err) = analyze(c, &dir.to_string_lossy(), extra);
    assert_eq!(code, Some(0), "{err}");
    (findings(&out), err)
}

/// Both OCSF generations, read from a folder: the same findings as the JSON, every field but
/// where the event was read.
#[test]
fn a_local_lake_gives_the_findings_of_the_same_trail_in_json() {
    let want = json_findings(&[]);
    assert!(want.len() > 20, "the sample has denials");
    for v in [Ocsf::V1_1, Ocsf::Rc2] {
        let dir = tempfile::tempdir().expect("tempdir");
        write_tree(dir.path(), &lake_tree(v));
        let (got, _) = lake_findings(dir.path(), &[]);
        assert_eq!(
            got,
            want,
            "OCSF {}",
            if v == Ocsf::V1_1 {
                "1.1.0"
            } else {
                "1.0.0-rc.2"
            }
        );
        // `explain` reads the lake through the same scan: the same verdict as from the JSON.
        let id = serde_json::from_str::<Value>(&want[0]).expect("json")["event_id"]
            .as_str()
            .expect("event_id")
            .to_owned();
        let verdict = |input: &str| {
            let mut c = denytrail();
            c.args(["explain", &id, input, "--snapshot", "sample-logs/snapshot"]);
            c.args(["--format", "json"]);
            let (out, stdout, stderr) = run(c);
            assert_eq!(out.status.code(), Some(0), "{stderr}");
            let mut e: Value = serde_json::from_str(&stdout).expect("explain json");
            if let Some(f) = e.get_mut("finding").and_then(Value::as_object_mut) {
                f.remove("source_object");
                f.remove("record_index");
            }
            assert!(e["requests"].is_array(), "{e}");
            e
        };
        assert_eq!(
            verdict(&dir.path().to_string_lossy()),
            verdict("sample-logs/AWSLogs")
        );
    }
}

/// `--account`, `--region` and `--since/--until` prune the partitions as they prune
/// `AWSLogs/` folders: the same findings as the JSON with the same flags.
#[test]
fn partitions_are_pruned_like_trail_folders() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(dir.path(), &lake_tree(Ocsf::V1_1));
    for flags in [
        &["--account", "222222222222"][..],
        &["--region", "eu-west-1"][..],
        &["--since", "2026-11-19", "--until", "2026-11-19"][..],
    ] {
        let want = json_findings(flags);
        let (got, _) = lake_findings(dir.path(), flags);
        assert_eq!(got, want, "{flags:?}");
        assert!(
            got.len() < json_findings(&[]).len(),
            "{flags:?} prunes something"
        );
    }
}

/// A CloudTrail row without the API name cannot be a record: it is named with its file and
/// row, counted, and the run exits 2; the other rows are read.
#[test]
fn an_unusable_row_is_named_with_its_file_and_row() {
    let files = sample_files();
    let records = &files
        .iter()
        .find(|f| f.3.iter().any(|r| r["errorCode"] == "AccessDenied"))
        .expect("a file with a denial")
        .3;
    let mut rows: Vec<Value> = records.iter().map(|r| ocsf_row(r, Ocsf::V1_1)).collect();
    if let Some(api) = rows[1].get_mut("api").and_then(Value::as_object_mut) {
        api.remove("operation");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("rows.parquet");
    std::fs::write(&file, parquet(&rows)).expect("write");
    let mut c = denytrail();
    c.arg("analyze");
    let (code, _, err) = analyze(c, &file.to_string_lossy(), &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("rows.parquet record 1"), "{err}");
    assert!(err.contains("api.operation"), "{err}");
}

/// The lake in S3 (moto): the partitions are walked, other sources and table metadata are
/// not read, and the findings are the JSON's.
#[test]
fn a_lake_in_s3_gives_the_findings_of_the_same_trail_in_json() {
    let moto = crate::moto_or_skip!();
    let bucket = "aws-security-data-lake-us-east-1-test";
    let mut tree = lake_tree(Ocsf::V1_1);
    // Beside the CloudTrail sources: another source and Iceberg-style metadata, never read.
    tree.push((
        "aws/VPC_FLOW/2.0/region=us-east-1/accountId=111111111111/eventDay=20261119/x.parquet"
            .into(),
        b"not parquet".to_vec(),
    ));
    tree.push((
        "aws/CLOUD_TRAIL_MGMT/2.0/metadata/v1.metadata.json".into(),
        b"{}".to_vec(),
    ));
    runtime().block_on(async {
        let s3 = moto.s3().await;
        s3.create_bucket()
            .bucket(bucket)
            .send()
            .await
            .expect("create_bucket");
        for (key, body) in &tree {
            s3.put_object()
                .bucket(bucket)
                .key(key)
                .body(body.clone().into())
                .send()
                .await
                .expect("put_object");
        }
    });
    let want = json_findings(&[]);
    let c = crate::aws::denytrail_for(&moto, "analyze");
    let (code, out, err) = analyze(c, &format!("s3://{bucket}/"), &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(findings(&out), want);
    assert!(
        out.contains(&format!("\"source_object\":\"s3://{bucket}/aws/")),
        "{out}"
    );

    // Pruned while listing: one account, one day. Through a recording proxy: no request
    // (listing or download) touches another account's or an earlier day's partition, nor
    // the other source, nor the table metadata.
    let flags = [
        "--account",
        "111111111111",
        "--since",
        "2026-11-20",
        "--until",
        "2026-11-20",
    ];
    let proxy = crate::loopback::Loopback::start(std::sync::Arc::new(|_| None), Some(moto.port()));
    let mut c = denytrail();
    crate::aws::isolate(&mut c);
    c.args(["analyze", "--endpoint-url", &proxy.endpoint()]);
    let (code, out, err) = analyze(c, &format!("s3://{bucket}/"), &flags);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(findings(&out), json_findings(&flags));
    let targets: Vec<String> = proxy
        .requests()
        .iter()
        .map(|r| {
            percent_encoding::percent_decode_str(&r.target)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    assert!(
        targets.iter().any(|t| t.contains("eventDay=20261120/")),
        "{targets:#?}"
    );
    for unwanted in [
        "accountId=222222222222",
        "eventDay=20261119",
        "eventDay=20261118",
        "VPC_FLOW/",
        "metadata/",
    ] {
        assert!(
            !targets.iter().any(|t| t.contains(unwanted)),
            "{unwanted}: {targets:#?}"
        );
    }
}

/// A writer that keeps only the mapped fields (no `unmapped`: no `additionalEventData`,
/// `tlsDetails`, session issuer type, `recipientAccountId`, ...) loses pieces the diagnosis
/// may need: each finding is then the JSON's cause, or `unknown`, never another cause.
#[test]
fn without_unmapped_fields_a_cause_is_the_same_or_unknown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tree: Vec<(String, Vec<u8>)> = {
        let mut out = Vec::new();
        for (i, (account, region, day, records)) in sample_files().into_iter().enumerate() {
            let rows: Vec<Value> = records
                .iter()
                .map(|r| {
                    let mut row = ocsf_row(r, Ocsf::V1_1);
                    if let Some(o) = row.as_object_mut() {
                        o.remove("unmapped");
                    }
                    row
                })
                .collect();
            let key = format!(
                "aws/CLOUD_TRAIL_MGMT/2.0/region={region}/accountId={account}/eventDay={day}/p{i}.parquet"
            );
            out.push((key, parquet(&rows)));
        }
        out
    };
    write_tree(dir.path(), &tree);
    let cause = |l: &String| -> (String, String) {
        let f: Value = serde_json::from_str(l).expect("json");
        (
            f["event_id"].as_str().unwrap_or_default().to_owned(),
            f["root_cause"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let want: std::collections::HashMap<_, _> = json_findings(&[]).iter().map(cause).collect();
    let (got, _) = lake_findings(dir.path(), &[]);
    assert_eq!(got.len(), want.len());
    let mut differ = Vec::new();
    for (id, c) in got.iter().map(cause) {
        let w = want.get(&id).cloned().unwrap_or_default();
        if c != w && c != "unknown" {
            differ.push(format!("{id}: {w} -> {c}"));
        }
    }
    assert!(differ.is_empty(), "{differ:#?}");
}
