//! The deployment's Prometheus rules as Flow-Like's metrics record them: Flow-Like's own
//! `alerts.yml` filters and groups on labels its metrics never have and divides by a maxmemory
//! Redis does not set. Each finding stands at its rule's line, and promtool accepts every
//! corrected expression.

use crate::common::{copy_tree, flowcap, require, shared_fixtures, tempdir};
use flowcap::analysis::rules::RuleId;
use std::process::Command;

#[test]
#[cfg_attr(any(missing = "promtool", missing = "shared-fixtures"), ignore = "needs promtool and ../shared/fixtures")]
fn flow_likes_rules_are_held_to_its_metrics_and_the_corrections_load() {
    require("promtool");
    let dir = tempdir("alert-rules");
    copy_tree(&shared_fixtures().join("flow-like"), &dir);
    let output = flowcap()
        .current_dir(&dir)
        .args(["--check", "-f", "docker-compose.yml", "--profile", "monitoring", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["rule"] == RuleId::AlertRuleLabelMissing.as_str() || f["rule"] == RuleId::AlertFiresAlways.as_str()
        })
        .collect();
    let places: Vec<(String, u64)> =
        findings.iter().map(|f| (f["rule"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap())).collect();
    let label = RuleId::AlertRuleLabelMissing.as_str().to_string();
    assert_eq!(
        places,
        [(label.clone(), 5), (RuleId::AlertFiresAlways.as_str().to_string(), 55), (label.clone(), 87), (label, 101)],
        "{findings:#?}"
    );
    assert!(findings.iter().all(|f| f["file"] == "monitoring/prometheus/rules/alerts.yml"));
    // Every corrected expression in a rule file promtool accepts.
    let mut rules = String::from("groups:\n  - name: corrected\n    rules:\n");
    for (index, finding) in findings.iter().enumerate() {
        let fix = finding["fix"].as_str().unwrap();
        let expr = &fix[fix.find("expr: ").unwrap() + 6..];
        rules.push_str(&format!("      - record: flowcap:corrected_{index}\n        expr: '{expr}'\n"));
    }
    std::fs::write(dir.join("corrected.yml"), &rules).unwrap();
    let checked =
        Command::new("promtool").current_dir(&dir).args(["check", "rules", "corrected.yml"]).output().unwrap();
    assert!(checked.status.success(), "{rules}\n{}", String::from_utf8_lossy(&checked.stdout));
    // With a maxmemory the division is no longer +Inf: that finding goes, the labels stay.
    let plan = "redis: { maxmemory: 768M, appendonly: true }\nother_services:\n  redis: { limits: { memory: 1G } }\n";
    std::fs::write(dir.join("plan.yaml"), plan).unwrap();
    let output = flowcap()
        .current_dir(&dir)
        .args(["--check", "plan.yaml", "-f", "docker-compose.yml", "--profile", "monitoring", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules: Vec<&str> = report["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
    assert!(!rules.contains(&RuleId::AlertFiresAlways.as_str()), "{rules:?}");
    assert!(rules.contains(&RuleId::AlertRuleLabelMissing.as_str()), "{rules:?}");
}

#[test]
fn a_rule_prometheus_would_refuse_is_bad_input_at_its_line() {
    let dir = tempdir("alert-rules-bad");
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(
        dir.join("compose.yaml"),
        "services:\n  api: { image: api }\n  runtime: { image: runtime }\n  postgres: { image: postgres:16 }\n  \
         prometheus:\n    image: prom/prometheus:v2.48.0\n    volumes:\n      - ./prometheus.yml:/etc/prometheus/prometheus.yml:ro\n      \
         - ./rules:/etc/prometheus/rules:ro\n",
    )
    .unwrap();
    std::fs::write(dir.join("prometheus.yml"), "rule_files: [/etc/prometheus/rules/*.yml]\n").unwrap();
    std::fs::write(
        dir.join("rules/bad.yml"),
        "groups:\n  - name: g\n    rules:\n      - alert: Broken\n        expr: sum(rate(http_requests_total[5m]) by\n",
    )
    .unwrap();
    let output = flowcap().current_dir(&dir).args(["--check"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error: rules/bad.yml:4:9: alert Broken: unclosed left parenthesis"), "{stderr}");
}
