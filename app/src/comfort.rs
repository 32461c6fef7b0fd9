//! `showrunner comfort`: plays a story for every simulated viewer at the display rate, frame by
//! frame, and counts the flashes its grade and its storms' lightning would make on screen
//! (`showrunner_show::comfort`:
//! ITU-R BT.1702's general-flash rule, more than three a second is a violation).

use anyhow::Result;
use serde_json::{json, Value};
use showrunner_director::DirectorConfig;
use showrunner_scene::atmosphere::Atmosphere;
use showrunner_show::comfort::{flashes, luminance, struck, PATCHES};
use showrunner_show::viewer::{Profile, SimViewer};
use showrunner_show::Show;
use showrunner_story::CompiledStory;

/// A story's flashes for each simulated viewer at `rate` Hz; the report, and whether any
/// second holds more than three.
pub fn comfort(
    story: &CompiledStory,
    config: &DirectorConfig,
    seed: u64,
    rate: f32,
) -> Result<(Value, bool)> {
    let mut viewers = Vec::new();
    let mut any = false;
    for profile in [
        Profile::Calm,
        Profile::Bored,
        Profile::Gripped,
        Profile::Stressed,
    ] {
        let mut sim = SimViewer::new(profile, seed);
        let mut tick = 0;
        let viewer = move |t: f64, intensity: f32| {
            tick += 1;
            sim.step(tick, t, 0.1, intensity)
        };
        let mut show = Show::new(
            story,
            seed,
            config.clone(),
            crate::sets::library(&story.path, &Default::default())?,
            viewer,
        )?;
        let mut series: Vec<Vec<f32>> = vec![Vec::new(); PATCHES.len()];
        let dt = 1.0 / f64::from(rate);
        while !show.readout.ended && show.clock() < 6.0 * 3600.0 {
            show.run(dt)?;
            let flash = Atmosphere::of(&show.scene.world).flash;
            for (s, patch) in series.iter_mut().zip(PATCHES) {
                s.push(luminance(&show.readout.grade, struck(patch, flash)));
            }
        }
        let (mut worst, mut violations) = (0, 0);
        for s in &series {
            let (w, v) = flashes(s, rate);
            worst = worst.max(w);
            violations += v;
        }
        any |= violations > 0;
        viewers.push(json!({
            "viewer": Profile::NAMES[profile as usize],
            "frames": series[0].len(),
            "seconds": (show.clock() * 10.0).round() / 10.0,
            "most_flashes_in_a_second": worst,
            "violations": violations,
        }));
    }
    Ok((
        json!({
            "story": story.path,
            "rate_hz": rate,
            "rule": "ITU-R BT.1702 general flash: opposing luminance changes of 10 % or more, darker state below 0.8; at most 3 flashes in any second",
            "patches": PATCHES.map(|p| (f64::from(p) * 1000.0).round() / 1000.0),
            "viewers": viewers,
        }),
        any,
    ))
}
