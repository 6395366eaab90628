//! SARIF 2.1.0, as GitHub code scanning accepts it: every rule in the driver, every finding a
//! result located in the plan file.

use super::Report;
use crate::rules::{RULES, Severity};
use serde_json::{Value, json};

pub fn render(report: &Report) -> String {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id,
                "name": rule.id,
                "shortDescription": { "text": rule.checks },
                "fullDescription": { "text": format!("{} (threshold: {})", rule.checks, rule.threshold) },
                "defaultConfiguration": { "level": level(rule.severity) },
                "help": { "text": format!("Threshold: {}. See `flowcap rules`.", rule.threshold) },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|located| {
            let finding = &located.finding;
            let rule_index = RULES.iter().position(|r| r.id == finding.rule).unwrap_or_default();
            let text = match &finding.fix {
                Some(fix) => format!("{} Fix: {fix}.", finding.message),
                None => finding.message.clone(),
            };
            // GitHub needs a region; a key the file does not spell out points at the top.
            let region = json!({
                "startLine": located.line.unwrap_or(1),
                "startColumn": located.column.unwrap_or(1),
            });
            json!({
                "ruleId": finding.rule,
                "ruleIndex": rule_index,
                "level": level(finding.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": located.file, "uriBaseId": "%SRCROOT%" },
                        "region": region,
                    },
                    "logicalLocations": [{ "fullyQualifiedName": finding.path, "kind": "member" }],
                }],
                "partialFingerprints": { "flowcapFinding/v1": format!("{}:{}", finding.rule, finding.path) },
            })
        })
        .collect();
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "flowcap",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "results": results,
            "properties": { "flowcapFigures": report.key_figures().into_iter().map(|(k, v)| (k.to_string(), Value::String(v))).collect::<serde_json::Map<String, Value>>() },
        }],
    });
    // A tree of JSON values always serialises.
    let mut text = serde_json::to_string_pretty(&sarif).unwrap_or_default();
    text.push('\n');
    text
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}
