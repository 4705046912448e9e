//! `--cache DIR`: fetched log objects kept on disk as `DIR/<bucket>/<key>`, so a second run
//! over the same days reads locally instead of downloading again. CloudTrail never rewrites a
//! delivered file, so a cached copy whose size matches the listing is the object; a size
//! mismatch (a partial copy from an interrupted run, an overwritten key) is fetched again.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    pub fn new(root: &Path) -> io::Result<Cache> {
        fs::create_dir_all(root)?;
        Ok(Cache {
            root: root.to_owned(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file for an object; `None` when the key could escape the folder (`..`, absolute,
    /// empty components): such an object is simply not cached.
    pub fn path(&self, bucket: &str, key: &str) -> Option<PathBuf> {
        let safe = |c: &str| !c.is_empty() && c != "." && c != ".." && !c.contains(['\\', '\0']);
        if !safe(bucket) || bucket.contains('/') || !key.split('/').all(safe) {
            return None;
        }
        let mut p = self.root.join(bucket);
        p.extend(key.split('/'));
        Some(p)
    }

    /// The cached bytes, when present and (if the listing gave a size) of that size.
    pub fn read(&self, bucket: &str, key: &str, size: Option<u64>) -> Option<Vec<u8>> {
        let p = self.path(bucket, key)?;
        let meta = fs::metadata(&p).ok()?;
        if size.is_some_and(|s| s != meta.len()) {
            return None;
        }
        fs::read(&p).ok()
    }

    /// Stores an object: written beside its place and renamed, so a reader never sees half a
    /// file.
    pub fn write(&self, bucket: &str, key: &str, bytes: &[u8]) -> io::Result<()> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let Some(p) = self.path(bucket, key) else {
            return Ok(());
        };
        if let Some(dir) = p.parent() {
            fs::create_dir_all(dir)?;
        }
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let tmp = p.with_extension(format!("denytrail-{}-{n}.part", std::process::id()));
        fs::write(&tmp, bytes)?;
        fs::rename(&tmp, &p).inspect_err(|_| {
            let _ = fs::remove_file(&tmp);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_could_escape_the_cache_are_not_cached() {
        let c = Cache {
            root: PathBuf::from("/c"),
        };
        assert_eq!(
            c.path("b", "AWSLogs/1/CloudTrail/x.json.gz"),
            Some(PathBuf::from("/c/b/AWSLogs/1/CloudTrail/x.json.gz"))
        );
        for bad in ["../x", "a/../../x", "/abs", "a//b", "a/./b", ""] {
            assert_eq!(c.path("b", bad), None, "{bad}");
        }
        assert_eq!(c.path("..", "x"), None);
    }

    #[test]
    fn a_copy_of_the_wrong_size_is_a_miss() {
        let dir = tempfile::tempdir().expect("tempdir");
        let c = Cache::new(dir.path()).expect("cache");
        c.write("b", "k/x.gz", b"12345").expect("write");
        assert_eq!(
            c.read("b", "k/x.gz", Some(5)).as_deref(),
            Some(&b"12345"[..])
        );
        assert_eq!(c.read("b", "k/x.gz", None).as_deref(), Some(&b"12345"[..]));
        assert_eq!(c.read("b", "k/x.gz", Some(6)), None);
        assert_eq!(c.read("b", "k/missing.gz", None), None);
    }
}
