//! The 403s that are not about permissions, decided from the record alone (S3
//! `ErrorResponses`): no policy change fixes them, so the reason names the code and the fix
//! says what does.

/// S3's 403 error codes that are not about permissions.
pub const NON_PERMISSION_CODES: [&str; 9] = [
    "InvalidObjectState",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "RequestTimeTooSkewed",
    "AllAccessDisabled",
    "AccountProblem",
    "InvalidSecurity",
    "InvalidPayer",
    "NotSignedUp",
];

/// Whether `code` is one of them.
pub fn is_request_error(code: Option<&str>) -> bool {
    code.is_some_and(|c| NON_PERMISSION_CODES.contains(&c))
}

/// What the code means, for `reason`.
pub fn meaning(code: &str) -> &'static str {
    match code {
        "InvalidObjectState" => "the object is archived (S3 Glacier Flexible Retrieval / Deep Archive or an Intelligent-Tiering archive tier) and must be restored first",
        "SignatureDoesNotMatch" => "the request signature does not match (wrong secret key, clock or a proxy that rewrote the request)",
        "InvalidAccessKeyId" => "the access key id does not exist in AWS's records (deleted, deactivated or from another partition)",
        "RequestTimeTooSkewed" => "the caller's clock differs from AWS's by more than 15 minutes",
        "AllAccessDisabled" => "all access to this S3 resource has been disabled by AWS",
        "AccountProblem" => "the account has a problem (billing or suspension) that prevents the operation",
        "InvalidSecurity" => "the provided security credentials are not valid",
        "InvalidPayer" => "all access to this object has been disabled (invalid payer)",
        "NotSignedUp" => "the account is not signed up for Amazon S3",
        _ => "the request failed for a reason other than permissions",
    }
}

/// The smallest fix for the code.
pub fn remediation(code: &str, bucket: Option<&str>, key: Option<&str>) -> String {
    match code {
        "InvalidObjectState" => match (bucket, key) {
            (Some(b), Some(k)) => format!(
                "restore the object first: aws s3api restore-object --bucket {b} --key '{k}' --restore-request Days=1 (or read it from its archive tier after restoration)"
            ),
            _ => "restore the archived object first (aws s3api restore-object)".to_owned(),
        },
        "SignatureDoesNotMatch" => "check the secret access key, the signing region and that no proxy modifies the request; re-sign with the current credentials".to_owned(),
        "InvalidAccessKeyId" => "use an active access key (aws iam list-access-keys) or refresh the temporary credentials".to_owned(),
        "RequestTimeTooSkewed" => "synchronize the caller's clock (NTP)".to_owned(),
        "AllAccessDisabled" | "AccountProblem" | "InvalidPayer" | "NotSignedUp" => {
            "contact AWS Support: no policy change fixes this".to_owned()
        }
        _ => "use valid, current credentials".to_owned(),
    }
}
