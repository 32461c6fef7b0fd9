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
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| {
            Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{}: not a file name", path.display()),
            )
        })?
        .to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut o = OpenOptions::new();
        o.write(true).create(true).truncate(true);
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
        f.write_all(bytes)
            .with_context(|| format!("{}: cannot write", tmp.display()))?;
        f.sync_all()
            .with_context(|| format!("{}: cannot sync", tmp.display()))?;
    }
    fs::rename(&tmp, path).with_context(|| format!("{}: cannot replace", path.display()))?;
    // Make the rename itself durable.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
