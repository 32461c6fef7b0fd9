//! Words in the world: every entity with a [`Label`] is typeset once per change of its
//! words ([`showrunner_text::Typesetter`], at the headset's pixel density), uploaded
//! with a mip chain (so a window or a still that sees it smaller samples it down
//! cleanly), and drawn each frame as a quad in both eyes, in the same passes as the
//! scene (the multiview pass where there is one). Unlit and ungraded: words never
//! flash with the director's grade. A frame whose words are unchanged typesets and
//! uploads nothing.

use std::collections::HashMap;

use glam::{Mat4, Vec3};
use showrunner_scene::components::{Label, LabelLook, Transform};
use showrunner_scene::hecs::{Entity, World};
use showrunner_text::{Block, Look, Typesetter};

use crate::shaders::{multiview_of, LABEL_WGSL};
use crate::DEPTH_FORMAT;

/// The typography of each kind of label.
pub fn look_of(look: LabelLook) -> Look {
    match look {
        LabelLook::Subtitle => Look::SUBTITLE,
        LabelLook::Panel => Look::PANEL,
        LabelLook::Notice => Look::NOTICE,
    }
}

/// One label's typeset block on the GPU.
struct Entry {
    text: String,
    look: LabelLook,
    /// Size in the world, metres.
    size: (f32, f32),
    bind_group: wgpu::BindGroup,
    /// The frame it was last seen in (labels not seen are dropped).
    seen: u64,
}

/// What typesetting found wrong with a label's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelWarning(pub String);

/// The labels' pipelines, their typeset blocks and this frame's quads.
pub(crate) struct Labels {
    typesetter: Typesetter,
    pipeline: wgpu::RenderPipeline,
    multiview: Option<wgpu::RenderPipeline>,
    camera_groups: [wgpu::BindGroup; 2],
    multiview_group: Option<wgpu::BindGroup>,
    layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    entries: HashMap<Entity, Entry>,
    instances: wgpu::Buffer,
    capacity: usize,
    /// This frame's labels, in draw order: (entity, model matrix).
    frame: Vec<(Entity, [[f32; 4]; 4])>,
    data: Vec<[[f32; 4]; 4]>,
    count: u64,
    /// Words the font could not fully set (for the caller to say once).
    pub warnings: Vec<String>,
}

impl Labels {
    /// Pipelines for the renderer's colour format, reading the renderer's per-eye camera
    /// buffers (and both, for the multiview pass).
    pub(crate) fn new(
        device: &wgpu::Device,
        color: wgpu::TextureFormat,
        cameras: &[wgpu::Buffer; 2],
        both: Option<&wgpu::Buffer>,
    ) -> Self {
        let camera_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("label camera"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::VERTEX,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            }],
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("label words"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: true },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
            ],
        });
        let camera_group = |buffer: &wgpu::Buffer| {
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("label camera"),
                layout: &camera_layout,
                entries: &[wgpu::BindGroupEntry {
                    binding: 0,
                    resource: buffer.as_entire_binding(),
                }],
            })
        };
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("labels"),
            bind_group_layouts: &[Some(&camera_layout), Some(&layout)],
            immediate_size: 0,
        });
        let attrs = wgpu::vertex_attr_array![0 => Float32x4, 1 => Float32x4, 2 => Float32x4, 3 => Float32x4];
        let pipeline = |source: &str, mask: Option<std::num::NonZeroU32>| {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("label.wgsl"),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(if mask.is_some() {
                    "labels (multiview)"
                } else {
                    "labels"
                }),
                layout: Some(&pipeline_layout),
                vertex: wgpu::VertexState {
                    module: &module,
                    entry_point: Some("vs_label"),
                    compilation_options: Default::default(),
                    buffers: &[Some(wgpu::VertexBufferLayout {
                        array_stride: size_of::<[[f32; 4]; 4]>() as u64,
                        step_mode: wgpu::VertexStepMode::Instance,
                        attributes: &attrs,
                    })],
                },
                primitive: wgpu::PrimitiveState {
                    topology: wgpu::PrimitiveTopology::TriangleStrip,
                    cull_mode: None,
                    ..Default::default()
                },
                // Always in view, never hiding what is drawn after.
                depth_stencil: Some(wgpu::DepthStencilState {
                    format: DEPTH_FORMAT,
                    depth_write_enabled: Some(false),
                    depth_compare: Some(wgpu::CompareFunction::Always),
                    stencil: Default::default(),
                    bias: Default::default(),
                }),
                multisample: Default::default(),
                fragment: Some(wgpu::FragmentState {
                    module: &module,
                    entry_point: Some("fs_label"),
                    compilation_options: Default::default(),
                    targets: &[Some(wgpu::ColorTargetState {
                        format: color,
                        blend: Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
                        write_mask: wgpu::ColorWrites::ALL,
                    })],
                }),
                multiview_mask: mask,
                cache: None,
            })
        };
        let capacity = 16;
        Self {
            typesetter: Typesetter::new(),
            pipeline: pipeline(LABEL_WGSL, None),
            multiview: both
                .map(|_| pipeline(&multiview_of(LABEL_WGSL), std::num::NonZeroU32::new(0b11))),
            camera_groups: [camera_group(&cameras[0]), camera_group(&cameras[1])],
            multiview_group: both.map(camera_group),
            layout,
            sampler: device.create_sampler(&wgpu::SamplerDescriptor {
                label: Some("label words"),
                mag_filter: wgpu::FilterMode::Linear,
                min_filter: wgpu::FilterMode::Linear,
                mipmap_filter: wgpu::MipmapFilterMode::Linear,
                anisotropy_clamp: 4,
                ..Default::default()
            }),
            entries: HashMap::new(),
            instances: Self::instance_buffer(device, capacity),
            capacity,
            frame: Vec::with_capacity(capacity),
            data: Vec::with_capacity(capacity),
            count: 0,
            warnings: Vec::new(),
        }
    }

    fn instance_buffer(device: &wgpu::Device, capacity: usize) -> wgpu::Buffer {
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("label quads"),
            size: (capacity * size_of::<[[f32; 4]; 4]>()) as u64,
            usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// Typesets and uploads the labels whose words changed, drops those that went, and
    /// writes this frame's quads.
    pub(crate) fn prepare(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, world: &World) {
        self.count += 1;
        self.frame.clear();
        for (e, label, t) in world.query::<(Entity, &Label, &Transform)>().iter() {
            let fresh = self
                .entries
                .get(&e)
                .is_some_and(|x| x.text == label.text && x.look == label.look);
            if !fresh {
                let block = self.typesetter.set(&label.text, &look_of(label.look));
                if block.missing > 0 {
                    self.warnings.push(format!(
                        "the film's font lacks {} character(s) of \"{}\"; they show as boxes",
                        block.missing, label.text
                    ));
                }
                if block.clipped {
                    self.warnings.push(format!(
                        "\"{}\" is too long for its {} and was cut short",
                        label.text,
                        match label.look {
                            LabelLook::Subtitle => "subtitle",
                            LabelLook::Panel => "choice panel",
                            LabelLook::Notice => "notice",
                        }
                    ));
                }
                let bind_group = self.upload(device, queue, &block);
                self.entries.insert(
                    e,
                    Entry {
                        text: label.text.clone(),
                        look: label.look,
                        size: block.size_m(),
                        bind_group,
                        seen: 0,
                    },
                );
            }
            let Some(entry) = self.entries.get_mut(&e) else {
                continue;
            };
            entry.seen = self.count;
            let (w, h) = entry.size;
            // Subtitles hang from their top edge; the rest are centred.
            let anchor = match label.look {
                LabelLook::Subtitle => Vec3::new(0.0, -0.5 * h, 0.0),
                LabelLook::Panel | LabelLook::Notice => Vec3::ZERO,
            };
            let model = Mat4::from_rotation_translation(t.rotation, t.translation)
                * Mat4::from_translation(anchor)
                * Mat4::from_scale(Vec3::new(w, h, 1.0));
            self.frame.push((e, model.to_cols_array_2d()));
        }
        let now = self.count;
        self.entries.retain(|_, x| x.seen == now);
        if self.frame.is_empty() {
            return;
        }
        if self.frame.len() > self.capacity {
            self.capacity = self.frame.len().next_power_of_two();
            self.instances = Self::instance_buffer(device, self.capacity);
        }
        self.data.clear();
        self.data.extend(self.frame.iter().map(|(_, m)| *m));
        queue.write_buffer(&self.instances, 0, bytemuck::cast_slice(&self.data));
    }

    /// A block and its mip chain as a texture, bound for drawing.
    fn upload(&self, device: &wgpu::Device, queue: &wgpu::Queue, block: &Block) -> wgpu::BindGroup {
        let levels = mip_chain(block);
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("label words"),
            size: wgpu::Extent3d {
                width: block.width,
                height: block.height,
                depth_or_array_layers: 1,
            },
            mip_level_count: levels.len() as u32,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba8UnormSrgb,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        for (level, (w, h, px)) in levels.iter().enumerate() {
            queue.write_texture(
                wgpu::TexelCopyTextureInfo {
                    texture: &texture,
                    mip_level: level as u32,
                    origin: wgpu::Origin3d::ZERO,
                    aspect: wgpu::TextureAspect::All,
                },
                px,
                wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(4 * w),
                    rows_per_image: Some(*h),
                },
                wgpu::Extent3d {
                    width: *w,
                    height: *h,
                    depth_or_array_layers: 1,
                },
            );
        }
        let view = texture.create_view(&Default::default());
        device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("label words"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&view),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::Sampler(&self.sampler),
                },
            ],
        })
    }

    /// Draws this frame's labels into an eye pass (`layer`), or the multiview pass (`None`).
    pub(crate) fn draw(&self, pass: &mut wgpu::RenderPass<'_>, layer: Option<u32>) {
        if self.frame.is_empty() {
            return;
        }
        match (layer, &self.multiview, &self.multiview_group) {
            (Some(l), _, _) => {
                pass.set_pipeline(&self.pipeline);
                pass.set_bind_group(0, &self.camera_groups[l.min(1) as usize], &[]);
            }
            (None, Some(p), Some(g)) => {
                pass.set_pipeline(p);
                pass.set_bind_group(0, g, &[]);
            }
            _ => return,
        }
        pass.set_vertex_buffer(0, self.instances.slice(..));
        for (k, (e, _)) in self.frame.iter().enumerate() {
            if let Some(entry) = self.entries.get(e) {
                pass.set_bind_group(1, &entry.bind_group, &[]);
                pass.draw(0..4, k as u32..k as u32 + 1);
            }
        }
    }

    /// Labels drawn this frame.
    pub(crate) fn len(&self) -> usize {
        self.frame.len()
    }
}

/// A block's mip chain, full size first, each level a 2 × 2 box of the one above
/// (alpha-weighted, so a glyph's colour never bleeds into the clear around it), down
/// to 8 texels on the short side.
fn mip_chain(block: &Block) -> Vec<(u32, u32, Vec<u8>)> {
    let mut levels = vec![(block.width, block.height, block.rgba.clone())];
    loop {
        let (w, h, px) = levels.last().expect("one level at least");
        let (nw, nh) = (w / 2, h / 2);
        if nw.min(nh) < 8 {
            break;
        }
        let mut out = Vec::with_capacity((nw * nh * 4) as usize);
        for y in 0..nh {
            for x in 0..nw {
                let texel = |dx: u32, dy: u32| {
                    let i = (((2 * y + dy) * w + 2 * x + dx) * 4) as usize;
                    &px[i..i + 4]
                };
                let four = [texel(0, 0), texel(1, 0), texel(0, 1), texel(1, 1)];
                let alpha: u32 = four.iter().map(|t| u32::from(t[3])).sum();
                for c in 0..3 {
                    let weighted = four
                        .iter()
                        .map(|t| u32::from(t[c]) * u32::from(t[3]))
                        .sum::<u32>();
                    let v = weighted
                        .checked_div(alpha)
                        .unwrap_or_else(|| four.iter().map(|t| u32::from(t[c])).sum::<u32>() / 4);
                    out.push(v as u8);
                }
                out.push(((alpha + 2) / 4) as u8);
            }
        }
        levels.push((nw, nh, out));
    }
    levels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mip_chain_halves_to_eight_texels_and_keeps_the_ink() {
        let mut t = Typesetter::new();
        let block = t.set("MARA: Cold hands.", &Look::SUBTITLE);
        let levels = mip_chain(&block);
        assert_eq!((levels[0].0, levels[0].1), (block.width, block.height));
        for pair in levels.windows(2) {
            assert_eq!((pair[1].0, pair[1].1), (pair[0].0 / 2, pair[0].1 / 2));
            assert_eq!(pair[1].2.len(), (pair[1].0 * pair[1].1 * 4) as usize);
        }
        let (_, last_h, _) = levels.last().unwrap();
        assert!(*last_h >= 8);
        // The plate's colour (dark) survives at every level; nothing turns white or black.
        for (w, h, px) in &levels {
            let mid = (((h / 2) * w + 2) * 4) as usize;
            assert!(px[mid + 3] > 100, "{w} x {h}: the plate is there");
        }
    }
}
