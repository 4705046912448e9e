//! The end of a bounded channel that an async source (S3 downloads, CloudTrail API pages)
//! feeds from its runtime, read as a blocking iterator by the scan's threads.

use super::object::Fetched;
use tokio::sync::mpsc;

/// Fetched objects in completion order; blocks (outside the async runtime) until the next one
/// is ready, ends when the producer is done.
pub struct Received {
    rx: mpsc::Receiver<Fetched>,
}

impl Received {
    pub fn new(rx: mpsc::Receiver<Fetched>) -> Received {
        Received { rx }
    }
}

impl Iterator for Received {
    type Item = Fetched;
    fn next(&mut self) -> Option<Fetched> {
        self.rx.blocking_recv()
    }
}
