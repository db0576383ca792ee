//! The JSON shapes of the `/v1/videos` API (create requests are checked in `limits`).

use crate::http::{printable, quote};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Defaults the API applies to a field left out.
pub const DEFAULT_MODEL: &str = "sora-2";
/// Default clip length.
pub const DEFAULT_SECONDS: &str = "4";
/// Default size.
pub const DEFAULT_SIZE: &str = "720x1280";

/// Where a job is, whatever word the provider uses for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Accepted, not started (`queued`, `pending`, `submitted`, `starting`, `IN_QUEUE`, ...).
    Waiting,
    /// Rendering (`in_progress`, `processing`, `running`, ...).
    Running,
    /// Done; the content can be downloaded (`completed`, `succeeded`, ...).
    Done,
    /// Given up; `error` says why.
    Failed,
    /// Cancelled by someone (`cancelled`, `canceled`, `aborted`).
    Cancelled,
    /// Past its lifetime.
    Expired,
    /// A word cutroom does not know, or none (kept and shown; a job waited for is not waited
    /// for further: it may never change).
    Unknown,
}

/// A job's status as the provider wrote it (kept verbatim, shown, written back to the
/// sidecar), read as a [`Phase`]. `null` or missing is the empty word (phase unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Status(String);

impl Status {
    /// The status `word`.
    pub fn new(word: impl Into<String>) -> Self {
        Self(word.into())
    }

    /// The provider's word.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the word means.
    pub fn phase(&self) -> Phase {
        let word = self.0.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        match word.as_str() {
            "queued" | "queueing" | "queuing" | "pending" | "submitted" | "starting"
            | "in_queue" | "waiting" | "created" | "not_started" | "scheduled" | "preparing"
            | "throttled" => Phase::Waiting,
            "in_progress" | "processing" | "running" | "generating" | "rendering" | "started"
            | "dreaming" | "upscaling" | "uploading" | "postprocessing" | "post_processing"
            | "finalizing" => Phase::Running,
            "completed" | "complete" | "succeeded" | "succeed" | "success" | "successful"
            | "done" | "finished" | "ready" => Phase::Done,
            "failed" | "fail" | "failure" | "error" | "errored" | "rejected" | "timeout"
            | "timed_out" | "moderated" | "blocked" => Phase::Failed,
            "cancelled" | "canceled" | "aborted" => Phase::Cancelled,
            "expired" | "deleted" => Phase::Expired,
            _ => Phase::Unknown,
        }
    }

    /// True when the job will not change any more.
    pub fn is_terminal(&self) -> bool {
        !matches!(
            self.phase(),
            Phase::Waiting | Phase::Running | Phase::Unknown
        )
    }
}

/// The word, [`printable`] (the provider's, shown on a terminal), or `(none)`.
impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.is_empty() {
            true => f.write_str("(none)"),
            false => f.write_str(&printable(&self.0)),
        }
    }
}

/// Why a render failed: an object (`code`, `message`) or a bare string (OpenRouter).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VideoError {
    /// Machine-readable code, when given.
    pub code: Option<String>,
    /// Human-readable message.
    pub message: String,
}

impl VideoError {
    /// True when the provider's moderation refused the render.
    pub fn is_moderation(&self) -> bool {
        mentions_moderation(&format!(
            "{} {}",
            self.code.as_deref().unwrap_or(""),
            self.message
        ))
    }
}

impl std::fmt::Display for VideoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(c) if !c.is_empty() => write!(f, "{c}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl<'de> Deserialize<'de> for VideoError {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(Self::from_value(&serde_json::Value::deserialize(d)?))
    }
}

impl VideoError {
    /// Read an error given as a string, an object with `message`/`detail`/`msg` and
    /// `code`/`type`, or anything else (shown as JSON); its words as [`quote`] quotes them.
    pub fn from_value(v: &serde_json::Value) -> Self {
        use serde_json::Value;
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        };
        match v {
            Value::Object(o) => {
                let pick = |keys: &[&str]| keys.iter().find_map(|k| o.get(*k).and_then(text));
                VideoError {
                    code: pick(&["code", "type"]).map(|c| quote(&c)),
                    message: quote(
                        &pick(&["message", "detail", "msg", "error"])
                            .unwrap_or_else(|| v.to_string()),
                    ),
                }
            }
            other => VideoError {
                code: None,
                message: quote(&text(other).unwrap_or_default()),
            },
        }
    }
}

/// True when an error text names a moderation or safety refusal.
pub fn mentions_moderation(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    [
        "moderation",
        "content_policy",
        "content policy",
        "safety system",
        "nsfw",
    ]
    .iter()
    .any(|w| t.contains(w))
}

/// `null` as the type's default.
fn null_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A whole number given as an integer, a float or a numeric string (a percent sign after it
/// allowed: `"45%"`); anything else is absent.
fn lenient_int<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<i64>, D::Error> {
    use serde_json::Value;
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.round() as i64)),
        Value::String(s) => {
            let s = s.trim();
            let s = s.strip_suffix('%').unwrap_or(s).trim_end();
            s.parse::<f64>().ok().map(|f| f.round() as i64)
        }
        _ => None,
    })
}

/// A time given as unix seconds (like [`lenient_int`]) or as RFC 3339 text (Replicate's
/// `created_at`); anything else is absent.
fn lenient_time<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<i64>, D::Error> {
    use serde_json::Value;
    Ok(match Value::deserialize(d)? {
        Value::String(s) => super::rfc3339::parse_rfc3339(&s)
            .or_else(|| s.trim().parse::<f64>().ok().map(|f| f.round() as i64)),
        v => lenient_int(v).unwrap_or(None),
    })
}

/// Text given as a string or a number (`"4"` or `4`); anything else is absent.
fn lenient_text<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    use serde_json::Value;
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// A video job. Every field but `id` may be `null` or missing; fields a provider adds are kept
/// in `extra` and written back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Video {
    /// Job id.
    pub id: String,
    /// `video` on OpenAI.
    #[serde(default, deserialize_with = "lenient_text")]
    pub object: Option<String>,
    /// Model that renders it.
    #[serde(default, deserialize_with = "lenient_text")]
    pub model: Option<String>,
    /// Where the job is.
    #[serde(default, deserialize_with = "null_default")]
    pub status: Status,
    /// Percent done (0-100).
    #[serde(default, deserialize_with = "lenient_int")]
    pub progress: Option<i64>,
    /// Unix seconds of creation (read from RFC 3339 text too).
    #[serde(default, deserialize_with = "lenient_time")]
    pub created_at: Option<i64>,
    /// Unix seconds of completion.
    #[serde(default, deserialize_with = "lenient_time")]
    pub completed_at: Option<i64>,
    /// Unix seconds after which the content can no longer be downloaded.
    #[serde(default, deserialize_with = "lenient_time")]
    pub expires_at: Option<i64>,
    /// The prompt.
    #[serde(default, deserialize_with = "lenient_text")]
    pub prompt: Option<String>,
    /// Length in seconds, as a string (`"4"`).
    #[serde(default, deserialize_with = "lenient_text")]
    pub seconds: Option<String>,
    /// `WIDTHxHEIGHT`.
    #[serde(default, deserialize_with = "lenient_text")]
    pub size: Option<String>,
    /// The video this one remixes.
    #[serde(default, deserialize_with = "lenient_text")]
    pub remixed_from_video_id: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<VideoError>,
    /// Provider-specific fields.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Video {
    /// Percent done, 0-100 (when the provider does not say: 100 once done, else 0).
    pub fn percent(&self) -> u32 {
        match (self.progress, self.status.phase()) {
            (Some(p), _) => p.clamp(0, 100) as u32,
            (None, Phase::Done) => 100,
            (None, _) => 0,
        }
    }

    /// True when the provider says the job never started: Replicate's `aborted` (its deadline
    /// passed in the queue), or a cancelled job whose `started_at` the provider gives as null.
    /// Such a job did no work, and is not billed.
    pub fn never_started(&self) -> bool {
        self.status.as_str().eq_ignore_ascii_case("aborted")
            || self.extra.get("started_at").is_some_and(|t| t.is_null())
    }

    /// What happened to a cancelled job, in words: "was cancelled on the provider's side
    /// (WORD) before it started" (or "before it finished").
    pub fn cancellation(&self) -> String {
        let when = match self.never_started() {
            true => "started",
            false => "finished",
        };
        format!(
            "was cancelled on the provider's side ({}) before it {when}",
            self.status
        )
    }

    /// Why the job failed, naming a moderation refusal as such.
    pub fn failure(&self) -> String {
        match &self.error {
            Some(e) if e.is_moderation() => format!("refused by moderation ({e})"),
            Some(e) => e.to_string(),
            None => format!("no reason given (status {})", self.status),
        }
    }
}

/// One page of `GET /videos`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VideoList {
    /// `list` on OpenAI.
    #[serde(default, deserialize_with = "lenient_text")]
    pub object: Option<String>,
    /// The videos of this page.
    #[serde(default, deserialize_with = "null_default")]
    pub data: Vec<Video>,
    /// Id of the first video of the page.
    #[serde(default)]
    pub first_id: Option<String>,
    /// Id of the last video of the page (the next page's `after`).
    #[serde(default)]
    pub last_id: Option<String>,
    /// More pages follow.
    #[serde(default, deserialize_with = "null_default")]
    pub has_more: bool,
    /// The server's clock when it answered (its `Date` header), unix seconds: not the API's
    /// JSON, but what its `created_at` times are read against.
    #[serde(skip)]
    pub answered_at: Option<i64>,
}

/// The answer of `DELETE /videos/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deleted {
    /// The deleted job.
    pub id: String,
    /// `video.deleted` on OpenAI.
    #[serde(default, deserialize_with = "lenient_text")]
    pub object: Option<String>,
    /// True when it was deleted.
    #[serde(default, deserialize_with = "null_default")]
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_object_round_trips_with_unknown_fields() {
        let j = r#"{"id":"video_1","object":"video","model":"sora-2","status":"in_progress",
            "progress":40,"created_at":1,"completed_at":null,"expires_at":null,"prompt":"p",
            "seconds":"4","size":"720x1280","remixed_from_video_id":null,"error":null,"quality":"hd"}"#;
        let v: Video = serde_json::from_str(j).unwrap();
        assert_eq!(v.status.phase(), Phase::Running);
        let back = serde_json::to_value(&v).unwrap();
        assert_eq!(back["quality"], "hd");
        assert_eq!(back["status"], "in_progress");
    }

    #[test]
    fn relay_answers_parse_leniently() {
        let words = [
            ("pending", Phase::Waiting),
            ("submitted", Phase::Waiting),
            ("IN_QUEUE", Phase::Waiting),
            ("starting", Phase::Waiting),
            ("processing", Phase::Running),
            ("IN_PROGRESS", Phase::Running),
            ("succeeded", Phase::Done),
            ("COMPLETED", Phase::Done),
            ("canceled", Phase::Cancelled),
            ("cancelled", Phase::Cancelled),
            ("aborted", Phase::Cancelled),
            ("expired", Phase::Expired),
            ("failed", Phase::Failed),
            ("succeed", Phase::Done),
            ("Success", Phase::Done),
            ("Fail", Phase::Failed),
            ("Queueing", Phase::Waiting),
            ("dreaming", Phase::Running),
            ("THROTTLED", Phase::Waiting),
            ("thinking", Phase::Unknown),
        ];
        for (word, phase) in words {
            let v: Video =
                serde_json::from_value(serde_json::json!({"id": "x", "status": word})).unwrap();
            assert_eq!(v.status.phase(), phase, "{word}");
            assert_eq!(v.status.as_str(), word, "kept verbatim");
        }
        // A cancelled job never started when the provider says so (Replicate's `aborted`, a
        // null `started_at`); without a word about it, it may have run.
        let cancelled = |j: serde_json::Value| serde_json::from_value::<Video>(j).unwrap();
        for (j, never) in [
            (serde_json::json!({"id": "p", "status": "aborted"}), true),
            (
                serde_json::json!({"id": "p", "status": "canceled", "started_at": null}),
                true,
            ),
            (
                serde_json::json!({"id": "p", "status": "canceled", "started_at": "2026-11-28T11:15:07Z"}),
                false,
            ),
            (serde_json::json!({"id": "v", "status": "cancelled"}), false),
        ] {
            let v = cancelled(j);
            assert_eq!(v.never_started(), never, "{v:?}");
            let when = if never { "started" } else { "finished" };
            assert!(
                v.cancellation().ends_with(&format!(") before it {when}")),
                "{v:?}"
            );
        }
        let j = r#"{"id":"v","status":null,"progress":null,"seconds":8,"size":null,
            "created_at":1.7e9,"model":"google/veo-3.1-fast","usage":{"duration_seconds":8},
            "error":"Content flagged by moderation"}"#;
        let v: Video = serde_json::from_str(j).unwrap();
        assert_eq!(v.status.phase(), Phase::Unknown);
        assert_eq!((v.percent(), v.seconds.as_deref()), (0, Some("8")));
        assert_eq!(v.created_at, Some(1_700_000_000));
        // Replicate's times are RFC 3339 text.
        let r: Video = serde_json::from_str(
            r#"{"id":"p","created_at":"2026-11-28T11:15:07.765994Z","completed_at":null}"#,
        )
        .unwrap();
        assert_eq!((r.created_at, r.completed_at), (Some(1_795_864_507), None));
        assert_eq!(v.extra["usage"]["duration_seconds"], 8);
        assert!(
            v.failure().starts_with("refused by moderation"),
            "{}",
            v.failure()
        );
        let v: Video = serde_json::from_str(
            r#"{"id":"v","error":{"code":"internal","message":"boom"},"object":"video"}"#,
        )
        .unwrap();
        assert_eq!(v.failure(), "internal: boom");
        assert!(serde_json::from_str::<Video>(r#"{"status":"queued"}"#).is_err());
    }
}
