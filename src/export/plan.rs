//! An export's plan: each output's path, frame-rate grid and duration check, and the encodes
//! its outputs share.

use super::reframe::Fit;
use super::soundtracks::Track;
use super::{cover, overlay, preset, Request};
use crate::audio::soundtrack::RATE as AUDIO_RATE;
use crate::avwrite::EncodedAudio;
use crate::cadence::{frame_count, grid, Cadence};
use crate::error::{Error, Result};
use crate::output::{check_outputs, Planned};
use crate::picture::turn::Turn;
use crate::time::{Ticks, TimeBase};
use cutroom_ffi::{Rational, VideoEncoderConfig};
use preset::Preset;
use std::path::PathBuf;
/// One output being planned: preset, grid, path and warnings.
pub(super) struct Plan {
    pub(super) preset: Preset,
    pub(super) target: PathBuf,
    pub(super) rate: Rational,
    pub(super) frames: u64,
    /// Source time base (for the frame-rate grid).
    pub(super) time_base: TimeBase,
    pub(super) warnings: Vec<String>,
}

/// What an export needs to know of its pictures (the input's video stream, or a feed).
pub(super) struct PictureInfo {
    /// Time base of the frames' pts.
    pub(super) time_base: TimeBase,
    /// Frame rates in order of preference: the base rate, then the average.
    pub(super) rates: [Rational; 2],
    /// The first frame's pts, when known (else the first frame's own).
    pub(super) start_time: Option<Ticks>,
    /// Length in `time_base` ticks.
    pub(super) duration: Ticks,
    /// The turn that shows the pictures upright.
    pub(super) turn: Turn,
    /// The pictures' size, upright and in square pixels.
    pub(super) size: (u32, u32),
}

/// One encode: outputs whose pictures and encoder settings are identical share it.
pub(super) struct Job {
    /// Indices into the plans.
    pub(super) outputs: Vec<usize>,
    pub(super) cadence: Cadence,
    /// The soundtrack its outputs carry.
    pub(super) track: Track,
    pub(super) snapshot_at: Option<u64>,
}

/// Group the plans into encodes. Outputs that differ only in platform limits and UI zones
/// (TikTok, Reels and Shorts) are encoded once and written several times; outputs at another
/// loudness target carry another soundtrack, so they are not the same encode.
pub(super) fn group(req: &Request, plans: &[Plan]) -> Vec<Job> {
    let key = |p: &Plan| {
        // The video's cap depends on the soundtrack too, which the key holds as its target.
        let c = encoder_config(p, req, 0, None);
        (
            (c.width, c.height, c.frame_rate, p.frames),
            (c.crf.to_bits(), c.preset, c.gop, p.preset.max_kbps),
            (
                p.preset.loudness_lufs.to_bits(),
                p.preset.true_peak_dbtp.to_bits(),
            ),
        )
    };
    let mut jobs: Vec<(_, Job)> = Vec::new();
    for (i, p) in plans.iter().enumerate() {
        let k = key(p);
        let snapshot = req.safe_zones.is_some() && p.preset.is_vertical();
        if let Some((_, job)) = jobs.iter_mut().find(|(jk, _)| *jk == k) {
            job.outputs.push(i);
            job.snapshot_at = job.snapshot_at.or(snapshot.then_some(p.frames * 2 / 5));
            continue;
        }
        let samples = Ticks(p.frames as i64).samples(grid(p.rate), AUDIO_RATE).0 as usize;
        jobs.push((
            k,
            Job {
                outputs: vec![i],
                cadence: Cadence::new(p.time_base, p.rate, p.frames),
                track: Track {
                    samples,
                    loudness_lufs: p.preset.loudness_lufs,
                    true_peak_dbtp: p.preset.true_peak_dbtp,
                },
                snapshot_at: snapshot.then_some(p.frames * 2 / 5),
            },
        ));
    }
    jobs.into_iter().map(|(_, j)| j).collect()
}

/// Usage checks that need no media: presets given once, a vertical preset for safe zones.
pub(super) fn check_request(req: &Request) -> Result<()> {
    if req.presets.is_empty() {
        return Err(Error::Usage("export needs at least one --preset".into()));
    }
    for (i, p) in req.presets.iter().enumerate() {
        if req.presets[..i].iter().any(|q| q.name == p.name) {
            return Err(Error::Usage(format!("preset `{}` is given twice", p.name)));
        }
    }
    if req.safe_zones.is_some() && !req.presets.iter().any(Preset::is_vertical) {
        return Err(Error::Usage(
            "--safe-zones draws vertical outputs; add a vertical preset (tiktok, reels, shorts, feed45)"
                .into(),
        ));
    }
    if let Some(p) = &req.safe_zones {
        if !p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) {
            return Err(Error::Usage(format!(
                "--safe-zones {}: the sheet is a PNG; give a file name ending in .png",
                p.display()
            )));
        }
    }
    if req.reframe.follow_motion && req.reframe.fit != Fit::Crop {
        return Err(Error::Usage(
            "--focus auto moves a crop window; use it with --fit crop".into(),
        ));
    }
    if let Some(x) = &req.x264_preset {
        if !preset::X264_PRESETS.contains(&x.as_str()) {
            return Err(Error::Usage(format!(
                "--x264-preset {x}: expected one of {}",
                preset::X264_PRESETS.join(", ")
            )));
        }
    }
    Ok(())
}

/// The nominal frame rate: the first known of `rates` (see [`PictureInfo::rates`]); 0/0 when
/// none is.
pub(super) fn nominal_rate(rates: &[Rational; 2]) -> Rational {
    rates
        .iter()
        .copied()
        .find(|r| !r.is_unknown())
        .unwrap_or(Rational::new(0, 0))
}

/// Output paths, grids and duration checks for every preset.
pub(super) fn plan(req: &Request, picture: &PictureInfo) -> Result<Vec<Plan>> {
    // The input's own bytes: a name that is not UTF-8 is kept, not turned into U+FFFD.
    let stem = req
        .input
        .file_stem()
        .ok_or_else(|| Error::bad_input(&req.input, "input path has no file name"))?;
    // A picture one pixel wide or high leaves no window to crop (crop and blur) and fails
    // deep in the filter graph; it is named here, before any work.
    let (w, h) = picture.size;
    if w < 2 || h < 2 {
        return Err(Error::bad_input(
            &req.input,
            format!("its picture is {w}x{h} pixels: too small to reframe (2x2 at least)"),
        ));
    }
    let mut plans = Vec::new();
    for p in &req.presets {
        let rate = p.frame_rate(&picture.rates);
        let frames = frame_count(picture.duration, picture.time_base, rate);
        let mut name = stem.to_os_string();
        name.push(format!(".{}.mp4", p.name));
        let target = req.out_dir.join(name);
        let secs = frames as f64 / rate.as_f64();
        let mut warnings = Vec::new();
        let outside = if secs > f64::from(p.max_duration_s) {
            Some(format!(
                "{secs:.1} s is longer than the {} s limit of {}",
                p.max_duration_s, p.platform
            ))
        } else if secs < f64::from(p.min_duration_s) {
            Some(format!(
                "{secs:.3} s is shorter than the {} s minimum of {}",
                p.min_duration_s, p.platform
            ))
        } else {
            None
        };
        if let Some(msg) = outside {
            if req.strict {
                return Err(Error::bad_input(
                    &req.input,
                    format!("preset `{}`: {msg} (--strict)", p.name),
                ));
            }
            warnings.push(msg);
        }
        plans.push(Plan {
            preset: p.clone(),
            target,
            rate,
            frames,
            time_base: picture.time_base,
            warnings,
        });
    }
    let sidecars: Vec<PathBuf> = match req.captions.cues.is_empty() {
        true => Vec::new(),
        false => plans
            .iter()
            .flat_map(|p| overlay::sidecars(&p.target))
            .collect(),
    };
    let covers: Vec<PathBuf> = plans
        .iter()
        .filter(|_| req.cover.is_some())
        .map(|p| cover::path(&p.target))
        .collect();
    let mut planned: Vec<Planned> = plans
        .iter()
        .map(|p| Planned::in_new_dir(&p.target))
        .chain(sidecars.iter().map(|p| Planned::in_new_dir(p)))
        .chain(covers.iter().map(|p| Planned::in_new_dir(p)))
        .collect();
    planned.extend(req.safe_zones.as_deref().map(Planned::file));
    check_outputs(&planned, &req.read_paths())?;
    Ok(plans)
}

/// The x264 settings of output `plan`, whose file carries `audio` (its soundtrack, encoded).
pub(super) fn encoder_config(
    plan: &Plan,
    req: &Request,
    threads: usize,
    audio: Option<&EncodedAudio>,
) -> VideoEncoderConfig {
    let (p, rate) = (&plan.preset, plan.rate);
    VideoEncoderConfig {
        width: p.width,
        height: p.height,
        frame_rate: rate,
        crf: p.crf,
        preset: req
            .x264_preset
            .clone()
            .unwrap_or_else(|| p.x264_preset.clone()),
        profile: "high".into(),
        gop: p.gop_frames(rate),
        max_bit_rate: Some(video_cap(plan, audio, req.sign.policy.key.is_some())),
        threads,
    }
}

/// Share of the preset's cap kept in hand for what the estimate below leaves out (the
/// encoder's SEI, x264's rounding).
const CAP_MARGIN: f64 = 0.01;
/// The room a C2PA manifest takes in a signed file (`--sign-cert`): 14.0 kB measured with one
/// source and a chain of two certificates (docs/provenance.md).
const SIGNATURE: u64 = 16_000;
/// The MP4's boxes besides the samples' index (ftyp, moov's headers, the H.264 and AAC
/// configurations), in bytes: about 3.5 kB measured; rounded up.
const MP4_BOXES: u64 = 6_000;
/// The index's bytes per video frame (sample size, composition offset, chunk offset) and per
/// AAC packet (sample size, chunk offset).
const INDEX_PER_FRAME: u64 = 16;
const INDEX_PER_PACKET: u64 = 8;
/// The least video cap, bit/s: below it x264 cannot honour the buffer at all (the file's
/// measured rate then says it is over its cap).
const LEAST_VIDEO_CAP: f64 = 50_000.0;

/// The video's cap, bit/s (x264's VBV maximum, over a buffer of one second of it) that keeps
/// output `plan`'s whole file, `audio` (its soundtrack), the MP4's boxes and, when `signed`, its
/// C2PA manifest included, under its
/// preset's `max_kbps` as platforms measure it: the file's size over its length. Over a file of
/// `d` seconds x264 may spend `cap × d` and, besides, the buffer's initial fill (0.9 of it, x264's
/// `vbv-init`): so the video gets `(budget − sound − boxes) / (d + 0.9)`. Without this the
/// cap applied to the video alone, over a buffer of two seconds: a 4 s Reels export of a
/// detailed picture measured 11 958 kb/s against the cap of 10 000.
pub(super) fn video_cap(plan: &Plan, audio: Option<&EncodedAudio>, signed: bool) -> u64 {
    let secs = plan.frames as f64 / plan.rate.as_f64();
    let budget = f64::from(plan.preset.max_kbps) * 1000.0 * secs * (1.0 - CAP_MARGIN);
    let (sound, packets) = audio.map_or((0, 0), |a| (a.bytes(), a.packets()));
    let boxes = MP4_BOXES
        + INDEX_PER_FRAME * plan.frames
        + INDEX_PER_PACKET * packets
        + if signed { SIGNATURE } else { 0 };
    let video = budget - 8.0 * (sound + boxes) as f64;
    (video / (secs + 0.9)).max(LEAST_VIDEO_CAP) as u64
}
