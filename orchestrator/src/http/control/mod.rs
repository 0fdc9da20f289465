//! The control API, for users: shoalctl, scripts and scrapers holding a client bundle (or
//! anyone on the owner-only control socket). Objects are resolved by id, name or unique id
//! prefix ([`resolve`]); writes go through Raft on the leader, and followers relay them there
//! (`http::forward`). The event stream and metrics are answered by the manager asked.

pub(super) mod cluster;
pub(super) mod event_lines;
pub(super) mod events;
pub(super) mod metrics_route;
pub(super) mod node_roles;
pub(super) mod nodes;
pub mod openapi;
mod resolve;
pub(super) mod service_logs;
pub(super) mod services;
pub(super) mod tasks;
