//! Where the executor pool's autoscaler settles at the peak, computed by hand: the fewest pods
//! whose average use holds within the 10 % tolerance of each target, the higher of memory and
//! CPU, within min and max; and the fixes and solve that make it run the pods the HTTP runs
//! need, not only allow them.

use flowcap::analysis::autoscaler::{Metric, Settled, edits, holding, settled};
use flowcap::analysis::figures::analyze;
use flowcap::analysis::rules::{RuleId, evaluate};
use flowcap::analysis::solve::{Outcome, solve};
use flowcap::model::edit::PlanEdit;
use flowcap::model::plan::Plan;
use flowcap::model::presets::load_preset;

/// The kubernetes-large preset (pods of 8 CPUs and 16 GiB requested, an autoscaler of 6–12 at
/// 70 % CPU and 80 % memory) under `streaming`, its maximum at `max`.
fn pool(streaming: &str, max: u32) -> Plan {
    let mut plan = load_preset("kubernetes-large").unwrap().plan;
    plan.workload = Some(serde_yaml::from_str(&format!("streaming: {{ {streaming} }}")).unwrap());
    plan.runtime.autoscaling.as_mut().unwrap().max = max;
    plan
}

const RUNS: &str = "arrivals_per_minute: 300, mean_duration: 30s, memory_per_execution: 1Gi";

#[test]
fn the_autoscaler_settles_where_each_pod_holds_its_target() {
    // 150 runs in flight × 1 GiB; a pod holds 1.1 × 80 % × 16 GiB = 14.08 GiB before the
    // autoscaler scales: ⌈150 ÷ 14.08⌉ = 11 pods, whatever the maximum of 30 allows.
    let memory = Settled { replicas: 11, wanted: 11, maximum: 30, metric: Some(Metric::Memory) };
    assert_eq!(settled(&pool(RUNS, 30)), Some(memory));
    // What a runtime holds at rest counts against the target: 2 GiB leaves 12.08, 13 pods.
    let mut based = pool(RUNS, 30);
    based.runtime.base_memory = flowcap::model::units::Bytes::gib(2);
    assert_eq!(settled(&based).unwrap().replicas, 13);
    // CPU: a run keeps 1 CPU busy; a pod holds 1.1 × 70 % × 8 = 6.16 CPUs: ⌈150 ÷ 6.16⌉ = 25,
    // more than memory asks, so CPU decides; at half a CPU, ⌈75 ÷ 6.16⌉ = 13, still more.
    let cpu = pool(&format!("{RUNS}, cpu_per_execution: 1"), 30);
    assert_eq!(settled(&cpu), Some(Settled { replicas: 25, wanted: 25, maximum: 30, metric: Some(Metric::Cpu) }));
    let half = pool(&format!("{RUNS}, cpu_per_execution: 500m"), 30);
    assert_eq!(settled(&half).unwrap(), Settled { replicas: 13, wanted: 13, maximum: 30, metric: Some(Metric::Cpu) });
    // Less: memory decides (100m: ⌈15 ÷ 6.16⌉ = 3); at a tie memory is named (450m: ⌈67.5 ÷
    // 6.16⌉ = 11, as memory's).
    let light = pool(&format!("{RUNS}, cpu_per_execution: 100m"), 30);
    assert_eq!(settled(&light), Some(memory));
    let tie = pool(&format!("{RUNS}, cpu_per_execution: 450m"), 30);
    assert_eq!(settled(&tie), Some(memory));
    // Within min and max: 25 asked, 20 allowed; 11 asked, 12 kept.
    assert_eq!(settled(&pool(&format!("{RUNS}, cpu_per_execution: 1"), 20)).unwrap().replicas, 20);
    let mut floor = pool(RUNS, 30);
    floor.runtime.autoscaling.as_mut().unwrap().min = 12;
    assert_eq!(settled(&floor).unwrap().replicas, 12);
    // Neither the runs' memory nor their CPU known: taken at the maximum.
    let unknown = pool("arrivals_per_minute: 300, mean_duration: 30s", 30);
    assert_eq!(settled(&unknown), Some(Settled { replicas: 30, wanted: 30, maximum: 30, metric: None }));
    // A pod past its target at rest (a 15 GiB runtime at 80 % of 16 GiB): every pod it may.
    let mut heavy = pool(RUNS, 30);
    heavy.runtime.base_memory = flowcap::model::units::Bytes::gib(15);
    assert_eq!(settled(&heavy).unwrap().replicas, 30);
    // No autoscaler under Compose.
    let mut compose = pool(RUNS, 30);
    compose.platform = flowcap::model::cluster::Platform::Compose;
    assert_eq!(settled(&compose), None);
}

/// The report spreads the runs over the pods the autoscaler settles at, and says so.
#[test]
fn the_streaming_figures_spread_over_the_settled_pods() {
    let plan = pool(RUNS, 30);
    let figures = analyze(&plan).streaming.unwrap();
    assert_eq!(figures.runtimes_reached, 11);
    assert!((figures.mean_per_runtime - 150.0 / 11.0).abs() < 1e-12);
    let dir = crate::common::tempdir("autoscaler-report");
    std::fs::write(dir.join("p.yaml"), plan.to_file_text("test").unwrap()).unwrap();
    let output = crate::common::flowcap().current_dir(&dir).args(["--check", "p.yaml"]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains(
            "  autoscaler             11 of its 30 pods (its memory target holds there at the peak's mean, within its 10 % tolerance)"
        ),
        "{text}"
    );
}

/// Raising the maximum alone leaves the pool at 11 pods: the fix and solve lower the memory
/// target to the highest that settles it at the pods the runs need (29: 1.1 × 30 % × 16 GiB
/// = 5.28 GiB a pod, ⌈150 ÷ 5.28⌉ = 29; at 31 %, 5.456 GiB, 28).
#[test]
fn the_fixes_make_the_autoscaler_run_the_pods_not_only_allow_them() {
    let plan = pool(RUNS, 12);
    let held = holding(&plan, 29, 29).unwrap();
    assert_eq!((held.max, held.min, held.target_memory_percent), (29, 6, Some(30)));
    let mut higher = plan.clone();
    higher.runtime.autoscaling = Some(flowcap::model::cluster::Autoscaling { target_memory_percent: Some(31), ..held });
    assert_eq!(settled(&higher).unwrap().replicas, 28);
    // solve: the same autoscaler, and the risk within the policy's line after.
    let Outcome::Cluster(sizing) = solve(&plan) else { panic!("{:?}", solve(&plan)) };
    assert_eq!(sizing.executors, 29);
    let sized = sizing.apply(&plan);
    assert_eq!(sized.runtime.autoscaling.unwrap().target_memory_percent, Some(30));
    let risky = |p: &Plan| {
        evaluate(p, &analyze(p))
            .into_iter()
            .filter(|f| [RuleId::StreamingMemoryRisk, RuleId::StreamingMemoryTight].contains(&f.rule))
            .collect::<Vec<_>>()
    };
    assert!(risky(&sized).is_empty(), "{:?}", risky(&sized));
    // The check's fix carries the same edits (on a pool that may grow to hold the pods), and
    // applied they clear the finding.
    let mut plan = plan;
    plan.cluster.as_mut().unwrap().node_pools[0].max_nodes = Some(12);
    let found = risky(&plan);
    assert_eq!(found.len(), 1);
    let fixed = crate::common::with_fix(&plan, &found[0]);
    assert_eq!(fixed.runtime.autoscaling, sized.runtime.autoscaling, "{found:?}");
    assert!(risky(&fixed).is_empty());
    // Neither the runs' memory nor their CPU known: the pods are taken at the maximum, which
    // alone moves. Fewer pods needed than today's maximum: the maximum stays.
    let unknown = pool("arrivals_per_minute: 300, mean_duration: 30s", 12);
    let hpa = unknown.runtime.autoscaling.unwrap();
    assert_eq!(holding(&unknown, 29, 29).unwrap(), flowcap::model::cluster::Autoscaling { max: 29, ..hpa });
    assert_eq!(holding(&plan, 8, 12).unwrap(), plan.runtime.autoscaling.unwrap());
    // Runs of 10m CPU, their memory unknown: even a 1 % CPU target holds at 150 × 10m ÷ (1.1 ×
    // 1 % × 8) = 18 pods, so the minimum holds the 29 (and the replicas rise with it).
    let mut tiny = pool("arrivals_per_minute: 300, mean_duration: 30s, cpu_per_execution: 10m", 12);
    let held = holding(&tiny, 29, 29).unwrap();
    assert_eq!((held.min, held.max, held.target_cpu_percent), (29, 29, Some(70)));
    let changes = edits(tiny.runtime.autoscaling.unwrap(), held);
    assert_eq!(changes, [PlanEdit::RuntimeAutoscalingMax(29), PlanEdit::RuntimeAutoscalingMin(29)]);
    for edit in changes {
        edit.apply(&mut tiny).unwrap();
    }
    assert_eq!(tiny.runtime.replicas, 29);
    assert!(tiny.validate().is_ok());
    // Runs of 100m: 15 CPUs busy; a 6 % CPU target holds ⌈15 ÷ (1.1 × 6 % × 8)⌉ = 29 pods, 7 %
    // only 25: the CPU target is lowered to 6 (the memory one cannot help: no run's memory).
    let cpu_bound = pool("arrivals_per_minute: 300, mean_duration: 30s, cpu_per_execution: 100m", 12);
    let held = holding(&cpu_bound, 29, 29).unwrap();
    assert_eq!((held.min, held.max, held.target_cpu_percent), (6, 29, Some(6)));
    assert_eq!(
        edits(cpu_bound.runtime.autoscaling.unwrap(), held),
        [PlanEdit::RuntimeAutoscalingMax(29), PlanEdit::RuntimeTargetCpuPercent(6)]
    );
}

/// solve sizes for the HTTP runs' CPU too: 150 runs of 2 CPUs keep 300 CPUs busy; pods of 8
/// CPUs stretch no run from ⌈300 ÷ 8⌉ = 38 pods (the CPU target already holds that many), and
/// the check's streaming-cpu-stretch is gone after.
#[test]
fn solve_sizes_the_pool_for_the_runs_cpu() {
    let plan = pool(&format!("{RUNS}, cpu_per_execution: 2"), 12);
    let Outcome::Cluster(sizing) = solve(&plan) else { panic!("{:?}", solve(&plan)) };
    assert_eq!(sizing.executors, 38);
    let sized = sizing.apply(&plan);
    assert_eq!(settled(&sized).unwrap().replicas, 38);
    let stretched = |p: &Plan| evaluate(p, &analyze(p)).iter().any(|f| f.rule == RuleId::StreamingCpuStretch);
    assert!(stretched(&plan) && !stretched(&sized));
    let said = flowcap::report::solve::render(&plan, &solve(&plan));
    assert!(said.contains("~ streaming runs take (CPU stretch)       3.12× → 1×"), "{said}");
    // No queued runs: no waits to speak of.
    assert!(said.starts_with("set runtime.autoscaling.max to 38 and cluster.node_pools.0.max_nodes to 13 (pool general): 760 slots at the peak\n"), "{said}");
    assert!(!said.contains("p95 wait") && !said.contains("utilisation"), "{said}");
}

/// A maximum below what the targets ask for is said as such: 600 runs of 512 MiB ask for
/// ⌈300 ÷ 14.08⌉ = 22 pods; the maximum of 12 holds it there.
#[test]
fn an_autoscaler_at_its_maximum_says_what_its_target_asks_for() {
    let plan = pool("arrivals_per_minute: 1200, mean_duration: 30s, memory_per_execution: 512Mi", 12);
    assert_eq!(settled(&plan), Some(Settled { replicas: 12, wanted: 22, maximum: 12, metric: Some(Metric::Memory) }));
    let dir = crate::common::tempdir("autoscaler-capped");
    std::fs::write(dir.join("p.yaml"), plan.to_file_text("test").unwrap()).unwrap();
    let output = crate::common::flowcap().current_dir(&dir).args(["--check", "p.yaml"]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("  autoscaler             12 of its 12 pods (at its maximum: its memory target asks for 22 at the peak's mean)"),
        "{text}"
    );
}

/// The check's fix never lowers the maximum (30 here, the pods needed fewer); and where a pod
/// requests its limit, a bigger limit keeps the request, or the memory target would settle the
/// pool on fewer pods.
#[test]
fn the_fixes_keep_the_maximum_the_replicas_and_the_request() {
    let mut plan = pool(RUNS, 30);
    plan.cluster.as_mut().unwrap().node_pools[0].max_nodes = Some(12);
    let found: Vec<_> =
        evaluate(&plan, &analyze(&plan)).into_iter().filter(|f| f.rule == RuleId::StreamingMemoryRisk).collect();
    assert_eq!(found[0].changes, [PlanEdit::RuntimeTargetMemoryPercent(30)], "{found:?}");
    // Limits without requests: the memory fix pins the request at the limit it had.
    let mut unrequested = pool("arrivals_per_minute: 60, mean_duration: 45s, memory_per_execution: 1Gi", 10);
    unrequested.runtime.reservations = Default::default();
    unrequested.runtime.limits = flowcap::model::resources::Resources {
        cpus: Some(flowcap::model::units::Cpus::whole(4)),
        memory: Some(flowcap::model::units::Bytes::gib(8)),
    };
    unrequested.cluster.as_mut().unwrap().node_pools[0].max_nodes = Some(12);
    let found: Vec<_> = evaluate(&unrequested, &analyze(&unrequested))
        .into_iter()
        .filter(|f| f.rule == RuleId::StreamingMemoryRisk)
        .collect();
    let fix = found[0].fix.as_deref().unwrap();
    assert!(fix.contains("with runtime.reservations.memory: 8 GiB (the request it has now"), "{fix}");
    let fixed = crate::common::with_fix(&unrequested, &found[0]);
    assert_eq!(settled(&fixed).unwrap().replicas, settled(&unrequested).unwrap().replicas);
    let risky = |p: &Plan| evaluate(p, &analyze(p)).iter().any(|f| f.rule == RuleId::StreamingMemoryRisk);
    assert!(risky(&unrequested) && !risky(&fixed));
}
