//! `shoalctl events [--filter KEY=VALUE]... [--since D|TIME]`: follows `GET /v1/events` and
//! prints each change as it happens (first those since then that the manager kept, with
//! `--since`), one human line each (`render::event`), the server's JSON lines with `-o json`,
//! or YAML documents with `-o yaml`. It runs until Ctrl-C, which ends it quietly with
//! status 0 (stopping is how it normally ends), or until its reader goes away.

use crate::Ctx;
use crate::flags::event_filter::EventFilter;
use crate::flags::kv::parse_since;
use crate::render::event::human_line;
use crate::render::output::Format;
use crate::render::output::write_line;
use anyhow::{Result, bail};
use clap::Args;
use shoal_api::Timestamp;
use shoal_api::events::EventLine;
use shoal_client::stream::{Ended, follow};

#[derive(Args, Debug)]
pub struct EventsArgs {
    /// Only matching events: type=service|task|node|cluster, name=NAME (a service's name
    /// also matches its tasks), id=ID-PREFIX; repeat a key for either value
    #[arg(short = 'f', long = "filter", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
    /// Start with the changes since then that the manager kept: a duration ago (10m) or a
    /// time (2026-11-23T10:00:00Z)
    #[arg(long, value_name = "SINCE")]
    pub since: Option<String>,
}

pub async fn run(ctx: &Ctx, args: &EventsArgs) -> Result<()> {
    let filter = EventFilter::parse(&args.filters)?;
    let since = match &args.since {
        Some(raw) => Some(parse_since("--since", raw, Timestamp::now())?.to_string()),
        None => None,
    };
    let mut query: Vec<(&str, &str)> = filter
        .server_type()
        .map(|t| ("type", t.as_str()))
        .into_iter()
        .collect();
    if let Some(since) = &since {
        query.push(("since", since));
    }
    let mut response = ctx.client.open_stream(&["events"], &query).await?;
    let ended = follow(
        &mut response,
        "event stream",
        tokio::signal::ctrl_c(),
        |raw| match render(raw, &filter, ctx.format) {
            Some(text) => write_line(false, &text),
            None => Ok(true),
        },
    )
    .await?;
    if ended == Ended::ByServer {
        bail!("shoald closed the event stream (did the manager stop?)");
    }
    Ok(())
}

/// What to print for one received line, or `None` when the filter drops it. Notices of a gap
/// are always shown.
fn render(raw: &[u8], filter: &EventFilter, format: Format) -> Option<String> {
    let line = match serde_json::from_slice::<EventLine>(raw) {
        Ok(line) => line,
        Err(e) => {
            eprintln!("shoalctl: skipped a line shoald sent that this version does not read ({e})");
            return None;
        }
    };
    if let EventLine::Event(e) = &line
        && !filter.matches(e)
    {
        return None;
    }
    match format {
        Format::Table => Some(human_line(&line)),
        Format::Json => Some(String::from_utf8_lossy(raw).into_owned()),
        Format::Yaml => serde_yaml::to_string(&line)
            .ok()
            .map(|doc| format!("---\n{}", doc.trim_end())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICE: &str = r#"{"time":"1970-01-01T00:00:00.000Z","type":"service","action":"create","id":"s1","name":"web"}"#;
    const TASK: &str = r#"{"time":"1970-01-01T00:00:00.000Z","type":"task","action":"create","id":"t1","name":"web.1.t1","attributes":{"service":"web","state":"new"}}"#;
    const NOTICE: &str = r#"{"time":"1970-01-01T00:00:00.000Z","notice":"dropped","dropped":2,"message":"events dropped"}"#;

    fn only(items: &[&str]) -> EventFilter {
        EventFilter::parse(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn json_output_is_the_servers_line_and_filters_apply() {
        let services = only(&["type=service"]);
        assert_eq!(
            render(SERVICE.as_bytes(), &services, Format::Json).as_deref(),
            Some(SERVICE)
        );
        assert_eq!(render(TASK.as_bytes(), &services, Format::Json), None);
        assert_eq!(
            render(NOTICE.as_bytes(), &services, Format::Json).as_deref(),
            Some(NOTICE),
            "a gap is shown whatever the filter"
        );
    }

    #[test]
    fn table_and_yaml_outputs_render_the_event() {
        let all = only(&[]);
        assert_eq!(
            render(SERVICE.as_bytes(), &all, Format::Table).as_deref(),
            Some("1970-01-01T00:00:00.000Z service create web (id=s1)")
        );
        let yaml = render(TASK.as_bytes(), &all, Format::Yaml).unwrap();
        assert!(
            yaml.starts_with("---\n") && yaml.contains("name: web.1.t1"),
            "{yaml}"
        );
        assert_eq!(render(b"not json", &all, Format::Table), None);
    }
}
