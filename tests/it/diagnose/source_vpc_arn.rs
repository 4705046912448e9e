//! `aws:SourceVpcArn` of a request made through a VPC endpoint, from the endpoint's entry in
//! `ec2/vpc-endpoints.json`.
//!
//! IAM User Guide, reference_sts_vpc_condition_keys_federated.html, "VPC condition key
//! availability by network path": `aws:SourceVpcArn`, "Through VPC endpoint: Yes", "Over
//! public internet: No", "ARN of the VPC that the request traverses". The VPC's ARN is
//! `arn:aws:ec2:REGION:ACCOUNT:vpc/VPC-ID`.

use super::*;

/// alice, allowed by her identity policy, reads app-data through gateway endpoint vpce-1a2b
/// (VPC vpc-1 of PROD in us-east-1, whose policy allows everything); the bucket policy denies
/// requests from any VPC but `allowed_vpc_arn`.
fn through_endpoint(allowed_vpc_arn: &str) -> (Org, String) {
    let mut o = org_with_app_data(Some(doc(
        json!([{"Sid": "OnlyOurVpc", "Effect": "Deny", "Principal": "*",
        "Action": "s3:*", "Resource": "arn:aws:s3:::app-data/*",
        "Condition": {"ArnNotEquals": {"aws:SourceVpcArn": allowed_vpc_arn}}}]),
    )));
    o.endpoint(
        PROD,
        "vpce-1a2b",
        doc(json!([{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}])),
    );
    o.user(PROD, "alice", vec![("p", read_app_data())], None);
    let id = o.s3(&user_id(PROD, "alice"), PROD, "GetObject", "app-data", Some("a"), Some("AccessDenied"), None,
        json!({"vpcEndpointId": "vpce-1a2b", "vpcEndpointAccountId": PROD, "sourceIPAddress": "10.0.0.5"}));
    (o, id)
}

/// The request came from vpc-1 of 222222222222 in us-east-1: a Deny for every VPC but one in
/// eu-west-1 applies (before, the key was unknown and so was the answer).
#[test]
fn source_vpc_arn_of_another_region_is_denied() {
    let (o, id) = through_endpoint("arn:aws:ec2:eu-west-1:222222222222:vpc/vpc-1");
    expect(
        &o.one(&id),
        "explicit_deny",
        Some("explicit"),
        Some("resource"),
        Some("bucket-policy:app-data"),
        Some("OnlyOurVpc"),
    );
}

/// The VPC the bucket policy names is the request's: the Deny does not apply, every policy
/// allows, and the finding says so rather than blaming the bucket policy.
#[test]
fn source_vpc_arn_of_the_endpoint_vpc_passes_the_deny() {
    let (o, id) = through_endpoint("arn:aws:ec2:us-east-1:222222222222:vpc/vpc-1");
    let f = o.one(&id);
    assert_ne!(f["root_cause"], "explicit_deny", "{f:#}");
    assert_ne!(f["statement_sid"], "OnlyOurVpc", "{f:#}");
    let reason = f["reason"].as_str().unwrap_or("");
    assert!(
        !reason.contains("aws:SourceVpcArn"),
        "the key is known: {reason}"
    );
}

/// An interface endpoint with `ServiceRegion` may connect across Regions: its VPC's Region is
/// not in describe-vpc-endpoints, so the key stays unknown, and `explain` says why.
#[test]
fn cross_region_capable_endpoint_leaves_the_key_unknown_and_says_why() {
    let (mut o, id) = through_endpoint("arn:aws:ec2:eu-west-1:222222222222:vpc/vpc-1");
    o.file(format!("accounts/{PROD}/ec2/vpc-endpoints.json"), json!({"VpcEndpoints": [{"VpcEndpointId": "vpce-1a2b",
        "VpcEndpointType": "Interface", "VpcId": "vpc-1", "ServiceName": "com.amazonaws.us-east-1.s3", "ServiceRegion": "us-east-1",
        "OwnerId": PROD, "PolicyDocument": doc(json!([{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}])).to_string()}]}));
    let f = o.one(&id);
    expect(&f, "unknown", None, None, None, None);
    let (snap, logs) = o.write();
    let mut c = denytrail();
    c.args(["explain", &id, "--snapshot"]).arg(&snap).arg(&logs);
    let (out, text, stderr) = run(c);
    assert!(out.status.success(), "{stderr}");
    assert!(
        text.contains("aws:sourcevpcarn: unknown")
            && text.contains("aws:SourceVpcArn unknown: endpoint `vpce-1a2b` is an interface endpoint with a `ServiceRegion`"),
        "{text}"
    );
    let mut c = denytrail();
    c.args(["explain", &id, "--format", "json", "--snapshot"])
        .arg(&snap)
        .arg(&logs);
    let (out, json_text, stderr) = run(c);
    assert!(out.status.success(), "{stderr}");
    let v: Value = serde_json::from_str(&json_text).expect("explain json");
    let notes = &v["requests"][0]["unknown_key_notes"];
    assert!(
        notes.as_array().is_some_and(|n| n.iter().any(|x| x
            .as_str()
            .is_some_and(|s| s.starts_with("aws:SourceVpcArn unknown")))),
        "{json_text}"
    );
}
