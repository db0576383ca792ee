//! The OpenAI flavour's routes: create, retrieve, list, delete, remix, edits, extensions and
//! content.

use super::errors::{error, invalid, not_found};
use super::ranges::serve_bytes;
use super::state::{Emulator, Once};
use crate::error::{Error, Result};
use crate::fetch::{
    Deleted, Phase, Provider, Variant, Video, VideoList, DEFAULT_MODEL, DEFAULT_SECONDS,
    DEFAULT_SIZE,
};
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::sync::Arc;

/// The routes of the `/v1/videos` API.
pub(super) fn routes() -> Router<Arc<Emulator>> {
    Router::new()
        .route("/videos", post(create).get(list))
        .route("/videos/{id}", get(retrieve).delete(delete))
        .route("/videos/{id}/content", get(content))
        .route("/videos/{id}/remix", post(remix))
        .route("/videos/edits", post(edit))
        .route("/videos/extensions", post(extend))
}

/// The fields of a create, remix, edit or extension request, from JSON or multipart.
#[derive(Default)]
struct CreateFields {
    prompt: Option<String>,
    model: Option<String>,
    seconds: Option<String>,
    size: Option<String>,
    reference: Option<Bytes>,
    video: Option<Source>,
}

/// The video an edit or extension starts from.
enum Source {
    /// A completed job (`video[id]` in a form, `{"video": {"id"}}` in JSON).
    Job(String),
    /// An uploaded MP4 (the `video` file part).
    Upload(Bytes),
}

/// The parameters each endpoint takes.
const CREATE: &[&str] = &["prompt", "model", "seconds", "size", "input_reference"];
const REMIX: &[&str] = &["prompt"];
const EDIT: &[&str] = &["prompt", "video"];
const EXTEND: &[&str] = &["prompt", "seconds", "video"];

fn unknown_param(name: &str) -> Response {
    invalid(&format!("Unknown parameter: '{name}'."), Some(name))
}

/// Read a request body (multipart or JSON) of an endpoint taking the parameters `allowed`;
/// anything else is refused as the API refuses it, and so is `seconds` as a JSON number.
async fn read_fields(
    req: Request,
    emu: &Arc<Emulator>,
    allowed: &[&str],
) -> std::result::Result<CreateFields, Response> {
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut f = CreateFields::default();
    if ctype.starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(req, emu)
            .await
            .map_err(|e| invalid(&e.body_text(), None))?;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| invalid(&e.body_text(), None))?
        {
            let name = field.name().unwrap_or("").to_string();
            let base = name.strip_suffix("[id]").unwrap_or(&name);
            if !allowed.contains(&base) {
                return Err(unknown_param(&name));
            }
            let data = field
                .bytes()
                .await
                .map_err(|e| invalid(&e.body_text(), Some(&name)))?;
            let text = || String::from_utf8_lossy(&data).into_owned();
            match name.as_str() {
                "prompt" => f.prompt = Some(text()),
                "model" => f.model = Some(text()),
                "seconds" => f.seconds = Some(text()),
                "size" => f.size = Some(text()),
                "input_reference" => f.reference = Some(data),
                "video" => f.video = Some(Source::Upload(data)),
                _ => f.video = Some(Source::Job(text())), // video[id]
            }
        }
        return Ok(f);
    }
    let Json(body): Json<serde_json::Map<String, serde_json::Value>> = Json::from_request(req, emu)
        .await
        .map_err(|e| invalid(&e.body_text(), None))?;
    for (name, value) in body {
        if !allowed.contains(&name.as_str()) || name == "input_reference" {
            return Err(unknown_param(&name));
        }
        if name == "video" {
            let id = value.get("id").and_then(|i| i.as_str()).ok_or_else(|| {
                invalid(
                    "'video' must be {\"id\": VIDEO_ID} in JSON; upload a file as multipart.",
                    Some("video"),
                )
            })?;
            f.video = Some(Source::Job(id.to_string()));
            continue;
        }
        let text = match value {
            serde_json::Value::String(t) => t,
            serde_json::Value::Number(n) if name == "seconds" => {
                return Err(invalid(
                    &format!("Invalid type for 'seconds': expected one of '4', '8', '12' as a string, but got an integer ({n}) instead."),
                    Some("seconds"),
                ))
            }
            _ => return Err(invalid(&format!("Invalid type for '{name}'."), Some(&name))),
        };
        match name.as_str() {
            "prompt" => f.prompt = Some(text),
            "model" => f.model = Some(text),
            "seconds" => f.seconds = Some(text),
            _ => f.size = Some(text),
        }
    }
    Ok(f)
}

/// The size of an image, read from its header.
fn image_size(data: &[u8]) -> Option<(u32, u32)> {
    let s = imagesize::blob_size(data).ok()?;
    Some((s.width as u32, s.height as u32))
}

async fn create(State(emu): State<Arc<Emulator>>, req: Request) -> Response {
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let f = match read_fields(req, &emu, CREATE).await {
        Ok(f) => f,
        Err(resp) => return resp,
    };
    let Some(prompt) = f.prompt.filter(|p| !p.trim().is_empty()) else {
        return invalid("Missing required parameter: 'prompt'.", Some("prompt"));
    };
    if let Some(word) = &emu.opts.moderate {
        if prompt.to_lowercase().contains(&word.to_lowercase()) {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "Your request was blocked by our moderation system.",
                None,
                Some("moderation_blocked"),
            );
        }
    }
    let model = f.model.unwrap_or_else(|| DEFAULT_MODEL.into());
    let size = f.size.unwrap_or_else(|| DEFAULT_SIZE.into());
    let seconds = f.seconds.unwrap_or_else(|| DEFAULT_SECONDS.into());
    // The real API knows its own models: one the catalog does not list is refused.
    let reference = f.reference.is_some();
    match emu
        .opts
        .limits
        .check(Provider::OpenAi, &model, &size, &seconds, reference)
    {
        Err(e) => return invalid(&e.message, Some(e.param)),
        Ok(Some(_)) => {
            return invalid(
                &format!(
                    "Invalid value: '{model}'. Supported values are: 'sora-2' and 'sora-2-pro'."
                ),
                Some("model"),
            )
        }
        Ok(None) => {}
    }
    if let Some(data) = f.reference {
        match image_size(&data) {
            None => {
                return invalid(
                    "input_reference is not a readable image.",
                    Some("input_reference"),
                )
            }
            Some(d) if Ok(d) != crate::picture::size::parse(&size) => {
                return invalid(
                    &format!(
                    "Inpaint image must match the requested width and height ({size}); got {}x{}.",
                    d.0, d.1
                ),
                    Some("input_reference"),
                )
            }
            Some(_) => {}
        }
    }
    // A create sent again with its Idempotency-Key gets the job the first one made.
    let params = format!("{model}\n{size}\n{seconds}\n{reference}\n{prompt}");
    let made = emu.start_once(key.as_deref(), params, || {
        emu.start(prompt, model, size, seconds, None)
    });
    match made {
        Once::New(video) => emu.answer_create(Json(video).into_response()).await,
        Once::Replay(video) => {
            let mut resp = Json(video).into_response();
            resp.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            resp
        }
        Once::Gone(id) => not_found(&id),
        Once::Conflict => error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "This Idempotency-Key was already used with other parameters.",
            None,
            Some("idempotency_key_reused"),
        ),
    }
}

async fn retrieve(State(emu): State<Arc<Emulator>>, Path(id): Path<String>) -> Response {
    match emu.find(&id, |j| emu.view(j)) {
        Some(v) => {
            let mut resp = Json(v).into_response();
            let ms = emu.opts.poll_after.as_millis() as u64;
            resp.headers_mut()
                .insert("openai-poll-after-ms", HeaderValue::from(ms));
            resp
        }
        None => not_found(&id),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    after: Option<String>,
    limit: Option<u32>,
    order: Option<String>,
}

async fn list(State(emu): State<Arc<Emulator>>, Query(q): Query<ListQuery>) -> Response {
    let limit = q.limit.unwrap_or(emu.opts.page_size);
    if !(1..=100).contains(&limit) {
        return invalid("limit must be between 1 and 100.", Some("limit"));
    }
    let mut all: Vec<Video> = emu
        .jobs
        .lock()
        .expect("not poisoned")
        .iter()
        .filter(|j| emu.listed(j))
        .map(|j| emu.view(j))
        .collect();
    match q.order.as_deref().unwrap_or("desc") {
        "desc" => all.reverse(),
        "asc" => {}
        _ => return invalid("order must be 'asc' or 'desc'.", Some("order")),
    }
    let start = match &q.after {
        None => 0,
        Some(a) => match all.iter().position(|v| &v.id == a) {
            Some(i) => i + 1,
            None => {
                return invalid(
                    &format!("No video found with id '{a}' for 'after'."),
                    Some("after"),
                )
            }
        },
    };
    let rest = &all[start.min(all.len())..];
    let data: Vec<Video> = rest.iter().take(limit as usize).cloned().collect();
    Json(VideoList {
        object: Some("list".into()),
        first_id: data.first().map(|v| v.id.clone()),
        last_id: data.last().map(|v| v.id.clone()),
        has_more: rest.len() > data.len(),
        data,
        answered_at: None,
    })
    .into_response()
}

async fn delete(State(emu): State<Arc<Emulator>>, Path(id): Path<String>) -> Response {
    let mut jobs = emu.jobs.lock().expect("not poisoned");
    match jobs.iter().position(|j| j.video.id == id) {
        Some(i) => {
            let status = emu.view(&jobs[i]).status;
            if !matches!(status.phase(), Phase::Done | Phase::Failed) {
                return invalid(
                    &format!(
                        "Video '{id}' is {status}; only completed or failed videos can be deleted."
                    ),
                    Some("video_id"),
                );
            }
            jobs.remove(i);
            Json(Deleted {
                id,
                object: Some("video.deleted".into()),
                deleted: true,
            })
            .into_response()
        }
        None => not_found(&id),
    }
}

/// The prompt of a request, required and not blank.
#[allow(clippy::result_large_err)] // the error is the request's answer, made once
fn prompt_of(f: &mut CreateFields) -> std::result::Result<String, Response> {
    f.prompt
        .take()
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| invalid("Missing required parameter: 'prompt'.", Some("prompt")))
}

/// Model, size and length of job `id`, which must be completed to be `what` (remixed, ...).
#[allow(clippy::result_large_err)] // the error is the request's answer, made once
fn completed(emu: &Emulator, id: &str, what: &str) -> std::result::Result<[String; 3], Response> {
    let src = emu.find(id, |j| emu.view(j)).ok_or_else(|| not_found(id))?;
    if src.status.phase() != Phase::Done {
        return Err(invalid(
            &format!(
                "Video '{id}' is {}; only completed videos can be {what}.",
                src.status.as_str()
            ),
            Some("video_id"),
        ));
    }
    let field = |f: Option<String>| f.expect("the emulator fills every field");
    Ok([field(src.model), field(src.size), field(src.seconds)])
}

/// Model, size and length of the video an edit or extension starts from: a completed job, or
/// an uploaded MP4 as probed (its size, its length rounded to whole seconds).
async fn source(
    emu: &Arc<Emulator>,
    video: Option<Source>,
    what: &str,
) -> std::result::Result<[String; 3], Response> {
    let data = match video {
        None => {
            return Err(invalid(
                "Missing required parameter: 'video'.",
                Some("video"),
            ))
        }
        Some(Source::Job(id)) => return completed(emu, &id, what),
        Some(Source::Upload(data)) => data,
    };
    let dir = emu.workdir.path().to_path_buf();
    let probed = tokio::task::spawn_blocking(move || -> Result<(u32, u32, f64)> {
        let file = tempfile::NamedTempFile::new_in(&dir).map_err(|e| Error::io(&dir, e))?;
        std::fs::write(file.path(), &data).map_err(|e| Error::io(file.path(), e))?;
        let p = crate::probe::probe(file.path(), false)?;
        let v = p
            .streams
            .iter()
            .find(|s| s.kind == cutroom_ffi::MediaKind::Video);
        match (v.and_then(|v| v.width.zip(v.height)), p.duration_s) {
            (Some((w, h)), Some(d)) => Ok((w, h, d)),
            _ => Err(Error::bad_input(
                file.path(),
                "no video stream with a length",
            )),
        }
    })
    .await
    .map_err(|e| invalid(&e.to_string(), Some("video")))?;
    match probed {
        Ok((w, h, d)) if w % 2 + h % 2 == 0 && w.max(h) <= 4096 => Ok([
            DEFAULT_MODEL.into(),
            format!("{w}x{h}"),
            (d.round() as u64).max(1).to_string(),
        ]),
        Ok((w, h, _)) => Err(invalid(
            &format!("The uploaded video's size {w}x{h} is not supported."),
            Some("video"),
        )),
        Err(e) => Err(invalid(
            &format!("The uploaded video could not be read: {e}"),
            Some("video"),
        )),
    }
}

/// `POST /videos/{id}/remix` (JSON or multipart `prompt`): a new job like completed job `id`.
async fn remix(State(emu): State<Arc<Emulator>>, Path(id): Path<String>, req: Request) -> Response {
    let run = async {
        let mut f = read_fields(req, &emu, REMIX).await?;
        let prompt = prompt_of(&mut f)?;
        let [model, size, seconds] = completed(&emu, &id, "remixed")?;
        Ok(emu.start(prompt, model, size, seconds, Some(id.clone())))
    };
    answer(run.await)
}

/// `POST /videos/edits` (multipart `prompt` + `video` file or `video[id]`, or JSON with
/// `{"video": {"id"}}`): a new job of the source's size and length.
async fn edit(State(emu): State<Arc<Emulator>>, req: Request) -> Response {
    let run = async {
        let mut f = read_fields(req, &emu, EDIT).await?;
        let prompt = prompt_of(&mut f)?;
        let [model, size, seconds] = source(&emu, f.video.take(), "edited").await?;
        Ok(emu.start(prompt, model, size, seconds, None))
    };
    answer(run.await)
}

/// `POST /videos/extensions` (as edits, plus `seconds` of new footage: 4, 8, 12, 16 or 20): a
/// new job as long as the source and the extension together.
async fn extend(State(emu): State<Arc<Emulator>>, req: Request) -> Response {
    let run = async {
        let mut f = read_fields(req, &emu, EXTEND).await?;
        let prompt = prompt_of(&mut f)?;
        let more = match f.seconds.as_deref().map(str::parse::<u64>) {
            Some(Ok(s)) if [4, 8, 12, 16, 20].contains(&s) => s,
            None => {
                return Err(invalid(
                    "Missing required parameter: 'seconds'.",
                    Some("seconds"),
                ))
            }
            Some(_) => return Err(invalid(
                "Invalid value for 'seconds': supported values are '4', '8', '12', '16' and '20'.",
                Some("seconds"),
            )),
        };
        let [model, size, seconds] = source(&emu, f.video.take(), "extended").await?;
        let total = seconds.parse::<u64>().expect("a number") + more;
        Ok(emu.start(prompt, model, size, total.to_string(), None))
    };
    answer(run.await)
}

fn answer(job: std::result::Result<Video, Response>) -> Response {
    match job {
        Ok(v) => Json(v).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct ContentQuery {
    variant: Option<String>,
}

async fn content(
    State(emu): State<Arc<Emulator>>,
    Path(id): Path<String>,
    Query(q): Query<ContentQuery>,
    headers: HeaderMap,
) -> Response {
    let name = q.variant.unwrap_or_else(|| "video".into());
    let Some(variant) = Variant::parse(&name) else {
        return invalid(
            &format!("Invalid variant '{name}': expected video, thumbnail or spritesheet."),
            Some("variant"),
        );
    };
    let Some((video, clip, expired, lost)) = emu.find(&id, |j| {
        let clip = j.clip.as_ref().and_then(|c| c.get()).cloned();
        let lost = j.among_first(emu.opts.lose_files);
        (emu.view(j), clip, emu.expired(j), lost)
    }) else {
        return not_found(&id);
    };
    if video.status.phase() != Phase::Done {
        return invalid(
            &format!(
                "Video '{id}' is {}; content is available once it completes.",
                video.status.as_str()
            ),
            Some("video_id"),
        );
    }
    if expired {
        return error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            &format!("The content of video '{id}' has expired."),
            Some("video_id"),
            Some("video_expired"),
        );
    }
    if lost {
        return not_found(&id);
    }
    let Some(Ok(clip)) = clip else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "The render is missing.",
            None,
            None,
        );
    };
    let (bytes, ctype) = match variant {
        Variant::Video => (clip.video.clone(), "video/mp4"),
        Variant::Thumbnail => (clip.thumbnail.clone(), "image/webp"),
        Variant::Spritesheet => (clip.spritesheet.clone(), "image/jpeg"),
    };
    serve_bytes(&emu, bytes, ctype, &headers)
}
