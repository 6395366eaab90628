//! Left: the knobs, grouped by service, the selected one marked, changed ones with "was …".

use super::app::{App, Mode};
use super::knobs::Knob;
use super::view::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

pub struct PlanPanel<'a> {
    pub app: &'a App,
    pub theme: Theme,
}

/// One line of the panel.
#[derive(Clone, Debug, PartialEq)]
pub enum Row {
    Group(&'static str),
    Knob(Knob),
    /// Under the selected knob: what typing expects, or why a value was refused.
    Detail {
        text: String,
        error: bool,
    },
}

impl Row {
    pub fn knob(&self) -> Option<Knob> {
        match self {
            Row::Knob(knob) => Some(*knob),
            _ => None,
        }
    }
}

/// The panel's rows and the first one shown, so the selected knob stays in view.
pub fn rows_and_offset(app: &App, height: u16) -> (Vec<Row>, usize) {
    let mut rows = Vec::with_capacity(Knob::ALL.len() + 8);
    let mut group = "";
    for knob in Knob::ALL {
        if knob.group() != group {
            group = knob.group();
            rows.push(Row::Group(group));
        }
        rows.push(Row::Knob(knob));
        if knob != app.selected {
            continue;
        }
        if let Mode::EditKnob(_) = app.mode {
            rows.push(Row::Detail { text: format!("{} · Enter · Esc", knob.hint()), error: false });
        } else if let Some((_, why)) = app.knob_error.as_ref().filter(|(k, _)| *k == knob) {
            rows.push(Row::Detail { text: why.clone(), error: true });
        }
    }
    let selected = rows.iter().position(|row| row.knob() == Some(app.selected)).unwrap_or(0);
    // Keep the selection and the line under it (its detail) on screen.
    let last_needed = (selected + 1).min(rows.len() - 1);
    let offset = (last_needed + 1).saturating_sub(usize::from(height));
    // Show the group heading above the first knob when there is room.
    (rows, offset.min(selected.saturating_sub(1)))
}

impl Widget for &PlanPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, theme) = (self.app, self.theme);
        let block = Block::bordered().title(Line::styled(" Plan ", theme.heading()));
        let inner = block.inner(area);
        block.render(area, buf);
        let (rows, offset) = rows_and_offset(app, inner.height);
        let label_width = 18;
        let lines: Vec<Line> = rows
            .iter()
            .skip(offset)
            .take(usize::from(inner.height))
            .map(|row| match row {
                Row::Group(name) => Line::styled(name.to_string(), theme.heading()),
                Row::Detail { text, error } => {
                    Line::styled(format!("    {text}"), if *error { theme.error() } else { theme.dim() })
                }
                Row::Knob(knob) => {
                    let selected = *knob == app.selected;
                    let marker = if selected { "▸ " } else { "  " };
                    let value = match (&app.mode, selected) {
                        (Mode::EditKnob(text), true) => format!("{text}▏"),
                        _ => knob.display(app.plan()),
                    };
                    let was = knob.display(&app.baseline);
                    let style = if selected { Style::new().add_modifier(Modifier::REVERSED) } else { Style::new() };
                    let mut spans = vec![
                        Span::styled(format!("{marker}{:<label_width$}", knob.label()), style),
                        Span::styled(value.clone(), style.add_modifier(Modifier::BOLD)),
                    ];
                    if was != knob.display(app.plan()) {
                        spans.push(Span::styled(format!(" (was {was})"), theme.dim()));
                    }
                    Line::from(spans)
                }
            })
            .collect();
        Paragraph::new(lines).render(inner, buf);
    }
}
