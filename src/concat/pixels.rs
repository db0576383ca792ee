//! Pixel math on `yuv420p` frames for transitions: fades to black and crossfades. Weights are
//! fixed point, 0..=256.

use cutroom_ffi::{Pixel, VideoFrame};

/// Full weight.
pub const ONE: u32 = 256;

/// Black in limited-range YUV, per plane.
const BLACK: [u8; 3] = [16, 128, 128];

/// Width and height of plane `p` of a `yuv420p` frame.
fn plane_size(f: &VideoFrame, p: usize) -> (usize, usize) {
    let (w, h) = (f.width() as usize, f.height() as usize);
    if p == 0 {
        (w, h)
    } else {
        (w.div_ceil(2), h.div_ceil(2))
    }
}

/// A new frame of `a`'s size with every pixel `f(plane, value of a, value of b)`.
fn map(a: &VideoFrame, b: Option<&VideoFrame>, f: impl Fn(usize, u8, u8) -> u8) -> VideoFrame {
    let mut out = VideoFrame::new(Pixel::Yuv420p, a.width(), a.height());
    for p in 0..3 {
        let (w, h) = plane_size(a, p);
        let (sa, so) = (a.stride(p), out.stride(p));
        let sb = b.map_or(0, |b| b.stride(p));
        let dst = out.plane_mut(p);
        for y in 0..h {
            let ra = &a.plane(p)[y * sa..y * sa + w];
            let rb = b.map(|b| &b.plane(p)[y * sb..y * sb + w]);
            for (x, d) in dst[y * so..y * so + w].iter_mut().enumerate() {
                *d = f(p, ra[x], rb.map_or(0, |r| r[x]));
            }
        }
    }
    out
}

/// A copy of `f`.
pub fn copy(f: &VideoFrame) -> VideoFrame {
    map(f, None, |_, v, _| v)
}

/// `f` faded towards black: weight `w` of the picture (0 black, [`ONE`] unchanged).
pub fn fade(f: &VideoFrame, w: u32) -> VideoFrame {
    let w = w.min(ONE) as i32;
    map(f, None, |p, v, _| {
        let k = i32::from(BLACK[p]);
        (k + ((i32::from(v) - k) * w + 128).div_euclid(256)).clamp(0, 255) as u8
    })
}

/// `a` and `b` mixed: weight `w` of `b` (0 all `a`, [`ONE`] all `b`).
pub fn blend(a: &VideoFrame, b: &VideoFrame, w: u32) -> VideoFrame {
    let w = w.min(ONE);
    map(a, Some(b), |_, x, y| {
        ((u32::from(x) * (ONE - w) + u32::from(y) * w + 128) >> 8) as u8
    })
}

/// Weight `num/den` of [`ONE`], rounded.
pub fn weight(num: i64, den: i64) -> u32 {
    ((num * i64::from(ONE) + den / 2) / den.max(1)).clamp(0, i64::from(ONE)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(v: [u8; 3]) -> VideoFrame {
        let mut f = VideoFrame::new(Pixel::Yuv420p, 6, 4);
        for (p, val) in v.iter().enumerate() {
            f.plane_mut(p).fill(*val);
        }
        f
    }

    #[test]
    fn fades_go_to_limited_range_black_and_blends_mix() {
        let white = filled([235, 128, 128]);
        let red = filled([81, 90, 240]);
        assert_eq!(fade(&white, 0).plane(0)[0], 16);
        assert_eq!(fade(&white, ONE).plane(0)[0], 235);
        assert_eq!(fade(&white, ONE / 2).plane(0)[0], 126);
        assert_eq!(fade(&red, 0).plane(2)[0], 128);
        let m = blend(&white, &red, ONE / 2);
        assert_eq!((m.plane(0)[0], m.plane(1)[0]), (158, 109));
        assert_eq!(copy(&red).plane(2)[0], 240);
        assert_eq!(weight(1, 3), 85);
    }
}
