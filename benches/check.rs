//! Plan parsing + analysis + findings, as `--check` and every TUI keystroke run them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot unwrap has failed

use criterion::{Criterion, criterion_group, criterion_main};
use flowcap::analysis::rules::Severity;
use flowcap::model::load::{LoadedPlan, parse_plan};
use flowcap::model::plan::{HttpRouting, PathLoad, Workload};
use flowcap::model::presets::PRESETS;
use flowcap::model::units::{Bytes, Cpus, Seconds};
use flowcap::report::{Format, Report};
use std::hint::black_box;

fn check(c: &mut Criterion) {
    let medium = PRESETS.iter().find(|p| p.key == "medium").expect("medium preset");
    c.bench_function("parse medium preset", |b| b.iter(|| parse_plan(medium.file, black_box(medium.text)).unwrap()));
    let loaded = parse_plan(medium.file, medium.text).unwrap();
    c.bench_function("analyse + findings (medium)", |b| b.iter(|| Report::new(black_box(&loaded), Severity::Error)));
    c.bench_function("parse + analyse + human report (medium)", |b| {
        b.iter(|| {
            let loaded = parse_plan(medium.file, black_box(medium.text)).unwrap();
            Report::new(&loaded, Severity::Error).render(Format::Human)
        })
    });
}

/// The Medium preset with `workload: {queued: {arrivals_per_minute: 120, mean_duration: 30s}}`,
/// and with `streaming` runs beside them when given (balanced routing; the preset's runtime
/// memory limit, 8G, against the runs' memory).
fn medium_with(streaming: Option<PathLoad>) -> LoadedPlan {
    let medium = PRESETS.iter().find(|p| p.key == "medium").expect("medium preset");
    let mut loaded = parse_plan(medium.file, medium.text).unwrap();
    assert!(loaded.plan.runtime.limits.memory.is_some(), "the preset sets runtime.limits.memory");
    let mut workload = Workload::queued(120.0, Seconds(30.0));
    if let Some(streaming) = streaming {
        workload.streaming = Some(streaming);
        loaded.plan.runtime.http_routing = HttpRouting::Balanced;
    }
    loaded.plan.workload = Some(workload);
    loaded
}

/// A streaming path of `arrivals_per_minute` runs of `mean_duration` seconds, 256M and 0.25 CPU each.
fn streaming(arrivals_per_minute: f64, mean_duration: f64) -> PathLoad {
    PathLoad {
        memory_per_execution: Some(Bytes::mib(256)),
        cpu_per_execution: Some(Cpus(250)),
        ..PathLoad::new(arrivals_per_minute, Seconds(mean_duration))
    }
}

/// `--check` of a plan with both paths against the one-path check (the target: 1.3×),
/// and a streaming load of 500,000 runs in flight, where the exact Poisson tail sums the most.
fn paths(c: &mut Criterion) {
    let mut group = c.benchmark_group("workload-paths");
    for (name, loaded) in [
        ("analyse + findings, queued only (medium)", medium_with(None)),
        ("analyse + findings, queued + streaming (medium)", medium_with(Some(streaming(240.0, 20.0)))),
        ("analyse + findings, streaming 500k in flight (medium)", medium_with(Some(streaming(1_000_000.0, 30.0)))),
    ] {
        group.bench_function(name, |b| b.iter(|| Report::new(black_box(&loaded), Severity::Error)));
    }
    group.finish();
}

criterion_group!(benches, check, paths);
criterion_main!(benches);
