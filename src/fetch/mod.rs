//! `fetch`: the OpenAI-compatible `/v1/videos` client and what is built on it.
//!
//! [`Client`] speaks every endpoint (create, retrieve, list, delete, content, remix) with
//! retries that honour `Retry-After`; [`Client::wait`] polls a job to the end;
//! [`Client::download`] streams a file with `Range` resume, length and media checks and an
//! atomic rename; [`Cache`] keeps verified downloads by id; [`render`] turns a shot list into
//! renders without ever creating a second job for a shot it already started.

mod cache;
mod catalog;
pub(crate) mod check;
mod client;
mod config;
mod download;
mod fetcher;
mod limits;
mod model;
mod partial;
mod poll;
mod provider;
mod reach;
mod render;
mod rfc3339;
mod shots;
mod spent;
mod writer;

pub use cache::{safe_name, write_json_atomic, Cache, CachedFile, Entry};
pub use catalog::{Catalog, ModelEntry};
pub use client::{Client, Created};
pub use config::{
    check_url, ApiConfig, ApiKey, DEFAULT_BASE_URL, DEFAULT_MAX_DOWNLOAD_BYTES,
    DEFAULT_MAX_RETRY_WAIT, DEFAULT_MIN_SPEED, DEFAULT_MIN_SPEED_TIME,
};
pub use download::{Downloaded, Request};
pub use fetcher::{fetch_url, fetch_video, is_url, item_source, Asked, Fetched, FileReport};
pub use limits::{Invalid, Limits};
pub use model::{
    mentions_moderation, ApiErrorBody, CreateVideo, Deleted, ErrorEnvelope, Phase, Status, Variant,
    Video, VideoError, VideoList, DEFAULT_MODEL, DEFAULT_SECONDS, DEFAULT_SIZE,
};
pub use poll::{show, PollOptions};
pub use provider::Provider;
pub use render::{
    check_resolve, render, render_shared, render_validated, CostTotal, RenderOptions, Resolve,
    ShotReport,
};
pub use rfc3339::{format_rfc3339, parse_rfc3339};
pub use shots::{load as load_shots, Billed, Job, Retried, Shot, StateFile};
pub use spent::Spent;
pub use writer::sha256_file;
