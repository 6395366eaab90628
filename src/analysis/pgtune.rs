//! PGTune (le0pard/pgtune at 7caef27, `src/features/configuration/configurationSlice.js`) for
//! Linux: every database type (web, oltp, dw, desktop, mixed), PostgreSQL 10 to 18, every
//! storage and the data size against RAM. All sizes are computed in kB and rounded down, as
//! PGTune does; settings come in PGTune's order. PGTune's own test vectors are tests here
//! (tests/integration/pgtune.rs).
//!
//! Two inputs are flowcap's, not PGTune's: the operator's own shared_buffers, which wins and
//! which PGTune's formulas then follow (work_mem, wal_buffers, huge_pages), and whether the
//! server may use io_uring (a container under Docker's or containerd's default seccomp profile
//! may not: PGTune's non-Linux branch, `io_method = worker`, applies).

use crate::model::plan::{Profile, Storage};
use crate::model::units::{Bytes, Cpus};
use serde::Serialize;

const MB: u64 = 1024; // in kB
const GB: u64 = 1024 * MB;

/// PostgreSQL's defaults for what its memory beyond shared_buffers depends on.
pub const DEFAULT_SHARED_BUFFERS: Bytes = Bytes::mib(128);
pub const DEFAULT_WORK_MEM_KB: u64 = 4 * MB;
pub const DEFAULT_MAINTENANCE_WORK_MEM_KB: u64 = 64 * MB;
pub const DEFAULT_AUTOVACUUM_WORKERS: u64 = 3;
const DEFAULT_PARALLEL_WORKERS: u64 = 8;
const DEFAULT_WORKERS_PER_GATHER: u64 = 2;
/// PostgreSQL's default `hash_mem_multiplier`.
const HASH_MEM_MULTIPLIER: u64 = 2;

/// PGTune's "DB size vs RAM" choice: it scales work_mem and decides random_page_cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSize {
    LessThanRam,
    /// PGTune's default, taken when the data size is not known.
    #[default]
    OneToThreeTimesRam,
    MoreThanThreeTimesRam,
}

impl DataSize {
    /// PGTune's choice for `data` against the memory PGTune is given.
    pub fn of(data: Option<Bytes>, ram: Bytes) -> DataSize {
        match data {
            Some(data) if data.0 < ram.0 => DataSize::LessThanRam,
            Some(data) if u128::from(data.0) > 3 * u128::from(ram.0) => DataSize::MoreThanThreeTimesRam,
            _ => DataSize::OneToThreeTimesRam,
        }
    }
}

/// What PGTune is asked: the memory and CPUs Postgres may use (whole CPUs, rounded down; `None`
/// when unknown), its max_connections, storage, database type, major version and data size;
/// and flowcap's two: the operator's own shared_buffers, and whether io_uring may be used.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Inputs {
    pub ram: Bytes,
    pub cpus: Option<Cpus>,
    pub max_connections: u32,
    pub storage: Storage,
    pub profile: Profile,
    pub version: u32,
    pub data_size: DataSize,
    pub shared_buffers: Option<Bytes>,
    pub io_uring: bool,
}

impl Inputs {
    /// PGTune's inputs for Linux: no shared_buffers of the operator's, io_uring allowed.
    pub fn linux(ram: Bytes, cpus: Option<Cpus>, max_connections: u32, profile: Profile, version: u32) -> Inputs {
        Inputs {
            ram,
            cpus,
            max_connections,
            storage: Storage::Ssd,
            profile,
            version,
            data_size: DataSize::default(),
            shared_buffers: None,
            io_uring: true,
        }
    }
}

/// What PGTune says of its inputs, in its words (its `selectWarningInfoMessages`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Warning {
    LowMemory,
    HighMemory,
    Lz4,
    IoUring,
    WarehouseCost(Storage),
}

impl Warning {
    pub fn message(self) -> String {
        match self {
            Warning::LowMemory => "not optimal for low memory systems (under 256 MB)".into(),
            Warning::HighMemory => "not optimal for very high memory systems (over 100 GB)".into(),
            Warning::Lz4 => "wal_compression = lz4 requires PostgreSQL to be compiled with --with-lz4".into(),
            Warning::IoUring => "io_method = io_uring requires PostgreSQL to be compiled with --with-liburing".into(),
            Warning::WarehouseCost(storage) => format!(
                "cost parameters for data warehouses on {} are left at defaults to avoid catastrophic index scan \
                 selections: monitor query planner behaviour and adjust random_page_cost if necessary",
                match storage {
                    Storage::Nvme => "NVMe drives",
                    Storage::San => "SAN storage",
                    Storage::Ssd | Storage::Hdd => "SSDs",
                }
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Setting {
    pub name: &'static str,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PgTune {
    /// The inputs, so a report can say what the settings were computed for.
    pub memory_bytes: u64,
    pub cpus: Option<u64>,
    pub max_connections: u32,
    pub profile: Profile,
    pub version: u32,
    pub data_size: DataSize,
    /// PGTune's own shared_buffers, in kB, whether or not the operator's wins.
    #[serde(skip)]
    pub pgtune_shared_buffers_kb: u64,
    /// The figures the server's memory depends on, in kB, as written in `settings` (reports
    /// carry them there and in the Postgres memory figures).
    #[serde(skip)]
    pub shared_buffers_kb: u64,
    #[serde(skip)]
    pub work_mem_kb: u64,
    #[serde(skip)]
    pub maintenance_work_mem_kb: u64,
    #[serde(skip)]
    pub autovacuum_max_workers: u64,
    /// What each autovacuum worker may take: autovacuum_work_mem, else maintenance_work_mem.
    #[serde(skip)]
    pub autovacuum_worker_mem_kb: u64,
    /// `postgresql.conf` settings in PGTune's order and units.
    pub settings: Vec<Setting>,
    /// Reports carry them as `pgtune-warning` findings.
    #[serde(skip)]
    pub warnings: Vec<Warning>,
    /// What /dev/shm must hold for these settings ([`parallel_hash_shm`]).
    pub shm_bytes: u64,
}

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

pub fn tune(inputs: Inputs) -> PgTune {
    let Inputs { ram, cpus, max_connections, storage, profile, version, data_size, shared_buffers, io_uring } = inputs;
    let ram_kb = ram.0 / 1024;
    let cpus = cpus.map(|c| (c.0 / 1000).max(1));
    let desktop = profile == Profile::Desktop;
    let warehouse = profile == Profile::Dw;
    let pgtune_shared_buffers_kb = if desktop { ram_kb / 16 } else { ram_kb / 4 };
    let shared_buffers_kb = shared_buffers.map_or(pgtune_shared_buffers_kb, |own| own.0 / 1024);
    let effective_cache_size = if desktop { ram_kb / 4 } else { ram_kb * 3 / 4 };
    let maintenance_work_mem_kb = (if warehouse { ram_kb / 8 } else { ram_kb / 16 }).min(8 * GB);
    // PostgreSQL's own auto-tuning: 3 % of shared_buffers, an even 16MB from 14MB up.
    let wal_buffers = match shared_buffers_kb * 3 / 100 {
        kb if kb > 14 * MB => 16 * MB,
        kb => kb.max(32),
    };
    let parallel = cpus.filter(|&n| n >= 4);
    // Without parallel settings PostgreSQL keeps max_worker_processes at its default, 8.
    let workers = parallel.unwrap_or(8);
    let work_mem = ram_kb.saturating_sub(shared_buffers_kb) / ((u64::from(max_connections) + workers) * 3);
    let work_mem = match profile {
        Profile::Web | Profile::Oltp => work_mem,
        Profile::Dw | Profile::Mixed => work_mem / 2,
        Profile::Desktop => work_mem / 6,
    };
    // JavaScript's float multiplications, floored, as PGTune does them.
    let work_mem_kb = match data_size {
        DataSize::LessThanRam => (work_mem as f64 * 1.3).floor() as u64,
        DataSize::OneToThreeTimesRam => work_mem,
        DataSize::MoreThanThreeTimesRam => (work_mem as f64 * 0.9).floor() as u64,
    }
    .max(4 * MB);
    let random_page_cost = match (data_size, storage) {
        (DataSize::LessThanRam, _) => "1.1",
        (_, Storage::Hdd) => "4",
        // An index scan over data that does not fit in RAM is slower than a sequential one.
        _ if warehouse => "4",
        _ => "1.1",
    };
    let autovacuum_max_workers = match cpus {
        Some(n) if n >= 32 => Some(5),
        Some(n) if n >= 16 => Some(4),
        _ => None,
    };
    let autovacuum_work_mem = (maintenance_work_mem_kb >= 2 * GB).then_some(2 * GB);
    let wal_compression = match version {
        15.. => Some("lz4"),
        10.. => Some("on"),
        _ => None,
    };
    let io_method = (version >= 18).then_some(if io_uring { "io_uring" } else { "worker" });
    let io_workers = match (io_method, cpus) {
        (Some("worker"), Some(n)) => Some((n / 4).clamp(3, 32)).filter(|&w| w > 3),
        _ => None,
    };

    let mut settings = vec![
        setting("max_connections", max_connections.to_string()),
        setting("shared_buffers", postgres_size(shared_buffers_kb)),
        setting("effective_cache_size", postgres_size(effective_cache_size)),
        setting("maintenance_work_mem", postgres_size(maintenance_work_mem_kb)),
        setting("checkpoint_completion_target", "0.9".into()),
        setting("wal_buffers", postgres_size(wal_buffers)),
        setting("default_statistics_target", if warehouse { "500" } else { "100" }.into()),
        setting("random_page_cost", random_page_cost.into()),
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
        setting("work_mem", postgres_size(work_mem_kb)),
        setting("huge_pages", if shared_buffers_kb >= 2 * GB { "try" } else { "off" }.into()),
    ];
    // JIT compilation costs more than it saves on short queries.
    if version >= 12 && !warehouse && !desktop {
        settings.push(setting("jit", "off".into()));
    }
    settings.extend(wal_compression.map(|value| setting("wal_compression", value.into())));
    settings.extend(autovacuum_max_workers.map(|n: u64| setting("autovacuum_max_workers", n.to_string())));
    settings.extend(autovacuum_work_mem.map(|kb| setting("autovacuum_work_mem", postgres_size(kb))));
    settings.extend(io_method.map(|method| setting("io_method", method.into())));
    settings.extend(io_workers.map(|n| setting("io_workers", n.to_string())));
    let (min_wal, max_wal) = match profile {
        Profile::Web | Profile::Mixed => ("1GB", "4GB"),
        Profile::Oltp => ("2GB", "8GB"),
        Profile::Dw => ("4GB", "16GB"),
        Profile::Desktop => ("100MB", "2GB"),
    };
    settings.push(setting("min_wal_size", min_wal.into()));
    settings.push(setting("max_wal_size", max_wal.into()));
    let (mut parallel_workers, mut workers_per_gather) = (DEFAULT_PARALLEL_WORKERS, DEFAULT_WORKERS_PER_GATHER);
    if let Some(n) = parallel {
        let half = n.div_ceil(2);
        settings.push(setting("max_worker_processes", n.to_string()));
        workers_per_gather = if warehouse { half } else { half.min(4) };
        settings.push(setting("max_parallel_workers_per_gather", workers_per_gather.to_string()));
        if version >= 10 {
            parallel_workers = n;
            settings.push(setting("max_parallel_workers", n.to_string()));
        }
        if version >= 11 {
            settings.push(setting("max_parallel_maintenance_workers", half.min(4).to_string()));
        }
    }
    if desktop {
        settings.push(setting("wal_level", "minimal".into()));
        // wal_level = minimal needs max_wal_senders = 0.
        settings.push(setting("max_wal_senders", "0".into()));
    }

    let mut warnings = Vec::new();
    if ram.0 < 256 << 20 {
        warnings.push(Warning::LowMemory);
    } else if ram.0 > 100 << 30 {
        warnings.push(Warning::HighMemory);
    }
    if wal_compression == Some("lz4") {
        warnings.push(Warning::Lz4);
    }
    if io_method == Some("io_uring") {
        warnings.push(Warning::IoUring);
    }
    if warehouse && storage != Storage::Hdd && data_size != DataSize::LessThanRam {
        warnings.push(Warning::WarehouseCost(storage));
    }
    PgTune {
        memory_bytes: ram.0,
        cpus,
        max_connections,
        profile,
        version,
        data_size,
        pgtune_shared_buffers_kb,
        shared_buffers_kb,
        work_mem_kb,
        maintenance_work_mem_kb,
        autovacuum_max_workers: autovacuum_max_workers.unwrap_or(DEFAULT_AUTOVACUUM_WORKERS),
        autovacuum_worker_mem_kb: autovacuum_work_mem.unwrap_or(maintenance_work_mem_kb),
        settings,
        warnings,
        shm_bytes: parallel_hash_shm(work_mem_kb, parallel_workers, workers_per_gather),
    }
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
        tune(Inputs { storage, ..Inputs::linux(ram, cpus, max_connections, Profile::Web, 16) })
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
