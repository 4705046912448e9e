//! Sharded runs: a map over many machines, a reduce on one.
//!
//! A shard cannot diagnose alone: the record that explains a denial (an AssumeRole, a KMS
//! denial, a deletion, a policy change) may be in another shard's objects. So each shard
//! (`analyze --shard I/N --out DIR|s3://...`) lists the whole plan, scans its part
//! ([`crate::source::shard`]) and writes what the scan keeps, as Parquet that Athena, Spark
//! or DuckDB can also query ([`super::shard_parquet`]):
//! - `kept/shard-IIIII-of-NNNNN.parquet`: the kept S3 403 events, one row each (typed columns
//!   for queries, and the event's JSON as the spill file writes it, which the merge reads);
//! - `evidence/shard-IIIII-of-NNNNN.parquet`: the side evidence, one row per item of the
//!   evidence log (`scan::evidence_log`);
//! - `shard-IIIII-of-NNNNN/manifest.json` (last): the shard's index and count, the plan
//!   digest, the window and filters, the scan counts, the evidence overflow and the number of
//!   rows of each file.
//!
//! `analyze --from-shards DIR|s3://...` reads every shard, feeds the kept events to the same
//! sink a single run's scan feeds (findings come back in listing order whatever the shard),
//! makes one evidence log of all shards' lines and adds up their counts: from there on it is
//! the single run. It names the shards that are missing (no manifest) or came from a
//! different listing (another plan digest or shard count), merges the rest, and exits 2
//! (input lost) unless `--allow-skipped`. Shards written by an earlier denytrail (format 1:
//! `kept.jsonl` and `evidence.tsv`, never released) are refused with a message: run them
//! again.

use super::live::{Inputs, LiveArgs};
use super::shard_parquet::{read_evidence, read_kept, EvidenceWriter, KeptWriter};
use super::shard_store::{shard_dir, shard_file, Store};
use crate::messages::{self, Progress};
use crate::scan::evidence::Overflow;
use crate::scan::{self, EvidenceLog, ScanConfig, ScanOutput, ScanStats, Sink};
use crate::source::shard::{Plan, ShardSpec, Sharded};
use crate::source::Source;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The manifest's format version: 2 since the kept events and the evidence are Parquet.
const FORMAT: u64 = 2;

/// Sharded runs.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Sharded runs (map: --shard + --out; reduce: --from-shards)")]
pub struct ShardArgs {
    /// Read only this shard of the listing: `I/N` (I from 0), or `env` (AWS Batch array jobs:
    /// AWS_BATCH_JOB_ARRAY_INDEX/SIZE; Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX and
    /// --shards N). Every shard lists the same plan and keeps the objects whose key hashes to
    /// I. Needs --out; no diagnosis is made (--from-shards does it).
    #[arg(long, value_name = "I/N|env")]
    pub shard: Option<String>,
    /// The number of shards, for `--shard env` under a Kubernetes Indexed Job (its
    /// completions).
    #[arg(long, value_name = "N")]
    pub shards: Option<u32>,
    /// Where this shard writes what its scan kept: a folder or s3://bucket/prefix/run/ (under
    /// shard-IIIII-of-NNNNN/).
    #[arg(long, value_name = "DIR|s3://...")]
    pub out: Option<String>,
    /// Merge the shards written under DIR|s3://... and diagnose them as one run (no logs are
    /// read): the findings equal a single run's over the same objects.
    #[arg(long, value_name = "DIR|s3://...")]
    pub from_shards: Option<String>,
}

impl ShardArgs {
    /// The shard this run is, when it is one; usage errors for flags that do not go together.
    pub fn spec(&self, paths: &[PathBuf]) -> anyhow::Result<Option<ShardSpec>> {
        if self.from_shards.is_some() {
            if self.shard.is_some() || self.out.is_some() {
                return Err(super::usage(
                    "--from-shards merges shards; it does not go with --shard or --out",
                ));
            }
            if !paths.is_empty() {
                return Err(super::usage(
                    "--from-shards reads the shards' output, not logs: drop the PATHs",
                ));
            }
            return Ok(None);
        }
        let Some(s) = &self.shard else {
            if self.out.is_some() || self.shards.is_some() {
                return Err(super::usage("--out and --shards go with --shard"));
            }
            return Ok(None);
        };
        if self.out.is_none() {
            return Err(super::usage(
                "--shard needs --out DIR|s3://...: a shard writes what it kept for --from-shards",
            ));
        }
        if let Some(out) = &self.out {
            if let Some(p) = paths.iter().find(|p| inside(out, &p.to_string_lossy())) {
                return Err(super::usage(format!(
                    "--out {out} is inside the logs being read ({}): later shards would list earlier shards' files as logs; write elsewhere",
                    p.display()
                )));
            }
        }
        let spec = if s == "env" {
            ShardSpec::from_env(|k| std::env::var(k).ok(), self.shards)
        } else {
            ShardSpec::parse(s)
        };
        spec.map(Some).map_err(super::usage)
    }
}

/// Whether `out` (a folder or an S3 URL) is `input` or under it.
fn inside(out: &str, input: &str) -> bool {
    if out.starts_with("s3://") || input.starts_with("s3://") {
        let dir = |s: &str| {
            let mut s = s.to_owned();
            if !s.ends_with('/') {
                s.push('/');
            }
            s
        };
        // `s3://bucket` and `s3://bucket/` are the same place.
        let (out, input) = (dir(out), dir(input));
        return out.starts_with(&input);
    }
    let abs = |s: &str| std::path::absolute(s).unwrap_or_else(|_| PathBuf::from(s));
    abs(out).starts_with(abs(input))
}

/// What the shards must agree on besides the listing: the window and the filters.
fn fold_config(plan: &mut Plan, cfg: &ScanConfig) {
    plan.fold(&format!("since={:?}", cfg.window.since));
    plan.fold(&format!("until={:?}", cfg.window.until));
    plan.fold(&format!("accounts={:?}", cfg.accounts));
    plan.fold(&format!("regions={:?}", cfg.regions));
}

fn overflow_json(o: &Overflow) -> Value {
    json!({
        "kms_denials": o.kms_denials,
        "session_policies": o.session_policies,
        "foreign_writes": o.foreign_writes,
        "deletions": o.deletions,
        "changes": o.changes,
    })
}

fn overflow_from(v: &Value) -> Overflow {
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    Overflow {
        kms_denials: n("kms_denials"),
        session_policies: n("session_policies"),
        foreign_writes: n("foreign_writes"),
        deletions: n("deletions"),
        changes: n("changes"),
    }
}

/// The map: scans this shard's part of the plan and writes what it kept. Returns the scan's
/// counts (for the exit status).
pub fn map(
    spec: ShardSpec,
    args: &ShardArgs,
    roots: &[PathBuf],
    live: &LiveArgs,
    cfg: &ScanConfig,
) -> anyhow::Result<ScanStats> {
    let out = args.out.as_deref().context("--shard needs --out")?;
    let store = Store::open(out, &live.aws)?;
    let inputs = Inputs::choose(roots, live, cfg)?;
    let sharded: Vec<Sharded<'_>> = inputs
        .sources
        .iter()
        .map(|s| Sharded::new(s.as_ref(), spec))
        .collect();
    let sources: Vec<&dyn Source> = sharded.iter().map(|s| s as &dyn Source).collect();
    let kept_rel = shard_file("kept", spec.index, spec.count);
    let kept_file = store.create(&kept_rel)?;
    let kept = KeptWriter::new(
        kept_file
            .as_file()
            .try_clone()
            .context("cannot open the kept events' file")?,
    )?;
    let progress = Progress::new();
    let mut scanned = scan::scan_sources(&sources, cfg, &kept, &progress)?;
    progress.finish();
    let kept_events = kept
        .finish()
        .with_context(|| format!("cannot write {}", store.display(&kept_rel)))?;
    let mut plan = Plan::default();
    let (mut items, mut mine) = (0, 0);
    for s in &sharded {
        let p = s.plan();
        plan.fold(&format!("{:016x}", p.digest));
        items += p.items;
        mine += p.mine;
    }
    fold_config(&mut plan, cfg);
    let evidence_rel = shard_file("evidence", spec.index, spec.count);
    let evidence_file = store.create(&evidence_rel)?;
    let mut evidence = EvidenceWriter::new(
        evidence_file
            .as_file()
            .try_clone()
            .context("cannot open the side evidence's file")?,
    )?;
    let overflow = match scanned.evidence_log.take() {
        Some(log) => log
            .write_lines(&mut evidence)
            .context("writing the side evidence")?,
        None => Overflow::default(),
    };
    let evidence_items = evidence
        .finish()
        .with_context(|| format!("cannot write {}", store.display(&evidence_rel)))?;
    let dir = shard_dir(spec.index, spec.count);
    let manifest = json!({
        "denytrail_shard_format": FORMAT,
        "shard": spec.index,
        "shards": spec.count,
        "plan_digest": format!("{:016x}", plan.digest),
        "plan_items": items,
        "shard_items": mine,
        "since": cfg.window.since.map(|t| t.to_rfc3339()),
        "until": cfg.window.until.map(|t| t.to_rfc3339()),
        "accounts": cfg.accounts,
        "regions": cfg.regions,
        "stats": scanned.stats.to_json(),
        "evidence_overflow": overflow_json(&overflow),
        "kept": kept_rel,
        "kept_events": kept_events,
        "evidence": evidence_rel,
        "evidence_items": evidence_items,
    });
    store.commit(&kept_rel, kept_file)?;
    store.commit(&evidence_rel, evidence_file)?;
    let mut m = serde_json::to_vec_pretty(&manifest)?;
    m.push(b'\n');
    store.put(&format!("{dir}/manifest.json"), m)?;
    messages::notice(&format!(
        "denytrail: shard {}/{}: {} of the plan's {} items (plan {:016x}); read {} objects, kept {} S3 403 events and {} items of side evidence; wrote {}, {} and {}",
        spec.index,
        spec.count,
        mine,
        items,
        plan.digest,
        scanned.stats.objects,
        kept_events,
        evidence_items,
        store.display(&kept_rel),
        store.display(&evidence_rel),
        store.display(&format!("{dir}/manifest.json"))
    ));
    Ok(scanned.stats)
}

/// One shard's manifest as read.
struct Manifest {
    index: u32,
    count: u32,
    digest: String,
    dir: String,
    value: Value,
}

/// The reduce: merges the shards under `from` into `sink` and a scan output, as if one scan
/// had read every shard's objects. Also returns how many shards were missing or refused.
pub fn reduce(
    from: &str,
    live: &LiveArgs,
    cfg: &ScanConfig,
    sink: &dyn Sink,
) -> anyhow::Result<(ScanOutput, usize)> {
    let store = Store::open(from, &live.aws)?;
    let mut manifests = Vec::new();
    for (index, count, dir) in store.shard_dirs()? {
        let Some(bytes) = store.get(&format!("{dir}/manifest.json"))? else {
            continue; // did not finish: counted as missing below
        };
        let value: Value = serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{}: not JSON",
                store.display(&format!("{dir}/manifest.json"))
            )
        })?;
        match value["denytrail_shard_format"].as_u64() {
            Some(FORMAT) => {}
            Some(other) => bail!(
                "{}: a shard of another denytrail (shard format {other}; this one reads {FORMAT}, Parquet): run the shards again with this denytrail",
                store.display(&format!("{dir}/manifest.json"))
            ),
            None => bail!(
                "{}: not a shard manifest of denytrail",
                store.display(&format!("{dir}/manifest.json"))
            ),
        }
        let digest = value["plan_digest"].as_str().unwrap_or_default().to_owned();
        manifests.push(Manifest {
            index,
            count,
            digest,
            dir,
            value,
        });
    }
    if manifests.is_empty() {
        bail!(
            "--from-shards {}: no finished shard there (no shard-*/manifest.json)",
            store.display("")
        );
    }
    // The listing most shards made is the run's; ties go to the one of the lowest index.
    let mut votes: BTreeMap<(u32, &str), (usize, u32)> = BTreeMap::new();
    for m in &manifests {
        let v = votes.entry((m.count, &m.digest)).or_insert((0, m.index));
        v.0 += 1;
        v.1 = v.1.min(m.index);
    }
    let (count, digest) = votes
        .iter()
        .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)))
        .map(|((c, d), _)| (*c, d.to_string()))
        .context("at least one shard")?;
    let mut problems = 0;
    for m in manifests
        .iter()
        .filter(|m| m.count != count || m.digest != digest)
    {
        problems += 1;
        messages::notice(&format!(
            "denytrail: {} came from a different listing (shard {} of {}, plan {}; the others: {count} shards, plan {digest}): not merged",
            store.display(&format!("{}/", m.dir)),
            m.index,
            m.count,
            m.digest
        ));
    }
    let good: Vec<&Manifest> = manifests
        .iter()
        .filter(|m| m.count == count && m.digest == digest)
        .collect();
    // Missing: no manifest at all (a refused one was named above).
    let missing: Vec<u32> = (0..count)
        .filter(|i| !manifests.iter().any(|m| m.index == *i))
        .collect();
    if !missing.is_empty() {
        problems += missing.len();
        messages::notice(&format!(
            "denytrail: {} of {count} shards missing under {} (no manifest.json: not run or not finished): {}; their objects were not read",
            missing.len(),
            store.display(""),
            missing
                .iter()
                .map(|i| shard_dir(*i, count))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    // Shards scanned under other flags would not be this run's findings.
    let window = |v: &Value, k: &str| v[k].as_str().map(str::to_owned);
    for m in &good {
        let since = window(&m.value, "since");
        let until = window(&m.value, "until");
        if since != cfg.window.since.map(|t| t.to_rfc3339())
            || until != cfg.window.until.map(|t| t.to_rfc3339())
        {
            return Err(super::usage(format!(
                "the shards were scanned with the window {} .. {}; pass the same --since/--until (and --compare-previous) to --from-shards",
                since.as_deref().unwrap_or("(open)"),
                until.as_deref().unwrap_or("(open)")
            )));
        }
        let list = |k: &str| -> Vec<String> {
            m.value[k]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        if list("accounts") != cfg.accounts || list("regions") != cfg.regions {
            return Err(super::usage(format!(
                "the shards were scanned with --account {:?} and --region {:?}; pass the same to --from-shards",
                list("accounts"),
                list("regions")
            )));
        }
    }
    let mut stats = ScanStats::default();
    let mut log = EvidenceLog::from_lines(cfg.evidence_caps);
    for m in &good {
        stats.merge(
            &ScanStats::from_json(&m.value["stats"])
                .map_err(anyhow::Error::msg)
                .with_context(|| {
                    format!(
                        "{}: stats",
                        store.display(&format!("{}/manifest.json", m.dir))
                    )
                })?,
        );
        let manifest_rel = format!("{}/manifest.json", m.dir);
        let count = |k: &str| {
            m.value[k]
                .as_u64()
                .with_context(|| format!("{}: no {k}", store.display(&manifest_rel)))
        };
        let rel = shard_file("evidence", m.index, m.count);
        let file = store
            .get_file(&rel)?
            .with_context(|| format!("{} is missing", store.display(&rel)))?;
        log.add_lines(b"", &overflow_from(&m.value["evidence_overflow"]))
            .context("keeping the side evidence")?;
        let items = read_evidence(file, |lines| {
            log.add_lines(lines, &Overflow::default())
                .context("keeping the side evidence")
        })
        .with_context(|| store.display(&rel))?;
        let want = count("evidence_items")?;
        if items != want {
            bail!(
                "{} holds {items} items, its manifest says {want}: not this shard's file",
                store.display(&rel)
            );
        }
        let rel = shard_file("kept", m.index, m.count);
        let file = store
            .get_file(&rel)?
            .with_context(|| format!("{} is missing", store.display(&rel)))?;
        let read = read_kept(file, sink).with_context(|| store.display(&rel))?;
        if read.stopped {
            break;
        }
        let want = count("kept_events")?;
        if read.events != want {
            bail!(
                "{} holds {} events, its manifest says {want}: not this shard's file",
                store.display(&rel),
                read.events
            );
        }
    }
    Ok((
        ScanOutput {
            stats,
            evidence: scan::Evidence::with_caps(cfg.evidence_caps),
            evidence_log: Some(log),
            stopped: false,
        },
        problems,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_inside_the_input_is_told() {
        assert!(inside("s3://b/runs/1/", "s3://b/"));
        assert!(inside("s3://b/runs/1/", "s3://b"));
        assert!(!inside("s3://other/runs/", "s3://b/"));
        assert!(!inside("s3://b2/runs/", "s3://b"));
        assert!(inside("logs/runs", "logs"));
        assert!(!inside("/tmp/runs", "logs"));
        assert!(!inside("logs-runs", "logs"));
    }
}
