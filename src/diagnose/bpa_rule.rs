//! The Block Public Access rule as the diagnosis runs it: which checks of
//! [`super::block_public_access`] apply to a request, in which order, down to the object's
//! own ACL ([`super::object_acl_bpa`]). Kept apart from the checks so that the object-ACL
//! check can use them without the two files importing each other.

use super::block_public_access::{
    check_acl, check_policy, check_writes_of_record, levels_of, Asker,
};
use super::rule::RuleOutcome;

/// The Block Public Access rule as registered in [`super::rules::RULES`]: the effective
/// settings (bucket and account), the bucket policy the engine judged, then the bucket ACL.
pub struct Rule;

impl super::rule::S3Rule for Rule {
    fn name(&self) -> &'static str {
        "block_public_access"
    }

    fn check(
        &self,
        cx: &super::rule::RuleCx<'_>,
        _extras: &mut super::rule::RuleExtras,
    ) -> Option<RuleOutcome> {
        use crate::policy::{Known, PrincipalKind};
        let asker = match cx.request.principal.kind {
            PrincipalKind::Anonymous => Asker::Anonymous,
            PrincipalKind::Service => Asker::AwsService,
            _ => match cx.same_account {
                Some(true) => Asker::SameAccount,
                Some(false) => Asker::CrossAccount,
                None => Asker::Unknown,
            },
        };
        let levels = levels_of(cx.snapshot, cx.bucket);
        // The bucket policy itself, not the resource-side grants the engine judged (those
        // carry the ACL's grants too: a public ACL is IgnorePublicAcls' business, not
        // RestrictPublicBuckets').
        let own_policy = match cx.snapshot.bucket(cx.bucket) {
            Known::Known(b) => b.policy.clone(),
            Known::Unknown(_) => cx.input.resource.clone(),
        };
        let policy_doc = match &own_policy {
            Known::Known(Some(p)) => Some(p.document.clone()),
            _ => None,
        };
        let mut outcome = check_writes_of_record(&levels, cx.call, cx.bucket);
        if outcome == RuleOutcome::Clear {
            outcome = check_policy(&levels, policy_doc.as_ref(), asker);
        }
        if outcome == RuleOutcome::Clear {
            if let Known::Known(b) = cx.snapshot.bucket(cx.bucket) {
                if let Known::Known(acl) = &b.acl {
                    outcome = check_acl(&levels, Some(acl), &cx.request.action, asker);
                }
            }
        }
        // The object's own ACL, where captured (`object_acl_bpa`).
        if outcome == RuleOutcome::Clear {
            outcome = super::object_acl_bpa::check_request(cx, &levels, asker);
        }
        Some(outcome)
    }
}
