//! The Docker labels that tie a container to its task (DESIGN §2). They are the ground truth
//! an agent adopts containers by after a restart.

pub const SERVICE_ID: &str = "shoal.service.id";
pub const SERVICE_NAME: &str = "shoal.service.name";
pub const TASK_ID: &str = "shoal.task.id";
pub const TASK_SLOT: &str = "shoal.task.slot";
pub const NODE_ID: &str = "shoal.node.id";
