//! The film's assets on the CPU, with no GPU in sight: triangle meshes and the procedural
//! shapes the project builds from (`mesh`), images and procedural textures (`texture`),
//! glTF 2.0 in and out with materials, textures, named nodes and lights (`gltf_io`), and the
//! sample's sets, one for every scene it names, built as glTF and read back as the scene
//! stages them (`sets`). The renderer uploads what this crate loads; the scene stages what
//! it describes.

pub mod actors;
pub mod gltf_io;
pub mod mesh;
pub mod sets;
pub mod texture;

pub use gltf_io::{load, AssetError, Loaded, Model, ModelMaterial, Node, MISSING_TEXTURE};
pub use mesh::{MeshData, Vertex, VertexSkin};
pub use texture::{Image, Sky, Surface};
