//! Where a sharded run's shards put what they kept (`--out`) and the merge reads it
//! (`--from-shards`): a folder, or an S3 prefix (`s3://bucket/prefix/run/`). Each shard writes
//! under `shard-IIIII-of-NNNNN/`; its `manifest.json` is written last, so a shard without one
//! did not finish.

use super::aws_args::AwsArgs;
use crate::source::s3::S3Url;
use anyhow::{bail, Context};
use std::path::PathBuf;

pub enum Store {
    Dir(PathBuf),
    S3 {
        rt: tokio::runtime::Runtime,
        client: aws_sdk_s3::Client,
        url: S3Url,
    },
}

/// The folder of shard `index` of `count`.
pub fn shard_dir(index: u32, count: u32) -> String {
    format!("shard-{index:05}-of-{count:05}")
}

/// `(index, count)` of a folder named by [`shard_dir`].
pub fn parse_shard_dir(name: &str) -> Option<(u32, u32)> {
    let rest = name.strip_prefix("shard-")?;
    let (i, n) = rest.split_once("-of-")?;
    Some((i.parse().ok()?, n.parse().ok()?))
}

impl Store {
    pub fn open(spec: &str, aws: &AwsArgs) -> anyhow::Result<Store> {
        let Some(url) = S3Url::parse(spec) else {
            return Ok(Store::Dir(PathBuf::from(spec)));
        };
        let mut url = url?;
        if !url.prefix.is_empty() && !url.prefix.ends_with('/') {
            url.prefix.push('/');
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let conf = rt.block_on(crate::aws::sdk_config(&aws.target()));
        let client = crate::aws::s3_client(&conf, None);
        Ok(Store::S3 { rt, client, url })
    }

    /// Where `rel` is, for messages.
    pub fn display(&self, rel: &str) -> String {
        match self {
            Store::Dir(d) => d.join(rel).display().to_string(),
            Store::S3 { url, .. } => format!("s3://{}/{}{rel}", url.bucket, url.prefix),
        }
    }

    /// Writes `rel` whole (a folder's file is written beside and renamed over).
    pub fn put(&self, rel: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        match self {
            Store::Dir(d) => {
                let path = d.join(rel);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create {}", parent.display()))?;
                }
                let tmp = path.with_extension("part");
                std::fs::write(&tmp, &bytes)
                    .and_then(|()| std::fs::rename(&tmp, &path))
                    .with_context(|| format!("cannot write {}", path.display()))
            }
            Store::S3 { rt, client, url } => rt.block_on(async {
                client
                    .put_object()
                    .bucket(&url.bucket)
                    .key(format!("{}{rel}", url.prefix))
                    .body(bytes.into())
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "cannot write {}: {}",
                            self.display(rel),
                            crate::aws::SdkErrorLine(&e)
                        )
                    })
            }),
        }
    }

    /// The bytes of `rel`; `None` when there is no such file.
    pub fn get(&self, rel: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match self {
            Store::Dir(d) => match std::fs::read(d.join(rel)) {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e).with_context(|| format!("cannot read {}", self.display(rel))),
            },
            Store::S3 { rt, client, url } => rt.block_on(async {
                let r = client
                    .get_object()
                    .bucket(&url.bucket)
                    .key(format!("{}{rel}", url.prefix))
                    .send()
                    .await;
                match r {
                    Ok(o) => {
                        let body = o
                            .body
                            .collect()
                            .await
                            .with_context(|| format!("cannot read {}", self.display(rel)))?;
                        Ok(Some(body.into_bytes().to_vec()))
                    }
                    Err(e) if crate::aws::error_code(&e) == Some("NoSuchKey") => Ok(None),
                    Err(e) => bail!(
                        "cannot read {}: {}",
                        self.display(rel),
                        crate::aws::SdkErrorLine(&e)
                    ),
                }
            }),
        }
    }

    /// The shard folders present, as `(index, count, name)`, sorted.
    pub fn shard_dirs(&self) -> anyhow::Result<Vec<(u32, u32, String)>> {
        let names: Vec<String> = match self {
            Store::Dir(d) => std::fs::read_dir(d)
                .with_context(|| format!("--from-shards {}: cannot read the folder", d.display()))?
                .flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Store::S3 { rt, client, url } => rt.block_on(async {
                let mut names = Vec::new();
                let mut pages = client
                    .list_objects_v2()
                    .bucket(&url.bucket)
                    .prefix(&url.prefix)
                    .delimiter("/")
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    let page = page.map_err(|e| {
                        anyhow::anyhow!(
                            "--from-shards {}: cannot list: {}",
                            self.display(""),
                            crate::aws::SdkErrorLine(&e)
                        )
                    })?;
                    names.extend(page.common_prefixes().iter().filter_map(|p| {
                        Some(crate::source::s3::plan::last_component(p.prefix()?).to_owned())
                    }));
                }
                Ok::<_, anyhow::Error>(names)
            })?,
        };
        let mut out: Vec<(u32, u32, String)> = names
            .into_iter()
            .filter_map(|n| parse_shard_dir(&n).map(|(i, c)| (i, c, n)))
            .collect();
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_folders_name_their_index_and_count() {
        assert_eq!(shard_dir(3, 16), "shard-00003-of-00016");
        assert_eq!(parse_shard_dir("shard-00003-of-00016"), Some((3, 16)));
        assert_eq!(parse_shard_dir("shard-x-of-2"), None);
        assert_eq!(parse_shard_dir("other"), None);
    }
}
