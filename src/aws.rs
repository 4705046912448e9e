//! Where live AWS is: the standard credential chain (env, profiles, SSO, `credential_process`,
//! IMDS) plus what the user typed (`--profile`, `--region`, `--endpoint-url`), resolved once
//! into an SDK configuration that every AWS-reading part (the S3 source, the CloudTrail API
//! source, the snapshot collector) shares.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::error::ProvideErrorMetadata;
use std::fmt;

/// The region used when neither `--region` nor the profile/env names one. IAM, Organizations
/// and S3's bucket listing are global, so only the regional parts depend on it.
pub const FALLBACK_REGION: &str = "us-east-1";

/// What the user typed about where AWS is.
#[derive(Debug, Clone, Default)]
pub struct AwsTarget {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// An S3-compatible store or a local test server (moto). Also turns on path-style S3
    /// addressing, which such servers need.
    pub endpoint_url: Option<String>,
}

/// Resolves the credential chain and region. Never fails: missing credentials surface on the
/// first call, which names the call.
pub async fn sdk_config(target: &AwsTarget) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(p) = &target.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &target.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(u) = &target.endpoint_url {
        loader = loader.endpoint_url(u);
    }
    let conf = loader.load().await;
    if conf.region().is_none() {
        return conf
            .to_builder()
            .region(Region::new(FALLBACK_REGION))
            .build();
    }
    conf
}

/// An S3 client for `region` (bucket calls must go to the bucket's own region, or S3 answers
/// with a redirect). Path-style addressing when an endpoint override is set.
pub fn s3_client(conf: &SdkConfig, region: Option<&str>) -> aws_sdk_s3::Client {
    let mut b = aws_sdk_s3::config::Builder::from(conf);
    if let Some(r) = region {
        b = b.region(Region::new(r.to_owned()));
    }
    if conf.endpoint_url().is_some() {
        b = b.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(b.build())
}

/// The region a `LocationConstraint` names: empty = us-east-1, `EU` = eu-west-1 (S3's legacy
/// values).
pub fn region_of_location(constraint: &str) -> &str {
    match constraint {
        "" => "us-east-1",
        "EU" => "eu-west-1",
        r => r,
    }
}

/// The error code AWS answered (`AccessDenied`, `NoSuchBucketPolicy`, ...), if it answered.
pub fn error_code<E: ProvideErrorMetadata>(err: &E) -> Option<&str> {
    err.code()
}

/// An SDK error as one line: `Code: message` when AWS answered, the whole cause chain
/// otherwise (timeouts, DNS, TLS, a body the SDK could not parse).
pub struct SdkErrorLine<'a, E>(pub &'a E);

impl<E> fmt::Display for SdkErrorLine<'_, E>
where
    E: ProvideErrorMetadata + std::error::Error,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0.code(), self.0.message()) {
            (Some(code), Some(msg)) => write!(f, "{code}: {msg}"),
            (Some(code), None) => f.write_str(code),
            _ => {
                // The cause chain, one Display per level (DisplayErrorContext would add the
                // raw response's Debug dump).
                write!(f, "{}", self.0)?;
                let mut src = self.0.source();
                while let Some(s) = src {
                    write!(f, ": {s}")?;
                    src = s.source();
                }
                Ok(())
            }
        }
    }
}

/// Whether an error code means "the caller may not do this" (as opposed to a failure).
pub fn is_denied_code(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "AccessDenied"
                | "AccessDeniedException"
                | "UnauthorizedOperation"
                | "UnauthorizedAccess"
                | "AuthorizationError"
                | "Forbidden"
        )
    )
}
