//! The only writer to stderr: problems are printed once, with where they happened, and
//! counted, so that the summary and the exit status can say that input was skipped.

/// Prints a fatal error (the run could not start or finish) with its chain of causes.
pub fn fatal(err: &anyhow::Error) {
    let mut msg = format!("denytrail: {err}");
    for cause in err.chain().skip(1) {
        msg.push_str(": ");
        msg.push_str(&cause.to_string());
    }
    eprintln!("{msg}");
}
