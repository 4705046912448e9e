//! Reports: not built yet.
