//! The scan alone, as a whole process: every kept S3 403 printed as a record-only finding
//! (JSON Lines), the stats on stderr. Builds with the library core only
//! (`cargo build --profile perf --no-default-features --example scan_only`), so the scan's
//! throughput can be measured apart from the diagnosis and the reports.

use denytrail::diagnose::finding_from_record;
use denytrail::messages::Progress;
use denytrail::scan::{scan_source, Denial, ScanConfig, Sink};
use denytrail::source::LocalSource;
use std::io::{BufWriter, Stdout, Write};
use std::sync::Mutex;

struct Jsonl(Mutex<BufWriter<Stdout>>);

impl Sink for Jsonl {
    fn accept(&self, denials: Vec<Denial>) -> bool {
        let mut buf = Vec::new();
        for d in &denials {
            if serde_json::to_writer(&mut buf, &finding_from_record(&d.event, &d.origin)).is_ok() {
                buf.push(b'\n');
            }
        }
        self.0
            .lock()
            .map(|mut o| o.write_all(&buf).is_ok())
            .unwrap_or(false)
    }
}

fn main() {
    let paths = std::env::args_os().skip(1).map(Into::into).collect();
    let sink = Jsonl(Mutex::new(BufWriter::new(std::io::stdout())));
    let out = scan_source(
        &LocalSource::new(paths),
        &ScanConfig::default(),
        &sink,
        &Progress::hidden(),
    )
    .expect("a local source always lists");
    if let Ok(mut o) = sink.0.lock() {
        let _ = o.flush();
    }
    eprintln!("{:?}", out.stats);
    // The side evidence kept in memory (this tool does not use the on-disk evidence log):
    // how much a trail of this size asks of it.
    let e = &out.evidence;
    eprintln!(
        "evidence: {} KMS denials, {} session policies, {} foreign writes, {} deletions; \
         over the caps: {:?}",
        e.kms_denials.len(),
        e.session_policies.len(),
        e.foreign_writes.len(),
        e.deletions.len(),
        e.overflow
    );
}
