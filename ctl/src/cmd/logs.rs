//! `shoalctl service logs SERVICE|TASK [-f] [--tail N] [--since D] [-t]`: prints the output
//! of a service's containers (or one task's) from every node, relayed by the managers (`GET
//! /v1/services/{id}/logs`), each line prefixed with its task and node (`web.2@node-3 | ...`).
//! Lines a container wrote to stderr go to stderr. Notices (a node whose output is missing)
//! go to stderr too. `-o json` prints the server's lines as they come. With `--follow` it runs
//! until Ctrl-C, which ends it quietly with status 0.

use crate::Ctx;
use crate::flags::kv::parse_since;
use crate::render::output::Format;
use crate::render::output::write_line;
use anyhow::{Result, bail};
use clap::Args;
use shoal_api::logs::{LogMessage, LogStream};
use shoal_api::{Task, Timestamp};
use shoal_client::rest::typed;
use shoal_client::stream::{Ended, follow};

#[derive(Args, Debug)]
pub struct LogsArgs {
    /// Service name, id or unique id prefix; or a task id (prefix) for that task alone
    #[arg(value_name = "SERVICE|TASK")]
    pub service: String,
    /// Keep printing new output, also from tasks started later, until Ctrl-C
    #[arg(short, long)]
    pub follow: bool,
    /// Only the last N lines of each task, or all
    #[arg(short = 'n', long, value_name = "N", allow_hyphen_values = true)]
    pub tail: Option<String>,
    /// Only output written since then: a duration ago (10m, 1h30m) or a time (2026-11-23T10:00:00Z)
    #[arg(long, value_name = "SINCE")]
    pub since: Option<String>,
    /// Show when each line was written
    #[arg(short, long)]
    pub timestamps: bool,
}

impl LogsArgs {
    /// The query to send; bad flags fail here, naming the flag.
    fn query(&self, now: Timestamp) -> Result<Vec<(&'static str, String)>> {
        let mut query = Vec::new();
        if self.follow {
            query.push(("follow", "true".to_string()));
        }
        if let Some(raw) = &self.tail {
            let tail = raw.trim();
            if tail != "all" && tail.parse::<u64>().is_err() {
                bail!("--tail: expected a number of lines (0 or more) or all, got {raw:?}");
            }
            query.push(("tail", tail.to_string()));
        }
        if let Some(raw) = &self.since {
            query.push(("since", parse_since("--since", raw, now)?.to_string()));
        }
        Ok(query)
    }
}

pub async fn run(ctx: &Ctx, args: &LogsArgs) -> Result<()> {
    let mut query = args.query(Timestamp::now())?;
    let (service, task) = target(ctx, &args.service).await?;
    if let Some(task) = task {
        query.push(("task", task));
    }
    let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut response = ctx
        .client
        .open_stream(&["services", &service, "logs"], &query)
        .await?;
    let ended = follow(
        &mut response,
        "log stream",
        tokio::signal::ctrl_c(),
        |raw| {
            let (to_stderr, text) = render(raw, ctx.format, args.timestamps);
            write_line(to_stderr, &text)
        },
    )
    .await?;
    if ended == Ended::ByServer && args.follow {
        bail!("shoald closed the log stream (did the manager stop?)");
    }
    Ok(())
}

/// The service to ask, and the task when `reference` names a task rather than a service.
async fn target(ctx: &Ctx, reference: &str) -> Result<(String, Option<String>)> {
    match ctx.client.get(&["services", reference], &[]).await {
        Ok(_) => Ok((reference.to_string(), None)),
        Err(e) if e.is_not_found() => match ctx.client.get(&["tasks", reference], &[]).await {
            Ok(raw) => {
                let task: Task = typed(&raw)?;
                Ok((task.service_id.to_string(), Some(task.id.to_string())))
            }
            Err(t) if t.is_not_found() => {
                bail!("no service or task {reference:?}: see shoalctl service ls")
            }
            Err(t) => Err(t.into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// What to print for one received line, and whether it goes to stderr.
fn render(raw: &[u8], format: Format, timestamps: bool) -> (bool, String) {
    let message = match serde_json::from_slice::<LogMessage>(raw) {
        Ok(m) => m,
        Err(e) => {
            return (
                true,
                format!(
                    "shoalctl: skipped a line shoald sent that this version does not read ({e})"
                ),
            );
        }
    };
    if format != Format::Table {
        let to_stderr = matches!(message, LogMessage::Notice { .. });
        return (to_stderr, String::from_utf8_lossy(raw).into_owned());
    }
    match message {
        LogMessage::Notice { message } => (true, format!("shoalctl: {message}")),
        LogMessage::Line(l) => {
            let stamp = if timestamps && !l.timestamp.is_empty() {
                format!("{} ", l.timestamp)
            } else {
                String::new()
            };
            (
                l.stream == LogStream::Stderr,
                format!("{stamp}{} | {}", l.source(), l.line),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"kind":"line","task_id":"t1","task":"web.2","node_id":"n3","node":"node-3","stream":"stdout","timestamp":"2026-11-23T00:51:02.123456789Z","line":"hello"}"#;
    const ERR_LINE: &str = r#"{"kind":"line","task_id":"t1","task":"web.2","node_id":"n3","node":"node-3","stream":"stderr","timestamp":"","line":"oops"}"#;
    const NOTICE: &str = r#"{"kind":"notice","message":"node n4 is not connected"}"#;

    fn args(tail: Option<&str>, since: Option<&str>) -> LogsArgs {
        LogsArgs {
            service: "web".into(),
            follow: false,
            tail: tail.map(str::to_string),
            since: since.map(str::to_string),
            timestamps: false,
        }
    }

    #[test]
    fn lines_are_prefixed_with_task_and_node() {
        assert_eq!(
            render(LINE.as_bytes(), Format::Table, false),
            (false, "web.2@node-3 | hello".to_string())
        );
        assert_eq!(
            render(LINE.as_bytes(), Format::Table, true),
            (
                false,
                "2026-11-23T00:51:02.123456789Z web.2@node-3 | hello".to_string()
            )
        );
        assert_eq!(
            render(ERR_LINE.as_bytes(), Format::Table, true),
            (true, "web.2@node-3 | oops".to_string()),
            "stderr output goes to stderr; no timestamp, none shown"
        );
        assert_eq!(
            render(NOTICE.as_bytes(), Format::Table, false),
            (true, "shoalctl: node n4 is not connected".to_string())
        );
        assert_eq!(
            render(LINE.as_bytes(), Format::Json, false),
            (false, LINE.to_string())
        );
        assert!(render(b"{not json", Format::Table, false).0);
    }

    #[test]
    fn flags_become_the_query_or_a_clear_error() {
        let now = Timestamp(1_800_000_000_000);
        let mut a = args(Some("5"), Some("10m"));
        a.follow = true;
        assert_eq!(
            a.query(now).unwrap(),
            vec![
                ("follow", "true".to_string()),
                ("tail", "5".to_string()),
                ("since", (1_800_000_000 - 600).to_string()),
            ]
        );
        let at = args(Some("all"), Some("2026-11-23T10:00:00Z"));
        assert_eq!(
            at.query(now).unwrap(),
            vec![
                ("tail", "all".to_string()),
                ("since", "1795428000".to_string())
            ]
        );
        let e = args(Some("-3"), None).query(now).unwrap_err().to_string();
        assert!(e.starts_with("--tail:"), "{e}");
        let e = args(None, Some("yesterday"))
            .query(now)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--since:") && e.contains("yesterday"), "{e}");
    }
}
