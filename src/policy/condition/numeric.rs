//! `Numeric*` operators. A request value that is not a number matches nothing (the negated
//! `NumericNotEquals` then holds).

use super::Family;

pub fn parse(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|f| f.is_finite())
}

pub fn matches(family: Family, vals: &[Option<f64>], v: &str) -> bool {
    let Some(x) = parse(v) else { return false };
    vals.iter().flatten().any(|&p| match family {
        Family::NumericEquals => x == p,
        Family::NumericLessThan => x < p,
        Family::NumericLessThanEquals => x <= p,
        Family::NumericGreaterThan => x > p,
        Family::NumericGreaterThanEquals => x >= p,
        _ => false,
    })
}
