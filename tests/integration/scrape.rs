//! The deployment's own Prometheus config: a scaled service scraped as one static target is a
//! finding at its line in prometheus.yml, and the fix it gives is a config Prometheus's own
//! `promtool check config` accepts (required on CI, ignored elsewhere without it).

use crate::common::{flowcap, tempdir};
use flowcap::analysis::rules::RuleId;
use std::path::Path;
use std::process::Command;

/// A stack that renamed Flow-Like's services, runs three workers and a monitoring profile
/// whose Prometheus reads its folder of config from the host.
const STACK: &str = r#"name: acme-flows
services:
  db:
    image: postgres:16-alpine
    environment:
      POSTGRES_USER: flow
      POSTGRES_PASSWORD: ${DB_PASSWORD}
  api:
    image: ghcr.io/tm9657/flow-like-api:latest
    ports: ["127.0.0.1:8080:8080"]
    environment:
      DATABASE_URL: postgres://flow:${DB_PASSWORD}@db:5432/flow
  worker:
    image: ghcr.io/tm9657/flow-like-runtime:latest
    environment:
      MAX_CONCURRENT_EXECUTIONS: "8"
    deploy:
      replicas: 3
  metrics:
    image: prom/prometheus:v2.48.0
    profiles: [monitoring]
    command: ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
    volumes:
      - ./monitoring:/etc/prometheus:ro
      - prom:/prometheus
  pg-exporter:
    image: quay.io/prometheuscommunity/postgres-exporter:v0.15.0
    profiles: [monitoring]
volumes:
  prom: {}
"#;

/// Flow-Like's own scrape config, with the services renamed as the stack renames them.
const CONFIG: &str = "global:
  scrape_interval: 15s
scrape_configs:
  - job_name: flow-like-api
    static_configs:
      - targets: ['api:9090']
  - job_name: flow-like-runtime
    static_configs:
      - targets:
          - worker:9000
  - job_name: postgres
    static_configs:
      - targets: ['pg-exporter:9187']
";

fn stack(compose: &str, config: &str) -> crate::common::TestDir {
    let dir = tempdir("scrape");
    std::fs::create_dir_all(dir.join("monitoring")).unwrap();
    std::fs::write(dir.join("compose.yaml"), compose).unwrap();
    std::fs::write(dir.join("monitoring/prometheus.yml"), config).unwrap();
    std::fs::write(dir.join(".env"), "DB_PASSWORD=canary-5a1e\n").unwrap();
    dir
}

fn check(dir: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let output = flowcap()
        .current_dir(dir)
        .args(["--check", "--service", "runtime=worker,postgres=db", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(!stdout.contains("canary-5a1e"), "{stdout}");
    (output.status.code(), serde_json::from_str(&stdout).unwrap_or_default(), stdout)
}

fn scrape_findings(report: &serde_json::Value) -> Vec<serde_json::Value> {
    let findings = report["findings"].as_array().unwrap();
    findings.iter().filter(|f| f["rule"] == RuleId::PrometheusScrapesOneReplica.as_str()).cloned().collect()
}

#[test]
#[cfg_attr(missing = "promtool", ignore = "needs promtool")]
fn three_workers_scraped_as_one_target_point_at_the_line_and_the_fix_is_a_valid_config() {
    let dir = stack(STACK, CONFIG);
    let (code, report, stdout) = check(&dir, &["--profile", "monitoring"]);
    assert_eq!(code, Some(0), "{stdout}");
    let found = scrape_findings(&report);
    // The API runs once: its static target is right. The three workers are not.
    assert_eq!(found.len(), 1, "{report:#}");
    let finding = &found[0];
    assert_eq!(finding["file"], "./monitoring/prometheus.yml");
    assert_eq!((finding["line"].as_u64(), finding["column"].as_u64()), (Some(10), Some(13)));
    assert_eq!(finding["path"], "runtime.replicas");
    assert!(finding["message"].as_str().unwrap().contains("scrapes worker:9000 as one static target"));
    let fix = finding["fix"].as_str().unwrap();
    let (_, sd) = fix.split_once(" with ").unwrap();
    assert_eq!(sd, "dns_sd_configs: [{names: [worker], type: A, port: 9000}]");

    // The fix, applied to the job, is a config Prometheus accepts.
    let fixed =
        CONFIG.replace("    static_configs:\n      - targets:\n          - worker:9000\n", &format!("    {sd}\n"));
    assert_ne!(fixed, CONFIG);
    std::fs::write(dir.join("monitoring/prometheus.yml"), &fixed).unwrap();
    crate::common::require("promtool");
    let checked = Command::new("promtool")
        .args(["check", "config", "--syntax-only"])
        .arg(dir.join("monitoring/prometheus.yml"))
        .output()
        .unwrap();
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stdout));
    // And flowcap no longer finds it.
    let (_, report, _) = check(&dir, &["--profile", "monitoring"]);
    assert!(scrape_findings(&report).is_empty(), "{report:#}");
}

#[test]
fn no_finding_without_the_monitoring_profile_or_with_one_replica() {
    let dir = stack(STACK, CONFIG);
    let (_, report, _) = check(&dir, &[]);
    assert!(scrape_findings(&report).is_empty(), "Prometheus does not run without its profile: {report:#}");
    let one = stack(&STACK.replace("replicas: 3", "replicas: 1"), CONFIG);
    let (_, report, _) = check(&one, &["--profile", "monitoring"]);
    assert!(scrape_findings(&report).is_empty(), "{report:#}");
}

#[test]
fn a_mounted_file_at_a_custom_path_and_a_pinned_container_name_are_followed() {
    // Long volume syntax, the config at another path, the runtime scraped by container_name.
    let compose = STACK
        .replace(
            "    command: [\"--config.file=/etc/prometheus/prometheus.yml\", \"--storage.tsdb.path=/prometheus\"]\n    volumes:\n      - ./monitoring:/etc/prometheus:ro\n",
            "    command: --config.file /config/scrape.yml\n    volumes:\n      - type: bind\n        source: ./monitoring/prometheus.yml\n        target: /config/scrape.yml\n",
        )
        .replace("  worker:\n", "  worker:\n    container_name: acme-worker\n");
    let dir = stack(&compose, &CONFIG.replace("worker:9000", "acme-worker:9000"));
    let (code, report, stdout) = check(&dir, &["--profile", "monitoring"]);
    // A pinned container_name with three replicas is an error of its own.
    assert_eq!(code, Some(1), "{stdout}");
    let found = scrape_findings(&report);
    assert_eq!(found.len(), 1, "{report:#}");
    assert!(found[0]["fix"].as_str().unwrap().ends_with("[{names: [acme-worker], type: A, port: 9000}]"));
}

#[test]
fn a_config_in_a_named_volume_is_not_read_and_a_broken_one_is_exit_2_at_its_line() {
    let named = STACK.replace("./monitoring:/etc/prometheus:ro", "prom-config:/etc/prometheus:ro");
    let dir = stack(&named, CONFIG);
    let (code, report, stdout) = check(&dir, &["--profile", "monitoring"]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(scrape_findings(&report).is_empty(), "{report:#}");

    let dir = stack(STACK, "scrape_configs:\n  - job_name: x\n    static_configs: [\n");
    let output = flowcap()
        .current_dir(&dir)
        .args(["--check", "--service", "runtime=worker,postgres=db"])
        .args(["--profile", "monitoring"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("monitoring/prometheus.yml:4:1: "), "{stderr}");
}

#[test]
fn observe_warns_that_its_figures_would_be_one_replicas() {
    let dir = stack(STACK, CONFIG);
    let output = flowcap()
        .current_dir(&dir)
        .args(["observe", "--service", "runtime=worker,postgres=db", "--profile", "monitoring"])
        .args(["--prometheus", "http://127.0.0.1:9", "--timeout", "2s"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("warning: ./monitoring/prometheus.yml:10:13: job flow-like-runtime scrapes worker:9000"),
        "{stderr}"
    );
    assert!(!stderr.contains("canary-5a1e"));
}

/// The URL `observe` reads without --prometheus, for the metrics service's `ports`.
fn url_for(ports: &str, profiles: &[&str]) -> Result<String, String> {
    let dir = stack(
        &STACK.replace(
            "    profiles: [monitoring]\n    command:",
            &format!("    profiles: [monitoring]\n    ports: {ports}\n    command:"),
        ),
        CONFIG,
    );
    let request = flowcap::inputs::Request {
        compose_files: vec![dir.join("compose.yaml")],
        profiles: profiles.iter().map(|p| p.to_string()).collect(),
        services: vec!["runtime=worker,postgres=db".into()],
        ..Default::default()
    };
    let inputs = flowcap::inputs::resolve(&request, flowcap::platform::compose::Environment::default()).unwrap();
    flowcap::inputs::prometheus_url(&inputs).map_err(|e| e.to_string())
}

#[test]
fn observe_finds_prometheus_where_its_port_is_published() {
    // A service of another name running Prometheus's image, as published.
    assert_eq!(url_for("[\"9091:9090\"]", &["monitoring"]), Ok("http://127.0.0.1:9091".into()));
    assert_eq!(url_for("[\"127.0.0.1:19091:9090\"]", &["monitoring"]), Ok("http://127.0.0.1:19091".into()));
    assert_eq!(url_for("[\"10.0.0.5:9091:9090\"]", &["monitoring"]), Ok("http://10.0.0.5:9091".into()));
    assert_eq!(url_for("[\"[::1]:9091:9090\"]", &["monitoring"]), Ok("http://[::1]:9091".into()));
    assert_eq!(url_for("[\"19091-19092:9090\"]", &["monitoring"]), Ok("http://127.0.0.1:19091".into()));
    // Its other ports are not its API.
    let only_other = url_for("[\"9092:9093\"]", &["monitoring"]).unwrap_err();
    assert!(only_other.contains("publishes its port 9090"), "{only_other}");
    // Off with its profile: the message says which profile starts it.
    let off = url_for("[\"9091:9090\"]", &[]).unwrap_err();
    assert!(
        off.contains("(its prometheus service runs only with the profile monitoring (add --profile monitoring))"),
        "{off}"
    );
}

#[test]
fn a_renamed_runtime_is_asked_for_among_the_services_that_run() {
    let dir = stack(STACK, CONFIG);
    let output = flowcap().current_dir(&dir).arg("--check").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The monitoring profile is off: its services are not offered.
    assert!(stderr.contains("(found: db, api, worker); name yours with --service runtime=NAME"), "{stderr}");
}
