//! The signing options of the commands that write deliverables.

use cutroom::progress::Progress;
use cutroom::provenance::{check_tsa, Edit, Policy, Signing, SigningKey, TimeStampAuthority};
use cutroom::{Error, Result};
use std::path::{Path, PathBuf};

/// The heading of the signing options in `--help` and in the option reference.
const SIGNING_OPTIONS: &str = "Signing options";

/// `--sign-cert`, `--sign-key`, `--sign-tsa`, `--require-provenance`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ProvenanceArgs {
    /// Sign the output with Content Credentials (C2PA): this certificate chain (PEM, signing
    /// certificate first). The sources become ingredients, their own credentials kept
    /// (docs/provenance.md).
    #[arg(long, help_heading = SIGNING_OPTIONS, value_name = "PEM", env = "CUTROOM_SIGN_CERT")]
    pub sign_cert: Option<PathBuf>,
    /// The PKCS#8 private key (PEM) of --sign-cert; it sets the algorithm (P-256: ES256,
    /// P-384: ES384, Ed25519, RSA: PS256).
    #[arg(long, help_heading = SIGNING_OPTIONS, value_name = "PEM", env = "CUTROOM_SIGN_KEY")]
    pub sign_key: Option<PathBuf>,
    /// Time-stamp each signature at this RFC 3161 time-stamp authority (e.g.
    /// `http://timestamp.digicert.com`), so readers learn when it was signed: one HTTP request
    /// before the work (a failing TSA stops the command then) and one per output, to this URL
    /// only; user info in it is sent as basic auth; an https TSA also trusts the CA file of
    /// SSL_CERT_FILE (assemble, batch: --ca-cert) (docs/provenance.md).
    #[arg(long, help_heading = SIGNING_OPTIONS, value_name = "URL", env = "CUTROOM_SIGN_TSA")]
    pub sign_tsa: Option<String>,
    /// Fail (instead of warning) when a source carries Content Credentials and no signing key
    /// is given, so the output would not.
    #[arg(long, help_heading = SIGNING_OPTIONS)]
    pub require_provenance: bool,
}

impl ProvenanceArgs {
    /// The policy these options ask for, an https time-stamp authority also trusting the CA
    /// certificates of the PEM file `ca`; the key is loaded and checked now.
    pub fn policy(&self, ca: Option<&Path>) -> Result<Policy> {
        let key = match (&self.sign_cert, &self.sign_key) {
            (Some(cert), Some(key)) => Some(SigningKey::load(cert, key)?),
            (None, None) if self.sign_tsa.is_some() => {
                return Err(Error::Usage(
                    "--sign-tsa needs --sign-cert and --sign-key (it time-stamps their \
                     signatures)"
                        .into(),
                ))
            }
            (None, None) => None,
            (Some(_), None) => return Err(Error::Usage("--sign-cert needs --sign-key".into())),
            (None, Some(_)) => return Err(Error::Usage("--sign-key needs --sign-cert".into())),
        };
        let tsa = self
            .sign_tsa
            .as_deref()
            .map(|url| TimeStampAuthority::parse(url, ca))
            .transpose()?;
        let key = key.map(|k| k.with_tsa(tsa));
        Ok(Policy {
            key,
            require: self.require_provenance,
        })
    }

    /// The signing of `output`, made by `edit`, before any work: the key loaded, without one
    /// the sources' credentials checked (see [`Policy::check`]), the time-stamp authority
    /// asked once (trusted through `SSL_CERT_FILE`: these commands have no `--ca-cert`).
    pub fn signing(&self, edit: Edit, output: &Path, progress: &dyn Progress) -> Result<Signing> {
        let policy = self.policy(ssl_cert_file().as_deref())?;
        policy.check(&edit, output, progress)?;
        check_tsa([&policy])?;
        Ok(Signing { policy, edit })
    }
}

/// `SSL_CERT_FILE` (as `--ca-cert` reads it), for the commands without that option.
pub fn ssl_cert_file() -> Option<PathBuf> {
    std::env::var_os("SSL_CERT_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}
