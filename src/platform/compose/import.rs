//! From a Compose project to a plan: replicas, resources, `MAX_CONCURRENT_EXECUTIONS`, the
//! Postgres `command` flags, in-stack or external Postgres, the monitoring profile, JWT keys and
//! published host ports. Keys flowcap does not read are ignored. Secret values are never
//! copied: only whether a key is set, and the host name of `DATABASE_URL`.

use super::project::Project;
use crate::io::error::InputError;
use crate::load::{LoadedPlan, Locator};
use crate::plan::{OtherService, Plan, Resources};
use crate::units::{Bytes, Cpus};
use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;

/// What a service is to Flow-Like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Api,
    Runtime,
    Postgres,
    Exporter,
    DbInit,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Api, Role::Runtime, Role::Postgres, Role::Exporter, Role::DbInit];

    /// The name `--service ROLE=NAME` takes.
    pub fn key(self) -> &'static str {
        match self {
            Role::Api => "api",
            Role::Runtime => "runtime",
            Role::Postgres => "postgres",
            Role::Exporter => "exporter",
            Role::DbInit => "db-init",
        }
    }

    /// The service's name in Flow-Like's own compose file.
    pub fn default_service(self) -> &'static str {
        match self {
            Role::Exporter => "postgres-exporter",
            other => other.key(),
        }
    }
}

/// Which service plays which role: Flow-Like's names unless overridden.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceNames(BTreeMap<Role, String>);

impl Default for ServiceNames {
    fn default() -> Self {
        ServiceNames(Role::ALL.iter().map(|r| (*r, r.default_service().to_string())).collect())
    }
}

impl ServiceNames {
    /// Applies `ROLE=NAME` overrides (`runtime=worker`).
    pub fn with_overrides(overrides: &[String]) -> Result<ServiceNames, InputError> {
        let mut names = ServiceNames::default();
        for text in overrides {
            let bad = || {
                let roles: Vec<&str> = Role::ALL.iter().map(|r| r.key()).collect();
                InputError::new(
                    "--service",
                    format!("`{text}`: expected ROLE=NAME with ROLE one of {}", roles.join(", ")),
                )
            };
            let (role, name) = text.split_once('=').ok_or_else(bad)?;
            let role = Role::ALL.into_iter().find(|r| r.key() == role.trim()).ok_or_else(bad)?;
            if name.trim().is_empty() {
                return Err(bad());
            }
            names.0.insert(role, name.trim().to_string());
        }
        Ok(names)
    }

    pub fn get(&self, role: Role) -> &str {
        &self.0[&role]
    }

    fn role_of(&self, service: &str) -> Option<Role> {
        self.0.iter().find(|(_, name)| *name == service).map(|(role, _)| *role)
    }
}

/// Reads the active services of `project` into a plan.
pub fn import(project: &Project, names: &ServiceNames) -> Result<LoadedPlan, InputError> {
    let active = project.active_services();
    let find = |role: Role| active.iter().find(|(name, _)| *name == names.get(role)).map(|(_, s)| *s);
    let Some(runtime) = find(Role::Runtime) else {
        let found = project.service_names();
        return Err(InputError::new(
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

    let runtime_name = names.get(Role::Runtime);
    plan.runtime.replicas = reader.replicas(runtime_name, runtime)?;
    plan.runtime.limits = reader.resources(runtime_name, runtime, "limits")?;
    plan.runtime.reservations = reader.resources(runtime_name, runtime, "reservations")?;
    plan.runtime.published_ports = reader.fixed_ports(runtime_name, runtime)?;
    let env = reader.environment(runtime);
    if let Some(slots) = env.get("MAX_CONCURRENT_EXECUTIONS").filter(|v| !v.is_empty()) {
        plan.runtime.max_concurrent_executions = slots.trim().parse().map_err(|_| {
            reader.error(
                &format!("services.{runtime_name}.environment.MAX_CONCURRENT_EXECUTIONS"),
                format!("expected a whole number, got `{slots}`"),
            )
        })?;
    }
    place("runtime", format!("services.{runtime_name}"));
    place("runtime.replicas", format!("services.{runtime_name}.deploy.replicas"));
    place("runtime.limits", format!("services.{runtime_name}.deploy.resources.limits"));
    place(
        "runtime.max_concurrent_executions",
        format!("services.{runtime_name}.environment.MAX_CONCURRENT_EXECUTIONS"),
    );
    place("runtime.published_ports", format!("services.{runtime_name}.ports"));

    let api_name = names.get(Role::Api);
    let mut database_host = None;
    if let Some(api) = find(Role::Api) {
        plan.api.replicas = reader.replicas(api_name, api)?.max(1);
        plan.api.limits = reader.resources(api_name, api, "limits")?;
        plan.api.reservations = reader.resources(api_name, api, "reservations")?;
        plan.api.published_ports = reader.fixed_ports(api_name, api)?;
        let env = reader.environment(api);
        let key = env.get("BACKEND_KEY").or_else(|| env.get("EXECUTION_KEY"));
        plan.api.shared_jwt_keys = Some(key.is_some_and(|k| !k.trim().is_empty()));
        database_host = env.get("DATABASE_URL").and_then(|url| url_host(url));
        place("api", format!("services.{api_name}"));
        place("api.replicas", format!("services.{api_name}.deploy.replicas"));
        place("api.limits", format!("services.{api_name}.deploy.resources.limits"));
        place("api.shared_jwt_keys", format!("services.{api_name}.environment.BACKEND_KEY"));
        place("api.published_ports", format!("services.{api_name}.ports"));
    }

    let postgres_name = names.get(Role::Postgres);
    match find(Role::Postgres) {
        // DATABASE_URL pointing at another host means the in-stack database is not the one used.
        Some(postgres) if database_host.as_deref().is_none_or(|host| host == postgres_name) => {
            plan.postgres.limits = reader.resources(postgres_name, postgres, "limits")?;
            plan.postgres.reservations = reader.resources(postgres_name, postgres, "reservations")?;
            reader.postgres_settings(postgres_name, postgres, &mut plan)?;
            place("postgres", format!("services.{postgres_name}"));
            place("postgres.max_connections", format!("services.{postgres_name}.command"));
            place("postgres.shared_buffers", format!("services.{postgres_name}.command"));
            place("postgres.limits", format!("services.{postgres_name}.deploy.resources.limits"));
        }
        _ => {
            plan.postgres.external = true;
            place("postgres", format!("services.{api_name}.environment.DATABASE_URL"));
        }
    }
    plan.monitoring = find(Role::Exporter).is_some();

    for (name, service) in &active {
        if names.role_of(name).is_some() {
            continue;
        }
        let other = OtherService {
            replicas: reader.replicas(name, service)?,
            limits: reader.resources(name, service, "limits")?,
            reservations: reader.resources(name, service, "reservations")?,
            published_ports: reader.fixed_ports(name, service)?,
        };
        place(&format!("other_services.{name}"), format!("services.{name}"));
        plan.other_services.insert(name.to_string(), other);
    }
    plan.validate()
        .map_err(|invalid| InputError::new(&project.files[0].name, format!("{}: {}", invalid.path, invalid.message)))?;
    Ok(LoadedPlan { plan, file: project.files[0].name.clone(), locator: Locator::Compose(places) })
}

/// Reads typed values out of services, with errors that point into the files.
struct Reader<'a> {
    project: &'a Project,
}

impl Reader<'_> {
    fn error(&self, path: &str, message: String) -> InputError {
        self.project.error_at(path, message)
    }

    /// `deploy.replicas`, else `scale`, else 1.
    fn replicas(&self, name: &str, service: &Mapping) -> Result<u32, InputError> {
        let deploy = service.get("deploy").and_then(|d| d.get("replicas"));
        let (value, path) = match (deploy, service.get("scale")) {
            (Some(v), _) => (v, format!("services.{name}.deploy.replicas")),
            (None, Some(v)) => (v, format!("services.{name}.scale")),
            (None, None) => return Ok(1),
        };
        let number = match value {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        number
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| self.error(&path, format!("expected a whole number of replicas, got {}", show(value))))
    }

    /// `deploy.resources.limits` or `.reservations`, falling back to the legacy `cpus`,
    /// `mem_limit` and `mem_reservation`.
    fn resources(&self, name: &str, service: &Mapping, kind: &str) -> Result<Resources, InputError> {
        let section = service.get("deploy").and_then(|d| d.get("resources")).and_then(|r| r.get(kind));
        let base = format!("services.{name}.deploy.resources.{kind}");
        let legacy_memory = if kind == "limits" { "mem_limit" } else { "mem_reservation" };
        let cpus_value = section.and_then(|s| s.get("cpus")).map(|v| (v, format!("{base}.cpus")));
        let cpus_value = cpus_value.or_else(|| {
            (kind == "limits").then(|| service.get("cpus").map(|v| (v, format!("services.{name}.cpus")))).flatten()
        });
        let memory_value = section
            .and_then(|s| s.get("memory"))
            .map(|v| (v, format!("{base}.memory")))
            .or_else(|| service.get(legacy_memory).map(|v| (v, format!("services.{name}.{legacy_memory}"))));
        let cpus = match cpus_value {
            Some((value, path)) => Some(Cpus::parse(&scalar(value)).map_err(|e| self.error(&path, e))?),
            None => None,
        };
        let memory = match memory_value {
            Some((value, path)) => Some(Bytes::parse(&scalar(value)).map_err(|e| self.error(&path, e))?),
            None => None,
        };
        // Compose reads 0 as "no limit".
        Ok(Resources { cpus: cpus.filter(|c| c.0 > 0), memory: memory.filter(|m| m.0 > 0) })
    }

    /// `environment` as a map; list entries without `=` take the value from the environment.
    fn environment(&self, service: &Mapping) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        match service.get("environment") {
            Some(Value::Mapping(map)) => {
                for (key, value) in map {
                    if let Some(key) = key.as_str() {
                        let value = match value {
                            Value::Null => self.project.env.get(key).unwrap_or_default().to_string(),
                            other => scalar(other),
                        };
                        env.insert(key.to_string(), value);
                    }
                }
            }
            Some(Value::Sequence(items)) => {
                for item in items.iter().filter_map(Value::as_str) {
                    let (key, value) = match item.split_once('=') {
                        Some((k, v)) => (k, v.to_string()),
                        None => (item, self.project.env.get(item).unwrap_or_default().to_string()),
                    };
                    env.insert(key.to_string(), value);
                }
            }
            _ => {}
        }
        env
    }

    /// Host ports published as a single fixed port (`8080:8080`, `127.0.0.1:8080:8080`, long
    /// syntax with `published`). Ranges (`9000-9003:9000`) and container-only ports are not
    /// fixed: each replica gets its own.
    fn fixed_ports(&self, name: &str, service: &Mapping) -> Result<Vec<u16>, InputError> {
        let Some(ports) = service.get("ports").and_then(Value::as_sequence) else { return Ok(Vec::new()) };
        let mut fixed = Vec::new();
        for entry in ports {
            let published = match entry {
                Value::Mapping(long) => long.get("published").map(scalar),
                Value::String(_) | Value::Number(_) => short_syntax_published(&scalar(entry)),
                _ => None,
            };
            let Some(published) = published.filter(|p| !p.is_empty() && !p.contains('-')) else { continue };
            let port = published.parse::<u16>().map_err(|_| {
                self.error(
                    &format!("services.{name}.ports"),
                    format!("published port `{published}` is not a port number"),
                )
            })?;
            if !fixed.contains(&port) {
                fixed.push(port);
            }
        }
        Ok(fixed)
    }

    /// `-c max_connections=200 -c shared_buffers=256MB` (also `-cname=value` and `--name=value`)
    /// from the Postgres `command`.
    fn postgres_settings(&self, name: &str, service: &Mapping, plan: &mut Plan) -> Result<(), InputError> {
        let args: Vec<String> = match service.get("command") {
            Some(Value::String(line)) => line.split_whitespace().map(String::from).collect(),
            Some(Value::Sequence(items)) => items.iter().map(scalar).collect(),
            _ => return Ok(()),
        };
        let path = format!("services.{name}.command");
        let mut settings = Vec::new();
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            let setting = match arg.as_str() {
                "-c" => iter.next().cloned(),
                other => other.strip_prefix("-c").or_else(|| other.strip_prefix("--")).map(String::from),
            };
            if let Some((key, value)) = setting.as_deref().and_then(|s| s.split_once('=')) {
                settings.push((key.trim().to_string(), value.trim().trim_matches(['\'', '"']).to_string()));
            }
        }
        let number = |key: &str, value: &str| {
            value.parse::<u32>().map_err(|_| self.error(&path, format!("{key}={value}: expected a whole number")))
        };
        for (key, value) in settings {
            match key.as_str() {
                "max_connections" => plan.postgres.max_connections = number(&key, &value)?,
                "superuser_reserved_connections" => {
                    plan.postgres.superuser_reserved_connections = number(&key, &value)?
                }
                "reserved_connections" => plan.postgres.reserved_connections = number(&key, &value)?,
                "shared_buffers" => {
                    plan.postgres.shared_buffers = postgres_size(&value).ok_or_else(|| {
                        self.error(&path, format!("shared_buffers={value}: expected a size such as 256MB"))
                    })?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A scalar as text: strings as they are, numbers and booleans printed.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// A value for messages, never a whole mapping.
fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "nothing".into(),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(_) => "a tagged value".into(),
    }
}

/// The published part of `[HOST_IP:]HOST:CONTAINER[/PROTO]`; `None` for `CONTAINER` alone.
fn short_syntax_published(text: &str) -> Option<String> {
    let without_protocol = text.split('/').next().unwrap_or(text);
    // IPv6 host IPs are bracketed: [::1]:8080:8080.
    let without_ip = match without_protocol.rfind(']') {
        Some(end) => without_protocol[end + 1..].trim_start_matches(':'),
        None => without_protocol,
    };
    let parts: Vec<&str> = without_ip.split(':').collect();
    match parts.as_slice() {
        [_container] => None,
        [host, _container] => Some(host.to_string()),
        [_ip, host, _container] => Some(host.to_string()),
        _ => None,
    }
}

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

/// The host of a database URL (`postgresql://user:secret@postgres:5432/db` → `postgres`),
/// without ever keeping the credentials.
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => host_port.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_ports_in_short_syntax() {
        assert_eq!(short_syntax_published("8080:8080"), Some("8080".into()));
        assert_eq!(short_syntax_published("127.0.0.1:5432:5432"), Some("5432".into()));
        assert_eq!(short_syntax_published("[::1]:5432:5432"), Some("5432".into()));
        assert_eq!(short_syntax_published("9000-9003:9000"), Some("9000-9003".into()));
        assert_eq!(short_syntax_published("9000"), None);
        assert_eq!(short_syntax_published("53:53/udp"), Some("53".into()));
    }

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
}
