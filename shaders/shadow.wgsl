// The shadow pass: scene depth as the key light sees it (orthographic),
// sampled by scene.wgsl with a comparison sampler. Vertex stage only.

struct ShadowCamera {
    light_view_proj: mat4x4<f32>,
};

@group(0) @binding(0) var<uniform> shadow: ShadowCamera;
// Skinned actors' joint palettes, as in scene.wgsl.
@group(0) @binding(1) var<storage, read> joints: array<mat4x4<f32>>;

struct VertexIn {
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) m0: vec4<f32>,
    @location(3) m1: vec4<f32>,
    @location(4) m2: vec4<f32>,
    @location(5) m3: vec4<f32>,
    @location(6) base_color: vec4<f32>,
    @location(7) params: vec4<f32>,
};

@vertex
fn vs_shadow(v: VertexIn) -> @builtin(position) vec4<f32> {
    let model = mat4x4<f32>(v.m0, v.m1, v.m2, v.m3);
    return shadow.light_view_proj * model * vec4<f32>(v.position, 1.0);
}

struct SkinIn {
    @location(10) joints: vec4<u32>,
    @location(11) weights: vec4<f32>,
    @location(12) first_joint: vec4<u32>,
};

@vertex
fn vs_shadow_skinned(v: VertexIn, s: SkinIn) -> @builtin(position) vec4<f32> {
    let model = mat4x4<f32>(v.m0, v.m1, v.m2, v.m3);
    let b = s.first_joint.x;
    let m = joints[b + s.joints.x] * s.weights.x + joints[b + s.joints.y] * s.weights.y
        + joints[b + s.joints.z] * s.weights.z + joints[b + s.joints.w] * s.weights.w;
    return shadow.light_view_proj * model * m * vec4<f32>(v.position, 1.0);
}
