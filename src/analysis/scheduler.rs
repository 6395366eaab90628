//! kube-scheduler's default placement, simulated pod by pod, with no pod ever moved.
//!
//! Filters: the requests fit what the node has left, and the node runs fewer than its
//! `maxPods`. Scores, with the default profile's weights: NodeResourcesFit's LeastAllocated (1;
//! requests counted as the scheduler's non-zero defaults, 100m and 200 MiB, where a pod has
//! none), NodeResourcesBalancedAllocation (1) and the default PodTopologySpread (2: pods of one
//! workload spread over hostnames, `maxSkew: 3`, and over zones where the pools carry
//! `topology.kubernetes.io/zone`, `maxSkew: 5`, both ScheduleAnyway). The highest score wins; where
//! several tie, the real scheduler picks one at random and this one takes the first or the last
//! ([`Ties`]; the search of orders tries both). Past 100
//! nodes the scheduler stops at a share of them (`percentageOfNodesToScore`'s adaptive
//! default, from a start that rotates), and so does this. Integer arithmetic as the scheduler's.
//!
//! The Kubernetes docs' "Scheduling Framework", "Resource Bin Packing", "Pod Topology Spread
//! Constraints" (cluster-level defaults) and "Scheduler Performance Tuning" pages describe each;
//! docs/design.md cites them.

use super::affinity::{Admission, Apart, Beside, Occupied};
use super::node_model::{Offer, offer};

pub(crate) mod fixtures;
mod tests;
mod why;

const MAX_NODE_SCORE: i64 = 100;
/// The requests the scheduler scores a pod by when it has none (`DefaultMilliCPURequest`,
/// `DefaultMemoryRequest`).
const DEFAULT_CPU_REQUEST: u64 = 100;
const DEFAULT_MEMORY_REQUEST: u64 = 200 << 20;
/// The default topology spread over hostnames, and over zones.
const MAX_SKEW: i64 = 3;
const ZONE_MAX_SKEW: i64 = 5;
const WEIGHT_FIT: i64 = 1;
const WEIGHT_BALANCED: i64 = 1;
const WEIGHT_SPREAD: i64 = 2;

/// One workload's pods: how many run now and at every autoscaler's maximum, and what each
/// requests.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub name: String,
    pub now: u32,
    pub at_maximum: u32,
    pub cpu_request: u64,
    pub memory_request: u64,
    /// Its limits (the requests where it sets none): they decide nothing in placement, and
    /// say whether a node's pods can outgrow it once placed.
    pub cpu_limit: u64,
    pub memory_limit: u64,
    /// Which node pools admit its pods (labels, taints).
    pub admission: Admission,
    /// The workloads (indices in the same list) its pods stay apart from: required pod
    /// anti-affinity, its own terms and theirs.
    pub apart: Vec<Apart>,
    /// Its required pod affinity: the workloads its pods join.
    pub beside: Option<Beside>,
    /// Some workload stays apart from its pods, or joins them: where they run is kept.
    pub watched: bool,
}

/// Pods of one workload the scheduler left Pending, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Pending {
    pub workload: String,
    pub pods: u32,
    pub reason: String,
    /// Nodes had room: its required pod anti-affinity kept it off them.
    pub apart: bool,
    /// Nodes had room: its required pod affinity kept it off them (none runs the pods it
    /// joins).
    pub beside: bool,
    /// No node pool admits it (labels, taints): it waits in every order.
    pub barred: bool,
}

/// What one order of arrival comes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub pending_now: Vec<Pending>,
    pub pending_at_maximum: Vec<Pending>,
    /// What each node holds at the end (in no particular order), the nodes the cluster
    /// autoscaler added included.
    pub loads: Vec<NodeLoad>,
}

/// The requests, limits and pods on one node, beside what it offers pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodeLoad {
    pub cpu_requests: u64,
    pub memory_requests: u64,
    pub pods: u32,
    pub pool: usize,
    pub cpus: u64,
    pub memory: u64,
    pub cpu_limits: u64,
    pub memory_limits: u64,
}

#[derive(Clone, Debug)]
struct Node {
    pool: usize,
    cpus: u64,
    memory: u64,
    /// 1 ÷ cpus and 1 ÷ memory, for the scores.
    per_cpu: f64,
    per_byte: f64,
    max_pods: u32,
    cpu_requests: u64,
    memory_requests: u64,
    /// The requests as the scorer counts them (non-zero defaults for pods without).
    cpu_scored: u64,
    memory_scored: u64,
    pods: u32,
    cpu_limits: u64,
    memory_limits: u64,
}

impl Node {
    fn fits(&self, w: &Workload) -> bool {
        self.pods < self.max_pods
            && w.admission.admits(self.pool)
            && self.cpus - self.cpu_requests >= w.cpu_request
            && self.memory - self.memory_requests >= w.memory_request
    }
}

/// ⌊left × 100 ÷ capacity⌋ (left ≤ capacity), as the scheduler's integer division: from the
/// node's reciprocal, corrected to the exact quotient (divisions are the slowest step of
/// scoring a node).
fn percent_left(left: u64, capacity: u64, reciprocal: f64) -> i64 {
    // Exact in u64 below 1.8e17: no node offers that much.
    let numerator = left.saturating_mul(MAX_NODE_SCORE as u64);
    let mut quotient = (numerator as f64 * reciprocal) as u64;
    while quotient > 0 && quotient.saturating_mul(capacity) > numerator {
        quotient -= 1;
    }
    while (quotient + 1).saturating_mul(capacity) <= numerator {
        quotient += 1;
    }
    quotient as i64
}

/// Which of the nodes that score alike a pod binds to, and which pool the cluster autoscaler
/// grows for a pod no node takes: the real ones pick at random (kube-scheduler among the top
/// scores, the cluster autoscaler's default `random` expander), so the first and the last are
/// both ways it may go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ties {
    First,
    Last,
}

impl Ties {
    /// Said after an order of arrival: nothing for the first node (as flowcap breaks ties
    /// everywhere else), else that the scheduler took the last.
    pub fn said(self) -> &'static str {
        match self {
            Ties::First => "",
            Ties::Last => " and ties between nodes go to the last, as kube-scheduler's random pick may",
        }
    }
}

/// The nodes and the pods placed on them.
#[derive(Clone)]
pub(super) struct Cluster {
    ties: Ties,
    /// What one node of each pool offers the plan's pods.
    offers: Vec<Offer>,
    nodes: Vec<Node>,
    /// Nodes each pool may grow to (its `max_nodes`) once the autoscalers scale.
    room: Vec<u32>,
    /// Pods of each workload on each node, for the workloads being placed.
    counts: Vec<Vec<u32>>,
    /// Each pool's zone (`topology.kubernetes.io/zone`), as an index; empty where no pool has one.
    zones: Vec<Option<usize>>,
    next_start: usize,
    /// The nodes that pass the filters for the pod being scheduled (kept to save allocations).
    feasible: Vec<usize>,
}

impl Cluster {
    pub(super) fn new(model: &crate::model::cluster::Cluster, workloads: usize, ties: Ties) -> Cluster {
        let pools = &model.node_pools;
        let mut cluster = Cluster {
            ties,
            offers: pools.iter().map(|pool| offer(model, pool)).collect(),
            nodes: Vec::new(),
            room: pools.iter().map(|p| p.max_nodes.unwrap_or(p.nodes).saturating_sub(p.nodes)).collect(),
            counts: vec![Vec::new(); workloads],
            zones: super::affinity::zones(model),
            next_start: 0,
            feasible: Vec::new(),
        };
        for (index, pool) in pools.iter().enumerate() {
            for _ in 0..pool.nodes {
                cluster.add_node(index);
            }
        }
        cluster
    }

    fn add_node(&mut self, pool: usize) {
        let Offer { cpus, memory, pods: max_pods } = self.offers[pool];
        self.nodes.push(Node {
            pool,
            cpus,
            memory,
            // max(1): a node that offers nothing scores its requests as if it had one unit.
            per_cpu: 1.0 / cpus.max(1) as f64,
            per_byte: 1.0 / memory.max(1) as f64,
            max_pods,
            cpu_requests: 0,
            memory_requests: 0,
            cpu_scored: 0,
            memory_scored: 0,
            pods: 0,
            cpu_limits: 0,
            memory_limits: 0,
        });
        for counts in self.counts.iter_mut().filter(|c| !c.is_empty()) {
            counts.push(0);
        }
    }

    /// The node the scheduler binds one pod of `workloads[w]` to, if any passes the filters.
    pub(super) fn schedule(&mut self, w: usize, workload: &Workload) -> Option<usize> {
        let n = self.nodes.len();
        if n == 0 {
            return None;
        }
        if self.counts[w].is_empty() {
            self.counts[w] = vec![0; n];
        }
        // percentageOfNodesToScore's adaptive default: 50 % − nodes ÷ 125, at least 5 %, and at
        // least 100 nodes.
        let wanted = if n < 100 {
            n
        } else {
            let percent = (50 - (n as i64) / 125).max(5) as usize;
            (n * percent / 100).max(100)
        };
        // Below 100 nodes every node is scored: start at the first, so ties go to the first.
        // Ties to the last mirror the nodes (past 100 too, the share scored then starts at
        // the last node), and take the first of the mirror.
        let start = if n < 100 { 0 } else { self.next_start };
        let mirror = |k: usize| if self.ties == Ties::Last { n - 1 - k } else { k };
        let mut feasible = std::mem::take(&mut self.feasible);
        feasible.clear();
        let mut visited = 0;
        let occupied = self.occupied(workload);
        for index in (start..n).chain(0..start).map(mirror) {
            if feasible.len() == wanted {
                break;
            }
            visited += 1;
            let pool = self.nodes[index].pool;
            if self.nodes[index].fits(workload) && self.affinity_ok(workload, pool, Some(index), occupied.as_ref()) {
                feasible.push(index);
            }
        }
        if n >= 100 {
            self.next_start = (start + visited) % n;
        }
        if feasible.is_empty() {
            self.feasible = feasible;
            return None;
        }
        let spread_scores = self.spread_scores(w, &feasible);
        let pod_cpu = if workload.cpu_request == 0 { DEFAULT_CPU_REQUEST } else { workload.cpu_request };
        let pod_memory = if workload.memory_request == 0 { DEFAULT_MEMORY_REQUEST } else { workload.memory_request };
        let mut best: Option<(i64, usize)> = None;
        for (&index, &spread) in feasible.iter().zip(&spread_scores) {
            let node = &self.nodes[index];
            let least = |requested: u64, capacity: u64, reciprocal: f64| -> i64 {
                if capacity == 0 || requested > capacity {
                    0
                } else {
                    percent_left(capacity - requested, capacity, reciprocal)
                }
            };
            let fit = (least(node.cpu_scored + pod_cpu, node.cpus, node.per_cpu)
                + least(node.memory_scored + pod_memory, node.memory, node.per_byte))
                / 2;
            // requested ÷ allocatable, by the reciprocal (within a float's last bit of the
            // scheduler's division).
            let fraction = |requested: u64, reciprocal: f64| (requested as f64 * reciprocal).min(1.0);
            let cpu = fraction(node.cpu_requests + workload.cpu_request, node.per_cpu);
            let memory = fraction(node.memory_requests + workload.memory_request, node.per_byte);
            let balanced = ((1.0 - (cpu - memory).abs() / 2.0) * MAX_NODE_SCORE as f64) as i64;
            let score = WEIGHT_FIT * fit + WEIGHT_BALANCED * balanced + WEIGHT_SPREAD * spread;
            if best.is_none_or(|(top, _)| score > top) {
                best = Some((score, index));
            }
        }
        self.feasible = feasible;
        let (_, index) = best?;
        let node = &mut self.nodes[index];
        node.cpu_requests += workload.cpu_request;
        node.memory_requests += workload.memory_request;
        node.cpu_scored += pod_cpu;
        node.memory_scored += pod_memory;
        node.cpu_limits += workload.cpu_limit;
        node.memory_limits += workload.memory_limit;
        node.pods += 1;
        self.counts[w][index] += 1;
        Some(index)
    }

    /// PodTopologySpread's score of each of the `feasible` nodes for a pod of workload `w`,
    /// normalised as its NormalizeScore does.
    fn spread_scores(&self, w: usize, feasible: &[usize]) -> Vec<i64> {
        let counts = &self.counts[w];
        let (fewest, most) =
            feasible.iter().fold((u32::MAX, 0), |(fewest, most), &i| (fewest.min(counts[i]), most.max(counts[i])));
        // PodTopologySpread's system defaults, each count × ln(domains + 2) + maxSkew − 1 summed
        // and rounded, then normalised so the fewest pods score highest: by hostname (the
        // feasible nodes are its domains), and by zone where the node has one (its pods on
        // every node of the zone; the zones among the feasible nodes are the domains).
        let weight = ((feasible.len() + 2) as f64).ln();
        let zones = self.zone_counts(counts, feasible);
        let by_host = |count: u32| f64::from(count) * weight + (MAX_SKEW - 1) as f64;
        let raw_of_count = |count: u32| by_host(count).round() as i64;
        let raw = |index: usize| {
            let mut raw = by_host(counts[index]);
            if let Some((per_zone, zone_weight)) = &zones
                && let Some(zone) = self.zones[self.nodes[index].pool]
            {
                raw += f64::from(per_zone[zone]) * zone_weight + (ZONE_MAX_SKEW - 1) as f64;
            }
            raw.round() as i64
        };
        let (low, high) = match zones {
            // By hostname alone the raw score grows with the count: the ends are the fewest's
            // and the most's, and each count's score is looked up (rounding per node is the
            // most of the time a spread of 10,000 pods takes).
            None => (raw_of_count(fewest), raw_of_count(most)),
            Some(_) => feasible.iter().fold((i64::MAX, i64::MIN), |(low, high), &i| {
                let raw = raw(i);
                (low.min(raw), high.max(raw))
            }),
        };
        let normalised = |raw: i64| if high == 0 { MAX_NODE_SCORE } else { MAX_NODE_SCORE * (high + low - raw) / high };
        match zones {
            None => {
                let by_count: Vec<i64> = (fewest..=most).map(|count| normalised(raw_of_count(count))).collect();
                feasible.iter().map(|&i| by_count[(counts[i] - fewest) as usize]).collect()
            }
            Some(_) => feasible.iter().map(|&i| normalised(raw(i))).collect(),
        }
    }

    /// Where the pools have zones: a workload's pods (`counts`, by node) in each zone, and the
    /// spread's weight for the zones among the `feasible` nodes, ln(zones + 2).
    fn zone_counts(&self, counts: &[u32], feasible: &[usize]) -> Option<(Vec<u32>, f64)> {
        let zones = self.zones.iter().flatten().max()? + 1;
        let mut per_zone = vec![0u32; zones];
        for (node, pods) in self.nodes.iter().zip(counts) {
            if let Some(zone) = self.zones[node.pool] {
                per_zone[zone] += pods;
            }
        }
        let mut seen = vec![false; zones];
        for &index in feasible {
            if let Some(zone) = self.zones[self.nodes[index].pool] {
                seen[zone] = true;
            }
        }
        Some((per_zone, ((seen.iter().filter(|s| **s).count() + 2) as f64).ln()))
    }

    /// Whether a pod of `workload` may go to node `at`, or to a new node of `pool` (`at` is
    /// `None`): no workload it stays apart from runs a pod on that node (a new one is its own
    /// host) or in that pool's topology domain, and its required pod affinity holds there
    /// (`occupied`: where the pods it joins run).
    fn affinity_ok(&self, workload: &Workload, pool: usize, at: Option<usize>, occupied: Option<&Occupied>) -> bool {
        self.apart_ok(workload, pool, at)
            && workload.beside.as_ref().zip(occupied).is_none_or(|(beside, occupied)| beside.allows(pool, at, occupied))
    }

    fn apart_ok(&self, workload: &Workload, pool: usize, at: Option<usize>) -> bool {
        workload.apart.iter().all(|rule| {
            // No counts: none of its pods placed yet.
            let counts = &self.counts[rule.from];
            counts.is_empty() || rule.allows(pool, at, self.nodes.iter().zip(counts).map(|(n, &c)| (n.pool, c)))
        })
    }

    /// Where the pods `workload` joins run (its required pod affinity), if it has one.
    fn occupied(&self, workload: &Workload) -> Option<Occupied> {
        let beside = workload.beside.as_ref()?;
        let pods = |i: usize| beside.with.iter().map(|&w| self.counts[w].get(i).copied().unwrap_or(0)).sum::<u32>();
        Some(beside.occupied(self.nodes.iter().enumerate().map(move |(i, node)| (node.pool, pods(i)))))
    }

    /// The cluster autoscaler: a node of the first (or with [`Ties::Last`], the last) pool that
    /// may grow, admits the pod and whose empty node would take it.
    fn grow_for(&mut self, workload: &Workload) -> bool {
        let occupied = self.occupied(workload);
        let mut pools: Vec<usize> = (0..self.offers.len()).collect();
        if self.ties == Ties::Last {
            pools.reverse();
        }
        let pool = pools.into_iter().find(|&p| {
            let offer = self.offers[p];
            self.room[p] > 0
                && workload.admission.admits(p)
                && offer.cpus >= workload.cpu_request
                && offer.memory >= workload.memory_request
                && offer.pods > 0
                && self.affinity_ok(workload, p, None, occupied.as_ref())
        });
        let Some(pool) = pool else { return false };
        self.room[pool] -= 1;
        self.add_node(pool);
        true
    }

    /// Puts the nodes in a canonical order (by what they hold, and the pods on each of the
    /// workloads in `kept`) and says the state: two orders of arrival that leave the same
    /// state go on alike, so the search of orders goes on from one of them only.
    pub(super) fn canonical(&mut self, kept: &[bool]) -> Vec<u64> {
        let n = self.nodes.len();
        let kept: Vec<usize> = (0..kept.len()).filter(|&w| kept[w] && !self.counts[w].is_empty()).collect();
        let stride = 9 + kept.len();
        let mut rows = Vec::with_capacity(n * stride);
        for (i, node) in self.nodes.iter().enumerate() {
            rows.extend([node.cpus, node.memory, u64::from(node.max_pods)]);
            rows.extend([node.cpu_requests, node.memory_requests, node.cpu_scored, node.memory_scored]);
            rows.push(u64::from(node.pods));
            rows.extend(kept.iter().map(|&w| u64::from(self.counts[w][i])));
            // Last, so nodes alike in all else keep their pools' order.
            rows.push(node.pool as u64);
        }
        let row = |i: usize| &rows[i * stride..(i + 1) * stride];
        let mut permutation: Vec<usize> = (0..n).collect();
        permutation.sort_by(|&a, &b| row(a).cmp(row(b)));
        self.nodes = permutation.iter().map(|&i| self.nodes[i].clone()).collect();
        for counts in self.counts.iter_mut().filter(|c| !c.is_empty()) {
            *counts = permutation.iter().map(|&i| counts[i]).collect();
        }
        let mut key: Vec<u64> = self.room.iter().map(|&r| u64::from(r)).collect();
        key.reserve(n * stride);
        for &i in &permutation {
            key.extend_from_slice(row(i));
        }
        key
    }
}

/// Places one workload's pods as they are now; its pods left Pending.
pub(super) fn place_now(cluster: &mut Cluster, w: usize, workload: &Workload) -> u32 {
    let mut pending = 0;
    for _ in 0..workload.now {
        if cluster.schedule(w, workload).is_none() {
            pending += 1;
        }
    }
    // Counts are needed later only for the workloads that scale or wait.
    if workload.at_maximum <= workload.now && pending == 0 && !workload.watched {
        cluster.counts[w] = Vec::new();
    }
    pending
}

/// The scheduler retries a Pending pod when a pod it could join binds: after a workload's pods
/// come, the pods of those before it (`earlier`) that wait for pods to join get another try.
pub(super) fn retry_joining(cluster: &mut Cluster, workloads: &[Workload], earlier: &[usize], pending: &mut [u32]) {
    for &w in earlier {
        if workloads[w].beside.is_none() {
            continue;
        }
        while pending[w] > 0 && cluster.schedule(w, &workloads[w]).is_some() {
            pending[w] -= 1;
        }
    }
}

/// The workloads whose spread the state must keep: those that scale up later.
pub(super) fn scaling(workloads: &[Workload]) -> Vec<bool> {
    workloads.iter().map(|w| w.at_maximum > w.now || w.watched).collect()
}

/// Every workload that scales up, one pod at a time, in turn (in `order`), to its maximum; the
/// pods Pending now wait first, and the cluster autoscaler adds a node for a pod no node takes.
pub(super) fn scale_up(
    cluster: &mut Cluster,
    workloads: &[Workload],
    order: &[usize],
    pending: &[u32],
) -> Vec<Pending> {
    let mut placed: Vec<u32> = order.iter().map(|&w| workloads[w].now - pending[w]).collect();
    let mut still: Vec<u32> = vec![0; workloads.len()];
    loop {
        let mut progressed = false;
        for (k, &w) in order.iter().enumerate() {
            let workload = &workloads[w];
            if placed[k] + still[w] >= workload.at_maximum.max(workload.now) {
                continue;
            }
            progressed = true;
            let bound = cluster.schedule(w, workload).is_some()
                || (cluster.grow_for(workload) && cluster.schedule(w, workload).is_some());
            if bound {
                placed[k] += 1;
            } else {
                still[w] += 1;
            }
        }
        if !progressed {
            break;
        }
    }
    // Why, as the nodes stand at the end (once per workload: a reason costs a pass over them).
    order.iter().filter(|&&w| still[w] > 0).map(|&w| cluster.pending(&workloads[w], still[w])).collect()
}

/// `order` as the workloads' pods bind: one whose required pod affinity waits for another's
/// pods after the first of those ([`super::affinity::arrival`]).
pub fn arrival(workloads: &[Workload], order: &[usize]) -> Vec<usize> {
    super::affinity::arrival(order, workloads, |w| w.beside.as_ref())
}

/// Places the workloads' pods as the scheduler would when they arrive in `order` (indices into
/// `workloads`, every workload's pods together; [`arrival`] first): first each at `now`, then every workload that
/// scales up one pod at a time, in turn, to `at_maximum`, the cluster autoscaler adding a node
/// of a pool below its `max_nodes` for a pod no node takes; ties go to the first node or pool,
/// or the last.
pub fn schedule(
    model: &crate::model::cluster::Cluster,
    workloads: &[Workload],
    order: &[usize],
    ties: Ties,
) -> Outcome {
    let order = &arrival(workloads, order);
    let mut cluster = Cluster::new(model, workloads.len(), ties);
    let kept = scaling(workloads);
    let mut pending = vec![0; workloads.len()];
    for (k, &w) in order.iter().enumerate() {
        pending[w] = place_now(&mut cluster, w, &workloads[w]);
        retry_joining(&mut cluster, workloads, &order[..k], &mut pending);
        // As the search of orders does (below 100 nodes), so a replay of its order comes to
        // the same.
        if cluster.nodes.len() < 100 {
            cluster.canonical(&kept);
        }
    }
    // Why, as the nodes stand once every workload has come.
    let pending_now =
        order.iter().filter(|&&w| pending[w] > 0).map(|&w| cluster.pending(&workloads[w], pending[w])).collect();
    let pending_at_maximum = scale_up(&mut cluster, workloads, order, &pending);
    let loads = cluster
        .nodes
        .iter()
        .map(|n| NodeLoad {
            cpu_requests: n.cpu_requests,
            memory_requests: n.memory_requests,
            pods: n.pods,
            pool: n.pool,
            cpus: n.cpus,
            memory: n.memory,
            cpu_limits: n.cpu_limits,
            memory_limits: n.memory_limits,
        })
        .collect();
    Outcome { pending_now, pending_at_maximum, loads }
}
