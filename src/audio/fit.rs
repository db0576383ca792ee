//! Placing a soundtrack on a picture: offset, fit to the picture's length, fades.

use crate::error::Error;
use crate::pcm::Pcm;
use std::str::FromStr;

/// Longest crossfade at each loop seam (see [`Pcm::looped`]).
pub const LOOP_CROSSFADE_MS: f64 = 50.0;

/// What to do when the soundtrack and the picture differ in length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Repeat a shorter soundtrack (crossfading each seam) to the picture's end.
    Loop,
    /// Follow a shorter soundtrack with silence to the picture's end.
    Pad,
    /// End the output with a shorter soundtrack: the picture is cut at the last point, at or
    /// before the soundtrack's end, where it can be cut without re-encoding.
    Trim,
}

impl FromStr for Fit {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "loop" => Ok(Self::Loop),
            "pad" => Ok(Self::Pad),
            "trim" => Ok(Self::Trim),
            _ => Err(Error::Usage(format!(
                "--fit must be loop, pad or trim, not {s:?}"
            ))),
        }
    }
}

/// Where and how a soundtrack goes on the picture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Shorter-soundtrack handling.
    pub fit: Fit,
    /// Where the soundtrack starts, in sample frames from the first video frame: positive
    /// delays it (silence before), negative skips its beginning.
    pub offset: i64,
    /// Fade-in over this many frames where the soundtrack enters.
    pub fade_in: usize,
}

impl Placement {
    /// How much of a sound `track` frames long a picture `len` frames long plays, in frames:
    /// what the offset does not skip, looped or cut to the room the offset's lead leaves.
    fn heard(&self, track: usize, len: usize) -> usize {
        let lead = usize::try_from(self.offset.max(0)).unwrap_or(usize::MAX);
        let skip = usize::try_from(-self.offset.min(0)).unwrap_or(usize::MAX);
        let (sound, room) = (track.saturating_sub(skip), len.saturating_sub(lead));
        match self.fit {
            Fit::Loop if sound > 0 => room,
            _ => sound.min(room),
        }
    }

    /// How many frames of a soundtrack, from its sample 0, a picture `len` frames long uses:
    /// what the offset skips, then the room its lead leaves.
    pub fn used(&self, len: usize) -> usize {
        let lead = usize::try_from(self.offset.max(0)).unwrap_or(usize::MAX);
        let skip = usize::try_from(-self.offset.min(0)).unwrap_or(usize::MAX);
        skip.saturating_add(len.saturating_sub(lead))
    }

    /// What fitting a sound `track` frames long (decoded at least one frame past what is
    /// [`used`](Self::used), when it holds them) to a picture `len` frames long does to it.
    pub fn fitted(&self, track: usize, len: usize) -> Fitted {
        let lead = usize::try_from(self.offset.max(0)).unwrap_or(usize::MAX);
        let skip = usize::try_from(-self.offset.min(0)).unwrap_or(usize::MAX);
        let (sound, room) = (track.saturating_sub(skip), len.saturating_sub(lead));
        // A sound that plays nowhere (an offset past either end) is said otherwise.
        let heard = sound > 0 && room > 0;
        Fitted {
            ends: lead.saturating_add(sound.min(room)),
            padded: match self.fit {
                Fit::Pad if heard => room.saturating_sub(sound),
                _ => 0,
            },
            cut: heard && sound > room,
        }
    }

    /// The warning for a fade-in longer than the part of the new sound (`track` frames at
    /// `rate`) a picture `len` frames long plays: the sound never reaches full level.
    pub fn fade_in_warning(&self, track: usize, len: usize, rate: u32) -> Option<String> {
        let heard = self.heard(track, len);
        let secs = |frames: usize| frames as f64 / f64::from(rate.max(1));
        (heard > 0 && self.fade_in > heard).then(|| {
            format!(
                "--fade-in {:.3} s is longer than the new audio heard ({:.3} s of the {:.3} s \
                 output), so it never reaches full level",
                secs(self.fade_in),
                secs(heard),
                secs(len)
            )
        })
    }
}

/// What fitting a sound to the picture did to it ([`Placement::fitted`]), in frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fitted {
    /// Where the sound ends on the picture.
    pub ends: usize,
    /// Silence after it to the picture's end (`--fit pad`).
    pub padded: usize,
    /// It ran on past the picture's end and was cut there.
    pub cut: bool,
}

impl Fitted {
    /// What happened to the sound (`what`: `the new audio`, `the music bed`), in words, for a
    /// picture `len` frames long at `rate`; `None` when it was neither padded nor cut.
    pub fn words(&self, what: &str, len: usize, rate: u32) -> Option<String> {
        let secs = |frames: usize| frames as f64 / f64::from(rate.max(1));
        if self.cut {
            return Some(format!(
                "{what} runs on past the picture's end ({:.3} s): it is cut there",
                secs(len)
            ));
        }
        (self.padded > 0).then(|| {
            format!(
                "{what} ends at {:.3} s, {:.3} s before the picture ({:.3} s): silence to its \
                 end (--fit loop repeats the audio, --fit trim cuts the picture to it)",
                secs(self.ends),
                secs(self.padded),
                secs(len)
            )
        })
    }
}

/// The warning for a music bed that is digital silence wherever the output plays it (`file`,
/// the bed as given): nothing is laid under the sound, as the user may not expect.
pub fn silent_bed_warning(file: &std::path::Path) -> String {
    format!(
        "{}: the music bed is digital silence where the output plays it: nothing is laid \
         under the sound",
        file.display()
    )
}

/// Lay `track` on a picture `len` frames long. The result is `len` frames long, except with
/// [`Fit::Trim`] and a soundtrack that ends early: then it ends where the soundtrack ends. A
/// longer soundtrack is always cut at the picture's end. Fade-out is left to the caller, once
/// the final length is known.
pub fn place(track: Pcm, len: usize, p: &Placement) -> Pcm {
    // Silence past the picture's end is never heard: the lead is at most the picture.
    let lead = usize::try_from(p.offset.max(0))
        .unwrap_or(usize::MAX)
        .min(len);
    if lead == len {
        return Pcm::silence(track.rate, track.channels, len);
    }
    let mut body = track;
    body.shift(p.offset.min(0));
    let room = len.saturating_sub(lead);
    let body_len = match p.fit {
        Fit::Loop if body.frames() > 0 && body.frames() < room => {
            let xf = body.ms_to_frames(LOOP_CROSSFADE_MS);
            body = body.looped(room, xf);
            room
        }
        Fit::Trim => body.frames().min(room),
        _ => room,
    };
    body.fit(body_len);
    body.fade_in(p.fade_in.min(body_len));
    body.shift(lead as i64);
    if p.fit == Fit::Trim && body.frames() > len {
        body.fit(len);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcm::Layout;

    fn ramp(n: usize) -> Pcm {
        Pcm {
            rate: 1000,
            channels: 1,
            layout: Layout::DEFAULT,
            data: (1..=n).map(|i| i as f32).collect(),
        }
    }

    #[test]
    fn offsets_and_fits() {
        let t = ramp(100);
        let at = |fit, offset| {
            place(
                t.clone(),
                250,
                &Placement {
                    fit,
                    offset,
                    fade_in: 0,
                },
            )
        };
        let pad = at(Fit::Pad, 10);
        assert_eq!(pad.frames(), 250);
        assert_eq!(pad.data[9], 0.0);
        assert_eq!(pad.data[10], 1.0);
        assert_eq!(pad.data[110], 0.0);
        let early = at(Fit::Pad, -10);
        assert_eq!(early.data[0], 11.0);
        let trim = at(Fit::Trim, 10);
        assert_eq!(trim.frames(), 110);
        let looped = at(Fit::Loop, 0);
        assert_eq!(looped.frames(), 250);
        assert!(looped.data[200] > 0.0);
        // An offset past either end leaves the picture silent, without materialising it.
        for offset in [250, i64::MAX, -100, i64::MIN] {
            for fit in [Fit::Loop, Fit::Pad, Fit::Trim] {
                let p = at(fit, offset);
                // With --fit trim, a soundtrack skipped entirely is empty (an error later).
                let len = if fit == Fit::Trim && offset < 0 {
                    0
                } else {
                    250
                };
                assert_eq!(p.frames(), len, "{fit:?} {offset}");
                assert!(p.data.iter().all(|&v| v == 0.0));
            }
        }
        // Longer soundtracks are cut at the picture's end whatever the fit.
        for fit in [Fit::Loop, Fit::Pad, Fit::Trim] {
            assert_eq!(
                place(
                    ramp(400),
                    250,
                    &Placement {
                        fit,
                        offset: 0,
                        fade_in: 0
                    }
                )
                .frames(),
                250
            );
        }
    }
}
