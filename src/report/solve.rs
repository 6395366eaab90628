//! `flowcap solve`'s answer for people: each option as before → after.

use crate::analysis::autoscaler;
use crate::analysis::solve::{Outcome, Strategy, most_replicas, with_runtime};
use crate::analysis::streaming::{self, Spread};
use crate::analysis::workload::{DEFAULT_P95_WAIT_SHARE, sized_workload, wait_text};
use crate::model::plan::{MAX_WORKLOAD_SLOTS, Plan};
use crate::model::units::{Bytes, percent, share_text, trim_decimal};
use std::fmt::Write;

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
    // The chart's executor pool takes no queued run without the Job backend: figures for them
    // are what a consumer would make of them, and the check says none runs.
    let queued = plan.queued_runs().is_some();
    if !plan.queue_consumed() && queued {
        out.push_str(
            "note: the chart's executor pool runs no queue worker, so none of these queued runs executes \
             (queued-runs-not-consumed, an error in --check); plan them as workload.streaming\n",
        );
    }
    match outcome {
        Outcome::NoWorkload => {
            out.push_str("the plan has no workload: add one to size for it (see docs/reference.md#the-plan)\n")
        }
        Outcome::Cluster(sizing) => {
            let _ = writeln!(out, "{}", sizing.describe(plan));
            let sized = sizing.apply(plan);
            let before = plan.workload.as_ref().map(|w| {
                let (replicas, slots) = plan.peak_executors();
                w.waits(replicas, slots)
            });
            let pool = |p: &Plan| {
                p.cluster.as_ref().and_then(|c| c.node_pools.get(sizing.pool_index)).map(|n| (n.nodes, n.max_nodes))
            };
            let pool_label = format!("nodes (pool {})", sizing.pool);
            let nodes = |p: &Plan| {
                pool(p).map_or("-".into(), |(now, max)| match max {
                    Some(max) => format!("{now} (max {max})"),
                    None => now.to_string(),
                })
            };
            let executors = |p: &Plan| match p.jobs.filter(|_| sizing.jobs) {
                Some(jobs) => format!("{} Jobs", jobs.max_concurrent),
                None => format!("{} pods", p.peak_runtime_replicas()),
            };
            let mut rows = vec![
                ("executors at the peak", executors(plan), executors(&sized)),
                (pool_label.as_str(), nodes(plan), nodes(&sized)),
            ];
            // Where the pool's autoscaler settles at the peak's load: the pods the HTTP runs
            // spread over, whatever its maximum.
            let settled = |p: &Plan| autoscaler::settled(p).map(|s| format!("{} pods", s.replicas));
            if let (Some(from), Some(to)) = (settled(plan), settled(&sized)) {
                rows.push(("autoscaler settles at the peak", from, to));
            }
            // The HTTP runs' memory risk, which more pods spread thinner.
            let risk = |p: &Plan| streaming::over_memory_any_runtime(p, autoscaler::streaming_replicas(p));
            if let (Some(from), Some(to)) = (risk(plan), risk(&sized)) {
                rows.push(("streaming past a pod's memory fit", share_text(from), share_text(to)));
            }
            // And their CPU: past a pod's limit every run takes longer.
            let stretch = |p: &Plan| streaming::cpu_stretch(p, autoscaler::streaming_replicas(p));
            if let (Some(from), Some(to)) = (stretch(plan), stretch(&sized)) {
                let times = |s: f64| format!("{}×", trim_decimal(s, 2));
                rows.push(("streaming runs take (CPU stretch)", times(from), times(to)));
            }
            // The waits are the queued runs': with none, only the slots mean anything.
            if let Some(before) = before {
                rows.push((
                    "concurrent executions at the peak",
                    before.slots.to_string(),
                    sizing.waits.slots.to_string(),
                ));
            }
            if let Some(before) = before.filter(|_| queued) {
                rows.extend([
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
            let within = if plan.platform.is_compose() { "the host" } else { "the cluster" };
            let _ = writeln!(out, "no change within {within} and the policy meets the target");
            let blocked = streaming_blocks(plan);
            if let Some(why) = &blocked {
                out.push_str(why);
            }
            match needed_replicas {
                Some(r) => {
                    let _ = writeln!(
                        out,
                        "  meeting it takes {r} runtimes at {slots} slots each ({} slots); on {} that is short{}",
                        u64::from(*r) * u64::from(slots),
                        if plan.platform.is_compose() { "this host" } else { "this cluster" },
                        // Said when the most nodes tried still leave pods over (or in some order).
                        if short.is_empty() { "" } else { ":" }
                    );
                    for finding in short {
                        let fix = finding.fix.as_deref().unwrap_or("");
                        let _ = writeln!(out, "  - {}: {}; {fix}", finding.rule, finding.message);
                    }
                }
                None if blocked.is_some() => {}
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

/// What keeps the streaming runs past the memory line when no count of runtimes and slots
/// helps: under Docker's DNS one runtime takes them all, so only the balancer or more memory
/// per runtime does.
fn streaming_blocks(plan: &Plan) -> Option<String> {
    let figures = streaming::figures(plan, autoscaler::streaming_replicas(plan))?;
    let risk = figures.over_memory_any_runtime?;
    if risk * 100.0 <= plan.policy.streaming_memory_warning_percent {
        return None;
    }
    let memory = streaming::memory_within_line(plan, &figures).map(|m| {
        // On a cluster a pod's limit must fit a node too: past what any pool offers pods, the
        // nodes grow first.
        let largest = plan
            .cluster
            .as_ref()
            .and_then(|c| c.node_pools.iter().map(|pool| crate::analysis::node_model::offer(c, pool).memory).max());
        let nodes = match largest {
            Some(most) if most < m.0 => {
                format!(" (more than any node offers pods, at most {}: bigger nodes first)", Bytes(most))
            }
            _ => String::new(),
        };
        let values =
            if plan.platform.is_compose() { "" } else { "; in Helm values executorPool.resources.limits.memory" };
        format!("raise runtime.limits.memory to {m}{values}{nodes}")
    });
    let (or_memory, to_memory) =
        memory.map_or((String::new(), String::new()), |m| (format!(", or {m}"), format!(": {m}")));
    Some(match figures.spread {
        Spread::OneRuntime => format!(
            "  the streaming runs reach one runtime through Docker's DNS (some runtime past its memory fit {} of the peak): more runtimes do not spread them; export the override (its balancer spreads them), then solve with runtime.http_routing: balanced{or_memory}\n",
            share_text(risk)
        ),
        Spread::Even => format!(
            "  the streaming runs put some runtime past its memory fit {} of the peak, and no count of runtimes brings it within the policy's line (a runtime's memory fits too few){to_memory}\n",
            share_text(risk)
        ),
    })
}
