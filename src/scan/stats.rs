//! What happened to every object and record: [`ScanStats`], which adds up exactly across
//! threads and shards ([`ScanStats::merge`]), so a summary can account for all input. The
//! kinds of drop it counts are [`crate::input::Skip`]s.

use crate::input::SkipCounts;

/// The whole account of a scan. Every field adds up exactly under [`ScanStats::merge`], in any
/// order, so per-thread stats (and stats of shards scanned on other machines) combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Objects opened (files read or remote objects fetched).
    pub objects: u64,
    /// Bytes as stored (compressed when gzip).
    pub bytes_in: u64,
    /// Bytes after decompression: what the record reader went over.
    pub bytes_out: u64,
    /// Records found in the objects (whatever became of them).
    pub records: u64,
    /// Records kept: S3 403 events inside the time window.
    pub kept: u64,
    /// Skipped objects (files, folders, remote objects) by kind.
    pub objects_skipped: SkipCounts,
    /// Skipped records by kind.
    pub records_skipped: SkipCounts,
}

impl ScanStats {
    /// The scan's account as JSON: what was read, what was kept, and every kind of skip with
    /// its count. The json report carries it (as the table prints it), and a shard's manifest
    /// (read back by [`ScanStats::from_json`] when the shards merge).
    pub fn to_json(&self) -> serde_json::Value {
        let counts = |c: &crate::input::SkipCounts| {
            c.iter()
                .map(|(k, n)| (k.as_str().to_owned(), serde_json::Value::from(n)))
                .collect::<serde_json::Map<_, _>>()
        };
        serde_json::json!({
            "objects": self.objects,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "records": self.records,
            "kept": self.kept,
            "objects_skipped": counts(&self.objects_skipped),
            "records_skipped": counts(&self.records_skipped),
        })
    }

    /// [`ScanStats::to_json`] read back; `Err` names the field that is not what it wrote.
    pub fn from_json(v: &serde_json::Value) -> Result<ScanStats, String> {
        let n = |k: &str| {
            v[k].as_u64()
                .ok_or_else(|| format!("stats.{k} is not a number"))
        };
        let skips = |v: &serde_json::Value| -> Result<crate::input::SkipCounts, String> {
            let mut c = crate::input::SkipCounts::default();
            for (k, n) in v.as_object().into_iter().flatten() {
                let skip = crate::input::Skip::ALL
                    .into_iter()
                    .find(|s| s.as_str() == k)
                    .ok_or_else(|| format!("unknown skip kind `{k}`"))?;
                c.add(skip, n.as_u64().ok_or("a count is not a number")?);
            }
            Ok(c)
        };
        Ok(ScanStats {
            objects: n("objects")?,
            bytes_in: n("bytes_in")?,
            bytes_out: n("bytes_out")?,
            records: n("records")?,
            kept: n("kept")?,
            objects_skipped: skips(&v["objects_skipped"])?,
            records_skipped: skips(&v["records_skipped"])?,
        })
    }

    pub fn merge(&mut self, other: &ScanStats) {
        self.objects += other.objects;
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
        self.records += other.records;
        self.kept += other.kept;
        self.objects_skipped.merge(&other.objects_skipped);
        self.records_skipped.merge(&other.records_skipped);
    }

    /// Input lost for a reason other than the tool's own choice: exit status 2.
    pub fn unintentional(&self) -> u64 {
        self.objects_skipped.unintentional() + self.records_skipped.unintentional()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Skip;

    #[test]
    fn merge_adds_every_field() {
        let mut a = ScanStats {
            objects: 1,
            bytes_in: 10,
            bytes_out: 100,
            records: 5,
            kept: 1,
            ..Default::default()
        };
        a.records_skipped.add(Skip::NotS3, 4);
        let mut b = a;
        b.objects_skipped.add(Skip::TruncatedGzip, 1);
        a.merge(&b);
        assert_eq!(a.objects, 2);
        assert_eq!(a.bytes_out, 200);
        assert_eq!(a.records_skipped.get(Skip::NotS3), 8);
        assert_eq!(a.objects_skipped.get(Skip::TruncatedGzip), 1);
        assert_eq!(a.unintentional(), 1);
    }
}
