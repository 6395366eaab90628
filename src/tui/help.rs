//! `?`: the keys, over the main screen.

use super::view::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

pub struct HelpOverlay {
    pub theme: Theme,
}

const KEYS: &[(&str, &str)] = &[
    ("↑ ↓  k j", "select a knob (or click it)"),
    ("← →  h l  − +", "step the value (or the mouse wheel)"),
    ("0-9 …  Enter", "type a value with its unit (8G, 0.5, 30s); Esc cancels"),
    ("x  Delete", "clear: no limit, no host, no workload, no target"),
    ("p", "next built-in preset"),
    ("o", "apply the smallest change that meets the workload (flowcap solve)"),
    ("u  Ctrl-r", "undo, redo"),
    ("s", "save the plan (asks for a path)"),
    ("e", "export the compose override (asks for a path)"),
    ("?  Esc", "close this help"),
    ("q  Ctrl-c", "quit (q asks first when there are unsaved changes)"),
];

impl Widget for &HelpOverlay {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let height = KEYS.len() as u16 + 8;
        let popup = area.centered(Constraint::Length(74.min(area.width)), Constraint::Length(height.min(area.height)));
        Clear.render(popup, buf);
        let mut lines: Vec<Line> = KEYS.iter().map(|(key, what)| Line::raw(format!(" {key:<16} {what}"))).collect();
        lines.push(Line::raw(""));
        lines.push(Line::styled(" Gauges turn amber at the warning line and red past the limit:", theme.dim()));
        lines.push(Line::styled(" connections at policy.connection_warning_percent and 100 %,", theme.dim()));
        lines.push(Line::styled(" host CPU and memory at 80 % and 100 % of what the policy allows.", theme.dim()));
        lines.push(Line::styled(" \"was …\" is the value the session started with.", theme.dim()));
        Paragraph::new(lines)
            .block(Block::bordered().title(Line::styled(" Help ", theme.heading())))
            .render(popup, buf);
    }
}
