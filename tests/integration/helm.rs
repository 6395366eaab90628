//! Helm values are right when Helm renders Flow-Like's chart with them, every manifest
//! validates, the rendered workloads carry the plan, and reading the values back finds no
//! drift. Needs helm (`.ci/install-helm`), kubernetes-validate (PyPI) and the chart in
//! `../shared/fixtures/flow-like-helm`: ignored outside CI when absent, required on CI.

use crate::common::{flowcap, tempdir};
use flowcap::model::plan::Plan;
use flowcap::model::units::{Bytes, Cpus};
use serde_yaml::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The chart, and the tools that judge what it renders.
fn chart() -> PathBuf {
    crate::common::require("helm");
    crate::common::require("kubernetes-validate");
    crate::common::shared_fixtures().join("flow-like-helm")
}

/// A plan of our own: the Job backend, no executor-pool autoscaler, web's autoscaler with
/// only a CPU metric, a workload without limits, a second node pool.
const OWN_PLAN: &str = "\
platform: kubernetes
api:
  replicas: 2
  requests: { cpus: 250m, memory: 384Mi }
  limits: { cpus: 1500m, memory: 1536Mi }
  autoscaling: { min: 2, max: 6, target_cpu_percent: 60, target_memory_percent: 75 }
pod_placement:
  api:
    node_selector: { workload: frontend }
    tolerations:
      - { key: dedicated, operator: Equal, value: frontend, effect: NoExecute, tolerationSeconds: 60 }
      - { key: dedicated, operator: Equal, value: frontend, effect: NoSchedule }
    required_node_affinity:
      - matchExpressions: [ { key: kubernetes.io/arch, operator: In, values: [amd64, arm64] } ]
  other_services.grafana:
    tolerations: [ { operator: Exists } ]
runtime:
  replicas: 4
  max_concurrent_executions: 8
  requests: { cpus: 2, memory: 4Gi }
  limits: { cpus: 4, memory: 8Gi }
jobs:
  max_concurrent: 40
  requests: { cpus: 500m, memory: 1Gi }
  limits: { cpus: 1, memory: 2Gi }
postgres: { external: true, max_connections: 150 }
other_services:
  web:
    replicas: 2
    requests: { cpus: 20m, memory: 96Mi }
    autoscaling: { min: 2, max: 4, target_cpu_percent: 65, target_memory_percent: null }
  redis: { requests: { cpus: 100m, memory: 256Mi }, limits: { cpus: 500m, memory: 512Mi } }
  prometheus: { requests: { cpus: 250m, memory: 512Mi }, limits: { cpus: 1, memory: 2Gi } }
  grafana: { requests: { cpus: 100m, memory: 256Mi }, limits: { cpus: 500m, memory: 512Mi } }
cluster:
  node_pools:
    - { name: general, nodes: 3, max_nodes: 5, cpus: 16, memory: 64Gi, labels: { workload: frontend },
        taints: [ { key: dedicated, value: frontend, effect: NoSchedule } ] }
    - { name: jobs, nodes: 0, max_nodes: 4, cpus: 8, memory: 32Gi }
";

/// The rendered manifests. Read with PyYAML (kubernetes-validate's own parser), as the API
/// server's does: the chart (ab1f822d) renders duplicate label keys on the executor pool,
/// which the YAML spec forbids and yaml_serde refuses, while Kubernetes keeps the last.
fn documents(rendered: &Path) -> Vec<Value> {
    let json = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d]))",
        ])
        .arg(rendered)
        .output()
        .unwrap();
    assert!(json.status.success(), "{}", String::from_utf8_lossy(&json.stderr));
    serde_json::from_slice(&json.stdout).unwrap()
}

/// The rendered manifests of one kind, by name.
fn manifests<'a>(docs: &'a [Value], kind: &str) -> Vec<(&'a str, &'a Value)> {
    docs.iter()
        .filter(|d| d["kind"].as_str() == Some(kind))
        .map(|d| (d["metadata"]["name"].as_str().unwrap(), d))
        .collect()
}

fn container_resources(workload: &Value) -> &Value {
    &workload["spec"]["template"]["spec"]["containers"][0]["resources"]
}

/// The quantity at `block.key` of rendered resources, read back with flowcap's own parsers.
fn quantity<T>(resources: &Value, block: &str, key: &str, parse: fn(&str) -> Result<T, String>) -> Option<T> {
    let value = &resources[block][key];
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Some(parse(&text).unwrap())
}

fn assert_resources(
    name: &str,
    rendered: &Value,
    requests: flowcap::model::resources::Resources,
    limits: flowcap::model::resources::Resources,
) {
    for (block, planned) in [("requests", requests), ("limits", limits)] {
        assert_eq!(quantity(rendered, block, "cpu", Cpus::parse), planned.cpus, "{name} {block}.cpu");
        assert_eq!(quantity(rendered, block, "memory", Bytes::parse), planned.memory, "{name} {block}.memory");
    }
}

#[test]
#[cfg_attr(
    any(missing = "helm", missing = "kubernetes-validate", missing = "shared-fixtures"),
    ignore = "needs helm, kubernetes-validate and ../shared/fixtures"
)]
fn helm_renders_the_chart_with_the_exported_values_and_they_read_back_without_drift() {
    let chart = chart();
    let operator = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/helm/operator-values.yaml");
    let secrets = chart.join("values-secrets.yaml.example");
    let managed = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/helm/managed-database.yaml");
    for (source, own) in [("--preset=kubernetes-large", false), ("own.yaml", true)] {
        let dir = tempdir("helm");
        std::fs::write(dir.join("own.yaml"), OWN_PLAN).unwrap();
        let output = flowcap()
            .current_dir(&dir)
            .args(["export", "--helm", source, "-o", "values-flowcap.yaml"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{source}: {}", String::from_utf8_lossy(&output.stderr));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("apply with: helm upgrade --install RELEASE CHART -f values.yaml -f values-secrets.yaml -f values-flowcap.yaml"),
            "{stderr}"
        );
        // The operator's values first (for our own plan: a managed database, Jobs), flowcap's last.
        let mut values = vec![secrets.clone()];
        values.push(if own { operator.clone() } else { managed.clone() });
        values.push(dir.join("values-flowcap.yaml"));
        let mut helm = Command::new("helm");
        helm.args(["template", "fl"]).arg(&chart);
        for file in &values {
            helm.arg("-f").arg(file);
        }
        let rendered = helm.output().unwrap();
        assert!(rendered.status.success(), "{source}: helm template: {}", String::from_utf8_lossy(&rendered.stderr));
        std::fs::write(dir.join("rendered.yaml"), &rendered.stdout).unwrap();
        let validated = Command::new("kubernetes-validate")
            .args(["--strict", "--quiet"])
            .arg(dir.join("rendered.yaml"))
            .output()
            .unwrap();
        assert!(
            validated.status.success(),
            "{source}: kubernetes-validate: {}{}",
            String::from_utf8_lossy(&validated.stdout),
            String::from_utf8_lossy(&validated.stderr)
        );

        let plan: Plan = match source.strip_prefix("--preset=") {
            Some(preset) => flowcap::model::presets::load_preset(preset).unwrap().plan,
            None => flowcap::model::load::parse_plan("own.yaml", OWN_PLAN).unwrap().plan,
        };
        let text = String::from_utf8(rendered.stdout).unwrap();
        let docs = documents(&dir.join("rendered.yaml"));
        let deployments = manifests(&docs, "Deployment");
        let deployment =
            |suffix: &str| deployments.iter().find(|(n, _)| *n == format!("fl-flow-like-{suffix}")).map(|(_, d)| *d);
        let hpas = manifests(&docs, "HorizontalPodAutoscaler");
        let hpa = |suffix: &str| hpas.iter().find(|(n, _)| *n == format!("fl-flow-like-{suffix}")).map(|(_, d)| *d);

        let web = &plan.other_services["web"];
        for (suffix, replicas, requests, limits, autoscaling) in [
            ("api", plan.api.replicas, plan.api.reservations, plan.api.limits, plan.api.autoscaling),
            (
                "executor-pool",
                plan.runtime.replicas,
                plan.runtime.reservations,
                plan.runtime.limits,
                plan.runtime.autoscaling,
            ),
            ("web", web.replicas, web.reservations, web.limits, web.autoscaling),
        ] {
            let rendered = deployment(suffix).unwrap_or_else(|| panic!("{source}: no {suffix} Deployment"));
            assert_resources(suffix, container_resources(rendered), requests, limits);
            match autoscaling {
                Some(planned) => {
                    // The HPA owns the count: the API's and web's Deployments leave it out, the executor
                    // pool's (ab1f822d) still sets replicaCount, which flowcap sets to where the
                    // plan has it now.
                    let count = &rendered["spec"]["replicas"];
                    assert!(
                        count.is_null() || count.as_u64() == Some(u64::from(replicas)),
                        "{source}: {suffix} replicas {count:?}"
                    );
                    let spec = &hpa(suffix).unwrap_or_else(|| panic!("{source}: no {suffix} HPA"))["spec"];
                    assert_eq!(spec["minReplicas"].as_u64(), Some(u64::from(planned.min)), "{source} {suffix}");
                    assert_eq!(spec["maxReplicas"].as_u64(), Some(u64::from(planned.max)), "{source} {suffix}");
                    let targets: Vec<u64> = spec["metrics"]
                        .as_sequence()
                        .unwrap()
                        .iter()
                        .map(|m| m["resource"]["target"]["averageUtilization"].as_u64().unwrap())
                        .collect();
                    assert_eq!(
                        targets,
                        [planned.target_cpu_percent, planned.target_memory_percent]
                            .iter()
                            .flatten()
                            .map(|t| u64::from(*t))
                            .collect::<Vec<_>>()
                    );
                }
                None => {
                    assert_eq!(rendered["spec"]["replicas"].as_u64(), Some(u64::from(replicas)), "{source} {suffix}");
                    assert!(hpa(suffix).is_none(), "{source}: an HPA the plan does not have");
                }
            }
        }
        for (name, service) in &plan.other_services {
            if let Some(rendered) = deployment(name) {
                assert_resources(name, container_resources(rendered), service.reservations, service.limits);
            }
        }
        // Where the plan says the pods go, the rendered pods say the same, as Kubernetes reads it.
        if own {
            let spec = &deployment("api").unwrap()["spec"]["template"]["spec"];
            assert_eq!(spec["nodeSelector"]["workload"].as_str(), Some("frontend"), "{spec:?}");
            let toleration = &spec["tolerations"][0];
            assert_eq!(
                (toleration["key"].as_str(), toleration["value"].as_str(), toleration["tolerationSeconds"].as_u64()),
                (Some("dedicated"), Some("frontend"), Some(60))
            );
            let terms = &spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"];
            assert_eq!(terms[0]["matchExpressions"][0]["values"][1].as_str(), Some("arm64"), "{spec:?}");
            let grafana = &deployment("grafana").unwrap()["spec"]["template"]["spec"];
            assert_eq!(grafana["tolerations"][0]["operator"].as_str(), Some("Exists"), "{grafana:?}");
        }
        // The chart (ab1f822d) documents executor.maxConcurrentJobs and executor.resources but
        // passes neither to any manifest: the API applies its own. Said in docs/guide.md; this
        // fails when a chart update starts rendering them, so the test then checks them.
        if let Some(jobs) = &plan.jobs {
            // As a value of its own (an env value, an argument), not inside a checksum.
            let cap = jobs.max_concurrent.to_string();
            let rendered = text.lines().any(|line| {
                let value = line.trim().rsplit([' ', '=']).next().unwrap_or("").trim_matches(['"', '\'']);
                value == cap
            });
            assert!(!rendered, "{source}: the chart now renders the Job cap");
        }

        // Read back over the same files, the values hold exactly the plan.
        let mut diff = flowcap();
        diff.current_dir(&dir).args(["diff", source]);
        for file in &values {
            diff.arg("--helm-values").arg(file);
        }
        let output = diff.output().unwrap();
        assert!(output.status.success(), "{source}: {}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            "no differences: the deployment matches the plan\n",
            "{source}"
        );
    }
}

/// Every leaf of flowcap's copy of the chart's defaults, with its dotted path.
fn leaves(value: &Value, path: &str, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Mapping(map) => {
            for (key, value) in map {
                let key = key.as_str().unwrap();
                leaves(value, &if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }, out);
            }
        }
        leaf => out.push((path.to_string(), leaf.clone())),
    }
}

#[test]
#[cfg_attr(
    any(missing = "helm", missing = "kubernetes-validate", missing = "shared-fixtures"),
    ignore = "needs helm, kubernetes-validate and ../shared/fixtures"
)]
fn flowcaps_copy_of_the_chart_defaults_is_the_charts() {
    let chart = chart();
    let ours: Value = serde_yaml::from_str(flowcap::model::chart::CHART_DEFAULTS).unwrap();
    let theirs: Value = serde_yaml::from_str(&std::fs::read_to_string(chart.join("values.yaml")).unwrap()).unwrap();
    let mut found = Vec::new();
    leaves(&ours, "", &mut found);
    assert!(found.len() > 50, "{}", found.len());
    for (path, value) in found {
        let at = path.split('.').try_fold(&theirs, |node, key| node.get(key));
        assert_eq!(at, Some(&value), "{path}");
    }
}

/// flowcap's list of the chart's keys is every key of its values.yaml under the components it
/// checks, with the shape each has there, plus the keys its templates read that values.yaml
/// leaves out: no more, no fewer.
#[test]
#[cfg_attr(
    any(missing = "helm", missing = "kubernetes-validate", missing = "shared-fixtures"),
    ignore = "needs helm, kubernetes-validate and ../shared/fixtures"
)]
fn flowcaps_list_of_the_chart_keys_is_the_charts() {
    use flowcap::model::chart_keys::{CHART_KEYS, COMPONENTS, KeyShape};
    fn walk(value: &Value, path: &str, out: &mut Vec<(String, KeyShape)>) {
        let shape = match value {
            Value::Mapping(map) if map.is_empty() => KeyShape::FreeMap,
            Value::Mapping(_) => KeyShape::Map,
            Value::Sequence(_) => KeyShape::List,
            _ => KeyShape::Scalar,
        };
        out.push((path.to_string(), shape));
        if let Value::Mapping(map) = value {
            for (key, child) in map {
                walk(child, &format!("{path}.{}", key.as_str().unwrap()), out);
            }
        }
    }
    let chart = chart();
    let theirs: Value = serde_yaml::from_str(&std::fs::read_to_string(chart.join("values.yaml")).unwrap()).unwrap();
    let mut expected = Vec::new();
    for component in COMPONENTS {
        walk(&theirs[component], component, &mut expected);
    }
    // Every `.Values.a.b` the templates read under the components: values.yaml, or a key
    // without a default.
    let mut templates = Vec::new();
    let mut dirs = vec![chart.join("templates")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                templates.push(std::fs::read_to_string(path).unwrap());
            }
        }
    }
    for text in &templates {
        for (at, _) in text.match_indices(".Values.") {
            let rest = &text[at + ".Values.".len()..];
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_')).unwrap_or(rest.len());
            let key = rest[..end].trim_end_matches('.');
            let known = expected.iter().any(|(k, _)| k == key);
            if COMPONENTS.contains(&key.split('.').next().unwrap()) && !known {
                expected.push((key.to_string(), KeyShape::Scalar));
            }
        }
    }
    // A `resources` block the templates pass on whole (toYaml) takes a container's requests
    // and limits of CPU and memory, whether values.yaml spells them out or not.
    let blocks: Vec<String> =
        expected.iter().filter(|(k, _)| k.ends_with(".resources")).map(|(k, _)| k.clone()).collect();
    for block in blocks {
        for (key, shape) in [
            ("limits", KeyShape::Map),
            ("limits.cpu", KeyShape::Scalar),
            ("limits.memory", KeyShape::Scalar),
            ("requests", KeyShape::Map),
            ("requests.cpu", KeyShape::Scalar),
            ("requests.memory", KeyShape::Scalar),
        ] {
            let key = format!("{block}.{key}");
            if !expected.iter().any(|(k, _)| *k == key) {
                expected.push((key, shape));
            }
        }
    }
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    let ours: Vec<(String, KeyShape)> = CHART_KEYS.iter().map(|(k, s)| (k.to_string(), *s)).collect();
    assert_eq!(ours, expected);
}

/// Helm is the judge of what it can render: an empty values file renders exactly what the
/// files before it do, and flowcap reads the same deployment; a component that is not a
/// mapping makes `helm template` fail, and flowcap exit 2 at its place.
#[test]
#[cfg_attr(
    any(missing = "helm", missing = "kubernetes-validate", missing = "shared-fixtures"),
    ignore = "needs helm, kubernetes-validate and ../shared/fixtures"
)]
fn helm_and_flowcap_agree_on_empty_values_files_and_a_component_that_is_not_a_mapping() {
    let chart = chart();
    let dir = tempdir("helm-empty");
    let prod = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/helm/flow-like/values-production.yaml");
    std::fs::write(dir.join("empty.yaml"), "# nothing yet\n").unwrap();
    std::fs::write(dir.join("list.yaml"), "web: {}\napi: [1, 2]\n").unwrap();
    let template = |extra: &[&str]| {
        let mut helm = Command::new("helm");
        helm.args(["template", "fl"]).arg(&chart).arg("-f").arg(chart.join("values-secrets.yaml.example"));
        helm.arg("-f").arg(&prod);
        for file in extra {
            helm.arg("-f").arg(dir.join(file));
        }
        helm.output().unwrap()
    };
    // What runs and how big: the chart generates passwords afresh on every render.
    let shape = |output: std::process::Output| {
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .filter(|l| {
                let key = l.trim_start().split(':').next().unwrap_or("");
                ["kind", "name", "replicas", "cpu", "memory", "minReplicas", "maxReplicas"].contains(&key)
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let alone = shape(template(&[]));
    assert!(alone.contains("kind: StatefulSet") && alone.contains("replicas: 3"), "{alone}");
    assert_eq!(shape(template(&["empty.yaml"])), alone);
    let check = |extra: &[&str]| {
        let mut run = flowcap();
        run.current_dir(&dir).args(["--check", "--format", "json", "--helm-values"]).arg(&prod);
        for file in extra {
            run.args(["--helm-values", file]);
        }
        run.args(["--nodes", "3", "--node-cpus", "8", "--node-memory", "32Gi"]).output().unwrap()
    };
    let figures = |output: &std::process::Output| {
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        json["figures"].clone()
    };
    assert_eq!(figures(&check(&["empty.yaml"])), figures(&check(&[])));

    let refused = template(&["list.yaml"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("can't evaluate field"), "{refused:?}");
    let ours = check(&["list.yaml"]);
    assert_eq!(ours.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&ours.stderr)
            .contains("list.yaml:2:1: api: must be a mapping of keys: the chart's templates read it as one"),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    // A null removes the autoscaler's mapping, whose `enabled` the templates read: helm fails
    // on it for a component that runs, and renders the chart where it does not.
    std::fs::write(dir.join("null.yaml"), "api:\n  replicaCount: 2\nweb:\n  autoscaling: null\n").unwrap();
    let refused = template(&["null.yaml"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("nil pointer evaluating"), "{refused:?}");
    let ours = check(&["null.yaml"]);
    assert_eq!(ours.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&ours.stderr).contains("null.yaml:4:3: web.autoscaling: is removed (null)"),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    std::fs::write(dir.join("off.yaml"), "web:\n  enabled: false\n  autoscaling: null\n").unwrap();
    assert!(template(&["off.yaml"]).status.success());
    assert_ne!(check(&["off.yaml"]).status.code(), Some(2));

    // Documents of one file merge in order, as files do: the second document's web count
    // wins and the first's database count stays. Helm renders exactly what the two files
    // render.
    std::fs::write(
        dir.join("docs.yaml"),
        "web:\n  replicaCount: 3\ndatabase:\n  internal:\n    replicas: 1\n---\nweb:\n  replicaCount: 4\n",
    )
    .unwrap();
    std::fs::write(dir.join("first.yaml"), "web:\n  replicaCount: 3\ndatabase:\n  internal:\n    replicas: 1\n")
        .unwrap();
    std::fs::write(dir.join("second.yaml"), "web:\n  replicaCount: 4\n").unwrap();
    let merged = shape(template(&["docs.yaml"]));
    assert_eq!(merged, shape(template(&["first.yaml", "second.yaml"])));
    assert!(merged.contains("replicas: 4") && !merged.contains("replicas: 3"), "{merged}");
    assert_eq!(figures(&check(&["docs.yaml"])), figures(&check(&["first.yaml", "second.yaml"])));
}

/// `-o -` prints the values for `helm ... -f -` to read from a pipe, and writes no file: the
/// chart renders them as it renders the file.
#[test]
#[cfg_attr(
    any(missing = "helm", missing = "kubernetes-validate", missing = "shared-fixtures"),
    ignore = "needs helm, kubernetes-validate and ../shared/fixtures"
)]
fn values_printed_with_a_dash_go_through_a_pipe_into_helm() {
    let dir = tempdir("helm-stdout");
    let exported = flowcap()
        .current_dir(&dir)
        .args(["export", "--helm", "--preset", "kubernetes-large", "-o", "-"])
        .output()
        .unwrap();
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    let told = String::from_utf8_lossy(&exported.stderr);
    assert!(told.contains("pipe it into: helm upgrade --install RELEASE CHART") && told.ends_with("-f -\n"), "{told}");
    assert_eq!(std::fs::read_dir(&*dir).unwrap().count(), 0, "no file written");
    let api = crate::common::render_validated_piped(&dir, &["-"], &exported.stdout, "templates/api-deployment.yaml");
    // The chart's own default is 256Mi: the values came through the pipe.
    assert_eq!(api["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"], "512Mi");
}
