//! Execution slots: that there are any, and that each gets the memory the policy asks.

use crate::analysis::figures::PerSlot;
use crate::analysis::rules::finding::Findings;
use crate::analysis::rules::fit::{problems_from, raise_limit};
use crate::analysis::rules::table::RuleId;
use crate::model::edit::PlanEdit;
use crate::model::plan::Plan;
use crate::model::service::ServiceKey;
use crate::model::units::Bytes;

pub fn execution_slots(plan: &Plan, findings: &mut Findings) {
    let runtime = &plan.runtime;
    // The one-Job-per-execution backend runs executions without the executor pool.
    let jobs = plan.jobs.is_some_and(|jobs| jobs.max_concurrent > 0);
    if jobs || runtime.replicas > 0 && runtime.max_concurrent_executions > 0 {
        return;
    }
    let path = if runtime.replicas == 0 { "runtime.replicas" } else { "runtime.max_concurrent_executions" };
    // A runtime the host cannot hold is no fix: say what it lacks instead.
    let lacking = problems_from(plan, |one_slot| {
        one_slot.runtime.replicas = runtime.replicas.max(1);
        one_slot.runtime.max_concurrent_executions = runtime.max_concurrent_executions.max(1);
    });
    let fix = if lacking.is_empty() {
        "set runtime.replicas and runtime.max_concurrent_executions to at least 1".to_string()
    } else {
        format!("one runtime does not fit this host ({}): use a bigger host or smaller services", lacking.join("; "))
    };
    let finding = findings.add(
        RuleId::NoExecutionSlots,
        path,
        format!(
            "{} runtime replicas × {} executions each = 0 execution slots",
            runtime.replicas, runtime.max_concurrent_executions
        ),
        Some(fix),
    );
    if lacking.is_empty() {
        if runtime.replicas == 0 {
            finding.edit(PlanEdit::RuntimeReplicas(1));
        }
        if runtime.max_concurrent_executions == 0 {
            finding.edit(PlanEdit::MaxConcurrentExecutions(1));
        }
    }
}

pub fn memory_per_slot(plan: &Plan, per_slot: &PerSlot, findings: &mut Findings) {
    let (Some(per_slot), Some(limit)) = (per_slot.memory_bytes, plan.runtime.limits.memory) else { return };
    let minimum = plan.policy.min_memory_per_slot;
    if per_slot < minimum.0 {
        let slots = plan.runtime.max_concurrent_executions;
        let fitting = limit.0 / minimum.0;
        let otherwise = if fitting >= 1 {
            format!("lower runtime.max_concurrent_executions to {fitting} and add runtime replicas")
        } else {
            "use a bigger host".to_string()
        };
        let finding = findings.add(
            RuleId::MemoryPerSlotLow,
            "runtime.max_concurrent_executions",
            format!("{} ÷ {} slots = {} per execution, below {}", limit, slots, Bytes(per_slot), minimum),
            None,
        );
        raise_limit(finding, plan, ServiceKey::Runtime, Bytes(minimum.0 * u64::from(slots)), &otherwise);
    }
}
