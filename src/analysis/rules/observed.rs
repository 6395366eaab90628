//! The plan held against what really ran: findings from an observation (`--check --prometheus`
//! and the planner's `--prometheus`). Pure: the observation is read once; these are recomputed
//! for every plan, so the planner's findings follow each keystroke.

use crate::analysis::figures::Analysis;
use crate::analysis::rules::finding::Finding;
use crate::analysis::rules::table::RuleId;
use crate::analysis::solve::{SizedFor, workload_fix};
use crate::analysis::workload::sized_workload;
use crate::analysis::workload::wait_text;
use crate::model::observed::{FEW_SAMPLES, Observed};
use crate::model::plan::{PathLoad, Plan, Workload};
use crate::model::units::{percent, trim_decimal};

/// The findings `observed` brings to `plan` (with its `figures`).
pub fn findings(plan: &Plan, figures: &Analysis, observed: &Observed) -> Vec<Finding> {
    let mut findings = Vec::new();
    findings.extend(connections(figures, observed));
    findings.extend(max_connections(plan, observed));
    findings.extend(saturation(plan, observed));
    findings.extend(peak_past_target(plan, observed));
    findings.extend(wait_vs_predicted(plan, observed));
    findings.extend(no_queued_runs(plan, observed));
    findings
}

/// The plan counts on queued runs and Prometheus recorded none while runs did run: at
/// Flow-Like ab1f822 the queue worker drops every job it pops.
fn no_queued_runs(plan: &Plan, observed: &Observed) -> Option<Finding> {
    let expected = plan.workload.as_ref()?.queued?.arrivals_per_minute;
    if expected <= 0.0 || observed.queued_peak_runs_per_minute > 0.0 || observed.peak_runs_per_minute <= 0.0 {
        return None;
    }
    Some(Finding::new(
        RuleId::ObservedNoQueuedRuns,
        "workload.queued",
        format!(
            "the plan expects {} queued runs per minute; Prometheus recorded none in the window (HTTP runs peaked at {} per minute): at Flow-Like ab1f822 the queue worker drops every job it pops",
            trim_decimal(expected, 2),
            trim_decimal(observed.http_peak_runs_per_minute, 2)
        ),
        Some("plan these runs as workload.streaming (flowcap observe -o PLAN writes what ran), until Flow-Like's queue path runs".into()),
    ))
}

/// The observed peak of connections against the clients the plan counts (at the autoscalers'
/// maximum on Kubernetes: the most the plan allows).
fn connections(figures: &Analysis, observed: &Observed) -> Option<Finding> {
    let peak = observed.connections_peak?;
    let budget = figures.at_maximum.as_ref().map_or(&figures.connections, |m| &m.connections);
    if peak <= budget.used as f64 {
        return None;
    }
    let refused = if peak >= budget.usable as f64 {
        format!(", at or past the {} ordinary roles may open: clients were refused", budget.usable)
    } else {
        format!(" ({} usable)", budget.usable)
    };
    Some(Finding::new(
        RuleId::ObservedConnectionsOverBudget,
        "postgres.max_connections",
        format!(
            "Postgres held {} connections at its observed peak; the plan counts {} for its clients{refused}",
            trim_decimal(peak, 0),
            budget.used
        ),
        Some(format!(
            "find the client the plan does not count (SELECT usename, application_name, count(*) FROM \
             pg_stat_activity GROUP BY 1, 2) and count it: raise postgres_clients.admin by {} (or the client it is)",
            (peak - budget.used as f64).ceil()
        )),
    ))
}

/// The setting in force against the plan's: a change not applied (Postgres reads
/// max_connections only at start), or a plan of another deployment.
fn max_connections(plan: &Plan, observed: &Observed) -> Option<Finding> {
    let reported = observed.max_connections_now?;
    let planned = plan.postgres.max_connections;
    if reported == f64::from(planned) {
        return None;
    }
    Some(Finding::new(
        RuleId::ObservedMaxConnectionsDiffers,
        "postgres.max_connections",
        format!(
            "Postgres reported max_connections {} at the window's end; the plan has {planned}",
            trim_decimal(reported, 0)
        ),
        Some(format!(
            "set -c max_connections={planned} in the Postgres command and restart it (it is read only at start), or set postgres.max_connections to {} in the plan",
            trim_decimal(reported, 0)
        )),
    ))
}

fn saturation(plan: &Plan, observed: &Observed) -> Option<Finding> {
    if observed.samples < FEW_SAMPLES {
        return None;
    }
    let slots = plan.peak_slots();
    let share = observed.saturated_share(slots)?;
    let line = f64::from(plan.policy.saturation_warning_percent) / 100.0;
    if share <= line {
        return None;
    }
    Some(Finding::new(
        RuleId::ObservedSlotsSaturated,
        "runtime.max_concurrent_executions",
        format!(
            "all {slots} queue slots were busy {} % of the observed time (Little's law: queued rate × their mean duration; busy peak {}; warning line {} %): queued executions waited for a slot",
            percent(share),
            trim_decimal(observed.busy_slots_peak.unwrap_or(0.0), 1),
            plan.policy.saturation_warning_percent
        ),
        Some("size for the observed peak: flowcap observe -o PLAN, then flowcap solve PLAN".into()),
    ))
}

/// The queued runs' observed peak on the plan's slots: a queue that grows without bound (or
/// misses the target) is an error.
fn peak_past_target(plan: &Plan, observed: &Observed) -> Option<Finding> {
    let (replicas, per_replica) = plan.peak_executors();
    let workload = sized_workload(&observed.workload(plan, observed.queued_peak_runs_per_minute)?);
    let waits = workload.waits(replicas, per_replica);
    if waits.stable && workload.meets_target(&waits) {
        return None;
    }
    let target = workload.target.map(|t| t.to_string()).unwrap_or_default();
    let allowed = allowed_peak(&workload, replicas, per_replica);
    let mut with_observed = plan.clone();
    with_observed.workload = Some(workload.clone());
    // Solve on the plan would size for the plan's own workload: the fix says how to size for this one.
    let fix = workload_fix(&with_observed, SizedFor::ObservedWorkload);
    let mut finding = Finding::new(
        RuleId::ObservedPeakPastTarget,
        "workload",
        format!(
            "the observed peak of {} queued runs per minute at {} s each {} on {} slots (p95 wait {}); they serve {} per minute within {target}",
            trim_decimal(observed.queued_peak_runs_per_minute, 2),
            trim_decimal(observed.queued_mean_duration_seconds.unwrap_or_default(), 2),
            if waits.stable { format!("misses {target}") } else { "is more than the slots finish".into() },
            waits.slots,
            wait_text(waits.p95_wait_seconds),
            trim_decimal(allowed, 1),
        ),
        None,
    );
    fix.give(&mut finding);
    Some(finding)
}

/// The most runs per minute `replicas` × `per_replica` slots serve within the workload's target
/// (bisection over the arrivals, to a hundredth of a run per minute).
fn allowed_peak(workload: &Workload, replicas: u32, per_replica: u32) -> f64 {
    let meets = |rate: f64| {
        let mut trial = workload.clone();
        let queued = trial.queued.get_or_insert_with(PathLoad::default);
        queued.arrivals_per_minute = rate;
        let waits = trial.waits(replicas, per_replica);
        waits.stable && trial.meets_target(&waits)
    };
    let (mut low, mut high) = (0.0, workload.queued.map_or(0.0, |q| q.arrivals_per_minute));
    if meets(high) {
        return high;
    }
    while high - low > 0.01 {
        let middle = (low + high) / 2.0;
        if meets(middle) { low = middle } else { high = middle }
    }
    low
}

/// P(wait) from Erlang C at the window's mean load is the share of time every slot is busy
/// (arrivals see time averages), so the two can be read side by side: a measured share well
/// above the prediction means the load is burstier than the model's Poisson arrivals.
fn wait_vs_predicted(plan: &Plan, observed: &Observed) -> Option<Finding> {
    let slots = plan.peak_slots();
    let measured = observed.saturated_share(slots)?;
    let (replicas, per_replica) = plan.peak_executors();
    let workload = observed.workload(plan, observed.queued_mean_runs_per_minute)?;
    let waits = workload.waits(replicas, per_replica);
    let predicted =
        waits.wait_probability.map_or("every execution (the mean load is more than the slots finish)".into(), |p| {
            format!("{} %", percent(p))
        });
    Some(Finding::new(
        RuleId::ObservedWaitVsPredicted,
        "workload",
        format!(
            "at the observed mean of {} queued runs per minute the model predicts P(wait) {predicted} on {slots} slots; by Little's law every slot was busy {} % of the time",
            trim_decimal(observed.queued_mean_runs_per_minute, 2),
            percent(measured)
        ),
        None,
    ))
}
