//! Reading a file's C2PA manifest store: who signed it, what made it, whether it validates.

use crate::error::{Error, Result};
use crate::http::redact_url;
use c2pa::{Context, Ingredient, Manifest, Reader, ValidationState};
use serde::Serialize;
use std::path::Path;

/// A file's Content Credentials (the `provenance` object of `probe --json` and `fetch --json`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Provenance {
    /// `valid` (signature and hard binding check out; the signer may be untrusted), `trusted`
    /// (valid and chained to a trust anchor) or `invalid`.
    pub state: &'static str,
    /// The claim signature verifies against the signing certificate.
    pub signature_valid: bool,
    /// The hash that binds the manifest to the media bytes matches (`bmffHash` for MP4).
    pub hard_binding_valid: bool,
    /// The tool that made the claim (`name/version`).
    pub claim_generator: Option<String>,
    /// The signing certificate's common name (or its organisation).
    pub signer: Option<String>,
    /// The signing certificate's issuer.
    pub issuer: Option<String>,
    /// When it was signed (RFC 3339, UTC): the time of the signature's RFC 3161 time-stamp,
    /// null without one.
    pub signed_at: Option<String>,
    /// The time-stamp authority that vouches for `signed_at` (its certificate's common name).
    pub time_stamped_by: Option<String>,
    /// That authority chains to a trust anchor (`timeStamp.trusted`); false for one on no
    /// trust list cutroom knows (`timeStamp.untrusted`: cutroom ships none); null without a
    /// time-stamp.
    pub time_stamp_trusted: Option<bool>,
    /// The signature algorithm (`es256`, `ps256`, `ed25519`, ...).
    pub algorithm: Option<String>,
    /// Some action declares the content made by a generative model (`trainedAlgorithmicMedia`)
    /// or composed from such content (`compositeWithTrainedAlgorithmicMedia`).
    pub generated: bool,
    /// The `c2pa.actions` of the active manifest, in order.
    pub actions: Vec<ActionInfo>,
    /// The ingredients the active manifest names.
    pub ingredients: Vec<IngredientInfo>,
    /// Validation failure codes (`assertion.bmffHash.mismatch`, `signingCredential.untrusted`, ...).
    pub failures: Vec<String>,
}

/// One action of a manifest.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ActionInfo {
    /// `c2pa.created`, `c2pa.opened`, `c2pa.placed`, `c2pa.edited`, ...
    pub action: String,
    /// The IPTC digital source type's name (`trainedAlgorithmicMedia`, ...).
    pub digital_source_type: Option<String>,
    /// The software that did it.
    pub software_agent: Option<String>,
}

/// One ingredient of a manifest.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IngredientInfo {
    /// Its title (usually the file name).
    pub title: Option<String>,
    /// `parentOf`, `componentOf` or `inputTo`.
    pub relationship: String,
    /// The ingredient carried a manifest of its own (kept in this store).
    pub signed: bool,
    /// Its own manifest validated when it was added (null when it carried none).
    pub valid: Option<bool>,
    /// Its own manifest's claim generator.
    pub claim_generator: Option<String>,
    /// When its own manifest was signed (RFC 3339, UTC), from its time-stamp.
    pub signed_at: Option<String>,
}

/// How the failure of a manifest store too damaged to parse begins.
const UNREADABLE: &str = "manifest store unreadable: ";
/// How the failure of a manifest store taken out of force begins.
const SET_ASIDE: &str = "manifest store set aside: ";
/// How the failure of a manifest kept on a server begins.
const REMOTE: &str = "manifest store remote: ";

const DST_GENERATED: [&str; 2] = [
    "trainedAlgorithmicMedia",
    "compositeWithTrainedAlgorithmicMedia",
];

/// The file's manifest store, validated; `None` when it has none (or c2pa cannot read the file
/// at all). A store too damaged to parse is reported `invalid` with the reason as its failure.
/// Only a regular file is read: a pipe or a device is left to the command's own input checks
/// (opening a named pipe would wait for a writer, and reading it would take its data).
pub fn read(path: &Path) -> Result<Option<Provenance>> {
    let Some(format) = format(path) else {
        return Ok(None);
    };
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return Ok(None);
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let reader = match Reader::from_context(Context::new()).with_stream(format, file) {
        Ok(r) => r,
        // No store; or a file c2pa cannot walk, not even its container's signature or chunks
        // (not media, or damage: the media checks report it themselves; a WAV that is only
        // its header was said to carry "Content Credentials that cannot be read").
        Err(
            e @ (c2pa::Error::JumbfNotFound
            | c2pa::Error::UnsupportedType
            | c2pa::Error::IoError(_)
            | c2pa::Error::BmffError(_)
            | c2pa::Error::RiffError(_)
            | c2pa::Error::InvalidAsset(_)),
        ) => {
            // Unless an MP4 holds a store all the same: in a box of its own that c2pa cannot
            // reach (bytes appended after its last box), or retyped out of force.
            return Ok(match store_box(path).as_deref() {
                None => None,
                Some("uuid") => Some(Provenance::unreadable(&e)),
                Some(kind) => Some(Provenance::set_aside(kind)),
            });
        }
        // The file points to its manifest on a server (XMP `dcterms:provenance`): c2pa is built
        // without a way to fetch it, and cutroom contacts no server a file names.
        Err(c2pa::Error::RemoteManifestUrl(url)) => return Ok(Some(Provenance::remote(&url))),
        Err(e) => return Ok(Some(Provenance::unreadable(&e))),
    };
    Ok(reader.active_manifest().map(|m| describe(&reader, m)))
}

/// The type of the top-level box of an MP4 that holds a C2PA manifest store: `uuid`, where
/// signing puts it; `free` or `skip`, its `uuid` box retyped, as tools that edit a file in place
/// take a box out (the file was signed; its manifest binds it no longer).
fn store_box(path: &Path) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let layout = crate::mp4::read_layout(path).ok()??;
    let mut f = std::fs::File::open(path).ok()?;
    (layout.boxes.iter())
        .filter(|b| ["uuid", "free", "skip"].contains(&b.kind.as_str()) && b.size > 64)
        .find_map(|b| {
            let mut head = vec![0u8; b.size.min(512) as usize];
            f.seek(SeekFrom::Start(b.offset)).ok()?;
            f.read_exact(&mut head).ok()?;
            let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
            (has(b"jumb") && has(b"c2pa")).then(|| b.kind.clone())
        })
}

/// What a file of a format Content Credentials can be in, read with none, says: nothing of
/// whether it ever had them (any remux or re-encode drops them). `None` for other formats.
pub fn absent(path: &Path) -> Option<&'static str> {
    format(path)?;
    Some("none (no C2PA manifest: never signed, or dropped by a remux or re-encode since)")
}

/// The MIME type c2pa reads `path` as, from its extension; `None` for formats it has no
/// handler for.
pub(super) fn format(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "m4a" => "audio/mp4",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        _ => return None,
    })
}

fn describe(reader: &Reader, m: &Manifest) -> Provenance {
    let codes = reader
        .validation_results()
        .and_then(|r| r.active_manifest());
    let success: Vec<&str> = codes
        .map(|c| c.success().iter().map(|s| s.code()).collect())
        .unwrap_or_default();
    let failures: Vec<String> = codes
        .map(|c| c.failure().iter().map(|s| s.code().to_string()).collect())
        .unwrap_or_default();
    let hard_binding = |c: &str| {
        [
            "assertion.bmffHash.",
            "assertion.dataHash.",
            "assertion.boxesHash.",
        ]
        .iter()
        .any(|p| c.starts_with(p))
    };
    let sig = m.signature_info();
    let actions = actions(m);
    Provenance {
        state: match reader.validation_state() {
            ValidationState::Invalid => "invalid",
            ValidationState::Valid => "valid",
            ValidationState::Trusted => "trusted",
        },
        signature_valid: success.contains(&"claimSignature.validated")
            && !failures.iter().any(|c| c.starts_with("claimSignature.")),
        hard_binding_valid: success.iter().any(|c| hard_binding(c))
            && !failures.iter().any(|c| hard_binding(c)),
        claim_generator: generator(m),
        signer: sig.and_then(|s| s.common_name.clone().or_else(|| s.issuer.clone())),
        issuer: sig.and_then(|s| s.issuer.clone()),
        signed_at: sig.and_then(|s| s.time.clone()),
        time_stamped_by: codes.and_then(|c| time_stamp_authority(c.success())),
        time_stamp_trusted: sig
            .and_then(|s| s.time.as_ref())
            .map(|_| success.contains(&"timeStamp.trusted")),
        algorithm: sig.and_then(|s| s.alg).map(|a| a.to_string()),
        generated: actions
            .iter()
            .any(|a| DST_GENERATED.contains(&a.digital_source_type.as_deref().unwrap_or(""))),
        actions,
        ingredients: m
            .ingredients()
            .iter()
            .map(|i| ingredient(reader, i))
            .collect(),
        failures,
    }
}

/// The common name of the time-stamp authority whose time-stamp c2pa checked against the
/// claim signature (it names it in the explanation of `timeStamp.validated`).
fn time_stamp_authority(success: &[c2pa::validation_status::ValidationStatus]) -> Option<String> {
    success
        .iter()
        .filter(|s| s.code() == "timeStamp.validated")
        .find_map(|s| {
            s.explanation()?
                .strip_prefix("timestamp message digest matched: ")
        })
        .map(str::to_string)
}

/// `name/version` of the first claim generator (or the v1 `claim_generator` string).
fn generator(m: &Manifest) -> Option<String> {
    match m.claim_generator_info.as_ref().and_then(|g| g.first()) {
        Some(g) => Some(match &g.version {
            Some(v) => format!("{}/{v}", g.name),
            None => g.name.clone(),
        }),
        None => m.claim_generator.clone(),
    }
}

fn actions(m: &Manifest) -> Vec<ActionInfo> {
    let Ok(actions) = m.find_assertion::<c2pa::assertions::Actions>("c2pa.actions") else {
        return Vec::new();
    };
    actions
        .actions()
        .iter()
        .map(|a| ActionInfo {
            action: a.action().to_string(),
            digital_source_type: a.source_type().map(source_type_name),
            software_agent: a.software_agent().map(|s| match s {
                c2pa::assertions::SoftwareAgent::String(s) => s.clone(),
                c2pa::assertions::SoftwareAgent::ClaimGeneratorInfo(g) => match &g.version {
                    Some(v) => format!("{}/{v}", g.name),
                    None => g.name.clone(),
                },
            }),
        })
        .collect()
}

/// The last segment of an IPTC digital source type URI (`trainedAlgorithmicMedia`).
fn source_type_name(t: &c2pa::DigitalSourceType) -> String {
    let uri = serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    uri.rsplit('/').next().unwrap_or(&uri).to_string()
}

fn ingredient(reader: &Reader, i: &Ingredient) -> IngredientInfo {
    let own = i.active_manifest().and_then(|l| reader.get_manifest(l));
    let valid = i.active_manifest().map(|_| {
        let untrusted_only = |codes: &[c2pa::validation_status::ValidationStatus]| {
            codes
                .iter()
                .all(|s| s.code() == "signingCredential.untrusted")
        };
        match (i.validation_results(), i.validation_status()) {
            (Some(r), _) => r
                .active_manifest()
                .is_none_or(|c| untrusted_only(c.failure())),
            (None, Some(s)) => untrusted_only(s),
            (None, None) => true,
        }
    });
    IngredientInfo {
        title: i.title().map(str::to_string),
        relationship: serde_json::to_value(i.relationship())
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        signed: own.is_some(),
        valid,
        claim_generator: own.and_then(generator),
        signed_at: own
            .and_then(|m| m.signature_info())
            .and_then(|s| s.time.clone()),
    }
}

impl Provenance {
    fn unreadable(e: &c2pa::Error) -> Self {
        Self::failed(format!("{UNREADABLE}{e}"))
    }

    /// A store left in a box of type `kind`, out of force.
    fn set_aside(kind: &str) -> Self {
        Self::failed(format!(
            "{SET_ASIDE}left in a `{kind}` box, out of force: the file was signed, and its \
             manifest taken out since"
        ))
    }

    /// A manifest kept at `url` (shown without user info or query), not fetched.
    fn remote(url: &str) -> Self {
        let shown = url::Url::parse(url).map_or_else(|_| url.to_string(), |u| redact_url(&u));
        Self::failed(format!(
            "{REMOTE}at {shown}, not fetched: cutroom contacts no server a file names, so it \
             cannot be checked"
        ))
    }

    /// Credentials that cannot be validated at all, for the reason `failure`.
    fn failed(failure: String) -> Self {
        Self {
            state: "invalid",
            signature_valid: false,
            hard_binding_valid: false,
            claim_generator: None,
            signer: None,
            issuer: None,
            signed_at: None,
            time_stamped_by: None,
            time_stamp_trusted: None,
            algorithm: None,
            generated: false,
            actions: Vec::new(),
            ingredients: Vec::new(),
            failures: vec![failure],
        }
    }

    /// One line for a human: `signed by X, generated by Y, 2 ingredients (...), valid`; of a
    /// store that cannot be parsed or was set aside, that and why.
    pub fn summary(&self) -> String {
        if let Some(what) = self.unusable() {
            return format!("{what}, invalid");
        }
        let (who, details, state) = self.words();
        [who, details, vec![state]].concat().join(", ")
    }

    /// The same as a short block: the state (`valid`), then lines starting with `indent`: who
    /// signed and with what (`signed by X, generated by Y, trainedAlgorithmicMedia`), the
    /// ingredients and the signing time when there are any. Of a store that cannot be parsed or
    /// was set aside, one line: that, why, and the state.
    pub fn block(&self, indent: &str) -> String {
        if self.unusable().is_some() {
            return self.summary();
        }
        let (who, details, state) = self.words();
        let lines = [vec![who.join(", ")], details].concat();
        lines
            .iter()
            .fold(state, |block, line| format!("{block}\n{indent}{line}"))
    }

    /// A store that cannot be parsed, was set aside or is remote, and why.
    fn unusable(&self) -> Option<String> {
        let find = |prefix: &str| self.failures.iter().find_map(|f| f.strip_prefix(prefix));
        match (find(UNREADABLE), find(SET_ASIDE), find(REMOTE)) {
            (Some(why), ..) => Some(format!("Content Credentials that cannot be read ({why})")),
            (_, Some(why), _) => Some(format!("Content Credentials set aside ({why})")),
            (.., Some(why)) => Some(format!("Content Credentials in a remote manifest ({why})")),
            _ => None,
        }
    }

    /// Who signed and with what, the ingredients and signing time, and the state.
    fn words(&self) -> (Vec<String>, Vec<String>, String) {
        let mut who = vec![format!(
            "signed by {}",
            self.signer.as_deref().unwrap_or("an unnamed signer")
        )];
        if let Some(g) = &self.claim_generator {
            let how = if self.generated {
                "generated by"
            } else {
                "made with"
            };
            who.push(format!("{how} {g}"));
        }
        if let Some(t) = self
            .actions
            .iter()
            .find_map(|a| a.digital_source_type.as_deref())
        {
            who.push(t.to_string());
        }
        let mut details = Vec::new();
        if !self.ingredients.is_empty() {
            let signed = self.ingredients.iter().filter(|i| i.signed).count();
            let invalid: Vec<&str> = (self.ingredients.iter())
                .filter(|i| i.valid == Some(false))
                .map(|i| i.title.as_deref().unwrap_or("an untitled one"))
                .collect();
            let invalid = match invalid.is_empty() {
                true => String::new(),
                false => format!(", invalid: {}", invalid.join(", ")),
            };
            let n = self.ingredients.len();
            let plural = if n == 1 { "" } else { "s" };
            details.push(format!(
                "{n} ingredient{plural} ({signed} with credentials{invalid})"
            ));
        }
        if let Some(at) = &self.signed_at {
            let trust = match self.time_stamp_trusted {
                Some(false) => ", not on a trust list",
                _ => "",
            };
            details.push(match &self.time_stamped_by {
                Some(tsa) => format!("signed at {at} (time-stamped by {tsa}{trust})"),
                None => format!("signed at {at}"),
            });
        }
        let mut state = self.state.to_string();
        let problems: Vec<&str> = self
            .failures
            .iter()
            .map(String::as_str)
            .filter(|c| *c != "signingCredential.untrusted")
            .collect();
        if !problems.is_empty() {
            state = format!("{state} ({})", problems.join(", "));
        } else if self
            .failures
            .iter()
            .any(|c| c == "signingCredential.untrusted")
        {
            state.push_str(" (signer not on a trust list)");
        }
        (who, details, state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An MP4 with an XMP `uuid` box, appended at its end, whose `dcterms:provenance` names
    /// `url`: a manifest kept on a server, as `Builder::set_remote_url` with no embedding
    /// leaves a file.
    fn pointing_to(url: &str, dir: &Path) -> std::path::PathBuf {
        let xmp = format!(
            "<?xpacket begin=\"\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?><x:xmpmeta \
             xmlns:x=\"adobe:ns:meta/\"><rdf:RDF \
             xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description \
             rdf:about=\"\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
             dcterms:provenance=\"{url}\"> </rdf:Description></rdf:RDF></x:xmpmeta><?xpacket \
             end=\"w\"?>"
        );
        const XMP_UUID: [u8; 16] = [
            0xbe, 0x7a, 0xcf, 0xcb, 0x97, 0xa9, 0x42, 0xe8, 0x9c, 0x71, 0x99, 0x94, 0x91, 0xe3,
            0xaf, 0xac,
        ];
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/no_audio.mp4");
        let mut bytes = std::fs::read(fixture).unwrap();
        let size = u32::try_from(8 + 16 + xmp.len()).unwrap();
        bytes.extend(size.to_be_bytes());
        bytes.extend(b"uuid");
        bytes.extend(XMP_UUID);
        bytes.extend(xmp.as_bytes());
        let out = dir.join("remote.mp4");
        std::fs::write(&out, bytes).unwrap();
        out
    }

    #[test]
    fn a_remote_manifest_is_said_and_never_fetched() {
        let dir = tempfile::tempdir().unwrap();
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        server.set_nonblocking(true).unwrap();
        let port = server.local_addr().unwrap().port();
        let url = format!("http://user:pw@127.0.0.1:{port}/m.c2pa?token=secret");
        let p = read(&pointing_to(&url, dir.path()))
            .unwrap()
            .expect("credentials");
        assert_eq!(p.state, "invalid");
        assert_eq!(
            p.summary(),
            format!(
                "Content Credentials in a remote manifest (at http://127.0.0.1:{port}/m.c2pa?..., \
                 not fetched: cutroom contacts no server a file names, so it cannot be checked), \
                 invalid"
            )
        );
        // Nothing came to the server the file names.
        let none = server.accept().map(|_| ()).map_err(|e| e.kind());
        assert_eq!(none, Err(std::io::ErrorKind::WouldBlock));
    }
}
