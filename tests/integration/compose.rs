//! Compose import: the project's own fixtures always, Flow-Like's real files from
//! `../shared/fixtures/flow-like` (ignored outside CI when absent; required on CI).

use flowcap::analysis::rules::RuleId;
use flowcap::model::load::LoadedPlan;
use flowcap::model::plan::Plan;
use flowcap::model::units::{Bytes, Cpus};
use flowcap::platform::compose::{Environment, Project, ProjectOptions, ServiceNames, import};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose")
}

fn load(options: ProjectOptions, env: &[(&str, &str)]) -> Result<LoadedPlan, flowcap::io::error::InputError> {
    let project = Project::load(&options, Environment::from_pairs(env.iter().copied()))?;
    import(&project, &ServiceNames::default())
}

fn in_dir(dir: PathBuf) -> ProjectOptions {
    ProjectOptions { dir, ..ProjectOptions::default() }
}

fn own(env: &[(&str, &str)]) -> Plan {
    load(in_dir(fixtures()), env).unwrap().plan
}

#[test]
fn reads_the_project_like_compose() {
    let plan = own(&[]);
    // Found docker-compose.yml, its override and .env.
    assert_eq!(plan.runtime.replicas, 2, "scale: 2");
    assert_eq!(plan.runtime.max_concurrent_executions, 16, "the override's environment wins");
    assert_eq!(
        plan.runtime.limits,
        flowcap::model::resources::Resources { cpus: Some(Cpus::whole(3)), memory: Some(Bytes::gib(6)) }
    );
    assert!(plan.runtime.published_ports.is_empty(), "ports: !reset [] in the override");
    assert_eq!(plan.postgres.max_connections, 200, "the override's command replaces the base's");
    assert_eq!(plan.postgres.shared_buffers, Some(Bytes::gib(1)));
    assert_eq!(plan.postgres.limits.memory, Some(Bytes::gib(2)));
    assert!(!plan.postgres.external);
    assert_eq!(plan.api.replicas, 1, "API_REPLICAS unset: the - default");
    assert_eq!(plan.api.published_ports, [8080]);
    assert_eq!(plan.api.shared_jwt_keys, Some(true), "BACKEND_KEY from .env");
    let redis = &plan.other_services["redis"];
    assert_eq!(redis.limits.memory, Some(Bytes::mib(256)), "merge key from an x- anchor");
    assert_eq!(plan.other_services.keys().collect::<Vec<_>>(), ["redis"], "postgres-exporter needs its profile");
    assert!(!plan.monitoring);
}

#[test]
fn shell_environment_wins_over_dotenv_and_profiles_switch_services_on() {
    let options = ProjectOptions {
        files: vec![fixtures().join("docker-compose.yml")],
        profiles: vec!["monitoring".into()],
        ..ProjectOptions::default()
    };
    let plan =
        load(options.clone(), &[("SLOTS", "7"), ("API_REPLICAS", "3"), ("PG_MAX_CONNECTIONS", "180")]).unwrap().plan;
    assert_eq!(plan.runtime.max_concurrent_executions, 7, "shell SLOTS=7 over .env SLOTS=20");
    assert_eq!(plan.api.replicas, 3);
    assert_eq!(plan.postgres.max_connections, 180, "the -c flag interpolated from the shell");
    assert_eq!(plan.postgres.shared_buffers, Some(Bytes::mib(512)));
    assert_eq!(plan.runtime.published_ports, [9000], "long syntax, no override file");
    assert!(plan.monitoring, "--profile monitoring");
    let plan = load(options, &[("COMPOSE_PROFILES", "other,monitoring")]).unwrap().plan;
    assert!(plan.monitoring, "COMPOSE_PROFILES");
}

#[test]
fn renamed_services_need_a_role_map() {
    let err = load(in_dir(fixtures().join("renamed")), &[]).unwrap_err();
    assert_eq!(
        err.message(),
        "no runtime service `runtime` among the active services (found: worker, backend, db); name yours with --service runtime=NAME"
    );
    let project = Project::load(&in_dir(fixtures().join("renamed")), Environment::default()).unwrap();
    let names = ServiceNames::parse(&["runtime=worker".into(), "api=backend".into(), "postgres=db".into()]).unwrap();
    let plan = import(&project, &names).unwrap().plan;
    assert_eq!(plan.runtime.replicas, 3);
    assert!(!plan.postgres.external, "DATABASE_URL points at db");
    assert!(ServiceNames::parse(&["worker".into()]).unwrap_err().message().contains("expected ROLE=NAME"));
}

#[test]
fn external_database_and_required_variables() {
    let external = fixtures().join("external");
    let plan =
        load(in_dir(external.clone()), &[("DATABASE_URL", "postgres://u:p@db.example.com/flowlike")]).unwrap().plan;
    assert!(plan.postgres.external);
    let err = load(in_dir(external), &[]).unwrap_err();
    assert!(err.location().file.ends_with("compose.yaml"));
    assert_eq!((err.location().line, err.location().column), (Some(5), Some(21)));
    assert_eq!(err.message(), "required variable DATABASE_URL is not set: set DATABASE_URL to your managed Postgres");
}

#[test]
fn findings_point_into_the_compose_file() {
    let loaded = load(in_dir(fixtures()), &[("API_REPLICAS", "2")]).unwrap();
    let report = flowcap::report::Report::new(&loaded, flowcap::analysis::rules::Severity::Error);
    let port =
        report.findings.iter().find(|f| f.finding.rule == RuleId::FixedHostPort).expect("api scaled with a fixed port");
    assert!(port.file.ends_with("docker-compose.yml"));
    // `ports:` of the api service.
    assert_eq!(port.line, Some(32));
}

#[test]
#[cfg_attr(missing = "shared-fixtures", ignore = "needs ../shared/fixtures")]
fn flow_like_as_it_ships() {
    let dir = crate::common::shared_fixtures().join("flow-like");
    let plan = load(in_dir(dir.clone()), &[]).unwrap().plan;
    // DATABASE_URL connects as ${POSTGRES_USER}: the image's superuser.
    assert!(plan.postgres.clients_are_superuser);
    assert_eq!(plan.runtime.replicas, 1);
    assert_eq!(plan.runtime.max_concurrent_executions, 10, "the :- default");
    assert_eq!(
        plan.runtime.limits,
        flowcap::model::resources::Resources { cpus: Some(Cpus::whole(4)), memory: Some(Bytes::gib(8)) }
    );
    assert_eq!(
        plan.runtime.reservations,
        flowcap::model::resources::Resources { cpus: Some(Cpus::whole(1)), memory: Some(Bytes::gib(2)) }
    );
    assert_eq!(plan.runtime.published_ports, [9000]);
    assert_eq!(plan.api.published_ports, [8080, 9090]);
    // BACKEND_KEY defaults to empty, and no .env is here to set it (as in a CI checkout).
    assert_eq!(plan.api.shared_jwt_keys, None, "unknown without a variables file");
    assert!(!plan.postgres.external);
    assert_eq!(plan.postgres.max_connections, 100);
    assert!(!plan.monitoring);
    let others: Vec<&String> = plan.other_services.keys().collect();
    assert_eq!(others, ["redis", "sink-services", "web"], "db-init is a job, monitoring is off");

    let options = ProjectOptions {
        files: vec![dir.join("docker-compose.yml")],
        env_file: Some(dir.join(".env.example")),
        profiles: vec!["monitoring".into()],
        dir,
    };
    let plan = load(options, &[("MAX_CONCURRENT_EXECUTIONS", "25")]).unwrap().plan;
    assert_eq!(plan.runtime.max_concurrent_executions, 25);
    assert!(plan.monitoring);
    assert!(plan.other_services.contains_key("grafana"));
    // A role for the connection budget, and a container like the rest for host fit.
    assert!(plan.other_services.contains_key("postgres-exporter"));
}

/// Reads `text` as the only compose file of a fresh folder.
fn import_text(name: &str, text: &str) -> Plan {
    let dir = std::env::temp_dir().join(format!("flowcap-compose-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("compose.yaml"), text).unwrap();
    let plan = load(in_dir(dir.clone()), &[]).unwrap().plan;
    let _ = std::fs::remove_dir_all(&dir);
    plan
}

#[test]
fn older_names_and_other_flag_forms() {
    let plan = import_text(
        "forms",
        "services:\n  api:\n    environment: [EXECUTION_KEY=abc]\n  runtime:\n    mem_reservation: 1g\n    scale: '3'\n  postgres:\n    command: postgres -csuperuser_reserved_connections=5 --reserved_connections=2 -c shared_buffers=16384\n",
    );
    assert_eq!(plan.api.shared_jwt_keys, Some(true), "EXECUTION_KEY, the older name of BACKEND_KEY");
    assert_eq!(plan.runtime.reservations.memory, Some(Bytes::gib(1)), "mem_reservation");
    assert_eq!(plan.runtime.replicas, 3, "scale as a string");
    assert_eq!(plan.postgres.superuser_reserved_connections, 5, "-cNAME=VALUE");
    assert_eq!(plan.postgres.reserved_connections, 2, "--NAME=VALUE");
    assert_eq!(plan.postgres.shared_buffers, Some(Bytes::mib(128)), "unitless: 8 kB pages");
}
