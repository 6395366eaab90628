//! The workload: whether the slots keep up with it, and whether its waits meet the target.

use crate::analysis::figures::Analysis;
use crate::analysis::rules::finding::Findings;
use crate::analysis::rules::table::RuleId;
use crate::analysis::workload::wait_text;
use crate::model::plan::Plan;
use crate::model::units::{Seconds, trim_decimal};

/// The workload's findings carry no fix here: the only true one is a change that also fits
/// the host, which `flowcap solve` finds (the report asks it: [`crate::report::Report::new`]).
pub fn workload(plan: &Plan, analysis: &Analysis, findings: &mut Findings) {
    let (Some(workload), Some(figures)) = (&plan.workload, &analysis.queued) else { return };
    let waits = &figures.waits;
    if !waits.stable {
        findings.add(
            RuleId::WorkloadUnstable,
            &workload.key("queued", "arrivals_per_minute"),
            format!(
                "offered load {} Erlangs ({}/min × {}) on {} slots: queued executions wait without bound (needs at least {} slots)",
                trim_decimal(waits.offered_load, 1),
                trim_decimal(figures.arrivals_per_minute, 1),
                Seconds(figures.mean_duration_seconds),
                waits.slots,
                figures.slots_for_stability
            ),
            None,
        );
    } else if figures.target_met == Some(false) {
        let p95 = wait_text(waits.p95_wait_seconds);
        let waiting = waits.waiting_percent();
        findings.add(
            RuleId::WorkloadTargetMissed,
            "workload.target",
            format!(
                "p95 wait {p95} and {waiting} % of executions wait, missing the target ({})",
                workload.target.unwrap_or_default()
            ),
            None,
        );
    }
}
