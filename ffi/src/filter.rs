//! A video filter graph with one input and one output (`scale`, `crop`, `pad`, `boxblur`, ...).

use crate::error::{Context, Result};
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
        let mut graph = ff::filter::Graph::new();
        let args = format!(
            "video_size={width}x{height}:pix_fmt={src_pixel}:time_base={}/{}:pixel_aspect=1/1",
            time_base.num, time_base.den
        );
        graph
            .add(
                &ff::filter::find("buffer").expect("buffer filter"),
                "in",
                &args,
            )
            .op("filter source")?;
        let mut sink = graph
            .add(
                &ff::filter::find("buffersink").expect("buffersink filter"),
                "out",
                "",
            )
            .op("filter sink")?;
        sink.set_pixel_format(out.to_ff());
        graph
            .output("in", 0)
            .and_then(|p| p.input("out", 0))
            .and_then(|p| p.parse(spec))
            .op(&format!("filter graph '{spec}'"))?;
        graph.validate().op(&format!("filter graph '{spec}'"))?;
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
