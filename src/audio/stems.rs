//! Writing PCM as 32-bit float WAV files (hound) to temp files, moved into place by the caller.

use crate::error::{Error, Result};
use crate::output::AtomicOutput;
use crate::pcm::Pcm;
use std::path::Path;

/// Write `pcm` for `path` as a 32-bit float WAV, in a temp file beside it that the caller
/// commits (alone, or with the command's other outputs).
pub fn write_wav(path: &Path, pcm: &Pcm) -> Result<AtomicOutput> {
    let out = AtomicOutput::new(path)?;
    let spec = hound::WavSpec {
        channels: pcm.channels,
        sample_rate: pcm.rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let fail = |e: hound::Error| match e {
        hound::Error::IoError(e) => Error::cannot_write(path, &e),
        e => Error::bad_input(path, format!("cannot write WAV: {e}")),
    };
    let mut w = out
        .create_with(|p| hound::WavWriter::create(p, spec))
        .map_err(fail)?;
    for &v in &pcm.data {
        w.write_sample(v).map_err(fail)?;
    }
    w.finalize().map_err(fail)?;
    Ok(out)
}
