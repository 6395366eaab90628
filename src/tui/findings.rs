//! Bottom: the findings, most severe first, each with its fix; drift from the deployment under
//! one heading. Focused with Tab, it scrolls (j/k, PgUp/PgDn, Home/End) and says what is
//! above and below.

use super::theme::{Theme, out_of_view};
use crate::analysis::rules::{RuleId, Severity};
use crate::report::Report;
use ratatui::buffer::Buffer;
use ratatui::layout::{Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, BorderType, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState, StatefulWidget, Widget, Wrap,
};

/// One entry of the panel: a finding, the drift heading, or one drifted value.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    Finding {
        severity: Severity,
        rule: &'static str,
        message: String,
        fix: Option<String>,
        /// `file:line` where the finding's key is set, when known (the file's name only).
        place: Option<String>,
    },
    DriftHeading {
        count: usize,
    },
    Drift {
        path: String,
        deployed: String,
        planned: String,
    },
}

/// The panel's entries for `report`: its findings but drift, each with its fix in the planner's
/// words, then the drift under one heading. Built when the plan changes, not on every frame.
pub fn entries(report: &Report) -> Vec<Entry> {
    let mut entries: Vec<Entry> = report
        .findings
        .iter()
        .filter(|located| located.finding.rule != RuleId::Drift)
        .map(|located| {
            let f = &located.finding;
            Entry::Finding {
                severity: f.severity,
                rule: f.rule.as_str(),
                message: f.message.clone(),
                fix: f.planner_fix().map(str::to_string),
                // The file's name is enough here (`--check` gives the whole path), and a
                // long path would crowd out the message.
                place: located.line.map(|line| {
                    let name = std::path::Path::new(&located.file).file_name().map(|n| n.to_string_lossy());
                    format!("{}:{line}", name.unwrap_or_else(|| located.file.as_str().into()))
                }),
            }
        })
        .collect();
    if !report.drift.is_empty() {
        entries.push(Entry::DriftHeading { count: report.drift.len() });
        entries.extend(report.drift.iter().map(|c| Entry::Drift {
            path: c.path.clone(),
            deployed: c.deployed.clone(),
            planned: c.planned.clone(),
        }));
    }
    entries
}

/// What the findings panel shows: nothing else reaches the renderer.
#[derive(Clone, Debug, PartialEq)]
pub struct FindingsView<'a> {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub entries: &'a [Entry],
    /// The first entry asked for; the renderer shows the last page when fewer remain.
    pub scroll: usize,
    pub focused: bool,
}

impl FindingsView<'_> {
    /// Each entry's lines at `width`, wrapped as they are drawn.
    fn paragraphs(&self, theme: Theme) -> Vec<Paragraph<'static>> {
        self.entries.iter().map(|entry| Paragraph::new(lines(entry, theme)).wrap(Wrap { trim: false })).collect()
    }

    /// The rows every entry takes in a panel of `area` (borders included).
    pub fn heights(&self, area: Rect) -> Vec<usize> {
        let width = Block::bordered().inner(area).width.saturating_sub(1).max(1);
        self.paragraphs(Theme { color: false }).iter().map(|p| p.line_count(width)).collect()
    }

    /// The rows the panel needs to show every entry, borders included.
    pub fn rows_needed(&self, area: Rect) -> u16 {
        let rows: usize = self.heights(area).iter().sum::<usize>().max(1);
        u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2)
    }

    /// The largest useful scroll in `area`: from there on, the last entry is in view.
    pub fn max_scroll(&self, area: Rect) -> usize {
        let height = usize::from(Block::bordered().inner(area).height);
        let heights = self.heights(area);
        let mut used = 0;
        for (index, rows) in heights.iter().enumerate().rev() {
            used += rows;
            if used > height {
                return (index + 1).min(heights.len().saturating_sub(1));
            }
        }
        0
    }
}

fn lines(entry: &Entry, theme: Theme) -> Vec<Line<'static>> {
    match entry {
        Entry::Finding { severity, rule, message, fix, place } => {
            let (symbol, style) = match severity {
                Severity::Error => ("✗", theme.error()),
                Severity::Warning => ("⚠", theme.warning()),
                Severity::Info => ("i", theme.info()),
            };
            let mut first = vec![Span::styled(format!("{symbol} {rule:<24} "), style), Span::raw(message.clone())];
            if let Some(place) = place {
                first.push(Span::styled(format!(" ({place})"), theme.fix()));
            }
            let mut lines = vec![Line::from(first)];
            if let Some(fix) = fix {
                lines.push(Line::styled(format!("  fix: {fix}"), theme.fix()));
            }
            lines
        }
        Entry::DriftHeading { count } => vec![Line::styled(
            format!(
                "Drift: the deployment differs in {count} value{} (press e to export the override that applies the plan)",
                if *count == 1 { "" } else { "s" }
            ),
            theme.heading(),
        )],
        Entry::Drift { path, deployed, planned } => {
            vec![Line::raw(format!("  {path}: deployment {deployed}, plan {planned}"))]
        }
    }
}

pub struct FindingsPanel<'a> {
    pub view: &'a FindingsView<'a>,
    pub theme: Theme,
}

impl Widget for &FindingsPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (view, theme) = (self.view, self.theme);
        let title = format!(
            " Findings ({} error{}, {} warning{}, {} info) ",
            view.errors,
            plural(view.errors),
            view.warnings,
            plural(view.warnings),
            view.infos
        );
        let mut block = Block::bordered().title(Line::styled(title, theme.heading()));
        if view.focused {
            block = block.border_type(BorderType::Thick).border_style(theme.heading());
        }
        let inner = block.inner(area);
        if view.entries.is_empty() {
            block.render(area, buf);
            Paragraph::new(Line::styled("✓ no findings: the plan passes its check", theme.good())).render(inner, buf);
            return;
        }
        let heights = view.heights(area);
        let first = view.scroll.min(view.max_scroll(area));
        let mut y = inner.y;
        let mut shown = first;
        let text_width = inner.width.saturating_sub(1);
        for (paragraph, rows) in view.paragraphs(theme).into_iter().zip(&heights).skip(first) {
            let room = inner.bottom().saturating_sub(y);
            if room == 0 {
                break;
            }
            let rows = u16::try_from(*rows).unwrap_or(u16::MAX);
            paragraph.render(Rect { x: inner.x, y, width: text_width, height: rows.min(room) }, buf);
            y += rows.min(room);
            // An entry cut at the bottom is still to come.
            if rows <= room {
                shown += 1;
            }
        }
        let below = view.entries.len() - shown;
        let how = if view.focused { "j/k" } else { "Tab, then j/k" };
        if let Some(more) = out_of_view(first, below, how, theme) {
            block = block.title_bottom(more);
        }
        block.render(area, buf);
        if first > 0 || below > 0 {
            // Positions run from the top to the last page, so the thumb reaches the bottom there.
            let mut state = ScrollbarState::new(view.max_scroll(area) + 1).position(first);
            Scrollbar::new(ScrollbarOrientation::VerticalRight).begin_symbol(None).end_symbol(None).render(
                area.inner(Margin { horizontal: 0, vertical: 1 }),
                buf,
                &mut state,
            );
        }
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drifted(entries: usize) -> Vec<Entry> {
        (0..entries)
            .map(|i| Entry::Drift { path: format!("k{i}"), deployed: "1".into(), planned: "2".into() })
            .collect()
    }

    fn view(entries: &[Entry]) -> FindingsView<'_> {
        FindingsView { errors: 0, warnings: 0, infos: 0, entries, scroll: 0, focused: false }
    }

    #[test]
    fn the_last_page_starts_where_the_last_entry_is_in_view() {
        // 6 rows, 4 inside the borders, one row an entry.
        let area = Rect::new(0, 0, 80, 6);
        let (three, ten) = (drifted(3), drifted(10));
        assert_eq!(view(&three).max_scroll(area), 0, "all fit");
        assert_eq!(view(&ten).max_scroll(area), 6, "entries 6..10 fill the 4 rows");
        assert_eq!(view(&ten).rows_needed(area), 12);
    }
}
