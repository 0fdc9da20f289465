//! `--replicas-max-per-node`: a node already running that many tasks of the service takes
//! no more of them.

use super::super::{demand::Demand, node_info::NodeInfo};

pub fn below_max_per_node(d: &Demand, n: &NodeInfo) -> Result<(), String> {
    let max = d.max_per_node;
    if max == 0 || (n.tasks_of(&d.task.service_id) as u64) < max {
        Ok(())
    } else {
        Err(format!("at max replicas per node ({max})"))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::controllers::scheduler::demand::Demand;
    use shoal_api::{ServiceId, TaskState};

    #[test]
    fn counts_only_running_tasks_of_the_same_service() {
        let n = ready("a");
        let t = new_task(|t| t.spec.placement.max_replicas_per_node = 1);
        let d = Demand::of(&t).unwrap();
        let mut info = NodeInfo::new(&n);
        assert_eq!(below_max_per_node(&d, &info), Ok(()));

        let mut other = t.clone();
        other.service_id = ServiceId("svc-other".into());
        other.status.state = TaskState::Running;
        info.add(&other);
        let mut old = t.clone();
        old.status.state = TaskState::Running;
        old.desired_state = TaskState::Shutdown;
        info.add(&old);
        assert_eq!(
            below_max_per_node(&d, &info),
            Ok(()),
            "other services and tasks being stopped do not count"
        );

        let mut same = t.clone();
        same.status.state = TaskState::Running;
        info.add(&same);
        assert_eq!(
            below_max_per_node(&d, &info),
            Err("at max replicas per node (1)".into())
        );
        let unlimited = new_task(|_| {});
        assert_eq!(
            below_max_per_node(&Demand::of(&unlimited).unwrap(), &info),
            Ok(())
        );
    }
}
