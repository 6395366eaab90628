//! The plan's findings, in one pass over the checks of every topic, and the fix's plan edits
//! kept only where they hold.

use crate::analysis::figures::{self, Analysis};
use crate::analysis::rules::finding::{Finding, Findings};
use crate::analysis::rules::table::{RuleId, Severity};
use crate::analysis::rules::{cockroach, connections, deployment, fit, postgres, redis, slots, streaming, workload};
use crate::model::cluster::Platform;
use crate::model::plan::Plan;

/// Every finding for the plan, most severe first, then by rule id: a stable order. A fix is
/// offered as plan changes only when it holds: see `verify_changes`.
pub fn evaluate(plan: &Plan, analysis: &Analysis) -> Vec<Finding> {
    let mut findings = evaluate_unverified(plan, analysis);
    verify_changes(plan, &mut findings);
    findings
}

/// A fix's changes stand only when the plan with them has no error or warning it did not have
/// (a milder level of one it had does not count: it was already there). A change that would
/// bring one is withdrawn and the fix says what it would bring — packing pods differently can
/// strand another, for one.
fn verify_changes(plan: &Plan, findings: &mut [Finding]) {
    let had = serious(findings);
    for finding in findings.iter_mut().filter(|f| !f.changes.is_empty()) {
        let mut edited = plan.clone();
        if !finding.changes.iter().all(|edit| edit.apply(&mut edited).is_ok()) || edited.validate().is_err() {
            finding.changes.clear();
            continue;
        }
        let after = evaluate_unverified(&edited, &figures::analyze(&edited));
        if after.iter().any(|f| f.rule == finding.rule && f.path == finding.path) {
            // Not a fix after all (a rounding, a second cause): say only the prose.
            finding.changes.clear();
            continue;
        }
        let brought = brought(&had, after);
        if !brought.is_empty() {
            finding.changes.clear();
            let brings = format!(
                " — but that alone brings: {}; `flowcap solve` looks for a change that fits",
                brought.join("; ")
            );
            finding.fix = Some(format!("{}{brings}", finding.fix.take().unwrap_or_default()));
            if let Some(words) = &mut finding.in_planner {
                words.push_str(&brings);
            }
        }
    }
}

/// The rules of the errors and warnings among `findings`.
pub fn serious(findings: &[Finding]) -> Vec<RuleId> {
    findings.iter().filter(|f| f.severity > Severity::Info).map(|f| f.rule).collect()
}

/// The messages of the errors and warnings in `after` that a plan with the serious rules `had`
/// did not have: what a change brings. A milder level of a rule it had does not count: it was
/// already there, said as the stronger.
pub fn brought(had: &[RuleId], after: Vec<Finding>) -> Vec<String> {
    let new = |rule: RuleId| !had.contains(&rule) && !rule.stronger().is_some_and(|s| had.contains(&s));
    after.into_iter().filter(|f| f.severity > Severity::Info && new(f.rule)).map(|f| f.message).collect()
}

fn evaluate_unverified(plan: &Plan, analysis: &Analysis) -> Vec<Finding> {
    let mut findings = Findings::default();
    slots::execution_slots(plan, &mut findings);
    connections::connections(plan, analysis, &mut findings);
    connections::managed_max_connections(plan, &mut findings);
    if plan.platform == Platform::Kubernetes {
        fit::cluster(plan, analysis, &mut findings);
    } else {
        fit::host_fit(plan, analysis.host.as_ref(), &mut findings);
    }
    slots::memory_per_slot(plan, &analysis.per_slot, &mut findings);
    workload::workload(plan, analysis, &mut findings);
    streaming::streaming(plan, analysis, &mut findings);
    redis::redis(plan, analysis, &mut findings);
    cockroach::cockroachdb(plan, analysis, &mut findings);
    deployment::fixed_host_ports(plan, &mut findings);
    deployment::fixed_container_names(plan, &mut findings);
    deployment::reservations_above_limits(plan, &mut findings);
    if plan.postgres.clients_are_superuser && (!plan.postgres.external || plan.postgres.managed.is_some()) {
        connections::connections_as_superuser(plan, analysis, &mut findings);
    }
    postgres::postgres_memory(plan, analysis, &mut findings);
    postgres::pgtune(plan, analysis, &mut findings);
    deployment::jwt_keys(plan, &mut findings);
    let mut findings = findings.0;
    findings.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then(a.rule.as_str().cmp(b.rule.as_str())).then(a.path.cmp(&b.path))
    });
    findings
}

/// The warnings and errors the host and per-slot policy raise against the plan: what
/// `flowcap solve` must not cause. Cheap: no connection, Postgres or workload figures.
pub fn resource_problems(plan: &Plan) -> Vec<Finding> {
    let mut findings = Findings::default();
    fit::host_fit(plan, figures::host_fit(plan).as_ref(), &mut findings);
    slots::memory_per_slot(plan, &figures::per_slot(plan), &mut findings);
    findings.0.retain(|f| f.severity > Severity::Info);
    findings.0
}
