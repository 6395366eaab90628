//! Docker Compose v2 is the judge, on a corpus of real-looking stacks (`tests/fixtures/corpus`,
//! each with the `flowcap.args` it needs and an ABOUT.md).
//!
//! - What flowcap reads of every service equals what `docker-compose-v2 config --format json`
//!   reports for the same files: replicas, limits and reservations in every spelling, ports
//!   with host IPs, `expose`, `shm_size`, `container_name`, `MAX_CONCURRENT_EXECUTIONS` and the
//!   Postgres flags.
//! - Every export (each preset and a plan of our own) is accepted by Compose v2 with the exact
//!   command flowcap prints, merges to the plan, keeps every host port the stack published, and
//!   reads back with no drift. podman-compose merges it too, and the merged file passes the
//!   Compose schema (check-jsonschema).

use crate::common::{copy_tree, flowcap, tempdir};
use flowcap::model::cluster::Platform;
use flowcap::model::plan::Plan;
use flowcap::model::presets::{keys_for, load_preset};
use flowcap::platform::compose::{Environment, Project, ProjectOptions, Role, ServiceNames, import, service_facts};
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const COMPOSE: &str = "docker-compose-v2";

/// Fails unless `program` runs (it is given the arguments that print its version).
fn require(program: &[&str]) {
    let found = Command::new(program[0]).args(&program[1..]).output().is_ok_and(|o| o.status.success());
    assert!(found, "{} is missing: .ci/run installs it", program.join(" "));
}

fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    assert!(dirs.len() >= 12, "the corpus has at least 12 stacks");
    dirs
}

/// The fixture's `flowcap.args`, one argument a line.
fn args(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("flowcap.args")).unwrap();
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

/// The values following each `flag` in `args`.
fn values_of(args: &[String], flag: &str) -> Vec<String> {
    args.windows(2).filter(|w| w[0] == flag).map(|w| w[1].clone()).collect()
}

fn profile_args(args: &[String]) -> Vec<String> {
    values_of(args, "--profile").into_iter().flat_map(|p| ["--profile".to_string(), p]).collect()
}

/// `docker-compose-v2 ARGS config --format json` in `dir`, parsed.
fn compose_config(dir: &Path, args: &[String]) -> Result<Json, String> {
    let output =
        Command::new(COMPOSE).current_dir(dir).args(args).args(["config", "--format", "json"]).output().unwrap();
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&output.stdout).unwrap())
}

fn number(value: &Json) -> Option<f64> {
    match value {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Compose's figures for one service, in flowcap's terms: (replicas, limits, reservations)
/// with CPUs in thousandths and memory in bytes.
type Resources = (Option<u64>, Option<u64>);

fn compose_resources(service: &Json, kind: &str) -> Resources {
    let section = &service["deploy"]["resources"][kind];
    let legacy_cpus = if kind == "limits" { &service["cpus"] } else { &Json::Null };
    let legacy_memory = if kind == "limits" { &service["mem_limit"] } else { &service["mem_reservation"] };
    let cpus = number(&section["cpus"]).or_else(|| number(legacy_cpus)).map(|c| (c * 1000.0).round() as u64);
    let memory = number(&section["memory"]).or_else(|| number(legacy_memory)).map(|m| m as u64);
    (cpus.filter(|c| *c > 0), memory.filter(|m| *m > 0))
}

fn compose_replicas(service: &Json) -> u64 {
    number(&service["deploy"]["replicas"]).or_else(|| number(&service["scale"])).map_or(1, |r| r as u64)
}

/// Ports as `HOST_IP|PUBLISHED|TARGET|PROTOCOL`.
fn compose_ports(service: &Json) -> Vec<String> {
    let Some(ports) = service["ports"].as_array() else { return Vec::new() };
    ports
        .iter()
        .map(|p| {
            format!(
                "{}|{}|{}|{}",
                p["host_ip"].as_str().unwrap_or(""),
                p["published"].as_str().unwrap_or(""),
                p["target"],
                p["protocol"].as_str().unwrap_or("tcp")
            )
        })
        .collect()
}

/// `-c name=value` settings of a Postgres command list.
fn postgres_setting(command: &Json, name: &str) -> Option<String> {
    let args: Vec<&str> = command.as_array()?.iter().filter_map(Json::as_str).collect();
    args.iter()
        .filter_map(|a| a.strip_prefix("-c").map(str::trim).filter(|s| !s.is_empty()).or(Some(a)))
        .filter_map(|s| s.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

/// `3072MB` → bytes, in PostgreSQL's units (kB, MB, GB, TB; none: 8 kB pages).
fn postgres_bytes(text: &str) -> Option<u64> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let number: u64 = text[..split].parse().ok()?;
    let unit = match text[split..].to_ascii_lowercase().as_str() {
        "" => 8 << 10,
        "kb" => 1 << 10,
        "mb" => 1 << 20,
        "gb" => 1 << 30,
        "tb" => 1 << 40,
        _ => return None,
    };
    Some(number * unit)
}

fn project(dir: &Path, args: &[String]) -> (Project, ServiceNames) {
    let options =
        ProjectOptions { dir: dir.to_path_buf(), profiles: values_of(args, "--profile"), ..ProjectOptions::default() };
    let project = Project::load(&options, Environment::default()).unwrap();
    (project, ServiceNames::parse(&values_of(args, "--service")).unwrap())
}

#[test]
#[cfg_attr(missing = "docker-compose-v2", ignore = "needs docker-compose-v2")]
fn flowcap_reads_what_compose_reads() {
    require(&[COMPOSE, "version"]);
    // The corpus, and the older fixtures the other compose tests use.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose");
    let renamed = ["--service", "runtime=worker,api=backend,postgres=db"].map(String::from).to_vec();
    let stacks = corpus().into_iter().map(|dir| {
        let args = args(&dir);
        (dir, args)
    });
    for (dir, args) in stacks.chain([(fixtures.clone(), Vec::new()), (fixtures.join("renamed"), renamed)]) {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let config = compose_config(&dir, &profile_args(&args)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (project, names) = project(&dir, &args);
        let active = project.active_services();
        let ours: BTreeSet<&str> = active.iter().map(|(n, _)| *n).collect();
        let theirs: BTreeSet<&str> = config["services"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(ours, theirs, "{name}: the active services");
        for (service_name, service) in &active {
            let facts = service_facts(&project, service_name, service).unwrap();
            let compose = &config["services"][*service_name];
            let at = format!("{name}: {service_name}");
            assert_eq!(u64::from(facts.replicas), compose_replicas(compose), "{at}: replicas");
            for (kind, ours) in [("limits", &facts.limits), ("reservations", &facts.reservations)] {
                let ours = (ours.cpus.map(|c| c.0), ours.memory.map(|m| m.0));
                assert_eq!(ours, compose_resources(compose, kind), "{at}: {kind}");
            }
            let ports: Vec<String> = facts
                .ports
                .iter()
                .map(|p| {
                    format!(
                        "{}|{}|{}|{}",
                        p.host_ip.as_deref().unwrap_or(""),
                        p.published.as_deref().unwrap_or(""),
                        p.target,
                        p.protocol
                    )
                })
                .collect();
            assert_eq!(ports, compose_ports(compose), "{at}: ports");
            let expose: Vec<String> = compose["expose"]
                .as_array()
                .map(|e| e.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), String::from)).collect())
                .unwrap_or_default();
            assert_eq!(facts.expose, expose, "{at}: expose");
            assert_eq!(facts.shm_size.map(|s| s.0), number(&compose["shm_size"]).map(|s| s as u64), "{at}: shm_size");
            assert_eq!(facts.container_name.as_deref(), compose["container_name"].as_str(), "{at}: container_name");
        }
        let plan = import(&project, &names).unwrap().plan;
        let runtime = &config["services"][names.get(Role::Runtime)];
        let slots = runtime["environment"]["MAX_CONCURRENT_EXECUTIONS"].as_str().map_or(10, |s| s.parse().unwrap());
        assert_eq!(plan.runtime.max_concurrent_executions, slots, "{name}: MAX_CONCURRENT_EXECUTIONS");
        if !plan.postgres.external {
            let command = &config["services"][names.get(Role::Postgres)]["command"];
            let max = postgres_setting(command, "max_connections").map_or(100, |v| v.parse().unwrap());
            assert_eq!(plan.postgres.max_connections, max, "{name}: max_connections");
            if let Some(buffers) = postgres_setting(command, "shared_buffers") {
                assert_eq!(
                    plan.postgres.shared_buffers.map(|b| b.0),
                    postgres_bytes(&buffers),
                    "{name}: shared_buffers"
                );
            }
        }
    }
}

/// A plan of our own beside the presets: renamed figures, no API scaling, external where the
/// stack is.
fn own_plan(external: bool) -> String {
    format!(
        "name: Own\napi:\n  replicas: 3\n  limits: {{ cpus: 1.5, memory: 3G }}\nruntime:\n  replicas: 5\n  \
         max_concurrent_executions: 12\n  limits: {{ cpus: 3, memory: 6G }}\n  reservations: {{ memory: 1G }}\n\
         postgres:\n  external: {external}\n  max_connections: 220\n  shared_buffers: 1G\n  limits: {{ cpus: 2, memory: 16G }}\n"
    )
}

/// The stack's published bindings as `HOST_IP|PUBLISHED|TARGET`, every service together.
fn published(config: &Json) -> BTreeSet<String> {
    let services = config["services"].as_object().unwrap();
    services
        .values()
        .flat_map(compose_ports)
        .filter(|p| p.split('|').nth(1).is_some_and(|published| !published.is_empty()))
        .collect()
}

#[test]
#[cfg_attr(
    any(missing = "docker-compose-v2", missing = "podman-compose", missing = "check-jsonschema"),
    ignore = "needs docker-compose-v2, podman-compose and check-jsonschema"
)]
fn every_export_is_accepted_by_compose_and_merges_to_the_plan() {
    require(&[COMPOSE, "version"]);
    require(&["python3", "-m", "podman_compose", "--dry-run", "version"]);
    require(&["python3", "-m", "check_jsonschema", "--version"]);
    let dirs = corpus();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = dirs.iter().map(|dir| scope.spawn(move || export_stack(dir))).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Exports every preset and our own plan over one stack; returns what went wrong.
fn export_stack(fixture: &Path) -> Vec<String> {
    let name = fixture.file_name().unwrap().to_string_lossy().into_owned();
    let args = args(fixture);
    let base_config = compose_config(fixture, &profile_args(&args)).unwrap();
    // podman-compose cannot read some stacks by themselves (an `include` whose `path:` is a
    // list); those it cannot judge.
    let podman = {
        let mut own = vec!["-m".to_string(), "podman_compose".into(), "--dry-run".into()];
        own.extend(profile_args(&args));
        own.push("config".into());
        Command::new("python3").current_dir(fixture).args(&own).output().unwrap().status.success()
    };
    let mut failures = Vec::new();
    let mut merged_files = Vec::new();
    // The folders live until the schema check has read their merged files.
    let mut folders = Vec::new();
    let plans = keys_for(Platform::Compose).into_iter().map(|p| format!("--preset={p}")).chain(["own".to_string()]);
    for plan_arg in plans {
        let dir = tempdir(&format!("corpus-{name}"));
        copy_tree(fixture, &dir);
        let external =
            base_config["services"].get("postgres").is_none() && !args.iter().any(|a| a.starts_with("postgres="));
        let plan_text = own_plan(external);
        std::fs::write(dir.join("own.yaml"), &plan_text).unwrap();
        let plan_source = if plan_arg == "own" { "own.yaml".to_string() } else { plan_arg.clone() };
        let at = format!("{name} with {plan_source}");
        let output = flowcap()
            .current_dir(&dir)
            .args(["export", &plan_source, "-o", "flowcap.override.yml"])
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let plan: Plan = match plan_arg.strip_prefix("--preset=") {
            Some(preset) => load_preset(preset).unwrap().plan,
            None => serde_yaml::from_str(&plan_text).unwrap(),
        };
        if external && !plan.postgres.external {
            // The stack's database is managed elsewhere: the override cannot add one.
            if output.status.code() != Some(2) || !stderr.contains("--service postgres=NAME") {
                failures.push(format!(
                    "{at}: a plan with an in-stack Postgres over an external one must be refused: {stderr}"
                ));
            }
            continue;
        }
        if !output.status.success() {
            failures.push(format!("{at}: flowcap export failed: {stderr}"));
            continue;
        }
        // The command flowcap prints is the one Compose must accept.
        let Some(apply) = stderr.lines().find_map(|l| l.strip_prefix("apply with: ")) else {
            failures.push(format!("{at}: no apply command in {stderr}"));
            continue;
        };
        let (clear_profiles, apply) = match apply.strip_prefix("COMPOSE_PROFILES= ") {
            Some(rest) => (true, rest),
            None => (false, apply),
        };
        let words = shlex::split(apply.strip_suffix(" up -d").unwrap()).unwrap();
        assert_eq!(words[..2], ["docker", "compose"], "{apply}");
        let compose_args = words[2..].to_vec();
        let mut left_out: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("not written: "))
            .map(|l| l.split(' ').next().unwrap_or_default().to_string())
            .collect();
        if clear_profiles {
            // COMPOSE_PROFILES comes from the stack's .env; the command clears it.
            let env = read(&dir.join(".env"))
                .lines()
                .filter(|l| !l.starts_with("COMPOSE_PROFILES="))
                .collect::<Vec<_>>()
                .join("\n");
            std::fs::write(dir.join(".env"), env).unwrap();
        }
        left_out.dedup();
        let merged = match compose_config(&dir, &compose_args) {
            Ok(merged) => merged,
            Err(error) => {
                failures.push(format!(
                    "{at}: Compose v2 refuses the override: {error}\n{}",
                    read(&dir.join("flowcap.override.yml"))
                ));
                continue;
            }
        };
        // The stack as it ran before, with the same files and profiles but the override.
        let mut base_args = compose_args.clone();
        let at_override = base_args.iter().position(|a| a == "flowcap.override.yml").unwrap();
        base_args.drain(at_override - 1..=at_override);
        let before = compose_config(&dir, &base_args).unwrap();
        check_merged(&at, &args, &before, &merged, &plan, &mut failures);
        // Read back by flowcap: no drift on what the plan sets.
        let yaml = Command::new(COMPOSE).current_dir(&dir).args(&compose_args).arg("config").output().unwrap();
        std::fs::write(dir.join("merged.yml"), &yaml.stdout).unwrap();
        let mut reread = vec!["diff".to_string(), plan_source.clone(), "-f".into(), "merged.yml".into()];
        // A role whose service the merge leaves out (an exporter under a profile the plan
        // does not switch on) is not named.
        let present =
            |service: &String| service.split_once('=').is_some_and(|(_, name)| merged["services"].get(name).is_some());
        for service in values_of(&args, "--service").into_iter().filter(present) {
            reread.extend(["--service".to_string(), service]);
        }
        for profile in values_of(&compose_args, "--profile") {
            reread.extend(["--profile".to_string(), profile]);
        }
        let diff = flowcap().current_dir(&dir).args(&reread).output().unwrap();
        let differences: Vec<String> = String::from_utf8_lossy(&diff.stdout)
            .lines()
            .filter(|l| !l.starts_with("no differences"))
            .filter(|l| !l.starts_with("api.shared_jwt_keys"))
            .filter(|l| !left_out.iter().any(|item| written_about(l, item)))
            .map(String::from)
            .collect();
        if !diff.status.success() || !differences.is_empty() {
            failures
                .push(format!("{at}: read back with drift: {differences:?} {}", String::from_utf8_lossy(&diff.stderr)));
        }
        if podman {
            let mut podman_args = vec!["-m".to_string(), "podman_compose".into(), "--dry-run".into()];
            podman_args.extend(compose_args.iter().cloned());
            podman_args.push("config".into());
            let result = Command::new("python3").current_dir(&dir).args(&podman_args).output().unwrap();
            if !result.status.success() {
                failures.push(format!(
                    "{at}: podman-compose refuses the merge: {}",
                    String::from_utf8_lossy(&result.stderr)
                ));
            }
        }
        merged_files.push(dir.join("merged.yml"));
        folders.push(dir);
    }
    if !merged_files.is_empty() {
        let result = Command::new("python3")
            .args(["-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"])
            .args(&merged_files)
            .output()
            .unwrap();
        if !result.status.success() {
            failures.push(format!(
                "{name}: merged files fail the Compose schema: {}",
                String::from_utf8_lossy(&result.stdout)
            ));
        }
    }
    failures
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Whether a drift line is about `item`, something the export said it could not write.
fn written_about(line: &str, item: &str) -> bool {
    match line.strip_prefix("other_services.") {
        Some(rest) => rest.split(['.', ' ']).next() == Some(item),
        None => line.starts_with("monitoring") && item == "monitoring",
    }
}

/// The merged stack runs the plan, scales nothing that cannot scale, and publishes every
/// host port the stack published before.
fn check_merged(at: &str, args: &[String], base: &Json, merged: &Json, plan: &Plan, failures: &mut Vec<String>) {
    let names = ServiceNames::parse(&values_of(args, "--service")).unwrap();
    let services = merged["services"].as_object().unwrap();
    let api = &merged["services"][names.get(Role::Api)];
    let runtime = &merged["services"][names.get(Role::Runtime)];
    let mut expect = |what: &str, ok: bool| {
        if !ok {
            failures.push(format!("{at}: {what}"));
        }
    };
    expect("API replicas", compose_replicas(api) == u64::from(plan.api.replicas));
    // HTTP runs: an EXECUTOR_URL naming the runtime service is resolved by the API itself (one
    // runtime first every time); with several runtimes it reaches them through the balancer,
    // which runs beside the API on a network they share.
    let runtime_name = names.get(Role::Runtime);
    let base_url = base["services"][names.get(Role::Api)]["environment"]["EXECUTOR_URL"].as_str();
    if let Some(url) = base_url.filter(|url| url.contains(&format!("//{runtime_name}:")))
        && plan.runtime.replicas > 1
    {
        let balancer = format!("{runtime_name}-lb");
        let routed = url.replacen(&format!("//{runtime_name}:"), &format!("//{balancer}:"), 1);
        expect(
            &format!("EXECUTOR_URL {:?} is not {routed}", api["environment"]["EXECUTOR_URL"]),
            api["environment"]["EXECUTOR_URL"].as_str() == Some(routed.as_str()),
        );
        let networks = |service: &Json| -> Vec<String> {
            service["networks"].as_object().map(|n| n.keys().cloned().collect()).unwrap_or_default()
        };
        let shared = networks(&merged["services"][&balancer]).iter().any(|n| networks(api).contains(n));
        expect(&format!("the runtime balancer {balancer} shares a network with the API"), shared);
    }
    expect("runtime replicas", compose_replicas(runtime) == u64::from(plan.runtime.replicas));
    let slots = runtime["environment"]["MAX_CONCURRENT_EXECUTIONS"].as_str();
    expect("MAX_CONCURRENT_EXECUTIONS", slots == Some(plan.runtime.max_concurrent_executions.to_string().as_str()));
    let limits = compose_resources(runtime, "limits");
    expect(
        "runtime limits",
        limits == (plan.runtime.limits.cpus.map(|c| c.0), plan.runtime.limits.memory.map(|m| m.0)),
    );
    if !plan.postgres.external {
        let postgres = &merged["services"][names.get(Role::Postgres)];
        let max = postgres_setting(&postgres["command"], "max_connections");
        expect("max_connections", max == Some(plan.postgres.max_connections.to_string()));
        let before = number(&base["services"][names.get(Role::Postgres)]["shm_size"]).unwrap_or(0.0);
        expect("shm_size never lowered", number(&postgres["shm_size"]).unwrap_or(0.0) >= before);
    }
    for (service_name, service) in services {
        if compose_replicas(service) < 2 {
            continue;
        }
        let fixed =
            compose_ports(service).iter().any(|p| p.split('|').nth(1).is_some_and(|x| x.parse::<u16>().is_ok()));
        expect(&format!("{service_name} scales and still publishes a fixed port"), !fixed);
        expect(&format!("{service_name} scales with a container_name"), service.get("container_name").is_none());
    }
    let before = published(base);
    let after = published(merged);
    let lost: Vec<&String> = before.difference(&after).collect();
    expect(&format!("host ports lost: {lost:?}"), lost.is_empty());
    let added: Vec<&String> = after.difference(&before).collect();
    expect(&format!("host ports added: {added:?}"), added.is_empty());
}
