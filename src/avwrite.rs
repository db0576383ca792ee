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
        let audio = audio.map(EncodedAudio::encode).transpose()?;
        Self::with_audio(target, params, video_tb, audio)
    }

    /// Like [`AvWriter::create`], with the AAC track already encoded (one encode shared by
    /// several outputs of the same soundtrack).
    pub fn with_audio(
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

/// An AAC track encoded from PCM, packets stamped from 0 and advanced by the encoder delay
/// (module docs); clone it to mux the same track into several files.
#[derive(Clone)]
pub struct EncodedAudio {
    packets: VecDeque<Packet>,
    params: CodecParams,
    time_base: Rational,
}

impl EncodedAudio {
    /// Encode `pcm` (its rate and channel count are kept).
    pub fn encode(pcm: &Pcm) -> Result<Self> {
        let (packets, params, time_base) = encode_aac(pcm)?;
        Ok(Self {
            packets,
            params,
            time_base,
        })
    }
}

/// Encode `pcm` to AAC packets stamped from 0, advanced by the encoder delay (module docs).
fn encode_aac(pcm: &Pcm) -> Result<(VecDeque<Packet>, CodecParams, Rational)> {
    let mut enc = AudioEncoder::new(
        pcm.rate,
        pcm.channels,
        AAC_BIT_RATE * usize::from(pcm.channels) / 2,
    )?;
    let delay = enc.delay();
    let skip = (delay.max(0) as usize).min(pcm.frames());
    let mut packets = VecDeque::new();
    let ch = usize::from(pcm.channels);
    let drain = |enc: &mut AudioEncoder, packets: &mut VecDeque<Packet>| -> Result<()> {
        while let Some(mut p) = enc.receive()? {
            p.offset(delay);
            packets.push_back(p);
        }
        Ok(())
    };
    for chunk in pcm.data[skip * ch..].chunks(enc.frame_size() * ch * 16) {
        enc.send(chunk)?;
        drain(&mut enc, &mut packets)?;
    }
    enc.send_eof()?;
    drain(&mut enc, &mut packets)?;
    Ok((packets, enc.params(), enc.time_base()))
}
