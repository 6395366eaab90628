//! Where a deployment differs from a plan: every value the compose files set that the plan
//! says otherwise. `--check PLAN --compose …` reports each as a `drift` finding, `flowcap diff`
//! prints them as before → after.

use crate::analysis::postgres_memory::PostgresMemory;
use crate::model::chart::chart_workload;
use crate::model::cluster::{Autoscaling, Platform};
use crate::model::load::{LoadedPlan, Locator};
use crate::model::plan::Plan;
use crate::model::resources::Resources;
use crate::model::service::ServiceKey;
use crate::model::units::{Bytes, Cpus};

/// One value that differs, by its plan path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    pub path: String,
    /// What the deployment has now.
    pub deployed: String,
    /// What the plan wants.
    pub planned: String,
}

/// What the operator can do about one drifted value: the override sets most of them, but not
/// the API's signing keys (one BACKEND_KEY/PUB/KID for every replica) nor which profiles run.
pub fn fix(change: &Difference, platform: Platform) -> String {
    if platform == Platform::Kubernetes {
        return kubernetes_fix(change);
    }
    match change.path.as_str() {
        "api.shared_jwt_keys" => "give every API replica the same BACKEND_KEY, BACKEND_PUB and BACKEND_KID \
                                  (one .env for all), or set api.shared_jwt_keys to what the deployment has"
            .into(),
        "monitoring" if change.planned == "true" => {
            "start the stack with --profile monitoring (the command flowcap export prints has it), \
             or set monitoring: false"
                .into()
        }
        "monitoring" => {
            "stop the monitoring profile (run without --profile monitoring), or set monitoring: true".into()
        }
        "postgres.version" => format!(
            "the image runs PostgreSQL {0}: set postgres.version: {0}, or run a PostgreSQL {1} image (PGTune's settings, \
             io_method among them, are a version's: an older server refuses a newer one's at start)",
            change.deployed, change.planned
        ),
        // The override never changes a seccomp profile: the operator's compose file says it.
        "postgres.io_uring" if change.planned == "true" => {
            "run the postgres service with security_opt: [seccomp=unconfined] (flowcap's override never adds it), \
             or set postgres.io_uring: false"
                .into()
        }
        "postgres.io_uring" => "set postgres.io_uring: true (the postgres service runs without a seccomp profile), \
                                or remove its security_opt seccomp=unconfined"
            .into(),
        _ => "apply the override `flowcap export` writes, or change the plan".into(),
    }
}

/// On Kubernetes flowcap's values set sizes, not which chart features run: a workload the
/// plan and the values disagree on is switched in the operator's values.
fn kubernetes_fix(change: &Difference) -> String {
    if let Some(workload) = change.path.strip_prefix("pod_placement.") {
        return match crate::model::chart::placement_keys(workload) {
            None => format!(
                "the chart renders no nodeSelector, tolerations or affinity for {workload}: its pods go anywhere; remove pod_placement.{workload} from the plan"
            ),
            Some((_, false)) if change.planned.contains("node affinity") => format!(
                "the chart renders no affinity for {workload}: remove pod_placement.{workload}.required_node_affinity from the plan, or apply the values `flowcap export --helm` writes for the rest"
            ),
            Some(_) => {
                "apply the values `flowcap export --helm` writes (pass them last to helm upgrade), or change the plan"
                    .into()
            }
        };
    }
    if change.path == "postgres.external" {
        return "the chart runs no PostgreSQL (an external one, or its CockroachDB as other_services.cockroachdb): \
                set postgres.external: true in the plan"
            .into();
    }
    let key = match change.path.as_str() {
        "jobs.max_concurrent" => "jobs",
        // No executor pool at all is its switch, not its size.
        "runtime.replicas" if change.deployed == "0" || change.planned == "0" => "runtime",
        path => path,
    };
    let switched = [change.deployed.as_str(), change.planned.as_str()]
        .iter()
        .any(|v| [NO_SERVICE, "a service", NO_JOB_BACKEND].contains(v) || (key == "runtime" && *v == "0"));
    match ServiceKey::parse(key).as_ref().and_then(chart_workload).filter(|_| switched) {
        Some(workload) => {
            let runs = ![NO_SERVICE, NO_JOB_BACKEND, "0"].contains(&change.planned.as_str());
            format!(
                "{} in your own values (it runs with {}), or {} the plan",
                if runs { "switch it on" } else { "switch it off" },
                workload.switch.describe(),
                if runs { "remove it from" } else { "add it to" }
            )
        }
        None => "apply the values `flowcap export --helm` writes (pass them last to helm upgrade), or change the plan"
            .into(),
    }
}

/// How drift says the deployment runs no Job backend.
const NO_JOB_BACKEND: &str = "no Job backend";

/// How drift says one side runs no such service.
const NO_SERVICE: &str = "no such service";

fn autoscaling(value: Option<Autoscaling>) -> String {
    value.map_or("none".into(), |a| {
        let target = |t: Option<u32>| t.map_or("no".to_string(), |t| format!("{t} %"));
        format!(
            "{}–{} replicas at {} CPU, {} memory",
            a.min,
            a.max,
            target(a.target_cpu_percent),
            target(a.target_memory_percent)
        )
    })
}

/// A workload's placement in one line: `nodeSelector role=api · tolerates dedicated=api:NoSchedule`.
fn placement(constraints: &crate::model::cluster::Constraints) -> String {
    let mut parts = Vec::new();
    if !constraints.node_selector.is_empty() {
        let pairs: Vec<String> = constraints.node_selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
        parts.push(format!("nodeSelector {}", pairs.join(",")));
    }
    for t in &constraints.tolerations {
        let value = if t.value.is_empty() { String::new() } else { format!("={}", t.value) };
        let key = if t.key.is_empty() { "every taint".to_string() } else { format!("{}{value}", t.key) };
        let effect = t.effect.map_or(String::new(), |e| format!(":{e:?}"));
        let seconds = t.toleration_seconds.map_or(String::new(), |s| format!(" for {s} s"));
        parts.push(format!("tolerates {key}{effect}{seconds}"));
    }
    if !constraints.required_node_affinity.is_empty() {
        let terms: Vec<String> = constraints
            .required_node_affinity
            .iter()
            .map(|term| {
                let each: Vec<String> = term
                    .match_expressions
                    .iter()
                    .map(|r| format!("{} {:?} {}", r.key, r.operator, r.values.join(",")).trim_end().to_string())
                    .collect();
                each.join(" and ")
            })
            .collect();
        parts.push(format!("node affinity {}", terms.join(" or ")));
    }
    let terms = constraints.required_pod_anti_affinity.iter().map(|term| ("apart from", term));
    for (relation, term) in terms.chain(constraints.required_pod_affinity.iter().map(|term| ("beside", term))) {
        let mut each: Vec<String> = Vec::new();
        if let Some(selector) = &term.label_selector {
            each.extend(selector.match_labels.iter().map(|(k, v)| format!("{k}={v}")));
            each.extend(
                selector
                    .match_expressions
                    .iter()
                    .map(|r| format!("{} {:?} {}", r.key, r.operator, r.values.join(",")).trim_end().to_string()),
            );
        } else {
            each.push("no pod".into());
        }
        parts.push(format!("{relation} {} by {}", each.join(" and "), term.topology_key));
    }
    if parts.is_empty() { "anywhere".into() } else { parts.join(" · ") }
}

fn cpus(value: Option<Cpus>) -> String {
    value.map_or("none".into(), |c| c.to_string())
}

fn memory(value: Option<Bytes>) -> String {
    value.map_or("none".into(), |m| m.to_string())
}

/// The two plans and what differs so far.
struct Changes<'a> {
    deployed: &'a Plan,
    planned: &'a Plan,
    found: Vec<Difference>,
}

impl Changes<'_> {
    fn compare(&mut self, path: &str, deployed: String, planned: String) {
        if deployed != planned {
            self.found.push(Difference { path: path.to_string(), deployed, planned });
        }
    }

    /// Compares one value read the same way from both plans.
    fn field<T: ToString>(&mut self, path: &str, read: impl Fn(&Plan) -> T) {
        self.compare(path, read(self.deployed).to_string(), read(self.planned).to_string());
    }

    fn resources(&mut self, path: &str, deployed: &Resources, planned: &Resources) {
        self.compare(&format!("{path}.cpus"), cpus(deployed.cpus), cpus(planned.cpus));
        self.compare(&format!("{path}.memory"), memory(deployed.memory), memory(planned.memory));
    }

    /// Limits and reservations read the same way from both plans.
    fn limits_and_reservations(&mut self, path: &str, read: impl Fn(&Plan) -> (&Resources, &Resources)) {
        let ((deployed_limits, deployed_reservations), (planned_limits, planned_reservations)) =
            (read(self.deployed), read(self.planned));
        self.resources(&format!("{path}.limits"), deployed_limits, planned_limits);
        self.resources(&format!("{path}.reservations"), deployed_reservations, planned_reservations);
    }
}

/// Every value the deployment sets differently from the plan. Settings compose files cannot
/// express (the host, the policy, the workload, connection headroom) are not compared.
/// Every value where the deployment read as `deployment` differs from the plan, and the
/// PostgreSQL major version where its image's tag names one (a version not read is no
/// difference): PGTune's settings, `io_method` among them, are a version's.
pub fn compare_deployment(deployment: &LoadedPlan, planned: &Plan) -> Vec<Difference> {
    let mut found = compare(&deployment.plan, planned);
    let read = matches!(&deployment.locator, Locator::Deployment(places) if places.contains_key("postgres.version"));
    let (deployed, planned_version) = (deployment.plan.postgres.version, planned.postgres.version);
    if read && !planned.postgres.external && deployed != planned_version {
        found.push(Difference {
            path: "postgres.version".into(),
            deployed: deployed.to_string(),
            planned: planned_version.to_string(),
        });
    }
    found
}

pub fn compare(deployed: &Plan, planned: &Plan) -> Vec<Difference> {
    let mut changes = Changes { deployed, planned, found: Vec::new() };
    // Where the deployment's autoscaler owns the count and the chart renders none, the values'
    // replicaCount changes nothing: where the autoscaler stands is not in the files.
    let unrendered = |key: &ServiceKey, hpa: Option<Autoscaling>| {
        hpa.is_some() && !crate::model::chart::renders_replicas_with_autoscaler(key)
    };
    if !unrendered(&ServiceKey::Api, deployed.api.autoscaling) {
        changes.field("api.replicas", |p| p.api.replicas);
    }
    changes.limits_and_reservations("api", |p| (&p.api.limits, &p.api.reservations));
    // Either side unknown (no variables file where the deployment was read) is no difference.
    if planned.api.shared_jwt_keys.is_some() && deployed.api.shared_jwt_keys.is_some() {
        changes.field("api.shared_jwt_keys", |p| p.api.shared_jwt_keys.map_or("unknown".into(), |s| s.to_string()));
    }
    changes.field("runtime.replicas", |p| p.runtime.replicas);
    if planned.platform == Platform::Kubernetes {
        // The chart has no per-pod cap: executions per pod is the plan's alone.
        changes.field("api.autoscaling", |p| autoscaling(p.api.autoscaling));
        changes.field("runtime.autoscaling", |p| autoscaling(p.runtime.autoscaling));
        changes
            .field("jobs.max_concurrent", |p| p.jobs.map_or(NO_JOB_BACKEND.into(), |j| j.max_concurrent.to_string()));
        if let (Some(deployed_jobs), Some(planned_jobs)) = (&deployed.jobs, &planned.jobs) {
            changes.resources("jobs.limits", &deployed_jobs.limits, &planned_jobs.limits);
            changes.resources("jobs.reservations", &deployed_jobs.reservations, &planned_jobs.reservations);
        }
    } else {
        changes.field("runtime.max_concurrent_executions", |p| p.runtime.max_concurrent_executions);
    }
    changes.limits_and_reservations("runtime", |p| (&p.runtime.limits, &p.runtime.reservations));
    changes.field("postgres.external", |p| p.postgres.external);
    // A managed database's settings are not in the compose files.
    if !planned.postgres.external {
        changes.field("postgres.max_connections", |p| p.postgres.max_connections);
        changes.field("postgres.superuser_reserved_connections", |p| p.postgres.superuser_reserved_connections);
        changes.field("postgres.reserved_connections", |p| p.postgres.reserved_connections);
        // As each side runs it: unset is PostgreSQL's default, or PGTune's with postgres.pgtune.
        changes.field("postgres.shared_buffers", |p| PostgresMemory::of(p, 0).shared_buffers());
        // Whether the container runs without a seccomp profile: PGTune's io_method follows it.
        if planned.platform == Platform::Compose {
            changes.field("postgres.io_uring", |p| p.postgres.io_uring);
        }
        changes.limits_and_reservations("postgres", |p| (&p.postgres.limits, &p.postgres.reservations));
    }
    // Redis's own settings, where both sides know them (a config file hides the deployment's).
    if let (Some(_), Some(_)) = (&deployed.redis, &planned.redis) {
        let redis = |p: &Plan| p.redis.clone().unwrap_or_default();
        changes.field("redis.maxmemory", |p| redis(p).maxmemory.map_or("none".into(), |m| m.to_string()));
        changes.field("redis.maxmemory_policy", |p| redis(p).maxmemory_policy.to_string());
        changes.field("redis.appendonly", |p| redis(p).appendonly);
    }
    // The compose profile's postgres-exporter; the chart has none to compare.
    if planned.platform == Platform::Compose {
        changes.field("monitoring", |p| p.monitoring);
    }
    for (name, planned_service) in &planned.other_services {
        let path = format!("other_services.{name}");
        let Some(deployed_service) = deployed.other_services.get(name) else {
            changes.compare(&path, NO_SERVICE.into(), "a service".into());
            continue;
        };
        if !unrendered(&ServiceKey::other(name), deployed_service.autoscaling) {
            changes.compare(
                &format!("{path}.replicas"),
                deployed_service.replicas.to_string(),
                planned_service.replicas.to_string(),
            );
        }
        changes.resources(&format!("{path}.limits"), &deployed_service.limits, &planned_service.limits);
        changes.resources(
            &format!("{path}.reservations"),
            &deployed_service.reservations,
            &planned_service.reservations,
        );
        if planned.platform == Platform::Kubernetes {
            changes.compare(
                &format!("{path}.autoscaling"),
                autoscaling(deployed_service.autoscaling),
                autoscaling(planned_service.autoscaling),
            );
        }
    }
    if planned.platform == Platform::Kubernetes {
        // Where pods may go, for the workloads whose placement either says: a placement the
        // deployment has and the plan lacks is one the plan's figures never held.
        let workloads: std::collections::BTreeSet<&String> =
            planned.pod_placement.keys().chain(deployed.pod_placement.keys()).collect();
        for workload in workloads {
            let said = |constraints: Option<&crate::model::cluster::Constraints>| {
                constraints.map_or("anywhere".to_string(), placement)
            };
            changes.compare(
                &format!("pod_placement.{workload}"),
                said(deployed.pod_placement.get(workload)),
                said(planned.pod_placement.get(workload)),
            );
        }
        // The chart runs what its values switch on, whether or not the plan counted it.
        for name in deployed.other_services.keys().filter(|n| !planned.other_services.contains_key(*n)) {
            changes.compare(&format!("other_services.{name}"), "a service".into(), NO_SERVICE.into());
        }
    }
    changes.found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::presets::load_preset;

    #[test]
    fn lists_each_difference_with_both_values() {
        let planned = load_preset("medium").unwrap().plan;
        let mut deployed = planned.clone();
        assert_eq!(compare(&deployed, &planned), []);
        deployed.runtime.replicas = 1;
        deployed.postgres.limits.memory = None;
        deployed.other_services.remove("web");
        deployed.host = None;
        deployed.policy.connection_warning_percent = 50;
        let paths: Vec<(String, String, String)> =
            compare(&deployed, &planned).into_iter().map(|c| (c.path, c.deployed, c.planned)).collect();
        assert_eq!(
            paths,
            [
                ("runtime.replicas".into(), "1".into(), "4".into()),
                ("postgres.limits.memory".into(), "none".into(), "8 GiB".into()),
                ("other_services.web".into(), NO_SERVICE.into(), "a service".into()),
            ],
            "host and policy are not in compose files"
        );
    }
}

#[cfg(test)]
mod fix_tests {
    use super::*;

    fn change(path: &str, deployed: &str, planned: &str) -> Difference {
        Difference { path: path.into(), deployed: deployed.into(), planned: planned.into() }
    }

    #[test]
    fn a_drift_fix_is_something_the_operator_can_do() {
        assert!(
            fix(&change("api.shared_jwt_keys", "false", "true"), Platform::Compose)
                .contains("same BACKEND_KEY, BACKEND_PUB and BACKEND_KID")
        );
        assert!(
            fix(&change("monitoring", "false", "true"), Platform::Compose)
                .starts_with("start the stack with --profile monitoring")
        );
        assert!(
            fix(&change("monitoring", "true", "false"), Platform::Compose).starts_with("stop the monitoring profile")
        );
        assert!(fix(&change("runtime.replicas", "2", "4"), Platform::Compose).starts_with("apply the override"));
        assert!(
            fix(&change("runtime.replicas", "2", "4"), Platform::Kubernetes)
                .starts_with("apply the values `flowcap export --helm` writes")
        );
    }
}
