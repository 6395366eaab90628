//! The compose override that makes a plan real over the operator's base file: replicas,
//! resources, `MAX_CONCURRENT_EXECUTIONS`, the Postgres command and `shm_size`, published
//! ports reset on scaled services, and an nginx load balancer when the API scales.

use super::import::{Role, ServiceNames};
use super::project::Project;
use crate::io::write::WRITTEN_BY;
use crate::plan::{Plan, Resources};
use crate::units::Bytes;
use serde_yaml::Value;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The API's container port: Flow-Like's `PORT: 8080`.
const API_CONTAINER_PORT: u16 = 8080;
const LOAD_BALANCER_IMAGE: &str = "nginx:1.27-alpine";
const NGINX_TEMPLATE: &str = include_str!("../../../assets/nginx-api-lb.conf");

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    pub override_yaml: String,
    /// The load balancer's nginx config, to be written beside the override as
    /// [`ExportOptions::load_balancer_config`].
    pub nginx_conf: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// Where the plan came from, for the header.
    pub plan_source: String,
    /// Add PGTune's web-profile settings to the Postgres command.
    pub pgtune: bool,
    /// The nginx config's file name, relative to the override.
    pub load_balancer_config: String,
}

/// What the base compose files tell the export.
struct Base<'a> {
    project: Option<&'a Project>,
    names: &'a ServiceNames,
}

impl Base<'_> {
    fn has(&self, service: &str) -> bool {
        self.project.is_none_or(|p| p.services.contains_key(service))
    }

    /// The base's value at `key` of `service`.
    fn get(&self, service: &str, key: &str) -> Option<&Value> {
        self.project?.services.get(service)?.get(key)
    }
}

/// The files an export writes: the override at `output` and, when the API scales, the load
/// balancer's config beside it (named after the override).
pub fn export_files(
    plan: &Plan,
    base: Option<&Project>,
    names: &ServiceNames,
    output: &Path,
    plan_source: &str,
    pgtune: bool,
) -> Vec<(PathBuf, String)> {
    let folder = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let stem = output.file_stem().and_then(|s| s.to_str()).unwrap_or("flowcap");
    let options = ExportOptions {
        plan_source: plan_source.to_string(),
        pgtune,
        load_balancer_config: format!("{stem}.api-lb.conf"),
    };
    let export = export(plan, base, names, &options);
    let mut files = vec![(output.to_path_buf(), export.override_yaml)];
    if let Some(conf) = export.nginx_conf {
        files.push((folder.join(&options.load_balancer_config), conf));
    }
    files
}

/// The override for `plan`. With a base project, services it lacks are left out and its
/// networks and published API port are reused; without one, Flow-Like's defaults are assumed.
pub fn export(plan: &Plan, base: Option<&Project>, names: &ServiceNames, options: &ExportOptions) -> Export {
    let base = Base { project: base, names };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{WRITTEN_BY} {} from {}: the override that makes the plan real.",
        env!("CARGO_PKG_VERSION"),
        options.plan_source
    );
    let _ = writeln!(out, "# Use: docker compose -f docker-compose.yml -f THIS_FILE up -d");
    let _ = writeln!(out, "# flowcap replaces this file on the next export: change the plan, not this file.");
    if plan.monitoring {
        let _ = writeln!(
            out,
            "# The plan runs monitoring: start with --profile monitoring (or COMPOSE_PROFILES=monitoring)."
        );
    }
    if plan.api.replicas > 1 {
        let _ = writeln!(
            out,
            "# All API replicas must share one JWT key pair: set BACKEND_KEY, BACKEND_PUB and BACKEND_KID in .env."
        );
    }
    out.push_str("services:\n");

    let api = names.get(Role::Api);
    let api_scaled = plan.api.replicas > 1;
    if base.has(api) {
        let _ = writeln!(out, "  {api}:");
        deploy(&mut out, &base, api, plan.api.replicas, &plan.api.limits, &plan.api.reservations);
        if api_scaled {
            let _ = writeln!(
                out,
                "    # {} replicas cannot share host ports: the load balancer publishes the API port (not metrics).",
                plan.api.replicas
            );
            out.push_str("    ports: !reset []\n");
        }
    }

    let runtime = names.get(Role::Runtime);
    if base.has(runtime) {
        let _ = writeln!(out, "  {runtime}:");
        deploy(&mut out, &base, runtime, plan.runtime.replicas, &plan.runtime.limits, &plan.runtime.reservations);
        let _ = writeln!(
            out,
            "    environment:\n      MAX_CONCURRENT_EXECUTIONS: \"{}\"",
            plan.runtime.max_concurrent_executions
        );
        if plan.runtime.replicas > 1 {
            out.push_str("    # The API reaches the runtimes on the internal network; a fixed host port binds once.\n");
            out.push_str("    ports: !reset []\n");
        }
    }

    let postgres = names.get(Role::Postgres);
    if !plan.postgres.external && base.has(postgres) {
        let _ = writeln!(out, "  {postgres}:");
        let flags: Vec<String> =
            postgres_flags(plan, options.pgtune).iter().map(|f| format!("\"-c\", \"{f}\"")).collect();
        let _ = writeln!(out, "    command: [\"postgres\", {}]", flags.join(", "));
        let _ = writeln!(out, "    shm_size: {}", shm_size(plan).compose().to_lowercase());
        deploy(&mut out, &base, postgres, 1, &plan.postgres.limits, &plan.postgres.reservations);
    }

    for (name, service) in &plan.other_services {
        if base.project.is_none() || !base.has(name) {
            continue;
        }
        let _ = writeln!(out, "  {name}:");
        deploy(&mut out, &base, name, service.replicas, &service.limits, &service.reservations);
        if service.replicas > 1 && !service.published_ports.is_empty() {
            out.push_str("    ports: !reset []\n");
        }
    }

    let nginx_conf = api_scaled.then(|| {
        load_balancer(&mut out, &base, plan, options);
        NGINX_TEMPLATE.replace("{{API_SERVICE}}", api).replace("{{API_PORT}}", &API_CONTAINER_PORT.to_string())
    });
    Export { override_yaml: out, nginx_conf }
}

/// `deploy.replicas` and `deploy.resources` for one service. Whatever the base sets that the
/// plan leaves out is reset, so the merge yields the plan and not the base's leftovers; the
/// older `cpus` / `mem_limit` / `mem_reservation` keys are reset too, since Compose refuses
/// them when they disagree with `deploy.resources`.
fn deploy(out: &mut String, base: &Base, service: &str, replicas: u32, limits: &Resources, reservations: &Resources) {
    // Compose refuses `scale` and `deploy.replicas` that disagree: follow a base that uses scale.
    if base.get(service, "scale").is_some() {
        let _ = writeln!(out, "    scale: {replicas}");
    }
    for legacy in ["cpus", "mem_limit", "mem_reservation"] {
        if base.get(service, legacy).is_some() {
            let _ = writeln!(out, "    {legacy}: !reset null");
        }
    }
    let _ = writeln!(out, "    deploy:\n      replicas: {replicas}");
    let base_resources = |kind: &str| {
        base.get(service, "deploy")
            .and_then(|d| d.get("resources"))
            .and_then(|r| r.get(kind))
            .and_then(Value::as_mapping)
    };
    let mut section = String::new();
    for (kind, resources) in [("limits", limits), ("reservations", reservations)] {
        let in_base = base_resources(kind);
        if resources.cpus.is_none() && resources.memory.is_none() {
            if in_base.is_some() {
                let _ = writeln!(section, "        {kind}: !reset {{}}");
            }
            continue;
        }
        let _ = writeln!(section, "        {kind}:");
        let base_has = |key: &str| in_base.is_some_and(|m| m.contains_key(key));
        match resources.cpus {
            Some(cpus) => {
                let _ = writeln!(section, "          cpus: \"{cpus}\"");
            }
            None if base_has("cpus") => section.push_str("          cpus: !reset null\n"),
            None => {}
        }
        match resources.memory {
            Some(memory) => {
                let _ = writeln!(section, "          memory: {}", memory.compose());
            }
            None if base_has("memory") => section.push_str("          memory: !reset null\n"),
            None => {}
        }
    }
    if !section.is_empty() {
        out.push_str("      resources:\n");
        out.push_str(&section);
    }
}

/// `name=value` settings for the Postgres command: the plan's, then PGTune's when asked.
fn postgres_flags(plan: &Plan, pgtune: bool) -> Vec<String> {
    let pg = &plan.postgres;
    let mut flags = vec![
        format!("max_connections={}", pg.max_connections),
        format!("shared_buffers={}", crate::pgtune::postgres_size(pg.shared_buffers.0 / 1024)),
    ];
    // Only when they differ from PostgreSQL's defaults: reserved_connections is unknown before 16.
    if pg.superuser_reserved_connections != 3 {
        flags.push(format!("superuser_reserved_connections={}", pg.superuser_reserved_connections));
    }
    if pg.reserved_connections != 0 {
        flags.push(format!("reserved_connections={}", pg.reserved_connections));
    }
    if pgtune && let Some(tune) = crate::analysis::analyze(plan).postgres.pgtune {
        let planned = ["max_connections", "shared_buffers"];
        flags.extend(
            tune.settings.iter().filter(|s| !planned.contains(&s.name)).map(|s| format!("{}={}", s.name, s.value)),
        );
    }
    flags
}

/// `/dev/shm` for parallel queries: a sixteenth of the Postgres memory limit, between the
/// 128 MiB the postgres image documents and 1 GiB; 256 MiB without a limit.
fn shm_size(plan: &Plan) -> Bytes {
    let mib = 1024 * 1024;
    match plan.postgres.limits.memory {
        Some(limit) => Bytes((limit.0 / 16 / mib).clamp(128, 1024) * mib),
        None => Bytes::mib(256),
    }
}

fn load_balancer(out: &mut String, base: &Base, plan: &Plan, options: &ExportOptions) {
    let api = base.names.get(Role::Api);
    let host_port = plan.api.published_ports.first().copied().unwrap_or(API_CONTAINER_PORT);
    let networks: Vec<String> = match base.get(api, "networks") {
        Some(Value::Sequence(list)) => list.iter().filter_map(Value::as_str).map(String::from).collect(),
        Some(Value::Mapping(map)) => map.keys().filter_map(Value::as_str).map(String::from).collect(),
        _ => Vec::new(),
    };
    let _ = writeln!(
        out,
        "  # Spreads requests over the {} API replicas; its config is beside this file.",
        plan.api.replicas
    );
    let _ = writeln!(out, "  {api}-lb:");
    let _ = writeln!(out, "    image: {LOAD_BALANCER_IMAGE}");
    let _ = writeln!(out, "    depends_on: [{api}]");
    let _ = writeln!(out, "    ports: [\"{host_port}:{API_CONTAINER_PORT}\"]");
    let _ = writeln!(out, "    volumes: [\"./{}:/etc/nginx/conf.d/default.conf:ro\"]", options.load_balancer_config);
    if !networks.is_empty() {
        let _ = writeln!(out, "    networks: [{}]", networks.join(", "));
    }
    out.push_str("    restart: unless-stopped\n");
}
