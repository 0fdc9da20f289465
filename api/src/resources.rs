//! CPU and memory a task reserves (checked by the scheduler against what each node has) and
//! the limits its container gets from Docker.

use crate::size::serde_humane;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// Held for the task on its node: the scheduler places it only where this is free.
    #[serde(default, skip_serializing_if = "Amounts::is_zero")]
    pub reservations: Amounts,
    /// Enforced by Docker on the container.
    #[serde(default, skip_serializing_if = "Amounts::is_zero")]
    pub limits: Amounts,
}

impl Resources {
    pub fn is_empty(&self) -> bool {
        self.reservations.is_zero() && self.limits.is_zero()
    }
}

/// An amount of CPU and memory; zero means none (no reservation, no limit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amounts {
    /// CPUs, fractions allowed (`0.5`).
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub cpus: f64,
    /// Bytes, written humanely (`512MiB`).
    #[serde(default, with = "serde_humane", skip_serializing_if = "is_zero_u64")]
    pub memory: u64,
}

fn is_zero_f64(v: &f64) -> bool {
    *v == 0.0
}

fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}

impl Amounts {
    pub fn is_zero(&self) -> bool {
        self.cpus == 0.0 && self.memory == 0
    }

    /// CPUs in billionths, as Docker and the scheduler count them.
    pub fn nano_cpus(&self) -> u64 {
        (self.cpus * 1e9).round() as u64
    }
}
