//! The human report in colour, for a terminal: the headline and section headings bold, each
//! severity in its colour, the verdict green or red. Applied to the rendered (and
//! terminal-safe) text, so the report itself stays the same bytes everywhere else.

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const CYAN: &str = "\x1b[1;36m";
const GREEN: &str = "\x1b[1;32m";
const FIX: &str = "\x1b[32m";

/// `text` (the human report) with ANSI colours.
pub fn colour_human(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 256);
    for line in text.split_inclusive('\n') {
        let (content, end) = line.strip_suffix('\n').map_or((line, ""), |c| (c, "\n"));
        let styled = |style: &str, head: &str, rest: &str| format!("{style}{head}{RESET}{rest}");
        let coloured = if let Some(rest) = content.strip_prefix("PASS") {
            styled(GREEN, "PASS", rest)
        } else if let Some(rest) = content.strip_prefix("FAIL") {
            styled(RED, "FAIL", rest)
        } else if !content.is_empty() && !content.starts_with(' ') {
            styled(BOLD, content, "")
        } else if let Some(rest) = content.strip_prefix("  error") {
            format!("  {}", styled(RED, "error", rest))
        } else if let Some(rest) = content.strip_prefix("  warning") {
            format!("  {}", styled(YELLOW, "warning", rest))
        } else if let Some(rest) = content.strip_prefix("  info ") {
            format!("  {}", styled(CYAN, "info", &format!(" {rest}")))
        } else if let Some(rest) = content.strip_prefix("          fix:") {
            format!("          {}", styled(FIX, "fix:", rest))
        } else if let Some(rest) = content.strip_prefix("  UNSTABLE") {
            format!("  {}", styled(RED, "UNSTABLE", rest))
        } else {
            content.to_string()
        };
        out.push_str(&coloured);
        out.push_str(end);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_verdict_and_headings_are_coloured_and_nothing_else_changes() {
        let report = "flowcap check: Medium (m.yaml)\n\nCapacity\n  concurrent executions  40\n\n\
                      Findings: 1 error, 1 warning, 1 info\n  error   a  m.yaml:1:1\n          msg\n          fix: do\n  \
                      warning b  m.yaml\n  info    c  m.yaml\n\nFAIL (fails on error and above)\n";
        let coloured = colour_human(report);
        assert!(coloured.contains("\x1b[1;31merror\x1b[0m   a  m.yaml:1:1\n"), "{coloured:?}");
        assert!(coloured.contains("\x1b[1;33mwarning\x1b[0m b  m.yaml\n"));
        assert!(coloured.contains("\x1b[1;36minfo\x1b[0m    c  m.yaml\n"));
        assert!(coloured.contains("\x1b[1mCapacity\x1b[0m\n"));
        assert!(coloured.ends_with("\x1b[1;31mFAIL\x1b[0m (fails on error and above)\n"));
        let plain: String = {
            let mut text = coloured.clone();
            for code in [RESET, BOLD, RED, YELLOW, CYAN, GREEN, FIX] {
                text = text.replace(code, "");
            }
            text
        };
        assert_eq!(plain, report);
    }
}
