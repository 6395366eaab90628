//! The compose override that makes a plan real over the operator's own compose files:
//! replicas, resources, `MAX_CONCURRENT_EXECUTIONS`, the Postgres command and `shm_size`; for
//! every scaled service, its fixed host ports and `container_name` reset, with an nginx load
//! balancer that publishes exactly the ports the service published.
//!
//! The base is read the way Compose reads it ([`Project`]); everything the override changes is
//! listed before → after, so the operator sees what `docker compose up` will do.

use super::import::import;
use super::import::url_host_port;
use super::project::Project;
use super::redis_command;
use super::roles::{Role, ServiceNames};
use super::writer::{EnvSetting, EnvValue, OverrideChange, Planned, Writer};
use crate::io::error::InputError;
use crate::io::text::shell_word;
use crate::io::write::WRITTEN_BY;
use crate::io::yaml::Mapping;
use crate::model::plan::{HttpRouting, Plan};
use crate::model::redis;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// What an export writes and what it changes.
#[derive(Clone, Debug, PartialEq)]
pub struct Export {
    /// The override first, then each load balancer's config.
    pub files: Vec<(PathBuf, String)>,
    /// Every change the override makes to the deployment, in file order.
    pub changes: Vec<OverrideChange>,
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
}

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
    let runtime = names.get(Role::Runtime);
    let executor = executor_route(base, api, found(api)?, runtime, plan.runtime.replicas)?;
    let api_env: Vec<EnvSetting> = executor
        .map(|port| EnvSetting {
            key: "EXECUTOR_URL",
            value: EnvValue::Text(format!("http://{runtime}-lb:{port}")),
            before: format!("{runtime} (Docker's DNS: one runtime may take every HTTP run)"),
            after: format!("{runtime}-lb (each runtime in turn)"),
        })
        .into_iter()
        .collect();
    writer.service(
        api,
        found(api)?,
        &Planned::of(plan.api.replicas, &plan.api.limits, &plan.api.reservations),
        &api_env,
        None,
    )?;
    let (before, after) = (deployed.plan.runtime.max_concurrent_executions, plan.runtime.max_concurrent_executions);
    let slots = EnvSetting {
        key: "MAX_CONCURRENT_EXECUTIONS",
        value: EnvValue::Count(after),
        before: before.to_string(),
        after: after.to_string(),
    };
    writer.service(
        runtime,
        found(runtime)?,
        &Planned::of(plan.runtime.replicas, &plan.runtime.limits, &plan.runtime.reservations),
        &[slots],
        executor,
    )?;
    if !plan.postgres.external {
        let postgres = names.get(Role::Postgres);
        writer.postgres(postgres, found(postgres)?, plan, &deployed.plan)?;
    }
    let mut missing = Vec::new();
    let mut left_out: Vec<String> = Vec::new();
    // The queue's length is in the metrics only when redis_exporter is told to read that key.
    let exporter = plan.monitoring.then(|| redis_exporter(base)).flatten();
    let mut queue_key = Vec::new();
    if let Some((name, service)) = exporter {
        match base.environment(name, service)?.get(QUEUE_KEYS_VARIABLE) {
            None => queue_key.push(EnvSetting {
                key: QUEUE_KEYS_VARIABLE,
                value: EnvValue::Text(QUEUE_KEY.into()),
                before: "unset".into(),
                after: QUEUE_KEY.into(),
            }),
            Some(keys) if keys.split(',').any(|k| k.trim() == QUEUE_KEY) => {}
            Some(_) => left_out.push(format!(
                "{QUEUE_KEYS_VARIABLE} on {name} (it lists other keys: add {QUEUE_KEY} to them, so flowcap observe sees the queue)"
            )),
        }
        if !queue_key.is_empty() && !plan.other_services.contains_key(name) {
            let facts = super::import::service_facts(base, name, service)?;
            let planned = Planned::of(facts.replicas.max(1), &facts.limits, &facts.reservations);
            writer.service(name, service, &planned, &queue_key, None)?;
        }
    }
    for (name, service) in &plan.other_services {
        let Some(base_service) = find(name) else {
            missing.push(name);
            continue;
        };
        let env: &[EnvSetting] = if exporter.is_some_and(|(n, _)| n == name) { &queue_key } else { &[] };
        let mut planned = Planned::of(service.replicas, &service.limits, &service.reservations);
        if name == redis::SERVICE
            && let Some(redis) = &plan.redis
        {
            let at = |e: redis_command::CommandError| base.error_at(&format!("services.{name}.command"), e.to_string());
            let words = redis_command::command(base_service, redis).map_err(at)?;
            let before = match redis_command::read(base_service).map_err(at)? {
                redis_command::RedisCommand::Read(deployed) => redis_command::describe(&deployed),
                redis_command::RedisCommand::ConfigFile => "set in its config file".to_string(),
            };
            let after = redis_command::describe(redis);
            // A command that changes nothing is not written: the base's stands.
            if before != after {
                planned.command = Some((words, before, after));
            }
        }
        writer.service(name, base_service, &planned, env, None)?;
    }
    // A balancer an earlier export added is in a plan read from the deployment; it is written
    // again, not missing.
    missing.retain(|name| !writer.balancers.contains(name));
    left_out.extend(missing.iter().map(|name| {
        format!("{name} (the deployment has no such service, and an override cannot add one without an image)")
    }));
    let mut exported = plan.clone();
    if executor.is_some() {
        exported.runtime.http_routing = HttpRouting::Balanced;
    }
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

/// The variable that tells redis_exporter which keys to measure, and Flow-Like's queue key.
const QUEUE_KEYS_VARIABLE: &str = "REDIS_EXPORTER_CHECK_SINGLE_KEYS";
const QUEUE_KEY: &str = "exec:jobs";

/// The service running redis_exporter (`oliver006/redis_exporter`), active or under a profile.
fn redis_exporter(base: &Project) -> Option<(&str, &Mapping)> {
    base.services().find(|(_, service)| {
        service.get("image").map(super::project::scalar_text).is_some_and(|image| image.contains("redis_exporter"))
    })
}

/// The port of the API's `EXECUTOR_URL` when the export must route it through the runtime
/// balancer: more than one runtime, and the URL names the runtime service itself, which the API
/// resolves through glibc (the same address first every time). A URL naming anything else is
/// the operator's own routing, left as it is.
fn executor_route(
    base: &Project,
    api: &str,
    api_service: &Mapping,
    runtime: &str,
    replicas: u32,
) -> Result<Option<u16>, InputError> {
    if replicas <= 1 {
        return Ok(None);
    }
    let env = base.environment(api, api_service)?;
    Ok(env
        .get("EXECUTOR_URL")
        .and_then(|url| url_host_port(url))
        .filter(|(host, _)| host == runtime)
        .map(|(_, port)| port))
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
