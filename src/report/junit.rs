//! JUnit XML: one test case per rule, failed when the rule has a finding at or above the fail
//! level; findings below it are passed cases with the finding in system-out.

use super::Report;
use crate::rules::RULES;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let mut cases = String::new();
    let mut failures = 0;
    for rule in RULES {
        let findings: Vec<_> = report.findings.iter().filter(|f| f.finding.rule == rule.id).collect();
        let failing: Vec<_> = findings.iter().filter(|f| f.finding.severity >= report.summary.fail_on).collect();
        let _ = write!(cases, r#"    <testcase classname="flowcap.{}" name="{}""#, escape(report.title()), rule.id);
        if findings.is_empty() {
            cases.push_str("/>\n");
            continue;
        }
        cases.push_str(">\n");
        let details: Vec<String> = findings
            .iter()
            .map(|f| {
                let place = f.line.map_or(f.file.clone(), |line| format!("{}:{line}", f.file));
                let fix = f.finding.fix.as_deref().map(|fix| format!("\nfix: {fix}")).unwrap_or_default();
                format!("{}: {} [{}]{fix}", place, f.finding.message, f.finding.severity)
            })
            .collect();
        if let Some(first) = failing.first() {
            failures += 1;
            let _ = writeln!(
                cases,
                r#"      <failure message="{}" type="{}">{}</failure>"#,
                escape(&first.finding.message),
                first.finding.severity,
                escape(&details.join("\n"))
            );
        } else {
            let _ = writeln!(cases, "      <system-out>{}</system-out>", escape(&details.join("\n")));
        }
        cases.push_str("    </testcase>\n");
    }
    let total = RULES.len();
    let properties: String = report
        .key_figures()
        .iter()
        .map(|(name, value)| format!("      <property name=\"{name}\" value=\"{}\"/>\n", escape(value)))
        .collect();
    let name = escape(&format!("flowcap check: {}", report.title()));
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <testsuites name=\"flowcap\" tests=\"{total}\" failures=\"{failures}\" errors=\"0\">\n  \
         <testsuite name=\"{name}\" tests=\"{total}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n    \
         <properties>\n{properties}    </properties>\n\
         {cases}  </testsuite>\n</testsuites>\n"
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}
