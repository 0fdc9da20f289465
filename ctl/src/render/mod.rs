//! What the user sees: the `-o table|json|yaml` choice and its text helpers (`output`),
//! column tables, the task table, `inspect` views (`details`, `service`), event lines and
//! relative times. JSON and YAML print objects as the server sent them; tables and views
//! are ours.

pub mod details;
pub mod event;
pub mod output;
pub mod reltime;
pub mod service;
pub mod table;
pub mod task_table;
