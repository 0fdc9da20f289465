//! Checks of `spec.task.container.healthcheck`: a test Docker understands and durations it
//! accepts (0, or at least 1ms).

use super::{ValidationError, err};
use crate::health::HealthCheck;
use std::time::Duration;

const FIELD: &str = "spec.task.container.healthcheck";
const DAY: Duration = Duration::from_secs(24 * 3600);
/// Consecutive failures before unhealthy: far beyond any sane check, low enough for Docker.
pub const MAX_RETRIES: u64 = 1000;

pub fn validate_healthcheck(h: &HealthCheck) -> Result<(), ValidationError> {
    let test = format!("{FIELD}.test");
    match h.test.first().map(String::as_str) {
        None => {}
        Some("NONE") if h.test.len() == 1 => {}
        Some("NONE") => return Err(err(&test, "NONE takes no arguments")),
        Some("CMD") if h.test.len() > 1 && !h.test[1].trim().is_empty() => {}
        Some("CMD") => {
            return Err(err(
                &test,
                "CMD needs a command: [\"CMD\", \"bin\", args...]",
            ));
        }
        Some("CMD-SHELL") if h.test.len() == 2 && !h.test[1].trim().is_empty() => {}
        Some("CMD-SHELL") => {
            return Err(err(
                &test,
                "CMD-SHELL takes exactly one non-empty shell command",
            ));
        }
        Some(other) => {
            return Err(err(
                &test,
                format!("test must start with CMD, CMD-SHELL or NONE, not {other:?}"),
            ));
        }
    }
    for (name, d) in [
        ("interval", h.interval),
        ("timeout", h.timeout),
        ("start_period", h.start_period),
        ("start_interval", h.start_interval),
    ] {
        if !d.is_zero() && d < Duration::from_millis(1) {
            return Err(err(
                &format!("{FIELD}.{name}"),
                format!("{name} must be 0 (the default) or at least 1ms"),
            ));
        }
        if d > DAY {
            return Err(err(
                &format!("{FIELD}.{name}"),
                format!("{name} must be at most 24h"),
            ));
        }
    }
    if h.retries > MAX_RETRIES {
        return Err(err(
            &format!("{FIELD}.retries"),
            format!("retries must be at most {MAX_RETRIES}"),
        ));
    }
    if h.is_disabled()
        && (!h.interval.is_zero()
            || !h.timeout.is_zero()
            || h.retries > 0
            || !h.start_period.is_zero()
            || !h.start_interval.is_zero())
    {
        return Err(err(
            FIELD,
            "a disabled health check (NONE) takes no interval, timeout, retries or start period",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(h: HealthCheck) -> String {
        validate_healthcheck(&h).unwrap_err().field
    }

    #[test]
    fn accepts_docker_tests_and_the_images_own() {
        for test in [
            vec![],
            vec!["NONE".to_string()],
            HealthCheck::shell("wget -q localhost"),
            vec!["CMD".into(), "/bin/true".into()],
        ] {
            let h = HealthCheck {
                test,
                ..Default::default()
            };
            assert_eq!(validate_healthcheck(&h), Ok(()), "{h:?}");
        }
        let h = HealthCheck {
            test: HealthCheck::shell("true"),
            interval: Duration::from_secs(1),
            timeout: Duration::from_millis(500),
            retries: 3,
            start_period: Duration::from_secs(10),
            start_interval: Duration::from_secs(1),
        };
        assert_eq!(validate_healthcheck(&h), Ok(()));
    }

    #[test]
    fn names_the_wrong_field() {
        let test = |t: &[&str]| HealthCheck {
            test: t.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        let f = "spec.task.container.healthcheck";
        assert_eq!(field_of(test(&["CMD-SHELL"])), format!("{f}.test"));
        assert_eq!(field_of(test(&["CMD-SHELL", " "])), format!("{f}.test"));
        assert_eq!(
            field_of(test(&["CMD-SHELL", "a", "b"])),
            format!("{f}.test")
        );
        assert_eq!(field_of(test(&["CMD"])), format!("{f}.test"));
        assert_eq!(field_of(test(&["NONE", "x"])), format!("{f}.test"));
        let long = HealthCheck {
            start_interval: Duration::from_secs(25 * 3600),
            ..Default::default()
        };
        assert_eq!(field_of(long), format!("{f}.start_interval"));
        assert_eq!(field_of(test(&["curl", "x"])), format!("{f}.test"));
        let mut h = test(&["CMD", "true"]);
        h.interval = Duration::from_micros(10);
        assert_eq!(field_of(h.clone()), format!("{f}.interval"));
        h.interval = Duration::ZERO;
        h.timeout = Duration::from_secs(2 * 24 * 3600);
        assert_eq!(field_of(h.clone()), format!("{f}.timeout"));
        h.timeout = Duration::ZERO;
        h.retries = MAX_RETRIES + 1;
        assert_eq!(field_of(h), format!("{f}.retries"));
        let mut off = HealthCheck::disabled();
        off.retries = 2;
        assert_eq!(field_of(off), f);
    }
}
