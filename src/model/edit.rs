//! Plan edits: typed changes to a plan, as a finding's fix or `flowcap solve` makes them. The
//! planner and solve act on these, never on a fix's words; reports write each as the plan
//! file's path and value (`{path: runtime.replicas, value: 4}`).

use crate::model::plan::Plan;
use crate::model::resources::Resources;
use crate::model::service::ServiceKey;
use crate::model::units::{Bytes, Cpus};
use serde::Serialize;
use serde::ser::SerializeStruct;
use std::fmt;

/// A service's limits, or its reservations (a pod's requests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    Limits,
    Reservations,
}

/// One plan edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanEdit {
    HostCpus(Cpus),
    HostMemory(Bytes),
    MaxConnections(u64),
    SharedBuffers(Bytes),
    ClientsAreSuperuser(bool),
    SharedJwtKeys(bool),
    RuntimeReplicas(u64),
    MaxConcurrentExecutions(u64),
    ApiAutoscalingMax(u64),
    RuntimeAutoscalingMax(u64),
    RuntimeAutoscalingMin(u64),
    /// The executor pool's autoscaler's memory target, per cent of the request.
    RuntimeTargetMemoryPercent(u64),
    RuntimeTargetCpuPercent(u64),
    JobsMaxConcurrent(u64),
    /// Nodes of the cluster's node pool at this index.
    PoolNodes(usize, u64),
    /// The cluster autoscaler's maximum for the node pool at this index.
    PoolMaxNodes(usize, u64),
    Cpus(ServiceKey, Block, Cpus),
    Memory(ServiceKey, Block, Bytes),
    RedisMaxmemory(Bytes),
}

/// A plan value in the form the plan file takes (a count, `0.5` CPUs, `512MiB`, a flag).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Setting {
    Count(u64),
    Cpus(Cpus),
    Size(Bytes),
    Flag(bool),
}

/// An edit the plan has no place for: the host, autoscaler, node pool, Job backend or service
/// it sets is not in the plan, or a count is past what a plan holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotInPlan {
    pub path: String,
}

impl fmt::Display for NotInPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the plan has no {} to set", self.path)
    }
}

impl PlanEdit {
    /// The dotted plan path it sets.
    pub fn path(&self) -> String {
        let block = |block: &Block| match block {
            Block::Limits => "limits",
            Block::Reservations => "reservations",
        };
        match self {
            PlanEdit::HostCpus(_) => "host.cpus".into(),
            PlanEdit::HostMemory(_) => "host.memory".into(),
            PlanEdit::MaxConnections(_) => "postgres.max_connections".into(),
            PlanEdit::SharedBuffers(_) => "postgres.shared_buffers".into(),
            PlanEdit::ClientsAreSuperuser(_) => "postgres.clients_are_superuser".into(),
            PlanEdit::SharedJwtKeys(_) => "api.shared_jwt_keys".into(),
            PlanEdit::RuntimeReplicas(_) => "runtime.replicas".into(),
            PlanEdit::MaxConcurrentExecutions(_) => "runtime.max_concurrent_executions".into(),
            PlanEdit::ApiAutoscalingMax(_) => "api.autoscaling.max".into(),
            PlanEdit::RuntimeAutoscalingMax(_) => "runtime.autoscaling.max".into(),
            PlanEdit::RuntimeAutoscalingMin(_) => "runtime.autoscaling.min".into(),
            PlanEdit::RuntimeTargetMemoryPercent(_) => "runtime.autoscaling.target_memory_percent".into(),
            PlanEdit::RuntimeTargetCpuPercent(_) => "runtime.autoscaling.target_cpu_percent".into(),
            PlanEdit::JobsMaxConcurrent(_) => "jobs.max_concurrent".into(),
            PlanEdit::PoolNodes(pool, _) => format!("cluster.node_pools.{pool}.nodes"),
            PlanEdit::PoolMaxNodes(pool, _) => format!("cluster.node_pools.{pool}.max_nodes"),
            PlanEdit::Cpus(service, at, _) => format!("{service}.{}.cpus", block(at)),
            PlanEdit::Memory(service, at, _) => format!("{service}.{}.memory", block(at)),
            PlanEdit::RedisMaxmemory(_) => "redis.maxmemory".into(),
        }
    }

    /// The value it sets, as the plan file writes it.
    pub fn value(&self) -> Setting {
        match self {
            PlanEdit::HostCpus(cpus) | PlanEdit::Cpus(_, _, cpus) => Setting::Cpus(*cpus),
            PlanEdit::HostMemory(size)
            | PlanEdit::SharedBuffers(size)
            | PlanEdit::Memory(_, _, size)
            | PlanEdit::RedisMaxmemory(size) => Setting::Size(*size),
            PlanEdit::ClientsAreSuperuser(flag) | PlanEdit::SharedJwtKeys(flag) => Setting::Flag(*flag),
            PlanEdit::MaxConnections(n)
            | PlanEdit::RuntimeReplicas(n)
            | PlanEdit::MaxConcurrentExecutions(n)
            | PlanEdit::ApiAutoscalingMax(n)
            | PlanEdit::RuntimeAutoscalingMax(n)
            | PlanEdit::RuntimeAutoscalingMin(n)
            | PlanEdit::RuntimeTargetMemoryPercent(n)
            | PlanEdit::RuntimeTargetCpuPercent(n)
            | PlanEdit::JobsMaxConcurrent(n)
            | PlanEdit::PoolNodes(_, n)
            | PlanEdit::PoolMaxNodes(_, n) => Setting::Count(*n),
        }
    }

    /// Makes the edit in `plan`, or says what the plan lacks for it.
    pub fn apply(&self, plan: &mut Plan) -> Result<(), NotInPlan> {
        let lacking = || NotInPlan { path: self.path() };
        let count = |n: &u64| u32::try_from(*n).map_err(|_| lacking());
        match self {
            PlanEdit::HostCpus(cpus) => plan.host.as_mut().ok_or_else(lacking)?.cpus = *cpus,
            PlanEdit::HostMemory(size) => plan.host.as_mut().ok_or_else(lacking)?.memory = *size,
            PlanEdit::MaxConnections(n) => {
                plan.postgres.max_connections = count(n)?;
                plan.postgres.max_connections_given = true;
            }
            PlanEdit::SharedBuffers(size) => plan.postgres.shared_buffers = Some(*size),
            PlanEdit::ClientsAreSuperuser(flag) => plan.postgres.clients_are_superuser = *flag,
            PlanEdit::SharedJwtKeys(flag) => plan.api.shared_jwt_keys = Some(*flag),
            PlanEdit::RuntimeReplicas(n) => plan.runtime.replicas = count(n)?,
            PlanEdit::MaxConcurrentExecutions(n) => plan.runtime.max_concurrent_executions = count(n)?,
            PlanEdit::ApiAutoscalingMax(n) => plan.api.autoscaling.as_mut().ok_or_else(lacking)?.max = count(n)?,
            PlanEdit::RuntimeAutoscalingMax(n) => {
                plan.runtime.autoscaling.as_mut().ok_or_else(lacking)?.max = count(n)?;
            }
            // The replicas stand within the bounds: a raised minimum raises them too.
            PlanEdit::RuntimeAutoscalingMin(n) => {
                let min = count(n)?;
                plan.runtime.autoscaling.as_mut().ok_or_else(lacking)?.min = min;
                plan.runtime.replicas = plan.runtime.replicas.max(min);
            }
            PlanEdit::RuntimeTargetMemoryPercent(n) => {
                plan.runtime.autoscaling.as_mut().ok_or_else(lacking)?.target_memory_percent = Some(count(n)?);
            }
            PlanEdit::RuntimeTargetCpuPercent(n) => {
                plan.runtime.autoscaling.as_mut().ok_or_else(lacking)?.target_cpu_percent = Some(count(n)?);
            }
            PlanEdit::JobsMaxConcurrent(n) => plan.jobs.as_mut().ok_or_else(lacking)?.max_concurrent = count(n)?,
            PlanEdit::PoolNodes(pool, n) => {
                let nodes = count(n)?;
                plan.cluster.as_mut().and_then(|c| c.node_pools.get_mut(*pool)).ok_or_else(lacking)?.nodes = nodes;
            }
            PlanEdit::PoolMaxNodes(pool, n) => {
                let nodes = count(n)?;
                plan.cluster.as_mut().and_then(|c| c.node_pools.get_mut(*pool)).ok_or_else(lacking)?.max_nodes =
                    Some(nodes);
            }
            PlanEdit::Cpus(service, at, cpus) => block(plan, service, *at).ok_or_else(lacking)?.cpus = Some(*cpus),
            PlanEdit::Memory(service, at, size) => {
                block(plan, service, *at).ok_or_else(lacking)?.memory = Some(*size);
            }
            PlanEdit::RedisMaxmemory(size) => plan.redis.as_mut().ok_or_else(lacking)?.maxmemory = Some(*size),
        }
        Ok(())
    }
}

fn block<'a>(plan: &'a mut Plan, service: &ServiceKey, at: Block) -> Option<&'a mut Resources> {
    let (limits, reservations) = plan.resources_mut(service)?;
    Some(match at {
        Block::Limits => limits,
        Block::Reservations => reservations,
    })
}

impl Serialize for PlanEdit {
    /// As the plan file has it: `{"path": "runtime.replicas", "value": 4}`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut edit = serializer.serialize_struct("PlanEdit", 2)?;
        edit.serialize_field("path", &self.path())?;
        edit.serialize_field("value", &self.value())?;
        edit.end()
    }
}

impl fmt::Display for Setting {
    /// As the findings write the value: `113`, `0.5`, `2 GiB`, `true`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Setting::Count(n) => write!(f, "{n}"),
            Setting::Cpus(cpus) => write!(f, "{cpus}"),
            Setting::Size(size) => write!(f, "{size}"),
            Setting::Flag(flag) => write!(f, "{flag}"),
        }
    }
}
