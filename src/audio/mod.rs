//! The audio stage: loading soundtracks, fitting them to a picture, ducking music under
//! speech, measuring and normalising loudness and limiting peaks.

pub mod band;
pub mod biquad;
pub mod duck;
pub mod ends;
pub mod fit;
pub mod format;
pub mod limiter;
pub mod load;
pub mod loudness;
pub mod masters;
pub mod onsets;
pub mod picture;
pub mod polarity;
pub mod sidechain;
pub mod soundtrack;
pub mod stems;
pub mod stretch;
pub mod swap;
