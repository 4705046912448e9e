//! One SigV4-signed HTTP call, for the two calls whose SDK crates the default build leaves
//! out: EC2 DescribeVpcEndpoints (aws-sdk-ec2 alone costs ~4 min of one core and 8 GB to
//! build, DEPENDENCIES.md §2) and S3 Control GetPublicAccessBlock. Credentials come from the
//! same provider as the SDK clients; signing is `aws-sigv4` (already in the SDK's tree); the
//! HTTP client is reqwest with the rustls features polars already builds.

use aws_config::SdkConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings,
};
use aws_smithy_runtime_api::client::identity::Identity;
use std::time::{Duration, SystemTime};

/// An answer: HTTP status and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    /// The `<Code>` of an XML error body (EC2 and S3 Control both use it).
    pub fn error_code(&self) -> Option<&str> {
        xml_text(&self.body, "Code")
    }

    /// `Code: Message` of an XML error body, or the status.
    pub fn error_line(&self) -> String {
        match (self.error_code(), xml_text(&self.body, "Message")) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(c), None) => c.to_owned(),
            _ => format!("HTTP {}", self.status),
        }
    }
}

/// The text of the first `<tag>...</tag>` (no nesting, no entities: enough for error codes).
fn xml_text<'a>(body: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let len = body.get(start..)?.find(&format!("</{tag}>"))?;
    body.get(start..start + len)
}

#[derive(Debug, thiserror::Error)]
pub enum SignedError {
    #[error("no credentials: {0}")]
    Credentials(String),
    #[error("cannot sign the request: {0}")]
    Sign(String),
    #[error("HTTP request failed: {0}")]
    Http(#[from] reqwest::Error),
}

/// Signs and sends one request; retries connection failures, throttling and 5xx twice with
/// backoff (as the SDK's standard retry mode would).
pub async fn send(
    conf: &SdkConfig,
    service: &str,
    region: &str,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Answer, SignedError> {
    let provider = conf
        .credentials_provider()
        .ok_or_else(|| SignedError::Credentials("no credential provider configured".into()))?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let mut attempt = 0;
    loop {
        let creds = provider
            .provide_credentials()
            .await
            .map_err(|e| SignedError::Credentials(e.to_string()))?;
        let identity = Identity::from(creds);
        let mut settings = SigningSettings::default();
        if service == "s3" {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name(service)
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| SignedError::Sign(e.to_string()))?
            .into();
        let signable = SignableRequest::new(
            method,
            url,
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| SignedError::Sign(e.to_string()))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| SignedError::Sign(e.to_string()))?
            .into_parts();
        let m = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| SignedError::Sign(e.to_string()))?;
        let mut rb = http.request(m, url).body(body.to_vec());
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        for (k, v) in instructions.headers() {
            rb = rb.header(k, v);
        }
        let retryable = match rb.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let body = resp.text().await?;
                let a = Answer { status, body };
                let throttled = matches!(
                    a.error_code(),
                    Some(
                        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "SlowDown"
                    )
                );
                if !(status >= 500 || throttled) || attempt >= 2 {
                    return Ok(a);
                }
                true
            }
            Err(e) if attempt < 2 && (e.is_connect() || e.is_timeout()) => true,
            Err(e) => return Err(e.into()),
        };
        debug_assert!(retryable);
        attempt += 1;
        tokio::time::sleep(Duration::from_millis(200 * (1 << attempt))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_of_ec2_and_s3_control_give_code_and_message() {
        let ec2 = Answer {
            status: 403,
            body: "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized</Message></Error></Errors></Response>".into(),
        };
        assert_eq!(ec2.error_code(), Some("UnauthorizedOperation"));
        assert_eq!(
            ec2.error_line(),
            "UnauthorizedOperation: You are not authorized"
        );
        let bare = Answer {
            status: 503,
            body: String::new(),
        };
        assert_eq!(bare.error_line(), "HTTP 503");
    }
}
