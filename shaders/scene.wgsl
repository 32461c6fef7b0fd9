// The scene shader: PBR-lite (GGX specular + Lambert diffuse) over the model's
// textures (base colour, tangent-space normal map through a cotangent frame
// from screen derivatives, metallic-roughness), lit by the room's L2
// spherical-harmonic irradiance, one directional light (the set's sun, tinted
// by the room's key light) with a shadow map and up to four lamps; unlit
// materials (skies) are drawn as their colour. Then
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
    // Lamps: (position, range), (linear colour, _) each.
    lamps: array<vec4<f32>, 8>,
    // x: lamps in use.
    lamp_count: vec4<f32>,
    // The set's height fog: linear colour (xyz), density per metre at y = 0 (w).
    fog: vec4<f32>,
    // x: metres the fog thins by e over; y: the set's clock, seconds (the sea's waves);
    // z: the lightning's light now (irradiance from the sky on an upturned white surface).
    fog_height: vec4<f32>,
};

struct MaterialParams {
    // x: 1 with a normal map; y: 1 when unlit.
    flags: vec4<f32>,
};

@group(0) @binding(0) var<uniform> camera: Camera;
@group(0) @binding(1) var<uniform> lighting: Lighting;
@group(0) @binding(2) var shadow_map: texture_depth_2d;
@group(0) @binding(3) var shadow_sampler: sampler_comparison;
// Skinned actors' joint palettes (model space → posed model space), one run per actor;
// entry 0 is the identity.
@group(0) @binding(4) var<storage, read> joints: array<mat4x4<f32>>;
@group(1) @binding(0) var base_color_tex: texture_2d<f32>;
@group(1) @binding(1) var normal_tex: texture_2d<f32>;
@group(1) @binding(2) var metallic_roughness_tex: texture_2d<f32>;
@group(1) @binding(3) var material_sampler: sampler;
@group(1) @binding(4) var<uniform> material: MaterialParams;

// The colour of lightning's light (its brightness comes with it, in fog_height.z).
const LIGHTNING: vec3<f32> = vec3<f32>(0.82, 0.88, 1.0);

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
    // Instance: model matrix columns, base colour, (metallic, roughness, speaker key, _).
    @location(2) m0: vec4<f32>,
    @location(3) m1: vec4<f32>,
    @location(4) m2: vec4<f32>,
    @location(5) m3: vec4<f32>,
    @location(6) base_color: vec4<f32>,
    @location(7) params: vec4<f32>,
    @location(8) uv: vec2<f32>,
    // Instance: linear emitted radiance.
    @location(9) emissive: vec4<f32>,
};

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) world_pos: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) base_color: vec4<f32>,
    @location(3) params: vec4<f32>,
    @location(4) eye: vec3<f32>,
    @location(5) uv: vec2<f32>,
    @location(6) emissive: vec3<f32>,
};

// A skinned vertex: up to four joints of its actor's palette and their weights; the
// instance says where the actor's palette starts.
struct SkinIn {
    @location(10) joints: vec4<u32>,
    @location(11) weights: vec4<f32>,
    @location(12) first_joint: vec4<u32>,
};

@vertex
fn vs_main(v: VertexIn) -> VertexOut {
    // (multiview: camera for this view)
    return place(v, camera, v.position, v.normal);
}

// Skinning in the vertex shader: the weighted blend of the vertex's joint matrices moves
// it (and its normal) into the pose before the model matrix places it.
@vertex
fn vs_skinned(v: VertexIn, s: SkinIn) -> VertexOut {
    // (multiview: camera for this view)
    let b = s.first_joint.x;
    let m = joints[b + s.joints.x] * s.weights.x + joints[b + s.joints.y] * s.weights.y
        + joints[b + s.joints.z] * s.weights.z + joints[b + s.joints.w] * s.weights.w;
    let p = (m * vec4<f32>(v.position, 1.0)).xyz;
    let n = (m * vec4<f32>(v.normal, 0.0)).xyz;
    return place(v, camera, p, n);
}

// The sea's swell at a point (stage metres) and time: three long waves travelling their own
// ways at deep water's speed (ω² = g k); returns (height, ∂h/∂x, ∂h/∂z) for a swell of `a`.
fn swell_at(p: vec2<f32>, t: f32, a: f32) -> vec3<f32> {
    var h = vec3<f32>(0.0);
    let dirs = array<vec2<f32>, 3>(vec2<f32>(0.8, 0.6), vec2<f32>(-0.3, 0.95), vec2<f32>(0.95, -0.3));
    let ks = array<f32, 3>(0.08, 0.15, 0.05);
    let amps = array<f32, 3>(0.5, 0.3, 0.2);
    for (var i = 0; i < 3; i++) {
        let k = ks[i];
        let phase = k * dot(dirs[i], p) - sqrt(9.81 * k) * t;
        let ai = a * amps[i];
        h += vec3<f32>(ai * sin(phase), ai * k * dirs[i].x * cos(phase), ai * k * dirs[i].y * cos(phase));
    }
    return h;
}

fn place(v: VertexIn, camera: Camera, position: vec3<f32>, normal: vec3<f32>) -> VertexOut {
    let model = mat4x4<f32>(v.m0, v.m1, v.m2, v.m3);
    var world = model * vec4<f32>(position, 1.0);
    // Normals through the inverse transpose; the models are rotation × scale,
    // so dividing by the squared scale per axis is enough.
    let sx = dot(v.m0.xyz, v.m0.xyz);
    let sy = dot(v.m1.xyz, v.m1.xyz);
    let sz = dot(v.m2.xyz, v.m2.xyz);
    var n = (model * vec4<f32>(normal.x / sx, normal.y / sy, normal.z / sz, 0.0)).xyz;
    // The sea (params.w: the set's swell) heaves.
    if (v.params.w > 0.0) {
        let w = swell_at(world.xz, lighting.fog_height.y, v.params.w);
        world.y += w.x;
        n = vec3<f32>(-w.y, 1.0, -w.z);
    }
    var out: VertexOut;
    out.clip = camera.view_proj * world;
    out.world_pos = world.xyz;
    out.normal = normalize(n);
    out.base_color = v.base_color;
    out.params = v.params;
    out.eye = camera.eye.xyz;
    out.uv = v.uv;
    out.emissive = v.emissive.xyz;
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

// The normal map's normal in world space, through the cotangent frame of the
// surface's screen-space derivatives (no stored tangents; Schüler 2013). glTF's
// +y of a normal map points up the image, against v.
fn mapped_normal(n: vec3<f32>, dp1: vec3<f32>, dp2: vec3<f32>, duv1: vec2<f32>, duv2: vec2<f32>, tn: vec3<f32>) -> vec3<f32> {
    let dp2perp = cross(dp2, n);
    let dp1perp = cross(n, dp1);
    let t = dp2perp * duv1.x + dp1perp * duv2.x;
    let b = -(dp2perp * duv1.y + dp1perp * duv2.y);
    let scale = inverseSqrt(max(max(dot(t, t), dot(b, b)), 1e-20));
    return normalize(mat3x3<f32>(t * scale, b * scale, n) * tn);
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let texel = textureSample(base_color_tex, material_sampler, in.uv);
    let tn = textureSample(normal_tex, material_sampler, in.uv).xyz * 2.0 - vec3<f32>(1.0);
    let mr = textureSample(metallic_roughness_tex, material_sampler, in.uv);
    let dp1 = dpdx(in.world_pos);
    let dp2 = dpdy(in.world_pos);
    let duv1 = dpdx(in.uv);
    let duv2 = dpdy(in.uv);
    let albedo = in.base_color.rgb * texel.rgb;
    var radiance = albedo;
    if (material.flags.y < 0.5) {
        var n = normalize(in.normal);
        if (material.flags.x > 0.5) {
            n = mapped_normal(n, dp1, dp2, duv1, duv2, tn);
        }
        let v = normalize(in.eye - in.world_pos);
        let l = normalize(-lighting.sun_dir.xyz);
        let metallic = in.params.x * mr.b;
        let roughness = clamp(in.params.y * mr.g, 0.04, 1.0);
        let f0 = mix(vec3<f32>(0.04), albedo, metallic);
        let diffuse_color = albedo * (1.0 - metallic);
        let nl = max(dot(n, l), 0.0);
        radiance = diffuse_color * sh_irradiance(n);
        // Ambient specular: the room's light in the mirror direction, by a Fresnel term
        // that fades with roughness (Karis's fit), so metals are not black.
        let nv = max(dot(n, v), 1e-4);
        let fr = f0 + (max(vec3<f32>(1.0 - roughness), f0) - f0) * pow(1.0 - nv, 5.0);
        radiance += fr * sh_irradiance(reflect(-v, n)) * (1.0 - 0.7 * roughness);
        let visible = key_light_visibility(in.world_pos, n, l);
        radiance += (diffuse_color / PI + ggx_specular(n, v, l, roughness, f0)) * lighting.sun_color.rgb * nl * visible;
        // Lamps: inverse-square with a smooth cutoff at their range.
        let count = i32(lighting.lamp_count.x);
        for (var k = 0; k < count; k++) {
            let pr = lighting.lamps[2 * k];
            let to = pr.xyz - in.world_pos;
            let d2 = max(dot(to, to), 1e-4);
            let ll = to * inverseSqrt(d2);
            let fade = clamp(1.0 - pow(d2 / (pr.w * pr.w), 2.0), 0.0, 1.0);
            let c = lighting.lamps[2 * k + 1].rgb * (fade * fade / d2);
            let nll = max(dot(n, ll), 0.0);
            radiance += (diffuse_color / PI + ggx_specular(n, v, ll, roughness, f0)) * c * nll;
        }
        // Lightning: a blue-white light from the whole sky, strongest on what faces up.
        let bolt = lighting.fog_height.z;
        if (bolt > 0.0) {
            radiance += diffuse_color * LIGHTNING * (bolt * (0.55 + 0.45 * n.y));
        }
        radiance += in.emissive;
        // The speaker's key (params.z, eased 0..1 by the scene): a soft light from the
        // viewer's side and a rim on their edges, relative to the light already on them,
        // so whoever speaks reads in any set without a change a viewer would see as a flash.
        let key = in.params.z;
        if (key > 0.0) {
            let rim = pow(1.0 - nv, 3.0);
            let front = max(dot(n, v), 0.0);
            let level = max(dot(sh_irradiance(vec3<f32>(0.0, 1.0, 0.0)), vec3<f32>(0.333)), 0.05);
            radiance += key * level * albedo * (0.35 * front + 1.2 * rim);
        }
    }

    // Height fog: denser toward the sea, thinning with height; the distance to the eye
    // through fog at the mean height of the two ends (the sky far and high stays clear, its
    // horizon hazes).
    // A strike lights the sky (unlit) and the haze as well as what stands under it.
    let strike = lighting.fog_height.z;
    if (material.flags.y >= 0.5) {
        radiance = radiance * (1.0 + 0.6 * strike) + LIGHTNING * (0.04 * strike);
    }
    if (lighting.fog.w > 0.0) {
        let d = distance(in.eye, in.world_pos);
        let h = lighting.fog_height.x;
        let y = clamp(0.5 * (in.world_pos.y + in.eye.y), -h, 50.0 * h);
        let amount = 1.0 - exp(-lighting.fog.w * exp(-y / h) * d);
        radiance = mix(radiance, lighting.fog.xyz + LIGHTNING * (0.06 * strike), amount);
    }

    // Exposure, tone map, grade.
    var c = aces(radiance * lighting.grade.x);
    let warmth = lighting.grade.y;
    c = c * vec3<f32>(1.0 + 0.12 * warmth, 1.0 + 0.02 * warmth, 1.0 - 0.12 * warmth);
    let luma = dot(c, vec3<f32>(0.2126, 0.7152, 0.0722));
    c = mix(vec3<f32>(luma), c, lighting.grade.z);
    c = (c - vec3<f32>(0.5)) * lighting.grade.w + vec3<f32>(0.5);
    return vec4<f32>(clamp(c, vec3<f32>(0.0), vec3<f32>(1.0)), 1.0);
}
