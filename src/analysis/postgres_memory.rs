//! What the Postgres container's memory holds: shared_buffers, the connections, and at worst
//! what the settings flowcap writes let the server take (PostgreSQL's defaults, or PGTune's
//! with `postgres.pgtune`).

use crate::analysis::pgtune::{self, DataSize, PgTune};
use crate::model::plan::Plan;
use crate::model::units::{Bytes, round4};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PostgresMemory {
    /// A managed database outside the stack: its memory is the provider's, not the plan's.
    #[serde(skip)]
    pub external: bool,
    /// shared_buffers as the server runs it: the plan's, else PGTune's with `postgres.pgtune`
    /// (when it knows the memory), else PostgreSQL's default.
    pub shared_buffers_bytes: u64,
    /// The Postgres container's memory limit, when it has one.
    pub memory_limit_bytes: Option<u64>,
    /// shared_buffers ÷ memory limit.
    pub shared_buffers_share: Option<f64>,
    /// shared_buffers + used connections × memory per connection (the policy's figure).
    pub estimated_bytes: u64,
    /// What the worst case is made of: the settings flowcap writes.
    pub settings: MemorySettings,
    /// The worst case, all charged to the container: the estimate, plus every connection
    /// sorting in work_mem, every autovacuum worker in its memory, and parallel hash joins
    /// filling /dev/shm.
    pub worst_case_bytes: u64,
    /// PGTune for the container's memory (its limit, else the host's) and CPUs, when known,
    /// around the plan's own shared_buffers if it sets one.
    pub pgtune: Option<PgTune>,
}

/// The settings the worst-case memory depends on, as the server runs them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemorySettings {
    pub source: SettingsSource,
    pub work_mem_bytes: u64,
    pub autovacuum_workers: u64,
    /// autovacuum_work_mem, else maintenance_work_mem: what each autovacuum worker may take.
    pub autovacuum_worker_bytes: u64,
    /// The /dev/shm parallel hash joins can fill at once under these settings.
    pub shm_bytes: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingsSource {
    PostgresqlDefaults,
    Pgtune,
}

impl MemorySettings {
    fn defaults() -> MemorySettings {
        MemorySettings {
            source: SettingsSource::PostgresqlDefaults,
            work_mem_bytes: pgtune::DEFAULT_WORK_MEM_KB * 1024,
            autovacuum_workers: pgtune::DEFAULT_AUTOVACUUM_WORKERS,
            autovacuum_worker_bytes: pgtune::DEFAULT_MAINTENANCE_WORK_MEM_KB * 1024,
            shm_bytes: pgtune::default_shm_bytes(),
        }
    }

    fn of(tune: &PgTune) -> MemorySettings {
        MemorySettings {
            source: SettingsSource::Pgtune,
            work_mem_bytes: tune.work_mem_kb * 1024,
            autovacuum_workers: tune.autovacuum_max_workers,
            autovacuum_worker_bytes: tune.autovacuum_worker_mem_kb * 1024,
            shm_bytes: tune.shm_bytes,
        }
    }
}

impl PostgresMemory {
    pub fn of(plan: &Plan, used_connections: u64) -> PostgresMemory {
        let pg = &plan.postgres;
        let limit = pg.limits.memory;
        // PGTune sizes for the memory Postgres can use: its limit, else the whole host.
        let ram = limit.or(plan.host.map(|h| h.memory));
        let pgtune = ram.map(|ram| {
            pgtune::tune(pgtune::Inputs {
                ram,
                cpus: pg.limits.cpus.or(plan.host.map(|h| h.cpus)),
                max_connections: pg.max_connections,
                storage: pg.storage,
                profile: pg.profile,
                version: pg.version,
                data_size: DataSize::of(pg.data_size, ram),
                shared_buffers: pg.shared_buffers,
                // Postgres runs in a container, and Docker's default seccomp profile (since
                // Engine 25, moby/moby#46762) blocks io_uring: the server would not start,
                // unless the container runs unconfined.
                io_uring: pg.io_uring,
            })
        });
        let written = pgtune.as_ref().filter(|_| pg.pgtune);
        let shared_buffers = match (pg.shared_buffers, written) {
            (Some(own), _) => own,
            (None, Some(tune)) => Bytes(tune.shared_buffers_kb * 1024),
            (None, None) => pgtune::DEFAULT_SHARED_BUFFERS,
        };
        let settings = written.map_or_else(MemorySettings::defaults, MemorySettings::of);
        let estimated_bytes =
            shared_buffers.0.saturating_add(used_connections.saturating_mul(plan.policy.memory_per_connection.0));
        let worst_case_bytes = estimated_bytes
            .saturating_add(used_connections.saturating_mul(settings.work_mem_bytes))
            .saturating_add(settings.autovacuum_workers.saturating_mul(settings.autovacuum_worker_bytes))
            .saturating_add(settings.shm_bytes);
        PostgresMemory {
            external: pg.external,
            shared_buffers_bytes: shared_buffers.0,
            memory_limit_bytes: limit.map(|l| l.0),
            shared_buffers_share: limit.map(|l| round4(shared_buffers.as_f64() / l.as_f64())),
            estimated_bytes,
            settings,
            worst_case_bytes,
            pgtune,
        }
    }

    pub fn shared_buffers(&self) -> Bytes {
        Bytes(self.shared_buffers_bytes)
    }
}

/// The least memory limit, in whole MiB, at which the worst case fits under it, or `None` when
/// none does up to 1 PiB. Under PostgreSQL's defaults that is the worst case itself; under
/// PGTune's settings the worst case grows with the limit (shared_buffers, work_mem and
/// maintenance_work_mem are shares of it), so the limit is searched for.
pub fn limit_for_worst_case(plan: &Plan, used_connections: u64) -> Option<Bytes> {
    const MIB: u64 = 1 << 20;
    const MOST: u64 = 1 << 30; // in MiB: 1 PiB
    let fits = |mib: u64| {
        let mut sized = plan.clone();
        sized.postgres.limits.memory = Some(Bytes(mib * MIB));
        PostgresMemory::of(&sized, used_connections).worst_case_bytes <= mib * MIB
    };
    let start = PostgresMemory::of(plan, used_connections).worst_case_bytes.div_ceil(MIB);
    let mut high = start.max(1);
    while !fits(high) {
        if high >= MOST {
            return None;
        }
        high = (high * 2).min(MOST);
    }
    // `fits` turns true once and stays so: the worst case grows by less than the limit does.
    let mut low = start.min(high);
    while low < high {
        let middle = low + (high - low) / 2;
        if fits(middle) { high = middle } else { low = middle + 1 }
    }
    Some(Bytes(high * MIB))
}
