//! The room-light estimator on synthetic frames rendered from known SH, and
//! on real photographs (scikit-image's sample images; tests/data/photos).

use glam::{Quat, Vec3};
use showrunner_light::{EstimatorConfig, Frame, Pixels, RoomLightEstimator, Sh9};
use std::f32::consts::FRAC_PI_2;

/// Renders the radiance of `sh` as a camera with this orientation sees it.
fn render(sh: &Sh9, orientation: Quat, w: usize, h: usize, fov_y: f32) -> Vec<Vec3> {
    let tan_y = (fov_y / 2.0).tan();
    let tan_x = tan_y * w as f32 / h as f32;
    let mut px = Vec::with_capacity(w * h);
    for j in 0..h {
        for i in 0..w {
            let x = tan_x * (2.0 * (i as f32 + 0.5) / w as f32 - 1.0);
            let y = tan_y * (1.0 - 2.0 * (j as f32 + 0.5) / h as f32);
            // The exact SH field (its ringing lobes may dip below zero; no
            // clamp, so recovery can be checked exactly).
            px.push(sh.eval(orientation * Vec3::new(x, y, -1.0).normalize()));
        }
    }
    px
}

/// The six cube-face orientations: a viewer looking around the room.
fn cube() -> [Quat; 6] {
    [
        Quat::IDENTITY,
        Quat::from_rotation_y(FRAC_PI_2),
        Quat::from_rotation_y(2.0 * FRAC_PI_2),
        Quat::from_rotation_y(3.0 * FRAC_PI_2),
        Quat::from_rotation_x(FRAC_PI_2),
        Quat::from_rotation_x(-FRAC_PI_2),
    ]
}

fn room() -> Sh9 {
    // A warm window up and to the left, a dim bluish room.
    let mut sh = Sh9::ambient(Vec3::new(0.05, 0.06, 0.09));
    sh.add_directional(Vec3::new(-0.5, 0.7, -0.4), Vec3::new(0.6, 0.45, 0.3));
    sh
}

fn look_around(sh: &Sh9, est: &mut RoomLightEstimator) {
    for q in cube() {
        let px = render(sh, q, 64, 64, FRAC_PI_2);
        est.update(
            &Frame {
                width: 64,
                height: 64,
                pixels: Pixels::Linear(&px),
                orientation: q,
                fov_y: FRAC_PI_2,
            },
            0.0,
        )
        .unwrap();
    }
}

#[test]
fn recovers_known_sh_from_views_around_the_room() {
    let truth = room();
    let mut est = RoomLightEstimator::new(EstimatorConfig {
        stride: 2,
        ..EstimatorConfig::default()
    });
    look_around(&truth, &mut est);
    let got = est.estimate();
    // Stated tolerance: every coefficient within 2% of the DC term.
    let tol = 0.02 * truth.0[0].max_element();
    for k in 0..9 {
        let err = (got.sh.0[k] - truth.0[k]).abs().max_element();
        assert!(
            err <= tol,
            "coefficient {k}: got {:?}, truth {:?} (err {err}, tol {tol})",
            got.sh.0[k],
            truth.0[k]
        );
    }
    let angle = got
        .direction
        .angle_between(Vec3::new(-0.5, 0.7, -0.4).normalize())
        .to_degrees();
    assert!(angle < 5.0, "dominant light off by {angle}°");
    assert!(
        got.color.x > got.color.z,
        "the window is warm: {:?}",
        got.color
    );
    assert!(got.coverage > 0.95, "{}", got.coverage);
    assert!(got.exposure_ev > 0.0, "a dim room asks for more exposure");
}

#[test]
fn a_single_view_gives_a_plausible_partial_estimate() {
    let truth = room();
    let mut est = RoomLightEstimator::new(EstimatorConfig::default());
    // Looking up towards the window.
    let q = Quat::from_rotation_x(0.9);
    let px = render(&truth, q, 64, 64, 1.2);
    est.update(
        &Frame {
            width: 64,
            height: 64,
            pixels: Pixels::Linear(&px),
            orientation: q,
            fov_y: 1.2,
        },
        0.0,
    )
    .unwrap();
    let e = est.estimate();
    // One view sees the light at its edge: the direction is only roughly
    // right (within 60°; within 5° once the room has been seen, above).
    let truth_dir = Vec3::new(-0.5, 0.7, -0.4).normalize();
    assert!(
        e.direction.dot(truth_dir) > 0.5,
        "{:?} vs {truth_dir:?}",
        e.direction
    );
    assert!(e.color.x > e.color.z, "warm light: {:?}", e.color);
    assert!(e.coverage < 0.3);
}

#[test]
fn brighter_rooms_lower_exposure_and_changes_are_smoothed() {
    let mut est = RoomLightEstimator::new(EstimatorConfig::default());
    let dim = room();
    let mut bright = room();
    for c in &mut bright.0 {
        *c *= 8.0;
    }
    look_around(&dim, &mut est);
    let ev_dim = est.estimate().exposure_ev;
    // The lights come on; one frame later (1/72 s) the estimate has barely moved ...
    let q = Quat::IDENTITY;
    let px = render(&bright, q, 64, 64, FRAC_PI_2);
    let f = Frame {
        width: 64,
        height: 64,
        pixels: Pixels::Linear(&px),
        orientation: q,
        fov_y: FRAC_PI_2,
    };
    est.update(&f, 1.0 / 72.0).unwrap();
    let ev_next = est.estimate().exposure_ev;
    // ... and after 10 s of frames it has settled on the bright room.
    for _ in 0..720 {
        for q in cube() {
            let px = render(&bright, q, 16, 16, FRAC_PI_2);
            est.update(
                &Frame {
                    width: 16,
                    height: 16,
                    pixels: Pixels::Linear(&px),
                    orientation: q,
                    fov_y: FRAC_PI_2,
                },
                1.0 / 72.0 / 6.0,
            )
            .unwrap();
        }
    }
    let ev_bright = est.estimate().exposure_ev;
    assert!(
        (ev_dim - ev_bright - 3.0).abs() < 0.1,
        "8× brighter is 3 EV: {ev_dim} → {ev_bright}"
    );
    assert!(
        ev_dim - ev_next < 1.0,
        "one frame moves the estimate a little: {ev_dim} → {ev_next}"
    );
}

#[test]
fn bad_frames_are_errors() {
    let mut est = RoomLightEstimator::new(EstimatorConfig::default());
    let px = vec![0u8; 10];
    let f = Frame {
        width: 4,
        height: 4,
        pixels: Pixels::Srgb8(&px),
        orientation: Quat::IDENTITY,
        fov_y: 1.0,
    };
    assert!(est.update(&f, 0.0).unwrap_err().to_string().contains("4×4"));
    let px = vec![0u8; 48];
    let f = Frame {
        fov_y: 4.0,
        pixels: Pixels::Srgb8(&px),
        ..f
    };
    assert!(est.update(&f, 0.0).is_err());
}

fn photo(name: &str) -> (usize, usize, Vec<u8>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/photos")
        .join(name);
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb, "{name}");
    buf.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, buf)
}

/// Warmth of an estimate: red over blue of the room's mean radiance.
fn warmth(name: &str) -> f32 {
    let (w, h, px) = photo(name);
    let mut est = RoomLightEstimator::new(EstimatorConfig {
        stride: 1,
        ..EstimatorConfig::default()
    });
    let e = est
        .update(
            &Frame {
                width: w,
                height: h,
                pixels: Pixels::Srgb8(&px),
                orientation: Quat::IDENTITY,
                fov_y: 1.0,
            },
            0.0,
        )
        .unwrap();
    let m = e.sh.mean();
    eprintln!(
        "{name}: mean radiance {m:?}, exposure {:+.2} EV, light from {:?}",
        e.exposure_ev, e.direction
    );
    m.x / m.z
}

#[test]
fn real_photographs_give_plausible_estimates() {
    let (coffee, cat, rocket) = (
        warmth("coffee.png"),
        warmth("chelsea.png"),
        warmth("rocket.png"),
    );
    assert!(
        coffee > 1.2 && cat > 1.2,
        "warm scenes → warm estimates: coffee {coffee}, cat {cat}"
    );
    assert!(rocket < 1.0, "a blue dusk sky → a cool estimate: {rocket}");
}
