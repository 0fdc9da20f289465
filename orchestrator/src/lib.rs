//! The Shoal manager: a Raft-replicated store, leader-only controllers, the dispatcher that
//! talks to agents, and the REST API. `shoald` is a thin wrapper over [`daemon::run`].

pub mod controllers;
pub mod daemon;
pub mod dispatcher;
pub mod http;
pub mod identity;
pub mod leader;
pub mod pki;
pub mod raft;
pub mod store;
pub mod telemetry;
