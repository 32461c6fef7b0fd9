//! The room's light from the runtime: `XR_ANDROID_light_estimation` (Android XR headsets).
//!
//! openxr-sys has no bindings for it, so its structures are declared here from the published
//! header (`openxr/openxr_android.h`, extension 701, spec version 1) and its three functions
//! are loaded with `xrGetInstanceProcAddr`. Each frame the headset asks for the estimate at
//! the predicted display time in the stage space: the ambient spherical harmonics (the main
//! light left out, since the renderer adds its own key light) and the main directional light.
//! [`room_light`] turns them into the renderer's [`LightEstimate`] and key light.
//!
//! The coefficients are read as radiance SH in the standard real basis, in the order and
//! orientation [`Sh9`] uses (the header gives 9 × RGB and the extension's space is the
//! application's: y up, −z forward); `direction` points towards the light. No device that
//! offers the extension is at hand here: `room_light` is the one place to correct should a
//! device show another convention.

use std::ffi::{c_void, CStr};

use glam::Vec3;
use openxr as xr;
use showrunner_light::{LightEstimate, RoomLight, Sh9};
use xr::sys;

use crate::XrError;

/// The extension's name.
pub const EXTENSION: &str = "XR_ANDROID_light_estimation";

const TYPE_LIGHT_ESTIMATOR_CREATE_INFO: i32 = 1_000_700_000;
const TYPE_LIGHT_ESTIMATE_GET_INFO: i32 = 1_000_700_001;
const TYPE_LIGHT_ESTIMATE: i32 = 1_000_700_002;
const TYPE_DIRECTIONAL_LIGHT: i32 = 1_000_700_003;
const TYPE_SPHERICAL_HARMONICS: i32 = 1_000_700_004;
const STATE_VALID: i32 = 0;
/// `XR_SPHERICAL_HARMONICS_KIND_AMBIENT_ANDROID`: the room without its main light.
const KIND_AMBIENT: i32 = 1;

/// `XrLightEstimatorANDROID` (a handle: 64 bits on every platform OpenXR runs on here).
type Estimator = u64;

#[repr(C)]
struct LightEstimatorCreateInfo {
    ty: sys::StructureType,
    next: *mut c_void,
}

#[repr(C)]
struct LightEstimateGetInfo {
    ty: sys::StructureType,
    next: *mut c_void,
    space: sys::Space,
    time: sys::Time,
}

#[repr(C)]
struct LightEstimateOut {
    ty: sys::StructureType,
    next: *mut c_void,
    state: i32,
    last_updated_time: sys::Time,
}

#[repr(C)]
struct DirectionalLight {
    ty: sys::StructureType,
    next: *mut c_void,
    state: i32,
    intensity: sys::Vector3f,
    direction: sys::Vector3f,
}

#[repr(C)]
struct SphericalHarmonics {
    ty: sys::StructureType,
    next: *mut c_void,
    state: i32,
    kind: i32,
    coefficients: [[f32; 3]; 9],
}

type CreateFn = unsafe extern "system" fn(
    sys::Session,
    *const LightEstimatorCreateInfo,
    *mut Estimator,
) -> sys::Result;
type DestroyFn = unsafe extern "system" fn(Estimator) -> sys::Result;
type GetFn = unsafe extern "system" fn(
    Estimator,
    *const LightEstimateGetInfo,
    *mut LightEstimateOut,
) -> sys::Result;

/// The renderer's light from the runtime's estimate: the ambient SH (`sh`, 9 × RGB) and the
/// main light (`intensity`, linear RGB; unit `direction` towards it). Returns the estimate and
/// the key light (direction of travel, colour).
pub fn room_light(sh: &[[f32; 3]; 9], intensity: [f32; 3], direction: [f32; 3]) -> RoomLight {
    let mut s = Sh9::default();
    for (c, k) in s.0.iter_mut().zip(sh) {
        *c = Vec3::from_array(*k);
    }
    let e = LightEstimate::from_parts(s, Vec3::from_array(direction), Vec3::from_array(intensity));
    (e, e.key_light())
}

/// The runtime's light estimator, for one session.
pub struct RuntimeLight {
    handle: Estimator,
    get: GetFn,
    destroy: DestroyFn,
    last: sys::Time,
}

fn load(instance: &xr::Instance, name: &CStr) -> Result<unsafe extern "system" fn(), XrError> {
    let mut f = None;
    // SAFETY: `instance` is a live instance created with the extension enabled; the loader
    // writes a function pointer (or nothing) into `f`.
    let r = unsafe {
        (instance.entry().fp().get_instance_proc_addr)(instance.as_raw(), name.as_ptr(), &mut f)
    };
    if r != sys::Result::SUCCESS {
        return Err(XrError::from_xr("xrGetInstanceProcAddr", r));
    }
    f.ok_or_else(|| {
        XrError::from_xr(
            "xrGetInstanceProcAddr",
            sys::Result::ERROR_FUNCTION_UNSUPPORTED,
        )
    })
}

impl RuntimeLight {
    /// Creates the estimator for `session` (the instance must have enabled [`EXTENSION`]).
    pub fn new(instance: &xr::Instance, session: sys::Session) -> Result<Self, XrError> {
        let create = load(instance, c"xrCreateLightEstimatorANDROID")?;
        let get = load(instance, c"xrGetLightEstimateANDROID")?;
        let destroy = load(instance, c"xrDestroyLightEstimatorANDROID")?;
        // SAFETY: the pointers were looked up by these names, whose signatures the published
        // header gives as `CreateFn`, `GetFn` and `DestroyFn`.
        let (create, get, destroy) = unsafe {
            (
                std::mem::transmute::<unsafe extern "system" fn(), CreateFn>(create),
                std::mem::transmute::<unsafe extern "system" fn(), GetFn>(get),
                std::mem::transmute::<unsafe extern "system" fn(), DestroyFn>(destroy),
            )
        };
        let info = LightEstimatorCreateInfo {
            ty: sys::StructureType::from_raw(TYPE_LIGHT_ESTIMATOR_CREATE_INFO),
            next: std::ptr::null_mut(),
        };
        let mut handle: Estimator = 0;
        // SAFETY: `info` and `handle` outlive the call; `session` is live.
        let r = unsafe { create(session, &info, &mut handle) };
        if r != sys::Result::SUCCESS {
            return Err(XrError::from_xr("xrCreateLightEstimatorANDROID", r));
        }
        Ok(Self {
            handle,
            get,
            destroy,
            last: sys::Time::from_nanos(0),
        })
    }

    /// The estimate at `time` in `space`, when the runtime has a new valid one (`None` while it
    /// has none, or the same as last time).
    pub fn estimate(
        &mut self,
        space: sys::Space,
        time: xr::Time,
    ) -> Result<Option<RoomLight>, XrError> {
        let v0 = sys::Vector3f {
            x: 0.0,
            y: 0.0,
            z: 0.0,
        };
        let mut sh = SphericalHarmonics {
            ty: sys::StructureType::from_raw(TYPE_SPHERICAL_HARMONICS),
            next: std::ptr::null_mut(),
            state: 1,
            kind: KIND_AMBIENT,
            coefficients: [[0.0; 3]; 9],
        };
        let mut dir = DirectionalLight {
            ty: sys::StructureType::from_raw(TYPE_DIRECTIONAL_LIGHT),
            next: (&mut sh as *mut SphericalHarmonics).cast(),
            state: 1,
            intensity: v0,
            direction: v0,
        };
        let mut out = LightEstimateOut {
            ty: sys::StructureType::from_raw(TYPE_LIGHT_ESTIMATE),
            next: (&mut dir as *mut DirectionalLight).cast(),
            state: 1,
            last_updated_time: sys::Time::from_nanos(0),
        };
        let info = LightEstimateGetInfo {
            ty: sys::StructureType::from_raw(TYPE_LIGHT_ESTIMATE_GET_INFO),
            next: std::ptr::null_mut(),
            space,
            time,
        };
        // SAFETY: every structure in the output chain lives until the call returns, each with
        // its type set, as the header asks; the handle is live until `drop`.
        let r = unsafe { (self.get)(self.handle, &info, &mut out) };
        if r != sys::Result::SUCCESS {
            return Err(XrError::from_xr("xrGetLightEstimateANDROID", r));
        }
        if out.state != STATE_VALID || sh.state != STATE_VALID || out.last_updated_time == self.last
        {
            return Ok(None);
        }
        self.last = out.last_updated_time;
        let (intensity, direction) = if dir.state == STATE_VALID {
            (
                [dir.intensity.x, dir.intensity.y, dir.intensity.z],
                [dir.direction.x, dir.direction.y, dir.direction.z],
            )
        } else {
            ([0.0; 3], [0.0, 1.0, 0.0])
        };
        Ok(Some(room_light(&sh.coefficients, intensity, direction)))
    }
}

impl Drop for RuntimeLight {
    fn drop(&mut self) {
        // SAFETY: the handle was created by `new` and is destroyed once, here.
        let _ = unsafe { (self.destroy)(self.handle) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runtime_estimate_becomes_the_renderers_sh_and_key_light() {
        // A warm room: an orange uniform ambient plus a blue-ish sky gradient (more light from
        // above), and a bright sun high in front, to the right.
        let mut sh = [[0.0f32; 3]; 9];
        sh[0] = [0.9, 0.6, 0.3];
        sh[1] = [0.1, 0.15, 0.3]; // the y band: brighter above
        let sun_dir = Vec3::new(0.5, 0.8, -0.33).normalize();
        let (e, (travel, color)) = room_light(&sh, [3.0, 2.7, 2.4], sun_dir.to_array());
        // The SH is the runtime's, coefficient for coefficient.
        assert_eq!(e.sh.0[0], Vec3::new(0.9, 0.6, 0.3));
        assert_eq!(e.sh.0[1], Vec3::new(0.1, 0.15, 0.3));
        // Radiance from above is bluer and brighter than from below; the room is warm overall.
        let up = e.sh.eval(Vec3::Y);
        let down = e.sh.eval(-Vec3::Y);
        assert!(
            up.z > down.z && up.length() > down.length(),
            "{up} vs {down}"
        );
        assert!(e.sh.mean().x > e.sh.mean().z, "warm: {}", e.sh.mean());
        // The key light travels away from the sun, its colour capped at the studio's range.
        assert!((travel + sun_dir).length() < 1e-5, "{travel}");
        assert!((color.max_element() - 1.5).abs() < 1e-5, "{color}");
        assert!(
            (color.x / color.z - 3.0 / 2.4).abs() < 1e-4,
            "hue kept: {color}"
        );
        // The exposure darkens for a bright room and brightens for a dim one.
        let mut dim_room = [[0.0f32; 3]; 9];
        dim_room[0] = [0.05; 3];
        let (dim, _) = room_light(&dim_room, [0.0; 3], [0.0, 1.0, 0.0]);
        assert!(dim.exposure_ev > e.exposure_ev);
        assert!(e.exposure_ev < 0.0, "{}", e.exposure_ev);
    }

    #[test]
    fn the_declared_structures_have_the_headers_layout() {
        use std::mem::{offset_of, size_of};
        // On 64-bit targets: type (4) + padding, next (8), then the fields.
        assert_eq!(offset_of!(LightEstimateGetInfo, space), 16);
        assert_eq!(offset_of!(LightEstimateGetInfo, time), 24);
        assert_eq!(offset_of!(LightEstimateOut, last_updated_time), 24);
        assert_eq!(offset_of!(DirectionalLight, intensity), 20);
        assert_eq!(offset_of!(DirectionalLight, direction), 32);
        assert_eq!(size_of::<DirectionalLight>(), 48);
        assert_eq!(offset_of!(SphericalHarmonics, coefficients), 24);
        // 24 + 9 × 3 × 4 = 132, padded to the pointer's alignment, as C pads it.
        assert_eq!(size_of::<SphericalHarmonics>(), 136);
    }
}
