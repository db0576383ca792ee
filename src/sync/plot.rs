//! `--plot`: the offset over time against the standard's band, as PNG or SVG; when a face was
//! followed, below it the speaker's mouth opening and the speech level at the found offset.
//!
//! Text is laid out (and, in PNGs, drawn) with a bundled DejaVu Sans subset, so no system font
//! libraries are needed.

use super::lips::LipsReport;
use super::{SyncReport, Verdict};
use crate::error::{Error, Result};
use crate::output::AtomicOutput;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;
use std::sync::Once;

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.ttf");
/// The offset chart's size.
const SIZE: (u32, u32) = (1200, 560);
/// Height added for the mouth and speech curves.
const LIPS_HEIGHT: u32 = 300;
/// The verdict's reason, under the charts: its size, line height and margins (px).
const REASON_FONT: u32 = 16;
const REASON_LINE: u32 = 21;
const REASON_MARGIN: u32 = 16;
/// Opacity of the grey over a shot with nothing to time.
const BLANK_ALPHA: f64 = 0.18;

/// The plot formats, chosen by the output's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Raster, `.png`.
    Png,
    /// Vector, `.svg`.
    Svg,
}

impl Format {
    /// The format for `path`'s extension, or a usage error.
    pub fn of(path: &Path) -> Result<Self> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("png") => Ok(Self::Png),
            Some("svg") => Ok(Self::Svg),
            _ => Err(Error::Usage(format!(
                "--plot {}: the file name must end in .png or .svg",
                path.display()
            ))),
        }
    }
}

/// Draw `report` to `out` (written atomically).
pub fn draw(report: &SyncReport, out: &Path) -> Result<()> {
    draw_staged(report, out)?.commit()?;
    Ok(())
}

/// Draw `report` for `out`, left complete at its temp path for the caller to move into place
/// (with a [`crate::output::Batch`]).
pub fn draw_staged(report: &SyncReport, out: &Path) -> Result<AtomicOutput> {
    let format = Format::of(out)?;
    let target = AtomicOutput::new(out)?;
    let failed = |e: String| match crate::error::os_error_in(&e) {
        // The file could not be written (plotters keeps the OS error only as text).
        Some(n) => Error::cannot_write(out, &std::io::Error::from_raw_os_error(n)),
        None => Error::bad_input(out, format!("drawing the plot: {e}")),
    };
    // Both backends lay text out with the bundled font.
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // The bundled font is valid; a failure would show as missing text, not a crash.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
    let lips = report
        .lips
        .as_ref()
        .filter(|l| l.curves.mouth.iter().any(Option::is_some));
    let reason = reason_lines(&format!("{}: {}", report.verdict.as_str(), report.reason));
    let size = (
        SIZE.0,
        SIZE.1 + lips.map_or(0, |_| LIPS_HEIGHT) + reason_height(&reason),
    );
    match format {
        Format::Png => {
            let root = BitMapBackend::new(target.path(), size).into_drawing_area();
            charts(report, lips, &reason, &root).map_err(failed)?;
            target
                .create_with(|_| root.present())
                .map_err(|e| failed(e.to_string()))?;
        }
        Format::Svg => {
            let root = SVGBackend::new(target.path(), size).into_drawing_area();
            charts(report, lips, &reason, &root).map_err(failed)?;
            target
                .create_with(|_| root.present())
                .map_err(|e| failed(e.to_string()))?;
        }
    }
    Ok(target)
}

/// `reason` in lines that fit the plot's width, broken between words.
fn reason_lines(reason: &str) -> Vec<String> {
    let font = ("sans-serif", REASON_FONT).into_font();
    let fits = |line: &str| {
        font.box_size(line)
            .is_ok_and(|(w, _)| w <= SIZE.0 - 2 * REASON_MARGIN)
    };
    let mut lines: Vec<String> = Vec::new();
    for word in reason.split(' ') {
        match lines.last_mut() {
            Some(line) if fits(&format!("{line} {word}")) => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

fn reason_height(lines: &[String]) -> u32 {
    lines.len() as u32 * REASON_LINE + 2 * REASON_MARGIN
}

fn charts<DB: DrawingBackend>(
    r: &SyncReport,
    lips: Option<&LipsReport>,
    reason: &[String],
    root: &DrawingArea<DB, Shift>,
) -> std::result::Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    let (top, rest) = root.split_vertically(SIZE.1);
    chart(r, &top)?;
    let words = match lips {
        Some(l) => {
            let (curves, words) = rest.split_vertically(LIPS_HEIGHT);
            lips_chart(l, &curves)?;
            words
        }
        None => rest,
    };
    // The verdict's reason in full, in red unless it passed.
    let color = match r.verdict {
        Verdict::Pass => RGBColor(40, 40, 40),
        _ => RED,
    };
    for (k, line) in reason.iter().enumerate() {
        let y = (REASON_MARGIN + k as u32 * REASON_LINE) as i32;
        words
            .draw(&Text::new(
                line.as_str(),
                (REASON_MARGIN as i32, y),
                ("sans-serif", REASON_FONT).into_font().color(&color),
            ))
            .map_err(e)?;
    }
    Ok(())
}

/// The speaker's mouth opening and the speech level moved by the found offset, both
/// standardised: at the right offset they rise and fall together.
fn lips_chart<DB: DrawingBackend>(
    l: &LipsReport,
    root: &DrawingArea<DB, Shift>,
) -> std::result::Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let c = &l.curves;
    let start = c.time.first().copied().unwrap_or(0.0);
    let end = c.time.last().copied().unwrap_or(1.0).max(start + 1.0);
    let title = format!(
        "lips: face {} mouth against speech at {} (confidence {:.2})",
        l.speaker.map_or("-".into(), |f| f.to_string()),
        l.offset_ms.map_or("-".into(), |o| format!("{o:+.0} ms")),
        l.confidence
    );
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 18))
        .margin(16)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(start..end, -3.5f64..3.5)
        .map_err(e)?;
    mesh(&mut chart, "standardised").map_err(e)?;
    let clamp = |v: f32| f64::from(v).clamp(-3.4, 3.4);
    let speech_color = RGBColor(200, 60, 60);
    chart
        .draw_series(LineSeries::new(
            c.time.iter().zip(&c.speech).map(|(&t, &v)| (t, clamp(v))),
            speech_color.stroke_width(2),
        ))
        .map_err(e)?
        .label("speech level, at the offset")
        .legend(swatch(speech_color, 2));
    // The mouth curve breaks where no face speaks.
    let mouth_color = RGBColor(30, 90, 200);
    let mouth = c.time.iter().zip(&c.mouth).map(|(&t, m)| (t, m.map(clamp)));
    chart
        .draw_series(runs(mouth).map(|run| PathElement::new(run, mouth_color.stroke_width(2))))
        .map_err(e)?
        .label("mouth opening")
        .legend(swatch(mouth_color, 2));
    legend(&mut chart).map_err(e)
}

fn chart<DB: DrawingBackend>(
    r: &SyncReport,
    root: &DrawingArea<DB, Shift>,
) -> std::result::Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let (early, late) = (r.standard.max_early_ms, r.standard.max_late_ms);
    let start = r.windows.first().map_or(0.0, |w| w.start_s);
    let end = r.windows.last().map_or(1.0, |w| w.end_s).max(start + 1.0);
    let offsets = r
        .windows
        .iter()
        .filter_map(|w| w.offset_ms)
        .chain(r.events.iter().map(|p| p.offset_ms))
        .chain(r.shots.iter().filter_map(|s| s.span.offset_ms));
    let (lo, hi) = offsets.fold((-early, late), |(l, h), o| (l.min(o), h.max(o)));
    let pad = ((hi - lo) * 0.12).max(20.0);
    let title = format!(
        "{}: {}, offset {}, drift {}, {}",
        Path::new(&r.path)
            .file_name()
            .map_or(r.path.clone(), |n| n.to_string_lossy().into_owned()),
        r.verdict.as_str(),
        r.headline(),
        r.drift_ms_per_min
            .map_or("-".into(), |d| format!("{d:+.1} ms/min")),
        r.standard.name
    );
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(start..end, (lo - pad)..(hi + pad))
        .map_err(e)?;
    mesh(&mut chart, "audio offset (ms, + = audio late)").map_err(e)?;
    let band = RGBColor(200, 235, 200);
    chart
        .draw_series([Rectangle::new(
            [(start, -early), (end, late)],
            band.mix(0.6).filled(),
        )])
        .map_err(e)?
        .label(format!("{} band (-{early}/+{late} ms)", r.standard.name))
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], band.filled()));
    chart
        .draw_series(LineSeries::new([(start, 0.0), (end, 0.0)], BLACK.mix(0.4)))
        .map_err(e)?;
    // Shots whose sound gives nothing to time are greyed, full height, and named at the
    // bottom (clear of the legend): no curve crosses them.
    let blank = RGBColor(120, 120, 120);
    let blanks: Vec<(f64, f64, &str)> = r
        .shots
        .iter()
        .filter(|s| s.span.offset_ms.is_none())
        .filter_map(|s| {
            Some((
                s.span.start_s,
                s.span.end_s,
                s.span.sound.instead_of_offset()?,
            ))
        })
        .collect();
    let (y0, y1) = (lo - pad, hi + pad);
    chart
        .draw_series(blanks.iter().map(|&(from, to, _)| {
            Rectangle::new([(from, y0), (to, y1)], blank.mix(BLANK_ALPHA).filled())
        }))
        .map_err(e)?
        .label("no sound to time (silent or steady)")
        .legend(move |(x, y)| {
            Rectangle::new(
                [(x, y - 6), (x + 16, y + 6)],
                blank.mix(BLANK_ALPHA).filled(),
            )
        });
    chart
        .draw_series(blanks.iter().map(|&(from, to, words)| {
            Text::new(
                words,
                ((from + to) / 2.0, y0 + (y1 - y0) * 0.03),
                ("sans-serif", 15)
                    .into_font()
                    .color(&blank)
                    .pos(Pos::new(HPos::Center, VPos::Bottom)),
            )
        }))
        .map_err(e)?;
    let shot_color = RGBColor(230, 120, 20);
    chart
        .draw_series(r.shots.iter().filter_map(|s| {
            let o = s.span.offset_ms?;
            Some(PathElement::new(
                vec![(s.span.start_s, o), (s.span.end_s, o)],
                shot_color.stroke_width(4),
            ))
        }))
        .map_err(e)?
        .label("per shot")
        .legend(swatch(shot_color, 4));
    let window_color = RGBColor(30, 90, 200);
    let points: Vec<(f64, f64, f64)> = r
        .windows
        .iter()
        .filter_map(|w| Some(((w.start_s + w.end_s) / 2.0, w.offset_ms?, w.confidence)))
        .collect();
    // The curve breaks at a window without an offset (a silent stretch, no evidence).
    let offsets = r
        .windows
        .iter()
        .map(|w| ((w.start_s + w.end_s) / 2.0, w.offset_ms));
    chart
        .draw_series(runs(offsets).map(|run| PathElement::new(run, window_color.stroke_width(2))))
        .map_err(e)?
        .label("per window (filled: confident)")
        .legend(swatch(window_color, 2));
    chart
        .draw_series(points.iter().map(|&(t, o, c)| {
            // Filled when confident enough to count towards the verdict.
            let style = if c >= super::MIN_CONFIDENCE {
                window_color.filled()
            } else {
                window_color.stroke_width(1)
            };
            Circle::new((t, o), 3 + (c * 4.0) as i32, style)
        }))
        .map_err(e)?;
    let event_color = RGBColor(120, 120, 120);
    chart
        .draw_series(
            r.events
                .iter()
                .map(|p| Cross::new((p.time_s, p.offset_ms), 4, event_color.stroke_width(1))),
        )
        .map_err(e)?
        .label("per event")
        .legend(move |(x, y)| Cross::new((x + 8, y), 4, event_color.stroke_width(1)));
    legend(&mut chart).map_err(e)
}

/// The stretches of a curve between its missing values, each drawn as one line.
fn runs(points: impl Iterator<Item = (f64, Option<f64>)>) -> impl Iterator<Item = Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (t, v) in points {
        match v {
            Some(v) => runs.last_mut().expect("one run").push((t, v)),
            None if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(Vec::new()),
            None => {}
        }
    }
    runs.into_iter().filter(|r| !r.is_empty())
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The grid, with time across and `y` up.
fn mesh<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    y: &str,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc(y)
        .label_style(("sans-serif", 15))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
}

/// The series' legend, upper left.
fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
}

/// A legend entry's line of `color` and `width`.
fn swatch(color: RGBColor, width: u32) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(width))
}
