//! Right: the figures, read from the report `update` computed, with gauges and "was …" against
//! the starting plan; with a workload, the waits and a chart of wait against load.

use super::theme::Theme;
use crate::analysis::figures::Analysis;
use crate::analysis::rules::Severity;
use crate::analysis::streaming::StreamingFigures;
use crate::analysis::workload::{QueuedFigures, wait_text};
use crate::model::observed::Observed;
use crate::model::units::{Bytes, Seconds, percent, share_text, trim_decimal};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Widget};

/// What the Capacity panel shows, built from the app.
pub struct CapacityView<'a> {
    pub figures: &'a Analysis,
    /// The figures at the start of the session, for "was …".
    pub before: &'a Analysis,
    /// Each gauge's colour: the most severe finding on its figure.
    pub levels: GaugeLevels,
    /// What the deployment's Prometheus saw (`--prometheus`), and the slots it is held to.
    pub observed: Option<(&'a Observed, u64)>,
    /// The first line shown, where the wheel left it.
    pub scroll: usize,
}

/// The most severe finding on each gauge's figure, if any. A gauge is coloured by its
/// findings and nothing else, so a coloured gauge always has a finding that says why.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GaugeLevels {
    pub connections: Option<Severity>,
    pub host_cpu: Option<Severity>,
    pub host_memory: Option<Severity>,
    pub reserved: Option<Severity>,
    pub shared_buffers: Option<Severity>,
    /// Pods that do not place, Jobs past the cluster, overcommitted nodes.
    pub cluster: Option<Severity>,
    /// The figures at every autoscaler's maximum (the connection budget there).
    pub at_maximum: Option<Severity>,
    /// What the deployment's Prometheus saw against the plan.
    pub observed: Option<Severity>,
    /// The streaming path's memory risk and its spread.
    pub streaming: Option<Severity>,
}

pub struct CapacityPanel<'a> {
    pub view: &'a CapacityView<'a>,
    pub theme: Theme,
}

/// Gauge columns: the label, the value; the bar takes what is left, up to 10 cells.
const LABEL_WIDTH: usize = 15;
const VALUE_WIDTH: usize = 15;
const MAX_BAR_WIDTH: usize = 10;

fn level(theme: Theme, severity: Option<Severity>) -> Style {
    match severity {
        Some(Severity::Error) => theme.error(),
        Some(Severity::Warning) => theme.warning(),
        Some(Severity::Info) | None => theme.good(),
    }
}

/// `label  value  ████░░░░░░  42 %`, coloured by the gauge's findings.
fn gauge(
    theme: Theme,
    width: u16,
    label: &str,
    value: String,
    ratio: f64,
    severity: Option<Severity>,
) -> Line<'static> {
    let bar = usize::from(width).saturating_sub(LABEL_WIDTH + VALUE_WIDTH + 9).clamp(3, MAX_BAR_WIDTH);
    let filled = ((ratio.clamp(0.0, 1.0) * bar as f64).round() as usize).min(bar);
    let style = level(theme, severity);
    Line::from(vec![
        Span::raw(format!("{label:<LABEL_WIDTH$}{value:<VALUE_WIDTH$}")),
        Span::styled("█".repeat(filled), style),
        Span::styled("░".repeat(bar - filled), theme.dim()),
        Span::styled(format!(" {:>3} %", (ratio * 100.0).round()), style),
        // The severity in a symbol too: without colour (NO_COLOR) it is the only sign.
        Span::styled(
            match severity {
                Some(Severity::Error) => " ✗",
                Some(Severity::Warning) => " ⚠",
                _ => "",
            },
            style,
        ),
    ])
}

/// " (was X)" when the figure changed since the start.
fn was<T: PartialEq + ToString>(theme: Theme, now: T, then: T) -> Span<'static> {
    if now == then { Span::raw("") } else { Span::styled(format!(" (was {})", then.to_string()), theme.fix()) }
}

/// CPUs, said so: "0.5 CPUs", "1 CPU".
fn cpus(amount: f64) -> String {
    // Two decimals, or three below a tenth: a slot's 0.004 CPU is not 0.
    let text = trim_decimal(amount, if amount > 0.0 && amount < 0.1 { 3 } else { 2 });
    if text == "1" { "1 CPU".into() } else { format!("{text} CPUs") }
}

/// A used/total pair of sizes in one unit, the larger's: GiB from 1 GiB up, MiB below
/// ("45.5/64 GiB", "0.25/1 GiB", "256/512 MiB").
fn sizes(used: u64, total: u64) -> String {
    // One unit for the pair, the larger figure's: `0/64 GiB`, not `0 MiB/64 GiB`.
    let (size, unit) = if used.max(total) >= 1 << 30 { (1u64 << 30, "GiB") } else { (1u64 << 20, "MiB") };
    let show = |bytes: u64| trim_decimal(bytes as f64 / size as f64, 2);
    format!("{}/{} {unit}", show(used), show(total))
}

/// One size, in GiB with at most one decimal.
fn gib(bytes: u64) -> String {
    format!("{} GiB", trim_decimal(bytes as f64 / (1u64 << 30) as f64, 1))
}

/// `lines` fitted to `width`: a line too long breaks at a space (never between a number and
/// its unit: `1.8 GiB`, `13 %`), and its next rows are indented under the figure, past the
/// label.
fn hang(lines: Vec<Line<'static>>, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width).max(1);
    let indent = LABEL_WIDTH.min(width / 2);
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.width() <= width {
            out.push(line);
            continue;
        }
        let cells: Vec<(char, ratatui::style::Style)> =
            line.spans.iter().flat_map(|span| span.content.chars().map(move |c| (c, span.style))).collect();
        // A space may break the line unless it parts a number from what it counts.
        let breaks = |i: usize| {
            cells[i].0 == ' '
                && !(i > 0
                    && cells[i - 1].0.is_ascii_digit()
                    && cells.get(i + 1).is_some_and(|(c, _)| c.is_alphabetic() || *c == '%'))
        };
        let (mut start, mut prefix) = (0, 0);
        while start < cells.len() {
            let room = width - prefix;
            let mut end = (start + room).min(cells.len());
            if end < cells.len()
                && let Some(at) = (start + 1..=end).rev().find(|&i| i < cells.len() && breaks(i))
            {
                end = at;
            }
            let mut spans: Vec<Span<'static>> = vec![Span::raw(" ".repeat(prefix))];
            for (c, style) in &cells[start..end] {
                match spans.last_mut() {
                    Some(last) if last.style == *style => last.content.to_mut().push(*c),
                    _ => spans.push(Span::styled(c.to_string(), *style)),
                }
            }
            out.push(Line::from(spans));
            start = end;
            while start < cells.len() && cells[start].0 == ' ' {
                start += 1;
            }
            prefix = indent;
        }
    }
    out
}

/// Draws `lines` in `area`, one row each, as [`hang`] fitted them.
fn render_lines(lines: &[Line], area: Rect, buf: &mut Buffer) {
    for (line, y) in lines.iter().zip(area.top()..area.bottom()) {
        buf.set_line(area.x, y, line, area.width);
    }
}

impl CapacityPanel<'_> {
    /// The panel's text for its inner area, wrapped to its width, and whether the wait chart
    /// has its place below.
    fn lines(&self, inner: Rect) -> (Vec<Line<'static>>, bool) {
        let (view, theme) = (self.view, self.theme);
        let (figures, before, levels) = (view.figures, view.before, view.levels);
        let width = inner.width;
        let mut lines = Vec::new();

        if figures.queue_consumed {
            lines.push(Line::from(vec![
                Span::raw("Queued at once "),
                Span::styled(figures.concurrent_executions.to_string(), theme.heading()),
                Span::raw(format!(" = {} × {}", figures.runtime_replicas, figures.slots_per_replica)),
                was(theme, figures.concurrent_executions, before.concurrent_executions),
            ]));
        } else {
            // The chart's executor pool runs no queue worker: nothing is queued "at once".
            lines.push(Line::from(vec![
                Span::raw("Queued at once "),
                Span::styled("none run", theme.heading()),
                Span::raw(" (no queue worker on Kubernetes)"),
            ]));
        }
        let slot = |f: &Analysis| {
            let memory = f.per_slot.memory().map_or("no limit".into(), |m| m.to_string());
            let cpu = f.per_slot.cpus.map_or("no CPU limit".into(), cpus);
            format!("{memory} · {cpu}")
        };
        lines.push(Line::from(vec![
            Span::raw(format!("{:<LABEL_WIDTH$}{}", "Per slot", slot(figures))),
            was(theme, slot(figures), slot(before)),
        ]));

        let c = &figures.connections;
        let mut connections =
            gauge(theme, width, "DB connections", format!("{}/{}", c.used, c.usable), c.share, levels.connections);
        connections.spans.push(was(theme, c.used, before.connections.used));
        lines.push(connections);
        let clients: Vec<String> = c
            .clients
            .iter()
            .map(|client| match client.name {
                "api" | "runtime" => format!("{} {}", client.name, client.detail.replace(' ', "")),
                name => format!("{name} {}", client.connections),
            })
            .collect();
        lines.push(Line::styled(format!("  {}", clients.join(", ")), theme.fix()));

        match (&figures.host, &figures.cluster) {
            (_, Some(fit)) => {
                let now = &fit.now;
                // Requests placed now over what the nodes offer pods.
                // Each gauge says what it measures: the share of the nodes' CPU and memory the
                // placed pods request; beside it, where and how many.
                let nodes = format!("of {} nodes", now.nodes);
                lines.push(gauge(theme, width, "CPU requested", nodes, now.cpu_requests_share, levels.cluster));
                let pods = format!("{}/{} pods placed", now.placed, now.pods);
                lines.push(gauge(theme, width, "Mem requested", pods, now.memory_requests_share, levels.cluster));
                let max = &fit.at_maximum;
                let mut text = format!("{}/{} pods on {} nodes", max.placed, max.pods, max.nodes);
                if let Some(at) = &figures.at_maximum {
                    text.push_str(&format!(
                        " · {} executions · DB {}/{}",
                        at.concurrent_executions, at.connections.used, at.connections.usable
                    ));
                }
                lines.push(Line::from(vec![
                    Span::raw(format!("{:<LABEL_WIDTH$}", "At maximum")),
                    Span::styled(text, level(theme, levels.at_maximum)),
                ]));
            }
            (Some(host), None) => {
                let cpu_pair = format!("{}/{} CPUs", trim_decimal(host.cpu_limits, 1), trim_decimal(host.cpus, 1));
                lines.push(gauge(theme, width, "Host CPU", cpu_pair, host.cpu_limits_share, levels.host_cpu));
                let memory_pair = sizes(host.memory_limits_bytes, host.memory_bytes);
                lines.push(gauge(
                    theme,
                    width,
                    "Host memory",
                    memory_pair,
                    host.memory_limits_share,
                    levels.host_memory,
                ));
                let reserved = host.cpu_reservations_share.max(host.memory_reservations_share);
                let amounts = format!("{} · {}", cpus(host.cpu_reservations), gib(host.memory_reservations_bytes));
                let share = (reserved * 100.0).round();
                // The share says of what, always: it wraps whole rather than lose it.
                let text = format!("{amounts} ({share}\u{a0}%\u{a0}of\u{a0}host)");
                lines.push(Line::from(vec![
                    Span::raw(format!("{:<LABEL_WIDTH$}", "Reserved")),
                    Span::styled(text, level(theme, levels.reserved)),
                ]));
            }
            (None, None) => lines.push(Line::styled(
                format!("{:<LABEL_WIDTH$}unknown: set Host cpus and memory in the Plan", "Host"),
                theme.fix(),
            )),
        }

        let pg = &figures.postgres;
        // A managed database's memory is its provider's; CockroachDB's is said with its own.
        let in_stack = !pg.external && figures.cockroachdb.is_none();
        match (pg.memory_limit_bytes, pg.shared_buffers_share) {
            _ if !in_stack => {}
            (Some(limit), Some(share)) => lines.push(gauge(
                theme,
                width,
                "shared_buffers",
                sizes(pg.shared_buffers_bytes, limit),
                share,
                levels.shared_buffers,
            )),
            _ => lines.push(Line::raw(format!(
                "{:<LABEL_WIDTH$}{} (Postgres has no memory limit)",
                "shared_buffers",
                Bytes(pg.shared_buffers_bytes)
            ))),
        }
        // PGTune's headline advice where it fits on a line; its whole advice shows below when
        // there is room.
        if let Some(tune) = pg.pgtune.as_ref().filter(|_| in_stack) {
            let setting = |name| tune.get(name).unwrap_or("—");
            let advice =
                format!("  PGTune: shared_buffers {}, work_mem {}", setting("shared_buffers"), setting("work_mem"));
            if advice.chars().count() <= usize::from(width) {
                lines.push(Line::styled(advice, theme.fix()));
            }
        }

        let chart_room = match &figures.queued {
            // The chart's executor pool takes none of them: no waits to show.
            Some(queued) if !figures.queue_consumed => {
                lines.push(Line::styled(
                    format!(
                        "{:<LABEL_WIDTH$}{}/min, none run (no queue worker)",
                        "Queued",
                        trim_decimal(queued.arrivals_per_minute, 1)
                    ),
                    level(theme, Some(Severity::Error)),
                ));
                false
            }
            Some(queued) => {
                lines.extend(queued_lines(theme, queued, before.queued.as_ref()));
                queued.curve.len() > 1
            }
            None if figures.streaming.is_none() => {
                lines
                    .push(Line::styled(format!("{:<LABEL_WIDTH$}none: type queued / minute", "Workload"), theme.fix()));
                false
            }
            None => false,
        };
        match &figures.streaming {
            Some(streaming) => lines.extend(streaming_lines(theme, streaming, levels.streaming)),
            None => lines.push(Line::raw(format!("{:<LABEL_WIDTH$}no limit (HTTP: all start)", "Streaming"))),
        }
        if let Some((observed, slots)) = view.observed {
            lines.push(observed_line(theme, observed, slots, levels.observed));
        }
        // Without a chart, spare rows show PGTune's advice whole, two settings a row.
        if let (false, Some(tune)) = (chart_room, pg.pgtune.as_ref().filter(|_| in_stack)) {
            let rows: Vec<String> = tune
                .settings
                .chunks(2)
                .map(|pair| pair.iter().map(|s| format!("{:<38}", format!("{} = {}", s.name, s.value))).collect())
                .collect();
            if hang(lines.clone(), inner.width).len() + rows.len() + 2 <= usize::from(inner.height) {
                lines.push(Line::raw(""));
                lines.push(Line::styled(
                    format!(
                        "PGTune, {} profile for {} · {} · {} connections",
                        tune.profile.name(),
                        Bytes(tune.memory_bytes),
                        tune.cpus.map_or("CPUs unknown".into(), |n| format!("{n} CPU")),
                        tune.max_connections
                    ),
                    theme.heading(),
                ));
                lines.extend(rows.into_iter().map(|row| Line::raw(format!("  {}", row.trim_end()))));
            }
        }
        (hang(lines, inner.width), chart_room)
    }

    /// The most the wheel can scroll the panel drawn in `area`: to where its last line shows.
    pub fn max_scroll(&self, area: Rect) -> usize {
        let inner = Block::bordered().inner(area);
        self.lines(inner).0.len().saturating_sub(usize::from(inner.height))
    }
}

impl Widget for &CapacityPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (view, theme) = (self.view, self.theme);
        let block = Block::bordered().title(Line::styled(" Capacity ", theme.heading()));
        let inner = block.inner(area);
        block.render(area, buf);
        let figures = view.figures;
        let (lines, chart_room) = self.lines(inner);
        // The wheel scrolls what does not fit; never past the last line.
        let scroll = view.scroll.min(lines.len().saturating_sub(usize::from(inner.height)));
        let lines = &lines[scroll..];
        let text_height = u16::try_from(lines.len()).unwrap_or(u16::MAX);
        render_lines(lines, inner, buf);
        // Lines the panel has no rows for are said to be there, on its bottom border.
        let hidden = usize::from(text_height.saturating_sub(inner.height));
        if let Some(more) = super::theme::out_of_view(scroll, hidden, "the wheel scrolls", theme)
            && area.height > 0
        {
            let border = Rect { x: area.x + 1, y: area.bottom() - 1, width: area.width.saturating_sub(2), height: 1 };
            more.render(border, buf);
        }
        // The chart takes what is left when that is enough to read it.
        let chart_height = inner.height.saturating_sub(text_height + 1);
        if let Some(workload) = figures.queued.as_ref().filter(|_| chart_room && chart_height >= 8) {
            let [_, caption, chart_area] =
                Layout::vertical([Constraint::Length(text_height), Constraint::Length(1), Constraint::Fill(1)])
                    .areas(inner);
            // The legend is a caption above the chart, so it can never cover the curve.
            let load = trim_decimal(workload.waits.utilisation * 100.0, 0);
            let mut spans = vec![
                Span::styled("p95 wait by load ", theme.heading()),
                Span::styled("─", theme.good()),
                Span::styled(" the curve · ", theme.fix()),
            ];
            match now_point(workload) {
                Some(_) => {
                    spans.push(Span::styled("•", theme.warning()));
                    spans.push(Span::styled(format!(" now: {load} % load"), theme.fix()));
                }
                None => spans.push(Span::styled(format!("now: {load} % load, off the chart"), theme.error())),
            }
            Line::from(spans).render(caption, buf);
            render_wait_chart(theme, workload, chart_area, buf);
        }
    }
}

/// The peaks Prometheus saw, beside the plan's figures above.
fn observed_line(theme: Theme, observed: &Observed, slots: u64, severity: Option<Severity>) -> Line<'static> {
    let mut parts = vec![
        format!("{}/min peak", trim_decimal(observed.peak_runs_per_minute, 1)),
        format!("{} s mean", trim_decimal(observed.mean_duration_seconds, 1)),
    ];
    if let Some(busy) = observed.busy_slots_peak {
        let share = observed.saturated_share(slots).unwrap_or(0.0);
        parts.push(format!("busy {}/{slots} ({} % full)", trim_decimal(busy, 0), percent(share)));
    }
    if let Some(peak) = observed.connections_peak {
        parts.push(format!("DB {}", trim_decimal(peak, 0)));
    }
    Line::from(vec![
        Span::raw(format!("{:<LABEL_WIDTH$}", "Observed")),
        Span::styled(parts.join(" · "), level(theme, severity)),
    ])
}

fn queued_lines(theme: Theme, w: &QueuedFigures, before: Option<&QueuedFigures>) -> Vec<Line<'static>> {
    let waits = &w.waits;
    let mut lines = vec![Line::from(vec![
        Span::raw(format!("{:<LABEL_WIDTH$}", "Queued")),
        Span::raw(format!(
            "{}/min × {} = {} busy slots",
            trim_decimal(w.arrivals_per_minute, 1),
            Seconds(w.mean_duration_seconds),
            trim_decimal(waits.offered_load, 1)
        )),
    ])];
    if !waits.stable {
        lines.push(Line::styled(
            format!("  UNSTABLE on {} slots: needs ≥ {} slots", waits.slots, w.slots_for_stability),
            theme.error(),
        ));
        return lines;
    }
    let p95 = wait_text(waits.p95_wait_seconds);
    let mut wait_line = vec![Span::raw(format!(
        "  {} % wait · mean {} · p95 {p95}",
        waits.waiting_percent(),
        wait_text(waits.mean_wait_seconds),
    ))];
    if let Some(before) = before {
        wait_line.push(was(theme, p95, wait_text(before.waits.p95_wait_seconds)));
    }
    lines.push(Line::from(wait_line));
    let target = match (&w.target, w.target_met) {
        (Some(target), Some(true)) => Span::styled(format!("  target {target}: met"), theme.good()),
        (Some(target), _) => Span::styled(format!("  target {target}: MISSED"), theme.error()),
        (None, _) => {
            Span::styled(format!("  ceiling {}/min", trim_decimal(w.throughput_ceiling_per_minute, 1)), theme.fix())
        }
    };
    lines.push(Line::from(target));
    lines
}

/// The streaming path: runs per runtime, and how often one runtime's memory is past what it fits.
fn streaming_lines(theme: Theme, s: &StreamingFigures, severity: Option<Severity>) -> Vec<Line<'static>> {
    let on = match s.spread {
        crate::analysis::streaming::Spread::Even => "per runtime",
        crate::analysis::streaming::Spread::OneRuntime => "on one runtime (DNS)",
    };
    let mut lines = vec![Line::raw(format!(
        "{:<LABEL_WIDTH$}{}/min × {}: mean {}, p99 {} {on}",
        "Streaming",
        trim_decimal(s.arrivals_per_minute, 1),
        Seconds(s.mean_duration_seconds),
        trim_decimal(s.mean_per_runtime, 1),
        s.p99_per_runtime
    ))];
    let memory = match (s.memory_fit_per_runtime, s.over_memory_any_runtime) {
        (Some(fit), Some(any)) => format!("  memory fits {fit}: over it {} of the peak", share_text(any)),
        _ => "  memory fit unknown: set runtime memory limit and memory / run".to_string(),
    };
    lines.push(Line::styled(memory, level(theme, severity)));
    lines
}

/// Where the current load sits on the chart: `None` when it is past saturation (no p95 wait,
/// and off the 0–100 % axis).
fn now_point(w: &QueuedFigures) -> Option<(f64, f64)> {
    let load = w.waits.utilisation * 100.0;
    w.waits.p95_wait_seconds.filter(|_| load <= 100.0).map(|p95| (load, p95))
}

fn render_wait_chart(theme: Theme, w: &QueuedFigures, area: Rect, buf: &mut Buffer) {
    let points: Vec<(f64, f64)> =
        w.curve.iter().filter_map(|p| p.p95_wait_seconds.map(|wait| (p.load_share * 100.0, wait))).collect();
    // The current load is on the chart, with its own p95, whatever the curve's points are.
    let now: Vec<(f64, f64)> = now_point(w).into_iter().collect();
    let top = points.iter().chain(&now).map(|p| p.1).fold(0.0, f64::max).max(1.0);
    let datasets = vec![
        Dataset::default()
            .name("p95 wait")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.good())
            .data(&points),
        Dataset::default()
            .name("now")
            .marker(Marker::Dot)
            .graph_type(GraphType::Scatter)
            .style(theme.warning())
            .data(&now),
    ];
    Chart::new(datasets)
        .legend_position(None)
        .x_axis(Axis::default().title("load %").bounds([0.0, 100.0]).labels(["0", "50", "100"]).style(theme.fix()))
        .y_axis(
            Axis::default()
                .title("p95 s")
                .bounds([0.0, top])
                .labels(["0".to_string(), trim_decimal(top / 2.0, 1), trim_decimal(top, 1)])
                .style(theme.fix()),
        )
        .render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_unit_per_pair_and_cpus_said_so() {
        assert_eq!(sizes(256 << 20, 1 << 30), "0.25/1 GiB");
        assert_eq!(sizes(256 << 20, 512 << 20), "256/512 MiB");
        assert_eq!(sizes(45 << 30 | 512 << 20, 64 << 30), "45.5/64 GiB");
        assert_eq!(sizes(0, 64 << 30), "0/64 GiB");
        assert_eq!(cpus(1.0), "1 CPU");
        assert_eq!(cpus(0.25), "0.25 CPUs");
        assert_eq!(cpus(0.004), "0.004 CPUs");
    }
}
