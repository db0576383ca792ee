//! Errors of the files users write (cut specs, edit specs, shot lists, overlays): one line,
//! `file:line:col: field path: message (did you mean `x`?)`.

use crate::error::{Error, Result};
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

/// `e`, found in the entries of the spec `path` (a shot that cannot be read, a trim outside
/// its shot), named with the spec first as its own errors are: `cut.toml: shot 2: b.mp4: no
/// such file`. A value read from it is its bad input ([`Error::read_from`]); an error that
/// already names it is left as it is; each of several is named.
pub fn in_spec(path: &Path, e: Error) -> Error {
    match e.read_from(path) {
        Error::Many(all) => Error::Many(all.into_iter().map(|e| in_spec(path, e)).collect()),
        e if names(&e, path) => e,
        e => e.context(path.display().to_string()),
    }
}

/// Does `e` (under its context) name the file `path`?
fn names(e: &Error, path: &Path) -> bool {
    match e.without_context() {
        Error::BadInput { path: p, .. }
        | Error::BadInputAt { path: p, .. }
        | Error::Io { path: p, .. } => p == path,
        _ => false,
    }
}

/// A field path with its shot counted from 1, as every other message counts shots:
/// `shot[0].out_point` is `shot 1: out_point`.
pub fn numbered(field: &str) -> String {
    let Some((i, rest)) = field
        .strip_prefix("shot[")
        .and_then(|r| r.split_once(']'))
        .and_then(|(i, rest)| Some((i.parse::<usize>().ok()?, rest)))
    else {
        return field.to_string();
    };
    match rest.strip_prefix('.') {
        Some(key) => format!("shot {}: {key}", i + 1),
        None => format!("shot {}{rest}", i + 1),
    }
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
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|k| (strsim::levenshtein(unknown, k), k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
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
    fn an_unknown_key_gets_the_closest_expected_one() {
        let m = "unknown field `colour`, expected one of `size`, `color`, `outline`";
        assert_eq!(suggestion(m), " (did you mean `color`?)");
        assert_eq!(suggestion("unknown field `zzzzzz`, expected `size`"), "");
        assert_eq!(suggestion("invalid type: string, expected f64"), "");
    }
}
