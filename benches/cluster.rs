//! Cluster fit: placing 10,000 pods on 1,000 nodes, first fit decreasing and as kube-scheduler
//! does (one order of arrival), and every order of the kubernetes-large preset.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot unwrap has failed

use criterion::{Criterion, criterion_group, criterion_main};
use flowcap::analysis::placement::{PodGroup, Scale, place};
use flowcap::analysis::scheduler::{Ties, Workload, schedule};
use flowcap::model::cluster::{Cluster, NodePool};
use flowcap::model::resources::Resources;
use flowcap::model::units::{Bytes, Cpus};
use std::hint::black_box;

/// 1,000 nodes in four pools of different machine types, a DaemonSet on each.
fn nodes() -> Cluster {
    let node_pools = [(8, 32), (16, 64), (32, 128), (64, 256)]
        .iter()
        .enumerate()
        .map(|(i, &(cpus, gib))| NodePool::new(&format!("pool-{i}"), 250, Cpus::whole(cpus), Bytes::gib(gib)))
        .collect();
    Cluster {
        node_pools,
        daemonset: Resources { cpus: Some(Cpus(200)), memory: Some(Bytes::mib(256)) },
        ..Cluster::default()
    }
}

/// 10,000 pods in `groups` workloads of different shapes (100m–4 CPUs, 128 MiB–8 GiB).
fn pods(groups: u32) -> Vec<PodGroup> {
    (0..groups)
        .map(|i| PodGroup {
            workload: format!("w{i}"),
            count: 10_000 / groups,
            cpu_request: 100 + u64::from(i * 397 % 3_900),
            memory_request: (128 + u64::from(i * 811 % 8_064)) << 20,
            cpu_limit: Some(4_000),
            memory_limit: Some(8 << 30),
            admission: Default::default(),
            apart: Vec::new(),
            beside: None,
        })
        .collect()
}

fn cluster(c: &mut Criterion) {
    let nodes = nodes();
    for groups in [50, 10_000] {
        let pods = pods(groups);
        c.bench_function(&format!("place 10,000 pods in {groups} workloads on 1,000 nodes"), |b| {
            b.iter(|| place(black_box(&nodes), Scale::Now, black_box(&pods)))
        });
    }
    // kube-scheduler: 10,000 pods of 50 workloads, one pod at a time, every node scored.
    let workloads: Vec<Workload> = pods(50)
        .into_iter()
        .map(|g| Workload {
            name: g.workload,
            now: g.count,
            at_maximum: g.count,
            cpu_request: g.cpu_request,
            memory_request: g.memory_request,
            cpu_limit: g.cpu_limit.unwrap_or(g.cpu_request),
            memory_limit: g.memory_limit.unwrap_or(g.memory_request),
            apart: Vec::new(),
            beside: None,
            watched: false,
            admission: g.admission,
        })
        .collect();
    let order: Vec<usize> = (0..workloads.len()).collect();
    c.bench_function("schedule 10,000 pods in 50 workloads on 1,000 nodes as kube-scheduler", |b| {
        b.iter(|| schedule(black_box(&nodes), black_box(&workloads), &order, Ties::First))
    });
    // Every order of the preset's 7 workloads, as a report or a keystroke in the planner does.
    let plan = flowcap::model::presets::load_preset("kubernetes-large").unwrap().plan;
    c.bench_function("analyse kubernetes-large (every order of arrival)", |b| {
        b.iter(|| flowcap::analysis::figures::analyze(black_box(&plan)))
    });
}

criterion_group!(benches, cluster);
criterion_main!(benches);
