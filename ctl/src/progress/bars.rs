//! The progress block drawn on a terminal while waiting for a service, like the Docker CLI's:
//! the overall line, then for a small service (at most `MAX_BARS` replicas or nodes) one bar
//! per replica slot (`2/3`) or, for a global service, per node (its hostname). A bar shows how
//! far the slot's task of the current spec has got from `new` to `running`; a task that stopped
//! shows its state and error instead. Jobs get the overall line only. Pure: snapshot in, lines
//! out, plus the escape sequence that redraws a block in place.

use crate::render::output::{short_id, truncate};
use crate::render::task_table::NodeNames;
use shoal_api::{Service, ServiceMode, Task, TaskState};
use shoal_client::converge::Progress;
use std::collections::BTreeMap;

/// Bars are drawn for at most this many slots or nodes, as in the Docker CLI
/// (`maxProgressBars`); larger services get the overall line only.
pub const MAX_BARS: usize = 20;
/// Characters of fill in a full bar (the Docker CLI's width).
const BAR_WIDTH: usize = 50;
/// The widest state a bar can show, `preparing`, so that the bars line up.
const STATE_WIDTH: usize = 9;
/// Lines are kept within this width (node names and errors are cut) so that they fit an
/// 80-column terminal: a wrapped line would throw the redraw off.
const LINE_WIDTH: usize = 79;
/// What is left for a label beside `: `, the state, a space and the bar (`[`, `>`, `]`).
const LABEL_WIDTH: usize = LINE_WIDTH - (2 + STATE_WIDTH + 1 + BAR_WIDTH + 3);
/// The states a bar steps through, one step each.
const LIVE: &[TaskState] = TaskState::UP_TO_RUNNING;
const STEPS: usize = LIVE.len();

/// One line under the overall one: a replica slot or a node of a global service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// `2/3`, or the node's hostname (its short id when unknown).
    pub label: String,
    /// The newest task of the current spec there; `None` while the slot still runs an
    /// older spec or has no task yet.
    pub task: Option<SlotTask>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotTask {
    pub state: TaskState,
    pub err: String,
}

/// The slots of `service` to draw bars for: none for a job or a service over `MAX_BARS`.
/// `tasks` are its current tasks (those desired to run), as the progress loop polls them.
pub fn slots(service: &Service, tasks: &[Task], nodes: &NodeNames) -> Vec<Slot> {
    let mine: Vec<&Task> = tasks
        .iter()
        .filter(|t| t.service_id == service.id)
        .collect();
    match service.spec.mode {
        ServiceMode::Replicated { replicas } => replicated_slots(service, &mine, replicas),
        ServiceMode::Global {} => node_slots(service, &mine, nodes),
        ServiceMode::ReplicatedJob { .. } | ServiceMode::GlobalJob {} => Vec::new(),
    }
}

fn replicated_slots(service: &Service, tasks: &[&Task], replicas: u64) -> Vec<Slot> {
    if replicas > MAX_BARS as u64 {
        return Vec::new();
    }
    (1..=replicas)
        .map(|slot| Slot {
            label: format!("{slot}/{replicas}"),
            task: newest_current(service, tasks.iter().copied().filter(|t| t.slot == slot)),
        })
        .collect()
}

/// One line per node that has a task of the service (of any spec, so nodes still to be
/// updated are drawn too), ordered by label.
fn node_slots(service: &Service, tasks: &[&Task], nodes: &NodeNames) -> Vec<Slot> {
    let mut by_node: BTreeMap<&str, Vec<&Task>> = BTreeMap::new();
    for t in tasks {
        if let Some(node) = &t.node_id {
            by_node.entry(node.as_str()).or_default().push(t);
        }
    }
    if by_node.len() > MAX_BARS {
        return Vec::new();
    }
    let mut slots: Vec<Slot> = by_node
        .into_iter()
        .map(|(node, on_node)| Slot {
            label: match nodes.get(node) {
                Some(hostname) => truncate(hostname, LABEL_WIDTH),
                None => short_id(node).to_string(),
            },
            task: newest_current(service, on_node),
        })
        .collect();
    slots.sort_by(|a, b| a.label.cmp(&b.label));
    slots
}

/// The newest task running (or meant to run) the service's current spec.
fn newest_current<'a>(
    service: &Service,
    tasks: impl IntoIterator<Item = &'a Task>,
) -> Option<SlotTask> {
    tasks
        .into_iter()
        .filter(|t| t.spec == service.spec.task)
        .max_by_key(|t| (t.meta.created_at, t.status.timestamp))
        .map(|t| SlotTask {
            state: t.status.state,
            err: t.status.err.clone(),
        })
}

/// The block: `overall progress: N out of M tasks`, then one line per slot.
pub fn render(progress: Progress, slots: &[Slot]) -> Vec<String> {
    let overall = format!(
        "overall progress: {} out of {} tasks",
        progress.running, progress.desired
    );
    let width = slots
        .iter()
        .map(|s| s.label.chars().count())
        .max()
        .unwrap_or(0);
    std::iter::once(overall)
        .chain(slots.iter().map(|s| slot_line(s, width)))
        .collect()
}

/// `1/3: starting  [===========================================>       ]`, or for a task
/// that stopped `3/3: failed    task: non-zero exit (1)`.
fn slot_line(slot: &Slot, label_width: usize) -> String {
    let error_width = LINE_WIDTH.saturating_sub(label_width + 2 + STATE_WIDTH + 1);
    let (state, tail) = match &slot.task {
        None => ("", bar(0)),
        Some(t) if t.state.is_terminal() => (t.state.as_str(), truncate(&t.err, error_width)),
        Some(t) => (t.state.as_str(), bar(step(t.state))),
    };
    let line = format!(
        "{label:<label_width$}: {state:<STATE_WIDTH$} {tail}",
        label = slot.label
    );
    line.trim_end().to_string()
}

/// How many of the steps `new` ..= `running` a live task has reached (1 to `STEPS`).
fn step(state: TaskState) -> usize {
    LIVE.iter().position(|s| *s == state).map_or(0, |i| i + 1)
}

/// `[====>     ]` filled `steps` eighths of the way.
fn bar(steps: usize) -> String {
    let fill = steps.min(STEPS) * BAR_WIDTH / STEPS;
    format!("[{}>{}]", "=".repeat(fill), " ".repeat(BAR_WIDTH - fill))
}

/// What to write to replace a block of `drawn` lines (the cursor on the line below it) with
/// `lines`: cursor up to the block's first line, clear and write each line, then clear
/// whatever is left below when the block got shorter. With nothing drawn, just the lines.
pub fn redraw(drawn: usize, lines: &[String]) -> String {
    let mut out = String::new();
    if drawn > 0 {
        out.push_str(&format!("\x1b[{drawn}A"));
    }
    for line in lines {
        out.push_str("\x1b[2K");
        out.push_str(line);
        out.push('\n');
    }
    if lines.len() < drawn {
        out.push_str("\x1b[J");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::NodeId;
    use shoal_api::fixtures::{service, task};

    fn progress(running: u64, desired: u64) -> Progress {
        Progress {
            running,
            desired,
            converged: false,
        }
    }

    fn slot(label: &str, state: TaskState) -> Slot {
        Slot {
            label: label.into(),
            task: Some(SlotTask {
                state,
                err: String::new(),
            }),
        }
    }

    /// The `=` in a rendered bar line.
    fn fill(line: &str) -> usize {
        let bar = &line[line.find('[').expect("a bar")..];
        bar.matches('=').count()
    }

    #[test]
    fn draws_the_docker_look() {
        let lines = render(
            progress(2, 3),
            &[
                slot("1/3", TaskState::Running),
                slot("2/3", TaskState::Starting),
                slot("3/3", TaskState::Preparing),
            ],
        );
        assert_eq!(
            lines,
            [
                "overall progress: 2 out of 3 tasks",
                "1/3: running   [==================================================>]",
                "2/3: starting  [===========================================>       ]",
                "3/3: preparing [===============================>                   ]",
            ]
        );
    }

    #[test]
    fn the_bar_grows_with_each_state_up_to_running() {
        let fills: Vec<usize> = LIVE
            .iter()
            .map(|s| fill(&render(progress(0, 1), &[slot("1/1", *s)])[1]))
            .collect();
        assert_eq!(fills, [6, 12, 18, 25, 31, 37, 43, 50]);
        let line = &render(progress(0, 1), &[slot("1/1", TaskState::Running)])[1];
        assert!(line.ends_with(&format!("[{}>]", "=".repeat(50))), "{line}");
    }

    #[test]
    fn a_stopped_task_shows_its_state_and_error_instead_of_a_bar() {
        let long = format!("No such image: {}", "x".repeat(100));
        let failed = Slot {
            label: "2/2".into(),
            task: Some(SlotTask {
                state: TaskState::Failed,
                err: format!("{long}\nsecond line"),
            }),
        };
        let lines = render(
            progress(1, 2),
            &[
                slot("1/2", TaskState::Rejected),
                failed,
                slot("3/3", TaskState::Complete),
            ],
        );
        assert_eq!(lines[1], "1/2: rejected");
        assert!(lines[2].starts_with("2/2: failed    No such image: xxx"));
        assert!(lines[2].ends_with('…') && !lines[2].contains('['));
        assert_eq!(lines[2].chars().count(), LINE_WIDTH);
        assert_eq!(lines[3], "3/3: complete");
    }

    #[test]
    fn one_slot_per_replica_from_the_newest_task_of_the_current_spec() {
        let svc = service("web", 3);
        let mut old = task(&svc, 1, TaskState::Running, TaskState::Running);
        old.spec.container.image = "nginx:old".into();
        let mut failed = task(&svc, 2, TaskState::Running, TaskState::Failed);
        failed.status.err = "task: non-zero exit (1)".into();
        let mut retry = task(&svc, 2, TaskState::Running, TaskState::Pending);
        retry.meta.created_at.0 += 1000;
        let other = task(
            &service("api", 1),
            3,
            TaskState::Running,
            TaskState::Running,
        );
        let got = slots(&svc, &[old, retry, failed, other], &NodeNames::new());
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].task, None, "slot 1 still runs the old spec");
        assert_eq!(got[1].task.as_ref().unwrap().state, TaskState::Pending);
        assert_eq!(got[2].task, None, "the api task is another service's");
        let lines = render(progress(0, 3), &got);
        assert_eq!(lines[1], format!("1/3:           [>{}]", " ".repeat(50)));
    }

    #[test]
    fn global_services_get_a_line_per_node_named_by_hostname() {
        let mut svc = service("agent", 0);
        svc.spec.mode = ServiceMode::Global {};
        let on = |node: &str, state: TaskState| {
            let mut t = task(&svc, 0, TaskState::Running, state);
            t.node_id = Some(NodeId(node.into()));
            t
        };
        let nodes = NodeNames::from([
            ("n1".to_string(), "worker-b".to_string()),
            ("n2".to_string(), "worker-a".to_string()),
            ("n3".to_string(), "worker-c".to_string()),
        ]);
        let unknown = "abcdefabcdefabcdefabcdef";
        let mut unassigned = on("n1", TaskState::New);
        unassigned.node_id = None;
        let mut outdated = on("n3", TaskState::Running);
        outdated.spec.container.image = "nginx:old".into();
        let tasks = [
            outdated,
            on("n1", TaskState::Running),
            on("n2", TaskState::Starting),
            on(unknown, TaskState::Pending),
            unassigned,
        ];
        let lines = render(progress(1, 3), &slots(&svc, &tasks, &nodes));
        let labels: Vec<&str> = lines[1..]
            .iter()
            .map(|l| l.split(':').next().unwrap())
            .collect();
        assert_eq!(
            labels,
            [
                "abcdefabcdef",
                "worker-a    ",
                "worker-b    ",
                "worker-c    "
            ]
        );
        assert!(lines[2].starts_with("worker-a    : starting  [====="));
        assert!(
            lines[4].starts_with("worker-c    :           [>  "),
            "not updated yet"
        );
    }

    #[test]
    fn long_hostnames_and_errors_are_cut_to_fit_the_terminal() {
        let mut svc = service("agent", 0);
        svc.spec.mode = ServiceMode::Global {};
        let mut failed = task(&svc, 0, TaskState::Running, TaskState::Failed);
        failed.node_id = Some(NodeId("n1".into()));
        failed.status.err = "x".repeat(200);
        let mut running = task(&svc, 0, TaskState::Running, TaskState::Running);
        running.node_id = Some(NodeId("n2".into()));
        let nodes = NodeNames::from([
            (
                "n1".to_string(),
                "a-rather-long-hostname.example.com".to_string(),
            ),
            ("n2".to_string(), "b".to_string()),
        ]);
        let lines = render(progress(1, 2), &slots(&svc, &[failed, running], &nodes));
        assert!(
            lines[1].starts_with("a-rather-long…: failed    xxx"),
            "{}",
            lines[1]
        );
        assert_eq!(lines[1].chars().count(), LINE_WIDTH);
        assert!(lines[2].chars().count() <= LINE_WIDTH, "{}", lines[2]);
    }

    #[test]
    fn large_services_and_jobs_get_the_overall_line_only() {
        let at_limit = service("web", MAX_BARS as u64);
        assert_eq!(slots(&at_limit, &[], &NodeNames::new()).len(), MAX_BARS);
        assert_eq!(
            render(progress(0, 20), &slots(&at_limit, &[], &NodeNames::new()))[20],
            format!("20/20:           [>{}]", " ".repeat(50))
        );
        let big = service("web", MAX_BARS as u64 + 1);
        assert_eq!(slots(&big, &[], &NodeNames::new()), []);
        assert_eq!(
            render(progress(3, 21), &[]),
            ["overall progress: 3 out of 21 tasks"]
        );

        let mut global = service("agent", 0);
        global.spec.mode = ServiceMode::Global {};
        let tasks: Vec<Task> = (0..=MAX_BARS)
            .map(|n| {
                let mut t = task(&global, 0, TaskState::Running, TaskState::Running);
                t.node_id = Some(NodeId(format!("node{n}")));
                t
            })
            .collect();
        assert_eq!(slots(&global, &tasks, &NodeNames::new()), []);
        assert_eq!(
            slots(&global, &tasks[1..], &NodeNames::new()).len(),
            MAX_BARS
        );

        let mut job = service("migrate", 1);
        job.spec.mode = ServiceMode::ReplicatedJob {
            max_concurrent: 1,
            total_completions: None,
        };
        let run = task(&job, 1, TaskState::Complete, TaskState::Running);
        assert_eq!(slots(&job, &[run], &NodeNames::new()), []);
    }

    #[test]
    fn redrawing_moves_up_over_the_old_block_and_clears_each_line() {
        let lines: Vec<String> = ["a", "b", "c"].map(String::from).into();
        assert_eq!(redraw(0, &lines), "\x1b[2Ka\n\x1b[2Kb\n\x1b[2Kc\n");
        let again = redraw(3, &lines);
        assert!(again.starts_with("\x1b[3A"));
        assert_eq!(again.matches("\x1b[").count(), 4);
        assert_eq!(again.matches("\x1b[2K").count(), 3);
        assert!(!again.contains("\x1b[J"));
        // A shorter block clears what is left of the old one.
        let shorter = redraw(4, &lines[..1]);
        assert_eq!(shorter, "\x1b[4A\x1b[2Ka\n\x1b[J");
    }
}
