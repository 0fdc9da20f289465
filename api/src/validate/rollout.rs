//! Checks of the update and rollback configs and the restart policy.

use super::{ValidationError, err};
use crate::restart::RestartPolicy;
use crate::rollout::{FailureAction, UpdateConfig};
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// `which` is `update` or `rollback`.
pub fn validate_update_config(which: &str, u: &UpdateConfig) -> Result<(), ValidationError> {
    let field = |f: &str| format!("spec.{which}.{f}");
    if !(u.max_failure_ratio.is_finite() && (0.0..=1.0).contains(&u.max_failure_ratio)) {
        return Err(err(
            &field("max_failure_ratio"),
            "max_failure_ratio must be between 0 and 1",
        ));
    }
    if u.monitor > HOUR {
        return Err(err(&field("monitor"), "monitor must be at most 1h"));
    }
    if u.delay > DAY {
        return Err(err(&field("delay"), "delay must be at most 24h"));
    }
    if which == "rollback" && u.failure_action == FailureAction::Rollback {
        return Err(err(
            &field("failure_action"),
            "a rollback cannot itself roll back: use pause or continue",
        ));
    }
    Ok(())
}

pub fn validate_restart(r: &RestartPolicy) -> Result<(), ValidationError> {
    if r.delay > DAY {
        return Err(err("spec.task.restart.delay", "delay must be at most 24h"));
    }
    if r.window > 30 * DAY {
        return Err(err(
            "spec.task.restart.window",
            "window must be at most 30 days",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_the_rollback_of_a_rollback_are_refused() {
        let mut u = UpdateConfig::default();
        assert_eq!(validate_update_config("update", &u), Ok(()));
        u.max_failure_ratio = 1.5;
        assert_eq!(
            validate_update_config("update", &u).unwrap_err().field,
            "spec.update.max_failure_ratio"
        );
        u.max_failure_ratio = f64::NAN;
        assert!(validate_update_config("update", &u).is_err());
        u.max_failure_ratio = 0.5;
        u.failure_action = FailureAction::Rollback;
        assert_eq!(validate_update_config("update", &u), Ok(()));
        assert_eq!(
            validate_update_config("rollback", &u).unwrap_err().field,
            "spec.rollback.failure_action"
        );
    }
}
