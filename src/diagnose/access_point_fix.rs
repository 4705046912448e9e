//! Remediation texts for requests through an S3 access point: the statement to add to the
//! access point policy, the bucket policy's delegation statement, or the network origin.

use super::cause::Fix;
use super::fix_input::FixInput;
use serde_json::json;

/// The resource an access point grant names: `<ap arn>/object/*` for object actions, the
/// access point ARN for the others ("arn:aws:s3:us-west-2:123456789012:accesspoint/
/// my-access-point/object/Jane/*", access-points-policies.html example 1).
pub fn ap_resource(f: &FixInput<'_>) -> String {
    let ap = f.access_point.unwrap_or(f.resource_arn);
    if f.key.is_some() {
        format!("{ap}/object/*")
    } else {
        ap.to_owned()
    }
}

/// The account in an access point ARN (`arn:aws:s3:<region>:<account>:accesspoint/<name>`).
fn ap_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// The access point layer's fix.
pub fn access_point(f: &FixInput<'_>) -> String {
    let ap = f.policy_id.or(f.access_point).unwrap_or("the access point");
    if f.explicit {
        let sid = f.statement_sid.unwrap_or("the matching Deny statement");
        return format!(
            "narrow or remove statement {sid} of the policy of access point {ap} so that it no longer matches {} on {} by {} (or add the condition the caller should meet)",
            f.action,
            match (f.access_point, f.key) {
                (Some(a), Some(k)) => format!("{a}/object/{k}"),
                _ => ap_resource(f),
            },
            f.principal
        );
    }
    if f.fix == Fix::AccessPointNetwork {
        return format!(
            "access point {ap} accepts requests only from its VPC: send the request from that VPC (through an S3 VPC endpoint there), or use an access point whose network origin is Internet (the network origin cannot be changed after creation: aws s3control create-access-point --name <new> --bucket {} without --vpc-configuration)",
            f.bucket.unwrap_or("<bucket>")
        );
    }
    let p = if f.principal == "anonymous" {
        json!("*")
    } else {
        json!({"AWS": f.principal})
    };
    let stmt =
        json!({"Effect": "Allow", "Principal": p, "Action": f.action, "Resource": ap_resource(f)});
    format!(
        "add to the policy of access point {ap} (aws s3control put-access-point-policy): {stmt}"
    )
}

/// The bucket policy's side of a request through an access point: delegate access control
/// to the access point's account, as AWS recommends ("Delegating access control to access
/// points": `"Principal": {"AWS": "*"}`, `"Action": "*"`, the bucket and its objects,
/// `"Condition": {"StringEquals": {"s3:DataAccessPointAccount": "<account>"}}`,
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html), or grant
/// the caller in the bucket policy too.
pub fn delegation(f: &FixInput<'_>, res: &str) -> String {
    let ap = f.access_point.unwrap_or("the access point");
    let bucket = f.bucket.unwrap_or("<bucket>");
    let partition = f.resource_arn.split(':').nth(1).unwrap_or("aws");
    let account = f
        .access_point
        .and_then(ap_account)
        .unwrap_or("<access point account>");
    let stmt = json!({
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "*",
        "Resource": [format!("arn:{partition}:s3:::{bucket}"), format!("arn:{partition}:s3:::{bucket}/*")],
        "Condition": {"StringEquals": {"s3:DataAccessPointAccount": account}}
    });
    let grant = json!({"Effect": "Allow", "Principal": {"AWS": f.principal}, "Action": f.action, "Resource": res});
    format!(
        "delegate access control of bucket {bucket} to the access points of account {account} (the request came through {ap}) by adding to the bucket policy: {stmt}; or grant the caller in the bucket policy as well: {grant}"
    )
}
