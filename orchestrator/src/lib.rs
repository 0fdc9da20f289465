//! The Shoal manager: a Raft-replicated store, leader-only controllers, the dispatcher that
//! talks to agents, and the REST API. `shoald` is a thin wrapper over [`daemon::run`].
//!
//! Data moves in one direction only, and every piece meets the others in the store:
//!
//! ```text
//! shoalctl / REST --> http handler --validate--> raft client_write (Command)
//!     --> every manager's state machine applies it --> store emits events
//!     --> leader-only controllers plan and write back through raft
//!     --> dispatcher streams assignments --> agents run containers
//!     --> agents report status --> dispatcher batches it into raft --> store events ...
//! ```
//!
//! - [`http`]: the REST API, by who calls it: the control API for users, the endpoints nodes
//!   call for themselves (dispatcher session, join, CA), and the Raft transport between
//!   managers. A handler validates, then reads the store or proposes a write; a follower
//!   relays writes to the leader, so any manager can be asked.
//! - [`raft`]: consensus (openraft over one redb file per manager). [`raft::Writer`] is the
//!   one way to propose a batch of actions; the state machine applies committed commands to
//!   the store, identically on every manager.
//! - [`store`]: the replicated state in memory, the only state components share. It refuses
//!   writes that break the task model (a backward state move, a stale version) and emits an
//!   event per commit; a controller gets a snapshot and a subscription that starts exactly
//!   after it. It also keeps a short history of events for `GET /v1/events?since=`.
//! - [`leader`]: starts the leader-only components when this manager leads (and has applied
//!   everything committed before), and stops them the moment it no longer does.
//! - [`controllers`]: level-triggered reconcilers (orchestrators per service mode, rolling
//!   updates, scheduler, reaper, rebalancing), each a pure planner plus a shared driver, so
//!   the decisions are unit-tested without Raft or Docker.
//! - [`dispatcher`]: the leader's side of agent sessions: heartbeats (kept in memory; only
//!   up/down transitions are written), assignment streams, batched status writes, and the
//!   log broker that relays container output to readers.
//! - [`pki`] and [`identity`]: the cluster CA, node certificates and their renewal (which is
//!   also how a node learns it was promoted or demoted), and the node's identity on disk.
//! - [`daemon`]: the node as a whole: opens the data dir, joins or creates a cluster, and runs
//!   the node as a manager (all of the above plus its own agent) or as a worker (an agent),
//!   restarting in place when its role changes.
//! - [`telemetry`]: Prometheus figures, counted where events happen or read at scrape time.

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
