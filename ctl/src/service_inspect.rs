//! The human-readable view of one service for `service inspect` (like Docker's `--pretty`):
//! its spec, its rollout state and how many replicas run; the task table follows it.

use crate::details::Details;
use crate::output::{join_pairs, wire_name};
use crate::reltime::ago;
use shoal_api::duration::format as fmt_duration;
use shoal_api::{Service, Task, TaskState, Timestamp};

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

/// `running/desired`
pub fn replicas_cell(service: &Service, tasks: &[Task]) -> String {
    let desired = service.spec.replicas().unwrap_or(0);
    format!("{}/{desired}", running_tasks(service, tasks))
}

/// A list shown unambiguously, as JSON (`["sh","-c"]`), or blank when empty.
fn list(v: &[String]) -> String {
    if v.is_empty() {
        String::new()
    } else {
        serde_json::to_string(v).unwrap_or_default()
    }
}

pub fn render_service(s: &Service, tasks: &[Task], now: Timestamp) -> String {
    let spec = &s.spec;
    let c = &spec.task.container;
    let mut d = Details::new();
    d.field("ID", s.id.as_str())
        .field("Name", spec.name.as_str())
        .field_if("Labels", join_pairs(&spec.labels))
        .field("Mode", "replicated")
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
        .field(" Stop grace period", fmt_duration(c.stop_grace_period))
        .section("Restart policy")
        .field(" Condition", wire_name(&spec.task.restart.condition))
        .field(" Delay", fmt_duration(spec.task.restart.delay))
        .section("Update config")
        .field(" Parallelism", spec.update.parallelism.to_string())
        .field(" Delay", fmt_duration(spec.update.delay))
        .field(" Order", wire_name(&spec.update.order));
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
    use crate::fixtures::{T0, service, task};
    use shoal_api::{UpdateState, UpdateStatus};

    #[test]
    fn summarises_spec_rollout_and_replicas() {
        let mut s = service("web", 3);
        s.spec.task.container.command = vec!["sh".into(), "-c".into()];
        s.spec.task.container.args = vec!["echo hi".into()];
        s.spec.task.container.env = vec!["A=1".into(), "B=2".into()];
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
 Stop grace period:   10s
Restart policy:
 Condition:           any
 Delay:               5s
Update config:
 Parallelism:         1
 Delay:               0s
 Order:               stop-first
Created:              Less than a second ago
Updated:              Less than a second ago
";
        assert_eq!(render_service(&s, &tasks, T0), expected);
    }
}
