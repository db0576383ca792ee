//! The edit spec (`[[shot]]` lists with trims and transitions) and its time values.

pub mod spec;
pub mod time;

pub use spec::{EditSpec, Shot, Transition};
pub use time::{TimeSpec, NANOS};
