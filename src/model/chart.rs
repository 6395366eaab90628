//! Flow-Like's Helm chart as data: its defaults for the keys flowcap reads or writes, and
//! where each of the plan's workloads lives in its values (FACTS.md, the chart's
//! `values.yaml`). Reading and writing values files is [`crate::platform::kubernetes::values`]'s.

use crate::model::service::ServiceKey;
use std::borrow::Cow;

/// The chart's defaults for every key flowcap reads or writes: the part of Flow-Like's
/// `values.yaml` (TM9657/flow-like, `apps/backend/kubernetes/helm/`, ab1f822d) that decides
/// what runs and how big. A test holds each value to the chart's own file.
pub const CHART_DEFAULTS: &str = "\
api:
  enabled: true
  replicaCount: 1
  resources:
    requests: { memory: 256Mi, cpu: 100m }
    limits: { memory: 1Gi, cpu: '1' }
  autoscaling: { enabled: false, minReplicas: 1, maxReplicas: 10, targetCPUUtilization: 70, targetMemoryUtilization: 80 }
web:
  enabled: true
  replicaCount: 1
  resources:
    requests: { memory: 64Mi, cpu: 10m }
    limits: { memory: 128Mi, cpu: 100m }
  autoscaling: { enabled: false, minReplicas: 1, maxReplicas: 5, targetCPUUtilization: 70, targetMemoryUtilization: 80 }
executor:
  resources:
    requests: { memory: 256Mi, cpu: 100m }
    limits: { memory: 2Gi, cpu: '2' }
  maxConcurrentJobs: 100
executorPool:
  enabled: true
  replicaCount: 1
  resources:
    requests: { memory: 256Mi, cpu: 100m }
    limits: { memory: 1Gi, cpu: '1' }
  autoscaling: { enabled: false, minReplicas: 1, maxReplicas: 10, targetCPUUtilization: 70, targetMemoryUtilization: 80 }
execution:
  backend: http
  asyncBackend: redis
database:
  type: internal
  internal:
    replicas: 3
    resources:
      requests: { memory: 512Mi, cpu: 250m }
      limits: { memory: 2Gi, cpu: '2' }
redis:
  enabled: true
  master:
    resources:
      requests: { memory: 128Mi, cpu: 50m }
monitoring:
  enabled: true
  tracing: { enabled: true }
  tempo:
    resources:
      requests: { memory: 256Mi, cpu: 100m }
      limits: { memory: 1Gi, cpu: 500m }
  prometheus:
    resources:
      requests: { memory: 512Mi, cpu: 250m }
      limits: { memory: 2Gi, cpu: '1' }
  grafana:
    resources:
      requests: { memory: 256Mi, cpu: 100m }
      limits: { memory: 512Mi, cpu: 500m }
";

/// A workload of the plan and where the chart reads it.
pub struct ChartWorkload {
    /// Its pods' `app.kubernetes.io/component` label.
    pub component: &'static str,
    /// The plan key: `api`, `runtime`, `jobs`, `other_services.web`.
    pub plan: ServiceKey,
    /// The values key holding its `resources` (and replicas and autoscaling where it has them).
    pub values: &'static str,
    /// The key under `values` that sets the replica count, when the chart has one.
    pub replicas: Option<&'static str>,
    /// Whether the chart gives it a HorizontalPodAutoscaler (`autoscaling.*`).
    pub autoscaling: bool,
    /// What runs it.
    pub switch: Switch,
}

/// What switches a workload on in the chart's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Switch {
    /// Every one of these flags is true.
    Flags(&'static [&'static str]),
    /// `database.type: internal` (CockroachDB in the cluster).
    InternalDatabase,
    /// `execution.backend` or `execution.asyncBackend` is `kubernetes_job`.
    JobBackend,
}

impl Switch {
    /// How the operator switches it, for a fix.
    pub fn describe(self) -> String {
        match self {
            Switch::Flags(flags) => flags.iter().map(|f| format!("{f}: true")).collect::<Vec<_>>().join(" and "),
            Switch::InternalDatabase => "database.type: internal".into(),
            Switch::JobBackend => "execution.backend or execution.asyncBackend: kubernetes_job".into(),
        }
    }
}

const fn workload(
    component: &'static str,
    plan: ServiceKey,
    values: &'static str,
    replicas: Option<&'static str>,
    autoscaling: bool,
    switch: Switch,
) -> ChartWorkload {
    ChartWorkload { component, plan, values, replicas, autoscaling, switch }
}

/// The chart workload at plan key `key`.
pub fn chart_workload(key: &ServiceKey) -> Option<&'static ChartWorkload> {
    WORKLOADS.iter().find(|w| w.plan == *key)
}

/// Every workload of the chart flowcap plans, in the order the values file lists them.
pub static WORKLOADS: [ChartWorkload; 9] = [
    workload("api", ServiceKey::Api, "api", Some("replicaCount"), true, Switch::Flags(&["api.enabled"])),
    workload(
        "web",
        ServiceKey::Other(Cow::Borrowed("web")),
        "web",
        Some("replicaCount"),
        true,
        Switch::Flags(&["web.enabled"]),
    ),
    workload("", ServiceKey::Jobs, "executor", None, false, Switch::JobBackend),
    workload(
        "executor-pool",
        ServiceKey::Runtime,
        "executorPool",
        Some("replicaCount"),
        true,
        Switch::Flags(&["executorPool.enabled"]),
    ),
    workload(
        "cockroachdb",
        ServiceKey::Other(Cow::Borrowed("cockroachdb")),
        "database.internal",
        Some("replicas"),
        false,
        Switch::InternalDatabase,
    ),
    workload(
        "redis",
        ServiceKey::Other(Cow::Borrowed("redis")),
        "redis.master",
        None,
        false,
        Switch::Flags(&["redis.enabled"]),
    ),
    workload(
        "prometheus",
        ServiceKey::Other(Cow::Borrowed("prometheus")),
        "monitoring.prometheus",
        None,
        false,
        Switch::Flags(&["monitoring.enabled"]),
    ),
    workload(
        "grafana",
        ServiceKey::Other(Cow::Borrowed("grafana")),
        "monitoring.grafana",
        None,
        false,
        Switch::Flags(&["monitoring.enabled"]),
    ),
    workload(
        "tempo",
        ServiceKey::Other(Cow::Borrowed("tempo")),
        "monitoring.tempo",
        None,
        false,
        Switch::Flags(&["monitoring.enabled", "monitoring.tracing.enabled"]),
    ),
];

/// Whether the chart's Deployment for the workload at `key` renders `replicaCount` while its
/// autoscaler is on: the API's and web's leave the count out (`if not .autoscaling.enabled`),
/// the executor pool's sets it anyway (ab1f822d).
pub fn renders_replicas_with_autoscaler(key: &ServiceKey) -> bool {
    *key == ServiceKey::Runtime
}

/// The chart's values key and value that make a plan edit, where the chart has one: a fix
/// said in the operator's own terms when the plan was read from Helm values
/// (`runtime.limits.memory` is `executorPool.resources.limits.memory: 2560Mi`).
pub fn values_setting(edit: &crate::model::edit::PlanEdit) -> Option<(String, String)> {
    use crate::model::edit::{Block, PlanEdit};
    let at = |key: &ServiceKey, rest: &str| chart_workload(key).map(|w| format!("{}.{rest}", w.values));
    let block = |b: &Block| if *b == Block::Limits { "limits" } else { "requests" };
    match edit {
        PlanEdit::RuntimeReplicas(n) => Some(("executorPool.replicaCount".into(), n.to_string())),
        PlanEdit::ApiAutoscalingMax(n) => Some(("api.autoscaling.maxReplicas".into(), n.to_string())),
        PlanEdit::RuntimeAutoscalingMax(n) => Some(("executorPool.autoscaling.maxReplicas".into(), n.to_string())),
        PlanEdit::RuntimeAutoscalingMin(n) => Some(("executorPool.autoscaling.minReplicas".into(), n.to_string())),
        PlanEdit::RuntimeTargetMemoryPercent(n) => {
            Some(("executorPool.autoscaling.targetMemoryUtilization".into(), n.to_string()))
        }
        PlanEdit::RuntimeTargetCpuPercent(n) => {
            Some(("executorPool.autoscaling.targetCPUUtilization".into(), n.to_string()))
        }
        PlanEdit::JobsMaxConcurrent(n) => Some(("executor.maxConcurrentJobs".into(), n.to_string())),
        PlanEdit::Cpus(key, b, cpus) => at(key, &format!("resources.{}.cpu", block(b))).map(|k| (k, cpus.kubernetes())),
        PlanEdit::Memory(key, b, size) => {
            at(key, &format!("resources.{}.memory", block(b))).map(|k| (k, size.kubernetes()))
        }
        _ => None,
    }
}

/// The labels every pod of the release carries: the chart's name (`flow-like`; the chart's
/// `nameOverride` is not read), and the release's name, which flowcap does not know.
pub const RELEASE_LABELS: ((&str, &str), &str) =
    (("app.kubernetes.io/name", "flow-like"), "app.kubernetes.io/instance");

/// The label that says which of the chart's components a pod is.
pub const COMPONENT_LABEL: &str = "app.kubernetes.io/component";

/// The labels a workload's pods carry beside [`RELEASE_LABELS`]: the chart's component
/// (`executor-pool` for the runtime), or for a service the chart does not run, its name. `None`
/// for the Job backend's pods, which the API labels, not the chart.
pub fn pod_labels(workload: &str) -> Option<std::collections::BTreeMap<String, String>> {
    let key = ServiceKey::parse(workload)?;
    let component = match chart_workload(&key) {
        Some(w) if w.component.is_empty() => return None,
        Some(w) => w.component.to_string(),
        None => crate::model::service::workload_name(workload).to_string(),
    };
    Some([(COMPONENT_LABEL.to_string(), component)].into())
}

/// The chart's values key behind a plan path, where the chart has one: `runtime.replicas` is
/// `executorPool.replicaCount`, `api.reservations.cpus` is `api.resources.requests.cpu`,
/// `jobs.max_concurrent` is `executor.maxConcurrentJobs`.
pub fn values_key(plan_path: &str) -> Option<String> {
    if plan_path == "jobs.max_concurrent" {
        return Some("executor.maxConcurrentJobs".into());
    }
    let (workload, rest) = WORKLOADS.iter().find_map(|w| {
        let key = w.plan.to_string();
        plan_path.strip_prefix(&key)?.strip_prefix('.').map(|rest| (w, rest))
    })?;
    let rest = match rest {
        "replicas" => workload.replicas?.to_string(),
        "autoscaling" if workload.autoscaling => "autoscaling".into(),
        _ => {
            let (block, resource) = rest.split_once('.')?;
            let block = match block {
                "limits" => "limits",
                "reservations" => "requests",
                _ => return None,
            };
            let resource = match resource {
                "cpus" => "cpu",
                "memory" => "memory",
                _ => return None,
            };
            format!("resources.{block}.{resource}")
        }
    };
    Some(format!("{}.{rest}", workload.values))
}

/// Where the chart renders a workload's placement (plan key `api`, `other_services.web`): its
/// values key, whose `nodeSelector` and `tolerations` the template passes on, and whether its
/// `affinity` too. `None`: the chart places its pods anywhere (only the api, web, prometheus
/// and grafana templates render these, and only api and web an affinity).
pub fn placement_keys(workload: &str) -> Option<(&'static str, bool)> {
    use crate::model::chart_keys::CHART_KEYS;
    let values = ServiceKey::parse(workload).and_then(|key| chart_workload(&key)).map(|w| w.values)?;
    let has = |key: &str| CHART_KEYS.iter().any(|(k, _)| *k == format!("{values}.{key}"));
    has("nodeSelector").then(|| (values, has("affinity")))
}
