//! `accounts/<id>/s3control/access-points/<region>/<name>/` and `s3control/mrap/<name>/`
//! (SNAPSHOT.md): S3 access points and Multi-Region Access Points, each with the S3 Control
//! answer that describes it (`access-point.json`: get-access-point or
//! get-multi-region-access-point) and its policy (`policy.json`: get-access-point-policy,
//! `{"Policy": "<json string>"}` or `{"Policy": null}`; get-multi-region-access-point-policy,
//! `{"Policy": {"Established": {"Policy": ...}, "Proposed": ...}}`, of which the established
//! policy is the one in force).
//!
//! Looked up by ARN, by name + region + account, and by alias. A folder that is not there is
//! `Unknown` naming the file to capture (never "no access point"); a malformed file is a
//! problem naming its path, and the access point stays unknown.

use super::doc;
use super::files::{self, str_field, Problems};
use super::public_access_block::PublicAccessBlock;
use super::Snapshot;
use crate::policy::{AccessPointInput, KeyState, Known, PolicyRef, Request};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One access point (or Multi-Region Access Point) of an account.
#[derive(Debug, Clone)]
pub struct AccessPoint {
    /// `arn:aws:s3:<region>:<acct>:accesspoint/<name>`; for an MRAP
    /// `arn:aws:s3::<acct>:accesspoint/<alias>`.
    pub arn: String,
    pub name: String,
    /// The account folder holding it (the access point's owner).
    pub account: String,
    /// `None` for a Multi-Region Access Point.
    pub region: Option<String>,
    pub alias: Option<String>,
    pub multi_region: bool,
    /// The buckets behind it, each with its owner when the file says (`BucketAccountId`): one
    /// for an access point, one per Region for an MRAP.
    pub buckets: Vec<(String, Option<String>)>,
    /// `NetworkOrigin` (`Internet` or `VPC`); `None` for an MRAP.
    pub network_origin: Option<String>,
    /// `VpcConfiguration.VpcId` when the network origin is `VPC`.
    pub vpc_id: Option<String>,
    pub public_access_block: Option<PublicAccessBlock>,
    /// The access point policy (policy id: the access point ARN).
    pub policy: Known<Option<PolicyRef>>,
}

/// An account's access points as captured.
#[derive(Debug, Clone, Default)]
pub struct AccessPoints {
    /// Whether `s3control/access-points/` was captured at all.
    pub listed: bool,
    /// Whether `s3control/mrap/` was captured at all.
    pub mrap_listed: bool,
    pub list: Vec<AccessPoint>,
    /// Folders whose `access-point.json` is absent or malformed: (region or `""` for an
    /// MRAP, name, why).
    pub broken: Vec<(String, String, String)>,
}

/// Loads both folders of one account.
pub fn load(account: &str, s3control: &Path, problems: &mut Problems) -> AccessPoints {
    let mut out = AccessPoints::default();
    let ap_dir = s3control.join("access-points");
    out.listed = ap_dir.is_dir();
    for (region, rdir) in files::entries(&ap_dir, true, problems) {
        for (name, dir) in files::entries(&rdir, true, problems) {
            match regional(account, &region, &name, &dir, problems) {
                Ok(ap) => out.list.push(ap),
                Err(why) => out.broken.push((region.clone(), name, why)),
            }
        }
    }
    let mrap_dir = s3control.join("mrap");
    out.mrap_listed = mrap_dir.is_dir();
    for (name, dir) in files::entries(&mrap_dir, true, problems) {
        match multi_region(account, &name, &dir, problems) {
            Ok(ap) => out.list.push(ap),
            Err(why) => out.broken.push((String::new(), name, why)),
        }
    }
    out
}

fn pab(v: Option<&Value>) -> Option<PublicAccessBlock> {
    let c = v.filter(|c| c.is_object())?;
    let flag = |k: &str| c.get(k).and_then(Value::as_bool).unwrap_or(false);
    Some(PublicAccessBlock {
        block_public_acls: flag("BlockPublicAcls"),
        ignore_public_acls: flag("IgnorePublicAcls"),
        block_public_policy: flag("BlockPublicPolicy"),
        restrict_public_buckets: flag("RestrictPublicBuckets"),
    })
}

/// `get-access-point`.
fn regional(
    account: &str,
    region: &str,
    name: &str,
    dir: &Path,
    problems: &mut Problems,
) -> Result<AccessPoint, String> {
    let path = dir.join("access-point.json");
    let v = files::read_object(&path, problems)?;
    let Some(bucket) = str_field(&v, "Bucket") else {
        problems.shape(&path, "expected `Bucket` (get-access-point output)");
        return Err(format!("{} has no `Bucket`", path.display()));
    };
    let partition = if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    let arn = str_field(&v, "AccessPointArn")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("arn:{partition}:s3:{region}:{account}:accesspoint/{name}"));
    let network_origin = str_field(&v, "NetworkOrigin").map(str::to_owned);
    let vpc_id = v
        .get("VpcConfiguration")
        .and_then(|c| str_field(c, "VpcId"))
        .map(str::to_owned);
    if network_origin
        .as_deref()
        .is_some_and(|n| n.eq_ignore_ascii_case("vpc"))
        && vpc_id.is_none()
    {
        problems.shape(
            &path,
            "`NetworkOrigin` is VPC but `VpcConfiguration.VpcId` is missing",
        );
    }
    let policy = regional_policy(&arn, &dir.join("policy.json"), problems);
    Ok(AccessPoint {
        arn,
        name: str_field(&v, "Name").unwrap_or(name).to_owned(),
        account: account.to_owned(),
        region: Some(region.to_owned()),
        alias: str_field(&v, "Alias").map(str::to_owned),
        multi_region: false,
        buckets: vec![(
            bucket.to_owned(),
            str_field(&v, "BucketAccountId").map(str::to_owned),
        )],
        network_origin,
        vpc_id,
        public_access_block: pab(v.get("PublicAccessBlockConfiguration")),
        policy,
    })
}

/// A policy string or document, compiled with the access point ARN as its id.
fn compile(
    id: &str,
    raw: &Value,
    path: &Path,
    problems: &mut Problems,
) -> Known<Option<PolicyRef>> {
    match doc::load(id, raw) {
        Ok(p) => Known::Known(Some(p)),
        Err(reason) => {
            problems.policy(path, id, reason.clone());
            Known::Unknown(format!(
                "the policy of access point {id} could not be loaded: {reason}"
            ))
        }
    }
}

/// `get-access-point-policy`: `{"Policy": "<json string>"}` or `{"Policy": null}`.
fn regional_policy(id: &str, path: &Path, problems: &mut Problems) -> Known<Option<PolicyRef>> {
    let v = match files::read_object(path, problems) {
        Err(why) => return Known::Unknown(why),
        Ok(v) => v,
    };
    match v.get("Policy") {
        None => {
            problems.shape(path, "expected `{\"Policy\": ...}` (null when none)");
            Known::Unknown(format!(
                "{} is not get-access-point-policy output",
                path.display()
            ))
        }
        Some(Value::Null) => Known::Known(None),
        Some(raw) => compile(id, raw, path, problems),
    }
}

/// `get-multi-region-access-point`: `{"AccessPoint": {Name, Alias, Regions[{Bucket,
/// BucketAccountId, Region}], PublicAccessBlock}}`.
fn multi_region(
    account: &str,
    name: &str,
    dir: &Path,
    problems: &mut Problems,
) -> Result<AccessPoint, String> {
    let path = dir.join("access-point.json");
    let v = files::read_object(&path, problems)?;
    let Some(ap) = v.get("AccessPoint").filter(|a| a.is_object()) else {
        problems.shape(
            &path,
            "expected `AccessPoint` (get-multi-region-access-point output)",
        );
        return Err(format!("{} has no `AccessPoint`", path.display()));
    };
    let Some(alias) = str_field(ap, "Alias") else {
        problems.shape(&path, "expected `AccessPoint.Alias`");
        return Err(format!("{} has no `AccessPoint.Alias`", path.display()));
    };
    let buckets = ap
        .get("Regions")
        .and_then(Value::as_array)
        .map(|rs| {
            rs.iter()
                .filter_map(|r| {
                    Some((
                        str_field(r, "Bucket")?.to_owned(),
                        str_field(r, "BucketAccountId").map(str::to_owned),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let arn = format!("arn:aws:s3::{account}:accesspoint/{alias}");
    let ppath = dir.join("policy.json");
    let policy = match files::read_object(&ppath, problems) {
        Err(why) => Known::Unknown(why),
        Ok(pv) => match pv.get("Policy") {
            None => {
                problems.shape(&ppath, "expected `{\"Policy\": {\"Established\": ...}}`");
                Known::Unknown(format!(
                    "{} is not get-multi-region-access-point-policy output",
                    ppath.display()
                ))
            }
            Some(Value::Null) => Known::Known(None),
            Some(p) => match p.get("Established").and_then(|e| e.get("Policy")) {
                None | Some(Value::Null) => Known::Known(None),
                Some(raw) => compile(&arn, raw, &ppath, problems),
            },
        },
    };
    Ok(AccessPoint {
        arn,
        name: str_field(ap, "Name").unwrap_or(name).to_owned(),
        account: account.to_owned(),
        region: None,
        alias: Some(alias.to_owned()),
        multi_region: true,
        buckets,
        network_origin: None,
        vpc_id: None,
        public_access_block: pab(ap.get("PublicAccessBlock")),
        policy,
    })
}

/// The context key that carries an access point alias the snapshot could not resolve to an
/// ARN, so that the access point layer is still evaluated (as unknown) rather than skipped.
/// No policy can name it (it is not an AWS key).
pub const UNRESOLVED_ALIAS_KEY: &str = "denytrail:AccessPointAlias";

/// What a record says about the access point it went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApRef {
    /// `arn:aws:s3:<region>:<acct>:accesspoint/<name>` or the MRAP form.
    Arn(String),
    /// An access point alias (`<name>-<suffix>-s3alias`) or an MRAP alias (`<x>.mrap`).
    Alias(String),
}

/// The parts of an access point ARN: (partition, region, account, name or alias).
pub fn parse_ap_arn(arn: &str) -> Option<(&str, &str, &str, &str)> {
    let mut it = arn.splitn(6, ':');
    if it.next()? != "arn" {
        return None;
    }
    let partition = it.next()?;
    if it.next()? != "s3" {
        return None;
    }
    let region = it.next()?;
    let account = it.next()?;
    let rest = it.next()?.strip_prefix("accesspoint/")?;
    let name = rest.split('/').next()?;
    (!name.is_empty() && !account.is_empty()).then_some((partition, region, account, name))
}

impl Snapshot {
    /// The access point a record names, by ARN or alias.
    pub fn access_point(&self, r: &ApRef) -> Known<&AccessPoint> {
        match r {
            ApRef::Arn(arn) => {
                let Some((_, region, account, name)) = parse_ap_arn(arn) else {
                    return Known::Unknown(format!("`{arn}` is not an access point ARN"));
                };
                self.access_point_named(account, (!region.is_empty()).then_some(region), name)
            }
            ApRef::Alias(alias) => {
                let found = self
                    .accounts
                    .values()
                    .flat_map(|a| &a.access_points.list)
                    .find(|ap| ap.alias.as_deref() == Some(alias.as_str()));
                match found {
                    Some(ap) => Known::Known(ap),
                    None => Known::Unknown(format!(
                        "no access point with alias `{alias}` in the snapshot (capture accounts/<id>/s3control/{}/: {})",
                        if alias.ends_with(".mrap") { "mrap/<name>" } else { "access-points/<region>/<name>" },
                        if alias.ends_with(".mrap") { "aws s3control get-multi-region-access-point and get-multi-region-access-point-policy" } else { "aws s3control get-access-point and get-access-point-policy" }
                    )),
                }
            }
        }
    }

    /// The access point `name` (an MRAP: its alias or name, `region` `None`) of `account`.
    pub fn access_point_named(
        &self,
        account: &str,
        region: Option<&str>,
        name: &str,
    ) -> Known<&AccessPoint> {
        let base = PathBuf::from("accounts").join(account).join("s3control");
        let folder = match region {
            Some(r) => base.join("access-points").join(r).join(name),
            None => base.join("mrap").join(name),
        };
        let Some(acct) = self.accounts.get(account) else {
            return Known::Unknown(format!(
                "account {account} (owner of access point `{name}`) is not in the snapshot: {} not captured",
                folder.join("access-point.json").display()
            ));
        };
        let aps = &acct.access_points;
        let found = aps.list.iter().find(|ap| {
            ap.multi_region == region.is_none()
                && ap.region.as_deref() == region
                && (ap.name == name || ap.alias.as_deref() == Some(name))
        });
        if let Some(ap) = found {
            return Known::Known(ap);
        }
        if let Some((_, _, why)) = aps
            .broken
            .iter()
            .find(|(r, n, _)| n == name && r.as_str() == region.unwrap_or(""))
        {
            return Known::Unknown(why.clone());
        }
        Known::Unknown(format!(
            "{} and {} not captured ({})",
            folder.join("access-point.json").display(),
            folder.join("policy.json").display(),
            if region.is_some() {
                "aws s3control get-access-point, get-access-point-policy"
            } else {
                "aws s3control get-multi-region-access-point, get-multi-region-access-point-policy"
            }
        ))
    }

    /// The access point layer's input for a request through an access point (the request
    /// context's `s3:DataAccessPointArn`); `None` for a request that addressed the bucket.
    pub fn access_point_input(&self, req: &Request) -> Option<AccessPointInput> {
        let arn = match req.context.get("s3:DataAccessPointArn") {
            KeyState::Present(v) => v.first()?.clone(),
            _ => match req.context.get(UNRESOLVED_ALIAS_KEY) {
                KeyState::Present(v) => {
                    let alias = v.first()?.clone();
                    let why = match self.access_point(&ApRef::Alias(alias.clone())) {
                        Known::Unknown(why) => why,
                        Known::Known(ap) => format!("access point {} was not resolved", ap.arn),
                    };
                    return Some(AccessPointInput {
                        resource: ap_resource(&alias, &req.resource),
                        arn: alias,
                        account: None,
                        policy: Known::Unknown(why),
                        network: Known::Known(None),
                    });
                }
                _ => return None,
            },
        };
        let resource = ap_resource(&arn, &req.resource);
        let account = parse_ap_arn(&arn).map(|(_, _, a, _)| a.to_owned());
        let (policy, network) = match self.access_point(&ApRef::Arn(arn.clone())) {
            Known::Known(ap) => (ap.policy.clone(), network_check(ap, req)),
            // The whole layer is unknown already; the network check could only add a denial
            // to a verdict the unknown policy keeps open.
            Known::Unknown(why) => (Known::Unknown(why), Known::Known(None)),
        };
        Some(AccessPointInput {
            arn,
            resource,
            account,
            policy,
            network,
        })
    }
}

/// The request's resource in the access point's form: `<ap arn>/object/<key>` for an object,
/// the access point ARN for the bucket.
pub fn ap_resource(ap_arn: &str, bucket_resource: &str) -> String {
    match crate::snapshot::s3_bucket_and_key(bucket_resource) {
        Some((_, Some(key))) => format!("{ap_arn}/object/{key}"),
        _ => ap_arn.to_owned(),
    }
}

/// A VPC network origin refuses requests from anywhere but its VPC.
fn network_check(ap: &AccessPoint, req: &Request) -> Known<Option<String>> {
    let vpc = match (&ap.network_origin, &ap.vpc_id) {
        (Some(n), Some(v)) if n.eq_ignore_ascii_case("vpc") => v,
        (Some(n), None) if n.eq_ignore_ascii_case("vpc") => {
            return Known::Unknown(format!(
                "access point {} has network origin VPC but the snapshot does not say which VPC",
                ap.arn
            ))
        }
        _ => return Known::Known(None),
    };
    match req.context.get("aws:SourceVpc") {
        KeyState::Present(v) if v.iter().any(|x| x == vpc) => Known::Known(None),
        KeyState::Present(v) => Known::Known(Some(format!(
            "its network origin is VPC {vpc}, and the request came from {} through endpoint {}",
            v.first().map(String::as_str).unwrap_or("another VPC"),
            endpoint(req)
        ))),
        KeyState::Absent => Known::Known(Some(format!(
            "its network origin is VPC {vpc}, and the request did not come through a VPC endpoint"
        ))),
        _ => Known::Unknown(format!(
            "access point {} accepts only VPC {vpc}, and the VPC of endpoint {} is not in the snapshot (ec2/vpc-endpoints.json)",
            ap.arn,
            endpoint(req)
        )),
    }
}

fn endpoint(req: &Request) -> String {
    match req.context.get("aws:SourceVpce") {
        KeyState::Present(v) => v.first().cloned().unwrap_or_default(),
        _ => "(none)".to_owned(),
    }
}
