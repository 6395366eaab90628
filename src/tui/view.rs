//! The screen as a pure function of [`App`]: layout, title, footer and the overlays; the panels
//! live in their own files.

use super::app::{App, Mode, Output};
use super::capacity::CapacityPanel;
use super::findings::FindingsPanel;
use super::help::HelpOverlay;
use super::knobs::Knob;
use super::plan_panel::{PlanPanel, rows_and_offset};
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

/// The layout for a screen, or `None` when it is smaller than 80×24.
pub fn areas(screen: Rect) -> Option<Areas> {
    if screen.width < MIN_WIDTH || screen.height < MIN_HEIGHT {
        return None;
    }
    // Findings get about a quarter of the height, at least 6 rows.
    let findings_height = (screen.height / 4).max(6);
    let [title, body, findings, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(findings_height),
        Constraint::Length(1),
    ])
    .areas(screen);
    let plan_width = if screen.width >= 110 { 42 } else { 36 };
    let [plan, capacity] = Layout::horizontal([Constraint::Length(plan_width), Constraint::Fill(1)]).areas(body);
    Some(Areas { title, plan, capacity, findings, footer })
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
}

/// The knob under a screen position, for mouse clicks.
pub fn knob_at(app: &App, screen: Rect, position: Position) -> Option<Knob> {
    let inner = Block::bordered().inner(areas(screen)?.plan);
    if !inner.contains(position) {
        return None;
    }
    let (rows, offset) = rows_and_offset(app, inner.height);
    rows.get(offset + usize::from(position.y - inner.y))?.knob()
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = Theme { color: self.color };
        let Some(areas) = areas(area) else {
            let text = format!(
                "terminal too small: {}×{}\nflowcap needs at least {MIN_WIDTH}×{MIN_HEIGHT}",
                area.width, area.height
            );
            Paragraph::new(text).wrap(Wrap { trim: true }).render(area, buf);
            return;
        };
        title(self, theme).render(areas.title, buf);
        (&PlanPanel { app: self, theme }).render(areas.plan, buf);
        (&CapacityPanel { app: self, theme }).render(areas.capacity, buf);
        (&FindingsPanel { app: self, theme }).render(areas.findings, buf);
        footer(self, theme).render(areas.footer, buf);
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

fn title(app: &App, theme: Theme) -> Line<'static> {
    let name = app.plan().name.clone().unwrap_or_else(|| "plan".into());
    let state = if app.modified() { " (modified)" } else { "" };
    Line::from(vec![
        Span::styled(" flowcap ", theme.heading()),
        Span::raw(format!("─ {name}{state} ─ from {}", app.origin)),
    ])
}

fn footer(app: &App, theme: Theme) -> Line<'static> {
    match &app.mode {
        Mode::Path { output, text } => Line::from(vec![
            Span::styled(
                match output {
                    Output::Plan => " Save plan to: ",
                    Output::Override => " Export override to: ",
                },
                theme.heading(),
            ),
            Span::raw(format!("{text}▏")),
            Span::styled("  Enter write · Esc cancel", theme.dim()),
        ]),
        Mode::ConfirmOverwrite { needs_force: Some(why), .. } => Line::styled(
            format!(" {why}. Replace it anyway, as --force would (the old file is kept as .bak)? F replace · n keep"),
            theme.error(),
        ),
        Mode::ConfirmOverwrite { path, .. } => Line::styled(
            format!(" {} exists. Replace it (the old file is kept as .bak)? y/n", path.display()),
            theme.warning(),
        ),
        Mode::ConfirmQuit => Line::styled(" Unsaved changes. Quit anyway? y/n", theme.warning()),
        _ => match &app.status {
            Some(status) if status.error => Line::styled(format!(" {}", status.text), theme.error()),
            Some(status) => Line::styled(format!(" {}", status.text), theme.good()),
            None => Line::styled(
                " ↑↓ select ←→ adjust 0-9 type  p preset u undo s save e export  ? help q quit",
                theme.dim(),
            ),
        },
    }
}
