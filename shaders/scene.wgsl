// The scene shader: PBR-lite (GGX specular + Lambert diffuse), lit by the
// room's L2 spherical-harmonic irradiance plus one directional light, then
// exposure, tone mapping (ACES fit) and the director's grade. Output goes to
// an sRGB target (the hardware encodes). Depth is reversed-Z.
//
// The renderer derives a multiview variant from this source (both eyes in one
// pass, the camera picked by @builtin(view_index)); see `multiview_source`.

struct Camera {
    view_proj: mat4x4<f32>,
    eye: vec4<f32>,
};

struct Lighting {
    // Irradiance SH (already convolved with the clamped cosine and divided by π),
    // linear RGB in xyz, 9 coefficients.
    sh: array<vec4<f32>, 9>,
    // Direction the sun light travels (xyz); w: shadow penumbra in shadow-map
    // texels (0: the real-time 3×3 filter; > 0: a 7×7 filter spread that wide).
    sun_dir: vec4<f32>,
    // Linear RGB × intensity of the sun (xyz).
    sun_color: vec4<f32>,
    // x: exposure (linear multiplier), y: warmth (−1..1), z: saturation (0..2), w: contrast (0.5..1.5).
    grade: vec4<f32>,
    // World → the shadow map's clip space (orthographic, from the key light).
    light_view_proj: mat4x4<f32>,
};

@group(0) @binding(0) var<uniform> camera: Camera;
@group(0) @binding(1) var<uniform> lighting: Lighting;
@group(0) @binding(2) var shadow_map: texture_depth_2d;
@group(0) @binding(3) var shadow_sampler: sampler_comparison;

// 0 = fully in the key light's shadow, 1 = lit; 3×3 PCF in real time, 7×7
// spread over the penumbra for offline reference renders.
fn key_light_visibility(world_pos: vec3<f32>, n: vec3<f32>, l: vec3<f32>) -> f32 {
    // Normal offset against acne, scaled by how grazing the light is.
    let offset = n * (0.02 * (1.0 - max(dot(n, l), 0.0)) + 0.005);
    let p = lighting.light_view_proj * vec4<f32>(world_pos + offset, 1.0);
    let ndc = p.xyz / p.w;
    let uv = vec2<f32>(ndc.x * 0.5 + 0.5, 0.5 - ndc.y * 0.5);
    if (uv.x < 0.0 || uv.x > 1.0 || uv.y < 0.0 || uv.y > 1.0 || ndc.z > 1.0) {
        return 1.0;
    }
    let texel = 1.0 / vec2<f32>(textureDimensions(shadow_map));
    let soft = lighting.sun_dir.w;
    var r = 1;
    var step = 1.0;
    if (soft > 0.0) {
        r = 3;
        step = soft / 3.0;
    }
    var lit = 0.0;
    for (var dy = -r; dy <= r; dy++) {
        for (var dx = -r; dx <= r; dx++) {
            lit += textureSampleCompareLevel(shadow_map, shadow_sampler, uv + vec2<f32>(f32(dx), f32(dy)) * (texel * step), ndc.z - 0.001);
        }
    }
    let taps = f32((2 * r + 1) * (2 * r + 1));
    return lit / taps;
}

struct VertexIn {
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    // Instance: model matrix columns, base colour, (metallic, roughness, emissive strength, _).
    @location(2) m0: vec4<f32>,
    @location(3) m1: vec4<f32>,
    @location(4) m2: vec4<f32>,
    @location(5) m3: vec4<f32>,
    @location(6) base_color: vec4<f32>,
    @location(7) params: vec4<f32>,
};

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) world_pos: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) base_color: vec4<f32>,
    @location(3) params: vec4<f32>,
    @location(4) eye: vec3<f32>,
};

@vertex
fn vs_main(v: VertexIn) -> VertexOut {
    // (multiview: camera for this view)
    let model = mat4x4<f32>(v.m0, v.m1, v.m2, v.m3);
    let world = model * vec4<f32>(v.position, 1.0);
    // Normals through the inverse transpose; the models are rotation × scale,
    // so dividing by the squared scale per axis is enough.
    let sx = dot(v.m0.xyz, v.m0.xyz);
    let sy = dot(v.m1.xyz, v.m1.xyz);
    let sz = dot(v.m2.xyz, v.m2.xyz);
    let n = (model * vec4<f32>(v.normal.x / sx, v.normal.y / sy, v.normal.z / sz, 0.0)).xyz;
    var out: VertexOut;
    out.clip = camera.view_proj * world;
    out.world_pos = world.xyz;
    out.normal = normalize(n);
    out.base_color = v.base_color;
    out.params = v.params;
    out.eye = camera.eye.xyz;
    return out;
}

fn sh_irradiance(n: vec3<f32>) -> vec3<f32> {
    let x = n.x;
    let y = n.y;
    let z = n.z;
    var e = lighting.sh[0].xyz * 0.282095;
    e += lighting.sh[1].xyz * (0.488603 * y);
    e += lighting.sh[2].xyz * (0.488603 * z);
    e += lighting.sh[3].xyz * (0.488603 * x);
    e += lighting.sh[4].xyz * (1.092548 * x * y);
    e += lighting.sh[5].xyz * (1.092548 * y * z);
    e += lighting.sh[6].xyz * (0.315392 * (3.0 * z * z - 1.0));
    e += lighting.sh[7].xyz * (1.092548 * x * z);
    e += lighting.sh[8].xyz * (0.546274 * (x * x - y * y));
    return max(e, vec3<f32>(0.0));
}

const PI: f32 = 3.14159265;

fn ggx_specular(n: vec3<f32>, v: vec3<f32>, l: vec3<f32>, roughness: f32, f0: vec3<f32>) -> vec3<f32> {
    let h = normalize(v + l);
    let a = max(roughness * roughness, 0.002);
    let a2 = a * a;
    let nh = max(dot(n, h), 0.0);
    let nv = max(dot(n, v), 1e-4);
    let nl = max(dot(n, l), 1e-4);
    let d = a2 / (PI * pow(nh * nh * (a2 - 1.0) + 1.0, 2.0));
    let k = a * 0.5;
    let g = (nv / (nv * (1.0 - k) + k)) * (nl / (nl * (1.0 - k) + k));
    let f = f0 + (vec3<f32>(1.0) - f0) * pow(1.0 - max(dot(v, h), 0.0), 5.0);
    return d * g * f / (4.0 * nv * nl);
}

fn aces(x: vec3<f32>) -> vec3<f32> {
    // Narkowicz's fit of the ACES filmic curve.
    return clamp((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), vec3<f32>(0.0), vec3<f32>(1.0));
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let n = normalize(in.normal);
    let v = normalize(in.eye - in.world_pos);
    let l = normalize(-lighting.sun_dir.xyz);
    let metallic = in.params.x;
    let roughness = clamp(in.params.y, 0.04, 1.0);
    let albedo = in.base_color.rgb;
    let f0 = mix(vec3<f32>(0.04), albedo, metallic);
    let diffuse_color = albedo * (1.0 - metallic);
    let nl = max(dot(n, l), 0.0);
    var radiance = diffuse_color * sh_irradiance(n);
    let visible = key_light_visibility(in.world_pos, n, l);
    radiance += (diffuse_color / PI + ggx_specular(n, v, l, roughness, f0)) * lighting.sun_color.rgb * nl * visible;
    radiance += albedo * in.params.z;

    // Exposure, tone map, grade.
    var c = aces(radiance * lighting.grade.x);
    let warmth = lighting.grade.y;
    c = c * vec3<f32>(1.0 + 0.12 * warmth, 1.0 + 0.02 * warmth, 1.0 - 0.12 * warmth);
    let luma = dot(c, vec3<f32>(0.2126, 0.7152, 0.0722));
    c = mix(vec3<f32>(luma), c, lighting.grade.z);
    c = (c - vec3<f32>(0.5)) * lighting.grade.w + vec3<f32>(0.5);
    return vec4<f32>(clamp(c, vec3<f32>(0.0), vec3<f32>(1.0)), 1.0);
}
