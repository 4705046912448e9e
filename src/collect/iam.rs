//! `iam.json`: `aws iam get-account-authorization-details`, every page merged into one
//! document with the CLI's field names (users, groups, roles, managed policies with their
//! versions; inline and trust policy documents decoded to objects as the CLI prints them).

use super::json::{policy_document, Obj};
use super::{CollectError, Ctx};
use aws_config::SdkConfig;
use aws_sdk_iam::types::{
    AttachedPermissionsBoundary, AttachedPolicy, GroupDetail, ManagedPolicyDetail, PolicyDetail,
    PolicyVersion, RoleDetail, Tag, UserDetail,
};
use serde_json::Value;

pub async fn collect(conf: &SdkConfig, _account: &str, ctx: &Ctx) -> Result<(), CollectError> {
    ctx.found(1);
    let iam = aws_sdk_iam::Client::new(conf);
    let mut pages = iam
        .get_account_authorization_details()
        .into_paginator()
        .send();
    let (mut users, mut groups, mut roles, mut policies) = (vec![], vec![], vec![], vec![]);
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => {
                users.extend(p.user_detail_list().iter().map(user));
                groups.extend(p.group_detail_list().iter().map(group));
                roles.extend(p.role_detail_list().iter().map(role));
                policies.extend(p.policies().iter().map(managed_policy));
            }
            Err(e) => {
                // A partial document would pass for the whole account: write nothing.
                ctx.skip(
                    "iam:GetAccountAuthorizationDetails",
                    "",
                    "every identity policy, permissions boundary and trust policy of the account",
                    &e,
                );
                ctx.done_piece();
                return Ok(());
            }
        }
    }
    let doc = serde_json::json!({
        "UserDetailList": users,
        "GroupDetailList": groups,
        "RoleDetailList": roles,
        "Policies": policies,
    });
    ctx.write(&["accounts", account_of(ctx), "iam.json"], &doc)?;
    ctx.done_piece();
    Ok(())
}

/// The account id from the context's scope (`account <id>`).
pub(super) fn account_of(ctx: &Ctx) -> &str {
    ctx.scope.strip_prefix("account ").unwrap_or(&ctx.scope)
}

fn inline(p: &PolicyDetail) -> Value {
    Obj::new()
        .s("PolicyName", p.policy_name())
        .v("PolicyDocument", p.policy_document().map(policy_document))
        .done()
}

fn attached(p: &AttachedPolicy) -> Value {
    Obj::new()
        .s("PolicyName", p.policy_name())
        .s("PolicyArn", p.policy_arn())
        .done()
}

fn boundary(b: Option<&AttachedPermissionsBoundary>) -> Option<Value> {
    b.map(|b| {
        Obj::new()
            .s(
                "PermissionsBoundaryType",
                b.permissions_boundary_type().map(|t| t.as_str()),
            )
            .s("PermissionsBoundaryArn", b.permissions_boundary_arn())
            .done()
    })
}

fn tag(t: &Tag) -> Value {
    serde_json::json!({ "Key": t.key(), "Value": t.value() })
}

fn user(u: &UserDetail) -> Value {
    Obj::new()
        .s("Path", u.path())
        .s("UserName", u.user_name())
        .s("UserId", u.user_id())
        .s("Arn", u.arn())
        .t("CreateDate", u.create_date())
        .list("UserPolicyList", u.user_policy_list(), inline)
        .strings("GroupList", u.group_list())
        .list(
            "AttachedManagedPolicies",
            u.attached_managed_policies(),
            attached,
        )
        .v("PermissionsBoundary", boundary(u.permissions_boundary()))
        .list("Tags", u.tags(), tag)
        .done()
}

fn group(g: &GroupDetail) -> Value {
    Obj::new()
        .s("Path", g.path())
        .s("GroupName", g.group_name())
        .s("GroupId", g.group_id())
        .s("Arn", g.arn())
        .t("CreateDate", g.create_date())
        .list("GroupPolicyList", g.group_policy_list(), inline)
        .list(
            "AttachedManagedPolicies",
            g.attached_managed_policies(),
            attached,
        )
        .done()
}

fn role(r: &RoleDetail) -> Value {
    Obj::new()
        .s("Path", r.path())
        .s("RoleName", r.role_name())
        .s("RoleId", r.role_id())
        .s("Arn", r.arn())
        .t("CreateDate", r.create_date())
        .v(
            "AssumeRolePolicyDocument",
            r.assume_role_policy_document().map(policy_document),
        )
        .list("InstanceProfileList", r.instance_profile_list(), |ip| {
            Obj::new()
                .s("Path", Some(ip.path()))
                .s("InstanceProfileName", Some(ip.instance_profile_name()))
                .s("InstanceProfileId", Some(ip.instance_profile_id()))
                .s("Arn", Some(ip.arn()))
                .done()
        })
        .list("RolePolicyList", r.role_policy_list(), inline)
        .list(
            "AttachedManagedPolicies",
            r.attached_managed_policies(),
            attached,
        )
        .v("PermissionsBoundary", boundary(r.permissions_boundary()))
        .list("Tags", r.tags(), tag)
        .done()
}

fn version(v: &PolicyVersion) -> Value {
    Obj::new()
        .v("Document", v.document().map(policy_document))
        .s("VersionId", v.version_id())
        .b("IsDefaultVersion", Some(v.is_default_version()))
        .t("CreateDate", v.create_date())
        .done()
}

fn managed_policy(p: &ManagedPolicyDetail) -> Value {
    Obj::new()
        .s("PolicyName", p.policy_name())
        .s("PolicyId", p.policy_id())
        .s("Arn", p.arn())
        .s("Path", p.path())
        .s("DefaultVersionId", p.default_version_id())
        .n("AttachmentCount", p.attachment_count().map(i64::from))
        .n(
            "PermissionsBoundaryUsageCount",
            p.permissions_boundary_usage_count().map(i64::from),
        )
        .b("IsAttachable", Some(p.is_attachable()))
        .s("Description", p.description())
        .t("CreateDate", p.create_date())
        .t("UpdateDate", p.update_date())
        .list("PolicyVersionList", p.policy_version_list(), version)
        .done()
}
