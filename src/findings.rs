//! The per-event verdict: one [`Finding`] per denied S3 event, exactly the row that
//! `../shared/spec/FINDINGS.md` defines. `diagnose` makes them, `report` folds them, and
//! `analyze --format jsonl` prints them; other tools read these field names, so the struct's
//! field order *is* the contract's order (serde keeps declaration order).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares [`RootCause`] from one list of `Variant => "word"` lines, so that the enum, its
/// word and [`RootCause::ALL`] cannot drift apart: a new cause is one line here.
macro_rules! root_causes {
    ($( $(#[$meta:meta])* $variant:ident => $word:literal, )+) => {
        /// Root-cause words of FINDINGS.md. Kept exhaustive on purpose: a new cause must break
        /// every `match` in `diagnose` and `report` until it is handled.
        #[derive(
            Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize,
            Deserialize,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum RootCause {
            $( $(#[$meta])* $variant, )+
        }

        impl RootCause {
            /// Every cause, in declaration order (the report's stable order).
            pub const ALL: &'static [RootCause] = &[$( RootCause::$variant, )+];

            /// The word as FINDINGS.md writes it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( RootCause::$variant => $word, )+
                }
            }
        }
    };
}

root_causes! {
    ExplicitDeny => "explicit_deny",
    MissingAllow => "missing_allow",
    Scp => "scp",
    Rcp => "rcp",
    VpcEndpoint => "vpc_endpoint",
    /// An S3 access point (or Multi-Region Access Point) refused the request: its policy or
    /// its VPC network origin.
    AccessPoint => "access_point",
    PermissionsBoundary => "permissions_boundary",
    SessionPolicy => "session_policy",
    Kms => "kms",
    ObjectOwnership => "object_ownership",
    BlockPublicAccess => "block_public_access",
    RequesterPays => "requester_pays",
    BlockedEncryptionType => "blocked_encryption_type",
    ObjectLock => "object_lock",
    ObjectNotFound => "object_not_found",
    RequestError => "request_error",
    #[default]
    Unknown => "unknown",
}

impl RootCause {
    pub fn parse(s: &str) -> Option<RootCause> {
        RootCause::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for RootCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyType {
    Explicit,
    Implicit,
}

/// `policy_type` words of FINDINGS.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyType {
    Identity,
    Resource,
    Scp,
    Rcp,
    VpcEndpoint,
    AccessPoint,
    PermissionsBoundary,
    SessionPolicy,
    KmsKey,
}

impl PolicyType {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity",
            PolicyType::Resource => "resource",
            PolicyType::Scp => "scp",
            PolicyType::Rcp => "rcp",
            PolicyType::VpcEndpoint => "vpc_endpoint",
            PolicyType::AccessPoint => "access_point",
            PolicyType::PermissionsBoundary => "permissions_boundary",
            PolicyType::SessionPolicy => "session_policy",
            PolicyType::KmsKey => "kms_key",
        }
    }
}

/// Who the caller is relative to the bucket: what separates noise (scanners, service
/// crawlers) from the organization's own misconfigured workloads in a report.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum CallerClass {
    /// Unauthenticated internet caller.
    Anonymous,
    /// An AWS service acting on its own (Config, Macie, Access Analyzer, ...).
    AwsService,
    /// A principal of the bucket's own account.
    SameAccount,
    /// Another account of the same organization (per the snapshot).
    Organization,
    /// An account outside the organization.
    External,
    /// Not enough information (no snapshot, hidden bucket owner).
    #[default]
    Unknown,
}

impl CallerClass {
    pub fn as_str(self) -> &'static str {
        match self {
            CallerClass::Anonymous => "anonymous",
            CallerClass::AwsService => "aws_service",
            CallerClass::SameAccount => "same_account",
            CallerClass::Organization => "organization",
            CallerClass::External => "external",
            CallerClass::Unknown => "unknown",
        }
    }
}

/// One other failing layer, listed under `also`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlsoFailing {
    pub root_cause: RootCause,
    pub deny_type: Option<DenyType>,
    pub policy_type: Option<PolicyType>,
    pub policy_id: Option<String>,
}

/// One row of FINDINGS.md. Field order is the contract's; `null` for what does not apply,
/// never absent. The fields after `aws_authorization_id` are extras the contract allows.
/// Read back (`report`), a field a line lacks (a file from an earlier version, or another
/// tool's) is empty; only `event_id` is required (checked by the reader).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Finding {
    pub event_id: String,
    pub event_time: Option<String>,
    pub event_name: Option<String>,
    pub action: Option<String>,
    pub principal_arn: Option<String>,
    pub principal_account: Option<String>,
    pub resource_account: Option<String>,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub resource_arn: Option<String>,
    pub source_ip: Option<String>,
    pub vpc_endpoint_id: Option<String>,
    pub user_agent: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub root_cause: RootCause,
    pub deny_type: Option<DenyType>,
    pub policy_type: Option<PolicyType>,
    pub policy_id: Option<String>,
    pub statement_sid: Option<String>,
    pub reason: Option<String>,
    pub remediation: Option<String>,
    pub also: Vec<AlsoFailing>,
    pub disagrees_with_aws: Option<bool>,
    /// The `eventID` of the change event in the logs that introduced the deciding Deny,
    /// removed the deciding Allow or changed the deciding setting, when the state just before
    /// it would have allowed the request (`diagnose::timed`); else `null`.
    pub started_by: Option<String>,
    /// The authorization id AWS's message gives for IAM's access troubleshooter
    /// (`GetRequestAuthorizationDetails`), else `null`.
    pub aws_authorization_id: Option<String>,
    /// `taken_at` of the snapshot the verdict was made with (SNAPSHOT.md), so a reader can
    /// judge drift between the event and the snapshot.
    pub snapshot_taken_at: Option<String>,
    /// Where the record came from: file path or `s3://bucket/key`, and its index in it.
    pub source_object: Option<String>,
    pub record_index: Option<u64>,
    /// The caller relative to the bucket (report grouping: noise vs own workloads).
    pub caller_class: CallerClass,
}

#[cfg(test)]
mod root_cause_tests {
    use super::RootCause;

    /// The serde word (what jsonl carries) and `as_str` (what reports and `--cause` use) are
    /// one word per cause, and `parse` reads it back.
    #[test]
    fn every_cause_has_one_word() {
        for c in RootCause::ALL {
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(RootCause::parse(c.as_str()), Some(*c));
        }
        assert_eq!(RootCause::ALL.len(), 17);
    }
}
