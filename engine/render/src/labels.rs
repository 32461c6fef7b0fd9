//! Words in the world: every entity with a [`Label`] is typeset once per change of its
//! words ([`showrunner_text::Typesetter`], at the headset's pixel density), uploaded
//! with a mip chain (so a window or a still that sees it smaller samples it down
//! cleanly), and drawn each frame as a quad in both eyes, in the same passes as the
//! scene (the multiview pass where there is one). Unlit and ungraded: words never
//! flash with the director's grade. A frame whose words are unchanged typesets and
//! uploads nothing.
//!
//! Offline renders (stills, tests) typeset in the frame that needs the words. Real-time
//! front ends set the words in the background ([`crate::Renderer::set_words_in_background`]):
//! a thread typesets and builds the mips, handing blocks back through a bounded channel,
//! and the frame thread only uploads them; the old words stay up the frame or two until
//! the new ones arrive.

use std::collections::HashMap;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};

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
        LabelLook::PanelGreyed => Look {
            ink: [150, 150, 150, 255],
            ..Look::PANEL
        },
        LabelLook::Notice => Look::NOTICE,
    }
}

/// One label's typeset block on the GPU.
struct Entry {
    text: String,
    look: LabelLook,
    /// Size in the world, metres.
    size: (f32, f32),
    /// The block's texture (kept for the next words of the same size) and its binding.
    texture: wgpu::Texture,
    bind_group: wgpu::BindGroup,
    /// The frame it was last seen in (labels not seen are dropped).
    seen: u64,
}

/// Words typeset, ready to upload: the block and its mip levels below the first.
struct Typeset {
    entity: Entity,
    text: String,
    look: LabelLook,
    block: Block,
    mips: Vec<(u32, u32, Vec<u8>)>,
}

fn typeset(setter: &mut Typesetter, entity: Entity, text: String, look: LabelLook) -> Typeset {
    let block = setter.set(&text, &look_of(look));
    let mips = mips(&block);
    Typeset {
        entity,
        text,
        look,
        block,
        mips,
    }
}

/// Where words are typeset.
enum Setter {
    /// In the frame that needs them.
    Here(Box<Typesetter>),
    /// On a thread of its own.
    Worker {
        jobs: SyncSender<(Entity, String, LabelLook)>,
        done: Receiver<Typeset>,
    },
}

/// Jobs and results a background typesetter holds at most.
const QUEUE: usize = 16;

impl Setter {
    fn worker() -> Self {
        let (jobs, rx) = sync_channel::<(Entity, String, LabelLook)>(QUEUE);
        let (tx, done) = sync_channel(QUEUE);
        // Not joined: it ends when `jobs` is dropped (its `recv` fails) or the renderer is
        // gone (its `send` fails), and a drop must not wait on a line being set.
        std::thread::Builder::new()
            .name("typesetter".into())
            .spawn(move || {
                let mut setter = Typesetter::new();
                while let Ok((e, text, look)) = rx.recv() {
                    if tx.send(typeset(&mut setter, e, text, look)).is_err() {
                        break;
                    }
                }
            })
            .map_or_else(
                |_| Self::Here(Box::default()),
                |_| Self::Worker { jobs, done },
            )
    }
}

/// The labels' pipelines, their typeset blocks and this frame's quads.
pub(crate) struct Labels {
    setter: Setter,
    /// Words sent to the background typesetter and not back yet.
    in_flight: HashMap<Entity, (String, LabelLook)>,
    pipeline: wgpu::RenderPipeline,
    multiview: Option<wgpu::RenderPipeline>,
    camera_groups: [wgpu::BindGroup; 2],
    multiview_group: Option<wgpu::BindGroup>,
    layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    entries: HashMap<Entity, Entry>,
    instances: wgpu::Buffer,
    capacity: usize,
    /// This frame's labels, in draw order.
    frame: Vec<Entity>,
    /// Their quads' matrices, as the instance buffer takes them (by `frame`'s order).
    quads: Vec<[[f32; 4]; 4]>,
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
            setter: Setter::Here(Box::default()),
            in_flight: HashMap::new(),
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
            quads: Vec::with_capacity(capacity),
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

    /// Typesets words on a thread of their own (real time) or in the frame that needs them
    /// (offline renders; the default).
    pub(crate) fn set_background(&mut self, on: bool) {
        self.setter = if on {
            Setter::worker()
        } else {
            Setter::Here(Box::default())
        };
        self.in_flight.clear();
    }

    /// Uploads words typeset for `t.entity`: into its texture when the size is the same,
    /// else a new one; says what the font could not set.
    fn install(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, t: Typeset) {
        let Typeset {
            entity: e,
            text,
            look,
            block,
            mips,
        } = t;
        if block.missing > 0 {
            self.warnings.push(format!(
                "the film's font lacks {} character(s) of \"{text}\"; they show as boxes",
                block.missing
            ));
        }
        if block.clipped {
            let what = match look {
                LabelLook::Subtitle => "subtitle",
                LabelLook::Panel | LabelLook::PanelGreyed => "choice panel",
                LabelLook::Notice => "notice",
            };
            self.warnings.push(format!(
                "\"{text}\" is too long for its {what} and was cut short"
            ));
        }
        let reuse = self.entries.get_mut(&e).filter(|x| {
            let size = x.texture.size();
            (size.width, size.height) == (block.width, block.height)
        });
        match reuse {
            Some(x) => {
                write_levels(queue, &x.texture, &block, &mips);
                x.text = text;
                x.look = look;
            }
            None => {
                let (texture, bind_group) = self.upload(device, queue, &block, &mips);
                let seen = self.entries.get(&e).map_or(0, |x| x.seen);
                self.entries.insert(
                    e,
                    Entry {
                        text,
                        look,
                        size: block.size_m(),
                        texture,
                        bind_group,
                        seen,
                    },
                );
            }
        }
    }

    /// Typesets (or has typeset) and uploads the labels whose words changed, drops those
    /// that went, and writes this frame's quads.
    pub(crate) fn prepare(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, world: &World) {
        self.count += 1;
        self.frame.clear();
        self.quads.clear();
        // Words the background typesetter finished.
        loop {
            let got = match &self.setter {
                Setter::Worker { done, .. } => done.try_recv(),
                Setter::Here(_) => Err(TryRecvError::Empty),
            };
            match got {
                Ok(t) => {
                    let this =
                        |(text, look): &(String, LabelLook)| *text == t.text && *look == t.look;
                    if self.in_flight.get(&t.entity).is_some_and(this) {
                        self.in_flight.remove(&t.entity);
                    }
                    if world.contains(t.entity) {
                        self.install(device, queue, t);
                    }
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    // The thread is gone (it panicked): set words here from now on.
                    self.setter = Setter::Here(Box::default());
                    self.in_flight.clear();
                    break;
                }
            }
        }
        for (e, label, t) in world.query::<(Entity, &Label, &Transform)>().iter() {
            let fresh = self
                .entries
                .get(&e)
                .is_some_and(|x| x.text == label.text && x.look == label.look);
            if !fresh {
                match &mut self.setter {
                    Setter::Here(setter) => {
                        let t = typeset(setter, e, label.text.clone(), label.look);
                        self.install(device, queue, t);
                    }
                    Setter::Worker { jobs, .. } => {
                        let asked = self
                            .in_flight
                            .get(&e)
                            .is_some_and(|(text, look)| *text == label.text && *look == label.look);
                        // A full queue: asked again next frame.
                        if !asked && jobs.try_send((e, label.text.clone(), label.look)).is_ok() {
                            self.in_flight.insert(e, (label.text.clone(), label.look));
                        }
                    }
                }
            }
            let Some(entry) = self.entries.get_mut(&e) else {
                continue;
            };
            entry.seen = self.count;
            let (w, h) = entry.size;
            // Subtitles hang from their top edge; the rest are centred.
            let anchor = match label.look {
                LabelLook::Subtitle => Vec3::new(0.0, -0.5 * h, 0.0),
                LabelLook::Panel | LabelLook::PanelGreyed | LabelLook::Notice => Vec3::ZERO,
            };
            let model = Mat4::from_rotation_translation(t.rotation, t.translation)
                * Mat4::from_translation(anchor)
                * Mat4::from_scale(Vec3::new(w, h, 1.0));
            self.frame.push(e);
            self.quads.push(model.to_cols_array_2d());
        }
        let now = self.count;
        self.entries.retain(|_, x| x.seen == now);
        self.in_flight.retain(|e, _| world.contains(*e));
        if self.frame.is_empty() {
            return;
        }
        if self.frame.len() > self.capacity {
            self.capacity = self.frame.len().next_power_of_two();
            self.instances = Self::instance_buffer(device, self.capacity);
        }
        queue.write_buffer(&self.instances, 0, bytemuck::cast_slice(&self.quads));
    }

    /// A block and its mip chain as a new texture, bound for drawing.
    fn upload(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        block: &Block,
        mips: &[(u32, u32, Vec<u8>)],
    ) -> (wgpu::Texture, wgpu::BindGroup) {
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("label words"),
            size: wgpu::Extent3d {
                width: block.width,
                height: block.height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1 + mips.len() as u32,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba8UnormSrgb,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        write_levels(queue, &texture, block, mips);
        let view = texture.create_view(&Default::default());
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
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
        });
        (texture, bind_group)
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
        for (k, e) in self.frame.iter().enumerate() {
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

/// How many mip levels a `width` × `height` block has: halving down to 8 texels on the
/// short side.
fn mip_levels(width: u32, height: u32) -> u32 {
    let mut n = 1;
    let (mut w, mut h) = (width, height);
    while (w / 2).min(h / 2) >= 8 {
        (w, h) = (w / 2, h / 2);
        n += 1;
    }
    n
}

/// A block's mip levels below the first, each half the one above, down to 8 texels on
/// the short side.
fn mips(block: &Block) -> Vec<(u32, u32, Vec<u8>)> {
    let mut levels: Vec<(u32, u32, Vec<u8>)> = Vec::new();
    for _ in 1..mip_levels(block.width, block.height) {
        let next = match levels.last() {
            Some((w, h, px)) => half(*w, *h, px),
            None => half(block.width, block.height, &block.rgba),
        };
        levels.push(next);
    }
    levels
}

/// Writes a block and its mip levels into `texture` (made for their sizes).
fn write_levels(
    queue: &wgpu::Queue,
    texture: &wgpu::Texture,
    block: &Block,
    mips: &[(u32, u32, Vec<u8>)],
) {
    let write = |level: u32, w: u32, h: u32, px: &[u8]| {
        queue.write_texture(
            wgpu::TexelCopyTextureInfo {
                texture,
                mip_level: level,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            px,
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(4 * w),
                rows_per_image: Some(h),
            },
            wgpu::Extent3d {
                width: w,
                height: h,
                depth_or_array_layers: 1,
            },
        );
    };
    write(0, block.width, block.height, &block.rgba);
    for (level, (w, h, px)) in mips.iter().enumerate() {
        write(level as u32 + 1, *w, *h, px);
    }
}

/// A level half the size of `px` (`w` × `h`): each texel a 2 × 2 box of the one above,
/// alpha-weighted, so a glyph's colour never bleeds into the clear around it.
fn half(w: u32, h: u32, px: &[u8]) -> (u32, u32, Vec<u8>) {
    let (nw, nh) = (w / 2, h / 2);
    let (w, nw_us) = (w as usize, nw as usize);
    let mut out = vec![0u8; nw_us * nh as usize * 4];
    for (y, row) in out.chunks_exact_mut(nw_us * 4).enumerate() {
        let top = &px[2 * y * w * 4..(2 * y + 1) * w * 4];
        let bottom = &px[(2 * y + 1) * w * 4..(2 * y + 2) * w * 4];
        for (x, o) in row.chunks_exact_mut(4).enumerate() {
            let i = 8 * x;
            let four = [
                &top[i..i + 4],
                &top[i + 4..i + 8],
                &bottom[i..i + 4],
                &bottom[i + 4..i + 8],
            ];
            let a = four.map(|t| u32::from(t[3]));
            let alpha = a[0] + a[1] + a[2] + a[3];
            for c in 0..3 {
                let v = four.map(|t| u32::from(t[c]));
                let weighted = v[0] * a[0] + v[1] * a[1] + v[2] * a[2] + v[3] * a[3];
                o[c] = weighted
                    .checked_div(alpha)
                    .unwrap_or((v[0] + v[1] + v[2] + v[3]) / 4) as u8;
            }
            o[3] = ((alpha + 2) / 4) as u8;
        }
    }
    (nw, nh, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mip_chain_halves_to_eight_texels_and_keeps_the_plate() {
        let mut t = Typesetter::new();
        let block = t.set("MARA: Cold hands.", &Look::SUBTITLE);
        let n = mip_levels(block.width, block.height);
        let (mut w, mut h, mut px) = (block.width, block.height, block.rgba.clone());
        for _ in 1..n {
            let (nw, nh, next) = half(w, h, &px);
            assert_eq!((nw, nh), (w / 2, h / 2));
            assert_eq!(next.len(), (nw * nh * 4) as usize);
            // The plate's colour survives: nothing turns clear or white mid-plate.
            let mid = (((nh / 2) * nw + 2) * 4) as usize;
            assert!(next[mid + 3] > 100 && next[mid] < 80, "{nw} x {nh}");
            (w, h, px) = (nw, nh, next);
        }
        assert!(
            w.min(h) >= 8 && (w / 2).min(h / 2) < 8,
            "down to 8 texels: {w} x {h}"
        );
    }
}
