//! The deployment's Prometheus rule files (its config's `rule_files`, mounted from the host as
//! the config is), each expression read with a PromQL parser and held to the labels Flow-Like's
//! metrics really carry. Flow-Like's own `FlowLikeHighErrorRate` filters on `status_code`; the
//! metric's label is `status`, so the alert can never fire. `FlowLikeRedisHighMemory` divides by
//! `redis_memory_max_bytes`, which is 0 without `maxmemory`: +Inf, so it always fires.

use super::project::{Project, scalar_text};
use super::scrape::{config_file, host_path};
use crate::io::error::InputError;
use crate::io::yaml::{self, Value};
use crate::model::load::read_text_file;
use promql_parser::label::Labels;
use promql_parser::parser::{self, Expr, LabelModifier};
use std::collections::BTreeSet;

/// Flow-Like's metrics and their own labels (Prometheus adds `job` and `instance`): the runtime's
/// and the API's `metrics.rs` and `main.rs` at ab1f822 (FLOWLIKE.md). A histogram's `_bucket`,
/// `_sum` and `_count` series carry the same (`_bucket` with `le`).
const METRICS: &[(&str, &[&str])] = &[
    ("http_requests_total", &["method", "path", "status"]),
    ("http_request_duration_seconds", &["method", "path"]),
    ("flow_executions_total", &["status"]),
    ("flow_execution_duration_seconds", &["status"]),
    ("executor_active_jobs", &[]),
];

/// Labels every series has once scraped.
const TARGET_LABELS: [&str; 3] = ["job", "instance", "__name__"];

/// Names rules use for a label the metric calls otherwise.
const SAME_AS: &[(&str, &str)] = &[("status_code", "status")];

/// The series Redis reports as its maxmemory: 0 when none is set.
const REDIS_MAX: &str = "redis_memory_max_bytes";

/// One alerting or recording rule, where it stands, and what is wrong with it.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleCheck {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// `alert` or `record`.
    pub kind: &'static str,
    pub name: String,
    /// Labels it filters or groups on that its metrics never have, each with the metric.
    pub missing_labels: Vec<(String, String)>,
    /// Whether it divides by Redis's maxmemory (+Inf without one).
    pub divides_by_maxmemory: bool,
    /// The expression with its labels as the metrics name them and the division guarded.
    pub corrected: String,
}

/// The rules of the deployment's active Prometheus that have something to say; empty when no
/// Prometheus runs or its files are not on this host. A rule file that is not valid YAML, or an
/// expression that does not parse, is reported as Prometheus would refuse it: exit 2 at its place.
pub fn rule_checks(project: &Project) -> Result<Vec<RuleCheck>, InputError> {
    let Some(config_path) = config_file(project).filter(|p| p.is_file()) else { return Ok(Vec::new()) };
    let config = yaml::parse(&config_path.display().to_string(), &read_text_file(&config_path)?)?;
    let patterns = config.get("rule_files").and_then(Value::as_sequence).into_iter().flatten().map(scalar_text);
    let mut files = BTreeSet::new();
    for pattern in patterns {
        // Relative patterns are relative to the config file, as Prometheus reads them.
        let inside = std::path::Path::new("/etc/prometheus").join(&pattern);
        let Some(host) = host_path(project, &inside) else { continue };
        let Ok(found) = glob::glob(&host.display().to_string()) else { continue };
        files.extend(found.filter_map(Result::ok).filter(|p| p.is_file()));
    }
    let mut checks = Vec::new();
    for path in files {
        let text = read_text_file(&path)?;
        let file = path.display().to_string();
        let rules = yaml::parse(&file, &text)?;
        let groups = rules.get("groups").and_then(Value::as_sequence).into_iter().flatten();
        for rule in groups.filter_map(|g| g.get("rules")?.as_sequence()).flatten() {
            let (kind, name) = match (rule.get("alert"), rule.get("record")) {
                (Some(name), _) => ("alert", scalar_text(name)),
                (None, Some(name)) => ("record", scalar_text(name)),
                _ => continue,
            };
            let expr_text = rule.get("expr").map(scalar_text).unwrap_or_default();
            let (line, column) = position(&text, kind, &name);
            let expr = parser::parse(&expr_text)
                .map_err(|error| InputError::syntax(&file, Some((line, column)), format!("{kind} {name}: {error}")))?;
            if let Some(check) = check(&expr) {
                checks.push(RuleCheck { file: file.clone(), line, column, kind, name, ..check });
            }
        }
    }
    Ok(checks)
}

/// What is wrong with one expression, and the expression corrected; `None` when nothing is.
fn check(expr: &Expr) -> Option<RuleCheck> {
    let mut missing = Vec::new();
    let mut corrected = expr.clone();
    fix_labels(&mut corrected, &mut missing);
    let divides = guard_maxmemory(&mut corrected);
    if missing.is_empty() && !divides {
        return None;
    }
    missing.dedup();
    Some(RuleCheck {
        file: String::new(),
        line: 0,
        column: 0,
        kind: "",
        name: String::new(),
        missing_labels: missing,
        divides_by_maxmemory: divides,
        corrected: corrected.to_string(),
    })
}

/// The labels a series of `name` has, for a Flow-Like metric.
fn labels_of(name: &str) -> Option<Vec<&'static str>> {
    let (base, extra): (&str, &[&str]) = match name.strip_suffix("_bucket") {
        Some(base) => (base, &["le"]),
        None => (name.strip_suffix("_sum").or_else(|| name.strip_suffix("_count")).unwrap_or(name), &[]),
    };
    let (_, own) = METRICS.iter().find(|(metric, _)| *metric == base)?;
    Some(own.iter().chain(extra).chain(TARGET_LABELS.iter()).copied().collect())
}

/// The label a rule should use in place of `label` among `known`: its namesake, else none.
fn replacement(label: &str, known: &[&str]) -> Option<&'static str> {
    SAME_AS.iter().find(|(from, to)| *from == label && known.contains(to)).map(|(_, to)| *to)
}

/// Renames (or drops) every filter and grouping label the metrics under it lack, recording each
/// as (label, metric); returns the metrics of the subtree.
fn fix_labels(expr: &mut Expr, missing: &mut Vec<(String, String)>) -> Vec<String> {
    match expr {
        Expr::VectorSelector(selector) => fix_selector(selector, missing),
        Expr::MatrixSelector(matrix) => fix_selector(&mut matrix.vs, missing),
        Expr::Aggregate(aggregate) => {
            let metrics = fix_labels(&mut aggregate.expr, missing);
            if let Some(param) = aggregate.param.as_mut() {
                fix_labels(param, missing);
            }
            if let Some(LabelModifier::Include(labels)) = aggregate.modifier.as_mut() {
                fix_grouping(labels, &metrics, missing);
            }
            metrics
        }
        Expr::Unary(unary) => fix_labels(&mut unary.expr, missing),
        Expr::Paren(paren) => fix_labels(&mut paren.expr, missing),
        Expr::Subquery(subquery) => fix_labels(&mut subquery.expr, missing),
        Expr::Binary(binary) => {
            let mut metrics = fix_labels(&mut binary.lhs, missing);
            metrics.extend(fix_labels(&mut binary.rhs, missing));
            metrics
        }
        Expr::Call(call) => call.args.args.iter_mut().flat_map(|arg| fix_labels(arg, missing)).collect(),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => Vec::new(),
    }
}

fn fix_selector(selector: &mut parser::VectorSelector, missing: &mut Vec<(String, String)>) -> Vec<String> {
    let Some(name) = selector.name.clone() else { return Vec::new() };
    let Some(known) = labels_of(&name) else { return vec![name] };
    selector.matchers.matchers.retain_mut(|matcher| {
        if known.contains(&matcher.name.as_str()) {
            return true;
        }
        missing.push((matcher.name.clone(), name.clone()));
        match replacement(&matcher.name, &known) {
            Some(label) => {
                matcher.name = label.to_string();
                true
            }
            None => false,
        }
    });
    vec![name]
}

/// A `by (…)` list over `metrics`: labels none of the Flow-Like metrics among them has.
fn fix_grouping(labels: &mut Labels, metrics: &[String], missing: &mut Vec<(String, String)>) {
    let known: Vec<Vec<&str>> = metrics.iter().filter_map(|m| labels_of(m)).collect();
    // Only where every metric under it is one of Flow-Like's: another's labels are not known.
    if known.is_empty() || known.len() != metrics.len() {
        return;
    }
    let all: Vec<&str> = known.concat();
    let mut kept = Vec::new();
    for label in labels.labels.drain(..) {
        if all.contains(&label.as_str()) {
            kept.push(label);
            continue;
        }
        missing.push((label.clone(), metrics.join(", ")));
        if let Some(other) = replacement(&label, &all).filter(|o| !kept.iter().any(|k| k == o)) {
            kept.push(other.to_string());
        }
    }
    labels.labels = kept;
}

/// Guards a division by Redis's maxmemory so an unbounded Redis (0) gives no series instead of
/// +Inf; returns whether there was one.
fn guard_maxmemory(expr: &mut Expr) -> bool {
    match expr {
        Expr::Binary(binary) => {
            let divides = binary.op.to_string() == "/"
                && matches!(binary.rhs.as_ref(), Expr::VectorSelector(s) if s.name.as_deref() == Some(REDIS_MAX));
            if divides {
                let guarded = format!("({REDIS_MAX} > 0)");
                if let Ok(paren) = parser::parse(&guarded) {
                    *binary.rhs = paren;
                }
                return true;
            }
            guard_maxmemory(&mut binary.lhs) | guard_maxmemory(&mut binary.rhs)
        }
        Expr::Aggregate(aggregate) => guard_maxmemory(&mut aggregate.expr),
        Expr::Unary(unary) => guard_maxmemory(&mut unary.expr),
        Expr::Paren(paren) => guard_maxmemory(&mut paren.expr),
        Expr::Subquery(subquery) => guard_maxmemory(&mut subquery.expr),
        Expr::Call(call) => call.args.args.iter_mut().fold(false, |found, arg| guard_maxmemory(arg) | found),
        _ => false,
    }
}

/// The line and column of the rule's `alert:` or `record:` key.
fn position(text: &str, kind: &str, name: &str) -> (usize, usize) {
    text.lines()
        .enumerate()
        .find_map(|(index, line)| {
            let column = line.find(&format!("{kind}:"))?;
            line[column..].contains(name).then_some((index + 1, column + 1))
        })
        .unwrap_or((1, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(text: &str) -> Option<RuleCheck> {
        check(&parser::parse(text).unwrap())
    }

    #[test]
    fn flow_likes_error_rate_filters_a_label_its_metric_lacks() {
        let found = checked(
            r#"sum(rate(http_requests_total{job="flow-like-api",status_code=~"5.."}[5m])) / sum(rate(http_requests_total{job="flow-like-api"}[5m])) > 0.05"#,
        )
        .unwrap();
        assert_eq!(found.missing_labels, [("status_code".to_string(), "http_requests_total".to_string())]);
        assert!(found.corrected.contains(r#"status=~"5..""#), "{}", found.corrected);
        assert!(!found.corrected.contains("status_code"), "{}", found.corrected);
    }

    #[test]
    fn recording_rules_group_by_labels_no_metric_has() {
        let found = checked("sum(rate(flow_executions_total[5m])) by (status, backend)").unwrap();
        assert_eq!(found.missing_labels, [("backend".to_string(), "flow_executions_total".to_string())]);
        assert_eq!(found.corrected, "sum by (status) (rate(flow_executions_total[5m]))");
        let found =
            checked(r#"sum(rate(http_requests_total{job="flow-like-api"}[5m])) by (method, status_code)"#).unwrap();
        assert!(found.corrected.contains("by (method, status)"), "{}", found.corrected);
        // The right labels, and a metric that is not Flow-Like's, say nothing.
        assert_eq!(
            checked("histogram_quantile(0.99, sum(rate(flow_execution_duration_seconds_bucket[5m])) by (le))"),
            None
        );
        assert_eq!(checked(r#"sum(rate(nginx_requests{code="500"}[5m])) by (vhost)"#), None);
    }

    #[test]
    fn dividing_by_maxmemory_is_guarded() {
        let found = checked("redis_memory_used_bytes / redis_memory_max_bytes > 0.9").unwrap();
        assert!(found.divides_by_maxmemory && found.missing_labels.is_empty());
        assert_eq!(found.corrected, "redis_memory_used_bytes / (redis_memory_max_bytes > 0) > 0.9");
    }
}
