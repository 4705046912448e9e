//! Concurrent downloads handed to the scan as `(object, bytes)` pairs, as they complete.
//!
//! Two limits, both held by one dispatcher task:
//! - requests in flight: adaptive ([`super::adapt::Controller`]: grows while completions per
//!   second grow, halves on 503 SlowDown), capped by `--max-in-flight`;
//! - bytes: every download reserves its listed size (KiB units) from a budget
//!   (`--max-in-flight-mb`) before it starts and gives it back only when a scan worker takes
//!   the body, so downloaded bodies waiting for a worker count too. Memory is bounded by that
//!   budget plus what the scan's workers hold, whatever the number or size of the objects.
//!
//! One client per bucket, made once (its connection pool is reused by every download).

use super::adapt::{Controller, Window, WINDOW};
use super::cache::Cache;
use super::{Clients, S3Counters, S3Options, S3Source};
use crate::aws::SdkErrorLine;
use crate::input::Skip;
use crate::source::object::{FetchError, Fetched, Locator, LogObject};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify, OwnedSemaphorePermit, Semaphore};

/// Attempts at reading a body after the response started (the SDK retries the request
/// itself; a connection dropped mid-body is retried here).
const BODY_ATTEMPTS: u32 = 3;

/// What an object whose size the listing did not give is assumed to take.
const UNKNOWN_SIZE: u64 = 1 << 20;

/// The default byte budget (`--max-in-flight-mb`).
pub const DEFAULT_BUDGET_MB: usize = 64;

/// A finished download and the bytes it reserved (given back when the scan takes it).
type Done = (Fetched, Option<OwnedSemaphorePermit>);

/// The downloads, in completion order: blocks (outside the async runtime) until the next one
/// is ready; ends when every object was handed over.
pub struct Downloads {
    rx: mpsc::UnboundedReceiver<Done>,
}

impl Iterator for Downloads {
    type Item = Fetched;
    fn next(&mut self) -> Option<Fetched> {
        // The reservation is dropped here: the body is the scan's now.
        self.rx.blocking_recv().map(|(f, _permit)| f)
    }
}

/// What the dispatcher and its downloads share.
struct Shared {
    in_flight: AtomicUsize,
    completed: AtomicU64,
    slot_freed: Notify,
}

/// KiB units reserved for an object: its size (or a guess), at least one, at most the whole
/// budget (a larger object then downloads alone).
fn units(size: Option<u64>, budget_units: u32) -> u32 {
    let kib = size.unwrap_or(UNKNOWN_SIZE).div_ceil(1024).max(1);
    u32::try_from(kib)
        .unwrap_or(u32::MAX)
        .min(budget_units.max(1))
}

impl S3Source {
    /// One object's bytes, read on the calling thread (outside the async runtime): the pulled
    /// way of reading, for a caller that does not want the stream ([`S3Source::fetch_all`]).
    pub fn fetch_one(&self, object: &LogObject) -> Result<Vec<u8>, FetchError> {
        let Locator::S3 { bucket, key } = &object.locator else {
            return Err(not_s3());
        };
        let client = self.rt.block_on(self.clients.get(bucket));
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
    pub fn fetch_all(&self, objects: Vec<LogObject>, max_bytes: usize) -> Downloads {
        let (tx, rx) = mpsc::unbounded_channel();
        let d = Arc::new(Dispatch {
            clients: self.clients.clone(),
            opts: self.opts.clone(),
            counters: self.counters.clone(),
            throttled_before: self.counters.throttled.load(Ordering::Relaxed),
        });
        self.rt
            .spawn(async move { d.run(objects, max_bytes, tx).await });
        Downloads { rx }
    }
}

/// What the dispatcher and its downloads read.
struct Dispatch {
    clients: Clients,
    opts: S3Options,
    counters: Arc<S3Counters>,
    /// 503 answers counted before these downloads started (the listing's).
    throttled_before: u64,
}

/// The last download done (every task holds the dispatcher): says once how often S3 asked to
/// slow down, since that made the run slower than the network allows.
impl Drop for Dispatch {
    fn drop(&mut self) {
        let n = self.counters.throttled.load(Ordering::Relaxed) - self.throttled_before;
        if n > 0 {
            crate::messages::notice(&format!(
                "denytrail: S3 answered 503 (SlowDown) {n} time(s); the requests were retried and fewer downloads were kept in flight"
            ));
        }
    }
}

impl Dispatch {
    /// Starts every download in turn as the two limits allow, and adjusts the in-flight
    /// limit once per [`WINDOW`].
    async fn run(
        self: Arc<Self>,
        objects: Vec<LogObject>,
        max_bytes: usize,
        tx: mpsc::UnboundedSender<Done>,
    ) {
        let budget_units = u32::try_from(self.opts.max_in_flight_mb.max(1).saturating_mul(1024))
            .unwrap_or(u32::MAX);
        let bytes = Arc::new(Semaphore::new(budget_units as usize));
        let shared = Arc::new(Shared {
            in_flight: AtomicUsize::new(0),
            completed: AtomicU64::new(0),
            slot_freed: Notify::new(),
        });
        let mut control = Controller::new(self.opts.start_in_flight, self.opts.max_in_flight);
        let mut clients: HashMap<String, aws_sdk_s3::Client> = HashMap::new();
        let mut window_start = Instant::now();
        let mut window_done = 0u64;
        let mut window_throttled = self.counters.throttled.load(Ordering::Relaxed);
        let mut saturated = false;
        for object in objects {
            let Locator::S3 { bucket, key } = object.locator.clone() else {
                if tx.send(((object, Err(not_s3())), None)).is_err() {
                    return;
                }
                continue;
            };
            if object.size.is_some_and(|s| s > max_bytes as u64) {
                let e = FetchError {
                    skip: Skip::TooLarge,
                    detail: format!(
                        "{} bytes, over the cap of {max_bytes}; not downloaded",
                        object.size.unwrap_or_default()
                    ),
                };
                if tx.send(((object, Err(e)), None)).is_err() {
                    return;
                }
                continue;
            }
            // A slot under the in-flight limit; the limit moves once per window.
            loop {
                let now = Instant::now();
                if now.duration_since(window_start) >= WINDOW {
                    let done = shared.completed.load(Ordering::Relaxed);
                    let throttled = self.counters.throttled.load(Ordering::Relaxed);
                    let secs = now.duration_since(window_start).as_secs_f64();
                    control.observe(Window {
                        rate: (done - window_done) as f64 / secs,
                        saturated,
                        throttled: throttled - window_throttled,
                    });
                    self.counters
                        .peak_in_flight
                        .fetch_max(control.limit() as u64, Ordering::Relaxed);
                    (window_start, window_done, window_throttled) = (now, done, throttled);
                    saturated = false;
                }
                if shared.in_flight.load(Ordering::Acquire) < control.limit() {
                    break;
                }
                saturated = true;
                let next_window = window_start + WINDOW;
                tokio::select! {
                    _ = shared.slot_freed.notified() => {}
                    _ = tokio::time::sleep_until(next_window.into()) => {}
                }
            }
            let Ok(reserved) = bytes
                .clone()
                .acquire_many_owned(units(object.size, budget_units))
                .await
            else {
                return;
            };
            let client = match clients.get(&bucket) {
                Some(c) => c.clone(),
                None => {
                    let c = self.clients.get(&bucket).await;
                    clients.insert(bucket.clone(), c.clone());
                    c
                }
            };
            shared.in_flight.fetch_add(1, Ordering::AcqRel);
            let (me, tx, shared) = (self.clone(), tx.clone(), shared.clone());
            tokio::spawn(async move {
                let r = get(
                    &client,
                    &bucket,
                    &key,
                    object.size,
                    me.opts.cache.as_ref(),
                    &me.counters,
                )
                .await;
                shared.completed.fetch_add(1, Ordering::Relaxed);
                shared.in_flight.fetch_sub(1, Ordering::AcqRel);
                shared.slot_freed.notify_one();
                // Before the body goes out: the last download's Drop notice then comes
                // before the stream ends.
                drop(me);
                // The receiver gone means the scan stopped: nothing more to do.
                let _ = tx.send(((object, r), Some(reserved)));
            });
        }
        // The dispatcher's hold on the shared state goes before its sender, for the same
        // reason.
        let last = tx;
        drop(self);
        drop(last);
    }
}

fn not_s3() -> FetchError {
    FetchError {
        skip: Skip::FetchFailed,
        detail: "not an S3 object".into(),
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
