//! Where interleaved channels play: a channel mask, read as FFmpeg reads one.

use ff::ChannelLayout;
use ffmpeg_next as ff;
use std::ffi::CStr;

/// The speaker positions of interleaved channels, in channel order, as a channel mask: FFmpeg's
/// `AV_CH_*` bits, which for the 18 standard positions are WAVEFORMATEXTENSIBLE's
/// `dwChannelMask` bits and symphonia's `Position` bits (FL 0x1, FR 0x2, FC 0x4, LFE 0x8,
/// BL 0x10, BR 0x20, BC 0x100, SL 0x200, SR 0x400, ...). A mask that does not name one position
/// per channel (none at all: a file that names no positions) stands for FFmpeg's default
/// layout for the count (4 channels: 4.0, FL FR FC BC), as FFmpeg reads such a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Layout(pub u64);

impl Layout {
    /// FFmpeg's default layout for the count (mono, stereo, 3.0, 4.0, 5.0(side), 5.1(side),
    /// 6.1, 7.1, ...).
    pub const DEFAULT: Layout = Layout(0);

    /// The mask of `channels` channels so laid out: this one when it names one position per
    /// channel, else FFmpeg's default for the count (0 past the counts it has one for).
    pub fn mask(self, channels: u16) -> u64 {
        if self.0.count_ones() == u32::from(channels) {
            self.0
        } else {
            ChannelLayout::default(i32::from(channels)).bits()
        }
    }

    /// The position bit of each of `channels` channels so laid out, in channel order (0 for a
    /// channel past FFmpeg's default layouts).
    pub fn positions(self, channels: u16) -> Vec<u64> {
        let mut mask = self.mask(channels);
        (0..channels)
            .map(|_| {
                let bit = mask & mask.wrapping_neg();
                mask &= !bit;
                bit
            })
            .collect()
    }

    /// True when `channels` channels so laid out are in FFmpeg's default layout for the count.
    pub fn is_default(self, channels: u16) -> bool {
        self.mask(channels) == Layout::DEFAULT.mask(channels)
    }

    /// FFmpeg's name of `channels` channels so laid out (`mono`, `stereo`, `quad`,
    /// `5.1(side)`, or its positions: `FL+FR+LFE`); `None` when this mask names no position per
    /// channel (a file that gives only a count).
    pub fn name(self, channels: u16) -> Option<String> {
        if self.0.count_ones() != u32::from(channels) {
            return None;
        }
        // SAFETY: an all-zero layout is FFmpeg's empty one (order UNSPEC, no channels), which
        // `av_channel_layout_from_mask` overwrites; a native-order layout owns no memory.
        let mut layout: ff::ffi::AVChannelLayout = unsafe { std::mem::zeroed() };
        // SAFETY: `layout` is a valid layout to write.
        let r = unsafe { ff::ffi::av_channel_layout_from_mask(&mut layout, self.0) };
        (r >= 0).then(|| describe(&layout)).flatten()
    }

    /// FFmpeg's layout of `channels` channels so laid out.
    pub(crate) fn ff(self, channels: u16) -> ChannelLayout {
        ChannelLayout::from_bits_truncate(self.mask(channels))
    }
}

/// FFmpeg's description of `layout` (`av_channel_layout_describe`).
pub(crate) fn describe(layout: &ff::ffi::AVChannelLayout) -> Option<String> {
    let mut buf = [0u8; 128];
    // SAFETY: `buf` is writable for the length passed (the function writes at most that, NUL
    // included); `layout` is an initialised layout, only read.
    let n =
        unsafe { ff::ffi::av_channel_layout_describe(layout, buf.as_mut_ptr().cast(), buf.len()) };
    if n <= 0 {
        return None;
    }
    CStr::from_bytes_until_nul(&buf)
        .ok()
        .map(|s| s.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mask_names_one_position_per_channel_or_stands_for_the_default() {
        let quad = Layout(0x33);
        assert_eq!(quad.mask(4), 0x33);
        assert_eq!(quad.positions(4), [0x1, 0x2, 0x10, 0x20]);
        assert!(!quad.is_default(4));
        // 4.0 (FL FR FC BC), as FFmpeg guesses a 4-channel file that names no positions.
        assert_eq!(Layout::DEFAULT.mask(4), 0x107);
        assert_eq!(Layout(0x7).mask(4), 0x107);
        assert!(Layout(0x3).is_default(2));
        assert_eq!(Layout(0x60f).name(6).as_deref(), Some("5.1(side)"));
        assert_eq!(Layout(0x4).name(1).as_deref(), Some("mono"));
        assert_eq!(Layout::DEFAULT.name(2), None);
    }
}
