//! The integration tests: one binary, one module per area.

mod access_points;
mod aws;
mod cli;
mod diagnose;
mod loopback;
mod moto;
mod report;
mod scan;
mod security_lake;
mod simulate;
mod trust;
mod util;
