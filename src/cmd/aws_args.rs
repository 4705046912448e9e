//! Where AWS is, as typed on the command line; shared by `snapshot` and `analyze`.

use crate::aws::AwsTarget;

/// Live AWS access (the standard credential chain: env, profiles, SSO, credential_process,
/// IMDS).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AwsArgs {
    /// AWS profile from ~/.aws/config (default: AWS_PROFILE or `default`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Region for regional calls (default: the profile's or AWS_REGION; else us-east-1).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Send every AWS call to this URL instead (an S3-compatible store, a local test server);
    /// S3 then uses path-style addressing.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

impl AwsArgs {
    pub fn target(&self) -> AwsTarget {
        AwsTarget {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
        }
    }
}
