//! Change events: the successful management calls that change what the engine evaluates
//! (a bucket policy, a role's inline policy, an SCP attachment...), kept beside the denials so
//! that each denial can be judged against the policies in force at its time
//! ([`crate::snapshot::timeline`]).
//!
//! A record becomes a [`Change`]: who, when, and its [`Edit`]s, each the new [`State`] of one
//! [`Piece`]. A CloudTrail record never carries the previous value (../shared/notes/
//! CHANGE-EVENTS.md §1), so every edit is "this piece is now X": an attach is "attached",
//! a detach "not attached", a delete "absent". That one shape lets the timeline go forward
//! from an older snapshot and back from a newer one alike.
//!
//! Selection is by `eventSource` and `eventName`, never by `readOnly` (2018 records have
//! none); a record with an `errorCode` changed nothing and is not kept. When AWS dropped an
//! oversized request ("If a field is truncated, `omitted` is present with a value of true",
//! <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>)
//! the piece it changed becomes [`State::Unknown`] from then on; when even the piece cannot
//! be named (an IAM request without its parameters) the account's whole IAM does.

use crate::input::Origin;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An IAM identity kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    User,
    Role,
    Group,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::User => "user",
            Entity::Role => "role",
            Entity::Group => "group",
        }
    }
}

/// One thing a change sets. Names are as the record writes them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "piece", rename_all = "snake_case")]
pub enum Piece {
    BucketPolicy {
        bucket: String,
    },
    BucketPublicAccessBlock {
        bucket: String,
    },
    AccountPublicAccessBlock {
        account: String,
    },
    BucketEncryption {
        bucket: String,
    },
    BucketOwnership {
        bucket: String,
    },
    RequestPayment {
        bucket: String,
    },
    BucketAcl {
        bucket: String,
    },
    /// The user or role itself (created or deleted).
    Identity {
        account: String,
        entity: Entity,
        name: String,
    },
    InlinePolicy {
        account: String,
        entity: Entity,
        name: String,
        policy: String,
    },
    /// Whether the managed policy `arn` is attached to the identity.
    Attachment {
        account: String,
        entity: Entity,
        name: String,
        arn: String,
    },
    Boundary {
        account: String,
        entity: Entity,
        name: String,
    },
    /// Whether `user` is in `group`.
    Membership {
        account: String,
        user: String,
        group: String,
    },
    Tag {
        account: String,
        entity: Entity,
        name: String,
        key: String,
    },
    /// The document of a managed policy's default version.
    ManagedPolicy {
        arn: String,
    },
    /// The document of one version of a managed policy (for a later SetDefaultPolicyVersion).
    PolicyVersion {
        arn: String,
        version: String,
    },
    /// Everything IAM in the account (an omitted request that cannot be placed).
    AccountIam {
        account: String,
    },
    KeyPolicy {
        key: String,
    },
    OrgPolicy {
        id: String,
    },
    /// Whether the SCP/RCP `policy` is attached to `target` (root, OU, account).
    OrgAttachment {
        policy: String,
        target: String,
    },
    /// The account's place in the organization (MoveAccount).
    OrgParent {
        account: String,
    },
    /// An S3 access point's policy (`name` in `region` of `account`).
    AccessPointPolicy {
        account: String,
        region: String,
        name: String,
    },
    EndpointPolicy {
        endpoint: String,
    },
}

impl Piece {
    /// A short human description ("bucket policy of `b`").
    pub fn describe(&self) -> String {
        match self {
            Piece::BucketPolicy { bucket } => format!("bucket policy of `{bucket}`"),
            Piece::BucketPublicAccessBlock { bucket } => {
                format!("Block Public Access of bucket `{bucket}`")
            }
            Piece::AccountPublicAccessBlock { account } => {
                format!("Block Public Access of account {account}")
            }
            Piece::BucketEncryption { bucket } => format!("default encryption of `{bucket}`"),
            Piece::BucketOwnership { bucket } => format!("Object Ownership of `{bucket}`"),
            Piece::RequestPayment { bucket } => format!("Requester Pays of `{bucket}`"),
            Piece::BucketAcl { bucket } => format!("ACL of bucket `{bucket}`"),
            Piece::Identity {
                account,
                entity,
                name,
            } => format!("IAM {} `{name}` of account {account}", entity.as_str()),
            Piece::InlinePolicy {
                account,
                entity,
                name,
                policy,
            } => format!(
                "inline policy `{policy}` of {} `{name}` ({account})",
                entity.as_str()
            ),
            Piece::Attachment {
                account,
                entity,
                name,
                arn,
            } => format!(
                "attachment of {arn} to {} `{name}` ({account})",
                entity.as_str()
            ),
            Piece::Boundary {
                account,
                entity,
                name,
            } => format!(
                "permissions boundary of {} `{name}` ({account})",
                entity.as_str()
            ),
            Piece::Membership {
                account,
                user,
                group,
            } => format!("membership of user `{user}` in group `{group}` ({account})"),
            Piece::Tag {
                account,
                entity,
                name,
                key,
            } => format!("tag `{key}` of {} `{name}` ({account})", entity.as_str()),
            Piece::ManagedPolicy { arn } => format!("default version of {arn}"),
            Piece::PolicyVersion { arn, version } => format!("version {version} of {arn}"),
            Piece::AccountIam { account } => format!("IAM of account {account}"),
            Piece::KeyPolicy { key } => format!("key policy of {key}"),
            Piece::OrgPolicy { id } => format!("organization policy {id}"),
            Piece::OrgAttachment { policy, target } => {
                format!("attachment of {policy} to {target}")
            }
            Piece::OrgParent { account } => format!("organization parent of {account}"),
            Piece::EndpointPolicy { endpoint } => format!("endpoint policy of {endpoint}"),
            Piece::AccessPointPolicy {
                account,
                region,
                name,
            } => format!("policy of access point `{name}` ({account}, {region})"),
        }
    }
}

/// The state a change gives its piece.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "value", rename_all = "snake_case")]
pub enum State {
    /// Deleted, detached, removed, not configured.
    Absent,
    /// Attached, a member, created (JSON of what the record says of it, may be `{}`).
    Present(String),
    /// A document or configuration, as JSON text (a policy may be URL-encoded text too).
    Json(String),
    /// A plain value: a boundary ARN, a tag value, a payer, a canned ACL, a parent id.
    Text(String),
    /// The default version is now this version (SetDefaultPolicyVersion).
    Version(String),
    /// The record does not say (an omitted request): why.
    Unknown(String),
}

impl State {
    /// A short human description, for explain ("absent", the document...).
    pub fn describe(&self) -> String {
        match self {
            State::Absent => "absent".into(),
            State::Present(_) => "present".into(),
            State::Json(j) => j.clone(),
            State::Text(t) => t.clone(),
            State::Version(v) => format!("version {v}"),
            State::Unknown(w) => format!("unknown ({w})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    pub piece: Piece,
    pub state: State,
}

/// One successful change record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub event_id: String,
    /// `eventTime` as recorded (RFC 3339, seconds).
    pub event_time: String,
    pub event_source: String,
    pub event_name: String,
    /// `userIdentity.arn` of who made it.
    pub actor: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub edits: Vec<Edit>,
    pub origin: Origin,
}

impl Change {
    /// "PutBucketPolicy by arn:… at 2026-…Z (event id)", for reasons and reports.
    pub fn cite(&self) -> String {
        format!(
            "{} by {} at {} (event {})",
            self.event_name,
            self.actor.as_deref().unwrap_or("an unknown caller"),
            self.event_time,
            self.event_id
        )
    }
}

/// `(eventSource, eventName)` pairs kept as change events.
pub const CHANGE_EVENTS: &[(&str, &[&str])] = &[
    (
        "s3.amazonaws.com",
        &[
            "PutBucketPolicy",
            "DeleteBucketPolicy",
            "PutBucketPublicAccessBlock",
            "DeleteBucketPublicAccessBlock",
            "PutPublicAccessBlock",
            "DeletePublicAccessBlock",
            "PutAccountPublicAccessBlock",
            "DeleteAccountPublicAccessBlock",
            "PutBucketEncryption",
            "DeleteBucketEncryption",
            "PutBucketOwnershipControls",
            "DeleteBucketOwnershipControls",
            "PutBucketRequestPayment",
            "PutBucketAcl",
            "PutAccessPointPolicy",
            "DeleteAccessPointPolicy",
        ],
    ),
    (
        "iam.amazonaws.com",
        &[
            "PutUserPolicy",
            "PutRolePolicy",
            "PutGroupPolicy",
            "DeleteUserPolicy",
            "DeleteRolePolicy",
            "DeleteGroupPolicy",
            "AttachUserPolicy",
            "AttachRolePolicy",
            "AttachGroupPolicy",
            "DetachUserPolicy",
            "DetachRolePolicy",
            "DetachGroupPolicy",
            "CreatePolicy",
            "CreatePolicyVersion",
            "SetDefaultPolicyVersion",
            "DeletePolicyVersion",
            "PutUserPermissionsBoundary",
            "PutRolePermissionsBoundary",
            "DeleteUserPermissionsBoundary",
            "DeleteRolePermissionsBoundary",
            "AddUserToGroup",
            "RemoveUserFromGroup",
            "CreateRole",
            "DeleteRole",
            "CreateUser",
            "DeleteUser",
            "TagRole",
            "UntagRole",
            "TagUser",
            "UntagUser",
        ],
    ),
    ("kms.amazonaws.com", &["PutKeyPolicy"]),
    (
        "organizations.amazonaws.com",
        &[
            "UpdatePolicy",
            "AttachPolicy",
            "DetachPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "MoveAccount",
        ],
    ),
    (
        "ec2.amazonaws.com",
        &["ModifyVpcEndpoint", "CreateVpcEndpoint"],
    ),
];

/// Is `(source, name)` a change event?
pub fn is_change(source: &[u8], name: &[u8]) -> bool {
    change_names(source).is_some_and(|names| names.iter().any(|n| n.as_bytes() == name))
}

/// The change events' names of one `eventSource`; `None` for a source that has none.
pub fn change_names(source: &[u8]) -> Option<&'static [&'static str]> {
    CHANGE_EVENTS
        .iter()
        .find(|(s, _)| s.as_bytes() == source)
        .map(|(_, names)| *names)
}

fn s<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

fn at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |cur, k| cur.get(*k))
}

/// A document as JSON text: an object is serialized, a string kept as written.
fn doc_text(v: &Value) -> Option<String> {
    match v {
        Value::String(t) => Some(t.clone()),
        Value::Object(_) => serde_json::to_string(v).ok(),
        _ => None,
    }
}

/// `true`, `"true"` (any case) or `["true"]`.
fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(t)) => t.eq_ignore_ascii_case("true"),
        Some(Value::Array(a)) => truthy(a.first()),
        _ => false,
    }
}

/// Decodes a successful change record. `None`: not a change this version replays (an
/// Organizations UpdatePolicy that only renames, a record without the fields it needs).
pub fn decode(v: &Value, origin: &Origin) -> Option<Change> {
    let source = s(v, "eventSource")?;
    let name = s(v, "eventName")?;
    if !is_change(source.as_bytes(), name.as_bytes()) {
        return None;
    }
    if let Some(code) = v.get("errorCode") {
        if !(code.is_null() || code.as_str().is_some_and(str::is_empty)) {
            return None;
        }
    }
    let account = s(v, "recipientAccountId")
        .or_else(|| at(v, &["userIdentity", "accountId"]).and_then(Value::as_str))
        .map(str::to_owned);
    let empty = Value::Null;
    let params = v.get("requestParameters").unwrap_or(&empty);
    let omitted = truthy(params.get("omitted"))
        || params.is_null()
            && name != "DeleteBucketPolicy"
            && source != "organizations.amazonaws.com";
    let response = v.get("responseElements").unwrap_or(&empty);
    let acct = account.as_deref().unwrap_or("");
    let edits = match source {
        "s3.amazonaws.com" => s3_edits(v, name, params, acct, omitted),
        "iam.amazonaws.com" => iam_edits(name, params, response, acct, omitted),
        "kms.amazonaws.com" => kms_edits(params, omitted),
        "organizations.amazonaws.com" => org_edits(name, params, response),
        "ec2.amazonaws.com" => ec2_edits(params, response),
        _ => Vec::new(),
    };
    if edits.is_empty() {
        return None;
    }
    Some(Change {
        event_id: s(v, "eventID")?.to_owned(),
        event_time: s(v, "eventTime")?.to_owned(),
        event_source: source.to_owned(),
        event_name: name.to_owned(),
        actor: at(v, &["userIdentity", "arn"])
            .and_then(Value::as_str)
            .map(str::to_owned),
        account,
        region: s(v, "awsRegion").map(str::to_owned),
        edits,
        origin: origin.clone(),
    })
}

fn omitted_reason(name: &str) -> String {
    format!("{name} request too large: CloudTrail omitted its parameters (omitted: true)")
}

fn edit(piece: Piece, state: State) -> Vec<Edit> {
    vec![Edit { piece, state }]
}

/// The bucket a record names: `requestParameters.bucketName`, else its `resources[]` ARN.
fn bucket_of(v: &Value, params: &Value) -> Option<String> {
    if let Some(b) = s(params, "bucketName") {
        return Some(b.to_owned());
    }
    let from_array = |a: &Value| match a {
        Value::Array(xs) => xs.first().and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    if let Some(b) = params.get("bucketName").and_then(from_array) {
        return Some(b);
    }
    v.get("resources")?.as_array()?.iter().find_map(|r| {
        s(r, "ARN")?
            .strip_prefix("arn:aws:s3:::")
            .filter(|b| !b.contains('/'))
            .map(str::to_owned)
    })
}

fn s3_edits(v: &Value, name: &str, params: &Value, account: &str, omitted: bool) -> Vec<Edit> {
    if matches!(name, "PutAccessPointPolicy" | "DeleteAccessPointPolicy") {
        return access_point_edits(v, name, params, account, omitted);
    }
    let account_level = matches!(
        name,
        "PutAccountPublicAccessBlock" | "DeleteAccountPublicAccessBlock"
    ) || (matches!(name, "PutPublicAccessBlock" | "DeletePublicAccessBlock")
        && bucket_of(v, params).is_none());
    if account_level {
        let account = s(params, "accountId").unwrap_or(account).to_owned();
        let piece = Piece::AccountPublicAccessBlock { account };
        return if name.starts_with("Delete") {
            edit(piece, State::Absent)
        } else if let Some(c) = params.get("PublicAccessBlockConfiguration") {
            edit(piece, State::Json(c.to_string()))
        } else {
            edit(piece, State::Unknown(omitted_reason(name)))
        };
    }
    let Some(bucket) = bucket_of(v, params) else {
        return Vec::new();
    };
    let (piece, field) = match name {
        "PutBucketPolicy" | "DeleteBucketPolicy" => {
            (Piece::BucketPolicy { bucket }, "bucketPolicy")
        }
        "PutBucketPublicAccessBlock"
        | "DeleteBucketPublicAccessBlock"
        | "PutPublicAccessBlock"
        | "DeletePublicAccessBlock" => (
            Piece::BucketPublicAccessBlock { bucket },
            "PublicAccessBlockConfiguration",
        ),
        "PutBucketEncryption" | "DeleteBucketEncryption" => (
            Piece::BucketEncryption { bucket },
            "ServerSideEncryptionConfiguration",
        ),
        "PutBucketOwnershipControls" | "DeleteBucketOwnershipControls" => {
            (Piece::BucketOwnership { bucket }, "OwnershipControls")
        }
        "PutBucketRequestPayment" => (
            Piece::RequestPayment { bucket },
            "RequestPaymentConfiguration",
        ),
        "PutBucketAcl" => (Piece::BucketAcl { bucket }, "AccessControlPolicy"),
        _ => return Vec::new(),
    };
    if name.starts_with("Delete") {
        return edit(piece, State::Absent);
    }
    if omitted {
        return edit(piece, State::Unknown(omitted_reason(name)));
    }
    let state = match (name, params.get(field)) {
        ("PutBucketRequestPayment", Some(c)) => match c.get("Payer").and_then(Value::as_str) {
            Some(p) => State::Text(p.to_owned()),
            None => State::Unknown("PutBucketRequestPayment without `Payer`".into()),
        },
        ("PutBucketPolicy", Some(p)) => match doc_text(p) {
            Some(t) => State::Json(t),
            None => State::Unknown("PutBucketPolicy with an unreadable `bucketPolicy`".into()),
        },
        (_, Some(c)) if c.is_object() => State::Json(c.to_string()),
        ("PutBucketAcl", _) => match params.get("x-amz-acl") {
            Some(Value::String(c)) => State::Text(c.clone()),
            Some(Value::Array(a)) => match a.first().and_then(Value::as_str) {
                Some(c) => State::Text(c.to_owned()),
                None => State::Unknown("PutBucketAcl with an unreadable `x-amz-acl`".into()),
            },
            _ => State::Unknown("PutBucketAcl through grant headers, not replayed".into()),
        },
        _ => State::Unknown(format!("{name} without `{field}` in the record")),
    };
    edit(piece, state)
}

fn entity_of(name: &str) -> Option<(Entity, &'static str)> {
    if name.contains("User") && !name.contains("Group") {
        Some((Entity::User, "userName"))
    } else if name.contains("Role") {
        Some((Entity::Role, "roleName"))
    } else if name.contains("Group") {
        Some((Entity::Group, "groupName"))
    } else {
        None
    }
}

fn iam_edits(
    name: &str,
    params: &Value,
    response: &Value,
    account: &str,
    omitted: bool,
) -> Vec<Edit> {
    let account_owned = account.to_owned();
    if omitted {
        return edit(
            Piece::AccountIam {
                account: account_owned,
            },
            State::Unknown(omitted_reason(name)),
        );
    }
    let policy_arn = || s(params, "policyArn").map(str::to_owned);
    match name {
        "CreatePolicy" => {
            let arn = at(response, &["policy", "arn"])
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| {
                    let path = s(params, "path").unwrap_or("/");
                    s(params, "policyName")
                        .map(|n| format!("arn:aws:iam::{account}:policy{path}{n}"))
                });
            let (Some(arn), Some(doc)) = (arn, s(params, "policyDocument")) else {
                return Vec::new();
            };
            vec![
                Edit {
                    piece: Piece::PolicyVersion {
                        arn: arn.clone(),
                        version: "v1".into(),
                    },
                    state: State::Json(doc.to_owned()),
                },
                Edit {
                    piece: Piece::ManagedPolicy { arn },
                    state: State::Json(doc.to_owned()),
                },
            ]
        }
        "CreatePolicyVersion" => {
            let (Some(arn), Some(doc)) = (policy_arn(), s(params, "policyDocument")) else {
                return Vec::new();
            };
            let mut out = Vec::new();
            if let Some(vid) = at(response, &["policyVersion", "versionId"]).and_then(Value::as_str)
            {
                out.push(Edit {
                    piece: Piece::PolicyVersion {
                        arn: arn.clone(),
                        version: vid.to_owned(),
                    },
                    state: State::Json(doc.to_owned()),
                });
            }
            if truthy(params.get("setAsDefault")) {
                out.push(Edit {
                    piece: Piece::ManagedPolicy { arn },
                    state: State::Json(doc.to_owned()),
                });
            }
            out
        }
        "SetDefaultPolicyVersion" => match (policy_arn(), s(params, "versionId")) {
            (Some(arn), Some(vid)) => {
                edit(Piece::ManagedPolicy { arn }, State::Version(vid.to_owned()))
            }
            _ => Vec::new(),
        },
        "DeletePolicyVersion" => match (policy_arn(), s(params, "versionId")) {
            (Some(arn), Some(vid)) => edit(
                Piece::PolicyVersion {
                    arn,
                    version: vid.to_owned(),
                },
                State::Absent,
            ),
            _ => Vec::new(),
        },
        "AddUserToGroup" | "RemoveUserFromGroup" => {
            match (s(params, "userName"), s(params, "groupName")) {
                (Some(u), Some(g)) => edit(
                    Piece::Membership {
                        account: account_owned,
                        user: u.to_owned(),
                        group: g.to_owned(),
                    },
                    if name == "AddUserToGroup" {
                        State::Present("{}".into())
                    } else {
                        State::Absent
                    },
                ),
                _ => Vec::new(),
            }
        }
        _ => {
            let Some((entity, key)) = entity_of(name) else {
                return Vec::new();
            };
            let Some(who) = s(params, key).map(str::to_owned) else {
                return Vec::new();
            };
            identity_edits(name, params, response, account, entity, who)
        }
    }
}

/// The IAM calls that name one identity.
fn identity_edits(
    name: &str,
    params: &Value,
    response: &Value,
    account: &str,
    entity: Entity,
    who: String,
) -> Vec<Edit> {
    let account = account.to_owned();
    let policy_name = || s(params, "policyName").map(str::to_owned);
    let one = |piece: Piece, state: State| edit(piece, state);
    match name {
        "PutUserPolicy" | "PutRolePolicy" | "PutGroupPolicy" => {
            match (policy_name(), s(params, "policyDocument")) {
                (Some(policy), Some(doc)) => one(
                    Piece::InlinePolicy {
                        account,
                        entity,
                        name: who,
                        policy,
                    },
                    State::Json(doc.to_owned()),
                ),
                _ => Vec::new(),
            }
        }
        "DeleteUserPolicy" | "DeleteRolePolicy" | "DeleteGroupPolicy" => match policy_name() {
            Some(policy) => one(
                Piece::InlinePolicy {
                    account,
                    entity,
                    name: who,
                    policy,
                },
                State::Absent,
            ),
            None => Vec::new(),
        },
        "AttachUserPolicy" | "AttachRolePolicy" | "AttachGroupPolicy" | "DetachUserPolicy"
        | "DetachRolePolicy" | "DetachGroupPolicy" => match s(params, "policyArn") {
            Some(arn) => one(
                Piece::Attachment {
                    account,
                    entity,
                    name: who,
                    arn: arn.to_owned(),
                },
                if name.starts_with("Attach") {
                    State::Present("{}".into())
                } else {
                    State::Absent
                },
            ),
            None => Vec::new(),
        },
        "PutUserPermissionsBoundary" | "PutRolePermissionsBoundary" => {
            match s(params, "permissionsBoundary") {
                Some(arn) => one(
                    Piece::Boundary {
                        account,
                        entity,
                        name: who,
                    },
                    State::Text(arn.to_owned()),
                ),
                None => Vec::new(),
            }
        }
        "DeleteUserPermissionsBoundary" | "DeleteRolePermissionsBoundary" => one(
            Piece::Boundary {
                account,
                entity,
                name: who,
            },
            State::Absent,
        ),
        "TagRole" | "TagUser" | "CreateRole" | "CreateUser" => {
            let mut out = Vec::new();
            if name.starts_with("Create") {
                let what = if entity == Entity::Role {
                    "role"
                } else {
                    "user"
                };
                let mut facts = serde_json::Map::new();
                for (k, from) in [
                    ("arn", at(response, &[what, "arn"])),
                    ("path", params.get("path")),
                    (
                        "id",
                        at(
                            response,
                            &[what, if what == "role" { "roleId" } else { "userId" }],
                        ),
                    ),
                ] {
                    if let Some(x) = from {
                        facts.insert(k.into(), x.clone());
                    }
                }
                out.push(Edit {
                    piece: Piece::Identity {
                        account: account.clone(),
                        entity,
                        name: who.clone(),
                    },
                    state: State::Present(Value::Object(facts).to_string()),
                });
                out.push(Edit {
                    piece: Piece::Boundary {
                        account: account.clone(),
                        entity,
                        name: who.clone(),
                    },
                    state: match s(params, "permissionsBoundary") {
                        Some(b) => State::Text(b.to_owned()),
                        None => State::Absent,
                    },
                });
            }
            for t in params
                .get("tags")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let key = s(t, "key").or_else(|| s(t, "Key"));
                let value = s(t, "value").or_else(|| s(t, "Value")).unwrap_or("");
                if let Some(key) = key {
                    out.push(Edit {
                        piece: Piece::Tag {
                            account: account.clone(),
                            entity,
                            name: who.clone(),
                            key: key.to_owned(),
                        },
                        state: State::Text(value.to_owned()),
                    });
                }
            }
            out
        }
        "UntagRole" | "UntagUser" => params
            .get("tagKeys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|k| Edit {
                piece: Piece::Tag {
                    account: account.clone(),
                    entity,
                    name: who.clone(),
                    key: k.to_owned(),
                },
                state: State::Absent,
            })
            .collect(),
        "DeleteRole" | "DeleteUser" => one(
            Piece::Identity {
                account,
                entity,
                name: who,
            },
            State::Absent,
        ),
        _ => Vec::new(),
    }
}

fn kms_edits(params: &Value, omitted: bool) -> Vec<Edit> {
    let Some(key) = s(params, "keyId") else {
        return Vec::new();
    };
    let piece = Piece::KeyPolicy {
        key: key.to_owned(),
    };
    match params.get("policy").and_then(doc_text) {
        Some(p) if !omitted => edit(piece, State::Json(p)),
        _ => edit(piece, State::Unknown(omitted_reason("PutKeyPolicy"))),
    }
}

fn org_edits(name: &str, params: &Value, response: &Value) -> Vec<Edit> {
    match name {
        // A rename or description-only update carries no `content`: nothing to replay.
        "UpdatePolicy" => match (
            s(params, "policyId"),
            params.get("content").and_then(doc_text),
        ) {
            (Some(id), Some(c)) => edit(Piece::OrgPolicy { id: id.to_owned() }, State::Json(c)),
            _ => Vec::new(),
        },
        "AttachPolicy" | "DetachPolicy" => match (s(params, "policyId"), s(params, "targetId")) {
            (Some(p), Some(t)) => edit(
                Piece::OrgAttachment {
                    policy: p.to_owned(),
                    target: t.to_owned(),
                },
                if name == "AttachPolicy" {
                    State::Present("{}".into())
                } else {
                    State::Absent
                },
            ),
            _ => Vec::new(),
        },
        "CreatePolicy" => {
            let summary = at(response, &["policy", "policySummary"]);
            let id = summary.and_then(|x| s(x, "id"));
            let kind = s(params, "type").or_else(|| summary.and_then(|x| s(x, "type")));
            match (id, kind, params.get("content").and_then(doc_text)) {
                (Some(id), Some(kind), Some(c)) => {
                    let facts = serde_json::json!({"type": kind, "content": c,
                        "name": s(params, "name").unwrap_or("")});
                    edit(
                        Piece::OrgPolicy { id: id.to_owned() },
                        State::Present(facts.to_string()),
                    )
                }
                _ => Vec::new(),
            }
        }
        "DeletePolicy" => match s(params, "policyId") {
            Some(id) => edit(Piece::OrgPolicy { id: id.to_owned() }, State::Absent),
            None => Vec::new(),
        },
        "MoveAccount" => match (s(params, "accountId"), s(params, "destinationParentId")) {
            (Some(a), Some(p)) => edit(
                Piece::OrgParent {
                    account: a.to_owned(),
                },
                State::Text(p.to_owned()),
            ),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The default endpoint policy S3 gateway and interface endpoints get ("full access"),
/// what `ResetPolicy` restores.
pub const FULL_ACCESS_ENDPOINT_POLICY: &str = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;

/// S3 Control `PutAccessPointPolicy`/`DeleteAccessPointPolicy` (API: `PUT
/// /v20180820/accesspoint/{name}/policy`, header `x-amz-account-id`, body
/// `<PutAccessPointPolicyRequest><Policy>`). No record of these was found to check the shape
/// against (inferred, as CHANGE-EVENTS.md marks S3's XML bodies: the body's root element
/// becomes an object), so the name, account and policy are read from the likely places, and a
/// Put whose policy cannot be read makes the piece unknown rather than guessed.
fn access_point_edits(
    v: &Value,
    name: &str,
    params: &Value,
    account: &str,
    omitted: bool,
) -> Vec<Edit> {
    let Some(ap) = ["name", "Name", "accessPointName"]
        .iter()
        .find_map(|k| s(params, k))
        .or_else(|| {
            v.get("resources")?.as_array()?.iter().find_map(|r| {
                s(r, "ARN")?
                    .split_once(":accesspoint/")
                    .map(|(_, n)| n)
                    .filter(|n| !n.contains('/'))
            })
        })
    else {
        return Vec::new();
    };
    let account = ["x-amz-account-id", "accountId", "AccountId"]
        .iter()
        .find_map(|k| s(params, k))
        .unwrap_or(account);
    let piece = Piece::AccessPointPolicy {
        account: account.to_owned(),
        region: s(v, "awsRegion").unwrap_or("").to_owned(),
        name: ap.to_owned(),
    };
    if name == "DeleteAccessPointPolicy" {
        return edit(piece, State::Absent);
    }
    if omitted {
        return edit(piece, State::Unknown(omitted_reason(name)));
    }
    let policy = params
        .get("PutAccessPointPolicyRequest")
        .and_then(|r| r.get("Policy"))
        .or_else(|| params.get("Policy"))
        .or_else(|| params.get("policy"))
        .and_then(doc_text);
    match policy {
        Some(p) => edit(piece, State::Json(p)),
        None => edit(
            piece,
            State::Unknown(format!("{name}: the record does not carry the policy")),
        ),
    }
}

/// EC2 `ModifyVpcEndpoint` (a new policy, or `ResetPolicy` to full access) and
/// `CreateVpcEndpoint` (its `PolicyDocument`, else the default full-access policy; the new
/// endpoint's id is in the response: CHANGE-EVENTS.md, "the response
/// `CreateVpcEndpointResponse.vpcEndpoint` carries no policy", but it names the endpoint).
fn ec2_edits(params: &Value, response: &Value) -> Vec<Edit> {
    if let Some(req) = params.get("CreateVpcEndpointRequest") {
        let endpoint = at(response, &["CreateVpcEndpointResponse", "vpcEndpoint"]);
        let Some(id) =
            endpoint.and_then(|e| s(e, "vpcEndpointId").or_else(|| s(e, "VpcEndpointId")))
        else {
            return Vec::new();
        };
        let piece = Piece::EndpointPolicy {
            endpoint: id.to_owned(),
        };
        return match req.get("PolicyDocument").and_then(doc_text) {
            Some(p) => edit(piece, State::Json(p)),
            None => edit(piece, State::Json(FULL_ACCESS_ENDPOINT_POLICY.into())),
        };
    }
    let req = params.get("ModifyVpcEndpointRequest").unwrap_or(params);
    let Some(id) = s(req, "VpcEndpointId") else {
        return Vec::new();
    };
    let piece = Piece::EndpointPolicy {
        endpoint: id.to_owned(),
    };
    if truthy(req.get("ResetPolicy")) {
        return edit(piece, State::Json(FULL_ACCESS_ENDPOINT_POLICY.into()));
    }
    match req.get("PolicyDocument").and_then(doc_text) {
        Some(p) => edit(piece, State::Json(p)),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn decoded(v: Value) -> Option<Change> {
        let origin = Origin {
            object: Arc::from("t"),
            record_index: Some(0),
        };
        decode(&v, &origin)
    }

    fn record(source: &str, name: &str, params: Value) -> Value {
        json!({"eventID": "e1", "eventTime": "2026-11-20T10:00:00Z", "eventSource": source,
            "eventName": name, "recipientAccountId": "222222222222",
            "userIdentity": {"arn": "arn:aws:iam::222222222222:user/admin"},
            "requestParameters": params})
    }

    /// CHANGE-EVENTS.md §1: 2018 records write `"policy":[""]`, 2023 ones `"policy": ""`; the
    /// policy itself is a JSON object in `bucketPolicy`. A failed call changes nothing.
    /// [`change_names`] reads the first entry of a source: each source has one.
    #[test]
    fn each_source_is_listed_once() {
        for (i, (source, _)) in CHANGE_EVENTS.iter().enumerate() {
            assert!(
                CHANGE_EVENTS[i + 1..].iter().all(|(s, _)| s != source),
                "{source} listed twice"
            );
        }
    }

    #[test]
    fn bucket_policy_in_both_marker_shapes_and_failures_dropped() {
        for marker in [json!([""]), json!("")] {
            let c = decoded(record(
                "s3.amazonaws.com",
                "PutBucketPolicy",
                json!({"bucketName": "b", "bucketPolicy": {"Statement": []}, "policy": marker}),
            ))
            .expect("a change");
            assert_eq!(
                c.edits,
                vec![Edit {
                    piece: Piece::BucketPolicy { bucket: "b".into() },
                    state: State::Json(r#"{"Statement":[]}"#.into()),
                }]
            );
        }
        let mut failed = record(
            "s3.amazonaws.com",
            "DeleteBucketPolicy",
            json!({"bucketName": "b"}),
        );
        failed["errorCode"] = json!("AccessDenied");
        assert!(decoded(failed).is_none());
    }

    /// "If a field is truncated, omitted is present with a value of true" (CloudTrail record
    /// contents): the IAM piece cannot be named, so the account's IAM becomes unknown.
    #[test]
    fn an_omitted_iam_request_makes_the_account_iam_unknown() {
        let c = decoded(record(
            "iam.amazonaws.com",
            "PutRolePolicy",
            json!({"reason": "requestParameters too large", "omitted": true}),
        ))
        .expect("a change");
        assert!(matches!(
            &c.edits[..],
            [Edit { piece: Piece::AccountIam { account }, state: State::Unknown(_) }] if account == "222222222222"
        ));
    }

    #[test]
    fn attach_detach_and_set_as_default() {
        let c = decoded(record(
            "iam.amazonaws.com",
            "DetachRolePolicy",
            json!({"roleName": "r", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
        ))
        .expect("a change");
        assert_eq!(c.edits[0].state, State::Absent);
        assert!(
            matches!(&c.edits[0].piece, Piece::Attachment { entity: Entity::Role, name, .. } if name == "r")
        );
        let v = decoded(record(
            "iam.amazonaws.com",
            "CreatePolicyVersion",
            json!({"policyArn": "arn:aws:iam::1:policy/p", "policyDocument": "{}", "setAsDefault": "true"}),
        ))
        .expect("a change");
        assert!(v
            .edits
            .iter()
            .any(|e| matches!(e.piece, Piece::ManagedPolicy { .. })));
        assert!(
            decoded(record(
                "organizations.amazonaws.com",
                "UpdatePolicy",
                json!({"policyId": "p-1", "name": "renamed"}),
            ))
            .is_none(),
            "a rename carries no content: nothing to replay"
        );
    }

    /// Issue 18: the S3 Control access point policy calls and CreateVpcEndpoint are changes
    /// too. An access point's policy is set (the body's `Policy`) or removed; a Put whose
    /// record lacks the policy makes it unknown. A new endpoint without `PolicyDocument` gets
    /// the default full-access policy.
    #[test]
    fn access_point_policies_and_new_endpoints() {
        let mut put = record(
            "s3.amazonaws.com",
            "PutAccessPointPolicy",
            json!({"name": "lake-finance", "x-amz-account-id": "444444444444",
                   "PutAccessPointPolicyRequest": {"Policy": "{\"Statement\":[]}", "xmlns": "x"}}),
        );
        put["awsRegion"] = json!("us-east-1");
        let c = decoded(put).expect("a change");
        assert_eq!(
            c.edits,
            vec![Edit {
                piece: Piece::AccessPointPolicy {
                    account: "444444444444".into(),
                    region: "us-east-1".into(),
                    name: "lake-finance".into()
                },
                state: State::Json(r#"{"Statement":[]}"#.into()),
            }]
        );
        let c = decoded(record(
            "s3.amazonaws.com",
            "DeleteAccessPointPolicy",
            json!({"name": "lake-finance"}),
        ))
        .expect("a change");
        assert_eq!(c.edits[0].state, State::Absent);
        let c = decoded(record(
            "s3.amazonaws.com",
            "PutAccessPointPolicy",
            json!({"name": "lake-finance"}),
        ))
        .expect("a change");
        assert!(matches!(c.edits[0].state, State::Unknown(_)));

        let mut create = record(
            "ec2.amazonaws.com",
            "CreateVpcEndpoint",
            json!({"CreateVpcEndpointRequest": {"VpcId": "vpc-1", "ServiceName": "com.amazonaws.us-east-1.s3"}}),
        );
        create["responseElements"] =
            json!({"CreateVpcEndpointResponse": {"vpcEndpoint": {"vpcEndpointId": "vpce-new"}}});
        let c = decoded(create.clone()).expect("a change");
        assert_eq!(
            c.edits,
            vec![Edit {
                piece: Piece::EndpointPolicy {
                    endpoint: "vpce-new".into()
                },
                state: State::Json(FULL_ACCESS_ENDPOINT_POLICY.into()),
            }]
        );
        create["requestParameters"]["CreateVpcEndpointRequest"]["PolicyDocument"] =
            json!("{\"Statement\":[]}");
        let c = decoded(create).expect("a change");
        assert_eq!(c.edits[0].state, State::Json(r#"{"Statement":[]}"#.into()));
    }
}
