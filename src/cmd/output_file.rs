//! `--output FILE` written so that an existing file is never destroyed: the report goes to a
//! temporary file beside it (same folder, so same file system) and is renamed over FILE only
//! once it is whole. A run that fails, is refused, is interrupted (Ctrl-C, `timeout`) or
//! meets a full disk leaves FILE as it was: a rename is atomic, so a reader sees the old file
//! or the new one, never a part.
//!
//! Ctrl-C, `timeout`'s SIGTERM and a file-size limit's SIGXFSZ end the process without
//! running destructors, so a handler for SIGINT, SIGTERM, SIGHUP and SIGXFSZ removes the
//! temporary file (`unlink` is async-signal-safe)
//! and ends the process with the signal's usual status.
//!
//! A FILE that exists and is not a regular file (`-o /dev/stdout`, a named pipe) is written
//! in place: renaming over it would replace the device with a file.

use anyhow::Context;
use std::ffi::CString;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicPtr, Ordering};

/// Where the report is being written.
pub struct OutputFile {
    path: PathBuf,
    inner: Inner,
}

enum Inner {
    /// Renamed over `path` by [`OutputFile::commit`]; removed when dropped before that.
    Staged(BufWriter<tempfile::NamedTempFile>),
    /// `path` is a device or a pipe: written as is.
    InPlace(BufWriter<File>),
    /// Committed.
    Done,
}

impl OutputFile {
    /// Starts writing `path` (a symbolic link is followed: the file it names is replaced).
    pub fn create(path: &Path) -> anyhow::Result<OutputFile> {
        let cannot = || format!("{}: cannot create the output file", path.display());
        let target = match fs::canonicalize(path) {
            Ok(resolved) => resolved,
            Err(_) => path.to_path_buf(),
        };
        let existing = fs::metadata(&target).ok();
        if existing
            .as_ref()
            .is_some_and(|m| !m.is_file() && !m.is_dir())
        {
            let file = File::create(&target).with_context(cannot)?;
            return Ok(OutputFile {
                path: path.to_path_buf(),
                inner: Inner::InPlace(BufWriter::new(file)),
            });
        }
        if existing.as_ref().is_some_and(|m| m.is_dir()) {
            anyhow::bail!("{}: is a folder; --output names a file", path.display());
        }
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut builder = tempfile::Builder::new();
        let prefix = format!(".{name}.");
        builder.prefix(&prefix).suffix(".tmp");
        // The permissions File::create gives (0666 less the umask), or the old file's.
        match &existing {
            Some(m) => {
                builder.permissions(m.permissions());
            }
            #[cfg(unix)]
            None => {
                builder.permissions(default_permissions());
            }
            #[cfg(not(unix))]
            None => {}
        }
        let tmp = builder.tempfile_in(&dir).with_context(cannot)?;
        register_for_signals(tmp.path());
        Ok(OutputFile {
            path: target,
            inner: Inner::Staged(BufWriter::new(tmp)),
        })
    }

    /// The whole report is written: flushed to disk and renamed over the output file.
    pub fn commit(mut self) -> anyhow::Result<()> {
        let path = self.path.clone();
        let cannot = || format!("{}: cannot write", path.display());
        match std::mem::replace(&mut self.inner, Inner::Done) {
            Inner::Done => Ok(()),
            Inner::InPlace(mut w) => w.flush().with_context(cannot),
            Inner::Staged(w) => {
                let tmp = w
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .with_context(cannot)?;
                // A full disk may only show at sync: the old file stays until the new is whole.
                tmp.as_file().sync_all().with_context(cannot)?;
                let tmp_path = tmp.path().to_path_buf();
                let persisted = tmp.persist(&path).map_err(|e| e.error);
                unregister_for_signals(&tmp_path);
                persisted.with_context(cannot)?;
                Ok(())
            }
        }
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        // Not committed: the temporary file removes itself (tempfile's own Drop); the signal
        // handler must not name it any more.
        if let Inner::Staged(w) = &self.inner {
            unregister_for_signals(w.get_ref().path());
        }
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Staged(w) => w.write(buf),
            Inner::InPlace(w) => w.write(buf),
            Inner::Done => Err(io::ErrorKind::BrokenPipe.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Inner::Staged(w) => w.flush(),
            Inner::InPlace(w) => w.flush(),
            Inner::Done => Ok(()),
        }
    }
}

#[cfg(unix)]
fn default_permissions() -> fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    // open(2) applies the umask to this mode, as it does for File::create.
    fs::Permissions::from_mode(0o666)
}

/// The temporary file a signal must remove (a leaked C string, or null).
static PENDING: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());

fn register_for_signals(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        static INSTALL: std::sync::Once = std::sync::Once::new();
        let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
            return;
        };
        let old = PENDING.swap(c.into_raw(), Ordering::SeqCst);
        free(old);
        INSTALL.call_once(|| {
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGXFSZ] {
                // SAFETY: the handler only calls async-signal-safe functions (unlink, signal,
                // raise) on a pointer published with SeqCst before the signal can name it.
                unsafe {
                    libc::signal(sig, on_signal as *const () as libc::sighandler_t);
                }
            }
        });
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn unregister_for_signals(path: &Path) {
    let cur = PENDING.load(Ordering::SeqCst);
    if cur.is_null() {
        return;
    }
    // SAFETY: `cur` came from CString::into_raw and is only freed after being swapped out.
    let same =
        unsafe { std::ffi::CStr::from_ptr(cur) }.to_bytes() == path.as_os_str().as_encoded_bytes();
    if same
        && PENDING
            .compare_exchange(
                cur,
                std::ptr::null_mut(),
                Ordering::SeqCst,
                Ordering::SeqCst,
            )
            .is_ok()
    {
        free(cur);
    }
}

fn free(p: *mut libc::c_char) {
    if !p.is_null() {
        // SAFETY: every non-null pointer in PENDING came from CString::into_raw.
        drop(unsafe { CString::from_raw(p) });
    }
}

#[cfg(unix)]
extern "C" fn on_signal(sig: libc::c_int) {
    let p = PENDING.swap(std::ptr::null_mut(), Ordering::SeqCst);
    // SAFETY: unlink, signal and raise are async-signal-safe; `p` is a valid C string or
    // null (it is never freed while published).
    unsafe {
        if !p.is_null() {
            libc::unlink(p);
        }
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unfinished_output_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("week.html");
        fs::write(&path, "old report").unwrap();
        {
            let mut out = OutputFile::create(&path).unwrap();
            out.write_all(b"half a new rep").unwrap();
            out.flush().unwrap();
            assert_eq!(fs::read_to_string(&path).unwrap(), "old report");
            // dropped without commit: the run failed
        }
        assert_eq!(fs::read_to_string(&path).unwrap(), "old report");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
        let mut out = OutputFile::create(&path).unwrap();
        out.write_all(b"new report").unwrap();
        out.commit().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new report");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn keeps_the_old_files_permissions_and_writes_devices_in_place() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        fs::write(&path, "x").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let mut out = OutputFile::create(&path).unwrap();
        out.write_all(b"y").unwrap();
        out.commit().unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let mut null = OutputFile::create(Path::new("/dev/null")).unwrap();
        null.write_all(b"z").unwrap();
        null.commit().unwrap();
        assert!(!fs::metadata("/dev/null").unwrap().file_type().is_file());
    }
}
