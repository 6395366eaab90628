//! The plan's Kubernetes parts: the cluster's node pools, the chart's autoscalers and its
//! one-Job-per-execution backend. Defaults come from Flow-Like's Helm chart (`values.yaml`,
//! FACTS.md) and are documented in docs/guide.md.

use crate::model::resources::Resources;
use crate::model::units::{Bytes, Cpus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// Whose nodes: it decides what a node keeps for itself (its allocatable) and its default
/// `maxPods` (docs/design.md cites each provider's source).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Google Kubernetes Engine's published reservations (the default: flowcap's model
    /// before providers were told apart).
    #[default]
    Gke,
    /// Amazon EKS (the EKS AMI's nodeadm): maxPods from the instance type's network
    /// interfaces.
    Eks,
    /// Azure Kubernetes Service, 1.29 and later.
    Aks,
    /// The kubelet's own defaults (kubeadm, k3s, bare metal): nothing reserved but the
    /// 100 MiB eviction threshold.
    Generic,
}

impl Provider {
    pub fn name(&self) -> &'static str {
        match self {
            Provider::Gke => "gke",
            Provider::Eks => "eks",
            Provider::Aks => "aks",
            Provider::Generic => "generic",
        }
    }

    /// The node label each provider gives a node with its pool's name, which a nodeSelector
    /// can name.
    pub fn pool_label(&self) -> Option<&'static str> {
        match self {
            Provider::Gke => Some("cloud.google.com/gke-nodepool"),
            Provider::Eks => Some("eks.amazonaws.com/nodegroup"),
            Provider::Aks => Some("kubernetes.azure.com/agentpool"),
            Provider::Generic => None,
        }
    }
}

/// The nodes pods are placed on.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cluster {
    #[serde(skip_serializing_if = "is_gke")]
    pub provider: Provider,
    pub node_pools: Vec<NodePool>,
    /// What the DaemonSets (CNI, log shipper, node exporter) request on every node.
    pub daemonset: Resources,
    /// How many DaemonSet pods run on every node: they count against its `max_pods`.
    #[serde(skip_serializing_if = "is_zero")]
    pub daemonset_pods: u32,
}

impl Cluster {
    /// The pods a node of `pool` runs at most: its `max_pods`, else on EKS what its instance
    /// type's network interfaces hold, else the kubelet's default 110.
    pub fn max_pods(&self, pool: &NodePool) -> u32 {
        pool.max_pods
            .or_else(|| match self.provider {
                Provider::Eks => pool.instance_type.as_deref().and_then(super::eks::max_pods),
                _ => None,
            })
            .unwrap_or(DEFAULT_MAX_PODS)
    }
}

fn is_gke(provider: &Provider) -> bool {
    *provider == Provider::Gke
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
    /// What a node offers pods; what is left out follows the provider's reservations
    /// ([`crate::analysis::node_model::allocatable`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocatable: Option<Resources>,
    /// The kubelet's `maxPods`: the most pods a node runs, DaemonSets' included (on EKS from
    /// `instance_type`, else the kubelet's default 110, when not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pods: Option<u32>,
    /// The machine type (`m5.large`): on EKS it decides `max_pods`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    /// The nodes' labels, beside those every node has (`kubernetes.io/os: linux`, the
    /// provider's pool label).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// The nodes' taints: a pod that does not tolerate a `NoSchedule` or `NoExecute` one is
    /// not placed there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
}

impl NodePool {
    /// A pool of `nodes` nodes of `cpus` and `memory`, with nothing else said.
    pub fn new(name: &str, nodes: u32, cpus: Cpus, memory: Bytes) -> NodePool {
        NodePool {
            name: name.to_string(),
            nodes,
            max_nodes: None,
            cpus,
            memory,
            allocatable: None,
            max_pods: None,
            instance_type: None,
            labels: BTreeMap::new(),
            taints: Vec::new(),
        }
    }
}

/// A node taint, as Kubernetes writes one.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Taint {
    pub key: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    pub effect: TaintEffect,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum TaintEffect {
    NoSchedule,
    /// Only a preference: the scheduler still places pods there when nothing else fits.
    PreferNoSchedule,
    NoExecute,
}

/// A pod's toleration, as Kubernetes writes one (`tolerationSeconds` does not matter to
/// placement).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Toleration {
    /// Empty with `Exists`: every taint.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    #[serde(default)]
    pub operator: TolerationOperator,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    /// Absent: every effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<TaintEffect>,
    #[serde(default, rename = "tolerationSeconds", skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum TolerationOperator {
    #[default]
    Equal,
    Exists,
}

/// Where one workload's pods may run.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Constraints {
    /// Labels a node must have, each with this value.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// `requiredDuringSchedulingIgnoredDuringExecution`'s node selector terms: a node must
    /// match one of them (each, all of its expressions).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required_node_affinity: Vec<NodeSelectorTerm>,
    /// `podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution`: a pod stays out of a
    /// topology domain (a node, for `kubernetes.io/hostname`) that runs a pod its selector
    /// matches, its own workload's included.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required_pod_anti_affinity: Vec<PodAffinityTerm>,
    /// `podAffinity.requiredDuringSchedulingIgnoredDuringExecution`: a pod goes only to a
    /// topology domain that runs a pod every term selects (the first of a workload whose terms
    /// select itself may go to any node with the keys).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required_pod_affinity: Vec<PodAffinityTerm>,
}

/// One term of a pod (anti-)affinity: the pods it selects, in the same namespace, and the node
/// label whose value makes a domain.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PodAffinityTerm {
    /// `None` selects no pod (the API's null selector); an empty one selects every pod.
    #[serde(default, rename = "labelSelector", skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
    #[serde(rename = "topologyKey")]
    pub topology_key: String,
    /// Kept as written, so values flowcap writes back lose nothing of the operator's; flowcap
    /// takes them to include the release's own namespace, where all the chart's pods run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<String>>,
    #[serde(default, rename = "namespaceSelector", skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    /// Label keys whose values the selector takes from the incoming pod (Kubernetes 1.29+);
    /// flowcap's pods of one workload share them, so they narrow nothing it places.
    #[serde(default, rename = "matchLabelKeys", skip_serializing_if = "Option::is_none")]
    pub match_label_keys: Option<Vec<String>>,
    #[serde(default, rename = "mismatchLabelKeys", skip_serializing_if = "Option::is_none")]
    pub mismatch_label_keys: Option<Vec<String>>,
}

/// A label selector: every label of `matchLabels` with its value, and every expression.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LabelSelector {
    #[serde(default, rename = "matchLabels", skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    #[serde(default, rename = "matchExpressions", skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<Requirement>,
}

impl Constraints {
    /// What the API server refuses in a pod's tolerations and node affinity: the place (under
    /// the constraints) and why.
    pub fn check(&self) -> Result<(), (String, String)> {
        for (index, toleration) in self.tolerations.iter().enumerate() {
            let at = format!("tolerations.{index}");
            if toleration.toleration_seconds.is_some() && toleration.effect != Some(TaintEffect::NoExecute) {
                return Err((
                    at,
                    "tolerationSeconds is for NoExecute tolerations: the API server refuses it with any other effect"
                        .into(),
                ));
            }
            match toleration.operator {
                TolerationOperator::Exists if !toleration.value.is_empty() => {
                    return Err((at, "an Exists toleration takes no value".into()));
                }
                TolerationOperator::Equal if toleration.key.is_empty() => {
                    return Err((
                        at,
                        "an Equal toleration needs a key (Exists with no key tolerates every taint)".into(),
                    ));
                }
                _ => {}
            }
        }
        for (t, term) in self.required_node_affinity.iter().enumerate() {
            if term.match_expressions.is_empty() {
                return Err((
                    format!("required_node_affinity.{t}"),
                    "a node selector term needs matchExpressions: an empty term matches no node".into(),
                ));
            }
            for (e, requirement) in term.match_expressions.iter().enumerate() {
                requirement
                    .check(true)
                    .map_err(|why| (format!("required_node_affinity.{t}.matchExpressions.{e}"), why))?;
            }
        }
        for (key, terms) in [
            ("required_pod_anti_affinity", &self.required_pod_anti_affinity),
            ("required_pod_affinity", &self.required_pod_affinity),
        ] {
            for (t, term) in terms.iter().enumerate() {
                if term.topology_key.is_empty() {
                    return Err((
                        format!("{key}.{t}.topologyKey"),
                        "is required: the API server refuses a term without a topologyKey".into(),
                    ));
                }
                let expressions = term.label_selector.iter().flat_map(|selector| &selector.match_expressions);
                for (e, requirement) in expressions.enumerate() {
                    let at = format!("{key}.{t}.labelSelector.matchExpressions.{e}");
                    requirement.check(false).map_err(|why| (at, why))?;
                }
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSelectorTerm {
    #[serde(default, rename = "matchExpressions")]
    pub match_expressions: Vec<Requirement>,
}

/// One expression of a node selector term.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub key: String,
    pub operator: SelectorOperator,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl Requirement {
    /// What the API server refuses in one expression, of a node selector (`node`, where Gt
    /// and Lt compare a whole number) or of a label selector (where they do not exist).
    fn check(&self, node: bool) -> Result<(), String> {
        let values = self.values.len();
        let wrong = match self.operator {
            SelectorOperator::In | SelectorOperator::NotIn => (values == 0).then_some("needs values"),
            SelectorOperator::Exists | SelectorOperator::DoesNotExist => (values > 0).then_some("takes no values"),
            SelectorOperator::Gt | SelectorOperator::Lt if !node => Some("is for node selectors, not label selectors"),
            SelectorOperator::Gt | SelectorOperator::Lt => {
                (values != 1 || self.values[0].parse::<i64>().is_err()).then_some("takes one whole number")
            }
        };
        wrong.map_or(Ok(()), |wrong| Err(format!("{:?} {wrong}", self.operator)))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum SelectorOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

fn is_zero(count: &u32) -> bool {
    *count == 0
}

/// The kubelet's default `maxPods`.
pub const DEFAULT_MAX_PODS: u32 = 110;
