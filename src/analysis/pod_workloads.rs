//! The plan's long-running workloads as kube-scheduler meets them ([`crate::analysis::scheduler`]
//! places them), with their required pod (anti-)affinity linked, and the nodes whose pods'
//! limits overcommit them as the scheduler spreads the pods.

use crate::analysis::placement::{Overcommitted, Placement, Scale, Unplaced, place, pods};
use crate::analysis::scheduler::{NodeLoad, Pending, Ties, Workload, schedule};
use crate::model::plan::Plan;

/// The plan's long-running workloads as the scheduler meets them: each with its pods now and
/// at every autoscaler's maximum. The Job backend's pods are left out: they come and go with
/// executions, wait as Pending by design past what the nodes hold, and their cap is held
/// against the cluster by `job-cap-exceeds-cluster`.
pub fn workloads(plan: &Plan) -> Vec<Workload> {
    let mut workloads = every_workload(plan);
    workloads.retain(|w| w.name != "jobs");
    link_affinity(plan, workloads)
}

/// Which workloads stay apart from which, and which join which (indices in `workloads`, as
/// they are placed).
fn link_affinity(plan: &Plan, mut workloads: Vec<Workload>) -> Vec<Workload> {
    let Some(cluster) = &plan.cluster else { return workloads };
    let names: Vec<String> = workloads.iter().map(|w| w.name.clone()).collect();
    let constraints = |name: &str| plan.pod_placement.get(name);
    let apart = crate::analysis::affinity::apart(cluster, &names, constraints);
    let beside = crate::analysis::affinity::beside(cluster, &names, constraints);
    for ((workload, apart), beside) in workloads.iter_mut().zip(apart).zip(beside) {
        workload.apart = apart;
        workload.beside = beside;
    }
    // Where the pods others stay apart from, or join, run is kept.
    let watched: Vec<usize> = workloads
        .iter()
        .flat_map(|w| w.apart.iter().map(|rule| rule.from).chain(w.beside.iter().flat_map(|b| b.with.clone())))
        .collect();
    for from in watched {
        workloads[from].watched = true;
    }
    workloads
}

/// The pods as the scheduler spreads them (largest first) at one scale.
pub struct Spread {
    /// The nodes whose pods' limits add up past what they offer pods, each named by its pool
    /// and place (`general-2`).
    pub overcommitted: Vec<Overcommitted>,
    /// Pods left Pending, the Job backend's aside.
    pub pending: Vec<Pending>,
    /// The nodes the pods were spread on (at the maximum, those the cluster autoscaler added
    /// for them included), and the requests placed over what they offer pods.
    pub nodes: u32,
    pub cpu_requests_share: f64,
    pub memory_requests_share: f64,
}

/// The pods as the scheduler spreads them (largest first, else smallest first, `ties` between
/// nodes broken one way): at every autoscaler's maximum (the cluster autoscaler adds a node only for a pod no
/// node takes; Jobs up to their cap included where they fit), or now (every workload at its
/// replicas, the pools at their nodes, no Jobs).
pub fn spread(model: &crate::model::cluster::Cluster, plan: &Plan, scale: Scale, way: (bool, Ties)) -> Spread {
    spread_of(model, &link_affinity(plan, every_workload(plan)), scale, way)
}

/// [`spread`] of the workloads `every_workload` gives, linked: read once for every way tried.
fn spread_of(
    model: &crate::model::cluster::Cluster,
    workloads: &[Workload],
    scale: Scale,
    (largest_first, ties): (bool, Ties),
) -> Spread {
    let mut workloads = workloads.to_vec();
    let mut model = model.clone();
    if scale == Scale::Now {
        for workload in &mut workloads {
            workload.at_maximum = workload.now;
        }
        for pool in &mut model.node_pools {
            pool.max_nodes = None;
        }
    }
    let model = &model;
    let mut order: Vec<usize> = (0..workloads.len()).collect();
    order.sort_by_key(|&w| std::cmp::Reverse((workloads[w].cpu_request, workloads[w].memory_request)));
    if !largest_first {
        order.reverse();
    }
    let share = |used: u64, of: u64| if of == 0 { 0.0 } else { crate::model::units::round4(used as f64 / of as f64) };
    let mut per_pool = vec![0usize; model.node_pools.len()];
    let outcome = schedule(model, &workloads, &order, ties);
    let pending = if scale == Scale::Now { &outcome.pending_now } else { &outcome.pending_at_maximum };
    let total = |f: fn(&NodeLoad) -> u64| outcome.loads.iter().map(f).sum::<u64>();
    Spread {
        overcommitted: outcome
            .loads
            .iter()
            .filter_map(|load| {
                per_pool[load.pool] += 1;
                (load.cpu_limits > load.cpus || load.memory_limits > load.memory).then(|| Overcommitted {
                    node: format!("{}-{}", model.node_pools[load.pool].name, per_pool[load.pool]),
                    cpu_limits_share: share(load.cpu_limits, load.cpus),
                    memory_limits_share: share(load.memory_limits, load.memory),
                })
            })
            .collect(),
        pending: pending.iter().filter(|p| p.workload != "jobs").cloned().collect(),
        nodes: outcome.loads.len() as u32,
        cpu_requests_share: share(total(|l| l.cpu_requests), total(|l| l.cpus)),
        memory_requests_share: share(total(|l| l.memory_requests), total(|l| l.memory)),
    }
}

/// Every workload's pods, the Job backend's included.
fn every_workload(plan: &Plan) -> Vec<Workload> {
    let now = pods(plan, Scale::Now);
    let mut workloads: Vec<Workload> = pods(plan, Scale::Maximum)
        .into_iter()
        .map(|g| Workload {
            now: now.iter().find(|n| n.workload == g.workload).map_or(0, |n| n.count),
            at_maximum: g.count,
            cpu_request: g.cpu_request,
            memory_request: g.memory_request,
            cpu_limit: g.cpu_limit.unwrap_or(g.cpu_request),
            memory_limit: g.memory_limit.unwrap_or(g.memory_request),
            admission: g.admission,
            apart: Vec::new(),
            beside: None,
            watched: false,
            name: g.workload,
        })
        .collect();
    workloads.retain(|w| w.now.max(w.at_maximum) > 0);
    workloads
}

/// The plan's pods placed on the cluster at `scale`: first fit ([`crate::analysis::placement`]),
/// or where the scheduler's own spread leaves fewer pods over, the spread (first fit is a
/// heuristic, and a poor one for pods that must join others or keep apart): the spread with
/// the pods largest first, else smallest first, and ties between nodes going to the first or
/// the last (the zone a workload's first pod draws may decide where the
/// rest fit), whichever leaves the fewest over; with the nodes whose limits the spread
/// overcommits (kube-scheduler spreads pods where first fit would pack them).
pub fn fit(model: &crate::model::cluster::Cluster, plan: &Plan, scale: Scale) -> Placement {
    let mut placed = place(model, scale, &pods(plan, scale));
    let waiting = |spread: &Spread| spread.pending.iter().map(|p| p.pods).sum::<u32>();
    let workloads = link_affinity(plan, every_workload(plan));
    let mut spread = spread_of(model, &workloads, scale, (true, Ties::First));
    for way in [Ties::First, Ties::Last].into_iter().flat_map(|ties| [(true, ties), (false, ties)]).skip(1) {
        if waiting(&spread) == 0 {
            break;
        }
        let other = spread_of(model, &workloads, scale, way);
        if waiting(&other) < waiting(&spread) {
            spread = other;
        }
    }
    placed.overcommitted = spread.overcommitted;
    let short = |pods: &mut dyn Iterator<Item = u32>| pods.sum::<u32>();
    let packed_short = short(&mut placed.unplaced.iter().filter(|u| u.workload != "jobs").map(|u| u.pods));
    if short(&mut spread.pending.iter().map(|p| p.pods)) < packed_short {
        placed.unplaced.retain(|u| u.workload == "jobs");
        placed.unplaced.extend(spread.pending.iter().map(unplaced));
        placed.placed = placed.pods - placed.unplaced.iter().map(|u| u64::from(u.pods)).sum::<u64>();
        placed.nodes = spread.nodes;
        placed.cpu_requests_share = spread.cpu_requests_share;
        placed.memory_requests_share = spread.memory_requests_share;
    }
    placed
}

/// Pods the scheduler left Pending, as left over: neither too big for a node nor short of pod
/// slots, since the scheduler found neither.
pub fn unplaced(pending: &Pending) -> Unplaced {
    Unplaced {
        workload: pending.workload.clone(),
        pods: pending.pods,
        reason: pending.reason.clone(),
        too_big: false,
        pods_full: false,
        barred: pending.barred,
        apart: pending.apart,
        beside: pending.beside,
    }
}
