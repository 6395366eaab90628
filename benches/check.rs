//! Plan parsing + analysis + findings, as `--check` and every TUI keystroke run them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot unwrap has failed

use criterion::{Criterion, criterion_group, criterion_main};
use flowcap::analysis::rules::Severity;
use flowcap::model::load::parse_plan;
use flowcap::model::presets::PRESETS;
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

criterion_group!(benches, check);
criterion_main!(benches);
