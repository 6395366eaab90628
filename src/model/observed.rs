//! What really ran, as data: the figures read from the deployment's Prometheus
//! ([`crate::observe`] reads them; [`crate::analysis::rules::observed`] holds a plan against them).

use crate::model::plan::{PathLoad, Plan, Workload};
use crate::model::units::{Seconds, round4};
use serde::Serialize;

/// The span observed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Window {
    /// Unix seconds.
    pub end: f64,
    pub seconds: u64,
    pub step: u64,
}

/// What the deployment did over the window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Observed {
    pub prometheus: String,
    pub window: Window,
    /// Samples of the runs series in the window.
    pub samples: usize,
    /// The highest 5-minute rate of executions, per minute.
    pub peak_runs_per_minute: f64,
    /// The mean of the 5-minute rates over the steps with data.
    pub mean_runs_per_minute: f64,
    /// How much of the window has data: the steps with a rate × the step.
    pub covered_seconds: u64,
    /// `_sum` ÷ `_count` of the duration histogram over the window, as recorded: queued runs
    /// with their whole duration, streaming ones with the time to their response headers.
    pub mean_duration_seconds: f64,
    /// Queued runs, per minute (peak and mean 5-minute rates): `flow_executions_total` less
    /// `http_requests_total{path=~"/execute.*"}`, since a queued run never counts there.
    pub queued_peak_runs_per_minute: f64,
    pub queued_mean_runs_per_minute: f64,
    /// Their mean duration: the duration sums less the HTTP ones, ÷ their count; `None`
    /// without queued runs.
    pub queued_mean_duration_seconds: Option<f64>,
    /// HTTP runs (`/execute`, `/execute/stream`, `/execute/sse`) per minute, peak and mean.
    /// Their durations are not in the metrics (a streaming run's is its header time).
    pub http_peak_runs_per_minute: f64,
    pub http_mean_runs_per_minute: f64,
    /// The mean duration of blocking `/execute` runs, measured in full (the handler waits for
    /// the run); `None` without any. Streaming runs' durations are not in the metrics.
    pub blocking_mean_duration_seconds: Option<f64>,
    /// `executor_active_jobs` at its peak: HTTP runs in flight, streaming ones only until their
    /// headers; queued runs never count.
    pub http_in_flight_peak: Option<f64>,
    /// The length of `exec:jobs` at its peak (redis_exporter's `redis_key_size`, when told to
    /// read that key).
    pub queue_length_peak: Option<f64>,
    /// `redis_memory_used_bytes` at its peak, and that ÷ the runs of the last 24 h at the
    /// window's end: what one run leaves in Redis.
    pub redis_memory_peak_bytes: Option<f64>,
    pub state_per_run_bytes: Option<f64>,
    /// The 95th percentile from the histogram's buckets (interpolated within one).
    pub p95_duration_seconds: Option<f64>,
    /// The bucket the 95th percentile lies in: its resolution.
    pub p95_bucket_seconds: Option<(f64, f64)>,
    /// Queue slots busy per step by Little's law (queued rate × their mean duration): the
    /// metrics have no gauge of them.
    pub busy_slots_peak: Option<f64>,
    pub busy_slots_p95: Option<f64>,
    /// The plan held against (its file, or the preset's), its slots, and the share of samples
    /// with every one busy.
    pub plan: String,
    pub slots: u64,
    pub saturated_share: Option<f64>,
    pub connections_peak: Option<f64>,
    /// The highest max_connections in the window (it is read at start: it changes with a restart).
    pub max_connections: Option<f64>,
    /// max_connections at the last step with a value: the setting in force.
    pub max_connections_now: Option<f64>,
    /// The busy-slot samples, for the saturation share of any plan's slots.
    #[serde(skip)]
    pub busy: Vec<f64>,
}

impl Observed {
    /// The share of the busy-slot samples with all `slots` busy (or more: a deployment running
    /// more slots than the plan has).
    pub fn saturated_share(&self, slots: u64) -> Option<f64> {
        let busy = &self.busy;
        (!busy.is_empty())
            .then(|| round4(busy.iter().filter(|b| **b >= slots as f64).count() as f64 / busy.len() as f64))
    }
}

/// Fewer samples than this make the saturation share too coarse to trust (said in the heading,
/// and no saturation finding).
pub const FEW_SAMPLES: usize = 24;

impl Observed {
    /// `plan`'s workload with its queued path at `runs_per_minute` of the observed queued mean
    /// duration (the path's spread and memory stay), when queued runs were recorded; the
    /// streaming path and the target stay.
    pub fn workload(&self, plan: &Plan, runs_per_minute: f64) -> Option<Workload> {
        let duration = self.queued_mean_duration_seconds.filter(|d| *d > 0.0 && runs_per_minute > 0.0)?;
        let mut workload = plan.workload.clone().unwrap_or_default();
        let queued = workload.queued.get_or_insert_with(PathLoad::default);
        queued.arrivals_per_minute = runs_per_minute;
        queued.mean_duration = Seconds(duration);
        Some(workload)
    }
}

/// `plan` with the observed peak as its workload: each path at its highest 5-minute rate; the
/// queued runs at their observed mean duration, the streaming ones at the plan's (not in the
/// metrics), so without one in the plan the streaming path is left out. Redis's state per run
/// is the observed one.
pub fn with_observed_workload(plan: &Plan, observed: &Observed) -> Plan {
    let mut next = plan.clone();
    let mut workload = observed.workload(plan, observed.queued_peak_runs_per_minute).unwrap_or_else(|| {
        // No queued run recorded: none planned, and no wait target for them.
        let mut workload = plan.workload.clone().unwrap_or_default();
        workload.queued = None;
        workload.target = None;
        workload
    });
    // The plan's streaming duration stands (streaming runs record their header time); without
    // one, blocking /execute runs' measured mean is the only HTTP duration there is.
    workload.streaming = match (workload.streaming, observed.blocking_mean_duration_seconds) {
        (Some(mut streaming), _) if observed.http_peak_runs_per_minute > 0.0 => {
            streaming.arrivals_per_minute = observed.http_peak_runs_per_minute;
            Some(streaming)
        }
        (None, Some(duration)) if observed.http_peak_runs_per_minute > 0.0 && duration > 0.0 => {
            Some(PathLoad::new(observed.http_peak_runs_per_minute, Seconds(duration)))
        }
        _ => None,
    };
    next.workload = (workload.queued.is_some() || workload.streaming.is_some()).then_some(workload);
    if let (Some(redis), Some(per_run)) = (next.redis.as_mut(), observed.state_per_run_bytes) {
        redis.state_per_run = Some(crate::model::units::Bytes(per_run.ceil() as u64));
    }
    next
}
