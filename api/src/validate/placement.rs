//! Checks of the placement (constraints, spread preferences) and of resource reservations
//! and limits.

use super::{ValidationError, err};
use crate::placement::{Constraint, Placement, parse_spread};
use crate::resources::{Amounts, Resources};

/// Docker refuses a memory limit below this.
pub const MIN_MEMORY_LIMIT: u64 = 6 << 20;
/// Far beyond any machine, low enough to catch a typo.
const MAX_CPUS: f64 = 4096.0;

pub fn validate_placement(p: &Placement) -> Result<(), ValidationError> {
    if let Err((i, e)) = Constraint::parse_all(&p.constraints) {
        return Err(err(&format!("spec.task.placement.constraints[{i}]"), e));
    }
    for (i, pref) in p.preferences.iter().enumerate() {
        parse_spread(&pref.spread)
            .map_err(|e| err(&format!("spec.task.placement.preferences[{i}].spread"), e))?;
    }
    Ok(())
}

pub fn validate_resources(r: &Resources) -> Result<(), ValidationError> {
    for (which, a) in [("reservations", &r.reservations), ("limits", &r.limits)] {
        validate_amounts(which, a)?;
    }
    let limit = &r.limits;
    if limit.memory > 0 && limit.memory < MIN_MEMORY_LIMIT {
        return Err(err(
            "spec.task.resources.limits.memory",
            "a memory limit must be at least 6MiB",
        ));
    }
    if limit.memory > 0 && r.reservations.memory > limit.memory {
        return Err(err(
            "spec.task.resources.reservations.memory",
            "the memory reservation must not exceed the memory limit",
        ));
    }
    if limit.cpus > 0.0 && r.reservations.cpus > limit.cpus {
        return Err(err(
            "spec.task.resources.reservations.cpus",
            "the CPU reservation must not exceed the CPU limit",
        ));
    }
    Ok(())
}

fn validate_amounts(which: &str, a: &Amounts) -> Result<(), ValidationError> {
    if !(a.cpus.is_finite() && (0.0..=MAX_CPUS).contains(&a.cpus)) {
        return Err(err(
            &format!("spec.task.resources.{which}.cpus"),
            format!("cpus must be between 0 and {MAX_CPUS}"),
        ));
    }
    if a.cpus > 0.0 && a.nano_cpus() == 0 {
        return Err(err(
            &format!("spec.task.resources.{which}.cpus"),
            "cpus must be at least 0.000000001",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placement::Preference;

    #[test]
    fn constraint_errors_name_the_index() {
        let p = Placement {
            constraints: vec!["node.role==worker".into(), "node.lables.zone==east".into()],
            ..Default::default()
        };
        let e = validate_placement(&p).unwrap_err();
        assert_eq!(e.field, "spec.task.placement.constraints[1]");
        assert_eq!(
            e.message,
            "unknown key node.lables.zone, did you mean node.labels.zone?"
        );
        let p = Placement {
            preferences: vec![Preference {
                spread: "node.role".into(),
            }],
            ..Default::default()
        };
        let e = validate_placement(&p).unwrap_err();
        assert_eq!(e.field, "spec.task.placement.preferences[0].spread");
    }

    #[test]
    fn resources_must_be_sane_and_reservations_within_limits() {
        let amounts = |cpus, memory| Amounts { cpus, memory };
        let ok = Resources {
            reservations: amounts(0.5, 64 << 20),
            limits: amounts(1.0, 128 << 20),
        };
        assert_eq!(validate_resources(&ok), Ok(()));
        for (r, field) in [
            (
                Resources {
                    reservations: amounts(-1.0, 0),
                    ..Default::default()
                },
                "spec.task.resources.reservations.cpus",
            ),
            (
                Resources {
                    limits: amounts(f64::NAN, 0),
                    ..Default::default()
                },
                "spec.task.resources.limits.cpus",
            ),
            (
                Resources {
                    limits: amounts(0.0, 1 << 20),
                    ..Default::default()
                },
                "spec.task.resources.limits.memory",
            ),
            (
                Resources {
                    reservations: amounts(0.0, 256 << 20),
                    limits: amounts(0.0, 128 << 20),
                },
                "spec.task.resources.reservations.memory",
            ),
            (
                Resources {
                    reservations: amounts(2.0, 0),
                    limits: amounts(1.0, 0),
                },
                "spec.task.resources.reservations.cpus",
            ),
        ] {
            assert_eq!(validate_resources(&r).unwrap_err().field, field, "{r:?}");
        }
    }
}
