//! Every rule in one table: its id, its name, its severity, what it checks and its threshold
//! (with the policy key that moves it). The enum and the table are made from the same list, so
//! a rule cannot lack an entry and [`RuleId::rule`] needs no fallback.

use crate::analysis::workload::DEFAULT_P95_WAIT_SHARE;
use crate::model::observed::FEW_SAMPLES;
use crate::model::plan::Policy;

/// Redis with less headroom than this share of maxmemory left is full at the next burst.
pub const REDIS_HEADROOM_PERCENT: u32 = 90;
use serde::Serialize;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` so reports can align severities with `{:<7}`.
        f.pad(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A rule as the reference lists it.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub id: RuleId,
    /// The stable name reports, SARIF and the reference use: `connections-exhausted`.
    pub name: &'static str,
    pub severity: Severity,
    pub checks: &'static str,
    /// The threshold under a policy and the policy key that moves it, if any: the reference
    /// shows it under `Policy::default()`, so its numbers are the code's, not copies.
    pub threshold_for: fn(&Policy) -> String,
}

impl Rule {
    /// The threshold under the default policy.
    pub fn threshold(&self) -> String {
        (self.threshold_for)(&Policy::default())
    }
}

/// Declares [`RuleId`] and [`RULES`] from one list: `Variant "name" Severity "checks", threshold;`.
macro_rules! rules {
    ($($id:ident $name:literal $severity:ident $checks:expr, $threshold:expr;)*) => {
        /// A rule's stable id: an enum, so a typo is a compile error, not a finding that never
        /// fires. Shown and serialized as its kebab-case name (`connections-exhausted`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $($id,)*
        }

        /// Every rule, in the order of [`RuleId`].
        pub const RULES: &[Rule] = &[
            $(Rule { id: RuleId::$id, name: $name, severity: Severity::$severity, checks: $checks, threshold_for: $threshold },)*
        ];
    };
}

rules! {
    NoExecutionSlots "no-execution-slots" Error
        "runtime.replicas × runtime.max_concurrent_executions is 0: nothing can run",
        |_| "0 slots".into();
    ConnectionsExhausted "connections-exhausted" Error
        "Postgres clients can open more connections than max_connections leaves to ordinary roles",
        |_| "used > max_connections − superuser_reserved − reserved".into();
    ConnectionsNearLimit "connections-near-limit" Warning
        "connection use past the warning line (Flow-Like's own Prometheus alert)",
        |p| {
        format!("used > {} % of usable (policy.connection_warning_percent)", p.connection_warning_percent)
    };
    HostCpuOvercommit "host-cpu-overcommit" Warning
        "CPU limits of all containers add up past the host's CPUs",
        |p| format!("> {} % of host.cpus (policy.cpu_overcommit_percent)", p.cpu_overcommit_percent);
    HostMemoryOvercommit "host-memory-overcommit" Warning
        "memory limits of all containers add up past the host's memory",
        |p| {
        format!("> {} % of host.memory (policy.memory_overcommit_percent)", p.memory_overcommit_percent)
    };
    ReservationsExceedHost "reservations-exceed-host" Error
        "CPU or memory reservations add up to more than the host has",
        |_| "> 100 % of host.cpus or host.memory".into();
    MemoryPerSlotLow "memory-per-slot-low" Warning
        "runtime memory limit ÷ max_concurrent_executions is below the policy's minimum",
        |p| format!("< {} per slot (policy.min_memory_per_slot)", p.min_memory_per_slot);
    SharedBuffersExceedMemory "shared-buffers-exceed-memory" Error
        "shared_buffers is larger than the Postgres container's memory limit",
        |_| "shared_buffers > postgres.limits.memory".into();
    SharedBuffersHigh "shared-buffers-high" Warning
        "shared_buffers is a large share of the Postgres memory limit (25 % is the guidance)",
        |p| {
        format!(
            "> {} % of postgres.limits.memory (policy.shared_buffers_warning_percent)",
            p.shared_buffers_warning_percent
        )
    };
    PostgresMemoryTight "postgres-memory-tight" Warning
        "shared_buffers plus memory for the connections in use exceeds the Postgres memory limit",
        |p| {
        format!(
            "shared_buffers + used × {} > postgres.limits.memory (policy.memory_per_connection)",
            p.memory_per_connection
        )
    };
    PostgresMemoryWorstCase "postgres-memory-worst-case" Warning
        "at worst (every connection sorting in work_mem, autovacuum, parallel hashes in /dev/shm, all charged to the container) Postgres outgrows its memory limit",
        |_| {
        "estimate + used × work_mem + autovacuum workers × their memory + /dev/shm > postgres.limits.memory (the settings written: PostgreSQL's defaults, 4 MiB, 3 × 64 MiB, 96 MiB; PGTune's with postgres.pgtune)".into()
    };
    ManagedMaxConnections "managed-max-connections" Info
        "a managed database's max_connections is not settled by its provider's published figures: the instance is not named, or its figure is AWS's formula on the listed memory, an upper bound",
        |_| "postgres.managed without instance_class, memory or max_connections, or RDS/Aurora by memory".into();
    PgtuneNeedsMemory "pgtune-needs-memory" Warning
        "postgres.pgtune is set, but neither the Postgres memory limit nor the host's memory is known: PGTune has nothing to size for",
        |_| "postgres.pgtune and no postgres.limits.memory or host.memory".into();
    PgtuneWarning "pgtune-warning" Info
        "what PGTune itself warns of for these inputs (memory under 256 MB or over 100 GB, lz4, io_uring, warehouse costs)",
        |_| "PGTune's own conditions (le0pard/pgtune 7caef27)".into();
    IoUringBlocked "io-uring-blocked" Info
        "PGTune's io_method = io_uring would keep PostgreSQL 18 from starting under Docker's default seccomp profile: flowcap writes worker",
        |_| "postgres.pgtune and postgres.version ≥ 18".into();
    SharedBuffersFarFromPgtune "shared-buffers-far-from-pgtune" Info
        "the plan's own shared_buffers is less than half or more than twice PGTune's: PGTune's other settings follow it",
        |_| "shared_buffers < ½ × or > 2 × PGTune's, with postgres.pgtune".into();
    JwtKeysNotShared "jwt-keys-not-shared" Error
        "several API replicas without one shared JWT key pair: tokens from one replica fail on another",
        |_| "api.replicas > 1 and api.shared_jwt_keys: false".into();
    FixedHostPort "fixed-host-port" Error
        "a service scaled past one replica publishes a fixed host port: only one container per host can bind it",
        |_| "replicas > 1 and a published host port".into();
    FixedContainerName "fixed-container-name" Error
        "a service scaled past one replica has a fixed container_name: Compose refuses to create the second",
        |_| "replicas > 1 and container_name set".into();
    WorkloadUnstable "workload-unstable" Error
        "the workload offers as much work as the slots can do or more: the queue grows without bound",
        |_| "arrivals × mean duration ≥ slots (workload)".into();
    WorkloadTargetMissed "workload-target-missed" Error
        "the wait for a slot misses the workload's target",
        |_| {
        "p95 wait > workload.target.p95_wait, or P(wait) > workload.target.wait_probability_percent".into()
    };
    StreamingMemoryRisk "streaming-memory-risk" Error
        "streaming (HTTP) runs have no admission limit: too often some runtime holds more of them than its memory limit fits, and an OOM kill takes every run on it",
        |p| {
        format!(
            "P(some runtime over its memory fit) > {} % of the peak (policy.streaming_memory_error_percent)",
            p.streaming_memory_error_percent
        )
    };
    StreamingMemoryTight "streaming-memory-tight" Warning
        "some runtime holds more streaming runs than its memory limit fits for a share of the peak past the warning line",
        |p| {
        format!(
            "P(some runtime over its memory fit) > {} % of the peak (policy.streaming_memory_warning_percent)",
            p.streaming_memory_warning_percent
        )
    };
    StreamingCpuStretch "streaming-cpu-stretch" Warning
        "the runs on one runtime at the peak need more CPU than its limit: every run takes longer, by the stretch factor",
        |_| "mean runs per runtime × cpu_per_execution > runtime.limits.cpus".into();
    StreamingOneRuntime "streaming-one-runtime" Warning
        "HTTP runs reach the runtimes through Docker's DNS from the API (EXECUTOR_URL names the runtime service): glibc puts the same address first every time, so one runtime may take them all",
        |_| "Compose, runtime.replicas > 1, runtime.http_routing: dns and streaming arrivals".into();
    QueuedRunsDropped "queued-runs-dropped" Info
        "the plan counts on queued runs; at Flow-Like ab1f822 the queue worker cannot parse the jobs the API queues and drops every one",
        |_| "workload.queued arrivals > 0".into();
    QueuedRunsNotConsumed "queued-runs-not-consumed" Error
        "Kubernetes: the chart's executor pool runs no queue worker, so nothing consumes the queued runs the API pushes to Redis",
        |_| "platform: kubernetes and workload.queued arrivals > 0".into();
    RoundRobinIsStreaming "round-robin-is-streaming" Info
        "the plan's one-path workload says dispatch: round-robin: that is the HTTP path, which has no limit; its M/M/k model assumed one",
        |_| "workload.dispatch: round-robin".into();
    RedisUnbounded "redis-unbounded" Warning
        "Redis holds the queue and every run's state for 24 h with neither maxmemory nor a container memory limit: it grows until the host kills something",
        |_| "redis: no maxmemory and other_services.redis.limits.memory unset".into();
    RedisNoMaxmemory "redis-no-maxmemory" Warning
        "Redis has a container memory limit but no maxmemory: at the limit the kernel kills it (the queue and every run's state with it) instead of Redis refusing writes",
        |_| "redis: no maxmemory, other_services.redis.limits.memory set".into();
    RedisMaxmemoryOverLimit "redis-maxmemory-over-limit" Error
        "maxmemory is above the Redis container's memory limit: the kernel kills Redis before Redis bounds itself",
        |_| "redis.maxmemory > other_services.redis.limits.memory".into();
    RedisEvictsQueue "redis-evicts-queue" Error
        "an allkeys-* maxmemory-policy evicts any key at maxmemory, the queued runs' list (exec:jobs, no expiry) included",
        |_| "redis.maxmemory_policy: allkeys-*".into();
    RedisEvictsState "redis-evicts-state" Warning
        "a volatile-* maxmemory-policy evicts runs' state (the keys with a 24 h expiry) at maxmemory, then refuses writes",
        |_| "redis.maxmemory_policy: volatile-*".into();
    RedisNoHeadroom "redis-no-headroom" Error
        "the state Flow-Like keeps for 24 h at the peak rate, plus the queued backlog, reaches maxmemory: a full Redis refuses new runs",
        |_| format!("(runs per 24 h at the peak + backlog) × redis.state_per_run ≥ {} % of redis.maxmemory", REDIS_HEADROOM_PERCENT);
    RedisAofRewrite "redis-aof-rewrite" Warning
        "with appendonly, an AOF rewrite forks and copy-on-write can need up to the dataset again: the container limit is under twice what Redis may hold",
        |_| "redis.appendonly and other_services.redis.limits.memory < 2 × (redis.maxmemory, else the state estimate)".into();
    Drift "drift" Error
        "the compose files (or Helm values) set a value differently from the plan (--check PLAN -f FILE, or --helm-values FILE)",
        |_| {
        "any difference in replicas, resources, slots, autoscalers, Postgres settings, monitoring or the services that run".into()
    };
    HostUnknown "host-unknown" Info
        "the plan has no host section, so host-fit checks are skipped",
        |_| "no host".into();
    ConnectionsAsSuperuser "connections-as-superuser" Warning
        "Flow-Like connects as the database superuser (POSTGRES_USER), or a managed database's admin user: the reserved slots do not hold it back, so an admin has no guaranteed slot",
        |_| "DATABASE_URL's user is the postgres service's POSTGRES_USER (imported), or postgres.clients_are_superuser with postgres.managed".into();
    ReservationAboveLimit "reservation-above-limit" Error
        "a service reserves more CPU or memory than its limit: Docker refuses to create the container",
        |_| "reservations.cpus > limits.cpus or reservations.memory > limits.memory".into();
    LimitsMissing "limits-missing" Info
        "containers without a CPU or memory limit may take the whole host; host fit counts only limits",
        |_| "a service without limits.cpus or limits.memory".into();
    PodsUnschedulable "pods-unschedulable" Error
        "Kubernetes: pods whose requests no node can take, now or at every autoscaler's maximum (they stay Pending)",
        |_| "a pod's CPU and memory requests fit no node's allocatable less what is placed".into();
    HpaMaxExhaustsConnections "hpa-max-exhausts-connections" Error
        "Kubernetes: at the API autoscaler's maximum the clients open more connections than max_connections leaves",
        |_| "used at maximum > max_connections − superuser_reserved − reserved".into();
    RequestsMissing "requests-missing" Warning
        "Kubernetes: an autoscaled workload without the request its autoscaler measures against cannot scale",
        |_| "autoscaling set and requests.cpus (or requests.memory) missing".into();
    LimitsBelowRequests "limits-below-requests" Error
        "Kubernetes: a pod's limit below its request: the API server refuses the pod",
        |_| "requests.cpus > limits.cpus or requests.memory > limits.memory".into();
    JobCapExceedsCluster "job-cap-exceeds-cluster" Warning
        "Kubernetes: the Job backend's cap allows more execution pods than the cluster can place next to the rest",
        |_| "jobs.max_concurrent Job pods do not all fit at the maximum".into();
    NodeLimitsOvercommit "node-limits-overcommit" Warning
        "Kubernetes: the memory limits of the pods placed on one node add up past what it offers pods (CPU is compressible: its limits only throttle)",
        |p| {
        format!(
            "memory limits > {} % of a node's allocatable at the maximum (policy.memory_overcommit_percent)",
            p.memory_overcommit_percent
        )
    };
    ObservedConnectionsOverBudget "observed-connections-over-budget" Warning
        "--prometheus: Postgres held more connections at its observed peak than the plan counts for its clients (a client the plan does not know, or clients refused past the usable)",
        |_| "max of sum(pg_stat_activity_count) > the plan's connections used".into();
    ObservedSlotsSaturated "observed-slots-saturated" Warning
        "--prometheus: every queue slot of the plan was busy for a share of the observed time: queued executions waited",
        |p| {
        format!(
            "queued rate × queued mean duration (Little's law) ≥ slots in > {} % of the steps (policy.saturation_warning_percent), of at least {} steps",
            p.saturation_warning_percent,
            FEW_SAMPLES
        )
    };
    ObservedPeakPastTarget "observed-peak-past-target" Error
        "--prometheus: the observed peak of queued runs per minute, at their observed mean duration, is more than the plan's slots serve within its target (or at all)",
        |_| {
        format!(
            "the plan with the observed workload misses workload.target (without one: a p95 wait of {} % of the mean duration, as solve)",
            DEFAULT_P95_WAIT_SHARE * 100.0
        )
    };
    ObservedWaitVsPredicted "observed-wait-vs-predicted" Info
        "--prometheus: the model's P(wait) at the observed mean queued load beside the observed share of time with every slot busy (an arrival then waits)",
        |_| "always, when queued runs were observed".into();
    ObservedNoQueuedRuns "observed-no-queued-runs" Warning
        "--prometheus: the plan counts on queued runs and the deployment recorded none while runs ran (at Flow-Like ab1f822 the queue worker drops every job)",
        |_| "workload.queued arrivals > 0, no flow_executions_total beyond the HTTP requests in the window".into();
    ObservedMaxConnectionsDiffers "observed-max-connections-differs" Warning
        "--prometheus: the max_connections Postgres reported is not the plan's: the budget the plan shows is not the one in force",
        |_| "max(pg_settings_max_connections) at the window's end ≠ postgres.max_connections".into();
    AlertRuleLabelMissing "alert-rule-label-missing" Warning
        "an alerting or recording rule of the deployment's Prometheus filters or groups on a label its Flow-Like metric never has: the alert cannot fire as meant, the recorded series lack the label",
        |_| "a label matcher or by (…) label outside the metric's own labels and job, instance (and le on _bucket)".into();
    AlertFiresAlways "alert-fires-always" Warning
        "a rule of the deployment's Prometheus divides by redis_memory_max_bytes while Redis has no maxmemory: 0, so the ratio is +Inf and the alert fires all the time",
        |_| "… / redis_memory_max_bytes and no redis.maxmemory".into();
    PodsPendingInSomeOrder "pods-pending-in-some-order" Error
        "kube-scheduler, which spreads a workload's pods and never moves one, leaves pods Pending in some order the workloads' pods may arrive in, now or as the autoscalers scale up, though packed largest first they all fit",
        |_| "a pod no node takes in some order of arrival (every order of a handful of workloads), with first fit decreasing placing all".into();
    CockroachSeparateDatabases "cockroach-separate-databases" Error
        "the chart's CockroachDB runs more than one pod, each with start-single-node: separate databases behind one Service, nothing replicated, and each connection lands on any of them",
        |_| "database.type: internal and database.internal.replicas > 1".into();
    CockroachConnectionsPastGuidance "cockroach-connections-past-guidance" Warning
        "the connections Flow-Like's clients can open (now or at the autoscalers' maximum) pass Cockroach Labs' pool guidance for the database pods' vCPUs; CockroachDB has no max_connections to refuse them",
        |_| "connections > 4 × the database pods' vCPUs (CPU limit, else request, × pods)".into();
    CockroachMemoryOverShare "cockroach-memory-over-share" Warning
        "CockroachDB's --cache, --max-sql-memory and --max-tsdb-memory together take more of the pod's memory limit than cockroach start warns at",
        |_| "(cache + max-sql-memory + max(1 %, 64 MiB)) ÷ the pod's memory limit > 75 %".into();
    HelmValuesUnknownKey "helm-values-unknown-key" Warning
        "a key of the Helm values that no template of Flow-Like's chart reads (a misspelling, or a key of another chart): Helm ignores it without a word",
        |_| "a key under api, web, executor, executorPool, execution, database, redis or monitoring that the chart's values.yaml does not have".into();
    PrometheusScrapesOneReplica "prometheus-scrapes-one-replica" Warning
        "the deployment's Prometheus scrapes a scaled service as one static target: each scrape reaches one replica Docker's DNS picks, so observed figures are one replica's",
        |_| "static_configs target SERVICE:PORT and SERVICE.replicas > 1".into();
}

impl RuleId {
    pub fn as_str(self) -> &'static str {
        self.rule().name
    }

    /// The rule as the reference lists it.
    pub fn rule(self) -> &'static Rule {
        // The macro makes one entry per id, in order.
        &RULES[self as usize]
    }

    /// Where the reference explains it: the rule's own heading.
    pub fn reference(self) -> String {
        format!("docs/reference.md#{}", self.as_str())
    }

    /// The stronger level of the same check, for a rule that has one: a plan past the
    /// stronger line is past the milder one too, though only the stronger is said.
    pub fn stronger(self) -> Option<RuleId> {
        match self {
            RuleId::ConnectionsNearLimit => Some(RuleId::ConnectionsExhausted),
            RuleId::PostgresMemoryWorstCase => Some(RuleId::PostgresMemoryTight),
            RuleId::SharedBuffersHigh => Some(RuleId::SharedBuffersExceedMemory),
            RuleId::WorkloadTargetMissed => Some(RuleId::WorkloadUnstable),
            RuleId::StreamingMemoryTight => Some(RuleId::StreamingMemoryRisk),
            _ => None,
        }
    }

    /// A finding about the workload's waits (its fix comes from `flowcap solve`).
    pub fn is_workload(self) -> bool {
        matches!(self, RuleId::WorkloadUnstable | RuleId::WorkloadTargetMissed)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}
