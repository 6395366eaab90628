//! `--format json` is a contract: every report and every bad-input error flowcap prints, over
//! the presets, the examples, the fixtures, the corpus of real-looking stacks and Helm values,
//! is valid under `assets/report.schema.json` (check-jsonschema is the judge), and the schema
//! is valid under its metaschema.

use crate::common::{assert_report_schema, flowcap, tempdir};
use flowcap::model::presets::PRESET_KEYS;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
#[cfg_attr(missing = "check-jsonschema", ignore = "needs check-jsonschema")]
fn every_json_report_and_error_matches_the_schema() {
    let out = tempdir("schema");
    let mut files: Vec<PathBuf> = Vec::new();
    let mut run = |name: &str, dir: &Path, args: &[String]| {
        let output = flowcap().current_dir(dir).arg("--check").args(args).args(["--format", "json"]).output().unwrap();
        assert!(matches!(output.status.code(), Some(0..=2)), "{name}: {output:?}");
        assert!(!output.stdout.is_empty(), "{name}: no JSON on stdout");
        let file = out.join(format!("{}.json", files.len()));
        std::fs::write(&file, &output.stdout).unwrap();
        files.push(file);
    };
    let strings = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    for key in PRESET_KEYS {
        run(key, root(), &strings(&["--preset", key]));
        // Over a small host: host shares past 1, and fixes with changes.
        run(key, root(), &strings(&["--preset", key, "--host-cpus", "2", "--host-memory", "2G"]));
    }
    let plans = ["examples", "tests/fixtures"].iter().flat_map(|dir| std::fs::read_dir(root().join(dir)).unwrap());
    for plan in plans.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "yaml")) {
        run(&plan.display().to_string(), root(), &[plan.display().to_string()]);
    }
    // A deployment as it runs, and a plan held against it (drift).
    let compose = root().join("tests/fixtures/compose");
    run("compose", &compose, &[]);
    run("compose drift", &compose, &strings(&["--preset", "large", "-f", "docker-compose.yml"]));
    // Every stack of the corpus, with the arguments it needs.
    for stack in std::fs::read_dir(root().join("tests/fixtures/corpus")).unwrap().map(|e| e.unwrap().path()) {
        let args = std::fs::read_to_string(stack.join("flowcap.args")).unwrap();
        let args: Vec<String> = args.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
        run(&stack.display().to_string(), &stack, &args);
    }
    // Helm values: alone on a cluster, and as drift against a Kubernetes plan.
    for values in std::fs::read_dir(root().join("tests/fixtures/helm")).unwrap().map(|e| e.unwrap().path()) {
        let values = values.display().to_string();
        run(
            &values,
            root(),
            &strings(&["--helm-values", &values, "--nodes", "3", "--node-cpus", "16", "--node-memory", "64Gi"]),
        );
        run(&values, root(), &strings(&["--preset", "kubernetes-large", "--helm-values", &values]));
    }
    // Bad input of each kind prints the error object.
    let bad = out.join("bad.yaml");
    std::fs::write(&bad, "api: [\n").unwrap();
    let bad = bad.display().to_string();
    for args in [&["no-such-plan.yaml"][..], &[&bad], &["--preset", "medium", "--window", "1h"]] {
        run("bad input", root(), &strings(args));
    }
    assert!(files.len() >= 38, "{} reports", files.len());
    assert_report_schema(&files);
}

#[test]
#[cfg_attr(missing = "check-jsonschema", ignore = "needs check-jsonschema")]
fn the_schema_is_a_valid_json_schema() {
    crate::common::require("check-jsonschema");
    let output = std::process::Command::new("check-jsonschema")
        .arg("--check-metaschema")
        .arg(root().join("assets/report.schema.json"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
}
