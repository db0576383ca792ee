//! `cutroom assemble cut.toml -o out/`.

use super::api::{block_on, ApiArgs, WaitArgs};
use super::{print_json, Global};
use cutroom::assemble::{self, sources, spec::Cut};
use cutroom::error::exit;
use cutroom::fetch::{Limits, RenderOptions};
use cutroom::Result;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// The cut spec (TOML, or JSON when the name ends in .json).
    spec: PathBuf,
    /// Output directory: deliverables, report.json, timeline.otio, and the shot cache shots/.
    #[arg(short, long)]
    output: PathBuf,
    /// Renders in flight at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Accept any render size and length (an emulator or a provider with other limits).
    #[arg(long)]
    allow_any: bool,
    /// Create a new job for a shot whose recorded render failed or expired.
    #[arg(long)]
    retry_failed: bool,
    #[command(flatten)]
    wait: WaitArgs,
    #[command(flatten)]
    api: ApiArgs,
    /// Print report.json on stdout.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, global: &Global) -> Result<i32> {
    let cut = Cut::load(&args.spec)?;
    let client = args.api.client()?;
    let opts = RenderOptions {
        concurrency: args.concurrency,
        poll: args.wait.poll(),
        limits: Limits {
            allow_any: args.allow_any,
        },
        retry_failed: args.retry_failed,
        quiet: global.quiet,
    };
    let t = Instant::now();
    let shots_dir = args.output.join("shots");
    let inputs = block_on(sources::resolve(&cut, &shots_dir, &client, &opts))??;
    let sources_s = t.elapsed().as_secs_f64();
    let report = assemble::run(
        &cut,
        &args.spec,
        inputs,
        &args.output,
        sources_s,
        global.quiet,
    )?;
    if args.json {
        print_json(&report);
    } else {
        for o in &report.outputs {
            outln!(
                "{}  {} {}x{} {:.3} s {} kB  loudness {} LUFS  sync {} ({})",
                o.path,
                o.preset,
                o.width,
                o.height,
                o.duration_s,
                o.bytes.div_ceil(1000),
                o.loudness
                    .integrated_lufs
                    .map_or("-".into(), |l| format!("{l:.1}")),
                o.sync_verdict,
                o.sync_offset_ms
                    .map_or("no offset".into(), |m| format!("{m:+.1} ms")),
            );
        }
        outln!("{}", report.timeline);
        outln!("{}", args.output.join("report.json").display());
    }
    Ok(if assemble::fails(&report, &cut) {
        exit::ERROR
    } else {
        exit::OK
    })
}
