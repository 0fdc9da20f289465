//! Humane byte sizes (`512MiB`, `1G`, `64m`) for specs and flags, serialized as strings. As in
//! Docker, every unit is binary: `k`, `kb` and `kib` all mean 1024 bytes.

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};
use std::fmt;

const UNITS: [(&str, u64); 5] = [
    ("", 1),
    ("k", 1 << 10),
    ("m", 1 << 20),
    ("g", 1 << 30),
    ("t", 1 << 40),
];

/// Parses `512MiB`, `1G`, `1.5gb`, `64m`, `100` (bytes).
pub fn parse(raw: &str) -> Result<u64, String> {
    let s = raw.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let invalid =
        || format!("invalid size {raw:?}: expected a number and a unit like 512MiB or 1G");
    let unit = unit.trim().to_ascii_lowercase();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b'))
        .unwrap_or(&unit);
    let factor = UNITS
        .iter()
        .find(|(u, _)| *u == unit)
        .map(|(_, f)| *f)
        .ok_or_else(invalid)?;
    if number.is_empty() {
        return Err(invalid());
    }
    if let Ok(n) = number.parse::<u64>() {
        return n
            .checked_mul(factor)
            .ok_or_else(|| format!("size {raw:?} is too large"));
    }
    let f: f64 = number.parse().map_err(|_| invalid())?;
    let bytes = f * factor as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(format!("size {raw:?} is too large"));
    }
    Ok(bytes.round() as u64)
}

/// The largest unit that divides `bytes` exactly: `512MiB`, `1GiB`, `1000B`; `0` for zero.
pub fn format(bytes: u64) -> String {
    if bytes == 0 {
        return "0".into();
    }
    for (unit, factor) in UNITS.iter().rev() {
        if *factor > 1 && bytes.is_multiple_of(*factor) {
            return format!("{}{}iB", bytes / factor, unit.to_ascii_uppercase());
        }
    }
    format!("{bytes}B")
}

/// `#[serde(with = "shoal_api::size::serde_humane")]`: written as `512MiB`, read from such a
/// string or from a number of bytes.
pub mod serde_humane {
    use super::*;

    pub fn serialize<S: Serializer>(b: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*b))
    }

    /// From `"512MiB"` or a number of bytes; a visitor, as for durations, so errors keep
    /// their position.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        struct Humane;
        impl<'de> Visitor<'de> for Humane {
            type Value = u64;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size like 512MiB, or a number of bytes")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
                parse(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<u64, E> {
                Ok(n)
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<u64, E> {
                u64::try_from(n).map_err(|_| E::invalid_value(de::Unexpected::Signed(n), &self))
            }
        }
        d.deserialize_any(Humane)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_binary_units_like_docker() {
        assert_eq!(parse("512MiB"), Ok(512 << 20));
        assert_eq!(parse("512m"), Ok(512 << 20));
        assert_eq!(parse("1G"), Ok(1 << 30));
        assert_eq!(parse("1gb"), Ok(1 << 30));
        assert_eq!(parse("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse("64k"), Ok(64 << 10));
        assert_eq!(parse("100"), Ok(100));
        assert_eq!(parse("100B"), Ok(100));
        assert_eq!(parse(" 2 TiB "), Ok(2 << 40));
    }

    #[test]
    fn refuses_what_is_not_a_size() {
        for bad in ["", "MiB", "ten", "5x", "1.2.3G", "-1G", "1 PB"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert!(parse("99999999999T").unwrap_err().contains("too large"));
    }

    #[derive(serde::Deserialize, Debug)]
    struct Holder {
        #[serde(with = "serde_humane")]
        b: u64,
    }

    #[test]
    fn reads_text_or_bytes() {
        let read = |json: &str| serde_json::from_str::<Holder>(json).map(|h| h.b);
        assert_eq!(read(r#"{"b":"64MiB"}"#).unwrap(), 64 << 20);
        assert_eq!(read(r#"{"b":100}"#).unwrap(), 100);
        assert!(read(r#"{"b":-5}"#).is_err());
        let e = read(r#"{"b":true}"#).unwrap_err().to_string();
        assert!(e.contains("expected a size like 512MiB"), "{e}");
    }

    #[test]
    fn formats_with_the_largest_exact_unit_and_round_trips() {
        for (bytes, text) in [
            (512u64 << 20, "512MiB"),
            (1 << 30, "1GiB"),
            (3 << 29, "1536MiB"),
            (1000, "1000B"),
            (0, "0"),
        ] {
            assert_eq!(format(bytes), text);
            assert_eq!(parse(text), Ok(bytes));
        }
    }
}
