//! All rendering: the check report ([`check`]) as human text, JSON, SARIF, JUnit XML or GitHub
//! workflow commands, and what `observe` saw. Rendering is deterministic: same plan, same bytes.

pub mod check;
pub mod colour;
pub mod drift;
pub mod explain;
mod github;
mod human;
mod junit;
pub mod observed;
mod sarif;
pub mod solve;

pub use check::{
    Context, JSON_SCHEMA_VERSION, LocatedFinding, PlanSource, Report, Summary, alert_rule_findings, scrape_findings,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Junit,
    Github,
}

impl Report {
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Human => human::render(self),
            Format::Json => {
                // Plain data with string keys always serialises.
                let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
                text.push('\n');
                text
            }
            Format::Sarif => sarif::render(self),
            Format::Junit => junit::render(self),
            Format::Github => github::render(self),
        }
    }
}
