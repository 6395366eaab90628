//! The planner screen: snapshots of rendered buffers, key sequences through `update`, and the
//! figures on screen against the core's analysis.

use flowcap::analysis::rules::RuleId;
use flowcap::inputs::Request;
use flowcap::model::cluster::Platform;
use flowcap::model::load::parse_plan;
use flowcap::model::presets::{keys_for, load_preset};
use flowcap::platform::compose::Environment;
use flowcap::tui::effects::dispatch;
use flowcap::tui::keys::message_for_key;
use flowcap::tui::knobs::Knob;
use flowcap::tui::state::{App, Consent, Effect, Mode, Msg, Output};
use flowcap::tui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;

pub(crate) fn app(preset: &str) -> App {
    App::new(load_preset(preset).unwrap(), true)
}

/// The planner as `flowcap` opens it on `request`: through the one way in.
pub(crate) fn app_on(request: &Request) -> App {
    let inputs = flowcap::inputs::resolve(request, Environment::default()).unwrap();
    let named = inputs.named();
    let mut app = App::new(inputs.loaded, true);
    if let Some(deployment) = inputs.deployment {
        app = app.with_deployment(deployment);
    }
    match inputs.values {
        Some(values) => app.with_values(values, request.helm_values.clone(), named),
        None => app,
    }
}

/// The project's own compose fixture: docker-compose.yml, its override and .env.
pub(crate) fn fixture_files() -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose");
    vec![dir.join("docker-compose.yml"), dir.join("docker-compose.override.yml")]
}

fn render(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| frame.render_widget(app, frame.area())).unwrap();
    terminal.backend().buffer().clone()
}

fn text(buffer: &Buffer) -> String {
    let width = usize::from(buffer.area.width);
    if width == 0 {
        return String::new();
    }
    let symbols: Vec<&str> = buffer.content.iter().map(|cell| cell.symbol()).collect();
    let rows = symbols.chunks(width).map(|row| row.concat().replace('\u{a0}', " ").trim_end().to_string());
    rows.collect::<Vec<_>>().join("\n")
}

pub(crate) fn screen(app: &App, width: u16, height: u16) -> String {
    text(&render(app, width, height))
}

/// Types `keys`; returns whether one of them quit the planner.
pub(crate) fn press(app: &mut App, keys: &str) -> bool {
    let mut quit = false;
    for c in keys.chars() {
        quit |= key(app, KeyCode::Char(c));
    }
    quit
}

pub(crate) fn key(app: &mut App, code: KeyCode) -> bool {
    key_with(app, code, KeyModifiers::NONE)
}

/// A key as the event loop handles it: its message through `update`, effects carried out.
/// Returns whether the planner quits.
pub(crate) fn key_with(app: &mut App, code: KeyCode, modifiers: KeyModifiers) -> bool {
    message_for_key(app, KeyEvent::new(code, modifiers)).is_some_and(|msg| dispatch(app, msg))
}

/// A plan with many findings of every kind, held against a deployment with drift.
pub(crate) fn many_findings() -> App {
    let request = Request { preset: Some("large".into()), compose_files: fixture_files(), ..Request::default() };
    let mut app = app_on(&request);
    for (knob, value) in [
        (Knob::RuntimeSlots, "200"),
        (Knob::PostgresMaxConnections, "40"),
        (Knob::HostMemory, "8G"),
        (Knob::HostCpus, "4"),
    ] {
        type_value(&mut app, knob, value);
    }
    select(&mut app, Knob::ApiMemory);
    key(&mut app, KeyCode::Delete);
    assert_eq!(app.mode, Mode::Normal);
    app
}

/// Selects `knob`, types `value` and Enter.
pub(crate) fn type_value(app: &mut App, knob: Knob, value: &str) {
    select(app, knob);
    press(app, value);
    key(app, KeyCode::Enter);
}

pub(crate) fn select(app: &mut App, knob: Knob) {
    update(app, Msg::Select(knob));
}

#[test]
fn main_screen_for_each_preset() {
    for preset in keys_for(Platform::Compose) {
        let app = app(preset);
        insta::assert_snapshot!(format!("{preset}_80x24"), screen(&app, 80, 24));
        insta::assert_snapshot!(format!("{preset}_120x40"), screen(&app, 120, 40));
    }
}

#[test]
fn help_overlay() {
    let mut app = app("medium");
    press(&mut app, "?");
    assert_eq!(app.mode, Mode::Help);
    insta::assert_snapshot!(screen(&app, 80, 24));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn small_terminal_gets_a_notice_not_a_panic() {
    let app = app("medium");
    insta::assert_snapshot!(screen(&app, 60, 20));
    for (width, height) in [(0, 0), (1, 1), (79, 24), (80, 23), (200, 3)] {
        let text = screen(&app, width, height);
        if width >= 20 && height >= 2 {
            assert!(text.contains("terminal too small"), "{width}×{height}: {text}");
        }
    }
}

#[test]
fn error_state_no_runtime_replicas() {
    let mut app = app("medium");
    select(&mut app, Knob::RuntimeReplicas);
    press(&mut app, "hhhh");
    assert_eq!(app.plan().runtime.replicas, 0);
    let shown = screen(&app, 80, 24);
    assert!(shown.contains("✗ no-execution-slots"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn warning_state_connections_near_limit() {
    let mut app = app("medium");
    select(&mut app, Knob::ApiReplicas);
    // 6 × 10 + 8 = 68 of 97: fine; 7 × 10 + 8 = 78: past the 77 warning line.
    press(&mut app, "lllll");
    assert_eq!(app.plan().api.replicas, 7);
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("⚠ connections-near-limit"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn select_and_adjust_with_keys() {
    let mut app = app("medium");
    assert_eq!(app.selected, Knob::ApiReplicas);
    press(&mut app, "jjjj");
    assert_eq!(app.selected, Knob::RuntimeReplicas);
    press(&mut app, "l");
    key(&mut app, KeyCode::Right);
    assert_eq!(app.plan().runtime.replicas, 6);
    assert_eq!(app.report.figures.concurrent_executions, 60);
    key(&mut app, KeyCode::Left);
    assert_eq!(app.plan().runtime.replicas, 5);
    // Up at the top and down at the bottom stay put.
    press(&mut app, "kkkkkkkkk");
    assert_eq!(app.selected, Knob::ApiReplicas);
    for _ in 0..40 {
        key(&mut app, KeyCode::Down);
    }
    assert_eq!(app.selected, *Knob::ALL.last().unwrap());
    assert!(screen(&app, 80, 24).contains("▸ memory / run"), "the selection scrolls into view");
}

#[test]
fn steps_are_sensible() {
    let mut app = app("medium");
    select(&mut app, Knob::RuntimeMemory);
    press(&mut app, "l");
    assert_eq!(app.plan().runtime.limits.memory.unwrap().0, 9 << 30, "8 GiB + 1 GiB");
    select(&mut app, Knob::HostMemory);
    press(&mut app, "l");
    assert_eq!(app.plan().host.unwrap().memory.0, 128 << 30, "64 GiB doubles");
    select(&mut app, Knob::RuntimeCpus);
    press(&mut app, "h");
    assert_eq!(app.plan().runtime.limits.cpus.unwrap().0, 3500, "4 − 0.5");
    select(&mut app, Knob::PostgresMaxConnections);
    press(&mut app, "+");
    assert_eq!(app.plan().postgres.max_connections, 110);
}

#[test]
fn undo_and_redo() {
    let mut app = app("medium");
    select(&mut app, Knob::RuntimeReplicas);
    press(&mut app, "ll");
    assert_eq!(app.plan().runtime.replicas, 6);
    press(&mut app, "u");
    assert_eq!(app.plan().runtime.replicas, 5);
    assert_eq!(app.report.figures.concurrent_executions, 50);
    press(&mut app, "u");
    assert_eq!(app.plan().runtime.replicas, 4);
    press(&mut app, "u");
    assert_eq!(app.status.as_ref().unwrap().text, "nothing to undo");
    key_with(&mut app, KeyCode::Char('r'), KeyModifiers::CONTROL);
    assert_eq!(app.plan().runtime.replicas, 5);
    assert_eq!(app.report.figures.concurrent_executions, 50);
    // A new change drops the redo history.
    press(&mut app, "h");
    update(&mut app, Msg::Redo);
    assert_eq!(app.plan().runtime.replicas, 4);
}

#[test]
fn presets_cycle_and_undo() {
    let mut app = app("development");
    press(&mut app, "p");
    assert_eq!(app.plan().name.as_deref(), Some("Small team"));
    press(&mut app, "pp");
    assert_eq!(app.plan().name.as_deref(), Some("Large"));
    assert_eq!(app.report.figures.concurrent_executions, 120);
    // Without a compose deployment the cycle goes on to the cluster, then back to the start.
    press(&mut app, "p");
    assert_eq!(app.plan().name.as_deref(), Some("Kubernetes large"));
    assert!(screen(&app, 80, 24).contains("CPU requested"));
    press(&mut app, "p");
    assert_eq!(app.plan().name.as_deref(), Some("Development"));
    press(&mut app, "uu");
    assert_eq!(app.plan().name.as_deref(), Some("Large"));
    assert!(screen(&app, 80, 24).contains("─ Large (modified) ─ from Large preset"));
}

#[test]
fn typed_value_with_unit() {
    let mut app = app("medium");
    select(&mut app, Knob::RuntimeMemory);
    press(&mut app, "12G");
    assert_eq!(app.mode, Mode::EditKnob("12G".into()));
    assert!(screen(&app, 80, 24).contains("12G▏"));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.plan().runtime.limits.memory.unwrap().0, 12 << 30);
    assert_eq!(app.mode, Mode::Normal);
    // Esc cancels without a change.
    press(&mut app, "3");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.plan().runtime.limits.memory.unwrap().0, 12 << 30);
    // A workload appears when runs / minute is typed.
    select(&mut app, Knob::QueuedArrivals);
    press(&mut app, "120");
    key(&mut app, KeyCode::Enter);
    let workload = app.report.figures.queued.as_ref().unwrap();
    assert_eq!(workload.waits.offered_load, 60.0);
}

#[test]
fn invalid_value_says_why_and_changes_nothing() {
    let mut app = app("medium");
    let before = app.plan().clone();
    select(&mut app, Knob::RuntimeMemory);
    press(&mut app, "8X");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.plan(), &before);
    let (knob, why) = app.knob_error.clone().unwrap();
    assert_eq!(knob, Knob::RuntimeMemory);
    assert!(why.starts_with("invalid memory size `8X`"), "{why}");
    assert!(screen(&app, 80, 24).contains("invalid memory size `8X`"));
    // Out of range: the core's own message.
    select(&mut app, Knob::ApiReplicas);
    press(&mut app, "0");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.knob_error.as_ref().unwrap().1, "api.replicas: must be between 1 and 1000, got 0");
    // Too large for any count: the same rule, not "not a whole number".
    press(&mut app, "99999999999");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.knob_error.as_ref().unwrap().1, "must be between 1 and 1000, got 99999999999");
    // Memory without a unit would be bytes: a unit is asked for.
    select(&mut app, Knob::RuntimeMemory);
    press(&mut app, "32");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.knob_error.as_ref().unwrap().1,
        "`32` needs a unit, such as 8G or 512M (a bare number would be bytes)"
    );
    // The reason is in the status area, whole, at the narrowest screen.
    let shown = screen(&app, 80, 24);
    assert!(shown.contains("memory limit: `32` needs a unit, such as 8G or 512M (a bare number would be"), "{shown}");
    assert!(shown.contains("bytes) (Esc)"), "wrapped, not cut: {shown}");
    // A zero limit: the planner's way to no limit is its key, not the plan file's advice.
    select(&mut app, Knob::RuntimeCpus);
    press(&mut app, "0");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.knob_error.as_ref().unwrap().1,
        "runtime.limits.cpus: must be greater than 0 (x clears it: no limit)"
    );
    assert_eq!(app.plan(), &before);
    assert!(app.undo.is_empty());
}

#[test]
fn a_limit_of_none_is_the_most_so_stepping_up_keeps_it() {
    let mut app = app("medium");
    select(&mut app, Knob::RuntimeMemory);
    key(&mut app, KeyCode::Delete);
    assert_eq!(app.plan().runtime.limits.memory, None);
    press(&mut app, "l");
    assert_eq!(app.plan().runtime.limits.memory, None, "no limit does not shrink to 256 MiB");
    assert!(app.knob_error.as_ref().unwrap().1.contains("already the most"));
    press(&mut app, "h");
    assert_eq!(app.plan().runtime.limits.memory, app.plan().host.map(|h| h.memory), "down starts at the host");
    // A reservation of none is zero: up grows it.
    select(&mut app, Knob::RuntimeCpusReserved);
    key(&mut app, KeyCode::Delete);
    press(&mut app, "l");
    assert_eq!(app.plan().runtime.reservations.cpus.unwrap().0, 500);
}

#[test]
fn undo_and_redo_say_what_changed_and_select_it() {
    let mut app = app("medium");
    select(&mut app, Knob::RuntimeSlots);
    press(&mut app, "l");
    select(&mut app, Knob::ApiReplicas);
    press(&mut app, "u");
    assert_eq!(app.selected, Knob::RuntimeSlots);
    assert_eq!(app.status.as_ref().unwrap().text, "undo: Runtime max concurrent 10 (was 11)");
    press(&mut app, "p");
    assert_eq!(app.status.as_ref().unwrap().text, "preset large");
    select(&mut app, Knob::ApiReplicas);
    press(&mut app, "l");
    press(&mut app, "p");
    assert_eq!(app.status.as_ref().unwrap().text, "preset kubernetes-large: your edits are one u away");
    press(&mut app, "u");
    assert!(
        app.status.as_ref().unwrap().text.starts_with("undo: ")
            && app
                .status
                .as_ref()
                .unwrap()
                .text
                .contains("values (API replicas, Runtime cpus reserved, Runtime memory reserved and more)"),
        "{:?}",
        app.status
    );
    assert_eq!(app.plan().api.replicas, 4, "the edited Large is back");
}

#[test]
fn quit_asks_only_with_unsaved_changes() {
    let mut app = app("medium");
    assert!(press(&mut app, "q"));

    let mut app = self::app("medium");
    select(&mut app, Knob::RuntimeReplicas);
    press(&mut app, "l");
    assert!(!press(&mut app, "q"));
    assert_eq!(app.mode, Mode::ConfirmQuit);
    assert!(screen(&app, 80, 24).contains("Unsaved changes. Quit anyway? y yes · n no"));
    assert!(!press(&mut app, "n"));
    assert!(press(&mut app, "qy"));

    // Ctrl-C asks too; a second one leaves. Without changes it leaves at once.
    let mut app = self::app("medium");
    press(&mut app, "l");
    assert!(!key_with(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL), "Ctrl-C asks first");
    assert_eq!(app.mode, Mode::ConfirmQuit);
    assert!(key_with(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL), "a second Ctrl-C leaves");
    let mut app = self::app("medium");
    assert!(key_with(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL), "nothing to lose: Ctrl-C leaves");
}

#[test]
fn save_writes_the_plan_and_confirms_before_replacing() {
    let temporary = tempfile::tempdir().unwrap();
    let dir = temporary.path();
    let path = dir.join("plan.yaml");
    let mut app = app("medium");
    select(&mut app, Knob::RuntimeReplicas);
    press(&mut app, "l");
    press(&mut app, "s");
    assert_eq!(app.mode, Mode::Path { output: Output::Plan, text: "flowcap.yaml".into() });
    for _ in 0.."flowcap.yaml".len() {
        key(&mut app, KeyCode::Backspace);
    }
    press(&mut app, &path.display().to_string());
    key(&mut app, KeyCode::Enter);
    assert!(!app.modified());
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# Written by flowcap from Medium preset, edited in the planner."), "{text}");
    let saved = parse_plan("plan.yaml", &text).unwrap().plan;
    assert_eq!(&saved, app.plan());
    assert_eq!(app.origin, path.display().to_string(), "the title names the file the plan now lives in");

    // Saving again over the file asks first; "n" keeps it.
    press(&mut app, "l");
    press(&mut app, "s");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::ConfirmOverwrite { output: Output::Plan, path: path.clone(), needs_force: None });
    press(&mut app, "n");
    assert_eq!(parse_plan("plan.yaml", &std::fs::read_to_string(&path).unwrap()).unwrap().plan.runtime.replicas, 5);
    press(&mut app, "s");
    key(&mut app, KeyCode::Enter);
    press(&mut app, "y");
    assert_eq!(parse_plan("plan.yaml", &std::fs::read_to_string(&path).unwrap()).unwrap().plan.runtime.replicas, 6);
    assert!(dir.join("plan.yaml.bak").exists());
}

#[test]
fn every_figure_shown_is_the_cores() {
    let mut app = app("medium");
    select(&mut app, Knob::QueuedArrivals);
    press(&mut app, "60");
    key(&mut app, KeyCode::Enter);
    let shown = screen(&app, 120, 40);
    let report = flowcap::report::Report::new(&app.loaded, flowcap::analysis::rules::Severity::Error);
    let f = &report.figures;
    assert_eq!(f, &app.report.figures, "the TUI's figures are the core's");
    let expected = [
        format!("Queued at once {} = {} × {}", f.concurrent_executions, f.runtime_replicas, f.slots_per_replica),
        format!("{} · 0.4 CPUs", flowcap::model::units::Bytes(f.per_slot.memory_bytes.unwrap())),
        format!("{}/{}", f.connections.used, f.connections.usable),
        format!("{} %", (f.connections.share * 100.0).round()),
        format!("{} %", (f.host.as_ref().unwrap().cpu_limits_share * 100.0).round()),
        "26/32 CPUs".to_string(),
        "45.5/64 GiB".to_string(),
        "PGTune: shared_buffers 2GB, work_mem 20164kB".to_string(),
        "60/min × 30 s = 30 busy slots".to_string(),
    ];
    for figure in expected {
        assert!(shown.contains(&figure), "missing {figure:?} in\n{shown}");
    }
    let waits = &f.queued.as_ref().unwrap().waits;
    let p95 = flowcap::model::units::Seconds(waits.p95_wait_seconds.unwrap()).to_string();
    assert!(shown.contains(&format!("p95 {p95}")), "{shown}");
}

/// The cells of the gauge bar on the line that starts with `label`.
fn gauge_colors(buffer: &Buffer, label: &str) -> Vec<Color> {
    let width = usize::from(buffer.area.width);
    let rows: Vec<&[ratatui::buffer::Cell]> = buffer.content.chunks(width).collect();
    let row = rows.iter().find(|row| row.iter().map(|c| c.symbol()).collect::<String>().contains(label)).unwrap();
    row.iter().filter(|c| c.symbol() == "█").map(|c| c.fg).collect()
}

#[test]
fn a_gauge_has_the_colour_of_its_findings_and_no_other() {
    let colour_of = |app: &App, rules: &[&str]| match app
        .report
        .findings
        .iter()
        .filter(|f| rules.contains(&f.finding.rule.as_str()))
        .map(|f| f.finding.severity)
        .max()
    {
        Some(flowcap::analysis::rules::Severity::Error) => Color::Red,
        Some(flowcap::analysis::rules::Severity::Warning) => Color::Yellow,
        _ => Color::Green,
    };
    let mut app = app("medium");
    let mut seen = std::collections::BTreeSet::new();
    // Medium opens with Host CPU at 81 %: no finding, so not amber.
    for (knob, value) in [
        (Knob::HostCpus, "32"),
        (Knob::HostCpus, "40"),
        (Knob::HostCpus, "24"),
        (Knob::HostCpus, "8"),
        (Knob::PostgresMaxConnections, "36"),
        (Knob::PostgresMaxConnections, "31"),
        (Knob::PostgresMaxConnections, "20"),
    ] {
        type_value(&mut app, knob, value);
        let buffer = render(&app, 120, 40);
        for (label, rules) in [
            ("Host CPU", &[RuleId::HostCpuOvercommit.as_str()][..]),
            ("DB connections", &[RuleId::ConnectionsExhausted.as_str(), RuleId::ConnectionsNearLimit.as_str()][..]),
        ] {
            let colours = gauge_colors(&buffer, label);
            let expected = colour_of(&app, rules);
            assert!(
                colours.iter().all(|c| *c == expected),
                "{label} at {knob:?}={value}: {colours:?}, want {expected:?}"
            );
            seen.insert(format!("{expected:?}"));
        }
    }
    assert_eq!(seen.len(), 3, "green, amber and red all shown: {seen:?}");
    let colours = gauge_colors(&render(&app, 120, 40), "Host CPU");
    assert_eq!(colours.len(), 10, "a full bar at 120 columns");
}

#[test]
fn no_color_means_no_colour() {
    let mut app = App::new(load_preset("medium").unwrap(), false);
    select(&mut app, Knob::HostCpus);
    press(&mut app, "24");
    key(&mut app, KeyCode::Enter);
    let buffer = render(&app, 80, 24);
    assert!(buffer.content.iter().all(|c| c.fg == Color::Reset && c.bg == Color::Reset));
}

#[test]
fn workload_figures_and_chart() {
    let text = include_str!("../../examples/busy-medium.yaml");
    let mut app = App::new(parse_plan("examples/busy-medium.yaml", text).unwrap(), true);
    assert!(screen(&app, 80, 24).contains("UNSTABLE on 40 slots: needs ≥ 61 slots"));
    // Past saturation the current load has no p95 and no place on the 0-100 % axis: said so.
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("now: 150 % load, off the chart") && !shown.contains('•'), "{shown}");
    select(&mut app, Knob::RuntimeSlots);
    press(&mut app, "18");
    key(&mut app, KeyCode::Enter);
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("target p95 wait ≤ 5 s: met"), "{shown}");
    assert!(shown.contains("load %") && shown.contains("p95 s"), "the chart is drawn:\n{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn the_mouse_acts_only_on_what_is_under_it() {
    use flowcap::tui::mouse::message_for_mouse;
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = many_findings();
    update(&mut app, Msg::Resize { width: 80, height: 24 });
    let shown = screen(&app, 80, 24);
    let mouse = |kind, column, row| MouseEvent { kind, column, row, modifiers: KeyModifiers::NONE };
    // As the event loop does: the screen is drawn, then the pointer meets what was drawn.
    let run = |app: &mut App, event| {
        app.drawn = flowcap::tui::view::drawn(app);
        if let Some(msg) = message_for_mouse(app, event) {
            update(app, msg);
        }
    };
    // Row of the runtime's "max concurrent" knob on screen.
    let row = shown.lines().position(|line| line.contains("max concurrent")).unwrap() as u16;
    run(&mut app, mouse(MouseEventKind::Down(MouseButton::Left), 5, row));
    assert_eq!(app.selected, Knob::RuntimeSlots);
    let before = app.plan().clone();
    // The wheel over the figures, or over the findings, changes no knob.
    let figures = shown.lines().position(|line| line.contains("Queued at once")).unwrap() as u16;
    let findings = shown.lines().position(|line| line.contains("Findings (")).unwrap() as u16 + 1;
    for row in [figures, findings] {
        run(&mut app, mouse(MouseEventKind::ScrollDown, 60, row));
        run(&mut app, mouse(MouseEventKind::ScrollDown, 60, row));
        run(&mut app, mouse(MouseEventKind::ScrollUp, 60, row));
    }
    assert_eq!(app.plan(), &before, "the wheel away from a knob edits nothing");
    // Over the findings it scrolls them (and only there: the figures did not).
    assert_eq!(app.findings_scroll, 1);
    // Over the knobs it scrolls the list and never edits: three turns down over every row
    // leave the plan and the selection as they were.
    let rows: Vec<u16> =
        (0..24u16).filter(|&row| app.drawn.as_ref().unwrap().knob_at((5, row).into()).is_some()).collect();
    assert!(rows.len() > 5, "{shown}");
    let selected = app.selected;
    for &row in &rows {
        for _ in 0..3 {
            run(&mut app, mouse(MouseEventKind::ScrollDown, 5, row));
        }
        for _ in 0..3 {
            run(&mut app, mouse(MouseEventKind::ScrollUp, 5, row));
        }
    }
    assert_eq!((app.plan(), app.selected), (&before, selected), "the wheel over the knobs edits nothing");
    // It moves the list: the first knob shown goes out of view, and the border says so.
    run(&mut app, mouse(MouseEventKind::ScrollDown, 5, rows[0]));
    run(&mut app, mouse(MouseEventKind::ScrollDown, 5, rows[0]));
    let scrolled = screen(&app, 80, 24);
    assert!(!scrolled.contains("Plan ─") || scrolled != shown, "{scrolled}");
    assert_eq!(app.plan_scroll, Some(2));
    // A click then selects the knob under the pointer and the list stays where it is.
    let row = scrolled.lines().position(|line| line.contains("cpus reserved")).unwrap() as u16;
    run(&mut app, mouse(MouseEventKind::Down(MouseButton::Left), 5, row));
    assert_eq!((app.selected, app.plan_scroll), (Knob::RuntimeCpusReserved, Some(2)));
    assert_eq!(screen(&app, 80, 24).lines().position(|line| line.contains("cpus reserved")), Some(row as usize));
    // The keyboard brings the selection back into view.
    key(&mut app, KeyCode::Down);
    assert_eq!(app.plan_scroll, None);
    // A click outside the knobs selects nothing.
    app.drawn = flowcap::tui::view::drawn(&app);
    assert_eq!(message_for_mouse(&app, mouse(MouseEventKind::Down(MouseButton::Left), 60, figures)), None);
    // Before anything is drawn, the pointer points at nothing.
    app.drawn = None;
    assert_eq!(message_for_mouse(&app, mouse(MouseEventKind::Down(MouseButton::Left), 5, row)), None);
}

#[test]
fn undo_history_is_bounded() {
    let mut app = app("medium");
    select(&mut app, Knob::RuntimeSlots);
    for i in 0..flowcap::tui::state::UNDO_LIMIT + 10 {
        update(&mut app, Msg::Step { up: i % 2 == 0 });
    }
    assert_eq!(app.undo.len(), flowcap::tui::state::UNDO_LIMIT);
}

#[test]
fn export_writes_the_override_and_asks_before_replacing() {
    let temporary = tempfile::tempdir().unwrap();
    let dir = temporary.path();
    std::fs::copy(&fixture_files()[0], dir.join("docker-compose.yml")).unwrap();
    let request = Request {
        preset: Some("medium".into()),
        compose_files: vec![dir.join("docker-compose.yml")],
        ..Request::default()
    };
    let mut app = app_on(&request);
    let path = dir.join("docker-compose.override.yml");
    press(&mut app, "e");
    let suggested = path.display().to_string();
    assert_eq!(app.mode, Mode::Path { output: Output::Override, text: suggested.clone() }, "beside the compose file");
    key(&mut app, KeyCode::Enter);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("from presets/medium.yaml") && text.contains("replicas: 4"), "{text}");
    assert!(dir.join("docker-compose.override.api-lb.conf").exists(), "two API replicas: a load balancer");
    let status = &app.status.as_ref().unwrap().text;
    assert!(status.starts_with("wrote ") && status.contains(" · apply it: docker compose -f "), "{status}");
    assert!(!app.modified(), "exporting does not count as saving the plan, and nothing changed");

    // Again, after a change: both files exist, so it asks.
    select(&mut app, Knob::RuntimeReplicas);
    press(&mut app, "l");
    press(&mut app, "e");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::ConfirmOverwrite { output: Output::Override, path: path.clone(), needs_force: None });
    press(&mut app, "y");
    assert!(std::fs::read_to_string(&path).unwrap().contains("replicas: 5"));
    assert!(dir.join("docker-compose.override.yml.bak").exists());
}

#[test]
fn the_planner_and_flowcap_export_write_the_same_bytes() {
    // A real stack with its own override, as an operator's folder has after a first export.
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/operator-override");
    let temporary = tempfile::tempdir().unwrap();
    let dir = temporary.path();
    for file in ["docker-compose.yml", "docker-compose.override.yml", "flowcap.args"] {
        std::fs::copy(corpus.join(file), dir.join(file)).unwrap();
    }
    let files = vec![dir.join("docker-compose.yml"), dir.join("docker-compose.override.yml")];
    let output = dir.join("flowcap.override.yml");
    let written = |dir: &std::path::Path| -> Vec<(String, Vec<u8>)> {
        let mut found: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("flowcap.override"))
            .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
            .collect();
        found.sort();
        found
    };
    let mut cli = assert_cmd::Command::cargo_bin("flowcap").unwrap();
    cli.current_dir(dir).args(["export", "--preset", "large", "-o"]).arg(&output);
    for file in &files {
        cli.arg("-f").arg(file);
    }
    cli.assert().success();
    let by_cli = written(dir);
    assert_eq!(
        by_cli.len(),
        3,
        "the override and two balancer configs: {:?}",
        by_cli.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (name, _) in &by_cli {
        std::fs::remove_file(dir.join(name)).unwrap();
    }

    let request = Request { preset: Some("large".into()), compose_files: files, ..Request::default() };
    let mut app = app_on(&request);
    press(&mut app, "e");
    let Mode::Path { text, .. } = app.mode.clone() else { panic!("{:?}", app.mode) };
    for _ in 0..text.chars().count() {
        key(&mut app, KeyCode::Backspace);
    }
    press(&mut app, &output.display().to_string());
    key(&mut app, KeyCode::Enter);
    assert!(app.status.as_ref().is_some_and(|s| !s.error), "{:?}", app.status);
    assert_eq!(written(dir), by_cli, "byte for byte");
}

#[test]
fn export_without_a_deployment_says_what_it_needs() {
    let mut app = app("medium");
    press(&mut app, "e");
    key(&mut app, KeyCode::Enter);
    let status = app.status.clone().unwrap();
    assert!(status.error && status.text.contains("give -f FILE"), "{}", status.text);
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn opens_on_a_compose_deployment() {
    let app = app_on(&Request { compose_files: fixture_files(), ..Request::default() });
    // Every file read is named, .env included.
    let files: Vec<&str> = app.origin.split(" + ").collect();
    assert_eq!(files.len(), 3, "{}", app.origin);
    assert!(files[0].ends_with("/docker-compose.yml"), "{}", app.origin);
    assert!(files[1].ends_with("/docker-compose.override.yml"), "{}", app.origin);
    assert!(files[2].ends_with("/.env"), "{}", app.origin);
    let shown = screen(&app, 100, 30);
    // Too long for the title: cut from the left, the last file (the .env) whole.
    let title = shown.lines().next().unwrap();
    assert!(title.contains("─ Deployment ─ from …") && title.ends_with("tests/fixtures/compose/.env"), "{title}");
    assert_eq!(title.chars().count(), 100, "{title}");
    assert!(shown.contains("Queued at once 32 = 2 × 16"), "{shown}");
}

#[test]
fn monitoring_and_the_wait_target_are_knobs() {
    let mut app = app("development");
    assert_eq!(app.report.figures.connections.used, 15);
    select(&mut app, Knob::Monitoring);
    press(&mut app, "l");
    assert!(app.plan().monitoring);
    assert_eq!(app.report.figures.connections.used, 18, "postgres-exporter's 3 connections");

    select(&mut app, Knob::WorkloadTargetP95);
    press(&mut app, "5");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.knob_error.as_ref().unwrap().1, "set queued / minute first");
    select(&mut app, Knob::QueuedArrivals);
    // 15/min × 30 s = 7.5 Erlangs on 10 slots.
    press(&mut app, "15");
    key(&mut app, KeyCode::Enter);
    select(&mut app, Knob::WorkloadTargetP95);
    press(&mut app, "1s");
    key(&mut app, KeyCode::Enter);
    let workload = app.report.figures.queued.clone().unwrap();
    assert_eq!(workload.target_met, Some(false), "{:?}", workload.waits);
    assert!(app.report.findings.iter().any(|f| f.finding.rule == RuleId::WorkloadTargetMissed));
    assert!(screen(&app, 100, 30).contains("target p95 wait ≤ 1 s: MISSED"));
    key(&mut app, KeyCode::Delete);
    assert_eq!(app.plan().workload.as_ref().unwrap().target, None);
    // Clearing a count is refused in place.
    select(&mut app, Knob::RuntimeReplicas);
    press(&mut app, "x");
    assert_eq!(app.knob_error.as_ref().unwrap().1, "cannot be empty: it must be between 0 and 1000");
    select(&mut app, Knob::Monitoring);
    press(&mut app, "x");
    assert_eq!(app.knob_error.as_ref().unwrap().1, "cannot be empty: it takes on or off (the exporter's connections)");
    // Clearing a limit removes it.
    select(&mut app, Knob::RuntimeMemory);
    press(&mut app, "x");
    assert_eq!(app.plan().runtime.limits.memory, None);
}

#[test]
fn a_plan_held_against_a_deployment_shows_drift_live() {
    let mut app =
        app_on(&Request { preset: Some("medium".into()), compose_files: fixture_files(), ..Request::default() });
    let drift = |app: &App| -> Vec<String> {
        app.report.findings.iter().filter(|f| f.finding.rule == RuleId::Drift).map(|f| f.finding.path.clone()).collect()
    };
    assert!(drift(&app).contains(&"runtime.replicas".to_string()), "{:?}", drift(&app));
    // The deployment runs 2 runtimes: matching it clears that drift.
    select(&mut app, Knob::RuntimeReplicas);
    press(&mut app, "hh");
    assert!(!drift(&app).contains(&"runtime.replicas".to_string()));
    // The drift is listed under one heading, below the findings: scrolling reaches it.
    update(&mut app, Msg::Resize { width: 100, height: 30 });
    let shown = screen(&app, 100, 30);
    // What is really out of view: the entries not whole on screen below its last line.
    assert!(shown.contains("↓ 16 more"), "{shown}");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::End);
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("other_services.web: deployment no such service, plan a service"), "{shown}");
    let border = shown.lines().find(|l| l.contains("↑ 14 above")).unwrap_or_else(|| panic!("{shown}"));
    assert!(!border.contains("more"), "nothing below the last: {border}");
    // On the knob itself, too; the host and the workload are not the deployment's to have.
    assert!(shown.contains("max concurrent    10 ≠ 16"), "{shown}");
    key(&mut app, KeyCode::Tab);
    select(&mut app, Knob::HostCpus);
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("cpus              32  "), "{shown}");
}

#[test]
fn o_applies_the_smallest_fix_for_the_workload() {
    let text = include_str!("../../examples/busy-medium.yaml");
    let mut busy = App::new(parse_plan("examples/busy-medium.yaml", text).unwrap(), true);
    press(&mut busy, "o");
    assert_eq!(busy.plan().runtime.max_concurrent_executions, 18, "the same answer as flowcap solve");
    assert_eq!(busy.status.as_ref().unwrap().text, "solve: 4 runtimes × 18 slots (was 4 × 10)");
    assert_eq!(busy.report.figures.queued.as_ref().unwrap().target_met, Some(true));
    press(&mut busy, "o");
    assert_eq!(busy.status.as_ref().unwrap().text, "solve: the plan already meets its workload");
    press(&mut busy, "u");
    assert_eq!(busy.plan().runtime.max_concurrent_executions, 10, "undoable like any change");

    let mut no_workload = app("medium");
    press(&mut no_workload, "o");
    assert_eq!(no_workload.status.as_ref().unwrap().text, "solve: no workload; type runs / minute first");
}

#[test]
fn a_hostile_name_never_reaches_the_terminal() {
    let loaded = parse_plan("evil.yaml", "name: \"evil\\e]0;owned\\u0007 \\u202eredro\"\n").unwrap();
    let app = App::new(loaded, true);
    let shown = screen(&app, 100, 30);
    assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}') && !shown.contains('\u{202e}'), "{shown}");
    assert!(shown.contains("owned\u{fffd}redro"), "the override is shown as U+FFFD:\n{shown}");
}

#[test]
fn update_does_no_io_it_asks_for_it() {
    let mut app = app("medium");
    let path = std::path::PathBuf::from("/nonexistent-folder/plan.yaml");
    app.mode = Mode::Path { output: Output::Plan, text: path.display().to_string() };
    let effect = update(&mut app, Msg::Confirm);
    assert_eq!(effect, Some(Effect::Write { output: Output::Plan, path: path.clone(), consent: Consent::Nothing }));
    // The outcome comes back as a message; update only records it.
    update(&mut app, Msg::Wrote { output: Output::Plan, path: path.clone(), files: vec![path.clone()], apply: None });
    assert_eq!(app.saved_path.as_ref(), Some(&path));
    assert_eq!(app.status.as_ref().unwrap().text, "wrote /nonexistent-folder/plan.yaml");
    assert_eq!(update(&mut app, Msg::Quit), Some(Effect::Quit), "nothing unsaved: quit is an effect too");
}

#[test]
fn saving_over_a_file_flowcap_did_not_write_needs_explicit_consent() {
    let temporary = tempfile::tempdir().unwrap();
    let dir = temporary.path();
    std::fs::copy(&fixture_files()[0], dir.join("docker-compose.yml")).unwrap();
    std::fs::write(dir.join("notes.yaml"), "my notes\n").unwrap();
    let request = Request { compose_files: vec![dir.join("docker-compose.yml")], ..Request::default() };
    let mut app = app_on(&request);
    let save_to = |app: &mut App, path: &std::path::Path| {
        press(app, "s");
        let Mode::Path { text, .. } = app.mode.clone() else { panic!("{:?}", app.mode) };
        for _ in 0..text.chars().count() {
            key(app, KeyCode::Backspace);
        }
        press(app, &path.display().to_string());
        key(app, KeyCode::Enter);
    };
    // The deployment's own compose file is never a place for the plan.
    let compose = std::fs::read(dir.join("docker-compose.yml")).unwrap();
    save_to(&mut app, &dir.join("docker-compose.yml"));
    let status = app.status.clone().unwrap();
    assert!(status.error && status.text.contains("is a compose file this command reads"), "{}", status.text);
    assert_eq!(std::fs::read(dir.join("docker-compose.yml")).unwrap(), compose);

    // Another file flowcap did not write: a plain y/n is not enough; the prompt names it.
    save_to(&mut app, &dir.join("notes.yaml"));
    let Mode::ConfirmOverwrite { needs_force: Some(why), .. } = app.mode.clone() else { panic!("{:?}", app.mode) };
    assert!(why.ends_with("notes.yaml exists and was not written by flowcap"), "{why}");
    assert!(screen(&app, 120, 40).contains("Replace it anyway, as --force would"), "{}", screen(&app, 120, 40));
    press(&mut app, "y");
    assert!(matches!(app.mode, Mode::ConfirmOverwrite { .. }), "y does not replace it");
    press(&mut app, "n");
    assert_eq!(std::fs::read_to_string(dir.join("notes.yaml")).unwrap(), "my notes\n");
    save_to(&mut app, &dir.join("notes.yaml"));
    press(&mut app, "F");
    assert!(std::fs::read_to_string(dir.join("notes.yaml")).unwrap().starts_with("# Written by flowcap"));
    assert_eq!(std::fs::read_to_string(dir.join("notes.yaml.bak")).unwrap(), "my notes\n");
    // Saving there again is replacing flowcap's own file (y), and the notes stay in .bak.
    save_to(&mut app, &dir.join("notes.yaml"));
    assert!(matches!(app.mode, Mode::ConfirmOverwrite { needs_force: None, .. }), "{:?}", app.mode);
    press(&mut app, "y");
    assert_eq!(std::fs::read_to_string(dir.join("notes.yaml.bak")).unwrap(), "my notes\n");
    assert!(std::fs::read_to_string(dir.join("notes.yaml.bak.1")).unwrap().starts_with("# Written by flowcap"));
}

/// The app in `context`, for trying keys.
fn app_in(context: flowcap::tui::keys::Context) -> App {
    use flowcap::tui::keys::Context;
    use flowcap::tui::state::Focus;
    let mut app = app("medium");
    match context {
        Context::Plan => {}
        Context::Findings => app.focus = Focus::Findings,
        Context::Editing => app.mode = Mode::EditKnob("1".into()),
        Context::Question => app.mode = Mode::ConfirmQuit,
        Context::Force => {
            app.mode = Mode::ConfirmOverwrite {
                output: Output::Plan,
                path: "notes.yaml".into(),
                needs_force: Some("notes.yaml exists and was not written by flowcap".into()),
            }
        }
        Context::Help => app.mode = Mode::Help,
        Context::Finding => app.mode = Mode::Finding(0),
    }
    assert_eq!(Context::of(&app), context);
    app
}

#[test]
fn one_key_table_feeds_the_handler_the_hint_bar_the_help_and_the_readme() {
    use flowcap::tui::keys::{Action, BINDINGS, Key, hints, markdown_table};
    for binding in BINDINGS {
        for &context in binding.contexts {
            let app = app_in(context);
            for key in binding.keys {
                let (code, modifiers) = match *key {
                    Key::Char(c) => (KeyCode::Char(c), KeyModifiers::NONE),
                    Key::Code(code) => (code, KeyModifiers::NONE),
                    Key::Ctrl(c) => (KeyCode::Char(c), KeyModifiers::CONTROL),
                    Key::Digit => (KeyCode::Char('7'), KeyModifiers::NONE),
                    Key::Printable => (KeyCode::Char('z'), KeyModifiers::NONE),
                };
                let expected = match &binding.action {
                    Action::Send(msg) => msg.clone(),
                    Action::Type => Msg::Type(match code {
                        KeyCode::Char(c) => c,
                        _ => unreachable!(),
                    }),
                };
                let got = message_for_key(&app, KeyEvent::new(code, modifiers));
                assert_eq!(got, Some(expected), "{key:?} in {context:?}: another binding takes it first");
                // Alt-modified keys are not plain keys: Alt-q does not quit.
                assert_eq!(message_for_key(&app, KeyEvent::new(code, modifiers | KeyModifiers::ALT)), None);
            }
            if let Some(hint) = binding.hint {
                assert!(hints(context).contains(&hint));
                let mut wide = app_in(context);
                update(&mut wide, Msg::Resize { width: 250, height: 70 });
                let shown = screen(&wide, 250, 70);
                assert!(shown.contains(hint), "the hint bar in {context:?} lacks {hint:?}:\n{shown}");
            }
        }
    }
    let mut app = app("medium");
    update(&mut app, Msg::ToggleHelp);
    let overlay = screen(&app, 120, 40);
    for binding in BINDINGS {
        if let Some(help) = binding.help {
            assert!(overlay.contains(help) && overlay.contains(binding.label), "{help}\n{overlay}");
        }
    }
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/guide.md")).unwrap();
    assert!(guide.contains(&markdown_table()), "docs/guide.md's key table must be, exactly:\n{}", markdown_table());
}

#[test]
fn text_fields_move_their_cursor() {
    let mut app = app("medium");
    select(&mut app, Knob::RuntimeSlots);
    press(&mut app, "15");
    key(&mut app, KeyCode::Home);
    press(&mut app, "2");
    key(&mut app, KeyCode::End);
    key(&mut app, KeyCode::Left);
    key(&mut app, KeyCode::Backspace);
    assert_eq!(app.mode, Mode::EditKnob("25".into()), "215, then the 1 deleted");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.plan().runtime.max_concurrent_executions, 25);
}

#[test]
fn many_findings_at_every_size() {
    let mut app = many_findings();
    for (width, height) in [(80, 24), (200, 60), (250, 70)] {
        update(&mut app, Msg::Resize { width, height });
        insta::assert_snapshot!(format!("many_findings_{width}x{height}"), screen(&app, width, height));
    }
    // Scrolled to the end at 120×40: the last drift line, what is above, no "more".
    update(&mut app, Msg::Resize { width: 120, height: 40 });
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::End);
    insta::assert_snapshot!("many_findings_scrolled_to_the_end", screen(&app, 120, 40));
    // A refused value wraps in the status area, whole.
    key(&mut app, KeyCode::Tab);
    select(&mut app, Knob::PostgresMaxConnections);
    press(&mut app, "3");
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("a_wrapped_error_80x24", screen(&app, 80, 24));
}

#[test]
fn a_preset_switched_to_keeps_the_deployments_facts() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/pinned-containers");
    let request = Request {
        preset: Some("large".into()),
        compose_files: vec![dir.join("docker-compose.yml")],
        ..Request::default()
    };
    let mut app = app_on(&request);
    let rules = |app: &App| -> std::collections::BTreeSet<&'static str> {
        app.report.findings.iter().map(|f| f.finding.rule.as_str()).filter(|r| *r != "drift").collect()
    };
    let at_start = rules(&app);
    assert!(at_start.contains(RuleId::FixedContainerName.as_str()), "{at_start:?}");
    // Round the four presets back to Large: the container names are still the deployment's.
    press(&mut app, "pppp");
    assert_eq!(app.plan().name.as_deref(), Some("Large"));
    assert_eq!(rules(&app), at_start);
    assert_eq!(app.status.as_ref().unwrap().text, "preset large", "no edits were made");
}

#[test]
fn a_kubernetes_plan_turns_its_autoscalers_and_nodes() {
    let mut app = app("kubernetes-large");
    insta::assert_snapshot!("kubernetes-large_120x40", screen(&app, 120, 40));
    // Its knobs: the autoscalers and the node pool, not a host.
    let knobs = Knob::for_plan(app.plan());
    assert!(knobs.contains(&Knob::ApiHpaMax) && knobs.contains(&Knob::ClusterMaxNodes));
    assert!(!knobs.contains(&Knob::HostCpus));
    // The API autoscaler's maximum to 20: 20 × 10 + 5 = 205 connections of 197 at the maximum.
    type_value(&mut app, Knob::ApiHpaMax, "20");
    assert_eq!(app.plan().api.autoscaling.unwrap().max, 20);
    assert!(app.report.findings.iter().any(|f| f.finding.rule == RuleId::HpaMaxExhaustsConnections));
    assert!(screen(&app, 120, 40).contains("DB 205/197"), "{}", screen(&app, 120, 40));
    // Below the replicas, the minimum carries them along; off keeps them.
    type_value(&mut app, Knob::ApiHpaMin, "5");
    assert_eq!((app.plan().api.replicas, app.plan().api.autoscaling.unwrap().min), (5, 5));
    press(&mut app, "x");
    assert_eq!((app.plan().api.replicas, app.plan().api.autoscaling), (5, None));
    assert!(screen(&app, 120, 40).contains("off"));
    // Nodes: one is too few for six runtimes of 8 CPUs.
    type_value(&mut app, Knob::ClusterNodes, "1");
    assert!(app.report.findings.iter().any(|f| f.finding.rule == RuleId::PodsUnschedulable));
    press(&mut app, "u");
    assert_eq!(app.plan().cluster.as_ref().unwrap().node_pools[0].nodes, 3);
}

#[test]
fn the_planner_exports_a_kubernetes_plan_as_helm_values_like_flowcap_export() {
    let temporary = tempfile::tempdir().unwrap();
    let (by_cli, by_planner) = (temporary.path().join("cli.yaml"), temporary.path().join("planner.yaml"));
    let mut cli = assert_cmd::Command::cargo_bin("flowcap").unwrap();
    cli.args(["export", "--helm", "--preset", "kubernetes-large", "-o"]).arg(&by_cli).assert().success();
    let mut app = app("kubernetes-large");
    press(&mut app, "e");
    let Mode::Path { text, .. } = app.mode.clone() else { panic!("{:?}", app.mode) };
    assert_eq!(text, "values-flowcap.yaml");
    for _ in 0..text.chars().count() {
        key(&mut app, KeyCode::Backspace);
    }
    press(&mut app, &by_planner.display().to_string());
    key(&mut app, KeyCode::Enter);
    let status = app.status.clone().unwrap();
    assert!(!status.error && status.text.contains("helm upgrade --install"), "{}", status.text);
    assert_eq!(std::fs::read(&by_planner).unwrap(), std::fs::read(&by_cli).unwrap(), "byte for byte");
}

/// Opened on the operator's Helm values, the planner names them, says the chart's keys in its
/// fixes, cycles the cluster's presets, and exports values to pass after the operator's.
#[test]
fn the_planner_opens_helm_values_and_exports_after_them() {
    let temporary = tempfile::tempdir().unwrap();
    let values = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/helm/operator-values.yaml");
    let request = Request {
        helm_values: vec![values.clone()],
        nodes: Some((2, flowcap::model::units::Cpus::whole(4), flowcap::model::units::Bytes::gib(16))),
        ..Request::default()
    };
    let mut app = app_on(&request);
    let shown = screen(&app, 200, 60);
    assert!(shown.contains("from ") && shown.contains("operator-values.yaml"), "{shown}");
    let fix = app.report.findings.iter().find(|f| f.finding.rule == RuleId::JobCapExceedsCluster).unwrap();
    assert!(fix.finding.fix.as_deref().unwrap().contains("in the Helm values, executor.maxConcurrentJobs: 72"));
    // Against a named preset, the values are the deployment: what they set otherwise is drift.
    let named = app_on(&Request { preset: Some("kubernetes-large".into()), ..request.clone() });
    assert!(named.report.findings.iter().any(|f| f.finding.rule == RuleId::Drift), "{:?}", named.report.findings);
    press(&mut app, "e");
    for _ in 0.."values-flowcap.yaml".len() {
        key(&mut app, KeyCode::Backspace);
    }
    let out = temporary.path().join("flowcap-values.yaml");
    press(&mut app, &out.display().to_string());
    key(&mut app, KeyCode::Enter);
    let status = app.status.clone().unwrap();
    assert!(!status.error, "{}", status.text);
    let after = format!("-f {} -f {}", values.display(), out.display());
    assert!(status.text.contains(&after), "the export goes after the operator's values: {}", status.text);
    // Never over the operator's own file.
    press(&mut app, "e");
    for _ in 0..out.display().to_string().len() {
        key(&mut app, KeyCode::Backspace);
    }
    press(&mut app, &values.display().to_string());
    key(&mut app, KeyCode::Enter);
    assert!(app.status.as_ref().is_some_and(|s| s.error), "{:?}", app.status);
    // `p` cycles the cluster's presets only, keeps the operator's nodes, and holds the preset
    // to the values.
    press(&mut app, "p");
    assert_eq!(app.plan().platform, flowcap::model::cluster::Platform::Kubernetes);
    let pool = &app.plan().cluster.as_ref().unwrap().node_pools[0];
    assert_eq!((pool.nodes, pool.cpus), (2, flowcap::model::units::Cpus::whole(4)));
    assert!(app.origin.contains(" preset against ") && app.origin.ends_with("operator-values.yaml"), "{}", app.origin);
    assert!(app.report.findings.iter().any(|f| f.finding.rule == RuleId::Drift), "the values are the deployment now");
}

#[test]
fn the_planner_holds_every_plan_against_what_prometheus_saw() {
    let mut app = app("medium").with_observed(crate::common::medium_observed());
    let rules = |app: &App| app.report.findings.iter().map(|f| f.finding.rule.as_str()).collect::<Vec<_>>();
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("Observed       120/min peak · 30 s mean · busy 40/40 (8.3 % full) · DB 31"), "{shown}");
    for rule in [
        RuleId::ObservedPeakPastTarget.as_str(),
        RuleId::ObservedSlotsSaturated.as_str(),
        RuleId::ObservedConnectionsOverBudget.as_str(),
    ] {
        assert!(rules(&app).contains(&rule), "{rule}: {:?}", rules(&app));
    }
    // Its fix sizes for the observed workload, which `o` (the plan's own workload) does not.
    assert!(shown.contains("for the observed workload: `flowcap observe -o PLAN`"), "{shown}");
    assert!(!shown.contains("press o"), "{shown}");
    // One more runtime: 50 slots were never all busy, and the observed peak (60 Erlangs) still
    // outruns them.
    select(&mut app, Knob::RuntimeReplicas);
    update(&mut app, Msg::Step { up: true });
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("busy 40/50 (0 % full)"), "{shown}");
    assert!(!rules(&app).contains(&RuleId::ObservedSlotsSaturated.as_str()), "{:?}", rules(&app));
    assert!(rules(&app).contains(&RuleId::ObservedPeakPastTarget.as_str()));
    // Enough runtimes for the observed peak within solve's default target: the error goes.
    for _ in 0..3 {
        update(&mut app, Msg::Step { up: true });
    }
    assert_eq!(app.plan().runtime.replicas, 8);
    assert!(!rules(&app).contains(&RuleId::ObservedPeakPastTarget.as_str()), "{:?}", rules(&app));
}

#[test]
fn save_suggests_the_plan_file_it_was_opened_on_even_beside_a_deployment() {
    let temporary = tempfile::tempdir().unwrap();
    let plan = temporary.path().join("flowcap.yaml");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/presets/medium.yaml"), &plan).unwrap();
    let request = Request { plan: Some(plan.clone()), compose_files: fixture_files(), ..Default::default() };
    let mut app = app_on(&request);
    press(&mut app, "s");
    assert_eq!(app.mode, Mode::Path { output: Output::Plan, text: plan.display().to_string() });
    // Opened on the deployment itself, there is no plan file yet.
    let mut app = app_on(&Request { compose_files: fixture_files(), ..Default::default() });
    press(&mut app, "s");
    assert_eq!(app.mode, Mode::Path { output: Output::Plan, text: "flowcap.yaml".into() });
}

#[test]
fn a_message_of_another_mode_changes_nothing() {
    // While a value is typed, a step or a preset switch (a stray mouse wheel, say) does not
    // change the plan under the field; in a question, typing does not either.
    let mut app = app("medium");
    let before = app.plan().clone();
    select(&mut app, Knob::RuntimeSlots);
    press(&mut app, "1");
    assert!(matches!(app.mode, Mode::EditKnob(_)));
    for msg in [Msg::Step { up: true }, Msg::NextPreset, Msg::Clear, Msg::Solve, Msg::Undo] {
        update(&mut app, msg);
    }
    assert_eq!(app.plan(), &before);
    assert_eq!(app.mode, Mode::EditKnob("1".into()), "still typing");
    key(&mut app, KeyCode::Esc);
    update(&mut app, Msg::Step { up: true });
    assert_ne!(app.plan(), &before, "in normal mode the step applies");
    update(&mut app, Msg::Quit);
    assert_eq!(app.mode, Mode::ConfirmQuit);
    let asked = app.plan().clone();
    update(&mut app, Msg::Type('x'));
    update(&mut app, Msg::Step { up: true });
    assert_eq!((app.plan(), &app.mode), (&asked, &Mode::ConfirmQuit), "the question stays asked");
}

/// The streaming path in the planner: typed runs a minute and memory per run show the runs per
/// runtime and the memory risk live; the routing knob spreads them; clearing the queued path
/// takes its target with it.
#[test]
fn the_streaming_path_is_planned_live() {
    let mut app = app("medium");
    select(&mut app, Knob::StreamingArrivals);
    press(&mut app, "96");
    key(&mut app, KeyCode::Enter);
    select(&mut app, Knob::StreamingMemory);
    press(&mut app, "1G");
    key(&mut app, KeyCode::Enter);
    // 96 a minute × 30 s = 48 in flight; Docker's DNS puts them on one runtime, whose 8 GiB
    // fits 8 of them.
    let streaming = app.report.figures.streaming.clone().unwrap();
    assert_eq!((streaming.mean_per_runtime, streaming.memory_fit_per_runtime), (48.0, Some(8)));
    let rules = |app: &App| app.report.findings.iter().map(|f| f.finding.rule).collect::<Vec<_>>();
    assert!(rules(&app).contains(&RuleId::StreamingOneRuntime), "{:?}", rules(&app));
    assert!(rules(&app).contains(&RuleId::StreamingMemoryRisk), "{:?}", rules(&app));
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("Streaming      96/min × 30 s: mean 48, p99 65 on one runtime (DNS)"), "{shown}");
    // Behind the balancer, four runtimes share them: 12 each.
    select(&mut app, Knob::RuntimeRouting);
    key(&mut app, KeyCode::Right);
    assert_eq!(app.plan().runtime.http_routing, flowcap::model::plan::HttpRouting::Balanced);
    assert_eq!(app.report.figures.streaming.as_ref().unwrap().mean_per_runtime, 12.0);
    assert!(!rules(&app).contains(&RuleId::StreamingOneRuntime));
    // A queued path with a target; clearing it clears the target, and the plan stays valid.
    select(&mut app, Knob::QueuedArrivals);
    press(&mut app, "30");
    key(&mut app, KeyCode::Enter);
    select(&mut app, Knob::WorkloadTargetP95);
    press(&mut app, "5s");
    key(&mut app, KeyCode::Enter);
    assert!(app.plan().workload.as_ref().unwrap().target.is_some());
    select(&mut app, Knob::QueuedArrivals);
    press(&mut app, "0");
    key(&mut app, KeyCode::Enter);
    let workload = app.plan().workload.clone().unwrap();
    assert_eq!((workload.queued, workload.target), (None, None));
    assert!(workload.streaming.is_some());
}

/// On Kubernetes without the Job backend the queued runs have no waits to show: none runs.
#[test]
fn the_capacity_panel_says_the_charts_pool_runs_no_queued_run() {
    let text = "platform: kubernetes\npostgres: { external: true }\n\
                runtime: { replicas: 2, requests: { cpus: 1, memory: 2Gi }, limits: { cpus: 1, memory: 2Gi } }\n\
                cluster: { node_pools: [ { name: general, nodes: 2, cpus: 8, memory: 32Gi } ] }\n\
                workload: { queued: { arrivals_per_minute: 300, mean_duration: 30s } }\n";
    let mut app = App::new(flowcap::model::load::parse_plan("k.yaml", text).unwrap(), true);
    let shown = screen(&app, 160, 45);
    assert!(shown.contains("Queued         300/min, none run (no queue worker)"), "{shown}");
    assert!(
        !shown.contains("(Postgres has no memory limit)"),
        "a managed database shows none of the plan's memory: {shown}"
    );
    assert!(!shown.contains("p95 wait by load"), "{shown}");
    press(&mut app, "o");
    let status = app.status.clone().unwrap();
    assert!(status.text.contains("(queued runs: none run without the Job backend)"), "{}", status.text);
}
