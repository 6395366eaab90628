//! Writing the override, service by service: each value as the base spells it, and every
//! change it makes listed before → after.

use super::balancer::{self, Balancer};
use super::import::{ServiceFacts, service_facts};
use super::ports::PortBinding;
use super::postgres_flags::{postgres_command, postgres_flags, shm_size};
use super::project::Project;
use crate::io::error::InputError;
use crate::io::yaml::{Mapping, Value};
use crate::model::plan::Plan;
use crate::model::resources::Resources;
use crate::model::units::Bytes;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// One change the override makes to a service, as the operator reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverrideChange {
    pub service: String,
    pub what: String,
    pub before: String,
    pub after: String,
}

/// The load balancer's resources: nginx proxying needs little, and a service without limits
/// would be flagged by flowcap's own `limits-missing`.
pub(super) const BALANCER_CPUS: crate::model::units::Cpus = crate::model::units::Cpus(500);

pub(super) const BALANCER_MEMORY: Bytes = Bytes::mib(128);

/// The balancer's config beside the override: `OUT.NAME.conf`.
pub(super) fn balancer_config_path(output: &Path, balancer: &str) -> PathBuf {
    let stem = output.file_stem().and_then(|s| s.to_str()).unwrap_or("flowcap");
    output.with_file_name(format!("{stem}.{balancer}.conf"))
}

/// `path` as Compose resolves a relative path in any of the project's files: from the
/// project folder, wherever the override itself is.
pub(super) fn relative_to(path: &Path, project_dir: &Path) -> String {
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

/// A variable the override sets in a service's environment.
pub(super) struct EnvSetting {
    pub(super) key: &'static str,
    pub(super) value: EnvValue,
    /// The change as the summary shows it: never the base's value where that could be a
    /// secret from `.env`.
    pub(super) before: String,
    pub(super) after: String,
}

pub(super) enum EnvValue {
    /// Written in the base's own form (a number, or a quoted one).
    Count(u32),
    Text(String),
}

/// What the plan sets for one service.
pub(super) struct Planned<'a> {
    pub(super) replicas: u32,
    pub(super) limits: &'a Resources,
    pub(super) reservations: &'a Resources,
    /// A command replacing the base's, with the change as the summary says it (before, after).
    pub(super) command: Option<(Vec<String>, String, String)>,
}

impl<'a> Planned<'a> {
    pub(super) fn of(replicas: u32, limits: &'a Resources, reservations: &'a Resources) -> Planned<'a> {
        Planned { replicas, limits, reservations, command: None }
    }
}

/// Builds the override's `services` text and the change list.
pub(super) struct Writer<'a> {
    pub(super) base: &'a Project,
    pub(super) output: &'a Path,
    /// The API's service: its balancer speaks HTTP (per-request balancing, forwarded
    /// headers); the others forward TCP.
    pub(super) api: &'a str,
    pub(super) services: String,
    pub(super) changes: Vec<OverrideChange>,
    /// Balancer configs.
    pub(super) files: Vec<(PathBuf, String)>,
    /// The balancer services written.
    pub(super) balancers: Vec<String>,
}

impl Writer<'_> {
    pub(super) fn change(&mut self, service: &str, what: &str, before: String, after: String) {
        if before != after {
            self.changes.push(OverrideChange { service: service.into(), what: what.into(), before, after });
        }
    }

    /// A service's replicas and resources; the variables in `env`; and, when it scales, its
    /// fixed ports and name, with a balancer that also listens on `listen` for the stack's own
    /// clients.
    pub(super) fn service(
        &mut self,
        name: &str,
        service: &Mapping,
        planned: &Planned,
        env: &[EnvSetting],
        listen: Option<u16>,
    ) -> Result<(), InputError> {
        let facts = service_facts(self.base, name, service)?;
        let mut out = String::new();
        let _ = writeln!(out, "  {name}:");
        self.deploy(&mut out, name, service, &facts, planned);
        if let Some((words, before, after)) = &planned.command {
            let command = serde_json::to_string(words).map_err(|e| InputError::unwritable(name, e.to_string()))?;
            // A JSON array of strings is a YAML flow sequence.
            let _ = writeln!(out, "    command: {command}");
            self.change(name, "command", before.clone(), after.clone());
        }
        if !env.is_empty() {
            // In the base's own form: podman-compose merges neither a list with a mapping nor a
            // number with a string.
            match service.get("environment") {
                Some(Value::Sequence(_)) => {
                    let items: Vec<String> = env
                        .iter()
                        .map(|setting| match &setting.value {
                            EnvValue::Count(n) => format!("\"{}={n}\"", setting.key),
                            EnvValue::Text(text) => format!("\"{}={text}\"", setting.key),
                        })
                        .collect();
                    let _ = writeln!(out, "    environment: [{}]", items.join(", "));
                }
                other => {
                    out.push_str("    environment:\n");
                    for setting in env {
                        let base = other.and_then(|e| e.get(setting.key));
                        let value = match &setting.value {
                            EnvValue::Count(n) => like(base, n, None),
                            EnvValue::Text(text) => format!("\"{text}\""),
                        };
                        let _ = writeln!(out, "      {}: {value}", setting.key);
                    }
                }
            }
            for setting in env {
                self.change(name, setting.key, setting.before.clone(), setting.after.clone());
            }
        }
        let balancer = if planned.replicas > 1 { self.scaled(&mut out, name, service, &facts, listen)? } else { None };
        self.services.push_str(&out);
        if let Some(balancer) = balancer {
            self.services.push_str(&balancer);
        }
        Ok(())
    }

    /// Resets what keeps a service from running several replicas on one host; returns the
    /// balancer's service text when it publishes fixed ports.
    pub(super) fn scaled(
        &mut self,
        out: &mut String,
        name: &str,
        service: &Mapping,
        facts: &ServiceFacts,
        listen: Option<u16>,
    ) -> Result<Option<String>, InputError> {
        if let Some(fixed) = &facts.container_name {
            let _ = writeln!(out, "    # Compose refuses replicas with one fixed container name.");
            out.push_str("    container_name: !reset null\n");
            self.change(name, "container_name", fixed.clone(), "reset (Compose names each replica)".into());
        }
        let (fixed, kept): (Vec<&PortBinding>, Vec<&PortBinding>) =
            facts.ports.iter().partition(|p| p.fixed().is_some());
        if fixed.is_empty() && listen.is_none() {
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
        let shown: Vec<String> = fixed.iter().map(|p| p.short()).collect();
        if !fixed.is_empty() {
            let _ = writeln!(out, "    # {balancer_name} publishes these ports: a fixed host port binds only once.");
            if kept.is_empty() {
                out.push_str("    ports: !reset []\n");
            } else {
                let kept: Vec<String> = kept.iter().map(|p| format!("\"{}\"", p.short())).collect();
                let _ = writeln!(out, "    ports: !override [{}]", kept.join(", "));
            }
            self.change(name, "ports", shown.join(", "), format!("published by {balancer_name}"));
        }
        let config_path = balancer_config_path(self.output, &balancer_name);
        let bindings: Vec<PortBinding> = fixed.into_iter().cloned().collect();
        let balancer = Balancer { service: name, http: name == self.api, ports: &bindings, also_listen: listen };
        let mut text = String::new();
        let _ = writeln!(
            text,
            "  # Spreads connections over the replicas of {name}; its config is {}.",
            config_path.display()
        );
        let _ = writeln!(text, "  {balancer_name}:");
        let _ = writeln!(text, "    image: {}", balancer::IMAGE);
        // No depends_on: nginx resolves the replicas per connection, so it needs no start
        // order (and podman-compose cannot merge a depends_on on a service built by extends).
        if !bindings.is_empty() {
            let ports: Vec<String> = bindings.iter().map(|p| format!("\"{}\"", p.short())).collect();
            let _ = writeln!(text, "    ports: [{}]", ports.join(", "));
        }
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
        let does = match (shown.is_empty(), listen) {
            (true, Some(port)) => format!("nginx on port {port} for the stack"),
            _ => format!("nginx publishing {}", shown.join(", ")),
        };
        self.change(&balancer_name, "service", "none".into(), does);
        self.files.push((config_path, balancer.config()));
        self.balancers.push(balancer_name);
        Ok(Some(text))
    }

    /// `deploy.replicas` and `deploy.resources` for one service. Limits and reservations replace
    /// the base's (`!override`), or remove them (`!reset`) where the plan has none, so the merge
    /// yields the plan and not the base's leftovers; the older `cpus` / `mem_limit` /
    /// `mem_reservation` keys are reset too, since Compose refuses them when they disagree with
    /// `deploy.resources`.
    pub(super) fn deploy(
        &mut self,
        out: &mut String,
        name: &str,
        service: &Mapping,
        facts: &ServiceFacts,
        planned: &Planned,
    ) {
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
    pub(super) fn postgres(
        &mut self,
        name: &str,
        service: &Mapping,
        plan: &Plan,
        deployed: &Plan,
    ) -> Result<(), InputError> {
        let facts = service_facts(self.base, name, service)?;
        // PGTune's settings differ by version (io_method is PostgreSQL 18's): written for another
        // version than the image runs, the server may refuse them.
        let image = service.get("image").and_then(crate::io::yaml::Value::as_str);
        if let Some(running) = image.and_then(super::import::image_major_version).filter(|_| plan.postgres.pgtune)
            && running != plan.postgres.version
        {
            return Err(self.base.error_at(
                &format!("services.{name}.image"),
                format!(
                    "runs PostgreSQL {running}, and the plan's PGTune settings are for postgres.version {}: set \
                     postgres.version: {running} (or change the image)",
                    plan.postgres.version
                ),
            ));
        }
        // io_method is PostgreSQL 18's: an older server refuses it at start.
        let io_method = plan.postgres.pgtune && plan.postgres.version >= 18;
        if io_method && image.and_then(super::import::image_major_version).is_none() {
            return Err(self.base.error_at(
                &format!("services.{name}.image"),
                format!(
                    "its tag names no PostgreSQL major version, and the plan's PGTune settings for postgres.version {} \
                     set io_method, which PostgreSQL 17 and older refuse at start: pin the image's major version \
                     (postgres:{0})",
                    plan.postgres.version
                ),
            ));
        }
        // flowcap never adds security_opt: io_uring is written only where the service runs
        // without a seccomp profile already.
        if io_method && plan.postgres.io_uring && !deployed.postgres.io_uring {
            return Err(self.base.error_at(
                &format!("services.{name}"),
                "runs under a seccomp profile (Docker's default, or a file of its own), which blocks io_uring, and the plan's \
                 postgres.io_uring has PGTune write io_method = io_uring (PostgreSQL 18 would not start): set \
                 postgres.io_uring: false, or run the service with security_opt: [seccomp=unconfined]"
                    .into(),
            ));
        }
        let mut out = String::new();
        let _ = writeln!(out, "  {name}:");
        let flags = postgres_flags(plan);
        let command = postgres_command(service, &flags)
            .map_err(|e| self.base.error_at(&format!("services.{name}.command"), e.to_string()))?;
        let command = serde_json::to_string(&command).map_err(|e| InputError::unwritable(name, e.to_string()))?;
        // A JSON array of strings is a YAML flow sequence.
        let _ = writeln!(out, "    command: {command}");
        // A base without a command runs the image's defaults: the override's command is still a
        // change to the file, and is said as one.
        let before = match service.get("command") {
            None => "none (the image's defaults)".to_string(),
            Some(_) => format!("-c {}", postgres_flags(deployed).join(" -c ")),
        };
        self.change(name, "command", before, format!("-c {}", flags.join(" -c ")));
        let wanted = shm_size(plan);
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
pub(super) fn like(base: Option<&Value>, number: impl std::fmt::Display, text: Option<String>) -> String {
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
pub(super) fn like_number(base: Option<&Value>, value: f64, text: &str) -> Option<String> {
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
pub(super) fn yaml_list(items: &[&str]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

/// `4 CPUs, 8G`, `none`.
pub(super) fn describe(resources: &Resources) -> String {
    let mut parts = Vec::new();
    if let Some(cpus) = resources.cpus {
        parts.push(format!("{cpus} {}", if cpus.0 == 1000 { "CPU" } else { "CPUs" }));
    }
    if let Some(memory) = resources.memory {
        parts.push(memory.compose());
    }
    if parts.is_empty() { "none".into() } else { parts.join(", ") }
}
