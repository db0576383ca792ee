//! The error answers of the OpenAI flavour's envelope, and of the flavour served.

use super::state::Emulator;
use crate::fetch::{ApiErrorBody, ErrorEnvelope, Provider};
use axum::extract::{OriginalUri, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

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

/// The 404 of a route the flavour does not have, in its own envelope.
pub(super) async fn unknown(
    State(emu): State<Arc<Emulator>>,
    OriginalUri(uri): OriginalUri,
    method: Method,
) -> Response {
    emu.error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        &format!("Unknown request URL: {method} {}.", uri.path()),
        None,
        Some("unknown_url"),
    )
}

impl Emulator {
    /// The 401 for a missing (`sent` false) or wrong key, as the flavour served words it:
    /// Replicate answers problem details titled `Unauthenticated` (as api.replicate.com does),
    /// the others OpenAI's message in their own envelope.
    pub(super) fn unauthorized(&self, sent: bool) -> Response {
        if self.opts.flavor == Provider::Replicate {
            let detail = match sent {
                true => "You did not pass a valid authentication token",
                false => "You did not pass an authentication token",
            };
            let status = StatusCode::UNAUTHORIZED;
            let body =
                serde_json::json!({"title": "Unauthenticated", "detail": detail, "status": 401});
            return (status, Json(body)).into_response();
        }
        self.error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "Incorrect API key provided. Send it as 'Authorization: Bearer KEY' or 'api-key: KEY'.",
            None,
            Some("invalid_api_key"),
        )
    }

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
}
