//! `Date*` operators. Values may be ISO 8601 (`2026-01-01T00:00:00Z`, `2026-01-01`) or epoch
//! seconds (AWS: "you can use either ... W3C implementations of the ISO 8601 date formats ... or
//! epoch (UNIX) time"). Compared in milliseconds.

use super::Family;
use chrono::{DateTime, NaiveDate, NaiveDateTime};

pub fn parse(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<i64>() {
        return secs.checked_mul(1000);
    }
    if let Ok(f) = s.parse::<f64>() {
        return f.is_finite().then_some((f * 1000.0) as i64);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp_millis());
    }
    // ISO 8601 without seconds or without an offset (taken as UTC), or a bare date.
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%MZ",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S%.fZ",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(d.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z") {
        return Some(d.timestamp_millis());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis())
}

pub fn matches(family: Family, vals: &[Option<i64>], v: &str) -> bool {
    let Some(x) = parse(v) else { return false };
    vals.iter().flatten().any(|&p| match family {
        Family::DateEquals => x == p,
        Family::DateLessThan => x < p,
        Family::DateLessThanEquals => x <= p,
        Family::DateGreaterThan => x > p,
        Family::DateGreaterThanEquals => x >= p,
        _ => false,
    })
}
