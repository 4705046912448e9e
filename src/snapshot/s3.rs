//! `accounts/<id>/s3/<bucket>/*.json` and `s3control/public-access-block.json`.
//!
//! Each file is the AWS CLI's output for one call. A call that answers "not configured"
//! (`NoSuchBucketPolicy`, `OwnershipControlsNotFoundError`,
//! `NoSuchPublicAccessBlockConfiguration`, `ServerSideEncryptionConfigurationNotFoundError`)
//! is written as the CLI's wrapper key set to `null` (`{"Policy": null}`,
//! `{"OwnershipControls": null}`, ...) and loads as `Known(None)`. A file that is absent was
//! not captured: `Unknown`.

use super::doc;
use super::files::{self, str_field, Problems, Read};
// Where they lived before: a reader beside this one may still name them through `s3`.
pub(super) use super::files::{with_object, wrapped};
use super::model::{
    Bucket, BucketEncryption, ObjectEntry, ObjectListing, ObjectOwnership, Payer, PublicAccessBlock,
};
use crate::policy::{Known, PolicyRef};
use serde_json::Value;
use std::path::Path;

pub fn bucket(account: &str, name: &str, dir: &Path, problems: &mut Problems) -> Bucket {
    Bucket {
        name: name.to_owned(),
        account: account.to_owned(),
        region: region(&dir.join("location.json"), problems),
        policy: policy(name, &dir.join("policy.json"), problems),
        ownership: ownership(&dir.join("ownership-controls.json"), problems),
        public_access_block: public_access_block(&dir.join("public-access-block.json"), problems),
        encryption: encryption(&dir.join("encryption.json"), problems),
        request_payment: request_payment(&dir.join("request-payment.json"), problems),
        acl: super::acl_doc::acl(&dir.join("acl.json"), problems),
        objects: objects(&dir.join("objects.json"), problems),
        resource_grants: None,
        object_acls: super::object_acls::load(&dir.join(super::object_acls::FOLDER), problems),
        object_lock: super::s3_lock::object_lock(&dir.join("object-lock.json"), problems),
    }
}

fn region(path: &Path, problems: &mut Problems) -> Known<String> {
    with_object(path, problems, |v, _| match v.get("LocationConstraint") {
        None => Err("expected `LocationConstraint`".to_owned()),
        // S3 answers an empty constraint for us-east-1, and the legacy `EU` for eu-west-1.
        Some(Value::Null) => Ok("us-east-1".to_owned()),
        Some(Value::String(s)) if s.is_empty() => Ok("us-east-1".to_owned()),
        Some(Value::String(s)) if s == "EU" => Ok("eu-west-1".to_owned()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("`LocationConstraint` is {}", doc::kind(other))),
    })
}

/// `get-bucket-policy`: `{"Policy": "<json string>"}`, `{"Policy": null}` (no policy), or the
/// bare document. The policy id is `bucket-policy:<bucket>` (FINDINGS.md).
fn policy(bucket: &str, path: &Path, problems: &mut Problems) -> Known<Option<PolicyRef>> {
    let id = format!("bucket-policy:{bucket}");
    let v = match files::read_object(path, problems) {
        Err(why) => return Known::Unknown(why),
        Ok(v) => v,
    };
    let raw = if v.get("Statement").is_some() {
        &v
    } else {
        match v.get("Policy") {
            None => {
                problems.shape(
                    path,
                    "expected `{\"Policy\": ...}` or a bare policy document",
                );
                return Known::Unknown(format!(
                    "{} is not get-bucket-policy output",
                    path.display()
                ));
            }
            Some(Value::Null) => return Known::Known(None),
            Some(raw) => raw,
        }
    };
    match doc::load(&id, raw) {
        Ok(p) => Known::Known(Some(p)),
        Err(reason) => {
            problems.policy(path, &id, reason.clone());
            Known::Unknown(format!(
                "bucket policy of `{bucket}` could not be loaded: {reason}"
            ))
        }
    }
}

fn ownership(path: &Path, problems: &mut Problems) -> Known<Option<ObjectOwnership>> {
    with_object(path, problems, |v, _| {
        let Some(oc) = wrapped(v, "OwnershipControls")? else {
            return Ok(None);
        };
        let rule = oc
            .get("Rules")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .and_then(|r| str_field(r, "ObjectOwnership"))
            .ok_or("`OwnershipControls` has no `Rules[0].ObjectOwnership`")?;
        Ok(Some(match rule {
            "BucketOwnerEnforced" => ObjectOwnership::BucketOwnerEnforced,
            "BucketOwnerPreferred" => ObjectOwnership::BucketOwnerPreferred,
            "ObjectWriter" => ObjectOwnership::ObjectWriter,
            other => ObjectOwnership::Other(other.to_owned()),
        }))
    })
}

/// Shared by the bucket file and `s3control/public-access-block.json` (same shape).
pub fn public_access_block(
    path: &Path,
    problems: &mut Problems,
) -> Known<Option<PublicAccessBlock>> {
    with_object(path, problems, |v, _| {
        let Some(c) = wrapped(v, "PublicAccessBlockConfiguration")? else {
            return Ok(None);
        };
        let flag = |k: &str| c.get(k).and_then(Value::as_bool).unwrap_or(false);
        Ok(Some(PublicAccessBlock {
            block_public_acls: flag("BlockPublicAcls"),
            ignore_public_acls: flag("IgnorePublicAcls"),
            block_public_policy: flag("BlockPublicPolicy"),
            restrict_public_buckets: flag("RestrictPublicBuckets"),
        }))
    })
}

fn encryption(path: &Path, problems: &mut Problems) -> Known<Option<BucketEncryption>> {
    with_object(path, problems, |v, _| {
        let Some(c) = wrapped(v, "ServerSideEncryptionConfiguration")? else {
            return Ok(None);
        };
        let rule = c
            .get("Rules")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .ok_or("`ServerSideEncryptionConfiguration` has no `Rules[0]`")?;
        let default = rule
            .get("ApplyServerSideEncryptionByDefault")
            .ok_or("`Rules[0]` has no `ApplyServerSideEncryptionByDefault`")?;
        // Every rule may carry BlockedEncryptionTypes (API_BlockedEncryptionTypes.html).
        let blocked_types = c
            .get("Rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("BlockedEncryptionTypes")?.get("EncryptionType"))
            .flat_map(|t| match t {
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>(),
                Value::String(s) => vec![s.as_str()],
                _ => vec![],
            })
            .filter(|t| !t.eq_ignore_ascii_case("NONE"))
            .map(str::to_owned)
            .collect();
        let algorithm = str_field(default, "SSEAlgorithm")
            .ok_or("no `SSEAlgorithm`")?
            .to_owned();
        Ok(Some(BucketEncryption {
            algorithm,
            kms_key_id: str_field(default, "KMSMasterKeyID").map(str::to_owned),
            bucket_key_enabled: rule
                .get("BucketKeyEnabled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            blocked_types,
        }))
    })
}

fn request_payment(path: &Path, problems: &mut Problems) -> Known<Payer> {
    with_object(path, problems, |v, _| match str_field(v, "Payer") {
        Some("Requester") => Ok(Payer::Requester),
        Some("BucketOwner") => Ok(Payer::BucketOwner),
        Some(other) => Err(format!("unknown `Payer` `{other}`")),
        None => Err("expected `Payer`".to_owned()),
    })
}

/// `list-objects-v2 --fetch-owner`, possibly several pages.
fn objects(path: &Path, problems: &mut Problems) -> Known<ObjectListing> {
    let docs = match files::read(path, problems) {
        Read::Absent => return Known::Unknown(files::absent(path)),
        Read::Broken(why) => return Known::Unknown(why),
        Read::Json(docs) => files::pages(docs),
    };
    let mut listing = ObjectListing {
        complete: true,
        ..ObjectListing::default()
    };
    for page in &docs {
        if !page.is_object() {
            problems.shape(path, "a page is not a JSON object");
            return Known::Unknown(format!("{} is not list-objects-v2 output", path.display()));
        }
        // The CLI paginates on its own; a continuation token or `IsTruncated` means a sample.
        if page.get("IsTruncated").and_then(Value::as_bool) == Some(true)
            || page.get("NextContinuationToken").is_some()
            || page.get("NextToken").is_some()
        {
            listing.complete = false;
        }
        if let Some(p) = str_field(page, "Prefix") {
            listing.prefix = p.to_owned();
        }
        let contents = page.get("Contents").and_then(Value::as_array);
        for o in contents.into_iter().flatten() {
            let Some(key) = str_field(o, "Key") else {
                continue;
            };
            listing.objects.insert(
                key.to_owned(),
                ObjectEntry {
                    owner_id: o
                        .get("Owner")
                        .and_then(|ow| str_field(ow, "ID"))
                        .map(str::to_owned),
                    size: o.get("Size").and_then(Value::as_u64),
                    last_modified: str_field(o, "LastModified").map(str::to_owned),
                },
            );
        }
    }
    Known::Known(listing)
}
