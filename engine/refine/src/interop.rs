//! Pixels between the renderer's eye textures and burn tensors, on the GPU
//! (`shaders/refine_io.wgsl`): a compute pass writes a region of an eye into
//! the storage buffer burn allocated for a tensor, and a render pass blends a
//! refined tensor back over that region with a soft edge. Nothing goes
//! through the CPU.
//!
//! Ordering on the shared queue is what makes this safe: burn's pending work
//! is flushed before our pass is submitted, and burn's later kernels are
//! submitted after it.

use burn::backend::wgpu::{AutoCompiler, CubeTensor};
use burn::backend::Wgpu;
use burn::cubecl::wgpu::WgpuServer;
use burn::tensor::{Device, Tensor};

use crate::RefineError;

/// The WGSL of the moves (validated by naga in the tests).
pub const REFINE_IO_WGSL: &str = include_str!("../../../shaders/refine_io.wgsl");

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Region {
    origin: [u32; 2],
    size: [u32; 2],
    layer: u32,
    stride_c: u32,
    stride_y: u32,
    stride_x: u32,
    eye: [f32; 2],
    feather: f32,
    opacity: f32,
    guide_scale: f32,
    focal: f32,
    pad: [f32; 2],
}

/// A region of an eye: top-left corner and size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width (a multiple of 8 for the network).
    pub w: u32,
    /// Height (a multiple of 8).
    pub h: u32,
}

impl Rect {
    /// A `size` × `size` square around `centre`, kept inside an eye of `eye` pixels.
    pub fn around(centre: (f32, f32), size: u32, eye: (u32, u32)) -> Self {
        let size = size.min(eye.0).min(eye.1) / 8 * 8;
        let clampi = |c: f32, max: u32| {
            ((c - size as f32 / 2.0).round().max(0.0) as u32).min(max.saturating_sub(size))
        };
        Self {
            x: clampi(centre.0, eye.0),
            y: clampi(centre.1, eye.1),
            w: size,
            h: size,
        }
    }
}

/// The GPU passes between the renderer's textures and burn's tensors.
pub struct Interop {
    to_tensor: wgpu::ComputePipeline,
    to_guide: wgpu::ComputePipeline,
    to_occlusion: wgpu::ComputePipeline,
    blur_occlusion: wgpu::ComputePipeline,
    guide_layout: wgpu::BindGroupLayout,
    /// `to_occlusion`'s unblurred output, [`MAX_GUIDE_PIXELS`] floats.
    occlusion_raw: wgpu::Buffer,
    blend: wgpu::RenderPipeline,
    compute_layout: wgpu::BindGroupLayout,
    blend_layout: wgpu::BindGroupLayout,
    tensor_layout: wgpu::BindGroupLayout,
    region: wgpu::Buffer,
}

type Server = WgpuServer<AutoCompiler>;

/// The largest region [`Interop::depth_to_guide`] takes, pixels (512 × 512).
pub const MAX_GUIDE_PIXELS: u32 = 512 * 512;

fn cube(t: &Tensor<4>) -> Result<CubeTensor, RefineError> {
    t.clone()
        .try_into_primitive::<Wgpu>()
        .map_err(|e| RefineError::Device(format!("not a wgpu tensor: {e:?}")))
}

fn strides(c: &CubeTensor) -> Result<[u32; 3], RefineError> {
    let s = c.meta.strides();
    if s.len() != 4 {
        return Err(RefineError::Device("expected a 4-D tensor".into()));
    }
    Ok([s[1] as u32, s[2] as u32, s[3] as u32])
}

impl Interop {
    /// Builds the passes for eyes of `color_format` (the renderer's).
    pub fn new(device: &wgpu::Device, color_format: wgpu::TextureFormat) -> Self {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("refine_io.wgsl"),
            source: wgpu::ShaderSource::Wgsl(REFINE_IO_WGSL.into()),
        });
        let uniform = |vis| wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: vis,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let storage = |binding, read_only, vis| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: vis,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let compute_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("refine to_tensor"),
            entries: &[
                uniform(wgpu::ShaderStages::COMPUTE),
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: false },
                        view_dimension: wgpu::TextureViewDimension::D2Array,
                        multisampled: false,
                    },
                    count: None,
                },
                storage(2, false, wgpu::ShaderStages::COMPUTE),
            ],
        });
        let guide_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("refine to_guide"),
            entries: &[
                uniform(wgpu::ShaderStages::COMPUTE),
                storage(2, false, wgpu::ShaderStages::COMPUTE),
                storage(4, false, wgpu::ShaderStages::COMPUTE),
                wgpu::BindGroupLayoutEntry {
                    binding: 3,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Depth,
                        view_dimension: wgpu::TextureViewDimension::D2Array,
                        multisampled: false,
                    },
                    count: None,
                },
            ],
        });
        let blend_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("refine blend"),
            entries: &[uniform(wgpu::ShaderStages::VERTEX_FRAGMENT)],
        });
        let tensor_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("refine tensor"),
            entries: &[storage(0, true, wgpu::ShaderStages::FRAGMENT)],
        });
        let to_tensor = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("refine to_tensor"),
            layout: Some(
                &device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                    label: Some("refine to_tensor"),
                    bind_group_layouts: &[Some(&compute_layout)],
                    immediate_size: 0,
                }),
            ),
            module: &module,
            entry_point: Some("to_tensor"),
            compilation_options: Default::default(),
            cache: None,
        });
        let guide_pipeline = |entry: &'static str| {
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: Some(
                    &device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                        label: Some(entry),
                        bind_group_layouts: &[Some(&guide_layout)],
                        immediate_size: 0,
                    }),
                ),
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            })
        };
        let to_guide = guide_pipeline("to_guide");
        let to_occlusion = guide_pipeline("to_occlusion");
        let blur_occlusion = guide_pipeline("blur_occlusion");
        let blend = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("refine blend"),
            layout: Some(
                &device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                    label: Some("refine blend"),
                    bind_group_layouts: &[Some(&blend_layout), Some(&tensor_layout)],
                    immediate_size: 0,
                }),
            ),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_blend"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_blend"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format: color_format,
                    blend: Some(wgpu::BlendState::ALPHA_BLENDING),
                    write_mask: wgpu::ColorWrites::COLOR,
                })],
            }),
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            multiview_mask: None,
            cache: None,
        });
        let region = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("refine region"),
            size: size_of::<Region>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let occlusion_raw = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("refine occlusion"),
            size: u64::from(MAX_GUIDE_PIXELS) * 4,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        Self {
            to_tensor,
            to_guide,
            to_occlusion,
            blur_occlusion,
            guide_layout,
            occlusion_raw,
            blend,
            compute_layout,
            blend_layout,
            tensor_layout,
            region,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn write_region(
        &self,
        queue: &wgpu::Queue,
        rect: Rect,
        layer: u32,
        st: [u32; 3],
        eye: (u32, u32),
        feather: f32,
        opacity: f32,
        guide: (f32, f32),
    ) {
        queue.write_buffer(
            &self.region,
            0,
            bytemuck::bytes_of(&Region {
                origin: [rect.x, rect.y],
                size: [rect.w, rect.h],
                layer,
                stride_c: st[0],
                stride_y: st[1],
                stride_x: st[2],
                eye: [eye.0 as f32, eye.1 as f32],
                feather,
                opacity,
                guide_scale: guide.0,
                focal: guide.1,
                pad: [0.0; 2],
            }),
        );
    }

    /// A `[1, 3, h, w]` tensor on `burn` holding region `rect` of eye
    /// `layer` of `eyes` (a 2-layer colour array), sRGB-encoded 0..1.
    pub fn texture_to_tensor(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        eyes: &wgpu::Texture,
        layer: u32,
        rect: Rect,
        burn: &Device,
    ) -> Result<Tensor<4>, RefineError> {
        let t = Tensor::<4>::empty([1, 3, rect.h as usize, rect.w as usize], burn);
        let c = cube(&t)?;
        let st = strides(&c)?;
        let res = c
            .client
            .get_resource::<Server>(c.handle.clone())
            .map_err(|e| RefineError::Device(format!("tensor buffer: {e:?}")))?;
        burn.flush()
            .map_err(|e| RefineError::Device(format!("flush: {e:?}")))?;
        let size = (eyes.width(), eyes.height());
        self.write_region(queue, rect, layer, st, size, 0.0, 1.0, (0.0, 0.0));
        let view = eyes.create_view(&wgpu::TextureViewDescriptor {
            dimension: Some(wgpu::TextureViewDimension::D2Array),
            ..Default::default()
        });
        let bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("refine to_tensor"),
            layout: &self.compute_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: self.region.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(&view),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: res.resource().as_wgpu_bind_resource(),
                },
            ],
        });
        let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("refine to_tensor"),
        });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("refine to_tensor"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.to_tensor);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups(rect.w.div_ceil(8), rect.h.div_ceil(8), 1);
        }
        queue.submit([enc.finish()]);
        drop(res);
        Ok(t)
    }

    /// A `[1, GUIDE_CHANNELS, h, w]` tensor on `burn` holding the network's
    /// guide for region `rect` of eye `layer` of `depths` (a 2-layer depth
    /// array in the renderer's reversed-Z, with `TEXTURE_BINDING` usage,
    /// whose pass stored it), whose focal length is `focal_px` pixels:
    /// channel 0 is each value times `scale` ([`crate::disparity_scale`]),
    /// clamped to 0..16 — [`crate::disparity`] on the GPU; channel 1 the
    /// ambient occlusion of that region ([`crate::guide_occlusion`] on the
    /// GPU). The region may be at most [`MAX_GUIDE_PIXELS`].
    #[allow(clippy::too_many_arguments)]
    pub fn depth_to_guide(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        depths: &wgpu::Texture,
        layer: u32,
        rect: Rect,
        scale: f32,
        focal_px: f32,
        burn: &Device,
    ) -> Result<Tensor<4>, RefineError> {
        if rect.w * rect.h > MAX_GUIDE_PIXELS {
            return Err(RefineError::Device(format!(
                "a {} × {} region is larger than the refiner's guide takes (512 × 512)",
                rect.w, rect.h
            )));
        }
        if !depths
            .usage()
            .contains(wgpu::TextureUsages::TEXTURE_BINDING)
        {
            return Err(RefineError::Device(
                "the eyes' depth cannot be read by a shader (no TEXTURE_BINDING usage)".into(),
            ));
        }
        let t = Tensor::<4>::empty(
            [1, crate::GUIDE_CHANNELS, rect.h as usize, rect.w as usize],
            burn,
        );
        let c = cube(&t)?;
        let st = strides(&c)?;
        let res = c
            .client
            .get_resource::<Server>(c.handle.clone())
            .map_err(|e| RefineError::Device(format!("tensor buffer: {e:?}")))?;
        burn.flush()
            .map_err(|e| RefineError::Device(format!("flush: {e:?}")))?;
        let size = (depths.width(), depths.height());
        self.write_region(queue, rect, layer, st, size, 0.0, 1.0, (scale, focal_px));
        let view = depths.create_view(&wgpu::TextureViewDescriptor {
            dimension: Some(wgpu::TextureViewDimension::D2Array),
            aspect: wgpu::TextureAspect::DepthOnly,
            ..Default::default()
        });
        let bind = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("refine to_guide"),
            layout: &self.guide_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: self.region.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: res.resource().as_wgpu_bind_resource(),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: wgpu::BindingResource::TextureView(&view),
                },
                wgpu::BindGroupEntry {
                    binding: 4,
                    resource: self.occlusion_raw.as_entire_binding(),
                },
            ],
        });
        let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("refine to_guide"),
        });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("refine to_guide"),
                timestamp_writes: None,
            });
            pass.set_bind_group(0, &bind, &[]);
            // Passes in one compute pass are ordered: the blur reads what
            // `to_occlusion` wrote.
            for pipeline in [&self.to_guide, &self.to_occlusion, &self.blur_occlusion] {
                pass.set_pipeline(pipeline);
                pass.dispatch_workgroups(rect.w.div_ceil(8), rect.h.div_ceil(8), 1);
            }
        }
        queue.submit([enc.finish()]);
        drop(res);
        Ok(t)
    }

    /// Blends `tensor` (`[1, 3, h, w]`, sRGB-encoded 0..1) over region `rect`
    /// of the eye `view` (one layer of the colour target) with a soft edge of
    /// `feather` (fraction of the region) at `opacity`.
    #[allow(clippy::too_many_arguments)]
    pub fn tensor_to_texture(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        tensor: &Tensor<4>,
        view: &wgpu::TextureView,
        eye: (u32, u32),
        rect: Rect,
        feather: f32,
        opacity: f32,
        burn: &Device,
    ) -> Result<(), RefineError> {
        let c = cube(tensor)?;
        let st = strides(&c)?;
        let res = c
            .client
            .get_resource::<Server>(c.handle.clone())
            .map_err(|e| RefineError::Device(format!("tensor buffer: {e:?}")))?;
        burn.flush()
            .map_err(|e| RefineError::Device(format!("flush: {e:?}")))?;
        self.write_region(queue, rect, 0, st, eye, feather, opacity, (0.0, 0.0));
        let region = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("refine blend"),
            layout: &self.blend_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: self.region.as_entire_binding(),
            }],
        });
        let data = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("refine tensor"),
            layout: &self.tensor_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: res.resource().as_wgpu_bind_resource(),
            }],
        });
        let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("refine blend"),
        });
        {
            let mut pass = enc.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("refine blend"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Load,
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            pass.set_pipeline(&self.blend);
            pass.set_bind_group(0, &region, &[]);
            pass.set_bind_group(1, &data, &[]);
            pass.draw(0..6, 0..1);
        }
        queue.submit([enc.finish()]);
        drop(res);
        Ok(())
    }
}
