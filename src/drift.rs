//! Where a deployment differs from a plan: every value the compose files set that the plan
//! says otherwise. `--check PLAN --compose …` reports each as a `drift` finding, `flowcap diff`
//! prints them as before → after.

use crate::plan::{Plan, Resources};
use crate::units::{Bytes, Cpus};

/// One value that differs, by its plan path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    /// What the deployment has now.
    pub deployed: String,
    /// What the plan wants.
    pub planned: String,
}

fn cpus(value: Option<Cpus>) -> String {
    value.map_or("none".into(), |c| c.to_string())
}

fn memory(value: Option<Bytes>) -> String {
    value.map_or("none".into(), |m| m.to_string())
}

struct Changes(Vec<Change>);

impl Changes {
    fn compare(&mut self, path: &str, deployed: String, planned: String) {
        if deployed != planned {
            self.0.push(Change { path: path.to_string(), deployed, planned });
        }
    }

    fn resources(&mut self, path: &str, deployed: &Resources, planned: &Resources) {
        self.compare(&format!("{path}.cpus"), cpus(deployed.cpus), cpus(planned.cpus));
        self.compare(&format!("{path}.memory"), memory(deployed.memory), memory(planned.memory));
    }
}

/// Every value the deployment sets differently from the plan. Settings compose files cannot
/// express (the host, the policy, the workload, connection headroom) are not compared.
pub fn compare(deployed: &Plan, planned: &Plan) -> Vec<Change> {
    let mut changes = Changes(Vec::new());
    let (d, p) = (deployed, planned);
    changes.compare("api.replicas", d.api.replicas.to_string(), p.api.replicas.to_string());
    changes.resources("api.limits", &d.api.limits, &p.api.limits);
    changes.resources("api.reservations", &d.api.reservations, &p.api.reservations);
    if let Some(shared) = p.api.shared_jwt_keys {
        let deployed_keys = d.api.shared_jwt_keys.map_or("unknown".into(), |s| s.to_string());
        changes.compare("api.shared_jwt_keys", deployed_keys, shared.to_string());
    }
    changes.compare("runtime.replicas", d.runtime.replicas.to_string(), p.runtime.replicas.to_string());
    changes.compare(
        "runtime.max_concurrent_executions",
        d.runtime.max_concurrent_executions.to_string(),
        p.runtime.max_concurrent_executions.to_string(),
    );
    changes.resources("runtime.limits", &d.runtime.limits, &p.runtime.limits);
    changes.resources("runtime.reservations", &d.runtime.reservations, &p.runtime.reservations);
    changes.compare("postgres.external", d.postgres.external.to_string(), p.postgres.external.to_string());
    changes.compare(
        "postgres.max_connections",
        d.postgres.max_connections.to_string(),
        p.postgres.max_connections.to_string(),
    );
    changes.compare(
        "postgres.superuser_reserved_connections",
        d.postgres.superuser_reserved_connections.to_string(),
        p.postgres.superuser_reserved_connections.to_string(),
    );
    if !p.postgres.external {
        changes.compare(
            "postgres.shared_buffers",
            d.postgres.shared_buffers.to_string(),
            p.postgres.shared_buffers.to_string(),
        );
        changes.resources("postgres.limits", &d.postgres.limits, &p.postgres.limits);
        changes.resources("postgres.reservations", &d.postgres.reservations, &p.postgres.reservations);
    }
    changes.compare("monitoring", d.monitoring.to_string(), p.monitoring.to_string());
    for (name, planned_service) in &p.other_services {
        let path = format!("other_services.{name}");
        let Some(deployed_service) = d.other_services.get(name) else {
            changes.compare(&path, "absent".into(), "a service".into());
            continue;
        };
        changes.compare(
            &format!("{path}.replicas"),
            deployed_service.replicas.to_string(),
            planned_service.replicas.to_string(),
        );
        changes.resources(&format!("{path}.limits"), &deployed_service.limits, &planned_service.limits);
        changes.resources(
            &format!("{path}.reservations"),
            &deployed_service.reservations,
            &planned_service.reservations,
        );
    }
    changes.0
}

/// The changes as `path: before → after` lines.
pub fn render(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "no differences: the deployment matches the plan\n".to_string();
    }
    let width = changes.iter().map(|c| c.path.len()).max().unwrap_or(0);
    changes.iter().map(|c| format!("{:<width$}  {} → {}\n", c.path, c.deployed, c.planned)).collect()
}
