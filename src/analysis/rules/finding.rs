//! A finding, and the one way one is made: [`Finding::new`] takes the severity from the rule's
//! entry in the table.

use crate::analysis::rules::table::{RuleId, Severity};
use crate::model::edit::PlanEdit;
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
    pub changes: Vec<PlanEdit>,
    /// The fix as the planner says it, where a key of its does what the command line's words
    /// ask (o for solve, e for the export, the Host knobs); absent when the words are the same.
    #[serde(skip)]
    pub in_planner: Option<String>,
}

impl Finding {
    /// A finding of `rule` about the plan key at `path`, with no plan edits yet.
    pub fn new(rule: RuleId, path: &str, message: String, fix: Option<String>) -> Finding {
        Finding {
            rule,
            severity: rule.rule().severity,
            message,
            fix,
            path: path.to_string(),
            changes: Vec::new(),
            in_planner: None,
        }
    }

    /// Says the fix in the planner's words.
    pub fn in_planner(&mut self, fix: &str) -> &mut Finding {
        self.in_planner = Some(fix.to_string());
        self
    }

    /// The fix as the planner shows it.
    pub fn planner_fix(&self) -> Option<&str> {
        self.in_planner.as_deref().or(self.fix.as_deref())
    }

    /// Adds a plan edit to the fix.
    pub fn edit(&mut self, edit: PlanEdit) -> &mut Finding {
        self.changes.push(edit);
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
