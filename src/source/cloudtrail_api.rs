//! The CloudTrail API as a source, for accounts without a trail bucket: `LookupEvents` reads
//! the last 90 days of *management* events of one region. Each page's `CloudTrailEvent`
//! strings become one in-memory `{"Records": [...]}` object that the scan reads like a file.
//!
//! What it can see: management events only, so S3 bucket-level calls (GetBucketPolicy,
//! PutBucketAcl, ListBuckets, GetBucketLocation, ...) denied with 403. Not S3 data events
//! (GetObject, PutObject, ...): LookupEvents never returns data events, whatever the trail
//! logs. Only events whose source is `s3.amazonaws.com` are asked for (LookupEvents takes
//! one filter attribute), so side evidence from STS and KMS is not read either.
//!
//! Rate: LookupEvents allows 2 requests per second per account per region; pages are asked
//! for at most that fast, and the SDK retries a ThrottlingException with backoff.

use crate::aws::SdkErrorLine;
use crate::input::{Skip, TimeWindow};
use crate::source::channel::Received;
use crate::source::contract::{Source, Stream};
use crate::source::object::{FetchError, ListError, Listed, Locator, LogObject};
use aws_config::SdkConfig;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use aws_smithy_types::DateTime;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// LookupEvents' documented limit: 2 requests per second per account per region.
pub const MIN_INTERVAL: Duration = Duration::from_millis(500);
/// How far back LookupEvents reaches.
pub const RETENTION_DAYS: i64 = 90;
/// Events per page (the API's maximum).
pub const PAGE_SIZE: i32 = 50;

/// The CloudTrail API of the configured region as a [`Source`]: it lists nothing ahead (a page
/// exists only once asked for) and streams the pages of the window as they arrive.
pub struct CloudTrailApi {
    rt: tokio::runtime::Handle,
    conf: SdkConfig,
}

impl CloudTrailApi {
    pub fn new(rt: tokio::runtime::Handle, conf: &SdkConfig) -> CloudTrailApi {
        CloudTrailApi {
            rt,
            conf: conf.clone(),
        }
    }
}

impl Source for CloudTrailApi {
    fn list(&self, _window: &TimeWindow) -> Result<Vec<Listed>, ListError> {
        Ok(Vec::new())
    }

    /// A page is read whole when it is asked for: its bytes travel in the object.
    fn fetch(&self, object: &LogObject, buf: &mut Vec<u8>) -> Result<(), FetchError> {
        match &object.locator {
            Locator::Inline(bytes) => {
                buf.clear();
                buf.extend_from_slice(bytes);
                Ok(())
            }
            _ => Err(FetchError {
                skip: Skip::FetchFailed,
                detail: "not a CloudTrail API page".into(),
            }),
        }
    }

    fn prefetches(&self) -> bool {
        true
    }

    /// The pages of `window`; `objects` is what [`Source::list`] gave: nothing.
    fn stream<'a>(
        &'a self,
        _objects: Vec<LogObject>,
        window: &TimeWindow,
        _max_object_bytes: usize,
    ) -> Stream<'a> {
        Box::new(lookup(&self.rt, &self.conf, window))
    }
}

/// Reads S3 management events of the window through LookupEvents, one page per object, as
/// they arrive. A page that fails (after the SDK's retries) is a [`Skip::FetchFailed`] item
/// and ends the listing (the next token is lost with it).
pub fn lookup(rt: &tokio::runtime::Handle, conf: &SdkConfig, window: &TimeWindow) -> Received {
    let (tx, rx) = mpsc::channel(4);
    let client = aws_sdk_cloudtrail::Client::new(conf);
    let region = conf.region().map(|r| r.to_string()).unwrap_or_default();
    let now = chrono::Utc::now();
    let start = window
        .since
        .unwrap_or(now - chrono::Duration::days(RETENTION_DAYS))
        .max(now - chrono::Duration::days(RETENTION_DAYS));
    let end = window.until.unwrap_or(now);
    rt.spawn(async move {
        let mut token: Option<String> = None;
        let mut page = 0u64;
        let mut last: Option<Instant> = None;
        loop {
            if let Some(t) = last {
                let since = t.elapsed();
                if since < MIN_INTERVAL {
                    tokio::time::sleep(MIN_INTERVAL - since).await;
                }
            }
            last = Some(Instant::now());
            let name: Arc<str> = format!("cloudtrail-api://{region}/lookup-events/page-{page}").into();
            let attr = LookupAttribute::builder()
                .attribute_key(LookupAttributeKey::EventSource)
                .attribute_value("s3.amazonaws.com")
                .build();
            let req = client
                .lookup_events()
                .set_lookup_attributes(attr.ok().map(|a| vec![a]))
                .start_time(DateTime::from_secs(start.timestamp()))
                .end_time(DateTime::from_secs(end.timestamp()))
                .max_results(PAGE_SIZE)
                .set_next_token(token.take());
            let (item, next) = match req.send().await {
                Ok(out) => {
                    let mut doc = Vec::with_capacity(64 * 1024);
                    doc.extend_from_slice(b"{\"Records\":[");
                    let mut first = true;
                    for e in out.events() {
                        if let Some(raw) = e.cloud_trail_event() {
                            if !first {
                                doc.push(b',');
                            }
                            doc.extend_from_slice(raw.as_bytes());
                            first = false;
                        }
                    }
                    doc.extend_from_slice(b"]}");
                    let obj = LogObject {
                        name,
                        size: Some(doc.len() as u64),
                        locator: Locator::Inline(Arc::from(doc.as_slice())),
                    };
                    ((obj, Ok(doc)), out.next_token().map(str::to_owned))
                }
                Err(e) => {
                    let obj = LogObject { name, size: None, locator: Locator::Inline(Arc::from(&b""[..])) };
                    let err = FetchError {
                        skip: Skip::FetchFailed,
                        detail: format!(
                            "cloudtrail:LookupEvents failed: {}; the events after this page were not read",
                            SdkErrorLine(&e)
                        ),
                    };
                    ((obj, Err(err)), None)
                }
            };
            if tx.send(item).await.is_err() {
                return;
            }
            match next {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => return,
            }
            page += 1;
        }
    });
    Received::new(rx)
}
