//! Compose files, as `docker stack deploy` reads them: `model` is the format as typed data,
//! `interpolate` replaces `${VARIABLE}`s in the parsed YAML (from the environment and a
//! `.env` file, read by `dotenv`, as are `env_file`s), `load` reads, checks and merges the
//! files of a stack (errors placed, unsupported keys named in warnings), and `convert` turns each Compose service into a Shoal service spec
//! without I/O. The result is a list of `Manifest`s, planned like native manifests.

pub mod convert;
pub mod dotenv;
pub mod interpolate;
pub mod load;
pub mod model;

pub use convert::NAMESPACE_LABEL;
pub use load::{Stack, Variables, load_stack, read_env_file};
