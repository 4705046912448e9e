//! `s3/<bucket>/object-lock.json`: `aws s3api get-object-lock-configuration`.
//!
//! `{"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention":
//! {"Mode": "GOVERNANCE", "Days": 30}}}}`; a bucket without Object Lock answers
//! `ObjectLockConfigurationNotFoundError`, written `{"ObjectLockConfiguration": null}`
//! (`Known(None)`). An absent file was not captured: `Unknown`.

use super::files::{str_field, with_object, wrapped, Problems};
use super::model::{DefaultRetention, ObjectLockConfig, RetentionMode};
use crate::policy::Known;
use serde_json::Value;
use std::path::Path;

pub fn object_lock(path: &Path, problems: &mut Problems) -> Known<Option<ObjectLockConfig>> {
    with_object(path, problems, |v, _| {
        let Some(c) = wrapped(v, "ObjectLockConfiguration")? else {
            return Ok(None);
        };
        if str_field(c, "ObjectLockEnabled") != Some("Enabled") {
            return Ok(None);
        }
        let Some(d) = c.get("Rule").and_then(|r| r.get("DefaultRetention")) else {
            return Ok(Some(ObjectLockConfig {
                default_retention: None,
            }));
        };
        let mode = match str_field(d, "Mode") {
            Some("GOVERNANCE") => RetentionMode::Governance,
            Some("COMPLIANCE") => RetentionMode::Compliance,
            other => return Err(format!("`DefaultRetention.Mode` is {other:?}")),
        };
        // A 0 is no period (some servers write `"Years": 0` beside `Days`).
        let num = |k: &str| {
            d.get(k)
                .and_then(Value::as_u64)
                .filter(|n| *n > 0)
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
        };
        let (days, as_written) = match (num("Days"), num("Years")) {
            (Some(n), _) => (n, format!("{n} days")),
            (None, Some(y)) => (y.saturating_mul(365), format!("{y} years")),
            (None, None) => return Err("`DefaultRetention` has neither `Days` nor `Years`".into()),
        };
        Ok(Some(ObjectLockConfig {
            default_retention: Some(DefaultRetention {
                mode,
                days,
                as_written,
            }),
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Known<Option<ObjectLockConfig>> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("object-lock.json");
        std::fs::write(&p, text).unwrap();
        object_lock(&p, &mut Problems::default())
    }

    #[test]
    fn reads_default_retention_null_and_absent() {
        let k = load(
            r#"{"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 1}}}}"#,
        );
        let Known::Known(Some(c)) = k else {
            panic!("{k:?}")
        };
        let d = c.default_retention.unwrap();
        assert_eq!((d.mode, d.days), (RetentionMode::Compliance, 365));
        assert_eq!(
            load(r#"{"ObjectLockConfiguration": null}"#),
            Known::Known(None)
        );
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            object_lock(
                &dir.path().join("object-lock.json"),
                &mut Problems::default()
            ),
            Known::Unknown(_)
        ));
    }
}
