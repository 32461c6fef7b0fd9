//! Artifact rejection and time-domain heart-rate-variability metrics
//! (Task Force of the ESC/NASPE, 1996), defined exactly as pyhrv 0.5.0
//! computes them so results can be checked against it.

use serde::Serialize;

/// Physiological limits and the neighbour rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArtifactRules {
    /// Shortest plausible RR interval, ms (300 ms = 200 bpm).
    pub rr_min_ms: f32,
    /// Longest plausible RR interval, ms (2000 ms = 30 bpm).
    pub rr_max_ms: f32,
    /// An RR more than this fraction from the median of its neighbours is rejected.
    pub neighbour_tolerance: f32,
}

impl Default for ArtifactRules {
    fn default() -> Self {
        Self {
            rr_min_ms: 300.0,
            rr_max_ms: 2000.0,
            neighbour_tolerance: 0.20,
        }
    }
}

/// Why a beat was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// Outside the physiological range.
    OutOfRange,
    /// More than the tolerance from the median of its neighbours (ectopic or missed beat).
    Neighbour,
}

impl ArtifactRules {
    /// Whether `rr_ms` is physiologically possible.
    pub fn in_range(&self, rr_ms: f32) -> bool {
        rr_ms.is_finite() && rr_ms >= self.rr_min_ms && rr_ms <= self.rr_max_ms
    }

    /// Judges one in-range RR against up to two in-range neighbours on each
    /// side (`before` oldest first, `after` oldest first). With no neighbours
    /// at all the beat is accepted.
    pub fn judge(&self, before: &[f32], rr_ms: f32, after: &[f32]) -> Result<(), Rejection> {
        if !self.in_range(rr_ms) {
            return Err(Rejection::OutOfRange);
        }
        let mut n = [0f32; 4];
        let mut k = 0;
        for &v in before.iter().rev().take(2).chain(after.iter().take(2)) {
            n[k] = v;
            k += 1;
        }
        if k == 0 {
            return Ok(());
        }
        let med = median(&mut n[..k]);
        if (rr_ms - med).abs() > self.neighbour_tolerance * med {
            Err(Rejection::Neighbour)
        } else {
            Ok(())
        }
    }

    /// Filters a whole RR series offline with the same rule the live
    /// estimator applies: returns, for each interval, `None` (accepted) or why
    /// it was rejected. Neighbours are the nearest in-range intervals.
    pub fn filter(&self, rr_ms: &[f32]) -> Vec<Option<Rejection>> {
        let in_range: Vec<usize> = (0..rr_ms.len())
            .filter(|&i| self.in_range(rr_ms[i]))
            .collect();
        let mut out = vec![Some(Rejection::OutOfRange); rr_ms.len()];
        for (j, &i) in in_range.iter().enumerate() {
            let before: Vec<f32> = in_range[j.saturating_sub(2)..j]
                .iter()
                .map(|&k| rr_ms[k])
                .collect();
            let after: Vec<f32> = in_range[j + 1..(j + 3).min(in_range.len())]
                .iter()
                .map(|&k| rr_ms[k])
                .collect();
            out[i] = self.judge(&before, rr_ms[i], &after).err();
        }
        out
    }
}

fn median(v: &mut [f32]) -> f32 {
    v.sort_by(f32::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Time-domain HRV metrics of an NN series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HrvMetrics {
    /// Number of NN intervals.
    pub nn_count: usize,
    /// Mean NN interval, ms.
    pub mean_nn_ms: f64,
    /// Standard deviation of NN intervals (n − 1), ms.
    pub sdnn_ms: f64,
    /// Root mean square of successive differences, ms.
    pub rmssd_ms: f64,
    /// Natural log of RMSSD (the estimator's HRV signal).
    pub ln_rmssd: f64,
    /// Successive differences larger than 50 ms.
    pub nn50: usize,
    /// `nn50` as a percentage of successive differences.
    pub pnn50: f64,
    /// Mean of the beat-by-beat heart rate, bpm.
    pub mean_hr_bpm: f64,
    /// Shortest NN, ms.
    pub min_nn_ms: f64,
    /// Longest NN, ms.
    pub max_nn_ms: f64,
}

/// Computes the metrics. `nn` is the NN series in ms; `adjacent[i]` says
/// whether `nn[i]` directly follows `nn[i-1]` in the original recording (a
/// successive difference across a rejected beat or a gap is not used).
/// Pass `None` for a clean series. Needs at least 3 intervals.
pub fn time_domain(nn: &[f64], adjacent: Option<&[bool]>) -> Option<HrvMetrics> {
    let n = nn.len();
    if n < 3 {
        return None;
    }
    let mean = nn.iter().sum::<f64>() / n as f64;
    let var = nn.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
    let mut sq = 0.0;
    let mut diffs = 0usize;
    let mut nn50 = 0usize;
    for i in 1..n {
        if adjacent.is_some_and(|a| !a[i]) {
            continue;
        }
        let d = nn[i] - nn[i - 1];
        sq += d * d;
        diffs += 1;
        if d.abs() > 50.0 {
            nn50 += 1;
        }
    }
    if diffs == 0 {
        return None;
    }
    let rmssd = (sq / diffs as f64).sqrt();
    Some(HrvMetrics {
        nn_count: n,
        mean_nn_ms: mean,
        sdnn_ms: var.sqrt(),
        rmssd_ms: rmssd,
        ln_rmssd: rmssd.max(1e-3).ln(),
        nn50,
        pnn50: nn50 as f64 / diffs as f64 * 100.0,
        mean_hr_bpm: nn.iter().map(|x| 60_000.0 / x).sum::<f64>() / n as f64,
        min_nn_ms: nn.iter().copied().fold(f64::INFINITY, f64::min),
        max_nn_ms: nn.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_and_neighbour_rules() {
        let r = ArtifactRules::default();
        assert_eq!(r.judge(&[], 0.0, &[]), Err(Rejection::OutOfRange));
        assert_eq!(r.judge(&[], 2500.0, &[]), Err(Rejection::OutOfRange));
        assert_eq!(r.judge(&[800.0, 810.0], 805.0, &[790.0, 800.0]), Ok(()));
        // A premature (ectopic) beat and its compensatory pause.
        assert_eq!(
            r.judge(&[800.0, 810.0], 560.0, &[1050.0, 800.0]),
            Err(Rejection::Neighbour)
        );
        assert_eq!(
            r.judge(&[810.0, 560.0], 1050.0, &[800.0, 805.0]),
            Err(Rejection::Neighbour)
        );
        // Exactly 20% away is kept; more is not.
        assert_eq!(r.judge(&[1000.0], 1200.0, &[1000.0]), Ok(()));
        assert_eq!(
            r.judge(&[1000.0], 1201.0, &[1000.0]),
            Err(Rejection::Neighbour)
        );
    }

    #[test]
    fn filter_marks_the_ectopic_pair() {
        let r = ArtifactRules::default();
        let rr = [800.0, 810.0, 805.0, 560.0, 1050.0, 800.0, 795.0, 0.0, 805.0];
        let f = r.filter(&rr);
        assert_eq!(f[3], Some(Rejection::Neighbour));
        assert_eq!(f[4], Some(Rejection::Neighbour));
        assert_eq!(f[7], Some(Rejection::OutOfRange));
        assert_eq!(f.iter().filter(|v| v.is_none()).count(), 6);
    }

    #[test]
    fn metrics_by_hand() {
        let m = time_domain(&[800.0, 900.0, 850.0, 1000.0], None).unwrap();
        assert!((m.mean_nn_ms - 887.5).abs() < 1e-9);
        // diffs 100, -50, 150 → rmssd sqrt((10000+2500+22500)/3)
        assert!((m.rmssd_ms - (35000.0f64 / 3.0).sqrt()).abs() < 1e-9);
        assert_eq!(m.nn50, 2);
        assert!((m.pnn50 - 200.0 / 3.0).abs() < 1e-9);
        // A gap drops the difference across it.
        let g = time_domain(
            &[800.0, 900.0, 850.0, 1000.0],
            Some(&[true, true, false, true]),
        )
        .unwrap();
        assert!((g.rmssd_ms - (32500.0f64 / 2.0).sqrt()).abs() < 1e-9);
        assert!(time_domain(&[800.0, 810.0], None).is_none());
    }
}
