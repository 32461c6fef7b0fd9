//! Loading a story: `.ink` source is compiled, `.json` is taken as compiled ink.

use crate::StoryError;
use bladeink_compiler::{Compiler, CompilerError, CompilerOptions};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A story ready to play: compiled ink JSON plus where it came from.
#[derive(Debug, Clone)]
pub struct CompiledStory {
    /// The file it was loaded from, as given (used in every error message).
    pub path: String,
    /// Compiled ink JSON.
    pub json: String,
    /// The ink source of every file that went into it (main file and
    /// INCLUDEs), by the name used in errors; empty for compiled JSON.
    pub sources: BTreeMap<String, String>,
}

impl CompiledStory {
    /// A stable content hash (FNV-1a 64) of the compiled JSON, used to make
    /// sure a saved session resumes the same story.
    pub fn fingerprint(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.json.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}")
    }
}

/// Loads a story file: `.ink` (compiled here, INCLUDEs resolved relative to
/// the file) or compiled ink JSON (`.json`, `.ink.json`).
pub fn load(path: &Path) -> Result<CompiledStory, StoryError> {
    let name = path.display().to_string();
    let text = showrunner_package::read_to_string(path).map_err(|source| StoryError::Io {
        path: name.clone(),
        source,
    })?;
    // inklecate (Inky's compiler) and inkjs's command line write a UTF-8 byte-order mark.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    };
    let is_json =
        path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
    if is_json {
        check_json(&text, &name)?;
        return Ok(CompiledStory {
            path: name,
            json: text,
            sources: BTreeMap::new(),
        });
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    compile_source(&text, &name, &dir)
}

/// The ink versions this runtime plays (bladeink's).
pub const INK_VERSIONS: std::ops::RangeInclusive<i32> =
    bladeink::story::INK_VERSION_MINIMUM_COMPATIBLE..=bladeink::story::INK_VERSION_CURRENT;

/// Checks compiled ink JSON before the runtime reads it: JSON at all (with the line and column
/// where it breaks), an ink story (an `inkVersion`), a version this runtime plays (naming both),
/// then that bladeink accepts it, so every error surfaces at load time naming `name`.
fn check_json(text: &str, name: &str) -> Result<(), StoryError> {
    let err = |message: String| StoryError::Json {
        path: name.to_owned(),
        message,
    };
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        err(format!(
            "invalid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let Some(version) = v.get("inkVersion") else {
        return Err(err(
            "no `inkVersion`: this JSON was not written by an ink compiler (export it from Inky with File > Export to JSON, or give the .ink source)".into(),
        ));
    };
    let Some(version) = version.as_i64() else {
        return Err(err(format!("`inkVersion` is {version}, not a number")));
    };
    if !INK_VERSIONS.contains(&(version as i32)) || i64::from(version as i32) != version {
        let (lo, hi) = (INK_VERSIONS.start(), INK_VERSIONS.end());
        return Err(err(format!(
            "it was compiled for ink version {version}, and this runtime (bladeink 2.1) plays ink versions {lo} to {hi}: {}",
            if version > i64::from(*hi) {
                "compile it with an older Inky/inklecate (ink 1.1 writes version 21), or give the .ink source"
            } else {
                "compile it again with a current Inky/inklecate, or give the .ink source"
            }
        )));
    }
    // Validate that bladeink accepts it now, so errors surface at load time.
    bladeink::story::Story::new_with_seed(text, 0).map_err(|e| err(e.to_string()))?;
    Ok(())
}

/// Compiles ink source text. `name` is used in errors; INCLUDEs resolve in `dir`.
pub fn compile_source(source: &str, name: &str, dir: &Path) -> Result<CompiledStory, StoryError> {
    let sources = RefCell::new(BTreeMap::from([(name.to_owned(), source.to_owned())]));
    let compiler = Compiler::with_options(CompilerOptions {
        count_all_visits: true,
        source_filename: Some(name.to_owned()),
    });
    let handler = |file: &str| -> Result<String, CompilerError> {
        let p: PathBuf = dir.join(file);
        let shown = p.display().to_string();
        let text = showrunner_package::read_to_string(&p).map_err(|e| {
            CompilerError::invalid_source(format!("cannot read INCLUDEd file {shown}: {e}"))
        })?;
        sources.borrow_mut().insert(shown, text.clone());
        Ok(text)
    };
    // The compiler is not ours: make sure a bug in it is an error, not a crash.
    let compiled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        compiler.compile_with_file_handler(source, handler)
    }))
    .map_err(|_| StoryError::Compile {
        file: name.to_owned(),
        line: 0,
        message: "the ink compiler crashed on this file (a bladeink-compiler bug); simplify the last edit".into(),
    })?;
    let json = compiled.map_err(|e| {
        let (message, file, line) = match e {
            CompilerError::InvalidSource {
                message,
                file,
                line,
            }
            | CompilerError::UnsupportedFeature {
                message,
                file,
                line,
            } => (message, file, line),
        };
        let file = file.unwrap_or_else(|| name.to_owned());
        // Some compiler errors carry no line: find the quoted culprit in the source.
        let line = line
            .or_else(|| locate_quoted(&message, &sources.borrow(), &file))
            .unwrap_or(0);
        StoryError::Compile {
            file,
            line,
            message,
        }
    })?;
    // The compiler can emit JSON the runtime rejects; catch it here with the file's name.
    bladeink::story::Story::new_with_seed(&json, 0).map_err(|e| StoryError::Json {
        path: name.to_owned(),
        message: e.to_string(),
    })?;
    Ok(CompiledStory {
        path: name.to_owned(),
        json,
        sources: sources.into_inner(),
    })
}

/// The line of `file` holding the text quoted in `message` ('…'), if any.
fn locate_quoted(message: &str, sources: &BTreeMap<String, String>, file: &str) -> Option<usize> {
    let quoted = message.split('\'').nth(1)?.trim();
    let needle = quoted.trim_start_matches("->").trim();
    if needle.is_empty() {
        return None;
    }
    sources
        .get(file)?
        .lines()
        .position(|l| l.split("//").next().unwrap_or("").contains(needle))
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compile_errors_name_file_and_line() {
        let err = compile_source("Hello.\n-> nowhere\n", "bad.ink", Path::new(".")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("bad.ink:2:"), "{msg}");
    }

    #[test]
    fn includes_resolve_relative_to_the_story() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("part.ink"), "=== part ===\nPart.\n-> END\n").unwrap();
        std::fs::write(dir.path().join("main.ink"), "INCLUDE part.ink\n-> part\n").unwrap();
        let s = load(&dir.path().join("main.ink")).unwrap();
        assert_eq!(s.sources.len(), 2);
        assert!(s.json.contains("Part."));
    }

    #[test]
    fn inkys_json_loads_with_or_without_a_byte_order_mark() {
        let dir = tempfile::tempdir().unwrap();
        let json = compile_source("Hello.\n-> END\n", "h.ink", Path::new("."))
            .unwrap()
            .json;
        for (file, text) in [
            ("plain.ink.json", json.clone()),
            ("bom.ink.json", format!("\u{feff}{json}")),
        ] {
            let p = dir.path().join(file);
            std::fs::write(&p, text).unwrap();
            let s = load(&p).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(s.json, json, "{file}");
        }
    }

    #[test]
    fn another_ink_version_or_another_tool_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        let json = compile_source("Hello.\n-> END\n", "h.ink", Path::new("."))
            .unwrap()
            .json;
        for (version, says) in [(22, "an older Inky"), (17, "again with a current")] {
            let text = json.replacen("\"inkVersion\":21", &format!("\"inkVersion\":{version}"), 1);
            assert_ne!(text, json, "the compiler writes version 21");
            std::fs::write(&p, text).unwrap();
            let msg = load(&p).unwrap_err().to_string();
            assert!(
                msg.contains(&format!("ink version {version}"))
                    && msg.contains("plays ink versions 18 to 21")
                    && msg.contains(says),
                "{msg}"
            );
        }
        std::fs::write(&p, "{\"name\": \"a package.json\"}").unwrap();
        let msg = load(&p).unwrap_err().to_string();
        assert!(msg.contains("no `inkVersion`"), "{msg}");
    }

    #[test]
    fn malformed_json_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        std::fs::write(&p, "{\"inkVersion\": 21, \"root\": [").unwrap();
        let msg = load(&p).unwrap_err().to_string();
        assert!(
            msg.contains("s.json")
                && msg.contains("not a compiled ink story")
                && msg.contains("line 1, column"),
            "{msg}"
        );
        let msg = load(&dir.path().join("missing.ink"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("missing.ink: cannot read"), "{msg}");
    }
}
