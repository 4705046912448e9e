//! Requests from real CloudTrail records (the corpus, when present) and hand-written ones:
//! one test per principal shape and per mapping family, each naming the rule it checks.

use super::*;
use crate::policy::{KeyState, PrincipalKind};
use serde_json::{json, Value};

/// The `index`-th record of a corpus file (`{"Records": [...]}` or JSON Lines), from the real
/// corpus beside the clone ([`crate::test_corpus`]: a missing corpus fails the test).
fn corpus_record(file: &str, index: usize) -> Option<Event> {
    let path = crate::test_corpus::real().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("corpus file {}: {e}", path.display()));
    let v: Value = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(o)) => o.get("Records")?.get(index)?.clone(),
        Ok(Value::Array(a)) => a.get(index)?.clone(),
        _ => {
            serde_json::from_str(text.lines().filter(|l| !l.trim().is_empty()).nth(index)?).ok()?
        }
    };
    Some(serde_json::from_value(v).expect("a CloudTrail record"))
}

fn event(v: Value) -> Event {
    serde_json::from_value(v).unwrap()
}

fn one(e: &Event) -> BuiltRequest {
    let mut r = requests(e, Snapshot::absent()).unwrap();
    assert_eq!(r.len(), 1, "{r:#?}");
    r.remove(0)
}

fn val<'a>(r: &'a BuiltRequest, key: &str) -> Option<&'a str> {
    match r.request.context.get(key) {
        KeyState::Present(v) => v.first().map(String::as_str),
        _ => None,
    }
}

fn state(r: &BuiltRequest, key: &str) -> &'static str {
    match r.request.context.get(key) {
        KeyState::Present(_) => "present",
        KeyState::Absent => "absent",
        KeyState::Unknown => "unknown",
        KeyState::NotMatching(_) => "not_matching",
    }
}

fn s3_record(identity: Value, name: &str, params: Value) -> Value {
    json!({
        "eventVersion": "1.09", "eventTime": "2026-11-20T10:00:05Z", "eventSource": "s3.amazonaws.com",
        "eventName": name, "awsRegion": "eu-west-1", "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15", "userIdentity": identity, "requestParameters": params,
        "additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "AuthenticationMethod": "AuthHeader"},
        "tlsDetails": {"tlsVersion": "TLSv1.3"}, "errorCode": "AccessDenied", "recipientAccountId": "111122223333"
    })
}

fn alice() -> Value {
    json!({"type": "IAMUser", "principalId": "AIDAALICE", "arn": "arn:aws:iam::111122223333:user/alice",
           "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLE", "userName": "alice"})
}

/// Real record (OTRF, captured): an EC2 role session lists a bucket. ListObjects → s3:ListBucket
/// on the bucket ARN; aws:PrincipalArn of a session is the role ARN; s3:prefix "" is a value.
#[test]
fn real_assumed_role_list_objects_is_list_bucket_with_role_arn_as_principal_arn() {
    let Some(e) = corpus_record(
        "otrf-security-datasets/ec2_proxy_s3_exfiltration_2020-09-14011940.json",
        44,
    ) else {
        return;
    };
    let r = one(&e);
    assert_eq!(r.request.action, "s3:ListBucket");
    assert_eq!(
        r.request.resource,
        "arn:aws:s3:::mordors3stack-s3bucket-llp2yingx64a"
    );
    assert_eq!(r.request.principal.kind, PrincipalKind::AssumedRole);
    assert_eq!(
        val(&r, "aws:PrincipalArn"),
        Some("arn:aws:iam::123456789123:role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0")
    );
    assert_eq!(
        val(&r, "aws:userid"),
        Some("AROA5FLZVX4OAMSW6BCRH:i-0317f6c6b66ae9c40")
    );
    assert_eq!(val(&r, "aws:PrincipalType"), Some("AssumedRole"));
    assert_eq!(val(&r, "aws:SourceIp"), Some("1.2.3.4"));
    assert_eq!(state(&r, "aws:SourceVpce"), "absent");
    assert_eq!(val(&r, "s3:prefix"), Some(""));
    assert_eq!(state(&r, "s3:delimiter"), "absent");
    assert_eq!(val(&r, "aws:SecureTransport"), Some("true"));
    assert_eq!(val(&r, "s3:signatureversion"), Some("AWS4-HMAC-SHA256"));
    assert_eq!(val(&r, "s3:authType"), Some("REST-HEADER"));
    assert_eq!(val(&r, "aws:MultiFactorAuthPresent"), Some("false"));
    assert_eq!(
        r.request.resource_account.as_deref(),
        Some("123456789123"),
        "from resources[].accountId"
    );
    assert_eq!(
        state(&r, "aws:Referer"),
        "unknown",
        "not logged: AWS had it, the record cannot say"
    );
    assert_eq!(state(&r, "aws:PrincipalOrgID"), "unknown", "no snapshot");
}

#[test]
fn real_get_object_is_get_object_on_the_object_arn() {
    let Some(e) = corpus_record(
        "otrf-security-datasets/ec2_proxy_s3_exfiltration_2020-09-14011940.json",
        79,
    ) else {
        return;
    };
    let r = one(&e);
    assert_eq!(r.request.action, "s3:GetObject");
    let key = e.request_param("key").unwrap();
    assert_eq!(
        r.request.resource,
        format!(
            "arn:aws:s3:::{}/{key}",
            e.request_param("bucketName").unwrap()
        )
    );
    assert_eq!(state(&r, "s3:prefix"), "absent", "not a list call");
    assert_eq!(state(&r, "s3:versionid"), "absent");
}

/// Real record (AWS docs): an IAM user's SigV2 query-string ListBuckets, no CipherSuite.
/// ListBuckets → s3:ListAllMyBuckets on `*`; plain HTTP is inferred and said so.
#[test]
fn real_iam_user_list_buckets_over_http_is_list_all_my_buckets_with_inferred_transport() {
    let Some(e) = corpus_record(
        "awsdocs-examples/amazon-s3-userguide/cloudtrail-logging-understanding-s3-entries.json",
        0,
    ) else {
        return;
    };
    let r = one(&e);
    assert_eq!(r.request.action, "s3:ListAllMyBuckets");
    assert_eq!(r.request.resource, "*");
    assert_eq!(r.request.principal.kind, PrincipalKind::User);
    assert_eq!(val(&r, "aws:username"), Some("myUserName"));
    assert_eq!(val(&r, "s3:signatureversion"), Some("AWS"));
    assert_eq!(val(&r, "s3:authType"), Some("REST-QUERY-STRING"));
    assert_eq!(val(&r, "aws:SecureTransport"), Some("false"));
    assert!(
        r.inferred
            .iter()
            .any(|i| i.starts_with("aws:SecureTransport")),
        "{:?}",
        r.inferred
    );
    assert_eq!(
        state(&r, "aws:MultiFactorAuthPresent"),
        "absent",
        "long-term AKIA key"
    );
}

/// Real record (AWS docs) whose bucketName is empty: reported, never guessed.
#[test]
fn real_record_without_bucket_is_an_error() {
    let Some(e) = corpus_record(
        "awsdocs-examples/amazon-s3-userguide/cloudtrail-logging-understanding-s3-entries.json",
        1,
    ) else {
        return;
    };
    assert_eq!(e.event_name.as_deref(), Some("PutBucketAcl"));
    assert_eq!(
        requests(&e, Snapshot::absent()),
        Err(RequestError::NoBucket)
    );
}

/// Real fixture (Panther): the VPC endpoint owner's copy of a cross-account call names the
/// caller only by principalId. Through an endpoint aws:SourceIp is absent and aws:VpcSourceIp
/// set (global condition keys reference).
#[test]
fn real_cross_account_vpce_record_caller_hidden_without_snapshot() {
    let Some(e) = corpus_record(
        "panther-analysis/rules__aws_cloudtrail_rules__aws_vpce_access_denied.json",
        0,
    ) else {
        return;
    };
    let r = one(&e);
    assert_eq!(r.request.principal.kind, PrincipalKind::Account);
    assert_eq!(r.request.principal.account.as_deref(), Some("111111111111"));
    assert!(
        r.gaps
            .iter()
            .any(|g| g.contains("AROAEXAMPLE:session-name")),
        "{:?}",
        r.gaps
    );
    assert_eq!(val(&r, "aws:SourceVpce"), Some("vpce-EXAMPLE08c1b6b9b7"));
    assert_eq!(val(&r, "aws:VpceAccount"), Some("222222222222"));
    assert_eq!(state(&r, "aws:SourceIp"), "absent");
    assert_eq!(val(&r, "aws:VpcSourceIp"), Some("10.0.0.1"));
    assert_eq!(state(&r, "aws:SourceVpc"), "unknown");
    assert_eq!(state(&r, "aws:PrincipalArn"), "unknown");
    assert_eq!(val(&r, "aws:PrincipalAccount"), Some("111111111111"));
}

/// The same record with a snapshot that holds the caller's role: principalId → role session.
#[test]
fn cross_account_caller_resolved_through_the_snapshot_unique_id() {
    let dir = tempfile::tempdir().unwrap();
    let put = |rel: &str, v: Value| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, v.to_string()).unwrap();
    };
    put(
        "accounts/111111111111/iam.json",
        json!({"RoleDetailList": [{"RoleName": "reader", "RoleId": "AROAEXAMPLE", "Path": "/app/",
        "Arn": "arn:aws:iam::111111111111:role/app/reader", "RolePolicyList": [], "AttachedManagedPolicies": [],
        "Tags": [{"Key": "team", "Value": "red"}]}]}),
    );
    put(
        "accounts/222222222222/s3/example-bucket/policy.json",
        json!({"Policy": null}),
    );
    put(
        "accounts/222222222222/ec2/vpc-endpoints.json",
        json!({"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "VpcId": "vpc-9"}]}),
    );
    put(
        "organization/organization.json",
        json!({"Organization": null}),
    );
    let (snap, problems) = Snapshot::load(dir.path()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let mut rec = s3_record(
        json!({"type": "AWSAccount", "principalId": "AROAEXAMPLE:sess", "accountId": "111111111111"}),
        "GetObject",
        json!({"bucketName": "example-bucket", "key": "k"}),
    );
    rec["vpcEndpointId"] = json!("vpce-1");
    let e = event(rec);
    let r = requests(&e, &snap).unwrap().remove(0);
    let p = &r.request.principal;
    assert_eq!(p.kind, PrincipalKind::AssumedRole);
    assert_eq!(
        p.role_arn.as_deref(),
        Some("arn:aws:iam::111111111111:role/app/reader")
    );
    assert_eq!(
        p.arn.as_deref(),
        Some("arn:aws:sts::111111111111:assumed-role/reader/sess")
    );
    assert_eq!(
        val(&r, "aws:PrincipalArn"),
        Some("arn:aws:iam::111111111111:role/app/reader")
    );
    assert_eq!(val(&r, "aws:PrincipalTag/team"), Some("red"));
    // The endpoint's owner (the account folder listing it) is in no organization: "This key
    // is included in the request context only if the account that owns the VPC endpoint is a
    // member of an organization" reads as for aws:PrincipalOrgID: absent, so `...IfExists`
    // conditions on it are decided.
    assert_eq!(state(&r, "aws:VpceOrgID"), "absent");
    assert_eq!(state(&r, "aws:VpceOrgPaths"), "absent");
    // Without an endpoint, every endpoint key is absent.
    let direct = event(s3_record(
        json!({"type": "AWSAccount", "principalId": "AROAEXAMPLE:sess", "accountId": "111111111111"}),
        "GetObject",
        json!({"bucketName": "example-bucket", "key": "k"}),
    ));
    let direct = requests(&direct, &snap).unwrap().remove(0);
    for k in [
        "aws:VpceOrgID",
        "aws:VpceOrgPaths",
        "aws:SourceVpcArn",
        "aws:VpceAccount",
    ] {
        assert_eq!(state(&direct, k), "absent", "{k}");
    }
    assert!(
        r.inferred
            .iter()
            .any(|i| i.starts_with("aws:PrincipalTag/*")),
        "session tags could override: {:?}",
        r.inferred
    );
    assert_eq!(
        state(&r, "aws:PrincipalOrgID"),
        "absent",
        "the snapshot says: no organization"
    );
    assert_eq!(
        r.request.resource_account.as_deref(),
        Some("222222222222"),
        "the bucket's account folder"
    );
    assert_eq!(val(&r, "s3:ResourceAccount"), Some("222222222222"));
    assert_eq!(
        val(&r, "aws:SourceVpc"),
        Some("vpc-9"),
        "endpoint → VPC from the snapshot"
    );
    assert!(r.gaps.is_empty(), "{:?}", r.gaps);
}

/// Real fixture (Panther): CopyObject needs s3:GetObject on the source and s3:PutObject on the
/// target (using-with-s3-policy-actions).
#[test]
fn real_copy_object_is_get_on_source_and_put_on_target() {
    let Some(e) = corpus_record("panther-analysis/rules__aws_cloudtrail_rules__aws_s3_copy_object_to_external_account_bucket.json", 0) else { return };
    let r = requests(&e, Snapshot::absent()).unwrap();
    let shape: Vec<(&str, &str, Part)> = r
        .iter()
        .map(|b| {
            (
                b.request.action.as_str(),
                b.request.resource.as_str(),
                b.part,
            )
        })
        .collect();
    assert_eq!(
        shape,
        vec![
            (
                "s3:PutObject",
                "arn:aws:s3:::attacker-exfil-1764604156/customer-database.csv",
                Part::Main
            ),
            (
                "s3:GetObject",
                "arn:aws:s3:::ransomware-test-victim-1764604156/customer-database.csv",
                Part::CopySource
            ),
        ]
    );
    assert_eq!(
        val(&r[0], "s3:x-amz-copy-source"),
        Some("ransomware-test-victim-1764604156/customer-database.csv")
    );
    assert_eq!(
        state(&r[1], "s3:x-amz-copy-source"),
        "absent",
        "the source read carries no copy header"
    );
}

/// Vendor fixtures use IAM action names as eventNames (`ListAllMyBuckets`); no S3 API has
/// that name, so it is reported as unmapped rather than guessed.
#[test]
fn unmapped_event_name_is_reported_not_guessed() {
    let e = event(s3_record(alice(), "ListAllMyBuckets", json!({})));
    assert_eq!(
        requests(&e, Snapshot::absent()),
        Err(RequestError::Unmapped("ListAllMyBuckets".into()))
    );
    let mut other = s3_record(alice(), "GetObject", json!({}));
    other["eventSource"] = json!("kms.amazonaws.com");
    assert!(
        matches!(requests(&event(other), Snapshot::absent()), Err(RequestError::NotS3(s)) if s == "kms.amazonaws.com")
    );
}

/// Anonymous: `{"type":"AWSAccount","principalId":"","accountId":"anonymous"}`; aws:userid is
/// `anonymous`, no principal ARN or account (IAM policy variables reference).
#[test]
fn anonymous_caller() {
    let mut rec = s3_record(
        json!({"type": "AWSAccount", "principalId": "", "accountId": "anonymous"}),
        "GetObject",
        json!({"bucketName": "b", "key": "k"}),
    );
    rec["additionalEventData"] = json!({"CipherSuite": "ECDHE-RSA-AES128-GCM-SHA256"});
    let r = one(&event(rec));
    assert_eq!(r.request.principal.kind, PrincipalKind::Anonymous);
    assert_eq!(val(&r, "aws:userid"), Some("anonymous"));
    assert_eq!(val(&r, "aws:PrincipalType"), Some("Anonymous"));
    assert_eq!(state(&r, "aws:PrincipalArn"), "absent");
    assert_eq!(state(&r, "aws:PrincipalAccount"), "absent");
    assert_eq!(state(&r, "s3:signatureversion"), "absent", "unsigned");
}

/// AWSService: S3 acting as a service (`invokedBy`, no accountId).
#[test]
fn aws_service_caller() {
    let r = one(&event(s3_record(
        json!({"type": "AWSService", "invokedBy": "s3.amazonaws.com"}),
        "PutObject",
        json!({"bucketName": "b", "key": "k"}),
    )));
    assert_eq!(r.request.principal.kind, PrincipalKind::Service);
    assert_eq!(
        r.request.principal.service.as_deref(),
        Some("s3.amazonaws.com")
    );
    assert_eq!(val(&r, "aws:PrincipalIsAWSService"), Some("true"));
    assert_eq!(
        val(&r, "aws:PrincipalServiceName"),
        Some("s3.amazonaws.com")
    );
}

#[test]
fn federated_user_and_root_callers() {
    let fed = json!({"type": "FederatedUser", "principalId": "111122223333:bob", "arn": "arn:aws:sts::111122223333:federated-user/bob",
        "accountId": "111122223333", "sessionContext": {"sessionIssuer": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/broker"},
        "attributes": {"mfaAuthenticated": "false", "creationDate": "2026-11-20T09:00:00Z"}}});
    let r = one(&event(s3_record(
        fed,
        "GetObject",
        json!({"bucketName": "b", "key": "k"}),
    )));
    assert_eq!(r.request.principal.kind, PrincipalKind::FederatedUser);
    assert_eq!(
        r.request.principal.role_arn.as_deref(),
        Some("arn:aws:iam::111122223333:user/broker")
    );
    assert_eq!(
        val(&r, "aws:PrincipalArn"),
        Some("arn:aws:sts::111122223333:federated-user/bob")
    );
    assert_eq!(val(&r, "aws:userid"), Some("111122223333:bob"));
    assert_eq!(val(&r, "aws:TokenIssueTime"), Some("2026-11-20T09:00:00Z"));

    let root = json!({"type": "Root", "principalId": "111122223333", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"});
    let r = one(&event(s3_record(
        root,
        "PutBucketVersioning",
        json!({"bucketName": "b", "versioning": [""]}),
    )));
    assert_eq!(r.request.principal.kind, PrincipalKind::Root);
    assert_eq!(r.request.action, "s3:PutBucketVersioning");
    assert_eq!(val(&r, "aws:PrincipalType"), Some("Account"));
    assert_eq!(val(&r, "aws:userid"), Some("111122223333"));
}

/// GetObject with versionId → s3:GetObjectVersion; s3:versionid carries it.
#[test]
fn versioned_get_is_get_object_version() {
    let r = one(&event(s3_record(
        alice(),
        "GetObject",
        json!({"bucketName": "b", "key": "a/b.txt", "versionId": "v1"}),
    )));
    assert_eq!(r.request.action, "s3:GetObjectVersion");
    assert_eq!(val(&r, "s3:versionid"), Some("v1"));
    assert_eq!(r.request.resource, "arn:aws:s3:::b/a/b.txt");
    assert_eq!(val(&r, "s3:TlsVersion"), Some("1.3"));
    assert_eq!(val(&r, "aws:CurrentTime"), Some("2026-11-20T10:00:05Z"));
    assert_eq!(val(&r, "aws:EpochTime"), Some("1795168805"));
    assert_eq!(val(&r, "aws:RequestedRegion"), Some("eu-west-1"));
    assert_eq!(val(&r, "aws:ViaAWSService"), Some("false"));
}

/// PutObject with an ACL header also needs s3:PutObjectAcl; the SSE headers become the s3:
/// keys; a header not logged is taken as not sent (and said so).
#[test]
fn put_object_with_acl_header_also_needs_put_object_acl() {
    let r = requests(
        &event(s3_record(
            alice(),
            "PutObject",
            json!({"bucketName": "b", "key": "k", "x-amz-acl": "public-read",
        "x-amz-server-side-encryption": "aws:kms"}),
        )),
        Snapshot::absent(),
    )
    .unwrap();
    assert_eq!(
        r.iter()
            .map(|b| b.request.action.as_str())
            .collect::<Vec<_>>(),
        vec!["s3:PutObject", "s3:PutObjectAcl"]
    );
    assert_eq!(val(&r[0], "s3:x-amz-acl"), Some("public-read"));
    assert_eq!(
        val(&r[0], "s3:x-amz-server-side-encryption"),
        Some("aws:kms")
    );
    assert_eq!(
        state(&r[0], "s3:x-amz-server-side-encryption-aws-kms-key-id"),
        "absent"
    );
    assert!(r[0]
        .inferred
        .iter()
        .any(|i| i.starts_with("s3:x-amz-server-side-encryption-aws-kms-key-id")));
    // UploadPart cannot carry these headers: absent without inference.
    let u = one(&event(s3_record(
        alice(),
        "UploadPart",
        json!({"bucketName": "b", "key": "k", "partNumber": "1", "uploadId": "u"}),
    )));
    assert_eq!(u.request.action, "s3:PutObject");
    assert_eq!(state(&u, "s3:x-amz-server-side-encryption"), "absent");
    assert!(!u
        .inferred
        .iter()
        .any(|i| i.starts_with("s3:x-amz-server-side-encryption")));
}

/// DeleteObjects → s3:DeleteObject; the keys are not logged, which the request says.
#[test]
fn delete_objects_keys_unknown() {
    let r = one(&event(s3_record(
        alice(),
        "DeleteObjects",
        json!({"bucketName": "b", "delete": ""}),
    )));
    assert_eq!(r.request.action, "s3:DeleteObject");
    assert_eq!(r.request.resource, "arn:aws:s3:::b/*");
    assert!(
        r.gaps
            .iter()
            .any(|g| g.contains("DeleteObjects does not log")),
        "{:?}",
        r.gaps
    );
}

/// Bucket configuration calls map to their configuration action, on the bucket ARN.
#[test]
fn bucket_configuration_calls() {
    for (name, action) in [
        ("DeleteBucketEncryption", "s3:PutEncryptionConfiguration"),
        ("PutBucketLogging", "s3:PutBucketLogging"),
        ("GetBucketPolicy", "s3:GetBucketPolicy"),
        ("HeadBucket", "s3:ListBucket"),
        ("ListObjectVersions", "s3:ListBucketVersions"),
    ] {
        let r = one(&event(s3_record(
            alice(),
            name,
            json!({"bucketName": "cfg"}),
        )));
        assert_eq!(
            (r.request.action.as_str(), r.request.resource.as_str()),
            (action, "arn:aws:s3:::cfg"),
            "{name}"
        );
    }
    // A list call's parameters become s3:prefix / s3:delimiter / s3:max-keys.
    let r = one(&event(s3_record(
        alice(),
        "ListObjectsV2",
        json!({"bucketName": "cfg", "prefix": "logs/", "delimiter": "/", "max-keys": "100", "list-type": "2"}),
    )));
    assert_eq!(
        (
            val(&r, "s3:prefix"),
            val(&r, "s3:delimiter"),
            val(&r, "s3:max-keys")
        ),
        (Some("logs/"), Some("/"), Some("100"))
    );
}

/// A user calling through a service (`invokedBy`): aws:ViaAWSService true, inferred.
#[test]
fn invoked_by_a_service_sets_via_aws_service() {
    let mut id = alice();
    id["invokedBy"] = json!("athena.amazonaws.com");
    let r = one(&event(s3_record(
        id,
        "GetObject",
        json!({"bucketName": "b", "key": "k"}),
    )));
    assert_eq!(val(&r, "aws:ViaAWSService"), Some("true"));
    assert_eq!(val(&r, "aws:CalledVia"), Some("athena.amazonaws.com"));
    assert!(r
        .inferred
        .iter()
        .any(|i| i.starts_with("aws:ViaAWSService")));
}

#[test]
fn principal_from_arn_shapes() {
    let k =
        |s: &str| principal_from_arn(s, Snapshot::absent()).map(|p| (p.kind, p.arn, p.role_arn));
    assert_eq!(
        k("arn:aws:iam::111122223333:user/a/b").unwrap().0,
        PrincipalKind::User
    );
    assert_eq!(
        k("arn:aws:iam::111122223333:role/x/app").unwrap(),
        (
            PrincipalKind::AssumedRole,
            Some("arn:aws:sts::111122223333:assumed-role/app/simulate".into()),
            Some("arn:aws:iam::111122223333:role/x/app".into())
        )
    );
    assert_eq!(
        k("arn:aws:sts::111122223333:assumed-role/app/s1")
            .unwrap()
            .2
            .as_deref(),
        Some("arn:aws:iam::111122223333:role/app")
    );
    assert_eq!(
        k("arn:aws:iam::111122223333:root").unwrap().0,
        PrincipalKind::Root
    );
    assert_eq!(
        k("arn:aws:sts::111122223333:federated-user/bob").unwrap().0,
        PrincipalKind::FederatedUser
    );
    assert_eq!(k("111122223333").unwrap().0, PrincipalKind::Account);
    assert_eq!(k("anonymous").unwrap().0, PrincipalKind::Anonymous);
    assert_eq!(k("s3.amazonaws.com").unwrap().0, PrincipalKind::Service);
    assert!(k("arn:aws:s3:::bucket").is_err());
    assert!(k("alice").is_err());
}

/// Header names are case-insensitive; x-amz-request-payer may be logged in either place.
#[test]
fn headers_are_found_case_insensitively_and_in_additional_event_data() {
    let mut rec = s3_record(
        alice(),
        "GetObject",
        json!({"bucketName": "b", "key": "k", "X-Amz-Acl": "private"}),
    );
    rec["additionalEventData"]["x-amz-request-payer"] = json!("requester");
    let r = one(&event(rec));
    assert_eq!(val(&r, "s3:x-amz-request-payer"), Some("requester"));
    assert_eq!(
        state(&r, "s3:x-amz-acl"),
        "absent",
        "GetObject cannot carry an ACL header"
    );
    let r = requests(
        &event(s3_record(
            alice(),
            "PutObject",
            json!({"bucketName": "b", "key": "k", "X-Amz-Acl": "private"}),
        )),
        Snapshot::absent(),
    )
    .unwrap();
    assert_eq!(val(&r[0], "s3:x-amz-acl"), Some("private"));
    assert_eq!(
        r.len(),
        2,
        "PutObject with an ACL also needs s3:PutObjectAcl"
    );
}

/// Header names are case-insensitive (RFC 9110, 5.1: "Field names are case-insensitive"),
/// and PutObject with an ACL grant header needs s3:PutObjectAcl too (S3 user guide,
/// using-with-s3-policy-actions). A grant header logged in another case used to be missed.
#[test]
fn grant_header_in_any_case_adds_put_object_acl() {
    let e = event(s3_record(
        alice(),
        "PutObject",
        json!({"bucketName": "b", "key": "k", "X-Amz-Grant-Read": "id=abc"}),
    ));
    let actions: Vec<String> = requests(&e, Snapshot::absent())
        .unwrap()
        .into_iter()
        .map(|r| r.request.action)
        .collect();
    assert_eq!(actions, ["s3:PutObject", "s3:PutObjectAcl"]);
    assert!(S3Call::from_event(&e).headers.grant);
}

/// The call's ARNs are in its region's partition. AWS General Reference, ARNs for Amazon Web
/// Services in China (https://docs.amazonaws.cn/en_us/general/latest/gr/ARNs.html): "In the
/// Beijing and Ningxia Regions, the Amazon Resource Name (ARN) syntax includes a cn"; GovCloud
/// user guide (https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/using-govcloud-arns.html):
/// "In the AWS GovCloud (US) Regions, ARNs begin with: arn:aws-us-gov". The finding's
/// resource ARN and the KMS encryption context (`aws:s3:arn`) used to say `arn:aws:`.
#[test]
fn arns_follow_the_partition_of_the_region() {
    for (region, partition) in [
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("eu-west-1", "aws"),
    ] {
        let mut v = s3_record(
            alice(),
            "GetObject",
            json!({"bucketName": "b", "key": "k/o"}),
        );
        v["awsRegion"] = json!(region);
        let e = event(v);
        let call = S3Call::from_event(&e);
        assert_eq!(call.partition, partition);
        let want = format!("arn:{partition}:s3:::b/k/o");
        assert_eq!(one(&e).request.resource, want);
        let origin = crate::input::Origin {
            object: std::sync::Arc::from("t"),
            record_index: None,
        };
        let f = crate::diagnose::finding_from_record(&e, &origin);
        assert_eq!(f.resource_arn.as_deref(), Some(want.as_str()));
        let default = crate::diagnose::kms::DefaultEncryption {
            algorithm: "aws:kms".into(),
            kms_key_id: None,
            bucket_key_enabled: false,
        };
        let kms =
            crate::diagnose::kms::kms_call(&call, "s3:GetObject", "b", Some("k/o"), Some(&default))
                .expect("a KMS call");
        assert_eq!(kms.context_arn, want);
    }
}

/// API_GetObjectAttributes: "If you do not pass a version ID in your request, you need the
/// s3:GetObject and s3:GetObjectAttributes permissions"; with one, "both the
/// s3:GetObjectVersion and s3:GetObjectVersionAttributes permissions".
#[test]
fn get_object_attributes_is_two_requests_on_the_object() {
    let e = event(s3_record(
        alice(),
        "GetObjectAttributes",
        json!({"bucketName": "b", "key": "k"}),
    ));
    let r = requests(&e, Snapshot::absent()).unwrap();
    let got: Vec<(&str, &str)> = r
        .iter()
        .map(|b| (b.request.action.as_str(), b.request.resource.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("s3:GetObjectAttributes", "arn:aws:s3:::b/k"),
            ("s3:GetObject", "arn:aws:s3:::b/k")
        ]
    );
    let e = event(s3_record(
        alice(),
        "GetObjectAttributes",
        json!({"bucketName": "b", "key": "k", "versionId": "v1"}),
    ));
    let actions: Vec<String> = requests(&e, Snapshot::absent())
        .unwrap()
        .into_iter()
        .map(|b| b.request.action)
        .collect();
    assert_eq!(
        actions,
        vec!["s3:GetObjectVersionAttributes", "s3:GetObjectVersion"]
    );
}

/// CreateBucket with Object Lock enabled also needs s3:PutBucketObjectLockConfiguration and
/// s3:PutBucketVersioning (API_CreateBucket); a PutObject with a legal hold header needs
/// s3:PutObjectLegalHold (Service Authorization Reference, PutObject).
#[test]
fn object_lock_headers_add_their_actions() {
    let e = event(s3_record(
        alice(),
        "CreateBucket",
        json!({"bucketName": "b", "x-amz-bucket-object-lock-enabled": "true"}),
    ));
    let actions: Vec<String> = requests(&e, Snapshot::absent())
        .unwrap()
        .into_iter()
        .map(|b| b.request.action)
        .collect();
    assert_eq!(
        actions,
        vec![
            "s3:CreateBucket",
            "s3:PutBucketObjectLockConfiguration",
            "s3:PutBucketVersioning"
        ]
    );
    let off = event(s3_record(
        alice(),
        "CreateBucket",
        json!({"bucketName": "b", "x-amz-bucket-object-lock-enabled": "false"}),
    ));
    assert_eq!(one(&off).request.action, "s3:CreateBucket");
    let e = event(s3_record(
        alice(),
        "PutObject",
        json!({"bucketName": "b", "key": "k", "x-amz-object-lock-legal-hold": "ON"}),
    ));
    let actions: Vec<String> = requests(&e, Snapshot::absent())
        .unwrap()
        .into_iter()
        .map(|b| b.request.action)
        .collect();
    assert_eq!(actions, vec!["s3:PutObject", "s3:PutObjectLegalHold"]);
}
