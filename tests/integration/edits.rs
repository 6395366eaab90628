//! Plan edits are data: each sets one typed value at its place in the plan, is written as the
//! plan file's path and value, and says what the plan lacks when it has no place for it.

use flowcap::model::edit::{Block, PlanEdit};
use flowcap::model::presets::load_preset;
use flowcap::model::service::ServiceKey;
use flowcap::model::units::{Bytes, Cpus};

#[test]
fn service_keys_read_and_write_as_the_plan_spells_them() {
    for key in ["api", "runtime", "postgres", "jobs", "other_services.redis"] {
        assert_eq!(ServiceKey::parse(key).unwrap().to_string(), key);
    }
    assert_eq!(ServiceKey::parse("other_services.redis"), Some(ServiceKey::other("redis")));
    assert_eq!(ServiceKey::parse("redis"), None, "another service is under other_services");
}

#[test]
fn an_edit_is_written_as_its_path_and_value() {
    let cases = [
        (PlanEdit::RuntimeReplicas(4), r#"{"path":"runtime.replicas","value":4}"#),
        (PlanEdit::HostCpus(Cpus(1500)), r#"{"path":"host.cpus","value":1.5}"#),
        (
            PlanEdit::Memory(ServiceKey::other("redis"), Block::Reservations, Bytes::mib(512)),
            r#"{"path":"other_services.redis.reservations.memory","value":"512M"}"#,
        ),
        (PlanEdit::PoolMaxNodes(0, 7), r#"{"path":"cluster.node_pools.0.max_nodes","value":7}"#),
        (PlanEdit::SharedJwtKeys(true), r#"{"path":"api.shared_jwt_keys","value":true}"#),
    ];
    for (edit, json) in cases {
        assert_eq!(serde_json::to_string(&edit).unwrap(), json);
    }
}

#[test]
fn an_edit_sets_its_value_or_says_what_the_plan_lacks() {
    let mut plan = load_preset("medium").unwrap().plan;
    PlanEdit::Cpus(ServiceKey::Postgres, Block::Limits, Cpus::whole(3)).apply(&mut plan).unwrap();
    assert_eq!(plan.postgres.limits.cpus, Some(Cpus::whole(3)));
    PlanEdit::MaxConcurrentExecutions(12).apply(&mut plan).unwrap();
    assert_eq!(plan.runtime.max_concurrent_executions, 12);

    plan.host = None;
    let lacking = PlanEdit::HostMemory(Bytes::gib(8)).apply(&mut plan).unwrap_err();
    assert_eq!(lacking.to_string(), "the plan has no host.memory to set");
    let unknown = PlanEdit::Memory(ServiceKey::other("nope"), Block::Limits, Bytes::gib(1));
    assert_eq!(unknown.apply(&mut plan).unwrap_err().path, "other_services.nope.limits.memory");
    assert!(PlanEdit::ApiAutoscalingMax(5).apply(&mut plan).is_err(), "Medium has no autoscaler");
    // A count past what a plan holds is refused, not wrapped.
    assert!(PlanEdit::RuntimeReplicas(u64::from(u32::MAX) + 1).apply(&mut plan).is_err());
    assert_eq!(plan.runtime.replicas, load_preset("medium").unwrap().plan.runtime.replicas);
}
