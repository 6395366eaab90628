//! kube-scheduler's node filters beside the resources: NodeAffinity (the pod's nodeSelector
//! and required node affinity against the node's labels) and TaintToleration (a `NoSchedule`
//! or `NoExecute` taint the pod does not tolerate). Every node of a pool has the pool's labels
//! and taints, so a workload is admitted by whole pools.

use crate::model::cluster::{
    Cluster, Constraints, LabelSelector, NodePool, Requirement, SelectorOperator, Taint, TaintEffect, Toleration,
    TolerationOperator,
};
use std::collections::BTreeMap;

/// A node's labels: the pool's own, over those every node has (`kubernetes.io/os: linux`,
/// `kubernetes.io/arch: amd64`, the instance type, the provider's pool label).
pub fn labels(cluster: &Cluster, pool: &NodePool) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        ("kubernetes.io/os".to_string(), "linux".to_string()),
        ("kubernetes.io/arch".to_string(), "amd64".to_string()),
    ]);
    if let Some(instance_type) = &pool.instance_type {
        labels.insert("node.kubernetes.io/instance-type".into(), instance_type.clone());
    }
    if let Some(key) = cluster.provider.pool_label() {
        labels.insert(key.into(), pool.name.clone());
    }
    labels.extend(pool.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    labels
}

fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect = toleration.effect.is_none_or(|effect| effect == taint.effect);
    let key = match toleration.operator {
        TolerationOperator::Exists => toleration.key.is_empty() || toleration.key == taint.key,
        TolerationOperator::Equal => toleration.key == taint.key && toleration.value == taint.value,
    };
    effect && key
}

fn matches(requirement: &Requirement, labels: &BTreeMap<String, String>) -> bool {
    let value = labels.get(&requirement.key);
    let number = |text: &str| text.parse::<i64>().ok();
    let compare = |ordering: std::cmp::Ordering| {
        let given = requirement.values.first().and_then(|v| number(v));
        matches!((value.and_then(|v| number(v)), given), (Some(v), Some(g)) if v.cmp(&g) == ordering)
    };
    match requirement.operator {
        SelectorOperator::In => value.is_some_and(|v| requirement.values.contains(v)),
        SelectorOperator::NotIn => value.is_none_or(|v| !requirement.values.contains(v)),
        SelectorOperator::Exists => value.is_some(),
        SelectorOperator::DoesNotExist => value.is_none(),
        SelectorOperator::Gt => compare(std::cmp::Ordering::Greater),
        SelectorOperator::Lt => compare(std::cmp::Ordering::Less),
    }
}

fn taint_text(taint: &Taint) -> String {
    let value = if taint.value.is_empty() { String::new() } else { format!("={}", taint.value) };
    format!("{}{value}:{:?}", taint.key, taint.effect)
}

/// Why the nodes of `pool` turn the pods with `constraints` away; `None` when they admit them.
pub fn refusal(cluster: &Cluster, pool: &NodePool, constraints: &Constraints) -> Option<String> {
    let labels = labels(cluster, pool);
    if let Some((key, value)) = constraints.node_selector.iter().find(|(k, v)| labels.get(*k) != Some(*v)) {
        return Some(format!("pool {} has no label {key}={value} (its nodeSelector)", pool.name));
    }
    let terms = &constraints.required_node_affinity;
    if !terms.is_empty() && !terms.iter().any(|term| term.match_expressions.iter().all(|r| matches(r, &labels))) {
        return Some(format!("pool {}'s labels match no term of its required node affinity", pool.name));
    }
    let untolerated = pool.taints.iter().find(|taint| {
        taint.effect != TaintEffect::PreferNoSchedule && !constraints.tolerations.iter().any(|t| tolerates(t, taint))
    });
    untolerated
        .map(|taint| format!("pool {} has the taint {}, which it does not tolerate", pool.name, taint_text(taint)))
}

/// Which node pools admit a workload's pods, and why the others do not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Admission {
    /// By pool, in the cluster's order; empty when every pool admits them.
    pub pools: Vec<bool>,
    /// Each refusing pool's reason, joined.
    pub refusals: String,
}

impl Admission {
    /// Whether the nodes of pool `pool` admit the pods.
    pub fn admits(&self, pool: usize) -> bool {
        self.pools.get(pool).copied().unwrap_or(true)
    }

    /// Whether no pool of the cluster admits the pods, whatever its nodes: no size or count of
    /// these pools helps.
    pub fn bars_every_pool(&self) -> bool {
        !self.pools.is_empty() && !self.pools.contains(&true)
    }

    /// Why no node takes the pods when no pool admits them.
    pub fn barred(&self) -> String {
        format!("no node pool admits it: {}", self.refusals)
    }
}

/// Which pools of `cluster` admit pods with `constraints` (none: no selector, no toleration).
pub fn admission(cluster: &Cluster, constraints: Option<&Constraints>) -> Admission {
    let none = Constraints::default();
    let constraints = constraints.unwrap_or(&none);
    let refusals: Vec<Option<String>> =
        cluster.node_pools.iter().map(|pool| refusal(cluster, pool, constraints)).collect();
    Admission {
        pools: refusals.iter().map(Option::is_none).collect(),
        refusals: refusals.into_iter().flatten().collect::<Vec<_>>().join("; "),
    }
}

/// The node label that makes every node its own topology domain.
pub const HOSTNAME: &str = "kubernetes.io/hostname";

/// A workload whose pods a workload's pods stay apart from (required pod anti-affinity, its
/// own term or the other's: the scheduler holds both ways).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Apart {
    /// The other workload, by its index among those placed together, and its plan key.
    pub from: usize,
    pub name: String,
    /// The topology domain of each pool's nodes (pools with the same value of the term's
    /// `topologyKey` share one; a pool without the label is in none, and nothing keeps a pod
    /// off it); `None` for `kubernetes.io/hostname`, where every node is its own.
    pub domains: Option<Vec<Option<u32>>>,
    /// The term's topology key, for messages.
    pub topology_key: String,
}

impl Apart {
    /// Whether a pod may go to node `at` of `pool`, or to a new node of `pool` (`at` is
    /// `None`: a new node is its own host), given each node's pool and its pods of the other
    /// workload (`nodes`).
    pub fn allows(&self, pool: usize, at: Option<usize>, mut nodes: impl Iterator<Item = (usize, u32)>) -> bool {
        match (&self.domains, at) {
            (None, Some(at)) => nodes.nth(at).is_none_or(|(_, pods)| pods == 0),
            (None, None) => true,
            (Some(domains), _) => domains[pool]
                .is_none_or(|domain| !nodes.any(|(node_pool, pods)| pods > 0 && domains[node_pool] == Some(domain))),
        }
    }
}

/// Whether `selector` selects the pods of `workload` (plan key): their labels are the chart's
/// `app.kubernetes.io/component` (`api`, `executor-pool`, …); the labels every pod of the
/// release carries (`app.kubernetes.io/name`, `app.kubernetes.io/instance`) are taken to be
/// this release's, so a selector that names them names it.
pub fn selects(selector: &LabelSelector, workload: &str) -> bool {
    let Some(labels) = crate::model::chart::pod_labels(workload) else { return false };
    let release = |key: &str| crate::model::chart::RELEASE_LABELS.contains(&key);
    let by_label = selector.match_labels.iter().all(|(key, value)| release(key) || labels.get(key) == Some(value));
    let by_expression = selector.match_expressions.iter().all(|requirement| {
        if release(&requirement.key) {
            matches!(requirement.operator, SelectorOperator::In | SelectorOperator::Exists)
        } else {
            matches(requirement, &labels)
        }
    });
    by_label && by_expression
}

/// For each workload (plan keys, in the order they are placed), the workloads its pods stay
/// apart from and over which domains; `constraints` gives a workload's `pod_placement`.
pub fn apart<'a>(
    cluster: &Cluster,
    workloads: &[String],
    constraints: impl Fn(&str) -> Option<&'a Constraints>,
) -> Vec<Vec<Apart>> {
    let mut apart = vec![Vec::new(); workloads.len()];
    for (w, name) in workloads.iter().enumerate() {
        for term in constraints(name).map_or(&[][..], |c| &c.required_pod_anti_affinity) {
            let domains = (term.topology_key != HOSTNAME).then(|| {
                let mut seen: Vec<String> = Vec::new();
                cluster
                    .node_pools
                    .iter()
                    .map(|pool| {
                        let value = labels(cluster, pool).get(&term.topology_key).cloned()?;
                        let id = seen.iter().position(|v| *v == value).unwrap_or_else(|| {
                            seen.push(value);
                            seen.len() - 1
                        });
                        Some(id as u32)
                    })
                    .collect()
            });
            for (other, other_name) in workloads.iter().enumerate() {
                if !selects(&term.label_selector, other_name) {
                    continue;
                }
                for (one, from) in [(w, other), (other, w)] {
                    let rule = Apart {
                        from,
                        name: workloads[from].clone(),
                        domains: domains.clone(),
                        topology_key: term.topology_key.clone(),
                    };
                    if !apart[one].contains(&rule) {
                        apart[one].push(rule);
                    }
                }
            }
        }
    }
    apart
}
