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
//! The calls that need more than one action (CopyObject, UploadPartCopy, PutObject with an
//! ACL or tagging header, CreateBucket with an ACL) are assembled in `request.rs` from these
//! entries; this table holds the one main action of each call.

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

        // --- account level (s3control, logged with eventSource s3.amazonaws.com)
        "GetAccountPublicAccessBlock" => any("s3:GetAccountPublicAccessBlock"),
        "PutAccountPublicAccessBlock" | "DeleteAccountPublicAccessBlock" => {
            any("s3:PutAccountPublicAccessBlock")
        }
        _ => return None,
    })
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
}
