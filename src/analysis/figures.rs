//! The figures: pure functions of the plan, cheap enough to recompute on every keystroke.

use crate::analysis::cockroach::{self, CockroachFigures};
use crate::analysis::orders::{self, Scheduling};
use crate::analysis::placement::{Placement, Scale};
use crate::analysis::pod_workloads;
pub use crate::analysis::postgres_memory::PostgresMemory;
use crate::analysis::redis::{self, RedisFigures};
use crate::analysis::streaming::{self, StreamingFigures};
use crate::analysis::workload::{self, QueuedFigures};
use crate::model::cluster::Autoscaling;
use crate::model::plan::Plan;
use crate::model::resources::Resources;
use crate::model::service::ServiceKey;
use crate::model::units::{Bytes, Cpus, round4};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Analysis {
    /// Runtime replicas × `MAX_CONCURRENT_EXECUTIONS`.
    pub concurrent_executions: u64,
    /// Whether anything consumes the queued runs: not on Kubernetes without the Job backend,
    /// where the chart's executor pool runs no queue worker (and reads no
    /// `MAX_CONCURRENT_EXECUTIONS`).
    pub queue_consumed: bool,
    pub runtime_replicas: u32,
    pub slots_per_replica: u32,
    pub per_slot: PerSlot,
    pub connections: Connections,
    /// `None` when the plan has no `host`: host-fit checks are skipped.
    pub host: Option<HostFit>,
    /// The pods on the cluster's nodes, now and at every autoscaler's maximum (Kubernetes).
    pub cluster: Option<ClusterFit>,
    /// The figures with every autoscaler at its maximum and every Job running (Kubernetes
    /// plans with an autoscaler or the Job backend).
    pub at_maximum: Option<AtMaximum>,
    pub postgres: PostgresMemory,
    /// The queued path's waits, when the workload has queued runs.
    pub queued: Option<QueuedFigures>,
    /// The streaming path's runs per runtime, when the workload has streaming runs.
    pub streaming: Option<StreamingFigures>,
    /// `queued: 40 at once (4 × 10) · streaming: no limit — at the peak, mean 12, p99 21 per
    /// runtime`: what runs at once, by path.
    pub capacity: String,
    /// Redis's memory against the state Flow-Like keeps, when the plan has a `redis` section.
    pub redis: Option<RedisFigures>,
    /// The chart's internal CockroachDB, when the plan runs it (then `connections` is held
    /// against its guidance, not a max_connections).
    pub cockroachdb: Option<CockroachFigures>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClusterFit {
    /// The pods packed first fit, largest first (or smallest first where that places more):
    /// what a rollout with room in the right order would place.
    pub now: Placement,
    pub at_maximum: Placement,
    /// The pods as kube-scheduler places them, in every order they may arrive in.
    pub scheduling: Scheduling,
    /// What one node of each pool offers the plan's pods.
    pub pools: Vec<PoolOffer>,
}

/// What one node of a pool offers the plan's pods: its allocatable (the provider's
/// reservations, or as given) less the DaemonSets.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoolOffer {
    pub name: String,
    pub nodes: u32,
    pub provider: &'static str,
    pub cpus: f64,
    pub memory_bytes: u64,
    /// maxPods less the DaemonSets' pods.
    pub pods: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AtMaximum {
    pub api_replicas: u32,
    pub runtime_replicas: u32,
    /// Executor pool slots plus the Job cap.
    pub concurrent_executions: u64,
    /// The connection budget when the API has scaled out: the failure autoscaling brings at
    /// the worst moment.
    pub connections: Connections,
}

/// What one execution slot gets when every slot of a runtime is busy (its limits ÷ slots).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PerSlot {
    /// `None` when the runtime has no memory limit or no slots.
    pub memory_bytes: Option<u64>,
    pub cpus: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConnectionClient {
    pub name: &'static str,
    pub connections: u64,
    /// How the figure comes about, e.g. "2 × 10".
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Connections {
    pub clients: Vec<ConnectionClient>,
    pub used: u64,
    pub max_connections: u64,
    /// superuser_reserved_connections + reserved_connections: not for ordinary roles (0 when the
    /// clients connect as a superuser; a managed database's superuser slots alone when they
    /// connect as its admin user).
    pub reserved: u64,
    /// The clients connect as a superuser, or as a managed database's admin user.
    pub clients_are_superuser: bool,
    /// max_connections − reserved: what the clients can actually open.
    pub usable: u64,
    /// used ÷ usable.
    pub share: f64,
    /// usable − used; negative when exhausted.
    pub headroom: i64,
    /// The most connections that stay at or under the policy's warning line.
    pub warning_line: u64,
    /// The smallest max_connections that keeps `used` at or under the warning line.
    pub required_max_connections: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HostFit {
    pub cpus: f64,
    pub memory_bytes: u64,
    pub cpu_limits: f64,
    pub cpu_reservations: f64,
    pub memory_limits_bytes: u64,
    pub memory_reservations_bytes: u64,
    pub cpu_limits_share: f64,
    pub cpu_reservations_share: f64,
    pub memory_limits_share: f64,
    pub memory_reservations_share: f64,
    /// Services without a CPU or memory limit: they may use the whole host, so the sums of
    /// limits understate what can run.
    pub unlimited: Vec<String>,
}

/// One kind of container the plan knows, with how many run.
#[derive(Clone, Debug, PartialEq)]
pub struct Container<'a> {
    /// Where it stands in the plan: `api`, `runtime`, `postgres`, `other_services.redis`.
    pub key: ServiceKey,
    /// The service's name in the deployment.
    pub name: &'a str,
    pub replicas: u32,
    pub limits: &'a Resources,
    pub reservations: &'a Resources,
    /// Fixed host ports it publishes.
    pub published_ports: &'a [u16],
    pub container_name: Option<&'a str>,
    /// Its HorizontalPodAutoscaler (Kubernetes): `replicas` is where it stands now.
    pub autoscaling: Option<Autoscaling>,
}

impl Plan {
    /// Every long-running container the plan knows (the external database runs elsewhere).
    pub fn containers(&self) -> Vec<Container<'_>> {
        let mut containers = vec![
            Container {
                key: ServiceKey::Api,
                name: self.service_name("api"),
                replicas: self.api.replicas,
                limits: &self.api.limits,
                reservations: &self.api.reservations,
                published_ports: &self.api.published_ports,
                container_name: self.api.container_name.as_deref(),
                autoscaling: self.api.autoscaling,
            },
            Container {
                key: ServiceKey::Runtime,
                name: self.service_name("runtime"),
                replicas: self.runtime.replicas,
                limits: &self.runtime.limits,
                reservations: &self.runtime.reservations,
                published_ports: &self.runtime.published_ports,
                container_name: self.runtime.container_name.as_deref(),
                autoscaling: self.runtime.autoscaling,
            },
        ];
        if !self.postgres.external {
            containers.push(Container {
                key: ServiceKey::Postgres,
                name: self.service_name("postgres"),
                replicas: 1,
                limits: &self.postgres.limits,
                reservations: &self.postgres.reservations,
                published_ports: &[],
                container_name: None,
                autoscaling: None,
            });
        }
        for (name, service) in &self.other_services {
            containers.push(Container {
                key: ServiceKey::other(name),
                name,
                replicas: service.replicas,
                limits: &service.limits,
                reservations: &service.reservations,
                published_ports: &service.published_ports,
                container_name: service.container_name.as_deref(),
                autoscaling: service.autoscaling,
            });
        }
        containers
    }
}

pub fn analyze(plan: &Plan) -> Analysis {
    let connections = connections(plan);
    Analysis {
        cluster: plan.cluster.as_ref().map(|cluster| {
            let scheduling = orders::every_order(cluster, &pod_workloads::workloads(plan));
            let pools = cluster
                .node_pools
                .iter()
                .map(|pool| {
                    let offer = super::node_model::offer(cluster, pool);
                    PoolOffer {
                        name: pool.name.clone(),
                        nodes: pool.nodes,
                        provider: cluster.provider.name(),
                        cpus: Cpus(offer.cpus).as_f64(),
                        memory_bytes: offer.memory,
                        pods: offer.pods,
                    }
                })
                .collect();
            let [now, at_maximum] = [Scale::Now, Scale::Maximum].map(|scale| pod_workloads::fit(cluster, plan, scale));
            ClusterFit { now, at_maximum, scheduling, pools }
        }),
        at_maximum: at_maximum(plan),
        concurrent_executions: plan.execution_slots(),
        queue_consumed: plan.queue_consumed(),
        runtime_replicas: plan.runtime.replicas,
        slots_per_replica: plan.runtime.max_concurrent_executions,
        per_slot: per_slot(plan),
        host: host_fit(plan),
        postgres: PostgresMemory::of(plan, connections.used),
        connections,
        queued: plan.workload.as_ref().and_then(|w| {
            let (replicas, slots) = plan.peak_executors();
            workload::figures(w, replicas, slots)
        }),
        // HTTP runs reach the executor pool (its Service), never a Job: the pool's pods where
        // its autoscaler settles at the peak.
        streaming: streaming::figures(plan, super::autoscaler::streaming_replicas(plan))
            .map(|s| StreamingFigures { autoscaler: super::autoscaler::settled(plan), ..s }),
        capacity: String::new(),
        redis: None,
        cockroachdb: None,
    }
    .with_capacity(plan)
    .with_redis(plan)
    .with_cockroachdb(plan)
}

impl Analysis {
    /// Fills `cockroachdb`: it holds the connections now and at the maximum.
    fn with_cockroachdb(mut self, plan: &Plan) -> Analysis {
        let at_maximum = self.at_maximum.as_ref().map_or(self.connections.used, |m| m.connections.used);
        self.cockroachdb = cockroach::figures(plan, self.connections.used, at_maximum);
        self
    }

    /// Fills `redis`: its state estimate reads the queued backlog.
    fn with_redis(mut self, plan: &Plan) -> Analysis {
        self.redis = redis::figures(plan, self.queued.as_ref());
        self
    }

    /// Fills `capacity`: the queued bound as replicas × slots, and the streaming path's
    /// runs per runtime (a plan without streaming runs says only that HTTP runs have no limit).
    fn with_capacity(mut self, plan: &Plan) -> Analysis {
        let queued = if self.queue_consumed {
            format!(
                "queued: {} at once ({} × {})",
                self.concurrent_executions, plan.runtime.replicas, plan.runtime.max_concurrent_executions
            )
        } else {
            "queued: none run (the chart's executor pool has no queue worker)".to_string()
        };
        let streaming = match &self.streaming {
            Some(figures) => figures.summary(),
            None => "no limit".to_string(),
        };
        self.capacity = format!("{queued} · streaming: {streaming}");
        self
    }
}

fn at_maximum(plan: &Plan) -> Option<AtMaximum> {
    if plan.api.autoscaling.is_none() && plan.runtime.autoscaling.is_none() && plan.jobs.is_none() {
        return None;
    }
    let mut scaled = plan.clone();
    scaled.api.replicas = plan.api.autoscaling.map_or(plan.api.replicas, |hpa| hpa.max);
    scaled.runtime.replicas = plan.runtime.autoscaling.map_or(plan.runtime.replicas, |hpa| hpa.max);
    Some(AtMaximum {
        api_replicas: scaled.api.replicas,
        runtime_replicas: scaled.runtime.replicas,
        concurrent_executions: scaled.execution_slots() + plan.jobs.map_or(0, |jobs| u64::from(jobs.max_concurrent)),
        connections: connections(&scaled),
    })
}

pub fn per_slot(plan: &Plan) -> PerSlot {
    let slots = u64::from(plan.runtime.max_concurrent_executions);
    if slots == 0 {
        return PerSlot { memory_bytes: None, cpus: None };
    }
    PerSlot {
        memory_bytes: plan.runtime.limits.memory.map(|m| m.0 / slots),
        cpus: plan.runtime.limits.cpus.map(|c| round4(c.as_f64() / slots as f64)),
    }
}

fn connections(plan: &Plan) -> Connections {
    let api = u64::from(plan.api.replicas) * u64::from(plan.api.db_pool);
    let others = &plan.postgres_clients;
    let mut clients = vec![ConnectionClient {
        name: "api",
        connections: api,
        detail: format!("{} × {}", plan.api.replicas, plan.api.db_pool),
    }];
    if plan.runtime.db_pool > 0 {
        clients.push(ConnectionClient {
            name: "runtime",
            connections: u64::from(plan.runtime.replicas) * u64::from(plan.runtime.db_pool),
            detail: format!("{} × {}", plan.runtime.replicas, plan.runtime.db_pool),
        });
    }
    if plan.monitoring {
        clients.push(ConnectionClient {
            name: "exporter",
            connections: others.exporter.into(),
            detail: "postgres-exporter".into(),
        });
    }
    clients.push(ConnectionClient { name: "db-init", connections: others.db_init.into(), detail: "schema job".into() });
    clients.push(ConnectionClient { name: "admin", connections: others.admin.into(), detail: "psql, backups".into() });
    let used: u64 = clients.iter().map(|c| c.connections).sum();
    let pg = &plan.postgres;
    let max_connections = u64::from(pg.max_connections);
    // A superuser may take the reserved slots too: then nothing is held back from the clients.
    // A managed database's admin user (RDS's master, Cloud SQL's and Azure's admin) is no
    // superuser: it takes the provider's reserved slots (RDS's 2 rds_superuser ones), not the
    // superusers' (the provider's own).
    let reserved = match (pg.clients_are_superuser, pg.managed.is_some()) {
        (true, false) => 0,
        (true, true) => u64::from(pg.superuser_reserved_connections),
        (false, _) => u64::from(pg.superuser_reserved_connections) + u64::from(pg.reserved_connections),
    };
    let usable = max_connections.saturating_sub(reserved);
    let percent = u64::from(plan.policy.connection_warning_percent);
    Connections {
        clients,
        used,
        max_connections,
        reserved,
        clients_are_superuser: pg.clients_are_superuser,
        usable,
        share: round4(used as f64 / usable as f64),
        headroom: usable as i64 - used as i64,
        warning_line: usable * percent / 100,
        // used ≤ usable × percent / 100  ⇔  usable ≥ ceil(used × 100 / percent)
        required_max_connections: (used * 100).div_ceil(percent) + reserved,
    }
}

pub fn host_fit(plan: &Plan) -> Option<HostFit> {
    let host = plan.host?;
    let mut cpu_limits = 0u64;
    let mut cpu_reservations = 0u64;
    let mut memory_limits = 0u64;
    let mut memory_reservations = 0u64;
    let mut unlimited = Vec::new();
    for container in plan.containers() {
        let replicas = u64::from(container.replicas);
        let total = |value: Option<u64>| value.unwrap_or(0).saturating_mul(replicas);
        cpu_limits = cpu_limits.saturating_add(total(container.limits.cpus.map(|c| c.0)));
        cpu_reservations = cpu_reservations.saturating_add(total(container.reservations.cpus.map(|c| c.0)));
        memory_limits = memory_limits.saturating_add(total(container.limits.memory.map(|m| m.0)));
        memory_reservations = memory_reservations.saturating_add(total(container.reservations.memory.map(|m| m.0)));
        if replicas > 0 && (container.limits.cpus.is_none() || container.limits.memory.is_none()) {
            unlimited.push(container.name.to_string());
        }
    }
    let share = |used: u64, of: u64| round4(used as f64 / of as f64);
    Some(HostFit {
        cpus: host.cpus.as_f64(),
        memory_bytes: host.memory.0,
        cpu_limits: Cpus(cpu_limits).as_f64(),
        cpu_reservations: Cpus(cpu_reservations).as_f64(),
        memory_limits_bytes: memory_limits,
        memory_reservations_bytes: memory_reservations,
        cpu_limits_share: share(cpu_limits, host.cpus.0),
        cpu_reservations_share: share(cpu_reservations, host.cpus.0),
        memory_limits_share: share(memory_limits, host.memory.0),
        memory_reservations_share: share(memory_reservations, host.memory.0),
        unlimited,
    })
}

impl PerSlot {
    pub fn memory(&self) -> Option<Bytes> {
        self.memory_bytes.map(Bytes)
    }
}
