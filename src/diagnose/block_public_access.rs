//! Block Public Access: AWS's "public" classification of a bucket policy and ACL, the rule
//! that neutralizes a grant (`RestrictPublicBuckets`, `IgnorePublicAcls`), and the rules that
//! reject a write (`BlockPublicAcls`, `BlockPublicPolicy`).
//!
//! "Public" follows the S3 User Guide, "Blocking public access to your Amazon S3 storage",
//! section "The meaning of public"
//! (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html):
//! "When evaluating a bucket policy, Amazon S3 begins by assuming that the policy is public.
//! It then evaluates the policy to determine whether it qualifies as non-public. To be
//! considered non-public, a bucket policy must grant access only to fixed values (values that
//! don't contain a wildcard or an AWS Identity and Access Management Policy Variable) for one
//! or more of the following: An AWS principal, user, role, or service principal (e.g.
//! `aws:PrincipalOrgID`); a set of CIDRs, using `aws:SourceIp` [...]; `aws:SourceArn`;
//! `aws:SourceVpc`; `aws:SourceVpce`; `aws:SourceOwner`; `aws:SourceAccount`;
//! `s3:x-amz-server-side-encryption-aws-kms-key-id`; `aws:userid`, outside the pattern
//! `AROLEID:*`; `s3:DataAccessPointArn` [...]; `s3:DataAccessPointAccount`." That list wins
//! over the shorter one of the `PublicAccessBlockConfiguration` API reference (AWS-NOTES.md).
//!
//! Where the page is silent, each choice below says so and takes the reading that does not
//! blame Block Public Access wrongly:
//! - *Which actions.* The User Guide names no action filter; the API reference limits "public"
//!   to "bad actions" (`s3:Get*`, `s3:List*`, `s3:Put*`, `s3:Delete*`,
//!   `s3:AbortMultipartUpload`, `s3:RestoreObject`). A statement granting none of them cannot
//!   expose data, so it is kept non-public (never blamed).
//! - *Other principal keys.* "An AWS principal, user, role, or service principal (e.g.
//!   `aws:PrincipalOrgID`)": the keys naming the principal (`aws:PrincipalOrgID`,
//!   `aws:PrincipalOrgPaths`, `aws:PrincipalAccount`, `aws:PrincipalArn`,
//!   `aws:PrincipalServiceName`) with fixed values all pin a statement down, and so does
//!   `aws:SourceOrgID` beside the listed `aws:SourceAccount`/`aws:SourceOwner`. A wildcard in
//!   any of them (`o-x/r-y/ou-z/*` in `aws:PrincipalOrgPaths`, `role/app-*` in
//!   `aws:PrincipalArn`) is not fixed: the page's own `aws:userid` rule makes "AROLEID:*" (the
//!   sessions of one role) public, so its test is on the value, not on how far it reaches.
//! - *Operators.* A condition pins a statement only when every request it admits carries the
//!   key with one of the fixed values: positive string/ARN/IP operators do
//!   (`StringEquals`, `StringEqualsIgnoreCase`, `StringLike` and `ArnLike` without a wildcard
//!   in the value, `ArnEquals`, `IpAddress`, and their `ForAnyValue:` forms, which are false
//!   for an absent key). `...IfExists`, `ForAllValues:` (both true when the key is absent),
//!   negated operators (`StringNotEquals`, `NotIpAddress`, ...) and `Null` admit requests
//!   that do not carry a fixed value, so they do not grant "only to fixed values".
//! - *A `*` under `StringEquals`/`ArnEquals`.* It is a literal character there and matches only
//!   itself, so the value still pins the statement (the page's wildcard example is under
//!   `StringLike`); a policy variable is substituted under every operator and never pins.
//! - *`s3:DataAccessPointArn` in a bucket policy.* The page allows a wildcard in the access
//!   point name "as long as the account id is fixed"; a wildcard in the region is not
//!   mentioned and is accepted too (only the account is required fixed).
//!
//! `RestrictPublicBuckets` (bucket or account level; the most restrictive applies) limits a
//! bucket whose policy is public to AWS service principals and authorized users of the owner
//! account: "Amazon S3 blocks public and cross-account access derived from any public access
//! point or bucket policy, including non-public delegation to specific accounts".
//! `IgnorePublicAcls` ignores ACL grants to `AllUsers` and `AuthenticatedUsers`.
//! `BlockPublicAcls`: "PUT Bucket ACL and PUT Object ACL calls fail if the specified ACL is
//! public. PUT Object calls fail if the request includes a public ACL. PUT Bucket calls fail if
//! the request includes a public ACL." `BlockPublicPolicy`: "causes Amazon S3 to reject calls
//! to PUT Bucket policy if the specified bucket policy allows public access"
//! (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PublicAccessBlockConfiguration.html).

use super::actions::writes_acl;
use super::cause::Fix;
use super::fix_input::{stmt_resource, FixInput};
use super::rule::{RuleHit, RuleOutcome};
use crate::findings::RootCause;
use serde_json::Value;
use std::net::IpAddr;

/// Who is asking, relative to the bucket owner, as BPA cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asker {
    Anonymous,
    CrossAccount,
    SameAccount,
    AwsService,
    Unknown,
}

/// `RestrictPublicBuckets` on a bucket whose policy is public: only AWS service principals and
/// the owner account's own users get through; public grants and cross-account grants inside
/// that policy are blocked. Read only when every policy layer allows (the bucket policy's
/// grant is what would have allowed the request).
pub fn check_policy(levels: &BpaLevels, policy: Option<&Value>, asker: Asker) -> RuleOutcome {
    if matches!(asker, Asker::SameAccount | Asker::AwsService) {
        return RuleOutcome::Clear;
    }
    let Some(doc) = policy else {
        return RuleOutcome::Clear;
    };
    if !policy_is_public(doc) {
        return RuleOutcome::Clear;
    }
    let who = match asker {
        Asker::Anonymous => "an anonymous caller",
        Asker::CrossAccount => "a caller from another account",
        _ => "a caller whose account is unknown",
    };
    match levels.get(Switch::RestrictPublicBuckets) {
        Some(true) if asker != Asker::Unknown => {
            let mut hit = RuleHit::setting(
                RootCause::BlockPublicAccess,
                format!(
                    "the bucket policy is public (statement {}) and {} blocks its grants to {who}",
                    public_statements(doc).join(", "),
                    levels.describe(Switch::RestrictPublicBuckets)
                ),
            );
            hit.fix = super::rule::Fix::PublicPolicy;
            hit.policy_id = levels.deciding_policy(Switch::RestrictPublicBuckets);
            RuleOutcome::Fires(hit)
        }
        Some(true) => RuleOutcome::Unknown(
            "the caller's account (RestrictPublicBuckets applies only to other accounts)"
                .to_owned(),
        ),
        Some(false) => RuleOutcome::Clear,
        None => {
            RuleOutcome::Unknown("Block Public Access settings of the bucket or account".to_owned())
        }
    }
}

/// `IgnorePublicAcls` on a bucket whose ACL grants the needed permission to `AllUsers` or
/// `AuthenticatedUsers`: the grant is ignored. Read when the bucket policy side lacks the
/// Allow (the engine does not evaluate ACLs), so that the public ACL was the only grant.
pub fn check_acl(
    levels: &BpaLevels,
    acl: Option<&crate::snapshot::Acl>,
    action: &str,
    asker: Asker,
) -> RuleOutcome {
    if matches!(asker, Asker::SameAccount | Asker::AwsService) {
        return RuleOutcome::Clear;
    }
    let (Some(acl), Some(perm)) = (acl, bucket_acl_permission(action)) else {
        return RuleOutcome::Clear;
    };
    ignored_public_grant(levels, acl, perm, asker, "bucket ACL")
}

/// `IgnorePublicAcls` against one ACL (`whose`: "bucket ACL", "object's ACL") that would grant
/// `perm`: a public grant of it is ignored when the setting is on (`block_public_access`),
/// counts when it is off, and leaves the answer unknown when the setting is not known. Same-
/// account and AWS service callers never needed the public grant.
pub fn ignored_public_grant(
    levels: &BpaLevels,
    acl: &crate::snapshot::Acl,
    perm: &str,
    asker: Asker,
    whose: &str,
) -> RuleOutcome {
    if matches!(asker, Asker::SameAccount | Asker::AwsService) {
        return RuleOutcome::Clear;
    }
    if !acl_public_grant(acl, perm, asker != Asker::Anonymous) {
        return RuleOutcome::Clear;
    }
    match levels.get(Switch::IgnorePublicAcls) {
        Some(true) => {
            let mut hit = RuleHit::setting(
                RootCause::BlockPublicAccess,
                format!(
                    "the {whose} grants {perm} to the public, and {} ignores that grant",
                    levels.describe(Switch::IgnorePublicAcls)
                ),
            );
            hit.fix = super::rule::Fix::PublicAcl;
            hit.policy_id = levels.deciding_policy(Switch::IgnorePublicAcls);
            RuleOutcome::Fires(hit)
        }
        Some(false) => RuleOutcome::Clear,
        None => {
            RuleOutcome::Unknown("Block Public Access settings of the bucket or account".to_owned())
        }
    }
}

/// The four BPA switches, already combined across bucket and account level (OR: the most
/// restrictive wins). `None` for a switch means the snapshot does not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BpaSettings {
    pub block_public_acls: Option<bool>,
    pub ignore_public_acls: Option<bool>,
    pub block_public_policy: Option<bool>,
    pub restrict_public_buckets: Option<bool>,
}

impl BpaSettings {
    /// Reads `get-public-access-block` output (`{"PublicAccessBlockConfiguration": {...}}`) or
    /// the bare configuration object.
    pub fn from_json(v: &Value) -> BpaSettings {
        let c = v.get("PublicAccessBlockConfiguration").unwrap_or(v);
        let b = |k: &str| c.get(k).and_then(Value::as_bool);
        BpaSettings {
            block_public_acls: b("BlockPublicAcls"),
            ignore_public_acls: b("IgnorePublicAcls"),
            block_public_policy: b("BlockPublicPolicy"),
            restrict_public_buckets: b("RestrictPublicBuckets"),
        }
    }

    /// The most restrictive of two levels: a switch on at either level is on; off only when
    /// both say off; unknown otherwise.
    pub fn combine(self, other: BpaSettings) -> BpaSettings {
        fn or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
            match (a, b) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            }
        }
        BpaSettings {
            block_public_acls: or(self.block_public_acls, other.block_public_acls),
            ignore_public_acls: or(self.ignore_public_acls, other.ignore_public_acls),
            block_public_policy: or(self.block_public_policy, other.block_public_policy),
            restrict_public_buckets: or(
                self.restrict_public_buckets,
                other.restrict_public_buckets,
            ),
        }
    }
}

/// Where a switch is set: S3 applies "the most restrictive combination of the access point,
/// bucket, and account settings", so a finding names the level(s) where the switch is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Bucket,
    Account,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Bucket => "bucket",
            Level::Account => "account",
        }
    }
}

/// The settings of each level, kept apart so that a finding can say which level blocks.
/// `BpaSettings::default()` (every switch `None`) for a level the snapshot lacks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BpaLevels {
    pub bucket: BpaSettings,
    pub account: BpaSettings,
    /// The organization S3 policy that sets the account level (it overrides the account's
    /// own setting: [`crate::snapshot::OrgS3Bpa`]), when one does.
    pub account_from_org_policy: Option<String>,
}

/// One of the four switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    BlockPublicAcls,
    IgnorePublicAcls,
    BlockPublicPolicy,
    RestrictPublicBuckets,
}

impl Switch {
    pub fn name(self) -> &'static str {
        match self {
            Switch::BlockPublicAcls => "BlockPublicAcls",
            Switch::IgnorePublicAcls => "IgnorePublicAcls",
            Switch::BlockPublicPolicy => "BlockPublicPolicy",
            Switch::RestrictPublicBuckets => "RestrictPublicBuckets",
        }
    }

    fn of(self, s: &BpaSettings) -> Option<bool> {
        match self {
            Switch::BlockPublicAcls => s.block_public_acls,
            Switch::IgnorePublicAcls => s.ignore_public_acls,
            Switch::BlockPublicPolicy => s.block_public_policy,
            Switch::RestrictPublicBuckets => s.restrict_public_buckets,
        }
    }
}

impl BpaLevels {
    /// What S3 applies: the most restrictive of both levels.
    pub fn effective(&self) -> BpaSettings {
        self.bucket.combine(self.account)
    }

    /// The switch as S3 applies it (`None` when neither level says on and one is unknown).
    pub fn get(&self, s: Switch) -> Option<bool> {
        s.of(&self.effective())
    }

    /// The levels where the switch is on, bucket first.
    pub fn levels_on(&self, s: Switch) -> Vec<Level> {
        [
            (Level::Bucket, &self.bucket),
            (Level::Account, &self.account),
        ]
        .into_iter()
        .filter(|(_, v)| s.of(v) == Some(true))
        .map(|(l, _)| l)
        .collect()
    }

    /// The organization S3 policy that turns the switch on at the account level, if one does:
    /// the finding's `policy_id` (FINDINGS.md: "the deciding policy").
    pub fn deciding_policy(&self, s: Switch) -> Option<String> {
        self.account_from_org_policy
            .clone()
            .filter(|_| self.levels_on(s).contains(&Level::Account))
    }

    /// "BlockPublicAcls (bucket level)", "... (bucket and account level)"; an account level
    /// set by an organization S3 policy names it ("... (account level, enforced by
    /// organization S3 policy p-xxx, which sets all Block Public Access settings)").
    pub fn describe(&self, s: Switch) -> String {
        let on = self.levels_on(s);
        let levels: Vec<&str> = on.iter().map(|l| l.as_str()).collect();
        if levels.is_empty() {
            return s.name().to_owned();
        }
        match &self.account_from_org_policy {
            Some(p) if on.contains(&Level::Account) => format!(
                "{} ({} level, enforced by organization S3 policy {p}, which sets all Block Public Access settings)",
                s.name(),
                levels.join(" and ")
            ),
            _ => format!("{} ({} level)", s.name(), levels.join(" and ")),
        }
    }
}

/// The `x-amz-acl` canned ACLs that grant to `AllUsers` or `AuthenticatedUsers`
/// (acl-overview.html, "Canned ACL": `public-read`, `public-read-write` give AllUsers access,
/// `authenticated-read` AuthenticatedUsers); `aws-exec-read` and `log-delivery-write` grant to
/// EC2 and the LogDelivery group, which are not public.
pub const PUBLIC_CANNED_ACLS: [&str; 3] =
    ["public-read", "public-read-write", "authenticated-read"];

/// The grant headers (`x-amz-grant-read`, ...) a request may carry.
pub const GRANT_HEADERS: [&str; 5] = [
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
];

/// The ACL a write request carries, as CloudTrail logs it: the canned ACL, the grant headers
/// (`(name, value)`, value like `uri="http://acs.amazonaws.com/groups/global/AllUsers"`), and
/// the ACL body (`AccessControlPolicy` of PutBucketAcl/PutObjectAcl).
#[derive(Debug, Clone, Copy, Default)]
pub struct AclInRequest<'a> {
    pub canned: Option<&'a str>,
    pub grant_headers: &'a [(&'a str, &'a str)],
    pub body: Option<&'a Value>,
}

/// Whether a grantee text names a public group (`.../groups/global/AllUsers`,
/// `.../AuthenticatedUsers`).
fn names_public_group(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.contains("groups/global/allusers") || l.contains("groups/global/authenticatedusers")
}

/// Whether an ACL body (`{"AccessControlList": {"Grant": [...]}}` as CloudTrail logs it, or
/// `{"Grants": [...]}` as get-bucket-acl prints it) grants anything to a public group: "Amazon
/// S3 considers a bucket or object ACL public if it grants any permissions to members of the
/// predefined `AllUsers` or `AuthenticatedUsers` groups."
pub fn acl_body_is_public(body: &Value) -> bool {
    let list = body
        .get("AccessControlList")
        .and_then(|l| l.get("Grant"))
        .or_else(|| body.get("Grants"))
        .or_else(|| body.get("Grant"));
    let grants: Vec<&Value> = match list {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        _ => Vec::new(),
    };
    grants.iter().any(|g| {
        g.get("Grantee")
            .and_then(|x| x.get("URI"))
            .and_then(Value::as_str)
            .is_some_and(names_public_group)
    })
}

impl AclInRequest<'_> {
    /// Whether the request carries a public ACL, and which part says so.
    pub fn public_part(&self) -> Option<String> {
        if let Some(c) = self.canned.filter(|c| {
            PUBLIC_CANNED_ACLS
                .iter()
                .any(|p| p.eq_ignore_ascii_case(c.trim()))
        }) {
            return Some(format!("x-amz-acl: {c}"));
        }
        if let Some((h, _)) = self
            .grant_headers
            .iter()
            .find(|(_, v)| names_public_group(v))
        {
            return Some(format!("{h} to a public group"));
        }
        if self.body.is_some_and(acl_body_is_public) {
            return Some("an ACL granting a public group".to_owned());
        }
        None
    }
}

/// `BlockPublicAcls` on a write carrying a public ACL: S3 rejects the call. Read when every
/// policy layer allows (the rule then explains the denial).
pub fn check_acl_write(levels: &BpaLevels, event_name: &str, acl: &AclInRequest) -> RuleOutcome {
    if !writes_acl(event_name) {
        return RuleOutcome::Clear;
    }
    let Some(part) = acl.public_part() else {
        return RuleOutcome::Clear;
    };
    match levels.get(Switch::BlockPublicAcls) {
        Some(true) => {
            let mut hit = RuleHit::setting(
                RootCause::BlockPublicAccess,
                format!(
                    "the request carries a public ACL ({part}) and {} rejects {event_name} calls that include one",
                    levels.describe(Switch::BlockPublicAcls)
                ),
            );
            hit.fix = super::rule::Fix::BlockedAclWrite;
            hit.policy_id = levels.deciding_policy(Switch::BlockPublicAcls);
            RuleOutcome::Fires(hit)
        }
        Some(false) => RuleOutcome::Clear,
        None => RuleOutcome::Unknown(
            "Block Public Access settings of the bucket or account (BlockPublicAcls)".to_owned(),
        ),
    }
}

/// The policy a PutBucketPolicy record carries in `requestParameters.bucketPolicy`: a JSON
/// object, or the same as a JSON string.
pub fn requested_policy(bucket_policy: &Value) -> Option<Value> {
    match bucket_policy {
        Value::Object(_) => Some(bucket_policy.clone()),
        Value::String(s) => serde_json::from_str::<Value>(s)
            .ok()
            .filter(Value::is_object),
        _ => None,
    }
}

/// `BlockPublicPolicy` on a PutBucketPolicy whose policy is public: S3 rejects the call.
/// `policy` is the requested document (see [`requested_policy`]); `None` when the record does
/// not carry it readably.
pub fn check_policy_write(
    levels: &BpaLevels,
    event_name: &str,
    policy: Option<&Value>,
) -> RuleOutcome {
    if event_name != "PutBucketPolicy" {
        return RuleOutcome::Clear;
    }
    let on = levels.get(Switch::BlockPublicPolicy);
    let Some(doc) = policy else {
        return match on {
            Some(true) => RuleOutcome::Unknown(
                "the requested bucket policy (requestParameters.bucketPolicy is missing or not JSON), which BlockPublicPolicy rejects if it is public".to_owned(),
            ),
            _ => RuleOutcome::Clear,
        };
    };
    if !policy_is_public(doc) {
        return RuleOutcome::Clear;
    }
    match on {
        Some(true) => {
            let mut hit = RuleHit::setting(
                RootCause::BlockPublicAccess,
                format!(
                    "the requested bucket policy is public (statement {}) and {} rejects PutBucketPolicy with a public policy",
                    public_statements(doc).join(", "),
                    levels.describe(Switch::BlockPublicPolicy)
                ),
            );
            hit.fix = super::rule::Fix::BlockedPolicyWrite;
            hit.policy_id = levels.deciding_policy(Switch::BlockPublicPolicy);
            RuleOutcome::Fires(hit)
        }
        Some(false) => RuleOutcome::Clear,
        None => RuleOutcome::Unknown(
            "Block Public Access settings of the bucket or account (BlockPublicPolicy)".to_owned(),
        ),
    }
}

/// Values of a string-or-array JSON field.
fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The statements of a policy document (object or array form).
pub fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        _ => Vec::new(),
    }
}

const BAD_PREFIXES: [&str; 4] = ["s3:get", "s3:list", "s3:put", "s3:delete"];
const BAD_EXACT: [&str; 2] = ["s3:abortmultipartupload", "s3:restoreobject"];

/// Whether an action pattern of a statement can match a bad action.
fn pattern_is_bad(pattern: &str) -> bool {
    let p = pattern.to_ascii_lowercase();
    if p == "*" || p == "s3:*" {
        return true;
    }
    if !p.starts_with("s3:") {
        return false;
    }
    // A wildcard pattern is bad when it can match any bad action; approximate by checking the
    // literal prefix before the first wildcard against the bad families.
    let literal: &str = p.split(['*', '?']).next().unwrap_or("");
    let wild = p.contains('*') || p.contains('?');
    BAD_PREFIXES
        .iter()
        .any(|b| p.starts_with(b) || (wild && b.starts_with(literal)))
        || BAD_EXACT
            .iter()
            .any(|b| p == *b || (wild && b.starts_with(literal)))
}

fn grants_bad_action(stmt: &Value) -> bool {
    if stmt.get("NotAction").is_some() {
        // NotAction grants everything but the listed actions: treat as bad unless it excludes
        // every family, which no real policy does.
        return true;
    }
    strings(stmt.get("Action")).into_iter().any(pattern_is_bad)
}

/// A value is fixed when it holds no wildcard and no policy variable ("values that don't
/// contain a wildcard or an AWS Identity and Access Management Policy Variable").
fn is_fixed(v: &str) -> bool {
    !v.contains('*') && !v.contains('?') && !v.contains("${")
}

/// Whether the `Principal` names only fixed AWS principals, users, roles or service
/// principals. The page's first public example is `"Principal": {"Federated":
/// "graph.facebook.com"}`: a federated identity provider admits anyone it authenticates, so it
/// never pins a statement. `CanonicalUser` names one account (S3's own form of an account
/// grant) and counts as an AWS principal.
fn principal_is_fixed(stmt: &Value) -> bool {
    if stmt.get("NotPrincipal").is_some() {
        return false;
    }
    match stmt.get("Principal") {
        Some(Value::Object(m)) => {
            let mut any = false;
            for (kind, v) in m {
                if !matches!(kind.as_str(), "AWS" | "Service" | "CanonicalUser") {
                    return false;
                }
                for s in strings(Some(v)) {
                    if !is_fixed(s) {
                        return false;
                    }
                    any = true;
                }
            }
            any
        }
        // `"Principal": "*"` (the only string form AWS accepts) is everyone.
        _ => false,
    }
}

/// The condition keys whose fixed values make a statement non-public (lower-cased), besides
/// `aws:SourceIp` (CIDR rules) and `s3:DataAccessPointArn` (account rule).
const FIXING_KEYS: [&str; 14] = [
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalservicename",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "aws:sourceorgid",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "aws:userid",
    "s3:dataaccesspointaccount",
];

/// Which policy is classified: the page's rules differ for `s3:DataAccessPointArn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    Bucket,
    AccessPoint,
}

/// An operator, split into what decides whether it pins a key to fixed values.
struct Operator {
    /// `StringEquals`, `StringLike`, ... without qualifier or suffix, lower-cased.
    base: String,
    /// `...IfExists`: true when the key is absent.
    if_exists: bool,
    /// `ForAllValues:`: true when the key is absent.
    for_all: bool,
}

fn operator(op: &str) -> Operator {
    let l = op.to_ascii_lowercase();
    let (for_all, rest) = match l.split_once(':') {
        Some((q, r)) => (q == "forallvalues", r.to_owned()),
        None => (false, l.clone()),
    };
    let (if_exists, base) = match rest.strip_suffix("ifexists") {
        Some(b) => (true, b.to_owned()),
        None => (false, rest),
    };
    Operator {
        base,
        if_exists,
        for_all,
    }
}

/// Whether one CIDR (or bare address) of `aws:SourceIp` is narrow enough: "Bucket policies
/// that grant access conditioned on the `aws:SourceIp` condition key with very broad IP ranges
/// (for example, 0.0.0.0/1) are evaluated as "public." This includes values broader than /8
/// for IPv4 and /32 for IPv6 (excluding RFC1918 private ranges)."
pub fn cidr_is_narrow(cidr: &str) -> bool {
    let (addr, len) = match cidr.trim().split_once('/') {
        Some((a, l)) => match l.parse::<u8>() {
            Ok(l) => (a, Some(l)),
            Err(_) => return false,
        },
        None => (cidr.trim(), None),
    };
    let Ok(ip) = addr.parse::<IpAddr>() else {
        return false;
    };
    match ip {
        // Broader than /8 is public "excluding RFC1918 private ranges": no range broader than
        // /8 lies inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, so /8 and narrower
        // (10.0.0.0/8 included) is exactly what stays non-public.
        IpAddr::V4(_) => (8..=32).contains(&len.unwrap_or(32)),
        IpAddr::V6(_) => (32..=128).contains(&len.unwrap_or(128)),
    }
}

/// Whether an `s3:DataAccessPointArn` value is fixed enough: in a bucket policy the access
/// point name may hold a wildcard "as long as the account id is fixed"; in an access point
/// policy "An access point policy that grants access to a set of access points using
/// `s3:DataAccessPointArn` is considered public".
fn access_point_arn_is_fixed(v: &str, kind: PolicyKind) -> bool {
    if is_fixed(v) {
        return true;
    }
    if kind == PolicyKind::AccessPoint || v.contains("${") {
        return false;
    }
    // arn:partition:s3:region:account:accesspoint/name
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    match parts.as_slice() {
        [arn, partition, service, _region, account, resource] => {
            *arn == "arn"
                && is_fixed(partition)
                && service.eq_ignore_ascii_case("s3")
                && !account.is_empty()
                && is_fixed(account)
                && resource.starts_with("accesspoint/")
        }
        _ => false,
    }
}

/// Whether one condition (operator, key, values) admits only requests carrying one of the
/// key's fixed values (the module doc lists the operator readings).
fn condition_pins(op: &str, key: &str, vals: &[&str], kind: PolicyKind) -> bool {
    let o = operator(op);
    if o.if_exists || o.for_all || vals.is_empty() {
        return false;
    }
    let k = key.to_ascii_lowercase();
    if k == "aws:sourceip" {
        return o.base == "ipaddress" && vals.iter().all(|c| cidr_is_narrow(c));
    }
    let exact = matches!(
        o.base.as_str(),
        "stringequals" | "stringequalsignorecase" | "arnequals"
    );
    let like = matches!(o.base.as_str(), "stringlike" | "arnlike");
    if !(exact || like) {
        return false;
    }
    if k == "s3:dataaccesspointarn" {
        // `ArnEquals`/`StringEquals` compare literally: a `*` there is a literal character and
        // matches no real ARN, which pins the statement as well.
        return vals
            .iter()
            .all(|v| !v.contains("${") && (exact || access_point_arn_is_fixed(v, kind)));
    }
    if !FIXING_KEYS.contains(&k.as_str()) {
        return false;
    }
    // `StringEquals` compares literally (a `*` matches only itself), but a policy variable is
    // substituted: only `StringLike`/`ArnLike` read the wildcard.
    vals.iter()
        .all(|v| if like { is_fixed(v) } else { !v.contains("${") })
}

/// Whether the statement's conditions pin it to fixed values of a documented key.
fn condition_fixes(stmt: &Value, kind: PolicyKind) -> bool {
    let Some(Value::Object(ops)) = stmt.get("Condition") else {
        return false;
    };
    ops.iter().any(|(op, block)| match block {
        Value::Object(keys) => keys
            .iter()
            .any(|(key, v)| condition_pins(op, key, &strings(Some(v)), kind)),
        _ => false,
    })
}

/// Whether one Allow statement of a bucket policy makes it public.
pub fn statement_is_public(stmt: &Value) -> bool {
    statement_is_public_in(stmt, PolicyKind::Bucket)
}

/// Whether one Allow statement makes a policy of `kind` public.
pub fn statement_is_public_in(stmt: &Value, kind: PolicyKind) -> bool {
    let effect = stmt.get("Effect").and_then(Value::as_str).unwrap_or("");
    if !effect.eq_ignore_ascii_case("allow") {
        return false;
    }
    if !grants_bad_action(stmt) {
        return false;
    }
    !(principal_is_fixed(stmt) || condition_fixes(stmt, kind))
}

/// AWS's classification of a bucket policy document.
pub fn policy_is_public(doc: &Value) -> bool {
    policy_is_public_as(doc, PolicyKind::Bucket)
}

/// AWS's classification of a bucket or access point policy document.
pub fn policy_is_public_as(doc: &Value, kind: PolicyKind) -> bool {
    statements(doc)
        .into_iter()
        .any(|s| statement_is_public_in(s, kind))
}

/// The statements of a public policy that make it public, as `Sid` or `#N`.
pub fn public_statements(doc: &Value) -> Vec<String> {
    statements(doc)
        .into_iter()
        .enumerate()
        .filter(|(_, s)| statement_is_public(s))
        .map(|(i, s)| {
            s.get("Sid")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .unwrap_or_else(|| format!("#{i}"))
        })
        .collect()
}

use crate::snapshot::{ALL_USERS, AUTH_USERS};

/// The ACL permission an S3 action needs (`READ`, `WRITE`, `READ_ACP`, `WRITE_ACP`), for the
/// bucket-level actions an ACL can grant.
pub fn bucket_acl_permission(action: &str) -> Option<&'static str> {
    match action.to_ascii_lowercase().as_str() {
        "s3:listbucket" | "s3:listbucketversions" | "s3:listbucketmultipartuploads" => Some("READ"),
        "s3:putobject" | "s3:deleteobject" => Some("WRITE"),
        "s3:getbucketacl" => Some("READ_ACP"),
        "s3:putbucketacl" => Some("WRITE_ACP"),
        _ => None,
    }
}

/// Whether the bucket's ACL grants `permission` (or FULL_CONTROL) to the public groups
/// (`AllUsers`, or `AuthenticatedUsers` when the caller is authenticated).
pub fn acl_public_grant(acl: &crate::snapshot::Acl, permission: &str, authenticated: bool) -> bool {
    use crate::snapshot::Grantee;
    acl.grants.iter().any(|g| {
        let public = match &g.grantee {
            Grantee::Group(uri) => uri == ALL_USERS || (authenticated && uri == AUTH_USERS),
            _ => false,
        };
        public && (g.permission == permission || g.permission == "FULL_CONTROL")
    })
}

/// The fix for each way Block Public Access refuses (the cause's [`Fix`]); `res` is the
/// resource a grant should name ([`super::fix_input::grant_resource`]). A setting enforced by
/// an organization S3 policy (the cause's `policy_id`) can only be changed there.
pub fn remediation(f: &FixInput<'_>, res: &str) -> String {
    if let Some(p) = f.policy_id {
        return format!(
            "the account-level setting is enforced by organization S3 policy {p} (\"Organization-level policies override account-level configurations\"): if the access is intended, change the policy's public_access_block_configuration @@assign or detach it from the account's path (aws organizations update-policy --policy-id {p} ..., from the management account); the account's own put-public-access-block cannot change it"
        );
    }
    match f.fix {
        Fix::BlockedAclWrite => format!(
            "BlockPublicAcls rejects writes that carry a public ACL: send the request without the public canned ACL or grant (with Object Ownership BucketOwnerEnforced, no ACL at all) and grant read access in the bucket policy instead: {}",
            stmt_resource(f.principal, f.action, res)
        ),
        Fix::BlockedPolicyWrite => format!(
            "BlockPublicPolicy rejects a public bucket policy for {}: give every Allow statement a fixed principal or a fixed condition (aws:PrincipalOrgID, aws:SourceVpce, aws:SourceAccount, ...); if the bucket must be public, turn BlockPublicPolicy off at the level that sets it",
            f.bucket.unwrap_or("<bucket>")
        ),
        Fix::PublicAcl => format!(
            "IgnorePublicAcls ignores the public ACL grant: grant the access in the bucket policy instead: {}",
            stmt_resource(f.principal, f.action, res)
        ),
        _ if f.principal == "anonymous" => format!(
            "RestrictPublicBuckets blocks the public grant for anonymous callers; if public access to {} is intended, turn RestrictPublicBuckets off for the bucket (aws s3api put-public-access-block --bucket {} ...) and the account; otherwise the block works as intended",
            f.resource_arn,
            f.bucket.unwrap_or("<bucket>")
        ),
        _ => format!(
            "RestrictPublicBuckets blocks every cross-account grant inside a public bucket policy: make the policy non-public (drop or pin down the statements with Principal \"*\") so that this grant applies: {}; or turn RestrictPublicBuckets off for the bucket and the account",
            stmt_resource(f.principal, f.action, res)
        ),
    }
}

/// The settings of one level as the snapshot holds them: `Known(None)` (nothing configured)
/// is every switch off, as S3 reports it; unknown leaves every switch unknown.
pub fn settings_of(
    pab: &crate::policy::Known<Option<crate::snapshot::PublicAccessBlock>>,
) -> BpaSettings {
    use crate::policy::Known;
    match pab {
        Known::Known(Some(p)) => BpaSettings {
            block_public_acls: Some(p.block_public_acls),
            ignore_public_acls: Some(p.ignore_public_acls),
            block_public_policy: Some(p.block_public_policy),
            restrict_public_buckets: Some(p.restrict_public_buckets),
        },
        Known::Known(None) => BpaSettings {
            block_public_acls: Some(false),
            ignore_public_acls: Some(false),
            block_public_policy: Some(false),
            restrict_public_buckets: Some(false),
        },
        Known::Unknown(_) => BpaSettings::default(),
    }
}

/// The bucket's and its owner account's settings from the snapshot (unknown levels stay
/// unknown). An organization S3 policy on the account's path replaces the account's own
/// setting ("Organization-level policies override account-level configurations",
/// configuring-block-public-access-account.html; [`crate::snapshot::OrgS3Bpa`]).
pub fn levels_of(s: &crate::snapshot::Snapshot, bucket: &str) -> BpaLevels {
    use crate::policy::Known;
    let Known::Known(b) = s.bucket(bucket) else {
        return BpaLevels::default();
    };
    let own = match s.account(&b.account) {
        Known::Known(a) => settings_of(&a.public_access_block),
        Known::Unknown(_) => BpaSettings::default(),
    };
    let org = match &s.organization {
        Some(o) => o.s3_bpa(&b.account),
        None => Known::Known(None),
    };
    let (account, account_from_org_policy) = match org {
        Known::Known(None) => (own, None),
        Known::Known(Some(p)) => {
            let v = Some(p.all);
            let all = BpaSettings {
                block_public_acls: v,
                ignore_public_acls: v,
                block_public_policy: v,
                restrict_public_buckets: v,
            };
            (all, Some(p.policy_id))
        }
        // Which value the organization enforces is unknown, and it overrides the account's
        // own file: the account level is unknown.
        Known::Unknown(_) => (BpaSettings::default(), None),
    };
    BpaLevels {
        bucket: settings_of(&b.public_access_block),
        account,
        account_from_org_policy,
    }
}

/// `BlockPublicAcls` and `BlockPublicPolicy` on the write a record describes, for the request
/// on `bucket` (the copy source of a CopyObject is not the bucket written to, and is skipped).
pub fn check_writes_of_record(
    levels: &BpaLevels,
    call: &super::request::S3Call<'_>,
    bucket: &str,
) -> RuleOutcome {
    let Some(name) = call.api else {
        return RuleOutcome::Clear;
    };
    let params = call.logged.request_parameters;
    let target = params
        .and_then(|p| p.get("bucketName"))
        .and_then(Value::as_str);
    if target.is_some_and(|t| t != bucket) {
        return RuleOutcome::Clear;
    }
    if name == "PutBucketPolicy" {
        let doc = params
            .and_then(|p| p.get("bucketPolicy"))
            .and_then(requested_policy);
        return check_policy_write(levels, name, doc.as_ref());
    }
    let grants: Vec<(&str, &str)> = GRANT_HEADERS
        .iter()
        .filter_map(|h| call.logged.header(h).map(|v| (*h, v)))
        .collect();
    let acl = AclInRequest {
        canned: call.logged.header("x-amz-acl"),
        grant_headers: &grants,
        body: params.and_then(|p| p.get("AccessControlPolicy")),
    };
    check_acl_write(levels, name, &acl)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// "The meaning of public": Principal `*` with s3:GetObject and no condition is public.
    #[test]
    fn wildcard_principal_with_get_is_public() {
        let d = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}});
        assert!(policy_is_public(&d));
        assert_eq!(public_statements(&d), vec!["#0".to_owned()]);
    }

    /// A fixed principal (account, role ARN) is not public.
    #[test]
    fn fixed_principal_is_not_public() {
        let d = json!({"Statement": [{"Sid": "X", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222233334444:root"}, "Action": "s3:*", "Resource": "*"}]});
        assert!(!policy_is_public(&d));
    }

    /// aws:SourceIp CIDR limits make it non-public; 0.0.0.0/0 does not.
    #[test]
    fn source_ip_cidr_is_not_public_unless_everything() {
        let mut d = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]});
        assert!(!policy_is_public(&d));
        d["Statement"][0]["Condition"]["IpAddress"]["aws:SourceIp"] = json!("0.0.0.0/0");
        assert!(policy_is_public(&d));
    }

    /// Fixed aws:SourceVpce pins it; a wildcard value or an IfExists operator does not; the
    /// User Guide lists aws:PrincipalOrgID ("An AWS principal, user, role, or service principal
    /// (e.g. aws:PrincipalOrgID)"), so a fixed org id pins it too.
    #[test]
    fn fixed_condition_keys() {
        let mk = |op: &str, k: &str, v: &str| json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": {op: {k: v}}}]});
        assert!(!policy_is_public(&mk(
            "StringEquals",
            "aws:SourceVpce",
            "vpce-1"
        )));
        assert!(policy_is_public(&mk(
            "StringLike",
            "aws:SourceVpce",
            "vpce-*"
        )));
        assert!(policy_is_public(&mk(
            "StringEqualsIfExists",
            "aws:SourceVpce",
            "vpce-1"
        )));
        assert!(!policy_is_public(&mk(
            "StringEquals",
            "aws:PrincipalOrgID",
            "o-1"
        )));
        assert!(policy_is_public(&mk(
            "StringLike",
            "aws:userid",
            "AROA123:*"
        )));
    }

    /// Granting no bad action to `*` (e.g. s3:GetBucketLocation is `s3:Get*`: bad) vs a
    /// non-S3 action.
    #[test]
    fn only_bad_actions_make_it_public() {
        let d = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}]});
        assert!(!policy_is_public(&d));
        let d = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:Ge*", "Resource": "*"}]});
        assert!(policy_is_public(&d));
        let deny = json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]});
        assert!(!policy_is_public(&deny));
    }

    /// The most restrictive of bucket and account settings applies.
    #[test]
    fn settings_combine_most_restrictive() {
        let b = BpaSettings::from_json(
            &json!({"PublicAccessBlockConfiguration": {"RestrictPublicBuckets": false, "IgnorePublicAcls": false}}),
        );
        let a = BpaSettings::from_json(
            &json!({"PublicAccessBlockConfiguration": {"RestrictPublicBuckets": true}}),
        );
        let c = b.combine(a);
        assert_eq!(c.restrict_public_buckets, Some(true));
        assert_eq!(c.ignore_public_acls, None);
    }

    /// "Organization-level policies override account-level configurations"
    /// (configuring-block-public-access-account.html): RestrictPublicBuckets enforced by an
    /// organization S3 policy (`@@assign: all`) is named as the deciding setting.
    #[test]
    fn an_organization_s3_policy_is_named_as_the_setting() {
        let levels = BpaLevels {
            bucket: BpaSettings {
                restrict_public_buckets: Some(false),
                ..BpaSettings::default()
            },
            account: BpaSettings {
                restrict_public_buckets: Some(true),
                ..BpaSettings::default()
            },
            account_from_org_policy: Some("p-s3bpa".into()),
        };
        let d = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}});
        match check_policy(&levels, Some(&d), Asker::Anonymous) {
            RuleOutcome::Fires(h) => assert!(
                h.detail.contains("organization S3 policy p-s3bpa"),
                "{}",
                h.detail
            ),
            o => panic!("{o:?}"),
        }
    }

    fn on() -> BpaLevels {
        BpaLevels {
            bucket: BpaSettings {
                restrict_public_buckets: Some(true),
                ignore_public_acls: Some(true),
                ..BpaSettings::default()
            },
            account: BpaSettings::default(),
            account_from_org_policy: None,
        }
    }

    /// RestrictPublicBuckets: a public policy's grant to an anonymous caller is blocked.
    #[test]
    fn restrict_public_buckets_blocks_anonymous_grant_in_public_policy() {
        let d = json!({"Statement": [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]});
        let o = check_policy(&on(), Some(&d), Asker::Anonymous);
        assert!(
            matches!(o, RuleOutcome::Fires(ref h) if h.detail.contains("PublicRead")),
            "{o:?}"
        );
        // The owner account's own users are not affected.
        assert_eq!(
            check_policy(&on(), Some(&d), Asker::SameAccount),
            RuleOutcome::Clear
        );
    }

    /// "including non-public delegation to specific accounts": a cross-account grant inside a
    /// public policy is blocked too; a non-public policy is not affected.
    #[test]
    fn restrict_public_buckets_blocks_cross_account_only_inside_public_policy() {
        let public = json!({"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": "333333333333"}, "Action": "s3:PutObject", "Resource": "*"}]});
        assert!(matches!(
            check_policy(&on(), Some(&public), Asker::CrossAccount),
            RuleOutcome::Fires(_)
        ));
        let private = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "333333333333"}, "Action": "s3:PutObject", "Resource": "*"}]});
        assert_eq!(
            check_policy(&on(), Some(&private), Asker::CrossAccount),
            RuleOutcome::Clear
        );
    }

    /// IgnorePublicAcls ignores a public ACL grant.
    #[test]
    fn ignore_public_acls_neutralizes_public_acl() {
        let acl = public_read();
        let o = check_acl(&on(), Some(&acl), "s3:ListBucket", Asker::Anonymous);
        assert!(matches!(o, RuleOutcome::Fires(_)));
        let off = BpaLevels {
            bucket: BpaSettings {
                ignore_public_acls: Some(false),
                ..BpaSettings::default()
            },
            account: BpaSettings {
                ignore_public_acls: Some(false),
                ..BpaSettings::default()
            },
            account_from_org_policy: None,
        };
        assert_eq!(
            check_acl(&off, Some(&acl), "s3:ListBucket", Asker::Anonymous),
            RuleOutcome::Clear
        );
    }

    /// A bucket ACL granting READ to AllUsers (what `public-read` sets).
    fn public_read() -> crate::snapshot::Acl {
        crate::snapshot::Acl {
            owner_id: None,
            grants: vec![crate::snapshot::AclGrant {
                grantee: crate::snapshot::Grantee::Group(ALL_USERS.to_owned()),
                permission: "READ".to_owned(),
            }],
        }
    }

    #[test]
    fn acl_grants_to_all_users() {
        let acl = public_read();
        assert!(acl_public_grant(&acl, "READ", false));
        assert!(!acl_public_grant(&acl, "WRITE", true));
    }

    // ---- Scenario tests: "The meaning of public", S3 User Guide,
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html

    /// `Principal: "*"`, `s3:GetObject`, one condition `{op: {key: value}}`.
    fn star_with(op: &str, key: &str, value: Value) -> Value {
        json!({"Statement": [{"Sid": "S", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*", "Condition": {op: {key: value}}}]})
    }

    /// "To be considered non-public, a bucket policy must grant access only to fixed values
    /// (values that don't contain a wildcard or an AWS Identity and Access Management Policy
    /// Variable) for one or more of the following: [...] aws:SourceArn, aws:SourceVpc,
    /// aws:SourceVpce, aws:SourceOwner, aws:SourceAccount,
    /// s3:x-amz-server-side-encryption-aws-kms-key-id, aws:userid, outside the pattern
    /// "AROLEID:*", s3:DataAccessPointArn [...] s3:DataAccessPointAccount": one scenario per
    /// key, fixed (non-public), wildcard (public) and policy variable (public).
    #[test]
    fn scenario_each_documented_key_with_a_fixed_value_is_non_public() {
        let keys = [
            ("aws:PrincipalOrgID", "o-a1b2c3d4e5"),
            (
                "aws:SourceArn",
                "arn:aws:cloudtrail:us-east-1:111122223333:trail/t",
            ),
            ("aws:SourceVpc", "vpc-91237329"),
            ("aws:SourceVpce", "vpce-1a2b3c4d"),
            ("aws:SourceOwner", "111122223333"),
            ("aws:SourceAccount", "111122223333"),
            (
                "s3:x-amz-server-side-encryption-aws-kms-key-id",
                "arn:aws:kms:us-east-1:111122223333:key/k",
            ),
            ("aws:userid", "AIDAEXAMPLEUSERID"),
            (
                "s3:DataAccessPointArn",
                "arn:aws:s3:us-west-2:123456789012:accesspoint/ap",
            ),
            ("s3:DataAccessPointAccount", "123456789012"),
        ];
        for (key, fixed) in keys {
            for op in ["StringEquals", "StringLike", "ForAnyValue:StringEquals"] {
                assert!(
                    !policy_is_public(&star_with(op, key, json!(fixed))),
                    "{op} {key} {fixed} must be non-public"
                );
            }
            assert!(
                !policy_is_public(&star_with("StringEquals", key, json!([fixed, fixed]))),
                "{key}: a set of fixed values"
            );
            let wild = format!("{}*", &fixed[..fixed.len() - 2]);
            if key != "s3:DataAccessPointArn" {
                assert!(
                    policy_is_public(&star_with("StringLike", key, json!(wild))),
                    "StringLike {key} {wild} must be public"
                );
            }
            assert!(
                policy_is_public(&star_with("StringEquals", key, json!("${aws:username}"))),
                "{key} with a policy variable must be public"
            );
        }
        // A key the page does not list (aws:Referer) pins nothing.
        assert!(policy_is_public(&star_with(
            "StringEquals",
            "aws:Referer",
            json!("https://example.com/")
        )));
    }

    /// The page's own examples: `StringLike aws:SourceVpc vpc-*` is public, "You can make
    /// these policies non-public by including any of the condition keys listed previously,
    /// using a fixed value", e.g. `StringEquals aws:SourceVpc vpc-91237329`; and `"Principal":
    /// {"Federated": "graph.facebook.com"}` is public.
    #[test]
    fn scenario_the_pages_examples() {
        assert!(policy_is_public(
            &json!({"Statement": {"Principal": {"Federated": "graph.facebook.com"},
            "Resource": "*", "Action": "s3:PutObject", "Effect": "Allow"}})
        ));
        assert!(policy_is_public(&json!({"Statement": {"Principal": "*",
            "Resource": "*", "Action": "s3:PutObject", "Effect": "Allow"}})));
        assert!(policy_is_public(&star_with(
            "StringLike",
            "aws:SourceVpc",
            json!("vpc-*")
        )));
        assert!(!policy_is_public(&star_with(
            "StringEquals",
            "aws:SourceVpc",
            json!("vpc-91237329")
        )));
    }

    /// "aws:userid, outside the pattern "AROLEID:*"": any session of one role is not fixed.
    #[test]
    fn scenario_userid_role_pattern_is_public() {
        assert!(policy_is_public(&star_with(
            "StringLike",
            "aws:userid",
            json!("AROAEXAMPLEID:*")
        )));
        assert!(!policy_is_public(&star_with(
            "StringLike",
            "aws:userid",
            json!("AROAEXAMPLEID:alice")
        )));
    }

    /// "Bucket policies that grant access conditioned on the aws:SourceIp condition key with
    /// very broad IP ranges (for example, 0.0.0.0/1) are evaluated as "public." This includes
    /// values broader than /8 for IPv4 and /32 for IPv6 (excluding RFC1918 private ranges)."
    #[test]
    fn scenario_source_ip_ranges() {
        let ip = |v: Value| star_with("IpAddress", "aws:SourceIp", v);
        assert!(!policy_is_public(&ip(json!("203.0.113.0/24"))));
        assert!(!policy_is_public(&ip(json!("203.0.113.7"))));
        assert!(!policy_is_public(&ip(json!("10.0.0.0/8"))));
        assert!(!policy_is_public(&ip(json!("2001:db8::/32"))));
        assert!(!policy_is_public(&ip(json!([
            "192.168.0.0/16",
            "198.51.100.0/24"
        ]))));
        assert!(policy_is_public(&ip(json!("0.0.0.0/1"))));
        assert!(policy_is_public(&ip(json!("0.0.0.0/0"))));
        assert!(policy_is_public(&ip(json!("8.0.0.0/7"))));
        assert!(policy_is_public(&ip(json!("2001:db8::/31"))));
        // One broad range among narrow ones makes the set broad.
        assert!(policy_is_public(&ip(json!([
            "198.51.100.0/24",
            "0.0.0.0/1"
        ]))));
        // NotIpAddress admits everyone outside the set.
        assert!(policy_is_public(&star_with(
            "NotIpAddress",
            "aws:SourceIp",
            json!("203.0.113.0/24")
        )));
        assert!(!cidr_is_narrow("not-an-ip"));
    }

    /// s3:DataAccessPointArn: "When used in a bucket policy, this value can contain a wildcard
    /// for the access point name without rendering the policy public, as long as the account id
    /// is fixed", while "An access point policy that grants access to a set of access points
    /// using s3:DataAccessPointArn is considered public".
    #[test]
    fn scenario_data_access_point_arn_bucket_vs_access_point_policy() {
        let d = star_with(
            "StringLike",
            "s3:DataAccessPointArn",
            json!("arn:aws:s3:us-west-2:123456789012:accesspoint/*"),
        );
        assert!(!policy_is_public_as(&d, PolicyKind::Bucket));
        assert!(policy_is_public_as(&d, PolicyKind::AccessPoint));
        let any_account = star_with(
            "StringLike",
            "s3:DataAccessPointArn",
            json!("arn:aws:s3:us-west-2:*:accesspoint/*"),
        );
        assert!(policy_is_public_as(&any_account, PolicyKind::Bucket));
        let fixed = star_with(
            "ArnEquals",
            "s3:DataAccessPointArn",
            json!("arn:aws:s3:us-west-2:123456789012:accesspoint/ap"),
        );
        assert!(!policy_is_public_as(&fixed, PolicyKind::AccessPoint));
    }

    /// Operators the page does not name (module doc): a condition pins a statement only when
    /// every request it admits carries one of the fixed values. IfExists and ForAllValues are
    /// true for a request without the key, negated operators admit every other value, `Null`
    /// admits any value: none grants "only to fixed values".
    #[test]
    fn scenario_operators_that_do_not_pin() {
        for op in [
            "StringEqualsIfExists",
            "ForAllValues:StringEquals",
            "StringNotEquals",
            "StringNotLike",
            "ArnNotEquals",
        ] {
            assert!(
                policy_is_public(&star_with(op, "aws:SourceVpce", json!("vpce-1a2b3c4d"))),
                "{op}"
            );
        }
        assert!(policy_is_public(&star_with(
            "Null",
            "aws:SourceVpce",
            json!("false")
        )));
        assert!(!policy_is_public(&star_with(
            "ArnLike",
            "aws:SourceArn",
            json!("arn:aws:sns:us-east-1:111122223333:t")
        )));
        assert!(!policy_is_public(&star_with(
            "StringEqualsIgnoreCase",
            "aws:SourceVpce",
            json!("VPCE-1A2B3C4D")
        )));
    }

    /// An org-wide grant (`"Principal": "*"` + `StringEquals aws:PrincipalOrgID`) is not public
    /// ("An AWS principal, user, role, or service principal (e.g. aws:PrincipalOrgID)"), so
    /// RestrictPublicBuckets, which "only applies to buckets that have public policies", never
    /// blocks an organization member's cross-account access through it.
    #[test]
    fn scenario_org_wide_grant_under_restrict_public_buckets_is_never_bpa() {
        let org = json!({"Statement": [{"Sid": "OrgRead", "Effect": "Allow", "Principal": "*",
            "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]});
        assert!(!policy_is_public(&org));
        assert_eq!(
            check_policy(&on(), Some(&org), Asker::CrossAccount),
            RuleOutcome::Clear
        );
        assert_eq!(
            check_policy(&on(), Some(&org), Asker::Anonymous),
            RuleOutcome::Clear
        );
        // With a public statement beside it, the whole policy is public and cross-account
        // access through the org statement is blocked: "including non-public delegation to
        // specific accounts".
        let mut mixed = org.clone();
        if let Some(Value::Array(a)) = mixed.get_mut("Statement") {
            a.push(json!({"Sid": "Web", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/site/*"}));
        }
        match check_policy(&on(), Some(&mixed), Asker::CrossAccount) {
            RuleOutcome::Fires(h) => {
                assert!(
                    h.detail.contains("Web")
                        && h.detail.contains("RestrictPublicBuckets (bucket level)"),
                    "{}",
                    h.detail
                )
            }
            o => panic!("{o:?}"),
        }
    }

    fn levels(bucket: BpaSettings, account: BpaSettings) -> BpaLevels {
        BpaLevels {
            bucket,
            account,
            account_from_org_policy: None,
        }
    }

    fn all(v: bool) -> BpaSettings {
        BpaSettings {
            block_public_acls: Some(v),
            ignore_public_acls: Some(v),
            block_public_policy: Some(v),
            restrict_public_buckets: Some(v),
        }
    }

    /// BlockPublicAcls: "PUT Bucket ACL and PUT Object ACL calls fail if the specified ACL is
    /// public. PUT Object calls fail if the request includes a public ACL. PUT Bucket calls
    /// fail if the request includes a public ACL."
    /// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PublicAccessBlockConfiguration.html)
    #[test]
    fn scenario_block_public_acls_rejects_writes_with_a_public_acl() {
        let account_on = levels(
            all(false),
            BpaSettings {
                block_public_acls: Some(true),
                ..all(false)
            },
        );
        for canned in ["public-read", "public-read-write", "authenticated-read"] {
            for op in ["PutObject", "PutObjectAcl", "PutBucketAcl", "CreateBucket"] {
                let acl = AclInRequest {
                    canned: Some(canned),
                    ..Default::default()
                };
                match check_acl_write(&account_on, op, &acl) {
                    RuleOutcome::Fires(h) => {
                        assert_eq!(h.root_cause, RootCause::BlockPublicAccess);
                        assert!(
                            h.detail.contains("BlockPublicAcls (account level)"),
                            "{}",
                            h.detail
                        );
                        assert_eq!(h.fix, super::super::rule::Fix::BlockedAclWrite);
                    }
                    o => panic!("{op} {canned}: {o:?}"),
                }
            }
        }
        // Not public: private, bucket-owner-full-control, aws-exec-read, log-delivery-write.
        for canned in [
            "private",
            "bucket-owner-full-control",
            "aws-exec-read",
            "log-delivery-write",
        ] {
            let acl = AclInRequest {
                canned: Some(canned),
                ..Default::default()
            };
            assert_eq!(
                check_acl_write(&account_on, "PutObject", &acl),
                RuleOutcome::Clear,
                "{canned}"
            );
        }
        // A grant header to AllUsers / AuthenticatedUsers.
        let h = [(
            "x-amz-grant-read",
            "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"",
        )];
        let acl = AclInRequest {
            grant_headers: &h,
            ..Default::default()
        };
        assert!(matches!(
            check_acl_write(&account_on, "PutObject", &acl),
            RuleOutcome::Fires(_)
        ));
        let h = [("x-amz-grant-full-control", "id=\"abc\"")];
        let acl = AclInRequest {
            grant_headers: &h,
            ..Default::default()
        };
        assert_eq!(
            check_acl_write(&account_on, "PutObject", &acl),
            RuleOutcome::Clear
        );
        // An ACL body as CloudTrail logs PutBucketAcl (one grant as an object, or a list).
        let body = json!({"AccessControlList": {"Grant": [
            {"Grantee": {"xsi:type": "CanonicalUser", "ID": "abc"}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"xsi:type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}, "Permission": "READ"}]}});
        let acl = AclInRequest {
            body: Some(&body),
            ..Default::default()
        };
        assert!(matches!(
            check_acl_write(&account_on, "PutBucketAcl", &acl),
            RuleOutcome::Fires(_)
        ));
        let private = json!({"AccessControlList": {"Grant": {"Grantee": {"xsi:type": "CanonicalUser", "ID": "abc"}, "Permission": "FULL_CONTROL"}}});
        let acl = AclInRequest {
            body: Some(&private),
            ..Default::default()
        };
        assert_eq!(
            check_acl_write(&account_on, "PutBucketAcl", &acl),
            RuleOutcome::Clear
        );
        // Off at both levels: clear; unknown at one level and off at the other: unknown.
        let acl = AclInRequest {
            canned: Some("public-read"),
            ..Default::default()
        };
        assert_eq!(
            check_acl_write(&levels(all(false), all(false)), "PutObject", &acl),
            RuleOutcome::Clear
        );
        assert!(matches!(
            check_acl_write(
                &levels(all(false), BpaSettings::default()),
                "PutObject",
                &acl
            ),
            RuleOutcome::Unknown(_)
        ));
        // A read is not a write.
        assert_eq!(
            check_acl_write(&account_on, "GetObject", &acl),
            RuleOutcome::Clear
        );
    }

    /// BlockPublicPolicy: "Setting this option to TRUE for a bucket causes Amazon S3 to reject
    /// calls to PUT Bucket policy if the specified bucket policy allows public access."
    #[test]
    fn scenario_block_public_policy_rejects_a_public_put_bucket_policy() {
        let bucket_on = levels(
            BpaSettings {
                block_public_policy: Some(true),
                ..all(false)
            },
            all(false),
        );
        let public = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Public Access", "Effect": "Allow",
            "Principal": {"AWS": "*"}, "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::example-bucket"}]});
        match check_policy_write(&bucket_on, "PutBucketPolicy", Some(&public)) {
            RuleOutcome::Fires(h) => {
                assert!(
                    h.detail.contains("BlockPublicPolicy (bucket level)")
                        && h.detail.contains("Public Access"),
                    "{}",
                    h.detail
                );
                assert_eq!(h.fix, super::super::rule::Fix::BlockedPolicyWrite);
            }
            o => panic!("{o:?}"),
        }
        // The policy as a JSON string (some CloudTrail writers) reads the same.
        let as_string = Value::String(public.to_string());
        let doc = requested_policy(&as_string);
        assert_eq!(doc.as_ref(), Some(&public));
        assert!(matches!(
            check_policy_write(&bucket_on, "PutBucketPolicy", doc.as_ref()),
            RuleOutcome::Fires(_)
        ));
        // An org-wide policy is not public: allowed.
        let org = star_with("StringEquals", "aws:PrincipalOrgID", json!("o-a1b2c3d4e5"));
        assert_eq!(
            check_policy_write(&bucket_on, "PutBucketPolicy", Some(&org)),
            RuleOutcome::Clear
        );
        // Switch off: clear; policy not logged under the switch: unknown.
        assert_eq!(
            check_policy_write(
                &levels(all(false), all(false)),
                "PutBucketPolicy",
                Some(&public)
            ),
            RuleOutcome::Clear
        );
        assert!(matches!(
            check_policy_write(&bucket_on, "PutBucketPolicy", None),
            RuleOutcome::Unknown(_)
        ));
        // On at both levels: both named.
        let both = levels(all(true), all(true));
        match check_policy_write(&both, "PutBucketPolicy", Some(&public)) {
            RuleOutcome::Fires(h) => assert!(
                h.detail.contains("(bucket and account level)"),
                "{}",
                h.detail
            ),
            o => panic!("{o:?}"),
        }
    }

    /// Readings where the page is silent (module doc): a `*` under StringEquals is literal; a
    /// wildcard org path is not fixed (as "AROLEID:*" is not); aws:SourceOrgID pins like
    /// aws:SourceAccount.
    #[test]
    fn scenario_silent_readings() {
        assert!(!policy_is_public(&star_with(
            "StringEquals",
            "aws:SourceVpce",
            json!("vpce-*")
        )));
        assert!(policy_is_public(&star_with(
            "ForAnyValue:StringLike",
            "aws:PrincipalOrgPaths",
            json!("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*")
        )));
        assert!(!policy_is_public(&star_with(
            "ForAnyValue:StringEquals",
            "aws:PrincipalOrgPaths",
            json!("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/")
        )));
        assert!(!policy_is_public(&star_with(
            "StringEquals",
            "aws:SourceOrgID",
            json!("o-a1b2c3d4e5")
        )));
    }
}
