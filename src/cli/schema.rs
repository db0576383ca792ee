//! `cutroom schema [cut|card|overlays]`: a JSON Schema on stdout.

use super::print_json;
use cutroom::assemble::spec::schema;
use cutroom::captions::style::Overlays;
use cutroom::error::exit;
use cutroom::timeline::Card;
use cutroom::Result;

/// Arguments of `cutroom schema`.
#[derive(clap::Args)]
pub struct Args {
    /// Whose schema: `cut` (the assemble spec), `card` (`export --title-card`/`--end-card`)
    /// or `overlays` (`export --overlays`).
    #[arg(default_value = "cut", value_parser = ["cut", "card", "overlays"])]
    of: String,
}

pub fn run(args: Args) -> Result<i32> {
    match args.of.as_str() {
        "card" => print_json(&schemars::schema_for!(Card)),
        "overlays" => print_json(&schemars::schema_for!(Overlays)),
        _ => print_json(&schema()),
    }
    Ok(exit::OK)
}
