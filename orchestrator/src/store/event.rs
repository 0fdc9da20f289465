//! Store events: what changed in one applied command. Controllers subscribe, mark the ids they
//! care about as dirty and reconcile; they never trust an event as the whole truth.

use shoal_api::{Cluster, Node, Service, Task};

#[allow(clippy::large_enum_variant)] // a whole object per change, by design
#[derive(Clone, Debug)]
pub enum Object {
    Cluster(Cluster),
    Node(Node),
    Service(Service),
    Task(Task),
}

#[derive(Clone, Debug)]
pub enum Change {
    Created(Object),
    Updated(Object),
    /// Carries the object as it was before deletion.
    Deleted(Object),
}

impl Change {
    pub fn object(&self) -> &Object {
        match self {
            Change::Created(o) | Change::Updated(o) | Change::Deleted(o) => o,
        }
    }
}

/// Everything one Raft apply changed, sent once per apply batch.
#[derive(Clone, Debug)]
pub enum Event {
    /// Changes committed at log `index`.
    Commit { index: u64, changes: Vec<Change> },
    /// The whole state was replaced (snapshot installed): resync everything.
    Reset,
}
