//! Leader-only controllers. Each is a pure planner (`plan(state, now) -> actions`) plus the
//! shared [`driver`] that feeds it store events, coalesces them, writes its actions through
//! Raft and retries with backoff. They never call each other: they meet in the store.
//! [`supervise`] restarts one that panics, so a bad object cannot stop reconciliation.

pub mod driver;
pub mod global;
pub mod jobs;
pub mod orchestrator;
pub mod reaper;
pub mod rebalance;
pub mod replicated;
pub mod rollout;
pub mod scheduler;
pub mod supervise;
mod task_factory;

pub use driver::{Controller, Plan, WholeState, drive};
pub use supervise::supervise;

#[cfg(test)]
pub(crate) mod tests;
