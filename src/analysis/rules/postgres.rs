//! Postgres memory: shared_buffers against the container's limit, and the estimate and worst
//! case of what the server uses.

use crate::analysis::figures::Analysis;
use crate::analysis::pgtune;
use crate::analysis::rules::finding::Findings;
use crate::analysis::rules::fit::raise_limit;
use crate::analysis::rules::table::RuleId;
use crate::model::edit::PlanEdit;
use crate::model::plan::Plan;
use crate::model::service::ServiceKey;
use crate::model::units::{Bytes, percent};

/// What to do about Postgres memory when the host cannot give it more.
const SMALLER_POSTGRES: &str = "lower postgres.shared_buffers or the connections (api.db_pool), or use a bigger host";

pub fn postgres_memory(plan: &Plan, analysis: &Analysis, findings: &mut Findings) {
    let pg = &analysis.postgres;
    let Some(limit) = pg.memory_limit_bytes else { return };
    let shared_buffers = Bytes(pg.shared_buffers_bytes);
    let share = pg.shared_buffers_share.unwrap_or_default();
    let quarter = Bytes(limit / 4);
    if pg.shared_buffers_bytes > limit {
        findings
            .add(
                RuleId::SharedBuffersExceedMemory,
                "postgres.shared_buffers",
                format!("shared_buffers {shared_buffers} is larger than the Postgres memory limit {}", Bytes(limit)),
                Some(format!("lower postgres.shared_buffers to {quarter} (25 % of the limit)")),
            )
            .edit(PlanEdit::SharedBuffers(quarter));
    } else if u128::from(pg.shared_buffers_bytes) * 100
        > u128::from(limit) * u128::from(plan.policy.shared_buffers_warning_percent)
    {
        // Compared in whole bytes: the rounded share could hide a byte past the line.
        findings
            .add(
                RuleId::SharedBuffersHigh,
                "postgres.shared_buffers",
                format!(
                    "shared_buffers {shared_buffers} is {} % of the Postgres memory limit {}",
                    percent(share),
                    Bytes(limit)
                ),
                Some(format!("lower postgres.shared_buffers to {quarter} (25 % of the limit)")),
            )
            .edit(PlanEdit::SharedBuffers(quarter));
    }
    if pg.estimated_bytes > limit {
        let finding = findings.add(
            RuleId::PostgresMemoryTight,
            "postgres.limits.memory",
            format!(
                "shared_buffers {shared_buffers} + {} connections × {} = {}, over the Postgres memory limit {}",
                analysis.connections.used,
                plan.policy.memory_per_connection,
                Bytes(pg.estimated_bytes),
                Bytes(limit)
            ),
            None,
        );
        // To the worst case: a limit at the estimate would only trade this for that warning.
        raise_limit(finding, plan, ServiceKey::Postgres, Bytes(pg.worst_case_bytes), SMALLER_POSTGRES);
    } else if pg.worst_case_bytes > limit {
        let finding = findings.add(
            RuleId::PostgresMemoryWorstCase,
            "postgres.limits.memory",
            format!(
                "at worst Postgres uses {}: the estimate {} + {} connections × work_mem {} + {} autovacuum workers × \
                 {} + {} of /dev/shm (PostgreSQL's defaults), over its memory limit {} (the kernel kills it there)",
                Bytes(pg.worst_case_bytes),
                Bytes(pg.estimated_bytes),
                analysis.connections.used,
                Bytes(pgtune::DEFAULT_WORK_MEM_KB * 1024),
                pgtune::DEFAULT_AUTOVACUUM_WORKERS,
                Bytes(pgtune::DEFAULT_MAINTENANCE_WORK_MEM_KB * 1024),
                Bytes(pgtune::default_shm_bytes()),
                Bytes(limit)
            ),
            None,
        );
        raise_limit(finding, plan, ServiceKey::Postgres, Bytes(pg.worst_case_bytes), SMALLER_POSTGRES);
    }
}
