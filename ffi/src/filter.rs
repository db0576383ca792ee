//! Filter graphs with one input and one output: video (`scale`, `crop`, `pad`, `boxblur`, ...)
//! and audio (`atempo`, ...).

use crate::error::{Context, Result};
use crate::layout::Layout;
use crate::time::Rational;
use crate::video::{Pixel, VideoFrame};
use ffmpeg_next as ff;

/// A configured filter graph `buffer -> spec -> buffersink`.
pub struct VideoFilter {
    graph: ff::filter::Graph,
}

impl VideoFilter {
    /// Build a graph running `spec` (FFmpeg filter syntax) on frames of `width`x`height` in the
    /// source pixel format named `src_pixel` with timestamps in `time_base`, producing `out`.
    pub fn new(
        spec: &str,
        width: u32,
        height: u32,
        src_pixel: &str,
        time_base: Rational,
        out: Pixel,
    ) -> Result<Self> {
        crate::init();
        let args = format!(
            "video_size={width}x{height}:pix_fmt={src_pixel}:time_base={}/{}:pixel_aspect=1/1",
            time_base.num, time_base.den
        );
        let graph = build(("buffer", &args), "buffersink", spec, |sink| {
            sink.set_pixel_format(out.to_ff())
        })?;
        Ok(Self { graph })
    }

    /// Push one frame in. The graph takes a new reference to the picture (no pixel copy) and
    /// leaves `frame` untouched, so a frame shared between threads can be pushed into several
    /// graphs at once.
    pub fn push(&mut self, frame: &VideoFrame) -> Result<()> {
        let mut src = self.graph.get("in").expect("source exists");
        // SAFETY: `src` is the graph's live buffer source; av_buffersrc_write_frame only reads
        // `frame` (it adds a reference to its buffers, or copies unreferenced data) and never
        // modifies or frees it, unlike av_buffersrc_add_frame which resets the frame it is given.
        let r =
            unsafe { ff::ffi::av_buffersrc_write_frame(src.as_mut_ptr(), frame.inner.as_ptr()) };
        if r < 0 {
            return Err(ff::Error::from(r)).op("filter push");
        }
        Ok(())
    }

    /// Signal the end of input.
    pub fn push_eof(&mut self) -> Result<()> {
        self.graph
            .get("in")
            .expect("source exists")
            .source()
            .flush()
            .op("filter flush")
    }

    /// The next filtered frame, or `None` when the graph needs more input.
    pub fn pull(&mut self) -> Result<Option<VideoFrame>> {
        let mut frame = ff::frame::Video::empty();
        match self
            .graph
            .get("out")
            .expect("sink exists")
            .sink()
            .frame(&mut frame)
        {
            Ok(()) => Ok(Some(VideoFrame { inner: frame })),
            Err(ff::Error::Other {
                errno: ff::error::EAGAIN,
            })
            | Err(ff::Error::Eof) => Ok(None),
            Err(e) => Err(e).op("filter pull"),
        }
    }
}

/// A graph `source (named "in", with `args`) -> spec -> sink (named "out", set up by
/// `configure`)`, validated.
fn build(
    (source, args): (&str, &str),
    sink: &str,
    spec: &str,
    configure: impl FnOnce(&mut ff::filter::Context),
) -> Result<ff::filter::Graph> {
    let mut graph = ff::filter::Graph::new();
    let find = |name: &str| ff::filter::find(name).expect("FFmpeg's buffer filters exist");
    graph
        .add(&find(source), "in", args)
        .op(&format!("filter source {source}"))?;
    let mut out = graph
        .add(&find(sink), "out", "")
        .op(&format!("filter sink {sink}"))?;
    configure(&mut out);
    graph
        .output("in", 0)
        .and_then(|p| p.input("out", 0))
        .and_then(|p| p.parse(spec))
        .op(&format!("filter graph '{spec}'"))?;
    graph.validate().op(&format!("filter graph '{spec}'"))?;
    Ok(graph)
}

/// A configured audio filter graph `abuffer -> spec -> abuffersink` on interleaved `f32` at
/// one rate and channel count (`atempo`, ...).
pub struct AudioFilter {
    graph: ff::filter::Graph,
    rate: u32,
    channels: u16,
    /// Samples pushed so far: the next frame's pts (the time base is 1/rate).
    pushed: i64,
}

impl AudioFilter {
    /// Build a graph running `spec` (FFmpeg filter syntax) on `rate` Hz, `channels`-channel
    /// interleaved `f32`, producing the same format.
    pub fn new(spec: &str, rate: u32, channels: u16) -> Result<Self> {
        crate::init();
        let layout = ff::ChannelLayout::default(i32::from(channels));
        let args = format!(
            "sample_rate={rate}:sample_fmt=flt:channel_layout=0x{:x}:time_base=1/{rate}",
            layout.bits()
        );
        let graph = build(("abuffer", &args), "abuffersink", spec, |sink| {
            sink.set_sample_format(ff::format::Sample::F32(ff::format::sample::Type::Packed));
            sink.set_sample_rate(rate);
            sink.set_channel_layout(layout);
        })?;
        Ok(Self {
            graph,
            rate,
            channels,
            pushed: 0,
        })
    }

    /// Push interleaved samples in.
    pub fn push(&mut self, interleaved: &[f32]) -> Result<()> {
        let ch = usize::from(self.channels);
        let frames = interleaved.len() / ch;
        if frames == 0 {
            return Ok(());
        }
        let mut frame =
            crate::audio::output_frame(self.rate, self.channels, Layout::DEFAULT, frames);
        for (dst, v) in frame
            .data_mut(0)
            .chunks_exact_mut(4)
            .zip(&interleaved[..frames * ch])
        {
            dst.copy_from_slice(&v.to_ne_bytes());
        }
        frame.set_pts(Some(self.pushed));
        self.pushed += frames as i64;
        self.graph
            .get("in")
            .expect("source exists")
            .source()
            .add(&frame)
            .op("audio filter push")
    }

    /// Signal the end of input.
    pub fn push_eof(&mut self) -> Result<()> {
        self.graph
            .get("in")
            .expect("source exists")
            .source()
            .flush()
            .op("audio filter flush")
    }

    /// Every interleaved sample the graph has ready.
    pub fn pull(&mut self) -> Result<Vec<f32>> {
        let mut all = Vec::new();
        loop {
            let mut frame = ff::frame::Audio::empty();
            match self
                .graph
                .get("out")
                .expect("sink exists")
                .sink()
                .frame(&mut frame)
            {
                Ok(()) => all.extend(crate::audio::packed_f32(&frame, self.channels)),
                Err(ff::Error::Other {
                    errno: ff::error::EAGAIN,
                })
                | Err(ff::Error::Eof) => return Ok(all),
                Err(e) => return Err(e).op("audio filter pull"),
            }
        }
    }

    /// Run a whole buffer through `spec`: every sample out, the graph flushed.
    pub fn run(spec: &str, interleaved: &[f32], rate: u32, channels: u16) -> Result<Vec<f32>> {
        let mut f = Self::new(spec, rate, channels)?;
        let mut out = Vec::new();
        // In runs of about a second, so the graph's frames stay small.
        for chunk in interleaved.chunks(rate as usize * usize::from(channels.max(1))) {
            f.push(chunk)?;
            out.extend(f.pull()?);
        }
        f.push_eof()?;
        out.extend(f.pull()?);
        Ok(out)
    }
}
