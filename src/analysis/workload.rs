//! Waiting for a slot on the queued path: Flow-Like's queue workers take jobs from one Redis
//! list, so the slots of every runtime form one pooled queue (M/M/c, or M/G/c when the
//! durations' spread is given).

use crate::analysis::queueing::Mgc;
use crate::model::plan::{PathLoad, Target, Workload};
use crate::model::units::{Seconds, percent, trim_decimal};
use serde::Serialize;
use std::fmt;

/// The waits one arrangement of slots gives. Infinite waits (an unstable system) are `None`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Waits {
    /// Offered load on the slots, Erlangs (λ · D).
    pub offered_load: f64,
    pub slots: u64,
    /// Offered load ÷ slots.
    pub utilisation: f64,
    pub stable: bool,
    /// The share of executions that wait for a slot.
    pub wait_probability: Option<f64>,
    pub mean_wait_seconds: Option<f64>,
    pub p95_wait_seconds: Option<f64>,
    pub p99_wait_seconds: Option<f64>,
}

/// An offered load in exact arithmetic: arrivals per minute × duration ÷ 60 as a fraction of
/// integers, from the shortest decimals that print the plan's two numbers (which is what the
/// operator wrote). Stability (load < slots) and the slots it needs are decided here, so an
/// exact saturation is never "stable" by a rounding error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExactLoad {
    numerator: u128,
    denominator: u128,
}

impl ExactLoad {
    pub fn of(arrivals_per_minute: f64, duration_seconds: f64) -> ExactLoad {
        let (arrivals, arrivals_scale) = decimal(arrivals_per_minute);
        let (duration, duration_scale) = decimal(duration_seconds);
        let denominator = 60u128.saturating_mul(10u128.saturating_pow(arrivals_scale + duration_scale));
        ExactLoad { numerator: arrivals.saturating_mul(duration), denominator }
    }

    /// Whether the load is less than `slots`.
    pub fn below(&self, slots: u64) -> bool {
        self.numerator < u128::from(slots).saturating_mul(self.denominator)
    }

    /// The fewest slots the load is below: ⌊load⌋ + 1.
    pub fn slots_for_stability(&self) -> u64 {
        u64::try_from(self.numerator / self.denominator).unwrap_or(u64::MAX).saturating_add(1)
    }
}

/// `value` (finite, ≥ 0, as the plan's validation allows) as an integer and a power of ten:
/// 12.5 → (125, 1). Rust prints the shortest decimal that reads back as the same f64, which
/// for a number the operator typed is the number typed.
fn decimal(value: f64) -> (u128, u32) {
    let text = format!("{}", value.max(0.0));
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits = format!("{whole}{fraction}");
    let scale = u32::try_from(fraction.len()).unwrap_or(u32::MAX);
    (digits.parse().unwrap_or(u128::MAX), scale)
}

/// A wait as reports show it: `1.5 s`, or `∞` when the queue is unstable.
pub fn wait_text(seconds: Option<f64>) -> String {
    Seconds(seconds.unwrap_or(f64::INFINITY)).to_string()
}

impl Waits {
    /// The share of executions that wait, in per cent: 100 when the queue is unstable.
    pub fn waiting_percent(&self) -> String {
        self.wait_probability.map_or("100".into(), percent)
    }
}

impl PathLoad {
    /// The offered load exactly, as the decimals the plan wrote.
    pub fn exact_load(&self) -> ExactLoad {
        ExactLoad::of(self.arrivals_per_minute, self.mean_duration.0)
    }

    /// The queueing model these durations get, as reports name it.
    pub fn queue_model(&self) -> String {
        if self.duration_cv.is_none() && self.p95_duration.is_none() {
            return "M/M/c (Erlang C)".into();
        }
        format!("M/G/c (Allen–Cunneen, duration cv {})", trim_decimal(self.duration_cv2().sqrt(), 2))
    }

    /// The waits on `replicas` runtimes with `slots_per_replica` slots each: one pooled queue.
    pub fn waits(&self, replicas: u32, slots_per_replica: u32) -> Waits {
        let load = self.offered_load();
        let slots = u64::from(replicas) * u64::from(slots_per_replica);
        let system = Mgc { servers: slots, load, duration: self.mean_duration.0, duration_cv2: self.duration_cv2() };
        // Stability is decided exactly: a load of exactly the slots is unstable, whatever
        // floating point makes of it.
        let stable = slots > 0 && self.exact_load().below(slots);
        let finite = |value: f64| (stable && value.is_finite()).then_some(value);
        Waits {
            offered_load: load,
            slots,
            utilisation: if slots == 0 { f64::INFINITY } else { load / slots as f64 },
            stable,
            wait_probability: finite(system.wait_probability()),
            mean_wait_seconds: finite(system.mean_wait()),
            p95_wait_seconds: finite(system.wait_percentile(0.95)),
            p99_wait_seconds: finite(system.wait_percentile(0.99)),
        }
    }
}

impl Workload {
    /// The queued path's waits; a workload without queued runs has nothing waiting.
    pub fn waits(&self, replicas: u32, slots_per_replica: u32) -> Waits {
        let none = PathLoad::new(0.0, self.streaming.map_or(Seconds(1.0), |s| s.mean_duration));
        self.queued.unwrap_or(none).waits(replicas, slots_per_replica)
    }

    /// Whether the waits meet the target (a plan without a target has nothing to miss).
    pub fn meets_target(&self, waits: &Waits) -> bool {
        let Some(target) = &self.target else { return true };
        target.met_by(waits)
    }
}

impl Target {
    pub fn met_by(&self, waits: &Waits) -> bool {
        let p95_ok = self.p95_wait.is_none_or(|limit| waits.p95_wait_seconds.is_some_and(|w| w <= limit.0));
        let probability_ok = self
            .wait_probability_percent
            .is_none_or(|limit| waits.wait_probability.is_some_and(|p| p * 100.0 <= limit));
        p95_ok && probability_ok
    }
}

impl fmt::Display for Target {
    /// `p95 wait ≤ 5 s, P(wait) ≤ 10 %`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(p95) = self.p95_wait {
            parts.push(format!("p95 wait ≤ {p95}"));
        }
        if let Some(limit) = self.wait_probability_percent {
            parts.push(format!("P(wait) ≤ {} %", trim_decimal(limit, 2)));
        }
        f.write_str(&parts.join(", "))
    }
}

/// One point of the wait-against-load curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CurvePoint {
    /// Offered load as a share of the slots (0.1 … 1.0).
    pub load_share: f64,
    pub arrivals_per_minute: f64,
    pub mean_wait_seconds: Option<f64>,
    pub p95_wait_seconds: Option<f64>,
}

/// The queued path's figures a report shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueuedFigures {
    pub arrivals_per_minute: f64,
    pub mean_duration_seconds: f64,
    /// `M/M/c (Erlang C)`, or M/G/c by Allen–Cunneen with the durations' spread.
    pub model: String,
    #[serde(flatten)]
    pub waits: Waits,
    /// The most executions per minute the slots can finish: slots ÷ duration.
    pub throughput_ceiling_per_minute: f64,
    /// The fewest slots that keep the system stable (load < slots).
    pub slots_for_stability: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_met: Option<bool>,
    /// Wait against load from 10 % to 100 % of the slots, in steps of 5 %.
    pub curve: Vec<CurvePoint>,
}

/// The queued path's figures, when the workload has queued runs.
pub fn figures(workload: &Workload, replicas: u32, slots_per_replica: u32) -> Option<QueuedFigures> {
    let queued = workload.queued?;
    let waits = queued.waits(replicas, slots_per_replica);
    let duration = queued.mean_duration.0;
    Some(QueuedFigures {
        arrivals_per_minute: queued.arrivals_per_minute,
        mean_duration_seconds: duration,
        model: queued.queue_model(),
        waits,
        throughput_ceiling_per_minute: waits.slots as f64 / duration * 60.0,
        slots_for_stability: queued.exact_load().slots_for_stability(),
        target: workload.target,
        target_met: workload.target.map(|t| t.met_by(&waits)),
        curve: curve(&queued, replicas, slots_per_replica),
    })
}

fn curve(queued: &PathLoad, replicas: u32, slots_per_replica: u32) -> Vec<CurvePoint> {
    let slots = f64::from(replicas) * f64::from(slots_per_replica);
    if slots == 0.0 {
        return Vec::new();
    }
    (2..=20)
        .map(|step| {
            let load_share = f64::from(step) / 20.0;
            let arrivals_per_minute = load_share * slots / queued.mean_duration.0 * 60.0;
            let at = PathLoad { arrivals_per_minute, ..*queued }.waits(replicas, slots_per_replica);
            CurvePoint {
                load_share,
                arrivals_per_minute,
                mean_wait_seconds: at.mean_wait_seconds,
                p95_wait_seconds: at.p95_wait_seconds,
            }
        })
        .collect()
}

/// Without a target of its own, solve sizes for a p95 wait of at most this share of the mean
/// execution time: a queue kept merely stable runs at 98 % and makes the 95th execution wait
/// minutes.
pub const DEFAULT_P95_WAIT_SHARE: f64 = 0.1;

/// The workload solve sizes for: the plan's, with the default target when it has none.
pub fn sized_workload(workload: &Workload) -> Workload {
    let mut sized = workload.clone();
    if sized.target.is_none()
        && let Some(queued) = workload.queued
    {
        let p95 = Seconds(queued.mean_duration.0 * DEFAULT_P95_WAIT_SHARE);
        sized.target = Some(Target { p95_wait: Some(p95), wait_probability_percent: None });
    }
    sized
}
