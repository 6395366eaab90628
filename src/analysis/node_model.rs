//! What a node offers pods: its capacity less what the provider reserves for the kubelet and
//! the system and the kubelet's eviction threshold (its allocatable), less the DaemonSets on
//! every node. Each provider's formula is cited in docs/design.md ("Node models").

use crate::model::cluster::{Cluster, NodePool, Provider};
use crate::model::units::{Bytes, Cpus};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
/// The kubelet's `evictionHard: memory.available<100Mi`, every provider's default since AKS
/// 1.29.
const EVICTION: u64 = 100 * MIB;

/// The part of `amount` between `from` and `to`.
fn band(amount: u64, from: u64, to: u64) -> u64 {
    amount.clamp(from, to) - from
}

/// The CPU reserved of `millis` by a ladder over the first core, the second, the next two and
/// every core above four: `rates` of each millicore in that band, per `per`, the sum rounded
/// up (GKE's and AKS's; EKS rounds each band down, [`eks`]).
fn cpu_ladder(millis: u64, rates: [u128; 4], per: u128) -> u64 {
    let bands = [(0, 1_000), (1_000, 2_000), (2_000, 4_000), (4_000, u64::MAX)];
    let sum: u128 = bands.iter().zip(rates).map(|(&(from, to), rate)| u128::from(band(millis, from, to)) * rate).sum();
    sum.div_ceil(per) as u64
}

/// GKE's published reservations: CPU 6 % of the first core, 1 % of the second, 0.5 % of the
/// next two and 0.25 % of every core above four; memory 255 MiB below 1 GiB, else 25 % of the
/// first 4 GiB, 20 % of the next 4, 10 % of the next 8, 6 % of the next 112 and 2 % above
/// 128 GiB; plus 100 MiB for eviction. Reservations round up.
///
/// ```
/// use flowcap::model::units::{Bytes, Cpus};
/// use flowcap::analysis::node_model::gke;
/// // 4 CPUs / 16 GiB: 60 + 10 + 5 + 5 = 80 millicores; 1 + 0.8 + 0.8 GiB + 100 MiB.
/// assert_eq!(gke(Cpus::whole(4), Bytes::gib(16)), (Cpus(3_920), Bytes(14_283_282_841)));
/// ```
pub fn gke(cpus: Cpus, memory: Bytes) -> (Cpus, Bytes) {
    let m = cpus.0;
    let cpu_reserved = cpu_ladder(m, [600, 100, 50, 25], 10_000);
    let b = memory.0;
    let memory_reserved = if b < GIB {
        255 * MIB
    } else {
        (u128::from(band(b, 0, 4 * GIB)) * 25
            + u128::from(band(b, 4 * GIB, 8 * GIB)) * 20
            + u128::from(band(b, 8 * GIB, 16 * GIB)) * 10
            + u128::from(band(b, 16 * GIB, 128 * GIB)) * 6
            + u128::from(band(b, 128 * GIB, u64::MAX)) * 2)
            .div_ceil(100) as u64
    };
    (Cpus(m.saturating_sub(cpu_reserved)), Bytes(b.saturating_sub(memory_reserved + EVICTION)))
}

/// Amazon EKS (the EKS AMI's nodeadm, `getCPUMillicoresToReserve` and
/// `getMemoryMebibytesToReserve`): the same CPU ladder as GKE's, each band rounded down;
/// memory 11 MiB × maxPods + 255 MiB; plus 100 MiB for eviction.
///
/// ```
/// use flowcap::model::units::{Bytes, Cpus};
/// use flowcap::analysis::node_model::eks;
/// // m5.large, 2 vCPUs and 29 pods: 60 + 10 = 70 millicores; 11 × 29 + 255 = 574 MiB.
/// assert_eq!(eks(Cpus::whole(2), Bytes::gib(8), 29), (Cpus(1_930), Bytes(8 * (1 << 30) - 674 * (1 << 20))));
/// ```
pub fn eks(cpus: Cpus, memory: Bytes, max_pods: u32) -> (Cpus, Bytes) {
    let m = cpus.0;
    let cpu_reserved = band(m, 0, 1_000) * 600 / 10_000
        + band(m, 1_000, 2_000) * 100 / 10_000
        + band(m, 2_000, 4_000) * 50 / 10_000
        + band(m, 4_000, u64::MAX / 100) * 25 / 10_000;
    let memory_reserved = (11 * u64::from(max_pods) + 255) * MIB;
    (Cpus(m.saturating_sub(cpu_reserved)), Bytes(memory.0.saturating_sub(memory_reserved + EVICTION)))
}

/// Azure Kubernetes Service 1.29 and later: CPU 60 millicores for the first core, 40 for the
/// second, 20 for each of the next two and 10 for every core above four (the docs' table: 1
/// core 60, 2 100, 4 140, 8 180, 16 260, 32 420, 64 740); memory the lesser of 20 MB ×
/// maxPods + 50 MB and 25 % of the node's (the docs' MB read as MiB, so allocatable is not
/// overstated); plus 100 MiB for eviction.
///
/// ```
/// use flowcap::model::units::{Bytes, Cpus};
/// use flowcap::analysis::node_model::aks;
/// // 8 cores: 60 + 40 + 40 + 40 = 180 millicores; 30 pods on 8 GiB: 20 × 30 + 50 = 650 MiB.
/// assert_eq!(aks(Cpus::whole(8), Bytes::gib(8), 30), (Cpus(7_820), Bytes(8 * (1 << 30) - 750 * (1 << 20))));
/// ```
pub fn aks(cpus: Cpus, memory: Bytes, max_pods: u32) -> (Cpus, Bytes) {
    let m = cpus.0;
    let cpu_reserved = cpu_ladder(m, [60, 40, 20, 10], 1_000);
    let by_pods = (20 * u64::from(max_pods) + 50) * MIB;
    let memory_reserved = by_pods.min(memory.0 / 4);
    (Cpus(m.saturating_sub(cpu_reserved)), Bytes(memory.0.saturating_sub(memory_reserved + EVICTION)))
}

/// The kubelet's own defaults: nothing reserved, 100 MiB for eviction.
pub fn generic(cpus: Cpus, memory: Bytes) -> (Cpus, Bytes) {
    (cpus, Bytes(memory.0.saturating_sub(EVICTION)))
}

/// What one node of `pool` offers pods: its `allocatable` where given, else the provider's
/// formula.
pub fn allocatable(cluster: &Cluster, pool: &NodePool) -> (Cpus, Bytes) {
    let (cpus, memory) = match cluster.provider {
        Provider::Gke => gke(pool.cpus, pool.memory),
        Provider::Eks => eks(pool.cpus, pool.memory, cluster.max_pods(pool)),
        Provider::Aks => aks(pool.cpus, pool.memory, cluster.max_pods(pool)),
        Provider::Generic => generic(pool.cpus, pool.memory),
    };
    let given = pool.allocatable.unwrap_or_default();
    (given.cpus.unwrap_or(cpus), given.memory.unwrap_or(memory))
}

/// What one node of a pool leaves for the plan's pods once the DaemonSets run on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offer {
    /// Millicores and bytes.
    pub cpus: u64,
    pub memory: u64,
    /// The kubelet's maxPods less the DaemonSets' pods.
    pub pods: u32,
}

/// What one node of `pool` leaves for the plan's pods.
pub fn offer(cluster: &Cluster, pool: &NodePool) -> Offer {
    let (cpus, memory) = allocatable(cluster, pool);
    Offer {
        cpus: cpus.0.saturating_sub(cluster.daemonset.cpus.map_or(0, |c| c.0)),
        memory: memory.0.saturating_sub(cluster.daemonset.memory.map_or(0, |m| m.0)),
        pods: cluster.max_pods(pool).saturating_sub(cluster.daemonset_pods),
    }
}
