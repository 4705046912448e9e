//! The shared answer of the S3 rules outside the IAM policy layers (Block Public Access,
//! object ownership, Requester Pays, KMS, missing object): each rule either explains the
//! denial, is clear, or cannot tell because the snapshot lacks something.

use crate::findings::{DenyType, PolicyType, RootCause};

/// One S3 rule's answer for one request.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleOutcome {
    /// The rule explains the denial.
    Fires(RuleHit),
    /// The rule does not apply or is satisfied.
    Clear,
    /// The rule could explain it, but the snapshot lacks what decides (the string says what).
    Unknown(String),
}

/// What a firing rule reports.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleHit {
    pub root_cause: RootCause,
    pub deny_type: Option<DenyType>,
    pub policy_type: Option<PolicyType>,
    pub policy_id: Option<String>,
    pub statement_sid: Option<String>,
    /// The end of the reason sentence: "... because <detail>".
    pub detail: String,
    /// A hint for the remediation text (`acl` for an ignored public ACL, ...).
    pub fix_hint: Option<&'static str>,
}

impl RuleHit {
    /// A hit outside IAM policy evaluation (`deny_type`/`policy_type` null, as FINDINGS.md says).
    pub fn setting(root_cause: RootCause, detail: String) -> RuleHit {
        RuleHit {
            root_cause,
            deny_type: None,
            policy_type: None,
            policy_id: None,
            statement_sid: None,
            detail,
            fix_hint: None,
        }
    }
}
