//! What a scan keeps ([`Denial`]: an S3 403 event and where it came from) and where it goes
//! ([`Sink`]), one object's worth at a time.

use crate::input::Origin;
use crate::record::Event;

/// One kept record: an S3 403 event and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Denial {
    pub event: Event,
    pub origin: Origin,
}

/// Where kept records go, one object's worth at a time (in record order), from any thread.
/// `analyze` turns them into findings and prints them; tests collect them.
pub trait Sink: Sync {
    /// Returns `false` to stop the scan (e.g. the reader of stdout went away).
    fn accept(&self, denials: Vec<Denial>) -> bool;
}
