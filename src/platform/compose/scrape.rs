//! The deployment's own Prometheus, as its compose files configure it: which of Flow-Like's
//! services it scrapes as one static `SERVICE:PORT` target. With several replicas, Docker's DNS
//! answers each scrape with one of them, so the figures are one replica's (FACTS.md);
//! `dns_sd_configs` of type A on the service name scrapes them all.

use super::project::{Project, scalar_text};
use super::roles::{Role, ServiceNames};
use crate::io::error::InputError;
use crate::io::yaml;
use crate::io::yaml::{Mapping, Value};
use crate::model::load::read_text_file;
use std::path::{Path, PathBuf};

/// Where Prometheus's image reads its configuration unless `--config.file` says otherwise.
const DEFAULT_CONFIG: &str = "/etc/prometheus/prometheus.yml";

/// One static target that names a Flow-Like service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticTarget {
    pub role: Role,
    /// The scrape job's `job_name`.
    pub job: String,
    /// `HOST:PORT` as the config writes it.
    pub target: String,
    pub host: String,
    pub port: Option<u16>,
    /// The Prometheus config file, and where the target stands in it.
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// The static targets of the deployment's active Prometheus service that name the API or the
/// runtime (by service or container name). Empty when no Prometheus runs, or its config is not
/// a file on this host (a named volume, a file not present here).
pub fn static_targets(project: &Project, names: &ServiceNames) -> Result<Vec<StaticTarget>, InputError> {
    let Some(path) = config_file(project) else { return Ok(Vec::new()) };
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let text = read_text_file(&path)?;
    let file = path.display().to_string();
    let config = yaml::parse(&file, &text)?;
    let roles: Vec<(Role, Vec<String>)> = [Role::Api, Role::Runtime]
        .into_iter()
        .map(|role| {
            let service = names.get(role);
            let container = project
                .active_services()
                .into_iter()
                .find(|(name, _)| *name == service)
                .and_then(|(_, s)| s.get("container_name").map(scalar_text));
            (role, std::iter::once(service.to_string()).chain(container).collect())
        })
        .collect();
    let mut found = Vec::new();
    let jobs = config.get("scrape_configs").and_then(Value::as_sequence).into_iter().flatten();
    for job in jobs {
        let name = job.get("job_name").map(scalar_text).unwrap_or_default();
        let statics = job.get("static_configs").and_then(Value::as_sequence).into_iter().flatten();
        for target in statics.filter_map(|s| s.get("targets")?.as_sequence()).flatten().map(scalar_text) {
            let (host, port) = match target.rsplit_once(':') {
                Some((host, port)) => (host.to_string(), port.parse().ok()),
                None => (target.clone(), None),
            };
            let Some((role, _)) = roles.iter().find(|(_, hosts)| hosts.contains(&host)) else { continue };
            let (line, column) = position(&text, &name, &target);
            found.push(StaticTarget {
                role: *role,
                job: name.clone(),
                target,
                host,
                port,
                file: file.clone(),
                line,
                column,
            });
        }
    }
    Ok(found)
}

/// The service running Prometheus's image (by its name `prometheus` when several do): an active
/// one, or with `inactive`, one a profile keeps off too.
pub fn prometheus_service(project: &Project, inactive: bool) -> Option<(&str, &Mapping)> {
    let services: Vec<(&str, &Mapping)> =
        if inactive { project.services().collect() } else { project.active_services() };
    let running: Vec<_> = services.into_iter().filter(|(_, s)| is_prometheus(s)).collect();
    running.iter().find(|(name, _)| *name == "prometheus").or(running.first()).copied()
}

/// The host file mounted as the active Prometheus service's config: the file itself, or the
/// folder it is in.
pub(super) fn config_file(project: &Project) -> Option<PathBuf> {
    let (_, service) = prometheus_service(project, false)?;
    host_path(project, Path::new(&config_path(service)))
}

/// Where a path inside the active Prometheus container is on this host, through its bind
/// mounts (the file itself, or a folder above it).
pub(super) fn host_path(project: &Project, inside: &Path) -> Option<PathBuf> {
    let (_, service) = prometheus_service(project, false)?;
    let volumes = service.get("volumes").and_then(Value::as_sequence)?;
    volumes.iter().filter_map(bind).find_map(|(source, target)| {
        let source = project.dir().join(source.strip_prefix("./").unwrap_or(&source));
        if Path::new(&target) == inside {
            Some(source)
        } else {
            inside.strip_prefix(&target).ok().filter(|rest| !rest.as_os_str().is_empty()).map(|rest| source.join(rest))
        }
    })
}

/// A service running Prometheus's image (`prom/prometheus`, `quay.io/prometheus/prometheus`):
/// the image's last path segment, so exporters named after Prometheus do not count.
fn is_prometheus(service: &Mapping) -> bool {
    let image = service.get("image").map(scalar_text).unwrap_or_default();
    // `registry:5000/prom/prometheus:v2.48@sha256:…`: the last path segment, without tag or digest.
    let reference = image.split('@').next().unwrap_or_default();
    let last = reference.rsplit('/').next().unwrap_or_default();
    last.split(':').next() == Some("prometheus")
}

/// `--config.file` from the service's command, else the image's default.
fn config_path(service: &Mapping) -> String {
    let words: Vec<String> = match service.get("command") {
        Some(Value::Sequence(words)) => words.iter().map(scalar_text).collect(),
        Some(Value::String(line)) => line.split_whitespace().map(String::from).collect(),
        _ => Vec::new(),
    };
    let mut words = words.iter();
    while let Some(word) = words.next() {
        let word = word.trim_start_matches('-');
        if let Some(path) = word.strip_prefix("config.file=") {
            return path.to_string();
        }
        if word == "config.file" {
            return words.next().cloned().unwrap_or_else(|| DEFAULT_CONFIG.into());
        }
    }
    DEFAULT_CONFIG.into()
}

/// A bind mount's host path and container path (short `SRC:DST[:MODE]` or long syntax); named
/// volumes are not files on this host.
fn bind(volume: &Value) -> Option<(String, String)> {
    let (source, target) = match volume {
        Value::String(short) => {
            let mut parts = short.splitn(3, ':');
            (parts.next()?.to_string(), parts.next()?.to_string())
        }
        Value::Mapping(long) => (long.get("source").map(scalar_text)?, long.get("target").map(scalar_text)?),
        _ => return None,
    };
    let is_path = source.starts_with('.') || source.starts_with('/');
    is_path.then_some((source, target))
}

/// The line and column of `target` in the config text: its first occurrence after the job's
/// `job_name`, else anywhere.
fn position(text: &str, job: &str, target: &str) -> (usize, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let job_line = lines.iter().position(|l| l.contains("job_name") && l.contains(job)).unwrap_or(0);
    let after = lines.iter().enumerate().skip(job_line).chain(lines.iter().enumerate().take(job_line));
    after
        .filter(|(_, l)| !l.trim_start().starts_with('#'))
        .find_map(|(index, l)| l.find(target).map(|column| (index + 1, column + 1)))
        .unwrap_or((1, 1))
}
