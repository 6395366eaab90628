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

criterion_group!(benches, keystroke, parts);
criterion_main!(benches);
