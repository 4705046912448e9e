//! The input vocabulary every layer speaks: where a record came from ([`Origin`]), why input
//! was not kept ([`Skip`], counted in [`SkipCounts`]), a problem with some input ([`Issue`]),
//! and the `--since/--until` window ([`TimeWindow`]).
//!
//! It sits at the floor: it imports nothing of the crate, and `source`, `scan` and
//! `messages` (and everything above them) import it, so none of those has to import another
//! for a word they share.

pub mod issue;
pub mod origin;
pub mod skip;
pub mod window;

pub use issue::Issue;
pub use origin::Origin;
pub use skip::{Skip, SkipCounts};
pub use window::{End, TimeWindow, WindowError};
