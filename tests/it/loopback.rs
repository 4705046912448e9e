//! A small HTTP server on 127.0.0.1 for the AWS APIs moto lacks (GetBucketRequestPayment,
//! CloudTrail LookupEvents): it answers the requests its handler recognises with recorded AWS
//! responses and forwards everything else, byte for byte, to an upstream server (moto), so a
//! whole `denytrail` run can go through it. Every request is recorded for assertions.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query (`/bucket?requestPayment`).
    pub target: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A recorded answer.
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

pub type Handler = Arc<dyn Fn(&Request) -> Option<Response> + Send + Sync>;

pub struct Loopback {
    port: u16,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    pub requests: Arc<Mutex<Vec<Request>>>,
}

impl Loopback {
    /// Starts serving on a free port; requests the handler does not answer go to
    /// `127.0.0.1:upstream` (or get a 501 without one).
    pub fn start(handler: Handler, upstream: Option<u16>) -> Loopback {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (stop2, requests2) = (stop.clone(), requests.clone());
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (handler, requests) = (handler.clone(), requests2.clone());
                std::thread::spawn(move || serve(conn, &handler, upstream, &requests));
            }
        });
        Loopback {
            port,
            stop,
            accept: Some(accept),
            requests,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wake the accept loop
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// Serves one connection: one request, one response, then close (the response says so, so
/// the client opens a new connection for the next request).
fn serve(conn: TcpStream, handler: &Handler, upstream: Option<u16>, log: &Mutex<Vec<Request>>) {
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut head = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        head.extend_from_slice(line.as_bytes());
        if line == "\r\n" {
            break;
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or_default();
    let mut parts = first.split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let req = Request {
        method,
        target,
        headers,
        body,
        at: Instant::now(),
    };
    if let Ok(mut l) = log.lock() {
        l.push(req.clone());
    }
    let mut conn = conn;
    if let Some(resp) = handler(&req) {
        let reason = if resp.status == 200 { "OK" } else { "Error" };
        let _ = write!(
            conn,
            "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nx-amzn-RequestId: loopback\r\nConnection: close\r\n\r\n{}",
            resp.status,
            resp.content_type,
            resp.body.len(),
            resp.body
        );
    } else if let Some(port) = upstream {
        // Forward as received, with `Connection: close` so the answer ends at EOF.
        let Ok(mut up) = TcpStream::connect(("127.0.0.1", port)) else {
            return;
        };
        let forwarded: String = text
            .split("\r\n")
            .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
            .take_while(|l| !l.is_empty())
            .map(|l| format!("{l}\r\n"))
            .collect();
        let _ = up.write_all(forwarded.as_bytes());
        let _ = up.write_all(b"Connection: close\r\n\r\n");
        let _ = up.write_all(&req.body);
        let mut answer = Vec::new();
        let _ = up.read_to_end(&mut answer);
        let _ = conn.write_all(&answer);
    } else {
        let _ = conn.write_all(
            b"HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    }
    let _ = conn.flush();
    let _ = conn.shutdown(Shutdown::Both);
}
