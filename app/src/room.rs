//! The room's light for the film: `--room PHOTO` turns a photo of the room into the renderer's
//! light (spherical-harmonic ambient, a key light, an exposure) through the same
//! `RoomLightEstimator` the headset feeds with passthrough frames, so a warm room renders a
//! warmer film. Without a photo, the studio light.

use anyhow::{bail, Context, Result};
use showrunner_light::{EstimatorConfig, Frame, LightEstimate, Pixels, RoomLightEstimator, Sh9};
use showrunner_scene::glam::{Quat, Vec3};
use std::path::Path;

pub use showrunner_light::RoomLight;

/// A neutral studio: soft grey ambient and a warm-white key light from above left.
pub fn studio() -> RoomLight {
    let mut sh = Sh9::ambient(Vec3::splat(0.22));
    sh.add_directional(Vec3::new(-0.4, 1.0, 0.3), Vec3::new(1.2, 1.05, 0.9));
    (
        LightEstimate {
            sh,
            ..LightEstimate::default()
        },
        (Vec3::new(-0.4, -1.0, -0.3), Vec3::splat(1.0)),
    )
}

/// The room's light from a PNG photo of it, taken looking ahead (a 60° lens). Errors name the
/// file and say what to do.
pub fn from_photo(path: &Path) -> Result<RoomLight> {
    if !path.is_file() {
        bail!(
            "--room {}: cannot open the photo (no such file)",
            path.display()
        );
    }
    let (w, h, rgb) = crate::images::read_rgb_png(path).map_err(|e| {
        anyhow::anyhow!(
            "--room {e:#}; give a PNG photo of the room \
             (convert one with e.g. `convert room.jpg room.png`)"
        )
    })?;
    let mut est = RoomLightEstimator::new(EstimatorConfig::default());
    let e = *est
        .update(
            &Frame {
                width: w as usize,
                height: h as usize,
                pixels: Pixels::Srgb8(&rgb),
                orientation: Quat::IDENTITY,
                fov_y: 60f32.to_radians(),
            },
            0.0,
        )
        .with_context(|| format!("{}: cannot estimate the light", path.display()))?;
    // The key light comes from the photo's dominant light.
    Ok((e, e.key_light()))
}

/// `--room PHOTO` or the studio light; says which once.
pub fn choose(photo: Option<&Path>) -> Result<RoomLight> {
    match photo {
        Some(p) => {
            let l = from_photo(p)?;
            let m = l.0.sh.mean();
            println!(
                "room light from {}: mean (r {:.2}, g {:.2}, b {:.2}), exposure {:+.2} EV",
                p.display(),
                m.x,
                m.y,
                m.z,
                l.0.exposure_ev
            );
            Ok(l)
        }
        None => Ok(studio()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_core::Directive;
    use showrunner_render::{read_eye, EyeView, FrameInputs, Gpu, Grade, RenderTarget, Renderer};
    use showrunner_scene::sets::SetLibrary;
    use showrunner_scene::Scene;

    fn photo(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/data/photos")
            .join(name)
    }

    /// Red over blue of the lamp room rendered in `light`.
    fn rendered_warmth(gpu: &Gpu, light: RoomLight) -> f32 {
        let mut renderer = Renderer::new(&gpu.device, &gpu.queue);
        let target = RenderTarget::new(&gpu.device, 64, 36);
        let mut scene = Scene::new(SetLibrary::builtin());
        scene.stage(&[Directive::Scene("lamp_room".into())]);
        let inputs = FrameInputs {
            eyes: EyeView::stereo(
                Vec3::new(0.0, 1.25, 0.6),
                Vec3::new(0.0, 1.0, -3.0),
                0.064,
                1.0,
                64.0 / 36.0,
            ),
            light: light.0,
            sun: light.1,
            grade: Grade::NEUTRAL,
        };
        let cmd = renderer.render(&scene.world, &inputs, &target);
        gpu.queue.submit([cmd]);
        let px = read_eye(&gpu.device, &gpu.queue, &target, 0).unwrap();
        let (mut r, mut b) = (0.0f64, 0.0f64);
        for p in px.chunks_exact(4) {
            r += f64::from(p[0]);
            b += f64::from(p[2]);
        }
        (r / b.max(1.0)) as f32
    }

    #[test]
    fn a_warm_room_renders_a_warmer_film_than_a_cool_one() {
        let gpu = Gpu::headless().expect("lavapipe or a GPU");
        let studio = rendered_warmth(&gpu, studio());
        let coffee = rendered_warmth(&gpu, from_photo(&photo("coffee.png")).unwrap());
        let dusk = rendered_warmth(&gpu, from_photo(&photo("rocket.png")).unwrap());
        assert!(
            coffee > studio && studio > dusk,
            "red/blue: coffee room {coffee}, studio {studio}, blue dusk {dusk}"
        );
    }

    #[test]
    fn a_photo_that_is_not_an_image_is_named_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("room.png");
        std::fs::write(&fake, b"GIF89a not a png at all").unwrap();
        let e = from_photo(&fake).unwrap_err().to_string();
        assert!(
            e.contains("room.png: not a PNG image") && e.contains("convert"),
            "{e}"
        );
        let e = from_photo(&dir.path().join("missing.png"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.png: cannot open the photo"), "{e}");
    }
}
