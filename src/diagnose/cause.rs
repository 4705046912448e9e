//! One cause of a denial, whoever found it: a policy layer ([`super::decide`]) or an S3 rule
//! ([`super::rules`]). The finding's primary cause and each `also` entry are one of these.

use crate::findings::{AlsoFailing, DenyType, PolicyType, RootCause};
use crate::policy::Layer;

/// Which fix a cause needs beyond what its fields say (the remediation text reads it; the
/// primary-cause choice reads [`Fix::PublicAcl`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fix {
    /// The fix follows from the root cause, policy type and ids.
    #[default]
    Standard,
    /// Block Public Access: a public bucket policy's grant was blocked.
    PublicPolicy,
    /// Block Public Access: a public ACL grant was ignored (IgnorePublicAcls).
    PublicAcl,
    /// Block Public Access: BlockPublicAcls refused a write carrying a public ACL.
    BlockedAclWrite,
    /// Block Public Access: BlockPublicPolicy refused a public bucket policy.
    BlockedPolicyWrite,
    /// Access point: its VPC network origin refused a request from elsewhere (the cause's
    /// `detail` says why).
    AccessPointNetwork,
    /// Object Lock: compliance retention (nobody can shorten it or delete the version).
    LockCompliance,
    /// Object Lock: governance retention (a caller with s3:BypassGovernanceRetention can send
    /// the bypass header).
    LockGovernance,
    /// Object Lock: a legal hold on the version.
    LegalHold,
}

/// One cause, in the contract's words.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    pub root_cause: RootCause,
    pub deny_type: Option<DenyType>,
    pub policy_type: Option<PolicyType>,
    pub policy_id: Option<String>,
    pub statement_sid: Option<String>,
    /// The engine layer a policy cause came from (`None` for an S3 rule).
    pub layer: Option<Layer>,
    /// The end of the reason sentence ("... because <detail>") of an S3 rule; a policy
    /// layer's is worded from the layer when the finding is filled (it depends on the account
    /// relation and the bucket).
    pub detail: String,
    pub fix: Fix,
}

impl Cause {
    /// A cause outside IAM policy evaluation (`deny_type`/`policy_type` null, as FINDINGS.md
    /// says).
    pub fn setting(root_cause: RootCause, detail: String) -> Cause {
        Cause {
            root_cause,
            deny_type: None,
            policy_type: None,
            policy_id: None,
            statement_sid: None,
            layer: None,
            detail,
            fix: Fix::Standard,
        }
    }

    /// The cause as an `also` entry of the finding.
    pub fn also(&self) -> AlsoFailing {
        AlsoFailing {
            root_cause: self.root_cause,
            deny_type: self.deny_type,
            policy_type: self.policy_type,
            policy_id: self.policy_id.clone(),
        }
    }
}
