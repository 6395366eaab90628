//! The streaming (HTTP) path: runs admitted without limit, the memory and CPU they take on one
//! runtime, how they reach the runtimes; and what the code does with queued runs.

use crate::analysis::figures::Analysis;
use crate::analysis::rules::finding::Findings;
use crate::analysis::rules::table::RuleId;
use crate::analysis::streaming::{self, Spread};
use crate::model::edit::{Block, PlanEdit};
use crate::model::plan::{MAX_RUNTIME_REPLICAS, Plan, WrittenAs};
use crate::model::service::ServiceKey;
use crate::model::units::{Cpus, share_text, trim_decimal};

pub fn streaming(plan: &Plan, analysis: &Analysis, findings: &mut Findings) {
    let Some(workload) = &plan.workload else { return };
    if workload.written_as == WrittenAs::RoundRobin {
        findings.add(
            RuleId::RoundRobinIsStreaming,
            "workload.dispatch",
            format!(
                "dispatch: round-robin is read as workload.streaming: Flow-Like's HTTP path admits every run at once, so there is no queue to wait in, only runs per runtime{}",
                if workload.target.is_some() { " (the wait target no longer applies)" } else { "" }
            ),
            Some("write the workload by path: workload.streaming (and workload.queued for /invoke/async and the bots)".into()),
        );
    }
    queued_runs(plan, findings);
    let Some(figures) = &analysis.streaming else { return };
    if figures.spread == Spread::OneRuntime {
        findings
            .add(
                RuleId::StreamingOneRuntime,
                "runtime.http_routing",
                format!(
                    "{} runtimes, but the API reaches them through Docker's DNS: one runtime may hold every streaming run (mean {}, p99 {})",
                    plan.runtime.replicas,
                    trim_decimal(figures.mean_per_runtime, 1),
                    figures.p99_per_runtime
                ),
                Some("export the override (flowcap export PLAN -o OVERRIDE): it points the API's EXECUTOR_URL at the runtime balancer, which takes every replica in turn; where the API already reaches them through a balancer of yours, say so: runtime.http_routing: balanced".into()),
            )
            .in_planner("e to export the override (the API then reaches the runtimes through the balancer)");
    }
    if let (Some(risk), Some(fit)) = (figures.over_memory_any_runtime, figures.memory_fit_per_runtime) {
        let percent = risk * 100.0;
        let rule = if percent > plan.policy.streaming_memory_error_percent {
            Some(RuleId::StreamingMemoryRisk)
        } else if percent > plan.policy.streaming_memory_warning_percent {
            Some(RuleId::StreamingMemoryTight)
        } else {
            None
        };
        if let Some(rule) = rule {
            let fixes = memory_fixes(plan, figures);
            let finding = findings.add(
                rule,
                "runtime.limits.memory",
                format!(
                    "a runtime's memory fits {fit} streaming runs{}; some runtime holds more for {} of the peak (mean {}, p99 {} per runtime)",
                    if workload.queued.is_some() && plan.platform.is_compose() { " beside its queued slots" } else { "" },
                    share_text(risk),
                    trim_decimal(figures.mean_per_runtime, 1),
                    figures.p99_per_runtime
                ),
                Some(fixes.0),
            );
            for edit in fixes.1 {
                finding.edit(edit);
            }
        }
    }
    if let (Some(stretch), Some(demand)) = (figures.cpu_stretch.filter(|s| *s > 1.0), figures.cpu_demand_per_runtime) {
        // The limit that ends the stretch: the mean demand, up to the next tenth of a CPU.
        let limit = Cpus((demand * 10.0).ceil() as u64 * 100);
        let more_runtimes = match figures.spread {
            Spread::Even => "or add runtimes",
            Spread::OneRuntime => {
                "or add runtimes behind the balancer (export the override): under Docker's DNS one runtime takes every run"
            }
        };
        let finding = findings.add(
            RuleId::StreamingCpuStretch,
            "runtime.limits.cpus",
            format!(
                "the runs on one runtime need {} CPUs at the peak's mean, past its limit: every run takes {}× as long",
                trim_decimal(demand, 2),
                trim_decimal(stretch, 2)
            ),
            Some(format!(
                "raise runtime.limits.cpus to {limit} (the runs' mean demand on one runtime), {more_runtimes}"
            )),
        );
        finding.edit(PlanEdit::Cpus(ServiceKey::Runtime, Block::Limits, limit));
    }
}

/// The fix for the memory risk in words, and its first alternative as plan edits: under
/// Docker's DNS the balancer's even split comes first (more runtimes do not help when one
/// takes every run); then more runtimes, or more memory each.
fn memory_fixes(plan: &Plan, figures: &streaming::StreamingFigures) -> (String, Vec<PlanEdit>) {
    let mut words = Vec::new();
    let mut edits = Vec::new();
    // More runtimes are offered while they are a reasonable answer: past four times today's,
    // more memory each is the change to make. Under Docker's DNS they help only behind the
    // balancer, which no plan value brings: that alternative is words, not an edit.
    // Today's runtimes at the peak: on Kubernetes, where the pool's autoscaler settles.
    let today = crate::analysis::autoscaler::streaming_replicas(plan);
    let most = today.max(1).saturating_mul(4).min(MAX_RUNTIME_REPLICAS);
    let replicas =
        streaming::replicas_within_line(plan, most).filter(|r| *r > today || figures.spread == Spread::OneRuntime);
    match (figures.spread, replicas) {
        (Spread::OneRuntime, Some(replicas)) => words.push(format!(
            "export the override so the balancer spreads the runs evenly, with runtime.replicas: {replicas}"
        )),
        (Spread::OneRuntime, None) => words.push("export the override so the balancer spreads the runs evenly".into()),
        // An autoscaler runs the pods its targets ask for, within its maximum: both may move.
        (Spread::Even, Some(replicas)) => match plan.runtime.autoscaling.filter(|_| !plan.platform.is_compose()) {
            Some(hpa) => {
                let held = crate::analysis::autoscaler::holding(plan, replicas, hpa.max).unwrap_or(hpa);
                let changes = crate::analysis::autoscaler::edits(hpa, held);
                let said: Vec<String> = changes.iter().map(|e| format!("{}: {}", e.path(), e.value())).collect();
                words.push(format!("{} ({replicas} pods at the peak)", said.join(" and ")));
                edits.extend(changes);
            }
            None => {
                words.push(format!("runtime.replicas: {replicas}"));
                edits.push(PlanEdit::RuntimeReplicas(u64::from(replicas)));
            }
        },
        (Spread::Even, None) => {}
    }
    if let Some(memory) = streaming::memory_within_line(plan, figures) {
        // A pod without a memory request requests its limit, and a memory target scales on
        // the request: a bigger limit alone would leave the autoscaler fewer pods. The request
        // is kept where it is.
        let kept = plan.runtime.limits.memory.filter(|_| plan.runtime.reservations.memory.is_none()).filter(|_| {
            figures.autoscaler.is_some_and(|s| s.metric == Some(crate::analysis::autoscaler::Metric::Memory))
        });
        match kept {
            Some(request) => words.push(format!(
                "runtime.limits.memory: {memory} with runtime.reservations.memory: {request} (the request it has now, so the autoscaler keeps its pods)"
            )),
            None => words.push(format!("runtime.limits.memory: {memory}")),
        }
        if edits.is_empty() {
            edits.push(PlanEdit::Memory(ServiceKey::Runtime, Block::Limits, memory));
            if let Some(request) = kept {
                edits.push(PlanEdit::Memory(ServiceKey::Runtime, Block::Reservations, request));
            }
        }
    }
    words.push(
        "or, once Flow-Like's queue path runs, move these runs to it (bounded by MAX_CONCURRENT_EXECUTIONS)".into(),
    );
    (words.join("; "), edits)
}

/// Queued runs as the code treats them: dropped at ab1f822 (Compose), never consumed by the
/// chart's executor pool (Kubernetes).
fn queued_runs(plan: &Plan, findings: &mut Findings) {
    let Some(queued) = plan.queued_runs() else {
        return;
    };
    if !plan.queue_consumed() {
        findings.add(
            RuleId::QueuedRunsNotConsumed,
            "workload.queued",
            format!(
                "{}/min queued runs are pushed to Redis (execution.asyncBackend: redis, the chart's default) and the executor pool runs no queue worker: none of them runs",
                trim_decimal(queued.arrivals_per_minute, 1)
            ),
            Some(format!("send these triggers through /invoke (the streaming path) and plan them as workload.streaming{}; asyncBackend: http is no fix (/invoke/async then waits for the whole run, with no timeout), and kubernetes_job's executor exits with \"not yet implemented\" at ab1f822", as_streaming(plan))),
        );
    } else {
        findings.add(
            RuleId::QueuedRunsDropped,
            "workload.queued",
            "the figures for queued runs are what the queue would do; at Flow-Like ab1f822 the worker fails to parse each job (credentials sent as an object, read as a string) and drops it, so these runs do not execute".into(),
            Some(format!("plan these runs as workload.streaming until Flow-Like's queue path is fixed (packages/api/src/execution/dispatch.rs build_executor_payload, queue.rs QueuedJob){}", as_streaming(plan))),
        );
    }
}

/// What the queued runs would do to the runtimes' memory as streaming runs, where that
/// brings a finding of its own: moved unbounded, they can need more memory than their slots.
fn as_streaming(plan: &Plan) -> String {
    let Some(workload) = &plan.workload else { return String::new() };
    if workload.streaming.is_some() {
        // Two paths' runs of different sizes make no one path: say what to check.
        return "; add them to workload.streaming's rate and check its memory again".into();
    }
    let mut moved = plan.clone();
    if let Some(moved) = moved.workload.as_mut() {
        moved.streaming = moved.queued.take();
    }
    let risk = streaming::figures(&moved, moved.runtime.replicas).and_then(|f| f.over_memory_any_runtime);
    match risk {
        Some(risk) if risk > streaming::quiet_line(plan) => format!(
            "; as streaming runs they put some runtime past its memory fit {} of the peak (streaming-memory-risk or -tight follows): size the runtimes' memory for them",
            share_text(risk)
        ),
        _ => String::new(),
    }
}
