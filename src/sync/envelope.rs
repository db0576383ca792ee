//! The sliding cross-correlation of visual impulses against a signal sampled once per
//! millisecond of the presentation timeline ([`Envelope`]).

use crate::audio::onsets::Envelope;

/// The best lag of a cross-correlation and how much it stands out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Correlation {
    /// Lag in ms (audio later than picture is positive), refined below the millisecond.
    pub lag_ms: f64,
    /// Normalised correlation at the peak (0..1).
    pub peak: f64,
    /// Best normalised correlation away from the peak (0..1).
    pub runner_up: f64,
    /// Separate moments (further apart than the exclusion) that carry the peak: each gives at
    /// least a tenth of the largest contribution.
    pub moments: usize,
    /// Confidence in the lag: the peak's height times its margin over the runner-up; 0 when
    /// fewer than [`MIN_MOMENTS`] moments carry the peak (one coincidence is no agreement).
    pub confidence: f64,
}

/// Separate moments that must line up for a correlation to count.
pub const MIN_MOMENTS: usize = 2;

/// Cross-correlate visual impulses `(time s, strength)` with `audio` over lags of
/// `-max_lag_ms..=max_lag_ms`. `exclusion_ms` is how far from the peak a runner-up must be.
/// `None` when either side carries no signal in the span, or when the best lag is an end of the
/// search: no peak inside it (a flat correlation, or one still rising past the search).
pub fn correlate(
    impulses: &[(f64, f32)],
    audio: &Envelope,
    max_lag_ms: i64,
    exclusion_ms: f64,
) -> Option<Correlation> {
    let vis_energy: f64 = impulses.iter().map(|(_, v)| f64::from(*v).powi(2)).sum();
    if vis_energy <= 0.0 {
        return None;
    }
    // Raw dot products per lag, normalised by the largest audio energy any lag sees: a score of
    // 1 means the audio onsets line up with the visual impulses in proportion.
    let (dots, auds): (Vec<f64>, Vec<f64>) = (-max_lag_ms..=max_lag_ms)
        .map(|lag| {
            let shift = lag as f64 / 1000.0;
            let (mut dot, mut aud) = (0.0f64, 0.0f64);
            for &(t, v) in impulses {
                let a = f64::from(audio.at(t + shift));
                dot += f64::from(v) * a;
                aud += a * a;
            }
            (dot, aud)
        })
        .unzip();
    let aud_max = auds.iter().copied().fold(0.0, f64::max);
    if aud_max <= 0.0 {
        return None;
    }
    let norm = (vis_energy * aud_max).sqrt();
    let scores: Vec<f64> = dots.iter().map(|d| d / norm).collect();
    let (best, &peak) = scores
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))?;
    if peak <= 0.0 || best == 0 || best == scores.len() - 1 {
        return None;
    }
    let runner_up = scores
        .iter()
        .enumerate()
        .filter(|(i, _)| (*i as f64 - best as f64).abs() > exclusion_ms)
        .map(|(_, s)| *s)
        .fold(0.0, f64::max);
    // Parabolic refinement around the peak.
    let frac = match (best.checked_sub(1), scores.get(best + 1)) {
        (Some(l), Some(&r)) => {
            let l = scores[l];
            let denom = l - 2.0 * peak + r;
            if denom < 0.0 {
                (0.5 * (l - r) / denom).clamp(-0.5, 0.5)
            } else {
                0.0
            }
        }
        _ => 0.0,
    };
    let lag_ms = best as f64 - max_lag_ms as f64 + frac;
    let moments = moments(impulses, audio, lag_ms, exclusion_ms);
    let confidence = if moments < MIN_MOMENTS {
        0.0
    } else {
        (peak * (1.0 - runner_up / peak)).clamp(0.0, 1.0)
    };
    Some(Correlation {
        lag_ms,
        peak,
        runner_up,
        moments,
        confidence,
    })
}

/// How many separate moments (more than `apart_ms` from the previous one counted) carry the
/// correlation at `lag_ms`, each contributing at least a tenth of the largest contribution.
fn moments(impulses: &[(f64, f32)], audio: &Envelope, lag_ms: f64, apart_ms: f64) -> usize {
    let parts: Vec<(f64, f64)> = impulses
        .iter()
        .map(|&(t, v)| (t, f64::from(v) * f64::from(audio.at(t + lag_ms / 1000.0))))
        .collect();
    let top = parts.iter().map(|p| p.1).fold(0.0, f64::max);
    let mut last: Option<f64> = None;
    let mut count = 0;
    for &(t, c) in &parts {
        if top > 0.0 && c >= 0.1 * top && last.is_none_or(|l| (t - l) * 1000.0 > apart_ms) {
            count += 1;
            last = Some(t);
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_finds_the_shift() {
        let mut values = vec![0.0; 6000];
        for t in [1040usize, 3040, 4540] {
            values[t] = 1.0;
        }
        let env = Envelope {
            start_ms: 0,
            values,
        }
        .smoothed(2);
        let imp = [(1.0, 1.0), (3.0, 1.0), (4.5, 0.5), (2.0, 0.0)];
        let c = correlate(&imp, &env, 500, 50.0).unwrap();
        assert!((c.lag_ms - 40.0).abs() < 0.01, "{c:?}");
        assert!(c.confidence > 0.9, "{c:?}");
        assert_eq!(c.moments, 3);
        // One impulse meeting one sound is a coincidence, however clean.
        let c = correlate(&imp[..1], &env, 500, 50.0).unwrap();
        assert!((c.lag_ms - 40.0).abs() < 0.01, "{c:?}");
        assert_eq!((c.moments, c.confidence), (1, 0.0));
    }

    #[test]
    fn no_signal_no_correlation() {
        let env = Envelope {
            start_ms: 0,
            values: vec![0.0; 100],
        };
        assert!(correlate(&[(0.01, 1.0)], &env, 10, 5.0).is_none());
        assert!(correlate(&[(0.01, 0.0)], &env, 10, 5.0).is_none());
    }

    #[test]
    fn a_best_lag_at_an_end_of_the_search_is_no_peak() {
        // A steady sound: every lag scores alike, so the "best" is an end of the search.
        let steady = Envelope {
            start_ms: 0,
            values: vec![1.0; 6000],
        };
        let imp = [(1.0, 1.0), (3.0, 1.0), (4.5, 0.5)];
        assert_eq!(correlate(&imp, &steady, 500, 50.0), None);
        // Sounds 700 ms after each impulse: the correlation still rises at +500 ms.
        let mut values = vec![0.0; 6000];
        for t in [1700usize, 3700, 5200] {
            values[t] = 1.0;
        }
        let late = Envelope {
            start_ms: 0,
            values,
        }
        .smoothed(200);
        assert_eq!(correlate(&imp, &late, 500, 50.0), None);
    }
}
