//! Why the scheduler left a workload's pods Pending: what no node has left, or which of the
//! pod's required (anti-)affinities kept it off the nodes that have room.

use super::{Cluster, Node, Pending, Workload};
use crate::analysis::placement;
use crate::model::units::{Bytes, Cpus};

/// Which of its required pod (anti-)affinities kept a pod off the nodes with room for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kept {
    Apart,
    Beside,
}

impl Cluster {
    /// What kept a pod of `workload` off the nodes that have room for it and admit it: its
    /// required pod affinity where none of them is beside the pods it joins, else its (or
    /// another's) required pod anti-affinity; `None` where no node has room.
    fn kept_off(&self, workload: &Workload) -> Option<Kept> {
        let mut fitting = self.nodes.iter().enumerate().filter(|(_, node)| node.fits(workload)).peekable();
        fitting.peek()?;
        let beside = match (&workload.beside, self.occupied(workload)) {
            (Some(beside), Some(occupied)) => !fitting.any(|(at, node)| beside.allows(node.pool, Some(at), &occupied)),
            _ => false,
        };
        Some(if beside { Kept::Beside } else { Kept::Apart })
    }

    /// What a Pending pod of `workload` waits for.
    pub(super) fn pending(&self, workload: &Workload, pods: u32) -> Pending {
        let kept = self.kept_off(workload);
        Pending {
            workload: workload.name.clone(),
            pods,
            reason: self.why(workload),
            apart: kept == Some(Kept::Apart),
            beside: kept == Some(Kept::Beside),
            barred: workload.admission.bars_every_pool(),
        }
    }

    /// Why no node takes a pod of `workload`.
    fn why(&self, workload: &Workload) -> String {
        let requests = format!(
            "{} CPU{} and {}",
            Cpus(workload.cpu_request),
            if workload.cpu_request == 1_000 { "" } else { "s" },
            Bytes(workload.memory_request)
        );
        if workload.admission.bars_every_pool() {
            return workload.admission.barred();
        }
        let admitting: Vec<&Node> = self.nodes.iter().filter(|node| workload.admission.admits(node.pool)).collect();
        let n = admitting.len();
        if n == 0 {
            return placement::no_nodes(&requests);
        }
        let with_room = |node: &&&Node| node.pods < node.max_pods;
        match (self.kept_off(workload), &workload.beside) {
            (Some(Kept::Beside), Some(beside)) => {
                let occupied = self.occupied(workload);
                let running = occupied.as_ref().is_some_and(|o| o.any);
                // Beside the pods it joins, but on nodes that do not admit it.
                let admitted = occupied.as_ref().is_some_and(|occupied| {
                    let beside_at = |(at, node): (usize, &Node)| beside.allows(node.pool, Some(at), occupied);
                    self.nodes
                        .iter()
                        .enumerate()
                        .any(|(at, node)| workload.admission.admits(node.pool) && beside_at((at, node)))
                });
                let refused = (running && !admitted).then_some(workload.admission.refusals.as_str());
                return placement::beside_reason(beside, running, refused);
            }
            (Some(_), _) => return placement::apart_reason(&workload.apart),
            (None, _) => {}
        }
        if admitting.iter().all(|node| node.max_pods == 0) {
            return placement::NO_POD_SLOTS.into();
        }
        if !admitting.iter().any(|node| with_room(&node)) {
            let most = admitting.iter().map(|node| node.max_pods).max().unwrap_or(0);
            return format!("every node already runs its {most} pods (maxPods, less the DaemonSets')");
        }
        let free_cpu = admitting.iter().filter(with_room).map(|node| node.cpus - node.cpu_requests).max().unwrap_or(0);
        let free_memory =
            admitting.iter().filter(with_room).map(|node| node.memory - node.memory_requests).max().unwrap_or(0);
        let nodes = match (n, n == self.nodes.len()) {
            (1, true) => "the 1 node".to_string(),
            (_, true) => format!("any of {n} nodes"),
            (1, false) => "the 1 node that admits it".to_string(),
            (_, false) => format!("any of the {n} nodes that admit it"),
        };
        match (free_cpu < workload.cpu_request, free_memory < workload.memory_request) {
            (true, false) => format!(
                "it requests {} CPUs; the most left on {nodes} is {}",
                Cpus(workload.cpu_request),
                Cpus(free_cpu)
            ),
            (false, true) => {
                format!(
                    "it requests {}; the most left on {nodes} is {}",
                    Bytes(workload.memory_request),
                    Bytes(free_memory)
                )
            }
            _ => format!(
                "it requests {requests}; no one of {} nodes has both left (at most {} CPUs, {} on one)",
                n,
                Cpus(free_cpu),
                Bytes(free_memory)
            ),
        }
    }
}
