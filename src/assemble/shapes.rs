//! Each deliverable's shape: a cut holding shots of another shape than its frame (a portrait
//! shot boxed in a landscape cut) is exported, for a deliverable of another shape than the cut,
//! from the shots' sources reframed to that shape, so a shot of the deliverable's shape fills
//! it rather than showing as a box inside bars inside the deliverable's reframing. Timing,
//! sound, cards and captions stay the one cut's.

use crate::concat::normalise::Refit;
use crate::concat::plan::{fit_size, framings, Plan};
use crate::concat::NormalisedPicture;
use crate::error::{Error, Result};
use crate::export::preset::Preset;
use crate::export::reframe::filter_graph;
use crate::export::{self, FeedSound, GivenSoundtrack};
use crate::output::Batch;
use crate::picture::turn::Turn;
use crate::progress::Progress;
use std::sync::{Arc, Mutex};

/// The deliverables made from one picture: the cut's own frame (`size` `None`) or a frame of
/// another shape.
struct Group {
    size: Option<(u32, u32)>,
    /// Indices into the request's presets.
    presets: Vec<usize>,
}

/// Whether a `(w, h)` picture fills a frame of `size` without bars (same shape, to the pixel).
fn fills((w, h): (u32, u32), size: (u32, u32)) -> bool {
    fit_size((w, h), size) == size
}

/// Whether some file's picture has another shape than the cut's frame.
fn mixed(plan: &Plan) -> bool {
    let frame = (plan.target.width, plan.target.height);
    framings(plan).iter().any(|f| !fills(f.shown, frame))
}

/// `presets` by the picture they are made from: those of the cut's shape (and every one when
/// the shots all have it, or with `follow` (`--focus auto`, its window moving over the cut))
/// from the cut, the others by shape, each group's frame the size of its largest preset. The
/// cut's group first, so the contact sheet's thumbnails are the cut's.
fn groups(presets: &[Preset], plan: &Plan, follow: bool) -> Vec<Group> {
    let frame = (plan.target.width, plan.target.height);
    let one = !mixed(plan) || follow;
    let mut groups = vec![Group {
        size: None,
        presets: Vec::new(),
    }];
    for (i, p) in presets.iter().enumerate() {
        let size = (p.width, p.height);
        if one || fills(frame, size) {
            groups[0].presets.push(i);
            continue;
        }
        match groups
            .iter_mut()
            .find(|g| g.size.is_some_and(|s| fills(s, size)))
        {
            Some(g) => {
                let s = g.size.as_mut().expect("matched Some");
                if u64::from(size.0) * u64::from(size.1) > u64::from(s.0) * u64::from(s.1) {
                    *s = size;
                }
                g.presets.push(i);
            }
            None => groups.push(Group {
                size: Some(size),
                presets: vec![i],
            }),
        }
    }
    groups.retain(|g| !g.presets.is_empty());
    groups
}

/// The names of the `presets` that show the cut's own frame (and so its bars), with `follow`
/// as for [`groups`].
pub fn showing_the_cut<'a>(presets: &'a [Preset], plan: &Plan, follow: bool) -> Vec<&'a str> {
    let groups = groups(presets, plan, follow);
    let cut = groups.iter().find(|g| g.size.is_none());
    cut.map_or_else(Vec::new, |g| {
        g.presets
            .iter()
            .map(|&i| presets[i].name.as_str())
            .collect()
    })
}

/// Export the normalised `cut` to every preset of `req` with the soundtrack `given`, each
/// preset from the picture of its group (see [`groups`]): a frame of another shape than the
/// cut's has each shot reframed from its source as `req.reframe` says (export's graph, so a
/// shot of that shape fills it). The soundtrack is made once; the report lists the outputs
/// in the order of `req.presets`, and the returned batch stages them all.
pub fn export(
    req: &export::Request,
    cut: NormalisedPicture,
    given: GivenSoundtrack<'_>,
    progress: &dyn Progress,
) -> Result<(export::Report, Batch)> {
    let groups = groups(&req.presets, cut.plan(), req.reframe.follow_motion);
    if groups.len() == 1 && groups[0].size.is_none() {
        return export::export_join(req, cut, Some(FeedSound::Given(given)), progress);
    }
    let reframe = req.reframe;
    let refit: Refit =
        Arc::new(move |(w, h), (tw, th)| filter_graph(w, h, Turn::None, tw, th, &reframe));
    let mut pictures: Vec<NormalisedPicture> = groups
        .iter()
        .filter_map(|g| g.size.map(|s| cut.reshaped(s, refit.clone())))
        .collect();
    if groups[0].size.is_none() {
        pictures.insert(0, cut);
    }
    // The first export makes the soundtrack; the others mux the same one.
    let made = Mutex::new(None);
    let made = &made;
    let mut given = Some(given);
    let mut report = export::Report::default();
    let mut batch = Batch::new();
    let mut outputs = Vec::new();
    for (n, (group, picture)) in groups.iter().zip(pictures).enumerate() {
        let sound: GivenSoundtrack<'_> = match given.take() {
            Some(g) => Box::new(move || {
                let m = g()?;
                *made.lock().expect("no poisoned soundtrack") = Some(m.clone());
                Ok(m)
            }),
            None => Box::new(move || {
                (made.lock().expect("no poisoned soundtrack").clone())
                    .ok_or_else(|| Error::Internal("the first export made no soundtrack".into()))
            }),
        };
        let part = export::Request {
            presets: group
                .presets
                .iter()
                .map(|&i| req.presets[i].clone())
                .collect(),
            thumbnails: req.thumbnails.clone().filter(|_| n == 0),
            ..req.clone()
        };
        let (r, files) =
            export::export_join(&part, picture, Some(FeedSound::Given(sound)), progress)?;
        batch.append(files);
        if n == 0 {
            (report.input, report.thumbnails) = (r.input, r.thumbnails);
        }
        for d in r.damaged_packets {
            if !(report.damaged_packets.iter()).any(|k| (&k.file, k.stream) == (&d.file, d.stream))
            {
                report.damaged_packets.push(d);
            }
        }
        outputs.extend(group.presets.iter().copied().zip(r.outputs));
    }
    outputs.sort_by_key(|(i, _)| *i);
    report.outputs = outputs.into_iter().map(|(_, o)| o).collect();
    Ok((report, batch))
}
