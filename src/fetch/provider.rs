//! The video services cutroom speaks, and what differs between their dialects: where a job is
//! created and looked at, how the key is sent, how a create request is worded and how a job
//! answer reads as a [`Video`].

use super::model::{CreateVideo, Video};
use crate::error::{Error, Result};
use crate::picture::size;
use reqwest::Url;
use serde_json::{json, Map, Value};

/// A dialect of video-generation API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Provider {
    /// The OpenAI `/v1/videos` family: Azure (deployment as `model`, `api-key`, `?api-version=`),
    /// LiteLLM, CometAPI, New API / One API relays and `cutroom emulate`.
    #[default]
    OpenAi,
    /// OpenRouter `POST /api/v1/videos`.
    OpenRouter,
    /// fal.ai's queue (`POST https://queue.fal.run/{app}`).
    Fal,
    /// Replicate predictions (`POST /v1/models/{owner}/{name}/predictions`).
    Replicate,
}

impl Provider {
    /// Every provider.
    pub const ALL: [Provider; 4] = [Self::OpenAi, Self::OpenRouter, Self::Fal, Self::Replicate];

    /// Its name (`--provider`, `CUTROOM_PROVIDER`, `emulate --flavor`).
    pub fn name(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::OpenRouter => "openrouter",
            Self::Fal => "fal",
            Self::Replicate => "replicate",
        }
    }

    /// The provider called `name`.
    pub fn parse(name: &str) -> Result<Self> {
        let name = name.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "unknown provider {name:?}; expected openai, openrouter, fal or replicate"
                ))
            })
    }

    /// The provider a base URL's host belongs to (`openai` for any other host: relays, Azure,
    /// emulators).
    pub fn for_url(url: &Url) -> Self {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let is = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
        if is("openrouter.ai") {
            Self::OpenRouter
        } else if is("fal.run") || is("fal.ai") {
            Self::Fal
        } else if is("replicate.com") {
            Self::Replicate
        } else {
            Self::OpenAi
        }
    }

    /// The API root used when no base URL is given.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Self::OpenAi => "https://api.openai.com/v1",
            Self::OpenRouter => "https://openrouter.ai/api/v1",
            Self::Fal => "https://queue.fal.run",
            Self::Replicate => "https://api.replicate.com/v1",
        }
    }

    /// The environment variable holding the key.
    pub fn key_var(self) -> &'static str {
        match self {
            Self::OpenAi => "OPENAI_API_KEY",
            Self::OpenRouter => "OPENROUTER_API_KEY",
            Self::Fal => "FAL_KEY",
            Self::Replicate => "REPLICATE_API_TOKEN",
        }
    }

    /// The scheme word before the key in `Authorization` (`Bearer`, fal's `Key`).
    pub fn auth_scheme(self) -> &'static str {
        match self {
            Self::Fal => "Key",
            _ => "Bearer",
        }
    }

    /// Where a user finds the jobs made with their key when the API cannot list them.
    pub fn request_log(self) -> &'static str {
        match self {
            Self::OpenRouter => "https://openrouter.ai/activity",
            Self::Fal => "https://fal.ai/dashboard/requests",
            Self::OpenAi | Self::Replicate => "the provider's dashboard",
        }
    }

    /// How long the provider keeps a finished job's file, as far as it says.
    pub fn keeps_files(self) -> &'static str {
        match self {
            Self::Replicate => {
                "Replicate removes an API prediction's output files an hour after it ends"
            }
            Self::Fal => "fal's result links can expire",
            Self::OpenAi | Self::OpenRouter => "providers keep renders only for a limited time",
        }
    }

    /// True when jobs can be listed (an uncertain create is then looked up before it is re-sent).
    pub fn can_list(self) -> bool {
        matches!(self, Self::OpenAi | Self::Replicate)
    }

    /// The form `model` lacks where this dialect's create path is made of the model's name
    /// (Replicate `owner/name`, fal `owner/app[/...]`); `None` when it has it.
    pub fn model_form(self, model: &str) -> Option<&'static str> {
        let segments = model.split('/').count();
        match self {
            Self::Replicate if segments != 2 => Some("owner/name (e.g. openai/sora-2)"),
            Self::Fal if segments < 2 => Some("owner/app (e.g. fal-ai/sora-2/text-to-video)"),
            _ => None,
        }
    }

    /// The path segments (after the base URL) of a create for `model`.
    pub fn create_path(self, model: &str) -> Vec<String> {
        match self {
            Self::OpenAi | Self::OpenRouter => vec!["videos".into()],
            Self::Fal => model.split('/').map(str::to_string).collect(),
            Self::Replicate => {
                let mut p = vec!["models".to_string()];
                p.extend(model.split('/').map(str::to_string));
                p.push("predictions".into());
                p
            }
        }
    }

    /// The JSON body of a create in this dialect (OpenAI's multipart form with a reference
    /// image is built by the client).
    pub fn create_json(self, req: &CreateVideo) -> Value {
        let (model, size, seconds) = req.resolved();
        let secs: Option<u64> = seconds.parse().ok();
        let mut o = Map::new();
        o.insert("prompt".into(), req.prompt.clone().into());
        match self {
            Self::OpenAi => {
                for (k, v) in [
                    ("model", &req.model),
                    ("seconds", &req.seconds),
                    ("size", &req.size),
                ] {
                    if let Some(v) = v {
                        o.insert(k.into(), v.clone().into());
                    }
                }
                return Value::Object(o);
            }
            Self::OpenRouter => {
                o.insert("model".into(), model.into());
                o.insert("size".into(), size.into());
            }
            Self::Fal | Self::Replicate => {}
        }
        if let Some(s) = secs {
            o.insert("duration".into(), s.into());
        }
        if let Ok((w, h)) = size::parse(size) {
            o.insert("resolution".into(), format!("{}p", w.min(h)).into());
            let g = gcd(w, h).max(1);
            o.insert("aspect_ratio".into(), format!("{}:{}", w / g, h / g).into());
        }
        match self {
            Self::Replicate => json!({ "input": Value::Object(o) }),
            _ => Value::Object(o),
        }
    }

    /// Read a job answer as a [`Video`]: the fields under their OpenAI names, everything else
    /// kept (out of the `{"data": {...}}` a gateway may wrap it in). fal's ids are the job's path
    /// under the queue root (`{app}/requests/{id}`), so a bare id is enough to find it again.
    pub fn video(self, v: Value, model: Option<&str>) -> Result<Video> {
        let mut v = unwrapped(v);
        if let Some(o) = v.as_object_mut() {
            match self {
                Self::Fal => {
                    let id = o
                        .get("request_id")
                        .and_then(Value::as_str)
                        .map(|id| match model {
                            Some(m) => format!("{}/requests/{id}", fal_app(m)),
                            None => id.to_string(),
                        });
                    if let Some(id) = id {
                        o.entry("id").or_insert(id.into());
                    }
                    if let Some(m) = model {
                        o.entry("model").or_insert(m.into());
                    }
                }
                Self::Replicate => {
                    let input = o.get("input").cloned().unwrap_or(Value::Null);
                    for (from, to) in [("prompt", "prompt"), ("duration", "seconds")] {
                        if let Some(x) = input.get(from).filter(|x| !x.is_null()) {
                            o.entry(to).or_insert(x.clone());
                        }
                    }
                }
                Self::OpenAi | Self::OpenRouter => {}
            }
        }
        let video: Video = serde_json::from_value(v.clone()).map_err(|e| {
            let said = crate::http::quote(&v.to_string());
            Error::Remote(format!("unexpected job answer ({e}): {said}"))
        })?;
        // An id is shown and put in paths: one that would drive a terminal is no job's, nor
        // one naming another resource as a path segment.
        if video.id.chars().any(crate::http::unprintable) {
            return Err(Error::Remote(format!(
                "the answer names job {:?}, an id holding control characters: refused",
                video.id
            )));
        }
        if !self.addressable(&video.id) {
            return Err(Error::Remote(format!(
                "the answer names job {:?}, an id that cannot be looked up (empty, `.` or `..` \
                 in a URL's path would name another resource): refused",
                video.id
            )));
        }
        Ok(video)
    }

    /// True when `id` can name a job in this dialect's URLs: not empty, `.` or `..` (in any of
    /// fal's `/`-parted segments), which as a path segment would name another resource.
    pub fn addressable(self, id: &str) -> bool {
        let bad = |p: &str| matches!(p.trim(), "" | "." | "..");
        match self {
            Self::Fal => !id.split('/').any(bad),
            _ => !bad(id),
        }
    }
}

/// fal's app id: the first two segments of a model path (`fal-ai/veo3/fast` -> `fal-ai/veo3`).
pub fn fal_app(model: &str) -> String {
    model.split('/').take(2).collect::<Vec<_>>().join("/")
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The downloadable URL a finished job names, under the first of `video`, `videos`, `output`,
/// `data`, `unsigned_urls`, `video_url`, `url`, `metadata` that names one (fal's `video.url`,
/// Replicate's `output`, OpenRouter's `unsigned_urls`, and gateways' `output[0].url`,
/// `output.video_url`, `data[0].url`, `video_url`, `metadata.url`): a URL as text, the first
/// of a list, or an object's `url` or `video_url`.
pub fn output_url(v: &Video) -> Option<String> {
    fn url(v: &Value, depth: u8) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Array(a) if depth > 0 => a.first().and_then(|v| url(v, depth - 1)),
            Value::Object(o) if depth > 0 => ["url", "video_url"]
                .iter()
                .find_map(|k| o.get(*k).and_then(|v| url(v, depth - 1))),
            _ => None,
        }
    }
    let keys = [
        "video",
        "videos",
        "output",
        "data",
        "unsigned_urls",
        "video_url",
        "url",
    ];
    keys.iter()
        .find_map(|k| v.extra.get(*k).and_then(|x| url(x, 2)))
        // Only an object's: a relay's `metadata` holds other text beside its link.
        .or_else(|| {
            v.extra
                .get("metadata")
                .filter(|m| m.is_object())
                .and_then(|m| url(m, 1))
        })
}

/// A job answer out of the envelope a gateway adds around it (`{"data": {...}}`, the job's
/// fields inside, none beside but the envelope's own): read as it stands, its job would have
/// no status, and be waited for until `--timeout`.
pub(crate) fn unwrapped(v: Value) -> Value {
    let job = |o: &Map<String, Value>| o.contains_key("id") || o.contains_key("request_id");
    match v {
        Value::Object(mut o)
            if !job(&o)
                && o.get("data")
                    .is_some_and(|d| d.as_object().is_some_and(job)) =>
        {
            o.remove("data").expect("checked")
        }
        v => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_names() {
        let p = |u: &str| Provider::for_url(&Url::parse(u).unwrap());
        assert_eq!(p("https://openrouter.ai/api/v1"), Provider::OpenRouter);
        assert_eq!(p("https://queue.fal.run"), Provider::Fal);
        assert_eq!(p("https://api.replicate.com/v1"), Provider::Replicate);
        assert_eq!(p("https://x.openai.azure.com/openai/v1"), Provider::OpenAi);
        assert_eq!(p("https://notopenrouter.ai/v1"), Provider::OpenAi);
        assert_eq!(Provider::parse("FAL").unwrap(), Provider::Fal);
        assert!(Provider::parse("sora").is_err());
    }

    #[test]
    fn a_gateways_data_envelope_is_opened_only_around_a_job() {
        let job = json!({"id": "v", "status": "queued"});
        assert_eq!(unwrapped(json!({"data": job, "success": true})), job);
        let fal = json!({"request_id": "r"});
        assert_eq!(unwrapped(json!({"data": fal})), fal);
        for kept in [
            json!({"object": "list", "data": [job]}),
            json!({"id": "v", "data": {"id": "w"}}),
            json!({"data": {"url": "x"}}),
            json!("text"),
        ] {
            assert_eq!(unwrapped(kept.clone()), kept);
        }
    }

    /// The shapes gateways name a finished job's file in; one not read was taken for a render
    /// the provider removed (gone, to be rendered and billed again).
    #[test]
    fn a_jobs_video_url_is_read_in_every_shape_gateways_give() {
        let u = "https://cdn.example/v.mp4";
        for extra in [
            json!({"video": {"url": u}}),
            json!({"video": u}),
            json!({"videos": [{"url": u}]}),
            json!({"output": u}),
            json!({"output": [u]}),
            json!({"output": [{"url": u}]}),
            json!({"output": {"url": u}}),
            json!({"data": [{"url": u}]}),
            json!({"unsigned_urls": [u]}),
            json!({"output": null, "data": [{"url": u}]}),
            json!({"output": {"video_url": u, "thumbnail_url": "t"}}),
            json!({"video_url": u}),
            json!({"url": u}),
            json!({"metadata": {"url": u}}),
        ] {
            let mut job = json!({"id": "p", "status": "succeeded"});
            job.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            let v: Video = serde_json::from_value(job).unwrap();
            assert_eq!(output_url(&v).as_deref(), Some(u), "{extra}");
        }
        for none in [
            json!({"output": null}),
            json!({"output": [[[u]]]}),
            json!({"metadata": "x"}),
            json!({}),
        ] {
            let mut job = json!({"id": "p", "status": "succeeded"});
            job.as_object_mut()
                .unwrap()
                .extend(none.as_object().unwrap().clone());
            let v: Video = serde_json::from_value(job).unwrap();
            assert_eq!(output_url(&v), None, "{none}");
        }
    }

    #[test]
    fn dialects_word_a_create_their_way() {
        let mut req = CreateVideo::new("a cat");
        req.model = Some("google/veo-3.1-fast".into());
        req.seconds = Some("8".into());
        req.size = Some("1280x720".into());
        let or = Provider::OpenRouter.create_json(&req);
        assert_eq!(or["duration"], 8);
        assert_eq!(or["aspect_ratio"], "16:9");
        assert_eq!(or["resolution"], "720p");
        assert_eq!(or["model"], "google/veo-3.1-fast");
        let rep = Provider::Replicate.create_json(&req);
        assert_eq!(rep["input"]["prompt"], "a cat");
        assert_eq!(
            Provider::Replicate.create_path("google/veo-3"),
            ["models", "google", "veo-3", "predictions"]
        );
        assert_eq!(Provider::OpenAi.create_json(&req)["seconds"], "8");
        let fal = Provider::Fal
            .video(
                json!({"request_id": "r1", "status": "IN_QUEUE"}),
                Some("fal-ai/veo3/fast"),
            )
            .unwrap();
        assert_eq!(fal.id, "fal-ai/veo3/requests/r1");
    }

    /// A job's words reach a terminal only escaped: an id that would drive it is refused, a
    /// status word is shown escaped.
    #[test]
    fn a_job_cannot_drive_the_terminal() {
        let e = Provider::OpenAi
            .video(json!({"id": "video_1\u{1b}[2J"}), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(r#"job "video_1\u{1b}[2J", an id holding control"#),
            "{e}"
        );
        let v = Provider::OpenAi
            .video(
                json!({"id": "v", "status": "queued\u{1b}]52;c;eA==\u{7}"}),
                None,
            )
            .unwrap();
        assert_eq!(v.status.to_string(), r"queued\u{1b}]52;c;eA==\u{7}");
    }

    /// A job answer that cannot be read is quoted as any server's words are: short, the key
    /// it echoes redacted (it was printed whole: 200 KB, the key with it).
    #[test]
    fn an_unreadable_job_answer_is_quoted_short_without_the_key() {
        crate::http::keep_secret("sk-provider-secret-9");
        let prompt = format!("sk-provider-secret-9 {}", "y".repeat(200_000));
        let e = Provider::OpenAi
            .video(json!({"id": ["v"], "prompt": prompt}), None)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("unexpected job answer ("), "{e}");
        assert!(e.len() < 1000 && e.contains("<redacted>"), "{e}");
        assert!(!e.contains("sk-provider-secret-9"), "{e}");
    }
}
