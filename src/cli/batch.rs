//! `cutroom batch cut.toml --variants FILE -o DIR`.

use super::api::RenderArgs;
use super::assemble::{assemble_into, policy};
use super::bars::Bars;
use super::provenance_args::ProvenanceArgs;
use super::{print_json, Global};
use cutroom::assemble::{self, spec::Cut};
use cutroom::audio::masters::Masters;
use cutroom::batch::state::{self, Entry, Status};
use cutroom::batch::{self, emit, Shard, Variant};
use cutroom::error::{exit, Error};
use cutroom::export::EncoderThreads;
use cutroom::fetch::{check_resolve, Provider, Spent, StateFile};
use cutroom::lock::Lock;
use cutroom::progress::Progress;
use cutroom::provenance::{check_tsa, Policy};
use cutroom::{output, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// The cut spec, with a `[vars]` table.
    spec: PathBuf,
    /// The variants: CSV (a header row of variable names) or TOML (`[[variant]]` tables); a
    /// `variant` column or key names each variant's directory.
    #[arg(long, value_name = "FILE")]
    variants: PathBuf,
    /// The batch directory: one directory per variant, batch.json, the shared shot cache shots/.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Run only shard K of N (K from 0): the variants are split by estimated work, the same
    /// way in every process.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// How many shards, for a Kubernetes Indexed Job (the shard is `JOB_COMPLETION_INDEX`) or
    /// `--emit`.
    #[arg(long, value_name = "N")]
    shards: Option<usize>,
    /// Variants assembled side by side (default: the cores), each encoder on one thread.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    jobs: Option<usize>,
    /// Print the job running the batch's shards instead of running it: a Kubernetes Indexed
    /// Job manifest, or a Slurm sbatch array script (with `--shards`).
    #[arg(long, value_enum, value_name = "k8s|slurm")]
    emit: Option<Engine>,
    /// The container image (`--emit k8s`).
    #[arg(long, default_value = "cutroom:latest", value_parser = image_ref)]
    image: String,
    /// The PersistentVolumeClaim holding the spec, its media and DIR, mounted at /work
    /// (`--emit k8s`).
    #[arg(long, value_name = "NAME", default_value = "cutroom-work", value_parser = claim_name)]
    claim: String,
    #[command(flatten)]
    render: RenderArgs,
    /// Signing, as in `assemble`: these options (or their environment) over each variant's
    /// `[provenance]`.
    #[command(flatten)]
    provenance: ProvenanceArgs,
    /// Print batch.json on stdout.
    #[arg(long)]
    json: bool,
}

/// `--image`: a container image reference, which is neither empty nor holds white space.
fn image_ref(s: &str) -> std::result::Result<String, String> {
    match s.is_empty() || s.contains(char::is_whitespace) {
        true => Err("a container image, such as registry.example/cutroom:1".into()),
        false => Ok(s.to_string()),
    }
}

/// `--claim`: a PersistentVolumeClaim name, a DNS subdomain (lower-case letters, digits, `-`
/// and `.`, starting and ending with a letter or digit, at most 253 characters).
fn claim_name(s: &str) -> std::result::Result<String, String> {
    let ok = (1..=253).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric());
    match ok {
        true => Ok(s.to_string()),
        false => Err(
            "a PersistentVolumeClaim name: lower-case letters, digits, '-' and '.', \
                      starting and ending with a letter or digit"
                .into(),
        ),
    }
}

/// An engine `--emit` writes for.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Engine {
    /// A Kubernetes Indexed Job manifest.
    K8s,
    /// A Slurm sbatch job array script.
    Slurm,
}

pub fn run(args: Args, global: &Global) -> Result<i32> {
    let variants = batch::load(&args.variants)?;
    let declared = assemble::spec::declared_variables(&args.spec)?;
    batch::check_vars(&args.variants, &variants, &args.spec, &declared)?;
    // Each variant's spec, read up front: a bad one is that variant's error.
    let cuts: Vec<Result<Cut>> = variants
        .iter()
        .map(|v| Cut::load_with(&args.spec, &v.vars))
        .collect();
    // A --resolve naming no shot any variant renders (or one job for two shots) is refused
    // before any variant is made, or any job emitted to make them.
    let rendered: std::collections::BTreeSet<String> = cuts
        .iter()
        .flatten()
        .flat_map(assemble::sources::rendered_shots)
        .collect();
    let rendered: Vec<&str> = rendered.iter().map(String::as_str).collect();
    check_resolve(&args.spec, &rendered, args.render.resolve())?;
    if let Some(engine) = args.emit {
        return emit_job(&args, engine, variants.len());
    }
    let shard = Shard::select(args.shard.as_deref(), args.shards, |k| {
        std::env::var(k).ok()
    })
    .map_err(Error::Usage)?;
    if let Some(s) = shard {
        warn_idle_shards(s.count, variants.len());
    }
    let weights: Vec<u64> = cuts
        .iter()
        .map(|c| c.as_ref().map_or(1, |c| batch::work(c, &args.spec)))
        .collect();
    let mine: Vec<usize> = match shard {
        Some(s) => {
            let names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
            batch::pick(&names, &weights, s)
        }
        None => (0..variants.len()).collect(),
    };
    let (client, mut opts) = args.render.client_and_options()?;
    // One --max-cost for every shard and run of the batch.
    opts.spent = Spent::batch(&args.output);
    // A key given here (options, environment) is every variant's: a bad one stops the batch.
    if args.provenance.sign_cert.is_some() || args.provenance.sign_key.is_some() {
        args.provenance.policy(client.config().ca_cert.as_deref())?;
    }
    // Each variant signed as `assemble` would sign it (a bad key in its spec is that
    // variant's error); the time-stamp authorities asked once, before any work.
    let policies: Vec<Result<Policy>> = cuts
        .iter()
        .map(|c| {
            let cut = c.as_ref().map_err(clone_err)?;
            policy(cut, &args.provenance, &client)
        })
        .collect();
    check_tsa(mine.iter().filter_map(|&i| policies[i].as_ref().ok()))?;
    output::make_dir(&args.output)?;
    if opts.max_cost.is_some() {
        // A ledger that cannot be read, or a newer cutroom's, stops the batch before any variant.
        opts.spent.total()?;
    }
    let out = args.output.as_path();
    let shard_name = shard.map(|s| format!("{}/{}", s.index, s.count));
    state::update(out, |r| {
        r.spec = args.spec.display().to_string();
        for v in &variants {
            r.variants.entry(v.name.clone()).or_insert_with(|| Entry {
                status: Status::Pending,
                vars: v.vars.clone(),
                dir: out.join(&v.name).display().to_string(),
                ..Entry::default()
            });
        }
    })?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .clamp(1, mine.len().max(1));
    let bar = Bars::new(global.quiet);
    bar.start("batch", mine.len() as u64);
    // Each variant's assemble shows no bars of its own (warnings still come through).
    let inner = Bars::new(true);
    // The heaviest first (file order among equals), so the pool ends on light variants rather
    // than one core idling beside a heavy one.
    let mut order = mine.clone();
    order.sort_by_key(|&i| std::cmp::Reverse(weights[i]));
    let queue = Mutex::new(order.into_iter());
    // Variants with the same sound share its mastering (loudness passes, AAC encodes).
    let masters = Masters::default();
    // One runtime for every variant: the client's pooled connections live on it.
    let rt = super::api::shared_runtime()?;
    let all_ok = std::sync::atomic::AtomicBool::new(true);
    let worker = || -> Result<()> {
        loop {
            let next = queue.lock().expect("queue").next();
            let Some(i) = next else { return Ok(()) };
            let v = &variants[i];
            let lock = state::variant_lock(out, &v.name);
            let Some(_held) = Lock::try_take(&lock)? else {
                // Another process is making it; its own run records the outcome.
                bar.println(&format!("{}: being made by another process", v.name));
                all_ok.store(false, std::sync::atomic::Ordering::Relaxed);
                bar.advance(1);
                continue;
            };
            let t = Instant::now();
            let outcome = cuts[i].as_ref().map_err(clone_err).and_then(|cut| {
                let policy = policies[i].as_ref().map_err(clone_err)?;
                let dir = out.join(&v.name);
                output::make_dir(&dir)?;
                let shots = shots_dir(out, cut);
                // Exports side by side, one per core: each encoder on one thread.
                let report = assemble_into(
                    cut,
                    &args.spec,
                    &dir,
                    &shots,
                    &rt,
                    &client,
                    &opts,
                    EncoderThreads::One,
                    Some(&masters),
                    policy,
                    &inner,
                )?;
                let fails = assemble::fails(&report, cut);
                Ok((report, fails))
            });
            let entry = entry(v, out, outcome, t.elapsed().as_secs_f64(), &shard_name);
            if entry.status != Status::Passed {
                all_ok.store(false, std::sync::atomic::Ordering::Relaxed);
            }
            bar.status(&format!("{} {}", v.name, entry.status));
            state::update(out, |r| {
                r.variants.insert(v.name.clone(), entry);
            })?;
            bar.advance(1);
        }
    };
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..jobs).map(|_| s.spawn(worker)).collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("batch worker"))
            .collect::<Result<Vec<()>>>()
    })?;
    bar.finish(None);
    let report = std::fs::read(out.join("batch.json")).map_err(|e| Error::io(out, e))?;
    let report: serde_json::Value =
        serde_json::from_slice(&report).map_err(|e| Error::bad_input(out, e.to_string()))?;
    if args.json {
        print_json(&report);
    } else {
        for i in &mine {
            let name = &variants[*i].name;
            let e = &report["variants"][name];
            outln!(
                "{name}  {}{}",
                e["status"].as_str().unwrap_or(""),
                e["error"]
                    .as_str()
                    .map_or(String::new(), |m| format!(": {m}"))
            );
        }
        outln!("{}", out.join("batch.json").display());
    }
    Ok(if all_ok.into_inner() {
        exit::OK
    } else {
        exit::ERROR
    })
}

/// The shot cache of `cut` in the batch directory: `DIR/shots`, shared by every variant, where
/// each render request has its own list and state (a render is made once for all variants that
/// ask for it). An earlier version's cache of the variant's set of requests
/// (`DIR/shots/<16 hex>/`) is kept while it records jobs, so a rerun creates none of them again.
fn shots_dir(out: &Path, cut: &Cut) -> PathBuf {
    let renders: Vec<_> = cut.shot.iter().map(|s| &s.render).collect();
    let key = Sha256::digest(serde_json::to_vec(&renders).expect("renders are JSON"));
    let set = out.join("shots").join(&format!("{key:x}")[..16]);
    let recorded = StateFile::path_for(&set.join(assemble::sources::RENDER_LIST)).exists();
    if recorded {
        set
    } else {
        out.join("shots")
    }
}

fn clone_err(e: &Error) -> Error {
    Error::Usage(e.to_string())
}

/// The batch.json entry of a variant's outcome.
fn entry(
    v: &Variant,
    out: &Path,
    outcome: Result<(serde_json::Value, bool)>,
    seconds: f64,
    shard: &Option<String>,
) -> Entry {
    let mut e = Entry {
        vars: v.vars.clone(),
        dir: out.join(&v.name).display().to_string(),
        seconds,
        shard: shard.clone(),
        ..Entry::default()
    };
    match outcome {
        Ok((report, fails)) => {
            e.status = if fails {
                Status::Failed
            } else {
                Status::Passed
            };
            e.outputs = report["outputs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|o| o["path"].as_str().map(String::from))
                .collect();
            e.sync_ok = report["sync_ok"].as_bool();
            e.reused = report["reused"] == true;
        }
        Err(err) => {
            e.status = Status::Error;
            e.error = Some(err.to_string());
        }
    }
    e
}

/// Warn when there are more shards than variants: the extra shards would have nothing to do.
fn warn_idle_shards(shards: usize, variants: usize) {
    if shards > variants {
        eprintln!(
            "cutroom: warning: {shards} shards for {variants} variant(s): {} of them would have \
             nothing to do (--shards {variants} is enough)",
            shards - variants
        );
    }
}

fn emit_job(args: &Args, engine: Engine, variants: usize) -> Result<i32> {
    let shards = args
        .shards
        .ok_or_else(|| Error::Usage("--emit needs --shards N".into()))?;
    if shards == 0 {
        return Err(Error::Usage("--shards must be at least 1".into()));
    }
    warn_idle_shards(shards, variants);
    // The command line as typed after `batch`: the shards keep every option given.
    let argv: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .skip_while(|a| a.starts_with('-'))
        .skip(1)
        .collect();
    // The command line is written into the job, and with it a secret a URL given there holds.
    for (flag, var) in [("--sign-tsa", TSA_VAR), ("--base-url", "CUTROOM_BASE_URL")] {
        if given(&argv, flag).is_some_and(holds_secret) {
            return Err(Error::Usage(format!(
                "{flag}'s URL holds a user and password, or a query that may be a key, which \
                 --emit would write into the job for all to read; give it as {var} instead (a \
                 Kubernetes job reads it from a Secret, a Slurm job from the environment it is \
                 submitted with)"
            )));
        }
    }
    let env = match engine {
        Engine::K8s => pod_env(),
        Engine::Slurm => Vec::new(),
    };
    let job = emit::Job {
        args: emit::passed_on(&argv),
        shards,
        image: &args.image,
        claim: &args.claim,
        name: "cutroom-batch",
        env,
    };
    if let Engine::K8s = engine {
        let missing = "the pods will not find it";
        let mut paths: Vec<(String, &Path, &str)> = vec![
            ("the spec".into(), &args.spec, missing),
            ("--variants".into(), &args.variants, missing),
            (
                "-o".into(),
                &args.output,
                "each pod would write into its own container and the shards would not share \
                 one output directory",
            ),
        ];
        let sign = &args.provenance;
        let signing = [
            (
                "--sign-cert",
                Some("CUTROOM_SIGN_CERT"),
                sign.sign_cert.as_deref(),
            ),
            (
                "--sign-key",
                Some("CUTROOM_SIGN_KEY"),
                sign.sign_key.as_deref(),
            ),
        ];
        let files = args
            .render
            .files()
            .into_iter()
            .map(|(f, v, p)| (f, v, Some(p)));
        // The pods read a file given by an option (passed on) or by a variable they get.
        for (flag, var, path) in files.chain(signing) {
            let Some(path) = path else { continue };
            let given = match var {
                Some(var) if !argv.iter().any(|a| a.split('=').next() == Some(flag)) => var,
                _ => flag,
            };
            if given == flag || POD_SETTINGS.contains(&given) {
                paths.push((given.into(), path, missing));
            }
        }
        for (given, path, why) in paths {
            if emit::off_volume(path) {
                eprintln!(
                    "cutroom: warning: {given} {} is not under {} (the volume every pod mounts, \
                     its working directory): {why}; give a path relative to it",
                    path.display(),
                    emit::VOLUME
                );
            }
        }
    }
    match engine {
        Engine::K8s => outln!("{}", emit::k8s(&job)),
        Engine::Slurm => outln!("{}", emit::slurm(&job)),
    }
    Ok(exit::OK)
}

/// The value of option `flag` in the command line `argv` (`--flag V` or `--flag=V`).
fn given<'a>(argv: &'a [String], flag: &str) -> Option<&'a str> {
    argv.iter()
        .enumerate()
        .find_map(|(i, a)| match a.split_once('=') {
            Some((f, v)) if f == flag => Some(v),
            _ if a == flag => argv.get(i + 1).map(String::as_str),
            _ => None,
        })
}

/// The API settings of this shell for the pods of an emitted Kubernetes job, which inherit no
/// environment: where the API is as values, the keys set here, and a URL that may hold a
/// secret ([`holds_secret`]), from the Secret [`emit::SECRET`] (named on stderr, never their
/// values).
fn pod_env() -> Vec<emit::EnvVar> {
    let set = |var: &str| std::env::var(var).ok().filter(|v| !v.trim().is_empty());
    let secret_url =
        |var: &&str| URL_SETTINGS.contains(var) && set(var).is_some_and(|v| holds_secret(&v));
    let mut env: Vec<emit::EnvVar> = POD_SETTINGS
        .iter()
        .chain([TSA_VAR].iter())
        .filter(|var| !secret_url(var))
        .filter_map(|&var| set(var).map(|v| emit::EnvVar::Value(var.into(), v)))
        .collect();
    let keys: Vec<&str> = Provider::ALL
        .iter()
        .map(|p| p.key_var())
        .filter(|&k| set(k).is_some())
        .chain(URL_SETTINGS.into_iter().filter(|v| secret_url(v)))
        .collect();
    if !keys.is_empty() {
        let literals: Vec<String> = keys
            .iter()
            .map(|k| format!("--from-literal={k}=\"${k}\""))
            .collect();
        eprintln!(
            "cutroom: note: the pods read {} from the Secret {secret}; make it with: kubectl \
             create secret generic {secret} {}",
            keys.join(", "),
            literals.join(" "),
            secret = emit::SECRET
        );
    }
    env.extend(keys.into_iter().map(|k| emit::EnvVar::Secret(k.into())));
    env
}

/// The time-stamp authority's variable: in the pods as a value, or from the Secret when its URL
/// may hold a secret.
const TSA_VAR: &str = "CUTROOM_SIGN_TSA";

/// The settings that are URLs: in the pods as values, or from the Secret when one may hold a
/// secret ([`holds_secret`]).
const URL_SETTINGS: [&str; 3] = ["CUTROOM_BASE_URL", "OPENAI_BASE_URL", TSA_VAR];

/// Whether a URL may carry a secret: user info, a query parameter other than Azure's
/// `api-version` (`?key=`, `?code=`, a token), or unreadable as a URL.
fn holds_secret(url: &str) -> bool {
    reqwest::Url::parse(url).map_or(true, |u| {
        !u.username().is_empty()
            || u.password().is_some()
            || u.query_pairs().any(|(k, _)| k != "api-version")
    })
}

/// The environment variables that say where the API is and how to speak to it, and which
/// files to sign with (not secrets). `SSL_CERT_FILE` is the machine's, not cutroom's: the pods
/// trust what their image does, and `--ca-cert` more.
const POD_SETTINGS: [&str; 6] = [
    "CUTROOM_BASE_URL",
    "OPENAI_BASE_URL",
    "CUTROOM_PROVIDER",
    "OPENAI_AUTH_HEADER",
    "CUTROOM_SIGN_CERT",
    "CUTROOM_SIGN_KEY",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_given_either_way_is_found_and_judged() {
        let argv: Vec<String> = ["-o", "out", "--base-url=https://a.example/v1?key=k"]
            .map(String::from)
            .into();
        assert_eq!(
            given(&argv, "--base-url"),
            Some("https://a.example/v1?key=k")
        );
        let argv: Vec<String> = ["--sign-tsa", "https://t.example/"]
            .map(String::from)
            .into();
        assert_eq!(given(&argv, "--sign-tsa"), Some("https://t.example/"));
        assert_eq!(given(&argv, "--base-url"), None);
        assert!(holds_secret("https://a.example/v1?key=k"));
        assert!(holds_secret("https://u:p@a.example/"));
        assert!(holds_secret("not a url"));
        assert!(!holds_secret(
            "https://az.example/openai/v1?api-version=preview"
        ));
        assert!(!holds_secret("https://a.example/v1"));
    }
}
