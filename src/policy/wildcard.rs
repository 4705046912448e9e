//! Wildcard matching for IAM: `*` (any run of characters, possibly empty) and `?` (exactly one
//! character), as in `Action`, `Resource`, `StringLike` and `ArnLike`.
//!
//! A pattern is a list of [`Tok`]s rather than a string, because a literal `*` produced by the
//! policy variable `${*}` must not act as a wildcard.
//!
//! ARNs are matched segment by segment (AWS: "each of the six colon-delimited components of
//! the ARN is checked separately"): a wildcard in the partition, service, region or account
//! never crosses a `:`, while in the resource part (the sixth component, which may itself
//! contain `:` and `/`) it matches anything.

/// One element of a compiled wildcard pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tok {
    /// A literal byte.
    Lit(u8),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Compiles a pattern where `*` and `?` are wildcards.
pub fn compile(pattern: &str) -> Vec<Tok> {
    pattern
        .bytes()
        .map(|b| match b {
            b'*' => Tok::Star,
            b'?' => Tok::One,
            b => Tok::Lit(b),
        })
        .collect()
}

/// Literal bytes (no wildcard meaning), e.g. the value of a policy variable.
pub fn literal(s: &str, out: &mut Vec<Tok>) {
    out.extend(s.bytes().map(Tok::Lit));
}

/// True when the tokens hold no wildcard, so plain string equality is enough.
pub fn is_literal(toks: &[Tok]) -> bool {
    toks.iter().all(|t| matches!(t, Tok::Lit(_)))
}

/// Length in bytes of the UTF-8 character starting with `b` (1 for stray continuation bytes).
fn char_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Matches `text` against `pat`. `ignore_case` compares ASCII letters case-insensitively
/// (actions, `StringEqualsIgnoreCase`). Iterative with single-star backtracking: linear in
/// practice, never recursive, so hostile patterns cannot blow the stack.
pub fn matches(pat: &[Tok], text: &[u8], ignore_case: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0usize, 0usize);
    // Position after the last star seen, and the text position it currently absorbs up to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pat.get(p) {
            Some(Tok::Lit(c)) if text.get(t).is_some_and(|&x| eq(*c, x)) => {
                p += 1;
                t += 1;
                continue;
            }
            Some(Tok::One) => {
                p += 1;
                t += text.get(t).map_or(1, |&b| char_len(b));
                continue;
            }
            Some(Tok::Star) => {
                p += 1;
                star = Some((p, t));
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, st)) => {
                let adv = text.get(st).map_or(1, |&b| char_len(b));
                p = sp;
                t = st + adv;
                star = Some((sp, st + adv));
            }
            None => return false,
        }
    }
    // A `?` may have stepped past the end on a truncated character.
    if t > text.len() {
        return false;
    }
    pat.get(p..)
        .is_some_and(|rest| rest.iter().all(|x| *x == Tok::Star))
}

/// Splits tokens on literal `:` into at most `n` parts (the last part keeps its colons).
pub fn split_colons(toks: &[Tok], n: usize) -> Vec<&[Tok]> {
    let mut parts = Vec::with_capacity(n);
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        if parts.len() + 1 == n {
            break;
        }
        if *t == Tok::Lit(b':') {
            parts.push(&toks[start..i]);
            start = i + 1;
        }
    }
    parts.push(&toks[start..]);
    parts
}

/// Matches an ARN (or any resource string) against a pattern, segment-aware.
///
/// `*` alone matches every resource. A pattern that does not start with `arn:` is matched as
/// a whole string. An ARN pattern never matches a value with a different number of leading
/// components, so a wildcard can never stand in for a missing `:` segment.
pub fn arn_matches(pat: &[Tok], value: &str) -> bool {
    if pat == [Tok::Star] {
        return true;
    }
    let is_arn = pat.len() >= 4
        && pat[..4]
            == [
                Tok::Lit(b'a'),
                Tok::Lit(b'r'),
                Tok::Lit(b'n'),
                Tok::Lit(b':'),
            ];
    if !is_arn {
        return matches(pat, value.as_bytes(), false);
    }
    let pparts = split_colons(pat, 6);
    let vparts: Vec<&str> = value.splitn(6, ':').collect();
    if vparts.len() != pparts.len() {
        return false;
    }
    pparts
        .iter()
        .zip(vparts.iter())
        .all(|(p, v)| matches(p, v.as_bytes(), false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        matches(&compile(p), t.as_bytes(), false)
    }

    #[test]
    fn star_and_question_follow_iam_wildcards() {
        assert!(m("s3:Get*", "s3:GetObject"));
        assert!(m("*", ""));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
        assert!(m("s3:GetObj?ct", "s3:GetObject"));
        assert!(!m("s3:GetObj?ct", "s3:GetObjct"));
        assert!(m("é?", "éé"), "? consumes a whole UTF-8 character");
        assert!(!m("abc", "abcd"));
        assert!(m("**a", "bba"));
    }

    #[test]
    fn ignore_case_only_when_asked() {
        assert!(matches(&compile("s3:getobject"), b"s3:GetObject", true));
        assert!(!matches(&compile("s3:getobject"), b"s3:GetObject", false));
    }

    #[test]
    fn arn_wildcards_do_not_cross_leading_segments() {
        let p = compile("arn:aws:s3:::bucket/*");
        assert!(arn_matches(&p, "arn:aws:s3:::bucket/a/b:c"));
        assert!(!arn_matches(&p, "arn:aws:s3:::bucket"));
        // `*` in the region segment must not swallow the account segment.
        let p = compile("arn:aws:iam::*:role/x");
        assert!(arn_matches(&p, "arn:aws:iam::111122223333:role/x"));
        let p = compile("arn:aws:*:role/x");
        assert!(!arn_matches(&p, "arn:aws:iam::111122223333:role/x"));
        // In the resource part a wildcard matches `/` and `:`.
        let p = compile("arn:aws:logs:us-east-1:1:log-group:*");
        assert!(arn_matches(
            &p,
            "arn:aws:logs:us-east-1:1:log-group:a:log-stream:b"
        ));
        assert!(arn_matches(&compile("*"), "anything"));
    }

    #[test]
    fn literal_star_from_variable_is_not_a_wildcard() {
        let mut toks = compile("arn:aws:s3:::b/");
        literal("*", &mut toks);
        assert!(arn_matches(&toks, "arn:aws:s3:::b/*"));
        assert!(!arn_matches(&toks, "arn:aws:s3:::b/x"));
    }
}
