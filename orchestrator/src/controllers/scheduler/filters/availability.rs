//! Only ready, active nodes take new tasks (not down, paused or drained ones).

use super::super::{demand::Demand, node_info::NodeInfo};

pub fn ready_and_active(_: &Demand, n: &NodeInfo) -> Result<(), String> {
    if n.node.is_schedulable() {
        Ok(())
    } else {
        Err("not available".into())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use shoal_api::{Availability, NodeState};

    #[test]
    fn refuses_down_paused_and_drained_nodes() {
        let t = new_task(|_| {});
        assert_eq!(run(ready_and_active, &t, &ready("a")), Ok(()));
        for (state, availability) in [
            (NodeState::Down, Availability::Active),
            (NodeState::Ready, Availability::Pause),
            (NodeState::Ready, Availability::Drain),
        ] {
            let mut n = ready("a");
            n.status.state = state;
            n.spec.availability = availability;
            assert_eq!(
                run(ready_and_active, &t, &n),
                Err("not available".to_string())
            );
        }
    }
}
