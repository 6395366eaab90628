//! Clusters and workloads for the unit tests of the scheduler and of the orders of arrival:
//! nodes that offer pods exactly their size, so the arithmetic stays by hand.
#![cfg(test)]

use super::Workload;
use crate::model::cluster::NodePool;
use crate::model::resources::Resources;
use crate::model::units::{Bytes, Cpus};

/// `nodes` nodes of `cpus` CPUs and 32 GiB, all offered to pods, in `zone` if given.
pub(crate) fn pool(name: &str, nodes: u32, cpus: u64, zone: Option<&str>) -> NodePool {
    NodePool {
        allocatable: Some(Resources { cpus: Some(Cpus::whole(cpus)), memory: Some(Bytes::gib(32)) }),
        labels: zone.map(|z| [("topology.kubernetes.io/zone".to_string(), z.to_string())].into()).unwrap_or_default(),
        ..NodePool::new(name, nodes, Cpus::whole(cpus), Bytes::gib(32))
    }
}

/// `pods` pods now and at the maximum, each requesting and limited to `millis` CPU and 1 GiB,
/// on any node.
pub(crate) fn workload(name: &str, pods: u32, millis: u64) -> Workload {
    Workload {
        name: name.into(),
        now: pods,
        at_maximum: pods,
        cpu_request: millis,
        memory_request: 1 << 30,
        cpu_limit: millis,
        memory_limit: 1 << 30,
        admission: Default::default(),
        apart: Vec::new(),
        beside: None,
        watched: false,
    }
}
