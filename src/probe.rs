//! `probe`: what exactly is in a media file: container, streams, timing, priming, VFR.

use crate::error::{Error, Result};
use crate::pcm::SoundSpan;
use crate::picture::square::display_width;
use crate::picture::turn::Turn;
use crate::progress::Skipped;
use crate::provenance::{self, Provenance};
use crate::video_index::VideoIndex;
use crate::{media, mp4};
use cutroom_ffi::{
    AudioDecoder, CodecParams, Colour, Decoder as _, DecoderOptions, Input, MediaKind, Packet,
    Rational, StreamInfo, VideoDecoder,
};
use serde::Serialize;
use std::path::Path;

/// The probe of one file (the `files[]` entries of `cutroom probe --json`).
#[derive(Debug, Clone, Serialize)]
pub struct FileProbe {
    /// The path as given.
    pub path: String,
    /// Demuxer name (`mov,mp4,m4a,3gp,3g2,mj2`, `wav`, ...).
    pub format: String,
    /// Container duration in seconds.
    pub duration_s: Option<f64>,
    /// Container bit rate in bit/s.
    pub bit_rate: Option<i64>,
    /// MP4/MOV only: `moov` precedes `mdat` (null for other containers).
    pub faststart: Option<bool>,
    /// MP4/MOV only: any track carries an edit list (null for other containers).
    pub edit_lists: Option<bool>,
    /// First audio stream's duration minus first video stream's, in ms (null without both).
    pub av_duration_delta_ms: Option<f64>,
    /// Where the sound every command uses starts minus where the picture's first frame does,
    /// in ms (positive: the sound starts later); null without both.
    pub av_start_delta_ms: Option<f64>,
    /// Where that sound ends minus where the picture's last frame ends, in ms; null without both
    /// or when the container does not say where the sound ends.
    pub av_end_delta_ms: Option<f64>,
    /// What the file's timing means for a user, in words (the `note:` lines of the table).
    pub notes: Vec<String>,
    /// Every stream, in container order.
    pub streams: Vec<StreamProbe>,
    /// The file's Content Credentials (C2PA manifest), validated; null when it has none.
    pub provenance: Option<Provenance>,
}

/// A stream's kind as its word (`video`, ...).
fn kind_word<S: serde::Serializer>(kind: &MediaKind, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(kind.as_str())
}

/// One stream of a [`FileProbe`]. Fields that do not apply to the stream's kind are null.
#[derive(Debug, Clone, Serialize)]
pub struct StreamProbe {
    /// Index in the container.
    pub index: usize,
    /// `video`, `audio`, `subtitle`, `data` or `other`.
    #[serde(serialize_with = "kind_word")]
    pub kind: MediaKind,
    /// Codec short name (`h264`, `aac`, ...).
    pub codec: String,
    /// Codec profile (`High`, `LC`, ...).
    pub profile: Option<String>,
    /// Declared stream bit rate in bit/s.
    pub bit_rate: Option<i64>,
    /// Time base of the stream's timestamps, `num/den`.
    pub time_base: String,
    /// Start time in seconds.
    pub start_time_s: Option<f64>,
    /// Duration in seconds.
    pub duration_s: Option<f64>,
    /// Coded frames (packets) counted in the file.
    pub frames: u64,
    /// Video: width in pixels.
    pub width: Option<u32>,
    /// Video: height in pixels.
    pub height: Option<u32>,
    /// Video: pixel format (`yuv420p`, ...).
    pub pix_fmt: Option<String>,
    /// Video: the width players show the picture at: turned by its display rotation, with
    /// square pixels (`width` when neither applies); see [`shown_size`].
    pub shown_width: Option<u32>,
    /// Video: the height players show the picture at (see `shown_width`).
    pub shown_height: Option<u32>,
    /// Video: display rotation in degrees (ffprobe's sign), 0 when none.
    pub rotation_deg: Option<f64>,
    /// Video: sample (pixel) aspect ratio `num/den`, `1/1` for square pixels.
    pub sample_aspect: Option<String>,
    /// Video: average frame rate `num/den`.
    pub avg_frame_rate: Option<String>,
    /// Video: real base frame rate `num/den`.
    pub real_frame_rate: Option<String>,
    /// Video: average frame rate as a number.
    pub fps: Option<f64>,
    /// Video: true when frame durations vary (variable frame rate).
    pub vfr: Option<bool>,
    /// Video: colour primaries as ffprobe names them (`bt709`, `bt2020`, ...); null when the
    /// stream does not say.
    pub color_primaries: Option<String>,
    /// Video: transfer characteristic (`bt709`, `smpte2084` for PQ, `arib-std-b67` for HLG).
    pub color_transfer: Option<String>,
    /// Video: YUV matrix (`bt709`, `bt2020nc`, `smpte170m`, ...).
    pub color_space: Option<String>,
    /// Video: value range, `tv` (limited) or `pc` (full).
    pub color_range: Option<String>,
    /// Audio: sample format (`fltp`, `s16`, ...).
    pub sample_format: Option<String>,
    /// Audio: sample rate in Hz.
    pub sample_rate: Option<u32>,
    /// Audio: channel count.
    pub channels: Option<u32>,
    /// Audio: channel layout (`stereo`, `mono`, `5.1`, ...).
    pub channel_layout: Option<String>,
    /// Audio: presented samples (duration x rate).
    pub samples: Option<u64>,
    /// Audio: the encoder delay (priming) the edit list (or FFmpeg's skip) trims, in samples.
    pub encoder_delay_samples: Option<i64>,
    /// Audio: samples the edit list skips beyond the encoder delay: the lead-in a copy trim
    /// (`-ss … -c copy`) keeps before its cut; 0 for a file as its encoder wrote it.
    pub start_trim_samples: Option<i64>,
    /// Audio and video, with `--decode`: packets the decoder refused as damaged and skipped
    /// (a player shows a frozen picture or a gap there); null without `--decode`.
    pub damaged_packets: Option<u64>,
    /// With `--decode`: when the first and last of those packets are stamped to show, `[from,
    /// to]` in seconds; null without `--decode`, without damage, or when not known.
    pub damaged_at_s: Option<[f64; 2]>,
}

/// Per-stream figures gathered by reading every packet.
#[derive(Default)]
struct Scan {
    packets: u64,
    first_pts: Option<i64>,
    end: Option<i64>,
    /// Video: presentation times of the frames shown.
    pts: Vec<i64>,
    /// Damaged packets skipped by the decoder (with `--decode`).
    damaged: Option<Skipped>,
    /// `(pts, duration)` of the first two timestamped packets, in file order.
    first_two: Vec<(i64, i64)>,
}

impl Scan {
    fn add(&mut self, pkt: &Packet, video: bool) {
        self.packets += 1;
        if let Some(pts) = pkt.pts() {
            let end = pts + pkt.duration();
            if self.first_two.len() < 2 {
                self.first_two.push((pts, pkt.duration()));
            }
            self.first_pts = Some(self.first_pts.map_or(pts, |f| f.min(pts)));
            self.end = Some(self.end.map_or(end, |e| e.max(end)));
            if video && !pkt.is_discard() {
                self.pts.push(pts);
            }
        }
    }

    /// Time the stream as its video index does: from the first frame shown to the end of the
    /// last, a frame without a duration lasting one nominal frame.
    fn timed_by(&mut self, index: &VideoIndex) {
        self.first_pts = Some(index.first().0);
        self.end = Some(index.end.0);
        self.pts = index.pts.iter().map(|t| t.0).collect();
    }
}

/// A decoder of one stream for `probe --decode`, kept for its count of damaged packets.
enum Check {
    Audio(AudioDecoder),
    Video(VideoDecoder),
}

impl Check {
    /// A decoder for stream `info` of `input` (`None` for a stream that is not sound or picture).
    fn new(input: &Input, info: &StreamInfo) -> Result<Option<Self>> {
        let fast = DecoderOptions {
            skip_loop_filter: true,
            fast: true,
            ..DecoderOptions::default()
        };
        let rate = info.params.sample_rate().max(1);
        Ok(match info.kind {
            MediaKind::Audio => Some(Self::Audio(AudioDecoder::new(input, info.index, rate, 1)?)),
            MediaKind::Video => Some(Self::Video(VideoDecoder::with_options(
                input, info.index, None, fast,
            )?)),
            _ => None,
        })
    }

    /// Decode `pkt`; a sound whose timestamps do not follow a change of its rate is an error,
    /// as for every command that decodes it.
    fn push(&mut self, pkt: &Packet, path: &Path) -> Result<()> {
        match self {
            Self::Audio(d) => {
                d.push(pkt, |_| Ok::<_, Error>(true))?;
                match d.unfollowed_rate_change() {
                    Some(why) => Err(Error::bad_input(path, why)),
                    None => Ok(()),
                }
            }
            Self::Video(d) => d.push(pkt, |_| Ok::<_, Error>(true)).map(drop),
        }
    }

    /// Drain the decoder: the damaged packets it skipped.
    fn finish(self) -> Result<Skipped> {
        Ok(match self {
            Self::Audio(mut d) => {
                d.finish(|_| Ok::<_, Error>(true))?;
                Skipped::of(&d)
            }
            Self::Video(mut d) => {
                d.finish(|_| Ok::<_, Error>(true))?;
                Skipped::of(&d)
            }
        })
    }
}

/// Probe one file: open it, read every packet (so truncation is an error), describe it; with
/// `decode`, also decode every audio and video stream in the same pass and count the damaged
/// packets skipped. The video stream every command uses is read through its [`VideoIndex`].
pub fn probe(path: &Path, decode: bool) -> Result<FileProbe> {
    let mut input = media::open(path)?;
    let infos = input.streams();
    let mut scans: Vec<Scan> = infos.iter().map(|_| Scan::default()).collect();
    let mut checks = Vec::new();
    for info in infos.iter().filter(|_| decode) {
        checks.push(Check::new(&input, info)?);
    }
    let mut add = |pkt: &Packet| -> Result<()> {
        let i = pkt.stream();
        scans[i].add(pkt, infos[i].kind == MediaKind::Video);
        match checks.get_mut(i) {
            Some(Some(check)) => check.push(pkt, path),
            _ => Ok(()),
        }
    };
    let video = input.best_stream(MediaKind::Video);
    let index = match video {
        None => None,
        Some(_) => match VideoIndex::read(path, &mut input, &mut add) {
            Ok(ix) => Some(ix),
            // A stream the index cannot time (raw H.264 has no timestamps) is still described.
            Err(Error::BadInput { .. }) => None,
            Err(e) => return Err(e),
        },
    };
    // The rest of the file: all of it without a video index, else nothing.
    while let Some(pkt) = input.read_packet()? {
        add(&pkt)?;
    }
    // How long before the first frame shown its stream's packets start (a copy trim's lead-in).
    let video_lead_in =
        video.and_then(|v| Some(-scans[v].first_pts?.min(0) as f64 * infos[v].time_base.as_f64()));
    if let Some(ix) = &index {
        scans[ix.stream()].timed_by(ix);
    }
    for (scan, check) in scans.iter_mut().zip(checks) {
        scan.damaged = check.map(Check::finish).transpose()?;
    }
    let layout = mp4::read_layout(path).map_err(|e| Error::io(path, e))?;
    let streams: Vec<StreamProbe> = infos
        .iter()
        .zip(scans.iter_mut())
        .map(|(info, scan)| stream_probe(info, scan, layout.as_ref()))
        .collect();
    let dur = |k: MediaKind| {
        streams
            .iter()
            .find(|s| s.kind == k)
            .and_then(|s| s.duration_s)
    };
    let av_delta = match (dur(MediaKind::Audio), dur(MediaKind::Video)) {
        (Some(a), Some(v)) => Some(((a - v) * 1e6).round() / 1e3),
        _ => None,
    };
    let audio = input.best_stream(MediaKind::Audio);
    let timing = match (index.as_ref(), audio) {
        (Some(ix), Some(a)) => av_timing(
            &input,
            ix,
            &streams[a],
            video_lead_in.unwrap_or(0.0),
            Stretched::of(&infos[a], &scans[a]),
        ),
        _ => AvTiming::default(),
    };
    let mut notes = timing.notes;
    if timing.start_delta_ms.is_none_or(|d| d.abs() < 1.0) && notes.is_empty() {
        if let Some(d) = av_delta.filter(|d| d.abs() >= 1.0) {
            let than = if d < 0.0 { "shorter" } else { "longer" };
            notes.push(format!("audio is {:.1} ms {than} than video", d.abs()));
        }
    }
    if let Some(a) = audio.filter(|&a| sbr_ratio(&infos[a].params) == 2) {
        let rate = f64::from(infos[a].params.sample_rate().max(1));
        notes.push(format!(
            "audio #{a} is HE-AAC (SBR): FFmpeg's decoder, which cutroom decodes with, does not \
             make up the SBR decoder's delay ({SBR_DECODER_DELAY} core samples, {:.1} ms), so a \
             file whose edit list leaves it to the player (Apple's and fdkaac's do) is heard \
             that much late in concat, swap, duck and export, as in FFmpeg-based players",
            (SBR_DECODER_DELAY * 2) as f64 / rate * 1000.0
        ));
    }
    Ok(FileProbe {
        path: path.display().to_string(),
        format: input.format_name(),
        duration_s: input.duration_us().map(|d| d as f64 / 1e6),
        bit_rate: Some(input.bit_rate()).filter(|b| *b > 0),
        faststart: layout.as_ref().map(mp4::Layout::faststart),
        edit_lists: layout.as_ref().map(mp4::Layout::has_edit_lists),
        av_duration_delta_ms: av_delta,
        av_start_delta_ms: timing.start_delta_ms,
        av_end_delta_ms: timing.end_delta_ms,
        notes,
        streams,
        provenance: provenance::read(path)?,
    })
}

/// The sound's timing against the picture: the deltas and what they mean for a user.
#[derive(Default)]
struct AvTiming {
    start_delta_ms: Option<f64>,
    end_delta_ms: Option<f64>,
    notes: Vec<String>,
}

/// A start trim beyond the picture's lead-in that a copy trim's lead-in does not reach (a `-ss
/// … -c copy` cut keeps the audio from up to a few packets before its cut: 60 ms measured).
const MOVED_TRIM_S: f64 = 0.1;

/// An audio track whose first packet is stamped longer than it decodes, up to where the second
/// starts: its writer moved it earlier to start the track there and stretched it to keep the rest
/// in place (a muxer without edit lists does so: FFmpeg's with `-use_editlist 0`). Players,
/// `concat` and `sync` play the rest as timestamped, the gap as silence.
struct Stretched {
    /// Where the first packet is stamped to start (s).
    at: f64,
    /// How long it is stamped to last (s).
    stamped: f64,
    /// How long it decodes to (s).
    decoded: f64,
}

impl Stretched {
    /// The stretch of the audio stream `info`'s first packet, read by `scan`; `None` when its
    /// stamps follow what it decodes to (within a millisecond) or its codec's packets vary.
    fn of(info: &StreamInfo, scan: &Scan) -> Option<Self> {
        let &[(pts, stamped), (next, _)] = scan.first_two.as_slice() else {
            return None;
        };
        let decoded = frame_ticks(info)?;
        let tb = info.time_base;
        let st = Self {
            at: secs(pts, tb),
            stamped: secs(stamped, tb),
            decoded: secs(decoded, tb),
        };
        ((next - pts - stamped).abs() <= 1 && st.moved() >= 0.001).then_some(st)
    }

    /// How much earlier than where it was laid the first packet is stamped (s).
    fn moved(&self) -> f64 {
        self.stamped - self.decoded
    }
}

/// The ticks of `info`'s time base one packet of a fixed-size audio codec decodes to
/// (`frame_size` samples, whatever the container stamps); `None` for a codec whose packets
/// vary in length.
pub fn frame_ticks(info: &StreamInfo) -> Option<i64> {
    let tb = info.time_base;
    let rate = i64::from(info.params.sample_rate().max(1));
    let frame = i64::from(info.params.frame_size());
    (frame > 0)
        .then(|| frame * i64::from(tb.den) / (rate * i64::from(tb.num.max(1))))
        .filter(|t| *t > 0)
}

/// Where the sound every command uses (`audio`) lies against the picture (`index`), and notes
/// saying, for a sound offset from it, which track, by how much and what players, `concat` and
/// `sync` make of it. `video_lead_in`: seconds the picture's edit list skips (a copy trim's);
/// `stretched`: the sound's first packet, stamped earlier than it was laid.
fn av_timing(
    input: &Input,
    index: &VideoIndex,
    audio: &StreamProbe,
    video_lead_in: f64,
    stretched: Option<Stretched>,
) -> AvTiming {
    let Some(mut span) = SoundSpan::of(input) else {
        return AvTiming::default();
    };
    let track = format!("audio #{}", audio.index);
    let mut notes = Vec::new();
    if let Some(st) = &stretched {
        span.start = span.start.map(|s| s + st.moved());
        notes.push(format!(
            "{track}'s first packet is stamped {:.3}-{:.3} s but decodes to {:.1} ms: its \
             writer moved it {:.1} ms earlier and stretched it to start the track there (as a \
             muxer without edit lists does); players, concat and sync play the rest of the sound \
             as timestamped (a gap of silence after the first packet), so the sound is laid from \
             {:.3} s",
            st.at,
            st.at + st.stamped,
            st.decoded * 1e3,
            st.moved() * 1e3,
            st.at + st.moved(),
        ));
    }
    // A container without stream durations: the end of its last packet, as read.
    span.end = span.end.or_else(|| Some(span.start? + audio.duration_s?));
    let (from, to) = (index.secs(index.first()), index.secs(index.end));
    let ms = |s: f64| (s * 1e4).round() / 10.0;
    let mut t = AvTiming {
        start_delta_ms: span.start.map(|s| ms(s - from)),
        end_delta_ms: span.end.map(|e| ms(e - to)),
        notes,
    };
    if let Some(w) = span.outside((from, to)) {
        t.notes.push(format!(
            "{track}: {w}; concat joins the shot silent, and duck and export take it as silence"
        ));
        return t;
    }
    let sync = "sync measures the offset from the content";
    match t.start_delta_ms.filter(|d| d.abs() >= 1.0) {
        Some(d) if d > 0.0 => t.notes.push(format!(
            "{track} starts {d:.1} ms after the picture: players and concat keep that (silence \
             before it), so a sound that belongs with the first frame plays {d:.1} ms late; {sync}"
        )),
        Some(d) => t.notes.push(format!(
            "{track} starts {:.1} ms before the picture: players play that much before the \
             first frame and concat drops it, so a sound that belongs with the first frame plays \
             {:.1} ms early; {sync}",
            -d, -d
        )),
        None => {}
    }
    if t.notes.is_empty() {
        // The start trim beyond the encoder delay, against the picture's lead-in.
        let rate = f64::from(audio.sample_rate.unwrap_or(0).max(1));
        let trim = audio.start_trim_samples.unwrap_or(0) as f64 / rate;
        if trim - video_lead_in > MOVED_TRIM_S {
            t.notes.push(format!(
                "{track}'s edit list skips {:.1} ms of its sound beyond the encoder delay, the \
                 picture's {:.1} ms: the sound plays {:.1} ms earlier than it was laid against \
                 the picture (as `-itsoffset -{:.3}` moves it), and concat joins it so; {sync}",
                ms(trim),
                ms(video_lead_in),
                ms(trim - video_lead_in),
                trim - video_lead_in
            ));
        }
    }
    if t.notes.is_empty() {
        return t;
    }
    match t.end_delta_ms.filter(|d| d.abs() >= 1.0) {
        Some(d) if d > 0.0 => t.notes.push(format!(
            "{track} ends {d:.1} ms after the picture: concat cuts it at the end of the last frame"
        )),
        Some(d) => t.notes.push(format!(
            "{track} ends {:.1} ms before the picture: concat pads it with silence",
            -d
        )),
        None => {}
    }
    t
}

/// The size players show a video stream at: upright (its display rotation), with square pixels.
pub fn shown_size(info: &StreamInfo) -> (u32, u32) {
    let p = &info.params;
    Turn::from_rotation(info.rotation)
        .apply(display_width(p.width(), info.sample_aspect), p.height())
}

/// `WxH` of a picture stored at `stored`, and `shown WxH` after it when players show it at
/// another size (a display rotation, non-square pixels).
pub fn size_words(stored: (u32, u32), shown: (u32, u32)) -> String {
    let (w, h) = stored;
    match shown {
        (sw, sh) if (sw, sh) != (w, h) => format!("{w}x{h} shown {sw}x{sh}"),
        _ => format!("{w}x{h}"),
    }
}

fn secs(ticks: i64, tb: Rational) -> f64 {
    ticks as f64 * tb.as_f64()
}

fn stream_probe(info: &StreamInfo, scan: &mut Scan, layout: Option<&mp4::Layout>) -> StreamProbe {
    let p = &info.params;
    let tb = info.time_base;
    let duration = info
        .duration
        .or_else(|| Some(scan.end? - scan.first_pts?.max(0)))
        .map(|d| secs(d, tb));
    let video = info.kind == MediaKind::Video;
    let audio = info.kind == MediaKind::Audio;
    let rate = |r: Rational| (!r.is_unknown()).then(|| r.to_string());
    let colour = if video { p.colour() } else { Colour::default() };
    let skip = audio.then(|| start_skip(info, scan.first_pts, layout));
    let shown = video.then(|| shown_size(info));
    StreamProbe {
        index: info.index,
        kind: info.kind,
        codec: p.codec_name(),
        profile: p.profile_name(),
        bit_rate: Some(p.bit_rate()).filter(|b| *b > 0),
        time_base: tb.to_string(),
        start_time_s: info.start_time.map(|t| secs(t, tb)),
        duration_s: duration,
        frames: scan.packets,
        width: video.then(|| p.width()),
        height: video.then(|| p.height()),
        shown_width: shown.map(|s| s.0),
        shown_height: shown.map(|s| s.1),
        pix_fmt: if video { p.format_name() } else { None },
        rotation_deg: video.then_some(info.rotation),
        sample_aspect: video.then(|| info.sample_aspect.to_string()),
        avg_frame_rate: if video {
            rate(info.avg_frame_rate)
        } else {
            None
        },
        real_frame_rate: if video {
            rate(info.real_frame_rate)
        } else {
            None
        },
        fps: (video && !info.avg_frame_rate.is_unknown()).then(|| info.avg_frame_rate.as_f64()),
        vfr: video.then(|| is_vfr(&mut scan.pts)),
        color_primaries: colour.primaries,
        color_transfer: colour.transfer,
        color_space: colour.matrix,
        color_range: colour.range,
        sample_format: if audio { p.format_name() } else { None },
        sample_rate: audio.then(|| p.sample_rate()),
        channels: audio.then(|| p.channels()),
        channel_layout: if audio { p.channel_layout() } else { None },
        samples: if audio {
            duration.map(|d| (d * f64::from(p.sample_rate())).round() as u64)
        } else {
            None
        },
        encoder_delay_samples: skip.map(|s| s.encoder_delay),
        start_trim_samples: skip.map(|s| s.trimmed),
        damaged_packets: scan.damaged.map(|d| d.packets),
        damaged_at_s: scan
            .damaged
            .and_then(|d| d.at)
            .map(|(a, b)| [a, b].map(|t| (t * 1e3).round() / 1e3)),
    }
}

/// True when the gaps between consecutive presentation timestamps differ by more than one tick
/// (one tick of rounding is normal when the time base is not a multiple of the frame rate).
fn is_vfr(pts: &mut [i64]) -> bool {
    if pts.len() < 3 {
        return false;
    }
    pts.sort_unstable();
    let gaps = pts.windows(2).map(|w| w[1] - w[0]);
    let (lo, hi) = gaps.fold((i64::MAX, i64::MIN), |(lo, hi), g| (lo.min(g), hi.max(g)));
    hi - lo > 1
}

/// What an audio stream skips at its start, in samples: the encoder delay and a trim beyond it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartSkip {
    /// The encoder's priming.
    pub encoder_delay: i64,
    /// Skipped beyond the priming: the lead-in a copy trim keeps before its cut.
    pub trimmed: i64,
}

/// AAC encoders' delays in samples of the core (AAC-LC) rate: FFmpeg's (one frame, the format's
/// own decoder delay) and Apple's.
const AAC_ENCODER_DELAYS: [i64; 2] = [1024, 2112];

/// The delay of HE-AAC's SBR decoder, in samples of the core rate, which Apple's and fdkaac's
/// edit lists leave to the player and FFmpeg's decoder does not make up.
const SBR_DECODER_DELAY: i64 = 481;

/// How many samples FFmpeg's decoder makes of one sample of the AAC core the stream's
/// AudioSpecificConfig declares: 2 for HE-AAC (SBR doubles the core's rate), else 1.
pub fn sbr_ratio(params: &CodecParams) -> i64 {
    const RATES: [u32; 13] = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ];
    let asc = params.extradata();
    let bits = |from: usize, n: usize| -> Option<u32> {
        (from..from + n).try_fold(0u32, |v, i| {
            Some(v << 1 | u32::from(asc.get(i / 8)? >> (7 - i % 8) & 1))
        })
    };
    let at = if bits(0, 5) == Some(31) { 11 } else { 5 };
    let core = match bits(at, 4) {
        Some(15) => bits(at + 4, 24),
        Some(i) => RATES.get(i as usize).copied(),
        None => None,
    };
    match core {
        Some(c) if params.codec_name() == "aac" && c > 0 && params.sample_rate() == 2 * c => 2,
        _ => 1,
    }
}

/// What the audio stream `info` skips at its start: its own MP4 track's edit-list start trim
/// when there is one (the track matched by id, not the file's first sound track), else the
/// negative start of its first packet (`first_pts`), else the codec's declared initial padding.
/// Of that skip, the priming the codec declares is the encoder delay; AAC declares none, and a
/// skip that is no AAC encoder's delay (a `-ss … -c copy` trim keeps the lead-in to its cut)
/// holds one frame of it, 1024 samples; the rest is trimmed.
pub fn start_skip(
    info: &StreamInfo,
    first_pts: Option<i64>,
    layout: Option<&mp4::Layout>,
) -> StartSkip {
    let rate = i64::from(info.params.sample_rate());
    let declared = info.params.initial_padding();
    let skip = match layout
        .and_then(|l| l.track_by_id(info.id))
        .filter(|t| t.handler == "soun" && !t.edits.is_empty() && t.timescale > 0)
    {
        Some(t) => t.edit_start() * rate / i64::from(t.timescale),
        None => match first_pts {
            Some(p) if p < 0 => {
                let tb = info.time_base;
                (-p as i128 * i128::from(tb.num) * i128::from(rate) / i128::from(tb.den.max(1)))
                    as i64
            }
            _ => declared,
        },
    };
    // HE-AAC's delays are counted at the output rate, twice the core's.
    let sbr = sbr_ratio(&info.params);
    let encoder_delay = if declared > 0 {
        declared.min(skip)
    } else if info.params.codec_name() == "aac"
        && !AAC_ENCODER_DELAYS.iter().any(|d| d * sbr == skip)
    {
        skip.min(AAC_ENCODER_DELAYS[0] * sbr)
    } else {
        skip
    };
    StartSkip {
        encoder_delay,
        trimmed: skip - encoder_delay,
    }
}
