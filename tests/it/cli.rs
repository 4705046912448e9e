//! The command line itself: help, version, usage errors and their exit codes.

use crate::util::{denytrail, run};

#[test]
fn help_documents_exit_codes() {
    let mut c = denytrail();
    c.arg("--help");
    let (out, stdout, _) = run(c);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("Exit status"), "{stdout}");
    assert!(stdout.contains("analyze"), "{stdout}");
}

#[test]
fn usage_error_exits_64() {
    let mut c = denytrail();
    c.arg("--no-such-flag");
    let (out, _, stderr) = run(c);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
}
