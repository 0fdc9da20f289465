//! A node must satisfy every placement constraint of the task; the first one it fails is
//! the reason given.

use super::super::{demand::Demand, node_info::NodeInfo};

pub fn matches_constraints(d: &Demand, n: &NodeInfo) -> Result<(), String> {
    match d.constraints.iter().find(|c| !c.matches(n.node)) {
        None => Ok(()),
        Some(c) => Err(format!("not matching constraint {c}")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use shoal_api::Role;

    #[test]
    fn names_the_first_constraint_a_node_fails() {
        let t = new_task(|t| {
            t.spec.placement.constraints = vec![
                "node.role==worker".into(),
                "node.labels.zone == east".into(),
            ];
        });
        let mut east = ready("a");
        east.spec.labels.insert("zone".into(), "east".into());
        assert_eq!(run(matches_constraints, &t, &east), Ok(()));
        let mut manager = east.clone();
        manager.role = Role::Manager;
        assert_eq!(
            run(matches_constraints, &t, &manager),
            Err("not matching constraint node.role==worker".into())
        );
        assert_eq!(
            run(matches_constraints, &t, &ready("b")),
            Err("not matching constraint node.labels.zone==east".into())
        );
        assert_eq!(
            run(matches_constraints, &new_task(|_| {}), &ready("b")),
            Ok(())
        );
    }
}
