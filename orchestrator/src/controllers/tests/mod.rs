//! Unit tests of the pure planners, on hand-built states.

mod fixtures;
mod reaper_plan;
mod replicated_plan;
mod rollout_invariants;
mod rollout_plan;
mod scheduler_plan;
mod scheduler_ports_plan;
