//! Helm values read as Helm and the API server read them: empty files, what neither can take,
//! components switched off, keys no template reads, and Flow-Like's own production values.

use crate::common::{flowcap, tempdir};
use flowcap::io::error::InputError;
use flowcap::model::plan::Plan;
use flowcap::platform::kubernetes::values::{Imported, ValuesFile, import};
use std::path::Path;

fn read(files: &[(&str, &str)]) -> Result<Imported, InputError> {
    let files: Vec<ValuesFile> =
        files.iter().map(|(name, text)| ValuesFile { name: name.to_string(), text: text.to_string() }).collect();
    import(&files)
}

fn plan(files: &[(&str, &str)]) -> Plan {
    read(files).unwrap_or_else(|e| panic!("{e}")).plan
}

/// The plan on 3 nodes of 8 CPUs and 32 GiB, as `--nodes 3 --node-cpus 8 --node-memory 32Gi`.
fn on_nodes(mut plan: Plan) -> Plan {
    plan.cluster = Some(flowcap::model::cluster::Cluster {
        node_pools: vec![flowcap::model::cluster::NodePool::new(
            "nodes",
            3,
            flowcap::model::units::Cpus::whole(8),
            flowcap::model::units::Bytes::gib(32),
        )],
        ..Default::default()
    });
    plan
}

/// Flow-Like's `values-production.yaml` at ab1f822d.
fn production() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/helm/flow-like/values-production.yaml"),
    )
    .unwrap()
}

#[test]
fn an_empty_values_file_changes_nothing() {
    let prod = production();
    let alone = plan(&[("prod.yaml", &prod)]);
    assert_eq!((alone.api.replicas, alone.api.autoscaling.map(|a| a.max)), (3, Some(20)));
    for empty in ["", "\n", "# nothing set here yet\n", "---\n", "~\n", "--- ~\n", "null\n"] {
        assert_eq!(plan(&[("prod.yaml", &prod), ("empty.yaml", empty)]), alone, "{empty:?}");
        assert_eq!(plan(&[("empty.yaml", empty), ("prod.yaml", &prod)]), alone, "{empty:?}");
    }
    // A null for one key removes that key, as Helm does: the chart's default for it goes too.
    let removed = plan(&[("prod.yaml", &prod), ("less.yaml", "api:\n  resources:\n    limits: null\n")]);
    assert_eq!(removed.api.limits, Default::default());
    assert_eq!(removed.api.reservations, alone.api.reservations);
}

#[test]
fn what_helm_cannot_render_or_the_api_server_refuses_is_an_error_at_its_place() {
    let error = |text: &str| {
        let e = read(&[("a.yaml", "api:\n  replicaCount: 2\n"), ("b.yaml", text)]).unwrap_err();
        (e.location().file.clone(), e.location().line, e.location().column, e.message().to_string())
    };
    // `helm template` fails: "can't evaluate field enabled in type interface {}".
    assert_eq!(
        error("web: {}\napi: [1, 2]\n"),
        (
            "b.yaml".into(),
            Some(2),
            Some(1),
            "api: must be a mapping of keys: the chart's templates read it as one".into()
        )
    );
    assert_eq!(
        error("executorPool:\n  resources: 2Gi\n").3,
        "executorPool.resources: must be a mapping of keys: the chart's templates read it as one"
    );
    assert_eq!(
        error("api:\n  tolerations: {}\n").3,
        "api.tolerations: must be a list: the chart's templates read it as one"
    );
    // The API server: "must be less than or equal to cpu limit of 0". The chart's API requests
    // 100m CPU and 256Mi.
    assert_eq!(
        error("api:\n  resources:\n    limits:\n      cpu: \"0\"\n"),
        (
            "b.yaml".into(),
            Some(4),
            Some(7),
            "api.resources.limits.cpu: is below api.resources.requests.cpu (the chart's default, 100m): the API server refuses a pod whose limit is below its request".into()
        )
    );
    assert_eq!(
        error("executorPool:\n  resources:\n    requests: { memory: 2Gi }\n    limits: { memory: 1Gi }\n").3,
        "executorPool.resources.limits.memory: is below executorPool.resources.requests.memory: the API server refuses a pod whose limit is below its request"
    );
    // An autoscaler the API server refuses, at the key that makes it so.
    assert_eq!(
        error("web:\n  autoscaling:\n    enabled: true\n    minReplicas: 5\n    maxReplicas: 2\n"),
        (
            "b.yaml".into(),
            Some(5),
            Some(5),
            "web.autoscaling.maxReplicas: must be at least minReplicas (5): the API server refuses a maximum below the minimum".into()
        )
    );
    assert_eq!(
        error("api:\n  autoscaling: { enabled: true, minReplicas: 0 }\n").3,
        "api.autoscaling.minReplicas: must be at least 1: the API server refuses an autoscaler's minReplicas of 0"
    );
    assert_eq!(
        error("web:\n  enabled: \"false\"\n").3,
        "web.enabled: must be true or false, unquoted: the chart's templates take any text as true, \"false\" included"
    );
    // minReplicas unset renders empty, and the API server defaults it to 1.
    let unset = plan(&[("b.yaml", "api:\n  autoscaling: { enabled: true, minReplicas: null, maxReplicas: 4 }\n")]);
    assert_eq!(unset.api.autoscaling.map(|a| (a.min, a.max)), Some((1, 4)));
    // A 0 limit with no request is no limit at all.
    let unlimited = plan(&[("b.yaml", "api:\n  resources:\n    requests: null\n    limits: { cpu: 0, memory: 0 }\n")]);
    assert_eq!((unlimited.api.limits, unlimited.api.reservations), Default::default());
}

#[test]
fn a_component_switched_off_has_no_pods_no_connections_and_nothing_to_place() {
    let off = plan(&[(
        "v.yaml",
        "api:\n  enabled: false\n  autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 9 }\n",
    )]);
    assert_eq!((off.api.replicas, off.api.autoscaling), (0, None));
    let analysis = flowcap::analysis::figures::analyze(&off);
    assert_eq!(analysis.connections.clients[0].connections, 0);
    let with_nodes = on_nodes(off.clone());
    let pods = flowcap::analysis::placement::pods(&with_nodes, flowcap::analysis::placement::Scale::Now);
    assert_eq!(pods.iter().find(|g| g.workload == "api").map(|g| g.count), Some(0));
    // The executor pool switched off: no runtimes either.
    let no_pool = plan(&[("v.yaml", "executorPool:\n  enabled: false\n")]);
    assert_eq!((no_pool.runtime.replicas, no_pool.runtime.autoscaling), (0, None));
}

/// The chart's web autoscaler (web-hpa.yaml) as the API's: the Deployment then renders no
/// count, and its pods are placed at its maximum with every other autoscaler's.
#[test]
fn webs_autoscaler_is_read_and_its_pods_placed_at_its_maximum() {
    let values = "web:\n  replicaCount: 1\n  autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 8, targetMemoryUtilization: 0 }\n  resources:\n    requests: { cpu: '2', memory: 1Gi }\n    limits: { cpu: '2', memory: 2Gi }\n";
    let read = on_nodes(plan(&[("v.yaml", values)]));
    let web = &read.other_services["web"];
    // The count held within the autoscaler's range; a target of 0 renders no metric.
    assert_eq!(web.replicas, 2);
    assert_eq!(
        web.autoscaling,
        Some(flowcap::model::cluster::Autoscaling {
            min: 2,
            max: 8,
            target_cpu_percent: Some(70),
            target_memory_percent: None
        })
    );
    // 3 nodes of 8 CPUs (7.91 allocatable on GKE): now 2 web pods; at the maximum 8 of 2 CPUs
    // beside the rest of the chart's defaults.
    let fit = flowcap::analysis::figures::analyze(&read).cluster.unwrap();
    let web_pods = |scale| {
        flowcap::analysis::placement::pods(&read, scale)
            .into_iter()
            .find(|g| g.workload == "other_services.web")
            .map(|g| g.count)
    };
    assert_eq!(
        (web_pods(flowcap::analysis::placement::Scale::Now), web_pods(flowcap::analysis::placement::Scale::Maximum)),
        (Some(2), Some(8))
    );
    assert_eq!((fit.now.pods, fit.at_maximum.pods), (11, 17));
    // Written back, the values say the same autoscaler; read again, they are the plan.
    let written = flowcap::platform::kubernetes::export::values_text(&read, "", &Default::default()).unwrap();
    assert!(written.contains("  autoscaling:\n    enabled: true\n    minReplicas: 2\n    maxReplicas: 8\n    targetCPUUtilization: 70\n    targetMemoryUtilization: null\n"), "{written}");
    let again = on_nodes(plan(&[("v.yaml", values), ("flowcap.yaml", &written)]));
    assert_eq!(again.other_services["web"], *web);
    // With neither target the HPA renders no metric, and Kubernetes scales it on 80 % CPU.
    let bare = plan(&[(
        "v.yaml",
        "web:\n  autoscaling: { enabled: true, targetCPUUtilization: null, targetMemoryUtilization: 0 }\n",
    )]);
    let hpa = bare.other_services["web"].autoscaling.unwrap();
    assert_eq!((hpa.min, hpa.max, hpa.target_cpu_percent, hpa.target_memory_percent), (1, 5, Some(80), None));
    // With its autoscaler on, web's Deployment renders no count: a plan standing at another
    // count within the range is no drift; its range is.
    let mut planned = read.clone();
    planned.other_services.get_mut("web").unwrap().replicas = 5;
    assert_eq!(flowcap::analysis::drift::compare(&read, &planned), []);
    planned.other_services.get_mut("web").unwrap().autoscaling.as_mut().unwrap().max = 6;
    let found = flowcap::analysis::drift::compare(&read, &planned);
    assert_eq!(found.iter().map(|d| d.path.as_str()).collect::<Vec<_>>(), ["other_services.web.autoscaling"]);
    // The executor pool's Deployment sets replicaCount whatever its autoscaler: that count is.
    let pool = on_nodes(plan(&[(
        "v.yaml",
        "executorPool:\n  replicaCount: 2\n  autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 4 }\n",
    )]));
    let mut planned = pool.clone();
    planned.runtime.replicas = 3;
    let found = flowcap::analysis::drift::compare(&pool, &planned);
    assert_eq!(found.iter().map(|d| d.path.as_str()).collect::<Vec<_>>(), ["runtime.replicas"]);
}

#[test]
fn keys_no_template_reads_are_named_with_the_nearest_known_key() {
    let imported = read(&[
        ("a.yaml", "api:\n  replicas: 3\n  resources:\n    limit:\n      cpu: 2\n"),
        ("b.yaml", "executorPool:\n  maxConcurrentExecutions: 20\n  nodeSelector: { pool: runtimes }\nglobal: { anything: 1 }\n"),
    ])
    .unwrap();
    type Found<'a> = (&'a str, Option<&'a str>, Option<(usize, usize)>);
    let found: Vec<Found> =
        imported.unknown_keys.iter().map(|k| (k.path.as_str(), k.nearest, k.place.as_ref().map(|p| p.1))).collect();
    assert_eq!(
        found,
        [
            ("api.replicas", Some("api.replicaCount"), Some((2, 3))),
            ("api.resources.limit", Some("api.resources.limits"), Some((4, 5))),
            // Nothing near it: the pool has no such setting (Flow-Like's executor reads none).
            ("executorPool.maxConcurrentExecutions", None, Some((2, 3))),
            // The executor pool's template has no nodeSelector (only the API's and web's do).
            ("executorPool.nodeSelector", None, Some((3, 3))),
        ]
    );
    // Flow-Like's own production values use only keys its chart reads.
    assert_eq!(read(&[("prod.yaml", &production())]).unwrap().unknown_keys, []);
}

#[test]
fn the_report_names_every_values_file_and_warns_of_unknown_keys_where_they_stand() {
    let dir = tempdir("helm-values");
    std::fs::write(dir.join("prod.yaml"), production()).unwrap();
    std::fs::write(dir.join("empty.yaml"), "# overrides go here\n").unwrap();
    std::fs::write(dir.join("typo.yaml"), "api:\n  replicas: 5\n").unwrap();
    let run = |format: &str| {
        let output = flowcap()
            .current_dir(&dir)
            .args(["--check", "--format", format, "--helm-values", "prod.yaml", "--helm-values", "empty.yaml"])
            .args(["--helm-values", "typo.yaml", "--nodes", "3", "--node-cpus", "8", "--node-memory", "32Gi"])
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    let human = run("human");
    assert!(human.starts_with("flowcap check: prod.yaml (prod.yaml + empty.yaml + typo.yaml)\n"), "{human}");
    assert!(
        human.contains(
            "  warning helm-values-unknown-key  typo.yaml:2:3\n          api.replicas is not a key of Flow-Like's chart: Helm ignores it: did you mean api.replicaCount?\n          fix: rename it to api.replicaCount\n"
        ),
        "{human}"
    );
    let text = run("json");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["plan"]["read"], "prod.yaml + empty.yaml + typo.yaml");
    // The CockroachDB figures and the new findings hold to the documented shape.
    assert_eq!(json["figures"]["cockroachdb"]["connection_guidance"], 48);
    std::fs::write(dir.join("report.json"), &text).unwrap();
    crate::common::assert_report_schema(&[dir.join("report.json")]);
    // The empty file dropped nothing: production's 3 API pods, its autoscaler to 20.
    assert_eq!(json["figures"]["at_maximum"]["api_replicas"], 20);
}

/// The chart's internal database read as CockroachDB: `start-single-node` pods, `--cache` and
/// `--max-sql-memory` as the template renders them (`| default "25%"`), `replicas | default 1`.
#[test]
fn the_internal_database_is_cockroachdb_as_the_chart_renders_it() {
    use flowcap::model::cockroach::{CockroachDb, MemoryFlag};
    let defaults = plan(&[]);
    assert_eq!(defaults.cockroachdb, Some(CockroachDb::default()));
    assert_eq!(defaults.other_services["cockroachdb"].replicas, 3);
    let set =
        plan(&[("v.yaml", "database:\n  internal:\n    replicas: 0\n    cache: \"40%\"\n    maxSqlMemory: 1GiB\n")]);
    assert_eq!(set.other_services["cockroachdb"].replicas, 1);
    let db = set.cockroachdb.unwrap();
    assert_eq!(
        (db.cache, db.max_sql_memory),
        (MemoryFlag::Share(0.4), MemoryFlag::Size(flowcap::model::units::Bytes(1 << 30)))
    );
    // Empty is the template's default too.
    assert_eq!(
        plan(&[("v.yaml", "database:\n  internal:\n    cache: \"\"\n")]).cockroachdb.unwrap().cache,
        MemoryFlag::Share(0.25)
    );
    assert_eq!(plan(&[("v.yaml", "database:\n  type: external\n")]).cockroachdb, None);
    let error = read(&[("v.yaml", "database:\n  internal:\n    cache: s3cr3t\n")]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "v.yaml:3:5: database.internal.cache: must be a share of the pod's memory (25%, .25) or a size (512MiB, 1GB)"
    );
}

/// Flow-Like's production values by hand: 3 API pods × 10 + db-init 3 + admin 2 = 35 now, 20
/// × 10 + 5 = 205 at the autoscaler's maximum; 3 database pods × 4 CPUs = 12 vCPUs, 48
/// connections by the guidance; (48 − 5) ÷ 10 = 4 API replicas stay within it. 25 % + 25 % +
/// 64 MiB of 4 GiB is 51.6 %; at 40 % each, 81.6 %.
#[test]
fn cockroachdb_is_held_to_its_own_guidance_not_to_a_max_connections() {
    use flowcap::analysis::figures::analyze;
    use flowcap::analysis::rules::{RuleId, evaluate};
    use flowcap::model::edit::PlanEdit;
    let prod = production();
    let p = on_nodes(plan(&[("prod.yaml", &prod)]));
    let analysis = analyze(&p);
    let db = analysis.cockroachdb.clone().unwrap();
    assert_eq!((db.pods, db.vcpus, db.connection_guidance), (3, Some(12.0), Some(48)));
    assert_eq!((db.connections, db.connections_at_maximum), (35, 205));
    assert_eq!((db.memory_limit_bytes, db.memory_share), (Some(4 << 30), Some(0.5156)));
    let findings = evaluate(&p, &analysis);
    let rules: Vec<RuleId> = findings.iter().map(|f| f.rule).collect();
    // No PostgreSQL budget: nothing about max_connections.
    for postgres in [RuleId::HpaMaxExhaustsConnections, RuleId::ConnectionsExhausted, RuleId::ConnectionsNearLimit] {
        assert!(!rules.contains(&postgres), "{postgres}: {rules:?}");
    }
    assert!(rules.contains(&RuleId::CockroachSeparateDatabases));
    assert!(!rules.contains(&RuleId::CockroachMemoryOverShare));
    let guidance = findings.iter().find(|f| f.rule == RuleId::CockroachConnectionsPastGuidance).unwrap();
    assert_eq!(guidance.changes, [PlanEdit::ApiAutoscalingMax(4)]);

    // One pod: one database. 40 % each: past the 75 % line.
    let one = on_nodes(plan(&[
        ("prod.yaml", &prod),
        ("one.yaml", "database:\n  internal:\n    replicas: 1\n    cache: .4\n    maxSqlMemory: 40%\n"),
    ]));
    let rules: Vec<RuleId> = evaluate(&one, &analyze(&one)).iter().map(|f| f.rule).collect();
    assert!(!rules.contains(&RuleId::CockroachSeparateDatabases), "{rules:?}");
    assert!(rules.contains(&RuleId::CockroachMemoryOverShare), "{rules:?}");
    assert_eq!(analyze(&one).cockroachdb.unwrap().memory_share, Some(0.8156));
    // Within the guidance: 8 CPUs a pod (96 vCPUs → 384) covers 205.
    let big = plan(&[
        ("prod.yaml", &prod),
        ("big.yaml", "database:\n  internal:\n    resources:\n      limits: { cpu: 32 }\n"),
    ]);
    assert!(evaluate(&big, &analyze(&big)).iter().all(|f| f.rule != RuleId::CockroachConnectionsPastGuidance));
}

/// A plan read from Helm values gets fixes in the chart's keys too: the operator edits the
/// values, not a plan file.
#[test]
fn fixes_name_the_values_key_the_operator_edits() {
    let dir = crate::common::tempdir("values-fix-keys");
    let values = dir.join("v.yaml");
    std::fs::write(&values, "api:\n  replicaCount: 2\nexecutorPool:\n  resources:\n    limits: { memory: 1Gi }\n")
        .unwrap();
    let output = crate::common::flowcap()
        .args(["--check", "--helm-values"])
        .arg(&values)
        .args(["--nodes", "3", "--node-cpus", "8", "--node-memory", "32Gi"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // 1 GiB over the pool's 10 slots is 102.4 MiB each; 256 MiB each is 2.5 GiB.
    assert!(
        stdout.contains(
            "fix: raise runtime.limits.memory to 2.5 GiB, or lower runtime.max_concurrent_executions to 4 and add runtime replicas; in the Helm values, executorPool.resources.limits.memory: 2560Mi"
        ),
        "{stdout}"
    );
    // A fix that names the chart's key already is not said twice.
    assert_eq!(stdout.matches("database.internal.resources.limits.cpu").count(), 1, "{stdout}");
}

#[test]
fn pods_and_drift_go_by_the_names_and_keys_of_the_chart() {
    let dir = crate::common::tempdir("values-names");
    let values = dir.join("v.yaml");
    // One node of 1 CPU and 3 GiB under the chart's defaults: the database and Prometheus pods
    // are left over, named as the chart's components with the keys that size them.
    std::fs::write(&values, "# the chart's defaults\n").unwrap();
    let output = crate::common::flowcap()
        .args(["--check", "--helm-values"])
        .arg(&values)
        .args(["--nodes", "1", "--node-cpus", "1", "--node-memory", "3Gi"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("7 of 10 pods placed on 1 node"), "{stdout}");
    // The order of arrival that strands the most pods, with which pods it strands: the
    // first found strands 3 (cockroachdb, prometheus, tempo); this one an executor pod too.
    assert!(
        stdout.contains("kube-scheduler         4 pod(s) Pending now (runtime 1, grafana 1, prometheus 1, tempo 1) when the pods arrive as api, cockroachdb, runtime, grafana, prometheus, redis, tempo, web"),
        "{stdout}"
    );
    assert!(stdout.contains("  2 cockroachdb pod(s) cannot be placed now:"), "{stdout}");
    assert!(
        stdout.contains(
            "or lower prometheus's requests (other_services.prometheus.reservations; in Helm values monitoring.prometheus.resources.requests)"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("other_services.grafana pod"), "{stdout}");
    // A plan held to values: each drifted value also by the chart key the operator edits.
    let plan = dir.join("plan.yaml");
    flowcap().args(["init", "--preset", "kubernetes-large", "-o"]).arg(&plan).assert().success();
    let output = flowcap().args(["--check"]).arg(&plan).arg("--helm-values").arg(&values).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("runtime.replicas (executorPool.replicaCount in the values): the deployment has 1, the plan 6"),
        "{stdout}"
    );
    assert!(stdout.contains("runtime.limits.memory (executorPool.resources.limits.memory in the values):"), "{stdout}");
    // A key that is the chart's own is not said twice.
    assert!(stdout.contains("\n          api.autoscaling: the deployment"), "{stdout}");
}

/// With the cluster from `--nodes`, a fix or solve that sets the first pool's nodes is that
/// flag: said once, on stderr, and only then.
#[test]
fn fixes_to_a_cluster_from_nodes_flags_name_the_flag() {
    let dir = crate::common::tempdir("values-nodes-note");
    let values = dir.join("v.yaml");
    std::fs::write(&values, "# the chart's defaults\n").unwrap();
    let run = |command: &[&str], nodes: &str, cpus: &str| {
        let output = crate::common::flowcap()
            .args(command)
            .arg("--helm-values")
            .arg(&values)
            .args(["--nodes", nodes, "--node-cpus", cpus, "--node-memory", "32Gi"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stderr).to_string()
    };
    let note =
        "note: the cluster is --nodes 1's: where a fix adds nodes to cluster.node_pools, give the count to --nodes";
    // One node of 1 CPU: pods are left over, and the fix adds nodes.
    let short = run(&["--check"], "1", "1");
    assert_eq!(short.matches(note).count(), 1, "{short}");
    assert!(!run(&["--check"], "3", "16").contains("note: the cluster is"));
    // solve sizes the pool: the count it sets is --nodes's.
    std::fs::write(&values, "executorPool:\n  replicaCount: 2\n").unwrap();
    let plan = dir.join("p.yaml");
    std::fs::write(
        &plan,
        "platform: kubernetes\npostgres: { external: true }\nworkload: { streaming: { arrivals_per_minute: 600, \
         mean_duration: 30s, memory_per_execution: 512Mi } }\nruntime: { replicas: 2, limits: { cpus: 2, memory: 4Gi }, \
         reservations: { cpus: 1, memory: 4Gi } }\ncluster:\n  node_pools:\n    - { name: general, nodes: 9, cpus: 64, memory: 256Gi }\n",
    )
    .unwrap();
    let output = crate::common::flowcap()
        .arg("solve")
        .arg(&plan)
        .args(["--nodes", "1", "--node-cpus", "4", "--node-memory", "16Gi"])
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("cluster.node_pools.0.nodes to 86 (pool nodes)"), "{stdout}");
    assert_eq!(stderr.matches(note).count(), 1, "{stderr}");
    // The count the sizing sets is named.
    assert!(stderr.contains("give the count to --nodes (the most a fix here sets: --nodes 86);"), "{stderr}");
    // A sizing that leaves the nodes as they are says nothing of the flag.
    let preset =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/presets/kubernetes-large.yaml")).unwrap();
    let same = dir.join("same.yaml");
    std::fs::write(
        &same,
        format!(
            "{preset}
workload:
  streaming: {{ arrivals_per_minute: 600, mean_duration: 30s, memory_per_execution: 256Mi }}
"
        ),
    )
    .unwrap();
    let output = crate::common::flowcap()
        .arg("solve")
        .arg(&same)
        .args(["--nodes", "3", "--node-cpus", "64", "--node-memory", "256Gi"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("set runtime.autoscaling.target_memory_percent to 60: 240 slots"), "{stdout}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("note: the cluster is"), "{output:?}");
    // A plan without a cluster takes --nodes' (as --help says); without the flag it needs one.
    let text = std::fs::read_to_string(&plan).unwrap();
    std::fs::write(&plan, &text[..text.find("cluster:").unwrap()]).unwrap();
    let check = |nodes: &[&str]| crate::common::flowcap().arg("--check").arg(&plan).args(nodes).output().unwrap();
    let given = check(&["--nodes", "3", "--node-cpus", "8", "--node-memory", "32Gi"]);
    assert_eq!(given.status.code(), Some(1), "{}", String::from_utf8_lossy(&given.stderr));
    assert!(String::from_utf8_lossy(&given.stdout).contains("pool nodes             3 nodes"));
    let missing = check(&[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("a Kubernetes plan needs a `cluster:`"));
}
