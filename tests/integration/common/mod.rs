//! Helpers the command-line tests share.

pub mod prometheus;

use assert_cmd::Command;

/// The built binary.
pub fn flowcap() -> Command {
    Command::cargo_bin("flowcap").unwrap()
}

/// PATH with this build of flowcap first, for shell lines that call `flowcap` as written.
pub fn path_with_flowcap() -> String {
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_flowcap"));
    format!("{}:{}", binary.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default())
}

/// `plan` as if read from a plan file named `file` (no key positions).
pub fn loaded(plan: flowcap::model::plan::Plan, file: &str) -> flowcap::model::load::LoadedPlan {
    flowcap::model::load::LoadedPlan {
        plan,
        file: file.into(),
        locator: flowcap::model::load::Locator::Plan(Default::default()),
        inherited: Default::default(),
    }
}

/// A fresh, empty folder, unique to this call (tests run in parallel), removed when dropped.
pub struct TestDir(tempfile::TempDir);

impl std::ops::Deref for TestDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        self.0.path()
    }
}

impl AsRef<std::path::Path> for TestDir {
    fn as_ref(&self) -> &std::path::Path {
        self.0.path()
    }
}

impl AsRef<std::ffi::OsStr> for TestDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.path().as_os_str()
    }
}

pub fn tempdir(name: &str) -> TestDir {
    TestDir(tempfile::Builder::new().prefix(&format!("flowcap-{name}-")).tempdir().unwrap())
}

/// Copies a folder tree (a fixture stack) to `to`.
pub fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Fails unless `program` runs (asked for its version as it takes the question). A test that needs a tool
/// is `#[cfg_attr(missing = "TOOL", ignore = "needs TOOL")]` (see build.rs): ignored where the
/// tool is missing, run and failing without it under CI, where `.ci/run` installs it.
pub fn require(program: &str) {
    let version = match program {
        "helm" | "openssl" => "version",
        "tmux" => "-V",
        _ => "--version",
    };
    let found = std::process::Command::new(program).arg(version).output().is_ok_and(|o| o.status.success());
    assert!(found, "{program} is required (.ci/run installs it); outside CI the test is ignored without it");
}

/// The shared fixtures beside the project (`../shared/fixtures`): Flow-Like's compose files and
/// chart. A test that reads them is `#[cfg_attr(missing = "shared-fixtures", ignore = ...)]`.
pub fn shared_fixtures() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    assert!(dir.is_dir(), "{} is required; outside CI the test is ignored without it", dir.display());
    dir
}

/// `plan` with the typed edits of `finding`'s fix applied.
pub fn with_fix(
    plan: &flowcap::model::plan::Plan,
    finding: &flowcap::analysis::rules::Finding,
) -> flowcap::model::plan::Plan {
    let mut fixed = plan.clone();
    for edit in &finding.changes {
        edit.apply(&mut fixed).unwrap_or_else(|e| panic!("{e:?}"));
    }
    fixed
}

/// One template of Flow-Like's chart as `helm template` renders it with the example secrets and
/// `values` (files in `dir`, in order), held to `kubernetes-validate --strict`: the manifest.
pub fn render_validated(dir: &std::path::Path, values: &[&str], template: &str) -> serde_json::Value {
    render_validated_piped(dir, values, b"", template)
}

/// [`render_validated`] with `stdin` on helm's standard input, for a values file given as `-`.
pub fn render_validated_piped(
    dir: &std::path::Path,
    values: &[&str],
    stdin: &[u8],
    template: &str,
) -> serde_json::Value {
    use std::io::Write;
    use std::process::Stdio;
    require("helm");
    require("kubernetes-validate");
    let chart = shared_fixtures().join("flow-like-helm");
    let mut helm = std::process::Command::new("helm");
    helm.args(["template", "fl"]).arg(&chart).arg("-f").arg(chart.join("values-secrets.yaml.example"));
    for file in values {
        helm.args(["-f", file]);
    }
    let mut running = helm
        .args(["--show-only", template])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    running.stdin.take().unwrap().write_all(stdin).unwrap();
    let rendered = running.wait_with_output().unwrap();
    assert!(rendered.status.success(), "helm template: {}", String::from_utf8_lossy(&rendered.stderr));
    let file = dir.join("rendered.yaml");
    std::fs::write(&file, &rendered.stdout).unwrap();
    let validated =
        std::process::Command::new("kubernetes-validate").args(["--strict", "--quiet"]).arg(&file).output().unwrap();
    assert!(validated.status.success(), "kubernetes-validate: {}", String::from_utf8_lossy(&validated.stdout));
    serde_yaml::from_slice(&rendered.stdout).unwrap()
}

/// Holds every file in `files` to `assets/report.schema.json` with check-jsonschema.
pub fn assert_report_schema(files: &[std::path::PathBuf]) {
    require("check-jsonschema");
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/report.schema.json");
    let output =
        std::process::Command::new("check-jsonschema").arg("--schemafile").arg(schema).args(files).output().unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The drift findings of `flowcap --check PLAN -f docker-compose.yml --format json` in `dir`,
/// as JSON objects (path, message, fix).
pub fn drift_findings(dir: &std::path::Path, plan: &str) -> Vec<serde_json::Value> {
    let output = flowcap()
        .current_dir(dir)
        .args(["--check", plan, "-f", "docker-compose.yml", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    report["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "drift").cloned().collect()
}

/// What a Medium deployment's Prometheus saw: 120 runs a minute at its peak, 65 on average,
/// 30 s each, all queued, all 40 slots busy in 6 of 72 steps, 31 connections.
pub fn medium_observed() -> flowcap::model::observed::Observed {
    let mut busy = vec![20.0; 66];
    busy.extend([40.0; 6]);
    flowcap::model::observed::Observed {
        prometheus: "http://127.0.0.1:9091".into(),
        window: flowcap::model::observed::Window { end: 1.8e9, seconds: 6 * 3_600, step: 300 },
        samples: 72,
        peak_runs_per_minute: 120.0,
        mean_runs_per_minute: 65.0,
        covered_seconds: 6 * 3_600,
        mean_duration_seconds: 30.0,
        queued_peak_runs_per_minute: 120.0,
        queued_mean_runs_per_minute: 65.0,
        queued_mean_duration_seconds: Some(30.0),
        http_peak_runs_per_minute: 0.0,
        http_mean_runs_per_minute: 0.0,
        blocking_mean_duration_seconds: None,
        http_in_flight_peak: None,
        queue_length_peak: None,
        redis_memory_peak_bytes: None,
        state_per_run_bytes: None,
        p95_duration_seconds: Some(55.5),
        p95_bucket_seconds: Some((30.0, 60.0)),
        busy_slots_peak: Some(40.0),
        busy_slots_p95: Some(40.0),
        plan: "presets/medium.yaml".into(),
        slots: 40,
        saturated_share: Some(0.0833),
        connections_peak: Some(31.0),
        max_connections: Some(100.0),
        max_connections_now: Some(100.0),
        busy,
    }
}
