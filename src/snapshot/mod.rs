//! snapshot: not built yet.
