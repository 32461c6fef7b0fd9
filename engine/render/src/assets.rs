//! Meshes and materials as glTF 2.0 binary (`.glb`), via the `gltf` crate:
//! creators bring their own sets and characters; the sample's are made from
//! procedural geometry by `showrunner assets build` and written here too.
//!
//! A loaded file gives one [`Model`] per glTF mesh, named by the mesh's name
//! (or the file stem when unnamed); a scene entity's `Mesh("name")` picks it.

use std::path::Path;

use glam::{Vec3, Vec4};
use showrunner_scene::components::Material;

use crate::mesh::{MeshData, Vertex};

/// A mesh with its material.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The name entities refer to.
    pub name: String,
    /// Geometry.
    pub mesh: MeshData,
    /// Look (the first primitive's material).
    pub material: Material,
    /// The base-colour texture folded to one linear colour, which multiplies
    /// the scene's material (white when untextured, [`MISSING_TEXTURE`] when
    /// the texture is missing). The renderer does not sample textures yet.
    pub texture_tint: Vec4,
}

/// A bad asset file: which, and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct AssetError {
    /// The file.
    pub file: String,
    /// What is wrong and what to do.
    pub message: String,
}

fn err(path: &Path, message: impl Into<String>) -> AssetError {
    AssetError {
        file: path.display().to_string(),
        message: message.into(),
    }
}

/// What a file gave: its models, and the problems that did not stop them
/// (a missing or unreadable texture: the model loads with a visible stand-in).
#[derive(Debug)]
pub struct Loaded {
    /// One per glTF mesh.
    pub models: Vec<Model>,
    /// Problems worth telling the creator, each naming the file and image.
    pub warnings: Vec<AssetError>,
}

/// The base colour a model gets when its texture is missing: loud magenta,
/// the convention creators recognise, so the gap is seen, not guessed at.
pub const MISSING_TEXTURE: Vec4 = Vec4::new(1.0, 0.0, 1.0, 1.0);

/// The renderer does not sample textures yet: a base-colour texture in PNG
/// is folded to its mean colour (linear), so a textured model keeps roughly
/// its look. Other formats keep the base colour factor.
/// `Err` is a texture that should be there and is not.
fn texture_mean(
    image: &gltf::Image<'_>,
    dir: &Path,
    buffers: &[Vec<u8>],
) -> Result<Option<Vec3>, String> {
    let label = image.name().map_or_else(
        || format!("image {}", image.index()),
        |n| format!("image `{n}`"),
    );
    let (bytes, mime) = match image.source() {
        gltf::image::Source::View { view, mime_type } => {
            let b = buffers
                .get(view.buffer().index())
                .and_then(|b| b.get(view.offset()..view.offset() + view.length()))
                .ok_or_else(|| format!("{label}: its buffer view is out of range"))?;
            (b.to_vec(), Some(mime_type.to_owned()))
        }
        gltf::image::Source::Uri { uri, .. } if uri.starts_with("data:") => {
            return Err(format!(
                "{label}: data: URIs are not supported; export as .glb"
            ))
        }
        gltf::image::Source::Uri { uri, mime_type } => {
            let b = std::fs::read(dir.join(uri))
                .map_err(|e| format!("texture `{uri}` (next to the file): {e}"))?;
            (b, mime_type.map(str::to_owned))
        }
    };
    let is_png = mime.as_deref() == Some("image/png") || bytes.starts_with(b"\x89PNG");
    if !is_png {
        return Ok(None);
    }
    let mut dec = png::Decoder::new(std::io::Cursor::new(&bytes));
    dec.set_transformations(png::Transformations::normalize_to_color8());
    let bad = |e: png::DecodingError| format!("{label}: not a readable PNG: {e}");
    let mut reader = dec.read_info().map_err(bad)?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or("image too large")?];
    let info = reader.next_frame(&mut buf).map_err(bad)?;
    let channels = info.color_type.samples();
    let px = &buf[..info.buffer_size()];
    let to_linear = |c: u8| {
        let v = f32::from(c) / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let mut sum = Vec3::ZERO;
    let mut n = 0u32;
    for p in px.chunks_exact(channels) {
        let rgb = if channels >= 3 {
            Vec3::new(to_linear(p[0]), to_linear(p[1]), to_linear(p[2]))
        } else {
            Vec3::splat(to_linear(p[0]))
        };
        sum += rgb;
        n += 1;
    }
    Ok((n > 0).then(|| sum / n as f32))
}

/// Loads every mesh of a `.glb` (or `.gltf` with its buffers beside it).
pub fn load(path: &Path) -> Result<Loaded, AssetError> {
    let bytes = std::fs::read(path).map_err(|e| err(path, format!("cannot read: {e}")))?;
    let gltf = gltf::Gltf::from_slice(&bytes)
        .map_err(|e| err(path, format!("not valid glTF 2.0: {e}")))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut buffers = Vec::new();
    for b in gltf.buffers() {
        let data = match b.source() {
            gltf::buffer::Source::Bin => gltf.blob.clone().ok_or_else(|| {
                err(
                    path,
                    "buffer refers to the GLB binary chunk, which is missing",
                )
            })?,
            gltf::buffer::Source::Uri(uri) if uri.starts_with("data:") => {
                return Err(err(path, "data: URIs are not supported; export as .glb"))
            }
            gltf::buffer::Source::Uri(uri) => std::fs::read(dir.join(uri))
                .map_err(|e| err(path, format!("buffer `{uri}` (next to the file): {e}")))?,
        };
        if data.len() < b.length() {
            return Err(err(
                path,
                format!(
                    "buffer {} has {} bytes, the file says {}",
                    b.index(),
                    data.len(),
                    b.length()
                ),
            ));
        }
        buffers.push(data);
    }
    let stem = path
        .file_stem()
        .map_or("model".into(), |s| s.to_string_lossy().into_owned());
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for mesh in gltf.meshes() {
        let name = mesh.name().map_or_else(|| stem.clone(), str::to_owned);
        let mut data = MeshData::default();
        let mut material = Material::default();
        let mut texture_tint = Vec4::ONE;
        for (k, prim) in mesh.primitives().enumerate() {
            if prim.mode() != gltf::mesh::Mode::Triangles {
                return Err(err(
                    path,
                    format!("mesh `{name}` primitive {k}: only triangles are supported"),
                ));
            }
            let reader = prim.reader(|b| buffers.get(b.index()).map(Vec::as_slice));
            let positions: Vec<[f32; 3]> = reader
                .read_positions()
                .ok_or_else(|| err(path, format!("mesh `{name}` primitive {k} has no POSITION")))?
                .collect();
            let normals: Vec<[f32; 3]> = match reader.read_normals() {
                Some(n) => n.collect(),
                None => {
                    return Err(err(
                        path,
                        format!("mesh `{name}` primitive {k} has no NORMAL; export with normals"),
                    ))
                }
            };
            if normals.len() != positions.len() {
                return Err(err(
                    path,
                    format!(
                        "mesh `{name}` primitive {k}: {} normals for {} positions",
                        normals.len(),
                        positions.len()
                    ),
                ));
            }
            let base = data.vertices.len() as u32;
            data.vertices
                .extend(positions.iter().zip(&normals).map(|(p, n)| Vertex {
                    position: *p,
                    normal: *n,
                }));
            match reader.read_indices() {
                Some(ix) => {
                    for i in ix.into_u32() {
                        if i as usize >= positions.len() {
                            return Err(err(
                                path,
                                format!(
                                    "mesh `{name}` primitive {k}: index {i} past {} vertices",
                                    positions.len()
                                ),
                            ));
                        }
                        data.indices.push(base + i);
                    }
                }
                None => data.indices.extend(base..base + positions.len() as u32),
            }
            if k == 0 {
                let m = prim.material();
                let pbr = m.pbr_metallic_roughness();
                material = Material {
                    base_color: Vec4::from(pbr.base_color_factor()),
                    metallic: pbr.metallic_factor(),
                    roughness: pbr.roughness_factor(),
                    emissive: Vec3::from(m.emissive_factor()),
                };
                if let Some(info) = pbr.base_color_texture() {
                    match texture_mean(&info.texture().source(), dir, &buffers) {
                        Ok(Some(mean)) => texture_tint = mean.extend(1.0),
                        Ok(None) => warnings.push(err(
                            path,
                            format!("mesh `{name}`: its base colour texture is not PNG; textures are not sampled yet, so the base colour factor is used"),
                        )),
                        Err(e) => {
                            warnings.push(err(
                                path,
                                format!("mesh `{name}`: {e}; drawn magenta until the texture is there"),
                            ));
                            texture_tint = MISSING_TEXTURE;
                        }
                    }
                }
            }
        }
        out.push(Model {
            name,
            mesh: data,
            material,
            texture_tint,
        });
    }
    if out.is_empty() {
        return Err(err(path, "has no meshes"));
    }
    Ok(Loaded {
        models: out,
        warnings,
    })
}

/// Writes models as one `.glb` (glTF 2.0 binary), one mesh and node each.
pub fn write_glb(path: &Path, models: &[Model]) -> Result<(), AssetError> {
    let mut bin: Vec<u8> = Vec::new();
    let (mut accessors, mut views, mut meshes, mut nodes, mut materials) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (i, m) in models.iter().enumerate() {
        let pos_off = bin.len();
        for v in &m.mesh.vertices {
            bin.extend(v.position.iter().flat_map(|f| f.to_le_bytes()));
        }
        let nrm_off = bin.len();
        for v in &m.mesh.vertices {
            bin.extend(v.normal.iter().flat_map(|f| f.to_le_bytes()));
        }
        let idx_off = bin.len();
        for ix in &m.mesh.indices {
            bin.extend(ix.to_le_bytes());
        }
        let n = m.mesh.vertices.len();
        let (lo, hi) =
            m.mesh
                .vertices
                .iter()
                .fold(([f32::MAX; 3], [f32::MIN; 3]), |(mut lo, mut hi), v| {
                    for k in 0..3 {
                        lo[k] = lo[k].min(v.position[k]);
                        hi[k] = hi[k].max(v.position[k]);
                    }
                    (lo, hi)
                });
        let v0 = views.len();
        views.push(serde_json::json!({"buffer": 0, "byteOffset": pos_off, "byteLength": n * 12, "target": 34962}));
        views.push(serde_json::json!({"buffer": 0, "byteOffset": nrm_off, "byteLength": n * 12, "target": 34962}));
        views.push(serde_json::json!({"buffer": 0, "byteOffset": idx_off, "byteLength": m.mesh.indices.len() * 4, "target": 34963}));
        let a0 = accessors.len();
        accessors.push(serde_json::json!({"bufferView": v0, "componentType": 5126, "count": n, "type": "VEC3", "min": lo, "max": hi}));
        accessors.push(serde_json::json!({"bufferView": v0 + 1, "componentType": 5126, "count": n, "type": "VEC3"}));
        accessors.push(serde_json::json!({"bufferView": v0 + 2, "componentType": 5125, "count": m.mesh.indices.len(), "type": "SCALAR"}));
        let mat = &m.material;
        materials.push(serde_json::json!({
            "name": m.name,
            "pbrMetallicRoughness": {
                "baseColorFactor": mat.base_color.to_array(),
                "metallicFactor": mat.metallic,
                "roughnessFactor": mat.roughness,
            },
            "emissiveFactor": mat.emissive.to_array(),
        }));
        meshes.push(serde_json::json!({
            "name": m.name,
            "primitives": [{"attributes": {"POSITION": a0, "NORMAL": a0 + 1}, "indices": a0 + 2, "material": i, "mode": 4}],
        }));
        nodes.push(serde_json::json!({"name": m.name, "mesh": i}));
    }
    let root = serde_json::json!({
        "asset": {"version": "2.0", "generator": "showrunner assets build"},
        "scene": 0,
        "scenes": [{"nodes": (0..models.len()).collect::<Vec<_>>()}],
        "nodes": nodes,
        "meshes": meshes,
        "materials": materials,
        "accessors": accessors,
        "bufferViews": views,
        "buffers": [{"byteLength": bin.len()}],
    });
    let json = serde_json::to_vec(&root).map_err(|e| err(path, e.to_string()))?;
    let glb = gltf::binary::Glb {
        header: gltf::binary::Header {
            magic: *b"glTF",
            version: 2,
            length: 0, // filled in by to_vec
        },
        json: json.into(),
        bin: Some(bin.into()),
    };
    let bytes = glb.to_vec().map_err(|e| err(path, e.to_string()))?;
    // Atomic: a half-written model is never left under the real name.
    let tmp = path.with_extension("glb.tmp");
    std::fs::write(&tmp, &bytes).map_err(|e| err(path, format!("cannot write: {e}")))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| err(path, e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|e| err(path, format!("cannot move into place: {e}")))?;
    Ok(())
}

/// The sample's procedural models: the unit box (sets, props) and the
/// character figure.
pub fn builtin_models() -> Vec<Model> {
    vec![
        Model {
            name: "box".into(),
            mesh: MeshData::unit_box(),
            material: Material::default(),
            texture_tint: Vec4::ONE,
        },
        Model {
            name: "crate".into(),
            mesh: MeshData::unit_box(),
            material: Material {
                base_color: Vec4::new(0.45, 0.3, 0.18, 1.0),
                roughness: 0.85,
                ..Material::default()
            },
            texture_tint: Vec4::ONE,
        },
        Model {
            name: "character".into(),
            mesh: MeshData::character(),
            material: Material {
                roughness: 0.7,
                ..Material::default()
            },
            texture_tint: Vec4::ONE,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_round_trip_through_glb() {
        let dir = tempfile_dir();
        let path = dir.join("sample.glb");
        write_glb(&path, &builtin_models()).unwrap();
        let back = load(&path).unwrap();
        assert!(back.warnings.is_empty());
        assert_eq!(back.models, builtin_models());
    }

    #[test]
    fn broken_files_name_the_file_and_the_problem() {
        let dir = tempfile_dir();
        let junk = dir.join("junk.glb");
        std::fs::write(&junk, b"glTF but not really").unwrap();
        let e = load(&junk).unwrap_err().to_string();
        assert!(
            e.contains("junk.glb") && e.contains("not valid glTF"),
            "{e}"
        );
        let missing = dir.join("nope.glb");
        assert!(load(&missing)
            .unwrap_err()
            .to_string()
            .contains("cannot read"));
        // A .gltf whose buffer file is missing.
        let gltf = dir.join("lonely.gltf");
        std::fs::write(
            &gltf,
            r#"{"asset":{"version":"2.0"},"buffers":[{"uri":"lonely.bin","byteLength":12}],
               "bufferViews":[{"buffer":0,"byteLength":12}],
               "accessors":[{"bufferView":0,"componentType":5126,"count":1,"type":"VEC3","min":[0,0,0],"max":[0,0,0]}],
               "meshes":[{"primitives":[{"attributes":{"POSITION":0}}]}]}"#,
        )
        .unwrap();
        let e = load(&gltf).unwrap_err().to_string();
        assert!(e.contains("lonely.gltf") && e.contains("lonely.bin"), "{e}");
    }

    /// A one-triangle .gltf whose material has a base colour texture `uri`.
    fn textured(dir: &Path, name: &str, uri: &str) -> std::path::PathBuf {
        let mut bin = Vec::new();
        for v in [[0.0f32, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]] {
            bin.extend(v.iter().flat_map(|f| f.to_le_bytes()));
        }
        for _ in 0..3 {
            bin.extend([0.0f32, 0.0, 1.0].iter().flat_map(|f| f.to_le_bytes()));
        }
        std::fs::write(dir.join(format!("{name}.bin")), &bin).unwrap();
        let gltf = dir.join(format!("{name}.gltf"));
        std::fs::write(
            &gltf,
            format!(
                r#"{{"asset":{{"version":"2.0"}},"buffers":[{{"uri":"{name}.bin","byteLength":72}}],
               "bufferViews":[{{"buffer":0,"byteLength":36}},{{"buffer":0,"byteOffset":36,"byteLength":36}}],
               "accessors":[{{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3","min":[0,0,0],"max":[1,1,0]}},
                            {{"bufferView":1,"componentType":5126,"count":3,"type":"VEC3"}}],
               "images":[{{"uri":"{uri}"}}],"textures":[{{"source":0}}],
               "materials":[{{"pbrMetallicRoughness":{{"baseColorTexture":{{"index":0}}}}}}],
               "meshes":[{{"name":"{name}","primitives":[{{"attributes":{{"POSITION":0,"NORMAL":1}},"material":0}}]}}]}}"#
            ),
        )
        .unwrap();
        gltf
    }

    #[test]
    fn a_missing_texture_is_named_and_drawn_magenta_and_a_png_one_tints() {
        let dir = tempfile_dir();
        let l = load(&textured(&dir, "lamp", "lamp_albedo.png")).unwrap();
        assert_eq!(l.models.len(), 1);
        assert_eq!(l.models[0].texture_tint, MISSING_TEXTURE);
        let w = l.warnings[0].to_string();
        assert!(
            w.contains("lamp.gltf") && w.contains("lamp_albedo.png") && w.contains("magenta"),
            "{w}"
        );
        // A 2×1 PNG, pure red and pure blue: the mean is half of each (linear).
        let png_path = dir.join("tint.png");
        let mut enc = png::Encoder::new(std::fs::File::create(&png_path).unwrap(), 2, 1);
        enc.set_color(png::ColorType::Rgb);
        enc.write_header()
            .unwrap()
            .write_image_data(&[255, 0, 0, 0, 0, 255])
            .unwrap();
        let l = load(&textured(&dir, "tinted", "tint.png")).unwrap();
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        let c = l.models[0].texture_tint;
        assert!(
            (c - Vec4::new(0.5, 0.0, 0.5, 1.0)).abs().max_element() < 1e-6,
            "{c}"
        );
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!(
            "showrunner-assets-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
