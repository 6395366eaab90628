//! PGTune (le0pard/pgtune, `configurationSlice.js`), for Linux: every database type (web,
//! oltp, dw, desktop, mixed) and PostgreSQL version. All sizes are computed in kB and rounded
//! down, as PGTune does. PGTune's own test vectors are tests here.

use crate::model::plan::{Profile, Storage};
use crate::model::units::{Bytes, Cpus};
use serde::Serialize;

const MB: u64 = 1024; // in kB
const GB: u64 = 1024 * MB;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PgTune {
    /// The inputs, so a report can say what the settings were computed for.
    pub memory_bytes: u64,
    pub cpus: Option<u64>,
    pub max_connections: u32,
    pub profile: Profile,
    pub version: u32,
    /// `postgresql.conf` settings in PGTune's order and units.
    pub settings: Vec<Setting>,
    /// What /dev/shm must hold for these settings ([`parallel_hash_shm`]).
    pub shm_bytes: u64,
}

/// PostgreSQL's defaults for what its memory beyond shared_buffers depends on.
pub const DEFAULT_WORK_MEM_KB: u64 = 4 * MB;
pub const DEFAULT_MAINTENANCE_WORK_MEM_KB: u64 = 64 * MB;
pub const DEFAULT_AUTOVACUUM_WORKERS: u64 = 3;
const DEFAULT_PARALLEL_WORKERS: u64 = 8;
const DEFAULT_WORKERS_PER_GATHER: u64 = 2;
/// PostgreSQL's default `hash_mem_multiplier`.
const HASH_MEM_MULTIPLIER: u64 = 2;

/// The /dev/shm that parallel hash joins can use at once, in bytes: each takes about
/// work_mem × hash_mem_multiplier × (workers per gather + 1) of dynamic shared memory (measured
/// on PostgreSQL 16: 1.66 GiB for one query under PGTune's 64 GiB / 8 CPU settings), and
/// max_parallel_workers ÷ workers per gather of them run together.
pub fn parallel_hash_shm(work_mem_kb: u64, parallel_workers: u64, workers_per_gather: u64) -> u64 {
    let per_gather = workers_per_gather.max(1);
    let queries = (parallel_workers / per_gather).max(1);
    queries * work_mem_kb * 1024 * HASH_MEM_MULTIPLIER * (per_gather + 1)
}

/// [`parallel_hash_shm`] under PostgreSQL's defaults (work_mem 4MB, 8 parallel workers, 2 per
/// gather): what a Postgres without PGTune's settings needs.
pub fn default_shm_bytes() -> u64 {
    parallel_hash_shm(DEFAULT_WORK_MEM_KB, DEFAULT_PARALLEL_WORKERS, DEFAULT_WORKERS_PER_GATHER)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Setting {
    pub name: &'static str,
    pub value: String,
}

/// What PGTune is asked: the memory and CPUs Postgres may use (whole CPUs, rounded down; `None`
/// when unknown), its max_connections, storage, database type and major version.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Inputs {
    pub ram: Bytes,
    pub cpus: Option<Cpus>,
    pub max_connections: u32,
    pub storage: Storage,
    pub profile: Profile,
    pub version: u32,
}

pub fn tune(inputs: Inputs) -> PgTune {
    let Inputs { ram, cpus, max_connections, storage, profile, version } = inputs;
    let ram_kb = ram.0 / 1024;
    let cpus = cpus.map(|c| (c.0 / 1000).max(1));
    let desktop = profile == Profile::Desktop;
    let shared_buffers = if desktop { ram_kb / 16 } else { ram_kb / 4 };
    let effective_cache_size = if desktop { ram_kb / 4 } else { ram_kb * 3 / 4 };
    let maintenance_work_mem = (if profile == Profile::Dw { ram_kb / 8 } else { ram_kb / 16 }).min(8 * GB);
    let wal_buffers = match shared_buffers * 3 / 100 {
        kb if kb > 14 * MB => 16 * MB,
        kb => kb.max(32),
    };
    let parallel = cpus.filter(|&n| n >= 4);
    // Without parallel settings PostgreSQL keeps max_worker_processes at its default, 8.
    let workers = parallel.unwrap_or(8);
    let work_mem = (ram_kb - shared_buffers) / ((u64::from(max_connections) + workers) * 3);
    let work_mem = match profile {
        Profile::Web | Profile::Oltp => work_mem,
        Profile::Dw | Profile::Mixed => work_mem / 2,
        Profile::Desktop => work_mem / 6,
    }
    .max(4 * MB);
    let (min_wal, max_wal) = match profile {
        Profile::Web | Profile::Mixed => ("1GB", "4GB"),
        Profile::Oltp => ("2GB", "8GB"),
        Profile::Dw => ("4GB", "16GB"),
        Profile::Desktop => ("100MB", "2GB"),
    };

    let mut settings = vec![
        setting("max_connections", max_connections.to_string()),
        setting("shared_buffers", postgres_size(shared_buffers)),
        setting("effective_cache_size", postgres_size(effective_cache_size)),
        setting("maintenance_work_mem", postgres_size(maintenance_work_mem)),
        setting("checkpoint_completion_target", "0.9".into()),
        setting("wal_buffers", postgres_size(wal_buffers)),
        setting("default_statistics_target", if profile == Profile::Dw { "500" } else { "100" }.into()),
        setting("random_page_cost", if storage == Storage::Hdd { "4" } else { "1.1" }.into()),
        setting(
            "effective_io_concurrency",
            match storage {
                Storage::Hdd => "2",
                Storage::Ssd => "200",
                Storage::San => "300",
                Storage::Nvme => "1000",
            }
            .into(),
        ),
        setting("work_mem", postgres_size(work_mem)),
        setting("huge_pages", if shared_buffers >= 2 * GB { "try" } else { "off" }.into()),
    ];
    if desktop {
        settings.push(setting("wal_level", "minimal".into()));
        // wal_level = minimal needs max_wal_senders = 0.
        settings.push(setting("max_wal_senders", "0".into()));
    }
    settings.push(setting("min_wal_size", min_wal.into()));
    settings.push(setting("max_wal_size", max_wal.into()));
    let (mut parallel_workers, mut workers_per_gather) = (DEFAULT_PARALLEL_WORKERS, DEFAULT_WORKERS_PER_GATHER);
    if let Some(n) = parallel {
        let half = n.div_ceil(2);
        settings.push(setting("max_worker_processes", n.to_string()));
        let per_gather = if profile == Profile::Dw { half } else { half.min(4) };
        workers_per_gather = per_gather;
        if version >= 10 {
            parallel_workers = n;
        }
        settings.push(setting("max_parallel_workers_per_gather", per_gather.to_string()));
        if version >= 10 {
            settings.push(setting("max_parallel_workers", n.to_string()));
        }
        if version >= 11 {
            settings.push(setting("max_parallel_maintenance_workers", half.min(4).to_string()));
        }
    }
    // JIT compilation costs more than it saves on short queries.
    if version >= 12 && profile != Profile::Dw && profile != Profile::Desktop {
        settings.push(setting("jit", "off".into()));
    }
    if version >= 10 {
        settings.push(setting("wal_compression", if version >= 15 { "lz4" } else { "on" }.into()));
    }
    match cpus {
        Some(n) if n >= 32 => settings.push(setting("autovacuum_max_workers", "5".into())),
        Some(n) if n >= 16 => settings.push(setting("autovacuum_max_workers", "4".into())),
        _ => {}
    }
    if maintenance_work_mem >= 2 * GB {
        settings.push(setting("autovacuum_work_mem", "2GB".into()));
    }
    let shm_bytes = parallel_hash_shm(work_mem, parallel_workers, workers_per_gather);
    PgTune { memory_bytes: ram.0, cpus, max_connections, profile, version, settings, shm_bytes }
}

impl PgTune {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.settings.iter().find(|s| s.name == name).map(|s| s.value.as_str())
    }
}

fn setting(name: &'static str, value: String) -> Setting {
    Setting { name, value }
}

/// A size given in kB in PostgreSQL's syntax, as PGTune writes it: GB or MB when exact, else kB.
pub fn postgres_size(value: u64) -> String {
    if value.is_multiple_of(GB) {
        format!("{}GB", value / GB)
    } else if value.is_multiple_of(MB) {
        format!("{}MB", value / MB)
    } else {
        format!("{value}kB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web(ram: Bytes, cpus: Option<Cpus>, max_connections: u32, storage: Storage) -> PgTune {
        tune(Inputs { ram, cpus, max_connections, storage, profile: Profile::Web, version: 16 })
    }

    #[test]
    fn eight_gib_four_cpus_hundred_connections() {
        let tune = web(Bytes::gib(8), Some(Cpus::whole(4)), 100, Storage::Ssd);
        // RAM 8 GiB = 8388608 kB.
        assert_eq!(tune.get("shared_buffers"), Some("2GB"));
        assert_eq!(tune.get("effective_cache_size"), Some("6GB"));
        assert_eq!(tune.get("maintenance_work_mem"), Some("512MB"));
        // 3 % of 2097152 kB = 62914 kB > 14 MB → 16 MB.
        assert_eq!(tune.get("wal_buffers"), Some("16MB"));
        // (8388608 − 2097152) / ((100 + 4) × 3) = 20164 kB (rounded down).
        assert_eq!(tune.get("work_mem"), Some("20164kB"));
        assert_eq!(tune.get("huge_pages"), Some("try"));
        assert_eq!(tune.get("max_worker_processes"), Some("4"));
        assert_eq!(tune.get("max_parallel_workers_per_gather"), Some("2"));
        assert_eq!(tune.get("effective_io_concurrency"), Some("200"));
        assert_eq!(tune.get("random_page_cost"), Some("1.1"));
    }

    #[test]
    fn small_container_gets_minimums_and_no_parallel_settings() {
        let tune = web(Bytes::gib(1), Some(Cpus(1500)), 100, Storage::Hdd);
        assert_eq!(tune.get("shared_buffers"), Some("256MB"));
        // 3 % of 262144 kB = 7864 kB.
        assert_eq!(tune.get("wal_buffers"), Some("7864kB"));
        // (1048576 − 262144) / ((100 + 8) × 3) = 2427 kB → the 4 MB minimum.
        assert_eq!(tune.get("work_mem"), Some("4MB"));
        assert_eq!(tune.get("huge_pages"), Some("off"));
        assert_eq!(tune.get("max_worker_processes"), None);
        assert_eq!(tune.get("random_page_cost"), Some("4"));
        assert_eq!(tune.cpus, Some(1));
    }

    #[test]
    fn dev_shm_holds_the_parallel_hash_joins_the_settings_allow() {
        // 64 GiB / 8 CPUs: work_mem (67108864 − 16777216) / ((100 + 8) × 3) = 155344 kB; 8
        // parallel workers, 4 per gather: 2 queries × 155344 kB × 2 × 5.
        let tune = web(Bytes::gib(64), Some(Cpus::whole(8)), 100, Storage::Ssd);
        assert_eq!(tune.get("work_mem"), Some("155344kB"));
        assert_eq!(tune.shm_bytes, 2 * 155_344 * 1024 * 2 * 5);
        // More than the 1.66 GiB one such query was measured to need, and far more than 1g.
        assert!(tune.shm_bytes > (1.66 * (1u64 << 30) as f64) as u64);
        // PostgreSQL's defaults: 4 queries × 4 MB × 2 × 3 = 96 MiB.
        assert_eq!(default_shm_bytes(), 96 << 20);
    }

    #[test]
    fn many_cpus_cap_gather_workers_and_big_ram_caps_maintenance() {
        let tune = web(Bytes::gib(256), Some(Cpus::whole(32)), 200, Storage::Nvme);
        assert_eq!(tune.get("max_parallel_workers_per_gather"), Some("4"));
        assert_eq!(tune.get("max_parallel_maintenance_workers"), Some("4"));
        assert_eq!(tune.get("maintenance_work_mem"), Some("8GB"));
        assert_eq!(tune.get("effective_io_concurrency"), Some("1000"));
    }
}
