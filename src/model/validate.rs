//! What a plan may hold: the bounds of every count, the keys each platform allows, a workload
//! that makes sense. Checked once when a plan is read, so the analysis can trust it.

use crate::model::cluster::{Platform, Provider};
use crate::model::plan::{
    MAX_JOBS, MAX_NODES, MAX_RUNTIME_REPLICAS, MAX_SLOTS_PER_REPLICA, MAX_WORKLOAD_SLOTS, PathLoad, Plan, Workload,
    WrittenAs, lognormal_sigma, max_p95_ratio,
};
use crate::model::service::ServiceKey;
use crate::model::units::{Bytes, Cpus, Seconds, trim_decimal};

/// A value out of its possible range, named by its path in the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub path: String,
    pub message: String,
    /// Whether leaving the key out is the way to no limit: the plan file and the planner say
    /// how to, each in its own words.
    pub no_limit: bool,
}

impl std::fmt::Display for Invalid {
    /// As the plan file's reader needs it: `runtime.limits.cpus: must be greater than 0 (leave
    /// it out for no limit)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)?;
        if self.no_limit {
            f.write_str(" (leave it out for no limit)")?;
        }
        Ok(())
    }
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

/// Compose's service names, `[a-zA-Z0-9._-]+`: what a plan's other services and a
/// deployment's services may be called.
pub fn is_service_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl Plan {
    /// Checks what types alone cannot: ranges and relations that make a plan meaningless.
    /// A plan that is merely unwise (no runtime replicas, exhausted connections) is valid: the
    /// findings say what is wrong with it.
    pub fn validate(&self) -> Result<(), Invalid> {
        let invalid = |path: &str, message: String| Err(Invalid { path: path.to_string(), message, no_limit: false });
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
            // The chart's `api.enabled: false` renders no API: 0 API pods on Kubernetes.
            let api_switched_off = path == "api.replicas" && value == 0 && self.platform == Platform::Kubernetes;
            if (value < min || value > max) && !api_switched_off {
                return invalid(path, format!("must be between {min} and {max}, got {value}"));
            }
        }
        if let Some(managed) = self.postgres.managed.as_ref().filter(|_| !self.postgres.external) {
            return invalid(
                "postgres.managed",
                format!("{} runs outside the stack: set postgres.external: true", managed.provider.name()),
            );
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
        if let Some(shared_buffers) = pg.shared_buffers
            && shared_buffers.0 < 128 * 1024
        {
            return invalid(
                "postgres.shared_buffers",
                format!("must be at least 128 kB (PostgreSQL's minimum), got {shared_buffers}"),
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
        // Redis reads `maxmemory 0` as no bound: a plan says so by leaving the key out.
        if self.redis.as_ref().is_some_and(|redis| redis.maxmemory.is_some_and(|m| m.0 == 0)) {
            return invalid("redis.maxmemory", "must be more than 0 (leave it out for no bound)".to_string());
        }
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
            let zero = |resource: &str| Invalid {
                path: format!("{path}.{resource}"),
                message: "must be greater than 0".into(),
                no_limit: true,
            };
            if resources.cpus == Some(Cpus(0)) {
                return Err(zero("cpus"));
            }
            if resources.memory == Some(Bytes(0)) {
                return Err(zero("memory"));
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
        let invalid = |path: &str, message: String| Err(Invalid { path: path.to_string(), message, no_limit: false });
        let autoscalers = self.autoscalers();
        if self.platform == Platform::Compose {
            let autoscaling = autoscalers.first().map(|(key, _, _)| format!("{key}.autoscaling"));
            let kubernetes_only = [
                ("cluster".to_string(), self.cluster.is_some()),
                ("jobs".to_string(), self.jobs.is_some()),
                (autoscaling.clone().unwrap_or_default(), autoscaling.is_some()),
                ("cockroachdb".to_string(), self.cockroachdb.is_some()),
                ("pod_placement".to_string(), !self.pod_placement.is_empty()),
            ];
            if let Some((path, _)) = kubernetes_only.iter().find(|(_, set)| *set) {
                return invalid(path, "is for Kubernetes plans: add `platform: kubernetes`".to_string());
            }
            return Ok(());
        }
        if self.host.is_some() {
            return invalid("host", "a Kubernetes plan has a `cluster:` of node pools, not a host".to_string());
        }
        if self.cockroachdb.is_some() && !self.other_services.contains_key(crate::model::cockroach::SERVICE) {
            return invalid(
                "cockroachdb",
                "needs its pods: other_services.cockroachdb with replicas, requests and limits".to_string(),
            );
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
            if cluster.provider == Provider::Eks
                && pool.max_pods.is_none()
                && let Some(instance_type) = &pool.instance_type
                && crate::model::eks::max_pods(instance_type).is_none()
            {
                let hint = crate::model::eks::nearest(instance_type)
                    .map_or(String::new(), |n| format!(" (did you mean {n}?)"));
                return invalid(
                    &format!("{path}.instance_type"),
                    format!(
                        "`{}` is not in the EKS AMI's instance table{hint}: give max_pods",
                        crate::io::text::cut(instance_type, 40)
                    ),
                );
            }
            if pool.max_pods == Some(0) {
                return invalid(
                    &format!("{path}.max_pods"),
                    "must be at least 1: a node runs at least its DaemonSets".to_string(),
                );
            }
            if let Some(index) = pool.taints.iter().position(|t| t.key.is_empty()) {
                return invalid(&format!("{path}.taints.{index}.key"), "a taint needs a key".to_string());
            }
        }
        for (workload, constraints) in &self.pod_placement {
            let path = format!("pod_placement.{workload}");
            if !self.workload_keys().iter().any(|key| key == workload) {
                return invalid(
                    &path,
                    format!(
                        "`{}` is not a workload of the plan (api, runtime, jobs, other_services.NAME)",
                        crate::io::text::cut(workload, 40)
                    ),
                );
            }
            constraints.check().map_err(|(at, message)| Invalid {
                path: format!("{path}.{at}"),
                message,
                no_limit: false,
            })?;
        }
        for (key, replicas, hpa) in autoscalers {
            // The chart renders an autoscaler for the API, the executor pool and web only.
            if crate::model::chart::chart_workload(&key).is_none_or(|w| !w.autoscaling) {
                return invalid(
                    &format!("{key}.autoscaling"),
                    "the chart has no autoscaler for this service (only api, runtime and other_services.web)"
                        .to_string(),
                );
            }
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
            // The chart's executor-pool template renders both metrics, set or not; the API
            // server refuses a Utilization target without a value.
            if key == ServiceKey::Runtime
                && self.platform == Platform::Kubernetes
                && (hpa.target_cpu_percent.is_none() || hpa.target_memory_percent.is_none())
            {
                return invalid(
                    &format!("{key}.autoscaling"),
                    "the chart's executor-pool autoscaler renders both the CPU and the memory metric: give both \
                     target_cpu_percent and target_memory_percent (the API server refuses a Utilization target without \
                     a value)"
                        .to_string(),
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
}

/// The most runs in flight a streaming path may offer (λ·D): a million, where the exact Poisson
/// tail still takes milliseconds.
pub const MAX_STREAMING_LOAD: f64 = 1_000_000.0;

impl PathLoad {
    /// `at`: `queued` or `streaming`, in `workload` as the file wrote it.
    fn validate(&self, workload: &Workload, at: &str) -> Result<(), Invalid> {
        let invalid =
            |key: &str, message: String| Err(Invalid { path: workload.key(at, key), message, no_limit: false });
        let rate = self.arrivals_per_minute;
        if !(rate > 0.0 && rate <= 10_000_000.0) {
            return invalid("arrivals_per_minute", format!("must be more than 0 and at most 10000000, got {rate}"));
        }
        let duration = self.mean_duration.0;
        // A week: Flow-Like's own execution timeout defaults to an hour.
        if !(duration > 0.0 && duration <= 604_800.0) {
            return invalid("mean_duration", format!("must be more than 0 s and at most 7 days, got {duration} s"));
        }
        if self.p95_duration.is_some() && self.duration_cv.is_some() {
            return invalid("p95_duration", "give p95_duration or duration_cv, not both".into());
        }
        if let Some(p95) = self.p95_duration
            && lognormal_sigma(duration, p95.0).is_none()
        {
            return invalid(
                "p95_duration",
                format!(
                    "read as a lognormal, a p95 must be between the mean ({}) and {} ({} × the mean), got {} s; for a heavier spread give duration_cv",
                    self.mean_duration,
                    Seconds(duration * max_p95_ratio()),
                    trim_decimal(max_p95_ratio(), 4),
                    trim_decimal(p95.0, 3)
                ),
            );
        }
        if let Some(cv) = self.duration_cv
            && !(0.0..=100.0).contains(&cv)
        {
            return invalid("duration_cv", format!("must be between 0 and 100, got {cv}"));
        }
        if self.memory_per_execution.is_some_and(|m| m.0 == 0) {
            return invalid("memory_per_execution", "must be more than 0 (leave it out when unknown)".into());
        }
        if at == "streaming" && self.offered_load() > MAX_STREAMING_LOAD {
            return invalid(
                "arrivals_per_minute",
                format!(
                    "arrivals × mean duration is {} runs in flight; flowcap plans at most {MAX_STREAMING_LOAD}",
                    trim_decimal(self.offered_load(), 2)
                ),
            );
        }
        Ok(())
    }
}

impl Workload {
    fn validate(&self) -> Result<(), Invalid> {
        let invalid = |path: &str, message: String| Err(Invalid { path: path.to_string(), message, no_limit: false });
        if let Some(queued) = &self.queued {
            queued.validate(self, "queued")?;
        }
        if let Some(streaming) = &self.streaming {
            streaming.validate(self, "streaming")?;
        }
        let Some(target) = &self.target else { return Ok(()) };
        // Streaming runs start at once: a wait target with no queued runs would be silently
        // met. (An earlier plan's round-robin workload keeps its target: the finding says why
        // it no longer applies.)
        if self.queued.is_none() && self.written_as == WrittenAs::ByPath {
            return invalid(
                "workload.target",
                "is the queued runs' wait for a slot, and the workload has no queued runs (streaming runs start at once)"
                    .to_string(),
            );
        }
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
