//! Requests through an S3 access point, each test named for the AWS rule it checks.
//!
//! Source: S3 User Guide, "Configuring IAM policies for using access points"
//! (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html):
//! "For an application or user to be able to access objects through an access point, both
//! the access point and the underlying bucket must permit the request." and "Permissions
//! granted in an access point policy are only effective if the underlying bucket also allows
//! the same access. You can accomplish this in two ways: 1. (Recommended) Delegate access
//! control from the bucket to the access point ... 2. Add the same permissions contained in the
//! access point policy to the underlying bucket's policy."

use super::fixtures::*;
use crate::policy::{authorize, AccessPointInput, Decision, Known, Layer, PolicyRef};

const AP: &str = "arn:aws:s3:us-west-2:111122223333:accesspoint/my-access-point";
const AP_OBJECT: &str =
    "arn:aws:s3:us-west-2:111122223333:accesspoint/my-access-point/object/reports/q1.csv";

fn through_ap(policy: Option<PolicyRef>, network: Known<Option<String>>) -> AccessPointInput {
    AccessPointInput {
        arn: AP.into(),
        resource: AP_OBJECT.into(),
        account: Some(A.into()),
        policy: Known::Known(policy),
        network,
    }
}

/// A request that went through `AP` (the keys S3 sets for it).
fn ap_req(p: crate::policy::Principal) -> crate::policy::Request {
    let mut r = req(p, "s3:GetObject", OBJECT);
    r.context.set("s3:DataAccessPointArn", AP);
    r.context.set("s3:DataAccessPointAccount", A);
    r
}

/// The delegation statement of the same page ("Delegating access control to access points"):
/// `"Principal": {"AWS": "*"}`, `"Action": "*"`, `"Condition": {"StringEquals":
/// {"s3:DataAccessPointAccount": "<bucket owner account ID>"}}`.
fn delegating_bucket() -> PolicyRef {
    pol(
        "bucket-policy:amzn-s3-demo-bucket",
        &format!(
            r#"{{"Statement":[{{"Sid":"Delegate","Effect":"Allow","Principal":{{"AWS":"*"}},"Action":"*","Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"],"Condition":{{"StringEquals":{{"s3:DataAccessPointAccount":"{A}"}}}}}}]}}"#
        ),
    )
}

/// Identity policies are matched against the access point's form of the resource: a grant
/// on the access point ARN (`.../accesspoint/my-access-point/object/*`, the page's example
/// resource form) lets a user of the owner account through an access point without a policy.
#[test]
fn same_account_identity_grant_on_the_access_point_arn_allows() {
    let mut i = input();
    i.identity = Known::Known(vec![allow("id", "s3:GetObject", &format!("{AP}/object/*"))]);
    i.access_point = Some(through_ap(None, Known::Known(None)));
    let e = authorize(&ap_req(user(A, "Jane")), &i);
    assert_eq!(e.decision, Decision::Allow, "{e:#?}");
    assert!(e.layer(Layer::AccessPoint).is_some());
}

/// The same identity grant on the *bucket* ARN does not match a request through the access
/// point: it is a missing allow on the caller's side (it can fail: drop the access point and
/// the bucket grant allows).
#[test]
fn identity_grant_on_the_bucket_arn_does_not_cover_the_access_point() {
    let mut i = input();
    i.identity = Known::Known(vec![allow(
        "id",
        "s3:GetObject",
        "arn:aws:s3:::amzn-s3-demo-bucket/*",
    )]);
    i.access_point = Some(through_ap(None, Known::Known(None)));
    let e = authorize(&ap_req(user(A, "Jane")), &i);
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.blockers[0].layer, Layer::Identity);
    i.access_point = None;
    assert_eq!(
        authorize(&ap_req(user(A, "Jane")), &i).decision,
        Decision::Allow
    );
}

/// Example 1 of the page: the access point policy grants Jane (another account here), and
/// the bucket delegates to the owner's access points: allowed. Without the delegation (and
/// without the same grant in the bucket policy) the bucket layer refuses.
#[test]
fn cross_account_needs_access_point_grant_and_bucket_delegation() {
    let jane = user(B, "Jane");
    let jane_arn = format!("arn:aws:iam::{B}:user/Jane");
    let ap_policy = pol(
        AP,
        &format!(
            r#"{{"Statement":[{{"Sid":"Jane","Effect":"Allow","Principal":{{"AWS":"{jane_arn}"}},"Action":["s3:GetObject","s3:PutObject"],"Resource":"{AP}/object/*"}}]}}"#
        ),
    );
    let mut i = input();
    i.identity = Known::Known(vec![allow("id", "s3:GetObject", &format!("{AP}/object/*"))]);
    i.resource = Known::Known(Some(delegating_bucket()));
    i.access_point = Some(through_ap(Some(ap_policy.clone()), Known::Known(None)));
    assert_eq!(
        authorize(&ap_req(jane.clone()), &i).decision,
        Decision::Allow
    );

    i.resource = Known::Known(None);
    let e = authorize(&ap_req(jane.clone()), &i);
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.blockers.len(), 1, "{:#?}", e.blockers);
    assert_eq!(e.blockers[0].layer, Layer::Resource);

    // The access point policy grants nobody: the access point layer is the blocker.
    i.resource = Known::Known(Some(delegating_bucket()));
    i.access_point = Some(through_ap(None, Known::Known(None)));
    let e = authorize(&ap_req(jane), &i);
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.blockers[0].layer, Layer::AccessPoint);
    assert_eq!(e.blockers[0].policy_id.as_deref(), Some(AP));
}

/// "Restrictions that you include in an access point policy apply only to requests made
/// through that access point": its explicit Deny wins over every Allow.
#[test]
fn access_point_policy_explicit_deny() {
    let mut i = input();
    i.identity = Known::Known(vec![allow("id", "s3:GetObject", "*")]);
    let deny = pol(
        AP,
        &format!(
            r#"{{"Statement":[{{"Sid":"NoReports","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"{AP}/object/reports/*"}}]}}"#
        ),
    );
    i.access_point = Some(through_ap(Some(deny), Known::Known(None)));
    let e = authorize(&ap_req(user(A, "Jane")), &i);
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(e.blockers[0].layer, Layer::AccessPoint);
    assert_eq!(e.blockers[0].statements[0].statement, "NoReports");
}

/// "Amazon S3 rejects any request made to the access point that doesn't originate from that
/// VPC" (network origin VPC, access-points-vpc.html): a refusal the snapshot side decided is a blocker of the
/// access point layer; an undecidable one keeps the verdict open.
#[test]
fn vpc_network_origin_refuses_and_unknown_stays_unknown() {
    let mut i = input();
    i.identity = Known::Known(vec![allow("id", "s3:GetObject", "*")]);
    i.access_point = Some(through_ap(
        None,
        Known::Known(Some("network origin VPC vpc-1; no endpoint".into())),
    ));
    let e = authorize(&ap_req(user(A, "Jane")), &i);
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.blockers[0].layer, Layer::AccessPoint);
    assert!(e.blockers[0].network.is_some());

    i.access_point = Some(through_ap(None, Known::Unknown("VPC of vpce-1".into())));
    let e = authorize(&ap_req(user(A, "Jane")), &i);
    assert_eq!(e.decision, Decision::Unknown);
    assert!(
        e.unknowns.iter().any(|u| u.contains("vpce-1")),
        "{:?}",
        e.unknowns
    );
}

/// An access point whose policy the snapshot lacks is unknown, never "no policy": a caller
/// from another account could be granted by it.
#[test]
fn unknown_access_point_policy_is_unknown() {
    let mut i = input();
    i.identity = Known::Known(vec![allow("id", "s3:GetObject", "*")]);
    i.resource = Known::Known(Some(delegating_bucket()));
    let mut ap = through_ap(None, Known::Known(None));
    ap.policy = Known::Unknown("access-point.json not captured".into());
    i.access_point = Some(ap);
    let e = authorize(&ap_req(user(B, "Jane")), &i);
    assert_eq!(e.decision, Decision::Unknown);
    assert!(e.blockers.is_empty());
}

/// "Requests from the VPC through the access point to S3 succeed only when the VPC endpoint
/// policy grants access to both the access point and the underlying bucket"
/// (access-points-vpc.html): an endpoint policy that names only the bucket refuses.
#[test]
fn endpoint_policy_must_allow_the_access_point_too() {
    let mut i = input();
    i.identity = Known::Known(vec![allow("id", "s3:GetObject", "*")]);
    let bucket_only = pol(
        "vpce-1",
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]}"#,
    );
    i.vpc_endpoint = Known::Known(Some(bucket_only));
    i.access_point = Some(through_ap(None, Known::Known(None)));
    let e = authorize(&ap_req(user(A, "Jane")), &i);
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.blockers[0].layer, Layer::VpcEndpoint);
    let both = pol(
        "vpce-1",
        &format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":["arn:aws:s3:::amzn-s3-demo-bucket/*","{AP}/object/*"]}}]}}"#
        ),
    );
    i.vpc_endpoint = Known::Known(Some(both));
    assert_eq!(
        authorize(&ap_req(user(A, "Jane")), &i).decision,
        Decision::Allow
    );
}
