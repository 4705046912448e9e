//! Forensics filters: which findings a report or a timeline is about. One [`Filter`] serves
//! `analyze` and `report`, so the same flags select the same events whether they come from
//! logs or from a saved findings file.
//!
//! Within one flag the values are alternatives (`--account A --account B`: either); across
//! flags all must hold. A finding that lacks the field a filter asks about does not match it
//! (an event without `vpcEndpointId` is not "through vpce-1").
//!
//! A value that starts with `!` leaves out what it matches (`--principal '!*:role/Scanner*'`,
//! `--cause '!request_error'`), as `--exclude-principal` and `--exclude-bucket` do; a finding
//! is kept when it matches one of the flag's other values (or there are none) and none of
//! the `!` ones. A finding without the field is not left out by a `!` value.
//!
//! Globs match the whole value (an ARN, a bucket name): `alice` is not `*alice*`. When a
//! glob matched nothing but would have as `*GLOB*`, [`Filter::hints`] says so.

use super::noise::{Noise, Suppressed};
use crate::findings::{Finding, RootCause};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum FilterError {
    #[error("{flag} `{glob}` is not a glob: {reason}")]
    Glob {
        flag: &'static str,
        glob: String,
        reason: String,
    },
    #[error(
        "--source-ip `{0}` is neither an IP address nor a CIDR block (10.0.0.0/8, 2001:db8::/32)"
    )]
    Cidr(String),
    #[error("--cause `{0}` is not a root cause; one of: {1}")]
    Cause(String, String),
    #[error("--account `{0}` is not a 12-digit account id")]
    Account(String),
}

/// What the user asked for, as typed (no parsing yet).
#[derive(Debug, Clone, Default)]
pub struct FilterSpec {
    pub accounts: Vec<String>,
    pub principals: Vec<String>,
    pub buckets: Vec<String>,
    pub actions: Vec<String>,
    pub causes: Vec<String>,
    pub source_ips: Vec<String>,
    pub vpc_endpoints: Vec<String>,
    /// `--exclude-principal`: as `--principal '!GLOB'`.
    pub exclude_principals: Vec<String>,
    /// `--exclude-bucket`: as `--bucket '!GLOB'`.
    pub exclude_buckets: Vec<String>,
    /// `--disagrees`: only findings whose verdict disagrees with AWS's own message.
    pub disagrees: bool,
}

/// The values of one flag split into those that select (`GLOB`) and those that leave out
/// (`!GLOB`).
fn split_negated(values: &[String], excluded: &[String]) -> (Vec<String>, Vec<String>) {
    let mut include = Vec::new();
    let mut exclude = excluded.to_vec();
    for v in values {
        match v.strip_prefix('!') {
            Some(rest) => exclude.push(rest.to_string()),
            None => include.push(v.clone()),
        }
    }
    (include, exclude)
}

/// One glob flag, compiled: the values that select, those that leave out, and (for the
/// hint) the selecting values widened to `*GLOB*`, with which of them matched anything.
#[derive(Debug, Default)]
struct Globs {
    flag: &'static str,
    typed: Vec<String>,
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
    widened: Option<GlobSet>,
    hit: Vec<AtomicBool>,
    widened_hit: Vec<AtomicBool>,
}

fn glob_set(
    flag: &'static str,
    values: &[String],
    case_insensitive: bool,
) -> Result<Option<GlobSet>, FilterError> {
    if values.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for v in values {
        let glob = GlobBuilder::new(v)
            .case_insensitive(case_insensitive)
            .literal_separator(false)
            .build()
            .map_err(|e| FilterError::Glob {
                flag,
                glob: v.clone(),
                reason: e.kind().to_string(),
            })?;
        set.add(glob);
    }
    set.build().map(Some).map_err(|e| FilterError::Glob {
        flag,
        glob: values.join(" "),
        reason: e.kind().to_string(),
    })
}

impl Globs {
    fn new(
        flag: &'static str,
        values: &[String],
        excluded: &[String],
        case_insensitive: bool,
    ) -> Result<Globs, FilterError> {
        let (include, exclude) = split_negated(values, excluded);
        // Widened only where it means something else: a value already `*...*` is itself.
        let widened: Vec<String> = include
            .iter()
            .map(|g| {
                let mut w = g.clone();
                if !w.starts_with('*') {
                    w.insert(0, '*');
                }
                if !w.ends_with('*') {
                    w.push('*');
                }
                w
            })
            .collect();
        Ok(Globs {
            flag,
            hit: include.iter().map(|_| AtomicBool::new(false)).collect(),
            widened_hit: include.iter().map(|_| AtomicBool::new(false)).collect(),
            include: glob_set(flag, &include, case_insensitive)?,
            exclude: glob_set(flag, &exclude, case_insensitive)?,
            widened: glob_set(flag, &widened, case_insensitive)?,
            typed: include,
        })
    }

    fn is_empty(&self) -> bool {
        self.include.is_none() && self.exclude.is_none()
    }

    fn note(flags: &[AtomicBool], matched: &[usize]) {
        for &i in matched {
            if let Some(f) = flags.get(i) {
                if !f.load(Ordering::Relaxed) {
                    f.store(true, Ordering::Relaxed);
                }
            }
        }
    }

    fn matches(&self, value: Option<&str>) -> bool {
        let Some(v) = value else {
            return self.include.is_none();
        };
        let selected = match &self.include {
            None => true,
            Some(set) => {
                let matched = set.matches(v);
                Self::note(&self.hit, &matched);
                if let Some(w) = &self.widened {
                    Self::note(&self.widened_hit, &w.matches(v));
                }
                !matched.is_empty()
            }
        };
        selected && !self.exclude.as_ref().is_some_and(|x| x.is_match(v))
    }

    /// A selecting glob that matched nothing, though `*GLOB*` would have.
    fn hints(&self, what: &str, out: &mut Vec<String>) {
        for (i, g) in self.typed.iter().enumerate() {
            let hit = |v: &[AtomicBool]| v.get(i).is_some_and(|b| b.load(Ordering::Relaxed));
            if !hit(&self.hit) && hit(&self.widened_hit) {
                out.push(format!(
                    "{} `{g}` matched no finding: a glob must match the whole {what}; `*{}*` would match some",
                    self.flag,
                    g.trim_matches('*')
                ));
            }
        }
    }
}

/// A compiled filter.
#[derive(Debug, Default)]
pub struct Filter {
    accounts: Vec<String>,
    principals: Globs,
    buckets: Globs,
    actions: Globs,
    causes: Vec<RootCause>,
    excluded_causes: Vec<RootCause>,
    source_ips: Vec<IpNet>,
    vpc_endpoints: Vec<String>,
    excluded_vpc_endpoints: Vec<String>,
    disagrees: bool,
    /// Rules that keep known noise out, counted ([`super::suppress`]).
    suppressions: Option<std::sync::Arc<dyn Noise>>,
}

/// A root cause as typed: any case, `-` for `_` (`Missing-Allow` is `missing_allow`).
fn cause(typed: &str) -> Result<RootCause, FilterError> {
    let word = typed.trim().to_ascii_lowercase().replace('-', "_");
    RootCause::parse(&word).ok_or_else(|| {
        let all: Vec<&str> = RootCause::ALL.iter().map(|c| c.as_str()).collect();
        FilterError::Cause(typed.to_string(), all.join(", "))
    })
}

impl Filter {
    /// Compiles a spec. `--principal` and `--bucket` are globs (`*` spans `/` and `:` so that
    /// `arn:aws:sts::*:assumed-role/Deployer/*` works); `--action` is a case-insensitive glob
    /// (`s3:Get*`), as IAM compares actions; `--cause` is case-insensitive.
    pub fn new(spec: &FilterSpec) -> Result<Filter, FilterError> {
        let (wanted, unwanted) = split_negated(&spec.causes, &[]);
        let causes = wanted.iter().map(|c| cause(c)).collect::<Result<_, _>>()?;
        let excluded_causes = unwanted
            .iter()
            .map(|c| cause(c))
            .collect::<Result<_, _>>()?;
        let mut source_ips = Vec::new();
        for s in &spec.source_ips {
            let net = s
                .parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| FilterError::Cidr(s.clone()))?;
            source_ips.push(net.trunc());
        }
        for a in &spec.accounts {
            if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                return Err(FilterError::Account(a.clone()));
            }
        }
        let (vpc_endpoints, excluded_vpc_endpoints) = split_negated(&spec.vpc_endpoints, &[]);
        Ok(Filter {
            accounts: spec.accounts.clone(),
            principals: Globs::new(
                "--principal",
                &spec.principals,
                &spec.exclude_principals,
                false,
            )?,
            buckets: Globs::new("--bucket", &spec.buckets, &spec.exclude_buckets, false)?,
            actions: Globs::new("--action", &spec.actions, &[], true)?,
            causes,
            excluded_causes,
            source_ips,
            vpc_endpoints,
            excluded_vpc_endpoints,
            disagrees: spec.disagrees,
            suppressions: None,
        })
    }

    /// The filter with suppression rules: what they select is left out and counted.
    pub fn with_suppressions(mut self, s: impl Noise + 'static) -> Filter {
        self.suppressions =
            (!s.is_empty()).then(|| std::sync::Arc::new(s) as std::sync::Arc<dyn Noise>);
        self
    }

    /// What each suppression rule kept out so far.
    pub fn suppressed(&self) -> Vec<Suppressed> {
        self.suppressions
            .as_ref()
            .map(|s| s.counts())
            .unwrap_or_default()
    }

    /// No filter at all: everything matches.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
            && self.principals.is_empty()
            && self.buckets.is_empty()
            && self.actions.is_empty()
            && self.causes.is_empty()
            && self.excluded_causes.is_empty()
            && self.source_ips.is_empty()
            && self.vpc_endpoints.is_empty()
            && self.excluded_vpc_endpoints.is_empty()
            && !self.disagrees
    }

    /// The accounts asked for, if any: a log file under `AWSLogs/<other account>/` can be
    /// skipped before it is opened (see `--account` in the help for what that implies).
    pub fn accounts(&self) -> &[String] {
        &self.accounts
    }

    /// Whether a finding is selected.
    pub fn matches(&self, f: &Finding) -> bool {
        let account_ok = self.accounts.is_empty()
            || self.accounts.iter().any(|a| {
                f.principal_account.as_deref() == Some(a.as_str())
                    || f.resource_account.as_deref() == Some(a.as_str())
            });
        let ip_ok = self.source_ips.is_empty()
            || f.source_ip
                .as_deref()
                .and_then(|ip| ip.parse::<IpAddr>().ok())
                .is_some_and(|ip| self.source_ips.iter().any(|n| n.contains(&ip)));
        let vpce = f.vpc_endpoint_id.as_deref();
        let vpce_ok = (self.vpc_endpoints.is_empty()
            || vpce.is_some_and(|v| self.vpc_endpoints.iter().any(|e| e == v)))
            && !vpce.is_some_and(|v| self.excluded_vpc_endpoints.iter().any(|e| e == v));
        let cause_ok = (self.causes.is_empty() || self.causes.contains(&f.root_cause))
            && !self.excluded_causes.contains(&f.root_cause);
        // Every glob flag is evaluated (no short cut), so that the hints see every finding.
        let principal_ok = self.principals.matches(f.principal_arn.as_deref());
        let bucket_ok = self.buckets.matches(f.bucket.as_deref());
        let action_ok = self.actions.matches(f.action.as_deref());
        let disagrees_ok = !self.disagrees || f.disagrees_with_aws == Some(true);
        account_ok
            && ip_ok
            && vpce_ok
            && cause_ok
            && principal_ok
            && bucket_ok
            && action_ok
            && disagrees_ok
            // Last, so that a rule counts only what the other filters let through.
            && !self.suppressions.as_ref().is_some_and(|s| s.suppresses(f))
    }

    /// After the findings went through [`Filter::matches`]: each glob that matched none of
    /// them though `*GLOB*` would have, as a sentence for stderr.
    pub fn hints(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.principals.hints("ARN", &mut out);
        self.buckets.hints("bucket name", &mut out);
        self.actions.hints("action name", &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> Finding {
        Finding {
            event_id: "e".into(),
            principal_arn: Some("arn:aws:sts::111122223333:assumed-role/Deployer/ci-42".into()),
            principal_account: Some("111122223333".into()),
            resource_account: Some("444455556666".into()),
            bucket: Some("prod-logs".into()),
            action: Some("s3:GetObject".into()),
            source_ip: Some("10.1.2.3".into()),
            vpc_endpoint_id: Some("vpce-1a2b".into()),
            root_cause: RootCause::Scp,
            ..Default::default()
        }
    }

    fn filter(f: impl FnOnce(&mut FilterSpec)) -> Filter {
        let mut spec = FilterSpec::default();
        f(&mut spec);
        Filter::new(&spec).unwrap()
    }

    /// `--disagrees` lists the findings whose verdict AWS's message contradicts (issue 20).
    #[test]
    fn disagrees_selects_the_findings_aws_contradicts() {
        let only = filter(|s| s.disagrees = true);
        let mut f = finding();
        f.disagrees_with_aws = Some(true);
        assert!(only.matches(&f));
        f.disagrees_with_aws = Some(false);
        assert!(!only.matches(&f));
        f.disagrees_with_aws = None;
        assert!(!only.matches(&f));
        assert!(filter(|_| {}).matches(&f));
    }

    #[test]
    fn empty_filter_matches_everything() {
        assert!(Filter::default().matches(&finding()));
        assert!(Filter::default().matches(&Finding::default()));
    }

    #[test]
    fn principal_glob_spans_path_and_colon() {
        let f = filter(|s| s.principals = vec!["arn:aws:sts::*:assumed-role/Deployer/*".into()]);
        assert!(f.matches(&finding()));
        let f = filter(|s| s.principals = vec!["*:user/*".into()]);
        assert!(!f.matches(&finding()));
    }

    #[test]
    fn account_matches_caller_or_bucket_owner() {
        assert!(filter(|s| s.accounts = vec!["444455556666".into()]).matches(&finding()));
        assert!(filter(|s| s.accounts = vec!["111122223333".into()]).matches(&finding()));
        assert!(!filter(|s| s.accounts = vec!["999999999999".into()]).matches(&finding()));
        assert!(Filter::new(&FilterSpec {
            accounts: vec!["12".into()],
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn source_ip_is_a_cidr_or_an_address() {
        assert!(filter(|s| s.source_ips = vec!["10.0.0.0/8".into()]).matches(&finding()));
        assert!(filter(|s| s.source_ips = vec!["10.1.2.3".into()]).matches(&finding()));
        assert!(!filter(|s| s.source_ips = vec!["192.168.0.0/16".into()]).matches(&finding()));
        // An AWS service's "source IP" is a host name: it is in no CIDR.
        let mut svc = finding();
        svc.source_ip = Some("config.amazonaws.com".into());
        assert!(!filter(|s| s.source_ips = vec!["0.0.0.0/0".into()]).matches(&svc));
        assert!(Filter::new(&FilterSpec {
            source_ips: vec!["10.0.0.0/33".into()],
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn action_is_case_insensitive_and_cause_bucket_vpce_select() {
        assert!(filter(|s| s.actions = vec!["S3:get*".into()]).matches(&finding()));
        assert!(!filter(|s| s.actions = vec!["s3:Put*".into()]).matches(&finding()));
        assert!(filter(|s| s.causes = vec!["scp".into(), "kms".into()]).matches(&finding()));
        assert!(!filter(|s| s.causes = vec!["kms".into()]).matches(&finding()));
        assert!(filter(|s| s.buckets = vec!["prod-*".into()]).matches(&finding()));
        assert!(!filter(|s| s.buckets = vec!["dev-*".into()]).matches(&finding()));
        assert!(filter(|s| s.vpc_endpoints = vec!["vpce-1a2b".into()]).matches(&finding()));
        let mut no_vpce = finding();
        no_vpce.vpc_endpoint_id = None;
        assert!(!filter(|s| s.vpc_endpoints = vec!["vpce-1a2b".into()]).matches(&no_vpce));
        assert!(Filter::new(&FilterSpec {
            causes: vec!["nope".into()],
            ..Default::default()
        })
        .is_err());
    }

    /// `!` leaves out, across the glob flags, --cause and --vpc-endpoint; --exclude-* too.
    #[test]
    fn negation_leaves_out_what_it_matches() {
        assert!(
            !filter(|s| s.principals = vec!["!*:assumed-role/Deployer/*".into()])
                .matches(&finding())
        );
        assert!(filter(|s| s.principals = vec!["!*:user/*".into()]).matches(&finding()));
        assert!(!filter(|s| s.exclude_principals = vec!["*Deployer*".into()]).matches(&finding()));
        assert!(!filter(|s| s.exclude_buckets = vec!["prod-*".into()]).matches(&finding()));
        assert!(!filter(|s| s.buckets = vec!["*".into(), "!prod-*".into()]).matches(&finding()));
        assert!(!filter(|s| s.causes = vec!["!scp".into()]).matches(&finding()));
        assert!(filter(|s| s.causes = vec!["!kms".into()]).matches(&finding()));
        assert!(!filter(|s| s.vpc_endpoints = vec!["!vpce-1a2b".into()]).matches(&finding()));
        // A finding without the field is not left out by a `!` value.
        assert!(filter(|s| s.exclude_buckets = vec!["*".into()]).matches(&Finding::default()));
    }

    #[test]
    fn cause_is_case_insensitive() {
        assert!(filter(|s| s.causes = vec!["SCP".into()]).matches(&finding()));
        let mut f = finding();
        f.root_cause = RootCause::MissingAllow;
        assert!(filter(|s| s.causes = vec!["Missing-Allow".into()]).matches(&f));
    }

    /// A glob must match the whole value: `Deployer` alone matches no ARN, and the hint says
    /// `*Deployer*` would.
    #[test]
    fn a_glob_that_matched_only_as_a_part_gets_a_hint() {
        let f = filter(|s| s.principals = vec!["Deployer".into(), "nobody".into()]);
        assert!(!f.matches(&finding()));
        let hints = f.hints();
        assert_eq!(hints.len(), 1, "{hints:?}");
        assert!(hints[0].contains("`*Deployer*`"), "{hints:?}");
        let f = filter(|s| s.principals = vec!["*Deployer*".into()]);
        assert!(f.matches(&finding()));
        assert!(f.hints().is_empty());
    }

    #[test]
    fn a_bad_glob_is_named_once() {
        let e = Filter::new(&FilterSpec {
            principals: vec!["[x".into()],
            ..Default::default()
        })
        .map(|_| ())
        .unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("--principal `[x` is not a glob"), "{text}");
        assert!(std::error::Error::source(&e).is_none());
    }
}
