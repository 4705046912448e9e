//! S3 API (CloudTrail `eventName`) → IAM action, the whole table.
//!
//! S3's API names are not its IAM action names: `ListObjectsV2` needs `s3:ListBucket`,
//! `HeadObject` needs `s3:GetObject`, `DeleteBucketEncryption` needs
//! `s3:PutEncryptionConfiguration`, a version-specific call needs the `…Version…` action.
//! Source: "Required permissions for Amazon S3 API operations"
//! (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html)
//! and the Service Authorization Reference for Amazon S3. Where CloudTrail logs a bucket
//! configuration call under another name than the API's (`GetBucketPublicAccessBlock` for
//! `GetPublicAccessBlock`, `PutBucketLifecycle` for `PutBucketLifecycleConfiguration`, ...),
//! both names are listed. A name missing here is reported as unmapped: never guessed.
//!
//! The calls that need more than one action are assembled in `request.rs`: the copy source of
//! CopyObject/UploadPartCopy and the ACL/tagging headers there, and from this module the
//! actions every call of an operation needs besides its main one ([`extra_actions`]:
//! GetObjectAttributes, "If you do not pass a version ID in your request, you need the
//! s3:GetObject and s3:GetObjectAttributes permissions"; with one, "both the
//! s3:GetObjectVersion and s3:GetObjectVersionAttributes permissions", API_GetObjectAttributes)
//! and the actions a header adds ([`header_actions`]: Object Lock headers on a write,
//! `x-amz-object-ownership` and `x-amz-bucket-object-lock-enabled` on CreateBucket; Service
//! Authorization Reference, "Actions, resources, and condition keys for Amazon S3", table "API
//! operations defined by Amazon S3", which lists for CopyObject "s3:GetObject,
//! s3:GetObjectVersion, s3:PutObject, s3:PutObjectAcl, s3:PutObjectLegalHold,
//! s3:PutObjectRetention, s3:PutObjectTagging").
//!
//! `ListBuckets` needs `s3:ListAllMyBuckets` on `*` ([`Target::Any`]): no bucket, so no bucket
//! policy and no resource account to take RCPs from ("For these permissions, you set the
//! `Resource` value to "*"", using-with-s3-actions.html).
//!
//! [`S3_API_OPERATIONS`] is the S3 API Reference's list of Amazon S3 actions
//! (API_Operations_Amazon_Simple_Storage_Service.html); every name maps here except the
//! directory-bucket and Object Lambda operations of [`NOT_GENERAL_PURPOSE`], which CloudTrail
//! logs under another event source (`s3express.amazonaws.com`, `s3-object-lambda`) and whose
//! resources are not `arn:aws:s3:::` ARNs.

/// What the action's `Resource` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `arn:aws:s3:::bucket`
    Bucket,
    /// `arn:aws:s3:::bucket/key`
    Object,
    /// `*` (ListBuckets, account-level Block Public Access)
    Any,
}

/// The IAM action of one S3 API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct S3Action {
    pub action: &'static str,
    pub target: Target,
    /// The action required instead when the request names a `versionId`.
    pub versioned: Option<&'static str>,
}

const fn obj(action: &'static str, versioned: Option<&'static str>) -> S3Action {
    S3Action {
        action,
        target: Target::Object,
        versioned,
    }
}

const fn bkt(action: &'static str) -> S3Action {
    S3Action {
        action,
        target: Target::Bucket,
        versioned: None,
    }
}

const fn any(action: &'static str) -> S3Action {
    S3Action {
        action,
        target: Target::Any,
        versioned: None,
    }
}

/// The IAM action of an S3 `eventName`, or `None` when the name is not in the table.
pub fn s3_action(event_name: &str) -> Option<S3Action> {
    Some(match event_name {
        // --- objects
        "GetObject" | "HeadObject" | "SelectObjectContent" => {
            obj("s3:GetObject", Some("s3:GetObjectVersion"))
        }
        "GetObjectAttributes" => obj(
            "s3:GetObjectAttributes",
            Some("s3:GetObjectVersionAttributes"),
        ),
        "GetObjectAcl" => obj("s3:GetObjectAcl", Some("s3:GetObjectVersionAcl")),
        "PutObjectAcl" => obj("s3:PutObjectAcl", Some("s3:PutObjectVersionAcl")),
        "GetObjectTagging" => obj("s3:GetObjectTagging", Some("s3:GetObjectVersionTagging")),
        "PutObjectTagging" => obj("s3:PutObjectTagging", Some("s3:PutObjectVersionTagging")),
        "DeleteObjectTagging" => obj(
            "s3:DeleteObjectTagging",
            Some("s3:DeleteObjectVersionTagging"),
        ),
        "GetObjectTorrent" => obj("s3:GetObjectTorrent", Some("s3:GetObjectVersionTorrent")),
        "GetObjectLegalHold" => obj("s3:GetObjectLegalHold", None),
        "PutObjectLegalHold" => obj("s3:PutObjectLegalHold", None),
        "GetObjectRetention" => obj("s3:GetObjectRetention", None),
        "PutObjectRetention" => obj("s3:PutObjectRetention", None),
        "PutObject"
        | "PostObject"
        | "CreateMultipartUpload"
        | "UploadPart"
        | "CompleteMultipartUpload" => obj("s3:PutObject", None),
        "DeleteObject" => obj("s3:DeleteObject", Some("s3:DeleteObjectVersion")),
        // The keys are not logged (request.rs says so); versions deleted need the version action.
        "DeleteObjects" => obj("s3:DeleteObject", Some("s3:DeleteObjectVersion")),
        "RestoreObject" => obj("s3:RestoreObject", None),
        "AbortMultipartUpload" => obj("s3:AbortMultipartUpload", None),
        "ListParts" => obj("s3:ListMultipartUploadParts", None),
        // CopyObject/UploadPartCopy: s3:PutObject on the target here, plus s3:GetObject on the
        // source (request.rs).
        "CopyObject" | "UploadPartCopy" => obj("s3:PutObject", None),

        // --- listing
        "ListBuckets" => any("s3:ListAllMyBuckets"),
        "HeadBucket" | "ListObjects" | "ListObjectsV2" => bkt("s3:ListBucket"),
        "ListObjectVersions" => bkt("s3:ListBucketVersions"),
        "ListMultipartUploads" => bkt("s3:ListBucketMultipartUploads"),

        // --- bucket lifecycle and location
        "CreateBucket" => bkt("s3:CreateBucket"),
        "DeleteBucket" => bkt("s3:DeleteBucket"),
        "GetBucketLocation" => bkt("s3:GetBucketLocation"),

        // --- bucket configuration (Delete* needs the Put* action unless noted)
        "GetBucketAcl" => bkt("s3:GetBucketAcl"),
        "PutBucketAcl" => bkt("s3:PutBucketAcl"),
        "GetBucketPolicy" => bkt("s3:GetBucketPolicy"),
        "PutBucketPolicy" => bkt("s3:PutBucketPolicy"),
        "DeleteBucketPolicy" => bkt("s3:DeleteBucketPolicy"),
        "GetBucketPolicyStatus" => bkt("s3:GetBucketPolicyStatus"),
        "GetBucketCors" => bkt("s3:GetBucketCORS"),
        "PutBucketCors" | "DeleteBucketCors" => bkt("s3:PutBucketCORS"),
        "GetBucketEncryption" => bkt("s3:GetEncryptionConfiguration"),
        "PutBucketEncryption" | "DeleteBucketEncryption" => bkt("s3:PutEncryptionConfiguration"),
        "GetBucketLifecycle" | "GetBucketLifecycleConfiguration" => {
            bkt("s3:GetLifecycleConfiguration")
        }
        "PutBucketLifecycle" | "PutBucketLifecycleConfiguration" | "DeleteBucketLifecycle" => {
            bkt("s3:PutLifecycleConfiguration")
        }
        "GetBucketLogging" => bkt("s3:GetBucketLogging"),
        "PutBucketLogging" => bkt("s3:PutBucketLogging"),
        "GetBucketNotification" | "GetBucketNotificationConfiguration" => {
            bkt("s3:GetBucketNotification")
        }
        "PutBucketNotification" | "PutBucketNotificationConfiguration" => {
            bkt("s3:PutBucketNotification")
        }
        "GetBucketOwnershipControls" => bkt("s3:GetBucketOwnershipControls"),
        "PutBucketOwnershipControls" | "DeleteBucketOwnershipControls" => {
            bkt("s3:PutBucketOwnershipControls")
        }
        "GetPublicAccessBlock" | "GetBucketPublicAccessBlock" => {
            bkt("s3:GetBucketPublicAccessBlock")
        }
        "PutPublicAccessBlock"
        | "PutBucketPublicAccessBlock"
        | "DeletePublicAccessBlock"
        | "DeleteBucketPublicAccessBlock" => bkt("s3:PutBucketPublicAccessBlock"),
        "GetBucketReplication" => bkt("s3:GetReplicationConfiguration"),
        "PutBucketReplication" | "DeleteBucketReplication" => bkt("s3:PutReplicationConfiguration"),
        "GetBucketRequestPayment" => bkt("s3:GetBucketRequestPayment"),
        "PutBucketRequestPayment" => bkt("s3:PutBucketRequestPayment"),
        "GetBucketTagging" => bkt("s3:GetBucketTagging"),
        "PutBucketTagging" | "DeleteBucketTagging" => bkt("s3:PutBucketTagging"),
        "GetBucketVersioning" => bkt("s3:GetBucketVersioning"),
        "PutBucketVersioning" => bkt("s3:PutBucketVersioning"),
        "GetBucketWebsite" => bkt("s3:GetBucketWebsite"),
        "PutBucketWebsite" => bkt("s3:PutBucketWebsite"),
        "DeleteBucketWebsite" => bkt("s3:DeleteBucketWebsite"),
        "GetBucketAccelerateConfiguration" | "GetAccelerateConfiguration" => {
            bkt("s3:GetAccelerateConfiguration")
        }
        "PutBucketAccelerateConfiguration" | "PutAccelerateConfiguration" => {
            bkt("s3:PutAccelerateConfiguration")
        }
        "GetBucketAnalyticsConfiguration" | "ListBucketAnalyticsConfigurations" => {
            bkt("s3:GetAnalyticsConfiguration")
        }
        "PutBucketAnalyticsConfiguration" | "DeleteBucketAnalyticsConfiguration" => {
            bkt("s3:PutAnalyticsConfiguration")
        }
        "GetBucketInventoryConfiguration" | "ListBucketInventoryConfigurations" => {
            bkt("s3:GetInventoryConfiguration")
        }
        "PutBucketInventoryConfiguration" | "DeleteBucketInventoryConfiguration" => {
            bkt("s3:PutInventoryConfiguration")
        }
        "GetBucketMetricsConfiguration" | "ListBucketMetricsConfigurations" => {
            bkt("s3:GetMetricsConfiguration")
        }
        "PutBucketMetricsConfiguration" | "DeleteBucketMetricsConfiguration" => {
            bkt("s3:PutMetricsConfiguration")
        }
        "GetBucketIntelligentTieringConfiguration"
        | "ListBucketIntelligentTieringConfigurations" => {
            bkt("s3:GetIntelligentTieringConfiguration")
        }
        "PutBucketIntelligentTieringConfiguration"
        | "DeleteBucketIntelligentTieringConfiguration" => {
            bkt("s3:PutIntelligentTieringConfiguration")
        }
        "GetObjectLockConfiguration" | "GetBucketObjectLockConfiguration" => {
            bkt("s3:GetBucketObjectLockConfiguration")
        }
        "PutObjectLockConfiguration" | "PutBucketObjectLockConfiguration" => {
            bkt("s3:PutBucketObjectLockConfiguration")
        }

        // --- newer bucket configuration (Service Authorization Reference)
        "CreateBucketMetadataConfiguration" | "CreateBucketMetadataTableConfiguration" => {
            bkt("s3:CreateBucketMetadataTableConfiguration")
        }
        "GetBucketMetadataConfiguration" | "GetBucketMetadataTableConfiguration" => {
            bkt("s3:GetBucketMetadataTableConfiguration")
        }
        "DeleteBucketMetadataConfiguration" | "DeleteBucketMetadataTableConfiguration" => {
            bkt("s3:DeleteBucketMetadataTableConfiguration")
        }
        "UpdateBucketMetadataInventoryTableConfiguration" => {
            bkt("s3:UpdateBucketMetadataInventoryTableConfiguration")
        }
        "UpdateBucketMetadataJournalTableConfiguration" => {
            bkt("s3:UpdateBucketMetadataJournalTableConfiguration")
        }
        "GetBucketAbac" => bkt("s3:GetBucketAbac"),
        "PutBucketAbac" => bkt("s3:PutBucketAbac"),

        // --- account level (s3control, logged with eventSource s3.amazonaws.com)
        "GetAccountPublicAccessBlock" => any("s3:GetAccountPublicAccessBlock"),
        "PutAccountPublicAccessBlock" | "DeleteAccountPublicAccessBlock" => {
            any("s3:PutAccountPublicAccessBlock")
        }
        _ => return None,
    })
}

/// Every IAM action this table can produce (the main, versioned, extra and header actions of
/// every S3 operation): what `simulate` checks an action name against.
pub fn known_s3_actions() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for op in S3_API_OPERATIONS {
        if let Some(a) = s3_action(op) {
            out.push(a.action);
            out.extend(a.versioned);
        }
        for versioned in [false, true] {
            out.extend(extra_actions(op, versioned));
        }
        out.extend(header_actions(op).iter().map(|(_, a)| *a));
    }
    out.extend([
        "s3:ListBucketVersions",
        "s3:ListBucketMultipartUploads",
        "s3:BypassGovernanceRetention",
    ]);
    out.sort_unstable();
    out.dedup();
    out
}

/// Actions every call of `event_name` needs besides its main one (same resource), by whether
/// the request names a `versionId`.
pub fn extra_actions(event_name: &str, versioned: bool) -> &'static [&'static str] {
    match (event_name, versioned) {
        ("GetObjectAttributes", false) => &["s3:GetObject"],
        ("GetObjectAttributes", true) => &["s3:GetObjectVersion"],
        _ => &[],
    }
}

/// Actions a request header adds to `event_name` (same resource), besides the ACL and tagging
/// headers `request.rs` handles: `(header, action)`. "To use Object Lock retention / legal
/// hold headers on an upload you need s3:PutObjectRetention / s3:PutObjectLegalHold"
/// (PutObject, CopyObject, CreateMultipartUpload in the Service Authorization Reference);
/// CreateBucket with `x-amz-object-ownership` needs s3:PutBucketOwnershipControls, and with
/// `x-amz-bucket-object-lock-enabled` s3:PutBucketObjectLockConfiguration and
/// s3:PutBucketVersioning (API_CreateBucket, "Permissions").
pub fn header_actions(event_name: &str) -> &'static [(&'static str, &'static str)] {
    match event_name {
        "PutObject" | "PostObject" | "CopyObject" | "CreateMultipartUpload" => &[
            ("x-amz-object-lock-legal-hold", "s3:PutObjectLegalHold"),
            ("x-amz-object-lock-mode", "s3:PutObjectRetention"),
            (
                "x-amz-object-lock-retain-until-date",
                "s3:PutObjectRetention",
            ),
        ],
        "CreateBucket" => &[
            ("x-amz-object-ownership", "s3:PutBucketOwnershipControls"),
            (
                "x-amz-bucket-object-lock-enabled",
                "s3:PutBucketObjectLockConfiguration",
            ),
            ("x-amz-bucket-object-lock-enabled", "s3:PutBucketVersioning"),
        ],
        _ => &[],
    }
}

/// The Amazon S3 actions of the S3 API Reference
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html),
/// then the calls CloudTrail logs for S3 under other names: PostObject (the browser upload
/// form) and the account-level Block Public Access calls.
pub const S3_API_OPERATIONS: [&str; 113] = [
    "AbortMultipartUpload",
    "CompleteMultipartUpload",
    "CopyObject",
    "CreateBucket",
    "CreateBucketMetadataConfiguration",
    "CreateBucketMetadataTableConfiguration",
    "CreateMultipartUpload",
    "CreateSession",
    "DeleteBucket",
    "DeleteBucketAnalyticsConfiguration",
    "DeleteBucketCors",
    "DeleteBucketEncryption",
    "DeleteBucketIntelligentTieringConfiguration",
    "DeleteBucketInventoryConfiguration",
    "DeleteBucketLifecycle",
    "DeleteBucketMetadataConfiguration",
    "DeleteBucketMetadataTableConfiguration",
    "DeleteBucketMetricsConfiguration",
    "DeleteBucketOwnershipControls",
    "DeleteBucketPolicy",
    "DeleteBucketReplication",
    "DeleteBucketTagging",
    "DeleteBucketWebsite",
    "DeleteObject",
    "DeleteObjects",
    "DeleteObjectTagging",
    "DeletePublicAccessBlock",
    "GetBucketAbac",
    "GetBucketAccelerateConfiguration",
    "GetBucketAcl",
    "GetBucketAnalyticsConfiguration",
    "GetBucketCors",
    "GetBucketEncryption",
    "GetBucketIntelligentTieringConfiguration",
    "GetBucketInventoryConfiguration",
    "GetBucketLifecycle",
    "GetBucketLifecycleConfiguration",
    "GetBucketLocation",
    "GetBucketLogging",
    "GetBucketMetadataConfiguration",
    "GetBucketMetadataTableConfiguration",
    "GetBucketMetricsConfiguration",
    "GetBucketNotification",
    "GetBucketNotificationConfiguration",
    "GetBucketOwnershipControls",
    "GetBucketPolicy",
    "GetBucketPolicyStatus",
    "GetBucketReplication",
    "GetBucketRequestPayment",
    "GetBucketTagging",
    "GetBucketVersioning",
    "GetBucketWebsite",
    "GetObject",
    "GetObjectAcl",
    "GetObjectAttributes",
    "GetObjectLegalHold",
    "GetObjectLockConfiguration",
    "GetObjectRetention",
    "GetObjectTagging",
    "GetObjectTorrent",
    "GetPublicAccessBlock",
    "HeadBucket",
    "HeadObject",
    "ListBucketAnalyticsConfigurations",
    "ListBucketIntelligentTieringConfigurations",
    "ListBucketInventoryConfigurations",
    "ListBucketMetricsConfigurations",
    "ListBuckets",
    "ListDirectoryBuckets",
    "ListMultipartUploads",
    "ListObjects",
    "ListObjectsV2",
    "ListObjectVersions",
    "ListParts",
    "PutBucketAbac",
    "PutBucketAccelerateConfiguration",
    "PutBucketAcl",
    "PutBucketAnalyticsConfiguration",
    "PutBucketCors",
    "PutBucketEncryption",
    "PutBucketIntelligentTieringConfiguration",
    "PutBucketInventoryConfiguration",
    "PutBucketLifecycle",
    "PutBucketLifecycleConfiguration",
    "PutBucketLogging",
    "PutBucketMetricsConfiguration",
    "PutBucketNotification",
    "PutBucketNotificationConfiguration",
    "PutBucketOwnershipControls",
    "PutBucketPolicy",
    "PutBucketReplication",
    "PutBucketRequestPayment",
    "PutBucketTagging",
    "PutBucketVersioning",
    "PutBucketWebsite",
    "PutObject",
    "PutObjectAcl",
    "PutObjectLegalHold",
    "PutObjectLockConfiguration",
    "PutObjectRetention",
    "PutObjectTagging",
    "PutPublicAccessBlock",
    "RenameObject",
    "RestoreObject",
    "SelectObjectContent",
    "UpdateBucketMetadataInventoryTableConfiguration",
    "UpdateBucketMetadataJournalTableConfiguration",
    "UploadPart",
    "UploadPartCopy",
    "WriteGetObjectResponse",
    "PostObject",
    "GetAccountPublicAccessBlock",
    "PutAccountPublicAccessBlock",
];

/// Operations of that list that are not general-purpose bucket calls, with why they are not in
/// the table.
pub const NOT_GENERAL_PURPOSE: [(&str, &str); 4] = [
    (
        "CreateSession",
        "directory buckets: s3express:CreateSession on an s3express bucket ARN",
    ),
    (
        "ListDirectoryBuckets",
        "directory buckets: s3express:ListAllMyDirectoryBuckets",
    ),
    (
        "RenameObject",
        "directory buckets only (authorized through s3express:CreateSession)",
    ),
    (
        "WriteGetObjectResponse",
        "S3 Object Lambda: s3-object-lambda:WriteGetObjectResponse",
    ),
];

/// The write operations that may carry an ACL (the request builder's `s3:x-amz-acl` key), the
/// ones `BlockPublicAcls` rejects when they carry a public ACL: "PUT Bucket ACL and PUT Object
/// ACL calls", "PUT Object calls", "PUT Bucket calls". CopyObject (PUT
/// Object - Copy), PostObject (the browser form of PUT Object) and CreateMultipartUpload (the
/// ACL of a multipart object is given there) set an object's ACL the same way; the page does
/// not list them by name.
pub fn writes_acl(event_name: &str) -> bool {
    matches!(
        event_name,
        "PutObject"
            | "PostObject"
            | "CopyObject"
            | "CreateMultipartUpload"
            | "PutObjectAcl"
            | "PutBucketAcl"
            | "CreateBucket"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// using-with-s3-policy-actions: the API names that differ from their action.
    #[test]
    fn s3_operations_that_need_a_differently_named_action() {
        let cases = [
            ("ListObjects", "s3:ListBucket", Target::Bucket),
            ("ListObjectsV2", "s3:ListBucket", Target::Bucket),
            ("HeadBucket", "s3:ListBucket", Target::Bucket),
            (
                "ListObjectVersions",
                "s3:ListBucketVersions",
                Target::Bucket,
            ),
            ("HeadObject", "s3:GetObject", Target::Object),
            ("UploadPart", "s3:PutObject", Target::Object),
            ("CreateMultipartUpload", "s3:PutObject", Target::Object),
            ("CompleteMultipartUpload", "s3:PutObject", Target::Object),
            ("ListParts", "s3:ListMultipartUploadParts", Target::Object),
            ("DeleteObjects", "s3:DeleteObject", Target::Object),
            (
                "DeleteBucketEncryption",
                "s3:PutEncryptionConfiguration",
                Target::Bucket,
            ),
            (
                "GetBucketEncryption",
                "s3:GetEncryptionConfiguration",
                Target::Bucket,
            ),
            (
                "DeleteBucketLifecycle",
                "s3:PutLifecycleConfiguration",
                Target::Bucket,
            ),
            (
                "PutBucketPublicAccessBlock",
                "s3:PutBucketPublicAccessBlock",
                Target::Bucket,
            ),
            (
                "DeletePublicAccessBlock",
                "s3:PutBucketPublicAccessBlock",
                Target::Bucket,
            ),
            ("DeleteBucketCors", "s3:PutBucketCORS", Target::Bucket),
            (
                "GetObjectLockConfiguration",
                "s3:GetBucketObjectLockConfiguration",
                Target::Bucket,
            ),
            ("ListBuckets", "s3:ListAllMyBuckets", Target::Any),
        ];
        for (name, action, target) in cases {
            let m = s3_action(name).unwrap_or_else(|| panic!("{name} unmapped"));
            assert_eq!((m.action, m.target), (action, target), "{name}");
        }
    }

    #[test]
    fn version_specific_calls_need_the_version_action() {
        assert_eq!(
            s3_action("GetObject").unwrap().versioned,
            Some("s3:GetObjectVersion")
        );
        assert_eq!(
            s3_action("HeadObject").unwrap().versioned,
            Some("s3:GetObjectVersion")
        );
        assert_eq!(
            s3_action("DeleteObject").unwrap().versioned,
            Some("s3:DeleteObjectVersion")
        );
        assert_eq!(
            s3_action("PutObjectAcl").unwrap().versioned,
            Some("s3:PutObjectVersionAcl")
        );
        assert_eq!(s3_action("PutObject").unwrap().versioned, None);
    }

    #[test]
    fn an_unknown_name_is_unmapped_not_guessed() {
        assert_eq!(s3_action("GetBucketSomethingNew"), None);
        assert_eq!(
            s3_action("getobject"),
            None,
            "event names are case-sensitive"
        );
    }

    /// Every action in the table is `s3:` + a name AWS spells in CamelCase.
    #[test]
    fn every_mapped_action_is_well_formed() {
        let names = [
            "GetObject",
            "PutObject",
            "CopyObject",
            "ListBuckets",
            "PutBucketAcl",
            "GetBucketPolicy",
            "PutBucketLogging",
            "PutBucketVersioning",
            "GetBucketCors",
            "GetAccountPublicAccessBlock",
            "RestoreObject",
            "AbortMultipartUpload",
        ];
        for n in names {
            let a = s3_action(n).unwrap().action;
            assert!(
                a.starts_with("s3:") && a[3..].chars().next().unwrap().is_ascii_uppercase(),
                "{a}"
            );
        }
    }

    /// Every Amazon S3 action of the S3 API Reference maps, except the documented
    /// directory-bucket / Object Lambda ones, which stay unmapped (never guessed).
    #[test]
    fn every_s3_api_operation_maps() {
        let excluded: Vec<&str> = NOT_GENERAL_PURPOSE.iter().map(|(n, _)| *n).collect();
        let mut seen = std::collections::HashSet::new();
        for op in S3_API_OPERATIONS {
            assert!(seen.insert(op), "{op} listed twice");
            match s3_action(op) {
                Some(m) => {
                    assert!(!excluded.contains(&op), "{op} is both mapped and excluded");
                    assert!(m.action.starts_with("s3:"), "{op}: {}", m.action);
                }
                None => assert!(excluded.contains(&op), "{op} is unmapped"),
            }
        }
    }

    /// API_GetObjectAttributes: "If you pass a version ID in your request, you need both the
    /// s3:GetObjectVersion and s3:GetObjectVersionAttributes permissions. If you do not pass a
    /// version ID in your request, you need the s3:GetObject and s3:GetObjectAttributes
    /// permissions."
    #[test]
    fn get_object_attributes_needs_two_actions() {
        let m = s3_action("GetObjectAttributes").unwrap();
        assert_eq!(
            (m.action, extra_actions("GetObjectAttributes", false)),
            ("s3:GetObjectAttributes", &["s3:GetObject"][..])
        );
        assert_eq!(
            (m.versioned, extra_actions("GetObjectAttributes", true)),
            (
                Some("s3:GetObjectVersionAttributes"),
                &["s3:GetObjectVersion"][..]
            )
        );
        assert!(extra_actions("GetObject", false).is_empty());
    }

    /// Service Authorization Reference: CopyObject / PutObject list s3:PutObjectLegalHold and
    /// s3:PutObjectRetention (Object Lock headers); API_CreateBucket: object lock enabled at
    /// creation needs s3:PutBucketObjectLockConfiguration and s3:PutBucketVersioning, and
    /// x-amz-object-ownership s3:PutBucketOwnershipControls.
    #[test]
    fn header_actions_of_writes() {
        let h = header_actions("PutObject");
        assert!(h.contains(&("x-amz-object-lock-legal-hold", "s3:PutObjectLegalHold")));
        assert!(h.contains(&("x-amz-object-lock-mode", "s3:PutObjectRetention")));
        let c = header_actions("CreateBucket");
        assert!(c.contains(&("x-amz-object-ownership", "s3:PutBucketOwnershipControls")));
        assert!(c.contains(&("x-amz-bucket-object-lock-enabled", "s3:PutBucketVersioning")));
        assert!(header_actions("GetObject").is_empty());
    }

    /// "For these permissions, you set the Resource value to "*"": ListBuckets and the
    /// account-level Block Public Access calls have no bucket.
    #[test]
    fn actions_without_a_bucket_target_any() {
        for op in [
            "ListBuckets",
            "GetAccountPublicAccessBlock",
            "PutAccountPublicAccessBlock",
        ] {
            assert_eq!(s3_action(op).unwrap().target, Target::Any, "{op}");
        }
    }
}
