//! A finding, and the one way one is made: [`Finding::new`] takes the severity from the rule's
//! entry in the table.

use crate::analysis::rules::table::{RuleId, Severity};
use crate::model::edit::{Change, Setting};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The plan key the finding is about, as a dotted path.
    pub path: String,
    /// The fix's first alternative as plan edits, for tools that apply it; empty when the fix
    /// is not a plan value (export the override, tell flowcap the host).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
}

impl Finding {
    /// A finding of `rule` about the plan key at `path`, with no plan edits yet.
    pub fn new(rule: RuleId, path: &str, message: String, fix: Option<String>) -> Finding {
        Finding { rule, severity: rule.rule().severity, message, fix, path: path.to_string(), changes: Vec::new() }
    }

    /// Adds a plan edit to the fix.
    pub fn change(&mut self, path: &str, value: Setting) -> &mut Finding {
        self.changes.push(Change { path: path.to_string(), value });
        self
    }
}

/// Findings as the checks add them.
#[derive(Default)]
pub struct Findings(pub Vec<Finding>);

impl Findings {
    pub fn add(&mut self, id: RuleId, path: &str, message: String, fix: Option<String>) -> &mut Finding {
        self.0.push(Finding::new(id, path, message, fix));
        let added = self.0.len() - 1;
        &mut self.0[added]
    }
}
