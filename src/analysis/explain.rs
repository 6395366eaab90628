//! Why each default is what it is: `flowcap explain` lists every value a plan leaves to
//! flowcap, where the figure comes from, and whether the plan changed it.

use crate::model::plan::Plan;

/// One default and its source.
pub struct Explained {
    pub path: &'static str,
    /// The value in a plan, as shown.
    pub read: fn(&Plan) -> String,
    pub source: &'static str,
}

/// Every default a plan may rely on, with where its figure comes from (FACTS.md).
pub const DEFAULTS: &[Explained] = &[
    Explained {
        path: "api.db_pool",
        read: |p| p.api.db_pool.to_string(),
        source: "Flow-Like packages/api/src/state.rs: max_connections(10) per API instance (sqlx's default is 10 too)",
    },
    Explained {
        path: "runtime.db_pool",
        read: |p| p.runtime.db_pool.to_string(),
        source: "Flow-Like's runtime holds no database connection (it reaches Postgres through the API)",
    },
    Explained {
        path: "runtime.max_concurrent_executions",
        read: |p| p.runtime.max_concurrent_executions.to_string(),
        source: "Flow-Like docker-compose.yml: MAX_CONCURRENT_EXECUTIONS: ${MAX_CONCURRENT_EXECUTIONS:-10}",
    },
    Explained {
        path: "runtime.http_routing",
        read: |p| format!("{:?}", p.runtime.http_routing).to_lowercase(),
        source: "Flow-Like docker-compose.yml: EXECUTOR_URL: http://runtime:9000, which the API resolves itself (glibc puts the same address first every time): the streaming figures assume one runtime takes every HTTP run; balanced behind flowcap's balancer or a Kubernetes Service",
    },
    Explained {
        path: "runtime.base_memory",
        read: |p| p.runtime.base_memory.to_string(),
        source: "flowcap assumes 0: set a runtime's memory with nothing running (docker stats at idle) for the streaming memory fit",
    },
    Explained {
        path: "workload.*.duration spread",
        read: |p| {
            let q = p.workload.as_ref().and_then(|w| w.queued);
            if q.is_some_and(|q| q.p95_duration.is_some() || q.duration_cv.is_some()) {
                "given".into()
            } else {
                "cv 1".into()
            }
        },
        source: "without p95_duration or duration_cv, durations are exponential (cv 1): M/M/c, Erlang C",
    },
    Explained {
        path: "workload.queued.memory_per_execution",
        read: |p| {
            let w = p.workload.as_ref();
            match (w.and_then(|w| w.queued?.memory_per_execution), w.and_then(|w| w.streaming?.memory_per_execution)) {
                (Some(m), _) => m.to_string(),
                (None, Some(m)) => format!("{m} (the streaming runs')"),
                (None, None) => "unknown".into(),
            }
        },
        source: "flowcap: without its own, a queued run takes what a streaming one does; each runtime keeps MAX_CONCURRENT_EXECUTIONS of them before its streaming runs (and their CPU likewise)",
    },
    Explained {
        path: "postgres.max_connections",
        read: |p| p.postgres.max_connections.to_string(),
        source: "PostgreSQL's default; with postgres.managed, the provider's for the instance (docs/design.md, Managed databases)",
    },
    Explained {
        path: "postgres.superuser_reserved_connections",
        read: |p| p.postgres.superuser_reserved_connections.to_string(),
        source: "PostgreSQL's default; with postgres.managed, the provider's own (RDS 3 + 2 rds_superuser, Azure 15)",
    },
    Explained {
        path: "postgres.reserved_connections",
        read: |p| p.postgres.reserved_connections.to_string(),
        source: "PostgreSQL 16's default; with postgres.managed, the provider's (RDS 2 for rds_superuser), which its admin user takes too (postgres.clients_are_superuser)",
    },
    Explained {
        path: "postgres.shared_buffers",
        read: |p| crate::analysis::postgres_memory::PostgresMemory::of(p, 0).shared_buffers().to_string(),
        source: "PostgreSQL's default, or PGTune's with postgres.pgtune (the docs suggest 25 % of RAM on a dedicated server)",
    },
    Explained {
        path: "postgres.pgtune",
        read: |p| p.postgres.pgtune.to_string(),
        source: "off: PostgreSQL's defaults are written and judged; flowcap export --pgtune writes PGTune's",
    },
    Explained {
        path: "postgres.data_size",
        read: |p| p.postgres.data_size.map_or("unknown".into(), |size| size.to_string()),
        source: "unknown: PGTune's default, one to three times the memory it is given",
    },
    Explained {
        path: "postgres.storage",
        read: |p| format!("{:?}", p.postgres.storage).to_lowercase(),
        source: "flowcap's assumption for PGTune's I/O settings",
    },
    Explained {
        path: "postgres.profile",
        read: |p| p.postgres.profile.name().to_string(),
        source: "PGTune's database type; Flow-Like serves a web application",
    },
    Explained {
        path: "postgres.version",
        read: |p| p.postgres.version.to_string(),
        source: "the postgres image tag when imported (postgres:16-alpine → 16); else Flow-Like's postgres:16-alpine",
    },
    Explained {
        path: "postgres_clients.exporter",
        read: |p| p.postgres_clients.exporter.to_string(),
        source: "postgres_exporter: two collectors with SetMaxOpenConns(1), plus one overlapping scrape",
    },
    Explained {
        path: "postgres_clients.db_init",
        read: |p| p.postgres_clients.db_init.to_string(),
        source: "Prisma's pool is physical CPUs × 2 + 1; 3 assumes one CPU",
    },
    Explained {
        path: "postgres_clients.admin",
        read: |p| p.postgres_clients.admin.to_string(),
        source: "flowcap's headroom for people with psql and backups",
    },
    Explained {
        path: "policy.connection_warning_percent",
        read: |p| p.policy.connection_warning_percent.to_string(),
        source: "Flow-Like monitoring/prometheus/rules/alerts.yml alerts at connections / max_connections > 0.8",
    },
    Explained {
        path: "policy.min_memory_per_slot",
        read: |p| p.policy.min_memory_per_slot.to_string(),
        source: "flowcap's floor for one workflow execution; set it from your own flows",
    },
    Explained {
        path: "policy.cpu_overcommit_percent",
        read: |p| p.policy.cpu_overcommit_percent.to_string(),
        source: "flowcap: CPU limits within the host (CPU is compressible; raise it to allow overcommit)",
    },
    Explained {
        path: "policy.memory_overcommit_percent",
        read: |p| p.policy.memory_overcommit_percent.to_string(),
        source: "flowcap: memory limits within the host (past it, the kernel's OOM killer decides)",
    },
    Explained {
        path: "policy.shared_buffers_warning_percent",
        read: |p| p.policy.shared_buffers_warning_percent.to_string(),
        source: "PostgreSQL docs: more than 40 % of RAM for shared_buffers rarely helps",
    },
    Explained {
        path: "policy.memory_per_connection",
        read: |p| p.policy.memory_per_connection.to_string(),
        source: "a busy backend: ~10 MB plus work_mem per sort (about 2 MiB idle, measured)",
    },
    Explained {
        path: "policy.saturation_warning_percent",
        read: |p| p.policy.saturation_warning_percent.to_string(),
        source: "flowcap: with --prometheus, every slot busy more than this share of the time is waiting that shows",
    },
    Explained {
        path: "policy.streaming_memory_error_percent",
        read: |p| p.policy.streaming_memory_error_percent.to_string(),
        source: "flowcap: some runtime past its memory fit for more than 1 % of the peak (an OOM kill takes every run on it) is an error",
    },
    Explained {
        path: "policy.streaming_memory_warning_percent",
        read: |p| p.policy.streaming_memory_warning_percent.to_string(),
        source: "flowcap: past 0.1 % of the peak a warning; solve and the fixes size to stay under it",
    },
    Explained {
        path: "redis.maxmemory_policy",
        read: |p| p.redis.as_ref().map_or("(no redis section)".into(), |r| r.maxmemory_policy.to_string()),
        source: "Redis's default, noeviction (a full Redis refuses writes); what flowcap export writes",
    },
    Explained {
        path: "redis state kept",
        read: |_| "24 h".into(),
        source: "Flow-Like packages/api/src/execution/state/redis.rs: DEFAULT_TTL_SECS 86400, and callers set expires_at to now + 24 h; the compose file's EXECUTION_STATE_TTL_SECONDS is read by nothing",
    },
];

/// The defaults only a Kubernetes plan relies on (the chart's values.yaml, FACTS.md).
pub const KUBERNETES_DEFAULTS: &[Explained] = &[
    Explained {
        path: "*.autoscaling.target_cpu_percent",
        read: |p| target(p.api.autoscaling.unwrap_or_default().target_cpu_percent),
        source: "Flow-Like's chart: autoscaling.targetCPUUtilization 70 (of the CPU request)",
    },
    Explained {
        path: "*.autoscaling.target_memory_percent",
        read: |p| target(p.api.autoscaling.unwrap_or_default().target_memory_percent),
        source: "Flow-Like's chart: autoscaling.targetMemoryUtilization 80 (of the memory request)",
    },
    Explained {
        path: "jobs.max_concurrent",
        read: |p| p.jobs.unwrap_or_default().max_concurrent.to_string(),
        source: "Flow-Like's chart: executor.maxConcurrentJobs 100, for the one-Job-per-execution backend",
    },
    Explained {
        path: "jobs.requests / limits",
        read: |p| {
            let jobs = p.jobs.unwrap_or_default();
            format!("{} {}", quantities(jobs.reservations), quantities(jobs.limits))
        },
        source: "Flow-Like's chart: executor.resources (requests 100m / 256Mi, limits 2 / 2Gi)",
    },
    Explained {
        path: "cluster.provider",
        read: |p| p.cluster.as_ref().map_or("gke".into(), |c| c.provider.name().into()),
        source: "gke when left out; what a node reserves for itself by provider (docs/design.md, Node models)",
    },
    Explained {
        path: "cluster.node_pools.*.allocatable",
        read: |p| {
            let given = p.cluster.as_ref().is_some_and(|c| c.node_pools.iter().any(|n| n.allocatable.is_some()));
            if given { "given".into() } else { "formula".into() }
        },
        source: "the provider's reservations: gke CPU 6/1/0.5/0.25 % bands, memory 25/20/10/6/2 % bands; eks the same CPU ladder, memory 11 MiB × maxPods + 255 MiB; aks CPU 60/40/20/10m a core, memory min(20 MiB × maxPods + 50 MiB, 25 %); generic none; each + 100 MiB eviction",
    },
    Explained {
        path: "cluster.node_pools.*.max_pods",
        read: |p| {
            let Some(c) = p.cluster.as_ref() else { return "110".into() };
            c.node_pools.iter().map(|pool| c.max_pods(pool).to_string()).collect::<Vec<_>>().join(", ")
        },
        source: "the kubelet's default 110; on EKS the EKS AMI's table by instance_type (ENIs × (addresses per ENI − 1) + 2)",
    },
    Explained {
        path: "cluster.daemonset_pods",
        read: |p| p.cluster.as_ref().map_or(0, |c| c.daemonset_pods).to_string(),
        source: "flowcap assumes none: set how many DaemonSet pods run on every node (they count against max_pods)",
    },
    Explained {
        path: "cluster.daemonset",
        read: |p| quantities(p.cluster.as_ref().map(|c| c.daemonset).unwrap_or_default()),
        source: "flowcap assumes none: set what your DaemonSets (CNI, log shipper, node exporter) request per node",
    },
];

fn target(percent: Option<u32>) -> String {
    percent.map_or("none".into(), |t| t.to_string())
}

/// `cpu/memory` in Kubernetes quantities, `0` where unset.
fn quantities(resources: crate::model::resources::Resources) -> String {
    let cpus = resources.cpus.map_or("0".into(), |c| c.kubernetes());
    let memory = resources.memory.map_or("0".into(), |m| m.kubernetes());
    format!("{cpus}/{memory}")
}
