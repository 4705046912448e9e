//! What the diagnosis adds to the scan: the same tree is scanned, then every kept denial is
//! diagnosed against a snapshot (as `analyze` does: rayon, function transform, verdict
//! cache), and both wall-clock times are printed. Built on the library core only (no polars,
//! no AWS SDK), so an optimized build is cheap:
//!
//! ```sh
//! python3 ../shared/tools/gen_corpus.py /tmp/bench500 --mb 500
//! python3 tests/fixtures/make_bench_snapshot.py /tmp/bench-snapshot
//! cargo build --profile perf --no-default-features --bench diagnose
//! DENYTRAIL_BENCH_TREE=/tmp/bench500 DENYTRAIL_BENCH_SNAPSHOT=/tmp/bench-snapshot \
//!     target/perf/deps/diagnose-<hash>
//! ```
//!
//! Without the two variables it prints how to run it and exits (so `cargo test --benches`
//! only compiles it).

use denytrail::diagnose::diagnoser::Diagnoser;
use denytrail::messages::Progress;
use denytrail::scan::spill::SpillSink;
use denytrail::scan::{self, ScanConfig};
use denytrail::snapshot::Snapshot;
use denytrail::source::LocalSource;
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let (Some(tree), Some(snap)) = (
        std::env::var_os("DENYTRAIL_BENCH_TREE"),
        std::env::var_os("DENYTRAIL_BENCH_SNAPSHOT"),
    ) else {
        eprintln!("set DENYTRAIL_BENCH_TREE and DENYTRAIL_BENCH_SNAPSHOT (see the file's doc)");
        return;
    };
    let runs: usize = std::env::var("DENYTRAIL_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let t = Instant::now();
    let (snapshot, problems) = match Snapshot::load(&PathBuf::from(&snap)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("denytrail: {e}");
            return;
        }
    };
    let load = t.elapsed();
    println!(
        "snapshot load: {:.3} s ({} problems)",
        load.as_secs_f64(),
        problems.len()
    );
    for run in 0..runs {
        let source = LocalSource::new(vec![PathBuf::from(&tree)]);
        let sink = SpillSink::new(usize::MAX);
        let t = Instant::now();
        let out = scan::scan_source(&source, &ScanConfig::default(), &sink, &Progress::hidden())
            .expect("a local source always lists");
        let scan_time = t.elapsed();
        let denials = sink
            .finish()
            .next_batch(usize::MAX)
            .expect("a budget of usize::MAX never touches the disk")
            .unwrap_or_default();
        let t = Instant::now();
        let diag = Diagnoser::new(&snapshot, &out.evidence);
        let findings: Vec<_> = denials
            .par_iter()
            .map(|d| diag.diagnose(&d.event, &d.origin))
            .collect();
        let diag_time = t.elapsed();
        let mut by_cause = std::collections::BTreeMap::new();
        for f in &findings {
            *by_cause.entry(f.root_cause.as_str()).or_insert(0u32) += 1;
        }
        println!(
            "run {run}: scan {:.3} s, diagnosis of {} denials {:.3} s (+{:.1} %); causes {:?}",
            scan_time.as_secs_f64(),
            findings.len(),
            diag_time.as_secs_f64(),
            100.0 * diag_time.as_secs_f64() / scan_time.as_secs_f64(),
            by_cause
        );
    }
}
