//! Loudness: EBU R128 / ITU-R BS.1770 measurement (the `ebur128` crate; the true peak as
//! FFmpeg's meter measures it) and normalisation to a
//! target by one linear gain followed by a true-peak limiter; no other dynamics processing.

use super::limiter::{self, Envelope, Limiter};
use crate::error::{Error, Result};
use crate::pcm::{self, Layout, Pcm};
use crate::progress::Progress;
use cutroom_ffi::Resampler;
use ebur128::{Channel, EbuR128, Mode};
use serde::Serialize;
use std::path::Path;

/// Where normalisation should land.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessTarget {
    /// Integrated loudness, LUFS (e.g. -14 for social platforms, -23 for EBU R128 broadcast).
    pub integrated_lufs: f64,
    /// True-peak ceiling, dBTP (e.g. -1).
    pub true_peak_db: f64,
}

impl LoudnessTarget {
    /// A checked target: the one check of the command line, the assemble spec and presets.
    /// `names` are what the caller calls the two numbers (`--loudness`, `loudness_lufs`, ...),
    /// so the message points at the value to fix.
    pub fn new(
        integrated_lufs: f64,
        true_peak_db: f64,
        names: [&str; 2],
    ) -> std::result::Result<Self, String> {
        let true_peak_db = check_true_peak(true_peak_db, names[1])?;
        if !(-70.0..=0.0).contains(&integrated_lufs) {
            return Err(format!(
                "{} must be between -70 and 0 LUFS, not {integrated_lufs}",
                names[0]
            ));
        }
        Ok(Self {
            integrated_lufs,
            true_peak_db,
        })
    }
}

/// Why a soundtrack normalised to a target is written more than 0.1 LU under it, as measured
/// in mastering it ([`crate::audio::soundtrack::master`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shortfall {
    /// Silent or too short to measure: its level was left as it was.
    Unmeasured,
    /// The limiter held the levelled sound under `limit_db` dBTP: the ceiling, or lower where
    /// the encode raised the peaks over it.
    Ceiling { limit_db: f64 },
    /// The levelled sound measured `before_lufs`; the AAC encode lost the rest, and
    /// `high_share` of its power lies above [`AAC_BAND_HZ`].
    Encode { before_lufs: f64, high_share: f64 },
}

/// Where FFmpeg's AAC encoder (at cutroom's 96 kb/s a channel) stops keeping sound, Hz:
/// measured, a 19.5 kHz tone at -10 LUFS is written 1.1 LU quieter, a 20 kHz one 13.6 LU.
pub const AAC_BAND_HZ: f64 = 19_000.0;

/// How far under the ceiling the limiter must have been held, dB, for a warning to say the
/// encode's raised peaks put it there (a tenth of a dB is the usual allowance, not a cause).
const LOWERED_DB: f64 = 0.5;

impl Shortfall {
    /// This shortfall from `target` of a soundtrack `secs` long that measures `got` as written,
    /// in words for a warning: the cause and the figures of the output.
    pub fn words(&self, target: &LoudnessTarget, got: &LoudnessReport, secs: f64) -> String {
        let ceiling = target.true_peak_db;
        let l = match (self, got.integrated_lufs) {
            (Self::Unmeasured, _) | (_, None) => {
                return format!(
                    "the soundtrack is {}, so its level is left as it is",
                    LoudnessReport::unmeasured(secs)
                )
            }
            (_, Some(l)) => l,
        };
        let tp = got.true_peak_dbtp.unwrap_or(f64::NEG_INFINITY);
        let reaches = format!("the soundtrack reaches {l:.1} LUFS at a true peak of {tp:.1} dBTP");
        match *self {
            Self::Unmeasured => unreachable!("returned above"),
            Self::Ceiling { limit_db } => {
                let lowered = if limit_db < ceiling - LOWERED_DB {
                    format!(
                        " (the limiter held it under {limit_db:.1} dBTP, as the AAC encode raised \
                         its peaks)"
                    )
                } else {
                    String::new()
                };
                format!(
                    "{reaches}, as loud as the {ceiling} dBTP true-peak ceiling allows{lowered}"
                )
            }
            Self::Encode {
                before_lufs,
                high_share,
            } => {
                let band = if high_share >= 0.1 {
                    format!(
                        ", {:.0}% of its power above {:.0} kHz, where the encoder keeps little",
                        high_share * 100.0,
                        AAC_BAND_HZ / 1000.0
                    )
                } else {
                    String::new()
                };
                format!(
                    "{reaches}, {:.1} dB under the {ceiling} dBTP ceiling: the AAC encoder \
                     removed {:.1} LU of the sound, which measured {before_lufs:.1} LUFS before \
                     encoding{band}",
                    ceiling - tp,
                    before_lufs - l
                )
            }
        }
    }
}

/// A true-peak ceiling checked as [`LoudnessTarget::new`] checks it: above -60, at most 0 dBTP.
pub fn check_true_peak(db: f64, name: &str) -> std::result::Result<f64, String> {
    if db > -60.0 && db <= 0.0 {
        Ok(db)
    } else {
        Err(format!("{name} must be between -60 and 0 dBTP, not {db}"))
    }
}

/// EBU R128 figures of a signal. A figure that does not exist for the signal (the integrated
/// loudness of silence, the true peak of digital silence) is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct LoudnessReport {
    /// Gated integrated loudness, LUFS; `None` when no 400 ms block is above the -70 LUFS gate.
    pub integrated_lufs: Option<f64>,
    /// Loudness range (EBU Tech 3342), LU.
    pub loudness_range_lu: Option<f64>,
    /// Largest true peak over all channels (upsampled to 192 kHz, as FFmpeg's meter), dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Largest short-term (3 s window) loudness, LUFS, updated every 100 ms.
    pub max_short_term_lufs: Option<f64>,
    /// Largest momentary (400 ms window) loudness, LUFS, updated every 100 ms.
    pub max_momentary_lufs: Option<f64>,
}

impl LoudnessReport {
    /// True when the signal has no measurable loudness (silence or near-silence).
    pub fn is_silent(&self) -> bool {
        self.integrated_lufs.is_none()
    }

    /// Why a sound `secs` long has no integrated loudness, in words: shorter than one 400 ms
    /// gating block it cannot be measured (however loud); longer, every block is under the
    /// -70 LUFS gate.
    pub fn unmeasured(secs: f64) -> &'static str {
        if secs < 0.4 {
            "too short to measure (under 0.4 s)"
        } else {
            "silent"
        }
    }
}

/// Measure `pcm`. Channels are weighted where its layout says they play, as BS.1770 says: L,
/// R, C at 1, surrounds at 1.41, an LFE ignored; a mono channel counts once (as FFmpeg's `ebur128` filter does), which is
/// also what it measures after cutroom's equal-power conversion to stereo.
pub fn measure(pcm: &Pcm) -> Result<LoudnessReport> {
    let step = block_len(pcm);
    measure_blocks(
        pcm.rate,
        pcm.channels,
        pcm.layout,
        pcm.data.chunks(step).map(<[f32]>::to_vec),
    )
}

/// Measure the sound of `path` as [`pcm::decode_aligned`] decodes it at `rate` Hz and
/// `channels` channels, a piece at a time as it decodes (a long track is never held whole);
/// `None` when the file has no audio stream. Damaged packets skipped are reported to `progress`.
pub fn measure_file(
    path: &Path,
    rate: u32,
    channels: u16,
    progress: &dyn Progress,
) -> Result<Option<LoudnessReport>> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<f32>>(16);
    std::thread::scope(|s| {
        let decoded = s.spawn(move || {
            pcm::stream_aligned(path, rate, channels, None, progress, |piece| {
                // The meter stopped on an error of its own, which is reported instead.
                tx.send(piece.to_vec())
                    .map_err(|_| Error::Internal("loudness meter stopped".into()))
            })
        });
        let report = measure_blocks(rate, channels, Layout::DEFAULT, rx.into_iter());
        let decoded = decoded.join().expect("audio decoding thread");
        let report = report?;
        Ok(decoded?.then_some(report))
    })
}

/// Interleaved samples per 100 ms block of `pcm` (the step of the short-term and momentary
/// maxima).
fn block_len(pcm: &Pcm) -> usize {
    (pcm.rate as usize).div_ceil(10) * usize::from(pcm.channels)
}

/// Measure a signal at `rate` Hz with `channels` channels laid out as `layout`, given as consecutive `blocks` (made
/// as they are read or decoded, so the signal is measured without being kept).
fn measure_blocks(
    rate: u32,
    channels: u16,
    layout: Layout,
    blocks: impl Iterator<Item = Vec<f32>>,
) -> Result<LoudnessReport> {
    let mut levels = LevelMeter::new(rate, channels, layout)?;
    // The true-peak interpolator is the costly part: it runs on its own thread.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<f32>>(16);
    let (tp, fed) = std::thread::scope(|s| {
        let tp = s.spawn(move || -> Result<Option<f64>> {
            let mut peak = TruePeakMeter::new(rate, channels)?;
            for block in rx {
                peak.add(&block)?;
            }
            peak.db()
        });
        let feed = || -> Result<()> {
            for block in blocks {
                levels.add(&block)?;
                if tx.send(block).is_err() {
                    break; // the true-peak meter failed: its error is reported
                }
            }
            Ok(())
        };
        let fed = feed();
        drop(tx);
        (tp.join().expect("true-peak thread"), fed)
    });
    fed?;
    levels.report(tp?)
}

/// Integrated loudness, loudness range, max short-term and max momentary loudness.
type Levels = (Option<f64>, Option<f64>, Option<f64>, Option<f64>);

/// A running measurement of the loudness figures of a [`LoudnessReport`] (all but the true
/// peak), fed in pieces of any size; the short-term and momentary maxima are taken every
/// 100 ms of audio and at the end, as [`measure`] does.
pub struct LevelMeter {
    meter: EbuR128,
    /// Interleaved samples per 100 ms step.
    step: usize,
    /// Samples fed since the last step.
    filled: usize,
    max_s: f64,
    max_m: f64,
}

impl LevelMeter {
    /// A meter for interleaved audio at `rate` Hz with `channels` channels laid out as
    /// `layout`.
    pub fn new(rate: u32, channels: u16, layout: Layout) -> Result<Self> {
        Ok(Self {
            meter: meter(
                rate,
                channels,
                layout,
                Mode::I | Mode::LRA | Mode::S | Mode::M,
            )?,
            step: (rate as usize).div_ceil(10) * usize::from(channels),
            filled: 0,
            max_s: f64::NEG_INFINITY,
            max_m: f64::NEG_INFINITY,
        })
    }

    /// Feed interleaved samples.
    pub fn add(&mut self, mut interleaved: &[f32]) -> Result<()> {
        while !interleaved.is_empty() {
            let take = (self.step - self.filled).min(interleaved.len());
            let (now, rest) = interleaved.split_at(take);
            self.meter.add_frames_f32(now).map_err(meter_error)?;
            self.filled += take;
            interleaved = rest;
            if self.filled == self.step {
                (self.max_s, self.max_m) = self.maxima()?;
                self.filled = 0;
            }
        }
        Ok(())
    }

    /// The short-term and momentary maxima with the current windows included.
    fn maxima(&self) -> Result<(f64, f64)> {
        Ok((
            self.max_s
                .max(self.meter.loudness_shortterm().map_err(meter_error)?),
            self.max_m
                .max(self.meter.loudness_momentary().map_err(meter_error)?),
        ))
    }

    fn levels(&self) -> Result<Levels> {
        // A partial last step counts too.
        let (max_s, max_m) = if self.filled > 0 {
            self.maxima()?
        } else {
            (self.max_s, self.max_m)
        };
        Ok((
            finite(self.meter.loudness_global().map_err(meter_error)?),
            finite(self.meter.loudness_range().map_err(meter_error)?),
            finite(max_s),
            finite(max_m),
        ))
    }

    /// The figures of everything fed, with the true peak measured elsewhere.
    pub fn report(&self, true_peak_dbtp: Option<f64>) -> Result<LoudnessReport> {
        let (integrated, range, max_s, max_m) = self.levels()?;
        Ok(LoudnessReport {
            integrated_lufs: integrated,
            loudness_range_lu: integrated.and(range),
            true_peak_dbtp,
            max_short_term_lufs: max_s,
            max_momentary_lufs: max_m,
        })
    }
}

/// Bring `pcm` to `target` ([`plan`], then [`Plan::apply`]). Returns the report of the result.
pub fn normalize(pcm: &mut Pcm, target: &LoudnessTarget) -> Result<LoudnessReport> {
    let plan = plan(pcm, target)?;
    let report = plan.report;
    plan.apply(pcm);
    Ok(report)
}

/// How [`normalize`] levels a sound, worked out before it is changed: the caller may decide
/// against it (a target the ceiling does not allow).
pub struct Plan {
    /// The gain and limiter ceiling (dBTP), and the [`limiter::Envelope`] of the sound;
    /// `None` for silence, left as it is.
    levelling: Option<(f32, f64, Envelope)>,
    /// The figures of the sound as levelled.
    pub report: LoudnessReport,
}

impl Plan {
    /// Level `pcm`, the sound planned for.
    pub fn apply(self, pcm: &mut Pcm) {
        if let Some((g, ceiling, envelope)) = self.levelling {
            limiter::scale_and_limit(pcm, g, ceiling, Some(&envelope));
        }
    }
}

/// Plan bringing `pcm` to `target`: one linear gain to the target integrated loudness, then the
/// true-peak limiter (look-ahead, so nothing clips) holds the ceiling. When limiting costs
/// loudness the gain is raised (secant steps, climbing in doubling steps where the limiter
/// absorbs it) and the pass repeated, a few times at most; a target the ceiling makes
/// unreachable ends as loud as the limiter allows. Silence (no gating
/// block) is left untouched and reported as silent.
pub fn plan(pcm: &Pcm, target: &LoudnessTarget) -> Result<Plan> {
    let Some(start) = integrated(pcm)? else {
        return Ok(Plan {
            levelling: None,
            report: measure(pcm)?,
        });
    };
    let mut gain_db = target.integrated_lufs - start;
    // Where the signal peaks serves every pass (a gain only scales it): the envelope of what
    // the first pass's gain takes near or over the ceiling is kept for every pass.
    let near = 10f64.powf((target.true_peak_db - gain_db - KEEP_MARGIN_DB) / 20.0);
    let envelope = Envelope::new(pcm, near as f32);
    // A hair under the ceiling, so the meter's rounding does not call for a second pass.
    let mut ceiling = target.true_peak_db - CEILING_MARGIN_DB;
    let mut last: Option<(f64, f64)> = None;
    // The gain added so far to climb where the limiter absorbed more gain, and the last step.
    let (mut climbed, mut climb) = (0.0, 0.0);
    let mut report;
    let mut pass = 0;
    // Each pass measures the gained and limited signal a block at a time.
    let step = block_len(pcm);
    let mut g;
    loop {
        pass += 1;
        g = 10f64.powf(gain_db / 20.0) as f32;
        let mut limiter = Limiter::new(pcm.rate, pcm.channels, g, ceiling, Some(&envelope));
        let blocks = pcm.data.chunks(step).map(|chunk| {
            let mut block: Vec<f32> = chunk.iter().map(|v| v * g).collect();
            limiter.apply(&pcm.data, &mut block);
            block
        });
        report = measure_blocks(pcm.rate, pcm.channels, pcm.layout, blocks)?;
        let lufs = report.integrated_lufs.unwrap_or(f64::NEG_INFINITY);
        let tp = report.true_peak_dbtp.unwrap_or(f64::NEG_INFINITY);
        let miss = target.integrated_lufs - lufs;
        let peak_ok = tp <= target.true_peak_db;
        if (miss.abs() <= 0.05 && peak_ok) || pass == MAX_PASSES {
            break;
        }
        if !peak_ok {
            // The meter's interpolator saw a little more than the limiter's: aim lower.
            ceiling -= tp - target.true_peak_db + 0.02;
        }
        if miss.abs() > 0.05 {
            // dLUFS / dgain from the last two passes (1 while nothing limits).
            let slope = match last {
                Some((g0, l0)) if (gain_db - g0).abs() > 1e-6 => (lufs - l0) / (gain_db - g0),
                _ => 1.0,
            };
            if slope >= 0.05 {
                last = Some((gain_db, lufs));
                gain_db += (miss / slope).clamp(-20.0, 20.0);
            } else if peak_ok && miss > 0.0 && tp - lufs > CLIMB_CREST_DB && climbed < MAX_CLIMB_DB
            {
                // The limiter absorbs this much more gain: it squashes what made the loudness
                // (clicks over faint noise), and while the rest lies well under the peaks, more
                // gain may bring it up. Climb in doubling steps until the loudness moves again.
                climb = f64::max(climb * 2.0, miss).min(MAX_CLIMB_DB - climbed);
                climbed += climb;
                last = Some((gain_db, lufs));
                gain_db += climb;
            } else if peak_ok {
                break; // the limiter absorbs any more gain: as loud as the ceiling allows
            }
        }
    }
    Ok(Plan {
        levelling: Some((g, ceiling, envelope)),
        report,
    })
}

/// How far under the ceiling the first pass's gain may leave a block for its envelope to be
/// kept for the next passes (which raise the gain when limiting costs loudness), dB.
const KEEP_MARGIN_DB: f64 = 6.0;

/// How far under the true-peak ceiling the limiter aims, dB.
const CEILING_MARGIN_DB: f64 = 0.01;

/// Most gain-and-limit passes `normalize` makes.
const MAX_PASSES: usize = 12;

/// Most gain added, dB, past where more gain stopped making the sound louder (the limiter
/// absorbing it), looking for where it does again.
const MAX_CLIMB_DB: f64 = 40.0;

/// How far under its true peak a sound's loudness must lie, dB, for more gain to be worth
/// trying where the limiter absorbs it: a sine lies 3 dB under, squashed flat already.
const CLIMB_CREST_DB: f64 = 6.0;

/// The rate FFmpeg's `ebur128` filter upsamples to for the true peak, whatever the input's (4x
/// 48 kHz, about 4.35x 44.1 kHz, 2x 96 kHz).
const TRUE_PEAK_RATE: u32 = 192_000;

/// A running true-peak measurement, fed in pieces, made as FFmpeg's `ebur128` filter (the
/// reference meter) makes it: the signal upsampled to 192 kHz by swresample, its largest
/// magnitude over all channels. A 4x interpolator at 44.1 kHz samples a tone's waveform at the
/// same few phases again and again, and a short one (the `ebur128` crate's 48 taps) dulls the
/// top of the band: both read under FFmpeg, by up to 1.2 dB on white noise.
pub struct TruePeakMeter {
    up: Resampler,
    max: f32,
}

impl TruePeakMeter {
    /// A meter for interleaved audio at `rate` Hz with `channels` channels.
    pub fn new(rate: u32, channels: u16) -> Result<Self> {
        Ok(Self {
            up: Resampler::new(rate, channels, Layout::DEFAULT, TRUE_PEAK_RATE, channels)?,
            max: 0.0,
        })
    }

    /// Feed interleaved samples.
    pub fn add(&mut self, interleaved: &[f32]) -> Result<()> {
        let up = self.up.run(interleaved)?;
        self.max = peak(self.max, &up);
        Ok(())
    }

    /// The largest true peak of everything fed, dBTP (`None` for digital silence).
    pub fn db(mut self) -> Result<Option<f64>> {
        let tail = self.up.flush()?;
        Ok(finite(20.0 * f64::from(peak(self.max, &tail)).log10()))
    }
}

/// The larger of `max` and the largest magnitude in `samples`.
fn peak(max: f32, samples: &[f32]) -> f32 {
    samples.iter().fold(max, |m, v| m.max(v.abs()))
}

/// Integrated loudness alone (`None` for silence): the cheap first measurement of `normalize`.
fn integrated(pcm: &Pcm) -> Result<Option<f64>> {
    let mut m = meter(pcm.rate, pcm.channels, pcm.layout, Mode::I)?;
    m.add_frames_f32(&pcm.data).map_err(meter_error)?;
    Ok(finite(m.loudness_global().map_err(meter_error)?))
}

/// A meter for `channels` laid out as `layout`, each weighted where it plays as FFmpeg's
/// `ebur128` filter weighs it: an LFE not at all, a back, side, top back or surround direct
/// channel at 1.41 (BS.1770's surrounds), any other at 1.
fn meter(rate: u32, channels: u16, layout: Layout, mode: Mode) -> Result<EbuR128> {
    /// LFE and LFE2.
    const LFE: u64 = 0x8 | 0x8_0000_0000;
    /// BL BR BC SL SR, TBL TBC TBR, SDL SDR.
    const SURROUND: u64 = 0x10 | 0x20 | 0x100 | 0x200 | 0x400 | 0x3_8000 | 0x6_0000_0000;
    let cannot = || {
        Error::Internal(format!(
            "loudness meter: cannot measure {channels} channels at {rate} Hz"
        ))
    };
    let mut m = EbuR128::new(u32::from(channels), rate, mode).map_err(|_| cannot())?;
    for (c, position) in (0..).zip(layout.positions(channels)) {
        let kind = match position {
            p if p & LFE != 0 => Channel::Unused,
            p if p & SURROUND != 0 => Channel::LeftSurround,
            _ => Channel::Center,
        };
        m.set_channel(c, kind).map_err(|_| cannot())?;
    }
    Ok(m)
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn meter_error(e: ebur128::Error) -> Error {
    Error::Internal(format!("loudness meter: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(amp: f32, secs: f64) -> Pcm {
        let n = (secs * 48000.0) as usize;
        let data = (0..n)
            .flat_map(|i| {
                let v = amp * (2.0 * std::f32::consts::PI * 997.0 * i as f32 / 48000.0).sin();
                [v, v]
            })
            .collect();
        Pcm::stereo(48000, data)
    }

    #[test]
    fn measures_a_reference_tone() {
        // BS.1770: a 0 dBFS 1 kHz sine in one channel reads -3.01 LUFS, so the same sine at
        // -20 dBFS in both channels reads -20 LUFS.
        let r = measure(&tone(0.1, 5.0)).unwrap();
        assert!((r.integrated_lufs.unwrap() + 20.0).abs() < 0.1, "{r:?}");
        assert!((r.true_peak_dbtp.unwrap() + 20.0).abs() < 0.1, "{r:?}");
        assert!((r.max_momentary_lufs.unwrap() + 20.0).abs() < 0.1, "{r:?}");
        assert!((r.max_short_term_lufs.unwrap() + 20.0).abs() < 0.1, "{r:?}");
        assert!(r.loudness_range_lu.unwrap() < 0.5, "{r:?}");
    }

    #[test]
    fn normalizes_with_gain_and_ceiling() {
        let mut p = tone(0.05, 5.0);
        let r = normalize(
            &mut p,
            &LoudnessTarget {
                integrated_lufs: -14.0,
                true_peak_db: -1.0,
            },
        )
        .unwrap();
        assert!((r.integrated_lufs.unwrap() + 14.0).abs() < 0.1, "{r:?}");
        assert!(r.true_peak_dbtp.unwrap() <= -1.0, "{r:?}");
        // A sine cannot be louder than its peak: the limiter holds the ceiling all the same.
        let mut p = tone(0.05, 5.0);
        let r = normalize(
            &mut p,
            &LoudnessTarget {
                integrated_lufs: -0.5,
                true_peak_db: -1.0,
            },
        )
        .unwrap();
        assert!(r.true_peak_dbtp.unwrap() <= -1.0, "{r:?}");
    }

    /// Faint noise under loud 2 ms clicks: the clicks make its loudness, and limiting them
    /// costs as much loudness as a little more gain adds, until the noise comes up. -14 LUFS
    /// stopped at -16.7 "as loud as the ceiling allows", -15 at -17.4, while -10 got -10.2.
    #[test]
    fn a_plateau_of_limited_clicks_is_climbed_to_the_target() {
        let mut seed = 1u32;
        let n = 2 * 48000;
        let data = (0..n)
            .flat_map(|i| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let noise = 0.02 * (f64::from(seed >> 8) / f64::from(1u32 << 24) - 0.5) as f32;
                let t = i as f32 / 48000.0;
                let click = if i % 24000 < 96 {
                    0.99 * (2.0 * std::f32::consts::PI * 3000.0 * t).sin()
                } else {
                    0.0
                };
                [noise + click, noise + click]
            })
            .collect();
        let clicks = Pcm::stereo(48000, data);
        for target in [-16.0, -14.0] {
            let t = LoudnessTarget {
                integrated_lufs: target,
                true_peak_db: -1.0,
            };
            let r = plan(&clicks, &t).unwrap().report;
            let got = r.integrated_lufs.unwrap();
            assert!((got - target).abs() <= 0.1, "{target}: {r:?}");
            assert!(r.true_peak_dbtp.unwrap() <= -1.0, "{target}: {r:?}");
        }
    }

    #[test]
    fn silence_is_reported_not_amplified() {
        let mut p = Pcm::silence(48000, 2, 48000);
        let r = normalize(
            &mut p,
            &LoudnessTarget {
                integrated_lufs: -14.0,
                true_peak_db: -1.0,
            },
        )
        .unwrap();
        assert!(r.is_silent());
        assert!(r.true_peak_dbtp.is_none());
        assert!(p.data.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn a_meter_refusal_is_an_internal_error_not_a_usage_error() {
        let e = meter(48000, 0, Layout::DEFAULT, Mode::I).unwrap_err();
        assert!(matches!(e, Error::Internal(_)), "{e:?}");
        assert_eq!(e.exit_code(), crate::error::exit::INTERNAL);
    }
}
