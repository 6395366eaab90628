//! Every formula against figures computed by hand.

use flowcap::analysis::figures::analyze;
use flowcap::model::load::parse_plan;
use flowcap::model::plan::Plan;
use flowcap::model::presets::load_preset;

fn preset(key: &str) -> Plan {
    load_preset(key).unwrap().plan
}

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

#[test]
fn medium_preset_figures() {
    let a = analyze(&preset("medium"));
    // 4 runtime replicas × 10 slots.
    assert_eq!(a.concurrent_executions, 40);
    // 8 GiB ÷ 10 slots; 4 CPUs ÷ 10 slots.
    assert_eq!(a.per_slot.memory_bytes, Some(8 * GIB / 10));
    assert_eq!(a.per_slot.cpus, Some(0.4));

    let c = &a.connections;
    // api 2 × 10 = 20, exporter 3 (monitoring on), db-init 3, admin 2.
    let clients: Vec<(&str, u64)> = c.clients.iter().map(|c| (c.name, c.connections)).collect();
    assert_eq!(clients, [("api", 20), ("exporter", 3), ("db-init", 3), ("admin", 2)]);
    assert_eq!(c.used, 28);
    assert_eq!(c.max_connections, 100);
    assert_eq!(c.reserved, 3);
    assert_eq!(c.usable, 97);
    assert_eq!(c.headroom, 69);
    // 28 / 97 = 0.28866 → 0.2887.
    assert_eq!(c.share, 0.2887);
    // floor(97 × 0.8) = 77.
    assert_eq!(c.warning_line, 77);
    // ceil(28 / 0.8) = 35 usable, + 3 reserved.
    assert_eq!(c.required_max_connections, 38);

    let h = a.host.expect("medium has a host");
    // api 2 × 2 + runtime 4 × 4 + postgres 4 + redis 1 + web 0.5 + sink-services 0.5 = 26.
    assert_eq!(h.cpu_limits, 26.0);
    assert_eq!(h.cpu_limits_share, 0.8125);
    // 2 × 0.5 + 4 × 1 + 1 = 6.
    assert_eq!(h.cpu_reservations, 6.0);
    // 2 × 2G + 4 × 8G + 8G + 1G + 256M + 256M = 45.5 GiB.
    assert_eq!(h.memory_limits_bytes, 45 * GIB + GIB / 2);
    // 2 × 512M + 4 × 2G + 2G = 11 GiB.
    assert_eq!(h.memory_reservations_bytes, 11 * GIB);
    assert!(h.unlimited.is_empty());

    let pg = &a.postgres;
    assert_eq!(pg.shared_buffers_bytes, 2 * GIB);
    assert_eq!(pg.memory_limit_bytes, Some(8 * GIB));
    assert_eq!(pg.shared_buffers_share, Some(0.25));
    // 2 GiB + 28 × 10 MiB.
    assert_eq!(pg.estimated_bytes, 2 * GIB + 280 * MIB);
    let tune = pg.pgtune.as_ref().expect("PGTune for a known container");
    assert_eq!((tune.memory_bytes, tune.cpus, tune.max_connections), (8 * GIB, Some(4), 100));
    assert_eq!(tune.get("shared_buffers"), Some("2GB"));
}

#[test]
fn every_preset_has_the_scaling_page_shape() {
    // (preset, API replicas, runtime replicas, runtime CPUs, runtime memory GiB, slots)
    let table = [
        ("development", 1, 1, 2.0, 4, 10),
        ("small-team", 1, 2, 4.0, 8, 20),
        ("medium", 2, 4, 4.0, 8, 40),
        ("large", 3, 6, 8.0, 16, 120),
    ];
    for (key, api, runtimes, cpus, memory, slots) in table {
        let plan = preset(key);
        assert_eq!(plan.api.replicas, api, "{key}");
        assert_eq!(plan.runtime.replicas, runtimes, "{key}");
        assert_eq!(plan.runtime.limits.cpus.unwrap().as_f64(), cpus, "{key}");
        assert_eq!(plan.runtime.limits.memory.unwrap().0, memory * GIB, "{key}");
        assert_eq!(analyze(&plan).concurrent_executions, slots, "{key}");
    }
}

#[test]
fn defaults_follow_flow_like_and_postgres() {
    // One key, the name: everything else is a default.
    let plan = parse_plan("defaults.yaml", "name: defaults\n").unwrap().plan;
    assert_eq!(plan.api.db_pool, 10);
    assert_eq!(plan.runtime.max_concurrent_executions, 10);
    assert_eq!(plan.postgres.max_connections, 100);
    assert_eq!(plan.postgres.superuser_reserved_connections, 3);
    assert_eq!(plan.postgres.reserved_connections, 0);
    // Unset: the server runs PostgreSQL's default.
    assert_eq!(plan.postgres.shared_buffers, None);
    assert_eq!(analyze(&plan).postgres.shared_buffers_bytes, 128 * MIB);
    assert_eq!(plan.policy.connection_warning_percent, 80);
    let a = analyze(&plan);
    // 1 × 10 + db-init 3 + admin 2; no exporter without monitoring.
    assert_eq!(a.connections.used, 15);
    assert_eq!(a.connections.usable, 97);
    assert!(a.host.is_none());
    assert_eq!(a.per_slot.memory_bytes, None);
    // No memory limit and no host: nothing to size PGTune by.
    assert!(a.postgres.pgtune.is_none());
}

#[test]
fn external_postgres_is_not_a_container_but_its_budget_counts() {
    let text = "postgres:\n  external: true\n  max_connections: 50\n  limits: { cpus: 4, memory: 8G }\nhost: { cpus: 8, memory: 16G }\n";
    let plan = parse_plan("p.yaml", text).unwrap().plan;
    let a = analyze(&plan);
    assert_eq!(a.connections.usable, 47);
    let host = a.host.unwrap();
    assert_eq!(host.cpu_limits, 0.0, "the managed database is not on this host");
    assert_eq!(host.unlimited, ["api", "runtime"]);
}

#[test]
fn a_service_at_no_replicas_takes_no_room_on_the_host() {
    let text = "api: { limits: { cpus: 1, memory: 1G } }\nruntime: { limits: { cpus: 2, memory: 4G } }\n\
                postgres: { limits: { cpus: 1, memory: 2G } }\nhost: { cpus: 8, memory: 16G }\n\
                other_services:\n  worker: { replicas: 0, limits: { cpus: 4, memory: 8G } }\n  idle: { replicas: 0 }\n";
    let plan = parse_plan("p.yaml", text).unwrap().plan;
    let host = analyze(&plan).host.unwrap();
    assert_eq!((host.cpu_limits, host.memory_limits_bytes), (4.0, 7 << 30), "api + runtime + postgres only");
    assert!(host.unlimited.is_empty(), "a service not running has no limit to lack: {:?}", host.unlimited);
}

#[test]
fn reserved_connections_reduce_usable_slots() {
    let text = "postgres:\n  max_connections: 200\n  superuser_reserved_connections: 5\n  reserved_connections: 10\n";
    let a = analyze(&parse_plan("p.yaml", text).unwrap().plan);
    assert_eq!(a.connections.usable, 185);
    assert_eq!(a.connections.reserved, 15);
}

#[test]
fn absurd_sizes_saturate_instead_of_overflowing() {
    let mut text = String::from(
        "runtime:\n  replicas: 1000\n  max_concurrent_executions: 100\n  limits: { cpus: 100000, memory: 1p }\nother_services:\n",
    );
    for i in 0..20 {
        text.push_str(&format!("  s{i}: {{ replicas: 10000, limits: {{ cpus: 100000, memory: 1p }} }}\n"));
    }
    text.push_str("host: { cpus: 1, memory: 1G }\n");
    let a = analyze(&parse_plan("p.yaml", &text).unwrap().plan);
    let host = a.host.unwrap();
    assert_eq!(host.memory_limits_bytes, u64::MAX);
    assert!(host.cpu_limits_share > 1e9);
    assert_eq!(a.concurrent_executions, 100_000);
}

#[test]
fn runtimes_that_hold_a_pool_count_in_the_budget() {
    let mut plan = flowcap::model::presets::load_preset("medium").unwrap().plan;
    let before = flowcap::analysis::figures::analyze(&plan).connections;
    assert!(before.clients.iter().all(|c| c.name != "runtime"), "Flow-Like's runtime holds none");
    plan.runtime.db_pool = 5;
    let after = flowcap::analysis::figures::analyze(&plan).connections;
    let runtime = after.clients.iter().find(|c| c.name == "runtime").unwrap();
    assert_eq!((runtime.connections, runtime.detail.as_str()), (20, "4 × 5"));
    assert_eq!(after.used, before.used + 20);
}
