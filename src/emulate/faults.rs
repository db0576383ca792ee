//! Middleware in front of the API routes: the key check, then the injected faults
//! (latency, rate limit, 503s), each counted in the stats.

use super::state::Emulator;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// Check the key, delay, rate-limit and fail requests as configured.
pub async fn faults(State(emu): State<Arc<Emulator>>, req: Request, next: Next) -> Response {
    emu.stats.requests.fetch_add(1, Ordering::Relaxed);
    let _busy = emu.stats.busy();
    let opts = &emu.opts;
    if let Some(key) = &opts.require_key {
        let sent = presented(req.headers());
        if !sent.is_some_and(|k| key.matches(k)) {
            return emu.unauthorized(sent.is_some());
        }
    }
    if !opts.latency.is_zero() {
        tokio::time::sleep(opts.latency).await;
    }
    if let Some((limit, window)) = opts.rate_limit {
        let now = Instant::now();
        let wait = {
            let mut seen = emu.window.lock().expect("not poisoned");
            while seen
                .front()
                .is_some_and(|t| now.duration_since(*t) >= window)
            {
                seen.pop_front();
            }
            if seen.len() < limit as usize {
                seen.push_back(now);
                None
            } else {
                Some(window.saturating_sub(now.duration_since(seen[0])))
            }
        };
        if let Some(wait) = wait {
            emu.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
            let mut resp = emu.error(
                StatusCode::TOO_MANY_REQUESTS,
                "requests",
                &format!(
                    "Rate limit reached: {limit} requests per {} s. Please try again later.",
                    window.as_secs_f64()
                ),
                None,
                Some("rate_limit_exceeded"),
            );
            let h = resp.headers_mut();
            let ms = wait.as_millis().max(1);
            h.insert("retry-after", HeaderValue::from(ms.div_ceil(1000) as u64));
            h.insert("retry-after-ms", HeaderValue::from(ms as u64));
            return resp;
        }
    }
    if emu.chance(opts.fail_rate) {
        // Refused before any work, as an overloaded service does: a 503 (a 500 after a job
        // was made is `--fail-creates`).
        emu.stats.server_errors.fetch_add(1, Ordering::Relaxed);
        return emu.error(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            "The server is overloaded or not ready yet.",
            None,
            None,
        );
    }
    next.run(req).await.into_response()
}

/// The key a request presents, from `Authorization: Bearer` or `api-key`.
fn presented(h: &HeaderMap) -> Option<&str> {
    if let Some(v) = h.get("authorization").and_then(|v| v.to_str().ok()) {
        return ["Bearer ", "Key ", "Token "]
            .iter()
            .find_map(|p| v.strip_prefix(p))
            .map(str::trim);
    }
    h.get("api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}
