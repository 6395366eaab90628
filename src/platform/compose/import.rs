//! From a Compose project to a plan: replicas, resources, `MAX_CONCURRENT_EXECUTIONS`, the
//! Postgres `command` flags, in-stack or external Postgres, the monitoring profile, JWT keys and
//! published host ports. Keys flowcap does not read are ignored. Secret values are never
//! copied: only whether a key is set, and the host name of `DATABASE_URL`.

use super::ports::{PortBinding, short_syntax};
use super::postgres_command;
use super::project::{Project, scalar_text};
use super::redis_command::{self, RedisCommand};
use super::roles::{Role, ServiceNames};
use crate::io::error::InputError;
use crate::io::yaml::{Mapping, Value};
use crate::model::load::{LoadedPlan, Locator};
use crate::model::managed::{Managed, Provider};
use crate::model::plan::{HttpRouting, OtherService, Plan};
use crate::model::redis;
use crate::model::resources::Resources;
use crate::model::units::{Bytes, Cpus};
use std::collections::{BTreeMap, HashMap};

/// What Compose runs for one service, beyond the plan's figures: what an export must keep,
/// reset or work around.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceFacts {
    pub replicas: u32,
    pub limits: Resources,
    pub reservations: Resources,
    pub ports: Vec<PortBinding>,
    /// Container ports offered to the other services only.
    pub expose: Vec<String>,
    pub shm_size: Option<Bytes>,
    pub container_name: Option<String>,
}

impl ServiceFacts {
    /// Fixed host ports, each once.
    pub fn fixed_ports(&self) -> Vec<u16> {
        let mut ports: Vec<u16> = Vec::new();
        for port in self.ports.iter().filter_map(PortBinding::fixed) {
            if !ports.contains(&port) {
                ports.push(port);
            }
        }
        ports
    }
}

/// The facts of service `name` of `project`.
pub fn service_facts(project: &Project, name: &str, service: &Mapping) -> Result<ServiceFacts, InputError> {
    let reader = Reader { project };
    let shm_size = match service.get("shm_size") {
        Some(value) => {
            let at = format!("services.{name}.shm_size");
            Some(Bytes::parse(&scalar_text(value)).map_err(|_| reader.error(&at, EXPECTED_BYTES.into()))?)
        }
        None => None,
    };
    if let Some(mode) = service.get("deploy").and_then(|d| d.get("mode")).and_then(Value::as_str)
        && mode != "replicated"
    {
        return Err(reader.error(
            &format!("services.{name}.deploy.mode"),
            format!("flowcap plans replicated services; `{mode}` runs one per node"),
        ));
    }
    Ok(ServiceFacts {
        replicas: reader.replicas(name, service)?,
        limits: reader.resources(name, service, "limits")?,
        reservations: reader.resources(name, service, "reservations")?,
        ports: reader.ports(name, service)?,
        expose: service
            .get("expose")
            .and_then(Value::as_sequence)
            .map(|items| items.iter().map(scalar_text).collect())
            .unwrap_or_default(),
        shm_size,
        container_name: service.get("container_name").and_then(Value::as_str).map(String::from),
    })
}

/// Reads the active services of `project` into a plan.
pub fn import(project: &Project, names: &ServiceNames) -> Result<LoadedPlan, InputError> {
    let active = project.active_services();
    let by_name: HashMap<&str, &Mapping> = active.iter().copied().collect();
    for role in Role::ALL.into_iter().filter(|r| names.named(*r)) {
        let name = names.get(role);
        if by_name.contains_key(name) {
            continue;
        }
        let message = match project.profile_hint(name) {
            Some(hint) => format!("--service {}={name}: `{name}` {hint}", role.key()),
            None => format!(
                "--service {}={name}: no service `{name}` (found: {})",
                role.key(),
                project.service_names().join(", ")
            ),
        };
        return Err(InputError::conflict(&project.files[0].name, message));
    }
    let find = |role: Role| by_name.get(names.get(role)).copied();
    let Some(runtime) = find(Role::Runtime) else {
        if let Some(hint) = project.profile_hint(names.get(Role::Runtime)) {
            let message = format!("the runtime service `{}` {hint}", names.get(Role::Runtime));
            return Err(InputError::conflict(&project.files[0].name, message));
        }
        let found: Vec<&str> = active.iter().map(|(name, _)| *name).collect();
        return Err(InputError::conflict(
            &project.files[0].name,
            format!(
                "no runtime service `{}` among the active services (found: {}); name yours with --service runtime=NAME",
                names.get(Role::Runtime),
                if found.is_empty() { "none".to_string() } else { found.join(", ") }
            ),
        ));
    };
    let reader = Reader { project };
    let mut plan = Plan { name: Some("Deployment".into()), ..Plan::default() };
    let mut places = BTreeMap::new();
    let mut place = |plan_path: &str, compose_path: String| {
        if let Some((file, position)) = project.locate(&compose_path) {
            places.insert(plan_path.to_string(), (file.to_string(), position));
        }
    };
    for role in [Role::Api, Role::Runtime, Role::Postgres] {
        if names.get(role) != role.key() {
            plan.service_names.insert(role.key().to_string(), names.get(role).to_string());
        }
    }

    let runtime_name = names.get(Role::Runtime);
    let facts = service_facts(project, runtime_name, runtime)?;
    plan.runtime.replicas = facts.replicas;
    plan.runtime.published_ports = facts.fixed_ports();
    plan.runtime.limits = facts.limits;
    plan.runtime.reservations = facts.reservations;
    plan.runtime.container_name = facts.container_name;
    let env = project.environment(runtime_name, runtime)?;
    if let Some(slots) = env.get("MAX_CONCURRENT_EXECUTIONS").filter(|v| !v.is_empty()) {
        plan.runtime.max_concurrent_executions = slots.trim().parse().map_err(|_| {
            reader.error(
                &format!("services.{runtime_name}.environment.MAX_CONCURRENT_EXECUTIONS"),
                "expected a whole number of executions".to_string(),
            )
        })?;
    }
    place("runtime", format!("services.{runtime_name}"));
    place("runtime.replicas", reader.replicas_path(runtime_name, runtime));
    place("runtime.limits", format!("services.{runtime_name}.deploy.resources.limits"));
    place(
        "runtime.max_concurrent_executions",
        format!("services.{runtime_name}.environment.MAX_CONCURRENT_EXECUTIONS"),
    );
    place("runtime.published_ports", format!("services.{runtime_name}.ports"));
    place("runtime.container_name", format!("services.{runtime_name}.container_name"));

    let api_name = names.get(Role::Api);
    let (mut database_host, mut database_user, mut provider) = (None, None, None);
    if let Some(api) = find(Role::Api) {
        let facts = service_facts(project, api_name, api)?;
        plan.api.replicas = facts.replicas.max(1);
        plan.api.published_ports = facts.fixed_ports();
        plan.api.limits = facts.limits;
        plan.api.reservations = facts.reservations;
        plan.api.container_name = facts.container_name;
        let env = project.environment(api_name, api)?;
        let key = env.get("BACKEND_KEY").or_else(|| env.get("EXECUTION_KEY"));
        plan.api.shared_jwt_keys = match key {
            Some(key) if !key.trim().is_empty() => Some(true),
            // Without a variables file (a CI checkout: .env holds secrets and is not committed)
            // the keys may well come from one that is not here: unknown, not false.
            _ if project.env_file.is_none() => None,
            _ => Some(false),
        };
        database_host = env.get("DATABASE_URL").and_then(|url| url_host(url));
        // Only which provider the host names is kept, never the URL.
        provider = env.get("DATABASE_URL").and_then(|url| Provider::of_url(database_host.as_deref(), url));
        // HTTP runs reach the runtimes through whatever EXECUTOR_URL names: the runtime service
        // itself (resolved by the API, one address first every time), or something in front of
        // it that spreads them (flowcap's balancer, the operator's own).
        if let Some(host) = env.get("EXECUTOR_URL").and_then(|url| url_host(url)) {
            plan.runtime.http_routing = if host == runtime_name { HttpRouting::Dns } else { HttpRouting::Balanced };
            place("runtime.http_routing", format!("services.{api_name}.environment.EXECUTOR_URL"));
        }
        database_user = env.get("DATABASE_URL").and_then(|url| url_user(url));
        place("api", format!("services.{api_name}"));
        place("api.replicas", reader.replicas_path(api_name, api));
        place("api.limits", format!("services.{api_name}.deploy.resources.limits"));
        place("api.shared_jwt_keys", format!("services.{api_name}.environment.BACKEND_KEY"));
        place("api.published_ports", format!("services.{api_name}.ports"));
        place("api.container_name", format!("services.{api_name}.container_name"));
    }

    let postgres_name = names.get(Role::Postgres);
    match find(Role::Postgres) {
        // DATABASE_URL pointing at another host means the in-stack database is not the one used.
        Some(postgres) if database_host.as_deref().is_none_or(|host| host == postgres_name) => {
            let facts = service_facts(project, postgres_name, postgres)?;
            plan.postgres.limits = facts.limits;
            plan.postgres.reservations = facts.reservations;
            reader.postgres_settings(postgres_name, postgres, &mut plan)?;
            if let Some(version) = postgres.get("image").and_then(Value::as_str).and_then(image_major_version) {
                plan.postgres.version = version;
                place("postgres.version", format!("services.{postgres_name}.image"));
            }
            // Without a seccomp profile the server may use io_uring; a profile of the
            // operator's own (a file) is taken to be Docker's, which blocks it.
            let options = postgres.get("security_opt").and_then(Value::as_sequence).into_iter().flatten();
            if options
                .filter_map(Value::as_str)
                .any(|o| ["seccomp=unconfined", "seccomp:unconfined"].contains(&o.trim()))
            {
                plan.postgres.io_uring = true;
                place("postgres.io_uring", format!("services.{postgres_name}.security_opt"));
            }
            // The postgres image makes POSTGRES_USER (default `postgres`) a superuser. Only
            // whether the API's user is that one is kept, never the name.
            let superuser = project.environment(postgres_name, postgres)?.get("POSTGRES_USER").cloned();
            let superuser = superuser.filter(|u| !u.is_empty()).unwrap_or_else(|| "postgres".into());
            if database_user.as_deref() == Some(superuser.as_str()) {
                plan.postgres.clients_are_superuser = true;
                place("postgres.clients_are_superuser", format!("services.{api_name}.environment.DATABASE_URL"));
            }
            place("postgres", format!("services.{postgres_name}"));
            place("postgres.max_connections", format!("services.{postgres_name}.command"));
            place("postgres.shared_buffers", format!("services.{postgres_name}.command"));
            place("postgres.limits", format!("services.{postgres_name}.deploy.resources.limits"));
        }
        _ => {
            plan.postgres.external = true;
            if let Some(provider) = provider {
                plan.postgres.managed = Some(Managed { provider, instance_class: None, memory: None });
                (plan.postgres.superuser_reserved_connections, plan.postgres.reserved_connections) =
                    provider.reserved_connections();
            }
            place("postgres", format!("services.{api_name}.environment.DATABASE_URL"));
        }
    }
    plan.monitoring = find(Role::Exporter).is_some();
    // The schema job holds connections only where the deployment runs one.
    if find(Role::DbInit).is_none() {
        plan.postgres_clients.db_init = 0;
    }

    // The exporter runs beside the rest and counts in host fit; the db-init job exits.
    for (name, service) in &active {
        if names.role_of(name).is_some_and(|role| role != Role::Exporter) {
            continue;
        }
        let facts = service_facts(project, name, service)?;
        let (published_ports, container_name) = (facts.fixed_ports(), facts.container_name);
        let (replicas, limits, reservations) = (facts.replicas, facts.limits, facts.reservations);
        let other = OtherService { replicas, published_ports, limits, reservations, container_name, autoscaling: None };
        place(&format!("other_services.{name}"), format!("services.{name}"));
        place(&format!("other_services.{name}.published_ports"), format!("services.{name}.ports"));
        place(&format!("other_services.{name}.container_name"), format!("services.{name}.container_name"));
        plan.other_services.insert(name.to_string(), other);
        if *name == redis::SERVICE {
            // Its settings as its command sets them; a config file or a wrapper (`sh -c …`)
            // keeps them out of sight, and then flowcap does not guess them.
            if let Ok(RedisCommand::Read(redis)) = redis_command::read(service) {
                plan.redis = Some(redis);
                place("redis", format!("services.{name}.command"));
                place("redis.maxmemory", format!("services.{name}.command"));
                place("redis.maxmemory_policy", format!("services.{name}.command"));
            }
        }
    }
    plan.validate().map_err(|invalid| {
        InputError::invalid(&project.files[0].name, None, format!("{}: {}", invalid.path, invalid.message))
    })?;
    Ok(LoadedPlan {
        plan,
        file: project.files[0].name.clone(),
        locator: Locator::Deployment(places),
        inherited: BTreeMap::new(),
    })
}

/// Reads typed values out of services, with errors that point into the files.
struct Reader<'a> {
    project: &'a Project,
}

impl Reader<'_> {
    fn error(&self, path: &str, message: String) -> InputError {
        self.project.error_at(path, message)
    }

    /// The mapping at `keys` under the service: none when absent or null; anything else that
    /// is not a mapping is refused at its place, as Compose refuses it (a list of limits read
    /// as no limits would report an unlimited service).
    fn section<'m>(&self, name: &str, service: &'m Mapping, keys: &[&str]) -> Result<Option<&'m Mapping>, InputError> {
        let mut section = service;
        let mut path = format!("services.{name}");
        for key in keys {
            path.push('.');
            path.push_str(key);
            section = match section.get(*key) {
                None | Some(Value::Null) => return Ok(None),
                Some(Value::Mapping(mapping)) => mapping,
                Some(other) => {
                    let what = match other {
                        Value::Sequence(_) => "a list",
                        Value::String(_) => "a string",
                        Value::Number(_) => "a number",
                        Value::Bool(_) => "true or false",
                        _ => "a tagged value",
                    };
                    return Err(self.error(&path, format!("`{key}` must be a mapping, not {what}")));
                }
            };
        }
        Ok(Some(section))
    }

    /// Where the replica count is set: `deploy.replicas`, else `scale`.
    fn replicas_path(&self, name: &str, service: &Mapping) -> String {
        let deploy = service.get("deploy").and_then(|d| d.get("replicas"));
        if deploy.is_none() && service.get("scale").is_some() {
            format!("services.{name}.scale")
        } else {
            format!("services.{name}.deploy.replicas")
        }
    }

    /// `deploy.replicas`, else `scale`, else 1; both set and different is an error, as in
    /// Compose.
    fn replicas(&self, name: &str, service: &Mapping) -> Result<u32, InputError> {
        let read = |value: &Value, path: String| {
            let number = match value {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            number
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| self.error(&path, format!("expected a whole number of replicas, not {}", kind(value))))
        };
        let deploy = service.get("deploy").and_then(|d| d.get("replicas"));
        let deploy = deploy.map(|v| read(v, format!("services.{name}.deploy.replicas"))).transpose()?;
        let scale = service.get("scale").map(|v| read(v, format!("services.{name}.scale"))).transpose()?;
        match (deploy, scale) {
            (Some(deploy), Some(scale)) if deploy != scale => Err(self.error(
                &format!("services.{name}.scale"),
                format!("scale {scale} and deploy.replicas {deploy} disagree; Compose refuses both"),
            )),
            (Some(replicas), _) | (None, Some(replicas)) => Ok(replicas),
            (None, None) => Ok(1),
        }
    }

    /// `deploy.resources.limits` or `.reservations`, falling back to the legacy `cpus`,
    /// `mem_limit` and `mem_reservation`.
    fn resources(&self, name: &str, service: &Mapping, kind: &str) -> Result<Resources, InputError> {
        let section = self.section(name, service, &["deploy", "resources", kind])?;
        let legacy_memory = if kind == "limits" { "mem_limit" } else { "mem_reservation" };
        // Where each value is set, spelled out only for an error message.
        let cpus_value = match section.and_then(|s| s.get("cpus")) {
            Some(value) => Some((value, "deploy.resources.", "cpus")),
            None if kind == "limits" => service.get("cpus").map(|v| (v, "", "cpus")),
            None => None,
        };
        let memory_value = match section.and_then(|s| s.get("memory")) {
            Some(value) => Some((value, "deploy.resources.", "memory")),
            None => service.get(legacy_memory).map(|v| (v, "", legacy_memory)),
        };
        let at = |prefix: &str, key: &str| {
            let kind = if prefix.is_empty() { String::new() } else { format!("{kind}.") };
            format!("services.{name}.{prefix}{kind}{key}")
        };
        let cpus = match cpus_value {
            Some((value, prefix, key)) => {
                Some(Cpus::parse(&scalar_text(value)).map_err(|_| self.error(&at(prefix, key), EXPECTED_CPUS.into()))?)
            }
            None => None,
        };
        let memory = match memory_value {
            Some((value, prefix, key)) => Some(
                Bytes::parse(&scalar_text(value)).map_err(|_| self.error(&at(prefix, key), EXPECTED_BYTES.into()))?,
            ),
            None => None,
        };
        // Compose reads 0 as "no limit".
        Ok(Resources { cpus: cpus.filter(|c| c.0 > 0), memory: memory.filter(|m| m.0 > 0) })
    }

    /// Every published port, in Compose's short or long syntax; a container port range is
    /// one binding per port, as Compose expands it.
    fn ports(&self, name: &str, service: &Mapping) -> Result<Vec<PortBinding>, InputError> {
        let Some(ports) = service.get("ports").and_then(Value::as_sequence) else { return Ok(Vec::new()) };
        let path = format!("services.{name}.ports");
        let mut bindings = Vec::new();
        for entry in ports {
            match entry {
                Value::Mapping(long) => {
                    let target = long.get("target").map(scalar_text).unwrap_or_default();
                    let target =
                        target.parse().map_err(|_| self.error(&path, "a `target` is not a port number".into()))?;
                    bindings.push(PortBinding {
                        host_ip: long.get("host_ip").map(scalar_text).filter(|ip| !ip.is_empty()),
                        published: long.get("published").map(scalar_text).filter(|p| !p.is_empty()),
                        target,
                        protocol: long.get("protocol").map_or_else(|| "tcp".into(), scalar_text),
                    });
                }
                Value::String(_) | Value::Number(_) => {
                    let text = scalar_text(entry);
                    let parsed = short_syntax(&text).ok_or_else(|| {
                        self.error(&path, "an entry is not [HOST_IP:][HOST:]CONTAINER[/PROTOCOL]".into())
                    })?;
                    bindings.extend(parsed);
                }
                _ => return Err(self.error(&path, "expected a port or a mapping with `target`".into())),
            }
        }
        Ok(bindings)
    }

    /// `-c max_connections=200 -c shared_buffers=256MB` (also `-cname=value` and `--name=value`)
    /// from the Postgres `command`, split as a shell would when it is one string.
    fn postgres_settings(&self, name: &str, service: &Mapping, plan: &mut Plan) -> Result<(), InputError> {
        let path = format!("services.{name}.command");
        let fail = |error: postgres_command::CommandError| self.error(&path, error.to_string());
        let Some(words) = postgres_command::words(service.get("command")).map_err(fail)? else { return Ok(()) };
        let settings = postgres_command::arguments(&words).map_err(fail)?.into_iter().filter_map(|a| a.setting);
        let number = |key: &str, value: &str| {
            value.parse::<u32>().map_err(|_| self.error(&path, format!("{key}: expected a whole number")))
        };
        for (key, value) in settings {
            match key.as_str() {
                "max_connections" => plan.postgres.max_connections = number(&key, &value)?,
                "superuser_reserved_connections" => {
                    plan.postgres.superuser_reserved_connections = number(&key, &value)?
                }
                "reserved_connections" => plan.postgres.reserved_connections = number(&key, &value)?,
                "shared_buffers" => {
                    plan.postgres.shared_buffers = Some(postgres_size(&value).ok_or_else(|| {
                        self.error(&path, "shared_buffers: expected a size such as 256MB".to_string())
                    })?);
                }
                "config_file" => {
                    return Err(self.error(
                        &path,
                        "config_file: flowcap cannot read the container's files; pass the settings with -c".into(),
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The PostgreSQL major version in an image reference: `postgres:16-alpine`, `postgres:15.4`,
/// `docker.io/library/postgres:17@sha256:…` and `bitnami/postgresql:16.3.0` give 16, 15, 17
/// and 16; a tag that does not start with a version (`latest`, a digest alone) gives none.
pub fn image_major_version(image: &str) -> Option<u32> {
    let reference = image.split('@').next()?;
    // The tag follows the last `:` after the last `/` (a registry may have a port).
    let (_, tag) = reference.rsplit_once('/').map_or(reference, |(_, last)| last).split_once(':')?;
    let leading = |text: &str| text.chars().take_while(char::is_ascii_digit).collect::<String>();
    // A `pgN` part, as extension images tag it (pgvector's `0.8.0-pg17`, timescaledb's
    // `latest-pg18`), else the leading number (`16-alpine`, `15.4`, postgis's `16-3.4`).
    let extension = tag.split('-').find_map(|part| part.strip_prefix("pg").map(leading).filter(|d| !d.is_empty()));
    let major = extension.unwrap_or_else(|| leading(tag));
    major.parse().ok().filter(|version| (10..=99).contains(version))
}

/// What kind of value it is, for messages: never the value, which may come from `.env`.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Number(_) => "a fraction or a negative number",
        Value::Bool(_) => "true or false",
        Value::Null => "nothing",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// What a CPU amount looks like; the value read is not repeated (it may come from `.env`).
const EXPECTED_CPUS: &str = "expected a CPU amount such as 0.5, 4 or 250m";
/// What a memory size looks like.
const EXPECTED_BYTES: &str = "expected a size such as 512m or 8G";

/// PostgreSQL's memory syntax: a number with kB, MB, GB or TB; no unit means 8 kB pages.
fn postgres_size(text: &str) -> Option<Bytes> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" => 8 * 1024,
        "b" => 1,
        "kb" => 1024,
        "mb" => 1024 * 1024,
        "gb" => 1024 * 1024 * 1024,
        "tb" => 1024 * 1024 * 1024 * 1024,
        _ => return None,
    };
    number.checked_mul(multiplier).map(Bytes)
}

/// The user of a database URL (`postgresql://user:secret@postgres/db` → `user`), for a
/// comparison only: it may come from `.env` and is never reported.
fn url_user(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next()?;
    let (credentials, _) = authority.rsplit_once('@')?;
    let user = credentials.split(':').next()?;
    (!user.is_empty()).then(|| user.to_string())
}

/// The host and port of an HTTP URL (`http://runtime:9000` → (`runtime`, 9000); 80 or 443
/// by the scheme when it names none), without its credentials.
pub(super) fn url_host_port(url: &str) -> Option<(String, u16)> {
    let (host, port) = host_and_port(url)?;
    let port = match port {
        Some(port) => port.parse().ok()?,
        None if url.starts_with("https://") => 443,
        None => 80,
    };
    Some((host.to_string(), port))
}

/// The host of a database URL (`postgresql://user:secret@postgres:5432/db` → `postgres`),
/// without ever keeping the credentials.
fn url_host(url: &str) -> Option<String> {
    host_and_port(url).map(|(host, _)| host.to_string())
}

/// A URL's host (an IPv6 one without its brackets) and port as written, past any credentials.
fn host_and_port(url: &str) -> Option<(&str, Option<&str>)> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let (host, port) = match host_port.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']')?;
            (host, after.strip_prefix(':'))
        }
        None => match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        },
    };
    (!host.is_empty()).then_some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_sizes() {
        assert_eq!(postgres_size("256MB"), Some(Bytes::mib(256)));
        assert_eq!(postgres_size("2GB"), Some(Bytes::gib(2)));
        assert_eq!(postgres_size("16384"), Some(Bytes::mib(128)), "8 kB pages");
        assert_eq!(postgres_size("lots"), None);
    }

    #[test]
    fn database_hosts_without_credentials() {
        assert_eq!(url_host("postgresql://flowlike:s3cret@postgres:5432/flowlike"), Some("postgres".into()));
        assert_eq!(url_host("postgres://u:p@db.example.com/x?sslmode=require"), Some("db.example.com".into()));
        assert_eq!(url_host("postgres://[::1]:5432/x"), Some("::1".into()));
        assert_eq!(url_host("postgres://u:p@@host/x"), Some("host".into()));
    }

    #[test]
    fn database_users_for_comparison() {
        assert_eq!(url_user("postgresql://flowlike:s3cret@postgres:5432/flowlike"), Some("flowlike".into()));
        assert_eq!(url_user("postgres://app@db/x"), Some("app".into()));
        assert_eq!(url_user("postgres://db/x"), None);
    }

    #[test]
    fn the_major_version_is_read_from_the_image_tag() {
        assert_eq!(image_major_version("postgres:16-alpine"), Some(16));
        assert_eq!(image_major_version("postgres:15.4"), Some(15));
        assert_eq!(image_major_version("docker.io/library/postgres:17@sha256:abc"), Some(17));
        assert_eq!(image_major_version("registry.local:5000/db/postgresql:16.3.0"), Some(16));
        assert_eq!(image_major_version("postgres:latest"), None);
        assert_eq!(image_major_version("postgres"), None);
        assert_eq!(image_major_version("registry.local:5000/postgres"), None);
        assert_eq!(image_major_version("postgres:9.6"), None, "older than PGTune's settings here");
        // The extension images name the server in a `pgN` part, after their own version.
        assert_eq!(image_major_version("pgvector/pgvector:pg17"), Some(17));
        assert_eq!(image_major_version("pgvector/pgvector:0.8.0-pg18-trixie"), Some(18));
        assert_eq!(image_major_version("timescale/timescaledb:latest-pg18"), Some(18));
        assert_eq!(image_major_version("timescale/timescaledb:2.17.2-pg16"), Some(16));
        assert_eq!(image_major_version("postgis/postgis:16-3.4"), Some(16));
        assert_eq!(image_major_version("postgres:17.2-bookworm"), Some(17));
        assert_eq!(image_major_version("timescale/timescaledb:latest"), None);
    }
}
