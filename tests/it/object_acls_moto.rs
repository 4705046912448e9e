//! `denytrail snapshot --object-acls`: the ACLs of the objects the denials name, read from a
//! real moto server (get-object-acl is implemented there), with a loopback server in front
//! that answers Requester Pays (moto lacks it) and refuses one object's ACL as AWS would.
//! A child of `aws` for its moto helpers.

use super::*;
use crate::loopback::{Loopback, Response};
use denytrail::snapshot::object_acls::file_name;
use serde_json::json;

const DENIED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R1</RequestId></Error>"#;

/// Only the denied objects' ACLs are read, each written at its encoded name in the
/// get-object-acl shape; a refused call (AccessDenied) and a vanished object are recorded
/// skips (exit status 2), not failures; a successful event and a bucket call name nothing;
/// the folder loads and the ACL's public READ grant is there.
#[test]
fn snapshot_reads_the_acls_of_the_denied_objects() {
    let moto = crate::moto_or_skip!();
    runtime().block_on(async {
        let s3 = moto.s3().await;
        s3.create_bucket()
            .bucket("acl-data")
            .send()
            .await
            .expect("create_bucket");
        for (key, acl) in [
            ("Team/Q1 plan.csv", Some("public-read")),
            ("private", None),
            ("denied", None),
            ("read-ok", None),
        ] {
            let mut put = s3
                .put_object()
                .bucket("acl-data")
                .key(key)
                .body(b"x".to_vec().into());
            if let Some(a) = acl {
                put = put.acl(a.into());
            }
            put.send().await.expect("put_object");
        }
    });
    let proxy = Loopback::start(
        std::sync::Arc::new(|r: &crate::loopback::Request| {
            if r.target.contains("requestPayment") {
                return Some(Response {
                    status: 200,
                    content_type: "application/xml",
                    body: REQUEST_PAYMENT_ANSWER.to_owned(),
                });
            }
            (r.target.starts_with("/acl-data/denied?") && r.target.contains("acl")).then(|| {
                Response {
                    status: 403,
                    content_type: "application/xml",
                    body: DENIED.to_owned(),
                }
            })
        }),
        Some(moto.port()),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let denied = |key: &str| {
        json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "errorCode": "AccessDenied",
            "requestParameters": {"bucketName": "acl-data", "key": key}})
    };
    let logs = dir.path().join("trail.json");
    std::fs::write(
        &logs,
        json!({"Records": [
            denied("Team/Q1 plan.csv"), denied("private"), denied("denied"), denied("gone"),
            {"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "errorCode": "AccessDenied", "requestParameters": {"bucketName": "elsewhere", "key": "k"}},
            {"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "requestParameters": {"bucketName": "acl-data", "key": "read-ok"}},
            {"eventSource": "s3.amazonaws.com", "eventName": "ListObjects", "errorCode": "AccessDenied", "requestParameters": {"bucketName": "acl-data"}}
        ]})
        .to_string(),
    )
    .expect("write logs");
    let out = dir.path().join("snap");
    let mut c = denytrail();
    isolate(&mut c);
    c.args([
        "snapshot",
        "--region",
        "us-east-1",
        "--endpoint-url",
        &proxy.endpoint(),
        "--object-acls",
    ])
    .arg(&logs)
    .arg("--out")
    .arg(&out);
    let (status, stdout, stderr) = run(c);
    assert_eq!(
        status.status.code(),
        Some(2),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stderr.contains("s3:GetObjectAcl (object `denied` in bucket `acl-data`)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("s3:GetObjectAcl (object `gone` in bucket `acl-data`)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 object(s) are in buckets of no collected account"),
        "{stderr}"
    );
    let folder = out
        .join("accounts")
        .join(MOTO_ACCOUNT)
        .join("s3/acl-data/object-acls");
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .expect("object-acls/ written")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            file_name("Team/Q1 plan.csv", None),
            file_name("private", None)
        ]
    );
    let public = read_json(&folder.join(file_name("Team/Q1 plan.csv", None)));
    assert!(public["Owner"]["ID"].is_string(), "{public:#}");
    assert!(
        public["Grants"]
            .as_array()
            .is_some_and(|g| g.iter().any(|g| g["Grantee"]["URI"]
                == "http://acs.amazonaws.com/groups/global/AllUsers"
                && g["Permission"] == "READ")),
        "{public:#}"
    );
    let (snap, problems) = denytrail::snapshot::Snapshot::load(&out).expect("loads");
    assert!(problems.is_empty(), "{problems:?}");
    let denytrail::policy::Known::Known(b) = snap.bucket("acl-data") else {
        panic!("bucket unknown")
    };
    assert_eq!(b.object_acls.len(), 2);
    assert!(b
        .object_acls
        .contains_key(&("Team/Q1 plan.csv".to_owned(), None)));
}
