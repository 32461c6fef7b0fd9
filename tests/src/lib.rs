//! Helpers shared by the integration tests: where the repository and the
//! `showrunner` binary are.

use std::path::PathBuf;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The `showrunner` binary, built by cargo for this test run
/// (`cargo build -p showrunner` happens first in the README's test command).
pub fn showrunner() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/test-binary → target/<profile>/showrunner
    let bin = exe.parent().unwrap().parent().unwrap().join("showrunner");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p showrunner` first (the README's test command does)",
        bin.display()
    );
    bin
}
