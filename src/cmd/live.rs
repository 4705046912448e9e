//! `analyze`'s live inputs: `s3://BUCKET/PREFIX` arguments (mixable with local paths) and
//! `--cloudtrail-api`. Local-only runs go straight to the scan's local source; otherwise every
//! input is listed first, then local files, API pages and S3 downloads (concurrent, bounded)
//! are fed to the same scan as `(object, bytes)` pairs.

use super::aws_args::AwsArgs;
use crate::messages::Progress;
use crate::scan::{self, ScanConfig, ScanOutput, Sink};
use crate::source::s3::{Cache, S3Options, S3Source, S3Url};
use crate::source::{cloudtrail_api, Listed, LocalSource, LogObject, Source};
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
    /// S3 downloads at once (memory is about 2 × N × the largest log object).
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_in_flight: usize,
    /// Read S3 management events of the last 90 days through CloudTrail's LookupEvents
    /// (no trail bucket needed). It cannot see S3 data events (GetObject, PutObject, ...):
    /// only bucket-level calls such as GetBucketPolicy or PutBucketAcl.
    #[arg(long)]
    pub cloudtrail_api: bool,
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
    if !live.is_live(paths) {
        return Ok(scan::scan_source(
            &LocalSource::new(paths.to_vec()),
            cfg,
            sink,
            progress,
        ));
    }
    let mut local = Vec::new();
    let mut urls = Vec::new();
    for p in paths {
        match S3Url::parse(&p.to_string_lossy()) {
            Some(url) => urls.push(url?),
            None => local.push(p.clone()),
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let conf = rt.block_on(crate::aws::sdk_config(&live.aws.target()));

    // List everything first: a bucket that cannot be listed at all stops the run (exit 1)
    // before anything is scanned.
    let mut listed: Vec<Listed> = Vec::new();
    let local_source = LocalSource::new(local.clone());
    if !local.is_empty() {
        listed.extend(local_source.list(&cfg.window));
    }
    let cache = match &live.cache {
        Some(dir) => Some(
            Cache::new(dir)
                .with_context(|| format!("--cache {}: cannot create the folder", dir.display()))?,
        ),
        None => None,
    };
    let s3 = S3Source::new(
        rt.handle().clone(),
        &conf,
        S3Options {
            max_in_flight: live.max_in_flight,
            cache,
            accounts: cfg.accounts.clone(),
            regions: cfg.regions.clone(),
        },
    );
    for url in &urls {
        listed.extend(s3.list(url, &cfg.window)?);
    }

    let mut head = scan::account_listing(&listed);
    let (mut local_objects, mut s3_objects) = (Vec::new(), Vec::new());
    for item in listed {
        let Listed::Object(o) = item else { continue };
        if let Some(skip) = cfg.refuses(&o.name) {
            head.objects_skipped.add(skip, 1);
            continue;
        }
        match o.locator {
            crate::source::Locator::S3 { .. } => s3_objects.push(o),
            _ => local_objects.push(o),
        }
    }
    progress.set_total(
        (local_objects.len() + s3_objects.len()) as u64,
        local_objects
            .iter()
            .chain(&s3_objects)
            .filter_map(|o| o.size)
            .sum(),
    );
    // Downloads start now and overlap with reading local files and API pages.
    let fetched = s3.fetch_all(s3_objects, cfg.max_object_bytes);
    let api = live
        .cloudtrail_api
        .then(|| cloudtrail_api::lookup(rt.handle(), &conf, &cfg.window));
    let local_items = local_objects.into_iter().map(move |o: LogObject| {
        let mut buf = Vec::new();
        let r = local_source.fetch(&o, &mut buf).map(|()| buf);
        (o, r)
    });
    let items = local_items.chain(api.into_iter().flatten()).chain(fetched);
    let mut out = scan::scan_fetched(items, cfg, sink, progress);
    out.stats.merge(&head);
    Ok(out)
}
