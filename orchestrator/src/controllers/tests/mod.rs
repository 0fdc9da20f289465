//! Unit tests of the pure planners, on hand-built states.

pub(crate) mod fixtures;
mod modes_plan;
mod reaper_plan;
mod replicated_plan;
mod rollout_invariants;
mod rollout_plan;
mod scheduler_plan;
mod scheduler_ports_plan;
