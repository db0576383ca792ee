//! Signing a deliverable: a C2PA manifest naming its sources as ingredients (their own
//! manifests kept) and the actions taken, embedded in the MP4 before it is moved into place.

use super::read;
use super::timestamp::{TimeStampAuthority, TimeStamped};
use crate::cleanup;
use crate::error::{Error, Result};
use c2pa::{Builder, Context, Ingredient, Relationship, SigningAlg};
use serde_json::{json, Value};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use x509_parser::time::ASN1Time;

/// IPTC digital source types cutroom writes.
const IPTC: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/";

/// A signing certificate chain and its private key (PEM), with the algorithm the key implies,
/// and the time-stamp authority that countersigns its signatures, if any.
#[derive(Clone)]
pub struct SigningKey {
    chain: Vec<u8>,
    key: Vec<u8>,
    alg: SigningAlg,
    tsa: Option<TimeStampAuthority>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.tsa {
            Some(tsa) => write!(f, "SigningKey({}, {})", self.alg, tsa.shown()),
            None => write!(f, "SigningKey({})", self.alg),
        }
    }
}

impl SigningKey {
    /// Load a certificate chain (PEM, signing certificate first) and its PKCS#8 private key
    /// (PEM); the algorithm follows from the key: ES256 (P-256), ES384 (P-384), Ed25519 or
    /// PS256 (RSA). Both are checked now, not after the work: the signing certificate against
    /// C2PA's certificate profile (as a validator checks it), and the pair by making a signer.
    pub fn load(cert: &Path, key: &Path) -> Result<Self> {
        let chain = std::fs::read(cert).map_err(|e| Error::io(cert, e))?;
        let key_pem = std::fs::read(key).map_err(|e| Error::io(key, e))?;
        signing_profile(&chain).map_err(|why| Error::bad_input(cert, why))?;
        let alg = algorithm(&key_pem).map_err(|why| Error::bad_input(key, why))?;
        let loaded = Self {
            chain,
            key: key_pem,
            alg,
            tsa: None,
        };
        loaded.check_pair().map_err(|why| {
            Error::bad_input(
                cert,
                format!(
                    "cannot sign with this certificate and {}: {why}",
                    key.display()
                ),
            )
        })?;
        Ok(loaded)
    }

    /// Make a signer of the pair and check that the key signs for the certificate: a fixed
    /// message signed with the key must verify with the certificate's public key (a key of
    /// another pair signs a claim no reader validates, `claimSignature.mismatch`).
    fn check_pair(&self) -> std::result::Result<(), String> {
        use c2pa::crypto::raw_signature::validator_for_signing_alg;
        const MESSAGE: &[u8] = b"cutroom: does this key sign for this certificate?";
        let signature = self
            .signer()
            .and_then(|s| s.sign(MESSAGE))
            .map_err(|e| e.to_string())?;
        let first = first_certificate(&self.chain)?;
        let (_, cert) = x509_parser::parse_x509_certificate(first.contents())
            .map_err(|e| format!("is not an X.509 certificate: {e}"))?;
        let validator = validator_for_signing_alg(self.alg)
            .ok_or_else(|| format!("no validator for {}", self.alg))?;
        validator
            .validate(&signature, MESSAGE, cert.public_key().raw)
            .map_err(|_| {
                "the private key is not the certificate's: its signatures do not verify with \
                 the certificate's public key (give the key the certificate was issued for)"
                    .to_string()
            })
    }

    /// This key with each signature time-stamped by `tsa` (RFC 3161), or by none.
    pub fn with_tsa(mut self, tsa: Option<TimeStampAuthority>) -> Self {
        self.tsa = tsa;
        self
    }

    /// The certificate chain (PEM) as loaded.
    pub fn certificate(&self) -> &[u8] {
        &self.chain
    }

    /// The time-stamp authority, if any.
    pub fn tsa(&self) -> Option<&TimeStampAuthority> {
        self.tsa.as_ref()
    }

    fn signer(&self) -> c2pa::Result<c2pa::BoxedSigner> {
        c2pa::create_signer::from_keys(&self.chain, &self.key, self.alg, None)
    }

    /// Sign the MP4 `source` into `dest` with `builder`'s manifest, time-stamped when a TSA
    /// is set; a failure is `failed(reason)`, or the TSA's own error when the TSA failed.
    fn sign<R, W>(
        &self,
        builder: &mut Builder,
        source: &mut R,
        dest: &mut W,
        failed: impl FnOnce(c2pa::Error) -> Error,
    ) -> Result<()>
    where
        R: std::io::Read + std::io::Seek + Send,
        W: std::io::Write + std::io::Read + std::io::Seek + Send,
    {
        let signer = self
            .signer()
            .map_err(|e| Error::Internal(format!("C2PA signer: {e}")))?;
        match &self.tsa {
            None => builder
                .sign(signer.as_ref(), "video/mp4", source, dest)
                .map(drop)
                .map_err(failed),
            Some(tsa) => {
                let stamped = TimeStamped::new(signer, tsa.clone());
                builder
                    .sign(&stamped, "video/mp4", source, dest)
                    .map(drop)
                    .map_err(|e| stamped.failure().unwrap_or_else(|| failed(e)))
            }
        }
    }
}

/// Why the first certificate of the PEM `chain` cannot sign a C2PA claim, if it cannot: not a
/// certificate, a CA, expired or not yet valid, no suitable key usage, no organisation, ...
fn signing_profile(chain: &[u8]) -> std::result::Result<(), String> {
    use c2pa::crypto::cose::{check_end_entity_certificate_profile, CertificateTrustPolicy};
    let first = first_certificate(chain)?;
    order_and_dates(chain, ASN1Time::now())?;
    extended_key_usage(&first)?;
    let mut log = c2pa::status_tracker::StatusTracker::default();
    let policy = CertificateTrustPolicy::default();
    check_end_entity_certificate_profile(first.contents(), &policy, &mut log, None).map_err(
        |e| {
            let why = log
                .logged_items()
                .last()
                .map_or_else(|| e.to_string(), |i| i.description.to_string());
            format!(
                "cannot sign Content Credentials: {why} (C2PA wants an end-entity certificate, \
             valid now, with digitalSignature key usage and an extended key usage such as \
             emailProtection)"
            )
        },
    )?;
    // c2pa-rs up to 0.90 (this build's reader among them) reports the claim signature of a
    // certificate without an organisation as `claimSignature.mismatch` (c2pa-rs issue 2262).
    let (_, cert) = x509_parser::parse_x509_certificate(first.contents())
        .map_err(|e| format!("is not an X.509 certificate: {e}"))?;
    if cert.subject().iter_organization().next().is_none() {
        return Err(
            "cannot sign Content Credentials: the signing certificate has no \
                    organisation (O=) in its subject, and validators built on c2pa-rs 0.90 or \
                    earlier (cutroom's own reading among them) then report its claim signature \
                    as a mismatch; issue it with an O="
                .into(),
        );
    }
    Ok(())
}

/// Why the PEM `chain` cannot sign at `now`, in the words a user acts on, where c2pa's own
/// would mislead: a chain given issuer first (c2pa: "self-signed disallowed"), a signing
/// certificate not valid yet (c2pa: "certificate expired"), or expired (with the date).
fn order_and_dates(chain: &[u8], now: ASN1Time) -> std::result::Result<(), String> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let pems = certificates(chain);
    let certs: Vec<X509Certificate> = (pems.iter())
        .map_while(|p| X509Certificate::from_der(p.contents()).ok().map(|(_, c)| c))
        .collect();
    let Some(first) = certs.first() else {
        return Ok(());
    };
    let name = |c: &X509Certificate| {
        let subject = c.subject();
        let cn = subject.iter_common_name().next();
        (cn.or_else(|| subject.iter_organization().next()))
            .and_then(|a| a.as_str().ok())
            .map_or_else(|| subject.to_string(), str::to_string)
    };
    if first.is_ca() {
        if let Some(signer) = certs.iter().find(|c| !c.is_ca()) {
            return Err(format!(
                "cannot sign Content Credentials: the chain is in the wrong order: its first \
                 certificate (`{}`) is a CA, the signing certificate (`{}`) comes after it; put \
                 the signing certificate first, then its issuers",
                name(first),
                name(signer)
            ));
        }
    }
    let when = |t: ASN1Time| t.to_rfc2822().unwrap_or_else(|_| t.to_string());
    let validity = first.validity();
    if now < validity.not_before {
        return Err(format!(
            "cannot sign Content Credentials: the signing certificate (`{}`) is not valid until \
             {} (not yet valid: is this machine's clock right?)",
            name(first),
            when(validity.not_before)
        ));
    }
    if now > validity.not_after {
        return Err(format!(
            "cannot sign Content Credentials: the signing certificate (`{}`) expired on {}; \
             renew it",
            name(first),
            when(validity.not_after)
        ));
    }
    Ok(())
}

/// An end-entity signing certificate `first` (PEM) with no extended key usage at all is
/// refused in words (c2pa: "certificate params incorrect"); one with the wrong usages, or a CA,
/// c2pa names itself.
fn extended_key_usage(first: &pem::Pem) -> std::result::Result<(), String> {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(first.contents()) else {
        return Ok(());
    };
    match cert.extended_key_usage() {
        Ok(None) if !cert.is_ca() => Err(
            "cannot sign Content Credentials: the signing certificate has no extended key usage; \
             C2PA wants one such as emailProtection (issue it with \
             `extendedKeyUsage=emailProtection`)"
                .into(),
        ),
        _ => Ok(()),
    }
}

/// The certificates of the PEM `chain`, in its order (none when it is not PEM).
fn certificates(chain: &[u8]) -> Vec<pem::Pem> {
    let all = pem::parse_many(chain).unwrap_or_default();
    all.into_iter()
        .filter(|p| p.tag() == "CERTIFICATE")
        .collect()
}

/// The first certificate of the PEM `chain` (the signing certificate).
fn first_certificate(chain: &[u8]) -> std::result::Result<pem::Pem, String> {
    (certificates(chain).into_iter().next())
        .ok_or_else(|| "is not a PEM certificate chain".to_string())
}

/// The algorithm of a PKCS#8 PEM private key, or why it cannot sign.
fn algorithm(pem_text: &[u8]) -> std::result::Result<SigningAlg, String> {
    use pkcs8::der::Decode;
    let pem = pem::parse(pem_text).map_err(|e| format!("is not a PEM private key: {e}"))?;
    let convert = "`openssl pkcs8 -topk8 -nocrypt -in KEY -out signer.key`";
    let encrypted = pem.tag() == "ENCRYPTED PRIVATE KEY"
        || (pem.headers().get("Proc-Type")).is_some_and(|t| t.contains("ENCRYPTED"));
    if encrypted {
        return Err(format!(
            "is encrypted with a passphrase, which cutroom does not take: write an unencrypted \
             PKCS#8 copy, kept private, with {convert} (it asks for the passphrase)"
        ));
    }
    if pem.tag() != "PRIVATE KEY" {
        return Err(format!(
            "is a PEM `{}`, not an unencrypted PKCS#8 `PRIVATE KEY` (convert it with {convert})",
            pem.tag()
        ));
    }
    let info = pkcs8::PrivateKeyInfo::from_der(pem.contents())
        .map_err(|e| format!("is not PKCS#8: {e}"))?;
    let curve = info
        .algorithm
        .parameters_oid()
        .map(|o| o.to_string())
        .unwrap_or_default();
    match (info.algorithm.oid.to_string().as_str(), curve.as_str()) {
        ("1.2.840.10045.2.1", "1.2.840.10045.3.1.7") => Ok(SigningAlg::Es256),
        ("1.2.840.10045.2.1", "1.3.132.0.34") => Ok(SigningAlg::Es384),
        ("1.2.840.10045.2.1", "1.3.132.0.35") => Ok(SigningAlg::Es512),
        ("1.3.101.112", _) => Ok(SigningAlg::Ed25519),
        ("1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10", _) => Ok(SigningAlg::Ps256),
        (oid, curve) => Err(format!(
            "holds a key C2PA cannot sign with (algorithm {oid} {curve}); use P-256, P-384, \
             Ed25519 or RSA"
        )),
    }
}

/// An action a command took besides placing its sources and encoding the result.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The C2PA action (`c2pa.resized`, `c2pa.cropped`, `c2pa.filtered`, ...).
    pub action: &'static str,
    /// What exactly, for a person reading the manifest.
    pub description: String,
}

impl Step {
    /// A step.
    pub fn new(action: &'static str, description: impl Into<String>) -> Self {
        Self {
            action,
            description: description.into(),
        }
    }
}

impl Step {
    /// `c2pa.filtered`: the sound brought to `lufs` integrated, true peak under `dbtp`.
    pub fn loudness(lufs: f64, dbtp: f64) -> Self {
        Self::new(
            "c2pa.filtered",
            format!("audio loudness normalised to {lufs} LUFS, true peak {dbtp} dBTP"),
        )
    }
}

/// How a deliverable was made, for its manifest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Edit {
    /// The files it was made from, in order: the first is its parent (`c2pa.opened`), the
    /// others are placed in it (`c2pa.placed`).
    pub sources: Vec<PathBuf>,
    /// What was done besides joining and encoding.
    pub steps: Vec<Step>,
}

impl Edit {
    /// An edit of `sources` (each file once, in order of first use) with no further steps.
    pub fn of(sources: impl IntoIterator<Item = impl AsRef<Path>>) -> Self {
        let mut distinct: Vec<PathBuf> = Vec::new();
        for s in sources {
            if !distinct.iter().any(|d| d == s.as_ref()) {
                distinct.push(s.as_ref().to_path_buf());
            }
        }
        Self {
            sources: distinct,
            steps: Vec::new(),
        }
    }

    /// Add steps.
    pub fn with_all(mut self, steps: impl IntoIterator<Item = Step>) -> Self {
        self.steps.extend(steps);
        self
    }
}

fn agent() -> Value {
    json!({"name": "cutroom", "version": env!("CARGO_PKG_VERSION")})
}

/// Sign the finished MP4 at `staged` (the temp file of output `target`) in place: a manifest
/// with `edit`'s sources as ingredients and its actions, hard-bound to the file's bytes.
pub fn sign_staged(staged: &Path, target: &Path, edit: &Edit, key: &SigningKey) -> Result<()> {
    let title = file_name(target);
    let mut ingredients = Vec::new();
    let mut actions = Vec::new();
    let mut generated = false;
    for (n, src) in edit.sources.iter().enumerate() {
        let id = format!("ingredient{}", n + 1);
        let (relationship, action) = match n {
            0 => ("parentOf", "c2pa.opened"),
            _ => ("componentOf", "c2pa.placed"),
        };
        generated |= read::read(src)?.is_some_and(|p| p.generated);
        ingredients.push((src, id.clone(), relationship));
        actions.push(json!({
            "action": action,
            "softwareAgent": agent(),
            "parameters": {"ingredientIds": [id]},
        }));
    }
    let mut edited = json!({"action": "c2pa.edited", "softwareAgent": agent()});
    if generated {
        edited["digitalSourceType"] = json!(format!("{IPTC}compositeWithTrainedAlgorithmicMedia"));
    }
    actions.push(edited);
    for step in &edit.steps {
        actions.push(json!({
            "action": step.action,
            "softwareAgent": agent(),
            "description": step.description,
        }));
    }
    let mut transcoded = json!({"action": "c2pa.transcoded", "softwareAgent": agent()});
    if !edit.sources.is_empty() {
        transcoded["parameters"] = json!({"ingredientIds": ["ingredient1"]});
    }
    actions.push(transcoded);
    let definition = json!({
        "title": title,
        "claim_generator_info": [agent()],
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": actions}}],
    });
    // The definition first: setting it replaces the ingredients added before.
    let mut builder = Builder::from_context(context()?)
        .with_definition(definition.to_string())
        .map_err(|e| Error::Internal(format!("C2PA manifest refused: {e}")))?;
    for (src, id, relationship) in ingredients {
        add_ingredient(&mut builder, src, &id, relationship)?;
    }
    embed(&mut builder, staged, target, key)
}

/// Sign a render as a generative model's service does: `c2pa.created` by `model` with
/// digital source type `trainedAlgorithmicMedia`. Returns the signed MP4.
pub fn sign_render(video: &[u8], title: &str, model: &str, key: &SigningKey) -> Result<Vec<u8>> {
    let definition = json!({
        "title": title,
        "claim_generator_info": [{"name": "cutroom-emulate", "version": env!("CARGO_PKG_VERSION")}],
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": [{
            "action": "c2pa.created",
            "digitalSourceType": format!("{IPTC}trainedAlgorithmicMedia"),
            "softwareAgent": {"name": model},
        }]}}],
    });
    let mut builder = Builder::from_context(Context::new())
        .with_definition(definition.to_string())
        .map_err(|e| Error::Internal(format!("C2PA manifest refused: {e}")))?;
    let mut out = Cursor::new(Vec::with_capacity(video.len() + 64 * 1024));
    key.sign(&mut builder, &mut Cursor::new(video), &mut out, |e| {
        Error::Internal(format!("signing the render failed: {e}"))
    })?;
    Ok(out.into_inner())
}

/// The context c2pa signs a file in: its copy of the file spills to disk past
/// [`SPOOL_IN_MEMORY_MB`] (c2pa's default, 512 MB, held a 339 MB deliverable in memory twice
/// over: 776 MB at the peak against 111 MB unsigned).
fn context() -> Result<Context> {
    let settings = json!({"core": {"backing_store_memory_threshold_in_mb": SPOOL_IN_MEMORY_MB}});
    Context::new()
        .with_settings(settings)
        .map_err(|e| Error::Internal(format!("C2PA settings refused: {e}")))
}

/// How much of a file being signed c2pa may hold in memory (MB).
const SPOOL_IN_MEMORY_MB: usize = 16;

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Add `src` as an ingredient labelled `id`: read from the file (its manifest kept) when
/// c2pa knows its format, else named only.
fn add_ingredient(builder: &mut Builder, src: &Path, id: &str, relationship: &str) -> Result<()> {
    let title = file_name(src);
    let Some(format) = read::format(src) else {
        let mut ing = Ingredient::new_v2(title.as_str(), "application/octet-stream");
        ing.set_relationship(match relationship {
            "parentOf" => Relationship::ParentOf,
            _ => Relationship::ComponentOf,
        });
        ing.set_label(id);
        builder.add_ingredient(ing);
        return Ok(());
    };
    let mut file = std::fs::File::open(src).map_err(|e| Error::io(src, e))?;
    let json = json!({"title": title, "relationship": relationship, "label": id});
    builder
        .add_ingredient_from_stream(json.to_string(), format, &mut file)
        .map_err(|e| Error::bad_input(src, format!("cannot be read as a C2PA ingredient: {e}")))?
        // Reading the file may replace the label given: the actions refer to ingredients by it.
        .set_label(id);
    Ok(())
}

/// Sign `staged` into a sibling temp file (named like the output's own temp files, so it is
/// cleaned up the same way) and move it over `staged`.
fn embed(builder: &mut Builder, staged: &Path, target: &Path, key: &SigningKey) -> Result<()> {
    let dir = staged.parent().unwrap_or(Path::new("."));
    let prefix = cleanup::temp_prefix(&file_name(target));
    let mut signed = cleanup::making(|| {
        tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".mp4")
            .tempfile_in(dir)
    })
    .map_err(|e| Error::io(target, e))?;
    let mut source = std::fs::File::open(staged).map_err(|e| Error::io(target, e))?;
    key.sign(builder, &mut source, signed.as_file_mut(), |e| {
        Error::bad_input(target, format!("signing failed: {e}"))
    })
    .map_err(|e| match e {
        e @ Error::Remote(_) => e.context(format!("signing {}", target.display())),
        e => e,
    })?;
    cleanup::making(|| signed.persist(staged)).map_err(|e| Error::io(target, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{algorithm, extended_key_usage, first_certificate, order_and_dates, ASN1Time};

    /// Run the `openssl` CLI in `dir`.
    fn openssl(dir: &std::path::Path, args: &[&str]) {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A chain given issuer first, a signing certificate not valid yet and one expired are
    /// each said so: c2pa said "self-signed disallowed" for the first, "certificate expired"
    /// for both others.
    #[test]
    fn a_chain_out_of_order_or_out_of_date_is_said_so() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let ca = [
            "-subj",
            "/CN=Test CA/O=Example",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ];
        let ca_out = ["-keyout", "ca.key", "-out", "ca.pem", "-days", "30"];
        openssl(d, &[&["req", "-x509"][..], &ec, &ca, &ca_out].concat());
        let signer = [
            "-keyout",
            "s.key",
            "-out",
            "s.csr",
            "-subj",
            "/CN=Signer/O=Example",
        ];
        openssl(d, &[&["req"][..], &ec, &signer].concat());
        std::fs::write(d.join("s.ext"), "basicConstraints=critical,CA:FALSE\n").unwrap();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "s.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "30",
                "-out",
                "s.pem",
                "-extfile",
                "s.ext",
            ],
        );
        let read = |f: &str| std::fs::read_to_string(d.join(f)).unwrap();
        let (signer, ca) = (read("s.pem"), read("ca.pem"));
        let chain = format!("{signer}{ca}");
        let now = ASN1Time::now();
        assert_eq!(order_and_dates(chain.as_bytes(), now), Ok(()));
        // Issued with no extended key usage: said so (c2pa: "certificate params incorrect").
        let first = first_certificate(chain.as_bytes()).unwrap();
        assert_eq!(
            extended_key_usage(&first).unwrap_err(),
            "cannot sign Content Credentials: the signing certificate has no extended key usage; \
             C2PA wants one such as emailProtection (issue it with \
             `extendedKeyUsage=emailProtection`)"
        );
        let why = order_and_dates(format!("{ca}{signer}").as_bytes(), now).unwrap_err();
        assert_eq!(
            why,
            "cannot sign Content Credentials: the chain is in the wrong order: its first \
             certificate (`Test CA`) is a CA, the signing certificate (`Signer`) comes after it; \
             put the signing certificate first, then its issuers"
        );
        let days = |n: i64| ASN1Time::from_timestamp(now.timestamp() + n * 86_400).unwrap();
        let before = days(-1);
        let why = order_and_dates(chain.as_bytes(), before).unwrap_err();
        assert!(
            why.starts_with(
                "cannot sign Content Credentials: the signing certificate (`Signer`) \
                             is not valid until "
            ) && why.ends_with("(not yet valid: is this machine's clock right?)"),
            "{why}"
        );
        let after = days(31);
        let why = order_and_dates(chain.as_bytes(), after).unwrap_err();
        assert!(
            why.starts_with(
                "cannot sign Content Credentials: the signing certificate (`Signer`) \
                             expired on "
            ) && why.ends_with("; renew it"),
            "{why}"
        );
        // A CA is left to c2pa, which says it is one.
        let ca_alone = first_certificate(ca.as_bytes()).unwrap();
        assert_eq!(extended_key_usage(&ca_alone), Ok(()));
    }

    #[test]
    fn a_key_with_a_passphrase_is_said_to_have_one() {
        let pkcs8 =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let legacy = "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                      DEK-Info: AES-256-CBC,53067F85D2E45E311EA31A0B3444EDFD\n\nAAAA\n\
                      -----END EC PRIVATE KEY-----\n";
        for key in [pkcs8, legacy] {
            let why = algorithm(key.as_bytes()).unwrap_err();
            assert!(
                why.starts_with("is encrypted with a passphrase, which cutroom does not take")
                    && why.contains("`openssl pkcs8 -topk8 -nocrypt -in KEY -out signer.key`"),
                "{why}"
            );
        }
        let plain = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
        assert!(algorithm(plain.as_bytes())
            .unwrap_err()
            .starts_with("is a PEM `EC PRIVATE KEY`, not an unencrypted PKCS#8"));
    }
}
