//! Downloads: stream to a temp file beside the target, resume with `Range` when the connection
//! drops, check the length, probe the result as valid media, and only then rename into place.

use super::client::{api_error, describe, Body, Client};
use super::config::redact_url;
use super::model::Variant;
use crate::error::{Error, Result};
use crate::output::AtomicOutput;
use crate::progress::Progress;
use futures_util::StreamExt;
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use reqwest::{Method, StatusCode, Url};
use sha2::{Digest, Sha256};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A finished, verified download.
#[derive(Debug, Clone)]
pub struct Downloaded {
    /// Where it is.
    pub path: PathBuf,
    /// Its length in bytes.
    pub bytes: u64,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
    /// Time on the network: from the first request to the last byte, resumes included.
    pub transfer: Duration,
}

/// What is being fetched, for messages and the expiry check.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The URL (an API content URL or any https URL).
    pub url: &'a Url,
    /// What the bytes must be: an MP4 with video, or an image.
    pub variant: Variant,
    /// When the provider stops serving it (unix seconds), if known.
    pub expires_at: Option<i64>,
}

/// Messages to the writer threads, which write and hash while the network reads.
#[derive(Clone)]
enum Chunk {
    Data(bytes::Bytes),
    /// The server ignored `Range`: start the file over.
    Restart,
}

impl Client {
    /// Download `req` to the path `target_for(content_type)` returns (decided once the first
    /// answer shows what the bytes are). A dropped connection resumes with `Range`; a server
    /// that ignores `Range` makes it start over. The file must reach the announced length, stay
    /// under the download cap and open as valid media before it is renamed into place; on any
    /// failure nothing is left at the target.
    pub async fn download(
        &self,
        req: Request<'_>,
        target_for: impl Fn(Option<&str>) -> PathBuf,
        bar: &dyn Progress,
    ) -> Result<Downloaded> {
        let shown = redact_url(req.url);
        let started = std::time::Instant::now();
        let cap = self.config().max_download_bytes;
        let mut out: Option<(AtomicOutput, Writer)> = None;
        let mut written = 0u64;
        let mut total: Option<u64> = None;
        let mut breaks = 0u32;
        loop {
            let mut headers = HeaderMap::new();
            if written > 0 {
                let range = HeaderValue::from_str(&format!("bytes={written}-")).expect("ascii");
                headers.insert(RANGE, range);
            }
            let resp = self
                .send(Method::GET, req.url, &Body::Empty, &headers)
                .await?;
            let status = resp.status();
            match status {
                StatusCode::OK => {
                    if written > 0 {
                        self.log(format_args!("{shown}: server ignored Range, starting over"));
                        out.as_mut()
                            .expect("open once bytes were written")
                            .1
                            .send(Chunk::Restart)
                            .await?;
                        written = 0;
                    }
                    total = resp.content_length();
                }
                StatusCode::PARTIAL_CONTENT => {
                    let (start, len) = content_range(resp.headers()).ok_or_else(|| {
                        Error::Remote(format!(
                            "{shown}: 206 answer without a usable Content-Range"
                        ))
                    })?;
                    if start != written || total.is_some_and(|t| Some(t) != len) {
                        return Err(Error::Remote(format!(
                            "{shown}: asked to resume at byte {written}, the server answered from byte {start} of {len:?}"
                        )));
                    }
                    total = len.or(total);
                }
                StatusCode::RANGE_NOT_SATISFIABLE if total == Some(written) && written > 0 => break,
                StatusCode::NOT_FOUND => return Err(not_found(&shown, req.expires_at)),
                _ => return Err(api_error(&format!("GET {shown}"), resp).await),
            }
            if let Some(t) = total.filter(|t| *t > cap) {
                return Err(too_big(&shown, t, cap));
            }
            if out.is_none() {
                let ctype = resp
                    .headers()
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok());
                let target = target_for(ctype);
                let file = AtomicOutput::new(&target)?;
                let writer = Writer::start(file.path())?;
                out = Some((file, writer));
            }
            let writer = &mut out.as_mut().expect("set above").1;
            bar.set_total(total.unwrap_or(0));
            let mut body = resp.bytes_stream();
            let mut broke: Option<String> = None;
            while let Some(chunk) = body.next().await {
                match chunk {
                    Ok(data) => {
                        written += data.len() as u64;
                        if written > cap {
                            return Err(too_big(&shown, written, cap));
                        }
                        writer.send(Chunk::Data(data)).await?;
                        bar.set_done(written);
                    }
                    Err(e) => {
                        broke = Some(describe(&e));
                        break;
                    }
                }
            }
            match total {
                Some(t) if written > t => {
                    return Err(Error::Remote(format!(
                        "{shown}: server sent {written} bytes, announced {t}"
                    )))
                }
                Some(t) if written == t => break,
                None if broke.is_none() => break,
                _ => {}
            }
            breaks += 1;
            let why = broke.unwrap_or_else(|| "body ended early".into());
            if breaks > self.config().retries {
                return Err(Error::Remote(format!(
                    "{shown}: download broke off {breaks} times, last at byte {written} of {}: {why}",
                    total.map(|t| t.to_string()).unwrap_or_else(|| "?".into())
                )));
            }
            self.log(format_args!("{shown}: {why} at byte {written}; resuming"));
            tokio::time::sleep(Duration::from_millis(100 * u64::from(breaks))).await;
        }
        let transfer = started.elapsed();
        let (file, writer) = out.expect("a successful answer opened the output");
        let (bytes, sha256) = writer.finish().await?;
        let target = file.target().to_path_buf();
        if bytes != written || total.is_some_and(|t| t != bytes) {
            return Err(Error::bad_input(
                &target,
                format!("download length {bytes} differs from the announced {total:?}"),
            ));
        }
        let temp = file.path().to_path_buf();
        let variant = req.variant;
        tokio::task::spawn_blocking(move || verify_media(&temp, variant))
            .await
            .map_err(|e| Error::Remote(format!("media check failed: {e}")))?
            .map_err(|e| {
                Error::bad_input(
                    &target,
                    format!("downloaded {} is not valid media: {e}", variant.as_str()),
                )
            })?;
        let path = file.commit()?;
        Ok(Downloaded {
            path,
            bytes,
            sha256,
            transfer,
        })
    }
}

/// Writes and hashes while the network reads: the file and the SHA-256 each have a blocking
/// thread (a chunk is shared, not copied), so neither waits for the other and the last byte
/// written is not held up by hashing the queue behind it.
struct Writer {
    file: Stage<u64>,
    hash: Stage<String>,
    path: PathBuf,
}

impl Writer {
    fn start(path: &Path) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        // Small chunks (TLS records) are gathered; chunks of 256 KiB or more (hyper reads up to
        // ~400 KiB at a time on a fast link) go straight to the file, uncopied.
        let file = FileSink {
            w: std::io::BufWriter::with_capacity(256 << 10, file),
            n: 0,
        };
        Ok(Self {
            file: Stage::start(file),
            hash: Stage::start(HashSink(Sha256::new())),
            path: path.to_path_buf(),
        })
    }

    /// Queue a chunk for both threads; when one has stopped, its error.
    async fn send(&mut self, chunk: Chunk) -> Result<()> {
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
    async fn finish(mut self) -> Result<(u64, String)> {
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
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Chunk>(64);
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

/// The bytes must be what `variant` promises, checked from headers and tables in pure Rust (no
/// FFmpeg, milliseconds even for large files). A video: an MP4 whose `moov` parses, with a
/// video track, whose top-level boxes are all complete and whose every track's samples lie
/// inside the file (a cut-short file fails here). An image: a picture whose header gives its
/// size.
fn verify_media(path: &Path, variant: Variant) -> Result<()> {
    if variant != Variant::Video {
        return image_size(path).map(|_| ());
    }
    let layout = crate::mp4::read_layout(path).map_err(|e| Error::io(path, e))?;
    let Some(layout) = layout else {
        return Err(Error::bad_input(path, not_mp4(path)?));
    };
    if layout.track("vide").is_none() {
        return Err(Error::bad_input(
            path,
            "no picture in it: an MP4 without a video track",
        ));
    }
    let last = layout.boxes.last().expect("a layout has its moov box");
    if let Some(size) = declared_box_size(path, last.offset).map_err(|e| Error::io(path, e))? {
        if size != last.size {
            return Err(Error::bad_input(
                path,
                format!("truncated MP4: its last box ({}) is cut short", last.kind),
            ));
        }
    }
    let len = last.offset + last.size;
    for t in &layout.tracks {
        match t.data_end {
            None => {
                return Err(Error::bad_input(
                    path,
                    format!("the {} track's sample tables are unreadable", t.handler),
                ))
            }
            Some(end) if end > len => {
                return Err(Error::bad_input(
                    path,
                    format!(
                        "truncated MP4: the {} track's samples run to byte {end}, past its end \
                         ({len} bytes)",
                        t.handler
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Why a file without an MP4 layout is not one, from its first bytes.
fn not_mp4(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut head = Vec::with_capacity(16);
    std::fs::File::open(path)
        .and_then(|f| f.take(16).read_to_end(&mut head))
        .map_err(|e| Error::io(path, e))?;
    let audio = match head.as_slice() {
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'A', b'V', b'E', ..] => Some("WAV"),
        [b'f', b'L', b'a', b'C', ..] => Some("FLAC"),
        [b'O', b'g', b'g', b'S', ..] => Some("Ogg"),
        [b'I', b'D', b'3', ..] => Some("MP3"),
        [0xff, b, ..] if b & 0xe0 == 0xe0 => Some("MPEG audio (MP3 or AAC)"),
        _ => None,
    };
    Ok(match audio {
        Some(kind) => format!("no picture in it: a {kind} audio file, not an MP4"),
        None if head.get(4..8) == Some(b"ftyp") => {
            "truncated or unfinished MP4: no moov box (the download or render was cut short)".into()
        }
        None if head.is_empty() => "empty file, not an MP4".into(),
        None => match imagesize::image_type(&head) {
            Ok(image) => format!("a {image:?} image, not an MP4"),
            Err(_) => "not an MP4 (no ISO-BMFF boxes)".into(),
        },
    })
}

/// Width and height of the image at `path`, read from its header (PNG, JPEG, WebP, GIF, BMP,
/// TIFF, HEIF/AVIF).
pub(crate) fn image_size(path: &Path) -> Result<(u32, u32)> {
    match imagesize::size(path) {
        Ok(s) => Ok((s.width as u32, s.height as u32)),
        Err(imagesize::ImageError::IoError(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(Error::bad_input(path, "no such file"))
        }
        Err(imagesize::ImageError::IoError(e)) if e.kind() != std::io::ErrorKind::UnexpectedEof => {
            Err(Error::io(path, e))
        }
        Err(_) => Err(Error::bad_input(
            path,
            "not an image (PNG, JPEG, WebP, GIF, BMP, TIFF, HEIF/AVIF) whose size can be read",
        )),
    }
}

/// The size the box header at `offset` declares (`None` for "to the end of the file").
fn declared_box_size(path: &Path, offset: u64) -> std::io::Result<Option<u64>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    f.seek(std::io::SeekFrom::Start(offset))?;
    let mut h = [0u8; 16];
    f.read_exact(&mut h[..8])?;
    let size = u64::from(u32::from_be_bytes([h[0], h[1], h[2], h[3]]));
    Ok(match size {
        0 => None,
        1 => {
            f.read_exact(&mut h[8..])?;
            Some(u64::from_be_bytes(h[8..].try_into().expect("8 bytes")))
        }
        s => Some(s),
    })
}

/// `bytes START-END/TOTAL` -> (START, TOTAL when known).
fn content_range(headers: &HeaderMap) -> Option<(u64, Option<u64>)> {
    let v = headers
        .get(CONTENT_RANGE)?
        .to_str()
        .ok()?
        .strip_prefix("bytes ")?;
    let (range, total) = v.split_once('/')?;
    let start = range.split_once('-')?.0.trim().parse().ok()?;
    Some((start, total.trim().parse().ok()))
}

fn too_big(shown: &str, bytes: u64, cap: u64) -> Error {
    Error::Remote(format!(
        "{shown}: {bytes} bytes is over the download cap of {cap} bytes (raise --max-download)"
    ))
}

/// The 404 of a content download: an expired link when `expires_at` has passed.
fn not_found(shown: &str, expires_at: Option<i64>) -> Error {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    match expires_at {
        Some(t) if t <= now => Error::Remote(format!(
            "{shown}: {}; providers keep renders only for a limited time, so render the shot \
             again (or remix it)",
            expired_since(t, now)
        )),
        _ => Error::Remote(format!(
            "{shown}: HTTP 404: not found (deleted, or never rendered)"
        )),
    }
}

/// `the download expired at DATE (N s ago)`.
pub(crate) fn expired_since(t: i64, now: i64) -> String {
    let ago = now - t;
    let ago = if ago < 120 {
        format!("{ago} s")
    } else {
        format!("{} min", ago / 60)
    };
    format!(
        "the download expired at {} ({ago} ago)",
        httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(t.max(0) as u64))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_content_range() {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_RANGE, HeaderValue::from_static("bytes 100-199/200"));
        assert_eq!(content_range(&h), Some((100, Some(200))));
        h.insert(CONTENT_RANGE, HeaderValue::from_static("bytes 5-9/*"));
        assert_eq!(content_range(&h), Some((5, None)));
        h.insert(CONTENT_RANGE, HeaderValue::from_static("items 1-2/3"));
        assert_eq!(content_range(&h), None);
    }

    #[test]
    fn media_check_catches_cut_files() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let good = fixtures.join("marker_portrait_30.mp4");
        verify_media(&good, Variant::Video).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cut = dir.path().join("cut.mp4");
        let bytes = std::fs::read(&good).unwrap();
        std::fs::write(&cut, &bytes[..bytes.len() - 1000]).unwrap();
        let e = verify_media(&cut, Variant::Video).unwrap_err().to_string();
        assert!(e.contains("truncated MP4"), "{e}");
        assert!(verify_media(&fixtures.join("truncated.mp4"), Variant::Video).is_err());
        assert!(verify_media(&fixtures.join("not_media.mp4"), Variant::Video).is_err());
        let e = verify_media(&fixtures.join("music.wav"), Variant::Video).unwrap_err();
        assert!(e.to_string().contains("no picture"), "{e}");
    }

    #[test]
    fn media_check_reads_sample_tables_and_image_headers() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let bytes = std::fs::read(fixtures.join("marker_portrait_30.mp4")).unwrap();
        let layout = crate::mp4::read_layout(&fixtures.join("marker_portrait_30.mp4"))
            .unwrap()
            .unwrap();
        let mdat = layout.boxes.iter().find(|b| b.kind == "mdat").unwrap();
        assert_eq!(
            mdat.offset + mdat.size,
            bytes.len() as u64,
            "mdat comes last"
        );
        // Cut the sample data short but make the mdat header agree: every box is complete,
        // only the sample tables show the file is cut.
        let mut cut = bytes[..bytes.len() - 1000].to_vec();
        let size = u32::try_from(mdat.size - 1000).unwrap().to_be_bytes();
        cut[mdat.offset as usize..mdat.offset as usize + 4].copy_from_slice(&size);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.mp4");
        std::fs::write(&path, &cut).unwrap();
        let e = verify_media(&path, Variant::Video).unwrap_err().to_string();
        assert!(e.contains("samples run to byte"), "{e}");

        let png = dir.path().join("still.png");
        let mut enc = png::Encoder::new(std::fs::File::create(&png).unwrap(), 32, 18);
        enc.set_color(png::ColorType::Grayscale);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&[128; 32 * 18]).unwrap();
        w.finish().unwrap();
        verify_media(&png, Variant::Thumbnail).unwrap();
        assert_eq!(image_size(&png).unwrap(), (32, 18));
        let e = verify_media(&png, Variant::Video).unwrap_err().to_string();
        assert!(e.contains("Png image, not an MP4"), "{e}");
        let e = verify_media(&fixtures.join("music.wav"), Variant::Spritesheet).unwrap_err();
        assert!(e.to_string().contains("not an image"), "{e}");
        let e = image_size(&dir.path().join("missing.png")).unwrap_err();
        assert!(e.to_string().contains("no such file"), "{e}");
    }

    #[test]
    fn expired_is_named() {
        let e = not_found("u", Some(1_000)).to_string();
        assert!(e.contains("expired"), "{e}");
        let e = not_found("u", None).to_string();
        assert!(e.contains("404") && !e.contains("expired"), "{e}");
    }
}
