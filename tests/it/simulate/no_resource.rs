//! `simulate` on an action without a resource: `s3:ListAllMyBuckets` (ListBuckets).
//!
//! Service authorization reference, Amazon S3, "Actions defined by Amazon S3": the
//! `ListAllMyBuckets` row names no resource type, so a policy grants it only with
//! `"Resource": "*"`; reference_policies_evaluation-logic.html: resource-based policies are
//! attached to a resource, and a request on none has no resource policy (nor resource control
//! policy) to evaluate. The identity side alone decides: issue 17, section 6 ("`denytrail
//! simulate` must decide such requests too").

use super::*;

/// alice's identity policy allows only s3:GetObject: ListAllMyBuckets is an implicit deny of
/// the identity layer, decided (no resource account left unknown).
#[test]
fn simulate_list_all_my_buckets_is_decided_by_the_identity_side() {
    let dir = tempfile::tempdir().unwrap();
    snapshot(dir.path());
    let (code, stdout, stderr) = simulate(
        dir.path(),
        &format!("arn:aws:iam::{A}:user/alice"),
        "s3:ListAllMyBuckets",
        "*",
        &["--format", "json"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let v = json_of(&stdout);
    assert_eq!(v["evaluation"]["decision"], "implicit_deny", "{stdout}");
}

/// Role `app` allows s3:* but its boundary only s3:ListBucket: the boundary decides
/// ListAllMyBuckets too, still without any resource policy.
#[test]
fn simulate_list_all_my_buckets_is_limited_by_the_boundary() {
    let dir = tempfile::tempdir().unwrap();
    snapshot(dir.path());
    let (code, stdout, stderr) = simulate(
        dir.path(),
        &format!("arn:aws:iam::{A}:role/app"),
        "s3:ListAllMyBuckets",
        "*",
        &["--format", "json"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let v = json_of(&stdout);
    assert_eq!(v["evaluation"]["decision"], "implicit_deny", "{stdout}");
    assert!(stdout.contains("boundary"), "{stdout}");
}

/// `simulate --context aws:SourceVpce=...` fills `aws:SourceVpcArn` from the snapshot's
/// endpoint as `analyze` does (reference_sts_vpc_condition_keys_federated.html:
/// `aws:SourceVpcArn`, "Through VPC endpoint: Yes", "ARN of the VPC that the request
/// traverses"): a bucket policy denying every VPC but one in eu-west-1 denies a request
/// through a us-east-1 gateway endpoint.
#[test]
fn simulate_fills_source_vpc_arn_from_the_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    snapshot(dir.path());
    put(
        dir.path(),
        &format!("accounts/{A}/ec2/vpc-endpoints.json"),
        &json!({"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "VpcEndpointType": "Gateway", "VpcId": "vpc-1",
            "ServiceName": "com.amazonaws.us-east-1.s3", "OwnerId": A,
            "PolicyDocument": json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}).to_string()}]}),
    );
    put(
        dir.path(),
        &format!("accounts/{A}/s3/vpcbucket/policy.json"),
        &json!({"Policy": json!({"Version": "2012-10-17", "Statement": [{"Sid": "OnlyOurVpc", "Effect": "Deny", "Principal": "*",
            "Action": "s3:*", "Resource": "arn:aws:s3:::vpcbucket/*",
            "Condition": {"ArnNotEquals": {"aws:SourceVpcArn": format!("arn:aws:ec2:eu-west-1:{A}:vpc/vpc-1")}}}]}).to_string()}),
    );
    let (code, stdout, stderr) = simulate(
        dir.path(),
        &format!("arn:aws:iam::{A}:user/alice"),
        "s3:GetObject",
        "arn:aws:s3:::vpcbucket/k",
        &[
            "--context",
            "aws:SourceVpce=vpce-1",
            "--context",
            "aws:SecureTransport=true",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let v = json_of(&stdout);
    assert_eq!(v["evaluation"]["decision"], "explicit_deny", "{stdout}");
    assert!(stdout.contains("OnlyOurVpc"), "{stdout}");
    assert!(
        stdout.contains(&format!("arn:aws:ec2:us-east-1:{A}:vpc/vpc-1")),
        "{stdout}"
    );
}
