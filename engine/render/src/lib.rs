//! The Showrunner renderer on wgpu 30.0.2 — the version burn 0.22.1 uses, so
//! one device serves rendering and the diffusion refiner.
//!
//! - **Stereo** into one 2-layer texture array (one pass per eye; multiview
//!   is a later optimisation where the adapter has it).
//! - **PBR-lite**: GGX specular + Lambert diffuse (`shaders/scene.wgsl`).
//! - **Room light**: L2 spherical-harmonic ambient from
//!   [`showrunner_light::LightEstimate`] plus one directional light.
//! - **Tone map and grade**: exposure, ACES fit, then the director's warmth,
//!   saturation and contrast ([`Grade`]); sRGB output.
//! - **Reversed-Z** depth (near = 1, far = 0, compare `Greater`).
//! - **Words in the world** ([`labels`]): subtitles, choice labels and notices
//!   typeset with the shipped font and drawn as quads in the same eye passes.
//!
//! The renderer never creates or owns a device: [`Renderer::new`] takes the
//! `wgpu::Device` and `Queue` it is given (the XR runtime's on a headset;
//! [`Gpu::headless`] makes one for tests and offline renders).

pub use showrunner_assets as assets;
pub use showrunner_assets::mesh;
pub mod labels;
mod materials;
pub mod present;
pub mod shaders;

pub use wgpu;
pub use wgpu_profiler;

use std::collections::HashMap;

use glam::{Mat4, Vec3, Vec4};
use showrunner_light::LightEstimate;
use showrunner_scene::components::{Light, Material, Mesh, Parts, Pose, Stance, Transform};
use showrunner_scene::hecs::World;
use showrunner_scene::rig::Skin;
use wgpu::util::DeviceExt;

use mesh::{MeshData, Vertex};

pub use shaders::{multiview_source, ShaderError, Shaders, SCENE_WGSL, SHADOW_WGSL};
/// Size of the key light's shadow map, texels.
pub const SHADOW_SIZE: u32 = 1024;

/// Colour format of the eye textures.
pub const COLOR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8UnormSrgb;
/// Depth format (reversed-Z).
pub const DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;

/// What can go wrong setting up or using the renderer.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// No adapter (no GPU and no software Vulkan such as Mesa's lavapipe).
    #[error("no GPU adapter: {0}; on a machine without a GPU install Mesa's lavapipe (Debian: mesa-vulkan-drivers)")]
    NoAdapter(String),
    /// The device could not be created.
    #[error("cannot create the GPU device: {0}")]
    Device(String),
    /// Reading a frame back failed.
    #[error("cannot read the frame back: {0}")]
    Readback(String),
}

/// A device and queue made for headless work (tests, offline renders).
pub struct Gpu {
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// What the adapter is, for logs and benchmark records.
    pub adapter: wgpu::AdapterInfo,
    /// The adapter itself (surface capabilities for a window).
    pub raw_adapter: wgpu::Adapter,
    /// The instance (the refiner hands all four to burn).
    pub instance: wgpu::Instance,
}

/// The features the shared device asks for, of those the adapter has:
/// multiview for the renderer, and what burn's compute kernels pick their
/// data types and timing from (cubecl reads them off the adapter, so the
/// device must have them too).
pub fn device_features(adapter: wgpu::Features) -> wgpu::Features {
    adapter
        & (wgpu::Features::MULTIVIEW
            | wgpu::Features::SHADER_F16
            | wgpu::Features::SHADER_INT64
            | wgpu::Features::SHADER_F64
            | wgpu::Features::SHADER_FLOAT32_ATOMIC
            | wgpu::Features::SUBGROUP
            | wgpu::Features::TIMESTAMP_QUERY
            // GPU profiling scopes on encoders and inside passes (`Renderer::render_profiled`).
            | wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS
            | wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES)
}

/// The limits the shared device asks for: downlevel for rendering, the
/// adapter's own for storage buffers and compute (burn's kernels size their
/// workgroups and bindings from the adapter's limits).
pub fn device_limits(a: &wgpu::Limits) -> wgpu::Limits {
    wgpu::Limits {
        max_multiview_view_count: a.max_multiview_view_count.min(2),
        max_storage_buffers_per_shader_stage: a.max_storage_buffers_per_shader_stage,
        max_storage_buffer_binding_size: a.max_storage_buffer_binding_size,
        max_buffer_size: a.max_buffer_size,
        max_compute_workgroup_storage_size: a.max_compute_workgroup_storage_size,
        max_compute_invocations_per_workgroup: a.max_compute_invocations_per_workgroup,
        max_compute_workgroup_size_x: a.max_compute_workgroup_size_x,
        max_compute_workgroup_size_y: a.max_compute_workgroup_size_y,
        max_compute_workgroup_size_z: a.max_compute_workgroup_size_z,
        max_compute_workgroups_per_dimension: a.max_compute_workgroups_per_dimension,
        ..wgpu::Limits::downlevel_defaults().using_resolution(a.clone())
    }
}

impl Gpu {
    /// A Vulkan device: the first hardware adapter, else a software one (lavapipe).
    pub fn headless() -> Result<Self, RenderError> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: wgpu::Backends::VULKAN,
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        Self::from_instance(&instance, None)
    }

    /// A device from `instance` that can present to `surface` (a desktop
    /// window) when one is given; same preferences as [`Gpu::headless`].
    pub fn from_instance(
        instance: &wgpu::Instance,
        surface: Option<&wgpu::Surface<'_>>,
    ) -> Result<Self, RenderError> {
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: surface,
            apply_limit_buckets: false,
        }))
        .map_err(|e| RenderError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("showrunner"),
            required_features: device_features(adapter.features()),
            required_limits: device_limits(&adapter.limits()),
            ..Default::default()
        }))
        .map_err(|e| RenderError::Device(e.to_string()))?;
        Ok(Self {
            device,
            queue,
            adapter: info,
            raw_adapter: adapter,
            instance: instance.clone(),
        })
    }
}

/// The director's colour grade, applied after tone mapping: the one `Grade` type, from core.
pub use showrunner_core::Grade;

/// One eye's camera.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EyeView {
    /// Eye position in stage space.
    pub position: Vec3,
    /// World → view.
    pub view: Mat4,
    /// View → clip, reversed-Z.
    pub projection: Mat4,
}

impl EyeView {
    /// A symmetric eye looking from `position` towards `target` (y up), with a
    /// reversed-Z infinite projection.
    pub fn look_at(position: Vec3, target: Vec3, fov_y: f32, aspect: f32) -> Self {
        Self {
            position,
            view: glam::camera::rh::view::look_at_mat4(position, target, Vec3::Y),
            // wgpu's clip space: y up, depth 0..1 (the "directx" convention).
            projection: glam::camera::rh::proj::directx::perspective_infinite_reverse(
                fov_y, aspect, 0.05,
            ),
        }
    }

    /// This eye moved from the viewer's tracking space into the set by `vantage` (tracking
    /// space to the set's, e.g. `Vantage::matrix`).
    pub fn placed(&self, vantage: Mat4) -> Self {
        Self {
            position: vantage.transform_point3(self.position),
            view: self.view * vantage.inverse(),
            projection: self.projection,
        }
    }

    /// Two eyes `ipd` apart around a head at `head` looking at `target`.
    pub fn stereo(head: Vec3, target: Vec3, ipd: f32, fov_y: f32, aspect: f32) -> [Self; 2] {
        let fwd = (target - head).normalize();
        let right = fwd.cross(Vec3::Y).normalize();
        [-0.5f32, 0.5].map(|s| {
            let p = head + right * (s * ipd);
            Self::look_at(p, p + fwd, fov_y, aspect)
        })
    }
}

/// Everything a frame needs besides the world.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameInputs {
    /// Left and right eyes.
    pub eyes: [EyeView; 2],
    /// The room's light.
    pub light: LightEstimate,
    /// The set's key light: direction of travel and linear colour × intensity.
    pub sun: (Vec3, Vec3),
    /// The director's grade.
    pub grade: Grade,
}

/// The stereo render target: a 2-layer colour array and a 2-layer depth array.
pub struct RenderTarget {
    /// Colour, `COLOR_FORMAT`, 2 layers (left, right).
    pub color: wgpu::Texture,
    /// Depth, `DEPTH_FORMAT`, 2 layers.
    pub depth: wgpu::Texture,
    /// Per-eye size in pixels.
    pub size: (u32, u32),
    /// Whether the eye passes store depth when they end. Off (the default),
    /// depth is discarded after the pass, which saves tile-memory writes on
    /// mobile GPUs; on for a depth the runtime composites with (an OpenXR
    /// depth layer) or that is read back ([`read_depth`]).
    pub keep_depth: bool,
}

impl RenderTarget {
    /// Allocates a target of `width` × `height` per eye.
    pub fn new(device: &wgpu::Device, width: u32, height: u32) -> Self {
        let tex = |format, usage, label| {
            device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: wgpu::Extent3d {
                    width,
                    height,
                    depth_or_array_layers: 2,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage,
                view_formats: &[],
            })
        };
        Self {
            color: tex(
                COLOR_FORMAT,
                wgpu::TextureUsages::RENDER_ATTACHMENT
                    | wgpu::TextureUsages::COPY_SRC
                    | wgpu::TextureUsages::TEXTURE_BINDING,
                "eyes colour",
            ),
            depth: tex(
                DEPTH_FORMAT,
                // Sampled: the refiner reads it as its guide.
                wgpu::TextureUsages::RENDER_ATTACHMENT
                    | wgpu::TextureUsages::COPY_SRC
                    | wgpu::TextureUsages::TEXTURE_BINDING,
                "eyes depth",
            ),
            size: (width, height),
            keep_depth: false,
        }
    }

    /// The same target, its depth stored at the end of each eye pass.
    pub fn keeping_depth(mut self) -> Self {
        self.keep_depth = true;
        self
    }

    fn both(tex: &wgpu::Texture) -> wgpu::TextureView {
        tex.create_view(&wgpu::TextureViewDescriptor {
            dimension: Some(wgpu::TextureViewDimension::D2Array),
            base_array_layer: 0,
            array_layer_count: Some(2),
            ..Default::default()
        })
    }

    fn layer(tex: &wgpu::Texture, layer: u32) -> wgpu::TextureView {
        tex.create_view(&wgpu::TextureViewDescriptor {
            dimension: Some(wgpu::TextureViewDimension::D2),
            base_array_layer: layer,
            array_layer_count: Some(1),
            ..Default::default()
        })
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct CameraUniform {
    view_proj: [[f32; 4]; 4],
    eye: [f32; 4],
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct LightingUniform {
    sh: [[f32; 4]; 9],
    sun_dir: [f32; 4],
    sun_color: [f32; 4],
    grade: [f32; 4],
    light_view_proj: [[f32; 4]; 4],
    /// Up to [`MAX_LAMPS`] lamps: (position, range), (linear colour, _).
    lamps: [[f32; 4]; 2 * MAX_LAMPS],
    /// x: how many lamps are in use.
    lamp_count: [f32; 4],
    /// The set's height fog: linear colour, density per metre at y = 0.
    fog: [f32; 4],
    /// x: metres the fog thins by e over; y: the set's clock, seconds (the waves').
    fog_height: [f32; 4],
}

/// Lamps (the set's point lights nearest the viewer) lighting a frame.
pub const MAX_LAMPS: usize = 4;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Instance {
    model: [[f32; 4]; 4],
    base_color: [f32; 4],
    params: [f32; 4],
    emissive: [f32; 4],
    /// x: where the actor's joint palette starts in the palette buffer (0: the identity).
    first_joint: [u32; 4],
}

/// Joint matrices the palette buffer holds for all actors of a frame (entry 0 is the
/// identity); actors past it are drawn in their bind pose, with a warning.
pub const MAX_JOINTS: usize = 4096;

/// The single-pass stereo path.
struct Multiview {
    pipeline: wgpu::RenderPipeline,
    skinned: wgpu::RenderPipeline,
    bind_group: wgpu::BindGroup,
    cameras: wgpu::Buffer,
}

struct GpuMesh {
    vertices: wgpu::Buffer,
    indices: wgpu::Buffer,
    count: u32,
    triangles: usize,
    material: materials::GpuMaterial,
    /// A skinned mesh's joints and weights (drawn by the skinned pipelines).
    skin: Option<wgpu::Buffer>,
    /// The sea: the vertex shader heaves it by the set's swell.
    waves: bool,
}

/// The joint palettes' binding: read-only storage, seen by the vertex stage.
fn joints_entry(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::VERTEX,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only: true },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

fn upload_mesh(
    device: &wgpu::Device,
    name: &str,
    m: &MeshData,
    material: materials::GpuMaterial,
) -> GpuMesh {
    GpuMesh {
        vertices: device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(name),
            contents: bytemuck::cast_slice(&m.vertices),
            usage: wgpu::BufferUsages::VERTEX,
        }),
        indices: device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(name),
            contents: bytemuck::cast_slice(&m.indices),
            usage: wgpu::BufferUsages::INDEX,
        }),
        count: m.indices.len() as u32,
        triangles: m.triangles(),
        material,
        waves: name == "sea" || name.ends_with("/sea"),
        skin: (!m.skin.is_empty() && m.skin.len() == m.vertices.len()).then(|| {
            device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(name),
                contents: bytemuck::cast_slice(&m.skin),
                usage: wgpu::BufferUsages::VERTEX,
            })
        }),
    }
}

/// What the last frame drew (for the budget tables in BENCHMARKS.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameStats {
    /// Instanced draws per eye (one per mesh in view of the frame's world).
    pub draws: usize,
    /// Triangles per eye.
    pub triangles: usize,
    /// Bytes of material textures on the GPU (every model uploaded so far, mips included).
    pub texture_bytes: usize,
}

/// The renderer. See the crate docs.
pub struct Renderer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: wgpu::RenderPipeline,
    skinned_pipeline: wgpu::RenderPipeline,
    shadow_skinned: wgpu::RenderPipeline,
    /// Every actor's joint palette this frame, one run each after the identity.
    joints: wgpu::Buffer,
    palette: Vec<[[f32; 4]; 4]>,
    /// Actors drawn in their bind pose because the palette was full (said once).
    pub palette_overflow: bool,
    multiview: Option<Multiview>,
    use_multiview: bool,
    shadow_pipeline: wgpu::RenderPipeline,
    shadow_view: wgpu::TextureView,
    shadow_camera: wgpu::Buffer,
    shadow_bind_group: wgpu::BindGroup,
    bind_groups: [wgpu::BindGroup; 2],
    cameras: [wgpu::Buffer; 2],
    lighting: wgpu::Buffer,
    meshes: HashMap<String, GpuMesh>,
    instances: wgpu::Buffer,
    capacity: usize,
    scratch: Vec<(usize, Instance)>,
    mesh_names: Vec<String>,
    /// Per mesh (as `mesh_names`): the model's texture tint.
    mesh_tints: Vec<Vec4>,
    /// Mesh names the world asked for that do not exist (drawn as boxes).
    pub missing_meshes: Vec<String>,
    passthrough: bool,
    shadow_softness: f32,
    labels: labels::Labels,
    materials: materials::Materials,
    stats: FrameStats,
}

impl Renderer {
    /// Builds the pipelines from the built-in shaders on the device it is given.
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue) -> Self {
        Self::build(device, queue, &Shaders::builtin())
    }

    /// Builds the pipelines from `shaders` (see [`Shaders::load`]). Pipeline
    /// creation runs inside a validation error scope: a shader that naga
    /// accepts but that does not fit the renderer's bindings is reported,
    /// naming its file, and the built-in shaders are used instead, so the
    /// film still draws.
    pub fn with_shaders(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        shaders: &Shaders,
    ) -> (Self, Option<ShaderError>) {
        if *shaders == Shaders::builtin() {
            return (Self::new(device, queue), None);
        }
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let r = Self::build(device, queue, shaders);
        match pollster::block_on(scope.pop()) {
            None => (r, None),
            Some(e) => {
                drop(r);
                let file = if shaders.scene != SCENE_WGSL {
                    &shaders.scene_file
                } else {
                    &shaders.shadow_file
                };
                let err = ShaderError {
                    file: file.clone(),
                    line: 0,
                    column: 0,
                    message: format!("the GPU pipeline rejected it: {e}"),
                };
                (Self::new(device, queue), Some(err))
            }
        }
    }

    fn build(device: &wgpu::Device, queue: &wgpu::Queue, shaders: &Shaders) -> Self {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(&shaders.scene_file),
            source: wgpu::ShaderSource::Wgsl(shaders.scene.as_str().into()),
        });
        let uniform = |binding| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("frame"),
            entries: &[
                uniform(0),
                uniform(1),
                wgpu::BindGroupLayoutEntry {
                    binding: 2,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Depth,
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 3,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Comparison),
                    count: None,
                },
                joints_entry(4),
            ],
        });
        let shadow_tex = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("shadow map"),
            size: wgpu::Extent3d {
                width: SHADOW_SIZE,
                height: SHADOW_SIZE,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: DEPTH_FORMAT,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING,
            view_formats: &[],
        });
        let shadow_view = shadow_tex.create_view(&Default::default());
        let shadow_sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("shadow"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            compare: Some(wgpu::CompareFunction::LessEqual),
            ..Default::default()
        });
        let buffer = |label, size: usize| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: size as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let cameras = [
            buffer("left camera", size_of::<CameraUniform>()),
            buffer("right camera", size_of::<CameraUniform>()),
        ];
        let lighting = buffer("lighting", size_of::<LightingUniform>());
        let joints = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("joint palettes"),
            size: (MAX_JOINTS * size_of::<[[f32; 4]; 4]>()) as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        queue.write_buffer(
            &joints,
            0,
            bytemuck::bytes_of(&Mat4::IDENTITY.to_cols_array_2d()),
        );
        let bind_groups = [0, 1].map(|i| {
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("frame"),
                layout: &layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: cameras[i].as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: lighting.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: wgpu::BindingResource::TextureView(&shadow_view),
                    },
                    wgpu::BindGroupEntry {
                        binding: 3,
                        resource: wgpu::BindingResource::Sampler(&shadow_sampler),
                    },
                    wgpu::BindGroupEntry {
                        binding: 4,
                        resource: joints.as_entire_binding(),
                    },
                ],
            })
        });
        // The shadow pass: depth only, from the key light.
        let shadow_module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(&shaders.shadow_file),
            source: wgpu::ShaderSource::Wgsl(shaders.shadow.as_str().into()),
        });
        let shadow_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("shadow"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    visibility: wgpu::ShaderStages::VERTEX,
                    ..uniform(0)
                },
                joints_entry(1),
            ],
        });
        let shadow_camera = buffer("shadow camera", 64);
        let shadow_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("shadow"),
            layout: &shadow_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: shadow_camera.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: joints.as_entire_binding(),
                },
            ],
        });
        let mut materials = materials::Materials::new(device);
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("scene"),
            bind_group_layouts: &[Some(&layout), Some(&materials.layout)],
            immediate_size: 0,
        });
        let vertex_attrs = wgpu::vertex_attr_array![0 => Float32x3, 1 => Float32x3, 8 => Float32x2];
        let instance_attrs = wgpu::vertex_attr_array![
            2 => Float32x4, 3 => Float32x4, 4 => Float32x4, 5 => Float32x4, 6 => Float32x4, 7 => Float32x4,
            9 => Float32x4, 12 => Uint32x4
        ];
        let skin_attrs = wgpu::vertex_attr_array![10 => Uint16x4, 11 => Float32x4];
        let vertex_buffers = [
            Some(wgpu::VertexBufferLayout {
                array_stride: size_of::<Vertex>() as u64,
                step_mode: wgpu::VertexStepMode::Vertex,
                attributes: &vertex_attrs,
            }),
            Some(wgpu::VertexBufferLayout {
                array_stride: size_of::<Instance>() as u64,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes: &instance_attrs,
            }),
            Some(wgpu::VertexBufferLayout {
                array_stride: size_of::<assets::VertexSkin>() as u64,
                step_mode: wgpu::VertexStepMode::Vertex,
                attributes: &skin_attrs,
            }),
        ];
        // Rigid meshes read the first two buffers; skinned ones (`vs_skinned`) all three.
        let scene_pipeline =
            |module: &wgpu::ShaderModule, mask: Option<std::num::NonZeroU32>, skinned: bool| {
                device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                    label: Some(match (mask.is_some(), skinned) {
                        (false, false) => "scene",
                        (true, false) => "scene (multiview)",
                        (false, true) => "scene (skinned)",
                        (true, true) => "scene (multiview, skinned)",
                    }),
                    layout: Some(&pipeline_layout),
                    vertex: wgpu::VertexState {
                        module,
                        entry_point: Some(if skinned { "vs_skinned" } else { "vs_main" }),
                        compilation_options: Default::default(),
                        buffers: if skinned {
                            &vertex_buffers
                        } else {
                            &vertex_buffers[..2]
                        },
                    },
                    primitive: wgpu::PrimitiveState {
                        cull_mode: Some(wgpu::Face::Back),
                        ..Default::default()
                    },
                    depth_stencil: Some(wgpu::DepthStencilState {
                        format: DEPTH_FORMAT,
                        depth_write_enabled: Some(true),
                        depth_compare: Some(wgpu::CompareFunction::Greater),
                        stencil: Default::default(),
                        bias: Default::default(),
                    }),
                    multisample: Default::default(),
                    fragment: Some(wgpu::FragmentState {
                        module,
                        entry_point: Some("fs_main"),
                        compilation_options: Default::default(),
                        targets: &[Some(COLOR_FORMAT.into())],
                    }),
                    multiview_mask: mask,
                    cache: None,
                })
            };
        let pipeline = scene_pipeline(&module, None, false);
        let skinned_pipeline = scene_pipeline(&module, None, true);
        // Single-pass stereo where the adapter has multiview.
        let multiview = device
            .features()
            .contains(wgpu::Features::MULTIVIEW)
            .then(|| {
                let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some("scene.wgsl (multiview)"),
                    source: wgpu::ShaderSource::Wgsl(shaders::multiview_of(&shaders.scene).into()),
                });
                let both = buffer("both cameras", 2 * size_of::<CameraUniform>());
                let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("frame (multiview)"),
                    layout: &layout,
                    entries: &[
                        wgpu::BindGroupEntry {
                            binding: 0,
                            resource: both.as_entire_binding(),
                        },
                        wgpu::BindGroupEntry {
                            binding: 1,
                            resource: lighting.as_entire_binding(),
                        },
                        wgpu::BindGroupEntry {
                            binding: 2,
                            resource: wgpu::BindingResource::TextureView(&shadow_view),
                        },
                        wgpu::BindGroupEntry {
                            binding: 3,
                            resource: wgpu::BindingResource::Sampler(&shadow_sampler),
                        },
                        wgpu::BindGroupEntry {
                            binding: 4,
                            resource: joints.as_entire_binding(),
                        },
                    ],
                });
                Multiview {
                    pipeline: scene_pipeline(&module, std::num::NonZeroU32::new(0b11), false),
                    skinned: scene_pipeline(&module, std::num::NonZeroU32::new(0b11), true),
                    bind_group,
                    cameras: both,
                }
            });
        let shadow_pipeline_layout =
            device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("shadow"),
                bind_group_layouts: &[Some(&shadow_layout)],
                immediate_size: 0,
            });
        let shadow_pipeline_for = |skinned: bool| {
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(if skinned {
                    "shadow (skinned)"
                } else {
                    "shadow"
                }),
                layout: Some(&shadow_pipeline_layout),
                vertex: wgpu::VertexState {
                    module: &shadow_module,
                    entry_point: Some(if skinned {
                        "vs_shadow_skinned"
                    } else {
                        "vs_shadow"
                    }),
                    compilation_options: Default::default(),
                    buffers: if skinned {
                        &vertex_buffers
                    } else {
                        &vertex_buffers[..2]
                    },
                },
                primitive: Default::default(),
                depth_stencil: Some(wgpu::DepthStencilState {
                    format: DEPTH_FORMAT,
                    depth_write_enabled: Some(true),
                    depth_compare: Some(wgpu::CompareFunction::Less),
                    stencil: Default::default(),
                    bias: wgpu::DepthBiasState {
                        constant: 2,
                        slope_scale: 2.0,
                        clamp: 0.0,
                    },
                }),
                multisample: Default::default(),
                fragment: None,
                multiview_mask: None,
                cache: None,
            })
        };
        let shadow_pipeline = shadow_pipeline_for(false);
        let shadow_skinned = shadow_pipeline_for(true);
        let mut meshes = HashMap::new();
        let plain = showrunner_assets::ModelMaterial::default();
        let unit = MeshData::unit_box();
        // A drop (of spray): a coarse ball a unit across.
        let mut drop = MeshData::default();
        drop.add_sphere(glam::Affine3A::IDENTITY, 0.5, 4, 6, false);
        for (name, mesh) in [
            ("box", &unit),
            ("crate", &unit),
            ("drop", &drop),
            ("character", &MeshData::character()),
        ] {
            let material = materials.bind(device, queue, &plain);
            meshes.insert(name.to_owned(), upload_mesh(device, name, mesh, material));
        }
        let capacity = 1024;
        let labels = labels::Labels::new(
            device,
            COLOR_FORMAT,
            &cameras,
            multiview.as_ref().map(|m| &m.cameras),
        );
        Self {
            labels,
            instances: Self::instance_buffer(device, capacity),
            capacity,
            device: device.clone(),
            queue: queue.clone(),
            pipeline,
            skinned_pipeline,
            shadow_skinned,
            joints,
            palette: Vec::with_capacity(256),
            palette_overflow: false,
            use_multiview: multiview.is_some(),
            multiview,
            shadow_pipeline,
            shadow_view,
            shadow_camera,
            shadow_bind_group,
            bind_groups,
            cameras,
            lighting,
            mesh_names: meshes.keys().cloned().collect(),
            mesh_tints: vec![Vec4::ONE; meshes.len()],
            meshes,
            scratch: Vec::with_capacity(capacity),
            missing_meshes: Vec::new(),
            passthrough: false,
            shadow_softness: 0.0,
            materials,
            stats: FrameStats::default(),
        }
    }

    /// Whether both eyes render in one multiview pass (the adapter has
    /// multiview and it is not switched off).
    pub fn multiview(&self) -> bool {
        self.use_multiview && self.multiview.is_some()
    }

    /// Switches single-pass stereo on or off (it stays off where the adapter
    /// lacks multiview).
    pub fn set_multiview(&mut self, on: bool) {
        self.use_multiview = on;
    }

    /// Mixed reality: where nothing is drawn the eyes are left transparent
    /// (alpha 0), so a runtime compositing passthrough behind the film
    /// (`ALPHA_BLEND`) shows the room there.
    pub fn set_passthrough(&mut self, on: bool) {
        self.passthrough = on;
    }

    /// Shadow penumbra, in shadow-map texels (1 texel = 16 m / [`SHADOW_SIZE`]).
    /// 0 (the real-time default) filters 3 × 3 texels; more spreads a 7 × 7
    /// filter over that many texels: the soft shadows of offline reference
    /// renders (the refiner's training targets), 49 taps a pixel.
    pub fn set_shadow_softness(&mut self, texels: f32) {
        self.shadow_softness = texels.clamp(0.0, 32.0);
    }

    /// Adds (or replaces) a mesh entities can name, e.g. one loaded by
    /// [`assets::load`].
    pub fn add_mesh(&mut self, name: &str, mesh: &MeshData) {
        let material = self.materials.bind(
            &self.device,
            &self.queue,
            &showrunner_assets::ModelMaterial::default(),
        );
        self.insert_mesh(
            name,
            upload_mesh(&self.device, name, mesh, material),
            Vec4::ONE,
        );
    }

    fn insert_mesh(&mut self, name: &str, gpu: GpuMesh, tint: Vec4) {
        match self.mesh_names.iter().position(|n| n == name) {
            Some(i) => self.mesh_tints[i] = tint,
            None => {
                self.mesh_names.push(name.to_owned());
                self.mesh_tints.push(tint);
            }
        }
        self.meshes.insert(name.to_owned(), gpu);
    }

    /// Adds (or replaces) a loaded model: its mesh and its material's textures (uploaded once
    /// per image, shared by every model using it). An entity drawing it brings the factors
    /// (its `Material`); a model whose base colour texture is missing tints every entity
    /// drawing it magenta ([`assets::MISSING_TEXTURE`]), so the gap is seen.
    pub fn add_model(&mut self, model: &assets::Model) {
        let material = self
            .materials
            .bind(&self.device, &self.queue, &model.material);
        let tint = if model.material.factors.base_color == assets::MISSING_TEXTURE {
            assets::MISSING_TEXTURE
        } else {
            Vec4::ONE
        };
        let gpu = upload_mesh(&self.device, &model.name, &model.mesh, material);
        self.insert_mesh(&model.name, gpu, tint);
    }

    /// What the last frame drew, and the textures uploaded so far.
    pub fn stats(&self) -> FrameStats {
        FrameStats {
            texture_bytes: self.materials.texture_bytes(),
            ..self.stats
        }
    }

    /// Loads the creators' models (glTF `.glb`/`.gltf` files in `dir`, in name order), which
    /// replace the built-in procedural ones by name. A broken file is named in a warning and
    /// the built-in stays (a visible fallback); a missing folder is no warning. Returns the
    /// warnings, for the caller to say once.
    pub fn load_models(&mut self, dir: &std::path::Path) -> Vec<String> {
        let mut warnings = Vec::new();
        let Ok(files) = showrunner_package::list(dir) else {
            return warnings;
        };
        for f in files
            .iter()
            .filter(|f| f.extension().is_some_and(|x| x == "glb" || x == "gltf"))
        {
            match assets::load(f) {
                Ok(loaded) => {
                    for m in &loaded.models {
                        self.add_model(m);
                    }
                    warnings.extend(loaded.warnings.iter().map(ToString::to_string));
                }
                Err(e) => warnings.push(format!("{e}; using the built-in models instead")),
            }
        }
        warnings
    }

    fn instance_buffer(device: &wgpu::Device, capacity: usize) -> wgpu::Buffer {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("instances"),
            size: (capacity * size_of::<Instance>()) as u64,
            usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// Encodes both eyes of one frame of `world` into `target`. The caller
    /// submits the command buffer (on a headset, with the XR swapchain's).
    pub fn render(
        &mut self,
        world: &World,
        inputs: &FrameInputs,
        target: &RenderTarget,
    ) -> wgpu::CommandBuffer {
        self.encode(world, inputs, target, None)
    }

    /// [`Renderer::render`] with GPU timestamps: a scope for the shadow pass and one for
    /// each eye pass (`shadow`, `left eye`, `right eye`, or `both eyes (multiview)`), and
    /// inside each separate eye pass a scope for its words (`text`) where the device has
    /// [`wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES`]. None inside a multiview pass: a
    /// timestamp written there is written once per view, which a query set has no room for.
    /// The caller resolves the queries and ends the profiler's frame (`showrunner bench gpu`).
    pub fn render_profiled(
        &mut self,
        world: &World,
        inputs: &FrameInputs,
        target: &RenderTarget,
        profiler: &wgpu_profiler::GpuProfiler,
    ) -> wgpu::CommandBuffer {
        self.encode(world, inputs, target, Some(profiler))
    }

    fn encode(
        &mut self,
        world: &World,
        inputs: &FrameInputs,
        target: &RenderTarget,
        profiler: Option<&wgpu_profiler::GpuProfiler>,
    ) -> wgpu::CommandBuffer {
        // Instances, grouped by mesh.
        let air = showrunner_scene::atmosphere::Atmosphere::of(world);
        self.scratch.clear();
        self.palette.clear();
        self.palette.push(Mat4::IDENTITY.to_cols_array_2d());
        for (t, mesh, material, pose, skin, parts) in world
            .query::<(
                &Transform,
                &Mesh,
                &Material,
                Option<&Pose>,
                Option<&Skin>,
                Option<&Parts>,
            )>()
            .iter()
        {
            let idx = match self.mesh_names.iter().position(|n| *n == mesh.0) {
                Some(i) => i,
                None => {
                    if !self.missing_meshes.contains(&mesh.0) {
                        self.missing_meshes.push(mesh.0.clone());
                    }
                    self.mesh_names.iter().position(|n| n == "box").unwrap_or(0)
                }
            };
            // A skinned mesh poses by its actor's palette (the bind pose without one); a
            // rigid figure only breathes.
            let gpu_mesh = &self.meshes[&self.mesh_names[idx]];
            let skinned = gpu_mesh.skin.is_some();
            let swell = if gpu_mesh.waves {
                air.swell.max(0.0)
            } else {
                0.0
            };
            let mut first_joint = 0;
            if let (true, Some(skin)) = (skinned, skin) {
                if self.palette.len() + skin.palette.len() <= MAX_JOINTS {
                    first_joint = self.palette.len() as u32;
                    self.palette
                        .extend(skin.palette.iter().map(Mat4::to_cols_array_2d));
                } else {
                    self.palette_overflow = true;
                }
            }
            let mut m = t.matrix();
            if !skinned {
                m.w_axis.y += pose.map_or(0.0, |p| p.bob);
                if pose.is_some_and(|p| p.stance == Stance::Fallen) {
                    // A figure with no skeleton to fall with lies down whole, on its back.
                    m = m
                        * Mat4::from_translation(Vec3::new(0.0, 0.12, 0.0))
                        * Mat4::from_rotation_x(std::f32::consts::FRAC_PI_2);
                }
            }
            let key = pose.map_or(0.0, |p| p.key);
            let instance = |idx: usize| Instance {
                model: m.to_cols_array_2d(),
                base_color: (material.base_color * self.mesh_tints[idx]).into(),
                params: [material.metallic, material.roughness, key, swell],
                emissive: material.emissive.extend(0.0).into(),
                first_joint: [first_joint, 0, 0, 0],
            };
            self.scratch.push((idx, instance(idx)));
            // The model's other parts, posed by the same palette.
            for part in parts.map_or(&[][..], |p| p.0.as_slice()) {
                if let Some(i) = self.mesh_names.iter().position(|n| n == part) {
                    self.scratch.push((i, instance(i)));
                }
            }
        }
        self.scratch.sort_by_key(|(i, _)| *i);
        if self.scratch.len() > self.capacity {
            self.capacity = self.scratch.len().next_power_of_two();
            self.instances = Self::instance_buffer(&self.device, self.capacity);
        }
        self.stats = self.count_draws();
        let data: Vec<Instance> = self.scratch.iter().map(|(_, i)| *i).collect();
        self.queue
            .write_buffer(&self.instances, 0, bytemuck::cast_slice(&data));
        self.queue
            .write_buffer(&self.joints, 0, bytemuck::cast_slice(&self.palette));

        // Uniforms.
        let g = inputs.grade;
        // The set's own light, mixed with the room's: its sun (or moon) sets the key light's
        // direction, tinted by the room's key light; its lamps nearest the viewer light the
        // frame as they are.
        let head = inputs.eyes[0].position;
        let mut sun = inputs.sun;
        let mut ambient = Vec3::ONE;
        // The nearest lamps, kept sorted in place (no allocation on the frame thread): an
        // unused slot is infinitely far.
        let mut lamps = [(f32::INFINITY, Vec3::ZERO, 0.0f32, Vec3::ZERO); MAX_LAMPS];
        for (t, light) in world.query::<(&Transform, &Light)>().iter() {
            match *light {
                Light::Directional { direction, color } => {
                    sun = (direction, color * inputs.sun.1);
                }
                Light::Point { color, range } => {
                    let d = t.translation.distance(head);
                    if d < lamps[MAX_LAMPS - 1].0 {
                        lamps[MAX_LAMPS - 1] = (d, t.translation, range, color);
                        lamps.sort_by(|a, b| a.0.total_cmp(&b.0));
                    }
                }
                Light::Ambient { color } => ambient = color,
            }
        }
        let lamp_count = lamps.iter().filter(|l| l.0.is_finite()).count();
        let mut lamp_data = [[0.0f32; 4]; 2 * MAX_LAMPS];
        for (k, (_, p, range, color)) in lamps.iter().take(lamp_count).enumerate() {
            lamp_data[2 * k] = p.extend(*range).into();
            lamp_data[2 * k + 1] = color.extend(0.0).into();
        }
        let irr = inputs.light.sh.irradiance();
        let mut sh = [[0.0; 4]; 9];
        for (k, c) in irr.0.iter().enumerate() {
            sh[k] = (*c * ambient / std::f32::consts::PI).extend(0.0).into();
        }
        let light_view_proj = key_light_view_proj(sun.0);
        self.queue.write_buffer(
            &self.shadow_camera,
            0,
            bytemuck::bytes_of(&light_view_proj.to_cols_array_2d()),
        );
        let lighting = LightingUniform {
            sh,
            sun_dir: sun
                .0
                .normalize_or(Vec3::NEG_Y)
                .extend(self.shadow_softness)
                .into(),
            sun_color: sun.1.extend(0.0).into(),
            grade: Vec4::new(
                (g.exposure_ev + inputs.light.exposure_ev).exp2(),
                g.warmth,
                g.saturation,
                g.contrast,
            )
            .into(),
            light_view_proj: light_view_proj.to_cols_array_2d(),
            lamps: lamp_data,
            lamp_count: [lamp_count as f32, 0.0, 0.0, 0.0],
            fog: air.fog_color.extend(air.fog_density.max(0.0)).into(),
            fog_height: [
                air.fog_height.max(0.1),
                air.clock,
                air.flash.clamp(0.0, 1.0) * showrunner_scene::atmosphere::LIGHTNING_LIGHT,
                0.0,
            ],
        };
        self.queue
            .write_buffer(&self.lighting, 0, bytemuck::bytes_of(&lighting));
        let mut both = [CameraUniform {
            view_proj: [[0.0; 4]; 4],
            eye: [0.0; 4],
        }; 2];
        for (k, (eye, buf)) in inputs.eyes.iter().zip(&self.cameras).enumerate() {
            let u = CameraUniform {
                view_proj: (eye.projection * eye.view).to_cols_array_2d(),
                eye: eye.position.extend(1.0).into(),
            };
            self.queue.write_buffer(buf, 0, bytemuck::bytes_of(&u));
            both[k] = u;
        }
        if let Some(mv) = &self.multiview {
            self.queue
                .write_buffer(&mv.cameras, 0, bytemuck::cast_slice(&both));
        }
        self.labels.prepare(&self.device, &self.queue, world);

        let mut enc = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("frame"),
            });
        {
            let query = profiler.map(|p| p.begin_pass_query("shadow", &mut enc));
            let mut pass = enc.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("shadow"),
                color_attachments: &[],
                depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                    view: &self.shadow_view,
                    depth_ops: Some(wgpu::Operations {
                        load: wgpu::LoadOp::Clear(1.0),
                        store: wgpu::StoreOp::Store,
                    }),
                    stencil_ops: None,
                }),
                timestamp_writes: query
                    .as_ref()
                    .and_then(|q| q.render_pass_timestamp_writes()),
                occlusion_query_set: None,
                multiview_mask: None,
            });
            pass.set_pipeline(&self.shadow_pipeline);
            pass.set_bind_group(0, &self.shadow_bind_group, &[]);
            self.draw_instances(&mut pass, true, &self.shadow_skinned);
            drop(pass);
            if let (Some(p), Some(q)) = (profiler, query) {
                p.end_query(&mut enc, q);
            }
        }
        let clear = if self.passthrough {
            wgpu::Color::TRANSPARENT
        } else {
            wgpu::Color {
                r: 0.01,
                g: 0.01,
                b: 0.015,
                a: 1.0,
            }
        };
        // One pass per eye, or one pass for both where multiview is on.
        let passes: &[(Option<u32>, &str)] = if self.use_multiview && self.multiview.is_some() {
            &[(None, "both eyes (multiview)")]
        } else {
            &[(Some(0), "left eye"), (Some(1), "right eye")]
        };
        for &(layer, label) in passes {
            let (color, depth) = match layer {
                Some(l) => (
                    RenderTarget::layer(&target.color, l),
                    RenderTarget::layer(&target.depth, l),
                ),
                None => (
                    RenderTarget::both(&target.color),
                    RenderTarget::both(&target.depth),
                ),
            };
            let query = profiler.map(|p| p.begin_pass_query(label, &mut enc));
            let mut pass = enc.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some(label),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &color,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(clear),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                    view: &depth,
                    depth_ops: Some(wgpu::Operations {
                        load: wgpu::LoadOp::Clear(0.0), // reversed-Z: far is 0
                        store: if target.keep_depth {
                            wgpu::StoreOp::Store
                        } else {
                            wgpu::StoreOp::Discard
                        },
                    }),
                    stencil_ops: None,
                }),
                timestamp_writes: query
                    .as_ref()
                    .and_then(|q| q.render_pass_timestamp_writes()),
                occlusion_query_set: None,
                multiview_mask: if layer.is_none() {
                    std::num::NonZeroU32::new(0b11)
                } else {
                    None
                },
            });
            let skinned = match (layer, &self.multiview) {
                (Some(l), _) => {
                    pass.set_pipeline(&self.pipeline);
                    pass.set_bind_group(0, &self.bind_groups[l as usize], &[]);
                    &self.skinned_pipeline
                }
                (None, Some(mv)) => {
                    pass.set_pipeline(&mv.pipeline);
                    pass.set_bind_group(0, &mv.bind_group, &[]);
                    &mv.skinned
                }
                (None, None) => unreachable!("multiview passes only when the path exists"),
            };
            self.draw_instances(&mut pass, false, skinned);
            // The words' own scope, in a separate eye's pass only (see `render_profiled`).
            let words = profiler
                .filter(|_| layer.is_some())
                .map(|p| p.begin_query("text", &mut pass).with_parent(query.as_ref()));
            self.labels.draw(&mut pass, layer);
            if let (Some(p), Some(w)) = (profiler, words) {
                p.end_query(&mut pass, w);
            }
            drop(pass);
            if let (Some(p), Some(q)) = (profiler, query) {
                p.end_query(&mut enc, q);
            }
        }
        enc.finish()
    }

    /// Real-time front ends: typeset words on a thread of their own, so a changed line costs
    /// the frame thread only its upload (the old words stay up the frame or two until the new
    /// ones arrive). Off (the default, for stills and tests): words are typeset in the frame
    /// that shows them.
    pub fn set_words_in_background(&mut self, on: bool) {
        self.labels.set_background(on);
    }

    /// What typesetting the labels found since the last call (words the font lacks, words
    /// cut short), each once, for the caller to say.
    pub fn take_label_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.labels.warnings)
    }

    /// How many labels (subtitles, choice words, notices) the last frame drew.
    pub fn labels_drawn(&self) -> usize {
        self.labels.len()
    }

    /// Draws the gathered instances, one instanced draw per mesh: the rigid meshes with the
    /// pipeline the pass has, then the skinned ones with `skinned` (the same bind groups; the
    /// joints and weights as a third vertex buffer). The shadow pass leaves out unlit meshes
    /// (skies cast no shadow) and binds no materials.
    fn draw_instances(
        &self,
        pass: &mut wgpu::RenderPass<'_>,
        shadow: bool,
        skinned: &wgpu::RenderPipeline,
    ) {
        pass.set_vertex_buffer(1, self.instances.slice(..));
        for skinned_pass in [false, true] {
            let mut switched = false;
            let mut start = 0;
            while start < self.scratch.len() {
                let mesh_idx = self.scratch[start].0;
                let end = start
                    + self.scratch[start..]
                        .iter()
                        .take_while(|(i, _)| *i == mesh_idx)
                        .count();
                let mesh = &self.meshes[&self.mesh_names[mesh_idx]];
                if !(shadow && mesh.material.unlit) && mesh.skin.is_some() == skinned_pass {
                    if let Some(skin) = &mesh.skin {
                        if !switched {
                            pass.set_pipeline(skinned);
                            switched = true;
                        }
                        pass.set_vertex_buffer(2, skin.slice(..));
                    }
                    if !shadow {
                        pass.set_bind_group(1, &mesh.material.bind_group, &[]);
                    }
                    pass.set_vertex_buffer(0, mesh.vertices.slice(..));
                    pass.set_index_buffer(mesh.indices.slice(..), wgpu::IndexFormat::Uint32);
                    pass.draw_indexed(0..mesh.count, 0, start as u32..end as u32);
                }
                start = end;
            }
        }
    }

    /// Draw calls and triangles per eye of the gathered instances (the textures' bytes are
    /// added by [`Renderer::stats`], when asked).
    fn count_draws(&self) -> FrameStats {
        let mut stats = FrameStats::default();
        let mut last = usize::MAX;
        for (i, _) in &self.scratch {
            let mesh = &self.meshes[&self.mesh_names[*i]];
            if *i != last {
                stats.draws += 1;
                last = *i;
            }
            stats.triangles += mesh.triangles;
        }
        stats
    }
}

/// The key light's shadow camera: orthographic, looking along `dir` (the
/// light's direction of travel) at the stage in front of the viewer, 16 m
/// across.
pub fn key_light_view_proj(dir: Vec3) -> Mat4 {
    let d = dir.normalize_or(Vec3::NEG_Y);
    let center = Vec3::new(0.0, 1.0, -3.0);
    let up = if d.y.abs() > 0.99 { Vec3::Z } else { Vec3::Y };
    let view = glam::camera::rh::view::look_at_mat4(center - d * 20.0, center, up);
    let proj = glam::camera::rh::proj::directx::orthographic(-8.0, 8.0, -8.0, 8.0, 0.1, 40.0);
    proj * view
}

/// Reads one eye of a target back to the CPU as tightly packed RGBA8 (sRGB).
/// For tests and offline renders; it waits for the GPU.
pub fn read_eye(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    target: &RenderTarget,
    layer: u32,
) -> Result<Vec<u8>, RenderError> {
    read_layer(device, queue, &target.color, target.size, layer, 4)
}

/// Reads one eye's depth (reversed-Z: 1 at the near plane, 0 at infinity)
/// back to the CPU, row by row. For offline renders (the refiner's reference
/// frames derive ambient occlusion from it); it waits for the GPU. The
/// target must keep its depth ([`RenderTarget::keeping_depth`]): otherwise
/// the passes discard it and there is nothing to read.
pub fn read_depth(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    target: &RenderTarget,
    layer: u32,
) -> Result<Vec<f32>, RenderError> {
    if !target.keep_depth {
        return Err(RenderError::Readback(
            "this target discards its depth after each pass; make it with RenderTarget::keeping_depth()".into(),
        ));
    }
    let bytes = read_layer(device, queue, &target.depth, target.size, layer, 4)?;
    Ok(bytemuck::pod_collect_to_vec(&bytes))
}

fn read_layer(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    texture: &wgpu::Texture,
    (w, h): (u32, u32),
    layer: u32,
    texel_bytes: u32,
) -> Result<Vec<u8>, RenderError> {
    let row = w * texel_bytes;
    let padded =
        row.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
    let buf = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size: u64::from(padded * h),
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("readback"),
    });
    enc.copy_texture_to_buffer(
        wgpu::TexelCopyTextureInfo {
            texture,
            mip_level: 0,
            origin: wgpu::Origin3d {
                x: 0,
                y: 0,
                z: layer,
            },
            aspect: wgpu::TextureAspect::All,
        },
        wgpu::TexelCopyBufferInfo {
            buffer: &buf,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(padded),
                rows_per_image: Some(h),
            },
        },
        wgpu::Extent3d {
            width: w,
            height: h,
            depth_or_array_layers: 1,
        },
    );
    queue.submit([enc.finish()]);
    let slice = buf.slice(..);
    let (tx, rx) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| RenderError::Readback(e.to_string()))?;
    rx.recv()
        .map_err(|e| RenderError::Readback(e.to_string()))?
        .map_err(|e| RenderError::Readback(e.to_string()))?;
    let data = slice
        .get_mapped_range()
        .map_err(|e| RenderError::Readback(e.to_string()))?;
    let mut out = Vec::with_capacity((row * h) as usize);
    for y in 0..h {
        let s = (y * padded) as usize;
        out.extend_from_slice(&data[s..s + row as usize]);
    }
    drop(data);
    buf.unmap();
    Ok(out)
}
