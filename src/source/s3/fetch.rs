//! Concurrent, bounded downloads handed to the scan as `(object, bytes)` pairs through a
//! bounded channel: at most `max_in_flight` downloads run, and a finished body waits in the
//! channel (capacity `max_in_flight`) until a scan worker takes it, so memory is about
//! `2 × max_in_flight × largest object` plus what the workers hold, whatever the bucket size.

use super::cache::Cache;
use super::{S3Counters, S3Source};
use crate::aws::SdkErrorLine;
use crate::input::Skip;
use crate::source::channel::Received;
use crate::source::object::{FetchError, Locator, LogObject};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Semaphore};

/// Attempts at reading a body after the response started (the SDK retries the request
/// itself; a connection dropped mid-body is retried here).
const BODY_ATTEMPTS: u32 = 3;

impl S3Source {
    /// One object's bytes, read on the calling thread (outside the async runtime): the pulled
    /// way of reading, for a caller that does not want the stream ([`S3Source::fetch_all`]).
    pub fn fetch_one(&self, object: &LogObject) -> Result<Vec<u8>, FetchError> {
        let Locator::S3 { bucket, key } = &object.locator else {
            return Err(FetchError {
                skip: Skip::FetchFailed,
                detail: "not an S3 object".into(),
            });
        };
        let client = self
            .clients
            .lock()
            .ok()
            .and_then(|c| c.get(bucket).cloned())
            .unwrap_or_else(|| crate::aws::s3_client(&self.conf, None));
        self.rt.block_on(get(
            &client,
            bucket,
            key,
            object.size,
            self.opts.cache.as_ref(),
            &self.counters,
        ))
    }

    /// Starts fetching `objects` (those with an S3 locator; any other is handed back as a
    /// fetch failure) and returns them as they complete. Objects larger than `max_bytes` are
    /// not downloaded (a [`Skip::TooLarge`]).
    pub fn fetch_all(&self, objects: Vec<LogObject>, max_bytes: usize) -> Received {
        let n = self.opts.max_in_flight.max(1);
        let (tx, rx) = mpsc::channel(n);
        let limit = Arc::new(Semaphore::new(n));
        let cache = self.opts.cache.clone();
        let counters = self.counters.clone();
        let conf = self.conf.clone();
        let clients = self.clients.clone();
        self.rt.spawn(async move {
            for object in objects {
                let Ok(permit) = limit.clone().acquire_owned().await else {
                    return;
                };
                let (tx, cache, counters) = (tx.clone(), cache.clone(), counters.clone());
                let Locator::S3 { bucket, key } = object.locator.clone() else {
                    let e = FetchError {
                        skip: Skip::FetchFailed,
                        detail: "not an S3 object".into(),
                    };
                    if tx.send((object, Err(e))).await.is_err() {
                        return;
                    }
                    continue;
                };
                let client = clients
                    .lock()
                    .ok()
                    .and_then(|c| c.get(&bucket).cloned())
                    .unwrap_or_else(|| crate::aws::s3_client(&conf, None));
                tokio::spawn(async move {
                    let too_large = object.size.is_some_and(|s| s > max_bytes as u64);
                    let r = if too_large {
                        Err(FetchError {
                            skip: Skip::TooLarge,
                            detail: format!(
                                "{} bytes, over the cap of {max_bytes}; not downloaded",
                                object.size.unwrap_or_default()
                            ),
                        })
                    } else {
                        get(
                            &client,
                            &bucket,
                            &key,
                            object.size,
                            cache.as_ref(),
                            &counters,
                        )
                        .await
                    };
                    // The receiver gone means the scan stopped: nothing more to do.
                    let _ = tx.send((object, r)).await;
                    drop(permit);
                });
            }
        });
        Received::new(rx)
    }
}

async fn get(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    size: Option<u64>,
    cache: Option<&Cache>,
    counters: &S3Counters,
) -> Result<Vec<u8>, FetchError> {
    if let Some(bytes) = cache.and_then(|c| c.read(bucket, key, size)) {
        counters.cache_hits.fetch_add(1, Ordering::Relaxed);
        return Ok(bytes);
    }
    let mut last = String::new();
    for attempt in 0..BODY_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
        }
        let resp = match client.get_object().bucket(bucket).key(key).send().await {
            Ok(r) => r,
            // The SDK has already retried what is retryable (throttling, 5xx, timeouts).
            Err(e) => {
                return Err(FetchError {
                    skip: Skip::FetchFailed,
                    detail: format!("cannot fetch: {}", SdkErrorLine(&e)),
                })
            }
        };
        match resp.body.collect().await {
            Ok(data) => {
                let bytes = data.into_bytes().to_vec();
                counters.fetched.fetch_add(1, Ordering::Relaxed);
                counters
                    .fetched_bytes
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                if let Some(c) = cache {
                    if let Err(e) = c.write(bucket, key, &bytes) {
                        crate::messages::notice(&format!(
                            "denytrail: cache {}: cannot keep s3://{bucket}/{key}: {e}; the run goes on without caching it",
                            c.root().display()
                        ));
                    }
                }
                return Ok(bytes);
            }
            Err(e) => last = format!("the download broke off: {e}"),
        }
    }
    Err(FetchError {
        skip: Skip::FetchFailed,
        detail: format!("cannot fetch after {BODY_ATTEMPTS} attempts: {last}"),
    })
}
