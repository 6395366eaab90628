//! Bottom: the findings, most severe first, each with its fix.

use super::app::App;
use super::view::Theme;
use crate::rules::Severity;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

pub struct FindingsPanel<'a> {
    pub app: &'a App,
    pub theme: Theme,
}

impl Widget for &FindingsPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let summary = &self.app.report.summary;
        let title = format!(
            " Findings ({} error{}, {} warning{}, {} info) ",
            summary.errors,
            plural(summary.errors),
            summary.warnings,
            plural(summary.warnings),
            summary.infos
        );
        let block = Block::bordered().title(Line::styled(title, theme.heading()));
        let inner = block.inner(area);
        block.render(area, buf);
        let findings = &self.app.report.findings;
        if findings.is_empty() {
            Paragraph::new(Line::styled("✓ no findings: the plan passes its check", theme.good())).render(inner, buf);
            return;
        }
        let mut lines = Vec::new();
        for located in findings {
            let f = &located.finding;
            let (symbol, style) = match f.severity {
                Severity::Error => ("✗", theme.error()),
                Severity::Warning => ("⚠", theme.warning()),
                Severity::Info => ("i", theme.dim()),
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{symbol} {:<24}", f.rule), style),
                Span::raw(f.message.clone()),
            ]));
            if let Some(fix) = &f.fix {
                lines.push(Line::styled(format!("  fix: {fix}"), theme.dim()));
            }
        }
        // Long messages wrap; what does not fit is in `flowcap --check`.
        Paragraph::new(lines).wrap(Wrap { trim: false }).render(inner, buf);
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
