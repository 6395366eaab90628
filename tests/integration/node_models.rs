//! What a node offers by provider (each formula at points its source gives), and where a pod
//! may go: nodeSelector, required node affinity and taints, computed by hand.

use crate::common::{flowcap, tempdir};

use flowcap::analysis::figures::analyze;
use flowcap::analysis::node_model::{aks, allocatable, eks, generic, gke};
use flowcap::analysis::rules::{RuleId, evaluate};
use flowcap::model::cluster::Cluster;
use flowcap::model::load::parse_plan;
use flowcap::model::plan::Plan;
use flowcap::model::units::{Bytes, Cpus};

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

fn plan(text: &str) -> Plan {
    parse_plan("k.yaml", text).unwrap_or_else(|e| panic!("{e}\n{text}")).plan
}

#[test]
fn eks_reserves_by_the_ami_and_takes_max_pods_from_the_instance_type() {
    // m5.large: 3 ENIs × (10 − 1) + 2 = 29 pods; 11 × 29 + 255 = 574 MiB, plus 100 MiB.
    let p = plan(
        "platform: kubernetes\npostgres: { external: true }\ncluster:\n  provider: eks\n  node_pools:\n    \
         - { name: ng, nodes: 1, cpus: 2, memory: 8Gi, instance_type: m5.large }\n",
    );
    let cluster = p.cluster.as_ref().unwrap();
    assert_eq!(cluster.max_pods(&cluster.node_pools[0]), 29);
    assert_eq!(allocatable(cluster, &cluster.node_pools[0]), (Cpus(1_930), Bytes(8 * GIB - 674 * MIB)));
    // The AMI rounds each CPU band down: 2.5 CPUs reserve 60 + 10 + ⌊2.5⌋ = 72m; GKE rounds
    // the sum up, 72.5 → 73m.
    assert_eq!(eks(Cpus(2_500), Bytes::gib(8), 29).0, Cpus(2_428));
    assert_eq!(gke(Cpus(2_500), Bytes::gib(8)).0, Cpus(2_427));
    // 48 vCPUs: 60 + 10 + 10 + 44 × 2.5 = 190m; maxPods 110 set by hand: 11 × 110 + 255 MiB.
    assert_eq!(eks(Cpus::whole(48), Bytes::gib(192), 110), (Cpus(47_810), Bytes(192 * GIB - 1_565 * MIB)));
}

#[test]
fn aks_reserves_the_docs_table_and_the_lesser_memory_share() {
    // learn.microsoft.com/azure/aks/node-resource-reservations: CPU by cores.
    for (cores, reserved) in [(1, 60), (2, 100), (4, 140), (8, 180), (16, 260), (32, 420), (64, 740)] {
        assert_eq!(aks(Cpus::whole(cores), Bytes::gib(64), 30).0, Cpus(cores * 1_000 - reserved), "{cores} cores");
    }
    // The docs' examples: 8 GB and 30 pods reserve 20 × 30 + 50 = 650; 4 GB and 70 pods
    // reserve 25 % (1 GiB), less than 20 × 70 + 50 = 1,450. Both plus 100 MiB.
    assert_eq!(aks(Cpus::whole(2), Bytes::gib(8), 30).1, Bytes(8 * GIB - 750 * MIB));
    assert_eq!(aks(Cpus::whole(2), Bytes::gib(4), 70).1, Bytes(4 * GIB - GIB - 100 * MIB));
}

#[test]
fn gke_reserves_255_mib_below_one_gib_and_generic_only_evicts() {
    assert_eq!(gke(Cpus::whole(1), Bytes::mib(512)), (Cpus(940), Bytes::mib(512 - 255 - 100)));
    assert_eq!(generic(Cpus::whole(4), Bytes::gib(16)), (Cpus::whole(4), Bytes(16 * GIB - 100 * MIB)));
    // A given allocatable wins over every formula.
    let mut cluster = Cluster {
        node_pools: vec![flowcap::model::cluster::NodePool::new("n", 1, Cpus::whole(4), Bytes::gib(16))],
        ..Cluster::default()
    };
    cluster.node_pools[0].allocatable =
        Some(flowcap::model::resources::Resources { cpus: Some(Cpus(3_500)), memory: None });
    assert_eq!(allocatable(&cluster, &cluster.node_pools[0]), (Cpus(3_500), gke(Cpus::whole(4), Bytes::gib(16)).1));
}

/// Two pools offering exactly what they have: `general` (4 CPUs) and `db` (8 CPUs, tainted
/// for the database, labelled `role: db`).
const POOLS: &str = "platform: kubernetes\npostgres: { external: true }\ncluster:\n  provider: generic\n  node_pools:\n    \
    - { name: general, nodes: 1, cpus: 4, memory: 16Gi, allocatable: { cpus: 4, memory: 16Gi } }\n    \
    - { name: db, nodes: 1, cpus: 8, memory: 32Gi, allocatable: { cpus: 8, memory: 32Gi }, labels: { role: db }, \
        taints: [ { key: dedicated, value: db, effect: NoSchedule } ] }\n\
    api: { replicas: 2, requests: { cpus: 2, memory: 1Gi } }\n";

#[test]
fn a_taint_without_toleration_keeps_pods_off_its_pool() {
    // The runtime (3 CPUs) and two API pods (2 CPUs each) need 7 CPUs; the untainted node has 4.
    let p = plan(&format!("{POOLS}runtime: {{ replicas: 1, requests: {{ cpus: 3, memory: 1Gi }} }}\n"));
    let fit = analyze(&p).cluster.unwrap();
    assert_eq!((fit.now.pods, fit.now.placed), (3, 2));
    let findings = evaluate(&p, &analyze(&p));
    let unschedulable: Vec<_> = findings.iter().filter(|f| f.rule == RuleId::PodsUnschedulable).collect();
    assert_eq!(unschedulable.len(), 1, "{findings:?}");
    // Largest first places the runtime first and leaves 1 CPU for two API pods (2 over);
    // smallest first places both API pods and leaves the runtime (1 over), which is kept. The
    // tainted node is not counted as room either way.
    assert_eq!(
        unschedulable[0].message,
        "1 runtime pod(s) cannot be placed now: it requests 3 CPUs and 1 GiB and no node has that much left"
    );
    // Tolerating the taint, the runtime may go to the db pool: every pod fits, in every order
    // (met first, the runtime scores the emptier 8-CPU node higher; met last, only it is left).
    let tolerated = plan(&format!(
        "{POOLS}runtime: {{ replicas: 1, requests: {{ cpus: 3, memory: 1Gi }} }}\npod_placement:\n  runtime:\n    \
         tolerations: [ {{ key: dedicated, operator: Equal, value: db, effect: NoSchedule }} ]\n"
    ));
    let analysis = analyze(&tolerated);
    let fit = analysis.cluster.as_ref().unwrap();
    assert_eq!((fit.now.placed, fit.at_maximum.placed), (3, 3));
    assert!(fit.scheduling.every_order && fit.scheduling.now.is_none(), "{:?}", fit.scheduling);
    assert!(!evaluate(&tolerated, &analysis).iter().any(|f| f.rule == RuleId::PodsUnschedulable));
    // An `Exists` toleration without a key tolerates every taint; a PreferNoSchedule taint
    // does not bar at all.
    let exists =
        POOLS.replace("api: {", "pod_placement:\n  runtime: { tolerations: [ { operator: Exists } ] }\napi: {");
    let prefer = POOLS.replace("effect: NoSchedule", "effect: PreferNoSchedule");
    for text in [exists, prefer] {
        let p = plan(&format!("{text}runtime: {{ replicas: 1, requests: {{ cpus: 6, memory: 1Gi }} }}\n"));
        assert_eq!(analyze(&p).cluster.unwrap().now.placed, 3, "{text}");
    }
}

#[test]
fn a_pool_reserved_by_a_selector_takes_only_the_pods_that_select_it() {
    // The API selects role=db and tolerates the taint: both its pods go to the db node.
    let selected = plan(&format!(
        "{POOLS}runtime: {{ replicas: 1, requests: {{ cpus: 4, memory: 1Gi }} }}\npod_placement:\n  api:\n    \
         node_selector: {{ role: db }}\n    tolerations: [ {{ key: dedicated, operator: Exists }} ]\n"
    ));
    let fit = analyze(&selected).cluster.unwrap();
    assert_eq!(fit.now.placed, 3);
    // Selecting a label no pool has bars every pool, whatever their size, with each reason.
    let barred = plan(&format!(
        "{POOLS}runtime: {{ replicas: 0 }}\npod_placement:\n  api:\n    node_selector: {{ role: api }}\n"
    ));
    let analysis = analyze(&barred);
    let unplaced = &analysis.cluster.as_ref().unwrap().now.unplaced[0];
    assert!(unplaced.barred && !unplaced.too_big && !unplaced.pods_full, "{unplaced:?}");
    assert_eq!(
        unplaced.reason,
        "no node pool admits it: pool general has no label role=api (its nodeSelector); pool db has no label role=api (its nodeSelector)"
    );
    let scheduling = &analysis.cluster.as_ref().unwrap().scheduling;
    let pending = &scheduling.now.as_ref().unwrap().pending[0];
    assert_eq!(pending.reason, unplaced.reason);
    assert!(pending.barred && !pending.apart, "{pending:?}");
    // A pool that admits the pods but runs no node now is no bar: they wait now for the
    // cluster autoscaler, whose node takes them at the maximum.
    let empty_pool = plan(&format!(
        "{}runtime: {{ replicas: 0 }}\npod_placement:\n  api:\n    node_selector: {{ role: db }}\n    \
         tolerations: [ {{ key: dedicated, operator: Exists }} ]\n",
        POOLS.replace("name: db, nodes: 1,", "name: db, nodes: 0, max_nodes: 1,")
    ));
    let fit = analyze(&empty_pool).cluster.unwrap();
    let no_nodes = "it requests 2 CPUs and 1 GiB; the node pools that admit it have no nodes";
    let unplaced = &fit.now.unplaced[0];
    assert_eq!(
        (unplaced.pods, unplaced.barred, unplaced.too_big, unplaced.reason.as_str()),
        (2, false, false, no_nodes)
    );
    assert_eq!(fit.at_maximum.placed, fit.at_maximum.pods);
    let pending = &fit.scheduling.now.as_ref().unwrap().pending[0];
    assert_eq!((pending.pods, pending.barred, pending.reason.as_str()), (2, false, no_nodes));
    assert_eq!(fit.scheduling.at_maximum, None);
    // The provider's pool label is a label too: on GKE `cloud.google.com/gke-nodepool: db`
    // selects the db pool, whose taint the API does not tolerate.
    let by_pool_name =
        plan(&POOLS.replace("provider: generic", "provider: gke").replace(
            "api: {",
            "pod_placement:\n  api:\n    node_selector: { cloud.google.com/gke-nodepool: db }\napi: {",
        ));
    assert_eq!(
        analyze(&by_pool_name).cluster.unwrap().now.unplaced[0].reason,
        "no node pool admits it: pool general has no label cloud.google.com/gke-nodepool=db (its nodeSelector); \
         pool db has the taint dedicated=db:NoSchedule, which it does not tolerate"
    );
    // Required node affinity: a term matches when all its expressions do.
    let affinity = POOLS.replace(
        "api: {",
        "pod_placement:\n  api:\n    tolerations: [ { operator: Exists } ]\n    required_node_affinity:\n      \
         - matchExpressions: [ { key: role, operator: In, values: [db] }, { key: kubernetes.io/os, operator: Exists } ]\napi: {",
    );
    let p = plan(&format!("{affinity}runtime: {{ replicas: 1, requests: {{ cpus: 4, memory: 1Gi }} }}\n"));
    assert_eq!(analyze(&p).cluster.unwrap().now.placed, 3);
    let p = plan(&affinity.replace("values: [db]", "values: [web]"));
    assert!(
        analyze(&p).cluster.unwrap().now.unplaced[0].reason.contains("match no term of its required node affinity")
    );
}

#[test]
fn the_api_servers_refusals_and_unknown_instance_types_are_bad_input() {
    let dir = tempdir("node-models");
    let cases = [
        (
            "cluster:\n  provider: eks\n  node_pools:\n    - { name: ng, nodes: 1, cpus: 2, memory: 8Gi, instance_type: m5.larg }\n",
            "cluster.node_pools.0.instance_type: `m5.larg` is not in the EKS AMI's instance table (did you mean m5.large?): give max_pods",
        ),
        (
            "cluster:\n  node_pools:\n    - { name: n, nodes: 1, cpus: 2, memory: 8Gi }\npod_placement:\n  api: { tolerations: [ { key: a, operator: Exists, value: b } ] }\n",
            "pod_placement.api.tolerations.0: an Exists toleration takes no value",
        ),
        (
            "cluster:\n  node_pools:\n    - { name: n, nodes: 1, cpus: 2, memory: 8Gi }\npod_placement:\n  apii: {}\n",
            "pod_placement.apii: `apii` is not a workload of the plan",
        ),
    ];
    for (i, (cluster, said)) in cases.iter().enumerate() {
        let file = dir.join(format!("p{i}.yaml"));
        std::fs::write(&file, format!("platform: kubernetes\npostgres: {{ external: true }}\n{cluster}")).unwrap();
        let output = flowcap().arg("--check").arg(&file).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(said), "{said}\n{stderr}");
    }
}

#[test]
fn helm_values_place_the_api_by_its_node_selector_and_the_flags_give_the_nodes() {
    let dir = tempdir("node-models-values");
    let values = dir.join("v.yaml");
    std::fs::write(
        &values,
        "api:\n  replicaCount: 2\n  nodeSelector:\n    role: api\n  tolerations:\n    - key: dedicated\n      \
         operator: Equal\n      value: api\n      effect: NoExecute\n      tolerationSeconds: 30\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let output = flowcap()
            .args(["--check", "--helm-values"])
            .arg(&values)
            .args(["--nodes", "3", "--node-cpus", "4", "--node-memory", "16Gi"])
            .args(extra)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).to_string()
    };
    let text = run(&["--provider", "eks", "--instance-type", "m5.xlarge", "--daemonset-pods", "3"]);
    // m5.xlarge: 4 × 14 + 2 = 58 pods, 3 of them DaemonSets; 11 × 58 + 255 + 100 = 993 MiB.
    assert!(
        text.contains(
            "pool nodes             3 nodes (eks): each offers the plan's pods 3.92 CPUs · 15 GiB · 55 pod slots"
        ),
        "{text}"
    );
    assert!(
        text.contains("2 api pod(s) cannot be placed now: no node pool admits it: pool nodes has no label role=api")
    );
    assert!(
        text.contains("kube-scheduler         2 pod(s) Pending now in every order: no node pool admits them"),
        "{text}"
    );
    assert!(text.contains("in Helm values api.nodeSelector, api.tolerations"), "{text}");
    // A wrong toleration is refused where it stands.
    std::fs::write(&values, "api:\n  tolerations:\n    - key: dedicated\n      operator: Exists\n      value: api\n")
        .unwrap();
    let output = flowcap()
        .args(["--check", "--helm-values"])
        .arg(&values)
        .args(["--nodes", "1", "--node-cpus", "4", "--node-memory", "16Gi"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("v.yaml:2:3: api.tolerations.0: an Exists toleration takes no value"), "{stderr}");
    // The cluster's flags are for Kubernetes.
    let output = flowcap().args(["--check", "--preset", "small-team", "--provider", "eks"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--provider"));
}

#[test]
fn export_writes_the_placement_the_chart_renders_and_says_what_it_cannot() {
    let dir = tempdir("node-models-export");
    let plan = "platform: kubernetes\npostgres: { external: true }\ncluster:\n  node_pools:\n    \
                - { name: n, nodes: 2, cpus: 8, memory: 32Gi, labels: { workload: frontend } }\n\
                pod_placement:\n  api: { node_selector: { workload: frontend } }\n  \
                runtime: { node_selector: { workload: frontend } }\n";
    std::fs::write(dir.join("plan.yaml"), plan).unwrap();
    let output = flowcap()
        .current_dir(&dir)
        .args(["export", "--helm", "plan.yaml", "-o", "values-flowcap.yaml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // The chart's executor pool template renders no nodeSelector: said, and not written.
    let said = "pod_placement.runtime: the chart has no values key for it: not written";
    assert!(stderr.contains(&format!("note: {said}")), "{stderr}");
    let values = std::fs::read_to_string(dir.join("values-flowcap.yaml")).unwrap();
    assert!(values.contains(&format!("# {said}")), "{values}");
    assert!(values.contains("nodeSelector:\n    workload: frontend"), "{values}");
    assert!(!values.contains("executorPool:\n  nodeSelector"), "{values}");
    // Held against values that put the API anywhere, the placement is drift.
    std::fs::write(dir.join("v.yaml"), "api:\n  replicaCount: 1\n").unwrap();
    let output = flowcap()
        .current_dir(&dir)
        .args([
            "diff",
            "plan.yaml",
            "--helm-values",
            "v.yaml",
            "--nodes",
            "2",
            "--node-cpus",
            "8",
            "--node-memory",
            "32Gi",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("pod_placement.api")
            && stdout.contains("anywhere")
            && stdout.contains("nodeSelector workload=frontend"),
        "{stdout}"
    );
}

#[test]
fn what_the_api_server_refuses_in_placement_is_bad_input_and_daemonsets_can_fill_a_node() {
    let dir = tempdir("node-models-refused");
    let base = "platform: kubernetes\npostgres: { external: true }\ncluster:\n  node_pools:\n    \
                - { name: n, nodes: 1, cpus: 8, memory: 32Gi }\n";
    let cases = [
        (
            "pod_placement:\n  api: { tolerations: [ { key: a, operator: Exists, effect: NoSchedule, tolerationSeconds: 30 } ] }\n",
            "pod_placement.api.tolerations.0: tolerationSeconds is for NoExecute tolerations",
        ),
        (
            "pod_placement:\n  api: { required_node_affinity: [ { matchExpressions: [] } ] }\n",
            "pod_placement.api.required_node_affinity.0: a node selector term needs matchExpressions: an empty term matches no node",
        ),
    ];
    for (i, (extra, said)) in cases.iter().enumerate() {
        let file = dir.join(format!("p{i}.yaml"));
        std::fs::write(&file, format!("{base}{extra}")).unwrap();
        let output = flowcap().arg("--check").arg(&file).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(said), "{said}\n{stderr}");
    }
    // The same in Helm values, at the toleration's place; and --max-pods 0 names the flag.
    std::fs::write(dir.join("v.yaml"), "api:\n  tolerations:\n    - operator: Exists\n      effect: NoScheduleX\n")
        .unwrap();
    let output = flowcap()
        .current_dir(&dir)
        .args(["--check", "--helm-values", "v.yaml", "--nodes", "1", "--node-cpus", "8", "--node-memory", "32Gi"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("v.yaml:2:3: api.tolerations.0: is not a toleration"),
        "{output:?}"
    );
    let output = flowcap()
        .current_dir(&dir)
        .args(["--check", "--preset", "kubernetes-large", "--max-pods", "0"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("error: --max-pods: must be at least 1"), "{output:?}");
    // DaemonSet pods past an m5.large's 29 slots leave none: said, and the fix is theirs.
    let full = plan(&format!(
        "{}  provider: eks\n  daemonset_pods: 40\n",
        base.replace(
            "{ name: n, nodes: 1, cpus: 8, memory: 32Gi }",
            "{ name: n, nodes: 1, cpus: 2, memory: 8Gi, instance_type: m5.large }"
        )
    ));
    let analysis = analyze(&full);
    let found: Vec<_> =
        evaluate(&full, &analysis).into_iter().filter(|f| f.rule == RuleId::PodsUnschedulable).collect();
    assert!(found[0].message.ends_with(flowcap::analysis::placement::NO_POD_SLOTS), "{found:?}");
    assert_eq!(
        found[0].fix.as_deref(),
        Some("lower cluster.daemonset_pods below the nodes' max_pods, or raise the pools' max_pods")
    );
}

#[test]
fn an_export_over_the_operators_values_replaces_their_placement_and_reads_back_as_the_plan() {
    let dir = tempdir("node-models-replace");
    std::fs::write(
        dir.join("plan.yaml"),
        "platform: kubernetes\npostgres: { external: true }\ncluster:\n  node_pools:\n    \
         - { name: n, nodes: 2, cpus: 8, memory: 32Gi, labels: { role: general } }\n\
         other_services:\n  redis: { limits: { memory: 512Mi } }\n  prometheus: {}\n\
         pod_placement:\n  api: { node_selector: { role: general } }\n  \
         other_services.prometheus:\n    required_node_affinity: [ { matchExpressions: [ { key: role, operator: Exists } ] } ]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("mine.yaml"),
        "api:\n  nodeSelector: { role: general, zone: a }\n  affinity:\n    nodeAffinity:\n      \
         requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n          \
         - matchExpressions: [ { key: zone, operator: In, values: [a] } ]\n    \
         podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] }\n",
    )
    .unwrap();
    let output = flowcap()
        .current_dir(&dir)
        .args(["export", "--helm", "plan.yaml", "--helm-values", "mine.yaml", "-o", "flowcap-values.yaml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // The chart renders no affinity for Prometheus: said, not dropped silently.
    assert!(
        stderr.contains(
            "note: pod_placement.other_services.prometheus.required_node_affinity: the chart has no values key for it"
        ),
        "{stderr}"
    );
    let values = std::fs::read_to_string(dir.join("flowcap-values.yaml")).unwrap();
    assert!(
        values.contains("zone: null") && values.contains("requiredDuringSchedulingIgnoredDuringExecution: null"),
        "{values}"
    );
    // Their pod anti-affinity is only a preference, which only scores nodes: theirs, and left
    // alone (not even a null where they set no required term).
    assert!(!values.contains("podAntiAffinity"), "the operator's preferences are theirs: {values}");
    // Read back over the operator's values, the API's placement is the plan's: no drift for it;
    // Prometheus's affinity, which the chart cannot render, is drift with a fix that says so.
    let output = flowcap()
        .current_dir(&dir)
        .args(["diff", "plan.yaml", "--helm-values", "mine.yaml", "--helm-values", "flowcap-values.yaml"])
        .args(["--nodes", "2", "--node-cpus", "8", "--node-memory", "32Gi"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("pod_placement.api"), "{stdout}");
    assert!(stdout.contains("pod_placement.other_services.prometheus"), "{stdout}");
    let output = flowcap()
        .current_dir(&dir)
        .args(["--check", "plan.yaml", "--helm-values", "mine.yaml", "--helm-values", "flowcap-values.yaml"])
        .args(["--nodes", "2", "--node-cpus", "8", "--node-memory", "32Gi"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("the chart renders no affinity for other_services.prometheus"), "{stdout}");
    // The Redis limit flowcap writes is a key the chart reads.
    assert!(!stdout.contains("helm-values-unknown-key"), "{stdout}");
}

/// A toleration tolerates a taint only when its key, value and effect all agree (an `Exists`
/// with the key, whatever the value); `NotIn` admits nodes without the label or with another
/// value.
#[test]
fn a_toleration_must_match_key_value_and_effect_and_not_in_excludes() {
    let with_toleration = |toleration: &str| {
        plan(&POOLS.replace(
            "api: {",
            &format!(
                "pod_placement:\n  api:\n    node_selector: {{ role: db }}\n    tolerations: [ {toleration} ]\napi: {{"
            ),
        ))
    };
    // The db pool's taint is dedicated=db:NoSchedule; the API selects that pool.
    for (toleration, admitted) in [
        ("{ key: dedicated, operator: Equal, value: db, effect: NoSchedule }", true),
        ("{ key: dedicated, operator: Equal, value: db }", true),
        ("{ key: dedicated, operator: Exists }", true),
        ("{ key: dedicated, operator: Equal, value: web, effect: NoSchedule }", false),
        ("{ key: dedicated, operator: Equal, value: db, effect: NoExecute }", false),
        ("{ key: other, operator: Equal, value: db, effect: NoSchedule }", false),
        ("{ key: other, operator: Exists }", false),
    ] {
        let p = with_toleration(toleration);
        let placed = analyze(&p).cluster.unwrap().now.placed;
        assert_eq!(placed == 3, admitted, "{toleration}: {placed} placed");
    }
    // NotIn: the general pool has no `role` label, the db pool has role=db.
    let not_in = |values: &str| {
        plan(&POOLS.replace(
            "api: {",
            &format!(
                "pod_placement:\n  api:\n    tolerations: [ {{ operator: Exists }} ]\n    required_node_affinity:\n      \
                 - matchExpressions: [ {{ key: role, operator: NotIn, values: [{values}] }} ]\napi: {{"
            ),
        ))
    };
    let admission =
        |p: &Plan| flowcap::analysis::placement::pods(p, flowcap::analysis::placement::Scale::Now)[0].admission.clone();
    assert_eq!(admission(&not_in("db")).pools, vec![true, false]);
    assert_eq!(admission(&not_in("web")).pools, vec![true, true]);
}

/// First fit takes first the pods the fewest nodes admit, counted by pool: the API (pools a
/// and b, 2 nodes) before the runtime (pools b and c, 3 nodes). The other way round the
/// runtime takes b's node, and the API finds only a's, too small for it.
#[test]
fn first_fit_places_first_the_pods_fewest_nodes_admit() {
    use flowcap::analysis::placement::{Scale, place, pods};
    let pool = |name: &str, nodes: u32, cpus: u32| {
        format!(
            "    - {{ name: {name}, nodes: {nodes}, cpus: {cpus}, memory: 16Gi, allocatable: {{ cpus: {cpus}, memory: 16Gi }} }}\n"
        )
    };
    let on = |pools: &str| {
        format!(
            "    required_node_affinity:\n      \
             - matchExpressions: [ {{ key: cloud.google.com/gke-nodepool, operator: In, values: [{pools}] }} ]\n"
        )
    };
    let p = plan(&format!(
        "platform: kubernetes\npostgres: {{ external: true, max_connections: 100 }}\ncluster:\n  node_pools:\n{}{}{}\
         api: {{ replicas: 1, requests: {{ cpus: 4, memory: 1Gi }} }}\n\
         runtime: {{ replicas: 1, requests: {{ cpus: 4, memory: 1Gi }} }}\n\
         pod_placement:\n  api:\n{}  runtime:\n{}",
        pool("a", 1, 1),
        pool("b", 1, 4),
        pool("c", 2, 4),
        on("a, b"),
        on("b, c"),
    ));
    let packed = place(p.cluster.as_ref().unwrap(), Scale::Now, &pods(&p, Scale::Now));
    assert_eq!((packed.pods, packed.placed), (2, 2), "{:?}", packed.unplaced);
}
