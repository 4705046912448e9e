//! `organization/`: describe-organization, list-accounts, describe-policy (SCPs and RCPs),
//! list-targets-for-policy and list-parents, folded into root → OU → account paths.
//!
//! `organization.json` holding `{"Organization": null}` records that the snapshot's accounts
//! are in no organization (describe-organization answered `AWSOrganizationsNotInUseException`);
//! then SCPs and RCPs do not apply. An absent `organization/` leaves them unknown.

use super::doc;
use super::files::{self, str_field, Problems, Read};
use crate::policy::{Known, OrgLevel, PolicyRef};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

#[derive(Debug, Clone)]
pub struct OrgInfo {
    pub id: String,
    pub arn: Option<String>,
    pub management_account: Option<String>,
    /// `ALL` or `CONSOLIDATED_BILLING` (no SCPs/RCPs with the latter).
    pub feature_set: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgPolicyKind {
    Scp,
    Rcp,
    /// Tag, backup, AI opt-out policies...: no part in authorization.
    Other(String),
}

#[derive(Debug, Clone)]
pub struct OrgPolicy {
    pub id: String,
    pub name: String,
    pub kind: OrgPolicyKind,
    pub policy: Known<PolicyRef>,
    /// The content of a declarative policy (`S3_POLICY`, ...), parsed from `Policy.Content`;
    /// `None` for SCPs and RCPs (their content is `policy`) or when it is not JSON.
    pub content: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct Organization {
    /// `Known(None)`: the accounts are in no organization.
    pub info: Known<Option<OrgInfo>>,
    /// Member accounts (id → name), from `accounts.json`.
    pub accounts: Known<HashMap<String, String>>,
    /// `policies/` was captured (possibly empty).
    pub policies_captured: bool,
    pub policies: BTreeMap<String, OrgPolicy>,
    /// target id (root, OU, account) → ids of the policies attached to it.
    attachments: HashMap<String, Vec<String>>,
    /// Policies whose `targets/<id>.json` is missing or broken: attached who knows where.
    unplaced: Vec<String>,
    /// `targets/<id>.json` without `policies/<id>.json`: a policy of unknown type and content.
    orphan_targets: Vec<String>,
    /// child id → parent id (and whether the parent is the root).
    parents: HashMap<String, Known<(String, bool)>>,
}

pub fn load(dir: &Path, problems: &mut Problems) -> Organization {
    let info = match files::read_object(&dir.join("organization.json"), problems) {
        Err(why) => Known::Unknown(why),
        Ok(v) => match v.get("Organization") {
            Some(Value::Null) => Known::Known(None),
            Some(o) if o.is_object() => match str_field(o, "Id") {
                Some(id) => Known::Known(Some(OrgInfo {
                    id: id.to_owned(),
                    arn: str_field(o, "Arn").map(str::to_owned),
                    management_account: str_field(o, "MasterAccountId")
                        .or_else(|| str_field(o, "ManagementAccountId"))
                        .map(str::to_owned),
                    feature_set: str_field(o, "FeatureSet").map(str::to_owned),
                })),
                None => {
                    problems.shape(&dir.join("organization.json"), "`Organization` has no `Id`");
                    Known::Unknown("organization.json has no organization id".to_owned())
                }
            },
            _ => {
                problems.shape(
                    &dir.join("organization.json"),
                    "expected `{\"Organization\": {...}}` (describe-organization output)",
                );
                Known::Unknown("organization.json is not describe-organization output".to_owned())
            }
        },
    };

    let accounts_path = dir.join("accounts.json");
    let accounts = match files::read(&accounts_path, problems) {
        Read::Absent => Known::Unknown(files::absent(&accounts_path)),
        Read::Broken(why) => Known::Unknown(why),
        Read::Json(docs) => {
            let mut map = HashMap::new();
            let mut ok = true;
            for page in files::pages(docs) {
                match page.get("Accounts").and_then(Value::as_array) {
                    Some(list) => {
                        for a in list {
                            if let Some(id) = str_field(a, "Id") {
                                map.insert(
                                    id.to_owned(),
                                    str_field(a, "Name").unwrap_or("").to_owned(),
                                );
                            }
                        }
                    }
                    None => ok = false,
                }
            }
            if ok {
                Known::Known(map)
            } else {
                problems.shape(&accounts_path, "expected `Accounts` (list-accounts output)");
                Known::Unknown(format!(
                    "{} is not list-accounts output",
                    accounts_path.display()
                ))
            }
        }
    };

    let policies_dir = dir.join("policies");
    let policies_captured = policies_dir.is_dir();
    let mut policies = BTreeMap::new();
    for (file_id, path) in files::entries(&policies_dir, false, problems) {
        if let Some(p) = policy(&file_id, &path, problems) {
            policies.insert(p.id.clone(), p);
        }
    }

    let mut attachments: HashMap<String, Vec<String>> = HashMap::new();
    let mut placed = std::collections::HashSet::new();
    let mut orphan_targets = Vec::new();
    for (policy_id, path) in files::entries(&dir.join("targets"), false, problems) {
        let Ok(v) = files::read_object(&path, problems) else {
            continue;
        };
        let Some(list) = v.get("Targets").and_then(Value::as_array) else {
            problems.shape(&path, "expected `Targets` (list-targets-for-policy output)");
            continue;
        };
        if !policies.contains_key(&policy_id) {
            orphan_targets.push(policy_id.clone());
        }
        placed.insert(policy_id.clone());
        for t in list {
            if let Some(tid) = str_field(t, "TargetId") {
                attachments
                    .entry(tid.to_owned())
                    .or_default()
                    .push(policy_id.clone());
            }
        }
    }
    let unplaced = policies
        .keys()
        .filter(|id| !placed.contains(*id))
        .cloned()
        .collect();

    let mut parents = HashMap::new();
    for (child, path) in files::entries(&dir.join("parents"), false, problems) {
        let parent = match files::read_object(&path, problems) {
            Err(why) => Known::Unknown(why),
            Ok(v) => {
                match v
                    .get("Parents")
                    .and_then(Value::as_array)
                    .and_then(|l| l.first())
                    .and_then(|p| str_field(p, "Id").map(|id| (id, str_field(p, "Type"))))
                {
                    Some((id, kind)) => {
                        Known::Known((id.to_owned(), kind == Some("ROOT") || id.starts_with("r-")))
                    }
                    None => {
                        problems.shape(&path, "expected `Parents[0].Id` (list-parents output)");
                        Known::Unknown(format!("{} is not list-parents output", path.display()))
                    }
                }
            }
        };
        parents.insert(child, parent);
    }

    Organization {
        info,
        accounts,
        policies_captured,
        policies,
        attachments,
        unplaced,
        orphan_targets,
        parents,
    }
}

fn policy(file_id: &str, path: &Path, problems: &mut Problems) -> Option<OrgPolicy> {
    let v = files::read_object(path, problems).ok()?;
    let Some(p) = v.get("Policy").filter(|p| p.is_object()) else {
        problems.shape(path, "expected `Policy` (describe-policy output)");
        return None;
    };
    let summary = p.get("PolicySummary");
    let id = summary
        .and_then(|s| str_field(s, "Id"))
        .unwrap_or(file_id)
        .to_owned();
    let kind = match summary.and_then(|s| str_field(s, "Type")) {
        Some("SERVICE_CONTROL_POLICY") => OrgPolicyKind::Scp,
        Some("RESOURCE_CONTROL_POLICY") => OrgPolicyKind::Rcp,
        Some(other) => OrgPolicyKind::Other(other.to_owned()),
        None => {
            problems.shape(path, "`PolicySummary.Type` is missing");
            return None;
        }
    };
    let policy = match (&kind, p.get("Content")) {
        (OrgPolicyKind::Other(_), _) => Known::Unknown("not an authorization policy".to_owned()),
        (_, None) => {
            problems.shape(path, "`Policy.Content` is missing");
            Known::Unknown(format!("content of `{id}` not captured"))
        }
        (_, Some(raw)) => match doc::load(&id, raw) {
            Ok(p) => Known::Known(p),
            Err(reason) => {
                problems.policy(path, &id, reason.clone());
                Known::Unknown(format!("policy `{id}` could not be loaded: {reason}"))
            }
        },
    };
    let content = match &kind {
        OrgPolicyKind::Other(_) => p.get("Content").and_then(|c| match c {
            Value::String(text) => serde_json::from_str(text).ok(),
            Value::Object(_) => Some(c.clone()),
            _ => None,
        }),
        _ => None,
    };
    Some(OrgPolicy {
        content,
        name: summary
            .and_then(|s| str_field(s, "Name"))
            .unwrap_or("")
            .to_owned(),
        id,
        kind,
        policy,
    })
}

impl Organization {
    /// The organization id of `account`, when the snapshot knows it is a member.
    pub fn org_id_of(&self, account: &str) -> Known<Option<String>> {
        let info = match &self.info {
            Known::Unknown(why) => return Known::Unknown(why.clone()),
            Known::Known(None) => return Known::Known(None),
            Known::Known(Some(info)) => info,
        };
        match &self.accounts {
            Known::Known(map) if map.contains_key(account) => Known::Known(Some(info.id.clone())),
            _ if info.management_account.as_deref() == Some(account) => {
                Known::Known(Some(info.id.clone()))
            }
            _ if self.parents.contains_key(account) => Known::Known(Some(info.id.clone())),
            Known::Known(_) => Known::Unknown(format!(
                "account {account} is not a member of organization {}; its own organization \
                 (if any) is not in the snapshot",
                info.id
            )),
            Known::Unknown(why) => Known::Unknown(why.clone()),
        }
    }

    /// Every id (account, OU) that has a `parents/<id>.json` entry.
    pub fn parent_ids(&self) -> impl Iterator<Item = &str> {
        self.parents.keys().map(String::as_str)
    }

    /// Whether `parents/<id>.json` was captured for `id` (a member account or an OU).
    pub fn has_parent_entry(&self, id: &str) -> bool {
        self.parents.contains_key(id)
    }

    /// The captured policies attached to `node` (root, OU or account).
    pub fn attached_to(&self, node: &str) -> impl Iterator<Item = &OrgPolicy> {
        self.attachments
            .get(node)
            .into_iter()
            .flatten()
            .filter_map(|id| self.policies.get(id))
    }

    /// The policies whose `targets/<id>.json` is missing: attached who knows where.
    pub fn unplaced(&self) -> &[String] {
        &self.unplaced
    }

    pub fn management_account(&self) -> Option<&str> {
        match &self.info {
            Known::Known(Some(info)) => info.management_account.as_deref(),
            _ => None,
        }
    }

    /// Root → OU → account ids for `account`.
    pub fn path(&self, account: &str) -> Known<Vec<String>> {
        let mut chain = vec![account.to_owned()];
        let mut current = account.to_owned();
        // OUs nest at most 5 deep below the root; the bound guards against a loop in the files.
        for _ in 0..8 {
            match self.parents.get(&current) {
                None => {
                    return Known::Unknown(format!(
                        "organization/parents/{current}.json not captured"
                    ))
                }
                Some(Known::Unknown(why)) => return Known::Unknown(why.clone()),
                Some(Known::Known((parent, is_root))) => {
                    chain.push(parent.clone());
                    if *is_root {
                        chain.reverse();
                        return Known::Known(chain);
                    }
                    current = parent.clone();
                }
            }
        }
        Known::Unknown(format!(
            "organization/parents/ does not lead from {account} to the root"
        ))
    }

    /// The organization files whose absence leaves SCPs or RCPs partly unknown: a policy
    /// attached per `targets/` without its `policies/` file, or a policy without its
    /// `targets/` file. Said once on stderr, so the user can capture them.
    pub fn capture_gaps(&self) -> Vec<String> {
        let orphans = self.orphan_targets.iter().map(|id| {
            format!("organization/policies/{id}.json is missing, though organization/targets/{id}.json attaches it: SCP/RCP verdicts that it could change are `unknown`")
        });
        let unplaced = self.unplaced.iter().map(|id| {
            format!("organization/targets/{id}.json is missing: where policy {id} is attached is unknown, so verdicts that it could change are `unknown`")
        });
        orphans.chain(unplaced).collect()
    }

    /// The SCPs (`kind` = Scp) or RCPs on the path of `account`, one level per node from the
    /// root down. `Known(None)` when that policy type does not apply to the account at all
    /// (no organization, consolidated billing only, management account, type not enabled).
    pub fn policy_path(&self, account: &str, kind: &OrgPolicyKind) -> Known<Option<Vec<OrgLevel>>> {
        let label = if *kind == OrgPolicyKind::Scp {
            "SCPs"
        } else {
            "RCPs"
        };
        let info = match &self.info {
            Known::Unknown(why) => return Known::Unknown(format!("{label}: {why}")),
            Known::Known(None) => return Known::Known(None),
            Known::Known(Some(info)) => info,
        };
        if info.feature_set.as_deref() == Some("CONSOLIDATED_BILLING") {
            return Known::Known(None);
        }
        // The management account is exempt from both SCPs and RCPs.
        if info.management_account.as_deref() == Some(account) {
            return Known::Known(None);
        }
        if let Known::Unknown(why) = self.org_id_of(account) {
            return Known::Unknown(format!("{label}: {why}"));
        }
        if !self.policies_captured {
            return Known::Unknown(format!("{label}: organization/policies/ not captured"));
        }
        // With a policy type enabled, AWS attaches its full-access policy (FullAWSAccess,
        // RCPFullAWSAccess) to every node and list-policies returns it; none of that type in
        // the capture means the type is not enabled.
        if !self.policies.values().any(|p| p.kind == *kind) {
            return Known::Known(None);
        }
        // A missing `targets/` file (the policy may be attached anywhere) or a missing or
        // broken policy file (attached here, content unknown) leaves the rest decidable: the
        // engine treats those as possible, never as certain (see `OrgLevel`), so a known Deny
        // still decides and the reason names the file.
        let maybe: Vec<PolicyRef> = self
            .unplaced
            .iter()
            .filter_map(|id| self.policies.get(id))
            .filter(|p| p.kind == *kind)
            .filter_map(|p| match &p.policy {
                Known::Known(policy) => Some(policy.clone()),
                Known::Unknown(_) => None,
            })
            .collect();
        let unplaced_unknown: Vec<String> = self
            .unplaced
            .iter()
            .filter_map(|id| self.policies.get(id).map(|p| (id, p)))
            .filter(|(_, p)| p.kind == *kind)
            .filter_map(|(id, p)| match &p.policy {
                Known::Unknown(why) => Some(format!(
                    "{label}: {why} (and organization/targets/{id}.json not captured)"
                )),
                Known::Known(_) => None,
            })
            .collect();
        let path = match self.path(account) {
            Known::Known(p) => p,
            Known::Unknown(why) => return Known::Unknown(format!("{label}: {why}")),
        };
        let mut levels = Vec::with_capacity(path.len());
        for node in path {
            let mut level = OrgLevel::known(node.clone(), Vec::new());
            level.maybe = maybe.clone();
            level.unknown = unplaced_unknown.clone();
            for pid in self.attachments.get(&node).into_iter().flatten() {
                let Some(p) = self.policies.get(pid) else {
                    // Attached per targets/, but no policy file: its type is unknown too, so
                    // it may be one of these.
                    level.unknown.push(format!(
                        "{label}: organization/policies/{pid}.json not captured (attached per targets/)"
                    ));
                    continue;
                };
                if p.kind != *kind {
                    continue;
                }
                match &p.policy {
                    Known::Known(policy) => level.policies.push(policy.clone()),
                    Known::Unknown(why) => level.unknown.push(format!("{label}: {why}")),
                }
            }
            levels.push(level);
        }
        Known::Known(Some(levels))
    }
}

/// Changes replayed from the trail (`snapshot::timeline`): the private indexes stay
/// consistent whoever edits them.
impl Organization {
    /// `policy` attached to `target` (`Some(true)`), detached (`Some(false)`), or unknown
    /// (`None`: the policy is then "attached who knows where", as a missing targets file).
    pub(crate) fn set_attached(&mut self, policy: &str, target: &str, attached: Option<bool>) {
        let list = self.attachments.entry(target.to_owned()).or_default();
        list.retain(|p| p != policy);
        match attached {
            Some(true) => list.push(policy.to_owned()),
            Some(false) => {}
            None => {
                if !self.unplaced.iter().any(|p| p == policy) {
                    self.unplaced.push(policy.to_owned());
                }
            }
        }
    }

    /// The parent of an account or OU (MoveAccount), or unknown with why.
    pub(crate) fn set_parent(&mut self, child: &str, parent: Known<String>) {
        let entry = match parent {
            Known::Known(p) => {
                let is_root = p.starts_with("r-");
                Known::Known((p, is_root))
            }
            Known::Unknown(why) => Known::Unknown(why),
        };
        self.parents.insert(child.to_owned(), entry);
    }

    /// Forgets a deleted policy (AWS refuses DeletePolicy while it is attached).
    pub(crate) fn remove_policy(&mut self, id: &str) {
        self.policies.remove(id);
        for list in self.attachments.values_mut() {
            list.retain(|p| p != id);
        }
    }
}
