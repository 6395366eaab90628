//! Cluster fit: the plan's pods placed on the cluster's nodes as the scheduler's resource
//! filter places them. A pod fits a node when its CPU and memory requests fit what the node
//! still offers; limits do not count for placement (they can overcommit a node, which is
//! reported). Placement is first fit decreasing: pods sorted by CPU request, then memory,
//! largest first, each on the first node (in pool order) with room. The real scheduler also
//! spreads and scores, so it may place differently, but it cannot place a pod that fits no
//! node, nor more requests than the nodes offer.

use crate::model::cluster::NodePool;
use crate::model::plan::Plan;
use crate::model::resources::Resources;
use crate::model::service::ServiceKey;
use crate::model::units::{Bytes, Cpus, round4};
use serde::Serialize;

const GIB: u64 = 1 << 30;

/// What a node of `cpus` and `memory` offers pods after kube and system reservations and the
/// eviction threshold, by GKE's published formula (FACTS.md): CPU reserves 6 % of the first
/// core, 1 % of the second, 0.5 % of the next two and 0.25 % of every core above four; memory
/// reserves 25 % of the first 4 GiB, 20 % of the next 4, 10 % of the next 8, 6 % of the next
/// 112 and 2 % above 128 GiB, plus 100 MiB for eviction. Reservations round up.
///
/// ```
/// use flowcap::model::units::{Bytes, Cpus};
/// use flowcap::analysis::placement::allocatable;
/// // 4 CPUs / 16 GiB: 60 + 10 + 5 + 5 = 80 millicores; 1 + 0.8 + 0.8 GiB + 100 MiB.
/// assert_eq!(allocatable(Cpus::whole(4), Bytes::gib(16)), (Cpus(3_920), Bytes(14_283_282_841)));
/// ```
pub fn allocatable(cpus: Cpus, memory: Bytes) -> (Cpus, Bytes) {
    // (the amount in this band, its share in per ten thousand)
    let band = |amount: u64, from: u64, to: u64| amount.clamp(from, to) - from;
    let m = cpus.0;
    let cpu_reserved = (u128::from(band(m, 0, 1_000)) * 600
        + u128::from(band(m, 1_000, 2_000)) * 100
        + u128::from(band(m, 2_000, 4_000)) * 50
        + u128::from(band(m, 4_000, u64::MAX)) * 25)
        .div_ceil(10_000) as u64;
    let b = memory.0;
    let memory_reserved = (u128::from(band(b, 0, 4 * GIB)) * 25
        + u128::from(band(b, 4 * GIB, 8 * GIB)) * 20
        + u128::from(band(b, 8 * GIB, 16 * GIB)) * 10
        + u128::from(band(b, 16 * GIB, 128 * GIB)) * 6
        + u128::from(band(b, 128 * GIB, u64::MAX)) * 2)
        .div_ceil(100) as u64
        + Bytes::mib(100).0;
    (Cpus(m.saturating_sub(cpu_reserved)), Bytes(b.saturating_sub(memory_reserved)))
}

/// What one node of the pool offers pods: its `allocatable` where given, else the formula.
pub fn pool_allocatable(pool: &NodePool) -> (Cpus, Bytes) {
    let (cpus, memory) = allocatable(pool.cpus, pool.memory);
    let given = pool.allocatable.unwrap_or_default();
    (given.cpus.unwrap_or(cpus), given.memory.unwrap_or(memory))
}

/// Identical pods of one workload.
#[derive(Clone, Debug, PartialEq)]
pub struct PodGroup {
    /// The plan key of the workload: `api`, `runtime`, `jobs`, `other_services.redis`.
    pub workload: String,
    pub count: u32,
    /// Requests in millicores and bytes (0 when not requested).
    pub cpu_request: u64,
    pub memory_request: u64,
    pub cpu_limit: Option<u64>,
    pub memory_limit: Option<u64>,
}

/// The requests Kubernetes gives a pod: where a container sets a limit and no request, the
/// request is the limit.
pub fn effective_requests(requests: &Resources, limits: &Resources) -> Resources {
    Resources { cpus: requests.cpus.or(limits.cpus), memory: requests.memory.or(limits.memory) }
}

impl PodGroup {
    fn of(workload: &str, count: u32, requests: &Resources, limits: &Resources) -> PodGroup {
        let requests = effective_requests(requests, limits);
        PodGroup {
            workload: workload.to_string(),
            count,
            cpu_request: requests.cpus.map_or(0, |c| c.0),
            memory_request: requests.memory.map_or(0, |m| m.0),
            cpu_limit: limits.cpus.map(|c| c.0),
            memory_limit: limits.memory.map(|m| m.0),
        }
    }
}

/// Which replica counts to place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Every workload at its `replicas`, every pool at its `nodes`, no Jobs running.
    Now,
    /// Every autoscaler at its maximum, every Job the cap allows running, every pool at its
    /// `max_nodes`.
    Maximum,
}

/// The plan's pods at `scale`.
pub fn pods(plan: &Plan, scale: Scale) -> Vec<PodGroup> {
    let replicas = |now: u32, hpa: Option<crate::model::cluster::Autoscaling>| match (scale, hpa) {
        (Scale::Maximum, Some(hpa)) => hpa.max,
        _ => now,
    };
    let mut groups = Vec::new();
    for container in plan.containers() {
        let count = match container.key {
            ServiceKey::Api => replicas(plan.api.replicas, plan.api.autoscaling),
            ServiceKey::Runtime => replicas(plan.runtime.replicas, plan.runtime.autoscaling),
            _ => container.replicas,
        };
        groups.push(PodGroup::of(&container.key.to_string(), count, container.reservations, container.limits));
    }
    if let (Scale::Maximum, Some(jobs)) = (scale, &plan.jobs) {
        groups.push(PodGroup::of("jobs", jobs.max_concurrent, &jobs.reservations, &jobs.limits));
    }
    groups
}

/// A node and what its pods take of it.
#[derive(Clone, Debug)]
struct Node {
    pool: usize,
    /// What it offers pods after the DaemonSets.
    cpus: u64,
    memory: u64,
    cpu_requests: u64,
    memory_requests: u64,
    cpu_limits: u64,
    memory_limits: u64,
    pods: u32,
    /// The kubelet's maxPods less the DaemonSets' pods.
    max_pods: u32,
}

/// Pods of one workload that no node could take.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unplaced {
    pub workload: String,
    pub pods: u32,
    pub reason: String,
    /// Larger than any node offers pods: more nodes of these sizes do not help.
    pub too_big: bool,
    /// Every node with room for it already runs its maxPods: the pod count, not the size, is
    /// short.
    pub pods_full: bool,
}

/// A node whose pods' limits add up past what it offers: under load they contend (CPU) or
/// the kernel kills one (memory).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Overcommitted {
    pub node: String,
    pub cpu_limits_share: f64,
    pub memory_limits_share: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Placement {
    pub nodes: u32,
    pub pods: u64,
    pub placed: u64,
    pub unplaced: Vec<Unplaced>,
    /// The requests of the placed pods over what the nodes offer pods.
    pub cpu_requests_share: f64,
    pub memory_requests_share: f64,
    pub overcommitted: Vec<Overcommitted>,
}

/// Places `groups` on the pools' nodes (`nodes` or, at the maximum, `max_nodes` of each),
/// each offering its allocatable less the DaemonSets' requests.
pub fn place(
    pools: &[NodePool],
    daemonset: &Resources,
    daemonset_pods: u32,
    scale: Scale,
    groups: &[PodGroup],
) -> Placement {
    let mut nodes = Vec::new();
    for (index, pool) in pools.iter().enumerate() {
        let (cpus, memory) = pool_allocatable(pool);
        let count = if scale == Scale::Maximum { pool.max_nodes.unwrap_or(pool.nodes) } else { pool.nodes };
        let node = Node {
            pool: index,
            cpus: cpus.0.saturating_sub(daemonset.cpus.map_or(0, |c| c.0)),
            memory: memory.0.saturating_sub(daemonset.memory.map_or(0, |m| m.0)),
            cpu_requests: 0,
            memory_requests: 0,
            cpu_limits: 0,
            memory_limits: 0,
            pods: 0,
            max_pods: pool.max_pods().saturating_sub(daemonset_pods),
        };
        nodes.extend(std::iter::repeat_n(node, count as usize));
    }
    let mut order: Vec<&PodGroup> = groups.iter().filter(|g| g.count > 0).collect();
    order.sort_by_key(|g| std::cmp::Reverse((g.cpu_request, g.memory_request)));
    let mut unplaced = Vec::new();
    for group in order {
        // Identical pods: a node that could not take one cannot take the next, so the search
        // resumes where the last one went (linear in nodes plus pods, not their product).
        let mut cursor = 0;
        let mut left = group.count;
        while left > 0 {
            let Some(found) = nodes[cursor..].iter().position(|n| {
                n.cpus - n.cpu_requests >= group.cpu_request
                    && n.memory - n.memory_requests >= group.memory_request
                    && n.pods < n.max_pods
            }) else {
                break;
            };
            cursor += found;
            let node = &mut nodes[cursor];
            node.cpu_requests += group.cpu_request;
            node.memory_requests += group.memory_request;
            node.cpu_limits += group.cpu_limit.unwrap_or(group.cpu_request);
            node.memory_limits += group.memory_limit.unwrap_or(group.memory_request);
            node.pods += 1;
            left -= 1;
        }
        if left > 0 {
            let too_big = !nodes
                .iter()
                .any(|n| n.cpus >= group.cpu_request && n.memory >= group.memory_request && n.max_pods > 0);
            let room = |n: &&Node| {
                n.cpus - n.cpu_requests >= group.cpu_request && n.memory - n.memory_requests >= group.memory_request
            };
            let pods_full = nodes.iter().any(|n| room(&n)) && nodes.iter().filter(room).all(|n| n.pods >= n.max_pods);
            unplaced.push(Unplaced {
                workload: group.workload.clone(),
                pods: left,
                reason: why_unplaced(&nodes, group),
                too_big: too_big && !nodes.is_empty(),
                pods_full,
            });
        }
    }
    let total = |f: fn(&Node) -> u64| nodes.iter().map(f).sum::<u64>();
    let share = |used: u64, of: u64| if of == 0 { 0.0 } else { round4(used as f64 / of as f64) };
    let mut per_pool = vec![0usize; pools.len()];
    let overcommitted = nodes
        .iter()
        .filter_map(|n| {
            per_pool[n.pool] += 1;
            (n.cpu_limits > n.cpus || n.memory_limits > n.memory).then(|| Overcommitted {
                node: format!("{}-{}", pools[n.pool].name, per_pool[n.pool]),
                cpu_limits_share: share(n.cpu_limits, n.cpus),
                memory_limits_share: share(n.memory_limits, n.memory),
            })
        })
        .collect();
    let pods: u64 = groups.iter().map(|g| u64::from(g.count)).sum();
    Placement {
        nodes: nodes.len() as u32,
        pods,
        placed: pods - unplaced.iter().map(|u| u64::from(u.pods)).sum::<u64>(),
        unplaced,
        cpu_requests_share: share(total(|n| n.cpu_requests), total(|n| n.cpus)),
        memory_requests_share: share(total(|n| n.memory_requests), total(|n| n.memory)),
        overcommitted,
    }
}

/// Why a pod of `group` found no node: bigger than any node offers, or no room left.
fn why_unplaced(nodes: &[Node], group: &PodGroup) -> String {
    let cpus = Cpus(group.cpu_request);
    let requests =
        format!("{cpus} CPU{} and {}", if cpus == Cpus::whole(1) { "" } else { "s" }, Bytes(group.memory_request));
    let fits_empty = nodes.iter().any(|n| n.cpus >= group.cpu_request && n.memory >= group.memory_request);
    let room = |n: &&Node| {
        n.cpus - n.cpu_requests >= group.cpu_request && n.memory - n.memory_requests >= group.memory_request
    };
    if nodes.is_empty() {
        format!("it requests {requests} and the cluster has no nodes")
    } else if nodes.iter().filter(room).all(|n| n.pods >= n.max_pods) && nodes.iter().any(|n| room(&n)) {
        let most = nodes.iter().map(|n| n.max_pods).max().unwrap_or(0);
        format!(
            "every node with room for its {requests} already runs its {most} pods (the kubelet's maxPods, less the DaemonSets')"
        )
    } else if fits_empty {
        format!("it requests {requests} and no node has that much left")
    } else {
        format!(
            "it requests {requests}, more than any node offers pods (at most {} CPUs and {} on one node)",
            Cpus(nodes.iter().map(|n| n.cpus).max().unwrap_or(0)),
            Bytes(nodes.iter().map(|n| n.memory).max().unwrap_or(0))
        )
    }
}
