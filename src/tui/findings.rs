//! Bottom: the findings, most severe first, each with its fix; drift from the deployment under
//! one heading. Focused with Tab, it scrolls by line (j/k, PgUp/PgDn, Home/End), says what is
//! above and below, and `Enter` opens the finding at the top whole.

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

    /// The largest useful scroll in `area`, in lines: from there on, the last line is in view.
    pub fn max_scroll(&self, area: Rect) -> usize {
        let height = usize::from(Block::bordered().inner(area).height);
        self.heights(area).iter().sum::<usize>().saturating_sub(height)
    }

    /// The entry that holds line `line` of the panel (the first line shown, for `Enter`).
    pub fn entry_at(&self, area: Rect, line: usize) -> Option<usize> {
        let mut start = 0;
        for (index, rows) in self.heights(area).into_iter().enumerate() {
            if line < start + rows {
                return Some(index);
            }
            start += rows;
        }
        None
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
        // Scrolled by line: every word of a long finding can be brought into view.
        let first = view.scroll.min(view.max_scroll(area));
        let height = usize::from(inner.height);
        let text_width = inner.width.saturating_sub(1);
        let all: Vec<Line> = view.entries.iter().flat_map(|entry| lines(entry, theme)).collect();
        Paragraph::new(all)
            .wrap(Wrap { trim: false })
            .scroll((u16::try_from(first).unwrap_or(u16::MAX), 0))
            .render(Rect { width: text_width, ..inner }, buf);
        // What is really out of view: entries that begin above the first line, and entries
        // not whole on screen below the last.
        let (mut above, mut below, mut start) = (0, 0, 0);
        for rows in &heights {
            if start < first {
                above += 1;
            }
            if start + rows > first + height {
                below += 1;
            }
            start += rows;
        }
        let how = if view.focused { "j/k, Enter reads one" } else { "Tab, then j/k" };
        if let Some(more) = out_of_view(above, below, how, theme) {
            block = block.title_bottom(more);
        }
        block.render(area, buf);
        if first > 0 || below > 0 {
            // Positions run from the top to the last line's page, so the thumb reaches the
            // bottom there.
            let mut state = ScrollbarState::new(view.max_scroll(area) + 1).position(first);
            Scrollbar::new(ScrollbarOrientation::VerticalRight).begin_symbol(None).end_symbol(None).render(
                area.inner(Margin { horizontal: 0, vertical: 1 }),
                buf,
                &mut state,
            );
        }
    }
}

/// `Enter` on the findings: one entry whole, with where it is set and the rule's page.
pub struct FindingOverlay<'a> {
    pub entry: &'a Entry,
    pub theme: Theme,
}

impl Widget for &FindingOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let mut text = lines(self.entry, theme);
        if let Entry::Finding { rule, place, .. } = self.entry {
            text.push(Line::raw(""));
            if let Some(place) = place {
                text.push(Line::styled(format!("set at {place}"), theme.fix()));
            }
            text.push(Line::styled(format!("the rule: docs/reference.md#{rule}"), theme.fix()));
        }
        let width = 96.min(area.width);
        let paragraph = Paragraph::new(text).wrap(Wrap { trim: false });
        let rows = u16::try_from(paragraph.line_count(width.saturating_sub(2))).unwrap_or(u16::MAX);
        let popup = area.centered(
            ratatui::layout::Constraint::Length(width),
            ratatui::layout::Constraint::Length(rows.saturating_add(2).min(area.height)),
        );
        ratatui::widgets::Clear.render(popup, buf);
        paragraph
            .block(Block::bordered().title(Line::styled(" Finding · Esc closes ", theme.heading())))
            .render(popup, buf);
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
        assert_eq!(view(&ten).max_scroll(area), 6, "lines 6..10 fill the 4 rows");
        assert_eq!(view(&ten).entry_at(area, 6), Some(6));
        assert_eq!(view(&ten).rows_needed(area), 12);
    }
}
