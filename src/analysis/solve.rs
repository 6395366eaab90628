//! `flowcap solve`: the smallest change to the runtimes that meets the workload's target (or,
//! without one, flowcap's default: p95 wait ≤ 10 % of the mean duration) within the host and
//! the policy.
//!
//! Waits only shrink as replicas or slots grow, so each search is a binary search over a
//! monotone predicate: a few dozen Erlang C evaluations in all.

use crate::analysis::rules::{Finding, RuleId, brought, evaluate, resource_problems, serious};
use crate::analysis::streaming;
use crate::analysis::workload::{Waits, sized_workload, wait_text};
use crate::model::cluster::{Autoscaling, Platform};
use crate::model::edit::PlanEdit;
use crate::model::plan::{
    MAX_JOBS, MAX_NODES, MAX_RUNTIME_REPLICAS, MAX_SLOTS_PER_REPLICA, MAX_WORKLOAD_SLOTS, Plan, Workload,
};

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

/// What a cluster needs for the workload: executors at the peak — the executor pool's pods
/// (its autoscaler's maximum, or its replica count without one) or, for a deployment that runs
/// every execution as a Job, the Job cap — and nodes in one pool (the one that needs the fewest
/// more, the first where several do) so that every pod places, now and at the maximum.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterSizing {
    /// Executor-pool pods, or Jobs when `jobs`.
    pub executors: u32,
    /// The Job cap is sized (the deployment has no executor pool).
    pub jobs: bool,
    /// The pool sized: its index in `cluster.node_pools`, its name, and its nodes.
    pub pool_index: usize,
    pub pool: String,
    pub nodes: u32,
    pub waits: Waits,
    /// The executor pool's autoscaler as sized: its maximum the executors, and where its
    /// targets alone would settle it below them at the peak, a lower target (or its minimum).
    pub autoscaling: Option<Autoscaling>,
}

impl ClusterSizing {
    /// The plan with this sizing applied. A pool the cluster autoscaler manages grows its
    /// maximum when only the peak needs the nodes; what runs now needs them now.
    pub fn apply(&self, plan: &Plan) -> Plan {
        let mut sized = plan.clone();
        let scales = self.jobs || sized.runtime.autoscaling.is_some();
        match (&mut sized.jobs, &mut sized.runtime.autoscaling) {
            (Some(jobs), _) if self.jobs => jobs.max_concurrent = self.executors,
            (_, Some(hpa)) => {
                *hpa = self.autoscaling.unwrap_or(Autoscaling { max: self.executors.max(hpa.min), ..*hpa });
                // The replicas stand within the bounds: a raised minimum raises them too.
                sized.runtime.replicas = sized.runtime.replicas.max(hpa.min);
            }
            (_, None) => sized.runtime.replicas = self.executors,
        }
        // Nodes only grow: fewer than the plan has is not what was asked.
        if let Some(pool) = sized.cluster.as_mut().and_then(|c| c.node_pools.get_mut(self.pool_index)) {
            match &mut pool.max_nodes {
                Some(max) if scales => *max = (*max).max(self.nodes),
                Some(max) => {
                    pool.nodes = pool.nodes.max(self.nodes);
                    *max = (*max).max(pool.nodes);
                }
                None => pool.nodes = pool.nodes.max(self.nodes),
            }
        }
        sized
    }

    /// The sizing as a fix says it.
    pub fn describe(&self, plan: &Plan) -> String {
        let changes = self.changes(plan);
        let set: Vec<String> = changes.iter().map(|c| format!("{} to {}", c.path(), c.value())).collect();
        // The pool is named where its count changes: `node_pools.0` says which by place only.
        let pool = if changes.iter().any(|c| matches!(c, PlanEdit::PoolNodes(..) | PlanEdit::PoolMaxNodes(..))) {
            format!(" (pool {})", self.pool)
        } else {
            String::new()
        };
        // The wait is the queued runs': with none, it says nothing.
        let queued = plan.queued_runs().is_some();
        let wait =
            if queued { format!(", p95 wait {}", wait_text(self.waits.p95_wait_seconds)) } else { String::new() };
        format!("set {}{pool}: {} slots at the peak{wait}", set.join(" and "), self.waits.slots)
    }

    /// The plan keys it sets, as a fix's edits: only those it changes.
    pub fn changes(&self, plan: &Plan) -> Vec<PlanEdit> {
        let sized = self.apply(plan);
        // Each count as a plan has it, and the edit that sets it.
        type Count = (fn(&Plan) -> Option<u32>, fn(u64) -> PlanEdit);
        let counts: [Count; 6] = [
            (|p| p.jobs.map(|j| j.max_concurrent), PlanEdit::JobsMaxConcurrent),
            (|p| p.runtime.autoscaling.map(|h| h.max), PlanEdit::RuntimeAutoscalingMax),
            (|p| p.runtime.autoscaling.map(|h| h.min), PlanEdit::RuntimeAutoscalingMin),
            (|p| p.runtime.autoscaling.and_then(|h| h.target_memory_percent), PlanEdit::RuntimeTargetMemoryPercent),
            (|p| p.runtime.autoscaling.and_then(|h| h.target_cpu_percent), PlanEdit::RuntimeTargetCpuPercent),
            (|p| Some(p.runtime.replicas), PlanEdit::RuntimeReplicas),
        ];
        let mut changes: Vec<PlanEdit> = counts
            .into_iter()
            .filter_map(|(count, edit)| {
                let after = count(&sized)?;
                (count(plan) != Some(after)).then(|| edit(after.into()))
            })
            .collect();
        let pool = |p: &Plan| p.cluster.as_ref().and_then(|c| c.node_pools.get(self.pool_index)).cloned();
        if let (Some(before), Some(after)) = (pool(plan), pool(&sized)) {
            if before.nodes != after.nodes {
                changes.push(PlanEdit::PoolNodes(self.pool_index, after.nodes.into()));
            }
            if let Some(max) = after.max_nodes.filter(|max| before.max_nodes != Some(*max)) {
                changes.push(PlanEdit::PoolMaxNodes(self.pool_index, max.into()));
            }
        }
        changes
    }
}

/// Whether every pod places, now and at the maximum (every Job the cap allows included), and
/// in whatever order the pods arrive: kube-scheduler spreads them and never moves one, so a
/// packing that only a fresh rollout in the best order achieves is not enough.
fn cluster_places(plan: &Plan) -> bool {
    use crate::analysis::{orders, placement::Scale, pod_workloads};
    // Only the placement: the rest of the figures (and the spread's cost in nodes) would be
    // computed for every size tried.
    let Some(cluster) = &plan.cluster else { return false };
    [Scale::Now, Scale::Maximum].into_iter().all(|scale| pod_workloads::fit(cluster, plan, scale).unplaced.is_empty())
        && !orders::strands_in_some_order(cluster, &pod_workloads::workloads(plan))
}

/// Sizes the executors (the pool's pods, or the Job cap for a Jobs-only deployment) and the
/// first node pool for the workload on a Kubernetes plan.
fn solve_cluster(plan: &Plan, workload: &Workload) -> Outcome {
    let (replicas, slots) = plan.peak_executors();
    let jobs_only = plan.jobs.is_some() && plan.peak_runtime_replicas() == 0;
    let per_pod = plan.runtime.max_concurrent_executions;
    let job_cap = plan.jobs.map_or(0, |jobs| jobs.max_concurrent);
    // The executor pool's runtimes take the HTTP runs (the Service spreads them): their memory
    // risk falls with more pods, as on a host. With Jobs in the count, the pods are not the
    // executors alone, and the queued path sizes them.
    let pool_only = !jobs_only && job_cap == 0;
    let streaming_ok = |r: u32, k: u32| !pool_only || streaming_within_line(plan, r, k);
    // The pool's pods that take the HTTP runs: where its autoscaler settles at the peak.
    let at_peak = crate::analysis::autoscaler::streaming_replicas(plan);
    if meets(workload, replicas, slots) && streaming_ok(at_peak, slots) && cluster_places(plan) {
        return Outcome::AlreadyMet(workload.waits(replicas, slots));
    }
    // The peak's executors as (replicas, slots each) when the sized count is `n`.
    let executors = |n: u32| -> (u32, u32) {
        if jobs_only {
            (1, n)
        } else if job_cap > 0 {
            (1, u32::try_from(u64::from(n) * u64::from(per_pod) + u64::from(job_cap)).unwrap_or(u32::MAX))
        } else {
            (n, per_pod)
        }
    };
    let most = if jobs_only { MAX_JOBS } else { most_replicas(per_pod) };
    let floor = if jobs_only { 1 } else { plan.runtime.autoscaling.map_or(1, |hpa| hpa.min) };
    let needed = (jobs_only || per_pod >= 1)
        .then(|| {
            smallest(floor, most, |n| {
                let (r, k) = executors(n);
                meets(workload, r, k) && streaming_ok(r, k)
            })
        })
        .flatten();
    let current = if jobs_only { job_cap } else { plan.peak_runtime_replicas() };
    let Some(count) = needed.map(|n| n.max(current.min(most))) else {
        return Outcome::NoSolution { needed_replicas: None, short: Vec::new() };
    };
    let Some(cluster) = plan.cluster.as_ref().filter(|c| !c.node_pools.is_empty()) else {
        return Outcome::NoSolution { needed_replicas: Some(count), short: Vec::new() };
    };
    let (r, k) = executors(count);
    // The autoscaler must run the pods the runs need at the peak, not only allow them.
    let autoscaling = needed.filter(|_| pool_only).and_then(|n| crate::analysis::autoscaler::holding(plan, n, count));
    let sizing = |pool_index: usize, nodes| ClusterSizing {
        executors: count,
        jobs: jobs_only,
        pool_index,
        pool: cluster.node_pools[pool_index].name.clone(),
        nodes,
        waits: workload.waits(r, k),
        autoscaling,
    };
    // In each pool, the fewest nodes that place everything, by binary search: more nodes of a
    // pool are taken not to strand a pod that fewer placed. The pool that needs the fewest
    // more is sized; the first where several need as few (a later one only for fewer).
    let pools = &cluster.node_pools;
    let best = crate::analysis::orders::pool_needing_fewest(pools.len(), MAX_NODES, |index, most| {
        let now = pools[index].nodes;
        let ok = |nodes| cluster_places(&sizing(index, nodes).apply(plan));
        smallest(now.max(1), now.saturating_add(most).min(MAX_NODES), ok).map(|nodes| nodes - now)
    });
    match best {
        Some((index, added)) => Outcome::Cluster(sizing(index, pools[index].nodes + added)),
        None => {
            let most_nodes = sizing(0, MAX_NODES).apply(plan);
            // What stays Pending on the most nodes: in the best packing, or in some order.
            let short = evaluate(&most_nodes, &crate::analysis::figures::analyze(&most_nodes))
                .into_iter()
                .filter(|f| matches!(f.rule, RuleId::PodsUnschedulable | RuleId::PodsPendingInSomeOrder))
                .collect();
            Outcome::NoSolution { needed_replicas: Some(count), short }
        }
    }
}

/// Whether `replicas` × `slots` meet the workload: stable, and within the target if any.
fn meets(workload: &Workload, replicas: u32, slots: u32) -> bool {
    let waits = workload.waits(replicas, slots);
    waits.stable && workload.meets_target(&waits)
}

/// Whether the streaming runs on `replicas` runtimes of `slots` slots stay within the policy's
/// warning line for memory, and within each runtime's CPU limit (each true when it cannot be
/// known: no limit, no memory or CPU per run). More runtimes lower both under an even split;
/// more slots raise them (their queued runs come first).
fn streaming_within_line(plan: &Plan, replicas: u32, slots: u32) -> bool {
    let trial = with_runtime(plan, replicas, slots);
    streaming::over_memory_any_runtime(&trial, replicas).is_none_or(|risk| risk <= streaming::quiet_line(plan))
        && streaming::cpu_stretch(&trial, replicas).is_none_or(|stretch| stretch <= 1.0)
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
pub fn most_replicas(slots_per_replica: u32) -> u32 {
    let most = MAX_WORKLOAD_SLOTS / u64::from(slots_per_replica.max(1));
    u32::try_from(most).unwrap_or(u32::MAX).min(MAX_RUNTIME_REPLICAS)
}

/// The most slots per runtime for `replicas` runtimes under `ceiling`.
fn most_slots(replicas: u32, ceiling: u32) -> u32 {
    let most = MAX_WORKLOAD_SLOTS / u64::from(replicas.max(1));
    u32::try_from(most).unwrap_or(u32::MAX).min(ceiling)
}

pub fn with_runtime(plan: &Plan, replicas: u32, slots_per_replica: u32) -> Plan {
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

pub fn solve(plan: &Plan) -> Outcome {
    let Some(workload) = &plan.workload else { return Outcome::NoWorkload };
    let workload = &sized_workload(workload);
    if plan.platform == Platform::Kubernetes {
        return solve_cluster(plan, workload);
    }
    let (replicas, slots) = (plan.runtime.replicas, plan.runtime.max_concurrent_executions);
    // Both paths: the queued waits (monotone in replicas and slots, searched) and the
    // streaming memory risk (falls with replicas, rises with slots: held at each answer, and
    // searched with the replicas it falls with).
    let both = |r: u32, k: u32| meets(workload, r, k) && streaming_within_line(plan, r, k);
    if both(replicas, slots) {
        return Outcome::AlreadyMet(workload.waits(replicas, slots));
    }
    let slot_ceiling = max_slots(plan);
    let candidate =
        |strategy, r, k| Candidate { strategy, replicas: r, slots_per_replica: k, waits: workload.waits(r, k) };
    let mut candidates = Vec::new();
    if replicas >= 1
        && let Some(k) = smallest(slots + 1, most_slots(replicas, slot_ceiling), |k| meets(workload, replicas, k))
        && streaming_within_line(plan, replicas, k)
        && fits(plan, replicas, k)
    {
        candidates.push(candidate(Strategy::Slots, replicas, k));
    }
    let replicas_only = (slots >= 1)
        .then(|| {
            smallest(1, most_replicas(slots), |r| meets(workload, r, slots) && streaming_within_line(plan, r, slots))
        })
        .flatten();
    if let Some(r) = replicas_only
        && fits(plan, r, slots)
    {
        candidates.push(candidate(Strategy::Replicas, r, slots));
    }
    // Both: the fewest runtimes at the most slots the policy allows, then the fewest slots that
    // still work with that many runtimes.
    if slot_ceiling > slots
        && let Some(r) = smallest(replicas.max(1), most_replicas(slot_ceiling), |r| both(r, slot_ceiling))
        && r != replicas
        && fits(plan, r, slot_ceiling)
        && let Some(k) = smallest(slots.max(1), most_slots(r, slot_ceiling), |k| meets(workload, r, k))
        && k != slots
        && streaming_within_line(plan, r, k)
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

/// Whose workload a fix sizes for: the plan's own (`flowcap solve` lists the other options, the
/// planner's o applies it), or what Prometheus observed (sized from the observed plan).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizedFor {
    PlanWorkload,
    ObservedWorkload,
}

/// solve's answer as a finding's fix: its words, for the command line and the planner, and its
/// plan edits.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WorkloadFix {
    pub fix: Option<String>,
    pub in_planner: Option<String>,
    pub changes: Vec<PlanEdit>,
}

impl WorkloadFix {
    /// Puts this fix on `finding`.
    pub fn give(&self, finding: &mut Finding) {
        finding.fix.clone_from(&self.fix);
        finding.in_planner.clone_from(&self.in_planner);
        finding.changes.clone_from(&self.changes);
    }
}

/// The fix for a workload finding: the smallest change that meets the workload and fits the
/// host, or, when none does, what the host lacks. Never a change that trades one finding for
/// another (more runtimes than the host's CPUs, say).
pub fn workload_fix(plan: &Plan, sized_for: SizedFor) -> WorkloadFix {
    let only = |fix: String, changes: Vec<PlanEdit>| WorkloadFix { fix: Some(fix), in_planner: None, changes };
    match solve(plan) {
        Outcome::Solved(candidates) => {
            let best = &candidates[0];
            // Only what changes: "set runtime.replicas to 4" on a plan of 4 runtimes reads as
            // a change that is not one.
            let mut settings = Vec::new();
            let mut changes = Vec::new();
            if best.replicas != plan.runtime.replicas {
                settings.push(format!("runtime.replicas to {}", best.replicas));
                changes.push(PlanEdit::RuntimeReplicas(best.replicas.into()));
            }
            if best.slots_per_replica != plan.runtime.max_concurrent_executions {
                settings.push(format!("runtime.max_concurrent_executions to {}", best.slots_per_replica));
                changes.push(PlanEdit::MaxConcurrentExecutions(best.slots_per_replica.into()));
            }
            let text = format!(
                "set {} ({} slots, p95 wait {}): the smallest change that fits the host",
                settings.join(" and "),
                best.waits.slots,
                wait_text(best.waits.p95_wait_seconds)
            );
            match sized_for {
                SizedFor::PlanWorkload => WorkloadFix {
                    fix: Some(format!("{text} (`flowcap solve` lists the options)")),
                    in_planner: Some(format!("{text} (press o to apply it)")),
                    changes,
                },
                SizedFor::ObservedWorkload => only(
                    format!("{text} (for the observed workload: `flowcap observe -o PLAN`, then `flowcap solve PLAN`)"),
                    changes,
                ),
            }
        }
        Outcome::Cluster(sizing) => {
            let text = format!("{} (`flowcap solve` shows the figures)", sizing.describe(plan));
            // Placing every pod can still overcommit a node's memory: then the sizing is said,
            // with what it brings, and not offered as edits.
            match brought_by(plan, &sizing.apply(plan)).as_slice() {
                [] => only(text, sizing.changes(plan)),
                brought => only(format!("{text} — but that alone brings: {}", brought.join("; ")), Vec::new()),
            }
        }
        Outcome::NoSolution { needed_replicas: Some(needed), short } => {
            let lacking: Vec<String> = short.iter().filter_map(|f| f.fix.clone()).collect();
            let place = if plan.platform.is_compose() { "host" } else { "cluster" };
            let text = format!(
                "nothing fits this {place}: meeting it takes {needed} runtimes at {} slots each; {}",
                plan.runtime.max_concurrent_executions,
                if lacking.is_empty() { format!("use a bigger {place}") } else { lacking.join("; ") }
            );
            only(text, Vec::new())
        }
        Outcome::NoSolution { needed_replicas: None, .. } => {
            let text = format!(
                "not even {} runtimes (at most {MAX_WORKLOAD_SLOTS} slots in all) meet it: lower the arrivals or the duration",
                most_replicas(plan.runtime.max_concurrent_executions)
            );
            only(text, Vec::new())
        }
        Outcome::NoWorkload | Outcome::AlreadyMet(_) => WorkloadFix::default(),
    }
}

/// The errors and warnings `edited` has that `plan` did not (a milder level of one it had does
/// not count), as their messages.
fn brought_by(plan: &Plan, edited: &Plan) -> Vec<String> {
    let findings = |plan: &Plan| evaluate(plan, &crate::analysis::figures::analyze(plan));
    brought(&serious(&findings(plan)), findings(edited))
}

impl Candidate {
    /// The plan with this change applied.
    pub fn apply(&self, plan: &Plan) -> Plan {
        with_runtime(plan, self.replicas, self.slots_per_replica)
    }
}
