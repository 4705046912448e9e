//! A real local AWS for the tests: moto's server (`moto[server]==5.2.5`, the version whose
//! behaviour DEPENDENCIES.md §4 measured), started on 127.0.0.1 on a free port and killed on
//! drop. No SDK mocks: the SDK and denytrail talk HTTP to it exactly as to AWS.
//!
//! Where `moto_server` comes from, in order:
//! 1. env `DENYTRAIL_MOTO_SERVER` (`.ci/run` sets it);
//! 2. the venv `.ci/run` creates, `~/.cache/denytrail-moto-5.2.5/bin/moto_server`;
//! 3. that venv created here (`python3 -m venv` + `pip install "moto[server]==5.2.5"`), under a
//!    file lock so parallel tests and test processes install it once.
//!
//! Only when Python itself is missing does a test skip, and it prints why; any other failure
//! (pip fails, the server does not answer) fails the test, so a broken setup is never a silent
//! pass.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The pinned moto release.
pub const MOTO_VERSION: &str = "5.2.5";

/// A running moto server; killed (and reaped) on drop.
pub struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    /// Starts a fresh server (its state is empty), or `None` when Python is missing (a message
    /// saying so has been printed). Use through [`moto_or_skip!`].
    pub fn start() -> Option<Moto> {
        let exe = moto_server()?;
        let port = free_port();
        let child = Command::new(&exe)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // AWS-managed policies are not loaded unless asked (faster start, smaller GAAD).
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("moto: cannot start {}: {e}", exe.display()));
        let mut moto = Moto { child, port };
        moto.wait_ready();
        Some(moto)
    }

    /// `http://127.0.0.1:PORT`, for `--endpoint-url` and SDK clients.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// An SDK configuration for this server: region us-east-1, static test credentials (moto
    /// accepts any), endpoint override.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "testing", "testing", None, None, "moto",
            ))
            .endpoint_url(self.endpoint())
            .load()
            .await
    }

    /// An S3 client for this server (path-style addressing: `127.0.0.1` has no bucket
    /// subdomains).
    pub async fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk_config().await)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// Polls `/moto-api/` until it answers 200 (about 0.5 s measured); panics after 30 s or if
    /// the process exits.
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = http_get_status(self.port, "/moto-api/") {
                if status == 200 {
                    return;
                }
            }
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!("moto: server exited before answering: {exit}");
            }
            assert!(
                Instant::now() < deadline,
                "moto: no answer on port {} after 30 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a moto server or returns from the calling test after printing why it is skipped
/// (only when Python is missing).
#[macro_export]
macro_rules! moto_or_skip {
    () => {
        match $crate::moto::Moto::start() {
            Some(m) => m,
            None => return,
        }
    };
}

/// The `moto_server` executable, found or installed once per test process.
fn moto_server() -> Option<PathBuf> {
    static EXE: OnceLock<Option<PathBuf>> = OnceLock::new();
    EXE.get_or_init(find_or_install).clone()
}

fn find_or_install() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DENYTRAIL_MOTO_SERVER") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "moto: DENYTRAIL_MOTO_SERVER={} does not exist",
            p.display()
        );
        return Some(p);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let venv = home
        .join(".cache")
        .join(format!("denytrail-moto-{MOTO_VERSION}"));
    let exe = venv.join("bin").join("moto_server");
    if exe.is_file() {
        return Some(exe);
    }
    let python = ["python3", "python"].into_iter().find(|p| {
        Command::new(p)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    let Some(python) = python else {
        eprintln!(
            "SKIPPED (moto tests): no python3 on PATH, so moto[server]=={MOTO_VERSION} cannot be \
             installed; install Python 3 or set DENYTRAIL_MOTO_SERVER to a moto_server executable"
        );
        return None;
    };
    install(python, &venv, &exe);
    Some(exe)
}

/// Creates the venv and installs moto, holding an exclusive lock on `<venv>.lock` so that
/// concurrent test processes install once and wait for each other.
fn install(python: &str, venv: &Path, exe: &Path) {
    if let Some(parent) = venv.parent() {
        fs::create_dir_all(parent)
            .unwrap_or_else(|e| panic!("moto: mkdir {}: {e}", parent.display()));
    }
    let lock_path = venv.with_extension("lock");
    let lock = File::create(&lock_path)
        .unwrap_or_else(|e| panic!("moto: cannot create {}: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("moto: cannot lock {}: {e}", lock_path.display()));
    if exe.is_file() {
        return; // another process installed it while we waited
    }
    eprintln!(
        "moto: installing moto[server]=={MOTO_VERSION} into {} (once, ~30 s)",
        venv.display()
    );
    let ok = Command::new(python)
        .args(["-m", "venv"])
        .arg(venv)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "moto: `{python} -m venv {}` failed", venv.display());
    let pip = venv.join("bin").join("pip");
    let ok = Command::new(&pip)
        .args([
            "install",
            "--quiet",
            "--no-cache-dir",
            &format!("moto[server]=={MOTO_VERSION}"),
        ])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok && exe.is_file(),
        "moto: `{} install moto[server]=={MOTO_VERSION}` failed",
        pip.display()
    );
}

/// A port nobody listens on now: bind port 0, read it, close.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// A bare HTTP/1.0 GET (no client library needed); the status code, or `None` when nothing
/// answers yet.
fn http_get_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut buf = [0u8; 16];
    let mut n = 0;
    while n < 12 {
        let k = s.read(&mut buf[n..]).ok()?;
        if k == 0 {
            break;
        }
        n += k;
    }
    let head = std::str::from_utf8(buf.get(..n)?).ok()?;
    head.split(' ').nth(1)?.parse().ok()
}

/// A tokio runtime for the SDK calls a test makes itself.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

#[test]
fn moto_server_serves_s3_to_the_rust_sdk() {
    let moto = crate::moto_or_skip!();
    runtime().block_on(async {
        let s3 = moto.s3().await;
        s3.create_bucket()
            .bucket("harness-check")
            .send()
            .await
            .expect("create_bucket");
        let listed = s3.list_buckets().send().await.expect("list_buckets");
        let names: Vec<_> = listed.buckets().iter().filter_map(|b| b.name()).collect();
        assert_eq!(names, ["harness-check"]);
    });
}

#[test]
fn moto_server_starts_answers_and_is_killed_on_drop() {
    let moto = moto_or_skip!();
    let port = moto.port();
    assert_eq!(http_get_status(port, "/moto-api/"), Some(200));
    drop(moto);
    assert_eq!(
        http_get_status(port, "/moto-api/"),
        None,
        "the server must be gone after drop"
    );
}
