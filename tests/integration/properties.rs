//! Property tests for the hand-written parsers: Compose interpolation and byte units.

use flowcap::model::units::{Bytes, Cpus, MAX_BYTES};
use flowcap::platform::compose::interpolate::interpolate;
use proptest::prelude::*;

fn none(_: &str) -> Option<&'static str> {
    None
}

proptest! {
    #[test]
    fn text_without_dollar_is_unchanged(text in "[^$]{0,60}") {
        prop_assert_eq!(interpolate(&text, &none).unwrap(), text);
    }

    #[test]
    fn escaped_dollars_come_back_literal(text in "[ -~]{0,60}") {
        let escaped = text.replace('$', "$$");
        prop_assert_eq!(interpolate(&escaped, &none).unwrap(), text);
    }

    #[test]
    fn defaults_apply_only_when_unset_or_empty(value in "[a-z0-9]{0,8}", default in "[a-z0-9:./]{0,12}") {
        let lookup = |name: &str| (name == "V").then_some(value.as_str());
        let got = interpolate("${V:-DEFAULT}".replace("DEFAULT", &default).as_str(), &lookup).unwrap();
        prop_assert_eq!(got, if value.is_empty() { default.clone() } else { value.clone() });
        let got = interpolate("${V-DEFAULT}".replace("DEFAULT", &default).as_str(), &lookup).unwrap();
        prop_assert_eq!(got, value.clone(), "set (even empty) wins over -");
        let got = interpolate("${W-DEFAULT}".replace("DEFAULT", &default).as_str(), &lookup).unwrap();
        prop_assert_eq!(got, default);
    }

    #[test]
    fn interpolation_never_panics(text in "\\PC{0,40}") {
        let _ = interpolate(&text, &|name: &str| name.len().is_multiple_of(2).then_some("x"));
    }

    #[test]
    fn compose_bytes_round_trip(bytes in 0u64..=MAX_BYTES) {
        let text = Bytes(bytes).compose();
        prop_assert_eq!(Bytes::parse(&text), Ok(Bytes(bytes)));
    }

    #[test]
    fn units_multiply(n in 0u64..100_000, unit in prop::sample::select(vec![("k", 10), ("m", 20), ("g", 30), ("Mi", 20), ("GB", 30), ("Ki", 10)])) {
        let (suffix, shift) = unit;
        prop_assert_eq!(Bytes::parse(&format!("{n}{suffix}")), Ok(Bytes(n << shift)));
    }

    #[test]
    fn byte_parsing_never_panics(text in "\\PC{0,24}") {
        let _ = Bytes::parse(&text);
        let _ = Cpus::parse(&text);
    }

    #[test]
    fn plan_parsing_never_panics(text in "[a-z_:{}\\[\\], 0-9.\n-]{0,120}") {
        let _ = flowcap::model::load::parse_plan("fuzz.yaml", &text);
    }

    #[test]
    fn plan_keys_with_any_values_never_panic(
        key in prop::sample::select(vec!["api: {replicas: ", "runtime: {max_concurrent_executions: ", "host: {cpus: 1, memory: ", "postgres: {shared_buffers: ", "workload: {mean_duration: 1s, arrivals_per_minute: "]),
        value in "[-0-9.eEkKmMgGiIbB]{0,12}",
    ) {
        let text = format!("{key}{value}}}\n");
        if let Ok(loaded) = flowcap::model::load::parse_plan("fuzz.yaml", &text) {
            let _ = flowcap::report::Report::new(&loaded, flowcap::analysis::rules::Severity::Error).render(flowcap::report::Format::Human);
        }
    }

    #[test]
    fn cpus_round_trip(millis in 0u64..100_000_000) {
        prop_assert_eq!(Cpus::parse(&Cpus(millis).to_string()), Ok(Cpus(millis)));
    }
}

proptest! {
    /// Whole-number arrivals and durations with a whole-number load: that many slots are
    /// saturated (unstable), one more is stable, and slots_for_stability says exactly that.
    #[test]
    fn stability_is_decided_exactly(base in 1u32..20_000, duration in 1u32..3_600) {
        // Scale the arrivals so that arrivals × duration is a multiple of 60.
        let gcd = |mut a: u64, mut b: u64| { while b != 0 { (a, b) = (b, a % b); } a };
        let arrivals = u64::from(base) * (60 / gcd(u64::from(base) * u64::from(duration), 60));
        let arrivals = u32::try_from(arrivals).unwrap();
        let load = u64::from(arrivals) * u64::from(duration);
        prop_assert_eq!(load % 60, 0);
        let slots = load / 60;
        let workload = flowcap::model::plan::Workload::queued(f64::from(arrivals), flowcap::model::units::Seconds(f64::from(duration)));
        let exact = workload.queued.unwrap().exact_load();
        prop_assert!(!exact.below(slots));
        prop_assert!(exact.below(slots + 1));
        prop_assert_eq!(exact.slots_for_stability(), slots + 1);
        let on = |slots: u64| workload.waits(u32::try_from(slots).unwrap_or(u32::MAX), 1).stable;
        // The waits agree (Erlang C is linear in the slots: keep it quick in a debug build).
        if slots <= 5_000 {
            prop_assert!(!on(slots));
            prop_assert!(on(slots + 1));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// For generated workloads on the Medium preset: solve's smallest change, the fix the
    /// report gives a workload finding, removes that finding and brings no new error or
    /// warning (and when nothing fits, solve says so instead of suggesting an overcommit).
    #[test]
    fn a_workload_fix_removes_its_finding_and_adds_none(
        arrivals in 10u32..900,
        duration in 1u32..120,
        replicas in 1u32..8,
        slots in 1u32..30,
    ) {
        use flowcap::analysis::rules::{Severity, evaluate};
        use flowcap::analysis::solve::{Outcome, solve};
        let mut plan = flowcap::model::presets::load_preset("medium").unwrap().plan;
        plan.runtime.replicas = replicas;
        plan.runtime.max_concurrent_executions = slots;
        plan.workload = Some(flowcap::model::plan::Workload::queued(f64::from(arrivals), flowcap::model::units::Seconds(f64::from(duration))));
        let serious = |plan: &flowcap::model::plan::Plan| -> Vec<&'static str> {
            let analysis = flowcap::analysis::figures::analyze(plan);
            evaluate(plan, &analysis).into_iter().filter(|f| f.severity > Severity::Info).map(|f| f.rule.as_str()).collect()
        };
        let before = serious(&plan);
        if let Outcome::Solved(candidates) = solve(&plan) {
            let after = serious(&candidates[0].apply(&plan));
            prop_assert!(!after.iter().any(|r| r.starts_with("workload-")), "{after:?}");
            prop_assert!(after.iter().all(|r| before.contains(r)), "brought {after:?}, had {before:?}");
        }
    }
}

/// Every finding of `loaded` whose fix is a plan edit: applying its changes (through the plan
/// file's own YAML form) removes it and brings no new error or warning.
fn fixes_hold(loaded: &flowcap::model::load::LoadedPlan) -> Result<(), TestCaseError> {
    use flowcap::analysis::rules::Severity;
    let findings = |loaded: &flowcap::model::load::LoadedPlan| {
        flowcap::report::Report::new(loaded, Severity::Error)
            .findings
            .into_iter()
            .map(|f| f.finding)
            .collect::<Vec<_>>()
    };
    let before = findings(loaded);
    for finding in before.iter().filter(|f| !f.changes.is_empty()) {
        let mut fixed = loaded.clone();
        for change in &finding.changes {
            fixed.plan = with_change(&fixed.plan, change);
        }
        let after = findings(&fixed);
        prop_assert!(
            !after.iter().any(|f| f.rule == finding.rule && f.path == finding.path),
            "{} at {} stays after {:?}",
            finding.rule,
            finding.path,
            finding.changes
        );
        // A rule's milder level was already there when its stronger level was: a memory limit
        // that misses the estimate also misses the worst case, the rule only says the stronger.
        let had = |rule: flowcap::analysis::rules::RuleId| {
            before.iter().any(|b| b.rule == rule || rule.stronger() == Some(b.rule))
        };
        let new: Vec<String> = after
            .iter()
            .filter(|f| f.severity > Severity::Info && !had(f.rule))
            .map(|f| format!("{}: {}", f.rule, f.message))
            .collect();
        prop_assert!(new.is_empty(), "fixing {} with {:?} brought {:?}", finding.rule, finding.changes, new);
    }
    Ok(())
}

/// The plan with one change applied the way an operator would: the value written at its
/// dotted path in the plan's own YAML form, then read back as a plan.
fn with_change(
    plan: &flowcap::model::plan::Plan,
    change: &flowcap::model::edit::PlanEdit,
) -> flowcap::model::plan::Plan {
    let path = change.path();
    let mut tree = serde_yaml::to_value(plan).unwrap();
    let mut node = &mut tree;
    for key in path.split('.') {
        node = match key.parse::<usize>() {
            // `cluster.node_pools.0.nodes`: an index into a list.
            Ok(index) => node.as_sequence_mut().and_then(|list| list.get_mut(index)),
            Err(_) => node.as_mapping_mut().map(|map| map.entry(key.into()).or_insert(serde_yaml::Value::Null)),
        }
        .unwrap_or_else(|| panic!("{path}: the plan has no {key} there"));
    }
    *node = serde_yaml::to_value(change.value()).unwrap();
    serde_yaml::from_value(tree).unwrap_or_else(|e| panic!("{path}: {e}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// For generated plans around the Medium preset: every finding whose fix is a plan edit
    /// carries it as `changes`; applying them removes the finding and brings no new error or
    /// warning.
    #[test]
    fn a_fix_removes_its_finding_and_adds_none(
        api in (1u32..8, 1u32..40),
        runtime in (0u32..8, 0u32..30, 1u64..64),
        postgres in (10u32..300, 6u64..40, 1u64..64),
        host in (2u64..64, 4u64..256),
        reservation_cpus in 0u64..12_000,
        flags in (any::<bool>(), prop::option::of(any::<bool>())),
        workload in prop::option::of((10u32..900, 1u32..120)),
    ) {
        use flowcap::model::units::{Bytes, Cpus};
        let mut loaded = flowcap::model::presets::load_preset("medium").unwrap();
        let plan = &mut loaded.plan;
        (plan.api.replicas, plan.api.db_pool) = api;
        (plan.runtime.replicas, plan.runtime.max_concurrent_executions) = (runtime.0, runtime.1);
        plan.runtime.limits.memory = Some(Bytes::mib(256 * runtime.2));
        plan.runtime.reservations.cpus = Some(Cpus(reservation_cpus));
        plan.postgres.max_connections = postgres.0;
        plan.postgres.shared_buffers = Some(Bytes::mib(1 << (postgres.1 / 3)));
        plan.postgres.limits.memory = Some(Bytes::mib(256 * postgres.2));
        plan.host = Some(flowcap::model::plan::Host { cpus: Cpus::whole(host.0), memory: Bytes::mib(1024 * host.1) });
        (plan.postgres.clients_are_superuser, plan.api.shared_jwt_keys) = flags;
        plan.workload = workload.map(|(arrivals, duration)| flowcap::model::plan::Workload::queued(f64::from(arrivals), flowcap::model::units::Seconds(f64::from(duration))));
        fixes_hold(&loaded)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// The same for Kubernetes plans around the kubernetes-large preset: every fix that is a
    /// plan edit removes its finding and brings no new error or warning.
    #[test]
    fn a_kubernetes_fix_removes_its_finding_and_adds_none(
        api in (1u32..6, 1u32..40, 1u32..30),
        runtime in (1u32..8, 1u32..40, 1u64..64, 1u64..64),
        max_connections in 20u32..400,
        nodes in (1u32..6, 0u32..6, 2u64..64, 4u64..256),
        jobs in prop::option::of((1u32..300, 1u64..4_000)),
        workload in prop::option::of((10u32..600, 1u32..120)),
    ) {
        use flowcap::model::units::{Bytes, Cpus};
        let mut loaded = flowcap::model::presets::load_preset("kubernetes-large").unwrap();
        let plan = &mut loaded.plan;
        let (replicas, db_pool, extra) = api;
        plan.api.replicas = replicas;
        plan.api.db_pool = db_pool;
        plan.api.autoscaling = Some(flowcap::model::cluster::Autoscaling { min: replicas, max: replicas + extra, ..Default::default() });
        let (runtimes, slots, request_gib, limit_gib) = runtime;
        plan.runtime.replicas = runtimes;
        plan.runtime.max_concurrent_executions = slots;
        plan.runtime.autoscaling = Some(flowcap::model::cluster::Autoscaling { min: runtimes, max: runtimes * 2, ..Default::default() });
        plan.runtime.reservations.memory = Some(Bytes::mib(256 * request_gib));
        plan.runtime.limits.memory = Some(Bytes::mib(256 * limit_gib));
        plan.postgres.max_connections = max_connections;
        let pool = &mut plan.cluster.as_mut().unwrap().node_pools[0];
        pool.nodes = nodes.0;
        pool.max_nodes = Some(nodes.0 + nodes.1);
        pool.cpus = Cpus::whole(nodes.2);
        pool.memory = Bytes::gib(nodes.3);
        plan.jobs = jobs.map(|(cap, millis)| flowcap::model::cluster::Jobs {
            max_concurrent: cap,
            reservations: flowcap::model::resources::Resources { cpus: Some(Cpus(millis)), memory: Some(Bytes::mib(256)) },
            ..Default::default()
        });
        // A workload's fix on a cluster sizes the executors and one pool's nodes.
        plan.workload = workload.map(|(arrivals, duration)| flowcap::model::plan::Workload::queued(f64::from(arrivals), flowcap::model::units::Seconds(f64::from(duration))));
        prop_assume!(plan.validate().is_ok());
        fixes_hold(&loaded)?;
    }
}
