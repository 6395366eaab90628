//! CockroachDB's figures: the connections Flow-Like's clients can open held against Cockroach
//! Labs' pool guidance (it has no max_connections), and what `--cache`, `--max-sql-memory` and
//! `--max-tsdb-memory` take of each pod's memory.

use crate::model::cockroach::{CONNECTIONS_PER_VCPU, SERVICE, tsdb_memory};
use crate::model::plan::Plan;
use crate::model::units::{Bytes, round4};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CockroachFigures {
    pub pods: u32,
    /// `start-single-node`: every pod is a database of its own.
    pub single_node: bool,
    /// The vCPUs of the database pods: their CPU limit (else request) × pods; unknown when
    /// they have neither.
    pub vcpus: Option<f64>,
    /// About 4 active connections per vCPU (Cockroach Labs' pool sizing).
    pub connection_guidance: Option<u64>,
    /// What the clients can open, now and with every autoscaler at its maximum.
    pub connections: u64,
    pub connections_at_maximum: u64,
    /// The memory a pod's process sees: its limit; unknown without one (then the node's).
    pub memory_limit_bytes: Option<u64>,
    pub cache_bytes: Option<u64>,
    pub sql_memory_bytes: Option<u64>,
    pub tsdb_memory_bytes: Option<u64>,
    /// (cache + SQL + time series) ÷ the limit.
    pub memory_share: Option<f64>,
}

pub fn figures(plan: &Plan, connections: u64, connections_at_maximum: u64) -> Option<CockroachFigures> {
    let cockroach = plan.cockroachdb?;
    let service = plan.other_services.get(SERVICE)?;
    let per_pod_cpus = service.limits.cpus.or(service.reservations.cpus);
    let vcpus = per_pod_cpus.map(|c| c.as_f64() * f64::from(service.replicas));
    let limit = service.limits.memory;
    let cache = limit.map(|l| cockroach.cache.of(l));
    let sql = limit.map(|l| cockroach.max_sql_memory.of(l));
    let tsdb = limit.map(tsdb_memory);
    let memory_share = match (limit, cache, sql, tsdb) {
        (Some(limit), Some(cache), Some(sql), Some(tsdb)) if limit.0 > 0 => {
            Some(round4((cache.0 + sql.0 + tsdb.0) as f64 / limit.0 as f64))
        }
        _ => None,
    };
    Some(CockroachFigures {
        pods: service.replicas,
        single_node: cockroach.single_node,
        vcpus: vcpus.map(round4),
        connection_guidance: vcpus.map(|v| (v * CONNECTIONS_PER_VCPU as f64).floor() as u64),
        connections,
        connections_at_maximum,
        memory_limit_bytes: limit.map(|l| l.0),
        cache_bytes: cache.map(|b| b.0),
        sql_memory_bytes: sql.map(|b| b.0),
        tsdb_memory_bytes: tsdb.map(|b: Bytes| b.0),
        memory_share,
    })
}
