//! Every integration test in one binary (as ripgrep does), so FFmpeg and the face models are
//! linked once, not once per stage: a module per stage, shared helpers in `common`.

mod common;

mod assemble;
mod audio;
mod avwrite;
mod binaries;
mod concat;
mod docs;
mod emulate;
mod export;
mod fetch;
mod layout;
mod lips;
mod markers;
mod otio;
mod outputs;
mod probe;
mod sync;
mod synth;
