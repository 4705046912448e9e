//! Organizations S3 policies (`S3_POLICY`, a declarative policy type): the account-level
//! Block Public Access they enforce.
//!
//! Syntax (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_s3_syntax.html):
//! `{"s3_attributes": {"public_access_block_configuration": {"@@assign": "all"}}}`, where
//! "`all` - Enables all four Amazon S3 Block Public Access settings at the organization level"
//! and "`none` - Disables all four Amazon S3 Block Public Access settings at the organization
//! level". Effect on the account
//! (https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-block-public-access-account.html):
//! "Organization-level policies override account-level configurations." and "When
//! organization-level policies are active, account-level settings automatically inherit from
//! the organization policy and cannot be modified directly." So the policy's value replaces the
//! account's own `s3control/public-access-block.json`; bucket-level settings still combine
//! with it (most restrictive wins).
//!
//! Inheritance (https://docs.aws.amazon.com/organizations/latest/userguide/policy-operators.html):
//! "`@@assign` - Overwrites any inherited policy settings with the specified settings", so the
//! value nearest the account on the root → OU → account path wins, unless a parent restricted
//! its children: "`"@@operators_allowed_for_child_policies": ["@@none"]` - Child OUs and
//! accounts can't use operators in the policy. You can use this operator to effectively lock in
//! the values that are defined in a parent policy". Two policies at one level that assign
//! different values leave the result unknown (the merge order is not documented).

use super::org::Organization;
use crate::policy::Known;
use serde_json::Value;

/// The `PolicySummary.Type` of an Organizations S3 policy.
pub const S3_POLICY: &str = "S3_POLICY";

/// The Block Public Access an S3 policy enforces on an account's level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgS3Bpa {
    /// `all` (every switch on) or `none` (every switch off).
    pub all: bool,
    /// The policy whose `@@assign` decided it.
    pub policy_id: String,
}

/// What one policy says: the value it assigns, and whether it locks the setting for children.
fn read(content: &Value) -> (Option<bool>, bool) {
    let attrs = content.get("s3_attributes");
    let pab = attrs.and_then(|a| a.get("public_access_block_configuration"));
    let assign = pab
        .and_then(|p| p.get("@@assign"))
        .and_then(Value::as_str)
        .and_then(|v| match v.to_ascii_lowercase().as_str() {
            "all" => Some(true),
            "none" => Some(false),
            _ => None,
        });
    // A child-control operator on the setting or any enclosing node restricts the children;
    // one that leaves out @@assign locks the value.
    let locks = [Some(content), attrs, pab].into_iter().flatten().any(|n| {
        n.get("@@operators_allowed_for_child_policies")
            .and_then(Value::as_array)
            .is_some_and(|ops| {
                !ops.iter()
                    .filter_map(Value::as_str)
                    .any(|o| o == "@@all" || o == "@@assign")
            })
    });
    (assign, locks)
}

impl Organization {
    /// The account-level Block Public Access the S3 policies on `account`'s path enforce:
    /// `Known(None)` when none assigns it (the account's own setting applies).
    pub fn s3_bpa(&self, account: &str) -> Known<Option<OrgS3Bpa>> {
        let is_s3 = |k: &super::OrgPolicyKind| matches!(k, super::OrgPolicyKind::Other(t) if t == S3_POLICY);
        if !self.policies.values().any(|p| is_s3(&p.kind)) {
            return Known::Known(None);
        }
        if let Some(id) = self
            .unplaced()
            .iter()
            .find(|id| self.policies.get(*id).is_some_and(|p| is_s3(&p.kind)))
        {
            return Known::Unknown(format!(
                "organization S3 policy {id}: organization/targets/{id}.json not captured"
            ));
        }
        let path = match self.path(account) {
            Known::Known(p) => p,
            Known::Unknown(why) => {
                return Known::Unknown(format!("organization S3 policies: {why}"))
            }
        };
        let mut effective: Option<OrgS3Bpa> = None;
        let mut locked = false;
        for node in &path {
            let mut here: Option<OrgS3Bpa> = None;
            let mut locks_here = false;
            for p in self.attached_to(node).filter(|p| is_s3(&p.kind)) {
                let Some(content) = &p.content else {
                    return Known::Unknown(format!(
                        "organization S3 policy {}: its content could not be read",
                        p.id
                    ));
                };
                let (assign, locks) = read(content);
                locks_here |= locks;
                if let Some(all) = assign {
                    match &here {
                        Some(h) if h.all != all => {
                            return Known::Unknown(format!(
                                "organization S3 policies {} and {} on {node} assign different Block Public Access values",
                                h.policy_id, p.id
                            ))
                        }
                        Some(_) => {}
                        None => {
                            here = Some(OrgS3Bpa {
                                all,
                                policy_id: p.id.clone(),
                            })
                        }
                    }
                }
            }
            if !locked {
                if let Some(h) = here {
                    effective = Some(h);
                }
            }
            locked |= locks_here;
        }
        Known::Known(effective)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::files::Problems;
    use serde_json::json;
    use std::path::Path;

    const ACCT: &str = "111122223333";

    fn put(root: &Path, rel: &str, v: &Value) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, v.to_string()).unwrap();
    }

    /// root r-1 → ou-1 → ACCT, with S3 policies `(id, content, targets)`.
    fn org(policies: &[(&str, Value, &[&str])]) -> Organization {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        put(
            r,
            "organization.json",
            &json!({"Organization": {"Id": "o-1", "FeatureSet": "ALL", "MasterAccountId": "999988887777"}}),
        );
        put(r, "accounts.json", &json!({"Accounts": [{"Id": ACCT}]}));
        put(
            r,
            &format!("parents/{ACCT}.json"),
            &json!({"Parents": [{"Id": "ou-1", "Type": "ORGANIZATIONAL_UNIT"}]}),
        );
        put(
            r,
            "parents/ou-1.json",
            &json!({"Parents": [{"Id": "r-1", "Type": "ROOT"}]}),
        );
        for (id, content, targets) in policies {
            put(
                r,
                &format!("policies/{id}.json"),
                &json!({"Policy": {"PolicySummary": {"Id": id, "Type": "S3_POLICY"}, "Content": content.to_string()}}),
            );
            let t: Vec<Value> = targets.iter().map(|t| json!({"TargetId": t})).collect();
            put(r, &format!("targets/{id}.json"), &json!({"Targets": t}));
        }
        super::super::org::load(r, &mut Problems::default())
    }

    fn assign(v: &str) -> Value {
        json!({"s3_attributes": {"public_access_block_configuration": {"@@assign": v}}})
    }

    /// "`all` - Enables all four Amazon S3 Block Public Access settings": a root policy
    /// reaches the account through the OU.
    #[test]
    fn root_policy_all_applies_to_the_account() {
        let o = org(&[("p-all", assign("all"), &["r-1"])]);
        assert_eq!(
            o.s3_bpa(ACCT),
            Known::Known(Some(OrgS3Bpa {
                all: true,
                policy_id: "p-all".into()
            }))
        );
    }

    /// "@@assign - Overwrites any inherited policy settings": the account's own `none` wins
    /// over the root's `all`, unless the root locked it with `@@none`.
    #[test]
    fn nearer_assign_wins_unless_the_parent_locks_it() {
        let o = org(&[
            ("p-all", assign("all"), &["r-1"]),
            ("p-none", assign("none"), &[ACCT]),
        ]);
        assert_eq!(
            o.s3_bpa(ACCT),
            Known::Known(Some(OrgS3Bpa {
                all: false,
                policy_id: "p-none".into()
            }))
        );
        let locked = json!({"s3_attributes": {"public_access_block_configuration": {"@@assign": "all", "@@operators_allowed_for_child_policies": ["@@none"]}}});
        let o = org(&[
            ("p-all", locked, &["r-1"]),
            ("p-none", assign("none"), &[ACCT]),
        ]);
        assert_eq!(
            o.s3_bpa(ACCT),
            Known::Known(Some(OrgS3Bpa {
                all: true,
                policy_id: "p-all".into()
            }))
        );
    }

    #[test]
    fn no_s3_policy_or_an_unattached_one_is_none() {
        assert_eq!(org(&[]).s3_bpa(ACCT), Known::Known(None));
        let o = org(&[("p-all", assign("all"), &[])]);
        assert_eq!(o.s3_bpa(ACCT), Known::Known(None));
    }
}
