//! The planner's styles (plain when colour is off) and the "more above / below" border every
//! scrolling panel shares.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;

/// Styles, plain when colour is off (NO_COLOR).
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn fg(self, color: Color) -> Style {
        if self.color { Style::new().fg(color) } else { Style::new() }
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn warning(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn good(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn heading(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        self.fg(Color::DarkGray)
    }

    /// Text to read (fixes, the key hints): light, not the dim grey that vanishes on black.
    pub fn fix(self) -> Style {
        self.fg(Color::Gray)
    }

    pub fn info(self) -> Style {
        self.fg(Color::Blue)
    }
}

/// A panel's bottom border when rows are out of view: "↑ 3 above · ↓ 5 more", with `how` to
/// reach them after the count below (when there is nothing above). `None` when all is in view.
pub fn out_of_view(above: usize, below: usize, how: &str, theme: Theme) -> Option<Line<'static>> {
    let how = if how.is_empty() { String::new() } else { format!(" · {how}") };
    let text = match (above, below) {
        (0, 0) => return None,
        (0, below) => format!(" ↓ {below} more{how} "),
        (above, 0) => format!(" ↑ {above} above "),
        (above, below) => format!(" ↑ {above} above · ↓ {below} more "),
    };
    Some(Line::styled(text, theme.heading()).right_aligned())
}
