//! Where an account stands towards the snapshot's organization, for the organization condition
//! keys (`aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`, `aws:ResourceOrgID`,
//! `aws:ResourceOrgPaths`).
//!
//! AWS's rules (IAM User Guide, "AWS global condition context keys",
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>):
//! - `aws:PrincipalOrgID` / `aws:PrincipalOrgPaths`: "This key is included in the request
//!   context only if the principal is a member of an organization." The note under
//!   `aws:PrincipalOrgID`: "This global condition also applies to the management account of an
//!   AWS organization."
//! - the path's shape, from the same page: a condition `ForAnyValue:StringEquals
//!   aws:PrincipalOrgPaths "o-a1b2c3d4e5/r-f6g7h8i9j0example/ou-ghi0-awsccccc/ou-jkl0-awsddddd/"`
//!   "returns `true` for principals in accounts that are attached directly to the
//!   `ou-jkl0-awsddddd` OU, but not in its child OUs": the value is the organization id, the
//!   root, then each OU down to the account's parent, each followed by `/`; the account id is
//!   not in it. An account directly under the root has `o-…/r-…/`.
//!
//! An account that `accounts.json` does not list (and that is not the management account) is
//! outside the organization: its `aws:PrincipalOrgID` is absent or another organization's,
//! which is what [`crate::policy::Context::set_not_matching`] states.
//!
//! The paths are computed once, when the snapshot loads ([`OrgPaths::build`]), never per event.

use super::org::Organization;
use super::Snapshot;
use crate::policy::Known;
use std::collections::HashMap;

/// The organization path (`o-…/r-…/ou-…/`) of every member account whose chain of
/// `parents/` the snapshot holds, or why it cannot be computed.
#[derive(Debug, Clone, Default)]
pub struct OrgPaths {
    paths: HashMap<String, Known<String>>,
}

impl OrgPaths {
    /// Every member account's path (accounts.json, the management account, and every account
    /// that `parents/` names).
    pub fn build(org: Option<&Organization>) -> OrgPaths {
        let mut paths = HashMap::new();
        let Some(org) = org else {
            return OrgPaths { paths };
        };
        let Known::Known(Some(info)) = &org.info else {
            return OrgPaths { paths };
        };
        let mut members: Vec<&str> = Vec::new();
        if let Known::Known(map) = &org.accounts {
            members.extend(map.keys().map(String::as_str));
        }
        members.extend(info.management_account.as_deref());
        members.extend(org.parent_ids().filter(|id| is_account_id(id)));
        for account in members {
            if paths.contains_key(account) {
                continue;
            }
            let path = match org.path(account) {
                Known::Known(chain) => Known::Known(path_text(&info.id, &chain)),
                Known::Unknown(why) => Known::Unknown(why),
            };
            paths.insert(account.to_owned(), path);
        }
        OrgPaths { paths }
    }

    fn get(&self, account: &str) -> Known<&str> {
        match self.paths.get(account) {
            Some(Known::Known(p)) => Known::Known(p.as_str()),
            Some(Known::Unknown(why)) => Known::Unknown(why.clone()),
            None => Known::Unknown(format!("organization/parents/{account}.json not captured")),
        }
    }
}

/// `o-…/r-…/ou-…/` from the chain root → OUs → account (the account itself left out).
fn path_text(org_id: &str, chain: &[String]) -> String {
    let mut s =
        String::with_capacity(org_id.len() + 1 + chain.iter().map(|c| c.len() + 1).sum::<usize>());
    s.push_str(org_id);
    s.push('/');
    for node in &chain[..chain.len().saturating_sub(1)] {
        s.push_str(node);
        s.push('/');
    }
    s
}

fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

/// Where one account stands towards the snapshot's organization.
#[derive(Debug, Clone, PartialEq)]
pub enum OrgStanding<'a> {
    /// A member (or the management account): its organization id, and its path when
    /// `parents/` leads from it to the root.
    Member {
        org_id: &'a str,
        path: Known<&'a str>,
    },
    /// One of the snapshot's own accounts, which `organization.json` says are in no
    /// organization: the organization keys are absent.
    NoOrganization,
    /// Not in `accounts.json`: outside the organization `org_id`, so its organization id is
    /// absent or another one, and its paths start with another organization id.
    Outside { org_id: &'a str },
    /// What the snapshot lacks to say.
    Unknown(String),
}

impl Snapshot {
    /// Where `account` stands towards the snapshot's organization (see [`OrgStanding`]).
    pub fn org_standing(&self, account: &str) -> OrgStanding<'_> {
        let Some(org) = &self.organization else {
            return OrgStanding::Unknown("organization/ not captured".to_owned());
        };
        let info = match &org.info {
            Known::Unknown(why) => return OrgStanding::Unknown(why.clone()),
            Known::Known(None) if self.accounts.contains_key(account) => {
                return OrgStanding::NoOrganization
            }
            Known::Known(None) => {
                return OrgStanding::Unknown(format!(
                    "account {account} is not in the snapshot, whose accounts are in no organization: its own organization (if any) is unknown"
                ))
            }
            Known::Known(Some(info)) => info,
        };
        let member = match &org.accounts {
            Known::Known(map) => map.contains_key(account),
            Known::Unknown(_) => false,
        } || info.management_account.as_deref() == Some(account)
            || org.has_parent_entry(account);
        if member {
            return OrgStanding::Member {
                org_id: &info.id,
                path: self.org_paths.get(account),
            };
        }
        match &org.accounts {
            Known::Known(_) => OrgStanding::Outside { org_id: &info.id },
            Known::Unknown(why) => OrgStanding::Unknown(why.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_text_leaves_the_account_out_and_ends_with_a_slash() {
        let chain = ["r-ab12", "ou-ab12-1", "ou-ab12-2", "123456789012"].map(String::from);
        assert_eq!(
            path_text("o-a1b2c3d4e5", &chain),
            "o-a1b2c3d4e5/r-ab12/ou-ab12-1/ou-ab12-2/"
        );
        let under_root = ["r-ab12", "123456789012"].map(String::from);
        assert_eq!(
            path_text("o-a1b2c3d4e5", &under_root),
            "o-a1b2c3d4e5/r-ab12/"
        );
    }
}
