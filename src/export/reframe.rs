//! Reframing: how a picture of one shape fills an output of another, as an FFmpeg filter graph.
//!
//! The geometry is computed here in whole pixels (even, for 4:2:0 chroma) and spelt out in the
//! graph, so the graph is plain data that can be printed, tested and replayed with the ffmpeg
//! CLI. The blurred background is built at an eighth of the output size and scaled up, so it
//! costs a small fraction of the encode.

use crate::error::Error;
use crate::picture::even_round;
use crate::picture::rgb::Rgb;
use crate::picture::turn::Turn;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// How the picture fills an output of another shape (in reports, its name as on the command
/// line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fit {
    /// Fill the frame, cutting what sticks out (`--focus` picks the window).
    Crop,
    /// Fit the whole picture, with bars of a plain colour.
    Pad,
    /// Fit the whole picture over a blurred, darkened copy of it that fills the frame.
    Blur,
}

impl fmt::Display for Fit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Crop => "crop",
            Self::Pad => "pad",
            Self::Blur => "blur",
        })
    }
}

impl FromStr for Fit {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "crop" => Ok(Self::Crop),
            "pad" => Ok(Self::Pad),
            "blur" => Ok(Self::Blur),
            _ => Err(Error::Usage(format!(
                "--fit {s}: expected crop, pad or blur"
            ))),
        }
    }
}

/// The centre of the crop window as fractions of the picture (0,0 top left; 1,1 bottom right).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Focus {
    /// Horizontal centre, 0..=1.
    pub x: f64,
    /// Vertical centre, 0..=1.
    pub y: f64,
}

impl Default for Focus {
    fn default() -> Self {
        Self { x: 0.5, y: 0.5 }
    }
}

impl FromStr for Focus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || {
            Error::Usage(format!(
                "--focus {s}: expected X,Y fractions (e.g. 0.5,0.3) or auto"
            ))
        };
        let (x, y) = s.split_once(',').ok_or_else(bad)?;
        let x: f64 = x.trim().parse().map_err(|_| bad())?;
        let y: f64 = y.trim().parse().map_err(|_| bad())?;
        if !(0.0..=1.0).contains(&x) || !(0.0..=1.0).contains(&y) {
            return Err(bad());
        }
        Ok(Self { x, y })
    }
}

/// What `--focus` asks for: a fixed crop centre, or `auto` (follow the motion).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FocusChoice {
    /// A fixed centre.
    At(Focus),
    /// Keep the faces in frame, else follow the centre of motion, smoothed.
    Auto,
}

impl FromStr for FocusChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        if s == "auto" {
            Ok(Self::Auto)
        } else {
            s.parse().map(Self::At)
        }
    }
}

/// A reframing request: the fit mode and its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reframe {
    /// The fit mode.
    pub fit: Fit,
    /// Crop window centre (crop mode, and the blurred background's window).
    pub focus: Focus,
    /// Crop mode only: move the window with the faces, else the centre of motion
    /// (`--focus auto`).
    pub follow_motion: bool,
    /// Bar colour (pad mode).
    pub pad_color: Rgb,
}

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

fn even_floor(v: u32) -> u32 {
    v & !1
}

/// The largest window of the output's shape inside a `src_w`x`src_h` picture, centred on
/// `focus` as far as the picture allows; even-sized, placed to the pixel (the crop filter runs
/// with `exact=1`, so an odd offset is not rounded to the chroma grid, which would move the
/// centre).
pub fn cover_window(src_w: u32, src_h: u32, out_w: u32, out_h: u32, focus: Focus) -> Rect {
    let (sw, sh, ow, oh) = (
        u64::from(src_w),
        u64::from(src_h),
        u64::from(out_w),
        u64::from(out_h),
    );
    let (w, h) = if sw * oh > sh * ow {
        let h = even_floor(src_h);
        let w = even_round((u64::from(h) * ow) as f64 / oh as f64);
        (w.min(even_floor(src_w)), h)
    } else {
        let w = even_floor(src_w);
        let h = even_round((u64::from(w) * oh) as f64 / ow as f64);
        (w, h.min(even_floor(src_h)))
    };
    let place = |centre: f64, size: u32, full: u32| {
        let start = (centre * f64::from(full) - f64::from(size) / 2.0).round();
        start.clamp(0.0, f64::from(full - size)) as u32
    };
    Rect {
        x: place(focus.x, w, src_w),
        y: place(focus.y, h, src_h),
        w,
        h,
    }
}

/// The whole `src_w`x`src_h` picture scaled to fit inside the output, centred.
pub fn fit_rect(src_w: u32, src_h: u32, out_w: u32, out_h: u32) -> Rect {
    let (sw, sh, ow, oh) = (
        u64::from(src_w),
        u64::from(src_h),
        u64::from(out_w),
        u64::from(out_h),
    );
    let (w, h) = if sw * oh >= sh * ow {
        (out_w, even_round((ow * sh) as f64 / sw as f64).min(out_h))
    } else {
        (even_round((oh * sw) as f64 / sh as f64).min(out_w), out_h)
    };
    Rect {
        x: even_floor((out_w - w) / 2),
        y: even_floor((out_h - h) / 2),
        w,
        h,
    }
}

/// Where the picture lands (`[x0, y0, x1, y1]` fractions of the output) when reframing an
/// upright `src_w`x`src_h` picture as `r` asks leaves bars around it (pad, blur), else `None`.
pub fn picture_area(
    src_w: u32,
    src_h: u32,
    out_w: u32,
    out_h: u32,
    r: &Reframe,
) -> Option<[f64; 4]> {
    let fg = fit_rect(src_w, src_h, out_w, out_h);
    let (w, h) = (f64::from(out_w), f64::from(out_h));
    (r.fit != Fit::Crop && (fg.w, fg.h) != (out_w, out_h)).then(|| {
        [
            f64::from(fg.x) / w,
            f64::from(fg.y) / h,
            f64::from(fg.x + fg.w) / w,
            f64::from(fg.y + fg.h) / h,
        ]
    })
}

/// For `--focus auto` (crop mode): the window of the upright picture centred on `centre`, in
/// the stored (unturned) `src_w`x`src_h` picture's coordinates, ready for cropping before the
/// turn. `None` when the picture already has the output's shape.
pub fn follow_window(
    src_w: u32,
    src_h: u32,
    turn: Turn,
    out_w: u32,
    out_h: u32,
    centre: (f64, f64),
) -> Option<Rect> {
    let (w, h) = turn.apply(src_w, src_h);
    let fg = fit_rect(w, h, out_w, out_h);
    if fg.w == out_w && fg.h == out_h {
        return None;
    }
    let d = cover_window(
        w,
        h,
        out_w,
        out_h,
        Focus {
            x: centre.0,
            y: centre.1,
        },
    );
    Some(match turn {
        Turn::None => d,
        Turn::Half => Rect {
            x: src_w - d.x - d.w,
            y: src_h - d.y - d.h,
            ..d
        },
        // transpose=clock shows stored (y, H - 1 - x) at (x, y).
        Turn::Clockwise => Rect {
            x: d.y,
            y: src_h - d.x - d.w,
            w: d.h,
            h: d.w,
        },
        // transpose=cclock shows stored (W - 1 - y, x) at (x, y).
        Turn::CounterClockwise => Rect {
            x: src_w - d.y - d.h,
            y: d.x,
            w: d.h,
            h: d.w,
        },
    })
}

/// The graph run on frames already cropped to a [`follow_window`]: turn and scale.
pub fn follow_graph(turn: Turn, out_w: u32, out_h: u32) -> String {
    turn.filter()
        .map(String::from)
        .into_iter()
        .chain([format!("scale={out_w}:{out_h}")])
        .collect::<Vec<_>>()
        .join(",")
}

/// The filter graph turning decoded `src_w`x`src_h` frames (before `turn`) into upright
/// `out_w`x`out_h` frames reframed as `r` asks. The caller's sink converts to yuv420p.
pub fn filter_graph(
    src_w: u32,
    src_h: u32,
    turn: Turn,
    out_w: u32,
    out_h: u32,
    r: &Reframe,
) -> String {
    let (w, h) = turn.apply(src_w, src_h);
    let mut chain: Vec<String> = turn.filter().map(String::from).into_iter().collect();
    let fg = fit_rect(w, h, out_w, out_h);
    let fills = fg.w == out_w && fg.h == out_h;
    let win = cover_window(w, h, out_w, out_h, r.focus);
    let crop = |win: Rect| {
        (win.w != w || win.h != h)
            .then(|| format!("crop={}:{}:{}:{}:exact=1", win.w, win.h, win.x, win.y))
    };
    match r.fit {
        _ if fills => chain.push(format!("scale={out_w}:{out_h}")),
        Fit::Crop => {
            chain.extend(crop(win));
            chain.push(format!("scale={out_w}:{out_h}"));
        }
        Fit::Pad => chain.push(format!(
            "scale={}:{},pad={out_w}:{out_h}:{}:{}:color={}",
            fg.w,
            fg.h,
            fg.x,
            fg.y,
            // FFmpeg 5.1's pad filter fills by BT.601 whatever the frame's matrix.
            r.pad_color.for_bt601_drawing().ffmpeg()
        )),
        Fit::Blur => {
            let (bw, bh) = (
                even_round(f64::from(out_w) / 8.0),
                even_round(f64::from(out_h) / 8.0),
            );
            let radius = (bw.min(bh) / 10).max(1);
            let mut bg: Vec<String> = crop(win).into_iter().collect();
            bg.push(format!("scale={bw}:{bh}:flags=bilinear"));
            bg.push(format!("boxblur={radius}:2"));
            bg.push("lutyuv=y=16+(val-16)*0.55".into());
            bg.push(format!("scale={out_w}:{out_h}:flags=bilinear"));
            chain.push(format!(
                "split=2[bg][fg];[bg]{}[bgs];[fg]scale={}:{}[fgs];[bgs][fgs]overlay={}:{}",
                bg.join(","),
                fg.w,
                fg.h,
                fg.x,
                fg.y
            ));
        }
    }
    chain.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CENTRE: Focus = Focus { x: 0.5, y: 0.5 };

    #[test]
    fn windows_keep_the_output_shape() {
        let w = cover_window(1920, 1080, 1080, 1920, CENTRE);
        assert_eq!(
            w,
            Rect {
                x: 656,
                y: 0,
                w: 608,
                h: 1080
            }
        );
        let left = cover_window(1920, 1080, 1080, 1920, Focus { x: 0.0, y: 0.5 });
        assert_eq!(left.x, 0);
        let right = cover_window(1920, 1080, 1080, 1920, Focus { x: 1.0, y: 0.5 });
        assert_eq!(right.x + right.w, 1920);
        let tall = cover_window(1080, 1920, 1920, 1080, CENTRE);
        assert_eq!(
            tall,
            Rect {
                x: 0,
                y: 656,
                w: 1080,
                h: 608
            }
        );
        let odd = cover_window(641, 361, 1080, 1080, CENTRE);
        assert_eq!((odd.w, odd.h), (360, 360));
    }

    #[test]
    fn fit_rects_are_centred_and_undistorted() {
        let r = fit_rect(1920, 1080, 1080, 1920);
        assert_eq!(
            r,
            Rect {
                x: 0,
                y: 656,
                w: 1080,
                h: 608
            }
        );
        let r = fit_rect(1080, 1920, 1920, 1080);
        assert_eq!(
            r,
            Rect {
                x: 656,
                y: 0,
                w: 608,
                h: 1080
            }
        );
        let r = fit_rect(1280, 720, 1920, 1080);
        assert_eq!(
            r,
            Rect {
                x: 0,
                y: 0,
                w: 1920,
                h: 1080
            }
        );
    }

    #[test]
    fn graphs_spell_out_the_geometry() {
        let mut r = Reframe {
            fit: Fit::Crop,
            focus: CENTRE,
            follow_motion: false,
            pad_color: "black".parse().unwrap(),
        };
        assert_eq!(
            filter_graph(1920, 1080, Turn::None, 1080, 1920, &r),
            "crop=608:1080:656:0:exact=1,scale=1080:1920"
        );
        r.fit = Fit::Pad;
        r.pad_color = "#102030".parse().unwrap();
        // #102030 as pad's BT.601 fill must be given it to store #102030's BT.709.
        assert_eq!(
            filter_graph(1920, 1080, Turn::None, 1080, 1920, &r),
            "scale=1080:608,pad=1080:1920:0:656:color=0x12212f"
        );
        r.fit = Fit::Blur;
        let g = filter_graph(1920, 1080, Turn::None, 1080, 1920, &r);
        assert!(
            g.starts_with("split=2[bg][fg];[bg]crop=608:1080:656:0:exact=1,scale=136:240"),
            "{g}"
        );
        assert!(
            g.ends_with("[fg]scale=1080:608[fgs];[bgs][fgs]overlay=0:656"),
            "{g}"
        );
        // Same shape: a plain scale whatever the fit.
        assert_eq!(
            filter_graph(1280, 720, Turn::None, 1920, 1080, &r),
            "scale=1920:1080"
        );
        // A portrait phone clip stored landscape with a -90 degree display matrix.
        assert_eq!(
            filter_graph(1920, 1080, Turn::from_rotation(-90.0), 1080, 1920, &r),
            "transpose=clock,scale=1080:1920"
        );
    }

    #[test]
    fn follow_windows_map_back_through_the_turn() {
        // Landscape stored, shown upright as landscape: a plain window.
        let w = follow_window(1920, 1080, Turn::None, 1080, 1920, (0.0, 0.5)).unwrap();
        assert_eq!(
            w,
            Rect {
                x: 0,
                y: 0,
                w: 608,
                h: 1080
            }
        );
        // Stored 1920x1080, shown turned as 1080x1920, exported square with the window at the
        // top of the upright picture: turned clockwise, the upright top rows are the stored
        // picture's left columns; counter-clockwise, its right columns.
        let w = follow_window(1920, 1080, Turn::Clockwise, 1080, 1080, (0.5, 0.0)).unwrap();
        assert_eq!(
            w,
            Rect {
                x: 0,
                y: 0,
                w: 1080,
                h: 1080
            }
        );
        let w = follow_window(1920, 1080, Turn::CounterClockwise, 1080, 1080, (0.5, 0.0)).unwrap();
        assert_eq!(
            w,
            Rect {
                x: 840,
                y: 0,
                w: 1080,
                h: 1080
            }
        );
        let w = follow_window(1920, 1080, Turn::Half, 1080, 1920, (0.0, 0.5)).unwrap();
        assert_eq!(
            w,
            Rect {
                x: 1312,
                y: 0,
                w: 608,
                h: 1080
            }
        );
        assert_eq!(
            follow_window(1280, 720, Turn::None, 1920, 1080, (0.1, 0.1)),
            None
        );
        assert_eq!(
            follow_graph(Turn::Clockwise, 1080, 1080),
            "transpose=clock,scale=1080:1080"
        );
    }

    #[test]
    fn options_parse() {
        assert_eq!(
            "0.25,1".parse::<Focus>().unwrap(),
            Focus { x: 0.25, y: 1.0 }
        );
        assert!("2,0".parse::<Focus>().is_err());
        assert_eq!("auto".parse::<FocusChoice>().unwrap(), FocusChoice::Auto);
        assert!("0.5,0.5".parse::<FocusChoice>().is_ok());
        assert!("stretch".parse::<Fit>().is_err());
    }
}
