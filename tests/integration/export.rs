//! `flowcap export`: the override's content, a round trip through flowcap's own merge, and
//! safe writing (never losing what the operator had).

use crate::common::{flowcap, tempdir};
use flowcap::model::presets::load_preset;
use flowcap::platform::compose::{Environment, Project, ProjectOptions, ServiceNames, import};
use predicates::prelude::*;
use serde_yaml::Value;
use std::path::Path;

/// A folder with a copy of the project's Flow-Like-like base file as docker-compose.yml.
fn with_base(name: &str) -> crate::common::TestDir {
    let dir = tempdir(name);
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose/docker-compose.yml");
    std::fs::copy(base, dir.join("docker-compose.yml")).unwrap();
    dir
}

fn service<'a>(doc: &'a Value, name: &str) -> &'a Value {
    &doc["services"][name]
}

#[test]
fn override_for_medium_over_a_base() {
    let dir = with_base("medium");
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "medium", "-o", "docker-compose.override.yml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("runtime replicas: 2 → 4"))
        .stderr(predicate::str::contains("wrote docker-compose.override.yml"));
    let text = std::fs::read_to_string(dir.join("docker-compose.override.yml")).unwrap();
    assert!(text.starts_with("# Written by flowcap "), "{text}");
    assert!(text.contains("from presets/medium.yaml"));
    let doc: Value = serde_yaml::from_str(&text).unwrap();
    // In the base's own YAML type: its replicas are an interpolated string.
    assert_eq!(service(&doc, "api")["deploy"]["replicas"], "2");
    assert_eq!(service(&doc, "runtime")["deploy"]["replicas"], 4);
    // The base scales the runtime with `scale:`; Compose refuses a disagreeing deploy.replicas.
    assert_eq!(service(&doc, "runtime")["scale"], 4);
    assert!(service(&doc, "api").get("scale").is_none());
    // The base lists its environment; the override does too (podman-compose merges a list only
    // with a list).
    assert_eq!(service(&doc, "runtime")["environment"][0], "MAX_CONCURRENT_EXECUTIONS=10");
    assert_eq!(service(&doc, "runtime")["deploy"]["resources"]["limits"]["memory"], "8G");
    for scaled in ["api", "runtime"] {
        let Value::Tagged(ports) = &service(&doc, scaled)["ports"] else { panic!("{scaled}: ports are not tagged") };
        assert_eq!(ports.tag.to_string(), "!reset");
        assert_eq!(ports.value, Value::Sequence(vec![]));
    }
    let command: Vec<&str> =
        service(&doc, "postgres")["command"].as_sequence().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(command, ["postgres", "-c", "max_connections=100", "-c", "shared_buffers=2GB"]);
    // PostgreSQL's default work_mem (4MB) allows 96 MiB of parallel hash joins: the postgres
    // image's documented 128 MiB.
    assert_eq!(service(&doc, "postgres")["shm_size"], "128m");
    // The base's redis exists and gets the plan's limits; web does not exist there.
    assert_eq!(service(&doc, "redis")["deploy"]["resources"]["limits"]["cpus"], "1");
    assert!(doc["services"].get("web").is_none());
    let lb = service(&doc, "api-lb");
    assert_eq!(lb["image"], "nginx:1.27-alpine");
    assert_eq!(lb["ports"][0], "8080:8080");
    assert_eq!(lb["volumes"][0], "./docker-compose.override.api-lb.conf:/etc/nginx/nginx.conf:ro");
    assert_eq!(lb["deploy"]["resources"]["limits"]["memory"], "128M", "the balancer has limits too");
    let conf = std::fs::read_to_string(dir.join("docker-compose.override.api-lb.conf")).unwrap();
    assert!(conf.starts_with("# Written by flowcap"));
    assert!(conf.contains("proxy_pass http://api:$server_port;"), "{conf}");
    assert!(conf.contains("listen 8080;"));
    assert!(!conf.contains("{{"), "every placeholder filled");
}

#[test]
fn merged_with_the_base_the_plan_comes_back() {
    let dir = with_base("roundtrip");
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "large", "-o", "docker-compose.override.yml", "--save-plan", "plan.yaml"])
        .assert()
        .success();
    // Compose would load the override beside the base automatically; so does flowcap.
    let project = Project::load(
        &ProjectOptions { dir: dir.to_path_buf(), ..ProjectOptions::default() },
        Environment::from_pairs([("BACKEND_KEY", "k")]),
    )
    .unwrap();
    let deployed = import(&project, &ServiceNames::default()).unwrap().plan;
    let mut large = load_preset("large").unwrap().plan;
    // Only services the base has are exported; the base has no web or sink-services.
    large.other_services.retain(|name, _| name == "redis");
    large.monitoring = false;
    assert_eq!(flowcap::analysis::drift::compare(&deployed, &large), []);
    assert!(deployed.runtime.published_ports.is_empty() && deployed.api.published_ports.is_empty());
    // The saved plan holds the deployment to it: drift only where the base cannot follow.
    let saved = std::fs::read_to_string(dir.join("plan.yaml")).unwrap();
    assert!(saved.starts_with("# Written by flowcap export from presets/large.yaml."));
}

#[test]
fn pgtune_settings_join_the_postgres_command() {
    let dir = with_base("pgtune");
    flowcap().current_dir(&dir).args(["export", "--preset", "medium", "--pgtune", "-o", "o.yml"]).assert().success();
    let doc: Value = serde_yaml::from_str(&std::fs::read_to_string(dir.join("o.yml")).unwrap()).unwrap();
    let command: Vec<&str> =
        service(&doc, "postgres")["command"].as_sequence().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(command.contains(&"work_mem=20164kB"), "{command:?}");
    assert!(command.contains(&"effective_cache_size=6GB"));
    assert_eq!(command.iter().filter(|c| c.starts_with("shared_buffers=")).count(), 1);
}

#[test]
fn without_a_deployment_there_is_nothing_to_override() {
    let dir = tempdir("nobase");
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "development", "-o", "o.yml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("none were given or found here: give -f FILE"));
    assert!(!dir.join("o.yml").exists());
}

#[test]
fn never_overwrites_what_flowcap_did_not_write() {
    let dir = with_base("safe");
    std::fs::write(dir.join("docker-compose.override.yml"), "# my own override\nservices: {}\n").unwrap();
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "medium", "-o", "docker-compose.override.yml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "docker-compose.override.yml: exists and was not written by flowcap; pass --force",
        ));
    assert!(!dir.join("docker-compose.override.api-lb.conf").exists(), "a refusal writes nothing");
    // The operator's override is untouched.
    assert_eq!(
        std::fs::read_to_string(dir.join("docker-compose.override.yml")).unwrap(),
        "# my own override\nservices: {}\n"
    );
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "medium", "-o", "docker-compose.override.yml", "--force"])
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(dir.join("docker-compose.override.yml.bak")).unwrap(),
        "# my own override\nservices: {}\n"
    );
    // A file flowcap wrote is replaced without --force and kept as a backup; the operator's own
    // file, kept as .bak, is never replaced by a backup of flowcap's: that goes to .bak.1.
    let export = |preset: &str| {
        flowcap()
            .current_dir(&dir)
            .args(["export", "--preset", preset, "-o", "docker-compose.override.yml"])
            .assert()
            .success();
    };
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    export("large");
    assert_eq!(read("docker-compose.override.yml.bak"), "# my own override\nservices: {}\n");
    assert!(read("docker-compose.override.yml.bak.1").contains("presets/medium.yaml"));
    assert!(read("docker-compose.override.yml").contains("presets/large.yaml"));
    // Later backups of flowcap's own files replace each other there.
    export("small-team");
    assert_eq!(read("docker-compose.override.yml.bak"), "# my own override\nservices: {}\n");
    assert!(read("docker-compose.override.yml.bak.1").contains("presets/large.yaml"));
    assert!(!dir.join("docker-compose.override.yml.bak.2").exists());
}

#[test]
fn unwritable_places_are_clear_errors() {
    let dir = with_base("unwritable");
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "medium", "-o", "/proc/flowcap-override.yml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot write"));
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "medium", "-o", "missing-folder/o.yml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot write"));
    // `-` is standard output for Helm values only: an override is a file, not a file named `-`.
    flowcap()
        .current_dir(&dir)
        .args(["export", "--preset", "medium", "-o", "-"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("--output: -: the override is a file Compose reads beside the others"));
    assert!(!dir.join("-").exists());
}

/// A full disk: a tiny tmpfs (root can mount one; elsewhere the test is ignored).
#[test]
#[cfg_attr(missing = "root", ignore = "needs root (to mount a tmpfs)")]
fn full_disk_leaves_the_old_file_intact() {
    let dir = tempdir("full");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=8k", "tmpfs"])
        .arg(&dir)
        .status()
        .is_ok_and(|s| s.success());
    assert!(mounted, "mounting a tmpfs needs root (CI runs as root)");
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose/docker-compose.yml");
    std::fs::copy(base, dir.join("docker-compose.yml")).unwrap();
    let old = format!("# Written by flowcap: an older export\n{}", "x".repeat(3000));
    std::fs::write(dir.join("o.yml"), &old).unwrap();
    // Fill the rest of the file system.
    let _ = std::fs::write(dir.join("filler"), vec![b'f'; 8192]);
    let result = flowcap().current_dir(&dir).args(["export", "--preset", "medium", "-o", "o.yml"]).output().unwrap();
    let kept = std::fs::read_to_string(dir.join("o.yml")).unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    let _ = std::process::Command::new("umount").arg(&dir).status();
    assert_eq!(result.status.code(), Some(2), "{}", String::from_utf8_lossy(&result.stderr));
    assert!(String::from_utf8_lossy(&result.stderr).contains("No space left on device"));
    assert_eq!(kept, old);
    assert_eq!(leftovers.len(), 3, "no temporary file left behind: {leftovers:?}");
}

#[test]
fn what_the_plan_leaves_out_is_reset() {
    // The base's runtime uses the older cpus / mem_limit; its postgres has limits.
    let dir = with_base("reset");
    let plan = "runtime:\n  replicas: 2\n  limits: { memory: 4G }\npostgres:\n  limits: { cpus: 1 }\n";
    std::fs::write(dir.join("plan.yaml"), plan).unwrap();
    flowcap().current_dir(&dir).args(["export", "plan.yaml", "-o", "o.yml"]).assert().success();
    let text = std::fs::read_to_string(dir.join("o.yml")).unwrap();
    assert!(text.contains("  runtime:\n    scale: 2\n    cpus: !reset null\n    mem_limit: !reset null\n"), "{text}");
    assert!(text.contains("          memory: !reset null\n"), "postgres memory limit removed:\n{text}");
    // Merged by flowcap's own Compose rules, the deployment is the plan.
    let project = Project::load(
        &ProjectOptions { files: vec![dir.join("docker-compose.yml"), dir.join("o.yml")], ..ProjectOptions::default() },
        Environment::default(),
    )
    .unwrap();
    let deployed = import(&project, &ServiceNames::default()).unwrap().plan;
    assert_eq!(
        deployed.runtime.limits,
        flowcap::model::resources::Resources { cpus: None, memory: Some(flowcap::model::units::Bytes::gib(4)) }
    );
    assert_eq!(
        deployed.postgres.limits,
        flowcap::model::resources::Resources { cpus: Some(flowcap::model::units::Cpus::whole(1)), memory: None }
    );
}
