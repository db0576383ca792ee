//! Codec parameters: what a stream carries, enough to copy it into a muxer or compare streams.

use crate::layout::Layout;
use ffmpeg_next as ff;
use std::ffi::CStr;

/// How a picture's stored values map to colours, by FFmpeg's names (as ffprobe prints them:
/// `bt709`, `bt2020`, `smpte2084`, `arib-std-b67`, `bt2020nc`, `tv`, ...); `None` where the
/// stream leaves it unspecified.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Colour {
    /// Colour primaries (`color_primaries`).
    pub primaries: Option<String>,
    /// Transfer characteristic (`color_transfer`).
    pub transfer: Option<String>,
    /// YUV matrix (`color_space`).
    pub matrix: Option<String>,
    /// Value range: `tv` (limited) or `pc` (full).
    pub range: Option<String>,
}

/// The codec parameters of one stream (codec, profile, size, format, extradata, ...).
#[derive(Clone)]
pub struct CodecParams(pub(crate) ff::codec::Parameters);

impl CodecParams {
    fn raw(&self) -> &ff::ffi::AVCodecParameters {
        // SAFETY: a Parameters always wraps a valid AVCodecParameters, either its own or one of a
        // stream whose context it keeps alive (its `owner`); the reference lives no longer than
        // `&self`, and nothing writes through a shared CodecParams.
        unsafe { &*self.0.as_ptr() }
    }

    /// The codec's short name (`h264`, `aac`, ...); for a stream FFmpeg has no codec for (a
    /// QuickTime timecode track), the container's four-character tag (`tmcd`) when it has one.
    pub fn codec_name(&self) -> String {
        let id = self.0.id();
        let tag = self.raw().codec_tag.to_le_bytes();
        if id == ff::codec::Id::None && tag.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
            return String::from_utf8_lossy(&tag).trim_end().to_string();
        }
        id.name().to_string()
    }

    /// The container's four-character code of the codec (`hvc1`, `avc1`, ...), 0 when none.
    pub(crate) fn codec_tag(&self) -> u32 {
        self.raw().codec_tag
    }

    /// The codec profile's name (`High`, `LC`, ...), when the codec has named profiles.
    pub fn profile_name(&self) -> Option<String> {
        let raw = self.raw();
        // SAFETY: avcodec_profile_name takes any codec id and profile value and returns a
        // static string or NULL; it dereferences nothing of ours.
        let p = unsafe { ff::ffi::avcodec_profile_name(raw.codec_id, raw.profile) };
        if p.is_null() {
            None
        } else {
            // SAFETY: `p` is non-null (checked) and points to a static NUL-terminated string.
            Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
        }
    }

    /// True when the MP4 muxer can carry this stream as it is (H.264, HEVC, AAC, ...; not
    /// ProRes, PCM or DNxHD), i.e. its packets may be copied into an MP4.
    pub fn fits_mp4(&self) -> bool {
        crate::init();
        // SAFETY: the name is a static C string; av_guess_format returns a static
        // AVOutputFormat or NULL (checked before use), which avformat_query_codec only reads.
        unsafe {
            let mp4 = ff::ffi::av_guess_format(c"mp4".as_ptr(), std::ptr::null(), std::ptr::null());
            !mp4.is_null()
                && ff::ffi::avformat_query_codec(
                    mp4,
                    self.raw().codec_id,
                    ff::ffi::FF_COMPLIANCE_NORMAL,
                ) == 1
        }
    }

    /// Picture width (0 for non-video).
    pub fn width(&self) -> u32 {
        self.raw().width.max(0) as u32
    }

    /// Picture height (0 for non-video).
    pub fn height(&self) -> u32 {
        self.raw().height.max(0) as u32
    }

    /// Pixel format name for video (`yuv420p`, ...), sample format name for audio.
    pub fn format_name(&self) -> Option<String> {
        let raw = self.raw();
        if raw.format < 0 {
            return None;
        }
        // SAFETY: FFmpeg sets `format` from its AVPixelFormat (video) or AVSampleFormat (audio)
        // enum, NONE (-1) is excluded above, and the bindings are generated from the headers of
        // the FFmpeg we link, so the value is one of the Rust enum's discriminants (the same
        // trust ffmpeg-next places in AVCodecContext's typed fields). The name functions take
        // any value and return a static string or NULL.
        let p = unsafe {
            match raw.codec_type {
                ff::ffi::AVMediaType::AVMEDIA_TYPE_VIDEO => ff::ffi::av_get_pix_fmt_name(
                    std::mem::transmute::<i32, ff::ffi::AVPixelFormat>(raw.format),
                ),
                ff::ffi::AVMediaType::AVMEDIA_TYPE_AUDIO => {
                    ff::ffi::av_get_sample_fmt_name(std::mem::transmute::<
                        i32,
                        ff::ffi::AVSampleFormat,
                    >(raw.format))
                }
                _ => std::ptr::null(),
            }
        };
        if p.is_null() {
            None
        } else {
            // SAFETY: `p` is non-null (checked) and points to a static NUL-terminated string.
            Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
        }
    }

    /// Video: the colour description the stream declares (all `None` for other kinds).
    pub fn colour(&self) -> Colour {
        let raw = self.raw();
        let name = |p: *const std::ffi::c_char, unspecified: bool| {
            // SAFETY: `p` comes from an av_*_name function (a static NUL-terminated string or
            // NULL) and is dereferenced only when non-null.
            (!unspecified && !p.is_null())
                .then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
        };
        use ff::ffi::AVColorTransferCharacteristic as T;
        use ff::ffi::{AVColorPrimaries as P, AVColorRange as R, AVColorSpace as S};
        Colour {
            primaries: name(
                // SAFETY: takes any value of the enum (these are typed fields); returns a static
                // string or NULL.
                unsafe { ff::ffi::av_color_primaries_name(raw.color_primaries) },
                raw.color_primaries == P::AVCOL_PRI_UNSPECIFIED,
            ),
            transfer: name(
                // SAFETY: as for the primaries.
                unsafe { ff::ffi::av_color_transfer_name(raw.color_trc) },
                raw.color_trc == T::AVCOL_TRC_UNSPECIFIED,
            ),
            matrix: name(
                // SAFETY: as for the primaries.
                unsafe { ff::ffi::av_color_space_name(raw.color_space) },
                raw.color_space == S::AVCOL_SPC_UNSPECIFIED,
            ),
            range: name(
                // SAFETY: as for the primaries.
                unsafe { ff::ffi::av_color_range_name(raw.color_range) },
                raw.color_range == R::AVCOL_RANGE_UNSPECIFIED,
            ),
        }
    }

    /// Audio sample rate (0 for non-audio).
    pub fn sample_rate(&self) -> u32 {
        self.raw().sample_rate.max(0) as u32
    }

    /// Audio channel count (0 for non-audio).
    pub fn channels(&self) -> u32 {
        self.raw().ch_layout.nb_channels.max(0) as u32
    }

    /// Where the audio channels play ([`Layout::DEFAULT`] when the file names no positions).
    pub fn layout(&self) -> Layout {
        let layout = &self.raw().ch_layout;
        match layout.order {
            // SAFETY: a layout of native order keeps its mask in the union (FFmpeg's contract).
            ff::ffi::AVChannelOrder::AV_CHANNEL_ORDER_NATIVE => Layout(unsafe { layout.u.mask }),
            _ => Layout::DEFAULT,
        }
    }

    /// Audio channel layout description (`stereo`, `mono`, `5.1`, ...); `None` when the file
    /// declares only a channel count.
    pub fn channel_layout(&self) -> Option<String> {
        let raw = self.raw();
        if raw.ch_layout.nb_channels <= 0 {
            return None;
        }
        if raw.ch_layout.order == ff::ffi::AVChannelOrder::AV_CHANNEL_ORDER_UNSPEC {
            return None; // the file declares a count but no layout (WAV without a mask)
        }
        crate::layout::describe(&raw.ch_layout)
    }

    /// The codec-private extradata (SPS/PPS for H.264, AudioSpecificConfig for AAC).
    pub fn extradata(&self) -> &[u8] {
        let raw = self.raw();
        if raw.extradata.is_null() || raw.extradata_size <= 0 {
            &[]
        } else {
            // SAFETY: non-null `extradata` points to `extradata_size` (> 0, checked) bytes owned
            // by the parameters, which outlive the returned slice (it borrows `self`) and are not
            // written while a CodecParams is shared.
            unsafe { std::slice::from_raw_parts(raw.extradata, raw.extradata_size as usize) }
        }
    }

    /// Encoder priming the codec declares (`initial_padding`), in samples; 0 when unknown.
    pub fn initial_padding(&self) -> i64 {
        i64::from(self.raw().initial_padding)
    }

    /// Declared bit rate in bit/s (0 when unknown).
    pub fn bit_rate(&self) -> i64 {
        self.raw().bit_rate
    }

    /// Audio samples per coded frame (1024 for AAC), 0 when not fixed or not audio.
    pub fn frame_size(&self) -> u32 {
        self.raw().frame_size.max(0) as u32
    }
}

impl std::fmt::Debug for CodecParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodecParams")
            .field("codec", &self.codec_name())
            .field("width", &self.width())
            .field("height", &self.height())
            .field("format", &self.format_name())
            .finish()
    }
}
