//! An S3 log bucket as a source: `s3://BUCKET/PREFIX`. Listing turns the window, `--account`
//! and `--region` into prefixes ([`plan`]); downloads run concurrently, bounded by
//! `--max-in-flight`, and are handed to the scan through a bounded channel ([`fetch`]), so
//! memory stays about `2 × in-flight × largest object` whatever the bucket holds. Throttling
//! and 5xx are retried by the SDK (standard mode, exponential backoff with jitter); an object
//! that still fails is a [`Skip::FetchFailed`] and the run goes on. `--cache DIR` keeps what
//! was fetched, so a second run over the same days reads locally.

mod cache;
mod fetch;
pub mod plan;

pub use cache::Cache;

use super::contract::{Source, Stream};
use super::keypath::key_date;
use super::object::{FetchError, ListError, Listed, Locator, LogObject, Skipped};
use crate::aws::SdkErrorLine;
use crate::input::{Skip, TimeWindow};
use aws_config::SdkConfig;
use plan::Level;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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
    /// Downloads at once (and bodies waiting for a scan worker).
    pub max_in_flight: usize,
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
}

/// Lists and fetches CloudTrail objects from S3 buckets: every `s3://` input of a run.
pub struct S3Source {
    rt: tokio::runtime::Handle,
    conf: SdkConfig,
    opts: S3Options,
    /// What to list, in the order given.
    urls: Vec<S3Url>,
    pub counters: Arc<S3Counters>,
    /// The client for each bucket listed (in the bucket's region), reused by the downloads.
    clients: Arc<Mutex<HashMap<String, aws_sdk_s3::Client>>>,
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
        S3Source {
            rt,
            conf,
            opts,
            urls,
            counters: Arc::new(S3Counters::default()),
            clients: Arc::new(Mutex::new(HashMap::new())),
        }
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

    /// Lists the objects under `url` that may hold events of `window`. `Err` only when the
    /// first listing fails (the bucket cannot be read at all); a prefix that fails deeper is a
    /// [`Skip::FetchFailed`] item and the rest is listed.
    pub fn list_url(&self, url: &S3Url, window: &TimeWindow) -> Result<Vec<Listed>, S3Error> {
        self.rt.block_on(self.list_async(url, window))
    }

    async fn list_async(&self, url: &S3Url, window: &TimeWindow) -> Result<Vec<Listed>, S3Error> {
        let client = self.client_for(&url.bucket).await;
        if let Ok(mut c) = self.clients.lock() {
            c.insert(url.bucket.clone(), client.clone());
        }
        let today = chrono::Utc::now().date_naive();
        let mut out = Vec::new();
        let mut queue: Vec<(String, Option<Level>, u8)> =
            vec![(url.prefix.clone(), plan::level_of(&url.prefix), 0)];
        let mut first = true;
        while let Some((prefix, level, depth)) = queue.pop() {
            let res = self
                .expand(
                    &client, url, &prefix, level, depth, window, today, &mut queue, &mut out,
                )
                .await;
            if let Err(error) = res {
                let name = format!("s3://{}/{}", url.bucket, prefix);
                if first {
                    return Err(S3Error::List { url: name, error });
                }
                out.push(Listed::Skipped(Skipped {
                    name: name.into(),
                    skip: Skip::FetchFailed,
                    detail: format!("cannot list: {error}"),
                }));
            }
            first = false;
        }
        Ok(out)
    }

    /// One step of the walk: pushes child prefixes to `queue`, objects to `out`.
    #[allow(clippy::too_many_arguments)]
    async fn expand(
        &self,
        client: &aws_sdk_s3::Client,
        url: &S3Url,
        prefix: &str,
        level: Option<Level>,
        depth: u8,
        window: &TimeWindow,
        today: chrono::NaiveDate,
        queue: &mut Vec<(String, Option<Level>, u8)>,
        out: &mut Vec<Listed>,
    ) -> Result<(), String> {
        use plan::*;
        let mut push = |p: String, l: Level| queue.push((p, Some(l), depth + 1));
        match level {
            // Not a folder of the layout, or a day: every object, pruned by key date.
            None | Some(Level::Day) => {
                self.list_flat(client, url, prefix, window, out).await?;
            }
            Some(Level::Above) => {
                let (dirs, objects) = self.list_delimited(client, &url.bucket, prefix).await?;
                self.add_objects(url, objects, window, out);
                for d in dirs {
                    if last_component(&d) == "AWSLogs" {
                        push(d, Level::AwsLogs);
                    } else if depth < 4 {
                        // A trail's custom prefix may be a few folders deep.
                        push(d, Level::Above);
                    }
                }
            }
            Some(Level::AwsLogs) | Some(Level::Org) => {
                let (dirs, _) = self.list_delimited(client, &url.bucket, prefix).await?;
                for d in dirs {
                    let c = last_component(&d);
                    if level == Some(Level::AwsLogs) && c.starts_with("o-") {
                        push(d, Level::Org);
                    } else if is_account(c) && self.wants(&self.opts.accounts, c) {
                        push(d, Level::Account);
                    }
                }
            }
            Some(Level::Account) => push(format!("{prefix}CloudTrail/"), Level::Trail),
            Some(Level::Trail) => {
                if self.opts.regions.is_empty() {
                    let (dirs, _) = self.list_delimited(client, &url.bucket, prefix).await?;
                    for d in dirs {
                        push(d, Level::Region);
                    }
                } else {
                    for r in &self.opts.regions {
                        push(format!("{prefix}{r}/"), Level::Region);
                    }
                }
            }
            Some(Level::Region) => {
                if window.is_open() {
                    // Everything is wanted: one flat listing beats a call per day.
                    self.list_flat(client, url, prefix, window, out).await?;
                } else if let Some(days) = computed_days(window, today) {
                    for d in days {
                        push(format!("{prefix}{}", day_suffix(d)), Level::Day);
                    }
                } else {
                    let (dirs, _) = self.list_delimited(client, &url.bucket, prefix).await?;
                    for d in dirs {
                        if year_range(last_component(&d))
                            .is_some_and(|(a, b)| range_may_hold(window, a, b))
                        {
                            push(d, Level::Year);
                        }
                    }
                }
            }
            Some(Level::Year) => {
                let year: Option<i32> = last_component(prefix).parse().ok();
                let (dirs, _) = self.list_delimited(client, &url.bucket, prefix).await?;
                for d in dirs {
                    let r = year.and_then(|y| month_range(y, last_component(&d)));
                    if r.is_some_and(|(a, b)| range_may_hold(window, a, b)) {
                        push(d, Level::Month);
                    }
                }
            }
            Some(Level::Month) => {
                let comps: Vec<&str> = prefix.trim_end_matches('/').rsplit('/').take(2).collect();
                let ym = match comps.as_slice() {
                    [m, y] => y.parse::<i32>().ok().zip(m.parse::<u32>().ok()),
                    _ => None,
                };
                let (dirs, _) = self.list_delimited(client, &url.bucket, prefix).await?;
                for d in dirs {
                    let day = ym.and_then(|(y, m)| day_of(y, m, last_component(&d)));
                    if day.is_some_and(|day| window.may_hold_day(day)) {
                        push(d, Level::Day);
                    }
                }
            }
        }
        Ok(())
    }

    fn wants(&self, filter: &[String], v: &str) -> bool {
        filter.is_empty() || filter.iter().any(|f| f == v)
    }

    /// One delimiter listing, all pages: (child prefixes, objects at this level).
    async fn list_delimited(
        &self,
        client: &aws_sdk_s3::Client,
        bucket: &str,
        prefix: &str,
    ) -> Result<(Vec<String>, Vec<(String, Option<u64>)>), String> {
        let mut dirs = Vec::new();
        let mut objects = Vec::new();
        let mut pages = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .delimiter("/")
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            self.counters.list_calls.fetch_add(1, Ordering::Relaxed);
            let page = page.map_err(|e| SdkErrorLine(&e).to_string())?;
            dirs.extend(
                page.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix())
                    .map(str::to_owned),
            );
            for o in page.contents() {
                if let Some(k) = o.key() {
                    objects.push((k.to_owned(), o.size().and_then(|s| u64::try_from(s).ok())));
                }
            }
        }
        self.counters
            .keys_listed
            .fetch_add(objects.len() as u64, Ordering::Relaxed);
        Ok((dirs, objects))
    }

    /// Every object under `prefix`, all pages.
    async fn list_flat(
        &self,
        client: &aws_sdk_s3::Client,
        url: &S3Url,
        prefix: &str,
        window: &TimeWindow,
        out: &mut Vec<Listed>,
    ) -> Result<(), String> {
        let mut pages = client
            .list_objects_v2()
            .bucket(&url.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            self.counters.list_calls.fetch_add(1, Ordering::Relaxed);
            let page = page.map_err(|e| SdkErrorLine(&e).to_string())?;
            let objects: Vec<(String, Option<u64>)> = page
                .contents()
                .iter()
                .filter_map(|o| {
                    Some((
                        o.key()?.to_owned(),
                        o.size().and_then(|s| u64::try_from(s).ok()),
                    ))
                })
                .collect();
            self.counters
                .keys_listed
                .fetch_add(objects.len() as u64, Ordering::Relaxed);
            self.add_objects(url, objects, window, out);
        }
        Ok(())
    }

    /// Listed keys become objects, except folder markers and keys whose path date is outside
    /// the window (counted as intentional skips, as the local walker does).
    fn add_objects(
        &self,
        url: &S3Url,
        objects: Vec<(String, Option<u64>)>,
        window: &TimeWindow,
        out: &mut Vec<Listed>,
    ) {
        for (key, size) in objects {
            if key.ends_with('/') {
                continue;
            }
            let name: Arc<str> = format!("s3://{}/{}", url.bucket, key).into();
            if key_date(&key).is_some_and(|d| !window.may_hold_day(d)) {
                out.push(Listed::Skipped(Skipped {
                    name,
                    skip: Skip::OutsideWindow,
                    detail: "the date in the key is outside --since/--until".into(),
                }));
                continue;
            }
            out.push(Listed::Object(LogObject {
                name,
                size,
                locator: Locator::S3 {
                    bucket: url.bucket.clone(),
                    key,
                },
            }));
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
