//! glTF 2.0 in and out, via the `gltf` crate. Creators bring their own sets and models as
//! `.glb` (or `.gltf` with its files beside it); the project's own are written by
//! `showrunner assets build` through [`write_glb`] and read back through the same [`load`].
//!
//! What is read: triangle meshes (positions, normals, the first texture coordinates), their
//! metallic-roughness materials with base colour, normal and metallic-roughness textures (PNG),
//! `KHR_materials_unlit`, the node tree (names, transforms, `extras`) and
//! `KHR_lights_punctual` lights. Every problem names the file and the place in it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use glam::{Mat4, Quat, Vec3, Vec4};
use showrunner_scene::components::{Light, Material};
use showrunner_scene::rig::{Channel, Clip, Joint, Rig, Track, Trs};

use crate::mesh::{MeshData, Vertex, VertexSkin};
use crate::texture::Image;

/// A mesh with its material: what the renderer uploads and entities name.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The name entities refer to (`Mesh("name")`).
    pub name: String,
    /// Geometry.
    pub mesh: MeshData,
    /// Look.
    pub material: ModelMaterial,
    /// A skinned model's skeleton and clips (its mesh's `skin` weights index the joints).
    pub rig: Option<Arc<Rig>>,
}

/// A glTF metallic-roughness material: factors, and the textures they multiply.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelMaterial {
    /// Factors: base colour, metallic, roughness, emission. An entity drawing the model
    /// carries these as its `Material` (a staged set's pieces do), so one model can be
    /// tinted per entity.
    pub factors: Material,
    /// sRGB base colour texture.
    pub base_color: Option<Arc<Image>>,
    /// Tangent-space normal map.
    pub normal: Option<Arc<Image>>,
    /// G roughness, B metallic.
    pub metallic_roughness: Option<Arc<Image>>,
    /// `KHR_materials_unlit`: the base colour is the radiance (skies, backdrops); not lit,
    /// casts no shadow.
    pub unlit: bool,
}

impl Model {
    /// An untextured model.
    pub fn plain(name: &str, mesh: MeshData, factors: Material) -> Self {
        Self {
            name: name.into(),
            mesh,
            material: ModelMaterial {
                factors,
                ..ModelMaterial::default()
            },
            rig: None,
        }
    }
}

/// A node of the file's scene, flattened: where it is in the file's space and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Its name (`mark:window`, `floor`); empty when unnamed.
    pub name: String,
    /// Node to the file's space (parents applied).
    pub transform: Mat4,
    /// The models it draws (indices into [`Loaded::models`]; one per primitive).
    pub models: Vec<usize>,
    /// A `KHR_lights_punctual` light on it, in the scene's units (colour × intensity).
    pub light: Option<Light>,
    /// The node's `extras`, when it has any.
    pub extras: Option<serde_json::Value>,
}

impl Node {
    /// A named empty node at `transform`.
    pub fn empty(name: &str, transform: Mat4) -> Self {
        Self {
            name: name.into(),
            transform,
            models: Vec::new(),
            light: None,
            extras: None,
        }
    }

    /// The node's position.
    pub fn translation(&self) -> Vec3 {
        self.transform.w_axis.truncate()
    }
}

/// A bad asset file: which, and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct AssetError {
    /// The file.
    pub file: String,
    /// What is wrong and what to do.
    pub message: String,
}

pub(crate) fn err(path: &Path, message: impl Into<String>) -> AssetError {
    AssetError {
        file: path.display().to_string(),
        message: message.into(),
    }
}

/// What a file gave: its models and nodes, and the problems that did not stop them (a missing
/// or unreadable texture: the model loads with a visible stand-in).
#[derive(Debug, Clone)]
pub struct Loaded {
    /// One per glTF mesh primitive, named by the mesh (`name`, then `name#1`, … for further
    /// primitives; the file stem when the mesh is unnamed).
    pub models: Vec<Model>,
    /// Every node of the default scene (or of all nodes, when the file has no scene).
    pub nodes: Vec<Node>,
    /// Problems worth telling the creator, each naming the file and the place.
    pub warnings: Vec<AssetError>,
    /// Which way the file's figures face along z: +1 as glTF says a model's front does, −1
    /// for this project's own files (its figures face −z, toward a viewer at the origin from
    /// their marks) and VRM 0.x avatars.
    pub front_z: f32,
}

/// The base colour a model gets when its texture is missing: loud magenta, the convention
/// creators recognise, so the gap is seen, not guessed at.
pub const MISSING_TEXTURE: Vec4 = Vec4::new(1.0, 0.0, 1.0, 1.0);

/// Extensions this reader understands; a file that uses others loads, with one warning
/// saying what is ignored.
const UNDERSTOOD: [&str; 3] = [
    "KHR_lights_punctual",
    "KHR_materials_unlit",
    "KHR_texture_transform",
];

fn image_bytes(
    image: &gltf::Image<'_>,
    dir: &Path,
    buffers: &[Vec<u8>],
) -> Result<Vec<u8>, String> {
    match image.source() {
        gltf::image::Source::View { view, .. } => buffers
            .get(view.buffer().index())
            .and_then(|b| b.get(view.offset()..view.offset() + view.length()))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| "its buffer view is out of range".into()),
        gltf::image::Source::Uri { uri, .. } if uri.starts_with("data:") => {
            Err("data: URIs are not supported; export as .glb".into())
        }
        gltf::image::Source::Uri { uri, .. } => showrunner_package::read(&dir.join(uri))
            .map_err(|e| format!("texture `{uri}` (next to the file): {e}")),
    }
}

fn image_label(image: &gltf::Image<'_>) -> String {
    image.name().map_or_else(
        || format!("image {}", image.index()),
        |n| format!("image `{n}`"),
    )
}

/// A linear RGB colour in a node's extras (`"key": [r, g, b]`, each finite and ≥ 0); `None`
/// when it is absent or malformed.
pub(crate) fn extras_rgb(extras: &serde_json::Value, key: &str) -> Option<Vec3> {
    extras
        .get(key)
        .and_then(|a| serde_json::from_value::<[f32; 3]>(a.clone()).ok())
        .filter(|c| c.iter().all(|v| v.is_finite() && *v >= 0.0))
        .map(Vec3::from)
}

/// Loads a `.glb` (or `.gltf` with its buffers and images beside it).
pub fn load(path: &Path) -> Result<Loaded, AssetError> {
    let bytes =
        showrunner_package::read(path).map_err(|e| err(path, format!("cannot read: {e}")))?;
    load_slice(&bytes, path)
}

/// Loads glTF from bytes; `path` names it in messages and its folder holds any files the
/// document refers to.
pub fn load_slice(bytes: &[u8], path: &Path) -> Result<Loaded, AssetError> {
    let gltf =
        gltf::Gltf::from_slice(bytes).map_err(|e| err(path, format!("not valid glTF 2.0: {e}")))?;
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
            gltf::buffer::Source::Uri(uri) => showrunner_package::read(&dir.join(uri))
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
    let mut warnings = Vec::new();
    let ignored: Vec<&str> = gltf
        .extensions_used()
        .filter(|e| !UNDERSTOOD.contains(e))
        .collect();
    if !ignored.is_empty() {
        warnings.push(err(
            path,
            format!(
                "uses extensions this player does not read ({}); they are ignored and the \
                 model is drawn from its plain glTF meshes and materials",
                ignored.join(", ")
            ),
        ));
    }
    let stem = path
        .file_stem()
        .map_or("model".into(), |s| s.to_string_lossy().into_owned());
    // Images decode once per use (colour or data), shared by every material using them.
    let mut decoded: HashMap<(usize, bool), Option<Arc<Image>>> = HashMap::new();
    let mut texture = |info: Option<gltf::texture::Texture<'_>>,
                       color: bool,
                       what: &str,
                       mesh: &str,
                       warnings: &mut Vec<AssetError>|
     -> Result<Option<Arc<Image>>, ()> {
        let Some(t) = info else { return Ok(None) };
        let image = t.source();
        decoded
            .entry((image.index(), color))
            .or_insert_with(|| {
                let label = image_label(&image);
                let got =
                    image_bytes(&image, dir, &buffers).and_then(|b| Image::from_png(&b, color));
                match got {
                    Ok(img) => Some(Arc::new(img)),
                    Err(e) => {
                        warnings.push(err(
                            path,
                            format!(
                                "mesh `{mesh}`: {what} {label}: {e}{}",
                                if color {
                                    "; drawn magenta until the texture is there (PNG only)"
                                } else {
                                    "; drawn without it (PNG only)"
                                }
                            ),
                        ));
                        None
                    }
                }
            })
            .clone()
            .map(Some)
            .ok_or(())
    };
    let mut models = Vec::new();
    let mut mesh_models: Vec<Vec<usize>> = Vec::new();
    for mesh in gltf.meshes() {
        let name = mesh.name().map_or_else(|| stem.clone(), str::to_owned);
        let mut these = Vec::new();
        for (k, prim) in mesh.primitives().enumerate() {
            let here = if k == 0 {
                format!("mesh `{name}`")
            } else {
                format!("mesh `{name}` primitive {k}")
            };
            if prim.mode() != gltf::mesh::Mode::Triangles {
                return Err(err(path, format!("{here}: only triangles are supported")));
            }
            let reader = prim.reader(|b| buffers.get(b.index()).map(Vec::as_slice));
            let positions: Vec<[f32; 3]> = reader
                .read_positions()
                .ok_or_else(|| err(path, format!("{here} has no POSITION")))?
                .collect();
            let normals: Vec<[f32; 3]> = reader
                .read_normals()
                .ok_or_else(|| err(path, format!("{here} has no NORMAL; export with normals")))?
                .collect();
            if normals.len() != positions.len() {
                return Err(err(
                    path,
                    format!(
                        "{here}: {} normals for {} positions",
                        normals.len(),
                        positions.len()
                    ),
                ));
            }
            let uvs: Vec<[f32; 2]> = match reader.read_tex_coords(0) {
                Some(t) => t.into_f32().collect(),
                None => vec![[0.0; 2]; positions.len()],
            };
            if uvs.len() != positions.len() {
                return Err(err(
                    path,
                    format!(
                        "{here}: {} texture coordinates for {} positions",
                        uvs.len(),
                        positions.len()
                    ),
                ));
            }
            let mut data = MeshData::default();
            if let (Some(joints), Some(weights)) = (reader.read_joints(0), reader.read_weights(0)) {
                let joints: Vec<[u16; 4]> = joints.into_u16().collect();
                let weights: Vec<[f32; 4]> = weights.into_f32().collect();
                if joints.len() != positions.len() || weights.len() != positions.len() {
                    return Err(err(
                        path,
                        format!(
                            "{here}: {} JOINTS_0 and {} WEIGHTS_0 for {} positions",
                            joints.len(),
                            weights.len(),
                            positions.len()
                        ),
                    ));
                }
                data.skin = joints
                    .iter()
                    .zip(&weights)
                    .map(|(j, w)| {
                        let inf: Vec<(usize, f32)> =
                            (0..4).map(|k| (usize::from(j[k]), w[k])).collect();
                        VertexSkin::from_influences(&inf)
                    })
                    .collect();
            }
            data.vertices.extend(
                positions
                    .iter()
                    .zip(&normals)
                    .zip(&uvs)
                    .map(|((p, n), uv)| Vertex {
                        position: *p,
                        normal: *n,
                        uv: *uv,
                    }),
            );
            match reader.read_indices() {
                Some(ix) => {
                    for i in ix.into_u32() {
                        if i as usize >= positions.len() {
                            return Err(err(
                                path,
                                format!("{here}: index {i} past {} vertices", positions.len()),
                            ));
                        }
                        data.indices.push(i);
                    }
                }
                None => data.indices.extend(0..positions.len() as u32),
            }
            if data.indices.len() % 3 != 0 {
                return Err(err(
                    path,
                    format!(
                        "{here}: {} indices is not whole triangles",
                        data.indices.len()
                    ),
                ));
            }
            let m = prim.material();
            let pbr = m.pbr_metallic_roughness();
            let mut material = ModelMaterial {
                factors: Material {
                    base_color: Vec4::from(pbr.base_color_factor()),
                    metallic: pbr.metallic_factor(),
                    roughness: pbr.roughness_factor(),
                    emissive: Vec3::from(m.emissive_factor()),
                },
                unlit: m.unlit(),
                ..ModelMaterial::default()
            };
            match texture(
                pbr.base_color_texture().map(|i| i.texture()),
                true,
                "base colour",
                &name,
                &mut warnings,
            ) {
                Ok(t) => material.base_color = t,
                Err(()) => material.factors.base_color = MISSING_TEXTURE,
            }
            material.normal = texture(
                m.normal_texture().map(|n| n.texture()),
                false,
                "normal map",
                &name,
                &mut warnings,
            )
            .unwrap_or(None);
            material.metallic_roughness = texture(
                pbr.metallic_roughness_texture().map(|i| i.texture()),
                false,
                "metallic-roughness map",
                &name,
                &mut warnings,
            )
            .unwrap_or(None);
            these.push(models.len());
            models.push(Model {
                name: if k == 0 {
                    name.clone()
                } else {
                    format!("{name}#{k}")
                },
                mesh: data,
                material,
                rig: None,
            });
        }
        mesh_models.push(these);
    }
    // The node tree, flattened with each node's transform to the file's space.
    let mut nodes = Vec::new();
    let roots: Vec<gltf::Node<'_>> = match gltf.default_scene().or_else(|| gltf.scenes().next()) {
        Some(s) => s.nodes().collect(),
        None => gltf.nodes().collect(),
    };
    let mut stack: Vec<(gltf::Node<'_>, Mat4, u32)> = roots
        .into_iter()
        .rev()
        .map(|n| (n, Mat4::IDENTITY, 0))
        .collect();
    while let Some((node, parent, depth)) = stack.pop() {
        if depth > 64 {
            return Err(err(path, "the node tree is more than 64 deep (a cycle?)"));
        }
        let local = Mat4::from_cols_array_2d(&node.transform().matrix());
        let world = parent * local;
        let light = node.light().map(|l| {
            let c = Vec3::from(l.color()) * l.intensity();
            match l.kind() {
                gltf::khr_lights_punctual::Kind::Directional => Light::Directional {
                    direction: world
                        .transform_vector3(Vec3::NEG_Z)
                        .normalize_or(Vec3::NEG_Y),
                    color: c,
                },
                _ => Light::Point {
                    color: c,
                    range: l.range().unwrap_or(10.0),
                },
            }
        });
        let extras: Option<serde_json::Value> = node
            .extras()
            .as_ref()
            .and_then(|raw| serde_json::from_str(raw.get()).ok());
        // The set's sky light rides in a node's extras (glTF has no ambient light).
        let ambient = extras
            .as_ref()
            .and_then(|e| extras_rgb(e, "ambient"))
            .map(|color| Light::Ambient { color });
        let light = light.or(ambient);
        nodes.push(Node {
            name: node.name().unwrap_or("").to_owned(),
            transform: world,
            models: node
                .mesh()
                .map(|m| mesh_models[m.index()].clone())
                .unwrap_or_default(),
            light,
            extras,
        });
        for child in node.children().collect::<Vec<_>>().into_iter().rev() {
            stack.push((child, world, depth + 1));
        }
    }
    if models.is_empty() {
        return Err(err(path, "has no meshes; export the scene with its meshes"));
    }
    let humanoid = vrm_humanoid(bytes);
    attach_rigs(
        &gltf,
        &buffers,
        &mesh_models,
        &mut models,
        (&humanoid, &mut warnings),
        path,
    )?;
    let ours = gltf
        .as_json()
        .asset
        .generator
        .as_deref()
        .is_some_and(|g| g.starts_with("showrunner"));
    let vrm0 = gltf.extensions_used().any(|e| e == "VRM");
    Ok(Loaded {
        models,
        nodes,
        warnings,
        front_z: if ours || vrm0 { -1.0 } else { 1.0 },
    })
}

/// A VRM avatar's humanoid bones by node index (`head`, `rightUpperArm`, …): VRM 0.x's
/// `extensions.VRM.humanoid.humanBones` list or VRM 1.0's `extensions.VRMC_vrm.humanoid.
/// humanBones` map. Empty for any other file (or one whose JSON this cannot read).
fn vrm_humanoid(bytes: &[u8]) -> HashMap<usize, String> {
    let json: std::borrow::Cow<'_, [u8]> = if bytes.starts_with(b"glTF") {
        match gltf::binary::Glb::from_slice(bytes) {
            Ok(glb) => glb.json,
            Err(_) => return HashMap::new(),
        }
    } else {
        bytes.into()
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&json) else {
        return HashMap::new();
    };
    let node = |b: &serde_json::Value| b.get("node").and_then(serde_json::Value::as_u64);
    let mut out = HashMap::new();
    if let Some(list) = v
        .pointer("/extensions/VRM/humanoid/humanBones")
        .and_then(|b| b.as_array())
    {
        for b in list {
            if let (Some(name), Some(n)) = (b.get("bone").and_then(|x| x.as_str()), node(b)) {
                out.insert(n as usize, name.to_owned());
            }
        }
    }
    if let Some(map) = v
        .pointer("/extensions/VRMC_vrm/humanoid/humanBones")
        .and_then(|b| b.as_object())
    {
        for (name, b) in map {
            if let Some(n) = node(b) {
                out.insert(n as usize, name.clone());
            }
        }
    }
    out
}

/// Skinned meshes: each node that draws a mesh with a skin gives that mesh's models the
/// skin's [`Rig`]: its joints (parents found up the node tree), inverse bind matrices, where
/// the skeleton sits (its root joints' ancestors), and the animations that move its joints.
fn attach_rigs(
    gltf: &gltf::Gltf,
    buffers: &[Vec<u8>],
    mesh_models: &[Vec<usize>],
    models: &mut [Model],
    (humanoid, warnings): (&HashMap<usize, String>, &mut Vec<AssetError>),
    path: &Path,
) -> Result<(), AssetError> {
    let count = gltf.nodes().count();
    let mut parent = vec![None; count];
    for n in gltf.nodes() {
        for c in n.children() {
            parent[c.index()] = Some(n.index());
        }
    }
    let local: Vec<Mat4> = gltf
        .nodes()
        .map(|n| Mat4::from_cols_array_2d(&n.transform().matrix()))
        .collect();
    let mut rigs: HashMap<usize, Arc<Rig>> = HashMap::new();
    for node in gltf.nodes() {
        let (Some(mesh), Some(skin)) = (node.mesh(), node.skin()) else {
            continue;
        };
        let rig = match rigs.get(&skin.index()) {
            Some(r) => Arc::clone(r),
            None => {
                let r = Arc::new(rig_of(
                    gltf,
                    &skin,
                    buffers,
                    (&parent, &local, humanoid),
                    warnings,
                    path,
                )?);
                rigs.insert(skin.index(), Arc::clone(&r));
                r
            }
        };
        for &m in &mesh_models[mesh.index()] {
            let model = &mut models[m];
            if let Some(bad) = model
                .mesh
                .skin
                .iter()
                .flat_map(|s| s.joints.iter().zip(s.weights))
                .find(|(j, w)| *w > 0.0 && usize::from(**j) >= rig.joints.len())
            {
                return Err(err(
                    path,
                    format!(
                        "mesh `{}`: a vertex is weighted to joint {}, but its skin has {} joints",
                        model.name,
                        bad.0,
                        rig.joints.len()
                    ),
                ));
            }
            if model.mesh.skin.is_empty() {
                // A rigid mesh on a skinned node moves with the skin's first joint.
                model.mesh.skin = vec![VertexSkin::default(); model.mesh.vertices.len()];
            }
            model.rig.get_or_insert_with(|| Arc::clone(&rig));
        }
    }
    Ok(())
}

fn rig_of(
    gltf: &gltf::Gltf,
    skin: &gltf::Skin<'_>,
    buffers: &[Vec<u8>],
    (parent, local, humanoid): (&[Option<usize>], &[Mat4], &HashMap<usize, String>),
    warnings: &mut Vec<AssetError>,
    path: &Path,
) -> Result<Rig, AssetError> {
    let name = skin.name().map_or_else(
        || format!("skin {}", skin.index()),
        |n| format!("skin `{n}`"),
    );
    let nodes: Vec<usize> = skin.joints().map(|n| n.index()).collect();
    let index: HashMap<usize, usize> = nodes.iter().enumerate().map(|(k, n)| (*n, k)).collect();
    let mut root = Mat4::IDENTITY;
    let mut joints = Vec::with_capacity(nodes.len());
    for (k, &n) in nodes.iter().enumerate() {
        // Up to the nearest ancestor that is a joint, folding in any node between.
        let mut rest = local[n];
        let mut up = parent[n];
        let mut hops = 0;
        while let Some(p) = up {
            if index.contains_key(&p) || hops > 64 {
                break;
            }
            rest = local[p] * rest;
            up = parent[p];
            hops += 1;
        }
        let joint_parent = up.and_then(|p| index.get(&p).copied());
        let rest = if joint_parent.is_none() {
            // A root joint: what lay above it places the whole skeleton.
            let mut above = Mat4::IDENTITY;
            let mut up = parent[n];
            while let Some(p) = up {
                above = local[p] * above;
                up = parent[p];
            }
            if k == 0 || root == Mat4::IDENTITY {
                root = above;
            }
            local[n]
        } else {
            rest
        };
        let (scale, rotation, translation) = rest.to_scale_rotation_translation();
        joints.push(Joint {
            // A VRM's humanoid bone name where it gives one (its node names are free).
            name: humanoid.get(&n).cloned().unwrap_or_else(|| {
                gltf.nodes()
                    .nth(n)
                    .and_then(|x| x.name().map(str::to_owned))
                    .unwrap_or_else(|| format!("joint {k}"))
            }),
            parent: joint_parent,
            rest: Trs {
                translation,
                rotation,
                scale,
            },
        });
    }
    let reader = skin.reader(|b| buffers.get(b.index()).map(Vec::as_slice));
    let inverse_bind: Vec<Mat4> = match reader.read_inverse_bind_matrices() {
        Some(m) => m.map(|m| Mat4::from_cols_array_2d(&m)).collect(),
        None => vec![Mat4::IDENTITY; nodes.len()],
    };
    let mut clips = Vec::new();
    let mut cubic = false;
    for (a, anim) in gltf.animations().enumerate() {
        let mut tracks = Vec::new();
        for ch in anim.channels() {
            let Some(&joint) = index.get(&ch.target().node().index()) else {
                continue;
            };
            let reader = ch.reader(|b| buffers.get(b.index()).map(Vec::as_slice));
            let (Some(times), Some(outputs)) = (reader.read_inputs(), reader.read_outputs()) else {
                continue;
            };
            let times: Vec<f32> = times.collect();
            use gltf::animation::util::ReadOutputs;
            let (channel, values): (Channel, Vec<Vec4>) = match outputs {
                ReadOutputs::Translations(t) => (
                    Channel::Translation,
                    t.map(|v| Vec3::from(v).extend(0.0)).collect(),
                ),
                ReadOutputs::Rotations(r) => {
                    (Channel::Rotation, r.into_f32().map(Vec4::from).collect())
                }
                ReadOutputs::Scales(s) => (
                    Channel::Scale,
                    s.map(|v| Vec3::from(v).extend(0.0)).collect(),
                ),
                ReadOutputs::MorphTargetWeights(_) => continue,
            };
            let interpolation = ch.sampler().interpolation();
            let values = if interpolation == gltf::animation::Interpolation::CubicSpline {
                // In-tangent, value, out-tangent per key: the values, joined linearly.
                cubic = true;
                values.chunks(3).filter_map(|c| c.get(1).copied()).collect()
            } else {
                values
            };
            tracks.push(Track {
                joint,
                channel,
                times,
                values,
                step: interpolation == gltf::animation::Interpolation::Step,
            });
        }
        if tracks.is_empty() {
            continue;
        }
        let duration = tracks
            .iter()
            .filter_map(|t| t.times.last().copied())
            .fold(0.0, f32::max);
        clips.push(Clip {
            name: anim
                .name()
                .map_or_else(|| format!("animation {a}"), str::to_owned),
            duration,
            tracks,
        });
    }
    if cubic {
        warnings.push(err(
            path,
            format!("{name}: cubic-spline animation keys are played linearly between their values"),
        ));
    }
    Rig::new(joints, inverse_bind, root, clips).map_err(|e| err(path, format!("{name}: {e}")))
}

/// glTF bytes of `models` placed by `nodes` (each node draws at most one model); images are
/// stored once each as PNG in the binary chunk.
pub fn glb_bytes(models: &[Model], nodes: &[Node]) -> Result<Vec<u8>, String> {
    use serde_json::json;
    let mut bin: Vec<u8> = Vec::new();
    let align = |bin: &mut Vec<u8>| {
        while bin.len() % 4 != 0 {
            bin.push(0);
        }
    };
    let (mut accessors, mut views, mut meshes, mut materials) = (vec![], vec![], vec![], vec![]);
    let (mut images, mut textures) = (vec![], vec![]);
    let mut image_index: HashMap<u64, usize> = HashMap::new();
    let mut add_image =
        |img: &Arc<Image>, bin: &mut Vec<u8>, views: &mut Vec<serde_json::Value>| {
            *image_index.entry(img.key()).or_insert_with(|| {
                align(bin);
                let png = img.to_png();
                views.push(json!({"buffer": 0, "byteOffset": bin.len(), "byteLength": png.len()}));
                bin.extend(&png);
                images.push(json!({"bufferView": views.len() - 1, "mimeType": "image/png"}));
                textures.push(json!({"source": images.len() - 1, "sampler": 0}));
                textures.len() - 1
            })
        };
    for m in models {
        let buf_view = |bytes: &[u8],
                        target: u32,
                        bin: &mut Vec<u8>,
                        views: &mut Vec<serde_json::Value>| {
            align(bin);
            views.push(json!({"buffer": 0, "byteOffset": bin.len(), "byteLength": bytes.len(), "target": target}));
            bin.extend(bytes);
            views.len() - 1
        };
        let v = &m.mesh.vertices;
        let pos: Vec<u8> = v
            .iter()
            .flat_map(|v| v.position)
            .flat_map(f32::to_le_bytes)
            .collect();
        let nrm: Vec<u8> = v
            .iter()
            .flat_map(|v| v.normal)
            .flat_map(f32::to_le_bytes)
            .collect();
        let uv: Vec<u8> = v
            .iter()
            .flat_map(|v| v.uv)
            .flat_map(f32::to_le_bytes)
            .collect();
        let idx: Vec<u8> = m
            .mesh
            .indices
            .iter()
            .flat_map(|i| i.to_le_bytes())
            .collect();
        let (lo, hi) = m.mesh.bounds().unwrap_or((Vec3::ZERO, Vec3::ZERO));
        let a0 = accessors.len();
        let vp = buf_view(&pos, 34962, &mut bin, &mut views);
        accessors.push(json!({"bufferView": vp, "componentType": 5126, "count": v.len(), "type": "VEC3", "min": lo.to_array(), "max": hi.to_array()}));
        let vn = buf_view(&nrm, 34962, &mut bin, &mut views);
        accessors.push(
            json!({"bufferView": vn, "componentType": 5126, "count": v.len(), "type": "VEC3"}),
        );
        let vt = buf_view(&uv, 34962, &mut bin, &mut views);
        accessors.push(
            json!({"bufferView": vt, "componentType": 5126, "count": v.len(), "type": "VEC2"}),
        );
        let vi = buf_view(&idx, 34963, &mut bin, &mut views);
        accessors.push(json!({"bufferView": vi, "componentType": 5125, "count": m.mesh.indices.len(), "type": "SCALAR"}));
        let f = &m.material.factors;
        let mut pbr = json!({
            "baseColorFactor": f.base_color.to_array(),
            "metallicFactor": f.metallic,
            "roughnessFactor": f.roughness,
        });
        if let Some(t) = &m.material.base_color {
            pbr["baseColorTexture"] = json!({"index": add_image(t, &mut bin, &mut views)});
        }
        if let Some(t) = &m.material.metallic_roughness {
            pbr["metallicRoughnessTexture"] = json!({"index": add_image(t, &mut bin, &mut views)});
        }
        let mut mat = json!({"name": m.name, "pbrMetallicRoughness": pbr, "emissiveFactor": f.emissive.to_array()});
        if let Some(t) = &m.material.normal {
            mat["normalTexture"] = json!({"index": add_image(t, &mut bin, &mut views)});
        }
        if m.material.unlit {
            mat["extensions"] = json!({"KHR_materials_unlit": {}});
        }
        materials.push(mat);
        let mut attributes = json!({"POSITION": a0, "NORMAL": a0 + 1, "TEXCOORD_0": a0 + 2});
        if !m.mesh.skin.is_empty() {
            let joints: Vec<u8> = m
                .mesh
                .skin
                .iter()
                .flat_map(|s| s.joints)
                .flat_map(u16::to_le_bytes)
                .collect();
            let weights: Vec<u8> = m
                .mesh
                .skin
                .iter()
                .flat_map(|s| s.weights)
                .flat_map(f32::to_le_bytes)
                .collect();
            let vj = buf_view(&joints, 34962, &mut bin, &mut views);
            attributes["JOINTS_0"] = json!(accessors.len());
            accessors.push(
                json!({"bufferView": vj, "componentType": 5123, "count": v.len(), "type": "VEC4"}),
            );
            let vw = buf_view(&weights, 34962, &mut bin, &mut views);
            attributes["WEIGHTS_0"] = json!(accessors.len());
            accessors.push(
                json!({"bufferView": vw, "componentType": 5126, "count": v.len(), "type": "VEC4"}),
            );
        }
        meshes.push(json!({
            "name": m.name,
            "primitives": [{"attributes": attributes, "indices": a0 + 3, "material": materials.len() - 1, "mode": 4}],
        }));
    }
    let mut lights = vec![];
    let mut out_nodes = vec![];
    for n in nodes {
        let (s, r, t) = n.transform.to_scale_rotation_translation();
        let mut node = json!({"name": n.name});
        if t != Vec3::ZERO {
            node["translation"] = json!(t.to_array());
        }
        if r != Quat::IDENTITY {
            node["rotation"] = json!(r.to_array());
        }
        if s != Vec3::ONE {
            node["scale"] = json!(s.to_array());
        }
        match n.models.as_slice() {
            [] => {}
            [m] if *m < models.len() => node["mesh"] = json!(m),
            _ => return Err(format!("node `{}`: a node draws one model here", n.name)),
        }
        let mut extras = n.extras.clone();
        if let Some(Light::Ambient { color }) = &n.light {
            let mut e = extras.take().unwrap_or_else(|| json!({}));
            e["ambient"] = json!(color.to_array());
            extras = Some(e);
        }
        if let Some(l) = n.light.filter(|l| !matches!(l, Light::Ambient { .. })) {
            let (kind, c, range) = match l {
                Light::Directional { color, .. } => ("directional", color, None),
                Light::Point { color, range } => ("point", color, Some(range)),
                Light::Ambient { .. } => unreachable!("kept in extras"),
            };
            let intensity = c.max_element().max(1e-6);
            let mut light =
                json!({"type": kind, "color": (c / intensity).to_array(), "intensity": intensity});
            if let Some(r) = range {
                light["range"] = json!(r);
            }
            lights.push(light);
            node["extensions"] = json!({"KHR_lights_punctual": {"light": lights.len() - 1}});
        }
        if let Some(e) = extras {
            node["extras"] = e;
        }
        out_nodes.push(node);
    }
    // Skins: each skinned model's skeleton as joint nodes under the scene, its inverse bind
    // matrices, and its clips as animations of those nodes.
    let mut roots: Vec<usize> = (0..nodes.len()).collect();
    let (mut skins, mut animations) = (vec![], vec![]);
    for (k, n) in nodes.iter().enumerate() {
        let Some(rig) = n.models.first().and_then(|&m| models[m].rig.as_ref()) else {
            continue;
        };
        let base = out_nodes.len();
        for j in &rig.joints {
            let mut node = json!({"name": j.name});
            node["translation"] = json!(j.rest.translation.to_array());
            if j.rest.rotation != Quat::IDENTITY {
                node["rotation"] = json!(j.rest.rotation.to_array());
            }
            if j.rest.scale != Vec3::ONE {
                node["scale"] = json!(j.rest.scale.to_array());
            }
            out_nodes.push(node);
        }
        let mut top = vec![];
        for (i, j) in rig.joints.iter().enumerate() {
            match j.parent {
                Some(p) => {
                    let children = &mut out_nodes[base + p]["children"];
                    if children.is_null() {
                        *children = json!([]);
                    }
                    if let Some(c) = children.as_array_mut() {
                        c.push(json!(base + i));
                    }
                }
                None => top.push(base + i),
            }
        }
        if rig.root == Mat4::IDENTITY {
            roots.extend(top);
        } else {
            let (s, r, t) = rig.root.to_scale_rotation_translation();
            out_nodes.push(json!({"name": "armature", "translation": t.to_array(),
                "rotation": r.to_array(), "scale": s.to_array(), "children": top}));
            roots.push(out_nodes.len() - 1);
        }
        let ibm: Vec<u8> = rig
            .inverse_bind
            .iter()
            .flat_map(|m| m.to_cols_array())
            .flat_map(f32::to_le_bytes)
            .collect();
        align(&mut bin);
        views.push(json!({"buffer": 0, "byteOffset": bin.len(), "byteLength": ibm.len()}));
        bin.extend(&ibm);
        accessors.push(json!({"bufferView": views.len() - 1, "componentType": 5126, "count": rig.joints.len(), "type": "MAT4"}));
        skins.push(json!({"joints": (base..base + rig.joints.len()).collect::<Vec<_>>(), "inverseBindMatrices": accessors.len() - 1}));
        out_nodes[k]["skin"] = json!(skins.len() - 1);
        for clip in &rig.clips {
            let (mut samplers, mut channels) = (vec![], vec![]);
            for t in &clip.tracks {
                let (kind, path, width) = match t.channel {
                    Channel::Translation => ("VEC3", "translation", 3),
                    Channel::Rotation => ("VEC4", "rotation", 4),
                    Channel::Scale => ("VEC3", "scale", 3),
                };
                let times: Vec<u8> = t.times.iter().flat_map(|x| x.to_le_bytes()).collect();
                let values: Vec<u8> = t
                    .values
                    .iter()
                    .flat_map(|v| v.to_array().into_iter().take(width))
                    .flat_map(f32::to_le_bytes)
                    .collect();
                for (bytes, acc) in [
                    (
                        times,
                        json!({"componentType": 5126, "count": t.times.len(), "type": "SCALAR",
                        "min": [t.times.first().copied().unwrap_or(0.0)], "max": [t.times.last().copied().unwrap_or(0.0)]}),
                    ),
                    (
                        values,
                        json!({"componentType": 5126, "count": t.values.len(), "type": kind}),
                    ),
                ] {
                    align(&mut bin);
                    views.push(
                        json!({"buffer": 0, "byteOffset": bin.len(), "byteLength": bytes.len()}),
                    );
                    bin.extend(&bytes);
                    let mut acc = acc;
                    acc["bufferView"] = json!(views.len() - 1);
                    accessors.push(acc);
                }
                samplers.push(
                    json!({"input": accessors.len() - 2, "output": accessors.len() - 1,
                    "interpolation": if t.step { "STEP" } else { "LINEAR" }}),
                );
                channels.push(json!({"sampler": samplers.len() - 1, "target": {"node": base + t.joint, "path": path}}));
            }
            animations.push(json!({"name": clip.name, "samplers": samplers, "channels": channels}));
        }
    }
    let mut used = vec![];
    if !lights.is_empty() {
        used.push("KHR_lights_punctual");
    }
    if models.iter().any(|m| m.material.unlit) {
        used.push("KHR_materials_unlit");
    }
    let mut root = json!({
        "asset": {"version": "2.0", "generator": "showrunner assets build"},
        "scene": 0,
        "scenes": [{"nodes": roots}],
        "nodes": out_nodes,
        "meshes": meshes,
        "materials": materials,
        "accessors": accessors,
        "bufferViews": views,
        "buffers": [{"byteLength": bin.len()}],
    });
    if !skins.is_empty() {
        root["skins"] = json!(skins);
        root["animations"] = json!(animations);
    }
    if !images.is_empty() {
        root["images"] = json!(images);
        root["textures"] = json!(textures);
        // Repeat, trilinear: textures tile in metres over the sets.
        root["samplers"] =
            json!([{"magFilter": 9729, "minFilter": 9987, "wrapS": 10497, "wrapT": 10497}]);
    }
    if !lights.is_empty() {
        root["extensions"] = json!({"KHR_lights_punctual": {"lights": lights}});
    }
    if !used.is_empty() {
        root["extensionsUsed"] = json!(used);
    }
    let json = serde_json::to_vec(&root).map_err(|e| e.to_string())?;
    let glb = gltf::binary::Glb {
        header: gltf::binary::Header {
            magic: *b"glTF",
            version: 2,
            length: 0, // filled in by to_vec
        },
        json: json.into(),
        bin: Some(bin.into()),
    };
    glb.to_vec().map_err(|e| e.to_string())
}

/// Writes [`glb_bytes`] to `path` atomically: a half-written file is never left under the
/// real name.
pub fn write_glb(path: &Path, models: &[Model], nodes: &[Node]) -> Result<(), AssetError> {
    let bytes = glb_bytes(models, nodes).map_err(|e| err(path, e))?;
    write_atomic(path, &bytes)
}

/// Writes `bytes` to `path` through a temporary file beside it, synced, then renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AssetError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(|e| err(path, format!("cannot write: {e}")))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| err(path, e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|e| err(path, format!("cannot move into place: {e}")))
}

/// The sample's procedural models: the unit box (props, the placeholder room), the crate and
/// the stand-in character figure, one node each.
pub fn builtin_models() -> Vec<Model> {
    vec![
        Model::plain("box", MeshData::unit_box(), Material::default()),
        Model::plain(
            "crate",
            MeshData::unit_box(),
            Material {
                base_color: Vec4::new(0.45, 0.3, 0.18, 1.0),
                roughness: 0.85,
                ..Material::default()
            },
        ),
        Model::plain(
            "character",
            MeshData::character(),
            Material {
                roughness: 0.7,
                ..Material::default()
            },
        ),
    ]
}

/// One node per model, at the origin.
pub fn nodes_for(models: &[Model]) -> Vec<Node> {
    models
        .iter()
        .enumerate()
        .map(|(i, m)| Node {
            models: vec![i],
            ..Node::empty(&m.name, Mat4::IDENTITY)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texture::Surface;

    #[test]
    fn models_round_trip_through_glb() {
        let dir = tempfile_dir();
        let path = dir.join("sample.glb");
        let models = builtin_models();
        write_glb(&path, &models, &nodes_for(&models)).unwrap();
        let back = load(&path).unwrap();
        assert!(back.warnings.is_empty());
        assert_eq!(back.models, builtin_models());
        assert_eq!(back.nodes.len(), 3);
        assert_eq!(back.nodes[2].name, "character");
        assert_eq!(back.nodes[2].models, vec![2]);
    }

    #[test]
    fn textures_nodes_lights_and_extras_round_trip() {
        let maps = Surface::Planks.maps(16);
        let model = Model {
            name: "floor".into(),
            mesh: MeshData::unit_box(),
            material: ModelMaterial {
                factors: Material::default(),
                base_color: Some(Arc::new(maps.base_color)),
                normal: Some(Arc::new(maps.normal)),
                metallic_roughness: Some(Arc::new(maps.metallic_roughness)),
                unlit: false,
            },
            rig: None,
        };
        let mut sky = Model::plain("sky", MeshData::unit_box(), Material::default());
        sky.material.unlit = true;
        // The same image twice is stored once.
        sky.material.base_color = model.material.base_color.clone();
        let lamp = Light::Point {
            color: Vec3::new(6.0, 5.5, 4.0),
            range: 5.0,
        };
        let nodes = vec![
            Node {
                models: vec![0],
                extras: Some(serde_json::json!({"solid": true})),
                ..Node::empty("floor", Mat4::from_translation(Vec3::new(0.0, -0.05, 0.0)))
            },
            Node {
                models: vec![1],
                ..Node::empty("sky", Mat4::from_scale(Vec3::splat(50.0)))
            },
            Node {
                light: Some(lamp),
                ..Node::empty("lamp", Mat4::from_translation(Vec3::new(0.0, 2.9, -2.0)))
            },
            Node::empty(
                "mark:window",
                Mat4::from_rotation_translation(
                    Quat::from_rotation_y(0.5),
                    Vec3::new(1.0, 0.0, -2.0),
                ),
            ),
        ];
        let dir = tempfile_dir();
        let path = dir.join("room.glb");
        write_glb(&path, &[model.clone(), sky], &nodes).unwrap();
        let back = load(&path).unwrap();
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        assert_eq!(back.models[0], model);
        assert!(back.models[1].material.unlit);
        assert!(Arc::ptr_eq(
            back.models[0].material.base_color.as_ref().unwrap(),
            back.models[1].material.base_color.as_ref().unwrap()
        ));
        assert_eq!(
            back.nodes[0].extras,
            Some(serde_json::json!({"solid": true}))
        );
        match back.nodes[2].light {
            Some(Light::Point { color, range }) => {
                assert!((color - Vec3::new(6.0, 5.5, 4.0)).abs().max_element() < 1e-5);
                assert_eq!(range, 5.0);
            }
            other => panic!("{other:?}"),
        }
        assert!(back.nodes[3]
            .transform
            .abs_diff_eq(nodes[3].transform, 1e-6));
        let json = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        assert_eq!(json.matches("image/png").count(), 3, "one image each");
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
        // No meshes at all.
        let empty = dir.join("empty.gltf");
        std::fs::write(
            &empty,
            r#"{"asset":{"version":"2.0"},"nodes":[{"name":"a"}]}"#,
        )
        .unwrap();
        let e = load(&empty).unwrap_err().to_string();
        assert!(e.contains("empty.gltf") && e.contains("no meshes"), "{e}");
    }

    /// A one-triangle .gltf whose material has a base colour texture `uri`, using
    /// `extensions` besides.
    fn textured(dir: &Path, name: &str, uri: &str, extensions: &str) -> std::path::PathBuf {
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
                r#"{{"asset":{{"version":"2.0"}},"extensionsUsed":[{extensions}],"buffers":[{{"uri":"{name}.bin","byteLength":72}}],
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
    fn a_missing_or_broken_texture_is_named_and_drawn_magenta() {
        let dir = tempfile_dir();
        let l = load(&textured(&dir, "lamp", "lamp_albedo.png", "")).unwrap();
        assert_eq!(l.models.len(), 1);
        assert_eq!(l.models[0].material.factors.base_color, MISSING_TEXTURE);
        let w = l.warnings[0].to_string();
        assert!(
            w.contains("lamp.gltf") && w.contains("lamp_albedo.png") && w.contains("magenta"),
            "{w}"
        );
        // A texture that is not an image.
        std::fs::write(dir.join("notes.png"), b"these are my notes").unwrap();
        let l = load(&textured(&dir, "notes", "notes.png", "")).unwrap();
        assert_eq!(l.models[0].material.factors.base_color, MISSING_TEXTURE);
        let w = l.warnings[0].to_string();
        assert!(
            w.contains("notes.gltf") && w.contains("not a readable PNG"),
            "{w}"
        );
        // A real PNG is sampled.
        let png_path = dir.join("tint.png");
        std::fs::write(&png_path, Surface::Brass.maps(8).base_color.to_png()).unwrap();
        let l = load(&textured(&dir, "tinted", "tint.png", "")).unwrap();
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        assert_eq!(l.models[0].material.base_color.as_ref().unwrap().width, 8);
    }

    #[test]
    fn extensions_we_do_not_read_are_named_once() {
        let dir = tempfile_dir();
        std::fs::write(
            dir.join("skin.png"),
            Surface::Brass.maps(8).base_color.to_png(),
        )
        .unwrap();
        let l = load(&textured(
            &dir,
            "avatar",
            "skin.png",
            r#""VRMC_vrm","VRMC_springBone""#,
        ))
        .unwrap();
        assert_eq!(l.warnings.len(), 1);
        let w = l.warnings[0].to_string();
        assert!(
            w.contains("avatar.gltf") && w.contains("VRMC_vrm, VRMC_springBone"),
            "{w}"
        );
        assert_eq!(l.models.len(), 1);
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
