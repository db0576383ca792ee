//! Serving bytes as a CDN does: one `Range`, `Content-Range`, and cut downloads when asked.

use super::state::Emulator;
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Serve `bytes` honouring a `Range: bytes=START-[END]` request, with a strong `ETag`; a
/// `Range` whose `If-Range` names another validator gets the whole file (RFC 9110 13.1.5).
/// With `--drop-downloads` a request without `Range` is cut after half its bytes (the
/// connection is aborted), so only a client that resumes gets the whole file; with
/// `--stall-downloads` it then goes silent, with `--trickle-downloads` it then sends a byte
/// every 0.5 s.
pub(super) fn serve_bytes(
    emu: &Emulator,
    bytes: Bytes,
    ctype: &str,
    headers: &HeaderMap,
) -> Response {
    let len = bytes.len() as u64;
    // The clips live as long as the emulator and never change: where they are names them.
    let etag = format!("\"{:x}-{len:x}\"", bytes.as_ptr() as usize);
    let same = |v: &HeaderValue| v.to_str().is_ok_and(|v| v.trim() == etag);
    let range = headers
        .get(header::RANGE)
        .filter(|_| headers.get(header::IF_RANGE).is_none_or(same))
        .and_then(|v| v.to_str().ok())
        .and_then(parse_range);
    let (status, start, end) = match range {
        None => (StatusCode::OK, 0, len),
        Some((s, _)) if s >= len => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            r.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{len}")).expect("ascii"),
            );
            return r;
        }
        Some((s, e)) => (
            StatusCode::PARTIAL_CONTENT,
            s,
            e.map_or(len, |e| (e + 1).min(len)),
        ),
    };
    let part = bytes.slice(start as usize..end as usize);
    let o = &emu.opts;
    let cut = o.drop_downloads || o.stall_downloads || o.trickle_downloads;
    let body = if cut && range.is_none() && part.len() > 1 {
        emu.stats.dropped_downloads.fetch_add(1, Ordering::Relaxed);
        let (half, rest) = (part.slice(..part.len() / 2), part.slice(part.len() / 2..));
        let served = Arc::clone(&emu.stats.bytes_served);
        served.fetch_add(half.len() as u64, Ordering::Relaxed);
        let head = futures_util::stream::iter([Ok(half)]);
        if o.trickle_downloads {
            // The rest at one byte every 0.5 s: never silent for long, never done.
            let tail = futures_util::stream::unfold(rest, move |rest| {
                let served = Arc::clone(&served);
                async move {
                    if rest.is_empty() {
                        return None;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    served.fetch_add(1, Ordering::Relaxed);
                    Some((Ok::<_, std::io::Error>(rest.slice(..1)), rest.slice(1..)))
                }
            });
            Body::from_stream(head.chain(tail))
        } else {
            // Let the first half reach the socket before the connection is aborted; a stall
            // sends nothing more until the client gives up.
            let stall = o.stall_downloads;
            let cut = futures_util::stream::once(async move {
                match stall {
                    true => std::future::pending::<()>().await,
                    false => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
                }
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "dropped by --drop-downloads",
                ))
            });
            Body::from_stream(head.chain(cut))
        }
    } else {
        let served = part.len() as u64;
        emu.stats.bytes_served.fetch_add(served, Ordering::Relaxed);
        Body::from(part)
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(ctype).expect("ascii"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::ETAG, HeaderValue::from_str(&etag).expect("ascii"));
    if status == StatusCode::PARTIAL_CONTENT {
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&format!("bytes {start}-{}/{len}", end - 1)).expect("ascii"),
        );
    }
    resp
}

/// `bytes=START-` or `bytes=START-END` (one range; suffix ranges are not served).
fn parse_range(v: &str) -> Option<(u64, Option<u64>)> {
    let (s, e) = v.strip_prefix("bytes=")?.split_once('-')?;
    let start = s.trim().parse().ok()?;
    let end = match e.trim() {
        "" => None,
        e => Some(e.parse().ok()?),
    };
    Some((start, end)).filter(|(s, e)| e.is_none_or(|e| e >= *s))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=10-"), Some((10, None)));
        assert_eq!(parse_range("bytes=10-19"), Some((10, Some(19))));
        assert_eq!(parse_range("bytes=10-5"), None);
        assert_eq!(parse_range("bytes=-5"), None);
        assert_eq!(parse_range("items=1-2"), None);
    }
}
