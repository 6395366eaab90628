//! `?`: the keys, from the one binding table, over the main screen.

use super::keys::help_rows;
use super::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

pub struct HelpOverlay {
    pub theme: Theme,
}

/// What the gauges' colours and the marks next to values mean.
const LEGEND: &[&str] = &[
    "A gauge has the colour of its findings: amber a warning, red an error.",
    "(was …): the value at the start; · deployment … or ≠ …: the deployment's.",
    "Workload: busy slots = runs per second × mean duration.",
];

impl Widget for &HelpOverlay {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let mut lines: Vec<Line> =
            help_rows().into_iter().map(|(keys, what)| Line::raw(format!(" {keys:<22} {what}"))).collect();
        lines.push(Line::raw(""));
        lines.extend(LEGEND.iter().map(|text| Line::styled(format!(" {text}"), theme.fix())));
        let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
        let popup = area.centered(Constraint::Length(96.min(area.width)), Constraint::Length(height.min(area.height)));
        Clear.render(popup, buf);
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(Line::styled(" Keys · ? or Esc closes ", theme.heading())))
            .render(popup, buf);
    }
}
