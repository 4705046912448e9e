//! Where the unit tests find the real corpus (`../shared/corpus/real`, read-only, checked out
//! beside every clone; worktrees sit one level deeper). `$DENYTRAIL_CORPUS` overrides it.
//!
//! A missing corpus fails the test that needs it: the brief says the tool must read all of
//! it, and a test that skipped silently would let CI pass without checking that.

use std::path::PathBuf;

/// The `corpus/real` folder, or a panic that says where it was looked for.
pub fn real() -> PathBuf {
    if let Some(p) = std::env::var_os("DENYTRAIL_CORPUS") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        root.join("../shared/corpus/real"),
        root.join("../../shared/corpus/real"),
    ];
    for c in &candidates {
        if c.is_dir() {
            return c.clone();
        }
    }
    panic!(
        "the real corpus is missing: expected it at {} (checked out beside every clone of \
         denytrail), or set DENYTRAIL_CORPUS",
        candidates[0].display()
    );
}
