//! `accounts/<id>/canonical-id.json` and `accounts/<id>/s3/<bucket>/*.json`: every bucket of
//! the account (`aws s3api list-buckets`) and, per bucket, its location, policy, object
//! ownership, Block Public Access, default encryption (with its blocked encryption types), Object
//! Lock configuration, Requester Pays and ACL, each call's
//! answer in the CLI's shape. Buckets are read concurrently (bounded), each in its own region.

use super::json::Obj;
use super::{safe_component, CollectError, Ctx, Skipped};
use crate::aws::{error_code, s3_client};
use aws_config::SdkConfig;
use aws_sdk_s3::types::{Grant, PublicAccessBlockConfiguration};
use aws_sdk_s3::Client;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Calls per bucket (the progress bar's unit).
const PIECES_PER_BUCKET: u64 = 8;

/// Collects the account's buckets; returns the regions they live in.
pub async fn collect(
    conf: &SdkConfig,
    account: &str,
    ctx: &Ctx,
    concurrency: usize,
) -> Result<BTreeSet<String>, CollectError> {
    let mut regions = BTreeSet::new();
    let client = s3_client(conf, None);
    let mut buckets = Vec::new();
    let mut owner = None;
    let mut pages = client.list_buckets().into_paginator().send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => {
                if owner.is_none() {
                    owner = p.owner().and_then(|o| o.id()).map(str::to_owned);
                }
                buckets.extend(
                    p.buckets()
                        .iter()
                        .filter_map(|b| b.name())
                        .map(str::to_owned),
                );
            }
            Err(e) => {
                ctx.skip(
                    "s3:ListAllMyBuckets",
                    "",
                    "the account's buckets, their settings and its canonical user id",
                    &e,
                );
                return Ok(regions);
            }
        }
    }
    if let Some(id) = owner {
        ctx.write(
            &["accounts", account, "canonical-id.json"],
            &json!({ "ID": id }),
        )?;
    }
    ctx.found(buckets.len() as u64 * PIECES_PER_BUCKET);

    let limit = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    for bucket in buckets {
        if !safe_component(&bucket) {
            ctx.skip_raw(Skipped {
                scope: ctx.scope.clone(),
                call: "s3:ListAllMyBuckets".into(),
                target: format!("bucket `{bucket}`"),
                error: "the name cannot be a folder name".into(),
                denied: false,
                unknown: format!("bucket `{bucket}`"),
            });
            continue;
        }
        let (conf, ctx, account, limit) =
            (conf.clone(), ctx.clone(), account.to_owned(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            one_bucket(&conf, &account, &bucket, &ctx).await
        });
    }
    while let Some(res) = tasks.join_next().await {
        match res {
            Ok(Ok(Some(region))) => {
                regions.insert(region);
            }
            Ok(Ok(None)) => {}
            Ok(Err(e)) => return Err(e),
            Err(join) => ctx.note(format!("a bucket task stopped: {join}")),
        }
    }
    Ok(regions)
}

async fn one_bucket(
    conf: &SdkConfig,
    account: &str,
    bucket: &str,
    ctx: &Ctx,
) -> Result<Option<String>, CollectError> {
    let dir = |file: &'static str| ["accounts", account, "s3", bucket, file];
    let target = format!("bucket `{bucket}`");
    let global = s3_client(conf, None);

    // Location first: the other calls must go to the bucket's own region.
    let region = match global.get_bucket_location().bucket(bucket).send().await {
        Ok(o) => {
            let c = o.location_constraint().map(|c| c.as_str()).unwrap_or("");
            let v = if c.is_empty() {
                Value::Null
            } else {
                Value::String(c.to_owned())
            };
            ctx.write(&dir("location.json"), &json!({ "LocationConstraint": v }))?;
            Some(crate::aws::region_of_location(c).to_owned())
        }
        Err(e) => {
            ctx.skip(
                "s3:GetBucketLocation",
                &target,
                format!("the region of {target}"),
                &e,
            );
            None
        }
    };
    ctx.done_piece();
    let client = s3_client(conf, region.as_deref());

    match client.get_bucket_policy().bucket(bucket).send().await {
        Ok(o) => ctx.write(&dir("policy.json"), &json!({ "Policy": o.policy() }))?,
        Err(e) if error_code(&e) == Some("NoSuchBucketPolicy") => {
            ctx.write(&dir("policy.json"), &json!({ "Policy": null }))?
        }
        Err(e) => ctx.skip(
            "s3:GetBucketPolicy",
            &target,
            format!("the policy of {target}"),
            &e,
        ),
    }
    ctx.done_piece();

    match client
        .get_bucket_ownership_controls()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(o) => {
            let rules: Vec<Value> = o
                .ownership_controls()
                .map(|c| c.rules())
                .unwrap_or_default()
                .iter()
                .map(|r| json!({ "ObjectOwnership": r.object_ownership().as_str() }))
                .collect();
            ctx.write(
                &dir("ownership-controls.json"),
                &json!({ "OwnershipControls": { "Rules": rules } }),
            )?
        }
        Err(e) if error_code(&e) == Some("OwnershipControlsNotFoundError") => {
            not_configured(ctx, &dir("ownership-controls.json"), "OwnershipControls")?
        }
        Err(e) => ctx.skip(
            "s3:GetBucketOwnershipControls",
            &target,
            format!("the object ownership setting of {target}"),
            &e,
        ),
    }
    ctx.done_piece();

    match client.get_public_access_block().bucket(bucket).send().await {
        Ok(o) => ctx.write(
            &dir("public-access-block.json"),
            &json!({ "PublicAccessBlockConfiguration": pab(o.public_access_block_configuration()) }),
        )?,
        Err(e) if error_code(&e) == Some("NoSuchPublicAccessBlockConfiguration") => {
            not_configured(ctx, &dir("public-access-block.json"), "PublicAccessBlockConfiguration")?
        }
        Err(e) => ctx.skip(
            "s3:GetBucketPublicAccessBlock",
            &target,
            format!("the Block Public Access settings of {target}"),
            &e,
        ),
    }
    ctx.done_piece();

    match client.get_bucket_encryption().bucket(bucket).send().await {
        Ok(o) => {
            let rules: Vec<Value> = o
                .server_side_encryption_configuration()
                .map(|c| c.rules())
                .unwrap_or_default()
                .iter()
                .map(|r| {
                    Obj::new()
                        .v(
                            "ApplyServerSideEncryptionByDefault",
                            r.apply_server_side_encryption_by_default().map(|d| {
                                Obj::new()
                                    .s("SSEAlgorithm", Some(d.sse_algorithm().as_str()))
                                    .s("KMSMasterKeyID", d.kms_master_key_id())
                                    .done()
                            }),
                        )
                        .b("BucketKeyEnabled", r.bucket_key_enabled())
                        .v(
                            "BlockedEncryptionTypes",
                            r.blocked_encryption_types().map(|t| {
                                let types: Vec<String> = t
                                    .encryption_type()
                                    .iter()
                                    .map(|e| e.as_str().to_owned())
                                    .collect();
                                Obj::new().strings("EncryptionType", &types).done()
                            }),
                        )
                        .done()
                })
                .collect();
            ctx.write(
                &dir("encryption.json"),
                &json!({ "ServerSideEncryptionConfiguration": { "Rules": rules } }),
            )?
        }
        Err(e) if error_code(&e) == Some("ServerSideEncryptionConfigurationNotFoundError") => {
            not_configured(
                ctx,
                &dir("encryption.json"),
                "ServerSideEncryptionConfiguration",
            )?
        }
        Err(e) => ctx.skip(
            "s3:GetEncryptionConfiguration",
            &target,
            format!("the default encryption of {target}"),
            &e,
        ),
    }
    ctx.done_piece();

    // Object Lock: the default retention new versions get (a bucket without Object Lock
    // answers ObjectLockConfigurationNotFoundError, written as `{"ObjectLockConfiguration":
    // null}`).
    match client
        .get_object_lock_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(o) => {
            let c = o.object_lock_configuration();
            let retention = c
                .and_then(|c| c.rule())
                .and_then(|r| r.default_retention())
                .map(|d| {
                    Obj::new()
                        .s("Mode", d.mode().map(|m| m.as_str()))
                        // A period is Days or Years; a 0 (moto answers `Years: 0` beside
                        // `Days`) is no period.
                        .n("Days", d.days().filter(|n| *n > 0).map(i64::from))
                        .n("Years", d.years().filter(|n| *n > 0).map(i64::from))
                        .done()
                });
            let v = match c {
                None => json!({ "ObjectLockConfiguration": null }),
                Some(c) => json!({ "ObjectLockConfiguration": Obj::new()
                    .s("ObjectLockEnabled", c.object_lock_enabled().map(|e| e.as_str()))
                    .v("Rule", retention.map(|r| json!({ "DefaultRetention": r })))
                    .done() }),
            };
            ctx.write(&dir("object-lock.json"), &v)?
        }
        Err(e) if error_code(&e) == Some("ObjectLockConfigurationNotFoundError") => {
            not_configured(ctx, &dir("object-lock.json"), "ObjectLockConfiguration")?
        }
        Err(e) => ctx.skip(
            "s3:GetBucketObjectLockConfiguration",
            &target,
            format!("the Object Lock configuration of {target}"),
            &e,
        ),
    }
    ctx.done_piece();

    if let Some(v) = request_payment(&client, bucket, ctx, &target).await {
        ctx.write(&dir("request-payment.json"), &v)?;
    }
    ctx.done_piece();

    match client.get_bucket_acl().bucket(bucket).send().await {
        Ok(o) => ctx.write(&dir("acl.json"), &acl_doc(o.owner(), o.grants()))?,
        Err(e) => ctx.skip(
            "s3:GetBucketAcl",
            &target,
            format!("the ACL of {target}"),
            &e,
        ),
    }
    ctx.done_piece();
    Ok(region)
}

/// `aws s3api get-bucket-request-payment` as the CLI prints it (`{"Payer": "Requester"}`), or
/// `None` (reported) when it cannot be read. Public so the test that serves recorded responses
/// (moto does not implement this call) can drive it.
pub async fn request_payment(
    client: &Client,
    bucket: &str,
    ctx: &Ctx,
    target: &str,
) -> Option<Value> {
    match client
        .get_bucket_request_payment()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(o) => Some(json!({ "Payer": o.payer().map(|p| p.as_str()) })),
        Err(e) => {
            ctx.skip(
                "s3:GetBucketRequestPayment",
                target,
                format!("whether {target} is Requester Pays"),
                &e,
            );
            None
        }
    }
}

/// AWS answered that the setting does not exist: written as the call's top-level member set
/// to null (the same convention as `{"Policy": null}` in SNAPSHOT.md), which is an answer,
/// unlike a missing file.
fn not_configured(ctx: &Ctx, parts: &[&str], member: &str) -> Result<(), CollectError> {
    ctx.write(parts, &json!({ member: null }))
}

fn pab(c: Option<&PublicAccessBlockConfiguration>) -> Value {
    match c {
        None => Value::Null,
        Some(c) => Obj::new()
            .b("BlockPublicAcls", c.block_public_acls())
            .b("IgnorePublicAcls", c.ignore_public_acls())
            .b("BlockPublicPolicy", c.block_public_policy())
            .b("RestrictPublicBuckets", c.restrict_public_buckets())
            .done(),
    }
}

/// An access control list as `get-bucket-acl` and `get-object-acl` print it (`Owner`,
/// `Grants`): the two calls answer with the same shape.
pub(super) fn acl_doc(owner: Option<&aws_sdk_s3::types::Owner>, grants: &[Grant]) -> Value {
    let owner = owner.map(|w| {
        Obj::new()
            .s("DisplayName", w.display_name())
            .s("ID", w.id())
            .done()
    });
    Obj::new()
        .v("Owner", owner)
        .list("Grants", grants, grant)
        .done()
}

fn grant(g: &Grant) -> Value {
    let grantee = g.grantee().map(|t| {
        Obj::new()
            .s("DisplayName", t.display_name())
            .s("EmailAddress", t.email_address())
            .s("ID", t.id())
            .s("Type", Some(t.r#type().as_str()))
            .s("URI", t.uri())
            .done()
    });
    Obj::new()
        .v("Grantee", grantee)
        .s("Permission", g.permission().map(|p| p.as_str()))
        .done()
}
