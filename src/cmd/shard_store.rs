//! Where a sharded run's shards put what they kept (`--out`) and the merge reads it
//! (`--from-shards`): a folder, or an S3 prefix (`s3://bucket/prefix/run/`). Each shard writes
//! `kept/shard-IIIII-of-NNNNN.parquet`, `evidence/shard-IIIII-of-NNNNN.parquet` and last
//! `shard-IIIII-of-NNNNN/manifest.json`, so a shard without a manifest did not finish.

use super::aws_args::AwsArgs;
use crate::source::s3::S3Url;
use anyhow::{bail, Context};
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use tempfile::NamedTempFile;

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

/// Shard `index` of `count`'s kept events (`kind` `kept`) or side evidence (`evidence`): one
/// folder per kind, so that each is a table's location for Athena.
pub fn shard_file(kind: &str, index: u32, count: u32) -> String {
    format!("{kind}/{}.parquet", shard_dir(index, count))
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

    /// A new file to write `rel` into, put in place by [`Store::commit`]: made beside `rel`
    /// in a folder (then renamed over it), in `TMPDIR` for S3 (then uploaded).
    pub fn create(&self, rel: &str) -> anyhow::Result<NamedTempFile> {
        match self {
            Store::Dir(d) => {
                let path = d.join(rel);
                let parent = path.parent().unwrap_or(d);
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
                // Hidden (Spark and Hive skip names starting with a dot) and, like any file
                // the shard writes, readable as the umask allows (a temporary file's default
                // is the owner only).
                let mut b = tempfile::Builder::new();
                b.prefix(".denytrail-");
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    b.permissions(std::fs::Permissions::from_mode(0o666));
                }
                b.tempfile_in(parent)
                    .with_context(|| format!("cannot create a file in {}", parent.display()))
            }
            Store::S3 { .. } => NamedTempFile::new().with_context(|| {
                format!(
                    "cannot create a temporary file for {} (set TMPDIR to a folder with free space)",
                    self.display(rel)
                )
            }),
        }
    }

    /// Puts a file made by [`Store::create`] in place as `rel`.
    pub fn commit(&self, rel: &str, file: NamedTempFile) -> anyhow::Result<()> {
        match self {
            Store::Dir(d) => {
                let path = d.join(rel);
                file.persist(&path)
                    .map(drop)
                    .with_context(|| format!("cannot write {}", path.display()))
            }
            Store::S3 { rt, client, url } => rt.block_on(async {
                let body = aws_sdk_s3::primitives::ByteStream::from_path(file.path())
                    .await
                    .with_context(|| {
                        format!("cannot read back the file for {}", self.display(rel))
                    })?;
                client
                    .put_object()
                    .bucket(&url.bucket)
                    .key(format!("{}{rel}", url.prefix))
                    .body(body)
                    .send()
                    .await
                    .map(drop)
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

    /// `rel` as a file to read (from S3: downloaded to an unnamed temporary file); `None`
    /// when there is no such file.
    pub fn get_file(&self, rel: &str) -> anyhow::Result<Option<File>> {
        match self {
            Store::Dir(d) => match File::open(d.join(rel)) {
                Ok(f) => Ok(Some(f)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e).with_context(|| format!("cannot read {}", self.display(rel))),
            },
            Store::S3 { rt, client, url } => rt.block_on(async {
                let Some(mut body) = s3_body(client, url, rel, &self.display(rel)).await? else {
                    return Ok(None);
                };
                let mut file = tempfile::tempfile().with_context(|| {
                    format!(
                        "cannot create a temporary file for {} (set TMPDIR to a folder with free space)",
                        self.display(rel)
                    )
                })?;
                while let Some(chunk) = body
                    .try_next()
                    .await
                    .with_context(|| format!("cannot read {}", self.display(rel)))?
                {
                    file.write_all(&chunk)
                        .with_context(|| format!("cannot keep {}", self.display(rel)))?;
                }
                Ok(Some(file))
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
                let Some(body) = s3_body(client, url, rel, &self.display(rel)).await? else {
                    return Ok(None);
                };
                let body = body
                    .collect()
                    .await
                    .with_context(|| format!("cannot read {}", self.display(rel)))?;
                Ok(Some(body.into_bytes().to_vec()))
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

/// The body of `rel` under the store's S3 prefix (`shown` names it in errors); `None` when
/// there is no such key. Shared by [`Store::get`] and [`Store::get_file`].
async fn s3_body(
    client: &aws_sdk_s3::Client,
    url: &S3Url,
    rel: &str,
    shown: &str,
) -> anyhow::Result<Option<aws_sdk_s3::primitives::ByteStream>> {
    let r = client
        .get_object()
        .bucket(&url.bucket)
        .key(format!("{}{rel}", url.prefix))
        .send()
        .await;
    match r {
        Ok(o) => Ok(Some(o.body)),
        Err(e) if crate::aws::error_code(&e) == Some("NoSuchKey") => Ok(None),
        Err(e) => bail!("cannot read {shown}: {}", crate::aws::SdkErrorLine(&e)),
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
        assert_eq!(
            shard_file("kept", 3, 16),
            "kept/shard-00003-of-00016.parquet"
        );
    }
}
