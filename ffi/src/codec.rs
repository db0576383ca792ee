//! The send/receive protocol shared by every decoder and encoder: "try again" and "end of
//! stream" are states, not errors.

use crate::error::{Context, Result};
use crate::input::Packet;
use crate::time::Rational;
use ffmpeg_next as ff;

const EAGAIN: ff::Error = ff::Error::Other {
    errno: ff::error::EAGAIN,
};

/// Feed one packet to a decoder. A full decoder ("try again": the caller drains it) and a
/// damaged packet (skipped, decoding goes on) are not errors.
pub(crate) fn send_packet(dec: &mut ff::decoder::Opened, pkt: &Packet, op: &str) -> Result<()> {
    match dec.send_packet(&pkt.inner) {
        Ok(()) | Err(EAGAIN) | Err(ff::Error::InvalidData) => Ok(()),
        Err(e) => Err(e).op(op),
    }
}

/// Pull one decoded frame into `frame`: `true` when it holds one, `false` when the decoder
/// needs more input or is drained.
pub(crate) fn receive_frame(
    dec: &mut ff::decoder::Opened,
    frame: &mut ff::Frame,
    op: &str,
) -> Result<bool> {
    match dec.receive_frame(frame) {
        Ok(()) => Ok(true),
        Err(EAGAIN) | Err(ff::Error::Eof) => Ok(false),
        Err(e) => Err(e).op(op),
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
