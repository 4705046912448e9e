//! Forensics filters: which findings a report or a timeline is about. One [`Filter`] serves
//! `analyze` and `report`, so the same flags select the same events whether they come from
//! logs or from a saved findings file.
//!
//! Within one flag the values are alternatives (`--account A --account B`: either); across
//! flags all must hold. A finding that lacks the field a filter asks about does not match it
//! (an event without `vpcEndpointId` is not "through vpce-1").

use crate::findings::{Finding, RootCause};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use ipnet::IpNet;
use std::net::IpAddr;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum FilterError {
    #[error("--principal `{glob}`: {source}")]
    Glob {
        glob: String,
        #[source]
        source: globset::Error,
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
}

/// A compiled filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    accounts: Vec<String>,
    principals: Option<GlobSet>,
    buckets: Option<GlobSet>,
    actions: Option<GlobSet>,
    causes: Vec<RootCause>,
    source_ips: Vec<IpNet>,
    vpc_endpoints: Vec<String>,
}

fn globs(
    values: &[String],
    case_insensitive: bool,
    literal_separator: bool,
) -> Result<Option<GlobSet>, FilterError> {
    if values.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for v in values {
        let glob = GlobBuilder::new(v)
            .case_insensitive(case_insensitive)
            .literal_separator(literal_separator)
            .build()
            .map_err(|source| FilterError::Glob {
                glob: v.clone(),
                source,
            })?;
        set.add(glob);
    }
    set.build().map(Some).map_err(|source| FilterError::Glob {
        glob: values.join(" "),
        source,
    })
}

impl Filter {
    /// Compiles a spec. `--principal` and `--bucket` are globs (`*` spans `/` and `:` so that
    /// `arn:aws:sts::*:assumed-role/Deployer/*` works); `--action` is a case-insensitive glob
    /// (`s3:Get*`), as IAM compares actions.
    pub fn new(spec: &FilterSpec) -> Result<Filter, FilterError> {
        let mut causes = Vec::new();
        for c in &spec.causes {
            let cause = RootCause::parse(c).ok_or_else(|| {
                let all: Vec<&str> = RootCause::ALL.iter().map(|c| c.as_str()).collect();
                FilterError::Cause(c.clone(), all.join(", "))
            })?;
            causes.push(cause);
        }
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
        Ok(Filter {
            accounts: spec.accounts.clone(),
            principals: globs(&spec.principals, false, false)?,
            buckets: globs(&spec.buckets, false, false)?,
            actions: globs(&spec.actions, true, false)?,
            causes,
            source_ips,
            vpc_endpoints: spec.vpc_endpoints.clone(),
        })
    }

    /// No filter at all: everything matches.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
            && self.principals.is_none()
            && self.buckets.is_none()
            && self.actions.is_none()
            && self.causes.is_empty()
            && self.source_ips.is_empty()
            && self.vpc_endpoints.is_empty()
    }

    /// The accounts asked for, if any: a log file under `AWSLogs/<other account>/` can be
    /// skipped before it is opened (see `--account` in the help for what that implies).
    pub fn accounts(&self) -> &[String] {
        &self.accounts
    }

    fn glob_match(set: &Option<GlobSet>, value: Option<&str>) -> bool {
        match set {
            None => true,
            Some(set) => value.is_some_and(|v| set.is_match(v)),
        }
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
        let vpce_ok = self.vpc_endpoints.is_empty()
            || f.vpc_endpoint_id
                .as_deref()
                .is_some_and(|v| self.vpc_endpoints.iter().any(|e| e == v));
        account_ok
            && ip_ok
            && vpce_ok
            && (self.causes.is_empty() || self.causes.contains(&f.root_cause))
            && Self::glob_match(&self.principals, f.principal_arn.as_deref())
            && Self::glob_match(&self.buckets, f.bucket.as_deref())
            && Self::glob_match(&self.actions, f.action.as_deref())
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
}
