//! What one task asks of a node, parsed once per task: its constraints, reservations,
//! per-node cap and spread preferences.

use shoal_api::Task;
use shoal_api::placement::{Constraint, NodeKey, parse_spread};

pub struct Demand<'a> {
    pub task: &'a Task,
    pub constraints: Vec<Constraint>,
    pub spread: Vec<NodeKey>,
    pub nano_cpus: u64,
    pub memory: u64,
    /// 0: no limit.
    pub max_per_node: u64,
}

impl<'a> Demand<'a> {
    /// Fails (with the message the task stays pending with) only for a spec that validation
    /// would have refused.
    pub fn of(task: &'a Task) -> Result<Demand<'a>, String> {
        let p = &task.spec.placement;
        let constraints = Constraint::parse_all(&p.constraints)
            .map_err(|(i, e)| format!("invalid placement constraint {i}: {e}"))?;
        let spread = p
            .preferences
            .iter()
            .map(|pref| parse_spread(&pref.spread))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("invalid placement preference: {e}"))?;
        let r = &task.spec.resources.reservations;
        Ok(Demand {
            task,
            constraints,
            spread,
            nano_cpus: r.nano_cpus(),
            memory: r.memory,
            max_per_node: p.max_replicas_per_node,
        })
    }
}
