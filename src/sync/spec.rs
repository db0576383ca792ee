//! The shot list of a sequence, for per-shot offsets: the shots of an edit spec
//! ([`crate::timeline::EditSpec`]) where `concat` puts them in the joined file.

use crate::concat::{self, plan, source::Source};
use crate::error::Result;
use crate::specfile;
use crate::time::Spans;
use crate::timeline::EditSpec;
use std::path::Path;

/// Where each shot of the sequence starts and ends in the file `cutroom concat` joins from
/// `spec` (default options): concat's own plan, from a scan of each source's video packets (no
/// sound decoded). An error names the list (`seq.toml: shot 2: ...`).
pub fn shot_spans(spec: &Path) -> Result<Spans> {
    let parsed = EditSpec::load(spec)?;
    plan::contents(&parsed, |paths| {
        paths.iter().map(|p| Source::scan(p)).collect()
    })
    .and_then(|contents| plan::plan(&parsed, contents, &concat::Options::default()))
    .map(|plan| plan.spans())
    .map_err(|e| specfile::in_spec(spec, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_with(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let clip = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/marker_portrait_30.mp4");
        std::fs::copy(clip, dir.path().join("a.mp4")).unwrap();
        let spec = dir.path().join("seq.toml");
        std::fs::write(&spec, text).unwrap();
        (dir, spec)
    }

    #[test]
    fn spans_add_up_from_in_and_out_with_frames_and_crossfades() {
        let (_d, spec) = spec_with(
            "[[shot]]\nsrc = \"a.mp4\"\nin = 0.5\nout = 4.0\n\n[[shot]]\nsrc = \"a.mp4\"\nout = \"30f\"\ntransition = { kind = \"crossfade\", duration = 0.5 }\n\n[[shot]]\nsrc = \"a.mp4\"\n",
        );
        let spans = shot_spans(&spec).unwrap();
        let micros = crate::time::TimeBase::new(cutroom_ffi::Rational::new(1, 1_000_000)).unwrap();
        let at = |t: crate::time::Ticks| t.rescale(spans.time_base, micros).0;
        assert_eq!(
            spans
                .spans
                .iter()
                .map(|&(a, b)| (at(a), at(b)))
                .collect::<Vec<_>>(),
            vec![
                (0, 3_500_000),
                (3_500_000, 4_500_000),
                (4_000_000, 10_000_000)
            ]
        );
    }

    #[test]
    fn bad_lists_name_the_file_shot_or_key() {
        let (_d, spec) = spec_with("[[shot]]\nsrc = \"b.mp4\"\n");
        let e = shot_spans(&spec).unwrap_err().to_string();
        assert!(e.contains("b.mp4") && e.contains("no such file"), "{e}");
        assert!(
            e.starts_with(&format!("{}: shot 1: ", spec.display())),
            "{e}"
        );
        std::fs::write(&spec, "[[shot]]\nsrc = \"a.mp4\"\nin = 3.0\nout = 2.0\n").unwrap();
        let e = shot_spans(&spec).unwrap_err().to_string();
        let a = spec.with_file_name("a.mp4");
        let said = format!("{}: shot 1: {}: out ", spec.display(), a.display());
        assert!(e.starts_with(&said) && e.contains("is not after"), "{e}");
        std::fs::write(&spec, "[[shot]]\nsrc = \"a.mp4\"\nsource = 1\n").unwrap();
        let e = shot_spans(&spec).unwrap_err().to_string();
        assert!(e.contains("source"), "unknown keys are named: {e}");
    }
}
