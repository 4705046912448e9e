//! Lookups over a loaded [`Snapshot`]: what the engine needs for one request
//! ([`Snapshot::authz_input`]) and what the diagnosis needs beside it (bucket settings, KMS
//! keys, owners, principals by unique id, tags). Every answer is [`Known`] or
//! `Unknown(what is missing)`; none reads an absent file as "nothing there".

use super::model::{
    Account, Bucket, IamRole, IamUser, KmsKey, ObjectEntry, PublicAccessBlock, VpcEndpoint,
};
use super::org::OrgPolicyKind;
use super::Snapshot;
use crate::policy::{
    AuthzInput, KeyState, Known, OrgLevel, PolicyRef, Principal, PrincipalKind, Request,
};

/// The IAM entity behind a principal.
#[derive(Debug, Clone, Copy)]
pub enum Entity<'a> {
    User(&'a IamUser),
    Role(&'a IamRole),
}

/// A principal found by its unique id (`principalId` of an owner's copy of a cross-account
/// event: `AIDA…` for users, `AROA…:<session>` for role sessions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPrincipal {
    pub account: String,
    /// User ARN, or the role ARN for a role session.
    pub arn: String,
    pub kind: PrincipalKind,
    /// For role sessions: the session name after `:` in the principal id.
    pub session_name: Option<String>,
}

/// The parts of an ARN: `arn:partition:service:region:account:resource`.
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    pub fn parse(s: &'a str) -> Option<Arn<'a>> {
        let mut it = s.splitn(6, ':');
        if it.next()? != "arn" {
            return None;
        }
        Some(Arn {
            partition: it.next()?,
            service: it.next()?,
            region: it.next()?,
            account: it.next()?,
            resource: it.next()?,
        })
    }
}

/// Bucket and key of an S3 ARN (`arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`).
pub fn s3_bucket_and_key(resource_arn: &str) -> Option<(&str, Option<&str>)> {
    let arn = Arn::parse(resource_arn)?;
    if arn.service != "s3" || !arn.account.is_empty() {
        return None;
    }
    match arn.resource.split_once('/') {
        Some((b, k)) => Some((b, Some(k))),
        None if !arn.resource.is_empty() => Some((arn.resource, None)),
        None => None,
    }
}

/// The directory bucket an S3 Express ARN names
/// (`arn:aws:s3express:us-west-2:111122223333:bucket/name--usw2-az1--x-s3`).
pub fn s3express_bucket(resource_arn: &str) -> Option<&str> {
    let arn = Arn::parse(resource_arn)?;
    if arn.service != "s3express" {
        return None;
    }
    arn.resource
        .strip_prefix("bucket/")
        .filter(|b| !b.is_empty() && !b.contains('/'))
}

/// The last path segment of an IAM ARN's resource (`user/path/name` → `name`).
fn last_segment(resource: &str) -> &str {
    resource.rsplit('/').next().unwrap_or(resource)
}

impl Snapshot {
    pub fn account(&self, id: &str) -> Known<&Account> {
        match self.accounts.get(id) {
            Some(a) => Known::Known(a),
            None => Known::Unknown(format!(
                "account {id} is not in the snapshot (no accounts/{id}/)"
            )),
        }
    }

    /// The bucket's folder, found in whichever account holds it.
    pub fn bucket(&self, name: &str) -> Known<&Bucket> {
        match self
            .bucket_owner
            .get(name)
            .and_then(|acct| self.accounts.get(acct))
            .and_then(|a| a.buckets.get(name))
        {
            Some(b) => Known::Known(b),
            None => Known::Unknown(format!(
                "bucket `{name}` is not in the snapshot (no accounts/*/s3/{name}/)"
            )),
        }
    }

    /// The account that owns the bucket: the account folder that holds it.
    pub fn bucket_owner(&self, name: &str) -> Known<&str> {
        match self.bucket_owner.get(name) {
            Some(a) => Known::Known(a.as_str()),
            None => Known::Unknown(format!(
                "owner of bucket `{name}` unknown: bucket not in the snapshot"
            )),
        }
    }

    /// [`Snapshot::bucket_owner`] without the reason when it is unknown: no allocation, for
    /// the request builder, which runs on every event (with or without a snapshot).
    pub fn known_bucket_owner(&self, name: &str) -> Option<&str> {
        self.bucket_owner.get(name).map(String::as_str)
    }

    /// Block Public Access as S3 applies it to the bucket: the most restrictive combination of
    /// the bucket's and its owner account's settings. `Known(None)`: neither has any.
    pub fn effective_public_access_block(&self, bucket: &str) -> Known<Option<PublicAccessBlock>> {
        let b = match self.bucket(bucket) {
            Known::Known(b) => b,
            Known::Unknown(why) => return Known::Unknown(why),
        };
        let account_pab = match self.accounts.get(&b.account) {
            Some(a) => a.public_access_block.clone(),
            None => Known::Unknown(format!("account {} not in the snapshot", b.account)),
        };
        match (&b.public_access_block, &account_pab) {
            (Known::Known(x), Known::Known(y)) => Known::Known(match (*x, *y) {
                (None, None) => None,
                (Some(p), None) | (None, Some(p)) => Some(p),
                (Some(p), Some(q)) => Some(p.union(q)),
            }),
            // A setting that is on at the known level stays on whatever the other says; the
            // caller still gets Unknown, since a setting off here might be on there.
            (Known::Unknown(why), _) | (_, Known::Unknown(why)) => Known::Unknown(why.clone()),
        }
    }

    /// A KMS key by key id, key ARN, alias name (`alias/x`) or alias ARN.
    pub fn kms_key(&self, id: &str) -> Known<&KmsKey> {
        let found = self
            .kms_index
            .get(id)
            .and_then(|(acct, key_id)| self.accounts.get(acct)?.kms_keys.get(key_id));
        match found {
            Some(k) => Known::Known(k),
            None if id.contains("alias/") => Known::Unknown(format!(
                "KMS alias `{id}` unknown: no kms/<key-id>.json lists it in `Aliases`"
            )),
            None => Known::Unknown(format!(
                "KMS key `{id}` is not in the snapshot (kms/<key-id>.json)"
            )),
        }
    }

    pub fn vpc_endpoint(&self, id: &str) -> Known<&VpcEndpoint> {
        let found = self.endpoint_account.get(id).and_then(|acct| {
            match &self.accounts.get(acct)?.vpc_endpoints {
                Known::Known(eps) => eps.iter().find(|e| e.id == id),
                Known::Unknown(_) => None,
            }
        });
        match found {
            Some(e) => Known::Known(e),
            None => Known::Unknown(format!(
                "VPC endpoint `{id}` is not in any ec2/vpc-endpoints.json of the snapshot"
            )),
        }
    }

    /// The account that owns a VPC endpoint: its `OwnerId`, else the account folder whose
    /// `ec2/vpc-endpoints.json` lists it.
    pub fn vpc_endpoint_owner(&self, id: &str) -> Option<&str> {
        match self.vpc_endpoint(id) {
            Known::Known(e) => e
                .owner
                .as_deref()
                .or_else(|| self.endpoint_account.get(id).map(String::as_str)),
            Known::Unknown(_) => None,
        }
    }

    /// The organization id of an account (`aws:PrincipalOrgID`, `aws:ResourceOrgID`);
    /// `Known(None)` when the snapshot says it is in no organization.
    pub fn org_id(&self, account: &str) -> Known<Option<String>> {
        match &self.organization {
            None => Known::Unknown("organization/ not captured".to_owned()),
            Some(org) => org.org_id_of(account),
        }
    }

    /// The account's S3 canonical user id (`canonical-id.json`).
    pub fn canonical_id(&self, account: &str) -> Known<&str> {
        match self.account(account) {
            Known::Known(a) => match &a.canonical_id {
                Known::Known(id) => Known::Known(id.as_str()),
                Known::Unknown(why) => Known::Unknown(why.clone()),
            },
            Known::Unknown(why) => Known::Unknown(why),
        }
    }

    /// The account whose canonical user id this is, if the snapshot has it.
    pub fn account_by_canonical_id(&self, canonical: &str) -> Option<&str> {
        self.accounts
            .values()
            .find(|a| matches!(&a.canonical_id, Known::Known(c) if c == canonical))
            .map(|a| a.id.as_str())
    }

    /// The object's entry in the bucket's `objects.json`: `Known(Some)` listed, `Known(None)`
    /// not listed by a complete listing of its prefix (it did not exist at snapshot time),
    /// `Unknown` when there is no listing or it is a sample.
    pub fn object(&self, bucket: &str, key: &str) -> Known<Option<&ObjectEntry>> {
        let b = match self.bucket(bucket) {
            Known::Known(b) => b,
            Known::Unknown(why) => return Known::Unknown(why),
        };
        let listing = match &b.objects {
            Known::Known(l) => l,
            Known::Unknown(why) => return Known::Unknown(why.clone()),
        };
        match listing.objects.get(key) {
            Some(e) => Known::Known(Some(e)),
            None if listing.complete && key.starts_with(&listing.prefix) => Known::Known(None),
            None => Known::Unknown(format!(
                "key `{key}` is not in the sample listing of bucket `{bucket}` (objects.json is truncated or covers another prefix)"
            )),
        }
    }

    /// A principal by IAM unique id (`AIDA…`, `AROA…`, `AROA…:session`).
    pub fn principal_by_unique_id(&self, principal_id: &str) -> Known<ResolvedPrincipal> {
        let (id, session) = match principal_id.split_once(':') {
            Some((id, s)) => (id, Some(s.to_owned())),
            None => (principal_id, None),
        };
        let Some((account, name, is_role)) = self.unique_ids.get(id) else {
            return Known::Unknown(format!(
                "no user or role with unique id `{id}` in any iam.json of the snapshot"
            ));
        };
        let iam = match self.accounts.get(account).map(|a| &a.iam) {
            Some(Known::Known(iam)) => iam,
            _ => return Known::Unknown(format!("iam.json of account {account} not loaded")),
        };
        let found = if *is_role {
            iam.role(name)
                .map(|r| (r.arn.clone(), PrincipalKind::AssumedRole))
        } else {
            iam.user(name).map(|u| (u.arn.clone(), PrincipalKind::User))
        };
        match found {
            Some((arn, kind)) => Known::Known(ResolvedPrincipal {
                account: account.clone(),
                arn,
                kind,
                session_name: session,
            }),
            None => Known::Unknown(format!("unique id `{id}` indexed but not found")),
        }
    }

    /// The IAM user or role behind a principal. `Known(None)` for callers that are no IAM
    /// entity (root, anonymous, AWS services).
    pub fn entity(&self, p: &Principal) -> Known<Option<Entity<'_>>> {
        let (arn, want_role) = match p.kind {
            PrincipalKind::Root | PrincipalKind::Anonymous | PrincipalKind::Service => {
                return Known::Known(None)
            }
            PrincipalKind::Account => {
                return Known::Unknown(
                    "the caller's ARN is hidden (cross-account record) and was not resolved"
                        .to_owned(),
                )
            }
            PrincipalKind::User => match &p.arn {
                Some(a) => (a.as_str(), false),
                None => return Known::Unknown("the IAM user's ARN is unknown".to_owned()),
            },
            PrincipalKind::AssumedRole => match (&p.role_arn, &p.arn) {
                (Some(r), _) => (r.as_str(), true),
                (None, Some(s)) => (s.as_str(), true),
                (None, None) => {
                    return Known::Unknown("the role session's ARN is unknown".to_owned())
                }
            },
            PrincipalKind::FederatedUser => match &p.role_arn {
                Some(u) => (u.as_str(), false),
                None => {
                    return Known::Unknown(
                        "the IAM user who called GetFederationToken is unknown".to_owned(),
                    )
                }
            },
        };
        let Some(parsed) = Arn::parse(arn) else {
            return Known::Unknown(format!("`{arn}` is not an ARN"));
        };
        let iam = match self.accounts.get(parsed.account).map(|a| &a.iam) {
            Some(Known::Known(iam)) => iam,
            Some(Known::Unknown(why)) => return Known::Unknown(why.clone()),
            None => {
                return Known::Unknown(format!(
                    "account {} is not in the snapshot (no accounts/{}/iam.json)",
                    parsed.account, parsed.account
                ))
            }
        };
        if want_role {
            // `role/path/name` or the session's `assumed-role/name/session`.
            let name = match parsed.resource.strip_prefix("assumed-role/") {
                Some(rest) => rest.split('/').next().unwrap_or(rest),
                None => last_segment(parsed.resource),
            };
            match iam.role(name) {
                Some(r) => Known::Known(Some(Entity::Role(r))),
                None => Known::Unknown(format!(
                    "role `{name}` is not in accounts/{}/iam.json",
                    parsed.account
                )),
            }
        } else {
            let name = last_segment(parsed.resource);
            match iam.user(name) {
                Some(u) => Known::Known(Some(Entity::User(u))),
                None => Known::Unknown(format!(
                    "user `{name}` is not in accounts/{}/iam.json",
                    parsed.account
                )),
            }
        }
    }

    /// A managed policy's default version, looked up in the account's `iam.json` first, then
    /// (for AWS managed policies, identical in every account) in any account's.
    pub fn managed_policy(&self, account: &str, arn: &str) -> Known<PolicyRef> {
        let local = self.accounts.get(account).and_then(|a| match &a.iam {
            Known::Known(iam) => iam.policies.get(arn),
            Known::Unknown(_) => None,
        });
        let found = local.or_else(|| {
            if !arn.starts_with("arn:aws:iam::aws:policy/") {
                return None;
            }
            self.accounts.values().find_map(|a| match &a.iam {
                Known::Known(iam) => iam.policies.get(arn),
                Known::Unknown(_) => None,
            })
        });
        match found {
            Some(p) => p.default_version.clone(),
            None => Known::Unknown(format!(
                "managed policy `{arn}` is not in accounts/{account}/iam.json `Policies`"
            )),
        }
    }

    /// Identity-based policies: user inline + attached + each group's inline + attached; a
    /// role's inline + attached (for its sessions too). Empty for root, anonymous and
    /// services (the engine treats root's implicit full access itself).
    pub fn identity_policies(&self, p: &Principal) -> Known<Vec<PolicyRef>> {
        let entity = match self.entity(p) {
            Known::Known(Some(e)) => e,
            Known::Known(None) => return Known::Known(Vec::new()),
            Known::Unknown(why) => return Known::Unknown(why),
        };
        let mut out = Vec::new();
        match entity {
            Entity::User(u) => {
                let account = Arn::parse(&u.arn).map(|a| a.account).unwrap_or("");
                if let Some(why) = &u.broken {
                    return Known::Unknown(why.clone());
                }
                out.extend(u.inline.iter().cloned());
                for arn in &u.attached {
                    match self.managed_policy(account, arn) {
                        Known::Known(pol) => out.push(pol),
                        Known::Unknown(why) => return Known::Unknown(why),
                    }
                }
                let iam = match self.accounts.get(account).map(|a| &a.iam) {
                    Some(Known::Known(iam)) => iam,
                    _ => {
                        return Known::Unknown(format!("iam.json of account {account} not loaded"))
                    }
                };
                for gname in &u.groups {
                    let Some(g) = iam.group(gname) else {
                        return Known::Unknown(format!(
                            "group `{gname}` of user `{}` is not in accounts/{account}/iam.json",
                            u.name
                        ));
                    };
                    if let Some(why) = &g.broken {
                        return Known::Unknown(why.clone());
                    }
                    out.extend(g.inline.iter().cloned());
                    for arn in &g.attached {
                        match self.managed_policy(account, arn) {
                            Known::Known(pol) => out.push(pol),
                            Known::Unknown(why) => return Known::Unknown(why),
                        }
                    }
                }
            }
            Entity::Role(r) => {
                let account = Arn::parse(&r.arn).map(|a| a.account).unwrap_or("");
                if let Some(why) = &r.broken {
                    return Known::Unknown(why.clone());
                }
                out.extend(r.inline.iter().cloned());
                for arn in &r.attached {
                    match self.managed_policy(account, arn) {
                        Known::Known(pol) => out.push(pol),
                        Known::Unknown(why) => return Known::Unknown(why),
                    }
                }
            }
        }
        Known::Known(out)
    }

    /// The permissions boundary of the user or role; `Known(None)` when it has none.
    pub fn permissions_boundary(&self, p: &Principal) -> Known<Option<PolicyRef>> {
        let (arn, boundary) = match self.entity(p) {
            Known::Known(Some(Entity::User(u))) => (&u.arn, &u.boundary),
            Known::Known(Some(Entity::Role(r))) => (&r.arn, &r.boundary),
            Known::Known(None) => return Known::Known(None),
            Known::Unknown(why) => return Known::Unknown(why),
        };
        let account = Arn::parse(arn).map(|a| a.account).unwrap_or("");
        match boundary {
            None => Known::Known(None),
            Some(b) => match self.managed_policy(account, b) {
                Known::Known(pol) => Known::Known(Some(pol)),
                Known::Unknown(why) => Known::Unknown(why),
            },
        }
    }

    /// Whether the principal is a service-linked role (exempt from SCPs and RCPs).
    pub fn is_service_linked(&self, p: &Principal) -> bool {
        if let Known::Known(Some(Entity::Role(r))) = self.entity(p) {
            return r.is_service_linked();
        }
        p.role_arn
            .as_deref()
            .is_some_and(|a| a.contains(":role/aws-service-role/"))
    }

    /// SCPs on the path of the principal's account. `Known(None)` when SCPs do not apply:
    /// anonymous and service callers, service-linked roles, the management account, no
    /// organization (only when the snapshot says so).
    pub fn scp_path(&self, p: &Principal) -> Known<Option<Vec<OrgLevel>>> {
        if matches!(p.kind, PrincipalKind::Anonymous | PrincipalKind::Service) {
            return Known::Known(None);
        }
        if self.is_service_linked(p) {
            return Known::Known(None);
        }
        let Some(account) = p.account.as_deref() else {
            return Known::Unknown("SCPs: the caller's account is unknown".to_owned());
        };
        match &self.organization {
            None => Known::Unknown("SCPs: organization/ not captured".to_owned()),
            Some(org) => org.policy_path(account, &OrgPolicyKind::Scp),
        }
    }

    /// RCPs on the path of the resource's account. `Known(None)` when RCPs do not apply: the
    /// management account's resources, requests by service-linked roles, AWS managed KMS keys,
    /// no organization (only when the snapshot says so). (Organizations user guide, "Resource
    /// control policies": resources in the management account, and the section on what RCPs do
    /// not restrict.)
    pub fn rcp_path(
        &self,
        resource_account: Option<&str>,
        p: &Principal,
        resource: &str,
    ) -> Known<Option<Vec<OrgLevel>>> {
        // RCPs apply to resources: an action without one (`*`) has none to protect.
        if self.is_service_linked(p) || resource == "*" {
            return Known::Known(None);
        }
        if let Known::Known(k) = self.kms_key(resource) {
            if k.key_manager.as_deref() == Some("AWS") {
                return Known::Known(None);
            }
        }
        let Some(account) = resource_account else {
            return Known::Unknown("RCPs: the resource's account is unknown".to_owned());
        };
        match &self.organization {
            None => Known::Unknown("RCPs: organization/ not captured".to_owned()),
            Some(org) => org.policy_path(account, &OrgPolicyKind::Rcp),
        }
    }

    /// The resource-based policy of the request's resource: the bucket policy for S3 ARNs,
    /// the key policy for KMS key ARNs. `Known(None)` when the resource has none.
    pub fn resource_policy(&self, resource: &str) -> Known<Option<PolicyRef>> {
        // An action without a resource (`*`, e.g. s3:ListAllMyBuckets) has no resource policy.
        if resource == "*" {
            return Known::Known(None);
        }
        // A directory bucket's policy governs `s3express:` actions on its ARN (SNAPSHOT.md:
        // directory buckets live in the same `s3/` folder).
        let bucket = s3_bucket_and_key(resource)
            .map(|(b, _)| b)
            .or_else(|| s3express_bucket(resource));
        if let Some(bucket) = bucket {
            return match self.bucket(bucket) {
                // The policy and the bucket ACL's grants (`acl_grants`): both grant.
                Known::Known(b) => b
                    .resource_grants
                    .clone()
                    .unwrap_or_else(|| b.policy.clone()),
                Known::Unknown(why) => Known::Unknown(why),
            };
        }
        // A role's trust policy is its resource-based policy (id_roles_terms-and-concepts.html:
        // "Trust policy: A JSON policy document in which you define the principals that you
        // trust to assume the role. A role trust policy is a required resource-based policy
        // that is attached to a role in IAM").
        if let Some(a) = Arn::parse(resource).filter(|a| a.service == "iam") {
            if a.resource.starts_with("role/") {
                let name = last_segment(a.resource);
                return match self.accounts.get(a.account).map(|acct| &acct.iam) {
                    Some(Known::Known(iam)) => match iam.role(name).map(|r| &r.trust) {
                        Some(Some(p)) => Known::Known(Some(p.clone())),
                        Some(None) => Known::Unknown(format!(
                            "the trust policy of role `{name}` is not in accounts/{}/iam.json",
                            a.account
                        )),
                        None => Known::Unknown(format!(
                            "role `{name}` is not in accounts/{}/iam.json",
                            a.account
                        )),
                    },
                    Some(Known::Unknown(why)) => Known::Unknown(why.clone()),
                    None => Known::Unknown(format!(
                        "account {} is not in the snapshot (no accounts/{}/iam.json)",
                        a.account, a.account
                    )),
                };
            }
        }
        if Arn::parse(resource).is_some_and(|a| a.service == "kms") {
            return match self.kms_key(resource) {
                Known::Known(k) => match &k.policy {
                    Known::Known(p) => Known::Known(Some(p.clone())),
                    Known::Unknown(why) => Known::Unknown(why.clone()),
                },
                Known::Unknown(why) => Known::Unknown(why),
            };
        }
        Known::Unknown(format!(
            "resource policies of `{resource}` are not part of the snapshot"
        ))
    }

    /// The policy of the endpoint named by `aws:SourceVpce`; `Known(None)` when the request
    /// did not come through an endpoint (key marked absent).
    pub fn vpc_endpoint_policy(&self, req: &Request) -> Known<Option<PolicyRef>> {
        match req.context.get("aws:sourcevpce") {
            KeyState::Absent => Known::Known(None),
            KeyState::Unknown | KeyState::NotMatching(_) => Known::Unknown(
                "whether the request came through a VPC endpoint is unknown".to_owned(),
            ),
            KeyState::Present(ids) => match ids.first() {
                None => Known::Known(None),
                Some(id) => match self.vpc_endpoint(id) {
                    Known::Known(e) => match &e.policy {
                        Known::Known(p) => Known::Known(Some(p.clone())),
                        Known::Unknown(why) => Known::Unknown(why.clone()),
                    },
                    Known::Unknown(why) => Known::Unknown(why),
                },
            },
        }
    }

    /// IAM tags of the user or role (`aws:PrincipalTag/*`). Session tags are not in the
    /// snapshot: for role sessions these are the role's tags only, and a session tag of the
    /// same key would override them (the caller adds session tags from STS events).
    pub fn principal_tags(&self, p: &Principal) -> Known<&[(String, String)]> {
        match self.entity(p) {
            Known::Known(Some(Entity::User(u))) => Known::Known(&u.tags),
            Known::Known(Some(Entity::Role(r))) => Known::Known(&r.tags),
            Known::Known(None) => Known::Known(&[]),
            Known::Unknown(why) => Known::Unknown(why),
        }
    }

    /// The resource's owning account: the request's own, else the bucket's or the key's.
    pub fn resource_account(&self, req: &Request) -> Option<String> {
        if let Some(a) = &req.resource_account {
            return Some(a.clone());
        }
        if let Some((bucket, _)) = s3_bucket_and_key(&req.resource) {
            return self.bucket_owner.get(bucket).cloned();
        }
        if let Known::Known(k) = self.kms_key(&req.resource) {
            return Some(k.account.clone());
        }
        Arn::parse(&req.resource)
            .map(|a| a.account)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
    }

    /// Every policy that applies to `req`, gathered from the snapshot. Session policies are
    /// not in any snapshot: for sessions they are `Unknown` here, and the diagnosis (which
    /// recovers them from STS events) passes them through [`Snapshot::authz_input_with_session`].
    pub fn authz_input(&self, req: &Request) -> AuthzInput {
        let session = match req.principal.kind {
            PrincipalKind::AssumedRole | PrincipalKind::FederatedUser => Known::Unknown(
                "session policies are not in the snapshot (they come from the STS event that \
                 created the session)"
                    .to_owned(),
            ),
            // A hidden cross-account caller may be a session too.
            PrincipalKind::Account => Known::Unknown(
                "the caller may be a session whose session policy is unknown".to_owned(),
            ),
            _ => Known::Known(None),
        };
        self.authz_input_with_session(req, session)
    }

    /// [`Snapshot::authz_input`] with the session policies known from elsewhere. Pass
    /// `Known(None)` for a role session created without a session policy (no restriction),
    /// but `Known(Some(vec![]))` for a federated user whose GetFederationToken passed none:
    /// such a session has no permissions beyond what a resource policy grants the session
    /// itself (IAM user guide, "Permissions for GetFederationToken").
    pub fn authz_input_with_session(
        &self,
        req: &Request,
        session: Known<Option<Vec<PolicyRef>>>,
    ) -> AuthzInput {
        if !self.given {
            return no_snapshot_input();
        }
        let resource_account = self.resource_account(req);
        let mut input = AuthzInput {
            identity: self.identity_policies(&req.principal),
            boundary: self.permissions_boundary(&req.principal),
            session,
            resource: if is_kms_alias_request(req) {
                Known::Known(None)
            } else {
                // With the object's ACL, where captured (`object_acl_grants`).
                self.resource_policy_for(req)
            },
            scp: self.scp_path(&req.principal),
            rcp: self.rcp_path(resource_account.as_deref(), &req.principal, &req.resource),
            vpc_endpoint: self.vpc_endpoint_policy(req),
            access_point: self.access_point_input(req),
        };
        // An access point known only by an alias the snapshot cannot resolve: the caller's
        // policies are matched against its ARN, which is unknown, so their answer is too.
        if let Some(ap) = input.access_point.as_ref().filter(|a| a.account.is_none()) {
            let why = format!(
                "identity policies are matched against the access point's ARN, unknown for alias `{}`",
                ap.arn
            );
            if matches!(input.identity, Known::Known(ref v) if !v.is_empty()) {
                input.identity = Known::Unknown(why.clone());
            }
            if matches!(input.boundary, Known::Known(Some(_))) {
                input.boundary = Known::Unknown(why);
            }
        }
        input
    }
}

/// Every layer unknown: what [`Snapshot::absent`] answers (the session policy too, even when
/// known from elsewhere: without the other layers it decides nothing).
fn no_snapshot_input() -> AuthzInput {
    let u = || "no policy snapshot".to_owned();
    AuthzInput {
        identity: Known::Unknown(u()),
        boundary: Known::Unknown(u()),
        session: Known::Unknown(u()),
        resource: Known::Unknown(u()),
        scp: Known::Unknown(u()),
        rcp: Known::Unknown(u()),
        vpc_endpoint: Known::Unknown(u()),
        access_point: None,
    }
}

/// A KMS alias operation (`kms:CreateAlias`, `kms:UpdateAlias`, `kms:DeleteAlias`) on the
/// alias itself: an alias has no key policy. KMS developer guide, "Controlling access to
/// aliases" (https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html):
/// "kms:CreateAlias for the alias. Provide this permission in an IAM policy that is attached
/// to the principal"; "When an alias is the value of a resource element, the policy applies
/// to the alias resource, not to any KMS key that might be associated with it"
/// (alias-authorization.html). The permission on the key is a second request, on the key.
pub fn is_kms_alias_request(req: &Request) -> bool {
    Arn::parse(&req.resource)
        .is_some_and(|a| a.service == "kms" && a.resource.starts_with("alias/"))
        && req.action.to_ascii_lowercase().ends_with("alias")
}
