//! Where the executor pool's HorizontalPodAutoscaler settles at the peak. The autoscaler does
//! not run at its maximum because the plan allows it: it scales to keep each pod's average use
//! near its target share of the pod's request, and holds within its tolerance (10 %,
//! kube-controller-manager's `--horizontal-pod-autoscaler-tolerance`) of it. With the
//! streaming runs' mean in flight L, each pod's use is `base + runs × per run`, so the fewest
//! pods that hold at the target from below are ⌈L × per run ÷ (1.1 × target × request − base)⌉
//! for memory, and ⌈L × CPU per run ÷ (1.1 × target × request)⌉ for CPU; the autoscaler takes
//! the larger, within its min and max (the Kubernetes docs' "Horizontal Pod Autoscaling":
//! desired = ⌈current × current use ÷ target⌉, the highest of the metrics).

use crate::model::cluster::{Autoscaling, Platform};
use crate::model::plan::Plan;
use serde::Serialize;

/// kube-controller-manager's default tolerance: no scaling while use is within 10 % of target.
const TOLERANCE: f64 = 0.1;

/// Which metric decides where the autoscaler settles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    Memory,
    Cpu,
}

/// The executor pool's pods at the peak, as its autoscaler scales them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Settled {
    /// Pods at the peak's mean load (at least, when a metric is unknown).
    pub replicas: u32,
    /// The pods its targets ask for, before its min and max bound them.
    pub wanted: u32,
    pub maximum: u32,
    /// The metric that asks for the most pods; `None` when neither can be known (no run's
    /// memory or CPU, or no request), and the pods are taken at the maximum.
    pub metric: Option<Metric>,
}

/// Where the executor pool's autoscaler settles at the peak's streaming load; `None` without
/// one (Compose, or a pool of fixed replicas), or without streaming runs.
pub fn settled(plan: &Plan) -> Option<Settled> {
    let hpa = plan.runtime.autoscaling.filter(|_| plan.platform == Platform::Kubernetes)?;
    let streaming = plan.workload.as_ref()?.streaming?;
    let in_flight = streaming.offered_load();
    let runtime = &plan.runtime;
    // A container with limits and no requests requests its limits.
    let memory_request = runtime.reservations.memory.or(runtime.limits.memory);
    let cpu_request = runtime.reservations.cpus.or(runtime.limits.cpus);
    let share = |target: u32| (1.0 + TOLERANCE) * f64::from(target) / 100.0;
    let by_memory = (|| {
        let held = share(hpa.target_memory_percent?) * memory_request?.0 as f64 - runtime.base_memory.0 as f64;
        let used = in_flight * streaming.memory_per_execution?.0 as f64;
        // A pod past its target at rest: the autoscaler runs every pod it may.
        Some(if held <= 0.0 { hpa.max } else { pods(used / held) })
    })();
    let by_cpu = (|| {
        let held = share(hpa.target_cpu_percent?) * cpu_request?.as_f64();
        Some(pods(in_flight * streaming.cpu_per_execution?.as_f64() / held))
    })();
    let (wanted, metric) = match (by_memory, by_cpu) {
        (Some(memory), Some(cpu)) if cpu > memory => (cpu, Some(Metric::Cpu)),
        (Some(memory), _) => (memory, Some(Metric::Memory)),
        (None, Some(cpu)) => (cpu, Some(Metric::Cpu)),
        (None, None) => (hpa.max, None),
    };
    Some(Settled { replicas: wanted.clamp(hpa.min, hpa.max.max(hpa.min)), wanted, maximum: hpa.max, metric })
}

/// ⌈x⌉ pods, at most u32::MAX.
fn pods(x: f64) -> u32 {
    x.ceil().min(f64::from(u32::MAX)) as u32
}

/// The executor pool's pods that take the streaming runs at the peak: where its autoscaler
/// settles, else its replicas (or the maximum, as [`Plan::peak_runtime_replicas`]).
pub fn streaming_replicas(plan: &Plan) -> u32 {
    settled(plan).map_or(plan.peak_runtime_replicas(), |s| s.replicas)
}

/// The executor pool's autoscaler, its maximum at `max`, that runs at least `count` pods at
/// the peak: where its targets would settle it lower (each pod holding its target share of the
/// request), the highest memory target, else CPU target, that settles it there; failing both,
/// its minimum at `count`. `None` without an autoscaler.
pub fn holding(plan: &Plan, count: u32, max: u32) -> Option<Autoscaling> {
    let hpa = Autoscaling { max: max.max(count).max(plan.runtime.autoscaling?.min), ..plan.runtime.autoscaling? };
    let mut trial = plan.clone();
    let mut reaches = |hpa: Autoscaling| {
        trial.runtime.autoscaling = Some(hpa);
        settled(&trial).is_none_or(|s| s.replicas >= count)
    };
    if reaches(hpa) {
        return Some(hpa);
    }
    let lower_memory = |t| Autoscaling { target_memory_percent: Some(t), ..hpa };
    let lower_cpu = |t| Autoscaling { target_cpu_percent: Some(t), ..hpa };
    let memory = hpa.target_memory_percent.and_then(|now| (1..now).rev().map(lower_memory).find(|h| reaches(*h)));
    let cpu = || hpa.target_cpu_percent.and_then(|now| (1..now).rev().map(lower_cpu).find(|h| reaches(*h)));
    Some(memory.or_else(cpu).unwrap_or(Autoscaling { min: count, ..hpa }))
}

/// The plan edits that make `from` into `to`, for the executor pool's autoscaler.
pub fn edits(from: Autoscaling, to: Autoscaling) -> Vec<crate::model::edit::PlanEdit> {
    use crate::model::edit::PlanEdit;
    let mut edits = Vec::new();
    if to.max != from.max {
        edits.push(PlanEdit::RuntimeAutoscalingMax(to.max.into()));
    }
    if to.min != from.min {
        edits.push(PlanEdit::RuntimeAutoscalingMin(to.min.into()));
    }
    if let Some(t) = to.target_memory_percent.filter(|_| to.target_memory_percent != from.target_memory_percent) {
        edits.push(PlanEdit::RuntimeTargetMemoryPercent(t.into()));
    }
    if let Some(t) = to.target_cpu_percent.filter(|_| to.target_cpu_percent != from.target_cpu_percent) {
        edits.push(PlanEdit::RuntimeTargetCpuPercent(t.into()));
    }
    edits
}
