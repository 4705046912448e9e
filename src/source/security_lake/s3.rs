//! A Security Lake bucket in S3 as a source: the partitions are walked with delimiter
//! listings, pruned before anything is downloaded: `region=` folders by `--region`,
//! `accountId=` by `--account`, `eventDay=` by `--since/--until`; only CloudTrail's sources
//! (`aws/CLOUD_TRAIL_MGMT/`, `aws/S3_DATA/`) are entered from above them, and only `.parquet`
//! objects are read. Downloads are the S3 source's own ([`S3Source::stream`]: concurrent,
//! bounded, retried, `--cache`), with a client in the bucket's region.

use super::layout::{event_day, is_data_file, CLOUDTRAIL_SOURCES};
use crate::input::{Skip, TimeWindow};
use crate::source::contract::{Source, Stream};
use crate::source::object::{FetchError, ListError, Listed, Locator, LogObject, Skipped};
use crate::source::s3::list::list_delimited;
use crate::source::s3::plan::last_component;
use crate::source::s3::{S3Options, S3Source, S3Url};
use aws_config::SdkConfig;
use std::sync::Arc;

/// How deep under the given prefix the walk goes (`aws/SOURCE/VERSION/region=/accountId=/
/// eventDay=` is six levels from the bucket root).
const MAX_DEPTH: usize = 8;

/// Every `s3://` input that is a Security Lake, listed and read through the partitions.
pub struct SecurityLakeS3 {
    rt: tokio::runtime::Handle,
    opts: S3Options,
    urls: Vec<S3Url>,
    /// Per bucket: a client in the bucket's region (listing) and a downloader with the same.
    fetchers: Vec<(String, aws_sdk_s3::Client, S3Source)>,
}

impl SecurityLakeS3 {
    pub fn new(
        rt: tokio::runtime::Handle,
        conf: &SdkConfig,
        opts: S3Options,
        urls: Vec<S3Url>,
    ) -> SecurityLakeS3 {
        let mut fetchers: Vec<(String, aws_sdk_s3::Client, S3Source)> = Vec::new();
        for u in &urls {
            if fetchers.iter().any(|(b, _, _)| *b == u.bucket) {
                continue;
            }
            let bucket_conf = rt.block_on(bucket_conf(conf, &u.bucket));
            let client = crate::aws::s3_client(&bucket_conf, None);
            let f = S3Source::new(rt.clone(), &bucket_conf, opts.clone(), Vec::new());
            fetchers.push((u.bucket.clone(), client, f));
        }
        SecurityLakeS3 {
            rt,
            opts,
            urls,
            fetchers,
        }
    }

    fn fetcher(&self, bucket: &str) -> Option<&S3Source> {
        self.fetchers
            .iter()
            .find(|(b, _, _)| b == bucket)
            .map(|(_, _, f)| f)
    }

    /// The data files under `url` that the filters and the window may want.
    fn list_url(&self, url: &S3Url, window: &TimeWindow) -> Result<Vec<Listed>, String> {
        let client = self
            .fetchers
            .iter()
            .find(|(b, _, _)| *b == url.bucket)
            .map(|(_, c, _)| c.clone())
            .ok_or_else(|| "no client for the bucket".to_owned())?;
        self.rt.block_on(self.walk(&client, url, window))
    }

    /// The walk, one level at a time: every folder of a level is listed concurrently (at
    /// most `--max-in-flight` listings at once), so a lake of many accounts and days costs
    /// about one round trip per level, not one per folder.
    async fn walk(
        &self,
        client: &aws_sdk_s3::Client,
        url: &S3Url,
        window: &TimeWindow,
    ) -> Result<Vec<Listed>, String> {
        let mut out = Vec::new();
        let mut level = vec![url.prefix.clone()];
        let limit = Arc::new(tokio::sync::Semaphore::new(self.opts.max_in_flight.max(1)));
        for depth in 0..=MAX_DEPTH {
            if level.is_empty() {
                break;
            }
            let mut tasks = tokio::task::JoinSet::new();
            for (i, prefix) in level.iter().enumerate() {
                let (client, bucket, prefix) = (client.clone(), url.bucket.clone(), prefix.clone());
                let limit = limit.clone();
                tasks.spawn(async move {
                    let _permit = limit.acquire_owned().await;
                    (i, list_delimited(&client, &bucket, &prefix, None).await)
                });
            }
            let mut results = Vec::with_capacity(level.len());
            while let Some(done) = tasks.join_next().await {
                match done {
                    Ok(r) => results.push(r),
                    Err(e) => return Err(format!("a listing task failed: {e}")),
                }
            }
            // Back in listing order, so that runs are reproducible.
            results.sort_by_key(|(i, _)| *i);
            let mut next = Vec::new();
            for (i, listed) in results {
                let prefix = &level[i];
                let (dirs, objects) = match listed {
                    Ok(l) => l,
                    Err(e) if depth == 0 => return Err(e),
                    Err(e) => {
                        out.push(Listed::Skipped(Skipped {
                            name: format!("s3://{}/{}", url.bucket, prefix).into(),
                            skip: Skip::FetchFailed,
                            detail: format!("cannot list: {e}"),
                        }));
                        continue;
                    }
                };
                self.add_objects(url, objects, window, &mut out);
                let parent = last_component(prefix);
                next.extend(
                    dirs.into_iter()
                        .filter(|d| self.enters(parent, last_component(d), window)),
                );
            }
            if depth == MAX_DEPTH {
                break;
            }
            level = next;
        }
        Ok(out)
    }

    /// Listed keys become objects: `.parquet` data files only, pruned by their `eventDay`.
    fn add_objects(
        &self,
        url: &S3Url,
        objects: Vec<(String, Option<u64>)>,
        window: &TimeWindow,
        out: &mut Vec<Listed>,
    ) {
        for (key, size) in objects {
            if !is_data_file(&key) {
                continue;
            }
            out.push(crate::source::s3::listed_key(
                &url.bucket,
                key,
                size,
                window,
                "the eventDay partition is outside --since/--until",
            ));
        }
    }

    /// Whether the walk goes into folder `name` (under `parent`).
    fn enters(&self, parent: &str, name: &str, window: &TimeWindow) -> bool {
        let wanted = |asked: &[String], v: &str| asked.is_empty() || asked.iter().any(|a| a == v);
        if let Some((k, v)) = name.split_once('=') {
            return match k.to_ascii_lowercase().as_str() {
                "region" => wanted(&self.opts.regions, v),
                "accountid" => wanted(&self.opts.accounts, v),
                "eventday" => event_day(v).is_none_or(|d| window.may_hold_day(d)),
                _ => true,
            };
        }
        // Above the partitions: only CloudTrail's sources; custom sources (`ext/`) only when
        // asked for by prefix; table metadata never.
        if parent == "aws" {
            return CLOUDTRAIL_SOURCES.contains(&name);
        }
        name != "ext" && name != "metadata"
    }
}

/// The configuration with the region the bucket lives in (S3 answers a request sent to
/// another region with a redirect the SDK does not follow): GetBucketLocation, else the
/// region in the lake's bucket name (`aws-security-data-lake-REGION-ID`), else as configured.
async fn bucket_conf(conf: &SdkConfig, bucket: &str) -> SdkConfig {
    if conf.endpoint_url().is_some() {
        return conf.clone();
    }
    let base = crate::aws::s3_client(conf, None);
    let region = match base.get_bucket_location().bucket(bucket).send().await {
        Ok(o) => Some(
            crate::aws::region_of_location(
                o.location_constraint().map(|c| c.as_str()).unwrap_or(""),
            )
            .to_owned(),
        ),
        Err(_) => bucket
            .strip_prefix(super::layout::BUCKET_PREFIX)
            .and_then(|rest| rest.rsplit_once('-'))
            .map(|(r, _)| r.to_owned()),
    };
    match region {
        Some(r) => conf.to_builder().region(aws_config::Region::new(r)).build(),
        None => conf.clone(),
    }
}

impl Source for SecurityLakeS3 {
    fn list(&self, window: &TimeWindow) -> Result<Vec<Listed>, ListError> {
        let mut out = Vec::new();
        for url in &self.urls {
            let listed = self.list_url(url, window).map_err(|error| {
                ListError(format!(
                    "cannot list `{url}`: {error}; check the bucket name, the credentials (--profile) and s3:ListBucket on it"
                ))
            })?;
            out.extend(listed);
        }
        Ok(out)
    }

    fn fetch(&self, object: &LogObject, buf: &mut Vec<u8>) -> Result<(), FetchError> {
        let Locator::S3 { bucket, .. } = &object.locator else {
            return Err(FetchError {
                skip: Skip::FetchFailed,
                detail: "not an S3 object".into(),
            });
        };
        match self.fetcher(bucket) {
            Some(f) => f.fetch(object, buf),
            None => Err(FetchError {
                skip: Skip::FetchFailed,
                detail: format!("bucket {bucket} was not given"),
            }),
        }
    }

    fn prefetches(&self) -> bool {
        true
    }

    fn stream<'a>(
        &'a self,
        objects: Vec<LogObject>,
        window: &TimeWindow,
        max_object_bytes: usize,
    ) -> Stream<'a> {
        let mut streams: Vec<Stream<'a>> = Vec::new();
        for (bucket, _, fetcher) in &self.fetchers {
            let mine: Vec<LogObject> = objects
                .iter()
                .filter(|o| matches!(&o.locator, Locator::S3 { bucket: b, .. } if b == bucket))
                .cloned()
                .collect();
            if !mine.is_empty() {
                streams.push(fetcher.stream(mine, window, max_object_bytes));
            }
        }
        Box::new(streams.into_iter().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_components() {
        assert_eq!(last_component("aws/CLOUD_TRAIL_MGMT/"), "CLOUD_TRAIL_MGMT");
        assert_eq!(last_component(""), "");
    }
}
