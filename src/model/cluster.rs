//! The plan's Kubernetes parts: the cluster's node pools, the chart's autoscalers and its
//! one-Job-per-execution backend. Defaults come from Flow-Like's Helm chart (`values.yaml`,
//! FACTS.md) and are documented in docs/guide.md.

use crate::model::resources::Resources;
use crate::model::units::{Bytes, Cpus};
use serde::{Deserialize, Serialize};

/// Where the plan runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// One Docker host, Flow-Like's compose files.
    #[default]
    Compose,
    /// A cluster, Flow-Like's Helm chart.
    Kubernetes,
}

impl Platform {
    pub fn is_compose(&self) -> bool {
        *self == Platform::Compose
    }
}

/// A HorizontalPodAutoscaler (`autoscaling/v2`): the chart's `*.autoscaling`. It scales on CPU
/// and memory use relative to the pods' requests, between `min` and `max` replicas.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Autoscaling {
    pub min: u32,
    pub max: u32,
    /// `targetCPUUtilization`: average CPU use, in per cent of the CPU request; `null` for
    /// no CPU metric.
    pub target_cpu_percent: Option<u32>,
    /// `targetMemoryUtilization`: average memory use, in per cent of the memory request;
    /// `null` for no memory metric.
    pub target_memory_percent: Option<u32>,
}

impl Default for Autoscaling {
    /// The chart's defaults: 1 to 10 replicas at 70 % CPU and 80 % memory.
    fn default() -> Self {
        Autoscaling { min: 1, max: 10, target_cpu_percent: Some(70), target_memory_percent: Some(80) }
    }
}

/// Flow-Like's one-Job-per-execution backend (`execution.backend: kubernetes_job`): each
/// execution is a pod with `executor.resources`, at most `executor.maxConcurrentJobs` at once in
/// the whole cluster.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Jobs {
    pub max_concurrent: u32,
    pub limits: Resources,
    /// The Job pods' requests.
    #[serde(alias = "requests")]
    pub reservations: Resources,
}

impl Default for Jobs {
    /// The chart's defaults: 100 Jobs, requests 100m / 256Mi, limits 2 / 2Gi.
    fn default() -> Self {
        Jobs {
            max_concurrent: 100,
            limits: Resources { cpus: Some(Cpus::whole(2)), memory: Some(Bytes::gib(2)) },
            reservations: Resources { cpus: Some(Cpus(100)), memory: Some(Bytes::mib(256)) },
        }
    }
}

/// The nodes pods are placed on.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cluster {
    pub node_pools: Vec<NodePool>,
    /// What the DaemonSets (CNI, log shipper, node exporter) request on every node.
    pub daemonset: Resources,
    /// How many DaemonSet pods run on every node: they count against its `max_pods`.
    #[serde(skip_serializing_if = "is_zero")]
    pub daemonset_pods: u32,
}

/// Nodes of one machine type.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NodePool {
    pub name: String,
    /// Nodes running now (the cluster autoscaler's minimum when it manages the pool).
    pub nodes: u32,
    /// The cluster autoscaler's maximum: the fit at every HPA's maximum may use this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_nodes: Option<u32>,
    /// A node's capacity.
    pub cpus: Cpus,
    pub memory: Bytes,
    /// What a node offers pods; what is left out follows GKE's published reservations
    /// ([`crate::analysis::placement::allocatable`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocatable: Option<Resources>,
    /// The kubelet's `maxPods`: the most pods a node runs, DaemonSets' included (kubelet's
    /// default 110 when not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pods: Option<u32>,
}

fn is_zero(count: &u32) -> bool {
    *count == 0
}

/// The kubelet's default `maxPods`.
pub const DEFAULT_MAX_PODS: u32 = 110;

impl NodePool {
    /// The pods a node of this pool runs at most.
    pub fn max_pods(&self) -> u32 {
        self.max_pods.unwrap_or(DEFAULT_MAX_PODS)
    }
}
