//! The JSON shapes of the `/v1/videos` API and the local validation of create requests.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Models known to the OpenAI API.
pub const MODELS: &[&str] = &["sora-2", "sora-2-pro"];
/// Sizes every model renders.
pub const SIZES: &[&str] = &["720x1280", "1280x720", "1024x1792", "1792x1024"];
/// Sizes only `sora-2-pro` renders.
pub const PRO_SIZES: &[&str] = &["1080x1920", "1920x1080"];
/// Clip lengths the OpenAI API accepts, in seconds.
pub const SECONDS: &[&str] = &["4", "8", "12"];
/// Defaults the API applies to a field left out.
pub const DEFAULT_MODEL: &str = "sora-2";
/// Default clip length.
pub const DEFAULT_SECONDS: &str = "4";
/// Default size.
pub const DEFAULT_SIZE: &str = "720x1280";

/// Where a render job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Accepted, not started.
    Queued,
    /// Rendering; `progress` moves.
    InProgress,
    /// Done; the content can be downloaded until `expires_at`.
    Completed,
    /// Given up; `error` says why.
    Failed,
}

impl Status {
    /// The API's name of the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    /// True for `completed` and `failed`: the job will not change any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed)
    }
}

/// Why a render failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoError {
    /// Machine-readable code.
    pub code: String,
    /// Human-readable message.
    pub message: String,
}

/// A video job (`object: "video"`). Fields a provider adds are kept in `extra` and written back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Video {
    /// Job id.
    pub id: String,
    /// Always `video`.
    pub object: String,
    /// Model that renders it.
    pub model: String,
    /// Where the job is.
    pub status: Status,
    /// Percent done (0-100).
    #[serde(default)]
    pub progress: u32,
    /// Unix seconds of creation.
    pub created_at: i64,
    /// Unix seconds of completion.
    #[serde(default)]
    pub completed_at: Option<i64>,
    /// Unix seconds after which the content can no longer be downloaded.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// The prompt.
    #[serde(default)]
    pub prompt: Option<String>,
    /// Length in seconds, as a string (`"4"`).
    pub seconds: String,
    /// `WIDTHxHEIGHT`.
    pub size: String,
    /// The video this one remixes.
    #[serde(default)]
    pub remixed_from_video_id: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<VideoError>,
    /// Provider-specific fields.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// One page of `GET /videos`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VideoList {
    /// Always `list`.
    pub object: String,
    /// The videos of this page.
    pub data: Vec<Video>,
    /// Id of the first video of the page.
    #[serde(default)]
    pub first_id: Option<String>,
    /// Id of the last video of the page (the next page's `after`).
    #[serde(default)]
    pub last_id: Option<String>,
    /// More pages follow.
    #[serde(default)]
    pub has_more: bool,
}

/// The answer of `DELETE /videos/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deleted {
    /// The deleted job.
    pub id: String,
    /// Always `video.deleted`.
    pub object: String,
    /// True when it was deleted.
    pub deleted: bool,
}

/// The error object inside an error envelope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// What went wrong.
    pub message: String,
    /// Error class (`invalid_request_error`, `rate_limit_error`, `server_error`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The request field at fault.
    pub param: Option<String>,
    /// Machine-readable code.
    pub code: Option<String>,
}

/// `{"error": {...}}`, the body of every non-2xx API answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ApiErrorBody,
}

/// The three things `GET /videos/{id}/content` can return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// The MP4.
    Video,
    /// A still image.
    Thumbnail,
    /// A grid of stills across the clip.
    Spritesheet,
}

impl Variant {
    /// Every variant.
    pub const ALL: [Variant; 3] = [Self::Video, Self::Thumbnail, Self::Spritesheet];

    /// The API's name (`variant=` value).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Video => "video",
            Self::Thumbnail => "thumbnail",
            Self::Spritesheet => "spritesheet",
        }
    }

    /// Parse the API's name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// What to render.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreateVideo {
    /// The prompt (required).
    pub prompt: String,
    /// Model (`sora-2` when absent).
    pub model: Option<String>,
    /// Length in seconds (`"4"` when absent).
    pub seconds: Option<String>,
    /// `WIDTHxHEIGHT` (`720x1280` when absent).
    pub size: Option<String>,
    /// An image to start from, sent as multipart; must have the requested size.
    pub input_reference: Option<PathBuf>,
}

/// Parse `WIDTHxHEIGHT`.
pub fn parse_size(size: &str) -> Option<(u32, u32)> {
    let (w, h) = size.split_once('x')?;
    Some((w.parse().ok()?, h.parse().ok()?))
}

/// What a provider accepts: the OpenAI lists, or (`allow_any`) anything well-formed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// Accept any model name, any even size up to 4096 and any length of 1-60 s.
    pub allow_any: bool,
}

/// A rejected field of a create request.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    /// The field.
    pub param: &'static str,
    /// Why.
    pub message: String,
}

impl Limits {
    /// Check model, size and seconds (after defaults); `Err` names the field and the choices.
    pub fn check(
        &self,
        model: &str,
        size: &str,
        seconds: &str,
    ) -> std::result::Result<(), Invalid> {
        let invalid = |param, message: String| Err(Invalid { param, message });
        if model.is_empty()
            || !model
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return invalid("model", format!("invalid model {model:?}"));
        }
        if !self.allow_any && !MODELS.contains(&model) {
            return invalid(
                "model",
                format!(
                    "unknown model {model:?}; expected one of {}",
                    MODELS.join(", ")
                ),
            );
        }
        let Some((w, h)) = parse_size(size) else {
            return invalid(
                "size",
                format!("invalid size {size:?}; expected WIDTHxHEIGHT"),
            );
        };
        if self.allow_any {
            if !(16..=4096).contains(&w) || !(16..=4096).contains(&h) || w % 2 + h % 2 != 0 {
                return invalid(
                    "size",
                    format!("size {size:?} must be even, 16-4096 per side"),
                );
            }
        } else {
            let pro = model == "sora-2-pro";
            let listed = SIZES.contains(&size) || (pro && PRO_SIZES.contains(&size));
            if !listed {
                let mut choices = SIZES.to_vec();
                if pro {
                    choices.extend(PRO_SIZES);
                }
                return invalid(
                    "size",
                    format!(
                        "size {size:?} is not available for {model}; expected one of {}",
                        choices.join(", ")
                    ),
                );
            }
        }
        let secs_ok = if self.allow_any {
            seconds.parse::<u32>().is_ok_and(|s| (1..=60).contains(&s))
        } else {
            SECONDS.contains(&seconds)
        };
        if !secs_ok {
            let choices = if self.allow_any {
                "1-60".to_string()
            } else {
                SECONDS.join(", ")
            };
            return invalid(
                "seconds",
                format!("seconds {seconds:?} not supported; expected {choices}"),
            );
        }
        Ok(())
    }
}

impl CreateVideo {
    /// A request for `prompt` with every other field left to the API's defaults.
    pub fn new(prompt: impl Into<String>) -> Self {
        Self {
            prompt: prompt.into(),
            model: None,
            seconds: None,
            size: None,
            input_reference: None,
        }
    }

    /// Model, size and seconds with the API defaults filled in.
    pub fn resolved(&self) -> (&str, &str, &str) {
        (
            self.model.as_deref().unwrap_or(DEFAULT_MODEL),
            self.size.as_deref().unwrap_or(DEFAULT_SIZE),
            self.seconds.as_deref().unwrap_or(DEFAULT_SECONDS),
        )
    }

    /// Check the request before anything is sent (and billed): prompt, model/size/seconds
    /// against `limits`, and an `input_reference` that is a readable image of the requested size.
    pub fn validate(&self, limits: Limits) -> Result<()> {
        if self.prompt.trim().is_empty() {
            return Err(Error::Usage("prompt is empty".into()));
        }
        let (model, size, seconds) = self.resolved();
        limits.check(model, size, seconds).map_err(|e| {
            Error::Usage(format!(
                "{}: {} (use --allow-any if your provider accepts it)",
                e.param, e.message
            ))
        })?;
        if let Some(path) = &self.input_reference {
            let (w, h) = super::download::image_size(path)?;
            if Some((w, h)) != parse_size(size) {
                return Err(Error::bad_input(
                    path,
                    format!("input_reference is {w}x{h} but the requested size is {size}"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        let strict = Limits::default();
        assert!(strict.check("sora-2", "720x1280", "4").is_ok());
        assert_eq!(
            strict.check("sora-2", "1080x1920", "4").unwrap_err().param,
            "size"
        );
        assert!(strict.check("sora-2-pro", "1080x1920", "12").is_ok());
        assert_eq!(
            strict.check("sora-3", "720x1280", "4").unwrap_err().param,
            "model"
        );
        assert_eq!(
            strict.check("sora-2", "720x1280", "5").unwrap_err().param,
            "seconds"
        );
        let any = Limits { allow_any: true };
        assert!(any.check("veo-x", "320x240", "5").is_ok());
        assert_eq!(any.check("m", "321x240", "5").unwrap_err().param, "size");
        assert_eq!(any.check("m", "320x240", "0").unwrap_err().param, "seconds");
        assert_eq!(any.check("a/b", "320x240", "1").unwrap_err().param, "model");
    }

    #[test]
    fn video_object_round_trips_with_unknown_fields() {
        let j = r#"{"id":"video_1","object":"video","model":"sora-2","status":"in_progress",
            "progress":40,"created_at":1,"completed_at":null,"expires_at":null,"prompt":"p",
            "seconds":"4","size":"720x1280","remixed_from_video_id":null,"error":null,"quality":"hd"}"#;
        let v: Video = serde_json::from_str(j).unwrap();
        assert_eq!(v.status, Status::InProgress);
        let back = serde_json::to_value(&v).unwrap();
        assert_eq!(back["quality"], "hd");
        assert_eq!(back["status"], "in_progress");
    }
}
