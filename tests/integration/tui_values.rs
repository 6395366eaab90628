//! The planner never invents a value: half a host waits for the other half, a workload path
//! started from its rate says the duration it was given, presets keep the operator's host.

use crate::tui::{app, app_on, fixture_files, key, press, screen, select, type_value};
use flowcap::inputs::Request;
use flowcap::model::units::{Bytes, Cpus};
use flowcap::tui::knobs::Knob;
use ratatui::crossterm::event::KeyCode;

#[test]
fn the_hosts_cpus_alone_make_no_host_and_invent_no_memory() {
    // Flow-Like's compose files say nothing of the host.
    let mut app = app_on(&Request { compose_files: fixture_files(), ..Request::default() });
    assert_eq!(app.plan().host, None);
    type_value(&mut app, Knob::HostCpus, "16");
    assert_eq!(app.plan().host, None, "no memory made up for the host");
    let status = app.status.clone().unwrap().text;
    assert!(status.contains("type the host's memory too"), "{status}");
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("16 (not saved yet)") && shown.contains("unknown"), "{shown}");
    // A step has nothing to step from: it says to type.
    select(&mut app, Knob::HostMemory);
    press(&mut app, "l");
    assert!(
        app.knob_error.as_ref().is_some_and(|(_, why)| why.contains("type the host's size")),
        "{:?}",
        app.knob_error
    );
    assert_eq!(app.plan().host, None);
    // The other half makes the host, both as typed.
    type_value(&mut app, Knob::HostMemory, "64G");
    let host = app.plan().host.unwrap();
    assert_eq!((host.cpus, host.memory), (Cpus::whole(16), Bytes::gib(64)));
    // One u takes the host back whole.
    press(&mut app, "u");
    assert_eq!(app.plan().host, None);
}

#[test]
fn a_rate_typed_first_says_the_duration_it_was_given() {
    let mut app = app_on(&Request { compose_files: fixture_files(), ..Request::default() });
    type_value(&mut app, Knob::QueuedArrivals, "12");
    let status = app.status.clone().unwrap().text;
    assert_eq!(status, "queued duration filled in with 30 s: type the real one (u takes both back)");
    press(&mut app, "u");
    assert_eq!(app.plan().workload, None);
    // A duration first has no rate to go with: refused, nothing made up.
    type_value(&mut app, Knob::QueuedDuration, "45s");
    assert_eq!(app.plan().workload, None);
    assert!(app.knob_error.is_some());
}

#[test]
fn presets_keep_the_host_the_command_line_gave() {
    let mut loaded = flowcap::model::presets::load_preset("small-team").unwrap();
    let given = flowcap::model::plan::Host { cpus: Cpus::whole(24), memory: Bytes::gib(96) };
    loaded.plan.host = Some(given);
    let mut given_app = flowcap::tui::state::App::new(loaded, true).with_given_host();
    press(&mut given_app, "p");
    assert_eq!(given_app.plan().host, Some(given));
    assert!(given_app.status.clone().unwrap().text.contains("(your host kept)"));
    // From a preset alone, the next preset's host is the preset's.
    let mut preset = app("small-team");
    let before = preset.plan().host;
    press(&mut preset, "p");
    assert_ne!(preset.plan().host, before);
    key(&mut preset, KeyCode::Esc);
}

#[test]
fn text_fields_take_none_and_erase_as_a_shell_does() {
    use ratatui::crossterm::event::KeyModifiers;
    let mut app = app("medium");
    select(&mut app, Knob::ApiCpus);
    // `n` opens the field: "none" can be typed from the knob (o and e are not solve and export).
    press(&mut app, "none");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.plan().api.limits.cpus, None);
    select(&mut app, Knob::RuntimeCpus);
    press(&mut app, "12 34");
    crate::tui::key_with(&mut app, KeyCode::Char('w'), KeyModifiers::CONTROL);
    assert_eq!(app.mode, flowcap::tui::state::Mode::EditKnob("12 ".into()));
    crate::tui::key_with(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert_eq!(app.mode, flowcap::tui::state::Mode::EditKnob(String::new()));
    press(&mut app, "6");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.plan().runtime.limits.cpus, Some(Cpus::whole(6)));
    // An empty field says so once, not "(Esc cancels) (Esc)".
    select(&mut app, Knob::RuntimeCpus);
    press(&mut app, "1");
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Enter);
    let shown = screen(&app, 120, 40);
    assert!(shown.contains("cpus limit: nothing typed: the value is as it was (Esc)"), "{shown}");
}

/// At 80×24 every word of every finding can be read: the pane scrolls by line to the last
/// word of the last entry, and Enter opens the finding at the top whole.
#[test]
fn every_word_of_every_finding_is_readable_at_80_by_24() {
    let mut app = crate::tui::many_findings();
    flowcap::tui::update::update(&mut app, flowcap::tui::state::Msg::Resize { width: 80, height: 24 });
    key(&mut app, KeyCode::Tab);
    // One line at a time: the second line of the first finding comes to the top.
    let first = screen(&app, 80, 24);
    key(&mut app, KeyCode::Down);
    let next = screen(&app, 80, 24);
    let findings_top =
        |shown: &str| shown.lines().skip_while(|l| !l.contains("Findings (")).nth(1).unwrap().to_string();
    assert!(first.contains(&findings_top(&next)[3..40]), "scrolled by a line:\n{first}\n{next}");
    // Enter: the finding at the top, whole, with its rule's page.
    key(&mut app, KeyCode::Enter);
    let open = screen(&app, 80, 24);
    assert!(
        open.contains("Finding · Esc closes") && open.contains("the rule: docs/reference.md#connections-exhausted"),
        "{open}"
    );
    assert!(open.contains("or lower api.db_pool to"), "the fix whole:\n{open}");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, flowcap::tui::state::Mode::Normal);
    // The end: the last entry's last line is on screen and nothing is said to be below.
    key(&mut app, KeyCode::End);
    let end = screen(&app, 80, 24);
    // The last entry is the last drifted value.
    let last = app.report.drift.last().unwrap();
    let words = format!("{}: deployment {}, plan {}", last.path, last.deployed, last.planned);
    assert!(end.contains(&words), "{end}");
    let border =
        end.lines().find(|l| l.contains("above ┘") || l.contains("above ┛")).unwrap_or_else(|| panic!("{end}"));
    assert!(!border.contains("more"), "{border}");
}

/// A folder or an unwritable place is refused before any question, in words without the
/// temporary file's name.
#[test]
fn a_folder_is_refused_before_the_question_and_errors_name_no_temporary_file() {
    let dir = crate::common::tempdir("save-folder");
    std::fs::create_dir(dir.join("plans")).unwrap();
    let mut app = app("medium");
    press(&mut app, "s");
    // Replace the suggestion with the folder's path.
    crate::tui::key_with(&mut app, KeyCode::Char('u'), ratatui::crossterm::event::KeyModifiers::CONTROL);
    press(&mut app, &dir.join("plans").display().to_string());
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, flowcap::tui::state::Mode::Normal, "no question about replacing a folder");
    let status = app.status.clone().unwrap();
    assert!(status.error && status.text.contains("is a directory, expected a file to write"), "{status:?}");
    // /sys takes no new files, even from root.
    let output =
        crate::common::flowcap().args(["init", "--preset", "medium", "-o", "/sys/flowcap.yaml"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("/sys/flowcap.yaml: cannot write into /sys: ") && !stderr.contains(".flowcap-"),
        "{stderr}"
    );
}

/// The message line has one place: a long message does not move the panels.
#[test]
fn a_long_message_moves_no_panel() {
    let mut app = app("medium");
    flowcap::tui::update::update(&mut app, flowcap::tui::state::Msg::Resize { width: 80, height: 24 });
    let row_of_findings = |shown: &str| shown.lines().position(|l| l.contains("Findings (")).unwrap();
    let before = row_of_findings(&screen(&app, 80, 24));
    app.status = Some(flowcap::tui::state::Status { text: "a message ".repeat(20), error: true });
    let shown = screen(&app, 80, 24);
    assert_eq!(row_of_findings(&shown), before, "{shown}");
}

#[test]
fn was_notes_fit_or_are_not_drawn_cut() {
    let mut app = app_on(&Request { compose_files: fixture_files(), ..Request::default() });
    type_value(&mut app, Knob::HostCpus, "16");
    type_value(&mut app, Knob::HostMemory, "64G");
    flowcap::tui::update::update(&mut app, flowcap::tui::state::Msg::Resize { width: 120, height: 40 });
    let shown = screen(&app, 120, 40);
    let line = shown.lines().find(|l| l.contains("memory            64 GiB")).unwrap();
    assert!(line.contains("(was unknown)") || !line.contains("(was"), "{line}");
}

/// While the event loop handles a batch of keys the analysis waits, and runs once at the end.
#[test]
fn a_batch_of_keys_is_analysed_once() {
    let mut app = app("medium");
    select(&mut app, Knob::RuntimeReplicas);
    let before = app.report.figures.concurrent_executions;
    app.defer_analysis = true;
    press(&mut app, "lll");
    assert_eq!(app.plan().runtime.replicas, 7);
    assert_eq!(app.report.figures.concurrent_executions, before, "not analysed mid-batch");
    app.defer_analysis = false;
    app.refresh();
    assert_eq!(app.report.figures.concurrent_executions, 70);
    // Half a host typed counts as unsaved: quitting asks.
    type_value(&mut app, Knob::HostCpus, "8");
    let mut fresh = app_on(&Request { compose_files: fixture_files(), ..Request::default() });
    type_value(&mut fresh, Knob::HostCpus, "16");
    assert!(fresh.modified());
}

/// Figures the Capacity panel has no rows for are said to be there, and the wheel brings them.
#[test]
fn the_wheel_scrolls_the_figures_that_do_not_fit() {
    use flowcap::tui::state::{Move, Msg};
    let mut app = crate::tui::many_findings();
    let text = include_str!("../../examples/busy-medium.yaml");
    app.loaded = flowcap::model::load::parse_plan("busy.yaml", text).unwrap();
    flowcap::tui::update::update(&mut app, Msg::Resize { width: 80, height: 24 });
    flowcap::tui::update::update(&mut app, Msg::Select(Knob::RuntimeSlots));
    press(&mut app, "l");
    let shown = screen(&app, 80, 24);
    assert!(shown.contains("more · the wheel scrolls ┘"), "{shown}");
    flowcap::tui::update::update(&mut app, Msg::ScrollCapacity(Move::Down(1)));
    let scrolled = screen(&app, 80, 24);
    assert!(scrolled.contains("↑ 1 above"), "{scrolled}");
    // Turned on past the last line, the wheel stops there: one turn back up moves at once.
    flowcap::tui::update::update(&mut app, Msg::ScrollCapacity(Move::Down(100)));
    let last = app.capacity_scroll;
    assert!(last > 1 && last < 100, "{last}");
    assert!(screen(&app, 80, 24).contains(&format!("↑ {last} above")));
    flowcap::tui::update::update(&mut app, Msg::ScrollCapacity(Move::Up(1)));
    assert!(screen(&app, 80, 24).contains(&format!("↑ {} above", last - 1)));
}
