//! The send/receive protocol shared by every decoder and encoder: "try again" and "end of
//! stream" are states, not errors. [`Decoder`] is the send/receive/drain loop, written once.

use crate::error::{Context, Error, Result};
use crate::input::{Input, Packet};
use crate::time::Rational;
use ffmpeg_next as ff;
use std::collections::VecDeque;

const EAGAIN: ff::Error = ff::Error::Other {
    errno: ff::error::EAGAIN,
};

/// Whether a decoder's error is its verdict on the packet's data (skip it, decode on, as the
/// ffmpeg CLI does) rather than a failure of the machine or the call: "invalid data", a code
/// that is no system errno, which a codec's own parser returns (the AAC/AC-3 header parser's
/// `AAC_AC3_PARSE_ERROR_*`, e.g. -0x3030c0a), the bare -1 (EPERM: a decoder makes no system
/// call) that older decoders return for bad data, and "patches welcome", which the AAC decoder
/// says of random bits that name a tool it lacks. How much of this a stream may have is
/// [`damage_refusal`]'s bound. Out of memory, a misused decoder and FFmpeg's other named
/// failures stay errors.
fn damaged(e: &ff::Error) -> bool {
    /// Above every system errno (Linux's end below 150; FFmpeg's tags are far larger).
    const LAST_ERRNO: i32 = 4095;
    match e {
        ff::Error::InvalidData | ff::Error::PatchWelcome => true,
        ff::Error::Other { errno } => *errno == ff::error::EPERM || *errno > LAST_ERRNO,
        _ => false,
    }
}

/// Why a stream of which `damaged` of `packets` packets did not decode is refused: a decoder
/// conceals an odd damaged packet (the sound has a gap, the picture holds its last frame), but
/// past 1 packet in 10 the file is corrupt, not touched by damage. `None` within the bound. The
/// one bound of every decoder, FFmpeg's and symphonia's.
pub fn damage_refusal(damaged: u64, packets: u64) -> Option<String> {
    (damaged.saturating_mul(10) > packets).then(|| {
        format!(
            "{damaged} of {packets} packets do not decode (more than 1 in 10): the data is \
             damaged, or uses a feature this FFmpeg build lacks; if the file was downloaded or \
             copied, fetch it again"
        )
    })
}

/// A decoder of one stream: packets in, frames out, drained at the end.
///
/// The provided methods are the decode loop (feed a packet, take every frame it completes;
/// at the end send EOF and take what is left). `each` returns `Ok(false)` to stop early; the
/// methods then return `Ok(false)` too.
pub trait Decoder {
    /// What one call of [`Decoder::receive`] yields.
    type Frame;

    /// The stream index this decoder reads.
    fn stream(&self) -> usize;

    /// Feed one packet of this decoder's stream. A damaged packet is skipped (and counted in
    /// [`Decoder::damaged_packets`]); decoding goes on. A stream past [`damage_refusal`]'s bound
    /// is an error once it is drained.
    fn send(&mut self, pkt: &Packet) -> Result<()>;

    /// Signal the end of the stream; then drain with [`Decoder::receive`].
    fn send_eof(&mut self) -> Result<()>;

    /// The next decoded frame, or `None` when more input is needed (or all is drained).
    fn receive(&mut self) -> Result<Option<Self::Frame>>;

    /// How many packets the decoder refused as damaged and skipped so far.
    fn damaged_packets(&self) -> u64;

    /// When the first and last of those packets are stamped to show, in seconds of their
    /// timestamps (`None` when there are none, or none of them has a timestamp).
    fn damaged_at(&self) -> Option<(f64, f64)>;

    /// Hand every frame the decoder holds now to `each`.
    fn drain<E: From<Error>>(
        &mut self,
        mut each: impl FnMut(Self::Frame) -> std::result::Result<bool, E>,
    ) -> std::result::Result<bool, E> {
        while let Some(frame) = self.receive()? {
            if !each(frame)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Feed `pkt` and hand every frame it completes to `each`.
    fn push<E: From<Error>>(
        &mut self,
        pkt: &Packet,
        each: impl FnMut(Self::Frame) -> std::result::Result<bool, E>,
    ) -> std::result::Result<bool, E> {
        self.send(pkt)?;
        self.drain(each)
    }

    /// Send the end of the stream and hand every frame still held to `each`.
    fn finish<E: From<Error>>(
        &mut self,
        each: impl FnMut(Self::Frame) -> std::result::Result<bool, E>,
    ) -> std::result::Result<bool, E> {
        self.send_eof()?;
        self.drain(each)
    }

    /// Decode this decoder's stream of `input` from where it is to the end, then drain.
    fn decode_input<E: From<Error>>(
        &mut self,
        input: &mut Input,
        mut each: impl FnMut(Self::Frame) -> std::result::Result<bool, E>,
    ) -> std::result::Result<bool, E> {
        while let Some(pkt) = input.read_packet()? {
            if pkt.stream() == self.stream() && !self.push(&pkt, &mut each)? {
                return Ok(false);
            }
        }
        self.finish(each)
    }
}

/// An opened FFmpeg decoder with the send/receive protocol applied, the operation to name in
/// errors, and the count of damaged packets skipped and where they lie: what
/// [`crate::AudioDecoder`] and [`crate::VideoDecoder`] share.
pub(crate) struct Opened {
    dec: ff::decoder::Opened,
    /// `<file>: decode audio` and the like, for errors.
    op: String,
    /// Packets sent.
    packets: u64,
    damaged: u64,
    /// The packets sent and not answered for yet, oldest first, by decoding time and time
    /// shown (s). A decoder answers for each packet in turn, with a frame (which carries that
    /// packet's decoding time), nothing (a frame held back for reordering) or an error; a
    /// frame-threaded one `lag` packets after it is sent, and for the last `lag` once the end
    /// is sent.
    pending: VecDeque<(Option<i64>, Option<f64>)>,
    lag: usize,
    /// The first and last times of the damaged packets (s).
    damaged_at: Option<(f64, f64)>,
}

impl Opened {
    pub(crate) fn new(dec: ff::decoder::Opened, op: String) -> Self {
        // SAFETY: `dec` owns a valid, opened AVCodecContext; two plain fields are read.
        let lag = unsafe {
            let ctx = dec.as_ptr();
            match (*ctx).active_thread_type & ff::ffi::FF_THREAD_FRAME {
                0 => 0,
                _ => usize::try_from((*ctx).thread_count - 1).unwrap_or(0),
            }
        };
        Self {
            dec,
            op,
            packets: 0,
            damaged: 0,
            pending: VecDeque::new(),
            lag,
            damaged_at: None,
        }
    }

    /// Feed one packet. A full decoder ("try again": the caller drains it) is not an error; a
    /// damaged packet is counted and skipped.
    pub(crate) fn send(&mut self, pkt: &Packet) -> Result<()> {
        self.packets += 1;
        let tb = pkt.time_base().as_f64();
        let shown = pkt.pts().or(pkt.dts()).map(|t| t as f64 * tb);
        self.pending.push_back((pkt.dts(), shown));
        match self.dec.send_packet(&pkt.inner) {
            Ok(()) | Err(EAGAIN) => Ok(()),
            Err(e) if damaged(&e) => {
                // The packet answered for: the one sent `lag` packets ago.
                let at = self.pending.len().checked_sub(1 + self.lag);
                self.count_damaged(at.unwrap_or(0));
                Ok(())
            }
            Err(e) => Err(e).op(&self.op),
        }
    }

    /// Send the end of the stream. A frame-threaded decoder answers here for the first packet
    /// still pending: one it refuses as damaged is counted and skipped, as on sending.
    pub(crate) fn send_eof(&mut self) -> Result<()> {
        match self.dec.send_eof() {
            Ok(()) => Ok(()),
            Err(e) if damaged(&e) => {
                self.count_damaged(0);
                Ok(())
            }
            Err(e) => Err(e).op(&self.op),
        }
    }

    /// One more damaged packet: the one pending at `index`, answered for.
    fn count_damaged(&mut self, index: usize) {
        self.damaged += 1;
        if let Some((_, Some(t))) = self.pending.remove(index) {
            let (first, last) = self.damaged_at.unwrap_or((t, t));
            self.damaged_at = Some((first.min(t), last.max(t)));
        }
    }

    /// `frame` came out: the packets pending up to the one it answers for are answered.
    fn answered(&mut self, frame: &ff::Frame) {
        // SAFETY: `frame` holds a valid AVFrame the decoder just filled; one field is read.
        let dts = unsafe { (*frame.as_ptr()).pkt_dts };
        match self.pending.iter().position(|p| p.0 == Some(dts)) {
            Some(i) => drop(self.pending.drain(..=i)),
            None => drop(self.pending.pop_front()),
        }
    }

    /// Pull one decoded frame into `frame`: `true` when it holds one, `false` when the decoder
    /// needs more input or is drained. A packet found damaged while decoding here (FFmpeg
    /// decodes buffered packets on this call too) is counted and skipped: FFmpeg drops it. Once
    /// drained, a stream past [`damage_refusal`]'s bound is an error.
    pub(crate) fn receive(&mut self, frame: &mut ff::Frame) -> Result<bool> {
        loop {
            return match self.dec.receive_frame(frame) {
                Ok(()) => {
                    self.answered(frame);
                    Ok(true)
                }
                Err(EAGAIN) => Ok(false),
                Err(ff::Error::Eof) => match damage_refusal(self.damaged, self.packets) {
                    Some(reason) => Err(self.error(reason)),
                    None => Ok(false),
                },
                Err(e) if damaged(&e) => {
                    // The next packet pending is answered for (in turn, once the end is sent).
                    self.count_damaged(0);
                    continue;
                }
                Err(e) => Err(e).op(&self.op),
            };
        }
    }

    pub(crate) fn damaged(&self) -> u64 {
        self.damaged
    }

    pub(crate) fn damaged_at(&self) -> Option<(f64, f64)> {
        self.damaged_at
    }

    /// An error of this decoder's operation (`<file>: decode audio: {reason}`).
    pub(crate) fn error(&self, reason: String) -> Error {
        Error::Ffmpeg {
            op: self.op.clone(),
            reason,
        }
    }
}

/// Pull one packet from an encoder (`None` when it needs more input or is drained).
pub(crate) fn receive_packet(
    enc: &mut ff::encoder::Encoder,
    tb: Rational,
    op: &str,
) -> Result<Option<Packet>> {
    let mut pkt = ff::Packet::empty();
    match enc.receive_packet(&mut pkt) {
        Ok(()) => Ok(Some(Packet::from_ff(pkt, tb))),
        Err(EAGAIN) | Err(ff::Error::Eof) => Ok(None),
        Err(e) => Err(e).op(op),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_decoder_says_of_bad_data_is_damage_and_a_failing_machine_is_not() {
        for e in [-1, -0x3030c0a] {
            assert!(damaged(&ff::Error::from(e)), "{e}");
        }
        assert!(damaged(&ff::Error::InvalidData));
        assert!(damaged(&ff::Error::PatchWelcome));
        for errno in [ff::error::ENOMEM, ff::error::EINVAL] {
            assert!(!damaged(&ff::Error::Other { errno }), "{errno}");
        }
        assert!(!damaged(&ff::Error::Bug));
    }

    #[test]
    fn one_damaged_packet_in_ten_is_read_and_more_is_refused() {
        assert_eq!(damage_refusal(0, 0), None);
        assert_eq!(damage_refusal(10, 100), None);
        let why = damage_refusal(11, 100).expect("refused");
        assert!(why.starts_with("11 of 100 packets do not decode"), "{why}");
        assert!(why.ends_with("fetch it again"), "{why}");
    }
}
