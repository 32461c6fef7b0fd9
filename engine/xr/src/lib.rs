//! Showrunner on OpenXR: any conformant runtime (Quest, SteamVR, Monado,
//! WiVRn) hosts it.
//!
//! [`Xr::new`] makes the instance with the extensions it can get (Vulkan
//! through `XR_KHR_vulkan_enable2` only; depth layers, eye gaze, hand
//! interaction and passthrough where offered), builds wgpu 30 on the
//! runtime's Vulkan device ([`vulkan`]), creates the session, a 2-layer
//! colour swapchain (and a depth one for `XR_KHR_composition_layer_depth`)
//! wrapped as wgpu textures, and the input actions ([`input`]).
//!
//! The front end drives one frame at a time (the frame loop belongs to the
//! app, which owns the scene and the story):
//!
//! ```text
//! poll() → wait_frame() → input() → [update the show] → begin_frame()
//!        → locate_views() (as late as possible) → acquire() → render + submit
//!        → end_frame()
//! ```
//!
//! When the runtime says not to render, `end_frame` submits no layers and
//! no swapchain image is acquired. Every session state is handled in
//! [`Xr::poll`]; a lost instance (the runtime died) surfaces as an error for
//! which [`XrError::is_lost`] is true: drop the `Xr` and make a new one when
//! the runtime is back. [`telemetry`] records where each frame's time goes.

pub mod input;
pub mod light;
pub mod telemetry;
pub mod vulkan;

use glam::{Mat4, Quat, Vec3};
use openxr as xr;
use showrunner_render::{EyeView, RenderTarget, COLOR_FORMAT, DEPTH_FORMAT};

pub use input::Input;
pub use openxr;
pub use telemetry::{FrameTimes, Telemetry};

/// Near plane of the eye projections, metres (reversed-Z, infinite far).
pub const NEAR: f32 = 0.05;

/// Why XR is not available or stopped.
#[derive(Debug, thiserror::Error)]
pub enum XrError {
    /// No OpenXR loader library on this system.
    #[error("no OpenXR loader ({0}); {hint}", hint = NO_LOADER_HINT)]
    NoLoader(String),
    /// The loader found no runtime, or the runtime refused the instance.
    #[error("no OpenXR runtime answered ({0}); {hint}", hint = NO_RUNTIME_HINT)]
    NoRuntime(String),
    /// The runtime has no headset connected.
    #[error("the OpenXR runtime has no headset ({0})")]
    NoHeadset(String),
    /// The runtime cannot give Vulkan the way wgpu needs it.
    #[error("the OpenXR runtime does not offer XR_KHR_vulkan_enable2, which Showrunner needs (the older XR_KHR_vulkan_enable path is not supported)")]
    NoVulkanEnable2,
    /// Vulkan or wgpu on the runtime's device failed.
    #[error("Vulkan: {0}")]
    Vulkan(String),
    /// No swapchain format the renderer can draw into.
    #[error("the runtime offers no swapchain format the renderer draws into (it needs R8G8B8A8_SRGB); offered: {0}")]
    Format(String),
    /// The instance or session is gone (the runtime stopped or crashed).
    #[error("the OpenXR runtime went away ({0})")]
    Lost(String),
    /// Any other failed call.
    #[error("{call} failed: {result}")]
    Call {
        /// The OpenXR function.
        call: String,
        /// What it returned.
        result: xr::sys::Result,
    },
}

impl XrError {
    /// Maps a failed call, recognising the results that mean "runtime gone".
    pub fn from_xr(call: &str, result: xr::sys::Result) -> Self {
        use xr::sys::Result as R;
        match result {
            R::ERROR_INSTANCE_LOST
            | R::ERROR_SESSION_LOST
            | R::ERROR_RUNTIME_FAILURE
            | R::ERROR_RUNTIME_UNAVAILABLE => Self::Lost(format!("{call}: {result}")),
            _ => Self::Call {
                call: call.to_owned(),
                result,
            },
        }
    }

    /// The runtime went away: tear down and try again later.
    pub fn is_lost(&self) -> bool {
        matches!(self, Self::Lost(_))
    }
}

#[cfg(not(target_os = "android"))]
const NO_LOADER_HINT: &str = "install one (Debian: libopenxr-loader1) or use the desktop window";
#[cfg(target_os = "android")]
const NO_LOADER_HINT: &str =
    "the APK lacks lib/arm64-v8a/libopenxr_loader.so: build it with android/build.sh, which packs the Khronos loader";
#[cfg(not(target_os = "android"))]
const NO_RUNTIME_HINT: &str = "start one (e.g. monado-service) or use the desktop window";
#[cfg(target_os = "android")]
const NO_RUNTIME_HINT: &str = "this device has no OpenXR runtime broker (a Quest on Horizon OS v62 or later, or an Android XR headset, has one; a phone has none)";

/// On Android: the process's `JavaVM` and the activity, as addresses, given once by the native
/// activity before any OpenXR call ([`use_android_activity`]).
#[cfg(target_os = "android")]
static ANDROID_ACTIVITY: std::sync::OnceLock<(usize, usize)> = std::sync::OnceLock::new();

/// On Android, the loader is initialised and the instance made with the process's `JavaVM` and
/// the activity that drives the session (`XR_KHR_loader_init_android`,
/// `XR_KHR_android_create_instance`): the native activity gives them here, once, before the
/// first [`runtime_present`] or [`Xr::new`].
///
/// # Safety
/// `java_vm` must be the process's `JavaVM*` and `activity` a JNI global reference to the
/// `android.app.Activity`, both valid for the rest of the process.
#[cfg(target_os = "android")]
pub unsafe fn use_android_activity(
    java_vm: *mut std::ffi::c_void,
    activity: *mut std::ffi::c_void,
) {
    let _ = ANDROID_ACTIVITY.set((java_vm as usize, activity as usize));
}

/// What the loader and the instance are made with: nothing on a desktop.
#[cfg(not(target_os = "android"))]
fn platform() -> Result<(), XrError> {
    Ok(())
}

/// What the loader and the instance are made with: the `JavaVM` and the activity on Android.
#[cfg(target_os = "android")]
fn platform() -> Result<xr::AndroidPlatformInfo, XrError> {
    let (vm, activity) = ANDROID_ACTIVITY.get().ok_or_else(|| {
        XrError::NoLoader(
            "the native activity gave no JavaVM and activity (use_android_activity)".into(),
        )
    })?;
    // SAFETY: use_android_activity's caller vouched that both stay valid for the process.
    Ok(unsafe { xr::AndroidPlatformInfo::new(*vm as *mut _, *activity as *mut _) })
}

/// The OpenXR loader, initialised for this platform.
#[allow(clippy::let_unit_value)] // the platform is `()` except on Android
fn entry() -> Result<xr::Entry, XrError> {
    let platform = platform()?;
    // SAFETY: loads the system's OpenXR loader library (on Android the APK's
    // libopenxr_loader.so), which runs its initialisation.
    unsafe { xr::Entry::load(&platform) }.map_err(|e| XrError::NoLoader(e.to_string()))
}

/// The room as the headset's cameras see it, as a layer under the film (`XR_FB_passthrough`).
struct RoomLayer {
    /// Declared first: the layer goes before the passthrough it shows.
    layer: xr::PassthroughLayerFB,
    _passthrough: xr::Passthrough,
}

impl RoomLayer {
    fn new(session: &xr::Session<xr::Vulkan>) -> Result<Self, XrError> {
        // Both made running: openxr 0.22's Passthrough::start calls xrPassthroughPauseFB.
        let running = xr::PassthroughFlagsFB::IS_RUNNING_AT_CREATION;
        let passthrough = session
            .create_passthrough(running)
            .map_err(|e| XrError::from_xr("xrCreatePassthroughFB", e))?;
        let layer = session
            .create_passthrough_layer(
                &passthrough,
                running,
                xr::PassthroughLayerPurposeFB::RECONSTRUCTION,
            )
            .map_err(|e| XrError::from_xr("xrCreatePassthroughLayerFB", e))?;
        Ok(Self {
            layer,
            _passthrough: passthrough,
        })
    }
}

/// How the film meets the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blend {
    /// The film fills the view.
    Opaque,
    /// The room behind the film: the runtime's ALPHA_BLEND mode, or on a Quest a passthrough
    /// layer (`XR_FB_passthrough`) under the film's.
    AlphaBlend,
    /// An optical see-through display adds light.
    Additive,
}

/// What this runtime gave us.
#[derive(Debug, Clone)]
pub struct Features {
    /// Runtime name and version.
    pub runtime: String,
    /// The headset.
    pub system: String,
    /// Depth submitted with `XR_KHR_composition_layer_depth`.
    pub depth_layer: bool,
    /// `XR_EXT_eye_gaze_interaction` enabled.
    pub eye_gaze: bool,
    /// `XR_EXT_hand_interaction` enabled.
    pub hand_interaction: bool,
    /// `XR_FB_passthrough` offered (used where the runtime has no ALPHA_BLEND mode).
    pub fb_passthrough: bool,
    /// `XR_ANDROID_light_estimation` offered and enabled: [`Xr::room_light`] reads it.
    pub light_estimation: bool,
    /// The environment blend mode in use.
    pub blend: Blend,
    /// Interaction profiles the runtime accepted bindings for.
    pub profiles: Vec<String>,
    /// Per-eye swapchain size.
    pub size: (u32, u32),
    /// The GPU.
    pub adapter: String,
}

/// Options for [`Xr::new`].
#[derive(Debug, Clone, Default)]
pub struct XrOptions {
    /// Make swapchain images copyable, for [`Xr::read_back`] (tests).
    pub readback: bool,
    /// Do not use the depth layer even where offered.
    pub no_depth_layer: bool,
}

/// Where the session stands, after [`Xr::poll`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not running: no frames (wait a little and poll again).
    Idle,
    /// Frames should be run; `focused` when input is ours.
    Running {
        /// The session is FOCUSED.
        focused: bool,
    },
    /// The session is over (EXITING): quit.
    Exit,
}

/// The name of a session state, as logs print it.
pub fn state_name(s: xr::SessionState) -> &'static str {
    match s {
        xr::SessionState::IDLE => "IDLE",
        xr::SessionState::READY => "READY",
        xr::SessionState::SYNCHRONIZED => "SYNCHRONIZED",
        xr::SessionState::VISIBLE => "VISIBLE",
        xr::SessionState::FOCUSED => "FOCUSED",
        xr::SessionState::STOPPING => "STOPPING",
        xr::SessionState::LOSS_PENDING => "LOSS_PENDING",
        xr::SessionState::EXITING => "EXITING",
        _ => "UNKNOWN",
    }
}

/// The extensions the probe's instance asks for: on Android, the one that makes an instance
/// there at all.
fn probe_extensions() -> xr::ExtensionSet {
    #[allow(unused_mut)]
    let mut exts = xr::ExtensionSet::default();
    #[cfg(target_os = "android")]
    {
        exts.khr_android_create_instance = true;
    }
    exts
}

/// Whether an OpenXR loader and runtime answer here (cheap enough for
/// choosing between the headset and the desktop window at start).
pub fn runtime_present() -> Result<String, XrError> {
    let entry = entry()?;
    let exts = entry
        .enumerate_extensions()
        .map_err(|e| XrError::NoRuntime(e.to_string()))?;
    if !exts.khr_vulkan_enable2 {
        return Err(XrError::NoVulkanEnable2);
    }
    let instance = entry
        .create_instance(
            &xr::ApplicationInfo {
                application_name: "showrunner-probe",
                engine_name: "showrunner",
                ..Default::default()
            },
            &probe_extensions(),
            &[],
            &platform()?,
        )
        .map_err(|e| XrError::NoRuntime(e.to_string()))?;
    let p = instance
        .properties()
        .map_err(|e| XrError::NoRuntime(e.to_string()))?;
    instance
        .system(xr::FormFactor::HEAD_MOUNTED_DISPLAY)
        .map_err(|e| XrError::NoHeadset(e.to_string()))?;
    Ok(format!("{} {}", p.runtime_name, p.runtime_version))
}

/// The view of a located XR eye: pose in stage space and asymmetric FOV.
pub fn eye_view(view: &xr::View) -> EyeView {
    let (position, orientation) = input::pose(view.pose);
    let f = view.fov;
    let (l, r, u, d) = (
        f.angle_left.tan(),
        f.angle_right.tan(),
        f.angle_up.tan(),
        f.angle_down.tan(),
    );
    // Asymmetric frustum, wgpu clip space (y up, depth 0..1), reversed-Z,
    // infinite far plane: depth = NEAR / distance.
    let projection = Mat4::from_cols(
        glam::Vec4::new(2.0 / (r - l), 0.0, 0.0, 0.0),
        glam::Vec4::new(0.0, 2.0 / (u - d), 0.0, 0.0),
        glam::Vec4::new((r + l) / (r - l), (u + d) / (u - d), 0.0, -1.0),
        glam::Vec4::new(0.0, 0.0, NEAR, 0.0),
    );
    EyeView {
        position,
        view: Mat4::from_rotation_translation(orientation, position).inverse(),
        projection,
    }
}

/// An OpenXR session with wgpu on its Vulkan device. Field order is drop
/// order: textures, swapchains, spaces and actions, the session, the GPU,
/// then the instance.
pub struct Xr {
    /// The room under the film on a runtime that shows it only through `XR_FB_passthrough`
    /// (first, so that it goes before the session).
    room_layer: Option<RoomLayer>,
    color_images: Vec<wgpu::Texture>,
    depth_images: Vec<wgpu::Texture>,
    own_depth: wgpu::Texture,
    color: xr::Swapchain<xr::Vulkan>,
    depth: Option<xr::Swapchain<xr::Vulkan>>,
    actions: input::Actions,
    /// The runtime's light estimator (`XR_ANDROID_light_estimation`), made on first use.
    runtime_light: Option<light::RuntimeLight>,
    stage: xr::Space,
    base_space: (xr::ReferenceSpaceType, xr::Posef),
    view_space: xr::Space,
    frame_stream: xr::FrameStream<xr::Vulkan>,
    frame_waiter: xr::FrameWaiter,
    session: xr::Session<xr::Vulkan>,
    gpu: vulkan::XrGpu,
    instance: xr::Instance,
    system: xr::SystemId,
    blend_mode: xr::EnvironmentBlendMode,
    clock: bool,
    state: xr::SessionState,
    running: bool,
    views: Vec<xr::View>,
    acquired: Option<usize>,
    /// Store each frame's depth even without a depth layer (the refiner
    /// reads it); see [`Xr::keep_depth`].
    keep_depth: bool,
    /// What the runtime gave.
    pub features: Features,
    /// Every state the session went through, in order (for logs and tests).
    pub states: Vec<&'static str>,
}

impl Xr {
    /// Connects to the runtime and makes the session (see the crate docs).
    pub fn new(opts: &XrOptions) -> Result<Self, XrError> {
        let entry = entry()?;
        let avail = entry
            .enumerate_extensions()
            .map_err(|e| XrError::NoRuntime(e.to_string()))?;
        if !avail.khr_vulkan_enable2 {
            return Err(XrError::NoVulkanEnable2);
        }
        let mut exts = xr::ExtensionSet::default();
        exts.khr_vulkan_enable2 = true;
        exts.khr_composition_layer_depth =
            avail.khr_composition_layer_depth && !opts.no_depth_layer;
        exts.ext_eye_gaze_interaction = avail.ext_eye_gaze_interaction;
        exts.ext_hand_interaction = avail.ext_hand_interaction;
        exts.fb_passthrough = avail.fb_passthrough;
        exts.khr_convert_timespec_time = avail.khr_convert_timespec_time;
        #[cfg(target_os = "android")]
        {
            exts.khr_android_create_instance = avail.khr_android_create_instance;
        }
        let light_name = b"XR_ANDROID_light_estimation\0";
        let light_estimation = avail.other.iter().any(|n| n.as_slice() == light_name);
        if light_estimation {
            exts.other.push(light::EXTENSION.as_bytes().to_vec());
        }
        let instance = entry
            .create_instance(
                &xr::ApplicationInfo {
                    application_name: "showrunner",
                    application_version: 1,
                    engine_name: "showrunner",
                    engine_version: 1,
                    api_version: xr::Version::new(1, 0, 0),
                },
                &exts,
                &[],
                &platform()?,
            )
            .map_err(|e| XrError::NoRuntime(e.to_string()))?;
        let props = instance
            .properties()
            .map_err(|e| XrError::from_xr("xrGetInstanceProperties", e))?;
        let system = instance
            .system(xr::FormFactor::HEAD_MOUNTED_DISPLAY)
            .map_err(|e| XrError::NoHeadset(e.to_string()))?;
        let sys_props = instance
            .system_properties(system)
            .map_err(|e| XrError::from_xr("xrGetSystemProperties", e))?;
        let vct = xr::ViewConfigurationType::PRIMARY_STEREO;
        let blends = instance
            .enumerate_environment_blend_modes(system, vct)
            .map_err(|e| XrError::from_xr("xrEnumerateEnvironmentBlendModes", e))?;
        // Passthrough behind the film where the runtime composites it;
        // otherwise the runtime's first (preferred) mode.
        let blend_mode = if blends.contains(&xr::EnvironmentBlendMode::ALPHA_BLEND) {
            xr::EnvironmentBlendMode::ALPHA_BLEND
        } else {
            blends
                .first()
                .copied()
                .unwrap_or(xr::EnvironmentBlendMode::OPAQUE)
        };
        let mut blend = match blend_mode {
            xr::EnvironmentBlendMode::ALPHA_BLEND => Blend::AlphaBlend,
            xr::EnvironmentBlendMode::ADDITIVE => Blend::Additive,
            _ => Blend::Opaque,
        };
        let view_configs = instance
            .enumerate_view_configuration_views(system, vct)
            .map_err(|e| XrError::from_xr("xrEnumerateViewConfigurationViews", e))?;
        let first = view_configs
            .first()
            .ok_or_else(|| XrError::Vulkan("the runtime reports no views".into()))?;
        let size = (
            first.recommended_image_rect_width,
            first.recommended_image_rect_height,
        );

        let gpu = vulkan::create(&instance, system, wgpu::Features::MULTIVIEW)?;
        // SAFETY: the handles are the runtime's own, alive in `gpu`.
        let (session, frame_waiter, frame_stream) = unsafe {
            instance.create_session::<xr::Vulkan>(
                system,
                &xr::vulkan::SessionCreateInfo {
                    instance: gpu.raw_instance,
                    physical_device: gpu.raw_physical_device,
                    device: gpu.raw_device,
                    queue_family_index: gpu.queue_family,
                    queue_index: 0,
                },
            )
        }
        .map_err(|e| XrError::from_xr("xrCreateSession", e))?;

        let formats = session
            .enumerate_swapchain_formats()
            .map_err(|e| XrError::from_xr("xrEnumerateSwapchainFormats", e))?;
        let want = vulkan::vk_format(COLOR_FORMAT).expect("a known format");
        if !formats.contains(&want) {
            let offered: Vec<String> = formats.iter().map(|f| vulkan::format_name(*f)).collect();
            return Err(XrError::Format(offered.join(", ")));
        }
        let mut usage =
            xr::SwapchainUsageFlags::COLOR_ATTACHMENT | xr::SwapchainUsageFlags::SAMPLED;
        let mut wgpu_usage =
            wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING;
        if opts.readback {
            usage |= xr::SwapchainUsageFlags::TRANSFER_SRC;
            wgpu_usage |= wgpu::TextureUsages::COPY_SRC;
        }
        let sc_info = |format, usage_flags| xr::SwapchainCreateInfo {
            create_flags: xr::SwapchainCreateFlags::EMPTY,
            usage_flags,
            format,
            sample_count: 1,
            width: size.0,
            height: size.1,
            face_count: 1,
            array_size: 2,
            mip_count: 1,
        };
        let color = session
            .create_swapchain(&sc_info(want, usage))
            .map_err(|e| XrError::from_xr("xrCreateSwapchain (colour)", e))?;
        let color_images = color
            .enumerate_images()
            .map_err(|e| XrError::from_xr("xrEnumerateSwapchainImages", e))?
            .into_iter()
            .map(|img| {
                vulkan::wrap_image(
                    &gpu.device,
                    img,
                    COLOR_FORMAT,
                    size,
                    wgpu_usage,
                    "xr colour",
                )
            })
            .collect();
        let depth_format = vulkan::vk_format(DEPTH_FORMAT).expect("a known format");
        // Sampled too where the runtime allows it: the refiner reads the
        // depth as its guide.
        let depth_attach = xr::SwapchainUsageFlags::DEPTH_STENCIL_ATTACHMENT;
        let depth = if exts.khr_composition_layer_depth && formats.contains(&depth_format) {
            session
                .create_swapchain(&sc_info(
                    depth_format,
                    depth_attach | xr::SwapchainUsageFlags::SAMPLED,
                ))
                .map(|sc| (sc, true))
                .or_else(|_| {
                    session
                        .create_swapchain(&sc_info(depth_format, depth_attach))
                        .map(|sc| (sc, false))
                })
                .ok()
        } else {
            None
        };
        let depth_sampled = matches!(depth, Some((_, true)));
        let depth = depth.map(|(sc, _)| sc);
        let depth_images = match &depth {
            Some(sc) => sc
                .enumerate_images()
                .map_err(|e| XrError::from_xr("xrEnumerateSwapchainImages (depth)", e))?
                .into_iter()
                .map(|img| {
                    vulkan::wrap_image(
                        &gpu.device,
                        img,
                        DEPTH_FORMAT,
                        size,
                        if depth_sampled {
                            wgpu::TextureUsages::RENDER_ATTACHMENT
                                | wgpu::TextureUsages::TEXTURE_BINDING
                        } else {
                            wgpu::TextureUsages::RENDER_ATTACHMENT
                        },
                        "xr depth",
                    )
                })
                .collect(),
            None => Vec::new(),
        };
        // Depth for frames when there is no depth swapchain.
        let own_size = if depth.is_none() { size } else { (1, 1) };
        let own_depth = RenderTarget::new(&gpu.device, own_size.0, own_size.1).depth;

        let (mut actions, profiles) = input::Actions::new(
            &instance,
            exts.ext_hand_interaction,
            exts.ext_eye_gaze_interaction,
        )?;
        actions.attach(&session)?;
        let spaces = session
            .enumerate_reference_spaces()
            .map_err(|e| XrError::from_xr("xrEnumerateReferenceSpaces", e))?;
        // The seat is the origin on the floor: STAGE where there is one,
        // otherwise LOCAL lowered to a seated eye height.
        let base_space = if spaces.contains(&xr::ReferenceSpaceType::STAGE) {
            (xr::ReferenceSpaceType::STAGE, xr::Posef::IDENTITY)
        } else {
            let mut p = xr::Posef::IDENTITY;
            p.position.y = -1.2;
            (xr::ReferenceSpaceType::LOCAL, p)
        };
        let stage = session
            .create_reference_space(base_space.0, base_space.1)
            .map_err(|e| XrError::from_xr("xrCreateReferenceSpace", e))?;
        let view_space = session
            .create_reference_space(xr::ReferenceSpaceType::VIEW, xr::Posef::IDENTITY)
            .map_err(|e| XrError::from_xr("xrCreateReferenceSpace (view)", e))?;
        // A Quest composites the room through no blend mode, only under a passthrough layer
        // (XR_FB_passthrough): the film goes over it as it would over ALPHA_BLEND's room.
        let room_layer = if blend_mode == xr::EnvironmentBlendMode::OPAQUE && exts.fb_passthrough {
            match RoomLayer::new(&session) {
                Ok(layer) => {
                    blend = Blend::AlphaBlend;
                    Some(layer)
                }
                Err(e) => {
                    eprintln!("showrunner: warning: XR_FB_passthrough is offered but {e}; the film fills the view");
                    None
                }
            }
        } else {
            None
        };

        let features = Features {
            runtime: format!("{} {}", props.runtime_name, props.runtime_version),
            system: sys_props.system_name.clone(),
            depth_layer: depth.is_some(),
            eye_gaze: exts.ext_eye_gaze_interaction,
            hand_interaction: exts.ext_hand_interaction,
            fb_passthrough: exts.fb_passthrough,
            light_estimation,
            blend,
            profiles,
            size,
            adapter: format!("{} ({:?})", gpu.info.name, gpu.info.device_type),
        };
        Ok(Self {
            room_layer,
            color_images,
            depth_images,
            own_depth,
            color,
            depth,
            keep_depth: false,
            actions,
            runtime_light: None,
            stage,
            base_space,
            view_space,
            frame_stream,
            frame_waiter,
            session,
            gpu,
            instance,
            system,
            blend_mode,
            clock: exts.khr_convert_timespec_time,
            state: xr::SessionState::UNKNOWN,
            running: false,
            views: Vec::new(),
            acquired: None,
            features,
            states: Vec::new(),
        })
    }

    /// The device the renderer must use.
    pub fn device(&self) -> &wgpu::Device {
        &self.gpu.device
    }

    /// Its queue.
    pub fn queue(&self) -> &wgpu::Queue {
        &self.gpu.queue
    }

    /// The wgpu instance, adapter and its description, for other users of
    /// the same device (the refiner hands them to burn).
    pub fn wgpu_parts(&self) -> (wgpu::Instance, wgpu::Adapter, wgpu::AdapterInfo) {
        (
            self.gpu.instance.clone(),
            self.gpu.adapter.clone(),
            self.gpu.info.clone(),
        )
    }

    /// The session's current state.
    pub fn state(&self) -> &'static str {
        state_name(self.state)
    }

    /// Handles the runtime's events and the session lifecycle: begins on
    /// READY, ends on STOPPING, reports EXITING (and LOSS_PENDING, instance
    /// loss) so the caller can quit or reconnect.
    pub fn poll(&mut self) -> Result<Status, XrError> {
        let mut buf = xr::EventDataBuffer::new();
        loop {
            let ev = self
                .instance
                .poll_event(&mut buf)
                .map_err(|e| XrError::from_xr("xrPollEvent", e))?;
            let Some(ev) = ev else { break };
            match ev {
                xr::Event::SessionStateChanged(e) => {
                    self.state = e.state();
                    self.states.push(state_name(self.state));
                    tracing::info!(state = state_name(self.state), "xr session state");
                    match self.state {
                        xr::SessionState::READY => {
                            self.session
                                .begin(xr::ViewConfigurationType::PRIMARY_STEREO)
                                .map_err(|e| XrError::from_xr("xrBeginSession", e))?;
                            self.running = true;
                        }
                        xr::SessionState::STOPPING => {
                            self.session
                                .end()
                                .map_err(|e| XrError::from_xr("xrEndSession", e))?;
                            self.running = false;
                        }
                        xr::SessionState::EXITING => return Ok(Status::Exit),
                        xr::SessionState::LOSS_PENDING => {
                            self.running = false;
                            return Err(XrError::Lost("session LOSS_PENDING".into()));
                        }
                        _ => {}
                    }
                }
                xr::Event::InstanceLossPending(_) => {
                    self.running = false;
                    return Err(XrError::Lost("instance loss pending".into()));
                }
                _ => {}
            }
        }
        Ok(if self.running {
            Status::Running {
                focused: self.state == xr::SessionState::FOCUSED,
            }
        } else {
            Status::Idle
        })
    }

    /// `xrWaitFrame`: blocks until the runtime wants the next frame.
    pub fn wait_frame(&mut self) -> Result<xr::FrameState, XrError> {
        self.frame_waiter
            .wait()
            .map_err(|e| XrError::from_xr("xrWaitFrame", e))
    }

    /// This frame's input (nothing unless FOCUSED).
    pub fn input(&mut self, time: xr::Time) -> Result<Input, XrError> {
        if self.state != xr::SessionState::FOCUSED {
            return Ok(Input::default());
        }
        self.actions.read(&self.session, &self.stage, time)
    }

    /// `xrBeginFrame`.
    pub fn begin_frame(&mut self) -> Result<(), XrError> {
        self.frame_stream
            .begin()
            .map_err(|e| XrError::from_xr("xrBeginFrame", e))
    }

    /// Locates both eyes for `time` in stage space (call as late as possible
    /// before encoding).
    pub fn locate_views(&mut self, time: xr::Time) -> Result<[EyeView; 2], XrError> {
        let (_, views) = self
            .session
            .locate_views(xr::ViewConfigurationType::PRIMARY_STEREO, time, &self.stage)
            .map_err(|e| XrError::from_xr("xrLocateViews", e))?;
        if views.len() < 2 {
            return Err(XrError::Vulkan(
                "the runtime located fewer than two views".into(),
            ));
        }
        self.views = views;
        Ok([eye_view(&self.views[0]), eye_view(&self.views[1])])
    }

    /// The room's light from the runtime (`XR_ANDROID_light_estimation`) at `time`, in the
    /// stage space: `Ok(None)` when the runtime does not offer it, or has no new valid
    /// estimate. Cheap: one call into the runtime, no allocation.
    pub fn room_light(
        &mut self,
        time: xr::Time,
    ) -> Result<Option<showrunner_light::RoomLight>, XrError> {
        if !self.features.light_estimation {
            return Ok(None);
        }
        if self.runtime_light.is_none() {
            self.runtime_light = Some(light::RuntimeLight::new(
                &self.instance,
                self.session.as_raw(),
            )?);
        }
        match &mut self.runtime_light {
            Some(l) => l.estimate(self.stage.as_raw(), time),
            None => Ok(None),
        }
    }

    /// The head in stage space at `time` (for gaze, audio, recentering).
    pub fn head(&self, time: xr::Time) -> Result<(Vec3, Quat), XrError> {
        let loc = self
            .view_space
            .locate(&self.stage, time)
            .map_err(|e| XrError::from_xr("xrLocateSpace (head)", e))?;
        Ok(input::pose(loc.pose))
    }

    /// Puts "forward" (−z) where the head looks now, and the seat under it.
    pub fn recenter(&mut self, time: xr::Time) -> Result<(), XrError> {
        let base = self
            .session
            .create_reference_space(self.base_space.0, self.base_space.1)
            .map_err(|e| XrError::from_xr("xrCreateReferenceSpace", e))?;
        let loc = self
            .view_space
            .locate(&base, time)
            .map_err(|e| XrError::from_xr("xrLocateSpace (recenter)", e))?;
        let (p, q) = input::pose(loc.pose);
        let fwd = q * -Vec3::Z;
        let yaw = (-fwd.x).atan2(-fwd.z);
        let r = Quat::from_rotation_y(yaw)
            * Quat::from_xyzw(
                self.base_space.1.orientation.x,
                self.base_space.1.orientation.y,
                self.base_space.1.orientation.z,
                self.base_space.1.orientation.w,
            );
        let pose = xr::Posef {
            orientation: xr::Quaternionf {
                x: r.x,
                y: r.y,
                z: r.z,
                w: r.w,
            },
            position: xr::Vector3f {
                x: self.base_space.1.position.x + p.x,
                y: self.base_space.1.position.y,
                z: self.base_space.1.position.z + p.z,
            },
        };
        self.stage = self
            .session
            .create_reference_space(self.base_space.0, pose)
            .map_err(|e| XrError::from_xr("xrCreateReferenceSpace (recentred)", e))?;
        Ok(())
    }

    /// Keeps each frame's depth after the eye passes even where the runtime
    /// takes no depth layer (the refiner reads it as its guide). Off by
    /// default: storing depth costs tile-memory bandwidth on mobile GPUs.
    pub fn keep_depth(&mut self, on: bool) {
        self.keep_depth = on;
    }

    /// Acquires and waits for the next swapchain image; the target to render
    /// into (colour = the runtime's 2-layer image).
    pub fn acquire(&mut self) -> Result<RenderTarget, XrError> {
        let i = self
            .color
            .acquire_image()
            .map_err(|e| XrError::from_xr("xrAcquireSwapchainImage", e))? as usize;
        self.color
            .wait_image(xr::Duration::INFINITE)
            .map_err(|e| XrError::from_xr("xrWaitSwapchainImage", e))?;
        self.acquired = Some(i);
        let depth = match &mut self.depth {
            Some(d) => {
                let j = d
                    .acquire_image()
                    .map_err(|e| XrError::from_xr("xrAcquireSwapchainImage (depth)", e))?
                    as usize;
                d.wait_image(xr::Duration::INFINITE)
                    .map_err(|e| XrError::from_xr("xrWaitSwapchainImage (depth)", e))?;
                self.depth_images[j].clone()
            }
            None => self.own_depth.clone(),
        };
        Ok(RenderTarget {
            color: self.color_images[i].clone(),
            // The runtime composites with the depth swapchain's image (the
            // depth layer): it must hold the frame's depth, not be discarded;
            // so must a depth the refiner reads.
            keep_depth: self.depth.is_some() || self.keep_depth,
            depth,
            size: self.features.size,
        })
    }

    /// Reads eye `layer` of the acquired image back (tests; waits for the GPU).
    pub fn read_back(&self, target: &RenderTarget, layer: u32) -> Result<Vec<u8>, XrError> {
        let px = showrunner_render::read_eye(&self.gpu.device, &self.gpu.queue, target, layer)
            .map_err(|e| XrError::Vulkan(e.to_string()))?;
        // The runtime wants the image as a colour attachment at release:
        // a load/store pass puts it back after the copy.
        let mut enc = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("relayout"),
            });
        let view = target.color.create_view(&wgpu::TextureViewDescriptor {
            dimension: Some(wgpu::TextureViewDimension::D2),
            base_array_layer: layer,
            array_layer_count: Some(1),
            ..Default::default()
        });
        drop(enc.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("relayout"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &view,
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
        }));
        self.gpu.queue.submit([enc.finish()]);
        Ok(px)
    }

    /// Releases the image (if one was acquired) and ends the frame: one
    /// projection layer (with depth where offered) when `rendered`, no
    /// layers otherwise.
    pub fn end_frame(&mut self, state: &xr::FrameState, rendered: bool) -> Result<(), XrError> {
        if self.acquired.take().is_some() {
            self.color
                .release_image()
                .map_err(|e| XrError::from_xr("xrReleaseSwapchainImage", e))?;
            if let Some(d) = &mut self.depth {
                d.release_image()
                    .map_err(|e| XrError::from_xr("xrReleaseSwapchainImage (depth)", e))?;
            }
        }
        let time = state.predicted_display_time;
        if !rendered || self.views.len() < 2 {
            return self
                .frame_stream
                .end(time, self.blend_mode, &[])
                .map_err(|e| XrError::from_xr("xrEndFrame", e));
        }
        let rect = xr::Rect2Di {
            offset: xr::Offset2Di { x: 0, y: 0 },
            extent: xr::Extent2Di {
                width: self.features.size.0 as i32,
                height: self.features.size.1 as i32,
            },
        };
        // Reversed-Z, infinite far: depth 0 is infinitely far, 1 is the near plane.
        let depth_info: Vec<xr::sys::CompositionLayerDepthInfoKHR> = match &self.depth {
            Some(d) => (0..2)
                .map(|i| xr::sys::CompositionLayerDepthInfoKHR {
                    ty: xr::sys::CompositionLayerDepthInfoKHR::TYPE,
                    next: std::ptr::null(),
                    sub_image: xr::SwapchainSubImage::new()
                        .swapchain(d)
                        .image_array_index(i)
                        .image_rect(rect)
                        .into_raw(),
                    min_depth: 0.0,
                    max_depth: 1.0,
                    near_z: f32::MAX,
                    far_z: NEAR,
                })
                .collect(),
            None => Vec::new(),
        };
        let views: Vec<xr::CompositionLayerProjectionView<'_, xr::Vulkan>> = (0..2)
            .map(|i| {
                let v = xr::CompositionLayerProjectionView::new()
                    .pose(self.views[i].pose)
                    .fov(self.views[i].fov)
                    .sub_image(
                        xr::SwapchainSubImage::new()
                            .swapchain(&self.color)
                            .image_array_index(i as u32)
                            .image_rect(rect),
                    );
                match depth_info.get(i) {
                    Some(di) => {
                        let mut raw = v.into_raw();
                        raw.next = std::ptr::from_ref(di).cast();
                        // SAFETY: a valid projection view whose `next` chain
                        // (the depth info) outlives the xrEndFrame call below.
                        unsafe { xr::CompositionLayerProjectionView::from_raw(raw) }
                    }
                    None => v,
                }
            })
            .collect();
        let mut flags = xr::CompositionLayerFlags::EMPTY;
        if self.blend_mode == xr::EnvironmentBlendMode::ALPHA_BLEND || self.room_layer.is_some() {
            flags |= xr::CompositionLayerFlags::BLEND_TEXTURE_SOURCE_ALPHA;
        }
        let layer = xr::CompositionLayerProjection::new()
            .layer_flags(flags)
            .space(&self.stage)
            .views(&views);
        let result = match &self.room_layer {
            // The room first, the film over it where the film's alpha lets it through.
            Some(room) => {
                let under = xr::sys::CompositionLayerPassthroughFB {
                    ty: xr::sys::CompositionLayerPassthroughFB::TYPE,
                    next: std::ptr::null(),
                    flags: xr::CompositionLayerFlags::BLEND_TEXTURE_SOURCE_ALPHA,
                    space: self.stage.as_raw(),
                    layer_handle: room.layer.as_raw(),
                };
                // SAFETY: CompositionLayerBase is repr(transparent) over
                // XrCompositionLayerBaseHeader, whose fields (type, next, flags, space) begin
                // XrCompositionLayerPassthroughFB; xrEndFrame reads the whole struct by its
                // type, at this address, which outlives the call (openxr 0.22 does not export
                // its builder for this layer).
                let under: &xr::CompositionLayerBase<'_, xr::Vulkan> =
                    unsafe { &*std::ptr::from_ref(&under).cast() };
                self.frame_stream
                    .end(time, self.blend_mode, &[under, &layer])
            }
            None => self.frame_stream.end(time, self.blend_mode, &[&layer]),
        };
        result.map_err(|e| XrError::from_xr("xrEndFrame", e))
    }

    /// Asks the runtime to end the session (it goes STOPPING → IDLE → EXITING).
    pub fn request_exit(&mut self) -> Result<(), XrError> {
        match self.session.request_exit() {
            Ok(()) | Err(xr::sys::Result::ERROR_SESSION_NOT_RUNNING) => Ok(()),
            Err(e) => Err(XrError::from_xr("xrRequestExitSession", e)),
        }
    }

    /// Now on the runtime's clock (`XR_KHR_convert_timespec_time`), to
    /// measure how far ahead of the pose sample the display time is.
    pub fn now(&self) -> Option<xr::Time> {
        if !self.clock {
            return None;
        }
        self.instance.now().ok()
    }

    /// The system this session runs on (for logs).
    pub fn system_id(&self) -> xr::SystemId {
        self.system
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symmetric_xr_fov_gives_the_renderers_projection() {
        let half = 0.6f32;
        let view = xr::View {
            pose: xr::Posef::IDENTITY,
            fov: xr::Fovf {
                angle_left: -half,
                angle_right: half,
                angle_up: half,
                angle_down: -half,
            },
        };
        let e = eye_view(&view);
        let reference = EyeView::look_at(Vec3::ZERO, -Vec3::Z, 2.0 * half, 1.0);
        assert!(e.projection.abs_diff_eq(reference.projection, 1e-5));
        assert!(e.view.abs_diff_eq(reference.view, 1e-5));
        // A point straight ahead at 2 m lands in the centre at depth NEAR/2.
        let p = e.projection * e.view * glam::Vec4::new(0.0, 0.0, -2.0, 1.0);
        assert!((p.z / p.w - NEAR / 2.0).abs() < 1e-6);
    }

    #[test]
    fn lost_runtimes_are_told_apart_from_other_failures() {
        assert!(XrError::from_xr("xrWaitFrame", xr::sys::Result::ERROR_INSTANCE_LOST).is_lost());
        assert!(XrError::from_xr("x", xr::sys::Result::ERROR_RUNTIME_FAILURE).is_lost());
        assert!(!XrError::from_xr("x", xr::sys::Result::ERROR_VALIDATION_FAILURE).is_lost());
    }
}
