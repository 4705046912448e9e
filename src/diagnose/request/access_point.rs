//! A request made through an S3 access point or a Multi-Region Access Point, as the record
//! shows it, and the condition keys it sets.
//!
//! Where the record says it (S3 User Guide):
//! - "CloudTrail log entries for requests made through access points include the access point
//!   ARN (which includes the access point name) in the resources section of the log"
//!   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-monitoring-logging.html):
//!   a `resources[]` entry of type `AWS::S3::AccessPoint`;
//! - the host name: `<name>-<account>.s3-accesspoint.<region>.amazonaws.com` for an access
//!   point, `<alias>.accesspoint.s3-global.amazonaws.com` for a Multi-Region Access Point
//!   (access-points-naming.html, MultiRegionAccessPointRequests.html);
//! - `bucketName` may be the access point's ARN or alias (`...-s3alias`, `....mrap`).
//!
//! The keys (Amazon S3 condition keys, service authorization reference):
//! `s3:DataAccessPointArn` "filters access by an access point ARN", `s3:DataAccessPointAccount`
//! "by the AWS account ID that owns the access point", `s3:AccessPointNetworkOrigin` "by the
//! network origin (Internet or VPC)". A request that addressed the bucket itself has none of
//! them ([`crate::diagnose::principal_facts::access_point_keys`] marks them absent).

use super::read::{param, Notes};
use crate::policy::Context;
use crate::policy::Known;
use crate::record::Event;
use crate::snapshot::access_points::parse_ap_arn;
use crate::snapshot::{AccessPoint, ApRef, Snapshot};

pub use crate::snapshot::access_points::UNRESOLVED_ALIAS_KEY;

/// The access point a record names, if any.
pub fn reference(event: &Event) -> Option<ApRef> {
    if let Some(arn) = event
        .resources
        .iter()
        .find(|r| r.kind.as_deref() == Some("AWS::S3::AccessPoint"))
        .and_then(|r| r.arn.as_deref())
        .filter(|a| parse_ap_arn(a).is_some())
    {
        return Some(ApRef::Arn(arn.to_owned()));
    }
    if let Some(r) = param(event, "bucketName").and_then(from_bucket_name) {
        return Some(r);
    }
    let host = param(event, "Host")?;
    from_host(host, event.aws_region.as_deref())
}

/// `bucketName` holding an access point ARN or alias.
pub fn from_bucket_name(b: &str) -> Option<ApRef> {
    if parse_ap_arn(b).is_some() {
        return Some(ApRef::Arn(b.to_owned()));
    }
    is_alias(b).then(|| ApRef::Alias(b.to_owned()))
}

/// An access point alias (`<name>-<metadata>-s3alias`) or a Multi-Region Access Point alias
/// (`<x>.mrap`): neither can be a bucket name ("Bucket names must not end with the suffix
/// -s3alias", bucketnamingrules.html; bucket names have no `.mrap` suffix in use by S3).
pub fn is_alias(b: &str) -> bool {
    b.ends_with("-s3alias") || b.ends_with(".mrap")
}

/// The access point a host name addresses.
pub fn from_host(host: &str, region: Option<&str>) -> Option<ApRef> {
    let h = host.to_ascii_lowercase();
    if let Some(alias) = h.strip_suffix(".accesspoint.s3-global.amazonaws.com") {
        return (!alias.is_empty()).then(|| ApRef::Alias(alias.to_owned()));
    }
    let labels: Vec<&str> = h.split('.').collect();
    let at = labels
        .iter()
        .position(|l| l.starts_with("s3-accesspoint"))?;
    if at != 1 {
        return None;
    }
    let (name, account) = labels[0].rsplit_once('-')?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
        return None;
    }
    let amazon = labels.iter().position(|l| *l == "amazonaws")?;
    let region = labels
        .get(amazon.checked_sub(1)?)
        .filter(|r| !r.starts_with("s3-accesspoint") && **r != "dualstack")
        .copied()
        .or(region)?;
    let partition = super::partition_of(Some(region));
    Some(ApRef::Arn(format!(
        "arn:{partition}:s3:{region}:{account}:accesspoint/{name}"
    )))
}

/// The access point of a record, resolved against the snapshot when it can be.
pub struct Found<'s> {
    pub reference: ApRef,
    pub resolved: Option<&'s AccessPoint>,
    pub unknown: Option<String>,
}

pub fn find<'s>(event: &Event, snapshot: &'s Snapshot) -> Option<Found<'s>> {
    let reference = reference(event)?;
    let (resolved, unknown) = match snapshot.access_point(&reference) {
        Known::Known(ap) => (Some(ap), None),
        Known::Unknown(why) => (None, Some(why)),
    };
    Some(Found {
        reference,
        resolved,
        unknown,
    })
}

impl Found<'_> {
    /// The bucket behind the access point: the one of the record's Region for an MRAP.
    pub fn bucket(&self, snapshot: &Snapshot, region: Option<&str>) -> Option<String> {
        let ap = self.resolved?;
        if ap.buckets.len() == 1 {
            return ap.buckets.first().map(|(b, _)| b.clone());
        }
        ap.buckets
            .iter()
            .find(|(b, _)| {
                snapshot.accounts.values().any(|a| {
                    a.buckets.get(b).is_some_and(
                        |x| matches!(&x.region, Known::Known(r) if Some(r.as_str()) == region),
                    )
                })
            })
            .map(|(b, _)| b.clone())
    }

    /// Sets `s3:DataAccessPointArn`, `s3:DataAccessPointAccount` and
    /// `s3:AccessPointNetworkOrigin` as far as the record and the snapshot tell them.
    pub(super) fn keys(&self, ctx: &mut Context, notes: &mut Notes) {
        if let Some(ap) = self.resolved {
            ctx.set("s3:DataAccessPointArn", ap.arn.as_str());
            ctx.set("s3:DataAccessPointAccount", ap.account.as_str());
            if let Some(n) = &ap.network_origin {
                ctx.set("s3:AccessPointNetworkOrigin", n.as_str());
            }
            return;
        }
        if let Some(why) = &self.unknown {
            notes.gap(format!("the access point the request went through: {why}"));
        }
        match &self.reference {
            ApRef::Arn(arn) => {
                ctx.set("s3:DataAccessPointArn", arn.as_str());
                if let Some((_, _, account, _)) = parse_ap_arn(arn) {
                    ctx.set("s3:DataAccessPointAccount", account);
                }
            }
            ApRef::Alias(alias) => ctx.set(UNRESOLVED_ALIAS_KEY, alias.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "https://<access-point-name>-<account-id>.s3-accesspoint.<region>.amazonaws.com"
    /// (access-points-naming / using access points through the REST API).
    #[test]
    fn access_point_host_gives_its_arn() {
        assert_eq!(
            from_host(
                "finance-ap-111122223333.s3-accesspoint.us-east-1.amazonaws.com",
                None
            ),
            Some(ApRef::Arn(
                "arn:aws:s3:us-east-1:111122223333:accesspoint/finance-ap".into()
            ))
        );
        assert_eq!(
            from_host(
                "ap-111122223333.s3-accesspoint.dualstack.eu-west-1.amazonaws.com",
                None
            ),
            Some(ApRef::Arn(
                "arn:aws:s3:eu-west-1:111122223333:accesspoint/ap".into()
            ))
        );
        assert_eq!(from_host("bucket.s3.us-east-1.amazonaws.com", None), None);
    }

    /// "<alias>.accesspoint.s3-global.amazonaws.com" for a Multi-Region Access Point.
    #[test]
    fn mrap_host_gives_its_alias() {
        assert_eq!(
            from_host(
                "mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com",
                None
            ),
            Some(ApRef::Alias("mfzwi23gnjvgw.mrap".into()))
        );
    }

    #[test]
    fn aliases_are_not_bucket_names() {
        assert!(is_alias(
            "finance-ap-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias"
        ));
        assert!(is_alias("mfzwi23gnjvgw.mrap"));
        assert!(!is_alias("reports-bucket"));
    }
}
