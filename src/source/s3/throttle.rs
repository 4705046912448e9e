//! Counts the 503 answers S3 gives (SlowDown: "Please reduce your request rate"), attempt by
//! attempt, including those the SDK retries on its own, so the download limit
//! ([`super::adapt`]) can back off the whole run, not only the one request.

use aws_sdk_s3::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// An SDK interceptor that adds one to `count` for every HTTP 503 response.
#[derive(Debug, Clone)]
pub struct Throttles {
    pub count: Arc<AtomicU64>,
}

impl Intercept for Throttles {
    fn name(&self) -> &'static str {
        "denytrail::Throttles"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if context.response().status().as_u16() == 503 {
            self.count.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// `client` with the counter attached (same configuration, same connection pool settings).
pub fn counting(client: &aws_sdk_s3::Client, count: Arc<AtomicU64>) -> aws_sdk_s3::Client {
    let conf = client
        .config()
        .to_builder()
        .interceptor(Throttles { count })
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}
