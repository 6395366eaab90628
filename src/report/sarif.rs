//! SARIF 2.1.0, as GitHub code scanning accepts it: every rule in the driver, every finding a
//! result located in the plan file.

use super::Report;
use crate::analysis::rules::{RULES, Severity};
use serde_json::Value;
use serde_sarif::sarif::{
    ArtifactLocation, Location, LogicalLocation, Message, MultiformatMessageString, PhysicalLocation, PropertyBag,
    Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Tool,
    ToolComponent,
};
use std::collections::BTreeMap;

fn text(text: String) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(text).build()
}

pub fn render(report: &Report) -> String {
    let rules: Vec<ReportingDescriptor> = RULES
        .iter()
        .map(|rule| {
            ReportingDescriptor::builder()
                .id(rule.id.as_str())
                .name(rule.id.as_str())
                .short_description(text(rule.checks.to_string()))
                .full_description(text(format!("{} (threshold: {})", rule.checks, rule.threshold())))
                .default_configuration(ReportingConfiguration {
                    level: Some(Value::String(level_name(rule.severity).to_string())),
                    ..Default::default()
                })
                .help(text(format!("Threshold: {}. See `flowcap rules`.", rule.threshold())))
                .build()
        })
        .collect();
    let results: Vec<SarifResult> = report
        .findings
        .iter()
        .map(|located| {
            let finding = &located.finding;
            let rule_index = RULES.iter().position(|r| r.id == finding.rule).unwrap_or_default();
            let message = match &finding.fix {
                Some(fix) => format!("{} Fix: {fix}.", finding.message),
                None => finding.message.clone(),
            };
            // GitHub needs a region; a key the file does not spell out points at the top.
            let region = Region {
                start_line: Some(located.line.unwrap_or(1) as i64),
                start_column: Some(located.column.unwrap_or(1) as i64),
                ..Default::default()
            };
            let location = Location {
                physical_location: Some(PhysicalLocation {
                    artifact_location: Some(ArtifactLocation {
                        uri: Some(located.file.clone()),
                        uri_base_id: Some("%SRCROOT%".to_string()),
                        ..Default::default()
                    }),
                    region: Some(region),
                    ..Default::default()
                }),
                logical_locations: Some(vec![LogicalLocation {
                    fully_qualified_name: Some(finding.path.clone()),
                    kind: Some("member".to_string()),
                    ..Default::default()
                }]),
                ..Default::default()
            };
            let fingerprint = format!("{}:{}", finding.rule, finding.path);
            SarifResult::builder()
                .rule_id(finding.rule.as_str())
                .rule_index(rule_index as i64)
                .level(level(finding.severity))
                .message(Message { text: Some(message), ..Default::default() })
                .locations(vec![location])
                .partial_fingerprints(BTreeMap::from([("flowcapFinding/v1".to_string(), fingerprint)]))
                .build()
        })
        .collect();
    let figures = report.key_figures().into_iter().map(|(k, v)| (k.to_string(), Value::String(v)));
    let figures: serde_json::Map<String, Value> = figures.collect();
    let driver = ToolComponent::builder().name("flowcap").version(env!("CARGO_PKG_VERSION")).rules(rules).build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .properties(PropertyBag {
            additional_properties: BTreeMap::from([("flowcapFigures".to_string(), Value::Object(figures))]),
            ..Default::default()
        })
        .build();
    let sarif = Sarif::builder()
        .schema("https://json.schemastore.org/sarif-2.1.0.json")
        .version(Value::String("2.1.0".to_string()))
        .runs(vec![run])
        .build();
    // Plain data always serialises.
    let mut text = serde_json::to_string_pretty(&sarif).unwrap_or_default();
    text.push('\n');
    text
}

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Info => ResultLevel::Note,
    }
}

fn level_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}
