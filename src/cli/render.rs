//! `cutroom render shots.toml -o DIR`: a render job per shot, polled and downloaded; resumable.

use super::api::RenderArgs;
use super::bars::Bars;
use super::{print_json, Global};
use cutroom::error::{exit, Error, Several};
use cutroom::fetch::{render, CostTotal, ShotReport, StateFile};
use cutroom::output;
use cutroom::Result;
use serde::Serialize;
use std::path::PathBuf;

/// Arguments of `cutroom render`.
#[derive(clap::Args)]
pub struct Args {
    /// The shot list (TOML: optional top-level `model`, `seconds`, `size` defaults and
    /// `[[shot]]` tables with `prompt`, `name`, `model`, `seconds`, `size`, `input_reference`).
    shots: PathBuf,
    /// Output directory (a cache: `<id>.mp4` + `<id>.json`).
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    #[command(flatten)]
    render: RenderArgs,
    /// Print the JSON report (`state_file`, `shots[]`) instead of a table.
    #[arg(long)]
    json: bool,
}

/// Render the shot list; exit 1 if any shot did not finish.
pub fn run(args: Args, global: &Global) -> Result<i32> {
    let (client, opts) = args.render.client_and_options()?;
    // Made by this run: removed again if it is still empty at the end (nothing downloaded).
    let mut made = output::Batch::new();
    made.make_dir(&args.output)?;
    let shots = args.render.block_on(render(
        &client,
        &args.shots,
        &args.output,
        &opts,
        &Bars::new(global.quiet),
    ))??;
    let failed = shots.iter().any(|s| s.error.is_some());
    let state_file = StateFile::path_for(&args.shots);
    if args.json {
        #[derive(Serialize)]
        struct Report<'a> {
            state_file: PathBuf,
            shots: &'a [ShotReport],
            cost: CostTotal,
        }
        print_json(&Report {
            state_file,
            shots: &shots,
            cost: CostTotal::of(&shots),
        });
    } else {
        for s in &shots {
            // The jobs a retry replaced first: billed too.
            for r in &s.retried {
                let cost = match (r.billed.cost_usd, r.billed.cost_estimated) {
                    (Some(c), false) => format!("${c:.2}"),
                    (Some(c), true) => format!("${c:.2} estimate"),
                    (None, _) => "cost unknown".into(),
                };
                outln!("{:<14} {:<40} retried ({cost}): {}", s.name, r.id, r.error);
            }
            let id = s.id.as_deref().unwrap_or("-");
            match (&s.file, &s.error) {
                (_, Some(e)) => outln!("{:<14} {id:<40} error: {e}", s.name),
                (Some(f), None) => {
                    let how = if s.cached {
                        "cached"
                    } else if s.created {
                        "rendered"
                    } else {
                        "resumed"
                    };
                    outln!("{:<14} {id:<40} {how} {}", s.name, f.display())
                }
                (None, None) => outln!("{:<14} {id:<40}", s.name),
            }
        }
    }
    if !args.json {
        let cost = CostTotal::of(&shots);
        let how = if cost.estimated { " (estimate)" } else { "" };
        let unknown = cost.unknown.len();
        // The list's cost includes jobs of earlier runs: say what this run added.
        let created: Vec<_> = shots.iter().filter(|s| s.created).collect();
        let billed = shots.iter().filter(|s| s.id.is_some()).count();
        let this_run = match created.len() {
            0 if billed > 0 => ", none of it created by this run".to_string(),
            n if n < billed && cost.total_usd.is_some() => format!(
                ", ${:.2} of it created by this run",
                created
                    .iter()
                    .filter_map(|s| s.billed.cost_usd)
                    .sum::<f64>()
            ),
            _ => String::new(),
        };
        let why = match shots.iter().any(|s| s.pending) {
            true => "no usage or price, or a create whose job is not found,",
            false => "no usage or price",
        };
        match (cost.total_usd, unknown) {
            (None, n) => outln!("cost: unknown ({why} for {n} shot(s)){this_run}"),
            (Some(t), 0) => outln!("cost: ${t:.2}{how}{this_run}"),
            (Some(t), n) => {
                outln!("cost: at least ${t:.2}{how}, unknown for {n} shot(s){this_run}")
            }
        }
    }
    // Each shot that did not finish, under a header when there are several; exit 1 whatever
    // their kinds, as the run went on past them.
    let errors = shots
        .into_iter()
        .filter_map(|s| s.error.map(|e| e.context(format!("shot {:?}", s.name))))
        .collect();
    if let Err(e) = Error::all(Several::Shots, errors) {
        eprintln!("cutroom: error: {e}");
    }
    Ok(if failed { exit::ERROR } else { exit::OK })
}
