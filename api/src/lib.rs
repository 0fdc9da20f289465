//! Shared types of Shoal, with no I/O: the vocabulary every other crate speaks, so the JSON a
//! user sees is exactly what is stored and what the agents are sent.
//!
//! - **Objects**, each `{id, meta{version, created_at, updated_at}, spec, status}` with a
//!   typed id ([`ids`], [`meta`]): the one [`cluster`], [`node`]s, [`service`]s and their
//!   [`task`]s. One writer per field: the user writes a spec, the orchestrator a task's
//!   desired state, the scheduler its node, the agent its status.
//! - **What a service asks for**, the parts of its spec: the [`container`] (with its
//!   [`health`] check and published [`ports`]), [`resources`], [`placement`], the [`restart`]
//!   policy and the [`rollout`] of updates and rollbacks. [`duration`] and [`size`] are the
//!   humane `10s` / `512MiB` values they are written in.
//! - **Messages that are not stored**: REST bodies ([`rest`]), the agent <-> dispatcher
//!   protocol ([`dispatch`]), the event stream ([`events`]) and relayed logs ([`logs`]).
//! - **[`validate`]**: the rules a spec must meet, and those for replacing a stored one (a
//!   service keeps its kind). The server enforces them on every write; the CLI and the
//!   manifest planner run the same functions for an early, file:line-placed message.
//!
//! `fixtures` (for tests, or with the `fixtures` feature) builds sample objects the way the
//! server returns them, shared by every crate's unit tests.

pub mod cluster;
pub mod container;
pub mod dispatch;
pub mod duration;
pub mod events;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod health;
pub mod ids;
pub mod logs;
pub mod meta;
pub mod node;
pub mod placement;
pub mod ports;
pub mod resources;
pub mod rest;
pub mod restart;
pub mod rollout;
pub mod service;
pub mod size;
pub mod task;
pub mod validate;

pub use cluster::*;
pub use container::*;
pub use health::HealthCheck;
pub use ids::*;
pub use meta::*;
pub use node::*;
pub use placement::{Placement, Preference};
pub use ports::{HostPort, PortConfig, Protocol};
pub use resources::{Amounts, Resources};
pub use restart::*;
pub use rollout::*;
pub use service::*;
pub use task::*;
