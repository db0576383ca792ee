//! Writing PCM as 32-bit float WAV files (hound), atomically.

use crate::error::{Error, Result};
use crate::output::AtomicOutput;
use crate::pcm::Pcm;
use std::path::{Path, PathBuf};

/// Write `pcm` to `path` as a 32-bit float WAV (temp file beside it, renamed when complete).
pub fn write_wav(path: &Path, pcm: &Pcm) -> Result<PathBuf> {
    let out = AtomicOutput::new(path)?;
    let spec = hound::WavSpec {
        channels: pcm.channels,
        sample_rate: pcm.rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let fail = |e: hound::Error| Error::bad_input(path, format!("cannot write WAV: {e}"));
    let mut w = hound::WavWriter::create(out.path(), spec).map_err(fail)?;
    for &v in &pcm.data {
        w.write_sample(v).map_err(fail)?;
    }
    w.finalize().map_err(fail)?;
    out.commit()
}
