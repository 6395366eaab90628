//! `flowcap solve`: the smallest change to the runtimes that meets the workload's target (or,
//! without one, flowcap's default: p95 wait ≤ 10 % of the mean duration) within the host and
//! the policy.
//!
//! Waits only shrink as replicas or slots grow, so each search is a binary search over a
//! monotone predicate: a few dozen Erlang C evaluations in all.

use crate::analysis::rules::{Change, Finding, Setting, resource_problems};
use crate::analysis::workload::{Waits, wait_text};
use crate::model::cluster::Platform;
use crate::model::plan::{
    MAX_NODES, MAX_RUNTIME_REPLICAS, MAX_SLOTS_PER_REPLICA, MAX_WORKLOAD_SLOTS, Plan, Target, Workload,
};
use crate::model::units::{Seconds, percent, trim_decimal};
use std::fmt::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// More slots per runtime, as many runtimes: no new containers.
    Slots,
    /// More runtimes at today's slots per runtime.
    Replicas,
    /// Both.
    Both,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub strategy: Strategy,
    pub replicas: u32,
    pub slots_per_replica: u32,
    pub waits: Waits,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The plan has no workload to size for.
    NoWorkload,
    /// The plan already meets its target.
    AlreadyMet(Waits),
    /// Changes that meet the target, cheapest first (fewest runtimes, then fewest slots).
    Solved(Vec<Candidate>),
    /// On Kubernetes: the executor pool's size at its autoscaler's maximum and the nodes that
    /// place it.
    Cluster(ClusterSizing),
    /// Nothing within the host and the policy meets the target.
    NoSolution {
        /// Runtimes needed at today's slots per runtime, ignoring the host; `None` when even
        /// the most runtimes flowcap allows are not enough.
        needed_replicas: Option<u32>,
        /// What that many runtimes would overrun: the host's findings, with their numbers.
        short: Vec<Finding>,
    },
}

/// What a cluster needs for the workload: executor pods at the peak (the autoscaler's maximum,
/// or the replica count without one) and nodes in the first pool (its cluster autoscaler's
/// maximum, or its count without one) so that every pod places at the maximum.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterSizing {
    pub runtime_replicas: u32,
    pub pool: String,
    pub nodes: u32,
    pub waits: Waits,
}

impl ClusterSizing {
    /// The plan with this sizing applied.
    pub fn apply(&self, plan: &Plan) -> Plan {
        let mut sized = plan.clone();
        match &mut sized.runtime.autoscaling {
            Some(hpa) => hpa.max = self.runtime_replicas.max(hpa.min),
            None => sized.runtime.replicas = self.runtime_replicas,
        }
        if let Some(pool) = sized.cluster.as_mut().and_then(|c| c.node_pools.first_mut()) {
            match &mut pool.max_nodes {
                Some(max) => *max = self.nodes.max(pool.nodes),
                None => pool.nodes = self.nodes,
            }
        }
        sized
    }

    /// The sizing as a fix says it.
    pub fn describe(&self, plan: &Plan) -> String {
        let (runtime, nodes) = match self.changes(plan).as_slice() {
            [runtime, nodes] => (runtime.path.clone(), nodes.path.clone()),
            _ => (String::new(), String::new()),
        };
        format!(
            "set {runtime} to {} and {nodes} to {} (pool {}): {} slots at the peak, p95 wait {} (`flowcap solve` shows the figures)",
            self.runtime_replicas,
            self.nodes,
            self.pool,
            self.waits.slots,
            wait_text(self.waits.p95_wait_seconds)
        )
    }

    /// The plan keys it sets, as a fix's changes.
    pub fn changes(&self, plan: &Plan) -> Vec<Change> {
        let runtime = if plan.runtime.autoscaling.is_some() { "runtime.autoscaling.max" } else { "runtime.replicas" };
        let autoscaled_pool =
            plan.cluster.as_ref().and_then(|c| c.node_pools.first()).is_some_and(|p| p.max_nodes.is_some());
        let nodes = if autoscaled_pool { "cluster.node_pools.0.max_nodes" } else { "cluster.node_pools.0.nodes" };
        vec![
            Change { path: runtime.into(), value: Setting::Count(self.runtime_replicas.into()) },
            Change { path: nodes.into(), value: Setting::Count(self.nodes.into()) },
        ]
    }
}

/// Whether every pod but the Jobs places at the maximum.
fn cluster_places(plan: &Plan) -> bool {
    crate::analysis::figures::analyze(plan)
        .cluster
        .is_some_and(|fit| fit.at_maximum.unplaced.iter().all(|u| u.workload == "jobs"))
}

/// Sizes the executor pool and the first node pool for the workload on a Kubernetes plan.
fn solve_cluster(plan: &Plan, workload: &Workload) -> Outcome {
    let slots = plan.runtime.max_concurrent_executions;
    let serving = plan.peak_runtime_replicas();
    let met = meets(workload, serving, slots);
    if met && cluster_places(plan) {
        return Outcome::AlreadyMet(workload.waits(serving, slots));
    }
    let needed = if met { Some(serving) } else { (slots >= 1).then(|| replicas_needed(workload, slots)).flatten() };
    let Some(replicas) = needed.map(|r| r.max(plan.runtime.autoscaling.map_or(0, |hpa| hpa.min))) else {
        return Outcome::NoSolution { needed_replicas: None, short: Vec::new() };
    };
    let Some(pool) = plan.cluster.as_ref().and_then(|c| c.node_pools.first()) else {
        return Outcome::NoSolution { needed_replicas: Some(replicas), short: Vec::new() };
    };
    let now = pool.max_nodes.unwrap_or(pool.nodes);
    let sizing = |nodes| ClusterSizing {
        runtime_replicas: replicas,
        pool: pool.name.clone(),
        nodes,
        waits: workload.waits(replicas, slots),
    };
    // More nodes never strand a pod that fewer placed (they join the end of the first pool's
    // run), so the fewest that place everything is a binary search.
    match smallest(now, MAX_NODES, |nodes| cluster_places(&sizing(nodes).apply(plan))) {
        Some(nodes) => Outcome::Cluster(sizing(nodes)),
        None => {
            let short = crate::analysis::rules::evaluate(
                &sizing(MAX_NODES).apply(plan),
                &crate::analysis::figures::analyze(&sizing(MAX_NODES).apply(plan)),
            )
            .into_iter()
            .filter(|f| f.rule == crate::analysis::rules::RuleId::PodsUnschedulable)
            .collect();
            Outcome::NoSolution { needed_replicas: Some(replicas), short }
        }
    }
}

/// Whether `replicas` × `slots` meet the workload: stable, and within the target if any.
fn meets(workload: &Workload, replicas: u32, slots: u32) -> bool {
    let waits = workload.waits(replicas, slots);
    waits.stable && workload.meets_target(&waits)
}

/// The smallest value in `lo..=hi` for which the monotone `ok` holds.
fn smallest(lo: u32, hi: u32, ok: impl Fn(u32) -> bool) -> Option<u32> {
    if lo > hi || !ok(hi) {
        return None;
    }
    let (mut lo, mut hi) = (lo, hi);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) { hi = mid } else { lo = mid + 1 }
    }
    Some(lo)
}

/// The fewest runtimes at `slots_per_replica` that meet the workload, ignoring the host.
pub fn replicas_needed(workload: &Workload, slots_per_replica: u32) -> Option<u32> {
    smallest(1, most_replicas(slots_per_replica), |r| meets(workload, r, slots_per_replica))
}

/// The most runtimes at `slots_per_replica` a plan with a workload may have.
fn most_replicas(slots_per_replica: u32) -> u32 {
    let most = MAX_WORKLOAD_SLOTS / u64::from(slots_per_replica.max(1));
    u32::try_from(most).unwrap_or(u32::MAX).min(MAX_RUNTIME_REPLICAS)
}

/// The most slots per runtime for `replicas` runtimes under `ceiling`.
fn most_slots(replicas: u32, ceiling: u32) -> u32 {
    let most = MAX_WORKLOAD_SLOTS / u64::from(replicas.max(1));
    u32::try_from(most).unwrap_or(u32::MAX).min(ceiling)
}

fn with_runtime(plan: &Plan, replicas: u32, slots_per_replica: u32) -> Plan {
    let mut changed = plan.clone();
    changed.runtime.replicas = replicas;
    changed.runtime.max_concurrent_executions = slots_per_replica;
    changed
}

fn fits(plan: &Plan, replicas: u32, slots_per_replica: u32) -> bool {
    resource_problems(&with_runtime(plan, replicas, slots_per_replica)).is_empty()
}

/// The most slots per runtime the policy's memory per slot allows.
fn max_slots(plan: &Plan) -> u32 {
    let minimum = plan.policy.min_memory_per_slot.0.max(1);
    plan.runtime.limits.memory.map_or(MAX_SLOTS_PER_REPLICA, |limit| {
        u32::try_from(limit.0 / minimum).unwrap_or(u32::MAX).min(MAX_SLOTS_PER_REPLICA)
    })
}

/// Without a target of its own, solve sizes for a p95 wait of at most this share of the mean
/// execution time: a queue kept merely stable runs at 98 % and makes the 95th execution wait
/// minutes.
pub const DEFAULT_P95_WAIT_SHARE: f64 = 0.1;

/// The workload solve sizes for: the plan's, with the default target when it has none.
pub fn sized_workload(workload: &Workload) -> Workload {
    let mut sized = workload.clone();
    if sized.target.is_none() {
        let p95 = Seconds(workload.mean_duration.0 * DEFAULT_P95_WAIT_SHARE);
        sized.target = Some(Target { p95_wait: Some(p95), wait_probability_percent: None });
    }
    sized
}

pub fn solve(plan: &Plan) -> Outcome {
    let Some(workload) = &plan.workload else { return Outcome::NoWorkload };
    let workload = &sized_workload(workload);
    if plan.platform == Platform::Kubernetes {
        return solve_cluster(plan, workload);
    }
    let (replicas, slots) = (plan.runtime.replicas, plan.runtime.max_concurrent_executions);
    if meets(workload, replicas, slots) {
        return Outcome::AlreadyMet(workload.waits(replicas, slots));
    }
    let slot_ceiling = max_slots(plan);
    let candidate =
        |strategy, r, k| Candidate { strategy, replicas: r, slots_per_replica: k, waits: workload.waits(r, k) };
    let mut candidates = Vec::new();
    if replicas >= 1
        && let Some(k) = smallest(slots + 1, most_slots(replicas, slot_ceiling), |k| meets(workload, replicas, k))
        && fits(plan, replicas, k)
    {
        candidates.push(candidate(Strategy::Slots, replicas, k));
    }
    let replicas_only = (slots >= 1).then(|| replicas_needed(workload, slots)).flatten();
    if let Some(r) = replicas_only
        && fits(plan, r, slots)
    {
        candidates.push(candidate(Strategy::Replicas, r, slots));
    }
    // Both: the fewest runtimes at the most slots the policy allows, then the fewest slots that
    // still work with that many runtimes.
    if slot_ceiling > slots
        && let Some(r) = smallest(replicas.max(1), most_replicas(slot_ceiling), |r| meets(workload, r, slot_ceiling))
        && r != replicas
        && fits(plan, r, slot_ceiling)
        && let Some(k) = smallest(slots.max(1), most_slots(r, slot_ceiling), |k| meets(workload, r, k))
        && k != slots
    {
        candidates.push(candidate(Strategy::Both, r, k));
    }
    candidates.sort_by_key(|c| (c.replicas, c.slots_per_replica));
    if !candidates.is_empty() {
        return Outcome::Solved(candidates);
    }
    let short = replicas_only.map(|r| resource_problems(&with_runtime(plan, r, slots))).unwrap_or_default();
    Outcome::NoSolution { needed_replicas: replicas_only, short }
}

/// The fix for a workload finding: the smallest change that meets the workload and fits the
/// host, or, when none does, what the host lacks. Never a change that trades one finding for
/// another (more runtimes than the host's CPUs, say).
pub fn workload_fix(plan: &Plan) -> (Option<String>, Vec<Change>) {
    match solve(plan) {
        Outcome::Solved(candidates) => {
            let best = &candidates[0];
            let text = format!(
                "set runtime.replicas to {} and runtime.max_concurrent_executions to {} ({} slots, p95 wait {}): \
                 the smallest change that fits the host (`flowcap solve` lists the options)",
                best.replicas,
                best.slots_per_replica,
                best.waits.slots,
                wait_text(best.waits.p95_wait_seconds)
            );
            let changes = vec![
                Change { path: "runtime.replicas".into(), value: Setting::Count(best.replicas.into()) },
                Change {
                    path: "runtime.max_concurrent_executions".into(),
                    value: Setting::Count(best.slots_per_replica.into()),
                },
            ];
            (Some(text), changes)
        }
        Outcome::Cluster(sizing) => (Some(sizing.describe(plan)), sizing.changes(plan)),
        Outcome::NoSolution { needed_replicas: Some(needed), short } => {
            let lacking: Vec<String> = short.iter().filter_map(|f| f.fix.clone()).collect();
            let text = format!(
                "nothing fits this host: meeting it takes {needed} runtimes at {} slots each; {}",
                plan.runtime.max_concurrent_executions,
                if lacking.is_empty() { "use a bigger host".to_string() } else { lacking.join("; ") }
            );
            (Some(text), Vec::new())
        }
        Outcome::NoSolution { needed_replicas: None, .. } => {
            let text = format!(
                "not even {} runtimes (at most {MAX_WORKLOAD_SLOTS} slots in all) meet it: lower the arrivals or the duration",
                most_replicas(plan.runtime.max_concurrent_executions)
            );
            (Some(text), Vec::new())
        }
        Outcome::NoWorkload | Outcome::AlreadyMet(_) => (None, Vec::new()),
    }
}

impl Candidate {
    /// The plan with this change applied.
    pub fn apply(&self, plan: &Plan) -> Plan {
        with_runtime(plan, self.replicas, self.slots_per_replica)
    }
}

/// The outcome for people: each option as before → after.
pub fn render(plan: &Plan, outcome: &Outcome) -> String {
    let mut out = String::new();
    let (replicas, slots) = (plan.runtime.replicas, plan.runtime.max_concurrent_executions);
    if let Some(workload) = plan.workload.as_ref().filter(|w| w.target.is_none())
        && let Some(target) = sized_workload(workload).target
    {
        let _ = writeln!(
            out,
            "target: {target} (the plan has none: flowcap's default is {} % of the mean duration; set workload.target)",
            percent(DEFAULT_P95_WAIT_SHARE)
        );
    }
    match outcome {
        Outcome::NoWorkload => out.push_str("the plan has no workload: add one to size for it (see the README)\n"),
        Outcome::Cluster(sizing) => {
            let _ = writeln!(out, "{}", sizing.describe(plan));
            let sized = sizing.apply(plan);
            let before = plan.workload.as_ref().map(|w| w.waits(plan.peak_runtime_replicas(), slots));
            let pool = |p: &Plan| {
                p.cluster
                    .as_ref()
                    .and_then(|c| c.node_pools.first())
                    .map_or(0, |pool| pool.max_nodes.unwrap_or(pool.nodes))
            };
            let mut rows = vec![
                (
                    "executor pods at the peak",
                    plan.peak_runtime_replicas().to_string(),
                    sized.peak_runtime_replicas().to_string(),
                ),
                ("nodes at the maximum (first pool)", pool(plan).to_string(), pool(&sized).to_string()),
            ];
            if let Some(before) = before {
                rows.extend([
                    ("concurrent executions at the peak", before.slots.to_string(), sizing.waits.slots.to_string()),
                    (
                        "utilisation",
                        format!("{} %", percent(before.utilisation)),
                        format!("{} %", percent(sizing.waits.utilisation)),
                    ),
                    ("p95 wait", wait_text(before.p95_wait_seconds), wait_text(sizing.waits.p95_wait_seconds)),
                ]);
            }
            for (name, from, to) in rows {
                let marker = if from == to { " " } else { "~" };
                let _ = writeln!(out, "  {marker} {name:<34} {from:>10} → {to}");
            }
        }
        Outcome::AlreadyMet(waits) => {
            let _ = writeln!(out, "the plan already meets its target: nothing to change");
            let _ =
                writeln!(out, "  p95 wait {}, {} % wait", wait_text(waits.p95_wait_seconds), waits.waiting_percent());
        }
        Outcome::Solved(candidates) => {
            for (index, c) in candidates.iter().enumerate() {
                let label = match c.strategy {
                    Strategy::Slots => "more slots per runtime",
                    Strategy::Replicas => "more runtimes",
                    Strategy::Both => "more runtimes and slots",
                };
                let pick = if index == 0 { " (recommended: the smallest change)" } else { "" };
                let _ = writeln!(out, "option {}: {label}{pick}", index + 1);
                let Some(before) = plan.workload.as_ref().map(|w| w.waits(replicas, slots)) else { continue };
                let ((memory_before, cpu_before), (memory_after, cpu_after)) =
                    (per_slot(plan, slots), per_slot(plan, c.slots_per_replica));
                let rows = [
                    ("runtime.replicas", replicas.to_string(), c.replicas.to_string()),
                    ("runtime.max_concurrent_executions", slots.to_string(), c.slots_per_replica.to_string()),
                    ("concurrent executions", before.slots.to_string(), c.waits.slots.to_string()),
                    (
                        "utilisation",
                        format!("{} %", percent(before.utilisation)),
                        format!("{} %", percent(c.waits.utilisation)),
                    ),
                    (
                        "executions that wait",
                        format!("{} %", before.waiting_percent()),
                        format!("{} %", c.waits.waiting_percent()),
                    ),
                    ("mean wait", wait_text(before.mean_wait_seconds), wait_text(c.waits.mean_wait_seconds)),
                    ("p95 wait", wait_text(before.p95_wait_seconds), wait_text(c.waits.p95_wait_seconds)),
                    ("memory per slot", memory_before, memory_after),
                    ("CPU per slot", cpu_before, cpu_after),
                ];
                for (name, from, to) in rows {
                    let marker = if from == to { " " } else { "~" };
                    let _ = writeln!(out, "  {marker} {name:<34} {from:>10} → {to}");
                }
            }
        }
        Outcome::NoSolution { needed_replicas, short } => {
            let _ = writeln!(out, "no change within the host and the policy meets the target");
            match needed_replicas {
                Some(r) => {
                    let _ = writeln!(
                        out,
                        "  meeting it takes {r} runtimes at {slots} slots each ({} slots); on this host that is short:",
                        u64::from(*r) * u64::from(slots)
                    );
                    for finding in short {
                        let fix = finding.fix.as_deref().unwrap_or("");
                        let _ = writeln!(out, "  - {}: {}; {fix}", finding.rule, finding.message);
                    }
                }
                None => {
                    let _ = writeln!(
                        out,
                        "  not even {} runtimes at {slots} slots each meet it (at most {MAX_WORKLOAD_SLOTS} slots in all)",
                        most_replicas(slots)
                    );
                }
            }
        }
    }
    out
}

/// Memory and CPU per slot with `slots` per runtime, as the analysis computes them.
fn per_slot(plan: &Plan, slots: u32) -> (String, String) {
    let per_slot = crate::analysis::figures::per_slot(&with_runtime(plan, plan.runtime.replicas, slots));
    (per_slot.memory().map_or("—".into(), |m| m.to_string()), per_slot.cpus.map_or("—".into(), |c| trim_decimal(c, 2)))
}
