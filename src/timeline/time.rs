//! Time values of an edit spec: seconds (`1.5`, `"1.5"`, `"00:01:02.250"`) or a frame number
//! (`"36f"`), kept exact (integer nanoseconds or frames) until they are resolved against a
//! stream's time base.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::fmt;

/// Nanoseconds per second: the unit seconds are kept in.
pub const NANOS: i64 = 1_000_000_000;

/// A point in a shot, as the spec gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSpec {
    /// A time from the shot's first frame, in nanoseconds.
    Nanos(i64),
    /// A frame number from the shot's first frame (0-based).
    Frame(u64),
}

impl schemars::JsonSchema for TimeSpec {
    fn schema_name() -> String {
        "TimeSpec".into()
    }

    fn json_schema(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        use schemars::schema::{InstanceType, Metadata, SchemaObject};
        SchemaObject {
            instance_type: Some(vec![InstanceType::Number, InstanceType::String].into()),
            metadata: Some(Box::new(Metadata {
                description: Some(
                    "Seconds (1.5, \"1.5s\", \"01:02.5\", \"00:01:02.250\") or a frame (\"36f\")"
                        .into(),
                ),
                ..Metadata::default()
            })),
            ..SchemaObject::default()
        }
        .into()
    }
}

impl TimeSpec {
    /// Parse `1.5`, `1.5s`, `90`, `01:02.5`, `00:01:02.250` (seconds) or `36f` (frames).
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(n) = s.strip_suffix('s').filter(|n| !n.contains(':')) {
            return match decimal_nanos(n.trim()) {
                Some(ns) => Ok(Self::Nanos(ns)),
                None => Err(format!("bad time '{s}' (expected seconds like 1.5s)")),
            };
        }
        if let Some(n) = s.strip_suffix('f') {
            return n
                .trim()
                .parse::<u64>()
                .map(Self::Frame)
                .map_err(|_| format!("bad frame count '{s}' (expected e.g. '36f')"));
        }
        let bad = || {
            format!(
                "bad time '{s}' (expected seconds like 1.5, HH:MM:SS.mmm, MM:SS.mmm, or frames like 36f)"
            )
        };
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() > 3 {
            return Err(bad());
        }
        let (fields, secs) = parts.split_at(parts.len() - 1);
        let mut nanos = decimal_nanos(secs[0]).ok_or_else(bad)?;
        if !fields.is_empty() && nanos >= 60 * NANOS {
            return Err(bad());
        }
        for (i, p) in fields.iter().rev().enumerate() {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let v: i64 = p.parse().map_err(|_| bad())?;
            if i == 0 && fields.len() == 2 && v >= 60 {
                return Err(bad()); // minutes under hours
            }
            nanos = v
                .checked_mul(60i64.pow(i as u32 + 1) * NANOS)
                .and_then(|x| x.checked_add(nanos))
                .ok_or_else(bad)?;
        }
        Ok(Self::Nanos(nanos))
    }

    /// Seconds as a number (for messages and reports only, never for arithmetic).
    pub fn describe(&self) -> String {
        match self {
            Self::Nanos(n) => format!("{:.3} s", *n as f64 / NANOS as f64),
            Self::Frame(f) => format!("frame {f}"),
        }
    }
}

/// `"12.345"` as nanoseconds, exactly (at most 9 decimals); `None` if not a plain decimal.
fn decimal_nanos(s: &str) -> Option<i64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || frac.len() > 9 {
        return None;
    }
    let whole: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac_n: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i64>().ok()? * 10i64.pow(9 - frac.len() as u32)
    };
    whole.checked_mul(NANOS)?.checked_add(frac_n)
}

impl fmt::Display for TimeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl<'de> Deserialize<'de> for TimeSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = TimeSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("seconds (1.5), a time string (\"00:00:01.500\") or frames (\"36f\")")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TimeSpec, E> {
                i64::try_from(v)
                    .ok()
                    .and_then(|v| v.checked_mul(NANOS))
                    .map(TimeSpec::Nanos)
                    .ok_or_else(|| E::custom(format!("time {v} s is too large")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TimeSpec, E> {
                if v < 0 {
                    return Err(E::custom(format!("negative time {v}")));
                }
                self.visit_u64(v as u64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<TimeSpec, E> {
                if !(0.0..=1e9).contains(&v) {
                    return Err(E::custom(format!("bad time {v}")));
                }
                Ok(TimeSpec::Nanos((v * NANOS as f64).round() as i64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TimeSpec, E> {
                TimeSpec::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form_exactly() {
        assert_eq!(TimeSpec::parse("1.5"), Ok(TimeSpec::Nanos(1_500_000_000)));
        assert_eq!(TimeSpec::parse("2"), Ok(TimeSpec::Nanos(2 * NANOS)));
        assert_eq!(TimeSpec::parse(".25"), Ok(TimeSpec::Nanos(250_000_000)));
        assert_eq!(
            TimeSpec::parse("00:01:02.250"),
            Ok(TimeSpec::Nanos(62_250_000_000))
        );
        assert_eq!(
            TimeSpec::parse("1:00:00"),
            Ok(TimeSpec::Nanos(3600 * NANOS))
        );
        assert_eq!(
            TimeSpec::parse("01:02.5"),
            Ok(TimeSpec::Nanos(62_500_000_000))
        );
        assert_eq!(TimeSpec::parse("36f"), Ok(TimeSpec::Frame(36)));
        assert_eq!(TimeSpec::parse("3.2s"), Ok(TimeSpec::Nanos(3_200_000_000)));
        assert_eq!(TimeSpec::parse("6s"), Ok(TimeSpec::Nanos(6 * NANOS)));
        assert_eq!(TimeSpec::parse("0.000000001"), Ok(TimeSpec::Nanos(1)));
        for bad in [
            "",
            "-1",
            "1.2.3",
            "abc",
            "1:2:3:4",
            "00:61",
            "f",
            "-3f",
            "1e3",
            "0.1234567891",
            "s",
            "1:2s",
            "-1s",
            "1.5ms",
        ] {
            assert!(TimeSpec::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }
}
