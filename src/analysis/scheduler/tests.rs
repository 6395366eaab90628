//! PodTopologySpread's scores computed by hand, node by node (the tests of placements only see
//! which node won).
#![cfg(test)]

use super::fixtures::{pool, workload};
use super::{Cluster, Ties, Workload};
use crate::model::resources::Resources;
use crate::model::units::{Bytes, Cpus};

fn web() -> Workload {
    workload("web", 1, 1_000)
}

/// One web pod on a-1 of zones a (a-1, a-2) and b (b-1). Raw: a-1 ⌊1·ln 5 + 2 + 1·ln 4 + 4⌉ =
/// 9, a-2 ⌊2 + 1·ln 4 + 4⌉ = 7, b-1 ⌊2 + 4⌉ = 6; normalised 100·(9 + 6 − raw) ÷ 9: 66, 88,
/// 100. Without zones: ⌊1·ln 5 + 2⌉ = 4 and 2, so 100·(4 + 2 − raw) ÷ 4: 50, 100, 100.
#[test]
fn the_spread_scores_by_host_and_by_zone() {
    for (zones, scores) in [((Some("a"), Some("b")), [66, 88, 100]), ((None, None), [50, 100, 100])] {
        let model = crate::model::cluster::Cluster {
            node_pools: vec![pool("a", 2, 8, zones.0), pool("b", 1, 8, zones.1)],
            ..Default::default()
        };
        let mut cluster = Cluster::new(&model, 1, Ties::First);
        assert_eq!(cluster.schedule(0, &web()), Some(0));
        assert_eq!(cluster.spread_scores(0, &[0, 1, 2]), scores, "{zones:?}");
    }
}

/// Two web pods on a-1: without zones ⌊2·ln 5 + 2⌉ = 5 against 2, so 40, 100, 100; with zones
/// a-1 ⌊2·ln 5 + 2 + 2·ln 4 + 4⌉ = 12, a-2 ⌊2 + 2·ln 4 + 4⌉ = 9, b-1 6: 50, 75, 100.
#[test]
fn the_spread_scores_of_two_pods_on_one_node() {
    for (zones, scores) in [((None, None), [40, 100, 100]), ((Some("a"), Some("b")), [50, 75, 100])] {
        let model = crate::model::cluster::Cluster {
            node_pools: vec![pool("a", 2, 8, zones.0), pool("b", 1, 8, zones.1)],
            ..Default::default()
        };
        let mut cluster = Cluster::new(&model, 1, Ties::First);
        cluster.counts[0] = vec![2, 0, 0];
        assert_eq!(cluster.spread_scores(0, &[0, 1, 2]), scores, "{zones:?}");
    }
}

/// Three zones of one node, two web pods on a-1: host and zone weights both ln(3 + 2); a-1
/// ⌊2·ln 5 + 2 + 2·ln 5 + 4⌉ = 12, the others ⌊2 + 4⌉ = 6: 50, 100, 100.
#[test]
fn the_zone_weight_counts_the_zones_among_the_feasible_nodes() {
    let model = crate::model::cluster::Cluster {
        node_pools: vec![pool("a", 1, 8, Some("a")), pool("b", 1, 8, Some("b")), pool("c", 1, 8, Some("c"))],
        ..Default::default()
    };
    let mut cluster = Cluster::new(&model, 1, Ties::First);
    cluster.counts[0] = vec![2, 0, 0];
    assert_eq!(cluster.spread_scores(0, &[0, 1, 2]), [50, 100, 100]);
}

/// A pod that requests no memory is scored as 200 MiB (the scheduler's DefaultMemoryRequest),
/// which weighs more on a node of 1 GiB than on one of 32 GiB. A pod of 1 CPU on two nodes of 8
/// CPUs: least-allocated CPU ⌊700 ÷ 8⌋ = 87 on both; memory ⌊100·824 ÷ 1024⌋ = 80 on the small
/// node, ⌊100·32568 ÷ 32768⌋ = 99 on the big one; fit ⌊(87 + 80) ÷ 2⌋ = 83 against 93, the
/// balance and the spread alike, so the big node (the second) wins. Scored as 0 MiB, both fit
/// at 93 and the tie would go to the first.
#[test]
fn a_pod_without_a_memory_request_is_scored_as_200_mib() {
    let mut small = pool("small", 1, 8, None);
    small.allocatable = Some(Resources { cpus: Some(Cpus::whole(8)), memory: Some(Bytes::gib(1)) });
    let model =
        crate::model::cluster::Cluster { node_pools: vec![small, pool("big", 1, 8, None)], ..Default::default() };
    let mut cluster = Cluster::new(&model, 1, Ties::First);
    let no_memory = Workload { memory_request: 0, memory_limit: 0, ..web() };
    assert_eq!(cluster.schedule(0, &no_memory), Some(1));
}
