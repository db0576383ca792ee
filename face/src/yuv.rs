//! The decoder's 8-bit planar YUV pictures as the landmark crops read them: no RGB picture of
//! the frame or of a patch is made. A large frame is box-averaged by a whole factor over the
//! crop's area only; the crop's samples are then read bilinearly from each plane and converted
//! to RGB one by one (BT.601, as libswscale converts by default).

/// One 8-bit plane of a picture, or of an area of it.
#[derive(Debug, Clone, Copy)]
pub struct Plane<'a> {
    /// Rows of `stride` bytes, at least `height` of them.
    pub data: &'a [u8],
    /// Bytes from one row to the next.
    pub stride: usize,
    /// Samples per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Frame pixels each sample covers `(x, y)` (2 x 2 for 4:2:0 chroma).
    pub texel: (usize, usize),
    /// Frame position (pixels) of the top-left corner of sample (0, 0).
    pub origin: (usize, usize),
}

/// A planar YUV picture: Y, Cb, Cr.
#[derive(Debug, Clone, Copy)]
pub struct Yuv<'a> {
    /// Y, Cb, Cr.
    pub planes: [Plane<'a>; 3],
    /// Full-range levels (0-255) rather than limited (16-235, 16-240).
    pub full_range: bool,
}

/// Reusable buffers for [`Yuv::reduced`].
#[derive(Debug, Default)]
pub struct Scratch {
    planes: [Vec<u8>; 3],
    sums: Vec<u32>,
}

impl<'a> Yuv<'a> {
    /// The area `[x0, x1) x [y0, y1)` (frame pixels) of the picture, box-averaged so that each
    /// sample covers at least `k` frame pixels each way (in `scratch`; a plane whose samples
    /// already do is only cut to the area).
    pub fn reduced<'s>(
        &self,
        k: usize,
        (x0, y0, x1, y1): (f32, f32, f32, f32),
        scratch: &'s mut Scratch,
    ) -> Yuv<'s>
    where
        'a: 's,
    {
        let Scratch { planes, sums } = scratch;
        let mut out = self.planes;
        for ((p, o), buf) in self.planes.iter().zip(&mut out).zip(planes.iter_mut()) {
            let (bx, by) = ((k / p.texel.0).max(1), (k / p.texel.1).max(1));
            // The plane's samples covering the area, widened to whole boxes of the plane grid.
            let span = |a: f32, b: f32, origin: usize, texel: usize, step: usize, len: usize| {
                let at = |v: f32| ((v - origin as f32) / texel as f32).max(0.0);
                let lo = (at(a).floor() as usize).min(len.saturating_sub(1)) / step * step;
                let hi = (at(b).ceil() as usize).max(lo + 1).next_multiple_of(step);
                (lo, hi.min(len))
            };
            let (sx0, sx1) = span(x0, x1, p.origin.0, p.texel.0, bx, p.width);
            let (sy0, sy1) = span(y0, y1, p.origin.1, p.texel.1, by, p.height);
            *o = match (bx, by) {
                (1, 1) => p.cut((sx0, sy0, sx1, sy1)),
                _ => box_average(p, (bx, by), (sx0, sy0, sx1, sy1), buf, sums),
            };
        }
        Yuv {
            planes: out,
            full_range: self.full_range,
        }
    }

    /// The `n` x `n` grid of RGB colours (0-1 each) at the frame positions `at + u * du + v * dv`
    /// for `u`, `v` in `0..n` (pixel centres at whole + 0.5), each plane read bilinearly, the
    /// nearest edge sample repeating outside: the red plane (row-major), then green, then blue.
    pub fn sample(&self, at: (f32, f32), du: (f32, f32), dv: (f32, f32), n: usize) -> Vec<f32> {
        let grid = Grid { at, du, dv, n };
        let mut values = vec![0.0f32; 3 * n * n];
        let (y, rest) = values.split_at_mut(n * n);
        let (cb, cr) = rest.split_at_mut(n * n);
        let [py, pb, pr] = &self.planes;
        // Cb and Cr always share a grid; the luma shares it once reduced to the chroma's.
        if py.same_grid(pb) {
            grid.read([py, pb, pr], [&mut *y, &mut *cb, &mut *cr]);
        } else {
            grid.read([py], [&mut *y]);
            grid.read([pb, pr], [&mut *cb, &mut *cr]);
        }
        match self.full_range {
            true => to_rgb([y, cb, cr], full_range),
            false => to_rgb([y, cb, cr], limited_range),
        }
        values
    }
}

/// Y, Cb, Cr planes made R, G, B in place, the levels read by `range` (a loop per range, which
/// vectorises).
fn to_rgb([y, cb, cr]: [&mut [f32]; 3], range: impl Fn(f32, f32, f32) -> (f32, f32, f32)) {
    for ((y, cb), cr) in y.iter_mut().zip(cb.iter_mut()).zip(cr.iter_mut()) {
        [*y, *cb, *cr] = rgb_of(range(*y, *cb, *cr));
    }
}

impl<'a> Plane<'a> {
    /// A whole plane of `w` x `h` samples of `texel` x `texel` frame pixels, rows packed.
    #[cfg(test)]
    pub(crate) fn packed(data: &'a [u8], w: usize, h: usize, texel: usize) -> Self {
        Plane {
            data,
            stride: w,
            width: w,
            height: h,
            texel: (texel, texel),
            origin: (0, 0),
        }
    }

    /// The samples `[sx0, sx1) x [sy0, sy1)` of the plane (no copy).
    fn cut(&self, (sx0, sy0, sx1, sy1): (usize, usize, usize, usize)) -> Plane<'a> {
        Plane {
            data: &self.data[sy0 * self.stride + sx0..],
            width: sx1 - sx0,
            height: sy1 - sy0,
            origin: (
                self.origin.0 + sx0 * self.texel.0,
                self.origin.1 + sy0 * self.texel.1,
            ),
            ..*self
        }
    }

    /// Whether `other` has its samples at the same places.
    fn same_grid(&self, other: &Plane) -> bool {
        (self.texel, self.origin, self.width, self.height)
            == (other.texel, other.origin, other.width, other.height)
    }
}

/// The sampling grid of [`Yuv::sample`].
struct Grid {
    at: (f32, f32),
    du: (f32, f32),
    dv: (f32, f32),
    n: usize,
}

impl Grid {
    /// `planes`, which share one grid of samples, read bilinearly into `outs` (`n` x `n` each).
    fn read<const P: usize>(&self, planes: [&Plane; P], mut outs: [&mut [f32]; P]) {
        let g = planes[0];
        // The grid in the planes' sample coordinates (sample centres at whole numbers).
        let (tx, ty) = (g.texel.0 as f32, g.texel.1 as f32);
        let x0 = (self.at.0 - g.origin.0 as f32) / tx - 0.5;
        let y0 = (self.at.1 - g.origin.1 as f32) / ty - 0.5;
        let (ux, uy) = (self.du.0 / tx, self.du.1 / ty);
        let (vx, vy) = (self.dv.0 / tx, self.dv.1 / ty);
        let (wmax, hmax) = (g.width - 1, g.height - 1);
        let n = self.n;
        for v in 0..n {
            let (rx, ry) = (x0 + v as f32 * vx, y0 + v as f32 * vy);
            for u in 0..n {
                let sx = (rx + u as f32 * ux).clamp(0.0, wmax as f32);
                let sy = (ry + u as f32 * uy).clamp(0.0, hmax as f32);
                // Through i32: a float-to-usize conversion costs several instructions.
                let (xa, ya) = (sx as i32 as usize, sy as i32 as usize);
                let (fx, fy) = (sx - xa as f32, sy - ya as f32);
                // The next sample right and down, the edge sample itself at the last ones.
                let (xb, yb) = ((xa + 1).min(wmax), (ya + 1).min(hmax));
                for (p, out) in planes.iter().zip(outs.iter_mut()) {
                    let (top, bottom) = (ya * p.stride, yb * p.stride);
                    let s = |i: usize| f32::from(p.data[i]);
                    let t = s(top + xa) + (s(top + xb) - s(top + xa)) * fx;
                    let b = s(bottom + xa) + (s(bottom + xb) - s(bottom + xa)) * fx;
                    out[v * n + u] = t + (b - t) * fy;
                }
            }
        }
    }
}

/// The samples `[sx0, sx1) x [sy0, sy1)` of `p` averaged in boxes of `bx` x `by` (boxes cut by
/// the area's end average what they hold), into `buf`.
fn box_average<'s>(
    p: &Plane<'_>,
    (bx, by): (usize, usize),
    (sx0, sy0, sx1, sy1): (usize, usize, usize, usize),
    buf: &'s mut Vec<u8>,
    sums: &mut Vec<u32>,
) -> Plane<'s> {
    let (w, ow, oh) = (
        sx1 - sx0,
        (sx1 - sx0).div_ceil(bx),
        (sy1 - sy0).div_ceil(by),
    );
    buf.clear();
    buf.reserve(ow * oh);
    let row = |y: usize| &p.data[y * p.stride + sx0..y * p.stride + sx1];
    for oy in 0..oh {
        let (ys, ye) = (sy0 + oy * by, (sy0 + oy * by + by).min(sy1));
        // A multiplication by the inverse, not a division per box (the box area is small, the
        // sums exact in f32).
        let rows = (ye - ys) as f32;
        let inverse = |len: usize| 1.0 / (len as f32 * rows);
        let mean = |c: &[u32], inv: f32| (c.iter().sum::<u32>() as f32 * inv + 0.5) as u8;
        if (bx, ye - ys) == (2, 2) {
            // Whole 2 x 2 boxes (1080p's luma) straight from their two rows, rounded as by a
            // shift: no column sums, and the loop vectorises.
            let (r0, r1) = (row(ys), row(ys + 1));
            let at = buf.len();
            buf.resize(at + w / 2, 0);
            let pairs = r0.chunks_exact(2).zip(r1.chunks_exact(2));
            for (o, (a, b)) in buf[at..].iter_mut().zip(pairs) {
                let sum = u16::from(a[0]) + u16::from(a[1]) + u16::from(b[0]) + u16::from(b[1]);
                *o = ((sum + 2) >> 2) as u8;
            }
            if w % 2 == 1 {
                buf.push(mean(
                    &[u32::from(r0[w - 1]) + u32::from(r1[w - 1])],
                    inverse(1),
                ));
            }
            continue;
        }
        sums.clear();
        sums.resize(w, 0);
        for y in ys..ye {
            for (s, v) in sums.iter_mut().zip(row(y)) {
                *s += u32::from(*v);
            }
        }
        let full = inverse(bx);
        let boxes = sums.chunks_exact(bx);
        let last = boxes.remainder();
        // A box of 2^m pixels: the same rounding as a shift, which vectorises (2 x 2 boxes
        // for 1080p).
        let area = bx * (ye - ys);
        let shift = area
            .is_power_of_two()
            .then(|| (area.trailing_zeros(), area as u32 / 2));
        match (bx, shift) {
            (2, Some((m, half))) => {
                buf.extend(boxes.map(|c| ((c[0] + c[1] + half) >> m) as u8));
            }
            (_, Some((m, half))) => {
                buf.extend(boxes.map(|c| ((c.iter().sum::<u32>() + half) >> m) as u8));
            }
            _ => buf.extend(boxes.map(|c| mean(c, full))),
        }
        if !last.is_empty() {
            buf.push(mean(last, inverse(last.len())));
        }
    }
    Plane {
        data: buf,
        stride: ow,
        width: ow,
        height: oh,
        texel: (p.texel.0 * bx, p.texel.1 * by),
        origin: (p.origin.0 + sx0 * p.texel.0, p.origin.1 + sy0 * p.texel.1),
    }
}

/// Full-range Y'CbCr levels, chroma centred on 0.
#[inline]
fn full_range(y: f32, cb: f32, cr: f32) -> (f32, f32, f32) {
    (y, cb - 128.0, cr - 128.0)
}

/// Limited-range Y'CbCr levels (16-235, 16-240) stretched to full range, chroma centred on 0.
#[inline]
fn limited_range(y: f32, cb: f32, cr: f32) -> (f32, f32, f32) {
    (
        (y - 16.0) * (255.0 / 219.0),
        (cb - 128.0) * (255.0 / 224.0),
        (cr - 128.0) * (255.0 / 224.0),
    )
}

/// BT.601 Y'CbCr (full-range levels, chroma centred on 0) to R'G'B' in 0-1.
#[inline]
fn rgb_of((y, cb, cr): (f32, f32, f32)) -> [f32; 3] {
    let c = |v: f32| v.clamp(0.0, 255.0) / 255.0;
    [
        c(y + 1.402 * cr),
        c(y - 0.344_136 * cb - 0.714_136 * cr),
        c(y + 1.772 * cb),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The samples of a `w` x `h` plane, values from `f(x, y)`.
    fn plane(w: usize, h: usize, f: impl Fn(usize, usize) -> u8) -> Vec<u8> {
        (0..w * h).map(|i| f(i % w, i / w)).collect()
    }

    /// The colour at one frame position.
    fn at(pic: &Yuv, x: f32, y: f32) -> Vec<f32> {
        pic.sample((x, y), (1.0, 0.0), (0.0, 1.0), 1)
    }

    #[test]
    fn grey_levels_convert_by_range() {
        assert_eq!(rgb_of(limited_range(16.0, 128.0, 128.0)), [0.0; 3]);
        assert_eq!(rgb_of(limited_range(235.0, 128.0, 128.0)), [1.0; 3]);
        assert_eq!(rgb_of(full_range(255.0, 128.0, 128.0)), [1.0; 3]);
        // Pure red in limited BT.601: Y 81, Cb 90, Cr 240.
        let [r, g, b] = rgb_of(limited_range(81.0, 90.0, 240.0));
        assert!(r > 0.99 && g < 0.01 && b < 0.01, "{r} {g} {b}");
    }

    #[test]
    fn bilinear_reads_between_samples_and_clamps_at_edges() {
        // Luma 10 * x + 100 * (y >= 2) on 4 x 4 frame pixels, chroma neutral at 2 x 2.
        let y = plane(4, 4, |x, y| (10 * x + if y >= 2 { 100 } else { 0 }) as u8);
        let c = plane(2, 2, |_, _| 128);
        let pic = Yuv {
            planes: [
                Plane::packed(&y, 4, 4, 1),
                Plane::packed(&c, 2, 2, 2),
                Plane::packed(&c, 2, 2, 2),
            ],
            full_range: true,
        };
        let red = |x: f32, yy: f32| (at(&pic, x, yy)[0] * 255.0).round();
        assert_eq!(red(2.5, 2.5), 120.0);
        assert_eq!(red(3.0, 2.5), 125.0);
        assert_eq!(red(3.0, 2.0), 75.0);
        assert_eq!(red(-5.0, -5.0), 0.0);
        assert_eq!(red(9.0, 9.0), 130.0);
    }

    #[test]
    fn reduced_averages_boxes_of_the_area_only() {
        // 8 x 8 luma: the value is 20 * (x / 2) + y / 2 * 2 (constant over each 2 x 2 box).
        let y = plane(8, 8, |x, y| (20 * (x / 2) + y / 2 * 2) as u8);
        let c = plane(4, 4, |x, _| (100 + x) as u8);
        let pic = Yuv {
            planes: [
                Plane::packed(&y, 8, 8, 1),
                Plane::packed(&c, 4, 4, 2),
                Plane::packed(&c, 4, 4, 2),
            ],
            full_range: true,
        };
        let mut scratch = Scratch::default();
        let r = pic.reduced(2, (3.0, 2.0, 7.0, 5.0), &mut scratch);
        let p = r.planes[0];
        // Whole boxes from x 2 to 8 and y 2 to 6.
        assert_eq!(
            (p.origin, p.texel, p.width, p.height),
            ((2, 2), (2, 2), 3, 2)
        );
        assert_eq!(&p.data[..6], &[22, 42, 62, 24, 44, 64]);
        // Chroma already covers 2 x 2 pixels: only cut to the area, on the luma's grid now.
        let c = r.planes[1];
        assert_eq!(
            (c.origin, c.texel, c.width, c.height),
            ((2, 2), (2, 2), 3, 2)
        );
        assert_eq!(&c.data[..3], &[101, 102, 103]);
        assert!(p.same_grid(&c));
        // The same colour at a box centre before and after.
        assert_eq!(at(&r, 5.0, 3.0), at(&pic, 5.0, 3.0));
        // An odd box average rounds to nearest: 1, 2, 2, 3 -> 2.
        let odd = plane(2, 2, |x, y| (1 + x + y) as u8);
        let pic = Yuv {
            planes: [Plane::packed(&odd, 2, 2, 1); 3],
            full_range: true,
        };
        let r = pic.reduced(2, (0.0, 0.0, 2.0, 2.0), &mut scratch);
        assert_eq!(r.planes[0].data, &[2]);
    }

    #[test]
    fn every_box_size_rounds_its_mean_to_nearest() {
        // 11 x 9 samples, so the last boxes of a row and the last row of boxes are partial.
        let (w, h) = (11, 9);
        let data = plane(w, h, |x, y| ((x * 97 + y * 61 + x * y * 13) % 256) as u8);
        for k in 1..=4 {
            let pic = Yuv {
                planes: [Plane::packed(&data, w, h, 1); 3],
                full_range: true,
            };
            let mut scratch = Scratch::default();
            let r = pic.reduced(k, (0.0, 0.0, w as f32, h as f32), &mut scratch);
            let p = r.planes[0];
            for (oy, ox) in (0..p.height).flat_map(|oy| (0..p.width).map(move |ox| (oy, ox))) {
                let (xs, ys) = (ox * k..(ox * k + k).min(w), oy * k..(oy * k + k).min(h));
                let n = xs.len() * ys.len();
                let data = &data;
                let sum: usize = ys
                    .flat_map(|y| xs.clone().map(move |x| usize::from(data[y * w + x])))
                    .sum();
                let want = (2 * sum + n) / (2 * n);
                assert_eq!(
                    usize::from(p.data[oy * p.stride + ox]),
                    want,
                    "k {k} box {ox},{oy}"
                );
            }
        }
    }
}
