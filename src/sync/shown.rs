//! The picture as it is shown, for the face models, which want faces upright and pixels square:
//! the decoded picture widened by its sample aspect ratio (anamorphic video) and turned by its
//! display rotation (phones store portrait video sideways, with a display matrix that turns it).
//! The face tracker works on the shown picture; its crops are read from the stored one.

use super::face::Rgb;
use cutroom_ffi::Rational;

/// How a stored picture of `stored` pixels is shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shown {
    /// The stored picture's size (pixels).
    stored: (u32, u32),
    /// Its width once widened by the sample aspect ratio, before turning (shown pixels).
    wide: u32,
    /// Quarter turns clockwise from the stored picture to the shown one (0-3).
    turns: u8,
}

impl Shown {
    /// A `width` x `height` picture of pixels `sample_aspect` wide (1/1: square) shown turned
    /// by `rotation` degrees counter-clockwise (FFmpeg's display matrix sign, as `probe`
    /// reports it), to the nearest quarter turn; flips are left as they are (a mirrored face
    /// is still a face).
    pub fn new(width: u32, height: u32, sample_aspect: Rational, rotation: f64) -> Self {
        let (width, height) = (width.max(2), height.max(2));
        let aspect = match sample_aspect.as_f64() {
            a if a.is_finite() && a > 0.0 => a,
            _ => 1.0,
        };
        let turns = ((-rotation / 90.0).round() as i64).rem_euclid(4) as u8;
        Self {
            stored: (width, height),
            wide: ((f64::from(width) * aspect).round() as u32).max(2),
            turns,
        }
    }

    /// Whether the picture is shown as it is stored.
    pub fn as_stored(&self) -> bool {
        self.turns == 0 && self.wide == self.stored.0
    }

    /// The shown picture's size (pixels).
    pub fn size(&self) -> (u32, u32) {
        self.turned((self.wide, self.stored.1))
    }

    /// `(w, h)` with its sides swapped by an odd number of quarter turns: a size of the shown
    /// picture as the stored picture's scaled to it (or back).
    pub fn turned(&self, (w, h): (u32, u32)) -> (u32, u32) {
        match self.turns % 2 {
            0 => (w, h),
            _ => (h, w),
        }
    }

    /// The stored picture's position (pixels, continuous) of the shown position `(x, y)`.
    pub fn to_stored(&self, (x, y): (f32, f32)) -> (f32, f32) {
        let (w, h) = (self.wide as f32, self.stored.1 as f32);
        let (x, y) = match self.turns {
            0 => (x, y),
            1 => (y, h - x),
            2 => (w - x, h - y),
            _ => (w - y, x),
        };
        (x * self.stored.0 as f32 / w, y)
    }

    /// `rgb`, a picture in the stored orientation (scaled to [`Shown::turned`] of a shown
    /// size), turned as shown.
    pub fn turn(&self, rgb: Rgb) -> Rgb {
        if self.turns == 0 {
            return rgb;
        }
        let (w, h) = (rgb.width, rgb.height);
        let (ow, oh) = match self.turns {
            2 => (w, h),
            _ => (h, w),
        };
        let mut data = Vec::with_capacity(rgb.data.len());
        for oy in 0..oh {
            for ox in 0..ow {
                let (x, y) = match self.turns {
                    1 => (oy, h - 1 - ox),
                    2 => (w - 1 - ox, h - 1 - oy),
                    _ => (w - 1 - oy, ox),
                };
                let at = (y * w + x) * 3;
                data.extend_from_slice(&rgb.data[at..at + 3]);
            }
        }
        Rgb {
            width: ow,
            height: oh,
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3 x 2 picture whose pixel (x, y) has red 10 * x + y.
    fn picture() -> Rgb {
        let data = (0..2)
            .flat_map(|y| (0..3).flat_map(move |x| [10 * x + y, 0, 0]))
            .collect();
        Rgb {
            width: 3,
            height: 2,
            data,
        }
    }

    fn reds(rgb: &Rgb) -> Vec<u8> {
        rgb.data.iter().step_by(3).copied().collect()
    }

    /// A phone's portrait clip: stored sideways (its top on the left), the display matrix
    /// turning it 90 degrees clockwise (`rotation` -90, as ffprobe prints it).
    #[test]
    fn a_quarter_turn_clockwise() {
        let shown = Shown::new(3, 2, Rational::new(1, 1), -90.0);
        assert_eq!(shown.size(), (2, 3));
        let turned = shown.turn(picture());
        assert_eq!((turned.width, turned.height), (2, 3));
        // The stored left column, bottom to top, is the shown top row.
        assert_eq!(reds(&turned), [1, 0, 11, 10, 21, 20]);
        // The shown top-left pixel's centre is the stored bottom-left one's.
        assert_eq!(shown.to_stored((0.5, 0.5)), (0.5, 1.5));
        assert_eq!(shown.to_stored((1.5, 2.5)), (2.5, 0.5));
    }

    #[test]
    fn the_other_turns_and_none() {
        let half = Shown::new(3, 2, Rational::new(1, 1), 180.0);
        assert_eq!(reds(&half.turn(picture())), [21, 11, 1, 20, 10, 0]);
        assert_eq!(half.to_stored((0.5, 0.5)), (2.5, 1.5));
        let back = Shown::new(3, 2, Rational::new(1, 1), 90.0);
        assert_eq!(reds(&back.turn(picture())), [20, 21, 10, 11, 0, 1]);
        assert_eq!(back.to_stored((0.5, 0.5)), (2.5, 0.5));
        let none = Shown::new(3, 2, Rational::new(1, 1), 0.0);
        assert!(none.as_stored() && !back.as_stored());
        assert_eq!(none.to_stored((1.5, 0.5)), (1.5, 0.5));
    }

    /// Anamorphic: 1440 x 1080 stored, pixels 4:3 wide, shown 1920 x 1080.
    #[test]
    fn wide_pixels_are_widened() {
        let shown = Shown::new(1440, 1080, Rational::new(4, 3), 0.0);
        assert!(!shown.as_stored());
        assert_eq!(shown.size(), (1920, 1080));
        assert_eq!(shown.to_stored((960.0, 540.0)), (720.0, 540.0));
        // Turned too: shown 1080 x 1920.
        let turned = Shown::new(1440, 1080, Rational::new(4, 3), -90.0);
        assert_eq!(turned.size(), (1080, 1920));
        assert_eq!(turned.to_stored((0.0, 1920.0)), (1440.0, 1080.0));
        // An unknown aspect is square.
        assert!(Shown::new(64, 36, Rational::new(0, 1), 0.0).as_stored());
    }
}
