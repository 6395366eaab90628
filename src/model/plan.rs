//! The plan: what an operator deploys, as a YAML file. Defaults come from FACTS.md (Flow-Like's
//! compose file and source, PostgreSQL's docs) and are documented in docs/reference.md.

use crate::model::cluster::{Autoscaling, Cluster, Jobs, Platform};
pub use crate::model::resources::Resources;
use crate::model::units::{Bytes, Cpus, Seconds};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Plan {
    /// A label for reports; presets carry theirs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// One Docker host (the default) or a Kubernetes cluster.
    #[serde(skip_serializing_if = "Platform::is_compose")]
    pub platform: Platform,
    pub api: Api,
    pub runtime: Runtime,
    pub postgres: Postgres,
    /// Whether the `monitoring` profile runs (postgres-exporter then holds connections).
    pub monitoring: bool,
    pub postgres_clients: PostgresClients,
    /// Further services of the stack (redis, web, ...), counted in host fit.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub other_services: BTreeMap<String, OtherService>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<Host>,
    /// The Kubernetes cluster (`platform: kubernetes`), in place of the host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Cluster>,
    /// The one-Job-per-execution backend (Kubernetes), when the deployment uses it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jobs: Option<Jobs>,
    pub policy: Policy,
    /// Peak load, for the queueing figures and `flowcap solve`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<Workload>,
    /// What the deployment calls the api, runtime and postgres services, where it renames
    /// them (`--service`): findings name the services the operator knows.
    #[serde(skip)]
    pub service_names: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Peak arrival rate of executions.
    pub arrivals_per_minute: f64,
    /// Mean execution time.
    pub mean_duration: Seconds,
    #[serde(default)]
    pub dispatch: Dispatch,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
}

/// How executions reach runtime slots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dispatch {
    /// The Redis queue (`ASYNC_EXECUTION_BACKEND=redis`): any free slot takes the next job, one
    /// M/M/c over all slots.
    #[default]
    Queue,
    /// HTTP to `EXECUTOR_URL` spread by DNS over the runtimes: each replica an independent
    /// M/M/k with λ / replicas.
    RoundRobin,
}

/// What the operator needs; a plan meets it when every given bound holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Target {
    /// The 95th percentile of the wait for a slot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p95_wait: Option<Seconds>,
    /// The share of executions that wait at all, in per cent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_probability_percent: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Api {
    pub replicas: u32,
    /// Database pool size per API replica: Flow-Like's `max_connections(10)` in `state.rs`.
    pub db_pool: u32,
    pub limits: Resources,
    /// On Kubernetes, the pods' requests.
    #[serde(alias = "requests")]
    pub reservations: Resources,
    /// The HorizontalPodAutoscaler (Kubernetes): `replicas` is where it stands now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
    /// Whether every API replica gets the same JWT key pair (`BACKEND_KEY`/`BACKEND_PUB`);
    /// absent when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_jwt_keys: Option<bool>,
    /// Fixed host ports the service publishes (one container per host can bind each).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub published_ports: Vec<u16>,
    /// A fixed `container_name`: Compose refuses to run more than one replica with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
}

impl Default for Api {
    fn default() -> Self {
        Api {
            replicas: 1,
            db_pool: 10,
            limits: Resources::default(),
            reservations: Resources::default(),
            autoscaling: None,
            shared_jwt_keys: None,
            published_ports: Vec::new(),
            container_name: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Runtime {
    pub replicas: u32,
    /// `MAX_CONCURRENT_EXECUTIONS` per runtime replica (Flow-Like's default 10).
    pub max_concurrent_executions: u32,
    /// Database connections each runtime replica holds: 0 for Flow-Like, whose runtime
    /// reaches Postgres only through the API; set it for workers that open their own pool.
    pub db_pool: u32,
    pub limits: Resources,
    /// On Kubernetes, the pods' requests.
    #[serde(alias = "requests")]
    pub reservations: Resources,
    /// The executor pool's HorizontalPodAutoscaler (Kubernetes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
    /// Fixed host ports the service publishes (one container per host can bind each).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub published_ports: Vec<u16>,
    /// A fixed `container_name`: Compose refuses to run more than one replica with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime {
            replicas: 1,
            max_concurrent_executions: 10,
            db_pool: 0,
            limits: Resources::default(),
            reservations: Resources::default(),
            autoscaling: None,
            published_ports: Vec::new(),
            container_name: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Postgres {
    /// A managed database outside the stack (`DATABASE_URL` points elsewhere): no container.
    pub external: bool,
    pub max_connections: u32,
    pub superuser_reserved_connections: u32,
    /// PostgreSQL 16+.
    pub reserved_connections: u32,
    pub shared_buffers: Bytes,
    pub limits: Resources,
    pub reservations: Resources,
    /// Storage class for PGTune's I/O settings.
    pub storage: Storage,
    /// The database type PGTune tunes for.
    pub profile: Profile,
    /// The PostgreSQL major version (read from the compose image tag when imported): PGTune's
    /// settings depend on it.
    pub version: u32,
    /// Flow-Like's services connect as a superuser (the image's `POSTGRES_USER`, as Flow-Like's
    /// own compose file does): the reserved slots do not hold them back, and the whole of
    /// max_connections is theirs to fill. A fact of the deployment, read when imported.
    pub clients_are_superuser: bool,
}

impl Default for Postgres {
    fn default() -> Self {
        Postgres {
            external: false,
            max_connections: 100,
            superuser_reserved_connections: 3,
            reserved_connections: 0,
            shared_buffers: Bytes::mib(128),
            limits: Resources::default(),
            reservations: Resources::default(),
            storage: Storage::Ssd,
            profile: Profile::Web,
            version: DEFAULT_POSTGRES_VERSION,
            clients_are_superuser: false,
        }
    }
}

/// The PostgreSQL major version a plan assumes when it does not say: Flow-Like's compose file
/// runs `postgres:16-alpine`.
pub const DEFAULT_POSTGRES_VERSION: u32 = 16;

/// PGTune's database types.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// A web application: many short queries.
    #[default]
    Web,
    /// Online transaction processing.
    Oltp,
    /// A data warehouse: few, large queries.
    Dw,
    Desktop,
    Mixed,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Storage {
    Hdd,
    #[default]
    Ssd,
    San,
    Nvme,
}

/// Postgres clients other than the API, in connections each.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PostgresClients {
    /// postgres-exporter: two collectors with one connection each, plus one overlapping scrape.
    pub exporter: u32,
    /// The db-init job: Prisma's pool is physical CPUs × 2 + 1; 3 assumes one CPU.
    pub db_init: u32,
    /// Headroom for people with psql, backups and migrations run by hand.
    pub admin: u32,
}

impl Default for PostgresClients {
    fn default() -> Self {
        PostgresClients { exporter: 3, db_init: 3, admin: 2 }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OtherService {
    pub replicas: u32,
    pub limits: Resources,
    /// On Kubernetes, the pods' requests.
    #[serde(alias = "requests")]
    pub reservations: Resources,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub published_ports: Vec<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
}

impl Default for OtherService {
    fn default() -> Self {
        OtherService {
            replicas: 1,
            limits: Resources::default(),
            reservations: Resources::default(),
            published_ports: Vec::new(),
            container_name: None,
        }
    }
}

/// The Docker host. Both figures are required when the section is present.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    pub cpus: Cpus,
    pub memory: Bytes,
}

/// Thresholds the findings use.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Connection use past this share of usable slots warns: Flow-Like's own alert is at 80 %.
    pub connection_warning_percent: u32,
    /// Runtime memory limit per execution slot below this warns.
    pub min_memory_per_slot: Bytes,
    /// CPU limits may add up to this share of the host's CPUs (CPU is compressible).
    pub cpu_overcommit_percent: u32,
    /// Memory limits may add up to this share of the host's memory (memory is not).
    pub memory_overcommit_percent: u32,
    /// shared_buffers past this share of the Postgres memory limit warns (the docs: past 40 %
    /// rarely helps).
    pub shared_buffers_warning_percent: u32,
    /// Memory one busy Postgres backend uses (about 2 MiB idle, ~10 MB plus work_mem busy).
    pub memory_per_connection: Bytes,
    /// Every execution slot busy for more than this share of the observed time warns
    /// (`--prometheus`): executions waited for a slot.
    pub saturation_warning_percent: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            connection_warning_percent: 80,
            min_memory_per_slot: Bytes::mib(256),
            cpu_overcommit_percent: 100,
            memory_overcommit_percent: 100,
            shared_buffers_warning_percent: 40,
            memory_per_connection: Bytes::mib(10),
            saturation_warning_percent: 5,
        }
    }
}

pub const MAX_RUNTIME_REPLICAS: u32 = 1_000;
/// The most nodes a pool may have (Kubernetes supports clusters of 5,000 nodes).
pub const MAX_NODES: u32 = 5_000;
/// The most concurrent Jobs a plan may allow.
pub const MAX_JOBS: u32 = 100_000;
pub const MAX_SLOTS_PER_REPLICA: u32 = 10_000;
/// The most execution slots a plan with a workload may have: Erlang C is linear in the slots,
/// and a million keeps `--check` (the curve's twenty evaluations) well under a second.
pub const MAX_WORKLOAD_SLOTS: u64 = 1_000_000;

/// A value out of its possible range, named by its path in the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub path: String,
    pub message: String,
}

/// The whole-number keys and their bounds (inclusive), in the order `Plan::validate` checks
/// them.
pub const COUNT_RANGES: [(&str, u32, u32); 14] = [
    ("api.replicas", 1, 1_000),
    ("api.db_pool", 1, 10_000),
    ("runtime.db_pool", 0, 10_000),
    // Bounded so the queueing recursion (linear in total slots) stays fast for the TUI.
    ("runtime.replicas", 0, MAX_RUNTIME_REPLICAS),
    ("runtime.max_concurrent_executions", 0, MAX_SLOTS_PER_REPLICA),
    // PostgreSQL refuses max_connections above 262143.
    ("postgres.max_connections", 1, 262_143),
    ("postgres.superuser_reserved_connections", 0, 262_143),
    ("postgres.reserved_connections", 0, 262_143),
    ("postgres_clients.exporter", 0, 10_000),
    ("postgres_clients.db_init", 0, 10_000),
    ("postgres_clients.admin", 0, 10_000),
    ("policy.connection_warning_percent", 1, 100),
    ("policy.cpu_overcommit_percent", 1, 10_000),
    ("policy.memory_overcommit_percent", 1, 10_000),
];

/// The bounds of the whole-number key at `path`.
pub fn count_range(path: &str) -> Option<(u32, u32)> {
    COUNT_RANGES.iter().find(|(p, _, _)| *p == path).map(|(_, min, max)| (*min, *max))
}

impl Plan {
    /// Checks what types alone cannot: ranges and relations that make a plan meaningless.
    /// A plan that is merely unwise (no runtime replicas, exhausted connections) is valid: the
    /// findings say what is wrong with it.
    pub fn validate(&self) -> Result<(), Invalid> {
        let invalid = |path: &str, message: String| Err(Invalid { path: path.to_string(), message });
        // They are compose service names: an export writes them, findings print them.
        if let Some(name) = self.other_services.keys().find(|n| !is_service_name(n)) {
            let shown = crate::io::text::cut(name, 40);
            return invalid(
                "other_services",
                format!("`{shown}` is not a name Compose accepts (letters, digits, `.`, `_`, `-`)"),
            );
        }
        let values = [
            self.api.replicas,
            self.api.db_pool,
            self.runtime.db_pool,
            self.runtime.replicas,
            self.runtime.max_concurrent_executions,
            self.postgres.max_connections,
            self.postgres.superuser_reserved_connections,
            self.postgres.reserved_connections,
            self.postgres_clients.exporter,
            self.postgres_clients.db_init,
            self.postgres_clients.admin,
            self.policy.connection_warning_percent,
            self.policy.cpu_overcommit_percent,
            self.policy.memory_overcommit_percent,
        ];
        for ((path, min, max), value) in COUNT_RANGES.into_iter().zip(values) {
            if value < min || value > max {
                return invalid(path, format!("must be between {min} and {max}, got {value}"));
            }
        }
        if !(10..=99).contains(&self.postgres.version) {
            return invalid(
                "postgres.version",
                format!("must be a PostgreSQL major version from 10 to 99, got {}", self.postgres.version),
            );
        }
        if !(1..=100).contains(&self.policy.shared_buffers_warning_percent) {
            return invalid(
                "policy.shared_buffers_warning_percent",
                format!("must be between 1 and 100, got {}", self.policy.shared_buffers_warning_percent),
            );
        }
        if !(1..=100).contains(&self.policy.saturation_warning_percent) {
            return invalid(
                "policy.saturation_warning_percent",
                format!("must be between 1 and 100, got {}", self.policy.saturation_warning_percent),
            );
        }
        let pg = &self.postgres;
        // PostgreSQL will not start unless some slots remain for ordinary roles.
        if pg.superuser_reserved_connections + pg.reserved_connections >= pg.max_connections {
            return invalid(
                "postgres.max_connections",
                format!(
                    "superuser_reserved_connections ({}) + reserved_connections ({}) must be less than max_connections ({})",
                    pg.superuser_reserved_connections, pg.reserved_connections, pg.max_connections
                ),
            );
        }
        if pg.shared_buffers.0 < 128 * 1024 {
            return invalid(
                "postgres.shared_buffers",
                format!("must be at least 128 kB (PostgreSQL's minimum), got {}", pg.shared_buffers),
            );
        }
        if let Some(host) = &self.host {
            if host.cpus.0 == 0 {
                return invalid("host.cpus", "must be greater than 0".to_string());
            }
            if host.memory.0 == 0 {
                return invalid("host.memory", "must be greater than 0".to_string());
            }
        }
        self.validate_platform()?;
        if let Some(workload) = &self.workload {
            workload.validate()?;
            let slots = u64::from(self.runtime.replicas) * u64::from(self.runtime.max_concurrent_executions);
            if slots > MAX_WORKLOAD_SLOTS {
                return invalid(
                    "runtime.max_concurrent_executions",
                    format!(
                        "with a workload, runtime.replicas × max_concurrent_executions must be at most \
                         {MAX_WORKLOAD_SLOTS} (its waits take time in proportion to the slots), got {slots}"
                    ),
                );
            }
        }
        for (path, resources) in self.resource_sections() {
            if resources.cpus == Some(Cpus(0)) {
                return invalid(
                    &format!("{path}.cpus"),
                    "must be greater than 0 (leave it out for no limit)".to_string(),
                );
            }
            if resources.memory == Some(Bytes(0)) {
                return invalid(
                    &format!("{path}.memory"),
                    "must be greater than 0 (leave it out for no limit)".to_string(),
                );
            }
        }
        for (name, service) in &self.other_services {
            if service.replicas > 10_000 {
                return invalid(
                    &format!("other_services.{name}.replicas"),
                    format!("must be between 0 and 10000, got {}", service.replicas),
                );
            }
        }
        Ok(())
    }

    /// The Kubernetes parts: only on `platform: kubernetes`, and there complete.
    fn validate_platform(&self) -> Result<(), Invalid> {
        let invalid = |path: &str, message: String| Err(Invalid { path: path.to_string(), message });
        let autoscalers = [
            ("api", self.api.replicas, &self.api.autoscaling),
            ("runtime", self.runtime.replicas, &self.runtime.autoscaling),
        ];
        if self.platform == Platform::Compose {
            let kubernetes_only = [
                ("cluster", self.cluster.is_some()),
                ("jobs", self.jobs.is_some()),
                ("api.autoscaling", self.api.autoscaling.is_some()),
                ("runtime.autoscaling", self.runtime.autoscaling.is_some()),
            ];
            if let Some((path, _)) = kubernetes_only.iter().find(|(_, set)| *set) {
                return invalid(path, "is for Kubernetes plans: add `platform: kubernetes`".to_string());
            }
            return Ok(());
        }
        if self.host.is_some() {
            return invalid("host", "a Kubernetes plan has a `cluster:` of node pools, not a host".to_string());
        }
        let Some(cluster) = &self.cluster else {
            return invalid("platform", "a Kubernetes plan needs a `cluster:` with at least one node pool".to_string());
        };
        if cluster.node_pools.is_empty() {
            return invalid("cluster.node_pools", "needs at least one node pool".to_string());
        }
        for (index, pool) in cluster.node_pools.iter().enumerate() {
            let path = format!("cluster.node_pools.{index}");
            if pool.name.is_empty() || cluster.node_pools[..index].iter().any(|p| p.name == pool.name) {
                return invalid(
                    &format!("{path}.name"),
                    format!(
                        "node pool names must be given and different, got `{}`",
                        crate::io::text::cut(&pool.name, 40)
                    ),
                );
            }
            if pool.nodes > MAX_NODES || pool.max_nodes.is_some_and(|max| max < pool.nodes || max > MAX_NODES) {
                return invalid(
                    &format!("{path}.nodes"),
                    format!("nodes must be at most max_nodes, and both at most {MAX_NODES}"),
                );
            }
            if pool.cpus.0 == 0 || pool.memory.0 == 0 {
                return invalid(&format!("{path}.cpus"), "a node's cpus and memory must be greater than 0".to_string());
            }
            if let Some(allocatable) = pool.allocatable
                && (allocatable.cpus.is_some_and(|c| c > pool.cpus)
                    || allocatable.memory.is_some_and(|m| m > pool.memory))
            {
                return invalid(&format!("{path}.allocatable"), "cannot be more than the node's capacity".to_string());
            }
        }
        for (key, replicas, autoscaling) in autoscalers {
            let Some(hpa) = autoscaling else { continue };
            if hpa.min < 1 || hpa.min > replicas || replicas > hpa.max || hpa.max > MAX_RUNTIME_REPLICAS {
                return invalid(
                    &format!("{key}.autoscaling"),
                    format!(
                        "needs 1 ≤ min ≤ {key}.replicas ≤ max ≤ {MAX_RUNTIME_REPLICAS}, got min {}, replicas {replicas}, max {}",
                        hpa.min, hpa.max
                    ),
                );
            }
            if hpa.target_cpu_percent.is_none() && hpa.target_memory_percent.is_none() {
                return invalid(
                    &format!("{key}.autoscaling"),
                    "needs a CPU or a memory target (without either, Kubernetes scales on 80 % CPU)".to_string(),
                );
            }
            if hpa.target_cpu_percent == Some(0) || hpa.target_memory_percent == Some(0) {
                return invalid(
                    &format!("{key}.autoscaling"),
                    "target percentages must be greater than 0 (null for no such metric)".to_string(),
                );
            }
        }
        if let Some(jobs) = &self.jobs
            && jobs.max_concurrent > MAX_JOBS
        {
            return invalid("jobs.max_concurrent", format!("must be at most {MAX_JOBS}, got {}", jobs.max_concurrent));
        }
        Ok(())
    }

    /// The runtimes that serve the peak workload: on Kubernetes the executor pool's autoscaler
    /// scales out under load, toward its maximum.
    pub fn peak_runtime_replicas(&self) -> u32 {
        match (self.platform, self.runtime.autoscaling) {
            (Platform::Kubernetes, Some(hpa)) => hpa.max,
            _ => self.runtime.replicas,
        }
    }

    /// Every execution slot at the peak: [`Plan::peak_executors`]' replicas × slots.
    pub fn peak_slots(&self) -> u64 {
        let (replicas, slots) = self.peak_executors();
        u64::from(replicas) * u64::from(slots)
    }

    /// The executors that serve the peak, as (replicas, slots each): the executor pool at its
    /// peak; on Kubernetes with the Job backend, the pool's slots and the Job cap as one queue.
    pub fn peak_executors(&self) -> (u32, u32) {
        let (replicas, slots) = (self.peak_runtime_replicas(), self.runtime.max_concurrent_executions);
        match self.jobs {
            Some(jobs) if self.platform == Platform::Kubernetes && jobs.max_concurrent > 0 => {
                let total = u64::from(replicas) * u64::from(slots) + u64::from(jobs.max_concurrent);
                (1, u32::try_from(total).unwrap_or(u32::MAX))
            }
            _ => (replicas, slots),
        }
    }

    /// The limits and reservations (requests) of the workload at `key` (`api`, `runtime`,
    /// `postgres`, `jobs`, `other_services.NAME`), when the plan has it.
    pub fn resources_mut(&mut self, key: &str) -> Option<(&mut Resources, &mut Resources)> {
        match key {
            "api" => Some((&mut self.api.limits, &mut self.api.reservations)),
            "runtime" => Some((&mut self.runtime.limits, &mut self.runtime.reservations)),
            "postgres" => Some((&mut self.postgres.limits, &mut self.postgres.reservations)),
            "jobs" => self.jobs.as_mut().map(|jobs| (&mut jobs.limits, &mut jobs.reservations)),
            _ => {
                let service = self.other_services.get_mut(key.strip_prefix("other_services.")?)?;
                Some((&mut service.limits, &mut service.reservations))
            }
        }
    }

    /// Every resources block with its path, for validation.
    fn resource_sections(&self) -> Vec<(String, &Resources)> {
        let mut sections = vec![
            ("api.limits".to_string(), &self.api.limits),
            ("api.reservations".to_string(), &self.api.reservations),
            ("runtime.limits".to_string(), &self.runtime.limits),
            ("runtime.reservations".to_string(), &self.runtime.reservations),
            ("postgres.limits".to_string(), &self.postgres.limits),
            ("postgres.reservations".to_string(), &self.postgres.reservations),
        ];
        if let Some(jobs) = &self.jobs {
            sections.push(("jobs.limits".to_string(), &jobs.limits));
            sections.push(("jobs.reservations".to_string(), &jobs.reservations));
        }
        for (name, service) in &self.other_services {
            sections.push((format!("other_services.{name}.limits"), &service.limits));
            sections.push((format!("other_services.{name}.reservations"), &service.reservations));
        }
        sections
    }

    /// The plan as a file flowcap writes: a header saying so (and `note`, e.g. where it came
    /// from), then the YAML with a comment on every key.
    pub fn to_file_text(&self, note: &str) -> Result<String, crate::io::error::InputError> {
        let yaml =
            serde_yaml::to_string(self).map_err(|e| crate::io::error::InputError::unwritable("plan", e.to_string()))?;
        // Every plan flowcap writes explains itself: a comment on every key.
        Ok(crate::model::annotate::annotate(&format!("{} {note}\n{yaml}", crate::io::write::WRITTEN_BY)))
    }

    /// Sets the host's CPUs and/or memory (from `--host-cpus` / `--host-memory`). A plan without
    /// a host needs both; given one, the other is kept from the plan.
    pub fn set_host(&mut self, cpus: Option<Cpus>, memory: Option<Bytes>) {
        self.host = match (self.host, cpus, memory) {
            (_, Some(cpus), Some(memory)) => Some(Host { cpus, memory }),
            (Some(host), cpus, memory) => {
                Some(Host { cpus: cpus.unwrap_or(host.cpus), memory: memory.unwrap_or(host.memory) })
            }
            (None, _, _) => None,
        };
    }

    /// Takes what the deployment decides and a plan does not: the published ports and fixed
    /// container names where the plan names none, the deployment's service names, and the
    /// balancer (`NAME-lb`) an export put in front of a service the plan scales. Returns
    /// the keys it filled (`api.container_name`, `other_services.web.published_ports`).
    pub fn inherit_deployment_facts(&mut self, deployed: &Plan) -> Vec<String> {
        /// Fills one service's ports and name from the deployed service's, where empty.
        fn fill(
            key: &str,
            ports: &mut Vec<u16>,
            name: &mut Option<String>,
            from: (&[u16], &Option<String>),
        ) -> Vec<String> {
            let mut filled = Vec::new();
            if ports.is_empty() && !from.0.is_empty() {
                *ports = from.0.to_vec();
                filled.push(format!("{key}.published_ports"));
            }
            if name.is_none() && from.1.is_some() {
                name.clone_from(from.1);
                filled.push(format!("{key}.container_name"));
            }
            filled
        }
        let (api, runtime) = (&deployed.api, &deployed.runtime);
        let mut filled = fill(
            "api",
            &mut self.api.published_ports,
            &mut self.api.container_name,
            (&api.published_ports, &api.container_name),
        );
        filled.extend(fill(
            "runtime",
            &mut self.runtime.published_ports,
            &mut self.runtime.container_name,
            (&runtime.published_ports, &runtime.container_name),
        ));
        for (name, service) in &mut self.other_services {
            if let Some(deployed) = deployed.other_services.get(name) {
                filled.extend(fill(
                    &format!("other_services.{name}"),
                    &mut service.published_ports,
                    &mut service.container_name,
                    (&deployed.published_ports, &deployed.container_name),
                ));
            }
        }
        self.service_names.clone_from(&deployed.service_names);
        // The balancer an export put in front of a service the plan scales runs on the host too.
        let mut scaled: Vec<String> = [("api", self.api.replicas), ("runtime", self.runtime.replicas)]
            .into_iter()
            .filter(|(_, replicas)| *replicas > 1)
            .map(|(key, _)| self.service_name(key).to_string())
            .collect();
        scaled.extend(self.other_services.iter().filter(|(_, s)| s.replicas > 1).map(|(name, _)| name.clone()));
        for balancer in scaled.into_iter().map(|name| format!("{name}-lb")) {
            if let (false, Some(service)) =
                (self.other_services.contains_key(&balancer), deployed.other_services.get(&balancer))
            {
                self.other_services.insert(balancer.clone(), service.clone());
                filled.push(format!("other_services.{balancer}"));
            }
        }
        if deployed.postgres.clients_are_superuser && !self.postgres.clients_are_superuser {
            self.postgres.clients_are_superuser = true;
            filled.push("postgres.clients_are_superuser".into());
        }
        filled
    }

    /// Clears a fact [`Plan::inherit_deployment_facts`] filled, by its key.
    pub fn forget_fact(&mut self, key: &str) {
        // A whole service (a balancer) the plan took from the deployment.
        if let Some(name) = key.strip_prefix("other_services.")
            && self.other_services.remove(name).is_some()
        {
            return;
        }
        let Some((service, fact)) = key.rsplit_once('.') else { return };
        let (ports, name) = match service {
            "api" => (&mut self.api.published_ports, &mut self.api.container_name),
            "runtime" => (&mut self.runtime.published_ports, &mut self.runtime.container_name),
            other => match other.strip_prefix("other_services.").and_then(|n| self.other_services.get_mut(n)) {
                Some(service) => (&mut service.published_ports, &mut service.container_name),
                None => return,
            },
        };
        match fact {
            "published_ports" => ports.clear(),
            "container_name" => *name = None,
            _ => {}
        }
    }

    /// The plan without what the deployment decides (published ports, container names): a
    /// plan written from a deployment takes them again from the files it is checked against,
    /// so an override that moves a port is not held to the old one.
    pub fn without_deployment_facts(&self) -> Plan {
        let mut plan = self.clone();
        let services = ["api", "runtime"].into_iter().map(String::from);
        let keys: Vec<String> =
            services.chain(self.other_services.keys().map(|n| format!("other_services.{n}"))).collect();
        for key in keys {
            plan.forget_fact(&format!("{key}.published_ports"));
            plan.forget_fact(&format!("{key}.container_name"));
        }
        plan
    }

    /// The deployment's name for the service behind plan key `key` (`api`, `runtime`,
    /// `postgres`): its own when it renames it.
    pub fn service_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.service_names.get(key).map_or(key, String::as_str)
    }

    /// Total execution slots: runtime replicas × `MAX_CONCURRENT_EXECUTIONS`.
    pub fn execution_slots(&self) -> u64 {
        u64::from(self.runtime.replicas) * u64::from(self.runtime.max_concurrent_executions)
    }
}

/// Compose's service names, `[a-zA-Z0-9._-]+`: what a plan's other services and a
/// deployment's services may be called.
pub fn is_service_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl Workload {
    fn validate(&self) -> Result<(), Invalid> {
        let invalid = |path: &str, message: String| Err(Invalid { path: path.to_string(), message });
        let rate = self.arrivals_per_minute;
        if !(rate > 0.0 && rate <= 10_000_000.0) {
            return invalid(
                "workload.arrivals_per_minute",
                format!("must be more than 0 and at most 10000000, got {rate}"),
            );
        }
        let duration = self.mean_duration.0;
        // A week: Flow-Like's own execution timeout defaults to an hour.
        if !(duration > 0.0 && duration <= 604_800.0) {
            return invalid(
                "workload.mean_duration",
                format!("must be more than 0 s and at most 7 days, got {duration} s"),
            );
        }
        let Some(target) = &self.target else { return Ok(()) };
        if target.p95_wait.is_none() && target.wait_probability_percent.is_none() {
            return invalid("workload.target", "give p95_wait, wait_probability_percent or both".to_string());
        }
        if let Some(p95) = target.p95_wait
            && !(p95.0 >= 0.0 && p95.0.is_finite())
        {
            return invalid("workload.target.p95_wait", format!("must be 0 s or more, got {} s", p95.0));
        }
        if let Some(percent) = target.wait_probability_percent
            && !(0.0..=100.0).contains(&percent)
        {
            return invalid(
                "workload.target.wait_probability_percent",
                format!("must be between 0 and 100, got {percent}"),
            );
        }
        Ok(())
    }
}
