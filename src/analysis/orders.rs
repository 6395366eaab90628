//! The orders the workloads' pods may reach kube-scheduler in: Helm creates every resource of
//! a kind at once and their controllers create pods concurrently; restarts and drains
//! reshuffle them. On a small cluster every order is tried, a depth-first search over which
//! workload comes next that goes on from each state of the nodes once (two orders that leave
//! the nodes alike go on alike); on a large one, each workload first with the rest largest
//! first. [`crate::analysis::scheduler`] places the pods of one order.

use crate::analysis::scheduler::{Cluster, Pending, Workload, place_now, scale_up, scaling, schedule};
use crate::model::cluster::NodePool;
use crate::model::resources::Resources;
use rustc_hash::FxHashSet;
use serde::Serialize;

/// An order of arrival that leaves pods Pending.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PendingOrder {
    /// The workloads in the order their pods reached the scheduler.
    pub order: Vec<String>,
    pub pending: Vec<Pending>,
    /// Nodes the first pool would need beyond its own for this order to place every pod (at
    /// most 16 tried).
    pub extra_nodes: Option<u32>,
}

/// What the orders of arrival came to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scheduling {
    /// Orders of arrival covered: every permutation of the workloads when `every_order`.
    pub orders: u64,
    /// Every order was covered (else each workload first, the rest largest first, and all
    /// smallest first: a cluster of 100 nodes or more, or a search past its bound).
    pub every_order: bool,
    /// The first order found that leaves pods Pending now, and at the maximum.
    pub now: Option<PendingOrder>,
    pub at_maximum: Option<PendingOrder>,
}

/// Workloads placed (one workload's pods at a time) that the search may spend before it falls
/// back to the few orders.
const SEARCH_BOUND: usize = 20_000;

/// The workloads' pods placed in every order they may arrive in, until one order leaves pods
/// Pending now and one at the maximum.
pub fn every_order(
    pools: &[NodePool],
    daemonset: &Resources,
    daemonset_pods: u32,
    workloads: &[Workload],
) -> Scheduling {
    let every = (1..=workloads.len() as u64).try_fold(1u64, |a, k| a.checked_mul(k)).unwrap_or(u64::MAX);
    if never_pending(pools, daemonset, daemonset_pods, workloads, false)
        && never_pending(pools, daemonset, daemonset_pods, workloads, true)
    {
        return Scheduling { orders: every, every_order: true, now: None, at_maximum: None };
    }
    let nodes: u32 = pools.iter().map(|p| p.max_nodes.unwrap_or(p.nodes)).sum();
    if nodes < 100 && workloads.len() <= 12 {
        let mut search = Search {
            pools,
            daemonset,
            daemonset_pods,
            workloads,
            kept: scaling(workloads),
            seen: FxHashSet::default(),
            seen_ends: FxHashSet::default(),
            placed: 0,
            result: Scheduling { orders: 0, every_order: true, now: None, at_maximum: None },
        };
        let cluster = Cluster::new(pools, daemonset, daemonset_pods, workloads.len());
        search.from(cluster, &mut Vec::new(), &mut vec![0; workloads.len()]);
        if search.placed <= SEARCH_BOUND {
            return Scheduling { orders: every, ..search.result };
        }
    }
    let mut result = Scheduling { orders: 0, every_order: false, now: None, at_maximum: None };
    for order in few_orders(workloads) {
        result.orders += 1;
        let outcome = schedule(pools, daemonset, daemonset_pods, workloads, &order);
        record(&mut result, pools, daemonset, daemonset_pods, workloads, &order, outcome.pending_now, true);
        record(&mut result, pools, daemonset, daemonset_pods, workloads, &order, outcome.pending_at_maximum, false);
        if result.now.is_some() && result.at_maximum.is_some() {
            break;
        }
    }
    result
}

/// Whether no order of arrival can leave a pod Pending, now (`nodes`) or at the maximum
/// (`max_nodes`, every pod at its most), by counting alone: a node turns a pod away only when
/// it runs its maxPods, or the other pods take more than its offer less the pod's request of
/// CPU or of memory. If the other pods' requests cannot turn every node away even when the
/// CPU, the memory and the pod counts are each spread the worst way (every node the smallest
/// of any pool), no order can; then the orders need no search.
fn never_pending(
    pools: &[NodePool],
    daemonset: &Resources,
    daemonset_pods: u32,
    workloads: &[Workload],
    at_maximum: bool,
) -> bool {
    let nodes: u64 =
        pools.iter().map(|p| u64::from(if at_maximum { p.max_nodes.unwrap_or(p.nodes) } else { p.nodes })).sum();
    let offers = pools.iter().map(|pool| {
        let (cpus, memory) = crate::analysis::placement::pool_allocatable(pool);
        (
            cpus.0.saturating_sub(daemonset.cpus.map_or(0, |c| c.0)),
            memory.0.saturating_sub(daemonset.memory.map_or(0, |m| m.0)),
            u64::from(pool.max_pods().saturating_sub(daemonset_pods)),
        )
    });
    let Some((cpu, memory, pods)) = offers.reduce(|a, b| (a.0.min(b.0), a.1.min(b.1), a.2.min(b.2))) else {
        return false;
    };
    let count = |w: &Workload| u64::from(if at_maximum { w.now.max(w.at_maximum) } else { w.now });
    let total = |f: fn(&Workload) -> u64| workloads.iter().map(|w| count(w).saturating_mul(f(w))).sum::<u64>();
    let (all_cpu, all_memory, all_pods) = (total(|w| w.cpu_request), total(|w| w.memory_request), total(|_| 1));
    workloads.iter().filter(|w| count(w) > 0).all(|w| {
        if w.cpu_request > cpu || w.memory_request > memory || pods == 0 {
            return false;
        }
        // Nodes each resource could turn away: a node is full for the pod past offer − request.
        let by_cpu = (all_cpu - w.cpu_request) / (cpu - w.cpu_request + 1);
        let by_memory = (all_memory - w.memory_request) / (memory - w.memory_request + 1);
        let by_pods = (all_pods - 1) / pods;
        by_cpu + by_memory + by_pods < nodes
    })
}

struct Search<'a> {
    pools: &'a [NodePool],
    daemonset: &'a Resources,
    daemonset_pods: u32,
    workloads: &'a [Workload],
    kept: Vec<bool>,
    /// States reached after some workloads: (which, the nodes).
    seen: FxHashSet<(u64, Vec<u64>)>,
    /// States at the end, with the order the autoscalers scale up in.
    seen_ends: FxHashSet<(Vec<usize>, Vec<u64>)>,
    placed: usize,
    result: Scheduling,
}

impl Search<'_> {
    fn done(&self) -> bool {
        (self.result.now.is_some() && self.result.at_maximum.is_some()) || self.placed > SEARCH_BOUND
    }

    fn from(&mut self, cluster: Cluster, prefix: &mut Vec<usize>, pending: &mut Vec<u32>) {
        let count = self.workloads.len();
        if prefix.len() == count {
            // One order at the maximum is all the report needs.
            if self.result.at_maximum.is_some() {
                return;
            }
            let scaling: Vec<usize> = prefix.iter().copied().filter(|&w| self.kept[w] || pending[w] > 0).collect();
            let mut end = cluster;
            let key = (scaling, end.canonical(&self.kept));
            if !self.seen_ends.insert(key) {
                return;
            }
            let waiting = scale_up(&mut end, self.workloads, prefix, pending);
            let (pools, daemonset, pods, workloads) = (self.pools, self.daemonset, self.daemonset_pods, self.workloads);
            record(&mut self.result, pools, daemonset, pods, workloads, prefix, waiting, false);
            return;
        }
        let mask: u64 = prefix.iter().map(|&w| 1u64 << w).sum();
        for w in 0..count {
            if mask & (1 << w) != 0 || self.done() {
                continue;
            }
            self.placed += 1;
            let mut next = cluster.clone();
            pending[w] = place_now(&mut next, w, &self.workloads[w]);
            prefix.push(w);
            if pending[w] > 0 && self.result.now.is_none() {
                // The rest may come in any order: this workload's pods already wait. The whole
                // order, replayed, says every pod it leaves waiting.
                let mut order = prefix.clone();
                order.extend((0..count).filter(|&o| mask & (1 << o) == 0 && o != w));
                let (pools, daemonset, pods, workloads) =
                    (self.pools, self.daemonset, self.daemonset_pods, self.workloads);
                let waiting = schedule(pools, daemonset, pods, workloads, &order).pending_now;
                record(&mut self.result, pools, daemonset, pods, workloads, &order, waiting, true);
            }
            let key = (mask | (1 << w), next.canonical(&self.kept));
            if self.seen.insert(key) {
                self.from(next, prefix, pending);
            }
            prefix.pop();
            pending[w] = 0;
        }
    }
}

/// Keeps the first order that leaves pods Pending, now or at the maximum, with the nodes that
/// order would need.
#[allow(clippy::too_many_arguments)]
fn record(
    result: &mut Scheduling,
    pools: &[NodePool],
    daemonset: &Resources,
    daemonset_pods: u32,
    workloads: &[Workload],
    order: &[usize],
    pending: Vec<Pending>,
    now: bool,
) {
    let slot = if now { &mut result.now } else { &mut result.at_maximum };
    if pending.is_empty() || slot.is_some() {
        return;
    }
    let extra = (1..=16).find(|&extra| {
        let mut grown = pools.to_vec();
        if let Some(first) = grown.first_mut() {
            first.nodes += extra;
            first.max_nodes = first.max_nodes.map(|m| m + extra);
        }
        let outcome = schedule(&grown, daemonset, daemonset_pods, workloads, order);
        if now { outcome.pending_now.is_empty() } else { outcome.pending_at_maximum.is_empty() }
    });
    *slot = Some(PendingOrder {
        order: order.iter().map(|&w| workloads[w].name.clone()).collect(),
        pending,
        extra_nodes: extra,
    });
}

/// Each workload first with the rest largest first, then all smallest first.
fn few_orders(workloads: &[Workload]) -> Vec<Vec<usize>> {
    let mut largest: Vec<usize> = (0..workloads.len()).collect();
    largest.sort_by_key(|&w| std::cmp::Reverse((workloads[w].cpu_request, workloads[w].memory_request)));
    let mut orders: Vec<Vec<usize>> = largest
        .iter()
        .map(|&first| std::iter::once(first).chain(largest.iter().copied().filter(|&w| w != first)).collect())
        .collect();
    orders.push(largest.iter().rev().copied().collect());
    orders
}
