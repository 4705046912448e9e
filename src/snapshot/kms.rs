//! `accounts/<id>/kms/<key-id>.json`: `{"KeyMetadata": <describe-key>, "Policy": <string>}`.
//!
//! Extension (optional, ignored by readers that do not know it): an `Aliases` array, either
//! alias names (`"alias/app"`) or `list-aliases` entries (`{"AliasName": ...}`), so that a
//! bucket's `KMSMasterKeyID` written as an alias can be resolved. Without it an alias lookup
//! answers unknown.

use super::doc;
use super::files::{self, str_field, Problems};
use super::model::KmsKey;
use crate::policy::Known;
use serde_json::Value;
use std::path::Path;

pub fn key(
    account: &str,
    file_key_id: &str,
    path: &Path,
    problems: &mut Problems,
) -> Option<KmsKey> {
    let v = files::read_object(path, problems).ok()?;
    let Some(meta) = v.get("KeyMetadata").filter(|m| m.is_object()) else {
        problems.shape(path, "expected `KeyMetadata` (describe-key output)");
        return None;
    };
    let key_id = str_field(meta, "KeyId").unwrap_or(file_key_id).to_owned();
    let key_account = str_field(meta, "AWSAccountId")
        .unwrap_or(account)
        .to_owned();
    let arn = match str_field(meta, "Arn") {
        Some(a) => a.to_owned(),
        None => {
            problems.shape(path, "`KeyMetadata` has no `Arn`");
            return None;
        }
    };
    let policy = match v.get("Policy") {
        None | Some(Value::Null) => Known::Unknown(format!(
            "key policy of `{arn}` not captured in {}",
            path.display()
        )),
        Some(raw) => match doc::load(&arn, raw) {
            Ok(p) => Known::Known(p),
            Err(reason) => {
                problems.policy(path, &arn, reason.clone());
                Known::Unknown(format!(
                    "key policy of `{arn}` could not be loaded: {reason}"
                ))
            }
        },
    };
    let aliases = v
        .get("Aliases")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|a| a.as_str().or_else(|| str_field(a, "AliasName")))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Some(KmsKey {
        key_id,
        arn,
        account: key_account,
        key_manager: str_field(meta, "KeyManager").map(str::to_owned),
        key_state: str_field(meta, "KeyState").map(str::to_owned),
        aliases,
        policy,
    })
}
