//! The shot list of a sequence, for per-shot offsets: the shots of an edit spec
//! ([`crate::timeline::EditSpec`]) where `concat` puts them in the joined file.

use crate::concat::{self, plan, source::Source};
use crate::error::Result;
use crate::specfile;
use crate::time::{Spans, Ticks};
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

/// How a shot list fits the picture it is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fit {
    /// It ends with the picture (within a frame and a half), and its joins are where the picture
    /// cuts, or the picture shows no cut the list does not have.
    Fits,
    /// It ends more than a frame and a half after the picture: per shot, how much of it lies
    /// past the picture's end (the whole shot for one that starts there; 0 for a whole shot).
    Short(Vec<Ticks>),
    /// It ends more than a frame and a half before the picture.
    Long,
    /// The picture cuts where the list has no join, and shows no cut at some of its joins: the
    /// shots are in another order, or trimmed otherwise, than the file's.
    Misplaced {
        /// The list's joins the picture shows no cut at.
        joins: Vec<Ticks>,
        /// The picture's cuts the list has no join at.
        cuts: Vec<Ticks>,
    },
}

/// How the shots `listed` (on the picture's timeline) fit a picture that ends at `end`, cuts at
/// `cuts` and has frames of `frame` ticks. A join is a shot starting where the one before it
/// ends (a cut or a dip); a crossfade's overlap may show a cut anywhere in it.
pub fn fit(listed: &[(Ticks, Ticks)], cuts: &[Ticks], frame: Ticks, end: Ticks) -> Fit {
    let near = |a: Ticks, b: Ticks| (a.0 - b.0).abs() * 2 <= frame.0 * 3;
    let Some(&(_, last)) = listed.last() else {
        return Fit::Fits;
    };
    if last.0 > end.0 && !near(last, end) {
        return Fit::Short(
            listed
                .iter()
                .map(|&(s, e)| Ticks((e.0 - end.0.max(s.0)).max(0)))
                .collect(),
        );
    }
    if !near(last, end) {
        return Fit::Long;
    }
    let pairs = || listed.windows(2).map(|w| (w[0], w[1]));
    let joins: Vec<Ticks> = pairs()
        .filter(|(a, b)| a.1 == b.0)
        .map(|(_, b)| b.0)
        .collect();
    let overlaps: Vec<(Ticks, Ticks)> = pairs()
        .filter(|(a, b)| a.1 > b.0)
        .map(|(a, b)| (b.0, a.1))
        .collect();
    let unseen: Vec<Ticks> = (joins.iter().copied())
        .filter(|&j| !cuts.iter().any(|&c| near(c, j)))
        .collect();
    let stray: Vec<Ticks> = (cuts.iter().copied())
        .filter(|&c| !joins.iter().any(|&j| near(c, j)))
        .filter(|&c| {
            !(overlaps.iter()).any(|&(s, e)| (s.0 <= c.0 && c.0 <= e.0) || near(c, s) || near(c, e))
        })
        .collect();
    if unseen.is_empty() || stray.is_empty() {
        return Fit::Fits;
    }
    Fit::Misplaced {
        joins: unseen,
        cuts: stray,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shots of 4, 5 and 6 s (ticks of 1/30 s) listed 6, 4, 5: their joins at 6 and 10 s show
    /// no cut, and the picture cuts at 4 and 9 s.
    #[test]
    fn a_list_out_of_order_is_misplaced_and_a_short_file_says_what_is_missing() {
        let s = |secs: i64| Ticks(secs * 30);
        let (frame, end) = (Ticks(1), s(15));
        let listed = |lens: &[i64]| -> Vec<(Ticks, Ticks)> {
            let mut at = 0;
            (lens.iter())
                .map(|l| {
                    at += l;
                    (s(at - l), s(at))
                })
                .collect()
        };
        let cuts = [s(4), s(9)];
        assert_eq!(fit(&listed(&[4, 5, 6]), &cuts, frame, end), Fit::Fits);
        // Cuts a frame off the joins still fit; a picture that shows no cut at all too.
        assert_eq!(
            fit(&listed(&[4, 5, 6]), &[Ticks(121), Ticks(269)], frame, end),
            Fit::Fits
        );
        assert_eq!(fit(&listed(&[6, 4, 5]), &[], frame, end), Fit::Fits);
        assert_eq!(
            fit(&listed(&[6, 4, 5]), &cuts, frame, end),
            Fit::Misplaced {
                joins: vec![s(6), s(10)],
                cuts: vec![s(4), s(9)]
            }
        );
        // A cut inside a source, where every join shows its cut, is the source's own.
        assert_eq!(
            fit(&listed(&[4, 5, 6]), &[s(4), s(7), s(9)], frame, end),
            Fit::Fits
        );
        // A crossfade's overlap (shot 2 starts at 3 s, shot 1 ends at 4 s) may cut anywhere.
        let faded = [(s(0), s(4)), (s(3), s(9)), (s(9), s(15))];
        assert_eq!(fit(&faded, &[Ticks(105), s(9)], frame, end), Fit::Fits);
        // The list runs 3 s past the picture: shot 3 has 3 of its 6 s missing; with a fourth
        // shot, that one wholly.
        assert_eq!(
            fit(&listed(&[4, 5, 6]), &cuts, frame, s(12)),
            Fit::Short(vec![Ticks(0), Ticks(0), s(3)])
        );
        assert_eq!(
            fit(&listed(&[4, 5, 6, 2]), &cuts, frame, s(12)),
            Fit::Short(vec![Ticks(0), Ticks(0), s(3), s(2)])
        );
        assert_eq!(fit(&listed(&[4, 5]), &cuts, frame, end), Fit::Long);
    }

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
