//! `out/report.html`: the report for people: inputs with their contact sheet, soundtrack, and
//! per deliverable its figures and sync plot.

use super::Report;
use crate::error::Result;
use crate::output::AtomicOutput;
use crate::sync::sound::Sound;
use std::fmt::Write as _;
use std::path::Path;

/// Escape text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A file name relative to the report (the deliverables sit beside it).
fn rel(p: &str) -> String {
    esc(&Path::new(p)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default())
}

/// Write `report` as HTML for `path`, in a temp file beside it that the caller commits.
pub fn write(path: &Path, report: &Report) -> Result<AtomicOutput> {
    let mut h = String::new();
    let opt = |v: Option<f64>, unit: &str| v.map_or("-".into(), |v| format!("{v:.1} {unit}"));
    let _ = write!(
        h,
        "<!doctype html><meta charset=utf-8><title>{name}</title>\
         <style>body{{font:14px sans-serif;margin:2em}}td,th{{padding:2px 8px;text-align:left}}\
         .pass{{color:#070}}.fail{{color:#b00}}.inconclusive{{color:#a60}}</style>\
         <h1>{name}</h1><p>{dur:.3} s, {n} shot{s} ({path}), spec {spec}</p><h2>Shots</h2>\
         <table><tr><th>#</th><th>source</th><th>how</th><th>in</th><th>out</th><th>transition</th></tr>",
        name = esc(&report.name),
        dur = report.cut.duration_s,
        n = report.inputs.len(),
        s = if report.inputs.len() == 1 { "" } else { "s" },
        path = report.cut.path,
        spec = esc(&report.spec),
    );
    for (i, (input, shot)) in report.inputs.iter().zip(&report.cut.shots).enumerate() {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.3}</td><td>{:.3}</td><td>{}</td></tr>",
            i + 1,
            esc(&input.source),
            input.how,
            shot.in_s,
            shot.out_s,
            shot.transition
        );
    }
    let s = &report.soundtrack;
    let _ =
        write!(
        h,
        "</table>{}<h2>Soundtrack</h2><p>music {}, voice {}, ducked under {}; target {:.1} LUFS, \
         {:.1} dBTP; measured {} / true peak {}</p><h2>Deliverables</h2>",
        report.contact_sheet.as_deref().map_or(String::new(), |c| format!(
            "<p><img src=\"{}\" alt=\"contact sheet: one numbered thumbnail per shot\" \
             style=\"max-width:100%\"></p>",
            rel(c)
        )),
        esc(s.music.as_deref().unwrap_or("none")),
        esc(s.voice.as_deref().unwrap_or("none")),
        s.duck_key.map_or_else(|| "-".into(), |k| k.to_string()),
        s.target_lufs,
        s.true_peak_dbtp,
        opt(s.loudness.integrated_lufs, "LUFS"),
        opt(s.loudness.true_peak_dbtp, "dBTP"),
    );
    for o in &report.outputs {
        let _ = write!(
            h,
            "<h3><a href=\"{file}\">{file}</a></h3><p>{preset}: {w}x{hh}, {d:.3} s, {kb} kB, \
             {lufs}, true peak {tp}; sync <b class={v}>{v}</b> ({reason})</p>\
             <table><tr><th>shot</th><th>span</th><th>offset</th><th>confidence</th></tr>",
            file = rel(&o.path),
            preset = esc(&o.preset),
            w = o.width,
            hh = o.height,
            d = o.duration_s,
            kb = o.bytes.div_ceil(1000),
            lufs = opt(o.loudness.integrated_lufs, "LUFS"),
            tp = opt(o.loudness.true_peak_dbtp, "dBTP"),
            v = o.sync_verdict.as_str(),
            reason = esc(&o.sync_reason),
        );
        for sh in &o.shots {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{:.2}-{:.2} s</td><td>{}</td><td>{:.2}</td></tr>",
                sh.index + 1,
                sh.start_s,
                sh.end_s,
                match sh.sound.and_then(Sound::instead_of_offset) {
                    Some(words) if sh.offset_ms.is_none() => words.into(),
                    _ => opt(sh.offset_ms, "ms"),
                },
                sh.confidence
            );
        }
        let _ = write!(h, "</table><img src=\"{}\" width=800>", rel(&o.sync_plot));
    }
    let _ = write!(
        h,
        "<p>timeline: <a href=\"{t}\">{t}</a></p>",
        t = rel(&report.timeline)
    );
    let out = AtomicOutput::new(path)?;
    out.write(h)?;
    Ok(out)
}
