// The refiner's texture <-> tensor moves, on the GPU (no copy through the CPU).
//
// `to_tensor` (compute): a region of one eye of the stereo colour target
// → a [1, 3, h, w] f32 tensor in burn's storage buffer, sRGB-encoded 0..1
// (what the training PNGs hold).
// `to_guide` (compute): the same region of the eye's depth (reversed-Z,
// `near / distance`) → channel 0 of a [1, 2, h, w] guide tensor, disparity
// (`depth × guide_scale`, clamped to 0..16; see `showrunner_refine::disparity`).
// `to_occlusion` + `blur_occlusion` (compute): ambient occlusion from that
// disparity → channel 1 (`showrunner_refine::guide_occlusion`, line for line).
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
    // The eye's focal length, pixels (`to_occlusion`).
    focal: f32,
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

// Ambient occlusion (see `showrunner_refine::occlusion`): constants shared
// with the CPU version.
const AO_RADIUS: f32 = 0.4;
const AO_RANGE: f32 = 0.6;
const AO_STRENGTH: f32 = 0.7;
const GUIDE_PIXELS: f32 = 128.0;

@group(0) @binding(4) var<storage, read_write> occlusion_raw: array<f32>;

// The disparity of region pixel `q`, or 0 outside the region (like the CPU
// version, which sees only the region).
fn guide_at(q: vec2<i32>) -> f32 {
    if q.x < 0 || q.y < 0 || q.x >= i32(region.size.x) || q.y >= i32(region.size.y) {
        return 0.0;
    }
    let z = textureLoad(depths, vec2<i32>(region.origin) + q, i32(region.layer), 0);
    return clamp(z * region.guide_scale, 0.0, 16.0);
}

@compute @workgroup_size(8, 8, 1)
fn to_occlusion(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= region.size.x || id.y >= region.size.y {
        return;
    }
    let i = id.y * region.size.x + id.x;
    let d = guide_at(vec2<i32>(id.xy));
    if d <= 1e-6 {
        occlusion_raw[i] = 1.0;
        return;
    }
    let near = region.focal / GUIDE_PIXELS;
    let z = near / d;
    let max_r = max(f32(max(region.size.x, region.size.y) / 16u), 2.0);
    let r = clamp(AO_RADIUS * region.focal / z, 2.0, max_r);
    let ign = fract(52.982918 * fract(0.06711056 * f32(id.x) + 0.00583715 * f32(id.y)));
    let sector = 3.14159265 / 8.0;
    var occ = 0.0;
    for (var k = 0; k < 8; k++) {
        let angle = (f32(k) + ign) * sector;
        for (var j = 0; j < 2; j++) {
            let scale = select(1.0, 0.5 + 0.25 * ign, j == 0);
            let o = vec2<i32>(round(vec2<f32>(cos(angle), sin(angle)) * r * scale));
            let a = guide_at(vec2<i32>(id.xy) + o);
            let b = guide_at(vec2<i32>(id.xy) - o);
            if a <= 1e-6 || b <= 1e-6 {
                continue;
            }
            if abs(near / a - z) > AO_RANGE || abs(near / b - z) > AO_RANGE {
                continue;
            }
            let behind = z - near / (0.5 * (a + b));
            occ += smoothstep(0.01, 0.15, behind);
        }
    }
    occlusion_raw[i] = 1.0 - AO_STRENGTH * occ / 16.0;
}

// The 5 × 5 box blur of `to_occlusion`'s output, edges clamped, into the
// guide's second channel.
@compute @workgroup_size(8, 8, 1)
fn blur_occlusion(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= region.size.x || id.y >= region.size.y {
        return;
    }
    let last = vec2<i32>(region.size) - vec2<i32>(1, 1);
    var sum = 0.0;
    for (var dy = -2; dy <= 2; dy++) {
        for (var dx = -2; dx <= 2; dx++) {
            let q = clamp(vec2<i32>(id.xy) + vec2<i32>(dx, dy), vec2<i32>(0, 0), last);
            sum += occlusion_raw[u32(q.y) * region.size.x + u32(q.x)];
        }
    }
    tensor_out[region.stride_c + id.y * region.stride_y + id.x * region.stride_x] = sum / 25.0;
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
