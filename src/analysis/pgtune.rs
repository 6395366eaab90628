//! PGTune's "web application" profile (le0pard/pgtune, `configurationSlice.js`), for Linux and
//! PostgreSQL 16. All sizes are computed in kB and rounded down, as PGTune does.

use crate::model::plan::Storage;
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
    /// `postgresql.conf` settings in PGTune's order and units.
    pub settings: Vec<Setting>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Setting {
    pub name: &'static str,
    pub value: String,
}

/// Settings for a web workload on `ram` of memory, `cpus` CPUs (whole CPUs, rounded down; `None`
/// when unknown) and `max_connections`.
pub fn web_profile(ram: Bytes, cpus: Option<Cpus>, max_connections: u32, storage: Storage) -> PgTune {
    let ram_kb = ram.0 / 1024;
    let cpus = cpus.map(|c| (c.0 / 1000).max(1));
    let shared_buffers = ram_kb / 4;
    let effective_cache_size = ram_kb * 3 / 4;
    let maintenance_work_mem = (ram_kb / 16).min(8 * GB);
    let wal_buffers = match shared_buffers * 3 / 100 {
        kb if kb > 14 * MB => 16 * MB,
        kb => kb.max(32),
    };
    let parallel = cpus.filter(|&n| n >= 4);
    // Without parallel settings PostgreSQL keeps max_worker_processes at its default, 8.
    let workers = parallel.unwrap_or(8);
    let work_mem = ((ram_kb - shared_buffers) / ((u64::from(max_connections) + workers) * 3)).max(4 * MB);

    let mut settings = vec![
        setting("max_connections", max_connections.to_string()),
        setting("shared_buffers", postgres_size(shared_buffers)),
        setting("effective_cache_size", postgres_size(effective_cache_size)),
        setting("maintenance_work_mem", postgres_size(maintenance_work_mem)),
        setting("checkpoint_completion_target", "0.9".into()),
        setting("wal_buffers", postgres_size(wal_buffers)),
        setting("default_statistics_target", "100".into()),
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
        setting("min_wal_size", "1GB".into()),
        setting("max_wal_size", "4GB".into()),
    ];
    if let Some(n) = parallel {
        let half = n.div_ceil(2);
        settings.push(setting("max_worker_processes", n.to_string()));
        settings.push(setting("max_parallel_workers_per_gather", half.min(4).to_string()));
        settings.push(setting("max_parallel_workers", n.to_string()));
        settings.push(setting("max_parallel_maintenance_workers", half.min(4).to_string()));
    }
    PgTune { memory_bytes: ram.0, cpus, max_connections, settings }
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

    #[test]
    fn eight_gib_four_cpus_hundred_connections() {
        let tune = web_profile(Bytes::gib(8), Some(Cpus::whole(4)), 100, Storage::Ssd);
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
        let tune = web_profile(Bytes::gib(1), Some(Cpus(1500)), 100, Storage::Hdd);
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
    fn many_cpus_cap_gather_workers_and_big_ram_caps_maintenance() {
        let tune = web_profile(Bytes::gib(256), Some(Cpus::whole(32)), 200, Storage::Nvme);
        assert_eq!(tune.get("max_parallel_workers_per_gather"), Some("4"));
        assert_eq!(tune.get("max_parallel_maintenance_workers"), Some("4"));
        assert_eq!(tune.get("maintenance_work_mem"), Some("8GB"));
        assert_eq!(tune.get("effective_io_concurrency"), Some("1000"));
    }
}
