//! Erlang C at growing slot counts, and `flowcap solve` on the busy Medium example.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot unwrap has failed

use criterion::{Criterion, criterion_group, criterion_main};
use flowcap::analysis::queueing::erlang_c;
use flowcap::analysis::solve::solve;
use flowcap::model::load::parse_plan;
use std::hint::black_box;

fn queueing(c: &mut Criterion) {
    for servers in [10u64, 1_000, 10_000] {
        // 95 % utilisation: the hard case, just under capacity.
        let load = servers as f64 * 0.95;
        c.bench_function(&format!("erlang_c c={servers}"), |b| {
            b.iter(|| erlang_c(black_box(servers), black_box(load)))
        });
    }
    let text = include_str!("../examples/busy-medium.yaml");
    let plan = parse_plan("busy-medium.yaml", text).unwrap().plan;
    c.bench_function("solve busy-medium", |b| b.iter(|| solve(black_box(&plan))));
}

criterion_group!(benches, queueing);
criterion_main!(benches);
