//! Suppressions: known noise the team has decided about (a probe that lists every bucket, a
//! partner that retries with old credentials), kept out of the findings and reports but
//! always counted, never dropped silently ("suppressed: N by rule R"), so a report still says
//! how much it does not show and why.
//!
//! The file (`--suppress FILE`, or `denytrail-suppressions.json` in the working directory):
//!
//! ```json
//! {"rules": [
//!   {"id": "ci-existence-probes", "principal": "arn:aws:sts::*:assumed-role/ci-*/*",
//!    "action": "s3:ListBucket", "cause": "missing_allow",
//!    "reason": "CI checks whether buckets exist", "expires": "2027-03-31"}
//! ]}
//! ```
//!
//! Each rule selects with the same words and globs as the filter flags (`principal`,
//! `bucket`, `action`, `cause`, `source_ip`, `account`, `vpc_endpoint`; every one given must
//! match), says why (`reason`, required) and may expire (`expires`, a date: from that day on
//! the rule is not applied and is named on stderr, so noise cannot hide forever).

use super::filter::{Filter, FilterSpec};
use super::noise::Noise;
pub use super::noise::Suppressed;
use crate::findings::Finding;
use chrono::NaiveDate;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The file looked for in the working directory when `--suppress` is not given.
pub const DEFAULT_FILE: &str = "denytrail-suppressions.json";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rules: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    reason: String,
    expires: Option<String>,
    principal: Option<String>,
    bucket: Option<String>,
    action: Option<String>,
    cause: Option<String>,
    source_ip: Option<String>,
    account: Option<String>,
    vpc_endpoint: Option<String>,
}

/// One rule in force.
#[derive(Debug)]
struct Rule {
    id: String,
    reason: String,
    filter: Filter,
    count: AtomicU64,
}

/// The rules in force, with a counter each (shared by the diagnosis threads).
#[derive(Debug, Default)]
pub struct Suppressions {
    rules: Vec<Rule>,
    /// Rules not applied because they expired: (id, expiry date).
    pub expired: Vec<(String, String)>,
    /// Where they came from.
    pub source: Option<PathBuf>,
}

impl Suppressions {
    /// The rules of `path` (an explicit `--suppress`), else of [`DEFAULT_FILE`] in the
    /// working directory if there is one, as of `today`.
    pub fn load(explicit: Option<&Path>, today: NaiveDate) -> Result<Suppressions, String> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => {
                let p = PathBuf::from(DEFAULT_FILE);
                if !p.is_file() {
                    return Ok(Suppressions::default());
                }
                p
            }
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("--suppress {}: cannot read: {e}", path.display()))?;
        let file: RuleFile = serde_json::from_str(&text).map_err(|e| {
            format!(
                "--suppress {}: {e}; expected {{\"rules\": [{{\"id\", \"reason\", and any of \"principal\", \"bucket\", \"action\", \"cause\", \"source_ip\", \"account\", \"vpc_endpoint\", \"expires\"}}]}}",
                path.display()
            )
        })?;
        let mut out = Suppressions {
            source: Some(path.clone()),
            ..Suppressions::default()
        };
        for r in file.rules {
            let at =
                |what: String| format!("--suppress {}: rule `{}`: {what}", path.display(), r.id);
            if r.reason.trim().is_empty() {
                return Err(at("needs a `reason`".into()));
            }
            let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
            let spec = FilterSpec {
                accounts: one(&r.account),
                principals: one(&r.principal),
                buckets: one(&r.bucket),
                actions: one(&r.action),
                causes: one(&r.cause),
                source_ips: one(&r.source_ip),
                vpc_endpoints: one(&r.vpc_endpoint),
                ..FilterSpec::default()
            };
            let filter = Filter::new(&spec).map_err(|e| at(e.to_string()))?;
            if filter.is_empty() {
                return Err(at(
                    "selects nothing in particular (it would hide every denial): give at least one of principal, bucket, action, cause, source_ip, account, vpc_endpoint".into(),
                ));
            }
            if let Some(d) = &r.expires {
                let date = NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| at(format!("`expires` {d} is not a date (YYYY-MM-DD)")))?;
                if date <= today {
                    out.expired.push((r.id.clone(), d.clone()));
                    continue;
                }
            }
            out.rules.push(Rule {
                id: r.id,
                reason: r.reason,
                filter,
                count: AtomicU64::new(0),
            });
        }
        Ok(out)
    }

    /// Whether a rule keeps `f` out; the first rule that matches counts it.
    pub fn suppresses(&self, f: &Finding) -> bool {
        match self.rules.iter().find(|r| r.filter.matches(f)) {
            Some(r) => {
                r.count.fetch_add(1, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// What each rule kept out so far (rules that matched nothing included: a rule that
    /// never fires is worth seeing too).
    pub fn counts(&self) -> Vec<Suppressed> {
        self.rules
            .iter()
            .map(|r| Suppressed {
                rule: r.id.clone(),
                reason: r.reason.clone(),
                count: r.count.load(Ordering::Relaxed),
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

impl Noise for Suppressions {
    fn suppresses(&self, f: &Finding) -> bool {
        Suppressions::suppresses(self, f)
    }
    fn counts(&self) -> Vec<Suppressed> {
        Suppressions::counts(self)
    }
    fn is_empty(&self) -> bool {
        Suppressions::is_empty(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::RootCause;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()
    }

    /// A rule keeps out what it selects and counts it; an expired rule is not applied and
    /// is named; a rule that selects nothing in particular or has no reason is refused.
    #[test]
    fn rules_suppress_count_expire_and_refuse() {
        let f = write(
            r#"{"rules": [
              {"id": "probes", "reason": "CI probes", "principal": "arn:aws:sts::*:assumed-role/ci/*", "cause": "missing_allow"},
              {"id": "old", "reason": "gone", "bucket": "*", "expires": "2026-01-01"}]}"#,
        );
        let s = Suppressions::load(Some(f.path()), today()).unwrap();
        assert_eq!(s.expired, [("old".to_owned(), "2026-01-01".to_owned())]);
        let mut probe = Finding {
            principal_arn: Some("arn:aws:sts::1:assumed-role/ci/run-1".into()),
            root_cause: RootCause::MissingAllow,
            ..Finding::default()
        };
        assert!(s.suppresses(&probe));
        probe.root_cause = RootCause::Scp;
        assert!(!s.suppresses(&probe));
        assert_eq!(s.counts()[0].count, 1);

        let everything = write(r#"{"rules": [{"id": "all", "reason": "x"}]}"#);
        let e = Suppressions::load(Some(everything.path()), today()).unwrap_err();
        assert!(e.contains("selects nothing in particular"), "{e}");
        let no_reason = write(r#"{"rules": [{"id": "r", "reason": " ", "bucket": "b"}]}"#);
        assert!(Suppressions::load(Some(no_reason.path()), today()).is_err());
    }
}
