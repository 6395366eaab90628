//! The screen as a pure function of [`App`]: the one place the panels' view models are built
//! from the state (each panel sees only its own), where they go ([`super::layout`] on this
//! screen, and what the last draw put where), title, footer and the overlays; the panels live
//! in their own files.

use super::capacity::{CapacityPanel, CapacityView, GaugeLevels};
use super::findings::{FindingOverlay, FindingsPanel, FindingsView};
use super::help::HelpOverlay;
use super::keys::{self, Context};
use super::knobs::Knob;
use super::layout::{Areas, Drawn, MIN_HEIGHT, MIN_WIDTH, areas};
use super::plan_panel::{PlanPanel, PlanView, Row, with_cursor};
use super::state::{App, Focus, Mode, Output};
use super::theme::Theme;
use crate::analysis::rules::RuleId;
use crate::model::cluster::Platform;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

/// What the Capacity panel shows.
pub fn capacity_view(app: &App) -> CapacityView<'_> {
    let worst = |rules: &[RuleId]| {
        app.report.findings.iter().filter(|f| rules.contains(&f.finding.rule)).map(|f| f.finding.severity).max()
    };
    CapacityView {
        figures: &app.report.figures,
        before: &app.baseline_report.figures,
        levels: GaugeLevels {
            connections: worst(&[RuleId::ConnectionsExhausted, RuleId::ConnectionsNearLimit]),
            host_cpu: worst(&[RuleId::HostCpuOvercommit]),
            host_memory: worst(&[RuleId::HostMemoryOvercommit]),
            reserved: worst(&[RuleId::ReservationsExceedHost]),
            shared_buffers: worst(&[RuleId::SharedBuffersExceedMemory, RuleId::SharedBuffersHigh]),
            cluster: worst(&[RuleId::PodsUnschedulable, RuleId::JobCapExceedsCluster, RuleId::NodeLimitsOvercommit]),
            at_maximum: worst(&[RuleId::HpaMaxExhaustsConnections, RuleId::PodsUnschedulable]),
            observed: worst(&[
                RuleId::ObservedConnectionsOverBudget,
                RuleId::ObservedSlotsSaturated,
                RuleId::ObservedPeakPastTarget,
            ]),
            streaming: worst(&[RuleId::StreamingMemoryRisk, RuleId::StreamingMemoryTight, RuleId::StreamingOneRuntime]),
        },
        observed: app.observed.as_ref().map(|o| (o, app.plan().peak_slots())),
        scroll: app.capacity_scroll,
    }
}

/// What the Plan panel shows: a row per knob, under its group's heading.
pub fn plan_view(app: &App) -> PlanView {
    let deployed = app.deployment.as_ref().and_then(|d| d.compared()).map(|d| &d.plan);
    let knobs = Knob::for_plan(app.plan());
    let mut rows = Vec::with_capacity(knobs.len() + 6);
    let mut group = "";
    for knob in knobs {
        if knob.group() != group {
            group = knob.group();
            rows.push(Row::Group(group));
        }
        let mut now = knob.display(app.plan());
        // Half a host typed is shown, and that the plan waits for the other half.
        match (knob, app.host_half) {
            (Knob::HostCpus, Some(super::state::HostHalf::Cpus(cpus))) => now = format!("{cpus} (not saved yet)"),
            (Knob::HostMemory, Some(super::state::HostHalf::Memory(memory))) => {
                now = format!("{memory} (not saved yet)")
            }
            _ => {}
        }
        let editing = knob == app.selected && matches!(app.mode, Mode::EditKnob(_));
        let value = match &app.mode {
            Mode::EditKnob(text) if editing => with_cursor(text, app.cursor),
            _ => now.clone(),
        };
        let was = Some(knob.display(&app.baseline)).filter(|was| *was != now);
        // The host, the cluster and the workload are the plan's own, not facts of a deployment.
        let deployment_fact = !matches!(knob.group(), "Host" | "Cluster" | "Workload");
        let deployed =
            deployed.filter(|_| deployment_fact).map(|plan| knob.display(plan)).filter(|value| *value != now);
        rows.push(Row::Knob { knob, value, editing, was, deployed });
    }
    PlanView { rows, selected: app.selected, focused: app.focus == Focus::Plan, scroll: app.plan_scroll }
}

/// What the Findings panel shows: its entries, built when the plan changed, and where it
/// stands.
pub fn findings_view(app: &App) -> FindingsView<'_> {
    let summary = &app.report.summary;
    FindingsView {
        errors: summary.errors,
        warnings: summary.warnings,
        infos: summary.infos,
        entries: &app.findings,
        scroll: app.findings_scroll,
        focused: app.focus == Focus::Findings,
    }
}

/// One frame of the planner: the panels' view models, the footer and where each goes, built
/// once and both drawn and kept for the mouse.
pub struct Screen<'a> {
    app: &'a App,
    theme: Theme,
    plan: PlanView,
    findings: FindingsView<'a>,
    footer: Paragraph<'static>,
    /// `None` when the screen is smaller than the planner needs.
    areas: Option<Areas>,
}

/// `app` laid out on `screen`.
pub fn compose(app: &App, screen: Rect) -> Screen<'_> {
    let theme = Theme { color: app.color };
    let (plan, findings, footer) = (plan_view(app), findings_view(app), footer(app, theme));
    // The message line has one place whatever it says: the rows the Plan pane's key hints take
    // at this width and one more, so a message never moves the panels.
    let hints = keys::hints(Context::Plan).join(" · ");
    let hint_rows = Paragraph::new(hints).wrap(Wrap { trim: false }).line_count(screen.width);
    let footer_rows = u16::try_from(hint_rows + 1).unwrap_or(u16::MAX);
    let areas = areas(&plan, &findings, footer_rows, screen);
    Screen { app, theme, plan, findings, footer, areas }
}

impl Screen<'_> {
    /// Where this frame puts things: the areas, and the knob on each row of the Plan panel.
    pub fn drawn(&self) -> Option<Drawn> {
        let areas = self.areas?;
        let inner = Block::bordered().inner(areas.plan);
        let shown = self.plan.rows.iter().skip(self.plan.offset(inner.height)).take(usize::from(inner.height));
        let knobs = (inner.y..).zip(shown).filter_map(|(row, entry)| Some((row, entry.knob()?))).collect();
        Some(Drawn { areas, knobs })
    }
}

/// The layout for `app` on `screen`.
pub fn app_areas(app: &App, screen: Rect) -> Option<Areas> {
    compose(app, screen).areas
}

/// Where `app` is drawn on its screen (the event loop keeps what each frame drew).
pub fn drawn(app: &App) -> Option<Drawn> {
    compose(app, app.screen).drawn()
}

impl Widget for &Screen<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, theme) = (self.app, self.theme);
        let Some(areas) = self.areas else {
            let text = format!(
                "terminal too small: {}×{}\nflowcap needs at least {MIN_WIDTH}×{MIN_HEIGHT} · q quits",
                area.width, area.height
            );
            Paragraph::new(text).wrap(Wrap { trim: true }).render(area, buf);
            return;
        };
        title(app, theme, area.width).render(areas.title, buf);
        (&PlanPanel { view: &self.plan, theme }).render(areas.plan, buf);
        (&CapacityPanel { view: &capacity_view(app), theme }).render(areas.capacity, buf);
        (&FindingsPanel { view: &self.findings, theme }).render(areas.findings, buf);
        (&self.footer).render(areas.footer, buf);
        if app.mode == Mode::Help {
            (&HelpOverlay { theme }).render(area, buf);
        }
        if let Mode::Finding(index) = app.mode
            && let Some(entry) = app.findings.get(index)
        {
            (&FindingOverlay { entry, theme }).render(area, buf);
        }
        // A plan name or a key with escape sequences or bidi overrides must not reach the
        // terminal: whatever a panel drew, such characters are shown as U+FFFD.
        for cell in buf.content.iter_mut() {
            if cell.symbol().chars().any(crate::io::text::unsafe_for_terminal) {
                cell.set_symbol("\u{fffd}");
            }
        }
    }
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        (&compose(self, area)).render(area, buf);
    }
}

/// The title: the plan's name, whether it changed, and where it came from, cut from the
/// left with "…" when the files' names are longer than the screen is wide.
fn title(app: &App, theme: Theme, width: u16) -> Line<'static> {
    let name = app.plan().name.clone().unwrap_or_else(|| "plan".into());
    let state = if app.modified() { " (modified)" } else { "" };
    let head = format!("─ {name}{state} ─ from ");
    let room = usize::from(width).saturating_sub(" flowcap ".len() + head.chars().count());
    let count = app.origin.chars().count();
    let origin = if count > room && room > 1 {
        format!("…{}", app.origin.chars().skip(count - (room - 1)).collect::<String>())
    } else {
        app.origin.clone()
    };
    Line::from(vec![Span::styled(" flowcap ", theme.heading()), Span::raw(format!("{head}{origin}"))])
}

/// The bottom line, wrapped onto up to three rows so nothing is cut: what is being typed and
/// the keys that act on it, a question, what just happened or why a value was refused, else
/// the keys of the focused pane.
pub fn footer(app: &App, theme: Theme) -> Paragraph<'static> {
    // A key and its word never part at a line break.
    let hints: Vec<String> = keys::hints(Context::of(app)).iter().map(|hint| hint.replace(' ', "\u{a0}")).collect();
    let hints = hints.join(" · ");
    let line = match &app.mode {
        Mode::Path { output, text } => Line::from(vec![
            Span::styled(
                match output {
                    Output::Plan => " Save plan to: ",
                    Output::Override if app.plan().platform == Platform::Kubernetes => " Export Helm values to: ",
                    Output::Override => " Export override to: ",
                },
                theme.heading(),
            ),
            Span::raw(with_cursor(text, app.cursor)),
            Span::styled(format!("  {hints}"), theme.fix()),
        ]),
        Mode::EditKnob(_) => Line::from(vec![
            Span::styled(format!(" {}: ", app.selected.label()), theme.heading()),
            Span::raw(app.selected.hint()),
            Span::styled(format!(" · {hints}"), theme.fix()),
        ]),
        Mode::ConfirmOverwrite { needs_force: Some(why), .. } => Line::styled(
            format!(" {why}. Replace it anyway, as --force would (the old file is kept as .bak)? {hints}"),
            theme.error(),
        ),
        Mode::ConfirmOverwrite { path, .. } => Line::styled(
            format!(" {} exists. Replace it (the old file is kept as .bak)? {hints}", path.display()),
            theme.warning(),
        ),
        Mode::ConfirmQuit => Line::styled(format!(" Unsaved changes. Quit anyway? {hints}"), theme.warning()),
        Mode::Normal | Mode::Help | Mode::Finding(_) => match (&app.status, &app.knob_error) {
            (Some(status), _) if status.error => Line::styled(format!(" {}", status.text), theme.error()),
            (Some(status), _) => Line::styled(format!(" {}", status.text), theme.good()),
            (None, Some((knob, why))) => Line::styled(format!(" {}: {why} (Esc)", knob.label()), theme.error()),
            (None, None) => Line::styled(format!(" {hints}"), theme.fix()),
        },
    };
    Paragraph::new(line).wrap(Wrap { trim: false })
}
