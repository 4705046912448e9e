//! The integration tests: one binary, one module per area.

mod aws;
mod cli;
mod diagnose;
mod loopback;
mod moto;
mod report;
mod s3_settings;
mod scan;
mod simulate;
mod trust;
mod util;
