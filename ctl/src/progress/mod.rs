//! Waiting for a service to converge after create, update or scale, like the Docker CLI:
//! `overall progress: 4 out of 6 tasks` whenever the count changes (on a terminal, a block
//! with a bar per slot redrawn in place, see `bars`), then `verify: Service converged`. The
//! following and counting are `shoal_client::converge`'s (it polls the service and its tasks
//! every 250 ms and gives up after `--timeout`); this module draws what it sees and leaves
//! the rollout running on Ctrl-C.

mod bars;

use crate::flags::kv::parse_duration;
use crate::render::task_table::node_names;
use anyhow::{Result, bail};
use bars::{Slot, redraw, render, slots};
use clap::Args;
use shoal_api::Service;
use shoal_client::Client;
use shoal_client::converge::{self, ConvergeError, Progress};
use std::fmt;
use std::io::{IsTerminal, Write};
use std::time::Duration;

const DEFAULT_TIMEOUT: &str = "5m";

/// `--detach` and `--timeout`, for every command that changes a service.
#[derive(Args, Debug, Default)]
pub struct WaitFlags {
    /// Return at once instead of waiting for the service to converge
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Stop waiting for convergence after this long [default: 5m]
    #[arg(long, value_name = "D", conflicts_with = "detach")]
    pub timeout: Option<String>,
}

impl WaitFlags {
    /// How long to wait, or `None` with `--detach`. Read before changing anything, so a bad
    /// `--timeout` fails early.
    pub fn wait_for(&self) -> Result<Option<Duration>> {
        if self.detach {
            return Ok(None);
        }
        let raw = self.timeout.as_deref().unwrap_or(DEFAULT_TIMEOUT);
        parse_duration("--timeout", raw).map(Some)
    }
}

/// Returned (as an error) when the user pressed Ctrl-C while we waited; `main` prints it and
/// exits 130, the shell's code for SIGINT.
#[derive(Debug)]
pub struct Interrupted {
    pub service: String,
}

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Interrupted: the update continues in the background (see: shoalctl service ps {})",
            self.service
        )
    }
}

impl std::error::Error for Interrupted {}

/// Prints progress: plain lines, one per change of the overall count, or on a terminal the
/// block of `bars` redrawn in place. Progress goes to stdout like Docker's, except
/// with `-o json|yaml`, where stdout is kept for the object.
struct Printer {
    to_stderr: bool,
    redraw: bool,
    last: Option<(u64, u64)>,
    /// The block on screen (terminal only); the cursor is on the line below it.
    drawn: Vec<String>,
}

impl Printer {
    fn new(to_stderr: bool) -> Printer {
        let redraw = if to_stderr {
            std::io::stderr().is_terminal()
        } else {
            std::io::stdout().is_terminal()
        };
        Printer {
            to_stderr,
            redraw,
            last: None,
            drawn: Vec::new(),
        }
    }

    fn write(&self, text: &str) {
        // Progress is best effort: a closed pipe must not stop the wait.
        let _ = if self.to_stderr {
            std::io::stderr().lock().write_all(text.as_bytes())
        } else {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|_| out.flush())
        };
    }

    /// Whether per-slot bars are shown (and worth fetching node names for).
    fn bars(&self) -> bool {
        self.redraw
    }

    fn progress(&mut self, p: Progress, slots: &[Slot]) {
        if let Some(text) = self.update(p, slots) {
            self.write(&text);
        }
    }

    /// What to write for this poll, if anything changed since the last.
    fn update(&mut self, p: Progress, slots: &[Slot]) -> Option<String> {
        if self.redraw {
            let lines = render(p, slots);
            if lines == self.drawn {
                return None;
            }
            let text = redraw(self.drawn.len(), &lines);
            self.drawn = lines;
            return Some(text);
        }
        if self.last == Some((p.running, p.desired)) {
            return None;
        }
        self.last = Some((p.running, p.desired));
        Some(format!(
            "overall progress: {} out of {} tasks\n",
            p.running, p.desired
        ))
    }

    fn line(&self, text: &str) {
        self.write(&format!("{text}\n"));
    }
}

/// Waits until `service` converges, polling its tasks. `service` is the object our change
/// returned: its version tells our rollout from earlier ones.
pub async fn wait_until_converged(
    client: &Client,
    service: &Service,
    timeout: Duration,
    progress_to_stderr: bool,
) -> Result<()> {
    let mut printer = Printer::new(progress_to_stderr);
    let outcome = tokio::select! {
        r = poll(client, service, timeout, &mut printer) => r,
        _ = tokio::signal::ctrl_c() => Err(Interrupted { service: service.spec.name.clone() }.into()),
    };
    if outcome.is_ok() {
        printer.line("verify: Service converged");
    }
    outcome
}

async fn poll(
    client: &Client,
    posted: &Service,
    timeout: Duration,
    printer: &mut Printer,
) -> Result<()> {
    let shown = converge::follow(client, posted, timeout, |seen| {
        let bars = if printer.bars() {
            slots(&seen.service, &seen.tasks, &node_names(&seen.nodes))
        } else {
            Vec::new()
        };
        printer.progress(seen.progress, &bars);
    });
    match shown.await {
        Err(ConvergeError::Failed(why)) => {
            bail!("{why} (see: shoalctl service ps {})", posted.spec.name)
        }
        outcome => Ok(outcome?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::TaskState;
    use shoal_api::fixtures::{service, task};
    use shoal_client::testing::{FakeServer, Reply};

    #[test]
    fn wait_flags() {
        let flags = WaitFlags::default();
        assert_eq!(flags.wait_for().unwrap(), Some(Duration::from_secs(300)));
        let flags = WaitFlags {
            detach: true,
            timeout: None,
        };
        assert_eq!(flags.wait_for().unwrap(), None);
        let flags = WaitFlags {
            detach: false,
            timeout: Some("soon".into()),
        };
        assert!(
            flags
                .wait_for()
                .unwrap_err()
                .to_string()
                .starts_with("--timeout: ")
        );
    }

    /// A fake server whose tasks start running on the third poll.
    #[tokio::test]
    async fn waits_until_the_tasks_run() {
        let svc = service("web", 2);
        let svc_json = serde_json::to_string(&svc).unwrap();
        let starting = serde_json::to_string(&[
            task(&svc, 1, TaskState::Running, TaskState::Running),
            task(&svc, 2, TaskState::Running, TaskState::Starting),
        ])
        .unwrap();
        let running = serde_json::to_string(&[
            task(&svc, 1, TaskState::Running, TaskState::Running),
            task(&svc, 2, TaskState::Running, TaskState::Running),
        ])
        .unwrap();
        let polls = std::sync::atomic::AtomicUsize::new(0);
        let server = FakeServer::start(move |req| {
            if req.path.starts_with("/v1/services/") {
                return Reply::json(200, svc_json.clone());
            }
            let n = polls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Reply::json(
                200,
                if n < 2 {
                    starting.clone()
                } else {
                    running.clone()
                },
            )
        })
        .await;
        let client = server.client();
        wait_until_converged(&client, &svc, Duration::from_secs(10), false)
            .await
            .unwrap();
        let task_polls = server
            .requests()
            .iter()
            .filter(|r| r.path == format!("/v1/tasks?service={}", svc.id))
            .count();
        assert_eq!(task_polls, 3);
    }

    #[test]
    fn prints_plain_lines_on_change_or_redraws_the_block_on_a_terminal() {
        let p = |running| Progress {
            running,
            desired: 2,
            converged: false,
        };
        let bar = |state| Slot {
            label: "1/2".into(),
            task: Some(bars::SlotTask {
                state,
                err: String::new(),
            }),
        };
        let slots = [bar(TaskState::Starting)];

        let mut plain = Printer::new(false);
        plain.redraw = false;
        let first = plain.update(p(0), &slots);
        assert_eq!(
            first.as_deref(),
            Some("overall progress: 0 out of 2 tasks\n")
        );
        assert_eq!(plain.update(p(0), &[bar(TaskState::Running)]), None);
        let next = plain.update(p(1), &slots);
        assert_eq!(
            next.as_deref(),
            Some("overall progress: 1 out of 2 tasks\n")
        );

        let mut tty = Printer::new(false);
        tty.redraw = true;
        let first = tty.update(p(0), &slots).unwrap();
        assert!(!first.contains("\x1b[2A") && first.matches('\n').count() == 2);
        assert_eq!(tty.update(p(0), &slots), None);
        let moved = tty.update(p(0), &[bar(TaskState::Running)]).unwrap();
        assert!(moved.starts_with("\x1b[2A"), "{moved:?}");
        assert!(
            moved.ends_with(
                "1/2: running   [==================================================>]\n"
            )
        );
    }

    #[tokio::test]
    async fn gives_up_after_the_timeout_with_the_latest_error() {
        let svc = service("web", 1);
        let svc_json = serde_json::to_string(&svc).unwrap();
        let mut failed = task(&svc, 1, TaskState::Shutdown, TaskState::Failed);
        failed.status.err = "task: non-zero exit (1)".into();
        let current =
            serde_json::to_string(&[task(&svc, 1, TaskState::Running, TaskState::Starting)])
                .unwrap();
        let history = serde_json::to_string(&[failed]).unwrap();
        let server = FakeServer::start(move |req| {
            if req.path.starts_with("/v1/services/") {
                Reply::json(200, svc_json.clone())
            } else if req.path.contains("all=true") {
                Reply::json(200, history.clone())
            } else {
                Reply::json(200, current.clone())
            }
        })
        .await;
        let client = server.client();
        let e = wait_until_converged(&client, &svc, Duration::from_millis(600), false)
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "service did not converge within 600ms: task: non-zero exit (1)"
        );
    }

    #[tokio::test]
    async fn a_removed_service_ends_the_wait() {
        let svc = service("web", 1);
        let server = FakeServer::start(|_| {
            Reply::json(
                404,
                r#"{"error":{"code":"not_found","message":"no such service"}}"#,
            )
        })
        .await;
        let e = wait_until_converged(&server.client(), &svc, Duration::from_secs(5), false)
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "service web was removed while waiting for it"
        );
    }
}
