//! Where a node keeps its data by default. `shoald` and `shoalctl` share this rule so that
//! `shoalctl` finds the local control socket without flags.

use std::path::PathBuf;

/// `$SHOAL_DATA_DIR`, else `/var/lib/shoal` for root, else `$HOME/.local/share/shoal`.
pub fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("SHOAL_DATA_DIR") {
        return PathBuf::from(d);
    }
    let is_root = std::env::var("USER").map(|u| u == "root").unwrap_or(false)
        || std::env::var_os("HOME").is_some_and(|h| h == "/root");
    if is_root {
        return PathBuf::from("/var/lib/shoal");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".local/share/shoal"),
        None => PathBuf::from("/var/lib/shoal"),
    }
}

/// The control socket inside a data dir.
pub fn control_socket(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("control.sock")
}
