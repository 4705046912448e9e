//! Object ACLs in the snapshot (ISSUE 17 §5): an optional extension of SNAPSHOT.md.
//!
//! ```text
//! accounts/<id>/s3/<bucket>/object-acls/<name>.json   aws s3api get-object-acl --bucket B --key K [--version-id V]
//! ```
//!
//! One file per call, the CLI's output unchanged (`{"Owner": {...}, "Grants": [...]}`), the
//! same shape as the bucket's `acl.json`. `<name>` is the object key, percent-encoded so that
//! any key (S3 keys may hold `/`, `..`, spaces, any UTF-8) is one safe file name, and
//! reversible:
//! - every byte of the key's UTF-8 except `a`-`z`, `0`-`9`, `-`, `_` and `.` is written `%XX`
//!   (two upper-case hex digits), so upper-case letters are encoded too: two keys that differ
//!   only in case never share a name on a case-insensitive file system;
//! - a `.` that starts the name is encoded (`%2E`), so no name is `.`, `..` or hidden;
//! - with `--version-id V`: `<encoded key>~<encoded V>.json` (`~` never occurs in an encoded
//!   key); without it (the current version): `<encoded key>.json`.
//!
//! `data/Report 1.csv` → `data%2F%52eport%201.csv.json`; version `3HL4kq` of it →
//! `data%2F%52eport%201.csv~3%48%4C4kq.json`. A name that is not the exact encoding of some
//! key (hand-made, mistyped) is reported as a problem and ignored. An object whose file is
//! absent has an unknown ACL, as before this extension. Names longer than
//! [`MAX_NAME`] bytes cannot be written on common file systems: the collector records such
//! an object as skipped.

use super::files::{self, Problems};
use super::model::Acl;
use crate::policy::Known;
use std::collections::BTreeMap;
use std::path::Path;

/// The folder under `s3/<bucket>/`.
pub const FOLDER: &str = "object-acls";

/// The longest file name (bytes, `.json` included) most file systems accept.
pub const MAX_NAME: usize = 255;

fn plain(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, b) in s.bytes().enumerate() {
        if plain(b) && !(i == 0 && b == b'.') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let decoded = String::from_utf8(out).ok()?;
    // Only the canonical encoding names a key: one key, one file.
    (encode(&decoded) == s).then_some(decoded)
}

/// The file name (without folder) of `get-object-acl` for `key` (and `version`).
pub fn file_name(key: &str, version: Option<&str>) -> String {
    match version {
        Some(v) => format!("{}~{}.json", encode(key), encode(v)),
        None => format!("{}.json", encode(key)),
    }
}

/// The key and version id a file name stands for; `None` when it is no such name.
pub fn parse_file_name(name: &str) -> Option<(String, Option<String>)> {
    let stem = name.strip_suffix(".json")?;
    let (key, version) = match stem.split_once('~') {
        Some((k, v)) => (decode(k)?, Some(decode(v)?)),
        None => (decode(stem)?, None),
    };
    (!key.is_empty() && version.as_deref() != Some("")).then_some((key, version))
}

/// Every captured object ACL of one bucket folder.
pub(super) fn load(dir: &Path, problems: &mut Problems) -> BTreeMap<(String, Option<String>), Acl> {
    let mut out = BTreeMap::new();
    for (name, path) in files::entries(dir, false, problems) {
        let file = format!("{name}.json");
        let Some(target) = parse_file_name(&file) else {
            problems.shape(
                &path,
                "not an object-ACL file name (percent-encoded key, `~` version id, `.json`)",
            );
            continue;
        };
        if let Known::Known(acl) = super::acl_doc::acl(&path, problems) {
            out.insert(target, acl);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_reversible_and_safe() {
        for key in [
            "a",
            "data/Report 1.csv",
            ".",
            "..",
            "../../etc/passwd",
            ".hidden",
            "a~b%c",
            "ünï/çødé",
            "UPPER",
            "upper",
        ] {
            for version in [None, Some("3HL4kq.tJvj_V~"), Some("null")] {
                let name = file_name(key, version);
                assert!(
                    name.bytes()
                        .all(|b| plain(b) || matches!(b, b'%' | b'~' | b'A'..=b'F')),
                    "{name}"
                );
                assert!(!name.starts_with('.') && !name.contains('/'), "{name}");
                assert_eq!(
                    parse_file_name(&name),
                    Some((key.to_owned(), version.map(str::to_owned))),
                    "{name}"
                );
            }
        }
        assert_ne!(file_name("UPPER", None), file_name("upper", None));
        assert_eq!(
            file_name("data/Report 1.csv", None),
            "data%2F%52eport%201.csv.json"
        );
        // Not the canonical encoding: refused, so two files never claim one key.
        assert_eq!(parse_file_name("Data.json"), None);
        assert_eq!(parse_file_name("a%2f.json"), None);
        assert_eq!(parse_file_name("a%2.json"), None);
        assert_eq!(parse_file_name("a.txt"), None);
    }
}
