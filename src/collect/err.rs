//! What stops the collector as a whole (a piece AWS refuses is not an error of the run: it is
//! a [`super::Skipped`]).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("`{}` is not empty; pick a new folder (an old file would pass for a piece this run could not read)", .0.display())]
    OutNotEmpty(PathBuf),
    #[error("cannot write `{path}`: {source}", path = .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("sts:GetCallerIdentity failed, so no credentials work: {0}; check --profile / AWS_PROFILE / the credential chain")]
    NoIdentity(String),
}
