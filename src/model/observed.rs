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
    /// `_sum` ÷ `_count` of the duration histogram over the window.
    pub mean_duration_seconds: f64,
    /// The 95th percentile from the histogram's buckets (interpolated within one).
    pub p95_duration_seconds: Option<f64>,
    /// The bucket the 95th percentile lies in: its resolution.
    pub p95_bucket_seconds: Option<(f64, f64)>,
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
    /// `plan`'s workload with its queued path at `runs_per_minute` and the observed mean
    /// duration (the path's spread and memory stay); the streaming path and the target stay.
    pub fn workload(&self, plan: &Plan, runs_per_minute: f64) -> Workload {
        let mut workload = plan.workload.clone().unwrap_or_default();
        let queued = workload.queued.get_or_insert_with(PathLoad::default);
        queued.arrivals_per_minute = runs_per_minute;
        queued.mean_duration = Seconds(self.mean_duration_seconds);
        workload
    }
}

/// `plan` with the observed peak as its workload: the highest 5-minute rate and the mean
/// duration.
pub fn with_observed_workload(plan: &Plan, observed: &Observed) -> Plan {
    let mut next = plan.clone();
    next.workload = Some(observed.workload(plan, observed.peak_runs_per_minute));
    next
}
