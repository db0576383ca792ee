//! Colour and text cards drawn again on each deliverable, at its own shape: the cut's frames
//! hold a card at the cut's shape, which a deliverable of another shape would crop or shrink
//! with its reframing (a card's text cut off or tiny on 9:16). Each deliverable's script
//! covers the card's frames with a rectangle of its colour and its text laid out for that
//! frame as the card itself is laid out ([`super::ass::script`]), fading as the card fades;
//! under its crossfades the cut's frames show the other shot alone, so it crossfades once.

use crate::picture::rgb::Rgb;
use crate::timeline::look::Look;
use std::fmt;

/// How a card meets its neighbour at one end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ramp {
    /// A cut (or the start or end of the cut).
    Cut,
    /// A crossfade over this many ns: the card is drawn over its neighbour's frames, its
    /// opacity rising (or falling) linearly.
    Blend(i64),
    /// A fade from or to black over this many ns.
    Black(i64),
}

/// A colour or text card as it shows on the cut.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownCard {
    /// Where the user gave it, which names it in messages.
    pub what: Given,
    /// Its text (empty for a colour card).
    pub text: String,
    /// How the text looks.
    pub look: Look,
    /// The colour behind it.
    pub background: Rgb,
    /// Its first time on the cut, ns.
    pub start: i64,
    /// Its end on the cut (exclusive, after any crossfade into the next shot), ns.
    pub end: i64,
    /// How it comes in.
    pub head: Ramp,
    /// How it goes out.
    pub tail: Ramp,
}

/// Where the user gave a card: what names it in messages (`shot 3`, `--end-card`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Given {
    /// Shot N (from 1) of the cut spec the overlays are read from.
    Shot(usize),
    /// A command-line option (`--end-card`).
    Option(&'static str),
}

impl fmt::Display for Given {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Shot(n) => write!(f, "shot {n}"),
            Self::Option(o) => f.write_str(o),
        }
    }
}
