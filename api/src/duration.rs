//! Humane durations (`10s`, `1m30s`, `500ms`) for specs and flags, serialized as strings.

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};
use std::fmt;
use std::time::Duration;

/// Parses `10s`, `1m30s`, `250ms`; a bare number means seconds.
pub fn parse(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(s).map_err(|e| format!("invalid duration {s:?}: {e}"))
}

/// Formats like `1m 30s` without spaces (`1m30s`), `0s` for zero, whole days as `90d`
/// (humantime would say `2months29days2h52m48s`).
pub fn format(d: Duration) -> String {
    if d.is_zero() {
        return "0s".into();
    }
    const DAY: u64 = 86_400;
    if d.subsec_nanos() == 0 && d.as_secs().is_multiple_of(DAY) {
        return format!("{}d", d.as_secs() / DAY);
    }
    humantime::format_duration(d).to_string().replace(' ', "")
}

/// `#[serde(with = "shoal_api::duration::serde_humane")]`
pub mod serde_humane {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*d))
    }

    /// From `"1m30s"` or a number of seconds. A visitor rather than an untagged enum, so a
    /// format error keeps the position and field path the deserializer knows (YAML files).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        struct Humane;
        impl<'de> Visitor<'de> for Humane {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration like 10s or 1m30s, or a number of seconds")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
                parse(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Duration, E> {
                Ok(Duration::from_secs(n))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Duration, E> {
                u64::try_from(n)
                    .map(Duration::from_secs)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(n), &self))
            }
        }
        d.deserialize_any(Humane)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_humane_durations() {
        assert_eq!(parse("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse("7").unwrap(), Duration::from_secs(7));
        assert!(parse("ten").is_err());
        assert_eq!(format(Duration::from_secs(90)), "1m30s");
        assert_eq!(format(Duration::ZERO), "0s");
        let ninety_days = Duration::from_secs(90 * 86_400);
        assert_eq!(format(ninety_days), "90d");
        assert_eq!(
            parse("90d").unwrap(),
            ninety_days,
            "what it prints parses back"
        );
        assert_eq!(format(Duration::from_secs(86_400 + 1)), "1day1s");
    }

    #[derive(serde::Deserialize, Debug)]
    struct Holder {
        #[serde(with = "serde_humane")]
        d: Duration,
    }

    #[test]
    fn reads_text_or_seconds_and_names_what_it_expects() {
        let read = |json: &str| serde_json::from_str::<Holder>(json).map(|h| h.d);
        assert_eq!(read(r#"{"d":"1m30s"}"#).unwrap(), Duration::from_secs(90));
        assert_eq!(read(r#"{"d":7}"#).unwrap(), Duration::from_secs(7));
        assert!(read(r#"{"d":-1}"#).is_err());
        let e = read(r#"{"d":1.5}"#).unwrap_err().to_string();
        assert!(e.contains("expected a duration like 10s"), "{e}");
        let e = read(r#"{"d":"5 parsecs"}"#).unwrap_err().to_string();
        assert!(e.contains("parsecs"), "{e}");
    }
}
