//! kube-scheduler's placement simulated, computed by hand: the spread that strands a big pod,
//! maxPods, the scores that choose a node, the cluster autoscaler, and every order.

use flowcap::analysis::orders::every_order;
use flowcap::analysis::placement::{PodGroup, Scale, place};
use flowcap::analysis::scheduler::{Ties, Workload, schedule};
use flowcap::model::cluster::{Cluster, NodePool};
use flowcap::model::resources::Resources;
use flowcap::model::units::{Bytes, Cpus};

const GIB: u64 = 1 << 30;

fn pool(nodes: u32, max_nodes: Option<u32>, cpus: u64, gib: u64) -> NodePool {
    NodePool {
        max_nodes,
        // What a node offers pods, exactly: the arithmetic stays by hand.
        allocatable: Some(Resources { cpus: Some(Cpus::whole(cpus)), memory: Some(Bytes::gib(gib)) }),
        ..NodePool::new("general", nodes, Cpus::whole(cpus), Bytes::gib(gib))
    }
}

/// The cluster of `pools`, with `daemonset_pods` DaemonSet pods on every node.
fn nodes(pools: &[NodePool], daemonset_pods: u32) -> Cluster {
    Cluster { node_pools: pools.to_vec(), daemonset_pods, ..Cluster::default() }
}

fn workload(name: &str, now: u32, at_maximum: u32, millis: u64, gib: u64) -> Workload {
    Workload {
        name: name.into(),
        now,
        at_maximum,
        cpu_request: millis,
        memory_request: gib * GIB,
        cpu_limit: millis,
        memory_limit: gib * GIB,
        admission: Default::default(),
        apart: Vec::new(),
        beside: None,
        watched: false,
    }
}

/// On 3 nodes of 8 CPUs, 3 API pods of 2 CPUs met first go one per node (the spread and the
/// least-allocated score both prefer an empty node), leaving 6 CPUs on each: a runtime of 6.5
/// fits nowhere. Met first, the runtime takes one node and the APIs the rest.
#[test]
fn the_spread_strands_a_big_pod_in_one_order_and_not_the_other() {
    let pools = [pool(3, None, 8, 32)];
    let workloads = [workload("api", 3, 3, 2_000, 1), workload("runtime", 1, 1, 6_500, 4)];
    let stranded = schedule(&nodes(&pools, 0), &workloads, &[0, 1], Ties::First);
    assert_eq!(stranded.pending_now.len(), 1);
    assert_eq!(stranded.pending_now[0].workload, "runtime");
    assert_eq!(stranded.pending_now[0].reason, "it requests 6.5 CPUs; the most left on any of 3 nodes is 6");
    // With no autoscaler nothing changes at the maximum: the pod Pending now is tried again,
    // and waits still.
    let at_maximum: Vec<(&str, u32)> =
        stranded.pending_at_maximum.iter().map(|p| (p.workload.as_str(), p.pods)).collect();
    assert_eq!(at_maximum, [("runtime", 1)]);
    let fine = schedule(&nodes(&pools, 0), &workloads, &[1, 0], Ties::First);
    assert!(fine.pending_now.is_empty(), "{fine:?}");
    // First fit decreasing places all four: the runtime first, as the best order does.
    let groups = [
        PodGroup {
            workload: "api".into(),
            count: 3,
            cpu_request: 2_000,
            memory_request: GIB,
            cpu_limit: None,
            memory_limit: None,
            admission: Default::default(),
            apart: Vec::new(),
            beside: None,
        },
        PodGroup {
            workload: "runtime".into(),
            count: 1,
            cpu_request: 6_500,
            memory_request: 4 * GIB,
            cpu_limit: None,
            memory_limit: None,
            admission: Default::default(),
            apart: Vec::new(),
            beside: None,
        },
    ];
    assert_eq!(place(&nodes(&pools, 0), Scale::Now, &groups).placed, 4);
    // Every order: the first that strands it, and one more node would have held it.
    let search = every_order(&nodes(&pools, 0), &workloads);
    assert!(search.every_order);
    assert_eq!(search.orders, 2);
    let now = search.now.unwrap();
    assert_eq!((now.order, now.extra_nodes), (vec!["api".to_string(), "runtime".to_string()], Some(1)));
    // A second pool of the same nodes, empty: a node more in either holds it, and the first
    // pool is the one named.
    let two = [pool(3, None, 8, 32), NodePool { name: "spare".into(), ..pool(0, None, 8, 32) }];
    let now = every_order(&nodes(&two, 0), &workloads).now.unwrap();
    assert_eq!((now.extra_nodes_pool, now.extra_nodes), (Some(0), Some(1)));
}

/// maxPods counts every pod on a node, the DaemonSets' included: 10 less 2 leaves 8 a node, so
/// 17 small pods on 2 nodes leave one Pending, in the best packing as in the scheduler.
#[test]
fn max_pods_caps_a_node_whatever_room_it_has() {
    let mut small = pool(2, None, 64, 256);
    small.max_pods = Some(10);
    let pools = [small];
    let workloads = [workload("web", 17, 17, 10, 0)];
    let outcome = schedule(&nodes(&pools, 2), &workloads, &[0], Ties::First);
    assert_eq!(outcome.pending_now[0].pods, 1);
    assert_eq!(outcome.pending_now[0].reason, "every node already runs its 8 pods (maxPods, less the DaemonSets')");
    let groups = [PodGroup {
        workload: "web".into(),
        count: 17,
        cpu_request: 10,
        memory_request: 64 << 20,
        cpu_limit: None,
        memory_limit: None,
        admission: Default::default(),
        apart: Vec::new(),
        beside: None,
    }];
    let packed = place(&nodes(&pools, 2), Scale::Now, &groups);
    assert_eq!((packed.placed, packed.unplaced[0].pods), (16, 1));
    assert!(packed.unplaced[0].reason.contains("already runs its 8 pods"), "{}", packed.unplaced[0].reason);
    assert!(packed.unplaced[0].pods_full && !packed.unplaced[0].too_big);
    // The kubelet's default is 110: 501 pods need 5 nodes, not 2.
    let many = [workload("web", 501, 501, 10, 0)];
    assert_eq!(schedule(&nodes(&[pool(2, None, 64, 256)], 0), &many, &[0], Ties::First).pending_now[0].pods, 281);
}

/// What each node holds at the end, smallest first.
fn loads(outcome: &flowcap::analysis::scheduler::Outcome) -> Vec<(u64, u64, u32)> {
    let mut loads: Vec<(u64, u64, u32)> =
        outcome.loads.iter().map(|l| (l.cpu_requests, l.memory_requests / GIB, l.pods)).collect();
    loads.sort();
    loads
}

/// The balanced score by hand, on two nodes of 10 CPUs and 10 GiB. `wide` (1 CPU, 4 GiB) takes
/// the first node; `heavy` (4 CPUs, 1 GiB) then scores the empty one higher (least-allocated
/// 60 and 90 → 75, balanced 1 − |0.4 − 0.1|/2 → 85: 360 against 50 + 100 + 200 = 350). A
/// `probe` of 2 GiB and no CPU request (scored as the scheduler's default 100m):
///   wide's node: least-allocated (89, 40) → 64; balanced 1 − |0.1 − 0.6|/2 → 75: 339
///   heavy's node: least-allocated (59, 70) → 64; balanced 1 − |0.4 − 0.3|/2 → 95: 359
/// Least-allocated ties; the balanced score sends it to heavy's node.
#[test]
fn the_balanced_score_breaks_a_least_allocated_tie() {
    let pools = [pool(2, None, 10, 10)];
    let workloads = [
        workload("wide", 1, 1, 1_000, 4),
        workload("heavy", 1, 1, 4_000, 1),
        Workload {
            name: "probe".into(),
            now: 1,
            at_maximum: 1,
            cpu_request: 0,
            memory_request: 2 * GIB,
            cpu_limit: 0,
            memory_limit: 2 * GIB,
            admission: Default::default(),
            apart: Vec::new(),
            beside: None,
            watched: false,
        },
    ];
    let outcome = schedule(&nodes(&pools, 0), &workloads, &[0, 1, 2], Ties::First);
    assert_eq!(loads(&outcome), [(1_000, 4, 1), (4_000, 3, 2)]);
}

/// The default topology spread (weight 2) against least-allocated (weight 1), by hand on two
/// nodes of 10 CPUs and 10 GiB: `big` (5 CPUs, 5 GiB) on one, a first `w` pod (1 CPU, 1 GiB)
/// on the other. The second `w` pod: on big's node least-allocated 40, balanced 100, spread
/// 100 (no `w` pod there) → 340; on the other least-allocated 80, balanced 100, spread
/// 100 · (3 + 2 − 3)/3 = 66 (raw counts × ln 4 + 2: 2 and 3) → 312. The spread wins.
#[test]
fn the_topology_spread_outweighs_the_freer_node() {
    let pools = [pool(2, None, 10, 10)];
    let workloads = [workload("big", 1, 1, 5_000, 5), workload("w", 2, 2, 1_000, 1)];
    let outcome = schedule(&nodes(&pools, 0), &workloads, &[0, 1], Ties::First);
    assert_eq!(loads(&outcome), [(1_000, 1, 1), (6_000, 6, 2)]);
}

/// The autoscalers scale one pod at a time, in turn; a pod no node takes brings a node of a
/// pool below its `max_nodes`, and only a pod no empty node would take stays Pending.
#[test]
fn the_cluster_autoscaler_adds_nodes_as_the_autoscalers_scale_up() {
    let pools = [pool(1, Some(3), 8, 32)];
    // 1 runtime of 6 CPUs now, 3 at the maximum: one node each, the pool grows to 3.
    let workloads = [workload("runtime", 1, 3, 6_000, 4), workload("api", 1, 1, 1_000, 1)];
    let outcome = schedule(&nodes(&pools, 0), &workloads, &[0, 1], Ties::First);
    assert!(outcome.pending_now.is_empty() && outcome.pending_at_maximum.is_empty(), "{outcome:?}");
    assert_eq!(outcome.loads.len(), 3);
    // A fourth runtime finds the pool at its maximum.
    let more = [workload("runtime", 1, 4, 6_000, 4), workload("api", 1, 1, 1_000, 1)];
    let short = schedule(&nodes(&pools, 0), &more, &[0, 1], Ties::First);
    assert_eq!((short.pending_at_maximum[0].workload.as_str(), short.pending_at_maximum[0].pods), ("runtime", 1));
    assert_eq!(short.loads.len(), 3);
}

/// The preset's workloads on its cluster: every order (7 workloads: 5,040) places every pod.
#[test]
fn the_kubernetes_preset_fits_in_every_order() {
    let plan = flowcap::model::presets::load_preset("kubernetes-large").unwrap().plan;
    let fit = flowcap::analysis::figures::analyze(&plan).cluster.unwrap();
    assert!(fit.scheduling.every_order);
    assert_eq!(fit.scheduling.orders, 5_040);
    assert_eq!((fit.scheduling.now, fit.scheduling.at_maximum), (None, None));
}

/// The order reported says every pod it leaves waiting, not only the first workload's: 2 nodes
/// of 6 pods (10 less 4 DaemonSet pods) take 12 of 20 API pods and 5 runtime pods.
#[test]
fn the_order_reported_counts_every_pod_it_leaves_pending() {
    let mut small = pool(2, None, 64, 256);
    small.max_pods = Some(10);
    let workloads = [workload("api", 20, 20, 10, 0), workload("runtime", 5, 5, 10, 0)];
    let search = every_order(&nodes(&[small], 4), &workloads);
    let now = search.now.unwrap();
    let pending: u32 = now.pending.iter().map(|p| p.pods).sum();
    assert_eq!(pending, 13, "{now:?}");
}

/// A pod-count shortage gets the fix that helps: more pod slots or nodes, not bigger nodes.
#[test]
fn a_max_pods_shortage_is_fixed_with_pod_slots_not_bigger_nodes() {
    use flowcap::analysis::rules::{RuleId, evaluate};
    let text = "platform: kubernetes\npostgres: { external: true, max_connections: 500 }\n\
                api: { replicas: 20, requests: { cpus: 10m, memory: 16Mi } }\n\
                runtime: { replicas: 5, requests: { cpus: 10m, memory: 16Mi } }\n\
                cluster:\n  node_pools:\n    - { name: general, nodes: 2, cpus: 64, memory: 256Gi, max_pods: 10 }\n  daemonset_pods: 4\n";
    let plan = flowcap::model::load::parse_plan("p.yaml", text).unwrap().plan;
    let findings = evaluate(&plan, &flowcap::analysis::figures::analyze(&plan));
    let short: Vec<_> = findings.iter().filter(|f| f.rule == RuleId::PodsUnschedulable).collect();
    assert_eq!(short.len(), 2, "{findings:?}");
    assert!(short[0].message.starts_with("8 api pod(s) cannot be placed now"), "{}", short[0].message);
    assert_eq!(
        short[0].fix.as_deref(),
        Some(
            "raise the pools' max_pods (the kubelet's maxPods) or add nodes (cluster.node_pools: nodes): the nodes have room, not pod slots"
        )
    );
}

/// On 100 nodes or more the scheduler scores only a share of them (here 100 of 120, from a
/// start that rotates) and flowcap tries each workload first, the rest largest first: the API's
/// 120 pods of 2 CPUs met first spread one a node, and a runtime of 6.5 CPUs then fits nowhere.
#[test]
fn a_large_cluster_tries_each_workload_first_and_finds_the_stranding_order() {
    let pools = [pool(120, None, 8, 32)];
    let workloads = [workload("api", 120, 120, 2_000, 1), workload("runtime", 1, 1, 6_500, 4)];
    let search = every_order(&nodes(&pools, 0), &workloads);
    assert!(!search.every_order);
    // Largest first (runtime, api) places all; api first strands the runtime.
    let now = search.now.unwrap();
    assert_eq!(now.order, ["api", "runtime"]);
    assert_eq!((now.pending[0].workload.as_str(), now.pending[0].pods), ("runtime", 1));
    // With the runtime first, every pod has a node.
    assert!(schedule(&nodes(&pools, 0), &workloads, &[1, 0], Ties::First).pending_now.is_empty());
}

/// The spread's cost holds for every order, not the first found. On 3 nodes of 8 CPUs, the
/// API's and the web's 3 pods of 2 CPUs each take an empty node while one is left (the
/// least-allocated score and their spread both prefer it): met before the runtime (6.5 CPUs),
/// the six need 6 nodes and the runtime a 7th. Only the API first needs 4: the first order
/// found (api, runtime, web) would have said 1 node.
#[test]
fn the_spread_costs_the_nodes_every_order_needs() {
    let pools = [pool(3, None, 8, 32)];
    let workloads =
        [workload("api", 3, 3, 2_000, 1), workload("runtime", 1, 1, 6_500, 4), workload("web", 3, 3, 2_000, 1)];
    let on =
        |count: u32, order: &[usize]| schedule(&nodes(&[pool(count, None, 8, 32)], 0), &workloads, order, Ties::First);
    assert!(on(4, &[0, 1, 2]).pending_now.is_empty());
    assert_eq!(on(6, &[0, 2, 1]).pending_now[0].workload, "runtime");
    assert!(on(7, &[0, 2, 1]).pending_now.is_empty());
    let search = every_order(&nodes(&pools, 0), &workloads);
    assert!(search.every_order);
    let now = search.now.unwrap();
    assert_eq!(now.extra_nodes, Some(4), "{now:?}");
    // Each stranding order leaves the one runtime pod: the first found is kept.
    assert_eq!(now.order, ["api", "runtime", "web"]);
    // 7 nodes place every pod in every order.
    assert_eq!(every_order(&nodes(&[pool(7, None, 8, 32)], 0), &workloads).now, None);
}

/// Of the orders that strand pods, the one that strands the most is reported. On one node of
/// 4 CPUs, `small`'s 3 pods of 1 CPU met first leave `big` (3 CPUs) Pending: 1 pod, the first
/// order found. Met after `big`, only one `small` pod fits: 2 Pending.
#[test]
fn the_order_that_strands_the_most_pods_is_reported() {
    let pools = [pool(1, None, 4, 32)];
    let workloads = [workload("small", 3, 3, 1_000, 1), workload("big", 1, 1, 3_000, 1)];
    assert_eq!(schedule(&nodes(&pools, 0), &workloads, &[0, 1], Ties::First).pending_now[0].pods, 1);
    let now = every_order(&nodes(&pools, 0), &workloads).now.unwrap();
    assert_eq!(now.order, ["big", "small"]);
    assert_eq!(now.pending.iter().map(|p| (p.workload.as_str(), p.pods)).collect::<Vec<_>>(), [("small", 2)]);
    // Found first, the worst order stays: the milder one found after does not replace it.
    let swapped = [workloads[1].clone(), workloads[0].clone()];
    let now = every_order(&nodes(&pools, 0), &swapped).now.unwrap();
    assert_eq!(now.order, ["big", "small"]);
}

/// Pods that wait only at the maximum are found in every order too, and the spread cost there
/// is the cluster autoscaler's maximum: one node of 8 CPUs without one holds 1 runtime of 6
/// CPUs now, and the 4 at the maximum need 4 nodes, 3 more. On 100 nodes or more the few
/// orders are tried (3 of them for 2 workloads), each of them, for the most pods Pending.
#[test]
fn pods_pending_only_at_the_maximum_and_the_nodes_that_holds_them() {
    let workloads = [workload("runtime", 1, 4, 6_000, 4), workload("api", 1, 1, 1_000, 1)];
    let search = every_order(&nodes(&[pool(1, None, 8, 32)], 0), &workloads);
    assert!(search.every_order && search.now.is_none(), "{search:?}");
    let at_maximum = search.at_maximum.unwrap();
    assert_eq!((at_maximum.pending[0].workload.as_str(), at_maximum.pending[0].pods), ("runtime", 3));
    assert_eq!(at_maximum.extra_nodes, Some(3));
    // 100 nodes: the few orders, not the search; 4 more runtimes than nodes wait at the maximum.
    let large = [workload("runtime", 100, 104, 6_000, 4), workload("api", 1, 1, 1_000, 1)];
    let search = every_order(&nodes(&[pool(100, None, 8, 32)], 0), &large);
    assert!(!search.every_order && search.now.is_none(), "{search:?}");
    assert_eq!(search.orders, 3);
    assert_eq!(search.at_maximum.unwrap().pending[0].pods, 4);
}

/// Nine workloads of 1 to 3 pods, 0.5 to 2.9 CPUs, on 8 nodes of 4: the states of the nodes
/// after each prefix of orders pass the search's bound (20,000 workloads placed) before every
/// order is covered. What the search found stands beside the few orders (each workload first,
/// the rest largest first, and all smallest first: 10), and the report says not every order
/// was covered.
#[test]
fn past_its_bound_the_search_falls_back_to_the_few_orders_and_says_so() {
    let workloads: Vec<Workload> = (0..9u64)
        .map(|i| workload(&format!("w{i}"), 1 + (i % 3) as u32, 1 + (i % 3) as u32, 500 + 300 * i, 1))
        .collect();
    let search = every_order(&nodes(&[pool(8, None, 4, 32)], 0), &workloads);
    assert!(!search.every_order, "{search:?}");
    assert_eq!(search.orders, 10, "{search:?}");
    let now = search.now.as_ref().expect("some order strands pods");
    assert_eq!(now.pending.iter().map(|p| p.pods).sum::<u32>(), 5, "{now:?}");
    assert_eq!(now.extra_nodes, Some(6), "{now:?}");
    // Eight workloads stay within the bound: every order (8! = 40,320) is covered.
    let search = every_order(&nodes(&[pool(8, None, 4, 32)], 0), &workloads[..8]);
    assert!(search.every_order && search.orders == 40_320, "{search:?}");
}

/// The web pods join the API's by node (required pod affinity). Met first, they wait, and the
/// scheduler binds them once the API's pod runs: before the runtime's, that come after. On
/// one node of 4 CPUs (API 1, web 2, runtime 2) the runtime's pod is the one left over.
#[test]
fn pods_that_wait_for_the_pods_they_join_bind_once_those_run() {
    use flowcap::analysis::affinity::{Beside, Topology};
    let mut web = workload("other_services.web", 1, 1, 2_000, 1);
    web.beside = Some(Beside {
        with: vec![1],
        names: vec!["api".into()],
        terms: vec![Topology { domains: None, key: "kubernetes.io/hostname".into() }],
        may_lead: false,
        outside: false,
    });
    let mut api = workload("api", 1, 1, 1_000, 1);
    api.watched = true;
    let workloads = [web, api, workload("runtime", 1, 1, 2_000, 1)];
    let outcome = schedule(&nodes(&[pool(1, None, 4, 32)], 0), &workloads, &[0, 1, 2], Ties::First);
    let pending: Vec<&str> = outcome.pending_now.iter().map(|p| p.workload.as_str()).collect();
    assert_eq!(pending, ["runtime"], "{outcome:?}");
    // Every order: the web pods never come before the API's, so the first order that strands a
    // pod is the API's, the web's, then the runtime's.
    let search = every_order(&nodes(&[pool(1, None, 4, 32)], 0), &workloads);
    let now = search.now.as_ref().unwrap();
    assert_eq!(now.order, ["api", "other_services.web", "runtime"], "{search:?}");
    // A web pod that may lead (it matches its own term) binds where it comes.
    let mut leading = workloads.clone();
    leading[0].beside.as_mut().unwrap().may_lead = true;
    leading[0].beside.as_mut().unwrap().with = vec![0, 1];
    let outcome = schedule(&nodes(&[pool(1, None, 4, 32)], 0), &leading, &[0, 2, 1], Ties::First);
    let pending: Vec<&str> = outcome.pending_now.iter().map(|p| p.workload.as_str()).collect();
    assert_eq!(pending, ["api"], "{outcome:?}");
}

/// The API's pods join the API's or the web's by node. On 2 nodes of 4 CPUs the first API pod
/// (3 CPUs) leads; the second finds no room beside it and waits. The web pods, small, then go
/// to the empty node, and the scheduler retries the waiting API pod there: every pod runs.
#[test]
fn a_waiting_pod_binds_once_a_pod_it_may_join_runs_where_there_is_room() {
    use flowcap::analysis::affinity::{Beside, Topology};
    let mut api = workload("api", 2, 2, 3_000, 1);
    api.beside = Some(Beside {
        with: vec![0, 1],
        names: vec!["api".into(), "other_services.web".into()],
        terms: vec![Topology { domains: None, key: "kubernetes.io/hostname".into() }],
        may_lead: true,
        outside: false,
    });
    api.watched = true;
    let mut web = workload("other_services.web", 2, 2, 100, 1);
    web.watched = true;
    let workloads = [api, web];
    let outcome = schedule(&nodes(&[pool(2, None, 4, 32)], 0), &workloads, &[0, 1], Ties::First);
    assert!(outcome.pending_now.is_empty(), "{outcome:?}");
    let search = every_order(&nodes(&[pool(2, None, 4, 32)], 0), &workloads);
    assert!(search.every_order && search.now.is_none() && search.at_maximum.is_none(), "{search:?}");
}

/// The default spread is over zones too (maxSkew 5) where the nodes carry
/// `topology.kubernetes.io/zone`. Zone a has two nodes of 8 CPUs, zone b one. Web's first pod
/// goes to a-1 (all tie). Its second, by hostname alone, ties a-2 and b-1 (spread 100 each) and
/// takes a-2; with zones, the raw spread is a-1 ⌊1·ln 5 + 2 + 1·ln 4 + 4⌉ = 9, a-2
/// ⌊2 + 1·ln 4 + 4⌉ = 7, b-1 ⌊2 + 4⌉ = 6, normalised 66, 88 and 100: b-1 wins by 24 points
/// (fit 91 and balance 95 are alike on both), and the runtime of 8 CPUs, which only zone b
/// admits, finds its one node taken.
#[test]
fn the_default_spread_over_zones_sends_the_second_pod_to_the_other_zone() {
    let zoned = |name: &str, nodes: u32, zone: &str| NodePool {
        name: name.into(),
        labels: [("topology.kubernetes.io/zone".to_string(), zone.to_string())].into(),
        ..pool(nodes, None, 8, 32)
    };
    let web = workload("web", 2, 2, 1_000, 1);
    let runtime = Workload {
        admission: flowcap::analysis::affinity::Admission { pools: vec![false, true], refusals: "not zone b".into() },
        ..workload("runtime", 1, 1, 8_000, 1)
    };
    let workloads = [web, runtime];
    let zones = nodes(&[zoned("a", 2, "eu-1a"), zoned("b", 1, "eu-1b")], 0);
    let outcome = schedule(&zones, &workloads, &[0, 1], Ties::First);
    let pending: Vec<(&str, u32)> = outcome.pending_now.iter().map(|p| (p.workload.as_str(), p.pods)).collect();
    assert_eq!(pending, [("runtime", 1)]);
    // Without the zone labels, web's pods stay in pool a and the runtime fits.
    let mut plain = zones.clone();
    for pool in &mut plain.node_pools {
        pool.labels.clear();
    }
    assert!(schedule(&plain, &workloads, &[0, 1], Ties::First).pending_now.is_empty());
}

/// A pod is too big when no node that admits it could hold one even empty: by CPU, by memory,
/// or with no pod slot at all (the DaemonSets take every one). Bigger nodes, not more, are
/// the fix then.
#[test]
fn a_pod_no_empty_node_holds_is_too_big() {
    let group = |cpus: u64, gib: u64| PodGroup {
        workload: "runtime".into(),
        count: 1,
        cpu_request: cpus * 1_000,
        memory_request: gib * GIB,
        cpu_limit: None,
        memory_limit: None,
        admission: Default::default(),
        apart: Vec::new(),
        beside: None,
    };
    let too_big = |cluster: &Cluster, cpus: u64, gib: u64| {
        let placed = place(cluster, Scale::Now, &[group(cpus, gib)]);
        placed.unplaced.first().map(|u| u.too_big)
    };
    let cluster = nodes(&[pool(2, None, 4, 16)], 0);
    assert_eq!(too_big(&cluster, 2, 32), Some(true), "memory past every node's");
    assert_eq!(too_big(&cluster, 8, 1), Some(true), "CPUs past every node's");
    assert_eq!(too_big(&cluster, 4, 16), None, "an empty node holds it exactly");
    let mut full = pool(2, None, 4, 16);
    full.max_pods = Some(2);
    assert_eq!(too_big(&nodes(&[full], 2), 1, 1), Some(true), "no pod slot left on any node");
    // Not too big, and yet the memory left decides: one pod of 10 GiB a node of 16.
    let two = PodGroup { count: 3, ..group(1, 10) };
    let placed = place(&cluster, Scale::Now, &[two]);
    assert_eq!((placed.placed, placed.unplaced[0].pods, placed.unplaced[0].too_big), (2, 1, false));
}

/// The spread's score against the others: a runtime of 7 CPUs on node 1 of two of 8, then two
/// API pods of 1. The first takes node 2 (fit 90 and balance 96 against 46 and 53). For the
/// second, node 1 scores fit 46, balance 53 and spread 100 (no API pod: raw ⌊0 + 2⌉ = 2) =
/// 299 with the spread's weight 2; node 2 fit 84, balance 90 and spread 66 (raw ⌊1·ln 4 + 2⌉ =
/// 3, normalised 100·(3 + 2 − 3) ÷ 3) = 306: both API pods on node 2, and a second runtime of
/// 7 CPUs finds 6 left there and 1 on node 1.
#[test]
fn the_spread_score_weighs_against_the_fit_as_the_scheduler_adds_them() {
    let workloads =
        [workload("runtime", 1, 1, 7_000, 1), workload("api", 2, 2, 1_000, 1), workload("worker", 1, 1, 7_000, 1)];
    let outcome = schedule(&nodes(&[pool(2, None, 8, 32)], 0), &workloads, &[0, 1, 2], Ties::First);
    let pending: Vec<(&str, u32)> = outcome.pending_now.iter().map(|p| (p.workload.as_str(), p.pods)).collect();
    assert_eq!(pending, [("worker", 1)]);
}

/// Where first fit and the scheduler's spread leave as many pods over, first fit's figures are
/// reported. At the maximum with none over, first fit counts every node the pool may grow to
/// (5); the spread, the nodes the cluster autoscaler adds for pods that wait (none here, so
/// 2): the cluster's figures are over the 5.
#[test]
fn first_fit_is_reported_where_the_spread_leaves_as_many_pods_over() {
    use flowcap::analysis::pod_workloads::{fit, spread};
    let text = "platform: kubernetes\npostgres: { external: true, max_connections: 500 }\n\
                api: { replicas: 1, requests: { cpus: 1500m, memory: 1Gi } }\n\
                cluster:\n  node_pools:\n    - { name: general, nodes: 2, max_nodes: 5, cpus: 8, memory: 32Gi }\n";
    let plan = flowcap::model::load::parse_plan("p.yaml", text).unwrap().plan;
    let model = plan.cluster.clone().unwrap();
    assert_eq!(spread(&model, &plan, Scale::Maximum, (true, Ties::First)).nodes, 2);
    let at_maximum = fit(&model, &plan, Scale::Maximum);
    assert_eq!((at_maximum.placed, at_maximum.nodes), (at_maximum.pods, 5));
}
