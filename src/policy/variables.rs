//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, `${s3:prefix}`, the
//! literal escapes `${*}`, `${?}`, `${$}`, and defaults `${aws:username, 'anonymous'}`
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
//!
//! A template is split once at parse time; evaluation only substitutes. AWS's rules:
//! - a variable whose key has one value is replaced by it;
//! - a key with no value (absent, or multivalued: "you cannot use multivalued context keys as
//!   policy variables") makes the variable null, unless a default is given; a null value
//!   matches nothing ("Policy variables with no value");
//! - a key this engine does not know (neither present nor marked absent) leaves the answer
//!   unknown, never a guess.

use super::types::{Context, KeyState};
use super::wildcard::{self, Tok};

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text as written (`*`/`?` are wildcards where the element supports them).
    Text(String),
    /// A character from `${*}`, `${?}` or `${$}`: always literal.
    Escaped(char),
    /// A variable: its key (lower-cased) and optional default.
    Var {
        key: String,
        default: Option<String>,
    },
}

/// A string with policy variables, parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub raw: String,
    pub parts: Vec<Part>,
}

/// The result of substituting variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved<T> {
    Value(T),
    /// A variable had no value and no default: the element matches nothing.
    Null {
        key: String,
    },
    /// A variable's key is unknown to this engine.
    Unknown {
        key: String,
    },
}

impl Template {
    /// Parses `${...}` occurrences. Text that merely looks odd (an unclosed `${`) stays text.
    pub fn parse(raw: &str) -> Template {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = raw;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
            text.push_str(&rest[..start]);
            let inner = after[..end].trim();
            let part = match inner {
                "*" => Some(Part::Escaped('*')),
                "?" => Some(Part::Escaped('?')),
                "$" => Some(Part::Escaped('$')),
                _ => parse_var(inner),
            };
            match part {
                Some(p) => {
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(p);
                }
                None => text.push_str(&rest[start..start + 3 + end]),
            }
            rest = &after[end + 1..];
        }
        text.push_str(rest);
        if !text.is_empty() || parts.is_empty() {
            parts.push(Part::Text(text));
        }
        Template {
            raw: raw.to_owned(),
            parts,
        }
    }

    /// True when the template has no `${...}` at all.
    pub fn is_plain(&self) -> bool {
        matches!(self.parts.as_slice(), [Part::Text(_)])
    }

    /// The keys of the variables used (lower-cased).
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { key, .. } => Some(key.as_str()),
            _ => None,
        })
    }

    /// Substitutes into a plain string (for exact-match operators, where `*` is literal).
    pub fn resolve_string(&self, ctx: &Context) -> Resolved<String> {
        let mut out = String::with_capacity(self.raw.len());
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Escaped(c) => out.push(*c),
                Part::Var { key, default } => match var_value(key, default, ctx) {
                    Resolved::Value(v) => out.push_str(v),
                    Resolved::Null { key } => return Resolved::Null { key },
                    Resolved::Unknown { key } => return Resolved::Unknown { key },
                },
            }
        }
        Resolved::Value(out)
    }

    /// Substitutes into a wildcard pattern: written `*`/`?` are wildcards, substituted values
    /// and escapes are literal.
    pub fn resolve_pattern(&self, ctx: &Context) -> Resolved<Vec<Tok>> {
        let mut out = Vec::with_capacity(self.raw.len());
        for p in &self.parts {
            match p {
                Part::Text(t) => out.extend(wildcard::compile(t)),
                Part::Escaped(c) => wildcard::literal(c.encode_utf8(&mut [0; 4]), &mut out),
                Part::Var { key, default } => match var_value(key, default, ctx) {
                    Resolved::Value(v) => wildcard::literal(v, &mut out),
                    Resolved::Null { key } => return Resolved::Null { key },
                    Resolved::Unknown { key } => return Resolved::Unknown { key },
                },
            }
        }
        Resolved::Value(out)
    }
}

fn var_value<'a>(key: &str, default: &'a Option<String>, ctx: &'a Context) -> Resolved<&'a str> {
    match ctx.get(key) {
        KeyState::Present([one]) => Resolved::Value(one.as_str()),
        KeyState::Present(_) | KeyState::Absent => match default {
            Some(d) => Resolved::Value(d.as_str()),
            None => Resolved::Null {
                key: key.to_owned(),
            },
        },
        KeyState::Unknown | KeyState::NotMatching(_) => Resolved::Unknown {
            key: key.to_owned(),
        },
    }
}

/// `aws:username` or `aws:username, 'default'`. Returns `None` for text that is not a key.
fn parse_var(inner: &str) -> Option<Part> {
    let (key, default) = match inner.split_once(',') {
        Some((k, d)) => {
            let d = d.trim();
            let d = d.strip_prefix('\'').and_then(|d| d.strip_suffix('\''))?;
            (k.trim(), Some(d.to_owned()))
        }
        None => (inner, None),
    };
    let valid = !key.is_empty()
        && key.contains(':')
        && !key.contains(char::is_whitespace)
        && !key.contains(['{', '}', '$']);
    valid.then(|| Part::Var {
        key: key.to_ascii_lowercase(),
        default,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        let mut c = Context::default();
        c.set("aws:username", "alice");
        c.mark_absent("aws:PrincipalTag/team");
        c.set_many("aws:TagKeys", vec!["a".into(), "b".into()]);
        c
    }

    #[test]
    fn substitutes_known_keys_case_insensitively() {
        let t = Template::parse("home/${AWS:UserName}/*");
        assert_eq!(
            t.resolve_string(&ctx()),
            Resolved::Value("home/alice/*".into())
        );
    }

    #[test]
    fn escapes_are_literal_characters() {
        let t = Template::parse("a${*}b${?}c${$}");
        assert_eq!(t.resolve_string(&ctx()), Resolved::Value("a*b?c$".into()));
        let Resolved::Value(p) = t.resolve_pattern(&ctx()) else {
            panic!("resolves")
        };
        assert!(wildcard::is_literal(&p));
    }

    #[test]
    fn absent_key_uses_default_else_null() {
        let t = Template::parse("${aws:PrincipalTag/team, 'none'}");
        assert_eq!(t.resolve_string(&ctx()), Resolved::Value("none".into()));
        let t = Template::parse("${aws:PrincipalTag/team}");
        assert!(matches!(t.resolve_string(&ctx()), Resolved::Null { .. }));
        // Multivalued keys cannot be variables: null.
        let t = Template::parse("${aws:TagKeys}");
        assert!(matches!(t.resolve_string(&ctx()), Resolved::Null { .. }));
    }

    #[test]
    fn unknown_key_is_unknown_not_a_guess() {
        let t = Template::parse("x/${aws:userid}");
        assert_eq!(
            t.resolve_string(&ctx()),
            Resolved::Unknown {
                key: "aws:userid".into()
            }
        );
    }

    #[test]
    fn text_that_is_not_a_variable_stays() {
        let t = Template::parse("a${notakey}b${");
        assert!(t.is_plain());
        assert_eq!(
            t.resolve_string(&ctx()),
            Resolved::Value("a${notakey}b${".into())
        );
    }
}
