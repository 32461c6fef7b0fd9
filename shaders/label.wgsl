// Words in the world: one quad per label, textured with its typeset block
// (showrunner-text). Unlit and ungraded, so words never change with the
// director's grade; blended over the scene (premultiplied alpha) and drawn
// after it, always in view (depth is not tested). The block is straight-alpha
// sRGB; the hardware decodes it, and the fragment premultiplies.
//
// The renderer derives a multiview variant from this source, as from the scene
// shader (the camera picked by @builtin(view_index)).

struct Camera {
    view_proj: mat4x4<f32>,
    eye: vec4<f32>,
};

@group(0) @binding(0) var<uniform> camera: Camera;
@group(1) @binding(0) var words: texture_2d<f32>;
@group(1) @binding(1) var words_sampler: sampler;

struct VertexIn {
    @builtin(vertex_index) corner: u32,
    // The label's quad: unit square → world (size and anchor folded in).
    @location(0) m0: vec4<f32>,
    @location(1) m1: vec4<f32>,
    @location(2) m2: vec4<f32>,
    @location(3) m3: vec4<f32>,
};

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) uv: vec2<f32>,
};

@vertex
fn vs_label(v: VertexIn) -> VertexOut {
    // (multiview: camera for this view)
    // A triangle strip: (0,0) (1,0) (0,1) (1,1) in texture space, v down.
    let uv = vec2<f32>(f32(v.corner & 1u), f32(v.corner >> 1u));
    let model = mat4x4<f32>(v.m0, v.m1, v.m2, v.m3);
    var out: VertexOut;
    out.clip = camera.view_proj * model * vec4<f32>(uv.x - 0.5, 0.5 - uv.y, 0.0, 1.0);
    out.uv = uv;
    return out;
}

@fragment
fn fs_label(in: VertexOut) -> @location(0) vec4<f32> {
    let c = textureSample(words, words_sampler, in.uv);
    return vec4<f32>(c.rgb * c.a, c.a);
}
