//! Right: the figures, read from the report `update` computed, with gauges and "was …" against
//! the starting plan; with a workload, the waits and a chart of wait against load.

use super::app::App;
use super::view::Theme;
use crate::units::{Bytes, Seconds, trim_decimal};
use crate::workload::{WorkloadFigures, wait_text};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Widget};

pub struct CapacityPanel<'a> {
    pub app: &'a App,
    pub theme: Theme,
}

/// Width of a gauge bar in cells.
const BAR_WIDTH: usize = 10;
/// Host gauges turn amber at this share of what the policy allows.
const HOST_WARNING_SHARE: f64 = 0.8;

/// The style for a ratio against its warning line and limit.
fn level(theme: Theme, ratio: f64, warning: f64, limit: f64) -> Style {
    if ratio > limit {
        theme.error()
    } else if ratio > warning {
        theme.warning()
    } else {
        theme.good()
    }
}

/// `label  value  ████░░░░░░  42 %`, coloured by `level`.
fn gauge(theme: Theme, label: &str, value: String, ratio: f64, warning: f64, limit: f64) -> Line<'static> {
    let filled = ((ratio.clamp(0.0, 1.0) * BAR_WIDTH as f64).round() as usize).min(BAR_WIDTH);
    let style = level(theme, ratio, warning, limit);
    Line::from(vec![
        Span::raw(format!("{label:<14}{value:<10}")),
        Span::styled("█".repeat(filled), style),
        Span::styled("░".repeat(BAR_WIDTH - filled), theme.dim()),
        Span::styled(format!(" {:>3} %", (ratio * 100.0).round()), style),
    ])
}

/// " (was X)" when the figure changed since the start.
fn was<T: PartialEq + ToString>(theme: Theme, now: T, then: T) -> Span<'static> {
    if now == then { Span::raw("") } else { Span::styled(format!(" (was {})", then.to_string()), theme.dim()) }
}

impl Widget for &CapacityPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, theme) = (self.app, self.theme);
        let block = Block::bordered().title(Line::styled(" Capacity ", theme.heading()));
        let inner = block.inner(area);
        block.render(area, buf);
        let figures = &app.report.figures;
        let before = &app.baseline_report.figures;
        let policy = &app.plan().policy;
        let mut lines = Vec::new();

        lines.push(Line::from(vec![
            Span::raw("Concurrent executions "),
            Span::styled(figures.concurrent_executions.to_string(), theme.heading()),
            Span::raw(format!(" = {} × {}", figures.runtime_replicas, figures.slots_per_replica)),
            was(theme, figures.concurrent_executions, before.concurrent_executions),
        ]));
        let slot_memory = figures.per_slot.memory().map_or("no limit".into(), |m| m.to_string());
        let slot_cpu = figures.per_slot.cpus.map_or("no limit".into(), |c| format!("{} CPU", trim_decimal(c, 2)));
        lines.push(Line::from(vec![
            Span::raw(format!("{:<14}{slot_memory} · {slot_cpu}", "Per slot")),
            was(theme, slot_memory.clone(), before.per_slot.memory().map_or("no limit".into(), |m| m.to_string())),
        ]));

        let c = &figures.connections;
        let mut connections = gauge(
            theme,
            "DB conns",
            format!("{}/{}", c.used, c.usable),
            c.share,
            f64::from(policy.connection_warning_percent) / 100.0,
            1.0,
        );
        connections.spans.push(was(theme, c.used, before.connections.used));
        lines.push(connections);
        let clients: Vec<String> = c
            .clients
            .iter()
            .map(|client| match client.name {
                "api" => format!("api {}", client.detail.replace(' ', "")),
                name => format!("{name} {}", client.connections),
            })
            .collect();
        lines.push(Line::styled(format!("  {}", clients.join(", ")), theme.dim()));

        match &figures.host {
            Some(host) => {
                let cpu_allowed = f64::from(policy.cpu_overcommit_percent) / 100.0;
                let memory_allowed = f64::from(policy.memory_overcommit_percent) / 100.0;
                lines.push(gauge(
                    theme,
                    "Host CPU",
                    format!("{}/{}", trim_decimal(host.cpu_limits, 1), trim_decimal(host.cpus, 1)),
                    host.cpu_limits_share,
                    cpu_allowed * HOST_WARNING_SHARE,
                    cpu_allowed,
                ));
                lines.push(gauge(
                    theme,
                    "Host memory",
                    format!("{}/{}", gib(host.memory_limits_bytes), gib(host.memory_bytes)),
                    host.memory_limits_share,
                    memory_allowed * HOST_WARNING_SHARE,
                    memory_allowed,
                ));
                let reserved = host.cpu_reservations_share.max(host.memory_reservations_share);
                lines.push(Line::from(vec![
                    Span::raw(format!("{:<14}", "Reserved")),
                    Span::styled(
                        format!(
                            "{} CPU · {} ({} % of host)",
                            trim_decimal(host.cpu_reservations, 2),
                            gib(host.memory_reservations_bytes),
                            (reserved * 100.0).round()
                        ),
                        level(theme, reserved, HOST_WARNING_SHARE, 1.0),
                    ),
                ]));
            }
            None => lines.push(Line::styled("Host          unknown: set its size below", theme.dim())),
        }

        let pg = &figures.postgres;
        match (pg.memory_limit_bytes, pg.shared_buffers_share) {
            (Some(limit), Some(share)) => lines.push(gauge(
                theme,
                "Postgres sb",
                format!("{}/{}", gib(pg.shared_buffers_bytes), gib(limit)),
                share,
                f64::from(policy.shared_buffers_warning_percent) / 100.0,
                1.0,
            )),
            _ => lines.push(Line::raw(format!(
                "{:<14}{} (no memory limit)",
                "Postgres sb",
                Bytes(pg.shared_buffers_bytes)
            ))),
        }
        if let Some(tune) = &pg.pgtune {
            let setting = |name| tune.get(name).unwrap_or("—");
            lines.push(Line::styled(
                format!("  PGTune: sb {}, work_mem {}", setting("shared_buffers"), setting("work_mem")),
                theme.dim(),
            ));
        }

        let chart_room = match &figures.workload {
            Some(workload) => {
                lines.extend(workload_lines(theme, workload, before.workload.as_ref()));
                workload.curve.len() > 1
            }
            None => {
                lines.push(Line::styled("Workload      none (type runs / minute)", theme.dim()));
                false
            }
        };
        // Without a chart, spare rows show PGTune's advice whole, two settings a row.
        if let (false, Some(tune)) = (chart_room, &pg.pgtune) {
            let rows: Vec<String> = tune
                .settings
                .chunks(2)
                .map(|pair| pair.iter().map(|s| format!("{:<36}", format!("{} = {}", s.name, s.value))).collect())
                .collect();
            if lines.len() + rows.len() + 2 <= usize::from(inner.height) {
                lines.push(Line::raw(""));
                lines.push(Line::styled(
                    format!(
                        "PGTune, web profile for {} · {} · {} connections",
                        Bytes(tune.memory_bytes),
                        tune.cpus.map_or("CPUs unknown".into(), |n| format!("{n} CPU")),
                        tune.max_connections
                    ),
                    theme.heading(),
                ));
                lines.extend(rows.into_iter().map(|row| Line::raw(format!("  {}", row.trim_end()))));
            }
        }
        let text_height = lines.len() as u16;
        Paragraph::new(lines).render(inner, buf);
        // The chart takes what is left when that is enough to read it.
        let chart_height = inner.height.saturating_sub(text_height + 1);
        if let Some(workload) = figures.workload.as_ref().filter(|_| chart_room && chart_height >= 8) {
            let [_, chart_area] =
                Layout::vertical([Constraint::Length(text_height + 1), Constraint::Fill(1)]).areas(inner);
            render_wait_chart(theme, workload, chart_area, buf);
        }
    }
}

fn workload_lines(theme: Theme, w: &WorkloadFigures, before: Option<&WorkloadFigures>) -> Vec<Line<'static>> {
    let waits = &w.waits;
    let mut lines = vec![Line::from(vec![
        Span::raw(format!("{:<14}", "Workload")),
        Span::raw(format!(
            "{}/min × {} = {} Erl",
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
            Span::styled(format!("  ceiling {}/min", trim_decimal(w.throughput_ceiling_per_minute, 1)), theme.dim())
        }
    };
    lines.push(Line::from(target));
    lines
}

fn render_wait_chart(theme: Theme, w: &WorkloadFigures, area: Rect, buf: &mut Buffer) {
    let points: Vec<(f64, f64)> =
        w.curve.iter().filter_map(|p| p.p95_wait_seconds.map(|wait| (p.load_share * 100.0, wait))).collect();
    let top = points.iter().map(|p| p.1).fold(0.0, f64::max).max(1.0);
    let now = vec![(w.waits.utilisation * 100.0, w.waits.p95_wait_seconds.unwrap_or(top).min(top))];
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
        .x_axis(Axis::default().title("load %").bounds([0.0, 100.0]).labels(["0", "50", "100"]).style(theme.dim()))
        .y_axis(
            Axis::default()
                .title("p95 s")
                .bounds([0.0, top])
                .labels(["0".to_string(), trim_decimal(top / 2.0, 1), trim_decimal(top, 1)])
                .style(theme.dim()),
        )
        .render(area, buf);
}

/// Sizes in a gauge: GiB with at most one decimal, so "45.5/64 GiB" fits.
fn gib(bytes: u64) -> String {
    format!("{}G", trim_decimal(bytes as f64 / (1u64 << 30) as f64, 1))
}
