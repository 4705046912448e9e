//! Bytes as stored → the document the record reader walks: gzip is recognized by its magic
//! bytes (never by the name) and inflated whole into a reused buffer; anything else is read
//! as is. Multi-member gzip (concatenated streams) is read to the end; on a truncated or
//! corrupt stream, what was inflated before the damage is returned with the error so the
//! records in it are still kept.

use super::libdeflate::{Gunzip, Member};
use flate2::read::MultiGzDecoder;
use std::io::{self, Read};

/// gzip's magic bytes (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// How much output to make room for per read: large enough that the inflater runs in long
/// uninterrupted stretches, small enough to fit in L2 with the inflate window.
const READ_CHUNK: usize = 256 * 1024;

/// CloudTrail compresses about 10:1; the first allocation assumes at most this.
const MAX_HINT_RATIO: usize = 32;

pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// What inflating produced beside the bytes.
#[derive(Debug)]
pub enum Inflated {
    /// The whole stream.
    Complete,
    /// The stream broke after the returned bytes.
    Damaged(String),
    /// Output passed `cap`; the bytes returned are the first `cap`.
    TooLarge,
}

/// A decompression buffer reused across objects: its length only grows (to the largest
/// object seen, bounded by the cap), so no object after the first few pays for allocation or
/// zeroing. `filled` is how much of it holds the current document.
#[derive(Debug, Default)]
pub struct InflateBuf {
    buf: Vec<u8>,
    filled: usize,
    /// Created on first use (one per worker thread).
    gunzip: Option<Gunzip>,
}

impl InflateBuf {
    /// The current document.
    pub fn doc(&self) -> &[u8] {
        &self.buf[..self.filled]
    }

    /// Inflates the gzip `input` (all members) into the buffer, up to `cap` bytes.
    pub fn inflate(&mut self, input: &[u8], cap: usize) -> Inflated {
        if self.inflate_whole(input, cap) {
            return Inflated::Complete;
        }
        self.inflate_stream(input, cap)
    }

    /// The fast path: libdeflate, member after member, each into the rest of the buffer in
    /// one call. False on anything unusual (damage, trailing garbage, output over the cap):
    /// the streaming path then starts again from the first byte and says what went wrong,
    /// keeping what came before the damage.
    fn inflate_whole(&mut self, input: &[u8], cap: usize) -> bool {
        self.start(input, cap);
        if self.gunzip.is_none() {
            self.gunzip = Gunzip::new();
        }
        let Some(gz) = self.gunzip.as_mut() else {
            return false;
        };
        let mut pos = 0;
        while let Some(rest) = input.get(pos..).filter(|r| !r.is_empty()) {
            loop {
                let end = self.buf.len().min(cap);
                match gz.member(rest, &mut self.buf[self.filled.min(end)..end]) {
                    Member::Done { written, read } if read > 0 => {
                        self.filled += written;
                        pos += read;
                        break;
                    }
                    Member::NoSpace if self.buf.len() < cap => {
                        // Only a member that is not the last one can be bigger than the
                        // hint: grow geometrically and inflate that member again.
                        let grow = (self.buf.len() * 2).max(self.filled + READ_CHUNK).min(cap);
                        self.buf.resize(grow, 0);
                    }
                    _ => return false,
                }
            }
        }
        true
    }

    /// The streaming path (flate2): slower, but it keeps the output that came before damage
    /// and stops exactly at the cap.
    fn inflate_stream(&mut self, input: &[u8], cap: usize) -> Inflated {
        self.start(input, cap);
        let mut dec = MultiGzDecoder::new(input);
        loop {
            if self.filled >= cap {
                // One more byte would tell whether the stream really goes on.
                let mut probe = [0u8; 1];
                return match dec.read(&mut probe) {
                    Ok(0) => Inflated::Complete,
                    Ok(_) => Inflated::TooLarge,
                    Err(e) => Inflated::Damaged(describe(&e)),
                };
            }
            if self.filled == self.buf.len() {
                let want = (self.filled + READ_CHUNK).min(cap.max(self.filled + 1));
                let grow = want.max(self.buf.len().saturating_mul(3) / 2).min(cap);
                self.buf.resize(grow.max(want), 0);
            }
            let end = self.buf.len().min(cap);
            match dec.read(&mut self.buf[self.filled..end]) {
                Ok(0) => return Inflated::Complete,
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Inflated::Damaged(describe(&e)),
            }
        }
    }

    /// Empties the document and makes room for the size the gzip trailer announces.
    fn start(&mut self, input: &[u8], cap: usize) {
        self.filled = 0;
        let hint = size_hint(input, cap);
        if self.buf.len() < hint {
            self.buf.resize(hint, 0);
        }
    }

    /// Gives memory back after an unusually large object, so one big file does not keep the
    /// worker's footprint high for the rest of the run.
    pub fn trim(&mut self, keep: usize) {
        if self.buf.len() > keep {
            self.buf.truncate(keep);
            self.buf.shrink_to(keep);
        }
        self.filled = self.filled.min(self.buf.len());
    }
}

/// How much output to make room for first. ISIZE (the last 4 bytes) is the size mod 2^32 of
/// the last member only (exact for CloudTrail's single-member files), and garbage in a
/// truncated file: bounded by a generous ratio to the input so that a damaged trailer cannot
/// make us allocate the cap.
fn size_hint(input: &[u8], cap: usize) -> usize {
    input
        .len()
        .checked_sub(4)
        .and_then(|at| input.get(at..))
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, |b| u32::from_le_bytes(b) as usize)
        .min(input.len().saturating_mul(MAX_HINT_RATIO))
        .min(cap)
}

fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => "gzip stream ends early (truncated file)".into(),
        _ => format!("corrupt gzip data: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn reads_every_member() {
        let mut two = gz(b"hello ");
        two.extend(gz(b"world"));
        let mut b = InflateBuf::default();
        assert!(matches!(b.inflate(&two, 1 << 20), Inflated::Complete));
        assert_eq!(b.doc(), b"hello world");
    }

    #[test]
    fn keeps_what_came_before_a_truncation() {
        let data: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let z = gz(&data);
        let mut b = InflateBuf::default();
        let r = b.inflate(&z[..z.len() / 2], 1 << 24);
        assert!(matches!(r, Inflated::Damaged(_)), "{r:?}");
        assert!(!b.doc().is_empty());
        assert_eq!(b.doc(), &data[..b.doc().len()]);
    }

    #[test]
    fn a_damaged_trailer_does_not_size_the_buffer() {
        let mut z = gz(b"{}");
        let n = z.len();
        z[n - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut b = InflateBuf::default();
        let _ = b.inflate(&z, 1 << 30);
        assert!(
            b.buf.len() <= READ_CHUNK + z.len() * MAX_HINT_RATIO,
            "{}",
            b.buf.len()
        );
    }

    #[test]
    fn a_first_member_bigger_than_the_last_is_read_whole() {
        // The buffer is first sized from the last member's trailer, so the first member
        // does not fit and the buffer must grow.
        let big: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let mut two = gz(&big);
        two.extend(gz(b"tail"));
        let mut b = InflateBuf::default();
        assert!(matches!(b.inflate(&two, 1 << 24), Inflated::Complete));
        assert_eq!(b.doc().len(), big.len() + 4);
        assert!(b.doc().starts_with(&big) && b.doc().ends_with(b"tail"));
    }

    #[test]
    fn a_file_concatenated_with_itself_keeps_both_copies() {
        // Both members have the same size: a whole-buffer inflate that stopped after the
        // first member would look complete by size alone.
        let one = gz(b"{\"Records\":[]}");
        let mut two = one.clone();
        two.extend(&one);
        let mut b = InflateBuf::default();
        assert!(matches!(b.inflate(&two, 1 << 20), Inflated::Complete));
        assert_eq!(b.doc(), b"{\"Records\":[]}{\"Records\":[]}");
    }

    #[test]
    fn stops_at_the_cap() {
        let z = gz(&[b'x'; 10_000]);
        let mut b = InflateBuf::default();
        assert!(matches!(b.inflate(&z, 1000), Inflated::TooLarge));
        assert_eq!(b.doc().len(), 1000);
        assert!(matches!(b.inflate(&z, 10_000), Inflated::Complete));
        assert_eq!(b.doc().len(), 10_000);
    }
}
