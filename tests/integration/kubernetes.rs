//! Kubernetes plans: the allocatable formula, placement computed by hand, the cluster
//! findings and what a Kubernetes plan must say.

use crate::common::{flowcap, tempdir};

use flowcap::analysis::figures::analyze;
use flowcap::analysis::node_model::gke as allocatable;
use flowcap::analysis::rules::RuleId;
use flowcap::analysis::rules::{Finding, evaluate};
use flowcap::model::edit::{Block, PlanEdit};
use flowcap::model::load::parse_plan;
use flowcap::model::plan::Plan;
use flowcap::model::service::ServiceKey;
use flowcap::model::units::{Bytes, Cpus};
use flowcap::platform::kubernetes::values::{ValuesFile, import};

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

/// A Kubernetes plan: one node pool of `pool` (YAML flow mapping), then `rest`.
fn plan(pool: &str, rest: &str) -> Plan {
    let text = format!(
        "platform: kubernetes\npostgres: {{ external: true, max_connections: 200 }}\n\
         cluster:\n  node_pools:\n    - {pool}\n{rest}"
    );
    parse_plan("k.yaml", &text).unwrap_or_else(|e| panic!("{e}\n{text}")).plan
}

fn fired(plan: &Plan, rule: RuleId) -> Vec<Finding> {
    evaluate(plan, &analyze(plan)).into_iter().filter(|f| f.rule == rule).collect()
}

#[test]
fn allocatable_follows_gkes_published_reservations() {
    // 32 CPUs: 6 % of the first core (60m), 1 % of the second (10m), 0.5 % of the next two
    // (10m), 0.25 % of the other 28 (70m) = 150m.
    // 128 GiB: 25 % of 4 + 20 % of 4 + 10 % of 8 + 6 % of 112 GiB = 9.32 GiB, plus 100 MiB.
    let reserved = (4 * GIB * 25 + 4 * GIB * 20 + 8 * GIB * 10 + 112 * GIB * 6).div_ceil(100) + 100 * MIB;
    assert_eq!(allocatable(Cpus::whole(32), Bytes::gib(128)), (Cpus(31_850), Bytes(128 * GIB - reserved)));
    // Above 128 GiB, 2 %: 256 GiB reserves 9.32 + 2.56 GiB.
    let reserved =
        (4 * GIB * 25 + 4 * GIB * 20 + 8 * GIB * 10 + 112 * GIB * 6 + 128 * GIB * 2).div_ceil(100) + 100 * MIB;
    assert_eq!(allocatable(Cpus::whole(1), Bytes::gib(256)), (Cpus(940), Bytes(256 * GIB - reserved)));
}

#[test]
fn pods_fill_a_node_exactly_and_the_next_one_waits() {
    // One node offering 4 CPUs and 8 GiB; the API takes 1 CPU / 2 GiB per pod, nothing else
    // requests anything (runtime 0 replicas).
    let pool = "{ name: exact, nodes: 1, cpus: 4, memory: 8Gi, allocatable: { cpus: 4, memory: 8Gi } }";
    let rest = "api: { replicas: 4, requests: { cpus: 1, memory: 2Gi } }\nruntime: { replicas: 0 }\n";
    let fit = analyze(&plan(pool, rest)).cluster.unwrap();
    assert_eq!((fit.now.pods, fit.now.placed), (4, 4));
    assert_eq!((fit.now.cpu_requests_share, fit.now.memory_requests_share), (1.0, 1.0));
    assert!(fired(&plan(pool, rest), RuleId::PodsUnschedulable).is_empty());

    let rest = "api: { replicas: 5, requests: { cpus: 1, memory: 2Gi } }\nruntime: { replicas: 0 }\n";
    let p = plan(pool, rest);
    let fit = analyze(&p).cluster.unwrap();
    assert_eq!((fit.now.pods, fit.now.placed), (5, 4));
    assert_eq!(fit.now.unplaced[0].workload, "api");
    assert_eq!(fit.now.unplaced[0].reason, "it requests 1 CPU and 2 GiB and no node has that much left");
    let found = fired(&p, RuleId::PodsUnschedulable);
    assert_eq!(found.len(), 1, "said once, not again at the maximum: {found:?}");
    assert_eq!(
        found[0].message,
        "1 api pod(s) cannot be placed now: it requests 1 CPU and 2 GiB and no node has that much left"
    );
}

#[test]
fn a_pod_larger_than_any_node_is_named_with_what_the_nodes_offer() {
    // 8 CPUs requested; nodes of 4 CPUs offer 3,920m less a 200m DaemonSet = 3,720m.
    let pool = "{ name: small, nodes: 3, cpus: 4, memory: 16Gi }";
    let rest = "runtime: { replicas: 1, requests: { cpus: 8, memory: 4Gi } }\napi: { replicas: 1 }\n";
    let mut p = plan(pool, rest);
    p.cluster.as_mut().unwrap().daemonset.cpus = Some(Cpus(200));
    let fit = analyze(&p).cluster.unwrap();
    assert_eq!(fit.now.unplaced.len(), 1);
    assert_eq!(
        fit.now.unplaced[0].reason,
        "it requests 8 CPUs and 4 GiB, more than any node offers pods (at most 3.72 CPUs and 13.3 GiB on one node)"
    );
}

#[test]
fn first_fit_decreasing_places_the_largest_pods_first() {
    // Two nodes of 4 CPUs; API pods of 1 CPU, runtime pods of 3. In the plan's order the two
    // API pods share node 1, the first runtime takes node 2 and the second finds 2 and 1 CPUs
    // left: unplaced. Largest first puts a runtime on each node and an API pod beside each.
    let pool = "{ name: p, nodes: 2, cpus: 4, memory: 16Gi, allocatable: { cpus: 4, memory: 16Gi } }";
    let rest = "api: { replicas: 2, requests: { cpus: 1, memory: 1Gi } }\n\
                runtime: { replicas: 2, requests: { cpus: 3, memory: 1Gi } }\n";
    let fit = analyze(&plan(pool, rest)).cluster.unwrap();
    assert_eq!((fit.now.placed, fit.now.unplaced.len()), (4, 0));
    assert_eq!(fit.now.cpu_requests_share, 1.0);
}

#[test]
fn when_not_every_pod_fits_the_packing_that_places_more_is_kept() {
    // One node offering 4 CPUs: one API pod of 3 CPUs and three runtime pods of 1 CPU. Largest
    // first places the API pod and one runtime (2 over); smallest first the three runtimes and
    // not the API pod (1 over): the count reported is the smaller, and the pod left is the API.
    let pool = "{ name: p, nodes: 1, cpus: 4, memory: 16Gi, allocatable: { cpus: 4, memory: 16Gi } }";
    let rest = "api: { replicas: 1, requests: { cpus: 3, memory: 1Gi } }\n\
                runtime: { replicas: 3, requests: { cpus: 1, memory: 1Gi } }\n";
    let p = plan(pool, rest);
    let fit = analyze(&p).cluster.unwrap();
    assert_eq!((fit.now.pods, fit.now.placed), (4, 3));
    assert_eq!(fit.now.unplaced.len(), 1);
    assert_eq!((fit.now.unplaced[0].workload.as_str(), fit.now.unplaced[0].pods), ("api", 1));
    assert_eq!(fit.now.cpu_requests_share, 0.75);
    let found = fired(&p, RuleId::PodsUnschedulable);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.starts_with("1 api pod(s) cannot be placed now"), "{}", found[0].message);
    // A tie keeps largest first: one runtime over either way, and it is the runtime.
    let rest = "api: { replicas: 1, requests: { cpus: 2, memory: 1Gi } }\n\
                runtime: { replicas: 3, requests: { cpus: 1, memory: 1Gi } }\n";
    let fit = analyze(&plan(pool, rest)).cluster.unwrap();
    assert_eq!((fit.now.placed, fit.now.unplaced[0].workload.as_str()), (3, "runtime"));
}

#[test]
fn the_maximum_places_every_autoscaler_at_max_and_every_job_on_max_nodes() {
    let pool = "{ name: p, nodes: 1, max_nodes: 2, cpus: 4, memory: 16Gi, allocatable: { cpus: 4, memory: 16Gi } }";
    let rest = "api: { replicas: 1, requests: { cpus: 1, memory: 1Gi }, autoscaling: { min: 1, max: 3 } }\n\
                runtime: { replicas: 1, max_concurrent_executions: 5, requests: { cpus: 1, memory: 1Gi }, autoscaling: { min: 1, max: 2 } }\n\
                jobs: { max_concurrent: 4, requests: { cpus: 500m, memory: 256Mi }, limits: { cpus: 1, memory: 1Gi } }\n";
    let p = plan(pool, rest);
    let a = analyze(&p);
    let fit = a.cluster.unwrap();
    assert_eq!((fit.now.pods, fit.now.nodes), (2, 1));
    // 3 API + 2 runtime + 4 Jobs on two nodes: 5 CPUs + 2 CPUs of Jobs = 7 of 8.
    assert_eq!((fit.at_maximum.pods, fit.at_maximum.placed, fit.at_maximum.nodes), (9, 9, 2));
    assert_eq!(fit.at_maximum.cpu_requests_share, 0.875);
    let maximum = a.at_maximum.unwrap();
    assert_eq!((maximum.api_replicas, maximum.runtime_replicas), (3, 2));
    assert_eq!(maximum.concurrent_executions, 2 * 5 + 4);
    // 3 × 10 + db-init 3 + admin 2.
    assert_eq!(maximum.connections.used, 35);
}

#[test]
fn job_cap_past_the_cluster_says_how_many_fit() {
    let pool = "{ name: p, nodes: 1, cpus: 4, memory: 16Gi, allocatable: { cpus: 4, memory: 16Gi } }";
    let rest = "api: { replicas: 1, requests: { cpus: 1, memory: 1Gi } }\nruntime: { replicas: 0 }\n\
                jobs: { max_concurrent: 10, requests: { cpus: 500m, memory: 256Mi } }\n";
    let p = plan(pool, rest);
    let found = fired(&p, RuleId::JobCapExceedsCluster);
    assert_eq!(found.len(), 1);
    // 3 CPUs left after the API: 6 Jobs of 500m.
    assert!(
        found[0].message.starts_with("4 of the 10 Jobs the cap allows find no node at the maximum"),
        "{}",
        found[0].message
    );
    assert_eq!(found[0].changes, vec![PlanEdit::JobsMaxConcurrent(6)]);
    assert!(fired(&p, RuleId::PodsUnschedulable).is_empty(), "Jobs have their own rule");
}

#[test]
fn the_api_autoscalers_maximum_against_the_connection_budget() {
    let pool = "{ name: p, nodes: 10, cpus: 32, memory: 128Gi }";
    // At 20 replicas: 200 + db-init 3 + admin 2 = 205 > 197 usable; 19 × 10 + 5 = 195 fits.
    let rest = "api: { replicas: 2, requests: { cpus: 500m, memory: 512Mi }, autoscaling: { min: 2, max: 20 } }\n";
    let p = plan(pool, rest);
    assert!(fired(&p, RuleId::ConnectionsExhausted).is_empty(), "now it fits: 25 of 197");
    let found = fired(&p, RuleId::HpaMaxExhaustsConnections);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].message,
        "at the API autoscaler's maximum of 20 replicas the clients can open 205 connections; max_connections 200 leaves 197 usable"
    );
    // Within the 80 % warning line (157 of 197): 15 × 10 + 5 = 155.
    assert_eq!(
        found[0].fix.as_deref(),
        Some("lower api.autoscaling.max to 15, or raise postgres.max_connections to 260")
    );
    assert_eq!(found[0].changes, vec![PlanEdit::ApiAutoscalingMax(15)]);
    // At 19, 195 connections fit but pass the warning line: a warning at the maximum.
    let rest = "api: { replicas: 2, requests: { cpus: 500m, memory: 512Mi }, autoscaling: { min: 2, max: 19 } }\n";
    assert!(fired(&plan(pool, rest), RuleId::HpaMaxExhaustsConnections).is_empty());
    let near = fired(&plan(pool, rest), RuleId::ConnectionsNearLimit);
    assert_eq!(near.len(), 1);
    assert_eq!(near[0].path, "api.autoscaling.max");
    assert!(
        near[0].message.ends_with("195 connections, 99 % of the 197 usable: past the 80 % warning line"),
        "{}",
        near[0].message
    );
    let rest = "api: { replicas: 2, requests: { cpus: 500m, memory: 512Mi }, autoscaling: { min: 2, max: 15 } }\n";
    assert!(fired(&plan(pool, rest), RuleId::ConnectionsNearLimit).is_empty());
}

#[test]
fn an_autoscaler_without_requests_and_limits_below_requests() {
    let pool = "{ name: p, nodes: 2, cpus: 16, memory: 64Gi }";
    let rest = "api: { replicas: 1, requests: { cpus: 500m }, autoscaling: { min: 1, max: 3 } }\n\
                runtime: { replicas: 1, requests: { cpus: 2, memory: 4Gi }, limits: { cpus: 1, memory: 8Gi } }\n";
    let p = plan(pool, rest);
    let missing = fired(&p, RuleId::RequestsMissing);
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].path, "api.reservations");
    assert!(missing[0].message.contains("requests no memory"), "{}", missing[0].message);
    let below = fired(&p, RuleId::LimitsBelowRequests);
    assert_eq!(below.len(), 1);
    assert_eq!(below[0].message, "runtime requests 2 CPUs but is limited to 1");
    // On Kubernetes the request is what was placed: the limit comes up to it.
    assert_eq!(
        below[0].fix.as_deref(),
        Some("raise runtime.limits.cpus to 2, or lower runtime.reservations.cpus to 1")
    );
    assert_eq!(below[0].changes, vec![PlanEdit::Cpus(ServiceKey::Runtime, Block::Limits, Cpus::whole(2))]);
    assert!(fired(&p, RuleId::ReservationAboveLimit).is_empty(), "the Compose rule is not the Kubernetes one");
}

#[test]
fn memory_limits_overcommitting_a_node_warn_and_cpu_limits_do_not() {
    let pool = "{ name: p, nodes: 1, cpus: 8, memory: 16Gi, allocatable: { cpus: 8, memory: 16Gi } }";
    // Four API pods requesting 1 GiB with 8 CPU and 5 GiB limits each: 20 GiB of limits on 16.
    let rest = "api: { replicas: 4, requests: { cpus: 1, memory: 1Gi }, limits: { cpus: 8, memory: 5Gi } }\nruntime: { replicas: 0 }\n";
    let found = fired(&plan(pool, rest), RuleId::NodeLimitsOvercommit);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("(the most, p-1: 125 % of what it offers pods)"), "{}", found[0].message);
    assert!(!found[0].message.contains("no memory limit"), "{}", found[0].message);
    // A service with no memory limit is counted at its request, and the message says so.
    let redis = "other_services: { redis: { replicas: 1, reservations: { memory: 128Mi } } }\n";
    let found = fired(&plan(pool, &format!("{rest}{redis}")), RuleId::NodeLimitsOvercommit);
    assert!(
        found[0].message.contains(
            "(the most, p-1: 125.8 % of what it offers pods); under load the kernel kills one; redis has no memory limit: counted at its request, though it may take all a node has"
        ),
        "{}",
        found[0].message
    );
    let rest = "api: { replicas: 4, requests: { cpus: 1, memory: 1Gi }, limits: { cpus: 8, memory: 4Gi } }\nruntime: { replicas: 0 }\n";
    assert!(fired(&plan(pool, rest), RuleId::NodeLimitsOvercommit).is_empty(), "32 CPUs of limits on 8 only throttle");
}

/// First fit decreasing would pack two API pods on one node; kube-scheduler spreads them, one
/// a node, so their limits overcommit nothing. A third pod shares a node: that one is past it.
#[test]
fn limits_overcommit_a_node_as_the_scheduler_spreads_the_pods() {
    let pool = "{ name: p, nodes: 2, cpus: 8, memory: 16Gi, allocatable: { cpus: 8, memory: 16Gi } }";
    let api = |replicas| {
        format!(
            "api: {{ replicas: {replicas}, requests: {{ cpus: 1, memory: 1Gi }}, limits: {{ cpus: 1, memory: 10Gi }} }}\nruntime: {{ replicas: 0 }}\n"
        )
    };
    assert!(fired(&plan(pool, &api(2)), RuleId::NodeLimitsOvercommit).is_empty(), "one pod a node: 10 of 16 GiB");
    // The figures say the same now as at the maximum: the spread, not the packing.
    let fit = analyze(&plan(pool, &api(2))).cluster.unwrap();
    assert!(fit.now.overcommitted.is_empty() && fit.at_maximum.overcommitted.is_empty(), "{fit:?}");
    let fit = analyze(&plan(pool, &api(3))).cluster.unwrap();
    assert_eq!(fit.now.overcommitted.len(), 1, "{fit:?}");
    assert_eq!(fit.now.overcommitted[0].memory_limits_share, 1.25);
    let found = fired(&plan(pool, &api(3)), RuleId::NodeLimitsOvercommit);
    assert_eq!(found.len(), 1);
    assert!(found[0].message.contains("overcommit 1 node(s) (the most, p-"), "{}", found[0].message);
    assert!(found[0].message.contains(": 125 % of what it offers pods)"), "{}", found[0].message);
}

#[test]
fn kubernetes_keys_belong_to_kubernetes_plans() {
    let bad = [
        ("cluster: { node_pools: [] }\n", "is for Kubernetes plans: add `platform: kubernetes`"),
        ("api: { autoscaling: { min: 1, max: 2 } }\n", "is for Kubernetes plans"),
        (
            "other_services: { web: { autoscaling: { min: 1, max: 2 } } }\n",
            "k.yaml:1:26: other_services.web.autoscaling: is for Kubernetes plans",
        ),
        (
            "platform: kubernetes\nother_services: { redis: { autoscaling: { min: 1, max: 2 } } }\ncluster: { node_pools: [{ name: a, nodes: 1, cpus: 4, memory: 8Gi }] }\n",
            "other_services.redis.autoscaling: the chart has no autoscaler for this service (only api, runtime and other_services.web)",
        ),
        (
            "platform: kubernetes\nother_services: { web: { replicas: 1, autoscaling: { min: 2, max: 3 } } }\ncluster: { node_pools: [{ name: a, nodes: 1, cpus: 4, memory: 8Gi }] }\n",
            "needs 1 ≤ min ≤ other_services.web.replicas ≤ max ≤ 1000, got min 2, replicas 1, max 3",
        ),
        ("platform: kubernetes\n", "needs a `cluster:` with at least one node pool"),
        (
            "platform: kubernetes\nhost: { cpus: 4, memory: 8G }\ncluster: { node_pools: [{ name: a, nodes: 1, cpus: 4, memory: 8Gi }] }\n",
            "not a host",
        ),
        (
            "platform: kubernetes\napi: { replicas: 5, autoscaling: { min: 1, max: 3 } }\ncluster: { node_pools: [{ name: a, nodes: 1, cpus: 4, memory: 8Gi }] }\n",
            "needs 1 ≤ min ≤ api.replicas ≤ max ≤ 1000, got min 1, replicas 5, max 3",
        ),
        (
            "platform: kubernetes\ncluster: { node_pools: [{ name: a, nodes: 1, cpus: 4, memory: 8Gi }, { name: a, nodes: 1, cpus: 4, memory: 8Gi }] }\n",
            "node pool names must be given and different",
        ),
        (
            "platform: kubernetes\ncluster: { node_pools: [{ name: a, nodes: 3, max_nodes: 2, cpus: 4, memory: 8Gi }] }\n",
            "nodes must be at most max_nodes",
        ),
    ];
    for (text, expected) in bad {
        let error = parse_plan("k.yaml", text).err().unwrap_or_else(|| panic!("accepted:\n{text}")).to_string();
        assert!(error.contains(expected), "{text}\n→ {error}");
    }
}

#[test]
fn the_kubernetes_preset_passes_its_own_check() {
    let loaded = flowcap::model::presets::load_preset("kubernetes-large").unwrap();
    let found = evaluate(&loaded.plan, &analyze(&loaded.plan));
    assert!(found.is_empty(), "{found:?}");
    let a = analyze(&loaded.plan);
    let fit = a.cluster.unwrap();
    // Now: 3 API + 6 runtimes + web, redis, prometheus, grafana, tempo.
    assert_eq!((fit.now.pods, fit.now.placed, fit.now.nodes), (14, 14, 3));
    assert_eq!((fit.at_maximum.pods, fit.at_maximum.placed, fit.at_maximum.nodes), (27, 27, 6));
    assert_eq!(a.at_maximum.unwrap().concurrent_executions, 240);
}

fn values(files: &[(&str, &str)]) -> Result<Plan, flowcap::io::error::InputError> {
    let files: Vec<ValuesFile> =
        files.iter().map(|(name, text)| ValuesFile { name: name.to_string(), text: text.to_string() }).collect();
    import(&files).map(|imported| imported.plan)
}

#[test]
fn values_files_merge_over_the_charts_defaults_as_helm_merges_them() {
    // The chart's defaults alone: one API and one executor pod, CockroachDB, Redis, the
    // monitoring stack with tracing, no Job backend.
    let plan = values(&[]).unwrap();
    assert_eq!((plan.api.replicas, plan.runtime.replicas), (1, 1));
    assert_eq!(plan.api.reservations.cpus, Some(Cpus(100)));
    assert_eq!(plan.api.limits.memory, Some(Bytes::gib(1)));
    assert_eq!(plan.other_services.get("cockroachdb").map(|s| s.replicas), Some(3));
    let names: Vec<&str> = plan.other_services.keys().map(String::as_str).collect();
    assert_eq!(names, ["cockroachdb", "grafana", "prometheus", "redis", "tempo", "web"]);
    assert!(plan.jobs.is_none());

    // Later files win; a null removes the chart's default; an HPA starts at its minimum.
    let first = "api:\n  replicaCount: 2\n  resources:\n    limits: null\nexecution:\n  asyncBackend: kubernetes_job\n";
    let second = "api:\n  replicaCount: 4\n  autoscaling:\n    enabled: true\n    minReplicas: 3\n    maxReplicas: 8\n\
                  monitoring:\n  enabled: false\ndatabase:\n  type: external\nexecutor:\n  maxConcurrentJobs: 25\n";
    let plan = values(&[("a.yaml", first), ("b.yaml", second)]).unwrap();
    // replicaCount 4 stands within the autoscaler's bounds (3 to 8).
    assert_eq!(plan.api.replicas, 4);
    assert_eq!(plan.api.autoscaling.map(|a| (a.min, a.max, a.target_cpu_percent)), Some((3, 8, Some(70))));
    assert_eq!(plan.api.limits, flowcap::model::resources::Resources::default());
    assert_eq!(plan.jobs.map(|j| j.max_concurrent), Some(25));
    let names: Vec<&str> = plan.other_services.keys().map(String::as_str).collect();
    assert_eq!(names, ["redis", "web"]);
}

#[test]
fn a_bad_value_is_named_at_its_place_in_the_file_that_set_it() {
    let error = values(&[
        ("a.yaml", "api:\n  replicaCount: 2\n"),
        ("b.yaml", "web: {}\napi:\n  resources:\n    requests:\n      cpu: lots\n"),
    ])
    .unwrap_err();
    assert_eq!(error.location().file, "b.yaml");
    assert_eq!((error.location().line, error.location().column), (Some(5), Some(7)));
    // The value itself is not repeated: values files hold secrets.
    assert_eq!(
        error.message(),
        "api.resources.requests.cpu: must be a Kubernetes quantity such as 250m or 2 (CPU), 512Mi or 2G (memory)"
    );
    let error = values(&[("c.yaml", "- a list\n")]).unwrap_err();
    assert_eq!(error.message(), "Helm values are a mapping of keys");
    let error = values(&[("d.yaml", "api: {replicaCount: [\n")]).unwrap_err();
    assert_eq!(error.kind(), "syntax");
}

#[test]
fn solve_sizes_the_executor_pools_maximum_and_the_nodes_that_place_it() {
    use flowcap::analysis::solve::{Outcome, solve};
    // 600 runs a minute of 30 s: 300 Erlangs. At 10 executions a pod, flowcap's default target
    // (p95 wait ≤ 3 s) takes 32 pods; pods of 4 CPUs fit three to a 16-CPU node (15.89
    // allocatable), so 11 nodes, the API's two small pods beside them.
    let pool = "{ name: general, nodes: 3, max_nodes: 4, cpus: 16, memory: 64Gi }";
    let rest = "api: { replicas: 2, requests: { cpus: 500m, memory: 512Mi }, limits: { cpus: 2, memory: 2Gi } }\n\
                runtime: { replicas: 4, max_concurrent_executions: 10, requests: { cpus: 4, memory: 8Gi }, \
                limits: { cpus: 4, memory: 8Gi }, autoscaling: { min: 4, max: 8 } }\n\
                workload: { arrivals_per_minute: 600, mean_duration: 30s }\n";
    let p = plan(pool, rest);
    // The workload figures are those of the peak: the autoscaler's maximum, 8 pods.
    assert_eq!(analyze(&p).queued.unwrap().waits.slots, 80);
    let Outcome::Cluster(sizing) = solve(&p) else { panic!("{:?}", solve(&p)) };
    assert_eq!((sizing.executors, sizing.nodes, sizing.waits.slots), (32, 11, 320));
    // The answer says first that the pool takes none of these runs.
    let said = flowcap::report::solve::render(&p, &solve(&p));
    assert!(said.contains("note: the chart's executor pool runs no queue worker"), "{said}");
    let sized = sizing.apply(&p);
    assert_eq!(sized.runtime.autoscaling.unwrap().max, 32);
    assert_eq!(sized.cluster.as_ref().unwrap().node_pools[0].max_nodes, Some(11));
    // Sized and placed; but the chart's executor pool runs no queue worker, so the queued runs
    // are never consumed, and that is the one thing said.
    let rules: Vec<RuleId> = evaluate(&sized, &analyze(&sized)).iter().map(|f| f.rule).collect();
    assert_eq!(rules, [RuleId::QueuedRunsNotConsumed]);
    // One node fewer strands a pod at the maximum.
    let mut short = sized.clone();
    short.cluster.as_mut().unwrap().node_pools[0].max_nodes = Some(10);
    assert_eq!(fired(&short, RuleId::PodsUnschedulable).len(), 1);
    assert!(matches!(solve(&sized), Outcome::AlreadyMet(_)));
}

/// HTTP runs reach the executor pool through its Service: 120 a minute of 20 s on 4 pods of
/// 2 GiB (8 runs of 256 MiB each) put some pod past its memory most of the peak. Solve grows the
/// pool until that is under the policy's line, as on a host; the queued path alone would call
/// the plan met.
#[test]
fn solve_sizes_the_executor_pool_for_the_streaming_memory_risk_too() {
    use flowcap::analysis::solve::{Outcome, solve};
    let pool = "{ name: general, nodes: 3, max_nodes: 4, cpus: 16, memory: 64Gi }";
    let rest = "api: { replicas: 2, requests: { cpus: 500m, memory: 512Mi }, limits: { cpus: 2, memory: 2Gi } }\n\
                runtime: { replicas: 2, max_concurrent_executions: 10, requests: { cpus: 1, memory: 2Gi }, \
                limits: { cpus: 2, memory: 2Gi }, autoscaling: { min: 2, max: 4 } }\n\
                workload: { streaming: { arrivals_per_minute: 120, mean_duration: 20s, memory_per_execution: 256Mi } }\n";
    let p = plan(pool, rest);
    assert_eq!(fired(&p, RuleId::StreamingMemoryRisk).len(), 1);
    let Outcome::Cluster(sizing) = solve(&p) else { panic!("{:?}", solve(&p)) };
    let sized = sizing.apply(&p);
    let streaming = |p: &Plan| {
        [RuleId::StreamingMemoryRisk, RuleId::StreamingMemoryTight].iter().map(|&r| fired(p, r).len()).sum::<usize>()
    };
    assert_eq!(streaming(&sized), 0, "{sizing:?}");
    // The fewest such pods: one fewer is past the policy's warning line.
    let mut fewer = sized.clone();
    fewer.runtime.autoscaling.as_mut().unwrap().max = sizing.executors - 1;
    assert_eq!(fired(&fewer, RuleId::StreamingMemoryTight).len(), 1, "{}", sizing.executors);
    assert!(matches!(solve(&sized), Outcome::AlreadyMet(_)));
    let said = flowcap::report::solve::render(&p, &solve(&p));
    assert!(said.contains("~ streaming past a pod's memory fit     98.77 % → "), "{said}");
}

/// Packed largest first the pods fit three nodes, but with the API's pods first the scheduler
/// strands the runtime's: solve sizes for every order, not the best one.
#[test]
fn solve_sizes_the_nodes_for_every_order_the_scheduler_may_meet() {
    use flowcap::analysis::solve::{Outcome, solve};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("docs/examples/rules/pods-pending-in-some-order.yaml")).unwrap();
    let text = format!("{text}workload: {{ queued: {{ arrivals_per_minute: 6, mean_duration: 30s }} }}\n");
    let p = parse_plan("p.yaml", &text).unwrap().plan;
    assert_eq!(fired(&p, RuleId::PodsPendingInSomeOrder).len(), 1);
    let Outcome::Cluster(sizing) = solve(&p) else { panic!("{:?}", solve(&p)) };
    assert_eq!(sizing.nodes, 4);
    let sized = sizing.apply(&p);
    assert!(fired(&sized, RuleId::PodsPendingInSomeOrder).is_empty());
    assert!(matches!(solve(&sized), Outcome::AlreadyMet(_)));
}

#[test]
fn values_are_read_as_kubernetes_reads_them() {
    // Decimal units are decimal: 2100M is 1.96 GiB, under a 2Gi limit. Limits without
    // requests are the requests. The API's autoscaler renders a metric only for a target that
    // is set: CPU-only, it has no memory target. "3" and 3.0 are 3.
    let text = "api:\n  replicaCount: \"3\"\n  resources:\n    requests: { cpu: 1500m, memory: 2100M }\n    limits: { cpu: \"2\", memory: 2Gi }\n  \
                autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 6, targetMemoryUtilization: null }\n\
                executorPool:\n  replicaCount: 3.0\n  resources:\n    requests: null\n    limits: { cpu: 4, memory: 8Gi }\n  \
                autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 6 }\n";
    let mut plan = values(&[("v.yaml", text)]).unwrap();
    assert_eq!(plan.api.replicas, 3);
    assert_eq!(plan.api.reservations.memory, Some(Bytes(2_100_000_000)));
    assert_eq!(plan.runtime.reservations, flowcap::model::resources::Resources::default());
    let hpa = plan.api.autoscaling.unwrap();
    assert_eq!((hpa.target_cpu_percent, hpa.target_memory_percent), (Some(70), None));
    // The executor pool's template renders both metrics whatever they are: unset or 0 is an
    // HPA the API server refuses, so bad input where it stands.
    for target in ["targetMemoryUtilization: null", "targetCPUUtilization: 0"] {
        let text = format!("executorPool:\n  autoscaling: {{ enabled: true, {target} }}\n");
        let error = values(&[("v.yaml", &text)]).unwrap_err().to_string();
        assert!(
            error.contains("v.yaml:2:33: executorPool.autoscaling.")
                && error.contains("the chart's executor-pool autoscaler renders this metric whether or not it is set"),
            "{error}"
        );
    }
    // A plan for the chart likewise.
    let plan_text = "platform: kubernetes\npostgres: { external: true }\nruntime:\n  replicas: 2\n  autoscaling: \
                     { min: 2, max: 4, target_cpu_percent: 70, target_memory_percent: null }\ncluster:\n  node_pools:\n    \
                     - { name: n, nodes: 2, cpus: 8, memory: 32Gi }\n";
    let error = flowcap::model::load::parse_plan("p.yaml", plan_text).unwrap_err().to_string();
    assert!(
        error.contains("p.yaml:5:3: runtime.autoscaling: the chart's executor-pool autoscaler renders both"),
        "{error}"
    );
    let hpa = plan.runtime.autoscaling.unwrap();
    assert_eq!((hpa.target_cpu_percent, hpa.target_memory_percent), (Some(70), Some(80)));
    plan.cluster = Some(flowcap::model::cluster::Cluster {
        node_pools: vec![flowcap::model::cluster::NodePool {
            allocatable: Some(flowcap::model::resources::Resources {
                cpus: Some(Cpus::whole(16)),
                memory: Some(Bytes::gib(64)),
            }),
            ..flowcap::model::cluster::NodePool::new("n", 2, Cpus::whole(16), Bytes::gib(64))
        }],
        ..Default::default()
    });
    let found: Vec<String> = evaluate(&plan, &analyze(&plan)).iter().map(|f| f.rule.as_str().to_string()).collect();
    assert!(
        !found.iter().any(|r| r == RuleId::LimitsBelowRequests.as_str() || r == RuleId::RequestsMissing.as_str()),
        "{found:?}"
    );
    // The executor pods request their limits: 3 × 4 CPUs.
    let runtime_cpus: u64 = flowcap::analysis::placement::pods(&plan, flowcap::analysis::placement::Scale::Now)
        .iter()
        .filter(|g| g.workload == "runtime")
        .map(|g| u64::from(g.count) * g.cpu_request)
        .sum();
    assert_eq!(runtime_cpus, 12_000);
}

#[test]
fn a_jobs_only_deployment_has_execution_slots() {
    let pool = "{ name: p, nodes: 2, cpus: 16, memory: 64Gi }";
    let rest = "runtime: { replicas: 0 }\njobs: { max_concurrent: 20 }\n";
    assert!(fired(&plan(pool, rest), RuleId::NoExecutionSlots).is_empty());
    assert_eq!(analyze(&plan(pool, rest)).at_maximum.unwrap().concurrent_executions, 20);
}

#[test]
fn export_helm_keeps_the_operators_values_and_saves_the_plan_on_request() {
    let dir = tempdir("helm-cli");
    let own = "api:\n  replicaCount: 2\ndatabase:\n  type: external\n";
    std::fs::write(dir.join("values.yaml"), own).unwrap();
    // Never over the operator's values, even with --force.
    flowcap()
        .current_dir(&dir)
        .args([
            "export",
            "--helm",
            "--preset",
            "kubernetes-large",
            "--helm-values",
            "values.yaml",
            "-o",
            "values.yaml",
            "--force",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is a Helm values file this command reads"));
    assert_eq!(std::fs::read_to_string(dir.join("values.yaml")).unwrap(), own);
    // Beside them, with the plan saved; then again, reading flowcap's own values too.
    for again in [false, true] {
        let mut export = flowcap();
        export.current_dir(&dir).args([
            "export",
            "--helm",
            "--preset",
            "kubernetes-large",
            "--helm-values",
            "values.yaml",
        ]);
        if again {
            export.args(["--helm-values", "values-flowcap.yaml"]);
        }
        export.args(["-o", "values-flowcap.yaml", "--save-plan", "plan.yaml"]).assert().success().stderr(
            predicates::str::contains(
                "apply with: helm upgrade --install RELEASE CHART -f values.yaml -f values-flowcap.yaml\n\
                 note: give helm every other values file you pass it too (your secrets), in your order, before flowcap's\n",
            ),
        );
    }
    let saved = flowcap::model::load::load_plan_file(&dir.join("plan.yaml")).unwrap().plan;
    assert_eq!(saved, flowcap::model::presets::load_preset("kubernetes-large").unwrap().plan);
}

#[test]
fn what_the_values_switch_on_and_the_plan_lacks_is_drift_with_the_switch_as_fix() {
    let dir = tempdir("helm-drift");
    // The chart's defaults run CockroachDB; the preset plans an external database.
    std::fs::write(dir.join("values.yaml"), "monitoring:\n  tracing:\n    enabled: true\n").unwrap();
    let output = flowcap()
        .current_dir(&dir)
        .args(["--check", "--preset", "kubernetes-large", "--helm-values", "values.yaml", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let drift: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == RuleId::Drift.as_str())
        .map(|f| (f["path"].as_str().unwrap(), f["fix"].as_str().unwrap()))
        .collect();
    assert!(
        drift.contains(&(
            "other_services.cockroachdb",
            "switch it off in your own values (it runs with database.type: internal), or add it to the plan"
        )),
        "{drift:?}"
    );
}

#[test]
fn a_secret_aliased_into_a_quantity_never_shows() {
    let dir = tempdir("helm-secret");
    let canary = "CANARY-7f3a9-SECRET";
    std::fs::write(
        dir.join("secrets.yaml"),
        format!("jwt:\n  backendKey: &key {canary}\napi:\n  resources:\n    requests:\n      cpu: *key\n"),
    )
    .unwrap();
    for format in ["human", "json", "sarif", "junit", "github"] {
        let output = flowcap()
            .current_dir(&dir)
            .args([
                "--check",
                "--helm-values",
                "secrets.yaml",
                "--nodes",
                "3",
                "--node-cpus",
                "8",
                "--node-memory",
                "32Gi",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let all = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(!all.contains(canary), "{format}: {all}");
        assert!(all.contains("secrets.yaml:6:7"), "{format}: {all}");
    }
}

#[test]
fn cluster_flags_belong_to_kubernetes() {
    flowcap()
        .args(["--check", "--preset", "medium", "--nodes", "3", "--node-cpus", "8", "--node-memory", "32Gi"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--nodes: is for Kubernetes plans"));
}

#[test]
fn the_finding_formats_carry_the_cluster_figures() {
    for (format, expected) in [
        (
            "github",
            "cluster_pods_unplaced_at_maximum=0, concurrent_executions_at_maximum=240, connections_used_at_maximum=105",
        ),
        ("sarif", "\"cluster_cpu_requests_share\": \"0.5267\""),
        ("junit", "name=\"cluster_pods_unplaced_now\" value=\"0\""),
    ] {
        let output = flowcap().args(["--check", "--preset", "kubernetes-large", "--format", format]).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains(expected), "{format}: {stdout}");
    }
}

#[test]
fn solve_sizes_a_jobs_only_deployment_by_its_job_cap_and_a_fixed_pool_now() {
    use flowcap::analysis::solve::{Outcome, solve};
    let pool = "{ name: general, nodes: 2, max_nodes: 3, cpus: 16, memory: 64Gi }";
    // Every execution a Job of 500m: 300 Erlangs take the cap past 300.
    let rest = "runtime: { replicas: 0 }\napi: { replicas: 1 }\n\
                jobs: { max_concurrent: 100, requests: { cpus: 500m, memory: 256Mi } }\n\
                workload: { arrivals_per_minute: 600, mean_duration: 30s }\n";
    let p = plan(pool, rest);
    assert_eq!(analyze(&p).queued.unwrap().waits.slots, 100, "the Job cap serves the workload");
    let Outcome::Cluster(sizing) = solve(&p) else { panic!("{:?}", solve(&p)) };
    assert!(sizing.jobs);
    let sized = sizing.apply(&p);
    let cap = sized.jobs.unwrap().max_concurrent;
    assert!(cap > 300 && sizing.waits.slots == u64::from(cap), "{cap}");
    assert!(analyze(&sized).queued.unwrap().target_met != Some(false));
    assert!(fired(&sized, RuleId::JobCapExceedsCluster).is_empty(), "{:?}", evaluate(&sized, &analyze(&sized)));
    assert_eq!(sizing.changes(&p)[0].path(), "jobs.max_concurrent");

    // Without an autoscaler the runtimes run now: the nodes must be there now, not at most.
    let rest = "api: { replicas: 1 }\nruntime: { replicas: 2, max_concurrent_executions: 10, requests: { cpus: 4, memory: 8Gi } }\n\
                workload: { arrivals_per_minute: 600, mean_duration: 30s }\n";
    let p = plan(pool, rest);
    let Outcome::Cluster(sizing) = solve(&p) else { panic!("{:?}", solve(&p)) };
    let sized = sizing.apply(&p);
    assert_eq!(sized.runtime.replicas, 32);
    assert!(fired(&sized, RuleId::PodsUnschedulable).is_empty(), "{:?}", evaluate(&sized, &analyze(&sized)));
    let pool = &sized.cluster.as_ref().unwrap().node_pools[0];
    assert_eq!((pool.nodes, pool.max_nodes), (11, Some(11)));
}

#[test]
fn values_read_back_what_export_wrote_and_what_helm_reads() {
    // Replicas above the autoscaler's minimum survive the round trip; merge keys and YAML
    // 1.1 booleans are read as Helm reads them.
    let text = "x-base: &base\n  replicaCount: 5\napi:\n  <<: *base\n  autoscaling: { enabled: yes, minReplicas: 3, maxReplicas: 8 }\n";
    let plan = values(&[("v.yaml", text)]).unwrap();
    assert_eq!((plan.api.replicas, plan.api.autoscaling.map(|a| a.min)), (5, Some(3)));
    // An autoscaler needs a metric.
    let text = "platform: kubernetes\napi: { autoscaling: { min: 1, max: 3, target_cpu_percent: null, target_memory_percent: null } }\n\
                cluster: { node_pools: [{ name: a, nodes: 1, cpus: 4, memory: 8Gi }] }\n";
    let error = parse_plan("k.yaml", text).unwrap_err().to_string();
    assert!(error.contains("needs a CPU or a memory target"), "{error}");
}

#[test]
fn kubernetes_drift_fixes_name_what_the_operator_changes() {
    let dir = tempdir("helm-drift-fixes");
    std::fs::write(
        dir.join("values.yaml"),
        "executorPool:\n  enabled: false\ndatabase:\n  type: external\nweb:\n  enabled: false\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("plan.yaml"),
        "platform: kubernetes\npostgres: { external: false }\ncluster: { node_pools: [{ name: a, nodes: 2, cpus: 16, memory: 64Gi }] }\n\
         other_services: { web: { requests: { cpus: 10m, memory: 64Mi } } }\n",
    )
    .unwrap();
    let output = flowcap()
        .current_dir(&dir)
        .args(["--check", "plan.yaml", "--helm-values", "values.yaml", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let fix = |path: &str| -> String {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == RuleId::Drift.as_str() && f["path"] == path)
            .map_or_else(|| format!("no drift on {path}: {report}"), |f| f["fix"].as_str().unwrap().to_string())
    };
    assert_eq!(
        fix("runtime.replicas"),
        "switch it on in your own values (it runs with executorPool.enabled: true), or remove it from the plan"
    );
    assert!(fix("postgres.external").starts_with("the chart runs no PostgreSQL"), "{}", fix("postgres.external"));
    assert!(!report.to_string().contains("\"path\":\"monitoring\""), "monitoring is the compose profile's");
    // A component switched off is said where its switch is.
    let web = report["findings"].as_array().unwrap().iter().find(|f| f["path"] == "other_services.web").unwrap();
    assert_eq!(web["message"], "other_services.web: the deployment has no such service, the plan a service");
    assert_eq!(
        (web["file"].as_str(), web["line"].as_u64(), web["column"].as_u64()),
        (Some("values.yaml"), Some(6), Some(3))
    );
}

#[test]
fn two_outputs_at_one_path_are_refused() {
    let dir = tempdir("helm-same");
    flowcap()
        .current_dir(&dir)
        .args(["export", "--helm", "--preset", "kubernetes-large", "-o", "same.yaml", "--save-plan", "same.yaml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is named for two outputs"));
    assert!(!dir.join("same.yaml").exists());
}

#[test]
fn a_workload_fix_that_would_overcommit_a_node_says_so_and_carries_no_edits() {
    // Runtime pods request 1 GiB but may use 8: placed by their requests, three or more share a
    // node whose memory their limits overcommit. The sizing places every pod; it is no fix alone.
    let pool = "{ name: general, nodes: 1, max_nodes: 2, cpus: 16, memory: 16Gi }";
    let rest = "api: { replicas: 1, requests: { cpus: 500m, memory: 512Mi }, limits: { cpus: 1, memory: 1Gi } }\n\
                runtime: { replicas: 1, max_concurrent_executions: 10, requests: { cpus: 1, memory: 1Gi }, \
                limits: { cpus: 1, memory: 8Gi }, autoscaling: { min: 1, max: 1 } }\n\
                workload: { arrivals_per_minute: 120, mean_duration: 30s }\n";
    let p = plan(pool, rest);
    assert!(fired(&p, RuleId::NodeLimitsOvercommit).is_empty());
    let loaded = crate::common::loaded(p, "k.yaml");
    let report = flowcap::report::Report::new(&loaded, flowcap::analysis::rules::Severity::Error);
    let workload = report.findings.iter().find(|f| f.finding.rule.is_workload()).expect("the workload is missed");
    let fix = workload.finding.fix.as_deref().unwrap();
    assert!(fix.starts_with("set runtime.autoscaling.max to "), "{fix}");
    assert!(fix.contains(" — but that alone brings: at the maximum the pods' memory limits overcommit"), "{fix}");
    assert!(workload.finding.changes.is_empty(), "{:?}", workload.finding.changes);
}

/// HTTP runs reach the executor pool through its Service, spread evenly over its pods at the
/// autoscaler's maximum, never a Job: with the Job backend the pool's pods still take them.
#[test]
fn streaming_runs_spread_over_the_executor_pool_through_its_service() {
    let pool = "{ name: general, nodes: 4, cpus: 16, memory: 64Gi }";
    let rest = "runtime: { replicas: 2, requests: { cpus: 1, memory: 2Gi }, limits: { cpus: 2, memory: 4Gi }, \
                autoscaling: { min: 2, max: 4 } }\n\
                jobs: { max_concurrent: 50 }\n\
                workload:\n  streaming: { arrivals_per_minute: 96, mean_duration: 30s, memory_per_execution: 512Mi }\n";
    let p = plan(pool, rest);
    let streaming = analyze(&p).streaming.unwrap();
    // 48 in flight over 4 pods (Kubernetes: even, whatever http_routing says): 12 each; a 4 GiB
    // pod fits 8 of them.
    assert_eq!(streaming.runtimes_reached, 4);
    assert_eq!((streaming.mean_per_runtime, streaming.memory_fit_per_runtime), (12.0, Some(8)));
    assert_eq!(fired(&p, RuleId::StreamingMemoryRisk).len(), 1);
    assert!(fired(&p, RuleId::StreamingOneRuntime).is_empty());
    // Streaming runs are not queued: nothing to consume on Kubernetes either.
    assert!(fired(&p, RuleId::QueuedRunsNotConsumed).is_empty());
}

/// The chart's Redis is `redis-server --appendonly yes` and nothing else (templates/redis.yaml):
/// no maxmemory, and only a request by default. Its values cannot give it a maxmemory, so the
/// fix on Kubernetes names the limit, and no fix sets a maxmemory the chart would not render.
#[test]
fn the_charts_redis_runs_without_maxmemory_and_only_its_limit_can_bound_it() {
    let plan = values(&[]).unwrap();
    let redis = plan.redis.clone().expect("the chart runs Redis");
    assert!(redis.appendonly);
    assert_eq!(redis.maxmemory, None);
    let unbounded = fired(&plan, RuleId::RedisUnbounded);
    assert_eq!(unbounded.len(), 1);
    let fix = unbounded[0].fix.as_deref().unwrap();
    assert!(fix.starts_with("set redis.master.resources.limits.memory"), "{fix}");
    assert!(!fix.contains("flowcap export writes"), "{fix}");

    let limited =
        values(&[("v.yaml", "redis:\n  master:\n    resources:\n      limits:\n        memory: 1Gi\n")]).unwrap();
    assert!(fired(&limited, RuleId::RedisUnbounded).is_empty());
    let no_max = fired(&limited, RuleId::RedisNoMaxmemory);
    assert_eq!(no_max.len(), 1);
    assert!(no_max[0].changes.is_empty(), "a maxmemory the chart cannot render: {:?}", no_max[0].changes);
    assert!(no_max[0].fix.as_deref().unwrap().contains("redis.enabled: false"));

    // Without the chart's Redis there is nothing of it to plan.
    let external = values(&[("v.yaml", "redis:\n  enabled: false\n")]).unwrap();
    assert_eq!(external.redis, None);
}

/// The nodes the fix sets place every pod in every order: with the web app's 3 pods of 2 CPUs
/// beside the API's, the six met before the runtime take one node each, and the runtime's 6
/// CPUs need a 7th node (4 more), though the API then runtime order needs only 1 more. Where
/// the pool has an autoscaler's maximum, it rises by as many.
#[test]
fn the_spread_fix_sets_the_nodes_every_order_needs_and_they_are_enough() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("docs/examples/rules/pods-pending-in-some-order.yaml")).unwrap();
    let text = format!(
        "{}other_services:\n  web: {{ replicas: 3, requests: {{ cpus: 2, memory: 1Gi }}, limits: {{ cpus: 2, memory: 1Gi }} }}\n",
        text.replace("nodes: 3,", "nodes: 3, max_nodes: 5,")
    );
    let p = parse_plan("p.yaml", &text).unwrap().plan;
    let found = fired(&p, RuleId::PodsPendingInSomeOrder);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.starts_with("1 runtime pod(s) stay Pending now when api's pods come before"), "{found:?}");
    assert!(
        found[0].fix.as_deref().unwrap().contains(
            "the spread costs 4 node(s) in every order; set cluster.node_pools.0.nodes to 7 and cluster.node_pools.0.max_nodes to 9"
        ),
        "{found:?}"
    );
    let fixed = crate::common::with_fix(&p, &found[0]);
    assert!(fired(&fixed, RuleId::PodsPendingInSomeOrder).is_empty());
    // One node fewer strands the runtime in some order still.
    let mut short = fixed.clone();
    short.cluster.as_mut().unwrap().node_pools[0].nodes = 6;
    assert_eq!(fired(&short, RuleId::PodsPendingInSomeOrder).len(), 1);
}

/// The chart's executor pool runs no queue worker: queued runs never sit on its pods, so its
/// memory fit for streaming runs is the same with or without them. Compose's runtimes hold
/// their queued slots first.
#[test]
fn queued_runs_take_no_memory_on_the_executor_pools_pods() {
    let mut plan = flowcap::model::presets::load_preset("kubernetes-large").unwrap().plan;
    let streaming = "streaming: { arrivals_per_minute: 300, mean_duration: 30s, memory_per_execution: 512Mi }";
    let with_queued = format!(
        "{{ {streaming}, queued: {{ arrivals_per_minute: 60, mean_duration: 30s, memory_per_execution: 256Mi }} }}"
    );
    let fit = |plan: &Plan| analyze(plan).streaming.unwrap().memory_fit_per_runtime.unwrap();
    plan.workload = Some(serde_yaml::from_str(&format!("{{ {streaming} }}")).unwrap());
    let alone = fit(&plan);
    plan.workload = Some(serde_yaml::from_str(&with_queued).unwrap());
    assert_eq!(fit(&plan), alone);
    assert!(!fired(&plan, RuleId::StreamingMemoryRisk).iter().any(|f| f.message.contains("queued")));
    // 16 GiB holds 32 runs of 512 MiB; under Compose the 20 queued slots of 256 MiB come
    // first: 10 runs fewer.
    plan.platform = flowcap::model::cluster::Platform::Compose;
    plan.cluster = None;
    assert_eq!(plan.runtime.max_concurrent_executions, 20);
    assert_eq!((alone, fit(&plan)), (32, 22));
}

/// The workloads met before the one left Pending, said as a list.
#[test]
fn the_order_that_strands_a_pod_names_the_workloads_before_it() {
    let p = parse_plan(
        "p.yaml",
        "platform: kubernetes\npostgres: { external: true, max_connections: 100 }\n\
         cluster: { node_pools: [{ name: a, nodes: 2, cpus: 4, memory: 16Gi, allocatable: { cpus: 3500m, memory: 16Gi } }] }\n\
         api: { replicas: 1, requests: { cpus: 1, memory: 1Gi } }\n\
         runtime: { replicas: 1, requests: { cpus: 3, memory: 1Gi } }\n\
         other_services: { web: { requests: { cpus: 1, memory: 1Gi } }, redis: { replicas: 0 } }\n",
    )
    .unwrap()
    .plan;
    // A workload at 0 pods is no one the scheduler meets: 3 workloads, 6 orders.
    let scheduling = analyze(&p).cluster.unwrap().scheduling;
    assert_eq!(scheduling.orders, 6);
    assert_eq!(scheduling.now.unwrap().order, ["api", "other_services.web", "runtime"]);
    let found = fired(&p, RuleId::PodsPendingInSomeOrder);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .message
            .starts_with("1 runtime pod(s) stay Pending now when the pods of api and web come before runtime's:"),
        "{}",
        found[0].message
    );
}

/// A node is overcommitted when its pods' limits add up past what it offers pods, by CPU or by
/// memory; limits that add up to exactly what it offers are not.
#[test]
fn limits_exactly_at_a_nodes_offer_do_not_overcommit_it() {
    let on_one_node = |limits: &str| {
        parse_plan(
            "p.yaml",
            &format!(
                "platform: kubernetes\npostgres: {{ external: true, max_connections: 100 }}\n\
                 cluster: {{ node_pools: [{{ name: p, nodes: 1, cpus: 4, memory: 16Gi, allocatable: {{ cpus: 4, memory: 16Gi }} }}] }}\n\
                 api: {{ replicas: 1, requests: {{ cpus: 1, memory: 1Gi }}, limits: {limits} }}\n\
                 runtime: {{ replicas: 0 }}\n"
            ),
        )
        .unwrap()
        .plan
    };
    let overcommitted = |limits: &str| analyze(&on_one_node(limits)).cluster.unwrap().now.overcommitted;
    assert_eq!(overcommitted("{ cpus: 4, memory: 16Gi }"), []);
    let over = overcommitted("{ cpus: 5, memory: 16Gi }");
    assert_eq!((over.len(), over[0].cpu_limits_share, over[0].memory_limits_share), (1, 1.25, 1.0));
    let over = overcommitted("{ cpus: 4, memory: 20Gi }");
    assert_eq!((over.len(), over[0].cpu_limits_share, over[0].memory_limits_share), (1, 1.0, 1.25));
    // Nothing scales: the maximum is now, and not said.
    let found = fired(&on_one_node("{ cpus: 4, memory: 20Gi }"), RuleId::NodeLimitsOvercommit);
    assert!(
        found[0].message.starts_with("the pods' memory limits overcommit 1 node(s) (the most, p-1: 125 %"),
        "{found:?}"
    );
}

/// The scheduler's spread in the two orders the fit tries: largest first, the runtime of 6.5
/// CPUs takes a node before the API's three pods of 2 spread; smallest first, they spread over
/// all three nodes first and leave the runtime 6 CPUs on any.
#[test]
fn the_spread_largest_first_and_smallest_first() {
    use flowcap::analysis::placement::Scale;
    use flowcap::analysis::pod_workloads::spread;
    use flowcap::analysis::scheduler::Ties;
    let p = parse_plan(
        "p.yaml",
        "platform: kubernetes\npostgres: { external: true, max_connections: 100 }\n\
         cluster: { node_pools: [{ name: p, nodes: 3, cpus: 8, memory: 32Gi, allocatable: { cpus: 8, memory: 32Gi } }] }\n\
         api: { replicas: 3, requests: { cpus: 2, memory: 1Gi } }\n\
         runtime: { replicas: 1, requests: { cpus: 6500m, memory: 1Gi } }\n",
    )
    .unwrap()
    .plan;
    let cluster = p.cluster.as_ref().unwrap();
    let pending = |way| {
        spread(cluster, &p, Scale::Now, way).pending.iter().map(|p| (p.workload.clone(), p.pods)).collect::<Vec<_>>()
    };
    assert_eq!(pending((true, Ties::First)), []);
    assert_eq!(pending((false, Ties::First)), [("runtime".to_string(), 1)]);
}
