//! The compose override that makes a plan real over the operator's own compose files:
//! replicas, resources, `MAX_CONCURRENT_EXECUTIONS`, the Postgres command and `shm_size`; for
//! every scaled service, its fixed host ports and `container_name` reset, with an nginx load
//! balancer that publishes exactly the ports the service published.
//!
//! The base is read the way Compose reads it ([`Project`]); everything the override changes is
//! listed before → after, so the operator sees what `docker compose up` will do.

use super::balancer::{self, Balancer};
use super::import::{PortBinding, Role, ServiceFacts, ServiceNames, import, service_facts};
use super::postgres_command;
use super::project::{Project, RAW_COMMAND};
use crate::io::error::InputError;
use crate::io::text::shell_word;
use crate::io::write::WRITTEN_BY;
use crate::model::plan::{Plan, Resources};
use crate::model::units::Bytes;
use serde_yaml::{Mapping, Value};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// What an export writes and what it changes.
#[derive(Clone, Debug, PartialEq)]
pub struct Export {
    /// The override first, then each load balancer's config.
    pub files: Vec<(PathBuf, String)>,
    /// Every change the override makes to the deployment, in file order.
    pub changes: Vec<Change>,
    /// What the plan asks and the override cannot do, each with the reason: services the
    /// deployment does not have (an override cannot create a runnable service without an
    /// image), monitoring without an exporter to switch.
    pub left_out: Vec<String>,
    /// The command that starts the deployment with the override.
    pub apply: String,
    /// The plan as the override makes it real: without what was left out. `--save-plan`
    /// writes it, so the deployment can be held to it.
    pub plan: Plan,
    /// Balancer configs an earlier export wrote beside this override that it no longer uses:
    /// to be retired once the new files are written.
    pub retired: Vec<PathBuf>,
}

/// One change the override makes to a service, as the operator reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub service: String,
    pub what: String,
    pub before: String,
    pub after: String,
}

impl Export {
    /// The changes as `service  what: before → after` lines, then what was left out.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        if self.changes.is_empty() {
            out.push_str("no changes: the deployment already runs the plan\n");
        }
        for change in &self.changes {
            let _ = writeln!(out, "{} {}: {} → {}", change.service, change.what, change.before, change.after);
        }
        for item in &self.left_out {
            let _ = writeln!(out, "not written: {item}");
        }
        for path in &self.retired {
            let _ = writeln!(out, "retired: {} (no balancer uses it now; kept as .bak)", path.display());
        }
        out
    }
}

#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// Where the plan came from, for the header.
    pub plan_source: String,
    /// Add PGTune's web-profile settings to the Postgres command.
    pub pgtune: bool,
}

/// The load balancer's resources: nginx proxying needs little, and a service without limits
/// would be flagged by flowcap's own `limits-missing`.
const BALANCER_CPUS: crate::model::units::Cpus = crate::model::units::Cpus(500);
const BALANCER_MEMORY: Bytes = Bytes::mib(128);

/// The override at `output` over `base` (the deployment's compose files without `output`),
/// and the balancer configs beside it.
pub fn export(
    plan: &Plan,
    base: &Project,
    names: &ServiceNames,
    output: &Path,
    options: &ExportOptions,
) -> Result<Export, InputError> {
    let deployed = import(base, names)?;
    let active: Vec<(&str, &Mapping)> = base.active_services();
    let find = |name: &str| active.iter().find(|(n, _)| *n == name).map(|(_, s)| *s);
    let mut writer = Writer {
        base,
        output,
        api: names.get(Role::Api),
        services: String::new(),
        changes: Vec::new(),
        files: Vec::new(),
        balancers: Vec::new(),
    };

    let mut wanted =
        vec![(names.get(Role::Api).to_string(), Role::Api), (names.get(Role::Runtime).to_string(), Role::Runtime)];
    if !plan.postgres.external {
        wanted.push((names.get(Role::Postgres).to_string(), Role::Postgres));
    }
    for (name, role) in &wanted {
        if find(name).is_none() {
            let message = match base.profile_hint(name) {
                Some(hint) => hint,
                None if *role == Role::Postgres && deployed.plan.postgres.external => {
                    "the deployment's DATABASE_URL points at a database outside the stack (set postgres.external: true in the plan)".to_string()
                }
                None => "the deployment has no such service".to_string(),
            };
            return Err(InputError::conflict(
                &base.files[0].name,
                format!(
                    "the plan needs the {} service `{name}`, but {message}; or name yours with --service {}=NAME",
                    role.key(),
                    role.key()
                ),
            ));
        }
    }

    // Found above; the closure keeps that a fact of the code, not a panic.
    let found = |name: &str| {
        find(name).ok_or_else(|| InputError::conflict(&base.files[0].name, format!("no service `{name}`")))
    };
    let api = names.get(Role::Api);
    writer.service(
        api,
        found(api)?,
        &Planned::of(plan.api.replicas, &plan.api.limits, &plan.api.reservations),
        None,
    )?;
    let runtime = names.get(Role::Runtime);
    let slots = (deployed.plan.runtime.max_concurrent_executions, plan.runtime.max_concurrent_executions);
    writer.service(
        runtime,
        found(runtime)?,
        &Planned::of(plan.runtime.replicas, &plan.runtime.limits, &plan.runtime.reservations),
        Some(slots),
    )?;
    if !plan.postgres.external {
        let postgres = names.get(Role::Postgres);
        writer.postgres(postgres, found(postgres)?, plan, &deployed.plan, options.pgtune)?;
    }
    let mut missing = Vec::new();
    for (name, service) in &plan.other_services {
        match find(name) {
            Some(base_service) => writer.service(
                name,
                base_service,
                &Planned::of(service.replicas, &service.limits, &service.reservations),
                None,
            )?,
            None => missing.push(name),
        }
    }
    // A balancer an earlier export added is in a plan read from the deployment; it is written
    // again, not missing.
    missing.retain(|name| !writer.balancers.contains(name));
    let mut left_out: Vec<String> = missing
        .iter()
        .map(|name| {
            format!("{name} (the deployment has no such service, and an override cannot add one without an image)")
        })
        .collect();
    let mut exported = plan.clone();
    exported.other_services.retain(|name, _| !missing.contains(&name));
    if let Some(why) = monitoring_left_out(base, plan, names) {
        left_out.push(why);
        exported.monitoring = !plan.monitoring;
    }
    let exporter = names.get(Role::Exporter);
    let running = find(exporter).is_some();
    if running != exported.monitoring {
        let profiles = base.profiles_of(exporter);
        // Every service of the exporter's profiles starts or stops with it.
        let mut together: Vec<&str> = base
            .service_names()
            .into_iter()
            .filter(|s| *s != exporter && base.profiles_of(s).iter().any(|p| profiles.contains(p)))
            .filter(|s| (find(s).is_some()) == running)
            .collect();
        together.sort_unstable();
        let with = if together.is_empty() { String::new() } else { format!(", with {}", together.join(", ")) };
        let (before, after) = if running { ("on", "off") } else { ("off", "on") };
        let profile = profiles.first().map(String::as_str).unwrap_or_default();
        writer.change(
            "monitoring",
            &format!("profile {profile}"),
            before.into(),
            format!("{after} ({exporter}{with})"),
        );
    }
    let mut header = String::new();
    let apply = apply_command(base, output, plan, names);
    let _ = writeln!(
        header,
        "{WRITTEN_BY} {} from {}: the override that makes the plan real.",
        env!("CARGO_PKG_VERSION"),
        options.plan_source
    );
    let _ = writeln!(header, "# Apply: {apply}");
    header.push_str("# Needs Docker Compose 2.24 or later (the !reset and !override tags).\n");
    header.push_str("# flowcap replaces this file on the next export: change the plan, not this file.\n");
    if plan.api.replicas > 1 {
        header.push_str(
            "# All API replicas must share one JWT key pair: set BACKEND_KEY, BACKEND_PUB and BACKEND_KID in .env.\n",
        );
    }
    let mut files = vec![(output.to_path_buf(), format!("{header}services:\n{}", writer.services))];
    files.append(&mut writer.files);
    let retired = stale_balancer_configs(output, &files);
    Ok(Export { files, changes: writer.changes, left_out, apply, plan: exported, retired })
}

/// What the plan sets for one service.
struct Planned<'a> {
    replicas: u32,
    limits: &'a Resources,
    reservations: &'a Resources,
}

impl<'a> Planned<'a> {
    fn of(replicas: u32, limits: &'a Resources, reservations: &'a Resources) -> Planned<'a> {
        Planned { replicas, limits, reservations }
    }
}

/// Builds the override's `services` text and the change list.
struct Writer<'a> {
    base: &'a Project,
    output: &'a Path,
    /// The API's service: its balancer speaks HTTP (per-request balancing, forwarded
    /// headers); the others forward TCP.
    api: &'a str,
    services: String,
    changes: Vec<Change>,
    /// Balancer configs.
    files: Vec<(PathBuf, String)>,
    /// The balancer services written.
    balancers: Vec<String>,
}

impl Writer<'_> {
    fn change(&mut self, service: &str, what: &str, before: String, after: String) {
        if before != after {
            self.changes.push(Change { service: service.into(), what: what.into(), before, after });
        }
    }

    /// A service's replicas and resources; its `MAX_CONCURRENT_EXECUTIONS` when `slots` is
    /// given (before, after); and, when it scales, its fixed ports and name.
    fn service(
        &mut self,
        name: &str,
        service: &Mapping,
        planned: &Planned,
        slots: Option<(u32, u32)>,
    ) -> Result<(), InputError> {
        let facts = service_facts(self.base, name, service)?;
        let mut out = String::new();
        let _ = writeln!(out, "  {name}:");
        self.deploy(&mut out, name, service, &facts, planned);
        if let Some((before, after)) = slots {
            // In the base's own form: podman-compose merges neither a list with a mapping nor a
            // number with a string.
            match service.get("environment") {
                Some(Value::Sequence(_)) => {
                    let _ = writeln!(out, "    environment: [\"MAX_CONCURRENT_EXECUTIONS={after}\"]");
                }
                other => {
                    let base = other.and_then(|e| e.get("MAX_CONCURRENT_EXECUTIONS"));
                    let _ =
                        writeln!(out, "    environment:\n      MAX_CONCURRENT_EXECUTIONS: {}", like(base, after, None));
                }
            }
            self.change(name, "MAX_CONCURRENT_EXECUTIONS", before.to_string(), after.to_string());
        }
        let balancer = if planned.replicas > 1 { self.scaled(&mut out, name, service, &facts)? } else { None };
        self.services.push_str(&out);
        if let Some(balancer) = balancer {
            self.services.push_str(&balancer);
        }
        Ok(())
    }

    /// Resets what keeps a service from running several replicas on one host; returns the
    /// balancer's service text when it publishes fixed ports.
    fn scaled(
        &mut self,
        out: &mut String,
        name: &str,
        service: &Mapping,
        facts: &ServiceFacts,
    ) -> Result<Option<String>, InputError> {
        if let Some(fixed) = &facts.container_name {
            let _ = writeln!(out, "    # Compose refuses replicas with one fixed container name.");
            out.push_str("    container_name: !reset null\n");
            self.change(name, "container_name", fixed.clone(), "reset (Compose names each replica)".into());
        }
        let (fixed, kept): (Vec<&PortBinding>, Vec<&PortBinding>) =
            facts.ports.iter().partition(|p| p.fixed().is_some());
        if fixed.is_empty() {
            return Ok(None);
        }
        if let Some(udp) = fixed.iter().find(|p| p.protocol != "tcp") {
            return Err(self.base.error_at(
                &format!("services.{name}.ports"),
                format!(
                    "{name} scales and publishes {}: flowcap's load balancer forwards TCP only; publish a port range or keep one replica",
                    udp.short()
                ),
            ));
        }
        let balancer_name = format!("{name}-lb");
        if self.base.services.contains_key(balancer_name.as_str()) {
            return Err(self.base.error_at(
                &format!("services.{balancer_name}"),
                format!(
                    "flowcap's load balancer for {name} would be named {balancer_name}, and the deployment has one"
                ),
            ));
        }
        let _ = writeln!(out, "    # {balancer_name} publishes these ports: a fixed host port binds only once.");
        if kept.is_empty() {
            out.push_str("    ports: !reset []\n");
        } else {
            let kept: Vec<String> = kept.iter().map(|p| format!("\"{}\"", p.short())).collect();
            let _ = writeln!(out, "    ports: !override [{}]", kept.join(", "));
        }
        let shown: Vec<String> = fixed.iter().map(|p| p.short()).collect();
        self.change(name, "ports", shown.join(", "), format!("published by {balancer_name}"));
        let config_path = balancer_config_path(self.output, &balancer_name);
        let bindings: Vec<PortBinding> = fixed.into_iter().cloned().collect();
        let balancer = Balancer { service: name, http: name == self.api, ports: &bindings };
        let mut text = String::new();
        let _ = writeln!(
            text,
            "  # Spreads connections over the replicas of {name}; its config is {}.",
            config_path.display()
        );
        let _ = writeln!(text, "  {balancer_name}:");
        let _ = writeln!(text, "    image: {}", balancer::IMAGE);
        let _ = writeln!(text, "    depends_on: [{name}]");
        let ports: Vec<String> = bindings.iter().map(|p| format!("\"{}\"", p.short())).collect();
        let _ = writeln!(text, "    ports: [{}]", ports.join(", "));
        let mount = relative_to(&config_path, &self.base.dir());
        let _ = writeln!(text, "    volumes: [\"{}:/etc/nginx/nginx.conf:ro\"]", mount);
        match service.get("networks") {
            Some(Value::Sequence(list)) => {
                let list: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
                let _ = writeln!(text, "    networks: {}", yaml_list(&list));
            }
            Some(Value::Mapping(map)) => {
                let list: Vec<&str> = map.keys().filter_map(Value::as_str).collect();
                let _ = writeln!(text, "    networks: {}", yaml_list(&list));
            }
            _ => {}
        }
        if let Some(Value::Sequence(profiles)) = service.get("profiles") {
            let list: Vec<&str> = profiles.iter().filter_map(Value::as_str).collect();
            let _ = writeln!(text, "    profiles: {}", yaml_list(&list));
        }
        text.push_str("    restart: unless-stopped\n");
        let _ = writeln!(
            text,
            "    deploy:\n      resources:\n        limits:\n          cpus: \"{}\"\n          memory: {}",
            BALANCER_CPUS,
            BALANCER_MEMORY.compose()
        );
        self.change(&balancer_name, "service", "none".into(), format!("nginx publishing {}", shown.join(", ")));
        self.files.push((config_path, balancer.config()));
        self.balancers.push(balancer_name);
        Ok(Some(text))
    }

    /// `deploy.replicas` and `deploy.resources` for one service. Limits and reservations replace
    /// the base's (`!override`), or remove them (`!reset`) where the plan has none, so the merge
    /// yields the plan and not the base's leftovers; the older `cpus` / `mem_limit` /
    /// `mem_reservation` keys are reset too, since Compose refuses them when they disagree with
    /// `deploy.resources`.
    fn deploy(&mut self, out: &mut String, name: &str, service: &Mapping, facts: &ServiceFacts, planned: &Planned) {
        // Compose refuses `scale` and `deploy.replicas` that disagree: follow a base that uses scale.
        if service.get("scale").is_some() {
            let _ = writeln!(
                out,
                "    scale: {}",
                like(service.get("scale"), planned.replicas, Some(planned.replicas.to_string()))
            );
        }
        for legacy in ["cpus", "mem_limit", "mem_reservation"] {
            if service.get(legacy).is_some() {
                let _ = writeln!(out, "    {legacy}: !reset null");
            }
        }
        let base_replicas = service.get("deploy").and_then(|d| d.get("replicas"));
        let replicas = like(base_replicas, planned.replicas, Some(planned.replicas.to_string()));
        let _ = writeln!(out, "    deploy:\n      replicas: {replicas}");
        self.change(name, "replicas", facts.replicas.to_string(), planned.replicas.to_string());
        let base_resources = |kind: &str| {
            service.get("deploy").and_then(|d| d.get("resources")).and_then(|r| r.get(kind)).and_then(Value::as_mapping)
        };
        let mut section = String::new();
        for (kind, resources, before) in
            [("limits", planned.limits, &facts.limits), ("reservations", planned.reservations, &facts.reservations)]
        {
            self.change(name, kind, describe(before), describe(resources));
            let in_base = base_resources(kind);
            if resources.cpus.is_none() && resources.memory.is_none() {
                if in_base.is_some() {
                    let _ = writeln!(section, "        {kind}: !reset {{}}");
                }
                continue;
            }
            let base_value = |key: &str| in_base.and_then(|m| m.get(key));
            let cpus = resources.cpus.map(|cpus| like_number(base_value("cpus"), cpus.as_f64(), &cpus.to_string()));
            // A fraction cannot merge with the base's whole number in podman-compose: replace
            // the section whole there (Compose accepts either).
            let whole_over_fraction = matches!(cpus, Some(None));
            let tag = if whole_over_fraction { " !override" } else { "" };
            let _ = writeln!(section, "        {kind}:{tag}");
            match (cpus, resources.cpus) {
                (Some(Some(text)), _) => {
                    let _ = writeln!(section, "          cpus: {text}");
                }
                (Some(None), Some(cpus)) => {
                    let _ = writeln!(section, "          cpus: \"{cpus}\"");
                }
                (None, _) if base_value("cpus").is_some() => section.push_str("          cpus: !reset null\n"),
                _ => {}
            }
            match resources.memory {
                Some(memory) => {
                    let text = like(base_value("memory"), memory.0, Some(memory.compose()));
                    let _ = writeln!(section, "          memory: {text}");
                }
                None if base_value("memory").is_some() && !whole_over_fraction => {
                    section.push_str("          memory: !reset null\n")
                }
                None => {}
            }
        }
        if !section.is_empty() {
            out.push_str("      resources:\n");
            out.push_str(&section);
        }
    }

    /// Postgres: its command with the plan's settings, `shm_size` (never lowered), resources.
    fn postgres(
        &mut self,
        name: &str,
        service: &Mapping,
        plan: &Plan,
        deployed: &Plan,
        pgtune: bool,
    ) -> Result<(), InputError> {
        let facts = service_facts(self.base, name, service)?;
        let mut out = String::new();
        let _ = writeln!(out, "  {name}:");
        let flags = postgres_flags(plan, pgtune);
        let command = postgres_command(service, &flags)
            .map_err(|e| self.base.error_at(&format!("services.{name}.command"), e.to_string()))?;
        let command = serde_json::to_string(&command).map_err(|e| InputError::unwritable(name, e.to_string()))?;
        // A JSON array of strings is a YAML flow sequence.
        let _ = writeln!(out, "    command: {command}");
        // A base without a command runs the image's defaults: the override's command is still a
        // change to the file, and is said as one.
        let before = match service.get("command") {
            None => "none (the image's defaults)".to_string(),
            Some(_) => format!("-c {}", postgres_flags(deployed, false).join(" -c ")),
        };
        self.change(name, "command", before, format!("-c {}", flags.join(" -c ")));
        let wanted = shm_size(plan, pgtune);
        if facts.shm_size.is_none_or(|current| current < wanted) {
            let text = wanted.compose().to_lowercase();
            let _ = writeln!(out, "    shm_size: {}", like(service.get("shm_size"), wanted.0, Some(text)));
            let before = facts.shm_size.map_or_else(|| "64m (Docker's default)".into(), |s| s.compose().to_lowercase());
            self.change(name, "shm_size", before, wanted.compose().to_lowercase());
        }
        let planned = Planned::of(1, &plan.postgres.limits, &plan.postgres.reservations);
        self.deploy(&mut out, name, service, &facts, &planned);
        self.services.push_str(&out);
        Ok(())
    }
}

/// A value in the YAML type the base uses for it: a number where the base has a number,
/// else `text` (or `number` quoted, without one). podman-compose refuses to merge a number
/// with a string; Compose accepts both.
fn like(base: Option<&Value>, number: impl std::fmt::Display, text: Option<String>) -> String {
    match (base, text) {
        (Some(Value::Number(_)), _) => number.to_string(),
        (Some(Value::String(_)), _) => format!("\"{number}\""),
        (_, Some(text)) => text,
        (_, None) => format!("\"{number}\""),
    }
}

/// A decimal in the YAML type the base uses for it: a float where the base has a float (`2.0`),
/// a whole number where it has one, a string otherwise; `None` when the base has a whole
/// number and `value` is a fraction.
fn like_number(base: Option<&Value>, value: f64, text: &str) -> Option<String> {
    match base {
        Some(Value::Number(n)) if n.is_f64() => {
            Some(if text.contains('.') { text.to_string() } else { format!("{text}.0") })
        }
        Some(Value::Number(_)) if value.fract() == 0.0 => Some(text.to_string()),
        Some(Value::Number(_)) => None,
        _ => Some(format!("\"{text}\"")),
    }
}

/// A flow list of quoted strings: a JSON array is YAML, and quoting keeps any name a name.
fn yaml_list(items: &[&str]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

/// `4 CPUs, 8G`, `none`.
fn describe(resources: &Resources) -> String {
    let mut parts = Vec::new();
    if let Some(cpus) = resources.cpus {
        parts.push(format!("{cpus} {}", if cpus.0 == 1000 { "CPU" } else { "CPUs" }));
    }
    if let Some(memory) = resources.memory {
        parts.push(memory.compose());
    }
    if parts.is_empty() { "none".into() } else { parts.join(", ") }
}

/// Configs named like this override's balancers (`OUT.*-lb.conf`), written by flowcap, that
/// `files` does not write again.
fn stale_balancer_configs(output: &Path, files: &[(PathBuf, String)]) -> Vec<PathBuf> {
    let stem = output.file_stem().and_then(|s| s.to_str()).unwrap_or("flowcap");
    let folder = output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let Ok(entries) = std::fs::read_dir(folder) else { return Vec::new() };
    let mut stale: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| output.with_file_name(entry.file_name()))
        .filter(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.starts_with(&format!("{stem}.")) && name.ends_with("-lb.conf")
        })
        .filter(|path| !files.iter().any(|(written, _)| written == path))
        .filter(|path| crate::io::write::written_by_flowcap(path))
        .collect();
    stale.sort();
    stale
}

/// The balancer's config beside the override: `OUT.NAME.conf`.
fn balancer_config_path(output: &Path, balancer: &str) -> PathBuf {
    let stem = output.file_stem().and_then(|s| s.to_str()).unwrap_or("flowcap");
    output.with_file_name(format!("{stem}.{balancer}.conf"))
}

/// `path` as Compose resolves a relative path in any of the project's files: from the
/// project folder, wherever the override itself is.
fn relative_to(path: &Path, project_dir: &Path) -> String {
    let absolute = |p: &Path| {
        let p = if p.as_os_str().is_empty() { Path::new(".") } else { p };
        std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
    };
    let folder = absolute(path.parent().unwrap_or(Path::new(".")));
    let folder = std::fs::canonicalize(&folder).unwrap_or(folder);
    let project = std::fs::canonicalize(absolute(project_dir)).unwrap_or_else(|_| absolute(project_dir));
    let file = path.file_name().unwrap_or_default();
    match pathdiff::diff_paths(folder.join(file), &project) {
        Some(relative) if !relative.starts_with("..") => format!("./{}", relative.display()),
        Some(relative) => relative.display().to_string(),
        None => folder.join(file).display().to_string(),
    }
}

/// `docker compose -f … -f OVERRIDE [--env-file …] [--profile …] up -d`, with the profiles
/// the operator switched on and the plan's choice of monitoring: the exporter's profile is
/// added or dropped. Any `--profile` makes Compose ignore `COMPOSE_PROFILES`; with none left,
/// the command clears it when it is set.
fn apply_command(base: &Project, output: &Path, plan: &Plan, names: &ServiceNames) -> String {
    let mut words = vec!["docker".to_string(), "compose".to_string()];
    for file in base.options.files.iter().chain([&output.to_path_buf()]) {
        words.extend(["-f".to_string(), file.display().to_string()]);
    }
    if let Some(env_file) = &base.options.env_file {
        words.extend(["--env-file".to_string(), env_file.display().to_string()]);
    }
    let exporter = base.profiles_of(names.get(Role::Exporter));
    let mut profiles: Vec<String> =
        base.profiles.iter().filter(|p| plan.monitoring || !exporter.contains(p)).cloned().collect();
    if plan.monitoring && base.hidden_by(names.get(Role::Exporter)).is_some() {
        profiles.extend(exporter.first().cloned());
    }
    let mut seen = Vec::new();
    profiles.retain(|p| {
        if seen.contains(p) {
            false
        } else {
            seen.push(p.clone());
            true
        }
    });
    for profile in &profiles {
        words.extend(["--profile".to_string(), profile.clone()]);
    }
    words.extend(["up".to_string(), "-d".to_string()]);
    let command: Vec<String> = words.iter().map(|w| shell_word(w)).collect();
    let clear = profiles.is_empty() && base.env.get("COMPOSE_PROFILES").is_some_and(|p| !p.trim().is_empty());
    format!("{}{}", if clear { "COMPOSE_PROFILES= " } else { "" }, command.join(" "))
}

/// What the plan asks of monitoring that the override cannot do: the exporter is a service
/// the stack must have, and one without a profile cannot be switched off.
fn monitoring_left_out(base: &Project, plan: &Plan, names: &ServiceNames) -> Option<String> {
    let exporter = names.get(Role::Exporter);
    let exists = base.services.contains_key(exporter);
    match (plan.monitoring, exists) {
        (true, false) => Some(format!("monitoring (the deployment has no {exporter} service)")),
        (false, true) if base.profiles_of(exporter).is_empty() => {
            Some(format!("monitoring off ({exporter} runs without a profile)"))
        }
        _ => None,
    }
}

/// The Postgres command: the base's own words as written (a `${PASSWORD}` stays a reference),
/// without the settings `flags` make, then `flags` as `-c name=value`.
fn postgres_command(service: &Mapping, flags: &[String]) -> Result<Vec<String>, postgres_command::CommandError> {
    let raw = service.get("command").and(service.get(RAW_COMMAND));
    let words = postgres_command::words(raw)?.unwrap_or_default();
    // The plan decides these even where it leaves them at PostgreSQL's default (and writes none).
    let planned = ["max_connections", "shared_buffers", "superuser_reserved_connections", "reserved_connections"];
    let managed: Vec<&str> = flags.iter().filter_map(|f| f.split_once('=')).map(|(k, _)| k).chain(planned).collect();
    let mut command = vec!["postgres".to_string()];
    for argument in postgres_command::arguments(&words)? {
        if argument.setting.as_ref().is_some_and(|(key, _)| managed.contains(&key.as_str())) {
            continue;
        }
        command.extend(argument.words);
    }
    for flag in flags {
        command.extend(["-c".to_string(), flag.clone()]);
    }
    Ok(command)
}

/// `name=value` settings for the Postgres command: the plan's, then PGTune's when asked.
fn postgres_flags(plan: &Plan, pgtune: bool) -> Vec<String> {
    let pg = &plan.postgres;
    let mut flags = vec![
        format!("max_connections={}", pg.max_connections),
        format!("shared_buffers={}", crate::analysis::pgtune::postgres_size(pg.shared_buffers.0 / 1024)),
    ];
    // Only when they differ from PostgreSQL's defaults: reserved_connections is unknown before 16.
    if pg.superuser_reserved_connections != 3 {
        flags.push(format!("superuser_reserved_connections={}", pg.superuser_reserved_connections));
    }
    if pg.reserved_connections != 0 {
        flags.push(format!("reserved_connections={}", pg.reserved_connections));
    }
    if pgtune && let Some(tune) = crate::analysis::figures::analyze(plan).postgres.pgtune {
        let planned = ["max_connections", "shared_buffers"];
        flags.extend(
            tune.settings.iter().filter(|s| !planned.contains(&s.name)).map(|s| format!("{}={}", s.name, s.value)),
        );
    }
    flags
}

/// `/dev/shm` for the parallel hash joins the exported settings allow at once (PGTune's with
/// `--pgtune`, else PostgreSQL's defaults): see [`crate::analysis::pgtune::parallel_hash_shm`].
/// At least the 128 MiB the postgres image documents, rounded up to a MiB; no upper cap, since
/// a full /dev/shm fails the query ("could not resize shared memory segment").
fn shm_size(plan: &Plan, pgtune: bool) -> Bytes {
    let mib = 1024 * 1024;
    let tuned = pgtune.then(|| crate::analysis::figures::analyze(plan).postgres.pgtune).flatten();
    let needed = tuned.map_or_else(crate::analysis::pgtune::default_shm_bytes, |tune| tune.shm_bytes);
    Bytes(needed.div_ceil(mib).max(128) * mib)
}
