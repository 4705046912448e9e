//! The [`Source`] trait: what every input (local files, an S3 log bucket, the CloudTrail API,
//! and the ones to come) does for the scan, and nothing more.

use super::object::{FetchError, Fetched, ListError, Listed, LogObject};
use crate::input::TimeWindow;

/// Objects with their bytes, in the order a source hands them over.
pub type Stream<'a> = Box<dyn Iterator<Item = Fetched> + Send + 'a>;

/// Where log objects come from. A source lists (pruned by the key-path date) and reads bytes
/// as stored; it never parses them: the scan does everything else, whatever the source.
///
/// Two ways of handing bytes over, chosen by [`Source::prefetches`]:
/// - pulled (local files): the scan's workers call [`Source::fetch`] in parallel, each into a
///   buffer it reuses for every object;
/// - streamed (S3, the CloudTrail API): the source reads with its own concurrency and hands
///   objects over as they complete ([`Source::stream`]), through a bounded channel, so memory
///   is bounded by what it holds in flight.
pub trait Source: Send + Sync {
    /// The objects to read, pruned by `window` on the date in their key path. A problem with
    /// one path is a [`Listed::Skipped`] item; `Err` means the source cannot be read at all,
    /// and the run stops before anything is scanned. A source whose objects only exist as
    /// they are read (the CloudTrail API's pages) lists none and streams them.
    fn list(&self, window: &TimeWindow) -> Result<Vec<Listed>, ListError>;

    /// The object's bytes as stored (gzip or not), replacing `buf`'s content.
    fn fetch(&self, object: &LogObject, buf: &mut Vec<u8>) -> Result<(), FetchError>;

    /// Whether this source reads ahead with its own concurrency ([`Source::stream`]) rather
    /// than being pulled object by object.
    fn prefetches(&self) -> bool {
        false
    }

    /// Hands over `objects` (what the scan kept of the listing) with their bytes, as they
    /// are read; objects over `max_object_bytes` as stored may be refused unread. The
    /// default reads them one after another with [`Source::fetch`] on the caller's thread.
    fn stream<'a>(
        &'a self,
        objects: Vec<LogObject>,
        window: &TimeWindow,
        max_object_bytes: usize,
    ) -> Stream<'a> {
        let _ = (window, max_object_bytes);
        Box::new(objects.into_iter().map(move |o| {
            let mut buf = Vec::new();
            let r = self.fetch(&o, &mut buf).map(|()| buf);
            (o, r)
        }))
    }
}
