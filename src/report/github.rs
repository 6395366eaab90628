//! GitHub Actions workflow commands: one annotation per finding on the plan file's line.

use super::Report;
use crate::analysis::rules::Severity;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for located in &report.findings {
        let finding = &located.finding;
        let command = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut properties = format!("file={}", property(&located.file));
        if let Some(line) = located.line {
            let _ = write!(properties, ",line={line}");
        }
        if let Some(column) = located.column {
            let _ = write!(properties, ",col={column}");
        }
        let _ = write!(properties, ",title={}", property(finding.rule.as_str()));
        let text = match &finding.fix {
            Some(fix) => format!("{} Fix: {fix}.", finding.message),
            None => finding.message.clone(),
        };
        let _ = writeln!(out, "::{command} {properties}::{}", data(&text));
    }
    let figures: Vec<String> = report.key_figures().iter().map(|(name, value)| format!("{name}={value}")).collect();
    let _ = writeln!(out, "::notice title=flowcap figures::{}", data(&figures.join(", ")));
    let s = &report.summary;
    let _ = writeln!(
        out,
        "flowcap: {}, {}, {} info in {}",
        crate::io::text::count(s.errors as u64, "error"),
        crate::io::text::count(s.warnings as u64, "warning"),
        s.infos,
        report.sources()
    );
    out
}

/// Escapes a command's message (GitHub's `escapeData`).
fn data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a command property (GitHub's `escapeProperty`).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}
