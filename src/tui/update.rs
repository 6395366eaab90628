//! The one place the planner's state changes: a [`Msg`] in, the state changed, an [`Effect`]
//! out for the event loop (writing, quitting); no I/O here.

use super::capacity::CapacityPanel;
use super::knobs::Knob;
use super::layout::too_small;
use super::state::{App, Consent, Effect, Erase, Focus, Mode, Move, Msg, Output, planner_presets};
use super::theme::Theme;
use super::view::{app_areas, capacity_view, findings_view, plan_view};
use crate::analysis::solve::{self, Outcome};
use ratatui::layout::Rect;
use std::path::PathBuf;

/// The one place state changes. It does no I/O: writing and quitting are returned as an
/// [`Effect`] for the event loop to carry out. What any mode takes is handled here; the rest by
/// the function of the mode the planner is in.
pub fn update(app: &mut App, msg: Msg) -> Option<Effect> {
    // A message stays until the operator's next act (a read-back after a write is not one).
    if !matches!(msg, Msg::Type(_) | Msg::Backspace | Msg::DeploymentRead(_)) {
        app.status = None;
    }
    match msg {
        Msg::Resize { width, height } => {
            app.screen = Rect::new(0, 0, width, height);
            scroll_findings(app, Move::Up(0));
            return None;
        }
        Msg::Quit if app.modified() => {
            app.mode = Mode::ConfirmQuit;
            return None;
        }
        // Ctrl-C asks as q does; at the question, a second one leaves.
        Msg::Abort if app.modified() && app.mode != Mode::ConfirmQuit => {
            app.mode = Mode::ConfirmQuit;
            return None;
        }
        Msg::Quit | Msg::Abort => return Some(Effect::Quit),
        Msg::AskToReplace { output, path, needs_force } => {
            app.mode = Mode::ConfirmOverwrite { output, path, needs_force };
            return None;
        }
        Msg::Wrote { output, path, files, apply } => {
            app.mode = Mode::Normal;
            if output == Output::Plan {
                app.saved = app.loaded.plan.clone();
                // The plan now lives in that file, held against the same files: the title
                // says both.
                app.origin = match (&app.deployment, &app.values) {
                    (Some(deployment), _) => format!("{} against {}", path.display(), deployment.project.describe()),
                    (None, Some(values)) => format!("{} against {}", path.display(), values.deployment.files),
                    (None, None) => path.display().to_string(),
                };
                app.saved_path = Some(path.clone());
            }
            let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
            let apply = apply.map(|command| format!(" · apply it: {command}")).unwrap_or_default();
            // Half a host is not in the file: said, and quitting still asks.
            let host = if output == Output::Plan && app.host_half.is_some() {
                " (no host in it: type the host's other half, then save again)"
            } else {
                ""
            };
            app.tell(format!("wrote {}{host}{apply}", names.join(" and ")));
            // The override is part of the deployment now: the plan is held against it.
            if output == Output::Override && app.deployment.is_some() {
                return Some(Effect::ReadDeployment(path));
            }
            return None;
        }
        Msg::DeploymentRead(read) => {
            app.reread(*read.0);
            return None;
        }
        Msg::WriteFailed(why) => {
            app.mode = Mode::Normal;
            app.fail(why);
            return None;
        }
        _ => {}
    }
    // Invisible edits are worse than none: while the screen is too small to show the
    // planner, only leaving works.
    if too_small(app.screen) && !matches!(msg, Msg::No | Msg::Cancel) {
        return None;
    }
    match app.mode {
        Mode::Normal => normal(app, msg),
        Mode::Help => {
            if msg == Msg::ToggleHelp {
                app.mode = Mode::Normal;
            }
            None
        }
        Mode::Finding(_) => {
            if msg == Msg::Cancel {
                app.mode = Mode::Normal;
            }
            None
        }
        Mode::EditKnob(_) | Mode::Path { .. } => editing(app, msg),
        Mode::ConfirmOverwrite { .. } | Mode::ConfirmQuit => question(app, msg),
    }
}

/// Normal mode: moving, stepping and clearing knobs, opening the editor, the presets, solve,
/// undo, the help, and starting a write.
fn normal(app: &mut App, msg: Msg) -> Option<Effect> {
    // The keyboard brings the selected knob back into view; the mouse leaves the list be.
    if !matches!(
        msg,
        Msg::Select(_) | Msg::ScrollPlan(_) | Msg::ScrollCapacity(_) | Msg::ScrollFindings(_) | Msg::SwitchFocus
    ) {
        app.plan_scroll = None;
    }
    match msg {
        Msg::Select(knob) => {
            // A refusal is about the knob it was for: it goes when another is chosen.
            app.knob_error = None;
            // A click: the list stays where it was drawn, with the knob clicked in it.
            let (view, offset, height) = plan_window(app);
            let row = view.rows.iter().position(|r| r.knob() == Some(knob));
            app.plan_scroll = row.filter(|row| (offset..offset + height).contains(row)).map(|_| offset);
            app.selected = knob;
            app.focus = Focus::Plan;
        }
        Msg::ScrollCapacity(movement) => {
            // The panel stops at its last line: past it the wheel has nothing to show, and a
            // turn back up moves it at once.
            let view = capacity_view(app);
            let panel = CapacityPanel { view: &view, theme: Theme { color: false } };
            let last = app_areas(app, app.screen).map_or(0, |areas| panel.max_scroll(areas.capacity));
            app.capacity_scroll = moved(app.capacity_scroll.min(last), movement, last);
        }
        Msg::ScrollPlan(movement) => {
            let (view, offset, height) = plan_window(app);
            let last = view.rows.len().saturating_sub(height);
            app.plan_scroll = Some(moved(offset, movement, last));
        }
        Msg::Move(movement) if app.focus == Focus::Findings => scroll_findings(app, movement),
        Msg::Move(movement) => {
            app.knob_error = None;
            let knobs = Knob::for_plan(app.plan());
            let index = knobs.iter().position(|k| *k == app.selected).unwrap_or(0);
            app.selected = knobs[moved(index, movement, knobs.len() - 1)];
        }
        Msg::ScrollFindings(movement) => scroll_findings(app, movement),
        Msg::OpenFinding => {
            let view = findings_view(app);
            let first = app_areas(app, app.screen).and_then(|areas| {
                view.entry_at(areas.findings, app.findings_scroll.min(view.max_scroll(areas.findings)))
            });
            if let Some(index) = first {
                app.mode = Mode::Finding(index);
            }
        }
        Msg::SwitchFocus => {
            app.focus = match app.focus {
                Focus::Plan => Focus::Findings,
                Focus::Findings => Focus::Plan,
            }
        }
        Msg::Step { up } => {
            app.knob_error = None;
            let knob = app.selected;
            // A host the plan lacks has no size to step from: it is typed.
            if knob.group() == "Host" && app.plan().host.is_none() {
                app.knob_error = Some((knob, "unknown: type the host's size (the other half next)".into()));
                return None;
            }
            match knob.step(app.plan(), up) {
                Ok(next) => app.change(next),
                Err(why) => app.knob_error = Some((knob, why)),
            }
        }
        // A digit opens the editor with it.
        Msg::Type(c) => {
            app.knob_error = None;
            app.mode = Mode::EditKnob(c.to_string());
            app.cursor = 1;
        }
        Msg::Clear => {
            let knob = app.selected;
            app.knob_error = None;
            match knob.clear(app.plan()) {
                Ok(next) => app.change(next),
                Err(why) => app.knob_error = Some((knob, why)),
            }
        }
        Msg::Cancel => app.knob_error = None,
        Msg::NextPreset => {
            let presets = planner_presets(Some(app));
            let next = app.preset.map_or(0, |i| (i + 1) % presets.len());
            let mut plan = match app.preset_plan(next) {
                Ok(plan) => plan,
                Err(error) => {
                    app.fail(error.to_string());
                    return None;
                }
            };
            // The host the session started with (the command line, the plan) is the
            // operator's, not the preset's.
            let keep_host = app.host_given && plan.platform.is_compose();
            if keep_host {
                plan.host = app.plan().host.or(app.baseline.host);
            }
            // Over Helm values the nodes are the operator's (the values' or --nodes), and the
            // preset is now a plan held to the values: what they set otherwise is drift.
            if let Some(values) = app.values.as_mut() {
                plan.cluster = app.loaded.plan.cluster.clone().or(plan.cluster);
                values.named = true;
            }
            // Edits: the plan is no longer the preset it was switched to (or, from a file or a
            // deployment, no longer what was loaded or saved).
            let had_edits = match app.preset {
                Some(current) => !app.preset_plan(current).is_ok_and(|mut fresh| {
                    if app.host_given && fresh.platform.is_compose() {
                        fresh.host = app.plan().host.or(app.baseline.host);
                    }
                    fresh == *app.plan()
                }),
                None => app.modified(),
            };
            app.change(plan);
            app.preset = Some(next);
            app.origin = format!("{} preset", app.plan().name.as_deref().unwrap_or(presets[next]));
            if let Some(values) = &app.values {
                app.origin = format!("{} against {}", app.origin, values.deployment.files);
            }
            let host = match (keep_host, app.host_given) {
                (true, _) => " (your host kept)",
                // A cluster has nodes, not a host: the given one comes back with a Docker preset.
                (false, true) => " (your host set aside: a Kubernetes plan has nodes)",
                _ => "",
            };
            let note = if had_edits { ": your edits are one u away" } else { "" };
            app.tell(format!("preset {}{host}{note}", presets[next]));
        }
        Msg::Solve => match solve::solve(app.plan()) {
            Outcome::Solved(candidates) => {
                let best = &candidates[0];
                let text = format!(
                    "solve: {} runtimes × {} slots (was {} × {})",
                    best.replicas,
                    best.slots_per_replica,
                    app.plan().runtime.replicas,
                    app.plan().runtime.max_concurrent_executions
                );
                app.change(best.apply(app.plan()));
                app.tell(text);
            }
            Outcome::AlreadyMet(_) => app.tell("solve: the plan already meets its workload".into()),
            Outcome::Cluster(sizing) => {
                let unconsumed = if app.report.figures.queue_consumed {
                    ""
                } else {
                    " (queued runs: none run without the Job backend)"
                };
                let text = format!("solve: {}{unconsumed}", sizing.describe(app.plan()));
                app.change(sizing.apply(app.plan()));
                app.tell(text);
            }
            Outcome::NoWorkload => app.fail("solve: no workload; type runs / minute first".into()),
            Outcome::NoSolution { needed_replicas, .. } => app.fail(match needed_replicas {
                Some(r) => format!("solve: nothing fits the host; the target needs {r} runtimes"),
                None => "solve: no runtime count meets the target".into(),
            }),
        },
        Msg::Undo => match app.undo.pop_back() {
            Some(previous) => {
                let current = app.restore(previous);
                app.report_change("undo", &current.plan);
                app.redo.push(current);
            }
            None => app.tell("nothing to undo".into()),
        },
        Msg::Redo => match app.redo.pop() {
            Some(next) => {
                let current = app.restore(next);
                app.report_change("redo", &current.plan);
                app.undo.push_back(current);
            }
            None => app.tell("nothing to redo".into()),
        },
        Msg::ToggleHelp => app.mode = Mode::Help,
        Msg::StartWrite(output) => {
            let text = app.suggestion(output);
            app.cursor = text.chars().count();
            app.mode = Mode::Path { output, text };
        }
        _ => {}
    }
    None
}

/// Typing a value or a path: the text field, then applying or leaving it.
fn editing(app: &mut App, msg: Msg) -> Option<Effect> {
    match msg {
        Msg::Type(c) => {
            if let Mode::EditKnob(text) | Mode::Path { text, .. } = &mut app.mode {
                let at = byte_index(text, app.cursor);
                text.insert(at, c);
                app.cursor += 1;
            }
        }
        Msg::MoveCursor(movement) => {
            if let Mode::EditKnob(text) | Mode::Path { text, .. } = &app.mode {
                app.cursor = moved(app.cursor, movement, text.chars().count());
            }
        }
        Msg::Erase(what) => {
            if let Mode::EditKnob(text) | Mode::Path { text, .. } = &mut app.mode {
                let before: Vec<char> = text.chars().take(app.cursor).collect();
                let from = match what {
                    Erase::ToStart => 0,
                    Erase::Word => {
                        let mut at = before.len();
                        while at > 0 && before[at - 1].is_whitespace() {
                            at -= 1;
                        }
                        while at > 0 && !before[at - 1].is_whitespace() {
                            at -= 1;
                        }
                        at
                    }
                };
                let (start, end) = (byte_index(text, from), byte_index(text, app.cursor));
                text.replace_range(start..end, "");
                app.cursor = from;
            }
        }
        Msg::Backspace => {
            if let Mode::EditKnob(text) | Mode::Path { text, .. } = &mut app.mode
                && app.cursor > 0
            {
                app.cursor -= 1;
                text.remove(byte_index(text, app.cursor));
            }
        }
        Msg::Confirm => match std::mem::replace(&mut app.mode, Mode::Normal) {
            Mode::EditKnob(text) => {
                let knob = app.selected;
                match knob.parse(&text) {
                    Ok(value) => set_value(app, knob, value),
                    Err(why) => app.knob_error = Some((knob, why)),
                }
            }
            Mode::Path { text, .. } if text.trim().is_empty() => app.fail("no path given: nothing written".into()),
            Mode::Path { output, text } => {
                return Some(Effect::Write { output, path: PathBuf::from(text.trim()), consent: Consent::Nothing });
            }
            other => app.mode = other,
        },
        Msg::Cancel => app.mode = Mode::Normal,
        _ => {}
    }
    None
}

/// A question: replace the files in the way (y, or F for a file flowcap did not write), or
/// quit with unsaved changes; n leaves things as they are.
fn question(app: &mut App, msg: Msg) -> Option<Effect> {
    match (msg, std::mem::replace(&mut app.mode, Mode::Normal)) {
        (Msg::Yes, Mode::ConfirmOverwrite { output, path, needs_force: None }) => {
            return Some(Effect::Write { output, path, consent: Consent::FlowcapFiles });
        }
        (Msg::Yes, Mode::ConfirmQuit) => return Some(Effect::Quit),
        (Msg::Force, Mode::ConfirmOverwrite { output, path, needs_force: Some(_) }) => {
            return Some(Effect::Write { output, path, consent: Consent::Anything });
        }
        (Msg::No, Mode::ConfirmOverwrite { path, .. }) => {
            app.tell(format!("not written: {} is as it was", path.display()));
        }
        (Msg::No | Msg::Cancel, _) => {}
        (_, asked) => app.mode = asked,
    }
    None
}

/// The byte offset of character `index` in `text` (its end when past it).
fn byte_index(text: &str, index: usize) -> usize {
    text.char_indices().nth(index).map_or(text.len(), |(at, _)| at)
}

/// `index` moved within `0..=last`.
fn moved(index: usize, movement: Move, last: usize) -> usize {
    match movement {
        Move::Up(by) => index.saturating_sub(by),
        Move::Down(by) => index.saturating_add(by).min(last),
        Move::First => 0,
        Move::Last => last,
    }
}

/// Moves the findings, never past the point where the last one is in view.
fn scroll_findings(app: &mut App, movement: Move) {
    let view = findings_view(app);
    let last = app_areas(app, app.screen).map_or(0, |areas| view.max_scroll(areas.findings));
    app.findings_scroll = moved(app.findings_scroll.min(last), movement, last);
}

/// The Plan panel's rows, its first row shown and its height in rows, as drawn on this screen
/// (one view built for all three).
fn plan_window(app: &App) -> (super::plan_panel::PlanView, usize, usize) {
    let height =
        app_areas(app, app.screen).map_or(0, |areas| ratatui::widgets::Block::bordered().inner(areas.plan).height);
    let view = plan_view(app);
    let offset = view.offset(height);
    (view, offset, usize::from(height))
}

/// Sets a typed value. Half of a host the plan lacks is kept until the other half comes, and a
/// workload path started from its rate says the duration it was given, for the operator to
/// type theirs (one `u` takes both back).
fn set_value(app: &mut App, knob: Knob, value: super::knobs::Value) {
    use super::knobs::Value;
    use super::state::HostHalf;
    let half = match (knob, &value) {
        (Knob::HostCpus, Value::Cpus(Some(cpus))) if app.plan().host.is_none() => Some(HostHalf::Cpus(*cpus)),
        (Knob::HostMemory, Value::Memory(Some(memory))) if app.plan().host.is_none() => Some(HostHalf::Memory(*memory)),
        (Knob::HostCpus | Knob::HostMemory, _) => {
            app.host_half = None;
            None
        }
        _ => None,
    };
    if let Some(half) = half {
        match (half, app.host_half.take()) {
            (HostHalf::Cpus(cpus), Some(HostHalf::Memory(memory)))
            | (HostHalf::Memory(memory), Some(HostHalf::Cpus(cpus))) => {
                let mut next = app.plan().clone();
                next.host = Some(crate::model::plan::Host { cpus, memory });
                app.change(next);
                app.tell(format!("host: {cpus} CPUs, {memory}"));
            }
            (half, _) => {
                app.host_half = Some(half);
                let other = if matches!(half, HostHalf::Cpus(_)) { "memory" } else { "cpus" };
                app.tell(format!(
                    "kept; type the host's {other} too: the host fit needs both, and the plan has no host until then"
                ));
            }
        }
        return;
    }
    let started = |plan: &crate::model::plan::Plan| {
        let workload = plan.workload.as_ref();
        (workload.and_then(|w| w.queued).is_some(), workload.and_then(|w| w.streaming).is_some())
    };
    let before = started(app.plan());
    match knob.set(app.plan(), value) {
        Ok(next) => {
            let after = started(&next);
            let filled = match knob {
                Knob::QueuedArrivals if after.0 && !before.0 => Some(Knob::QueuedDuration),
                Knob::StreamingArrivals if after.1 && !before.1 => Some(Knob::StreamingDuration),
                _ => None,
            };
            let duration = filled.map(|d| d.display(&next));
            app.change(next);
            if let (Some(knob), Some(duration)) = (filled, duration) {
                app.tell(format!("{} filled in with {duration}: type the real one (u takes both back)", knob.label()));
            }
        }
        Err(why) => app.knob_error = Some((knob, why)),
    }
}
