//! `cutroom fetch ID|URL... -o DIR`: download renders (by id) or MP4 URLs, verified and cached.

use super::api::{ApiArgs, WaitArgs};
use super::bars::Bars;
use super::{print_json, Global};
use cutroom::error::{exit, Error, Several};
use cutroom::fetch::{
    fetch_url, fetch_video, is_url, item_source, safe_name, Cache, Fetched, Variant,
};
use cutroom::output;
use cutroom::progress::Progress;
use cutroom::Result;
use futures_util::StreamExt;
use serde::Serialize;
use std::path::PathBuf;

/// Arguments of `cutroom fetch`.
#[derive(clap::Args)]
pub struct Args {
    /// Video ids (waited for while they render) or https:// URLs of MP4 files.
    #[arg(required = true)]
    items: Vec<String>,
    /// Cache directory: `<id>.mp4` and `<id>.json` (video object, length, SHA-256).
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Also fetch the thumbnail of each video id.
    #[arg(long)]
    thumbnail: bool,
    /// Also fetch the spritesheet of each video id.
    #[arg(long)]
    spritesheet: bool,
    /// Downloads at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    concurrency: usize,
    #[command(flatten)]
    wait: WaitArgs,
    #[command(flatten)]
    api: ApiArgs,
    /// Print the JSON report (`fetched[]`) instead of one line per item.
    #[arg(long)]
    json: bool,
}

/// One entry of `fetched[]`: the files, or the error for that item.
#[derive(Serialize)]
#[serde(untagged)]
enum Entry {
    Ok(Box<Fetched>),
    Err {
        source: String,
        #[serde(serialize_with = "as_text")]
        error: Error,
    },
}

/// An error as its message.
fn as_text<S: serde::Serializer>(e: &Error, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(e)
}

/// Fetch every item; report all, exit 1 if any failed.
pub fn run(args: Args, global: &Global) -> Result<i32> {
    let client = args.api.client()?;
    // A refused command makes no output directory.
    for item in args.items.iter().filter(|i| !is_url(i)) {
        client.check_id(item)?;
    }
    // Made by this run: removed again if it is still empty at the end (every item failed).
    let mut made = output::Batch::new();
    made.make_dir(&args.output)?;
    let cache = Cache::new(&args.output)?;
    let mut variants = vec![Variant::Video];
    variants.extend(args.thumbnail.then_some(Variant::Thumbnail));
    variants.extend(args.spritesheet.then_some(Variant::Spritesheet));
    let poll = args.wait.poll();
    let mut items: Vec<(&String, String)> = Vec::new();
    for item in &args.items {
        let source = item_source(item);
        // A video's content URL on this API is the same download as its id.
        let same = |s: &String| *s == source || client.content_url_id(item).as_ref() == Some(s);
        let twin = |s: &String| client.content_url_id(s).as_ref() == Some(item);
        if items.iter().any(|(i, s)| same(s) || twin(i)) {
            eprintln!("cutroom: warning: {source} is given more than once; it is fetched once");
        } else {
            items.push((item, source));
        }
    }
    // A video id's files are named after it: URLs ending in that name get another one.
    for (item, source) in items.iter().filter(|(i, _)| !is_url(i)) {
        cache.claim(&safe_name(item), source)?;
    }
    let bars = Bars::new(global.quiet);
    let entries: Vec<Entry> = args.wait.block_on(async {
        let jobs = items.into_iter().map(|(item, source)| {
            let bar = bars.job(&short(item));
            let (client, cache, variants, poll) = (&client, &cache, &variants, &poll);
            async move {
                let got = if is_url(item) {
                    fetch_url(client, cache, item, bar.as_ref()).await
                } else {
                    fetch_video(client, cache, item, variants, poll, bar.as_ref(), None).await
                };
                bar.finish(None);
                match got {
                    Ok(f) => {
                        if let Some(w) = &f.unlike {
                            bar.warn(w);
                        }
                        Entry::Ok(Box::new(f))
                    }
                    Err(error) => Entry::Err { source, error },
                }
            }
        });
        futures_util::stream::iter(jobs)
            .buffered(args.concurrency)
            .collect()
            .await
    })?;
    for e in &entries {
        match e {
            Entry::Ok(f) if !args.json => {
                for file in f.files.values() {
                    let how = match file.transfer_s {
                        Some(_) => "fetched",
                        None => "cached",
                    };
                    outln!(
                        "{how} {} ({} bytes, sha256 {})",
                        file.path.display(),
                        file.bytes,
                        &file.sha256[..16]
                    );
                }
                if let Some(p) = &f.provenance {
                    outln!("  provenance: {}", p.block("    "));
                }
            }
            _ => {}
        }
    }
    if args.json {
        #[derive(Serialize)]
        struct Report<'a> {
            fetched: &'a [Entry],
        }
        print_json(&Report { fetched: &entries });
    }
    // Each item that failed, under a header when there are several; exit 1 whatever their
    // kinds, as the others were fetched.
    let errors: Vec<Error> = entries
        .into_iter()
        .filter_map(|e| match e {
            Entry::Err { error, .. } => Some(error),
            Entry::Ok(_) => None,
        })
        .collect();
    let failed = !errors.is_empty();
    if let Err(e) = Error::all(Several::Requests, errors) {
        eprintln!("cutroom: error: {e}");
    }
    Ok(if failed { exit::ERROR } else { exit::OK })
}

/// A bar label: an id, or a URL's last segment (without its query).
fn short(item: &str) -> String {
    let path = item.split(['?', '#']).next().unwrap_or(item);
    let tail = path.rsplit('/').next().unwrap_or(path);
    tail.chars().take(14).collect()
}
