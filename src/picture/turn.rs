//! The turn a player applies to show a picture upright.

/// The turn a player applies to show the picture upright (from the display matrix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// None.
    None,
    /// 90 degrees clockwise.
    Clockwise,
    /// 180 degrees.
    Half,
    /// 90 degrees counter-clockwise.
    CounterClockwise,
}

impl Turn {
    /// The turn for a display rotation in degrees as ffprobe reports it (counter-clockwise
    /// positive, so `-90` means "turn clockwise to show"), rounded to a quarter turn.
    pub fn from_rotation(degrees: f64) -> Self {
        let quarters = ((-degrees / 90.0).round() as i64).rem_euclid(4);
        match quarters {
            1 => Self::Clockwise,
            2 => Self::Half,
            3 => Self::CounterClockwise,
            _ => Self::None,
        }
    }

    /// The size of a `w`x`h` picture after the turn.
    pub fn apply(self, w: u32, h: u32) -> (u32, u32) {
        match self {
            Self::Clockwise | Self::CounterClockwise => (h, w),
            _ => (w, h),
        }
    }

    /// The FFmpeg filter applying the turn (`None` for no turn).
    pub fn filter(self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::Clockwise => Some("transpose=clock"),
            Self::Half => Some("hflip,vflip"),
            Self::CounterClockwise => Some("transpose=cclock"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarter_turns_from_the_display_rotation() {
        assert_eq!(Turn::from_rotation(90.0), Turn::CounterClockwise);
        assert_eq!(Turn::from_rotation(180.0), Turn::Half);
        assert_eq!(Turn::from_rotation(-180.0), Turn::Half);
        assert_eq!(Turn::from_rotation(0.0), Turn::None);
    }
}
