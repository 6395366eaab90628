//! Postgres memory: shared_buffers against the container's limit, and the estimate and worst
//! case of what the server uses.

use crate::analysis::figures::Analysis;
use crate::analysis::pgtune::Warning;
use crate::analysis::postgres_memory::SettingsSource;
use crate::analysis::postgres_memory::{PostgresMemory, limit_for_worst_case};
use crate::analysis::rules::finding::{Finding, Findings};
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
        let (estimate, limit_text) = Bytes(pg.estimated_bytes).beside(Bytes(limit));
        let finding = findings.add(
            RuleId::PostgresMemoryTight,
            "postgres.limits.memory",
            format!(
                "shared_buffers {shared_buffers} + {} connections × {} = {estimate}, over the Postgres memory limit {limit_text}",
                analysis.connections.used, plan.policy.memory_per_connection,
            ),
            None,
        );
        // To the worst case: a limit at the estimate would only trade this for that warning.
        raise_to_worst_case(finding, plan, analysis);
    } else if pg.worst_case_bytes > limit {
        let (worst, limit_text) = Bytes(pg.worst_case_bytes).beside(Bytes(limit));
        let finding = findings.add(
            RuleId::PostgresMemoryWorstCase,
            "postgres.limits.memory",
            format!(
                "at worst Postgres uses {}: the estimate {} + {} connections × work_mem {} + {} autovacuum workers × \
                 {} + {} of /dev/shm ({}), over its memory limit {limit_text} (the kernel kills it there)",
                worst,
                Bytes(pg.estimated_bytes),
                analysis.connections.used,
                Bytes(pg.settings.work_mem_bytes),
                pg.settings.autovacuum_workers,
                Bytes(pg.settings.autovacuum_worker_bytes),
                Bytes(pg.settings.shm_bytes),
                match pg.settings.source {
                    SettingsSource::PostgresqlDefaults => "PostgreSQL's defaults",
                    SettingsSource::Pgtune => "PGTune's settings",
                },
            ),
            None,
        );
        raise_to_worst_case(finding, plan, analysis);
    }
}

/// Raises the Postgres limit to where the worst case fits: under PGTune's settings a larger
/// limit also raises what they take, so the limit is the one [`limit_for_worst_case`] finds.
fn raise_to_worst_case(finding: &mut Finding, plan: &Plan, analysis: &Analysis) {
    match limit_for_worst_case(plan, analysis.connections.used) {
        Some(limit) => raise_limit(finding, plan, ServiceKey::Postgres, limit, SMALLER_POSTGRES),
        None => {
            finding.fix =
                Some(format!("no memory limit holds PGTune's settings for this many CPUs: {SMALLER_POSTGRES}"))
        }
    }
}

/// With `postgres.pgtune`: what PGTune needs and warns of, where flowcap departs from it, and
/// the plan's own shared_buffers far from PGTune's.
pub fn pgtune(plan: &Plan, analysis: &Analysis, findings: &mut Findings) {
    let pg = &plan.postgres;
    if !pg.pgtune || pg.external {
        return;
    }
    let Some(tune) = &analysis.postgres.pgtune else {
        findings.add(
            RuleId::PgtuneNeedsMemory,
            "postgres.pgtune",
            "PGTune sizes its settings for the memory Postgres may use, and the plan gives none: no PGTune \
             settings are written"
                .into(),
            Some("set postgres.limits.memory (or host.memory)".into()),
        );
        return;
    };
    for warning in &tune.warnings {
        // The official postgres images are built with lz4: PGTune's caution is met there.
        let met = if *warning == Warning::Lz4 { " (the official postgres images are)" } else { "" };
        findings.add(RuleId::PgtuneWarning, "postgres.pgtune", format!("PGTune: {}{met}", warning.message()), None);
    }
    if tune.version >= 18 && !plan.postgres.io_uring {
        findings.add(
            RuleId::IoUringBlocked,
            "postgres.version",
            "PGTune sets io_method = io_uring on Linux; Docker's default seccomp profile blocks io_uring (Engine \
             25+, moby/moby#46762), and PostgreSQL 18 then does not start (\"could not setup io_uring queue\"): \
             flowcap writes io_method = worker, with PGTune's io_workers for it"
                .into(),
            None,
        );
    }
    let (own, theirs) = (tune.shared_buffers_kb, tune.pgtune_shared_buffers_kb);
    if own > 0 && (own * 2 < theirs || own > theirs * 2) {
        let theirs_bytes = Bytes(theirs * 1024);
        let work_mem = |kb: u64| Bytes(kb * 1024);
        let mut pure = plan.clone();
        pure.postgres.shared_buffers = None;
        let pgtunes = PostgresMemory::of(&pure, analysis.connections.used).pgtune.map(|t| t.work_mem_kb);
        findings
            .add(
                RuleId::SharedBuffersFarFromPgtune,
                "postgres.shared_buffers",
                format!(
                    "shared_buffers {} is far from PGTune's {theirs_bytes} for {}: flowcap keeps yours, and PGTune's \
                     formulas follow it: work_mem {}{}, huge_pages {}",
                    Bytes(own * 1024),
                    Bytes(tune.memory_bytes),
                    work_mem(tune.work_mem_kb),
                    pgtunes.map_or(String::new(), |kb| format!(" (PGTune's own: {})", work_mem(kb))),
                    tune.get("huge_pages").unwrap_or("off"),
                ),
                Some(format!("set postgres.shared_buffers to {theirs_bytes} (PGTune's), or leave it out")),
            )
            .edit(PlanEdit::SharedBuffers(theirs_bytes));
    }
}
