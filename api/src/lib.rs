//! Shared types of Shoal, with no I/O: typed ids, the stored objects (cluster, node, service,
//! task) and their specs, the REST and agent<->manager messages, and spec validation. Every
//! other crate speaks in these types, so the JSON a user sees is exactly what is stored.

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
