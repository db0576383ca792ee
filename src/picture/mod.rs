//! What a decoded picture needs before a stage reframes or joins it, shared by concat and
//! export: the turn that shows it upright, square pixels, BT.709 SDR colour, and plain colours.

pub mod colour;
pub mod css;
pub mod rgb;
pub mod size;
pub mod small;
pub mod square;
pub mod still;
pub mod turn;

/// `v` rounded to the nearest even whole number, at least 2 (4:2:0 chroma needs even sizes).
pub(crate) fn even_round(v: f64) -> u32 {
    ((v / 2.0).round() as u32 * 2).max(2)
}
