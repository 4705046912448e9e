//! The S3 rules outside the IAM policy layers, registered once. The list's order is
//! FINDINGS.md's ("Which cause is primary"): "Only when every policy layer allows do
//! block_public_access, object_ownership, requester_pays, blocked_encryption_type, object_lock,
//! kms and then object_not_found come into question" — the first rule that fires is the
//! primary S3 cause, and the trace lists the rules in this order. A new rule is a new module
//! with a `Rule` that implements [`S3Rule`], and one line here.

use super::rule::{RuleCx, RuleExtras, RuleOutcome, S3Rule};
use super::{
    access_point_bpa, blocked_encryption, bpa_rule, kms, object_lock, object_not_found,
    object_ownership, requester_pays,
};

/// Every S3 rule, in the primary order.
pub static RULES: &[&dyn S3Rule] = &[
    &bpa_rule::Rule,
    // Same cause, for requests through an access point: its own level and policy.
    &access_point_bpa::Rule,
    &object_ownership::Rule,
    &requester_pays::Rule,
    &blocked_encryption::Rule,
    &object_lock::Rule,
    &kms::Rule,
    &object_not_found::Rule,
];

/// One S3 rule's result, named.
#[derive(Debug, Clone)]
pub struct RuleResult {
    pub rule: &'static str,
    pub outcome: RuleOutcome,
}

/// Asks every rule in order; the ones that were not asked are left out.
pub fn run(cx: &RuleCx<'_>, extras: &mut RuleExtras) -> Vec<RuleResult> {
    RULES
        .iter()
        .filter_map(|r| {
            r.check(cx, extras).map(|outcome| RuleResult {
                rule: r.name(),
                outcome,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FINDINGS.md, "Which cause is primary": "block_public_access, object_ownership,
    /// requester_pays, blocked_encryption_type, object_lock, kms and then object_not_found".
    #[test]
    fn the_list_is_the_contract_order() {
        let names: Vec<&str> = RULES.iter().map(|r| r.name()).collect();
        assert_eq!(
            names,
            [
                "block_public_access",
                "access_point_bpa",
                "object_ownership",
                "requester_pays",
                "blocked_encryption_type",
                "object_lock",
                "kms",
                "object_not_found"
            ]
        );
    }
}
