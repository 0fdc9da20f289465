//! Shoal's desired state as files: native manifests (`shoalctl apply | diff | delete -f`)
//! and Compose files (`shoalctl stack deploy -c`), read into service specs and planned
//! against the services a cluster already has. No I/O beyond reading the files, no
//! command line and no HTTP: the caller fetches the current services and writes the plan.
//!
//! # Layout
//!
//! A file flows through the modules in this order:
//!
//! * `locate`: where a field path sits in a YAML document, as line and column. It exists
//!   because yaml_serde's `Value` forgets positions; every error below is placed with it.
//!
//! * `load`: the files that `-f`/`-c` name (a file, a directory's YAML files, or stdin) as
//!   [`Source`]s, named so errors can say which file.
//!
//! * `parse`: native manifests, every document of every source parsed and validated before
//!   anything else happens, each problem a [`ManifestError`] at `file:line:col`; `suggest`
//!   turns serde's "unknown field" into "did you mean ...?".
//!
//! * `compose`: the Compose format as typed data (`model`), `${VARIABLE}`s interpolated on
//!   the parsed YAML (`interpolate`, with `.env` and `env_file` files read by `dotenv`),
//!   files read, checked and merged into a stack (`load`), each Compose service converted to a Shoal spec (`convert`, with
//!   `shell_split` for string commands). A stack's services come out as the same
//!   [`Manifest`]s as native files, so everything after this is shared.
//!
//! * `plan`: what applying the manifests would do to the current services (create, update,
//!   leave), refusing what apply could not do, all or nothing.
//!
//! * `diff`: the field-by-field changes a planned update carries, for `shoalctl diff` and
//!   apply's report.

pub mod compose;
pub mod diff;
pub mod load;
pub mod locate;
pub mod parse;
pub mod plan;
pub mod shell_split;
pub mod suggest;

pub use compose::{NAMESPACE_LABEL, Stack, Variables, load_stack, read_env_file};
pub use diff::{Change, diff};
pub use load::{LoadError, load};
pub use locate::Position;
pub use parse::{Manifest, ManifestError, Source, parse_all};
pub use plan::{Action, Planned, plan};
