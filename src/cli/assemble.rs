//! `cutroom assemble cut.toml -o out/`.

use super::api::{client_runtime, RenderArgs};
use super::bars::Bars;
use super::provenance_args::ProvenanceArgs;
use super::{print_json, Global};
use cutroom::assemble::{self, sources, spec::Cut};
use cutroom::audio::masters::Masters;
use cutroom::error::exit;
use cutroom::export::EncoderThreads;
use cutroom::fetch::{Client, RenderOptions};
use cutroom::lock::RunLock;
use cutroom::output;
use cutroom::progress::Progress;
use cutroom::provenance::{check_tsa, Policy};
use cutroom::sync::{self, Standard, Verdict};
use cutroom::Result;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// The cut spec (TOML, or JSON when the name ends in .json).
    spec: PathBuf,
    /// Output directory: deliverables, report.json, timeline.otio, and the shot cache shots/.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    #[command(flatten)]
    render: RenderArgs,
    /// Print report.json on stdout.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    provenance: ProvenanceArgs,
}

pub fn run(args: Args, global: &Global) -> Result<i32> {
    let cut = Cut::load(&args.spec)?;
    let (client, opts) = args.render.client_and_options()?;
    let policy = policy(&cut, &args.provenance, &client)?;
    check_tsa([&policy])?;
    let shots_dir = args.output.join("shots");
    let report = assemble_into(
        &cut,
        &args.spec,
        &args.output,
        &shots_dir,
        &client_runtime()?,
        &client,
        &opts,
        EncoderThreads::Shared,
        None,
        &policy,
        &Bars::new(global.quiet),
    )?;
    if args.json {
        print_json(&report);
    } else {
        if report["reused"] == true {
            outln!("inputs and settings unchanged: deliverables reused");
        }
        for o in report["outputs"].as_array().into_iter().flatten() {
            let num = |k: &str| o[k].as_f64().unwrap_or(f64::NAN);
            outln!(
                "{}  {} {}x{} {:.3} s {} kB  loudness {} LUFS  sync {}, offset {}",
                o["path"].as_str().unwrap_or(""),
                o["preset"].as_str().unwrap_or(""),
                o["width"],
                o["height"],
                num("duration_s"),
                o["bytes"].as_u64().unwrap_or(0).div_ceil(1000),
                o["loudness"]["integrated_lufs"]
                    .as_f64()
                    .map_or("-".into(), |l| format!("{l:.1}")),
                o["sync_verdict"].as_str().unwrap_or(""),
                headline(o, cut.sync.standard),
            );
            if o["sync_verdict"] != "pass" {
                outln!("  sync: {}", o["sync_reason"].as_str().unwrap_or(""));
            }
            let beside = [&o["cover"], &o["sync_plot"]]
                .into_iter()
                .chain(o["sidecars"].as_array().into_iter().flatten());
            let beside: Vec<&str> = beside.filter_map(|f| f.as_str()).collect();
            if !beside.is_empty() {
                outln!("  with {}", beside.join(" "));
            }
        }
        for f in [&report["timeline"], &report["contact_sheet"]] {
            if let Some(f) = f.as_str() {
                outln!("{f}");
            }
        }
        for f in ["report.json", "report.html"] {
            outln!("{}", args.output.join(f).display());
        }
    }
    Ok(if assemble::fails(&report, &cut) {
        exit::CHECK_FAILED
    } else {
        exit::OK
    })
}

/// The sync offset of output `o` (of report.json) for its summary line, as `sync`'s headline
/// against `standard`.
fn headline(o: &serde_json::Value, standard: Standard) -> String {
    let verdict =
        serde_json::from_value(o["sync_verdict"].clone()).unwrap_or(Verdict::Inconclusive);
    sync::headline(
        verdict,
        o["sync_worst_offset_ms"].as_f64(),
        o["sync_offset_ms"].as_f64(),
        o["sync_gaps_closed_offset_ms"].as_f64(),
        standard,
    )
}

/// The signing `cut` asks for: `sign`'s options, else its `[provenance]`; an https time-stamp
/// authority also trusts `--ca-cert` (`SSL_CERT_FILE`), as the renders' API does.
pub(super) fn policy(cut: &Cut, sign: &ProvenanceArgs, client: &Client) -> Result<Policy> {
    let mut sign = sign.clone();
    if sign.sign_cert.is_none() && sign.sign_key.is_none() {
        sign.sign_cert.clone_from(&cut.provenance.sign_cert);
        sign.sign_key.clone_from(&cut.provenance.sign_key);
    }
    if sign.sign_tsa.is_none() {
        sign.sign_tsa.clone_from(&cut.provenance.tsa);
    }
    sign.require_provenance |= cut.provenance.require;
    sign.policy(client.config().ca_cert.as_deref())
}

/// Assemble `cut` (read from `spec`) into `out`, its renders and downloads cached in
/// `shots_dir` (fetched on `rt`, the runtime of `client`'s connections), keeping what an
/// earlier run there left intact, its soundtrack mastered through
/// `masters` when runs share them, signed as `policy` says (see [`policy`]); the report as
/// written. One run at a time writes into `out`: another waits for it to end (and then keeps
/// what it made, or makes its own): of two runs, the later one's files stay.
#[allow(clippy::too_many_arguments)]
pub(super) fn assemble_into(
    cut: &Cut,
    spec: &Path,
    out: &Path,
    shots_dir: &Path,
    rt: &tokio::runtime::Runtime,
    client: &Client,
    opts: &RenderOptions,
    encoder_threads: EncoderThreads,
    masters: Option<&Masters>,
    policy: &Policy,
    progress: &dyn Progress,
) -> Result<serde_json::Value> {
    // Removed again when still empty (the lock file gone) if the run fails.
    let mut made = output::Batch::new();
    made.make_dir(out)?;
    let _lock = RunLock::take(&out.join(".assemble.lock"), || {
        progress.warn(&format!(
            "{}: another cutroom assemble is writing here; waiting for it to end",
            out.display()
        ))
    })?;
    let t = Instant::now();
    let inputs = rt.block_on(sources::resolve(
        cut, spec, shots_dir, client, opts, progress,
    ))?;
    let sources_s = t.elapsed().as_secs_f64();
    let keys = assemble::keys(cut, spec, &inputs, policy.key.as_ref())?;
    let reuse = assemble::reusable(out, &keys, spec, &inputs);
    let report = match reuse.all {
        Some(r) => r,
        None => {
            let r = assemble::run(
                cut,
                spec,
                inputs,
                keys,
                reuse.outputs,
                out,
                sources_s,
                encoder_threads,
                masters,
                policy,
                progress,
            )?;
            serde_json::to_value(&r).expect("a report is JSON")
        }
    };
    made.commit()?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deliverable failed for the gaps in its sound's timestamps alone shows where players
    /// that close them hear it, not the timestamps' offset inside the band (`+0.4 ms`).
    #[test]
    fn a_fail_for_gaps_alone_shows_the_gaps_closed_offset() {
        let mut o = serde_json::json!({
            "sync_verdict": "fail",
            "sync_offset_ms": 0.4,
            "sync_worst_offset_ms": 0.4,
            "sync_gaps_closed_offset_ms": -223.6,
        });
        assert_eq!(
            headline(&o, Standard::R37),
            "-223.6 ms (gaps closed; as timestamped +0.4 ms)"
        );
        // Within a wider band than the one it failed: the timestamps' offset, as sync says.
        o["sync_gaps_closed_offset_ms"] = (-30.0).into();
        assert_eq!(headline(&o, Standard::Bt1359), "+0.4 ms");
    }
}
