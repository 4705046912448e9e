//! `organization/`: describe-organization, list-accounts, every SCP, RCP and S3 policy (describe-policy)
//! with its targets (list-targets-for-policy), and list-parents for every account and for
//! every OU on the way up to the root, so the loader can walk root → OU → account.
//! Read with the caller's own credentials; a member account is usually refused most of this,
//! which is reported, and the SCP/RCP layers stay unknown.

use super::json::Obj;
use super::{safe_component, CollectError, Ctx};
use aws_config::SdkConfig;
use aws_sdk_organizations::types::{ChildType, PolicyType};
use aws_sdk_organizations::Client;
use serde_json::{json, Value};
use std::collections::{BTreeSet, VecDeque};

/// Returns the ids of the organization's ACTIVE accounts (empty when they could not be
/// listed).
pub async fn collect(conf: &SdkConfig, ctx: &Ctx) -> Result<Vec<String>, CollectError> {
    let org = Client::new(conf);
    match org.describe_organization().send().await {
        Ok(o) => {
            let v = o.organization().map(|o| {
                Obj::new()
                    .s("Id", o.id())
                    .s("Arn", o.arn())
                    .s("FeatureSet", o.feature_set().map(|f| f.as_str()))
                    .s("MasterAccountArn", o.master_account_arn())
                    .s("MasterAccountId", o.master_account_id())
                    .s("MasterAccountEmail", o.master_account_email())
                    .list("AvailablePolicyTypes", o.available_policy_types(), |t| {
                        Obj::new()
                            .s("Type", t.r#type().map(|x| x.as_str()))
                            .s("Status", t.status().map(|x| x.as_str()))
                            .done()
                    })
                    .done()
            });
            ctx.write(
                &["organization", "organization.json"],
                &json!({ "Organization": v }),
            )?;
        }
        Err(e)
            if super::super::aws::error_code(&e) == Some("AWSOrganizationsNotInUseException") =>
        {
            // An answer, not a gap: `{"Organization": null}` tells the loader that no SCP or
            // RCP applies (an absent organization/ would leave them unknown).
            ctx.write(
                &["organization", "organization.json"],
                &json!({ "Organization": null }),
            )?;
            ctx.note("the account is in no organization: no SCPs or RCPs apply");
            return Ok(Vec::new());
        }
        Err(e) => {
            ctx.skip(
                "organizations:DescribeOrganization",
                "",
                "the organization (SCPs, RCPs, accounts)",
                &e,
            );
            return Ok(Vec::new());
        }
    }

    // Accounts.
    let mut accounts = Vec::new();
    let mut raw_accounts = Vec::new();
    let mut ok = true;
    let mut pages = org.list_accounts().into_paginator().send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => {
                for a in p.accounts() {
                    raw_accounts.push(
                        Obj::new()
                            .s("Id", a.id())
                            .s("Arn", a.arn())
                            .s("Email", a.email())
                            .s("Name", a.name())
                            .s("Status", a.status().map(|s| s.as_str()))
                            .s("JoinedMethod", a.joined_method().map(|s| s.as_str()))
                            .t("JoinedTimestamp", a.joined_timestamp())
                            .done(),
                    );
                    if let Some(id) = a.id() {
                        if a.status().map(|s| s.as_str()) == Some("ACTIVE") {
                            accounts.push(id.to_owned());
                        }
                    }
                }
            }
            Err(e) => {
                ctx.skip(
                    "organizations:ListAccounts",
                    "",
                    "the organization's accounts and where they sit",
                    &e,
                );
                ok = false;
                break;
            }
        }
    }
    if ok {
        ctx.write(
            &["organization", "accounts.json"],
            &json!({ "Accounts": raw_accounts }),
        )?;
    }

    // Policies and their targets.
    let mut targets_seen: BTreeSet<String> = BTreeSet::new();
    for (ptype, label) in [
        (PolicyType::ServiceControlPolicy, "SCPs"),
        (PolicyType::ResourceControlPolicy, "RCPs"),
        // Organizations S3 policies: the Block Public Access they enforce on accounts.
        (PolicyType::S3Policy, "S3 policies"),
    ] {
        let mut ids = Vec::new();
        let mut pages = org
            .list_policies()
            .filter(ptype.clone())
            .into_paginator()
            .send();
        let mut listed = true;
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => ids.extend(
                    p.policies()
                        .iter()
                        .filter_map(|s| s.id())
                        .map(str::to_owned),
                ),
                Err(e) => {
                    ctx.skip(
                        "organizations:ListPolicies",
                        format!("filter {}", ptype.as_str()),
                        format!("the organization's {label}"),
                        &e,
                    );
                    listed = false;
                    break;
                }
            }
        }
        if !listed {
            continue;
        }
        ctx.found(ids.len() as u64 * 2);
        for id in ids {
            if !safe_component(&id) {
                continue;
            }
            policy(&org, &id, ctx).await?;
            ctx.done_piece();
            if let Some(t) = targets(&org, &id, ctx).await? {
                targets_seen.extend(t);
            }
            ctx.done_piece();
        }
    }

    // Parents: every account, then every OU met on the way up (and every OU a policy targets).
    let mut queue: VecDeque<String> = accounts.iter().cloned().collect();
    queue.extend(targets_seen.into_iter().filter(|t| t.starts_with("ou-")));
    let mut done: BTreeSet<String> = BTreeSet::new();
    while let Some(child) = queue.pop_front() {
        if !done.insert(child.clone()) || !safe_component(&child) {
            continue;
        }
        let mut parents = Vec::new();
        let mut pages = org.list_parents().child_id(&child).into_paginator().send();
        let mut ok = true;
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => {
                    for par in p.parents() {
                        let ty = par.r#type().map(|t| t.as_str()).unwrap_or("");
                        if let Some(id) = par.id() {
                            if ty == ChildType::OrganizationalUnit.as_str() {
                                queue.push_back(id.to_owned());
                            }
                        }
                        parents.push(Obj::new().s("Id", par.id()).s("Type", Some(ty)).done());
                    }
                }
                Err(e) => {
                    ctx.skip(
                        "organizations:ListParents",
                        format!("`{child}`"),
                        format!(
                            "where `{child}` sits in the organization (which SCPs/RCPs reach it)"
                        ),
                        &e,
                    );
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            ctx.write(
                &["organization", "parents", &format!("{child}.json")],
                &json!({ "Parents": parents }),
            )?;
        }
    }
    Ok(accounts)
}

async fn policy(org: &Client, id: &str, ctx: &Ctx) -> Result<(), CollectError> {
    match org.describe_policy().policy_id(id).send().await {
        Ok(o) => {
            let v = o.policy().map(|p| {
                let s = p.policy_summary().map(|s| {
                    Obj::new()
                        .s("Id", s.id())
                        .s("Arn", s.arn())
                        .s("Name", s.name())
                        .s("Description", s.description())
                        .s("Type", s.r#type().map(|t| t.as_str()))
                        .b("AwsManaged", Some(s.aws_managed()))
                        .done()
                });
                Obj::new()
                    .v("PolicySummary", s)
                    .s("Content", p.content())
                    .done()
            });
            ctx.write(
                &["organization", "policies", &format!("{id}.json")],
                &json!({ "Policy": v }),
            )
        }
        Err(e) => {
            ctx.skip(
                "organizations:DescribePolicy",
                format!("policy `{id}`"),
                format!("the content of policy `{id}`"),
                &e,
            );
            Ok(())
        }
    }
}

/// Writes the policy's targets; returns their ids.
async fn targets(org: &Client, id: &str, ctx: &Ctx) -> Result<Option<Vec<String>>, CollectError> {
    let mut all: Vec<Value> = Vec::new();
    let mut ids = Vec::new();
    let mut pages = org
        .list_targets_for_policy()
        .policy_id(id)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => {
                for t in p.targets() {
                    if let Some(tid) = t.target_id() {
                        ids.push(tid.to_owned());
                    }
                    all.push(
                        Obj::new()
                            .s("TargetId", t.target_id())
                            .s("Arn", t.arn())
                            .s("Name", t.name())
                            .s("Type", t.r#type().map(|x| x.as_str()))
                            .done(),
                    );
                }
            }
            Err(e) => {
                ctx.skip(
                    "organizations:ListTargetsForPolicy",
                    format!("policy `{id}`"),
                    format!("where policy `{id}` is attached"),
                    &e,
                );
                return Ok(None);
            }
        }
    }
    ctx.write(
        &["organization", "targets", &format!("{id}.json")],
        &json!({ "Targets": all }),
    )?;
    Ok(Some(ids))
}
