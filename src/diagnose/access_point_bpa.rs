//! Block Public Access through an access point: the access point's own settings join the
//! bucket's and the accounts', and an access point policy can be public too.
//!
//! S3 User Guide, "Blocking public access to your Amazon S3 storage"
//! (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html):
//! "When Amazon S3 receives a request to access a bucket or an object, it determines whether
//! the bucket or the bucket owner's account has a block public access setting applied. If the
//! request was made through an access point, Amazon S3 also checks for block public access
//! settings for the access point." and `RestrictPublicBuckets`: "Amazon S3 blocks public and
//! cross-account access derived from any public access point or bucket policy". For an
//! access point policy, `s3:DataAccessPointArn` with a wildcard "is considered public" (same
//! page, [`super::block_public_access::PolicyKind::AccessPoint`]). Multi-Region Access Points:
//! "For any request made through a Multi-Region Access Point, Amazon S3 evaluates the Block
//! Public Access settings for: The Multi-Region Access Point; The underlying buckets
//! (including external buckets); The account that owns the Multi-Region Access Point; The
//! account that owns the underlying buckets" (MultiRegionAccessPointPermissions.html).
//!
//! The rule runs after [`super::block_public_access`] (bucket and account levels, bucket
//! policy) and only for a request through an access point; it adds the access point level
//! and the access point policy. Same cause, `block_public_access`.

use super::block_public_access::{
    levels_of, policy_is_public_as, public_statements, settings_of, Asker, BpaSettings, PolicyKind,
};
use super::rule::{Fix, RuleCx, RuleExtras, RuleHit, RuleOutcome, S3Rule};
use crate::findings::RootCause;
use crate::policy::{Known, PrincipalKind};
use crate::snapshot::ApRef;
use serde_json::Value;

/// One level's `RestrictPublicBuckets`, named.
#[derive(Debug, Clone, Copy)]
pub struct Named {
    pub level: &'static str,
    pub restrict: Option<bool>,
}

/// The policy a grant came from, and who asks relative to its owner.
pub struct Grantor<'a> {
    pub what: &'static str,
    pub doc: Option<&'a Value>,
    pub kind: PolicyKind,
    pub asker: Asker,
}

/// `RestrictPublicBuckets` on any level (the most restrictive combination) blocks the grants
/// of a public access point or bucket policy to anyone but the owner's account and AWS
/// services.
pub fn check(levels: &[Named], grantors: &[Grantor<'_>]) -> RuleOutcome {
    let on: Vec<&str> = levels
        .iter()
        .filter(|l| l.restrict == Some(true))
        .map(|l| l.level)
        .collect();
    let unknown = levels.iter().any(|l| l.restrict.is_none());
    for g in grantors {
        if matches!(g.asker, Asker::SameAccount | Asker::AwsService) {
            continue;
        }
        let Some(doc) = g.doc else { continue };
        if !policy_is_public_as(doc, g.kind) {
            continue;
        }
        if on.is_empty() {
            if unknown {
                return RuleOutcome::Unknown(
                    "Block Public Access settings of the access point, bucket or accounts".into(),
                );
            }
            continue;
        }
        if g.asker == Asker::Unknown {
            return RuleOutcome::Unknown(
                "the caller's account (RestrictPublicBuckets applies only to other accounts)"
                    .into(),
            );
        }
        let who = if g.asker == Asker::Anonymous {
            "an anonymous caller"
        } else {
            "a caller from another account"
        };
        let mut hit = RuleHit::setting(
            RootCause::BlockPublicAccess,
            format!(
                "the {} is public (statement {}) and RestrictPublicBuckets ({} level) blocks its grants to {who}",
                g.what,
                public_statements(doc).join(", "),
                on.join(" and ")
            ),
        );
        hit.fix = Fix::PublicPolicy;
        return RuleOutcome::Fires(hit);
    }
    RuleOutcome::Clear
}

fn asker(kind: PrincipalKind, caller: Option<&str>, owner: Option<&str>) -> Asker {
    match kind {
        PrincipalKind::Anonymous => Asker::Anonymous,
        PrincipalKind::Service => Asker::AwsService,
        _ => match (caller, owner) {
            (Some(a), Some(b)) => {
                if a == b {
                    Asker::SameAccount
                } else {
                    Asker::CrossAccount
                }
            }
            _ => Asker::Unknown,
        },
    }
}

pub struct Rule;

impl S3Rule for Rule {
    fn name(&self) -> &'static str {
        "access_point_bpa"
    }

    fn check(&self, cx: &RuleCx<'_>, _extras: &mut RuleExtras) -> Option<RuleOutcome> {
        let apin = cx.input.access_point.as_ref()?;
        let ap = match cx.snapshot.access_point(&ApRef::Arn(apin.arn.clone())) {
            Known::Known(ap) => ap,
            Known::Unknown(why) => return Some(RuleOutcome::Unknown(why)),
        };
        let bucket_levels = levels_of(cx.snapshot, cx.bucket);
        let ap_account = match cx.snapshot.account(&ap.account) {
            Known::Known(a) => settings_of(&a.public_access_block),
            Known::Unknown(_) => BpaSettings::default(),
        };
        let ap_level = match ap.public_access_block {
            Some(p) => settings_of(&Known::Known(Some(p))),
            None => BpaSettings::default(),
        };
        let levels = [
            Named {
                level: "access point",
                restrict: ap_level.restrict_public_buckets,
            },
            Named {
                level: "bucket",
                restrict: bucket_levels.bucket.restrict_public_buckets,
            },
            Named {
                level: "account",
                restrict: bucket_levels
                    .account
                    .combine(ap_account)
                    .restrict_public_buckets,
            },
        ];
        let ap_doc = match &apin.policy {
            Known::Known(Some(p)) => Some(p.document.clone()),
            _ => None,
        };
        let bucket_doc = match &cx.input.resource {
            Known::Known(Some(p)) => Some(p.document.clone()),
            _ => None,
        };
        let caller = cx.request.principal.account.as_deref();
        let kind = cx.request.principal.kind;
        Some(check(
            &levels,
            &[
                Grantor {
                    what: "access point policy",
                    doc: ap_doc.as_ref(),
                    kind: PolicyKind::AccessPoint,
                    asker: asker(kind, caller, Some(&ap.account)),
                },
                Grantor {
                    what: "bucket policy",
                    doc: bucket_doc.as_ref(),
                    kind: PolicyKind::Bucket,
                    asker: asker(kind, caller, cx.resource_account),
                },
            ],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lv(ap: Option<bool>, bucket: Option<bool>, account: Option<bool>) -> Vec<Named> {
        vec![
            Named {
                level: "access point",
                restrict: ap,
            },
            Named {
                level: "bucket",
                restrict: bucket,
            },
            Named {
                level: "account",
                restrict: account,
            },
        ]
    }

    /// "an access point policy [...] using s3:DataAccessPointArn [with a wildcard] is considered
    /// public", and "If the request was made through an access point, Amazon S3 also checks for
    /// block public access settings for the access point": the access point's own
    /// RestrictPublicBuckets blocks a cross-account grant of its public policy, even with the
    /// bucket and account settings off.
    #[test]
    fn access_point_level_restrict_blocks_its_public_policy() {
        let doc = json!({"Statement": [{"Sid": "AnyAp", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:us-east-1:111122223333:accesspoint/ap/object/*",
            "Condition": {"StringLike": {"s3:DataAccessPointArn": "arn:aws:s3:us-east-1:111122223333:accesspoint/*"}}}]});
        let g = |asker| Grantor {
            what: "access point policy",
            doc: Some(&doc),
            kind: PolicyKind::AccessPoint,
            asker,
        };
        let RuleOutcome::Fires(hit) = check(
            &lv(Some(true), Some(false), Some(false)),
            &[g(Asker::CrossAccount)],
        ) else {
            panic!("fires")
        };
        assert_eq!(hit.root_cause, RootCause::BlockPublicAccess);
        assert!(hit.detail.contains("access point level"), "{}", hit.detail);
        // The owner's own account is not blocked; all levels off: clear.
        assert_eq!(
            check(
                &lv(Some(true), Some(false), Some(false)),
                &[g(Asker::SameAccount)]
            ),
            RuleOutcome::Clear
        );
        assert_eq!(
            check(
                &lv(Some(false), Some(false), Some(false)),
                &[g(Asker::CrossAccount)]
            ),
            RuleOutcome::Clear
        );
        // The same wildcard in a bucket policy is not public (account fixed): clear.
        let as_bucket = Grantor {
            kind: PolicyKind::Bucket,
            ..g(Asker::CrossAccount)
        };
        assert_eq!(
            check(&lv(Some(true), Some(true), Some(true)), &[as_bucket]),
            RuleOutcome::Clear
        );
    }
}
