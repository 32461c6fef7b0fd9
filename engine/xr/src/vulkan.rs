//! wgpu on the runtime's Vulkan, through `XR_KHR_vulkan_enable2` only.
//!
//! The OpenXR runtime creates the Vulkan instance and device
//! (`xrCreateVulkanInstanceKHR`, `xrGetVulkanGraphicsDevice2KHR`,
//! `xrCreateVulkanDeviceKHR`) with the extensions and features wgpu-hal asks
//! for; wgpu 30 is then built on those handles (`vulkan::Instance::from_raw`,
//! `expose_adapter`, `Adapter::device_from_raw`, `wgpu::Instance::from_hal`,
//! `create_adapter_from_hal`, `create_device_from_hal`). The one
//! `wgpu::Device` serves the renderer (and the refiner after it). The older
//! `XR_KHR_vulkan_enable` path is deliberately not used: on lavapipe the
//! runtime asks it for `VK_KHR_external_semaphore_fd`, which lavapipe lacks.

use std::ffi::c_void;

use ash::vk::{self, Handle};
use openxr as xr;
use wgpu::hal::{self, api::Vulkan as HalVulkan};

use crate::XrError;

/// The GPU objects the XR session shares with the renderer.
pub struct XrGpu {
    /// The wgpu instance (owns the VkInstance: dropped last).
    pub instance: wgpu::Instance,
    /// The adapter for the runtime's physical device.
    pub adapter: wgpu::Adapter,
    /// The device the renderer takes.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// What it is, for logs.
    pub info: wgpu::AdapterInfo,
    pub(crate) raw_instance: *const c_void,
    pub(crate) raw_physical_device: *const c_void,
    pub(crate) raw_device: *const c_void,
    pub(crate) queue_family: u32,
}

fn vk_err(what: &str) -> impl Fn(vk::Result) -> XrError + '_ {
    move |e| XrError::Vulkan(format!("{what}: {e}"))
}

fn xr_err(what: &str) -> impl Fn(xr::sys::Result) -> XrError + '_ {
    move |e| XrError::from_xr(what, e)
}

/// Creates the Vulkan instance and device through the runtime and wgpu on top.
pub fn create(
    instance: &xr::Instance,
    system: xr::SystemId,
    features: wgpu::Features,
) -> Result<XrGpu, XrError> {
    let reqs = instance
        .graphics_requirements::<xr::Vulkan>(system)
        .map_err(xr_err("xrGetVulkanGraphicsRequirements2KHR"))?;
    // SAFETY: loads the system Vulkan loader; ash keeps the library alive.
    let entry = unsafe { ash::Entry::load() }
        .map_err(|e| XrError::Vulkan(format!("cannot load the Vulkan loader: {e}")))?;
    let loader_version = unsafe { entry.try_enumerate_instance_version() }
        .map_err(vk_err("vkEnumerateInstanceVersion"))?
        .unwrap_or(vk::API_VERSION_1_0);
    // What wgpu asks for itself: 1.3 where the loader is 1.1+, within the runtime's range.
    let max = vk::make_api_version(
        0,
        u32::from(reqs.max_api_version_supported.major()),
        u32::from(reqs.max_api_version_supported.minor()),
        0,
    );
    let min = vk::make_api_version(
        0,
        u32::from(reqs.min_api_version_supported.major()),
        u32::from(reqs.min_api_version_supported.minor()),
        0,
    );
    let wanted = if loader_version < vk::API_VERSION_1_1 {
        vk::API_VERSION_1_0
    } else {
        vk::API_VERSION_1_3
    };
    let api_version = wanted.min(max.max(vk::API_VERSION_1_1)).max(min);
    let flags = wgpu::InstanceFlags::empty();
    let extensions = hal::vulkan::Instance::desired_extensions(&entry, api_version, flags)
        .map_err(|e| XrError::Vulkan(format!("instance extensions: {e}")))?;
    let ext_ptrs: Vec<_> = extensions.iter().map(|e| e.as_ptr()).collect();
    let app = vk::ApplicationInfo::default()
        .application_name(c"showrunner")
        .engine_name(c"showrunner")
        .api_version(api_version);
    let create_info = vk::InstanceCreateInfo::default()
        .application_info(&app)
        .enabled_extension_names(&ext_ptrs);
    // SAFETY: ash's and OpenXR's vkGetInstanceProcAddr types have the same ABI.
    let gipa: xr::sys::platform::VkGetInstanceProcAddr =
        unsafe { std::mem::transmute(entry.static_fn().get_instance_proc_addr) };
    // SAFETY: create_info and what it points to live until the call returns.
    let raw_instance = unsafe {
        instance.create_vulkan_instance(system, gipa, std::ptr::from_ref(&create_info).cast())
    }
    .map_err(xr_err("xrCreateVulkanInstanceKHR"))?
    .map_err(|e| vk_err("the runtime's vkCreateInstance")(vk::Result::from_raw(e)))?;
    // SAFETY: a valid instance the runtime made from this loader.
    let ash_instance = unsafe {
        ash::Instance::load(
            entry.static_fn(),
            vk::Instance::from_raw(raw_instance as u64),
        )
    };
    // SAFETY: made with `extensions`, `api_version` and `flags`; wgpu takes
    // ownership (drop callback None) and destroys it after the device.
    let hal_instance = unsafe {
        hal::vulkan::Instance::from_raw(
            entry.clone(),
            ash_instance.clone(),
            api_version,
            0,
            None,
            extensions,
            flags,
            wgpu::MemoryBudgetThresholds::default(),
            false,
            None,
        )
    }
    .map_err(|e| XrError::Vulkan(format!("wgpu cannot use the runtime's instance: {e}")))?;
    let raw_physical_device = unsafe { instance.vulkan_graphics_device(system, raw_instance) }
        .map_err(xr_err("xrGetVulkanGraphicsDevice2KHR"))?;
    let phd = vk::PhysicalDevice::from_raw(raw_physical_device as u64);
    // SAFETY: the hal instance is valid and of the Vulkan backend.
    let wgpu_instance = unsafe { wgpu::Instance::from_hal::<HalVulkan>(hal_instance) };
    let exposed = unsafe { wgpu_instance.as_hal::<HalVulkan>() }
        .and_then(|i| i.expose_adapter(phd))
        .ok_or_else(|| {
            XrError::Vulkan(
                "the runtime's GPU cannot run wgpu (Vulkan 1.1 features missing)".into(),
            )
        })?;
    // The same features and limits as a headless device: the renderer's,
    // and what burn's kernels (the refiner) read off the adapter.
    let features =
        showrunner_render::device_features(exposed.features) | (exposed.features & features);
    let limits = showrunner_render::device_limits(&exposed.capabilities.limits);
    // SAFETY: exposed from this instance.
    let adapter = unsafe { wgpu_instance.create_adapter_from_hal(exposed) };
    let info = adapter.get_info();
    let families = unsafe { ash_instance.get_physical_device_queue_family_properties(phd) };
    let queue_family = families
        .iter()
        .position(|f| {
            f.queue_flags
                .contains(vk::QueueFlags::GRAPHICS | vk::QueueFlags::COMPUTE)
        })
        .ok_or_else(|| XrError::Vulkan("no graphics+compute queue family".into()))?
        as u32;
    let (raw_device, open) = {
        let hal_adapter = unsafe { adapter.as_hal::<HalVulkan>() }
            .ok_or_else(|| XrError::Vulkan("not a Vulkan adapter".into()))?;
        let dev_exts = hal_adapter.required_device_extensions(features);
        let mut phd_features = hal_adapter.physical_device_features(&dev_exts, features);
        let priorities = [1.0f32];
        let queues = [vk::DeviceQueueCreateInfo::default()
            .queue_family_index(queue_family)
            .queue_priorities(&priorities)];
        let dev_ptrs: Vec<_> = dev_exts.iter().map(|e| e.as_ptr()).collect();
        let info = phd_features.add_to_device_create(
            vk::DeviceCreateInfo::default()
                .queue_create_infos(&queues)
                .enabled_extension_names(&dev_ptrs),
        );
        // SAFETY: info and its chain live until the call returns.
        let raw_device = unsafe {
            instance.create_vulkan_device(
                system,
                gipa,
                raw_physical_device,
                std::ptr::from_ref(&info).cast(),
            )
        }
        .map_err(xr_err("xrCreateVulkanDeviceKHR"))?
        .map_err(|e| vk_err("the runtime's vkCreateDevice")(vk::Result::from_raw(e)))?;
        // SAFETY: created from this adapter with these extensions and features;
        // wgpu owns it (drop callback None).
        let ash_device = unsafe {
            ash::Device::load(
                ash_instance.fp_v1_0(),
                vk::Device::from_raw(raw_device as u64),
            )
        };
        let open = unsafe {
            hal_adapter.device_from_raw(
                ash_device,
                None,
                &dev_exts,
                features,
                &limits,
                &wgpu::MemoryHints::Performance,
                queue_family,
                0,
            )
        }
        .map_err(|e| XrError::Vulkan(format!("wgpu cannot use the runtime's device: {e}")))?;
        (raw_device, open)
    };
    // SAFETY: opened from this adapter with exactly these features.
    let (device, queue) = unsafe {
        adapter.create_device_from_hal(
            open,
            &wgpu::DeviceDescriptor {
                label: Some("showrunner (xr)"),
                required_features: features,
                required_limits: limits,
                ..Default::default()
            },
        )
    }
    .map_err(|e| XrError::Vulkan(format!("wgpu device: {e}")))?;
    Ok(XrGpu {
        instance: wgpu_instance,
        adapter,
        device,
        queue,
        info,
        raw_instance,
        raw_physical_device,
        raw_device,
        queue_family,
    })
}

/// Wraps one runtime-owned swapchain image (a 2-layer array) as a wgpu
/// texture. The runtime keeps ownership: wgpu never destroys the image.
pub fn wrap_image(
    device: &wgpu::Device,
    image: u64,
    format: wgpu::TextureFormat,
    size: (u32, u32),
    usage: wgpu::TextureUsages,
    label: &str,
) -> wgpu::Texture {
    let hal_usage = {
        let mut u = wgpu::TextureUses::empty();
        if usage.contains(wgpu::TextureUsages::RENDER_ATTACHMENT) {
            u |= if format.is_depth_stencil_format() {
                wgpu::TextureUses::DEPTH_STENCIL_READ | wgpu::TextureUses::DEPTH_STENCIL_WRITE
            } else {
                wgpu::TextureUses::COLOR_TARGET
            };
        }
        if usage.contains(wgpu::TextureUsages::COPY_SRC) {
            u |= wgpu::TextureUses::COPY_SRC;
        }
        if usage.contains(wgpu::TextureUsages::TEXTURE_BINDING) {
            u |= wgpu::TextureUses::RESOURCE;
        }
        u
    };
    let extent = wgpu::Extent3d {
        width: size.0,
        height: size.1,
        depth_or_array_layers: 2,
    };
    let hal_desc = hal::TextureDescriptor {
        label: Some(label),
        size: extent,
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: hal_usage,
        memory_flags: hal::MemoryFlags::empty(),
        view_formats: vec![],
    };
    let hal_device = unsafe { device.as_hal::<HalVulkan>() }.expect("a Vulkan device");
    // SAFETY: the runtime made the image with this size, format, 2 layers and
    // (at least) these usages; an empty drop callback and External memory
    // leave its destruction to xrDestroySwapchain.
    let texture = unsafe {
        hal_device.texture_from_raw(
            vk::Image::from_raw(image),
            &hal_desc,
            Some(Box::new(|| {})),
            hal::vulkan::TextureMemory::External,
        )
    };
    drop(hal_device);
    // SAFETY: created from this device, respecting the descriptor.
    unsafe {
        device.create_texture_from_hal::<HalVulkan>(
            texture,
            &wgpu::TextureDescriptor {
                label: Some(label),
                size: extent,
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage,
                view_formats: &[],
            },
            wgpu::TextureUses::UNINITIALIZED,
        )
    }
}

/// The VkFormat of a wgpu format, as OpenXR lists swapchain formats.
pub fn vk_format(format: wgpu::TextureFormat) -> Option<u32> {
    let f = match format {
        wgpu::TextureFormat::Rgba8UnormSrgb => vk::Format::R8G8B8A8_SRGB,
        wgpu::TextureFormat::Bgra8UnormSrgb => vk::Format::B8G8R8A8_SRGB,
        wgpu::TextureFormat::Rgba8Unorm => vk::Format::R8G8B8A8_UNORM,
        wgpu::TextureFormat::Depth32Float => vk::Format::D32_SFLOAT,
        wgpu::TextureFormat::Depth24PlusStencil8 => vk::Format::D24_UNORM_S8_UINT,
        _ => return None,
    };
    Some(f.as_raw() as u32)
}

/// A readable name for a VkFormat number (for messages).
pub fn format_name(raw: u32) -> String {
    format!("{:?}", vk::Format::from_raw(raw as i32))
}
