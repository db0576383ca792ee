//! Shot lists (`shots.toml`) and the render state file beside them, which remembers the job id
//! of every shot so an interrupted run never creates (and bills) a second job for it.

use super::cache::write_json_atomic;
use super::model::CreateVideo;
use super::writer::{hex, sha256_file};
use crate::error::{Error, Result};
use crate::lock::RunLock;
use crate::progress::Progress;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A length given as `4` or `"4"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Seconds {
    Int(u32),
    Text(String),
}

impl Seconds {
    fn text(self) -> String {
        match self {
            Self::Int(n) => n.to_string(),
            Self::Text(s) => s,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShotEntry {
    name: Option<String>,
    prompt: String,
    model: Option<String>,
    seconds: Option<Seconds>,
    size: Option<String>,
    input_reference: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShotFile {
    model: Option<String>,
    seconds: Option<Seconds>,
    size: Option<String>,
    #[serde(default)]
    shot: Vec<ShotEntry>,
}

/// One shot to render.
#[derive(Debug, Clone)]
pub struct Shot {
    /// Its name (`name`, or `shot-NN` by position).
    pub name: String,
    /// The create request (defaults applied, `input_reference` resolved beside the list).
    pub request: CreateVideo,
    /// Hash of everything that makes the render (endpoint, prompt, model, seconds, size, the
    /// reference image's bytes, and which take of identical shots it is): the state file's key.
    pub key: String,
}

/// Read a shot list. Relative `input_reference` paths are taken beside the list; top-level
/// `model`, `seconds` and `size` are defaults for every shot.
pub fn load(path: &Path, endpoint: &str) -> Result<Vec<Shot>> {
    let text = crate::specfile::read(path, "shot list")?;
    let file: ShotFile = crate::specfile::toml(path, &text)?;
    if file.shot.is_empty() {
        return Err(Error::bad_input(path, "no [[shot]] entries"));
    }
    let base = path.parent().unwrap_or(Path::new(""));
    let mut takes: HashMap<String, u32> = HashMap::new();
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut shots = Vec::new();
    for (i, s) in file.shot.into_iter().enumerate() {
        let name = s.name.unwrap_or_else(|| format!("shot-{:02}", i + 1));
        // Shown in the table and every message about the shot: an ESC would drive the
        // terminal, a line break forge a line.
        if name.chars().any(char::is_control) {
            return Err(Error::bad_input(
                path,
                format!(
                    "shot {}: its name {name:?} holds a control character: name it in visible \
                     characters",
                    i + 1
                ),
            ));
        }
        if let Some(first) = names.insert(name.clone(), i) {
            return Err(Error::bad_input(
                path,
                format!("shots {} and {} are both named {name:?}", first + 1, i + 1),
            ));
        }
        let request = CreateVideo {
            prompt: s.prompt,
            model: s.model.or_else(|| file.model.clone()),
            seconds: s
                .seconds
                .or_else(|| file.seconds.clone())
                .map(Seconds::text),
            size: s.size.or_else(|| file.size.clone()),
            input_reference: s.input_reference.map(|p| base.join(p)),
        };
        let reference = match &request.input_reference {
            Some(p) => Some(sha256_file(p).map_err(|e| {
                Error::bad_input(
                    path,
                    format!("shot {name:?}: input_reference {}: {e}", p.display()),
                )
            })?),
            None => None,
        };
        let (model, size, seconds) = request.resolved();
        // Keys in sorted order: the key of a shot must not change between versions (serde_json
        // keeps insertion order, as the c2pa crate has it built).
        let params = serde_json::json!({
            "endpoint": endpoint, "input_reference_sha256": reference, "model": model,
            "prompt": request.prompt, "seconds": seconds, "size": size,
        })
        .to_string();
        let take = takes.entry(params.clone()).or_default();
        *take += 1;
        let key = hex(&Sha256::digest(format!("{params}#{take}").as_bytes()))[..32].to_string();
        shots.push(Shot { name, request, key });
    }
    Ok(shots)
}

/// One recorded job, or the intent to create one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// The shot's name when the job was created.
    pub shot: String,
    /// The job id; `null` while a create is in flight or its outcome unknown (the next run looks
    /// the job up before creating again).
    #[serde(default)]
    pub id: Option<String>,
    /// Unix seconds of creation (of the intent, while `id` is null).
    pub created_at: i64,
    /// A random token of the pending create (while `id` is null): its `Idempotency-Key` is
    /// the shot's key and this, the same on every retry and re-run, new for each intent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// The shot's earlier jobs that `--retry-failed` replaced, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retried: Vec<Retried>,
    /// True when the pending create was accepted with an answer naming no job cutroom can use
    /// (no id, or one holding control characters): a job was made, so it is never created
    /// again unasked, and only `--resolve` settles the shot.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub accepted: bool,
}

/// A job of a shot that `--retry-failed` replaced with a new one (`retried[]` of a shot in
/// `cutroom render --json`): what it was billed stays in the list's cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Retried {
    /// Its id.
    pub id: String,
    /// Why it gave no file (it failed, was cancelled, expired or is gone).
    pub error: String,
    /// What it was billed, as far as known when it was replaced.
    #[serde(flatten)]
    pub billed: Billed,
}

/// The version of the state file this cutroom writes, and the newest it reads.
const VERSION: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    version: u32,
    /// Jobs by shot key.
    jobs: BTreeMap<String, Job>,
}

impl State {
    /// See [`StateFile::holder`].
    fn holder(&self, key: &str, id: &str) -> Option<String> {
        let held = |j: &Job| j.retried.iter().any(|r| r.id == id);
        self.jobs
            .iter()
            .find(|(k, j)| (*k != key && j.id.as_deref() == Some(id)) || held(j))
            .map(|(_, j)| j.shot.clone())
    }
}

/// The state file `<list stem>.state.json` beside a shot list, held under an exclusive lock on
/// `<list stem>.state.lock` for as long as this value lives: the lock file is removed as it
/// lets go, on SIGINT or SIGTERM too (the OS releases the lock when the process dies, however
/// it dies; a file so left is taken by the next run).
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    state: tokio::sync::Mutex<State>,
    _lock: RunLock,
    /// Says, should a signal end the run while the file is open, that it keeps the jobs.
    _note: crate::cleanup::Note,
}

impl StateFile {
    /// The state file path for the shot list `shots`.
    pub fn path_for(shots: &Path) -> PathBuf {
        shots.with_file_name(format!("{}.state.json", stem(shots)))
    }

    /// Lock and open (or start) the state of the shot list `shots`. While another process
    /// holds the lock (a second `render` of the same list) this waits, saying so once to
    /// `progress`, then reads what that run recorded. An unreadable state file is an error:
    /// guessing would re-create (and re-bill) jobs.
    pub async fn open(shots: &Path, progress: &dyn Progress) -> Result<Self> {
        let path = Self::path_for(shots);
        let lock_path = shots.with_file_name(format!("{}.state.lock", stem(shots)));
        let mut told = false;
        let lock = loop {
            if let Some(lock) = RunLock::try_take(&lock_path)? {
                break lock;
            }
            if !told {
                progress.note(&format!(
                    "waiting for another render of {} to finish (it holds {})",
                    shots.display(),
                    lock_path.display()
                ));
                told = true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        };
        let state: State = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| Error::bad_input(&path, unreadable(&e)))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State {
                version: VERSION,
                ..State::default()
            },
            Err(e) => return Err(Error::io(&path, e)),
        };
        // A newer cutroom's file may record its jobs where this one does not look (every
        // shot would be created again) and would lose what it does not know when rewritten.
        if state.version > VERSION {
            return Err(Error::bad_input(
                &path,
                format!(
                    "render state of version {} (this cutroom reads version {VERSION}), written \
                     by a newer cutroom: it is left as it is; render this list with that \
                     cutroom, as this one would not find the jobs it records and would create \
                     (and bill) them again",
                    state.version
                ),
            ));
        }
        let note = crate::cleanup::note_on_signal(format!(
            "interrupted: {} records the jobs created so far; rerun the same command to resume \
             them (a recorded job is never created again; a create left unanswered is looked for, \
             or left to --resolve, before any other)",
            path.display()
        ));
        Ok(Self {
            path,
            state: tokio::sync::Mutex::new(state),
            _lock: lock,
            _note: note,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The job recorded for `key`.
    pub async fn get(&self, key: &str) -> Option<Job> {
        self.state.lock().await.jobs.get(key).cloned()
    }

    /// The ids of every recorded job, replaced ones included.
    pub async fn ids(&self) -> HashSet<String> {
        let state = self.state.lock().await;
        let jobs = state.jobs.values();
        let retried = jobs.clone().flat_map(|j| &j.retried).map(|r| r.id.clone());
        jobs.filter_map(|j| j.id.clone()).chain(retried).collect()
    }

    /// Record `job` for `key` and write the file atomically before returning.
    pub async fn set(&self, key: &str, job: Job) -> Result<()> {
        let mut state = self.state.lock().await;
        state.jobs.insert(key.to_string(), job);
        write_json_atomic(&self.path, &*state)
    }

    /// Record `job`, just created, for `key`, unless its id is already recorded (another
    /// shot's job, or a job a retry replaced): then nothing is written, and the name of the
    /// shot that holds or held it is returned.
    pub async fn record_new(&self, key: &str, job: Job) -> Result<Option<String>> {
        let mut state = self.state.lock().await;
        if let Some(shot) = job.id.as_deref().and_then(|id| state.holder(key, id)) {
            return Ok(Some(shot));
        }
        state.jobs.insert(key.to_string(), job);
        write_json_atomic(&self.path, &*state).map(|()| None)
    }

    /// The name of the shot, other than the one of `key`, that holds job `id`, or held it (a
    /// job a retry replaced, any shot's).
    pub async fn holder(&self, key: &str, id: &str) -> Option<String> {
        self.state.lock().await.holder(key, id)
    }

    /// Forget `key` (a create the server surely refused) and write the file, or remove it when
    /// it records no job any more (a run that created nothing leaves none).
    pub async fn remove(&self, key: &str) -> Result<()> {
        let mut state = self.state.lock().await;
        state.jobs.remove(key);
        if !state.jobs.is_empty() {
            return write_json_atomic(&self.path, &*state);
        }
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&self.path, e)),
            _ => Ok(()),
        }
    }
}

/// Why a state file cannot be read, and the way on that bills no shot twice: it holds the
/// jobs already created, so it is kept; deleting it would create every one of them again.
fn unreadable(e: &serde_json::Error) -> String {
    format!(
        "unreadable render state ({e}); it records the jobs already created (and billed) for \
         this list, so it is left as it is: fix it there, or move it aside and rerun with \
         --resolve 'SHOT=JOB_ID' for each shot whose job it names (deleting it would create, \
         and bill, every shot's job again)"
    )
}

fn stem(shots: &Path) -> String {
    shots
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What one job was billed (`seconds_billed`, `cost_usd`, `cost_estimated` of a shot).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Billed {
    /// Seconds of video billed: the provider's `usage` figure when it gives one, else the
    /// length of the job.
    pub seconds_billed: Option<f64>,
    /// Cost in USD: the provider's `usage.cost`, else the catalog's price times the seconds.
    pub cost_usd: Option<f64>,
    /// True when `cost_usd` is the catalog's estimate, not the provider's figure.
    pub cost_estimated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_parameters_and_takes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("shots.toml");
        std::fs::write(
            &p,
            r#"seconds = 8
[[shot]]
prompt = "a"
[[shot]]
prompt = "a"
[[shot]]
name = "x"
prompt = "a"
seconds = "4"
[[shot]]
prompt = "a"
model = "sora-2"
seconds = 4
"#,
        )
        .unwrap();
        let s = load(&p, "e").unwrap();
        assert_eq!(s[0].name, "shot-01");
        assert_eq!(s[0].request.seconds.as_deref(), Some("8"));
        assert_ne!(s[0].key, s[1].key, "second take of the same shot");
        assert_ne!(s[0].key, s[2].key);
        assert_ne!(s[2].key, s[3].key, "same render, next take");
        assert_eq!(load(&p, "e").unwrap()[1].key, s[1].key, "stable");
        assert_ne!(
            load(&p, "other").unwrap()[0].key,
            s[0].key,
            "endpoint counts"
        );
        std::fs::write(&p, "[[shot]]\nprompt = \"a\"\nsecs = 4\n").unwrap();
        assert!(load(&p, "e").unwrap_err().to_string().contains("secs"));
    }

    #[test]
    fn a_shots_key_is_the_one_earlier_versions_recorded() {
        // Render state files written by earlier versions name their jobs by this key: were it
        // to change (serde_json's key order did), a rerun would create and bill the shot again.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("shots.toml");
        std::fs::write(
            &p,
            "[[shot]]\nprompt = \"a\"\nmodel = \"sora-2\"\nsize = \"720x1280\"\nseconds = 4\n",
        )
        .unwrap();
        let recorded = r#"{"endpoint":"e","input_reference_sha256":null,"model":"sora-2","prompt":"a","seconds":"4","size":"720x1280"}#1"#;
        let want = hex(&Sha256::digest(recorded.as_bytes()))[..32].to_string();
        assert_eq!(load(&p, "e").unwrap()[0].key, want);
    }
}
