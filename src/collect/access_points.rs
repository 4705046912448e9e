//! `accounts/<id>/s3control/access-points/<region>/<name>/` and `s3control/mrap/<name>/`
//! (SNAPSHOT.md): the account's S3 access points in every region that holds one of its
//! buckets (`aws s3control list-access-points`, then `get-access-point` and
//! `get-access-point-policy` for each) and its Multi-Region Access Points
//! (`list-multi-region-access-points`, whose items are `get-multi-region-access-point`'s
//! `AccessPoint`, and `get-multi-region-access-point-policy`).
//!
//! Called by hand (S3 Control REST-XML, SigV4 as service `s3`, the account id in the
//! `x-amz-account-id` header), like [`super::s3control`] and for the same reasons. Multi-Region
//! Access Point requests go to us-west-2: "All control plane requests to create or maintain
//! Multi-Region Access Points must be routed to the US West (Oregon) Region"
//! (https://docs.aws.amazon.com/AmazonS3/latest/userguide/MultiRegionAccessPointRestrictions.html).
//!
//! The answers' element names are the CLI's JSON member names, so the XML becomes the CLI's
//! JSON by [`xml_to_json`] (lists and booleans named below).

use super::signed::{self, Answer};
use super::{safe_component, CollectError, Ctx, Skipped};
use aws_config::SdkConfig;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// The region of every Multi-Region Access Point control-plane request.
const MRAP_REGION: &str = "us-west-2";

pub async fn collect(
    conf: &SdkConfig,
    account: &str,
    ctx: &Ctx,
    regions: &BTreeSet<String>,
) -> Result<(), CollectError> {
    for region in regions {
        regional(conf, account, ctx, region).await?;
    }
    multi_region(conf, account, ctx).await
}

fn url(conf: &SdkConfig, account: &str, region: &str, path: &str) -> String {
    match conf.endpoint_url() {
        Some(u) => format!("{}/v20180820/{path}", u.trim_end_matches('/')),
        None if region.starts_with("cn-") => {
            format!("https://{account}.s3-control.{region}.amazonaws.com.cn/v20180820/{path}")
        }
        None => format!("https://{account}.s3-control.{region}.amazonaws.com/v20180820/{path}"),
    }
}

/// One signed GET; `Err((message, denied))` for anything but 200 (and the `ok_codes`, which
/// come back as `Ok`).
async fn get(
    conf: &SdkConfig,
    account: &str,
    region: &str,
    path: &str,
    ok_codes: &[&str],
) -> Result<Answer, (String, bool)> {
    let u = url(conf, account, region, path);
    let headers = [("x-amz-account-id", account)];
    match signed::send(conf, "s3", region, "GET", &u, &headers, b"").await {
        Ok(a) if a.status == 200 => Ok(a),
        Ok(a) if a.error_code().is_some_and(|c| ok_codes.contains(&c)) => Ok(a),
        Ok(a) => Err((a.error_line(), crate::aws::is_denied_code(a.error_code()))),
        Err(e) => Err((e.to_string(), false)),
    }
}

fn skipped(ctx: &Ctx, call: &str, target: String, (error, denied): (String, bool), unknown: &str) {
    ctx.skip_raw(Skipped {
        scope: ctx.scope.clone(),
        call: call.into(),
        target,
        error,
        denied,
        unknown: unknown.into(),
    });
}

fn pct(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Every item of a paged S3 Control listing: `base` is asked again with each `NextToken`
/// the answer carries, and the items under `list_key` of every page are gathered.
async fn list_all(
    conf: &SdkConfig,
    account: &str,
    region: &str,
    base: &str,
    list_key: &str,
) -> Result<Vec<serde_json::Value>, (String, bool)> {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let path = match &token {
            Some(t) => format!("{base}&nextToken={}", pct(t)),
            None => base.to_owned(),
        };
        let v = xml_to_json(&get(conf, account, region, &path, &[]).await?.body);
        items.extend(v[list_key].as_array().cloned().unwrap_or_default());
        match v["NextToken"].as_str().filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t.to_owned()),
            None => return Ok(items),
        }
    }
}

async fn regional(
    conf: &SdkConfig,
    account: &str,
    ctx: &Ctx,
    region: &str,
) -> Result<(), CollectError> {
    ctx.found(1);
    let names: Vec<String> = match list_all(
        conf,
        account,
        region,
        "accesspoint?maxResults=1000",
        "AccessPointList",
    )
    .await
    {
        Ok(items) => items
            .iter()
            .filter_map(|ap| ap["Name"].as_str().map(str::to_owned))
            .collect(),
        Err(e) => {
            skipped(
                ctx,
                "s3:ListAccessPoints",
                format!("region {region}"),
                e,
                "the account's access points in this region",
            );
            ctx.done_piece();
            return Ok(());
        }
    };
    ctx.done_piece();
    ctx.found(2 * names.len() as u64);
    for name in names {
        if !safe_component(&name) {
            ctx.note(format!(
                "access point `{name}` cannot be a folder name; skipped"
            ));
            ctx.done_piece();
            ctx.done_piece();
            continue;
        }
        let dir = [
            "accounts",
            account,
            "s3control",
            "access-points",
            region,
            &name,
        ];
        let file = |f: &'static str| {
            let mut p = dir.to_vec();
            p.push(f);
            p
        };
        let target = format!("access point `{name}` ({region})");
        match get(
            conf,
            account,
            region,
            &format!("accesspoint/{}", pct(&name)),
            &[],
        )
        .await
        {
            Ok(a) => ctx.write(&file("access-point.json"), &xml_to_json(&a.body))?,
            Err(e) => skipped(
                ctx,
                "s3:GetAccessPoint",
                target.clone(),
                e,
                "the access point",
            ),
        }
        ctx.done_piece();
        let path = format!("accesspoint/{}/policy", pct(&name));
        match get(conf, account, region, &path, &["NoSuchAccessPointPolicy"]).await {
            Ok(a) if a.status == 200 => {
                let v = xml_to_json(&a.body);
                let policy = v.get("Policy").cloned().unwrap_or(Value::Null);
                ctx.write(&file("policy.json"), &json!({ "Policy": policy }))?
            }
            Ok(_) => ctx.write(&file("policy.json"), &json!({ "Policy": null }))?,
            Err(e) => skipped(
                ctx,
                "s3:GetAccessPointPolicy",
                target,
                e,
                "the access point policy",
            ),
        }
        ctx.done_piece();
    }
    Ok(())
}

async fn multi_region(conf: &SdkConfig, account: &str, ctx: &Ctx) -> Result<(), CollectError> {
    ctx.found(1);
    let items = match list_all(
        conf,
        account,
        MRAP_REGION,
        "mrap/instances?maxResults=100",
        "AccessPoints",
    )
    .await
    {
        Ok(items) => items,
        Err(e) => {
            skipped(
                ctx,
                "s3:ListMultiRegionAccessPoints",
                String::new(),
                e,
                "the account's Multi-Region Access Points",
            );
            ctx.done_piece();
            return Ok(());
        }
    };
    ctx.done_piece();
    ctx.found(items.len() as u64);
    for item in items {
        let Some(name) = item["Name"].as_str().map(str::to_owned) else {
            ctx.done_piece();
            continue;
        };
        if !safe_component(&name) {
            ctx.note(format!(
                "Multi-Region Access Point `{name}` cannot be a folder name; skipped"
            ));
            ctx.done_piece();
            continue;
        }
        let dir = ["accounts", account, "s3control", "mrap", &name];
        let file = |f: &'static str| {
            let mut p = dir.to_vec();
            p.push(f);
            p
        };
        ctx.write(&file("access-point.json"), &json!({ "AccessPoint": item }))?;
        let path = format!("mrap/instances/{}/policy", pct(&name));
        let target = format!("Multi-Region Access Point `{name}`");
        match get(
            conf,
            account,
            MRAP_REGION,
            &path,
            &["NoSuchMultiRegionAccessPointPolicy"],
        )
        .await
        {
            Ok(a) if a.status == 200 => {
                let v = xml_to_json(&a.body);
                ctx.write(
                    &file("policy.json"),
                    &json!({ "Policy": v.get("Policy").cloned().unwrap_or(Value::Null) }),
                )?
            }
            Ok(_) => ctx.write(&file("policy.json"), &json!({ "Policy": null }))?,
            Err(e) => skipped(
                ctx,
                "s3:GetMultiRegionAccessPointPolicy",
                target,
                e,
                "the Multi-Region Access Point policy",
            ),
        }
        ctx.done_piece();
    }
    Ok(())
}

/// Elements whose children are list items (S3 Control API reference: `AccessPointList` of
/// `AccessPoint`, `AccessPoints` of `AccessPoint`, `Regions` of `Region`).
const LISTS: [&str; 3] = ["AccessPointList", "AccessPoints", "Regions"];

/// Members that are booleans (the Block Public Access flags).
const BOOLS: [&str; 4] = [
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
];

/// An S3 Control answer as the CLI's JSON: the root element's members.
pub fn xml_to_json(xml: &str) -> Value {
    match parse(xml) {
        Some(root) => convert(&root),
        None => Value::Null,
    }
}

struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
}

fn convert(n: &Node) -> Value {
    if n.children.is_empty() {
        if BOOLS.contains(&n.name.as_str()) {
            return Value::Bool(n.text.trim() == "true");
        }
        if LISTS.contains(&n.name.as_str()) {
            return Value::Array(Vec::new());
        }
        return Value::String(n.text.clone());
    }
    if LISTS.contains(&n.name.as_str()) {
        return Value::Array(n.children.iter().map(convert).collect());
    }
    let mut m = Map::new();
    for c in &n.children {
        m.insert(c.name.clone(), convert(c));
    }
    Value::Object(m)
}

/// A small XML reader for S3 Control's answers: elements, text and the five predefined
/// entities plus numeric references; declarations and attributes are skipped.
fn parse(xml: &str) -> Option<Node> {
    let mut stack: Vec<Node> = Vec::new();
    let mut rest = xml;
    let mut root = None;
    while let Some(lt) = rest.find('<') {
        let text = &rest[..lt];
        if let Some(top) = stack.last_mut() {
            top.text.push_str(&unescape(text));
        }
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>")?;
            if let Some(top) = stack.last_mut() {
                top.text.push_str(&after[..end]);
            }
            rest = &after[end + 3..];
            continue;
        }
        let gt = rest.find('>')?;
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let done = stack.pop()?;
            if done.name != name.trim() {
                return None;
            }
            match stack.last_mut() {
                Some(parent) => parent.children.push(done),
                None => root = Some(done),
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let name = tag
            .trim_end_matches('/')
            .split_whitespace()
            .next()?
            .to_owned();
        let node = Node {
            name,
            text: String::new(),
            children: Vec::new(),
        };
        if self_closing {
            match stack.last_mut() {
                Some(parent) => parent.children.push(node),
                None => root = Some(node),
            }
        } else {
            stack.push(node);
        }
    }
    root
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';') else {
            break;
        };
        let ent = &rest[1..semi];
        let ch = match ent {
            "quot" => Some('"'),
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GetAccessPoint's documented response (S3 Control API reference, GetAccessPoint,
    /// "Response Syntax"), with the policy-free fields the diagnosis reads.
    #[test]
    fn get_access_point_xml_becomes_the_cli_json() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<GetAccessPointResult xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/">
  <Name>example-vpc-ap</Name><Bucket>amzn-s3-demo-bucket</Bucket><NetworkOrigin>VPC</NetworkOrigin>
  <VpcConfiguration><VpcId>vpc-1a2b3c</VpcId></VpcConfiguration>
  <PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>
  <CreationDate>2019-11-27T00:00:00Z</CreationDate><Alias>example-vpc-ap-abc-s3alias</Alias>
  <AccessPointArn>arn:aws:s3:us-east-1:123456789012:accesspoint/example-vpc-ap</AccessPointArn>
  <BucketAccountId>123456789012</BucketAccountId>
</GetAccessPointResult>"#;
        let v = xml_to_json(xml);
        assert_eq!(v["Name"], "example-vpc-ap");
        assert_eq!(v["VpcConfiguration"]["VpcId"], "vpc-1a2b3c");
        assert_eq!(
            v["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"],
            false
        );
        assert_eq!(v["PublicAccessBlockConfiguration"]["BlockPublicAcls"], true);
        assert_eq!(v["BucketAccountId"], "123456789012");
    }

    /// GetAccessPointPolicy answers the policy as escaped JSON text; list answers are lists.
    #[test]
    fn policy_text_and_lists() {
        let v = xml_to_json(
            "<GetAccessPointPolicyResult><Policy>{&quot;Statement&quot;:[]}</Policy></GetAccessPointPolicyResult>",
        );
        assert_eq!(v["Policy"], r#"{"Statement":[]}"#);
        let v = xml_to_json(
            "<ListMultiRegionAccessPointsResult><AccessPoints><AccessPoint><Name>m</Name><Alias>x.mrap</Alias><Regions><Region><Bucket>b</Bucket><Region>us-east-1</Region></Region></Regions></AccessPoint></AccessPoints></ListMultiRegionAccessPointsResult>",
        );
        assert_eq!(v["AccessPoints"][0]["Alias"], "x.mrap");
        assert_eq!(v["AccessPoints"][0]["Regions"][0]["Bucket"], "b");
        assert_eq!(v["AccessPoints"][0]["Regions"][0]["Region"], "us-east-1");
        let v = xml_to_json("<ListAccessPointsResult><AccessPointList/></ListAccessPointsResult>");
        assert_eq!(v["AccessPointList"], json!([]));
        let v = xml_to_json(
            "<GetMultiRegionAccessPointPolicyResult><Policy><Established><Policy>{}</Policy></Established></Policy></GetMultiRegionAccessPointPolicyResult>",
        );
        assert_eq!(v["Policy"]["Established"]["Policy"], "{}");
    }
}
