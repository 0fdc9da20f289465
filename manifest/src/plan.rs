//! What applying manifests would do to the services that exist: create the missing ones,
//! update the changed ones, leave the rest. Services are matched by exact name. Two rules
//! keep "make it so" safe:
//! - a service keeps its kind (replicated, global, job), the server's own rule
//!   (`validate_service_update`): delete it first;
//! - `task.force_update` (bumped by `service update --force`) never goes down: a file that
//!   leaves it out keeps the current counter, and a higher value redeploys.

use crate::diff::{Change, diff};
use crate::parse::{Manifest, ManifestError};
use shoal_api::validate::validate_service_update;
use shoal_api::{Service, ServiceSpec};

#[derive(Debug)]
pub enum Action {
    Create,
    Update {
        current: Box<Service>,
        changes: Vec<Change>,
    },
    Unchanged {
        current: Box<Service>,
    },
}

/// One service of the manifests and what apply does with it.
#[derive(Debug)]
pub struct Planned {
    /// The spec to store (the file's, with the counters kept).
    pub desired: ServiceSpec,
    pub action: Action,
}

impl Planned {
    pub fn name(&self) -> &str {
        &self.desired.name
    }

    /// Lines of `shoalctl diff`: `+ web (new service)`, `~ web: path: old -> new` per change,
    /// `= web (unchanged)`.
    pub fn render(&self) -> Vec<String> {
        let name = self.name();
        match &self.action {
            Action::Create => vec![format!("+ {name} (new service)")],
            Action::Unchanged { .. } => vec![format!("= {name} (unchanged)")],
            Action::Update { changes, .. } => changes
                .iter()
                .map(|c| format!("~ {name}: {}", c.render()))
                .collect(),
        }
    }
}

/// Plans every manifest against the `current` services; refuses (all or nothing) what apply
/// could not do.
pub fn plan(
    manifests: Vec<Manifest>,
    current: &[Service],
) -> Result<Vec<Planned>, Vec<ManifestError>> {
    let mut planned = Vec::new();
    let mut errors = Vec::new();
    for manifest in manifests {
        let mut desired = manifest.spec.clone();
        let Some(existing) = current.iter().find(|s| s.spec.name == desired.name) else {
            planned.push(Planned {
                desired,
                action: Action::Create,
            });
            continue;
        };
        if let Err(e) = validate_service_update(&existing.spec, &desired) {
            errors.push(manifest.error_at(&e.field, e.message));
            continue;
        }
        desired.task.force_update = desired
            .task
            .force_update
            .max(existing.spec.task.force_update);
        let changes = match diff("spec", &existing.spec, &desired) {
            Ok(changes) => changes,
            Err(e) => {
                errors.push(manifest.error_at("spec", format!("cannot compare: {e}")));
                continue;
            }
        };
        let current = Box::new(existing.clone());
        let action = if changes.is_empty() {
            Action::Unchanged { current }
        } else {
            Action::Update { current, changes }
        };
        planned.push(Planned { desired, action });
    }
    if errors.is_empty() {
        Ok(planned)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Source, parse_all};
    use shoal_api::ServiceMode;
    use shoal_api::fixtures::service;

    fn manifests(text: &str) -> Vec<Manifest> {
        parse_all(&[Source {
            name: "m.yaml".into(),
            text: text.into(),
        }])
        .unwrap()
    }

    const WEB_AND_API: &str = "\
name: web
task: {container: {image: 'nginx:1'}}
mode: {replicated: {replicas: 2}}
---
name: api
task: {container: {image: 'nginx:1'}}
";

    fn rendered(planned: &[Planned]) -> Vec<String> {
        planned.iter().flat_map(Planned::render).collect()
    }

    #[test]
    fn creates_the_missing_updates_the_changed_and_leaves_the_rest() {
        let p = plan(manifests(WEB_AND_API), &[service("web", 3)]).unwrap();
        assert_eq!(
            rendered(&p),
            [
                "~ web: spec.mode.replicated.replicas: 3 -> 2",
                "+ api (new service)"
            ]
        );
        let p = plan(
            manifests(WEB_AND_API),
            &[service("web", 2), service("api", 1)],
        )
        .unwrap();
        assert_eq!(rendered(&p), ["= web (unchanged)", "= api (unchanged)"]);
    }

    #[test]
    fn keeps_the_force_update_counter_unless_the_file_raises_it() {
        let mut web = service("web", 2);
        web.spec.task.force_update = 4;
        let p = plan(manifests(WEB_AND_API), &[web.clone()]).unwrap();
        assert!(matches!(p[0].action, Action::Unchanged { .. }));
        assert_eq!(p[0].desired.task.force_update, 4);
        let raised = WEB_AND_API.replace("'nginx:1'}}\nmode", "'nginx:1'}, force_update: 5}\nmode");
        let p = plan(manifests(&raised), &[web]).unwrap();
        assert_eq!(rendered(&p)[0], "~ web: spec.task.force_update: 4 -> 5");
    }

    #[test]
    fn refuses_to_change_the_kind_of_a_service() {
        let mut web = service("web", 2);
        web.spec.mode = ServiceMode::Global {};
        let e = plan(manifests(WEB_AND_API), &[web]).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(
            e[0].to_string(),
            "m.yaml:3:7: mode: web is a global service and cannot become replicated: \
             delete it first (shoalctl service rm web)"
        );
    }
}
