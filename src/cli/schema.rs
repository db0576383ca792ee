//! `cutroom schema`: the assemble spec's JSON Schema on stdout.

use super::print_json;
use crate::assemble::spec::schema;
use crate::error::exit;
use crate::Result;

pub fn run() -> Result<i32> {
    print_json(&schema());
    Ok(exit::OK)
}
