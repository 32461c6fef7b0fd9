//! Atomic file writes: write a temporary beside the target, fsync, rename, fsync the folder.
//! Files that hold the viewer's data (anything heart- or gaze-derived, keys, credentials) are
//! for their owner only (mode 0600). Every error names the file.

use std::fs::{self, File, OpenOptions};
use std::io::{Error, Result, Write};
use std::path::Path;

/// Adds what was being done to which file to an I/O error.
trait Context<T> {
    fn with_context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> Context<T> for Result<T> {
    fn with_context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::new(e.kind(), format!("{}: {e}", what())))
    }
}

/// Replaces `path` with `bytes` so that a crash leaves either the old or the new file, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_mode(path, bytes, 0o644)
}

/// [`write_atomic`] for a file only its owner may read (mode 0600): anything holding heart- or
/// gaze-derived data.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_mode(path, bytes, 0o600)
}

/// Creates (or truncates) `path` for appending, readable by its owner only (mode 0600).
pub fn private_file(path: &Path) -> Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let f = o
        .open(path)
        .with_context(|| format!("{}: cannot write", path.display()))?;
    restrict(&f, path)?;
    Ok(f)
}

/// Sets an open file's mode to owner-only (a file created before, with another mode).
fn restrict(f: &File, path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(fs::Permissions::from_mode(0o600))
            .with_context(|| format!("{}: cannot make it private (mode 0600)", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = (f, path);
    Ok(())
}

fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    replace_mode(path, mode, |f| {
        f.write_all(bytes)
            .with_context(|| format!("{}: cannot write", temporary(path).display()))
    })
}

/// Replaces `path` with what `write` puts into a fresh temporary file beside it (open for
/// reading and writing, so a writer may seek back), keeping `path`'s mode when it exists: a
/// crash, or an error from `write`, leaves the old file whole. For files too large to hold
/// in memory (a soundtrack being signed).
pub fn replace_with<E: From<Error>>(
    path: &Path,
    write: impl FnOnce(&mut File) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o777)
    };
    #[cfg(not(unix))]
    let mode = 0o644;
    replace_mode(path, mode, write)
}

/// The temporary that stands in for `path` while it is written.
fn temporary(path: &Path) -> std::path::PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    folder(path).join(format!(".{name}.tmp"))
}

/// The folder `path` is in (`.` for a bare name).
fn folder(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn replace_mode<E: From<Error>>(
    path: &Path,
    mode: u32,
    write: impl FnOnce(&mut File) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    if path.file_name().is_none() {
        return Err(Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{}: not a file name", path.display()),
        )
        .into());
    }
    let tmp = temporary(path);
    {
        let mut o = OpenOptions::new();
        o.read(true).write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, mode);
        #[cfg(not(unix))]
        let _ = mode;
        let mut f = o
            .open(&tmp)
            .with_context(|| format!("{}: cannot write", tmp.display()))?;
        if mode == 0o600 {
            restrict(&f, &tmp)?;
        }
        if let Err(e) = write(&mut f) {
            drop(f);
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        f.sync_all()
            .with_context(|| format!("{}: cannot sync", tmp.display()))?;
    }
    fs::rename(&tmp, path).with_context(|| format!("{}: cannot replace", path.display()))?;
    // Make the rename itself durable.
    if let Ok(d) = File::open(folder(path)) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_replacement_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("soundtrack.wav");
        write_atomic(&p, b"old").unwrap();
        let r: Result<()> = replace_with(&p, |f| {
            f.write_all(b"half")?;
            Err(Error::other("the signer failed"))
        });
        assert!(r.is_err());
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        replace_with(&p, |f| f.write_all(b"new")).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn a_replacement_keeps_the_files_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("private.wav");
        write_private(&p, b"old").unwrap();
        replace_with(&p, |f| f.write_all(b"new")).unwrap();
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn replaces_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        write_atomic(&p, b"first").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"second");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left behind"
        );
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_for_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        write_atomic(&p, b"public").unwrap();
        write_private(&p, b"heart").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), 0o600);
        let log = dir.path().join("d.jsonl");
        fs::write(&log, b"old").unwrap();
        drop(private_file(&log).unwrap());
        assert_eq!(mode(&log), 0o600, "an existing file is made private too");
        assert_eq!(fs::read(&log).unwrap(), b"", "and starts empty");
    }
}
