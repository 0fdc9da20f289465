//! From command-line flag values to what the server stores: parsers for single values
//! (`KEY=VALUE`, durations, sizes, mounts, ports, health checks, engine options), the flags of `service
//! create | update` and how both reduce to one spec change, and `events --filter`. No I/O,
//! and every error names the flag it came from.

pub mod event_filter;
pub mod health;
pub mod kv;
pub mod mount;
pub mod options;
pub mod publish;
pub mod service;
pub mod spec;
