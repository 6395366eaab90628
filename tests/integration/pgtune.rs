//! PGTune's own test vectors (le0pard/pgtune, `configurationSlice.test.js`, the Linux cases):
//! flowcap's PGTune must give what PGTune's tests say PGTune gives.

use flowcap::analysis::pgtune::{Inputs, PgTune, tune};
use flowcap::model::plan::{Profile, Storage};
use flowcap::model::units::{Bytes, Cpus};

fn inputs() -> Inputs {
    Inputs {
        ram: Bytes::gib(16),
        cpus: None,
        max_connections: 100,
        storage: Storage::Ssd,
        profile: Profile::Web,
        version: 15,
    }
}

fn with(change: impl FnOnce(&mut Inputs)) -> PgTune {
    let mut inputs = inputs();
    change(&mut inputs);
    tune(inputs)
}

fn get(tune: &PgTune, name: &str) -> Option<String> {
    tune.get(name).map(str::to_string)
}

#[test]
fn default_statistics_target_by_database_type() {
    for (profile, expected) in [
        (Profile::Web, "100"),
        (Profile::Oltp, "100"),
        (Profile::Dw, "500"),
        (Profile::Desktop, "100"),
        (Profile::Mixed, "100"),
    ] {
        assert_eq!(get(&with(|i| i.profile = profile), "default_statistics_target").as_deref(), Some(expected));
    }
}

#[test]
fn random_page_cost_and_effective_io_concurrency_by_storage() {
    for (storage, cost, concurrency) in [
        (Storage::Hdd, "4", "200"),
        (Storage::Ssd, "1.1", "200"),
        (Storage::San, "1.1", "300"),
        (Storage::Nvme, "1.1", "1000"),
    ] {
        let tune = with(|i| i.storage = storage);
        assert_eq!(get(&tune, "random_page_cost").as_deref(), Some(cost));
        let expected = if storage == Storage::Hdd { "2" } else { concurrency };
        assert_eq!(get(&tune, "effective_io_concurrency").as_deref(), Some(expected));
    }
}

#[test]
fn parallel_settings() {
    let parallel = |version: u32, cpus: u64, profile: Profile| -> Vec<(String, String)> {
        let tune = with(|i| {
            i.version = version;
            i.cpus = Some(Cpus::whole(cpus));
            i.profile = profile;
        });
        tune.settings
            .iter()
            .filter(|s| s.name.starts_with("max_worker") || s.name.starts_with("max_parallel"))
            .map(|s| (s.name.to_string(), s.value.clone()))
            .collect()
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    assert_eq!(parallel(14, 1, Profile::Web), pairs(&[]), "less than 2 CPUs");
    assert_eq!(
        parallel(13, 12, Profile::Web),
        pairs(&[
            ("max_worker_processes", "12"),
            ("max_parallel_workers_per_gather", "4"),
            ("max_parallel_workers", "12"),
            ("max_parallel_maintenance_workers", "4"),
        ])
    );
    assert_eq!(
        parallel(10, 12, Profile::Web),
        pairs(&[
            ("max_worker_processes", "12"),
            ("max_parallel_workers_per_gather", "4"),
            ("max_parallel_workers", "12")
        ])
    );
    assert_eq!(
        parallel(10, 31, Profile::Web),
        pairs(&[
            ("max_worker_processes", "31"),
            ("max_parallel_workers_per_gather", "4"),
            ("max_parallel_workers", "31")
        ])
    );
    assert_eq!(
        parallel(12, 31, Profile::Dw),
        pairs(&[
            ("max_worker_processes", "31"),
            ("max_parallel_workers_per_gather", "16"),
            ("max_parallel_workers", "31"),
            ("max_parallel_maintenance_workers", "4"),
        ])
    );
}

#[test]
fn wal_level_only_for_desktops() {
    let desktop = with(|i| i.profile = Profile::Desktop);
    assert_eq!(get(&desktop, "wal_level").as_deref(), Some("minimal"));
    assert_eq!(get(&desktop, "max_wal_senders").as_deref(), Some("0"));
    assert_eq!(get(&with(|_| {}), "wal_level"), None);
}

#[test]
fn maintenance_work_mem_huge_pages_and_work_mem() {
    let huge = with(|i| {
        i.ram = Bytes::gib(256);
        i.version = 17;
    });
    assert_eq!(get(&huge, "maintenance_work_mem").as_deref(), Some("8GB"));
    assert_eq!(get(&with(|_| {}), "maintenance_work_mem").as_deref(), Some("1GB"), "16 GB / 16");
    assert_eq!(get(&with(|i| i.ram = Bytes::gib(4)), "huge_pages").as_deref(), Some("off"));
    assert_eq!(get(&with(|_| {}), "huge_pages").as_deref(), Some("try"));
    let crowded = with(|i| {
        i.ram = Bytes::gib(4);
        i.max_connections = 9999;
        i.cpus = Some(Cpus::whole(4));
    });
    assert_eq!(get(&crowded, "work_mem").as_deref(), Some("4MB"), "floored at 4MB");
}

#[test]
fn jit_wal_compression_and_autovacuum() {
    let jit = |version, profile| get(&with(|i| (i.version, i.profile) = (version, profile)), "jit");
    assert_eq!(jit(12, Profile::Web).as_deref(), Some("off"));
    assert_eq!(jit(15, Profile::Oltp).as_deref(), Some("off"));
    assert_eq!(jit(15, Profile::Dw), None);
    assert_eq!(jit(11, Profile::Web), None);
    let compression = |version| get(&with(|i| i.version = version), "wal_compression");
    assert_eq!(compression(10).as_deref(), Some("on"));
    assert_eq!(compression(14).as_deref(), Some("on"));
    assert_eq!(compression(15).as_deref(), Some("lz4"));
    assert_eq!(compression(17).as_deref(), Some("lz4"));
    let workers = |cpus| get(&with(|i| i.cpus = Some(Cpus::whole(cpus))), "autovacuum_max_workers");
    assert_eq!(workers(32).as_deref(), Some("5"));
    assert_eq!(workers(16).as_deref(), Some("4"));
    assert_eq!(workers(8), None, "PostgreSQL's default, 3");
    assert_eq!(get(&with(|i| i.ram = Bytes::gib(4)), "autovacuum_work_mem"), None);
    assert_eq!(get(&with(|i| i.ram = Bytes::gib(256)), "autovacuum_work_mem").as_deref(), Some("2GB"));
}
