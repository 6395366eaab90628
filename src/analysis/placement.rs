//! Cluster fit: the plan's pods placed on the cluster's nodes as the scheduler's resource
//! filter places them. A pod fits a node when its CPU and memory requests fit what the node
//! still offers; limits do not count for placement (they can overcommit a node, which is
//! reported), and its pool admits it (labels and taints, [`crate::analysis::affinity`]).
//! Placement is first fit: pods with the fewest nodes admitting them first, then by CPU request,
//! then memory, largest first (first fit decreasing), each on the first node (in pool order)
//! with room; when that leaves pods over, smallest first too, and the packing that places more
//! is kept. Neither is the best packing in every case (that problem is NP-hard), so a pod left
//! over is "found no room in these packings", not proof that none exists; where the
//! scheduler's own spread ([`crate::analysis::pod_workloads::spread`]) leaves fewer over (pods
//! that must join others pack badly first fit), the figures take the spread. The real
//! scheduler also spreads and scores, so it may place differently
//! ([`crate::analysis::scheduler`]), but it cannot place a pod that fits no node, nor more
//! requests than the nodes offer.

use crate::analysis::affinity::{Admission, Apart, Beside, Occupied, admission};
use crate::analysis::node_model::offer;
use crate::model::cluster::Cluster;
use crate::model::plan::Plan;
use crate::model::resources::Resources;
use crate::model::units::{Bytes, Cpus, round4};
use serde::Serialize;

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
    /// Which node pools admit its pods (their labels and taints against its nodeSelector,
    /// affinity and tolerations).
    pub admission: Admission,
    /// The groups (indices among those placed with it) its pods stay apart from.
    pub apart: Vec<Apart>,
    /// Its required pod affinity: the groups its pods join.
    pub beside: Option<Beside>,
}

/// The requests Kubernetes gives a pod: where a container sets a limit and no request, the
/// request is the limit.
pub fn effective_requests(requests: &Resources, limits: &Resources) -> Resources {
    Resources { cpus: requests.cpus.or(limits.cpus), memory: requests.memory.or(limits.memory) }
}

impl PodGroup {
    fn of(plan: &Plan, workload: &str, count: u32, requests: &Resources, limits: &Resources) -> PodGroup {
        let requests = effective_requests(requests, limits);
        PodGroup {
            workload: workload.to_string(),
            count,
            cpu_request: requests.cpus.map_or(0, |c| c.0),
            memory_request: requests.memory.map_or(0, |m| m.0),
            cpu_limit: limits.cpus.map(|c| c.0),
            memory_limit: limits.memory.map(|m| m.0),
            admission: plan
                .cluster
                .as_ref()
                .map_or_else(Admission::default, |c| admission(c, plan.pod_placement.get(workload))),
            apart: Vec::new(),
            beside: None,
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
        let count = replicas(container.replicas, container.autoscaling);
        groups.push(PodGroup::of(plan, &container.key.to_string(), count, container.reservations, container.limits));
    }
    if let (Scale::Maximum, Some(jobs)) = (scale, &plan.jobs) {
        groups.push(PodGroup::of(plan, "jobs", jobs.max_concurrent, &jobs.reservations, &jobs.limits));
    }
    if let Some(cluster) = &plan.cluster {
        let names: Vec<String> = groups.iter().map(|g| g.workload.clone()).collect();
        let constraints = |name: &str| plan.pod_placement.get(name);
        let apart = crate::analysis::affinity::apart(cluster, &names, constraints);
        let beside = crate::analysis::affinity::beside(cluster, &names, constraints);
        for ((group, apart), beside) in groups.iter_mut().zip(apart).zip(beside) {
            group.apart = apart;
            group.beside = beside;
        }
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
    pods: u32,
    /// The kubelet's maxPods less the DaemonSets' pods.
    max_pods: u32,
    /// Pods of each group on it (kept only when some group stays apart from or joins another).
    holds: Vec<u32>,
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
    /// No node pool admits it (labels, taints): no size or count of these pools helps.
    pub barred: bool,
    /// Nodes have room, but each runs (or is in a domain that runs) a pod it stays apart from
    /// (required pod anti-affinity): more nodes or domains help, bigger ones do not.
    pub apart: bool,
    /// Nodes have room, but none runs (or is in a domain that runs) a pod it joins (required
    /// pod affinity): room beside those pods helps.
    pub beside: bool,
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

/// Places `groups` on the cluster's nodes (`nodes` or, at the maximum, `max_nodes` of each
/// pool), each offering its allocatable less the DaemonSets' requests.
pub fn place(cluster: &Cluster, scale: Scale, groups: &[PodGroup]) -> Placement {
    let pools = &cluster.node_pools;
    let mut nodes = Vec::new();
    for (index, pool) in pools.iter().enumerate() {
        let offer = offer(cluster, pool);
        let count = if scale == Scale::Maximum { pool.max_nodes.unwrap_or(pool.nodes) } else { pool.nodes };
        let node = Node {
            pool: index,
            cpus: offer.cpus,
            memory: offer.memory,
            cpu_requests: 0,
            memory_requests: 0,
            pods: 0,
            max_pods: offer.pods,
            holds: if groups.iter().any(|g| !g.apart.is_empty() || g.beside.is_some()) {
                vec![0; groups.len()]
            } else {
                Vec::new()
            },
        };
        nodes.extend(std::iter::repeat_n(node, count as usize));
    }
    let mut largest_first: Vec<usize> = (0..groups.len()).filter(|&g| groups[g].count > 0).collect();
    // The pods with the fewest nodes to go to first (a nodeSelector, a missing toleration),
    // then the largest: a pod that could go anywhere must not take the only room another has.
    // Jobs come last: their pods start per execution, on a cluster whose Deployments run.
    // Counted by pool once per group, not per node per comparison (10,000 groups sort in
    // 140,000 comparisons).
    let pool_nodes: Vec<usize> = (0..pools.len()).map(|p| nodes.iter().filter(|n| n.pool == p).count()).collect();
    let admitting: Vec<(bool, usize)> = groups
        .iter()
        .map(|g| {
            let admitted = (0..pools.len()).filter(|&p| g.admission.admits(p)).map(|p| pool_nodes[p]).sum();
            (g.workload == "jobs", admitted)
        })
        .collect();
    largest_first
        .sort_by_key(|&g| (admitting[g], std::cmp::Reverse((groups[g].cpu_request, groups[g].memory_request))));
    let mut smallest_first = largest_first.clone();
    smallest_first.sort_by_key(|&g| (admitting[g], (groups[g].cpu_request, groups[g].memory_request)));
    // A group whose pods join another's comes after it: before, they would have nothing to join.
    if groups.iter().any(|g| g.beside.is_some()) {
        use crate::analysis::affinity::arrival;
        largest_first = arrival(&largest_first, groups, |g| g.beside.as_ref());
        smallest_first = arrival(&smallest_first, groups, |g| g.beside.as_ref());
    }
    // Largest first places every pod whenever it finds a way to; when the pods cannot all be
    // placed, smallest first places the most of them (a node of 1 CPU takes 7 of the chart's
    // 10 default pods smallest first, 6 largest first). Which pods then wait depends on the
    // order they arrive in; how many at least is what the operator needs.
    let mut packed = nodes.clone();
    let mut unplaced = pack(&mut packed, groups, &largest_first);
    if !unplaced.is_empty() {
        let mut other = nodes.clone();
        let other_unplaced = pack(&mut other, groups, &smallest_first);
        let count = |u: &[Unplaced]| u.iter().map(|u| u.pods).sum::<u32>();
        if count(&other_unplaced) < count(&unplaced) {
            (packed, unplaced) = (other, other_unplaced);
        }
    }
    let nodes = packed;
    let total = |f: fn(&Node) -> u64| nodes.iter().map(f).sum::<u64>();
    let share = |used: u64, of: u64| if of == 0 { 0.0 } else { round4(used as f64 / of as f64) };
    let pods: u64 = groups.iter().map(|g| u64::from(g.count)).sum();
    Placement {
        nodes: nodes.len() as u32,
        pods,
        placed: pods - unplaced.iter().map(|u| u64::from(u.pods)).sum::<u64>(),
        unplaced,
        cpu_requests_share: share(total(|n| n.cpu_requests), total(|n| n.cpus)),
        memory_requests_share: share(total(|n| n.memory_requests), total(|n| n.memory)),
        // Where limits overcommit a node is where the scheduler spreads the pods, not where
        // they pack: [`crate::analysis::pod_workloads::overcommitted`] fills it.
        overcommitted: Vec::new(),
    }
}

/// Places the groups in `order`, each pod on the first node with room; what is left over.
fn pack(nodes: &mut [Node], groups: &[PodGroup], order: &[usize]) -> Vec<Unplaced> {
    let mut unplaced = Vec::new();
    for &index in order {
        let group = &groups[index];
        // Identical pods: a node that could not take one cannot take the next, so the search
        // resumes where the last one went (linear in nodes plus pods, not their product).
        // (A pod that joins its own group's pods only narrows where the next may go.)
        let mut cursor = 0;
        let mut left = group.count;
        while left > 0 {
            // Where the pods it joins run, once a pod (its own may be among them).
            let occupied = group.beside.as_ref().map(|beside| beside.occupied(with_pods(nodes, beside)));
            let Some(found) = (cursor..nodes.len()).find(|&at| {
                let n = &nodes[at];
                group.admission.admits(n.pool)
                    && room(n, group)
                    && n.pods < n.max_pods
                    && apart_ok(nodes, group, at)
                    && beside_ok(nodes, group, at, occupied.as_ref())
            }) else {
                break;
            };
            cursor = found;
            if !nodes[cursor].holds.is_empty() {
                nodes[cursor].holds[index] += 1;
            }
            let node = &mut nodes[cursor];
            node.cpu_requests += group.cpu_request;
            node.memory_requests += group.memory_request;
            node.pods += 1;
            left -= 1;
        }
        if left > 0 {
            // Room and a pod slot on some node, and yet none: its pods stay apart from those,
            // or find none they join there.
            let open = |n: &Node| group.admission.admits(n.pool) && room(n, group) && n.pods < n.max_pods;
            let kept = nodes.iter().any(open);
            // Kept by the affinity where no node with room is beside the pods it joins, else
            // by the anti-affinity on those that are.
            let occupied = group.beside.as_ref().map(|beside| beside.occupied(with_pods(nodes, beside)));
            let beside = kept
                && group.beside.is_some()
                && !(0..nodes.len()).any(|at| open(&nodes[at]) && beside_ok(nodes, group, at, occupied.as_ref()));
            let apart = kept && !beside;
            let admitting: Vec<&Node> = nodes.iter().filter(|n| group.admission.admits(n.pool)).collect();
            let barred = group.admission.bars_every_pool();
            let too_big = !admitting
                .iter()
                .any(|n| n.cpus >= group.cpu_request && n.memory >= group.memory_request && n.max_pods > 0);
            let with_room = || admitting.iter().filter(|n| room(n, group));
            let pods_full = with_room().next().is_some() && with_room().all(|n| n.pods >= n.max_pods);
            let reason = if barred {
                group.admission.barred()
            } else if apart {
                apart_reason(&group.apart)
            } else if let Some((joins, occupied)) = group.beside.as_ref().zip(occupied).filter(|_| beside) {
                // Beside the pods it joins, but on nodes that do not admit it.
                let admitted = (0..nodes.len()).any(|at| {
                    group.admission.admits(nodes[at].pool) && joins.allows(nodes[at].pool, Some(at), &occupied)
                });
                let refused = (occupied.any && !admitted).then_some(group.admission.refusals.as_str());
                beside_reason(joins, occupied.any, refused)
            } else {
                why_unplaced(&admitting, group)
            };
            unplaced.push(Unplaced {
                workload: group.workload.clone(),
                pods: left,
                reason,
                too_big: too_big && !barred && !admitting.is_empty(),
                pods_full,
                barred,
                apart,
                beside,
            });
        }
    }
    unplaced
}

/// Whether a pod of `group` has its requests' room left on `node`.
fn room(node: &Node, group: &PodGroup) -> bool {
    node.cpus - node.cpu_requests >= group.cpu_request && node.memory - node.memory_requests >= group.memory_request
}

/// Whether a pod of `group` may join the pods on `nodes[at]`: no group it stays apart from
/// runs a pod on that node, or in its topology domain.
fn apart_ok(nodes: &[Node], group: &PodGroup, at: usize) -> bool {
    group
        .apart
        .iter()
        .all(|rule| rule.allows(nodes[at].pool, Some(at), nodes.iter().map(|n| (n.pool, n.holds[rule.from]))))
}

/// Whether a pod of `group` may join the pods on `nodes[at]`: its required pod affinity
/// holds there (`occupied`: where the pods it joins run).
fn beside_ok(nodes: &[Node], group: &PodGroup, at: usize, occupied: Option<&Occupied>) -> bool {
    group
        .beside
        .as_ref()
        .zip(occupied)
        .is_none_or(|(beside, occupied)| beside.allows(nodes[at].pool, Some(at), occupied))
}

/// Each node's pool and its pods of the groups `beside` joins.
fn with_pods<'a>(nodes: &'a [Node], beside: &'a Beside) -> impl Iterator<Item = (usize, u32)> + Clone + 'a {
    nodes.iter().map(|n| (n.pool, beside.with.iter().map(|&g| n.holds[g]).sum()))
}

/// Why a pod finds no node where its required pod affinity bars every node with room:
/// `running`, some pod it joins runs; `refused`, why the nodes beside them do not admit it
/// (its nodeSelector, node affinity, a taint), where none does.
pub fn beside_reason(beside: &Beside, running: bool, refused: Option<&str>) -> String {
    let mut keys: Vec<&str> = beside.terms.iter().map(|term| term.key.as_str()).collect();
    keys.dedup();
    let keys = keys.join(", ");
    let names: Vec<&str> = beside.names.iter().map(|name| crate::model::service::workload_name(name)).collect();
    let names = names.join(" or ");
    if let Some(key) = beside.unlabelled() {
        format!("no node has the label {key} its required pod affinity groups by")
    } else if beside.outside {
        format!("no node with room for it has the label {keys} its required pod affinity groups by")
    } else if beside.with.is_empty() {
        format!(
            "no pod of the plan matches every term of its required pod affinity (by {keys}), so none runs for it to join"
        )
    } else if let Some(refusals) = refused {
        format!("the nodes beside the pods of {names} it joins (its required pod affinity) do not admit it: {refusals}")
    } else if running && beside.terms.iter().all(|term| term.domains.is_none()) {
        format!("no node with room for it runs a pod of {names} (its required pod affinity by {keys})")
    } else if running {
        format!("no node with room for it is in a {keys} domain that runs a pod of {names} (its required pod affinity)")
    } else {
        format!("no pod of {names} runs for it to join (its required pod affinity by {keys})")
    }
}

/// Why a pod finds no node where its required pod anti-affinity bars every node with room.
pub fn apart_reason(apart: &[Apart]) -> String {
    let mut keys: Vec<String> = apart
        .iter()
        .map(|rule| format!("{} by {}", crate::model::service::workload_name(&rule.name), rule.topology_key))
        .collect();
    keys.dedup();
    format!(
        "every node with room for it runs a pod it must stay apart from (its required pod anti-affinity: {})",
        keys.join(", ")
    )
}

/// Why a pod finds no node when the DaemonSets' pods fill every node's maxPods.
pub const NO_POD_SLOTS: &str =
    "the DaemonSets' pods take every pod slot of every node (cluster.daemonset_pods is at least the nodes' max_pods)";

/// Why a pod of `group` found no node: bigger than any node offers, or no room left.
/// Why a pod waits when no node that would admit it runs.
pub(super) fn no_nodes(requests: &str) -> String {
    format!("it requests {requests}; the node pools that admit it have no nodes")
}

fn why_unplaced(nodes: &[&Node], group: &PodGroup) -> String {
    let cpus = Cpus(group.cpu_request);
    let requests =
        format!("{cpus} CPU{} and {}", if cpus == Cpus::whole(1) { "" } else { "s" }, Bytes(group.memory_request));
    let fits_empty = nodes.iter().any(|n| n.cpus >= group.cpu_request && n.memory >= group.memory_request);
    let room = |n: &&&Node| room(n, group);
    if nodes.is_empty() {
        no_nodes(&requests)
    } else if nodes.iter().all(|n| n.max_pods == 0) {
        NO_POD_SLOTS.into()
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
