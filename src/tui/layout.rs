//! Where each part of the screen goes, from the panels' view models and the screen's size.

use super::findings::FindingsView;
use super::knobs::Knob;
use super::plan_panel::PlanView;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::widgets::Block;

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

/// Where the last draw put things, for the mouse: hit-testing reads this instead of laying the
/// screen out again for every event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drawn {
    pub areas: Areas,
    /// The knob on each screen row of the Plan panel, as drawn.
    pub knobs: Vec<(u16, Knob)>,
}

impl Drawn {
    /// The knob under `position`, if the pointer is on one.
    pub fn knob_at(&self, position: Position) -> Option<Knob> {
        let inner = Block::bordered().inner(self.areas.plan);
        if !inner.contains(position) {
            return None;
        }
        self.knobs.iter().find(|(row, _)| *row == position.y).map(|(_, knob)| *knob)
    }

    pub fn over_findings(&self, position: Position) -> bool {
        self.areas.findings.contains(position)
    }
}

/// The footer wraps onto at most this many rows.
const MAX_FOOTER_ROWS: u16 = 3;
/// The findings keep at least this many rows, borders included.
const MIN_FINDINGS_ROWS: u16 = 6;
/// The knobs and the figures keep at least this many rows, borders included, when the findings
/// want more (the figures' main lines; the knobs scroll).
const MIN_BODY_ROWS: u16 = 15;

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
    let findings_rows = findings.rows_needed(Rect { height: available, ..screen });
    // The knobs scroll; the findings get the rows the body can spare past what the figures
    // need to be read.
    let body_needed =
        plan_rows.min(available - MIN_FINDINGS_ROWS).min(MIN_BODY_ROWS.max(available.saturating_sub(findings_rows)));
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
