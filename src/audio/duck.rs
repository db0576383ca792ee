//! `duck`: lay a music bed under a clip's dialogue, lowered while someone speaks, the picture
//! copied untouched.

use super::fit::{place, silent_bed_warning, Fitted, Placement};
use super::format::SoundFormat;
use super::load;
use super::picture::Picture;
use super::sidechain::{
    detect, detect_in, duck_bed, envelope, Activity, BlockLevels, DuckShape, Threshold,
};
use super::soundtrack::{finish, Finished, Level, SoundtrackReport, CHANNELS, RATE};
use super::stems::write_wav;
use super::swap::changed;
use crate::error::{Error, Result};
use crate::media;
use crate::output::{check_outputs, Batch, Planned};
use crate::pcm::{decode_aligned, stream_aligned, Layout, Pcm};
use crate::progress::Progress;
use crate::provenance::Signing;
use cutroom_ffi::MediaKind;
use std::path::{Path, PathBuf};

/// The stem files `--stems DIR` holds, in the order of [`DuckReport::stems`].
pub const STEMS: [&str; 4] = ["voice.wav", "music.wav", "mix.wav", "gain.wav"];

/// Everything `duck` needs besides the files.
#[derive(Debug, Clone)]
pub struct DuckOptions {
    /// Offset, fit and fade-in of the music.
    pub placement: Placement,
    /// Fade-out of the whole output at its end, in frames at [`RATE`].
    pub fade_out: usize,
    /// How speech is told from background.
    pub threshold: Threshold,
    /// Level of the music bed, dB, applied before ducking (0: as the file is).
    pub gain_db: f64,
    /// Depth and timing of the dip.
    pub shape: DuckShape,
    /// Loudness or peak handling of the mix.
    pub level: Level,
    /// Whether and how the output MP4 is signed.
    pub sign: Signing,
}

/// The files of one `duck` run.
#[derive(Debug, Clone, Copy)]
pub struct DuckFiles<'a> {
    /// The clip: its picture is kept, its audio is the voice unless `voice` is given.
    pub video: &'a Path,
    /// The music bed.
    pub music: &'a Path,
    /// A separate voice track (replaces the clip's audio).
    pub voice: Option<&'a Path>,
    /// The output MP4.
    pub out: &'a Path,
    /// Where to write the stems (`voice.wav`, `music.wav`, `mix.wav`, `gain.wav`).
    pub stems: Option<&'a Path>,
}

/// What a `duck` run made.
#[derive(Debug, Clone, PartialEq)]
pub struct DuckReport {
    /// The soundtrack written.
    pub soundtrack: SoundtrackReport,
    /// The speech threshold used, dBFS RMS over 10 ms.
    pub threshold_dbfs: f64,
    /// The speech phrases the music was lowered for ([`Activity::phrases`]), `[start, end)` in
    /// seconds.
    pub speech: Vec<(f64, f64)>,
    /// Stem files written.
    pub stems: Vec<PathBuf>,
    /// What fitting did to the music bed (padded, or cut at the picture's end).
    pub fitted: Fitted,
    /// What converting the music and the voice to 48 kHz stereo did to them, the words of
    /// their notes (see [`super::swap::changed`]); empty when neither was changed.
    pub audio_changed: Vec<String>,
}

/// The format of `video`'s sound (FFmpeg's pick of its audio tracks; `None` without one).
fn own_sound(video: &Path) -> Result<Option<SoundFormat>> {
    let input = media::open(video)?;
    let audio = input.best_stream(MediaKind::Audio);
    Ok(audio.map(|a| SoundFormat::of(&input.streams()[a].params)))
}

/// The channel count of a sound of `format` (1 for none).
fn channels(format: Option<&SoundFormat>) -> u16 {
    format.map_or(1, |f| f.channels.max(1))
}

/// Duck the music under the voice, mix, and write the MP4 (and the stems).
pub fn duck(files: &DuckFiles, opts: &DuckOptions, progress: &dyn Progress) -> Result<DuckReport> {
    let mut inputs = vec![files.video, files.music];
    inputs.extend(files.voice);
    let stem_paths: Vec<PathBuf> = files
        .stems
        .map(|dir| STEMS.iter().map(|s| dir.join(s)).collect())
        .unwrap_or_default();
    let mut planned = vec![Planned::file(files.out)];
    planned.extend(stem_paths.iter().map(|p| Planned::in_new_dir(p)));
    check_outputs(&planned, &inputs)?;
    let picture = Picture::scan(files.video)?;
    let len = picture.frames_at(RATE);
    let bar = progress;
    bar.start("duck", picture.packets() as u64);
    if let Some(w) = &picture.not_carried {
        bar.warn(w);
    }
    if let Some(w) = picture
        .unused_audio
        .as_ref()
        .filter(|_| files.voice.is_none())
    {
        bar.warn(w);
    }
    bar.status("decoding");
    let no_voice = || {
        Error::bad_input(
            files.video,
            "no audio track to duck the music under; give the dialogue with --voice FILE",
        )
    };
    // A frame past what is used, to tell a bed that runs on past the picture.
    let used = opts.placement.used(len).saturating_add(1);
    let music = || {
        load::load_with_format(files.music, RATE, CHANNELS, Some(used), bar).map(|(m, format)| {
            if let Some(w) = opts.placement.fade_in_warning(m.frames(), len, RATE) {
                bar.warn(&w);
            }
            let fitted = opts.placement.fitted(m.frames(), len);
            let bed = place(m, len, &opts.placement);
            if bed.data.iter().all(|&v| v == 0.0) {
                bar.warn(&silent_bed_warning(files.music));
            }
            (bed, fitted, format)
        })
    };
    let gains = |activity: &Activity, frames| envelope(activity, frames, RATE, &opts.shape);
    let bed_gain = 10f32.powf(opts.gain_db as f32 / 20.0);
    let (mix, activity, sources, gain, told) = if files.voice.is_none() && files.stems.is_none() {
        // The clip's own voice is read twice (for where it speaks, then into the mix) rather
        // than held beside the music: the mix is made in the music's buffer. Where it speaks
        // is found in the voice at its own channels (see [`BlockLevels`]).
        let own_format = own_sound(files.video)?;
        let own = channels(own_format.as_ref());
        let (levels, music) = std::thread::scope(|s| {
            let music = s.spawn(music);
            let mut levels = BlockLevels::new(RATE, own);
            let voice = stream_aligned(files.video, RATE, own, Some(len), bar, |b| {
                levels.add(b);
                Ok(())
            });
            let levels = voice.and_then(|any| {
                if any {
                    Ok(levels.finish())
                } else {
                    Err(no_voice())
                }
            });
            (levels, music.join().expect("music decoding thread"))
        });
        let activity = detect_in(levels?, opts.threshold);
        let (mut music, fitted, music_format) = music?;
        bar.status("ducking");
        let frames = music.frames();
        duck_bed(
            &mut music.data,
            CHANNELS,
            bed_gain,
            gains(&activity, frames),
        );
        // Sample addition commutes exactly: the mix is the same as made in the voice's buffer.
        let mut at = 0;
        stream_aligned(files.video, RATE, CHANNELS, Some(frames), bar, |b| {
            for (m, v) in music.data[at..].iter_mut().zip(b) {
                *m += v;
            }
            at += b.len();
            Ok(())
        })?;
        let told = (fitted, [Some(music_format), own_format]);
        (music, activity, None, None, told)
    } else {
        // Voice and music decode at the same time; the voice at its own channels, where it
        // speaks is found in (see [`BlockLevels`]), then made stereo for the mix.
        let (voice, music) = std::thread::scope(|s| {
            let music = s.spawn(music);
            let voice = match files.voice {
                Some(v) => load::load_at(v, RATE, Some(len), bar).map(|(p, f)| (p, Some(f))),
                None => own_sound(files.video).and_then(|own| {
                    let pcm = decode_aligned(files.video, RATE, channels(own.as_ref()), bar)?;
                    Ok((pcm.ok_or_else(no_voice)?, own))
                }),
            };
            (voice, music.join().expect("music decoding thread"))
        });
        let (mut voice, voice_format) = voice?;
        voice.fit(len);
        let activity = detect(&voice, opts.threshold);
        let mut voice = load::convert(voice, RATE, CHANNELS)?;
        let (mut music, fitted, music_format) = music?;
        bar.status("ducking");
        let frames = music.frames();
        // The stems keep the gain and both sources; without them the mix is made in the
        // voice's buffer and the music let go, so one copy of the sound goes on to be mastered.
        let gain: Option<Vec<f32>> = files.stems.map(|_| gains(&activity, frames).collect());
        match &gain {
            Some(g) => duck_bed(&mut music.data, CHANNELS, bed_gain, g.iter().copied()),
            None => duck_bed(
                &mut music.data,
                CHANNELS,
                bed_gain,
                gains(&activity, frames),
            ),
        }
        voice.fit(frames);
        let told = (fitted, [Some(music_format), voice_format]);
        if files.stems.is_some() {
            let mut mix = voice.clone();
            mix.mix_in(&music);
            (mix, activity, Some((voice, music)), gain, told)
        } else {
            voice.mix_in(&music);
            (voice, activity, None, None, told)
        }
    };
    let (fitted, [music_format, voice_format]) = told;
    bar.status("loudness");
    let finished = finish(
        &picture,
        files.music,
        mix,
        opts.placement.fit,
        opts.fade_out,
        opts.level,
    )?;
    bar.status("writing");
    let Finished {
        pcm: mix,
        encoded,
        keep,
        report,
    } = finished;
    let final_len = mix.frames();
    // The MP4 and the stems are moved into place together, once all are complete.
    let mut batch = Batch::new();
    let written = picture.write(files.out, encoded, keep, bar)?;
    batch.add(written.sealed(opts.sign.seal(files.out, [])));
    bar.finish(None);
    if let (Some(dir), Some((mut voice, mut music)), Some(gain)) = (files.stems, sources, gain) {
        batch.make_dir(dir)?;
        let mut gain = Pcm {
            rate: RATE,
            channels: 1,
            layout: Layout::DEFAULT,
            data: gain,
        };
        voice.fit(final_len);
        music.fit(final_len);
        gain.fit(final_len);
        for (path, pcm) in stem_paths.iter().zip([&voice, &music, &mix, &gain]) {
            batch.add(write_wav(path, pcm)?);
        }
    }
    let stems = batch.commit()?.split_off(1);
    // Said of the output written (a run that fails says only why), as `swap` says it.
    if let Some(w) = fitted.words("the music bed", len, RATE) {
        bar.note(&format!("{}: {w}", files.music.display()));
    }
    let voice_path = files.voice.unwrap_or(files.video);
    let audio_changed: Vec<String> = [(files.music, music_format), (voice_path, voice_format)]
        .iter()
        .filter_map(|(path, format)| changed(path, format.as_ref()?))
        .collect();
    for n in &audio_changed {
        bar.note(n);
    }
    let secs = |f: usize| f as f64 / f64::from(RATE);
    Ok(DuckReport {
        soundtrack: report,
        threshold_dbfs: activity.threshold_dbfs,
        speech: activity
            .phrases(RATE, &opts.shape)
            .into_iter()
            .map(|(a, b)| (secs(a), secs(b.min(final_len))))
            .filter(|(a, b)| a < b)
            .collect(),
        stems,
        fitted,
        audio_changed,
    })
}
