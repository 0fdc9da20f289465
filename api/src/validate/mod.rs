//! Spec validation shared by the CLI (early, friendly errors) and the server (the gate before
//! anything is stored): [`validate_service_spec`] for a spec on its own,
//! [`validate_service_update`] for a spec replacing a stored one. Each error names the field
//! that is wrong.

mod container;
mod health;
mod options;
mod placement;
mod ports;
mod rollout;

use crate::service::{ServiceMode, ServiceSpec};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// Dotted path of the offending field, like `spec.task.container.image`.
    pub field: String,
    pub message: String,
}

fn err(field: &str, message: impl Into<String>) -> ValidationError {
    ValidationError {
        field: field.to_string(),
        message: message.into(),
    }
}

/// Upper bound on `snapshot_interval`, in log entries.
pub const MAX_SNAPSHOT_INTERVAL: u64 = 1_000_000;

/// Upper bound on `node_cert_expiry`: ten years, as a certificate's validity must end.
pub const MAX_CERT_EXPIRY: std::time::Duration = std::time::Duration::from_secs(3650 * 24 * 3600);

/// Upper bound on replicas: far beyond what one cluster runs, low enough to refuse typos.
pub const MAX_REPLICAS: u64 = 100_000;

pub use options::{CAPABILITIES, ULIMITS, normalize_capability, validate_options};

/// Names follow Docker's container-name rule so `<service>.<slot>.<id>` is a valid name.
pub fn validate_name(name: &str) -> Result<(), ValidationError> {
    let field = "spec.name";
    if name.is_empty() {
        return Err(err(field, "name must not be empty"));
    }
    if name.len() > 63 {
        return Err(err(field, "name must be at most 63 characters"));
    }
    let first = name.as_bytes()[0];
    if !first.is_ascii_alphanumeric() {
        return Err(err(
            field,
            format!("name {name:?} must start with a letter or digit"),
        ));
    }
    if !name
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    {
        return Err(err(
            field,
            format!("name {name:?} may only contain letters, digits, '-' and '_'"),
        ));
    }
    Ok(())
}

pub fn validate_cluster_spec(spec: &crate::ClusterSpec) -> Result<(), ValidationError> {
    if spec.task_history_limit > 1000 {
        return Err(err(
            "spec.task_history_limit",
            "task_history_limit must be at most 1000",
        ));
    }
    if !(1..=600).contains(&spec.heartbeat_period_secs) {
        return Err(err(
            "spec.heartbeat_period_secs",
            "heartbeat_period_secs must be between 1 and 600",
        ));
    }
    if spec.snapshot_interval < 10 {
        return Err(err(
            "spec.snapshot_interval",
            "snapshot_interval must be >= 10",
        ));
    }
    // Past this the log between snapshots, and so the data dir, grows without a useful bound.
    if spec.snapshot_interval > MAX_SNAPSHOT_INTERVAL {
        return Err(err(
            "spec.snapshot_interval",
            format!("snapshot_interval must be <= {MAX_SNAPSHOT_INTERVAL}"),
        ));
    }
    if spec.node_cert_expiry < std::time::Duration::from_secs(10) {
        return Err(err(
            "spec.node_cert_expiry",
            "node_cert_expiry must be at least 10s",
        ));
    }
    if spec.node_cert_expiry > MAX_CERT_EXPIRY {
        return Err(err(
            "spec.node_cert_expiry",
            "node_cert_expiry must be at most 10 years (3650d)",
        ));
    }
    Ok(())
}

pub fn validate_service_spec(spec: &ServiceSpec) -> Result<(), ValidationError> {
    validate_name(&spec.name)?;
    let c = &spec.task.container;
    if c.image.trim().is_empty() {
        return Err(err("spec.task.container.image", "image must not be empty"));
    }
    if c.image.chars().any(char::is_whitespace) {
        return Err(err(
            "spec.task.container.image",
            format!("image {:?} must not contain whitespace", c.image),
        ));
    }
    for (i, e) in c.env.iter().enumerate() {
        match e.split_once('=') {
            Some((k, _)) if !k.is_empty() => {}
            _ => {
                return Err(err(
                    &format!("spec.task.container.env[{i}]"),
                    format!("env entry {e:?} must be KEY=VALUE"),
                ));
            }
        }
    }
    for k in c.labels.keys().chain(spec.labels.keys()) {
        if k.is_empty() {
            return Err(err("spec.labels", "label keys must not be empty"));
        }
        if k.starts_with("shoal.") {
            return Err(err(
                "spec.labels",
                format!("label {k:?} is reserved: the shoal. prefix belongs to Shoal"),
            ));
        }
    }
    match spec.mode {
        ServiceMode::Replicated { replicas } if replicas > MAX_REPLICAS => {
            return Err(err(
                "spec.mode.replicated.replicas",
                format!("replicas must be <= {MAX_REPLICAS}"),
            ));
        }
        ServiceMode::ReplicatedJob { max_concurrent, .. }
            if !(1..=MAX_REPLICAS).contains(&max_concurrent) =>
        {
            return Err(err(
                "spec.mode.replicated_job.max_concurrent",
                format!("max_concurrent must be between 1 and {MAX_REPLICAS}"),
            ));
        }
        ServiceMode::ReplicatedJob {
            total_completions: Some(n),
            ..
        } if n > 100 * MAX_REPLICAS => {
            return Err(err(
                "spec.mode.replicated_job.total_completions",
                format!("total_completions must be <= {}", 100 * MAX_REPLICAS),
            ));
        }
        ServiceMode::Replicated { .. }
        | ServiceMode::Global {}
        | ServiceMode::ReplicatedJob { .. }
        | ServiceMode::GlobalJob {} => {}
    }
    if c.stop_grace_period > std::time::Duration::from_secs(3600) {
        return Err(err(
            "spec.task.container.stop_grace_period",
            "stop_grace_period must be at most 1h",
        ));
    }
    container::validate_container(c)?;
    options::validate_options(c)?;
    if let Some(h) = &c.healthcheck {
        health::validate_healthcheck(h)?;
    }
    ports::validate_ports(&c.ports)?;
    rollout::validate_restart(&spec.task.restart)?;
    placement::validate_placement(&spec.task.placement)?;
    placement::validate_resources(&spec.task.resources)?;
    rollout::validate_update_config("update", &spec.update)?;
    rollout::validate_update_config("rollback", &spec.rollback)?;
    Ok(())
}

/// The rules for replacing a stored service's spec `old` with `new`: `new` must be valid on
/// its own, and the service keeps its kind (SwarmKit's rule). A replicated service or job
/// cannot become global, nor the reverse, and a job cannot become a long-running service, nor
/// the reverse: their tasks are tracked differently (slots or nodes, runs or restarts). The
/// server checks this on every update, whichever client sent it.
pub fn validate_service_update(
    old: &ServiceSpec,
    new: &ServiceSpec,
) -> Result<(), ValidationError> {
    validate_service_spec(new)?;
    if old.mode.is_global() != new.mode.is_global() || old.mode.is_job() != new.mode.is_job() {
        return Err(err(
            "spec.mode",
            format!(
                "{name} is a {from} service and cannot become {to}: delete it first \
                 (shoalctl service rm {name})",
                name = old.name,
                from = old.mode.name(),
                to = new.mode.name(),
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::*;
    use crate::service::*;

    fn spec(name: &str, image: &str) -> ServiceSpec {
        ServiceSpec {
            name: name.into(),
            labels: Default::default(),
            task: TaskTemplate {
                container: ContainerSpec {
                    image: image.into(),
                    stop_grace_period: default_stop_grace(),
                    ..Default::default()
                },
                ..Default::default()
            },
            mode: ServiceMode::Replicated { replicas: 1 },
            update: Default::default(),
            rollback: Default::default(),
        }
    }

    #[test]
    fn accepts_a_plain_spec() {
        assert_eq!(validate_service_spec(&spec("web", "nginx:1")), Ok(()));
    }

    #[test]
    fn names_the_field_that_is_wrong() {
        assert_eq!(
            validate_service_spec(&spec("web", " ")).unwrap_err().field,
            "spec.task.container.image"
        );
        assert_eq!(
            validate_service_spec(&spec("", "x")).unwrap_err().field,
            "spec.name"
        );
        assert_eq!(
            validate_service_spec(&spec("a.b", "x")).unwrap_err().field,
            "spec.name"
        );
        let mut s = spec("web", "x");
        s.task.container.env.push("NOEQUALS".into());
        assert_eq!(
            validate_service_spec(&s).unwrap_err().field,
            "spec.task.container.env[0]"
        );
        s = spec("web", "x");
        s.mode = ServiceMode::Replicated {
            replicas: MAX_REPLICAS + 1,
        };
        assert!(
            validate_service_spec(&s)
                .unwrap_err()
                .message
                .contains("replicas")
        );
    }

    #[test]
    fn spec_rejects_unknown_fields() {
        let json = r#"{"name":"a","task":{"container":{"image":"x","imagez":"y"}}}"#;
        let e = serde_json::from_str::<ServiceSpec>(json).unwrap_err();
        assert!(e.to_string().contains("imagez"), "{e}");
    }

    #[test]
    fn an_update_keeps_the_kind_of_the_service() {
        let old = spec("web", "x");
        let mut new = spec("web", "y");
        new.mode = ServiceMode::Replicated { replicas: 5 };
        assert_eq!(validate_service_update(&old, &new), Ok(()));
        for mode in [
            ServiceMode::Global {},
            ServiceMode::GlobalJob {},
            ServiceMode::ReplicatedJob {
                max_concurrent: 1,
                total_completions: None,
            },
        ] {
            new.mode = mode;
            let e = validate_service_update(&old, &new).unwrap_err();
            assert_eq!(e.field, "spec.mode");
            assert!(
                e.message
                    .starts_with("web is a replicated service and cannot become "),
                "{e}"
            );
        }
        let mut global = spec("agent", "x");
        global.mode = ServiceMode::Global {};
        let mut invalid = global.clone();
        invalid.task.container.image.clear();
        assert_eq!(
            validate_service_update(&global, &invalid)
                .unwrap_err()
                .field,
            "spec.task.container.image"
        );
    }

    #[test]
    fn cluster_settings_have_upper_bounds() {
        let ok = crate::ClusterSpec::default();
        assert_eq!(validate_cluster_spec(&ok), Ok(()));
        let mut s = ok.clone();
        s.snapshot_interval = MAX_SNAPSHOT_INTERVAL + 1;
        assert_eq!(
            validate_cluster_spec(&s).unwrap_err().field,
            "spec.snapshot_interval"
        );
        let mut s = ok;
        s.node_cert_expiry = MAX_CERT_EXPIRY + std::time::Duration::from_secs(1);
        assert_eq!(
            validate_cluster_spec(&s).unwrap_err().field,
            "spec.node_cert_expiry"
        );
    }
}
