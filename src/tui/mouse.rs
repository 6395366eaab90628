//! Mouse events as messages, by what is under the pointer.

use super::state::{App, Focus, Mode, Move, Msg};
use ratatui::crossterm::event::{MouseEvent, MouseEventKind};
use ratatui::layout::Position;

/// A click selects the knob under it (or focuses the findings), the list staying where it is;
/// the wheel scrolls the pane under the pointer and never changes a value. Anywhere else,
/// nothing.
pub fn message_for_mouse(app: &App, mouse: MouseEvent) -> Option<Msg> {
    if app.mode != Mode::Normal {
        return None;
    }
    // Where the last draw put things: the pointer points at what the operator sees.
    let drawn = app.drawn.as_ref()?;
    let position = Position { x: mouse.column, y: mouse.row };
    let over_findings = drawn.over_findings(position);
    let over_plan = drawn.areas.plan.contains(position);
    let over_capacity = drawn.areas.capacity.contains(position);
    let knob = drawn.knob_at(position);
    match (mouse.kind, knob) {
        (MouseEventKind::Down(_), Some(knob)) => Some(Msg::Select(knob)),
        (MouseEventKind::Down(_), None) if over_findings && app.focus == Focus::Plan => Some(Msg::SwitchFocus),
        (MouseEventKind::ScrollUp, _) if over_plan => Some(Msg::ScrollPlan(Move::Up(1))),
        (MouseEventKind::ScrollDown, _) if over_plan => Some(Msg::ScrollPlan(Move::Down(1))),
        (MouseEventKind::ScrollUp, _) if over_capacity => Some(Msg::ScrollCapacity(Move::Up(1))),
        (MouseEventKind::ScrollDown, _) if over_capacity => Some(Msg::ScrollCapacity(Move::Down(1))),
        (MouseEventKind::ScrollUp, _) if over_findings => Some(Msg::ScrollFindings(Move::Up(1))),
        (MouseEventKind::ScrollDown, _) if over_findings => Some(Msg::ScrollFindings(Move::Down(1))),
        _ => None,
    }
}
