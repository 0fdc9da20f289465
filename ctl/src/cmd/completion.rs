//! `shoalctl completion bash|zsh|fish|...`: prints the shell's completion script for the whole
//! command tree (clap_complete). It needs no server.

use anyhow::Result;
use clap_complete::Shell;

pub fn run(shell: Shell, mut cmd: clap::Command) -> Result<()> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "shoalctl", &mut out);
    crate::render::output::print_out(&String::from_utf8_lossy(&out))
}
