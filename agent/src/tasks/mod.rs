//! The tasks assigned to this node: the [`Worker`] turns each assignment message from the
//! session into one runner per task (`worker`), and each runner drives its task's container
//! through the executor and reports every state it reaches (`runner`).

mod runner;
mod worker;

pub(crate) use worker::Worker;
