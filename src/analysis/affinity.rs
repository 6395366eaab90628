//! kube-scheduler's node filters beside the resources: NodeAffinity (the pod's nodeSelector
//! and required node affinity against the node's labels) and TaintToleration (a `NoSchedule`
//! or `NoExecute` taint the pod does not tolerate). Every node of a pool has the pool's labels
//! and taints, so a workload is admitted by whole pools.

use crate::model::cluster::{
    Cluster, Constraints, LabelSelector, NodePool, PodAffinityTerm, Requirement, SelectorOperator, Taint, TaintEffect,
    Toleration, TolerationOperator,
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

/// Each pool's zone (`topology.kubernetes.io/zone`), as an index into the zones the pools
/// name; empty where no pool has one.
pub fn zones(cluster: &Cluster) -> Vec<Option<usize>> {
    let zones = domains(cluster, "topology.kubernetes.io/zone").unwrap_or_default();
    if zones.iter().all(Option::is_none) {
        return Vec::new();
    }
    zones.into_iter().map(|zone| zone.map(|z| z as usize)).collect()
}

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
/// `app.kubernetes.io/component` (`api`, `executor-pool`, …) and `app.kubernetes.io/name:
/// flow-like` (the chart's name); `app.kubernetes.io/instance` is the release's name, which
/// flowcap does not know, so a selector that names it is taken to name this release. A term
/// with no selector (`None`) selects no pod, as the API says.
pub fn selects(selector: Option<&LabelSelector>, workload: &str) -> bool {
    let Some(labels) = crate::model::chart::pod_labels(workload) else { return false };
    selector.is_some_and(|selector| selects_labels(selector, labels))
}

/// Whether `selector` selects a pod of the chart's component `component`, whether or not the
/// plan runs it.
fn selects_component(selector: Option<&LabelSelector>, component: &str) -> bool {
    let labels = BTreeMap::from([(crate::model::chart::COMPONENT_LABEL.to_string(), component.to_string())]);
    selector.is_some_and(|selector| selects_labels(selector, labels))
}

fn selects_labels(selector: &LabelSelector, mut labels: BTreeMap<String, String>) -> bool {
    let (name, instance) = crate::model::chart::RELEASE_LABELS;
    labels.insert(name.0.into(), name.1.into());
    let by_label = selector.match_labels.iter().all(|(key, value)| key == instance || labels.get(key) == Some(value));
    let by_expression = selector.match_expressions.iter().all(|requirement| {
        if requirement.key == instance {
            matches!(requirement.operator, SelectorOperator::In | SelectorOperator::Exists)
        } else {
            matches(requirement, &labels)
        }
    });
    by_label && by_expression
}

/// The topology domain of each pool's nodes under `topology_key` (pools with the same value
/// share one; a pool without the label is in none); `None` for `kubernetes.io/hostname`, where
/// every node is its own.
fn domains(cluster: &Cluster, topology_key: &str) -> Option<Vec<Option<u32>>> {
    (topology_key != HOSTNAME).then(|| {
        let mut seen: Vec<String> = Vec::new();
        cluster
            .node_pools
            .iter()
            .map(|pool| {
                let value = labels(cluster, pool).get(topology_key).cloned()?;
                let id = seen.iter().position(|v| *v == value).unwrap_or_else(|| {
                    seen.push(value);
                    seen.len() - 1
                });
                Some(id as u32)
            })
            .collect()
    })
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
            let domains = domains(cluster, &term.topology_key);
            for (other, other_name) in workloads.iter().enumerate() {
                if !selects(term.label_selector.as_ref(), other_name) {
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

/// One term's topology: each pool's domain, as [`Apart::domains`], and the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topology {
    pub domains: Option<Vec<Option<u32>>>,
    pub key: String,
}

/// A workload's required pod affinity, as kube-scheduler's InterPodAffinity filter holds it: a
/// pod goes only to a node that has every term's topology key and whose domain under each runs
/// a pod that every term selects. When no such pod runs anywhere and the pod's own labels match
/// every term, it may go to any node with the keys: the first of a workload kept together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Beside {
    /// The workloads (indices among those placed together) whose pods every term selects.
    pub with: Vec<usize>,
    /// Their plan keys, for messages.
    pub names: Vec<String>,
    pub terms: Vec<Topology>,
    /// Its own pods match every term.
    pub may_lead: bool,
    /// No term selects a pod of the plan: they name pods flowcap cannot see (another
    /// release's), taken to run in every domain, so only the keys bind.
    pub outside: bool,
}

/// Where the pods of a [`Beside`]'s `with` run: per term, by node (hostname) or by domain.
pub struct Occupied {
    per_term: Vec<Vec<bool>>,
    /// Some node with a term's key runs one.
    pub any: bool,
}

impl Beside {
    /// Where the pods of `with` run, from each node's pool and its pods of `with`.
    pub fn occupied(&self, nodes: impl Iterator<Item = (usize, u32)> + Clone) -> Occupied {
        let mut any = false;
        let per_term = self
            .terms
            .iter()
            .map(|term| match &term.domains {
                None => nodes.clone().map(|(_, pods)| pods > 0).collect(),
                Some(domains) => {
                    let mut held = vec![false; domains.iter().flatten().max().map_or(0, |&d| d as usize + 1)];
                    for (pool, pods) in nodes.clone() {
                        if let Some(domain) = domains[pool].filter(|_| pods > 0) {
                            held[domain as usize] = true;
                        }
                    }
                    held
                }
            })
            .collect();
        // The scheduler counts the pods on nodes with any of the keys.
        for (pool, pods) in nodes {
            any |= pods > 0
                && self.terms.iter().any(|term| term.domains.as_ref().is_none_or(|domains| domains[pool].is_some()));
        }
        Occupied { per_term, any }
    }

    /// A term's topology key that no pool's nodes carry: nothing is ever beside anything by it.
    pub fn unlabelled(&self) -> Option<&str> {
        let none = |term: &&Topology| term.domains.as_ref().is_some_and(|d| d.iter().all(Option::is_none));
        self.terms.iter().find(none).map(|term| term.key.as_str())
    }

    /// Whether the nodes of `pool` have every term's topology key.
    fn has_keys(&self, pool: usize) -> bool {
        self.terms.iter().all(|term| term.domains.as_ref().is_none_or(|domains| domains[pool].is_some()))
    }

    /// Whether a pod may go to node `at` of `pool`, or to a new node of `pool` (`at` is `None`:
    /// a new node runs no pod yet).
    pub fn allows(&self, pool: usize, at: Option<usize>, occupied: &Occupied) -> bool {
        if !self.has_keys(pool) {
            return false;
        }
        if self.outside {
            return true;
        }
        let beside = self.terms.iter().zip(&occupied.per_term).all(|(term, held)| match &term.domains {
            None => at.is_some_and(|at| held[at]),
            Some(domains) => domains[pool].is_some_and(|domain| held[domain as usize]),
        });
        beside || (!occupied.any && self.may_lead)
    }

    /// Whether its pods wait for another workload's: none of `with` has had its turn
    /// (`placed`) and they may not lead. The scheduler retries them once such a pod binds.
    fn waits(&self, placed: &[bool]) -> bool {
        !self.outside && !self.may_lead && !self.with.iter().any(|&w| placed[w])
    }
}

/// For each workload (plan keys, in the order they are placed), its required pod affinity.
pub fn beside<'a>(
    cluster: &Cluster,
    workloads: &[String],
    constraints: impl Fn(&str) -> Option<&'a Constraints>,
) -> Vec<Option<Beside>> {
    workloads
        .iter()
        .enumerate()
        .map(|(w, name)| {
            let terms = constraints(name).map_or(&[][..], |c| &c.required_pod_affinity);
            if terms.is_empty() {
                return None;
            }
            let selected = |other: &str| terms.iter().all(|term| selects(term.label_selector.as_ref(), other));
            let with: Vec<usize> = (0..workloads.len()).filter(|&o| selected(&workloads[o])).collect();
            // A term that selects a component of the chart the plan does not run is not
            // another release's: nothing it selects ever runs; nor is one that selects none.
            let others = |term: &PodAffinityTerm| {
                let selector = term.label_selector.as_ref();
                selector.is_some()
                    && !workloads.iter().any(|other| selects(selector, other))
                    && !crate::model::chart::WORKLOADS
                        .iter()
                        .any(|w| !w.component.is_empty() && selects_component(selector, w.component))
            };
            let outside = terms.iter().all(others);
            Some(Beside {
                names: with.iter().map(|&o| workloads[o].clone()).collect(),
                may_lead: with.contains(&w),
                with,
                terms: terms
                    .iter()
                    .map(|term| Topology {
                        domains: domains(cluster, &term.topology_key),
                        key: term.topology_key.clone(),
                    })
                    .collect(),
                outside,
            })
        })
        .collect()
}

/// `order` (indices into `items`, the workloads placed together, each with its required pod
/// affinity from `beside`) as the pods bind: a workload whose pods wait for another's binds
/// after the first of those has had its turn (its pods are retried once one of them binds;
/// flowcap places the other's pods first, all of them); where none ever comes, in its place.
pub fn arrival<T>(order: &[usize], items: &[T], beside: impl Fn(&T) -> Option<&Beside>) -> Vec<usize> {
    let mut placed = vec![false; items.len()];
    let mut left = order.to_vec();
    let mut arrived = Vec::with_capacity(order.len());
    while !left.is_empty() {
        let waits = |w: usize| beside(&items[w]).is_some_and(|b| b.waits(&placed));
        let next = left.iter().position(|&w| !waits(w)).unwrap_or(0);
        let w = left.remove(next);
        placed[w] = true;
        arrived.push(w);
    }
    arrived
}

/// Whether item `w`'s pods may come next after those `placed`: they wait for no other's, or
/// every item not yet placed does.
pub fn may_come<T>(w: usize, placed: &[bool], items: &[T], beside: impl Fn(&T) -> Option<&Beside>) -> bool {
    let waits = |w: usize| beside(&items[w]).is_some_and(|b| b.waits(placed));
    !waits(w) || (0..items.len()).all(|o| placed[o] || waits(o))
}
