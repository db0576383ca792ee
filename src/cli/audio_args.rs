//! Options shared by the soundtrack commands (`swap`, `duck`): placement and loudness.

use cutroom::audio::fit::{Fit, Fitted, Placement};
use cutroom::audio::loudness::{check_true_peak, LoudnessReport, LoudnessTarget};
use cutroom::audio::soundtrack::{Level, SoundtrackReport, RATE};
use cutroom::progress::{Progress, Tally};
use cutroom::{Error, Result};

/// Where the new audio goes on the picture.
#[derive(clap::Args)]
pub struct PlaceArgs {
    /// When the audio is shorter than the video: `loop` it (a crossfade of up to 50 ms at each
    /// seam, the repeats in phase and at one level),
    /// `pad` it with silence, or `trim` the video to it (cut, with nothing re-encoded, at the
    /// last point at or before the audio's end where a prefix of its packets in decode order
    /// shows no later frame). Longer audio is always cut at the video's end.
    /// Default: `pad` for swap, `loop` for duck.
    #[arg(long, value_name = "loop|pad|trim", value_parser = parse_fit)]
    pub fit: Option<Fit>,
    /// Seconds from the first video frame to the start of the audio; negative skips the
    /// audio's first seconds. Past the video's end it is silence; beyond ±24 h it is refused.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 0.0,
        allow_hyphen_values = true
    )]
    pub offset: f64,
    /// Fade the audio in (linearly) over this many seconds where it starts.
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0)]
    pub fade_in: f64,
    /// Fade out (linearly) over this many seconds at the end of the output (`duck`: the whole
    /// mix).
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0)]
    pub fade_out: f64,
}

fn parse_fit(s: &str) -> std::result::Result<Fit, String> {
    s.parse().map_err(|e: Error| e.to_string())
}

impl PlaceArgs {
    /// The placement at the deliverable rate, with `default_fit` when `--fit` is not given.
    pub fn placement(&self, default_fit: Fit) -> Result<Placement> {
        for (name, v) in [("--fade-in", self.fade_in), ("--fade-out", self.fade_out)] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(Error::Usage(format!("{name} must be 0 or more seconds")));
            }
        }
        if !(self.offset.is_finite() && self.offset.abs() <= MAX_OFFSET_SECS) {
            return Err(Error::Usage(format!(
                "--offset must be a number of seconds within ±{MAX_OFFSET_SECS} (24 h), not {}",
                self.offset
            )));
        }
        Ok(Placement {
            fit: self.fit.unwrap_or(default_fit),
            offset: secs_to_frames(self.offset),
            fade_in: secs_to_frames(self.fade_in) as usize,
        })
    }

    /// Fade-out length in frames at the deliverable rate.
    pub fn fade_out_frames(&self) -> usize {
        secs_to_frames(self.fade_out).max(0) as usize
    }

    /// The warning for a `--fade-out` longer than the output `written`: it starts before the
    /// output does, so the sound is never at full level.
    pub fn fade_out_too_long(&self, written: &SoundtrackReport) -> Option<String> {
        let len = written.frames as f64 / f64::from(written.rate.max(1));
        (self.fade_out_frames() > written.frames).then(|| {
            format!(
                "--fade-out {:.3} s is longer than the output ({len:.3} s), so the sound is \
                 never at full level",
                self.fade_out
            )
        })
    }

    /// The warning for an `--offset` that put the new audio after the end of the output
    /// `written` (none of it is heard: `--offset 100` meant as milliseconds, say).
    pub fn past_end(&self, written: &SoundtrackReport) -> Option<String> {
        let len = written.frames as f64 / f64::from(written.rate.max(1));
        (self.offset >= len).then(|| {
            format!(
                "--offset {}: the new audio starts after the output ends ({len:.3} s), so none \
                 of it is heard (--offset is in seconds)",
                self.offset
            )
        })
    }
}

/// The largest `--offset` either way. An offset past the picture's end only means silence (it
/// costs nothing); a larger one is a typo.
const MAX_OFFSET_SECS: f64 = 86_400.0;

/// Seconds given on the command line as a whole number of frames at the deliverable rate.
pub fn secs_to_frames(secs: f64) -> i64 {
    (secs * f64::from(RATE)).round() as i64
}

/// Loudness normalisation of the result.
#[derive(clap::Args)]
pub struct LoudnessArgs {
    /// Normalise to this integrated loudness (LUFS, e.g. -14 for social platforms): one gain,
    /// then a true-peak limiter, measured again after AAC encoding (docs/audio.md). Not given:
    /// the level is left as it is.
    #[arg(long, allow_hyphen_values = true, value_name = "LUFS")]
    pub loudness: Option<f64>,
    /// True-peak ceiling in dBTP (-1 when not given) for the limiter of --loudness. Given
    /// without --loudness, the level is kept and only the peaks are held under it; `duck` holds
    /// its mix (two summed tracks can clip) under it even when it is not given.
    #[arg(long, allow_hyphen_values = true, value_name = "DB")]
    pub true_peak: Option<f64>,
}

/// The true-peak ceiling when `--true-peak` is not given, dBTP.
const DEFAULT_TRUE_PEAK: f64 = -1.0;

impl LoudnessArgs {
    /// The true-peak ceiling, dBTP.
    pub fn ceiling(&self) -> f64 {
        self.true_peak.unwrap_or(DEFAULT_TRUE_PEAK)
    }

    /// What to do with the level: `--loudness`, else a `--true-peak` given alone (the peaks
    /// held, the level kept), else `otherwise`.
    pub fn level(&self, otherwise: Level) -> Result<Level> {
        let ceiling = check_true_peak(self.ceiling(), "--true-peak").map_err(Error::Usage)?;
        match (self.loudness, self.true_peak) {
            (Some(l), _) => LoudnessTarget::new(l, ceiling, ["--loudness", "--true-peak"])
                .map(Level::Normalize)
                .map_err(Error::Usage),
            (None, Some(_)) => Ok(Level::Limit(ceiling)),
            (None, None) => Ok(otherwise),
        }
    }
}

/// The warning for a `--loudness` target the soundtrack `written` did not get
/// ([`cutroom::audio::loudness::Shortfall::words`]), or for a level kept as it was that peaks
/// over full scale.
pub fn level_warning(level: Level, written: &SoundtrackReport) -> Option<String> {
    match level {
        Level::Normalize(target) => {
            let secs = written.frames as f64 / f64::from(written.rate.max(1));
            written.shortfall.map(|why| {
                format!(
                    "--loudness {}: {}",
                    target.integrated_lufs,
                    why.words(&target, &written.loudness, secs)
                )
            })
        }
        Level::Keep => written
            .loudness
            .true_peak_dbtp
            .filter(|&tp| tp > 0.0)
            .map(|tp| {
                format!(
                    "the sound peaks at {tp:+.1} dBTP, over full scale: players clip it \
                     (--true-peak -1 holds it under -1 dBTP, --loudness -14 also levels it)"
                )
            }),
        Level::Limit(_) => None,
    }
}

/// One line about a written file: its length and loudness.
pub fn summary(path: &std::path::Path, f: &cutroom::audio::soundtrack::SoundtrackReport) -> String {
    let secs = f.frames as f64 / f64::from(f.rate);
    let cut = if f.cut {
        " (video cut to the audio)"
    } else {
        ""
    };
    format!(
        "{}: {secs:.3} s{cut}, {}",
        path.display(),
        levels(&f.loudness, secs)
    )
}

/// A written soundtrack's level in words: `loudness -14.0 LUFS, true peak -1.0 dBTP`.
pub fn levels(l: &LoudnessReport, secs: f64) -> String {
    let db = |v: Option<f64>, unit: &str, none: &str| {
        v.map_or_else(|| none.to_string(), |v| format!("{v:.1} {unit}"))
    };
    format!(
        "loudness {}, true peak {}",
        db(l.integrated_lufs, "LUFS", LoudnessReport::unmeasured(secs)),
        db(l.true_peak_dbtp, "dBTP", "silent"),
    )
}

/// The `--json` report of `swap` and `duck` (docs/audio.md): the output and its soundtrack as
/// encoded, measured on the AAC decoded back.
#[derive(serde::Serialize)]
pub struct Written {
    /// The MP4 written.
    pub output: String,
    /// Its length, seconds.
    pub duration_s: f64,
    /// True when the picture was cut to the audio (`--fit trim`).
    pub video_cut: bool,
    /// Seconds of silence after the new audio (`duck`: the music bed) to the picture's end
    /// (`--fit pad`), 0 when none.
    pub audio_padded_s: f64,
    /// True when the new audio (`duck`: the music bed) ran on past the picture's end and was
    /// cut there.
    pub audio_cut: bool,
    /// The soundtrack's rate, Hz.
    pub sample_rate: u32,
    /// What converting each sound file read to the soundtrack's rate and channels did to it,
    /// the words of its note on stderr (`bed.wav: its sound, ...`).
    pub audio_changed: Vec<String>,
    /// EBU R128 figures of the encoded soundtrack.
    pub loudness: cutroom::audio::loudness::LoudnessReport,
    /// The warnings the run printed on stderr.
    pub warnings: Vec<String>,
}

impl Written {
    /// The report of `f`, written to `path`, with what fitting did to the new audio or bed,
    /// what converting did to the sound files read (`audio_changed`) and the run's `warnings`.
    pub fn of(
        path: &std::path::Path,
        f: &cutroom::audio::soundtrack::SoundtrackReport,
        fitted: Fitted,
        audio_changed: Vec<String>,
        warnings: Vec<String>,
    ) -> Self {
        let secs = |frames: usize| frames as f64 / f64::from(f.rate.max(1));
        Self {
            output: path.display().to_string(),
            duration_s: secs(f.frames),
            video_cut: f.cut,
            audio_padded_s: secs(fitted.padded),
            audio_cut: fitted.cut,
            sample_rate: f.rate,
            audio_changed,
            loudness: f.loudness,
            warnings,
        }
    }
}

/// Say what the result of a soundtrack command (`swap`, `duck`) tells about its options, the
/// `--offset` past the end and the `--loudness` target not reached, through `tally` (so on
/// stderr and kept); then every warning of the run, for `--json`.
pub fn run_warnings(
    tally: &Tally,
    place: &PlaceArgs,
    level: Level,
    written: &SoundtrackReport,
) -> Vec<String> {
    for w in place
        .past_end(written)
        .into_iter()
        .chain(place.fade_out_too_long(written))
        .chain(level_warning(level, written))
    {
        tally.warn(&w);
    }
    tally.warnings()
}
