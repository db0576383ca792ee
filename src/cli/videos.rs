//! `cutroom videos list|show|delete|remix`: look after the jobs on the API.

use super::api::{ApiArgs, WaitArgs};
use super::{print_json, Global};
use cutroom::error::{exit, Several};
use cutroom::fetch::{Deleted, Video};
use cutroom::http::printable;
use cutroom::{Error, Result};
use serde::Serialize;

/// Arguments of `cutroom videos`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
    #[command(flatten)]
    api: ApiArgs,
    #[command(flatten)]
    wait: WaitArgs,
    /// Print JSON (`videos[]`, or `deleted[]` for delete) instead of a table.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Every video on the account, all pages.
    List {
        /// `desc` (newest first) or `asc`.
        #[arg(long, default_value = "desc", value_parser = ["asc", "desc"])]
        order: String,
        /// Videos per request (1-100).
        #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100))]
        page_size: u32,
    },
    /// One or more videos by id.
    Show {
        /// Video ids.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Delete videos (and their content) by id.
    Delete {
        /// Video ids.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Start a new render from a completed one with a new prompt.
    Remix {
        /// The completed video.
        id: String,
        /// The new prompt.
        #[arg(long)]
        prompt: String,
    },
}

#[derive(Serialize)]
struct Videos {
    videos: Vec<Video>,
}

/// Run `cutroom videos`.
pub fn run(args: Args, _global: &Global) -> Result<i32> {
    let Args {
        action,
        api,
        wait,
        json,
    } = args;
    let client = api.client()?;
    wait.block_on(async move {
        match action {
            Action::List { order, page_size } => {
                print_videos(client.list_all(&order, page_size).await?, json)
            }
            Action::Show { ids } => {
                let mut videos = Vec::new();
                let mut failed = Vec::new();
                for id in &ids {
                    match client.video(id).await {
                        Ok(v) => videos.push(v),
                        Err(e) => failed.push(e),
                    }
                }
                // A table of no video (every id failed) would be a header alone: the errors
                // say it all. JSON keeps its shape.
                if json || !videos.is_empty() {
                    print_videos(videos, json)?;
                }
                Error::all(Several::Requests, failed).map(|()| exit::OK)
            }
            Action::Remix { id, prompt } => {
                print_videos(vec![client.remix(&id, &prompt).await?], json)
            }
            Action::Delete { ids } => {
                // Every id is tried and reported: one that fails does not hide the others.
                let mut deleted: Vec<Deleted> = Vec::new();
                let mut failed = Vec::new();
                for id in &ids {
                    match client.delete(id).await {
                        Ok(d) => deleted.push(d),
                        Err(e) => failed.push(e),
                    }
                }
                if json {
                    #[derive(Serialize)]
                    struct Report {
                        deleted: Vec<Deleted>,
                    }
                    print_json(&Report { deleted });
                } else {
                    for d in deleted {
                        outln!("{} deleted", d.id);
                    }
                }
                Error::all(Several::Requests, failed).map(|()| exit::OK)
            }
        }
    })?
}

fn print_videos(videos: Vec<Video>, json: bool) -> Result<i32> {
    if json {
        print_json(&Videos { videos });
        return Ok(0);
    }
    outln!(
        "{:<40} {:<12} {:>4} {:<11} {:<10} {:>4}  prompt",
        "id",
        "status",
        "%",
        "model",
        "size",
        "s"
    );
    for v in videos {
        // The provider's words, never its escape sequences (`printable`).
        let prompt: String = v
            .prompt
            .as_deref()
            .unwrap_or_default()
            .chars()
            .take(40)
            .collect();
        let mut prompt = printable(&prompt);
        if v.error.is_some() {
            prompt = format!("error {}", v.failure());
        }
        let shown = |f: &Option<String>| f.as_deref().map_or_else(|| "-".into(), printable);
        outln!(
            "{:<40} {:<12} {:>4} {:<11} {:<10} {:>4}  {prompt}",
            v.id,
            v.status.to_string(),
            v.percent(),
            shown(&v.model),
            shown(&v.size),
            shown(&v.seconds)
        );
    }
    Ok(0)
}
