//! `cutroom batch --emit`: the job that runs a batch's shards on an existing engine: a
//! Kubernetes Indexed Job manifest, or a Slurm job array script.

use serde_json::json;
use std::path::{Component, Path, PathBuf};

/// Where every pod of the Kubernetes job mounts the shared volume, its working directory.
pub const VOLUME: &str = "/work";

/// What the emitted job runs and where.
pub struct Job<'a> {
    /// The `cutroom batch` arguments after `batch` (spec, `--variants`, `-o`, ...), as given.
    pub args: Vec<String>,
    /// How many shards.
    pub shards: usize,
    /// The container image (Kubernetes).
    pub image: &'a str,
    /// The PersistentVolumeClaim mounted at `/work`, the working directory (Kubernetes).
    pub claim: &'a str,
    /// A name for the job.
    pub name: &'a str,
    /// The environment the pods get (Kubernetes; a Slurm job inherits the submitter's).
    pub env: Vec<EnvVar>,
}

/// The Secret an emitted Kubernetes job reads the API keys from.
pub const SECRET: &str = "cutroom-keys";

/// A variable of the pods' environment.
pub enum EnvVar {
    /// A setting and its value, as where the job was emitted (not a secret).
    Value(String, String),
    /// A key, read from the entry of this name in the Secret [`SECRET`]: the manifest never
    /// holds its value.
    Secret(String),
}

/// An Indexed Job: `completions` = `parallelism` = shards; each pod runs `cutroom batch ...
/// --shards N`, picking its shard from `JOB_COMPLETION_INDEX`, on the shared volume. Printed
/// as JSON, which is YAML too (`kubectl apply -f` takes it).
pub fn k8s(job: &Job) -> String {
    let mut command = vec!["cutroom".to_string(), "batch".into()];
    command.extend(job.args.iter().cloned());
    command.extend(["--shards".into(), job.shards.to_string(), "--quiet".into()]);
    let env: Vec<_> = job
        .env
        .iter()
        .map(|v| match v {
            EnvVar::Value(name, value) => json!({"name": name, "value": value}),
            EnvVar::Secret(name) => json!({
                "name": name,
                "valueFrom": {"secretKeyRef": {"name": SECRET, "key": name}},
            }),
        })
        .collect();
    let manifest = json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": job.name},
        "spec": {
            "completionMode": "Indexed",
            "completions": job.shards,
            "parallelism": job.shards,
            "backoffLimit": job.shards * 2,
            "template": {"spec": {
                "restartPolicy": "Never",
                "containers": [{
                    "name": "cutroom",
                    "image": job.image,
                    "workingDir": VOLUME,
                    "command": command,
                    "env": env,
                    "volumeMounts": [{"name": "work", "mountPath": VOLUME}],
                }],
                "volumes": [{
                    "name": "work",
                    "persistentVolumeClaim": {"claimName": job.claim},
                }],
            }},
        },
    });
    serde_json::to_string_pretty(&manifest).expect("a manifest is JSON")
}

/// True when `path`, as a pod in [`VOLUME`] reads it, is not on the shared volume: an absolute
/// path elsewhere, or a relative one whose `..` climbs out. Each pod would then have its own
/// copy (an output directory the shards do not share) or none (an input).
pub fn off_volume(path: &Path) -> bool {
    let mut at = PathBuf::from(VOLUME);
    for part in path.components() {
        match part {
            Component::RootDir | Component::Prefix(_) => at = PathBuf::from("/"),
            Component::ParentDir => {
                at.pop();
            }
            Component::CurDir => {}
            Component::Normal(p) => at.push(p),
        }
    }
    !at.starts_with(VOLUME)
}

/// The options of `cutroom batch` that choose the engine and the shard: the emitted job sets
/// these itself.
const ENGINE_OPTIONS: [&str; 5] = ["--emit", "--image", "--claim", "--shards", "--shard"];

/// The arguments a shard runs with: every `cutroom batch` argument given (`args`, after
/// `batch`), as given, but the engine's and shard's options and `-q`/`--quiet` (the job adds
/// its own), so the shards keep `--base-url`, `--allow-any`, `--max-cost` and every other option.
pub fn passed_on(args: &[String]) -> Vec<String> {
    let mut kept = Vec::new();
    let mut tokens = args.iter();
    while let Some(a) = tokens.next() {
        let flag = a.split_once('=').map_or(a.as_str(), |(f, _)| f);
        if ENGINE_OPTIONS.contains(&flag) {
            if flag == a {
                tokens.next(); // its value
            }
        } else if a != "-q" && a != "--quiet" {
            kept.push(a.clone());
        }
    }
    kept
}

/// An sbatch script for a job array of `shards` tasks (0 to N-1), each running `cutroom batch
/// ...` in the submit directory (a shared file system), its shard from
/// `SLURM_ARRAY_TASK_ID`/`SLURM_ARRAY_TASK_COUNT`.
pub fn slurm(job: &Job) -> String {
    let args: Vec<String> = job.args.iter().map(|a| quote(a)).collect();
    format!(
        "#!/bin/bash\n\
         #SBATCH --job-name={name}\n\
         #SBATCH --array=0-{last}\n\
         #SBATCH --output={name}-%A_%a.log\n\
         set -euo pipefail\n\
         exec cutroom batch {args} --quiet\n",
        name = job.name,
        last = job.shards - 1,
        args = args.join(" "),
    )
}

/// `s` as one shell word.
fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_keeps_every_option_but_the_engines() {
        let given: Vec<String> = [
            "cut.toml",
            "--emit",
            "k8s",
            "--variants",
            "v.csv",
            "--image=r/c:1",
            "-o",
            "out",
            "--allow-any",
            "--shards",
            "4",
            "--claim",
            "c",
            "-q",
            "--max-cost",
            "5",
        ]
        .map(String::from)
        .into();
        let kept = passed_on(&given);
        let want = [
            "cut.toml",
            "--variants",
            "v.csv",
            "-o",
            "out",
            "--allow-any",
            "--max-cost",
            "5",
        ];
        assert_eq!(kept, want);
    }

    #[test]
    fn paths_off_the_shared_volume() {
        for on in ["out", "./a/../out", "/work/out", "/work", "a/b/../../c"] {
            assert!(!off_volume(Path::new(on)), "{on}");
        }
        for off in [
            "/tmp/out",
            "../out",
            "/workshop/out",
            "/work/../tmp",
            "a/../../b",
        ] {
            assert!(off_volume(Path::new(off)), "{off}");
        }
    }
}
