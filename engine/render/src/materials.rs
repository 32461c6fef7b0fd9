//! Models' materials on the GPU: each model's base colour, normal and metallic-roughness
//! textures (uploaded once per image however many models share it, with their mips) and its
//! flags, as the scene shader's group 1. Untextured models bind one-texel defaults, which
//! leave the instance's factors exactly as they are.

use std::collections::HashMap;
use std::sync::Arc;

use showrunner_assets::{Image, ModelMaterial};
use wgpu::util::DeviceExt;

/// The scene shader's `MaterialParams`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    /// x: normal map on (1) or off (0); y: unlit (1); zw: unused.
    flags: [f32; 4],
}

/// One model's material, bound.
pub(crate) struct GpuMaterial {
    pub bind_group: wgpu::BindGroup,
    /// Unlit (skies): drawn as their colour, left out of the shadow map.
    pub unlit: bool,
}

/// The texture store and the layout models' materials bind with.
pub(crate) struct Materials {
    pub layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    /// Uploaded images by content key, with the bytes each holds on the GPU.
    textures: HashMap<u64, (wgpu::TextureView, usize)>,
    white: Arc<Image>,
    flat: Arc<Image>,
}

impl Materials {
    pub fn new(device: &wgpu::Device) -> Self {
        let tex = |binding| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Texture {
                sample_type: wgpu::TextureSampleType::Float { filterable: true },
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("material"),
            entries: &[
                tex(0),
                tex(1),
                tex(2),
                wgpu::BindGroupLayoutEntry {
                    binding: 3,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 4,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
            ],
        });
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("material"),
            address_mode_u: wgpu::AddressMode::Repeat,
            address_mode_v: wgpu::AddressMode::Repeat,
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            mipmap_filter: wgpu::MipmapFilterMode::Linear,
            // Trilinear only: lavapipe's anisotropic filter blurs more than it sharpens (a
            // checker magnified 10× loses half its contrast), and the goldens are made there.
            anisotropy_clamp: 1,
            ..Default::default()
        });
        Self {
            layout,
            sampler,
            textures: HashMap::new(),
            white: Arc::new(Image::solid([255; 4], true)),
            flat: Arc::new(Image::solid([128, 128, 255, 255], false)),
        }
    }

    /// Bytes the uploaded textures take on the GPU (mips included).
    pub fn texture_bytes(&self) -> usize {
        self.textures.values().map(|t| t.1).sum()
    }

    fn view(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        img: &Image,
    ) -> wgpu::TextureView {
        let key = img.key();
        if let Some((v, _)) = self.textures.get(&key) {
            return v.clone();
        }
        let chain = img.mip_chain();
        let format = if img.color {
            wgpu::TextureFormat::Rgba8UnormSrgb
        } else {
            wgpu::TextureFormat::Rgba8Unorm
        };
        let data: Vec<u8> = chain
            .iter()
            .flat_map(|(_, _, t)| t.iter().copied())
            .collect();
        let texture = device.create_texture_with_data(
            queue,
            &wgpu::TextureDescriptor {
                label: Some("material texture"),
                size: wgpu::Extent3d {
                    width: img.width,
                    height: img.height,
                    depth_or_array_layers: 1,
                },
                mip_level_count: chain.len() as u32,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
                view_formats: &[],
            },
            wgpu::util::TextureDataOrder::MipMajor,
            &data,
        );
        let view = texture.create_view(&Default::default());
        self.textures.insert(key, (view.clone(), data.len()));
        view
    }

    /// Uploads what `material` samples (images already up are reused) and binds it.
    pub fn bind(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        material: &ModelMaterial,
    ) -> GpuMaterial {
        let base = material
            .base_color
            .clone()
            .unwrap_or_else(|| self.white.clone());
        let normal = material.normal.clone().unwrap_or_else(|| self.flat.clone());
        let mr = material
            .metallic_roughness
            .clone()
            .unwrap_or_else(|| Arc::new(Image::solid([255; 4], false)));
        let views = [
            self.view(device, queue, &base),
            self.view(device, queue, &normal),
            self.view(device, queue, &mr),
        ];
        let params = Params {
            flags: [
                f32::from(u8::from(material.normal.is_some())),
                f32::from(u8::from(material.unlit)),
                0.0,
                0.0,
            ],
        };
        let buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("material params"),
            contents: bytemuck::bytes_of(&params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("material"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&views[0]),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(&views[1]),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::TextureView(&views[2]),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: wgpu::BindingResource::Sampler(&self.sampler),
                },
                wgpu::BindGroupEntry {
                    binding: 4,
                    resource: buffer.as_entire_binding(),
                },
            ],
        });
        GpuMaterial {
            bind_group,
            unlit: material.unlit,
        }
    }
}
