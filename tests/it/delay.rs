//! A loopback HTTP proxy that adds a fixed delay to every request before passing it to an
//! upstream server (moto), to measure and test `analyze s3://` under the latency of a real
//! S3 GET (tens of milliseconds) on one machine.
//!
//! The client side keeps its connections alive (HTTP/1.1, as S3 does), so a client that reuses
//! connections pays the delay once per request and no connection setup; each request goes
//! upstream on a connection of its own (`Connection: close`: moto's server speaks HTTP/1.0)
//! and the answer is sent back with an exact `Content-Length`. Requests and client
//! connections are counted, so a test can check that connections are reused.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

pub struct DelayProxy {
    port: u16,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    pub requests: Arc<AtomicU64>,
    pub connections: Arc<AtomicU64>,
    /// Requests being served now, and the most there ever were at once.
    pub active: Arc<(AtomicU64, AtomicU64)>,
}

impl DelayProxy {
    /// Serves on a free port of 127.0.0.1, forwarding to `127.0.0.1:upstream` `delay` after
    /// each request has arrived.
    pub fn start(upstream: u16, delay: Duration) -> DelayProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicU64::new(0));
        let connections = Arc::new(AtomicU64::new(0));
        let active = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
        let (stop2, requests2, connections2, active2) = (
            stop.clone(),
            requests.clone(),
            connections.clone(),
            active.clone(),
        );
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let _ = conn.set_nodelay(true);
                connections2.fetch_add(1, Ordering::Relaxed);
                let (requests, active) = (requests2.clone(), active2.clone());
                std::thread::spawn(move || serve(conn, upstream, delay, &requests, &active));
            }
        });
        DelayProxy {
            port,
            stop,
            accept: Some(accept),
            requests,
            connections,
            active,
        }
    }

    /// The most requests served at once.
    pub fn peak(&self) -> u64 {
        self.active.1.load(Ordering::Relaxed)
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wake the accept loop
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// One request's head (lines without the final empty one) and body; `None` at the end of the
/// connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(Vec<String>, Vec<u8>)> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            if lines.is_empty() {
                continue;
            }
            break;
        }
        lines.push(line);
    }
    let len = header(&lines, "content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some((lines, body))
}

fn header<'a>(lines: &'a [String], name: &str) -> Option<&'a str> {
    lines.iter().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn serve(
    conn: TcpStream,
    upstream: u16,
    delay: Duration,
    requests: &AtomicU64,
    active: &(AtomicU64, AtomicU64),
) {
    let Ok(read_half) = conn.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut conn = conn;
    while let Some((lines, body)) = read_request(&mut reader) {
        requests.fetch_add(1, Ordering::Relaxed);
        let now = active.0.fetch_add(1, Ordering::SeqCst) + 1;
        active.1.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(delay);
        let answer = forward(upstream, &lines, &body);
        active.0.fetch_sub(1, Ordering::SeqCst);
        let Some(answer) = answer else {
            break;
        };
        if conn.write_all(&answer).and_then(|()| conn.flush()).is_err() {
            break;
        }
    }
    let _ = conn.shutdown(Shutdown::Both);
}

/// Sends one request upstream and returns the answer re-framed for a kept-alive HTTP/1.1
/// connection.
fn forward(upstream: u16, lines: &[String], body: &[u8]) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(("127.0.0.1", upstream)).ok()?;
    let mut head: String = lines
        .iter()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    head.push_str("Connection: close\r\n\r\n");
    up.write_all(head.as_bytes()).ok()?;
    up.write_all(body).ok()?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).ok()?;
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let body = &answer[split + 4..];
    let mut out_lines: Vec<String> = Vec::new();
    let mut framed = false;
    for (i, l) in head.split("\r\n").enumerate() {
        if i == 0 {
            // Keep-alive needs HTTP/1.1 on the status line.
            let rest = l.split_once(' ').map(|(_, r)| r).unwrap_or("200 OK");
            out_lines.push(format!("HTTP/1.1 {rest}"));
            continue;
        }
        let lower = l.to_ascii_lowercase();
        if lower.starts_with("connection:") || lower.starts_with("keep-alive:") {
            continue;
        }
        if lower.starts_with("content-length:") || lower.starts_with("transfer-encoding:") {
            framed = true;
        }
        out_lines.push(l.to_owned());
    }
    let is_head = lines.first().is_some_and(|l| l.starts_with("HEAD "));
    if !framed && !is_head {
        out_lines.push(format!("Content-Length: {}", body.len()));
    }
    let mut out = out_lines.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body);
    Some(out)
}
