//! `accounts/<id>/kms/<key-id>.json`: every KMS key of the account in the regions read,
//! `{"KeyMetadata": <describe-key>, "Policy": <get-key-policy --policy-name default>}`.
//! Both calls must succeed for a file to be written: a key without its policy would read as
//! a key whose policy allows nothing. Each file also lists the key's aliases (`Aliases`, the
//! `list-aliases` entries that target it; an extension the loader reads) so that a bucket whose
//! default encryption names `alias/x` can be resolved.

use super::json::Obj;
use super::{safe_component, CollectError, Ctx};
use aws_config::{Region, SdkConfig};
use aws_sdk_kms::types::KeyMetadata;
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub async fn collect(
    conf: &SdkConfig,
    account: &str,
    ctx: &Ctx,
    regions: &BTreeSet<String>,
    _concurrency: usize,
) -> Result<(), CollectError> {
    for region in regions {
        let kconf = aws_sdk_kms::config::Builder::from(conf)
            .region(Region::new(region.clone()))
            .build();
        let kms = aws_sdk_kms::Client::from_conf(kconf);
        let mut ids = Vec::new();
        let mut pages = kms.list_keys().into_paginator().send();
        let mut listed = true;
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => ids.extend(
                    p.keys()
                        .iter()
                        .filter_map(|k| k.key_id())
                        .map(str::to_owned),
                ),
                Err(e) => {
                    ctx.skip(
                        "kms:ListKeys",
                        format!("region {region}"),
                        format!("the KMS keys and key policies in {region}"),
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
        let aliases = aliases(&kms, region, ctx).await;
        ctx.found(ids.len() as u64);
        for id in ids {
            if safe_component(&id) {
                if let Some(mut v) = one_key(&kms, &id, ctx).await {
                    if let (Some(all), Some(obj)) = (&aliases, v.as_object_mut()) {
                        let mine: Vec<Value> = all
                            .iter()
                            .filter(|(target, _)| target == &id)
                            .map(|(_, a)| a.clone())
                            .collect();
                        obj.insert("Aliases".to_owned(), Value::Array(mine));
                    }
                    ctx.write(&["accounts", account, "kms", &format!("{id}.json")], &v)?;
                }
            }
            ctx.done_piece();
        }
    }
    Ok(())
}

/// Every alias of the region as `(target key id, list-aliases entry)`; `None` (reported) when
/// they cannot be listed, and then no key file claims to know its aliases.
async fn aliases(
    kms: &aws_sdk_kms::Client,
    region: &str,
    ctx: &Ctx,
) -> Option<Vec<(String, Value)>> {
    let mut out = Vec::new();
    let mut pages = kms.list_aliases().into_paginator().send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => {
                for a in p.aliases() {
                    if let Some(target) = a.target_key_id() {
                        let entry = Obj::new()
                            .s("AliasName", a.alias_name())
                            .s("AliasArn", a.alias_arn())
                            .s("TargetKeyId", Some(target))
                            .done();
                        out.push((target.to_owned(), entry));
                    }
                }
            }
            Err(e) => {
                ctx.skip(
                    "kms:ListAliases",
                    format!("region {region}"),
                    format!("which aliases name the KMS keys in {region}"),
                    &e,
                );
                return None;
            }
        }
    }
    Some(out)
}

async fn one_key(kms: &aws_sdk_kms::Client, id: &str, ctx: &Ctx) -> Option<Value> {
    let target = format!("key `{id}`");
    let meta = match kms.describe_key().key_id(id).send().await {
        Ok(o) => o.key_metadata().map(metadata),
        Err(e) => {
            ctx.skip(
                "kms:DescribeKey",
                &target,
                format!("{target} and its policy"),
                &e,
            );
            return None;
        }
    };
    // moto needs the policy name; AWS defaults it to `default`, the only name there is.
    let policy = match kms
        .get_key_policy()
        .key_id(id)
        .policy_name("default")
        .send()
        .await
    {
        Ok(o) => o.policy().map(str::to_owned),
        Err(e) => {
            ctx.skip(
                "kms:GetKeyPolicy",
                &target,
                format!("the key policy of {target}"),
                &e,
            );
            return None;
        }
    };
    Some(json!({ "KeyMetadata": meta, "Policy": policy }))
}

fn metadata(m: &KeyMetadata) -> Value {
    Obj::new()
        .s("AWSAccountId", m.aws_account_id())
        .s("KeyId", Some(m.key_id()))
        .s("Arn", m.arn())
        .t("CreationDate", m.creation_date())
        .b("Enabled", Some(m.enabled()))
        .s("Description", m.description())
        .s("KeyUsage", m.key_usage().map(|v| v.as_str()))
        .s("KeyState", m.key_state().map(|v| v.as_str()))
        .s("Origin", m.origin().map(|v| v.as_str()))
        .s("KeyManager", m.key_manager().map(|v| v.as_str()))
        .s("KeySpec", m.key_spec().map(|v| v.as_str()))
        .list("EncryptionAlgorithms", m.encryption_algorithms(), |a| {
            Value::String(a.as_str().to_owned())
        })
        .b("MultiRegion", m.multi_region())
        .done()
}
