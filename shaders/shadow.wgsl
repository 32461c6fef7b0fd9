// The shadow pass: scene depth as the key light sees it (orthographic),
// sampled by scene.wgsl with a comparison sampler. Vertex stage only.

struct ShadowCamera {
    light_view_proj: mat4x4<f32>,
};

@group(0) @binding(0) var<uniform> shadow: ShadowCamera;

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
