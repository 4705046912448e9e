//! `iam.json`: `aws iam get-account-authorization-details`, pages merged.
//!
//! Read leniently: dates (`CreateDate`, CLI `2023-03-09T10:41:45+00:00` or boto3
//! `2023-03-09 10:41:45+00:00`) play no part in authorization and are not read at all, so
//! either format loads; documents may be objects, JSON strings or URL-encoded strings. An
//! entry without its name, ARN or id is reported and skipped; a broken inline document marks
//! its user/group/role `broken`, so lookups answer unknown instead of "without that policy".

use super::doc;
use super::files::{str_field, Problems};
use super::model::{Iam, IamGroup, IamRole, IamUser, ManagedPolicy};
use crate::policy::{Known, PolicyRef};
use serde_json::Value;
use std::path::Path;

/// Builds the account's IAM view from the pages of the file.
pub fn parse(pages: &[Value], path: &Path, problems: &mut Problems) -> Result<Iam, String> {
    let mut iam = Iam::default();
    let mut saw_any = false;
    for page in pages {
        if !page.is_object() {
            problems.shape(path, "a page is not a JSON object");
            return Err(format!(
                "{} is not get-account-authorization-details output",
                path.display()
            ));
        }
        for key in [
            "UserDetailList",
            "GroupDetailList",
            "RoleDetailList",
            "Policies",
        ] {
            saw_any |= page.get(key).is_some();
        }
        for u in list(page, "UserDetailList", path, problems) {
            if let Some(user) = user(u, path, problems) {
                iam.users.push(user);
            }
        }
        for g in list(page, "GroupDetailList", path, problems) {
            if let Some(group) = group(g, path, problems) {
                iam.groups.push(group);
            }
        }
        for r in list(page, "RoleDetailList", path, problems) {
            if let Some(role) = role(r, path, problems) {
                iam.roles.push(role);
            }
        }
        for p in list(page, "Policies", path, problems) {
            if let Some(policy) = managed(p, path, problems) {
                iam.policies.insert(policy.arn.clone(), policy);
            }
        }
    }
    if !saw_any {
        problems.shape(
            path,
            "none of UserDetailList, GroupDetailList, RoleDetailList, Policies: not \
             get-account-authorization-details output",
        );
        return Err(format!(
            "{} is not get-account-authorization-details output",
            path.display()
        ));
    }
    for (i, u) in iam.users.iter().enumerate() {
        iam.user_by_name.insert(u.name.clone(), i);
    }
    for (i, g) in iam.groups.iter().enumerate() {
        iam.group_by_name.insert(g.name.clone(), i);
    }
    for (i, r) in iam.roles.iter().enumerate() {
        iam.role_by_name.insert(r.name.clone(), i);
    }
    Ok(iam)
}

fn list<'a>(page: &'a Value, key: &str, path: &Path, problems: &mut Problems) -> &'a [Value] {
    match page.get(key) {
        None | Some(Value::Null) => &[],
        Some(Value::Array(items)) => items,
        Some(other) => {
            problems.shape(
                path,
                format!("`{key}` is {}, expected an array", doc::kind(other)),
            );
            &[]
        }
    }
}

fn required(
    v: &Value,
    key: &str,
    what: &str,
    path: &Path,
    problems: &mut Problems,
) -> Option<String> {
    match str_field(v, key) {
        Some(s) if !s.is_empty() => Some(s.to_owned()),
        _ => {
            problems.shape(
                path,
                format!("a {what} entry has no `{key}`; entry skipped"),
            );
            None
        }
    }
}

/// Inline policies (`UserPolicyList`, `GroupPolicyList`, `RolePolicyList`), each with id
/// `<entity ARN>#<PolicyName>` (inline policies have no ARN of their own).
fn inline(
    v: &Value,
    key: &str,
    owner_arn: &str,
    path: &Path,
    problems: &mut Problems,
    broken: &mut Option<String>,
) -> Vec<PolicyRef> {
    let mut out = Vec::new();
    for (i, p) in list(v, key, path, problems).iter().enumerate() {
        let name = str_field(p, "PolicyName")
            .map(str::to_owned)
            .unwrap_or_else(|| format!("#{i}"));
        let id = format!("{owner_arn}#{name}");
        let loaded = match p.get("PolicyDocument") {
            Some(raw) => doc::load(&id, raw),
            None => Err("no `PolicyDocument`".to_owned()),
        };
        match loaded {
            Ok(policy) => out.push(policy),
            Err(reason) => {
                *broken = Some(format!(
                    "inline policy `{id}` could not be loaded: {reason}"
                ));
                problems.policy(path, &id, reason);
            }
        }
    }
    out
}

fn attached(v: &Value, path: &Path, problems: &mut Problems) -> Vec<String> {
    list(v, "AttachedManagedPolicies", path, problems)
        .iter()
        .filter_map(|a| str_field(a, "PolicyArn").map(str::to_owned))
        .collect()
}

fn boundary(v: &Value) -> Option<String> {
    v.get("PermissionsBoundary")
        .and_then(|b| str_field(b, "PermissionsBoundaryArn"))
        .map(str::to_owned)
}

fn tags(v: &Value, path: &Path, problems: &mut Problems) -> Vec<(String, String)> {
    list(v, "Tags", path, problems)
        .iter()
        .filter_map(|t| {
            let k = str_field(t, "Key")?;
            let val = str_field(t, "Value").unwrap_or("");
            Some((k.to_owned(), val.to_owned()))
        })
        .collect()
}

fn user(v: &Value, path: &Path, problems: &mut Problems) -> Option<IamUser> {
    let name = required(v, "UserName", "user", path, problems)?;
    let arn = required(v, "Arn", "user", path, problems)?;
    let mut broken = None;
    let inline = inline(v, "UserPolicyList", &arn, path, problems, &mut broken);
    let groups = list(v, "GroupList", path, problems)
        .iter()
        .filter_map(|g| g.as_str().map(str::to_owned))
        .collect();
    Some(IamUser {
        id: str_field(v, "UserId").unwrap_or("").to_owned(),
        path: str_field(v, "Path").unwrap_or("/").to_owned(),
        groups,
        inline,
        attached: attached(v, path, problems),
        boundary: boundary(v),
        tags: tags(v, path, problems),
        broken,
        name,
        arn,
    })
}

fn group(v: &Value, path: &Path, problems: &mut Problems) -> Option<IamGroup> {
    let name = required(v, "GroupName", "group", path, problems)?;
    let arn = required(v, "Arn", "group", path, problems)?;
    let mut broken = None;
    let inline = inline(v, "GroupPolicyList", &arn, path, problems, &mut broken);
    Some(IamGroup {
        id: str_field(v, "GroupId").unwrap_or("").to_owned(),
        inline,
        attached: attached(v, path, problems),
        broken,
        name,
        arn,
    })
}

fn role(v: &Value, path: &Path, problems: &mut Problems) -> Option<IamRole> {
    let name = required(v, "RoleName", "role", path, problems)?;
    let arn = required(v, "Arn", "role", path, problems)?;
    let mut broken = None;
    let inline = inline(v, "RolePolicyList", &arn, path, problems, &mut broken);
    let trust_id = format!("{arn}#trust-policy");
    let trust = match v.get("AssumeRolePolicyDocument") {
        None | Some(Value::Null) => None,
        Some(raw) => match doc::load(&trust_id, raw) {
            Ok(p) => Some(p),
            Err(reason) => {
                problems.policy(path, &trust_id, reason);
                None
            }
        },
    };
    Some(IamRole {
        id: str_field(v, "RoleId").unwrap_or("").to_owned(),
        path: str_field(v, "Path").unwrap_or("/").to_owned(),
        inline,
        attached: attached(v, path, problems),
        boundary: boundary(v),
        tags: tags(v, path, problems),
        trust,
        broken,
        name,
        arn,
    })
}

/// A managed policy with its default version (the one `IsDefaultVersion`, else the version
/// named by `DefaultVersionId`).
fn managed(v: &Value, path: &Path, problems: &mut Problems) -> Option<ManagedPolicy> {
    let arn = required(v, "Arn", "managed policy", path, problems)?;
    let name = str_field(v, "PolicyName").unwrap_or("").to_owned();
    let default_id = str_field(v, "DefaultVersionId");
    let versions = list(v, "PolicyVersionList", path, problems);
    let chosen = versions
        .iter()
        .find(|ver| ver.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true))
        .or_else(|| {
            default_id.and_then(|d| {
                versions
                    .iter()
                    .find(|ver| str_field(ver, "VersionId") == Some(d))
            })
        });
    let default_version = match chosen.and_then(|ver| ver.get("Document")) {
        Some(raw) => match doc::load(&arn, raw) {
            Ok(p) => Known::Known(p),
            Err(reason) => {
                problems.policy(path, &arn, reason.clone());
                Known::Unknown(format!(
                    "managed policy `{arn}` could not be loaded: {reason}"
                ))
            }
        },
        None => Known::Unknown(format!(
            "managed policy `{arn}` is listed in {} without its default version's document",
            path.display()
        )),
    };
    Some(ManagedPolicy {
        arn,
        name,
        default_version,
    })
}
