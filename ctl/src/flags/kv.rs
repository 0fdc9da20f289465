//! Parsing `KEY=VALUE` and `KEY` flag values, with errors that name the flag they came from
//! (`--env: expected KEY=VALUE, got "FOO"`), so a typo in a long command line is easy to find.

use anyhow::{Result, bail};
use std::time::Duration;

/// `KEY=VALUE`; the value may be empty and may itself contain `=`.
pub fn parse_pair(flag: &str, raw: &str) -> Result<(String, String)> {
    match raw.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => bail!("{flag}: expected KEY=VALUE, got {raw:?}"),
    }
}

/// A bare `KEY`, as the `--*-rm` flags take.
pub fn parse_key(flag: &str, raw: &str) -> Result<String> {
    if raw.is_empty() || raw.contains('=') {
        bail!("{flag}: expected a KEY, got {raw:?}");
    }
    Ok(raw.to_string())
}

pub fn parse_pairs(flag: &str, raws: &[String]) -> Result<Vec<(String, String)>> {
    raws.iter().map(|r| parse_pair(flag, r)).collect()
}

pub fn parse_keys(flag: &str, raws: &[String]) -> Result<Vec<String>> {
    raws.iter().map(|r| parse_key(flag, r)).collect()
}

/// A humane duration (`10s`, `1m30s`).
pub fn parse_duration(flag: &str, raw: &str) -> Result<Duration> {
    shoal_api::duration::parse(raw).map_err(|e| anyhow::anyhow!("{flag}: {e}"))
}

/// A `--since` flag as Unix seconds: a duration before `now` (`10m`) or an RFC 3339 time.
pub fn parse_since(flag: &str, raw: &str, now: shoal_api::Timestamp) -> Result<u64> {
    let at = match shoal_api::Timestamp::parse_rfc3339(raw.trim()) {
        Ok(t) => t,
        Err(_) => {
            let ago = parse_duration(flag, raw).map_err(|_| {
                anyhow::anyhow!(
                    "{flag}: expected a duration ago (10m, 1h30m) or a time (2026-11-23T10:00:00Z), got {raw:?}"
                )
            })?;
            shoal_api::Timestamp(now.0.saturating_sub(ago.as_millis() as u64))
        }
    };
    Ok(at.0 / 1000)
}

/// An optional duration flag.
pub fn parse_opt_duration(flag: &str, raw: Option<&str>) -> Result<Option<Duration>> {
    raw.map(|r| parse_duration(flag, r)).transpose()
}

/// An optional humane size flag (`512MiB`, `1G`).
pub fn parse_opt_size(flag: &str, raw: Option<&str>) -> Result<Option<u64>> {
    raw.map(|r| shoal_api::size::parse(r).map_err(|e| anyhow::anyhow!("{flag}: {e}")))
        .transpose()
}

/// `spread=node.labels.KEY`: the label spread over.
pub fn parse_spread_pref(flag: &str, raw: &str) -> Result<String> {
    match raw.split_once('=') {
        Some((kind, key)) if kind.trim() == "spread" && !key.trim().is_empty() => {
            Ok(key.trim().to_string())
        }
        _ => bail!("{flag}: expected spread=node.labels.KEY, got {raw:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_split_at_the_first_equals_sign() {
        assert_eq!(
            parse_pair("--env", "A=b=c").unwrap(),
            ("A".to_string(), "b=c".to_string())
        );
        assert_eq!(
            parse_pair("--label", "tier=").unwrap(),
            ("tier".to_string(), String::new())
        );
    }

    #[test]
    fn errors_name_the_flag() {
        assert_eq!(
            parse_pair("--env", "FOO").unwrap_err().to_string(),
            "--env: expected KEY=VALUE, got \"FOO\""
        );
        assert_eq!(
            parse_pairs("--label-add", &["a=1".into(), "=x".into()])
                .unwrap_err()
                .to_string(),
            "--label-add: expected KEY=VALUE, got \"=x\""
        );
        assert_eq!(
            parse_key("--env-rm", "A=1").unwrap_err().to_string(),
            "--env-rm: expected a KEY, got \"A=1\""
        );
        let e = parse_duration("--update-delay", "soon")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("--update-delay: invalid duration \"soon\""),
            "{e}"
        );
    }

    #[test]
    fn sizes_and_spread_preferences_name_their_flag() {
        assert_eq!(
            parse_opt_size("--reserve-memory", Some("512MiB")).unwrap(),
            Some(512 << 20)
        );
        let e = parse_opt_size("--limit-memory", Some("lots")).unwrap_err();
        assert!(
            e.to_string().starts_with("--limit-memory: invalid size"),
            "{e}"
        );
        assert_eq!(
            parse_spread_pref("--placement-pref", "spread=node.labels.zone").unwrap(),
            "node.labels.zone"
        );
        let e = parse_spread_pref("--placement-pref", "node.labels.zone").unwrap_err();
        assert_eq!(
            e.to_string(),
            "--placement-pref: expected spread=node.labels.KEY, got \"node.labels.zone\""
        );
    }

    #[test]
    fn durations_are_humane() {
        assert_eq!(
            parse_opt_duration("--restart-delay", Some("1m30s")).unwrap(),
            Some(Duration::from_secs(90))
        );
        assert_eq!(parse_opt_duration("--restart-delay", None).unwrap(), None);
    }
}
