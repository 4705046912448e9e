//! `accounts/<id>/ec2/vpc-endpoints.json`: `aws ec2 describe-vpc-endpoints` in every region
//! read, merged into one `{"VpcEndpoints": [...]}` with the CLI's field names. Called by hand
//! (EC2 Query protocol, SigV4, XML answer): see [`super::signed`] for why.

use super::signed::{self, Answer};
use super::{CollectError, Ctx, Skipped};
use aws_config::SdkConfig;
use aws_smithy_xml::decode::{try_data, Document, ScopedDecoder, XmlDecodeError};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

const API_VERSION: &str = "2016-11-15";

pub async fn collect(
    conf: &SdkConfig,
    account: &str,
    ctx: &Ctx,
    regions: &BTreeSet<String>,
) -> Result<(), CollectError> {
    ctx.found(1);
    let mut all = Vec::new();
    for region in regions {
        match describe_region(conf, region).await {
            Ok(mut eps) => all.append(&mut eps),
            Err((error, denied)) => {
                ctx.skip_raw(Skipped {
                    scope: ctx.scope.clone(),
                    call: "ec2:DescribeVpcEndpoints".into(),
                    target: format!("region {region}"),
                    error,
                    denied,
                    unknown: "the account's VPC endpoint policies (every region: the file is one)"
                        .into(),
                });
                ctx.done_piece();
                return Ok(());
            }
        }
    }
    ctx.write(
        &["accounts", account, "ec2", "vpc-endpoints.json"],
        &json!({ "VpcEndpoints": all }),
    )?;
    ctx.done_piece();
    Ok(())
}

/// The endpoint URL for `region` (or the override).
fn endpoint(conf: &SdkConfig, region: &str) -> String {
    match conf.endpoint_url() {
        Some(u) => format!("{}/", u.trim_end_matches('/')),
        None if region.starts_with("cn-") => format!("https://ec2.{region}.amazonaws.com.cn/"),
        None => format!("https://ec2.{region}.amazonaws.com/"),
    }
}

/// All pages of one region; `Err((message, denied))`.
async fn describe_region(conf: &SdkConfig, region: &str) -> Result<Vec<Value>, (String, bool)> {
    let url = endpoint(conf, region);
    let mut token: Option<String> = None;
    let mut out = Vec::new();
    loop {
        let mut body = format!("Action=DescribeVpcEndpoints&Version={API_VERSION}");
        if let Some(t) = &token {
            body.push_str("&NextToken=");
            body.extend(percent_encoding::utf8_percent_encode(
                t,
                percent_encoding::NON_ALPHANUMERIC,
            ));
        }
        let headers = [(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )];
        let a: Answer = signed::send(conf, "ec2", region, "POST", &url, &headers, body.as_bytes())
            .await
            .map_err(|e| (e.to_string(), false))?;
        if a.status != 200 {
            let denied = crate::aws::is_denied_code(a.error_code());
            return Err((a.error_line(), denied));
        }
        let (mut eps, next) =
            parse(&a.body).map_err(|e| (format!("unreadable answer: {e}"), false))?;
        out.append(&mut eps);
        match next {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return Ok(out),
        }
    }
}

/// Parses a `DescribeVpcEndpointsResponse`: the endpoints in the CLI's shape and the next
/// token.
pub fn parse(xml: &str) -> Result<(Vec<Value>, Option<String>), XmlDecodeError> {
    let mut doc = Document::new(xml);
    let mut root = doc.root_element()?;
    let mut eps = Vec::new();
    let mut next = None;
    while let Some(mut tag) = root.next_tag() {
        match tag.start_el().local() {
            "vpcEndpointSet" => {
                while let Some(mut item) = tag.next_tag() {
                    if item.start_el().local() == "item" {
                        eps.push(endpoint_item(&mut item)?);
                    }
                }
            }
            "nextToken" => next = Some(try_data(&mut tag)?.into_owned()),
            _ => {}
        }
    }
    Ok((eps, next))
}

/// `vpcEndpointId` → `VpcEndpointId`: the CLI's member names are the XML names capitalized,
/// except the lists (`...Set` of `item`s), named below.
fn cli_name(xml: &str) -> String {
    let mut c = xml.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

fn endpoint_item(item: &mut ScopedDecoder) -> Result<Value, XmlDecodeError> {
    let mut m = Map::new();
    while let Some(mut f) = item.next_tag() {
        let name = f.start_el().local().to_owned();
        let v = match name.as_str() {
            "routeTableIdSet" | "subnetIdSet" | "networkInterfaceIdSet" => {
                let mut l = Vec::new();
                while let Some(mut i) = f.next_tag() {
                    l.push(Value::String(try_data(&mut i)?.into_owned()));
                }
                Value::Array(l)
            }
            "groupSet" | "dnsEntrySet" | "tagSet" | "ipv4PrefixSet" | "ipv6PrefixSet" => {
                let mut l = Vec::new();
                while let Some(mut i) = f.next_tag() {
                    let mut o = Map::new();
                    while let Some(mut k) = i.next_tag() {
                        let kn = cli_name(k.start_el().local());
                        o.insert(kn, Value::String(try_data(&mut k)?.into_owned()));
                    }
                    l.push(Value::Object(o));
                }
                Value::Array(l)
            }
            "privateDnsEnabled" | "requesterManaged" => {
                Value::Bool(try_data(&mut f)?.trim() == "true")
            }
            // Nested structures the diagnosis does not use (dnsOptions, lastError, ...).
            "dnsOptions" | "lastError" | "serviceNetworkArn" | "resourceConfigurationArn" => {
                continue
            }
            _ => match try_data(&mut f) {
                Ok(s) => Value::String(s.into_owned()),
                Err(_) => continue,
            },
        };
        let key = match name.as_str() {
            "routeTableIdSet" => "RouteTableIds".to_owned(),
            "subnetIdSet" => "SubnetIds".to_owned(),
            "networkInterfaceIdSet" => "NetworkInterfaceIds".to_owned(),
            "groupSet" => "Groups".to_owned(),
            "dnsEntrySet" => "DnsEntries".to_owned(),
            "tagSet" => "Tags".to_owned(),
            "ipv4PrefixSet" => "Ipv4Prefixes".to_owned(),
            "ipv6PrefixSet" => "Ipv6Prefixes".to_owned(),
            other => cli_name(other),
        };
        m.insert(key, v);
    }
    Ok(Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of an EC2 answer (element names from the EC2 API reference,
    /// DescribeVpcEndpoints response elements), with an entity in the policy.
    const ANSWER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeVpcEndpointsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>1</requestId>
  <vpcEndpointSet>
    <item>
      <vpcEndpointId>vpce-0abc</vpcEndpointId>
      <vpcEndpointType>Gateway</vpcEndpointType>
      <vpcId>vpc-1</vpcId>
      <serviceName>com.amazonaws.us-east-1.s3</serviceName>
      <state>available</state>
      <policyDocument>{&quot;Statement&quot;:[{&quot;Effect&quot;:&quot;Allow&quot;}]}</policyDocument>
      <routeTableIdSet><item>rtb-1</item><item>rtb-2</item></routeTableIdSet>
      <subnetIdSet/>
      <groupSet><item><groupId>sg-1</groupId><groupName>default</groupName></item></groupSet>
      <privateDnsEnabled>false</privateDnsEnabled>
      <requesterManaged>false</requesterManaged>
      <dnsOptions><dnsRecordIpType>ipv4</dnsRecordIpType></dnsOptions>
      <tagSet><item><key>Name</key><value>s3</value></item></tagSet>
      <ownerId>111122223333</ownerId>
    </item>
  </vpcEndpointSet>
  <nextToken>tok-2</nextToken>
</DescribeVpcEndpointsResponse>"#;

    #[test]
    fn describe_vpc_endpoints_xml_becomes_the_cli_json() {
        let (eps, next) = parse(ANSWER).expect("parses");
        assert_eq!(next.as_deref(), Some("tok-2"));
        assert_eq!(
            eps,
            vec![json!({
                "VpcEndpointId": "vpce-0abc",
                "VpcEndpointType": "Gateway",
                "VpcId": "vpc-1",
                "ServiceName": "com.amazonaws.us-east-1.s3",
                "State": "available",
                "PolicyDocument": "{\"Statement\":[{\"Effect\":\"Allow\"}]}",
                "RouteTableIds": ["rtb-1", "rtb-2"],
                "SubnetIds": [],
                "Groups": [{"GroupId": "sg-1", "GroupName": "default"}],
                "PrivateDnsEnabled": false,
                "RequesterManaged": false,
                "Tags": [{"Key": "Name", "Value": "s3"}],
                "OwnerId": "111122223333",
            })]
        );
    }
}
