//! One machine's part of a sharded run (`analyze --shard I/N`): every shard lists the same
//! plan (the sources' whole listing) and keeps the items whose name hashes to its index, so
//! N shards together read every object exactly once, with no coordination but N.
//!
//! The hash is FNV-1a (64-bit) of the item's name (`s3://bucket/key` or the path as listed):
//! fixed by this file, not by a library's seed or version, so shards built from different
//! releases of the same code still agree. Listing skips (a key outside the window, a digest
//! file) belong to a shard the same way, so each is counted once across the shards.
//!
//! The plan's digest (FNV-1a over every item's name, size and skip kind, in listing order, and
//! the count) says whether two shards listed the same thing: the merge refuses a shard whose
//! digest differs from the others' (the bucket changed between listings, other flags).

use super::contract::{Source, Stream};
use super::object::{FetchError, ListError, Listed, LogObject};
use crate::input::TimeWindow;
use std::sync::Mutex;

/// `--shard I/N`: this run is shard `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

impl ShardSpec {
    /// `I/N` with `0 <= I < N`.
    pub fn parse(s: &str) -> Result<ShardSpec, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("--shard {s}: write I/N (e.g. 0/4) or env"))?;
        let index: u32 = i
            .trim()
            .parse()
            .map_err(|_| format!("--shard {s}: `{i}` is not a shard index"))?;
        let count: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("--shard {s}: `{n}` is not a number of shards"))?;
        ShardSpec::new(index, count).map_err(|e| format!("--shard {s}: {e}"))
    }

    pub fn new(index: u32, count: u32) -> Result<ShardSpec, String> {
        if count == 0 {
            return Err("the number of shards must be at least 1".into());
        }
        if index >= count {
            return Err(format!(
                "shard index {index} is not below the number of shards {count} (indexes start at 0)"
            ));
        }
        Ok(ShardSpec { index, count })
    }

    /// `--shard env`: AWS Batch array jobs set `AWS_BATCH_JOB_ARRAY_INDEX` and
    /// `AWS_BATCH_JOB_ARRAY_SIZE` ("The array job index begins at 0, and each child job
    /// receives a unique index number"; "AWS_BATCH_JOB_ARRAY_SIZE: This variable is set to
    /// the size of the parent array job",
    /// <https://docs.aws.amazon.com/batch/latest/userguide/job_env_vars.html>). Kubernetes
    /// Indexed Jobs set `JOB_COMPLETION_INDEX` ("the control plane automatically sets the
    /// downward API to expose the index in the JOB_COMPLETION_INDEX environment variable",
    /// <https://kubernetes.io/docs/tasks/job/indexed-parallel-processing-static>) but not the
    /// count, which `shards` (`--shards N`, the Job's `completions`) gives.
    pub fn from_env(
        get: impl Fn(&str) -> Option<String>,
        shards: Option<u32>,
    ) -> Result<ShardSpec, String> {
        let num = |var: &str| -> Result<Option<u32>, String> {
            match get(var) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{var}={v} is not a number")),
            }
        };
        if let Some(index) = num("AWS_BATCH_JOB_ARRAY_INDEX")? {
            let count = match (num("AWS_BATCH_JOB_ARRAY_SIZE")?, shards) {
                (Some(n), _) | (None, Some(n)) => n,
                (None, None) => {
                    return Err("AWS_BATCH_JOB_ARRAY_INDEX is set but not AWS_BATCH_JOB_ARRAY_SIZE; pass --shards N".into())
                }
            };
            return ShardSpec::new(index, count);
        }
        if let Some(index) = num("JOB_COMPLETION_INDEX")? {
            let Some(count) = shards else {
                return Err(
                    "JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job); pass --shards N, the Job's completions".into(),
                );
            };
            return ShardSpec::new(index, count);
        }
        Err("--shard env: neither AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch array job) nor JOB_COMPLETION_INDEX (Kubernetes Indexed Job) is set".into())
    }

    /// Whether the item named `name` is this shard's.
    pub fn owns(&self, name: &str) -> bool {
        fnv1a(name.as_bytes(), FNV_OFFSET) % u64::from(self.count) == u64::from(self.index)
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, 64-bit, continuing from `h`.
pub fn fnv1a(bytes: &[u8], mut h: u64) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// What a shard saw of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// FNV-1a over every item listed, in order.
    pub digest: u64,
    /// Items listed (objects and listing skips), all shards'.
    pub items: u64,
    /// Of those, this shard's.
    pub mine: u64,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            digest: FNV_OFFSET,
            items: 0,
            mine: 0,
        }
    }
}

impl Plan {
    fn add(&mut self, item: &Listed) {
        let line = match item {
            Listed::Object(o) => format!(
                "O\t{}\t{}\n",
                o.name,
                o.size.map(|s| s as i128).unwrap_or(-1)
            ),
            Listed::Skipped(s) => format!("S\t{}\t{}\n", s.name, s.skip.as_str()),
        };
        self.digest = fnv1a(line.as_bytes(), self.digest);
        self.items += 1;
    }

    /// Folds something else the shards must agree on (the window, the filters) into the
    /// digest.
    pub fn fold(&mut self, text: &str) {
        self.digest = fnv1a(text.as_bytes(), self.digest);
        self.digest = fnv1a(b"\n", self.digest);
    }
}

/// A source seen by one shard: the whole listing goes into the plan's digest, only this
/// shard's items go on to the scan.
pub struct Sharded<'a> {
    pub inner: &'a dyn Source,
    pub spec: ShardSpec,
    pub plan: Mutex<Plan>,
}

impl<'a> Sharded<'a> {
    pub fn new(inner: &'a dyn Source, spec: ShardSpec) -> Self {
        Sharded {
            inner,
            spec,
            plan: Mutex::new(Plan::default()),
        }
    }

    pub fn plan(&self) -> Plan {
        self.plan.lock().map(|p| *p).unwrap_or_default()
    }
}

fn name(item: &Listed) -> &str {
    match item {
        Listed::Object(o) => &o.name,
        Listed::Skipped(s) => &s.name,
    }
}

impl Source for Sharded<'_> {
    fn list(&self, window: &TimeWindow) -> Result<Vec<Listed>, ListError> {
        let all = self.inner.list(window)?;
        let mut plan = Plan::default();
        let mut mine = Vec::new();
        for item in all {
            plan.add(&item);
            if self.spec.owns(name(&item)) {
                mine.push(item);
            }
        }
        plan.mine = mine.len() as u64;
        if let Ok(mut p) = self.plan.lock() {
            *p = plan;
        }
        Ok(mine)
    }

    fn fetch(&self, object: &LogObject, buf: &mut Vec<u8>) -> Result<(), FetchError> {
        self.inner.fetch(object, buf)
    }

    fn prefetches(&self) -> bool {
        self.inner.prefetches()
    }

    fn stream<'b>(
        &'b self,
        objects: Vec<LogObject>,
        window: &TimeWindow,
        max_object_bytes: usize,
    ) -> Stream<'b> {
        self.inner.stream(objects, window, max_object_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::object::Locator;
    use std::collections::HashMap;

    #[test]
    fn shard_specs_parse_and_refuse_what_is_not_one() {
        assert_eq!(
            ShardSpec::parse("2/4"),
            Ok(ShardSpec { index: 2, count: 4 })
        );
        for bad in ["4/4", "1/0", "x/4", "3", "-1/4"] {
            assert!(ShardSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn env_reads_aws_batch_then_kubernetes() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            let m: HashMap<&str, &str> = pairs.iter().copied().collect();
            move |k: &str| m.get(k).map(|v| v.to_string())
        };
        let batch = env(&[
            ("AWS_BATCH_JOB_ARRAY_INDEX", "3"),
            ("AWS_BATCH_JOB_ARRAY_SIZE", "8"),
        ]);
        assert_eq!(
            ShardSpec::from_env(batch, None),
            Ok(ShardSpec { index: 3, count: 8 })
        );
        let k8s = env(&[("JOB_COMPLETION_INDEX", "1")]);
        assert_eq!(
            ShardSpec::from_env(&k8s, Some(4)),
            Ok(ShardSpec { index: 1, count: 4 })
        );
        assert!(
            ShardSpec::from_env(&k8s, None).is_err(),
            "the count is needed"
        );
        assert!(ShardSpec::from_env(env(&[]), Some(4)).is_err());
        let out_of_range = env(&[("JOB_COMPLETION_INDEX", "4")]);
        assert!(ShardSpec::from_env(out_of_range, Some(4)).is_err());
    }

    /// Every name belongs to exactly one shard, and the shards get a fair share.
    #[test]
    fn every_item_belongs_to_exactly_one_shard() {
        let n = 4;
        let mut per = [0usize; 4];
        for i in 0..4000 {
            let name = format!(
                "s3://b/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/x_{i:05}.json.gz"
            );
            let owners: Vec<u32> = (0..n)
                .filter(|&k| ShardSpec { index: k, count: n }.owns(&name))
                .collect();
            assert_eq!(owners.len(), 1, "{name}");
            per[owners[0] as usize] += 1;
        }
        assert!(per.iter().all(|&c| (850..=1150).contains(&c)), "{per:?}");
        // Fixed across releases: the value a known name hashes to.
        assert_eq!(fnv1a(b"a", FNV_OFFSET), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn the_plan_digest_changes_with_the_listing() {
        let obj = |n: &str, size: u64| {
            Listed::Object(LogObject {
                name: n.into(),
                size: Some(size),
                locator: Locator::Path(n.into()),
            })
        };
        let digest = |items: &[Listed]| {
            let mut p = Plan::default();
            items.iter().for_each(|i| p.add(i));
            p.digest
        };
        let a = digest(&[obj("x", 1), obj("y", 2)]);
        assert_eq!(a, digest(&[obj("x", 1), obj("y", 2)]));
        assert_ne!(a, digest(&[obj("x", 1), obj("y", 3)]), "a size changed");
        assert_ne!(a, digest(&[obj("x", 1)]), "an object less");
    }
}
