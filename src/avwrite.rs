//! Writing a finished MP4: a video track (copied packets or freshly encoded ones) and an AAC
//! track encoded once from PCM, interleaved, `moov` first, without edit lists.
//!
//! Without an edit list a player presents the encoder's priming samples, so the audio is
//! advanced by the encoder delay: the first `delay` samples of the PCM are not fed to the
//! encoder, and the packets are stamped from 0. Sample `n` of the PCM then plays at `n / rate`
//! in every player, edit-list aware or not.

use crate::error::Result;
use crate::output::{AtomicOutput, Seal};
use crate::pcm::Pcm;
use cutroom_ffi::{
    rescale, AudioDecoder, AudioEncoder, AudioSamples, CodecParams, Decoder as _, DisplayMatrix,
    MuxOptions, Muxer, Packet, Rational, StreamInfo,
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
        Self::create_with(target, params, Copied::default(), video_tb, audio)
    }

    /// As [`AvWriter::create_encoded`], for packets copied from the video stream `copied`: its
    /// parameters and its display matrix (rotation) are kept. With `pre_roll`, packets before
    /// time 0 are hidden pre-roll (needed to decode what follows, not to be shown): the file
    /// then gets the edit list that hides them.
    pub fn create_copy(
        target: &Path,
        copied: &StreamInfo,
        pre_roll: bool,
        video_tb: Rational,
        audio: Option<EncodedAudio>,
    ) -> Result<Self> {
        let copy = Copied {
            matrix: copied.display_matrix.as_ref(),
            pre_roll,
        };
        Self::create_with(target, &copied.params, copy, video_tb, audio)
    }

    fn create_with(
        target: &Path,
        params: &CodecParams,
        copied: Copied<'_>,
        video_tb: Rational,
        audio: Option<EncodedAudio>,
    ) -> Result<Self> {
        let out = AtomicOutput::new(target)?;
        let named = |e| on_target(&out, e);
        let mut mux = out
            .create_with(|p| Muxer::create(p, "mp4"))
            .map_err(named)?;
        let video = mux.add_stream(params, video_tb).map_err(named)?;
        if let Some(m) = copied.matrix {
            mux.set_display_matrix(video, m).map_err(named)?;
        }
        let (audio_index, queued_audio) = match audio {
            Some(enc) => (
                Some(mux.add_stream(&enc.params, enc.time_base).map_err(named)?),
                enc.packets,
            ),
            None => (None, VecDeque::new()),
        };
        mux.write_header(MuxOptions {
            edit_list: copied.pre_roll,
            ..MuxOptions::default()
        })
        .map_err(named)?;
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
        let written = self.mux.write(pkt, self.video);
        written.map_err(|e| on_target(&self.out, e))
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
            let written = self.mux.write(pkt, index);
            written.map_err(|e| on_target(&self.out, e))?;
        }
        Ok(())
    }

    /// Write the remaining audio, the trailer (the faststart pass), apply `seal` (see
    /// [`AtomicOutput::sealed`]) and move the file into place.
    pub fn finish(self, seal: Option<Seal>) -> Result<PathBuf> {
        self.close()?.sealed(seal).commit()
    }

    /// As [`AvWriter::finish`], leaving the complete file at its temp path, for a
    /// [`crate::output::Batch`] to move into place with the command's other outputs.
    pub fn close(mut self) -> Result<AtomicOutput> {
        self.flush_audio_until(None)?;
        let done = self.mux.finish();
        done.map_err(|e| on_target(&self.out, e))?;
        Ok(self.out)
    }
}

/// A muxing error named after the output the user asked for, not its hidden temp file; a
/// write the OS refused said in its words ([`crate::Error::cannot_write`]).
fn on_target(out: &AtomicOutput, e: cutroom_ffi::Error) -> crate::Error {
    if let cutroom_ffi::Error::Write { errno, reason, .. } = &e {
        return match errno {
            Some(n) => {
                crate::Error::cannot_write(out.target(), &std::io::Error::from_raw_os_error(*n))
            }
            None => crate::Error::bad_input(out.target(), format!("cannot write: {reason}")),
        };
    }
    let msg = e.to_string();
    let temp = format!("{}: ", out.path().display());
    crate::Error::bad_input(out.target(), msg.strip_prefix(&temp).unwrap_or(&msg))
}

/// What a video track copied from another file keeps.
#[derive(Default, Clone, Copy)]
struct Copied<'a> {
    matrix: Option<&'a DisplayMatrix>,
    pre_roll: bool,
}

/// A soundtrack encoded once to AAC, packets stamped from 0 and advanced by the encoder delay
/// (module docs), ready for [`AvWriter::create_encoded`]; clone it to mux the same track into
/// several files.
#[derive(Clone)]
pub struct EncodedAudio {
    packets: VecDeque<Packet>,
    params: CodecParams,
    time_base: Rational,
    rate: u32,
    channels: u16,
}

impl std::fmt::Debug for EncodedAudio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodedAudio")
            .field("packets", &self.packets.len())
            .field("rate", &self.rate)
            .field("channels", &self.channels)
            .finish()
    }
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

    /// Encode: in one piece, or for long audio in two halves on two threads (see
    /// [`PARALLEL_MIN_SECS`]), handing out the packets in order as they are settled.
    fn encode_with(pcm: &Pcm, mut each: impl FnMut(Encoded<'_>)) -> Result<Self> {
        let ch = usize::from(pcm.channels);
        let bit_rate = AAC_BIT_RATE * ch / 2;
        let first = AudioEncoder::new(pcm.rate, pcm.channels, bit_rate)?;
        let (params, time_base) = (first.params(), first.time_base());
        each(Encoded::Start(&params, time_base));
        let delay = first.delay();
        let step = first.frame_size();
        let skip = (delay.max(0) as usize).min(pcm.frames());
        // The encoder's input: the PCM advanced by the delay (module docs).
        let x = &pcm.data[skip * ch..];
        let frames = x.len() / ch / step;
        let packets = if (pcm.frames() as f64) < PARALLEL_MIN_SECS * f64::from(pcm.rate) {
            run_encoder(first, x, ch, delay, |p| {
                each(Encoded::Packet(p));
                true
            })?
        } else {
            let seam = quiet_seam(x, ch, step, frames, pcm.rate);
            let seam_ts = (seam * step) as i64;
            let b_start = (seam - SEAM_PREROLL) * step;
            let (head, tail) = std::thread::scope(|s| -> Result<_> {
                let tail = s.spawn(|| -> Result<Vec<Packet>> {
                    let enc = AudioEncoder::new(pcm.rate, pcm.channels, bit_rate)?;
                    let mut out = run_encoder(enc, &x[b_start * ch..], ch, delay, |_| true)?;
                    out.iter_mut().for_each(|p| p.offset(b_start as i64));
                    out.retain(|p| p.pts().unwrap_or(0) >= seam_ts);
                    Ok(out)
                });
                let a_end = ((seam + SEAM_LOOKAHEAD) * step * ch).min(x.len());
                let mut head = run_encoder(first, &x[..a_end], ch, delay, |p| {
                    let keep = p.pts().unwrap_or(0) < seam_ts;
                    if keep {
                        each(Encoded::Packet(p));
                    }
                    keep
                })?;
                head.retain(|p| p.pts().unwrap_or(0) < seam_ts);
                Ok((head, tail.join().expect("encoder thread")?))
            })?;
            if seam_is_clean(&params, time_base, pcm, &head, &tail, step)? {
                tail.iter().for_each(|p| each(Encoded::Packet(p)));
                head.into_iter().chain(tail).collect()
            } else {
                // The halves disagree at the seam: encode in one piece; its first packets are
                // the ones already handed out (the encoder is deterministic).
                let enc = AudioEncoder::new(pcm.rate, pcm.channels, bit_rate)?;
                run_encoder(enc, x, ch, delay, |p| {
                    if p.pts().unwrap_or(0) >= seam_ts {
                        each(Encoded::Packet(p));
                    }
                    true
                })?
            }
        };
        Ok(Self {
            packets: packets.into(),
            params,
            time_base,
            rate: pcm.rate,
            channels: pcm.channels,
        })
    }

    /// The encoded bytes (what the track adds to a file, besides its index).
    pub fn bytes(&self) -> u64 {
        self.packets.iter().map(|p| p.data().len() as u64).sum()
    }

    /// The number of packets (AAC frames).
    pub fn packets(&self) -> u64 {
        self.packets.len() as u64
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

/// An AAC encode fed in pieces, in order, so sound made as it goes is never held whole: the
/// stream [`EncodedAudio::encode`] makes of the pieces joined, encoded on one thread.
pub struct AacStream {
    enc: AudioEncoder,
    delay: i64,
    /// Sample frames still to drop: the encoder delay (module docs).
    skip: usize,
    packets: VecDeque<Packet>,
    rate: u32,
    channels: u16,
}

impl AacStream {
    /// An encode of `rate` Hz, `channels`-channel sound.
    pub fn new(rate: u32, channels: u16) -> Result<Self> {
        let enc = AudioEncoder::new(rate, channels, AAC_BIT_RATE * usize::from(channels) / 2)?;
        let delay = enc.delay();
        Ok(Self {
            enc,
            delay,
            skip: delay.max(0) as usize,
            packets: VecDeque::new(),
            rate,
            channels,
        })
    }

    /// Encode the next `interleaved` samples.
    pub fn push(&mut self, interleaved: &[f32]) -> Result<()> {
        let ch = usize::from(self.channels);
        let dropped = self.skip.min(interleaved.len() / ch);
        self.skip -= dropped;
        // In pieces, so the encoder never queues a copy of a long run.
        for piece in interleaved[dropped * ch..].chunks(self.enc.frame_size() * ch * 16) {
            self.enc.send(piece)?;
            self.drain()?;
        }
        Ok(())
    }

    fn drain(&mut self) -> Result<()> {
        while let Some(mut p) = self.enc.receive()? {
            p.offset(self.delay);
            self.packets.push_back(p);
        }
        Ok(())
    }

    /// Flush the encoder: the encoded sound.
    pub fn finish(mut self) -> Result<EncodedAudio> {
        self.enc.send_eof()?;
        self.drain()?;
        Ok(EncodedAudio {
            params: self.enc.params(),
            time_base: self.enc.time_base(),
            packets: self.packets,
            rate: self.rate,
            channels: self.channels,
        })
    }
}

/// Audio at least this long is encoded in two halves on two threads. The second encoder starts
/// `SEAM_PREROLL` frames before the seam (its own packets before the seam are dropped), the
/// first runs `SEAM_LOOKAHEAD` frames past it (so its window decisions see what follows), and
/// the seam sits at the quietest frame near the middle. AAC-LC frames depend on each other only
/// through the overlap of neighbouring transform windows, so the halves join cleanly when both
/// encoders chose matching windows there; that is checked by decoding the frames around the
/// seam, and the audio is encoded in one piece when it is not.
pub const PARALLEL_MIN_SECS: f64 = 20.0;
/// Frames the second encoder runs before the seam.
const SEAM_PREROLL: usize = 16;
/// Frames the first encoder runs past the seam.
const SEAM_LOOKAHEAD: usize = 4;

/// Feed `x` (interleaved, `ch` channels) to `enc` and collect its packets, advanced by
/// `delay`; `keep(p)` sees each packet as it comes and says whether to keep it.
fn run_encoder(
    mut enc: AudioEncoder,
    x: &[f32],
    ch: usize,
    delay: i64,
    mut keep: impl FnMut(&Packet) -> bool,
) -> Result<Vec<Packet>> {
    let mut packets = Vec::new();
    let mut drain = |enc: &mut AudioEncoder| -> Result<()> {
        while let Some(mut p) = enc.receive()? {
            p.offset(delay);
            if keep(&p) {
                packets.push(p);
            }
        }
        Ok(())
    };
    for chunk in x.chunks(enc.frame_size() * ch * 16) {
        enc.send(chunk)?;
        drain(&mut enc)?;
    }
    enc.send_eof()?;
    drain(&mut enc)?;
    Ok(packets)
}

/// The frame index, within two seconds (at `rate`) of the middle of `frames` frames of `step`
/// samples, whose neighbourhood (two frames each side) has the smallest peak.
fn quiet_seam(x: &[f32], ch: usize, step: usize, frames: usize, rate: u32) -> usize {
    let peak = |f: usize| {
        x[f * step * ch..(f + 1) * step * ch]
            .iter()
            .fold(0f32, |m, v| m.max(v.abs()))
    };
    let peaks: Vec<f32> = (0..frames).map(peak).collect();
    let mid = frames / 2;
    let reach = (2 * rate as usize / step).min(mid - SEAM_PREROLL - 2);
    (mid - reach..=mid + reach)
        .min_by(|&a, &b| {
            let around = |f: usize| peaks[f - 2..f + 2].iter().fold(0f32, |m, &v| m.max(v));
            around(a).total_cmp(&around(b))
        })
        .unwrap_or(mid)
}

/// Decode the packets around the seam (frames of `step` samples) and compare with the input:
/// the frame that overlaps both halves must be no further from it than its neighbours are.
fn seam_is_clean(
    params: &CodecParams,
    time_base: Rational,
    pcm: &Pcm,
    head: &[Packet],
    tail: &[Packet],
    step: usize,
) -> Result<bool> {
    const AROUND: usize = 4;
    let around = head[head.len().saturating_sub(AROUND)..]
        .iter()
        .chain(&tail[..AROUND.min(tail.len())]);
    let first_ts = head[head.len().saturating_sub(AROUND)].pts().unwrap_or(0) as usize;
    let mut out = Vec::new();
    decode_packets(params, time_base, pcm.rate, pcm.channels, around, |run| {
        out.extend_from_slice(run);
        Ok(())
    })?;
    let ch = usize::from(pcm.channels);
    // RMS error of decoded frame k (0 = the first decoded, a warm-up) against the input.
    let error = |k: usize| -> f64 {
        let (a, b) = (k * step * ch, (k + 1) * step * ch);
        let start = first_ts * ch;
        let n = (b - a) as f64;
        (out[a..b.min(out.len())]
            .iter()
            .zip(&pcm.data[start + a..(start + b).min(pcm.data.len())])
            .map(|(d, o)| f64::from(d - o).powi(2))
            .sum::<f64>()
            / n)
            .sqrt()
    };
    let seam = error(AROUND);
    let neighbours = [AROUND - 2, AROUND - 1, AROUND + 1, AROUND + 2]
        .iter()
        .map(|&k| error(k))
        .fold(0f64, f64::max);
    Ok(seam <= 2.0 * neighbours + 1e-4)
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
    let mut each = |run: AudioSamples| listen(&run.data).map(|()| true);
    for p in packets {
        dec.push(p.borrow(), &mut each)?;
    }
    dec.finish(each)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_while_encoding_hears_what_decode_hears() {
        let data = (0..48000 * 2)
            .map(|i| 0.5 * (i as f32 * 0.02).sin())
            .collect();
        let pcm = Pcm::stereo(48000, data);
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

    /// 25 s of a chord with a sharp click every 0.37 s (the encoder switches to short windows
    /// on each): long enough to be encoded in two halves.
    fn long_music() -> Pcm {
        let rate = 48000;
        let data = (0..25 * rate)
            .flat_map(|i| {
                let t = i as f32 / rate as f32;
                let chord = [220.0, 277.18, 329.63]
                    .iter()
                    .map(|f| 0.15 * (2.0 * std::f32::consts::PI * f * t).sin())
                    .sum::<f32>();
                let click = if i % 17760 < 48 { 0.6 } else { 0.0 };
                [chord + click, chord - click]
            })
            .collect();
        Pcm::stereo(rate, data)
    }

    /// RMS error per 1024-sample frame between `decoded` and `pcm` (frame 0 is the priming).
    fn frame_errors(decoded: &Pcm, pcm: &Pcm) -> Vec<f64> {
        decoded
            .data
            .chunks(2048)
            .zip(pcm.data.chunks(2048))
            .map(|(d, o)| {
                (d.iter()
                    .zip(o)
                    .map(|(a, b)| f64::from(a - b).powi(2))
                    .sum::<f64>()
                    / d.len() as f64)
                    .sqrt()
            })
            .collect()
    }

    #[test]
    fn long_audio_encoded_in_halves_sounds_like_the_input_everywhere() {
        let pcm = long_music();
        let decoded = EncodedAudio::encode(&pcm).unwrap().decode().unwrap();
        // Whole frames decode: the last one carries padding past the end.
        assert!(decoded.frames() >= pcm.frames() && decoded.frames() < pcm.frames() + 1024);
        // The same audio encoded in one piece, for reference.
        let enc = AudioEncoder::new(48000, 2, AAC_BIT_RATE).unwrap();
        let (params, tb, delay) = (enc.params(), enc.time_base(), enc.delay());
        let x = &pcm.data[delay as usize * 2..];
        let one = EncodedAudio {
            packets: run_encoder(enc, x, 2, delay, |_| true).unwrap().into(),
            params,
            time_base: tb,
            rate: 48000,
            channels: 2,
        }
        .decode()
        .unwrap();
        let (halves, whole) = (frame_errors(&decoded, &pcm), frame_errors(&one, &pcm));
        let worst = |e: &[f64]| e[1..].iter().copied().fold(0f64, f64::max);
        assert!(
            worst(&halves) <= 1.1 * worst(&whole),
            "{} vs {}",
            worst(&halves),
            worst(&whole)
        );
        // The second half is coded as well as by one encoder (the second encoder spends its
        // bits a little differently frame by frame, not worse on the whole)...
        let seam = quiet_seam(x, 2, 1024, x.len() / 2 / 1024, 48000);
        let mean = |e: &[f64]| e.iter().sum::<f64>() / e.len() as f64;
        let (h, w) = (mean(&halves[seam..]), mean(&whole[seam..]));
        assert!(h <= 1.25 * w, "second half: {h} vs {w}");
        // ... and the frame that overlaps both halves is no worse than its neighbours.
        let around = [seam - 2, seam - 1, seam + 1, seam + 2].map(|k| halves[k]);
        let near = around.iter().copied().fold(0f64, f64::max);
        assert!(
            halves[seam] <= 2.0 * near + 1e-4,
            "seam {} vs {near}",
            halves[seam]
        );
    }

    #[test]
    fn a_seam_between_different_encodings_is_caught() {
        let pcm = long_music();
        let ch = 2;
        let mk = || AudioEncoder::new(48000, 2, AAC_BIT_RATE).unwrap();
        let first = mk();
        let (params, tb, delay, step) = (
            first.params(),
            first.time_base(),
            first.delay(),
            first.frame_size(),
        );
        let x = &pcm.data[delay as usize * ch..];
        let whole = run_encoder(first, x, ch, delay, |_| true).unwrap();
        let seam = 500;
        let (head, tail) = whole.split_at(seam);
        assert!(seam_is_clean(&params, tb, &pcm, head, tail, step).unwrap());
        // A tail whose encoder saw a burst just before the seam that the head's did not (so
        // their windows disagree there) does not fit: the error piles up at the seam only.
        let mut altered = x.to_vec();
        let burst = (seam - 1) * step * ch + step;
        altered[burst..burst + 64].iter_mut().for_each(|v| *v = 0.9);
        let other = run_encoder(mk(), &altered, ch, delay, |_| true).unwrap();
        assert!(!seam_is_clean(&params, tb, &pcm, head, &other[seam..], step).unwrap());
    }
}
