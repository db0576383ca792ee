//! Loading a soundtrack file into PCM: WAV with `hound`, MP3 / AAC / M4A / FLAC / Ogg Vorbis with
//! `symphonia`, anything else (Opus, AC-3, video containers symphonia does not read, Vorbis of
//! more than two channels, HE-AAC, ...) through FFmpeg. Every error names the file.
//!
//! symphonia's MP4 reader ignores edit lists, so for MP4/M4A the track's `elst` is applied here
//! (the encoder priming is cut, the presented length kept; for AAC an iTunes `iTunSMPB` tag's
//! priming in its place, as FFmpeg reads it). MP3 encoder delay and padding
//! (LAME/Xing tag) are trimmed by symphonia's gapless mode.

use super::format::SoundFormat;
use crate::error::{os_words, Error, Result};
use crate::mp4;
use crate::pcm::{self, Layout, Pcm};
use crate::progress::{Progress, Skipped, Stream};
use crate::time::{Ticks, TimeBase};
use cutroom_ffi::MediaKind;
use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;
use symphonia::core::audio::Channels;
use symphonia::core::codecs::audio::well_known::{CODEC_ID_AAC, CODEC_ID_VORBIS};
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

/// Decode `path` at its own sample rate and channel count. Sample 0 is the file's own first
/// video frame (as [`pcm::decode_aligned`]: the sound keeps its sync with the file's own
/// picture), or, for a file without a picture, its first sound: a start time or leading empty
/// edit (audio stamped to start at 1 h) is time, never materialised as silence. Damaged
/// packets skipped are reported to `progress`. Of several audio tracks, FFmpeg's default one
/// is read, as for a clip's own sound, with a warning naming those left out.
pub fn load(path: &Path, progress: &dyn Progress) -> Result<Pcm> {
    load_part(path, None, progress)
}

/// How much of a soundtrack a caller uses: its first `frames` at `rate` Hz from its sample 0
/// (a picture's length, and what an offset skips). Decoding stops a little past them (100 ms
/// more, for the resampler), so a 1 h bed under a 20 s clip is decoded for 20 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Used {
    /// Frames used, at `rate`.
    frames: usize,
    /// Their rate, Hz.
    rate: u32,
}

impl Used {
    /// The frames at `rate` Hz to decode from sample 0 for what is used.
    fn at(self, rate: u32) -> usize {
        let frames = u128::from(rate) * self.frames as u128;
        let frames = frames.div_ceil(u128::from(self.rate.max(1))) + u128::from(rate / 10);
        usize::try_from(frames).unwrap_or(usize::MAX)
    }
}

/// [`load`], decoded only as far as `used` (all of it with `None`). The checks of a file's
/// end (cut short) are made when the file is decoded to its end.
fn load_part(path: &Path, used: Option<Used>, progress: &dyn Progress) -> Result<Pcm> {
    let pcm = if check_is_wav(path, used)? {
        match load_wav(path, used)? {
            Some(p) => p,
            None => load_ffmpeg(path, "a WAV file hound does not read", used, progress)?,
        }
    } else if let Some(why) = for_ffmpeg(path, progress) {
        load_ffmpeg(path, why, used, progress)?
    } else {
        let pcm = match load_symphonia(path, used, progress)? {
            Ok(p) => p,
            Err(why) => load_ffmpeg(path, &why, used, progress)?,
        };
        if !past(used, &pcm) {
            check_ends(path, &pcm)?;
        }
        pcm
    };
    if pcm.frames() == 0 {
        let outside = crate::media::open(path)
            .ok()
            .and_then(|i| pcm::sound_outside_picture(&i));
        return Err(Error::bad_input(
            path,
            outside.as_deref().unwrap_or("audio decodes to no samples"),
        ));
    }
    Ok(pcm)
}

/// True when `pcm` holds all that `used` asks for: its file may not have been decoded to its end.
fn past(used: Option<Used>, pcm: &Pcm) -> bool {
    used.is_some_and(|u| pcm.frames() >= u.at(pcm.rate))
}

/// Why `path` is read by FFmpeg rather than symphonia, which would read it otherwise than a
/// clip's own sound is read: several audio tracks (symphonia takes the first, not FFmpeg's
/// default one; the tracks left out are warned of to `progress`), or a moving picture outside
/// an MP4 (a Matroska clip: symphonia's sample 0 would be its first sound, not its first
/// frame). `None` when symphonia may read it, or FFmpeg cannot open it (the loaders then say
/// why).
fn for_ffmpeg(path: &Path, progress: &dyn Progress) -> Option<&'static str> {
    let input = crate::media::open(path).ok()?;
    if let Some(left_out) = crate::media::unused_audio(&input) {
        progress.warn(&left_out);
        return Some("one of several audio tracks");
    }
    // A cover picture has no frame rate.
    let moving = input
        .best_stream(MediaKind::Video)
        .is_some_and(|v| !input.streams()[v].avg_frame_rate.is_unknown());
    let mp4 = matches!(mp4::read_layout(path), Ok(Some(_)));
    (moving && !mp4).then_some("a sound placed against a picture outside an MP4")
}

/// Refuse an Ogg or MP3 file that ends early (see [`super::ends`]); `pcm` is what it decoded to.
fn check_ends(path: &Path, pcm: &Pcm) -> Result<()> {
    let mut head = [0u8; 4];
    let read = File::open(path).and_then(|mut f| f.read_exact(&mut head));
    let walkable = head == *b"OggS" || head[..3] == *b"ID3" || (head[0] == 0xff && head[1] >= 0xe0);
    if read.is_err() || !walkable {
        return Ok(());
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    match super::ends::cut_short(&bytes) {
        Some(why) => Err(Error::bad_input(
            path,
            format!(
                "cut short: {:.3} s of sound present, {why} (the file ends early: an \
                 interrupted download or copy?)",
                pcm.frames() as f64 / f64::from(pcm.rate.max(1))
            ),
        )),
        None => Ok(()),
    }
}

/// Check that `path` is a readable audio file, complete as far as it is `used` (a WAV file;
/// the others' ends are checked as they are decoded); true when it is a WAV file.
fn check_is_wav(path: &Path, used: Option<Used>) -> Result<bool> {
    crate::media::check_file(path, "an audio file")?;
    crate::media::check_complete(path)?;
    let mut head = [0u8; 12];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| Error::io(path, e))?;
    let wav = n == 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WAVE";
    match wav.then(|| wav_cut_short(path, used)).flatten() {
        Some(why) => Err(Error::bad_input(path, why)),
        None => Ok(wav),
    }
}

/// Decode `path` and convert it to `rate` Hz and `channels` channels (mono is spread to both
/// stereo channels at -3 dB each, more channels are folded down from where the file says they
/// play with FFmpeg's standard matrix: see [`cutroom_ffi::Resampler`]). With `used` (frames
/// at `rate`), only as far as they are used: at least `used` frames when the file holds them.
pub fn load_as(
    path: &Path,
    rate: u32,
    channels: u16,
    used: Option<usize>,
    progress: &dyn Progress,
) -> Result<Pcm> {
    load_with_format(path, rate, channels, used, progress).map(|(pcm, _)| pcm)
}

/// [`load_as`], with the file's sound as decoded, before it was converted (what converting did
/// to it: [`SoundFormat::changes`]).
pub fn load_with_format(
    path: &Path,
    rate: u32,
    channels: u16,
    used: Option<usize>,
    progress: &dyn Progress,
) -> Result<(Pcm, SoundFormat)> {
    load_to(path, rate, Some(channels), used, progress)
}

/// [`load_with_format`] keeping the file's own channels (in FFmpeg's default layout for their
/// count): a voice measured as it was recorded.
pub fn load_at(
    path: &Path,
    rate: u32,
    used: Option<usize>,
    progress: &dyn Progress,
) -> Result<(Pcm, SoundFormat)> {
    load_to(path, rate, None, used, progress)
}

/// [`load_with_format`] to `channels`, or to the file's own count with `None`.
fn load_to(
    path: &Path,
    rate: u32,
    channels: Option<u16>,
    used: Option<usize>,
    progress: &dyn Progress,
) -> Result<(Pcm, SoundFormat)> {
    let used = used.map(|frames| Used { frames, rate });
    let pcm = load_part(path, used, progress)?;
    let format = SoundFormat::of_pcm(&pcm);
    let channels = channels.unwrap_or(pcm.channels);
    Ok((convert(pcm, rate, channels)?, format))
}

/// Convert `pcm` to `rate` Hz and `channels` channels in FFmpeg's default layout for the count
/// (a no-op when it already is).
pub fn convert(pcm: Pcm, rate: u32, channels: u16) -> Result<Pcm> {
    if pcm.rate == rate && pcm.channels == channels && pcm.layout.is_default(channels) {
        return Ok(Pcm {
            layout: Layout::DEFAULT,
            ..pcm
        });
    }
    let data = cutroom_ffi::resample(
        &pcm.data,
        pcm.rate,
        pcm.channels,
        pcm.layout,
        rate,
        channels,
    )?;
    Ok(Pcm {
        rate,
        channels,
        layout: Layout::DEFAULT,
        data,
    })
}

/// A WAV file through hound, as far as `used`; `None` for encodings hound does not support
/// (a-law, ADPCM, ...).
fn load_wav(path: &Path, used: Option<Used>) -> Result<Option<Pcm>> {
    let Some(mut r) = open_wav(path)? else {
        return Ok(None);
    };
    let spec = r.spec();
    let samples = used.map_or(usize::MAX, |u| {
        u.at(spec.sample_rate)
            .saturating_mul(usize::from(spec.channels))
    });
    let mut data = Vec::new();
    read_wav(path, &mut r, samples, &mut data)?;
    Ok(Some(Pcm {
        rate: spec.sample_rate,
        channels: spec.channels,
        layout: wav_layout(path),
        data,
    }))
}

/// The channel layout of a WAV file hound reads: a WAVE_FORMAT_EXTENSIBLE `fmt ` chunk's channel
/// mask (which hound skips), the default for any other (read as FFmpeg reads the header).
fn wav_layout(path: &Path) -> Layout {
    let Some((mut f, size)) = wav_chunk(path, b"fmt ") else {
        return Layout::DEFAULT;
    };
    // wFormatTag 0xFFFE, cbSize at 16 (at least 22), dwChannelMask at 20.
    let mut fmt = [0u8; 24];
    let extensible = size >= 40
        && f.read_exact(&mut fmt).is_ok()
        && u16::from_le_bytes([fmt[0], fmt[1]]) == 0xfffe
        && u16::from_le_bytes([fmt[16], fmt[17]]) >= 22;
    match extensible {
        true => Layout(u64::from(u32::from_le_bytes([
            fmt[20], fmt[21], fmt[22], fmt[23],
        ]))),
        false => Layout::DEFAULT,
    }
}

/// Why the WAV file at `path` ends before its `data` chunk does (an interrupted download or
/// copy), when that is within what is `used` (all of it with `None`); `None` for a whole one,
/// or one whose writer left the size open (0 or all ones: a recording still being written).
/// Whichever reader decodes it, such a file is refused.
fn wav_cut_short(path: &Path, used: Option<Used>) -> Option<String> {
    let (mut f, declared) = wav_chunk(path, b"data")?;
    let at = f.stream_position().ok()?;
    let present = f.get_ref().metadata().ok()?.len().saturating_sub(at);
    if declared == 0 || declared == u32::MAX || present >= u64::from(declared) {
        return None;
    }
    if let Some(used) = used {
        // The `fmt ` chunk's sample rate (bytes 4-7) and bytes per frame (12-13).
        let (mut fmt, _) = wav_chunk(path, b"fmt ")?;
        let mut head = [0u8; 14];
        fmt.read_exact(&mut head).ok()?;
        let rate = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let block = u64::from(u16::from_le_bytes([head[12], head[13]]));
        if (used.at(rate) as u64).saturating_mul(block) <= present {
            return None;
        }
    }
    Some(format!(
        "cut short: {present} of the {declared} bytes of its WAV data are present (the file \
         ends early: an interrupted download or copy?)"
    ))
}

/// The chunk `id` of the WAV file at `path`: the file, read up to the chunk's contents, and
/// the size its header declares; `None` when the file has no such chunk before it ends.
fn wav_chunk(path: &Path, id: &[u8; 4]) -> Option<(std::io::BufReader<File>, u32)> {
    let mut f = std::io::BufReader::new(File::open(path).ok()?);
    f.seek_relative(12).ok()?;
    let mut head = [0u8; 8];
    while f.read_exact(&mut head).is_ok() {
        let size = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if &head[..4] == id {
            return Some((f, size));
        }
        f.seek_relative(i64::from(size) + i64::from(size % 2))
            .ok()?;
    }
    None
}

/// A WAV file opened with hound; `None` for encodings hound does not support (it opens 64-bit
/// float but reads no float but 32-bit), and for a `data` chunk whose size its writer left
/// open (0 or all ones: written to a pipe, or still being written), which hound refuses or
/// reads as empty and FFmpeg reads to the file's end.
fn open_wav(path: &Path) -> Result<Option<WavReader>> {
    if wav_chunk(path, b"data").is_some_and(|(_, size)| size == 0 || size == u32::MAX) {
        return Ok(None);
    }
    let corrupt =
        |e: hound::Error| Error::bad_input(path, format!("corrupt WAV file: {}", wav_words(&e)));
    let r = match hound::WavReader::open(path) {
        Ok(r) => r,
        Err(hound::Error::Unsupported) => return Ok(None),
        Err(e) => return Err(corrupt(e)),
    };
    let spec = r.spec();
    if spec.channels == 0 || spec.sample_rate == 0 {
        return Err(Error::bad_input(path, "WAV header declares no channels"));
    }
    let wide_float = spec.sample_format == hound::SampleFormat::Float && spec.bits_per_sample != 32;
    Ok((!wide_float).then_some(r))
}

type WavReader = hound::WavReader<std::io::BufReader<File>>;

/// Append at most `samples` more samples of `r` to `out` as `f32` (integers scaled to +-1).
fn read_wav(path: &Path, r: &mut WavReader, samples: usize, out: &mut Vec<f32>) -> Result<()> {
    let spec = r.spec();
    let read: std::result::Result<(), hound::Error> = match spec.sample_format {
        hound::SampleFormat::Float => r
            .samples::<f32>()
            .take(samples)
            .try_for_each(|s| s.map(|v| out.push(v))),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>()
                .take(samples)
                .try_for_each(|s| s.map(|v| out.push(v as f32 * scale)))
        }
    };
    read.map_err(|e| {
        Error::bad_input(
            path,
            format!(
                "WAV data ends early or is damaged (truncated file?): {}",
                wav_words(&e)
            ),
        )
    })
}

/// A soundtrack file handed out a piece at a time at a rate and channel count, the samples
/// [`load_as`] gives: a WAV file already at them is read as it goes (a long music bed is never
/// held whole); any other file is decoded by [`load_as`], as far as it is used, and handed
/// out from memory.
pub struct Pieces<'a> {
    path: &'a Path,
    source: PieceSource,
    frames: usize,
    rate: u32,
    channels: u16,
}

enum PieceSource {
    Wav(WavReader),
    Whole { pcm: Pcm, at: usize },
}

impl<'a> Pieces<'a> {
    /// Open `path` for reading at `rate` Hz with `channels` channels, of which the first
    /// `used` frames are used (damaged packets skipped in decoding it are reported to
    /// `progress`).
    pub fn open(
        path: &'a Path,
        rate: u32,
        channels: u16,
        used: usize,
        progress: &dyn Progress,
    ) -> Result<Self> {
        let wav = match check_is_wav(path, Some(Used { frames: used, rate }))? {
            true => open_wav(path)?.filter(|r| {
                let spec = r.spec();
                (spec.sample_rate, spec.channels) == (rate, channels)
                    && wav_layout(path).is_default(channels)
                    && r.duration() > 0
            }),
            false => None,
        };
        let (source, frames) = match wav {
            Some(r) => {
                let frames = r.duration() as usize;
                (PieceSource::Wav(r), frames)
            }
            None => {
                let pcm = load_as(path, rate, channels, Some(used), progress)?;
                let frames = pcm.frames();
                (PieceSource::Whole { pcm, at: 0 }, frames)
            }
        };
        Ok(Self {
            path,
            source,
            frames,
            rate,
            channels,
        })
    }

    /// Length in frames.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// The next piece of at most `frames` frames, in `out` (emptied first; empty at the end).
    pub fn next(&mut self, frames: usize, out: &mut Vec<f32>) -> Result<()> {
        out.clear();
        let samples = frames.saturating_mul(usize::from(self.channels));
        match &mut self.source {
            PieceSource::Wav(r) => read_wav(self.path, r, samples, out),
            PieceSource::Whole { pcm, at } => {
                let end = pcm.data.len().min(at.saturating_add(samples));
                out.extend_from_slice(&pcm.data[*at..end]);
                *at = end;
                Ok(())
            }
        }
    }

    /// The whole sound (what is left of it), in memory.
    pub fn whole(mut self) -> Result<Pcm> {
        let mut data = Vec::new();
        match &mut self.source {
            PieceSource::Wav(r) => read_wav(self.path, r, usize::MAX, &mut data)?,
            PieceSource::Whole { pcm, at } => data = pcm.data.split_off(*at),
        }
        Ok(Pcm {
            rate: self.rate,
            channels: self.channels,
            layout: Layout::DEFAULT,
            data,
        })
    }
}

/// What symphonia said, an OS error in the OS's words ([`os_words`]: no `(os error 5)`).
fn sym_words(e: &SymError) -> String {
    match e {
        SymError::IoError(e) => os_words(e),
        e => e.to_string(),
    }
}

/// What hound said, an OS error in the OS's words ([`os_words`]).
fn wav_words(e: &hound::Error) -> String {
    match e {
        hound::Error::IoError(e) => os_words(e),
        e => e.to_string(),
    }
}

/// A file through symphonia; the inner `Err` says why symphonia cannot read it (the caller
/// then asks FFmpeg: symphonia refuses valid files, an x265 `hvcC` over 1 KB, AC-3 in MOV).
fn load_symphonia(
    path: &Path,
    used: Option<Used>,
    progress: &dyn Progress,
) -> Result<std::result::Result<Pcm, String>> {
    let decoded = match decode_part(path, None, used)? {
        Ok(d) => d,
        Err(why) => return Ok(Err(why)),
    };
    progress.damaged(
        path,
        Stream::Audio,
        Skipped {
            packets: decoded.bad as u64,
            at: decoded.bad_at,
        },
    );
    // One MP3 frame short is rounding; more is a file that ends early.
    let got = decoded.pcm.frames() as u64;
    let declared = decoded.declared.filter(|_| !past(used, &decoded.pcm));
    if let Some(declared) = declared.filter(|&d| got + 2 * 1152 < d) {
        let secs = |n: u64| n as f64 / f64::from(decoded.pcm.rate.max(1));
        return Err(Error::bad_input(
            path,
            format!(
                "cut short: {:.3} of {:.3} s of sound present (the file ends early: an \
                 interrupted download or copy?)",
                secs(got),
                secs(declared)
            ),
        ));
    }
    let presented = decoded.present(path)?;
    let mut pcm = presented.pcm;
    // Against the file's own picture: its leading empty edit counts, silence at most its
    // length.
    if let Some((lead, len)) = presented.picture {
        pcm.shift((presented.start - lead).min(len));
    }
    Ok(Ok(pcm))
}

/// A decoded track on its file's presentation timeline.
pub struct Presented {
    /// The sound presented, from its first sample.
    pub pcm: Pcm,
    /// Presentation time of its first sample, in samples.
    pub start: i64,
    /// The picture's leading empty edit and presented length, in samples (an MP4 with an
    /// audio edit list and a video track).
    pub picture: Option<(i64, i64)>,
}

impl Decoded {
    /// The sound as the file presents it ([`Presentation`]).
    pub fn present(self, path: &Path) -> Result<Presented> {
        let how = Presentation::of(path, self.first, self.media_len, self.aac, self.pcm.rate)?;
        let (kept, start) = how.cut(self.pcm.frames());
        let mut pcm = self.pcm;
        pcm.fit(kept.end);
        pcm.shift(-(kept.start as i64));
        Ok(Presented {
            pcm,
            start,
            picture: how.picture,
        })
    }
}

/// Which of a decode's frames (counted from its first, holes included) a file presents, and
/// when. For an MP4/M4A: cut to the track's length (the last AAC frame decodes whole, padding
/// included), then its first sound track's edit list applied: the media start (encoder
/// priming) dropped, the presented length kept, a leading empty edit counted in the start. An
/// AAC track's iTunes priming tag (`iTunSMPB`) sets what is dropped in place of the edit list,
/// as FFmpeg reads it. Known before the decode ends, so a decode can be cut as it comes.
#[derive(Debug, Clone)]
pub struct Presentation {
    /// Where the first decoded frame sits in the track's media time, in samples.
    first: i64,
    /// The track's length in the container, in frames (an MP4 that states one).
    cap: Option<usize>,
    /// An edit list (or priming tag): frames dropped from the decode's start, what it moves
    /// the start by besides, and the presented length in frames.
    edit: Option<(i64, i64, Option<usize>)>,
    /// The picture's leading empty edit and presented length, in samples (an MP4 with an
    /// audio edit list and a video track).
    pub picture: Option<(i64, i64)>,
}

impl Presentation {
    /// How `path` presents a decode at `rate` Hz whose first frame sits at `first` of its
    /// media time ([`Decoded`]'s fields).
    pub fn of(
        path: &Path,
        first: i64,
        media_len: Option<(u64, u64)>,
        aac: bool,
        rate: u32,
    ) -> Result<Self> {
        let mut how = Self {
            first,
            cap: None,
            edit: None,
            picture: None,
        };
        let Some(layout) = mp4::read_layout(path).map_err(|e| Error::io(path, e))? else {
            return Ok(how);
        };
        if let Some((ticks, per_sec)) = media_len.filter(|(_, d)| *d > 0) {
            let frames = ((u128::from(ticks) * u128::from(rate) + u128::from(per_sec) / 2)
                / u128::from(per_sec)) as usize;
            how.cap = (frames > 0).then_some(frames);
        }
        let movie = layout.movie_timescale;
        let timed = |t: &&mp4::Track| {
            (!t.edits.is_empty() || t.priming.is_some()) && t.timescale > 0 && movie > 0
        };
        let Some(track) = layout.track("soun").filter(timed) else {
            return Ok(how);
        };
        let samples = |ticks: i64, scale: u32| {
            TimeBase::from_u32(1, scale).map_or(0, |tb| Ticks(ticks).samples(tb, rate).0)
        };
        let at_movie = |ticks: u64| samples(i64::try_from(ticks).unwrap_or(i64::MAX), movie);
        // Drop what the edit list (or the priming tag) skips, from the first sample decoded.
        let skip = media_skip(track, aac, rate);
        let presented = track.presented(movie);
        let keep = (presented > 0).then(|| usize::try_from(at_movie(presented)).unwrap_or(0));
        how.edit = Some((skip - first, at_movie(track.empty_lead()) - skip, keep));
        how.picture = layout
            .track("vide")
            .map(|v| (at_movie(v.empty_lead()), at_movie(v.presented(movie))));
        Ok(how)
    }

    /// The frames presented of a decode of `frames` frames, and the presentation time of the
    /// first (in samples). With `usize::MAX`, those of a decode not yet ended: the frames it
    /// presents of as many as it will have.
    pub fn cut(&self, frames: usize) -> (std::ops::Range<usize>, i64) {
        let len = self.cap.map_or(frames, |c| c.min(frames));
        match self.edit {
            None => (0..len, self.first),
            Some((drop, shift, keep)) => {
                let drop = usize::try_from(drop.max(0)).unwrap_or(usize::MAX).min(len);
                let end = keep.map_or(len, |k| len.min(drop.saturating_add(k)));
                (drop..end, self.first + drop as i64 + shift)
            }
        }
    }
}

/// The samples an MP4 sound track's start skips (its edit list's media start, or an AAC
/// track's iTunes priming in its place, as FFmpeg reads it), at `rate` Hz.
fn media_skip(track: &mp4::Track, aac: bool, rate: u32) -> i64 {
    match track.priming.filter(|_| aac) {
        Some(priming) => i64::from(priming),
        None => TimeBase::from_u32(1, track.timescale)
            .map_or(0, |tb| Ticks(track.edit_start().max(0)).samples(tb, rate).0),
    }
}

/// At most how many samples (at `rate` Hz) of an MP4's sound track come before its sample 0
/// as [`Decoded::present`] places it: what its start skips, and what plays before the
/// picture's first frame; 0 for any other file.
fn lead_in(path: &Path, aac: bool, rate: u32) -> i64 {
    let Ok(Some(layout)) = mp4::read_layout(path) else {
        return 0;
    };
    let Some(track) = layout.track("soun") else {
        return 0;
    };
    let early = layout.track("vide").map_or(0, |v| {
        let ahead = v.empty_lead().saturating_sub(track.empty_lead());
        TimeBase::from_u32(1, layout.movie_timescale).map_or(0, |tb| {
            Ticks(i64::try_from(ahead).unwrap_or(i64::MAX))
                .samples(tb, rate)
                .0
        })
    });
    media_skip(track, aac, rate).saturating_add(early)
}

/// The first audio track as symphonia decodes it, before any timing is applied.
pub struct Decoded {
    /// The samples at the track's rate and channel count.
    pub pcm: Pcm,
    /// Where the first decoded sample sits in the track's media time, in samples (what the
    /// decoder trimmed from the first packet counted).
    pub first: i64,
    /// The track's length in the container as (ticks, ticks per second).
    pub media_len: Option<(u64, u64)>,
    /// The sample frames the file states it holds, when it states them exactly (FLAC, an MP3
    /// with a LAME tag).
    pub declared: Option<u64>,
    /// The track is AAC.
    pub aac: bool,
    /// Packets that did not decode (concealed, skipped), within
    /// [`cutroom_ffi::damage_refusal`]'s bound.
    pub bad: usize,
    /// When the first and last of them are stamped to show (s).
    pub bad_at: Option<(f64, f64)>,
}

/// Decode the first audio track of `path` with symphonia; the inner `Err` says why symphonia
/// cannot (the caller then asks FFmpeg). A truncated tail ends the stream; damaged packets are
/// counted and skipped, and a track past [`cutroom_ffi::damage_refusal`]'s bound is refused.
/// With `mono`, each decoded piece goes to it as it comes and none is held (the result's `pcm`
/// is then empty), so a long track is never held whole.
pub fn decode_symphonia(
    path: &Path,
    mono: Option<&mut dyn MonoSink>,
) -> Result<std::result::Result<Decoded, String>> {
    decode_part(path, mono, None)
}

/// Takes a decode as it comes, mixed down to one channel by it.
pub trait MonoSink {
    /// Before any piece: how the file presents the decode's frames, at `rate` Hz.
    fn begin(&mut self, how: Presentation, rate: u32);
    /// A decoded piece, interleaved, of `channels` channels.
    fn mix(&mut self, piece: &[f32], channels: usize);
    /// `frames` of silence: a hole in the timestamps.
    fn silence(&mut self, frames: usize);
}

/// Why symphonia's AAC decoder would get an AAC track wrong: it decodes HE-AAC as its AAC-LC
/// core, at half the rate with SBR's upper band lost and, for HE-AAC v2, in one channel with the
/// parametric stereo lost. FFmpeg decodes it whole, so its decoder's rate or channel count
/// differs from the core's (`core`: symphonia's rate and channels); `None` when they agree.
fn beyond_the_core(path: &Path, core: (Option<u32>, Option<usize>)) -> Option<String> {
    let input = crate::media::open(path).ok()?;
    let params = &input.streams()[input.best_stream(MediaKind::Audio)?].params;
    let whole = (params.sample_rate(), params.channels() as usize);
    (core != (Some(whole.0), Some(whole.1))).then(|| {
        format!(
            "HE-AAC (SBR or parametric stereo), of which symphonia decodes only the AAC-LC core \
             ({} Hz, {} ch) of the {} Hz, {} ch sound",
            core.0.unwrap_or(0),
            core.1.unwrap_or(0),
            whole.0,
            whole.1
        )
    })
}

/// [`decode_symphonia`], stopped once what `used` asks for is decoded (as
/// [`Decoded::present`] will place it).
fn decode_part(
    path: &Path,
    mut mono: Option<&mut dyn MonoSink>,
    used: Option<Used>,
) -> Result<std::result::Result<Decoded, String>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let mut format = match symphonia::default::get_probe().probe(
        &hint,
        mss,
        FormatOptions::default(),
        MetadataOptions::default(),
    ) {
        Ok(f) => f,
        Err(e) => {
            let e = sym_words(&e);
            return Ok(Err(format!("symphonia cannot read the container: {e}")));
        }
    };
    let tagged = tagged_mask(&mut format.metadata());
    let Some(track) = format.default_track(TrackType::Audio) else {
        return Ok(Err("symphonia finds no audio track".into()));
    };
    let track_id = track.id;
    let time_base = track.time_base;
    // A length the file states exactly: FLAC's STREAMINFO, an MP3's Xing/Info frame count (read
    // with its LAME tag, which sets the delay; without a tag symphonia estimates from the size).
    let exact = match format.format_info().short_name {
        "flac" => true,
        "mp3" => track.delay.is_some(),
        _ => false,
    };
    let declared = track.num_frames.filter(|&n| exact && n > 0);
    // The track's length in the container, as (ticks, ticks per second).
    let media_len = match (track.duration, time_base) {
        (Some(d), Some(tb)) => Some((
            d.get() * u64::from(tb.numer.get()),
            u64::from(tb.denom.get()),
        )),
        _ => None,
    };
    let Some(params) = track.codec_params.as_ref().and_then(|p| p.audio()) else {
        return Ok(Err("symphonia finds no audio codec parameters".into()));
    };
    // symphonia 0.6 undoes Vorbis channel coupling first step first (Vorbis I 4.3.5: last
    // first): a stream of more than two channels, coupled in several steps, comes out with its
    // channels mixed up.
    if params.codec == CODEC_ID_VORBIS && params.channels.as_ref().is_some_and(|c| c.count() > 2) {
        return Ok(Err(
            "symphonia's Vorbis decoder mixes up more than two channels".into(),
        ));
    }
    let aac = params.codec == CODEC_ID_AAC;
    if aac {
        let core = (
            params.sample_rate,
            params.channels.as_ref().map(|c| c.count()),
        );
        if let Some(why) = beyond_the_core(path, core) {
            return Ok(Err(why));
        }
    }
    let mut decoder = match symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
    {
        Ok(d) => d,
        Err(e) => {
            let e = sym_words(&e);
            return Ok(Err(format!("symphonia has no decoder for it: {e}")));
        }
    };
    let mut spec: Option<(u32, u16)> = None;
    let mut layout = Layout::DEFAULT;
    let mut data: Vec<f32> = Vec::new();
    // One decoded piece, when it is mixed down.
    let mut piece: Vec<f32> = Vec::new();
    let mut first = None;
    // Frames decoded when they go to `mono`.
    let (streamed, mut sent) = (mono.is_some(), 0usize);
    // Frames to decode, once the rate is known.
    let mut enough = None;
    let (mut packets, mut bad, mut bad_at) = (0usize, 0usize, None);
    // Where a packet is stamped to show (s).
    let stamped = |pts: i64| {
        time_base.map(|tb| pts as f64 * f64::from(tb.numer.get()) / f64::from(tb.denom.get()))
    };
    loop {
        let packet = match format.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => {
                return Ok(Err(format!(
                    "symphonia fails reading it: {}",
                    sym_words(&e)
                )))
            }
        };
        if packet.track_id != track_id {
            continue;
        }
        packets += 1;
        match decoder.decode(&packet) {
            Ok(buf) => {
                let s = buf.spec();
                let this = (s.rate(), s.channels().count() as u16);
                layout = symphonia_layout(s.channels());
                let was = *spec.get_or_insert(this);
                if was != this {
                    let at = stamped(packet.pts.get()).unwrap_or(0.0);
                    return Err(Error::bad_input(
                        path,
                        format!(
                            "its sound changes from {} Hz, {} ch to {} Hz, {} ch at {at:.3} s \
                             mid-stream; re-encode it at one rate",
                            was.0, was.1, this.0, this.1
                        ),
                    ));
                }
                let channels = usize::from(this.1.max(1));
                let done = |data: &[f32], sent: usize| match streamed {
                    true => sent,
                    false => data.len() / channels,
                };
                if buf.frames() > 0 {
                    // The packet's pts plus what the decoder trimmed (a Vorbis decoder's first
                    // packet only primes the overlap and yields nothing), in samples.
                    let tb =
                        time_base.and_then(|tb| TimeBase::from_u32(tb.numer.get(), tb.denom.get()));
                    let ticks = packet.pts.get() + packet.trim_start.get() as i64;
                    let at = tb.map_or(ticks, |tb| Ticks(ticks).samples(tb, this.0).0);
                    if first.is_none() {
                        if let Some(m) = mono.as_mut() {
                            m.begin(Presentation::of(path, at, media_len, aac, this.0)?, this.0);
                        }
                    }
                    let from = *first.get_or_insert(at);
                    let hole = hole(at - from - done(&data, sent) as i64, tb, this.0);
                    match mono.as_mut() {
                        Some(m) => {
                            m.silence(hole);
                            sent += hole;
                        }
                        None => data.resize(data.len() + hole * channels, 0.0),
                    }
                }
                if let Some(m) = mono.as_mut() {
                    piece.resize(buf.samples_interleaved(), 0.0);
                    buf.copy_to_slice_interleaved(&mut piece);
                    m.mix(&piece, channels);
                    sent += buf.frames();
                } else {
                    let start = data.len();
                    data.resize(start + buf.samples_interleaved(), 0.0);
                    buf.copy_to_slice_interleaved(&mut data[start..]);
                }
                let enough = *enough.get_or_insert_with(|| {
                    used.map(|u| {
                        let lead = usize::try_from(lead_in(path, aac, this.0)).unwrap_or(0);
                        u.at(this.0).saturating_add(lead)
                    })
                });
                if enough.is_some_and(|e| done(&data, sent) >= e) {
                    break;
                }
            }
            Err(SymError::DecodeError(_)) => {
                bad += 1;
                if let Some(t) = stamped(packet.pts.get()) {
                    let (a, b): (f64, f64) = bad_at.unwrap_or((t, t));
                    bad_at = Some((a.min(t), b.max(t)));
                }
            }
            Err(e) => {
                return Ok(Err(format!(
                    "symphonia fails decoding it: {}",
                    sym_words(&e)
                )))
            }
        }
    }
    let Some((rate, channels)) = spec else {
        return Ok(Err("symphonia decodes no samples from it".into()));
    };
    // A FLAC or Ogg file's WAVEFORMATEXTENSIBLE_CHANNEL_MASK tag names its channels, as FFmpeg
    // reads it (FFmpeg writes it for any layout not FLAC's default for the count: 4.0 is 0x107).
    if let Some(mask) = tagged.filter(|m| m.count_ones() == u32::from(channels)) {
        layout = Layout(mask);
    }
    if let Some(why) = cutroom_ffi::damage_refusal(bad as u64, packets as u64) {
        return Err(Error::bad_input(path, format!("decode audio: {why}")));
    }
    Ok(Ok(Decoded {
        pcm: Pcm {
            rate,
            channels: if mono.is_some() { 1 } else { channels },
            layout: if mono.is_some() {
                Layout::DEFAULT
            } else {
                layout
            },
            data,
        },
        first: first.unwrap_or(0),
        media_len,
        declared,
        aac,
        bad,
        bad_at,
    }))
}

/// Frames of silence to put in a hole of `late` samples (at `rate`) between the sound decoded
/// so far and a packet's timestamp (in `tb`), as FFmpeg's decoder fills one
/// ([`cutroom_ffi::AudioDecoder`]): none for a rounded timestamp (up to 1 ms and two ticks),
/// an early one, or a jump past [`cutroom_ffi::MAX_GAP_S`].
fn hole(late: i64, tb: Option<TimeBase>, rate: u32) -> usize {
    let tick = tb.map_or(0, |tb| Ticks(1).samples(tb, rate).0);
    let rounded = i64::from(rate / 1000).max(2 * tick);
    if late <= rounded || late > i64::from(cutroom_ffi::MAX_GAP_S) * i64::from(rate) {
        return 0;
    }
    usize::try_from(late).unwrap_or(0)
}

/// The layout of channels symphonia decoded: their positions, when they are among the 18
/// standard ones, whose bits are FFmpeg's; else the default for the count.
fn symphonia_layout(channels: &Channels) -> Layout {
    match channels {
        Channels::Positioned(p) if p.bits() < 1 << 18 => Layout(p.bits()),
        _ => Layout::DEFAULT,
    }
}

/// The channel mask a `WAVEFORMATEXTENSIBLE_CHANNEL_MASK` tag gives (`0x107` or decimal), when
/// it names only standard positions.
fn tagged_mask(metadata: &mut symphonia::core::meta::Metadata<'_>) -> Option<u64> {
    let revision = metadata.skip_to_latest()?;
    let tracks = revision.per_track.iter().map(|t| &t.metadata);
    std::iter::once(&revision.media)
        .chain(tracks)
        .flat_map(|c| &c.tags)
        .filter(|t| {
            t.raw
                .key
                .eq_ignore_ascii_case("WAVEFORMATEXTENSIBLE_CHANNEL_MASK")
        })
        .find_map(|t| {
            let text = t.raw.value.to_string();
            let text = text.trim();
            match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => text.parse().ok(),
            }
        })
        .filter(|&m| m > 0 && m < 1 << 18)
}

/// Any other file through FFmpeg, at its own rate and channel count, as far as `used`; `what`
/// says why another reader did not do it (part of the error when FFmpeg cannot either).
fn load_ffmpeg(
    path: &Path,
    what: &str,
    used: Option<Used>,
    progress: &dyn Progress,
) -> Result<Pcm> {
    let input = crate::media::open(path).map_err(|e| {
        let why = match e {
            Error::Media(cutroom_ffi::Error::Open { reason, .. }) => reason,
            Error::BadInput { reason, .. } => reason,
            other => other.to_string(),
        };
        Error::bad_input(
            path,
            format!("not an audio file cutroom can read ({what}; FFmpeg: {why})"),
        )
    })?;
    let streams = input.streams();
    let Some(a) = input.best_stream(MediaKind::Audio) else {
        return Err(Error::bad_input(path, "no audio stream"));
    };
    let rate = streams[a].params.sample_rate();
    let channels = streams[a].params.channels() as u16;
    let layout = streams[a].params.layout();
    if rate == 0 || channels == 0 {
        return Err(Error::bad_input(
            path,
            "audio stream declares no sample rate or channels",
        ));
    }
    drop(input);
    let until = used.map(|u| u.at(rate));
    pcm::decode_laid_out(path, rate, channels, layout, until, progress)?
        .ok_or_else(|| Error::bad_input(path, "no audio stream"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_os_error_symphonia_or_hound_pass_on_is_in_the_os_words() {
        let eio = || std::io::Error::from_raw_os_error(5);
        assert_eq!(sym_words(&SymError::IoError(eio())), "Input/output error");
        assert_eq!(
            wav_words(&hound::Error::IoError(eio())),
            "Input/output error"
        );
    }
}
