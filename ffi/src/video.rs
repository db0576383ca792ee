//! Video: frames, decoding (with optional conversion), and H.264 encoding with x264.

use crate::codec::{receive_packet, Decoder, Opened};
use crate::error::{Context, Error, Result};
use crate::input::{Input, Packet};
use crate::params::CodecParams;
use crate::time::Rational;
use ff::software::scaling;
use ffmpeg_next as ff;

/// Pixel formats cutroom asks for by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pixel {
    /// Planar 8-bit 4:2:0 YUV, the delivery format.
    Yuv420p,
    /// 8-bit luma only (cheap analysis).
    Gray,
    /// Packed 8-bit RGB.
    Rgb24,
    /// Packed 8-bit RGBA.
    Rgba,
}

impl Pixel {
    pub(crate) fn to_ff(self) -> ff::format::Pixel {
        match self {
            Self::Yuv420p => ff::format::Pixel::YUV420P,
            Self::Gray => ff::format::Pixel::GRAY8,
            Self::Rgb24 => ff::format::Pixel::RGB24,
            Self::Rgba => ff::format::Pixel::RGBA,
        }
    }
}

/// How an 8-bit planar YUV picture is laid out ([`VideoFrame::planar_yuv`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanarYuv {
    /// log2 of the chroma subsampling `(horizontal, vertical)`: `(1, 1)` for 4:2:0.
    pub chroma_shift: (u8, u8),
    /// Full-range (JPEG) levels rather than limited (16-235).
    pub full_range: bool,
}

/// A decoded (or to-be-encoded) picture; `pts` is in the time base of whoever produced it.
pub struct VideoFrame {
    pub(crate) inner: ff::frame::Video,
}

impl VideoFrame {
    /// A new frame of `pixel` format and size, zeroed planes.
    pub fn new(pixel: Pixel, width: u32, height: u32) -> Self {
        crate::init();
        Self {
            inner: ff::frame::Video::new(pixel.to_ff(), width, height),
        }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.inner.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.inner.height()
    }

    /// Presentation timestamp.
    pub fn pts(&self) -> Option<i64> {
        self.inner.pts()
    }

    /// Set the presentation timestamp.
    pub fn set_pts(&mut self, pts: Option<i64>) {
        self.inner.set_pts(pts);
    }

    /// A new reference to the same picture (no pixel copy) whose timestamp can be set
    /// independently; the planes stay shared, so treat them as read-only.
    pub fn share(&self) -> Result<VideoFrame> {
        let mut inner = ff::frame::Video::empty();
        // SAFETY: both frames are valid AVFrames; `inner` is freshly allocated and empty, as
        // av_frame_ref requires of its destination; the source is only read (its buffers gain a
        // reference through atomic counters, safe while other threads reference them too).
        let r = unsafe { ff::ffi::av_frame_ref(inner.as_mut_ptr(), self.inner.as_ptr()) };
        if r < 0 {
            return Err(ff::Error::from(r)).op("reference video frame");
        }
        Ok(VideoFrame { inner })
    }

    /// The `w`x`h` window at (`x`, `y`) of this picture as a new reference (no pixel copy: the
    /// plane pointers are offset). With subsampled chroma an odd offset starts the chroma
    /// window half a pixel early.
    pub fn crop(&self, x: u32, y: u32, w: u32, h: u32) -> Result<VideoFrame> {
        let (fw, fh) = (self.width(), self.height());
        if w == 0 || h == 0 || x.saturating_add(w) > fw || y.saturating_add(h) > fh {
            return Err(Error::Ffmpeg {
                op: "crop video frame".into(),
                reason: format!("window {w}x{h}+{x}+{y} is outside the {fw}x{fh} picture"),
            });
        }
        let mut out = self.share()?;
        // SAFETY: `out` is our own reference; setting its crop fields and applying them only
        // moves its data pointers and size within the (shared, unmodified) buffers, and the
        // window was checked to lie inside the picture.
        let r = unsafe {
            let f = out.inner.as_mut_ptr();
            (*f).crop_left = x as usize;
            (*f).crop_top = y as usize;
            (*f).crop_right = (fw - x - w) as usize;
            (*f).crop_bottom = (fh - y - h) as usize;
            ff::ffi::av_frame_apply_cropping(f, ff::ffi::AV_FRAME_CROP_UNALIGNED as i32)
        };
        if r < 0 {
            return Err(ff::Error::from(r)).op("crop video frame");
        }
        Ok(out)
    }

    /// Number of planes.
    pub fn planes(&self) -> usize {
        self.inner.planes()
    }

    /// Bytes of plane `i` (rows of `stride(i)` bytes).
    pub fn plane(&self, i: usize) -> &[u8] {
        self.inner.data(i)
    }

    /// Writable bytes of plane `i`.
    pub fn plane_mut(&mut self, i: usize) -> &mut [u8] {
        self.inner.data_mut(i)
    }

    /// Row length in bytes of plane `i`.
    pub fn stride(&self, i: usize) -> usize {
        self.inner.stride(i)
    }

    /// The layout of an 8-bit planar YUV picture (planes 0, 1, 2: Y, Cb, Cr: `yuv420p`,
    /// `yuv422p`, `yuv444p` and their full-range `yuvj` forms); `None` for other formats.
    pub fn planar_yuv(&self) -> Option<PlanarYuv> {
        use ff::format::Pixel as P;
        let (chroma_shift, full_range) = match self.inner.format() {
            P::YUV420P => ((1, 1), false),
            P::YUVJ420P => ((1, 1), true),
            P::YUV422P => ((1, 0), false),
            P::YUVJ422P => ((1, 0), true),
            P::YUV444P => ((0, 0), false),
            P::YUVJ444P => ((0, 0), true),
            _ => return None,
        };
        Some(PlanarYuv {
            chroma_shift,
            full_range,
        })
    }

    /// Pixel format name (`yuv420p`, `gray`, ...).
    pub fn pixel_name(&self) -> String {
        self.inner
            .format()
            .descriptor()
            .map(|d| d.name().to_string())
            .unwrap_or_else(|| "none".into())
    }
}

/// Speed options of a [`VideoDecoder`] for analysis, where frames are looked at small and need
/// not be bit-exact. The default decodes exactly, on automatic threads, with bilinear scaling.
#[derive(Debug, Clone, Copy, Default)]
pub struct DecoderOptions {
    /// Skip the in-loop deblocking filter (H.264, HEVC): faster; pictures get slightly blockier
    /// and drift from the encoder's, which analysis at a small size does not notice.
    pub skip_loop_filter: bool,
    /// Allow the decoder's non-compliant speed-ups (`AV_CODEC_FLAG2_FAST`).
    pub fast: bool,
    /// Decoder threads (0: automatic).
    pub threads: usize,
    /// Convert with area averaging instead of bilinear filtering: the right filter, and a cheap
    /// one, when shrinking a lot (e.g. 1080p to a thumbnail).
    pub area_scaling: bool,
}

/// Decodes one video stream, optionally converting every frame to a fixed format and size.
///
/// Decode with the [`Decoder`] loop.
pub struct VideoDecoder {
    /// Named `<file>: decode video` in errors.
    dec: Opened,
    stream: usize,
    scaler: Option<Scaler>,
    time_base: Rational,
}

impl VideoDecoder {
    /// A decoder for `stream` of `input`. With `out = Some((pixel, w, h))` frames come out
    /// converted (bilinear scaling) to that format and size.
    pub fn new(input: &Input, stream: usize, out: Option<(Pixel, u32, u32)>) -> Result<Self> {
        Self::with_options(input, stream, out, DecoderOptions::default())
    }

    /// Like [`VideoDecoder::new`], with speed options (see [`DecoderOptions`]).
    pub fn with_options(
        input: &Input,
        stream: usize,
        out: Option<(Pixel, u32, u32)>,
        opts: DecoderOptions,
    ) -> Result<Self> {
        let params = input.stream_params(stream).ok_or_else(|| Error::Ffmpeg {
            op: "open video decoder".into(),
            reason: format!("no stream {stream}"),
        })?;
        let tb: Rational = input
            .streams()
            .get(stream)
            .map(|s| s.time_base)
            .unwrap_or(Rational::new(1, 90000));
        let stored = crate::CodecParams(params.clone());
        let mut ctx =
            ff::codec::context::Context::from_parameters(params).op("open video decoder")?;
        ctx.set_threading(ff::threading::Config {
            kind: ff::threading::Type::Frame,
            count: opts.threads,
            ..Default::default()
        });
        // SAFETY: `ctx` owns a valid AVCodecContext, not opened yet and held mutably here, so
        // writing two plain fields (with values valid for them) races with nothing.
        unsafe {
            let raw = ctx.as_mut_ptr();
            if opts.skip_loop_filter {
                (*raw).skip_loop_filter = ff::ffi::AVDiscard::AVDISCARD_ALL;
            }
            if opts.fast {
                (*raw).flags2 |= ff::ffi::AV_CODEC_FLAG2_FAST;
            }
        }
        let mut dec = ctx.decoder();
        dec.set_packet_time_base(ff::Rational::from(tb));
        let dec = dec
            .video()
            .map_err(|_| Error::undecodable(input.path(), "video", &stored))?;
        let op = format!("{}: decode video", input.path().display());
        Ok(Self {
            dec: Opened::new(dec.0, op),
            stream,
            scaler: out.map(|(pixel, w, h)| Scaler::new(pixel, w, h, opts.area_scaling)),
            time_base: tb,
        })
    }

    /// The time base of frame timestamps (the stream's).
    pub fn time_base(&self) -> Rational {
        self.time_base
    }
}

impl Decoder for VideoDecoder {
    type Frame = VideoFrame;

    fn stream(&self) -> usize {
        self.stream
    }

    fn send(&mut self, pkt: &Packet) -> Result<()> {
        self.dec.send(pkt)
    }

    fn send_eof(&mut self) -> Result<()> {
        self.dec.send_eof()
    }

    /// The next decoded frame (converted when the decoder was made with an output format).
    fn receive(&mut self) -> Result<Option<VideoFrame>> {
        let mut frame = ff::frame::Video::empty();
        if !self.dec.receive(&mut frame)? {
            return Ok(None);
        }
        let pts = frame.timestamp();
        frame.set_pts(pts);
        let frame = VideoFrame { inner: frame };
        match &mut self.scaler {
            Some(scaler) => scaler.run(&frame).map(Some),
            None => Ok(Some(frame)),
        }
    }

    fn damaged_packets(&self) -> u64 {
        self.dec.damaged()
    }

    fn damaged_at(&self) -> Option<(f64, f64)> {
        self.dec.damaged_at()
    }
}

/// Converts pictures to one pixel format and size (libswscale), whatever their own.
pub struct Scaler {
    out: (Pixel, u32, u32),
    flags: scaling::Flags,
    ctx: Option<(scaling::Context, (ff::format::Pixel, u32, u32))>,
}

impl Scaler {
    /// A converter to `pixel` at `width`x`height`, averaging areas (`area`: right when shrinking
    /// a lot) or filtering bilinearly.
    pub fn new(pixel: Pixel, width: u32, height: u32, area: bool) -> Self {
        let flags = if area {
            scaling::Flags::AREA
        } else {
            scaling::Flags::BILINEAR
        };
        Self {
            out: (pixel, width, height),
            flags,
            ctx: None,
        }
    }

    /// `frame` converted; the timestamp is kept.
    pub fn run(&mut self, frame: &VideoFrame) -> Result<VideoFrame> {
        let src = &frame.inner;
        let key = (src.format(), src.width(), src.height());
        if self.ctx.as_ref().map(|(_, k)| *k != key).unwrap_or(true) {
            let (pixel, w, h) = self.out;
            let sws = scaling::Context::get(key.0, key.1, key.2, pixel.to_ff(), w, h, self.flags)
                .op("create scaler")?;
            self.ctx = Some((sws, key));
        }
        let mut out = ff::frame::Video::empty();
        let (sws, _) = self.ctx.as_mut().expect("scaler set above");
        sws.run(src, &mut out).op("scale video")?;
        out.set_pts(src.pts());
        Ok(VideoFrame { inner: out })
    }
}

/// Settings of an H.264 (x264) encode.
#[derive(Debug, Clone)]
pub struct VideoEncoderConfig {
    /// Output width.
    pub width: u32,
    /// Output height.
    pub height: u32,
    /// Frame rate (sets the encoder time base to its inverse).
    pub frame_rate: Rational,
    /// Constant rate factor (quality; 18-28 typical).
    pub crf: f32,
    /// x264 preset (`ultrafast` ... `veryslow`).
    pub preset: String,
    /// H.264 profile (`high`, `main`, `baseline`).
    pub profile: String,
    /// Keyframe interval in frames (closed GOP, no scene-cut keyframes between).
    pub gop: u32,
    /// Maximum bit rate in bit/s (VBV, over a buffer of one second of it, which x264 starts
    /// 0.9 full), when capped.
    pub max_bit_rate: Option<u64>,
    /// Encoder threads (0: automatic).
    pub threads: usize,
}

/// The x264 option keeping it off its AVX-512 code where that code reads memory it never
/// wrote: on CPUs where x264 would take AVX-512, for pictures `width` wide.
///
/// x264's AVX-512 `mbtree_propagate_list` (0.164, and upstream) handles macroblocks in vectors
/// of 8 without masking the row's end: when the width in macroblocks is not a multiple of 8
/// (1080 is 68), the last row's extra lanes read costs from padding x264 allocated but never
/// wrote and can add them to a reference frame's propagate costs. The macroblock-tree QP
/// offsets, and so the bits, then follow what the heap held before: exports side by side in one
/// process came out different (#20). The AVX2 code scatters only the row's own macroblocks and
/// gives the same bits as AVX-512 on a clean heap, for about 7 % more x264 CPU.
fn x264_asm(width: u32) -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        let avx512 = is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512cd")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512dq")
            && is_x86_feature_detected!("avx512vl");
        // x264's "AVX2" level: everything up to AVX2, FMA3, LZCNT, BMI1 and BMI2.
        let avx2 = is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("fma")
            && is_x86_feature_detected!("lzcnt")
            && is_x86_feature_detected!("bmi1")
            && is_x86_feature_detected!("bmi2");
        if avx512 && avx2 && width.div_ceil(16) % 8 != 0 {
            return ":asm=AVX2";
        }
    }
    let _ = width;
    ""
}

/// An H.264 encoder over libx264, fed [`VideoFrame`]s in `yuv420p` with pts in frame units.
pub struct VideoEncoder {
    enc: ff::encoder::Video,
    time_base: Rational,
}

impl VideoEncoder {
    /// Open an encoder with `cfg`. Frames must be `yuv420p` at the configured size and carry
    /// pts counted in frames (time base `1/frame_rate`).
    pub fn new(cfg: &VideoEncoderConfig) -> Result<Self> {
        crate::init();
        let codec = ff::encoder::find_by_name("libx264").ok_or(Error::Codec {
            what: "encoder",
            codec: "libx264".into(),
        })?;
        let mut ctx = ff::codec::context::Context::new_with_codec(codec);
        ctx.set_threading(ff::threading::Config {
            kind: ff::threading::Type::Frame,
            count: cfg.threads,
            ..Default::default()
        });
        let mut enc = ctx.encoder().video().op("create video encoder")?;
        let tb = cfg.frame_rate.invert();
        enc.set_width(cfg.width);
        enc.set_height(cfg.height);
        enc.set_format(ff::format::Pixel::YUV420P);
        enc.set_time_base(ff::Rational::from(tb));
        enc.set_frame_rate(Some(ff::Rational::from(cfg.frame_rate)));
        enc.set_gop(cfg.gop);
        enc.set_flags(ff::codec::Flags::GLOBAL_HEADER);
        // Every picture cutroom encodes is BT.709 SDR in limited range (sources of other
        // colours are converted before the encoder), tagged so in the stream (x264's VUI) and,
        // through the codec parameters, in the container (`colr`).
        // SAFETY: `enc` owns a valid AVCodecContext, not opened yet and held mutably here, so
        // writing these plain fields (with valid enum values) races with nothing.
        unsafe {
            let raw = enc.as_mut_ptr();
            (*raw).color_primaries = ff::ffi::AVColorPrimaries::AVCOL_PRI_BT709;
            (*raw).color_trc = ff::ffi::AVColorTransferCharacteristic::AVCOL_TRC_BT709;
            (*raw).colorspace = ff::ffi::AVColorSpace::AVCOL_SPC_BT709;
            (*raw).color_range = ff::ffi::AVColorRange::AVCOL_RANGE_MPEG;
        }
        if let Some(max) = cfg.max_bit_rate {
            enc.set_max_bit_rate(max as usize);
            // SAFETY: as above: one integer field of the unopened context we hold mutably.
            unsafe { (*enc.as_mut_ptr()).rc_buffer_size = max.min(i32::MAX as u64) as i32 };
        }
        let mut opts = ff::Dictionary::new();
        opts.set("preset", &cfg.preset);
        opts.set("crf", &format!("{}", cfg.crf));
        opts.set("profile", &cfg.profile);
        let keyint = cfg.gop.max(1);
        opts.set(
            "x264-params",
            &format!(
                "keyint={keyint}:min-keyint={keyint}:scenecut=0:open-gop=0{}",
                x264_asm(cfg.width)
            ),
        );
        let enc = enc.open_as_with(codec, opts).op("open x264")?;
        Ok(Self { enc, time_base: tb })
    }

    /// The encoder time base (`1/frame_rate`); packets come out in it.
    pub fn time_base(&self) -> Rational {
        self.time_base
    }

    /// Codec parameters for a muxer stream.
    pub fn params(&self) -> CodecParams {
        CodecParams(ff::codec::Parameters::from(&*self.enc))
    }

    /// Encode one frame (pts in the encoder time base). The frame's own picture type (a
    /// decoder marks its keyframes `I`) is ignored, as the ffmpeg CLI does: libx264 would
    /// otherwise force a keyframe wherever the source had one, breaking the configured GOP.
    pub fn send(&mut self, frame: &VideoFrame) -> Result<()> {
        if frame.inner.kind() == ff::picture::Type::None {
            return self.enc.send_frame(&frame.inner).op("encode video");
        }
        let mut plain = frame.share()?;
        plain.inner.set_kind(ff::picture::Type::None);
        self.enc.send_frame(&plain.inner).op("encode video")
    }

    /// Signal the end; then drain with [`VideoEncoder::receive`].
    pub fn send_eof(&mut self) -> Result<()> {
        self.enc.send_eof().op("flush video encoder")
    }

    /// The next encoded packet, or `None` when more input is needed (or all is drained).
    pub fn receive(&mut self) -> Result<Option<Packet>> {
        receive_packet(&mut self.enc, self.time_base, "encode video")
    }
}
