//! `cutroom batch`: a family of cuts from one spec and a variants file, each variant an
//! assemble into its own directory, shared out among shards (Kubernetes Indexed Jobs, Slurm
//! job arrays) writing into one directory.

pub mod emit;
pub mod state;

use crate::assemble::spec::Cut;
use crate::error::{Error, Result, Several};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One variant: its name (the directory it goes to) and the values of its variables.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// Name, from the `variant` column or key (default `v<row>`, from 1).
    pub name: String,
    /// Variable values.
    pub vars: BTreeMap<String, String>,
}

/// The column or key naming a variant.
const NAME_KEY: &str = "variant";

/// The longest variant name, in bytes: a file name holds 255, and its lock file adds to it.
const MAX_NAME: usize = 200;

/// Read a variants file: CSV with a header row of variable names, or TOML (`.toml`) with
/// `[[variant]]` tables. Names must be unique and usable as directory names.
pub fn load(path: &Path) -> Result<Vec<Variant>> {
    let text = crate::specfile::read(path, "variants file")?;
    let bad = |e: String| Error::bad_input(path, e);
    let rows: Vec<BTreeMap<String, String>> = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            variant: Vec<BTreeMap<String, toml::Value>>,
        }
        let f: File = toml::from_str(&text).map_err(|e| bad(e.message().to_string()))?;
        f.variant
            .into_iter()
            .map(|t| {
                t.into_iter()
                    .map(|(k, v)| match v {
                        toml::Value::String(s) => (k, s),
                        other => (k, other.to_string()),
                    })
                    .collect()
            })
            .collect()
    } else {
        let mut records = csv_records(&text).map_err(bad)?.into_iter();
        let header = records
            .next()
            .ok_or_else(|| bad("empty: a header row of variable names comes first".into()))?;
        records
            .enumerate()
            .map(|(i, r)| {
                if r.len() != header.len() {
                    return Err(bad(format!(
                        "row {}: {} fields, the header has {}",
                        i + 2,
                        r.len(),
                        header.len()
                    )));
                }
                Ok(header.iter().cloned().zip(r).collect())
            })
            .collect::<Result<_>>()?
    };
    if rows.is_empty() {
        return Err(bad("no variants".into()));
    }
    let mut seen = BTreeSet::new();
    rows.into_iter()
        .enumerate()
        .map(|(i, mut vars)| {
            let name = vars
                .remove(NAME_KEY)
                .unwrap_or_else(|| format!("v{}", i + 1));
            // Its directory, its lock file, and a line of the batch's report: a control
            // character (NUL, a line break) or a name past what a file name holds failed the
            // batch midway, after the variants before it were made, or forged a line.
            let unfit = name.is_empty()
                || name.starts_with('.')
                || name.contains(['/', '\\'])
                || name.chars().any(char::is_control)
                || name.len() > MAX_NAME;
            if unfit {
                return Err(bad(format!(
                    "variant {name:?}: a variant's name is its directory: not empty, no `/` nor \
                     control character, not starting with `.`, at most {MAX_NAME} bytes"
                )));
            }
            if !seen.insert(name.clone()) {
                return Err(bad(format!("variant {name:?} appears twice")));
            }
            Ok(Variant { name, vars })
        })
        .collect()
}

/// Every variable the variants (read from `path`) set is one of `declared` (the `[vars]` of
/// the spec `spec`): a column or key that is not, a misspelling say, is the variants file's
/// error, found before any variant is made.
pub fn check_vars(
    path: &Path,
    variants: &[Variant],
    spec: &Path,
    declared: &BTreeSet<String>,
) -> Result<()> {
    let unknown: BTreeSet<&str> = variants
        .iter()
        .flat_map(|v| v.vars.keys())
        .filter(|k| !declared.contains(*k))
        .map(String::as_str)
        .collect();
    let errors = unknown.into_iter().map(|k| {
        let hint = crate::specfile::closest(k, declared.iter().map(String::as_str))
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        Error::bad_input(
            path,
            format!(
                "`{k}` is not a variable of {}: its [vars] declares {}{hint}",
                spec.display(),
                match declared.is_empty() {
                    true => "none".to_string(),
                    false => declared
                        .iter()
                        .map(|d| format!("`{d}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                }
            ),
        )
    });
    Error::all(Several::Inputs, errors.collect())
}

/// RFC 4180 records: comma-separated fields, `"` quoting with `""` for a quote, CRLF or LF;
/// blank lines are skipped.
fn csv_records(text: &str) -> std::result::Result<Vec<Vec<String>>, String> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut line = 1;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                line += usize::from(c == '\n');
                field.push(c);
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                line += 1;
                record.push(std::mem::take(&mut field));
                if record.iter().any(|f| !f.is_empty()) || record.len() > 1 {
                    records.push(std::mem::take(&mut record));
                } else {
                    record.clear();
                }
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(format!("line {line}: a quoted field is not closed"));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

/// Which shard of how many this process runs: `K/N` counts K from 0 to N-1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shard {
    /// This shard, from 0.
    pub index: usize,
    /// How many.
    pub count: usize,
}

impl Shard {
    /// Parse `K/N`.
    pub fn parse(s: &str) -> std::result::Result<Self, String> {
        let bad = || format!("--shard {s:?}: give K/N with 0 <= K < N (as 0/4)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        Self::new(k, n).ok_or_else(bad)
    }

    fn new(index: usize, count: usize) -> Option<Self> {
        (count > 0 && index < count).then_some(Self { index, count })
    }

    /// The shard to run: `--shard`, else `JOB_COMPLETION_INDEX` of `--shards` (Kubernetes
    /// Indexed Job), else `SLURM_ARRAY_TASK_ID` of `SLURM_ARRAY_TASK_COUNT`; none: every
    /// variant.
    pub fn select(
        flag: Option<&str>,
        shards: Option<usize>,
        env: impl Fn(&str) -> Option<String>,
    ) -> std::result::Result<Option<Self>, String> {
        if let Some(s) = flag {
            return Self::parse(s).map(Some);
        }
        let num = |k: &str| -> std::result::Result<Option<usize>, String> {
            env(k)
                .map(|v| {
                    v.trim()
                        .parse()
                        .map_err(|_| format!("{k}={v:?} is not a whole number"))
                })
                .transpose()
        };
        let pair = match (num("JOB_COMPLETION_INDEX")?, shards) {
            (Some(k), Some(n)) => Some((k, n, "JOB_COMPLETION_INDEX of --shards")),
            (Some(_), None) => {
                return Err(
                    "JOB_COMPLETION_INDEX is set: give --shards N (the Job's completions)".into(),
                )
            }
            (None, _) => match (num("SLURM_ARRAY_TASK_ID")?, num("SLURM_ARRAY_TASK_COUNT")?) {
                (Some(k), Some(n)) => Some((k, n, "SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT")),
                _ => None,
            },
        };
        match pair {
            None if shards.is_some() => {
                Err("--shards needs JOB_COMPLETION_INDEX (use --shard K/N by hand)".into())
            }
            None => Ok(None),
            Some((k, n, what)) => Self::new(k, n)
                .map(Some)
                .ok_or_else(|| format!("{what}: shard {k} of {n} does not exist")),
        }
    }
}

/// A variant's estimated work, to balance shards and to start the heaviest variants first:
/// the pixels of its outputs (the encodes dominate) times its shots (a stand-in for its
/// length, unknown before the shots are fetched). 1 when its presets (of the spec at `spec`) do
/// not resolve.
pub fn work(cut: &Cut, spec: &Path) -> u64 {
    cut.output_presets(spec).map_or(1, |ps| {
        let pixels: u64 = ps
            .iter()
            .map(|p| u64::from(p.width) * u64::from(p.height))
            .sum();
        pixels * cut.shot.len() as u64
    })
}

/// The indices of `weights` (estimated work per variant, in file order; `names` break ties)
/// that fall in `shard`: heaviest first, each to the least-loaded shard so far (lowest index
/// on a tie), so every process computes the same split and the shards' work is balanced.
pub fn pick(names: &[&str], weights: &[u64], shard: Shard) -> Vec<usize> {
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| weights[b].cmp(&weights[a]).then(names[a].cmp(names[b])));
    let mut load = vec![0u64; shard.count];
    let mut mine = Vec::new();
    for i in order {
        let s = (0..shard.count)
            .min_by_key(|&s| (load[s], s))
            .expect("at least one shard");
        load[s] += weights[i].max(1);
        if s == shard.index {
            mine.push(i);
        }
    }
    mine.sort_unstable();
    mine
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_blank_lines() {
        let r = csv_records("a,b\r\n\"x, \"\"y\"\"\",2\n\n3,\n").unwrap();
        assert_eq!(
            r,
            vec![
                vec!["a".to_string(), "b".into()],
                vec!["x, \"y\"".into(), "2".into()],
                vec!["3".into(), "".into()],
            ]
        );
        assert!(csv_records("a\n\"open").is_err());
    }

    /// A name that cannot be a directory of its own is the variants file's error, before any
    /// variant is made (NUL and a name of 300 bytes failed the batch midway, a line break
    /// forged a line of its report).
    #[test]
    fn a_variant_name_must_make_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.csv");
        let long = "x".repeat(MAX_NAME + 1);
        for name in [
            "a\0b",
            "\"a\nb\"",
            "a\u{1b}[2J",
            &long,
            "../up",
            ".hidden",
            "",
        ] {
            std::fs::write(&path, format!("variant,lang\nok,en\n{name},fr\n")).unwrap();
            let e = load(&path).unwrap_err().to_string();
            assert!(
                e.contains("a variant's name is its directory"),
                "{name:?}: {e}"
            );
        }
        std::fs::write(&path, format!("variant\n{}\nnaïve-é\n", &long[1..])).unwrap();
        assert_eq!(load(&path).unwrap().len(), 2);
    }

    #[test]
    fn shards_cover_every_variant_once_balanced() {
        let names: Vec<String> = (0..24).map(|i| format!("v{i:02}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let weights: Vec<u64> = (0..24).map(|i| 1 + (i % 4) as u64).collect();
        let mut all = Vec::new();
        let mut loads = Vec::new();
        for k in 0..4 {
            let mine = pick(&names, &weights, Shard { index: k, count: 4 });
            loads.push(mine.iter().map(|&i| weights[i]).sum::<u64>());
            all.extend(mine);
        }
        all.sort_unstable();
        assert_eq!(all, (0..24).collect::<Vec<_>>());
        assert_eq!(loads, vec![15, 15, 15, 15]);
    }

    #[test]
    fn shard_from_flag_or_environment() {
        let none = |_: &str| None;
        assert_eq!(Shard::select(Some("1/4"), None, none), Ok(Shard::new(1, 4)));
        assert!(Shard::select(Some("4/4"), None, none).is_err());
        assert_eq!(Shard::select(None, None, none), Ok(None));
        let k8s = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| "2".to_string());
        assert_eq!(Shard::select(None, Some(3), k8s), Ok(Shard::new(2, 3)));
        assert!(Shard::select(None, None, k8s).is_err());
        let slurm = |k: &str| match k {
            "SLURM_ARRAY_TASK_ID" => Some("0".to_string()),
            "SLURM_ARRAY_TASK_COUNT" => Some("2".to_string()),
            _ => None,
        };
        assert_eq!(Shard::select(None, None, slurm), Ok(Shard::new(0, 2)));
    }
}
