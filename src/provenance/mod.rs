//! `provenance`: Content Credentials (C2PA) through the edit. Renders from generative services
//! carry a signed manifest saying a model made them; cutroom reads it ([`read`]), signs each
//! deliverable with a manifest that keeps the renders as ingredients ([`sign_staged`]), and
//! warns (or refuses, on request) when a deliverable would lose the label ([`Policy`]).

mod policy;
mod read;
mod sign;
mod timestamp;

pub use policy::{check_tsa, Policy, Signing};
pub use read::{absent, read, ActionInfo, IngredientInfo, Provenance};
pub use sign::{sign_render, sign_staged, Edit, SigningKey, Step};
pub use timestamp::TimeStampAuthority;
