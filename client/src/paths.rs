//! Where a node keeps its data by default. `shoald` and `shoalctl` share this rule so that
//! `shoalctl` finds the local control socket without flags.

use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// Where a node keeps its state unless told otherwise: `$SHOAL_DATA_DIR` if set, else
/// `/var/lib/shoal` when running as root, else `$HOME/.local/share/shoal`.
///
/// shoald uses the same rule for its `--data-dir` default, which is what lets
/// `shoald` and `shoalctl` meet on `control.sock` with no configuration: change both together.
pub fn default_data_dir() -> PathBuf {
    choose_data_dir(
        std::env::var_os("SHOAL_DATA_DIR"),
        running_as_root(),
        std::env::var_os("HOME"),
    )
}

/// The rule of [`default_data_dir`], with its inputs passed in so it can be tested.
/// Without a usable `$HOME`, a non-root user falls back to the system directory too.
fn choose_data_dir(explicit: Option<OsString>, root: bool, home: Option<OsString>) -> PathBuf {
    if let Some(dir) = explicit.filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    match home.filter(|h| !h.is_empty()) {
        Some(home) if !root => PathBuf::from(home).join(".local/share/shoal"),
        _ => PathBuf::from("/var/lib/shoal"),
    }
}

/// `/proc/self` belongs to the effective user of this process: a safe way to ask "am I root?"
/// without libc (unsafe code is forbidden in this workspace).
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// The control socket inside a data dir.
pub fn control_socket(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("control.sock")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> Option<OsString> {
        Some(OsString::from(s))
    }

    #[test]
    fn explicit_dir_wins_over_everything() {
        assert_eq!(
            choose_data_dir(os("/srv/shoal"), true, os("/root")),
            PathBuf::from("/srv/shoal")
        );
        assert_eq!(
            choose_data_dir(os("/srv/shoal"), false, os("/home/ann")),
            PathBuf::from("/srv/shoal")
        );
    }

    #[test]
    fn root_uses_the_system_dir_and_users_their_home() {
        assert_eq!(
            choose_data_dir(None, true, os("/root")),
            PathBuf::from("/var/lib/shoal")
        );
        assert_eq!(
            choose_data_dir(None, false, os("/home/ann")),
            PathBuf::from("/home/ann/.local/share/shoal")
        );
    }

    #[test]
    fn empty_values_count_as_unset() {
        assert_eq!(
            choose_data_dir(os(""), false, os("/home/ann")),
            PathBuf::from("/home/ann/.local/share/shoal")
        );
        assert_eq!(
            choose_data_dir(None, false, os("")),
            PathBuf::from("/var/lib/shoal")
        );
    }
}
