//! Where Showrunner reads its own files from.
//!
//! The app names its files as they lie in the repository: `assets/stories/lighthouse.ink`,
//! `assets/models/sample.glb`, `assets/sounds/score.json`, `assets/refiner/refiner.bpk`. On a
//! desktop those paths are read from the working folder, as they always were. On a headset the
//! files are packed into the APK, whose `assets/` folder holds what the repository's `assets/`
//! holds; there the app [`install`]s a [`Package`] (the APK's `AssetManager`), and every path
//! under `assets/` is read from it instead. Every other path (a story or a save the viewer
//! named, an absolute path, the app's own storage) is a file in both cases.
//!
//! Every loader of a story, a model, a set, a sound or the refiner's weights reads through
//! [`read`], [`is_file`] and [`list`], so one switch moves all of them. A [`Folder`] laid out
//! as the APK's assets are stands in for the package on a desktop (`SHOWRUNNER_PACKAGE=DIR`),
//! which is how the tests check that every file the app loads is packed.

use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

/// The folder, relative to the working folder on a desktop, whose files a package holds.
pub const ROOT: &str = "assets";

/// The app's packed files: what lies under [`ROOT`] in the repository, under the same relative
/// paths (`/`-separated, without the `assets/` prefix).
pub trait Package: Send + Sync + 'static {
    /// The bytes of the packed file `path` (e.g. `models/sample.glb`).
    fn read(&self, path: &str) -> io::Result<Vec<u8>>;
    /// The names of the files (not folders) in the packed folder `dir` (e.g. `sounds/sfx`),
    /// sorted; empty when the package has no such folder.
    fn list(&self, dir: &str) -> io::Result<Vec<String>>;
    /// What the package is, for messages ("the APK's assets").
    fn describe(&self) -> String;
}

static INSTALLED: OnceLock<Box<dyn Package>> = OnceLock::new();

/// Reads `assets/...` paths from `package` from now on, for the rest of the process. Done once,
/// at start-up, before anything loads; a second call is refused (and changes nothing), since
/// what was loaded already came from the first.
pub fn install(package: impl Package) -> Result<(), AlreadyInstalled> {
    let describe = package.describe();
    INSTALLED
        .set(Box::new(package))
        .map_err(|_| AlreadyInstalled(describe))
}

/// [`install`] was called twice.
#[derive(Debug)]
pub struct AlreadyInstalled(String);

impl std::fmt::Display for AlreadyInstalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the app's files are already read from {}; {} was not installed",
            describe(),
            self.0
        )
    }
}

impl std::error::Error for AlreadyInstalled {}

/// What reads the app's files in this process: the installed package's description, or "the
/// working folder".
pub fn describe() -> String {
    INSTALLED
        .get()
        .map_or_else(|| "the working folder".into(), |p| p.describe())
}

/// The packed path of `path` when it names a file under [`ROOT`] (relative, no `..`), with
/// `/` separators; `None` for every other path.
fn packed(path: &Path) -> Option<String> {
    let mut parts = path.components();
    if parts.next() != Some(Component::Normal(ROOT.as_ref())) {
        return None;
    }
    let mut out = Vec::new();
    for c in parts {
        match c {
            Component::Normal(s) => out.push(s.to_str()?),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out.join("/"))
}

/// Where `path` is read from: the installed package, for a path under `assets/`.
fn source(path: &Path) -> Option<(&'static dyn Package, String)> {
    let package = INSTALLED.get()?;
    packed(path).map(|p| (package.as_ref(), p))
}

/// The bytes of the app's file `path` (see the crate's documentation for where from). A file
/// the package lacks is [`io::ErrorKind::NotFound`], saying which package was looked in.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    match source(path) {
        Some((package, p)) => package.read(&p),
        None => std::fs::read(path),
    }
}

/// [`read`], as UTF-8 text.
pub fn read_to_string(path: &Path) -> io::Result<String> {
    String::from_utf8(read(path)?).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Whether `path` is a file the app can [`read`].
pub fn is_file(path: &Path) -> bool {
    match source(path) {
        Some((package, p)) => {
            let (dir, name) = p.rsplit_once('/').unwrap_or(("", &p));
            package
                .list(dir)
                .is_ok_and(|names| names.iter().any(|n| n == name))
        }
        None => path.is_file(),
    }
}

/// Whether `path` is a folder holding files the app can [`read`] (a packed folder is there
/// when it holds a file).
pub fn is_dir(path: &Path) -> bool {
    match source(path) {
        Some((package, p)) => package.list(&p).is_ok_and(|names| !names.is_empty()),
        None => path.is_dir(),
    }
}

/// The files in the folder `dir`, as paths under `dir`, sorted by name. Folders inside it are
/// left out, as a package cannot list them.
pub fn list(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let names = match source(dir) {
        Some((package, p)) => package.list(&p)?,
        None => file_names(dir)?,
    };
    Ok(names.into_iter().map(|n| dir.join(n)).collect())
}

/// The names of the entries of the folder `dir` that are not folders, sorted.
fn file_names(dir: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            continue;
        }
        if let Some(name) = entry.file_name().to_str() {
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// A folder laid out as the APK's assets are (the files of the repository's `assets/`, at the
/// same relative paths): the package on a desktop, to check what a headset would find.
#[derive(Debug, Clone)]
pub struct Folder {
    root: PathBuf,
}

impl Folder {
    /// The package in `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The file or folder `path` (`/`-separated) in the package, refusing any that would
    /// leave it.
    fn at(&self, path: &str) -> io::Result<PathBuf> {
        let mut out = self.root.clone();
        for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
            if part == ".." || part.contains('\\') || Path::new(part).is_absolute() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("`{path}` leaves the package"),
                ));
            }
            out.push(part);
        }
        Ok(out)
    }
}

impl Package for Folder {
    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        std::fs::read(self.at(path)?).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("not packed (no {path} in {})", self.describe()),
                )
            } else {
                e
            }
        })
    }

    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        let dir = self.at(dir)?;
        // A folder the package lacks lists nothing, as the APK's does.
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        file_names(&dir)
    }

    fn describe(&self) -> String {
        format!("the package folder {}", self.root.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_relative_paths_under_assets_are_packed() {
        assert_eq!(
            packed(Path::new("assets/models/sample.glb")).as_deref(),
            Some("models/sample.glb")
        );
        assert_eq!(
            packed(Path::new("assets/./sounds/sfx")).as_deref(),
            Some("sounds/sfx")
        );
        assert_eq!(packed(Path::new("assets")).as_deref(), Some(""));
        for other in [
            "/assets/models/sample.glb",
            "stories/mine.ink",
            "./assets/x",
            "assets/../secrets",
            "assetsx/y",
        ] {
            assert_eq!(packed(Path::new(other)), None, "{other}");
        }
    }

    #[test]
    fn a_folder_package_reads_lists_and_stays_inside() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sounds/sfx/nested")).unwrap();
        std::fs::write(dir.path().join("sounds/sfx/wind.wav"), b"RIFF").unwrap();
        std::fs::write(dir.path().join("sounds/sfx/gull.wav"), b"RIFF").unwrap();
        std::fs::write(dir.path().join("sounds/score.json"), b"{}").unwrap();
        let p = Folder::new(dir.path());
        assert_eq!(p.read("sounds/score.json").unwrap(), b"{}");
        assert_eq!(p.list("sounds/sfx").unwrap(), ["gull.wav", "wind.wav"]);
        assert!(p.list("nothing/here").unwrap().is_empty());
        let missing = p.read("models/sample.glb").unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        assert!(
            missing.to_string().contains("models/sample.glb"),
            "{missing}"
        );
        assert_eq!(
            p.read("../outside").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }

    #[test]
    fn without_a_package_files_are_read_from_the_working_folder() {
        // No test in this binary installs a package, so every path is a file.
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.txt");
        std::fs::write(&f, "text").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert_eq!(read_to_string(&f).unwrap(), "text");
        assert!(is_file(&f) && !is_dir(&f) && is_dir(dir.path()));
        assert_eq!(list(dir.path()).unwrap(), [f], "folders are left out");
        assert_eq!(describe(), "the working folder");
    }
}
