//! Sample-rate and channel conversion of interleaved `f32` PCM with FFmpeg's swresample, the
//! same converter [`crate::AudioDecoder`] uses, so every path into cutroom converts alike.

use crate::error::{Context, Result};
use crate::layout::Layout;
use ff::software::resampling;
use ff::util::format::sample::{Sample, Type as SampleType};
use ff::ChannelLayout;
use ffmpeg_next as ff;

/// Converts interleaved `f32` from one rate / channel count to another.
///
/// The input's channels play where its [`Layout`] says; the output is in FFmpeg's default
/// layout for its count (1 mono, 2 stereo). The downmix is swresample's standard matrix for
/// those layouts, scaled so a full-scale input cannot clip: mono goes to both stereo channels
/// at -3 dB, 5.1 folds centre and surrounds into left/right at -3 dB and drops the LFE, quad
/// folds each back channel into its own side at -3 dB.
pub struct Resampler {
    swr: resampling::Context,
    in_channels: u16,
    in_layout: Layout,
    in_rate: u32,
    out_channels: u16,
    out_rate: u32,
}

impl Resampler {
    /// A converter from `in_rate` Hz / `in_channels` laid out as `in_layout` to `out_rate` Hz /
    /// `out_channels`.
    pub fn new(
        in_rate: u32,
        in_channels: u16,
        in_layout: Layout,
        out_rate: u32,
        out_channels: u16,
    ) -> Result<Self> {
        crate::init();
        let swr = converter(
            Sample::F32(SampleType::Packed),
            in_layout.ff(in_channels),
            in_rate,
            ChannelLayout::default(i32::from(out_channels)),
            out_rate,
        )?;
        Ok(Self {
            swr,
            in_channels,
            in_layout,
            in_rate,
            out_channels,
            out_rate,
        })
    }

    /// Convert one run of interleaved input; returns what is ready (some samples stay inside the
    /// filter until [`Resampler::flush`]).
    pub fn run(&mut self, interleaved: &[f32]) -> Result<Vec<f32>> {
        let ch = usize::from(self.in_channels);
        let frames = interleaved.len() / ch;
        if frames == 0 {
            return Ok(Vec::new());
        }
        let mut input = ff::frame::Audio::new(
            Sample::F32(SampleType::Packed),
            frames,
            self.in_layout.ff(self.in_channels),
        );
        input.set_rate(self.in_rate);
        let bytes = input.data_mut(0);
        for (dst, v) in bytes.chunks_exact_mut(4).zip(&interleaved[..frames * ch]) {
            dst.copy_from_slice(&v.to_ne_bytes());
        }
        let room = frames as u64 * u64::from(self.out_rate) / u64::from(self.in_rate.max(1)) + 256;
        let mut out = crate::audio::output_frame(
            self.out_rate,
            self.out_channels,
            Layout::DEFAULT,
            room as usize,
        );
        self.swr.run(&input, &mut out).op("resample audio")?;
        Ok(crate::audio::packed_f32(&out, self.out_channels))
    }

    /// The samples still inside the converter's filter, after the last [`Resampler::run`].
    pub fn flush(&mut self) -> Result<Vec<f32>> {
        let mut all = Vec::new();
        loop {
            let mut out =
                crate::audio::output_frame(self.out_rate, self.out_channels, Layout::DEFAULT, 4096);
            self.swr.flush(&mut out).op("flush resampler")?;
            if out.samples() == 0 {
                return Ok(all);
            }
            all.extend(crate::audio::packed_f32(&out, self.out_channels));
        }
    }
}

/// A swresample context from `format`/`layout`/`rate` to interleaved `f32` in `out_layout` at
/// `out_rate`: every conversion of cutroom's is made by one. The channel matrix is
/// swresample's standard one (mono to both stereo channels at -3 dB; 5.1 folds centre and
/// surrounds into left/right at -3 dB and drops the LFE), scaled so a full-scale input cannot
/// clip: swresample scales it so only for integer output unless told (`rematrix_maxval`), and
/// an unscaled 5.1 fold-down is up to 7.7 dB louder than its loudest channel.
pub(crate) fn converter(
    format: Sample,
    layout: ChannelLayout,
    rate: u32,
    out_layout: ChannelLayout,
    out_rate: u32,
) -> Result<resampling::Context> {
    let mut opts = ff::Dictionary::new();
    opts.set("rematrix_maxval", "1.0");
    resampling::Context::get_with(
        format,
        layout,
        rate,
        Sample::F32(SampleType::Packed),
        out_layout,
        out_rate,
        opts,
    )
    .op("create resampler")
}

/// Convert a whole buffer of interleaved `f32` (see [`Resampler`] for the channel mapping).
pub fn resample(
    interleaved: &[f32],
    in_rate: u32,
    in_channels: u16,
    in_layout: Layout,
    out_rate: u32,
    out_channels: u16,
) -> Result<Vec<f32>> {
    let mut r = Resampler::new(in_rate, in_channels, in_layout, out_rate, out_channels)?;
    let mut out = Vec::with_capacity(
        interleaved.len() / usize::from(in_channels.max(1))
            * usize::from(out_channels)
            * out_rate as usize
            / in_rate.max(1) as usize
            + 1024,
    );
    // In runs of about a second, so the converter's frames stay small.
    for chunk in interleaved.chunks(in_rate as usize * usize::from(in_channels)) {
        out.extend(r.run(chunk)?);
    }
    out.extend(r.flush()?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_rate_and_channels_without_shifting_time() {
        // 1 s of a 441 Hz sine at 44.1 kHz mono, silent for the first half.
        let input: Vec<f32> = (0..44100)
            .map(|i| {
                let t = i as f32 / 44100.0;
                if i < 22050 {
                    0.0
                } else {
                    0.5 * (2.0 * std::f32::consts::PI * 441.0 * t).sin()
                }
            })
            .collect();
        let out = resample(&input, 44100, 1, Layout::DEFAULT, 48000, 2).unwrap();
        assert!((out.len() as i64 / 2 - 48000).abs() <= 2, "{}", out.len());
        // Time is kept: the signal starts at 0.5 s = frame 24000.
        let first = out.chunks(2).position(|f| f[0].abs() > 0.01).unwrap();
        assert!((first as i64 - 24000).abs() <= 8, "onset at {first}");
        // Mono goes to both channels at -3 dB.
        let peak = out.chunks(2).map(|f| f[0].abs()).fold(0.0, f32::max);
        assert!(
            (peak - 0.5 * std::f32::consts::FRAC_1_SQRT_2).abs() < 0.01,
            "{peak}"
        );
        assert!(out.chunks(2).all(|f| f[0] == f[1]));
    }
}
