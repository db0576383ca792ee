//! What a create request may ask for, checked before anything is sent (and billed): the
//! form of model, size and seconds, and the catalog's choices for the provider's model.

use super::catalog::Catalog;
use super::model::CreateVideo;
use super::provider::Provider;
use crate::error::{Error, Result};
use crate::picture::size::{self, parse_even};
use std::sync::Arc;

/// What a create may ask for: anything well-formed (`allow_any`), or what the catalog lists for
/// the model (a model it does not list passes with a warning).
#[derive(Debug, Clone, Default)]
pub struct Limits {
    /// Skip the catalog: any model, even size 16-4096 and length 1-60 s.
    pub allow_any: bool,
    /// Known models (the built-in `providers.toml` plus `--providers`).
    pub catalog: Arc<Catalog>,
}

/// A rejected field of a create request.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    /// The field.
    pub param: &'static str,
    /// Why.
    pub message: String,
    /// Refused by the catalog's choices for the model, which `allow_any` skips (not by form).
    pub catalog: bool,
}

impl Limits {
    /// Check model, size, seconds and a reference image (after defaults) for `provider`.
    /// `Err` names the field and the choices; `Ok(Some(warning))` says the model is not in the
    /// catalog (nothing but the form was checked).
    pub fn check(
        &self,
        provider: Provider,
        model: &str,
        size: &str,
        seconds: &str,
        reference: bool,
    ) -> std::result::Result<Option<String>, Invalid> {
        let invalid = |param, message: String| {
            Err(Invalid {
                param,
                message,
                catalog: false,
            })
        };
        if model.is_empty()
            || model.starts_with('/')
            || !model
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:".contains(c))
        {
            return invalid("model", format!("invalid model {model:?}"));
        }
        if let Some(form) = provider.model_form(model) {
            return invalid(
                "model",
                format!("{} names its models {form}, not {model:?}", provider.name()),
            );
        }
        if let Err(e) = parse_even(size, 4096) {
            return invalid("size", e);
        }
        let Some(secs) = seconds.parse::<u32>().ok().filter(|s| (1..=60).contains(s)) else {
            return invalid(
                "seconds",
                format!("seconds {seconds:?} not supported; expected 1-60"),
            );
        };
        if self.allow_any {
            return Ok(None);
        }
        let refused = |param, message: String| {
            Err(Invalid {
                param,
                message,
                catalog: true,
            })
        };
        let Some(entry) = self.catalog.find(provider, model) else {
            let known = self.catalog.names(provider);
            let known = match known.is_empty() {
                true => String::new(),
                false => format!(" (known: {})", known.join(", ")),
            };
            return Ok(Some(format!(
                "model {model:?} is not in the {} catalog{known}: its size and length are not \
                 checked and its cost is unknown (add it with --providers FILE)",
                provider.name()
            )));
        };
        if !entry.sizes.is_empty() && !entry.sizes.iter().any(|s| s == size) {
            return refused(
                "size",
                format!(
                    "size {size:?} is not available for {model}; expected one of {}",
                    entry.sizes.join(", ")
                ),
            );
        }
        if !entry.seconds.is_empty() && !entry.seconds.contains(&secs) {
            let choices: Vec<String> = entry.seconds.iter().map(u32::to_string).collect();
            return refused(
                "seconds",
                format!(
                    "seconds {seconds:?} not supported by {model}; expected one of {}",
                    choices.join(", ")
                ),
            );
        }
        if reference && !entry.reference_image {
            return refused(
                "input_reference",
                format!("{model} takes no reference image"),
            );
        }
        Ok(None)
    }
}

/// Refuse an empty prompt, or one holding a control character (NUL, ESC, any other of C0 or
/// C1, DEL) but a tab or a line break (LF, or CR before LF): a service takes it as it is, into
/// the render's prompt, its job listings and every terminal that shows them. `Err` names the
/// character and where it is. Every request that sends a prompt (create, remix) checks it.
pub(crate) fn check_prompt(prompt: &str) -> std::result::Result<(), String> {
    if prompt.trim().is_empty() {
        return Err("prompt is empty".into());
    }
    let mut chars = prompt.chars().enumerate().peekable();
    while let Some((i, c)) = chars.next() {
        let line_end = c == '\r' && chars.peek().is_some_and(|(_, n)| *n == '\n');
        if c.is_control() && !matches!(c, '\t' | '\n') && !line_end {
            return Err(format!(
                "the prompt holds the control character U+{:04X} (character {}), which a \
                 service would take as it is: remove it (tabs and line breaks are fine)",
                c as u32,
                i + 1
            ));
        }
    }
    Ok(())
}

impl CreateVideo {
    /// Check the request before anything is sent (and billed): prompt, model/size/seconds
    /// against `limits` for `provider`, and an `input_reference` that is a readable image of
    /// the requested size. `Ok(Some(warning))` for a model the catalog does not list.
    pub fn validate(&self, limits: &Limits, provider: Provider) -> Result<Option<String>> {
        check_prompt(&self.prompt).map_err(Error::Usage)?;
        let (model, size, seconds) = self.resolved();
        let reference = self.input_reference.is_some();
        let warning = limits
            .check(provider, model, size, seconds, reference)
            .map_err(|e| {
                let mut notes = Vec::new();
                if e.catalog {
                    notes.push("use --allow-any if your provider accepts it".to_string());
                }
                if self.model.is_none() {
                    notes.push(format!(
                        "no model was given, so {model} is assumed: name yours with `model`"
                    ));
                }
                let notes = match notes.is_empty() {
                    true => String::new(),
                    false => format!(" ({})", notes.join("; ")),
                };
                Error::Usage(format!("{}: {}{notes}", e.param, e.message))
            })?;
        if let Some(path) = &self.input_reference {
            let (w, h) = super::check::image_size(path)?;
            if Ok((w, h)) != size::parse(size) {
                return Err(Error::bad_input(
                    path,
                    format!("input_reference is {w}x{h} but the requested size is {size}"),
                ));
            }
        }
        Ok(warning)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        let strict = Limits::default();
        let check = |m, s, secs| strict.check(Provider::OpenAi, m, s, secs, false);
        assert_eq!(check("sora-2", "720x1280", "4"), Ok(None));
        assert_eq!(check("sora-2", "1080x1920", "4").unwrap_err().param, "size");
        assert_eq!(check("sora-2", "1024x1792", "4").unwrap_err().param, "size");
        assert_eq!(check("sora-2-pro", "1080x1920", "12"), Ok(None));
        assert_eq!(check("sora-2", "720x1280", "20"), Ok(None));
        assert_eq!(
            check("sora-2", "720x1280", "5").unwrap_err().param,
            "seconds"
        );
        let w = check("sora-3", "720x1280", "4").unwrap().unwrap();
        assert!(w.contains("not in the openai catalog"), "{w}");
        let other = strict.check(Provider::OpenRouter, "sora-2", "720x1280", "5", false);
        assert!(other.unwrap().is_some(), "catalogs are per provider");
        let any = Limits {
            allow_any: true,
            ..Limits::default()
        };
        let check = |m, s, secs| any.check(Provider::OpenAi, m, s, secs, false);
        assert_eq!(check("veo-x", "320x240", "5"), Ok(None));
        assert_eq!(check("m", "321x240", "5").unwrap_err().param, "size");
        assert_eq!(check("m", "320x240", "0").unwrap_err().param, "seconds");
        assert_eq!(check("google/veo-3.1-fast", "320x240", "1"), Ok(None));
        assert_eq!(check("a b", "320x240", "1").unwrap_err().param, "model");
    }

    #[test]
    fn prompts_hold_no_control_characters_but_tabs_and_line_breaks() {
        assert!(check_prompt("a lighthouse,\tslow push in\r\nat dusk\n").is_ok());
        assert!(check_prompt("une île, 灯台").is_ok());
        assert!(check_prompt(" \n").unwrap_err().contains("empty"));
        for (bad, code, at) in [
            ("a\0b", "U+0000", 2),
            ("a \u{1b}[2J", "U+001B", 3),
            ("a\rb", "U+000D", 2),
            ("\u{7f}", "U+007F", 1),
            ("x\u{9b}2J", "U+009B", 2),
        ] {
            let e = check_prompt(bad).unwrap_err();
            assert!(
                e.contains(code) && e.contains(&format!("(character {at})")),
                "{e}"
            );
        }
    }
}
