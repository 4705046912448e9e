//! End to end: the sample's denials through S3 access points and a Multi-Region Access Point
//! (`sample-logs/AWSLogs/444444444444/...accesspoints.json.gz` against
//! `sample-logs/snapshot`, accounts 444444444444, the data lake, and 555555555555, a
//! partner), checked field by field; and the same records against snapshots that lack what
//! decides them.
//!
//! AWS's rules (S3 User Guide, access-points-policies.html): "For an application or user to be
//! able to access objects through an access point, both the access point and the underlying
//! bucket must permit the request"; "Permissions granted in an access point policy are only
//! effective if the underlying bucket also allows the same access"; Multi-Region Access Points
//! likewise (MultiRegionAccessPointPermissions.html).

use crate::util::{denytrail, repo_root, run};
use serde_json::Value;
use std::path::Path;

const LOGS: &str = "sample-logs/AWSLogs/444444444444";
const FINANCE: &str = "arn:aws:s3:us-east-1:444444444444:accesspoint/lake-finance";
const VPC_AP: &str = "arn:aws:s3:us-east-1:444444444444:accesspoint/lake-vpc";
const MRAP: &str = "arn:aws:s3::444444444444:accesspoint/mlake1234abcd.mrap";

fn analyze(snapshot: &Path) -> Vec<Value> {
    let mut c = denytrail();
    c.args(["analyze", LOGS, "--format", "jsonl", "--snapshot"])
        .arg(snapshot);
    let (out, stdout, stderr) = run(c);
    assert!(out.status.success(), "{stderr}");
    let mut v: Vec<Value> = stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    v.sort_by(|a, b| a["event_id"].as_str().cmp(&b["event_id"].as_str()));
    v
}

fn by_id<'a>(fs: &'a [Value], suffix: &str) -> &'a Value {
    fs.iter()
        .find(|f| f["event_id"].as_str().is_some_and(|i| i.ends_with(suffix)))
        .unwrap_or_else(|| panic!("finding {suffix} in {fs:#?}"))
}

fn sample() -> std::path::PathBuf {
    repo_root().join("sample-logs/snapshot")
}

/// Copies the sample snapshot so a test can take pieces away.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Each sample denial, by the rule that decides it.
#[test]
fn sample_access_point_denials() {
    let fs = analyze(&sample());
    assert_eq!(fs.len(), 5, "{fs:#?}");

    // 1. The access point policy's explicit Deny ("Restrictions that you include in an access
    //    point policy apply only to requests made through that access point").
    let f = by_id(&fs, "000000000001");
    assert_eq!(f["root_cause"], "access_point", "{f:#}");
    assert_eq!(f["deny_type"], "explicit");
    assert_eq!(f["policy_type"], "access_point");
    assert_eq!(f["policy_id"], FINANCE);
    assert_eq!(f["statement_sid"], "NoPiiThroughFinance");
    assert!(
        f["remediation"]
            .as_str()
            .is_some_and(|r| r.contains("NoPiiThroughFinance") && r.contains("/object/pii/")),
        "{f:#}"
    );

    // 2. Cross-account through an access point: the bucket delegates to the lake's access
    //    points, but the access point policy grants the partner nothing.
    let f = by_id(&fs, "000000000002");
    assert_eq!(f["root_cause"], "access_point", "{f:#}");
    assert_eq!(f["deny_type"], "implicit");
    assert_eq!(f["policy_id"], FINANCE);
    assert_eq!(f["statement_sid"], Value::Null);
    let r = f["remediation"].as_str().unwrap_or("");
    assert!(
        r.contains("put-access-point-policy")
            && r.contains(&format!("{FINANCE}/object/*"))
            && r.contains("partner-etl"),
        "{r}"
    );

    // 3. The Multi-Region Access Point (global host, alias as bucketName).
    let f = by_id(&fs, "000000000003");
    assert_eq!(f["root_cause"], "access_point", "{f:#}");
    assert_eq!(f["policy_id"], MRAP);
    assert_eq!(f["bucket"], "dt-lake-raw");

    // 4. An access point restricted to a VPC, called from another VPC's endpoint.
    let f = by_id(&fs, "000000000004");
    assert_eq!(f["root_cause"], "access_point", "{f:#}");
    assert_eq!(f["policy_id"], VPC_AP);
    assert!(
        f["reason"]
            .as_str()
            .is_some_and(|r| r.contains("vpc-0lake0001") && r.contains("vpc-0build0002")),
        "{f:#}"
    );

    // 5. The partner's own access point on the lake's bucket (cross-account access point
    //    ownership): the bucket neither grants nor delegates; the fix is the delegation.
    let f = by_id(&fs, "000000000005");
    assert_eq!(f["root_cause"], "missing_allow", "{f:#}");
    assert_eq!(f["policy_type"], "resource");
    assert_eq!(f["policy_id"], "bucket-policy:dt-lake-curated");
    assert!(
        f["remediation"]
            .as_str()
            .is_some_and(|r| r.contains("s3:DataAccessPointAccount") && r.contains("555555555555")),
        "{f:#}"
    );
}

/// Missing access point files are unknown, naming the files, never a definite cause; and a
/// failing bucket layer goes to `also` behind the access point.
#[test]
fn missing_files_are_unknown_and_other_layers_go_to_also() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    copy_dir(&sample(), &snap);
    let lake = snap.join("accounts/444444444444/s3control");
    std::fs::remove_dir_all(lake.join("access-points/us-east-1/lake-finance")).unwrap();
    std::fs::remove_dir_all(lake.join("mrap")).unwrap();
    let fs = analyze(&snap);
    for id in ["000000000001", "000000000002", "000000000003"] {
        let f = by_id(&fs, id);
        assert_eq!(f["root_cause"], "unknown", "{f:#}");
    }
    let r = by_id(&fs, "000000000002")["reason"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(r.contains("lake-finance/access-point.json"), "{r}");
    let r = by_id(&fs, "000000000003")["reason"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(
        r.contains("mlake1234abcd.mrap") && r.contains("mrap"),
        "{r}"
    );

    // The bucket stops delegating: record 2 fails at both layers; the access point is named
    // first (FINDINGS.md implicit order: ..., vpc_endpoint, access_point, missing_allow).
    let snap2 = dir.path().join("snap2");
    copy_dir(&sample(), &snap2);
    std::fs::write(
        snap2.join("accounts/444444444444/s3/dt-lake-raw/policy.json"),
        r#"{"Policy": null}"#,
    )
    .unwrap();
    let fs = analyze(&snap2);
    let f = by_id(&fs, "000000000002");
    assert_eq!(f["root_cause"], "access_point", "{f:#}");
    let also = f["also"].as_array().cloned().unwrap_or_default();
    assert!(
        also.iter().any(|a| a["root_cause"] == "missing_allow"
            && a["policy_type"] == "resource"
            && a["policy_id"] == "bucket-policy:dt-lake-raw"),
        "{f:#}"
    );
}

/// `explain` shows the access point layer in its trace.
#[test]
fn explain_shows_the_access_point_layer() {
    let mut c = denytrail();
    c.args([
        "explain",
        "a1b2c3d4-0002-4a00-8000-000000000002",
        LOGS,
        "--snapshot",
        "sample-logs/snapshot",
    ]);
    let (out, stdout, stderr) = run(c);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("root_cause:   access_point"), "{stdout}");
    assert!(stdout.contains("access point policy"), "{stdout}");
    assert!(stdout.contains(FINANCE), "{stdout}");
}

/// A request to moto's S3 Control API (moto checks no signature).
async fn s3control(moto: &crate::moto::Moto, method: reqwest::Method, path: &str, body: String) {
    let auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";
    let resp = reqwest::Client::new()
        .request(method, format!("{}{path}", moto.endpoint()))
        .header("Authorization", auth)
        .header("x-amz-account-id", crate::aws::MOTO_ACCOUNT)
        .body(body)
        .send()
        .await
        .expect("moto answers");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    assert!(status.is_success(), "{path}: {status}: {text}");
}

const NS: &str = "http://awss3control.amazonaws.com/doc/2018-08-20/";

/// The collector against moto, which implements every call it makes (ListAccessPoints,
/// GetAccessPoint, GetAccessPointPolicy, ListMultiRegionAccessPoints,
/// GetMultiRegionAccessPointPolicy): the SNAPSHOT.md files are written and load back, the
/// access point with its VPC origin and policy, the Multi-Region Access Point with its
/// established policy.
#[test]
fn snapshot_collects_access_points_from_moto() {
    use denytrail::policy::Known;
    use denytrail::snapshot::{ApRef, Snapshot};
    let moto = crate::moto_or_skip!();
    let rt = crate::moto::runtime();
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Readers","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{a}:root"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:us-east-1:{a}:accesspoint/ap-data/object/*"}}]}}"#,
        a = crate::aws::MOTO_ACCOUNT
    );
    let escaped = policy.replace('"', "&quot;");
    rt.block_on(async {
        let s3 = moto.s3().await;
        s3.create_bucket().bucket("ap-data-bucket").send().await.expect("bucket");
        s3control(
            &moto,
            reqwest::Method::PUT,
            "/v20180820/accesspoint/ap-data",
            format!("<CreateAccessPointRequest xmlns=\"{NS}\"><Bucket>ap-data-bucket</Bucket><VpcConfiguration><VpcId>vpc-0apdata1</VpcId></VpcConfiguration></CreateAccessPointRequest>"),
        )
        .await;
        s3control(
            &moto,
            reqwest::Method::PUT,
            "/v20180820/accesspoint/ap-data/policy",
            format!("<PutAccessPointPolicyRequest xmlns=\"{NS}\"><Policy>{escaped}</Policy></PutAccessPointPolicyRequest>"),
        )
        .await;
        s3control(
            &moto,
            reqwest::Method::PUT,
            "/v20180820/accesspoint/ap-open",
            format!("<CreateAccessPointRequest xmlns=\"{NS}\"><Bucket>ap-data-bucket</Bucket></CreateAccessPointRequest>"),
        )
        .await;
        s3control(
            &moto,
            reqwest::Method::POST,
            "/v20180820/async-requests/mrap/create",
            format!("<CreateMultiRegionAccessPointRequest xmlns=\"{NS}\"><ClientToken>t1</ClientToken><Details><Name>global-data</Name><Regions><Region><Bucket>ap-data-bucket</Bucket></Region></Regions></Details></CreateMultiRegionAccessPointRequest>"),
        )
        .await;
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("snap");
    let mut c = crate::aws::denytrail_for(&moto, "snapshot");
    c.arg("--out").arg(&out);
    let (_, stdout, stderr) = run(c);
    let acct = out.join("accounts").join(crate::aws::MOTO_ACCOUNT);
    let ap_dir = acct.join("s3control/access-points/us-east-1/ap-data");
    assert!(
        ap_dir.join("access-point.json").is_file() && ap_dir.join("policy.json").is_file(),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    let (snap, problems) = Snapshot::load(&out).expect("loads");
    assert!(problems.is_empty(), "{problems:?}");
    let arn = format!(
        "arn:aws:s3:us-east-1:{}:accesspoint/ap-data",
        crate::aws::MOTO_ACCOUNT
    );
    let Known::Known(ap) = snap.access_point(&ApRef::Arn(arn.clone())) else {
        panic!("access point unknown; stderr: {stderr}")
    };
    assert_eq!(ap.buckets[0].0, "ap-data-bucket");
    assert_eq!(ap.vpc_id.as_deref(), Some("vpc-0apdata1"));
    let Known::Known(Some(p)) = &ap.policy else {
        panic!("{:?}", ap.policy)
    };
    assert_eq!(p.statements[0].sid, "Readers");
    // An access point without a policy: `{"Policy": null}`, loaded as "no policy".
    let open = format!(
        "arn:aws:s3:us-east-1:{}:accesspoint/ap-open",
        crate::aws::MOTO_ACCOUNT
    );
    let Known::Known(ap) = snap.access_point(&ApRef::Arn(open)) else {
        panic!("ap-open unknown; stderr: {stderr}")
    };
    assert!(
        matches!(ap.policy, Known::Known(None)),
        "{:?}; stderr: {stderr}",
        ap.policy
    );
    assert_eq!(ap.network_origin.as_deref(), Some("Internet"));
    let mrap_dir = acct.join("s3control/mrap/global-data");
    assert!(
        mrap_dir.join("access-point.json").is_file(),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    let mraps: Vec<_> = snap.accounts[crate::aws::MOTO_ACCOUNT]
        .access_points
        .list
        .iter()
        .filter(|a| a.multi_region)
        .collect();
    assert_eq!(mraps.len(), 1, "stderr: {stderr}");
    assert_eq!(mraps[0].buckets[0].0, "ap-data-bucket");
    assert!(
        mrap_dir.join("policy.json").is_file() && !stderr.contains("AccessPoint"),
        "every access point call answered; stderr: {stderr}"
    );
}

/// A malformed access point file is named on stderr (exit 2, like every snapshot file), and
/// what it describes is unknown, not "no access point".
#[test]
fn malformed_access_point_file_is_named_and_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    copy_dir(&sample(), &snap);
    let file = snap.join(
        "accounts/444444444444/s3control/access-points/us-east-1/lake-finance/access-point.json",
    );
    std::fs::write(&file, "{not json").unwrap();
    let mut c = denytrail();
    c.args(["analyze", LOGS, "--format", "jsonl", "--snapshot"])
        .arg(&snap);
    let (out, stdout, stderr) = run(c);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("lake-finance/access-point.json"),
        "{stderr}"
    );
    let fs: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let f = by_id(&fs, "000000000002");
    assert_eq!(f["root_cause"], "unknown", "{f:#}");
    assert!(
        f["reason"]
            .as_str()
            .is_some_and(|r| r.contains("lake-finance/access-point.json")),
        "{f:#}"
    );
}

/// `cargo run -- analyze` (the bundled sample with its snapshot, no arguments) shows the
/// access point denials among the others.
#[test]
fn bundled_analyze_shows_access_point_denials() {
    let mut c = denytrail();
    c.args(["analyze", "--format", "jsonl"]);
    let (out, stdout, stderr) = run(c);
    assert!(out.status.success(), "{stderr}");
    let fs: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let ap: Vec<&Value> = fs
        .iter()
        .filter(|f| f["root_cause"] == "access_point")
        .collect();
    assert_eq!(ap.len(), 4, "{fs:#?}");
    assert_eq!(by_id(&fs, "000000000005")["root_cause"], "missing_allow");
}

/// A request addressed by the access point's alias ("you can use the access point alias
/// instead of an Amazon S3 bucket name", access-points-alias.html), with neither the access
/// point nor the bucket in `resources[]`: the alias is resolved through the snapshot, and the
/// bucket behind it is the finding's.
#[test]
fn alias_only_record_is_resolved_through_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let alias = "lake-finance-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias";
    let record = serde_json::json!({"Records": [{
        "eventVersion": "1.10", "eventID": "alias-1", "eventTime": "2026-11-20T11:00:00Z",
        "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.40", "errorCode": "AccessDenied", "errorMessage": "Access Denied",
        "userIdentity": {"type": "AssumedRole", "principalId": "AROALAKEREADER000001:nightly",
            "arn": "arn:aws:sts::444444444444:assumed-role/lake-reader/nightly", "accountId": "444444444444",
            "accessKeyId": "ASIALAKEREADER000001",
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROALAKEREADER000001",
                "arn": "arn:aws:iam::444444444444:role/lake-reader", "accountId": "444444444444", "userName": "lake-reader"},
                "attributes": {"creationDate": "2026-11-20T08:00:00Z", "mfaAuthenticated": "false"}}},
        "recipientAccountId": "444444444444",
        "requestParameters": {"bucketName": alias, "Host": format!("{alias}.s3.us-east-1.amazonaws.com"), "key": "pii/customers.csv"}
    }]});
    let logs = dir.path().join("alias.json");
    std::fs::write(&logs, record.to_string()).unwrap();
    let mut c = denytrail();
    c.arg("analyze")
        .arg(&logs)
        .args(["--format", "jsonl", "--snapshot", "sample-logs/snapshot"]);
    let (out, stdout, stderr) = run(c);
    assert!(out.status.success(), "{stderr}");
    let f: Value = serde_json::from_str(stdout.lines().next().unwrap_or("{}")).expect("a finding");
    assert_eq!(f["root_cause"], "access_point", "{f:#}");
    assert_eq!(f["policy_id"], FINANCE);
    assert_eq!(f["statement_sid"], "NoPiiThroughFinance");
    assert_eq!(f["bucket"], "dt-lake-raw");
}
