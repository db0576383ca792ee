//! Container checks: what the timestamps and edit lists say about sync, before any content is
//! looked at (start times, durations, priming, audio gaps and overlaps, video timestamp order).

use super::audio::Audio;
use crate::mp4;
use cutroom_ffi::{MediaKind, Packet, Rational, StreamInfo};
use serde::Serialize;

/// Timestamps of the packets of the analysed video and audio streams, in file order.
pub struct PacketLog {
    format: String,
    video: Option<StreamLog>,
    audio: Option<StreamLog>,
    /// The audio streams not analysed.
    other_audio: Vec<usize>,
    /// The video streams not analysed, each with its packets read (a cover picture has one).
    other_video: Vec<(usize, u64)>,
}

struct StreamLog {
    info: StreamInfo,
    /// `(pts, dts, duration)` per packet (pts/dts `None` when unset); discarded packets omitted.
    packets: Vec<(Option<i64>, Option<i64>, i64)>,
}

impl PacketLog {
    /// An empty log for the given video and audio stream indices of `streams`; `other_audio`:
    /// the audio streams left out. The other video streams are noted.
    pub fn new(
        streams: &[StreamInfo],
        video: Option<usize>,
        audio: Option<usize>,
        other_audio: Vec<usize>,
        format: String,
    ) -> Self {
        let other_video = (streams.iter())
            .filter(|s| s.kind == MediaKind::Video && Some(s.index) != video)
            .map(|s| (s.index, 0))
            .collect();
        let log = |i: Option<usize>| {
            i.map(|i| StreamLog {
                info: streams[i].clone(),
                packets: Vec::new(),
            })
        };
        Self {
            format,
            video: log(video),
            audio: log(audio),
            other_audio,
            other_video,
        }
    }

    /// Note one packet (of other streams, only other video streams' are counted).
    pub fn record(&mut self, pkt: &Packet) {
        for (index, count) in &mut self.other_video {
            *count += u64::from(*index == pkt.stream());
        }
        for log in [&mut self.video, &mut self.audio].into_iter().flatten() {
            if log.info.index == pkt.stream() && !pkt.is_discard() {
                log.packets.push((pkt.pts(), pkt.dts(), pkt.duration()));
            }
        }
    }

    /// The container report, with what was decoded (`audio`, `video`) for played lengths.
    pub fn report(
        &self,
        layout: Option<&mp4::Layout>,
        audio: Option<&Audio>,
        video: Option<Picture>,
    ) -> ContainerReport {
        let secs = |v: i64, tb: Rational| v as f64 * tb.as_f64();
        let start = |l: &StreamLog| l.info.start_time.map(|s| secs(s, l.info.time_base));
        let dur = |l: &StreamLog| l.info.duration.map(|d| secs(d, l.info.time_base));
        let mut r = ContainerReport {
            format: self.format.clone(),
            video_codec: self.video.as_ref().map(|l| l.info.params.codec_name()),
            audio_codec: self.audio.as_ref().map(|l| l.info.params.codec_name()),
            video_start_s: self.video.as_ref().and_then(start),
            audio_start_s: self.audio.as_ref().and_then(start),
            video_duration_s: self.video.as_ref().and_then(dur),
            audio_duration_s: self.audio.as_ref().and_then(dur),
            audio_played_s: audio.map(|a| a.len as f64 / f64::from(a.rate)),
            audio_inverted_channels: audio.map(|a| a.inverted.iter().map(|c| c + 1).collect()),
            audio_cancelled_spans: audio
                .map(|a| a.cancelled.iter().map(|&(f, t)| [f, t]).collect()),
            audio_loudest_dbfs: audio
                .and_then(|a| a.loudest_db)
                .map(|db| (db * 10.0).round() / 10.0),
            av_start_delta_ms: None,
            av_end_delta_ms: None,
            edit_lists: layout.map(mp4::Layout::has_edit_lists),
            audio_priming_samples: None,
            audio_gaps: 0,
            audio_gap_ms: 0.0,
            audio_gaps_at: Vec::new(),
            audio_overlaps: 0,
            audio_overlap_ms: 0.0,
            video_dts_non_monotonic: 0,
            video_frame_interval_ms: None,
            video_jitter_ms: None,
            video_held_frames: 0,
            audio_behind_timestamps_ms: audio
                .filter(|a| matches!(a.decoder, super::audio::Decoder::Ffmpeg(_)))
                .map(|a| {
                    a.behind
                        .most()
                        .map_or(0.0, |(ms, _)| (ms * 10.0).round() / 10.0)
                }),
            audio_damaged_packets: audio.map(|a| a.damaged),
            video_damaged_packets: video.map(|v| v.damaged),
            warnings: Vec::new(),
        };
        if let (Some(a), Some((first, end))) = (audio, video.and_then(|v| v.shown)) {
            r.av_start_delta_ms = Some(ms(a.time_of(0) - first));
            r.av_end_delta_ms = Some(ms(a.time_of(a.len) - end));
        }
        if let Some(l) = &self.audio {
            let first_pts = l.packets.first().and_then(|p| p.0);
            let skip = crate::probe::start_skip(&l.info, first_pts, layout);
            r.audio_priming_samples = Some(skip.encoder_delay);
            audio_continuity(l, &mut r);
        }
        if let Some(l) = &self.video {
            video_timing(l, &mut r);
        }
        r.warnings = warnings(&r, video.map(|v| v.frame_s));
        if let Some(a) = audio {
            r.warnings.splice(0..0, sound_warnings(a));
            r.warnings.extend(outrun_warning(a, r.audio_overlap_ms));
        }
        // A video stream of one picture (a cover) is no other picture to watch.
        let other_video: Vec<usize> = (self.other_video.iter())
            .filter(|(_, packets)| *packets > 1)
            .map(|(index, _)| *index)
            .collect();
        let tracks = [
            ("audio", &self.audio, &self.other_audio),
            ("video", &self.video, &other_video),
        ];
        let several = tracks.into_iter().filter_map(|(kind, l, others)| {
            let l = l.as_ref().filter(|_| !others.is_empty())?;
            Some(other_tracks(kind, l.info.index, others))
        });
        r.warnings.splice(0..0, several.collect::<Vec<_>>());
        r
    }
}

/// The warning for a file with several `kind` tracks of which only `used` is checked.
fn other_tracks(kind: &str, used: usize, others: &[usize]) -> String {
    let n = others.len();
    format!(
        "{} {kind} tracks: only stream #{used} is checked (FFmpeg's pick, as cutroom's other \
         commands make it: flagged default, then the highest bit rate), stream{} {} not",
        n + 1,
        if n > 1 { "s" } else { "" },
        crate::media::stream_list(others)
    )
}

/// What decoding the picture tells the container checks.
#[derive(Debug, Clone, Copy)]
pub struct Picture {
    /// The first frame shown and the end of the last, in seconds (`None`: no frame decoded).
    pub shown: Option<(f64, f64)>,
    /// One frame at the nominal rate, in seconds.
    pub frame_s: f64,
    /// Packets the decoder skipped as damaged.
    pub damaged: u64,
}

fn ms(s: f64) -> f64 {
    (s * 1e4).round() / 10.0
}

/// Compare each audio packet's timestamp with where the previous one ends once decoded. A gap
/// undone at once by an overlap of the same size (or the reverse) is one packet's timestamp
/// off, not a break in the sound (old Matroska muxers wrote Vorbis timestamps so, at block
/// size changes): neither is counted.
fn audio_continuity(l: &StreamLog, r: &mut ContainerReport) {
    let tb = l.info.time_base;
    // A fixed-size codec decodes `frame_size` samples per packet, whatever the container says.
    let frame_ticks = crate::probe::frame_ticks(&l.info);
    let tick_ms = tb.as_f64() * 1000.0;
    // Each packet's start minus where the one before it ends (a tick either way is rounding).
    let mut deltas = Vec::with_capacity(l.packets.len());
    let mut starts = Vec::with_capacity(l.packets.len());
    let mut prev_end: Option<i64> = None;
    for &(pts, _, dur) in &l.packets {
        let Some(pts) = pts else { continue };
        starts.push(pts);
        if let Some(end) = prev_end {
            deltas.push(pts - end);
        }
        prev_end = Some(pts + frame_ticks.unwrap_or(dur));
    }
    let mut i = 0;
    while i < deltas.len() {
        let delta = deltas[i];
        let undone = deltas
            .get(i + 1)
            .is_some_and(|next| delta.abs() > 1 && (delta + next).abs() <= 1);
        if undone {
            i += 2;
            continue;
        }
        if delta > 1 {
            r.audio_gaps += 1;
            r.audio_gap_ms += delta as f64 * tick_ms;
            r.audio_gaps_at
                .push((starts[i + 1] as f64 * tb.as_f64(), delta as f64 * tick_ms));
        } else if delta < -1 {
            r.audio_overlaps += 1;
            r.audio_overlap_ms += -delta as f64 * tick_ms;
        }
        i += 1;
    }
    r.audio_gap_ms = (r.audio_gap_ms * 10.0).round() / 10.0;
    r.audio_overlap_ms = (r.audio_overlap_ms * 10.0).round() / 10.0;
}

/// Decode order and presentation regularity of the video timestamps.
fn video_timing(l: &StreamLog, r: &mut ContainerReport) {
    let dts: Vec<i64> = l.packets.iter().filter_map(|p| p.1).collect();
    r.video_dts_non_monotonic = dts.windows(2).filter(|w| w[1] <= w[0]).count();
    let mut pts: Vec<i64> = l.packets.iter().filter_map(|p| p.0).collect();
    pts.sort_unstable();
    let mut gaps: Vec<i64> = pts.windows(2).map(|w| w[1] - w[0]).collect();
    if gaps.is_empty() {
        return;
    }
    let tick_ms = l.info.time_base.as_f64() * 1000.0;
    let mut sorted = gaps.clone();
    sorted.sort_unstable();
    let median = sorted[sorted.len() / 2];
    r.video_frame_interval_ms = Some((median as f64 * tick_ms * 1000.0).round() / 1000.0);
    r.video_held_frames = gaps.iter().filter(|g| **g * 2 > median * 3).count();
    // Jitter: how far regular frames stray from the median interval (held frames excluded).
    gaps.retain(|g| *g * 2 <= median * 3);
    let jitter = gaps.iter().map(|g| (g - median).abs()).max().unwrap_or(0);
    r.video_jitter_ms = Some((jitter as f64 * tick_ms * 1000.0).round() / 1000.0);
}

/// The decoded sound's findings in words: a quiet sound read louder; the down-mix's channels
/// turned because they cancelled the others, and stretches where the channels still cancel.
fn sound_warnings(a: &Audio) -> Vec<String> {
    let mut w = Vec::new();
    if let Some(db) = a.loudest_db.filter(|_| a.raised_db > 0.0) {
        w.push(format!(
            "the sound is quiet: its loudest 20 ms are at {db:.1} dBFS; read {:.1} dB louder, \
             as a listener turns it up",
            a.raised_db
        ));
    }
    let list = |items: Vec<String>| items.join(", ");
    if !a.inverted.is_empty() {
        let (one, many) = (a.inverted.len() == 1, a.channels);
        w.push(format!(
            "audio channel{} {} of {many} {} polarity-inverted against the others: summed to \
             mono they cancel, so mono playback (a phone speaker, a mono mix) loses the sound; \
             checked with {} turned back",
            if one { "" } else { "s" },
            list(a.inverted.iter().map(|c| (c + 1).to_string()).collect()),
            if one { "is" } else { "are" },
            if one { "it" } else { "them" },
        ));
    }
    if !a.cancelled.is_empty() {
        w.push(format!(
            "the audio channels cancel when summed to mono at {} s (a channel polarity-inverted \
             there): mono playback loses that sound, and it gives this check nothing to time",
            list(
                a.cancelled
                    .iter()
                    .map(|(f, t)| format!("{f:.1}-{t:.1}"))
                    .collect()
            )
        ));
    }
    w
}

/// A sound that falls behind its timestamps by this much (ms) more than their overlaps say
/// outruns them (the steps' threshold: ten times the events' precision).
const OUTRUN_MS: f64 = 10.0;

/// The warning for a sound whose decoded samples fall behind their timestamps by more than
/// the overlaps explain: its sample rate changes while the timestamps go on counting the first
/// rate's frames (AAC in MPEG-TS, each ADTS frame with its own rate), or they are wrong.
fn outrun_warning(a: &Audio, overlap_ms: f64) -> Option<String> {
    let (most, from) = a
        .behind
        .most()
        .filter(|(ms, _)| *ms > overlap_ms + OUTRUN_MS)?;
    Some(format!(
        "from {from:.1} s the sound decodes to more than its timestamps leave room for, up to \
         {most:.1} ms by its end (its sample rate changes while the timestamps go on counting \
         the first rate's frames, as AAC in MPEG-TS can, or they are wrong): players that play \
         every sample hear it as checked here, players that follow the timestamps (FFmpeg, \
         ffplay) up to {most:.1} ms earlier"
    ))
}

fn warnings(r: &ContainerReport, frame_s: Option<f64>) -> Vec<String> {
    let mut w = Vec::new();
    for (what, n, so) in [
        ("audio", r.audio_damaged_packets, "the sound has gaps"),
        ("video", r.video_damaged_packets, "the picture freezes"),
    ] {
        if let Some(n) = n.filter(|n| *n > 0) {
            w.push(format!(
                "{n} damaged {what} packets were skipped in decoding: {so} there"
            ));
        }
    }
    if r.audio_overlaps > 0 {
        let times = match r.audio_overlaps {
            1 => "once".to_string(),
            n => format!("{n} times"),
        };
        w.push(format!(
            "audio packets overlap their predecessors {times} ({:.1} ms in all): players play \
             every decoded sample, so the sound falls up to {:.1} ms behind the timestamps \
             (typical of joins made with `ffmpeg -f concat -c copy`)",
            r.audio_overlap_ms, r.audio_overlap_ms
        ));
    }
    if r.audio_gaps > 0 {
        let gaps = match r.audio_gaps {
            1 => "1 gap".to_string(),
            n => format!("{n} gaps"),
        };
        w.push(format!(
            "audio timestamps leave {gaps} ({:.1} ms in all): players that close gaps pull the \
             sound up to {:.1} ms early",
            r.audio_gap_ms, r.audio_gap_ms
        ));
    }
    if r.video_dts_non_monotonic > 0 {
        w.push(format!(
            "{} video packets have a decoding timestamp that does not increase",
            r.video_dts_non_monotonic
        ));
    }
    if r.video_held_frames > 0 {
        w.push(format!(
            "{} video frames are held for more than 1.5 frame intervals (dropped frames or \
             variable frame rate)",
            r.video_held_frames
        ));
    }
    if r.video_jitter_ms.is_some_and(|j| j > 1.0) {
        w.push(format!(
            "video frame timestamps jitter by up to {:.3} ms",
            r.video_jitter_ms.unwrap_or(0.0)
        ));
    }
    let frame_ms = frame_s.unwrap_or(1.0 / 30.0) * 1000.0;
    if let Some(d) = r.av_start_delta_ms.filter(|d| d.abs() >= 1.0) {
        w.push(format!(
            "audio starts {:.1} ms {} the picture",
            d.abs(),
            if d > 0.0 { "after" } else { "before" }
        ));
    }
    if let Some(d) = r.av_end_delta_ms.filter(|d| d.abs() > frame_ms) {
        w.push(format!(
            "audio ends {:.1} ms {} the picture",
            d.abs(),
            if d > 0.0 { "after" } else { "before" }
        ));
    }
    w
}

/// The container section of a sync report (`container` in the JSON).
#[derive(Debug, Clone, Serialize)]
pub struct ContainerReport {
    /// Demuxer name.
    pub format: String,
    /// Codec of the analysed video stream.
    pub video_codec: Option<String>,
    /// Codec of the analysed audio stream.
    pub audio_codec: Option<String>,
    /// Video stream start time as the container declares it (s).
    pub video_start_s: Option<f64>,
    /// Audio stream start time as the container declares it (s).
    pub audio_start_s: Option<f64>,
    /// Video stream duration as declared (s).
    pub video_duration_s: Option<f64>,
    /// Audio stream duration as declared (s).
    pub audio_duration_s: Option<f64>,
    /// Length of the decoded audio, as a player plays it (s).
    pub audio_played_s: Option<f64>,
    /// Channels (from 1) whose polarity the down-mix turned, as they cancelled the others
    /// (null without audio).
    pub audio_inverted_channels: Option<Vec<usize>>,
    /// Stretches `[from_s, to_s]` where the channels still cancel in the down-mix (null
    /// without audio).
    pub audio_cancelled_spans: Option<Vec<[f64; 2]>>,
    /// The level of the sound's loudest 20 ms as decoded (dBFS, to 0.1 dB; null without audio
    /// or for digital silence).
    pub audio_loudest_dbfs: Option<f64>,
    /// First audio sample minus first video frame on the timeline (ms; positive: audio starts later).
    pub av_start_delta_ms: Option<f64>,
    /// End of the played audio minus end of the last frame (ms; positive: audio runs longer).
    pub av_end_delta_ms: Option<f64>,
    /// MP4/MOV: some track has an edit list (null for other containers).
    pub edit_lists: Option<bool>,
    /// Audio encoder priming trimmed at the start, in samples.
    pub audio_priming_samples: Option<i64>,
    /// Audio packets that start after the previous one ends once decoded.
    pub audio_gaps: usize,
    /// Sum of those gaps (ms).
    pub audio_gap_ms: f64,
    /// Where each of those gaps ends (s) and how long it is (ms).
    #[serde(skip)]
    pub audio_gaps_at: Vec<(f64, f64)>,
    /// Audio packets that start before the previous one ends once decoded.
    pub audio_overlaps: usize,
    /// Sum of those overlaps (ms): how far a player that plays every sample falls behind.
    pub audio_overlap_ms: f64,
    /// Video packets whose decoding timestamp does not increase.
    pub video_dts_non_monotonic: usize,
    /// Median interval between video frames (ms).
    pub video_frame_interval_ms: Option<f64>,
    /// Largest deviation of a regular frame interval from the median (ms).
    pub video_jitter_ms: Option<f64>,
    /// Frames shown for more than 1.5 intervals (drops, gaps, VFR).
    pub video_held_frames: usize,
    /// How far the sound played sample by sample ends up behind where its timestamps place
    /// it, at most (ms): overlaps, or a sample rate that changes while the timestamps go on
    /// counting the first; null without audio or when symphonia decoded it.
    pub audio_behind_timestamps_ms: Option<f64>,
    /// Audio packets the decoder skipped as damaged (null without audio).
    pub audio_damaged_packets: Option<u64>,
    /// Video packets the decoder skipped as damaged (null without video).
    pub video_damaged_packets: Option<u64>,
    /// Findings in plain words.
    pub warnings: Vec<String>,
}
