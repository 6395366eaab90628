//! The check report: figures and findings for one plan, located in the files they come from,
//! with the deployment, the scrape config and what really ran held against it.

use crate::analysis::figures::{Analysis, analyze};
use crate::analysis::rules::{Finding, RuleId, Severity, evaluate};
use crate::analysis::{drift, solve};
use crate::model::load::LoadedPlan;
use crate::model::observed::Observed;
use crate::model::plan::Plan;
use crate::platform::compose::Role;
use crate::platform::compose::alert_rules::RuleCheck;
use crate::platform::compose::scrape::StaticTarget;
use crate::platform::kubernetes::values::UnknownKey;
use serde::Serialize;

/// Bumped when the JSON shape changes incompatibly.
pub const JSON_SCHEMA_VERSION: u32 = 2;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub plan: PlanSource,
    pub figures: Analysis,
    pub findings: Vec<LocatedFinding>,
    pub summary: Summary,
    /// What the deployment's Prometheus saw, with `--prometheus`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<Observed>,
    /// Every value the deployment sets differently from the plan, as the drift findings say
    /// them (the planner lists them under one heading).
    #[serde(skip)]
    pub drift: Vec<drift::Difference>,
}

/// What a plan is held against besides itself.
#[derive(Clone, Debug, Default)]
pub struct Context<'a> {
    /// The deployment, when the plan is compared with it: every value it sets differently.
    pub compared: Option<&'a LoadedPlan>,
    /// The deployment's Prometheus's static targets for the API and the runtime.
    pub scraped: &'a [StaticTarget],
    /// Its alerting and recording rules that have something to say.
    pub alert_rules: &'a [RuleCheck],
    /// What really ran.
    pub observed: Option<&'a Observed>,
    /// Every file read when there is more than the plan file (see [`PlanSource::read`]).
    pub read: Option<String>,
    /// Keys of the Helm values no template of the chart reads.
    pub unknown_values_keys: &'a [UnknownKey],
    /// The plan is the deployment the Helm values describe: fixes also name the chart's keys.
    pub from_helm_values: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlanSource {
    pub name: Option<String>,
    pub file: String,
    /// Every file read, as `./docker-compose.yml + ./.env`, or `plan.yaml against …` when a
    /// plan is held against a deployment; absent when it is the plan file alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<String>,
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

impl Summary {
    fn of(findings: &[LocatedFinding], fail_on: Severity) -> Summary {
        let count = |severity| findings.iter().filter(|f| f.finding.severity == severity).count();
        Summary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            fail_on,
            failed: findings.iter().any(|f| f.finding.severity >= fail_on),
        }
    }
}

/// A finding for each static target of a service the plan runs more than once of, at the
/// target's line in the Prometheus config.
pub fn scrape_findings(scraped: &[StaticTarget], plan: &Plan) -> Vec<LocatedFinding> {
    let mut found = Vec::new();
    for target in scraped {
        let (replicas, key) = match target.role {
            Role::Api => (plan.api.replicas, "api.replicas"),
            _ => (plan.peak_runtime_replicas(), "runtime.replicas"),
        };
        if replicas <= 1 {
            continue;
        }
        let rule = RuleId::PrometheusScrapesOneReplica;
        let port = target.port.map_or(String::new(), |p| format!(", port: {p}"));
        let finding = Finding::new(
            rule,
            key,
            format!(
                "job {} scrapes {} as one static target while the plan runs {replicas} of it ({key}): \
                 each scrape reaches one replica, so its figures are one replica's",
                target.job, target.target
            ),
            Some(format!(
                "in job {}, replace static_configs with dns_sd_configs: [{{names: [{}], type: A{port}}}]",
                target.job, target.host
            )),
        );
        found.push(LocatedFinding {
            finding,
            file: target.file.clone(),
            line: Some(target.line),
            column: Some(target.column),
        });
    }
    found
}

/// A finding for each rule of the deployment's Prometheus that uses a label its metric never
/// has, and for each that divides by Redis's maxmemory while the plan's Redis has none (+Inf:
/// it always fires), at the rule's line with the expression corrected.
pub fn alert_rule_findings(checks: &[RuleCheck], plan: &Plan) -> Vec<LocatedFinding> {
    let unbounded = plan.redis.as_ref().is_none_or(|redis| redis.maxmemory.is_none());
    let mut found = Vec::new();
    for check in checks {
        let at = |finding| LocatedFinding {
            finding,
            file: check.file.clone(),
            line: Some(check.line),
            column: Some(check.column),
        };
        if !check.missing_labels.is_empty() {
            let labels: Vec<String> = check
                .missing_labels
                .iter()
                .map(|(label, metric)| format!("`{label}`, which {metric} never has"))
                .collect();
            let effect = if check.kind == "alert" { "it can never fire as meant" } else { "its series never carry it" };
            found.push(at(Finding::new(
                RuleId::AlertRuleLabelMissing,
                "monitoring",
                format!("{} {} uses {}: {effect}", check.kind, check.name, labels.join("; ")),
                Some(format!("expr: {}", check.corrected)),
            )));
        }
        if check.divides_by_maxmemory && unbounded {
            found.push(at(Finding::new(
                RuleId::AlertFiresAlways,
                "redis.maxmemory",
                format!(
                    "{} {} divides by redis_memory_max_bytes, which is 0 while Redis has no maxmemory: the ratio is +Inf",
                    check.kind, check.name
                ),
                Some(format!(
                    "set redis.maxmemory (flowcap export writes it), and guard the division: expr: {}",
                    check.corrected
                )),
            )));
        }
    }
    found
}

/// Places a finding at its key in the source.
fn locate(loaded: &LoadedPlan, finding: Finding) -> LocatedFinding {
    let place = loaded.locate(&finding.path);
    LocatedFinding {
        file: place.map_or(&loaded.file[..], |(file, _)| file).to_string(),
        line: place.map(|(_, (line, _))| line),
        column: place.map(|(_, (_, column))| column),
        finding,
    }
}

impl Report {
    /// Analyses the plan and locates each finding in its file.
    pub fn new(loaded: &LoadedPlan, fail_on: Severity) -> Report {
        let figures = analyze(&loaded.plan);
        let mut findings = evaluate(&loaded.plan, &figures);
        // A workload's fix is solve's answer: a change that meets it and fits the host.
        if findings.iter().any(|f| f.rule.is_workload()) {
            let fix = solve::workload_fix(&loaded.plan, solve::SizedFor::PlanWorkload);
            for finding in findings.iter_mut().filter(|f| f.rule.is_workload()) {
                fix.give(finding);
            }
        }
        let findings = findings.into_iter().map(|finding| locate(loaded, finding)).collect();
        Report {
            schema_version: JSON_SCHEMA_VERSION,
            plan: PlanSource { name: loaded.plan.name.clone(), file: loaded.file.clone(), read: None },
            figures,
            findings,
            summary: Summary::of(&[], fail_on),
            observed: None,
            drift: Vec::new(),
        }
        .summarised()
    }

    /// The report for `loaded` held against everything in `context`: what `--check` prints
    /// and the planner shows.
    pub fn in_context(loaded: &LoadedPlan, fail_on: Severity, context: Context) -> Report {
        let mut report = Report::new(loaded, fail_on);
        if let Some(compared) = context.compared {
            report = report.with_drift(compared, &loaded.plan);
        }
        report.plan.read = context.read;
        report
            .with_scrape(context.scraped, &loaded.plan)
            .with_alert_rules(context.alert_rules, &loaded.plan)
            .with_unknown_values_keys(context.unknown_values_keys)
            .with_observed(loaded, context.observed)
            .with_values_keys(context.from_helm_values)
    }

    /// Fixes that change a chart value also say it as the values key the operator edits.
    fn with_values_keys(mut self, from_helm_values: bool) -> Report {
        if !from_helm_values {
            return self;
        }
        for located in &mut self.findings {
            let said = located.finding.fix.clone().unwrap_or_default();
            let settings: Vec<String> = located
                .finding
                .changes
                .iter()
                .filter_map(crate::model::chart::values_setting)
                // A fix that names the key already says it.
                .filter(|(key, _)| !said.contains(key.as_str()))
                .map(|(key, value)| format!("{key}: {value}"))
                .collect();
            if let (false, Some(fix)) = (settings.is_empty(), located.finding.fix.as_mut()) {
                fix.push_str(&format!("; in the Helm values, {}", settings.join(", ")));
            }
        }
        self
    }

    /// The scrape-config findings, in their places.
    fn with_scrape(mut self, scraped: &[StaticTarget], plan: &Plan) -> Report {
        self.findings.extend(scrape_findings(scraped, plan));
        self.sorted()
    }

    /// The rule-file findings, in their places.
    fn with_alert_rules(mut self, checks: &[RuleCheck], plan: &Plan) -> Report {
        self.findings.extend(alert_rule_findings(checks, plan));
        self.sorted()
    }

    /// A warning for every key of the Helm values the chart does not read, where it stands.
    fn with_unknown_values_keys(mut self, keys: &[UnknownKey]) -> Report {
        for key in keys {
            let (file, position) = key.place.clone().map_or((self.plan.file.clone(), None), |(f, p)| (f, Some(p)));
            let nearest = key.nearest.map_or(String::new(), |n| format!(": did you mean {n}?"));
            let finding = Finding::new(
                RuleId::HelmValuesUnknownKey,
                &key.path,
                format!("{} is not a key of Flow-Like's chart: Helm ignores it{nearest}", key.path),
                Some(match key.nearest {
                    Some(nearest) => format!("rename it to {nearest}"),
                    None => "remove it, or move it where the chart reads it (its values.yaml)".into(),
                }),
            );
            self.findings.push(LocatedFinding {
                finding,
                file,
                line: position.map(|p| p.0),
                column: position.map(|p| p.1),
            });
        }
        self.sorted()
    }

    /// The findings what really ran brings, and its figures.
    fn with_observed(mut self, loaded: &LoadedPlan, observed: Option<&Observed>) -> Report {
        let Some(observed) = observed else { return self };
        for finding in crate::analysis::rules::observed::findings(&loaded.plan, &self.figures, observed) {
            self.findings.push(locate(loaded, finding));
        }
        self.observed = Some(observed.clone());
        self.sorted()
    }

    /// Stable: the plan's own order stays, later findings join their severity.
    fn sorted(mut self) -> Report {
        self.findings.sort_by_key(|f| std::cmp::Reverse(f.finding.severity));
        self.summarised()
    }

    /// Adds a `drift` finding for every value where `deployment` differs from the plan,
    /// located in the compose files.
    pub fn with_drift(mut self, deployment: &LoadedPlan, plan: &Plan) -> Report {
        self.drift = drift::compare_deployment(deployment, plan);
        for change in &self.drift {
            // The deployment changes, not the plan: no plan edits.
            // Held to Helm values, the value also goes by the chart's key the operator edits.
            let said = match crate::model::chart::values_key(&change.path) {
                Some(key) if !plan.platform.is_compose() && key != change.path => {
                    format!("{} ({key} in the values)", change.path)
                }
                _ => change.path.clone(),
            };
            let finding = Finding::new(
                RuleId::Drift,
                &change.path,
                format!("{said}: the deployment has {}, the plan {}", change.deployed, change.planned),
                Some(drift::fix(change, plan.platform)),
            );
            self.findings.push(locate(deployment, finding));
        }
        self.sorted()
    }

    fn summarised(mut self) -> Report {
        self.summary = Summary::of(&self.findings, self.summary.fail_on);
        self
    }

    /// The headline figures as name = value pairs, for the formats that carry findings
    /// rather than figures (SARIF run properties, JUnit properties, a GitHub notice).
    pub fn key_figures(&self) -> Vec<(&'static str, String)> {
        let f = &self.figures;
        let c = &f.connections;
        let mut figures = vec![
            ("capacity", f.capacity.clone()),
            ("concurrent_executions", f.concurrent_executions.to_string()),
            ("connections_used", c.used.to_string()),
            ("connections_usable", c.usable.to_string()),
            ("connections_share", c.share.to_string()),
        ];
        if let Some(host) = &f.host {
            figures.push(("host_cpu_limits_share", host.cpu_limits_share.to_string()));
            figures.push(("host_memory_limits_share", host.memory_limits_share.to_string()));
        }
        if let Some(fit) = &f.cluster {
            figures.push(("cluster_pods_unplaced_now", (fit.now.pods - fit.now.placed).to_string()));
            figures.push(("cluster_cpu_requests_share", fit.now.cpu_requests_share.to_string()));
            figures.push(("cluster_memory_requests_share", fit.now.memory_requests_share.to_string()));
            figures
                .push(("cluster_pods_unplaced_at_maximum", (fit.at_maximum.pods - fit.at_maximum.placed).to_string()));
        }
        if let Some(maximum) = &f.at_maximum {
            figures.push(("concurrent_executions_at_maximum", maximum.concurrent_executions.to_string()));
            figures.push(("connections_used_at_maximum", maximum.connections.used.to_string()));
        }
        if let Some(s) = &f.streaming {
            figures.push(("streaming_mean_per_runtime", s.mean_per_runtime.to_string()));
            figures.push(("streaming_p99_per_runtime", s.p99_per_runtime.to_string()));
            if let Some(any) = s.over_memory_any_runtime {
                figures.push(("streaming_over_memory_share", any.to_string()));
            }
        }
        if let Some(w) = &f.queued {
            let optional = |value: Option<f64>| value.map_or("unstable".to_string(), |v| v.to_string());
            figures.push(("offered_load", w.waits.offered_load.to_string()));
            figures.push(("utilisation", w.waits.utilisation.to_string()));
            figures.push(("wait_probability", optional(w.waits.wait_probability)));
            figures.push(("mean_wait_seconds", optional(w.waits.mean_wait_seconds)));
            figures.push(("p95_wait_seconds", optional(w.waits.p95_wait_seconds)));
            figures.push(("p99_wait_seconds", optional(w.waits.p99_wait_seconds)));
            figures.push(("throughput_ceiling_per_minute", w.throughput_ceiling_per_minute.to_string()));
        }
        figures
    }

    /// What was read, for a report's first line: the plan file, or every file.
    pub fn sources(&self) -> &str {
        self.plan.read.as_deref().unwrap_or(&self.plan.file)
    }

    /// The plan's name (else its file), on one line.
    pub fn title(&self) -> std::borrow::Cow<'_, str> {
        crate::io::text::one_line(self.plan.name.as_deref().unwrap_or(&self.plan.file))
    }
}
