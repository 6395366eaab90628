//! The plan: what an operator deploys, as a YAML file. Defaults come from FACTS.md (Flow-Like's
//! compose file and source, PostgreSQL's docs) and are documented in docs/reference.md.

use crate::model::cluster::{Autoscaling, Cluster, Constraints, Jobs, Platform};
use crate::model::cockroach::CockroachDb;
use crate::model::redis::Redis;
use crate::model::resources::Resources;
use crate::model::service::ServiceKey;
use crate::model::units::{Bytes, Cpus};
pub use crate::model::workload::{PathLoad, Target, Workload, WrittenAs, lognormal_sigma, max_p95_ratio};
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
    /// Where each workload's pods may run (Kubernetes), by its plan key (`api`,
    /// `other_services.web`): their nodeSelector, tolerations and required node affinity.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_placement: BTreeMap<String, Constraints>,
    /// Redis's own settings (its container's limits are `other_services.redis`'s); absent
    /// when not known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<Redis>,
    /// The chart's internal database (`database.type: internal`): CockroachDB, not PostgreSQL.
    /// Its pods are `other_services.cockroachdb`; `postgres` then does not apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cockroachdb: Option<CockroachDb>,
    pub policy: Policy,
    /// Peak load, for the queueing figures and `flowcap solve`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<Workload>,
    /// What the deployment calls the api, runtime and postgres services, where it renames
    /// them (`--service`): findings name the services the operator knows.
    #[serde(skip)]
    pub service_names: BTreeMap<String, String>,
}

/// How HTTP runs reach the runtimes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HttpRouting {
    /// `EXECUTOR_URL` names the runtime service (Compose as shipped): the API resolves it
    /// through glibc's `getaddrinfo`, which puts the same address first every time, so one
    /// runtime may take every HTTP run.
    #[default]
    Dns,
    /// A balancer that takes every replica in turn (flowcap's runtime balancer), or a
    /// Kubernetes Service: HTTP runs are spread evenly.
    Balanced,
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
    /// How the API's HTTP runs reach the replicas (Compose; a Kubernetes Service balances).
    #[serde(skip_serializing_if = "is_dns")]
    pub http_routing: HttpRouting,
    /// What a runtime holds with nothing running (`docker stats` at idle): the streaming
    /// path's memory fit is (limit − this) ÷ memory per execution.
    #[serde(skip_serializing_if = "Bytes::is_zero")]
    pub base_memory: Bytes,
}

fn is_dns(routing: &HttpRouting) -> bool {
    *routing == HttpRouting::Dns
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
            http_routing: HttpRouting::Dns,
            base_memory: Bytes(0),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Postgres {
    /// A managed database outside the stack (`DATABASE_URL` points elsewhere): no container.
    pub external: bool,
    /// The managed database's provider and instance: their defaults give max_connections and
    /// the reserved connections where the plan does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed: Option<crate::model::managed::Managed>,
    pub max_connections: u32,
    /// The operator gave max_connections (the plan file, the planner, a fix): a managed
    /// database's figure is then theirs, not a guess from the provider's defaults.
    #[serde(skip)]
    pub max_connections_given: bool,
    pub superuser_reserved_connections: u32,
    /// PostgreSQL 16+.
    pub reserved_connections: u32,
    /// The operator's shared_buffers. Unset, the server runs PostgreSQL's default (128MB), or
    /// PGTune's with `pgtune`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_buffers: Option<Bytes>,
    /// PGTune's settings are written (`flowcap export --pgtune`) and judged: the worst-case
    /// memory follows them.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pgtune: bool,
    /// How much data the database holds: PGTune's data size against RAM (unknown: its
    /// default, one to three times RAM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_size: Option<Bytes>,
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
    /// The server may use io_uring: its container runs without a seccomp profile (Compose's
    /// `security_opt: [seccomp=unconfined]`), so PGTune's io_method = io_uring is written on
    /// PostgreSQL 18. Docker's default profile blocks it. A fact of the deployment.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub io_uring: bool,
}

impl Default for Postgres {
    fn default() -> Self {
        Postgres {
            external: false,
            managed: None,
            max_connections: 100,
            max_connections_given: false,
            superuser_reserved_connections: 3,
            reserved_connections: 0,
            shared_buffers: None,
            pgtune: false,
            data_size: None,
            limits: Resources::default(),
            reservations: Resources::default(),
            storage: Storage::Ssd,
            profile: Profile::Web,
            version: DEFAULT_POSTGRES_VERSION,
            clients_are_superuser: false,
            io_uring: false,
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

impl Profile {
    /// The name the plan file and PGTune use: `web`, `dw`.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Web => "web",
            Profile::Oltp => "oltp",
            Profile::Dw => "dw",
            Profile::Desktop => "desktop",
            Profile::Mixed => "mixed",
        }
    }
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
    /// The HorizontalPodAutoscaler, where the chart gives the service one (only `web`):
    /// `replicas` is where it stands now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
}

impl Default for OtherService {
    fn default() -> Self {
        OtherService {
            replicas: 1,
            limits: Resources::default(),
            reservations: Resources::default(),
            published_ports: Vec::new(),
            container_name: None,
            autoscaling: None,
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
    /// The share of the peak in which some runtime holds more streaming runs than its memory
    /// fits: past this, an error (an OOM kill takes every run on that runtime) ...
    pub streaming_memory_error_percent: f64,
    /// ... and past this, a warning.
    pub streaming_memory_warning_percent: f64,
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
            streaming_memory_error_percent: 1.0,
            streaming_memory_warning_percent: 0.1,
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

impl Plan {
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

    /// Every HorizontalPodAutoscaler the plan sets, with its workload's plan key and replicas
    /// now: the API's, the executor pool's, and an other service's (the chart's web).
    pub fn autoscalers(&self) -> Vec<(ServiceKey, u32, Autoscaling)> {
        let mut autoscalers: Vec<(ServiceKey, u32, Autoscaling)> = [
            (ServiceKey::Api, self.api.replicas, self.api.autoscaling),
            (ServiceKey::Runtime, self.runtime.replicas, self.runtime.autoscaling),
        ]
        .into_iter()
        .filter_map(|(key, replicas, hpa)| Some((key, replicas, hpa?)))
        .collect();
        for (name, service) in &self.other_services {
            if let Some(hpa) = service.autoscaling {
                autoscalers.push((ServiceKey::other(name), service.replicas, hpa));
            }
        }
        autoscalers
    }

    /// The limits and reservations (requests) of the workload at `key` (`api`, `runtime`,
    /// `postgres`, `jobs`, `other_services.NAME`), when the plan has it.
    pub fn resources_mut(&mut self, key: &ServiceKey) -> Option<(&mut Resources, &mut Resources)> {
        match key {
            ServiceKey::Api => Some((&mut self.api.limits, &mut self.api.reservations)),
            ServiceKey::Runtime => Some((&mut self.runtime.limits, &mut self.runtime.reservations)),
            ServiceKey::Postgres => Some((&mut self.postgres.limits, &mut self.postgres.reservations)),
            ServiceKey::Jobs => self.jobs.as_mut().map(|jobs| (&mut jobs.limits, &mut jobs.reservations)),
            ServiceKey::Other(name) => {
                let service = self.other_services.get_mut(name.as_ref())?;
                Some((&mut service.limits, &mut service.reservations))
            }
        }
    }

    /// The plan keys of its workloads (`api`, `runtime`, `postgres`, `jobs` when it has Jobs,
    /// `other_services.NAME`): what `cluster.constraints` may name.
    pub(crate) fn workload_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = ["api", "runtime", "postgres"].map(String::from).into();
        if self.jobs.is_some() {
            keys.push("jobs".into());
        }
        keys.extend(self.other_services.keys().map(|name| format!("other_services.{name}")));
        keys
    }

    /// Every resources block with its path, for validation.
    pub(crate) fn resource_sections(&self) -> Vec<(String, &Resources)> {
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

    /// The deployment's name for the service behind plan key `key` (`api`, `runtime`,
    /// `postgres`): its own when it renames it.
    pub fn service_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.service_names.get(key).map_or(key, String::as_str)
    }

    /// The workload's queued runs, when it has any arriving.
    pub fn queued_runs(&self) -> Option<crate::model::workload::PathLoad> {
        self.workload.as_ref()?.queued.filter(|q| q.arrivals_per_minute > 0.0)
    }

    /// Whether anything takes the queued runs off the queue: every runtime's queue worker under
    /// Compose; on Kubernetes only the Job backend (the chart's executor pool runs no worker).
    pub fn queue_consumed(&self) -> bool {
        self.platform.is_compose() || self.jobs.is_some()
    }

    /// Total execution slots: runtime replicas × `MAX_CONCURRENT_EXECUTIONS`.
    pub fn execution_slots(&self) -> u64 {
        u64::from(self.runtime.replicas) * u64::from(self.runtime.max_concurrent_executions)
    }
}
