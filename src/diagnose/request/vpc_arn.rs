//! `aws:SourceVpcArn`: the ARN of the VPC a request came from through a VPC endpoint.
//!
//! IAM User Guide, reference_sts_vpc_condition_keys_federated.html, "VPC condition key
//! availability by network path": `aws:SourceVpcArn` is present "Through VPC endpoint" (Yes)
//! and not "Over public internet" (No), as the "ARN of the VPC that the request traverses";
//! the AWS PrivateLink Guide (cross-Region connectivity): "You can use IAM's new
//! `aws:SourceVpcArn` global condition key to secure which Regions, AWS accounts and VPCs your
//! resources can be accessed from." An EC2 VPC's ARN is
//! `arn:PARTITION:ec2:REGION:ACCOUNT:vpc/VPC-ID` (service authorization reference, Amazon EC2
//! resource types: `vpc`).
//!
//! `describe-vpc-endpoints` gives the endpoint's `VpcId` and `OwnerId` but not its own Region
//! (the snapshot merges every Region into one file). Its `ServiceName`
//! (`com.amazonaws.REGION.s3`) names the Region of the service; that is the endpoint's own
//! Region for a gateway endpoint (gateway endpoints reach the service in their own Region
//! only) and for an interface endpoint without `ServiceRegion` (before cross-Region
//! PrivateLink an interface endpoint was regional). An interface endpoint that carries
//! `ServiceRegion` may sit in another Region than the service: its VPC's Region, and so the
//! key, stay unknown. An entry without `ServiceName` falls back on the request's Region (the
//! bucket's, `awsRegion`), which a regional endpoint shares. The account is the endpoint's owner (`OwnerId`, else the account whose
//! file lists it), which owns the VPC the endpoint was created in.

use crate::snapshot::model::VpcEndpoint;

/// The VPC ARN of `endpoint` owned by `owner`, or why it is not known. `request_region` is
/// the Region the request was made in, if known.
pub fn source_vpc_arn(
    endpoint: &VpcEndpoint,
    owner: Option<&str>,
    partition: &str,
    request_region: Option<&str>,
) -> Result<String, String> {
    let id = &endpoint.id;
    let vpc = endpoint
        .vpc_id
        .as_deref()
        .ok_or_else(|| format!("endpoint `{id}` has no `VpcId` in ec2/vpc-endpoints.json"))?;
    let owner = owner.ok_or_else(|| format!("the owner of endpoint `{id}` is not known"))?;
    let gateway = endpoint
        .endpoint_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("Gateway"));
    if !gateway && endpoint.service_region.is_some() {
        return Err(format!(
            "endpoint `{id}` is an interface endpoint with a `ServiceRegion` (it may connect across Regions) and ec2/vpc-endpoints.json does not give its own Region"
        ));
    }
    let region = match endpoint.service_name.as_deref() {
        Some(name) => service_region(name).ok_or_else(|| {
            format!("the Region of endpoint `{id}` is not in its `ServiceName` `{name}` (com.amazonaws.REGION.SERVICE)")
        })?,
        None => request_region.filter(|r| !r.is_empty()).ok_or_else(|| {
            format!("endpoint `{id}` has no `ServiceName` and the record no `awsRegion`")
        })?,
    };
    Ok(format!("arn:{partition}:ec2:{region}:{owner}:vpc/{vpc}"))
}

/// `us-east-1` of `com.amazonaws.us-east-1.s3` (also `cn.com.amazonaws.cn-north-1.s3`).
fn service_region(name: &str) -> Option<&str> {
    let rest = name
        .strip_prefix("com.amazonaws.")
        .or_else(|| name.strip_prefix("cn.com.amazonaws."))?;
    let (region, service) = rest.split_once('.')?;
    (!region.is_empty() && !service.is_empty() && region.contains('-')).then_some(region)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Known;

    fn endpoint(kind: &str, service: &str, service_region: Option<&str>) -> VpcEndpoint {
        VpcEndpoint {
            id: "vpce-1".into(),
            vpc_id: Some("vpc-0abc".into()),
            owner: Some("111122223333".into()),
            service_name: Some(service.into()),
            endpoint_type: Some(kind.into()),
            service_region: service_region.map(str::to_owned),
            policy: Known::Unknown("n/a".into()),
        }
    }

    #[test]
    fn the_arn_of_a_gateway_or_regional_interface_endpoint_vpc() {
        let gw = endpoint("Gateway", "com.amazonaws.eu-west-1.s3", Some("eu-west-1"));
        assert_eq!(
            source_vpc_arn(&gw, Some("111122223333"), "aws", Some("us-east-1")),
            Ok("arn:aws:ec2:eu-west-1:111122223333:vpc/vpc-0abc".to_owned())
        );
        let cn = endpoint("Interface", "cn.com.amazonaws.cn-north-1.s3", None);
        assert_eq!(
            source_vpc_arn(&cn, Some("111122223333"), "aws-cn", None),
            Ok("arn:aws-cn:ec2:cn-north-1:111122223333:vpc/vpc-0abc".to_owned())
        );
        let cross = endpoint("Interface", "com.amazonaws.us-west-2.s3", Some("us-west-2"));
        assert!(source_vpc_arn(&cross, Some("111122223333"), "aws", Some("us-east-1")).is_err());
        assert!(source_vpc_arn(&gw, None, "aws", None).is_err());
        let mut bare = endpoint("Gateway", "x", None);
        bare.service_name = None;
        assert_eq!(
            source_vpc_arn(&bare, Some("111122223333"), "aws", Some("ap-south-1")),
            Ok("arn:aws:ec2:ap-south-1:111122223333:vpc/vpc-0abc".to_owned())
        );
        assert!(source_vpc_arn(&bare, Some("111122223333"), "aws", None).is_err());
    }
}
