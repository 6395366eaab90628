//! `flowcap solve`: the smallest change, within the host and the policy.

use flowcap::analysis::rules::RuleId;
use flowcap::analysis::solve::{Outcome, Strategy, replicas_needed, solve};
use flowcap::model::load::load_plan_file;
use flowcap::model::plan::{Plan, Target, Workload};
use flowcap::model::presets::load_preset;
use flowcap::model::units::{Bytes, Cpus, Seconds};
use std::path::Path;

fn busy_medium() -> Plan {
    load_plan_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/busy-medium.yaml")).unwrap().plan
}

fn meets(plan: &Plan, replicas: u32, slots: u32) -> bool {
    let w = plan.workload.as_ref().unwrap();
    let waits = w.waits(replicas, slots);
    waits.stable && w.meets_target(&waits)
}

#[test]
fn busy_medium_takes_more_slots_per_runtime() {
    let plan = busy_medium();
    let Outcome::Solved(candidates) = solve(&plan) else { panic!("{:?}", solve(&plan)) };
    let best = &candidates[0];
    assert_eq!((best.strategy, best.replicas, best.slots_per_replica), (Strategy::Slots, 4, 18));
    // The smallest: 17 slots miss the 5 s p95 target, 18 meet it.
    assert!(meets(&plan, 4, 18) && !meets(&plan, 4, 17));
    assert!(best.waits.p95_wait_seconds.unwrap() <= 5.0);
    // 8 GiB ÷ 18 = 455 MiB per slot: within the 256 MiB policy.
    let applied = best.apply(&plan);
    assert!(flowcap::analysis::rules::resource_problems(&applied).is_empty());
    // 7 runtimes at 10 slots would meet the target but overrun the host's 32 CPUs (26 + 3 × 4).
    assert_eq!(replicas_needed(plan.workload.as_ref().unwrap(), 10), Some(7));
    assert!(candidates.iter().all(|c| c.strategy != Strategy::Replicas));
}

#[test]
fn tight_memory_policy_forces_more_runtimes() {
    let mut plan = busy_medium();
    // 8 GiB ÷ 1 GiB per slot: at most 8 slots per runtime, fewer than today's 10.
    plan.policy.min_memory_per_slot = Bytes::gib(1);
    plan.runtime.max_concurrent_executions = 8;
    plan.host = Some(flowcap::model::plan::Host { cpus: Cpus::whole(128), memory: Bytes::gib(256) });
    let Outcome::Solved(candidates) = solve(&plan) else { panic!() };
    let best = &candidates[0];
    assert_eq!(best.strategy, Strategy::Replicas);
    assert_eq!(best.slots_per_replica, 8);
    assert!(meets(&plan, best.replicas, 8) && !meets(&plan, best.replicas - 1, 8));
}

#[test]
fn no_solution_says_what_the_host_lacks() {
    let mut plan = busy_medium();
    plan.policy.min_memory_per_slot = Bytes::gib(1);
    plan.runtime.max_concurrent_executions = 8;
    let Outcome::NoSolution { needed_replicas, short } = solve(&plan) else { panic!("{:?}", solve(&plan)) };
    let needed = needed_replicas.unwrap();
    assert!(meets(&plan, needed, 8) && !meets(&plan, needed - 1, 8));
    let rules: Vec<&str> = short.iter().map(|f| f.rule.as_str()).collect();
    assert!(rules.contains(&RuleId::HostCpuOvercommit.as_str()), "{rules:?}");
    let text = flowcap::report::solve::render(&plan, &Outcome::NoSolution { needed_replicas, short });
    assert!(text.contains(&format!("meeting it takes {needed} runtimes at 8 slots each")), "{text}");
    assert!(text.contains("raise host.cpus to"), "{text}");
}

#[test]
fn already_met_and_no_workload() {
    let mut plan = load_preset("medium").unwrap().plan;
    assert_eq!(solve(&plan), Outcome::NoWorkload);
    plan.workload = Some(Workload {
        target: Some(Target { p95_wait: Some(Seconds(1.0)), wait_probability_percent: None }),
        ..Workload::queued(10.0, Seconds(30.0))
    });
    assert!(matches!(solve(&plan), Outcome::AlreadyMet(_)));
}

#[test]
fn without_a_target_solve_sizes_for_a_documented_default_and_says_so() {
    let mut plan = busy_medium();
    plan.workload.as_mut().unwrap().target = None;
    let Outcome::Solved(candidates) = solve(&plan) else { panic!() };
    let best = &candidates[0];
    // 60 Erlangs, 30 s executions: the default is p95 wait ≤ 3 s, not merely stable (98 %).
    let p95 = best.waits.p95_wait_seconds.unwrap();
    assert!(p95 <= 3.0, "{p95}");
    let workload = plan.workload.as_ref().unwrap();
    let one_fewer = workload.waits(best.replicas, best.slots_per_replica - 1);
    assert!(one_fewer.p95_wait_seconds.is_none_or(|w| w > 3.0), "the smallest that meets it");
    assert!(best.waits.utilisation < 0.95, "{}", best.waits.utilisation);
    let shown = flowcap::report::solve::render(&plan, &solve(&plan));
    assert!(
        shown.starts_with("target: p95 wait ≤ 3 s (the plan has none: flowcap's default is 10 % of the mean duration"),
        "{shown}"
    );
}

#[test]
fn an_exact_saturation_is_never_stable_nor_recommended() {
    let mut plan = busy_medium();
    // 110/min × 30 s = 55 Erlangs exactly: 5 × 11 = 55 slots is 100 % and unstable.
    let workload = plan.workload.as_mut().unwrap();
    workload.queued.as_mut().unwrap().arrivals_per_minute = 110.0;
    workload.target = None;
    plan.runtime.replicas = 5;
    plan.runtime.max_concurrent_executions = 10;
    assert!(!plan.workload.as_ref().unwrap().waits(5, 11).stable);
    let Outcome::Solved(candidates) = solve(&plan) else { panic!() };
    assert!(candidates.iter().all(|c| c.waits.utilisation < 1.0), "{candidates:?}");
    // 1998/min × 30 s on 999 slots: exactly saturated, and 1000 slots are needed.
    let workload = Workload::queued(1998.0, Seconds(30.0));
    assert!(!workload.waits(999, 1).stable);
    assert!(workload.waits(1000, 1).stable);
    let figures = flowcap::analysis::workload::figures(&workload, 999, 1).unwrap();
    assert_eq!(figures.slots_for_stability, 1000);
    assert_eq!(figures.waits.offered_load, 999.0);
}

/// Solve keeps the streaming runs under the memory line too: spread evenly, more runtimes lower
/// it, and the answer is the fewest that do; under Docker's DNS no count of runtimes helps,
/// and solve says what does.
#[test]
fn solve_sizes_for_the_streaming_memory_line() {
    use flowcap::model::plan::{HttpRouting, PathLoad};
    use flowcap::model::units::Bytes;
    let mut plan = load_preset("medium").unwrap().plan;
    // 4 runtimes of 8 GiB at 10 slots; 96 streaming runs in flight of 512 MiB each, no queued
    // runs: 16 fit a runtime, 24 run on each at the mean.
    let mut streaming = PathLoad::new(192.0, Seconds(30.0));
    streaming.memory_per_execution = Some(Bytes::mib(512));
    plan.workload = Some(Workload { streaming: Some(streaming), ..Workload::default() });
    plan.runtime.http_routing = HttpRouting::Balanced;
    plan.host = None;
    let line = plan.policy.streaming_memory_warning_percent / 100.0;
    let risk = |p: &Plan| {
        flowcap::analysis::streaming::figures(p, p.runtime.replicas).unwrap().over_memory_any_runtime.unwrap()
    };
    assert!(risk(&plan) > line);
    let Outcome::Solved(candidates) = solve(&plan) else { panic!("{:?}", solve(&plan)) };
    let best = &candidates[0];
    let sized = flowcap::analysis::solve::with_runtime(&plan, best.replicas, best.slots_per_replica);
    assert!(risk(&sized) <= line, "{best:?}");
    let one_fewer = flowcap::analysis::solve::with_runtime(&plan, best.replicas - 1, best.slots_per_replica);
    assert!(risk(&one_fewer) > line, "the fewest runtimes that do: {best:?}");
    // Through Docker's DNS every run is on one runtime, however many there are.
    plan.runtime.http_routing = HttpRouting::Dns;
    assert!(matches!(solve(&plan), Outcome::NoSolution { .. }));
    let shown = flowcap::report::solve::render(&plan, &solve(&plan));
    assert!(shown.contains("more runtimes do not spread them; export the override"), "{shown}");
    assert!(!shown.contains("not even"), "{shown}");
}

#[test]
fn a_plan_already_met_writes_nothing_and_says_so() {
    let dir = crate::common::tempdir("solve-met");
    std::fs::write(dir.join("plan.yaml"), "workload: { queued: { arrivals_per_minute: 1, mean_duration: 1s } }\n")
        .unwrap();
    let output =
        crate::common::flowcap().current_dir(&dir).args(["solve", "plan.yaml", "-o", "solved.yaml"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("nothing to change"));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nothing to change: solved.yaml not written"));
    assert!(!dir.join("solved.yaml").exists());
}

/// On a cluster no count of pods helps a run bigger than a pod: solve says so in the cluster's
/// words, with the memory that would (7 runs of 20 GiB) at both keys, and that no node offers
/// a pod that much (a node of 128 GiB less GKE's reservation and the DaemonSets').
#[test]
fn no_solution_on_a_cluster_names_the_pod_memory_and_the_nodes_it_needs() {
    let mut plan = load_preset("kubernetes-large").unwrap().plan;
    plan.workload = Some(
        serde_yaml::from_str("streaming: { arrivals_per_minute: 30, mean_duration: 30s, memory_per_execution: 20Gi }")
            .unwrap(),
    );
    let outcome = solve(&plan);
    assert!(matches!(outcome, Outcome::NoSolution { .. }), "{outcome:?}");
    let text = flowcap::report::solve::render(&plan, &outcome);
    assert_eq!(
        text,
        "no change within the cluster and the policy meets the target\n  the streaming runs put some runtime past \
         its memory fit 100 % of the peak, and no count of runtimes brings it within the policy's line (a runtime's \
         memory fits too few): raise runtime.limits.memory to 140 GiB; in Helm values \
         executorPool.resources.limits.memory (more than any node offers pods, at most 118.3 GiB: bigger nodes first)\n"
    );
}

/// Where only the executor pool's autoscaler changes, the sizing names no pool; the plan it
/// writes spells whole numbers whole (but Compose's CPUs), as the operator wrote them, and
/// reads back met.
#[test]
fn a_sizing_names_the_pool_only_where_its_nodes_change_and_writes_whole_numbers_whole() {
    let mut plan = load_preset("kubernetes-large").unwrap().plan;
    plan.workload = Some(
        serde_yaml::from_str(
            "streaming: { arrivals_per_minute: 600, mean_duration: 30s, memory_per_execution: 256Mi }",
        )
        .unwrap(),
    );
    let text = flowcap::report::solve::render(&plan, &solve(&plan));
    assert!(text.starts_with("set runtime.autoscaling.target_memory_percent to 60: 240 slots at the peak\n"), "{text}");
    let dir = crate::common::tempdir("solve-whole");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/rules/workload-target-missed.yaml"),
        dir.join("plan.yaml"),
    )
    .unwrap();
    let output =
        crate::common::flowcap().current_dir(&dir).args(["solve", "plan.yaml", "-o", "solved.yaml"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let written = std::fs::read_to_string(dir.join("solved.yaml")).unwrap();
    // CPUs as Compose's docs spell them (`1.0`); every other number as written.
    for line in
        ["    cpus: 4.0 ", "  cpus: 16.0 ", "    arrivals_per_minute: 30 ", "  streaming_memory_error_percent: 1 "]
    {
        assert!(written.contains(line), "{line}: {written}");
    }
    let value = |l: &str| l.split('#').next().unwrap().trim_end().to_string();
    assert!(!written.lines().any(|l| !l.contains("cpus:") && value(l).ends_with(".0")), "{written}");
    let check = crate::common::flowcap().current_dir(&dir).args(["--check", "solved.yaml"]).output().unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stdout));
}

/// Helm values carry no workload: solve says how to get a plan that does.
#[test]
fn solving_helm_values_alone_points_to_a_plan_written_from_them() {
    let dir = crate::common::tempdir("solve-values");
    std::fs::write(dir.join("v.yaml"), "api:\n  replicaCount: 2\n").unwrap();
    let output = crate::common::flowcap()
        .current_dir(&dir)
        .args(["solve", "--helm-values", "v.yaml", "--nodes", "3", "--node-cpus", "8", "--node-memory", "32Gi"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("v.yaml: Helm values carry no workload to solve for: write a plan from them (flowcap init --helm-values FILE"),
        "{stderr}"
    );
}
