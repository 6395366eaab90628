//! Required pod affinity, as kube-scheduler's InterPodAffinity filter holds it: a pod goes only
//! to a node with the term's topology key whose domain (the node for `kubernetes.io/hostname`,
//! the zone for `topology.kubernetes.io/zone`) runs a pod every term selects; the first pod of
//! a workload whose terms select itself may go anywhere with the key; pods that wait for
//! another workload's bind once those run. Computed by hand; read from Helm values and written
//! back as the chart renders them.

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

/// `pools`, API pods of `api_cpus` CPUs, one runtime pod of 1 CPU.
fn cluster(pools: &str, api: u32, api_cpus: u32, placement: &str) -> Plan {
    plan(&format!(
        "platform: kubernetes\npostgres: {{ external: true, max_connections: 200 }}\ncluster:\n  node_pools:\n{pools}\
         api: {{ replicas: {api}, requests: {{ cpus: {api_cpus}, memory: 1Gi }} }}\n\
         runtime: {{ replicas: 1, requests: {{ cpus: 1, memory: 1Gi }} }}\npod_placement:\n{placement}"
    ))
}

/// Three nodes of 8 CPUs offering all of them.
const THREE_NODES: &str =
    "    - { name: p, nodes: 3, cpus: 8, memory: 32Gi, allocatable: { cpus: 8, memory: 32Gi } }\n";

/// Two pools of one node of 8 CPUs, in two zones.
const TWO_ZONES: &str = "    - { name: a, nodes: 1, cpus: 8, memory: 32Gi, allocatable: { cpus: 8, memory: 32Gi }, labels: { topology.kubernetes.io/zone: eu-1a } }\n    \
    - { name: b, nodes: 1, cpus: 8, memory: 32Gi, allocatable: { cpus: 8, memory: 32Gi }, labels: { topology.kubernetes.io/zone: eu-1b } }\n";

fn beside(component: &str, key: &str) -> String {
    format!(
        "  api:\n    required_pod_affinity:\n      \
         - {{ labelSelector: {{ matchLabels: {{ app.kubernetes.io/component: {component} }} }}, topologyKey: {key} }}\n"
    )
}

#[test]
fn pods_join_the_node_that_runs_the_pods_they_select_and_wait_where_it_is_full() {
    // The runtime's one pod runs on one node; every API pod must run on that node. At 1 CPU
    // each the three fit beside it (1 + 3 of 8 CPUs) in every order: where the API's pods come
    // first they wait, and bind once the runtime's pod runs.
    let p = cluster(THREE_NODES, 3, 1, &beside("executor-pool", "kubernetes.io/hostname"));
    let fit = analyze(&p).cluster.unwrap();
    assert_eq!((fit.now.pods, fit.now.placed), (4, 4));
    assert!(fit.scheduling.every_order && fit.scheduling.now.is_none(), "{:?}", fit.scheduling);
    assert!(evaluate(&p, &analyze(&p)).iter().all(|f| f.rule != RuleId::PodsPendingInSomeOrder));
    // At 3 CPUs each, two fit beside it (1 + 6 of 8) and the third waits, though two nodes
    // have all their 8 CPUs free.
    let p = cluster(THREE_NODES, 3, 3, &beside("executor-pool", "kubernetes.io/hostname"));
    let fit = analyze(&p).cluster.unwrap();
    assert_eq!((fit.now.pods, fit.now.placed), (4, 3));
    let unplaced = &fit.now.unplaced[0];
    assert_eq!((unplaced.workload.as_str(), unplaced.pods), ("api", 1));
    assert!(unplaced.beside && !unplaced.apart && !unplaced.too_big, "{unplaced:?}");
    let found = fired(&p, RuleId::PodsUnschedulable);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].message,
        "1 api pod(s) cannot be placed now: no node with room for it runs a pod of runtime (its required pod affinity by kubernetes.io/hostname)"
    );
    assert_eq!(
        found[0].fix.as_deref().unwrap(),
        "make room for it where the pods it joins run (bigger nodes there, or fewer other pods), or relax api's required pod affinity (pod_placement.api.required_pod_affinity; in Helm values api.affinity.podAffinity): a preferred one keeps them together where there is room"
    );
    assert_eq!(found[0].path, "pod_placement.api");
    // kube-scheduler, in every order, leaves the same pod Pending.
    let pending = &fit.scheduling.now.as_ref().unwrap().pending[0];
    assert_eq!((pending.workload.as_str(), pending.pods, pending.beside), ("api", 1, true));
    // Without the term, the three nodes hold all four pods.
    let free = cluster(THREE_NODES, 3, 3, "  api: {}\n");
    assert_eq!(analyze(&free).cluster.unwrap().now.placed, 4);
}

#[test]
fn the_first_pod_of_a_workload_that_selects_itself_leads_and_the_rest_follow_its_zone() {
    // The API's term selects the API by zone. The first pod may go anywhere (no API pod runs
    // yet, and it matches its own term); the next three follow it into its zone. Zone a's one
    // node takes two of 3 CPUs (6 of 8); two wait, though zone b's node has 8 CPUs free.
    let p = cluster(TWO_ZONES, 4, 3, &beside("api", "topology.kubernetes.io/zone"));
    let fit = analyze(&p).cluster.unwrap();
    assert_eq!((fit.now.pods, fit.now.placed), (5, 3));
    let unplaced = &fit.now.unplaced[0];
    assert_eq!((unplaced.workload.as_str(), unplaced.pods, unplaced.beside), ("api", 2, true));
    assert_eq!(
        unplaced.reason,
        "no node with room for it is in a topology.kubernetes.io/zone domain that runs a pod of api (its required pod affinity)"
    );
    let found = fired(&p, RuleId::PodsUnschedulable);
    assert!(
        found[0].fix.as_deref().unwrap().starts_with(
            "make room for it where the pods it joins run (more or bigger nodes in their domain, or fewer other pods), or relax api's"
        ),
        "{found:?}"
    );
    // Two API pods a zone without the term: all five run.
    assert_eq!(analyze(&cluster(TWO_ZONES, 4, 3, "  api: {}\n")).cluster.unwrap().now.placed, 5);
}

#[test]
fn pods_the_plan_does_not_run_are_taken_to_run_wherever_the_key_is() {
    // The term selects another release's cache: flowcap cannot see where it runs, so only the
    // key binds. Pool b has no zone: the third API pod of 3 CPUs finds no room in zone a.
    let pools = TWO_ZONES.replace(", labels: { topology.kubernetes.io/zone: eu-1b }", "");
    let p = cluster(&pools, 3, 3, &beside("memcached", "topology.kubernetes.io/zone"));
    let fit = analyze(&p).cluster.unwrap();
    assert_eq!((fit.now.pods, fit.now.placed), (4, 3));
    assert_eq!(
        fit.now.unplaced[0].reason,
        "no node with room for it has the label topology.kubernetes.io/zone its required pod affinity groups by"
    );
    // On nodes with no zone at all, nothing is ever beside anything by zone.
    let none = TWO_ZONES.replace(", labels: { topology.kubernetes.io/zone: eu-1a }", "");
    let none = none.replace(", labels: { topology.kubernetes.io/zone: eu-1b }", "");
    let unlabelled = cluster(&none, 1, 1, &beside("executor-pool", "topology.kubernetes.io/zone"));
    let fit = analyze(&unlabelled).cluster.unwrap();
    assert_eq!(
        fit.now.unplaced[0].reason,
        "no node has the label topology.kubernetes.io/zone its required pod affinity groups by"
    );
    let found = fired(&unlabelled, RuleId::PodsUnschedulable);
    assert!(
        found[0].fix.as_deref().unwrap().starts_with(
            "give the node pools where it may run the label topology.kubernetes.io/zone (cluster.node_pools.*.labels), or relax api's"
        ),
        "{found:?}"
    );
}

#[test]
fn a_term_the_api_server_refuses_is_an_error_at_its_place() {
    let dir = tempdir("pod-affinity-bad");
    let text = format!(
        "platform: kubernetes\npostgres: {{ external: true, max_connections: 200 }}\ncluster:\n  node_pools:\n{THREE_NODES}\
         api: {{ replicas: 1 }}\npod_placement:\n  api:\n    required_pod_affinity:\n      \
         - {{ labelSelector: {{ matchLabels: {{ a: b }} }}, topologyKey: '' }}\n"
    );
    std::fs::write(dir.join("plan.yaml"), text).unwrap();
    let output = flowcap().current_dir(&dir).args(["--check", "plan.yaml"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("plan.yaml:") && stderr.contains("required_pod_affinity.0.topologyKey: is required"),
        "{stderr}"
    );
    let values = "api:\n  affinity:\n    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        - labelSelector: { matchLabels: { a: b } }\n";
    std::fs::write(dir.join("v.yaml"), values).unwrap();
    let output = flowcap()
        .current_dir(&dir)
        .args(["--check", "--helm-values", "v.yaml", "--nodes", "2", "--node-cpus", "8", "--node-memory", "32Gi"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "v.yaml:4:7: api.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution.0: needs a topologyKey"
        ),
        "{stderr}"
    );
}

/// The operator's values: the web pods kept beside the API's.
const VALUES: &str = "\
web:
  affinity:
    podAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        - labelSelector:
            matchLabels: { app.kubernetes.io/component: api }
          topologyKey: kubernetes.io/hostname
";

#[test]
#[cfg_attr(
    any(missing = "helm", missing = "kubernetes-validate", missing = "shared-fixtures"),
    ignore = "needs helm, kubernetes-validate and ../shared/fixtures"
)]
fn helm_renders_the_values_term_that_flowcap_reads_and_writes_back() {
    let dir = tempdir("pod-affinity-helm");
    let nodes = ["--nodes", "2", "--node-cpus", "8", "--node-memory", "32Gi"];
    // Read: by zone, on nodes that have none, the web pods find no node.
    std::fs::write(dir.join("zone.yaml"), VALUES.replace("kubernetes.io/hostname", "topology.kubernetes.io/zone"))
        .unwrap();
    let check =
        flowcap().current_dir(&dir).args(["--check", "--helm-values", "zone.yaml"]).args(nodes).output().unwrap();
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(
        stdout.contains("web pod(s) cannot be placed now: no node has the label topology.kubernetes.io/zone its required pod affinity groups by"),
        "{stdout}"
    );
    // By hostname they join the API's node, and flowcap's values keep the term.
    std::fs::write(dir.join("values.yaml"), VALUES).unwrap();
    let export = flowcap()
        .current_dir(&dir)
        .args(["export", "--helm", "--helm-values", "values.yaml"])
        .args(nodes)
        .args(["-o", "flowcap.yaml"])
        .output()
        .unwrap();
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let written = std::fs::read_to_string(dir.join("flowcap.yaml")).unwrap();
    assert!(written.contains("podAffinity:") && !written.contains("podAntiAffinity"), "{written}");
    let manifest =
        crate::common::render_validated(&dir, &["values.yaml", "flowcap.yaml"], "templates/web-deployment.yaml");
    let term = &manifest["spec"]["template"]["spec"]["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        [0];
    assert_eq!(term["topologyKey"], "kubernetes.io/hostname", "{manifest}");
    assert_eq!(term["labelSelector"]["matchLabels"]["app.kubernetes.io/component"], "api", "{manifest}");
    // Read back over the operator's values: every pod placed.
    let again = flowcap()
        .current_dir(&dir)
        .args(["--check", "--format", "json", "--helm-values", "values.yaml", "--helm-values", "flowcap.yaml"])
        .args(nodes)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(json["figures"]["cluster"]["now"]["placed"], json["figures"]["cluster"]["now"]["pods"], "{json}");
}

/// Two nodes of 4 CPUs, two API pods and two web pods of 1.5 CPUs each, a runtime of 0.5; the
/// web pods join the API's by node.
const WEB_BESIDE_API: &str = "platform: kubernetes\npostgres: { external: true, max_connections: 200 }\ncluster:\n  node_pools:\n    \
    - { name: p, nodes: 2, cpus: 4, memory: 32Gi, allocatable: { cpus: 4, memory: 32Gi } }\n\
    api: { replicas: 2, requests: { cpus: 1500m, memory: 1Gi } }\n\
    runtime: { replicas: 1, requests: { cpus: 500m, memory: 1Gi } }\n\
    other_services:\n  web: { replicas: 2, requests: { cpus: 1500m, memory: 1Gi } }\n\
    pod_placement:\n  other_services.web:\n    required_pod_affinity:\n      \
    - { labelSelector: { matchLabels: { app.kubernetes.io/component: api } }, topologyKey: kubernetes.io/hostname }\n";

#[test]
fn where_first_fit_packs_the_pods_others_join_the_schedulers_spread_is_the_fit() {
    // First fit puts both API pods on the first node (3 of 4 CPUs): no web pod has room
    // beside them. The scheduler spreads them one a node, and each web pod joins one (1.5 +
    // 1.5, the runtime's 0.5 beside one pair): every pod runs, in every order.
    let p = plan(WEB_BESIDE_API);
    let fit = analyze(&p).cluster.unwrap();
    assert_eq!((fit.now.pods, fit.now.placed), (5, 5), "{:?}", fit.now.unplaced);
    // The requests as spread: 6.5 of 8 CPUs.
    assert_eq!(fit.now.cpu_requests_share, 0.8125);
    assert!(fit.scheduling.every_order && fit.scheduling.now.is_none(), "{:?}", fit.scheduling);
    assert!(fired(&p, RuleId::PodsUnschedulable).is_empty());
    // A third web pod finds 0.5 and 1 CPU left beside the API's: it waits, spread or packed.
    let p = plan(&WEB_BESIDE_API.replace("web: { replicas: 2,", "web: { replicas: 3,"));
    let fit = analyze(&p).cluster.unwrap();
    assert_eq!((fit.now.pods, fit.now.placed), (6, 5), "{:?}", fit.now);
}

#[test]
fn a_selector_reads_the_releases_own_labels_as_the_chart_sets_them() {
    let with =
        |selector: &str| plan(&WEB_BESIDE_API.replace("matchLabels: { app.kubernetes.io/component: api }", selector));
    // Another chart's pods (Bitnami's memcached: app.kubernetes.io/name: memcached): not this
    // release's, taken to run wherever the key is. The web pods go anywhere.
    let other = with("matchLabels: { app.kubernetes.io/name: memcached }");
    assert_eq!(analyze(&other).cluster.unwrap().now.placed, 5);
    let beside = analyze(&other);
    let web = placement_of(&other, "other_services.web");
    assert!(web.as_ref().is_some_and(|b| b.outside), "{web:?} {:?}", beside.cluster.unwrap().now);
    // The chart's name and any release name select every pod of the release: the web pods
    // join any of them (runtime's, API's or their own: the first leads).
    let release = with("matchLabels: { app.kubernetes.io/name: flow-like, app.kubernetes.io/instance: prod }");
    let web = placement_of(&release, "other_services.web").unwrap();
    assert!(!web.outside && web.may_lead, "{web:?}");
    assert_eq!(web.names, ["api", "runtime", "other_services.web"]);
    // A term without a selector selects no pod (the API's null): nothing ever runs to join.
    let text = WEB_BESIDE_API.replace("labelSelector: { matchLabels: { app.kubernetes.io/component: api } }, ", "");
    let none = plan(&text);
    let fit = analyze(&none).cluster.unwrap();
    assert_eq!(fit.now.placed, 3, "{:?}", fit.now);
    assert_eq!(
        fit.now.unplaced[0].reason,
        "no pod of the plan matches every term of its required pod affinity (by kubernetes.io/hostname), so none runs for it to join"
    );
    let found = fired(&none, RuleId::PodsUnschedulable);
    assert!(
        found[0].fix.as_deref().unwrap().starts_with(
            "give its terms a labelSelector that selects pods the plan runs (or switch on the component it names), or relax web's"
        ),
        "{found:?}"
    );
    // A component of the chart the plan does not run (tempo) is not another release's: the
    // web pods wait in every packing and every order.
    let tempo = with("matchLabels: { app.kubernetes.io/component: tempo }");
    let fit = analyze(&tempo).cluster.unwrap();
    assert_eq!(fit.now.placed, 3, "{:?}", fit.now);
    let pending = &fit.scheduling.now.as_ref().unwrap().pending[0];
    assert_eq!((pending.workload.as_str(), pending.pods, pending.beside), ("other_services.web", 2, true));
}

/// The required pod affinity flowcap links for `workload`, as placed with the plan's others.
fn placement_of(plan: &Plan, workload: &str) -> Option<flowcap::analysis::affinity::Beside> {
    let groups = flowcap::analysis::placement::pods(plan, flowcap::analysis::placement::Scale::Now);
    groups.into_iter().find(|g| g.workload == workload)?.beside
}

#[test]
fn where_the_nodes_beside_turn_it_away_by_anti_affinity_the_anti_affinity_is_named() {
    // The API keeps apart from web by node, and web joins the API by node: never satisfiable.
    // The nodes beside the API have room; the API's anti-affinity is what turns web away.
    let text = WEB_BESIDE_API.replace("api: { replicas: 2,", "api: { replicas: 1,").replace(
        "pod_placement:\n",
        "pod_placement:\n  api:\n    required_pod_anti_affinity:\n      \
         - { labelSelector: { matchLabels: { app.kubernetes.io/component: web } }, topologyKey: kubernetes.io/hostname }\n",
    );
    let p = plan(&text);
    let fit = analyze(&p).cluster.unwrap();
    let web = fit.now.unplaced.iter().find(|u| u.workload == "other_services.web").expect("web waits");
    assert!(web.apart && !web.beside, "{web:?}");
    assert!(web.reason.starts_with("every node with room for it runs a pod it must stay apart from"), "{web:?}");
    // The runtime or the API: any one of them will do.
    let either = plan(&WEB_BESIDE_API.replace(
        "matchLabels: { app.kubernetes.io/component: api }",
        "matchExpressions: [ { key: app.kubernetes.io/component, operator: In, values: [api, executor-pool] } ]",
    ).replace("web: { replicas: 2, requests: { cpus: 1500m", "web: { replicas: 2, requests: { cpus: 3500m"));
    let fit = analyze(&either).cluster.unwrap();
    assert!(
        fit.now.unplaced[0].reason.contains("runs a pod of api or runtime (its required pod affinity"),
        "{:?}",
        fit.now.unplaced
    );
}

/// A plan that places the web pods anywhere, against values that keep them beside the API's:
/// drift names it (the plan's figures never held the term), and the values flowcap writes
/// remove it, as the fix says.
#[test]
fn a_placement_the_values_have_and_the_plan_lacks_is_drift_and_export_removes_it() {
    let dir = tempdir("pod-affinity-drift");
    let plain = &WEB_BESIDE_API[..WEB_BESIDE_API.find("pod_placement:").unwrap()];
    std::fs::write(dir.join("plan.yaml"), plain).unwrap();
    std::fs::write(dir.join("values.yaml"), VALUES).unwrap();
    let diff =
        flowcap().current_dir(&dir).args(["diff", "plan.yaml", "--helm-values", "values.yaml"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&diff.stdout);
    assert!(
        stdout.lines().any(|l| l.starts_with("pod_placement.other_services.web")
            && l.ends_with("beside app.kubernetes.io/component=api by kubernetes.io/hostname → anywhere")),
        "{stdout}"
    );
    let export = flowcap()
        .current_dir(&dir)
        .args(["export", "--helm", "plan.yaml", "--helm-values", "values.yaml", "-o", "flowcap.yaml"])
        .output()
        .unwrap();
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let written = std::fs::read_to_string(dir.join("flowcap.yaml")).unwrap();
    assert!(
        written.contains("  affinity:\n    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution: null\n"),
        "{written}"
    );
    // What neither has is not written: the API's placement is nobody's.
    assert!(!written.contains("nodeSelector") && written.matches("affinity:").count() == 1, "{written}");
}

/// solve on a cluster where the runtime's pods must join the one API pod's node: the 10 the
/// target needs find room for 3 (3.5 CPUs left beside the API's 0.5 on a node of 4), and solve
/// says the cluster is short, in the cluster's words.
#[test]
fn solve_says_the_cluster_is_short_where_the_pods_must_join_one_node() {
    let dir = tempdir("pod-affinity-solve");
    let text = "platform: kubernetes\napi: { replicas: 1, limits: { cpus: 1, memory: 1Gi }, reservations: { cpus: 500m, memory: 1Gi } }\n\
        runtime: { replicas: 1, max_concurrent_executions: 4, limits: { cpus: 2, memory: 2Gi }, reservations: { cpus: 1, memory: 2Gi } }\n\
        postgres: { external: true, max_connections: 200 }\n\
        workload: { queued: { arrivals_per_minute: 60, mean_duration: 30s }, target: { p95_wait: 5s } }\n\
        cluster: { provider: generic, node_pools: [ { name: pool, nodes: 4, cpus: 4, memory: 16Gi } ] }\n\
        pod_placement:\n  runtime:\n    required_pod_affinity:\n      \
        - { labelSelector: { matchLabels: { app.kubernetes.io/component: api } }, topologyKey: kubernetes.io/hostname }\n";
    std::fs::write(dir.join("plan.yaml"), text).unwrap();
    let output = flowcap().current_dir(&dir).args(["solve", "plan.yaml"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("meeting it takes 10 runtimes at 4 slots each (40 slots); on this cluster that is short:\n  - pods-unschedulable: 7 runtime pod(s) cannot be placed now: no node with room for it runs a pod of api"),
        "{stdout}"
    );
    // The check's fix says the same, in the same words.
    let check = flowcap().current_dir(&dir).args(["--check", "plan.yaml"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(stdout.contains("nothing fits this cluster: meeting it takes 10 runtimes at 4 slots each;"), "{stdout}");
}

/// Three pools, the first and the third in one zone: a zone is every pool with its value,
/// wherever the pools stand. The API's pods join their own by zone: four of 2 CPUs fill the
/// first pool's node of 4 and then the third's, never the second's.
#[test]
fn a_zone_is_every_pool_with_its_value_wherever_they_stand() {
    let pools = "    - { name: a1, nodes: 1, cpus: 4, memory: 32Gi, allocatable: { cpus: 4, memory: 32Gi }, labels: { topology.kubernetes.io/zone: eu-1a } }\n    \
        - { name: b, nodes: 1, cpus: 4, memory: 32Gi, allocatable: { cpus: 4, memory: 32Gi }, labels: { topology.kubernetes.io/zone: eu-1b } }\n    \
        - { name: a2, nodes: 1, cpus: 4, memory: 32Gi, allocatable: { cpus: 4, memory: 32Gi }, labels: { topology.kubernetes.io/zone: eu-1a } }\n";
    let p = cluster(pools, 4, 2, &beside("api", "topology.kubernetes.io/zone"));
    let fit = analyze(&p).cluster.unwrap();
    // Four API pods in zone a (pools a1 and a2), the runtime's in zone b.
    assert_eq!((fit.now.pods, fit.now.placed), (5, 5), "{:?}", fit.now);
    let groups = flowcap::analysis::placement::pods(&p, flowcap::analysis::placement::Scale::Now);
    let api = groups.iter().find(|g| g.workload == "api").unwrap().beside.clone().unwrap();
    assert_eq!(api.terms[0].domains, Some(vec![Some(0), Some(1), Some(0)]));
}

/// Redis runs on a tainted pool it tolerates; the API's pods join it by node but do not
/// tolerate the taint. The node beside Redis has 7.95 CPUs free: the taint, not room, turns
/// them away, and the fix says to let them run there.
#[test]
fn where_the_nodes_beside_the_pods_it_joins_do_not_admit_it_the_reason_says_why() {
    let text = "platform: kubernetes\npostgres: { external: true, max_connections: 200 }\ncluster:\n  node_pools:\n    \
        - { name: general, nodes: 2, cpus: 8, memory: 32Gi, allocatable: { cpus: 8, memory: 32Gi } }\n    \
        - { name: database, nodes: 1, cpus: 8, memory: 32Gi, allocatable: { cpus: 8, memory: 32Gi }, labels: { pool: database }, taints: [ { key: dedicated, value: db, effect: NoSchedule } ] }\n\
        api: { replicas: 2, requests: { cpus: 3, memory: 1Gi } }\nruntime: { replicas: 1, requests: { cpus: 1, memory: 1Gi } }\n\
        other_services:\n  redis: { replicas: 1, requests: { cpus: 50m, memory: 128Mi } }\n\
        pod_placement:\n  other_services.redis:\n    node_selector: { pool: database }\n    \
        tolerations: [ { key: dedicated, operator: Equal, value: db, effect: NoSchedule } ]\n  api:\n    required_pod_affinity:\n      \
        - { labelSelector: { matchLabels: { app.kubernetes.io/component: redis } }, topologyKey: kubernetes.io/hostname }\n";
    let p = plan(text);
    let fit = analyze(&p).cluster.unwrap();
    let api = fit.now.unplaced.iter().find(|u| u.workload == "api").expect("the API's pods wait");
    assert_eq!(api.pods, 2);
    assert_eq!(
        api.reason,
        "the nodes beside the pods of redis it joins (its required pod affinity) do not admit it: pool database has the taint dedicated=db:NoSchedule, which it does not tolerate"
    );
    let found = fired(&p, RuleId::PodsUnschedulable);
    let fix = found.iter().find(|f| f.message.contains("api pod(s)")).unwrap().fix.clone().unwrap();
    assert!(
        fix.contains(", or let it run where they run (pod_placement.api: its node_selector, node affinity, tolerations), or relax api's"),
        "{fix}"
    );
    // kube-scheduler says the same, in every order.
    let pending = &fit.scheduling.now.as_ref().unwrap().pending[0];
    assert_eq!(pending.reason, api.reason);
}

/// The first API pod may go to any zone (its term selects its own pods, none of which runs
/// yet), and every node scores alike: kube-scheduler picks one of them at random. In zone a (two
/// nodes) the three API pods of 4 CPUs fit; in zone b (one node) only two do. Ties broken
/// toward the first node only, every order would place every pod.
#[test]
fn the_zone_the_first_pod_draws_decides_and_both_draws_are_tried() {
    let zones = "    - { name: a, nodes: 2, cpus: 8, memory: 32Gi, allocatable: { cpus: 8, memory: 32Gi }, labels: { topology.kubernetes.io/zone: eu-1a } }\n    \
    - { name: b, nodes: 1, cpus: 8, memory: 32Gi, allocatable: { cpus: 8, memory: 32Gi }, labels: { topology.kubernetes.io/zone: eu-1b } }\n";
    let p = cluster(zones, 3, 4, &beside("api", "topology.kubernetes.io/zone"));
    let fit = analyze(&p).cluster.unwrap();
    assert_eq!((fit.now.pods, fit.now.placed), (4, 4), "first fit places them all");
    let order = fit.scheduling.now.as_ref().expect("an order that strands an API pod");
    assert_eq!(order.order, ["api", "runtime"]);
    assert_eq!(order.ties, flowcap::analysis::scheduler::Ties::Last);
    assert_eq!((order.pending[0].workload.as_str(), order.pending[0].pods, order.pending[0].beside), ("api", 1, true));
    let found = fired(&p, RuleId::PodsPendingInSomeOrder);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.starts_with(
            "1 api pod(s) stay Pending now when api's pods come first and ties between nodes go to the last, as kube-scheduler's random pick may: no node"
        ),
        "{}",
        found[0].message
    );
    // A node more in zone a changes nothing (the draw may still be zone b); one more in zone b
    // holds the three there: the fix grows the second pool.
    let fix = found[0].fix.as_deref().unwrap();
    assert!(
        fix.contains("the spread costs 1 node(s) in every order; set cluster.node_pools.1.nodes to 2 (pool b),"),
        "{fix}"
    );
    let fixed = crate::common::with_fix(&p, &found[0]);
    assert!(fired(&fixed, RuleId::PodsPendingInSomeOrder).is_empty());
    // solve sizes the same pool, the same way: a plan with a workload to size for.
    let mut busy = p.clone();
    busy.workload = Some(flowcap::model::plan::Workload {
        streaming: Some(flowcap::model::plan::PathLoad::new(10.0, flowcap::model::units::Seconds(5.0))),
        ..Default::default()
    });
    match flowcap::analysis::solve::solve(&busy) {
        flowcap::analysis::solve::Outcome::Cluster(sizing) => {
            assert_eq!((sizing.pool_index, sizing.pool.as_str(), sizing.nodes), (1, "b", 2));
            assert!(sizing.describe(&busy).starts_with("set cluster.node_pools.1.nodes to 2 (pool b):"));
        }
        other => panic!("{other:?}"),
    }
    // With the zones the other way round, the first draw strands the pod.
    let swapped = "    - { name: b, nodes: 1, cpus: 8, memory: 32Gi, allocatable: { cpus: 8, memory: 32Gi }, labels: { topology.kubernetes.io/zone: eu-1b } }\n    \
    - { name: a, nodes: 2, cpus: 8, memory: 32Gi, allocatable: { cpus: 8, memory: 32Gi }, labels: { topology.kubernetes.io/zone: eu-1a } }\n";
    let p = cluster(swapped, 3, 4, &beside("api", "topology.kubernetes.io/zone"));
    let fit = analyze(&p).cluster.unwrap();
    let order = fit.scheduling.now.expect("stranded either way round");
    assert_eq!((order.ties, order.pending[0].pods), (flowcap::analysis::scheduler::Ties::First, 1));
    // First fit, too, puts the first API pod in zone b; the scheduler's draw of zone a places
    // them all, so they fit: only the order of arrival (and the draw) strands one.
    assert_eq!((fit.now.pods, fit.now.placed), (4, 4), "{:?}", fit.now.unplaced);
    assert!(fired(&p, RuleId::PodsUnschedulable).is_empty());
    assert_eq!(fired(&p, RuleId::PodsPendingInSomeOrder).len(), 1);
    // Past 100 nodes the scheduler scores a share of them from a rotating start: the draw of
    // the last node is still tried (the nodes mirrored), so 101 nodes in zone b do not hide
    // zone a's one.
    let many = "    - { name: b, nodes: 101, cpus: 8, memory: 32Gi, allocatable: { cpus: 8, memory: 32Gi }, labels: { topology.kubernetes.io/zone: eu-1b } }\n    \
    - { name: a, nodes: 1, cpus: 8, memory: 32Gi, allocatable: { cpus: 8, memory: 32Gi }, labels: { topology.kubernetes.io/zone: eu-1a } }\n";
    let p = cluster(many, 3, 4, &beside("api", "topology.kubernetes.io/zone"));
    let order = analyze(&p).cluster.unwrap().scheduling.now.expect("the draw of zone a strands a pod");
    assert_eq!((order.ties, order.pending[0].pods), (flowcap::analysis::scheduler::Ties::Last, 1));
    // Both draws strand pods, the last's more: six API pods, 4 in zone a's two nodes, 2 in
    // zone b's one. The worst is reported.
    let p = cluster(zones, 6, 4, &beside("api", "topology.kubernetes.io/zone"));
    let order = analyze(&p).cluster.unwrap().scheduling.now.unwrap();
    assert_eq!((order.ties, order.pending[0].pods), (flowcap::analysis::scheduler::Ties::Last, 4));
    // One zone of three nodes: the draw cannot matter, and no order strands a pod.
    let one = "    - { name: a, nodes: 3, cpus: 8, memory: 32Gi, allocatable: { cpus: 8, memory: 32Gi }, labels: { topology.kubernetes.io/zone: eu-1a } }\n";
    let p = cluster(one, 3, 4, &beside("api", "topology.kubernetes.io/zone"));
    assert!(analyze(&p).cluster.unwrap().scheduling.now.is_none());
}

/// First fit places a workload that joins others after the first of them that runs pods: a
/// workload at 0 replicas (web here, which only one node admits, so it would come first in
/// either packing, the runtime next: three nodes admit it, four the API) is no pod to join, so
/// the runtime, which joins web's or the API's pods, still waits for the API's.
#[test]
fn first_fit_waits_for_a_joined_workload_that_runs_pods() {
    use flowcap::analysis::placement::{Scale, place, pods};
    let p = plan(&format!(
        "platform: kubernetes\npostgres: {{ external: true, max_connections: 200 }}\ncluster:\n  node_pools:\n{THREE_NODES}\
         \x20   - {{ name: edge, nodes: 1, cpus: 8, memory: 32Gi, labels: {{ edge: 'yes' }} }}\n\
         api: {{ replicas: 1, requests: {{ cpus: 1, memory: 1Gi }} }}\n\
         runtime: {{ replicas: 2, requests: {{ cpus: 2, memory: 1Gi }} }}\n\
         other_services:\n  web: {{ replicas: 0, requests: {{ cpus: 4, memory: 1Gi }} }}\n\
         pod_placement:\n  other_services.web: {{ node_selector: {{ edge: 'yes' }} }}\n  runtime:\n    \
         node_selector: {{ cloud.google.com/gke-nodepool: p }}\n    required_pod_affinity:\n      \
         - {{ labelSelector: {{ matchExpressions: [ {{ key: app.kubernetes.io/component, operator: In, values: [web, api] }} ] }}, topologyKey: kubernetes.io/hostname }}\n"
    ));
    let packed = place(p.cluster.as_ref().unwrap(), Scale::Now, &pods(&p, Scale::Now));
    assert_eq!((packed.pods, packed.placed), (3, 3), "{:?}", packed.unplaced);
}

/// Three zones of 1, 2 and 1 nodes; six API pods of 2 CPUs that keep to one zone. Met first,
/// the API's first pod draws zone a or c (every node ties) and two pods wait; met after the
/// runtime's pod (on a-1), it takes an empty node of zone b, where all six fit. The fit is that
/// order's: the pods fit, and only the order strands two.
#[test]
fn the_fit_is_the_spread_in_the_order_that_places_the_most() {
    let zone = |name: &str, nodes: u32| {
        format!(
            "    - {{ name: {name}, nodes: {nodes}, cpus: 8, memory: 32Gi, allocatable: {{ cpus: 8, memory: 32Gi }}, labels: {{ topology.kubernetes.io/zone: {name} }} }}\n"
        )
    };
    let pools = format!("{}{}{}", zone("a", 1), zone("b", 2), zone("c", 1));
    let p = cluster(&pools, 6, 2, &beside("api", "topology.kubernetes.io/zone"));
    let fit = analyze(&p).cluster.unwrap();
    assert_eq!((fit.now.pods, fit.now.placed), (7, 7), "{:?}", fit.now.unplaced);
    let order = fit.scheduling.now.expect("the API first strands two");
    assert_eq!((order.order[0].as_str(), order.pending[0].pods), ("api", 2));
    assert!(fired(&p, RuleId::PodsUnschedulable).is_empty());
}

/// At the maximum the spread runs on the nodes the cluster autoscaler added, not on every
/// pool at its `max_nodes`: where the fit is the spread's, its nodes and shares are too. Ten
/// API pods of 2 CPUs in one zone: zone b (first, up to 2 nodes) holds 8 and strands 2 when the
/// first pod draws it; drawn to zone a, they fit on 3 of its nodes (4 with the runtime's).
#[test]
fn the_fit_at_the_maximum_counts_the_nodes_the_spread_used() {
    let p = plan(
        "platform: kubernetes\npostgres: { external: true, max_connections: 200 }\n\
         api: { replicas: 2, requests: { cpus: 2, memory: 2Gi }, autoscaling: { min: 2, max: 10 } }\n\
         runtime: { replicas: 1, requests: { cpus: 500m, memory: 1Gi } }\n\
         cluster:\n  provider: generic\n  node_pools:\n\
         \x20   - { name: zone-b, nodes: 1, max_nodes: 2, cpus: 8, memory: 32Gi, labels: { topology.kubernetes.io/zone: b } }\n\
         \x20   - { name: zone-a, nodes: 1, max_nodes: 4, cpus: 8, memory: 32Gi, labels: { topology.kubernetes.io/zone: a } }\n\
         pod_placement:\n  api:\n    required_pod_affinity:\n      \
         - { labelSelector: { matchLabels: { app.kubernetes.io/component: api } }, topologyKey: topology.kubernetes.io/zone }\n",
    );
    let at_maximum = analyze(&p).cluster.unwrap().at_maximum;
    assert_eq!((at_maximum.pods, at_maximum.placed, at_maximum.nodes), (11, 11, 4), "{at_maximum:?}");
    // 20.5 CPUs requested over 4 nodes of 8: 64.06 %.
    assert_eq!(at_maximum.cpu_requests_share, 0.6406);
}
