//! Waiting between attempts: exponential backoff with jitter, and the server's own hints
//! (`retry-after-ms`, `Retry-After`, `openai-poll-after-ms`).

use reqwest::header::HeaderMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// The longest server hint waited out: a request told to wait longer is not tried again.
pub const MAX_HINT: Duration = Duration::from_secs(300);

/// Exponential backoff: `initial`, then doubling up to `max`, each delay jittered.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    /// Delays starting at `initial`, doubling, capped at `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            attempt: 0,
        }
    }

    /// The next delay. Without a hint: the exponential step with "equal jitter" (half fixed,
    /// half random), so parallel clients spread out. With a server hint: at least the hint, plus
    /// up to a quarter more so clients told the same instant do not return together.
    pub fn next_delay(&mut self, hint: Option<Duration>) -> Duration {
        let step = self
            .initial
            .saturating_mul(1u32 << self.attempt.min(16))
            .min(self.max);
        self.attempt += 1;
        match hint {
            Some(h) => {
                let h = h.min(MAX_HINT);
                h + h.mul_f64(fastrand::f64() * 0.25)
            }
            None => step / 2 + step.mul_f64(fastrand::f64() * 0.5),
        }
    }

    /// Start over (after progress).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// The waits before retries of a run, added up as time on the clock (waits of parallel
/// requests that overlap count once), and held to a cap: short waits (a rate limit's second
/// or two, request after request) add up to minutes.
#[derive(Debug)]
pub struct Waits {
    cap: Duration,
    /// The total so far, when the last wait counted ends, and whether the cap was reached.
    state: Mutex<(Duration, Option<Instant>, bool)>,
}

impl Waits {
    /// Waits held to `cap` in all.
    pub fn new(cap: Duration) -> Self {
        Self {
            cap,
            state: Mutex::default(),
        }
    }

    /// The cap.
    pub fn cap(&self) -> Duration {
        self.cap
    }

    /// Count a wait of `wait` from `now`: the run's total with it, or `None` (and from then on
    /// always `None`) when it would take the total past the cap.
    pub fn take(&self, now: Instant, wait: Duration) -> Option<Duration> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (total, until, over) = &mut *state;
        let end = now + wait;
        let start = until.map_or(now, |u| u.max(now));
        let added = end.saturating_duration_since(start);
        if *over || *total + added > self.cap {
            *over = true;
            return None;
        }
        *total += added;
        *until = Some(until.map_or(end, |u| u.max(end)));
        Some(*total)
    }
}

/// `d` in words for a message: `90 s`, `20 min`, `24 h`.
pub fn span(d: Duration) -> String {
    match d.as_secs() {
        s if s < 120 => format!("{:.0} s", d.as_secs_f64()),
        s if s < 2 * 3600 => format!("{} min", s / 60),
        s => format!("{} h", s / 3600),
    }
}

/// `secs` (finite, not negative) as a [`Duration`]; beyond what one holds, the longest (a hint
/// is capped anyway).
fn seconds(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
}

/// How long the server asks the client to wait: `retry-after-ms`, then `Retry-After` (seconds
/// or an HTTP date), then `openai-poll-after-ms`.
pub fn server_hint(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let millis = |name: &str| {
        text(name)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|ms| ms.is_finite() && *ms >= 0.0)
            .map(|ms| seconds(ms / 1000.0))
    };
    if let Some(d) = millis("retry-after-ms") {
        return Some(d);
    }
    if let Some(v) = text("retry-after") {
        if let Ok(secs) = v.parse::<f64>() {
            if secs.is_finite() && secs >= 0.0 {
                return Some(seconds(secs));
            }
        }
        // A date already past (the server's clock behind ours) gives no wait to honour: the
        // usual backoff step applies, not back-to-back retries.
        if let Some(wait) = httpdate::parse_http_date(v)
            .ok()
            .and_then(|at| at.duration_since(SystemTime::now()).ok())
        {
            return Some(wait);
        }
    }
    millis("openai-poll-after-ms")
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn delays_grow_with_jitter_and_cap() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(800));
        let d: Vec<Duration> = (0..6).map(|_| b.next_delay(None)).collect();
        for (i, d) in d.iter().enumerate() {
            let step = Duration::from_millis(100 << i.min(3));
            assert!(*d >= step / 2 && *d <= step, "delay {i}: {d:?}");
        }
        b.reset();
        assert!(b.next_delay(None) <= Duration::from_millis(100));
        let h = b.next_delay(Some(Duration::from_secs(2)));
        assert!(h >= Duration::from_secs(2) && h <= Duration::from_millis(2500));
    }

    #[test]
    fn hints_in_order_of_precision() {
        let mut h = HeaderMap::new();
        assert_eq!(server_hint(&h), None);
        h.insert("openai-poll-after-ms", HeaderValue::from_static("250"));
        assert_eq!(server_hint(&h), Some(Duration::from_millis(250)));
        h.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(server_hint(&h), Some(Duration::from_secs(3)));
        h.insert("retry-after-ms", HeaderValue::from_static("1500"));
        assert_eq!(server_hint(&h), Some(Duration::from_millis(1500)));
        let mut d = HeaderMap::new();
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        d.insert("retry-after", HeaderValue::from_str(&later).unwrap());
        let got = server_hint(&d).unwrap();
        assert!(
            got > Duration::from_secs(28) && got <= Duration::from_secs(30),
            "{got:?}"
        );
    }

    /// A `Retry-After` date already past (clock skew) is no hint: the backoff's own step is
    /// waited, where a zero hint made the retries follow each other back to back.
    #[test]
    fn a_past_date_is_no_hint() {
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"),
        );
        assert_eq!(server_hint(&h), None);
        let mut b = Backoff::new(Duration::from_millis(400), Duration::from_secs(8));
        assert!(b.next_delay(server_hint(&h)) >= Duration::from_millis(200));
    }

    /// Waits are added as time on the clock: overlapping ones count once, and once one would
    /// pass the cap, none is taken any more.
    #[test]
    fn waits_add_up_on_the_clock_to_a_cap() {
        let waits = Waits::new(Duration::from_secs(10));
        let t0 = Instant::now();
        let s = Duration::from_secs;
        assert_eq!(waits.take(t0, s(2)), Some(s(2)));
        // A parallel request's wait over the same seconds adds only what goes past them.
        assert_eq!(waits.take(t0 + s(1), s(2)), Some(s(3)));
        assert_eq!(waits.take(t0 + s(1), s(1)), Some(s(3)));
        // Later, apart: added whole.
        assert_eq!(waits.take(t0 + s(5), s(4)), Some(s(7)));
        assert_eq!(waits.take(t0 + s(20), s(4)), None);
        assert_eq!(waits.take(t0 + s(30), Duration::ZERO), None);
        assert_eq!(waits.cap(), s(10));
    }

    /// A hint too long for a `Duration` (`Retry-After: 1e20`, as a broken or hostile server
    /// may send) is the longest wait, capped like any hint, never a panic.
    #[test]
    fn a_huge_hint_is_capped_not_a_crash() {
        for (name, value) in [
            ("retry-after", "1e20"),
            ("retry-after", "99999999999999999999999"),
            ("retry-after-ms", "1e300"),
            ("openai-poll-after-ms", "1e40"),
        ] {
            let mut h = HeaderMap::new();
            h.insert(name, HeaderValue::from_static(value));
            let hint = server_hint(&h);
            assert!(
                hint.is_some_and(|d| d >= MAX_HINT),
                "{name}: {value}: {hint:?}"
            );
            let wait =
                Backoff::new(Duration::from_millis(1), Duration::from_secs(1)).next_delay(hint);
            assert!(wait <= MAX_HINT.mul_f64(1.25), "{name}: {value}: {wait:?}");
        }
    }
}
