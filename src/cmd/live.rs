//! `analyze`'s inputs: local paths, `s3://BUCKET/PREFIX` arguments (mixable with local paths)
//! and `--cloudtrail-api`, each chosen here as a [`Source`] ([`Inputs::choose`]) and read by
//! the one scan (`scan::scan_sources`): every input is listed first, then local files, API
//! pages and S3 downloads (concurrent, bounded) go through the same scan.

use super::aws_args::AwsArgs;
use crate::messages::Progress;
use crate::scan::{self, ScanConfig, ScanOutput, Sink};
use crate::source::cloudtrail_api::CloudTrailApi;
use crate::source::s3::{Cache, S3Options, S3Source, S3Url};
use crate::source::security_lake::layout::is_lake;
use crate::source::security_lake::s3::SecurityLakeS3;
use crate::source::{LocalSource, Source};
use anyhow::Context;
use std::path::PathBuf;

/// Live AWS inputs.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Live AWS (s3:// inputs, --cloudtrail-api)")]
pub struct LiveArgs {
    /// --profile, --region (for s3:// and local inputs: read only this region's log folders; for
    /// --cloudtrail-api: the region whose events are read), --endpoint-url.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Keep fetched S3 objects in DIR (as DIR/<bucket>/<key>); a later run over the same days
    /// reads them from there.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Cap on S3 downloads at once. Below it the number adapts: more while objects per second
    /// grow (enough to hide network latency), fewer when S3 answers 503 SlowDown.
    #[arg(long, value_name = "N", default_value_t = crate::source::s3::adapt::DEFAULT_CAP,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_in_flight: usize,
    /// Memory (MiB) that S3 downloads in flight and downloaded objects waiting for the scan
    /// may hold together; each download reserves its listed size.
    #[arg(long, value_name = "MB", default_value_t = crate::source::s3::DEFAULT_BUDGET_MB,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_in_flight_mb: usize,
    /// Read S3 management events of the last 90 days through CloudTrail's LookupEvents
    /// (no trail bucket needed). It cannot see S3 data events (GetObject, PutObject, ...):
    /// only bucket-level calls such as GetBucketPolicy or PutBucketAcl.
    #[arg(long)]
    pub cloudtrail_api: bool,
    /// Read every s3:// input as an Amazon Security Lake (OCSF Parquet, walked by its
    /// region=/accountId=/eventDay= partitions). Without it a bucket named
    /// aws-security-data-lake-* or a prefix under aws/CLOUD_TRAIL_MGMT/, aws/S3_DATA/, ext/ or
    /// a partition is read as one; local Parquet files are always recognised.
    #[arg(long)]
    pub security_lake: bool,
}

impl LiveArgs {
    pub fn is_live(&self, paths: &[PathBuf]) -> bool {
        self.cloudtrail_api
            || paths
                .iter()
                .any(|p| p.to_string_lossy().starts_with("s3://"))
    }
}

/// Scans every input into `sink`.
pub fn scan_inputs(
    paths: &[PathBuf],
    live: &LiveArgs,
    cfg: &ScanConfig,
    sink: &dyn Sink,
    progress: &Progress,
) -> anyhow::Result<ScanOutput> {
    let inputs = Inputs::choose(paths, live, cfg)?;
    let sources: Vec<&dyn Source> = inputs.sources.iter().map(|s| s.as_ref()).collect();
    Ok(scan::scan_sources(&sources, cfg, sink, progress)?)
}

/// The inputs of a run, each behind [`Source`], in the order they are read; and the async
/// runtime the live ones run on (kept alive as long as they are).
pub struct Inputs {
    pub sources: Vec<Box<dyn Source>>,
    _runtime: Option<tokio::runtime::Runtime>,
}

impl Inputs {
    /// Where sources are chosen: one line per kind of input. Local paths are one source;
    /// `s3://` arguments are another (listed in the order given); `--cloudtrail-api` a third.
    /// Local-only runs start no async runtime. `cfg` says which accounts' and regions'
    /// folders the S3 listing may skip.
    pub fn choose(paths: &[PathBuf], live: &LiveArgs, cfg: &ScanConfig) -> anyhow::Result<Inputs> {
        // `-`: records on standard input, alone (a pipe has no second half to mix with).
        if paths.len() == 1 && paths[0].as_os_str() == "-" && !live.cloudtrail_api {
            return Ok(Inputs {
                sources: vec![Box::new(crate::source::stdin::StdinSource::new(
                    cfg.max_object_bytes as u64,
                ))],
                _runtime: None,
            });
        }
        if !live.is_live(paths) {
            return Ok(Inputs {
                sources: vec![Box::new(LocalSource::new(paths.to_vec()))],
                _runtime: None,
            });
        }
        let mut local = Vec::new();
        let mut urls = Vec::new();
        let mut lakes = Vec::new();
        for p in paths {
            match S3Url::parse(&p.to_string_lossy()) {
                Some(url) => {
                    let url = url?;
                    if live.security_lake || is_lake(&url.bucket, &url.prefix) {
                        lakes.push(url);
                    } else {
                        urls.push(url);
                    }
                }
                None => local.push(p.clone()),
            }
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let conf = rt.block_on(crate::aws::sdk_config(&live.aws.target()));
        let cache =
            match &live.cache {
                Some(dir) => Some(Cache::new(dir).with_context(|| {
                    format!("--cache {}: cannot create the folder", dir.display())
                })?),
                None => None,
            };
        let s3 = S3Options {
            max_in_flight: live.max_in_flight,
            start_in_flight: crate::source::s3::adapt::START,
            max_in_flight_mb: live.max_in_flight_mb,
            cache,
            accounts: cfg.accounts.clone(),
            regions: cfg.regions.clone(),
        };
        // The order sources are read in: local files first (while the downloads start), the
        // API's pages, then the buckets.
        let mut sources: Vec<Box<dyn Source>> = Vec::new();
        if !local.is_empty() {
            sources.push(Box::new(LocalSource::new(local)));
        }
        if live.cloudtrail_api {
            sources.push(Box::new(CloudTrailApi::new(rt.handle().clone(), &conf)));
        }
        if !lakes.is_empty() {
            sources.push(Box::new(SecurityLakeS3::new(
                rt.handle().clone(),
                &conf,
                s3.clone(),
                lakes,
            )));
        }
        if !urls.is_empty() {
            sources.push(Box::new(S3Source::new(
                rt.handle().clone(),
                &conf,
                s3,
                urls,
            )));
        }
        Ok(Inputs {
            sources,
            _runtime: Some(rt),
        })
    }
}
