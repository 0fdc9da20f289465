//! The `-o table|json|yaml` choice and the small text helpers every view shares. JSON and YAML
//! show objects exactly as shoald returned them; tables are each command's own rendering.

use anyhow::{Context, Result};
use clap::ValueEnum;
use serde::Serialize;
use serde_json::Value;
use shoal_client::json::OrderedJson;
use std::io::{ErrorKind, Write};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable tables and summaries
    #[default]
    Table,
    /// The server's objects as pretty JSON
    Json,
    /// The server's objects as YAML
    Yaml,
}

/// The machine-readable formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Structured {
    Json,
    Yaml,
}

impl Format {
    /// `Some` when the user asked for JSON or YAML rather than a table.
    pub fn structured(self) -> Option<Structured> {
        match self {
            Format::Table => None,
            Format::Json => Some(Structured::Json),
            Format::Yaml => Some(Structured::Yaml),
        }
    }
}

impl Structured {
    pub fn render(self, value: &OrderedJson) -> Result<String> {
        match self {
            Structured::Json => value.pretty().context("cannot print JSON"),
            Structured::Yaml => value.yaml().context("cannot print YAML"),
        }
    }
}

/// Writes `text` to stdout, ending it with a newline. A closed pipe (`shoalctl ... | head`) is
/// not an error worth a panic.
pub fn print_out(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let result = out
        .write_all(text.as_bytes())
        .and_then(|_| {
            if text.ends_with('\n') {
                Ok(())
            } else {
                out.write_all(b"\n")
            }
        })
        .and_then(|_| out.flush());
    match result {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => Err(e).context("cannot write to stdout"),
        _ => Ok(()),
    }
}

/// Prints `value` in the structured format, or the table `render` makes.
pub fn print_as(
    format: Format,
    value: &OrderedJson,
    render: impl FnOnce() -> Result<String>,
) -> Result<()> {
    match format.structured() {
        Some(s) => print_out(&s.render(value)?),
        None => print_out(&render()?),
    }
}

/// The wire name of a unit enum (`running`, `stop-first`, `rollback_started`).
pub fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// `running` -> `Running`.
pub fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `About a minute ago` -> `about a minute ago`, to follow another word.
pub fn decapitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The first 12 characters of an id, as tables show them.
pub fn short_id(id: &str) -> &str {
    match id.char_indices().nth(12) {
        Some((i, _)) => &id[..i],
        None => id,
    }
}

/// One line of at most `max` characters, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    let line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `1.5 GiB`, `512.0 MiB`: binary units with one decimal.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `k=v` pairs of a map, comma separated.
pub fn join_pairs<'a>(pairs: impl IntoIterator<Item = (&'a String, &'a String)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes one line to stdout (or stderr); `false` once the reader has gone.
pub fn write_line(to_stderr: bool, text: &str) -> Result<bool> {
    let result = if to_stderr {
        let mut err = std::io::stderr().lock();
        writeln!(err, "{text}").and_then(|_| err.flush())
    } else {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}").and_then(|_| out.flush())
    };
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e).context("cannot write the output"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::{TaskState, UpdateOrder, UpdateState};

    #[test]
    fn text_helpers() {
        assert_eq!(capitalize("running"), "Running");
        assert_eq!(decapitalize("About a minute ago"), "about a minute ago");
        assert_eq!(short_id("abcdefghijklmnopqrstuvwxy"), "abcdefghijkl");
        assert_eq!(short_id("abc"), "abc");
        assert_eq!(truncate("short", 40), "short");
        assert_eq!(truncate("a\nb", 40), "a b");
        assert_eq!(truncate("0123456789", 5), "0123…");
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(3 << 29), "1.5 GiB");
    }

    #[test]
    fn wire_names_match_the_json() {
        assert_eq!(wire_name(&TaskState::Running), "running");
        assert_eq!(wire_name(&UpdateOrder::StartFirst), "start-first");
        assert_eq!(wire_name(&UpdateState::RollbackStarted), "rollback_started");
    }

    #[test]
    fn structured_output_keeps_the_servers_fields() {
        let v = OrderedJson::parse(r#"{"id": "x", "unknown_to_us": [1, 2]}"#).unwrap();
        let json = Structured::Json.render(&v).unwrap();
        assert!(json.contains("\"unknown_to_us\": ["), "{json}");
        let yaml = Structured::Yaml.render(&v).unwrap();
        assert!(yaml.contains("id: x"), "{yaml}");
        assert!(yaml.contains("unknown_to_us:"), "{yaml}");
    }
}
