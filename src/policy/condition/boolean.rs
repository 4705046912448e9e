//! `Bool` (and the values of `Null`): `true` / `false`, in any letter case.

pub fn parse(s: &str) -> Option<bool> {
    if s.trim().eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.trim().eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

pub fn matches(vals: &[Option<bool>], v: &str) -> bool {
    match parse(v) {
        Some(x) => vals.iter().flatten().any(|&p| p == x),
        None => false,
    }
}
