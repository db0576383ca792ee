//! Audio: decoding to interleaved `f32` at a chosen rate and channel count, and AAC encoding.

use crate::codec::{receive_packet, Decoder, Opened};
use crate::error::{Context, Error, Result};
use crate::input::{Input, Packet};
use crate::layout::Layout;
use crate::params::CodecParams;
use crate::time::{rescale, Rational};
use ff::software::resampling;
use ff::util::format::sample::{Sample, Type as SampleType};
use ff::ChannelLayout;
use ffmpeg_next as ff;

/// A run of decoded audio: interleaved `f32` samples.
#[derive(Debug, Clone, Default)]
pub struct AudioSamples {
    /// Presentation timestamp of the first sample, in the stream time base, when known.
    pub pts: Option<i64>,
    /// Interleaved samples (`frames * channels` values).
    pub data: Vec<f32>,
}

/// Decodes one audio stream to interleaved `f32` at a fixed rate and channel count.
///
/// FFmpeg applies the container's edit list / encoder-delay skip on decode, so the first sample
/// out is the first sample meant to be heard. A hole in the stream's timestamps (packets
/// missing mid-stream, or refused as damaged) is filled with silence, as a player leaves it
/// silent, so the sound after it keeps its place (at most [`MAX_GAP_S`] of it: a longer jump is
/// taken as broken timestamps and closed up).
///
/// Decode with the [`Decoder`] loop; after the end of the stream, the last run it yields holds
/// what the resampler still held (`pts` `None`).
pub struct AudioDecoder {
    /// Named `<file>: decode audio` (just `decode audio` without a file) in errors.
    dec: Opened,
    stream: usize,
    rate: u32,
    channels: u16,
    layout: Layout,
    resampler: Option<(resampling::Context, (Sample, u64, u32))>,
    time_base: Rational,
    /// Where the sound decoded so far ends: the timestamp and rate of a frame, and the
    /// samples decoded from its start (see [`AudioDecoder::gap`]).
    decoded: Option<(i64, u32, u64)>,
    /// The end of the stream was sent; the resampler is flushed once the decoder is drained.
    eof: bool,
    /// The file's start, in `time_base` (errors give times from it).
    origin: i64,
    /// The rate of the last frame, and the last change of rate mid-stream.
    rate_in: Option<u32>,
    change: Option<RateChange>,
    /// See [`AudioDecoder::unfollowed_rate_change`].
    unfollowed: Option<String>,
}

/// A change of sample rate mid-stream (an MPEG-TS of two streams spliced): the frame
/// after it, and the samples decoded since.
#[derive(Debug, Clone, Copy)]
struct RateChange {
    from: u32,
    to: u32,
    /// The timestamp of its first frame.
    at: i64,
    samples: u64,
}

/// The longest hole in an audio stream's timestamps that is filled with silence, seconds.
pub const MAX_GAP_S: u32 = 60;

impl AudioDecoder {
    /// A decoder for `stream` of `input`, converting to `rate` Hz and `channels` channels.
    pub fn new(input: &Input, stream: usize, rate: u32, channels: u16) -> Result<Self> {
        let params = input.stream_params(stream).ok_or_else(|| Error::Ffmpeg {
            op: "open audio decoder".into(),
            reason: format!("no stream {stream}"),
        })?;
        let tb = input
            .streams()
            .get(stream)
            .map(|s| s.time_base)
            .unwrap_or(Rational::new(1, 48000));
        // The file's start, as FFmpeg counts it: its streams' earliest.
        let origin = input
            .streams()
            .iter()
            .filter_map(|s| s.start_time.map(|t| rescale(t, s.time_base, tb)))
            .min();
        let mut dec = Self::open(params, tb, stream, rate, channels, Some(input.path()))?;
        dec.origin = origin.unwrap_or(0);
        Ok(dec)
    }

    /// A decoder for packets of a stream described by `params` (timestamps in `time_base`), not
    /// read from a file: e.g. to decode what an [`AudioEncoder`] produced. Converts to `rate` Hz
    /// and `channels` channels; [`AudioDecoder::stream`] reports 0.
    pub fn from_params(
        params: &CodecParams,
        time_base: Rational,
        rate: u32,
        channels: u16,
    ) -> Result<Self> {
        crate::init();
        Self::open(params.0.clone(), time_base, 0, rate, channels, None)
    }

    fn open(
        params: ff::codec::Parameters,
        tb: Rational,
        stream: usize,
        rate: u32,
        channels: u16,
        path: Option<&std::path::Path>,
    ) -> Result<Self> {
        let stored = crate::CodecParams(params.clone());
        let ctx = ff::codec::context::Context::from_parameters(params).op("open audio decoder")?;
        let mut dec = ctx.decoder();
        dec.set_packet_time_base(ff::Rational::from(tb));
        let codec = dec.id().name().to_string();
        let dec = dec.audio().map_err(|_| match path {
            Some(path) => Error::undecodable(path, "audio", &stored),
            None => Error::Codec {
                what: "decoder",
                codec,
            },
        })?;
        let op = match path {
            Some(path) => format!("{}: decode audio", path.display()),
            None => "decode audio".into(),
        };
        Ok(Self {
            dec: Opened::new(dec.0, op),
            stream,
            rate,
            channels,
            layout: Layout::DEFAULT,
            resampler: None,
            time_base: tb,
            decoded: None,
            eof: false,
            origin: 0,
            rate_in: None,
            change: None,
            unfollowed: None,
        })
    }

    /// Lay the channels out as `layout` (by default, FFmpeg's default layout for the count):
    /// with the stream's own layout and channel count, its channels come out as they are.
    pub fn set_layout(&mut self, layout: Layout) {
        self.layout = layout;
    }

    /// The time base of `AudioSamples::pts`.
    pub fn time_base(&self) -> Rational {
        self.time_base
    }

    /// The next decoded frame converted, `None` when the decoder needs more input or is drained.
    fn convert_next(&mut self) -> Result<Option<AudioSamples>> {
        let mut frame = ff::frame::Audio::empty();
        if !self.dec.receive(&mut frame)? {
            return Ok(None);
        }
        let pts = frame.timestamp();
        self.check_rate(pts, frame.rate(), frame.samples() as u64);
        let gap = self.gap(pts, frame.rate(), frame.samples() as u64);
        if frame.channel_layout().is_empty() || frame.channel_layout().bits() == 0 {
            frame.set_channel_layout(ChannelLayout::default(i32::from(frame.channels())));
        }
        let key = (frame.format(), frame.channel_layout().bits(), frame.rate());
        if self
            .resampler
            .as_ref()
            .map(|(_, k)| *k != key)
            .unwrap_or(true)
        {
            let swr = crate::resample::converter(
                frame.format(),
                frame.channel_layout(),
                frame.rate(),
                self.layout.ff(self.channels),
                self.rate,
            )?;
            self.resampler = Some((swr, key));
        }
        // Room for everything this frame (and a hole's silence) can yield, so nothing piles up
        // inside the resampler.
        let input = frame.samples() as u64 + gap;
        let room = input * u64::from(self.rate) / u64::from(frame.rate().max(1)) + 256;
        let mut out = output_frame(self.rate, self.channels, self.layout, room as usize);
        let (swr, _) = self.resampler.as_mut().expect("resampler set above");
        if gap > 0 {
            // The silence goes in on the input side, after what the resampler still holds.
            let gap = i32::try_from(gap).expect("a hole is at most MAX_GAP_S long");
            // SAFETY: the context is a live, initialised SwrContext owned by `swr`.
            let r = unsafe { ff::ffi::swr_inject_silence(swr.as_mut_ptr(), gap) };
            if r < 0 {
                return Err(ff::Error::from(r)).op("fill a hole in the audio with silence");
            }
        }
        swr.run(&frame, &mut out).op("resample audio")?;
        Ok(Some(AudioSamples {
            pts,
            data: packed_f32(&out, self.channels),
        }))
    }

    /// Why where the sound belongs cannot be told, as far as it is decoded: its sample rate
    /// changed mid-stream and its timestamps did not follow (a splice whose timestamps go on
    /// counting frames of the old rate: 48 kHz frames stamped over 44.1 kHz sound make the
    /// sound after it 8.8 % longer than its timestamps say, or, the other way, stuffed with
    /// holes), said with the time of the change, once sound and timestamps part by over 5 ms.
    /// A caller that lays the sound on a timeline refuses it; `None` while none is found.
    pub fn unfollowed_rate_change(&self) -> Option<&str> {
        self.unfollowed.as_deref()
    }

    /// Note a frame's rate and timestamp for [`Self::unfollowed_rate_change`].
    fn check_rate(&mut self, pts: Option<i64>, rate: u32, samples: u64) {
        let tb = self.time_base;
        match (self.rate_in.replace(rate), pts) {
            (Some(from), Some(at)) if from != rate => {
                self.change = Some(RateChange {
                    from,
                    to: rate,
                    at,
                    samples: 0,
                });
            }
            _ => {}
        }
        let Some(change) = self.change.as_mut().filter(|c| c.to == rate) else {
            self.change = None;
            return;
        };
        if let Some(pts) = pts.filter(|_| self.unfollowed.is_none()) {
            let secs = |ticks: i64| ticks as f64 * tb.as_f64();
            let stamped = secs(pts - change.at);
            let lasted = change.samples as f64 / f64::from(rate.max(1));
            if (stamped - lasted).abs() > 0.005 {
                self.unfollowed = Some(format!(
                    "its sample rate changes from {} to {} Hz at {:.3} s of the file, but its \
                     timestamps do not follow (the sound after the change lasts {:.1} ms where \
                     they give it {:.1} ms), so where its sound belongs cannot be told; \
                     re-encode the sound at one rate",
                    change.from,
                    change.to,
                    secs(change.at - self.origin),
                    lasted * 1000.0,
                    stamped * 1000.0
                ));
            }
        }
        change.samples += samples;
    }

    /// Samples of silence (at `rate`) missing before a frame of `samples` samples at `pts`: the
    /// hole between the end of the sound decoded so far and `pts`, when it is over 1 ms and two
    /// ticks of the time base (a rounded timestamp is no hole) and at most [`MAX_GAP_S`]. The
    /// end is counted from one frame's timestamp in samples, so rounded timestamps never add
    /// up; it restarts at a frame after a hole, or at a change of rate.
    fn gap(&mut self, pts: Option<i64>, rate: u32, samples: u64) -> u64 {
        let tb = self.time_base;
        let at_rate = Rational::new(1, rate.max(1) as i32);
        let (gap, decoded) = match (self.decoded, pts) {
            (Some((from, r, n)), Some(pts)) if r == rate => {
                let end = from + rescale(n as i64, at_rate, tb);
                let late = pts - end;
                let ticks_1ms = rescale(1, Rational::new(1, 1000), tb).max(2);
                let gap = rescale(late, tb, at_rate);
                if late > ticks_1ms && gap <= i64::from(MAX_GAP_S) * i64::from(rate) {
                    (gap as u64, Some((pts, rate, samples)))
                } else {
                    (0, Some((from, r, n + samples)))
                }
            }
            (Some((from, r, n)), None) if r == rate => (0, Some((from, r, n + samples))),
            _ => (0, pts.map(|p| (p, rate, samples))),
        };
        self.decoded = decoded;
        gap
    }

    /// The samples still held inside the resampler once the decoder is drained.
    fn flush_resampler(&mut self) -> Result<Vec<f32>> {
        let mut all = Vec::new();
        let (rate, channels, layout) = (self.rate, self.channels, self.layout);
        while let Some((swr, _)) = self.resampler.as_mut() {
            let mut out = output_frame(rate, channels, layout, 4096);
            swr.flush(&mut out).op("flush resampler")?;
            if out.samples() == 0 {
                break;
            }
            all.extend(packed_f32(&out, self.channels));
        }
        Ok(all)
    }
}

impl Decoder for AudioDecoder {
    type Frame = AudioSamples;

    fn stream(&self) -> usize {
        self.stream
    }

    fn send(&mut self, pkt: &Packet) -> Result<()> {
        self.dec.send(pkt)
    }

    fn send_eof(&mut self) -> Result<()> {
        self.eof = true;
        self.dec.send_eof()
    }

    /// The next decoded run, converted; after the end of the stream, the resampler's tail.
    fn receive(&mut self) -> Result<Option<AudioSamples>> {
        if let Some(run) = self.convert_next()? {
            return Ok(Some(run));
        }
        if !self.eof {
            return Ok(None);
        }
        let data = self.flush_resampler()?;
        self.resampler = None;
        Ok((!data.is_empty()).then_some(AudioSamples { pts: None, data }))
    }

    fn damaged_packets(&self) -> u64 {
        self.dec.damaged()
    }

    fn damaged_at(&self) -> Option<(f64, f64)> {
        self.dec.damaged_at()
    }
}

/// An allocated packed-`f32` frame with room for `samples` samples at `rate` and `channels`
/// laid out as `layout`.
pub(crate) fn output_frame(
    rate: u32,
    channels: u16,
    layout: Layout,
    samples: usize,
) -> ff::frame::Audio {
    let mut out = ff::frame::Audio::new(
        Sample::F32(SampleType::Packed),
        samples,
        layout.ff(channels),
    );
    out.set_rate(rate);
    out
}

pub(crate) fn packed_f32(frame: &ff::frame::Audio, channels: u16) -> Vec<f32> {
    let n = frame.samples() * usize::from(channels);
    if n == 0 {
        return Vec::new();
    }
    let bytes = &frame.data(0)[..n * 4];
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// An AAC-LC encoder fed interleaved `f32`; it cuts the input into codec-sized frames itself.
pub struct AudioEncoder {
    enc: ff::encoder::Audio,
    rate: u32,
    channels: u16,
    pending: Vec<f32>,
    next_pts: i64,
    ready: std::collections::VecDeque<Packet>,
}

impl AudioEncoder {
    /// Open FFmpeg's native AAC encoder at `rate` Hz, `channels` channels and `bit_rate` bit/s.
    pub fn new(rate: u32, channels: u16, bit_rate: usize) -> Result<Self> {
        crate::init();
        let codec = ff::encoder::find(ff::codec::Id::AAC).ok_or(Error::Codec {
            what: "encoder",
            codec: "aac".into(),
        })?;
        let ctx = ff::codec::context::Context::new_with_codec(codec);
        let mut enc = ctx.encoder().audio().op("create audio encoder")?;
        enc.set_rate(rate as i32);
        enc.set_channel_layout(ChannelLayout::default(i32::from(channels)));
        enc.set_format(Sample::F32(SampleType::Planar));
        enc.set_bit_rate(bit_rate);
        enc.set_time_base(ff::Rational::new(1, rate as i32));
        enc.set_flags(ff::codec::Flags::GLOBAL_HEADER);
        let enc = enc.open_as(codec).op("open aac encoder")?;
        Ok(Self {
            enc,
            rate,
            channels,
            pending: Vec::new(),
            next_pts: 0,
            ready: std::collections::VecDeque::new(),
        })
    }

    /// Samples per channel in one AAC frame (1024).
    pub fn frame_size(&self) -> usize {
        (self.enc.frame_size() as usize).max(1)
    }

    /// The encoder delay (priming samples) it puts before the first input sample.
    pub fn delay(&self) -> i64 {
        // SAFETY: `self.enc` owns a valid, opened AVCodecContext for as long as it lives, and
        // `&self` rules out a concurrent write: reading one integer field of it is sound.
        i64::from(unsafe { (*self.enc.as_ptr()).initial_padding })
    }

    /// The time base of the packets (`1/rate`).
    pub fn time_base(&self) -> Rational {
        Rational::new(1, self.rate as i32)
    }

    /// Codec parameters for a muxer stream.
    pub fn params(&self) -> CodecParams {
        CodecParams(ff::codec::Parameters::from(&*self.enc))
    }

    /// Queue interleaved samples; full frames are sent to the encoder.
    pub fn send(&mut self, interleaved: &[f32]) -> Result<()> {
        self.pending.extend_from_slice(interleaved);
        let step = self.frame_size() * usize::from(self.channels);
        let mut start = 0;
        while self.pending.len() - start >= step {
            self.encode_frame(start, step)?;
            start += step;
        }
        self.pending.drain(..start);
        Ok(())
    }

    /// Encode what is queued (a short last frame) and signal the end; then drain with
    /// [`AudioEncoder::receive`].
    pub fn send_eof(&mut self) -> Result<()> {
        if !self.pending.is_empty() {
            let len = self.pending.len();
            self.encode_frame(0, len)?;
            self.pending.clear();
        }
        self.enc.send_eof().op("flush audio encoder")?;
        self.collect()
    }

    fn encode_frame(&mut self, start: usize, len: usize) -> Result<()> {
        let ch = usize::from(self.channels);
        let n = len / ch;
        let mut frame = ff::frame::Audio::new(
            Sample::F32(SampleType::Planar),
            n,
            ChannelLayout::default(i32::from(self.channels)),
        );
        frame.set_rate(self.rate);
        for c in 0..ch {
            let plane = frame.plane_mut::<f32>(c);
            for (i, v) in plane.iter_mut().enumerate().take(n) {
                *v = self.pending[start + i * ch + c];
            }
        }
        frame.set_pts(Some(self.next_pts));
        self.next_pts += n as i64;
        self.enc.send_frame(&frame).op("encode audio")?;
        self.collect()
    }

    /// Move every packet the encoder has ready into the queue `receive` serves from, so the
    /// encoder never refuses input for want of being drained.
    fn collect(&mut self) -> Result<()> {
        let tb = self.time_base();
        while let Some(p) = receive_packet(&mut self.enc, tb, "encode audio")? {
            self.ready.push_back(p);
        }
        Ok(())
    }

    /// The next encoded packet (pts in `1/rate`, the first one at `-delay()`), or `None`.
    pub fn receive(&mut self) -> Result<Option<Packet>> {
        Ok(self.ready.pop_front())
    }
}
