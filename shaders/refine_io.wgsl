// The refiner's texture <-> tensor moves, on the GPU (no copy through the CPU).
//
// `to_tensor` (compute): a region of one eye of the stereo colour target
// → a [1, 3, h, w] f32 tensor in burn's storage buffer, sRGB-encoded 0..1
// (what the training PNGs hold).
// `to_guide` (compute): the same region of the eye's depth (reversed-Z,
// `near / distance`) → a [1, 1, h, w] tensor of the depth guide, disparity
// (`depth × guide_scale`, clamped to 0..16; see `showrunner_refine::disparity`).
// `vs_blend`/`fs_blend` (render): the refined tensor → the same region of the
// eye, blended with a soft edge so the refined fovea melts into the frame.

struct Region {
    // Top-left corner of the region in the eye, pixels.
    origin: vec2<u32>,
    // Region size, pixels (the tensor's h and w).
    size: vec2<u32>,
    // Eye (array layer).
    layer: u32,
    // Element strides of the tensor's channel, row and column dimensions.
    stride_c: u32,
    stride_y: u32,
    stride_x: u32,
    // Eye size in pixels (for the blend quad).
    eye: vec2<f32>,
    // Soft-edge width as a fraction of the region (0..0.5), and overall opacity.
    feather: f32,
    opacity: f32,
    // Depth-buffer value → depth guide (`to_guide`).
    guide_scale: f32,
    _pad0: f32,
    _pad1: f32,
    _pad2: f32,
}

@group(0) @binding(0) var<uniform> region: Region;

fn to_srgb(c: f32) -> f32 {
    if c <= 0.0031308 {
        return c * 12.92;
    }
    return 1.055 * pow(c, 1.0 / 2.4) - 0.055;
}

fn to_linear(c: f32) -> f32 {
    if c <= 0.04045 {
        return c / 12.92;
    }
    return pow((c + 0.055) / 1.055, 2.4);
}

@group(0) @binding(1) var eyes: texture_2d_array<f32>;
@group(0) @binding(2) var<storage, read_write> tensor_out: array<f32>;

@compute @workgroup_size(8, 8, 1)
fn to_tensor(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= region.size.x || id.y >= region.size.y {
        return;
    }
    let p = vec2<i32>(region.origin + id.xy);
    // The eye texture is sRGB: loads come back linear; the tensor holds encoded values.
    let c = textureLoad(eyes, p, i32(region.layer), 0);
    let base = id.y * region.stride_y + id.x * region.stride_x;
    tensor_out[base] = to_srgb(c.r);
    tensor_out[base + region.stride_c] = to_srgb(c.g);
    tensor_out[base + 2u * region.stride_c] = to_srgb(c.b);
}

@group(0) @binding(3) var depths: texture_depth_2d_array;

@compute @workgroup_size(8, 8, 1)
fn to_guide(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= region.size.x || id.y >= region.size.y {
        return;
    }
    let p = vec2<i32>(region.origin + id.xy);
    let z = textureLoad(depths, p, i32(region.layer), 0);
    tensor_out[id.y * region.stride_y + id.x * region.stride_x] = clamp(z * region.guide_scale, 0.0, 16.0);
}

@group(1) @binding(0) var<storage, read> tensor_in: array<f32>;

struct BlendOut {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
}

@vertex
fn vs_blend(@builtin(vertex_index) i: u32) -> BlendOut {
    // Two triangles covering the region, in the eye's clip space.
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(0.0, 0.0), vec2<f32>(1.0, 0.0), vec2<f32>(0.0, 1.0),
        vec2<f32>(0.0, 1.0), vec2<f32>(1.0, 0.0), vec2<f32>(1.0, 1.0),
    );
    let uv = corners[i];
    let px = vec2<f32>(region.origin) + uv * vec2<f32>(region.size);
    let ndc = vec2<f32>(px.x / region.eye.x * 2.0 - 1.0, 1.0 - px.y / region.eye.y * 2.0);
    var out: BlendOut;
    out.position = vec4<f32>(ndc, 0.0, 1.0);
    out.uv = uv;
    return out;
}

@fragment
fn fs_blend(v: BlendOut) -> @location(0) vec4<f32> {
    let xy = min(vec2<u32>(v.uv * vec2<f32>(region.size)), region.size - vec2<u32>(1u, 1u));
    let base = xy.y * region.stride_y + xy.x * region.stride_x;
    let rgb = vec3<f32>(
        to_linear(clamp(tensor_in[base], 0.0, 1.0)),
        to_linear(clamp(tensor_in[base + region.stride_c], 0.0, 1.0)),
        to_linear(clamp(tensor_in[base + 2u * region.stride_c], 0.0, 1.0)),
    );
    // Soft edge: full weight inside, fading to 0 over `feather` at the border.
    let d = min(v.uv, vec2<f32>(1.0) - v.uv);
    let f = max(region.feather, 1e-4);
    let a = smoothstep(0.0, f, d.x) * smoothstep(0.0, f, d.y) * region.opacity;
    return vec4<f32>(rgb, a);
}
