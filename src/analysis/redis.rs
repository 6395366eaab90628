//! Redis's memory as Flow-Like fills it: every run's state for 24 h, plus the queued backlog,
//! against `maxmemory` and the container's limit.

use crate::analysis::workload::QueuedFigures;
use crate::model::plan::Plan;
use crate::model::redis::{EvictionPolicy, SERVICE, STATE_SECONDS};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RedisFigures {
    /// `None`: no maxmemory, no bound at all.
    pub maxmemory_bytes: Option<u64>,
    pub maxmemory_policy: EvictionPolicy,
    pub appendonly: bool,
    /// The container's memory limit (`other_services.redis`).
    pub limit_bytes: Option<u64>,
    /// Runs started in 24 h at the peak rate, both paths: the most state Redis may hold.
    pub runs_per_day: Option<f64>,
    /// Queued runs waiting at the peak's mean (Little's law: arrivals × mean wait).
    pub backlog_runs: Option<f64>,
    /// (runs per day + backlog) × state per run, when the state per run is known.
    pub state_bytes: Option<u64>,
}

pub fn figures(plan: &Plan, queued: Option<&QueuedFigures>) -> Option<RedisFigures> {
    let redis = plan.redis.as_ref()?;
    let per_minute = plan
        .workload
        .as_ref()
        .map(|w| w.queued.map_or(0.0, |q| q.arrivals_per_minute) + w.streaming.map_or(0.0, |s| s.arrivals_per_minute));
    let runs_per_day = per_minute.map(|rate| rate * STATE_SECONDS / 60.0);
    let backlog_runs =
        queued.map(|q| q.waits.mean_wait_seconds.map_or(f64::INFINITY, |wait| q.arrivals_per_minute / 60.0 * wait));
    let state_bytes = redis.state_per_run.zip(runs_per_day).map(|(per_run, runs)| {
        let runs = runs + backlog_runs.unwrap_or(0.0);
        if runs.is_finite() { (runs * per_run.0 as f64).ceil() as u64 } else { u64::MAX }
    });
    Some(RedisFigures {
        maxmemory_bytes: redis.maxmemory.map(|m| m.0),
        maxmemory_policy: redis.maxmemory_policy,
        appendonly: redis.appendonly,
        limit_bytes: plan.other_services.get(SERVICE).and_then(|s| s.limits.memory).map(|m| m.0),
        runs_per_day,
        backlog_runs,
        state_bytes,
    })
}
