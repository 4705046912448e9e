//! scan: not built yet.
