//! `cutroom schema`: the assemble spec's JSON Schema on stdout.

use super::print_json;
use cutroom::assemble::spec::schema;
use cutroom::error::exit;
use cutroom::Result;

pub fn run() -> Result<i32> {
    print_json(&schema());
    Ok(exit::OK)
}
