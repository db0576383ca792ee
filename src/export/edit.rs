//! An export's own edit of its input (`export --speed`, `--fit-to`, `--freeze`, `--title-card`,
//! `--end-card`): the input becomes one shot of a cut, retimed, between a title and an end
//! card, and is joined by concat's plan and normalise path (the very code `cut.toml` goes
//! through). The conformed frames go straight into the export's encoders; the joined sound
//! (stretched at pitch, silent under the cards and the freeze) is levelled per preset as an
//! input's own sound is.

use super::{export_join, FeedSound, Report, Request};
use crate::audio::soundtrack::{CHANNELS, RATE};
use crate::captions::cards::Given;
use crate::concat::{self, plan::VideoPath};
use crate::error::{Error, Result};
use crate::progress::{Progress, Tally, Warnings};
use crate::timeline::{Card, EditSpec, Shot, TimeSpec, Transition};

/// What an export changes in its input's timeline.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    /// Play the input this many times faster (0.25-4).
    pub speed: Option<f64>,
    /// Or retime it to last exactly this long (a speed of 0.25-4).
    pub fit: Option<TimeSpec>,
    /// Hold its last frame this long after it (silent).
    pub freeze: Option<TimeSpec>,
    /// A card before the input.
    pub title: Option<Card>,
    /// A card after it.
    pub end: Option<Card>,
}

impl Edit {
    /// Nothing to change: the input is exported as it is.
    pub fn is_empty(&self) -> bool {
        self.speed.is_none_or(|s| s == 1.0)
            && self.fit.is_none()
            && self.freeze.is_none()
            && self.title.is_none()
            && self.end.is_none()
    }

    /// `e` (from planning the cut) saying which option a shot came from rather than its
    /// number: `--title-card: ...`, `--end-card: ...`, or nothing for the input (its file is
    /// named).
    fn name_shots(&self, e: Error) -> Error {
        match e {
            Error::Shot { number, source } => {
                let title = usize::from(self.title.is_some());
                match number {
                    n if n <= title => source.context("--title-card"),
                    n if n == title + 1 => *source,
                    _ => source.context("--end-card"),
                }
            }
            Error::Many(of, all) => {
                Error::Many(of, all.into_iter().map(|e| self.name_shots(e)).collect())
            }
            e => e,
        }
    }

    /// The cut: title card, the input (at its speed), end card.
    fn spec(&self, req: &Request) -> EditSpec {
        let mut shot = Vec::new();
        if let Some(c) = &self.title {
            shot.push(c.shot(c.transition));
        }
        shot.push(Shot {
            speed: self.speed.filter(|&s| s != 1.0),
            fit: self.fit,
            freeze: self.freeze,
            transition: self.end.as_ref().map_or(Transition::Cut, |c| c.transition),
            ..Shot::whole(&req.input)
        });
        if let Some(c) = &self.end {
            shot.push(c.shot(Transition::Cut));
        }
        EditSpec {
            shot,
            command_line: false,
        }
    }
}

/// Export `req` with `edit` applied (see the module doc). `req.captions` are in the input's
/// time: they follow it onto the edited timeline (speed and the title card's length); the
/// overlays' times are the edited timeline's.
pub fn export_edited(req: &Request, edit: &Edit, progress: &dyn Progress) -> Result<Report> {
    let spec = edit.spec(req);
    spec.validate().map_err(Error::Usage)?;
    for (option, card) in [("--title-card", &edit.title), ("--end-card", &edit.end)] {
        let text = card.as_ref().and_then(|c| c.text.as_deref());
        if let Some(w) = text.and_then(|t| crate::captions::font::warning(option, t)) {
            progress.warn(&w);
        }
    }
    let opts = concat::Options {
        sample_rate: RATE,
        channels: CHANNELS,
        ..concat::Options::default()
    };
    // The shots' damaged packets, found in reading them, are the report's too.
    let tally = Tally::new(progress);
    let progress = &tally;
    progress.start("read", spec.shot.len() as u64);
    let prepared = concat::prepare(&spec, &opts, progress).map_err(|e| edit.name_shots(e))?;
    progress.finish(None);
    if prepared.plan.path != VideoPath::Normalise {
        return Err(Error::Internal(
            "an edited export makes its frames (normalise path)".into(),
        ));
    }
    let clip = &prepared.plan.shots[usize::from(edit.title.is_some())];
    let silent = !clip.content.clip().is_some_and(|c| c.has_audio());
    let (time, _) = clip.time_on_cut(prepared.plan.target.time_base);
    let mut edited = req.clone();
    // Each deliverable draws the cards again at its own shape.
    edited.overlays.cards = concat::card::shown(&prepared.plan);
    // Named by the options that made them, as their errors are (`name_shots`).
    for (k, c) in edited.overlays.cards.iter_mut().enumerate() {
        c.what = Given::Option(match k == 0 && edit.title.is_some() {
            true => "--title-card",
            false => "--end-card",
        });
    }
    edited.captions = req.captions.on_cut(&time);
    let cards = edit.title.iter().chain(&edit.end);
    edited.reads.extend(cards.filter_map(|c| c.image.clone()));
    // On the normalise path nothing is written to the file named here.
    let (pcm, picture) =
        concat::execute_for_export(prepared, &opts, &req.input, &Warnings(progress))?;
    let concat::Picture::Frames(frames) = picture else {
        return Err(Error::Internal(
            "an edited export makes its frames (normalise path)".into(),
        ));
    };
    let sound = req.audio.then_some(FeedSound::Own { pcm, silent });
    let (mut report, files) = export_join(&edited, frames, sound, progress)?;
    files.commit()?;
    report.damaged_packets = tally.damaged_packets();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_parse_from_inline_toml_and_are_checked_as_shots() {
        let c = Card::parse(
            r##"text = "Thanks", color = "#101010", duration = "2s", transition = { kind = "fade", duration = 0.5 }"##,
        )
        .unwrap();
        assert_eq!(c.duration, Some(TimeSpec::Nanos(2_000_000_000)));
        assert_eq!(c.transition.kind(), crate::timeline::TransitionKind::Fade);
        let e = Card::parse("text = \"Hi\"").unwrap_err();
        assert!(e.starts_with("a text card needs a duration"), "{e}");
        let e = Card::parse("src = \"a.mp4\", duration = 1").unwrap_err();
        assert!(e.contains("unknown field `src`"), "{e}");
        let e = Card::parse("color = \"#101010\", image = \"a.png\", duration = 1").unwrap_err();
        assert!(
            e.contains("not image and color") || e.contains("exactly one"),
            "{e}"
        );
    }
}
