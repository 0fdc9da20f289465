//! Host-mode published ports: a node where another task already holds one of the task's
//! host ports (port and protocol) is refused. A task holds its ports on its node while it is
//! desired running and has not stopped (as in SwarmKit: a stop-first replacement starts only
//! once its predecessor stopped, so it can bind them).

use super::super::{demand::Demand, node_info::NodeInfo};

pub fn host_ports_free(d: &Demand, n: &NodeInfo) -> Result<(), String> {
    let taken: Vec<String> = d
        .task
        .spec
        .container
        .ports
        .iter()
        .map(|p| p.host_port())
        .filter(|p| n.ports.contains(p))
        .map(|p| p.to_string())
        .collect();
    match taken.len() {
        0 => Ok(()),
        1 => Err(format!("host port {} in use", taken[0])),
        _ => Err(format!("host ports {} in use", taken.join(", "))),
    }
}
