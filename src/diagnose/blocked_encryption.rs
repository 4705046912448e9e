//! Blocked encryption types: a general purpose bucket's default encryption configuration can
//! block SSE-C writes (`BlockedEncryptionTypes`), and S3 then refuses them with 403 after the
//! policies allowed.
//!
//! S3 User Guide, "Blocking or unblocking SSE-C for a general purpose bucket"
//! (https://docs.aws.amazon.com/AmazonS3/latest/userguide/blocking-unblocking-s3-c-encryption-gpb.html):
//! "When SSE-C is blocked for a bucket, any `PutObject`, `CopyObject`, `PostObject`, or
//! Multipart Upload or replication requests that specify SSE-C encryption will be rejected with
//! an HTTP 403 `AccessDenied` error." and "Existing SSE-C encrypted objects in the bucket are
//! unaffected, you can still read them with `GetObject` or `HeadObject` by providing the
//! required SSE-C headers." API reference, BlockedEncryptionTypes
//! (https://docs.aws.amazon.com/AmazonS3/latest/API/API_BlockedEncryptionTypes.html): "Valid
//! Values: NONE | SSE-C"; "you can continue to read and list any pre-existing objects already
//! encrypted with the specified encryption type".
//!
//! "Multipart Upload" is read as every call of one that carries the SSE-C headers:
//! CreateMultipartUpload, UploadPart and UploadPartCopy (the parts of an SSE-C upload carry
//! the key again). A request asks for SSE-C when it carries
//! `x-amz-server-side-encryption-customer-algorithm`, or when S3 logged `SSEApplied: SSE_C`
//! in `additionalEventData`; both are read through the one header reader (`Logged::header`).

use super::request::S3Call;
use super::rule::{RuleCx, RuleExtras, RuleHit, RuleOutcome, S3Rule};
use crate::findings::RootCause;
use crate::policy::Known;
use crate::snapshot::BucketEncryption;

/// The writes the block applies to (the page's list, multipart spelled out).
pub fn is_blockable_write(api: &str) -> bool {
    matches!(
        api,
        "PutObject"
            | "CopyObject"
            | "PostObject"
            | "CreateMultipartUpload"
            | "UploadPart"
            | "UploadPartCopy"
    )
}

/// Whether the call asks S3 to encrypt the written object with a customer-provided key.
pub fn asks_for_sse_c(call: &S3Call<'_>) -> bool {
    call.headers.sse_customer_algorithm.is_some()
        || call
            .logged
            .header("SSEApplied")
            .is_some_and(|v| v.eq_ignore_ascii_case("SSE_C") || v.eq_ignore_ascii_case("SSE-C"))
}

/// The rule on what the snapshot says of the bucket's encryption configuration.
pub fn check(
    api: Option<&str>,
    sse_c: bool,
    encryption: &Known<Option<BucketEncryption>>,
) -> RuleOutcome {
    if !sse_c || !api.is_some_and(is_blockable_write) {
        return RuleOutcome::Clear;
    }
    match encryption {
        Known::Known(None) => RuleOutcome::Clear,
        Known::Known(Some(e)) => {
            if e.blocked_types.iter().any(|t| t.eq_ignore_ascii_case("SSE-C")) {
                RuleOutcome::Fires(RuleHit::setting(
                    RootCause::BlockedEncryptionType,
                    "the request asks for SSE-C (x-amz-server-side-encryption-customer-algorithm) and the bucket's encryption configuration blocks SSE-C writes (BlockedEncryptionTypes)".to_owned(),
                ))
            } else {
                RuleOutcome::Clear
            }
        }
        Known::Unknown(why) => RuleOutcome::Unknown(format!(
            "the bucket's encryption configuration (encryption.json: does BlockedEncryptionTypes block the SSE-C write?): {why}"
        )),
    }
}

/// The fix: ask for another encryption type, or unblock SSE-C on the bucket.
pub fn remediation(bucket: Option<&str>) -> String {
    let b = bucket.unwrap_or("<bucket>");
    format!(
        "the bucket blocks SSE-C writes: write without the SSE-C headers (SSE-S3 or SSE-KMS instead); or, if the workload needs SSE-C, unblock it: aws s3api put-bucket-encryption --bucket {b} --server-side-encryption-configuration '{{\"Rules\":[{{\"ApplyServerSideEncryptionByDefault\":{{\"SSEAlgorithm\":\"AES256\"}},\"BlockedEncryptionTypes\":{{\"EncryptionType\":[\"NONE\"]}}}}]}}'"
    )
}

/// The blocked-encryption rule as registered in [`super::rules::RULES`]: the bucket's
/// `encryption.json` against the SSE-C headers of the write.
pub struct Rule;

impl S3Rule for Rule {
    fn name(&self) -> &'static str {
        "blocked_encryption_type"
    }

    fn check(&self, cx: &RuleCx<'_>, _extras: &mut RuleExtras) -> Option<RuleOutcome> {
        // Not asked (and not listed in the trace) unless the call is a write asking for SSE-C.
        let sse_c = asks_for_sse_c(cx.call);
        if !sse_c || !cx.call.api.is_some_and(is_blockable_write) {
            return None;
        }
        let enc = match cx.snapshot.bucket(cx.bucket) {
            Known::Known(b) => b.encryption.clone(),
            Known::Unknown(w) => Known::Unknown(w),
        };
        Some(check(cx.call.api, sse_c, &enc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Event;

    fn enc(blocked: &[&str]) -> Known<Option<BucketEncryption>> {
        Known::Known(Some(BucketEncryption {
            algorithm: "AES256".into(),
            kms_key_id: None,
            bucket_key_enabled: false,
            blocked_types: blocked.iter().map(|s| s.to_string()).collect(),
        }))
    }

    /// "When SSE-C is blocked for a bucket, any PutObject, CopyObject, PostObject, or Multipart
    /// Upload or replication requests that specify SSE-C encryption will be rejected with an
    /// HTTP 403 AccessDenied error."
    #[test]
    fn sse_c_write_to_a_blocking_bucket_fires() {
        for api in [
            "PutObject",
            "CopyObject",
            "PostObject",
            "CreateMultipartUpload",
            "UploadPart",
        ] {
            let o = check(Some(api), true, &enc(&["SSE-C"]));
            assert!(
                matches!(&o, RuleOutcome::Fires(h) if h.root_cause == RootCause::BlockedEncryptionType),
                "{api}: {o:?}"
            );
        }
    }

    /// "Valid Values: NONE | SSE-C": NONE blocks nothing; no SSE-C header, nothing to block.
    #[test]
    fn none_or_no_sse_c_is_clear() {
        assert_eq!(
            check(Some("PutObject"), true, &enc(&[])),
            RuleOutcome::Clear
        );
        assert_eq!(
            check(Some("PutObject"), false, &enc(&["SSE-C"])),
            RuleOutcome::Clear
        );
        assert_eq!(
            check(Some("PutObject"), true, &Known::Known(None)),
            RuleOutcome::Clear
        );
    }

    /// "you can continue to read and list any pre-existing objects already encrypted with the
    /// specified encryption type": a read with SSE-C headers is never blocked.
    #[test]
    fn reads_are_not_blocked() {
        assert_eq!(
            check(Some("GetObject"), true, &enc(&["SSE-C"])),
            RuleOutcome::Clear
        );
        assert_eq!(
            check(Some("HeadObject"), true, &enc(&["SSE-C"])),
            RuleOutcome::Clear
        );
    }

    /// Unknown only when the write asked for SSE-C and the configuration was not captured.
    #[test]
    fn missing_file_is_unknown_only_for_sse_c_writes() {
        let missing = Known::Unknown("encryption.json not captured".into());
        assert!(matches!(
            check(Some("PutObject"), true, &missing),
            RuleOutcome::Unknown(_)
        ));
        assert_eq!(
            check(Some("PutObject"), false, &missing),
            RuleOutcome::Clear
        );
    }

    #[test]
    fn sse_c_is_read_from_the_header_or_sse_applied() {
        let e: Event = serde_json::from_value(serde_json::json!({
            "eventName": "PutObject",
            "requestParameters": {"bucketName": "b", "key": "k",
                "x-amz-server-side-encryption-customer-algorithm": "AES256"}
        }))
        .unwrap();
        assert!(asks_for_sse_c(&S3Call::from_event(&e)));
        let e: Event = serde_json::from_value(serde_json::json!({
            "eventName": "PutObject",
            "requestParameters": {"bucketName": "b", "key": "k"},
            "additionalEventData": {"SSEApplied": "SSE_C"}
        }))
        .unwrap();
        assert!(asks_for_sse_c(&S3Call::from_event(&e)));
        let e: Event = serde_json::from_value(serde_json::json!({
            "eventName": "PutObject",
            "requestParameters": {"bucketName": "b", "key": "k"},
            "additionalEventData": {"SSEApplied": "Default_SSE_S3"}
        }))
        .unwrap();
        assert!(!asks_for_sse_c(&S3Call::from_event(&e)));
    }
}
