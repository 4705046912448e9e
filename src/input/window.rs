//! `--since/--until`: the time window a scan keeps, and how to read what the user typed.
//!
//! The same window prunes objects by the date in their key path before they are opened
//! ([`TimeWindow::may_hold_day`]) and then kept records by `eventTime`
//! ([`TimeWindow::contains`]).

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use thiserror::Error;

/// How long after an event CloudTrail may deliver it: a file in the folder of day D holds
/// events of day D, or of the day before when delivered just after midnight. One day of
/// margin keeps pruning safe for delivery delays well beyond CloudTrail's typical minutes.
const DELIVERY_MARGIN_DAYS: i64 = 1;

/// A half-open window `[since, until]` (both ends inclusive, either may be open).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeWindow {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum WindowError {
    #[error("`{0}` is not a time: use RFC 3339 (2026-11-16T08:00:00Z), a date (2026-11-16) or a relative age (7d, 12h, 30m, 2w)")]
    Unparsable(String),
    #[error("--since ({since}) is after --until ({until})")]
    Empty { since: String, until: String },
}

/// Which end of the window a bare date stands for: `--since 2026-11-16` starts at midnight,
/// `--until 2026-11-16` includes that whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Since,
    Until,
}

impl TimeWindow {
    pub fn new(
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Self, WindowError> {
        if let (Some(s), Some(u)) = (since, until) {
            if s > u {
                return Err(WindowError::Empty {
                    since: s.to_rfc3339(),
                    until: u.to_rfc3339(),
                });
            }
        }
        Ok(TimeWindow { since, until })
    }

    pub fn is_open(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u)
    }

    /// Whether an object filed under day `day` (its key path) may hold events in the window.
    pub fn may_hold_day(&self, day: NaiveDate) -> bool {
        let start = day.and_time(NaiveTime::MIN).and_utc();
        // Events in the file happened before the end of the day it was delivered on ...
        let latest = start + Duration::days(1);
        // ... and not long before its start.
        let earliest = start - Duration::days(DELIVERY_MARGIN_DAYS);
        self.since.is_none_or(|s| latest > s) && self.until.is_none_or(|u| earliest <= u)
    }

    /// Whether an `eventTime` string is inside. A missing or unreadable time is kept: the
    /// window cannot say it is outside, and nothing is dropped on a guess.
    pub fn contains_event_time(&self, event_time: Option<&str>) -> bool {
        if self.is_open() {
            return true;
        }
        match event_time.and_then(|t| DateTime::parse_from_rfc3339(t).ok()) {
            Some(t) => self.contains(t.with_timezone(&Utc)),
            None => true,
        }
    }
}

/// Reads `--since`/`--until`: RFC 3339, a date, or an age relative to `now` (`7d`, `12h`,
/// `30m`, `2w`).
pub fn parse_time(s: &str, end: End, now: DateTime<Utc>) -> Result<DateTime<Utc>, WindowError> {
    let s = s.trim();
    let bad = || WindowError::Unparsable(s.to_owned());
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let start = d.and_time(NaiveTime::MIN).and_utc();
        return Ok(match end {
            End::Since => start,
            End::Until => start + Duration::days(1) - Duration::nanoseconds(1),
        });
    }
    let unit = s.chars().last().ok_or_else(bad)?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
    if n < 0 {
        return Err(bad());
    }
    let age = match unit {
        'w' => Duration::try_weeks(n),
        'd' => Duration::try_days(n),
        'h' => Duration::try_hours(n),
        'm' => Duration::try_minutes(n),
        's' => Duration::try_seconds(n),
        _ => None,
    }
    .ok_or_else(bad)?;
    now.checked_sub_signed(age).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn parses_the_three_forms() {
        let now = t("2026-11-23T12:00:00Z");
        assert_eq!(
            parse_time("2026-11-16T08:00:00+01:00", End::Since, now),
            Ok(t("2026-11-16T07:00:00Z"))
        );
        assert_eq!(
            parse_time("2026-11-16", End::Since, now),
            Ok(t("2026-11-16T00:00:00Z"))
        );
        assert!(parse_time("2026-11-16", End::Until, now).unwrap() > t("2026-11-16T23:59:59Z"));
        assert_eq!(
            parse_time("7d", End::Since, now),
            Ok(t("2026-11-16T12:00:00Z"))
        );
        assert_eq!(
            parse_time("12h", End::Since, now),
            Ok(t("2026-11-23T00:00:00Z"))
        );
        assert!(parse_time("7x", End::Since, now).is_err());
        assert!(parse_time("", End::Since, now).is_err());
        assert!(parse_time("-3d", End::Since, now).is_err());
        assert!(parse_time("99999999999999w", End::Since, now).is_err());
    }

    #[test]
    fn day_pruning_keeps_the_day_before_for_late_delivery() {
        let w = TimeWindow::new(
            Some(t("2026-11-16T00:00:00Z")),
            Some(t("2026-11-16T23:59:59Z")),
        )
        .unwrap();
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(!w.may_hold_day(d("2026-11-15")), "ends before since");
        assert!(w.may_hold_day(d("2026-11-16")));
        assert!(w.may_hold_day(d("2026-11-17")), "delivered after midnight");
        assert!(!w.may_hold_day(d("2026-11-18")));
    }

    #[test]
    fn event_time_without_a_time_is_kept() {
        let w = TimeWindow::new(Some(t("2026-11-16T00:00:00Z")), None).unwrap();
        assert!(w.contains_event_time(None));
        assert!(w.contains_event_time(Some("yesterday")));
        assert!(!w.contains_event_time(Some("2026-11-15T23:59:59Z")));
        assert!(w.contains_event_time(Some("2026-11-16T00:00:00Z")));
    }
}
