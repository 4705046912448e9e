//! An S3 log bucket as a source: `s3://BUCKET/PREFIX`. Listing turns the window, `--account`
//! and `--region` into prefixes ([`plan`]) and lists them concurrently ([`list`]); downloads
//! run concurrently with an adaptive number in flight ([`adapt`], capped by
//! `--max-in-flight`) and a byte budget (`--max-in-flight-mb`), and are handed to the scan as
//! they complete ([`fetch`]), so memory is bounded by bytes whatever the bucket holds.
//! Throttling and 5xx are retried by the SDK (standard mode, exponential backoff with
//! jitter), and 503s also lower the number in flight ([`throttle`]); an object that still
//! fails is a [`Skip::FetchFailed`] and the run goes on. `--cache DIR` keeps what was
//! fetched, so a second run over the same days reads locally.

pub mod adapt;
mod cache;
mod fetch;
pub(crate) mod list;
pub(crate) use list::listed_key;
pub mod plan;
mod throttle;

pub use cache::Cache;
pub use fetch::{Downloads, DEFAULT_BUDGET_MB};
pub use list::listed_name;

use super::contract::{Source, Stream};
use super::object::{FetchError, ListError, Listed, LogObject};
use crate::input::TimeWindow;
use aws_config::SdkConfig;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// `s3://bucket/prefix` as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    pub prefix: String,
}

impl S3Url {
    /// `None` when `s` is not an `s3://` URL (a local path).
    pub fn parse(s: &str) -> Option<Result<S3Url, S3Error>> {
        let rest = s.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Some(Err(S3Error::BadUrl(s.to_owned())));
        }
        Some(Ok(S3Url {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        }))
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("`{0}` is not an S3 URL; write s3://BUCKET/PREFIX")]
    BadUrl(String),
    #[error("cannot list `{url}`: {error}; check the bucket name, the credentials (--profile) and s3:ListBucket on it")]
    List { url: String, error: String },
}

/// What to read and how hard to pull.
#[derive(Debug, Clone)]
pub struct S3Options {
    /// The cap on downloads at once (`--max-in-flight`); the number in flight adapts below it.
    pub max_in_flight: usize,
    /// Downloads at once before the first adjustment ([`adapt::START`], or the cap if lower).
    pub start_in_flight: usize,
    /// Bytes (MiB) that downloads in flight and downloaded bodies waiting for a scan worker
    /// may hold together (`--max-in-flight-mb`).
    pub max_in_flight_mb: usize,
    pub cache: Option<Cache>,
    /// Only these accounts' folders (`--account`); empty = all.
    pub accounts: Vec<String>,
    /// Only these regions' folders (`--region`); empty = all.
    pub regions: Vec<String>,
}

/// Counters a caller (and the tests) can read: how much listing pruning saved.
#[derive(Debug, Default)]
pub struct S3Counters {
    pub list_calls: AtomicU64,
    pub keys_listed: AtomicU64,
    pub fetched: AtomicU64,
    pub fetched_bytes: AtomicU64,
    pub cache_hits: AtomicU64,
    /// HTTP 503 answers (SlowDown), retried ones included.
    pub throttled: Arc<AtomicU64>,
    /// The highest in-flight limit the downloads reached.
    pub peak_in_flight: AtomicU64,
}

/// Lists and fetches CloudTrail objects from S3 buckets: every `s3://` input of a run.
pub struct S3Source {
    rt: tokio::runtime::Handle,
    opts: S3Options,
    /// What to list, in the order given.
    urls: Vec<S3Url>,
    pub counters: Arc<S3Counters>,
    /// The client for each bucket (in the bucket's region), shared by listing and downloads.
    clients: Clients,
}

/// The SDK's retry policy for log reads: standard mode (throttling, 5xx and transient network
/// errors, exponential backoff with jitter), more attempts than the default 3 since a lost
/// object is lost input.
pub const MAX_ATTEMPTS: u32 = 6;

impl S3Source {
    pub fn new(
        rt: tokio::runtime::Handle,
        conf: &SdkConfig,
        opts: S3Options,
        urls: Vec<S3Url>,
    ) -> S3Source {
        let conf = conf
            .to_builder()
            .retry_config(
                aws_config::retry::RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS),
            )
            .build();
        let counters = Arc::new(S3Counters::default());
        S3Source {
            rt,
            opts,
            urls,
            clients: Clients::new(conf, counters.throttled.clone()),
            counters,
        }
    }

    /// Lists the objects under `url` that may hold events of `window`, sorted by name. `Err`
    /// only when the first listing fails (the bucket cannot be read at all); a prefix that
    /// fails deeper is a [`Skip::FetchFailed`] item and the rest is listed.
    pub fn list_url(&self, url: &S3Url, window: &TimeWindow) -> Result<Vec<Listed>, S3Error> {
        self.rt.block_on(async {
            let lister = list::Lister {
                client: self.clients.get(&url.bucket).await,
                url: url.clone(),
                window: *window,
                today: chrono::Utc::now().date_naive(),
                accounts: self.opts.accounts.clone(),
                regions: self.opts.regions.clone(),
                counters: self.counters.clone(),
            };
            lister
                .run()
                .await
                .map_err(|(url, error)| S3Error::List { url, error })
        })
    }
}

/// One S3 client per bucket, made once and shared by the listing and every download (each
/// client keeps its own pool of connections, reused from one request to the next), with the
/// 503 counter ([`throttle`]) attached.
#[derive(Clone)]
pub struct Clients {
    conf: SdkConfig,
    made: Arc<tokio::sync::Mutex<HashMap<String, aws_sdk_s3::Client>>>,
    throttled: Arc<AtomicU64>,
}

impl Clients {
    fn new(conf: SdkConfig, throttled: Arc<AtomicU64>) -> Clients {
        Clients {
            conf,
            made: Arc::default(),
            throttled,
        }
    }

    /// The bucket's client, made on first use.
    pub async fn get(&self, bucket: &str) -> aws_sdk_s3::Client {
        let mut made = self.made.lock().await;
        if let Some(c) = made.get(bucket) {
            return c.clone();
        }
        let c = throttle::counting(&self.client_for(bucket).await, self.throttled.clone());
        made.insert(bucket.to_owned(), c.clone());
        c
    }

    /// A client in the bucket's own region (S3 answers a request sent to another region
    /// with a redirect the SDK does not follow). The region comes from GetBucketLocation;
    /// when that is refused (a log bucket in another account often allows listing only), the
    /// configured region is used.
    async fn client_for(&self, bucket: &str) -> aws_sdk_s3::Client {
        let base = crate::aws::s3_client(&self.conf, None);
        if self.conf.endpoint_url().is_some() {
            return base;
        }
        match base.get_bucket_location().bucket(bucket).send().await {
            Ok(o) => {
                let c = o.location_constraint().map(|c| c.as_str()).unwrap_or("");
                let region = crate::aws::region_of_location(c);
                crate::aws::s3_client(&self.conf, Some(region))
            }
            Err(_) => base,
        }
    }
}

/// Every URL listed in turn (the first that cannot be listed at all stops the run); objects
/// are downloaded ahead, concurrently and bounded ([`S3Source::fetch_all`]).
impl Source for S3Source {
    fn list(&self, window: &TimeWindow) -> Result<Vec<Listed>, ListError> {
        let mut out = Vec::new();
        for url in &self.urls {
            out.extend(
                self.list_url(url, window)
                    .map_err(|e| ListError(e.to_string()))?,
            );
        }
        Ok(out)
    }

    fn fetch(&self, object: &LogObject, buf: &mut Vec<u8>) -> Result<(), FetchError> {
        *buf = self.fetch_one(object)?;
        Ok(())
    }

    fn prefetches(&self) -> bool {
        true
    }

    fn stream<'a>(
        &'a self,
        objects: Vec<LogObject>,
        _window: &TimeWindow,
        max_object_bytes: usize,
    ) -> Stream<'a> {
        Box::new(self.fetch_all(objects, max_object_bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_are_told_from_paths() {
        assert_eq!(
            S3Url::parse("s3://trail-bucket/AWSLogs/").map(|r| r.ok()),
            Some(Some(S3Url {
                bucket: "trail-bucket".into(),
                prefix: "AWSLogs/".into()
            }))
        );
        assert_eq!(
            S3Url::parse("s3://b").map(|r| r.ok()),
            Some(Some(S3Url {
                bucket: "b".into(),
                prefix: String::new()
            }))
        );
        assert!(matches!(
            S3Url::parse("s3:///x"),
            Some(Err(S3Error::BadUrl(_)))
        ));
        assert!(S3Url::parse("/var/log/trail").is_none());
    }
}
