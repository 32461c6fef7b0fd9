//! The headset reads the app's own files from its package (the APK's assets), not from a
//! working folder. `SHOWRUNNER_PACKAGE=DIR` makes a desktop build read them the same way from a
//! folder staged as the APK's assets are (`android/stage-assets.sh`, which the Gradle build
//! packs): run from an empty folder, the film must find every file it loads there.

use showrunner_tests::{repo, showrunner};
use std::path::PathBuf;
use std::process::{Command, Output};

/// A package staged with the script the Gradle build uses, and an empty folder to run in.
struct Staged {
    dir: tempfile::TempDir,
    package: PathBuf,
    cwd: PathBuf,
}

impl Staged {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (package, cwd) = (dir.path().join("package"), dir.path().join("empty"));
        let o = Command::new("bash")
            .arg(repo().join("android/stage-assets.sh"))
            .arg(&package)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::create_dir(&cwd).unwrap();
        Self { dir, package, cwd }
    }

    /// `showrunner ARGS` from the empty folder, reading its files from the package.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(showrunner())
            .args(args)
            .current_dir(&self.cwd)
            .env("SHOWRUNNER_PACKAGE", &self.package)
            .output()
            .unwrap()
    }

    /// `refiner export`, which loads the refiner's weights.
    fn export_weights(&self) -> Output {
        let out = self.dir.path().join("export");
        self.run(&[
            "refiner",
            "export",
            "--size",
            "8",
            "--out",
            out.to_str().unwrap(),
        ])
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn every_file_the_film_loads_is_in_the_package() {
    let staged = Staged::new();
    // The sample film, drawn (sets, actors, models, fonts) and heard (stems, stingers, every
    // sfx it cues): a file it could not find would be a warning naming it.
    let out = staged.dir.path().join("film");
    let o = staged.run(&[
        "screen",
        "--render",
        "--still-size",
        "64x64",
        "--audio",
        "--out",
        out.to_str().unwrap(),
    ]);
    let said = text(&o);
    assert!(o.status.success(), "{said}");
    assert!(!said.contains("warning"), "{said}");
    assert!(std::fs::metadata(out.join("soundtrack.wav")).unwrap().len() > 1_000_000);
    assert!(
        std::fs::metadata(out.join("contact-sheet.png"))
            .unwrap()
            .len()
            > 1_000
    );
    // The refiner's weights.
    let o = staged.export_weights();
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn a_file_missing_from_the_package_is_named() {
    let staged = Staged::new();
    std::fs::remove_file(staged.package.join("refiner/refiner.bpk")).unwrap();
    let o = staged.export_weights();
    assert!(!o.status.success());
    let said = text(&o);
    assert!(
        said.contains("assets/refiner/refiner.bpk")
            && said.contains("not packed (no refiner/refiner.bpk in the package folder"),
        "{said}"
    );
    assert!(!said.contains("panicked"), "{said}");
}

#[test]
fn the_sample_story_reads_from_the_package() {
    // `check` of a packaged path reads it from the package, as the headset's film does.
    let staged = Staged::new();
    let o = staged.run(&["check", "assets/stories/lighthouse.ink"]);
    assert!(o.status.success(), "{}", text(&o));
    std::fs::remove_file(staged.package.join("stories/lighthouse.ink")).unwrap();
    let o = staged.run(&["check", "assets/stories/lighthouse.ink"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("no stories/lighthouse.ink in the package folder"),
        "{}",
        text(&o)
    );
}
