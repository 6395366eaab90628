//! What an export does on stacks that are not Flow-Like's own file: fixed names and loopback
//! ports, renamed roles, a folder for the override, all-or-nothing writes, and the refusals an
//! operator needs to see (exit 2, naming what to change).

use crate::common::{copy_tree, flowcap, tempdir};
use flowcap::analysis::rules::RuleId;
use predicates::prelude::*;
use serde_yaml::Value;
use std::path::Path;

/// A copy of a corpus stack in a fresh folder.
fn stack(name: &str) -> crate::common::TestDir {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus").join(name);
    let dir = tempdir(name);
    copy_tree(&from, &dir);
    dir
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn a_pinned_loopback_stack_keeps_its_ports_and_loses_its_fixed_names() {
    let dir = stack("pinned-containers");
    let output =
        flowcap().current_dir(&dir).args(["export", "--preset", "medium", "-o", "flowcap.yml"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let summary = String::from_utf8_lossy(&output.stdout);
    // Every change, before → after.
    for line in [
        "api replicas: 1 → 2",
        "api container_name: flowlike-api → reset (Compose names each replica)",
        "api ports: 127.0.0.1:8080:8080 → published by api-lb",
        "api-lb service: none → nginx publishing 127.0.0.1:8080:8080",
        "runtime MAX_CONCURRENT_EXECUTIONS: 8 → 10",
        "runtime ports: 127.0.0.1:9000:9000 → published by runtime-lb",
        "postgres command: -c max_connections=120 -c shared_buffers=512MB → -c max_connections=100 -c shared_buffers=2GB",
    ] {
        assert!(summary.contains(line), "missing `{line}` in:\n{summary}");
    }
    assert!(!summary.contains("shm_size"), "the base's 1g is more than the plan's 512m: kept\n{summary}");
    let text = read(&dir.join("flowcap.yml"));
    let doc: Value = serde_yaml::from_str(&text).unwrap();
    let api = &doc["services"]["api"];
    assert!(matches!(&api["container_name"], Value::Tagged(t) if t.tag == "!reset"), "{text}");
    let lb = &doc["services"]["api-lb"];
    assert_eq!(lb["ports"][0], "127.0.0.1:8080:8080", "still on loopback");
    assert_eq!(doc["services"]["runtime-lb"]["ports"][0], "127.0.0.1:9000:9000");
    assert!(doc["services"]["postgres"].get("shm_size").is_none());
    // The API's balancer speaks HTTP, the runtime's forwards TCP; both listen on the same port.
    assert!(read(&dir.join("flowcap.api-lb.conf")).contains("listen 8080;"));
    let runtime_conf = read(&dir.join("flowcap.runtime-lb.conf"));
    assert!(runtime_conf.contains("stream {") && runtime_conf.contains("proxy_pass runtime:$server_port;"));
    // The exact command, in the file and on stderr.
    let apply = "docker compose -f ./docker-compose.yml -f flowcap.yml up -d";
    assert!(text.contains(&format!("# Apply: {apply}\n")), "{text}");
    assert!(text.contains("Docker Compose 2.24 or later"));
    assert!(String::from_utf8_lossy(&output.stderr).contains(&format!("apply with: {apply}")));
}

#[test]
fn the_check_names_the_deployments_services_and_lines() {
    let dir = stack("pinned-containers");
    let output =
        flowcap().current_dir(&dir).args(["--check", "--preset", "medium", "--format", "github"]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    let line = |rule: &str| text.lines().find(|l| l.contains(rule)).unwrap_or_else(|| panic!("no {rule} in {text}"));
    // The file and line of the deployment's own `container_name:` and `ports:`.
    assert!(
        line(RuleId::FixedContainerName.as_str()).contains("file=./docker-compose.yml,line=49"),
        "{}",
        line(RuleId::FixedContainerName.as_str())
    );
    assert!(
        line(RuleId::FixedHostPort.as_str()).contains("file=./docker-compose.yml,line=57"),
        "{}",
        line(RuleId::FixedHostPort.as_str())
    );
    assert!(line(RuleId::FixedContainerName.as_str()).contains("api has container_name `flowlike-api`"));
}

#[test]
fn renamed_roles_are_named_in_findings_and_the_override() {
    let dir = stack("renamed-roles");
    let services = "runtime=worker,api=backend,postgres=db,exporter=pg-metrics,db-init=migrate";
    let output = flowcap()
        .current_dir(&dir)
        .args(["--check", "--preset", "medium", "--service", services, "--profile", "monitoring", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let messages: Vec<&str> =
        report["findings"].as_array().unwrap().iter().filter_map(|f| f["message"].as_str()).collect();
    let fixed = messages.iter().find(|m| m.contains("container_name")).expect("a fixed-container-name finding");
    assert!(fixed.starts_with("backend has container_name `flowlike-backend`"), "{fixed}");
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "medium", "-o", "o.yml", "--service", services, "--profile", "monitoring"])
        .assert()
        .success()
        .stdout(predicate::str::contains("backend-lb service: none → nginx publishing 8080:8080, 127.0.0.1:9090:9090"));
    let doc: Value = serde_yaml::from_str(&read(&dir.join("o.yml"))).unwrap();
    let names: Vec<&str> = doc["services"].as_mapping().unwrap().keys().filter_map(Value::as_str).collect();
    assert_eq!(
        names,
        ["backend", "backend-lb", "worker", "worker-lb", "db"],
        "each service once, under the deployment's names"
    );
    // The API resolved `worker` itself (one runtime first every time): with four runtimes its
    // HTTP runs go through the balancer, which listens on the runtime's port for the stack.
    assert_eq!(doc["services"]["backend"]["environment"]["EXECUTOR_URL"], "http://worker-lb:9000");
    assert!(read(&dir.join("o.worker-lb.conf")).contains("listen 9000;"));
}

#[test]
fn roles_given_wrong_are_refused() {
    let dir = stack("renamed-roles");
    let refuse = |args: &[&str], message: &str| {
        flowcap().current_dir(&dir).args(args).assert().code(2).stderr(predicate::str::contains(message));
    };
    refuse(&["--check", "--service", "runtime=worker", "--service", "runtime=backend"], "role runtime is given twice");
    refuse(&["--check", "--service", "runtime=worker,api=worker"], "service `worker` is given two roles");
    refuse(&["--check", "--service", "worker"], "`worker`: expected ROLE=NAME");
    refuse(
        &["--check", "--service", "runtime=worker,api=backend,exporter=pg-metrics"],
        "`pg-metrics` runs only with the profile monitoring (add --profile monitoring)",
    );
    refuse(&["--check", "--service", "runtime=worker,api=nope"], "--service api=nope: no service `nope`");
    // The export needs the API: without --service api=backend there is none called `api`.
    refuse(
        &["export", "--preset", "medium", "-o", "o.yml", "--service", "runtime=worker,postgres=db"],
        "the plan needs the api service `api`, but the deployment has no such service; or name yours with --service api=NAME",
    );
    assert!(!dir.join("o.yml").exists());
}

#[test]
fn a_plan_cannot_name_a_roles_service_among_the_others() {
    let dir = tempdir("other-role");
    std::fs::write(dir.join("plan.yaml"), "other_services:\n  runtime: { replicas: 2 }\n").unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["--check", "plan.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("other_services.runtime: `runtime` is the runtime service"));
}

#[test]
fn db_init_connections_count_only_where_a_db_init_runs() {
    let connections = |compose: &str| -> u64 {
        let dir = tempdir("db-init");
        std::fs::write(dir.join("compose.yaml"), compose).unwrap();
        let output = flowcap().current_dir(&dir).args(["--check", "--format", "json"]).output().unwrap();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let clients = report["figures"]["connections"]["clients"].as_array().unwrap().clone();
        clients.iter().find(|c| c["name"] == "db-init").map_or(0, |c| c["connections"].as_u64().unwrap())
    };
    let stack = "services:\n  runtime: { image: r }\n  api: { image: a }\n  postgres: { image: p }\n";
    assert_eq!(connections(stack), 0);
    assert_eq!(connections(&format!("{stack}  db-init: {{ image: d }}\n")), 3);
}

#[test]
fn the_balancer_config_is_found_from_the_project_folder() {
    let dir = stack("api-port-3000");
    std::fs::create_dir(dir.join("overrides")).unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "medium", "-o", "overrides/flowcap.yml"])
        .assert()
        .success();
    let doc: Value = serde_yaml::from_str(&read(&dir.join("overrides/flowcap.yml"))).unwrap();
    // Compose resolves relative paths in every file from the project folder, not the file's own.
    assert_eq!(doc["services"]["api-lb"]["volumes"][0], "./overrides/flowcap.api-lb.conf:/etc/nginx/nginx.conf:ro");
    let conf = read(&dir.join("overrides/flowcap.api-lb.conf"));
    assert!(conf.contains("listen 3000;") && conf.contains("proxy_pass http://api:$server_port;"), "{conf}");
    assert_eq!(doc["services"]["api-lb"]["ports"][0], "3000:3000", "the API's own port, not an assumed 8080");
}

#[test]
fn an_api_that_publishes_nothing_gets_no_balancer() {
    let dir = stack("traefik-proxy");
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "large", "-o", "o.yml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("api replicas: 2 → 3"))
        .stdout(predicate::str::contains("monitoring profile monitoring: off → on (postgres-exporter)"))
        .stdout(predicate::str::contains("api-lb").not());
    let doc: Value = serde_yaml::from_str(&read(&dir.join("o.yml"))).unwrap();
    assert!(doc["services"]["api"].get("ports").is_none(), "nothing to reset: podman-compose crashes on that");
    assert!(doc["services"].get("api-lb").is_none());
}

#[test]
fn the_file_set_is_written_all_or_nothing() {
    let dir = stack("api-port-3000");
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "medium", "-o", "o.yml", "--save-plan", "missing/plan.yaml"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("missing/plan.yaml: cannot write: there is no folder missing"));
    assert!(!dir.join("o.yml").exists() && !dir.join("o.api-lb.conf").exists(), "nothing written");
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "no temporary file left: {left:?}");
}

#[cfg(unix)]
#[test]
fn a_replaced_file_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = stack("api-port-3000");
    std::fs::write(dir.join("o.yml"), "# Written by flowcap: an older export\n").unwrap();
    std::fs::set_permissions(dir.join("o.yml"), std::fs::Permissions::from_mode(0o640)).unwrap();
    flowcap().current_dir(&dir).args(["export", "--preset", "medium", "-o", "o.yml"]).assert().success();
    assert_eq!(std::fs::metadata(dir.join("o.yml")).unwrap().permissions().mode() & 0o777, 0o640);
    assert_eq!(std::fs::metadata(dir.join("o.yml.bak")).unwrap().permissions().mode() & 0o777, 0o640);
}

#[cfg(unix)]
#[test]
#[cfg_attr(missing = "root", ignore = "needs root (to hand a file to another user)")]
fn a_replaced_file_keeps_its_owner() {
    use std::os::unix::fs::MetadataExt;
    // Only root can hand a file to another user, so only root can set this up.
    let root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false);
    assert!(root, "handing a file to another user needs root (CI runs as root)");
    let dir = stack("api-port-3000");
    std::fs::write(dir.join("o.yml"), "# Written by flowcap: an older export\n").unwrap();
    std::os::unix::fs::chown(dir.join("o.yml"), Some(4321), Some(4322)).unwrap();
    flowcap().current_dir(&dir).args(["export", "--preset", "medium", "-o", "o.yml"]).assert().success();
    let written = std::fs::metadata(dir.join("o.yml")).unwrap();
    assert_eq!((written.uid(), written.gid()), (4321, 4322), "the operator's file stays theirs");
    // A file that did not exist is the writer's, as any new file.
    assert_eq!(std::fs::metadata(dir.join("o.api-lb.conf")).unwrap().uid(), 0);
}

#[test]
fn what_flowcap_cannot_read_is_an_error_with_its_line() {
    let dir = tempdir("unreadable");
    let cases = [
        (
            "services:\n  runtime:\n    image: r\n    deploy:\n      mode: global\n",
            "compose.yaml:5:7: services.runtime.deploy.mode: flowcap plans replicated services",
        ),
        (
            "services:\n  runtime:\n    image: r\n    scale: 2\n    deploy:\n      replicas: 3\n",
            "compose.yaml:4:5: services.runtime.scale: scale 2 and deploy.replicas 3 disagree",
        ),
        (
            "services:\n  runtime:\n    image: r\n  postgres:\n    image: p\n    command: postgres -c config_file=/etc/pg.conf\n",
            "compose.yaml:6:5: services.postgres.command: config_file: flowcap cannot read the container's files",
        ),
        (
            "services:\n  runtime:\n    image: r\n  postgres:\n    image: p\n    command: [\"bash\", \"-c\", \"postgres -c max_connections=300\"]\n",
            "this one runs another program",
        ),
        (
            "services:\n  runtime:\n    image: r\n  postgres:\n    image: p\n    command: postgres -c 'max_connections=250\n",
            "services.postgres.command: unbalanced quotes in the command",
        ),
        (
            "services:\n  runtime:\n    image: r\n    env_file: missing.env\n",
            "services.runtime.env_file: env file ./missing.env not found",
        ),
        ("services:\n  runtime:\n    extends: base\n", "services.runtime.extends: no service `base` to extend"),
        ("services:\n  runtime:\n    extends: runtime\n", "services.runtime.extends: extends itself through a cycle"),
        ("include:\n  - oci://registry/stack:1\nservices: {}\n", "flowcap reads local files only"),
    ];
    for (compose, message) in cases {
        std::fs::write(dir.join("compose.yaml"), compose).unwrap();
        flowcap().current_dir(&dir).arg("--check").assert().code(2).stderr(predicate::str::contains(message));
    }
}

#[test]
fn a_string_command_is_split_as_a_shell_would() {
    let dir = stack("operator-override");
    let output = flowcap().current_dir(&dir).args(["--check", "--format", "json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // `command: postgres -c 'max_connections=250' -c "shared_buffers=512MB"` in the override.
    assert_eq!(report["figures"]["connections"]["max_connections"], 250);
}

#[test]
fn export_takes_the_host_from_the_command_line() {
    // A plan whose Postgres has no memory limit: PGTune sizes for the host, here 64 GiB.
    let dir = stack("api-port-3000");
    std::fs::write(dir.join("plan.yaml"), "postgres:\n  max_connections: 100\n").unwrap();
    let args = ["export", "plan.yaml", "--pgtune", "-o", "o.yml", "--host-cpus", "16", "--host-memory", "64G"];
    flowcap().current_dir(&dir).args(args).assert().success();
    let text = read(&dir.join("o.yml"));
    assert!(text.contains("\"effective_cache_size=48GB\""), "three quarters of 64 GiB:\n{text}");
}

#[test]
fn exporting_what_an_export_made_changes_nothing() {
    let dir = stack("pinned-containers");
    let out = "docker-compose.override.yml";
    flowcap().current_dir(&dir).args(["export", "--preset", "medium", "-o", out]).assert().success();
    let first = read(&dir.join(out));
    // No plan: the deployment, this override included, is the plan; the override is the file
    // being replaced, so the base is docker-compose.yml alone.
    let output = flowcap().current_dir(&dir).args(["export", "-o", out]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(!summary.contains("not written: api-lb"), "its own balancer is not a missing service:\n{summary}");
    let second = read(&dir.join(out));
    let body = |text: &str| text[text.find("services:\n").unwrap()..].to_string();
    assert_eq!(body(&second), body(&first));
}

#[test]
fn the_operators_own_postgres_flags_stay_and_secrets_stay_references() {
    let dir = tempdir("pg-flags");
    let compose = "services:\n  runtime: { image: r }\n  api: { image: a }\n  postgres:\n    image: postgres:16\n    \
                   command: postgres -c max_connections=100 -c wal_level=logical -c superuser_reserved_connections=5 \
                   -N 90 -c \"primary_conninfo=host=upstream password=${PGPW}\"\n";
    std::fs::write(dir.join("compose.yaml"), compose).unwrap();
    std::fs::write(dir.join(".env"), "PGPW=s3cr3t-pw\n").unwrap();
    let output = flowcap().current_dir(&dir).args(["--check", "--format", "json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["figures"]["connections"]["max_connections"], 90, "-N comes last and wins");
    let output = flowcap().current_dir(&dir).args(["export", "--preset", "medium", "-o", "o.yml"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = read(&dir.join("o.yml"));
    let doc: Value = serde_yaml::from_str(&text).unwrap();
    let command: Vec<&str> =
        doc["services"]["postgres"]["command"].as_sequence().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert_eq!(
        command,
        [
            "postgres",
            "-c",
            "wal_level=logical",
            "-c",
            "primary_conninfo=host=upstream password=${PGPW}",
            "-c",
            "max_connections=100",
            "-c",
            "shared_buffers=2GB"
        ],
        "the plan's settings replace the base's (superuser_reserved_connections back to its default); the rest stays"
    );
    let everything =
        format!("{text}{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!everything.contains("s3cr3t"), "{everything}");
}

#[test]
fn the_saved_plan_holds_the_deployment_it_made() {
    let dir = stack("pinned-containers");
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "medium", "-o", "o.yml", "--save-plan", "saved.yaml"])
        .assert()
        .success();
    let saved = read(&dir.join("saved.yaml"));
    assert!(!saved.contains("container_name") && !saved.contains("published_ports"), "facts, not plan:\n{saved}");
    assert!(!saved.contains("sink-services"), "what the export left out is not planned:\n{saved}");
    let output = flowcap()
        .current_dir(&dir)
        .args(["--check", "saved.yaml", "-f", "docker-compose.yml", "-f", "o.yml", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules: Vec<&str> = report["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
    for rule in ["drift", RuleId::FixedHostPort.as_str(), RuleId::FixedContainerName.as_str()] {
        assert!(!rules.contains(&rule), "{rule} in {rules:?}");
    }
}

#[test]
fn a_finding_points_at_the_file_that_defines_the_service() {
    let dir = tempdir("nearest");
    std::fs::write(dir.join("base.yml"), "services:\n  runtime:\n    image: r\n  api:\n    image: a\n").unwrap();
    std::fs::write(dir.join("prod.yml"), "services:\n  runtime:\n    environment: { A: \"1\" }\n").unwrap();
    let args = [
        "--check",
        "-f",
        "base.yml",
        "-f",
        "prod.yml",
        "--host-cpus",
        "4",
        "--host-memory",
        "8G",
        "--format",
        "github",
    ];
    let output = flowcap().current_dir(&dir).args(args).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().find(|l| l.contains(RuleId::LimitsMissing.as_str())).unwrap_or_else(|| panic!("{text}"));
    // api is only in base.yml; prod.yml has `services:` too, but nothing of api.
    assert!(line.contains("file=base.yml,line=4,col=3"), "{line}");
}

#[test]
fn an_external_database_is_named_as_the_reason() {
    let dir = stack("external-postgres");
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "medium", "-o", "o.yml", "--profile", "monitoring"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "DATABASE_URL points at a database outside the stack (set postgres.external: true",
        ));
}

#[test]
fn balancer_configs_no_longer_used_are_retired() {
    let dir = stack("pinned-containers");
    flowcap().current_dir(&dir).args(["export", "--preset", "medium", "-o", "o.yml"]).assert().success();
    assert!(dir.join("o.api-lb.conf").exists() && dir.join("o.runtime-lb.conf").exists());
    // One API and one runtime: no balancer any more.
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "development", "-o", "o.yml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("retired: o.api-lb.conf (no balancer uses it now; kept as .bak)"));
    assert!(!dir.join("o.api-lb.conf").exists() && !dir.join("o.runtime-lb.conf").exists());
    assert!(dir.join("o.api-lb.conf.bak").exists(), "nothing lost");
    // A file of the operator's with such a name is not flowcap's to retire.
    std::fs::write(dir.join("o.web-lb.conf"), "# mine\n").unwrap();
    flowcap().current_dir(&dir).args(["export", "--preset", "development", "-o", "o.yml"]).assert().success();
    assert!(dir.join("o.web-lb.conf").exists());
}
