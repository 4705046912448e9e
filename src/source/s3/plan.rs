//! Which prefixes of a log bucket to list: CloudTrail files its logs under
//! `AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/`, so `--account`, `--region` and
//! `--since/--until` become prefixes before anything is listed. A one-day query over a bucket
//! holding years of logs lists the day folders of that day (plus one day of delivery margin),
//! not the years: accounts and regions are discovered with delimiter listings (one call per
//! level), day folders are computed from the window.
//!
//! This file is the pure part (where a prefix sits in the layout, which days to visit); the
//! listing calls are in [`super::S3Source`].

use crate::input::TimeWindow;
use chrono::{Datelike, Duration, NaiveDate};

/// Where a prefix (ending in `/`) sits in CloudTrail's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Above `AWSLogs/` (the bucket root or a trail's custom prefix).
    Above,
    /// `.../AWSLogs/`: children are accounts or organization ids.
    AwsLogs,
    /// `.../AWSLogs/o-xxx/`: children are accounts.
    Org,
    /// `.../ACCOUNT/`: the logs are under `CloudTrail/` (digests and Insights beside it are
    /// not read).
    Account,
    /// `.../CloudTrail/`: children are regions.
    Trail,
    /// `.../REGION/`: children are years.
    Region,
    Year,
    Month,
    /// `.../YYYY/MM/DD/`: the files themselves.
    Day,
}

/// How many day folders may be computed before descending year/month listings is cheaper
/// (a listing call returns up to 1000 names; a day prefix costs a call even when empty).
pub const MAX_COMPUTED_DAYS: i64 = 62;

/// Where `prefix` sits, or `None` when it is not a folder of the layout (a partial key, a
/// `CloudTrail-Digest/` folder, ...): such a prefix is listed flat, pruned by key date only.
pub fn level_of(prefix: &str) -> Option<Level> {
    if prefix.is_empty() {
        return Some(Level::Above);
    }
    if !prefix.ends_with('/') {
        return None;
    }
    let comps: Vec<&str> = prefix.trim_end_matches('/').split('/').collect();
    let Some(at) = comps.iter().rposition(|c| *c == "AWSLogs") else {
        return Some(Level::Above);
    };
    let rest = comps.get(at + 1..).unwrap_or_default();
    let mut i = 0;
    let next = |i: usize| rest.get(i).copied();
    if next(i).is_none() {
        return Some(Level::AwsLogs);
    }
    if next(i).is_some_and(|c| c.starts_with("o-")) {
        i += 1;
        if next(i).is_none() {
            return Some(Level::Org);
        }
    }
    if !next(i).is_some_and(is_account) {
        return None;
    }
    i += 1;
    match next(i) {
        None => return Some(Level::Account),
        Some("CloudTrail") => {}
        Some(_) => return None,
    }
    i += 1;
    let levels = [
        Level::Trail,
        Level::Region,
        Level::Year,
        Level::Month,
        Level::Day,
    ];
    let depth = rest.len() - i; // components after `CloudTrail`
    levels.get(depth).copied().or(Some(Level::Day))
}

/// A 12-digit account id.
pub fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The last component of a listed common prefix (`a/b/c/` → `c`).
pub fn last_component(prefix: &str) -> &str {
    prefix
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
}

/// The day folders under a region prefix that may hold events of the window, computed
/// without listing; `None` when the window is open at the start or spans more than
/// [`MAX_COMPUTED_DAYS`] (then years and months are listed and pruned instead).
pub fn computed_days(window: &TimeWindow, today: NaiveDate) -> Option<Vec<NaiveDate>> {
    let since = window.since?.date_naive() - Duration::days(2);
    let until = window.until.map(|u| u.date_naive()).unwrap_or(today) + Duration::days(2);
    if (until - since).num_days() > MAX_COMPUTED_DAYS {
        return None;
    }
    let mut out = Vec::new();
    let mut d = since;
    while d <= until {
        if window.may_hold_day(d) {
            out.push(d);
        }
        d += Duration::days(1);
    }
    Some(out)
}

/// Whether any day from `first` to `last` may hold events of the window (year and month
/// folders when descending by listing).
pub fn range_may_hold(window: &TimeWindow, first: NaiveDate, last: NaiveDate) -> bool {
    let mut d = first;
    while d <= last {
        if window.may_hold_day(d) {
            return true;
        }
        d += Duration::days(1);
    }
    false
}

/// The days a year (`2026`) or month (`2026`, `11`) folder covers; `None` when the name is not
/// a date.
pub fn year_range(y: &str) -> Option<(NaiveDate, NaiveDate)> {
    let y: i32 = (y.len() == 4).then(|| y.parse().ok()).flatten()?;
    Some((
        NaiveDate::from_ymd_opt(y, 1, 1)?,
        NaiveDate::from_ymd_opt(y, 12, 31)?,
    ))
}

pub fn month_range(y: i32, m: &str) -> Option<(NaiveDate, NaiveDate)> {
    let m: u32 = (m.len() == 2).then(|| m.parse().ok()).flatten()?;
    let first = NaiveDate::from_ymd_opt(y, m, 1)?;
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)?
    };
    Some((first, next - Duration::days(1)))
}

pub fn day_of(y: i32, m: u32, d: &str) -> Option<NaiveDate> {
    let d: u32 = (d.len() == 2).then(|| d.parse().ok()).flatten()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// `YYYY/MM/DD/`
pub fn day_suffix(d: NaiveDate) -> String {
    format!("{:04}/{:02}/{:02}/", d.year(), d.month(), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn prefixes_are_placed_in_cloudtrails_layout() {
        assert_eq!(level_of(""), Some(Level::Above));
        assert_eq!(level_of("trails/"), Some(Level::Above));
        assert_eq!(level_of("trails/AWSLogs/"), Some(Level::AwsLogs));
        assert_eq!(level_of("AWSLogs/o-abc123/"), Some(Level::Org));
        assert_eq!(
            level_of("AWSLogs/o-abc123/111122223333/"),
            Some(Level::Account)
        );
        assert_eq!(level_of("AWSLogs/111122223333/"), Some(Level::Account));
        assert_eq!(
            level_of("AWSLogs/111122223333/CloudTrail/"),
            Some(Level::Trail)
        );
        assert_eq!(
            level_of("AWSLogs/111122223333/CloudTrail/eu-west-1/"),
            Some(Level::Region)
        );
        assert_eq!(
            level_of("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/"),
            Some(Level::Year)
        );
        assert_eq!(
            level_of("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/"),
            Some(Level::Month)
        );
        assert_eq!(
            level_of("x/AWSLogs/o-a/111122223333/CloudTrail/eu-west-1/2026/11/23/"),
            Some(Level::Day)
        );
        // Not folders of the layout: listed flat.
        assert_eq!(level_of("AWSLogs/1111"), None);
        assert_eq!(level_of("AWSLogs/111122223333/CloudTrail-Digest/"), None);
        assert_eq!(level_of("AWSLogs/not-an-account/"), None);
    }

    #[test]
    fn a_one_day_window_visits_that_day_and_its_delivery_margin_only() {
        let since = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).single();
        let until = Utc.with_ymd_and_hms(2026, 11, 20, 23, 59, 59).single();
        let w = TimeWindow::new(since, until).expect("window");
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let days = computed_days(&w, today).expect("bounded");
        let want: Vec<NaiveDate> = [20, 21]
            .iter()
            .filter_map(|d| NaiveDate::from_ymd_opt(2026, 11, *d))
            .collect();
        assert_eq!(days, want, "the day itself, and the next (late deliveries)");
        assert_eq!(day_suffix(want[0]), "2026/11/20/");
    }

    #[test]
    fn open_or_long_windows_descend_by_listing() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        assert_eq!(computed_days(&TimeWindow::default(), today), None);
        let long = TimeWindow::new(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single(), None)
            .expect("window");
        assert_eq!(computed_days(&long, today), None);
        // --since 7d: computed up to today.
        let week = TimeWindow::new(Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).single(), None)
            .expect("window");
        let days = computed_days(&week, today).expect("bounded");
        assert_eq!(days.first().copied(), NaiveDate::from_ymd_opt(2026, 11, 16));
        assert_eq!(days.last().copied(), NaiveDate::from_ymd_opt(2026, 11, 25));
    }

    #[test]
    fn year_and_month_folders_are_pruned_by_the_window() {
        let w = TimeWindow::new(None, Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).single())
            .expect("window");
        let (a, b) = year_range("2026").expect("year");
        assert!(!range_may_hold(&w, a, b));
        let (a, b) = year_range("2025").expect("year");
        assert!(range_may_hold(&w, a, b));
        let (a, b) = month_range(2025, "04").expect("month");
        assert!(!range_may_hold(&w, a, b));
        let (a, b) = month_range(2025, "12").expect("month");
        assert_eq!(b, NaiveDate::from_ymd_opt(2025, 12, 31).expect("date"));
        assert!(!range_may_hold(&w, a, b));
        assert_eq!(month_range(2025, "13"), None);
        assert_eq!(year_range("20x6"), None);
    }
}
