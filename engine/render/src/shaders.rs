//! The renderer's WGSL: the built-in copies (embedded from `shaders/`) and
//! creators' or developers' overrides loaded from a folder.
//!
//! An override is parsed and validated by naga before the GPU sees it; one
//! that fails is reported with its file, line and column and the built-in
//! shader stays (a visible fallback: the frame still draws). The renderer
//! additionally builds its pipelines inside a wgpu validation error scope
//! ([`crate::Renderer::with_shaders`]), which catches a shader that is valid
//! WGSL but does not fit the renderer's bindings.

use std::path::Path;

/// The scene shader's source (validated by naga in the tests).
pub const SCENE_WGSL: &str = include_str!("../../../shaders/scene.wgsl");
/// The shadow pass's shader.
pub const SHADOW_WGSL: &str = include_str!("../../../shaders/shadow.wgsl");
/// The words' shader: labels on quads in the world (`crate::labels`).
pub const LABEL_WGSL: &str = include_str!("../../../shaders/label.wgsl");
/// The desktop preview's compositor: one eye of the stereo target plus the
/// text overlay onto the window.
pub const PRESENT_WGSL: &str = include_str!("../../../shaders/present.wgsl");

/// The scene shader for single-pass stereo: the camera becomes an array
/// indexed by `@builtin(view_index)`. Derived from the scene shader so the two
/// paths can never drift apart; validated by naga in the tests.
pub fn multiview_source() -> String {
    multiview_of(SCENE_WGSL)
}

/// [`multiview_source`] for any shader that keeps the built-in's camera
/// declaration, `VertexIn` and the `(multiview: ...)` marker comment (the
/// scene's, and the labels').
pub fn multiview_of(scene: &str) -> String {
    scene
        .replace(
            "@group(0) @binding(0) var<uniform> camera: Camera;",
            "@group(0) @binding(0) var<uniform> cameras: array<Camera, 2>;",
        )
        .replace(
            "struct VertexIn {\n",
            "struct VertexIn {\n    @builtin(view_index) view_index: u32,\n",
        )
        .replace(
            "    // (multiview: camera for this view)\n",
            "    let camera = cameras[v.view_index];\n",
        )
}

/// A shader that could not be used, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}; using the built-in shader instead")]
pub struct ShaderError {
    /// The shader file.
    pub file: String,
    /// 1-based line of the problem (0 when unknown).
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub column: u32,
    /// What naga or wgpu said.
    pub message: String,
}

/// The WGSL sources the renderer builds its pipelines from.
#[derive(Debug, Clone, PartialEq)]
pub struct Shaders {
    /// `scene.wgsl`.
    pub scene: String,
    /// `shadow.wgsl`.
    pub shadow: String,
    /// Where the scene shader came from (for messages).
    pub scene_file: String,
    /// Where the shadow shader came from.
    pub shadow_file: String,
}

impl Default for Shaders {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Shaders {
    /// The shaders compiled into the binary.
    pub fn builtin() -> Self {
        Self {
            scene: SCENE_WGSL.to_owned(),
            shadow: SHADOW_WGSL.to_owned(),
            scene_file: "(built-in) shaders/scene.wgsl".into(),
            shadow_file: "(built-in) shaders/shadow.wgsl".into(),
        }
    }

    /// Reads `scene.wgsl` and `shadow.wgsl` from `dir` where present and
    /// valid; each missing or invalid one stays built-in, and each invalid one
    /// is returned as an error naming the file and place.
    pub fn load(dir: &Path) -> (Self, Vec<ShaderError>) {
        let mut out = Self::builtin();
        let mut errors = Vec::new();
        for (name, src, file) in [
            ("scene.wgsl", &mut out.scene, &mut out.scene_file),
            ("shadow.wgsl", &mut out.shadow, &mut out.shadow_file),
        ] {
            let path = dir.join(name);
            if !path.exists() {
                continue;
            }
            match read_valid(&path) {
                Ok(text) => {
                    *src = text;
                    *file = path.display().to_string();
                }
                Err(e) => errors.push(e),
            }
        }
        if out.scene != SCENE_WGSL {
            // The multiview variant is derived from the scene shader: check it too.
            if let Err(mut e) = validate(&multiview_of(&out.scene), &out.scene_file) {
                e.message = format!("its multiview variant fails: {}", e.message);
                e.line = 0;
                e.column = 0;
                errors.push(e);
                out.scene = SCENE_WGSL.to_owned();
                out.scene_file = Self::builtin().scene_file;
            }
        }
        (out, errors)
    }
}

fn read_valid(path: &Path) -> Result<String, ShaderError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ShaderError {
        file: file.clone(),
        line: 0,
        column: 0,
        message: format!("cannot read: {e}"),
    })?;
    validate(&text, &file)?;
    Ok(text)
}

/// Parses and validates WGSL with naga (what wgpu runs before any driver).
pub fn validate(source: &str, file: &str) -> Result<(), ShaderError> {
    let module = naga::front::wgsl::parse_str(source).map_err(|e| {
        let at = e.location(source);
        ShaderError {
            file: file.to_owned(),
            line: at.map_or(0, |l| l.line_number),
            column: at.map_or(0, |l| l.line_position),
            message: e.message().to_owned(),
        }
    })?;
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::all(),
    )
    .validate(&module)
    .map_err(|e| {
        let at = e.location(source);
        ShaderError {
            file: file.to_owned(),
            line: at.map_or(0, |l| l.line_number),
            column: at.map_or(0, |l| l.line_position),
            message: format!("invalid: {}", e.as_inner()),
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn dir(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("showrunner-shaders-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn the_built_in_shaders_are_valid() {
        for (src, name) in [
            (SCENE_WGSL.to_owned(), "scene"),
            (SHADOW_WGSL.to_owned(), "shadow"),
            (PRESENT_WGSL.to_owned(), "present"),
            (multiview_source(), "scene (multiview)"),
            (LABEL_WGSL.to_owned(), "label"),
            (multiview_of(LABEL_WGSL), "label (multiview)"),
        ] {
            validate(&src, name).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn a_broken_override_names_file_line_and_column_and_falls_back() {
        let d = dir("broken");
        // Line 3 uses an undeclared identifier.
        std::fs::write(
            d.join("scene.wgsl"),
            "// a creator's edit\n@fragment\nfn fs() -> @location(0) vec4<f32> { return colour; }\n",
        )
        .unwrap();
        let (s, errors) = Shaders::load(&d);
        assert_eq!(s, Shaders::builtin(), "the built-in shader stays");
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert!(e.file.ends_with("scene.wgsl"), "{e}");
        assert_eq!((e.line, e.column), (3, 44), "{e}");
        assert!(e.to_string().contains("colour"), "{e}");
        assert!(e.to_string().contains("built-in"), "{e}");
    }

    #[test]
    fn a_valid_override_is_used_and_an_absent_one_is_not_an_error() {
        let d = dir("valid");
        let edited = format!("{SHADOW_WGSL}\n// a developer's tweak\n");
        std::fs::write(d.join("shadow.wgsl"), &edited).unwrap();
        let (s, errors) = Shaders::load(&d);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(s.shadow, edited);
        assert_eq!(s.scene, SCENE_WGSL);
        assert!(s.shadow_file.ends_with("shadow.wgsl"));
    }
}
