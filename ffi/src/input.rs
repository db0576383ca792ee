//! Demuxing: open a media file, describe its streams, read its packets with real errors.

use crate::error::{Error, Result};
use crate::params::CodecParams;
use crate::time::Rational;
use ff::packet::Ref as _;
use ff::Rescale as _;
use ffmpeg_next as ff;
use std::path::{Path, PathBuf};

/// What a stream carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// Pictures.
    Video,
    /// Sound.
    Audio,
    /// Subtitles.
    Subtitle,
    /// Timed data (timecode, metadata tracks).
    Data,
    /// Anything else.
    Other,
}

impl MediaKind {
    /// Lower-case name: `video`, `audio`, `subtitle`, `data`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Subtitle => "subtitle",
            Self::Data => "data",
            Self::Other => "other",
        }
    }
}

/// One stream of an input, as the container and codec parameters describe it.
#[derive(Debug, Clone)]
pub struct StreamInfo {
    /// Index in the container.
    pub index: usize,
    /// The container's own id of the stream (MP4/MOV: the `tkhd` track id; MPEG-TS: the PID).
    pub id: i32,
    /// What the stream carries.
    pub kind: MediaKind,
    /// Codec parameters (codec, profile, size, formats, extradata).
    pub params: CodecParams,
    /// Time base of the stream's timestamps.
    pub time_base: Rational,
    /// Start time in `time_base` ticks, when known.
    pub start_time: Option<i64>,
    /// Duration in `time_base` ticks, when known.
    pub duration: Option<i64>,
    /// Frame count the container declares (0 when unknown).
    pub frames: i64,
    /// Average frame rate (video), 0/0 when unknown.
    pub avg_frame_rate: Rational,
    /// Real base frame rate (`r_frame_rate`), 0/0 when unknown.
    pub real_frame_rate: Rational,
    /// Display rotation in degrees from the display matrix (as ffprobe reports it), 0 when absent.
    pub rotation: f64,
    /// The display matrix itself (rotation, flips), to carry into a copy; `None` when absent.
    pub display_matrix: Option<DisplayMatrix>,
    /// Video: the shape of a stored pixel on screen (sample aspect ratio), the container's
    /// (`pasp`) else the codec's (H.264 VUI), as FFmpeg guesses it; 1/1 when neither says.
    pub sample_aspect: Rational,
}

/// An open media file.
pub struct Input {
    ctx: ff::format::context::Input,
    path: PathBuf,
}

impl Input {
    /// Open `path` and read its stream headers. A Matroska track FFmpeg's analysis of the
    /// first seconds never met (a picture starting 7 s after the sound) is described only by
    /// its header: FFmpeg gives it the whole file's start and duration, no pixel format and no
    /// frame reordering (so its packets get no decoding times); such a file is analysed again
    /// over all of it.
    pub fn open(path: &Path) -> Result<Self> {
        crate::init();
        let url = file_url(path)?;
        let open_err = |e| Error::Open {
            path: path.to_path_buf(),
            reason: describe(e),
        };
        let mut ctx = open_url(&url, None).map_err(open_err)?;
        if unseen_tracks(&ctx) {
            let bytes = std::fs::metadata(path)
                .map_or(i64::MAX, |m| i64::try_from(m.len()).unwrap_or(i64::MAX));
            // The container's length (µs) and a second, else an hour.
            let us = match ctx.duration() {
                d if d > 0 => d.saturating_add(1_000_000),
                _ => 3_600_000_000,
            };
            ctx = open_url(&url, Some((us, bytes.saturating_add(1)))).map_err(open_err)?;
        }
        Ok(Self {
            ctx,
            path: path.to_path_buf(),
        })
    }

    /// The path this input was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The demuxer's name list (`mov,mp4,m4a,3gp,3g2,mj2` for MP4).
    pub fn format_name(&self) -> String {
        self.ctx.format().name().to_string()
    }

    /// Container duration in microseconds, when known.
    pub fn duration_us(&self) -> Option<i64> {
        let d = self.ctx.duration();
        (d != ff::ffi::AV_NOPTS_VALUE && d >= 0).then_some(d)
    }

    /// Container bit rate in bit/s (0 when unknown).
    pub fn bit_rate(&self) -> i64 {
        self.ctx.bit_rate()
    }

    /// Every stream of the file, in container order.
    pub fn streams(&self) -> Vec<StreamInfo> {
        self.ctx.streams().map(|s| stream_info(&s)).collect()
    }

    /// The index of the best stream of `kind`, as FFmpeg picks it.
    pub fn best_stream(&self, kind: MediaKind) -> Option<usize> {
        let t = match kind {
            MediaKind::Video => ff::media::Type::Video,
            MediaKind::Audio => ff::media::Type::Audio,
            MediaKind::Subtitle => ff::media::Type::Subtitle,
            MediaKind::Data => ff::media::Type::Data,
            MediaKind::Other => return None,
        };
        self.ctx.streams().best(t).map(|s| s.index())
    }

    /// Read the next packet of any stream: `Ok(None)` at the end of the file, `Err` on a read
    /// error (a truncated or corrupt file), unlike `packets()` which stops silently.
    pub fn read_packet(&mut self) -> Result<Option<Packet>> {
        let mut pkt = ff::Packet::empty();
        match pkt.read(&mut self.ctx) {
            Ok(()) => {
                let tb = self
                    .ctx
                    .stream(pkt.stream())
                    .map(|s| s.time_base().into())
                    .unwrap_or(Rational::new(1, 1));
                Ok(Some(Packet {
                    inner: pkt,
                    time_base: tb,
                }))
            }
            Err(ff::Error::Eof) => Ok(None),
            Err(e) => Err(Error::Read {
                path: self.path.clone(),
                reason: describe(e),
            }),
        }
    }

    /// Seek so that the next packets of `stream` start at the keyframe at or before `ts`
    /// (in that stream's time base).
    pub fn seek_to_keyframe(&mut self, stream: usize, ts: i64) -> Result<()> {
        let Some(index) = self.ctx.stream(stream).map(|s| s.index() as i32) else {
            return Err(Error::Read {
                path: self.path.clone(),
                reason: format!("no stream {stream} to seek in"),
            });
        };
        // SAFETY: `self.ctx` owns an open AVFormatContext and `&mut self` makes this the only
        // access to it; `index` is one of its streams (checked above), which av_seek_frame and
        // the demuxers' seek functions index `streams` with.
        let r = unsafe {
            ff::ffi::av_seek_frame(
                self.ctx.as_mut_ptr(),
                index,
                ts,
                ff::ffi::AVSEEK_FLAG_BACKWARD,
            )
        };
        if r < 0 {
            return Err(Error::Read {
                path: self.path.clone(),
                reason: describe(ff::Error::from(r)),
            });
        }
        Ok(())
    }

    pub(crate) fn stream_params(&self, index: usize) -> Option<ff::codec::Parameters> {
        self.ctx.stream(index).map(|s| s.parameters())
    }
}

/// Open `url` and analyse its streams, over `window` (µs, bytes) instead of FFmpeg's default
/// (5 s, 5 MB) when given.
fn open_url(
    url: &std::ffi::CStr,
    window: Option<(i64, i64)>,
) -> std::result::Result<ff::format::context::Input, ff::Error> {
    let mut opts = ff::Dictionary::new();
    if let Some((us, bytes)) = window {
        opts.set("analyzeduration", &us.to_string());
        opts.set("probesize", &bytes.to_string());
    }
    let mut ps = std::ptr::null_mut();
    // SAFETY: `url` is a NUL-terminated string that outlives the calls; `ps` starts null, so
    // avformat_open_input allocates the context and on failure frees it and leaves it null.
    // The options dictionary is handed over and taken back (and freed) after the call, as
    // `ff::format::input_with_dictionary` does. A context that opened is closed here if its
    // streams cannot be read, else owned by the wrapper, which closes it on drop.
    unsafe {
        let mut dict = opts.disown();
        let r =
            ff::ffi::avformat_open_input(&mut ps, url.as_ptr(), std::ptr::null_mut(), &mut dict);
        drop(ff::Dictionary::own(dict));
        match r {
            0 => match ff::ffi::avformat_find_stream_info(ps, std::ptr::null_mut()) {
                r if r >= 0 => Ok(ff::format::context::Input::wrap(ps)),
                e => {
                    ff::ffi::avformat_close_input(&mut ps);
                    Err(ff::Error::from(e))
                }
            },
            e => Err(ff::Error::from(e)),
        }
    }
}

/// A Matroska picture or sound track the analysis never met: Matroska states no track's start
/// or length, and FFmpeg gives a track it learnt nothing of from packets the whole file's
/// (a track it met has its first packet's start and no length).
fn unseen_tracks(ctx: &ff::format::context::Input) -> bool {
    if !ctx.format().name().contains("matroska") {
        return false;
    }
    // SAFETY: `ctx` owns an open AVFormatContext; start_time is a plain field.
    let start = unsafe { (*ctx.as_ptr()).start_time };
    let whole = |t: i64, tb| match t {
        ff::ffi::AV_NOPTS_VALUE => t,
        t => t.rescale(ff::Rational::new(1, ff::ffi::AV_TIME_BASE), tb),
    };
    ctx.streams().any(|s| {
        matches!(
            s.parameters().medium(),
            ff::media::Type::Video | ff::media::Type::Audio
        ) && start != ff::ffi::AV_NOPTS_VALUE
            && s.start_time() == whole(start, s.time_base())
            && s.duration() == whole(ctx.duration(), s.time_base())
    })
}

fn stream_info(s: &ff::format::stream::Stream<'_>) -> StreamInfo {
    let params = CodecParams(s.parameters());
    let kind = match params.0.medium() {
        ff::media::Type::Video => MediaKind::Video,
        ff::media::Type::Audio => MediaKind::Audio,
        ff::media::Type::Subtitle => MediaKind::Subtitle,
        ff::media::Type::Data => MediaKind::Data,
        _ => MediaKind::Other,
    };
    let opt = |v: i64| (v != ff::ffi::AV_NOPTS_VALUE).then_some(v);
    let display_matrix = s
        .side_data()
        .find(|d| d.kind() == ff::codec::packet::side_data::Type::DisplayMatrix)
        .and_then(|d| Some(DisplayMatrix(d.data().get(..36)?.try_into().ok()?)));
    let rotation = display_matrix
        .as_ref()
        .map_or(0.0, |m| display_rotation(&m.0));
    // SAFETY: `s` borrows a live AVStream of the open input (the borrow keeps the context
    // alive), and avformat_new_stream always allocates its codecpar; both reads are of plain
    // fields.
    let (container, codec) = unsafe {
        let st = &*s.as_ptr();
        (st.sample_aspect_ratio, (*st.codecpar).sample_aspect_ratio)
    };
    let sample_aspect = [container, codec]
        .into_iter()
        .find(|r| r.num > 0 && r.den > 0)
        .map_or(Rational::new(1, 1), |r| Rational::new(r.num, r.den));
    StreamInfo {
        index: s.index(),
        id: s.id(),
        kind,
        params,
        time_base: s.time_base().into(),
        start_time: opt(s.start_time()),
        duration: opt(s.duration()).filter(|d| *d > 0),
        frames: s.frames().max(0),
        avg_frame_rate: s.avg_frame_rate().into(),
        real_frame_rate: s.rate().into(),
        rotation,
        display_matrix,
        sample_aspect,
    }
}

/// A video stream's display matrix: 3x3 values (16.16 and 2.30 fixed point) in native byte
/// order, as FFmpeg keeps it in stream side data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisplayMatrix(pub(crate) [u8; 36]);

/// Rotation in degrees from a 3x3 display matrix of 16.16 fixed-point values, with the sign
/// convention of FFmpeg's `av_display_rotation_get` (counter-clockwise positive).
fn display_rotation(data: &[u8]) -> f64 {
    if data.len() < 36 {
        return 0.0;
    }
    let m = |i: usize| {
        let b = [
            data[4 * i],
            data[4 * i + 1],
            data[4 * i + 2],
            data[4 * i + 3],
        ];
        f64::from(i32::from_ne_bytes(b)) / 65536.0
    };
    let s0 = m(0).hypot(m(3));
    let s1 = m(1).hypot(m(4));
    if s0 == 0.0 || s1 == 0.0 {
        return 0.0;
    }
    let r = -(m(1) / s1).atan2(m(0) / s0).to_degrees();
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// A compressed packet of one stream, with its timestamps in that stream's time base.
/// Cloning copies the payload.
#[derive(Clone)]
pub struct Packet {
    pub(crate) inner: ff::Packet,
    time_base: Rational,
}

impl Packet {
    pub(crate) fn from_ff(inner: ff::Packet, time_base: Rational) -> Self {
        Self { inner, time_base }
    }

    /// Index of the stream it belongs to.
    pub fn stream(&self) -> usize {
        self.inner.stream()
    }

    /// Set the stream index (for muxing into another file).
    pub fn set_stream(&mut self, index: usize) {
        self.inner.set_stream(index);
    }

    /// The time base of the timestamps.
    pub fn time_base(&self) -> Rational {
        self.time_base
    }

    /// Presentation timestamp, when set.
    pub fn pts(&self) -> Option<i64> {
        self.inner.pts()
    }

    /// Decoding timestamp, when set.
    pub fn dts(&self) -> Option<i64> {
        self.inner.dts()
    }

    /// Duration in time-base ticks (0 when unknown).
    pub fn duration(&self) -> i64 {
        self.inner.duration()
    }

    /// Shift both timestamps by `delta` ticks.
    pub fn offset(&mut self, delta: i64) {
        self.inner.set_pts(self.inner.pts().map(|v| v + delta));
        self.inner.set_dts(self.inner.dts().map(|v| v + delta));
    }

    /// Set the presentation and decoding timestamps.
    pub fn set_timestamps(&mut self, pts: Option<i64>, dts: Option<i64>) {
        self.inner.set_pts(pts);
        self.inner.set_dts(dts);
    }

    /// Set the duration in ticks.
    pub fn set_duration(&mut self, duration: i64) {
        self.inner.set_duration(duration);
    }

    /// Express the timestamps and duration in another time base.
    pub fn rescale(&mut self, to: Rational) {
        self.inner.rescale_ts(self.time_base, to);
        self.time_base = to;
    }

    /// True for a keyframe (random access point).
    pub fn is_key(&self) -> bool {
        self.inner.is_key()
    }

    /// True when the demuxer flagged the packet for discarding (e.g. edit-list pre-roll).
    pub fn is_discard(&self) -> bool {
        // SAFETY: `self.inner` owns a valid AVPacket (it holds the struct itself) for as long as
        // `self` lives; reading its integer flags field is sound.
        let flags = unsafe { (*self.inner.as_ptr()).flags };
        flags & ff::ffi::AV_PKT_FLAG_DISCARD != 0
    }

    /// The compressed bytes.
    pub fn data(&self) -> &[u8] {
        self.inner.data().unwrap_or(&[])
    }
}

/// FFmpeg's message for an error, with a plainer word for the common "invalid data" case.
/// `path` as a URL of FFmpeg's file protocol, `file:` and the path's own bytes: a name with a
/// colon (`take:2.mp4`) is never taken for a protocol, and a name that is not UTF-8 opens too.
pub(crate) fn file_url(path: &Path) -> Result<std::ffi::CString> {
    use std::os::unix::ffi::OsStrExt;
    let mut url = b"file:".to_vec();
    url.extend_from_slice(path.as_os_str().as_bytes());
    std::ffi::CString::new(url).map_err(|_| Error::Open {
        path: path.to_path_buf(),
        reason: "the name holds a NUL byte".into(),
    })
}

pub(crate) fn describe(e: ff::Error) -> String {
    match e {
        ff::Error::InvalidData => {
            "invalid data found when processing input (not a media file, or corrupt)".into()
        }
        ff::Error::Other { errno } if errno == libc_enoent() => "no such file".into(),
        other => other.to_string(),
    }
}

const fn libc_enoent() -> i32 {
    2
}
