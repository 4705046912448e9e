//! The integration tests: one binary, one module per area.

mod cli;
mod moto;
mod report;
mod scan;
mod simulate;
mod util;
