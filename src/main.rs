//! The binary is glue: parse the command line, run one subcommand, map the outcome to an
//! exit status (documented in `--help` and the README).

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match denytrail::cli::parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match denytrail::cli::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            denytrail::messages::fatal(&err);
            ExitCode::from(denytrail::cmd::exit_status(&err))
        }
    }
}
