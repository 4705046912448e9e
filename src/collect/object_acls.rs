//! `denytrail snapshot --object-acls FILE`: the ACLs of the objects the denials name
//! (ISSUE 17 §5), written as `s3/<bucket>/object-acls/<name>.json` (the snapshot module's
//! [`crate::snapshot::object_acls`] says how a key becomes a file name).
//!
//! Which objects: those named by the findings (`denytrail analyze --format json|jsonl`: each
//! finding's `bucket` and `key`) or by the denied S3 data events (CloudTrail records whose
//! `errorCode` is a denial, with `requestParameters.bucketName`, `key` and `versionId`) in the
//! given files or folders (gzip or plain JSON, one document, JSON lines or concatenated
//! documents). An object ACL exists per object version, and only the objects a denial names
//! can change a verdict, so no bucket is listed and no other object read. The number of
//! calls is capped (`--object-acls-max`); what the cap leaves out is reported. Each call is
//! made in the account whose bucket it is, in the bucket's region; a refused call (or an
//! object that no longer exists) is a recorded skip, and that object's ACL stays unknown.

use super::{Ctx, Skipped};
use crate::aws::s3_client;
use crate::snapshot::object_acls::{file_name, FOLDER, MAX_NAME};
use aws_config::SdkConfig;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One object version a denial names (`version: None`: the current version).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectTarget {
    pub bucket: String,
    pub key: String,
    pub version: Option<String>,
}

/// The objects named by the denials in `paths` (files or folders, read recursively), sorted
/// and without repeats.
pub fn targets(paths: &[PathBuf]) -> Result<Vec<ObjectTarget>, String> {
    let mut out = BTreeSet::new();
    for p in paths {
        read_path(p, &mut out)?;
    }
    Ok(out.into_iter().collect())
}

fn read_path(path: &Path, out: &mut BTreeSet<ObjectTarget>) -> Result<(), String> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            read_path(&e, out)?;
        }
        return Ok(());
    }
    let raw = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(raw.as_slice())
            .read_to_end(&mut text)
            .map_err(|e| format!("{}: not gzip: {e}", path.display()))?;
        text
    } else {
        raw
    };
    for doc in serde_json::Deserializer::from_slice(&bytes).into_iter::<Value>() {
        let doc = doc.map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
        walk(&doc, out);
    }
    Ok(())
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The object a finding or a denied S3 record names, else `None`.
fn named(v: &Value) -> Option<ObjectTarget> {
    // A finding (FINDINGS.md: `bucket`, `key`; every finding is a denial).
    if let (Some(bucket), Some(key)) = (text(v, "bucket"), text(v, "key")) {
        if v.get("root_cause").is_some() {
            let version = text(v, "version_id").or_else(|| text(v, "versionId"));
            return Some(ObjectTarget {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                version: version.map(str::to_owned),
            });
        }
    }
    // A CloudTrail S3 data event refused for lack of permission.
    if text(v, "eventSource") == Some("s3.amazonaws.com")
        && crate::aws::is_denied_code(text(v, "errorCode"))
    {
        let rp = v.get("requestParameters")?;
        return Some(ObjectTarget {
            bucket: text(rp, "bucketName")?.to_owned(),
            key: text(rp, "key")?.to_owned(),
            version: text(rp, "versionId").map(str::to_owned),
        });
    }
    None
}

fn walk(v: &Value, out: &mut BTreeSet<ObjectTarget>) {
    if let Some(t) = named(v) {
        out.insert(t);
        return;
    }
    match v {
        Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
        Value::Object(m) => m.values().for_each(|x| walk(x, out)),
        _ => {}
    }
}

/// Reads the ACL of each target whose bucket the account's collection wrote (the bucket
/// folder exists under `root`), in the bucket's region.
pub(super) async fn collect(
    conf: &SdkConfig,
    account: &str,
    ctx: &Ctx,
    root: &Path,
    targets: &[ObjectTarget],
) -> Result<(), super::CollectError> {
    let bucket_dir = |b: &str| root.join("accounts").join(account).join("s3").join(b);
    let mine: Vec<&ObjectTarget> = targets
        .iter()
        .filter(|t| super::safe_component(&t.bucket) && bucket_dir(&t.bucket).is_dir())
        .collect();
    if mine.is_empty() {
        return Ok(());
    }
    ctx.found(mine.len() as u64);
    for t in mine {
        let target = match &t.version {
            Some(v) => format!("object `{}` version `{v}` in bucket `{}`", t.key, t.bucket),
            None => format!("object `{}` in bucket `{}`", t.key, t.bucket),
        };
        let name = file_name(&t.key, t.version.as_deref());
        if name.len() > MAX_NAME {
            ctx.skip_raw(Skipped {
                scope: ctx.scope.clone(),
                call: "s3:GetObjectAcl".into(),
                target: target.clone(),
                error: format!(
                    "the encoded key is longer than {MAX_NAME} bytes, too long for a file name"
                ),
                denied: false,
                unknown: format!("the ACL of {target}"),
            });
            ctx.done_piece();
            continue;
        }
        let region = region_of(&bucket_dir(&t.bucket));
        let client = s3_client(conf, region.as_deref());
        let mut call = client.get_object_acl().bucket(&t.bucket).key(&t.key);
        if let Some(v) = &t.version {
            call = call.version_id(v);
        }
        match call.send().await {
            Ok(o) => {
                let v = super::s3::acl_doc(o.owner(), o.grants());
                ctx.write(&["accounts", account, "s3", &t.bucket, FOLDER, &name], &v)?;
            }
            Err(e) => ctx.skip(
                "s3:GetObjectAcl",
                &target,
                format!("the ACL of {target}"),
                &e,
            ),
        }
        ctx.done_piece();
    }
    Ok(())
}

/// The targets whose bucket no collected account holds (their ACLs were not read).
pub(super) fn unplaced(root: &Path, accounts: &[String], targets: &[ObjectTarget]) -> usize {
    targets
        .iter()
        .filter(|t| {
            !accounts.iter().any(|a| {
                super::safe_component(&t.bucket)
                    && root
                        .join("accounts")
                        .join(a)
                        .join("s3")
                        .join(&t.bucket)
                        .is_dir()
            })
        })
        .count()
}

/// The region `location.json` (written moments ago) gives the bucket, if any.
fn region_of(dir: &Path) -> Option<String> {
    let text = std::fs::read(dir.join("location.json")).ok()?;
    let v: Value = serde_json::from_slice(&text).ok()?;
    let c = v.get("LocationConstraint")?.as_str().unwrap_or("");
    Some(crate::aws::region_of_location(c).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::io::Write;

    /// Findings (JSON lines), a CloudTrail file (gzip) and a folder: the denials' objects,
    /// once each, with the version a record names; successes and bucket calls name none.
    #[test]
    fn targets_come_from_findings_and_denied_records() {
        let dir = tempfile::tempdir().unwrap();
        let findings = dir.path().join("findings.jsonl");
        std::fs::write(
            &findings,
            [
                json!({"event_id": "1", "root_cause": "missing_allow", "bucket": "b", "key": "a/x.csv"}),
                json!({"event_id": "2", "root_cause": "unknown", "bucket": "b", "key": null}),
                json!({"event_id": "3", "root_cause": "kms", "bucket": "b", "key": "a/x.csv"}),
            ]
            .map(|v| v.to_string())
            .join("\n"),
        )
        .unwrap();
        let logs = dir.path().join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        let records = json!({"Records": [
            {"eventSource": "s3.amazonaws.com", "errorCode": "AccessDenied", "requestParameters": {"bucketName": "c", "key": "k", "versionId": "v1"}},
            {"eventSource": "s3.amazonaws.com", "requestParameters": {"bucketName": "c", "key": "ok"}},
            {"eventSource": "s3.amazonaws.com", "errorCode": "NoSuchKey", "requestParameters": {"bucketName": "c", "key": "gone"}},
            {"eventSource": "s3.amazonaws.com", "errorCode": "AccessDenied", "requestParameters": {"bucketName": "c"}}
        ]});
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(records.to_string().as_bytes()).unwrap();
        std::fs::write(logs.join("trail.json.gz"), gz.finish().unwrap()).unwrap();
        let got = targets(&[findings, logs]).unwrap();
        let t = |b: &str, k: &str, v: Option<&str>| ObjectTarget {
            bucket: b.into(),
            key: k.into(),
            version: v.map(Into::into),
        };
        assert_eq!(got, vec![t("b", "a/x.csv", None), t("c", "k", Some("v1"))]);
    }
}
