//! A sound's format as its file has it, and what converting it to a soundtrack's rate and
//! channels does to it, in the words `concat`, `swap` and `duck` tell the user.

use crate::pcm::Pcm;
use cutroom_ffi::CodecParams;
use serde::Serialize;

/// A sound as its file has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SoundFormat {
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// Channel count.
    pub channels: u16,
    /// Channel layout (`stereo`, `5.1(side)`); `None` when the file gives a count only.
    pub channel_layout: Option<String>,
}

impl SoundFormat {
    /// The format of the audio stream whose parameters are `params`.
    pub fn of(params: &CodecParams) -> Self {
        Self {
            sample_rate: params.sample_rate(),
            channels: u16::try_from(params.channels()).unwrap_or(u16::MAX),
            channel_layout: params.channel_layout(),
        }
    }

    /// The format of `pcm` as decoded from its file, its layout named when the file names its
    /// channels' positions.
    pub fn of_pcm(pcm: &Pcm) -> Self {
        Self {
            sample_rate: pcm.rate,
            channels: pcm.channels,
            channel_layout: pcm.layout.name(pcm.channels),
        }
    }

    /// What converting this sound to `rate` Hz and `channels` channels (as a join, a swap or a
    /// duck does) does to it besides encoding it, in words (`its sound, 5.1(side) (6 ch) at 44100 Hz, is folded down to stereo (...)
    /// and resampled to 48000 Hz`); `None` when it keeps its rate and channels.
    pub fn changes(&self, rate: u32, channels: u16) -> Option<String> {
        let layout = match &self.channel_layout {
            Some(l) => format!("{l} ({} ch)", self.channels),
            None => format!("{} ch", self.channels),
        };
        let mut done = Vec::new();
        match (self.channels, channels) {
            (from, to) if from == to => {}
            (1, 2) => done.push("put on both channels at -3 dB each".to_string()),
            (_, 1) => done.push("mixed to one channel".to_string()),
            (_, 2) => done.push(
                "folded down to stereo (FFmpeg's matrix: centre and surrounds into left and \
                 right at -3 dB, LFE dropped)"
                    .to_string(),
            ),
            (_, to) => done.push(format!("laid out as {to} channels")),
        }
        if self.sample_rate != rate {
            done.push(format!("resampled to {rate} Hz"));
        }
        (!done.is_empty()).then(|| {
            format!(
                "its sound, {layout} at {} Hz, is {}",
                self.sample_rate,
                done.join(" and ")
            )
        })
    }
}
