//! A node must have the task's reserved CPU and memory free: its capacity minus what the
//! tasks already there reserve.

use super::super::{demand::Demand, node_info::NodeInfo};

pub fn enough_resources(d: &Demand, n: &NodeInfo) -> Result<(), String> {
    let cpu = d.nano_cpus > n.free_nano_cpus();
    let memory = d.memory > n.free_memory();
    match (cpu, memory) {
        (false, false) => Ok(()),
        (true, false) => Err("insufficient cpu".into()),
        (false, true) => Err("insufficient memory".into()),
        (true, true) => Err("insufficient cpu and memory".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::controllers::scheduler::demand::Demand;
    use shoal_api::TaskState;

    const GIB: u64 = 1 << 30;

    #[test]
    fn counts_what_other_unfinished_tasks_reserve() {
        let mut n = ready("a");
        n.description.cpus = 2;
        n.description.memory_bytes = 4 * GIB;
        let want = |cpus: f64, memory: u64| {
            new_task(|t| {
                t.spec.resources.reservations.cpus = cpus;
                t.spec.resources.reservations.memory = memory;
            })
        };
        let fits = want(1.5, 3 * GIB);
        assert_eq!(run(enough_resources, &fits, &n), Ok(()));
        assert_eq!(run(enough_resources, &want(0.0, 0), &n), Ok(()));

        let mut info = NodeInfo::new(&n);
        let mut placed = want(1.0, 2 * GIB);
        placed.status.state = TaskState::Running;
        info.add(&placed);
        let check = |t: &shoal_api::Task| enough_resources(&Demand::of(t).unwrap(), &info);
        assert_eq!(check(&want(1.0, 2 * GIB)), Ok(()), "exactly what is left");
        assert_eq!(
            check(&want(0.5, 3 * GIB)),
            Err("insufficient memory".into())
        );
        assert_eq!(check(&want(1.5, GIB)), Err("insufficient cpu".into()));
        assert_eq!(
            check(&want(2.0, 4 * GIB)),
            Err("insufficient cpu and memory".into())
        );

        let mut finished = placed.clone();
        finished.status.state = TaskState::Complete;
        let mut info = NodeInfo::new(&n);
        info.add(&finished);
        assert_eq!(
            enough_resources(&Demand::of(&fits).unwrap(), &info),
            Ok(()),
            "a finished task frees its reservation"
        );
    }
}
