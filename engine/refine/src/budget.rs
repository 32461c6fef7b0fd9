//! The budget controller: refinement never costs a frame.
//!
//! Each frame the app reports what refining cost: GPU time from timestamp
//! queries where the adapter has them, otherwise the frame time over the part
//! of the frame that is not refinement. The controller keeps a short window of
//! those costs and moves along a ladder of plans, cheapest last:
//!
//! 1. the profile's steps and region, every frame;
//! 2. fewer steps (halving down to one);
//! 3. a smaller region (¾, then ½ of the side, never under 64 px);
//! 4. half rate: refine every other frame, and reproject the last refined
//!    region on the frames between;
//! 5. off.
//!
//! It steps down at once when the window's worst frame runs over budget, and
//! back up one rung after a run of frames whose cost, scaled to the richer
//! plan, would still leave a fifth of the budget spare. Pure and
//! deterministic: no clocks inside, so it is tested with scripted costs.

use crate::Profile;

/// What to refine this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Denoising steps (0: off).
    pub steps: usize,
    /// Side of the refined region, pixels.
    pub region: usize,
    /// Refine every `every`-th frame (1 or 2); the others reproject.
    pub every: usize,
}

impl Plan {
    /// Refinement is off.
    pub const OFF: Plan = Plan {
        steps: 0,
        region: 0,
        every: 1,
    };

    /// Whether anything is refined.
    pub fn is_on(&self) -> bool {
        self.steps > 0
    }

    /// Relative cost per frame (steps × pixels / every).
    pub fn cost(&self) -> f64 {
        (self.steps * self.region * self.region) as f64 / self.every.max(1) as f64
    }
}

/// The ladder of plans for a profile, richest first, ending with [`Plan::OFF`].
pub fn ladder(profile: &Profile) -> Vec<Plan> {
    let mut plans = Vec::new();
    let mut steps = profile.steps.max(1);
    loop {
        plans.push(Plan {
            steps,
            region: profile.region,
            every: 1,
        });
        if steps == 1 {
            break;
        }
        steps /= 2;
    }
    for frac in [3, 2] {
        let region = (profile.region * frac / 4) / 8 * 8;
        if region >= 64 && region < plans.last().map_or(usize::MAX, |p| p.region) {
            plans.push(Plan {
                steps: 1,
                region,
                every: 1,
            });
        }
    }
    let last = *plans.last().expect("at least one plan");
    plans.push(Plan { every: 2, ..last });
    plans.push(Plan::OFF);
    plans
}

/// Degrees across the refined region covers around where the viewer looks: the fovea's
/// 5° of sharp vision, and a degree each side for the eye tracker's error and the region's
/// lag behind a saccade.
pub const FOVEA_DEGREES: f32 = 7.0;

/// The largest region side, pixels (the GPU guide's limit, `interop::MAX_GUIDE_PIXELS`).
pub const MAX_REGION: usize = 512;

/// Side of the square that covers `degrees` at the centre of an eye whose focal length is
/// `focal_px` pixels (its pixels per degree there are `focal_px × π / 180`): a multiple of 8,
/// at least 64 and at most [`MAX_REGION`]. A Quest 3's eye (2208 px over 96°, focal 994 px)
/// needs 128 px for [`FOVEA_DEGREES`].
pub fn fovea_region(focal_px: f32, degrees: f32) -> usize {
    let px = 2.0 * focal_px.max(0.0) * (degrees.clamp(0.0, 170.0).to_radians() / 2.0).tan();
    if !px.is_finite() {
        return MAX_REGION;
    }
    ((px / 8.0).ceil() as usize * 8).clamp(64, MAX_REGION)
}

/// Steps refinement down and up to keep it inside its budget.
#[derive(Debug, Clone)]
pub struct BudgetController {
    plans: Vec<Plan>,
    rung: usize,
    budget_ms: f32,
    window: Vec<f32>,
    next: usize,
    calm: usize,
    /// Frames of headroom needed before stepping up.
    pub patience: usize,
    /// Whether the director (or the viewer) turned refinement off.
    enabled: bool,
    /// Frames to wait while off before probing again; doubles after each
    /// probe that fails, so a device that cannot afford refinement is not
    /// hitched over and over.
    off_wait: usize,
}

impl BudgetController {
    /// A controller for `profile`, allowed `budget_ms` of refinement per frame
    /// (e.g. what is left of 13.9 ms at 72 Hz after rendering).
    pub fn new(profile: &Profile, budget_ms: f32) -> Self {
        Self {
            plans: ladder(profile),
            rung: 0,
            budget_ms: budget_ms.max(0.0),
            window: Vec::with_capacity(16),
            next: 0,
            calm: 0,
            patience: 90,
            enabled: true,
            off_wait: 0,
        }
    }

    /// The plan for the coming frame.
    pub fn plan(&self) -> Plan {
        if self.enabled {
            self.plans[self.rung]
        } else {
            Plan::OFF
        }
    }

    /// The richest plan's region becomes `region` (the fovea at the display's resolution,
    /// [`fovea_region`]), with the same steps; the ladder below it is made again and the
    /// controller stands on the same rung of it. The budget, its patience and the wait before
    /// a probe are kept. Returns whether the region changed.
    pub fn refit(&mut self, region: usize) -> bool {
        let top = self.plans[0];
        if top.region == region {
            return false;
        }
        self.plans = ladder(&Profile {
            name: "fovea",
            region,
            steps: top.steps,
        });
        self.rung = self.rung.min(self.plans.len() - 1);
        self.window.clear();
        self.next = 0;
        self.calm = 0;
        true
    }

    /// Turns refinement on or off without forgetting where the ladder stood.
    pub fn set_enabled(&mut self, on: bool) {
        self.enabled = on;
    }

    /// The rung the controller stands on (0 = the profile's full plan).
    pub fn rung(&self) -> usize {
        self.rung
    }

    /// All rungs, richest first.
    pub fn plans(&self) -> &[Plan] {
        &self.plans
    }

    /// Reports what refining cost on the last frame that refined (GPU ms from
    /// timestamp queries, or the frame-time excess), and moves on the ladder.
    /// Returns whether the plan changed.
    pub fn report(&mut self, cost_ms: f32) -> bool {
        let plan = self.plan();
        if !plan.is_on() {
            // Off: nothing to measure; a budget that has room again is
            // probed from the cheapest plan after `patience` frames.
            self.calm += 1;
            if self.enabled
                && self.calm >= self.patience * 4 * self.off_wait.max(1)
                && self.rung > 0
            {
                return self.move_to(self.rung - 1);
            }
            return false;
        }
        let cost = if cost_ms.is_finite() {
            cost_ms.max(0.0)
        } else {
            f32::MAX
        };
        if self.window.len() < 16 {
            self.window.push(cost);
        } else {
            self.window[self.next] = cost;
        }
        self.next = (self.next + 1) % 16;
        let worst = self.window.iter().copied().fold(0.0f32, f32::max);
        if worst > self.budget_ms {
            // Down as far as the measured cost says is needed, at least one rung.
            let mut rung = self.rung + 1;
            while rung + 1 < self.plans.len() {
                let scale = self.plans[rung].cost() / plan.cost();
                if (worst as f64) * scale <= f64::from(self.budget_ms) {
                    break;
                }
                rung += 1;
            }
            return self.move_to(rung.min(self.plans.len() - 1));
        }
        if self.rung > 0 {
            let richer = self.plans[self.rung - 1];
            let scale = if plan.is_on() {
                richer.cost() / plan.cost()
            } else {
                1.0
            };
            if (worst as f64) * scale <= 0.8 * f64::from(self.budget_ms) {
                self.calm += 1;
                if self.calm >= self.patience {
                    return self.move_to(self.rung - 1);
                }
            } else {
                self.calm = 0;
            }
        }
        false
    }

    fn move_to(&mut self, rung: usize) -> bool {
        let changed = rung != self.rung;
        if rung + 1 == self.plans.len() && changed {
            // Off again: wait twice as long before the next probe (at most 64×).
            self.off_wait = (self.off_wait * 2).clamp(1, 64);
        }
        self.rung = rung;
        self.window.clear();
        self.next = 0;
        self.calm = 0;
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PROFILES;

    #[test]
    fn the_fovea_sets_the_region_from_the_eyes_pixels_per_degree() {
        // A Quest 3's eye: 2208 px over 96°.
        let quest3 = 1104.0 / 48f32.to_radians().tan();
        assert_eq!(fovea_region(quest3, FOVEA_DEGREES), 128);
        // Denser displays need more pixels for the same degrees, up to the guide's limit.
        assert_eq!(fovea_region(2.0 * quest3, FOVEA_DEGREES), 248);
        assert_eq!(fovea_region(40.0 * quest3, FOVEA_DEGREES), MAX_REGION);
        // A small window still gets a region worth refining; nonsense gets a bound.
        assert_eq!(fovea_region(100.0, FOVEA_DEGREES), 64);
        assert_eq!(fovea_region(f32::NAN, FOVEA_DEGREES), 64);
        assert_eq!(fovea_region(f32::INFINITY, FOVEA_DEGREES), MAX_REGION);
        // Refitting keeps the steps and the rung, and the ladder below follows.
        let mut c = BudgetController::new(&PROFILES[1], 4.0); // pcvr: 192 px, 2 steps
        assert!(c.report(100.0));
        let rung = c.rung();
        assert!(c.refit(128));
        assert!(!c.refit(128), "the same region again changes nothing");
        assert_eq!((c.plans()[0].steps, c.plans()[0].region), (2, 128));
        assert_eq!(c.rung(), rung.min(c.plans().len() - 1));
        assert!(c.plans().iter().all(|p| p.region <= 128));
        assert_eq!(c.plans().last(), Some(&Plan::OFF));
    }

    #[test]
    fn the_ladder_goes_fewer_steps_smaller_region_half_rate_off() {
        let l = ladder(&PROFILES[2]); // desktop: 256 px, 4 steps
        let shape: Vec<(usize, usize, usize)> =
            l.iter().map(|p| (p.steps, p.region, p.every)).collect();
        assert_eq!(
            shape,
            vec![
                (4, 256, 1),
                (2, 256, 1),
                (1, 256, 1),
                (1, 192, 1),
                (1, 128, 1),
                (1, 128, 2),
                (0, 0, 1)
            ]
        );
        assert!(l.windows(2).all(|w| w[0].cost() > w[1].cost()));
        let q = ladder(&PROFILES[0]); // quest: 128 px, 1 step
        assert_eq!(q.first().map(|p| (p.steps, p.region)), Some((1, 128)));
        assert!(q.iter().all(|p| p.region >= 64 || !p.is_on()));
    }

    #[test]
    fn over_budget_steps_down_at_once_and_comes_back_with_room() {
        let mut c = BudgetController::new(&PROFILES[2], 4.0);
        c.patience = 10;
        assert_eq!(c.plan().steps, 4);
        // 12 ms against 4: the cost model says a quarter of the plan fits.
        assert!(c.report(12.0));
        let p = c.plan();
        assert!(
            p.cost() <= PROFILES[2].steps as f64 * 256.0 * 256.0 / 3.0,
            "{p:?}"
        );
        assert!(p.is_on());
        // A long run at 1 ms: step back up, one rung at a time.
        let rung = c.rung();
        for _ in 0..10 {
            c.report(1.0);
        }
        assert_eq!(c.rung(), rung - 1);
    }

    #[test]
    fn an_impossible_budget_turns_refinement_off_and_it_stays_off() {
        let mut c = BudgetController::new(&PROFILES[0], 2.0);
        c.patience = 5;
        c.report(600.0); // lavapipe: 600 ms a step
        assert_eq!(c.plan(), Plan::OFF);
        for _ in 0..19 {
            c.report(0.0);
        }
        assert_eq!(c.plan(), Plan::OFF, "waits 4 × patience before probing");
        c.report(0.0);
        assert!(c.plan().is_on(), "probes the cheapest plan");
        assert_eq!(c.plan().every, 2);
        c.report(600.0);
        assert_eq!(c.plan(), Plan::OFF);
        for _ in 0..39 {
            c.report(0.0);
        }
        assert_eq!(c.plan(), Plan::OFF, "a failed probe doubles the wait");
        c.report(0.0);
        assert!(c.plan().is_on());
    }

    #[test]
    fn noise_inside_the_budget_does_not_move_it() {
        let mut c = BudgetController::new(&PROFILES[1], 5.0);
        for i in 0..500 {
            assert!(!c.report(3.0 + (i % 7) as f32 * 0.2));
        }
        assert_eq!(c.rung(), 0);
    }

    #[test]
    fn the_director_can_switch_it_off_and_on() {
        let mut c = BudgetController::new(&PROFILES[0], 5.0);
        c.set_enabled(false);
        assert_eq!(c.plan(), Plan::OFF);
        c.set_enabled(true);
        assert!(c.plan().is_on());
    }
}
