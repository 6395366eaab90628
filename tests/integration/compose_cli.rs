//! Compose input from the command line: bad input gets file, line and a reason (exit 2), and
//! secrets never reach any output.

use crate::common::{flowcap, tempdir};
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose")
}

/// Runs `flowcap --check` in a folder holding `compose.yaml` with `text`.
fn check_compose(name: &str, text: &str) -> assert_cmd::assert::Assert {
    let dir = tempdir(name);
    std::fs::write(dir.join("compose.yaml"), text).unwrap();
    flowcap().current_dir(&dir).env_remove("COMPOSE_PROFILES").arg("--check").assert()
}

#[test]
fn discovered_in_the_current_folder() {
    flowcap()
        .current_dir(fixtures())
        .arg("--check")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "flowcap check: Deployment (./docker-compose.yml + ./docker-compose.override.yml + ./.env)\n",
        ))
        .stdout(predicate::str::contains("queued executions      32 at once = 2 runtimes × 16 slots"));
}

#[test]
fn compose_file_variable_chooses_the_files() {
    // Only the base: its list-form environment gives SLOTS=20 from .env, not the override's 16,
    // and without the override's `ports: !reset []` two runtimes publish port 9000.
    flowcap()
        .current_dir(fixtures())
        .env("COMPOSE_FILE", "docker-compose.yml")
        .args(["--check"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("queued executions      40 at once = 2 runtimes × 20 slots"))
        .stdout(predicate::str::contains("runtime publishes host port 9000; its 2 replicas cannot all bind it"));
}

#[test]
fn bad_compose_input() {
    let cases: &[(&str, &str, &str)] = &[
        ("broken", "services:\n  runtime: [\n", "error: ./compose.yaml:3:1: "),
        (
            "required",
            "services:\n  runtime:\n    environment:\n      KEY: ${MUST_BE_SET:?give the key}\n",
            "error: ./compose.yaml:4:12: required variable MUST_BE_SET is not set: give the key\n",
        ),
        (
            "unit",
            "services:\n  runtime:\n    deploy:\n      resources:\n        limits:\n          memory: 8 parsecs\n",
            "error: ./compose.yaml:6:11: services.runtime.deploy.resources.limits.memory: expected a size such as 512m or 8G\n",
        ),
        (
            "replicas",
            "services:\n  runtime:\n    deploy:\n      replicas: many\n",
            "error: ./compose.yaml:4:7: services.runtime.deploy.replicas: expected a whole number of replicas, not a string\n",
        ),
        (
            "noruntime",
            "services:\n  api: {}\n  web: {}\n",
            "error: ./compose.yaml: no runtime service `runtime` among the active services (found: api, web)",
        ),
        (
            "dollar",
            "services:\n  runtime:\n    image: a$\n",
            "error: ./compose.yaml:3:13: invalid interpolation: a `$` that starts no variable",
        ),
        (
            "slots",
            "services:\n  runtime:\n    environment:\n      MAX_CONCURRENT_EXECUTIONS: lots\n",
            "error: ./compose.yaml:4:7: services.runtime.environment.MAX_CONCURRENT_EXECUTIONS: expected a whole number of executions",
        ),
    ];
    for (name, text, expected) in cases {
        let assert = check_compose(name, text).code(2);
        let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
        assert!(stderr.starts_with(expected), "{name}:\n  want: {expected}\n  got:  {stderr}");
        assert!(!stderr.contains("panicked"));
    }
}

#[test]
fn missing_directory_and_oversized_compose_files() {
    let dir = tempdir("files");
    flowcap()
        .current_dir(&dir)
        .args(["--check", "-f", "nope.yml"])
        .assert()
        .code(2)
        .stderr("error: nope.yml: no such file\n");
    std::fs::create_dir_all(dir.join("dir.yml")).unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["--check", "-f", "dir.yml"])
        .assert()
        .code(2)
        .stderr("error: dir.yml: is a directory, expected a YAML file\n");
    std::fs::File::create(dir.join("huge.yml")).unwrap().set_len(100 * 1000 * 1000).unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["--check", "-f", "huge.yml"])
        .assert()
        .code(2)
        .stderr("error: huge.yml: is 100000000 bytes; flowcap reads files up to 16 MiB\n");
    flowcap()
        .current_dir(&dir)
        .args(["--check", "-f", "x.yml", "--service", "runtime"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--service: `runtime`: expected ROLE=NAME"));
}

#[test]
fn secrets_never_leave() {
    // The fixture's .env holds a password and a JWT key; the API's DATABASE_URL embeds the
    // password.
    let secrets = ["hunter2-very-secret", "sekrit-backend-key"];
    let mut outputs = Vec::new();
    for format in ["human", "json", "sarif", "junit", "github"] {
        let output = flowcap().current_dir(fixtures()).args(["--check", "--format", format]).output().unwrap();
        outputs.push(output.stdout);
        outputs.push(output.stderr);
        let output = flowcap()
            .current_dir(fixtures())
            .args(["--check", "--preset", "medium", "-f", "docker-compose.yml", "--format", format])
            .output()
            .unwrap();
        outputs.push(output.stdout);
        outputs.push(output.stderr);
    }
    let output = flowcap()
        .current_dir(fixtures())
        .args(["diff", "--preset", "large", "-f", "docker-compose.yml"])
        .output()
        .unwrap();
    outputs.push(output.stdout);
    for output in outputs {
        let text = String::from_utf8(output).unwrap();
        for secret in secrets {
            assert!(!text.contains(secret), "a secret leaked:\n{text}");
        }
    }
}

#[test]
fn drift_against_a_plan() {
    // The fixture runs 2 runtimes; Medium wants 4.
    let assert = flowcap()
        .current_dir(fixtures())
        .args(["--check", "--preset", "medium", "-f", "docker-compose.yml"])
        .assert()
        .code(1);
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("runtime.replicas: the deployment has 2, the plan 4"), "{stdout}");
    assert!(stdout.contains("  error   drift  docker-compose.yml:"), "{stdout}");
    // The plan inherits the deployment's published port: 4 runtimes cannot all bind 9000.
    assert!(stdout.contains("runtime publishes host port 9000; its 4 replicas cannot all bind it"), "{stdout}");
    flowcap().current_dir(fixtures()).args(["diff", "--preset", "medium"]).assert().code(2).stderr(
        predicate::str::contains("needs a plan (PLAN or --preset) and the deployment (-f FILE, or --helm-values FILE)"),
    );
    flowcap()
        .current_dir(fixtures())
        .args(["diff", "--preset", "medium", "-f", "docker-compose.yml", "-f", "docker-compose.override.yml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("runtime.max_concurrent_executions"))
        .stdout(predicate::str::contains("16 → 10"));
}

#[test]
fn host_given_on_the_command_line() {
    // The fixture's limits: runtime 2 × 3 CPUs, postgres 2, redis 0.5 = 8.5 CPUs.
    flowcap()
        .current_dir(fixtures())
        .args(["--check", "--host-cpus", "8", "--host-memory", "32G", "--fail-on", "warning"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("CPU limits add up to 8.5 of 8 host CPUs (106.2 %)"));
    // A plan's host is overridden one figure at a time.
    flowcap()
        .args(["--check", "--preset", "medium", "--host-cpus", "20"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Host fit (20 CPUs, 64 GiB)"));
    flowcap()
        .current_dir(fixtures())
        .args(["--check", "--host-memory", "32G"])
        .assert()
        .code(2)
        .stderr("error: --host-cpus/--host-memory: the plan has no host: give both\n");
}

#[test]
fn a_plan_held_against_the_deployment_names_both_in_the_header() {
    let plan = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("presets/medium.yaml");
    flowcap().current_dir(fixtures()).arg("--check").arg(&plan).args(["-f", "docker-compose.yml"]).assert().stdout(
        predicate::str::starts_with(format!(
            "flowcap check: Medium ({} against docker-compose.yml + .env)\n",
            plan.display()
        )),
    );
}

#[test]
#[cfg_attr(missing = "shared-fixtures", ignore = "needs ../shared/fixtures")]
fn jwt_keys_are_unknown_without_a_variables_file_and_then_no_drift() {
    let flow_like = crate::common::shared_fixtures().join("flow-like/docker-compose.yml");
    let dir = tempdir("jwt-unknown");
    std::fs::copy(&flow_like, dir.join("docker-compose.yml")).unwrap();
    std::fs::write(dir.join(".env"), "BACKEND_KEY=k-1\nBACKEND_PUB=p-1\n").unwrap();
    flowcap().current_dir(&dir).arg("init").assert().success();
    assert!(std::fs::read_to_string(dir.join("flowcap.yaml")).unwrap().contains("shared_jwt_keys: true"));
    let drift = |dir: &std::path::Path| {
        let found = crate::common::drift_findings(dir, "flowcap.yaml");
        found.iter().map(|f| f["path"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    // The CI checkout: no .env, so the keys are unknown, not missing.
    std::fs::remove_file(dir.join(".env")).unwrap();
    assert_eq!(drift(&dir), Vec::<String>::new());
    // A variables file without the keys: they are not set.
    std::fs::write(dir.join(".env"), "POSTGRES_PASSWORD=x\n").unwrap();
    assert_eq!(drift(&dir), ["api.shared_jwt_keys"]);
}

#[test]
#[cfg_attr(missing = "docker-compose-v2", ignore = "needs docker-compose-v2")]
fn a_resources_section_that_is_not_a_mapping_is_refused_where_compose_refuses_it() {
    // Read as absent, a list of limits would report the service as unlimited and pass.
    crate::common::require("docker-compose-v2");
    let cases = [
        ("limits", "    deploy:\n      resources:\n        limits:\n          - cpus: '2'\n", "6:9"),
        ("resources", "    deploy:\n      resources:\n        - limits\n", "5:7"),
        ("deploy", "    deploy:\n      - replicas: 2\n", "4:5"),
    ];
    for (key, deploy, place) in cases {
        let dir = tempdir("shape");
        let compose = format!("services:\n  runtime:\n    image: ghcr.io/tm9657/flow-like-runtime\n{deploy}");
        std::fs::write(dir.join("docker-compose.yml"), &compose).unwrap();
        let judged = std::process::Command::new("docker-compose-v2")
            .current_dir(&dir)
            .args(["config", "--quiet"])
            .output()
            .unwrap();
        assert!(!judged.status.success(), "Compose accepts {key}:\n{compose}");
        let output = flowcap().current_dir(&dir).args(["--check", "-f", "docker-compose.yml"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{key}: {stderr}");
        assert!(stderr.contains(&format!("docker-compose.yml:{place}")), "{key}: {stderr}");
        assert!(stderr.contains(&format!("`{key}` must be a mapping, not a list")), "{key}: {stderr}");
    }
}
