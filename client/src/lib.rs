//! The client side of Shoal's wire: everything that talks HTTP to a manager, so the CLI, the
//! benches, the end-to-end tests, the agent and the managers themselves share one
//! implementation instead of each building their own.
//!
//! Two layers, the lower one first:
//!
//! - **The network layer** that nodes and users share. [`tls`] holds the names certificates
//!   carry, the CA digest a join token pins, rustls client configurations that accept only
//!   managers of the cluster CA, and [`tls::Bundle`], a certificate with its key and CA as
//!   files on disk. [`node_http::HttpClients`] is a node's mTLS client to the managers,
//!   swapped in place when its certificate is renewed: the agent's session, the managers'
//!   Raft transport, request forwarding and renewal all use it. [`paths`] is where a node
//!   keeps its data by default, which is how `shoalctl` finds the local control socket.
//! - **The REST client** for the control API. An [`Endpoint`] (`unix:///…/control.sock` or
//!   `https://host:port` with a client bundle) gives a [`Client`], whose calls return the
//!   server's JSON as it was sent ([`OrderedJson`], key order kept for `-o json`) and turn
//!   every failure into a [`ClientError`] that names what to do. On top of it:
//!   [`stream::follow`] reads newline-delimited streams (events, logs), [`write`](mod@write) changes a
//!   service with optimistic concurrency (read, change, write with the version read, retry on
//!   409), and [`converge::follow`] watches a service until its tasks run the new spec.
//!
//! A request flows: caller -> `Client::get/post/delete` -> reqwest over the socket or mTLS ->
//! shoald -> JSON or `{"error":{code,message,field}}` -> `OrderedJson` or `ApiError`.

pub mod converge;
pub mod endpoint;
pub mod json;
pub mod node_http;
pub mod paths;
pub mod rest;
pub mod stream;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tls;
pub mod write;

pub use endpoint::Endpoint;
pub use json::OrderedJson;
pub use node_http::HttpClients;
pub use rest::{ApiError, Client, ClientError, typed};
