//! Every rule firing and not firing at its boundary.

use flowcap::analysis::figures::analyze;
use flowcap::analysis::rules::{Finding, RULES, RuleId, Severity, evaluate};
use flowcap::model::edit::{Block, PlanEdit};
use flowcap::model::plan::Plan;
use flowcap::model::presets::load_preset;
use flowcap::model::service::ServiceKey;
use flowcap::model::units::{Bytes, Cpus};

fn medium() -> Plan {
    load_preset("medium").unwrap().plan
}

fn findings(plan: &Plan) -> Vec<Finding> {
    evaluate(plan, &analyze(plan))
}

fn fired(plan: &Plan, rule: RuleId) -> Vec<Finding> {
    findings(plan).into_iter().filter(|f| f.rule == rule).collect()
}

fn one(plan: &Plan, rule: RuleId) -> Finding {
    let mut found = fired(plan, rule);
    assert_eq!(found.len(), 1, "{rule}: {:?}", findings(plan));
    found.remove(0)
}

#[test]
fn presets_pass_their_own_check() {
    for key in ["development", "small-team", "medium", "large"] {
        let plan = load_preset(key).unwrap().plan;
        assert_eq!(findings(&plan), [], "{key}");
    }
}

#[test]
fn connections_near_limit_past_the_warning_line() {
    let mut plan = medium();
    // 20 + 3 + 3 + 51 = 77 = floor(97 × 80 %): on the line, not past it.
    plan.postgres_clients.admin = 51;
    assert!(fired(&plan, RuleId::ConnectionsNearLimit).is_empty());
    plan.postgres_clients.admin = 52;
    let f = one(&plan, RuleId::ConnectionsNearLimit);
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.path, "postgres.max_connections");
    assert_eq!(
        f.message,
        "clients can open 78 connections; max_connections 100 leaves 97 usable (3 reserved): 80.4 % in use, past the 80 % warning line"
    );
    // ceil(78 / 0.8) = 98 usable + 3 reserved; or a pool of (77 − 58) / 2 = 9: 2 × 9 + 58 = 76.
    assert_eq!(f.fix.as_deref(), Some("raise postgres.max_connections to at least 101, or lower api.db_pool to 9"));
}

#[test]
fn connection_fix_offers_a_smaller_pool_when_one_fits() {
    let mut plan = medium();
    plan.api.replicas = 8;
    // 8 × 10 + 8 = 88 > 77. Pool: (77 − 8) / 8 = 8 → 8 × 8 + 8 = 72.
    let f = one(&plan, RuleId::ConnectionsNearLimit);
    assert_eq!(f.fix.as_deref(), Some("raise postgres.max_connections to at least 113, or lower api.db_pool to 8"));
    // The fix is right: 113 gives usable 110, line 88 = used.
    plan.postgres.max_connections = 113;
    assert!(fired(&plan, RuleId::ConnectionsNearLimit).is_empty());
    plan.postgres.max_connections = 112;
    assert_eq!(fired(&plan, RuleId::ConnectionsNearLimit).len(), 1);
    plan.postgres.max_connections = 100;
    plan.api.db_pool = 8;
    assert!(fired(&plan, RuleId::ConnectionsNearLimit).is_empty());
}

#[test]
fn connections_exhausted_past_usable_slots() {
    let mut plan = medium();
    // 20 + 3 + 3 + 71 = 97 = usable: full, not exhausted.
    plan.postgres_clients.admin = 71;
    assert!(fired(&plan, RuleId::ConnectionsExhausted).is_empty());
    assert_eq!(fired(&plan, RuleId::ConnectionsNearLimit).len(), 1);
    plan.postgres_clients.admin = 72;
    let f = one(&plan, RuleId::ConnectionsExhausted);
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.starts_with("clients can open 98 connections; max_connections 100 leaves 97 usable"));
    assert!(fired(&plan, RuleId::ConnectionsNearLimit).is_empty(), "one finding per budget");
}

#[test]
fn host_cpu_overcommit_past_the_host() {
    let mut plan = medium();
    plan.host.as_mut().unwrap().cpus = Cpus::whole(26);
    assert!(fired(&plan, RuleId::HostCpuOvercommit).is_empty());
    plan.host.as_mut().unwrap().cpus = Cpus(25_999);
    let f = one(&plan, RuleId::HostCpuOvercommit);
    assert_eq!(f.message, "CPU limits add up to 26 of 25.999 host CPUs (100 %)");
    assert_eq!(f.fix.as_deref(), Some("raise host.cpus to 26, or lower the CPU limits by 0.001"));
    // The policy can allow overcommit: 150 % of 20 = 30 ≥ 26.
    plan.host.as_mut().unwrap().cpus = Cpus::whole(20);
    plan.policy.cpu_overcommit_percent = 150;
    assert!(fired(&plan, RuleId::HostCpuOvercommit).is_empty());
}

#[test]
fn host_memory_overcommit_past_the_host() {
    let mut plan = medium();
    let limits = 45 * (1u64 << 30) + (1 << 29);
    plan.host.as_mut().unwrap().memory = Bytes(limits);
    assert!(fired(&plan, RuleId::HostMemoryOvercommit).is_empty());
    plan.host.as_mut().unwrap().memory = Bytes(limits - 1);
    let f = one(&plan, RuleId::HostMemoryOvercommit);
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.fix.as_deref().unwrap().starts_with("raise host.memory to 45.5 GiB"), "{f:?}");
}

#[test]
fn reservations_exceed_host_cpu_and_memory() {
    let mut plan = medium();
    // Reservations: 6 CPUs, 11 GiB.
    plan.host = Some(flowcap::model::plan::Host { cpus: Cpus::whole(6), memory: Bytes::gib(11) });
    assert!(fired(&plan, RuleId::ReservationsExceedHost).is_empty());
    plan.host = Some(flowcap::model::plan::Host { cpus: Cpus(5_999), memory: Bytes(11 * (1 << 30) - 1) });
    let found = fired(&plan, RuleId::ReservationsExceedHost);
    let paths: Vec<&str> = found.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["host.cpus", "host.memory"]);
    assert!(found.iter().all(|f| f.severity == Severity::Error));
}

#[test]
fn memory_per_slot_below_policy() {
    let mut plan = medium();
    // 8 GiB ÷ 32 = 256 MiB: exactly the minimum.
    plan.runtime.max_concurrent_executions = 32;
    assert!(fired(&plan, RuleId::MemoryPerSlotLow).is_empty());
    plan.runtime.max_concurrent_executions = 33;
    let f = one(&plan, RuleId::MemoryPerSlotLow);
    assert_eq!(f.message, "8 GiB ÷ 33 slots = 248.2 MiB per execution, below 256 MiB");
    assert_eq!(
        f.fix.as_deref(),
        Some(
            "raise runtime.limits.memory to 8.2 GiB, or lower runtime.max_concurrent_executions to 32 and add runtime replicas"
        )
    );
}

#[test]
fn shared_buffers_against_the_postgres_limit() {
    let mut plan = medium();
    plan.postgres.limits.memory = Some(Bytes::gib(10));
    // 40 % of 10 GiB = 4 GiB: on the line.
    plan.postgres.shared_buffers = Some(Bytes::gib(4));
    assert!(fired(&plan, RuleId::SharedBuffersHigh).is_empty());
    plan.postgres.shared_buffers = Some(Bytes(4 * (1 << 30) + 1));
    assert_eq!(
        one(&plan, RuleId::SharedBuffersHigh).fix.as_deref(),
        Some("lower postgres.shared_buffers to 2.5 GiB (25 % of the limit)")
    );
    // Equal to the limit: high, not larger.
    plan.postgres.shared_buffers = Some(Bytes::gib(10));
    assert!(fired(&plan, RuleId::SharedBuffersExceedMemory).is_empty());
    plan.postgres.shared_buffers = Some(Bytes(10 * (1 << 30) + 1));
    let f = one(&plan, RuleId::SharedBuffersExceedMemory);
    assert_eq!(f.severity, Severity::Error);
    assert!(fired(&plan, RuleId::SharedBuffersHigh).is_empty(), "the error supersedes the warning");
}

#[test]
fn postgres_memory_tight_counts_connections() {
    let mut plan = medium();
    // 2 GiB + 28 × 10 MiB = 2328 MiB.
    plan.postgres.limits.memory = Some(Bytes::mib(2328));
    assert!(fired(&plan, RuleId::PostgresMemoryTight).is_empty());
    plan.postgres.limits.memory = Some(Bytes::mib(2327));
    let f = one(&plan, RuleId::PostgresMemoryTight);
    // To the worst case, not the estimate (that would only trade this for the worst-case
    // warning): 2328 MiB + 28 × work_mem 4 MiB + 3 × 64 MiB + 96 MiB of /dev/shm = 2728 MiB.
    assert_eq!(
        f.fix.as_deref(),
        Some(
            "raise postgres.limits.memory to 2.7 GiB, or lower postgres.shared_buffers or the connections (api.db_pool), or use a bigger host"
        )
    );
    assert_eq!(f.changes, vec![PlanEdit::Memory(ServiceKey::Postgres, Block::Limits, Bytes::mib(2728))]);
}

#[test]
fn a_raise_the_host_cannot_hold_is_not_offered() {
    let mut plan = medium();
    plan.postgres.limits.memory = Some(Bytes::mib(2327));
    // Exactly the memory limits the plan has: 401 MiB more for Postgres overcommits it.
    let limits = analyze(&plan).host.unwrap().memory_limits_bytes;
    plan.host.as_mut().unwrap().memory = Bytes(limits);
    let f = one(&plan, RuleId::PostgresMemoryTight);
    assert!(f.changes.is_empty(), "{:?}", f.changes);
    let fix = f.fix.unwrap();
    assert!(
        fix.starts_with("postgres.limits.memory 2.7 GiB would not fit this host (memory limits add up to"),
        "{fix}"
    );
    assert!(
        fix.ends_with("): lower postgres.shared_buffers or the connections (api.db_pool), or use a bigger host"),
        "{fix}"
    );
}

#[test]
fn no_execution_slots() {
    let mut plan = medium();
    plan.runtime.replicas = 0;
    let f = one(&plan, RuleId::NoExecutionSlots);
    assert_eq!(f.path, "runtime.replicas");
    assert_eq!(f.severity, Severity::Error);
    plan.runtime.replicas = 1;
    plan.runtime.max_concurrent_executions = 0;
    assert_eq!(one(&plan, RuleId::NoExecutionSlots).path, "runtime.max_concurrent_executions");
    plan.runtime.max_concurrent_executions = 1;
    assert!(fired(&plan, RuleId::NoExecutionSlots).is_empty());
}

#[test]
fn jwt_keys_only_when_known_unshared_and_scaled() {
    let mut plan = medium();
    plan.api.shared_jwt_keys = Some(false);
    assert_eq!(one(&plan, RuleId::JwtKeysNotShared).severity, Severity::Error);
    plan.api.replicas = 1;
    assert!(fired(&plan, RuleId::JwtKeysNotShared).is_empty());
    plan.api.replicas = 2;
    plan.api.shared_jwt_keys = None;
    assert!(fired(&plan, RuleId::JwtKeysNotShared).is_empty());
}

#[test]
fn host_unknown_and_limits_missing_are_info() {
    let mut plan = medium();
    plan.host = None;
    let f = one(&plan, RuleId::HostUnknown);
    assert_eq!(f.severity, Severity::Info);
    assert!(f.fix.as_deref().unwrap().contains("--host-cpus and --host-memory"));
    assert!(fired(&plan, RuleId::HostCpuOvercommit).is_empty());

    let mut plan = medium();
    plan.api.limits.memory = None;
    let f = one(&plan, RuleId::LimitsMissing);
    assert_eq!(f.message, "no CPU or memory limit on: api; host fit counts only limits");
    assert_eq!(f.path, "api.limits");
}

#[test]
fn findings_are_ordered_most_severe_first() {
    let mut plan = medium();
    plan.host = None;
    plan.runtime.replicas = 0;
    plan.postgres_clients.admin = 60;
    let order: Vec<(Severity, &str)> = findings(&plan).iter().map(|f| (f.severity, f.rule.as_str())).collect();
    assert_eq!(
        order,
        [
            (Severity::Error, RuleId::NoExecutionSlots.as_str()),
            (Severity::Warning, RuleId::ConnectionsNearLimit.as_str()),
            (Severity::Info, RuleId::HostUnknown.as_str()),
        ]
    );
}

#[test]
fn every_rule_id_is_unique_kebab_case() {
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.id.as_str()).collect();
    assert!(ids.iter().all(|id| id.chars().all(|c| c.is_ascii_lowercase() || c == '-')));
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), RULES.len());
}

#[test]
fn workload_unstable_at_load_equal_to_slots() {
    use flowcap::model::plan::Workload;
    use flowcap::model::units::Seconds;
    let mut plan = medium();
    // 80/min × 30 s = 40 Erlangs on 40 slots: unstable; 78/min = 39 Erlangs: stable.
    plan.workload = Some(Workload::queued(80.0, Seconds(30.0)));
    let f = one(&plan, RuleId::WorkloadUnstable);
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        f.message,
        "offered load 40 Erlangs (80/min × 30 s) on 40 slots: queued executions wait without bound (needs at least 41 slots)"
    );
    assert_workload_fix_is_true(&plan, RuleId::WorkloadUnstable);
    plan.workload.as_mut().unwrap().queued.as_mut().unwrap().arrivals_per_minute = 78.0;
    assert!(fired(&plan, RuleId::WorkloadUnstable).is_empty());
}

#[test]
fn workload_target_missed_and_met() {
    use flowcap::model::plan::{Target, Workload};
    use flowcap::model::units::Seconds;
    let mut plan = medium();
    // 10 Erlangs on 12 slots (3 × 4): 44.94 % wait.
    plan.runtime.replicas = 3;
    plan.runtime.max_concurrent_executions = 4;
    plan.workload = Some(Workload {
        target: Some(Target { p95_wait: None, wait_probability_percent: Some(45.0) }),
        ..Workload::queued(600.0, Seconds(1.0))
    });
    assert!(fired(&plan, RuleId::WorkloadTargetMissed).is_empty());
    plan.workload.as_mut().unwrap().target = Some(Target { p95_wait: None, wait_probability_percent: Some(44.9) });
    let f = one(&plan, RuleId::WorkloadTargetMissed);
    assert!(f.message.contains("44.9 % of executions wait, missing the target (P(wait) ≤ 44.9 %)"), "{}", f.message);
    assert_workload_fix_is_true(&plan, RuleId::WorkloadTargetMissed);
}

/// The report's fix for a workload finding is solve's smallest change: applied, it removes the
/// finding and brings no new error or warning (no host overcommitted to meet the workload).
fn assert_workload_fix_is_true(plan: &Plan, rule: RuleId) {
    use flowcap::analysis::solve::{Outcome, solve};
    let loaded = crate::common::loaded(plan.clone(), "plan.yaml");
    let report = flowcap::report::Report::new(&loaded, Severity::Error);
    let finding = report.findings.iter().find(|f| f.finding.rule == rule).unwrap();
    let Outcome::Solved(candidates) = solve(plan) else { panic!("{rule}: solve found nothing") };
    let best = &candidates[0];
    let fix = finding.finding.fix.clone().unwrap();
    // The fix names what changes, and only that.
    let mut settings = Vec::new();
    if best.replicas != plan.runtime.replicas {
        settings.push(format!("runtime.replicas to {}", best.replicas));
    }
    if best.slots_per_replica != plan.runtime.max_concurrent_executions {
        settings.push(format!("runtime.max_concurrent_executions to {}", best.slots_per_replica));
    }
    assert!(fix.starts_with(&format!("set {} (", settings.join(" and "))), "{fix}");
    // The command line is told where the other options are; the planner, the key that applies it.
    assert!(fix.ends_with("(`flowcap solve` lists the options)"), "{fix}");
    let in_planner = finding.finding.planner_fix().unwrap();
    assert_eq!(in_planner.replace("(press o to apply it)", "(`flowcap solve` lists the options)"), fix);
    let serious = |plan: &Plan| -> Vec<RuleId> {
        findings(plan).into_iter().filter(|f| f.severity > Severity::Info).map(|f| f.rule).collect()
    };
    let fixed = best.apply(plan);
    let after = serious(&fixed);
    assert!(!after.contains(&rule), "{rule} still fires after its fix: {after:?}");
    let before = serious(plan);
    assert!(after.iter().all(|r| before.contains(r)), "the fix brought {after:?}, before {before:?}");
}

#[test]
fn the_busy_medium_fix_fits_its_host() {
    // The example's fix once said "raise runtime.replicas to 7", which overcommits its host.
    let plan = flowcap::model::load::parse_plan("busy-medium.yaml", include_str!("../../examples/busy-medium.yaml"))
        .unwrap()
        .plan;
    assert_workload_fix_is_true(&plan, RuleId::WorkloadUnstable);
}

#[test]
fn a_reservation_above_its_limit_is_an_error() {
    let mut plan = flowcap::model::presets::load_preset("medium").unwrap().plan;
    plan.runtime.reservations.memory = Some(flowcap::model::units::Bytes::gib(9));
    plan.postgres.reservations.cpus = Some(flowcap::model::units::Cpus::whole(5));
    let findings = flowcap::analysis::rules::evaluate(&plan, &flowcap::analysis::figures::analyze(&plan));
    let paths: Vec<&str> =
        findings.iter().filter(|f| f.rule == RuleId::ReservationAboveLimit).map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["postgres.reservations.cpus", "runtime.reservations.memory"]);
    // At the limit is fine.
    plan.runtime.reservations.memory = plan.runtime.limits.memory;
    plan.postgres.reservations.cpus = plan.postgres.limits.cpus;
    let findings = flowcap::analysis::rules::evaluate(&plan, &flowcap::analysis::figures::analyze(&plan));
    assert!(findings.iter().all(|f| f.rule != RuleId::ReservationAboveLimit));
}

#[test]
fn postgres_worst_case_memory_counts_work_mem_autovacuum_and_dev_shm() {
    let mut plan = medium();
    // 28 connections: estimate 2 GiB + 28 × 10 MiB = 2328 MiB; worst case adds 28 × 4 MiB,
    // 3 × 64 MiB and 96 MiB: 2728 MiB.
    plan.postgres.limits.memory = Some(flowcap::model::units::Bytes::mib(2500));
    let f = one(&plan, RuleId::PostgresMemoryWorstCase);
    assert_eq!(
        f.message,
        "at worst Postgres uses 2.7 GiB: the estimate 2.3 GiB + 28 connections × work_mem 4 MiB + 3 autovacuum \
         workers × 64 MiB + 96 MiB of /dev/shm (PostgreSQL's defaults), over its memory limit 2.4 GiB (the kernel \
         kills it there)"
    );
    assert!(fired(&plan, RuleId::PostgresMemoryTight).is_empty(), "the estimate itself fits");
    plan.postgres.limits.memory = Some(flowcap::model::units::Bytes::mib(2728));
    assert!(fired(&plan, RuleId::PostgresMemoryWorstCase).is_empty(), "exactly at the worst case");
    plan.postgres.limits.memory = Some(flowcap::model::units::Bytes::mib(2727));
    assert_eq!(fired(&plan, RuleId::PostgresMemoryWorstCase).len(), 1);
}

#[test]
fn thresholds_come_from_the_policy_not_from_copies() {
    let rule = flowcap::analysis::rules::RuleId::ConnectionsNearLimit.rule();
    assert_eq!(rule.threshold(), "used > 80 % of usable (policy.connection_warning_percent)");
    let strict = flowcap::model::plan::Policy { connection_warning_percent: 70, ..Default::default() };
    assert_eq!((rule.threshold_for)(&strict), "used > 70 % of usable (policy.connection_warning_percent)");
}

#[test]
fn every_rule_id_has_its_entry_and_its_name() {
    for (index, rule) in RULES.iter().enumerate() {
        assert_eq!(rule.id as usize, index, "{} out of order", rule.id);
        assert_eq!(rule.id.rule().name, rule.name);
        assert_eq!(serde_json::to_value(rule.id).unwrap(), rule.name, "serialized as its name");
    }
    // The last variant is the table's last row: nothing after it lacks one.
    assert_eq!(RULES.len(), RuleId::PrometheusScrapesOneReplica as usize + 1);
}

#[test]
fn a_fix_the_planner_has_a_key_for_says_that_key() {
    let mut plan = medium();
    plan.host = None;
    let unknown = one(&plan, RuleId::HostUnknown);
    assert!(unknown.fix.as_deref().unwrap().contains("--host-cpus"));
    assert_eq!(unknown.planner_fix(), Some("set the Host's cpus and memory in the Plan"));
    plan.runtime.published_ports = vec![9000];
    plan.runtime.container_name = Some("runtime".into());
    let port = one(&plan, RuleId::FixedHostPort);
    assert!(port.fix.as_deref().unwrap().starts_with("flowcap export resets its published ports"));
    assert!(port.planner_fix().unwrap().starts_with("the override (e) resets its published ports"));
    let name = one(&plan, RuleId::FixedContainerName);
    assert_eq!(name.planner_fix(), Some("the override (e) resets container_name (`container_name: !reset null`)"));
    // A fix the planner says no differently is the command line's.
    plan.postgres.max_connections = 20;
    let exhausted = one(&plan, RuleId::ConnectionsExhausted);
    assert_eq!(exhausted.planner_fix(), exhausted.fix.as_deref());
}

#[test]
fn a_zero_limit_says_how_to_have_none_where_it_is_read() {
    let mut plan = medium();
    plan.runtime.limits.cpus = Some(Cpus(0));
    let invalid = plan.validate().unwrap_err();
    assert_eq!(invalid.to_string(), "runtime.limits.cpus: must be greater than 0 (leave it out for no limit)");
    assert!(invalid.no_limit);
}

#[test]
fn what_a_change_brings_is_its_new_errors_and_warnings() {
    use flowcap::analysis::rules::{brought, serious};
    let finding = |rule: RuleId| Finding::new(rule, "x", format!("{rule} fired"), None);
    let (info, near, exhausted) =
        (finding(RuleId::LimitsMissing), finding(RuleId::ConnectionsNearLimit), finding(RuleId::ConnectionsExhausted));
    // Only errors and warnings count as had.
    assert_eq!(serious(&[info.clone(), near.clone()]), [RuleId::ConnectionsNearLimit]);
    // A new info finding is no problem a change brings; a new warning is.
    assert_eq!(brought(&[], vec![info.clone(), near.clone()]), ["connections-near-limit fired"]);
    // One it had, or a milder level of one it had, is not new.
    assert!(brought(&[RuleId::ConnectionsNearLimit], vec![near.clone()]).is_empty());
    assert!(brought(&[RuleId::ConnectionsExhausted], vec![near]).is_empty());
    assert_eq!(brought(&[], vec![exhausted]), ["connections-exhausted fired"]);
}

/// Streaming runs on one runtime that keep more CPUs busy than its limit stretch every run:
/// 120 in flight spread over 4 runtimes is 30 each × 0.1 CPU = 3 CPUs on a 2-CPU limit, 1.5×.
/// The fix raises the limit to that demand and nothing past it.
#[test]
fn streaming_cpu_stretch_past_the_limit_and_the_limit_that_ends_it() {
    let plan = |cpus: &str, routing: &str| {
        let text = format!(
            "runtime: {{ replicas: 4, http_routing: {routing}, limits: {{ cpus: {cpus}, memory: 64Gi }} }}\n\
             workload:\n  streaming: {{ arrivals_per_minute: 120, mean_duration: 60s, memory_per_execution: 256Mi, cpu_per_execution: 0.1 }}\n"
        );
        flowcap::model::load::parse_plan("plan.yaml", &text).unwrap().plan
    };
    let stretched = one(&plan("2", "balanced"), RuleId::StreamingCpuStretch);
    assert_eq!(stretched.severity, Severity::Warning);
    assert_eq!(
        stretched.message,
        "the runs on one runtime need 3 CPUs at the peak's mean, past its limit: every run takes 1.5× as long"
    );
    assert_eq!(
        stretched.fix.as_deref(),
        Some("raise runtime.limits.cpus to 3 (the runs' mean demand on one runtime), or add runtimes")
    );
    assert_eq!(stretched.changes, [PlanEdit::Cpus(ServiceKey::Runtime, Block::Limits, Cpus(3000))]);
    // At the demand exactly: no stretch. A hair under it: the next tenth up.
    assert!(fired(&plan("3", "balanced"), RuleId::StreamingCpuStretch).is_empty());
    let under = one(&plan("2.95", "balanced"), RuleId::StreamingCpuStretch);
    assert_eq!(under.changes, [PlanEdit::Cpus(ServiceKey::Runtime, Block::Limits, Cpus(3000))]);
    // Docker's DNS: one runtime takes all 120 (12 CPUs); more runtimes alone do not help.
    let dns = one(&plan("2", "dns"), RuleId::StreamingCpuStretch);
    assert!(dns.message.contains("need 12 CPUs") && dns.message.contains("6× as long"), "{}", dns.message);
    assert!(dns.fix.as_deref().unwrap().contains("behind the balancer"), "{:?}", dns.fix);
}

/// Queued runs on Compose are dropped at ab1f822; the fix moves them to the streaming path,
/// and says so where they would then overrun the runtimes' memory there.
#[test]
fn queued_runs_dropped_and_what_moving_them_to_streaming_brings() {
    let plan = |arrivals: u32, streaming: &str| {
        let text = format!(
            "runtime: {{ replicas: 4, http_routing: balanced, limits: {{ cpus: 16, memory: 8Gi }} }}\n\
             workload:\n  queued: {{ arrivals_per_minute: {arrivals}, mean_duration: 60s, memory_per_execution: 256Mi }}\n{streaming}"
        );
        flowcap::model::load::parse_plan("plan.yaml", &text).unwrap().plan
    };
    let prefix = "plan these runs as workload.streaming until Flow-Like's queue path is fixed \
                  (packages/api/src/execution/dispatch.rs build_executor_payload, queue.rs QueuedJob)";
    // 120 in flight over 4 runtimes of 32 runs each: some runtime past its fit 78.04 % of the
    // peak (the memory line's test in formats.rs).
    let heavy = one(&plan(120, ""), RuleId::QueuedRunsDropped);
    assert_eq!(heavy.severity, Severity::Info);
    assert_eq!(
        heavy.fix.unwrap(),
        format!(
            "{prefix}; as streaming runs they put some runtime past its memory fit 78.04 % of the peak \
             (streaming-memory-risk or -tight follows): size the runtimes' memory for them"
        )
    );
    // 20 in flight, 5 a runtime: far under 32, nothing to add.
    assert_eq!(one(&plan(20, ""), RuleId::QueuedRunsDropped).fix.unwrap(), prefix);
    let both = one(
        &plan(20, "  streaming: { arrivals_per_minute: 10, mean_duration: 30s, memory_per_execution: 256Mi }\n"),
        RuleId::QueuedRunsDropped,
    );
    assert_eq!(
        both.fix.unwrap(),
        format!("{prefix}; add them to workload.streaming's rate and check its memory again")
    );
}

#[test]
fn a_streaming_memory_risk_exactly_at_either_line_is_not_past_it() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/rules/streaming-memory-tight.yaml"),
    )
    .unwrap();
    let mut plan = flowcap::model::load::parse_plan("tight.yaml", &text).unwrap().plan;
    let percent = analyze(&plan).streaming.and_then(|s| s.over_memory_any_runtime).unwrap() * 100.0;
    assert!(percent > 0.1 && percent < 1.0, "{percent}");
    assert_eq!(fired(&plan, RuleId::StreamingMemoryTight).len(), 1);
    // The warning line at the risk itself: not past it, nothing said.
    plan.policy.streaming_memory_warning_percent = percent;
    assert!(fired(&plan, RuleId::StreamingMemoryTight).is_empty());
    // The error line at the risk, the warning line below: a warning, not an error.
    plan.policy.streaming_memory_warning_percent = percent / 2.0;
    plan.policy.streaming_memory_error_percent = percent;
    assert!(fired(&plan, RuleId::StreamingMemoryRisk).is_empty());
    assert_eq!(fired(&plan, RuleId::StreamingMemoryTight).len(), 1);
    plan.policy.streaming_memory_error_percent = percent * 0.999;
    assert_eq!(fired(&plan, RuleId::StreamingMemoryRisk).len(), 1);
}
