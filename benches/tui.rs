//! One keystroke in the planner: update (with the analysis it triggers) and a full render into
//! a 120×40 buffer. A 60 Hz frame is 16.7 ms.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot unwrap has failed

use criterion::{Criterion, criterion_group, criterion_main};
use flowcap::model::load::parse_plan;
use flowcap::tui::knobs::Knob;
use flowcap::tui::state::{App, Msg};
use flowcap::tui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;

/// The planner on `examples/busy-medium.yaml` at 120×40, stable, so the waits, the curve and
/// the chart are all computed and drawn.
fn busy_app() -> App {
    let plan = parse_plan("busy-medium.yaml", include_str!("../examples/busy-medium.yaml")).unwrap();
    let mut app = App::new(plan, true);
    update(&mut app, Msg::Resize { width: 120, height: 40 });
    update(&mut app, Msg::Select(Knob::RuntimeSlots));
    for _ in 0..8 {
        update(&mut app, Msg::Step { up: true });
    }
    app
}

fn keystroke(c: &mut Criterion) {
    let mut app = busy_app();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut up = true;
    c.bench_function("keystroke: update + analysis + render 120x40", |b| {
        b.iter(|| {
            update(&mut app, Msg::Step { up });
            up = !up;
            terminal.draw(|frame| frame.render_widget(&app, frame.area())).unwrap();
            black_box(terminal.backend().buffer().area)
        })
    });
}

/// The keystroke in its two halves, to see where the time goes.
fn parts(c: &mut Criterion) {
    let mut app = busy_app();
    let mut up = true;
    c.bench_function("part: update", |b| {
        b.iter(|| {
            update(&mut app, Msg::Step { up });
            up = !up;
        })
    });
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    c.bench_function("part: render", |b| {
        b.iter(|| {
            terminal.draw(|frame| frame.render_widget(&app, frame.area())).unwrap();
        })
    });
}

/// The planner on a plan of `replicas × slots` execution slots, busy at 90 % with both paths
/// (queued waits and the streaming distribution per runtime computed), with no host to hold
/// it back, at 120×40.
pub fn app_at(replicas: u32, slots: u32) -> App {
    let total = f64::from(replicas) * f64::from(slots);
    // 90 % of the slots busy at a 30 s mean: arrivals per minute = 0.9 × slots × 2.
    let queued = 0.9 * total * 2.0;
    let text = format!(
        "runtime: {{ replicas: {replicas}, max_concurrent_executions: {slots}, limits: {{ cpus: 4, memory: 8G }} }}\n\
         workload:\n  queued: {{ arrivals_per_minute: {queued}, mean_duration: 30s }}\n  \
         streaming: {{ arrivals_per_minute: {queued}, mean_duration: 5s, memory_per_execution: 64M }}\n  \
         target: {{ p95_wait: 5s }}\n"
    );
    let plan = parse_plan("scaled.yaml", &text).unwrap();
    let mut app = App::new(plan, true);
    update(&mut app, Msg::Resize { width: 120, height: 40 });
    update(&mut app, Msg::Select(Knob::ApiReplicas));
    app
}

/// A keystroke at every size the planner takes: 72 slots, 45,000 and the plan's most,
/// 1,000,000 (a knob that changes the figures: the API's replicas).
fn at_scale(c: &mut Criterion) {
    for (replicas, slots) in [(4, 18), (450, 100), (1_000, 1_000)] {
        let mut app = app_at(replicas, slots);
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        let mut up = true;
        let total = replicas * slots;
        c.bench_function(&format!("keystroke at {total} slots: update + render 120x40"), |b| {
            b.iter(|| {
                update(&mut app, Msg::Step { up });
                up = !up;
                terminal.draw(|frame| frame.render_widget(&app, frame.area())).unwrap();
                black_box(terminal.backend().buffer().area)
            })
        });
    }
}

criterion_group!(benches, keystroke, parts, at_scale);
criterion_main!(benches);
