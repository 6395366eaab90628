//! JUnit XML, built with `quick-junit` (which escapes and drops what XML cannot hold): one test
//! case per rule, failed when the rule has a finding at or above the fail level; findings below
//! it are passed cases with the finding in system-out.

use super::Report;
use crate::analysis::rules::RULES;
use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

pub fn render(report: &Report) -> String {
    let mut suite = TestSuite::new(format!("flowcap check: {}", report.title()));
    suite.add_properties(report.key_figures().into_iter().map(|(name, value)| Property::new(name, value)));
    for rule in RULES {
        let findings: Vec<_> = report.findings.iter().filter(|f| f.finding.rule == rule.id).collect();
        let details: Vec<String> = findings
            .iter()
            .map(|f| {
                let place = f.line.map_or(f.file.clone(), |line| format!("{}:{line}", f.file));
                let fix = f.finding.fix.as_deref().map(|fix| format!("\nfix: {fix}")).unwrap_or_default();
                format!("{}: {} [{}]{fix}", place, f.finding.message, f.finding.severity)
            })
            .collect();
        let failing = findings.iter().find(|f| f.finding.severity >= report.summary.fail_on);
        let status = match failing {
            Some(first) => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status
                    .set_message(first.finding.message.as_str())
                    .set_type(first.finding.severity.to_string())
                    .set_description(details.join("\n"));
                status
            }
            None => TestCaseStatus::success(),
        };
        let mut case = TestCase::new(rule.id.as_str(), status);
        case.set_classname(format!("flowcap.{}", report.title()));
        if failing.is_none() && !details.is_empty() {
            case.set_system_out(details.join("\n"));
        }
        suite.add_test_case(case);
    }
    let mut junit = quick_junit::Report::new("flowcap");
    junit.add_test_suite(suite);
    // Strings into XML always serialise; an error would leave an empty report, which fails to parse.
    let mut text = junit.to_string().unwrap_or_default();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}
