//! An unnamed temporary file that only grows: where the scan's spill (`scan::spill`), its
//! evidence log (`scan::evidence_log`) and the report's batches (`report::batches`) put what
//! does not stay in memory. Created in `TMPDIR` on the first append and deleted by the OS
//! when the process ends, whatever way it ends.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, Write};

/// A size limit read from the environment variable `name` when it holds a number (tests
/// set these to push everything through the scratch file), else `default`.
pub fn limit_from_env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

#[derive(Debug, Default)]
pub struct Scratch {
    /// `None` until the first append.
    file: Option<File>,
    /// Bytes written whole.
    written: u64,
    /// An append failed: the file may end in a partial write, so nothing more is appended.
    failed: bool,
}

impl Scratch {
    /// Appends `bytes`; returns where they start. After one failure every append fails (the
    /// caller keeps the data in memory instead), so offsets never point past a partial write.
    pub fn append(&mut self, bytes: &[u8]) -> io::Result<u64> {
        if self.failed {
            return Err(io::Error::other(
                "an earlier write to the temporary file failed",
            ));
        }
        let result = self.write(bytes);
        self.failed = result.is_err();
        result
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<u64> {
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(tempfile::tempfile()?),
        };
        file.write_all(bytes)?;
        let at = self.written;
        self.written += bytes.len() as u64;
        Ok(at)
    }

    /// Whether an append has failed.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// `len` bytes from `offset` (as [`Scratch::append`] returned it).
    pub fn read_at(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut file = self
            .file
            .as_ref()
            .ok_or_else(|| io::Error::other("nothing was written to the temporary file"))?;
        let mut buf = vec![0; len];
        file.seek(io::SeekFrom::Start(offset))?;
        file.read_exact(&mut buf)?;
        Ok(buf)
    }

    /// Everything written whole, from the start, without giving the file up ([`Scratch::read_at`]
    /// still works once the reader is dropped); `None` if nothing was ever written.
    pub fn reader(&self) -> io::Result<Option<impl BufRead + '_>> {
        let Some(mut file) = self.file.as_ref() else {
            return Ok(None);
        };
        file.rewind()?;
        Ok(Some(BufReader::with_capacity(
            1 << 20,
            file.take(self.written),
        )))
    }

    /// Everything written whole, from the start; `None` if nothing ever was.
    pub fn into_reader(self) -> io::Result<Option<impl BufRead>> {
        let Some(mut file) = self.file else {
            return Ok(None);
        };
        file.rewind()?;
        Ok(Some(BufReader::with_capacity(
            1 << 20,
            file.take(self.written),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_come_back_by_offset_and_in_order() {
        let mut s = Scratch::default();
        assert_eq!(s.append(b"one\n").expect("append"), 0);
        assert_eq!(s.append(b"two\n").expect("append"), 4);
        assert_eq!(s.read_at(4, 3).expect("read"), b"two");
        let mut all = String::new();
        s.into_reader()
            .expect("rewind")
            .expect("written")
            .read_to_string(&mut all)
            .expect("read");
        assert_eq!(all, "one\ntwo\n");
        assert!(Scratch::default().into_reader().expect("no file").is_none());
    }
}
