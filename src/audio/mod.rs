//! The audio stage: loading soundtracks, fitting them to a picture, ducking music under speech
//! and limiting peaks. Loudness measurement and normalisation live in [`crate::loudness`].

pub mod biquad;
pub mod duck;
pub mod fit;
pub mod limiter;
pub mod load;
pub mod picture;
pub mod sidechain;
pub mod soundtrack;
pub mod stems;
pub mod stretch;
pub mod swap;
