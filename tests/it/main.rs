//! The integration tests: one binary, one module per area.

mod aws;
mod cli;
mod diagnose;
mod loopback;
mod moto;
mod report;
mod scan;
mod simulate;
mod time_travel;
mod trust;
mod util;
