//! What nodes call for themselves, each authenticated by its node certificate: the agent's
//! dispatcher session ([`agent`]: register, heartbeat, assignments, status, logs), joining
//! the cluster with a token ([`join`]), and the CA (root certificate, renewal) ([`ca`]).

pub(super) mod agent;
pub(super) mod ca;
pub(super) mod join;
