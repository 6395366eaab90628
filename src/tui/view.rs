//! The screen as a pure function of [`App`]: layout, title, footer and the overlays; the panels
//! live in their own files.

use super::app::{App, Mode, Output};
use super::capacity::{CapacityPanel, CapacityView};
use super::findings::{FindingsPanel, FindingsView};
use super::help::HelpOverlay;
use super::keys::{self, Context};
use super::knobs::Knob;
use super::plan_panel::{PlanPanel, PlanView, with_cursor};
use crate::model::cluster::Platform;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Where each part of the screen goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    pub title: Rect,
    pub plan: Rect,
    pub capacity: Rect,
    pub findings: Rect,
    pub footer: Rect,
}

/// The footer wraps onto at most this many rows.
const MAX_FOOTER_ROWS: u16 = 3;
/// The findings keep at least this many rows, borders included.
const MIN_FINDINGS_ROWS: u16 = 6;

/// The layout for a screen, or `None` when it is smaller than 80×24. The plan and the figures
/// get the rows the knobs need; the findings get the rest, up to what they need, and any rows
/// still spare go back to the figures (the wait chart).
pub fn areas(plan: &PlanView, findings: &FindingsView, footer_rows: u16, screen: Rect) -> Option<Areas> {
    if too_small(screen) {
        return None;
    }
    let footer_rows = footer_rows.clamp(1, MAX_FOOTER_ROWS);
    let available = screen.height - 1 - footer_rows;
    // The Plan panel's rows (knobs and group headings) and its borders: the body gets them
    // when it can.
    let plan_rows = u16::try_from(plan.rows.len()).unwrap_or(u16::MAX).saturating_add(2);
    let body_needed = plan_rows.min(available - MIN_FINDINGS_ROWS);
    let findings_rows = findings.rows_needed(Rect { height: available, ..screen });
    let findings_height = findings_rows.clamp(MIN_FINDINGS_ROWS, available - body_needed);
    let [title, body, findings, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(findings_height),
        Constraint::Length(footer_rows),
    ])
    .areas(screen);
    let plan_width = if screen.width >= 110 { 42 } else { 36 };
    let [plan, capacity] = Layout::horizontal([Constraint::Length(plan_width), Constraint::Fill(1)]).areas(body);
    Some(Areas { title, plan, capacity, findings, footer })
}

/// Whether `screen` is smaller than the planner needs (80×24): then only a notice shows.
pub fn too_small(screen: Rect) -> bool {
    screen.width < MIN_WIDTH || screen.height < MIN_HEIGHT
}

/// The layout for `app` on `screen`.
pub fn app_areas(app: &App, screen: Rect) -> Option<Areas> {
    let footer_rows = u16::try_from(footer(app, Theme { color: false }).line_count(screen.width)).unwrap_or(u16::MAX);
    areas(&PlanView::of(app), &FindingsView::of(app), footer_rows, screen)
}

/// Styles, plain when colour is off (NO_COLOR).
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn fg(self, color: Color) -> Style {
        if self.color { Style::new().fg(color) } else { Style::new() }
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn warning(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn good(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn heading(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        if self.color { Style::new().fg(Color::DarkGray) } else { Style::new() }
    }

    /// Text to read (fixes, the key hints): light, not the dim grey that vanishes on black.
    pub fn fix(self) -> Style {
        self.fg(Color::Gray)
    }

    pub fn info(self) -> Style {
        self.fg(Color::Blue)
    }
}

/// A panel's bottom border when rows are out of view: "↑ 3 above · ↓ 5 more", with `how` to
/// reach them after the count below (when there is nothing above). `None` when all is in view.
pub fn out_of_view(above: usize, below: usize, how: &str, theme: Theme) -> Option<Line<'static>> {
    let how = if how.is_empty() { String::new() } else { format!(" · {how}") };
    let text = match (above, below) {
        (0, 0) => return None,
        (0, below) => format!(" ↓ {below} more{how} "),
        (above, 0) => format!(" ↑ {above} above "),
        (above, below) => format!(" ↑ {above} above · ↓ {below} more "),
    };
    Some(Line::styled(text, theme.heading()).right_aligned())
}

/// The knob under a screen position, for mouse clicks.
pub fn knob_at(app: &App, screen: Rect, position: Position) -> Option<Knob> {
    let inner = Block::bordered().inner(app_areas(app, screen)?.plan);
    if !inner.contains(position) {
        return None;
    }
    let view = PlanView::of(app);
    view.rows.get(view.offset(inner.height) + usize::from(position.y - inner.y))?.knob()
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = Theme { color: self.color };
        let findings = FindingsView::of(self);
        let footer = footer(self, theme);
        let footer_rows = u16::try_from(footer.line_count(area.width)).unwrap_or(u16::MAX);
        let plan = PlanView::of(self);
        let Some(areas) = areas(&plan, &findings, footer_rows, area) else {
            let text = format!(
                "terminal too small: {}×{}\nflowcap needs at least {MIN_WIDTH}×{MIN_HEIGHT} · q quits",
                area.width, area.height
            );
            Paragraph::new(text).wrap(Wrap { trim: true }).render(area, buf);
            return;
        };
        title(self, theme, area.width).render(areas.title, buf);
        (&PlanPanel { view: &plan, theme }).render(areas.plan, buf);
        (&CapacityPanel { view: &CapacityView::of(self), theme }).render(areas.capacity, buf);
        (&FindingsPanel { view: &findings, theme }).render(areas.findings, buf);
        footer.render(areas.footer, buf);
        if self.mode == Mode::Help {
            (&HelpOverlay { theme }).render(area, buf);
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
        Mode::Normal | Mode::Help => match (&app.status, &app.knob_error) {
            (Some(status), _) if status.error => Line::styled(format!(" {}", status.text), theme.error()),
            (Some(status), _) => Line::styled(format!(" {}", status.text), theme.good()),
            (None, Some((knob, why))) => Line::styled(format!(" {}: {why} (Esc)", knob.label()), theme.error()),
            (None, None) => Line::styled(format!(" {hints}"), theme.fix()),
        },
    };
    Paragraph::new(line).wrap(Wrap { trim: false })
}
