//! The chart's internal CockroachDB: separate single-node databases behind one Service, the
//! connections against Cockroach Labs' pool guidance, and its memory flags against the pod's
//! limit.

use crate::analysis::figures::Analysis;
use crate::analysis::rules::finding::Findings;
use crate::analysis::rules::table::RuleId;
use crate::io::text::count;
use crate::model::cockroach::{CONNECTIONS_PER_VCPU, MEMORY_SHARE_LINE, SERVICE};
use crate::model::edit::{Block, PlanEdit};
use crate::model::plan::Plan;
use crate::model::service::ServiceKey;
use crate::model::units::{Bytes, Cpus, percent, trim_decimal};

pub fn cockroachdb(plan: &Plan, analysis: &Analysis, findings: &mut Findings) {
    let Some(db) = &analysis.cockroachdb else { return };
    if db.single_node && db.pods > 1 {
        findings.add(
            RuleId::CockroachSeparateDatabases,
            "other_services.cockroachdb.replicas",
            format!(
                "{} CockroachDB pods each run start-single-node: {} separate databases behind one Service, nothing replicated between them, and each connection of the API lands on any one of them",
                db.pods, db.pods
            ),
            Some("set database.internal.replicas: 1 (one database, no failover), or run a real multi-node CockroachDB cluster (cockroach start and cockroach init, as Cockroach Labs' operator or chart does) and point the chart at it with database.type: external".into()),
        );
    }
    if let (Some(guidance), Some(vcpus)) = (db.connection_guidance, db.vcpus) {
        let most = db.connections.max(db.connections_at_maximum);
        if most > guidance {
            let at = if db.connections_at_maximum > db.connections {
                format!(
                    "{} connections at the autoscalers' maximum ({} now)",
                    db.connections_at_maximum, db.connections
                )
            } else {
                format!("{} connections", db.connections)
            };
            // The CPU each pod needs for the guidance to cover them: the next tenth of a CPU up.
            let per_pod = most as f64 / CONNECTIONS_PER_VCPU as f64 / f64::from(db.pods.max(1));
            let cpus = Cpus((per_pod * 10.0).ceil() as u64 * 100);
            // The most API replicas whose pools keep every client within the guidance.
            let others = most
                - analysis.at_maximum.as_ref().map_or(&analysis.connections, |m| &m.connections).clients[0].connections;
            let within = guidance.saturating_sub(others) / u64::from(plan.api.db_pool.max(1));
            let (fewer_apis, edit) = match plan.api.autoscaling {
                Some(hpa) if within >= u64::from(hpa.min.max(1)) && within < u64::from(hpa.max) => {
                    (format!("lower api.autoscaling.max to {within}"), PlanEdit::ApiAutoscalingMax(within))
                }
                _ => (
                    "lower the API's replicas or its pool".into(),
                    PlanEdit::Cpus(ServiceKey::other(SERVICE), Block::Limits, cpus),
                ),
            };
            findings
                .add(
                    RuleId::CockroachConnectionsPastGuidance,
                    "other_services.cockroachdb.limits.cpus",
                    format!(
                        "the clients can open {at}; Cockroach Labs sizes a pool at about {CONNECTIONS_PER_VCPU} per vCPU: {guidance} for the {} vCPUs of {}",
                        trim_decimal(vcpus, 2),
                        count(u64::from(db.pods), "database pod")
                    ),
                    Some(format!(
                        "{fewer_apis}, or give the database pods {cpus} CPUs each (database.internal.resources.limits.cpu)"
                    )),
                )
                .edit(edit);
        }
    }
    if let (Some(share), Some(limit), Some(cache), Some(sql), Some(tsdb)) =
        (db.memory_share, db.memory_limit_bytes, db.cache_bytes, db.sql_memory_bytes, db.tsdb_memory_bytes)
        && share > MEMORY_SHARE_LINE
    {
        findings.add(
            RuleId::CockroachMemoryOverShare,
            "cockroachdb.cache",
            format!(
                "--cache {} + --max-sql-memory {} + --max-tsdb-memory {} take {} % of the pod's {} limit, past the {} % cockroach start warns at: under load the kernel kills it",
                Bytes(cache),
                Bytes(sql),
                Bytes(tsdb),
                percent(share),
                Bytes(limit),
                percent(MEMORY_SHARE_LINE)
            ),
            Some("lower database.internal.cache and database.internal.maxSqlMemory (the chart's 25 % each leaves room)".into()),
        );
    }
}
