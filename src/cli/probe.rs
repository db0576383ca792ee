//! `cutroom probe FILE... [--json]`.

use super::bars::Bars;
use super::{for_each_file, print_files, Global};
use cutroom::error::exit;
use cutroom::probe::{probe, size_words, FileProbe, StreamProbe};
use cutroom::progress::Progress;
use cutroom::Result;
use cutroom_ffi::MediaKind;
use std::path::PathBuf;

/// Arguments of `cutroom probe`.
#[derive(clap::Args)]
pub struct Args {
    /// Media files to describe.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print the stable JSON report (`files[]`) instead of a table.
    #[arg(long)]
    json: bool,
    /// Also decode every audio and video stream and count the damaged packets the decoder
    /// skips, and say where (`damaged N at A-B s` on the stream line, `damaged_packets` and
    /// `damaged_at_s` in the JSON): every command skips them and decodes on, so a player shows
    /// a frozen picture or a gap there. Slower: a whole decode.
    #[arg(long)]
    decode: bool,
}

/// Probe every file; report all of them, exit 1 if any failed.
pub fn run(args: Args, global: &Global) -> Result<i32> {
    let bar = Bars::new(global.quiet);
    bar.start("probe", args.files.len() as u64);
    let entries = for_each_file(&args.files, |_, path| {
        bar.status(&path.display().to_string());
        let probed = probe(path, args.decode);
        bar.advance(1);
        probed
    });
    bar.finish(None);
    let failed = print_files(&entries, args.json, print_table);
    Ok(if failed { exit::ERROR } else { exit::OK })
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(T::to_string).unwrap_or_else(|| "-".into())
}

fn print_table(p: &FileProbe) {
    outln!(
        "{}\n  format {}  duration {} s  bit rate {}  faststart {}  edit lists {}",
        p.path,
        p.format,
        p.duration_s
            .map(|d| format!("{d:.3}"))
            .unwrap_or_else(|| "-".into()),
        p.bit_rate
            .map(|b| format!("{} kb/s", b / 1000))
            .unwrap_or_else(|| "-".into()),
        opt(&p.faststart),
        opt(&p.edit_lists),
    );
    for s in &p.streams {
        outln!("  {}", stream_line(s));
    }
    for n in &p.notes {
        outln!("  note: {n}");
    }
    match &p.provenance {
        Some(prov) => outln!("  provenance: {}", prov.block("    ")),
        None => {
            if let Some(words) = cutroom::provenance::absent(std::path::Path::new(&p.path)) {
                outln!("  provenance: {words}");
            }
        }
    }
}

/// ` colour PRIMARIES/TRANSFER/MATRIX RANGE` when the stream declares any of them.
fn colour(s: &StreamProbe) -> String {
    let c = [
        &s.color_primaries,
        &s.color_transfer,
        &s.color_space,
        &s.color_range,
    ];
    if c.iter().all(|v| v.is_none()) {
        return String::new();
    }
    format!(
        " colour {}/{}/{} {}",
        opt(c[0]),
        opt(c[1]),
        opt(c[2]),
        opt(c[3])
    )
}

fn stream_line(s: &StreamProbe) -> String {
    let common = format!(
        "#{} {:<5} {:<6} {:<8} tb {:<9} start {:>7} dur {:>7} frames {}{}",
        s.index,
        s.kind.as_str(),
        s.codec,
        opt(&s.profile),
        s.time_base,
        s.start_time_s
            .map(|t| format!("{t:.3}"))
            .unwrap_or_else(|| "-".into()),
        s.duration_s
            .map(|t| format!("{t:.3}"))
            .unwrap_or_else(|| "-".into()),
        s.frames,
        s.damaged_packets.map_or_else(String::new, |n| {
            let at = s.damaged_at_s.map_or_else(String::new, |[a, b]| {
                if b > a {
                    format!(" at {a:.3}-{b:.3} s")
                } else {
                    format!(" at {a:.3} s")
                }
            });
            format!(" damaged {n}{at}")
        }),
    );
    match s.kind {
        MediaKind::Video => format!(
            "{common}  {}{} {} {} fps (r {}){}{}{}",
            match (s.width, s.height, s.shown_width, s.shown_height) {
                (Some(w), Some(h), Some(sw), Some(sh)) => size_words((w, h), (sw, sh)),
                _ => format!("{}x{}", opt(&s.width), opt(&s.height)),
            },
            match s.sample_aspect.as_deref() {
                Some(a) if a != "1/1" => format!(" (pixels {a})"),
                _ => String::new(),
            },
            opt(&s.pix_fmt),
            opt(&s.avg_frame_rate),
            opt(&s.real_frame_rate),
            if s.vfr == Some(true) { " VFR" } else { "" },
            match s.rotation_deg {
                Some(r) if r != 0.0 => format!(" rotation {r}"),
                _ => String::new(),
            },
            colour(s),
        ),
        MediaKind::Audio => format!(
            "{common}  {} Hz {} ({} ch) {} samples, encoder delay {}{}",
            opt(&s.sample_rate),
            opt(&s.channel_layout),
            opt(&s.channels),
            opt(&s.samples),
            opt(&s.encoder_delay_samples),
            match s.start_trim_samples {
                Some(n) if n > 0 => format!(", start trim {n}"),
                _ => String::new(),
            },
        ),
        _ => common,
    }
}
