//! The emulator's routes and job store.

use super::clips::{Clips, Slot};
use super::Options;
use crate::error::{Error, Result};
use crate::fetch::{
    parse_size, ApiErrorBody, Deleted, ErrorEnvelope, Phase, Provider, Status, Variant, Video,
    VideoError, VideoList, DEFAULT_MODEL, DEFAULT_SECONDS, DEFAULT_SIZE,
};
use crate::synth::MarkerSpec;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::Deserialize;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Counters of `GET /emulator/stats`.
#[derive(Debug, Default)]
pub(super) struct Stats {
    /// Jobs created (create and remix), deleted ones included.
    pub(super) jobs_created: AtomicU64,
    /// API requests seen.
    pub(super) requests: AtomicU64,
    /// Requests answered 429.
    pub(super) rate_limited: AtomicU64,
    /// Requests answered with an injected 500.
    pub(super) server_errors: AtomicU64,
    /// Downloads cut midway.
    pub(super) dropped_downloads: AtomicU64,
    /// Creates whose job was made but whose answer was dropped.
    pub(super) dropped_creates: AtomicU64,
}

pub(super) struct Job {
    video: Video,
    created: Instant,
    created_wall: SystemTime,
    fails: bool,
    pub(super) clip: Option<Slot>,
}

/// The emulator: options, jobs, clips and counters.
pub struct Emulator {
    pub(super) opts: Options,
    pub(super) stats: Stats,
    pub(super) window: Mutex<VecDeque<Instant>>,
    pub(super) jobs: Mutex<Vec<Job>>,
    clips: Arc<Clips>,
    workdir: tempfile::TempDir,
    /// Removes the work directory on SIGINT/SIGTERM, where `workdir`'s drop never runs.
    _live: crate::cleanup::Live,
}

/// Bind 127.0.0.1:`opts.port`, call `ready` with the base URL of the flavour's API, and serve
/// (https when `opts.tls` names a certificate) until the process ends.
pub async fn serve(opts: Options, ready: impl FnOnce(String)) -> Result<()> {
    let prefix = format!("cutroom-emulate.{}.", std::process::id());
    let live = crate::cleanup::Live::names(&std::env::temp_dir(), &prefix);
    let workdir = tempfile::Builder::new()
        .prefix(&prefix)
        .tempdir()
        .map_err(|e| Error::Unavailable(format!("cannot make a work directory: {e}")))?;
    let tls = match &opts.tls {
        Some((cert, key)) => Some(super::tls::server_config(cert, key)?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port))
        .await
        .map_err(|e| {
            Error::Unavailable(format!("cannot listen on 127.0.0.1:{}: {e}", opts.port))
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Unavailable(e.to_string()))?;
    let parallel = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let emu = Arc::new(Emulator {
        clips: Arc::new(Clips::new(workdir.path(), parallel)),
        opts,
        stats: Stats::default(),
        window: Mutex::new(VecDeque::new()),
        jobs: Mutex::new(Vec::new()),
        workdir,
        _live: live,
    });
    let (api, root) = match emu.opts.flavor {
        Provider::OpenAi => (
            Router::new()
                .route("/videos", post(create).get(list))
                .route("/videos/{id}", get(retrieve).delete(delete))
                .route("/videos/{id}/content", get(content))
                .route("/videos/{id}/remix", post(remix))
                .route("/videos/edits", post(edit))
                .route("/videos/extensions", post(extend)),
            "/v1",
        ),
        flavor => super::dialects::routes(flavor),
    };
    let faults = axum::middleware::from_fn_with_state(emu.clone(), super::faults::faults);
    let app = match root {
        "" => api.layer(faults),
        root => Router::new().nest(root, api.fallback(unknown).layer(faults)),
    };
    let app = app
        .route("/emulator/stats", get(stats))
        .route("/files/{file}", get(file))
        .fallback(unknown)
        .layer(DefaultBodyLimit::max(64 << 20))
        .with_state(emu);
    let stopped = |e: std::io::Error| Error::Unavailable(format!("emulator stopped: {e}"));
    match tls {
        Some(config) => {
            ready(format!("https://{addr}{root}"));
            let listener = super::tls::TlsListener::new(listener, config);
            axum::serve(listener, app).await.map_err(stopped)
        }
        None => {
            ready(format!("http://{addr}{root}"));
            axum::serve(listener, app).await.map_err(stopped)
        }
    }
}

/// An error envelope `{"error": {message, type, param, code}}` with `status`.
pub(super) fn error(
    status: StatusCode,
    kind: &str,
    message: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> Response {
    let body = ErrorEnvelope {
        error: ApiErrorBody {
            message: message.to_string(),
            kind: kind.to_string(),
            param: param.map(str::to_string),
            code: code.map(str::to_string),
        },
    };
    (status, Json(body)).into_response()
}

pub(super) fn invalid(message: &str, param: Option<&str>) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        message,
        param,
        None,
    )
}

pub(super) fn not_found(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        &format!("Video with id '{id}' not found."),
        Some("video_id"),
        Some("video_not_found"),
    )
}

async fn unknown(req: Request) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        &format!(
            "Unknown request URL: {} {}.",
            req.method(),
            req.uri().path()
        ),
        None,
        Some("unknown_url"),
    )
}

/// Unix seconds of `t`, rounded up (a job is never reported done or expired early).
fn ceil_secs(t: SystemTime) -> i64 {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)) as i64
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Emulator {
    /// An error in the envelope of the flavour served (`kind`, `param` and `code` are OpenAI's).
    pub(super) fn error(
        &self,
        status: StatusCode,
        kind: &str,
        message: &str,
        param: Option<&str>,
        code: Option<&str>,
    ) -> Response {
        match self.opts.flavor {
            Provider::OpenAi => error(status, kind, message, param, code),
            flavor => super::dialects::error(flavor, status, message),
        }
    }

    /// The job as a client sees it now: status and progress follow the time since creation
    /// (queued for the first tenth of the render time), and completion also waits for the
    /// real clip to be encoded.
    pub(super) fn view(&self, job: &Job) -> Video {
        let mut v = job.video.clone();
        let total = self.opts.render_time.as_secs_f64();
        let elapsed = job.created.elapsed().as_secs_f64();
        let clip = job.clip.as_ref().and_then(|c| c.get());
        if elapsed < total * 0.1 {
            return v; // queued
        }
        let done = elapsed >= total && (job.fails || clip.is_some());
        if !done {
            v.status = Status::new("in_progress");
            v.progress = Some(((elapsed / total.max(1e-9)) * 100.0).min(99.0) as i64);
            return v;
        }
        let finished = job.created_wall + self.opts.render_time;
        let failure = match clip {
            _ if job.fails => Some((
                "video_generation_failed",
                "The render failed (injected by cutroom emulate --fail-jobs).".to_string(),
            )),
            Some(Err(e)) => Some(("internal_error", format!("The render failed: {e}"))),
            _ => None,
        };
        match failure {
            Some((code, message)) => {
                v.status = Status::new("failed");
                v.error = Some(VideoError {
                    code: Some(code.into()),
                    message,
                });
            }
            None => {
                v.status = Status::new("completed");
                v.progress = Some(100);
                v.completed_at = Some(ceil_secs(finished));
                v.expires_at = Some(ceil_secs(finished + self.opts.expire_after));
            }
        }
        v
    }

    /// True once the job's content is past its expiry (to the nanosecond).
    pub(super) fn expired(&self, job: &Job) -> bool {
        SystemTime::now() >= job.created_wall + self.opts.render_time + self.opts.expire_after
    }

    /// Start a job and return its first view.
    pub(super) fn start(
        &self,
        prompt: String,
        model: String,
        size: String,
        seconds: String,
        remixed_from: Option<String>,
    ) -> Video {
        let (width, height) = parse_size(&size).expect("validated");
        let spec = MarkerSpec {
            av_offset_ms: self.opts.av_offset_ms,
            noise: self.opts.noise,
            ..MarkerSpec::new(width, height, seconds.parse().expect("validated"))
        };
        let fails = self.opts.fail_jobs > 0.0 && fastrand::f64() < self.opts.fail_jobs;
        let video = Video {
            id: format!("video_{:032x}", fastrand::u128(..)),
            object: Some("video".into()),
            model: Some(model),
            status: Status::new("queued"),
            progress: Some(0),
            created_at: Some(unix_now()),
            completed_at: None,
            expires_at: None,
            prompt: Some(prompt),
            seconds: Some(seconds),
            size: Some(size),
            remixed_from_video_id: remixed_from,
            error: None,
            extra: Default::default(),
        };
        let job = Job {
            video: video.clone(),
            created: Instant::now(),
            created_wall: SystemTime::now(),
            fails,
            clip: (!fails).then(|| self.clips.request(&spec)),
        };
        self.stats.jobs_created.fetch_add(1, Ordering::Relaxed);
        self.jobs.lock().expect("not poisoned").push(job);
        video
    }

    pub(super) fn find<T>(&self, id: &str, f: impl FnOnce(&Job) -> T) -> Option<T> {
        self.jobs
            .lock()
            .expect("not poisoned")
            .iter()
            .find(|j| j.video.id == id)
            .map(f)
    }
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
            Some(d) if Some(d) != parse_size(&size) => {
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
    let video = emu.start(prompt, model, size, seconds, None);
    emu.answer_create(Json(video).into_response()).await
}

impl Emulator {
    /// The answer to a create whose job is made: late with `--slow-creates`, and lost (the
    /// connection dropped) with `--drop-creates`.
    pub(super) async fn answer_create(&self, answer: Response) -> Response {
        if !self.opts.slow_creates.is_zero() {
            tokio::time::sleep(self.opts.slow_creates).await;
        }
        if self.opts.drop_creates > 0.0 && fastrand::f64() < self.opts.drop_creates {
            self.stats.dropped_creates.fetch_add(1, Ordering::Relaxed);
            let cut = futures_util::stream::once(async {
                Err::<Bytes, _>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "dropped by --drop-creates",
                ))
            });
            return Response::new(Body::from_stream(cut));
        }
        answer
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
        let p = crate::probe::probe(file.path())?;
        let v = p.streams.iter().find(|s| s.kind == "video");
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
    let Some((video, clip, expired)) = emu.find(&id, |j| {
        let clip = j.clip.as_ref().and_then(|c| c.get()).cloned();
        (emu.view(j), clip, emu.expired(j))
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

/// Serve `bytes` honouring a `Range: bytes=START-[END]` request; with `--drop-downloads` a
/// request without `Range` is cut after half its bytes (the connection is aborted), so only a
/// client that resumes gets the whole file.
pub(super) fn serve_bytes(
    emu: &Emulator,
    bytes: Bytes,
    ctype: &str,
    headers: &HeaderMap,
) -> Response {
    let len = bytes.len() as u64;
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_range);
    let (status, start, end) = match range {
        None => (StatusCode::OK, 0, len),
        Some((s, _)) if s >= len => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            r.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{len}")).expect("ascii"),
            );
            return r;
        }
        Some((s, e)) => (
            StatusCode::PARTIAL_CONTENT,
            s,
            e.map_or(len, |e| (e + 1).min(len)),
        ),
    };
    let part = bytes.slice(start as usize..end as usize);
    let body = if emu.opts.drop_downloads && range.is_none() && part.len() > 1 {
        emu.stats.dropped_downloads.fetch_add(1, Ordering::Relaxed);
        let half = part.slice(..part.len() / 2);
        // Let the first half reach the socket before the connection is aborted.
        let cut = futures_util::stream::once(async {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "dropped by --drop-downloads",
            ))
        });
        Body::from_stream(futures_util::stream::iter([Ok(half)]).chain(cut))
    } else {
        Body::from(part)
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(ctype).expect("ascii"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if status == StatusCode::PARTIAL_CONTENT {
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&format!("bytes {start}-{}/{len}", end - 1)).expect("ascii"),
        );
    }
    resp
}

/// `bytes=START-` or `bytes=START-END` (one range; suffix ranges are not served).
fn parse_range(v: &str) -> Option<(u64, Option<u64>)> {
    let (s, e) = v.strip_prefix("bytes=")?.split_once('-')?;
    let start = s.trim().parse().ok()?;
    let end = match e.trim() {
        "" => None,
        e => Some(e.parse().ok()?),
    };
    Some((start, end)).filter(|(s, e)| e.is_none_or(|e| e >= *s))
}

/// `GET /files/{id}.mp4`: a finished render where fal and Replicate put them (a CDN: no key,
/// no API faults, `--drop-downloads` still applies).
async fn file(
    State(emu): State<Arc<Emulator>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let id = file.strip_suffix(".mp4").unwrap_or(&file);
    super::dialects::clip_of(&emu, emu.opts.flavor, id, &headers)
}

async fn stats(State(emu): State<Arc<Emulator>>) -> Response {
    let s = &emu.stats;
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    // The provider's request log, as a dashboard shows it: id and prompt of every live job.
    let log: Vec<serde_json::Value> = emu
        .jobs
        .lock()
        .expect("not poisoned")
        .iter()
        .map(|j| serde_json::json!({"id": j.video.id, "prompt": j.video.prompt}))
        .collect();
    Json(serde_json::json!({
        "jobs_created": get(&s.jobs_created),
        "jobs": log.len(),
        "log": log,
        "clips_encoded": emu.clips.encoded(),
        "requests": get(&s.requests),
        "rate_limited": get(&s.rate_limited),
        "server_errors": get(&s.server_errors),
        "dropped_downloads": get(&s.dropped_downloads),
        "dropped_creates": get(&s.dropped_creates),
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=10-"), Some((10, None)));
        assert_eq!(parse_range("bytes=10-19"), Some((10, Some(19))));
        assert_eq!(parse_range("bytes=10-5"), None);
        assert_eq!(parse_range("bytes=-5"), None);
        assert_eq!(parse_range("items=1-2"), None);
    }
}
