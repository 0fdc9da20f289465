//! One module per command group, each a clap definition plus what its commands do: fetch
//! through `crate::client`, turn flags into specs with `crate::flags`, and show the result
//! with `crate::render` (or follow it with `crate::progress`).

pub mod cluster;
pub mod completion;
pub mod events;
pub mod logs;
pub mod manifest;
pub mod node;
pub mod service;
pub mod stack;
pub mod task;
pub mod version;
