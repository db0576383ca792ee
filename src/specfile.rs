//! Errors of the files users write (cut specs, edit specs, shot lists, overlays): one line,
//! `file:line:col: field path: message (did you mean `x`?)`.

use crate::error::{exit, Error, Result};
use serde::de::DeserializeOwned;
use std::path::Path;

/// The text of the file `path`, a `what` (`spec file`, `shot list`, ...) a user wrote: missing
/// or not UTF-8 (a media file given by mistake, a caption file saved in another encoding) is
/// that file's bad input, said in words.
pub fn read(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::bad_input(path, format!("no such {what}")),
        std::io::ErrorKind::InvalidData => Error::bad_input(
            path,
            format!(
                "not UTF-8 text; expected the {what} in UTF-8 (a media file given by mistake, \
                 or a file to save as UTF-8?)"
            ),
        ),
        _ => Error::io(path, e),
    })
}

/// `text`, the TOML file `path`, as a `T`; an error names the place, the field path and, for an
/// unknown key, the expected key closest to it.
pub fn toml<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
    let de = toml::Deserializer::new(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let (line, col) = match inner.span() {
            Some(span) => line_col(text, span.start),
            None => (1, 1),
        };
        located(path, line, col, &field, inner.message())
    })
}

/// `file:line:col: field path: message (suggestion)`, the message's first line.
pub fn located(path: &Path, line: usize, column: usize, field: &str, message: &str) -> Error {
    let message = message.lines().next().unwrap_or(message).trim();
    let at = if field.is_empty() || field == "." {
        String::new()
    } else {
        format!("{}: ", numbered(field))
    };
    Error::BadInputAt {
        path: path.to_path_buf(),
        line,
        column,
        reason: format!("{at}{message}{}", suggestion(message)),
    }
}

/// `e`, from using the shots of the spec `path`, with each error about one of them
/// ([`Error::Shot`]) named with the spec first, as the spec's own errors are: spec, shot, file,
/// problem (`cut.toml: shot 2: b.mp4: no such file`); a value of the shot that a step refused
/// as a usage error is the spec's bad input (`cut.toml: shot 2: URL "x": ...`, exit 1). An
/// error that is not about an entry (a command-line value, no work directory, a write that
/// failed) and a shot's failure of the machine or of cutroom's own (exit 69, 70) are not the
/// spec's and are left as they are; each of several is named.
pub fn in_spec(path: &Path, e: Error) -> Error {
    match e {
        Error::Many(of, all) => {
            Error::Many(of, all.into_iter().map(|e| in_spec(path, e)).collect())
        }
        Error::Shot { number, source }
            if !matches!(source.exit_code(), exit::UNAVAILABLE | exit::INTERNAL) =>
        {
            match source.read_from(path) {
                Error::BadInput { path: p, reason } if p == path => {
                    Error::bad_input(path, format!("shot {number}: {reason}"))
                }
                source => source
                    .of_shot(number - 1)
                    .context(path.display().to_string()),
            }
        }
        e => e,
    }
}

/// A field path as the user counts: each list entry by its key, singular, and its number from
/// 1, followed by `: ` and the rest: `shot[0].out_point` is `shot 1: out_point`, `outputs[2]`
/// is `output 3`, `text[0].style.size` is `text 1: style.size`.
pub fn numbered(field: &str) -> String {
    let mut out = String::new();
    for part in field.split('.') {
        if !out.is_empty() && !out.ends_with(": ") {
            out.push('.');
        }
        let (key, indices) = part.split_once('[').unwrap_or((part, ""));
        let indices: Option<Vec<usize>> = (indices.strip_suffix(']'))
            .and_then(|i| i.split("][").map(|i| i.parse().ok()).collect());
        match indices {
            Some(indices) => {
                out += &entry(key, indices[0]);
                for i in &indices[1..] {
                    out += &format!(", item {}", i + 1);
                }
                out += ": ";
            }
            None => out += part,
        }
    }
    match out.strip_suffix(": ") {
        Some(o) => o.to_string(),
        None => out,
    }
}

/// Entry `index` (from 0) of the list `key` as the user counts it: `shot 2`, `output 1`,
/// `text 3` (a plural key made singular).
pub fn entry(key: &str, index: usize) -> String {
    let one = key
        .strip_suffix('s')
        .filter(|_| !key.ends_with("ss"))
        .unwrap_or(key);
    format!("{one} {}", index + 1)
}

/// ` (did you mean `x`?)` for serde's "unknown field `y`, expected one of `x`, ..." when one
/// of the expected keys is within two edits of `y`.
fn suggestion(message: &str) -> String {
    let Some((unknown, expected)) = message
        .strip_prefix("unknown field `")
        .and_then(|r| r.split_once('`'))
    else {
        return String::new();
    };
    closest(unknown, expected.split('`').skip(1).step_by(2))
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

/// The one of `known` closest to `unknown`, when within two edits (a misspelling).
pub fn closest<'a>(unknown: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (strsim::levenshtein(unknown, k), k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_entries_are_counted_from_1() {
        assert_eq!(numbered("shot[0].out_point"), "shot 1: out_point");
        assert_eq!(numbered("shot[1]"), "shot 2");
        assert_eq!(numbered("outputs[2]"), "output 3");
        assert_eq!(numbered("text[0].style.size"), "text 1: style.size");
        assert_eq!(numbered("model[1].sizes[0]"), "model 2: size 1");
        assert_eq!(numbered("music.depth"), "music.depth");
        assert_eq!(numbered("tiktok.ui_zones[3]"), "tiktok.ui_zone 4");
        assert_eq!(
            numbered("tiktok.ui_zones[0][2]"),
            "tiktok.ui_zone 1, item 3"
        );
        assert_eq!(numbered("a[x].b"), "a[x].b");
    }

    #[test]
    fn a_shots_error_names_the_spec_then_the_shot() {
        let spec = Path::new("cut.toml");
        let missing = Error::bad_input(Path::new("b.mp4"), "no such file").of_shot(1);
        assert_eq!(
            in_spec(spec, missing).to_string(),
            "cut.toml: shot 2: b.mp4: no such file"
        );
        let url = in_spec(
            spec,
            Error::Usage("URL \"x\": relative URL".into()).of_shot(0),
        );
        assert_eq!(url.to_string(), "cut.toml: shot 1: URL \"x\": relative URL");
        assert_eq!(url.exit_code(), exit::ERROR);
    }

    #[test]
    fn an_error_not_about_the_specs_entries_is_left_as_it_is() {
        let spec = Path::new("cut.toml");
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        for e in [
            Error::work_dir(std::io::Error::from(std::io::ErrorKind::NotFound)),
            Error::io(Path::new("out/demo.mp4"), full),
            Error::Internal("the encoder refused a frame".into()),
            Error::Usage("--fps 0 is not a frame rate".into()),
            Error::Internal("the encoder refused a frame".into()).of_shot(2),
            Error::Unavailable("cannot start the async runtime".into()).of_shot(0),
        ] {
            let (said, code) = (e.to_string(), e.exit_code());
            let named = in_spec(spec, e);
            assert_eq!(named.to_string(), said);
            assert_eq!(named.exit_code(), code, "{said}");
        }
    }

    #[test]
    fn an_unknown_key_gets_the_closest_expected_one() {
        let m = "unknown field `colour`, expected one of `size`, `color`, `outline`";
        assert_eq!(suggestion(m), " (did you mean `color`?)");
        assert_eq!(suggestion("unknown field `zzzzzz`, expected `size`"), "");
        assert_eq!(suggestion("invalid type: string, expected f64"), "");
    }
}
