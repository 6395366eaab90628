//! The orders the workloads' pods may reach kube-scheduler in: Helm creates every resource of
//! a kind at once and their controllers create pods concurrently; restarts and drains
//! reshuffle them. On a small cluster every order is tried, a depth-first search over which
//! workload comes next that goes on from each state of the nodes once (two orders that leave
//! the nodes alike go on alike); on a large one, each workload first with the rest largest
//! first. A workload whose pods join another's (required pod affinity) binds after the first
//! of those. [`crate::analysis::scheduler`] places the pods of one order.

use crate::analysis::affinity::may_come;
use crate::analysis::node_model::offer;
use crate::analysis::scheduler::{
    Cluster, Pending, Ties, Workload, arrival, place_now, retry_joining, scale_up, scaling, schedule,
};
use rustc_hash::FxHashSet;
use serde::Serialize;

/// An order of arrival that leaves pods Pending.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PendingOrder {
    /// The workloads in the order their pods reached the scheduler.
    pub order: Vec<String>,
    pub pending: Vec<Pending>,
    /// Which node the scheduler took where several scored alike (and which pool the cluster
    /// autoscaler grew): the real ones pick at random.
    pub ties: Ties,
    /// Nodes a pool needs beyond its own for every order covered to place every pod (at most
    /// 16 tried): what the spread costs, not only this order's.
    pub extra_nodes: Option<u32>,
    /// Which pool (its index in `cluster.node_pools`): the one that needs the fewest, the
    /// first where several do.
    pub extra_nodes_pool: Option<usize>,
}

/// What the orders of arrival came to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scheduling {
    /// Orders of arrival covered: every permutation of the workloads when `every_order`.
    pub orders: u64,
    /// Every order was covered (else each workload first, the rest largest first, and all
    /// smallest first: a cluster of 100 nodes or more, or a search past its bound).
    pub every_order: bool,
    /// The order that leaves the most pods Pending now, and at the maximum (the first found
    /// where several leave as many).
    pub now: Option<PendingOrder>,
    pub at_maximum: Option<PendingOrder>,
}

/// Workloads placed (one workload's pods at a time) that the search may spend before it falls
/// back to the few orders.
const SEARCH_BOUND: usize = 20_000;

/// The workloads' pods placed in every order they may arrive in: the orders that leave the
/// most pods Pending now and at the maximum, with the nodes the spread costs.
pub fn every_order(model: &crate::model::cluster::Cluster, workloads: &[Workload]) -> Scheduling {
    let mut result = orders(model, workloads, Goal::Worst, SEARCH_BOUND);
    for (slot, now) in [(&mut result.now, true), (&mut result.at_maximum, false)] {
        if let Some(order) = slot {
            let cost = spread_cost(model, workloads, now);
            (order.extra_nodes_pool, order.extra_nodes) = (cost.map(|c| c.0), cost.map(|c| c.1));
        }
    }
    result
}

/// Whether some order of arrival leaves pods Pending, now or at the maximum (the search stops
/// at the first it finds).
pub fn strands_in_some_order(model: &crate::model::cluster::Cluster, workloads: &[Workload]) -> bool {
    let found = orders(model, workloads, Goal::Any { now_only: false }, SEARCH_BOUND);
    found.now.is_some() || found.at_maximum.is_some()
}

/// What the search of orders looks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Goal {
    /// The orders that leave the most pods Pending, now and at the maximum.
    Worst,
    /// Any order that leaves pods Pending now (`true`), or now or at the maximum.
    Any { now_only: bool },
}

/// The orders `goal` asks for, over every order on a small cluster (while the search places at
/// most `bound` workloads), else the few, with ties between nodes going to the first and to
/// the last (which node, or pool, a pod's first node is may decide where the pods that follow
/// it can go).
fn orders(model: &crate::model::cluster::Cluster, workloads: &[Workload], goal: Goal, bound: usize) -> Scheduling {
    let (every, now_only) = (permutations(workloads.len()), goal == Goal::Any { now_only: true });
    if never_pending(model, workloads, false) && (now_only || never_pending(model, workloads, true)) {
        return Scheduling { orders: every, every_order: true, now: None, at_maximum: None };
    }
    let mut result = orders_with(model, workloads, (goal, bound), Ties::First);
    let found = |r: &Scheduling| r.now.is_some() && (now_only || r.at_maximum.is_some());
    if goal == Goal::Worst || !found(&result) {
        let last = orders_with(model, workloads, (goal, bound), Ties::Last);
        result.every_order &= last.every_order;
        for (slot, other) in [(&mut result.now, last.now), (&mut result.at_maximum, last.at_maximum)] {
            if total(&other) > total(slot) {
                *slot = other;
            }
        }
    }
    result
}

/// The orders of `n` workloads, n! (saturating).
fn permutations(n: usize) -> u64 {
    (1..=n as u64).try_fold(1u64, |a, k| a.checked_mul(k)).unwrap_or(u64::MAX)
}

/// [`orders`] with the ties between nodes broken one way.
fn orders_with(
    model: &crate::model::cluster::Cluster,
    workloads: &[Workload],
    (goal, bound): (Goal, usize),
    ties: Ties,
) -> Scheduling {
    let (every, now_only) = (permutations(workloads.len()), goal == Goal::Any { now_only: true });
    let mut result = Scheduling { orders: 0, every_order: false, now: None, at_maximum: None };
    let nodes: u32 = model.node_pools.iter().map(|p| p.max_nodes.unwrap_or(p.nodes).max(p.nodes)).sum();
    if nodes < 100 && workloads.len() <= 12 {
        let mut search = Search {
            model,
            workloads,
            goal,
            bound,
            ties,
            kept: scaling(workloads),
            seen: FxHashSet::default(),
            seen_ends: FxHashSet::default(),
            placed: 0,
            result: Scheduling { orders: 0, every_order: true, now: None, at_maximum: None },
        };
        let cluster = Cluster::new(model, workloads.len(), ties);
        search.from(cluster, &mut Vec::new(), &mut vec![0; workloads.len()]);
        if search.placed <= bound {
            return Scheduling { orders: every, ..search.result };
        }
        // Past its bound the search covered some orders, not all: what it found stands beside
        // what the few orders find.
        result = Scheduling { every_order: false, ..search.result };
    }
    for order in few_orders(workloads) {
        // The order the pods bind in, as the scheduler replays it.
        let order = arrival(workloads, &order);
        if goal != Goal::Worst && result.now.is_some() && (now_only || result.at_maximum.is_some()) {
            break;
        }
        result.orders += 1;
        let outcome = schedule(model, workloads, &order, ties);
        keep(&mut result.now, workloads, (&order, ties), outcome.pending_now);
        if !now_only {
            keep(&mut result.at_maximum, workloads, (&order, ties), outcome.pending_at_maximum);
        }
    }
    result
}

/// The pool that needs the fewest nodes for every order covered to place every pod, and how
/// many, now (more `nodes`) or at the maximum (more `max_nodes`, counted from `nodes` where it
/// has none): the first pool where several need as few (each later pool is tried only for
/// fewer); `None` past 16.
fn spread_cost(model: &crate::model::cluster::Cluster, workloads: &[Workload], now: bool) -> Option<(usize, u32)> {
    pool_needing_fewest(model.node_pools.len(), 16, |pool, most| {
        (1..=most).find(|&extra| {
            let mut grown = model.clone();
            let grown_pool = &mut grown.node_pools[pool];
            // Now, no autoscaler adds a node: the maximum does not matter (the fix raises it
            // as far, for the plan to stay valid).
            if now {
                grown_pool.nodes += extra;
            } else {
                grown_pool.max_nodes = Some(grown_pool.max_nodes.unwrap_or(grown_pool.nodes) + extra);
            }
            let found = orders(&grown, workloads, Goal::Any { now_only: now }, SEARCH_BOUND);
            if now { found.now.is_none() } else { found.now.is_none() && found.at_maximum.is_none() }
        })
    })
}

/// The pool that needs the fewest more nodes, and how many: `needed(pool, most)` gives the
/// fewest more nodes of `pool`, at most `most`, with which every pod places. A later pool is
/// asked only for fewer than the best so far, so the first wins among pools that need as few.
pub fn pool_needing_fewest(
    pools: usize,
    most: u32,
    mut needed: impl FnMut(usize, u32) -> Option<u32>,
) -> Option<(usize, u32)> {
    let mut best: Option<(usize, u32)> = None;
    for pool in 0..pools {
        let most = match best {
            Some((_, 0)) => break,
            Some((_, extra)) => extra - 1,
            None => most,
        };
        if let Some(extra) = needed(pool, most) {
            best = Some((pool, extra));
        }
    }
    best
}

/// Whether no order of arrival can leave a pod Pending, now (`nodes`) or at the maximum
/// (`max_nodes`, every pod at its most), by counting alone: a node turns a pod away only when
/// it runs its maxPods, or the other pods take more than its offer less the pod's request of
/// CPU or of memory. If the other pods' requests cannot turn every node that admits a pod away
/// even when the CPU, the memory and the pod counts are each spread the worst way (every node
/// the smallest of the pools that admit it, every other pod on them), no order can; then the
/// orders need no search.
fn never_pending(model: &crate::model::cluster::Cluster, workloads: &[Workload], at_maximum: bool) -> bool {
    // Counting knows nothing of which pods may share a node.
    if workloads.iter().any(|w| !w.apart.is_empty() || w.beside.is_some()) {
        return false;
    }
    let pools = &model.node_pools;
    let offers: Vec<_> = pools.iter().map(|pool| offer(model, pool)).collect();
    let count = |w: &Workload| u64::from(if at_maximum { w.now.max(w.at_maximum) } else { w.now });
    let total = |f: fn(&Workload) -> u64| workloads.iter().map(|w| count(w).saturating_mul(f(w))).sum::<u64>();
    let (all_cpu, all_memory, all_pods) = (total(|w| w.cpu_request), total(|w| w.memory_request), total(|_| 1));
    workloads.iter().filter(|w| count(w) > 0).all(|w| {
        let admitting = (0..pools.len()).filter(|&p| w.admission.admits(p));
        let nodes: u64 = admitting
            .clone()
            .map(|p| u64::from(if at_maximum { pools[p].max_nodes.unwrap_or(pools[p].nodes) } else { pools[p].nodes }))
            .sum();
        let Some((cpu, memory, pods)) = admitting
            .map(|p| (offers[p].cpus, offers[p].memory, u64::from(offers[p].pods)))
            .reduce(|a, b| (a.0.min(b.0), a.1.min(b.1), a.2.min(b.2)))
        else {
            return false;
        };
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
    model: &'a crate::model::cluster::Cluster,
    workloads: &'a [Workload],
    goal: Goal,
    /// Workloads the search may place before it stops ([`SEARCH_BOUND`]).
    bound: usize,
    ties: Ties,
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
        let found = match self.goal {
            Goal::Worst => false,
            Goal::Any { now_only } => self.result.now.is_some() && (now_only || self.result.at_maximum.is_some()),
        };
        found || self.placed > self.bound
    }

    fn from(&mut self, cluster: Cluster, prefix: &mut Vec<usize>, pending: &mut Vec<u32>) {
        let count = self.workloads.len();
        if prefix.len() == count {
            // Two orders that reach one state leave as many pods Pending now (the pods placed
            // are on its nodes): the order is replayed only when it leaves more.
            let waiting_now: u32 = pending.iter().sum();
            if waiting_now > total(&self.result.now) {
                let waiting = schedule(self.model, self.workloads, prefix, self.ties).pending_now;
                keep(&mut self.result.now, self.workloads, (prefix, self.ties), waiting);
            }
            if self.goal == (Goal::Any { now_only: true }) {
                return;
            }
            let scaling: Vec<usize> = prefix.iter().copied().filter(|&w| self.kept[w] || pending[w] > 0).collect();
            let mut end = cluster;
            let key = (scaling, end.canonical(&self.kept));
            if !self.seen_ends.insert(key) {
                return;
            }
            let waiting = scale_up(&mut end, self.workloads, prefix, pending);
            keep(&mut self.result.at_maximum, self.workloads, (prefix, self.ties), waiting);
            return;
        }
        let mask: u64 = prefix.iter().map(|&w| 1u64 << w).sum();
        let placed: Vec<bool> = (0..count).map(|w| mask & (1 << w) != 0).collect();
        for w in 0..count {
            if placed[w] || self.done() || !may_come(w, &placed, self.workloads, |w| w.beside.as_ref()) {
                continue;
            }
            self.placed += 1;
            let mut next = cluster.clone();
            let before = pending.clone();
            pending[w] = place_now(&mut next, w, &self.workloads[w]);
            retry_joining(&mut next, self.workloads, prefix, pending);
            prefix.push(w);
            let mut state = next.canonical(&self.kept);
            // Which pods still wait to join others decides what the next workloads' pods let in.
            state.extend((0..count).filter(|&v| self.workloads[v].beside.is_some()).map(|v| u64::from(pending[v])));
            if self.seen.insert((mask | (1 << w), state)) {
                self.from(next, prefix, pending);
            }
            prefix.pop();
            pending.copy_from_slice(&before);
        }
    }
}

/// Pods an order leaves Pending.
fn total(order: &Option<PendingOrder>) -> u32 {
    order.as_ref().map_or(0, |o| o.pending.iter().map(|p| p.pods).sum())
}

/// Keeps `order` (with its ties) in `slot` when it leaves more pods Pending than the order
/// kept there.
fn keep(
    slot: &mut Option<PendingOrder>,
    workloads: &[Workload],
    (order, ties): (&[usize], Ties),
    pending: Vec<Pending>,
) {
    let waiting: u32 = pending.iter().map(|p| p.pods).sum();
    if waiting > total(slot) {
        *slot = Some(PendingOrder {
            order: order.iter().map(|&w| workloads[w].name.clone()).collect(),
            pending,
            ties,
            extra_nodes: None,
            extra_nodes_pool: None,
        });
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::scheduler::fixtures::{pool, workload};
    use crate::model::cluster::Cluster;

    /// Two pools of two nodes of 8 CPUs, the runtime's pod admitted by the second only: the
    /// ties to the first node and to the last reach different states, so their searches place
    /// different numbers of workloads (49 and 54) before every order is covered. Between the
    /// two, one search is past its bound: not every order was covered.
    #[test]
    fn a_search_past_its_bound_for_either_tie_covers_not_every_order() {
        let model = Cluster { node_pools: vec![pool("a", 2, 8, None), pool("b", 2, 8, None)], ..Default::default() };
        let mut runtime = workload("runtime", 1, 6_500);
        runtime.admission.pools = vec![false, true];
        let workloads = [workload("api", 3, 2_000), workload("web", 2, 3_000), runtime, workload("jobs", 2, 1_500)];
        let covered = |bound, ties| orders_with(&model, &workloads, (Goal::Worst, bound), ties).every_order;
        assert_eq!([covered(48, Ties::First), covered(49, Ties::First)], [false, true]);
        assert_eq!([covered(53, Ties::Last), covered(54, Ties::Last)], [false, true]);
        let every = |bound| orders(&model, &workloads, Goal::Worst, bound);
        assert!(!every(49).every_order && !every(53).every_order);
        assert!(every(54).every_order);
        assert_eq!(every(54).orders, 24);
    }
}
