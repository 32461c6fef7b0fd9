// The desktop preview's compositor: draws one eye of the stereo target
// onto the window and lays the text overlay (straight alpha) over it.
// A single full-screen triangle; no vertex buffers.

struct Params {
    // Which layer of the eye array to show (0 = left, 1 = right).
    layer: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var eyes: texture_2d_array<f32>;
@group(0) @binding(1) var overlay: texture_2d<f32>;
@group(0) @binding(2) var samp: sampler;
@group(0) @binding(3) var<uniform> params: Params;

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
}

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> VertexOut {
    // (0,0), (2,0), (0,2) in uv: covers the screen with one triangle.
    let uv = vec2<f32>(f32((i << 1u) & 2u), f32(i & 2u));
    var out: VertexOut;
    out.position = vec4<f32>(uv.x * 2.0 - 1.0, 1.0 - uv.y * 2.0, 0.0, 1.0);
    out.uv = uv;
    return out;
}

@fragment
fn fs_main(v: VertexOut) -> @location(0) vec4<f32> {
    // Both textures are sRGB: sampling yields linear light, and the window's
    // sRGB view encodes it again, so the picture matches the headless frames.
    let scene = textureSample(eyes, samp, v.uv, params.layer).rgb;
    let text = textureSample(overlay, samp, v.uv);
    return vec4<f32>(mix(scene, text.rgb, text.a), 1.0);
}
