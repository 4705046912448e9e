//! `analyze -`: CloudTrail records piped in on standard input (`zcat ... |`, `jq -c ... |`,
//! `aws cloudtrail lookup-events ... |`), read as one object named `stdin`, as `explain -`
//! reads one record. Gzip or not, every shape the scan reads in a file (a delivery file,
//! a JSON array, JSON Lines) it reads here; past the per-object cap the input is refused, as
//! a file of that size would be.

use super::object::{FetchError, ListError, Listed, Locator, LogObject};
use super::Source;
use crate::input::TimeWindow;
use std::io::Read;
use std::sync::{Arc, Mutex};

/// Standard input as one log object, read whole when listed.
pub struct StdinSource {
    read: Mutex<Option<Arc<[u8]>>>,
    limit: u64,
}

impl StdinSource {
    /// `limit`: the most bytes read (the scan's per-object cap).
    pub fn new(limit: u64) -> StdinSource {
        StdinSource {
            read: Mutex::new(None),
            limit,
        }
    }
}

impl Source for StdinSource {
    fn list(&self, _window: &TimeWindow) -> Result<Vec<Listed>, ListError> {
        let mut bytes = Vec::new();
        let n = std::io::stdin()
            .lock()
            .take(self.limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| ListError(format!("standard input: cannot read: {e}")))?;
        if n as u64 > self.limit {
            return Err(ListError(format!(
                "standard input: more than {} MiB; write it to a file and pass the file",
                self.limit >> 20
            )));
        }
        let bytes: Arc<[u8]> = Arc::from(bytes);
        if let Ok(mut r) = self.read.lock() {
            *r = Some(bytes.clone());
        }
        Ok(vec![Listed::Object(LogObject {
            name: Arc::from("stdin"),
            size: Some(n as u64),
            locator: Locator::Inline(bytes),
        })])
    }

    fn fetch(&self, object: &LogObject, buf: &mut Vec<u8>) -> Result<(), FetchError> {
        buf.clear();
        match &object.locator {
            Locator::Inline(bytes) => {
                buf.extend_from_slice(bytes);
                Ok(())
            }
            _ => Err(FetchError {
                skip: crate::input::Skip::FetchFailed,
                detail: "not standard input".into(),
            }),
        }
    }
}
