//! PGTune as its code runs (le0pard/pgtune at 7caef27): its own test vectors (the Linux cases of
//! `configurationSlice.test.js`, and the worker branch flowcap takes in containers), and its
//! selectors themselves, run by Node.js over a grid of 102,060 inputs (tests/fixtures/pgtune).

use flowcap::analysis::pgtune::{DataSize, Inputs, PgTune, Warning, tune};
use flowcap::model::plan::{Profile, Storage};
use flowcap::model::units::{Bytes, Cpus};
use std::process::Command;

fn inputs() -> Inputs {
    Inputs::linux(Bytes::gib(16), None, 100, Profile::Web, 15)
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
fn random_page_cost_by_storage_data_size_and_warehouse() {
    let cost = |storage, profile, data_size| {
        get(&with(|i| (i.storage, i.profile, i.data_size) = (storage, profile, data_size)), "random_page_cost")
    };
    let mid = DataSize::OneToThreeTimesRam;
    assert_eq!(cost(Storage::Hdd, Profile::Web, mid).as_deref(), Some("4"));
    for storage in [Storage::Ssd, Storage::San, Storage::Nvme] {
        assert_eq!(cost(storage, Profile::Web, mid).as_deref(), Some("1.1"));
    }
    assert_eq!(cost(Storage::Hdd, Profile::Web, DataSize::LessThanRam).as_deref(), Some("1.1"), "fits in RAM");
    assert_eq!(cost(Storage::Ssd, Profile::Dw, mid).as_deref(), Some("4"), "warehouses: no bad index scans");
    assert_eq!(cost(Storage::Ssd, Profile::Dw, DataSize::LessThanRam).as_deref(), Some("1.1"));
    for (storage, concurrency) in
        [(Storage::Hdd, "2"), (Storage::Ssd, "200"), (Storage::San, "300"), (Storage::Nvme, "1000")]
    {
        assert_eq!(get(&with(|i| i.storage = storage), "effective_io_concurrency").as_deref(), Some(concurrency));
    }
}

#[test]
fn parallel_settings() {
    let parallel = |version: u32, cpus: u64, profile: Profile| -> Vec<(String, String)> {
        let tune = with(|i| (i.version, i.cpus, i.profile) = (version, Some(Cpus::whole(cpus)), profile));
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
    let huge = with(|i| (i.ram, i.version) = (Bytes::gib(256), 17));
    assert_eq!(huge.maintenance_work_mem_kb, 8_388_608, "8GB in kB");
    assert_eq!(with(|_| {}).maintenance_work_mem_kb, 1_048_576, "16 GB / 16");
    assert_eq!(get(&with(|i| i.ram = Bytes::gib(4)), "huge_pages").as_deref(), Some("off"));
    assert_eq!(get(&with(|_| {}), "huge_pages").as_deref(), Some("try"));
    let crowded = with(|i| (i.ram, i.max_connections, i.cpus) = (Bytes::gib(4), 9999, Some(Cpus::whole(4))));
    assert_eq!(crowded.work_mem_kb, 4096, "floored at 4MB");
    // PGTune's default connections for a web app (200), 64 GB: the data size scales work_mem.
    let work_mem =
        |data_size| with(|i| (i.ram, i.max_connections, i.data_size) = (Bytes::gib(64), 200, data_size)).work_mem_kb;
    let standard = work_mem(DataSize::OneToThreeTimesRam);
    assert_eq!(work_mem(DataSize::LessThanRam), (standard as f64 * 1.3).floor() as u64);
    assert_eq!(work_mem(DataSize::MoreThanThreeTimesRam), (standard as f64 * 0.9).floor() as u64);
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

#[test]
fn io_method_and_io_workers_on_postgresql_18() {
    let io = |version, cpus: Option<u64>, io_uring| {
        let tune = with(|i| (i.version, i.cpus, i.io_uring) = (version, cpus.map(Cpus::whole), io_uring));
        (get(&tune, "io_method"), get(&tune, "io_workers"))
    };
    assert_eq!(io(17, Some(32), false), (None, None), "before 18");
    assert_eq!(io(18, Some(256), true), (Some("io_uring".into()), None), "Linux: io_uring, no workers");
    // PGTune's worker branch (its Windows and macOS; flowcap's containers): ~25 % of the CPUs,
    // from 3 to 32, and only above PostgreSQL's default of 3.
    let worker = Some("worker".to_string());
    assert_eq!(io(18, None, false), (worker.clone(), None));
    assert_eq!(io(18, Some(8), false), (worker.clone(), None), "8 / 4 = 2: the default");
    assert_eq!(io(18, Some(32), false), (worker.clone(), Some("8".into())));
    assert_eq!(io(18, Some(64), false), (worker.clone(), Some("16".into())));
    assert_eq!(io(18, Some(256), false), (worker, Some("32".into())));
}

#[test]
fn warnings_as_pgtune_gives_them() {
    let warnings = |change: &dyn Fn(&mut Inputs)| {
        let mut inputs = inputs();
        change(&mut inputs);
        tune(inputs).warnings
    };
    let at = |ram, version| move |i: &mut Inputs| (i.ram, i.version) = (ram, version);
    assert_eq!(warnings(&at(Bytes::gib(4), 14)), []);
    assert_eq!(warnings(&at(Bytes::mib(128), 14)), [Warning::LowMemory]);
    assert_eq!(warnings(&at(Bytes::gib(256), 14)), [Warning::HighMemory]);
    // PGTune's lines themselves are not past them: under 256 MB, over 100 GB.
    assert_eq!(warnings(&at(Bytes::mib(256), 14)), []);
    assert_eq!(warnings(&at(Bytes(Bytes::mib(256).0 - 1024), 14)), [Warning::LowMemory]);
    assert_eq!(warnings(&at(Bytes::gib(100), 14)), []);
    assert_eq!(warnings(&at(Bytes(Bytes::gib(100).0 + 1024), 14)), [Warning::HighMemory]);
    assert_eq!(warnings(&at(Bytes::gib(4), 15)), [Warning::Lz4]);
    assert_eq!(warnings(&at(Bytes::gib(4), 18)), [Warning::Lz4, Warning::IoUring]);
    let warehouse = |i: &mut Inputs| {
        (i.ram, i.profile, i.storage, i.data_size) = (Bytes::gib(64), Profile::Dw, Storage::Nvme, DataSize::default())
    };
    assert_eq!(warnings(&warehouse), [Warning::Lz4, Warning::WarehouseCost(Storage::Nvme)]);
    assert!(Warning::WarehouseCost(Storage::Nvme).message().contains("data warehouses on NVMe drives"));
}

#[test]
fn the_data_size_is_read_against_the_memory_pgtune_is_given() {
    let ram = Bytes::gib(16);
    assert_eq!(DataSize::of(None, ram), DataSize::OneToThreeTimesRam, "unknown: PGTune's default");
    assert_eq!(DataSize::of(Some(Bytes(ram.0 - 1)), ram), DataSize::LessThanRam);
    assert_eq!(DataSize::of(Some(ram), ram), DataSize::OneToThreeTimesRam);
    assert_eq!(DataSize::of(Some(Bytes(3 * ram.0)), ram), DataSize::OneToThreeTimesRam);
    assert_eq!(DataSize::of(Some(Bytes(3 * ram.0 + 1)), ram), DataSize::MoreThanThreeTimesRam);
}

#[test]
fn the_operators_shared_buffers_wins_and_what_follows_it_follows() {
    let ram = Bytes::gib(64);
    let own = with(|i| (i.ram, i.cpus, i.shared_buffers) = (ram, Some(Cpus::whole(8)), Some(Bytes::gib(4))));
    assert_eq!(own.pgtune_shared_buffers_kb, 16 << 20, "PGTune's own: a quarter");
    assert_eq!(get(&own, "shared_buffers").as_deref(), Some("4GB"));
    // (67108864 − 4194304) kB / ((100 + 8) × 3): what is left is shared among the connections.
    assert_eq!(own.work_mem_kb, (67_108_864 - 4_194_304) / 324);
    assert_eq!(get(&own, "effective_cache_size").as_deref(), Some("48GB"), "of RAM, not shared_buffers");
    let small = with(|i| i.shared_buffers = Some(Bytes::mib(128)));
    assert_eq!(get(&small, "huge_pages").as_deref(), Some("off"));
    assert_eq!(get(&small, "wal_buffers").as_deref(), Some("3932kB"), "3 % of 128 MiB");
}

/// What PGTune's page shows, for every point of the grid grid.mjs runs: flowcap's port gives
/// the same settings in the same order, and the same warnings.
#[test]
#[cfg_attr(missing = "node", ignore = "needs node")]
fn pgtunes_own_code_agrees_at_every_point_of_the_grid() {
    let grid = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pgtune/grid.mjs");
    let output = Command::new("node").arg(&grid).output().expect("node runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut points = 0;
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let point: serde_json::Value = serde_json::from_str(line).unwrap();
        let unit: u64 = match point["totalMemoryUnit"].as_str().unwrap() {
            "MB" => 1 << 20,
            "GB" => 1 << 30,
            "TB" => 1 << 40,
            other => panic!("unit {other}"),
        };
        let storage = match point["hdType"].as_str().unwrap() {
            "hdd" => Storage::Hdd,
            "ssd" => Storage::Ssd,
            "san" => Storage::San,
            _ => Storage::Nvme,
        };
        let profile = serde_json::from_value(point["dbType"].clone()).unwrap();
        let inputs = Inputs {
            storage,
            data_size: match point["dbSize"].as_str().unwrap() {
                "less_ram" => DataSize::LessThanRam,
                "mid_ram" => DataSize::OneToThreeTimesRam,
                _ => DataSize::MoreThanThreeTimesRam,
            },
            ..Inputs::linux(
                Bytes(point["totalMemory"].as_u64().unwrap() * unit),
                point["cpuNum"].as_u64().map(Cpus::whole),
                point["connectionNum"].as_u64().unwrap() as u32,
                profile,
                point["dbVersion"].as_u64().unwrap() as u32,
            )
        };
        let ours = tune(inputs);
        let settings: Vec<(String, String)> =
            ours.settings.iter().map(|s| (s.name.to_string(), s.value.clone())).collect();
        let theirs: Vec<(String, String)> = serde_json::from_value(point["settings"].clone()).unwrap();
        assert_eq!(settings, theirs, "{line}");
        let text = point["warnings"].to_string();
        let expected: Vec<Warning> = [
            (text.contains("low memory"), Warning::LowMemory),
            (text.contains("very high memory"), Warning::HighMemory),
            (text.contains("--with-lz4"), Warning::Lz4),
            (text.contains("--with-liburing"), Warning::IoUring),
            (text.contains("Data Warehouses"), Warning::WarehouseCost(storage)),
        ]
        .into_iter()
        .filter_map(|(said, warning)| said.then_some(warning))
        .collect();
        assert_eq!(ours.warnings, expected, "{line}");
        points += 1;
    }
    assert_eq!(points, 102_060);
}
