//! The integration tests: one binary, one module per area.

mod cli;
mod diagnose;
mod moto;
mod report;
mod scan;
mod simulate;
mod util;
