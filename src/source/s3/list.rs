//! Listing a log bucket, concurrently: each prefix of CloudTrail's layout (account, region,
//! day, ...) that [`plan`](super::plan) says to visit is one task, and up to
//! [`LIST_CONCURRENCY`] listing calls run at once, so a bucket of 50 accounts × 4 regions
//! is listed in about as many round trips as the layout is deep, not one round trip per
//! folder. S3 allows 5,500 GET/HEAD per second per prefix ("Best practices design patterns:
//! optimizing Amazon S3 performance": "your application can achieve at least 3,500
//! PUT/COPY/POST/DELETE or 5,500 GET/HEAD requests per second per partitioned Amazon S3
//! prefix", <https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html>),
//! far above what this sends.
//!
//! The result is sorted by object name: tasks finish in any order, and the listing must be
//! the same plan every time it is made (a sharded run's shards each list it and take their
//! part, `--shard`).

use super::plan::{self, Level};
use super::S3Counters;
use super::S3Url;
use crate::aws::SdkErrorLine;
use crate::input::{Skip, TimeWindow};
use crate::source::keypath::key_date;
use crate::source::object::{Listed, Locator, LogObject, Skipped};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Listing calls at once (each is one ListObjectsV2 page request at a time).
pub const LIST_CONCURRENCY: usize = 32;

/// One prefix still to list: where it is, where it sits in the layout, how deep the walk is.
type Pending = (String, Option<Level>, u8);

/// What one prefix gave: more prefixes to list, and listed items.
#[derive(Default)]
struct Step {
    children: Vec<Pending>,
    listed: Vec<Listed>,
}

/// Everything a listing task needs, shared by all of them.
pub(super) struct Lister {
    pub client: aws_sdk_s3::Client,
    pub url: S3Url,
    pub window: TimeWindow,
    pub today: chrono::NaiveDate,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub counters: Arc<S3Counters>,
}

impl Lister {
    /// Lists the objects under the URL that may hold events of the window, sorted by name.
    /// `Err` only when the first listing fails (the bucket cannot be read at all); a prefix
    /// that fails deeper is a [`Skip::FetchFailed`] item and the rest is listed.
    pub async fn run(self) -> Result<Vec<Listed>, (String, String)> {
        let me = Arc::new(self);
        let root = me.url.prefix.clone();
        let first = me
            .expand(root.clone(), plan::level_of(&root), 0)
            .await
            .map_err(|e| (me.name(&root), e))?;
        let mut out = first.listed;
        let limit = Arc::new(Semaphore::new(LIST_CONCURRENCY));
        let mut tasks = JoinSet::new();
        let spawn = |tasks: &mut JoinSet<_>, (prefix, level, depth): Pending| {
            let (me, limit) = (me.clone(), limit.clone());
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let r = me.expand(prefix.clone(), level, depth).await;
                (prefix, r)
            });
        };
        for p in first.children {
            spawn(&mut tasks, p);
        }
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok((_, Ok(step))) => {
                    out.extend(step.listed);
                    for p in step.children {
                        spawn(&mut tasks, p);
                    }
                }
                Ok((prefix, Err(error))) => out.push(Listed::Skipped(Skipped {
                    name: me.name(&prefix).into(),
                    skip: Skip::FetchFailed,
                    detail: format!("cannot list: {error}"),
                })),
                // A listing task panicked: nothing from input can cause that; say so.
                Err(e) => out.push(Listed::Skipped(Skipped {
                    name: me.name("").into(),
                    skip: Skip::FetchFailed,
                    detail: format!("a listing task failed: {e}"),
                })),
            }
        }
        out.sort_by(|a, b| listed_name(a).cmp(listed_name(b)));
        Ok(out)
    }

    fn name(&self, prefix: &str) -> String {
        format!("s3://{}/{}", self.url.bucket, prefix)
    }

    fn wants(filter: &[String], v: &str) -> bool {
        filter.is_empty() || filter.iter().any(|f| f == v)
    }

    /// One step of the walk: the child prefixes to list next, and the objects found.
    async fn expand(
        &self,
        prefix: String,
        level: Option<Level>,
        depth: u8,
    ) -> Result<Step, String> {
        use plan::*;
        let mut step = Step::default();
        let mut push = |p: String, l: Level| step.children.push((p, Some(l), depth + 1));
        match level {
            // Not a folder of the layout, or a day: every object, pruned by key date.
            None | Some(Level::Day) => {
                let listed = self.list_flat(&prefix).await?;
                step.listed = listed;
            }
            Some(Level::Above) => {
                let (dirs, objects) = self.list_delimited(&prefix).await?;
                for d in dirs {
                    if last_component(&d) == "AWSLogs" {
                        push(d, Level::AwsLogs);
                    } else if depth < 4 {
                        // A trail's custom prefix may be a few folders deep.
                        push(d, Level::Above);
                    }
                }
                self.add_objects(objects, &mut step.listed);
            }
            Some(Level::AwsLogs) | Some(Level::Org) => {
                let (dirs, _) = self.list_delimited(&prefix).await?;
                for d in dirs {
                    let c = last_component(&d);
                    if level == Some(Level::AwsLogs) && c.starts_with("o-") {
                        push(d, Level::Org);
                    } else if is_account(c) && Self::wants(&self.accounts, c) {
                        push(d, Level::Account);
                    }
                }
            }
            Some(Level::Account) => push(format!("{prefix}CloudTrail/"), Level::Trail),
            Some(Level::Trail) => {
                if self.regions.is_empty() {
                    let (dirs, _) = self.list_delimited(&prefix).await?;
                    for d in dirs {
                        push(d, Level::Region);
                    }
                } else {
                    for r in &self.regions {
                        push(format!("{prefix}{r}/"), Level::Region);
                    }
                }
            }
            Some(Level::Region) => {
                if self.window.is_open() {
                    // Everything is wanted: one flat listing beats a call per day.
                    step.listed = self.list_flat(&prefix).await?;
                } else if let Some(days) = computed_days(&self.window, self.today) {
                    for d in days {
                        push(format!("{prefix}{}", day_suffix(d)), Level::Day);
                    }
                } else {
                    let (dirs, _) = self.list_delimited(&prefix).await?;
                    for d in dirs {
                        if year_range(last_component(&d))
                            .is_some_and(|(a, b)| range_may_hold(&self.window, a, b))
                        {
                            push(d, Level::Year);
                        }
                    }
                }
            }
            Some(Level::Year) => {
                let year: Option<i32> = last_component(&prefix).parse().ok();
                let (dirs, _) = self.list_delimited(&prefix).await?;
                for d in dirs {
                    let r = year.and_then(|y| month_range(y, last_component(&d)));
                    if r.is_some_and(|(a, b)| range_may_hold(&self.window, a, b)) {
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
                let (dirs, _) = self.list_delimited(&prefix).await?;
                for d in dirs {
                    let day = ym.and_then(|(y, m)| day_of(y, m, last_component(&d)));
                    if day.is_some_and(|day| self.window.may_hold_day(day)) {
                        push(d, Level::Day);
                    }
                }
            }
        }
        Ok(step)
    }

    /// One delimiter listing of the log bucket, counted ([`list_delimited`]).
    async fn list_delimited(
        &self,
        prefix: &str,
    ) -> Result<(Vec<String>, Vec<(String, Option<u64>)>), String> {
        list_delimited(&self.client, &self.url.bucket, prefix, Some(&self.counters)).await
    }

    /// Every object under `prefix`, all pages.
    async fn list_flat(&self, prefix: &str) -> Result<Vec<Listed>, String> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.url.bucket)
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
            self.add_objects(objects, &mut out);
        }
        Ok(out)
    }

    /// Listed keys become objects, except folder markers and keys whose path date is outside
    /// the window (counted as intentional skips, as the local walker does).
    fn add_objects(&self, objects: Vec<(String, Option<u64>)>, out: &mut Vec<Listed>) {
        for (key, size) in objects {
            if key.ends_with('/') {
                continue;
            }
            out.push(listed_key(
                &self.url.bucket,
                key,
                size,
                &self.window,
                "the date in the key is outside --since/--until",
            ));
        }
    }
}

/// The name a listed item sorts by.
pub fn listed_name(l: &Listed) -> &str {
    match l {
        Listed::Object(o) => &o.name,
        Listed::Skipped(s) => &s.name,
    }
}

/// One listed key as the scan sees it: an object to read, or an intentional skip when the
/// date in its path (`YYYY/MM/DD` or a lake's `eventDay=`) lies outside `window`
/// (`outside` says which). The S3 log bucket and the Security Lake listing share it.
pub(crate) fn listed_key(
    bucket: &str,
    key: String,
    size: Option<u64>,
    window: &TimeWindow,
    outside: &str,
) -> Listed {
    let name: Arc<str> = format!("s3://{bucket}/{key}").into();
    if key_date(&key).is_some_and(|d| !window.may_hold_day(d)) {
        return Listed::Skipped(Skipped {
            name,
            skip: Skip::OutsideWindow,
            detail: outside.into(),
        });
    }
    Listed::Object(LogObject {
        name,
        size,
        locator: Locator::S3 {
            bucket: bucket.to_owned(),
            key,
        },
    })
}

/// One delimiter listing, all pages: (child prefixes, objects at this level with their sizes).
/// Each page call and the keys listed go to `counters` when given. Shared by the log bucket's
/// listing and Security Lake's (`source::security_lake::s3`).
pub(crate) async fn list_delimited(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    counters: Option<&S3Counters>,
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
        if let Some(c) = counters {
            c.list_calls.fetch_add(1, Ordering::Relaxed);
        }
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
    if let Some(c) = counters {
        c.keys_listed
            .fetch_add(objects.len() as u64, Ordering::Relaxed);
    }
    Ok((dirs, objects))
}
