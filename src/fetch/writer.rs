//! Writes and hashes a download while the network reads it.

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Messages to the writer threads, which write and hash while the network reads.
#[derive(Clone)]
pub(super) enum Chunk {
    Data(bytes::Bytes),
    /// The server ignored `Range`: start the file over.
    Restart,
}

/// Writes and hashes while the network reads: the file and the SHA-256 each have a blocking
/// thread (a chunk is shared, not copied), so neither waits for the other and the last byte
/// written is not held up by hashing the queue behind it.
pub(super) struct Writer {
    file: Stage<u64>,
    hash: Stage<String>,
    /// The file the user asked for (errors name it, not the temp file written).
    path: PathBuf,
}

impl Writer {
    /// Write the file at `at` for `target` (errors name the target) after its first `prefix`
    /// bytes (a resumed download's, hashed first), dropping any after them.
    pub(super) fn start(at: &Path, target: &Path, prefix: u64) -> Result<Self> {
        let path = target;
        let io = |e| Error::io(path, e);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(at)
            .map_err(io)?;
        let mut hash = Sha256::new();
        if prefix > 0 {
            std::io::copy(&mut (&file).take(prefix), &mut hash).map_err(io)?;
        }
        file.set_len(prefix).map_err(io)?;
        file.seek(std::io::SeekFrom::Start(prefix)).map_err(io)?;
        // Small chunks (TLS records) are gathered; chunks of 256 KiB or more (hyper reads up to
        // ~400 KiB at a time on a fast link) go straight to the file, uncopied.
        let file = FileSink {
            w: std::io::BufWriter::with_capacity(256 << 10, file),
            n: prefix,
        };
        Ok(Self {
            file: Stage::start(file),
            hash: Stage::start(HashSink(hash)),
            path: path.to_path_buf(),
        })
    }

    /// Queue a chunk for both threads; when one has stopped, its error.
    pub(super) async fn send(&mut self, chunk: Chunk) -> Result<()> {
        let file = self.file.send(chunk.clone()).await;
        let hash = self.hash.send(chunk).await;
        if file && hash {
            return Ok(());
        }
        Err(match self.finish_stages().await {
            Err(e) => e,
            Ok(_) => Error::Remote("the download writer stopped".into()),
        })
    }

    /// Close the queues and wait for the bytes written and their SHA-256.
    pub(super) async fn finish(mut self) -> Result<(u64, String)> {
        self.finish_stages().await
    }

    async fn finish_stages(&mut self) -> Result<(u64, String)> {
        let n = self.file.finish().await;
        let hash = self.hash.finish().await;
        Ok((
            n.map_err(|e| Error::io(&self.path, e))?,
            hash.map_err(|e| Error::io(&self.path, e))?,
        ))
    }
}

/// What a [`Stage`] thread does with the chunks.
trait Sink: Send + 'static {
    /// What it gives at the end.
    type Out: Send + 'static;
    fn data(&mut self, d: &[u8]) -> std::io::Result<()>;
    /// Forget everything so far (the server ignored `Range`).
    fn restart(&mut self) -> std::io::Result<()>;
    fn end(self) -> std::io::Result<Self::Out>;
}

/// The file: written through a buffer, its length counted.
struct FileSink {
    w: std::io::BufWriter<std::fs::File>,
    n: u64,
}

impl Sink for FileSink {
    type Out = u64;
    fn data(&mut self, d: &[u8]) -> std::io::Result<()> {
        self.w.write_all(d)?;
        self.n += d.len() as u64;
        Ok(())
    }
    fn restart(&mut self) -> std::io::Result<()> {
        self.w.flush()?;
        self.w.get_mut().set_len(0)?;
        self.w.get_mut().rewind()?;
        self.n = 0;
        Ok(())
    }
    fn end(mut self) -> std::io::Result<u64> {
        // No fsync: the cache's SHA-256 check catches a file a crash left damaged.
        self.w.flush()?;
        Ok(self.n)
    }
}

/// The SHA-256 of the bytes, lower-case hex at the end.
struct HashSink(Sha256);

impl Sink for HashSink {
    type Out = String;
    fn data(&mut self, d: &[u8]) -> std::io::Result<()> {
        self.0.update(d);
        Ok(())
    }
    fn restart(&mut self) -> std::io::Result<()> {
        self.0 = Sha256::new();
        Ok(())
    }
    fn end(self) -> std::io::Result<String> {
        Ok(hex(&self.0.finalize()))
    }
}

/// A blocking thread feeding chunks from a queue to a [`Sink`].
struct Stage<T> {
    tx: Option<tokio::sync::mpsc::Sender<Chunk>>,
    done: Option<tokio::task::JoinHandle<std::io::Result<T>>>,
}

impl<T: Send + 'static> Stage<T> {
    fn start<S: Sink<Out = T>>(mut sink: S) -> Self {
        // A short queue: when the hash (the slowest stage, ~1.3 GB/s with SHA-NI) falls
        // behind a fast link, the network waits instead of parking chunks. Each parked chunk
        // is a fresh ~400 KiB buffer, so a deep queue (64) cost ~2.5x the page faults and
        // ~8 % more CPU for a 48 MB fetch (perf stat), with no gain: the hash sets the pace.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Chunk>(4);
        let done = tokio::task::spawn_blocking(move || {
            while let Some(chunk) = rx.blocking_recv() {
                match chunk {
                    Chunk::Data(d) => sink.data(&d)?,
                    Chunk::Restart => sink.restart()?,
                }
            }
            sink.end()
        });
        Self {
            tx: Some(tx),
            done: Some(done),
        }
    }

    /// Queue a chunk; false when the thread has stopped (see [`Stage::finish`] for why).
    async fn send(&self, chunk: Chunk) -> bool {
        match &self.tx {
            Some(tx) => tx.send(chunk).await.is_ok(),
            None => false,
        }
    }

    /// Close the queue and wait for the thread's result.
    async fn finish(&mut self) -> std::io::Result<T> {
        self.tx = None;
        match self.done.take() {
            Some(done) => done.await.unwrap_or_else(|e| {
                Err(std::io::Error::other(format!(
                    "the download writer failed: {e}"
                )))
            }),
            None => Err(std::io::Error::other(
                "the download writer already finished",
            )),
        }
    }
}

/// Lower-case hex of a digest.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a file, lower-case hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut hash = Sha256::new();
    std::io::copy(&mut f, &mut hash)?;
    Ok(hex(&hash.finalize()))
}
