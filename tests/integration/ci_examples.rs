//! The CI recipes in examples/ci work: each is valid under its service's own schema
//! (check-jsonschema's vendored GitHub workflow and GitLab CI schemas), and the flowcap
//! commands they run, run as written in a repository holding Flow-Like's compose file and the
//! plan `flowcap init` writes, give the report the next step consumes.

use crate::common::{flowcap, tempdir};
use std::path::{Path, PathBuf};
use std::process::Command;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci").join(name)
}

fn validate(schema: &str, file: &Path) {
    crate::common::require("check-jsonschema");
    let output = Command::new("check-jsonschema").args(["--builtin-schema", schema]).arg(file).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
}

/// A repository as the recipes expect it: Flow-Like's compose file and the plan init wrote.
fn repository() -> crate::common::TestDir {
    let flow_like = crate::common::shared_fixtures().join("flow-like/docker-compose.yml");
    let dir = tempdir("ci-example");
    std::fs::copy(&flow_like, dir.join("docker-compose.yml")).unwrap();
    // The README's walkthrough: a plan for a peak the deployment cannot serve, sized, exported.
    flowcap().current_dir(&dir).args(["init", "--profile", "monitoring"]).assert().success();
    let mut plan = std::fs::read_to_string(dir.join("flowcap.yaml")).unwrap();
    plan.push_str("workload: {arrivals_per_minute: 60, mean_duration: 30s}\n");
    std::fs::write(dir.join("flowcap.yaml"), plan).unwrap();
    flowcap().current_dir(&dir).args(["solve", "flowcap.yaml", "-o", "flowcap.yaml"]).assert().success();
    flowcap()
        .current_dir(&dir)
        .args(["export", "flowcap.yaml", "-o", "docker-compose.override.yml", "--profile", "monitoring"])
        .assert()
        .success();
    dir
}

/// Runs a recipe's shell line in `dir` with this build of flowcap first on PATH.
fn run(dir: &Path, line: &str) -> std::process::Output {
    let path = crate::common::path_with_flowcap();
    Command::new("bash").current_dir(dir).env("PATH", path).args(["-c", line]).output().unwrap()
}

/// The shell lines that check with flowcap, in order (not the install).
fn flowcap_lines(lines: impl Iterator<Item = String>) -> Vec<String> {
    lines.filter(|line| line.starts_with("flowcap ")).collect()
}

#[test]
#[cfg_attr(
    any(missing = "check-jsonschema", missing = "shared-fixtures"),
    ignore = "needs check-jsonschema and ../shared/fixtures"
)]
fn the_github_workflow_is_valid_and_its_steps_run() {
    let file = example("github-actions.yml");
    validate("vendor.github-workflows", &file);
    let workflow: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let steps = workflow["jobs"]["flowcap"]["steps"].as_sequence().unwrap();
    let lines = flowcap_lines(steps.iter().filter_map(|s| s["run"].as_str()).map(String::from));
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        steps.iter().any(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif")))
    );
    let repo = repository();
    let sarif = run(&repo, &lines[0]);
    assert!(sarif.status.success(), "{}", String::from_utf8_lossy(&sarif.stderr));
    let annotations = run(&repo, &lines[1]);
    assert_eq!(annotations.status.code(), Some(0), "{}", String::from_utf8_lossy(&annotations.stderr));
    let text = String::from_utf8_lossy(&annotations.stdout);
    assert!(text.contains("::warning file=flowcap.yaml,line="), "{text}");
    assert!(text.contains("::notice title=flowcap figures::"), "{text}");
    assert!(!text.contains("title=drift"), "the deployment with its override is the plan: {text}");
    let sarif: serde_json::Value = serde_json::from_slice(&std::fs::read(repo.join("flowcap.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());
}

#[test]
#[cfg_attr(
    any(missing = "check-jsonschema", missing = "shared-fixtures"),
    ignore = "needs check-jsonschema and ../shared/fixtures"
)]
fn the_gitlab_job_is_valid_and_writes_its_junit_report() {
    let file = example("gitlab-ci.yml");
    validate("vendor.gitlab-ci", &file);
    let pipeline: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let job = &pipeline["capacity-plan"];
    let lines = flowcap_lines(job["script"].as_sequence().unwrap().iter().filter_map(|l| l.as_str()).map(String::from));
    assert_eq!(lines.len(), 1, "{lines:?}");
    let report = job["artifacts"]["reports"]["junit"].as_str().unwrap();
    let repo = repository();
    let output = run(&repo, &lines[0]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let xml = std::fs::read_to_string(repo.join(report)).unwrap();
    let document = roxmltree::Document::parse(&xml).unwrap();
    let cases = document.descendants().filter(|n| n.has_tag_name("testcase")).count();
    assert_eq!(cases, flowcap::analysis::rules::RULES.len(), "one test case per rule");
}
