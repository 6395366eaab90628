//! The streaming (HTTP) path: every run is admitted at once, so a runtime is an
//! infinite-server system. With Poisson arrivals split at random over the runtimes it reaches,
//! the number running on one is Poisson with mean λ·D / r whatever the durations (M/G/∞). What
//! bounds it is the runtime's memory (an OOM kill takes every run on it) and its CPU (more work
//! than cores stretches every run).

use crate::analysis::poisson;
use crate::model::plan::{HttpRouting, Plan};
use crate::model::units::{Bytes, trim_decimal};
use serde::Serialize;

/// How the streaming runs reach the runtimes, as the figures assume it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Spread {
    /// Docker's DNS from the API (Compose as shipped): the worst case, every run on one runtime.
    OneRuntime,
    /// A balancer taking each replica in turn, or a Kubernetes Service: an even split.
    Even,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StreamingFigures {
    pub arrivals_per_minute: f64,
    pub mean_duration_seconds: f64,
    pub spread: Spread,
    /// The runtimes the runs reach (1 under Docker's DNS).
    pub runtimes_reached: u32,
    /// Runs in flight on one reached runtime at the peak: the Poisson mean and its 99th
    /// percentile.
    pub mean_per_runtime: f64,
    pub p99_per_runtime: u64,
    /// The streaming runs one runtime's memory limit holds beside its queued slots:
    /// ⌊(limit − base − queued slots × their memory) ÷ memory per execution⌋. `None` without a
    /// memory limit or a memory per execution.
    pub memory_fit_per_runtime: Option<u64>,
    /// The share of the peak one reached runtime holds more runs than that (P(N > fit)).
    pub over_memory_per_runtime: Option<f64>,
    /// The share of the peak some reached runtime does: 1 − (1 − p)^r.
    pub over_memory_any_runtime: Option<f64>,
    /// CPUs the runs on one runtime keep busy at the peak's mean (queued slots included), and
    /// how much longer every run takes when that is past the limit (processor sharing).
    pub cpu_demand_per_runtime: Option<f64>,
    pub cpu_stretch: Option<f64>,
    /// On Kubernetes, where the executor pool's autoscaler settles at the peak: the runtimes
    /// these figures spread the runs over.
    pub autoscaler: Option<crate::analysis::autoscaler::Settled>,
}

impl StreamingFigures {
    /// `no limit — at the peak, mean 12, p99 21 per runtime`.
    pub fn summary(&self) -> String {
        let on = match self.spread {
            Spread::Even => "per runtime".to_string(),
            Spread::OneRuntime => "on one runtime (Docker's DNS)".to_string(),
        };
        format!(
            "no limit — at the peak, mean {}, p99 {} {on}",
            trim_decimal(self.mean_per_runtime, 1),
            self.p99_per_runtime
        )
    }
}

/// The queued runs that share the runtimes with the streaming ones: Compose's runtimes run
/// the queue worker; the chart's executor pool runs none (queued runs go to the Job backend's
/// pods, or nowhere), so on Kubernetes its pods hold streaming runs only.
fn queued_on_runtimes(plan: &Plan) -> Option<crate::model::workload::PathLoad> {
    plan.queued_runs().filter(|_| plan.platform.is_compose())
}

/// How the streaming runs of `plan` on `replicas` runtimes sit on each: the spread, the
/// runtimes reached, the mean per runtime and the memory fit. What the figures, the memory
/// risk and solve's search share, without the p99 (a quantile search the risk does not need).
struct Split {
    spread: Spread,
    reached: u32,
    mean: f64,
    memory_fit: Option<u64>,
}

impl Split {
    fn of(plan: &Plan, replicas: u32) -> Option<Split> {
        let workload = plan.workload.as_ref()?;
        let streaming = workload.streaming?;
        // No runtime, no runs: no-execution-slots says so.
        if replicas == 0 {
            return None;
        }
        let even = !plan.platform.is_compose() || plan.runtime.http_routing == HttpRouting::Balanced || replicas <= 1;
        let (spread, reached) = if even { (Spread::Even, replicas) } else { (Spread::OneRuntime, 1) };
        let queued = queued_on_runtimes(plan);
        let slots = u64::from(plan.runtime.max_concurrent_executions);
        let memory_fit = plan.runtime.limits.memory.zip(streaming.memory_per_execution).map(|(limit, per_run)| {
            let queued_memory = queued.map_or(0, |q| q.memory_per_execution.unwrap_or(per_run).0.saturating_mul(slots));
            let room = limit.0.saturating_sub(plan.runtime.base_memory.0).saturating_sub(queued_memory);
            room / per_run.0.max(1)
        });
        Some(Split { spread, reached, mean: streaming.offered_load() / f64::from(reached), memory_fit })
    }

    /// P(N > fit) on one runtime, and 1 − (1 − p)^r on any of the r reached.
    fn over_memory(&self) -> Option<(f64, f64)> {
        let one = poisson::upper_tail(self.memory_fit?, self.mean);
        Some((one, -(f64::from(self.reached) * (-one).ln_1p()).exp_m1()))
    }
}

/// The share of the peak some runtime holds more streaming runs than its memory fits, on
/// `replicas` runtimes; `None` when it cannot be known.
pub fn over_memory_any_runtime(plan: &Plan, replicas: u32) -> Option<f64> {
    Split::of(plan, replicas)?.over_memory().map(|(_, any)| any)
}

/// CPUs the runs on one of `replicas` runtimes keep busy at the peak's mean (its busy queued
/// slots included), and how much longer every run takes past the runtime's CPU limit.
fn cpu(plan: &Plan, split: &Split, replicas: u32) -> (Option<f64>, Option<f64>) {
    let Some(per_run) = plan.workload.as_ref().and_then(|w| w.streaming?.cpu_per_execution) else {
        return (None, None);
    };
    let queued = queued_on_runtimes(plan);
    let slots = plan.runtime.max_concurrent_executions;
    // Queued runs busy on one runtime at the mean: the pooled load shared by every replica.
    let queued_busy =
        queued.map_or(0.0, |q| q.offered_load().min(f64::from(slots) * f64::from(replicas))) / f64::from(replicas);
    let queued_cpu = queued.and_then(|q| q.cpu_per_execution).unwrap_or(per_run);
    let demand = split.mean * per_run.as_f64() + queued_busy * queued_cpu.as_f64();
    let stretch = plan.runtime.limits.cpus.filter(|limit| limit.0 > 0).map(|limit| (demand / limit.as_f64()).max(1.0));
    (Some(demand), stretch)
}

/// How much longer every streaming run takes on `replicas` runtimes (1: not at all); `None`
/// when it cannot be known.
pub fn cpu_stretch(plan: &Plan, replicas: u32) -> Option<f64> {
    cpu(plan, &Split::of(plan, replicas)?, replicas).1
}

/// The streaming figures of `plan` on `replicas` runtimes, when its workload has streaming runs.
pub fn figures(plan: &Plan, replicas: u32) -> Option<StreamingFigures> {
    let split = Split::of(plan, replicas)?;
    let streaming = plan.workload.as_ref()?.streaming?;
    let mean = split.mean;
    let (cpu_demand, cpu_stretch) = cpu(plan, &split, replicas);
    let over = split.over_memory();
    Some(StreamingFigures {
        arrivals_per_minute: streaming.arrivals_per_minute,
        mean_duration_seconds: streaming.mean_duration.0,
        spread: split.spread,
        runtimes_reached: split.reached,
        mean_per_runtime: mean,
        p99_per_runtime: poisson::quantile(0.99, mean),
        memory_fit_per_runtime: split.memory_fit,
        over_memory_per_runtime: over.map(|(one, _)| one),
        over_memory_any_runtime: over.map(|(_, any)| any),
        cpu_demand_per_runtime: cpu_demand,
        cpu_stretch,
        autoscaler: None,
    })
}

/// The share of the peak some runtime may spend past its memory fit for no finding at all:
/// the policy's warning line, as a probability (what the fixes and solve size for).
pub fn quiet_line(plan: &Plan) -> f64 {
    plan.policy.streaming_memory_warning_percent / 100.0
}

/// The smallest runtime memory limit that keeps the share of the peak some runtime spends
/// past its fit within the policy's warning line, at the plan's runtimes and spread: the fit
/// must reach the quantile of each runtime's count that leaves 1 − (1 − line)^(1/r) above it.
pub fn memory_within_line(plan: &Plan, figures: &StreamingFigures) -> Option<Bytes> {
    let workload = plan.workload.as_ref()?;
    let per_run = workload.streaming?.memory_per_execution?;
    let reached = f64::from(figures.runtimes_reached);
    let allowed = -((-quiet_line(plan)).ln_1p() / reached).exp_m1();
    let fit = poisson::quantile(1.0 - allowed, figures.mean_per_runtime);
    let queued_memory = queued_on_runtimes(plan)
        .map_or(0, |q| q.memory_per_execution.unwrap_or(per_run).0 * u64::from(plan.runtime.max_concurrent_executions));
    let bytes = plan.runtime.base_memory.0 + queued_memory + fit.saturating_mul(per_run.0);
    Some(Bytes(bytes.div_ceil(Bytes::mib(1).0) * Bytes::mib(1).0))
}

/// The fewest runtimes, spread evenly, that keep the share within the warning line (at most
/// `most`), when the runtime has a memory limit and the runs a memory each.
pub fn replicas_within_line(plan: &Plan, most: u32) -> Option<u32> {
    let mut trial = plan.clone();
    trial.runtime.http_routing = HttpRouting::Balanced;
    (plan.runtime.replicas.max(1)..=most).find(|&replicas| {
        trial.runtime.replicas = replicas;
        over_memory_any_runtime(&trial, replicas).is_some_and(|risk| risk <= quiet_line(plan))
    })
}
