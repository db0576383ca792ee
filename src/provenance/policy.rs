//! What a command that writes a deliverable does about provenance.

use super::{read, sign_staged, Edit, SigningKey, Step};
use crate::error::{Error, Result};
use crate::output::Seal;
use crate::progress::Progress;
use std::path::Path;

/// Sign deliverables with `key`; without one, warn when a source carried Content Credentials
/// (the deliverable will not), or with `require` refuse to write it.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// The signing key, if any.
    pub key: Option<SigningKey>,
    /// Without a key, refuse to drop the credentials of a source.
    pub require: bool,
}

impl Policy {
    /// Before any work: without a key, a source of `edit` that carries credentials means
    /// `output` loses them: warn `progress`, or with `require` fail naming the source; with
    /// one, a source whose credentials do not validate (changed after signing) is warned of,
    /// as `output` will name it an invalid ingredient. (A source that cannot be read is left
    /// to the command's own checks of its inputs.)
    pub fn check(&self, edit: &Edit, output: &Path, progress: &dyn Progress) -> Result<()> {
        for src in &edit.sources {
            let Ok(Some(p)) = read(src) else { continue };
            if self.key.is_some() {
                if p.state == "invalid" {
                    progress.warn(&format!(
                        "{}: its Content Credentials do not validate ({}): {} names it as an \
                         ingredient whose credentials are invalid",
                        src.display(),
                        p.summary(),
                        output.display()
                    ));
                }
                continue;
            }
            let what = format!(
                "carries Content Credentials ({}) that {} would not: give --sign-cert and \
                 --sign-key (or CUTROOM_SIGN_CERT/CUTROOM_SIGN_KEY) to carry them through",
                p.summary(),
                output.display()
            );
            if self.require {
                return Err(Error::bad_input(
                    src,
                    format!("{what} (--require-provenance)"),
                ));
            }
            progress.warn(&format!("{}: {what}", src.display()));
        }
        Ok(())
    }
}

/// Before any work, after the command's own checks: each distinct time-stamp authority of
/// `policies` asked once (see [`super::TimeStampAuthority::check`]), so one that fails stops
/// the command before the work rather than after it.
pub fn check_tsa<'a>(policies: impl IntoIterator<Item = &'a Policy>) -> Result<()> {
    let mut asked: Vec<&str> = Vec::new();
    for tsa in policies.into_iter().filter_map(|p| p.key.as_ref()?.tsa()) {
        if !asked.contains(&tsa.url()) {
            tsa.check()?;
            asked.push(tsa.url());
        }
    }
    Ok(())
}

/// A policy and the edit a command's deliverables come from, for the writer of the
/// deliverables to seal each (with its own further steps).
#[derive(Debug, Clone, Default)]
pub struct Signing {
    /// Whether and how to sign.
    pub policy: Policy,
    /// What every output is made from and how, before the writer's own steps.
    pub edit: Edit,
}

impl Signing {
    /// With a key, the seal that signs the output for `target` with the edit plus `steps`
    /// (see [`crate::output::AtomicOutput::sealed`]).
    pub fn seal(&self, target: &Path, steps: impl IntoIterator<Item = Step>) -> Option<Seal> {
        let key = self.policy.key.clone()?;
        let edit = self.edit.clone().with_all(steps);
        let target = target.to_path_buf();
        Some(Box::new(move |staged| {
            sign_staged(staged, &target, &edit, &key)
        }))
    }
}
