//! Left: the knobs, grouped by service, the selected one marked; a changed value says what it
//! was, and a value the deployment has otherwise says what the deployment has.

use super::knobs::Knob;
use super::theme::{Theme, out_of_view};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Widget};

/// One line of the panel.
#[derive(Clone, Debug, PartialEq)]
pub enum Row {
    Group(&'static str),
    Knob {
        knob: Knob,
        /// The value, or the text being typed.
        value: String,
        editing: bool,
        /// The value the session started with, when it differs.
        was: Option<String>,
        /// The deployment's value, when the plan is held against one and it differs.
        deployed: Option<String>,
    },
}

impl Row {
    pub fn knob(&self) -> Option<Knob> {
        match self {
            Row::Knob { knob, .. } => Some(*knob),
            Row::Group(_) => None,
        }
    }
}

/// What the Plan panel shows, built from the app.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanView {
    pub rows: Vec<Row>,
    pub selected: Knob,
    pub focused: bool,
    /// The first row shown, where the wheel or a click left it; `None` follows the selection.
    pub scroll: Option<usize>,
}

impl PlanView {
    /// The first row shown in `height` rows: where the wheel left it, else so the selected
    /// knob and the group heading above it stay in view.
    pub fn offset(&self, height: u16) -> usize {
        if let Some(scroll) = self.scroll {
            return scroll.min(self.rows.len().saturating_sub(usize::from(height)));
        }
        self.following(height)
    }

    /// The first row shown in `height` rows when the list follows the selected knob.
    fn following(&self, height: u16) -> usize {
        let selected = self.rows.iter().position(|row| row.knob() == Some(self.selected)).unwrap_or(0);
        let offset = (selected + 1).saturating_sub(usize::from(height));
        offset.min(selected.saturating_sub(1))
    }
}

/// `text` with the cursor drawn before character `cursor`.
pub fn with_cursor(text: &str, cursor: usize) -> String {
    let at = text.char_indices().nth(cursor).map_or(text.len(), |(at, _)| at);
    format!("{}▏{}", &text[..at], &text[at..])
}

/// What a knob's line can say after its value, longest first: what it was at the start and
/// what the deployment has. The longest that fits is shown; at the narrowest a bare ≠ still
/// says the deployment differs (its value is under the findings' Drift heading).
fn notes(was: Option<&str>, deployed: Option<&str>, theme: Theme) -> Vec<Vec<Span<'static>>> {
    // One convention: "(was …)" or nothing, never a bare "(…)" that reads as a unit.
    let was_notes = |was: &str| [Span::styled(format!(" (was {was})"), theme.fix())];
    let deployed_notes = |deployed: &str| {
        [format!(" · deployment {deployed}"), format!(" ≠ {deployed}"), " ≠".to_string()]
            .map(|n| Span::styled(n, theme.warning()))
    };
    match (was, deployed) {
        (Some(was), Some(deployed)) => {
            let [was] = was_notes(was);
            let [long, short, bare] = deployed_notes(deployed);
            vec![vec![was.clone(), long.clone()], vec![was, short.clone()], vec![long], vec![short], vec![bare]]
        }
        (None, Some(deployed)) => deployed_notes(deployed).into_iter().map(|n| vec![n]).collect(),
        (Some(was), None) => was_notes(was).into_iter().map(|n| vec![n]).collect(),
        (None, None) => Vec::new(),
    }
}

pub struct PlanPanel<'a> {
    pub view: &'a PlanView,
    pub theme: Theme,
}

impl Widget for &PlanPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (view, theme) = (self.view, self.theme);
        let mut block = Block::bordered().title(Line::styled(" Plan ", theme.heading()));
        if view.focused {
            block = block.border_type(BorderType::Thick).border_style(theme.heading());
        }
        let inner = block.inner(area);
        let offset = view.offset(inner.height);
        // Knobs out of view are said to be there, above and below.
        let below = view.rows.len().saturating_sub(offset + usize::from(inner.height));
        if let Some(more) = out_of_view(offset, below, "", theme) {
            block = block.title_bottom(more);
        }
        block.render(area, buf);
        let label_width = 18;
        let lines = view.rows.iter().skip(offset).take(usize::from(inner.height)).map(|row| match row {
            Row::Group(name) => Line::styled(name.to_string(), theme.heading()),
            Row::Knob { knob, value, editing, was, deployed } => {
                let selected = *knob == view.selected;
                let marker = if selected { "▸ " } else { "  " };
                let style = if selected { Style::new().add_modifier(Modifier::REVERSED) } else { Style::new() };
                let mut spans = vec![
                    Span::styled(format!("{marker}{:<label_width$}", knob.label()), style),
                    Span::styled(value.clone(), style.add_modifier(Modifier::BOLD)),
                ];
                // What is left of the row after what is drawn, measured as drawn.
                let room = usize::from(inner.width).saturating_sub(spans.iter().map(Span::width).sum::<usize>());
                if !editing {
                    let fitting = notes(was.as_deref(), deployed.as_deref(), theme)
                        .into_iter()
                        .find(|note| note.iter().map(Span::width).sum::<usize>() <= room);
                    spans.extend(fitting.unwrap_or_default());
                }
                Line::from(spans)
            }
        });
        // Straight onto the buffer: a paragraph's layout costs more than the whole panel.
        for (line, y) in lines.zip(inner.top()..inner.bottom()) {
            buf.set_line(inner.x, y, &line, inner.width);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_is_drawn_between_characters() {
        assert_eq!(with_cursor("8G", 0), "▏8G");
        assert_eq!(with_cursor("8G", 1), "8▏G");
        assert_eq!(with_cursor("µs", 1), "µ▏s");
        assert_eq!(with_cursor("8G", 9), "8G▏");
    }

    #[test]
    fn the_selected_knob_and_its_group_stay_in_view() {
        let rows: Vec<Row> = Knob::ALL
            .iter()
            .map(|&knob| Row::Knob { knob, value: String::new(), editing: false, was: None, deployed: None })
            .collect();
        let view = |selected| PlanView { rows: rows.clone(), selected, focused: true, scroll: None };
        assert_eq!(view(Knob::ApiReplicas).offset(5), 0);
        let last = Knob::ALL.len() - 1;
        assert_eq!(view(Knob::ALL[last]).offset(5), last + 1 - 5);
    }
}
