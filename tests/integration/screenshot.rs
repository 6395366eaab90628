//! `assets/screenshot.svg`, the README's picture of the planner, is drawn from a rendered
//! buffer, never by hand. This test fails when the screen changed and the picture did not;
//! `UPDATE_SCREENSHOT=1 cargo test --test screenshot` draws it anew.

use flowcap::model::load::parse_plan;
use flowcap::tui::knobs::Knob;
use flowcap::tui::state::{App, Msg};
use flowcap::tui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use std::fmt::Write;

const CELL_WIDTH: f64 = 8.4;
const CELL_HEIGHT: f64 = 18.0;
const BACKGROUND: &str = "#1d1f21";
const FOREGROUND: &str = "#d5d8d6";

fn color(color: Color, default: &'static str) -> &'static str {
    match color {
        Color::Red => "#e06c6c",
        Color::Green => "#8fbf6a",
        Color::Yellow => "#e5b567",
        Color::Cyan => "#6cc5d0",
        Color::DarkGray => "#7c7f83",
        _ => default,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn svg(buffer: &Buffer) -> String {
    let (width, height) = (buffer.area.width, buffer.area.height);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14">"#,
        w = f64::from(width) * CELL_WIDTH + 16.0,
        h = f64::from(height) * CELL_HEIGHT + 16.0
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" rx="6" fill="{BACKGROUND}"/>"#);
    // Reversed cells (the selection) get a light box behind dark text.
    for y in 0..height {
        for x in 0..width {
            if buffer[(x, y)].modifier.contains(Modifier::REVERSED) {
                let _ = writeln!(
                    out,
                    r#"<rect x="{:.1}" y="{:.1}" width="{CELL_WIDTH}" height="{CELL_HEIGHT}" fill="{FOREGROUND}"/>"#,
                    8.0 + f64::from(x) * CELL_WIDTH,
                    8.0 + f64::from(y) * CELL_HEIGHT
                );
            }
        }
    }
    for y in 0..height {
        let baseline = 8.0 + f64::from(y) * CELL_HEIGHT + 13.0;
        let _ = write!(out, r#"<text y="{baseline}" xml:space="preserve">"#);
        for x in 0..width {
            let cell = &buffer[(x, y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let left = 8.0 + f64::from(x) * CELL_WIDTH;
            if cell.symbol() == " " {
                continue;
            }
            let weight = if cell.modifier.contains(Modifier::BOLD) { r#" font-weight="bold""# } else { "" };
            let _ = write!(
                out,
                r#"<tspan x="{left:.1}" fill="{}"{weight}>{}</tspan>"#,
                if reversed { BACKGROUND } else { color(cell.fg, FOREGROUND) },
                escape(cell.symbol())
            );
        }
        let _ = writeln!(out, "</text>");
    }
    out.push_str("</svg>\n");
    out
}

#[test]
fn screenshot_is_drawn_from_the_rendered_screen() {
    let text = include_str!("../../examples/busy-medium.yaml");
    let mut app = App::new(parse_plan("examples/busy-medium.yaml", text).unwrap(), true);
    update(&mut app, Msg::Resize { width: 120, height: 36 });
    update(&mut app, Msg::Select(Knob::RuntimeSlots));
    for _ in 0..8 {
        update(&mut app, Msg::Step { up: true });
    }
    let mut terminal = Terminal::new(TestBackend::new(120, 36)).unwrap();
    terminal.draw(|frame| frame.render_widget(&app, frame.area())).unwrap();
    let drawn = svg(terminal.backend().buffer());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/screenshot.svg");
    if std::env::var_os("UPDATE_SCREENSHOT").is_some() {
        std::fs::write(&path, &drawn).unwrap();
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == drawn,
        "assets/screenshot.svg is out of date: run UPDATE_SCREENSHOT=1 cargo test --test screenshot"
    );
}
