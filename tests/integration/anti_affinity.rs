//! Required pod anti-affinity, as kube-scheduler's InterPodAffinity filter holds it: a pod
//! stays out of a topology domain (a node for `kubernetes.io/hostname`, a zone for
//! `topology.kubernetes.io/zone`) that runs a pod its term selects, and a running pod's term
//! keeps the pods it selects out of its domain too. Computed by hand; read from Helm values and
//! written back as the chart renders them.

use crate::common::{flowcap, tempdir};
use flowcap::analysis::figures::analyze;
use flowcap::analysis::rules::{Finding, RuleId, evaluate};
use flowcap::model::load::parse_plan;
use flowcap::model::plan::Plan;

fn plan(text: &str) -> Plan {
    parse_plan("k.yaml", text).unwrap_or_else(|e| panic!("{e}\n{text}")).plan
}

fn fired(plan: &Plan, rule: RuleId) -> Vec<Finding> {
    evaluate(plan, &analyze(plan)).into_iter().filter(|f| f.rule == rule).collect()
}

/// `nodes` nodes of 8 CPUs offering all of them; API pods of 1 CPU, one runtime of 1 CPU.
fn cluster(nodes: u32, api: u32, placement: &str) -> Plan {
    plan(&format!(
        "platform: kubernetes\npostgres: {{ external: true, max_connections: 200 }}\ncluster:\n  node_pools:\n    \
         - {{ name: p, nodes: {nodes}, cpus: 8, memory: 32Gi, allocatable: {{ cpus: 8, memory: 32Gi }} }}\n\
         api: {{ replicas: {api}, requests: {{ cpus: 1, memory: 1Gi }} }}\n\
         runtime: {{ replicas: 1, requests: {{ cpus: 1, memory: 1Gi }} }}\npod_placement:\n{placement}"
    ))
}

const ONE_API_A_NODE: &str = "  api:\n    required_pod_anti_affinity:\n      \
    - { labelSelector: { matchLabels: { app.kubernetes.io/component: api } }, topologyKey: kubernetes.io/hostname }\n";

#[test]
fn one_pod_a_node_leaves_the_pods_past_the_nodes_pending_whatever_their_room() {
    // 3 API pods on 2 nodes with room for 16: the third finds every node running an API pod.
    let p = cluster(2, 3, ONE_API_A_NODE);
    let fit = analyze(&p).cluster.unwrap();
    assert_eq!((fit.now.pods, fit.now.placed), (4, 3));
    let unplaced = &fit.now.unplaced[0];
    assert_eq!((unplaced.workload.as_str(), unplaced.pods, unplaced.apart), ("api", 1, true));
    let found = fired(&p, RuleId::PodsUnschedulable);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].message,
        "1 api pod(s) cannot be placed now: every node with room for it runs a pod it must stay apart from (its required pod anti-affinity: api by kubernetes.io/hostname)"
    );
    assert_eq!(
        found[0].fix.as_deref().unwrap(),
        "add nodes (cluster.node_pools: nodes), or relax api's required pod anti-affinity (pod_placement.api.required_pod_anti_affinity; in Helm values api.affinity.podAntiAffinity): a preferred one keeps the spread without leaving pods Pending"
    );
    assert_eq!(found[0].path, "pod_placement.api");
    // The scheduler, in every order, leaves it Pending too.
    let scheduling = &fit.scheduling;
    assert!(scheduling.every_order, "{scheduling:?}");
    let pending = &scheduling.now.as_ref().unwrap().pending[0];
    assert_eq!((pending.workload.as_str(), pending.pods, pending.apart), ("api", 1, true));
    // One more node and every pod runs, one API pod a node.
    let p = cluster(3, 3, ONE_API_A_NODE);
    let analysis = analyze(&p);
    assert_eq!(analysis.cluster.as_ref().unwrap().now.placed, 4);
    assert!(evaluate(&p, &analysis).iter().all(|f| f.rule != RuleId::PodsUnschedulable));
    // The release's own labels (name, instance) select the release's pods, whatever its name.
    let with_release = ONE_API_A_NODE.replace(
        "matchLabels: { app.kubernetes.io/component: api }",
        "matchLabels: { app.kubernetes.io/component: api, app.kubernetes.io/instance: fl }",
    );
    assert_eq!(analyze(&cluster(2, 3, &with_release)).cluster.unwrap().now.placed, 3);
    // A selector of another component does not bind the API to itself.
    let web = ONE_API_A_NODE.replace("component: api", "component: web");
    assert_eq!(analyze(&cluster(2, 3, &web)).cluster.unwrap().now.placed, 4);
}

#[test]
fn a_running_pods_term_keeps_the_pods_it_selects_away_as_well() {
    // The runtime's term selects the API: on one node, whichever comes first, the other waits.
    let placement = "  runtime:\n    required_pod_anti_affinity:\n      \
        - { labelSelector: { matchExpressions: [ { key: app.kubernetes.io/component, operator: In, values: [api] } ] }, topologyKey: kubernetes.io/hostname }\n";
    let p = cluster(1, 1, placement);
    let fit = analyze(&p).cluster.unwrap();
    assert_eq!((fit.now.pods, fit.now.placed), (2, 1));
    let now = fit.scheduling.now.as_ref().unwrap();
    assert_eq!(now.pending.len(), 1, "{now:?}");
    assert!(now.pending[0].apart, "{now:?}");
    // On two nodes they go one a node, in every order.
    let fit = analyze(&cluster(2, 1, placement)).cluster.unwrap();
    assert_eq!(fit.now.placed, 2);
    assert!(fit.scheduling.every_order && fit.scheduling.now.is_none(), "{:?}", fit.scheduling);
}

#[test]
fn a_zone_is_one_domain_however_many_nodes_it_has() {
    // Two pools in two zones, two nodes each. The runtime stays out of any zone with API pods:
    // packed, the three API pods share zone a and the runtime goes to b; kube-scheduler spreads
    // them over both zones, and the runtime waits.
    let text = "platform: kubernetes\npostgres: { external: true, max_connections: 200 }\ncluster:\n  node_pools:\n    \
        - { name: a, nodes: 2, cpus: 8, memory: 32Gi, allocatable: { cpus: 8, memory: 32Gi }, labels: { topology.kubernetes.io/zone: eu-1a } }\n    \
        - { name: b, nodes: 2, cpus: 8, memory: 32Gi, allocatable: { cpus: 8, memory: 32Gi }, labels: { topology.kubernetes.io/zone: eu-1b } }\n\
        api: { replicas: 3, requests: { cpus: 1, memory: 1Gi } }\nruntime: { replicas: 1, requests: { cpus: 1, memory: 1Gi } }\n\
        pod_placement:\n  runtime:\n    required_pod_anti_affinity:\n      \
        - { labelSelector: { matchLabels: { app.kubernetes.io/component: api } }, topologyKey: topology.kubernetes.io/zone }\n";
    let p = plan(text);
    let fit = analyze(&p).cluster.unwrap();
    assert_eq!(fit.now.placed, 4);
    let found = fired(&p, RuleId::PodsPendingInSomeOrder);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.starts_with("1 runtime pod(s) stay Pending now when api's pods come before runtime's: every node with room for it runs a pod it must stay apart from (its required pod anti-affinity: api by topology.kubernetes.io/zone)"),
        "{}",
        found[0].message
    );
    assert!(
        found[0]
            .fix
            .as_deref()
            .unwrap()
            .ends_with("or relax runtime's required pod anti-affinity (preferred keeps the spread)")
    );
    // Four API pods kept one a zone: two wait, and more nodes in the two zones would not help.
    let p = plan(&text.replace("replicas: 3", "replicas: 4").replace(
        "pod_placement:\n  runtime:",
        "pod_placement:\n  api:\n    required_pod_anti_affinity:\n      \
         - { labelSelector: { matchLabels: { app.kubernetes.io/component: api } }, topologyKey: topology.kubernetes.io/zone }\n  runtime:",
    ));
    let found = fired(&p, RuleId::PodsUnschedulable);
    let api = found.iter().find(|f| f.message.starts_with("2 api pod(s) cannot be placed now")).expect("api");
    assert!(
        api.fix.as_deref().unwrap().starts_with(
            "add a node pool with another topology.kubernetes.io/zone (its labels): more nodes in the same one do not help"
        ),
        "{api:?}"
    );
    // A pool without the zone label is in no zone: nothing keeps the runtime off it.
    let p = plan(&text.replace(", labels: { topology.kubernetes.io/zone: eu-1b }", ""));
    assert!(fired(&p, RuleId::PodsPendingInSomeOrder).is_empty());
}

#[test]
fn a_term_the_api_server_refuses_is_an_error_at_its_place() {
    let dir = tempdir("anti-affinity-bad");
    for (term, said) in [
        ("{ labelSelector: { matchLabels: { a: b } }, topologyKey: '' }", "topologyKey: is required"),
        ("{ labelSelector: { matchLabels: { a: b } } }", "missing field `topologyKey`"),
        (
            "{ labelSelector: { matchExpressions: [ { key: a, operator: Gt, values: ['1'] } ] }, topologyKey: kubernetes.io/hostname }",
            "matchExpressions.0: Gt is for node selectors, not label selectors",
        ),
        (
            "{ labelSelector: { matchExpressions: [ { key: a, operator: In } ] }, topologyKey: kubernetes.io/hostname }",
            "matchExpressions.0: In needs values",
        ),
    ] {
        let text = cluster_text(&format!("  api:\n    required_pod_anti_affinity:\n      - {term}\n"));
        std::fs::write(dir.join("plan.yaml"), &text).unwrap();
        let output = flowcap().current_dir(&dir).args(["--check", "plan.yaml"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("plan.yaml:") && stderr.contains(said), "{said}: {stderr}");
    }
}

fn cluster_text(placement: &str) -> String {
    format!(
        "platform: kubernetes\npostgres: {{ external: true, max_connections: 200 }}\ncluster:\n  node_pools:\n    \
         - {{ name: p, nodes: 2, cpus: 8, memory: 32Gi }}\napi: {{ replicas: 3 }}\npod_placement:\n{placement}"
    )
}

/// The operator's values: three API pods kept one a node, on a cluster of two.
const VALUES: &str = "\
api:
  replicaCount: 3
  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        - labelSelector:
            matchLabels: { app.kubernetes.io/component: api, app.kubernetes.io/instance: fl }
          topologyKey: kubernetes.io/hostname
          namespaces: [flow-like]
";

#[test]
#[cfg_attr(
    any(missing = "helm", missing = "kubernetes-validate", missing = "shared-fixtures"),
    ignore = "needs helm, kubernetes-validate and ../shared/fixtures"
)]
fn helm_renders_the_values_term_that_flowcap_reads_and_writes_back() {
    let dir = tempdir("anti-affinity-helm");
    std::fs::write(dir.join("values.yaml"), VALUES).unwrap();
    let check = flowcap()
        .current_dir(&dir)
        .args(["--check", "--helm-values", "values.yaml", "--nodes", "2", "--node-cpus", "8", "--node-memory", "32Gi"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(
        stdout.contains("1 api pod(s) cannot be placed now: every node with room for it runs a pod it must stay apart from (its required pod anti-affinity: api by kubernetes.io/hostname)"),
        "{stdout}"
    );
    // flowcap's values keep the term (and write the plan's API count over the operator's).
    let export = flowcap()
        .current_dir(&dir)
        .args(["export", "--helm", "--helm-values", "values.yaml", "--nodes", "3", "--node-cpus", "8"])
        .args(["--node-memory", "32Gi", "-o", "flowcap.yaml"])
        .output()
        .unwrap();
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    // What helm renders for the API Deployment: the operator's term, exactly.
    let manifest =
        crate::common::render_validated(&dir, &["values.yaml", "flowcap.yaml"], "templates/api-deployment.yaml");
    let affinity = &manifest["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"];
    let term = &affinity["requiredDuringSchedulingIgnoredDuringExecution"][0];
    assert_eq!(term["topologyKey"], "kubernetes.io/hostname", "{manifest}");
    assert_eq!(term["labelSelector"]["matchLabels"]["app.kubernetes.io/component"], "api", "{manifest}");
    // Lists replace lists in Helm's merge: what flowcap writes keeps all the term said.
    assert_eq!(term["namespaces"], serde_json::json!(["flow-like"]), "{manifest}");
    let written = std::fs::read_to_string(dir.join("flowcap.yaml")).unwrap();
    assert!(written.contains("podAntiAffinity:") && written.contains("- flow-like"), "{written}");
    // What neither the plan nor the operator's values have is not written, not even as null.
    assert!(!written.contains("nodeAffinity") && !written.contains("nodeSelector"), "{written}");
    assert_eq!(manifest["spec"]["replicas"], 3, "{manifest}");
    // Read back over the operator's values, they say the same: no drift in the placement.
    let again = flowcap()
        .current_dir(&dir)
        .args(["--check", "--format", "json", "--helm-values", "values.yaml", "--helm-values", "flowcap.yaml"])
        .args(["--nodes", "3", "--node-cpus", "8", "--node-memory", "32Gi"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(json["figures"]["cluster"]["now"]["placed"], json["figures"]["cluster"]["now"]["pods"], "{json}");
}

#[test]
fn values_the_api_server_refuses_are_an_error_at_their_place() {
    let dir = tempdir("anti-affinity-values-bad");
    for (values, said) in [
        (
            "api:\n  affinity:\n    podAntiAffinity: \"yes please\"\n",
            "v.yaml:3:5: api.affinity.podAntiAffinity: must be a mapping",
        ),
        (
            "api:\n  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        - labelSelector: { matchLabels: { a: b } }\n",
            "v.yaml:4:7: api.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution.0: needs a topologyKey",
        ),
        (
            "api:\n  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution: 3\n",
            "must be a list of pod affinity terms",
        ),
    ] {
        std::fs::write(dir.join("v.yaml"), values).unwrap();
        let output = flowcap()
            .current_dir(&dir)
            .args(["--check", "--helm-values", "v.yaml", "--nodes", "2", "--node-cpus", "8", "--node-memory", "32Gi"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{values}: {stderr}");
        assert!(stderr.contains(said), "{said}: {stderr}");
    }
}
