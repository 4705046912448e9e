//! The policy snapshot (`SNAPSHOT.md`): the AWS CLI folder loaded once into an immutable,
//! indexed view shared by every thread (`Snapshot` is `Sync`; nothing in it changes after
//! [`Snapshot::load`]).
//!
//! Every file is optional, and the difference between "absent" and "empty" is kept all the
//! way to the lookups: each answers [`Known`]`::Known(..)` or `Known::Unknown(what is
//! missing)`, so that a verdict which depends on something the snapshot lacks can say so
//! (`insufficient_snapshot`) instead of guessing. A malformed file is a [`SnapshotProblem`]
//! naming its path; the rest loads. Every policy document is decoded and compiled once here.
//!
//! File conventions beyond SNAPSHOT.md, shared with the `snapshot` collector: a call that
//! answers "not configured" is written as the CLI's wrapper key set to `null`
//! (`{"Policy": null}`, `{"OwnershipControls": null}`, `{"PublicAccessBlockConfiguration":
//! null}`, `{"ServerSideEncryptionConfiguration": null}`) and loads as `Known(None)`;
//! `{"Organization": null}` says the accounts are in no organization; a KMS key file may list
//! the key's `Aliases`; paged outputs may be one object, an array of pages or concatenated
//! pages. Dates (`CreateDate`, CLI or boto3 format) are not read: they play no part in
//! authorization. Optional object ACLs: `s3/<bucket>/object-acls/<encoded key>[~<encoded
//! version>].json`, one `get-object-acl` output each, the key percent-encoded as
//! [`object_acls`] describes (reversible, one safe file name for any key).
//!
//! Policy ids (FINDINGS.md `policy_id`): managed policies by ARN; inline policies, which have
//! no ARN, as `<user/group/role ARN>#<PolicyName>`; `bucket-policy:<bucket>`; SCP/RCP ids
//! (`p-…`); the endpoint id (`vpce-…`); key policies by key ARN.

pub mod access_points;
mod acl_doc;
mod acl_grants;
mod doc;
pub mod err;
mod files;
mod iam;
mod kms;
mod lookup;
pub mod model;
mod object_acl_grants;
pub mod object_acls;
pub mod org;
mod org_paths;
mod org_s3;
mod public_access_block;
mod s3;
mod s3_lock;
pub mod timeline;
mod vpce;

pub use access_points::{AccessPoint, AccessPoints, ApRef};
pub use acl_grants::{bucket_permission_actions, ALL_USERS, AUTH_USERS};
pub use err::{SnapshotError, SnapshotProblem};
pub use lookup::*;
pub use model::*;
pub use object_acl_grants::object_permission_actions;
pub use org::{OrgInfo, OrgPolicy, OrgPolicyKind, Organization};
pub use org_paths::{OrgPaths, OrgStanding};
pub use org_s3::{OrgS3Bpa, S3_POLICY};

use crate::policy::Known;
use chrono::{DateTime, Utc};
use files::Problems;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The loaded snapshot.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub root: PathBuf,
    /// `snapshot.json`'s `taken_at`, copied into every finding made with this snapshot.
    pub taken_at: Option<DateTime<Utc>>,
    pub accounts: BTreeMap<String, Account>,
    /// `None` when `organization/` is absent (SCPs and RCPs unknown).
    pub organization: Option<Organization>,
    /// bucket name → owning account (the account folder that holds it).
    bucket_owner: HashMap<String, String>,
    /// IAM unique id (`AIDA…`, `AROA…`) → (account, user or role name, is role).
    unique_ids: HashMap<String, (String, String, bool)>,
    /// VPC endpoint id → account folder holding it.
    endpoint_account: HashMap<String, String>,
    /// key id, key ARN, alias name and alias ARN → (account, key id).
    kms_index: HashMap<String, (String, String)>,
    /// Every member account's organization path, computed once at load.
    org_paths: OrgPaths,
    /// Whether a snapshot folder was given (false only for [`Snapshot::absent`]).
    given: bool,
}

impl Snapshot {
    /// Loads the snapshot folder. `Err` only when the folder itself cannot be read; every
    /// other problem is returned beside the snapshot, naming its file.
    pub fn load(dir: &Path) -> Result<(Snapshot, Vec<SnapshotProblem>), SnapshotError> {
        let meta = std::fs::metadata(dir).map_err(|source| SnapshotError::Root {
            path: dir.to_path_buf(),
            source,
        })?;
        if !meta.is_dir() {
            return Err(SnapshotError::Root {
                path: dir.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a folder"),
            });
        }
        // Fail early (fatal) on an unreadable root rather than reporting every file.
        std::fs::read_dir(dir).map_err(|source| SnapshotError::Root {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut problems = Problems::default();
        let taken_at = taken_at(&dir.join("snapshot.json"), &mut problems);
        let mut accounts = BTreeMap::new();
        for (id, path) in files::entries(&dir.join("accounts"), true, &mut problems) {
            accounts.insert(id.clone(), account(&id, &path, &mut problems));
        }
        let org_dir = dir.join("organization");
        let organization = org_dir.is_dir().then(|| org::load(&org_dir, &mut problems));
        let org_paths = OrgPaths::build(organization.as_ref());
        let mut snap = Snapshot {
            root: dir.to_path_buf(),
            taken_at,
            accounts,
            organization,
            bucket_owner: HashMap::new(),
            unique_ids: HashMap::new(),
            endpoint_account: HashMap::new(),
            kms_index: HashMap::new(),
            org_paths,
            given: true,
        };
        snap.index();
        Ok((snap, problems.0))
    }

    /// The snapshot of a run given none (`--snapshot` left out): it holds nothing, so every
    /// lookup answers `Unknown` (or `None`), as a snapshot lacking that piece would, and
    /// [`Snapshot::authz_input`] answers every policy layer `Unknown`. The diagnosis passes it
    /// where a snapshot is expected instead of branching on an `Option<&Snapshot>` at every
    /// lookup; [`Snapshot::is_given`] tells the one place that needs to know (the diagnoser,
    /// which then says so and skips the analysis).
    pub fn absent() -> &'static Snapshot {
        static ABSENT: std::sync::OnceLock<Snapshot> = std::sync::OnceLock::new();
        ABSENT.get_or_init(|| Snapshot {
            root: PathBuf::new(),
            taken_at: None,
            accounts: BTreeMap::new(),
            organization: None,
            bucket_owner: HashMap::new(),
            unique_ids: HashMap::new(),
            endpoint_account: HashMap::new(),
            kms_index: HashMap::new(),
            org_paths: OrgPaths::default(),
            given: false,
        })
    }

    /// Whether this snapshot was loaded from a folder (false for [`Snapshot::absent`]).
    pub fn is_given(&self) -> bool {
        self.given
    }

    fn index(&mut self) {
        self.resolve_canonical_users();
        for (id, acct) in &self.accounts {
            for name in acct.buckets.keys() {
                self.bucket_owner.insert(name.clone(), id.clone());
            }
            if let Known::Known(iam) = &acct.iam {
                for u in iam.users.iter().filter(|u| !u.id.is_empty()) {
                    self.unique_ids
                        .insert(u.id.clone(), (id.clone(), u.name.clone(), false));
                }
                for r in iam.roles.iter().filter(|r| !r.id.is_empty()) {
                    self.unique_ids
                        .insert(r.id.clone(), (id.clone(), r.name.clone(), true));
                }
            }
            if let Known::Known(eps) = &acct.vpc_endpoints {
                for e in eps {
                    self.endpoint_account.insert(e.id.clone(), id.clone());
                }
            }
            for key in acct.kms_keys.values() {
                let target = (id.clone(), key.key_id.clone());
                self.kms_index.insert(key.key_id.clone(), target.clone());
                self.kms_index.insert(key.arn.clone(), target.clone());
                let region_prefix = key.arn.split(":key/").next().unwrap_or("");
                for alias in &key.aliases {
                    self.kms_index.insert(alias.clone(), target.clone());
                    if !region_prefix.is_empty() {
                        self.kms_index
                            .insert(format!("{region_prefix}:{alias}"), target.clone());
                    }
                }
            }
        }
        // Last: it looks buckets up through the indexes built above.
        self.add_acl_grants();
    }

    /// Bucket policies may name an account by its S3 canonical user id
    /// (`{"CanonicalUser": ...}`): those principals become the account whose
    /// `canonical-id.json` holds the id (ISSUE 17 section 5).
    fn resolve_canonical_users(&mut self) {
        let by_canonical = self.accounts_by_canonical_id();
        if by_canonical.is_empty() {
            return;
        }
        for acct in self.accounts.values_mut() {
            for b in acct.buckets.values_mut() {
                if let Known::Known(Some(p)) = &b.policy {
                    if let Some(resolved) =
                        p.with_canonical_users_resolved(|id| by_canonical.get(id).cloned())
                    {
                        b.policy = Known::Known(Some(std::sync::Arc::new(resolved)));
                    }
                }
            }
        }
    }

    /// Canonical user id → account id, for the accounts whose `canonical-id.json` is known.
    fn accounts_by_canonical_id(&self) -> HashMap<String, String> {
        self.accounts
            .values()
            .filter_map(|a| match &a.canonical_id {
                Known::Known(c) => Some((c.clone(), a.id.clone())),
                Known::Unknown(_) => None,
            })
            .collect()
    }

    /// Each bucket's ACL grants beside its policy ([`acl_grants`]), once, at load.
    fn add_acl_grants(&mut self) {
        let by_canonical = self.accounts_by_canonical_id();
        let account_of = |id: &str| by_canonical.get(id).cloned();
        let mut found = Vec::new();
        for acct in self.accounts.values() {
            let owner = match &acct.canonical_id {
                Known::Known(c) => Some(c.as_str()),
                Known::Unknown(_) => None,
            };
            for b in acct.buckets.values() {
                // Only buckets whose ACL names someone else need the (costlier) lookups.
                let Known::Known(acl) = &b.acl else { continue };
                if acl.grants.iter().all(|g| {
                    matches!(&g.grantee, Grantee::CanonicalUser(id) if Some(id.as_str()) == owner || Some(id) == acl.owner_id.as_ref())
                }) {
                    continue;
                }
                let bpa = self.effective_public_access_block(&b.name);
                if let Some(g) = acl_grants::resource_grants(b, owner, &account_of, &bpa) {
                    found.push((acct.id.clone(), b.name.clone(), g));
                }
            }
        }
        for (account, bucket, grants) in found {
            if let Some(b) = self
                .accounts
                .get_mut(&account)
                .and_then(|a| a.buckets.get_mut(&bucket))
            {
                b.resource_grants = Some(grants);
            }
        }
    }

    /// Counts for summaries and tests.
    pub fn stats(&self) -> SnapshotStats {
        let mut s = SnapshotStats {
            accounts: self.accounts.len(),
            ..SnapshotStats::default()
        };
        for acct in self.accounts.values() {
            if let Known::Known(iam) = &acct.iam {
                s.users += iam.users.len();
                s.groups += iam.groups.len();
                s.roles += iam.roles.len();
                s.managed_policies += iam.policies.len();
                s.inline_policies += iam.users.iter().map(|u| u.inline.len()).sum::<usize>()
                    + iam.groups.iter().map(|g| g.inline.len()).sum::<usize>()
                    + iam.roles.iter().map(|r| r.inline.len()).sum::<usize>();
            }
            s.buckets += acct.buckets.len();
            s.bucket_policies += acct
                .buckets
                .values()
                .filter(|b| matches!(b.policy, Known::Known(Some(_))))
                .count();
            s.kms_keys += acct.kms_keys.len();
            if let Known::Known(eps) = &acct.vpc_endpoints {
                s.vpc_endpoints += eps.len();
            }
        }
        if let Some(org) = &self.organization {
            for p in org.policies.values() {
                match p.kind {
                    OrgPolicyKind::Scp => s.scps += 1,
                    OrgPolicyKind::Rcp => s.rcps += 1,
                    OrgPolicyKind::Other(_) => {}
                }
            }
        }
        s
    }
}

/// What a snapshot holds, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SnapshotStats {
    pub accounts: usize,
    pub users: usize,
    pub groups: usize,
    pub roles: usize,
    pub managed_policies: usize,
    pub inline_policies: usize,
    pub buckets: usize,
    pub bucket_policies: usize,
    pub kms_keys: usize,
    pub vpc_endpoints: usize,
    pub scps: usize,
    pub rcps: usize,
}

fn taken_at(path: &Path, problems: &mut Problems) -> Option<DateTime<Utc>> {
    let v = files::read_object(path, problems).ok()?;
    let Some(s) = files::str_field(&v, "taken_at") else {
        problems.shape(path, "expected `taken_at` (an RFC 3339 time)");
        return None;
    };
    match DateTime::parse_from_rfc3339(s) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(e) => {
            problems.shape(path, format!("`taken_at` `{s}` is not RFC 3339: {e}"));
            None
        }
    }
}

fn account(id: &str, dir: &Path, problems: &mut Problems) -> Account {
    let iam_path = dir.join("iam.json");
    let iam = match files::read(&iam_path, problems) {
        files::Read::Absent => Known::Unknown(files::absent(&iam_path)),
        files::Read::Broken(why) => Known::Unknown(why),
        files::Read::Json(docs) => match iam::parse(&files::pages(docs), &iam_path, problems) {
            Ok(iam) => Known::Known(iam),
            Err(why) => Known::Unknown(why),
        },
    };
    let canonical_path = dir.join("canonical-id.json");
    let canonical_id = match files::read_object(&canonical_path, problems) {
        Err(why) => Known::Unknown(why),
        Ok(v) => match files::str_field(&v, "ID") {
            Some(c) => Known::Known(c.to_owned()),
            None => {
                problems.shape(&canonical_path, "expected `ID`");
                Known::Unknown(format!("{} has no `ID`", canonical_path.display()))
            }
        },
    };
    let public_access_block = s3::public_access_block(
        &dir.join("s3control").join("public-access-block.json"),
        problems,
    );
    let mut buckets = BTreeMap::new();
    for (name, path) in files::entries(&dir.join("s3"), true, problems) {
        buckets.insert(name.clone(), s3::bucket(id, &name, &path, problems));
    }
    let mut kms_keys = BTreeMap::new();
    for (key_id, path) in files::entries(&dir.join("kms"), false, problems) {
        if let Some(k) = kms::key(id, &key_id, &path, problems) {
            kms_keys.insert(k.key_id.clone(), k);
        }
    }
    let vpc_endpoints = vpce::endpoints(&dir.join("ec2").join("vpc-endpoints.json"), problems);
    let access_points = access_points::load(id, &dir.join("s3control"), problems);
    Account {
        id: id.to_owned(),
        iam,
        canonical_id,
        public_access_block,
        buckets,
        kms_keys,
        vpc_endpoints,
        access_points,
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod object_acl_tests;
