//! The loaded snapshot's data, one type per AWS thing. Every piece that a file might not have
//! captured is a [`Known`]: `Unknown(reason)` is never read as "empty".

/// Its own module, so that `access_points` (which `model` holds) need not import `model`.
pub use super::public_access_block::PublicAccessBlock;
use crate::policy::{Known, PolicyRef};
use std::collections::{BTreeMap, HashMap};

/// One account folder (`accounts/<id>/`).
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    /// From `iam.json`; unknown when the file is absent or malformed.
    pub iam: Known<Iam>,
    /// `canonical-id.json`'s `ID` (the account's S3 canonical user id).
    pub canonical_id: Known<String>,
    /// Account-level Block Public Access (`s3control/public-access-block.json`);
    /// `Known(None)` when the account has none configured.
    pub public_access_block: Known<Option<PublicAccessBlock>>,
    pub buckets: BTreeMap<String, Bucket>,
    /// KMS keys by key id (`kms/<key-id>.json`).
    pub kms_keys: BTreeMap<String, KmsKey>,
    /// `ec2/vpc-endpoints.json`; unknown when absent.
    pub vpc_endpoints: Known<Vec<VpcEndpoint>>,
    /// `s3control/access-points/` and `s3control/mrap/`.
    pub access_points: super::access_points::AccessPoints,
}

/// `get-account-authorization-details`, indexed.
#[derive(Debug, Clone, Default)]
pub struct Iam {
    pub users: Vec<IamUser>,
    pub groups: Vec<IamGroup>,
    pub roles: Vec<IamRole>,
    /// Managed policies by ARN (customer and AWS managed, as far as the file lists them).
    pub policies: HashMap<String, ManagedPolicy>,
    pub(crate) user_by_name: HashMap<String, usize>,
    pub(crate) group_by_name: HashMap<String, usize>,
    pub(crate) role_by_name: HashMap<String, usize>,
}

impl Iam {
    pub fn user(&self, name: &str) -> Option<&IamUser> {
        self.user_by_name.get(name).and_then(|&i| self.users.get(i))
    }
    pub fn group(&self, name: &str) -> Option<&IamGroup> {
        self.group_by_name
            .get(name)
            .and_then(|&i| self.groups.get(i))
    }
    /// Role names are unique in an account whatever their path, which is what lets a session
    /// ARN (`assumed-role/<name>/<session>`, no path) find its role.
    pub fn role(&self, name: &str) -> Option<&IamRole> {
        self.role_by_name.get(name).and_then(|&i| self.roles.get(i))
    }
}

#[derive(Debug, Clone)]
pub struct IamUser {
    pub name: String,
    /// The unique id (`AIDA…`), what a cross-account record's `principalId` shows.
    pub id: String,
    pub arn: String,
    pub path: String,
    pub groups: Vec<String>,
    pub inline: Vec<PolicyRef>,
    /// ARNs of attached managed policies.
    pub attached: Vec<String>,
    /// ARN of the permissions boundary's managed policy.
    pub boundary: Option<String>,
    pub tags: Vec<(String, String)>,
    /// Set when one of its inline documents could not be loaded: its permissions are then
    /// unknown, never "without that policy".
    pub broken: Option<String>,
}

#[derive(Debug, Clone)]
pub struct IamGroup {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub inline: Vec<PolicyRef>,
    pub attached: Vec<String>,
    pub broken: Option<String>,
}

#[derive(Debug, Clone)]
pub struct IamRole {
    pub name: String,
    /// The unique id (`AROA…`).
    pub id: String,
    pub arn: String,
    pub path: String,
    pub inline: Vec<PolicyRef>,
    pub attached: Vec<String>,
    pub boundary: Option<String>,
    pub tags: Vec<(String, String)>,
    /// The trust policy (`AssumeRolePolicyDocument`).
    pub trust: Option<PolicyRef>,
    pub broken: Option<String>,
}

impl IamRole {
    /// Service-linked roles live under `/aws-service-role/`; SCPs and RCPs do not restrict them.
    pub fn is_service_linked(&self) -> bool {
        self.path.starts_with("/aws-service-role/")
    }
}

#[derive(Debug, Clone)]
pub struct ManagedPolicy {
    pub arn: String,
    pub name: String,
    /// The default version's document; unknown when the file lists the policy without it.
    pub default_version: Known<PolicyRef>,
}

/// One bucket folder (`s3/<bucket>/`). The bucket belongs to the account whose folder holds it.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub name: String,
    pub account: String,
    /// Region from `location.json` (`null` constraint = `us-east-1`, `EU` = `eu-west-1`).
    pub region: Known<String>,
    /// `Known(None)`: the bucket has no policy (`{"Policy": null}`).
    pub policy: Known<Option<PolicyRef>>,
    pub ownership: Known<Option<ObjectOwnership>>,
    pub public_access_block: Known<Option<PublicAccessBlock>>,
    pub encryption: Known<Option<BucketEncryption>>,
    pub request_payment: Known<Payer>,
    pub acl: Known<Acl>,
    pub objects: Known<ObjectListing>,
    /// The bucket policy with the bucket ACL's grants appended ([`super::acl_grants`]), set
    /// when the snapshot is indexed; `None` when the ACL adds nothing to the policy.
    pub resource_grants: Option<Known<Option<PolicyRef>>>,
    /// Captured object ACLs (`object-acls/`, [`super::object_acls`]) by key and version id
    /// (`None`: the current version); an object not in it has an unknown ACL.
    pub object_acls: BTreeMap<(String, Option<String>), Acl>,
    /// `object-lock.json` (get-object-lock-configuration); `Known(None)`: Object Lock is not
    /// enabled on the bucket.
    pub object_lock: Known<Option<ObjectLockConfig>>,
}

/// `get-object-lock-configuration`: Object Lock is on, and the default retention S3 gives to
/// each new object version when the PUT names none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectLockConfig {
    pub default_retention: Option<DefaultRetention>,
}

/// `Rule.DefaultRetention`: a mode and a period in days or years.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultRetention {
    pub mode: RetentionMode,
    /// The period in days (`Years` converted at 365 days, the shortest year: a retention that
    /// is still running by this count is running by any count).
    pub days: u32,
    /// The period as the file writes it (`3 days`, `1 years`).
    pub as_written: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionMode {
    Governance,
    Compliance,
}

/// The Object Ownership setting (`API_OwnershipControlsRule`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectOwnership {
    BucketOwnerEnforced,
    BucketOwnerPreferred,
    ObjectWriter,
    /// A value this version does not know, kept verbatim.
    Other(String),
}

/// Default encryption (the first rule of `ServerSideEncryptionConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketEncryption {
    /// `AES256`, `aws:kms`, `aws:kms:dsse`.
    pub algorithm: String,
    /// `KMSMasterKeyID` as written (key id, key ARN or alias).
    pub kms_key_id: Option<String>,
    pub bucket_key_enabled: bool,
    /// `Rules[].BlockedEncryptionTypes.EncryptionType` (`SSE-C`; `NONE` is left out): the
    /// encryption types S3 refuses on writes to the bucket.
    pub blocked_types: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payer {
    BucketOwner,
    Requester,
}

/// `get-bucket-acl`: owner and grants.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Acl {
    pub owner_id: Option<String>,
    pub grants: Vec<AclGrant>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclGrant {
    pub grantee: Grantee,
    /// `FULL_CONTROL`, `READ`, `WRITE`, `READ_ACP`, `WRITE_ACP`.
    pub permission: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    CanonicalUser(String),
    /// `http://acs.amazonaws.com/groups/global/AllUsers`, `.../AuthenticatedUsers`, ...
    Group(String),
    Email(String),
    Other(String),
}

/// `list-objects-v2 --fetch-owner`: the keys listed and their owners' canonical ids.
#[derive(Debug, Clone, Default)]
pub struct ObjectListing {
    pub objects: HashMap<String, ObjectEntry>,
    /// The listing covers every key under `prefix` (no continuation token, not truncated), so
    /// a key under it that is not listed did not exist when the snapshot was taken.
    pub complete: bool,
    pub prefix: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEntry {
    pub owner_id: Option<String>,
    pub size: Option<u64>,
    /// `LastModified` (RFC 3339): when the listed version was written.
    pub last_modified: Option<String>,
}

/// `kms/<key-id>.json`.
#[derive(Debug, Clone)]
pub struct KmsKey {
    pub key_id: String,
    pub arn: String,
    pub account: String,
    /// `CUSTOMER` or `AWS` (RCPs do not apply to AWS managed keys).
    pub key_manager: Option<String>,
    pub key_state: Option<String>,
    /// Aliases listed beside the key (`Aliases`, an extension of the file; see `kms.rs`).
    pub aliases: Vec<String>,
    pub policy: Known<PolicyRef>,
}

/// One VPC endpoint of `describe-vpc-endpoints`.
#[derive(Debug, Clone)]
pub struct VpcEndpoint {
    pub id: String,
    pub vpc_id: Option<String>,
    pub owner: Option<String>,
    pub service_name: Option<String>,
    pub endpoint_type: Option<String>,
    /// `ServiceRegion`: the Region of the service an interface endpoint connects to, which may
    /// be another Region than the endpoint's own (cross-Region PrivateLink).
    pub service_region: Option<String>,
    /// The endpoint policy; unknown when the file lacks `PolicyDocument`.
    pub policy: Known<PolicyRef>,
}
