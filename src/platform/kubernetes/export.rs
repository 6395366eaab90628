//! Flow-Like's Helm chart values written from a plan (`export --helm`): the keys flowcap owns,
//! over the operator's own values. [`crate::model::chart::WORKLOADS`] says where each of the
//! plan's workloads lives in the chart.

use super::schema;
use super::values::{chart_defaults, get};
use crate::io::error::InputError;
use crate::io::yaml::{self, Mapping, Value};
use crate::model::chart::WORKLOADS;
use crate::model::cluster::Constraints;
use crate::model::plan::Plan;
use crate::model::resources::Resources;
use crate::model::service::ServiceKey;

/// The values file for `plan`: replicas, requests and limits, autoscalers and the Job cap of
/// every workload the plan has, and where the pods go where the plan says. An absent request or
/// limit is written as `null`, which removes the chart's default, so the chart renders exactly
/// the plan; over the operator's own values (`operators`, merged), a nodeSelector label the
/// plan does not have is written as `null` too.
pub fn values_text(plan: &Plan, header: &str, operators: &Value) -> Result<String, InputError> {
    let defaults = chart_defaults();
    let mut root = Mapping::new();
    for workload in &WORKLOADS {
        let Some(planned) = planned(plan, &workload.plan) else { continue };
        let at = |key: &str| format!("{}.{key}", workload.values);
        if let Some(key) = workload.replicas {
            set(&mut root, &at(key), planned.replicas.into());
        }
        for (block, given) in [("requests", planned.requests), ("limits", planned.limits)] {
            let quantities =
                [("cpu", given.cpus.map(|c| c.kubernetes())), ("memory", given.memory.map(|m| m.kubernetes()))];
            for (resource, quantity) in quantities {
                let path = at(&format!("resources.{block}.{resource}"));
                // Null removes the chart's default; where the chart has none it would render
                // as `null`, which Kubernetes refuses: leave the key out there.
                match quantity {
                    Some(quantity) => set(&mut root, &path, quantity.into()),
                    None if get(&defaults, &path).is_some() => set(&mut root, &path, Value::Null),
                    None => {}
                }
            }
        }
        if workload.autoscaling {
            let mut hpa = Mapping::new();
            hpa.insert("enabled".into(), planned.autoscaling.is_some().into());
            if let Some(a) = planned.autoscaling {
                hpa.insert("minReplicas".into(), a.min.into());
                hpa.insert("maxReplicas".into(), a.max.into());
                // Null removes the chart's default: the HPA then has no such metric.
                hpa.insert("targetCPUUtilization".into(), a.target_cpu_percent.map_or(Value::Null, Value::from));
                hpa.insert("targetMemoryUtilization".into(), a.target_memory_percent.map_or(Value::Null, Value::from));
            }
            set(&mut root, &at("autoscaling"), Value::Mapping(hpa));
        }
        if workload.plan == ServiceKey::Jobs
            && let Some(jobs) = &plan.jobs
        {
            set(&mut root, &at("maxConcurrentJobs"), jobs.max_concurrent.into());
        }
        // A workload the plan places anywhere: what the operator's values set is removed, as
        // drift says (the plan's figures never held it).
        let anywhere = Constraints::default();
        let constraints = plan.pod_placement.get(&workload.plan.to_string()).unwrap_or(&anywhere);
        placement_values(&mut root, workload.values, constraints, operators)?;
    }
    let yaml = yaml::to_text("helm values", &Value::Mapping(root))?;
    // What the chart cannot render is said in the file, where the operator reads it.
    let unrendered: String = unrendered_placement(plan)
        .iter()
        .map(|key| format!("\n# {key}: the chart has no values key for it: not written"))
        .collect();
    Ok(format!("{header}{unrendered}\n{yaml}"))
}

/// What of the plan's `pod_placement` the chart cannot render, as `pod_placement.KEY` or
/// `pod_placement.KEY.required_node_affinity`: only its api, web, prometheus and grafana
/// templates render a nodeSelector and tolerations, and only api and web an affinity.
pub fn unrendered_placement(plan: &Plan) -> Vec<String> {
    let mut unrendered = Vec::new();
    for (key, constraints) in &plan.pod_placement {
        match crate::model::chart::placement_keys(key) {
            Some((_, affinity)) => {
                if !affinity {
                    for (given, name) in [
                        (!constraints.required_node_affinity.is_empty(), "required_node_affinity"),
                        (!constraints.required_pod_anti_affinity.is_empty(), "required_pod_anti_affinity"),
                        (!constraints.required_pod_affinity.is_empty(), "required_pod_affinity"),
                    ] {
                        if given {
                            unrendered.push(format!("pod_placement.{key}.{name}"));
                        }
                    }
                }
            }
            None => unrendered.push(format!("pod_placement.{key}")),
        }
    }
    unrendered
}

/// A workload's nodeSelector, tolerations, required node affinity and required pod
/// (anti-)affinity at its values keys, where the chart renders them; each replaces what the
/// operator's values (`operators`, merged) have: their nodeSelector labels the plan lacks, and
/// any of these the plan has none of, are written as `null`, which removes them. What neither
/// has is not written.
fn placement_values(
    root: &mut Mapping,
    values: &str,
    constraints: &Constraints,
    operators: &Value,
) -> Result<(), InputError> {
    let at = |key: &str| format!("{values}.{key}");
    if !schema::is_chart_key(&at("nodeSelector")) {
        return Ok(());
    }
    let mut put = |key: &str, value: Value| {
        if !value.is_null() || get(operators, &at(key)).is_some_and(|theirs| !theirs.is_null()) {
            set(root, &at(key), value);
        }
    };
    let mut selector: Mapping =
        constraints.node_selector.iter().map(|(k, v)| (Value::from(k.as_str()), Value::from(v.as_str()))).collect();
    let theirs = get(operators, &at("nodeSelector")).and_then(Value::as_mapping);
    for label in theirs.into_iter().flat_map(|m| m.keys()) {
        if !selector.contains_key(label) {
            selector.insert(label.clone(), Value::Null);
        }
    }
    put("nodeSelector", if selector.is_empty() { Value::Null } else { Value::Mapping(selector) });
    let tolerations = yaml::to_value("helm values", &constraints.tolerations)?;
    put("tolerations", if constraints.tolerations.is_empty() { Value::Null } else { tolerations });
    if schema::is_chart_key(&at("affinity")) {
        // Only the required node affinity and pod (anti-)affinity are the plan's: preferences
        // in the operator's values stay.
        for (kind, terms) in [
            ("podAntiAffinity", &constraints.required_pod_anti_affinity),
            ("podAffinity", &constraints.required_pod_affinity),
        ] {
            put(
                &format!("affinity.{kind}.requiredDuringSchedulingIgnoredDuringExecution"),
                if terms.is_empty() { Value::Null } else { yaml::to_value("helm values", terms)? },
            );
        }
        let terms = &constraints.required_node_affinity;
        put(
            "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution",
            if terms.is_empty() {
                Value::Null
            } else {
                let mut required = Mapping::new();
                required.insert("nodeSelectorTerms".into(), yaml::to_value("helm values", terms)?);
                Value::Mapping(required)
            },
        );
    }
    Ok(())
}

/// What the plan says of one workload.
pub struct Planned {
    pub replicas: u32,
    pub requests: Resources,
    pub limits: Resources,
    pub autoscaling: Option<crate::model::cluster::Autoscaling>,
}

/// The plan's workload at `key`, if the plan has it.
pub fn planned(plan: &Plan, key: &ServiceKey) -> Option<Planned> {
    let planned = |replicas, requests, limits, autoscaling| Planned { replicas, requests, limits, autoscaling };
    match key {
        ServiceKey::Api => {
            Some(planned(plan.api.replicas, plan.api.reservations, plan.api.limits, plan.api.autoscaling))
        }
        ServiceKey::Runtime => Some(planned(
            plan.runtime.replicas,
            plan.runtime.reservations,
            plan.runtime.limits,
            plan.runtime.autoscaling,
        )),
        ServiceKey::Jobs => plan.jobs.map(|jobs| planned(jobs.max_concurrent, jobs.reservations, jobs.limits, None)),
        // Postgres is the chart's database only through `database.internal`, read as a service.
        ServiceKey::Postgres => None,
        ServiceKey::Other(name) => {
            let service = plan.other_services.get(name.as_ref())?;
            Some(planned(service.replicas, service.reservations, service.limits, service.autoscaling))
        }
    }
}

/// Sets the value at a dotted path, making the mappings on the way.
fn set(root: &mut Mapping, path: &str, value: Value) {
    let mut map = root;
    let mut keys = path.split('.').peekable();
    while let Some(key) = keys.next() {
        if keys.peek().is_none() {
            map.insert(key.into(), value);
            return;
        }
        let entry = map.entry(key.into()).or_insert_with(|| Value::Mapping(Mapping::new()));
        if !entry.is_mapping() {
            *entry = Value::Mapping(Mapping::new());
        }
        let Value::Mapping(next) = entry else { return };
        map = next;
    }
}
