//! How many downloads to keep in flight: enough to hide the network's latency, no more than
//! the bucket or the scan can take. A download's time is mostly waiting (a small GET from S3
//! costs tens of milliseconds, the scan reads the same object in about one), so the number in
//! flight has to follow throughput rather than be fixed.
//!
//! The rule, applied once per measuring window ([`WINDOW`]):
//! - throttled (S3 answered 503 SlowDown, or any 503, during the window): halve the limit
//!   and do not grow for [`COOLDOWN`] windows. AWS: "If you get a 503 Slow Down error, ...
//!   reduce your request rate"; "you can use exponential backoff" ("Best practices design
//!   patterns: optimizing Amazon S3 performance",
//!   <https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html>);
//!   the SDK's retries back off each request, this backs off the whole run;
//! - the limit was reached during the window (all slots busy) and completions per second
//!   grew by at least [`GROWTH`] over the rate seen at the limit before: grow, ×2 until a
//!   step first fails to pay (as TCP's slow start), ×1.25 after that;
//! - the limit was reached but throughput did not grow: hold (the scan or the bucket is the
//!   bottleneck now), and probe one step higher again every [`PROBE_EVERY`] windows;
//! - the limit was not reached (the scan takes objects slower than they arrive, or the listing
//!   ran out): hold.
//!
//! Never above the cap (`--max-in-flight`), never below 1. Pure logic, so it is tested
//! without a network.

use std::time::Duration;

/// The first limit: what the run used before it adapted. More from the start slowed a run
/// against a local server (moto, on this 2-core machine: 157 objects/s at 32 in flight, 224
/// at 8), where latency is nil and every extra request competes for the CPU.
pub const START: usize = 8;
/// The default cap (`--max-in-flight`).
pub const DEFAULT_CAP: usize = 256;
/// How long one measurement lasts.
pub const WINDOW: Duration = Duration::from_millis(200);
/// Throughput must grow by this factor for another step up.
pub const GROWTH: f64 = 1.05;
/// Windows without growth after a throttle.
pub const COOLDOWN: u32 = 4;
/// Windows at a plateau before trying one step higher again.
pub const PROBE_EVERY: u32 = 8;

/// One window's measurements.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    /// Downloads completed per second.
    pub rate: f64,
    /// Every slot was busy at some point (the limit held the dispatch back).
    pub saturated: bool,
    /// 503 answers seen.
    pub throttled: u64,
}

/// The limit on downloads in flight and what it has learned.
#[derive(Debug, Clone)]
pub struct Controller {
    limit: usize,
    cap: usize,
    /// The best rate seen at the limit below the current one (what growing must beat).
    before: f64,
    cooldown: u32,
    plateau: u32,
    /// The last step was up and is being judged.
    judging: bool,
    /// The limit before the last step up.
    previous: usize,
    /// Doubling until a step first fails to pay.
    slow_start: bool,
}

impl Controller {
    pub fn new(start: usize, cap: usize) -> Controller {
        let cap = cap.max(1);
        Controller {
            limit: start.clamp(1, cap),
            cap,
            before: 0.0,
            cooldown: 0,
            plateau: 0,
            judging: false,
            previous: 0,
            slow_start: true,
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Takes one window's measurements; returns the new limit.
    pub fn observe(&mut self, w: Window) -> usize {
        if w.throttled > 0 {
            self.limit = (self.limit / 2).max(1);
            self.cooldown = COOLDOWN;
            self.judging = false;
            self.before = 0.0;
            return self.limit;
        }
        if self.cooldown > 0 {
            self.cooldown -= 1;
            return self.limit;
        }
        if !w.saturated {
            return self.limit;
        }
        if self.judging {
            self.judging = false;
            if w.rate < self.before * GROWTH {
                // The step up bought nothing: go back and hold there.
                self.limit = self.previous.max(1);
                self.slow_start = false;
                self.plateau = 0;
                return self.limit;
            }
        }
        if self.before > 0.0 && w.rate < self.before * GROWTH && self.plateau < PROBE_EVERY {
            self.plateau += 1;
            return self.limit;
        }
        self.plateau = 0;
        self.step_up(w.rate);
        self.limit
    }

    fn step_up(&mut self, rate: f64) {
        let step = if self.slow_start {
            self.limit
        } else {
            self.limit.div_ceil(4)
        };
        let next = (self.limit + step).min(self.cap);
        if next == self.limit {
            return;
        }
        self.previous = self.limit;
        self.before = rate;
        self.limit = next;
        self.judging = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy(rate: f64) -> Window {
        Window {
            rate,
            saturated: true,
            throttled: 0,
        }
    }

    /// Latency-bound: the rate is limit / latency, so every step up pays and the limit grows
    /// to the cap.
    #[test]
    fn grows_while_throughput_grows_and_stops_at_the_cap() {
        let mut c = Controller::new(START, 100);
        for _ in 0..40 {
            let rate = c.limit() as f64 / 0.05;
            c.observe(busy(rate));
        }
        assert_eq!(c.limit(), 100);
    }

    /// Bound elsewhere at 400 objects/s (the scan, the bucket): the limit settles where the
    /// rate stops growing, not at the cap.
    #[test]
    fn holds_where_throughput_stops_growing() {
        let mut c = Controller::new(START, DEFAULT_CAP);
        let mut seen = Vec::new();
        for _ in 0..60 {
            let rate = (c.limit() as f64 / 0.05).min(400.0);
            seen.push(c.observe(busy(rate)));
        }
        let last = *seen.last().unwrap_or(&0);
        assert!((20..=40).contains(&last), "{seen:?}");
        assert!(seen.iter().all(|l| *l <= 64), "{seen:?}");
    }

    #[test]
    fn halves_on_throttling_and_waits_before_growing_again() {
        let mut c = Controller::new(64, DEFAULT_CAP);
        let l = c.observe(Window {
            rate: 1000.0,
            saturated: true,
            throttled: 3,
        });
        assert_eq!(l, 32);
        for _ in 0..COOLDOWN {
            assert_eq!(c.observe(busy(2000.0)), 32, "no growth while cooling down");
        }
        assert!(c.observe(busy(2000.0)) > 32);
        // Repeated throttling goes down to one, not zero.
        for _ in 0..20 {
            c.observe(Window {
                throttled: 1,
                ..busy(1.0)
            });
        }
        assert_eq!(c.limit(), 1);
    }

    #[test]
    fn an_idle_limit_does_not_grow() {
        let mut c = Controller::new(START, DEFAULT_CAP);
        for _ in 0..10 {
            c.observe(Window {
                rate: 500.0,
                saturated: false,
                throttled: 0,
            });
        }
        assert_eq!(c.limit(), START);
        assert_eq!(Controller::new(500, 8).limit(), 8, "the cap wins");
        assert_eq!(Controller::new(0, 0).limit(), 1);
    }
}
