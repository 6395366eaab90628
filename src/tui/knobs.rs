//! The knobs the planner turns: each reads and writes one plan value, steps it by a sensible
//! increment and parses typed text. Every change goes through `Plan::validate`, so an invalid
//! value is refused with the core's own message and the plan stays as it was.

use crate::model::cluster::{Autoscaling, NodePool, Platform};
use crate::model::plan::{Host, HttpRouting, PathLoad, Plan, Target, Workload};
use crate::model::service::ServiceKey;
use crate::model::units::{Bytes, Cpus, Seconds, trim_decimal};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Knob {
    ApiReplicas,
    ApiHpaMin,
    ApiHpaMax,
    ApiDbPool,
    ApiCpus,
    ApiMemory,
    RuntimeReplicas,
    RuntimeHpaMin,
    RuntimeHpaMax,
    RuntimeSlots,
    RuntimeCpus,
    RuntimeMemory,
    RuntimeCpusReserved,
    RuntimeMemoryReserved,
    RuntimeRouting,
    PostgresMaxConnections,
    PostgresSharedBuffers,
    PostgresCpus,
    PostgresMemory,
    Monitoring,
    HostCpus,
    HostMemory,
    ClusterNodes,
    ClusterMaxNodes,
    NodeCpus,
    NodeMemory,
    QueuedArrivals,
    QueuedDuration,
    WorkloadTargetP95,
    StreamingArrivals,
    StreamingDuration,
    StreamingMemory,
}

/// A knob's value, typed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Count(u32),
    Cpus(Option<Cpus>),
    Memory(Option<Bytes>),
    Rate(Option<f64>),
    Duration(Option<Seconds>),
    Routing(HttpRouting),
    Switch(bool),
}

const GIB: u64 = 1 << 30;
/// A workload created from the TUI starts with this mean duration.
const DEFAULT_DURATION: Seconds = Seconds(30.0);

impl Knob {
    pub const ALL: [Knob; 32] = [
        Knob::ApiReplicas,
        Knob::ApiHpaMin,
        Knob::ApiHpaMax,
        Knob::ApiDbPool,
        Knob::ApiCpus,
        Knob::ApiMemory,
        Knob::RuntimeReplicas,
        Knob::RuntimeHpaMin,
        Knob::RuntimeHpaMax,
        Knob::RuntimeSlots,
        Knob::RuntimeCpus,
        Knob::RuntimeMemory,
        Knob::RuntimeCpusReserved,
        Knob::RuntimeMemoryReserved,
        Knob::RuntimeRouting,
        Knob::PostgresMaxConnections,
        Knob::PostgresSharedBuffers,
        Knob::PostgresCpus,
        Knob::PostgresMemory,
        Knob::Monitoring,
        Knob::HostCpus,
        Knob::HostMemory,
        Knob::ClusterNodes,
        Knob::ClusterMaxNodes,
        Knob::NodeCpus,
        Knob::NodeMemory,
        Knob::QueuedArrivals,
        Knob::QueuedDuration,
        Knob::WorkloadTargetP95,
        Knob::StreamingArrivals,
        Knob::StreamingDuration,
        Knob::StreamingMemory,
    ];

    /// The knobs a plan shows, in order: a Docker host's or a cluster's.
    pub fn for_plan(plan: &Plan) -> Vec<Knob> {
        Knob::ALL.into_iter().filter(|knob| knob.platform().is_none_or(|p| p == plan.platform)).collect()
    }

    /// The one platform the knob belongs to, if it is not for both.
    fn platform(self) -> Option<Platform> {
        use Knob::*;
        match self {
            HostCpus | HostMemory | RuntimeRouting => Some(Platform::Compose),
            ApiHpaMin | ApiHpaMax | RuntimeHpaMin | RuntimeHpaMax | ClusterNodes | ClusterMaxNodes | NodeCpus
            | NodeMemory => Some(Platform::Kubernetes),
            _ => None,
        }
    }

    pub fn group(self) -> &'static str {
        use Knob::*;
        match self {
            ApiReplicas | ApiHpaMin | ApiHpaMax | ApiDbPool | ApiCpus | ApiMemory => "API",
            RuntimeReplicas
            | RuntimeHpaMin
            | RuntimeHpaMax
            | RuntimeSlots
            | RuntimeCpus
            | RuntimeMemory
            | RuntimeCpusReserved
            | RuntimeMemoryReserved
            | RuntimeRouting => "Runtime",
            PostgresMaxConnections | PostgresSharedBuffers | PostgresCpus | PostgresMemory | Monitoring => "Postgres",
            HostCpus | HostMemory => "Host",
            ClusterNodes | ClusterMaxNodes | NodeCpus | NodeMemory => "Cluster",
            QueuedArrivals | QueuedDuration | WorkloadTargetP95 | StreamingArrivals | StreamingDuration
            | StreamingMemory => "Workload",
        }
    }

    pub fn label(self) -> &'static str {
        use Knob::*;
        match self {
            ApiReplicas | RuntimeReplicas => "replicas",
            ApiHpaMin | RuntimeHpaMin => "autoscale min",
            ApiHpaMax | RuntimeHpaMax => "autoscale max",
            ClusterNodes => "nodes",
            ClusterMaxNodes => "max nodes",
            NodeCpus => "cpus / node",
            NodeMemory => "memory / node",
            ApiDbPool => "db pool / replica",
            ApiCpus | RuntimeCpus | PostgresCpus => "cpus limit",
            ApiMemory | RuntimeMemory | PostgresMemory => "memory limit",
            RuntimeSlots => "max concurrent",
            RuntimeCpusReserved => "cpus reserved",
            RuntimeMemoryReserved => "memory reserved",
            PostgresMaxConnections => "max_connections",
            PostgresSharedBuffers => "shared_buffers",
            HostCpus => "cpus",
            HostMemory => "memory",
            RuntimeRouting => "http routing",
            QueuedArrivals => "queued / minute",
            QueuedDuration => "queued duration",
            WorkloadTargetP95 => "target p95 wait",
            StreamingArrivals => "streaming / min",
            StreamingDuration => "stream duration",
            StreamingMemory => "memory / run",
            Monitoring => "monitoring",
        }
    }

    /// The plan key of a whole-number knob, whose bounds the plan sets.
    fn count_path(self) -> Option<&'static str> {
        use Knob::*;
        Some(match self {
            ApiReplicas => "api.replicas",
            ApiDbPool => "api.db_pool",
            RuntimeReplicas => "runtime.replicas",
            RuntimeSlots => "runtime.max_concurrent_executions",
            PostgresMaxConnections => "postgres.max_connections",
            _ => return None,
        })
    }

    /// The rule a whole number must follow, as the plan states it.
    fn count_rule(self) -> String {
        match self.count_path().and_then(crate::model::validate::count_range) {
            Some((min, max)) => format!("must be between {min} and {max}"),
            None => "must be a whole number".to_string(),
        }
    }

    /// A limit, where "none" means no limit: the most there is, not the least.
    fn is_limit(self) -> bool {
        use Knob::*;
        matches!(self, ApiCpus | ApiMemory | RuntimeCpus | RuntimeMemory | PostgresCpus | PostgresMemory)
    }

    /// Whether the knob can be cleared to "none" (an autoscaler: off).
    pub fn clearable(self) -> bool {
        use Knob::*;
        if self.autoscaler().is_some() {
            return true;
        }
        if matches!(self, ClusterNodes | NodeCpus | NodeMemory) {
            return false;
        }
        if self == ClusterMaxNodes {
            return true;
        }
        match self.value(&Plan::default()) {
            Value::Count(_) | Value::Switch(_) | Value::Routing(_) => false,
            _ => !matches!(self, PostgresSharedBuffers | QueuedDuration | StreamingDuration),
        }
    }

    /// What typing expects, for the help line of the editor.
    pub fn hint(self) -> &'static str {
        match self.value(&Plan::default()) {
            Value::Count(_) => "a whole number",
            Value::Cpus(_) => "CPUs such as 0.5, 4 or 250m; none for no limit",
            Value::Memory(_) => "a size such as 512M or 8G; none for no limit",
            Value::Rate(_) => "executions per minute; 0 for none on this path",
            Value::Duration(_) => "a duration such as 30s, 500ms or 2m",
            Value::Routing(_) => "dns (Docker's DNS from the API) or balanced (flowcap's balancer)",
            Value::Switch(_) => "on or off (the exporter's connections)",
        }
    }

    pub fn value(self, plan: &Plan) -> Value {
        use Knob::*;
        let workload = plan.workload.as_ref();
        match self {
            ApiReplicas => Value::Count(plan.api.replicas),
            ApiDbPool => Value::Count(plan.api.db_pool),
            ApiCpus => Value::Cpus(plan.api.limits.cpus),
            ApiMemory => Value::Memory(plan.api.limits.memory),
            RuntimeReplicas => Value::Count(plan.runtime.replicas),
            RuntimeSlots => Value::Count(plan.runtime.max_concurrent_executions),
            RuntimeCpus => Value::Cpus(plan.runtime.limits.cpus),
            RuntimeMemory => Value::Memory(plan.runtime.limits.memory),
            RuntimeCpusReserved => Value::Cpus(plan.runtime.reservations.cpus),
            RuntimeMemoryReserved => Value::Memory(plan.runtime.reservations.memory),
            PostgresMaxConnections => Value::Count(plan.postgres.max_connections),
            PostgresSharedBuffers => Value::Memory(Some(running_shared_buffers(plan))),
            PostgresCpus => Value::Cpus(plan.postgres.limits.cpus),
            PostgresMemory => Value::Memory(plan.postgres.limits.memory),
            HostCpus => Value::Cpus(plan.host.map(|h| h.cpus)),
            HostMemory => Value::Memory(plan.host.map(|h| h.memory)),
            ApiHpaMin => Value::Count(plan.api.autoscaling.map_or(plan.api.replicas, |a| a.min)),
            ApiHpaMax => Value::Count(plan.api.autoscaling.map_or(plan.api.replicas, |a| a.max)),
            RuntimeHpaMin => Value::Count(plan.runtime.autoscaling.map_or(plan.runtime.replicas, |a| a.min)),
            RuntimeHpaMax => Value::Count(plan.runtime.autoscaling.map_or(plan.runtime.replicas, |a| a.max)),
            ClusterNodes => Value::Count(first_pool(plan).map_or(0, |p| p.nodes)),
            ClusterMaxNodes => Value::Count(first_pool(plan).map_or(0, |p| p.max_nodes.unwrap_or(p.nodes))),
            NodeCpus => Value::Cpus(first_pool(plan).map(|p| p.cpus)),
            NodeMemory => Value::Memory(first_pool(plan).map(|p| p.memory)),
            RuntimeRouting => Value::Routing(plan.runtime.http_routing),
            QueuedArrivals => Value::Rate(workload.and_then(|w| w.queued).map(|q| q.arrivals_per_minute)),
            QueuedDuration => Value::Duration(workload.and_then(|w| w.queued).map(|q| q.mean_duration)),
            StreamingArrivals => Value::Rate(workload.and_then(|w| w.streaming).map(|s| s.arrivals_per_minute)),
            StreamingDuration => Value::Duration(workload.and_then(|w| w.streaming).map(|s| s.mean_duration)),
            StreamingMemory => Value::Memory(workload.and_then(|w| w.streaming?.memory_per_execution)),
            WorkloadTargetP95 => Value::Duration(workload.and_then(|w| w.target?.p95_wait)),
            Monitoring => Value::Switch(plan.monitoring),
        }
    }

    /// The value as the panel shows it.
    pub fn display(self, plan: &Plan) -> String {
        if let Some(key) = self.autoscaler()
            && autoscaling_of(plan, &key).is_none()
        {
            return "off".into();
        }
        // No cluster autoscaler on the pool: its nodes are all there is.
        if self == Knob::ClusterMaxNodes && first_pool(plan).is_some_and(|p| p.max_nodes.is_none()) {
            return "none".into();
        }
        // Unset, the server runs PostgreSQL's default or PGTune's: the panel says which.
        if self == Knob::PostgresSharedBuffers && plan.postgres.shared_buffers.is_none() {
            let by = if plan.postgres.pgtune { "PGTune" } else { "default" };
            return format!("{} ({by})", running_shared_buffers(plan));
        }
        match self.value(plan) {
            Value::Count(n) => n.to_string(),
            Value::Cpus(Some(c)) => c.to_string(),
            Value::Memory(Some(m)) => m.to_string(),
            Value::Rate(Some(r)) => trim_decimal(r, 2),
            Value::Duration(Some(d)) => d.to_string(),
            Value::Routing(HttpRouting::Dns) => "dns".into(),
            Value::Routing(HttpRouting::Balanced) => "balanced".into(),
            Value::Switch(on) => if on { "on" } else { "off" }.into(),
            Value::Duration(None) if self == Knob::WorkloadTargetP95 => "none".into(),
            Value::Cpus(None) | Value::Memory(None) if self.group() == "Host" => "unknown".into(),
            Value::Memory(None)
                if self == Knob::StreamingMemory && plan.workload.as_ref().is_some_and(|w| w.streaming.is_some()) =>
            {
                "unknown".into()
            }
            Value::Cpus(None) | Value::Memory(None) => "none".into(),
            Value::Rate(None) | Value::Duration(None) => "—".into(),
        }
    }

    /// The plan with this knob set to `value`, or why it cannot be.
    pub fn set(self, plan: &Plan, value: Value) -> Result<Plan, String> {
        use Knob::*;
        let mut next = plan.clone();
        let p = &mut next;
        match (self, value) {
            (ApiReplicas, Value::Count(n)) => p.api.replicas = n,
            (ApiDbPool, Value::Count(n)) => p.api.db_pool = n,
            (ApiCpus, Value::Cpus(c)) => p.api.limits.cpus = c,
            (ApiMemory, Value::Memory(m)) => p.api.limits.memory = m,
            (RuntimeReplicas, Value::Count(n)) => p.runtime.replicas = n,
            (RuntimeSlots, Value::Count(n)) => p.runtime.max_concurrent_executions = n,
            (RuntimeCpus, Value::Cpus(c)) => p.runtime.limits.cpus = c,
            (RuntimeMemory, Value::Memory(m)) => p.runtime.limits.memory = m,
            (RuntimeCpusReserved, Value::Cpus(c)) => p.runtime.reservations.cpus = c,
            (RuntimeMemoryReserved, Value::Memory(m)) => p.runtime.reservations.memory = m,
            (PostgresMaxConnections, Value::Count(n)) => {
                p.postgres.max_connections = n;
                p.postgres.max_connections_given = true;
            }
            (PostgresSharedBuffers, Value::Memory(Some(m))) => p.postgres.shared_buffers = Some(m),
            (PostgresSharedBuffers, Value::Memory(None)) => return Err("shared_buffers needs a size".into()),
            (PostgresCpus, Value::Cpus(c)) => p.postgres.limits.cpus = c,
            (PostgresMemory, Value::Memory(m)) => p.postgres.limits.memory = m,
            (ApiHpaMin | ApiHpaMax | RuntimeHpaMin | RuntimeHpaMax, Value::Count(n)) => {
                set_autoscaler(p, self, Some(n))
            }
            (ClusterNodes, Value::Count(n)) => pool(p)?.nodes = n,
            (ClusterMaxNodes, Value::Count(n)) => pool(p)?.max_nodes = Some(n),
            (NodeCpus, Value::Cpus(Some(c))) => pool(p)?.cpus = c,
            (NodeMemory, Value::Memory(Some(m))) => pool(p)?.memory = m,
            (HostCpus, Value::Cpus(c)) => set_host(p, c.map(|c| (Some(c), None))),
            (HostMemory, Value::Memory(m)) => set_host(p, m.map(|m| (None, Some(m)))),
            (RuntimeRouting, Value::Routing(routing)) => p.runtime.http_routing = routing,
            (QueuedArrivals, Value::Rate(rate)) => set_rate(p, rate, |w| &mut w.queued),
            (StreamingArrivals, Value::Rate(rate)) => set_rate(p, rate, |w| &mut w.streaming),
            (QueuedDuration, Value::Duration(Some(d))) if has(p, |w| w.queued) => {
                path(p, |w| &mut w.queued).mean_duration = d
            }
            (StreamingDuration, Value::Duration(Some(d))) if has(p, |w| w.streaming) => {
                path(p, |w| &mut w.streaming).mean_duration = d
            }
            (StreamingMemory, Value::Memory(m)) if has(p, |w| w.streaming) => {
                path(p, |w| &mut w.streaming).memory_per_execution = m
            }
            (WorkloadTargetP95, Value::Duration(wait)) if has(p, |w| w.queued) => {
                let target = &mut p.workload.get_or_insert_with(Workload::default).target;
                match (wait, target.as_mut()) {
                    (Some(wait), Some(target)) => target.p95_wait = Some(wait),
                    (Some(wait), None) => {
                        *target = Some(Target { p95_wait: Some(wait), wait_probability_percent: None })
                    }
                    (None, Some(t)) if t.wait_probability_percent.is_some() => t.p95_wait = None,
                    (None, _) => *target = None,
                }
            }
            (Monitoring, Value::Switch(on)) => p.monitoring = on,
            (QueuedDuration | WorkloadTargetP95, _) if !has(p, |w| w.queued) => {
                return Err("set queued / minute first".into());
            }
            (StreamingDuration | StreamingMemory, _) if !has(p, |w| w.streaming) => {
                return Err("set streaming / min first".into());
            }
            _ => return Err(format!("{} takes {}", self.label(), self.hint())),
        }
        // The plan file's advice for "no limit" is, in the planner, the key that clears.
        next.validate().map_err(|invalid| {
            let clears = if invalid.no_limit { " (x clears it: no limit)" } else { "" };
            format!("{}: {}{clears}", invalid.path, invalid.message)
        })?;
        Ok(next)
    }

    /// The plan stepped one increment up or down: replicas and counts by 1 (max_connections by
    /// 10), CPUs by 0.5, memory by a GiB between 1 and 16 GiB and by doubling or halving
    /// outside that, rates by 10 % and durations by 1 s (5 s past 10 s).
    pub fn step(self, plan: &Plan, up: bool) -> Result<Plan, String> {
        let next = match self.value(plan) {
            Value::Count(n) => {
                let by = if self == Knob::PostgresMaxConnections { 10 } else { 1 };
                Value::Count(if up { n.saturating_add(by) } else { n.saturating_sub(by) })
            }
            // No limit is the most there is: up stays, down starts from the host's size.
            Value::Cpus(None) | Value::Memory(None) if self.is_limit() && up => {
                return Err("has no limit, which is already the most; ← sets one".into());
            }
            Value::Cpus(None) if self.is_limit() => Value::Cpus(Some(plan.host.map_or(Cpus::whole(8), |h| h.cpus))),
            Value::Memory(None) if self.is_limit() => {
                Value::Memory(Some(plan.host.map_or(Bytes::gib(16), |h| h.memory)))
            }
            Value::Cpus(c) => {
                let millis = c.map_or(0, |c| c.0);
                let next = if up { millis + 500 } else { millis.saturating_sub(500) };
                Value::Cpus(Some(Cpus(next)))
            }
            Value::Memory(m) => Value::Memory(Some(Bytes(step_memory(m.map_or(0, |m| m.0), up)))),
            Value::Rate(r) => {
                let rate = r.unwrap_or(0.0);
                let by = (rate / 10.0).max(1.0).round();
                Value::Rate(Some(if up { rate + by } else { (rate - by).max(0.0) }))
            }
            Value::Duration(d) => {
                // A new target starts at 5 s, a new duration at 30 s.
                let start = if self == Knob::WorkloadTargetP95 { Seconds(5.0) } else { DEFAULT_DURATION };
                let seconds = d.unwrap_or(start).0;
                let by = if seconds > 10.0 || (up && seconds >= 10.0) { 5.0 } else { 1.0 };
                Value::Duration(Some(Seconds(if up { seconds + by } else { (seconds - by).max(1.0) })))
            }
            Value::Routing(routing) => Value::Routing(match routing {
                HttpRouting::Dns => HttpRouting::Balanced,
                HttpRouting::Balanced => HttpRouting::Dns,
            }),
            Value::Switch(on) => Value::Switch(!on),
        };
        self.set(plan, next)
    }

    /// The plan with this knob cleared to "none" (no limit, no host, no workload, no target),
    /// or why it cannot be empty.
    pub fn clear(self, plan: &Plan) -> Result<Plan, String> {
        if !self.clearable() {
            return Err(match self.count_path() {
                Some(_) => format!("cannot be empty: it {}", self.count_rule()),
                None => format!("cannot be empty: it takes {}", self.hint()),
            });
        }
        if self.autoscaler().is_some() {
            // Off: the replicas stay where the autoscaler had them.
            let mut next = plan.clone();
            set_autoscaler(&mut next, self, None);
            return Ok(next);
        }
        if self == Knob::ClusterMaxNodes {
            let mut next = plan.clone();
            pool(&mut next)?.max_nodes = None;
            return Ok(next);
        }
        self.parse("none").and_then(|value| self.set(plan, value))
    }

    /// The workload whose autoscaler this knob sets.
    fn autoscaler(self) -> Option<ServiceKey> {
        match self {
            Knob::ApiHpaMin | Knob::ApiHpaMax => Some(ServiceKey::Api),
            Knob::RuntimeHpaMin | Knob::RuntimeHpaMax => Some(ServiceKey::Runtime),
            _ => None,
        }
    }

    /// Parses typed text into this knob's value.
    pub fn parse(self, text: &str) -> Result<Value, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("nothing typed: the value is as it was".into());
        }
        let none = text.eq_ignore_ascii_case("none") || text == "-";
        Ok(match self.value(&Plan::default()) {
            Value::Count(_) => match text.parse::<i128>() {
                Ok(n) => Value::Count(u32::try_from(n).map_err(|_| format!("{}, got {n}", self.count_rule()))?),
                Err(_) => {
                    return Err(format!(
                        "`{}` is not a whole number; it {}",
                        crate::io::text::cut(text, 20),
                        self.count_rule()
                    ));
                }
            },
            Value::Cpus(_) if none => Value::Cpus(None),
            Value::Cpus(_) => Value::Cpus(Some(Cpus::parse(text)?)),
            Value::Memory(_) if none => Value::Memory(None),
            // A bare number is bytes to Compose, and never what anyone typing "32" means.
            Value::Memory(_) if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') => {
                return Err(format!("`{text}` needs a unit, such as 8G or 512M (a bare number would be bytes)"));
            }
            Value::Memory(_) => Value::Memory(Some(Bytes::parse(text)?)),
            Value::Rate(_) if none => Value::Rate(None),
            Value::Rate(_) => match text.parse::<f64>() {
                Ok(rate) if rate.is_finite() && rate >= 0.0 => Value::Rate(Some(rate)),
                _ => return Err(format!("`{text}` is not a rate per minute")),
            },
            Value::Duration(_) if none => Value::Duration(None),
            Value::Duration(_) => Value::Duration(Some(Seconds::parse(text)?)),
            Value::Switch(_) => Value::Switch(match text {
                "on" | "true" | "yes" => true,
                "off" | "false" | "no" => false,
                _ => return Err(format!("`{text}` is not on or off")),
            }),
            Value::Routing(_) => Value::Routing(match text {
                "dns" => HttpRouting::Dns,
                "balanced" => HttpRouting::Balanced,
                _ => return Err(format!("`{text}` is not dns or balanced")),
            }),
        })
    }
}

fn step_memory(bytes: u64, up: bool) -> u64 {
    match (up, bytes) {
        (true, 0) => 256 << 20,
        (true, b) if b < GIB => b * 2,
        (true, b) if b < 16 * GIB => b + GIB,
        (true, b) => b.saturating_mul(2),
        (false, b) if b <= GIB => (b / 2).max(1 << 20),
        (false, b) if b <= 16 * GIB => b - GIB,
        (false, b) => b / 2,
    }
}

/// Sets one half of the host (`None`: no host). A plan without a host gets one whose other
/// half starts at 4 CPUs / 8 GiB, so both figures are always present.
fn set_host(plan: &mut Plan, change: Option<(Option<Cpus>, Option<Bytes>)>) {
    plan.host = change.map(|(cpus, memory)| {
        let current = plan.host.unwrap_or(Host { cpus: Cpus::whole(4), memory: Bytes::gib(8) });
        Host { cpus: cpus.unwrap_or(current.cpus), memory: memory.unwrap_or(current.memory) }
    });
}

fn first_pool(plan: &Plan) -> Option<&NodePool> {
    plan.cluster.as_ref()?.node_pools.first()
}

fn pool(plan: &mut Plan) -> Result<&mut NodePool, String> {
    plan.cluster.as_mut().and_then(|c| c.node_pools.first_mut()).ok_or_else(|| "the plan has no node pool".to_string())
}

fn autoscaling_of(plan: &Plan, key: &ServiceKey) -> Option<Autoscaling> {
    if *key == ServiceKey::Api { plan.api.autoscaling } else { plan.runtime.autoscaling }
}

/// Sets one bound of an autoscaler (`None`: no autoscaler), starting one at today's replicas;
/// the replicas, where the autoscaler stands now, move into the new bounds.
fn set_autoscaler(plan: &mut Plan, knob: Knob, bound: Option<u32>) {
    let (replicas, autoscaling) = match knob.autoscaler() {
        Some(ServiceKey::Api) => (&mut plan.api.replicas, &mut plan.api.autoscaling),
        _ => (&mut plan.runtime.replicas, &mut plan.runtime.autoscaling),
    };
    let Some(bound) = bound else {
        *autoscaling = None;
        return;
    };
    let hpa = autoscaling.get_or_insert(Autoscaling { min: *replicas, max: *replicas, ..Autoscaling::default() });
    match knob {
        Knob::ApiHpaMin | Knob::RuntimeHpaMin => hpa.min = bound,
        _ => hpa.max = bound,
    }
    if hpa.min <= hpa.max {
        *replicas = (*replicas).clamp(hpa.min, hpa.max);
    }
}

/// Whether the plan's workload has the path `of` picks.
fn has(plan: &Plan, of: fn(&Workload) -> Option<PathLoad>) -> bool {
    plan.workload.as_ref().and_then(of).is_some()
}

/// The path `of` picks, created at 60 runs a minute of the default duration.
fn path(plan: &mut Plan, of: fn(&mut Workload) -> &mut Option<PathLoad>) -> &mut PathLoad {
    of(plan.workload.get_or_insert_with(Workload::default)).get_or_insert(PathLoad::new(60.0, DEFAULT_DURATION))
}

/// One path's arrivals; none (or 0) removes the path, and the workload with its last path.
fn set_rate(plan: &mut Plan, rate: Option<f64>, of: fn(&mut Workload) -> &mut Option<PathLoad>) {
    match rate.filter(|r| *r > 0.0) {
        Some(rate) => path(plan, of).arrivals_per_minute = rate,
        None => {
            if let Some(workload) = plan.workload.as_mut() {
                *of(workload) = None;
                // The target is the queued runs' wait: it goes with them.
                if workload.queued.is_none() {
                    workload.target = None;
                }
                if workload.queued.is_none() && workload.streaming.is_none() {
                    plan.workload = None;
                }
            }
        }
    }
}

/// shared_buffers as the server runs it: the plan's, PGTune's or PostgreSQL's default.
fn running_shared_buffers(plan: &Plan) -> Bytes {
    crate::analysis::postgres_memory::PostgresMemory::of(plan, 0).shared_buffers()
}
