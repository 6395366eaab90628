//! The check report: figures and findings for one plan, rendered as human text, JSON, SARIF,
//! JUnit XML or GitHub workflow commands. Rendering is deterministic: same plan, same bytes.

mod github;
mod human;
mod junit;
mod sarif;

use crate::analysis::{Analysis, analyze};
use crate::load::LoadedPlan;
use crate::rules::{Finding, Severity, evaluate};
use serde::Serialize;

/// Bumped when the JSON shape changes incompatibly.
pub const JSON_SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Junit,
    Github,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub plan: PlanSource,
    pub figures: Analysis,
    pub findings: Vec<LocatedFinding>,
    pub summary: Summary,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanSource {
    pub name: Option<String>,
    pub file: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocatedFinding {
    #[serde(flatten)]
    pub finding: Finding,
    pub file: String,
    /// 1-based, when the plan file spells the key out.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// The lowest severity that fails the check.
    pub fail_on: Severity,
    pub failed: bool,
}

impl Report {
    /// Analyses the plan and locates each finding in its file.
    pub fn new(loaded: &LoadedPlan, fail_on: Severity) -> Report {
        let figures = analyze(&loaded.plan);
        let findings: Vec<LocatedFinding> = evaluate(&loaded.plan, &figures)
            .into_iter()
            .map(|finding| {
                let position = loaded.locate(&finding.path);
                LocatedFinding {
                    finding,
                    file: loaded.file.clone(),
                    line: position.map(|p| p.0),
                    column: position.map(|p| p.1),
                }
            })
            .collect();
        let count = |severity| findings.iter().filter(|f| f.finding.severity == severity).count();
        let summary = Summary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            fail_on,
            failed: findings.iter().any(|f| f.finding.severity >= fail_on),
        };
        Report {
            schema_version: JSON_SCHEMA_VERSION,
            plan: PlanSource { name: loaded.plan.name.clone(), file: loaded.file.clone() },
            figures,
            findings,
            summary,
        }
    }

    /// The plan's name, or its file when it has none.
    pub fn title(&self) -> &str {
        self.plan.name.as_deref().unwrap_or(&self.plan.file)
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Human => human::render(self),
            Format::Json => {
                let mut text = serde_json::to_string_pretty(self).expect("the report serialises");
                text.push('\n');
                text
            }
            Format::Sarif => sarif::render(self),
            Format::Junit => junit::render(self),
            Format::Github => github::render(self),
        }
    }
}
