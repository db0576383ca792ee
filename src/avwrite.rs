//! Writing a finished MP4: a video track (copied packets or freshly encoded ones) and an AAC
//! track encoded once from PCM, interleaved, `moov` first, without edit lists.
//!
//! Without an edit list a player presents the encoder's priming samples, so the audio is
//! advanced by the encoder delay: the first `delay` samples of the PCM are not fed to the
//! encoder, and the packets are stamped from 0. Sample `n` of the PCM then plays at `n / rate`
//! in every player, edit-list aware or not.

use crate::error::Result;
use crate::output::AtomicOutput;
use crate::pcm::Pcm;
use cutroom_ffi::{rescale, AudioEncoder, CodecParams, MuxOptions, Muxer, Packet, Rational};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// AAC bit rate for stereo deliverables.
pub const AAC_BIT_RATE: usize = 192_000;

/// An MP4 being written; dropped without [`AvWriter::finish`], nothing is left at the target.
pub struct AvWriter {
    out: AtomicOutput,
    mux: Muxer,
    video: usize,
    video_tb: Rational,
    audio: Option<usize>,
    queued_audio: VecDeque<Packet>,
}

impl AvWriter {
    /// Start writing `target` with one video stream (`params`, packets in `video_tb`) and, when
    /// `audio` is given, an AAC track encoded from it (its rate and channel count are kept).
    pub fn create(
        target: &Path,
        params: &CodecParams,
        video_tb: Rational,
        audio: Option<&Pcm>,
    ) -> Result<Self> {
        let audio = match audio {
            Some(pcm) => {
                let mut track = AacTrack::new(pcm.rate, pcm.channels)?;
                track.push(&pcm.data)?;
                Some(track.finish()?)
            }
            None => None,
        };
        Self::create_with_aac(target, params, video_tb, audio)
    }

    /// Like [`AvWriter::create`], with the AAC track already encoded by an [`AacTrack`] (so the
    /// sound can be encoded while it is being produced, on another thread if need be).
    pub fn create_with_aac(
        target: &Path,
        params: &CodecParams,
        video_tb: Rational,
        audio: Option<EncodedAudio>,
    ) -> Result<Self> {
        let out = AtomicOutput::new(target)?;
        let mut mux = Muxer::create(out.path(), "mp4")?;
        let video = mux.add_stream(params, video_tb)?;
        let (audio_index, queued_audio) = match audio {
            Some(a) => (Some(mux.add_stream(&a.params, a.time_base)?), a.packets),
            None => (None, VecDeque::new()),
        };
        mux.write_header(MuxOptions::default())?;
        Ok(Self {
            out,
            mux,
            video,
            video_tb,
            audio: audio_index,
            queued_audio,
        })
    }

    /// Write one video packet (timestamps in the `video_tb` given at creation), preceded by the
    /// audio packets that start before it, so the file is interleaved.
    pub fn write_video(&mut self, pkt: Packet) -> Result<()> {
        let at = pkt.dts().or(pkt.pts()).unwrap_or(0);
        self.flush_audio_until(Some((at, self.video_tb)))?;
        Ok(self.mux.write(pkt, self.video)?)
    }

    fn flush_audio_until(&mut self, until: Option<(i64, Rational)>) -> Result<()> {
        let Some(index) = self.audio else {
            return Ok(());
        };
        while let Some(front) = self.queued_audio.front() {
            if let Some((ts, tb)) = until {
                let a = front.pts().unwrap_or(0);
                if rescale(a, front.time_base(), tb) > ts {
                    break;
                }
            }
            let pkt = self.queued_audio.pop_front().expect("front exists");
            self.mux.write(pkt, index)?;
        }
        Ok(())
    }

    /// Write the remaining audio, the trailer (the faststart pass), and move the file into place.
    pub fn finish(mut self) -> Result<PathBuf> {
        self.flush_audio_until(None)?;
        self.mux.finish()?;
        self.out.commit()
    }
}

/// An AAC track encoded incrementally from interleaved PCM pushed in order, stamped from 0 and
/// advanced by the encoder delay (module docs): the first `delay` frames pushed are not
/// encoded.
pub struct AacTrack {
    enc: AudioEncoder,
    delay: i64,
    skip: usize,
    channels: usize,
    packets: VecDeque<Packet>,
}

/// A finished AAC track for [`AvWriter::create_with_aac`].
pub struct EncodedAudio {
    packets: VecDeque<Packet>,
    params: CodecParams,
    time_base: Rational,
}

impl AacTrack {
    /// An encoder at `rate` Hz and `channels` channels ([`AAC_BIT_RATE`] for stereo).
    pub fn new(rate: u32, channels: u16) -> Result<Self> {
        let enc = AudioEncoder::new(rate, channels, AAC_BIT_RATE * usize::from(channels) / 2)?;
        let delay = enc.delay();
        Ok(Self {
            enc,
            delay,
            skip: delay.max(0) as usize,
            channels: usize::from(channels),
            packets: VecDeque::new(),
        })
    }

    /// Encode the next interleaved samples.
    pub fn push(&mut self, interleaved: &[f32]) -> Result<()> {
        let drop = (self.skip * self.channels).min(interleaved.len());
        self.skip -= drop / self.channels;
        self.enc.send(&interleaved[drop..])?;
        self.drain()
    }

    fn drain(&mut self) -> Result<()> {
        while let Some(mut p) = self.enc.receive()? {
            p.offset(self.delay);
            self.packets.push_back(p);
        }
        Ok(())
    }

    /// Flush the encoder; the packets and stream parameters of the whole track.
    pub fn finish(mut self) -> Result<EncodedAudio> {
        self.enc.send_eof()?;
        self.drain()?;
        Ok(EncodedAudio {
            params: self.enc.params(),
            time_base: self.enc.time_base(),
            packets: self.packets,
        })
    }
}
