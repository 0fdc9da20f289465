//! The human-readable view of one service for `service inspect` (like Docker's `--pretty`):
//! its spec, its rollout state, placement, resources and how many replicas run; the task
//! table follows it.

use crate::render::details::Details;
use crate::render::output::{join_pairs, wire_name};
use crate::render::reltime::ago;
use shoal_api::duration::format as fmt_duration;
use shoal_api::{Service, ServiceMode, Task, TaskState, Timestamp};

/// Tasks of `service` that are desired to run and do: the left side of `2/3`.
pub fn running_tasks(service: &Service, tasks: &[Task]) -> usize {
    tasks
        .iter()
        .filter(|t| {
            t.service_id == service.id
                && t.desired_state == TaskState::Running
                && t.status.state == TaskState::Running
        })
        .count()
}

/// `running/desired`; for a global service the desired count is its tasks desired running
/// (one per eligible node); for jobs, `completed/total`.
pub fn replicas_cell(service: &Service, tasks: &[Task]) -> String {
    let p = shoal_client::converge::measure(service, tasks);
    match service.spec.mode {
        ServiceMode::Replicated { .. } => {
            format!("{}/{}", running_tasks(service, tasks), p.desired)
        }
        ServiceMode::Global {} => format!("{}/{} (global)", p.running, p.desired),
        ServiceMode::ReplicatedJob { .. } | ServiceMode::GlobalJob {} => {
            format!("{}/{} completed", p.running, p.desired)
        }
    }
}

/// A list shown unambiguously, as JSON (`["sh","-c"]`), or blank when empty.
fn list(v: &[String]) -> String {
    if v.is_empty() {
        String::new()
    } else {
        serde_json::to_string(v).unwrap_or_default()
    }
}

/// `bind /host -> /ctr (ro)`, one per line.
fn mounts(m: &[shoal_api::Mount]) -> String {
    m.iter()
        .map(|m| {
            let ro = if m.readonly { " (ro)" } else { "" };
            format!("{} {} -> {}{ro}", wire_name(&m.kind), m.source, m.target)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn placement(d: &mut Details, p: &shoal_api::Placement) {
    if p.is_empty() {
        return;
    }
    let prefs: Vec<String> = p
        .preferences
        .iter()
        .map(|p| format!("spread={}", p.spread))
        .collect();
    d.section("Placement")
        .field_if(" Constraints", p.constraints.join("\n"))
        .field_if(" Preferences", prefs.join("\n"));
    if p.max_replicas_per_node > 0 {
        d.field(" Max per node", p.max_replicas_per_node.to_string());
    }
}

fn resources(d: &mut Details, r: &shoal_api::Resources) {
    if r.is_empty() {
        return;
    }
    d.section("Resources");
    for (title, a) in [(" Reservations", &r.reservations), (" Limits", &r.limits)] {
        if a.is_zero() {
            continue;
        }
        let mut parts = Vec::new();
        if a.cpus > 0.0 {
            parts.push(format!("{} CPU", a.cpus));
        }
        if a.memory > 0 {
            parts.push(format!("{} memory", shoal_api::size::format(a.memory)));
        }
        d.field(title, parts.join(", "));
    }
}

/// `CMD-SHELL wget -q localhost (every 2s, timeout 1s, 3 retries, start period 10s)`.
fn healthcheck(h: Option<&shoal_api::HealthCheck>) -> String {
    let Some(h) = h else {
        return String::new();
    };
    if h.is_disabled() {
        return "none (disabled)".into();
    }
    let test = if h.test.is_empty() {
        "the image's".to_string()
    } else {
        h.test.join(" ")
    };
    let mut settings = Vec::new();
    if !h.interval.is_zero() {
        settings.push(format!("every {}", fmt_duration(h.interval)));
    }
    if !h.timeout.is_zero() {
        settings.push(format!("timeout {}", fmt_duration(h.timeout)));
    }
    if h.retries > 0 {
        settings.push(format!("{} retries", h.retries));
    }
    if !h.start_period.is_zero() {
        settings.push(format!("start period {}", fmt_duration(h.start_period)));
    }
    if settings.is_empty() {
        test
    } else {
        format!("{test} ({})", settings.join(", "))
    }
}

/// `8080:80/tcp (host)`, one per line.
fn ports(p: &[shoal_api::PortConfig]) -> String {
    p.iter()
        .map(|p| format!("{p} (host)"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn render_service(s: &Service, tasks: &[Task], now: Timestamp) -> String {
    let spec = &s.spec;
    let c = &spec.task.container;
    let mut d = Details::new();
    d.field("ID", s.id.as_str())
        .field("Name", spec.name.as_str())
        .field_if("Labels", join_pairs(&spec.labels))
        .field("Mode", spec.mode.name())
        .field("Replicas", replicas_cell(s, tasks));
    if let Some(u) = &s.update_status {
        d.section("Update status")
            .field(" State", wire_name(&u.state))
            .field(" Started", ago(u.started_at, now));
        if let Some(done) = u.completed_at {
            d.field(" Completed", ago(done, now));
        }
        d.field_if(" Message", u.message.as_str());
    }
    d.section("Container")
        .field(" Image", c.image.as_str())
        .field_if(" Command", list(&c.command))
        .field_if(" Args", list(&c.args))
        .field_if(" Env", c.env.join("\n"))
        .field_if(" Labels", join_pairs(&c.labels))
        .field_if(" User", c.user.as_str())
        .field_if(" Workdir", c.workdir.as_str())
        .field_if(" Hostname", c.hostname.as_str())
        .field_if(" Mounts", mounts(&c.mounts))
        .field_if(" Stop signal", c.stop_signal.as_str())
        .field_if(" Health check", healthcheck(c.healthcheck.as_ref()))
        .field_if(" Published ports", ports(&c.ports))
        .field(" Stop grace period", fmt_duration(c.stop_grace_period))
        .section("Restart policy")
        .field(" Condition", wire_name(&spec.task.restart.condition))
        .field(" Delay", fmt_duration(spec.task.restart.delay));
    let restart = &spec.task.restart;
    if restart.max_attempts > 0 {
        d.field(" Max attempts", restart.max_attempts.to_string());
    }
    if !restart.window.is_zero() {
        d.field(" Window", fmt_duration(restart.window));
    }
    placement(&mut d, &spec.task.placement);
    resources(&mut d, &spec.task.resources);
    for (title, u) in [
        ("Update config", &spec.update),
        ("Rollback config", &spec.rollback),
    ] {
        d.section(title)
            .field(" Parallelism", u.parallelism.to_string())
            .field(" Delay", fmt_duration(u.delay))
            .field(" On failure", wire_name(&u.failure_action))
            .field(" Monitoring period", fmt_duration(u.monitor))
            .field(" Max failure ratio", u.max_failure_ratio.to_string())
            .field(" Order", wire_name(&u.order));
    }
    if spec.task.force_update > 0 {
        d.field("Force update", spec.task.force_update.to_string());
    }
    d.field("Created", ago(s.meta.created_at, now))
        .field("Updated", ago(s.meta.updated_at, now));
    d.render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_api::fixtures::{T0, service, task};
    use shoal_api::{UpdateState, UpdateStatus};

    #[test]
    fn shows_placement_and_resources_when_set() {
        let mut s = service("web", 1);
        let plain = render_service(&s, &[], T0);
        assert!(
            !plain.contains("Placement") && !plain.contains("Resources"),
            "{plain}"
        );
        let p = &mut s.spec.task.placement;
        p.constraints = vec!["node.role==worker".into(), "node.labels.zone==east".into()];
        p.preferences = vec![shoal_api::Preference {
            spread: "node.labels.zone".into(),
        }];
        p.max_replicas_per_node = 2;
        s.spec.task.resources.reservations.memory = 512 << 20;
        s.spec.task.resources.limits.cpus = 1.5;
        s.spec.task.resources.limits.memory = 1 << 30;
        let out = render_service(&s, &[], T0);
        let expected = "\
Placement:
 Constraints:         node.role==worker
                      node.labels.zone==east
 Preferences:         spread=node.labels.zone
 Max per node:        2
Resources:
 Reservations:        512MiB memory
 Limits:              1.5 CPU, 1GiB memory
";
        assert!(out.contains(expected), "{out}");
    }

    #[test]
    fn summarises_spec_rollout_and_replicas() {
        let mut s = service("web", 3);
        s.spec.task.container.command = vec!["sh".into(), "-c".into()];
        s.spec.task.container.args = vec!["echo hi".into()];
        s.spec.task.container.env = vec!["A=1".into(), "B=2".into()];
        s.spec.task.container.healthcheck = Some(shoal_api::HealthCheck {
            test: shoal_api::HealthCheck::shell("true"),
            interval: std::time::Duration::from_secs(2),
            retries: 3,
            ..Default::default()
        });
        s.spec.task.container.ports = vec![shoal_api::PortConfig {
            published: 8080,
            target: 80,
            protocol: shoal_api::Protocol::Tcp,
            host_ip: String::new(),
        }];
        s.update_status = Some(UpdateStatus {
            state: UpdateState::Updating,
            started_at: T0,
            completed_at: None,
            message: "update in progress".into(),
            spec_version: 0,
        });
        let tasks = vec![
            task(&s, 1, TaskState::Running, TaskState::Running),
            task(&s, 2, TaskState::Running, TaskState::Running),
            task(&s, 3, TaskState::Running, TaskState::Pending),
            task(&s, 3, TaskState::Shutdown, TaskState::Running),
        ];
        let expected = "\
ID:                   web0000000000000000000000
Name:                 web
Mode:                 replicated
Replicas:             2/3
Update status:
 State:               updating
 Started:             Less than a second ago
 Message:             update in progress
Container:
 Image:               nginx:1
 Command:             [\"sh\",\"-c\"]
 Args:                [\"echo hi\"]
 Env:                 A=1
                      B=2
 Health check:        CMD-SHELL true (every 2s, 3 retries)
 Published ports:     8080:80/tcp (host)
 Stop grace period:   10s
Restart policy:
 Condition:           any
 Delay:               5s
Update config:
 Parallelism:         1
 Delay:               0s
 On failure:          pause
 Monitoring period:   5s
 Max failure ratio:   0
 Order:               stop-first
Rollback config:
 Parallelism:         1
 Delay:               0s
 On failure:          pause
 Monitoring period:   5s
 Max failure ratio:   0
 Order:               stop-first
Created:              Less than a second ago
Updated:              Less than a second ago
";
        assert_eq!(render_service(&s, &tasks, T0), expected);
    }
}
