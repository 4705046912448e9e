//! The integration tests: one binary, one module per area.

mod access_points;
mod aws;
mod cli;
mod delay;
mod diagnose;
mod loopback;
mod moto;
mod report;
mod s3_settings;
mod s3speed;
mod scan;
mod security_lake;
mod shard;
mod simulate;
mod time_travel;
mod trust;
mod util;
