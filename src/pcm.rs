//! PCM audio on an exact sample timeline: decode a file's sound aligned to its picture, cut or
//! pad to an exact length, fades and joins. Positions are sample frames, never float seconds.

use crate::error::{Error, Result};
use crate::progress::{Progress, Skipped, Stream};
use crate::time::Ticks;
use crate::video_index;
use crate::{media, mp4};
pub use cutroom_ffi::Layout;
use cutroom_ffi::{rescale, AudioDecoder, Decoder as _, Input, MediaKind, Packet, Rational};
use std::path::{Path, PathBuf};

/// Interleaved `f32` audio at a known rate and channel count.
#[derive(Debug, Clone, PartialEq)]
pub struct Pcm {
    /// Sample rate in Hz.
    pub rate: u32,
    /// Channel count.
    pub channels: u16,
    /// Where the channels play (as the source file says; converted sound is in FFmpeg's default
    /// layout for its count).
    pub layout: Layout,
    /// Interleaved samples, `frames() * channels` values.
    pub data: Vec<f32>,
}

impl Pcm {
    /// `frames` sample frames of silence.
    pub fn silence(rate: u32, channels: u16, frames: usize) -> Self {
        Self {
            rate,
            channels,
            layout: Layout::DEFAULT,
            data: vec![0.0; frames * usize::from(channels)],
        }
    }

    /// `data`: interleaved stereo samples at `rate`, in the default layout (tests' sounds).
    #[cfg(test)]
    pub(crate) fn stereo(rate: u32, data: Vec<f32>) -> Self {
        Self {
            rate,
            channels: 2,
            layout: Layout::DEFAULT,
            data,
        }
    }

    /// Length in sample frames.
    pub fn frames(&self) -> usize {
        self.data.len() / usize::from(self.channels.max(1))
    }

    /// Cut or pad with silence at the end to exactly `frames` sample frames.
    pub fn fit(&mut self, frames: usize) {
        self.data.resize(frames * usize::from(self.channels), 0.0);
    }

    /// Insert `frames` of silence at the start (positive) or drop that many frames (negative).
    pub fn shift(&mut self, frames: i64) {
        let ch = usize::from(self.channels);
        if frames > 0 {
            let pad = frames as usize * ch;
            self.data.splice(0..0, std::iter::repeat_n(0.0, pad));
        } else if frames < 0 {
            let cut = usize::try_from(frames.unsigned_abs())
                .unwrap_or(usize::MAX)
                .saturating_mul(ch)
                .min(self.data.len());
            self.data.drain(..cut);
        }
    }

    /// The frames `[start, end)` as a new buffer (clamped to the buffer).
    pub fn slice(&self, start: usize, end: usize) -> Pcm {
        let ch = usize::from(self.channels);
        let end = end.min(self.frames());
        let start = start.min(end);
        Pcm {
            rate: self.rate,
            channels: self.channels,
            layout: self.layout,
            data: self.data[start * ch..end * ch].to_vec(),
        }
    }

    /// Append `other` (same rate and channel count) at the end.
    pub fn append(&mut self, other: &Pcm) {
        debug_assert_eq!((self.rate, self.channels), (other.rate, other.channels));
        self.data.extend_from_slice(&other.data);
    }

    /// Multiply frames `[start, start + len)` by a gain ramp from `from` to `to` (linear).
    pub fn ramp(&mut self, start: usize, len: usize, from: f32, to: f32) {
        let ch = usize::from(self.channels);
        let end = (start + len).min(self.frames());
        for i in start..end {
            let g = ramp_gain(from, to, i - start, len);
            for v in &mut self.data[i * ch..(i + 1) * ch] {
                *v *= g;
            }
        }
    }

    /// Fade in over the first `len` frames.
    pub fn fade_in(&mut self, len: usize) {
        self.ramp(0, len, 0.0, 1.0);
    }

    /// Fade out over the last `len` frames.
    pub fn fade_out(&mut self, len: usize) {
        let n = self.frames();
        self.ramp(n.saturating_sub(len), len.min(n), 1.0, 0.0);
    }

    /// Add `other` (same rate and channel count) into this buffer starting at frame `at`;
    /// whatever would fall past the end is dropped.
    pub fn mix_at(&mut self, other: &Pcm, at: usize) {
        debug_assert_eq!((self.rate, self.channels), (other.rate, other.channels));
        let start = (at * usize::from(self.channels)).min(self.data.len());
        for (d, s) in self.data[start..].iter_mut().zip(&other.data) {
            *d += s;
        }
    }

    /// Frames for a duration given in milliseconds at this rate (rounded).
    pub fn ms_to_frames(&self, ms: f64) -> usize {
        (ms * f64::from(self.rate) / 1000.0).round().max(0.0) as usize
    }

    /// Add `other` (same rate and channel count) sample by sample, over the shorter length.
    pub fn mix_in(&mut self, other: &Pcm) {
        debug_assert_eq!((self.rate, self.channels), (other.rate, other.channels));
        for (a, b) in self.data.iter_mut().zip(&other.data) {
            *a += b;
        }
    }

    /// The buffer repeated to exactly `frames` frames, each repeat overlapping the previous one
    /// by up to `crossfade` frames (at most a quarter of the buffer), crossfaded with no click
    /// and no dip at the seam: the overlap puts the repeats in phase where the sound is
    /// periodic, and the gains keep the level of the sum (see `seam`).
    pub fn looped(&self, frames: usize, crossfade: usize) -> Pcm {
        let ch = usize::from(self.channels);
        let len = self.frames();
        let mut out = Pcm::silence(self.rate, self.channels, frames);
        out.layout = self.layout;
        if len == 0 {
            return out;
        }
        let gains = self.seam(crossfade.min(len / 4));
        let xf = gains.len();
        let stride = len - xf;
        let mut at = 0;
        let mut first = true;
        while at < frames {
            for i in 0..len.min(frames - at) {
                let mut g = 1.0;
                if !first && i < xf {
                    g = gains[i].1;
                }
                if i >= stride && at + len < frames {
                    g *= gains[i - stride].0;
                }
                for c in 0..ch {
                    out.data[(at + i) * ch + c] += g * self.data[i * ch + c];
                }
            }
            at += stride;
            first = false;
        }
        out
    }

    /// The crossfade joining the buffer's end to its start, at most `max` frames long: per
    /// frame of the overlap, the gains of the end fading out and of the start fading in. The
    /// overlap is the length, from half of `max` to all of it, over which the end and the start
    /// are most alike (their correlation, ρ), so a periodic sound's repeats meet in phase
    /// (overlapping a 1 kHz tone by 12.5 ms put them in opposition: it cancelled mid-seam). The
    /// linear gains are scaled to keep the level of a sum whose halves correlate by ρ (clamped to
    /// 0..1): linear for alike halves, equal-power for unrelated ones (a linear crossfade of
    /// unrelated sound dips 3 dB).
    fn seam(&self, max: usize) -> Vec<(f32, f32)> {
        let (ch, len) = (usize::from(self.channels), self.frames());
        let alike = |ov: usize| {
            let tail = &self.data[(len - ov) * ch..len * ch];
            let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
            for (&a, &b) in tail.iter().zip(&self.data[..ov * ch]) {
                let (a, b) = (f64::from(a), f64::from(b));
                ab += a * b;
                aa += a * a;
                bb += b * b;
            }
            if aa > 0.0 && bb > 0.0 {
                ab / (aa * bb).sqrt()
            } else {
                0.0
            }
        };
        let Some((ov, rho)) = (max.div_ceil(2)..=max)
            .filter(|&ov| ov > 0)
            .map(|ov| (ov, alike(ov)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
        else {
            return Vec::new();
        };
        let rho = rho.clamp(0.0, 1.0);
        (0..ov)
            .map(|i| {
                let t = (i as f64 + 0.5) / ov as f64;
                let (out, into) = (1.0 - t, t);
                let k = 1.0 / (out * out + into * into + 2.0 * rho * out * into).sqrt();
                ((out * k) as f32, (into * k) as f32)
            })
            .collect()
    }
}

/// Decode the first audio stream of `path` to `rate` Hz and `channels` channels, aligned to the
/// file's picture: sample 0 is the instant of the first video frame (audio that starts later is
/// preceded by silence, at most the picture's length of it; audio that starts earlier is cut).
/// Without a picture, sample 0 is the first sound: a start time (say 1 h) is not turned into
/// silence. The edit list / encoder delay is applied. `None` when the file has no audio stream.
/// A sound none of which plays with the picture is taken as silence, with a warning to
/// `progress` saying why; so are damaged packets skipped.
pub fn decode_aligned(
    path: &Path,
    rate: u32,
    channels: u16,
    progress: &dyn Progress,
) -> Result<Option<Pcm>> {
    let Some(dec) = decoded(path, rate, channels, Layout::DEFAULT, None)? else {
        return Ok(None);
    };
    if let Some(w) = dec.outside() {
        progress.warn(&dec.taken_as_silence(&w));
    }
    dec.finish(progress).map(Some)
}

/// [`decode_aligned`] with the channels laid out as `layout` (given the stream's own layout and
/// count, its channels come out as they are); with `until`, the file is read only until that
/// many aligned frames are decoded (there may be more). A sound none of which is left once
/// placed against the picture (it lies wholly before it) is an error saying where both lie (a
/// soundtrack file's own picture places it, see `audio::load`).
pub fn decode_laid_out(
    path: &Path,
    rate: u32,
    channels: u16,
    layout: Layout,
    until: Option<usize>,
    progress: &dyn Progress,
) -> Result<Option<Pcm>> {
    let Some(mut dec) = decoded(path, rate, channels, layout, until)? else {
        return Ok(None);
    };
    dec.flush(progress)?;
    let outside = dec.outside();
    let pcm = dec.place()?;
    match outside {
        Some(why) if pcm.data.is_empty() => Err(Error::bad_input(path, why)),
        _ => Ok(Some(pcm)),
    }
}

/// The decoder of [`decode_laid_out`] once it has read what it needs, not yet flushed.
fn decoded(
    path: &Path,
    rate: u32,
    channels: u16,
    layout: Layout,
    until: Option<usize>,
) -> Result<Option<AlignedDecoder>> {
    let mut input = media::open(path)?;
    let Some(mut dec) = AlignedDecoder::new(&input, rate, channels)? else {
        return Ok(None);
    };
    dec.dec.set_layout(layout);
    dec.pcm.layout = layout;
    let until = until.map_or(i64::MAX, |u| i64::try_from(u).unwrap_or(i64::MAX));
    while let Some(pkt) = input.read_packet()? {
        dec.push(&pkt)?;
        if dec.lead().saturating_add(dec.pcm.frames() as i64) >= until {
            break;
        }
    }
    Ok(Some(dec))
}

/// What decoded sample 0 stands for.
enum Origin {
    /// The first video frame (of stream `video`), at instant `at` of the output time base.
    /// Leading silence lasts at most until `end`, the end of the picture (later sound is never
    /// heard with it): the stream's declared end, or the end of the last video packet pushed
    /// (a packet without a duration lasting `frame`, as [`crate::video_index`] says).
    Picture {
        video: usize,
        at: i64,
        end: Option<i64>,
        frame: Ticks,
    },
    /// The stream's own first sample at or after time 0.
    FirstSample,
}

/// [`decode_aligned`] fed by a demuxing loop run elsewhere, so one pass over a file can serve
/// several purposes: create it on the open input, [`push`](AlignedDecoder::push) every packet
/// read (other streams' packets are ignored), then [`finish`](AlignedDecoder::finish).
pub struct AlignedDecoder {
    dec: AudioDecoder,
    path: PathBuf,
    stream: usize,
    a_tb: Rational,
    out_tb: Rational,
    origin: Origin,
    span: Option<SoundSpan>,
    first_pts: Option<i64>,
    /// Frames decoded so far (the sound handed out is cleared from `pcm`).
    decoded: usize,
    pcm: Pcm,
}

impl AlignedDecoder {
    /// A decoder for the first audio stream of `input` (`None` when it has none).
    pub fn new(input: &Input, rate: u32, channels: u16) -> Result<Option<Self>> {
        let streams = input.streams();
        let Some(a) = input.best_stream(MediaKind::Audio) else {
            return Ok(None);
        };
        let out_tb = Rational::new(1, rate as i32);
        let video = input.best_stream(MediaKind::Video).map(|v| &streams[v]);
        let in_out = |t: Option<i64>, tb| t.map(|t| rescale(t, tb, out_tb));
        let origin = match video {
            Some(v) => Origin::Picture {
                video: v.index,
                at: in_out(v.start_time, v.time_base).unwrap_or(0),
                end: in_out(
                    v.start_time.zip(v.duration).map(|(s, d)| s + d),
                    v.time_base,
                ),
                frame: video_index::stream_frame_ticks(v),
            },
            None => Origin::FirstSample,
        };
        Ok(Some(Self {
            dec: AudioDecoder::new(input, a, rate, channels)?,
            path: input.path().to_path_buf(),
            stream: a,
            a_tb: streams[a].time_base,
            out_tb,
            origin,
            span: SoundSpan::of(input),
            first_pts: None,
            decoded: 0,
            pcm: Pcm {
                rate,
                channels,
                layout: Layout::DEFAULT,
                data: Vec::new(),
            },
        }))
    }

    /// Feed a packet read from the input (decoded when it belongs to the audio stream; a
    /// video packet only extends the picture's known end).
    pub fn push(&mut self, pkt: &Packet) -> Result<()> {
        if pkt.stream() == self.stream {
            self.dec.send(pkt)?;
            self.drain()?;
        } else if let Origin::Picture {
            video, end, frame, ..
        } = &mut self.origin
        {
            if pkt.stream() == *video {
                if let Some(pts) = pkt.pts() {
                    let shows = video_index::packet_duration(pkt, *frame);
                    let e = rescale(pts + shows.0, pkt.time_base(), self.out_tb);
                    *end = Some(end.map_or(e, |x| x.max(e)));
                }
            }
        }
        Ok(())
    }

    /// Take every run the decoder holds now into the sound decoded so far; a sound whose
    /// timestamps do not follow a change of its rate cannot be placed, and is an error
    /// ([`AudioDecoder::unfollowed_rate_change`]).
    fn drain(&mut self) -> Result<()> {
        let (a_tb, out_tb) = (self.a_tb, self.out_tb);
        self.dec.drain(|run| -> Result<bool> {
            if self.first_pts.is_none() {
                self.first_pts = run.pts.map(|p| rescale(p, a_tb, out_tb));
            }
            self.pcm.data.extend_from_slice(&run.data);
            self.decoded += run.data.len() / usize::from(self.pcm.channels.max(1));
            Ok(true)
        })?;
        match self.dec.unfollowed_rate_change() {
            Some(why) => Err(Error::bad_input(&self.path, why)),
            None => Ok(()),
        }
    }

    /// Flush the decoder (what it still held joins the sound decoded so far) and report the
    /// damaged packets it skipped to `progress`.
    fn flush(&mut self, progress: &dyn Progress) -> Result<()> {
        self.dec.send_eof()?;
        self.drain()?;
        progress.damaged(&self.path, Stream::Audio, Skipped::of(&self.dec));
        Ok(())
    }

    /// Frames of silence that go before the decoded sound (negative: frames of it dropped), as
    /// far as the file has been read.
    fn lead(&self) -> i64 {
        let first = self.first_pts.unwrap_or(0);
        match self.origin {
            Origin::Picture { at, end, .. } => {
                let lead = first.saturating_sub(at);
                end.map_or(lead, |e| lead.min(e.saturating_sub(at).max(0)))
            }
            Origin::FirstSample => first.min(0),
        }
    }

    fn no_samples(&self) -> Error {
        Error::bad_input(&self.path, "audio stream decodes to no samples")
    }

    /// Why none of the sound plays with the picture, as far as the file has been read (see
    /// [`SoundSpan::outside`]): where the container says the sound lies, else where the sound
    /// decoded so far lies.
    pub fn outside(&self) -> Option<String> {
        let Origin::Picture {
            at, end: Some(end), ..
        } = self.origin
        else {
            return None;
        };
        let secs = |t: i64| t as f64 * self.out_tb.as_f64();
        let mut span = self.span?;
        if let Some(first) = self.first_pts {
            span.start = span.start.or(Some(secs(first)));
            let last = first.saturating_add(i64::try_from(self.decoded).unwrap_or(i64::MAX));
            span.end = span.end.or(Some(secs(last)));
        }
        span.outside((secs(at), secs(end)))
    }

    /// The warning for a sound none of which plays with the picture (`why`: [`Self::outside`]).
    fn taken_as_silence(&self, why: &str) -> String {
        format!("{}: {why}, so it is taken as silence", self.path.display())
    }

    /// Flush the decoder; the aligned sound (empty when all of it lies before the picture).
    /// Damaged packets skipped are reported to `progress`.
    pub fn finish(mut self, progress: &dyn Progress) -> Result<Pcm> {
        self.flush(progress)?;
        self.place()
    }

    /// The sound decoded (and flushed), placed against the picture.
    fn place(mut self) -> Result<Pcm> {
        if self.pcm.data.is_empty() && self.outside().is_none() {
            return Err(self.no_samples());
        }
        let lead = self.lead();
        self.pcm.shift(lead);
        Ok(self.pcm)
    }
}

/// Where a file's first audio stream plays on the file's timeline, in seconds, as its
/// container says (FFmpeg's start time and duration, edit lists applied).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SoundSpan {
    /// Where its first sample plays.
    pub start: Option<f64>,
    /// Where its last sample ends.
    pub end: Option<f64>,
    /// MP4/MOV: the track's edit list starts past the end of its samples, so none of it plays
    /// (FFmpeg's start time and duration then describe the samples, not what plays).
    pub edit_past_end: bool,
}

impl SoundSpan {
    /// The span of `input`'s first audio stream (`None` without one).
    pub fn of(input: &Input) -> Option<Self> {
        let a = &input.streams()[input.best_stream(MediaKind::Audio)?];
        let tb = a.time_base.as_f64();
        let start = a.start_time.map(|s| s as f64 * tb);
        let layout = mp4::read_layout(input.path()).ok().flatten();
        let past_end = layout.as_ref().and_then(|l| {
            let t = l.track_by_id(a.id)?;
            let skip = t.edit_start();
            let len = i64::try_from(t.duration).ok()?;
            (!t.edits.is_empty() && t.timescale > 0 && skip >= len).then(|| {
                // Where its last sample would play: the edit maps `skip` to the lead's end.
                let lead = t.empty_lead() as f64 / f64::from(l.movie_timescale.max(1));
                lead - (skip - len) as f64 / f64::from(t.timescale)
            })
        });
        Some(match past_end {
            Some(end) => Self {
                start,
                end: Some(end),
                edit_past_end: true,
            },
            None => Self {
                start,
                end: start.zip(a.duration).map(|(s, d)| s + d as f64 * tb),
                edit_past_end: false,
            },
        })
    }

    /// Why none of the sound plays with a picture shown from `from` to `to` seconds: it lies
    /// wholly after or wholly before it (a track offset by mistake), said with the times and,
    /// for an edit list that skips all of it, that; `None` when some of it plays.
    pub fn outside(&self, (from, to): (f64, f64)) -> Option<String> {
        let none = "none of it plays with the picture";
        if let Some(start) = self.start.filter(|s| *s >= to && !self.edit_past_end) {
            return Some(format!(
                "its sound starts at {start:.3} s, after its picture ({from:.3}-{to:.3} s) ends: \
                 {none}"
            ));
        }
        let end = self.end.filter(|e| *e <= from)?;
        let why = if self.edit_past_end {
            " (its audio track's edit list starts past the end of its samples)"
        } else {
            ""
        };
        Some(format!(
            "its sound ends at {end:.3} s, before its picture ({from:.3}-{to:.3} s) starts{why}: \
             {none}"
        ))
    }
}

/// [`SoundSpan::outside`] for `input`'s first audio stream against its picture as the
/// container declares it (`None` without both, or for a picture of unknown length).
pub fn sound_outside_picture(input: &Input) -> Option<String> {
    let v = &input.streams()[input.best_stream(MediaKind::Video)?];
    let (start, len) = (v.start_time?, v.duration?);
    let secs = |t: i64| t as f64 * v.time_base.as_f64();
    SoundSpan::of(input)?.outside((secs(start), secs(start + len)))
}

/// [`decode_aligned`] handed to `sink` a piece at a time as it decodes instead of held whole
/// (a long soundtrack can then be read twice rather than kept, or measured without being
/// kept); with `len`, cut or padded to exactly `len` frames (as [`Pcm::fit`] does), leading
/// silence at most `len` frames. `false` (nothing handed out) when the file has no audio
/// stream. Damaged packets skipped are reported to `progress`.
pub fn stream_aligned(
    path: &Path,
    rate: u32,
    channels: u16,
    len: Option<usize>,
    progress: &dyn Progress,
    mut sink: impl FnMut(&[f32]) -> Result<()>,
) -> Result<bool> {
    let mut input = media::open(path)?;
    let Some(mut dec) = AlignedDecoder::new(&input, rate, channels)? else {
        return Ok(false);
    };
    let ch = usize::from(channels);
    let mut out = Aligner {
        ch,
        lead: None,
        left: len.unwrap_or(usize::MAX),
        decoded: false,
    };
    while let Some(pkt) = input.read_packet()? {
        dec.push(&pkt)?;
        out.hand(&mut dec, &mut sink)?;
    }
    dec.flush(progress)?;
    out.hand(&mut dec, &mut sink)?;
    let outside = dec.outside();
    match &outside {
        Some(w) => progress.warn(&dec.taken_as_silence(w)),
        None if !out.decoded => return Err(dec.no_samples()),
        None => {}
    }
    if len.is_some() {
        out.silence(out.left, &mut sink)?;
    }
    Ok(true)
}

/// The state of [`stream_aligned`]: how the sound decoded so far is placed.
struct Aligner {
    ch: usize,
    /// Frames still to drop from the decoded sound (its leading silence is handed out when
    /// the first sound is decoded); `None` before that.
    lead: Option<usize>,
    /// Frames still to hand out.
    left: usize,
    decoded: bool,
}

impl Aligner {
    /// Hand out the sound `dec` decoded since the last call.
    fn hand(
        &mut self,
        dec: &mut AlignedDecoder,
        sink: &mut impl FnMut(&[f32]) -> Result<()>,
    ) -> Result<()> {
        if dec.pcm.data.is_empty() {
            return Ok(());
        }
        self.decoded = true;
        let drop = match self.lead {
            Some(d) => d,
            None => {
                let lead = dec.lead();
                let pad = usize::try_from(lead.max(0)).unwrap_or(usize::MAX);
                self.silence(pad.min(self.left), sink)?;
                usize::try_from(lead.min(0).unsigned_abs()).unwrap_or(usize::MAX)
            }
        };
        let data = std::mem::take(&mut dec.pcm.data);
        let frames = data.len() / self.ch;
        let skip = drop.min(frames);
        self.lead = Some(drop - skip);
        let take = (frames - skip).min(self.left);
        self.left -= take;
        if take > 0 {
            sink(&data[skip * self.ch..(skip + take) * self.ch])?;
        }
        // The buffer is used again for the next decoded sound.
        dec.pcm.data = data;
        dec.pcm.data.clear();
        Ok(())
    }

    /// Hand out `frames` of silence.
    fn silence(
        &mut self,
        frames: usize,
        sink: &mut impl FnMut(&[f32]) -> Result<()>,
    ) -> Result<()> {
        silence_in_pieces(frames, self.ch, sink)?;
        self.left -= frames;
        Ok(())
    }
}

/// The gain at frame `i` of a linear ramp of `len` frames from `from` to `to` (taken at the
/// frames' centres), as [`Pcm::ramp`] applies it.
pub fn ramp_gain(from: f32, to: f32, i: usize, len: usize) -> f32 {
    from + (to - from) * (i as f32 + 0.5) / len as f32
}

/// Hand `frames` frames of silence, `channels` interleaved, to `sink` a piece at a time.
pub fn silence_in_pieces(
    frames: usize,
    channels: usize,
    mut sink: impl FnMut(&[f32]) -> Result<()>,
) -> Result<()> {
    let zeros = vec![0f32; 4096.min(frames) * channels];
    let mut left = frames;
    while left > 0 {
        let n = left.min(4096);
        sink(&zeros[..n * channels])?;
        left -= n;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_shift_and_fades_work_in_frames() {
        let mut p = Pcm::stereo(1000, vec![1.0; 20]);
        assert_eq!(p.frames(), 10);
        p.shift(2);
        assert_eq!(p.frames(), 12);
        assert_eq!(&p.data[..4], &[0.0; 4]);
        p.shift(-2);
        assert_eq!(p.data, vec![1.0; 20]);
        p.fit(4);
        assert_eq!(p.frames(), 4);
        p.fade_out(4);
        assert!(p.data[0] > p.data[6] && p.data[6] > 0.0);
        assert_eq!(p.slice(1, 3).frames(), 2);
        assert_eq!(p.ms_to_frames(2.5), 3);
        let mut q = Pcm::silence(1000, 2, 3);
        q.mix_at(&p.slice(0, 2), 2);
        assert_eq!(q.data[..4], [0.0; 4]);
        assert_eq!(q.data[4..], p.data[..2]);
    }

    #[test]
    fn loops_with_a_seamless_crossfade() {
        let p = Pcm {
            rate: 1000,
            channels: 1,
            layout: Layout::DEFAULT,
            data: vec![1.0; 100],
        };
        let l = p.looped(350, 20);
        assert_eq!(l.frames(), 350);
        // A constant signal stays constant through the seams (the fades sum to one).
        assert!(
            l.data.iter().all(|v| (v - 1.0).abs() < 1e-6),
            "{:?}",
            l.data
        );
        let mut m = p.clone();
        m.mix_in(&p);
        assert_eq!(m.data, vec![2.0; 100]);
    }
}
