//! Text that came from a request made inert for where it is shown.
//!
//! Object keys, user agents, ARNs and error messages in a denied request are chosen by
//! whoever sent it, anonymous callers included. Printed as they are, an ESC or OSC sequence
//! rewrites the terminal (title, hyperlinks, cursor moves that hide lines), a carriage return
//! overwrites the line it is on, a `<script>` or `[link](...)` renders in a Markdown viewer,
//! and a cell starting with `=` runs as a formula in a spreadsheet. Each output escapes what
//! its reader would act on, and nothing else, so that ordinary keys read as they are:
//! - [`terminal`]: C0 and C1 control characters, DEL, and the bidirectional overrides that
//!   reorder what is displayed (U+202A..U+202E, U+2066..U+2069), shown as `\x1b`, `\u{202e}`;
//! - [`markdown`]: the characters CommonMark and GFM act on, backslash-escaped (CommonMark:
//!   "Any ASCII punctuation character may be backslash-escaped"), control characters as for
//!   the terminal, so a cell stays one table cell on one line;
//! - [`csv_cell`] / [`csv_cell_read`]: OWASP's CSV injection advice (a leading `'`), made
//!   reversible so `report` reads back exactly what `analyze` saw.
//!
//! HTML output escapes `& < > " '` in every value already (`report::render::html::esc`), and
//! JSON escapes control characters by itself.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether the terminal (or a viewer) would act on `c` rather than show it.
fn is_active(c: char) -> bool {
    c.is_control() // C0, DEL, C1 (U+0080..U+009F: 0x9B is a one-byte CSI)
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn escape_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// `s` for a terminal: every control character (newline included: one value, one line) and
/// every bidirectional override escaped. Borrowed when there is nothing to escape.
pub fn terminal(s: &str) -> Cow<'_, str> {
    escaped(s, &[])
}

/// `s` with every control character and bidirectional override escaped ([`escape_char`]) and
/// each character of `backslashed` preceded by a backslash; borrowed when there is nothing
/// to escape. The terminal and Markdown escapers differ only in `backslashed`.
fn escaped<'s>(s: &'s str, backslashed: &[char]) -> Cow<'s, str> {
    if !s.chars().any(|c| is_active(c) || backslashed.contains(&c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_active(c) {
            escape_char(&mut out, c);
        } else {
            if backslashed.contains(&c) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text of several lines for a terminal (a trace, a reason): the line breaks stay, every
/// other control character is escaped as in [`terminal`].
pub fn terminal_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_active(c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.split('\n')
            .map(|line| terminal(line).into_owned())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// The ASCII punctuation CommonMark or GFM may act on inside a table cell: emphasis, code,
/// links and images, raw HTML and entities, strikethrough, the cell separator, and the
/// backslash itself. (Backslash escapes: <https://spec.commonmark.org/0.31.2/#backslash-escapes>.)
const MARKDOWN_ACTIVE: &[char] = &[
    '\\', '`', '*', '_', '[', ']', '<', '>', '|', '!', '&', '~', '#', '(', ')',
];

/// `s` as plain text in a Markdown table cell: the characters Markdown acts on are
/// backslash-escaped and control characters escaped as for the terminal.
pub fn markdown(s: &str) -> Cow<'_, str> {
    escaped(s, MARKDOWN_ACTIVE)
}

/// `s` as a Markdown code span in a table cell: shown literally (no emphasis, link or HTML
/// inside a code span), except that a backtick would close the span (it becomes `'`), a
/// `|` would end the cell (escaped, as GFM tables allow inside code) and a line break the
/// row (control characters are escaped as for the terminal).
pub fn markdown_code(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('`');
    for c in s.chars() {
        match c {
            '`' => out.push('\''),
            '|' => out.push_str("\\|"),
            c if is_active(c) => escape_char(&mut out, c),
            c => out.push(c),
        }
    }
    out.push('`');
    out
}

/// First characters that make a spreadsheet read a cell as a formula (OWASP, CSV Injection:
/// "Equals to (=), Plus (+), Minus (-), At (@), Tab (0x09), Carriage return (0x0D)").
const FORMULA_START: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// A CSV cell that no spreadsheet runs as a formula. OWASP
/// (<https://owasp.org/www-community/attacks/CSV_Injection>): "ensure that no cells begin
/// with any of the following characters: Equals to (=), Plus (+), Minus (-), At (@), Tab
/// (0x09), Carriage return (0x0D)" and "prepend each cell field with a single quote".
/// A value that starts with `'` itself gets one more, so that [`csv_cell_read`] gives back
/// every value exactly.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some(c) if FORMULA_START.contains(&c) || c == '\'' => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// The value [`csv_cell`] wrote: one leading `'` dropped when a formula character or another
/// `'` follows it (a file written before cells were neutralized reads as it did, unless a
/// value itself started with `'=`).
pub fn csv_cell_read(s: &str) -> Cow<'_, str> {
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (Some('\''), Some(c)) if FORMULA_START.contains(&c) || c == '\'' => Cow::Borrowed(&s[1..]),
        _ => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys an anonymous caller can send: an OSC 8 hyperlink, a title change, a cursor-up
    /// that hides the previous line, a carriage return, a BEL, a one-byte C1 CSI, a bidi
    /// override.
    const HOSTILE: &[&str] = &[
        "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",
        "\x1b]0;owned\x07",
        "a\x1b[1Ab",
        "ok\rFAKE",
        "\u{9b}31m",
        "txt.\u{202e}exe",
    ];

    #[test]
    fn terminal_text_has_no_active_character_left() {
        for h in HOSTILE {
            let t = terminal(h);
            assert!(!t.chars().any(is_active), "{t:?}");
            assert!(!t.contains('\x1b') && !t.contains('\r') && !t.contains('\x07'));
        }
        assert_eq!(terminal("a\x1b[1Ab"), "a\\x1b[1Ab");
        assert_eq!(terminal("ok\rFAKE"), "ok\\rFAKE");
        assert_eq!(terminal("txt.\u{202e}exe"), "txt.\\u{202e}exe");
        assert!(matches!(
            terminal("arn:aws:s3:::b/ключ 1"),
            Cow::Borrowed(_)
        ));
        assert_eq!(terminal_lines("a\nb\x1bc"), "a\nb\\x1bc");
    }

    #[test]
    fn markdown_escapes_what_would_render() {
        assert_eq!(
            markdown("<img src=x onerror=alert(1)>"),
            "\\<img src=x onerror=alert\\(1\\)\\>"
        );
        assert_eq!(markdown("[x](http://e)"), "\\[x\\]\\(http://e\\)");
        assert_eq!(markdown("a|b\nc"), "a\\|b\\nc");
        assert_eq!(markdown("s3:GetObject"), "s3:GetObject");
        assert_eq!(markdown_code("a`b|c\rd"), "`a'b\\|c\\rd`");
    }

    #[test]
    fn csv_cells_never_start_a_formula_and_read_back_exactly() {
        for v in [
            "=HYPERLINK(\"http://e\",\"x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "'",
            "'=1",
            "''",
            "plain",
            "",
            "it's",
        ] {
            let w = csv_cell(v);
            let first = w.chars().next();
            assert!(
                !first.is_some_and(|c| FORMULA_START.contains(&c)),
                "{v:?} -> {w:?}"
            );
            assert_eq!(csv_cell_read(&w), v, "{v:?} -> {w:?}");
        }
        assert_eq!(csv_cell("=1"), "'=1");
        assert_eq!(csv_cell("plain"), "plain");
    }
}
