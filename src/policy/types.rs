//! The engine's request and answer types, shared with `snapshot` and `diagnose`.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What kind of caller made the request, as far as authorization cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// An IAM user (`arn:aws:iam::A:user/path/name`).
    User,
    /// A role session (`arn:aws:sts::A:assumed-role/role/session`); `role_arn` is the role.
    AssumedRole,
    /// A federated user session from GetFederationToken (`arn:aws:sts::A:federated-user/name`);
    /// `role_arn` holds the ARN of the IAM user who federated, when known.
    FederatedUser,
    /// The account's root user.
    Root,
    /// A caller from another account whose ARN CloudTrail hides (`AWSAccount` identity).
    Account,
    /// An AWS service principal (`s3.amazonaws.com`, ...).
    Service,
    /// An unauthenticated caller.
    Anonymous,
}

/// The caller of a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// The caller's ARN as it appears in the event: user ARN, role-session ARN, federated-user
    /// ARN, root ARN; `None` when hidden (cross-account `AWSAccount`) or anonymous.
    pub arn: Option<String>,
    /// The account the caller belongs to (`None` for anonymous and services).
    pub account: Option<String>,
    /// For role sessions: the role ARN (`aws:PrincipalArn`); for federated users: the IAM
    /// user who called GetFederationToken, when known.
    pub role_arn: Option<String>,
    /// For services: the service principal name (`s3.amazonaws.com`).
    pub service: Option<String>,
}

/// The request context: condition keys and their values.
///
/// Keys are stored lower-cased (condition key names are case-insensitive). A key is in one of
/// three states, and the difference matters for a verdict that must never guess:
/// - present with values;
/// - known **absent**: AWS would not have had it either (no `vpcEndpointId` → no
///   `aws:SourceVpce`), so operators apply AWS's missing-key rules (`...IfExists`, `Null`);
/// - **unknown** (any key neither present nor marked absent): AWS had a value that the record
///   cannot give (`aws:Referer`, a tag the snapshot lacks). A condition on it cannot be
///   decided, and neither can a verdict that hinges on it;
/// - **known not to match** some wildcard patterns: the key is absent, or each of its values
///   matches none of the patterns. A caller whose account is not in the organization has no
///   `aws:PrincipalOrgID`, or another organization's: either way not ours, which decides
///   `StringEquals aws:PrincipalOrgID <ours>` (false) and `StringNotEquals` (true).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Context {
    pub values: BTreeMap<String, Vec<String>>,
    pub absent: BTreeSet<String>,
    /// Keys known to be absent or to hold only values matching none of these patterns
    /// (IAM wildcards `*` and `?`).
    pub not_matching: BTreeMap<String, Vec<String>>,
    /// Key prefixes whose every key not set otherwise is absent (`aws:principaltag/` once
    /// the principal's whole tag set is known: a tag it does not have is no key at all).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub absent_prefixes: Vec<String>,
}

/// What the engine knows of one condition key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState<'a> {
    Present(&'a [String]),
    Absent,
    /// Absent, or present with values that match none of these patterns.
    NotMatching(&'a [String]),
    Unknown,
}

impl Context {
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.set_many(key, vec![value.into()]);
    }

    pub fn set_many(&mut self, key: &str, values: Vec<String>) {
        let k = key.to_ascii_lowercase();
        self.absent.remove(&k);
        self.not_matching.remove(&k);
        self.values.insert(k, values);
    }

    pub fn mark_absent(&mut self, key: &str) {
        let k = key.to_ascii_lowercase();
        self.values.remove(&k);
        self.not_matching.remove(&k);
        self.absent.insert(k);
    }

    /// Marks `key` as known to be absent or to hold only values matching none of `patterns`
    /// (see [`KeyState::NotMatching`]).
    pub fn set_not_matching(&mut self, key: &str, patterns: Vec<String>) {
        let k = key.to_ascii_lowercase();
        self.values.remove(&k);
        self.absent.remove(&k);
        self.not_matching.insert(k, patterns);
    }

    /// Marks every key that starts with `prefix` and is not set otherwise (before or after)
    /// as absent: the family is complete (`aws:PrincipalTag/` of a principal whose tags are
    /// all known).
    pub fn mark_absent_prefix(&mut self, prefix: &str) {
        let p = prefix.to_ascii_lowercase();
        if !self.absent_prefixes.contains(&p) {
            self.absent_prefixes.push(p);
        }
    }

    /// Forgets what is known of `key`: it becomes unknown.
    pub fn forget(&mut self, key: &str) {
        let k = key.to_ascii_lowercase();
        self.values.remove(&k);
        self.absent.remove(&k);
        self.not_matching.remove(&k);
    }

    pub fn get(&self, key: &str) -> KeyState<'_> {
        // Fast path: callers usually pass keys already lower-cased by the parser.
        let lookup = |k: &str| {
            if let Some(v) = self.values.get(k) {
                KeyState::Present(v.as_slice())
            } else if self.absent.contains(k) {
                KeyState::Absent
            } else if let Some(p) = self.not_matching.get(k) {
                KeyState::NotMatching(p.as_slice())
            } else if self
                .absent_prefixes
                .iter()
                .any(|p| k.starts_with(p.as_str()))
            {
                KeyState::Absent
            } else {
                KeyState::Unknown
            }
        };
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            lookup(&key.to_ascii_lowercase())
        } else {
            lookup(key)
        }
    }
}

/// One request to authorize: `principal` performs `action` on `resource`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    pub principal: Principal,
    /// IAM action, e.g. `s3:GetObject` (service prefix lower-case).
    pub action: String,
    /// Resource ARN, e.g. `arn:aws:s3:::bucket/key`.
    pub resource: String,
    /// The account that owns the resource, when known (decides same- vs cross-account).
    pub resource_account: Option<String>,
    pub context: Context,
}

/// A layer's (or the whole request's) outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
    /// The layer does not apply to this request (no endpoint, no boundary, management account
    /// exempt from SCPs, ...).
    NotApplicable,
    /// The layer's result depends on something the snapshot or the record lacks.
    Unknown,
}

/// The policy layers of AWS's evaluation logic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    Rcp,
    Scp,
    VpcEndpoint,
    /// The S3 access point (or Multi-Region Access Point) the request went through: its
    /// policy and its network origin.
    AccessPoint,
    Resource,
    Identity,
    PermissionsBoundary,
    SessionPolicy,
}

impl Layer {
    /// FINDINGS.md's order ("Which cause is primary") among the layers that explicitly deny:
    /// "the first of rcp, scp, vpc_endpoint, access_point, resource, identity,
    /// permissions_boundary, session_policy".
    pub const EXPLICIT_ORDER: [Layer; 8] = [
        Layer::Rcp,
        Layer::Scp,
        Layer::VpcEndpoint,
        Layer::AccessPoint,
        Layer::Resource,
        Layer::Identity,
        Layer::PermissionsBoundary,
        Layer::SessionPolicy,
    ];

    /// FINDINGS.md's order among the layers that implicitly deny: rcp, scp, vpc_endpoint,
    /// access_point, missing_allow (the caller's side, then the bucket policy),
    /// permissions_boundary, session_policy.
    pub const IMPLICIT_ORDER: [Layer; 8] = [
        Layer::Rcp,
        Layer::Scp,
        Layer::VpcEndpoint,
        Layer::AccessPoint,
        Layer::Identity,
        Layer::Resource,
        Layer::PermissionsBoundary,
        Layer::SessionPolicy,
    ];

    /// Where a failing layer stands in the primary order (lowest first): every explicit deny
    /// before every implicit one, each in its order above. The one statement of the order:
    /// [`crate::policy::Evaluation::primary_blocker`] and the diagnosis's `decide` both sort
    /// by it.
    pub fn primary_rank(self, decision: Decision) -> (bool, usize) {
        let explicit = decision == Decision::ExplicitDeny;
        let order = if explicit {
            &Layer::EXPLICIT_ORDER
        } else {
            &Layer::IMPLICIT_ORDER
        };
        let at = order.iter().position(|l| *l == self);
        (!explicit, at.unwrap_or(order.len()))
    }
}

/// A statement in a policy: the policy's id and the statement's `Sid`, or `#N` (0-based index)
/// when it has none.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct StatementRef {
    pub policy_id: String,
    pub statement: String,
}

/// What the snapshot knows of one input of the evaluation. `Unknown` is not "empty": an
/// unknown layer whose result could change the verdict makes the verdict unknown.
#[derive(Debug, Clone, PartialEq)]
pub enum Known<T> {
    Known(T),
    /// The snapshot lacks it; the string says what is missing (for `reason`).
    Unknown(String),
}

/// The policies that apply to one request, gathered by `snapshot` from its folder (or built by
/// hand in tests). The engine reads only this and the [`Request`].
///
/// Policy handles are `Arc`s so that a snapshot compiled once is shared by every thread.
#[derive(Debug, Clone)]
pub struct AuthzInput {
    /// Identity-based policies of the principal: user inline + attached + groups' policies, or
    /// the role's inline + attached. Empty for anonymous callers and services.
    pub identity: Known<Vec<super::PolicyRef>>,
    /// The principal's permissions boundary; `Known(None)` when it has none.
    pub boundary: Known<Option<super::PolicyRef>>,
    /// Session policies passed at AssumeRole/GetFederationToken (inline and managed ARNs);
    /// `Known(None)` when the session has none or the principal is not a session.
    pub session: Known<Option<Vec<super::PolicyRef>>>,
    /// The bucket policy; `Known(None)` when the bucket has none.
    pub resource: Known<Option<super::PolicyRef>>,
    /// SCPs on the principal account's path, one entry per level from the root down to the
    /// account; `Known(None)` when SCPs do not apply (no organization, management account,
    /// service-linked role, anonymous or service caller).
    pub scp: Known<Option<Vec<OrgLevel>>>,
    /// RCPs on the resource account's path, same shape as `scp`.
    pub rcp: Known<Option<Vec<OrgLevel>>>,
    /// The policy of the VPC endpoint the request came through; `Known(None)` when the request
    /// did not come through an endpoint.
    pub vpc_endpoint: Known<Option<super::PolicyRef>>,
    /// The access point the request went through; `None` when it addressed the bucket itself.
    pub access_point: Option<AccessPointInput>,
}

/// A request through an S3 access point (or Multi-Region Access Point): AWS authorizes it at
/// the access point and at the bucket. "For an application or user to be able to access
/// objects through an access point, both the access point and the underlying bucket must
/// permit the request."
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html)
#[derive(Debug, Clone)]
pub struct AccessPointInput {
    /// The access point ARN (`arn:aws:s3:<region>:<acct>:accesspoint/<name>`, or
    /// `arn:aws:s3::<acct>:accesspoint/<alias>` for a Multi-Region Access Point).
    pub arn: String,
    /// The request's resource in the access point's form (`<ap arn>/object/<key>`), which
    /// identity and access point policies are matched against.
    pub resource: String,
    /// The account that owns the access point.
    pub account: Option<String>,
    /// The access point policy; `Known(None)` when it has none.
    pub policy: Known<Option<super::PolicyRef>>,
    /// The network origin check: `Known(None)` passes (Internet origin, or the request came
    /// from the access point's VPC); `Known(Some(why))` refuses; `Unknown(why)` when the
    /// snapshot cannot tell which VPC the request came from.
    pub network: Known<Option<String>>,
}

/// One level of an organization path (root, an OU, the account) and the SCPs or RCPs attached
/// to it. AWS requires an Allow at every level.
#[derive(Debug, Clone)]
pub struct OrgLevel {
    /// `r-xxxx`, `ou-xxxx-yyyyyyyy` or the account id.
    pub target_id: String,
    pub policies: Vec<super::PolicyRef>,
    /// Policies of this type whose attachment is unknown (their `targets/` file was not
    /// captured): they may be attached here, so what they would decide is only possible.
    pub maybe: Vec<super::PolicyRef>,
    /// Policies attached here whose content is unknown (each says what is missing): they may
    /// deny or allow anything.
    pub unknown: Vec<String>,
}

impl OrgLevel {
    /// A level whose policies are all known.
    pub fn known(target_id: impl Into<String>, policies: Vec<super::PolicyRef>) -> OrgLevel {
        OrgLevel {
            target_id: target_id.into(),
            policies,
            maybe: Vec::new(),
            unknown: Vec::new(),
        }
    }
}
