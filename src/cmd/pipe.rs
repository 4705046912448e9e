//! `denytrail ... | head`: the reader of standard output going away is the reader's choice,
//! not an error. The writers (polars', serde_json's) wrap the broken pipe in errors of their
//! own, so [`PipeWatch`] notes it at the source.

use std::io::{self, Write};

/// Where output goes, noting whether the reader of standard output went away.
pub struct PipeWatch<W: Write> {
    out: W,
    closed: bool,
}

impl<W: Write> PipeWatch<W> {
    pub fn new(out: W) -> Self {
        PipeWatch { out, closed: false }
    }

    /// Did a write or flush fail because the reader went away?
    pub fn closed(&self) -> bool {
        self.closed
    }

    fn noting<T>(&mut self, r: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &r {
            self.closed |= e.kind() == io::ErrorKind::BrokenPipe;
        }
        r
    }
}

impl<W: Write> Write for PipeWatch<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.out.write(buf);
        self.noting(r)
    }

    fn flush(&mut self) -> io::Result<()> {
        let r = self.out.flush();
        self.noting(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn notes_a_closed_pipe_whoever_wraps_the_error() {
        let mut w = PipeWatch::new(Closed);
        let wrapped = serde_json::to_writer(&mut w, &[1, 2, 3]);
        assert!(wrapped.is_err() && w.closed());
        let mut other = PipeWatch::new(io::Cursor::new([0u8; 2]));
        assert!(other.write_all(b"too long").is_err(), "a full buffer fails");
        assert!(!other.closed(), "an error that is not a closed pipe");
    }
}
