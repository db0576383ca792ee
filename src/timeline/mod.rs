//! The edit spec (`[[shot]]` lists with trims, transitions and cards) and its time values.

pub mod card;
pub mod look;
pub mod spec;
pub mod time;

pub use card::{Card, Footage};
pub use spec::{EditSpec, Shot, Transition, TransitionKind};
pub use time::{TimeSpec, NANOS};
