//! The emulator's server: bind, assemble the flavour's routes behind the faults, serve; plus
//! the routes every flavour shares (stats, rendered files).

use super::clips::Clips;
use super::errors::unknown;
use super::state::{Emulator, Stats};
use super::Options;
use crate::error::{Error, Result};
use crate::fetch::Provider;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Bind 127.0.0.1:`opts.port`, call `ready` with the base URL of the flavour's API, and serve
/// (https when `opts.tls` names a certificate) until the process ends.
pub async fn serve(opts: Options, ready: impl FnOnce(String)) -> Result<()> {
    let prefix = format!("cutroom-emulate.{}.", std::process::id());
    let live = crate::cleanup::Live::names(&std::env::temp_dir(), &prefix);
    let workdir = tempfile::Builder::new()
        .prefix(&prefix)
        .tempdir()
        .map_err(Error::work_dir)?;
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
    let draws = opts
        .seed
        .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
    let emu = Arc::new(Emulator {
        clips: Arc::new(Clips::new(workdir.path(), parallel, opts.sign.clone())),
        opts,
        stats: Stats::default(),
        window: Mutex::new(VecDeque::new()),
        jobs: Mutex::new(Vec::new()),
        keys: Mutex::default(),
        draws: Mutex::new(draws),
        workdir,
        _live: live,
    });
    let (api, root) = match emu.opts.flavor {
        Provider::OpenAi => (super::routes::routes(), "/v1"),
        flavor => super::dialects::routes(flavor),
    };
    let faults = axum::middleware::from_fn_with_state(emu.clone(), super::faults::faults);
    let app = match root {
        "" => api.layer(faults),
        root => Router::new().nest(root, api.fallback(unknown).layer(faults)),
    };
    let app = app
        .route("/emulator/stats", get(stats))
        .route("/emulator/backdate", post(backdate))
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

/// `POST /emulator/backdate?seconds=N`: every job made so far looks N seconds older.
async fn backdate(
    State(emu): State<Arc<Emulator>>,
    Query(q): Query<std::collections::HashMap<String, i64>>,
) -> Response {
    emu.backdate(q.get("seconds").copied().unwrap_or(0));
    axum::http::StatusCode::NO_CONTENT.into_response()
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
        "bytes_served": get(&s.bytes_served),
        "dropped_creates": get(&s.dropped_creates),
        "failed_creates": get(&s.failed_creates),
        "max_in_flight": get(&s.max_in_flight),
    }))
    .into_response()
}
