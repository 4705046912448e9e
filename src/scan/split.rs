//! Where the records are in a document, in every shape CloudTrail data comes in.
//!
//! Two paths, chosen from the content:
//! - [`split_delivery`]: CloudTrail's own minified delivery files (`{"Records":[{"eventVersion"…`).
//!   Inside a JSON string a `"` is always escaped, so the bytes `{"eventVersion"` can only be
//!   structural: one memmem pass finds every record boundary without tokenizing the JSON.
//!   Anything unexpected (a boundary not preceded by `},`, a candidate that does not parse)
//!   makes the caller fall back to the general path for the whole object, so this shortcut
//!   never decides a result on its own.
//! - [`split_general`]: any whitespace and key order: `{"Records":[…]}` pretty-printed, a bare
//!   array, JSON Lines, `aws cloudtrail lookup-events` output, a single record, and it
//!   recognizes digest files. It walks structure (strings skipped with memchr) and stops
//!   cleanly at a truncation point, so records before it are kept.
//!
//! Neither path validates records that cannot be kept (the pre-filter decides that); a
//! candidate is validated by the full parse.

use memchr::memmem;
use std::sync::OnceLock;

/// The start of every record in CloudTrail's own minified files.
pub const RECORD_START: &[u8] = b"{\"eventVersion\"";
const DELIVERY_PREFIX: &[u8] = b"{\"Records\":[";

/// One unit of work handed to the visitor.
pub enum Item<'a> {
    /// The bytes of one record (a JSON object), by 0-based index in its object.
    Record(u64, &'a [u8]),
    /// A problem at a record (or, with `None`, at the object).
    Problem(Option<u64>, Problem),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// JSON that does not parse (what and where).
    Malformed(String),
    /// The document ends inside a value (a plain file cut short).
    UnexpectedEnd,
    /// Valid JSON that is not a record.
    NotRecord(String),
}

/// The visitor returns `Err(Fallback)` from the fast path to ask for the general one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fallback;

/// What a document turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// CloudTrail's minified `{"Records":[…]}` (fast path).
    Delivery,
    /// `{"Records":[…]}` in any other formatting.
    Records,
    /// A bare JSON array of records.
    Array,
    /// One record per line.
    JsonLines,
    /// `aws cloudtrail lookup-events` output (`Events[].CloudTrailEvent`).
    LookupEvents,
    /// A single record object.
    SingleRecord,
    /// A CloudTrail-Digest file.
    Digest,
    /// Nothing but whitespace.
    Empty,
    /// JSON (or not) that is none of the above.
    NotCloudTrail,
}

fn record_finder() -> &'static memmem::Finder<'static> {
    static F: OnceLock<memmem::Finder<'static>> = OnceLock::new();
    F.get_or_init(|| memmem::Finder::new(RECORD_START))
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    // A UTF-8 byte order mark is tolerated at the start.
    if i == 0 && b.starts_with(b"\xEF\xBB\xBF") {
        i = 3;
    }
    while let Some(c) = b.get(i) {
        if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            break;
        }
        i += 1;
    }
    i
}

fn trim_start(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(b.len());
    &b[start..]
}

fn trim_end(b: &[u8]) -> &[u8] {
    let mut end = b.len();
    while end > 0 && matches!(b[end - 1], b' ' | b'\t' | b'\n' | b'\r') {
        end -= 1;
    }
    &b[..end]
}

/// True when `doc` is CloudTrail's minified delivery format, so [`split_delivery`] applies.
pub fn is_delivery(doc: &[u8]) -> bool {
    let rest = &doc[skip_ws(doc, 0)..];
    rest.strip_prefix(DELIVERY_PREFIX)
        .is_some_and(|r| r.starts_with(RECORD_START) || r.starts_with(b"]}"))
}

/// The fast path over a delivery document. `truncated`: the document is a prefix of the
/// real one (damaged gzip), so a last record cut short is dropped instead of reported.
pub fn split_delivery(
    doc: &[u8],
    truncated: bool,
    visit: &mut dyn FnMut(Item<'_>) -> Result<(), Fallback>,
) -> Result<(), Fallback> {
    let start = skip_ws(doc, 0) + DELIVERY_PREFIX.len();
    let Some(body) = doc.get(start..) else {
        return Err(Fallback);
    };
    if body.starts_with(b"]}") {
        return if trim_end(body) == b"]}" {
            Ok(())
        } else {
            Err(Fallback)
        };
    }
    let finder = record_finder();
    let mut pos = 0usize;
    let mut index = 0u64;
    loop {
        let next = body
            .get(pos + 1..)
            .and_then(|rest| finder.find(rest))
            .map(|k| pos + 1 + k);
        match next {
            Some(n) => {
                let span = &body[pos..n];
                let Some(rec) = span.strip_suffix(b",") else {
                    return Err(Fallback);
                };
                if !rec.ends_with(b"}") {
                    return Err(Fallback);
                }
                visit(Item::Record(index, rec))?;
                index += 1;
                pos = n;
            }
            None => {
                let span = trim_end(&body[pos..]);
                if let Some(rec) = span.strip_suffix(b"]}") {
                    if !rec.ends_with(b"}") {
                        return Err(Fallback);
                    }
                    visit(Item::Record(index, rec))?;
                    return Ok(());
                }
                if truncated {
                    // The record the damage cut: complete only if it ends exactly here.
                    if let Some(rec) = span.strip_suffix(b",") {
                        if rec.ends_with(b"}") {
                            visit(Item::Record(index, rec))?;
                        }
                    }
                    return Ok(());
                }
                // A plain file cut short or with trailing garbage: the general path says
                // exactly where.
                return Err(Fallback);
            }
        }
    }
}

/// A syntax problem found while walking structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syn {
    Eof,
    Bad(usize, &'static str),
}

struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    fn ws(&mut self) {
        self.i = skip_ws(self.b, self.i);
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn expect(&mut self, c: u8, what: &'static str) -> Result<(), Syn> {
        self.ws();
        match self.peek() {
            Some(x) if x == c => {
                self.i += 1;
                Ok(())
            }
            Some(_) => Err(Syn::Bad(self.i, what)),
            None => Err(Syn::Eof),
        }
    }
    /// At a `"`: moves past the closing quote and returns the raw content.
    fn string(&mut self) -> Result<&'a [u8], Syn> {
        let start = self.i + 1;
        let mut i = start;
        loop {
            let rest = self.b.get(i..).ok_or(Syn::Eof)?;
            match memchr::memchr2(b'"', b'\\', rest) {
                None => return Err(Syn::Eof),
                Some(k) if rest[k] == b'\\' => i += k + 2,
                Some(k) => {
                    self.i = i + k + 1;
                    return Ok(&self.b[start..i + k]);
                }
            }
        }
    }
    /// Moves past one value (lenient: checks nesting, not the grammar of scalars).
    fn skip_value(&mut self) -> Result<(), Syn> {
        self.ws();
        match self.peek() {
            None => Err(Syn::Eof),
            Some(b'"') => self.string().map(|_| ()),
            Some(b'{' | b'[') => {
                let mut depth = 0usize;
                loop {
                    match self.peek() {
                        None => return Err(Syn::Eof),
                        Some(b'"') => {
                            self.string()?;
                            continue;
                        }
                        Some(b'{' | b'[') => depth += 1,
                        Some(b'}' | b']') => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Ok(());
                            }
                        }
                        Some(_) => {}
                    }
                    self.i += 1;
                }
            }
            Some(b'}' | b']' | b',' | b':') => Err(Syn::Bad(self.i, "a value")),
            Some(_) => {
                let start = self.i;
                while let Some(c) = self.peek() {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' | b':') {
                        break;
                    }
                    self.i += 1;
                }
                if self.i == start {
                    Err(Syn::Bad(start, "a value"))
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// How the elements of an array are to be read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Elem {
    Record,
    LookupEvent,
}

fn syntax_problem(e: Syn, index: u64, truncated: bool) -> Option<Item<'static>> {
    match e {
        Syn::Eof if truncated => None,
        Syn::Eof => Some(Item::Problem(Some(index), Problem::UnexpectedEnd)),
        Syn::Bad(at, what) => Some(Item::Problem(
            Some(index),
            Problem::Malformed(format!(
                "expected {what} at byte {at}; the rest of the file is unreadable"
            )),
        )),
    }
}

/// The elements of an array, the cursor just past its `[`.
fn elements(
    c: &mut Cur<'_>,
    kind: Elem,
    truncated: bool,
    visit: &mut dyn FnMut(Item<'_>) -> Result<(), Fallback>,
) {
    let mut index = 0u64;
    let r: Result<(), Syn> = (|| loop {
        c.ws();
        if c.peek() == Some(b']') {
            c.i += 1;
            return Ok(());
        }
        let start = c.i;
        c.skip_value()?;
        let bytes = &c.b[start..c.i];
        match kind {
            Elem::Record => {
                let _ = visit(Item::Record(index, bytes));
            }
            Elem::LookupEvent => lookup_event(index, bytes, visit),
        }
        index += 1;
        c.ws();
        match c.peek() {
            Some(b',') => c.i += 1,
            Some(b']') => {
                c.i += 1;
                return Ok(());
            }
            Some(_) => return Err(Syn::Bad(c.i, "`,` or `]`")),
            None => return Err(Syn::Eof),
        }
    })();
    if let Err(e) = r {
        if let Some(p) = syntax_problem(e, index, truncated) {
            let _ = visit(p);
        }
    }
}

/// One element of lookup-events output: the record is a JSON string in `CloudTrailEvent`.
fn lookup_event(index: u64, bytes: &[u8], visit: &mut dyn FnMut(Item<'_>) -> Result<(), Fallback>) {
    #[derive(serde::Deserialize)]
    struct Wrapper {
        #[serde(rename = "CloudTrailEvent")]
        event: Option<String>,
    }
    let _ = match serde_json::from_slice::<Wrapper>(bytes) {
        Ok(Wrapper { event: Some(e) }) => visit(Item::Record(index, e.as_bytes())),
        Ok(Wrapper { event: None }) => visit(Item::Problem(
            Some(index),
            Problem::NotRecord("lookup-events entry without `CloudTrailEvent`".into()),
        )),
        Err(e) => visit(Item::Problem(
            Some(index),
            Problem::Malformed(e.to_string()),
        )),
    };
}

/// Keys of a top-level object that say what the document is.
#[derive(Default)]
struct Seen {
    record_like: bool,
    digest: bool,
}

/// Whether `doc` is JSON Lines: the first line holds a whole object on its own, and more
/// non-empty lines follow. (A pretty-printed document's first line never ends in `}`.)
fn is_json_lines(doc: &[u8], start: usize) -> bool {
    let rest = &doc[start..];
    let Some(nl) = memchr::memchr(b'\n', rest) else {
        return false;
    };
    let first = trim_end(&rest[..nl]);
    // A line that is a whole `{"Records":[…]}` (or lookup-events) document is not a record:
    // such lines are documents written one after another ([`concatenated`]).
    let body = &first[skip_ws(first, 1.min(first.len()))..];
    let document = body.starts_with(b"\"Records\"") || body.starts_with(b"\"Events\"");
    first.starts_with(b"{")
        && first.ends_with(b"}")
        && !document
        && rest[nl..].iter().any(|c| !c.is_ascii_whitespace())
}

/// The general path. Returns the shape found; records and problems go to `visit`.
pub fn split_general(
    doc: &[u8],
    truncated: bool,
    visit: &mut dyn FnMut(Item<'_>) -> Result<(), Fallback>,
) -> Shape {
    let start = skip_ws(doc, 0);
    let mut c = Cur { b: doc, i: start };
    match c.peek() {
        None => Shape::Empty,
        Some(b'[') => {
            c.i += 1;
            elements(&mut c, Elem::Record, truncated, visit);
            Shape::Array
        }
        Some(b'{') if is_json_lines(doc, start) => {
            json_lines(doc, start, truncated, visit);
            Shape::JsonLines
        }
        Some(b'{') => concatenated(&mut c, truncated, visit),
        Some(_) => Shape::NotCloudTrail,
    }
}

/// One top-level object, or several written one after another (`zcat *.json.gz`, or
/// `cat`ed delivery files, give `{"Records":[…]}{"Records":[…]}`): every document's records
/// are read, numbered on from the previous ones, and anything after the last document that
/// is not one is reported rather than dropped.
fn concatenated(
    c: &mut Cur<'_>,
    truncated: bool,
    visit: &mut dyn FnMut(Item<'_>) -> Result<(), Fallback>,
) -> Shape {
    let mut offset = 0u64;
    // The shape reported for the whole: a records document wins over a digest or other JSON
    // beside it (the object was read for its records).
    let mut whole: Option<Shape> = None;
    loop {
        let mut count = 0u64;
        let shape = {
            let mut numbered = |item: Item<'_>| match item {
                Item::Record(i, r) => {
                    count = count.max(i + 1);
                    visit(Item::Record(i + offset, r))
                }
                Item::Problem(Some(i), p) => {
                    count = count.max(i + 1);
                    visit(Item::Problem(Some(i + offset), p))
                }
                other => visit(other),
            };
            top_object(c, truncated, &mut numbered)
        };
        offset += count;
        let records = |s: &Shape| matches!(s, Shape::Records | Shape::LookupEvents);
        let shape = match whole.take() {
            Some(w) if records(&w) && !records(&shape) => w,
            _ => shape,
        };
        c.ws();
        match c.peek() {
            Some(b'{') => whole = Some(shape),
            Some(_) if !truncated => {
                let _ = visit(Item::Problem(
                    Some(offset),
                    Problem::Malformed(format!(
                        "data after the end of the JSON document at byte {}",
                        c.i
                    )),
                ));
                return shape;
            }
            _ => return shape,
        }
    }
}

fn json_lines(
    doc: &[u8],
    start: usize,
    truncated: bool,
    visit: &mut dyn FnMut(Item<'_>) -> Result<(), Fallback>,
) {
    let mut index = 0u64;
    let mut lines = doc[start..].split(|&c| c == b'\n').peekable();
    while let Some(line) = lines.next() {
        let line = trim_end(line);
        let line = trim_start(line);
        if line.is_empty() {
            continue;
        }
        // The last line of a damaged stream is cut short unless a newline ended it.
        if truncated && lines.peek().is_none() {
            break;
        }
        let item = if line.starts_with(b"{") && line.ends_with(b"}") {
            Item::Record(index, line)
        } else {
            Item::Problem(
                Some(index),
                Problem::Malformed("a line that is not one JSON object".into()),
            )
        };
        let _ = visit(item);
        index += 1;
    }
}

fn top_object(
    c: &mut Cur<'_>,
    truncated: bool,
    visit: &mut dyn FnMut(Item<'_>) -> Result<(), Fallback>,
) -> Shape {
    let obj_start = c.i;
    c.i += 1;
    let mut seen = Seen::default();
    let mut shape = None;
    let r: Result<(), Syn> = (|| loop {
        c.ws();
        match c.peek() {
            Some(b'}') => {
                c.i += 1;
                return Ok(());
            }
            Some(b'"') => {}
            Some(_) => return Err(Syn::Bad(c.i, "a key")),
            None => return Err(Syn::Eof),
        }
        let key = c.string()?;
        c.expect(b':', "`:`")?;
        c.ws();
        match (key, c.peek()) {
            (b"Records", Some(b'[')) => {
                c.i += 1;
                shape = Some(Shape::Records);
                elements(c, Elem::Record, truncated, visit);
            }
            (b"Events", Some(b'[')) => {
                c.i += 1;
                shape = Some(Shape::LookupEvents);
                elements(c, Elem::LookupEvent, truncated, visit);
            }
            _ => {
                match key {
                    b"eventVersion" | b"eventSource" | b"eventTime" | b"eventName" => {
                        seen.record_like = true
                    }
                    b"digestStartTime" | b"digestEndTime" | b"digestS3Bucket" | b"logFiles" => {
                        seen.digest = true
                    }
                    _ => {}
                }
                c.skip_value()?;
            }
        }
        c.ws();
        match c.peek() {
            Some(b',') => c.i += 1,
            Some(b'}') => {
                c.i += 1;
                return Ok(());
            }
            Some(_) => return Err(Syn::Bad(c.i, "`,` or `}`")),
            None => return Err(Syn::Eof),
        }
    })();
    if let Some(shape) = shape {
        // Problems inside the array were reported by `elements`; a problem after it (the
        // closing of the top object) loses no record.
        return shape;
    }
    match r {
        Ok(()) if seen.digest && !seen.record_like => Shape::Digest,
        Ok(()) if seen.record_like => {
            let _ = visit(Item::Record(0, &c.b[obj_start..c.i]));
            Shape::SingleRecord
        }
        Ok(()) => Shape::NotCloudTrail,
        Err(e) => {
            if let Some(p) = syntax_problem(e, 0, truncated) {
                let _ = visit(p);
            }
            if seen.digest {
                Shape::Digest
            } else {
                Shape::SingleRecord
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(doc: &[u8], truncated: bool) -> (Shape, Vec<String>) {
        let mut out = Vec::new();
        let mut v = |item: Item<'_>| {
            out.push(match item {
                Item::Record(i, b) => format!("{i}:{}", String::from_utf8_lossy(b)),
                Item::Problem(i, p) => format!("{i:?}!{p:?}"),
            });
            Ok(())
        };
        let shape = if is_delivery(doc) {
            split_delivery(doc, truncated, &mut v).unwrap();
            Shape::Delivery
        } else {
            split_general(doc, truncated, &mut v)
        };
        (shape, out)
    }

    #[test]
    fn delivery_fast_path_splits_on_record_starts() {
        let doc =
            br#"{"Records":[{"eventVersion":"1","a":"{\"eventVersion\""},{"eventVersion":"2"}]}"#;
        let (shape, recs) = collect(doc, false);
        assert_eq!(shape, Shape::Delivery);
        assert_eq!(
            recs,
            [
                r#"0:{"eventVersion":"1","a":"{\"eventVersion\""}"#,
                r#"1:{"eventVersion":"2"}"#
            ]
        );
    }

    #[test]
    fn delivery_cut_short_asks_for_the_general_path() {
        let doc = br#"{"Records":[{"eventVersion":"1"},{"eventVersion":"2""#;
        let mut v = |_: Item<'_>| Ok(());
        assert_eq!(split_delivery(doc, false, &mut v), Err(Fallback));
        let (_, recs) = collect(doc, true);
        assert_eq!(recs, [r#"0:{"eventVersion":"1"}"#]);
    }

    #[test]
    fn pretty_records_array_lines_and_single() {
        let pretty = b"{\n  \"Records\": [\n    {\"eventSource\": \"s3\"},\n    {\"b\": [1, {\"c\": \"]}\"}]}\n  ]\n}\n";
        let (shape, recs) = collect(pretty, false);
        assert_eq!(shape, Shape::Records);
        assert_eq!(recs.len(), 2, "{recs:?}");
        assert!(recs[1].starts_with("1:{\"b\""), "{recs:?}");

        let (shape, recs) = collect(b" [ {\"a\":1} , {\"b\":2} ] ", false);
        assert_eq!((shape, recs.len()), (Shape::Array, 2));

        let (shape, recs) = collect(
            b"{\"eventTime\":\"x\"}\n\n{\"eventTime\":\"y\"}\nnot json\n",
            false,
        );
        assert_eq!(shape, Shape::JsonLines);
        assert_eq!(recs.len(), 3);
        assert!(recs[2].starts_with("Some(2)!Malformed"), "{recs:?}");

        let (shape, recs) = collect(
            b"{\"eventVersion\": \"1.08\",\n \"eventSource\": \"s3.amazonaws.com\"}",
            false,
        );
        assert_eq!((shape, recs.len()), (Shape::SingleRecord, 1));
    }

    #[test]
    fn lookup_events_digest_and_other_json() {
        let lookup = br#"{"Events":[{"EventId":"1","CloudTrailEvent":"{\"eventVersion\":\"1.08\"}"}],"NextToken":"x"}"#;
        let (shape, recs) = collect(lookup, false);
        assert_eq!(shape, Shape::LookupEvents);
        assert_eq!(recs, [r#"0:{"eventVersion":"1.08"}"#]);

        let digest = br#"{"awsAccountId":"1","digestStartTime":"x","logFiles":[]}"#;
        assert_eq!(collect(digest, false).0, Shape::Digest);
        assert_eq!(collect(br#"{"name":"x"}"#, false).0, Shape::NotCloudTrail);
        assert_eq!(collect(b"hello", false).0, Shape::NotCloudTrail);
        assert_eq!(collect(b" \n", false).0, Shape::Empty);
    }

    #[test]
    fn malformed_and_cut_short_plain_files_name_the_record() {
        let (_, recs) = collect(b"{\"Records\":[{\"a\":1},{\"b\":2}", false);
        assert_eq!(recs.last().unwrap(), "Some(2)!UnexpectedEnd");
        let (_, recs) = collect(b"[{\"a\":1} {\"b\":2}]", false);
        assert!(
            recs.last().unwrap().starts_with("Some(1)!Malformed"),
            "{recs:?}"
        );
        // Cut short by a damaged gzip: no problem reported here (the caller reports the gzip).
        let (_, recs) = collect(b"[{\"a\":1},{\"b\":", true);
        assert_eq!(recs, ["0:{\"a\":1}"]);
    }

    /// `cat`ed or `zcat`ed delivery files are several documents in one: every record of each
    /// is read, numbered on; trailing data that is no document is a problem, not silence.
    #[test]
    fn concatenated_documents_are_all_read() {
        let doc = b"{\"Records\":[{\"a\":1},{\"b\":2}]}{\"Records\":[{\"c\":3}]}\n{\"Records\":[]}";
        let (shape, recs) = collect(doc, false);
        assert_eq!(shape, Shape::Records);
        assert_eq!(recs, ["0:{\"a\":1}", "1:{\"b\":2}", "2:{\"c\":3}"]);
        let (_, recs) = collect(b"{\"Records\":[{\"a\":1}]} trailing", false);
        assert_eq!(recs.len(), 2, "{recs:?}");
        assert!(recs[1].contains("data after the end"), "{recs:?}");
    }
}
