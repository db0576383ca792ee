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
use cutroom_ffi::{
    rescale, AudioDecoder, AudioEncoder, CodecParams, MuxOptions, Muxer, Packet, Rational,
};
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
        let encoded = audio.map(EncodedAudio::encode).transpose()?;
        Self::create_encoded(target, params, video_tb, encoded)
    }

    /// As [`AvWriter::create`], with the audio already encoded (e.g. after checking it with
    /// [`EncodedAudio::decode`]).
    pub fn create_encoded(
        target: &Path,
        params: &CodecParams,
        video_tb: Rational,
        audio: Option<EncodedAudio>,
    ) -> Result<Self> {
        let out = AtomicOutput::new(target)?;
        let mut mux = Muxer::create(out.path(), "mp4")?;
        let video = mux.add_stream(params, video_tb)?;
        let (audio_index, queued_audio) = match audio {
            Some(enc) => (
                Some(mux.add_stream(&enc.params, enc.time_base)?),
                enc.packets,
            ),
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

/// A soundtrack encoded once to AAC, packets stamped from 0 and advanced by the encoder delay
/// (module docs), ready for [`AvWriter::create_encoded`].
pub struct EncodedAudio {
    packets: VecDeque<Packet>,
    params: CodecParams,
    time_base: Rational,
    rate: u32,
    channels: u16,
}

/// What the encoder hands out while it works.
enum Encoded<'a> {
    /// The stream's parameters and packet time base, before any packet.
    Start(&'a CodecParams, Rational),
    /// One packet (already advanced by the encoder delay).
    Packet(&'a Packet),
}

impl EncodedAudio {
    /// Encode `pcm` (its rate and channel count are kept).
    pub fn encode(pcm: &Pcm) -> Result<Self> {
        Self::encode_with(pcm, |_| {})
    }

    /// Encode `pcm` while a second thread decodes the packets as they come out and hands the
    /// decoded runs to `listen`, in order: checking what players will hear then costs no time
    /// beyond the encode when a core is free.
    pub fn encode_and_decode(
        pcm: &Pcm,
        listen: impl FnMut(&[f32]) -> Result<()> + Send,
    ) -> Result<Self> {
        enum Msg {
            Start(CodecParams, Rational),
            Packet(Packet),
        }
        let (tx, rx) = std::sync::mpsc::channel::<Msg>();
        let (rate, channels) = (pcm.rate, pcm.channels);
        std::thread::scope(|s| {
            let decoder = s.spawn(move || -> Result<()> {
                let mut rx = rx.into_iter();
                let Some(Msg::Start(params, tb)) = rx.next() else {
                    return Ok(()); // the encoder failed before starting; it reports why
                };
                let packets = rx.filter_map(|m| match m {
                    Msg::Packet(p) => Some(p),
                    Msg::Start(..) => None,
                });
                decode_packets(&params, tb, rate, channels, packets, listen)
            });
            let encoded = Self::encode_with(pcm, |e| {
                // A send fails only when the decoder thread stopped on an error, reported below.
                let _ = tx.send(match e {
                    Encoded::Start(params, tb) => Msg::Start(params.clone(), tb),
                    Encoded::Packet(p) => Msg::Packet(p.clone()),
                });
            });
            drop(tx);
            let decoded = decoder.join().expect("decoder thread");
            let encoded = encoded?;
            decoded?;
            Ok(encoded)
        })
    }

    fn encode_with(pcm: &Pcm, mut each: impl FnMut(Encoded<'_>)) -> Result<Self> {
        let mut enc = AudioEncoder::new(
            pcm.rate,
            pcm.channels,
            AAC_BIT_RATE * usize::from(pcm.channels) / 2,
        )?;
        let params = enc.params();
        each(Encoded::Start(&params, enc.time_base()));
        let delay = enc.delay();
        let skip = (delay.max(0) as usize).min(pcm.frames());
        let mut packets = VecDeque::new();
        let ch = usize::from(pcm.channels);
        let mut drain = |enc: &mut AudioEncoder, packets: &mut VecDeque<Packet>| -> Result<()> {
            while let Some(mut p) = enc.receive()? {
                p.offset(delay);
                each(Encoded::Packet(&p));
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
        Ok(Self {
            packets,
            params: enc.params(),
            time_base: enc.time_base(),
            rate: pcm.rate,
            channels: pcm.channels,
        })
    }

    /// Decode the packets back to PCM, as a player will hear them (the encoder's priming
    /// stands where the first `delay` samples of the input were).
    pub fn decode(&self) -> Result<Pcm> {
        let mut pcm = Pcm::silence(self.rate, self.channels, 0);
        decode_packets(
            &self.params,
            self.time_base,
            self.rate,
            self.channels,
            self.packets.iter(),
            |run| {
                pcm.data.extend_from_slice(run);
                Ok(())
            },
        )?;
        Ok(pcm)
    }
}

/// Decode AAC `packets` of a stream described by `params` to `rate` Hz / `channels`, handing
/// each decoded run to `listen`.
fn decode_packets<P: std::borrow::Borrow<Packet>>(
    params: &CodecParams,
    time_base: Rational,
    rate: u32,
    channels: u16,
    packets: impl Iterator<Item = P>,
    mut listen: impl FnMut(&[f32]) -> Result<()>,
) -> Result<()> {
    let mut dec = AudioDecoder::from_params(params, time_base, rate, channels)?;
    for p in packets {
        dec.send(p.borrow())?;
        while let Some(run) = dec.receive()? {
            listen(&run.data)?;
        }
    }
    dec.send_eof()?;
    while let Some(run) = dec.receive()? {
        listen(&run.data)?;
    }
    listen(&dec.flush_resampler()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_while_encoding_hears_what_decode_hears() {
        let data = (0..48000 * 2)
            .map(|i| 0.5 * (i as f32 * 0.02).sin())
            .collect();
        let pcm = Pcm {
            rate: 48000,
            channels: 2,
            data,
        };
        let mut heard = Vec::new();
        let enc = EncodedAudio::encode_and_decode(&pcm, |run| {
            heard.extend_from_slice(run);
            Ok(())
        })
        .unwrap();
        let decoded = enc.decode().unwrap();
        assert_eq!(heard, decoded.data);
        // The priming stands in for the first `delay` samples; after it the signal is back.
        assert!(
            (decoded.frames() as i64 - 48000).abs() <= 1024,
            "{}",
            decoded.frames()
        );
        let err = decoded.data[48000..96000]
            .iter()
            .zip(&pcm.data[48000..96000])
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(err < 0.05, "{err}");
    }
}
