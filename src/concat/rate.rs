//! The cut's frame rate on the normalise path: by default the rate most of the cut's time is
//! at, and what showing a clip at another rate does to its frames.

use cutroom_ffi::Rational;
use std::cmp::Ordering;

/// `a` against `b` as numbers (`30/1` equals `60/2`).
fn compare(a: Rational, b: Rational) -> Ordering {
    let side = |x: Rational, y: Rational| i64::from(x.num) * i64::from(y.den);
    side(a, b).cmp(&side(b, a))
}

/// The rate at which most of the cut's time plays, of `clips` (each clip's own rate and its
/// played length, in any one unit), the higher rate on a tie (its frames are repeated, never
/// dropped, by the other clips); `None` without clips.
pub fn most_played(clips: impl IntoIterator<Item = (Rational, i64)>) -> Option<Rational> {
    let mut by_rate: Vec<(Rational, i64)> = Vec::new();
    for (own, played) in clips {
        match by_rate.iter_mut().find(|(r, _)| compare(*r, own).is_eq()) {
            Some((_, total)) => *total += played,
            None => by_rate.push((own, played)),
        }
    }
    by_rate
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(compare(a.0, b.0)))
        .map(|(r, _)| r)
}

/// A rate as an editor reads it: `30`, `29.97`.
fn fps(r: Rational) -> String {
    match r.den {
        1 => r.num.to_string(),
        _ => format!("{:.3}", r.as_f64())
            .trim_end_matches('0')
            .to_string(),
    }
}

/// `diff / whole` (below 1) as `p` in `q` an editor reads at once: exact when small (`1` in
/// `5`, `1` in `1000`), else `about ` the nearest with `q` up to 10 (29.97 fps to 24 drops 249
/// frames in 1250: about 1 in 5).
fn share(diff: i64, whole: i64) -> (&'static str, i64, i64) {
    let g = gcd(diff, whole);
    let (p, q) = (diff / g, whole / g);
    if p <= 9 && q <= 1000 {
        return ("", p, q);
    }
    let f = diff as f64 / whole as f64;
    let near = |q: i64| ((f * q as f64).round() as i64).clamp(1, q - 1);
    let q = (2..=10)
        .min_by(|&a, &b| {
            let off = |q: i64| (near(q) as f64 / q as f64 - f).abs();
            off(a).total_cmp(&off(b))
        })
        .expect("ten candidates");
    ("about ", near(q), q)
}

/// What a viewer sees of a clip at `own` fps shown at the cut's `rate` (`None` when they are
/// the same, or its rate is unknown): the share of its frames dropped, or of the cut's frames
/// that repeat the one before, and its judder.
pub fn conversion(own: Rational, rate: Rational) -> Option<String> {
    if own.is_unknown() || compare(own, rate).is_eq() {
        return None;
    }
    let n = |r: Rational, d: Rational| i64::from(r.num) * i64::from(d.den);
    let faster = compare(own, rate) == Ordering::Greater;
    // Dropped: (own - rate) / own of its frames; repeated: (rate - own) / rate of the cut's.
    let (diff, whole) = match faster {
        true => (n(own, rate) - n(rate, own), n(own, rate)),
        false => (n(rate, own) - n(own, rate), n(rate, own)),
    };
    let (about, p, q) = share(diff, whole);
    let what = match faster {
        true => format!(
            "{about}{p} of its frames in {q} {} dropped",
            if p == 1 { "is" } else { "are" }
        ),
        false => format!(
            "{about}{p} frame{} in {q} repeat{} the one before",
            if p == 1 { "" } else { "s" },
            if p == 1 { "s" } else { "" }
        ),
    };
    Some(format!(
        "its {} fps picture plays at the cut's {} fps: {what}, so its motion judders",
        fps(own),
        fps(rate)
    ))
}

/// The greatest common divisor of `a` and `b`.
pub(super) fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_exact_when_small_else_about_the_nearest_in_ten() {
        // 30 to 24 fps: 6 of 30 dropped; 30000/1001 to 30: 30 of 30000 repeated.
        assert_eq!(share(6, 30), ("", 1, 5));
        assert_eq!(share(30, 30000), ("", 1, 1000));
        // 30000/1001 to 24: 5976 of 30000; 60000/1001 to 24: 35976 of 60000.
        assert_eq!(share(5976, 30000), ("about ", 1, 5));
        assert_eq!(share(35976, 60000), ("about ", 3, 5));
        assert_eq!(share(239, 240), ("about ", 9, 10));
    }
}
