//! The emulator's other flavours: OpenRouter's `/api/v1/videos`, fal's queue and Replicate's
//! predictions, each with its own routes, job shape, status words and error envelope, over the
//! same job store and clips as the OpenAI flavour.

use super::ranges::serve_bytes;
use super::state::{Emulator, Job};
use crate::fetch::{format_rfc3339, Phase, Provider, Video};
use crate::picture::size;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The API routes of `flavor` (not OpenAI's) and the path of its root under the server.
pub(super) fn routes(flavor: Provider) -> (Router<Arc<Emulator>>, &'static str) {
    match flavor {
        Provider::OpenRouter => (
            Router::new()
                .route("/videos", post(openrouter_create))
                .route("/videos/{id}", get(openrouter_get))
                .route("/videos/{id}/content", get(openrouter_content)),
            "/api/v1",
        ),
        Provider::Fal => (
            Router::new()
                .route("/{owner}/{app}", post(fal_create))
                .route("/{owner}/{app}/{sub}", post(fal_create))
                .route("/{owner}/{app}/requests/{id}/status", get(fal_status))
                .route("/{owner}/{app}/requests/{id}", get(fal_result)),
            "",
        ),
        Provider::Replicate => (
            Router::new()
                .route("/models/{owner}/{name}/predictions", post(replicate_create))
                .route("/predictions", get(replicate_list))
                .route("/predictions/{id}", get(replicate_get))
                .route("/predictions/{id}/cancel", post(replicate_cancel)),
            "/v1",
        ),
        Provider::OpenAi => unreachable!("the OpenAI flavour has its own routes"),
    }
}

/// An error in `flavor`'s envelope: OpenRouter `{"error": {"code", "message"}}`, fal
/// `{"detail"}`, Replicate `{"title", "detail", "status"}`.
pub(super) fn error(flavor: Provider, status: StatusCode, message: &str) -> Response {
    let body = match flavor {
        Provider::OpenRouter => json!({"error": {"code": status.as_u16(), "message": message}}),
        Provider::Fal => json!({ "detail": message }),
        _ => {
            json!({"title": status.canonical_reason(), "detail": message, "status": status.as_u16()})
        }
    };
    (status, Json(body)).into_response()
}

/// Start a job from a dialect's create fields: `WIDTHxHEIGHT` from `size`, else from
/// `resolution` (the short side, `720p`) and `aspect_ratio` (`16:9`); `duration` a number or
/// `"8s"`. `Err` is why it is refused (HTTP 400).
fn start(emu: &Emulator, model: &str, f: &Value) -> Result<Video, String> {
    let bad = |m: &str| Err(m.to_string());
    let Some(prompt) = f["prompt"].as_str().filter(|p| !p.trim().is_empty()) else {
        return bad("prompt is required");
    };
    if let Some(word) = &emu.opts.moderate {
        if prompt.to_lowercase().contains(&word.to_lowercase()) {
            return bad("Your prompt was flagged by content moderation.");
        }
    }
    let seconds = match &f["duration"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim_end_matches('s').parse().ok(),
        Value::Null => Some(4),
        _ => None,
    };
    let Some(seconds) = seconds.filter(|s| (1..=60).contains(s)) else {
        return bad("duration must be a whole number of seconds, 1-60");
    };
    let size = match f["size"].as_str() {
        Some(s) => size::parse(s).ok(),
        None => size_from(
            f["resolution"].as_str().unwrap_or("720p"),
            f["aspect_ratio"].as_str().unwrap_or("16:9"),
        ),
    };
    let Some((w, h)) = size
        .filter(|(w, h)| (16..=4096).contains(w) && (16..=4096).contains(h) && w % 2 + h % 2 == 0)
    else {
        return bad("size, resolution or aspect_ratio is not a size this model renders");
    };
    Ok(emu.start(
        prompt.to_string(),
        model.to_string(),
        format!("{w}x{h}"),
        seconds.to_string(),
        None,
    ))
}

/// `720p` + `16:9` -> (1280, 720); `9:16` -> (720, 1280).
fn size_from(resolution: &str, aspect: &str) -> Option<(u32, u32)> {
    let short: u32 = resolution.trim_end_matches('p').parse().ok()?;
    let (a, b) = aspect.split_once(':')?;
    let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
    if a == 0 || b == 0 {
        return None;
    }
    let long = |x: u32, y: u32| (short * x % y == 0).then_some(short * x / y);
    if a >= b {
        Some((long(a, b)?, short))
    } else {
        Some((short, long(b, a)?))
    }
}

/// The dialect's word for a phase.
fn word(flavor: Provider, phase: Phase) -> &'static str {
    match (flavor, phase) {
        (Provider::Fal, Phase::Waiting) => "IN_QUEUE",
        (Provider::Fal, Phase::Running) => "IN_PROGRESS",
        (Provider::Fal, _) => "COMPLETED",
        (Provider::Replicate, Phase::Waiting) => "starting",
        (Provider::Replicate, Phase::Running) => "processing",
        (Provider::Replicate, Phase::Done) => "succeeded",
        (Provider::Replicate, Phase::Cancelled) => "canceled",
        (_, Phase::Cancelled) => "cancelled",
        (_, Phase::Waiting) => "pending",
        (_, Phase::Running) => "in_progress",
        (_, Phase::Done) => "completed",
        _ => "failed",
    }
}

/// The job `id` as seen now, with the error message of a failed one.
fn job(emu: &Emulator, id: &str) -> Option<(Video, Option<String>)> {
    emu.find(id, |j| {
        let v = emu.view(j);
        let e = v.error.as_ref().map(|e| e.message.clone());
        (v, e)
    })
}

/// The root URL of this server (its scheme, and the host the request named).
fn origin(emu: &Emulator, headers: &HeaderMap) -> String {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let scheme = if emu.opts.tls.is_some() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

async fn json_body(flavor: Provider, body: Bytes) -> Result<Value, Response> {
    serde_json::from_slice(&body).map_err(|e| {
        error(
            flavor,
            StatusCode::BAD_REQUEST,
            &format!("invalid JSON: {e}"),
        )
    })
}

fn openrouter_job(v: &Video, err: Option<String>, root: &str) -> Value {
    let done = v.status.phase() == Phase::Done;
    // Output moderation refuses a render already made: billed as a finished one is.
    let refused = v.error.as_ref().is_some_and(|e| e.is_moderation());
    let billed = done || (v.status.phase() == Phase::Failed && refused);
    json!({
        "id": v.id,
        "polling_url": format!("{root}/api/v1/videos/{}", v.id),
        "status": word(Provider::OpenRouter, v.status.phase()),
        "model": v.model,
        "error": err,
        "unsigned_urls": if done { json!([format!("{root}/api/v1/videos/{}/content?index=0", v.id)]) } else { Value::Null },
        "usage": if billed { json!({"cost": 0.1 * v.seconds.as_deref().and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0)}) } else { Value::Null },
    })
}

async fn openrouter_create(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = match json_body(Provider::OpenRouter, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if f["duration"].is_string() {
        return error(
            Provider::OpenRouter,
            StatusCode::BAD_REQUEST,
            "duration must be an integer",
        );
    }
    let Some(model) = f["model"].as_str() else {
        return error(
            Provider::OpenRouter,
            StatusCode::BAD_REQUEST,
            "model is required",
        );
    };
    match start(&emu, model, &f) {
        Ok(v) => {
            let job = openrouter_job(&v, None, &origin(&emu, &headers));
            let answer = (StatusCode::ACCEPTED, Json(job)).into_response();
            emu.answer_create(answer).await
        }
        Err(m) => error(Provider::OpenRouter, StatusCode::BAD_REQUEST, &m),
    }
}

async fn openrouter_get(
    State(emu): State<Arc<Emulator>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match job(&emu, &id) {
        Some((v, e)) => Json(openrouter_job(&v, e, &origin(&emu, &headers))).into_response(),
        None => error(
            Provider::OpenRouter,
            StatusCode::NOT_FOUND,
            "video job not found",
        ),
    }
}

async fn openrouter_content(
    State(emu): State<Arc<Emulator>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    clip_of(&emu, Provider::OpenRouter, &id, &headers)
}

/// The MP4 of finished job `id`, served with `Range` (and `--drop-downloads`).
pub(super) fn clip_of(emu: &Emulator, flavor: Provider, id: &str, headers: &HeaderMap) -> Response {
    let Some((video, clip, expired, lost)) = emu.find(id, |j| {
        let clip = j.clip.as_ref().and_then(|c| c.get()).cloned();
        let lost = j.among_first(emu.opts.lose_files);
        (emu.view(j), clip, emu.expired(j), lost)
    }) else {
        return error(flavor, StatusCode::NOT_FOUND, "not found");
    };
    if video.status.phase() != Phase::Done {
        return error(flavor, StatusCode::BAD_REQUEST, "the video is not ready");
    }
    if expired {
        return error(flavor, StatusCode::NOT_FOUND, "the content has expired");
    }
    if lost {
        return error(flavor, StatusCode::NOT_FOUND, "not found");
    }
    match clip {
        Some(Ok(clip)) => serve_bytes(emu, clip.video.clone(), "video/mp4", headers),
        _ => error(
            flavor,
            StatusCode::INTERNAL_SERVER_ERROR,
            "the render is missing",
        ),
    }
}

async fn fal_create(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    req: Request,
) -> Response {
    let app: Vec<String> = req
        .uri()
        .path()
        .trim_matches('/')
        .split('/')
        .map(str::to_string)
        .collect();
    let body = match axum::body::to_bytes(req.into_body(), 1 << 20).await {
        Ok(b) => b,
        Err(e) => return error(Provider::Fal, StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let f = match json_body(Provider::Fal, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let model = app.join("/");
    let v = match start(&emu, &model, &f) {
        Ok(v) => v,
        Err(m) => return error(Provider::Fal, StatusCode::BAD_REQUEST, &m),
    };
    let base = format!(
        "{}/{}/{}/requests/{}",
        origin(&emu, &headers),
        app[0],
        app[1],
        v.id
    );
    let answer = Json(json!({
        "request_id": v.id,
        "response_url": base,
        "status_url": format!("{base}/status"),
        "cancel_url": format!("{base}/cancel"),
        "queue_position": 0,
    }))
    .into_response();
    emu.answer_create(answer).await
}

async fn fal_status(
    State(emu): State<Arc<Emulator>>,
    Path((owner, app, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some((v, _)) = job(&emu, &id) else {
        return error(Provider::Fal, StatusCode::NOT_FOUND, "Request not found");
    };
    let base = format!("{}/{owner}/{app}/requests/{id}", origin(&emu, &headers));
    let mut body = json!({
        "status": word(Provider::Fal, v.status.phase()),
        "request_id": id,
        "response_url": base,
        "status_url": format!("{base}/status"),
        "cancel_url": format!("{base}/cancel"),
        "logs": null,
        "metrics": {},
    });
    if v.status.phase() == Phase::Waiting {
        body["queue_position"] = 0.into();
    }
    Json(body).into_response()
}

async fn fal_result(
    State(emu): State<Arc<Emulator>>,
    Path((_, _, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some((v, err)) = job(&emu, &id) else {
        return error(Provider::Fal, StatusCode::NOT_FOUND, "Request not found");
    };
    let lost = emu.find(&id, |j| j.among_first(emu.opts.lose_results));
    if v.status.phase() == Phase::Done && lost == Some(true) {
        return error(Provider::Fal, StatusCode::NOT_FOUND, "Request not found");
    }
    match v.status.phase() {
        Phase::Done => Json(json!({
            "video": {
                "url": format!("{}/files/{id}.mp4", origin(&emu, &headers)),
                "content_type": "video/mp4",
                "file_name": format!("{id}.mp4"),
            },
            "seed": 0,
        }))
        .into_response(),
        Phase::Failed => error(
            Provider::Fal,
            StatusCode::UNPROCESSABLE_ENTITY,
            &err.unwrap_or_else(|| "The render failed.".into()),
        ),
        _ => error(
            Provider::Fal,
            StatusCode::BAD_REQUEST,
            "Request is still in progress",
        ),
    }
}

/// Replicate's prediction of job `j` as it is now, its URLs under `root`.
fn prediction(emu: &Emulator, j: &Job, root: &str) -> Value {
    let v = emu.view(j);
    // An API prediction's output is removed an hour after it ends (`--expire-after`).
    let gone = emu.expired(j) || j.among_first(emu.opts.lose_files);
    let done = v.status.phase() == Phase::Done && !gone;
    json!({
        "id": v.id,
        "model": v.model,
        "version": "emulated",
        "input": input_of(&v),
        "logs": "",
        "output": if done { json!(format!("{root}/files/{}.mp4", v.id)) } else { Value::Null },
        "error": v.error.as_ref().map(|e| e.message.clone()),
        "status": word(Provider::Replicate, v.status.phase()),
        "created_at": v.created_at.map(format_rfc3339),
        "started_at": emu.started_at(j).map(format_rfc3339),
        "completed_at": v.completed_at.map(format_rfc3339),
        "urls": {
            "get": format!("{root}/v1/predictions/{}", v.id),
            "cancel": format!("{root}/v1/predictions/{}/cancel", v.id),
        },
    })
}

/// The input a Replicate job was made with (prompt and duration, as the emulator keeps them).
fn input_of(v: &Video) -> Value {
    json!({
        "prompt": v.prompt,
        "duration": v.seconds.as_deref().and_then(|s| s.parse::<u64>().ok()),
    })
}

async fn replicate_create(
    State(emu): State<Arc<Emulator>>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = match json_body(Provider::Replicate, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if !f["input"].is_object() {
        return error(
            Provider::Replicate,
            StatusCode::UNPROCESSABLE_ENTITY,
            "input is required",
        );
    }
    match start(&emu, &format!("{owner}/{name}"), &f["input"]) {
        Ok(v) => {
            let root = origin(&emu, &headers);
            let p = emu.find(&v.id, |j| prediction(&emu, j, &root));
            emu.answer_create((StatusCode::CREATED, Json(p)).into_response())
                .await
        }
        Err(m) => error(Provider::Replicate, StatusCode::UNPROCESSABLE_ENTITY, &m),
    }
}

async fn replicate_get(
    State(emu): State<Arc<Emulator>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let root = origin(&emu, &headers);
    match emu.find(&id, |j| prediction(&emu, j, &root)) {
        Some(p) => Json(p).into_response(),
        None => error(Provider::Replicate, StatusCode::NOT_FOUND, "Not found."),
    }
}

/// `GET /v1/predictions[?cursor=N]`: newest first, `--page-size` a page, `next` the URL of the
/// following page (Replicate's cursor, here the offset).
async fn replicate_list(
    State(emu): State<Arc<Emulator>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let root = origin(&emu, &headers);
    let from: usize = q.get("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
    let size = emu.opts.page_size as usize;
    let jobs = emu.jobs.lock().expect("not poisoned");
    let listed: Vec<&Job> = jobs.iter().rev().filter(|j| emu.listed(j)).collect();
    let page: Vec<Value> = listed
        .iter()
        .skip(from)
        .take(size)
        .map(|j| prediction(&emu, j, &root))
        .collect();
    let next = (from + size < listed.len())
        .then(|| format!("{root}/v1/predictions?cursor={}", from + size));
    Json(json!({"previous": null, "next": next, "results": page})).into_response()
}

/// `POST /v1/predictions/{id}/cancel`: a prediction still starting or processing ends
/// `canceled`; the answer is the prediction as it is then (as it was, if it had ended).
async fn replicate_cancel(
    State(emu): State<Arc<Emulator>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !emu.cancel(&id) {
        return error(Provider::Replicate, StatusCode::NOT_FOUND, "Not found.");
    }
    replicate_get(State(emu), Path(id), headers).await
}

#[cfg(test)]
mod tests {
    use super::size_from;

    #[test]
    fn sizes_from_resolution_and_aspect() {
        assert_eq!(size_from("720p", "16:9"), Some((1280, 720)));
        assert_eq!(size_from("720p", "9:16"), Some((720, 1280)));
        assert_eq!(size_from("144p", "16:9"), Some((256, 144)));
        assert_eq!(size_from("100p", "16:9"), None);
    }
}
