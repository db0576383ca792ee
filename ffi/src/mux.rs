//! Muxing: write packets of copied or encoded streams into an MP4 (or other) file.

use crate::error::{Context, Error, Result};
use crate::input::{DisplayMatrix, Packet};
use crate::params::CodecParams;
use crate::time::Rational;
use ffmpeg_next as ff;
use std::path::{Path, PathBuf};

/// Container options at header time.
#[derive(Debug, Clone, Copy)]
pub struct MuxOptions {
    /// Put `moov` before `mdat` (a second pass at the end), for progressive playback.
    pub faststart: bool,
    /// Write edit lists (FFmpeg's default); delivery specs ask for none. Without them, audio
    /// must be advanced by the encoder delay by whoever encodes it (see `AudioEncoder::delay`).
    pub edit_list: bool,
}

impl Default for MuxOptions {
    fn default() -> Self {
        Self {
            faststart: true,
            edit_list: false,
        }
    }
}

/// An output file being written.
pub struct Muxer {
    ctx: ff::format::context::Output,
    path: PathBuf,
    stream_tbs: Vec<Rational>,
    header_written: bool,
}

impl Muxer {
    /// Create `path` as a `format` container (`mp4`, `mov`, ...).
    pub fn create(path: &Path, format: &str) -> Result<Self> {
        crate::init();
        let url = crate::input::file_url(path)?;
        let format = std::ffi::CString::new(format).map_err(|_| Error::Open {
            path: path.to_path_buf(),
            reason: format!("{format:?} is not a container name"),
        })?;
        let mut ps = std::ptr::null_mut();
        // SAFETY: `url` and `format` are NUL-terminated strings that outlive the calls; `ps`
        // starts null and is allocated by avformat_alloc_output_context2 only when it returns
        // 0. The context is owned by the `Output` wrapper from then on, which closes its
        // `pb` and frees it on drop, also when avio_open fails (as `ff::format::output_as`).
        let made = unsafe {
            match ff::ffi::avformat_alloc_output_context2(
                &mut ps,
                std::ptr::null_mut(),
                format.as_ptr(),
                url.as_ptr(),
            ) {
                0 => {
                    let ctx = ff::format::context::Output::wrap(ps);
                    match ff::ffi::avio_open(&mut (*ps).pb, url.as_ptr(), ff::ffi::AVIO_FLAG_WRITE)
                    {
                        0 => Ok(ctx),
                        e => Err(ff::Error::from(e)),
                    }
                }
                e => Err(ff::Error::from(e)),
            }
        };
        let ctx = made.map_err(|e| Error::Open {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            ctx,
            path: path.to_path_buf(),
            stream_tbs: Vec::new(),
            header_written: false,
        })
    }

    /// Add a stream with `params`, whose packets will come in `time_base`; returns its index.
    pub fn add_stream(&mut self, params: &CodecParams, time_base: Rational) -> Result<usize> {
        let mut st = self
            .ctx
            .add_stream(ff::encoder::find(ff::codec::Id::None))
            .op("add stream")?;
        st.set_parameters(params.0.clone());
        // Clearing the codec tag lets the muxer pick the right one for its container; but for
        // HEVC it picks `hev1`, which Apple's players refuse: HEVC is written `hvc1` (its
        // parameter sets in the sample entry, as `ffmpeg -tag:v hvc1`), unless it came as `hev1`.
        let (hvc1, hev1) = (u32::from_le_bytes(*b"hvc1"), u32::from_le_bytes(*b"hev1"));
        let tag = match params.0.id() {
            ff::codec::Id::HEVC if params.codec_tag() == hev1 => hev1,
            ff::codec::Id::HEVC => hvc1,
            _ => 0,
        };
        // SAFETY: `st.parameters()` wraps (without owning) the codecpar of a stream of our open
        // output context, which lives as long as the context; `&mut self.ctx` makes this the only
        // access, and writing an integer field is sound.
        unsafe { (*st.parameters().as_mut_ptr()).codec_tag = tag };
        st.set_time_base(ff::Rational::from(time_base));
        self.stream_tbs.push(time_base);
        Ok(st.index())
    }

    /// Give output stream `index` a display matrix (a copied picture keeps its rotation);
    /// before [`Muxer::write_header`].
    pub fn set_display_matrix(&mut self, index: usize, matrix: &DisplayMatrix) -> Result<()> {
        let mut st = self.ctx.stream_mut(index).ok_or_else(|| Error::Ffmpeg {
            op: format!("{}: display matrix", self.path.display()),
            reason: format!("no stream {index}"),
        })?;
        // SAFETY: `st` is a stream of our open output context, borrowed mutably;
        // av_stream_new_side_data allocates `len` bytes owned by the stream (or returns NULL,
        // checked), and exactly `len` bytes are copied into them from a distinct Rust slice.
        let ok = unsafe {
            let data = ff::ffi::av_stream_new_side_data(
                st.as_mut_ptr(),
                ff::ffi::AVPacketSideDataType::AV_PKT_DATA_DISPLAYMATRIX,
                matrix.0.len(),
            );
            if !data.is_null() {
                std::ptr::copy_nonoverlapping(matrix.0.as_ptr(), data, matrix.0.len());
            }
            !data.is_null()
        };
        if ok {
            Ok(())
        } else {
            Err(Error::Ffmpeg {
                op: format!("{}: display matrix", self.path.display()),
                reason: "out of memory".into(),
            })
        }
    }

    /// Write the header; afterwards each stream's time base is the muxer's choice.
    pub fn write_header(&mut self, opts: MuxOptions) -> Result<()> {
        let mut d = ff::Dictionary::new();
        let mut flags = String::new();
        if opts.faststart {
            flags.push_str("+faststart");
        }
        if !opts.edit_list {
            // Without an edit list, B-frame video keeps its first pts at 0 only through
            // negative composition offsets (ctts version 1).
            d.set("use_editlist", "0");
            flags.push_str("+negative_cts_offsets");
        }
        if !flags.is_empty() {
            d.set("movflags", &flags);
        }
        self.ctx
            .write_header_with(d)
            .map_err(|e| write_error(&self.path, e))?;
        for (i, tb) in self.stream_tbs.iter_mut().enumerate() {
            *tb = self
                .ctx
                .stream(i)
                .map(|s| s.time_base().into())
                .unwrap_or(*tb);
        }
        self.header_written = true;
        Ok(())
    }

    /// The time base of output stream `index` (final after `write_header`).
    pub fn time_base(&self, index: usize) -> Rational {
        self.stream_tbs[index]
    }

    /// Write `pkt` to output stream `index`, rescaling from the packet's time base.
    pub fn write(&mut self, mut pkt: Packet, index: usize) -> Result<()> {
        pkt.set_stream(index);
        pkt.rescale(self.stream_tbs[index]);
        pkt.inner.set_position(-1);
        pkt.inner
            .write_interleaved(&mut self.ctx)
            .map_err(|e| write_error(&self.path, e))
    }

    /// Flush interleaving queues and write the trailer (the faststart pass happens here).
    pub fn finish(mut self) -> Result<()> {
        if !self.header_written {
            return Err(Error::Ffmpeg {
                op: format!("{}: finish", self.path.display()),
                reason: "header was never written".into(),
            });
        }
        self.ctx
            .write_trailer()
            .map_err(|e| write_error(&self.path, e))
    }
}

/// A write to `path` that FFmpeg refused, with the OS error number when it is one.
fn write_error(path: &Path, e: ff::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        errno: match e {
            ff::Error::Other { errno } => Some(errno),
            _ => None,
        },
        reason: e.to_string(),
    }
}
