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

/// Loads every mesh of a `.glb` (or `.gltf` with its buffers beside it).
pub fn load(path: &Path) -> Result<Vec<Model>, AssetError> {
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
    for mesh in gltf.meshes() {
        let name = mesh.name().map_or_else(|| stem.clone(), str::to_owned);
        let mut data = MeshData::default();
        let mut material = Material::default();
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
            }
        }
        out.push(Model {
            name,
            mesh: data,
            material,
        });
    }
    if out.is_empty() {
        return Err(err(path, "has no meshes"));
    }
    Ok(out)
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
        },
        Model {
            name: "crate".into(),
            mesh: MeshData::unit_box(),
            material: Material {
                base_color: Vec4::new(0.45, 0.3, 0.18, 1.0),
                roughness: 0.85,
                ..Material::default()
            },
        },
        Model {
            name: "character".into(),
            mesh: MeshData::character(),
            material: Material {
                roughness: 0.7,
                ..Material::default()
            },
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
        assert_eq!(back, builtin_models());
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
